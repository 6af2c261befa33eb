/* History queries: the graph as of a time, one entity's versions, diffs and the change log.
 * Results use the same JSON shapes as the live graph (ls_node_to_json / ls_edge_to_json), so a
 * client cannot tell where an answer came from except by the added validity fields.
 * Every filter value is a parameter; SQL text is only ever assembled from our own fragments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "sql/store_impl.h"

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"
#define NODE_COLS                                                                                  \
    "id, layer, type, name, state, attrs::text, source, " US("created_at") ", " US(                \
        "valid_from") ", rev_from, " US("valid_to") ", rev_to"
#define EDGE_COLS                                                                                  \
    "src, type, dst, attrs::text, esource, owner, weight, " US("created_at") ", " US(              \
        "valid_from") ", rev_from, " US("valid_to") ", rev_to"
#define ALIVE_AT(p)                                                                                \
    "valid_from <= " p "::timestamptz AND (valid_to IS NULL OR valid_to > " p "::timestamptz)"

/* Adds valid_from / valid_to (null while current) to a version's JSON. */
static void add_validity(json_t *o, const PGresult *r, int row, int from_col, int to_col)
{
    char ts[40];
    json_object_set_new(
        o, "valid_from",
        json_string(ls_time_format_rfc3339(ls_pg_int(r, row, from_col), ts, sizeof(ts))));
    json_object_set_new(
        o, "valid_to",
        PQgetisnull(r, row, to_col)
            ? json_null()
            : json_string(ls_time_format_rfc3339(ls_pg_int(r, row, to_col), ts, sizeof(ts))));
}

/* JSON of the node version in row (NODE_COLS starting at col). New reference. */
static json_t *node_row(const PGresult *r, int row, int col, bool validity)
{
    enum ls_layer layer = LS_LAYER_PHYSICAL;
    ls_layer_parse(PQgetvalue(r, row, col + 1), &layer);
    json_t *attrs = json_loads(PQgetvalue(r, row, col + 5), JSON_ALLOW_NUL, NULL);
    const char *type = PQgetvalue(r, row, col + 2);
    enum ls_layer reg;
    struct ls_node *n =
        ls_node_new(PQgetvalue(r, row, col), ls_type_layer(type, &reg) ? type : "service", layer,
                    PQgetvalue(r, row, col + 3), PQgetvalue(r, row, col + 4), attrs,
                    PQgetvalue(r, row, col + 6));
    json_decref(attrs);
    n->created_at = ls_pg_int(r, row, col + 7);
    n->updated_at = ls_pg_int(r, row, col + 8);
    n->revision = (uint64_t)ls_pg_int(r, row, col + 9);
    json_t *o = ls_node_to_json(n);
    ls_node_free(n);
    if (validity)
        add_validity(o, r, row, col + 8, col + 10);
    return o;
}

static json_t *edge_row(const PGresult *r, int row, int col, bool validity)
{
    enum ls_edge_type type = LS_EDGE_USES;
    enum ls_edge_source es = LS_ESRC_IMPORTED;
    ls_edge_type_parse(PQgetvalue(r, row, col + 1), &type);
    ls_edge_source_parse(PQgetvalue(r, row, col + 4), &es);
    json_t *attrs = json_loads(PQgetvalue(r, row, col + 3), JSON_ALLOW_NUL, NULL);
    struct ls_edge *e =
        ls_edge_new(PQgetvalue(r, row, col), PQgetvalue(r, row, col + 2), type, attrs, es,
                    PQgetvalue(r, row, col + 5), strtod(PQgetvalue(r, row, col + 6), NULL));
    json_decref(attrs);
    e->created_at = ls_pg_int(r, row, col + 7);
    e->updated_at = ls_pg_int(r, row, col + 8);
    e->revision = (uint64_t)ls_pg_int(r, row, col + 9);
    json_t *o = ls_edge_to_json(e);
    ls_edge_free(e);
    if (validity)
        add_validity(o, r, row, col + 8, col + 10);
    return o;
}

int store_query(struct ls_store *s,
                PGresult **out,
                const char *sql,
                int n,
                const char *const *params,
                struct ls_err *err)
{
    int slot;
    int rc = store_reader_get(s, &slot, err);
    if (rc != LS_OK)
        return rc;
    rc = ls_pg_exec(s->readers[slot], out, sql, n, params, err);
    store_reader_put(s, slot);
    return rc;
}

