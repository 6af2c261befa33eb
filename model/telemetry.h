/* Live telemetry state per node, metric and series: the last value and time, an EWMA mean and
 * variance, and a ring of recent values. Counters arrive as cumulative values and are kept as
 * rates per second (a decrease is a reset). Applying the same sample twice changes nothing:
 * a sample not newer than the series' last one is a duplicate. Not versioned (it changes far
 * too often): kept beside the graph, keyed by node id. Thread-safe (striped locks).
 *
 * Bounded: a node has at most `max series` (ls_telemetry_set_max_series; a new series beyond
 * is refused and counted, existing ones keep updating), and once the store follows a graph
 * (ls_telemetry_follow) a node's state is freed when the node is deleted and none is made for
 * a node the graph does not have. */
#ifndef LS_MODEL_TELEMETRY_H
#define LS_MODEL_TELEMETRY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define LS_TEL_RING 16

struct ls_telemetry;
struct ls_rollup;
struct ls_samples;
struct ls_graph;

enum ls_tel_applied {
    LS_TEL_APPLIED = 0, /* the series took the value */
    LS_TEL_DUPLICATE,   /* not newer than the last one: ignored */
    LS_TEL_BASELINE,    /* first value of a counter (or after a reset): no rate yet */
    LS_TEL_REFUSED,     /* a new series not made: see enum ls_tel_refused (counted) */
};

/** Why a new series was refused (the counters behind ls_telemetry_refused). */
enum ls_tel_refused {
    LS_TEL_REFUSED_SERIES_LIMIT = 0, /* the node has max series already */
    LS_TEL_REFUSED_UNKNOWN_NODE,     /* the followed graph has no such node (e.g. deleted) */
    LS_TEL_REFUSED_REASONS
};

struct ls_telemetry *ls_telemetry_new(void);
void ls_telemetry_free(struct ls_telemetry *t);

/**
 * Applies one sample. counter: value is cumulative (turned into a rate, unit + "/s").
 * Strings are copied. Returns what happened.
 */
enum ls_tel_applied ls_telemetry_apply(struct ls_telemetry *t,
                                       const char *node_id,
                                       const char *metric,
                                       const char *series,
                                       const char *unit,
                                       int counter,
                                       double value,
                                       int64_t time_us);

/**
 * The node's state as JSON (new reference): {"metric[/series]": {"last", "time", "mean",
 * "stddev", "count", "unit", "recent": [[time, value], ...]}} limited to metric (prefix match,
 * NULL = all) and recent points in [from, to] (0 = unbounded). NULL when the node has none.
 */
json_t *ls_telemetry_node_json(
    struct ls_telemetry *t, const char *node_id, const char *metric, int64_t from, int64_t to);
/** Like ls_telemetry_node_json, with the recent points grouped into buckets of step_us
 *  (aligned to the epoch): "recent" becomes [[bucket start, mean, min, max, count], ...].
 *  step_us 0 = the points as they are. */
json_t *ls_telemetry_node_json_step(struct ls_telemetry *t,
                                    const char *node_id,
                                    const char *metric,
                                    int64_t from,
                                    int64_t to,
                                    int64_t step_us);

/** From now on every value a series takes also goes to r's open minute (NULL: none). r must
 *  outlive t's use. */
void ls_telemetry_set_rollup(struct ls_telemetry *t, struct ls_rollup *r);

/** From now on every sample given to a series (newer or not than its last value) is also kept
 *  raw in s (model/samples.h; NULL: none). s must outlive t's use. */
void ls_telemetry_set_samples(struct ls_telemetry *t, struct ls_samples *s);

/**
 * Called with every value a series takes (after ls_telemetry_apply returned LS_TEL_APPLIED;
 * for a counter its rate per second), in order per series: the analytics' feed. key is
 * "metric[/series]". Called on the applying thread with the node's stripe lock held: it must
 * be short and must not call back into the telemetry state.
 */
typedef void (*ls_tel_observer)(
    const char *node_id, const char *key, double value, int64_t time_us, void *arg);
/** Sets the observer (NULL: none). Call once, before any writer applies samples. */
void ls_telemetry_set_observer(struct ls_telemetry *t, ls_tel_observer fn, void *arg);

/** At most max series per node from now on (0: no bound). Existing series above the bound
 *  are kept. Thread-safe. */
void ls_telemetry_set_max_series(struct ls_telemetry *t, size_t max);
/**
 * Follows g: a node's state is freed when a publish deletes the node (a graph listener), and
 * state for a node g does not have at its current revision is refused. Call once, before any
 * writer publishes; g must outlive t's use.
 */
void ls_telemetry_follow(struct ls_telemetry *t, struct ls_graph *g);
/** Frees the node's state now (no-op when it has none). Thread-safe. */
void ls_telemetry_forget(struct ls_telemetry *t, const char *node_id);
/** How many new series were refused for `reason` so far; its label for /metrics. */
uint64_t ls_telemetry_refused(struct ls_telemetry *t, enum ls_tel_refused reason);
const char *ls_telemetry_refused_name(enum ls_tel_refused reason);

/**
 * The EWMA mean and last sample time of node's series of `metric` (the one without a series
 * name if there is one, else the newest series of that metric): a cheap point read for
 * analytics that look at many nodes (placement's live load). Thread-safe.
 * @return true when found (*mean, *time_us set; either may be NULL).
 */
bool ls_telemetry_mean(struct ls_telemetry *t,
                       const char *node_id,
                       const char *metric,
                       double *mean,
                       int64_t *time_us);

/** Series and nodes with state. */
void ls_telemetry_counts(struct ls_telemetry *t, size_t *nodes, size_t *series);

#endif
