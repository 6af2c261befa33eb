/* Placement recommendations (issue 14, item 1): which hypervisors can take a server of a given
 * flavor, best first, and why. Capacity is Placement's: per resource class,
 * capacity = (total - reserved) x allocation_ratio, free = capacity - used, and a request fits
 * when every class it asks for fits (min_unit / max_unit / step_size too). Live load comes from
 * telemetry, colours from the caller (red excluded, yellow penalised), physical topology from
 * the graph (rack of the hypervisor's machine; NUMA cells for hw:numa_nodes).
 *
 * A table of hosts is built once per graph revision (ls_placement_table) and shared by every
 * request at that revision; ranking reads it and the live state, never the graph's writer.
 * No HTTP here: the server parses nothing but the URL and hands the JSON body over. */
#ifndef LS_ANALYTICS_PLACEMENT_H
#define LS_ANALYTICS_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/graph.h"

struct ls_telemetry;

/* Bounds of a request (each crossing is LS_ELIMIT, code `limit_exceeded`). */
#define LS_PLACE_MAX_RC       16   /* resource classes asked for */
#define LS_PLACE_MAX_TRAITS   64   /* required + forbidden traits, each */
#define LS_PLACE_MAX_GROUP    256  /* servers in `group` */
#define LS_PLACE_MAX_SPECS    128  /* keys of extra_specs */
#define LS_PLACE_MAX_STR      255  /* bytes of any name (trait, zone, aggregate, flavor, id) */
#define LS_PLACE_MAX_NUMA     8    /* hw:numa_nodes */
#define LS_PLACE_MAX_REASONS  8    /* reasons per host in an answer */
#define LS_PLACE_HOST_NUMA    16   /* NUMA cells read per host */
#define LS_PLACE_RC_NAME      48   /* bytes of a resource class name, NUL included */
#define LS_PLACE_YELLOW_COST  25.0 /* points a yellow host loses (score is 0..100) */
#define LS_PLACE_UNKNOWN_LOAD 0.5  /* load assumed for a host with no live load figure */

enum ls_place_affinity {
    LS_PLACE_AFF_NONE = 0,
    LS_PLACE_SAME_HOST,      /* every host of the group (Nova's affinity) */
    LS_PLACE_DIFFERENT_HOST, /* no host of the group (anti-affinity) */
    LS_PLACE_SAME_RACK,      /* a rack of the group */
    LS_PLACE_DIFFERENT_RACK, /* no rack of the group (top-of-rack spread) */
};

struct ls_place_amount {
    char rc[LS_PLACE_RC_NAME]; /* resource class, e.g. VCPU, MEMORY_MB, DISK_GB, CUSTOM_X */
    int64_t amount;            /* > 0 */
};

/** A parsed request. Strings are borrowed from the JSON body it was parsed from (or from the
 *  table, for a flavor found by name): valid while both are. */
struct ls_place_request {
    struct ls_place_amount res[LS_PLACE_MAX_RC];
    size_t n_res;
    int numa_nodes; /* hw:numa_nodes; 0 = not asked */
    const char *required[LS_PLACE_MAX_TRAITS];
    size_t n_required;
    const char *forbidden[LS_PLACE_MAX_TRAITS];
    size_t n_forbidden;
    const char *availability_zone; /* NULL = any */
    const char *aggregate;         /* name, uuid or node id; NULL = any */
    enum ls_place_affinity affinity;
    const char *group[LS_PLACE_MAX_GROUP]; /* server ids (uuid or node id) */
    size_t n_group;
    size_t count;            /* hosts wanted in the answer; 0 = every host that fits */
    const char *flavor_name; /* when the flavor was given by name */
};

/** Colour of a node as the caller knows it (analytics/colour.h's enum ls_colour values:
 *  0 grey, 1 green, 2 yellow, 3 red). */
typedef int (*ls_place_colour_fn)(void *arg, const char *node_id);

