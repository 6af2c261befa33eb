/* GET /v1/analytics/dependencies: the inferred depends_on edges with their evidence, and the
 * structural deviations of the callers; plus the glue that feeds spans to analytics/depinfer
 * and applies its re-inference passes (server/dependencies.h). */
#include "server/dependencies.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/depcorr.h"
#include "analytics/depinfer.h"
#include "common/log.h"
#include "common/time.h"
#include "importers/telemetry/sample.h"
#include "model/telemetry.h"
#include "server/handlers.h"
#include "server/handlers/common.h"
#include "server/notify.h"

void ls_dep_feed(struct ls_ctx *ctx, const struct ls_span *spans, size_t n, size_t *refused)
{
    size_t bad = 0;
    for (size_t i = 0; ctx->depinfer && i < n; i++) {
        const struct ls_span *x = &spans[i];
        struct ls_dep_span s = {x->trace_id, x->span_id,  x->parent_id, x->service,
                                x->peer,     x->start_us, x->end_us,    x->error};
        struct ls_err err;
        if (ls_depinfer_add_span(ctx->depinfer, &s, &err) != LS_OK)
            bad++;
    }
    if (refused)
        *refused = bad;
}

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *published; /* id -> the deviation last published for it (under run_lock) */

/* Publishes a `deviation` event for every service whose structural verdict changed since
 * the last pass: the entry of ls_depinfer_deviations_json, or {"id", "score": 0, "reasons":
 * []} when its deviation ended. */
static void publish_deviations(struct ls_ctx *ctx)
{
    if (published == NULL)
        published = json_object();
    json_t *now = ls_depinfer_deviations_json(ctx->depinfer), *o, *seen = json_object();
    size_t i;
    json_array_foreach(now, i, o)
    {
        const char *id = json_string_value(json_object_get(o, "id"));
        json_object_set(seen, id, o);
        json_t *before = json_object_get(published, id);
        /* "since" and the reasons are what changes; the score follows them */
        if (before == NULL ||
            !json_equal(json_object_get(before, "reasons"), json_object_get(o, "reasons")))
            ls_notify_publish(ctx->notify, "deviation", o);
    }
    const char *id;
    json_t *v, *tmp;
    json_object_foreach_safe(published, tmp, id, v)
    {
        if (json_object_get(seen, id) == NULL) {
            json_t *ended = json_pack("{s:s,s:f,s:s,s:[]}", "id", id, "score", 0.0, "detector",
                                      "structure", "reasons");
            ls_notify_publish(ctx->notify, "deviation", ended);
            json_decref(ended);
        }
    }
    json_decref(published);
    published = seen;
    json_decref(now);
}

int ls_dep_run(struct ls_ctx *ctx, size_t *n_changes, struct ls_err *err)
{
    size_t n = 0;
    int rc = LS_OK;
    if (ctx->depinfer == NULL)
        goto out;
    /* one pass at a time: a pass reads the graph its predecessor published */
    pthread_mutex_lock(&run_lock);
    struct ls_change_set *cs = ls_change_set_new("depinfer");
    struct ls_snap *snap = ls_graph_snap(ctx->graph);
    rc = ls_depinfer_changes(ctx->depinfer, snap, ctx->aliases, cs, &n, err);
    ls_snap_release(snap);
    if (rc == LS_OK && n)
        rc = ls_store_apply(ctx->store, ctx->graph, cs, NULL, err);
    if (rc != LS_OK) {
        ls_depinfer_retry(ctx->depinfer);
        n = 0;
    } else {
        publish_deviations(ctx);
    }
    ls_change_set_free(cs);
    pthread_mutex_unlock(&run_lock);
out:
    if (n_changes)
        *n_changes = n;
    return rc;
}

/* The inferred edge's entry: {"key", "src", "dst", "strength", "evidence", "first_seen",
 * "last_seen", "calls", "errors", "error_ratio", "rate_per_s", "latency_ms", "lag_s",
 * "status"} (fields the evidence lacks are absent; status null unless an operator set it). */
static json_t *entry(const struct ls_edge *e)
{
    char key[2048];
    json_t *o =
        json_pack("{s:s,s:s,s:s}", "key", ls_edge_key(e->src, e->type, e->dst, key, sizeof(key)),
                  "src", e->src, "dst", e->dst);
    static const char *const fields[] = {"strength",   "evidence", "first_seen",  "last_seen",
                                         "calls",      "errors",   "error_ratio", "rate_per_s",
                                         "latency_ms", "lag_s"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(e->attrs, fields[i]);
        if (v)
            json_object_set(o, fields[i], v);
    }
    json_t *st = json_object_get(e->attrs, "status");
    json_object_set_new(o, "status", json_is_string(st) ? json_incref(st) : json_null());
    return o;
}

