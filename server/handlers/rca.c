/* POST /v1/analytics/rca: the root-cause ranking (analytics/rca.h) over the raw samples the
 * service holds (model/samples.h) for any window inside their retention — the replay of a
 * recorded incident (analytics/rca_replay.h) against the live graph's adjacency, in the
 * contract shape. */
#include <stdlib.h>

#include "analytics/rca_replay.h"
#include "server/handlers.h"
#include "server/handlers/common.h"
#include "server/rca_request.h"

void ls_h_analytics_rca(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    struct ls_rca_request q;
    if (ls_rca_request_parse(req->body.data, req->body.len, &q, &err) != LS_OK)
        ERR_OUT(resp, err);
    struct ls_samples *raw = req->ctx->samples;
    if (!raw) {
        ls_rca_request_cleanup(&q);
        ls_resp_error_status(resp, 503, "no_raw_samples", "raw samples are not kept");
        return;
    }
    struct ls_rca_replay w = {.from_us = q.from_us,
                              .to_us = q.to_us,
                              .base_from_us = q.base_from_us,
                              .base_to_us = q.base_to_us,
                              .nodes = q.n_nodes ? (const char *const *)q.nodes : NULL,
                              .n_nodes = q.n_nodes};
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    p.method = q.method;
    p.limit = q.limit;
    p.threads = (size_t)req->ctx->cfg->rca_threads;
    struct ls_snap *snap = ls_graph_snap(req->ctx->graph);
    struct ls_rca_result r;
    int rc = ls_rca_replay_rank(raw, snap, &w, &p, &r, &err);
    ls_snap_release(snap); /* the result owns copies of the ids */
    ls_rca_request_cleanup(&q);
    if (rc != LS_OK)
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, ls_rca_result_json(&r));
    ls_rca_result_cleanup(&r);
}