int ls_store_node_at(
    struct ls_store *s, const char *id, int64_t at, json_t **out, struct ls_err *err)
{
    char ts[40];
    const char *params[] = {id, ls_time_format_rfc3339(at, ts, sizeof(ts))};
    PGresult *r = NULL;
    int rc = store_query(s, &r,
                         "SELECT " NODE_COLS " FROM node_version WHERE id = $1 AND " ALIVE_AT("$2"),
                         2, params, err);
    if (rc == LS_OK && PQntuples(r) == 0)
        rc = ls_err_set(err, LS_ENOTFOUND, "node_not_found", "node '%.200s' did not exist at %s",
                        id, ts);
    if (rc == LS_OK)
        *out = node_row(r, 0, 0, false);
    PQclear(r);
    return rc;
}

/* Query text + parameters built together; values always go to params. */
struct q {
    struct ls_buf sql;
    const char *params[32];
    char nums[4][32];
    int n;
};

static void q_init(struct q *q, const char *head)
{
    ls_buf_init(&q->sql, 0);
    q->n = 0;
    LS_ASSERT(ls_buf_puts(&q->sql, head) == LS_OK);
}

/* Appends fmt, in which "$?" stands for the next parameter (value v). */
static void q_add(struct q *q, const char *fragment, const char *v)
{
    LS_ASSERT(q->n < 32);
    q->params[q->n++] = v;
    for (const char *p = fragment; *p; p++) {
        if (p[0] == '$' && p[1] == '?') {
            LS_ASSERT(ls_buf_printf(&q->sql, "$%d", q->n) == LS_OK);
            p++;
        } else {
            LS_ASSERT(ls_buf_append(&q->sql, p, 1) == LS_OK);
        }
    }
}

static const char *q_num(struct q *q, int i, long long v)
{
    snprintf(q->nums[i], sizeof(q->nums[i]), "%lld", v);
    return q->nums[i];
}

/* Runs a list query built with q (which asked for limit + 1 rows) and renders up to limit
 * rows with row(); *more when the extra row came back. Frees q. */
static int page(struct ls_store *s,
                struct q *q,
                size_t limit,
                json_t *(*row)(const PGresult *, int, int, bool),
                json_t **out,
                bool *more,
                struct ls_err *err)
{
    PGresult *r = NULL;
    int rc = store_query(s, &r, q->sql.data, q->n, q->params, err);
    ls_buf_cleanup(&q->sql);
    if (rc != LS_OK)
        return rc;
    json_t *arr = json_array();
    int rows = PQntuples(r);
    for (int i = 0; i < rows && (size_t)i < limit; i++)
        json_array_append_new(arr, row(r, i, 0, false));
    *more = (size_t)rows > limit;
    PQclear(r);
    *out = arr;
    return LS_OK;
}

/* Adds f's conditions on the node_version columns of alias `t` ("" = unqualified). */
static void q_node_filter(struct q *q, const struct ls_node_filter *f, const char *t)
{
    char frag[96];
#define COND(col) (snprintf(frag, sizeof(frag), " AND %s" col " = $?", t), frag)
    if (f && f->type)
        q_add(q, COND("type"), f->type);
    if (f && f->layer >= 0)
        q_add(q, COND("layer"), ls_layer_name((enum ls_layer)f->layer));
    if (f && f->state)
        q_add(q, COND("state"), f->state);
    if (f && f->name)
        q_add(q, COND("name"), f->name);
    if (f && f->source)
        q_add(q, COND("source"), f->source);
#undef COND
    for (size_t i = 0; f && i < f->n_attrs && q->n < 28; i++) {
        snprintf(frag, sizeof(frag), " AND %sattrs->>$?", t);
        q_add(q, frag, f->attrs[i].key);
        q_add(q, " = $?", f->attrs[i].value);
    }
}

