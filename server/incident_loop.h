/* The incident loop: every --incident-interval seconds, the red and yellow nodes of the watch
 * (analytics/watch.h) and the live graph go through the incident engine (analytics/incident.h)
 * on the data's clock; each change is saved (sql/incident.h: persist first) and then published
 * as `event: incident` (server/notify.h). At start the open incidents are read back from
 * Postgres, so they survive a restart. */
#ifndef LS_SERVER_INCIDENT_LOOP_H
#define LS_SERVER_INCIDENT_LOOP_H

#include "analytics/incident.h"
#include "analytics/watch.h"
#include "common/err.h"
#include "server/ctx.h"

struct ls_incident_loop;

/**
 * Restores the open incidents from ctx->store, then starts the loop's thread (interval_s
 * between steps) when interval_s > 0; with 0 no thread runs and the caller steps it
 * (ls_incident_loop_tick). w, ctx->graph, ctx->store and ctx->notify (may be NULL) are
 * borrowed and must outlive the loop.
 * @return LS_OK; the store's error (LS_EUNAVAIL, ...); LS_ERR for a stored state the engine
 *         refuses or a thread that cannot start. Free with ls_incident_loop_free.
 */
LS_MUST_CHECK int ls_incident_loop_new(struct ls_incident_loop **out,
                                       struct ls_ctx *ctx,
                                       struct ls_watch *w,
                                       const struct ls_incident_params *p,
                                       long interval_s,
                                       struct ls_err *err);

/**
 * One step now (the loop's thread calls it; not to be called concurrently with it): changes
 * not saved by an earlier step are saved first, in order; a step whose save fails keeps its
 * changes for the next one (saves are idempotent per revision) and publishes nothing yet.
 * @return LS_OK; the store's error.
 */
LS_MUST_CHECK int ls_incident_loop_tick(struct ls_incident_loop *l, struct ls_err *err);

/** Stops the thread (after its step in flight) and frees. NULL is a no-op. */
void ls_incident_loop_free(struct ls_incident_loop *l);

#endif
