/* From a decoded sample to the node it is about, and applying samples to the live telemetry
 * state. Native ids resolve without an alias (instance UUID X -> nova:instance:X, a host name
 * -> its hypervisor and machine); everything else goes through the alias index. */
#ifndef LS_TEL_RESOLVE_H
#define LS_TEL_RESOLVE_H

#include <stddef.h>

#include "importers/telemetry/sample.h"
#include "model/alias.h"
#include "model/graph.h"
#include "model/telemetry.h"

/**
 * Finds the node a sample is about, most specific first: the port (port UUID, then the tap
 * device or MAC alias), the instance (UUID, resource id, libvirt domain alias), a volume, then
 * the host (alias, hypervisor, machine; FQDN or short name).
 * @param[out] out node id (cap bytes)
 * @return NULL on success, else the reason: "no_identity" (the sample names nothing) or
 *         "unknown_entity" (it names something the landscape does not have).
 */
const char *ls_tel_resolve(
    const struct ls_snap *s, struct ls_alias *a, const struct ls_sample *x, char *out, size_t cap);

/** What applying a batch did. */
struct ls_tel_result {
    size_t applied;   /* values taken by a series */
    size_t duplicate; /* not newer than the series' last value */
    size_t baseline;  /* first counter values (no rate yet) */
    size_t unmatched; /* no node: reasons counted below */
    size_t no_identity, unknown_entity;
};

struct ls_tel_pending;

/** Resolves and applies every sample of b; adds to *res. Samples that name something the
 *  landscape does not have yet go to pending when given (NULL: dropped, still counted).
 *  Thread-safe. */
void ls_tel_apply(struct ls_graph *g,
                  struct ls_alias *a,
                  struct ls_telemetry *t,
                  struct ls_tel_pending *pending,
                  const struct ls_tel_batch *b,
                  struct ls_tel_result *res);

#endif
