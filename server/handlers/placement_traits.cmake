# --os-placement-traits (server/placement_traits.h) and the cloud it and --watcher-audit act on
# (server/os_actor.h).
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/../placement_traits.c
     ${CMAKE_CURRENT_LIST_DIR}/../os_actor.c)