/* attrs time key as µs; false when absent or unreadable */
static bool attr_time(const struct ls_edge *e, const char *key, int64_t *out)
{
    json_t *v = json_object_get(e->attrs, key);
    struct ls_err ignored;
    return json_is_string(v) && ls_time_parse_rfc3339(out, json_string_value(v), &ignored) == 0;
}

static const char *edge_status(const struct ls_edge *e)
{
    json_t *st = json_object_get(e->attrs, "status");
    return json_is_string(st) ? json_string_value(st) : "inferred";
}

void ls_h_dependencies(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"from", "to", "min_strength", "status", NULL};
    struct ls_err err;
    bool has_from, has_to;
    int64_t from = 0, to = 0;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_time(req, "from", &has_from, &from, &err) ||
        ls_req_time(req, "to", &has_to, &to, &err))
        ERR_OUT(resp, err);
    double min_strength = 0.0;
    const char *ms = ls_req_query(req, "min_strength"), *status = ls_req_query(req, "status");
    if (ms) {
        char *end;
        min_strength = strtod(ms, &end);
        if (end == ms || *end || !(min_strength >= 0.0 && min_strength <= 1.0)) {
            ls_resp_error_status(resp, 400, "invalid_parameter",
                                 "min_strength: expected a number in [0, 1]");
            return;
        }
    }
    if (status && strcmp(status, "inferred") && strcmp(status, "confirmed") &&
        strcmp(status, "rejected") && strcmp(status, "all")) {
        ls_resp_error_status(resp, 400, "invalid_parameter",
                             "status: expected inferred, confirmed, rejected or all");
        return;
    }
    if (has_from && has_to && to < from) {
        ls_resp_error_status(resp, 400, "invalid_parameter", "to: before from");
        return;
    }
    json_t *deps = json_array();
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    struct ls_edge_filter f = {NULL, NULL, LS_EDGE_DEPENDS_ON};
    const struct ls_edge *page[256];
    char after[2048] = "";
    bool more = true;
    int rc = LS_OK;
    while (more && rc == LS_OK) {
        size_t got;
        rc = ls_snap_list_edges(s, &f, after[0] ? after : NULL, 256, page, &got, &more, &err);
        for (size_t i = 0; rc == LS_OK && i < got; i++) {
            const struct ls_edge *e = page[i];
            if (e->esource != LS_ESRC_INFERRED)
                continue;
            const char *st = edge_status(e);
            /* by default what stands: inferred and confirmed, not rejected */
            if (status ? strcmp(status, "all") && strcmp(status, st) : strcmp(st, "rejected") == 0)
                continue;
            double strength = json_number_value(json_object_get(e->attrs, "strength"));
            int64_t first, last;
            if (strength < min_strength)
                continue;
            /* evidence overlapping [from, to] */
            if (has_to && attr_time(e, "first_seen", &first) && first > to)
                continue;
            if (has_from && attr_time(e, "last_seen", &last) && last < from)
                continue;
            json_array_append_new(deps, entry(e));
        }
        if (got)
            ls_edge_key(page[got - 1]->src, page[got - 1]->type, page[got - 1]->dst, after,
                        sizeof(after));
    }
    uint64_t rev = ls_snap_revision(s);
    ls_snap_release(s);
    if (rc != LS_OK) {
        json_decref(deps);
        ERR_OUT(resp, err);
    }
    json_t *dev =
        req->ctx->depinfer ? ls_depinfer_deviations_json(req->ctx->depinfer) : json_array();
    ls_resp_json_new(resp, 200,
                     json_pack("{s:o,s:o,s:I}", "dependencies", deps, "deviations", dev, "revision",
                               (json_int_t)rev));
}

/* ---- the metric pass ---- */

/* The newest sample time of a node's live telemetry (µs), 0 when it has none. */
static int64_t newest_sample(json_t *metrics)
{
    int64_t best = 0, t;
    const char *k;
    json_t *m;
    struct ls_err ignored;
    json_object_foreach(metrics, k, m)
    {
        json_t *tv = json_object_get(m, "time");
        if (json_is_string(tv) && ls_time_parse_rfc3339(&t, json_string_value(tv), &ignored) == 0 &&
            t > best)
            best = t;
    }
    return best;
}

struct mseries {
    char *node, *metric;
    double *v;
};