/** The live state a ranking reads besides the table. Every field may be NULL. */
struct ls_place_live {
    struct ls_telemetry *tel;  /* load: see ls_place_load_metrics */
    ls_place_colour_fn colour; /* NULL: every host grey (no penalty, no exclusion) */
    void *colour_arg;
    int max_age_ms; /* > 0: loads and colours are read for every host at most this often per
                       table and shared by the rankings meanwhile; 0: read for every ranking */
};

/** Metrics read as a host's live load, in order, on the hypervisor node then its machine:
 *  the first one found counts. `scale` turns it into 0..1 (percentages: 0.01). */
struct ls_place_load_metric {
    const char *metric;
    double scale;
};
extern const struct ls_place_load_metric ls_place_load_metrics[];
extern const size_t ls_place_load_metrics_count;

struct ls_placement;   /* per-revision cache of host tables; thread-safe */
struct ls_place_table; /* the hosts of one revision; immutable but for lazy parts */

/** A cache over g (borrowed; must outlive it). Caller frees with ls_placement_free. */
struct ls_placement *ls_placement_new(struct ls_graph *g);
void ls_placement_free(struct ls_placement *p);

/**
 * The host table of g's current revision: the cached one, or one built now (a full scan of
 * the hypervisors and their edges). New reference: release with ls_place_table_release.
 * Thread-safe; concurrent callers at a new revision build it once.
 */
struct ls_place_table *ls_placement_table(struct ls_placement *p);
/** Builds a table from s (the snapshot is kept by the table). For tests and benchmarks. */
struct ls_place_table *ls_place_table_build(struct ls_snap *s);
void ls_place_table_release(struct ls_place_table *t);
/** Hosts in the table and the revision it was built at. */
size_t ls_place_table_size(const struct ls_place_table *t);
uint64_t ls_place_table_revision(const struct ls_place_table *t);
/** The snapshot the table reads (borrowed; valid while t is held). */
const struct ls_snap *ls_place_table_snap(const struct ls_place_table *t);

/**
 * Parses a POST /v1/placement/recommendations body (docs/api.md) into out. A `flavor_name`
 * resolves through the flavors of t's imported servers (attrs.flavor).
 * @return LS_OK; LS_EINVAL (`invalid_request`, `unknown_field`), LS_ENOTFOUND
 *         (`flavor_not_found`), LS_ELIMIT (`limit_exceeded`). The message names the field.
 */
LS_MUST_CHECK int ls_place_request_parse(json_t *body,
                                         struct ls_place_table *t,
                                         struct ls_place_request *out,
                                         struct ls_err *err);

/** One host's verdict, its reasons as text. */
struct ls_place_verdict {
    size_t host;          /* index in the table */
    bool fits;            /* passes every filter */
    double score;         /* 0..100, higher is better; meaningful when fits */
    char excluded_by[64]; /* the first failed filter's key (`excluded` counts), "" fits */
    double load;          /* 0..1, or < 0 unknown */
    int colour;           /* as ls_place_colour_fn */
    char text[LS_PLACE_MAX_REASONS][128];
    size_t n_reasons;
};

/**
 * Ranks every host of t for r: fitting hosts best first (ties by name), at most r->count
 * (0: all), and the count of hosts excluded per filter key.
 * @param[out] out array the call allocates (caller frees with free()), *n entries
 * @param[out] excluded new JSON object {"<key>": count}
 * @return LS_OK; LS_ENOTFOUND (`server_not_found`) when a group server is unknown.
 */
LS_MUST_CHECK int ls_place_rank(struct ls_place_table *t,
                                const struct ls_place_request *r,
                                const struct ls_place_live *live,
                                struct ls_place_verdict **out,
                                size_t *n,
                                json_t **excluded,
                                struct ls_err *err);

/** One host (name or node id) judged for r, with reasons, into v.
 *  @return LS_OK; LS_ENOTFOUND (`host_not_found`, `server_not_found`). */
LS_MUST_CHECK int ls_place_judge(struct ls_place_table *t,
                                 const char *host,
                                 const struct ls_place_request *r,
                                 const struct ls_place_live *live,
                                 struct ls_place_verdict *v,
                                 struct ls_err *err);

