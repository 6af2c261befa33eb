/* sql/store against a real private Postgres: persistence, restart, failures, time travel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "sql/store.h"
#include "tests/support/pg_harness.h"

#define T1 1700000000000000LL /* 2023-11-14T22:13:20Z */
#define T2 (T1 + 3600000000LL)
#define T3 (T2 + 3600000000LL)

struct fx {
    struct ls_store *store;
    struct ls_graph *g;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->store = ls_harness_new_store();
    f->g = ls_graph_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ls_graph_free(f->g);
    ls_store_close(f->store);
    free(f);
    return 0;
}

static void apply_ok(struct fx *f, struct ls_change_set *cs)
{
    struct ls_err err;
    uint64_t rev;
    int rc = ls_store_apply(f->store, f->g, cs, &rev, &err);
    if (rc != LS_OK)
        fail_msg("apply: %s", err.msg);
    ls_change_set_free(cs);
}

/* At T1 a machine m, a vm on it and a port; at T2 the vm is renamed and stopped, the port
 * leaves; at T3 the vm is deleted. */
static void build_history(struct fx *f)
{
    struct ls_change_set *cs = ls_change_set_new("test");
    ls_change_set_set_time(cs, T1);
    assert_int_equal(ls_change_put_node_new(cs, "m", "machine", "m", "up",
                                            json_pack("{s:s}", "rack", "r1"), NULL, NULL),
                     LS_OK);
    assert_int_equal(ls_change_put_node_new(cs, "vm", "instance", "web-1", "ACTIVE",
                                            json_pack("{s:i}", "vcpus", 2), NULL, NULL),
                     LS_OK);
    assert_int_equal(ls_change_put_node_new(cs, "p", "port", "tap1", "ACTIVE", NULL, NULL, NULL),
                     LS_OK);
    assert_int_equal(
        ls_change_put_edge_new(cs, "vm", LS_EDGE_RUNS_ON, "m", NULL, LS_ESRC_IMPORTED, 1, NULL),
        LS_OK);
    assert_int_equal(
        ls_change_put_edge_new(cs, "p", LS_EDGE_ATTACHED_TO, "vm", NULL, LS_ESRC_IMPORTED, 1, NULL),
        LS_OK);
    apply_ok(f, cs);
    cs = ls_change_set_new("test");
    ls_change_set_set_time(cs, T2);
    assert_int_equal(ls_change_patch_node_new(cs, "vm", "web-1b", "SHUTOFF", NULL, NULL), LS_OK);
    ls_change_del_node(cs, "p");
    apply_ok(f, cs);
    cs = ls_change_set_new("test");
    ls_change_set_set_time(cs, T3);
    ls_change_del_node(cs, "vm");
    apply_ok(f, cs);
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "(missing)";
}