int ls_store_nodes_at(struct ls_store *s,
                      const struct ls_node_filter *f,
                      int64_t at,
                      const char *after,
                      size_t limit,
                      json_t **out,
                      bool *more,
                      struct ls_err *err)
{
    char ts[40];
    struct q q;
    q_init(&q, "SELECT " NODE_COLS " FROM node_version WHERE ");
    q_add(&q, ALIVE_AT("$?"), ls_time_format_rfc3339(at, ts, sizeof(ts)));
    q_node_filter(&q, f, "");
    if (after)
        q_add(&q, " AND id > $?", after);
    q_add(&q, " ORDER BY id LIMIT $?", q_num(&q, 0, (long long)limit + 1));
    return page(s, &q, limit, node_row, out, more, err);
}

/* A Postgres text[] literal of the "id" fields of nodes: each quoted, " and \ escaped. */
static void ids_literal(struct ls_buf *b, json_t *nodes)
{
    size_t i;
    json_t *v;
    LS_ASSERT(ls_buf_puts(b, "{") == LS_OK);
    json_array_foreach(nodes, i, v)
    {
        LS_ASSERT(ls_buf_puts(b, i ? ",\"" : "\"") == LS_OK);
        for (const char *p = json_string_value(json_object_get(v, "id")); p && *p; p++) {
            if (*p == '"' || *p == '\\')
                LS_ASSERT(ls_buf_puts(b, "\\") == LS_OK);
            LS_ASSERT(ls_buf_append(b, p, 1) == LS_OK);
        }
        LS_ASSERT(ls_buf_puts(b, "\"") == LS_OK);
    }
    LS_ASSERT(ls_buf_puts(b, "}") == LS_OK);
}

int ls_store_out_edges_at(struct ls_store *s,
                          json_t *nodes,
                          const struct ls_node_filter *f,
                          int64_t at,
                          size_t limit,
                          json_t **out,
                          bool *more,
                          struct ls_err *err)
{
    char ts[40];
    struct ls_buf ids;
    ls_buf_init(&ids, 0);
    ids_literal(&ids, nodes);
    struct q q;
    q_init(&q, "SELECT " EDGE_COLS " FROM edge_version WHERE ");
    q_add(&q, ALIVE_AT("$?"), ls_time_format_rfc3339(at, ts, sizeof(ts)));
    q_add(&q, " AND src = ANY($?::text[])", ids.data);
    /* the other end must be in the picture too (alive at `at` and matching f) */
    q_add(&q,
          " AND EXISTS (SELECT 1 FROM node_version d WHERE d.id = edge_version.dst AND "
          "d.valid_from <= $?::timestamptz",
          ts);
    q_add(&q, " AND (d.valid_to IS NULL OR d.valid_to > $?::timestamptz)", ts);
    q_node_filter(&q, f, "d.");
    q_add(&q, ") ORDER BY src, type, dst LIMIT $?", q_num(&q, 0, (long long)limit + 1));
    int rc = page(s, &q, limit, edge_row, out, more, err);
    ls_buf_cleanup(&ids);
    return rc;
}

int ls_store_edges_at(struct ls_store *s,
                      const struct ls_edge_filter *f,
                      int64_t at,
                      const char *after,
                      size_t limit,
                      json_t **out,
                      bool *more,
                      struct ls_err *err)
{
    char ts[40];
    struct q q;
    q_init(&q, "SELECT " EDGE_COLS " FROM edge_version WHERE ");
    q_add(&q, ALIVE_AT("$?"), ls_time_format_rfc3339(at, ts, sizeof(ts)));
    if (f && f->src)
        q_add(&q, " AND src = $?", f->src);
    if (f && f->dst)
        q_add(&q, " AND dst = $?", f->dst);
    if (f && f->type >= 0)
        q_add(&q, " AND type = $?", ls_edge_type_name((enum ls_edge_type)f->type));
    if (after)
        q_add(&q, " AND src || '|' || type || '|' || dst > $?", after);
    q_add(&q, " ORDER BY src || '|' || type || '|' || dst LIMIT $?",
          q_num(&q, 0, (long long)limit + 1));
    return page(s, &q, limit, edge_row, out, more, err);
}

