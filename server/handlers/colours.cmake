# Colours: GET /v1/analytics/colours and the sweep that turns the watch's verdicts into colour
# events, impact and history (server/colours.h); also the "analytics" subsystem.
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/colours.c
     ${CMAKE_CURRENT_LIST_DIR}/../colours.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_analytics)
