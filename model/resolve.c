/* ls_graph_prepare: turns a change set into resolved operations against the current graph.
 *
 * Pending state is kept in two maps (node id -> pend_node, edge key -> pend_edge) so that later
 * changes in a set see earlier ones. At the end: the replace sweep, then the cascade (a node
 * deleted in the final state takes every edge touching it along), then the ops are emitted in
 * publish order: node puts, edge puts, edge deletions, node deletions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "model/graph_impl.h"

struct pend_node {
    const struct ls_node *cur; /* alive in the graph now, or NULL */
    struct ls_node *next;      /* pending version; NULL with deleted = removal */
    bool deleted;
    bool touched; /* put or patched by the set (not swept) */
};

struct pend_edge {
    const struct ls_edge *cur;
    struct ls_edge *next;
    bool deleted;
    bool touched;
};

struct resolver {
    struct ls_graph *g;
    const struct ls_change_set *cs;
    uint64_t rev; /* the current revision */
    int64_t time;
    struct ls_map nodes;       /* id -> struct pend_node* */
    struct ls_map edges;       /* key -> struct pend_edge* */
    struct pend_node **norder; /* pending nodes in the order first touched */
    size_t n_norder, cap_norder;
    struct pend_edge **eorder;
    size_t n_eorder, cap_eorder;
    struct ls_err *err;
};

static const struct ls_node *graph_node(struct resolver *r, const char *id)
{
    int64_t s = graph_find_nslot(r->g, id);
    return s < 0 ? NULL : graph_node_at(r->g, (uint32_t)s, r->rev);
}

static struct pend_node *pnode(struct resolver *r, const char *id)
{
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&r->nodes, id, &added);
    struct pend_node *p = e->value;
    if (added) {
        p = e->value = ls_xcalloc(1, sizeof(*p));
        p->cur = graph_node(r, id);
        if (r->n_norder == r->cap_norder) {
            r->cap_norder = r->cap_norder ? r->cap_norder * 2 : 64;
            r->norder = ls_xrealloc(r->norder, r->cap_norder * sizeof(*r->norder));
        }
        r->norder[r->n_norder++] = p;
    }
    return p;
}

/* The node as the set sees it so far, or NULL when absent. */
static const struct ls_node *visible_node(struct resolver *r, const char *id)
{
    struct pend_node *p = ls_map_get(&r->nodes, id);
    if (p == NULL)
        return graph_node(r, id);
    if (p->deleted)
        return NULL;
    return p->next ? p->next : p->cur;
}

static const struct ls_edge *
graph_edge(struct resolver *r, const char *src, enum ls_edge_type type, const char *dst)
{
    int64_t a = graph_find_nslot(r->g, src), b = graph_find_nslot(r->g, dst);
    if (a < 0 || b < 0)
        return NULL;
    int64_t s = graph_find_eslot(r->g, (uint32_t)a, type, (uint32_t)b);
    return s < 0 ? NULL : graph_edge_at(r->g, (uint32_t)s, r->rev);
}

static struct pend_edge *
pedge(struct resolver *r, const char *src, enum ls_edge_type type, const char *dst)
{
    char key[2048];
    ls_edge_key(src, type, dst, key, sizeof(key));
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&r->edges, key, &added);
    struct pend_edge *p = e->value;
    if (added) {
        p = e->value = ls_xcalloc(1, sizeof(*p));
        p->cur = graph_edge(r, src, type, dst);
        if (r->n_eorder == r->cap_eorder) {
            r->cap_eorder = r->cap_eorder ? r->cap_eorder * 2 : 64;
            r->eorder = ls_xrealloc(r->eorder, r->cap_eorder * sizeof(*r->eorder));
        }
        r->eorder[r->n_eorder++] = p;
    }
    return p;
}

static const struct ls_edge *pedge_visible(const struct pend_edge *p)
{
    if (p->deleted)
        return NULL;
    return p->next ? p->next : p->cur;
}

static int64_t later(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Merges patch into a copy of base: a null value removes the key. New reference. */
static json_t *merge_attrs(json_t *base, json_t *patch)
{
    json_t *out = json_deep_copy(base);
    if (out == NULL)
        ls_json_oom();
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v)
    {
        if (json_is_null(v))
            json_object_del(out, k);
        else
            json_object_set(out, k, v);
    }
    return out;
}

