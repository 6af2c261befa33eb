/* model/samples: past points kept in order, duplicates and the retention horizon on the
 * data's clock, the point bound, counters read as rates, and the telemetry hook. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/map.h"
#include "model/samples.h"
#include "model/telemetry.h"

#define S INT64_C(1000000)

struct got {
    char key[64];
    size_t n, calls;
    int64_t t[16];
    double v[16];
};

static void
collect(const char *node, const char *key, const int64_t *t, const double *v, size_t n, void *arg)
{
    (void)node;
    struct got *g = arg;
    snprintf(g->key, sizeof g->key, "%s", key);
    g->calls++;
    for (size_t i = 0; i < n && g->n < 16; i++, g->n++) {
        g->t[g->n] = t[i];
        g->v[g->n] = v[i];
    }
}

static void test_past_points_are_kept_in_time_order(void **state)
{
    (void)state;
    struct ls_samples *s = ls_samples_new(3600 * S, 100);
    assert_int_equal(ls_samples_add(s, "n", "cpu", false, 3, 30 * S), LS_SAMPLES_ADDED);
    assert_int_equal(ls_samples_add(s, "n", "cpu", false, 1, 10 * S), LS_SAMPLES_ADDED);
    assert_int_equal(ls_samples_add(s, "n", "cpu", false, 2, 20 * S), LS_SAMPLES_ADDED);
    assert_int_equal(ls_samples_add(s, "n", "cpu", false, 9, 20 * S), LS_SAMPLES_DUPLICATE);
    assert_int_equal(ls_samples_add(s, "n", "cpu", false, NAN, 25 * S), LS_SAMPLES_INVALID);
    struct got g = {0};
    assert_int_equal(ls_samples_range(s, NULL, 0, 100 * S, collect, &g), 1);
    assert_int_equal(g.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g.t[i], (i + 1) * 10 * S);
        assert_true(g.v[i] == i + 1);
    }
    /* [from, to): 20 s included, 30 s not */
    memset(&g, 0, sizeof g);
    ls_samples_range(s, "n", 20 * S, 30 * S, collect, &g);
    assert_int_equal(g.n, 1);
    assert_true(g.v[0] == 2);
    memset(&g, 0, sizeof g);
    assert_int_equal(ls_samples_range(s, "other", 0, 100 * S, collect, &g), 0);
    ls_samples_free(s);
}

static void test_retention_follows_the_newest_sample_and_bound_refuses(void **state)
{
    (void)state;
    struct ls_samples *s = ls_samples_new(60 * S, 3);
    assert_int_equal(ls_samples_add(s, "a", "m", false, 1, 1000 * S), LS_SAMPLES_ADDED);
    assert_int_equal(ls_samples_add(s, "b", "m", false, 1, 1030 * S), LS_SAMPLES_ADDED);
    assert_int_equal(ls_samples_add(s, "a", "m", false, 1, 900 * S), LS_SAMPLES_EXPIRED);
    assert_int_equal(ls_samples_add(s, "a", "m", false, 1, 1040 * S), LS_SAMPLES_ADDED);
    assert_int_equal(ls_samples_add(s, "c", "m", false, 1, 1050 * S), LS_SAMPLES_FULL);
    struct ls_samples_stats st;
    ls_samples_stats(s, &st);
    assert_int_equal(st.points, 3);
    assert_int_equal(st.refused_full, 1);
    assert_int_equal(st.newest_us, 1050 * S);
    /* the clock moves to 1100 s: a's point at 1000 s and b's at 1030 s fall out — not read
     * even before they are pruned */
    assert_int_equal(ls_samples_add(s, "a", "m", false, 1, 1100 * S), LS_SAMPLES_ADDED);
    struct got g = {0};
    assert_int_equal(ls_samples_range(s, NULL, 0, 2000 * S, collect, &g), 1);
    assert_string_equal(g.key, "m");
    assert_int_equal(g.n, 2);
    assert_true(g.t[0] == 1040 * S && g.t[1] == 1100 * S);
    ls_samples_prune(s);
    ls_samples_stats(s, &st);
    assert_int_equal(st.points, 2);
    assert_int_equal(st.series, 1); /* b had nothing left (c was never made) */
    ls_samples_free(s);
}

