/* model/telemetry and model/alias: live state semantics, counters, duplicates, aliases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "model/alias.h"
#include "model/telemetry.h"

#define S 1000000LL

static double num(json_t *o, const char *metric, const char *key)
{
    return json_number_value(json_object_get(json_object_get(o, metric), key));
}

static void test_gauges_keep_last_mean_and_recent_points(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    assert_int_equal(ls_telemetry_apply(t, "n1", "mem", "", "MiB", 0, 100, 10 * S), LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "n1", "mem", "", "MiB", 0, 200, 20 * S), LS_TEL_APPLIED);
    json_t *o = ls_telemetry_node_json(t, "n1", NULL, 0, 0);
    assert_true(num(o, "mem", "last") == 200);
    assert_true(num(o, "mem", "mean") == 120); /* EWMA, alpha 0.2 */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "mem"), "count")), 2);
    assert_int_equal(json_array_size(json_object_get(json_object_get(o, "mem"), "recent")), 2);
    json_decref(o);
    /* a window: only the second point */
    o = ls_telemetry_node_json(t, "n1", "mem", 15 * S, 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(o, "mem"), "recent")), 1);
    json_decref(o);
    assert_null(ls_telemetry_node_json(t, "nobody", NULL, 0, 0));
    ls_telemetry_free(t);
}

static void test_step_groups_recent_points_into_buckets(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    ls_telemetry_apply(t, "n", "load", "", "", 0, 100, 10 * S);
    ls_telemetry_apply(t, "n", "load", "", "", 0, 200, 20 * S);
    ls_telemetry_apply(t, "n", "load", "", "", 0, 300, 70 * S);
    json_t *o = ls_telemetry_node_json_step(t, "n", NULL, 0, 0, 60 * S);
    json_t *r = json_object_get(json_object_get(o, "load"), "recent");
    assert_int_equal(json_array_size(r), 2);
    json_t *b0 = json_array_get(r, 0), *b1 = json_array_get(r, 1);
    assert_string_equal(json_string_value(json_array_get(b0, 0)), "1970-01-01T00:00:00Z");
    assert_true(json_real_value(json_array_get(b0, 1)) == 150);
    assert_true(json_real_value(json_array_get(b0, 2)) == 100);
    assert_true(json_real_value(json_array_get(b0, 3)) == 200);
    assert_int_equal(json_integer_value(json_array_get(b0, 4)), 2);
    assert_string_equal(json_string_value(json_array_get(b1, 0)), "1970-01-01T00:01:00Z");
    assert_true(json_real_value(json_array_get(b1, 1)) == 300);
    assert_int_equal(json_integer_value(json_array_get(b1, 4)), 1);
    json_decref(o);
    ls_telemetry_free(t);
}

static void test_the_same_sample_twice_changes_nothing(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    assert_int_equal(ls_telemetry_apply(t, "n1", "cpu", "", "%", 0, 50, 10 * S), LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "n1", "cpu", "", "%", 0, 50, 10 * S), LS_TEL_DUPLICATE);
    assert_int_equal(ls_telemetry_apply(t, "n1", "cpu", "", "%", 0, 99, 5 * S), LS_TEL_DUPLICATE);
    json_t *o = ls_telemetry_node_json(t, "n1", NULL, 0, 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "cpu"), "count")), 1);
    assert_true(num(o, "cpu", "last") == 50);
    json_decref(o);
    ls_telemetry_free(t);
}

static void test_counters_become_rates_and_a_decrease_is_a_reset(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    assert_int_equal(ls_telemetry_apply(t, "vm", "rx", "tap1", "B", 1, 1000, 10 * S),
                     LS_TEL_BASELINE);
    assert_int_equal(ls_telemetry_apply(t, "vm", "rx", "tap1", "B", 1, 3000, 20 * S),
                     LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "vm", "rx", "tap1", "B", 1, 3000, 20 * S),
                     LS_TEL_DUPLICATE);
    /* the VM rebooted: the counter starts over */
    assert_int_equal(ls_telemetry_apply(t, "vm", "rx", "tap1", "B", 1, 10, 30 * S),
                     LS_TEL_BASELINE);
    assert_int_equal(ls_telemetry_apply(t, "vm", "rx", "tap1", "B", 1, 510, 40 * S),
                     LS_TEL_APPLIED);
    json_t *o = ls_telemetry_node_json(t, "vm", NULL, 0, 0);
    json_t *rx = json_object_get(o, "rx/tap1");
    assert_non_null(rx);
    assert_true(json_number_value(json_object_get(rx, "last")) == 50); /* 500 B over 10 s */
    assert_string_equal(json_string_value(json_object_get(rx, "unit")), "B/s");
    assert_int_equal(json_array_size(json_object_get(rx, "recent")), 2); /* 200 B/s, 50 B/s */
    json_decref(o);
    size_t nodes, series;
    ls_telemetry_counts(t, &nodes, &series);
    assert_int_equal(nodes, 1);
    assert_int_equal(series, 1);
    ls_telemetry_free(t);
}

