/* Impact (issue 13, item 2): the colour a node takes from what it runs on or depends on, kept
 * apart from its own colour. A node X takes impact from Y when
 *   X runs_on Y, X depends_on Y, X uses Y, X connected_to Y, X member_of Y (a port from its
 *   network), X contains Y (a machine from its disk, a rack from its machine), or
 *   Y attached_to X (an instance from its port or volume);
 * transitively, up to `depth` edges. A node's impact is the worst own colour among the
 * anomalous nodes it takes impact from (itself excluded), with the nearest such node as the
 * source. Inferred depends_on edges count like imported ones. Pure: reads a snapshot. */
#ifndef LS_ANALYTICS_IMPACT_H
#define LS_ANALYTICS_IMPACT_H

#include <stddef.h>

#include "analytics/colour.h"
#include "model/graph.h"

/** An anomalous node: its id and own colour (yellow or red; others are ignored). Borrowed. */
struct ls_impact_source {
    const char *id;
    enum ls_colour colour;
};

/** A node with impact: owned strings. */
struct ls_impact {
    char *id;
    enum ls_colour colour; /* the worst colour it takes */
    char *from;            /* the anomalous node it takes it from (nearest among the worst) */
    int hops;              /* edges between them */
};

/**
 * Computes the impact of n anomalous sources on snapshot s, following at most depth edges
 * from each and visiting at most max_nodes nodes per source (0: 100000). Sources absent from
 * the snapshot impact nothing. *out (free with ls_impact_free) gets the impacted nodes sorted
 * by id; a source appears only when another source impacts it.
 * @return how many.
 */
size_t ls_impact_compute(const struct ls_snap *s,
                         const struct ls_impact_source *src,
                         size_t n,
                         int depth,
                         size_t max_nodes,
                         struct ls_impact **out);
void ls_impact_free(struct ls_impact *v, size_t n);

#endif
