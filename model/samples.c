/* Raw samples for replay: per series a sorted array of (time, value) with a moving start, in
 * striped hash maps keyed "node\x1fkey". Appending in time order is O(1); a past sample is a
 * binary search and a move. A series is one allocation: its header, its names and its points,
 * so a sweep of the store meets one series at one place in memory (bench_rca). See samples.h. */
#include "model/samples.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/map.h"

#define STRIPES 64
#define SEP     '\x1f'

struct point {
    int64_t t;
    double v;
};

struct rseries {
    size_t start, len, cap; /* points [start, len) held, sorted by time, of cap */
    uint32_t points_at;     /* byte offset of the points: after the names, aligned */
    uint32_t key_at;        /* names + key_at is the key */
    bool counter;
    char names[]; /* the node id, NUL, the key, NUL; then the points */
};

static struct point *points(const struct rseries *r)
{
    return (struct point *)(void *)((char *)r + r->points_at); /* aligned: see series_new */
}

static const char *node_of(const struct rseries *r)
{
    return r->names;
}

static const char *key_of(const struct rseries *r)
{
    return r->names + r->key_at;
}

static struct rseries *series_new(const char *node, const char *key, bool counter)
{
    size_t nl = strlen(node), kl = strlen(key), cap = 4;
    size_t at = offsetof(struct rseries, names) + nl + kl + 2;
    at = (at + _Alignof(struct point) - 1) / _Alignof(struct point) * _Alignof(struct point);
    struct rseries *r = ls_xmalloc(at + cap * sizeof(struct point));
    *r = (struct rseries){
        .cap = cap, .points_at = (uint32_t)at, .key_at = (uint32_t)nl + 1, .counter = counter};
    memcpy(r->names, node, nl + 1);
    memcpy(r->names + nl + 1, key, kl + 1);
    return r;
}

/* Room for one more point: the series may move (the caller stores the new address). */
static struct rseries *series_grow(struct rseries *r)
{
    if (r->len < r->cap)
        return r;
    r->cap *= 2;
    return ls_xrealloc(r, r->points_at + r->cap * sizeof(struct point));
}

struct stripe {
    pthread_mutex_t lock;
    struct ls_map series; /* "node\x1fkey" -> struct rseries */
};

struct ls_samples {
    struct stripe s[STRIPES];
    int64_t retention_us;
    size_t max_points;
    _Atomic size_t points;
    _Atomic size_t n_series;
    _Atomic uint64_t refused_full;
    _Atomic int64_t newest_us;
};

struct ls_samples *ls_samples_new(int64_t retention_us, size_t max_points)
{
    struct ls_samples *s = ls_xcalloc(1, sizeof *s);
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_init(&s->s[i].lock, NULL);
        ls_map_init(&s->s[i].series);
    }
    s->retention_us = retention_us > 0 ? retention_us : 1;
    s->max_points = max_points ? max_points : 1;
    return s;
}

static void free_series(const char *k, void *v, void *arg)
{
    (void)k;
    (void)arg;
    free(v);
}

void ls_samples_free(struct ls_samples *s)
{
    if (!s)
        return;
    for (int i = 0; i < STRIPES; i++) {
        ls_map_foreach(&s->s[i].series, free_series, NULL);
        ls_map_cleanup(&s->s[i].series);
        pthread_mutex_destroy(&s->s[i].lock);
    }
    free(s);
}

static int64_t horizon(struct ls_samples *s)
{
    int64_t n = atomic_load(&s->newest_us);
    return n > INT64_MIN + s->retention_us ? n - s->retention_us : INT64_MIN;
}

/* Drops the series' points before h; returns how many. Stripe lock held. */
static size_t trim(struct rseries *r, int64_t h)
{
    struct point *p = points(r);
    size_t k = r->start;
    while (k < r->len && p[k].t < h)
        k++;
    size_t dropped = k - r->start;
    r->start = k;
    if (r->start > 0 && r->start * 2 >= r->len) { /* compact once half is dead */
        memmove(p, p + r->start, (r->len - r->start) * sizeof *p);
        r->len -= r->start;
        r->start = 0;
    }
    return dropped;
}

