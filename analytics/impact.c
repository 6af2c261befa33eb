/* Impact over the graph (impact.h): one breadth-first walk per anomalous node along the
 * edges that carry impact, in the direction of who takes it. */
#include "analytics/impact.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct walk {
    const char **queue; /* ids (borrowed from the snapshot or the source) */
    int *hops;
    size_t n, cap;
    struct ls_map seen;
};

static void push(struct walk *w, const char *id, int hops)
{
    bool added;
    ls_map_upsert(&w->seen, id, &added);
    if (!added)
        return;
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->queue = ls_xrealloc(w->queue, w->cap * sizeof *w->queue);
        w->hops = ls_xrealloc(w->hops, w->cap * sizeof *w->hops);
    }
    w->queue[w->n] = id;
    w->hops[w->n] = hops;
    w->n++;
}

struct step {
    struct walk *w;
    int hops;
    size_t max_nodes;
};

/* In-edges: their source takes impact from this node (all types but attached_to). */
static bool take_src(const struct ls_edge *e, void *arg)
{
    struct step *st = arg;
    if (e->type == LS_EDGE_ATTACHED_TO || st->w->n >= st->max_nodes)
        return st->w->n < st->max_nodes;
    push(st->w, e->src, st->hops);
    return true;
}

/* Out-edges attached_to: the thing this node is attached to takes impact from it. */
static bool take_dst(const struct ls_edge *e, void *arg)
{
    struct step *st = arg;
    if (st->w->n >= st->max_nodes)
        return false;
    push(st->w, e->dst, st->hops);
    return true;
}

struct acc {
    struct ls_impact *v;
    size_t n, cap;
    struct ls_map index; /* id -> index + 1 into v */
};

static void record(struct acc *a, const char *id, enum ls_colour c, const char *from, int hops)
{
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&a->index, id, &added);
    if (!added) {
        struct ls_impact *x = &a->v[(size_t)(uintptr_t)e->value - 1];
        if (c > x->colour || (c == x->colour && hops < x->hops)) {
            x->colour = c;
            free(x->from);
            x->from = ls_xstrdup(from);
            x->hops = hops;
        }
        return;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = ls_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n] = (struct ls_impact){ls_xstrdup(id), c, ls_xstrdup(from), hops};
    e->value = (void *)(uintptr_t)(++a->n);
}

static int cmp_impact(const void *x, const void *y)
{
    return strcmp(((const struct ls_impact *)x)->id, ((const struct ls_impact *)y)->id);
}

size_t ls_impact_compute(const struct ls_snap *s,
                         const struct ls_impact_source *src,
                         size_t n,
                         int depth,
                         size_t max_nodes,
                         struct ls_impact **out)
{
    struct acc a = {0};
    ls_map_init(&a.index);
    if (max_nodes == 0)
        max_nodes = 100000;
    for (size_t i = 0; i < n; i++) {
        if (src[i].colour < LS_COLOUR_YELLOW || !ls_snap_node(s, src[i].id))
            continue;
        struct walk w = {0};
        ls_map_init(&w.seen);
        push(&w, src[i].id, 0);
        for (size_t q = 0; q < w.n; q++) {
            if (q > 0)
                record(&a, w.queue[q], src[i].colour, src[i].id, w.hops[q]);
            if (w.hops[q] >= depth)
                continue;
            struct step st = {&w, w.hops[q] + 1, max_nodes};
            /* the node is in the snapshot (reached over its edges): errors cannot happen */
            if (ls_snap_node_edges(s, w.queue[q], LS_DIR_IN, -1, take_src, &st, NULL) != LS_OK ||
                ls_snap_node_edges(s, w.queue[q], LS_DIR_OUT, LS_EDGE_ATTACHED_TO, take_dst, &st,
                                   NULL) != LS_OK)
                continue;
        }
        free(w.queue);
        free(w.hops);
        ls_map_cleanup(&w.seen);
    }
    ls_map_cleanup(&a.index);
    if (a.n > 1)
        qsort(a.v, a.n, sizeof *a.v, cmp_impact);
    *out = a.v;
    return a.n;
}

void ls_impact_free(struct ls_impact *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].from);
    }
    free(v);
}
