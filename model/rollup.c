/* Open telemetry minutes (see rollup.h): a map from "node\x1fmetric\x1fminute" to a row. */
#include "model/rollup.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/map.h"

struct ls_rollup {
    pthread_mutex_t lock;
    int64_t grace_us;
    struct ls_map index; /* key -> row index + 1 */
    struct ls_rollup_row *rows;
    size_t n, cap;
    int64_t taken_through; /* minutes ending at or before this are closed */
    int64_t max_seen;      /* the newest sample time added (the data's clock) */
    int64_t clock;         /* the data's clock from outside (the Kafka consumer's low mark) */
    bool external;         /* ... decides (else max_seen does): ls_rollup_set_clock */
    int64_t watermark;     /* ... and durable up to here */
    uint64_t added, late;
};

struct ls_rollup *ls_rollup_new(int64_t grace_us)
{
    struct ls_rollup *r = ls_xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->grace_us = grace_us;
    ls_map_init(&r->index);
    return r;
}

void ls_rollup_rows_free(struct ls_rollup_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].node_id);
        free(rows[i].metric);
        free(rows[i].unit);
    }
    free(rows);
}

void ls_rollup_free(struct ls_rollup *r)
{
    if (!r)
        return;
    ls_rollup_rows_free(r->rows, r->n);
    ls_map_cleanup(&r->index);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static void row_key(char *key, size_t cap, const char *node, const char *metric, int64_t minute)
{
    snprintf(key, cap, "%s\x1f%s\x1f%lld", node, metric, (long long)minute);
}

/* Adds to the row of (node, metric, minute), making it if needed; caller holds the lock. */
static struct ls_rollup_row *
row_for(struct ls_rollup *r, const char *node, const char *metric, const char *unit, int64_t minute)
{
    char key[768];
    row_key(key, sizeof(key), node, metric, minute);
    size_t at = (size_t)(uintptr_t)ls_map_get(&r->index, key);
    if (at)
        return &r->rows[at - 1];
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        struct ls_rollup_row *g = realloc(r->rows, r->cap * sizeof(*r->rows));
        if (!g)
            ls_oom(r->cap * sizeof(*r->rows));
        r->rows = g;
    }
    struct ls_rollup_row *x = &r->rows[r->n++];
    memset(x, 0, sizeof(*x));
    x->node_id = ls_xstrdup(node);
    x->metric = ls_xstrdup(metric);
    x->unit = ls_xstrdup(unit ? unit : "");
    x->minute_us = minute;
    ls_map_put(&r->index, key, (void *)(uintptr_t)r->n);
    return x;
}

static void merge(struct ls_rollup_row *x, uint64_t count, double min, double max, double sum)
{
    if (x->count == 0 || min < x->min)
        x->min = min;
    if (x->count == 0 || max > x->max)
        x->max = max;
    x->count += count;
    x->sum += sum;
}

bool ls_rollup_add(struct ls_rollup *r,
                   const char *node_id,
                   const char *metric,
                   const char *unit,
                   int64_t t_us,
                   double value)
{
    int64_t end = ls_minute_end(t_us);
    pthread_mutex_lock(&r->lock);
    bool ok = end > r->taken_through;
    if (t_us > r->max_seen)
        r->max_seen = t_us;
    if (ok) {
        merge(row_for(r, node_id, metric, unit, end - LS_MINUTE_US), 1, value, value, value);
        r->added++;
    } else {
        r->late++;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

size_t
ls_rollup_take(struct ls_rollup *r, int64_t now_us, struct ls_rollup_row **out, int64_t *through_us)
{
    pthread_mutex_lock(&r->lock);
    /* By the data's clock (never past the wall clock): a consumer catching up closes minutes
     * as its data passes them, and a broker outage does not close anything. */
    int64_t clock = r->external ? r->clock : r->max_seen;
    if (clock > now_us)
        clock = now_us;
    int64_t through = clock ? ls_minute_end(clock - r->grace_us) - LS_MINUTE_US : 0;
    if (through < r->taken_through)
        through = r->taken_through;
    size_t closing = 0;
    for (size_t i = 0; i < r->n; i++)
        closing += r->rows[i].minute_us + LS_MINUTE_US <= through;
    if (closing == 0) { /* most flushes: nothing closed since the last one, keep the index */
        r->taken_through = through;
        pthread_mutex_unlock(&r->lock);
        *out = NULL;
        *through_us = through;
        return 0;
    }
    struct ls_rollup_row *keep = NULL, *taken = NULL;
    size_t nk = 0, nt = 0;
    if (r->n) {
        keep = ls_xcalloc(r->n, sizeof(*keep));
        taken = ls_xcalloc(r->n, sizeof(*taken));
    }
    for (size_t i = 0; i < r->n; i++) {
        if (r->rows[i].minute_us + LS_MINUTE_US <= through)
            taken[nt++] = r->rows[i];
        else
            keep[nk++] = r->rows[i];
    }
    free(r->rows);
    r->rows = keep;
    r->n = nk;
    r->cap = nk;
    ls_map_cleanup(&r->index);
    ls_map_init(&r->index);
    char key[768];
    for (size_t i = 0; i < nk; i++) {
        row_key(key, sizeof(key), keep[i].node_id, keep[i].metric, keep[i].minute_us);
        ls_map_put(&r->index, key, (void *)(uintptr_t)(i + 1));
    }
    r->taken_through = through;
    pthread_mutex_unlock(&r->lock);
    *out = taken;
    *through_us = through;
    return nt;
}

void ls_rollup_set_clock(struct ls_rollup *r, int64_t t_us)
{
    pthread_mutex_lock(&r->lock);
    r->external = t_us != LS_ROLLUP_CLOCK_FREE;
    if (t_us > r->clock)
        r->clock = t_us;
    pthread_mutex_unlock(&r->lock);
}

void ls_rollup_flushed(struct ls_rollup *r, int64_t through_us)
{
    pthread_mutex_lock(&r->lock);
    if (through_us > r->watermark)
        r->watermark = through_us;
    pthread_mutex_unlock(&r->lock);
}

void ls_rollup_putback(struct ls_rollup *r, struct ls_rollup_row *rows, size_t n)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        struct ls_rollup_row *x =
            row_for(r, rows[i].node_id, rows[i].metric, rows[i].unit, rows[i].minute_us);
        merge(x, rows[i].count, rows[i].min, rows[i].max, rows[i].sum);
    }
    /* they are open again until written: the closed boundary goes back to the durable one */
    r->taken_through = r->watermark;
    pthread_mutex_unlock(&r->lock);
    ls_rollup_rows_free(rows, n);
}

int64_t ls_rollup_watermark(struct ls_rollup *r)
{
    pthread_mutex_lock(&r->lock);
    int64_t w = r->watermark;
    pthread_mutex_unlock(&r->lock);
    return w;
}

void ls_rollup_stats(struct ls_rollup *r, struct ls_rollup_stats *out)
{
    pthread_mutex_lock(&r->lock);
    out->added = r->added;
    out->late = r->late;
    out->open_rows = r->n;
    out->watermark_us = r->watermark;
    pthread_mutex_unlock(&r->lock);
}
