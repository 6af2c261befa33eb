/* The HTTP daemon: libmicrohttpd with an internal thread pool (epoll), per-request state in
 * *con_cls, bounded bodies, dispatch through the route table, access log and metrics on
 * completion. */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/time.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/router.h"

#define MAX_PEM_BYTES (1u << 20)

struct ls_http {
    struct MHD_Daemon *d;
    struct ls_ctx *ctx;
    char *cert_pem, *key_pem; /* --tls-cert / --tls-key contents, kept while serving */
};

static _Atomic unsigned long next_id;

static void req_free(struct ls_req *req)
{
    if (req == NULL)
        return;
    ls_snap_release(req->snap);
    ls_buf_cleanup(&req->body);
    free(req->param);
    free(req);
}

/* Builds the MHD response from what the handler filled. */
static struct MHD_Response *make_response(struct ls_resp *resp)
{
    if (resp->raw)
        return resp->raw;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp->len, resp->body, resp->borrowed ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        ls_oom(resp->len);
    resp->body = NULL; /* MHD owns or borrows it now */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->ctype ? resp->ctype : "application/json");
    if (resp->location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    if (resp->etag[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
    if (resp->challenge)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp->challenge);
    return r;
}

static const char *header(struct ls_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* The caller's token: X-Auth-Token (Keystone's header), else Authorization: Bearer. */
static const char *request_token(struct ls_req *req)
{
    const char *t = header(req, "X-Auth-Token");
    if (t && *t)
        return t;
    const char *a = header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    if (a && strncasecmp(a, "Bearer ", 7) == 0)
        return a + 7 + strspn(a + 7, " ");
    return NULL;
}

/* Who is calling and whether they may call this route; false when resp holds the refusal
 * (401 with WWW-Authenticate, 403, or 503 when Keystone cannot tell). */
static bool authorize(struct ls_req *req, const struct ls_route *route, struct ls_resp *resp)
{
    struct ls_auth *auth = req->ctx->auth;
    enum ls_role need = ls_route_role(route, req->ctx->cfg);
    if (need == LS_ROLE_PUBLIC)
        return true;
    struct ls_principal p;
    struct ls_err err;
    if (ls_auth_check(auth, request_token(req), &p, &err) != LS_OK) {
        if (err.status == LS_EUNAVAIL) {
            ls_resp_error(resp, &err);
        } else {
            ls_resp_error_status(resp, 401, err.code, "%s", err.msg);
            resp->challenge = ls_auth_challenge(auth);
        }
        return false;
    }
    snprintf(req->who, sizeof(req->who), "%s", p.name);
    if (p.role < need) {
        ls_resp_error_status(resp, 403, "forbidden", "%s (role %s) may not %s %.200s: it needs %s",
                             p.name, p.role >= LS_ROLE_READER ? ls_role_name(p.role) : "none",
                             req->method, req->url, ls_role_name(need));
        return false;
    }
    return true;
}

/* A browser page of another site must not write here: a write whose Origin is not this
 * server (scheme://Host) is refused. Clients that are not browsers send no Origin. */
static bool same_origin(struct ls_req *req)
{
    const char *origin = header(req, "Origin"), *host = header(req, MHD_HTTP_HEADER_HOST);
    if (origin == NULL)
        return true;
    const char *rest = strstr(origin, "://");
    return host && rest && strcasecmp(rest + 3, host) == 0;
}

static bool is_read(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static void dispatch(struct ls_req *req, struct ls_resp *resp)
{
    bool mismatch;
    req->route = ls_route_match(req->method, req->url, &req->param, &mismatch);
    const struct ls_route *route = req->route >= 0 ? &ls_routes[req->route] : NULL;
    const char *ctype = header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (route == NULL && mismatch) {
        ls_resp_error_status(resp, 405, "method_not_allowed", "%s is not allowed on %.200s",
                             req->method, req->url);
    } else if (route == NULL) {
        ls_resp_error_status(resp, 404, "route_not_found", "no such endpoint: %.200s", req->url);
    } else if (!authorize(req, route, resp)) {
        /* resp holds the refusal */
    } else if (!is_read(req->method) && !same_origin(req)) {
        ls_resp_error_status(resp, 403, "cross_origin",
                             "a write from a page of another site (Origin %.100s) is refused",
                             header(req, "Origin"));
    } else if (!is_read(req->method) && !ls_route_ctype_ok(route, ctype, req->body.len)) {
        ls_resp_error_status(resp, 415, "unsupported_media_type",
                             "Content-Type '%.64s' is not accepted here: send %s",
                             ctype ? ctype : "(none)", ls_route_ctypes(route));
    } else if (req->body_too_large) {
        ls_resp_error_status(resp, 413, "body_too_large", "request body is larger than %ld bytes",
                             req->ctx->cfg->max_body_bytes);
    } else {
        route->fn(req, resp);
    }
    if (resp->status == 0)
        ls_resp_error_status(resp, 500, "internal_error", "handler produced no response");
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *conn,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_size,
                                  void **con_cls)
{
    (void)version;
    struct ls_http *h = cls;
    struct ls_req *req = *con_cls;
    if (req == NULL) {
        req = ls_xcalloc(1, sizeof(*req));
        req->ctx = h->ctx;
        req->conn = conn;
        req->method = method;
        req->url = url;
        req->route = -1;
        req->t0_ns = ls_time_mono_ns();
        req->id = atomic_fetch_add(&next_id, 1) + 1;
        snprintf(req->who, sizeof(req->who), "-");
        ls_buf_init(&req->body, (size_t)h->ctx->cfg->max_body_bytes);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        /* past the bound the rest is read and dropped; the answer is 413 */
        if (!req->body_too_large && ls_buf_append(&req->body, upload_data, *upload_size) != LS_OK) {
            req->body_too_large = true;
            ls_buf_cleanup(&req->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    struct ls_resp resp = {0};
    dispatch(req, &resp);
    struct MHD_Response *r = make_response(&resp);
    free(resp.location);
    enum MHD_Result ret = MHD_queue_response(conn, resp.status, r);
    MHD_destroy_response(r);
    req->status = resp.status;
    return ret;
}

static void on_completed(void *cls,
                         struct MHD_Connection *conn,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct ls_http *h = cls;
    struct ls_req *req = *con_cls;
    if (req == NULL)
        return;
    unsigned status = req->status;
    double secs = (double)(ls_time_mono_ns() - req->t0_ns) / 1e9;
    ls_metrics_request(h->ctx->metrics, req->route, status, secs);
    /* writes are logged with their caller (never the token); reads only when debugging */
    enum ls_log_level lvl = status >= 500           ? LS_LOG_WARN
                            : !is_read(req->method) ? LS_LOG_INFO
                                                    : LS_LOG_DEBUG;
    if (ls_log_enabled(lvl, "http"))
        ls_log(lvl, "http", "request",
               "id=%lu method=%s path=\"%.200s\" status=%u ms=%.3f user=\"%s\"%s", req->id,
               req->method, req->url, status, secs * 1e3, req->who,
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
    req_free(req);
    *con_cls = NULL;
}

static void free_pems(char *cert, char *key)
{
    if (key) {
        memset(key, 0, strlen(key)); /* the private key */
        free(key);
    }
    free(cert);
}

static void http_free(struct ls_http *h)
{
    free_pems(h->cert_pem, h->key_pem);
    free(h);
}

/* Reads a PEM file whole; `what` names the option in messages. */
static int read_pem(const char *path, const char *what, char **out, struct ls_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_config", "%s %s: %s", what, path,
                          strerror(errno));
    char *text = ls_xmalloc(MAX_PEM_BYTES + 2);
    size_t n = fread(text, 1, MAX_PEM_BYTES + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    text[n] = '\0';
    if (failed || n == 0 || n > MAX_PEM_BYTES || strstr(text, "-----BEGIN ") == NULL) {
        memset(text, 0, n);
        free(text);
        return ls_err_set(err, LS_EINVAL, "invalid_config", "%s %s: %s", what, path,
                          failed ? "cannot be read" : "not a PEM file (-----BEGIN ... missing)");
    }
    *out = text;
    return LS_OK;
}

/* The certificate and key of --tls-cert / --tls-key, read whole. */
static int load_tls(const struct ls_config *cfg, char **cert, char **key, struct ls_err *err)
{
    *cert = *key = NULL;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "tls-cert: this libmicrohttpd was built without TLS");
    int rc = read_pem(cfg->tls_cert, "tls-cert", cert, err);
    if (rc == LS_OK)
        rc = read_pem(cfg->tls_key, "tls-key", key, err);
    return rc;
}

int ls_http_tls_check(const struct ls_config *cfg, struct ls_err *err)
{
    if (cfg->tls_cert[0] == '\0')
        return LS_OK;
    char *cert, *key;
    int rc = load_tls(cfg, &cert, &key, err);
    free_pems(cert, key);
    return rc;
}

int ls_http_start(struct ls_http **out,
                  struct ls_ctx *ctx,
                  const char *listen,
                  int threads,
                  int *out_port,
                  struct ls_err *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
        return ls_err_set(err, LS_EINVAL, "invalid_config", "listen: expected HOST:PORT");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10))};
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return ls_err_set(err, LS_EINVAL, "invalid_config", "listen: '%s' is not an IPv4 address",
                          host);
    struct ls_http *h = ls_xcalloc(1, sizeof(*h));
    h->ctx = ctx;
    const struct ls_config *cfg = ctx->cfg;
    bool tls = cfg->tls_cert[0] != '\0';
    if (tls) {
        int rc = load_tls(cfg, &h->cert_pem, &h->key_pem, err);
        if (rc != LS_OK) {
            http_free(h);
            return rc;
        }
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    if (tls)
        flags |= MHD_USE_TLS;
    /* the TLS options come last: without TLS, MHD_OPTION_END stops the list before them */
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        h, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)4096, tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, h->key_pem, MHD_OPTION_END);
    if (h->d == NULL) {
        http_free(h);
        if (tls)
            return ls_err_set(err, LS_EUNAVAIL, "listen_failed",
                              "cannot serve HTTPS on %s: the address is taken, or tls-cert %s and "
                              "tls-key %s are not a PEM certificate and its private key",
                              listen, cfg->tls_cert, cfg->tls_key);
        return ls_err_set(err, LS_EUNAVAIL, "listen_failed", "cannot listen on %s", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *out_port = info ? info->port : 0;
    *out = h;
    return LS_OK;
}

void ls_http_stop(struct ls_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d);
    http_free(h);
}
