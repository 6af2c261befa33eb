# Embeds the web view's files as C strings (server/ui_assets.h). Called with -DOUT=<file>
# -DINDEX=<ui/index.html> -DAPP=<build/ui/app.js> (ui/build_ui.cmake makes app.js).
function(ls_embed var file)
  file(READ ${file} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  set(${var} "${hex}" PARENT_SCOPE)
endfunction()
ls_embed(index ${INDEX})
ls_embed(app ${APP})
file(WRITE ${OUT}.tmp "/* Generated from ui/index.html and build/ui/app.js; do not edit. */\n"
     "#include \"server/ui_assets.h\"\n\n"
     "static const unsigned char index_data[] = {${index}0x00};\n"
     "static const unsigned char app_data[] = {${app}0x00};\n"
     "const char *const ls_ui_index_html = (const char *)index_data;\n"
     "const char *const ls_ui_app_js = (const char *)app_data;\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
