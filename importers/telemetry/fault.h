/* Injected faults for generated telemetry: the catalogue of what each kind of fault does to
 * the metrics of its root cause and of the nodes it reaches (its symptoms), and which nodes
 * those are in a landscape. One code path for the demo's live stream (POST /_demo/fault) and
 * the scenario generator's ground truth (tests/tools/scenario): both ask ls_fault_roles who is
 * touched and ls_fault_effect what a touched node's metric reads. Pure: no clock, no I/O. */
#ifndef LS_TEL_FAULT_H
#define LS_TEL_FAULT_H

#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/graph.h"

enum ls_fault_kind {
    LS_FAULT_NOISY_NEIGHBOUR = 0, /* an instance hogs its host: neighbours on it slow down */
    LS_FAULT_TOR_FAILURE,         /* a top-of-rack switch fails: its rack loses traffic */
    LS_FAULT_DISK_FAILURE,        /* a disk fails under a volume: the volume and its VM slow */
    LS_FAULT_MEMORY_LEAK,         /* an instance's memory grows until it swaps */
    LS_FAULT_FLASH_TRAFFIC,       /* a service's requests jump: its instances run hot */
};
#define LS_FAULT_KIND_COUNT 5

/** How a node is touched by a fault. */
enum ls_fault_role {
    LS_FAULT_NONE = 0,    /* not touched */
    LS_FAULT_CAUSE = 1,   /* the root cause (the fault's node) */
    LS_FAULT_SYMPTOM = 2, /* reached through the graph */
};

/** What a generated metric measures (the generators name their metrics; the effect needs
 *  only the class). */
enum ls_fault_metric {
    LS_FM_CPU = 0,  /* utilisation, % */
    LS_FM_NET,      /* traffic, bytes/s (or a byte counter's increment) */
    LS_FM_MEMORY,   /* memory in use, bytes */
    LS_FM_LATENCY,  /* response or I/O latency, ms */
    LS_FM_REQUESTS, /* requests/s */
    LS_FM_ERRORS,   /* errors/s */
};
#define LS_FAULT_METRIC_COUNT 6

/** A fault: kind, root node and when. Plain data; copy freely. */
struct ls_fault {
    enum ls_fault_kind kind;
    char root[256];   /* id of the root-cause node */
    int64_t start_us; /* active from here (on the data's clock) */
    int64_t end_us;   /* until here, exclusive; 0 = until cleared */
    double magnitude; /* 1 = the catalogue's effect; 0.5 half of it, 2 twice */
};

/** "noisy_neighbour", "tor_failure", "disk_failure", "memory_leak", "flash_traffic". */
const char *ls_fault_kind_name(enum ls_fault_kind k);
/** Parses a kind name. @return LS_OK; LS_EINVAL ("unknown_fault") naming the choices. */
LS_MUST_CHECK int
ls_fault_kind_parse(enum ls_fault_kind *out, const char *name, struct ls_err *err);
/** Node type of a kind's root cause: "instance", "switch", "disk" or "service". */
const char *ls_fault_root_type(enum ls_fault_kind k);

/**
 * The value a metric reads under fault f on a node of the given role at time t_us, given the
 * value it would read without the fault (`normal`). Outside [start, end) or for LS_FAULT_NONE
 * it is `normal`; otherwise `normal` scaled by the catalogue's factor for (kind, role, class),
 * reached over the kind's ramp (seconds: 30 for most, 30 min for a leak) and scaled by
 * magnitude. f NULL: `normal`. NaN means the node sends no sample of this metric (a dead
 * device: a failed switch reports nothing); callers skip it.
 */
double ls_fault_effect(const struct ls_fault *f,
                       enum ls_fault_role role,
                       enum ls_fault_metric m,
                       int64_t t_us,
                       double normal);

/** {"kind", "root", "start", "end" (null when open), "magnitude"}: a new reference. */
json_t *ls_fault_json(const struct ls_fault *f);

/** Called once per touched node (root first). id is borrowed for the call. Return false to
 *  stop. */
typedef bool (*ls_fault_visit)(const char *id, enum ls_fault_role role, void *arg);

/**
 * Walks snapshot s from f->root to the nodes the fault reaches, by the landscape's edges:
 * - noisy_neighbour (instance): the hypervisor it runs_on, that hypervisor's machine, the other
 *   instances on that hypervisor;
 * - tor_failure (switch): the machines of the racks that contain it and the machines whose NICs
 *   are connected_to it, their hypervisors and those hypervisors' instances;
 * - disk_failure (disk): volumes that run_on it and the instances they are attached_to;
 * - memory_leak (instance): its hypervisor;
 * - flash_traffic (service): the instances reached by depends_on / contains / uses out of the
 *   service, up to 4 steps (service -> stack -> stack_resource -> instance in the demo; a
 *   service it depends on passes the load on).
 * Each node is visited at most once.
 * @return LS_OK; LS_ENOTFOUND (`fault_root_not_found`) when the root is not in s;
 *         LS_EINVAL (`fault_root_type`) when it is not of ls_fault_root_type(kind).
 */
LS_MUST_CHECK int ls_fault_roles(const struct ls_snap *s,
                                 const struct ls_fault *f,
                                 ls_fault_visit fn,
                                 void *arg,
                                 struct ls_err *err);

#endif
