/* /v1/edges: list (live or as of a time), create, read, patch and delete. An edge is named by
 * its key "src|type|dst" in the path, or by src, type and dst query arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/depinfer.h"
#include "server/handlers.h"
#include "server/handlers/common.h"

void ls_h_edges_list(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"src", "dst", "type", "limit", "marker", "at", NULL};
    struct ls_err err;
    size_t limit;
    bool has_at;
    int64_t at;
    struct ls_edge_filter f = {ls_req_query(req, "src"), ls_req_query(req, "dst"), -1};
    const char *type = ls_req_query(req, "type"), *marker = ls_req_query(req, "marker");
    enum ls_edge_type et;
    if (ls_req_check_params(req, params, false, &err) || h_limit(req, &limit, &err) ||
        ls_req_time(req, "at", &has_at, &at, &err))
        ERR_OUT(resp, err);
    if (type) {
        if (!ls_edge_type_parse(type, &et)) {
            ls_resp_error_status(resp, 400, "invalid_edge_type",
                                 "type: '%.32s' is not an edge type", type);
            return;
        }
        f.type = (int)et;
    }
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc;
    if (has_at) {
        json_t *arr;
        bool more;
        if (ls_store_edges_at(req->ctx->store, &f, at, marker, limit, &arr, &more, &err))
            ERR_OUT(resp, err);
        rc = h_history_page(&b, req, "edges", arr, more);
    } else {
        struct ls_snap *s = ls_graph_snap(req->ctx->graph);
        const struct ls_edge **out = ls_xmalloc(limit * sizeof(*out));
        size_t n;
        bool more;
        if (ls_snap_list_edges(s, &f, marker, limit, out, &n, &more, &err)) {
            free(out);
            ls_snap_release(s);
            ERR_OUT(resp, err);
        }
        char key[2048];
        rc = ls_buf_puts(&b, "{");
        rc = rc ? rc : h_list_edges(&b, "edges", out, n);
        rc = rc ? rc
                : ls_buf_printf(&b, ",\"revision\":%llu", (unsigned long long)ls_snap_revision(s));
        rc = rc ? rc
                : h_next(&b, req, more,
                         n ? ls_edge_key(out[n - 1]->src, out[n - 1]->type, out[n - 1]->dst, key,
                                         sizeof(key))
                           : NULL);
        free(out);
        ls_snap_release(s);
    }
    rc = rc ? rc : ls_buf_puts(&b, "}");
    LS_ASSERT(rc == LS_OK);
    size_t len = b.len;
    ls_resp_text_take(resp, 200, ls_buf_take(&b), len, "application/json");
}

/* The edge named by the path key or by src/type/dst arguments. Pointers into *keybuf or the
 * request; free *keybuf. */
static int edge_name(struct ls_req *req,
                     char **keybuf,
                     const char **src,
                     enum ls_edge_type *type,
                     const char **dst,
                     struct ls_err *err)
{
    *keybuf = NULL;
    if (req->param) {
        *keybuf = ls_xstrdup(req->param);
        return h_edge_key(*keybuf, src, type, dst, err);
    }
    static const char *const params[] = {"src", "type", "dst", NULL};
    int rc = ls_req_check_params(req, params, false, err);
    if (rc != LS_OK)
        return rc;
    *src = ls_req_query(req, "src");
    *dst = ls_req_query(req, "dst");
    const char *t = ls_req_query(req, "type");
    if (*src == NULL || *dst == NULL || t == NULL)
        return ls_err_set(err, LS_EINVAL, "missing_parameter", "src, type and dst are required");
    if (!ls_edge_type_parse(t, type))
        return ls_err_set(err, LS_EINVAL, "invalid_edge_type", "type: '%.32s' is not an edge type",
                          t);
    return LS_OK;
}

static void respond_edge(struct ls_req *req,
                         struct ls_resp *resp,
                         unsigned status,
                         const char *src,
                         enum ls_edge_type type,
                         const char *dst)
{
    req->snap = ls_graph_snap(req->ctx->graph);
    const struct ls_edge *e = ls_snap_edge(req->snap, src, type, dst);
    char key[2048];
    if (e == NULL) {
        ls_resp_error_status(resp, 404, "edge_not_found", "edge '%.200s' does not exist",
                             ls_edge_key(src, type, dst, key, sizeof(key)));
        return;
    }
    resp->status = status;
    resp->body = (char *)ls_edge_json(e, &resp->len);
    resp->borrowed = true;
    resp->ctype = "application/json";
}

void ls_h_edge_get(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    char *key = NULL;
    const char *src, *dst;
    enum ls_edge_type type;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        edge_name(req, &key, &src, &type, &dst, &err)) {
        free(key);
        ERR_OUT(resp, err);
    }
    respond_edge(req, resp, 200, src, type, dst);
    free(key);
}

/* Reads `weight` when present; NaN when absent. */
static int weight_of(json_t *body, double *out, struct ls_err *err)
{
    json_t *w = json_object_get(body, "weight");
    *out = __builtin_nan("");
    if (w == NULL)
        return LS_OK;
    if (!json_is_number(w))
        return ls_err_set(err, LS_EINVAL, "invalid_field", "weight: expected a number");
    *out = json_number_value(w);
    return LS_OK;
}

