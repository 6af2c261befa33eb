/* The HTTP client of Landscape's own client programs (the agent, the telemetry generator):
 * one request to landscaped with its bearer token and CA bundle, the answer collected into a
 * bounded buffer. It does not interpret statuses or bodies: each caller knows its endpoint.
 * libcurl stays inside client.c. */
#ifndef LS_IMPORTERS_CLIENT_CLIENT_H
#define LS_IMPORTERS_CLIENT_CLIENT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/** How to reach landscaped. Strings are borrowed; NULL or "" means none. */
struct ls_client_opts {
    const char *token;  /* sent as "Authorization: Bearer <token>"; never logged */
    const char *cacert; /* CA bundle for https URLs */
    long timeout_s;     /* whole request; <= 0 means 30 s */
    const char *header; /* one more request header line "Name: value" (e.g. a signature) */
};

/** Process-wide set-up and tear-down (libcurl's global init); call once from main. */
void ls_client_global_init(void);
void ls_client_global_cleanup(void);

/**
 * Sends @p method @p url with @p body (@p body_len bytes, may be NULL) of @p content_type
 * (NULL: no body header) and collects the answer into @p resp (initialised by the caller with
 * its bound, appended to). @p status gets the HTTP status (0 when none arrived).
 * Thread-safe (one handle per call).
 * @return LS_OK whatever the HTTP status; LS_ETIMEOUT (`timeout`); LS_ELIMIT (`answer_too_large`)
 *         when the answer passes @p resp's bound; LS_EUNAVAIL (`unreachable`) otherwise.
 */
LS_MUST_CHECK int ls_client_request(const struct ls_client_opts *o,
                                    const char *method,
                                    const char *url,
                                    const char *content_type,
                                    const char *body,
                                    size_t body_len,
                                    long *status,
                                    struct ls_buf *resp,
                                    struct ls_err *err);

#endif
