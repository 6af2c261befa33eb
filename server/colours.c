/* Colours served (colours.h): the watch's feed, the sweep thread, impact, events, history. */
#include "server/colours.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/depinfer.h"
#include "analytics/impact.h"
#include "analytics/incident.h"
#include "analytics/watch.h"
#include "common/config.h"
#include "common/log.h"
#include "common/map.h"
#include "common/time.h"
#include "model/telemetry.h"
#include "server/ctx.h"
#include "server/incident_loop.h"
#include "server/notify.h"

/* A full sweep (series going stale) every this many ticks. */
#define FULL_SWEEP_TICKS 8

/* A node's impact as last computed. */
struct impact {
    enum ls_colour colour;
    char *from;
};

/* One colour change kept for ?at=: the event's data (owned reference). */
struct hist {
    int64_t t;
    json_t *data;
};

struct ls_colours {
    struct ls_ctx *ctx;
    struct ls_watch *w;
    struct ls_colour_params cp;
    int depth;
    long interval_ms;
    pthread_mutex_t mu;   /* the maps and the history */
    struct ls_map own;    /* id -> (void *)(uintptr_t)colour: the yellow and red nodes */
    struct ls_map impact; /* id -> struct impact *: the nodes with impact */
    uint64_t impact_rev;  /* graph revision the impact was computed at */
    struct hist *hist;    /* ring of changes, oldest at hist_head when full */
    size_t hist_cap, hist_n, hist_head;
    unsigned long ticks;
    pthread_t thread;
    bool running, stop;
    pthread_cond_t cond;
};

/* ---- the feed ------------------------------------------------------------------------ */

static void on_publish(const struct ls_op *ops, size_t n, uint64_t rev, int64_t time_us, void *arg)
{
    (void)rev;
    (void)time_us;
    struct ls_ctx *ctx = arg;
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == LS_OP_NODE_DEL && ctx->watch)
            ls_watch_forget(ctx->watch, ops[i].node->id);
}

void ls_colours_attach(struct ls_ctx *ctx)
{
    if (!ctx->cfg->analytics)
        return;
    struct ls_anomaly_params ap;
    struct ls_colour_params cp;
    ls_anomaly_params_default(&ap);
    ls_colour_params_default(&cp);
    ctx->watch = ls_watch_new(&ap, &cp, 0);
    ls_telemetry_set_observer(ctx->telemetry, ls_watch_observe, ctx->watch);
    ls_graph_add_listener(ctx->graph, on_publish, ctx);
}

/* ---- the sweep ----------------------------------------------------------------------- */

static enum ls_colour impact_of(struct ls_colours *c, const char *id, const char **from)
{
    struct impact *im = ls_map_get(&c->impact, id);
    if (from)
        *from = im ? im->from : NULL;
    return im ? im->colour : LS_COLOUR_GREEN;
}

static void hist_push(struct ls_colours *c, int64_t t, json_t *data)
{
    if (c->hist_n == c->hist_cap) { /* full: the oldest goes */
        json_decref(c->hist[c->hist_head].data);
        c->hist[c->hist_head] = (struct hist){t, json_incref(data)};
        c->hist_head = (c->hist_head + 1) % c->hist_cap;
        return;
    }
    c->hist[(c->hist_head + c->hist_n++) % c->hist_cap] = (struct hist){t, json_incref(data)};
}

/* enum ls_colour of a colour name (grey when unknown). */
static enum ls_colour colour_parse(const char *name)
{
    for (int k = LS_COLOUR_RED; k > LS_COLOUR_GREY; k--)
        if (name && strcmp(name, ls_colour_name((enum ls_colour)k)) == 0)
            return (enum ls_colour)k;
    return LS_COLOUR_GREY;
}

/* A service's structural deviation (analytics/depinfer: a dependency new or vanished), as
 * the colour its score gives (GREEN when none); *dev gets the entry (new reference) or NULL. */
static enum ls_colour structure_of(struct ls_colours *c, const char *id, json_t **dev)
{
    *dev = c->ctx->depinfer ? ls_depinfer_deviation_of(c->ctx->depinfer, id) : NULL;
    double score = json_number_value(json_object_get(*dev, "score"));
    return score >= c->cp.red      ? LS_COLOUR_RED
           : score >= c->cp.yellow ? LS_COLOUR_YELLOW
                                   : LS_COLOUR_GREEN;
}

/* The deviation joins the node's own colour: its reasons (detector "structure") after the
 * metric ones, its colour and score when worse. */
