/* Samples that matched no node are kept for a while (bounded, with a time to live), so that a
 * node created later — an instance whose telemetry arrives before the importer saw it — picks
 * them up. Retried whenever a publish creates nodes (a graph listener). Thread-safe. */
#ifndef LS_TEL_PENDING_H
#define LS_TEL_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "importers/telemetry/sample.h"
#include "model/alias.h"
#include "model/graph.h"
#include "model/telemetry.h"

struct ls_tel_pending;

/** Keeps at most max samples for ttl_us each. Register after the alias index (listener order:
 *  aliases must be current when pending samples are retried). */
struct ls_tel_pending *ls_tel_pending_new(
    struct ls_graph *g, struct ls_alias *a, struct ls_telemetry *t, size_t max, int64_t ttl_us);
void ls_tel_pending_free(struct ls_tel_pending *p);
/** Keeps a copy of x (the oldest is dropped when full). */
void ls_tel_pending_add(struct ls_tel_pending *p, const struct ls_sample *x);
/** Samples waiting, and samples recovered (applied after their node appeared) so far. */
void ls_tel_pending_stats(struct ls_tel_pending *p,
                          size_t *waiting,
                          uint64_t *recovered,
                          uint64_t *expired);

#endif