static void test_time_travel_answers_each_point_exactly(void **state)
{
    struct fx *f = *state;
    build_history(f);
    struct ls_err err;
    json_t *n;
    assert_int_equal(ls_store_node_at(f->store, "vm", T1 + 1, &n, &err), LS_OK);
    assert_string_equal(jstr(n, "name"), "web-1");
    assert_string_equal(jstr(n, "state"), "ACTIVE");
    assert_int_equal(json_integer_value(json_object_get(n, "revision")), 1);
    json_decref(n);
    assert_int_equal(ls_store_node_at(f->store, "vm", T2, &n, &err), LS_OK);
    assert_string_equal(jstr(n, "name"), "web-1b");
    assert_string_equal(jstr(n, "created_at"), "2023-11-14T22:13:20Z");
    assert_string_equal(jstr(n, "updated_at"), "2023-11-14T23:13:20Z");
    json_decref(n);
    assert_int_equal(ls_store_node_at(f->store, "vm", T3, &n, &err), LS_ENOTFOUND);
    assert_int_equal(ls_store_node_at(f->store, "vm", T1 - 1, &n, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "node_not_found");

    /* lists */
    json_t *arr;
    bool more;
    struct ls_node_filter all = {.layer = -1};
    assert_int_equal(ls_store_nodes_at(f->store, &all, T1, NULL, 10, &arr, &more, &err), LS_OK);
    assert_int_equal(json_array_size(arr), 3);
    assert_string_equal(jstr(json_array_get(arr, 0), "id"), "m");
    assert_string_equal(jstr(json_array_get(arr, 1), "id"), "p");
    json_decref(arr);
    assert_int_equal(ls_store_nodes_at(f->store, &all, T2, NULL, 1, &arr, &more, &err), LS_OK);
    assert_int_equal(json_array_size(arr), 1);
    assert_true(more);
    json_decref(arr);
    assert_int_equal(ls_store_nodes_at(f->store, &all, T2, "m", 10, &arr, &more, &err), LS_OK);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(jstr(json_array_get(arr, 0), "id"), "vm");
    assert_false(more);
    json_decref(arr);
    struct ls_attr_match m[] = {{"rack", "r1"}};
    struct ls_node_filter byattr = {.layer = -1, .attrs = m, .n_attrs = 1};
    assert_int_equal(ls_store_nodes_at(f->store, &byattr, T3, NULL, 10, &arr, &more, &err), LS_OK);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
    struct ls_edge_filter ef = {.type = -1};
    assert_int_equal(ls_store_edges_at(f->store, &ef, T1, NULL, 10, &arr, &more, &err), LS_OK);
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(jstr(json_array_get(arr, 0), "id"), "p|attached_to|vm");
    json_decref(arr);
    assert_int_equal(ls_store_edges_at(f->store, &ef, T2, NULL, 10, &arr, &more, &err), LS_OK);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);

    /* subgraph through the recursive CTE */
    json_t *nodes, *edges;
    bool trunc;
    assert_int_equal(ls_store_subgraph_at(f->store, "m", 2, LS_DIR_IN, -1, 100, T1, &nodes, &edges,
                                          &trunc, &err),
                     LS_OK);
    assert_int_equal(json_array_size(nodes), 3);
    assert_string_equal(jstr(json_array_get(nodes, 0), "id"), "m");
    assert_string_equal(jstr(json_array_get(nodes, 1), "id"), "vm");
    assert_string_equal(jstr(json_array_get(nodes, 2), "id"), "p");
    assert_int_equal(json_array_size(edges), 2);
    assert_false(trunc);
    json_decref(nodes);
    json_decref(edges);
    assert_int_equal(ls_store_subgraph_at(f->store, "m", 2, LS_DIR_IN, -1, 100, T2, &nodes, &edges,
                                          &trunc, &err),
                     LS_OK);
    assert_int_equal(json_array_size(nodes), 2);
    json_decref(nodes);
    json_decref(edges);

    /* history of the vm: three versions' worth of rows (created, changed, deleted) */
    json_t *h;
    assert_int_equal(ls_store_node_history(f->store, "vm", 100, &h, &err), LS_OK);
    json_t *versions = json_object_get(h, "versions");
    assert_int_equal(json_array_size(versions), 2);
    assert_string_equal(jstr(json_array_get(versions, 0), "valid_from"), "2023-11-14T22:13:20Z");
    assert_string_equal(jstr(json_array_get(versions, 0), "valid_to"), "2023-11-14T23:13:20Z");
    assert_string_equal(jstr(json_array_get(versions, 1), "valid_to"), "2023-11-15T00:13:20Z");
    assert_int_equal(json_array_size(json_object_get(h, "edges")), 2);
    json_decref(h);
    assert_int_equal(ls_store_node_history(f->store, "ghost", 100, &h, &err), LS_ENOTFOUND);

    /* diff T1 -> T3 */
    json_t *d;
    assert_int_equal(ls_store_diff(f->store, T1, T3, 100, &d, &err), LS_OK);
    assert_int_equal(json_array_size(json_object_get(d, "added")), 0);
    json_t *removed = json_object_get(d, "removed");
    assert_int_equal(json_array_size(removed), 2);
    assert_string_equal(jstr(json_array_get(removed, 0), "id"), "p");
    assert_string_equal(jstr(json_array_get(removed, 1), "id"), "vm");
    assert_int_equal(json_array_size(json_object_get(d, "edges_removed")), 2);
    json_decref(d);
    assert_int_equal(ls_store_diff(f->store, T1, T2, 100, &d, &err), LS_OK);
    json_t *changed = json_object_get(d, "changed");
    assert_int_equal(json_array_size(changed), 1);
    assert_string_equal(jstr(json_object_get(json_array_get(changed, 0), "before"), "name"),
                        "web-1");
    assert_string_equal(jstr(json_object_get(json_array_get(changed, 0), "after"), "name"),
                        "web-1b");
    json_decref(d);
}

