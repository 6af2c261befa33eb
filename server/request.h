/* One HTTP request as handlers see it, and the response they fill. Only server/ includes
 * microhttpd.h; handlers use these helpers instead of MHD calls where they can. */
#ifndef LS_SERVER_REQUEST_H
#define LS_SERVER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "common/err.h"
#include "server/ctx.h"

/* A decoded query argument; value NULL for a bare `?key`. */
struct ls_query_arg {
    const char *key;
    const char *value;
};

struct ls_req {
    struct ls_ctx *ctx;
    struct MHD_Connection *conn; /* NULL: the query is args[] instead (fuzzing, tests) */
    const struct ls_query_arg *args;
    size_t n_args;
    const char *method;
    const char *url;    /* path, decoded by MHD */
    char *param;        /* the route's {id} part, or NULL (owned) */
    struct ls_buf body; /* bounded by max-body-bytes */
    bool body_too_large;
    struct ls_snap *snap; /* held until the response is sent (borrowed bodies point into it) */
    long long t0_ns;
    int route;        /* index in the route table, -1 = none */
    unsigned long id; /* request id for logs */
    unsigned status;  /* HTTP status queued, for the completion log and metrics */
    char who[160];    /* the caller for the access log: token name, Keystone user, "-" */
};

struct ls_resp {
    unsigned status;
    char *body; /* owned unless borrowed */
    size_t len;
    bool borrowed;            /* body lives in req->snap; not freed */
    const char *ctype;        /* static */
    char *location;           /* owned; Location header */
    char etag[48];            /* ETag header when set */
    const char *challenge;    /* WWW-Authenticate header (a 401) when set; static */
    struct MHD_Response *raw; /* a handler-built response (SSE); takes precedence */
};

/** A query argument (decoded), or NULL (the first one when repeated, as MHD). */
const char *ls_req_query(struct ls_req *req, const char *key);
/** Calls it on every query argument in order (from MHD, or args[] when conn is NULL) until it
 *  returns MHD_NO. */
void ls_req_args_each(struct ls_req *req, MHD_KeyValueIterator it, void *cls);
/** Fails with 400 unknown_parameter when the query has an argument not in allowed (NULL-
 *  terminated); keys starting with "attr." pass when attr_prefix. */
LS_MUST_CHECK int ls_req_check_params(struct ls_req *req,
                                      const char *const *allowed,
                                      bool attr_prefix,
                                      struct ls_err *err);
/** Parses an integer query argument within [min, max]; def when absent. */
LS_MUST_CHECK int ls_req_long(struct ls_req *req,
                              const char *key,
                              long def,
                              long min,
                              long max,
                              long *out,
                              struct ls_err *err);
/** Parses a boolean query argument: true / 1, false / 0; def when absent. */
LS_MUST_CHECK int
ls_req_bool(struct ls_req *req, const char *key, bool def, bool *out, struct ls_err *err);
/** Parses the `at` argument (RFC 3339) when present; *has = whether it was. */
LS_MUST_CHECK int
ls_req_time(struct ls_req *req, const char *key, bool *has, int64_t *out, struct ls_err *err);
/** Parses the body as a JSON object within the configured bounds (depth, string length):
 *  400 malformed_json / json_too_deep / expected_object, 422 string_too_long. New reference. */
LS_MUST_CHECK int ls_req_json(struct ls_req *req, json_t **out, struct ls_err *err);

/** Sets a JSON response; steals v. */
void ls_resp_json_new(struct ls_resp *resp, unsigned status, json_t *v);
/** Sets a response body that is already JSON text; takes ownership of text. */
void ls_resp_text_take(
    struct ls_resp *resp, unsigned status, char *text, size_t len, const char *ctype);
/** Sets the error body {"error":{"status","code","message"}} with the HTTP status that fits
 *  err->status (400, 404, 409, 422, 503, 504, 500). */
void ls_resp_error(struct ls_resp *resp, const struct ls_err *err);
/** Same with an explicit HTTP status (413, 405, ...). */
void ls_resp_error_status(struct ls_resp *resp,
                          unsigned status,
                          const char *code,
                          const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

/** HTTP status for an ls_status. */
unsigned ls_http_status(enum ls_status st);

/** Appends s percent-encoded for a URL query or path segment. */
LS_MUST_CHECK int ls_buf_urlencode(struct ls_buf *b, const char *s);

/** The request's query string rebuilt with marker=<marker> (for `next` links). Owned. */
char *ls_req_next_link(struct ls_req *req, const char *marker);

#endif
