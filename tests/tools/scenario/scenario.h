/* Scenario generator for OpenStack-like landscapes with ground truth: racks with a top-of-rack
 * switch, machines with disks, hypervisors, instances, volumes on the machines' disks, and
 * services using instances; telemetry per node (a daily pattern plus noise) and injected
 * faults (importers/telemetry/fault.h: the same catalogue the demo's POST /_demo/fault uses)
 * whose root cause is known. Deterministic for a seed: the same options give the same
 * landscape, samples and fault roots. Used by bench/analytics/bench_scenario (AC@k through
 * POST /v1/analytics/rca) and tests. No I/O: callers send the bulk file and the lines. */
#ifndef LS_TOOLS_SCENARIO_H
#define LS_TOOLS_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "importers/telemetry/fault.h"
#include "model/graph.h"

struct ls_scn_opts {
    unsigned seed; /* same seed, same landscape, samples and faults */
    int racks;     /* default 4 (each with one top-of-rack switch) */
    int machines;  /* per rack, default 4 (each a hypervisor and 2 disks) */
    int instances; /* per machine, default 4 (every other one with a volume) */
    int services;  /* default 4 (each uses instances spread over the racks) */
    double noise;  /* relative noise (sd), default 0.05 */
};

/** Defaults for every field. */
void ls_scn_opts_init(struct ls_scn_opts *o);

/** A node of the scenario and the metrics it reports. */
struct ls_scn_node {
    char id[96];    /* "scn:<type>:<name>" */
    char alias[48]; /* what its samples name it by (attrs.aliases) */
    const char *type;
    unsigned metrics;                   /* bit m set: reports metric class m */
    double base[LS_FAULT_METRIC_COUNT]; /* mean level of each metric */
    double phase;                       /* of its daily pattern, radians */
    unsigned volumes;                   /* disks: volumes that run on it */
};

struct ls_scn {
    struct ls_scn_opts o;
    struct ls_scn_node *nodes;
    size_t n_nodes;
    json_t *bulk;       /* the landscape as a POST /v1/bulk JSON file (owned) */
    struct ls_graph *g; /* the same landscape applied to a local graph (owned) */
};

/**
 * Builds the landscape.
 * @param[out] out caller frees with ls_scn_free
 * @return LS_OK; LS_EINVAL for options out of range (racks 1..64, machines 1..64, instances
 *         1..64, services 0..64, noise 0..1).
 */
LS_MUST_CHECK int
ls_scn_build(struct ls_scn **out, const struct ls_scn_opts *o, struct ls_err *err);
void ls_scn_free(struct ls_scn *s);

/** Metric name as sent (the influx field): "cpu_util", "net_bytes", "memory_bytes",
 *  "latency_ms", "requests", "errors". */
const char *ls_scn_metric_name(enum ls_fault_metric m);

/**
 * A fault of kind k for trial number `trial`: its root is drawn from the nodes of the kind's
 * root type by (seed, kind, trial) — for disk_failure only disks that carry a volume.
 */
void ls_scn_fault(struct ls_fault *out,
                  const struct ls_scn *s,
                  enum ls_fault_kind k,
                  unsigned trial,
                  int64_t start_us,
                  int64_t end_us);

/**
 * The role of every node under f (ls_fault_roles on the local graph): roles[i] for nodes[i].
 * @param[out] roles n_nodes entries
 */
LS_MUST_CHECK int ls_scn_roles(unsigned char *roles,
                               const struct ls_scn *s,
                               const struct ls_fault *f,
                               struct ls_err *err);

/** Node i's metric m at t_us: daily pattern and noise, then f's effect for its role (f NULL or
 *  role LS_FAULT_NONE: no fault). */
double ls_scn_value(const struct ls_scn *s,
                    size_t i,
                    enum ls_fault_metric m,
                    int64_t t_us,
                    const struct ls_fault *f,
                    enum ls_fault_role role);

/**
 * Appends one influx line per node with metrics at t_us to b
 * (`scenario,host=<alias> cpu_util=…,latency_ms=… <ns>`); roles may be NULL (no fault).
 */
LS_MUST_CHECK int ls_scn_render(struct ls_buf *b,
                                const struct ls_scn *s,
                                int64_t t_us,
                                const struct ls_fault *f,
                                const unsigned char *roles);

#endif
