/* sql/store when the network to Postgres fails: a connection lost during COMMIT persists the
 * change once; a Postgres that stops answering fails a write at its deadline instead of
 * hanging it; a second writer on the same database is refused. Postgres is real (the harness's
 * private server); the failures come from a loopback proxy (tests/support/pg_proxy). */
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
#include "tests/support/pg_proxy.h"

static char err_code_of_last[64]; /* the error code of put_node's last failed apply */

static void put_node(struct ls_store *s, struct ls_graph *g, const char *id, int v, int expect)
{
    struct ls_change_set *cs = ls_change_set_new("test");
    struct ls_err err;
    assert_int_equal(
        ls_change_put_node_new(cs, id, "machine", id, "up", json_pack("{s:i}", "v", v), NULL, &err),
        LS_OK);
    uint64_t rev = 0;
    int rc = ls_store_apply(s, g, cs, &rev, &err);
    if (rc != expect)
        fail_msg("apply %s v=%d: got %d (%s), expected %d", id, v, rc, rc ? err.msg : "", expect);
    snprintf(err_code_of_last, sizeof(err_code_of_last), "%s", rc ? err.code : "");
    ls_change_set_free(cs);
}

static long long sql_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* The node's attrs.v in the graph (-1 when absent). */
static long long graph_v(struct ls_graph *g, const char *id)
{
    struct ls_snap *snap = ls_graph_snap(g);
    const struct ls_node *n = ls_snap_node(snap, id);
    long long v = n ? json_integer_value(json_object_get(n->attrs, "v")) : -1;
    ls_snap_release(snap);
    return v;
}

static uint64_t graph_rev(struct ls_graph *g)
{
    struct ls_snap *snap = ls_graph_snap(g);
    uint64_t rev = ls_snap_revision(snap);
    ls_snap_release(snap);
    return rev;
}

/* The proxy forwards COMMIT, waits for Postgres to answer it (so it took effect), drops the
 * answer and closes the connection: the store cannot know from that connection whether the
 * change is in. It must find out (the change-log row of its revision) and not write it again:
 * one change-log row per revision, one version per change, revision 3 in Postgres and graph. */
static void test_connection_lost_during_commit_persists_once(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_pg_proxy *proxy = ls_pg_proxy_start(dsn);
    assert_non_null(proxy);
    char *via = ls_pg_proxy_dsn(proxy, dsn);
    struct ls_store *s;
    struct ls_err err;
    assert_int_equal(ls_store_open(&s, via, &err), LS_OK);
    struct ls_graph *g = ls_graph_new();
    put_node(s, g, "a", 1, LS_OK);
    put_node(s, g, "b", 1, LS_OK);
    ls_pg_proxy_cut_after_commit(proxy, false);
    put_node(s, g, "a", 2, LS_OK); /* acknowledged: it is in Postgres, once */
    assert_int_equal(ls_pg_proxy_cuts(proxy), 1);
    assert_int_equal(graph_rev(g), 3);
    assert_int_equal(graph_v(g, "a"), 2);

    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM change_log"), 3);
    assert_int_equal(sql_int(c, "SELECT max(revision) FROM change_log"), 3);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM node_version WHERE id = 'a'"), 2);
    assert_int_equal(
        sql_int(c, "SELECT count(*) FROM node_version WHERE id = 'a' AND valid_to IS NULL"), 1);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM node_version WHERE rev_from = 3"), 1);

    /* the next write goes on from there */
    put_node(s, g, "b", 2, LS_OK);
    assert_int_equal(graph_rev(g), 4);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM change_log"), 4);
    ls_store_close(s);
    ls_graph_free(g);

    /* and a restart loads exactly that */
    assert_int_equal(ls_store_open(&s, dsn, &err), LS_OK);
    g = ls_graph_new();
    assert_int_equal(ls_store_load(s, g, &err), LS_OK);
    assert_int_equal(graph_rev(g), 4);
    assert_int_equal(graph_v(g, "a"), 2);
    assert_int_equal(graph_v(g, "b"), 2);
    ls_store_close(s);
    ls_graph_free(g);
    PQfinish(c);
    free(via);
    ls_pg_proxy_stop(proxy);
}

/* A partition: the proxy stops forwarding with the connections open (no reset, no answer).
 * The write fails with LS_EUNAVAIL once its write timeout has passed instead of waiting for
 * TCP to give up; once the network is back, writes go through and nothing was written twice.
 * (Nothing here is timed: without the watchdog the write never returns and the test hangs.) */
