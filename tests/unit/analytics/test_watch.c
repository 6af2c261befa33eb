/* analytics/watch: detectors per (node, series) fed sample by sample, colours on the data's
 * clock (a node with only old samples turns grey as others' samples move time on), bounds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analytics/watch.h"

#define MIN (60 * INT64_C(1000000))
#define T0  (INT64_C(1700000000) * 1000000)

static struct ls_watch *watch(size_t max_series)
{
    struct ls_anomaly_params ap;
    struct ls_colour_params cp;
    ls_anomaly_params_default(&ap);
    ls_colour_params_default(&cp);
    return ls_watch_new(&ap, &cp, max_series);
}

/* A deterministic wiggle: never the same twice in a row, within +-1. */
static double wiggle(int i)
{
    return sin(i * 1.7) + 0.3 * cos(i * 0.37);
}

static const char *colour_of(json_t *node)
{
    return json_string_value(json_object_get(node, "colour"));
}

/* Two nodes learn; one spikes: it alone is red, with its reason; the other stays green. */
static void test_spike_turns_its_node_red_with_a_reason(void **state)
{
    (void)state;
    struct ls_watch *w = watch(0);
    struct ls_err err = {0};
    int i = 0;
    for (; i < 1500; i++) {
        assert_int_equal(ls_watch_feed(w, "vm-a", "cpu", T0 + i * MIN, 50 + wiggle(i), NULL, &err),
                         LS_OK);
        assert_int_equal(
            ls_watch_feed(w, "vm-b", "cpu", T0 + i * MIN, 20 + wiggle(i + 7), NULL, &err), LS_OK);
    }
    json_t *a = ls_watch_node_json(w, "vm-a");
    assert_string_equal(colour_of(a), "green");
    json_decref(a);
    struct ls_anomaly_result r;
    assert_int_equal(ls_watch_feed(w, "vm-a", "cpu", T0 + i * MIN, 90, &r, &err), LS_OK);
    assert_true(r.score >= 0.82);
    assert_int_equal(ls_watch_feed(w, "vm-b", "cpu", T0 + i * MIN, 20, NULL, &err), LS_OK);
    a = ls_watch_node_json(w, "vm-a");
    assert_string_equal(colour_of(a), "red");
    json_t *reason = json_array_get(json_object_get(a, "reasons"), 0);
    assert_string_equal(json_string_value(json_object_get(reason, "metric")), "cpu");
    assert_true(json_real_value(json_object_get(reason, "value")) == 90);
    json_decref(a);
    json_t *reds = ls_watch_colours_json(w, "red");
    json_t *nodes = json_object_get(reds, "nodes");
    assert_int_equal(json_array_size(nodes), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0), "id")), "vm-a");
    json_decref(reds);
    json_t *all = ls_watch_colours_json(w, NULL);
    nodes = json_object_get(all, "nodes");
    assert_int_equal(json_array_size(nodes), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 1), "id")),
                        "vm-b"); /* sorted by id */
    json_decref(all);
    assert_null(ls_watch_node_json(w, "nobody"));
    ls_watch_free(w);
}

/* The clock is the data's: a node whose samples stop turns grey once others' samples are
 * more than the stale bound (15 min) newer. */
static void test_silent_node_turns_grey_on_the_data_clock(void **state)
{
    (void)state;
    struct ls_watch *w = watch(0);
    struct ls_err err = {0};
    for (int i = 0; i < 300; i++) {
        assert_int_equal(
            ls_watch_feed(w, "host-1", "load", T0 + i * MIN, 1 + wiggle(i) / 4, NULL, &err), LS_OK);
        if (i < 100)
            assert_int_equal(
                ls_watch_feed(w, "host-2", "load", T0 + i * MIN, 2 + wiggle(i) / 4, NULL, &err),
                LS_OK);
    }
    assert_true(ls_watch_now(w) == T0 + 299 * MIN);
    json_t *j = ls_watch_node_json(w, "host-2");
    assert_string_equal(colour_of(j), "grey");
    json_decref(j);
    j = ls_watch_node_json(w, "host-1");
    assert_string_equal(colour_of(j), "green");
    json_decref(j);
    ls_watch_free(w);
}

static const char *first_detector(json_t *node)
{
    json_t *r = json_array_get(json_object_get(node, "reasons"), 0);
    return r ? json_string_value(json_object_get(r, "detector")) : "";
}