int ls_store_subgraph_at(struct ls_store *s,
                         const char *root,
                         int depth,
                         enum ls_direction dir,
                         int type,
                         size_t max_nodes,
                         int64_t at,
                         json_t **out_nodes,
                         json_t **out_edges,
                         bool *truncated,
                         struct ls_err *err)
{
    json_t *root_json;
    int rc = ls_store_node_at(s, root, at, &root_json, err);
    if (rc != LS_OK)
        return rc;
    json_decref(root_json);
    char ts[40], d[16], lim[32];
    snprintf(d, sizeof(d), "%d", depth);
    snprintf(lim, sizeof(lim), "%zu", max_nodes + 1);
    const char *params[] = {root,
                            ls_time_format_rfc3339(at, ts, sizeof(ts)),
                            d,
                            type >= 0 ? ls_edge_type_name((enum ls_edge_type)type) : NULL,
                            (dir & LS_DIR_OUT) ? "t" : "f",
                            (dir & LS_DIR_IN) ? "t" : "f",
                            lim};
    /* walk: breadth-first over the edges alive at $2, each node at its smallest depth */
    static const char walk[] =
        "WITH RECURSIVE e AS ("
        "  SELECT src, type, dst FROM edge_version WHERE " ALIVE_AT(
            "$2") " AND ($4::text IS NULL OR type = $4)"
                  "), walk(id, depth) AS ("
                  "  SELECT $1::text, 0"
                  "  UNION"
                  "  SELECT CASE WHEN $5::bool AND e.src = w.id THEN e.dst ELSE e.src END, w.depth "
                  "+ 1"
                  "  FROM walk w JOIN e ON (($5::bool AND e.src = w.id) OR ($6::bool AND e.dst = "
                  "w.id))"
                  "  WHERE w.depth < $3::int"
                  "), reached AS (SELECT id, min(depth) AS depth FROM walk GROUP BY id"
                  "  ORDER BY 2, 1 LIMIT $7::int) "
                  "SELECT n.depth, " NODE_COLS " FROM reached n JOIN node_version v USING (id) "
                  "WHERE " ALIVE_AT("$2") " ORDER BY n.depth, v.id";
    PGresult *r = NULL;
    rc = store_query(s, &r, walk, 7, params, err);
    if (rc != LS_OK)
        return rc;
    json_t *nodes = json_array();
    int rows = PQntuples(r);
    *truncated = (size_t)rows > max_nodes;
    for (int i = 0; i < rows && (size_t)i < max_nodes; i++)
        json_array_append_new(nodes, node_row(r, i, 1, false));
    PQclear(r);
    struct ls_buf ids; /* array literal of the reached ids */
    ls_buf_init(&ids, 0);
    ids_literal(&ids, nodes);
    const char *eparams[] = {ids.data, ts, params[3]};
    rc = store_query(s, &r,
                     "SELECT " EDGE_COLS " FROM edge_version WHERE " ALIVE_AT(
                         "$2") " AND src = ANY($1::text[]) AND dst = ANY($1::text[])"
                               " AND ($3::text IS NULL OR type = $3) ORDER BY src, type, dst",
                     3, eparams, err);
    ls_buf_cleanup(&ids);
    if (rc != LS_OK) {
        json_decref(nodes);
        return rc;
    }
    json_t *edges = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(edges, edge_row(r, i, 0, false));
    PQclear(r);
    *out_nodes = nodes;
    *out_edges = edges;
    return LS_OK;
}

int ls_store_node_history(
    struct ls_store *s, const char *id, size_t limit, json_t **out, struct ls_err *err)
{
    char lim[32];
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *params[] = {id, lim};
    PGresult *r = NULL;
    int rc = store_query(s, &r,
                         "SELECT " NODE_COLS " FROM node_version WHERE id = $1 "
                         "ORDER BY valid_from, rev_from LIMIT $2::int",
                         2, params, err);
    if (rc != LS_OK)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return ls_err_set(err, LS_ENOTFOUND, "node_not_found", "node '%.200s' never existed", id);
    }
    json_t *versions = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(versions, node_row(r, i, 0, true));
    PQclear(r);
    rc = store_query(s, &r,
                     "SELECT " EDGE_COLS " FROM edge_version WHERE src = $1 OR dst = $1 "
                     "ORDER BY valid_from, rev_from LIMIT $2::int",
                     2, params, err);
    if (rc != LS_OK) {
        json_decref(versions);
        return rc;
    }
    json_t *edges = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(edges, edge_row(r, i, 0, true));
    PQclear(r);
    *out = json_pack("{s:s,s:o,s:o}", "id", id, "versions", versions, "edges", edges);
    return LS_OK;
}

