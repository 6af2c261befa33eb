/* The web view's files, embedded at build time (server/embed_ui.cmake): the page from
 * ui/index.html and its script, bundled from ui/src by ui/build_ui.cmake (or a stand-in that
 * says the view was not built, when npm was missing). Both NUL-terminated, static. */
#ifndef LS_SERVER_UI_ASSETS_H
#define LS_SERVER_UI_ASSETS_H

extern const char *const ls_ui_index_html;
extern const char *const ls_ui_app_js;

#endif
