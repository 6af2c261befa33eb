/* Detectors per (node, series) and node colours (watch.h). One mutex: feeds come from the
 * telemetry path, reads from request threads; both are short. */
#include "analytics/watch.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct series {
    char metric[LS_WATCH_METRIC_MAX];
    struct ls_anomaly d;
    int64_t last;                     /* µs, latest accepted sample */
    struct ls_anomaly_result verdict; /* of that sample */
    /* the verdicts of its last LS_WATCH_HOLD_MAX samples (ring, newest at head - 1): the
     * worst of the last hold_samples within hold_us speaks for the series (colour.h) */
    struct ls_anomaly_result recent[LS_WATCH_HOLD_MAX];
    int64_t recent_t[LS_WATCH_HOLD_MAX];
    unsigned head, n_recent;
    /* a level that moved (colour.h shift_us): the expected range when the series turned red,
     * the signed distance its value was out of it then (< 0 below), and since when (0: none) */
    double shift_lo, shift_hi, shift_out;
    int64_t shift_since;
};

struct node_state {
    size_t n, cap;
    struct series *s;
    bool dirty;           /* fed since the last sweep (and listed in w->dirty) */
    bool swept;           /* shown is set */
    enum ls_colour shown; /* colour at the last sweep */
    double shown_score;
};

struct ls_watch {
    pthread_mutex_t mu;
    struct ls_map nodes; /* node id -> struct node_state * */
    struct ls_anomaly_params ap;
    struct ls_colour_params cp;
    size_t max_series;
    int64_t now;
    uint64_t refused;
    char **dirty; /* ids of the nodes fed since the last sweep (owned) */
    size_t n_dirty, cap_dirty;
};

struct ls_watch *ls_watch_new(const struct ls_anomaly_params *ap,
                              const struct ls_colour_params *cp,
                              size_t max_series_per_node)
{
    struct ls_watch *w = ls_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    ls_map_init(&w->nodes);
    w->ap = *ap;
    w->cp = *cp;
    w->max_series = max_series_per_node ? max_series_per_node : 64;
    return w;
}

static void free_node(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    struct node_state *n = value;
    free(n->s);
    free(n);
}

void ls_watch_free(struct ls_watch *w)
{
    if (!w)
        return;
    ls_map_foreach(&w->nodes, free_node, NULL);
    ls_map_cleanup(&w->nodes);
    for (size_t i = 0; i < w->n_dirty; i++)
        free(w->dirty[i]);
    free(w->dirty);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* The node's series named metric, made when absent (NULL beyond the bound). */
static struct series *series_of(struct ls_watch *w, const char *node, const char *metric)
{
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&w->nodes, node, &added);
    if (added)
        e->value = ls_xcalloc(1, sizeof(struct node_state));
    struct node_state *ns = e->value;
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->s[i].metric, metric) == 0)
            return &ns->s[i];
    if (ns->n >= w->max_series)
        return NULL;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 4;
        ns->s = ls_xrealloc(ns->s, ns->cap * sizeof *ns->s);
    }
    struct series *s = &ns->s[ns->n++];
    memset(s, 0, sizeof *s);
    memcpy(s->metric, metric, strlen(metric) + 1);
    ls_anomaly_init(&s->d);
    return s;
}

/* Still out of the range it left, by at least half of the excursion it turned red with. */
static bool still_shifted(const struct series *s, double v)
{
    return s->shift_out < 0 ? v < s->shift_lo + s->shift_out / 2
                            : v > s->shift_hi + s->shift_out / 2;
}

/* Keeps or forgets the series' shifted level after verdict r at t. */
static void track_shift(const struct ls_watch *w,
                        struct series *s,
                        const struct ls_anomaly_result *r,
                        int64_t t)
{
    if (s->shift_since &&
        (t - s->shift_since > w->cp.shift_us || !isfinite(r->value) || !still_shifted(s, r->value)))
        s->shift_since = 0;
    if (s->shift_since || w->cp.shift_us <= 0 || r->score < w->cp.red || r->reset ||
        !isfinite(r->lo) || !isfinite(r->hi) || !isfinite(r->value))
        return;
    double out = r->value < r->lo ? r->value - r->lo : r->value > r->hi ? r->value - r->hi : 0;
    if (out == 0)
        return;
    s->shift_lo = r->lo;
    s->shift_hi = r->hi;
    s->shift_out = out;
    s->shift_since = r->since > 0 && r->since <= t ? r->since : t;
}

