/* Private to analytics/incident*.c: bounded breadth-first walks over the edge types that make
 * nodes part of one incident (runs_on, attached_to, connected_to, contains, member_of,
 * depends_on, inferred ones included; `uses` is not followed). */
#ifndef LS_ANALYTICS_INCIDENT_WALK_H
#define LS_ANALYTICS_INCIDENT_WALK_H

#include <stddef.h>

#include "model/graph.h"

/** A node the walk reached: its id (borrowed from the snapshot, or the root as passed), its
 *  distance and the index of the node it was reached from (-1 for the root). Edges are
 *  followed both ways: connected is symmetric. */
struct ls_walk_step {
    const char *id;
    int hops;
    long parent;
};

/**
 * Walks from root up to max_hops edges, visiting at most max_nodes nodes (root first, then
 * breadth-first, neighbours in the snapshot's edge order). Fills *out (caller frees) with *n
 * steps. A root absent from the snapshot gives only itself. A hub — a node other than the
 * root with more than LS_WALK_HUB_DEGREE edges (a network with hundreds of ports, a switch
 * of a whole row) — is reached but not walked through: it would join every anomaly it
 * touches into one incident.
 */
#define LS_WALK_HUB_DEGREE 64
void ls_incident_walk(const struct ls_snap *snap,
                      const char *root,
                      int max_hops,
                      size_t max_nodes,
                      struct ls_walk_step **out,
                      size_t *n);

#endif
