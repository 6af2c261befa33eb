# Dependency inference (analytics/depinfer): GET /v1/analytics/dependencies and the feed and
# re-inference glue used by POST /v1/telemetry and the depinfer subsystem.
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/dependencies.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_analytics)
