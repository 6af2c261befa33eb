/* Per-node telemetry state in a striped hash map (node id -> list of series). */
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
#include "model/rollup.h"

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

struct stripe {
    pthread_mutex_t lock;
    struct ls_map nodes; /* node id -> struct series* (list) */
    size_t n_series;
};

struct ls_telemetry {
    struct stripe s[STRIPES];
    struct ls_rollup *_Atomic rollup; /* per-minute rollups fed with what the series take */
};

void ls_telemetry_set_rollup(struct ls_telemetry *t, struct ls_rollup *r)
{
    atomic_store(&t->rollup, r);
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

struct ls_telemetry *ls_telemetry_new(void)
{
    struct ls_telemetry *t = ls_xcalloc(1, sizeof(*t));
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_init(&t->s[i].lock, NULL);
        ls_map_init(&t->s[i].nodes);
    }
    return t;
}

static void free_list(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    for (struct series *x = value; x;) {
        struct series *next = x->next;
        free(x->metric);
        free(x->series);
        free(x->key);
        free(x->unit);
        free(x);
        x = next;
    }
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
    struct series *head = ls_map_get(&st->nodes, node_id), *x = head;
    while (x && (strcmp(x->metric, metric) != 0 || strcmp(x->series, series) != 0))
        x = x->next;
    if (x == NULL) {
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
        x->next = head;
        ls_map_put(&st->nodes, node_id, x);
        st->n_series++;
    }
    enum ls_tel_applied res = LS_TEL_APPLIED;
    int64_t newest = counter && x->has_raw ? x->raw_prev_us : x->last_us;
    if ((x->count > 0 || x->has_raw) && time_us <= newest) {
        res = LS_TEL_DUPLICATE;
    } else if (counter) {
        if (!x->has_raw || value < x->raw_prev) {
            res = LS_TEL_BASELINE; /* first value, or a reset (reboot, migration) */
        } else {
            double dt = (double)(time_us - x->raw_prev_us) / 1e6;
            record(x, (value - x->raw_prev) / dt, time_us);
            to_rollup(t, node_id, x, (value - x->raw_prev) / dt, time_us);
        }
        x->raw_prev = value;
        x->raw_prev_us = time_us;
        x->has_raw = 1;
    } else {
        record(x, value, time_us);
        to_rollup(t, node_id, x, value, time_us);
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
    struct series *x = ls_map_get(&st->nodes, node_id);
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