static void test_changes_since_lists_exact_ops(void **state)
{
    struct fx *f = *state;
    build_history(f);
    json_t *c;
    struct ls_err err;
    assert_int_equal(ls_store_changes_since(f->store, 1, 100, &c, &err), LS_OK);
    assert_int_equal(json_array_size(c), 2);
    json_t *first = json_array_get(c, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "revision")), 2);
    assert_string_equal(jstr(first, "origin"), "test");
    assert_string_equal(jstr(first, "time"), "2023-11-14T23:13:20Z");
    json_t *ops = json_object_get(first, "ops");
    /* vm patched, port's edge deleted, port deleted */
    assert_int_equal(json_array_size(ops), 3);
    assert_string_equal(jstr(json_array_get(ops, 0), "op"), "put");
    assert_string_equal(jstr(json_array_get(ops, 0), "id"), "vm");
    assert_string_equal(jstr(json_array_get(ops, 1), "id"), "p|attached_to|vm");
    assert_string_equal(jstr(json_array_get(ops, 1), "kind"), "edge");
    assert_string_equal(jstr(json_array_get(ops, 2), "op"), "delete");
    json_decref(c);
}

static void test_restart_keeps_nodes_edges_and_history(void **state)
{
    struct fx *f = *state;
    build_history(f);
    struct ls_change_set *cs = ls_change_set_new("api");
    const char *evil = "'; DROP TABLE node_version;--\t\\n\n\"x\"";
    /* attrs with every escape COPY and JSON need, numbers of each kind, nesting, and a NUL */
    json_t *attrs = json_pack(
        "{s:s, s:s, s:s#, s:f, s:f, s:f, s:I, s:[b, b, n, {}, []],"
        " s:{s:{s:[s]}}}",
        "q", evil, "ctl", "\x01\x1f\b\f\r\\\"/é€😀", "nul", "a\0b", 3, "tenth", 0.1, "big", 1e300,
        "whole", 3.0, "neg", (json_int_t)-9007199254740993LL, "mix", 1, 0, "deep", "a", "b", "\\t");
    assert_non_null(attrs);
    assert_int_equal(ls_change_put_node_new(cs, "evil", "service", evil, evil, attrs, NULL, NULL),
                     LS_OK);
    assert_int_equal(ls_change_put_edge_new(cs, "evil", LS_EDGE_DEPENDS_ON, "m",
                                            json_pack("{s:f}", "lat", 1.5), LS_ESRC_MANUAL, 1.0 / 3,
                                            NULL),
                     LS_OK);
    apply_ok(f, cs);
    struct ls_snap *before = ls_graph_snap(f->g);
    size_t len;
    char *m_json = strdup(ls_node_json(ls_snap_node(before, "m"), &len));
    char *evil_json = strdup(ls_node_json(ls_snap_node(before, "evil"), &len));
    char *edge_json =
        strdup(ls_edge_json(ls_snap_edge(before, "evil", LS_EDGE_DEPENDS_ON, "m"), &len));
    uint64_t rev = ls_snap_revision(before);
    ls_snap_release(before);

    /* a second graph loaded from the same database sees the same thing */
    struct ls_graph *g2 = ls_graph_new();
    struct ls_err err;
    assert_int_equal(ls_store_load(f->store, g2, &err), LS_OK);
    struct ls_snap *after = ls_graph_snap(g2);
    assert_int_equal(ls_snap_revision(after), rev);
    assert_int_equal(ls_snap_node_count(after), 2);
    assert_int_equal(ls_snap_edge_count(after), 1);
    assert_string_equal(ls_node_json(ls_snap_node(after, "m"), NULL), m_json);
    assert_string_equal(ls_node_json(ls_snap_node(after, "evil"), NULL), evil_json);
    assert_string_equal(ls_snap_node(after, "evil")->name, evil);
    assert_string_equal(ls_edge_json(ls_snap_edge(after, "evil", LS_EDGE_DEPENDS_ON, "m"), NULL),
                        edge_json);
    /* a weight with no short decimal form comes back to the bit */
    assert_true(ls_snap_edge(after, "evil", LS_EDGE_DEPENDS_ON, "m")->weight == 1.0 / 3);
    assert_null(ls_snap_node(after, "vm"));
    ls_snap_release(after);
    ls_graph_free(g2);
    free(m_json);
    free(evil_json);
    free(edge_json);
    /* history survived too, and the next write continues the revision sequence */
    json_t *h;
    assert_int_equal(ls_store_node_history(f->store, "vm", 10, &h, &err), LS_OK);
    assert_int_equal(json_array_size(json_object_get(h, "versions")), 2);
    json_decref(h);
}

