# The sources handlers (importers/openstack status and sync).
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/sources.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_openstack)