void ls_h_edge_create(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const allowed[] = {"src", "dst", "type", "attrs", "weight", "source", NULL};
    struct ls_err err;
    json_t *body = NULL, *attrs;
    const char *src, *dst, *type, *source;
    double weight;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err) || h_only(body, allowed, &err) ||
        h_str(body, "src", &src, &err) || h_str(body, "dst", &dst, &err) ||
        h_str(body, "type", &type, &err) || h_str(body, "source", &source, &err) ||
        h_attrs(req, body, &attrs, &err) || weight_of(body, &weight, &err)) {
        json_decref(body);
        ERR_OUT(resp, err);
    }
    enum ls_edge_type et;
    enum ls_edge_source es = LS_ESRC_MANUAL;
    const char *missing = !src ? "src" : !dst ? "dst" : !type ? "type" : NULL;
    int rc = LS_OK;
    if (missing)
        rc = ls_err_set(&err, LS_EINVAL, "missing_field", "%s: required", missing);
    else if (!ls_edge_type_parse(type, &et))
        rc = ls_err_set(&err, LS_EINVAL, "invalid_edge_type", "type: '%.32s' is not an edge type",
                        type);
    else if (source && !ls_edge_source_parse(source, &es))
        rc = ls_err_set(&err, LS_EINVAL, "invalid_field",
                        "source: expected imported, manual or inferred");
    if (rc != LS_OK) {
        json_decref(body);
        ERR_OUT(resp, err);
    }
    char *s = ls_xstrdup(src), *d = ls_xstrdup(dst);
    struct ls_change_set *cs = ls_change_set_new("api");
    rc = ls_change_put_edge_new(cs, src, et, dst, json_incref(attrs), es, weight, &err);
    if (rc == LS_OK)
        ls_change_set_at(cs, 0)->if_absent = true;
    json_decref(body);
    uint64_t rev;
    rc = rc ? (ls_change_set_free(cs), rc) : h_apply(req, cs, &rev, &err);
    if (rc == LS_OK) {
        struct ls_buf b;
        char key[2048];
        ls_buf_init(&b, 0);
        int brc = ls_buf_puts(&b, "/v1/edges/");
        brc = brc ? brc : ls_buf_urlencode(&b, ls_edge_key(s, et, d, key, sizeof(key)));
        LS_ASSERT(brc == LS_OK);
        resp->location = ls_buf_take(&b);
        respond_edge(req, resp, 201, s, et, d);
    } else {
        ls_resp_error(resp, &err);
    }
    free(s);
    free(d);
}

void ls_h_edge_patch(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const allowed[] = {"attrs", "weight", NULL};
    struct ls_err err;
    char *key = NULL;
    const char *src, *dst;
    enum ls_edge_type type;
    json_t *body = NULL, *attrs;
    double weight;
    if (edge_name(req, &key, &src, &type, &dst, &err) || ls_req_json(req, &body, &err) ||
        h_only(body, allowed, &err) || h_attrs(req, body, &attrs, &err) ||
        weight_of(body, &weight, &err)) {
        json_decref(body);
        free(key);
        ERR_OUT(resp, err);
    }
    /* an inferred edge's verdict: attrs.status confirmed | rejected | null (analytics/depinfer) */
    json_t *status = json_object_get(attrs, "status");
    if (status && !ls_depinfer_status_valid(status)) {
        struct ls_snap *s = ls_graph_snap(req->ctx->graph);
        const struct ls_edge *e = ls_snap_edge(s, src, type, dst);
        bool inferred = e && e->esource == LS_ESRC_INFERRED;
        ls_snap_release(s);
        if (inferred) {
            json_decref(body);
            free(key);
            ls_resp_error_status(resp, 400, "invalid_field",
                                 "attrs.status: expected confirmed, rejected or null");
            return;
        }
    }
    struct ls_change_set *cs = ls_change_set_new("api");
    int rc = ls_change_patch_edge_new(cs, src, type, dst, json_incref(attrs), weight, &err);
    json_decref(body);
    uint64_t rev;
    rc = rc ? (ls_change_set_free(cs), rc) : h_apply(req, cs, &rev, &err);
    if (rc == LS_OK)
        respond_edge(req, resp, 200, src, type, dst);
    else
        ls_resp_error(resp, &err);
    free(key);
}

void ls_h_edge_delete(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    char *key = NULL;
    const char *src, *dst;
    enum ls_edge_type type;
    if (edge_name(req, &key, &src, &type, &dst, &err)) {
        free(key);
        ERR_OUT(resp, err);
    }
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    bool exists = ls_snap_edge(s, src, type, dst) != NULL;
    ls_snap_release(s);
    char kb[2048];
    if (!exists) {
        ls_resp_error_status(resp, 404, "edge_not_found", "edge '%.200s' does not exist",
                             ls_edge_key(src, type, dst, kb, sizeof(kb)));
        free(key);
        return;
    }
    struct ls_change_set *cs = ls_change_set_new("api");
    ls_change_del_edge(cs, src, type, dst);
    free(key);
    uint64_t rev;
    if (h_apply(req, cs, &rev, &err))
        ERR_OUT(resp, err);
    ls_resp_text_take(resp, 204, NULL, 0, "application/json");
}
