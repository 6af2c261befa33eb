/* Test support: runs the real `landscaped` binary as a child process on 127.0.0.1 (port 0,
 * read back from --port-file) against a given database, and talks HTTP to it with libcurl. */
#ifndef LS_TESTS_SERVICE_H
#define LS_TESTS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct ls_service {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" ("https://" when started with --tls-cert) */
    char dir[256]; /* scratch directory (port file, log) */
    /* set after ls_service_start, used by ls_http: */
    char token[256];  /* sent as `Authorization: Bearer` unless the request names a token */
    char cacert[300]; /* CA bundle for an HTTPS service */
    long timeout_s;   /* bound on one exchange; 0 = 30 s */
};

/** A cmocka group setup / teardown for tests that talk HTTP: libcurl's global state and the
 *  private Postgres (pg_harness.h). */
int ls_service_group_setup(void **state);
int ls_service_group_teardown(void **state);

/** Starts landscaped with --db dsn plus extra (NULL-terminated) arguments; waits until it
 *  serves. Returns 0, or -1 after printing the service log. */
int ls_service_start(struct ls_service *s, const char *dsn, const char *const *extra);
/** SIGTERM and wait; returns the exit status (0 = clean shutdown), -1 if it had to be killed. */
int ls_service_stop(struct ls_service *s);
/** Whether the service log has a line containing a and (unless NULL) b, waiting up to wait_ms
 *  for it: the access log line of a request is written when its response has been sent, so a
 *  client can read the response before the line is there. */
bool ls_service_logged(const struct ls_service *s, const char *a, const char *b, int wait_ms);

struct ls_http_result {
    long status;
    char *body;   /* NUL-terminated, owned */
    json_t *json; /* parsed body or NULL */
    char location[512];
    char etag[64];
    char www_authenticate[256];
};

/** Performs method on base+path with an optional body (JSON) and extra header ("Name: v" or
 *  NULL). Returns 0 when the exchange happened (whatever the status). */
int ls_http(struct ls_service *s,
            const char *method,
            const char *path,
            const char *body,
            const char *header,
            struct ls_http_result *out);
/** ls_http with a NULL-terminated list of header lines (NULL: none); Content-Type:
 *  application/json is added when the list has no Content-Type line, s->token when it has no
 *  Authorization or X-Auth-Token line. */
int ls_http_headers(struct ls_service *s,
                    const char *method,
                    const char *path,
                    const char *body,
                    const char *const *headers,
                    struct ls_http_result *out);
/** ls_http with a body of any bytes (NULs included) of the given Content-Type. */
int ls_http_body(struct ls_service *s,
                 const char *method,
                 const char *path,
                 const char *content_type,
                 const char *body,
                 size_t len,
                 struct ls_http_result *out);
void ls_http_result_cleanup(struct ls_http_result *r);

/** The string at a JSON path like "error.code" or "nodes.0.id" in r->json, or NULL. */
const char *ls_jstr(const json_t *root, const char *path);
/** The integer at a JSON path (or -1). */
long long ls_jint(const json_t *root, const char *path);
/** The value at a JSON path (borrowed) or NULL. */
json_t *ls_jget(const json_t *root, const char *path);

#endif
