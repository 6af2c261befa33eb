/* Server-sent events of graph changes (GET /v1/events), filtered server-side, resumable from
 * the change log (since= or Last-Event-ID). A slow client whose queue overflows is dropped. */
#ifndef LS_SERVER_SSE_H
#define LS_SERVER_SSE_H

#include <stdbool.h>
#include <stdint.h>

#include "server/request.h"

struct ls_sse;

struct ls_sse_filter {
    const char *type;  /* node type, or NULL */
    const char *layer; /* node layer, or NULL */
    const char *kind;  /* "node" | "edge" | an event name ("colour", ...) | NULL */
};

/** Registers the graph listener and starts the heartbeat thread. ctx->graph, ctx->store,
 *  ctx->cfg and ctx->metrics must be set. Free with ls_sse_free after the HTTP server stops. */
struct ls_sse *ls_sse_new(struct ls_ctx *ctx);
void ls_sse_free(struct ls_sse *sse);
/** Ends every stream (resuming suspended connections) so the HTTP daemon can stop; call
 *  before ls_http_stop. */
void ls_sse_shutdown(struct ls_sse *sse);

/**
 * Attaches the request as a stream. With replay, changes after revision `since` come first
 * from the change log, then live ones.
 * @param[out] out the streaming response to queue (the handler hands it to MHD)
 * @return LS_OK, LS_EUNAVAIL (too many streams).
 */
LS_MUST_CHECK int ls_sse_attach(struct ls_sse *sse,
                                struct ls_req *req,
                                const struct ls_sse_filter *f,
                                bool replay,
                                uint64_t since,
                                struct MHD_Response **out,
                                struct ls_err *err);

/**
 * Sends a named event that is not a graph change (server/notify.h: `event: colour`, ...) to
 * every live stream without a type or layer filter whose kind filter is empty or `event`.
 * data is one line of JSON (len bytes). No `id:` line: it is not in the change log, and a
 * replaying stream does not get it. A full queue drops the stream as for changes. Thread-safe.
 */
void ls_sse_broadcast(struct ls_sse *sse, const char *event, const char *data, size_t len);

#endif
