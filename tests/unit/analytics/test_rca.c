/* analytics/rca: the ranking on small hand-built graphs — a cause found with its path to the
 * symptoms, a quiet window naming none, load traced to its source (a noisy neighbour, flash
 * traffic), a device that went quiet, the baselines, the inputs' forms and the JSON shape. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analytics/rca.h"
#include "model/change.h"
#include "model/graph.h"

#define NBASE 60

/* A baseline of NBASE values around `level` with a small deterministic wiggle. */
static double base_a[NBASE];
static double base_b[NBASE];

static void fill_bases(void)
{
    for (int i = 0; i < NBASE; i++) {
        base_a[i] = 100 + (double)((i * 7) % 11) - 5; /* 95..105 */
        base_b[i] = 20 + (double)((i * 5) % 7) - 3;   /* 17..23 */
    }
}

static void put_node(struct ls_change_set *cs, const char *id, const char *type)
{
    assert_int_equal(ls_change_put_node_new(cs, id, type, id, "up", NULL, NULL, NULL), LS_OK);
}

static void
put_edge(struct ls_change_set *cs, const char *src, enum ls_edge_type t, const char *dst)
{
    assert_int_equal(ls_change_put_edge_new(cs, src, t, dst, NULL, LS_ESRC_IMPORTED, 1.0, NULL),
                     LS_OK);
}

/* Makes the graph of cs (freed) the test's state. */
static void publish(void **state, struct ls_change_set *cs)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, 5000000, &p, NULL), LS_OK);
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
    *state = g;
}

/* web depends_on app depends_on db (inferred); app depends_on cache; app runs_on vm-host;
 * other stands apart. */
static int setup(void **state)
{
    fill_bases();
    struct ls_change_set *cs = ls_change_set_new("test");
    put_node(cs, "web", "service");
    put_node(cs, "app", "service");
    put_node(cs, "db", "service");
    put_node(cs, "cache", "service");
    put_node(cs, "other", "service");
    put_node(cs, "hv", "hypervisor");
    put_node(cs, "vm1", "instance");
    put_node(cs, "vm2", "instance");
    put_edge(cs, "web", LS_EDGE_DEPENDS_ON, "app");
    assert_int_equal(ls_change_put_edge_new(cs, "app", LS_EDGE_DEPENDS_ON, "db", NULL,
                                            LS_ESRC_INFERRED, 1.0, NULL),
                     LS_OK);
    put_edge(cs, "app", LS_EDGE_DEPENDS_ON, "cache");
    put_edge(cs, "vm1", LS_EDGE_RUNS_ON, "hv");
    put_edge(cs, "vm2", LS_EDGE_RUNS_ON, "hv");
    publish(state, cs);
    return 0;
}

static int teardown(void **state)
{
    ls_graph_free(*state);
    return 0;
}

static struct ls_rca_series
series(const char *node, const char *metric, const double *base, const double *win, size_t n_win)
{
    return (struct ls_rca_series){.node = node,
                                  .metric = metric,
                                  .win = win,
                                  .n_win = n_win,
                                  .base = base,
                                  .n_base = NBASE,
                                  .score = -1};
}

/* A baseline of NBASE values at exactly 100 (a share that never failed). */
static const double *hundreds(void)
{
    static double v[NBASE];
    for (int i = 0; i < NBASE; i++)
        v[i] = 100.0;
    return v;
}

/* Ranks s with the default parameters and checks the first cause (and, unless SIZE_MAX, how
 * many nodes are anomalous). */
static void assert_first_cause(const struct ls_snap *snap,
                               const struct ls_rca_series *s,
                               size_t n,
                               size_t n_anomalous,
                               const char *want)
{
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r;
    assert_int_equal(ls_rca_rank(snap, s, n, &p, &r, NULL), LS_OK);
    if (n_anomalous != SIZE_MAX)
        assert_int_equal(r.n_anomalous, n_anomalous);
    assert_true(r.n_causes >= 1);
    assert_string_equal(r.causes[0].id, want);
    ls_rca_result_cleanup(&r);
}

static int path_is(const struct ls_rca_cause *c, const char *const *want, size_t n)
{
    if (c->n_path != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(c->path[i], want[i]) != 0)
            return 0;
    return 1;
}

/* db's latency rises; app and web (which call it) slow more in absolute terms and web the most
 * in spreads: the cause is db, with the path db -> app -> web. */
