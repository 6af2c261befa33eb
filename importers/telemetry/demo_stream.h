/* The demo's live telemetry: an in-process Kafka (librdkafka's mock cluster, real protocol on
 * loopback), a generator producing records in every supported format for the landscape's
 * instances, Influx lines for its switches and machines' NICs, and a regular consumer
 * reading them back. Only for --demo without --kafka. */
#ifndef LS_TEL_DEMO_STREAM_H
#define LS_TEL_DEMO_STREAM_H

#include <jansson.h>

#include "common/err.h"
#include "importers/telemetry/fault.h"
#include "model/alias.h"
#include "model/graph.h"
#include "model/telemetry.h"

struct ls_tel_demo;

/** Starts the mock cluster, the generator (rate records/s) and the consumer. */
LS_MUST_CHECK int ls_tel_demo_start(struct ls_tel_demo **out,
                                    struct ls_graph *g,
                                    struct ls_alias *a,
                                    struct ls_telemetry *t,
                                    int rate,
                                    struct ls_err *err);
void ls_tel_demo_stop(struct ls_tel_demo *d);
/**
 * Injects fault f into the stream from now on (replacing any other): the generator's records
 * of the instances and devices it touches (ls_fault_roles on the live graph; a NIC as its
 * machine) go through ls_fault_effect.
 * f->start_us / end_us are the wall-clock window; an empty f->root picks the first node of the
 * kind's root type whose fault reaches at least one instance of the stream.
 * @param[out] out new reference: the fault (ls_fault_json) plus "touched" (instances of the
 *             stream it reaches) and "nodes" (every node it reaches, with its role; at most 200)
 * @return LS_OK; LS_ENOTFOUND (`fault_root_not_found`), LS_EINVAL (`fault_root_type`,
 *         `fault_reaches_nothing`: no instance of the stream is touched).
 */
LS_MUST_CHECK int ls_tel_demo_fault(struct ls_tel_demo *d,
                                    const struct ls_fault *f,
                                    json_t **out,
                                    struct ls_err *err);
/** Ends the injected fault. @return whether one was set. */
bool ls_tel_demo_fault_clear(struct ls_tel_demo *d);
/** The injected fault (ls_tel_demo_fault's answer, with "active"), or JSON null: new
 *  reference. */
json_t *ls_tel_demo_fault_get(struct ls_tel_demo *d);

/** The demo's consumer (borrowed; valid until stop), for metrics. */
struct ls_tel_consumer *ls_tel_demo_consumer(struct ls_tel_demo *d);

#endif