/* A link that loses 95 % of its traffic and stays down: red while the detector scores the
 * drop, then yellow ("still_shifted", with the range it left and since when) after the
 * detector has taken the new level as normal, for as long as it stays there (up to an hour);
 * green again once the traffic is back. Without the hold it turned green within a minute of
 * samples while the link was still down (the demo's tor_failure). */
static void test_a_level_that_stays_shifted_keeps_its_node_yellow(void **state)
{
    (void)state;
    struct ls_watch *w = watch(0);
    struct ls_err err = {0};
    int i = 0;
    for (; i < 1500; i++)
        assert_int_equal(
            ls_watch_feed(w, "port", "tx_bytes", T0 + i * MIN, 1000 + 10 * wiggle(i), NULL, &err),
            LS_OK);
    json_t *j = ls_watch_node_json(w, "port");
    assert_string_equal(colour_of(j), "green");
    json_decref(j);
    int red_at = -1;
    bool adapted = false;
    for (int k = 0; k < 50; k++, i++) { /* 50 minutes down */
        assert_int_equal(
            ls_watch_feed(w, "port", "tx_bytes", T0 + i * MIN, 50 + wiggle(i), NULL, &err), LS_OK);
        j = ls_watch_node_json(w, "port");
        if (red_at < 0 && strcmp(colour_of(j), "red") == 0)
            red_at = k;
        if (red_at >= 0) /* never green while down */
            assert_string_not_equal(colour_of(j), "green");
        if (red_at >= 0 && strcmp(first_detector(j), "still_shifted") == 0) {
            /* the detector moved on: the hold speaks, with the range the level left */
            assert_string_equal(colour_of(j), "yellow");
            json_t *r = json_array_get(json_object_get(j, "reasons"), 0);
            assert_true(json_real_value(json_array_get(json_object_get(r, "expected"), 0)) > 900);
            assert_true(json_is_string(json_object_get(r, "since")));
            adapted = true;
        }
        json_decref(j);
    }
    assert_true(red_at >= 0 && red_at < 3);
    assert_true(adapted);
    for (int k = 0; k < 20; k++, i++) /* back up */
        assert_int_equal(
            ls_watch_feed(w, "port", "tx_bytes", T0 + i * MIN, 1000 + 10 * wiggle(i), NULL, &err),
            LS_OK);
    j = ls_watch_node_json(w, "port");
    assert_string_not_equal(first_detector(j), "still_shifted");
    json_decref(j);

    /* down for good: after shift_us (an hour) the new level is the new normal */
    for (int k = 0; k < 200; k++, i++)
        assert_int_equal(
            ls_watch_feed(w, "port", "tx_bytes", T0 + i * MIN, 50 + wiggle(i), NULL, &err), LS_OK);
    j = ls_watch_node_json(w, "port");
    assert_string_equal(colour_of(j), "green");
    json_decref(j);
    ls_watch_free(w);
}

/* Bounds and refusals: series per node, name length, NaN, time going back. */
static void test_bounds_and_bad_samples_are_refused(void **state)
{
    (void)state;
    struct ls_watch *w = watch(2);
    struct ls_err err = {0};
    assert_int_equal(ls_watch_feed(w, "n", "a", T0, 1, NULL, &err), LS_OK);
    assert_int_equal(ls_watch_feed(w, "n", "b", T0, 1, NULL, &err), LS_OK);
    assert_int_equal(ls_watch_feed(w, "n", "c", T0, 1, NULL, &err), LS_ELIMIT);
    assert_string_equal(err.code, "too_many_series");
    assert_int_equal(ls_watch_feed(w, "m", "c", T0, 1, NULL, &err), LS_OK); /* per node */
    char longname[LS_WATCH_METRIC_MAX + 1];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(ls_watch_feed(w, "m", longname, T0, 1, NULL, &err), LS_ELIMIT);
    assert_int_equal(ls_watch_feed(w, "n", "a", T0 + MIN, NAN, NULL, &err), LS_EINVAL);
    assert_int_equal(ls_watch_feed(w, "n", "a", T0 - MIN, 1, NULL, &err), LS_EINVAL);
    assert_string_equal(err.code, "out_of_order");
    assert_true(ls_watch_now(w) == T0);
    ls_watch_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spike_turns_its_node_red_with_a_reason),
        cmocka_unit_test(test_silent_node_turns_grey_on_the_data_clock),
        cmocka_unit_test(test_a_level_that_stays_shifted_keeps_its_node_yellow),
        cmocka_unit_test(test_bounds_and_bad_samples_are_refused),
    };
    return cmocka_run_group_tests_name("analytics/watch", tests, NULL, NULL);
}
