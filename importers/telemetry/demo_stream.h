/* The demo's live telemetry: an in-process Kafka (librdkafka's mock cluster, real protocol on
 * loopback), a generator producing records in every supported format for the landscape's
 * instances, and a regular consumer reading them back. Only for --demo without --kafka. */
#ifndef LS_TEL_DEMO_STREAM_H
#define LS_TEL_DEMO_STREAM_H

#include "common/err.h"
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
/** The demo's consumer (borrowed; valid until stop), for metrics. */
struct ls_tel_consumer *ls_tel_demo_consumer(struct ls_tel_demo *d);

#endif