/** The answer of POST /v1/placement/recommendations for verdicts v (new reference). */
json_t *ls_place_answer_json(struct ls_place_table *t,
                             const struct ls_place_verdict *v,
                             size_t n,
                             json_t *excluded_stolen);

/**
 * GET /v1/placement/hosts/{host}: one host (hypervisor_hostname or node id) explained: its
 * capacity per class, load, colour, rack, zone, aggregates, traits and, for request r (which
 * may ask for nothing), whether it fits and its score with reasons. New reference.
 * @return LS_OK; LS_ENOTFOUND (`host_not_found`); what ls_place_rank returns.
 */
LS_MUST_CHECK int ls_place_explain(struct ls_place_table *t,
                                   const char *host,
                                   const struct ls_place_request *r,
                                   const struct ls_place_live *live,
                                   json_t **out,
                                   struct ls_err *err);

/* ---- Kubernetes scheduler extender (POST /v1/k8s/filter, /v1/k8s/prioritize) ---- */

/**
 * Answers kube-scheduler's ExtenderArgs {Pod, Nodes | NodeNames} (Go field names as keys):
 * filter -> ExtenderFilterResult {Nodes (echoing the passing node objects) or NodeNames,
 * FailedNodes (red: may pass later), FailedAndUnresolvableNodes (capacity, traits, disabled),
 * Error ""}; prioritize -> HostPriorityList [{"Host", "Score" 0..10}]. A node is matched to a
 * hypervisor by name; nodes Landscape does not know pass the filter and score 0. New JSON.
 * @return LS_OK; LS_EINVAL (`invalid_request`, `unknown_field`); LS_ELIMIT.
 */
LS_MUST_CHECK int ls_place_k8s(struct ls_place_table *t,
                               const struct ls_place_live *live,
                               json_t *args,
                               bool prioritize,
                               json_t **out,
                               struct ls_err *err);

/* ---- moves (POST /v1/placement/moves): servers off red or overloaded hosts, paced ---- */

#define LS_PLACE_MAX_MOVE_HOSTS 10000 /* names in a moves request */
#define LS_PLACE_MAX_MOVES      1000  /* `limit` */
#define LS_PLACE_OVERLOAD       0.85  /* a host at or above this load is overloaded */
#define LS_PLACE_HOT_WEIGHT     0.25  /* what each server on a red/overloaded host adds */

struct ls_place_moves_request {
    const char **hosts; /* scope (names or node ids, borrowed from the body); owned array */
    size_t n_hosts;     /* 0 = every host */
    size_t limit;       /* at most this many moves (default 10) */
};

/** Parses {"hosts"?: [...], "limit"?: N}. Free out->hosts with free().
 *  @return LS_OK; LS_EINVAL (`invalid_request`, `unknown_field`); LS_ELIMIT. */
LS_MUST_CHECK int
ls_place_moves_parse(json_t *body, struct ls_place_moves_request *out, struct ls_err *err);

/**
 * Which servers to move off red, overloaded or (when the spread of load is above target)
 * hot hosts, and where (each destination ranked as a recommendation for the server's flavor,
 * never a source, each used once per answer); how many is decided by p's pacing controller
 * (analytics/pace.h), one step per call, from the measure = standard deviation of the scope's
 * known loads + LS_PLACE_HOT_WEIGHT per server on a red or overloaded host (one such server is
 * enough for a move at once; four or more reach the controller's maximum rate). New JSON object
 * {"moves": [{"server", "node", "from", "to", "reasons"}], "pace": {...}, "revision"}.
 * Thread-safe (the controller has its own lock).
 */
LS_MUST_CHECK int ls_placement_moves(struct ls_placement *p,
                                     struct ls_place_table *t,
                                     const struct ls_place_live *live,
                                     const struct ls_place_moves_request *r,
                                     json_t **out,
                                     struct ls_err *err);

#endif
