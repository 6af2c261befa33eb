/* Shared by the handlers: applying a change set, rendering lists of cached JSON, and parsing
 * the fields of node and edge bodies with the configured bounds. */
#ifndef LS_SERVER_HANDLERS_COMMON_H
#define LS_SERVER_HANDLERS_COMMON_H

#include "server/request.h"

/** Renders err as the response and returns from the handler. */
#define ERR_OUT(resp, err)                                                                         \
    do {                                                                                           \
        ls_resp_error(resp, &(err));                                                               \
        return;                                                                                    \
    } while (0)

/** Applies cs through the store (persist, then publish); frees cs. */
LS_MUST_CHECK int
h_apply(struct ls_req *req, struct ls_change_set *cs, uint64_t *rev, struct ls_err *err);

/** Appends `"key":[` + the items' JSON texts + `]`. */
LS_MUST_CHECK int
h_list_nodes(struct ls_buf *b, const char *key, const struct ls_node *const *n, size_t count);
struct ls_colours;
/** h_list_nodes with each node's "anomaly" member (server/colours.h) when colours is not NULL. */
LS_MUST_CHECK int h_list_nodes_with(struct ls_buf *b,
                                    const char *key,
                                    const struct ls_node *const *n,
                                    size_t count,
                                    struct ls_colours *colours);
/** Appends `,"key":` + v's compact JSON text. */
LS_MUST_CHECK int h_buf_member(struct ls_buf *b, const char *key, const json_t *v);
LS_MUST_CHECK int
h_list_edges(struct ls_buf *b, const char *key, const struct ls_edge *const *e, size_t count);
/** True when node id exists in the live graph; otherwise sets a 404 node_not_found response
 *  and returns false. */
bool h_node_exists_or_404(struct ls_req *req, struct ls_resp *resp, const char *id);

/** Appends `{"<key>":<arr>,"at":"<at>"` and the next link of a page read from the history;
 *  steals arr (whose items carry "id"). */
LS_MUST_CHECK int
h_history_page(struct ls_buf *b, struct ls_req *req, const char *key, json_t *arr, bool more);

/** Appends `,"next":"<link>"` when more, using the marker. */
LS_MUST_CHECK int h_next(struct ls_buf *b, struct ls_req *req, bool more, const char *marker);

/** The body's string field, NULL when absent; LS_EINVAL naming the field when not a string. */
LS_MUST_CHECK int h_str(json_t *body, const char *key, const char **out, struct ls_err *err);
/** Checks body has only the keys in allowed (NULL-terminated): 400 unknown_field. */
LS_MUST_CHECK int h_only(json_t *body, const char *const *allowed, struct ls_err *err);
/** The body's attrs (borrowed), NULL when absent; checks object and key count. With
 *  allow_null, JSON null values inside are kept (patch: null removes a key). */
LS_MUST_CHECK int h_attrs(struct ls_req *req, json_t *body, json_t **out, struct ls_err *err);

/** Parses the layer/type/state/name/source/attr.* query filters into f (values borrowed from
 *  the request; attrs array owned by the caller, at most 16). */
LS_MUST_CHECK int h_node_filter(struct ls_req *req,
                                struct ls_node_filter *f,
                                struct ls_attr_match *attrs,
                                struct ls_err *err);

/** `limit` within the configured bounds. */
LS_MUST_CHECK int h_limit(struct ls_req *req, size_t *out, struct ls_err *err);

/** Parses "src|type|dst" (the edge key) in place; pointers into key. */
LS_MUST_CHECK int h_edge_key(
    char *key, const char **src, enum ls_edge_type *type, const char **dst, struct ls_err *err);

#endif
