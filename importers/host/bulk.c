/* Bulk gear files -> one manual change set, validated item by item (see bulk.h). */
#include "importers/host/bulk.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/map.h"
#include "common/yaml_json.h"
#include "model/types.h"

#define ORIGIN "manual"

int ls_host_bulk_format(const char *content_type, enum ls_bulk_format *out, struct ls_err *err)
{
    static const struct {
        const char *type;
        enum ls_bulk_format fmt;
    } kinds[] = {{"application/json", LS_BULK_JSON},
                 {"application/yaml", LS_BULK_YAML},
                 {"application/x-yaml", LS_BULK_YAML},
                 {"text/yaml", LS_BULK_YAML}};
    const char *ct = content_type ? content_type : "";
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (n == strlen(kinds[i].type) && strncasecmp(ct, kinds[i].type, n) == 0) {
            *out = kinds[i].fmt;
            return LS_OK;
        }
    return ls_err_set(err, LS_EINVAL, "unsupported_media_type",
                      "content-type '%.64s': expected application/json or application/yaml", ct);
}

int ls_host_bulk_parse(
    json_t **out, const char *body, size_t len, enum ls_bulk_format fmt, struct ls_err *err)
{
    *out = NULL;
    if (len > LS_BULK_MAX_BYTES)
        return ls_err_set(err, LS_ELIMIT, "body_too_large", "bulk file: %zu bytes, more than %u",
                          len, LS_BULK_MAX_BYTES);
    if (fmt == LS_BULK_YAML)
        return ls_yaml_to_json(out, body, len, err);
    json_error_t je;
    *out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (*out == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_json", "line %d: %s", je.line, je.text);
    return LS_OK;
}

/* "nodes[3] (line 14)" or "nodes[3]" into where. */
static void item_name(char *where, size_t cap, const char *list, size_t i, const json_t *item)
{
    json_t *line = json_object_get(item, LS_YAML_LINE_KEY);
    if (json_is_integer(line))
        snprintf(where, cap, "%s[%zu] (line %lld)", list, i, (long long)json_integer_value(line));
    else
        snprintf(where, cap, "%s[%zu]", list, i);
}

/* Optional string member: NULL when absent; LS_EINVAL when present and not a string. */
static int member_str(const json_t *item,
                      const char *where,
                      const char *key,
                      bool required,
                      const char **out,
                      struct ls_err *err)
{
    json_t *v = json_object_get(item, key);
    *out = json_string_value(v);
    if ((v == NULL || json_is_null(v)) && !required)
        return LS_OK;
    if (*out == NULL || (*out)[0] == '\0' || strlen(*out) > 1024)
        return ls_err_set(err, LS_EINVAL, "invalid_item",
                          "%s: %s: expected a string of 1 to 1024 characters", where, key);
    return LS_OK;
}

/* Checks item has only known members. */
static int
known_members(const json_t *item, const char *where, const char *const *allowed, struct ls_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)item, key, v)
    {
        bool ok = strcmp(key, LS_YAML_LINE_KEY) == 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(key, *a) == 0;
        if (!ok)
            return ls_err_set(err, LS_EINVAL, "invalid_item", "%s: unknown member '%.64s'", where,
                              key);
    }
    return LS_OK;
}

/* attrs: absent / null = {}; must be an object. A new reference (copy) or NULL. */
static int item_attrs(const json_t *item, const char *where, json_t **out, struct ls_err *err)
{
    json_t *a = json_object_get(item, "attrs");
    *out = NULL;
    if (a == NULL || json_is_null(a))
        return LS_OK;
    if (!json_is_object(a))
        return ls_err_set(err, LS_EINVAL, "invalid_item", "%s: attrs: expected an object", where);
    *out = json_deep_copy(a);
    if (*out == NULL)
        ls_json_oom();
    return LS_OK;
}

static int add_node(struct ls_change_set *cs,
                    const json_t *item,
                    const char *where,
                    const struct ls_snap *snap,
                    struct ls_map *ids,
                    struct ls_err *err)
{
    static const char *const allowed[] = {"id", "type", "name", "state", "attrs", NULL};
    const char *id, *type, *name, *state;
    enum ls_layer layer;
    char genid[2100];
    if (!json_is_object(item))
        return ls_err_set(err, LS_EINVAL, "invalid_item", "%s: expected an object", where);
    int rc = known_members(item, where, allowed, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "type", true, &type, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "id", false, &id, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "name", id == NULL, &name, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "state", false, &state, err);
    if (rc != LS_OK)
        return rc;
    if (!ls_type_layer(type, &layer))
        return ls_err_set(err, LS_EINVAL, "unknown_type",
                          "%s: type '%.64s' is not a registered node type", where, type);
    if (id == NULL) {
        snprintf(genid, sizeof(genid), "manual:%s:%s", type, name);
        id = genid;
    }
    if (ls_map_get(ids, id) != NULL)
        return ls_err_set(err, LS_EINVAL, "duplicate_item", "%s: node '%.200s' appears twice",
                          where, id);
    const struct ls_node *cur = snap ? ls_snap_node(snap, id) : NULL;
    if (cur != NULL && strcmp(cur->source, ORIGIN) != 0)
        return ls_err_set(err, LS_ECONFLICT, "not_manual",
                          "%s: node '%.200s' belongs to %.100s; a bulk file may link to it but "
                          "not replace it",
                          where, id, cur->source);
    json_t *attrs;
    rc = item_attrs(item, where, &attrs, err);
    if (rc != LS_OK)
        return rc;
    rc = ls_change_put_node_new(cs, id, type, name ? name : id, state ? state : "", attrs, ORIGIN,
                                err);
    if (rc != LS_OK)
        return ls_err_wrap(err, "%s", where);
    ls_map_put(ids, id, (void *)1);
    return LS_OK;
}

