/* /v1/nodes: list, read (live or as of a time), create, replace, patch, delete, subgraph and
 * history. Live reads send each node version's cached JSON; writes go through the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/telemetry.h"
#include "server/colours.h"
#include "server/handlers.h"
#include "server/handlers/common.h"

static const char *const list_params[] = {"layer", "type",   "state", "name", "source",
                                          "limit", "marker", "at",    NULL};

void ls_h_nodes_list(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    struct ls_node_filter f;
    struct ls_attr_match attrs[16];
    size_t limit;
    bool has_at;
    int64_t at;
    const char *marker = ls_req_query(req, "marker");
    if (ls_req_check_params(req, list_params, true, &err) || h_node_filter(req, &f, attrs, &err) ||
        h_limit(req, &limit, &err) || ls_req_time(req, "at", &has_at, &at, &err))
        ERR_OUT(resp, err);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc;
    if (has_at) {
        json_t *arr;
        bool more;
        if (ls_store_nodes_at(req->ctx->store, &f, at, marker, limit, &arr, &more, &err))
            ERR_OUT(resp, err);
        rc = h_history_page(&b, req, "nodes", arr, more);
    } else {
        struct ls_snap *s = ls_graph_snap(req->ctx->graph);
        const struct ls_node **out = ls_xmalloc(limit * sizeof(*out));
        size_t n;
        bool more;
        rc = ls_snap_list_nodes(s, &f, marker, limit, out, &n, &more, &err);
        if (rc != LS_OK) {
            free(out);
            ls_snap_release(s);
            ERR_OUT(resp, err);
        }
        rc = ls_buf_puts(&b, "{");
        rc = rc ? rc : h_list_nodes(&b, "nodes", out, n);
        rc = rc ? rc
                : ls_buf_printf(&b, ",\"revision\":%llu", (unsigned long long)ls_snap_revision(s));
        rc = rc ? rc : h_next(&b, req, more, n ? out[n - 1]->id : NULL);
        free(out);
        ls_snap_release(s);
    }
    rc = rc ? rc : ls_buf_puts(&b, "}");
    LS_ASSERT(rc == LS_OK);
    size_t len = b.len;
    ls_resp_text_take(resp, 200, ls_buf_take(&b), len, "application/json");
}

void ls_h_node_get(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"at", NULL};
    struct ls_err err;
    bool has_at;
    int64_t at;
    if (ls_req_check_params(req, params, false, &err) || ls_req_time(req, "at", &has_at, &at, &err))
        ERR_OUT(resp, err);
    if (has_at) {
        json_t *n;
        if (ls_store_node_at(req->ctx->store, req->param, at, &n, &err))
            ERR_OUT(resp, err);
        ls_resp_json_new(resp, 200, n);
        return;
    }
    /* the snapshot stays held until the response is sent: the body is borrowed from it */
    req->snap = ls_graph_snap(req->ctx->graph);
    const struct ls_node *n = ls_snap_node(req->snap, req->param);
    if (n == NULL) {
        ls_resp_error_status(resp, 404, "node_not_found", "node '%.200s' does not exist",
                             req->param);
        return;
    }
    snprintf(resp->etag, sizeof(resp->etag), "\"%llu\"", (unsigned long long)n->revision);
    const char *inm =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    size_t len;
    const char *cached = ls_node_json(n, &len);
    json_t *tel = ls_telemetry_node_json(req->ctx->telemetry, n->id, NULL, 0, 0);
    json_t *anomaly =
        req->ctx->colours ? ls_colours_anomaly(req->ctx->colours, n->id, false) : NULL;
    if (tel || anomaly) {
        /* live metrics and colours change between versions: add their summary (no recent
         * points) to a copy of the cached rendering; without them it is served as cached */
        struct ls_buf b;
        ls_buf_init(&b, 0);
        int rc = ls_buf_append(&b, cached, len - 1); /* drop the closing brace */
        if (tel) {
            const char *k;
            json_t *v;
            json_object_foreach(tel, k, v) json_object_del(v, "recent");
            rc = rc ? rc : h_buf_member(&b, "telemetry", tel);
        }
        rc = rc ? rc : anomaly ? h_buf_member(&b, "anomaly", anomaly) : LS_OK;
        rc = rc ? rc : ls_buf_puts(&b, "}");
        LS_ASSERT(rc == LS_OK);
        json_decref(tel);
        json_decref(anomaly);
        size_t n2 = b.len;
        ls_resp_text_take(resp, 200, ls_buf_take(&b), n2, "application/json");
        resp->etag[0] = '\0';
        return;
    }
    resp->status = inm && strcmp(inm, resp->etag) == 0 ? 304 : 200;
    resp->body = (char *)cached;
    resp->len = resp->status == 304 ? 0 : len;
    resp->borrowed = true;
    resp->ctype = "application/json";
}

