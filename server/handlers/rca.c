/* POST /v1/analytics/rca: the root-cause ranking (analytics/rca.h) over the raw samples the
 * service holds (model/samples.h) for any window inside their retention — the replay of a
 * recorded incident. Gathers each series' window and baseline values, ranks against the live
 * graph's adjacency, renders the contract shape. */
#include "analytics/rca.h"

#include <stdlib.h>
#include <string.h>

#include "common/map.h"
#include "model/samples.h"
#include "server/handlers.h"
#include "server/handlers/common.h"
#include "server/rca_request.h"

/* Window points a series must have owed, at its baseline's rate, to count as silent. */
#define SILENT_MIN 3.0

/* The values of one series in the window and in the baseline. */
struct gathered {
    char *node, *key;
    double *win, *base;
    int64_t *t_win; /* the window points' times (µs), in order */
    size_t n_win, n_base;
};

struct gather {
    struct ls_map index; /* "node\x1fkey" -> gathered index + 1 */
    struct gathered *g;
    size_t n, cap;
    bool baseline; /* filling the baseline (a series the window lacks gets n_win 0) */
};

static void key_of(char *buf, size_t cap, const char *node, const char *key)
{
    snprintf(buf, cap, "%s\x1f%s", node, key);
}

static struct gathered *add(struct gather *a, const char *node, const char *key, const char *k)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->g = ls_xrealloc(a->g, a->cap * sizeof *a->g);
    }
    struct gathered *x = &a->g[a->n++];
    *x = (struct gathered){.node = ls_xstrdup(node), .key = ls_xstrdup(key)};
    ls_map_put(&a->index, k, (void *)(uintptr_t)a->n);
    return x;
}

static void
take(const char *node, const char *key, const int64_t *t, const double *v, size_t n, void *arg)
{
    struct gather *a = arg;
    char k[1024];
    key_of(k, sizeof k, node, key);
    uintptr_t at = (uintptr_t)ls_map_get(&a->index, k);
    if (a->baseline) {
        if (at && a->g[at - 1].base)
            return; /* one call per series: cannot happen twice */
        struct gathered *x = at ? &a->g[at - 1] : add(a, node, key, k);
        x->base = ls_xmalloc(n * sizeof *x->base);
        memcpy(x->base, v, n * sizeof *v);
        x->n_base = n;
        return;
    }
    if (at)
        return; /* one call per series: cannot happen twice */
    struct gathered *x = add(a, node, key, k);
    x->win = ls_xmalloc(n * sizeof *x->win);
    memcpy(x->win, v, n * sizeof *v);
    x->t_win = ls_xmalloc(n * sizeof *x->t_win);
    memcpy(x->t_win, t, n * sizeof *t);
    x->n_win = n;
}

static void gather_cleanup(struct gather *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->g[i].node);
        free(a->g[i].key);
        free(a->g[i].win);
        free(a->g[i].t_win);
        free(a->g[i].base);
    }
    free(a->g);
    ls_map_cleanup(&a->index);
}

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
    ls_samples_prune(raw);
    struct gather a = {0};
    ls_map_init(&a.index);
    if (q.n_nodes == 0)
        ls_samples_range(raw, NULL, q.from_us, q.to_us, take, &a);
    for (size_t i = 0; i < q.n_nodes; i++)
        ls_samples_range(raw, q.nodes[i], q.from_us, q.to_us, take, &a);
    a.baseline = true;
    if (q.n_nodes == 0)
        ls_samples_range(raw, NULL, q.base_from_us, q.base_to_us, take, &a);
    for (size_t i = 0; i < q.n_nodes; i++)
        ls_samples_range(raw, q.nodes[i], q.base_from_us, q.base_to_us, take, &a);

    struct ls_snap *snap = ls_graph_snap(req->ctx->graph);
    struct ls_rca_series *s = ls_xcalloc(a.n ? a.n : 1, sizeof *s);
    size_t n = 0;
    /* points are due up to the newest one the window holds, on the data's clock: not from the
     * future, not while ingestion lags, and none at all when nothing reported (the service
     * lacked data; that is not every device dying) */
    int64_t to = q.from_us;
    for (size_t i = 0; i < a.n; i++)
        if (a.g[i].n_win && a.g[i].t_win[a.g[i].n_win - 1] > to)
            to = a.g[i].t_win[a.g[i].n_win - 1];
    if (to > q.to_us)
        to = q.to_us;
    double base_us = (double)(q.base_to_us - q.base_from_us);
    for (size_t i = 0; i < a.n; i++) {
        struct gathered *x = &a.g[i];
        if (x->n_base == 0)
            continue; /* no baseline: nothing to compare with */
        /* silent: no point since SILENT_MIN were due at its baseline's rate (a device that
         * died in the window, or before it), its node still in the graph (not deleted on
         * purpose) */
        int64_t quiet_from = x->n_win ? x->t_win[x->n_win - 1] : q.from_us;
        double due = to > quiet_from ? (double)x->n_base * (double)(to - quiet_from) / base_us : 0;
        bool silent = due >= SILENT_MIN && ls_snap_node(snap, x->node);
        if (x->n_win == 0 && !silent)
            continue;
        s[n++] = (struct ls_rca_series){.node = x->node,
                                        .metric = x->key,
                                        .win = x->win,
                                        .t_win = x->t_win,
                                        .n_win = x->n_win,
                                        .base = x->base,
                                        .n_base = x->n_base,
                                        .score = -1,
                                        .silent = silent};
    }
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    p.method = q.method;
    p.limit = q.limit;
    struct ls_rca_result r;
    int rc = ls_rca_rank(snap, s, n, &p, &r, &err);
    ls_snap_release(snap); /* the result owns copies of the ids */
    free(s);
    gather_cleanup(&a);
    ls_rca_request_cleanup(&q);
    if (rc != LS_OK)
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, ls_rca_result_json(&r));
    ls_rca_result_cleanup(&r);
}