static bool same_node(const struct ls_node *a, const struct ls_node *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->state, b->state) == 0 &&
           strcmp(a->source, b->source) == 0 && strcmp(a->type, b->type) == 0 &&
           json_equal(a->attrs, b->attrs);
}

static bool same_edge(const struct ls_edge *a, const struct ls_edge *b)
{
    return a->esource == b->esource && a->weight == b->weight && strcmp(a->owner, b->owner) == 0 &&
           json_equal(a->attrs, b->attrs);
}

/* Stores a pending node version, replacing an earlier pending one. */
static void set_pending_node(struct pend_node *p, struct ls_node *n)
{
    ls_node_free(p->next);
    p->next = n;
    p->deleted = false;
    p->touched = true;
}

/* attrs of a change (NULL = {}) equal to a version's. */
static bool same_attrs(const json_t *version, const json_t *change)
{
    return change ? json_equal((json_t *)version, (json_t *)change)
                  : json_object_size(version) == 0;
}

/* A put that leaves the alive version as it is (a reconciliation's common case): no new
 * version is made only to be found equal and freed when the ops are emitted. */
static bool
node_put_unchanged(const struct resolver *r, const struct pend_node *p, const struct ls_change *c)
{
    const struct ls_node *cur = p->cur;
    if (!cur || p->deleted || p->next || (c->created_at && c->created_at != cur->created_at))
        return false;
    const char *source = c->source ? c->source : ls_change_set_origin(r->cs);
    return strcmp(cur->type, c->type) == 0 && strcmp(cur->name, c->name ? c->name : "") == 0 &&
           strcmp(cur->state, c->state ? c->state : "") == 0 && strcmp(cur->source, source) == 0 &&
           same_attrs(cur->attrs, c->attrs);
}

static int do_node_put(struct resolver *r, const struct ls_change *c)
{
    struct pend_node *p = pnode(r, c->id);
    const struct ls_node *base = p->deleted ? NULL : (p->next ? p->next : p->cur);
    if (base && c->if_absent)
        return ls_err_set(r->err, LS_ECONFLICT, "node_exists", "node '%s' already exists", c->id);
    if (node_put_unchanged(r, p, c)) {
        p->touched = true;
        return LS_OK;
    }
    if (base && strcmp(base->type, c->type) != 0)
        return ls_err_set(r->err, LS_EINVAL, "type_change",
                          "node '%s' is a %s; its type cannot change to %s", c->id, base->type,
                          c->type);
    enum ls_layer layer;
    LS_ASSERT(ls_type_layer(c->type, &layer));
    const char *source = c->source ? c->source : ls_change_set_origin(r->cs);
    struct ls_node *n = ls_node_new(c->id, c->type, layer, c->name, c->state, c->attrs, source);
    const struct ls_node *alive = p->cur;
    n->created_at =
        c->created_at ? c->created_at : (alive && !p->deleted ? alive->created_at : r->time);
    n->updated_at =
        c->updated_at ? c->updated_at : (alive ? later(r->time, alive->updated_at) : r->time);
    n->revision = c->revision;
    set_pending_node(p, n);
    return LS_OK;
}

static int do_node_patch(struct resolver *r, const struct ls_change *c)
{
    struct pend_node *p = pnode(r, c->id);
    const struct ls_node *base = p->deleted ? NULL : (p->next ? p->next : p->cur);
    if (base == NULL)
        return ls_err_set(r->err, LS_ENOTFOUND, "node_not_found", "node '%s' does not exist",
                          c->id);
    json_t *attrs = c->attrs ? merge_attrs(base->attrs, c->attrs) : json_incref(base->attrs);
    struct ls_node *n = ls_node_new(c->id, base->type, base->layer, c->name ? c->name : base->name,
                                    c->state ? c->state : base->state, attrs, base->source);
    json_decref(attrs);
    n->created_at = base->created_at;
    n->updated_at = later(r->time, p->cur ? p->cur->updated_at : 0);
    set_pending_node(p, n);
    return LS_OK;
}

static void do_node_del(struct resolver *r, const char *id)
{
    struct pend_node *p = pnode(r, id);
    ls_node_free(p->next);
    p->next = NULL;
    p->deleted = true;
    p->touched = true;
}

static int check_end(struct resolver *r, const char *what, const char *id)
{
    if (visible_node(r, id) == NULL)
        return ls_err_set(r->err, LS_EINVAL, "dangling_edge", "edge %s '%s': no such node", what,
                          id);
    return LS_OK;
}