int ls_dep_metrics_pass(struct ls_ctx *ctx, size_t *n_links, struct ls_err *err)
{
    size_t links_found = 0, n_nodes = 0, n_series = 0, cap = 0;
    int rc = LS_OK;
    if (n_links)
        *n_links = 0;
    if (ctx->depinfer == NULL || ctx->rollup == NULL)
        return LS_OK;
    size_t flushed;
    rc = ls_store_rollups_flush(ctx->store, ctx->rollup, ls_time_now_us(), &flushed, err);
    if (rc != LS_OK)
        return rc;
    /* the nodes with telemetry (bounded) and the data clock */
    char **ids = ls_xcalloc(LS_DEP_METRICS_MAX_NODES, sizeof(*ids));
    int64_t clock = 0;
    struct ls_snap *s = ls_graph_snap(ctx->graph);
    struct ls_node_filter f = {NULL, -1, NULL, NULL, NULL, NULL, 0};
    const struct ls_node *page[256];
    bool more = true;
    char after[1024] = "";
    while (more && rc == LS_OK && n_nodes < LS_DEP_METRICS_MAX_NODES) {
        size_t got;
        rc = ls_snap_list_nodes(s, &f, after[0] ? after : NULL, 256, page, &got, &more, err);
        for (size_t i = 0; rc == LS_OK && i < got && n_nodes < LS_DEP_METRICS_MAX_NODES; i++) {
            json_t *m = ls_telemetry_node_json(ctx->telemetry, page[i]->id, NULL, 0, 0);
            if (m) {
                int64_t t = newest_sample(m);
                clock = t > clock ? t : clock;
                ids[n_nodes++] = ls_xstrdup(page[i]->id);
                json_decref(m);
            }
        }
        if (got)
            snprintf(after, sizeof(after), "%s", page[got - 1]->id);
    }
    ls_snap_release(s);
    /* each node's rollups on one grid of points ending at the clock */
    const size_t points = LS_DEP_METRICS_WINDOW_S / LS_DEP_METRICS_STEP_S;
    const int64_t step_us = LS_DEP_METRICS_STEP_S * 1000000LL;
    int64_t to = clock - clock % step_us + step_us, from = to - (int64_t)points * step_us;
    struct mseries *ms = NULL;
    for (size_t i = 0; rc == LS_OK && clock && i < n_nodes; i++) {
        json_t *r = NULL;
        rc = ls_store_rollups_query(ctx->store, ids[i], NULL, from, to, LS_DEP_METRICS_STEP_S, &r,
                                    err);
        const char *metric;
        json_t *series;
        json_object_foreach(r, metric, series)
        {
            if (n_series == cap) {
                cap = cap ? 2 * cap : 64;
                ms = ls_xrealloc(ms, cap * sizeof(*ms));
            }
            struct mseries *x = &ms[n_series++];
            x->node = ids[i];
            x->metric = ls_xstrdup(metric);
            x->v = ls_xmalloc(points * sizeof(*x->v));
            for (size_t k = 0; k < points; k++)
                x->v[k] = NAN;
            size_t j;
            json_t *pt;
            json_array_foreach(json_object_get(series, "points"), j, pt)
            {
                int64_t t;
                struct ls_err ignored;
                if (ls_time_parse_rfc3339(&t, json_string_value(json_array_get(pt, 0)), &ignored) !=
                        0 ||
                    t < from || t >= to)
                    continue;
                x->v[(t - from) / step_us] = json_number_value(json_array_get(pt, 1));
            }
        }
        json_decref(r);
    }
    if (rc == LS_OK && n_series) {
        struct ls_depcorr_series *in = ls_xcalloc(n_series, sizeof(*in));
        for (size_t i = 0; i < n_series; i++)
            in[i] = (struct ls_depcorr_series){ms[i].node, ms[i].metric, ms[i].v, points, NULL, 0};
        struct ls_depcorr_params p;
        ls_depcorr_params_default(&p);
        p.max_nodes = LS_DEP_METRICS_MAX_NODES;
        const char **nodes;
        size_t nn, nl;
        struct ls_depcorr_link *l;
        rc = ls_depcorr_infer(in, n_series, &p, &nodes, &nn, &l, &nl, err);
        for (size_t k = 0; rc == LS_OK && k < nl; k++) {
            struct ls_err e2;
            if (ls_depinfer_add_metric_evidence(
                    ctx->depinfer, nodes[l[k].caller], nodes[l[k].callee], l[k].strength,
                    (double)l[k].lag_steps * LS_DEP_METRICS_STEP_S, clock, &e2) == LS_OK)
                links_found++;
        }
        if (rc == LS_OK) {
            free(nodes);
            free(l);
        }
        free(in);
    }
    for (size_t i = 0; i < n_series; i++) {
        free(ms[i].metric);
        free(ms[i].v);
    }
    free(ms);
    for (size_t i = 0; i < n_nodes; i++)
        free(ids[i]);
    free(ids);
    if (rc == LS_OK && links_found)
        rc = ls_dep_run(ctx, NULL, err);
    if (n_links)
        *n_links = links_found;
    return rc;
}

/* POST /v1/analytics/dependencies/infer: both passes now (metrics, then the re-inference that
 * writes them and any pending trace evidence). */
void ls_h_dependencies_infer(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    size_t links = 0, changes = 0;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_dep_metrics_pass(req->ctx, &links, &err) || ls_dep_run(req->ctx, &changes, &err))
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200,
                     json_pack("{s:I,s:b}", "metric_links", (json_int_t)links, "enabled",
                               req->ctx->depinfer != NULL));
}
