/* /v1/graph (a whole layer or type, live or as of a time), /v1/graph/diff, /v1/changes and
 * /v1/events (server-sent events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "server/handlers.h"
#include "server/handlers/common.h"
#include "server/notify.h"
#include "server/sse.h"

struct edge_pick {
    const struct ls_snap *s;
    const struct ls_node_filter *f;
    struct ls_buf *b;
    bool first;
    size_t n, limit;
};

/* An edge belongs to the picture when both of its ends do. */
static bool pick_edge(const struct ls_edge *e, void *arg)
{
    struct edge_pick *p = arg;
    const struct ls_node *dst = ls_snap_node(p->s, e->dst);
    if (dst == NULL || !ls_node_filter_match(p->f, dst) || p->n >= p->limit)
        return true;
    size_t len;
    const char *j = ls_edge_json(e, &len);
    int rc = p->first ? LS_OK : ls_buf_puts(p->b, ",");
    rc = rc ? rc : ls_buf_append(p->b, j, len);
    LS_ASSERT(rc == LS_OK);
    p->first = false;
    p->n++;
    return true;
}

/* /v1/graph?at=: a page of the nodes alive then (by id, at most max-page-size, `next` to
 * continue) and the edges out of them whose other end is in the picture (at most 4 × limit). */
static void
graph_at(struct ls_req *req, struct ls_resp *resp, const struct ls_node_filter *f, int64_t at)
{
    struct ls_err err;
    long l;
    if (ls_req_long(req, "limit", req->ctx->cfg->max_page_size, 1, req->ctx->cfg->max_page_size, &l,
                    &err))
        ERR_OUT(resp, err);
    json_t *nodes, *edges;
    bool more_n, more_e;
    if (ls_store_nodes_at(req->ctx->store, f, at, ls_req_query(req, "marker"), (size_t)l, &nodes,
                          &more_n, &err))
        ERR_OUT(resp, err);
    if (ls_store_out_edges_at(req->ctx->store, nodes, f, at, (size_t)l * 4, &edges, &more_e,
                              &err)) {
        json_decref(nodes);
        ERR_OUT(resp, err);
    }
    const char *last =
        json_string_value(json_object_get(json_array_get(nodes, json_array_size(nodes) - 1), "id"));
    char *next = more_n && last ? ls_req_next_link(req, last) : NULL;
    json_t *o = json_pack("{s:o,s:o,s:b,s:s}", "nodes", nodes, "edges", edges, "truncated", more_e,
                          "at", ls_req_query(req, "at"));
    if (next)
        json_object_set_new(o, "next", json_string(next));
    free(next);
    ls_resp_json_new(resp, 200, o);
}

void ls_h_graph(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"layer", "type", "state",  "name",   "source",
                                         "limit", "at",   "marker", "colour", NULL};
    struct ls_err err;
    struct ls_node_filter f;
    struct ls_attr_match attrs[16];
    size_t limit;
    bool has_at;
    int64_t at;
    if (ls_req_check_params(req, params, true, &err) || h_node_filter(req, &f, attrs, &err) ||
        ls_req_time(req, "at", &has_at, &at, &err))
        ERR_OUT(resp, err);
    bool colour;
    if (ls_req_bool(req, "colour", false, &colour, &err))
        ERR_OUT(resp, err);
    if (colour && !req->ctx->colours) {
        ls_resp_error_status(resp, 404, "analytics_off",
                             "colour=true: analytics is off (--analytics off)");
        return;
    }
    if (has_at) {
        if (colour) {
            ls_resp_error_status(resp, 400, "invalid_parameter",
                                 "colour=true with at=: ask GET /v1/analytics/colours?at=");
            return;
        }
        graph_at(req, resp, &f, at);
        return;
    }
    long l;
    if (ls_req_long(req, "limit", 10000, 1, 100000, &l, &err))
        ERR_OUT(resp, err);
    limit = (size_t)l;
    req->snap = ls_graph_snap(req->ctx->graph);
    const struct ls_node **out = ls_xmalloc(limit * sizeof(*out));
    size_t n;
    bool more;
    if (ls_snap_list_nodes(req->snap, &f, ls_req_query(req, "marker"), limit, out, &n, &more,
                           &err)) {
        free(out);
        ERR_OUT(resp, err);
    }
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc = ls_buf_puts(&b, "{");
    rc = rc ? rc : h_list_nodes_with(&b, "nodes", out, n, colour ? req->ctx->colours : NULL);
    rc = rc ? rc : ls_buf_puts(&b, ",\"edges\":[");
    struct edge_pick p = {req->snap, &f, &b, true, 0, limit * 4};
    for (size_t i = 0; i < n && rc == LS_OK; i++)
        rc = ls_snap_node_edges(req->snap, out[i]->id, LS_DIR_OUT, -1, pick_edge, &p, &err);
    rc = rc ? rc
            : ls_buf_printf(&b, "],\"truncated\":%s,\"revision\":%llu",
                            more || p.n >= p.limit ? "true" : "false",
                            (unsigned long long)ls_snap_revision(req->snap));
    rc = rc ? rc : h_next(&b, req, more, n ? out[n - 1]->id : NULL);
    rc = rc ? rc : ls_buf_puts(&b, "}");
    free(out);
    LS_ASSERT(rc == LS_OK);
    size_t len = b.len;
    ls_resp_text_take(resp, 200, ls_buf_take(&b), len, "application/json");
}