static int add_edge(struct ls_change_set *cs,
                    const json_t *item,
                    const char *where,
                    const struct ls_snap *snap,
                    const struct ls_map *ids,
                    struct ls_err *err)
{
    static const char *const allowed[] = {"src", "dst", "type", "attrs", "weight", NULL};
    const char *src, *dst, *type;
    if (!json_is_object(item))
        return ls_err_set(err, LS_EINVAL, "invalid_item", "%s: expected an object", where);
    int rc = known_members(item, where, allowed, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "src", true, &src, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "dst", true, &dst, err);
    if (rc == LS_OK)
        rc = member_str(item, where, "type", true, &type, err);
    if (rc != LS_OK)
        return rc;
    enum ls_edge_type et;
    if (!ls_edge_type_parse(type, &et))
        return ls_err_set(err, LS_EINVAL, "unknown_type",
                          "%s: type '%.64s' is not an edge type (contains, runs_on, attached_to, "
                          "connected_to, member_of, uses, depends_on)",
                          where, type);
    const char *ends[2][2] = {{"src", src}, {"dst", dst}};
    for (int k = 0; k < 2; k++)
        if (ls_map_get(ids, ends[k][1]) == NULL &&
            (snap == NULL || ls_snap_node(snap, ends[k][1]) == NULL))
            return ls_err_set(err, LS_EINVAL, "dangling_edge",
                              "%s: %s '%.200s' names no node in the file or the graph", where,
                              ends[k][0], ends[k][1]);
    json_t *w = json_object_get(item, "weight");
    double weight = 1.0;
    if (w != NULL && !json_is_null(w)) {
        if (!json_is_number(w) || !isfinite(json_number_value(w)))
            return ls_err_set(err, LS_EINVAL, "invalid_item", "%s: weight: expected a number",
                              where);
        weight = json_number_value(w);
    }
    json_t *attrs;
    rc = item_attrs(item, where, &attrs, err);
    if (rc != LS_OK)
        return rc;
    rc = ls_change_put_edge_new(cs, src, et, dst, attrs, LS_ESRC_MANUAL, weight, err);
    if (rc != LS_OK)
        return ls_err_wrap(err, "%s", where);
    return LS_OK;
}

/* The list doc[key]: absent = empty; else an array within the item bound. */
static int list_of(const json_t *doc, const char *key, const json_t **out, struct ls_err *err)
{
    *out = json_object_get(doc, key);
    if (*out == NULL || json_is_null(*out)) {
        *out = NULL;
        return LS_OK;
    }
    if (!json_is_array(*out))
        return ls_err_set(err, LS_EINVAL, "invalid_item", "%s: expected a list", key);
    if (json_array_size(*out) > LS_BULK_MAX_ITEMS)
        return ls_err_set(err, LS_ELIMIT, "too_many_items", "%s: more than %d items", key,
                          LS_BULK_MAX_ITEMS);
    return LS_OK;
}

int ls_host_bulk_build(struct ls_change_set *cs,
                       const json_t *doc,
                       const struct ls_snap *snap,
                       size_t *n_nodes,
                       size_t *n_edges,
                       struct ls_err *err)
{
    static const char *const top[] = {"nodes", "edges", NULL};
    const json_t *nodes, *edges;
    struct ls_map ids;
    ls_map_init(&ids);
    int rc = LS_OK;
    if (!json_is_object(doc)) {
        rc = ls_err_set(err, LS_EINVAL, "invalid_item",
                        "bulk file: expected a mapping with 'nodes' and 'edges'");
        goto out;
    }
    rc = known_members(doc, "bulk file", top, err);
    if (rc == LS_OK)
        rc = list_of(doc, "nodes", &nodes, err);
    if (rc == LS_OK)
        rc = list_of(doc, "edges", &edges, err);
    char where[64];
    for (size_t i = 0; rc == LS_OK && i < json_array_size(nodes); i++) {
        const json_t *item = json_array_get(nodes, i);
        item_name(where, sizeof(where), "nodes", i, item);
        rc = add_node(cs, item, where, snap, &ids, err);
    }
    for (size_t i = 0; rc == LS_OK && i < json_array_size(edges); i++) {
        const json_t *item = json_array_get(edges, i);
        item_name(where, sizeof(where), "edges", i, item);
        rc = add_edge(cs, item, where, snap, &ids, err);
    }
    if (rc == LS_OK && n_nodes != NULL)
        *n_nodes = json_array_size(nodes);
    if (rc == LS_OK && n_edges != NULL)
        *n_edges = json_array_size(edges);
out:
    ls_map_cleanup(&ids);
    return rc;
}