static void test_dependency_fault_is_ranked_first_with_its_path(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    static const double db_win[] = {101, 180, 190};
    static const double app_win[] = {99, 200, 210};
    static const double web_win[] = {100, 260, 270};
    static const double quiet_a[] = {100, 102, 98};
    static const double quiet_b[] = {20, 21, 19};
    struct ls_rca_series s[] = {
        series("db", "latency", base_a, db_win, 3),
        series("app", "latency", base_a, app_win, 3),
        series("web", "latency", base_a, web_win, 3),
        series("cache", "latency", base_a, quiet_a, 3),
        series("other", "latency", base_a, quiet_a, 3),
        series("app", "cpu", base_b, quiet_b, 3),
    };
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r;
    assert_int_equal(ls_rca_rank(snap, s, sizeof s / sizeof s[0], &p, &r, NULL), LS_OK);
    assert_string_equal(r.method, "propagation");
    assert_int_equal(r.n_anomalous, 3);
    assert_true(r.n_causes >= 1);
    assert_string_equal(r.causes[0].id, "db");
    assert_string_equal(r.causes[0].metric, "latency");
    static const char *const want[] = {"db", "app", "web"};
    assert_true(path_is(&r.causes[0], want, 3));
    for (size_t i = 1; i < r.n_causes; i++)
        assert_true(r.causes[i].score <= r.causes[i - 1].score);
    assert_non_null(strstr(r.causes[0].reason, "nothing it depends on is anomalous"));
    ls_rca_result_cleanup(&r);

    /* the plain z-score ranks the loudest symptom first: web */
    p.method = LS_RCA_ZSCORE;
    assert_int_equal(ls_rca_rank(snap, s, sizeof s / sizeof s[0], &p, &r, NULL), LS_OK);
    assert_string_equal(r.method, "zscore");
    assert_true(r.n_causes >= 1);
    assert_string_equal(r.causes[0].id, "web");
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* A window like its baseline names no cause and no anomalous node, whatever the method. */
static void test_quiet_window_names_no_cause(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    static const double quiet_a[] = {96, 104, 100, 101, 99};
    static const double quiet_b[] = {18, 22, 20, 23, 17};
    struct ls_rca_series s[] = {
        series("db", "latency", base_a, quiet_a, 5),
        series("app", "latency", base_a, quiet_a, 5),
        series("web", "availability", base_a, quiet_a, 5),
        series("vm1", "cpu", base_b, quiet_b, 5),
    };
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    for (int m = 0; m < LS_RCA_METHOD_COUNT; m++) {
        p.method = (enum ls_rca_method)m;
        struct ls_rca_result r;
        assert_int_equal(ls_rca_rank(snap, s, 4, &p, &r, NULL), LS_OK);
        assert_int_equal(r.n_causes, 0);
        assert_int_equal(r.n_anomalous, 0);
        ls_rca_result_cleanup(&r);
    }
    ls_snap_release(snap);
}

/* A hypervisor's fault shows on both its instances; from learned baselines (no baseline
 * window) and a detector's score, it is the cause and the vms are symptoms. Availability going
 * up is not a fault (its bad direction is down). */
static void test_learned_baselines_and_scores_find_the_host(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    struct ls_rca_baseline cpu = {.center = 20, .spread = 2};
    static const double vm_win[] = {20, 45};
    static const double up[] = {100, 140};
    struct ls_rca_series s[] = {
        {.node = "vm1", .metric = "cpu", .win = vm_win, .n_win = 2, .learned = &cpu, .score = -1},
        {.node = "vm2", .metric = "cpu", .win = vm_win, .n_win = 2, .learned = &cpu, .score = -1},
        {.node = "hv", .metric = "steal", .win = NULL, .n_win = 0, .score = 0.97},
        {.node = "web",
         .metric = "availability",
         .win = up,
         .n_win = 2,
         .base = base_a,
         .n_base = NBASE,
         .score = -1},
    };
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r;
    assert_int_equal(ls_rca_rank(snap, s, 4, &p, &r, NULL), LS_OK);
    assert_int_equal(r.n_anomalous, 3);
    assert_string_equal(r.causes[0].id, "hv");
    assert_int_equal(r.causes[0].n_path, 2);
    assert_string_equal(r.causes[0].path[0], "hv");
    for (size_t i = 0; i < r.n_anomalous; i++)
        assert_string_not_equal(r.anomalous[i], "web");
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* Detector scores say how unusual, not which way: with `went`, a latency that fell is no
 * fault (not anomalous), one that rose is; unknown counts as the bad way. */
static void test_a_score_the_good_way_is_no_evidence(void **state)
{
    (void)state;
    struct ls_rca_series s[] = {
        {.node = "faster", .metric = "latency.p99", .score = 0.95, .went = -1},
        {.node = "slower", .metric = "latency.p99", .score = 0.95, .went = +1},
        {.node = "unsure", .metric = "latency.p99", .score = 0.95, .went = 0},
    };
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r;
    assert_int_equal(ls_rca_rank(NULL, s, 3, &p, &r, NULL), LS_OK);
    assert_int_equal(r.n_anomalous, 2);
    for (size_t i = 0; i < r.n_anomalous; i++)
        assert_string_not_equal(r.anomalous[i], "faster");
    ls_rca_result_cleanup(&r);
}

/* A share of requests served well (availability in %, a success ratio) that never failed in
 * its baseline: losing 1.5-3.8 % of the requests is anomalous, though it is under 0.5 % of the
 * centre times 5 (the floor of other metrics, under which a latency's same move stays normal);
 * a dip of 0.01 points is not. PetShop's availability faults look like this. */
static void test_a_share_that_never_failed_counts_its_errors(void **state)
{
    (void)state;
    static double pct[NBASE], one[NBASE];
    for (int i = 0; i < NBASE; i++) {
        pct[i] = 100.0;
        one[i] = 1.0;
    }
    static const double lost[] = {100, 98.5, 96.2, 99.3, 100};
    static const double lost1[] = {1, 0.985, 0.962, 0.993, 1};
    static const double dip[] = {100, 99.99, 99.99, 100, 100};
    static const double slower[] = {100, 101.5, 103.8, 100.7, 100};
    struct ls_rca_series s[] = {
        {.node = "pct",
         .metric = "availability",
         .win = lost,
         .n_win = 5,
         .base = pct,
         .n_base = NBASE,
         .score = -1},
        {.node = "ratio",
         .metric = "success_ratio",
         .win = lost1,
         .n_win = 5,
         .base = one,
         .n_base = NBASE,
         .score = -1},
        {.node = "dip",
         .metric = "availability",
         .win = dip,
         .n_win = 5,
         .base = pct,
         .n_base = NBASE,
         .score = -1},
        {.node = "slow",
         .metric = "latency",
         .win = slower,
         .n_win = 5,
         .base = pct,
         .n_base = NBASE,
         .score = -1},
    };
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r;
    assert_int_equal(ls_rca_rank(NULL, s, 4, &p, &r, NULL), LS_OK);
    assert_int_equal(r.n_anomalous, 2);
    for (size_t i = 0; i < r.n_anomalous; i++)
        assert_true(strcmp(r.anomalous[i], "pct") == 0 || strcmp(r.anomalous[i], "ratio") == 0);
    ls_rca_result_cleanup(&r);
}

/* cache fails every request (its latency normal) while db slows; app and web, which call them,
 * slow and fail nothing. cache's failures do not show downstream as failures, so db, whose
 * kind of fault does, is the cause however loud cache is. */
static void test_a_cause_explains_symptoms_of_its_own_kind(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    const double *pct = hundreds();
    static const double failed[] = {100, 0, 0};
    static const double served[] = {100, 100, 100};
    static const double db_win[] = {101, 400, 410};
    static const double app_win[] = {99, 420, 430};
    static const double web_win[] = {100, 450, 460};
    static const double quiet_a[] = {100, 102, 98};
    struct ls_rca_series s[] = {
        series("cache", "availability", pct, failed, 3),
        series("cache", "latency", base_a, quiet_a, 3),
        series("db", "latency", base_a, db_win, 3),
        series("db", "availability", pct, served, 3),
        series("app", "latency", base_a, app_win, 3),
        series("app", "availability", pct, served, 3),
        series("web", "latency", base_a, web_win, 3),
        series("web", "availability", pct, served, 3),
    };
    assert_first_cause(snap, s, sizeof s / sizeof s[0], 4, "db");

    /* once app and web fail requests too, cache's failures explain them */
    static const double app_failed[] = {100, 96, 95};
    static const double web_failed[] = {100, 97, 96};
    s[5] = series("app", "availability", pct, app_failed, 3);
    s[7] = series("web", "availability", pct, web_failed, 3);
    assert_first_cause(snap, s, sizeof s / sizeof s[0], SIZE_MAX, "cache");
    ls_snap_release(snap);
}

/* other has failed every request since before the window (availability 0 throughout, as it
 * was while everything else was normal) when db slows and app and web with it: other, loud as
 * it is and joined to web, is a chronic condition beside the fault, not its cause. When it
 * fails only from the moment db slows, it is a candidate again. */
static void test_a_chronic_anomaly_is_not_the_new_fault(void **state)
{
    (void)state;
    struct ls_change_set *cs = ls_change_set_new("test");
    put_node(cs, "web", "service");
    put_node(cs, "app", "service");
    put_node(cs, "db", "service");
    put_node(cs, "other", "service");
    put_edge(cs, "web", LS_EDGE_DEPENDS_ON, "app");
    put_edge(cs, "app", LS_EDGE_DEPENDS_ON, "db");
    put_edge(cs, "web", LS_EDGE_DEPENDS_ON, "other");
    publish(state, cs);
    struct ls_snap *snap = ls_graph_snap(*state);
    const double *pct = hundreds();
    static const double always[] = {0, 0, 0, 0, 0};
    static const double served[] = {100, 100, 100, 100, 100};
    static const double db_win[] = {101, 99, 150, 160, 155};
    static const double app_win[] = {99, 100, 170, 180, 175};
    static const double web_win[] = {100, 101, 200, 210, 205};
    static const double web_err[] = {100, 100, 99.5, 99.4, 99.5};
    struct ls_rca_series s[] = {
        series("other", "availability", pct, always, 5),
        series("db", "latency", base_a, db_win, 5),
        series("app", "latency", base_a, app_win, 5),
        series("web", "latency", base_a, web_win, 5),
        series("web", "availability", pct, web_err, 5),
        series("app", "availability", pct, served, 5),
    };
    assert_first_cause(snap, s, sizeof s / sizeof s[0], 4, "db");

    /* the same failures, beginning with db's slowdown: other explains web's errors */
    static const double sudden[] = {100, 100, 0, 0, 0};
    s[0] = series("other", "availability", pct, sudden, 5);
    assert_first_cause(snap, s, sizeof s / sizeof s[0], SIZE_MAX, "other");

    /* one point ahead of db is a cause leading its effects, not a chronic condition */
    static const double ahead[] = {100, 0, 0, 0, 0};
    s[0] = series("other", "availability", pct, ahead, 5);
    assert_first_cause(snap, s, sizeof s / sizeof s[0], SIZE_MAX, "other");

    /* with times (minutes): other's points are the window's first half (its failures began
     * 30 minutes before db's slowdown) */
#define MIN_US (60 * INT64_C(1000000))
    static const int64_t early[] = {0, 10 * MIN_US, 20 * MIN_US, 30 * MIN_US, 40 * MIN_US};
    static const int64_t even[] = {0, 25 * MIN_US, 50 * MIN_US, 75 * MIN_US, 100 * MIN_US};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        s[i].t_win = even;
    s[0] = series("other", "availability", pct, sudden, 5);
    s[0].t_win = early; /* 0 from t=20: before db's slowdown at t=50 */
    assert_first_cause(snap, s, sizeof s / sizeof s[0], SIZE_MAX, "db");

    /* the same shape over 100 seconds: a lead of 30 s is a fault spreading, not a condition
     * the others lived beside (PRE_MIN_US), so other explains web's errors again */
    static const int64_t early_s[] = {0, 10 * MIN_US / 60, 20 * MIN_US / 60, 30 * MIN_US / 60,
                                      40 * MIN_US / 60};
    static const int64_t even_s[] = {0, 25 * MIN_US / 60, 50 * MIN_US / 60, 75 * MIN_US / 60,
                                     100 * MIN_US / 60};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        s[i].t_win = even_s;
    s[0].t_win = early_s;
    assert_first_cause(snap, s, sizeof s / sizeof s[0], SIZE_MAX, "other");

    /* one point ahead again, but the points are 5 minutes apart (a cloud monitor's usual
     * period): other failed over the 5 minutes before db's slowdown, while web was fine. Timed,
     * a point counts by the time it covers, so other is a condition beside the new fault */
    static const int64_t every5[] = {0, 5 * MIN_US, 10 * MIN_US, 15 * MIN_US, 20 * MIN_US};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        s[i].t_win = every5;
    s[0] = series("other", "availability", pct, ahead, 5);
    s[0].t_win = every5;
    assert_first_cause(snap, s, sizeof s / sizeof s[0], SIZE_MAX, "db");
#undef MIN_US
    ls_snap_release(snap);
}

/* app's own code slows (+300 ms) while db, which it calls, is 2 ms slower — twenty spreads of
 * its tight baseline. A callee's delay adds to its caller's, so db accounts for 2 of app's
 * 300 ms: app is the cause, however far db moved in spreads. */
static void test_a_callee_explains_its_callers_delay_up_to_its_own(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    static double tight[NBASE];
    for (int i = 0; i < NBASE; i++)
        tight[i] = 0.010 + 0.0001 * (double)((i * 3) % 5 - 2); /* 9.8-10.2 ms */
    static const double db_win[] = {0.0101, 0.0120, 0.0121};
    static const double app_win[] = {0.100, 0.400, 0.410};
    static const double web_win[] = {0.100, 0.420, 0.430};
    static double base_s[NBASE];
    for (int i = 0; i < NBASE; i++)
        base_s[i] = base_a[i] / 1000.0; /* 95-105 ms */
    struct ls_rca_series s[] = {
        series("db", "latency", tight, db_win, 3),
        series("app", "latency", base_s, app_win, 3),
        series("web", "latency", base_s, web_win, 3),
    };
    assert_first_cause(snap, s, 3, 3, "app");

    /* when db's delay is most of app's, db is the cause */
    static const double db_slow[] = {0.0101, 0.290, 0.300};
    s[0] = series("db", "latency", tight, db_slow, 3);
    assert_first_cause(snap, s, 3, SIZE_MAX, "db");
    ls_snap_release(snap);
}

/* app's own code slows: its median and its p99 rise by 300 ms. db, which it calls, has its
 * p99 up by as much (a few slow queries) and its median unchanged. A callee's tail adds to its
 * caller's tail, not to its median: db accounts for none of app's median, so app is the cause.
 * When db's median rises with app's, db is the cause again. */
static void test_a_callees_tail_does_not_explain_its_callers_median(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    static double db_mid[NBASE], db_tail[NBASE], app_mid[NBASE], app_tail[NBASE];
    for (int i = 0; i < NBASE; i++) {
        double w = (double)((i * 3) % 5 - 2); /* -2..2 */
        db_mid[i] = 0.010 + 0.0001 * w;
        db_tail[i] = 0.050 + 0.002 * w;
        app_mid[i] = base_a[i] / 1000.0; /* 95-105 ms */
        app_tail[i] = 0.300 + 0.005 * w;
    }
    static const double db_mid_win[] = {0.0101, 0.0099, 0.0100};
    static const double db_tail_win[] = {0.050, 0.350, 0.360};
    static const double app_mid_win[] = {0.100, 0.400, 0.410};
    static const double app_tail_win[] = {0.300, 0.600, 0.610};
    static const double web_win[] = {0.100, 0.420, 0.430};
    struct ls_rca_series s[] = {
        series("db", "latency/p50", db_mid, db_mid_win, 3),
        series("db", "latency/p99", db_tail, db_tail_win, 3),
        series("app", "latency/p50", app_mid, app_mid_win, 3),
        series("app", "latency/p99", app_tail, app_tail_win, 3),
        series("web", "latency/p50", app_mid, web_win, 3),
    };
    assert_first_cause(snap, s, 5, 3, "app");

    static const double db_mid_slow[] = {0.0101, 0.300, 0.310};
    s[0] = series("db", "latency/p50", db_mid, db_mid_slow, 3);
    assert_first_cause(snap, s, 5, 3, "db");
    ls_snap_release(snap);
}

/* db is slow (its errors normal) while app, which calls it, fails fast (its latency normal)
 * and web with it: a caller waiting on a slow callee is slow before it times out, so app's
 * failures are its own. When app is slow too, db explains it again. */
static void test_a_slow_callee_does_not_explain_a_caller_that_fails_fast(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    const double *pct = hundreds();
    static const double db_win[] = {101, 400, 410};
    static const double quiet_a[] = {100, 102, 98};
    static const double app_failed[] = {100, 95, 94};
    static const double web_failed[] = {100, 96, 95};
    struct ls_rca_series s[] = {
        series("db", "latency", base_a, db_win, 3),
        series("app", "availability", pct, app_failed, 3),
        series("app", "latency", base_a, quiet_a, 3),
        series("web", "availability", pct, web_failed, 3),
        series("web", "latency", base_a, quiet_a, 3),
    };
    assert_first_cause(snap, s, 5, 3, "app");

    static const double app_slow[] = {100, 420, 430};
    s[2] = series("app", "latency", base_a, app_slow, 3);
    assert_first_cause(snap, s, 5, SIZE_MAX, "db");
    ls_snap_release(snap);
}

/* app starts failing requests (its own load unchanged) and retries them: the requests to
 * cache, which it calls, rise fourfold, and cache fails nothing. cache's rise in load is app's
 * doing and does not account for app's failures: app is the cause. Once cache fails requests
 * too, it accounts for app's. */
static void test_a_consumers_retries_do_not_make_its_provider_the_cause(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    const double *pct = hundreds();
    static const double app_failed[] = {100, 96, 95};
    static const double web_failed[] = {100, 97, 96};
    static const double same_load[] = {20, 21, 19};
    static const double retried[] = {20, 2000, 2200};
    static const double served[] = {100, 100, 100};
    static const double quiet_a[] = {100, 102, 98};
    struct ls_rca_series s[] = {
        series("app", "availability", pct, app_failed, 3),
        series("app", "requests", base_b, same_load, 3),
        series("web", "availability", pct, web_failed, 3),
        series("cache", "requests", base_b, retried, 3),
        series("cache", "availability", pct, served, 3),
        series("cache", "latency", base_a, quiet_a, 3),
    };
    size_t n = sizeof s / sizeof s[0];
    assert_first_cause(snap, s, n, 3, "app");

    static const double cache_failed[] = {100, 90, 85};
    s[4] = series("cache", "availability", pct, cache_failed, 3);
    assert_first_cause(snap, s, n, 3, "cache");
    ls_snap_release(snap);
}

/* Less work reaching a service is its consumers' doing: web is slow and sends app a tenth of
 * its usual requests; app, whose fall in load is the larger excursion and which web relies on,
 * is not the cause. When app also fails requests, that part of it is its own. */
static void test_a_fall_in_load_is_its_consumers_doing(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    static const double web_slow[] = {100, 135, 140};
    static const double app_asked_less[] = {100, 8, 5};
    static const double app_fast[] = {100, 101, 99};
    struct ls_rca_series s[] = {
        series("web", "latency", base_a, web_slow, 3),
        series("app", "requests", base_a, app_asked_less, 3),
        series("app", "latency", base_a, app_fast, 3),
    };
    size_t n = sizeof s / sizeof s[0];
    assert_first_cause(snap, s, n, 2, "web");

    static const double app_failed[] = {100, 80, 75};
    s[2] = series("app", "availability", hundreds(), app_failed, 3);
    assert_first_cause(snap, s, n, 2, "app");
    ls_snap_release(snap);
}

/* A fall in traffic (bytes) is not only less asked: it is as well a path that died (a dead
 * switch under a NIC), and it shows at what relies on it. db's traffic collapses and app, which
 * relies on db, slows: db is the cause. Read as "db was asked less", it would have hurt no one. */
static void test_a_fall_in_traffic_is_a_fault_that_spreads(void **state)
{
    struct ls_graph *g = *state;
    struct ls_snap *snap = ls_graph_snap(g);
    static const double db_less_traffic[] = {100, 8, 5};
    static const double app_slow[] = {100, 160, 170};
    struct ls_rca_series s[] = {
        series("db", "bytes", base_a, db_less_traffic, 3),
        series("app", "latency", base_a, app_slow, 3),
    };
    assert_first_cause(snap, s, 2, 2, "db");
    ls_snap_release(snap);
}

/* The baseline's own incident (a run of points far out, a small share of it) is not what the
 * series looks like normally: a window like it is anomalous. The same points scattered (a
 * heavy tail), or a run too long to be an incident (a regime), stay in the baseline. */
static void test_a_past_incident_in_the_baseline_is_not_its_normal(void **state)
{
    (void)state;
    static const double dip[] = {100, 97, 96.8, 97, 100};
    static double episode[NBASE], scattered[NBASE], regime[NBASE];
    for (int i = 0; i < NBASE; i++) {
        episode[i] = i >= 20 && i < 26 ? 97.0 : 100.0; /* 6 in a row: 10 % */
        scattered[i] = i % 10 == 3 ? 97.0 : 100.0;     /* 6 apart */
        regime[i] = i < 12 ? 97.0 : 100.0;             /* 12 in a row: 20 % */
    }
    struct ls_rca_series s = {.node = "svc",
                              .metric = "availability",
                              .win = dip,
                              .n_win = 5,
                              .n_base = NBASE,
                              .score = -1};
    const double *bases[] = {episode, scattered, regime};
    const size_t want[] = {1, 0, 0};
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    for (size_t k = 0; k < 3; k++) {
        s.base = bases[k];
        struct ls_rca_result r;
        assert_int_equal(ls_rca_rank(NULL, &s, 1, &p, &r, NULL), LS_OK);
        assert_int_equal(r.n_anomalous, want[k]);
        ls_rca_result_cleanup(&r);
        /* summarised, the baseline says the same */
        struct ls_rca_summary sum;
        double scratch[NBASE];
        ls_rca_summarise(bases[k], NBASE, "availability", &p, scratch, &sum);
        struct ls_rca_series t = s;
        t.base = NULL;
        t.n_base = 0;
        t.summary = &sum;
        assert_int_equal(ls_rca_rank(NULL, &t, 1, &p, &r, NULL), LS_OK);
        assert_int_equal(r.n_anomalous, want[k]);
        ls_rca_result_cleanup(&r);
    }
}

/* Without a graph, every anomalous node stands alone; the random baseline is seeded: the same
 * seed gives the same order. */
static void test_no_graph_and_seeded_random(void **state)
{
    (void)state;
    static const double hi[] = {100, 300};
    struct ls_rca_series s[] = {
        series("a", "latency", base_a, hi, 2),
        series("b", "latency", base_a, hi, 2),
        series("c", "latency", base_a, hi, 2),
    };
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r1, r2;
    assert_int_equal(ls_rca_rank(NULL, s, 3, &p, &r1, NULL), LS_OK);
    assert_int_equal(r1.n_causes, 3);
    assert_int_equal(r1.causes[0].n_path, 1);
    ls_rca_result_cleanup(&r1);
    p.method = LS_RCA_RANDOM;
    p.seed = 42;
    assert_int_equal(ls_rca_rank(NULL, s, 3, &p, &r1, NULL), LS_OK);
    assert_int_equal(ls_rca_rank(NULL, s, 3, &p, &r2, NULL), LS_OK);
    assert_int_equal(r1.n_causes, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(r1.causes[i].id, r2.causes[i].id);
    ls_rca_result_cleanup(&r1);
    ls_rca_result_cleanup(&r2);
    p.limit = 1;
    assert_int_equal(ls_rca_rank(NULL, s, 3, &p, &r1, NULL), LS_OK);
    assert_int_equal(r1.n_causes, 1);
    assert_int_equal(r1.n_anomalous, 3);
    ls_rca_result_cleanup(&r1);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    struct ls_rca_result r;
    struct ls_err err;
    struct ls_rca_series s = {.node = NULL, .metric = "cpu", .score = 0.5};
    assert_int_equal(ls_rca_rank(NULL, &s, 1, &p, &r, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_rca");
    assert_int_equal(ls_rca_rank(NULL, NULL, 2, &p, &r, &err), LS_EINVAL);
    s.node = "n";
    /* a baseline summarised for another method than the one ranking */
    static const double base[] = {1, 2, 3}, win[] = {30, 30, 30};
    double scratch[3];
    struct ls_rca_summary sum;
    ls_rca_summarise(base, 3, "cpu", &p, scratch, &sum);
    struct ls_rca_series t = {
        .node = "n", .metric = "cpu", .win = win, .n_win = 3, .summary = &sum, .score = -1};
    p.method = LS_RCA_ZSCORE;
    assert_int_equal(ls_rca_rank(NULL, &t, 1, &p, &r, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_rca");
    assert_non_null(strstr(err.msg, "summarised for method propagation"));
    p.method = LS_RCA_PROPAGATION;
    assert_int_equal(ls_rca_rank(NULL, &t, 1, &p, &r, &err), LS_OK);
    assert_int_equal(r.n_anomalous, 1);
    ls_rca_result_cleanup(&r);
    p.score_threshold = 1.5;
    assert_int_equal(ls_rca_rank(NULL, &s, 1, &p, &r, &err), LS_EINVAL);
    ls_rca_result_cleanup(&r); /* safe after an error */
}

static void test_json_has_the_contract_shape(void **state)
{
    (void)state;
    static const double hi[] = {100, 300};
    struct ls_rca_series s[] = {series("a", "latency", base_a, hi, 2)};
    struct ls_rca_result r;
    assert_int_equal(ls_rca_rank(NULL, s, 1, NULL, &r, NULL), LS_OK);
    json_t *j = ls_rca_result_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "propagation");
    json_t *c = json_array_get(json_object_get(j, "causes"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "id")), "a");
    assert_true(json_is_real(json_object_get(c, "score")));
    assert_string_equal(json_string_value(json_object_get(c, "metric")), "latency");
    assert_true(json_is_string(json_object_get(c, "reason")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "path"), 0)), "a");
    assert_int_equal(json_array_size(json_object_get(j, "anomalous")), 1);
    assert_int_equal(json_object_size(j), 3);
    assert_int_equal(json_object_size(c), 5);
    json_decref(j);
    ls_rca_result_cleanup(&r);
}

/* A rack: sw, with machines m1 and m2 connected_to it; hv1 runs_on m1 and carries vm1, vm2;
 * hv2 runs_on m2 and carries vm3; svc uses vm1 and vm2. */
static int setup_infra(void **state)
{
    fill_bases();
    struct ls_change_set *cs = ls_change_set_new("test");
    static const char *const nodes[][2] = {
        {"sw", "switch"},      {"m1", "machine"},     {"m2", "machine"},
        {"hv1", "hypervisor"}, {"hv2", "hypervisor"}, {"vm1", "instance"},
        {"vm2", "instance"},   {"vm3", "instance"},   {"svc", "service"}};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
        put_node(cs, nodes[i][0], nodes[i][1]);
    put_edge(cs, "m1", LS_EDGE_CONNECTED_TO, "sw");
    put_edge(cs, "m2", LS_EDGE_CONNECTED_TO, "sw");
    put_edge(cs, "hv1", LS_EDGE_RUNS_ON, "m1");
    put_edge(cs, "hv2", LS_EDGE_RUNS_ON, "m2");
    put_edge(cs, "vm1", LS_EDGE_RUNS_ON, "hv1");
    put_edge(cs, "vm2", LS_EDGE_RUNS_ON, "hv1");
    put_edge(cs, "vm3", LS_EDGE_RUNS_ON, "hv2");
    put_edge(cs, "svc", LS_EDGE_USES, "vm1");
    put_edge(cs, "svc", LS_EDGE_USES, "vm2");
    publish(state, cs);
    return 0;
}

static const char *first_cause(const struct ls_snap *snap,
                               const struct ls_rca_series *s,
                               size_t n,
                               enum ls_rca_method m,
                               struct ls_rca_result *r)
{
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    p.method = m;
    assert_int_equal(ls_rca_rank(snap, s, n, &p, r, NULL), LS_OK);
    return r->n_causes ? r->causes[0].id : "";
}

/* A detector's verdict with the value that earned it and the range it left (what an
 * incident's members carry): two VMs on one hypervisor, both scored 1, are told apart by how
 * far each went; a verdict whose value is barely out of its range is still anomalous (the
 * score says so), and a score of 1 alone does not outweigh a value far out. */
static void test_a_verdict_with_its_value_ranks_by_how_far_it_went(void **state)
{
    struct ls_snap *snap = ls_graph_snap(*state);
    struct ls_rca_baseline hog_b = {.center = 65, .spread = 4.3},
                           nb_b = {.center = 35, .spread = 5.5},
                           edge_b = {.center = 50, .spread = 5};
    static const double hog_v[] = {260}, nb_v[] = {96}, edge_v[] = {66};
    struct ls_rca_series s[] = {
        {.node = "vm2", .metric = "cpu", .win = hog_v, .n_win = 1, .learned = &hog_b, .score = 0.5},
        {.node = "vm1", .metric = "cpu", .win = nb_v, .n_win = 1, .learned = &nb_b, .score = 1},
        {.node = "vm3", .metric = "cpu", .win = edge_v, .n_win = 1, .learned = &edge_b, .score = 1},
    };
    struct ls_rca_result r;
    assert_string_equal(first_cause(snap, s, 3, LS_RCA_PROPAGATION, &r), "vm2");
    assert_int_equal(r.n_anomalous, 3); /* vm3: 3.2 spreads out, anomalous by its score */
    ls_rca_result_cleanup(&r);
    /* the scores alone: vm1's 1 beats vm2's 0.5 */
    for (size_t i = 0; i < 3; i++)
        s[i].learned = NULL;
    const char *first = first_cause(snap, s, 3, LS_RCA_PROPAGATION, &r);
    assert_string_not_equal(first, "vm2");
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* The noisy VM's own port carries its traffic: vm1's CPU went 60 spreads up and its port's
 * traffic (collectd's if_octets: load) 20; vm2 beside it on hv1 rose 53. A rise in the port's
 * load (what serves vm1) is vm1's own doing and explains none of vm1's: vm1 is the first
 * cause. (A provider's load explained its consumer's weakly before, which put vm2 first.) */
static void test_a_vms_own_port_traffic_does_not_explain_its_cpu(void **state)
{
    struct ls_change_set *cs = ls_change_set_new("test");
    put_node(cs, "p1", "port");
    put_edge(cs, "p1", LS_EDGE_ATTACHED_TO, "vm1");
    struct ls_graph *g = *state;
    struct ls_prepared *prep;
    assert_int_equal(ls_graph_prepare(g, cs, 5000000, &prep, NULL), LS_OK);
    ls_graph_publish(g, prep, ls_graph_next_revision(g));
    ls_change_set_free(cs);
    struct ls_snap *snap = ls_graph_snap(g);
    struct ls_rca_baseline cpu = {.center = 64, .spread = 3.6},
                           net = {.center = 57000, .spread = 660};
    static const double vm1_cpu[] = {270, 282, 283}, vm2_cpu[] = {250, 255, 260};
    static const double p1_net[] = {68000, 70000, 71000};
    struct ls_rca_series s[] = {
        {.node = "vm1", .metric = "cpu", .win = vm1_cpu, .n_win = 3, .learned = &cpu, .score = -1},
        {.node = "vm2", .metric = "cpu", .win = vm2_cpu, .n_win = 3, .learned = &cpu, .score = -1},
        {.node = "p1",
         .metric = "if_octets.tx",
         .win = p1_net,
         .n_win = 3,
         .learned = &net,
         .score = -1},
    };
    struct ls_rca_result r;
    assert_string_equal(first_cause(snap, s, 3, LS_RCA_PROPAGATION, &r), "vm1");
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* Noisy neighbour: vm1's CPU rises, its hypervisor's a little, and vm2 beside it slows a lot.
 * The load flows from vm1 to hv1 and hv1's contention explains vm2's latency: vm1 is the
 * cause, though vm2's excursion is the largest (the plain z-score names vm2). */
static void test_noisy_neighbour_is_the_load_source(void **state)
{
    struct ls_snap *snap = ls_graph_snap(*state);
    static const double vm1_cpu[] = {60, 61, 62}, hv1_cpu[] = {38, 39, 40};
    static const double vm2_lat[] = {300, 320, 310}, calm_b[] = {20, 21, 19};
    struct ls_rca_series s[] = {
        series("vm1", "cpu", base_b, vm1_cpu, 3),     series("hv1", "cpu", base_b, hv1_cpu, 3),
        series("vm2", "latency", base_a, vm2_lat, 3), series("vm2", "cpu", base_b, calm_b, 3),
        series("m1", "cpu", base_b, calm_b, 3),       series("vm3", "cpu", base_b, calm_b, 3),
    };
    size_t n = sizeof s / sizeof s[0];
    struct ls_rca_result r;
    assert_string_equal(first_cause(snap, s, n, LS_RCA_PROPAGATION, &r), "vm1");
    assert_int_equal(r.n_anomalous, 3);
    ls_rca_result_cleanup(&r);
    assert_string_equal(first_cause(snap, s, n, LS_RCA_ZSCORE, &r), "vm2");
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* Flash traffic: the service's requests double and it slows; the instances it uses work much
 * harder. Their load is explained by their consumer's: the service is the cause. */
static void test_flash_traffic_is_the_entry_point(void **state)
{
    struct ls_snap *snap = ls_graph_snap(*state);
    static const double req[] = {200, 210, 205}, lat[] = {160, 160, 165};
    static const double busy[] = {60, 61, 62};
    struct ls_rca_series s[] = {
        series("svc", "requests", base_a, req, 3),
        series("svc", "latency", base_a, lat, 3),
        series("vm1", "cpu", base_b, busy, 3),
        series("vm2", "cpu", base_b, busy, 3),
    };
    struct ls_rca_result r;
    assert_string_equal(first_cause(snap, s, 4, LS_RCA_PROPAGATION, &r), "svc");
    assert_int_equal(r.n_anomalous, 3);
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* A dead switch sends nothing: its series are silent in the window. The machines behind it
 * lose their traffic and the instances on hv1 (normal itself) slow down. The switch is the
 * cause, said to have gone quiet; a plain z-score cannot see a series that stopped. */
static void test_a_device_that_went_quiet_is_the_cause(void **state)
{
    struct ls_snap *snap = ls_graph_snap(*state);
    static const double gone[] = {5, 4, 6}, slow[] = {400, 420, 410}, calm_b[] = {20, 21, 19};
    struct ls_rca_series s[] = {
        series("sw", "net_bytes", base_a, NULL, 0), series("sw", "errors", base_b, NULL, 0),
        series("m1", "net_bytes", base_a, gone, 3), series("m2", "net_bytes", base_a, gone, 3),
        series("hv1", "cpu", base_b, calm_b, 3),    series("vm1", "latency", base_a, slow, 3),
        series("vm2", "latency", base_a, slow, 3),
    };
    s[0].silent = s[1].silent = true;
    size_t n = sizeof s / sizeof s[0];
    struct ls_rca_result r;
    assert_string_equal(first_cause(snap, s, n, LS_RCA_PROPAGATION, &r), "sw");
    assert_non_null(strstr(r.causes[0].reason, "no sample in the window"));
    ls_rca_result_cleanup(&r);
    assert_string_not_equal(first_cause(snap, s, n, LS_RCA_ZSCORE, &r), "sw");
    for (size_t i = 0; i < r.n_anomalous; i++)
        assert_string_not_equal(r.anomalous[i], "sw");
    ls_rca_result_cleanup(&r);
    /* one series still reporting: the switch is alive, not quiet */
    static const double calm_a[] = {100, 101, 99};
    s[0] = series("sw", "net_bytes", base_a, calm_a, 3);
    assert_int_equal(ls_rca_rank(snap, s, n, NULL, &r, NULL), LS_OK);
    for (size_t i = 0; i < r.n_anomalous; i++)
        assert_string_not_equal(r.anomalous[i], "sw");
    ls_rca_result_cleanup(&r);
    ls_snap_release(snap);
}

/* a and b name the same anomalous nodes, causes, scores, reasons and paths. */
static void assert_same_result(const struct ls_rca_result *a, const struct ls_rca_result *b)
{
    assert_int_equal(a->n_anomalous, b->n_anomalous);
    for (size_t i = 0; i < a->n_anomalous; i++)
        assert_string_equal(a->anomalous[i], b->anomalous[i]);
    assert_int_equal(a->n_causes, b->n_causes);
    for (size_t i = 0; i < a->n_causes; i++) {
        assert_string_equal(a->causes[i].id, b->causes[i].id);
        assert_true(a->causes[i].score == b->causes[i].score);
        assert_string_equal(a->causes[i].metric, b->causes[i].metric);
        assert_string_equal(a->causes[i].reason, b->causes[i].reason);
        assert_true(
            path_is(&b->causes[i], (const char *const *)a->causes[i].path, a->causes[i].n_path));
    }
}

/* The same cases with each baseline summarised (ls_rca_summarise, what the replay over stored
 * samples passes) rank exactly as with its values, under every method: the same anomalous
 * nodes, causes, scores and paths; a silent series with a summary is silent. */
static void test_a_summarised_baseline_ranks_as_its_values(void **state)
{
    struct ls_snap *snap = ls_graph_snap(*state);
    static const double db_win[] = {101, 180, 190}, app_win[] = {99, 200, 210}, gone[] = {5, 4, 6},
                        quiet_b[] = {20, 21, 19};
    struct ls_rca_series s[] = {
        series("db", "latency", base_a, db_win, 3), series("app", "latency", base_a, app_win, 3),
        series("app", "cpu", base_b, quiet_b, 3),   series("sw", "net_bytes", base_a, NULL, 0),
        series("m1", "net_bytes", base_a, gone, 3),
    };
    s[3].silent = true;
    enum { N = sizeof s / sizeof s[0] };
    for (int m = 0; m < LS_RCA_METHOD_COUNT; m++) {
        struct ls_rca_params p;
        ls_rca_params_default(&p);
        p.method = (enum ls_rca_method)m;
        struct ls_rca_series t[N];
        struct ls_rca_summary sum[N];
        double scratch[NBASE];
        for (int i = 0; i < N; i++) {
            ls_rca_summarise(s[i].base, s[i].n_base, s[i].metric, &p, scratch, &sum[i]);
            t[i] = s[i];
            t[i].base = NULL;
            t[i].n_base = 0;
            t[i].summary = &sum[i];
        }
        struct ls_rca_result a, b;
        assert_int_equal(ls_rca_rank(snap, s, N, &p, &a, NULL), LS_OK);
        assert_int_equal(ls_rca_rank(snap, t, N, &p, &b, NULL), LS_OK);
        assert_true(a.n_anomalous > 0);
        assert_same_result(&a, &b);
        if (m == LS_RCA_PROPAGATION)
            assert_string_equal(b.causes[0].id, "sw"); /* quiet with a summary too */
        ls_rca_result_cleanup(&a);
        ls_rca_result_cleanup(&b);
    }
    ls_snap_release(snap);
}

/* 24 machines of 4 instances each; every instance depends_on two others across machines.
 * Machines 0, 5, 10, ... are faulty (CPU up), their instances slow, each one minute later than
 * the last so the onsets differ. */
#define FARM_MACHINES 24
#define FARM_PER      4
#define FARM_NODES    (FARM_MACHINES * (FARM_PER + 1))

static void farm_id(char *out, size_t cap, int i)
{
    if (i % (FARM_PER + 1) == 0)
        snprintf(out, cap, "m%d", i / (FARM_PER + 1));
    else
        snprintf(out, cap, "m%d-vm%d", i / (FARM_PER + 1), i % (FARM_PER + 1));
}

static int setup_farm(void **state)
{
    fill_bases();
    struct ls_change_set *cs = ls_change_set_new("test");
    char id[32], other[32];
    for (int i = 0; i < FARM_NODES; i++) {
        farm_id(id, sizeof id, i);
        put_node(cs, id, i % (FARM_PER + 1) ? "instance" : "machine");
    }
    for (int i = 0; i < FARM_NODES; i++) {
        if (i % (FARM_PER + 1) == 0)
            continue;
        farm_id(id, sizeof id, i);
        farm_id(other, sizeof other, i - i % (FARM_PER + 1));
        put_edge(cs, id, LS_EDGE_RUNS_ON, other);
        for (int d = 1; d <= 2; d++) {
            int j = (i * 31 + d * 17) % FARM_NODES;
            if (j % (FARM_PER + 1) == 0 || j / (FARM_PER + 1) == i / (FARM_PER + 1))
                continue;
            farm_id(other, sizeof other, j);
            put_edge(cs, id, LS_EDGE_DEPENDS_ON, other);
        }
    }
    publish(state, cs);
    return 0;
}

/* However many threads rank it (one, three, more than the anomalous nodes), a landscape with
 * many anomalous nodes gets the same result, under every method. */
static void test_the_ranking_is_the_same_whatever_the_threads(void **state)
{
    struct ls_snap *snap = ls_graph_snap(*state);
    static char ids[FARM_NODES][32];
    static double win[FARM_NODES][8];
    struct ls_rca_series s[FARM_NODES];
    for (int i = 0; i < FARM_NODES; i++) {
        farm_id(ids[i], sizeof ids[i], i);
        int m = i / (FARM_PER + 1);
        bool machine = i % (FARM_PER + 1) == 0, faulty = m % 5 == 0;
        for (int k = 0; k < 8; k++) {
            double calm = machine ? base_b[(i + k) % NBASE] : base_a[(i + k) % NBASE];
            bool hot = faulty && k >= 1 + m / 5 + !machine;
            win[i][k] = hot ? calm * (machine ? 4.0 : 3.0 + 0.1 * (i % 7)) : calm;
        }
        s[i] = series(ids[i], machine ? "cpu" : "latency", machine ? base_b : base_a, win[i], 8);
    }
    for (int m = 0; m < LS_RCA_METHOD_COUNT; m++) {
        struct ls_rca_params p;
        ls_rca_params_default(&p);
        p.method = (enum ls_rca_method)m;
        p.threads = 1;
        struct ls_rca_result one;
        assert_int_equal(ls_rca_rank(snap, s, FARM_NODES, &p, &one, NULL), LS_OK);
        assert_true(one.n_anomalous >= 20);
        assert_true(one.n_causes > 0);
        static const size_t threads[] = {3, 16, 0};
        for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
            p.threads = threads[k];
            struct ls_rca_result more;
            assert_int_equal(ls_rca_rank(snap, s, FARM_NODES, &p, &more, NULL), LS_OK);
            assert_same_result(&one, &more);
            ls_rca_result_cleanup(&more);
        }
        ls_rca_result_cleanup(&one);
    }
    ls_snap_release(snap);
}

static void test_metric_directions_come_from_the_table(void **state)
{
    (void)state;
    assert_int_equal(ls_rca_metric_direction("latency/p99"), 1);
    assert_int_equal(ls_rca_metric_direction("availability"), -1);
    assert_int_equal(ls_rca_metric_direction("requests"), 0);
    enum ls_rca_method m;
    assert_true(ls_rca_method_parse("zscore", &m));
    assert_int_equal(m, LS_RCA_ZSCORE);
    assert_false(ls_rca_method_parse("oracle", &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dependency_fault_is_ranked_first_with_its_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quiet_window_names_no_cause, setup, teardown),
        cmocka_unit_test_setup_teardown(test_learned_baselines_and_scores_find_the_host, setup,
                                        teardown),
        cmocka_unit_test(test_a_score_the_good_way_is_no_evidence),
        cmocka_unit_test(test_a_share_that_never_failed_counts_its_errors),
        cmocka_unit_test_setup_teardown(test_a_cause_explains_symptoms_of_its_own_kind, setup,
                                        teardown),
        cmocka_unit_test_teardown(test_a_chronic_anomaly_is_not_the_new_fault, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_slow_callee_does_not_explain_a_caller_that_fails_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_callee_explains_its_callers_delay_up_to_its_own,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_callees_tail_does_not_explain_its_callers_median,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_consumers_retries_do_not_make_its_provider_the_cause,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_fall_in_load_is_its_consumers_doing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_fall_in_traffic_is_a_fault_that_spreads, setup,
                                        teardown),
        cmocka_unit_test(test_a_past_incident_in_the_baseline_is_not_its_normal),
        cmocka_unit_test_setup_teardown(test_no_graph_and_seeded_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_verdict_with_its_value_ranks_by_how_far_it_went,
                                        setup_infra, teardown),
        cmocka_unit_test_setup_teardown(test_a_vms_own_port_traffic_does_not_explain_its_cpu,
                                        setup_infra, teardown),
        cmocka_unit_test_setup_teardown(test_noisy_neighbour_is_the_load_source, setup_infra,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flash_traffic_is_the_entry_point, setup_infra,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_device_that_went_quiet_is_the_cause, setup_infra,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_summarised_baseline_ranks_as_its_values, setup_infra,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_ranking_is_the_same_whatever_the_threads,
                                        setup_farm, teardown),
        cmocka_unit_test(test_bad_input_is_refused),
        cmocka_unit_test(test_json_has_the_contract_shape),
        cmocka_unit_test(test_metric_directions_come_from_the_table),
    };
    return cmocka_run_group_tests_name("analytics/rca", tests, NULL, NULL);
}
