/* Read queries over a snapshot: point lookups, filtered listing with markers, adjacency and
 * breadth-first neighbourhoods. Lock-free: everything reads published versions only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/graph_impl.h"

const struct ls_node *ls_snap_node(const struct ls_snap *s, const char *id)
{
    int64_t slot = graph_find_nslot(s->g, id);
    return slot < 0 ? NULL : graph_node_at(s->g, (uint32_t)slot, s->rev);
}

const struct ls_edge *
ls_snap_edge(const struct ls_snap *s, const char *src, enum ls_edge_type type, const char *dst)
{
    int64_t a = graph_find_nslot(s->g, src), b = graph_find_nslot(s->g, dst);
    if (a < 0 || b < 0)
        return NULL;
    int64_t e = graph_find_eslot(s->g, (uint32_t)a, type, (uint32_t)b);
    return e < 0 ? NULL : graph_edge_at(s->g, (uint32_t)e, s->rev);
}

/* The text an attrs value is compared as: strings as is, numbers and booleans printed. */
static bool attr_equals(json_t *v, const char *want)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return strcmp(json_string_value(v), want) == 0;
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strcmp(buf, want) == 0;
    case JSON_REAL:
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return strcmp(buf, want) == 0 || strtod(want, NULL) == json_real_value(v);
    case JSON_TRUE:
        return strcmp(want, "true") == 0;
    case JSON_FALSE:
        return strcmp(want, "false") == 0;
    case JSON_NULL:
        return strcmp(want, "null") == 0;
    default:
        return false;
    }
}

bool ls_node_filter_match(const struct ls_node_filter *f, const struct ls_node *n)
{
    if (f == NULL)
        return true;
    if (f->type && strcmp(f->type, n->type) != 0)
        return false;
    if (f->layer >= 0 && (int)n->layer != f->layer)
        return false;
    if (f->state && strcmp(f->state, n->state) != 0)
        return false;
    if (f->name && strcmp(f->name, n->name) != 0)
        return false;
    if (f->source && strcmp(f->source, n->source) != 0)
        return false;
    for (size_t i = 0; i < f->n_attrs; i++) {
        json_t *v = json_object_get(n->attrs, f->attrs[i].key);
        if (v == NULL || !attr_equals(v, f->attrs[i].value))
            return false;
    }
    return true;
}

/* ---- listing ------------------------------------------------------------------------------ */

struct lister {
    const struct ls_snap *s;
    const struct ls_node_filter *nf;
    const struct ls_edge_filter *ef;
    int64_t after;      /* slot to start after, or -1 */
    uint32_t after_seq; /* its creation sequence number */
    bool seen_after;    /* passed the marker in list order */
    size_t limit, n;
    const void **out;
    bool more;
};

/* Common marker logic: true when slot v comes after the marker in list order. */
static bool past_marker(struct lister *l, uint32_t v)
{
    if (l->after < 0 || l->seen_after)
        return true;
    if ((int64_t)v == l->after)
        l->seen_after = true;
    return false;
}

static bool collect(struct lister *l, const void *item)
{
    if (l->n == l->limit) {
        l->more = true;
        return false;
    }
    l->out[l->n++] = item;
    return true;
}

static bool list_node(uint32_t v, void *arg)
{
    struct lister *l = arg;
    if (!past_marker(l, v))
        return true;
    const struct ls_node *n = graph_node_at(l->s->g, v, l->s->rev);
    if (n == NULL || !ls_node_filter_match(l->nf, n))
        return true;
    return collect(l, n);
}

/* The marker is not in this list (its node changed type): nodes created after it follow. */
static bool list_node_by_seq(uint32_t v, void *arg)
{
    struct lister *l = arg;
    if (atomic_load_explicit(&nslot_at(l->s->g, v)->seq, memory_order_relaxed) <= l->after_seq)
        return true;
    const struct ls_node *n = graph_node_at(l->s->g, v, l->s->rev);
    if (n == NULL || !ls_node_filter_match(l->nf, n))
        return true;
    return collect(l, n);
}

int ls_snap_list_nodes(const struct ls_snap *s,
                       const struct ls_node_filter *f,
                       const char *after,
                       size_t limit,
                       const struct ls_node **out,
                       size_t *n,
                       bool *more,
                       struct ls_err *err)
{
    struct lister l = {.s = s, .nf = f, .after = -1, .limit = limit, .out = (const void **)out};
    if (after) {
        l.after = graph_find_nslot(s->g, after);
        if (l.after < 0)
            return ls_err_set(err, LS_EINVAL, "invalid_marker", "marker '%.200s' is not a node",
                              after);
    }
    const struct ulist *list = &s->g->all;
    if (f && f->type) {
        int ti = graph_type_index(f->type);
        if (ti < 0) {
            *n = 0;
            *more = false;
            return LS_OK;
        }
        list = &s->g->types[ti];
    } else if (f && f->layer >= 0 && f->layer < LS_LAYER_COUNT) {
        list = &s->g->layers[f->layer];
    }
    ulist_each(list, list_node, &l);
    if (l.after >= 0 && !l.seen_after) {
        l.n = 0;
        l.more = false;
        l.after_seq =
            atomic_load_explicit(&nslot_at(s->g, (uint32_t)l.after)->seq, memory_order_relaxed);
        ulist_each(list, list_node_by_seq, &l);
    }
    *n = l.n;
    *more = l.more;
    return LS_OK;
}