static bool count_edge(const struct ls_edge *e, void *arg)
{
    (void)e;
    (*(size_t *)arg)++;
    return true;
}

/* Edges into m at s. */
static size_t edges_into_m(const struct ls_snap *s)
{
    size_t n = 0;
    assert_int_equal(ls_snap_node_edges(s, "m", LS_DIR_IN, -1, count_edge, &n, NULL), LS_OK);
    return n;
}

/* n racks, each contained in m; with a node whose name is not UTF-8 (the model takes bytes,
 * Postgres, UTF8, refuses them) the whole change fails in Postgres and none of it is visible;
 * without it the same change applies, every node and edge once. n >= STAGE_AHEAD_OPS
 * (sql/store.c) makes the graph's slots while Postgres takes the rows. */
static void fail_then_apply(struct fx *f, int n)
{
    build_history(f);
    struct ls_snap *s0 = ls_graph_snap(f->g);
    uint64_t rev0 = ls_snap_revision(s0);
    size_t nodes0 = ls_snap_node_count(s0), edges0 = ls_snap_edge_count(s0);
    size_t into_m0 = edges_into_m(s0);
    ls_snap_release(s0);
    for (int round = 0; round < 2; round++) {
        struct ls_change_set *cs = ls_change_set_new("test");
        char id[32];
        for (int i = 0; i < n; i++) {
            snprintf(id, sizeof(id), "ok-node-%d", i);
            assert_int_equal(ls_change_put_node_new(cs, id, "rack", "", "", NULL, NULL, NULL),
                             LS_OK);
            assert_int_equal(ls_change_put_edge_new(cs, "m", LS_EDGE_CONTAINS, id, NULL,
                                                    LS_ESRC_MANUAL, 1.0, NULL),
                             LS_OK);
        }
        if (round == 0)
            assert_int_equal(
                ls_change_put_node_new(cs, "bad-node", "rack", "\xff\xfe", "", NULL, NULL, NULL),
                LS_OK);
        struct ls_err err;
        uint64_t rev;
        int rc = ls_store_apply(f->store, f->g, cs, &rev, &err);
        ls_change_set_free(cs);
        struct ls_snap *s = ls_graph_snap(f->g);
        if (round == 0) {
            assert_int_equal(rc, LS_EINVAL);
            assert_string_equal(err.code, "invalid_value");
            assert_int_equal(ls_snap_revision(s), rev0);
            assert_int_equal(ls_snap_node_count(s), nodes0);
            assert_int_equal(ls_snap_edge_count(s), edges0);
            assert_null(ls_snap_node(s, "ok-node-0"));
            assert_null(ls_snap_node(s, "bad-node"));
            assert_int_equal(edges_into_m(s), into_m0);
        } else { /* and the store still works afterwards */
            assert_int_equal(rc, LS_OK);
            assert_int_equal(ls_snap_revision(s), rev0 + 1);
            assert_int_equal(ls_snap_node_count(s), nodes0 + (size_t)n);
            assert_int_equal(ls_snap_edge_count(s), edges0 + (size_t)n);
            snprintf(id, sizeof(id), "ok-node-%d", n - 1);
            assert_non_null(ls_snap_node(s, id));
            assert_non_null(ls_snap_edge(s, "m", LS_EDGE_CONTAINS, id));
            assert_int_equal(edges_into_m(s), into_m0);
            size_t out = 0;
            assert_int_equal(
                ls_snap_node_edges(s, "m", LS_DIR_OUT, LS_EDGE_CONTAINS, count_edge, &out, NULL),
                LS_OK);
            assert_true(out >= (size_t)n);
        }
        ls_snap_release(s);
    }
}

static void test_change_failing_in_postgres_is_not_visible(void **state)
{
    fail_then_apply(*state, 1);
}

static void test_large_change_failing_in_postgres_is_not_visible(void **state)
{
    fail_then_apply(*state, 6000);
}