enum ls_samples_added ls_samples_add(struct ls_samples *s,
                                     const char *node_id,
                                     const char *key,
                                     bool counter,
                                     double value,
                                     int64_t t_us)
{
    if (!isfinite(value))
        return LS_SAMPLES_INVALID;
    int64_t newest = atomic_load(&s->newest_us);
    while (t_us > newest && !atomic_compare_exchange_weak(&s->newest_us, &newest, t_us))
        ;
    int64_t h = horizon(s);
    if (t_us < h)
        return LS_SAMPLES_EXPIRED;
    size_t nl = strlen(node_id), kl = strlen(key);
    char stack[256];
    char *k = nl + kl + 2 <= sizeof stack ? stack : ls_xmalloc(nl + kl + 2);
    memcpy(k, node_id, nl);
    k[nl] = SEP;
    memcpy(k + nl + 1, key, kl + 1);
    struct stripe *st = &s->s[ls_hash_str(k) % STRIPES];
    enum ls_samples_added res = LS_SAMPLES_ADDED;
    pthread_mutex_lock(&st->lock);
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&st->series, k, &added);
    if (added) {
        e->value = series_new(node_id, key, counter);
        atomic_fetch_add(&s->n_series, 1);
    }
    struct rseries *r = e->value;
    atomic_fetch_sub(&s->points, trim(r, h));
    struct point *p = points(r);
    /* where the point goes: after every point not later than it */
    size_t lo = r->start, hi = r->len;
    if (hi > lo && p[hi - 1].t < t_us)
        lo = hi; /* the usual case: in time order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].t <= t_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > r->start && p[lo - 1].t == t_us)
        res = LS_SAMPLES_DUPLICATE;
    else if (atomic_load(&s->points) >= s->max_points) {
        atomic_fetch_add(&s->refused_full, 1);
        res = LS_SAMPLES_FULL;
    } else {
        e->value = r = series_grow(r);
        p = points(r);
        memmove(p + lo + 1, p + lo, (r->len - lo) * sizeof *p);
        p[lo] = (struct point){t_us, value};
        r->len++;
        atomic_fetch_add(&s->points, 1);
    }
    pthread_mutex_unlock(&st->lock);
    if (k != stack)
        free(k);
    return res;
}

struct range_arg {
    const struct ls_map *only; /* the nodes visited, or NULL: all */
    const int64_t (*spans)[2];
    size_t n_spans;
    ls_samples_visit_spans fn;
    void *arg;
    int64_t *t[LS_SAMPLES_MAX_SPANS];
    double *v[LS_SAMPLES_MAX_SPANS];
    size_t cap[LS_SAMPLES_MAX_SPANS];
    size_t visited;
    int64_t h; /* the retention horizon: points before it are not read, pruned yet or not */
};

/* Series r's points in [from, to) into a's buffers of span k (counters as rates), none before
 * the horizon. */
static size_t range_span(struct range_arg *a, size_t k, const struct rseries *r)
{
    int64_t from = a->spans[k][0] > a->h ? a->spans[k][0] : a->h, to = a->spans[k][1];
    const struct point *p = points(r);
    size_t lo = r->start, hi = r->len;
    while (lo < hi) { /* first point at or after from */
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].t < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < r->len && p[i].t < to; i++) {
        if (n == a->cap[k]) {
            a->cap[k] = a->cap[k] ? a->cap[k] * 2 : 256;
            a->t[k] = ls_xrealloc(a->t[k], a->cap[k] * sizeof *a->t[k]);
            a->v[k] = ls_xrealloc(a->v[k], a->cap[k] * sizeof *a->v[k]);
        }
        double v = p[i].v;
        if (r->counter) {
            if (i == r->start || p[i - 1].t < a->h)
                continue; /* no earlier point held: no rate */
            const struct point *prev = &p[i - 1];
            double dt = (double)(p[i].t - prev->t) / 1e6;
            v = (v >= prev->v ? v - prev->v : v) / dt;
            if (!isfinite(v))
                continue;
        }
        a->t[k][n] = p[i].t;
        a->v[k][n] = v;
        n++;
    }
    return n;
}

static void range_one(const char *k, void *value, void *argp)
{
    (void)k;
    struct range_arg *a = argp;
    struct rseries *r = value;
    if (a->only && !ls_map_get(a->only, node_of(r)))
        return;
    size_t n[LS_SAMPLES_MAX_SPANS], any = 0;
    for (size_t i = 0; i < a->n_spans; i++)
        any += n[i] = range_span(a, i, r);
    if (any == 0)
        return;
    a->fn(node_of(r), key_of(r), (const int64_t *const *)a->t, (const double *const *)a->v, n,
          a->arg);
    a->visited++;
}