static void test_counters_read_as_rates_with_resets(void **state)
{
    (void)state;
    struct ls_samples *s = ls_samples_new(3600 * S, 100);
    ls_samples_add(s, "n", "rx", true, 100, 10 * S);
    ls_samples_add(s, "n", "rx", true, 300, 20 * S);
    ls_samples_add(s, "n", "rx", true, 50, 30 * S); /* reset */
    struct got g = {0};
    ls_samples_range(s, NULL, 0, 100 * S, collect, &g);
    assert_int_equal(g.n, 2);
    assert_true(fabs(g.v[0] - 20) < 1e-9);
    assert_true(fabs(g.v[1] - 5) < 1e-9);
    ls_samples_free(s);
}

struct spans_got {
    size_t calls, n[2];
    double first[2]; /* each span's first value (NAN: none) */
};

static void spans_collect(const char *node,
                          const char *key,
                          const int64_t *const *t,
                          const double *const *v,
                          const size_t *n,
                          void *arg)
{
    (void)node;
    (void)key;
    (void)t;
    struct spans_got *g = arg;
    g->calls++;
    for (int k = 0; k < 2; k++) {
        g->n[k] += n[k];
        if (n[k])
            g->first[k] = v[k][0];
    }
}

/* Two windows in one sweep: each series once, with its points in each ([from, to) as for one
 * window; a counter's rate in the second window comes from the point before it), a series
 * with points in neither is not visited, and a bad number of windows visits nothing. */
static void test_two_windows_in_one_sweep(void **state)
{
    (void)state;
    struct ls_samples *s = ls_samples_new(3600 * S, 100);
    for (int i = 0; i < 6; i++)
        ls_samples_add(s, "n", "rx", true, 100.0 * (i + 1), (10 + 10 * i) * S);
    ls_samples_add(s, "n", "cpu", false, 7, 15 * S);   /* first window only */
    ls_samples_add(s, "n", "mem", false, 7, 1000 * S); /* neither */
    const int64_t spans[2][2] = {{10 * S, 30 * S}, {40 * S, 70 * S}};
    struct spans_got g = {.first = {NAN, NAN}};
    assert_int_equal(ls_samples_range_spans(s, NULL, spans, 2, spans_collect, &g), 2);
    assert_int_equal(g.calls, 2);
    /* rx: 10 s has no earlier point (no rate), 20 s in the first; 40-60 s in the second */
    assert_int_equal(g.n[0], 1 + 1);
    assert_int_equal(g.n[1], 3);
    assert_true(fabs(g.first[1] - 10) < 1e-9); /* (400 - 300) / 10 s */
    assert_int_equal(ls_samples_range_spans(s, NULL, spans, 0, spans_collect, &g), 0);
    assert_int_equal(
        ls_samples_range_spans(s, NULL, spans, LS_SAMPLES_MAX_SPANS + 1, spans_collect, &g), 0);
    ls_samples_free(s);
}

/* The series visited, in order: "node key n sum" lines. */
struct seen {
    char lines[256][64];
    size_t n;
};

static void seen_collect(const char *node,
                         const char *key,
                         const int64_t *const *t,
                         const double *const *v,
                         const size_t *n,
                         void *arg)
{
    (void)t;
    struct seen *g = arg;
    double sum = 0;
    for (size_t i = 0; i < n[0]; i++)
        sum += v[0][i];
    assert_true(g->n < 256);
    snprintf(g->lines[g->n++], 64, "%s %s %zu %.0f", node, key, n[0], sum);
}

/* A store swept in parts: the parts between them visit every series once, in the order of one
 * sweep, with its points whole (series grown to 40 points, some given out of order, so each
 * moved as it grew); a bad part or number of parts visits nothing. */