/* One value of a query on a raw connection (the caller frees it). */
static char *sql_value(PGconn *c, const char *q)
{
    PGresult *r = PQexec(c, q);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("%s: %s", q, PQerrorMessage(c));
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

#define INDEX_DEFS                                                                                 \
    "SELECT string_agg(indexdef, ';' ORDER BY indexdef) FROM pg_indexes "                          \
    "WHERE tablename IN ('node_version', 'edge_version')"
#define INDEX_OID(name) "SELECT '" name "'::regclass::oid"
#define TABLE_FILES                                                                                \
    "SELECT pg_relation_filenode('node_version') || ' ' || pg_relation_filenode('edge_version')"

/* A load of 100k nodes and edges into an empty store builds the node table's indexes after the
 * COPY (new index, same definition); the edge table, which a reader holds, keeps its indexes
 * (the lock is not waited for) and is loaded row by row. Both end up complete and loadable. */
static void test_bulk_load_rebuilds_indexes_unless_read(void **state)
{
    struct fx *f = *state;
    const char *dsn = ls_harness_new_db();
    ls_store_close(f->store);
    struct ls_err err;
    assert_int_equal(ls_store_open(&f->store, dsn, &err), LS_OK);
    PGconn *c = PQconnectdb(dsn), *reader = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    assert_int_equal(PQstatus(reader), CONNECTION_OK);
    char *defs = sql_value(c, INDEX_DEFS);
    char *node_oid = sql_value(c, INDEX_OID("node_version_id_from"));
    char *edge_oid = sql_value(c, INDEX_OID("edge_version_src_from"));
    char *files = sql_value(c, TABLE_FILES);
    char *partial_oid = sql_value(c, INDEX_OID("node_version_to"));
    PQclear(PQexec(reader, "BEGIN"));
    PQclear(PQexec(reader, "LOCK TABLE edge_version IN ACCESS SHARE MODE"));

    enum { N = 100000 };
    struct ls_change_set *cs = ls_change_set_new("bulk");
    char id[32], next[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "n%06d", i);
        assert_int_equal(
            ls_change_put_node_new(cs, id, "rack", id, "", json_pack("{s:i}", "i", i), NULL, NULL),
            LS_OK);
    }
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "n%06d", i);
        snprintf(next, sizeof(next), "n%06d", (i + 1) % N);
        assert_int_equal(ls_change_put_edge_new(cs, id, LS_EDGE_CONNECTED_TO, next, NULL,
                                                LS_ESRC_IMPORTED, 1, NULL),
                         LS_OK);
    }
    apply_ok(f, cs);
    PQclear(PQexec(reader, "COMMIT"));
    /* the dropped indexes are built after the load's commit: wait for them */
    ls_store_settle(f->store);
    char *pending = sql_value(c, "SELECT count(*) FROM pending_index");
    assert_string_equal(pending, "0");
    free(pending);

    char *defs_after = sql_value(c, INDEX_DEFS);
    char *node_oid_after = sql_value(c, INDEX_OID("node_version_id_from"));
    char *edge_oid_after = sql_value(c, INDEX_OID("edge_version_src_from"));
    char *files_after = sql_value(c, TABLE_FILES);
    /* the empty node table was truncated in the load's transaction (a new file: written
     * without WAL at wal_level=minimal); the edge table, held by the reader, was not */
    char node_file[32], node_file_after[32], edge_file[32], edge_file_after[32];
    assert_int_equal(sscanf(files, "%31s %31s", node_file, edge_file), 2);
    assert_int_equal(sscanf(files_after, "%31s %31s", node_file_after, edge_file_after), 2);
    assert_string_not_equal(node_file_after, node_file);
    assert_string_equal(edge_file_after, edge_file);
    /* a partial index (closed versions only: none in a load) is kept, not rebuilt */
    char *partial_oid_after = sql_value(c, INDEX_OID("node_version_to"));
    assert_string_equal(partial_oid_after, partial_oid);
    assert_string_equal(defs_after, defs);
    assert_string_not_equal(node_oid_after, node_oid); /* rebuilt */
    assert_string_equal(edge_oid_after, edge_oid);     /* kept: a reader held the table */
    char *rows = sql_value(c, "SELECT (SELECT count(*) FROM node_version) || ' ' || "
                              "(SELECT count(*) FROM edge_version)");
    assert_string_equal(rows, "100000 100000");
    /* the rebuilt index answers lookups */
    char *attr = sql_value(c, "SELECT attrs->>'i' FROM node_version WHERE id = 'n054321'");
    assert_string_equal(attr, "54321");
    struct ls_graph *g2 = ls_graph_new();
    assert_int_equal(ls_store_load(f->store, g2, &err), LS_OK);
    struct ls_snap *s = ls_graph_snap(g2);
    assert_int_equal(ls_snap_node_count(s), N);
    assert_int_equal(ls_snap_edge_count(s), N);
    ls_snap_release(s);
    ls_graph_free(g2);
    free(defs);
    free(defs_after);
    free(node_oid);
    free(node_oid_after);
    free(edge_oid);
    free(edge_oid_after);
    free(files);
    free(files_after);
    free(partial_oid);
    free(partial_oid_after);
    free(rows);
    free(attr);
    PQfinish(c);
    PQfinish(reader);
}