static void test_partition_fails_a_write_at_its_deadline(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_pg_proxy *proxy = ls_pg_proxy_start(dsn);
    assert_non_null(proxy);
    char *via = ls_pg_proxy_dsn(proxy, dsn);
    struct ls_store_opts o;
    ls_store_opts_defaults(&o);
    o.write_timeout_s = 2;
    o.connect_timeout_s = 1;
    /* what would otherwise end the connection: not over a loopback proxy that still ACKs */
    o.keepalives_idle_s = 0;
    o.tcp_user_timeout_s = 0;
    struct ls_store *s;
    struct ls_err err;
    assert_int_equal(ls_store_open_opts(&s, via, &o, &err), LS_OK);
    struct ls_graph *g = ls_graph_new();
    put_node(s, g, "a", 1, LS_OK);
    ls_pg_proxy_partition(proxy, true);
    put_node(s, g, "a", 2, LS_EUNAVAIL);
    assert_int_equal(graph_v(g, "a"), 1);
    ls_pg_proxy_partition(proxy, false);
    put_node(s, g, "a", 3, LS_OK);
    assert_int_equal(graph_v(g, "a"), 3);
    assert_int_equal(graph_rev(g), 2);

    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM change_log"), 2);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM node_version WHERE id = 'a'"), 2);
    PQfinish(c);
    ls_store_close(s);
    ls_graph_free(g);
    free(via);
    ls_pg_proxy_stop(proxy);
}

/* The answer to a COMMIT never comes and the connection stays open: the write fails at its
 * deadline not knowing whether it committed (it did). The next write asks Postgres first,
 * finds it committed, and from then on the store refuses writes and readiness
 * (restart_required) rather than go on with a graph that lacks that revision; a restart
 * loads it, once. */
static void test_commit_found_after_its_deadline_requires_a_restart(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_pg_proxy *proxy = ls_pg_proxy_start(dsn);
    assert_non_null(proxy);
    char *via = ls_pg_proxy_dsn(proxy, dsn);
    struct ls_store_opts o;
    ls_store_opts_defaults(&o);
    o.write_timeout_s = 2;
    o.connect_timeout_s = 1;
    struct ls_store *s;
    struct ls_err err;
    assert_int_equal(ls_store_open_opts(&s, via, &o, &err), LS_OK);
    struct ls_graph *g = ls_graph_new();
    put_node(s, g, "a", 1, LS_OK);
    ls_pg_proxy_cut_after_commit(proxy, true);
    put_node(s, g, "a", 2, LS_EUNAVAIL);
    assert_int_equal(ls_pg_proxy_cuts(proxy), 1);
    assert_int_equal(graph_v(g, "a"), 1);
    assert_int_equal(ls_store_ping(s, &err), LS_OK);
    put_node(s, g, "b", 1, LS_EUNAVAIL);
    assert_string_equal(err_code_of_last, "restart_required");
    assert_int_equal(ls_store_ping(s, &err), LS_EUNAVAIL);
    assert_string_equal(err.code, "restart_required");
    ls_store_close(s);
    ls_graph_free(g);

    assert_int_equal(ls_store_open(&s, dsn, &err), LS_OK);
    g = ls_graph_new();
    assert_int_equal(ls_store_load(s, g, &err), LS_OK);
    assert_int_equal(graph_v(g, "a"), 2);
    assert_int_equal(graph_v(g, "b"), -1);
    assert_int_equal(graph_rev(g), 2);
    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM change_log"), 2);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM node_version WHERE id = 'a'"), 2);
    PQfinish(c);
    ls_store_close(s);
    ls_graph_free(g);
    free(via);
    ls_pg_proxy_stop(proxy);
}

/* One writer per database: a second store is refused before it changes anything, with a
 * one-line reason naming the backend that holds the lock; once the first closes, it opens. */
static void test_second_writer_is_refused(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    struct ls_store *a, *b;
    struct ls_err err;
    assert_int_equal(ls_store_open(&a, dsn, &err), LS_OK);
    assert_int_equal(ls_store_open(&b, dsn, &err), LS_ECONFLICT);
    assert_string_equal(err.code, "writer_lock_held");
    assert_non_null(strstr(err.msg, "another landscaped is the writer on this database"));
    assert_non_null(strstr(err.msg, "application_name 'landscaped'"));
    assert_null(strchr(err.msg, '\n'));
    ls_store_close(a);
    assert_int_equal(ls_store_open(&b, dsn, &err), LS_OK);
    ls_store_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_lost_during_commit_persists_once),
        cmocka_unit_test(test_partition_fails_a_write_at_its_deadline),
        cmocka_unit_test(test_commit_found_after_its_deadline_requires_a_restart),
        cmocka_unit_test(test_second_writer_is_refused),
    };
    return cmocka_run_group_tests_name("sql/store durability", tests, ls_harness_group_setup,
                                       ls_harness_group_teardown);
}
