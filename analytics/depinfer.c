/* Dependency inference: the span join (a bounded ring of recent spans indexed twice, by
 * (trace, span) and by (trace, parent), so a child finds its parent and a parent its waiting
 * children in O(1) whichever arrives first), the caller -> callee pairs with their evidence,
 * the change sets that keep the graph's inferred `depends_on` edges in step, and the
 * structural signature per caller. One mutex guards everything. */
#include "analytics/depinfer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/map.h"
#include "common/time.h"
#include "model/types.h"

#define NAME_MAX_LEN 128 /* bytes of a service name, NUL included */
#define NO_SLOT      UINT32_MAX

struct held_span {
    uint8_t trace[16], span[8], parent[8];
    bool has_parent, joined;
    uint32_t service;        /* index into services */
    uint64_t seq;            /* arrival number; slot = seq % max_spans */
    uint32_t next_by_span;   /* older span of the same by-span bucket, or NO_SLOT */
    uint32_t next_by_parent; /* older span of the same by-parent bucket, or NO_SLOT */
    int64_t start_us, end_us;
    bool error;
};

struct service {
    char name[NAME_MAX_LEN];
    char node[256];        /* the node it resolved to at the last pass ("" before one) */
    int64_t first_call_us; /* first call it made (data time), 0 = none yet */
    int64_t last_call_us;  /* latest call it made */
};

struct pair {
    uint32_t caller, callee; /* services */
    uint64_t calls, errors;  /* from traces */
    double latency_sum_ms;
    double metric_strength; /* from metrics, 0 = none */
    double lag_s;
    bool has_metrics;
    int64_t first_seen, last_seen; /* µs, any evidence */
    uint64_t calls_written;        /* calls at the last write */
    int64_t written_at;            /* data time of the last write, 0 = never */
    bool dirty;                    /* evidence moved since the last write */
};

struct ls_depinfer {
    struct ls_depinfer_params p;
    pthread_mutex_t lock;
    struct held_span *ring;
    uint64_t seq; /* spans held so far */
    uint32_t *by_span, *by_parent;
    size_t n_buckets; /* power of two */
    struct service *services;
    size_t n_services;
    struct ls_map service_ix; /* name -> index + 1 */
    struct pair *pairs;
    size_t n_pairs;
    struct ls_map pair_ix; /* "caller\ncallee" -> index + 1 */
    int64_t now_us;        /* newest data time taken */
};

void ls_depinfer_params_default(struct ls_depinfer_params *p)
{
    p->window_us = 300 * 1000000LL;
    p->max_spans = 65536;
    p->max_pairs = 16384;
    p->write_every_us = 60 * 1000000LL;
    p->fade_us = 3600 * 1000000LL;
    p->learn_us = 600 * 1000000LL;
    p->vanish_us = 600 * 1000000LL;
    p->new_for_us = 3600 * 1000000LL;
}

struct ls_depinfer *ls_depinfer_new(const struct ls_depinfer_params *p)
{
    struct ls_depinfer *d = ls_xcalloc(1, sizeof(*d));
    if (p)
        d->p = *p;
    else
        ls_depinfer_params_default(&d->p);
    if (d->p.max_spans < 16)
        d->p.max_spans = 16;
    if (d->p.max_pairs < 4)
        d->p.max_pairs = 4;
    pthread_mutex_init(&d->lock, NULL);
    d->ring = ls_xcalloc(d->p.max_spans, sizeof(*d->ring));
    d->n_buckets = 16;
    while (d->n_buckets < 2 * d->p.max_spans)
        d->n_buckets *= 2;
    d->by_span = ls_xmalloc(d->n_buckets * sizeof(*d->by_span));
    d->by_parent = ls_xmalloc(d->n_buckets * sizeof(*d->by_parent));
    memset(d->by_span, 0xff, d->n_buckets * sizeof(*d->by_span));
    memset(d->by_parent, 0xff, d->n_buckets * sizeof(*d->by_parent));
    ls_map_init(&d->service_ix);
    ls_map_init(&d->pair_ix);
    return d;
}

