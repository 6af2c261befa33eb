# The physical layer's handlers (importers/host): PUT /v1/hosts/{hostname}/topology and
# POST /v1/bulk. Included by server/CMakeLists.txt before ls_server exists, hence the deferred
# link.
if(TARGET ls_host)
  list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/hosts.c
       ${CMAKE_CURRENT_LIST_DIR}/bulk.c)
  cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_host)
endif()