int ls_watch_feed(struct ls_watch *w,
                  const char *node,
                  const char *metric,
                  int64_t t,
                  double value,
                  struct ls_anomaly_result *out,
                  struct ls_err *err)
{
    pthread_mutex_lock(&w->mu);
    int rc;
    if (strlen(metric) >= LS_WATCH_METRIC_MAX) {
        rc = ls_err_set(err, LS_ELIMIT, "metric_too_long", "metric: longer than %d bytes",
                        LS_WATCH_METRIC_MAX - 1);
        goto out;
    }
    struct series *s = series_of(w, node, metric);
    if (!s) {
        rc = ls_err_set(err, LS_ELIMIT, "too_many_series", "%s: more than %zu series", node,
                        w->max_series);
        goto out;
    }
    struct ls_anomaly_result r;
    rc = ls_anomaly_update(&r, &s->d, &w->ap, t, value, err);
    if (rc != LS_OK)
        goto out;
    s->last = t;
    s->verdict = r;
    track_shift(w, s, &r, t);
    s->recent[s->head] = r;
    s->recent_t[s->head] = t;
    s->head = (s->head + 1) % LS_WATCH_HOLD_MAX;
    if (s->n_recent < LS_WATCH_HOLD_MAX)
        s->n_recent++;
    if (t > w->now)
        w->now = t;
    struct node_state *ns = ls_map_get(&w->nodes, node);
    if (!ns->dirty) {
        ns->dirty = true;
        if (w->n_dirty == w->cap_dirty) {
            w->cap_dirty = w->cap_dirty ? 2 * w->cap_dirty : 64;
            w->dirty = ls_xrealloc(w->dirty, w->cap_dirty * sizeof *w->dirty);
        }
        w->dirty[w->n_dirty++] = ls_xstrdup(node);
    }
    if (out)
        *out = r;
out:
    if (rc != LS_OK)
        w->refused++;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void ls_watch_observe(const char *node, const char *metric, double value, int64_t t, void *w)
{
    struct ls_err err;
    if (ls_watch_feed(w, node, metric, t, value, NULL, &err) != LS_OK)
        return; /* counted by ls_watch_feed */
}

uint64_t ls_watch_refused(struct ls_watch *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->refused;
    pthread_mutex_unlock(&w->mu);
    return n;
}

int64_t ls_watch_now(struct ls_watch *w)
{
    pthread_mutex_lock(&w->mu);
    int64_t now = w->now;
    pthread_mutex_unlock(&w->mu);
    return now;
}

/* The worst verdict among the series' last hold_samples samples within hold_us of now (the
 * newest among equals); its latest verdict when none is worse. */
static const struct ls_anomaly_result *held_verdict(const struct ls_watch *w,
                                                    const struct series *x)
{
    const struct ls_anomaly_result *best = &x->verdict;
    unsigned k = w->cp.hold_samples < x->n_recent ? w->cp.hold_samples : x->n_recent;
    for (unsigned j = 1; j <= k; j++) {
        unsigned i = (x->head + LS_WATCH_HOLD_MAX - j) % LS_WATCH_HOLD_MAX;
        if (w->now - x->recent_t[i] <= w->cp.hold_us && x->recent[i].score > best->score)
            best = &x->recent[i];
    }
    return best;
}

/* Judges the node now and, when want_json and its colour is `colour` (NULL: any), renders it
 * into *j; returns the colour. Caller holds the lock. */
static enum ls_colour judge_locked(struct ls_watch *w,
                                   const char *id,
                                   const struct node_state *ns,
                                   const char *colour,
                                   double *score,
                                   json_t **j)
{
    struct ls_colour_series *cs = ls_xcalloc(ns->n + 1, sizeof *cs);
    for (size_t i = 0; i < ns->n; i++) {
        const struct series *x = &ns->s[i];
        cs[i] = (struct ls_colour_series){x->metric, x->last, *held_verdict(w, x)};
        struct ls_anomaly_result *v = &cs[i].verdict;
        if (x->shift_since && w->now - x->shift_since <= w->cp.shift_us && v->score < w->cp.yellow)
            *v = (struct ls_anomaly_result){.score = w->cp.yellow,
                                            .value = x->verdict.value,
                                            .lo = x->shift_lo,
                                            .hi = x->shift_hi,
                                            .since = x->shift_since,
                                            .kind = LS_ANOMALY_SHIFT,
                                            .detector = "still_shifted",
                                            .counter = x->verdict.counter};
    }
    struct ls_colour_node c;
    ls_colour_judge(&c, cs, ns->n, w->now, &w->cp);
    if (score)
        *score = c.score;
    if (j && (!colour || strcmp(colour, ls_colour_name(c.colour)) == 0))
        *j = ls_colour_node_json(id, &c, LS_COLOUR_GREY);
    free(cs);
    return c.colour;
}

/* The node's colour as JSON; caller holds the lock. */
static json_t *node_json_locked(struct ls_watch *w,
                                const char *id,
                                const struct node_state *ns,
                                const char *colour)
{
    json_t *j = NULL;
    judge_locked(w, id, ns, colour, NULL, &j);
    return j;
}

json_t *ls_watch_node_json(struct ls_watch *w, const char *node)
{
    pthread_mutex_lock(&w->mu);
    const struct node_state *ns = ls_map_get(&w->nodes, node);
    json_t *j = ns ? node_json_locked(w, node, ns, NULL) : NULL;
    pthread_mutex_unlock(&w->mu);
    return j;
}

struct collect {
    const char **ids;
    size_t n;
};

static void collect_id(const char *key, void *value, void *arg)
{
    (void)value;
    struct collect *c = arg;
    c->ids[c->n++] = key;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ls_watch_colours_json(struct ls_watch *w, const char *colour)
{
    json_t *nodes = json_array();
    if (!nodes)
        ls_json_oom();
    pthread_mutex_lock(&w->mu);
    struct collect c = {ls_xcalloc(w->nodes.len + 1, sizeof *c.ids), 0};
    ls_map_foreach(&w->nodes, collect_id, &c);
    qsort(c.ids, c.n, sizeof *c.ids, cmp_str);
    for (size_t i = 0; i < c.n; i++) {
        json_t *j = node_json_locked(w, c.ids[i], ls_map_get(&w->nodes, c.ids[i]), colour);
        if (j && json_array_append_new(nodes, j) != 0)
            ls_json_oom();
    }
    pthread_mutex_unlock(&w->mu);
    free(c.ids);
    json_t *o = json_pack("{s:o}", "nodes", nodes);
    if (!o)
        ls_json_oom();
    return o;
}

void ls_watch_forget(struct ls_watch *w, const char *node)
{
    pthread_mutex_lock(&w->mu);
    struct node_state *ns = ls_map_del(&w->nodes, node);
    if (ns)
        free_node(node, ns, NULL);
    pthread_mutex_unlock(&w->mu);
}

bool ls_watch_colour_of(struct ls_watch *w, const char *node, enum ls_colour *colour, double *score)
{
    pthread_mutex_lock(&w->mu);
    const struct node_state *ns = ls_map_get(&w->nodes, node);
    bool found = ns && ns->swept;
    if (found) {
        if (colour)
            *colour = ns->shown;
        if (score)
            *score = ns->shown_score;
    }
    pthread_mutex_unlock(&w->mu);
    return found;
}

struct changes {
    struct ls_watch_change *v;
    size_t n, cap;
};

/* Judges one node; a change of colour is appended. Caller holds the lock. */
static void sweep_node(struct ls_watch *w, const char *id, struct node_state *ns, struct changes *c)
{
    ns->dirty = false;
    double score;
    json_t *j = NULL;
    enum ls_colour now = judge_locked(w, id, ns, NULL, &score, &j);
    int prev = ns->swept ? (int)ns->shown : -1;
    ns->swept = true;
    ns->shown = now;
    ns->shown_score = score;
    if (prev == (int)now) {
        json_decref(j);
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = ls_xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = (struct ls_watch_change){ls_xstrdup(id), prev, now, j};
}

static void sweep_each(const char *key, void *value, void *arg)
{
    struct ls_watch *w = ((void **)arg)[0];
    sweep_node(w, key, value, ((void **)arg)[1]);
}

static int cmp_change(const void *a, const void *b)
{
    return strcmp(((const struct ls_watch_change *)a)->id, ((const struct ls_watch_change *)b)->id);
}

size_t ls_watch_sweep(struct ls_watch *w, bool all, struct ls_watch_change **out)
{
    struct changes c = {0};
    pthread_mutex_lock(&w->mu);
    if (all) {
        void *args[2] = {w, &c};
        ls_map_foreach(&w->nodes, sweep_each, args);
    } else {
        for (size_t i = 0; i < w->n_dirty; i++) {
            struct node_state *ns = ls_map_get(&w->nodes, w->dirty[i]);
            if (ns) /* NULL: forgotten since it was fed */
                sweep_node(w, w->dirty[i], ns, &c);
        }
    }
    for (size_t i = 0; i < w->n_dirty; i++)
        free(w->dirty[i]);
    w->n_dirty = 0;
    pthread_mutex_unlock(&w->mu);
    if (c.n > 1)
        qsort(c.v, c.n, sizeof *c.v, cmp_change);
    *out = c.v;
    return c.n;
}

void ls_watch_changes_free(struct ls_watch_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].id);
        json_decref(c[i].node);
    }
    free(c);
}