/* Appends the rows of one diff category to obj[key]. */
static int diff_part(struct ls_store *s,
                     const char *sql,
                     const char *const *params,
                     json_t *obj,
                     const char *key,
                     bool edges,
                     bool pair,
                     struct ls_err *err)
{
    PGresult *r = NULL;
    int rc = store_query(s, &r, sql, 3, params, err);
    if (rc != LS_OK)
        return rc;
    json_t *arr = json_array();
    int width = edges ? 12 : 12;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *a = edges ? edge_row(r, i, 0, false) : node_row(r, i, 0, false);
        if (pair)
            json_array_append_new(
                arr, json_pack("{s:o,s:o}", "before", a, "after", node_row(r, i, width, false)));
        else
            json_array_append_new(arr, a);
    }
    PQclear(r);
    json_object_set_new(obj, key, arr);
    return LS_OK;
}

int ls_store_diff(
    struct ls_store *s, int64_t from, int64_t to, size_t limit, json_t **out, struct ls_err *err)
{
    char a[40], b[40], lim[32];
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *params[] = {ls_time_format_rfc3339(from, a, sizeof(a)),
                            ls_time_format_rfc3339(to, b, sizeof(b)), lim};
#define NODES_AT(p) "(SELECT * FROM node_version WHERE " ALIVE_AT(p) ")"
#define EDGES_AT(p) "(SELECT * FROM edge_version WHERE " ALIVE_AT(p) ")"
    json_t *o = json_object();
    int rc = diff_part(s,
                       "SELECT " NODE_COLS " FROM " NODES_AT(
                           "$2") " b WHERE NOT EXISTS "
                                 "(SELECT 1 FROM " NODES_AT("$1") " a WHERE a.id = b.id) "
                                                                  "ORDER BY id LIMIT $3::int",
                       params, o, "added", false, false, err);
    if (rc == LS_OK)
        rc = diff_part(s,
                       "SELECT " NODE_COLS " FROM " NODES_AT(
                           "$1") " a WHERE NOT EXISTS "
                                 "(SELECT 1 FROM " NODES_AT("$2") " b WHERE a.id = b.id) "
                                                                  "ORDER BY id LIMIT $3::int",
                       params, o, "removed", false, false, err);
    if (rc == LS_OK)
        rc = diff_part(
            s,
            "SELECT a.id, a.layer, a.type, a.name, a.state, a.attrs::text, "
            "a.source, " US("a.created_at") ", " US("a.valid_from") ", a.rev_from, " US(
                "a.valid_to") ", a.rev_to, "
                              "b.id, b.layer, b.type, b.name, b.state, b.attrs::text, "
                              "b.source, " US("b.created_at") ", " US(
                                  "b.valid_from") ", b.rev_from, " US("b.valid_to") ", "
                                                                                    "b."
                                                                                    "rev"
                                                                                    "_to"
                                                                                    " FR"
                                                                                    "OM"
                                                                                    " " NODES_AT(
                                                                                        "$"
                                                                                        "1") " a "
                                                                                             "JOIN"
                                                                                             " " NODES_AT(
                                                                                                 "$"
                                                                                                 "2") " b "
                                                                                                      "ON "
                                                                                                      "a."
                                                                                                      "id "
                                                                                                      "= "
                                                                                                      "b."
                                                                                                      "id "
                                                                                                      "AND "
                                                                                                      "a."
                                                                                                      "rev_"
                                                                                                      "from"
                                                                                                      " <> "
                                                                                                      "b."
                                                                                                      "rev_"
                                                                                                      "from"
                                                                                                      " "
                                                                                                      "ORDE"
                                                                                                      "R "
                                                                                                      "BY "
                                                                                                      "a."
                                                                                                      "id "
                                                                                                      "LIMI"
                                                                                                      "T "
                                                                                                      "$3::"
                                                                                                      "int",
            params, o, "changed", false, true, err);
    if (rc == LS_OK)
        rc = diff_part(
            s,
            "SELECT " EDGE_COLS " FROM " EDGES_AT(
                "$2") " b WHERE NOT EXISTS "
                      "(SELECT 1 FROM " EDGES_AT(
                          "$1") " a WHERE a.src = b.src AND "
                                "a.type = b.type AND a.dst = b.dst) ORDER BY src, type, dst "
                                "LIMIT $3::int",
            params, o, "edges_added", true, false, err);
    if (rc == LS_OK)
        rc = diff_part(
            s,
            "SELECT " EDGE_COLS " FROM " EDGES_AT(
                "$1") " a WHERE NOT EXISTS "
                      "(SELECT 1 FROM " EDGES_AT(
                          "$2") " b WHERE a.src = b.src AND "
                                "a.type = b.type AND a.dst = b.dst) ORDER BY src, type, dst "
                                "LIMIT $3::int",
            params, o, "edges_removed", true, false, err);
    if (rc != LS_OK) {
        json_decref(o);
        return rc;
    }
    json_object_set_new(o, "from", json_string(a));
    json_object_set_new(o, "to", json_string(b));
    *out = o;
    return LS_OK;
}