/* A bulk load's indexes are built after its commit; if the process stops first, the store
 * builds what pending_index still lists when it next opens. */
static void test_indexes_left_pending_are_built_at_open(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_store *a;
    struct ls_err err;
    assert_int_equal(ls_store_open(&a, dsn, &err), LS_OK);
    ls_store_close(a);
    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    char *def = sql_value(c, "SELECT pg_get_indexdef('edge_version_dst_from'::regclass)");
    const char *params[] = {def};
    PQclear(PQexec(c, "DROP INDEX edge_version_dst_from"));
    PQclear(PQexecParams(c, "INSERT INTO pending_index (def) VALUES ($1)", 1, NULL, params, NULL,
                         NULL, 0));
    /* one that cannot be built stays listed and does not keep the others or the store from
     * opening; one for an index that exists is dropped from the list */
    PQclear(PQexec(c, "INSERT INTO pending_index (def) VALUES "
                      "('CREATE INDEX broken ON no_such_table (x)'), "
                      "('CREATE INDEX node_version_id_from ON public.node_version (id)')"));
    char *missing = sql_value(c, "SELECT count(*) FROM pg_indexes "
                                 "WHERE indexname = 'edge_version_dst_from'");
    assert_string_equal(missing, "0");
    assert_int_equal(ls_store_open(&a, dsn, &err), LS_OK);
    char *built = sql_value(c, "SELECT pg_get_indexdef('edge_version_dst_from'::regclass)");
    assert_string_equal(built, def);
    char *pending = sql_value(c, "SELECT string_agg(def, ';') FROM pending_index");
    assert_string_equal(pending, "CREATE INDEX broken ON no_such_table (x)");
    ls_store_close(a);
    free(def);
    free(missing);
    free(built);
    free(pending);
    PQfinish(c);
}

static void test_opening_twice_applies_migrations_once(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_store *a, *b;
    struct ls_err err;
    assert_int_equal(ls_store_open(&a, dsn, &err), LS_OK);
    /* 001_init, 002_telemetry_rollups, 003_attrs_json, 004_pending_index, 006_incidents */
    assert_int_equal(ls_store_schema_version(a), 6);
    ls_store_close(a); /* one writer at a time (test_store_durable) */
    assert_int_equal(ls_store_open(&b, dsn, &err), LS_OK);
    assert_int_equal(ls_store_schema_version(b), 6);
    assert_int_equal(ls_store_ping(b, &err), LS_OK);
    ls_store_close(b);
}

/* Migrations written in parallel land out of order: a database that took 006 before 005
 * existed must still get 005. Here 004 is made missing under a later one. */
static void test_a_migration_missing_below_the_highest_is_applied(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_store *st;
    struct ls_err err;
    assert_int_equal(ls_store_open(&st, dsn, &err), LS_OK);
    ls_store_close(st);
    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r =
        PQexec(c, "DELETE FROM schema_version WHERE version = 4; DROP TABLE pending_index");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    assert_int_equal(ls_store_open(&st, dsn, &err), LS_OK);
    assert_int_equal(ls_store_schema_version(st), 6);
    ls_store_close(st);
    r = PQexec(c, "SELECT count(*) FROM schema_version WHERE version = 4");
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    PQclear(r);
    r = PQexec(c, "SELECT count(*) FROM pending_index");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    PQfinish(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_time_travel_answers_each_point_exactly, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_changes_since_lists_exact_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_nodes_edges_and_history, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_large_change_failing_in_postgres_is_not_visible, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_change_failing_in_postgres_is_not_visible, setup,
                                        teardown),
        cmocka_unit_test(test_opening_twice_applies_migrations_once),
        cmocka_unit_test(test_a_migration_missing_below_the_highest_is_applied),
        cmocka_unit_test(test_indexes_left_pending_are_built_at_open),
        cmocka_unit_test_setup_teardown(test_bulk_load_rebuilds_indexes_unless_read, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("sql/store", tests, ls_harness_group_setup,
                                       ls_harness_group_teardown);
}