static void set_pending_edge(struct pend_edge *p, struct ls_edge *e)
{
    ls_edge_free(p->next);
    p->next = e;
    p->deleted = false;
    p->touched = true;
}

static bool
edge_put_unchanged(const struct resolver *r, const struct pend_edge *p, const struct ls_change *c)
{
    const struct ls_edge *cur = p->cur;
    if (!cur || p->deleted || p->next || (c->created_at && c->created_at != cur->created_at))
        return false;
    const char *owner = c->owner ? c->owner : ls_change_set_origin(r->cs);
    return cur->esource == c->esource && cur->weight == c->weight &&
           strcmp(cur->owner, owner) == 0 && same_attrs(cur->attrs, c->attrs);
}

static int do_edge_put(struct resolver *r, const struct ls_change *c)
{
    int rc = check_end(r, "src", c->src);
    if (rc == LS_OK)
        rc = check_end(r, "dst", c->dst);
    if (rc != LS_OK)
        return rc;
    struct pend_edge *p = pedge(r, c->src, c->etype, c->dst);
    const struct ls_edge *base = pedge_visible(p);
    if (base && c->if_absent) {
        char key[1024];
        return ls_err_set(r->err, LS_ECONFLICT, "edge_exists", "edge '%s' already exists",
                          ls_edge_key(c->src, c->etype, c->dst, key, sizeof(key)));
    }
    if (edge_put_unchanged(r, p, c)) {
        p->touched = true;
        return LS_OK;
    }
    struct ls_edge *e = ls_edge_new(c->src, c->dst, c->etype, c->attrs, c->esource,
                                    c->owner ? c->owner : ls_change_set_origin(r->cs), c->weight);
    e->created_at = c->created_at ? c->created_at : (base ? base->created_at : r->time);
    e->updated_at =
        c->updated_at ? c->updated_at : (p->cur ? later(r->time, p->cur->updated_at) : r->time);
    e->revision = c->revision;
    set_pending_edge(p, e);
    return LS_OK;
}

static int do_edge_patch(struct resolver *r, const struct ls_change *c)
{
    struct pend_edge *p = pedge(r, c->src, c->etype, c->dst);
    const struct ls_edge *base = pedge_visible(p);
    if (base == NULL) {
        char key[1024];
        return ls_err_set(r->err, LS_ENOTFOUND, "edge_not_found", "edge '%s' does not exist",
                          ls_edge_key(c->src, c->etype, c->dst, key, sizeof(key)));
    }
    json_t *attrs = c->attrs ? merge_attrs(base->attrs, c->attrs) : json_incref(base->attrs);
    struct ls_edge *e = ls_edge_new(c->src, c->dst, c->etype, attrs, base->esource, base->owner,
                                    isnan(c->weight) ? base->weight : c->weight);
    json_decref(attrs);
    e->created_at = base->created_at;
    e->updated_at = later(r->time, p->cur ? p->cur->updated_at : 0);
    set_pending_edge(p, e);
    return LS_OK;
}

static void
do_edge_del(struct resolver *r, const char *src, enum ls_edge_type type, const char *dst)
{
    struct pend_edge *p = pedge(r, src, type, dst);
    ls_edge_free(p->next);
    p->next = NULL;
    p->deleted = true;
    p->touched = true;
}

/* ---- replace sweep and cascade ---------------------------------------------------------- */

static bool in_scope(const char *scope, const char *id)
{
    return scope == NULL || strncmp(id, scope, strlen(scope)) == 0;
}

struct sweep {
    struct resolver *r;
    const struct ls_change_set *cs;
    const char *origin, *scope;
};

static bool sweep_node(uint32_t s, void *arg)
{
    struct sweep *w = arg;
    const struct ls_node *n = graph_node_at(w->r->g, s, w->r->rev);
    if (n && strcmp(n->source, w->origin) == 0 && in_scope(w->scope, n->id) &&
        !ls_change_set_kept(w->cs, n->id)) {
        struct pend_node *p = ls_map_get(&w->r->nodes, n->id);
        if (p == NULL || !p->touched)
            do_node_del(w->r, n->id);
    }
    return true;
}

