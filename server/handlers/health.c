/* Health, readiness, metrics and the node-type registry. */
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "server/handlers.h"
#include "server/handlers/common.h"
#include "server/metrics.h"

void ls_h_healthz(struct ls_req *req, struct ls_resp *resp)
{
    ls_resp_json_new(resp, 200,
                     json_pack("{s:s,s:s,s:f}", "status", "ok", "version", req->ctx->version,
                               "uptime_seconds",
                               (double)(ls_time_now_us() - req->ctx->started_us) / 1e6));
}

void ls_h_readyz(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    if (ls_store_ping(req->ctx->store, &err) != LS_OK) {
        ls_resp_json_new(resp, 503,
                         json_pack("{s:s,s:s,s:s}", "status", "unavailable", "code", err.code,
                                   "reason", err.msg));
        return;
    }
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    ls_resp_json_new(resp, 200,
                     json_pack("{s:s,s:i,s:I}", "status", "ready", "schema_version",
                               ls_store_schema_version(req->ctx->store), "revision",
                               (json_int_t)ls_snap_revision(s)));
    ls_snap_release(s);
}

void ls_h_metrics(struct ls_req *req, struct ls_resp *resp)
{
    size_t len;
    char *text = ls_metrics_render(req->ctx->metrics, req->ctx, &len);
    ls_resp_text_take(resp, 200, text, len, "text/plain; version=0.0.4");
}

void ls_h_types(struct ls_req *req, struct ls_resp *resp)
{
    (void)req;
    json_t *types = json_object();
    for (int i = 0; i < ls_type_count(); i++) {
        enum ls_layer l;
        ls_type_layer(ls_type_name(i), &l);
        json_object_set_new(types, ls_type_name(i), json_string(ls_layer_name(l)));
    }
    json_t *edges = json_array();
    for (int i = 0; i < LS_EDGE_TYPE_COUNT; i++)
        json_array_append_new(edges, json_string(ls_edge_type_name((enum ls_edge_type)i)));
    ls_resp_json_new(resp, 200, json_pack("{s:o,s:o}", "node_types", types, "edge_types", edges));
}
