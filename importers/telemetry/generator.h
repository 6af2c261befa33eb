/* Telemetry generator: renders realistic records in every supported producer format for a
 * set of targets (VMs with their host and tap device), for the demo, tests and benchmarks.
 * Pure rendering here; producing to Kafka is done by the callers (demo stream, the
 * landscape-telemetry-gen tool). */
#ifndef LS_TEL_GENERATOR_H
#define LS_TEL_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "importers/telemetry/fault.h"
#include "importers/telemetry/sample.h"
#include "model/graph.h"

struct ls_tel_gen_target {
    char instance[40]; /* instance UUID */
    char domain[32];   /* libvirt domain name */
    char host[128];    /* compute host (service host name) */
    char tap[32];      /* tap device of its first port, or "" */
    uint64_t counter;  /* running cumulative counter (bytes), advanced by the generator */
    int64_t last_us;   /* time of the last record rendered (0: none): the counter grows by
                          the traffic rate times the time since, whatever the records' spacing */
    uint8_t role;      /* enum ls_fault_role under the fault given to ls_tel_gen_render_fault */
};

/** Targets from the live graph: every instance with its libvirt name, host and tap. Caller
 *  frees *out. */
size_t ls_tel_gen_targets(struct ls_graph *g, struct ls_tel_gen_target **out);

/**
 * Appends one record for target tg at time t_us in format f (LS_TEL_AUTO = rotate through all
 * formats by seq). The values follow a smooth pattern with noise from seq.
 */
LS_MUST_CHECK int ls_tel_gen_render(enum ls_tel_format f,
                                    struct ls_tel_gen_target *tg,
                                    int64_t t_us,
                                    uint64_t seq,
                                    struct ls_buf *out);

/**
 * ls_tel_gen_render under fault `fault` (NULL: none) as tg->role sees it: CPU, traffic and
 * memory go through ls_fault_effect (fault.h), the code the scenario generator uses too.
 * Appends nothing when the fault silences the value (a NaN effect).
 */
LS_MUST_CHECK int ls_tel_gen_render_fault(enum ls_tel_format f,
                                          struct ls_tel_gen_target *tg,
                                          int64_t t_us,
                                          uint64_t seq,
                                          const struct ls_fault *fault,
                                          struct ls_buf *out);

#endif
