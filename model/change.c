/* Change sets: a growable array of requested changes plus the set's origin, time and
 * replace scope. Validation of what can be checked without the graph happens here; the rest
 * (ends exist, patches hit something) happens in ls_graph_prepare. */
#include "model/change.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ls_change_set {
    char *origin;
    char *scope;
    char *kept[LS_CHANGE_KEPT_MAX]; /* sweep exclusions (id prefixes) */
    int n_kept;
    int64_t time_us;
    bool replace;
    struct ls_change *items;
    size_t n, cap;
};

struct ls_change_set *ls_change_set_new(const char *origin)
{
    struct ls_change_set *cs = ls_xcalloc(1, sizeof(*cs));
    cs->origin = ls_xstrdup(origin ? origin : "");
    return cs;
}

static void change_cleanup(struct ls_change *c)
{
    free(c->id);
    free(c->type);
    free(c->name);
    free(c->state);
    free(c->source);
    free(c->owner);
    free(c->src);
    free(c->dst);
    json_decref(c->attrs);
}

void ls_change_set_free(struct ls_change_set *cs)
{
    if (cs == NULL)
        return;
    for (size_t i = 0; i < cs->n; i++)
        change_cleanup(&cs->items[i]);
    free(cs->items);
    free(cs->origin);
    free(cs->scope);
    for (int i = 0; i < cs->n_kept; i++)
        free(cs->kept[i]);
    free(cs);
}

void ls_change_set_set_time(struct ls_change_set *cs, int64_t t_us)
{
    cs->time_us = t_us;
}

int64_t ls_change_set_time(const struct ls_change_set *cs)
{
    return cs->time_us;
}

const char *ls_change_set_origin(const struct ls_change_set *cs)
{
    return cs->origin;
}

void ls_change_set_set_replace(struct ls_change_set *cs, bool replace)
{
    cs->replace = replace;
}

bool ls_change_set_replace(const struct ls_change_set *cs)
{
    return cs->replace;
}

void ls_change_set_set_scope(struct ls_change_set *cs, const char *id_prefix)
{
    free(cs->scope);
    cs->scope = id_prefix ? ls_xstrdup(id_prefix) : NULL;
}

const char *ls_change_set_scope(const struct ls_change_set *cs)
{
    return cs->scope;
}

int ls_change_set_keep(struct ls_change_set *cs, const char *id_prefix, struct ls_err *err)
{
    if (cs->n_kept == LS_CHANGE_KEPT_MAX)
        return ls_err_set(err, LS_ELIMIT, NULL, "more than %d kept prefixes", LS_CHANGE_KEPT_MAX);
    cs->kept[cs->n_kept++] = ls_xstrdup(id_prefix);
    return LS_OK;
}

bool ls_change_set_kept(const struct ls_change_set *cs, const char *id)
{
    for (int i = 0; i < cs->n_kept; i++)
        if (strncmp(id, cs->kept[i], strlen(cs->kept[i])) == 0)
            return true;
    return false;
}

size_t ls_change_set_count(const struct ls_change_set *cs)
{
    return cs->n;
}

struct ls_change *ls_change_set_at(struct ls_change_set *cs, size_t i)
{
    return i < cs->n ? &cs->items[i] : NULL;
}

static struct ls_change *push(struct ls_change_set *cs, enum ls_change_kind kind)
{
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? cs->cap * 2 : 16;
        cs->items = ls_xrealloc(cs->items, cs->cap * sizeof(*cs->items));
    }
    struct ls_change *c = &cs->items[cs->n++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->weight = NAN;
    return c;
}

void ls_change_set_move(struct ls_change_set *dst, struct ls_change_set *src, size_t i)
{
    LS_ASSERT(i < src->n);
    struct ls_change *c = push(dst, src->items[i].kind);
    *c = src->items[i];
    memset(&src->items[i], 0, sizeof(src->items[i])); /* owns nothing now */
}

static char *dup_or_null(const char *s)
{
    return s ? ls_xstrdup(s) : NULL;
}

/* Checks an id-like string: non-empty, no control characters. */
static int check_key(const char *what, const char *s, struct ls_err *err)
{
    if (s == NULL || s[0] == '\0')
        return ls_err_set(err, LS_EINVAL, "invalid_field", "%s: must not be empty", what);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return ls_err_set(err, LS_EINVAL, "invalid_field",
                              "%s: control characters are not allowed", what);
    return LS_OK;
}

static int check_attrs(json_t *attrs, struct ls_err *err)
{
    if (attrs != NULL && !json_is_object(attrs))
        return ls_err_set(err, LS_EINVAL, "invalid_field", "attrs: expected an object");
    return LS_OK;
}

