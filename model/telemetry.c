/* Per-node telemetry state in a striped hash map (node id -> its series). Bounded: at most
 * max_series series per node (a new one beyond is refused and counted), and a node's state
 * goes when the node is deleted from the graph it follows. */
#include "model/telemetry.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/map.h"
#include "common/time.h"
#include "model/graph.h"
#include "model/rollup.h"
#include "model/samples.h"

#define STRIPES    16
#define EWMA_ALPHA 0.2

struct series {
    char *metric, *series, *unit;
    char *key; /* "metric[/series]": the name node_json and the rollups give it */
    double last, mean, var;
    int64_t last_us;
    uint64_t count;
    double raw_prev; /* counters: the last cumulative value */
    int64_t raw_prev_us;
    int has_raw;
    int ring_n, ring_head;
    double ring_v[LS_TEL_RING];
    int64_t ring_t[LS_TEL_RING];
    struct series *next;
};

/* One node's state. */
struct nstate {
    struct series *head; /* newest series first */
    size_t n;            /* series in the list */
};

struct stripe {
    pthread_mutex_t lock;
    struct ls_map nodes; /* node id -> struct nstate* */
    size_t n_series;
};

struct ls_telemetry {
    struct stripe s[STRIPES];
    struct ls_rollup *_Atomic rollup; /* per-minute rollups fed with what the series take */
    struct ls_samples *_Atomic raw;   /* raw points kept for replay, or NULL */
    _Atomic size_t max_series;        /* per node; 0 = no bound */
    struct ls_graph *_Atomic graph;   /* followed: state only for its live nodes; or NULL */
    _Atomic uint64_t refused[LS_TEL_REFUSED_REASONS];
    ls_tel_observer observer; /* set before writers start (ls_telemetry_set_observer) */
    void *observer_arg;
};

static const char *const refused_names[LS_TEL_REFUSED_REASONS] = {"series_limit", "unknown_node"};

void ls_telemetry_set_rollup(struct ls_telemetry *t, struct ls_rollup *r)
{
    atomic_store(&t->rollup, r);
}

void ls_telemetry_set_samples(struct ls_telemetry *t, struct ls_samples *s)
{
    atomic_store(&t->raw, s);
}

void ls_telemetry_set_observer(struct ls_telemetry *t, ls_tel_observer fn, void *arg)
{
    t->observer = fn;
    t->observer_arg = arg;
}

/* The value a series took goes to the open minute too (the key as node_json shows it). */
static void to_rollup(
    struct ls_telemetry *t, const char *node_id, const struct series *x, double v, int64_t time_us)
{
    struct ls_rollup *r = atomic_load(&t->rollup);
    if (!r)
        return;
    ls_rollup_add(r, node_id, x->key, x->unit, time_us, v);
}

/* What a series took: to the open minute and to the observer. */
static void
took(struct ls_telemetry *t, const char *node_id, const struct series *x, double v, int64_t time_us)
{
    to_rollup(t, node_id, x, v, time_us);
    if (t->observer)
        t->observer(node_id, x->key, v, time_us, t->observer_arg);
}

/* True when no graph is followed or its current revision has the node. Called under the
 * node's stripe lock, so a deletion's forget (same lock, after the deletion is visible) either
 * runs after this state is made, and frees it, or before, and this check sees the deletion. */
static bool node_alive(struct ls_telemetry *t, const char *node_id)
{
    struct ls_graph *g = atomic_load(&t->graph);
    if (g == NULL)
        return true;
    struct ls_snap *s = ls_graph_snap(g);
    bool alive = ls_snap_node(s, node_id) != NULL;
    ls_snap_release(s);
    return alive;
}

struct ls_telemetry *ls_telemetry_new(void)
{
    struct ls_telemetry *t = ls_xcalloc(1, sizeof(*t));
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_init(&t->s[i].lock, NULL);
        ls_map_init(&t->s[i].nodes);
    }
    return t;
}

static void nstate_free(struct nstate *ns)
{
    if (ns == NULL)
        return;
    for (struct series *x = ns->head; x;) {
        struct series *next = x->next;
        free(x->metric);
        free(x->series);
        free(x->key);
        free(x->unit);
        free(x);
        x = next;
    }
    free(ns);
}

static void free_list(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    nstate_free(value);
}

void ls_telemetry_free(struct ls_telemetry *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < STRIPES; i++) {
        ls_map_foreach(&t->s[i].nodes, free_list, NULL);
        ls_map_cleanup(&t->s[i].nodes);
        pthread_mutex_destroy(&t->s[i].lock);
    }
    free(t);
}

static struct stripe *stripe_of(struct ls_telemetry *t, const char *node_id)
{
    return &t->s[ls_hash_str(node_id) % STRIPES];
}

