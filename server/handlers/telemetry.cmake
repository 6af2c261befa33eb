# Telemetry handlers (importers/telemetry decoders + model state).
if(TARGET ls_telemetry)
  list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/telemetry.c)
  cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_telemetry)
endif()
