# Builds the web view's script (build/ui/app.js) from ui/src with the npm packages pinned by
# ui/package-lock.json: `npm ci` into build/ui/node_modules (again only when the lock file
# changed), then esbuild (ui/build.mjs). Called by the build as
#   cmake -DSRC=<ui dir> -DOUT=<build/ui> -DNPM=<npm> -DNODE=<node> -P build_ui.cmake
# Without npm/node, or when `npm ci` fails (no registry and no cache), it writes a stand-in
# app.js that says so on the page, and build/ui/status says "fallback": landscaped still
# builds and serves its API, and the browser tests skip. A bundling error in our own code fails
# the build.
file(MAKE_DIRECTORY ${OUT})

function(ls_ui_fallback why)
  message(WARNING "web view not built: ${why}. landscaped serves a page saying so; "
                  "install nodejs and npm (scripts/deps.sh) and delete ${OUT} to build it.")
  string(REPLACE "\"" "'" why "${why}")
  file(WRITE ${OUT}/app.js
       "document.getElementById('status').textContent = \"The graph view was not built: ${why} "
       "(install nodejs and npm, then rebuild; docs/ui.md).\";\n"
       "document.body.dataset.ready = 'unbuilt';\n")
  file(WRITE ${OUT}/status "fallback: ${why}\n")
endfunction()

if(NOT NPM OR NOT NODE)
  ls_ui_fallback("npm or node was not found when landscaped was built")
  return()
endif()

set(stamp ${OUT}/node_modules/.ls-lock)
set(need_ci TRUE)
if(EXISTS ${stamp})
  file(SHA256 ${SRC}/package-lock.json want)
  file(READ ${stamp} have)
  if("${have}" STREQUAL "${want}")
    set(need_ci FALSE)
  endif()
endif()
if(need_ci)
  file(COPY ${SRC}/package.json ${SRC}/package-lock.json DESTINATION ${OUT})
  message(STATUS "web view: npm ci (ui/package-lock.json) into ${OUT}")
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    ls_ui_fallback("npm ci failed (${rc}): ${e}")
    return()
  endif()
  file(SHA256 ${SRC}/package-lock.json want)
  file(WRITE ${stamp} "${want}")
endif()

file(COPY ${SRC}/build.mjs DESTINATION ${OUT})
execute_process(COMMAND ${NODE} ${OUT}/build.mjs ${SRC} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "web view: bundling ui/src failed (${rc})")
endif()
file(WRITE ${OUT}/status "built\n")