static void record(struct series *x, double v, int64_t t)
{
    x->count++;
    if (x->count == 1) {
        x->mean = v;
        x->var = 0;
    } else {
        double d = v - x->mean;
        x->mean += EWMA_ALPHA * d;
        x->var = (1 - EWMA_ALPHA) * (x->var + EWMA_ALPHA * d * d);
        /* finite values far apart (1e308 after -1e308, or d * d past 1e308) would make the
         * statistics infinite, and JSON has no infinity: start them again from this value */
        if (!isfinite(x->mean) || !isfinite(x->var)) {
            x->mean = v;
            x->var = 0;
        }
    }
    x->last = v;
    x->last_us = t;
    x->ring_v[x->ring_head] = v;
    x->ring_t[x->ring_head] = t;
    x->ring_head = (x->ring_head + 1) % LS_TEL_RING;
    if (x->ring_n < LS_TEL_RING)
        x->ring_n++;
}

enum ls_tel_applied ls_telemetry_apply(struct ls_telemetry *t,
                                       const char *node_id,
                                       const char *metric,
                                       const char *series,
                                       const char *unit,
                                       int counter,
                                       double value,
                                       int64_t time_us)
{
    struct stripe *st = stripe_of(t, node_id);
    pthread_mutex_lock(&st->lock);
    struct nstate *ns = ls_map_get(&st->nodes, node_id);
    struct series *x = ns ? ns->head : NULL;
    while (x && (strcmp(x->metric, metric) != 0 || strcmp(x->series, series) != 0))
        x = x->next;
    if (x == NULL) {
        int why = -1;
        size_t max = atomic_load(&t->max_series);
        if (ns == NULL && !node_alive(t, node_id))
            why = LS_TEL_REFUSED_UNKNOWN_NODE;
        else if (ns && max && ns->n >= max)
            why = LS_TEL_REFUSED_SERIES_LIMIT;
        if (why >= 0) {
            atomic_fetch_add(&t->refused[why], 1);
            pthread_mutex_unlock(&st->lock);
            return LS_TEL_REFUSED;
        }
        if (ns == NULL) {
            ns = ls_xcalloc(1, sizeof(*ns));
            ls_map_put(&st->nodes, node_id, ns);
        }
        x = ls_xcalloc(1, sizeof(*x));
        x->metric = ls_xstrdup(metric);
        x->series = ls_xstrdup(series);
        struct ls_buf k;
        ls_buf_init(&k, 0);
        if (ls_buf_printf(&k, "%s%s%s", metric, series[0] ? "/" : "", series) != LS_OK)
            ls_oom(k.len);
        x->key = ls_buf_take(&k);
        char u[64];
        snprintf(u, sizeof(u), "%s%s", unit, counter ? "/s" : "");
        x->unit = ls_xstrdup(u);
        x->next = ns->head;
        ns->head = x;
        ns->n++;
        st->n_series++;
    }
    /* the raw store takes every point, past ones included (a replay of older data) */
    struct ls_samples *raw = atomic_load(&t->raw);
    if (raw)
        ls_samples_add(raw, node_id, x->key, counter, value, time_us);
    enum ls_tel_applied res = LS_TEL_APPLIED;
    int64_t newest = counter && x->has_raw ? x->raw_prev_us : x->last_us;
    if ((x->count > 0 || x->has_raw) && time_us <= newest) {
        res = LS_TEL_DUPLICATE;
    } else if (counter) {
        double dt = (double)(time_us - x->raw_prev_us) / 1e6;
        double rate = x->has_raw ? (value - x->raw_prev) / dt : 0;
        /* first value, a reset (reboot, migration), or a jump no double can hold as a rate */
        if (!x->has_raw || value < x->raw_prev || !isfinite(rate)) {
            res = LS_TEL_BASELINE;
        } else {
            record(x, rate, time_us);
            took(t, node_id, x, rate, time_us);
        }
        x->raw_prev = value;
        x->raw_prev_us = time_us;
        x->has_raw = 1;
    } else {
        record(x, value, time_us);
        took(t, node_id, x, value, time_us);
    }
    pthread_mutex_unlock(&st->lock);
    return res;
}