void ls_h_graph_diff(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"from", "to", "limit", NULL};
    struct ls_err err;
    bool has_from, has_to;
    int64_t from, to;
    long limit;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_time(req, "from", &has_from, &from, &err) ||
        ls_req_time(req, "to", &has_to, &to, &err) ||
        ls_req_long(req, "limit", req->ctx->cfg->history_limit, 1, req->ctx->cfg->history_limit,
                    &limit, &err))
        ERR_OUT(resp, err);
    if (!has_from) {
        ls_resp_error_status(resp, 400, "missing_parameter", "from: required");
        return;
    }
    if (!has_to)
        to = ls_time_now_us();
    if (to < from) {
        ls_resp_error_status(resp, 400, "invalid_parameter", "to: earlier than from");
        return;
    }
    json_t *d;
    if (ls_store_diff(req->ctx->store, from, to, (size_t)limit, &d, &err))
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, d);
}

void ls_h_changes(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"since", "limit", NULL};
    struct ls_err err;
    long since;
    size_t limit;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_long(req, "since", 0, 0, __LONG_MAX__, &since, &err) || h_limit(req, &limit, &err))
        ERR_OUT(resp, err);
    json_t *log;
    if (ls_store_changes_since(req->ctx->store, (uint64_t)since, limit, &log, &err))
        ERR_OUT(resp, err);
    size_t n = json_array_size(log);
    json_int_t last =
        n ? json_integer_value(json_object_get(json_array_get(log, n - 1), "revision")) : since;
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    json_t *o = json_pack("{s:o,s:I,s:I}", "changes", log, "last", last, "revision",
                          (json_int_t)ls_snap_revision(s));
    ls_snap_release(s);
    if (n == limit) {
        char m[32];
        snprintf(m, sizeof(m), "%lld", (long long)last);
        struct ls_buf b;
        ls_buf_init(&b, 0);
        int rc = ls_buf_printf(&b, "/v1/changes?since=%s&limit=%zu", m, limit);
        LS_ASSERT(rc == LS_OK);
        json_object_set_new(o, "next", json_string(b.data));
        ls_buf_cleanup(&b);
    }
    ls_resp_json_new(resp, 200, o);
}

void ls_h_events(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"type", "layer", "kind", "since", NULL};
    struct ls_err err;
    long since;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_long(req, "since", -1, -1, __LONG_MAX__, &since, &err))
        ERR_OUT(resp, err);
    struct ls_sse_filter f = {ls_req_query(req, "type"), ls_req_query(req, "layer"),
                              ls_req_query(req, "kind")};
    enum ls_layer l;
    if (f.layer && !ls_layer_parse(f.layer, &l)) {
        ls_resp_error_status(resp, 400, "invalid_parameter",
                             "layer: expected physical, virtual or service");
        return;
    }
    if (f.kind && strcmp(f.kind, "node") && strcmp(f.kind, "edge") && !ls_notify_known(f.kind)) {
        ls_resp_error_status(resp, 400, "invalid_parameter",
                             "kind: expected node, edge or an event name (%s)", LS_NOTIFY_EVENTS);
        return;
    }
    /* a reconnecting EventSource sends the last id it saw */
    const char *last = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (since < 0 && last)
        since = strtol(last, NULL, 10);
    struct MHD_Response *r;
    if (ls_sse_attach(req->ctx->sse, req, &f, since >= 0, since >= 0 ? (uint64_t)since : 0, &r,
                      &err))
        ERR_OUT(resp, err);
    resp->raw = r;
    resp->status = 200;
}
