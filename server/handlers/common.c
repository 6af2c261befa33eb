/* Helpers shared by the handlers. */
#include "server/handlers/common.h"

#include <stdlib.h>
#include <string.h>

#include "server/colours.h"

int h_apply(struct ls_req *req, struct ls_change_set *cs, uint64_t *rev, struct ls_err *err)
{
    int rc = ls_store_apply(req->ctx->store, req->ctx->graph, cs, rev, err);
    ls_change_set_free(cs);
    return rc;
}

int h_buf_member(struct ls_buf *b, const char *key, const json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!t)
        ls_json_oom();
    int rc = ls_buf_printf(b, ",\"%s\":%s", key, t);
    free(t);
    return rc;
}

int h_list_nodes_with(struct ls_buf *b,
                      const char *key,
                      const struct ls_node *const *n,
                      size_t count,
                      struct ls_colours *colours)
{
    int rc = ls_buf_printf(b, "\"%s\":[", key);
    for (size_t i = 0; i < count && rc == LS_OK; i++) {
        size_t len;
        const char *j = ls_node_json(n[i], &len);
        rc = i ? ls_buf_puts(b, ",") : LS_OK;
        if (!colours) {
            rc = rc ? rc : ls_buf_append(b, j, len);
            continue;
        }
        json_t *a = ls_colours_anomaly(colours, n[i]->id, true);
        rc = rc ? rc : ls_buf_append(b, j, len - 1); /* without its closing brace */
        rc = rc ? rc : h_buf_member(b, "anomaly", a);
        rc = rc ? rc : ls_buf_puts(b, "}");
        json_decref(a);
    }
    return rc ? rc : ls_buf_puts(b, "]");
}

int h_list_nodes(struct ls_buf *b, const char *key, const struct ls_node *const *n, size_t count)
{
    return h_list_nodes_with(b, key, n, count, NULL);
}

int h_list_edges(struct ls_buf *b, const char *key, const struct ls_edge *const *e, size_t count)
{
    int rc = ls_buf_printf(b, "\"%s\":[", key);
    for (size_t i = 0; i < count && rc == LS_OK; i++) {
        size_t len;
        const char *j = ls_edge_json(e[i], &len);
        rc = i ? ls_buf_puts(b, ",") : LS_OK;
        rc = rc ? rc : ls_buf_append(b, j, len);
    }
    return rc ? rc : ls_buf_puts(b, "]");
}

int h_next(struct ls_buf *b, struct ls_req *req, bool more, const char *marker)
{
    if (!more || marker == NULL)
        return LS_OK;
    char *link = ls_req_next_link(req, marker);
    json_t *s = json_string(link);
    free(link);
    char *txt = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    int rc = ls_buf_printf(b, ",\"next\":%s", txt ? txt : "null");
    free(txt);
    return rc;
}

int h_str(json_t *body, const char *key, const char **out, struct ls_err *err)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (v == NULL)
        return LS_OK;
    if (!json_is_string(v))
        return ls_err_set(err, LS_EINVAL, "invalid_field", "%s: expected a string", key);
    *out = json_string_value(v);
    return LS_OK;
}

int h_only(json_t *body, const char *const *allowed, struct ls_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k) == 0;
        if (!ok)
            return ls_err_set(err, LS_EINVAL, "unknown_field", "%.64s: unknown field", k);
    }
    return LS_OK;
}

int h_attrs(struct ls_req *req, json_t *body, json_t **out, struct ls_err *err)
{
    json_t *v = json_object_get(body, "attrs");
    *out = NULL;
    if (v == NULL)
        return LS_OK;
    if (!json_is_object(v))
        return ls_err_set(err, LS_EINVAL, "invalid_field", "attrs: expected an object");
    if ((long)json_object_size(v) > req->ctx->cfg->max_attrs)
        return ls_err_set(err, LS_ELIMIT, "too_many_attrs", "attrs: more than %ld keys",
                          req->ctx->cfg->max_attrs);
    *out = v;
    return LS_OK;
}

struct attr_collect {
    struct ls_attr_match *attrs;
    size_t n;
    bool overflow;
};

static enum MHD_Result
collect_attr(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct attr_collect *a = cls;
    if (strncmp(key, "attr.", 5) != 0)
        return MHD_YES;
    if (a->n == 16) {
        a->overflow = true;
        return MHD_NO;
    }
    a->attrs[a->n].key = key + 5;
    a->attrs[a->n].value = value ? value : "";
    a->n++;
    return MHD_YES;
}

int h_node_filter(struct ls_req *req,
                  struct ls_node_filter *f,
                  struct ls_attr_match *attrs,
                  struct ls_err *err)
{
    memset(f, 0, sizeof(*f));
    f->layer = -1;
    f->type = ls_req_query(req, "type");
    f->state = ls_req_query(req, "state");
    f->name = ls_req_query(req, "name");
    f->source = ls_req_query(req, "source");
    const char *layer = ls_req_query(req, "layer");
    enum ls_layer l;
    if (layer) {
        if (!ls_layer_parse(layer, &l))
            return ls_err_set(err, LS_EINVAL, "invalid_parameter",
                              "layer: expected physical, virtual or service");
        f->layer = (int)l;
    }
    if (f->type && !ls_type_layer(f->type, &l))
        return ls_err_set(err, LS_EINVAL, "unknown_type", "type: '%.64s' is not a node type",
                          f->type);
    struct attr_collect a = {attrs, 0, false};
    ls_req_args_each(req, collect_attr, &a);
    if (a.overflow)
        return ls_err_set(err, LS_ELIMIT, "too_many_filters", "at most 16 attr.* filters");
    f->attrs = attrs;
    f->n_attrs = a.n;
    return LS_OK;
}

int h_limit(struct ls_req *req, size_t *out, struct ls_err *err)
{
    long v;
    int rc = ls_req_long(req, "limit", req->ctx->cfg->default_page_size, 1,
                         req->ctx->cfg->max_page_size, &v, err);
    *out = (size_t)v;
    return rc;
}

int h_edge_key(
    char *key, const char **src, enum ls_edge_type *type, const char **dst, struct ls_err *err)
{
    char *a = strchr(key, '|');
    char *b = a ? strchr(a + 1, '|') : NULL;
    if (b == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_edge_key", "edge key must be src|type|dst");
    *a = '\0';
    *b = '\0';
    if (!ls_edge_type_parse(a + 1, type))
        return ls_err_set(err, LS_EINVAL, "invalid_edge_type", "'%.32s' is not an edge type",
                          a + 1);
    *src = key;
    *dst = b + 1;
    return LS_OK;
}

bool h_node_exists_or_404(struct ls_req *req, struct ls_resp *resp, const char *id)
{
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    bool exists = ls_snap_node(s, id) != NULL;
    ls_snap_release(s);
    if (!exists)
        ls_resp_error_status(resp, 404, "node_not_found", "node '%.200s' does not exist", id);
    return exists;
}

int h_history_page(struct ls_buf *b, struct ls_req *req, const char *key, json_t *arr, bool more)
{
    const char *last =
        json_string_value(json_object_get(json_array_get(arr, json_array_size(arr) - 1), "id"));
    char *txt = json_dumps(arr, JSON_COMPACT);
    int rc = ls_buf_printf(b, "{\"%s\":%s,\"at\":\"%s\"", key, txt, ls_req_query(req, "at"));
    free(txt);
    rc = rc ? rc : h_next(b, req, more, last);
    json_decref(arr);
    return rc;
}
