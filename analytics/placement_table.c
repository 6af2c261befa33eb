/* The host table of one revision: every hypervisor with its Placement inventory, traits,
 * aggregates, zone, machine and rack, read once from a snapshot; NUMA cells and the flavor
 * index are read on first use. Cached per revision by struct ls_placement. */
#include <stdlib.h>
#include <string.h>

#include "analytics/placement_impl.h"

#define PAGE       4096
#define RACK_DEPTH 4 /* containers walked up from a machine to find its rack */

struct ls_placement {
    struct ls_graph *g;
    pthread_mutex_t lock;
    struct ls_place_table *cur; /* the newest table built (one reference held) */
    pthread_mutex_t pace_lock;
    struct ls_pace pace; /* moves per call of ls_placement_moves */
};

int place_pace_step(struct ls_placement *p, double measured, struct ls_pace *after)
{
    pthread_mutex_lock(&p->pace_lock);
    int n = ls_pace_step(&p->pace, measured);
    *after = p->pace;
    pthread_mutex_unlock(&p->pace_lock);
    return n;
}

struct ls_placement *ls_placement_new(struct ls_graph *g)
{
    struct ls_placement *p = ls_xcalloc(1, sizeof(*p));
    p->g = g;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->pace_lock, NULL);
    struct ls_pace_params pp;
    ls_pace_params_default(&pp);
    ls_pace_init(&p->pace, &pp);
    return p;
}

void ls_placement_free(struct ls_placement *p)
{
    if (!p)
        return;
    ls_place_table_release(p->cur);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->pace_lock);
    free(p);
}

struct ls_place_table *ls_placement_table(struct ls_placement *p)
{
    struct ls_snap *s = ls_graph_snap(p->g);
    pthread_mutex_lock(&p->lock);
    if (p->cur && p->cur->revision == ls_snap_revision(s)) {
        ls_snap_release(s);
    } else {
        /* built under the lock: concurrent requests at a new revision build it once */
        ls_place_table_release(p->cur);
        p->cur = ls_place_table_build(s);
    }
    struct ls_place_table *t = p->cur;
    atomic_fetch_add(&t->refs, 1);
    pthread_mutex_unlock(&p->lock);
    return t;
}

/* ---- reading one host ---- */

static const char *str_attr(const struct ls_node *n, const char *key)
{
    return json_string_value(json_object_get(n->attrs, key));
}

/* Collects a node's edges of one type and direction (borrowed from the snapshot). */
struct edges {
    const struct ls_edge *e[64];
    size_t n;
};

static bool collect(const struct ls_edge *e, void *arg)
{
    struct edges *c = arg;
    if (c->n < sizeof(c->e) / sizeof(c->e[0]))
        c->e[c->n++] = e;
    return c->n < sizeof(c->e) / sizeof(c->e[0]);
}

static void edges_of(
    const struct ls_snap *s, const char *id, enum ls_direction dir, int type, struct edges *out)
{
    out->n = 0;
    struct ls_err err;
    if (ls_snap_node_edges(s, id, dir, type, collect, out, &err) != LS_OK)
        out->n = 0;
}