static bool sweep_edge(uint32_t s, void *arg)
{
    struct sweep *w = arg;
    const struct ls_edge *e = graph_edge_at(w->r->g, s, w->r->rev);
    if (e && strcmp(e->owner, w->origin) == 0 &&
        (in_scope(w->scope, e->src) || in_scope(w->scope, e->dst)) &&
        !ls_change_set_kept(w->cs, e->src) && !ls_change_set_kept(w->cs, e->dst)) {
        char key[2048];
        struct pend_edge *p =
            ls_map_get(&w->r->edges, ls_edge_key(e->src, e->type, e->dst, key, sizeof(key)));
        if (p == NULL || !p->touched)
            do_edge_del(w->r, e->src, e->type, e->dst);
    }
    return true;
}

static bool cascade_edge(uint32_t s, void *arg)
{
    struct resolver *r = arg;
    const struct ls_edge *e = graph_edge_at(r->g, s, r->rev);
    if (e)
        do_edge_del(r, e->src, e->type, e->dst);
    return true;
}

static void cascade_node(struct resolver *r, struct pend_node *p)
{
    if (!p->deleted || p->cur == NULL)
        return;
    int64_t s = graph_find_nslot(r->g, p->cur->id);
    adj_each(nslot_at(r->g, (uint32_t)s), true, cascade_edge, r);
    adj_each(nslot_at(r->g, (uint32_t)s), false, cascade_edge, r);
}

static void cascade_pending_edge(struct resolver *r, struct pend_edge *p)
{
    const struct ls_edge *e = pedge_visible(p);
    if (e == NULL)
        return;
    struct pend_node *a = ls_map_get(&r->nodes, e->src), *b = ls_map_get(&r->nodes, e->dst);
    if ((a && a->deleted) || (b && b->deleted)) {
        ls_edge_free(p->next);
        p->next = NULL;
        p->deleted = true;
    }
}

/* ---- emitting ops ------------------------------------------------------------------------ */

static void push_op(struct ls_prepared *p, struct ls_op op)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->ops = ls_xrealloc(p->ops, p->cap * sizeof(*p->ops));
    }
    p->ops[p->n++] = op;
}

struct emit {
    struct resolver *r;
    struct ls_prepared *p;
    int pass; /* 0 node puts, 1 edge puts, 2 edge dels, 3 node dels */
};

static void emit_node(struct emit *m, struct pend_node *p)
{
    if (m->pass == 0 && p->next) {
        if (p->cur && same_node(p->cur, p->next) && p->next->created_at == p->cur->created_at) {
            ls_node_free(p->next);
        } else {
            push_op(m->p, (struct ls_op){.kind = LS_OP_NODE_PUT,
                                         .created = p->cur == NULL,
                                         .node = p->next,
                                         .prev = p->cur,
                                         .time_us = p->next->updated_at});
        }
        p->next = NULL;
    } else if (m->pass == 3 && p->deleted && p->cur) {
        push_op(m->p, (struct ls_op){.kind = LS_OP_NODE_DEL,
                                     .node = p->cur,
                                     .time_us = later(m->r->time, p->cur->updated_at)});
    }
}

static void emit_edge(struct emit *m, struct pend_edge *p)
{
    if (m->pass == 1 && p->next) {
        if (p->cur && same_edge(p->cur, p->next)) {
            ls_edge_free(p->next);
        } else {
            push_op(m->p, (struct ls_op){.kind = LS_OP_EDGE_PUT,
                                         .created = p->cur == NULL,
                                         .edge = p->next,
                                         .eprev = p->cur,
                                         .time_us = p->next->updated_at});
        }
        p->next = NULL;
    } else if (m->pass == 2 && p->deleted && p->cur) {
        push_op(m->p, (struct ls_op){.kind = LS_OP_EDGE_DEL,
                                     .edge = p->cur,
                                     .time_us = later(m->r->time, p->cur->updated_at)});
    }
}

static void resolver_cleanup(struct resolver *r)
{
    for (size_t i = 0; i < r->n_norder; i++) {
        ls_node_free(r->norder[i]->next);
        free(r->norder[i]);
    }
    for (size_t i = 0; i < r->n_eorder; i++) {
        ls_edge_free(r->eorder[i]->next);
        free(r->eorder[i]);
    }
    free(r->norder);
    free(r->eorder);
    ls_map_cleanup(&r->nodes);
    ls_map_cleanup(&r->edges);
}