int ls_change_put_node_new(struct ls_change_set *cs,
                           const char *id,
                           const char *type,
                           const char *name,
                           const char *state,
                           json_t *attrs,
                           const char *source,
                           struct ls_err *err)
{
    enum ls_layer layer;
    int rc = check_key("id", id, err);
    if (rc == LS_OK)
        rc = check_attrs(attrs, err);
    if (rc == LS_OK && (type == NULL || !ls_type_layer(type, &layer)))
        rc = ls_err_set(err, LS_EINVAL, "unknown_type",
                        "type: '%.64s' is not a registered node type", type ? type : "");
    if (rc != LS_OK) {
        json_decref(attrs);
        return rc;
    }
    struct ls_change *c = push(cs, LS_CH_NODE_PUT);
    c->id = ls_xstrdup(id);
    c->type = ls_xstrdup(type);
    c->name = ls_xstrdup(name ? name : "");
    c->state = ls_xstrdup(state ? state : "");
    c->attrs = attrs;
    c->source = dup_or_null(source);
    return LS_OK;
}

int ls_change_patch_node_new(struct ls_change_set *cs,
                             const char *id,
                             const char *name,
                             const char *state,
                             json_t *attrs,
                             struct ls_err *err)
{
    int rc = check_key("id", id, err);
    if (rc == LS_OK)
        rc = check_attrs(attrs, err);
    if (rc != LS_OK) {
        json_decref(attrs);
        return rc;
    }
    struct ls_change *c = push(cs, LS_CH_NODE_PATCH);
    c->id = ls_xstrdup(id);
    c->name = dup_or_null(name);
    c->state = dup_or_null(state);
    c->attrs = attrs;
    return LS_OK;
}

void ls_change_del_node(struct ls_change_set *cs, const char *id)
{
    struct ls_change *c = push(cs, LS_CH_NODE_DEL);
    c->id = ls_xstrdup(id);
}

static int edge_common(struct ls_change_set *cs,
                       enum ls_change_kind kind,
                       const char *src,
                       enum ls_edge_type type,
                       const char *dst,
                       json_t *attrs,
                       struct ls_err *err,
                       struct ls_change **out)
{
    int rc = check_key("src", src, err);
    if (rc == LS_OK)
        rc = check_key("dst", dst, err);
    if (rc == LS_OK && (unsigned)type >= LS_EDGE_TYPE_COUNT)
        rc = ls_err_set(err, LS_EINVAL, "invalid_field", "type: unknown edge type");
    if (rc == LS_OK)
        rc = check_attrs(attrs, err);
    if (rc != LS_OK) {
        json_decref(attrs);
        return rc;
    }
    struct ls_change *c = push(cs, kind);
    c->src = ls_xstrdup(src);
    c->dst = ls_xstrdup(dst);
    c->etype = type;
    c->attrs = attrs;
    *out = c;
    return LS_OK;
}

int ls_change_put_edge_new(struct ls_change_set *cs,
                           const char *src,
                           enum ls_edge_type type,
                           const char *dst,
                           json_t *attrs,
                           enum ls_edge_source esource,
                           double weight,
                           struct ls_err *err)
{
    struct ls_change *c;
    if (isnan(weight))
        weight = 1.0;
    if (!isfinite(weight)) {
        json_decref(attrs);
        return ls_err_set(err, LS_EINVAL, "invalid_field", "weight: must be a finite number");
    }
    int rc = edge_common(cs, LS_CH_EDGE_PUT, src, type, dst, attrs, err, &c);
    if (rc != LS_OK)
        return rc;
    c->esource = esource;
    c->weight = weight;
    return LS_OK;
}

int ls_change_patch_edge_new(struct ls_change_set *cs,
                             const char *src,
                             enum ls_edge_type type,
                             const char *dst,
                             json_t *attrs,
                             double weight,
                             struct ls_err *err)
{
    struct ls_change *c;
    if (isinf(weight)) {
        json_decref(attrs);
        return ls_err_set(err, LS_EINVAL, "invalid_field", "weight: must be a finite number");
    }
    int rc = edge_common(cs, LS_CH_EDGE_PATCH, src, type, dst, attrs, err, &c);
    if (rc != LS_OK)
        return rc;
    c->weight = weight;
    return LS_OK;
}

void ls_change_del_edge(struct ls_change_set *cs,
                        const char *src,
                        enum ls_edge_type type,
                        const char *dst)
{
    struct ls_change *c = push(cs, LS_CH_EDGE_DEL);
    c->src = ls_xstrdup(src);
    c->dst = ls_xstrdup(dst);
    c->etype = type;
}
