/* The web view's files, embedded at build time from ui/ (server/embed_ui.cmake). */
#ifndef LS_SERVER_UI_ASSETS_H
#define LS_SERVER_UI_ASSETS_H

extern const char *const ls_ui_index_html;

#endif