/* The operations of the revisions in CTE `l`: a revision's operations are the versions it
 * opened and closed; a node or edge closed and reopened in the same revision was updated (one
 * put). Ranked in publish order: node puts, edge puts, edge deletions, node deletions. */
#define OPS_OF_L                                                                                   \
    "ops AS ("                                                                                     \
    "  SELECT v.rev_from AS revision, 0 AS rank, 'put' AS op, 'node' AS kind, v.id AS key,"        \
    "    v.type, v.layer FROM node_version v WHERE v.rev_from IN (SELECT revision FROM l)"         \
    "  UNION ALL SELECT v.rev_from, 1, 'put', 'edge', v.src || '|' || v.type || '|' || v.dst,"     \
    "    v.type, NULL FROM edge_version v WHERE v.rev_from IN (SELECT revision FROM l)"            \
    "  UNION ALL SELECT v.rev_to, 2, 'delete', 'edge', v.src || '|' || v.type || '|' || v.dst,"    \
    "    v.type, NULL FROM edge_version v WHERE v.rev_to IN (SELECT revision FROM l)"              \
    "    AND NOT EXISTS (SELECT 1 FROM edge_version w WHERE w.src = v.src AND w.type = v.type"     \
    "      AND w.dst = v.dst AND w.rev_from = v.rev_to)"                                           \
    "  UNION ALL SELECT v.rev_to, 3, 'delete', 'node', v.id, v.type, v.layer"                      \
    "    FROM node_version v WHERE v.rev_to IN (SELECT revision FROM l)"                           \
    "    AND NOT EXISTS (SELECT 1 FROM node_version w WHERE w.id = v.id"                           \
    "      AND w.rev_from = v.rev_to)) "

int ls_store_changes_since(
    struct ls_store *s, uint64_t since, size_t limit, json_t **out, struct ls_err *err)
{
    char sn[32], lim[32];
    snprintf(sn, sizeof(sn), "%llu", (unsigned long long)since);
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *params[] = {sn, lim};
    PGresult *r = NULL;
    static const char sql[] =
        "WITH l AS (SELECT revision, event_time, committed_at, origin FROM change_log"
        "  WHERE revision > $1::bigint ORDER BY revision LIMIT $2::int), " OPS_OF_L
        "SELECT l.revision, " US("l.event_time") ", " US(
            "l.committed_at") ", l.origin,"
                              "  (SELECT json_agg(json_build_object('op', o.op, 'kind', o.kind, "
                              "'id', o.key,"
                              "    'type', o.type, 'layer', o.layer) ORDER BY o.rank, o.key) FROM "
                              "ops o"
                              "   WHERE o.revision = l.revision)::text "
                              "FROM l ORDER BY l.revision";
    int rc = store_query(s, &r, sql, 2, params, err);
    if (rc != LS_OK)
        return rc;
    json_t *arr = json_array();
    char t1[40], t2[40];
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *ops = json_loads(PQgetvalue(r, i, 4), 0, NULL);
        json_array_append_new(
            arr,
            json_pack("{s:I,s:s,s:s,s:s,s:o}", "revision", (json_int_t)ls_pg_int(r, i, 0), "time",
                      ls_time_format_rfc3339(ls_pg_int(r, i, 1), t1, sizeof(t1)), "committed_at",
                      ls_time_format_rfc3339(ls_pg_int(r, i, 2), t2, sizeof(t2)), "origin",
                      PQgetvalue(r, i, 3), "ops", ops ? ops : json_array()));
    }
    PQclear(r);
    *out = arr;
    return LS_OK;
}

