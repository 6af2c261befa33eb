/* Bounded breadth-first walks for incidents (incident_walk.h). */
#include "analytics/incident_walk.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct walk {
    const char *cur; /* the node whose edges are visited */
    long cur_index;
    int hops; /* of the nodes reached from cur */
    size_t max_nodes;
    struct ls_walk_step *steps;
    size_t n, cap;
    struct ls_map seen;
};

/* The edge types that connect an incident: all but `uses` (a client of a service is not
 * part of its trouble); inferred depends_on edges are edges like any other. */
static bool follows(enum ls_edge_type t)
{
    return t != LS_EDGE_USES;
}

static bool visit(const struct ls_edge *e, void *arg)
{
    struct walk *w = arg;
    bool out = strcmp(e->src, w->cur) == 0;
    const char *other = out ? e->dst : e->src;
    if (!follows(e->type) || strcmp(other, w->cur) == 0)
        return true;
    bool added;
    ls_map_upsert(&w->seen, other, &added);
    if (!added)
        return true;
    if (w->n == w->cap) {
        w->cap *= 2;
        w->steps = ls_xrealloc(w->steps, w->cap * sizeof *w->steps);
    }
    w->steps[w->n++] = (struct ls_walk_step){other, w->hops, w->cur_index};
    return w->n < w->max_nodes;
}

static bool count_edge(const struct ls_edge *e, void *arg)
{
    (void)e;
    return ++*(size_t *)arg <= LS_WALK_HUB_DEGREE;
}

/* Whether the node has more than LS_WALK_HUB_DEGREE edges (counting stops there). */
static bool is_hub(const struct ls_snap *snap, const char *id)
{
    size_t n = 0;
    if (ls_snap_node_edges(snap, id, LS_DIR_BOTH, -1, count_edge, &n, NULL) != LS_OK)
        return false;
    return n > LS_WALK_HUB_DEGREE;
}

void ls_incident_walk(const struct ls_snap *snap,
                      const char *root,
                      int max_hops,
                      size_t max_nodes,
                      struct ls_walk_step **out,
                      size_t *n)
{
    struct walk w = {.max_nodes = max_nodes ? max_nodes : 1, .cap = 16};
    w.steps = ls_xmalloc(w.cap * sizeof *w.steps);
    ls_map_init(&w.seen);
    bool added;
    ls_map_upsert(&w.seen, root, &added);
    w.steps[w.n++] = (struct ls_walk_step){root, 0, -1};
    /* steps[0..n) grows while it is read: each node's edges are visited once, in order */
    for (size_t i = 0; i < w.n && w.n < w.max_nodes; i++) {
        if (w.steps[i].hops >= max_hops)
            break; /* breadth-first: every later step is as far */
        w.cur = w.steps[i].id;
        if (i > 0 && is_hub(snap, w.cur))
            continue;
        w.cur_index = (long)i;
        w.hops = w.steps[i].hops + 1;
        if (ls_snap_node_edges(snap, w.cur, LS_DIR_BOTH, -1, visit, &w, NULL) != LS_OK)
            continue; /* not in the snapshot (the root may be a node that went away) */
    }
    ls_map_cleanup(&w.seen);
    *out = w.steps;
    *n = w.n;
}
