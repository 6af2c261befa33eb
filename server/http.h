/* The HTTP server: binds HOST:PORT, serves the route table with a pool of worker threads. */
#ifndef LS_SERVER_HTTP_H
#define LS_SERVER_HTTP_H

#include "common/err.h"
#include "server/ctx.h"

struct ls_http;

/**
 * Starts serving. Port 0 picks a free port, returned in *out_port.
 * @return LS_OK; LS_EINVAL (bad listen address); LS_EUNAVAIL (cannot bind).
 * Stop with ls_http_stop (waits for the workers).
 */
LS_MUST_CHECK int ls_http_start(struct ls_http **out,
                                struct ls_ctx *ctx,
                                const char *listen,
                                int threads,
                                int *out_port,
                                struct ls_err *err);
void ls_http_stop(struct ls_http *h);

/** Reads --tls-cert and --tls-key (when set) as ls_http_start will, so that a missing or
 *  unreadable file stops the start early; whether they match is known only at the start.
 *  @return LS_OK; LS_EINVAL naming the option, the file and the problem. */
LS_MUST_CHECK int ls_http_tls_check(const struct ls_config *cfg, struct ls_err *err);

#endif