static bool edge_match(const struct ls_edge_filter *f, const struct ls_edge *e)
{
    if (f == NULL)
        return true;
    if (f->src && strcmp(f->src, e->src) != 0)
        return false;
    if (f->dst && strcmp(f->dst, e->dst) != 0)
        return false;
    if (f->type >= 0 && (int)e->type != f->type)
        return false;
    return true;
}

static bool list_edge(uint32_t v, void *arg)
{
    struct lister *l = arg;
    if (!past_marker(l, v))
        return true;
    const struct ls_edge *e = graph_edge_at(l->s->g, v, l->s->rev);
    if (e == NULL || !edge_match(l->ef, e))
        return true;
    return collect(l, e);
}

/* Parses "src|type|dst" into its edge slot; -1 when unknown. */
static int64_t edge_marker_slot(const struct ls_graph *g, const char *key)
{
    const char *a = strchr(key, '|');
    const char *b = a ? strchr(a + 1, '|') : NULL;
    if (b == NULL)
        return -1;
    char src[1024], type[64];
    if ((size_t)(a - key) >= sizeof(src) || (size_t)(b - a - 1) >= sizeof(type))
        return -1;
    memcpy(src, key, (size_t)(a - key));
    src[a - key] = '\0';
    memcpy(type, a + 1, (size_t)(b - a - 1));
    type[b - a - 1] = '\0';
    enum ls_edge_type t;
    int64_t s = graph_find_nslot(g, src), d = graph_find_nslot(g, b + 1);
    if (!ls_edge_type_parse(type, &t) || s < 0 || d < 0)
        return -1;
    return graph_find_eslot(g, (uint32_t)s, t, (uint32_t)d);
}

int ls_snap_list_edges(const struct ls_snap *s,
                       const struct ls_edge_filter *f,
                       const char *after,
                       size_t limit,
                       const struct ls_edge **out,
                       size_t *n,
                       bool *more,
                       struct ls_err *err)
{
    struct lister l = {.s = s, .ef = f, .after = -1, .limit = limit, .out = (const void **)out};
    if (after) {
        l.after = edge_marker_slot(s->g, after);
        if (l.after < 0)
            return ls_err_set(err, LS_EINVAL, "invalid_marker", "marker '%.200s' is not an edge",
                              after);
    }
    /* with an endpoint given, walk that node's adjacency instead of every edge */
    if (f && (f->src || f->dst)) {
        int64_t ns = graph_find_nslot(s->g, f->src ? f->src : f->dst);
        if (ns >= 0)
            adj_each(nslot_at(s->g, (uint32_t)ns), f->src != NULL, list_edge, &l);
    } else {
        ulist_each(&s->g->all_edges, list_edge, &l);
    }
    *n = l.n;
    *more = l.more;
    return LS_OK;
}

/* ---- adjacency ------------------------------------------------------------------------------ */

struct edge_walk {
    const struct ls_snap *s;
    int type;
    ls_edge_visit fn;
    void *arg;
    bool stopped;
};

static bool walk_edge(uint32_t v, void *arg)
{
    struct edge_walk *w = arg;
    const struct ls_edge *e = graph_edge_at(w->s->g, v, w->s->rev);
    if (e == NULL || (w->type >= 0 && (int)e->type != w->type))
        return true;
    if (!w->fn(e, w->arg)) {
        w->stopped = true;
        return false;
    }
    return true;
}

int ls_snap_node_edges(const struct ls_snap *s,
                       const char *id,
                       enum ls_direction dir,
                       int type,
                       ls_edge_visit fn,
                       void *arg,
                       struct ls_err *err)
{
    int64_t slot = graph_find_nslot(s->g, id);
    if (slot < 0 || graph_node_at(s->g, (uint32_t)slot, s->rev) == NULL)
        return ls_err_set(err, LS_ENOTFOUND, "node_not_found", "node '%.200s' does not exist", id);
    struct nslot *ns = nslot_at(s->g, (uint32_t)slot);
    struct edge_walk w = {s, type, fn, arg, false};
    if (dir & LS_DIR_OUT)
        adj_each(ns, true, walk_edge, &w);
    if ((dir & LS_DIR_IN) && !w.stopped)
        adj_each(ns, false, walk_edge, &w);
    return LS_OK;
}

