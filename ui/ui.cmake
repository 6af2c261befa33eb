# The web view's script: build/ui/app.js from ui/src and the npm packages pinned by
# ui/package-lock.json (ui/build_ui.cmake: npm ci + esbuild). Sets LS_UI_APP for the embedding
# step (server/CMakeLists.txt). Without npm the build still succeeds: the page says the view
# was not built, and the browser tests skip (tests/integration/browser).
find_program(LS_NPM npm)
find_program(LS_NODE node)
if(NOT LS_NPM OR NOT LS_NODE)
  message(WARNING "npm/node not found: landscaped will serve a page saying the graph view was "
                  "not built, and the browser tests will skip (scripts/deps.sh installs them)")
endif()
set(LS_UI_DIR ${CMAKE_BINARY_DIR}/ui)
set(LS_UI_APP ${LS_UI_DIR}/app.js)
file(GLOB LS_UI_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/ui/src/*.js)
add_custom_command(
  OUTPUT ${LS_UI_APP}
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR}/ui -DOUT=${LS_UI_DIR} -DNPM=${LS_NPM}
          -DNODE=${LS_NODE} -P ${CMAKE_SOURCE_DIR}/ui/build_ui.cmake
  DEPENDS ${LS_UI_SOURCES} ${CMAKE_SOURCE_DIR}/ui/build.mjs ${CMAKE_SOURCE_DIR}/ui/package.json
          ${CMAKE_SOURCE_DIR}/ui/package-lock.json ${CMAKE_SOURCE_DIR}/ui/build_ui.cmake
  COMMENT "Building the web view (npm ci + esbuild)")