json_t *ls_telemetry_node_json_step(struct ls_telemetry *t,
                                    const char *node_id,
                                    const char *metric,
                                    int64_t from,
                                    int64_t to,
                                    int64_t step_us)
{
    struct stripe *st = stripe_of(t, node_id);
    pthread_mutex_lock(&st->lock);
    struct nstate *ns = ls_map_get(&st->nodes, node_id);
    struct series *x = ns ? ns->head : NULL;
    json_t *o = x ? json_object() : NULL;
    char ts[40];
    for (; x; x = x->next) {
        if (metric && strncmp(x->metric, metric, strlen(metric)) != 0)
            continue;
        if (x->count == 0)
            continue; /* a counter with its baseline only */
        json_t *recent = json_array();
        int64_t b_start = 0;
        double b_sum = 0, b_min = 0, b_max = 0;
        int b_n = 0;
        for (int i = 0; i <= x->ring_n; i++) {
            int k = (x->ring_head - x->ring_n + i + LS_TEL_RING) % LS_TEL_RING;
            bool end = i == x->ring_n;
            if (!end && ((from && x->ring_t[k] < from) || (to && x->ring_t[k] > to)))
                continue;
            if (step_us <= 0) {
                if (!end)
                    json_array_append_new(
                        recent,
                        json_pack("[s,f]", ls_time_format_rfc3339(x->ring_t[k], ts, sizeof(ts)),
                                  x->ring_v[k]));
                continue;
            }
            int64_t b = end ? 0 : x->ring_t[k] - ((x->ring_t[k] % step_us) + step_us) % step_us;
            if (b_n && (end || b != b_start)) { /* the bucket is complete */
                json_array_append_new(recent,
                                      json_pack("[s,f,f,f,i]",
                                                ls_time_format_rfc3339(b_start, ts, sizeof(ts)),
                                                b_sum / b_n, b_min, b_max, b_n));
                b_n = 0;
            }
            if (end)
                break;
            if (b_n == 0) {
                b_start = b;
                b_sum = 0;
                b_min = b_max = x->ring_v[k];
            }
            b_sum += x->ring_v[k];
            b_min = x->ring_v[k] < b_min ? x->ring_v[k] : b_min;
            b_max = x->ring_v[k] > b_max ? x->ring_v[k] : b_max;
            b_n++;
        }
        json_object_set_new(o, x->key,
                            json_pack("{s:f,s:s,s:f,s:f,s:I,s:s,s:o}", "last", x->last, "time",
                                      ls_time_format_rfc3339(x->last_us, ts, sizeof(ts)), "mean",
                                      x->mean, "stddev", sqrt(x->var), "count",
                                      (json_int_t)x->count, "unit", x->unit, "recent", recent));
    }
    pthread_mutex_unlock(&st->lock);
    return o;
}

bool ls_telemetry_mean(
    struct ls_telemetry *t, const char *node_id, const char *metric, double *mean, int64_t *time_us)
{
    struct stripe *st = stripe_of(t, node_id);
    pthread_mutex_lock(&st->lock);
    struct nstate *ns = ls_map_get(&st->nodes, node_id);
    const struct series *found = NULL;
    for (const struct series *x = ns ? ns->head : NULL; x; x = x->next) {
        if (x->count == 0 || strcmp(x->metric, metric) != 0)
            continue;
        if (!found || x->series[0] == '\0')
            found = x; /* newest first: the first is the newest; a bare one wins */
        if (x->series[0] == '\0')
            break;
    }
    if (found) {
        if (mean)
            *mean = found->mean;
        if (time_us)
            *time_us = found->last_us;
    }
    pthread_mutex_unlock(&st->lock);
    return found != NULL;
}

void ls_telemetry_counts(struct ls_telemetry *t, size_t *nodes, size_t *series)
{
    *nodes = 0;
    *series = 0;
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_lock(&t->s[i].lock);
        *nodes += t->s[i].nodes.len;
        *series += t->s[i].n_series;
        pthread_mutex_unlock(&t->s[i].lock);
    }
}

json_t *ls_telemetry_node_json(
    struct ls_telemetry *t, const char *node_id, const char *metric, int64_t from, int64_t to)
{
    return ls_telemetry_node_json_step(t, node_id, metric, from, to, 0);
}

void ls_telemetry_set_max_series(struct ls_telemetry *t, size_t max)
{
    atomic_store(&t->max_series, max);
}

void ls_telemetry_forget(struct ls_telemetry *t, const char *node_id)
{
    struct stripe *st = stripe_of(t, node_id);
    pthread_mutex_lock(&st->lock);
    struct nstate *ns = ls_map_del(&st->nodes, node_id);
    if (ns)
        st->n_series -= ns->n;
    pthread_mutex_unlock(&st->lock);
    nstate_free(ns);
}

static void on_publish(const struct ls_op *ops, size_t n, uint64_t rev, int64_t time_us, void *arg)
{
    (void)rev;
    (void)time_us;
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == LS_OP_NODE_DEL)
            ls_telemetry_forget(arg, ops[i].node->id);
}

void ls_telemetry_follow(struct ls_telemetry *t, struct ls_graph *g)
{
    LS_ASSERT(atomic_load(&t->graph) == NULL);
    ls_graph_add_listener(g, on_publish, t);
    atomic_store(&t->graph, g);
}

uint64_t ls_telemetry_refused(struct ls_telemetry *t, enum ls_tel_refused reason)
{
    return (unsigned)reason < LS_TEL_REFUSED_REASONS ? atomic_load(&t->refused[reason]) : 0;
}

const char *ls_telemetry_refused_name(enum ls_tel_refused reason)
{
    return (unsigned)reason < LS_TEL_REFUSED_REASONS ? refused_names[reason] : "";
}
