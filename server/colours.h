/* The colours of the landscape, served (issue 13, item 2): the watch (analytics/watch.h) is fed
 * with every value the telemetry state takes (ls_colours_attach: its observer) and swept every
 * --colour-interval-ms; own colour changes and the impact they carry over the graph
 * (analytics/impact.h) become `colour` events (server/notify.h: SSE, webhooks, in-process
 * subscribers) and entries of a bounded history (--analytics-history changes) that answers
 * GET /v1/analytics/colours?at=. A node's first colour, green, is kept in the history but not
 * published. The history is in memory: it starts empty at each start. */
#ifndef LS_SERVER_COLOURS_H
#define LS_SERVER_COLOURS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "analytics/colour.h"
#include "common/err.h"
#include "model/graph.h"

struct ls_ctx;
struct ls_colours;

/**
 * Makes ctx->watch (when ctx->cfg->analytics) and feeds it: the telemetry state's observer and a
 * graph listener that forgets deleted nodes. Call in main before any subsystem starts; free the
 * watch (ls_watch_free(ctx->watch)) after every subsystem stopped.
 */
void ls_colours_attach(struct ls_ctx *ctx);

/** The "analytics" subsystem: the sweep thread (ctx->colours) and the incident loop
 *  (ctx->incidents). No-op when analytics is off. */
LS_MUST_CHECK int ls_analytics_start(struct ls_ctx *ctx, struct ls_err *err);
void ls_analytics_stop(struct ls_ctx *ctx);

/** One sweep now (the thread calls it every interval; tests may call it). Thread-safe. */
void ls_colours_tick(struct ls_colours *c, bool all);

/** Filters of a colour listing; NULL / -1 = any. */
struct ls_colours_filter {
    const char *type;
    int layer;          /* enum ls_layer */
    const char *colour; /* the node's own colour */
};

/**
 * GET /v1/analytics/colours's body (new reference): {"nodes": [{"id", "colour", "score",
 * "impact", "impact_from", "reasons", "type", "layer"}], "revision"} sorted by id, for the
 * nodes with series or with impact, live (at = 0; snapshot s gives types and the revision) or
 * as of `at` (µs, from the history; "at" and "history_from" replace "revision").
 */
json_t *ls_colours_list(struct ls_colours *c,
                        const struct ls_snap *s,
                        const struct ls_colours_filter *f,
                        int64_t at);

/** The "anomaly" member of a node (new reference): {"colour", "score", "impact",
 *  "impact_from", "reasons"}; grey with no reasons for a node without series. NULL for a node
 *  with neither series nor impact unless `always`. */
json_t *ls_colours_anomaly(struct ls_colours *c, const char *id, bool always);

/** The worse of a node's own colour and its impact (enum ls_colour), grey when unknown: what
 *  placement reads. */
int ls_colours_worst(struct ls_colours *c, const char *id);

#endif
