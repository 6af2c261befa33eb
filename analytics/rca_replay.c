/* The ranking over stored samples (rca_replay.h): each series' window values and its
 * baseline, gathered in one sweep of the store (each series visited once with both), then
 * ranked. The baseline is summarised as it is read (ls_rca_summarise: the same evidence
 * as its values), so an hour of 1 s points costs 40 bytes per series, not 28 KB. A gathered
 * series costs no allocation of its own: its names, window values and times go to a pool of
 * 2 MiB blocks that never move (common/bigmem.h: kept for the next request). A large store is
 * swept in parts on up to REPLAY_THREADS threads (one per core, common/par.h), each gathering
 * into its own records; taken in part order they are what one sweep gives, so the ranking is
 * the same. */
#include "analytics/rca_replay.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigmem.h"
#include "common/map.h"
#include "common/par.h"

/* sweeping threads at most when automatic (the caller's included), and the series held below
 * which one thread sweeps alone */
#define REPLAY_THREADS      4
#define REPLAY_PARALLEL_MIN 16384
_Static_assert(LS_PAR_MAX <= LS_SAMPLES_MAX_PARTS, "a sweeping thread sweeps one part");

/* Bytes that stay where they are until the pool is freed: names, and window values with
 * their times. Nothing in it grows, so nothing is copied twice. */
struct pool_block {
    struct pool_block *next;
    size_t used, cap;
    char data[];
};
_Static_assert(offsetof(struct pool_block, data) % sizeof(double) == 0, "values aligned");

/* bytes (rounded up to a whole double) that stay where they are */
static void *pool_take(struct pool_block **head, size_t bytes)
{
    bytes = (bytes + sizeof(double) - 1) & ~(sizeof(double) - 1);
    struct pool_block *b = *head;
    if (!b || b->cap - b->used < bytes) {
        size_t page = LS_BIG_PAGE_ARRAY - sizeof *b; /* a block: one 2 MiB page (bigmem.h) */
        size_t cap = bytes > page ? bytes : page;
        b = ls_big_alloc(sizeof *b + cap);
        *b = (struct pool_block){.next = *head, .cap = cap};
        *head = b;
    }
    void *out = b->data + b->used;
    b->used += bytes;
    return out;
}

static char *pool_copy(struct pool_block **head, const char *s, size_t len)
{
    char *out = pool_take(head, len + 1);
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

static void pool_free(struct pool_block *b)
{
    while (b) {
        struct pool_block *next = b->next;
        ls_big_free(b);
        b = next;
    }
}

/* One series: its window values (their times right after them, in the pool), and its
 * baseline. */
struct gathered {
    const char *node, *key; /* in the pool */
    double *win;  /* n_win values, then n_win times (int64_t), in the values pool; or NULL */
    size_t n_win; /* values (and times) of the window */
    struct ls_rca_summary base; /* of its baseline points */
    int64_t base_span;          /* from its first baseline point to its last (µs) */
};

static int64_t *times_of(const struct gathered *x)
{
    return (int64_t *)(void *)(x->win + x->n_win);
}

struct gather {
    const struct ls_rca_params *p;
    double *scratch; /* for summarising a baseline */
    size_t cap_scratch;
    struct pool_block *pool;   /* names: together, for the lookups of the ranking's id map */
    struct pool_block *values; /* window values and times */
    struct gathered *g;
    size_t n, cap;
    int64_t newest; /* the newest window point of any series asked for (baseline or not) */
};

enum { WIN = 0, BASE = 1 }; /* the spans swept */

static void take(const char *node,
                 const char *key,
                 const int64_t *const *t,
                 const double *const *v,
                 const size_t *n,
                 void *arg)
{
    struct gather *a = arg;
    if (n[WIN] && t[WIN][n[WIN] - 1] > a->newest)
        a->newest = t[WIN][n[WIN] - 1];
    if (n[BASE] == 0)
        return; /* without a baseline there is nothing to compare with */
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1024;
        a->g = ls_big_realloc(a->g, a->cap * sizeof *a->g);
    }
    struct gathered *x = &a->g[a->n++];
    *x = (struct gathered){.node = pool_copy(&a->pool, node, strlen(node)),
                           .key = pool_copy(&a->pool, key, strlen(key)),
                           .n_win = n[WIN],
                           .base_span = t[BASE][n[BASE] - 1] - t[BASE][0]};
    if (n[BASE] > a->cap_scratch) {
        a->cap_scratch = n[BASE];
        a->scratch = ls_xrealloc(a->scratch, n[BASE] * sizeof *a->scratch);
    }
    ls_rca_summarise(v[BASE], n[BASE], key, a->p, a->scratch, &x->base);
    if (n[WIN] == 0)
        return; /* silent, maybe: its window arrays may not exist */
    _Static_assert(sizeof(double) == sizeof(int64_t), "times fit where values do");
    x->win = pool_take(&a->values, 2 * n[WIN] * sizeof(double));
    memcpy(x->win, v[WIN], n[WIN] * sizeof *v[WIN]);
    memcpy(times_of(x), t[WIN], n[WIN] * sizeof *t[WIN]);
}

