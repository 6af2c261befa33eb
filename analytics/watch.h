/* The foreground flow's state: one anomaly detector per (node, series), fed sample by sample,
 * and the nodes' colours from their latest verdicts (issue 13, item 2). Runs on the data's
 * clock: "now" is the newest sample time fed. Not yet wired to the telemetry consumer or the
 * server (the caller feeds it). */
#ifndef LS_ANALYTICS_WATCH_H
#define LS_ANALYTICS_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analytics/anomaly.h"
#include "analytics/colour.h"
#include "common/err.h"

#define LS_WATCH_METRIC_MAX 96 /* bytes of a series name, NUL included */

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

#endif
