/* The foreground flow's state: one anomaly detector per (node, series), fed sample by sample,
 * and the nodes' colours from their latest verdicts (issue 13, item 2). Runs on the data's
 * clock: "now" is the newest sample time fed. The service feeds it from the telemetry state's
 * observer (model/telemetry.h) and sweeps it for colour changes (server/colours.h). */
#ifndef LS_ANALYTICS_WATCH_H
#define LS_ANALYTICS_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analytics/anomaly.h"
#include "analytics/colour.h"
#include "common/err.h"

#define LS_WATCH_METRIC_MAX 96 /* bytes of a series name, NUL included */
#define LS_WATCH_HOLD_MAX   8  /* verdicts kept per series for the hold (colour.h) */

struct ls_watch;

/**
 * A watch with these detector and colour parameters (copied). max_series_per_node bounds the
 * memory: a new series beyond it is refused (0: 64). Caller frees with ls_watch_free.
 */
struct ls_watch *ls_watch_new(const struct ls_anomaly_params *ap,
                              const struct ls_colour_params *cp,
                              size_t max_series_per_node);
void ls_watch_free(struct ls_watch *w);

/**
 * Scores one sample of node's series `metric` ("metric" or "metric/series") and keeps the
 * verdict. Thread-safe (one lock; O(series of the node) to find the series).
 * @param[out] out the verdict (may be NULL)
 * @return LS_OK; LS_EINVAL for NaN/inf or a sample not after the series' last one (ignored);
 *         LS_ELIMIT for a new series beyond the bound or a name too long.
 */
LS_MUST_CHECK int ls_watch_feed(struct ls_watch *w,
                                const char *node,
                                const char *metric,
                                int64_t t,
                                double value,
                                struct ls_anomaly_result *out,
                                struct ls_err *err);

/**
 * ls_watch_feed in the shape of the telemetry state's observer (model/telemetry.h
 * ls_tel_observer; arg is the watch): how the service and the benchmarks feed it. A refusal is
 * counted (ls_watch_refused); the sample still counts for telemetry, it is just not scored.
 */
void ls_watch_observe(const char *node, const char *metric, double value, int64_t t, void *w);

/** Samples not scored so far (ls_watch_feed's refusals). Thread-safe. */
uint64_t ls_watch_refused(struct ls_watch *w);

/** The data's clock: the newest sample time fed (µs), 0 before any. */
int64_t ls_watch_now(struct ls_watch *w);

/**
 * One node's colour in the contract shape of GET /v1/analytics/colours (colour.h), with impact
 * "grey" until impact is computed (new reference); NULL when the node has no series.
 */
json_t *ls_watch_node_json(struct ls_watch *w, const char *node);

/**
 * Every node with series, sorted by id: {"nodes": [...]} (new reference), only those whose
 * colour is `colour` when it is not NULL ("red", "yellow", "green", "grey").
 */
json_t *ls_watch_colours_json(struct ls_watch *w, const char *colour);

/** Forgets the node's series (its node was deleted). Thread-safe; no-op when unknown. */
void ls_watch_forget(struct ls_watch *w, const char *node);

/** The node's colour as last swept (ls_watch_sweep), and its score; false when the node has
 *  no series or was never swept. Thread-safe. */
bool ls_watch_colour_of(struct ls_watch *w,
                        const char *node,
                        enum ls_colour *colour,
                        double *score);

/** A node whose colour changed between two sweeps. */
struct ls_watch_change {
    char *id;              /* owned */
    int previous;          /* enum ls_colour before, or -1 when the node was never swept */
    enum ls_colour colour; /* now */
    json_t *node;          /* its colour in the contract shape (ls_colour_node_json), owned */
};

/**
 * Judges the nodes fed since the last sweep (all of them when `all`: series go stale without
 * being fed) at the data's clock and returns those whose colour differs from the last sweep's,
 * sorted by id, in a new array *out (free with ls_watch_changes_free). Thread-safe; O(nodes
 * judged x their series).
 * @return how many changed.
 */
size_t ls_watch_sweep(struct ls_watch *w, bool all, struct ls_watch_change **out);
void ls_watch_changes_free(struct ls_watch_change *c, size_t n);

#endif
