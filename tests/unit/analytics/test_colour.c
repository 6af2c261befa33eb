/* analytics/colour: thresholds, staleness (grey), the bounded worst-first reasons, and the
 * contract's JSON shape. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analytics/colour.h"

#define SEC INT64_C(1000000)
#define NOW (INT64_C(1700000000) * SEC)

static struct ls_colour_series series(const char *metric, double score, int64_t age)
{
    struct ls_colour_series s = {.metric = metric, .last_time = NOW - age};
    s.verdict.score = score;
    s.verdict.value = 42;
    s.verdict.lo = 10;
    s.verdict.hi = 20;
    s.verdict.kind = LS_ANOMALY_DEVIATION;
    s.verdict.detector = ls_anomaly_kind_name(LS_ANOMALY_DEVIATION);
    return s;
}

static void test_no_series_or_only_stale_ones_is_grey(void **state)
{
    (void)state;
    struct ls_colour_params p;
    ls_colour_params_default(&p);
    struct ls_colour_node c;
    ls_colour_judge(&c, NULL, 0, NOW, &p);
    assert_int_equal(c.colour, LS_COLOUR_GREY);
    struct ls_colour_series s[] = {series("cpu", 0.99, 16 * 60 * SEC)};
    ls_colour_judge(&c, s, 1, NOW, &p);
    assert_int_equal(c.colour, LS_COLOUR_GREY);
    assert_true(c.score == 0);
    assert_int_equal(c.nreasons, 0);
}

static void test_thresholds_pick_green_yellow_red(void **state)
{
    (void)state;
    struct ls_colour_params p;
    ls_colour_params_default(&p);
    struct ls_colour_node c;
    const struct {
        double score;
        enum ls_colour want;
    } cases[] = {{0.0, LS_COLOUR_GREEN},   {0.49, LS_COLOUR_GREEN}, {0.5, LS_COLOUR_YELLOW},
                 {0.81, LS_COLOUR_YELLOW}, {0.82, LS_COLOUR_RED},   {1.0, LS_COLOUR_RED}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ls_colour_series s[] = {series("cpu", 0.1, 0), series("mem", cases[i].score, 60)};
        ls_colour_judge(&c, s, 2, NOW, &p);
        assert_int_equal(c.colour, cases[i].want);
        assert_true(c.score == fmax(0.1, cases[i].score));
        assert_int_equal(c.nreasons, cases[i].score >= 0.5 ? 1 : 0);
    }
}

/* A red but stale series neither colours the node nor gives a reason. */
static void test_stale_series_are_left_out(void **state)
{
    (void)state;
    struct ls_colour_params p;
    ls_colour_params_default(&p);
    struct ls_colour_series s[] = {series("disk", 1.0, 20 * 60 * SEC), series("cpu", 0.2, 5)};
    struct ls_colour_node c;
    ls_colour_judge(&c, s, 2, NOW, &p);
    assert_int_equal(c.colour, LS_COLOUR_GREEN);
    assert_int_equal(c.nreasons, 0);
}

static void test_reasons_are_worst_first_and_bounded(void **state)
{
    (void)state;
    struct ls_colour_params p;
    ls_colour_params_default(&p);
    p.max_reasons = 3;
    struct ls_colour_series s[] = {series("a", 0.6, 0), series("b", 0.9, 0), series("c", 0.3, 0),
                                   series("d", 0.7, 0), series("e", 0.9, 0), series("f", 0.55, 0)};
    struct ls_colour_node c;
    ls_colour_judge(&c, s, 6, NOW, &p);
    assert_int_equal(c.colour, LS_COLOUR_RED);
    assert_int_equal(c.nreasons, 3);
    assert_string_equal(c.reasons[0]->metric, "b"); /* 0.9, name before "e" */
    assert_string_equal(c.reasons[1]->metric, "e");
    assert_string_equal(c.reasons[2]->metric, "d");
    p.max_reasons = 0;
    ls_colour_judge(&c, s, 6, NOW, &p);
    assert_int_equal(c.nreasons, 0);
    assert_int_equal(c.colour, LS_COLOUR_RED);
}

static void test_json_has_the_contract_shape(void **state)
{
    (void)state;
    struct ls_colour_params p;
    ls_colour_params_default(&p);
    struct ls_colour_series s[] = {series("cpu.util", 0.9, 0), series("mem", 0.6, 0)};
    s[0].verdict.since = NOW - 120 * SEC;
    s[1].verdict.lo = NAN; /* not representable: null */
    struct ls_colour_node c;
    ls_colour_judge(&c, s, 2, NOW, &p);
    json_t *j = ls_colour_node_json("vm-1", &c, LS_COLOUR_YELLOW);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "vm-1");
    assert_string_equal(json_string_value(json_object_get(j, "colour")), "red");
    assert_string_equal(json_string_value(json_object_get(j, "impact")), "yellow");
    assert_true(json_real_value(json_object_get(j, "score")) == 0.9);
    json_t *reasons = json_object_get(j, "reasons");
    assert_int_equal(json_array_size(reasons), 2);
    json_t *r0 = json_array_get(reasons, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "metric")), "cpu.util");
    assert_true(json_real_value(json_object_get(r0, "value")) == 42);
    json_t *exp = json_object_get(r0, "expected");
    assert_int_equal(json_array_size(exp), 2);
    assert_true(json_real_value(json_array_get(exp, 0)) == 10);
    assert_true(json_real_value(json_array_get(exp, 1)) == 20);
    assert_string_equal(json_string_value(json_object_get(r0, "since")), "2023-11-14T22:11:20Z");
    assert_string_equal(json_string_value(json_object_get(r0, "detector")), "deviation");
    json_t *r1 = json_array_get(reasons, 1);
    assert_true(json_is_null(json_object_get(r1, "since")));
    assert_true(json_is_null(json_array_get(json_object_get(r1, "expected"), 0)));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_series_or_only_stale_ones_is_grey),
        cmocka_unit_test(test_thresholds_pick_green_yellow_red),
        cmocka_unit_test(test_stale_series_are_left_out),
        cmocka_unit_test(test_reasons_are_worst_first_and_bounded),
        cmocka_unit_test(test_json_has_the_contract_shape),
    };
    return cmocka_run_group_tests_name("analytics/colour", tests, NULL, NULL);
}