void ls_depinfer_free(struct ls_depinfer *d)
{
    if (d == NULL)
        return;
    ls_map_cleanup(&d->service_ix);
    ls_map_cleanup(&d->pair_ix);
    free(d->services);
    free(d->pairs);
    free(d->ring);
    free(d->by_span);
    free(d->by_parent);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* ---- ids and the join ---- */

/* Parses exactly 2*n hex digits into out[n]. */
static bool parse_hex(const char *s, uint8_t *out, size_t n)
{
    if (s == NULL || strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = ls_hex_digit(s[2 * i]), lo = ls_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static size_t bucket(const struct ls_depinfer *d, const uint8_t trace[16], const uint8_t id[8])
{
    uint64_t a, b, c;
    memcpy(&a, trace, 8);
    memcpy(&b, trace + 8, 8);
    memcpy(&c, id, 8);
    return (size_t)(ls_hash_u64(a ^ ls_hash_u64(b ^ ls_hash_u64(c))) & (d->n_buckets - 1));
}

/* Whether slot i still holds a span older than `newer` (chains run from new to old; a slot
 * reused since it was linked holds a newer span and ends the chain). */
static bool live_link(const struct ls_depinfer *d, uint32_t i, uint64_t newer)
{
    return i != NO_SLOT && d->ring[i].seq < newer && d->ring[i].seq + d->p.max_spans >= d->seq;
}

static bool in_window(const struct ls_depinfer *d, const struct held_span *h)
{
    return h->end_us + d->p.window_us >= d->now_us;
}

/* The held span (trace, span), or NULL. */
static struct held_span *find_span(struct ls_depinfer *d, const uint8_t *trace, const uint8_t *id)
{
    uint64_t newer = UINT64_MAX;
    for (uint32_t i = d->by_span[bucket(d, trace, id)]; live_link(d, i, newer);
         i = d->ring[i].next_by_span) {
        struct held_span *h = &d->ring[i];
        if (memcmp(h->trace, trace, 16) == 0 && memcmp(h->span, id, 8) == 0)
            return in_window(d, h) ? h : NULL;
        newer = h->seq;
    }
    return NULL;
}

static uint32_t service_index(struct ls_depinfer *d, const char *name, bool *full)
{
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&d->service_ix, name, &added);
    if (!added)
        return (uint32_t)((uintptr_t)e->value - 1);
    if (d->n_services >= d->p.max_pairs) {
        ls_map_del(&d->service_ix, name);
        *full = true;
        return NO_SLOT;
    }
    d->services = ls_xrealloc(d->services, (d->n_services + 1) * sizeof(*d->services));
    struct service *s = &d->services[d->n_services];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    e->value = (void *)(uintptr_t)(d->n_services + 1);
    return (uint32_t)d->n_services++;
}

/* The pair caller -> callee, made when absent; NULL past the bound. */
static struct pair *pair_of(struct ls_depinfer *d, uint32_t caller, uint32_t callee)
{
    char key[2 * NAME_MAX_LEN + 2];
    snprintf(key, sizeof(key), "%s\n%s", d->services[caller].name, d->services[callee].name);
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&d->pair_ix, key, &added);
    if (!added)
        return &d->pairs[(uintptr_t)e->value - 1];
    if (d->n_pairs >= d->p.max_pairs) {
        ls_map_del(&d->pair_ix, key);
        return NULL;
    }
    d->pairs = ls_xrealloc(d->pairs, (d->n_pairs + 1) * sizeof(*d->pairs));
    struct pair *p = &d->pairs[d->n_pairs];
    memset(p, 0, sizeof(*p));
    p->caller = caller;
    p->callee = callee;
    e->value = (void *)(uintptr_t)(d->n_pairs + 1);
    d->n_pairs++;
    return p;
}

static void saw(struct pair *p, int64_t t)
{
    if (p->first_seen == 0 || t < p->first_seen)
        p->first_seen = t;
    if (t > p->last_seen)
        p->last_seen = t;
    p->dirty = true;
}

static void caller_active(struct service *s, int64_t t)
{
    if (s->first_call_us == 0 || t < s->first_call_us)
        s->first_call_us = t;
    if (t > s->last_call_us)
        s->last_call_us = t;
}

/* One call caller -> callee observed as the callee's span (its duration, its status). */
static int call(struct ls_depinfer *d,
                uint32_t caller,
                uint32_t callee,
                int64_t start_us,
                int64_t end_us,
                bool error,
                struct ls_err *err)
{
    if (caller == callee)
        return LS_OK; /* a service calling itself is no dependency */
    struct pair *p = pair_of(d, caller, callee);
    if (p == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_pairs", "more than %zu caller/callee pairs",
                          d->p.max_pairs);
    p->calls++;
    p->errors += error;
    p->latency_sum_ms += (double)(end_us - start_us) / 1000.0;
    saw(p, start_us);
    caller_active(&d->services[caller], start_us);
    return LS_OK;
}

int ls_depinfer_add_span(struct ls_depinfer *d, const struct ls_dep_span *s, struct ls_err *err)
{
    struct held_span x;
    memset(&x, 0, sizeof(x));
    x.has_parent = s->parent_id && s->parent_id[0];
    if (!parse_hex(s->trace_id, x.trace, 16) || !parse_hex(s->span_id, x.span, 8) ||
        (x.has_parent && !parse_hex(s->parent_id, x.parent, 8)))
        return ls_err_set(err, LS_EINVAL, "invalid_span",
                          "span ids: expected 32 (trace) and 16 (span) hex digits");
    if (s->service == NULL || s->service[0] == '\0' || strlen(s->service) >= NAME_MAX_LEN)
        return ls_err_set(err, LS_EINVAL, "invalid_span",
                          "a span needs a service.name of 1 to %d bytes", NAME_MAX_LEN - 1);
    if (s->end_us < s->start_us)
        return ls_err_set(err, LS_EINVAL, "invalid_span", "a span ends before it starts");
    x.start_us = s->start_us;
    x.end_us = s->end_us;
    x.error = s->error;
    int rc = LS_OK;
    pthread_mutex_lock(&d->lock);
    if (s->end_us > d->now_us)
        d->now_us = s->end_us;
    bool full = false;
    x.service = service_index(d, s->service, &full);
    if (full) {
        rc = ls_err_set(err, LS_ELIMIT, "too_many_pairs", "more than %zu services", d->p.max_pairs);
        goto out;
    }
    if (find_span(d, x.trace, x.span))
        goto out; /* a duplicate: counted once */
    /* the parent, when it came first */
    struct held_span *parent = x.has_parent ? find_span(d, x.trace, x.parent) : NULL;
    if (parent) {
        x.joined = true;
        rc = call(d, parent->service, x.service, x.start_us, x.end_us, x.error, err);
    }
    /* children that came first and wait for this span */
    uint64_t newer = UINT64_MAX;
    for (uint32_t i = d->by_parent[bucket(d, x.trace, x.span)];
         rc == LS_OK && live_link(d, i, newer); i = d->ring[i].next_by_parent) {
        struct held_span *c = &d->ring[i];
        newer = c->seq;
        if (c->joined || !c->has_parent || memcmp(c->trace, x.trace, 16) != 0 ||
            memcmp(c->parent, x.span, 8) != 0 || !in_window(d, c))
            continue;
        c->joined = true;
        rc = call(d, x.service, c->service, c->start_us, c->end_us, c->error, err);
    }
    /* a client span naming a callee that sends no spans of its own */
    if (rc == LS_OK && s->peer && s->peer[0] && strlen(s->peer) < NAME_MAX_LEN) {
        uint32_t peer = service_index(d, s->peer, &full);
        if (full)
            rc = ls_err_set(err, LS_ELIMIT, "too_many_pairs", "more than %zu services",
                            d->p.max_pairs);
        else
            rc = call(d, x.service, peer, x.start_us, x.end_us, x.error, err);
    }
    /* hold it: slot seq % max_spans, linked at the head of both buckets */
    uint32_t slot = (uint32_t)(d->seq % d->p.max_spans);
    x.seq = d->seq++;
    size_t bs = bucket(d, x.trace, x.span);
    x.next_by_span = d->by_span[bs];
    d->by_span[bs] = slot;
    if (x.has_parent) {
        size_t bp = bucket(d, x.trace, x.parent);
        x.next_by_parent = d->by_parent[bp];
        d->by_parent[bp] = slot;
    } else {
        x.next_by_parent = NO_SLOT;
    }
    d->ring[slot] = x;
out:
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int ls_depinfer_add_metric_evidence(struct ls_depinfer *d,
                                    const char *caller,
                                    const char *callee,
                                    double strength,
                                    double lag_s,
                                    int64_t time_us,
                                    struct ls_err *err)
{
    if (!caller || !callee || !caller[0] || !callee[0] || strcmp(caller, callee) == 0 ||
        strlen(caller) >= NAME_MAX_LEN || strlen(callee) >= NAME_MAX_LEN ||
        !(strength >= 0.0 && strength <= 1.0) || !isfinite(lag_s))
        return ls_err_set(err, LS_EINVAL, "invalid_evidence",
                          "metric evidence needs two distinct names and a strength in [0, 1]");
    int rc = LS_OK;
    bool full = false;
    pthread_mutex_lock(&d->lock);
    uint32_t a = service_index(d, caller, &full);
    uint32_t b = full ? NO_SLOT : service_index(d, callee, &full);
    struct pair *p = full ? NULL : pair_of(d, a, b);
    if (p == NULL) {
        rc = ls_err_set(err, LS_ELIMIT, "too_many_pairs", "more than %zu caller/callee pairs",
                        d->p.max_pairs);
    } else {
        p->has_metrics = true;
        p->metric_strength = strength;
        p->lag_s = lag_s;
        saw(p, time_us);
        caller_active(&d->services[a], time_us);
        if (time_us > d->now_us)
            d->now_us = time_us;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int64_t ls_depinfer_now(struct ls_depinfer *d)
{
    pthread_mutex_lock(&d->lock);
    int64_t t = d->now_us;
    pthread_mutex_unlock(&d->lock);
    return t;
}

/* ---- edges ---- */

static double strength_of(const struct pair *p)
{
    /* each observed call halves the doubt; metric evidence stands as its own strength */
    double traces = p->calls ? 1.0 - pow(0.5, (double)(p->calls > 60 ? 60 : p->calls)) : 0.0;
    return traces > p->metric_strength ? traces : p->metric_strength;
}

static json_t *time_json(int64_t t)
{
    char buf[40];
    return json_string(ls_time_format_rfc3339(t, buf, sizeof(buf)));
}

static json_t *pair_attrs(const struct pair *p)
{
    const char *evidence = p->calls && p->has_metrics ? "traces+metrics"
                           : p->calls                 ? "traces"
                                                      : "metrics";
    json_t *o = json_object();
    json_object_set_new(o, "strength", json_real(strength_of(p)));
    json_object_set_new(o, "evidence", json_string(evidence));
    json_object_set_new(o, "first_seen", time_json(p->first_seen));
    json_object_set_new(o, "last_seen", time_json(p->last_seen));
    if (p->calls) {
        double span_s = (double)(p->last_seen - p->first_seen) / 1e6;
        json_object_set_new(o, "calls", json_integer((json_int_t)p->calls));
        json_object_set_new(o, "errors", json_integer((json_int_t)p->errors));
        json_object_set_new(o, "error_ratio", json_real((double)p->errors / (double)p->calls));
        json_object_set_new(o, "rate_per_s",
                            json_real((double)p->calls / (span_s > 1.0 ? span_s : 1.0)));
        json_object_set_new(o, "latency_ms", json_real(p->latency_sum_ms / (double)p->calls));
    }
    if (p->has_metrics)
        json_object_set_new(o, "lag_s", json_real(p->lag_s));
    return o;
}

/* The node a pair end names (see ls_depinfer_changes); *create when it must be put. */
static void resolve(const struct ls_snap *snap,
                    struct ls_alias *a,
                    const char *name,
                    char *out,
                    size_t cap,
                    bool *create)
{
    *create = false;
    if (ls_snap_node(snap, name)) {
        snprintf(out, cap, "%s", name);
        return;
    }
    if (a && ls_alias_lookup(a, name, out, cap) && ls_snap_node(snap, out))
        return;
    snprintf(out, cap, "otel:service:%s", name);
    *create = ls_snap_node(snap, out) == NULL;
}

static const char *status_of(const struct ls_edge *e)
{
    json_t *s = json_object_get(e->attrs, "status");
    return json_is_string(s) ? json_string_value(s) : "";
}

json_t *ls_depinfer_deviation_of(struct ls_depinfer *d, const char *id)
{
    json_t *all = ls_depinfer_deviations_json(d), *found = NULL, *o;
    size_t i;
    json_array_foreach(all, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
            found = json_incref(o);
    }
    json_decref(all);
    return found;
}

bool ls_depinfer_status_valid(json_t *status)
{
    return status == NULL || json_is_null(status) ||
           (json_is_string(status) && (strcmp(json_string_value(status), "confirmed") == 0 ||
                                       strcmp(json_string_value(status), "rejected") == 0));
}

static int put_service(struct ls_change_set *cs,
                       struct ls_map *made,
                       const char *id,
                       const char *name,
                       struct ls_err *err)
{
    bool added;
    ls_map_upsert(made, id, &added);
    if (!added)
        return LS_OK;
    return ls_change_put_node_new(cs, id, "service", name, NULL,
                                  json_pack("{s:[s]}", "aliases", name), "otel", err);
}

/* Deletes inferred depends_on edges whose evidence is older than fade_us (not confirmed or
 * rejected ones). */
static int fade(struct ls_depinfer *d,
                const struct ls_snap *snap,
                struct ls_change_set *cs,
                size_t *n,
                struct ls_err *err)
{
    struct ls_edge_filter f = {NULL, NULL, LS_EDGE_DEPENDS_ON};
    const struct ls_edge *page[256];
    char after[1024] = "";
    bool more = true;
    while (more) {
        size_t got;
        int rc = ls_snap_list_edges(snap, &f, after[0] ? after : NULL, 256, page, &got, &more, err);
        if (rc != LS_OK)
            return rc;
        for (size_t i = 0; i < got; i++) {
            const struct ls_edge *e = page[i];
            if (e->esource != LS_ESRC_INFERRED || status_of(e)[0])
                continue;
            json_t *ls = json_object_get(e->attrs, "last_seen");
            int64_t last;
            struct ls_err ignored;
            if (!json_is_string(ls) ||
                ls_time_parse_rfc3339(&last, json_string_value(ls), &ignored) != LS_OK)
                continue;
            if (last + d->p.fade_us < d->now_us) {
                ls_change_del_edge(cs, e->src, e->type, e->dst);
                (*n)++;
            }
        }
        if (got)
            ls_edge_key(page[got - 1]->src, page[got - 1]->type, page[got - 1]->dst, after,
                        sizeof(after));
    }
    return LS_OK;
}

int ls_depinfer_changes(struct ls_depinfer *d,
                        const struct ls_snap *snap,
                        struct ls_alias *a,
                        struct ls_change_set *cs,
                        size_t *n_changes,
                        struct ls_err *err)
{
    size_t n = 0, before = ls_change_set_count(cs);
    int rc = LS_OK;
    struct ls_map made;
    ls_map_init(&made);
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->n_pairs && rc == LS_OK; i++) {
        struct pair *p = &d->pairs[i];
        if (!p->dirty)
            continue;
        if (p->written_at && p->calls != p->calls_written &&
            p->written_at + d->p.write_every_us > d->now_us)
            continue; /* written lately: wait (a moved metric strength is rewritten at once) */
        const char *cn = d->services[p->caller].name, *dn = d->services[p->callee].name;
        char src[256], dst[256];
        bool make_src, make_dst;
        resolve(snap, a, cn, src, sizeof(src), &make_src);
        resolve(snap, a, dn, dst, sizeof(dst), &make_dst);
        snprintf(d->services[p->caller].node, sizeof(d->services[p->caller].node), "%s", src);
        snprintf(d->services[p->callee].node, sizeof(d->services[p->callee].node), "%s", dst);
        if (strcmp(src, dst) == 0) { /* two names of one node */
            p->dirty = false;
            continue;
        }
        const struct ls_edge *e = ls_snap_edge(snap, src, LS_EDGE_DEPENDS_ON, dst);
        p->dirty = false;
        if (e && (strcmp(status_of(e), "rejected") == 0 || e->esource != LS_ESRC_INFERRED))
            continue; /* the operator said no, or the edge is someone else's */
        if (make_src)
            rc = put_service(cs, &made, src, cn, err);
        if (rc == LS_OK && make_dst)
            rc = put_service(cs, &made, dst, dn, err);
        if (rc != LS_OK)
            break;
        if (e)
            rc = ls_change_patch_edge_new(cs, src, LS_EDGE_DEPENDS_ON, dst, pair_attrs(p),
                                          strength_of(p), err);
        else
            rc = ls_change_put_edge_new(cs, src, LS_EDGE_DEPENDS_ON, dst, pair_attrs(p),
                                        LS_ESRC_INFERRED, strength_of(p), err);
        p->calls_written = p->calls;
        p->written_at = d->now_us;
        n++;
    }
    if (rc == LS_OK)
        rc = fade(d, snap, cs, &n, err);
    pthread_mutex_unlock(&d->lock);
    ls_map_cleanup(&made);
    if (n_changes)
        *n_changes = ls_change_set_count(cs) - before;
    return rc;
}

void ls_depinfer_retry(struct ls_depinfer *d)
{
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->n_pairs; i++) {
        if (d->pairs[i].written_at) {
            d->pairs[i].dirty = true;
            d->pairs[i].written_at = 0;
        }
    }
    pthread_mutex_unlock(&d->lock);
}

/* ---- structure ---- */

/* The node id a service resolved to, or its name before any pass. */
static const char *id_of(const struct service *s)
{
    return s->node[0] ? s->node : s->name;
}

static json_t *
reason(const struct ls_depinfer *d, const struct pair *p, bool vanished, double score)
{
    json_t *r = json_pack("{s:s,s:s,s:s,s:i,s:[i,i],s:o,s:s,s:f}", "metric", "depends_on", "target",
                          id_of(&d->services[p->callee]), "change", vanished ? "vanished" : "new",
                          "value", vanished ? 0 : 1, "expected", vanished ? 1 : 0, vanished ? 1 : 0,
                          "since", time_json(vanished ? p->last_seen : p->first_seen), "detector",
                          "structure", "score", score);
    if (r == NULL)
        ls_json_oom();
    return r;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
                  json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

json_t *ls_depinfer_deviations_json(struct ls_depinfer *d)
{
    pthread_mutex_lock(&d->lock);
    json_t **per = ls_xcalloc(d->n_services ? d->n_services : 1, sizeof(*per));
    for (size_t i = 0; i < d->n_pairs; i++) {
        const struct pair *p = &d->pairs[i];
        const struct service *c = &d->services[p->caller];
        if (c->first_call_us == 0)
            continue;
        int64_t settled = c->first_call_us + d->p.learn_us;
        bool is_new = p->first_seen >= settled && p->first_seen + d->p.new_for_us >= d->now_us;
        bool caller_active = c->last_call_us + d->p.vanish_us >= d->now_us;
        bool vanished = p->first_seen < settled && caller_active &&
                        p->last_seen + d->p.vanish_us < c->last_call_us;
        if (!is_new && !vanished)
            continue;
        double score = vanished ? 0.9 : 0.7;
        if (per[p->caller] == NULL)
            per[p->caller] = json_pack("{s:s,s:s,s:f,s:s,s:[]}", "id", id_of(c), "service", c->name,
                                       "score", 0.0, "detector", "structure", "reasons");
        json_t *o = per[p->caller];
        if (score > json_real_value(json_object_get(o, "score")))
            json_object_set_new(o, "score", json_real(score));
        json_array_append_new(json_object_get(o, "reasons"), reason(d, p, vanished, score));
    }
    json_t *arr = json_array();
    size_t n = 0;
    for (size_t i = 0; i < d->n_services; i++)
        if (per[i])
            per[n++] = per[i];
    qsort(per, n, sizeof(*per), by_id);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, per[i]);
    free(per);
    pthread_mutex_unlock(&d->lock);
    return arr;
}
