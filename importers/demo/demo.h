/* The demo data center: a generated but plausible landscape (racks, machines with sockets,
 * cores, NICs and disks, switches, hypervisors, projects, networks, a few hundred VMs with
 * ports and volumes, and service stacks), built as change sets and applied through the store
 * like any importer's. Deterministic for a seed. */
#ifndef LS_IMPORTERS_DEMO_H
#define LS_IMPORTERS_DEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "model/change.h"
#include "model/graph.h"
#include "sql/store.h"

struct ls_demo_opts {
    unsigned seed;      /* same seed, same data center */
    int racks;          /* default 4 */
    int machines;       /* per rack, default 8 */
    int instances;      /* default 300 */
    int stacks;         /* default 4 */
    bool physical_only; /* only racks, switches and machines: an OpenStack importer (or its
                           simulator) brings the virtual and service layers */
};

/** Defaults for every field. */
void ls_demo_opts_init(struct ls_demo_opts *o);

/**
 * Builds the demo as change sets (today one: all three layers), with origin "demo" and
 * replace semantics, so loading it again changes nothing.
 * @param[out] out array of *n new change sets; caller frees each with ls_change_set_free and
 *             the array with free()
 */
LS_MUST_CHECK int ls_demo_build(struct ls_change_set ***out,
                                size_t *n,
                                const struct ls_demo_opts *o,
                                struct ls_err *err);

/** Builds the demo (o NULL = defaults) and applies it through ls_store_apply. */
LS_MUST_CHECK int ls_demo_load(struct ls_store *store,
                               struct ls_graph *graph,
                               const struct ls_demo_opts *o,
                               struct ls_err *err);

#endif
