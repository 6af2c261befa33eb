/* A session with one OpenStack cloud: Keystone v3 authentication (password or application
 * credential, project or system scope), the token's service catalog, re-authentication before
 * `expires_at` and once on a 401, microversion headers per service, bounded retries and a
 * request-rate bound. The only code that includes libcurl for OpenStack.
 *
 * Threads: a session is shared; each thread that makes requests owns an ls_os_conn (one curl
 * handle, kept-alive connections). Secrets (password, token) are never logged or put in
 * error messages. */
#ifndef LS_IMPORTERS_OPENSTACK_SESSION_H
#define LS_IMPORTERS_OPENSTACK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "importers/openstack/cloud.h"

struct ls_os_session_opts {
    long timeout_s;      /* per request (default 60) */
    int retries;         /* on 5xx, 429, transport errors (default 3) */
    double retry_base_s; /* first backoff; doubles each retry (default 0.2) */
    long max_rps;        /* requests per second over all conns; 0 = unbounded */
};

struct ls_os_session_stats {
    uint64_t requests; /* HTTP requests sent, retries and auth included */
    uint64_t auths;    /* token requests */
    uint64_t retries;  /* requests repeated after 5xx / 429 / transport errors */
    uint64_t bytes;    /* response bytes received */
};

struct ls_os_session;
struct ls_os_conn;

/** New session for cloud (borrowed; must outlive the session). No network yet. */
LS_MUST_CHECK int ls_os_session_new(struct ls_os_session **out,
                                    const struct ls_os_cloud *cloud,
                                    const struct ls_os_session_opts *o,
                                    struct ls_err *err);
void ls_os_session_free(struct ls_os_session *s);

/** Authenticates when there is no token or it is close to expiry. LS_EUNAVAIL when Keystone
 *  is unreachable, LS_EINVAL (code "auth_failed") when it refuses the credentials. */
LS_MUST_CHECK int ls_os_session_ensure(struct ls_os_session *s, struct ls_err *err);

/**
 * The catalog URL of the first of `types` (NULL-terminated, e.g. {"volumev3",
 * "block-storage", NULL}) for the cloud's interface and region, or its endpoint override.
 * Copies into out; false when the catalog has none. Authenticates first if needed.
 */
bool ls_os_session_endpoint(struct ls_os_session *s,
                            const char *const *types,
                            char *out,
                            size_t cap);

/** Sets the microversion sent to `service` ("compute", "placement", "volume"), e.g. "2.79";
 *  NULL sends none. */
void ls_os_session_set_microversion(struct ls_os_session *s,
                                    const char *service,
                                    const char *version);

void ls_os_session_stats(struct ls_os_session *s, struct ls_os_session_stats *out);

/** Makes every request in flight (within about a second: libcurl's progress callback) and
 *  every later one fail with LS_EUNAVAIL, code "cancelled", and cuts retry and rate waits
 *  short: for a service that is stopping. Thread-safe; it cannot be undone. */
void ls_os_session_cancel(struct ls_os_session *s);

/** A connection for one thread. Free with ls_os_conn_free. */
struct ls_os_conn *ls_os_conn_new(struct ls_os_session *s);
void ls_os_conn_free(struct ls_os_conn *c);
/** One more header line ("Name: value", copied) sent with every later request of c, e.g.
 *  X-Subject-Token to validate a token; NULL removes it. Never logged; wiped when replaced. */
void ls_os_conn_set_header(struct ls_os_conn *c, const char *line);

/**
 * GET url with the session's token and the microversion of `service` (may be NULL), and
 * parses the JSON body.
 * @param[out] out new reference on success
 * @param[out] status the final HTTP status (0: transport error); may be NULL
 * @return LS_OK (2xx with a JSON body); LS_ENOTFOUND (404); LS_EINVAL (other 4xx: code
 *         "forbidden" for 403, "http_<status>" otherwise; or "invalid_json": a body that is
 *         not JSON, e.g. truncated); LS_EUNAVAIL (5xx, 429 or transport errors after every
 *         retry); the message names the URL (without query secrets: OpenStack has none there)
 *         and the status.
 */
LS_MUST_CHECK int ls_os_conn_get(struct ls_os_conn *c,
                                 const char *service,
                                 const char *url,
                                 long *status,
                                 json_t **out,
                                 struct ls_err *err);

/**
 * ls_os_conn_get without the parse: on LS_OK the body is swapped into *body (an initialised
 * buffer the caller owns; its old contents are dropped), or stays in the connection when body
 * is NULL. Same statuses, bar "invalid_json".
 */
LS_MUST_CHECK int ls_os_conn_fetch(struct ls_os_conn *c,
                                   const char *service,
                                   const char *url,
                                   long *status,
                                   struct ls_buf *body,
                                   struct ls_err *err);

/**
 * POSTs json_body (Content-Type: application/json) to url with the session's token, with the
 * same retries, re-authentication and statuses as ls_os_conn_fetch (messages name POST); the
 * answer's body stays in the connection. E.g. Watcher's POST /v1/webhooks/{audit}.
 */
LS_MUST_CHECK int ls_os_conn_post(struct ls_os_conn *c,
                                  const char *service,
                                  const char *url,
                                  const char *json_body,
                                  long *status,
                                  struct ls_err *err);

/**
 * Any method ("PUT", "DELETE", ...) with an optional JSON body (NULL: none, sent with
 * Content-Length 0), as ls_os_conn_post does otherwise; the answer's body stays in the
 * connection. E.g. Placement's PUT /resource_providers/{uuid}/traits: a 409
 * (generation conflict) is LS_EINVAL "http_error" with *status 409.
 */
LS_MUST_CHECK int ls_os_conn_send(struct ls_os_conn *c,
                                  const char *method,
                                  const char *service,
                                  const char *url,
                                  const char *json_body,
                                  long *status,
                                  struct ls_err *err);

/** Parses a body ls_os_conn_fetch returned; LS_EINVAL "invalid_json" naming url otherwise. */
LS_MUST_CHECK int
ls_os_parse_body(const char *url, const char *data, size_t len, json_t **out, struct ls_err *err);

#endif
