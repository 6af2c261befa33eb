/* GET /v1/analytics/colours?layer=&type=&colour=&at=: the nodes' own colours and impact, live
 * or as of a time within the in-memory history (server/colours.h). */
#include "server/colours.h"

#include <string.h>

#include "server/handlers.h"
#include "server/handlers/common.h"

void ls_h_colours(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"layer", "type", "colour", "at", NULL};
    struct ls_err err;
    struct ls_node_filter nf;
    struct ls_attr_match attrs[16];
    bool has_at;
    int64_t at;
    if (ls_req_check_params(req, params, false, &err) || h_node_filter(req, &nf, attrs, &err) ||
        ls_req_time(req, "at", &has_at, &at, &err))
        ERR_OUT(resp, err);
    const char *colour = ls_req_query(req, "colour");
    if (colour && strcmp(colour, "red") != 0 && strcmp(colour, "yellow") != 0 &&
        strcmp(colour, "green") != 0 && strcmp(colour, "grey") != 0) {
        ls_resp_error_status(resp, 400, "invalid_parameter",
                             "colour: expected red, yellow, green or grey");
        return;
    }
    if (!req->ctx->colours) {
        ls_resp_error_status(resp, 404, "analytics_off",
                             "analytics is off (--analytics off): no colours are computed");
        return;
    }
    if (has_at && at <= 0) {
        ls_resp_error_status(resp, 400, "invalid_parameter", "at: expected a time after 1970");
        return;
    }
    struct ls_colours_filter f = {nf.type, nf.layer, colour};
    req->snap = ls_graph_snap(req->ctx->graph);
    ls_resp_json_new(resp, 200, ls_colours_list(req->ctx->colours, req->snap, &f, has_at ? at : 0));
}
