# Embeds ui/index.html as a C string. Called with -DOUT=<file> -DSRC=<ui dir>.
file(READ ${SRC}/index.html hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE ${OUT}.tmp "/* Generated from ui/index.html; do not edit. */\n#include \"server/ui_assets.h\"\n\nstatic const unsigned char data[] = {${hex}0x00};\nconst char *const ls_ui_index_html = (const char *)data;\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