/* Renders the node as it is now (after a write) with the given status. */
static void respond_node(struct ls_req *req, struct ls_resp *resp, unsigned status, const char *id)
{
    req->snap = ls_graph_snap(req->ctx->graph);
    const struct ls_node *n = ls_snap_node(req->snap, id);
    if (n == NULL) { /* deleted concurrently */
        ls_resp_error_status(resp, 404, "node_not_found", "node '%.200s' does not exist", id);
        return;
    }
    resp->status = status;
    resp->body = (char *)ls_node_json(n, &resp->len);
    resp->borrowed = true;
    resp->ctype = "application/json";
    snprintf(resp->etag, sizeof(resp->etag), "\"%llu\"", (unsigned long long)n->revision);
}

static void set_location(struct ls_resp *resp, const char *id)
{
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc = ls_buf_puts(&b, "/v1/nodes/");
    rc = rc ? rc : ls_buf_urlencode(&b, id);
    LS_ASSERT(rc == LS_OK);
    resp->location = ls_buf_take(&b);
}

/* Reads a node body: `id` (create only), `type`, `name`, `state`, `attrs`. */
static int node_body(struct ls_req *req,
                     json_t *body,
                     bool with_id,
                     const char **id,
                     const char **type,
                     const char **name,
                     const char **state,
                     json_t **attrs,
                     struct ls_err *err)
{
    static const char *const with[] = {"id", "type", "name", "state", "attrs", NULL};
    int rc = h_only(body, with, err);
    if (rc == LS_OK && !with_id) {
        const char *bid;
        rc = h_str(body, "id", &bid, err);
        if (rc == LS_OK && bid && strcmp(bid, *id) != 0)
            rc = ls_err_set(err, LS_EINVAL, "id_mismatch", "id: '%.64s' differs from the URL", bid);
    }
    if (rc == LS_OK && with_id) {
        rc = h_str(body, "id", id, err);
        if (rc == LS_OK && *id == NULL)
            rc = ls_err_set(err, LS_EINVAL, "missing_field", "id: required");
    }
    rc = rc ? rc : h_str(body, "type", type, err);
    if (rc == LS_OK && *type == NULL)
        rc = ls_err_set(err, LS_EINVAL, "missing_field", "type: required");
    rc = rc ? rc : h_str(body, "name", name, err);
    rc = rc ? rc : h_str(body, "state", state, err);
    rc = rc ? rc : h_attrs(req, body, attrs, err);
    if (rc == LS_OK && *attrs) {
        const char *k;
        json_t *v;
        json_object_foreach(*attrs, k, v)
        {
            if (json_is_null(v))
                return ls_err_set(err, LS_EINVAL, "invalid_field",
                                  "attrs.%.64s: null is only meaningful in a PATCH", k);
        }
    }
    return rc;
}

/* Create (POST) and replace (PUT) share everything but where the id comes from. */
static void put_node(struct ls_req *req, struct ls_resp *resp, bool create)
{
    struct ls_err err;
    json_t *body = NULL;
    const char *id = create ? NULL : req->param, *type, *name, *state;
    json_t *attrs;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err) ||
        node_body(req, body, create, &id, &type, &name, &state, &attrs, &err)) {
        json_decref(body);
        ERR_OUT(resp, err);
    }
    if ((long)strlen(id) > req->ctx->cfg->max_string_bytes) {
        json_decref(body);
        ls_resp_error_status(resp, 422, "string_too_long", "id: longer than %ld bytes",
                             req->ctx->cfg->max_string_bytes);
        return;
    }
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    bool existed = ls_snap_node(s, id) != NULL;
    ls_snap_release(s);
    char *idc = ls_xstrdup(id);
    struct ls_change_set *cs = ls_change_set_new("api");
    int rc = ls_change_put_node_new(cs, id, type, name, state, json_incref(attrs), "manual", &err);
    if (rc == LS_OK && create)
        ls_change_set_at(cs, 0)->if_absent = true;
    json_decref(body);
    uint64_t rev;
    rc = rc ? (ls_change_set_free(cs), rc) : h_apply(req, cs, &rev, &err);
    if (rc != LS_OK) {
        free(idc);
        ERR_OUT(resp, err);
    }
    if (create || !existed)
        set_location(resp, idc);
    respond_node(req, resp, create || !existed ? 201 : 200, idc);
    free(idc);
}

void ls_h_node_create(struct ls_req *req, struct ls_resp *resp)
{
    put_node(req, resp, true);
}

void ls_h_node_put(struct ls_req *req, struct ls_resp *resp)
{
    put_node(req, resp, false);
}

void ls_h_node_patch(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const allowed[] = {"name", "state", "attrs", NULL};
    struct ls_err err;
    json_t *body = NULL, *attrs;
    const char *name, *state;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err) || h_only(body, allowed, &err) ||
        h_str(body, "name", &name, &err) || h_str(body, "state", &state, &err) ||
        h_attrs(req, body, &attrs, &err)) {
        json_decref(body);
        ERR_OUT(resp, err);
    }
    struct ls_change_set *cs = ls_change_set_new("api");
    int rc = ls_change_patch_node_new(cs, req->param, name, state, json_incref(attrs), &err);
    json_decref(body);
    uint64_t rev;
    rc = rc ? (ls_change_set_free(cs), rc) : h_apply(req, cs, &rev, &err);
    if (rc != LS_OK)
        ERR_OUT(resp, err);
    respond_node(req, resp, 200, req->param);
}

