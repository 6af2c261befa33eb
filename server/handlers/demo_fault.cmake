# Demo fault injection (/_demo/fault) into the demo's telemetry stream (importers/telemetry).
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/demo_fault.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_telemetry)