static void gather_cleanup(struct gather *a)
{
    pool_free(a->pool);
    pool_free(a->values);
    free(a->scratch);
    ls_big_free(a->g);
}

/* The store swept in parts, each into its own records. */
struct sweep {
    struct gather part[LS_PAR_MAX];
    size_t n_parts;
    struct ls_samples *raw;
    const struct ls_map *only; /* the nodes asked for, or NULL */
    const int64_t (*spans)[2];
};

static void sweep_part(size_t k, void *arg)
{
    struct sweep *sw = arg;
    ls_samples_range_spans_part(sw->raw, sw->only, sw->spans, 2, k, sw->n_parts, take,
                                &sw->part[k]);
}

int ls_rca_replay_rank(struct ls_samples *raw,
                       const struct ls_snap *snap,
                       const struct ls_rca_replay *w,
                       const struct ls_rca_params *p,
                       struct ls_rca_result *out,
                       struct ls_err *err)
{
    /* the nodes asked for are a set the store checks per series before it reads its points:
     * one sweep of the store, not one per node (read by every sweeping thread, written by
     * none) */
    struct ls_map only;
    ls_map_init_borrowing(&only); /* w->nodes outlive the call */
    for (size_t i = 0; w->nodes && i < w->n_nodes; i++)
        ls_map_put(&only, w->nodes[i], &only);
    struct ls_rca_params defaults;
    if (!p) {
        ls_rca_params_default(&defaults);
        p = &defaults;
    }
    struct ls_samples_stats st;
    ls_samples_stats(raw, &st);
    const int64_t spans[2][2] = {
        [WIN] = {w->from_us, w->to_us}, [BASE] = {w->base_from_us, w->base_to_us}};
    struct sweep sw = {.n_parts =
                           ls_par_parts(p->threads, st.series, REPLAY_PARALLEL_MIN, REPLAY_THREADS),
                       .raw = raw,
                       .only = w->nodes ? &only : NULL,
                       .spans = spans};
    for (size_t k = 0; k < sw.n_parts; k++) {
        struct gather *a = &sw.part[k];
        *a = (struct gather){.p = p, .newest = INT64_MIN};
        /* about one record per series held, spread over the parts */
        a->cap = st.series / sw.n_parts + st.series / (4 * sw.n_parts) + 64;
        a->g = ls_big_alloc(a->cap * sizeof *a->g);
    }
    ls_par_run(sw.n_parts, sweep_part, &sw);
    size_t n_gathered = 0;
    int64_t newest = INT64_MIN;
    for (size_t k = 0; k < sw.n_parts; k++) {
        n_gathered += sw.part[k].n;
        if (sw.part[k].newest > newest)
            newest = sw.part[k].newest;
    }
    ls_map_cleanup(&only);

    /* not zeroed: each s[n++] is written whole */
    struct ls_rca_series *s = ls_big_alloc((n_gathered ? n_gathered : 1) * sizeof *s);
    size_t n = 0;
    /* points are due up to the newest one the window holds, on the data's clock: not from the
     * future, not while ingestion lags, and none at all when nothing reported (the service
     * lacked data; that is not every device dying) */
    int64_t to = newest > w->from_us ? newest : w->from_us;
    if (to > w->to_us)
        to = w->to_us;
    double base_us = (double)(w->base_to_us - w->base_from_us);
    for (size_t k = 0; k < sw.n_parts; k++) {
        struct gather *a = &sw.part[k];
        for (size_t i = 0; i < a->n; i++) {
            struct gathered *x = &a->g[i];
            /* silent: no point since LS_RCA_SILENT_MIN were due at its baseline's rate (a
             * device that died in the window, or before it), its node still in the graph (not
             * deleted on purpose). The rate is over the stretch its baseline points cover: a
             * series younger than the baseline window reports as often as it did, not as
             * often as if it had spread those points over the whole window */
            int64_t quiet_from = x->n_win ? times_of(x)[x->n_win - 1] : w->from_us;
            double per_us = x->base.n >= 2 && x->base_span > 0
                                ? (double)(x->base.n - 1) / (double)x->base_span
                                : (double)x->base.n / base_us;
            double due = to > quiet_from ? per_us * (double)(to - quiet_from) : 0;
            bool silent = due >= LS_RCA_SILENT_MIN && snap && ls_snap_node(snap, x->node);
            if (x->n_win == 0 && !silent)
                continue;
            s[n++] = (struct ls_rca_series){.node = x->node,
                                            .metric = x->key,
                                            .win = x->n_win ? x->win : NULL,
                                            .t_win = x->n_win ? times_of(x) : NULL,
                                            .n_win = x->n_win,
                                            .summary = &x->base,
                                            .score = -1,
                                            .silent = silent};
        }
    }
    int rc = ls_rca_rank(snap, s, n, p, out, err);
    ls_big_free(s);
    for (size_t k = 0; k < sw.n_parts; k++)
        gather_cleanup(&sw.part[k]);
    return rc;
}
