/* The web view: GET / (the page) and GET /ui/app.js (its script), both embedded at build time
 * (server/ui_assets.h). Open to everyone: the page holds no data; its API calls carry the
 * token it asks for. */
#include <string.h>

#include "server/handlers.h"
#include "server/ui_assets.h"

static void serve(struct ls_resp *resp, const char *body, const char *ctype)
{
    resp->status = 200;
    resp->body = (char *)body;
    resp->len = strlen(body);
    resp->borrowed = true;
    resp->ctype = ctype;
}

void ls_h_ui(struct ls_req *req, struct ls_resp *resp)
{
    (void)req;
    serve(resp, ls_ui_index_html, "text/html; charset=utf-8");
}

void ls_h_ui_app(struct ls_req *req, struct ls_resp *resp)
{
    (void)req;
    serve(resp, ls_ui_app_js, "text/javascript; charset=utf-8");
}
