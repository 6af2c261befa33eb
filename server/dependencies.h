/* The server's side of dependency inference (analytics/depinfer.h): spans from the Kafka
 * consumer and POST /v1/telemetry go in, re-inference passes apply the change sets it builds
 * through the store like every write. Used by the handlers and the `depinfer` subsystem. */
#ifndef LS_SERVER_DEPENDENCIES_H
#define LS_SERVER_DEPENDENCIES_H

#include <stddef.h>

#include "common/err.h"
#include "server/ctx.h"

struct ls_span;

/** Feeds n decoded spans to ctx->depinfer (no-op without one); *refused (may be NULL) = spans
 *  it refused (bad ids, bounds), counted, not fatal. Thread-safe. */
void ls_dep_feed(struct ls_ctx *ctx, const struct ls_span *spans, size_t n, size_t *refused);

/**
 * One re-inference pass: builds the change set from the current graph and applies it
 * (persist, then publish). Passes are serialised. *n_changes (may be NULL) = changes applied.
 * @return LS_OK (also when there is nothing to do or no ctx->depinfer); the store's error
 *         (the pass's pairs are then written again next time).
 */
LS_MUST_CHECK int ls_dep_run(struct ls_ctx *ctx, size_t *n_changes, struct ls_err *err);

/**
 * One metric pass (dependencies from metrics alone): the written per-minute rollups of the
 * last LS_DEP_METRICS_WINDOW_S before the data clock (the newest live sample time) of at most
 * LS_DEP_METRICS_MAX_NODES nodes with telemetry, in LS_DEP_METRICS_STEP_S buckets, through
 * analytics/depcorr; each link becomes metric evidence (ls_depinfer_add_metric_evidence), and
 * a re-inference pass (ls_dep_run) writes it. Closed rollup minutes are flushed first.
 * *n_links (may be NULL) = links found. No-op without ctx->depinfer or rollups.
 * @return LS_OK; the store's error; depcorr's LS_ELIMIT.
 */
#define LS_DEP_METRICS_WINDOW_S  (6 * 3600)
#define LS_DEP_METRICS_STEP_S    300
#define LS_DEP_METRICS_MAX_NODES 512
LS_MUST_CHECK int ls_dep_metrics_pass(struct ls_ctx *ctx, size_t *n_links, struct ls_err *err);

#endif