static void merge_structure(struct ls_colours *c, const char *id, json_t *d)
{
    json_t *dev;
    enum ls_colour sc = structure_of(c, id, &dev);
    if (!dev)
        return;
    if (sc > colour_parse(json_string_value(json_object_get(d, "colour")))) {
        json_object_set_new(d, "colour", json_string(ls_colour_name(sc)));
        json_object_set(d, "score", json_object_get(dev, "score"));
    }
    json_array_extend(json_object_get(d, "reasons"), json_object_get(dev, "reasons"));
    json_decref(dev);
}

/* A node's colour document: own part (from the watch, or grey; with its structural deviation)
 * + impact. */
static json_t *node_doc(struct ls_colours *c, const char *id, json_t *own, const struct ls_node *n)
{
    json_t *d = own ? json_incref(own) : NULL;
    if (!d) {
        d = json_pack("{s:s,s:s,s:f,s:[]}", "id", id, "colour", "grey", "score", 0.0, "reasons");
        if (!d)
            ls_json_oom();
    }
    merge_structure(c, id, d);
    const char *from;
    enum ls_colour im = impact_of(c, id, &from);
    json_object_set_new(d, "impact", json_string(ls_colour_name(im)));
    json_object_set_new(d, "impact_from", from ? json_string(from) : json_null());
    if (n) {
        json_object_set_new(d, "type", json_string(n->type));
        json_object_set_new(d, "layer", json_string(ls_layer_name(n->layer)));
        json_object_set_new(d, "name", json_string(n->name));
    }
    return d;
}

struct event {
    char *id;
    int previous;
    int previous_impact;
};

