/* analytics/rca_replay: the ranking over a raw sample store — a switch that stopped reporting
 * found as the cause of its machines' silence, points owed counted only up to the newest
 * window point of any series (one without a baseline included) and at a series' own rate, a
 * node list, and an incident's causes ranked over the store. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analytics/incident.h"
#include "analytics/rca_replay.h"
#include "model/change.h"

#define S    INT64_C(1000000)
#define FROM (3600 * S) /* the window starts an hour in; the baseline is that hour */

/* sw, with machines m1 and m2 connected_to it. */
static int setup(void **state)
{
    struct ls_change_set *cs = ls_change_set_new("test");
    static const char *const nodes[][2] = {{"sw", "switch"}, {"m1", "machine"}, {"m2", "machine"}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ls_change_put_node_new(cs, nodes[i][0], nodes[i][1], nodes[i][0], "up",
                                                NULL, NULL, NULL),
                         LS_OK);
    for (int i = 1; i <= 2; i++)
        assert_int_equal(ls_change_put_edge_new(cs, nodes[i][0], LS_EDGE_CONNECTED_TO, "sw", NULL,
                                                LS_ESRC_IMPORTED, 1.0, NULL),
                         LS_OK);
    struct ls_graph *g = ls_graph_new();
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, 5000000, &p, NULL), LS_OK);
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    ls_graph_free(*state);
    return 0;
}

/* A baseline hour of one point a minute around 100 for every series; in the window the
 * machines' traffic falls to 5 (points at FROM + 0, 1, ... win_min - 1 minutes) and the
 * switch sends nothing. */
static struct ls_samples *store(int win_min)
{
    struct ls_samples *s = ls_samples_new(86400 * S, 100000);
    static const char *const ids[] = {"sw", "m1", "m2"};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 60; i++)
            assert_int_equal(
                ls_samples_add(s, ids[k], "net_bytes", false, 100 + i % 7 - 3, i * 60 * S),
                LS_SAMPLES_ADDED);
        for (int i = 0; k > 0 && i < win_min; i++)
            assert_int_equal(
                ls_samples_add(s, ids[k], "net_bytes", false, 5 + i % 2, FROM + i * 60 * S),
                LS_SAMPLES_ADDED);
    }
    return s;
}

static struct ls_rca_result replay(struct ls_graph *g, struct ls_samples *s, const char *only)
{
    struct ls_snap *snap = ls_graph_snap(g);
    const char *nodes[] = {only};
    struct ls_rca_replay w = {.from_us = FROM,
                              .to_us = FROM + 600 * S,
                              .base_from_us = 0,
                              .base_to_us = FROM,
                              .nodes = only ? nodes : NULL,
                              .n_nodes = only ? 1 : 0};
    struct ls_rca_result r;
    assert_int_equal(ls_rca_replay_rank(s, snap, &w, NULL, &r, NULL), LS_OK);
    ls_snap_release(snap);
    return r;
}

static bool has(char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

/* Five minutes of window: the switch owed five points and sent none — it went quiet and is
 * the cause of its machines' silence. */
static void test_a_switch_that_stopped_is_the_cause(void **state)
{
    struct ls_samples *s = store(5);
    struct ls_rca_result r = replay(*state, s, NULL);
    assert_true(r.n_causes >= 1);
    assert_string_equal(r.causes[0].id, "sw");
    assert_non_null(strstr(r.causes[0].reason, "no sample in the window"));
    assert_true(has(r.anomalous, r.n_anomalous, "m1") && has(r.anomalous, r.n_anomalous, "m2"));
    ls_rca_result_cleanup(&r);
    ls_samples_free(s);
}

/* Points are owed only up to the newest window point: one minute of window owes the switch
 * one point (not silent). A series without a baseline that reported five minutes into the
 * window moves that clock too: the switch owes five and is silent again. */
static void test_points_are_owed_up_to_the_newest_window_point(void **state)
{
    struct ls_samples *s = store(1);
    struct ls_rca_result r = replay(*state, s, NULL);
    assert_false(has(r.anomalous, r.n_anomalous, "sw"));
    ls_rca_result_cleanup(&r);
    assert_int_equal(ls_samples_add(s, "m1", "new_metric", false, 1, FROM + 300 * S),
                     LS_SAMPLES_ADDED);
    r = replay(*state, s, NULL);
    assert_true(has(r.anomalous, r.n_anomalous, "sw"));
    ls_rca_result_cleanup(&r);
    ls_samples_free(s);
}

/* Points are owed at the rate a series kept over the stretch its baseline covers: devices
 * that began reporting ten minutes before the window (every 20 s; the baseline window is an
 * hour) owe six points in two minutes, and the switch that sent none is silent. Spread over
 * the whole hour, its 30 points would have owed one. */
static void test_a_series_younger_than_the_baseline_owes_at_its_own_rate(void **state)
{
    struct ls_samples *s = ls_samples_new(86400 * S, 100000);
    static const char *const ids[] = {"sw", "m1", "m2"};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 30; i++)
            assert_int_equal(ls_samples_add(s, ids[k], "net_bytes", false, 100 + i % 7 - 3,
                                            FROM - 600 * S + i * 20 * S),
                             LS_SAMPLES_ADDED);
        for (int i = 0; k > 0 && i < 7; i++)
            assert_int_equal(
                ls_samples_add(s, ids[k], "net_bytes", false, 5 + i % 2, FROM + i * 20 * S),
                LS_SAMPLES_ADDED);
    }
    struct ls_rca_result r = replay(*state, s, NULL);
    assert_true(has(r.anomalous, r.n_anomalous, "sw"));
    assert_true(r.n_causes >= 1);
    assert_string_equal(r.causes[0].id, "sw");
    ls_rca_result_cleanup(&r);
    ls_samples_free(s);
}