void prepared_free(struct ls_prepared *p, bool free_versions)
{
    if (p == NULL)
        return;
    if (free_versions) {
        for (size_t i = 0; i < p->n; i++) {
            if (p->ops[i].kind == LS_OP_NODE_PUT)
                ls_node_free((struct ls_node *)p->ops[i].node);
            else if (p->ops[i].kind == LS_OP_EDGE_PUT)
                ls_edge_free((struct ls_edge *)p->ops[i].edge);
        }
    }
    free(p->ops);
    free(p->slots);
    free(p);
}

static int apply_change(struct resolver *r, const struct ls_change *c)
{
    switch (c->kind) {
    case LS_CH_NODE_PUT:
        return do_node_put(r, c);
    case LS_CH_NODE_PATCH:
        return do_node_patch(r, c);
    case LS_CH_NODE_DEL:
        do_node_del(r, c->id);
        return LS_OK;
    case LS_CH_EDGE_PUT:
        return do_edge_put(r, c);
    case LS_CH_EDGE_PATCH:
        return do_edge_patch(r, c);
    case LS_CH_EDGE_DEL:
        do_edge_del(r, c->src, c->etype, c->dst);
        return LS_OK;
    }
    return ls_err_set(r->err, LS_ERR, NULL, "unknown change kind %d", (int)c->kind);
}

int ls_graph_prepare(struct ls_graph *g,
                     const struct ls_change_set *cs,
                     int64_t now_us,
                     struct ls_prepared **out,
                     struct ls_err *err)
{
    pthread_mutex_lock(&g->write_lock);
    struct resolver r = {.g = g, .cs = cs, .err = err};
    r.rev = ls_graph_next_revision(g) - 1;
    r.time = ls_change_set_time(cs) ? ls_change_set_time(cs) : now_us;
    ls_map_init(&r.nodes);
    ls_map_init(&r.edges);
    int rc = LS_OK;
    size_t n = ls_change_set_count(cs), node_changes = 0;
    for (size_t i = 0; i < n; i++) {
        enum ls_change_kind k = ls_change_set_at((struct ls_change_set *)cs, i)->kind;
        node_changes += k == LS_CH_NODE_PUT || k == LS_CH_NODE_PATCH || k == LS_CH_NODE_DEL;
    }
    ls_map_reserve(&r.nodes, node_changes);
    ls_map_reserve(&r.edges, n - node_changes);
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        rc = apply_change(&r, ls_change_set_at((struct ls_change_set *)cs, i));
        if (rc != LS_OK && err)
            ls_err_wrap(err, "change %zu", i);
    }
    struct ls_prepared *p = NULL;
    if (rc == LS_OK) {
        if (ls_change_set_replace(cs)) {
            struct sweep w = {&r, cs, ls_change_set_origin(cs), ls_change_set_scope(cs)};
            /* only what the origin ever owned: a sweep costs its size, not the graph's */
            const struct ulist *nodes = graph_source_list(g, w.origin, false);
            const struct ulist *edges = graph_source_list(g, w.origin, true);
            if (nodes)
                ulist_each(nodes, sweep_node, &w);
            if (edges)
                ulist_each(edges, sweep_edge, &w);
        }
        for (size_t i = 0; i < r.n_norder; i++)
            cascade_node(&r, r.norder[i]);
        for (size_t i = 0; i < r.n_eorder; i++)
            cascade_pending_edge(&r, r.eorder[i]);
        p = ls_xcalloc(1, sizeof(*p));
        p->time_us = r.time;
        struct emit m = {&r, p, 0};
        for (size_t i = 0; i < r.n_norder; i++)
            emit_node(&m, r.norder[i]);
        for (m.pass = 1; m.pass <= 2; m.pass++)
            for (size_t i = 0; i < r.n_eorder; i++)
                emit_edge(&m, r.eorder[i]);
        m.pass = 3;
        for (size_t i = 0; i < r.n_norder; i++)
            emit_node(&m, r.norder[i]);
    }
    resolver_cleanup(&r);
    if (rc != LS_OK) {
        pthread_mutex_unlock(&g->write_lock);
        return rc;
    }
    *out = p;
    return LS_OK;
}

const struct ls_op *ls_prepared_ops(const struct ls_prepared *p, size_t *n)
{
    *n = p->n;
    return p->ops;
}

int64_t ls_prepared_time(const struct ls_prepared *p)
{
    return p->time_us;
}