static void add_event(struct event **v,
                      size_t *n,
                      size_t *cap,
                      struct ls_map *idx,
                      const char *id,
                      int previous,
                      int previous_impact)
{
    bool added;
    struct ls_map_entry *e = ls_map_upsert(idx, id, &added);
    if (!added) {
        struct event *x = &(*v)[(size_t)(uintptr_t)e->value - 1];
        if (previous != -2)
            x->previous = previous;
        if (previous_impact != -2)
            x->previous_impact = previous_impact;
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *v = ls_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[*n] = (struct event){ls_xstrdup(id), previous, previous_impact};
    e->value = (void *)(uintptr_t)(++*n);
}

static int cmp_change(const void *a, const void *b)
{
    return strcmp(((const struct ls_watch_change *)a)->id, ((const struct ls_watch_change *)b)->id);
}

struct src_collect {
    struct ls_impact_source *v;
    size_t n;
};

static void collect_src(const char *key, void *value, void *arg)
{
    struct src_collect *s = arg;
    s->v[s->n++] = (struct ls_impact_source){key, (enum ls_colour)(uintptr_t)value};
}

static void free_impact(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    struct impact *im = value;
    free(im->from);
    free(im);
}

struct impact_diff {
    struct ls_map *fresh; /* id -> index + 1 into the new impacts */
    struct event **ev;
    size_t *n, *cap;
    struct ls_map *idx;
};

/* An old impact the new computation no longer has: back to green. */
static void gone_impact(const char *key, void *value, void *arg)
{
    struct impact_diff *d = arg;
    if (!ls_map_get(d->fresh, key))
        add_event(d->ev, d->n, d->cap, d->idx, key, -2, (int)((struct impact *)value)->colour);
}

void ls_colours_tick(struct ls_colours *c, bool all)
{
    struct ls_watch_change *ch;
    size_t nch = ls_watch_sweep(c->w, all, &ch);
    struct ls_snap *s = ls_graph_snap(c->ctx->graph);
    uint64_t rev = ls_snap_revision(s);
    struct event *ev = NULL;
    size_t nev = 0, cap = 0;
    struct ls_map idx;
    ls_map_init(&idx);

    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < nch; i++) {
        if (ch[i].colour >= LS_COLOUR_YELLOW)
            ls_map_put(&c->own, ch[i].id, (void *)(uintptr_t)ch[i].colour);
        else
            ls_map_del(&c->own, ch[i].id);
        add_event(&ev, &nev, &cap, &idx, ch[i].id, ch[i].previous, -2);
    }
    if (nch > 0 || rev != c->impact_rev || all) { /* all: deviations may have changed */
        json_t *devs = c->ctx->depinfer ? ls_depinfer_deviations_json(c->ctx->depinfer) : NULL;
        struct src_collect sc = {ls_xcalloc(c->own.len + json_array_size(devs) + 1, sizeof *sc.v),
                                 0};
        ls_map_foreach(&c->own, collect_src, &sc);
        size_t di;
        json_t *dv;
        json_array_foreach(devs, di, dv)
        { /* services whose dependencies changed impact what depends on them */
            double score = json_number_value(json_object_get(dv, "score"));
            const char *id = json_string_value(json_object_get(dv, "id"));
            if (id && score >= c->cp.yellow)
                sc.v[sc.n++] = (struct ls_impact_source){id, score >= c->cp.red ? LS_COLOUR_RED
                                                                                : LS_COLOUR_YELLOW};
        }
        struct ls_impact *imp;
        size_t nimp = ls_impact_compute(s, sc.v, sc.n, c->depth, 0, &imp);
        struct ls_map fresh;
        ls_map_init(&fresh);
        for (size_t i = 0; i < nimp; i++) {
            ls_map_put(&fresh, imp[i].id, (void *)(uintptr_t)(i + 1));
            enum ls_colour before = impact_of(c, imp[i].id, NULL);
            if (before != imp[i].colour)
                add_event(&ev, &nev, &cap, &idx, imp[i].id, -2, (int)before);
        }
        struct impact_diff d = {&fresh, &ev, &nev, &cap, &idx};
        ls_map_foreach(&c->impact, gone_impact, &d);
        ls_map_foreach(&c->impact, free_impact, NULL);
        ls_map_cleanup(&c->impact);
        ls_map_init(&c->impact);
        for (size_t i = 0; i < nimp; i++) {
            struct impact *im = ls_xcalloc(1, sizeof *im);
            im->colour = imp[i].colour;
            im->from = imp[i].from;
            imp[i].from = NULL;
            ls_map_put(&c->impact, imp[i].id, im);
        }
        ls_map_cleanup(&fresh);
        ls_impact_free(imp, nimp);
        free(sc.v);
        json_decref(devs);
        c->impact_rev = rev;
    }
    /* the events, their data also kept for ?at= */
    int64_t now = ls_watch_now(c->w);
    char ts[40];
    ls_time_format_rfc3339(now, ts, sizeof ts);
    json_t **pub = ls_xcalloc(nev + 1, sizeof *pub);
    size_t npub = 0;
    for (size_t i = 0; i < nev; i++) {
        /* the sweep's document when its own colour changed (ch is sorted by id) */
        struct ls_watch_change key = {.id = ev[i].id};
        const struct ls_watch_change *hit =
            nch ? bsearch(&key, ch, nch, sizeof *ch, cmp_change) : NULL;
        json_t *own = hit ? hit->node : NULL;
        json_t *fresh_own = own ? NULL : ls_watch_node_json(c->w, ev[i].id);
        json_t *d = node_doc(c, ev[i].id, own ? own : fresh_own, ls_snap_node(s, ev[i].id));
        json_decref(fresh_own);
        const char *colour = json_string_value(json_object_get(d, "colour"));
        enum ls_colour im = impact_of(c, ev[i].id, NULL);
        int prev_im = ev[i].previous_impact == -2 ? (int)im : ev[i].previous_impact;
        json_object_set_new(d, "previous",
                            ev[i].previous == -2   ? json_string(colour)
                            : ev[i].previous == -1 ? json_null()
                                                   : json_string(ls_colour_name(ev[i].previous)));
        json_object_set_new(d, "previous_impact", json_string(ls_colour_name(prev_im)));
        json_object_set_new(d, "time", json_string(ts));
        json_object_set_new(d, "revision", json_integer((json_int_t)rev));
        hist_push(c, now, d);
        /* a node's first colour, green, with nothing around it: not news */
        bool first_green =
            ev[i].previous == -1 && strcmp(colour, "green") == 0 && prev_im == (int)im;
        if (!first_green)
            pub[npub++] = json_incref(d);
        json_decref(d);
        free(ev[i].id);
    }
    pthread_mutex_unlock(&c->mu);
    ls_snap_release(s);
    for (size_t i = 0; i < npub; i++) {
        ls_notify_publish(c->ctx->notify, "colour", pub[i]);
        json_decref(pub[i]);
    }
    free(pub);
    free(ev);
    ls_map_cleanup(&idx);
    ls_watch_changes_free(ch, nch);
}