static void test_parts_sweep_what_one_sweep_does(void **state)
{
    (void)state;
    struct ls_samples *s = ls_samples_new(3600 * S, 100000);
    char node[32];
    for (int i = 0; i < 200; i++) {
        snprintf(node, sizeof node, "node-%d", i);
        int points = 1 + i % 40;
        for (int k = points - 1; k >= 0; k -= 2) /* every other point backwards, then the rest */
            assert_int_equal(
                ls_samples_add(s, node, i % 3 ? "cpu" : "latency/p99", false, k + 1, (10 + k) * S),
                LS_SAMPLES_ADDED);
        for (int k = points - 2; k >= 0; k -= 2)
            assert_int_equal(
                ls_samples_add(s, node, i % 3 ? "cpu" : "latency/p99", false, k + 1, (10 + k) * S),
                LS_SAMPLES_ADDED);
    }
    const int64_t span[1][2] = {{0, 3600 * S}};
    static struct seen one, parts;
    one.n = 0;
    assert_int_equal(ls_samples_range_spans(s, NULL, span, 1, seen_collect, &one), 200);
    for (size_t i = 0; i < one.n; i++) { /* node-i has 1 + i % 40 points valued 1.. */
        int id, n, sum;
        char key[32];
        assert_int_equal(sscanf(one.lines[i], "node-%d %31s %d %d", &id, key, &n, &sum), 4);
        assert_int_equal(n, 1 + id % 40);
        assert_int_equal(sum, n * (n + 1) / 2);
        assert_string_equal(key, id % 3 ? "cpu" : "latency/p99");
    }
    static const size_t n_parts[] = {1, 3, 7, LS_SAMPLES_MAX_PARTS};
    for (size_t c = 0; c < sizeof n_parts / sizeof n_parts[0]; c++) {
        parts.n = 0;
        size_t visited = 0;
        for (size_t k = 0; k < n_parts[c]; k++)
            visited +=
                ls_samples_range_spans_part(s, NULL, span, 1, k, n_parts[c], seen_collect, &parts);
        assert_int_equal(visited, 200);
        assert_int_equal(parts.n, one.n);
        for (size_t i = 0; i < one.n; i++)
            assert_string_equal(parts.lines[i], one.lines[i]);
    }
    /* a set of nodes: their series only, the same lines as the full sweep's, across parts */
    struct ls_map only;
    ls_map_init(&only);
    for (int i = 0; i < 200; i += 7) {
        snprintf(node, sizeof node, "node-%d", i);
        ls_map_put(&only, node, &only);
    }
    ls_map_put(&only, "no-such-node", &only);
    parts.n = 0;
    size_t visited = 0;
    for (size_t k = 0; k < 3; k++)
        visited += ls_samples_range_spans_part(s, &only, span, 1, k, 3, seen_collect, &parts);
    assert_int_equal(visited, 29); /* node-0, node-7, ..., node-196 */
    for (size_t i = 0, j = 0; i < one.n; i++) {
        int id;
        assert_int_equal(sscanf(one.lines[i], "node-%d", &id), 1);
        if (id % 7 == 0)
            assert_string_equal(parts.lines[j++], one.lines[i]);
    }
    ls_map_cleanup(&only);
    assert_int_equal(ls_samples_range_spans_part(s, NULL, span, 1, 3, 3, seen_collect, &parts), 0);
    assert_int_equal(ls_samples_range_spans_part(s, NULL, span, 1, 0, 0, seen_collect, &parts), 0);
    assert_int_equal(ls_samples_range_spans_part(s, NULL, span, 1, 0, LS_SAMPLES_MAX_PARTS + 1,
                                                 seen_collect, &parts),
                     0);
    ls_samples_free(s);
}

/* Through the live state: a past sample the live state ignores as a duplicate is still kept. */
static void test_telemetry_feeds_every_sample(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    struct ls_samples *s = ls_samples_new(3600 * S, 100);
    ls_telemetry_set_samples(t, s);
    assert_int_equal(ls_telemetry_apply(t, "n", "lat", "p99", "s", 0, 2, 20 * S), LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "n", "lat", "p99", "s", 0, 1, 10 * S), LS_TEL_DUPLICATE);
    struct got g = {0};
    ls_samples_range(s, "n", 0, 100 * S, collect, &g);
    assert_string_equal(g.key, "lat/p99");
    assert_int_equal(g.n, 2);
    assert_true(g.v[0] == 1 && g.v[1] == 2);
    ls_telemetry_free(t);
    ls_samples_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_past_points_are_kept_in_time_order),
        cmocka_unit_test(test_retention_follows_the_newest_sample_and_bound_refuses),
        cmocka_unit_test(test_counters_read_as_rates_with_resets),
        cmocka_unit_test(test_two_windows_in_one_sweep),
        cmocka_unit_test(test_parts_sweep_what_one_sweep_does),
        cmocka_unit_test(test_telemetry_feeds_every_sample),
    };
    return cmocka_run_group_tests_name("model/samples", tests, NULL, NULL);
}
