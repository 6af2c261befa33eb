/* Prometheus metrics of the server: requests by route and status, a latency histogram per
 * route, plus the graph and store figures read at scrape time. Lock-free counters. */
#ifndef LS_SERVER_METRICS_H
#define LS_SERVER_METRICS_H

#include "server/ctx.h"

struct ls_metrics;

/** New metrics for n_routes routes. Free with ls_metrics_free. */
struct ls_metrics *ls_metrics_new(int n_routes);
void ls_metrics_free(struct ls_metrics *m);
/** Counts one finished request (route -1: unmatched). Thread-safe. */
void ls_metrics_request(struct ls_metrics *m, int route, unsigned status, double seconds);
/** Counts a telemetry record refused by POST /v1/telemetry, by its reason (an err.code of
 *  ls_tel_decode; importers/telemetry/decode.h lists them). Thread-safe. */
void ls_metrics_telemetry_refused(struct ls_metrics *m, const char *reason);
/** Counts an SSE client connecting (+1) or leaving (-1). */
void ls_metrics_sse_clients(struct ls_metrics *m, int delta);
/** Renders the exposition text (owned by the caller). */
char *ls_metrics_render(struct ls_metrics *m, struct ls_ctx *ctx, size_t *len);

#endif