/* With a node list, only those nodes' series are ranked. */
static void test_a_node_list_ranks_only_those_nodes(void **state)
{
    struct ls_samples *s = store(5);
    struct ls_rca_result r = replay(*state, s, "m1");
    assert_int_equal(r.n_anomalous, 1);
    assert_string_equal(r.anomalous[0], "m1");
    ls_rca_result_cleanup(&r);
    ls_samples_free(s);
}

/* An incident of the two machines (analytics/incident.h ls_incident_rank_replay), opened two
 * minutes into their silence: ranked over the raw samples of its members and what lies
 * within reach of them, the switch that went quiet — no member: it is grey, not red — is its
 * cause, with the path to a machine; without raw samples the members' verdicts rank it and
 * the switch, which has none, is not named. */
static void test_an_incidents_causes_reach_the_switch_that_went_quiet(void **state)
{
    struct ls_samples *s = store(9);
    struct ls_snap *snap = ls_graph_snap(*state);
    /* red by their traffic, no value or range kept */
#define MACHINE(name)                                                                              \
    {                                                                                              \
        .id = (name), .score = 1, .metric = "net_bytes", .anomalous = true, .went = -1,            \
        .value = NAN, .lo = NAN, .hi = NAN                                                         \
    }
    const struct ls_incident_member m[] = {MACHINE("m1"), MACHINE("m2")};
#undef MACHINE
    struct ls_incident_params p;
    ls_incident_params_default(&p);
    struct ls_incident_cause *c;
    size_t nc;
    struct ls_err err = {0};
    const struct ls_incident_ranking in = {snap,           m, 2, FROM + LS_INCIDENT_LEAD_US,
                                           FROM + 540 * S, &p};
    ls_incident_rank_replay(s, &in, &c, &nc, &err);
    assert_int_equal(err.status, LS_OK);
    assert_true(nc >= 1);
    assert_string_equal(c[0].id, "sw");
    assert_int_equal(c[0].npath, 2);
    assert_true(strcmp(c[0].path[1], "m1") == 0 || strcmp(c[0].path[1], "m2") == 0);
    ls_incident_causes_free(c, nc);

    ls_incident_rank_replay(NULL, &in, &c, &nc, &err);
    assert_int_equal(err.status, LS_OK);
    assert_true(nc >= 1);
    for (size_t i = 0; i < nc; i++)
        assert_string_not_equal(c[i].id, "sw");
    ls_incident_causes_free(c, nc);
    ls_snap_release(snap);
    ls_samples_free(s);
}

/* A store of many series swept in parts on threads (three, more than the cores, or one per
 * core) ranks exactly as one sweep on the caller's thread: the parts' records are taken in
 * the order one sweep gives. */
static void test_the_replay_is_the_same_whatever_the_threads(void **state)
{
    struct ls_samples *s = store(5);
    char node[32];
    for (int i = 0; i < 300; i++) { /* nodes outside the graph; every tenth's errors rise */
        snprintf(node, sizeof node, "svc-%d", i);
        for (int k = 0; k < 60; k++)
            assert_int_equal(ls_samples_add(s, node, "errors", false, 10 + k % 5, k * 60 * S),
                             LS_SAMPLES_ADDED);
        for (int k = 0; k < 5; k++)
            assert_int_equal(ls_samples_add(s, node, "errors", false,
                                            i % 10 ? 11 + k % 3 : 40 + i % 7 + k,
                                            FROM + k * 60 * S),
                             LS_SAMPLES_ADDED);
    }
    struct ls_snap *snap = ls_graph_snap(*state);
    struct ls_rca_replay w = {
        .from_us = FROM, .to_us = FROM + 600 * S, .base_from_us = 0, .base_to_us = FROM};
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    p.threads = 1;
    p.limit = 50;
    struct ls_rca_result one;
    assert_int_equal(ls_rca_replay_rank(s, snap, &w, &p, &one, NULL), LS_OK);
    assert_true(one.n_anomalous >= 30 + 3); /* the services, the switch and its machines */
    assert_true(one.n_causes >= 30);
    static const size_t threads[] = {3, 16, 0};
    for (size_t c = 0; c < sizeof threads / sizeof threads[0]; c++) {
        p.threads = threads[c];
        struct ls_rca_result more;
        assert_int_equal(ls_rca_replay_rank(s, snap, &w, &p, &more, NULL), LS_OK);
        assert_int_equal(more.n_anomalous, one.n_anomalous);
        for (size_t i = 0; i < one.n_anomalous; i++)
            assert_string_equal(more.anomalous[i], one.anomalous[i]);
        assert_int_equal(more.n_causes, one.n_causes);
        for (size_t i = 0; i < one.n_causes; i++) {
            assert_string_equal(more.causes[i].id, one.causes[i].id);
            assert_true(more.causes[i].score == one.causes[i].score);
            assert_string_equal(more.causes[i].reason, one.causes[i].reason);
        }
        ls_rca_result_cleanup(&more);
    }
    ls_rca_result_cleanup(&one);
    ls_snap_release(snap);
    ls_samples_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_switch_that_stopped_is_the_cause, setup, teardown),
        cmocka_unit_test_setup_teardown(test_points_are_owed_up_to_the_newest_window_point, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_series_younger_than_the_baseline_owes_at_its_own_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_node_list_ranks_only_those_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_incidents_causes_reach_the_switch_that_went_quiet,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_replay_is_the_same_whatever_the_threads, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("analytics/rca_replay", tests, NULL, NULL);
}