size_t ls_samples_range_spans_part(struct ls_samples *s,
                                   const struct ls_map *nodes,
                                   const int64_t (*spans)[2],
                                   size_t n_spans,
                                   size_t part,
                                   size_t n_parts,
                                   ls_samples_visit_spans fn,
                                   void *arg)
{
    _Static_assert(LS_SAMPLES_MAX_PARTS <= STRIPES, "a part is one stripe or more");
    if (n_spans < 1 || n_spans > LS_SAMPLES_MAX_SPANS || n_parts < 1 ||
        n_parts > LS_SAMPLES_MAX_PARTS || part >= n_parts)
        return 0;
    struct range_arg a = {
        .only = nodes, .spans = spans, .n_spans = n_spans, .fn = fn, .arg = arg, .h = horizon(s)};
    /* a part is a run of stripes, so the parts in order are the stripes in order */
    for (size_t i = part * STRIPES / n_parts; i < (part + 1) * STRIPES / n_parts; i++) {
        pthread_mutex_lock(&s->s[i].lock);
        ls_map_foreach(&s->s[i].series, range_one, &a);
        pthread_mutex_unlock(&s->s[i].lock);
    }
    for (size_t i = 0; i < n_spans; i++) {
        free(a.t[i]);
        free(a.v[i]);
    }
    return a.visited;
}

size_t ls_samples_range_spans(struct ls_samples *s,
                              const char *node_id,
                              const int64_t (*spans)[2],
                              size_t n_spans,
                              ls_samples_visit_spans fn,
                              void *arg)
{
    struct ls_map one; /* node_id as a set of one */
    ls_map_init_borrowing(&one);
    if (node_id)
        ls_map_put(&one, node_id, &one);
    size_t n = ls_samples_range_spans_part(s, node_id ? &one : NULL, spans, n_spans, 0, 1, fn, arg);
    ls_map_cleanup(&one);
    return n;
}

/* ls_samples_range's visitor, called through the spans' (one span) */
struct one_span {
    ls_samples_visit fn;
    void *arg;
};

static void one_span(const char *node,
                     const char *key,
                     const int64_t *const *t,
                     const double *const *v,
                     const size_t *n,
                     void *arg)
{
    struct one_span *o = arg;
    o->fn(node, key, t[0], v[0], n[0], o->arg);
}

size_t ls_samples_range(struct ls_samples *s,
                        const char *node_id,
                        int64_t from_us,
                        int64_t to_us,
                        ls_samples_visit fn,
                        void *arg)
{
    const int64_t span[1][2] = {{from_us, to_us}};
    struct one_span o = {fn, arg};
    return ls_samples_range_spans(s, node_id, span, 1, one_span, &o);
}

struct prune_arg {
    struct ls_samples *s;
    int64_t h;
    struct rseries **empty;
    size_t n_empty, cap;
};

static void prune_one(const char *k, void *value, void *argp)
{
    (void)k;
    struct prune_arg *a = argp;
    struct rseries *r = value;
    atomic_fetch_sub(&a->s->points, trim(r, a->h));
    if (r->start == r->len) {
        if (a->n_empty == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 16;
            a->empty = ls_xrealloc(a->empty, a->cap * sizeof *a->empty);
        }
        a->empty[a->n_empty++] = r;
    }
}

void ls_samples_prune(struct ls_samples *s)
{
    struct prune_arg a = {.s = s, .h = horizon(s)};
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_lock(&s->s[i].lock);
        a.n_empty = 0;
        ls_map_foreach(&s->s[i].series, prune_one, &a);
        for (size_t k = 0; k < a.n_empty; k++) {
            struct rseries *r = a.empty[k];
            size_t nl = strlen(node_of(r)), kl = strlen(key_of(r));
            char *key = ls_xmalloc(nl + kl + 2);
            memcpy(key, node_of(r), nl);
            key[nl] = SEP;
            memcpy(key + nl + 1, key_of(r), kl + 1);
            ls_map_del(&s->s[i].series, key);
            free(key);
            free_series(NULL, r, NULL);
            atomic_fetch_sub(&s->n_series, 1);
        }
        pthread_mutex_unlock(&s->s[i].lock);
    }
    free(a.empty);
}

void ls_samples_stats(struct ls_samples *s, struct ls_samples_stats *out)
{
    out->points = atomic_load(&s->points);
    out->series = atomic_load(&s->n_series);
    out->refused_full = atomic_load(&s->refused_full);
    out->newest_us = atomic_load(&s->newest_us);
    out->retention_us = s->retention_us;
    out->max_points = s->max_points;
}