static void *sweep_loop(void *arg)
{
    struct ls_colours *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        bool all = c->ticks++ % FULL_SWEEP_TICKS == 0;
        pthread_mutex_unlock(&c->mu);
        ls_colours_tick(c, all);
        pthread_mutex_lock(&c->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long ns = ts.tv_nsec + (c->interval_ms % 1000) * 1000000L;
        ts.tv_sec += c->interval_ms / 1000 + ns / 1000000000L;
        ts.tv_nsec = ns % 1000000000L;
        if (!c->stop)
            pthread_cond_timedwait(&c->cond, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void colours_free(struct ls_colours *c)
{
    if (!c)
        return;
    if (c->running) {
        pthread_mutex_lock(&c->mu);
        c->stop = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    ls_map_cleanup(&c->own);
    ls_map_foreach(&c->impact, free_impact, NULL);
    ls_map_cleanup(&c->impact);
    for (size_t i = 0; i < c->hist_n; i++)
        json_decref(c->hist[(c->hist_head + i) % c->hist_cap].data);
    free(c->hist);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int ls_analytics_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (!ctx->watch)
        return LS_OK;
    struct ls_colours *c = ls_xcalloc(1, sizeof *c);
    c->ctx = ctx;
    c->w = ctx->watch;
    ls_colour_params_default(&c->cp); /* the watch's (ls_colours_attach) */
    c->depth = (int)ctx->cfg->analytics_impact_depth;
    c->interval_ms = ctx->cfg->analytics_interval_ms;
    c->hist_cap = (size_t)ctx->cfg->analytics_history;
    c->hist = ls_xcalloc(c->hist_cap, sizeof *c->hist);
    ls_map_init(&c->own);
    ls_map_init(&c->impact);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, sweep_loop, c) != 0) {
        colours_free(c);
        return ls_err_set(err, LS_ERR, "thread", "cannot start the colour sweep");
    }
    c->running = true;
    ctx->colours = c;
    struct ls_incident_params ip;
    ls_incident_params_default(&ip);
    ip.max_hops = (int)ctx->cfg->incident_max_hops;
    ip.window_us = ctx->cfg->incident_window * 1000000LL;
    ip.hold_us = ctx->cfg->incident_hold * 1000000LL;
    ip.threads = (size_t)ctx->cfg->rca_threads;
    /* re-ranked over raw samples (incident_loop.c): a sweep of the store, so not every step */
    ip.rerank_us = 10 * INT64_C(1000000);
    int rc = ls_incident_loop_new(&ctx->incidents, ctx, ctx->watch, &ip,
                                  ctx->cfg->incident_interval, err);
    if (rc != LS_OK) { /* stop is called only after a start that succeeded */
        colours_free(c);
        ctx->colours = NULL;
    }
    return rc;
}

void ls_analytics_stop(struct ls_ctx *ctx)
{
    ls_incident_loop_free(ctx->incidents);
    ctx->incidents = NULL;
    colours_free(ctx->colours);
    ctx->colours = NULL;
}

/* ---- reads --------------------------------------------------------------------------- */

static bool keep(const struct ls_colours_filter *f, const json_t *d)
{
    const char *type = json_string_value(json_object_get(d, "type"));
    const char *layer = json_string_value(json_object_get(d, "layer"));
    const char *colour = json_string_value(json_object_get(d, "colour"));
    if (f->type && (!type || strcmp(f->type, type) != 0))
        return false;
    if (f->layer >= 0 && (!layer || strcmp(ls_layer_name((enum ls_layer)f->layer), layer) != 0))
        return false;
    return !f->colour || (colour && strcmp(f->colour, colour) == 0);
}

static int cmp_doc(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
                  json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

/* The nodes array from n documents (stolen), filtered and sorted by id. */
static json_t *doc_array(json_t **docs, size_t n, const struct ls_colours_filter *f)
{
    qsort(docs, n, sizeof *docs, cmp_doc);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        if (keep(f, docs[i])) {
            json_object_del(docs[i], "previous");
            json_object_del(docs[i], "previous_impact");
            json_object_del(docs[i], "revision");
            json_array_append(a, docs[i]);
        }
        json_decref(docs[i]);
    }
    return a;
}

struct impact_only {
    struct ls_colours *c;
    const struct ls_snap *s;
    json_t **docs;
    size_t n, cap;
    struct ls_map *listed;
};

static void add_impact_only(const char *key, void *value, void *arg)
{
    (void)value;
    struct impact_only *io = arg;
    if (ls_map_get(io->listed, key))
        return;
    ls_map_put(io->listed, key, value);
    if (io->n == io->cap) {
        io->cap = io->cap ? 2 * io->cap : 16;
        io->docs = ls_xrealloc(io->docs, io->cap * sizeof *io->docs);
    }
    io->docs[io->n++] = node_doc(io->c, key, NULL, ls_snap_node(io->s, key));
}

struct at_collect {
    json_t **d;
    size_t n;
};

static void collect_at(const char *key, void *value, void *arg)
{
    (void)key;
    struct at_collect *a = arg;
    a->d[a->n++] = json_deep_copy(value); /* the history's data is shared with the events */
}

static json_t *list_at(struct ls_colours *c, const struct ls_colours_filter *f, int64_t at)
{
    struct ls_map last; /* id -> its latest data at `at` (borrowed from the history) */
    ls_map_init(&last);
    pthread_mutex_lock(&c->mu);
    int64_t first = c->hist_n ? c->hist[c->hist_head].t : 0;
    for (size_t i = 0; i < c->hist_n; i++) {
        const struct hist *h = &c->hist[(c->hist_head + i) % c->hist_cap];
        if (h->t > at)
            break;
        ls_map_put(&last, json_string_value(json_object_get(h->data, "id")), h->data);
    }
    struct at_collect col = {ls_xcalloc(last.len + 1, sizeof *col.d), 0};
    ls_map_foreach(&last, collect_at, &col);
    pthread_mutex_unlock(&c->mu);
    ls_map_cleanup(&last);
    for (size_t i = 0; i < col.n; i++)
        json_object_del(col.d[i], "time");
    json_t *a = doc_array(col.d, col.n, f);
    free(col.d);
    char ts[40], fs[40];
    json_t *o =
        json_pack("{s:o,s:s,s:o}", "nodes", a, "at", ls_time_format_rfc3339(at, ts, sizeof ts),
                  "history_from",
                  first ? json_string(ls_time_format_rfc3339(first, fs, sizeof fs)) : json_null());
    if (!o)
        ls_json_oom();
    return o;
}

json_t *ls_colours_list(struct ls_colours *c,
                        const struct ls_snap *s,
                        const struct ls_colours_filter *f,
                        int64_t at)
{
    if (at)
        return list_at(c, f, at);
    json_t *own = ls_watch_colours_json(c->w, NULL);
    json_t *nodes = json_object_get(own, "nodes");
    struct ls_map listed;
    ls_map_init(&listed);
    pthread_mutex_lock(&c->mu);
    struct impact_only io = {c, s, NULL, 0, 0, &listed};
    io.cap = json_array_size(nodes) + 16;
    io.docs = ls_xcalloc(io.cap, sizeof *io.docs);
    size_t i;
    json_t *v;
    json_array_foreach(nodes, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        ls_map_put(&listed, id, v);
        io.docs[io.n++] = node_doc(c, id, v, ls_snap_node(s, id));
    }
    ls_map_foreach(&c->impact, add_impact_only, &io);
    json_t *devs = c->ctx->depinfer ? ls_depinfer_deviations_json(c->ctx->depinfer) : NULL;
    json_array_foreach(devs, i, v)
    { /* services with a structural deviation and no series */
        const char *id = json_string_value(json_object_get(v, "id"));
        if (id)
            add_impact_only(id, v, &io);
    }
    json_decref(devs);
    pthread_mutex_unlock(&c->mu);
    json_t *a = doc_array(io.docs, io.n, f);
    free(io.docs);
    ls_map_cleanup(&listed);
    json_decref(own);
    json_t *o = json_pack("{s:o,s:I}", "nodes", a, "revision", (json_int_t)ls_snap_revision(s));
    if (!o)
        ls_json_oom();
    return o;
}

json_t *ls_colours_anomaly(struct ls_colours *c, const char *id, bool always)
{
    json_t *own = ls_watch_node_json(c->w, id);
    pthread_mutex_lock(&c->mu);
    json_t *dev = NULL;
    if (!own && !always && !ls_map_get(&c->impact, id) &&
        structure_of(c, id, &dev) == LS_COLOUR_GREEN && !dev) {
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    json_decref(dev);
    json_t *d = node_doc(c, id, own, NULL);
    pthread_mutex_unlock(&c->mu);
    json_decref(own);
    json_object_del(d, "id");
    return d;
}

int ls_colours_worst(struct ls_colours *c, const char *id)
{
    enum ls_colour own = LS_COLOUR_GREY;
    if (!ls_watch_colour_of(c->w, id, &own, NULL))
        own = LS_COLOUR_GREY;
    pthread_mutex_lock(&c->mu);
    enum ls_colour im = impact_of(c, id, NULL);
    pthread_mutex_unlock(&c->mu);
    return (int)(im > own && im >= LS_COLOUR_YELLOW ? im : own);
}