/* Finite values far apart must not make the statistics or a rate infinite: JSON has no
 * infinity, and the node's telemetry would vanish from its answer. */
static void test_extreme_finite_values_keep_the_state_finite(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    assert_int_equal(ls_telemetry_apply(t, "n1", "g", "", "", 0, 1e308, 10 * S), LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "n1", "g", "", "", 0, -1.7e308, 11 * S), LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "n1", "c", "", "", 1, 0, 10 * S), LS_TEL_BASELINE);
    /* 1.7e308 in a microsecond: no double holds the rate; a new baseline */
    assert_int_equal(ls_telemetry_apply(t, "n1", "c", "", "", 1, 1.7e308, 10 * S + 1),
                     LS_TEL_BASELINE);
    assert_int_equal(ls_telemetry_apply(t, "n1", "c", "", "", 1, 1.7e308, 11 * S), LS_TEL_APPLIED);
    json_t *o = ls_telemetry_node_json(t, "n1", NULL, 0, 0);
    assert_non_null(o);
    assert_true(num(o, "g", "last") == -1.7e308);
    assert_true(isfinite(num(o, "g", "mean")) && isfinite(num(o, "g", "stddev")));
    assert_non_null(json_object_get(o, "c"));
    assert_true(num(o, "c", "last") == 0);
    json_decref(o);
    ls_telemetry_free(t);
}