void ls_h_node_delete(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err))
        ERR_OUT(resp, err);
    if (!h_node_exists_or_404(req, resp, req->param))
        return;
    struct ls_change_set *cs = ls_change_set_new("api");
    ls_change_del_node(cs, req->param);
    uint64_t rev;
    if (h_apply(req, cs, &rev, &err))
        ERR_OUT(resp, err);
    ls_resp_text_take(resp, 204, NULL, 0, "application/json");
}

/* Parses direction and edge_type. */
static int walk_params(struct ls_req *req, enum ls_direction *dir, int *type, struct ls_err *err)
{
    const char *d = ls_req_query(req, "direction");
    *dir = LS_DIR_BOTH;
    if (d && strcmp(d, "out") == 0)
        *dir = LS_DIR_OUT;
    else if (d && strcmp(d, "in") == 0)
        *dir = LS_DIR_IN;
    else if (d && strcmp(d, "both") != 0)
        return ls_err_set(err, LS_EINVAL, "invalid_parameter",
                          "direction: expected in, out or both");
    const char *t = ls_req_query(req, "edge_type");
    enum ls_edge_type et;
    *type = -1;
    if (t) {
        if (!ls_edge_type_parse(t, &et))
            return ls_err_set(err, LS_EINVAL, "invalid_edge_type",
                              "edge_type: '%.32s' is not an edge type", t);
        *type = (int)et;
    }
    return LS_OK;
}

void ls_h_node_subgraph(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"depth",     "direction", "edge_type",
                                         "max_nodes", "at",        NULL};
    const struct ls_config *cfg = req->ctx->cfg;
    struct ls_err err;
    long depth, max_nodes;
    enum ls_direction dir;
    int type;
    bool has_at;
    int64_t at;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_long(req, "depth", 2, 0, cfg->max_subgraph_depth, &depth, &err) ||
        ls_req_long(req, "max_nodes", cfg->max_subgraph_nodes, 1, cfg->max_subgraph_nodes,
                    &max_nodes, &err) ||
        walk_params(req, &dir, &type, &err) || ls_req_time(req, "at", &has_at, &at, &err))
        ERR_OUT(resp, err);
    json_t *root = json_string(req->param);
    char *root_txt = json_dumps(root, JSON_ENCODE_ANY);
    json_decref(root);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc;
    if (has_at) {
        json_t *nodes, *edges;
        bool trunc;
        rc = ls_store_subgraph_at(req->ctx->store, req->param, (int)depth, dir, type,
                                  (size_t)max_nodes, at, &nodes, &edges, &trunc, &err);
        if (rc != LS_OK) {
            free(root_txt);
            ERR_OUT(resp, err);
        }
        json_t *o = json_pack("{s:s,s:o,s:o,s:b,s:s}", "root", req->param, "nodes", nodes, "edges",
                              edges, "truncated", trunc, "at", ls_req_query(req, "at"));
        free(root_txt);
        ls_resp_json_new(resp, 200, o);
        return;
    }
    req->snap = ls_graph_snap(req->ctx->graph);
    struct ls_subgraph sg;
    rc = ls_snap_subgraph(req->snap, req->param, (int)depth, dir, type, (size_t)max_nodes, &sg,
                          &err);
    if (rc != LS_OK) {
        free(root_txt);
        ERR_OUT(resp, err);
    }
    rc = ls_buf_printf(&b, "{\"root\":%s,", root_txt);
    free(root_txt);
    rc = rc ? rc : h_list_nodes(&b, "nodes", sg.nodes, sg.n_nodes);
    rc = rc ? rc : ls_buf_puts(&b, ",");
    rc = rc ? rc : h_list_edges(&b, "edges", sg.edges, sg.n_edges);
    rc = rc ? rc
            : ls_buf_printf(&b, ",\"truncated\":%s,\"revision\":%llu}",
                            sg.truncated ? "true" : "false",
                            (unsigned long long)ls_snap_revision(req->snap));
    LS_ASSERT(rc == LS_OK);
    ls_subgraph_cleanup(&sg);
    size_t len = b.len;
    ls_resp_text_take(resp, 200, ls_buf_take(&b), len, "application/json");
}

void ls_h_node_history(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"limit", NULL};
    struct ls_err err;
    long limit;
    if (ls_req_check_params(req, params, false, &err) ||
        ls_req_long(req, "limit", req->ctx->cfg->history_limit, 1, req->ctx->cfg->history_limit,
                    &limit, &err))
        ERR_OUT(resp, err);
    json_t *h;
    if (ls_store_node_history(req->ctx->store, req->param, (size_t)limit, &h, &err))
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, h);
}
