/* Telemetry over REST: POST /v1/telemetry takes records in any supported producer format (the
 * same decoders as the Kafka consumer), GET /v1/nodes/{id}/telemetry answers a node's live
 * state, POST /v1/aliases adds a manual alias. */
#include "model/telemetry.h"

#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "importers/telemetry/decode.h"
#include "importers/telemetry/resolve.h"
#include "model/alias.h"
#include "server/dependencies.h"
#include "server/handlers.h"
#include "server/handlers/common.h"
#include "server/metrics.h"

/* Samples one request may carry: at least 100,000, and as many as the smallest sample line (an
 * Influx/Prometheus "m v=1\n" is 6 bytes) in a body of max-body-bytes — so a batch is bounded
 * by the body size, not by a second, smaller count. */
#define MIN_SAMPLES_PER_REQUEST 100000
#define MIN_SAMPLE_BYTES        6

void ls_h_telemetry_ingest(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"format", NULL};
    struct ls_err err;
    if (ls_req_check_params(req, params, false, &err))
        ERR_OUT(resp, err);
    enum ls_tel_format forced = LS_TEL_AUTO;
    const char *fmt = ls_req_query(req, "format");
    if (fmt && !ls_tel_format_parse(fmt, &forced)) {
        ls_resp_error_status(resp, 400, "invalid_parameter",
                             "format: expected oslo, ceilometer, monasca, collectd, telegraf, "
                             "prometheus or otlp");
        return;
    }
    struct ls_tel_batch b;
    size_t max_samples = (size_t)req->ctx->cfg->max_body_bytes / MIN_SAMPLE_BYTES + 1;
    ls_tel_batch_init(&b, max_samples > MIN_SAMPLES_PER_REQUEST ? max_samples
                                                                : MIN_SAMPLES_PER_REQUEST);
    b.received_us = ls_time_now_us(); /* what "now" means in the body (collectd's N) */
    enum ls_tel_format got;
    int rc =
        ls_tel_decode(req->body.data ? req->body.data : "", req->body.len, forced, &b, &got, &err);
    if (rc != LS_OK) {
        ls_tel_batch_cleanup(&b);
        if (rc == LS_ENOTFOUND) { /* an oslo inventory notification */
            ls_resp_error_status(resp, 422, err.code, "%s: not telemetry", err.msg);
        } else {
            /* the code names the reason (malformed_record, value_not_finite, ...) */
            ls_metrics_telemetry_refused(req->ctx->metrics, err.code);
            ls_resp_error(resp, &err);
        }
        return;
    }
    struct ls_tel_result r = {0};
    ls_tel_apply(req->ctx->graph, req->ctx->aliases, req->ctx->telemetry, req->ctx->pending, &b,
                 &r);
    size_t refused = 0, changes = 0;
    if (b.n_spans) {
        /* spans: joined now, and the edges they prove written before the answer, so a client
         * that posts traces reads their dependencies next */
        ls_dep_feed(req->ctx, b.spans, b.n_spans, &refused);
        if (ls_dep_run(req->ctx, &changes, &err) != LS_OK) {
            ls_tel_batch_cleanup(&b);
            ERR_OUT(resp, err);
        }
    }
    json_t *o =
        json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I}}", "format", ls_tel_format_name(got),
                  "samples", (json_int_t)b.n, "applied", (json_int_t)r.applied, "duplicate",
                  (json_int_t)r.duplicate, "baseline", (json_int_t)r.baseline, "unmatched",
                  (json_int_t)r.unmatched, "unmatched_by_reason", "no_identity",
                  (json_int_t)r.no_identity, "unknown_entity", (json_int_t)r.unknown_entity);
    if (b.n_spans)
        json_object_set_new(o, "spans",
                            json_pack("{s:I,s:I,s:I}", "received", (json_int_t)b.n_spans, "refused",
                                      (json_int_t)refused, "edge_changes", (json_int_t)changes));
    ls_resp_json_new(resp, 200, o);
    ls_tel_batch_cleanup(&b);
}

void ls_h_node_telemetry(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"metric", "from", "to", "step", NULL};
    struct ls_err err;
    bool has_from, has_to;
    int64_t from = 0, to = 0;
    long step;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_time(req, "from", &has_from, &from, &err) ||
        ls_req_time(req, "to", &has_to, &to, &err) ||
        ls_req_long(req, "step", 0, 0, 86400, &step, &err))
        ERR_OUT(resp, err);
    if (!h_node_exists_or_404(req, resp, req->param))
        return;
    json_t *rollups = NULL;
    if (has_from && req->ctx->rollup) {
        /* a window: the written minutes answer it, however old (the live ring is short) */
        int64_t until = has_to ? to : ls_time_now_us();
        if (ls_store_rollups_query(req->ctx->store, req->param, ls_req_query(req, "metric"), from,
                                   until, step ? step : 60, &rollups, &err))
            ERR_OUT(resp, err);
    }
    json_t *m =
        ls_telemetry_node_json_step(req->ctx->telemetry, req->param, ls_req_query(req, "metric"),
                                    has_from ? from : 0, has_to ? to : 0, step * 1000000LL);
    json_t *o = json_pack("{s:s,s:o}", "node", req->param, "metrics", m ? m : json_object());
    if (rollups)
        json_object_set_new(o, "rollups", rollups);
    ls_resp_json_new(resp, 200, o);
}

void ls_h_alias_create(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const allowed[] = {"alias", "node", NULL};
    struct ls_err err;
    json_t *body = NULL;
    const char *alias, *node;
    if (ls_req_json(req, &body, &err) || h_only(body, allowed, &err) ||
        h_str(body, "alias", &alias, &err) || h_str(body, "node", &node, &err)) {
        json_decref(body);
        ERR_OUT(resp, err);
    }
    if (!alias || !*alias || !node) {
        json_decref(body);
        ls_resp_error_status(resp, 400, "missing_field", "alias and node are required");
        return;
    }
    if (!h_node_exists_or_404(req, resp, node)) {
        json_decref(body);
        return;
    }
    ls_alias_put_manual(req->ctx->aliases, alias, node);
    ls_resp_json_new(resp, 201, json_pack("{s:s,s:s}", "alias", alias, "node", node));
    json_decref(body);
}
