# POST /v1/analytics/rca (analytics/rca over model/samples) and its request parser.
list(APPEND LS_SERVER_EXTRA_SOURCES ${CMAKE_CURRENT_LIST_DIR}/rca.c
     ${CMAKE_CURRENT_SOURCE_DIR}/rca_request.c)
cmake_language(DEFER CALL target_link_libraries ls_server PUBLIC ls_analytics)
