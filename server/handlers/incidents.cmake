# The incidents: the REST handlers (sql/incident.h) and the loop that groups the watch's
# anomalous nodes into incidents (analytics/incident.h).
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/incidents.c
     ${CMAKE_CURRENT_LIST_DIR}/../incident_loop.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_analytics)
