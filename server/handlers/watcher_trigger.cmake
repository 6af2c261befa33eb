# --watcher-audit: a red hypervisor or machine triggers a Watcher EVENT audit through its
# webhook, with the imported cloud's Keystone session (importers/openstack).
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/../watcher_trigger.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_openstack)