/* The rack holding machine: walks up `contains` edges until a node of type rack. */
static const char *rack_of(const struct ls_snap *s, const char *machine)
{
    const char *at = machine;
    for (int depth = 0; at && depth < RACK_DEPTH; depth++) {
        struct edges in;
        edges_of(s, at, LS_DIR_IN, LS_EDGE_CONTAINS, &in);
        const char *up = NULL;
        for (size_t i = 0; i < in.n; i++) {
            const struct ls_node *src = ls_snap_node(s, in.e[i]->src);
            if (!src)
                continue;
            if (!strcmp(src->type, "rack"))
                return src->id;
            if (!up)
                up = src->id;
        }
        at = up;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static double num(const json_t *o, const char *key, double def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

/* A hypervisor without Placement inventories but with `capacity` (and maybe `free`) figures
 * per class (manual or demo nodes): each is an inventory of that total, ratio 1. */
static void read_capacity(struct place_host *h, const struct ls_node *n)
{
    const json_t *cap = json_object_get(n->attrs, "capacity");
    const json_t *fr = json_object_get(n->attrs, "free");
    if (!json_is_object(cap))
        return;
    h->inv = ls_xcalloc(json_object_size(cap) + 1, sizeof(*h->inv));
    const char *rc;
    json_t *v;
    json_object_foreach((json_t *)cap, rc, v)
    {
        if (!json_is_number(v))
            continue;
        struct place_inv *x = &h->inv[h->n_inv++];
        x->rc = rc;
        x->total = x->capacity = json_number_value(v);
        x->ratio = 1.0;
        x->free = num(fr, rc, x->capacity);
        x->used = x->capacity - x->free;
    }
}

static void read_inventory(struct place_host *h, const struct ls_node *n)
{
    const json_t *inv = json_object_get(n->attrs, "inventories");
    const json_t *use = json_object_get(n->attrs, "usages");
    if (!json_is_object(inv)) {
        read_capacity(h, n); /* no Placement figures: the node's own capacity, if any */
        return;
    }
    h->inv = ls_xcalloc(json_object_size(inv) + 1, sizeof(*h->inv));
    const char *rc;
    json_t *v;
    json_object_foreach((json_t *)inv, rc, v)
    {
        if (!json_is_object(v))
            continue;
        struct place_inv *x = &h->inv[h->n_inv++];
        x->rc = rc;
        x->total = num(v, "total", 0);
        x->reserved = num(v, "reserved", 0);
        x->ratio = num(v, "allocation_ratio", 1.0);
        x->min_unit = num(v, "min_unit", 0);
        x->max_unit = num(v, "max_unit", 0);
        x->step = num(v, "step_size", 0);
        x->used = num(use, rc, 0);
        /* exactly Placement's arithmetic (and the importer's, mapping.c) */
        x->capacity = (x->total - x->reserved) * x->ratio;
        x->free = x->capacity - x->used;
    }
}

static void add_agg(struct place_host *h, size_t *cap, const char *name)
{
    if (!name || !*name)
        return;
    for (size_t i = 0; i < h->n_aggs; i++)
        if (!strcmp(h->aggs[i], name))
            return;
    if (h->n_aggs == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        h->aggs = ls_xrealloc(h->aggs, *cap * sizeof(*h->aggs));
    }
    h->aggs[h->n_aggs++] = name;
}

static void read_host(const struct ls_snap *s, const struct ls_node *n, struct place_host *h)
{
    h->hv = n;
    h->name = str_attr(n, "hypervisor_hostname");
    if (!h->name || !*h->name)
        h->name = n->name;
    if (!strcmp(n->state, "disabled") || !strcmp(n->state, "down"))
        h->down = n->state;
    read_inventory(h, n);
    const json_t *traits = json_object_get(n->attrs, "traits");
    size_t i, cap = 0;
    json_t *v;
    if (json_is_array(traits) && json_array_size(traits)) {
        h->traits = ls_xcalloc(json_array_size(traits), sizeof(*h->traits));
        json_array_foreach(traits, i, v)
        {
            if (json_is_string(v))
                h->traits[h->n_traits++] = json_string_value(v);
        }
        qsort(h->traits, h->n_traits, sizeof(*h->traits), cmp_str);
    }
    json_array_foreach(json_object_get(n->attrs, "placement_aggregates"), i, v)
        add_agg(h, &cap, json_string_value(v));
    struct edges out;
    edges_of(s, n->id, LS_DIR_OUT, -1, &out);
    for (i = 0; i < out.n; i++) {
        const struct ls_edge *e = out.e[i];
        const struct ls_node *d = ls_snap_node(s, e->dst);
        if (!d)
            continue;
        if (e->type == LS_EDGE_RUNS_ON && !strcmp(d->type, "machine")) {
            h->machine = d->id;
        } else if (e->type == LS_EDGE_MEMBER_OF && !strcmp(d->type, "availability_zone")) {
            h->zone = d->name;
        } else if (e->type == LS_EDGE_MEMBER_OF && !strcmp(d->type, "aggregate")) {
            add_agg(h, &cap, d->id);
            add_agg(h, &cap, d->name);
            add_agg(h, &cap, str_attr(d, "uuid"));
            if (!h->zone)
                h->zone = str_attr(d, "availability_zone");
        }
    }
    if (h->machine)
        h->rack = rack_of(s, h->machine);
}

struct ls_place_table *ls_place_table_build(struct ls_snap *s)
{
    struct ls_place_table *t = ls_xcalloc(1, sizeof(*t));
    atomic_init(&t->refs, 1);
    t->snap = s;
    t->revision = ls_snap_revision(s);
    pthread_mutex_init(&t->lazy, NULL);
    ls_map_init(&t->by_name);
    ls_map_init(&t->flavors);
    struct ls_node_filter f = {.type = "hypervisor", .layer = -1};
    const struct ls_node **page = ls_xmalloc(PAGE * sizeof(*page));
    size_t cap = 0;
    const char *after = NULL;
    bool more = true;
    while (more) {
        size_t got = 0;
        struct ls_err err;
        if (ls_snap_list_nodes(s, &f, after, PAGE, page, &got, &more, &err) != LS_OK)
            break;
        if (t->n + got > cap) {
            cap = (t->n + got) * 2;
            t->hosts = ls_xrealloc(t->hosts, cap * sizeof(*t->hosts));
        }
        for (size_t i = 0; i < got; i++) {
            struct place_host *h = &t->hosts[t->n++];
            memset(h, 0, sizeof(*h));
            read_host(s, page[i], h);
        }
        if (got)
            after = page[got - 1]->id;
    }
    free(page);
    /* resource classes by a small id: a ranking looks a class up once, not per host */
    for (size_t i = 0; i < t->n; i++) {
        struct place_host *h = &t->hosts[i];
        memset(h->by_rc, -1, sizeof(h->by_rc));
        for (size_t k = 0; k < h->n_inv; k++) {
            size_t id = 0;
            while (id < t->n_rcs && strcmp(t->rcs[id], h->inv[k].rc) != 0)
                id++;
            if (id == t->n_rcs && t->n_rcs < LS_PLACE_TABLE_RCS)
                t->rcs[t->n_rcs++] = h->inv[k].rc;
            if (id < t->n_rcs && k < 127)
                h->by_rc[id] = (int8_t)k;
        }
    }
    ls_map_reserve(&t->by_name, t->n * 3);
    for (size_t i = 0; i < t->n; i++) {
        void *idx = (void *)(uintptr_t)(i + 1);
        ls_map_put(&t->by_name, t->hosts[i].hv->id, idx);
        const char *svc = str_attr(t->hosts[i].hv, "host");
        if (svc && !ls_map_get(&t->by_name, svc))
            ls_map_put(&t->by_name, svc, idx);
        ls_map_put(&t->by_name, t->hosts[i].name, idx); /* hypervisor_hostname wins */
    }
    return t;
}

void ls_place_table_release(struct ls_place_table *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->hosts[i].inv);
        free(t->hosts[i].traits);
        free(t->hosts[i].aggs);
    }
    free(t->hosts);
    ls_map_cleanup(&t->by_name);
    ls_map_cleanup(&t->flavors);
    place_lv_release(t->lv);
    pthread_mutex_destroy(&t->lazy);
    ls_snap_release(t->snap);
    free(t);
}

size_t ls_place_table_size(const struct ls_place_table *t)
{
    return t->n;
}

uint64_t ls_place_table_revision(const struct ls_place_table *t)
{
    return t->revision;
}

const struct ls_snap *ls_place_table_snap(const struct ls_place_table *t)
{
    return t->snap;
}

long place_host_index(const struct ls_place_table *t, const char *name)
{
    uintptr_t v = (uintptr_t)ls_map_get(&t->by_name, name);
    return v ? (long)v - 1 : -1;
}

int place_rc_id(const struct ls_place_table *t, const char *rc)
{
    for (size_t id = 0; id < t->n_rcs; id++)
        if (!strcmp(t->rcs[id], rc))
            return (int)id;
    return t->n_rcs == LS_PLACE_TABLE_RCS ? -2 : -1;
}

const struct place_inv *place_inv_of(const struct place_host *h, const char *rc)
{
    for (size_t i = 0; i < h->n_inv; i++)
        if (!strcmp(h->inv[i].rc, rc))
            return &h->inv[i];
    return NULL;
}

long place_server_host(const struct ls_place_table *t, const char *id, bool *known)
{
    char buf[LS_PLACE_MAX_STR + 32];
    const struct ls_node *n = ls_snap_node(t->snap, id);
    if (!n) {
        snprintf(buf, sizeof(buf), "nova:instance:%s", id);
        n = ls_snap_node(t->snap, buf);
    }
    *known = n != NULL;
    if (!n)
        return -1;
    struct edges out;
    edges_of(t->snap, n->id, LS_DIR_OUT, LS_EDGE_RUNS_ON, &out);
    for (size_t i = 0; i < out.n; i++) {
        long h = place_host_index(t, out.e[i]->dst);
        if (h >= 0)
            return h;
    }
    return -1;
}

/* Servers on a host: the instances with a runs_on edge to it. */
struct servers {
    const struct ls_snap *s;
    const struct ls_node **out;
    size_t n, cap;
};

static bool collect_server(const struct ls_edge *e, void *arg)
{
    struct servers *c = arg;
    const struct ls_node *n = ls_snap_node(c->s, e->src);
    if (n && !strcmp(n->type, "instance"))
        c->out[c->n++] = n;
    return c->n < c->cap;
}

size_t place_servers_on(const struct ls_place_table *t,
                        size_t host,
                        const struct ls_node **out,
                        size_t cap)
{
    struct servers c = {t->snap, out, 0, cap};
    struct ls_err err;
    if (cap == 0 || ls_snap_node_edges(t->snap, t->hosts[host].hv->id, LS_DIR_IN, LS_EDGE_RUNS_ON,
                                       collect_server, &c, &err) != LS_OK)
        return 0;
    return c.n;
}

/* ---- lazy parts ---- */

/* A machine's NUMA cells: numa_node nodes under it (machine > socket > numa_node, or
 * machine > numa_node), each with memory_bytes and cores carrying `pus`. */
static void read_numa(const struct ls_snap *s, struct place_host *h)
{
    const char *frontier[LS_PLACE_HOST_NUMA * 4];
    size_t nf = 0;
    frontier[nf++] = h->machine;
    for (size_t k = 0; k < nf && h->n_numa < LS_PLACE_HOST_NUMA; k++) {
        struct edges in;
        edges_of(s, frontier[k], LS_DIR_OUT, LS_EDGE_CONTAINS, &in);
        for (size_t i = 0; i < in.n && h->n_numa < LS_PLACE_HOST_NUMA; i++) {
            const struct ls_node *d = ls_snap_node(s, in.e[i]->dst);
            if (!d)
                continue;
            if (!strcmp(d->type, "socket") && nf < sizeof(frontier) / sizeof(frontier[0])) {
                frontier[nf++] = d->id;
            } else if (!strcmp(d->type, "numa_node")) {
                struct place_numa *c = &h->numa[h->n_numa++];
                /* hwloc's bytes (importers/host), or GB on hand-made nodes (the demo's) */
                c->memory_mb = num(d->attrs, "memory_bytes", 0) / (1024.0 * 1024.0);
                if (c->memory_mb == 0)
                    c->memory_mb = num(d->attrs, "memory_gb", 0) * 1024.0;
                struct edges cores;
                edges_of(s, d->id, LS_DIR_OUT, LS_EDGE_CONTAINS, &cores);
                for (size_t j = 0; j < cores.n; j++) {
                    const struct ls_node *core = ls_snap_node(s, cores.e[j]->dst);
                    if (core && !strcmp(core->type, "core"))
                        c->cpus += num(core->attrs, "pus", 1);
                }
            }
        }
    }
}

void place_numa_load(struct ls_place_table *t)
{
    pthread_mutex_lock(&t->lazy);
    if (!t->numa_done) {
        for (size_t i = 0; i < t->n; i++)
            if (t->hosts[i].machine)
                read_numa(t->snap, &t->hosts[i]);
        t->numa_done = true;
    }
    pthread_mutex_unlock(&t->lazy);
}

json_t *place_flavor(struct ls_place_table *t, const char *name)
{
    pthread_mutex_lock(&t->lazy);
    if (!t->flavors_done) {
        struct ls_node_filter f = {.type = "instance", .layer = -1};
        const struct ls_node **page = ls_xmalloc(PAGE * sizeof(*page));
        const char *after = NULL;
        bool more = true;
        while (more) {
            size_t got = 0;
            struct ls_err err;
            if (ls_snap_list_nodes(t->snap, &f, after, PAGE, page, &got, &more, &err) != LS_OK)
                break;
            for (size_t i = 0; i < got; i++) {
                json_t *fl = json_object_get(page[i]->attrs, "flavor");
                const char *fn = json_string_value(json_object_get(fl, "name"));
                /* the newest server's copy wins: a flavor edited since is seen as now */
                if (fn && json_is_integer(json_object_get(fl, "vcpus")))
                    ls_map_put(&t->flavors, fn, fl);
            }
            if (got)
                after = page[got - 1]->id;
        }
        free(page);
        t->flavors_done = true;
    }
    json_t *fl = ls_map_get(&t->flavors, name);
    pthread_mutex_unlock(&t->lazy);
    return fl;
}
