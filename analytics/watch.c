/* Detectors per (node, series) and node colours (watch.h). One mutex: feeds come from the
 * telemetry path, reads from request threads; both are short. */
#include "analytics/watch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct series {
    char metric[LS_WATCH_METRIC_MAX];
    struct ls_anomaly d;
    int64_t last;                     /* µs, latest accepted sample */
    struct ls_anomaly_result verdict; /* of that sample */
};

struct node_state {
    size_t n, cap;
    struct series *s;
};

struct ls_watch {
    pthread_mutex_t mu;
    struct ls_map nodes; /* node id -> struct node_state * */
    struct ls_anomaly_params ap;
    struct ls_colour_params cp;
    size_t max_series;
    int64_t now;
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

int ls_watch_feed(struct ls_watch *w,
                  const char *node,
                  const char *metric,
                  int64_t t,
                  double value,
                  struct ls_anomaly_result *out,
                  struct ls_err *err)
{
    if (strlen(metric) >= LS_WATCH_METRIC_MAX)
        return ls_err_set(err, LS_ELIMIT, "metric_too_long", "metric: longer than %d bytes",
                          LS_WATCH_METRIC_MAX - 1);
    pthread_mutex_lock(&w->mu);
    int rc;
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
    if (t > w->now)
        w->now = t;
    if (out)
        *out = r;
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int64_t ls_watch_now(struct ls_watch *w)
{
    pthread_mutex_lock(&w->mu);
    int64_t now = w->now;
    pthread_mutex_unlock(&w->mu);
    return now;
}

/* The node's colour as JSON; caller holds the lock. */
static json_t *node_json_locked(struct ls_watch *w,
                                const char *id,
                                const struct node_state *ns,
                                const char *colour)
{
    struct ls_colour_series *cs = ls_xcalloc(ns->n + 1, sizeof *cs);
    for (size_t i = 0; i < ns->n; i++)
        cs[i] = (struct ls_colour_series){ns->s[i].metric, ns->s[i].last, ns->s[i].verdict};
    struct ls_colour_node c;
    ls_colour_judge(&c, cs, ns->n, w->now, &w->cp);
    json_t *j = NULL;
    if (!colour || strcmp(colour, ls_colour_name(c.colour)) == 0)
        j = ls_colour_node_json(id, &c, LS_COLOUR_GREY);
    free(cs);
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