static void test_aliases_follow_node_attrs(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("t");
    assert_int_equal(ls_change_put_node_new(cs, "nova:instance:a", "instance", "", "",
                                            json_pack("{s:[s,s]}", "aliases", "instance-1", "x"),
                                            NULL, NULL),
                     LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    struct ls_alias *a = ls_alias_new(g); /* indexes what exists */
    char id[64];
    assert_true(ls_alias_lookup(a, "instance-1", id, sizeof(id)));
    assert_string_equal(id, "nova:instance:a");
    /* aliases change with the node */
    cs = ls_change_set_new("t");
    assert_int_equal(ls_change_put_node_new(cs, "nova:instance:a", "instance", "", "",
                                            json_pack("{s:[s]}", "aliases", "instance-2"), NULL,
                                            NULL),
                     LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    assert_false(ls_alias_lookup(a, "instance-1", id, sizeof(id)));
    assert_true(ls_alias_lookup(a, "instance-2", id, sizeof(id)));
    ls_alias_put_manual(a, "web.example", "nova:instance:a");
    assert_true(ls_alias_lookup(a, "web.example", id, sizeof(id)));
    assert_int_equal(ls_alias_count(a), 2);
    cs = ls_change_set_new("t");
    ls_change_del_node(cs, "nova:instance:a");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    assert_false(ls_alias_lookup(a, "instance-2", id, sizeof(id)));
    ls_graph_free(g);
    ls_alias_free(a);
}

static void test_a_node_has_at_most_max_series_and_existing_ones_keep_updating(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    ls_telemetry_set_max_series(t, 3);
    char name[16];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        assert_int_equal(ls_telemetry_apply(t, "n", name, "", "", 0, i, 10 * S), LS_TEL_APPLIED);
    }
    /* a fourth series is refused and counted; another node still gets its own */
    assert_int_equal(ls_telemetry_apply(t, "n", "m3", "", "", 0, 3, 10 * S), LS_TEL_REFUSED);
    assert_int_equal(ls_telemetry_apply(t, "n", "m0", "eth0", "", 0, 3, 10 * S), LS_TEL_REFUSED);
    assert_int_equal(ls_telemetry_refused(t, LS_TEL_REFUSED_SERIES_LIMIT), 2);
    assert_string_equal(ls_telemetry_refused_name(LS_TEL_REFUSED_SERIES_LIMIT), "series_limit");
    assert_int_equal(ls_telemetry_apply(t, "other", "m3", "", "", 0, 3, 10 * S), LS_TEL_APPLIED);
    /* the existing ones keep taking values */
    assert_int_equal(ls_telemetry_apply(t, "n", "m1", "", "", 0, 42, 20 * S), LS_TEL_APPLIED);
    json_t *o = ls_telemetry_node_json(t, "n", NULL, 0, 0);
    assert_int_equal(json_object_size(o), 3);
    assert_null(json_object_get(o, "m3"));
    assert_true(num(o, "m1", "last") == 42);
    json_decref(o);
    size_t nodes, series;
    ls_telemetry_counts(t, &nodes, &series);
    assert_int_equal(nodes, 2);
    assert_int_equal(series, 4);
    ls_telemetry_free(t);
}

static void put_host(struct ls_graph *g, const char *id, bool del)
{
    struct ls_change_set *cs = ls_change_set_new("t");
    if (del)
        ls_change_del_node(cs, id);
    else
        PUT_NODE(cs, id, "machine", id);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
}

static void test_a_deleted_nodes_state_goes_with_it(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_telemetry *t = ls_telemetry_new();
    ls_telemetry_follow(t, g);
    put_host(g, "host:machine:a", false);
    put_host(g, "host:machine:b", false);
    assert_int_equal(ls_telemetry_apply(t, "host:machine:a", "cpu", "", "%", 0, 1, 10 * S),
                     LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "host:machine:a", "mem", "", "B", 0, 1, 10 * S),
                     LS_TEL_APPLIED);
    assert_int_equal(ls_telemetry_apply(t, "host:machine:b", "cpu", "", "%", 0, 1, 10 * S),
                     LS_TEL_APPLIED);
    /* no state for a node the graph does not have */
    assert_int_equal(ls_telemetry_apply(t, "host:machine:zz", "cpu", "", "%", 0, 1, 10 * S),
                     LS_TEL_REFUSED);
    assert_int_equal(ls_telemetry_refused(t, LS_TEL_REFUSED_UNKNOWN_NODE), 1);
    size_t nodes, series;
    ls_telemetry_counts(t, &nodes, &series);
    assert_int_equal(nodes, 2);
    assert_int_equal(series, 3);
    put_host(g, "host:machine:a", true);
    ls_telemetry_counts(t, &nodes, &series);
    assert_int_equal(nodes, 1);
    assert_int_equal(series, 1);
    assert_null(ls_telemetry_node_json(t, "host:machine:a", NULL, 0, 0));
    /* a late sample for the deleted node makes nothing */
    assert_int_equal(ls_telemetry_apply(t, "host:machine:a", "cpu", "", "%", 0, 2, 20 * S),
                     LS_TEL_REFUSED);
    ls_telemetry_counts(t, &nodes, &series);
    assert_int_equal(nodes, 1);
    /* created again, it starts afresh */
    put_host(g, "host:machine:a", false);
    assert_int_equal(ls_telemetry_apply(t, "host:machine:a", "cpu", "", "%", 0, 3, 30 * S),
                     LS_TEL_APPLIED);
    json_t *o = ls_telemetry_node_json(t, "host:machine:a", NULL, 0, 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "cpu"), "count")), 1);
    json_decref(o);
    /* many nodes come and go: the state holds only the live ones */
    char id[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof(id), "host:machine:c%d", i);
        put_host(g, id, false);
        assert_int_equal(ls_telemetry_apply(t, id, "cpu", "", "%", 0, i, 10 * S), LS_TEL_APPLIED);
        put_host(g, id, true);
    }
    ls_telemetry_counts(t, &nodes, &series);
    assert_int_equal(nodes, 2);
    assert_int_equal(series, 2);
    ls_telemetry_free(t);
    ls_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gauges_keep_last_mean_and_recent_points),
        cmocka_unit_test(test_step_groups_recent_points_into_buckets),
        cmocka_unit_test(test_the_same_sample_twice_changes_nothing),
        cmocka_unit_test(test_counters_become_rates_and_a_decrease_is_a_reset),
        cmocka_unit_test(test_extreme_finite_values_keep_the_state_finite),
        cmocka_unit_test(test_aliases_follow_node_attrs),
        cmocka_unit_test(test_a_node_has_at_most_max_series_and_existing_ones_keep_updating),
        cmocka_unit_test(test_a_deleted_nodes_state_goes_with_it),
    };
    return cmocka_run_group_tests_name("model/telemetry", tests, NULL, NULL);
}