/* ---- subgraph ------------------------------------------------------------------------------- */

/* Open-addressing map node slot -> visit index, sized by the caller's bound. */
struct umap {
    uint32_t *key; /* slot + 1; 0 = empty */
    uint32_t *val;
    uint32_t mask;
    uint32_t n;
};

static void umap_init(struct umap *u, uint32_t cap)
{
    uint32_t c = 64;
    while (c < cap * 2)
        c *= 2;
    u->key = ls_xcalloc(c, sizeof(uint32_t));
    u->val = ls_xmalloc(c * sizeof(uint32_t));
    u->mask = c - 1;
    u->n = 0;
}

static inline uint32_t umap_hash(uint32_t k)
{
    return k * 2654435761u;
}

static void umap_grow(struct umap *u)
{
    struct umap old = *u;
    umap_init(u, old.mask + 1);
    for (uint32_t i = 0; i <= old.mask; i++) {
        if (old.key[i] == 0)
            continue;
        uint32_t h = umap_hash(old.key[i]) & u->mask;
        while (u->key[h])
            h = (h + 1) & u->mask;
        u->key[h] = old.key[i];
        u->val[h] = old.val[i];
        u->n++;
    }
    free(old.key);
    free(old.val);
}

/* Finds x; when absent inserts it with value v and returns UINT32_MAX. */
static uint32_t umap_get_or_add(struct umap *u, uint32_t x, uint32_t v)
{
    if ((u->n + 1) * 2 > u->mask + 1)
        umap_grow(u);
    uint32_t k = x + 1, h = umap_hash(k) & u->mask;
    while (u->key[h]) {
        if (u->key[h] == k)
            return u->val[h];
        h = (h + 1) & u->mask;
    }
    u->key[h] = k;
    u->val[h] = v;
    u->n++;
    return UINT32_MAX;
}

struct bfs {
    const struct ls_snap *s;
    struct ls_subgraph *out;
    size_t cap_nodes, cap_edges;
    uint32_t *slots; /* node slots in visit order (parallel to out->nodes) */
    int *depth;
    struct umap seen; /* node slot -> index in visit order */
    int type;
    bool both;
    size_t max_nodes;
    uint32_t *scratch; /* edge slots of the level being expanded, with their node's index */
    uint32_t *scratch_from;
    size_t n_scratch, cap_scratch;
    uint32_t from; /* node being expanded */
    uint32_t from_index;
    int from_depth;
};

static void add_node(struct bfs *b, uint32_t slot, const struct ls_node *n, int depth)
{
    if (b->out->n_nodes == b->cap_nodes) {
        b->cap_nodes *= 2;
        b->out->nodes = ls_xrealloc(b->out->nodes, b->cap_nodes * sizeof(*b->out->nodes));
        b->slots = ls_xrealloc(b->slots, b->cap_nodes * sizeof(*b->slots));
        b->depth = ls_xrealloc(b->depth, b->cap_nodes * sizeof(*b->depth));
    }
    b->out->nodes[b->out->n_nodes] = n;
    b->slots[b->out->n_nodes] = slot;
    b->depth[b->out->n_nodes] = depth;
    b->out->n_nodes++;
}

/* Crosses one edge of the node being expanded. Each edge is added once: walking both ways an
 * edge shows up in the lists of both ends, so it is taken from the end expanded first (the
 * other end is then new or not yet expanded: its visit index is larger). New nodes are added
 * with their slot only; their versions are resolved after the whole adjacency was crossed, so
 * that the slot loads (cache misses on a large graph) overlap through prefetching. */
static bool bfs_edge(struct bfs *b, uint32_t es)
{
    const struct eslot *slot = eslot_at(b->s->g, es);
    if (b->type >= 0 && (int)slot->type != b->type)
        return true;
    const struct ls_edge *e = graph_edge_at(b->s->g, es, b->s->rev);
    if (e == NULL)
        return true;
    uint32_t other = slot->src == b->from ? slot->dst : slot->src;
    uint32_t idx = umap_get_or_add(&b->seen, other, (uint32_t)b->out->n_nodes);
    if (idx == UINT32_MAX) {
        if (b->out->n_nodes >= b->max_nodes) {
            b->out->truncated = true;
            return false;
        }
        __builtin_prefetch(nslot_at(b->s->g, other));
        add_node(b, other, NULL, b->from_depth + 1);
    } else if (b->both && idx < b->from_index) {
        return true; /* taken when that end was expanded */
    } else if (b->both && idx == b->from_index && slot->dst == b->from) {
        return true; /* a self-loop, taken from the out list */
    }
    if (b->out->n_edges == b->cap_edges) {
        b->cap_edges *= 2;
        b->out->edges = ls_xrealloc(b->out->edges, b->cap_edges * sizeof(*b->out->edges));
    }
    b->out->edges[b->out->n_edges++] = e;
    return true;
}

