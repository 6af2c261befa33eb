/* The HTTP daemon: libmicrohttpd with an internal thread pool (epoll), per-request state in
 * *con_cls, bounded bodies, dispatch through the route table, access log and metrics on
 * completion. */
#include "server/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/time.h"
#include "server/metrics.h"
#include "server/router.h"

struct ls_http {
    struct MHD_Daemon *d;
    struct ls_ctx *ctx;
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
    return r;
}

static void dispatch(struct ls_req *req, struct ls_resp *resp)
{
    bool mismatch;
    req->route = ls_route_match(req->method, req->url, &req->param, &mismatch);
    if (req->body_too_large) {
        ls_resp_error_status(resp, 413, "body_too_large", "request body is larger than %ld bytes",
                             req->ctx->cfg->max_body_bytes);
    } else if (req->route >= 0) {
        ls_routes[req->route].fn(req, resp);
    } else if (mismatch) {
        ls_resp_error_status(resp, 405, "method_not_allowed", "%s is not allowed on %.200s",
                             req->method, req->url);
    } else {
        ls_resp_error_status(resp, 404, "route_not_found", "no such endpoint: %.200s", req->url);
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
    enum ls_log_level lvl = status >= 500 ? LS_LOG_WARN : LS_LOG_DEBUG;
    if (ls_log_enabled(lvl, "http"))
        ls_log(lvl, "http", "request", "id=%lu method=%s path=\"%.200s\" status=%u ms=%.3f%s",
               req->id, req->method, req->url, status, secs * 1e3,
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
    req_free(req);
    *con_cls = NULL;
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
    h->d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, NULL, NULL,
        on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_END);
    if (h->d == NULL) {
        free(h);
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
    free(h);
}