void ls_change_cursor_cleanup(struct ls_change_cursor *c)
{
    free(c->key);
    c->key = NULL;
}

int ls_store_change_ops(struct ls_store *s,
                        const struct ls_change_cursor *cur,
                        size_t limit,
                        json_t **out,
                        bool *more,
                        uint64_t *end,
                        bool *log_end,
                        struct ls_err *err)
{
    char rev[32], rank[16], lim[32];
    snprintf(rev, sizeof(rev), "%llu", (unsigned long long)cur->revision);
    snprintf(rank, sizeof(rank), "%d", cur->rank);
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *params[] = {rev, rank, cur->key ? cur->key : "", lim};
    /* at most `limit` revisions are looked at (each has an operation), so a page costs the same
     * however long the log is; ordered by (revision, rank, key), resuming after the cursor.
     * The last row is the highest revision looked at, with no operation (rank 4): the cursor
     * moves past revisions without operations for this page too. */
    static const char sql[] =
        "WITH l AS (SELECT revision, event_time FROM change_log"
        "  WHERE revision >= $1::bigint ORDER BY revision LIMIT $4::int), " OPS_OF_L
        "SELECT * FROM (SELECT o.revision, " US(
            "l.event_time") ", o.rank, o.op, o.kind, o.key,"
                            "    o.type, o.layer FROM ops o JOIN l USING (revision)"
                            "  WHERE (o.revision, o.rank, o.key) > ($1::bigint, $2::int, $3::text)"
                            "  ORDER BY o.revision, o.rank, o.key LIMIT $4::int) p "
                            "UNION ALL SELECT max(revision), count(*), 4, NULL, NULL, NULL, NULL, "
                            "NULL FROM l "
                            "ORDER BY 1, 3, 6";
    PGresult *r = NULL;
    int rc = store_query(s, &r, sql, 4, params, err);
    if (rc != LS_OK)
        return rc;
    json_t *arr = json_array();
    int rows = PQntuples(r);
    char t[40];
    *more = rows - 1 >= (int)limit; /* a full page: there may be more */
    *end = cur->revision;
    *log_end = true;
    for (int i = 0; i < rows; i++) {
        if (ls_pg_int(r, i, 2) == 4) { /* the end marker: the highest revision looked at */
            if (!PQgetisnull(r, i, 0))
                *end = (uint64_t)ls_pg_int(r, i, 0);
            *log_end = (size_t)ls_pg_int(r, i, 1) < limit;
            continue;
        }
        uint64_t rv = (uint64_t)ls_pg_int(r, i, 0);
        json_array_append_new(
            arr,
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:s?}", "revision", (json_int_t)rv, "time",
                      ls_time_format_rfc3339(ls_pg_int(r, i, 1), t, sizeof(t)), "op",
                      PQgetvalue(r, i, 3), "kind", PQgetvalue(r, i, 4), "id", PQgetvalue(r, i, 5),
                      "type", PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6), "layer",
                      PQgetisnull(r, i, 7) ? NULL : PQgetvalue(r, i, 7)));
    }
    PQclear(r);
    *out = arr;
    return LS_OK;
}

void ls_change_cursor_advance(struct ls_change_cursor *c, json_t *op)
{
    c->revision = (uint64_t)json_integer_value(json_object_get(op, "revision"));
    const char *o = json_string_value(json_object_get(op, "op"));
    const char *k = json_string_value(json_object_get(op, "kind"));
    bool put = o && strcmp(o, "put") == 0, node = k && strcmp(k, "node") == 0;
    c->rank = put ? (node ? 0 : 1) : (node ? 3 : 2);
    free(c->key);
    c->key = ls_xstrdup(json_string_value(json_object_get(op, "id")));
}