/* Collects a list's edge slots into b->scratch, prefetching each slot. */
static bool gather_edge(uint32_t es, void *arg)
{
    struct bfs *b = arg;
    if (b->n_scratch == b->cap_scratch) {
        b->cap_scratch *= 2;
        b->scratch = ls_xrealloc(b->scratch, b->cap_scratch * sizeof(*b->scratch));
        b->scratch_from = ls_xrealloc(b->scratch_from, b->cap_scratch * sizeof(*b->scratch));
    }
    b->scratch_from[b->n_scratch] = b->from_index;
    b->scratch[b->n_scratch++] = es;
    __builtin_prefetch(eslot_at(b->s->g, es));
    return true;
}

static void prefetch_lists(const struct nslot *ns)
{
    __builtin_prefetch(
        atomic_load_explicit(&((struct nslot *)ns)->out_more.head, memory_order_relaxed));
    __builtin_prefetch(
        atomic_load_explicit(&((struct nslot *)ns)->in_more.head, memory_order_relaxed));
}

int ls_snap_subgraph(const struct ls_snap *s,
                     const char *root,
                     int depth,
                     enum ls_direction dir,
                     int type,
                     size_t max_nodes,
                     struct ls_subgraph *out,
                     struct ls_err *err)
{
    memset(out, 0, sizeof(*out));
    int64_t rs = graph_find_nslot(s->g, root);
    const struct ls_node *rn = rs < 0 ? NULL : graph_node_at(s->g, (uint32_t)rs, s->rev);
    if (rn == NULL)
        return ls_err_set(err, LS_ENOTFOUND, "node_not_found", "node '%.200s' does not exist",
                          root);
    if (max_nodes == 0)
        max_nodes = 1;
    struct bfs b = {.s = s,
                    .out = out,
                    .cap_nodes = 256,
                    .cap_edges = 512,
                    .cap_scratch = 256,
                    .type = type,
                    .both = dir == LS_DIR_BOTH,
                    .max_nodes = max_nodes};
    out->nodes = ls_xmalloc(b.cap_nodes * sizeof(*out->nodes));
    out->edges = ls_xmalloc(b.cap_edges * sizeof(*out->edges));
    b.slots = ls_xmalloc(b.cap_nodes * sizeof(*b.slots));
    b.depth = ls_xmalloc(b.cap_nodes * sizeof(*b.depth));
    b.scratch = ls_xmalloc(b.cap_scratch * sizeof(*b.scratch));
    b.scratch_from = ls_xmalloc(b.cap_scratch * sizeof(*b.scratch_from));
    umap_init(&b.seen, 256);
    umap_get_or_add(&b.seen, (uint32_t)rs, 0);
    add_node(&b, (uint32_t)rs, rn, 0);
    /* level by level: gather the adjacency of the whole frontier (prefetching every edge
     * slot), cross it in order, then resolve the new nodes (prefetching their lists) */
    size_t lo = 0;
    for (int d = 0; d < depth && lo < out->n_nodes && !out->truncated; d++) {
        size_t hi = out->n_nodes;
        b.n_scratch = 0;
        for (size_t i = lo; i < hi; i++) {
            const struct nslot *ns = nslot_at(s->g, b.slots[i]);
            b.from_index = (uint32_t)i;
            if (dir & LS_DIR_OUT)
                adj_each(ns, true, gather_edge, &b);
            if (dir & LS_DIR_IN)
                adj_each(ns, false, gather_edge, &b);
        }
        b.from_depth = d;
        for (size_t k = 0; k < b.n_scratch; k++) {
            b.from_index = b.scratch_from[k];
            b.from = b.slots[b.from_index];
            if (!bfs_edge(&b, b.scratch[k]))
                break;
        }
        for (size_t j = hi; j < out->n_nodes; j++) {
            out->nodes[j] = graph_node_at(s->g, b.slots[j], s->rev);
            LS_ASSERT(out->nodes[j] != NULL); /* an alive edge has alive ends */
            if (d + 1 < depth)
                prefetch_lists(nslot_at(s->g, b.slots[j]));
        }
        lo = hi;
    }
    free(b.slots);
    free(b.depth);
    free(b.scratch);
    free(b.scratch_from);
    free(b.seen.key);
    free(b.seen.val);
    return LS_OK;
}

void ls_subgraph_cleanup(struct ls_subgraph *sg)
{
    if (sg == NULL)
        return;
    free(sg->nodes);
    free(sg->edges);
    memset(sg, 0, sizeof(*sg));
}
