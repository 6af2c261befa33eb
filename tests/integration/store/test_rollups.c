/* sql/rollup.c against a private Postgres: closed minutes written once (a second write of the
 * same minute changes nothing), day partitions made on demand and dropped whole by retention,
 * windows read back in buckets of any step with exact count / min / max / mean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/rollup.h"
#include "sql/store.h"
#include "tests/support/pg_harness.h"

#define D0  1747094400000000LL /* 2025-05-13T00:00:00Z */
#define MIN 60000000LL
#define DAY (1440 * MIN)

static struct ls_rollup_row
row(const char *metric, int64_t minute, uint64_t n, double lo, double hi)
{
    struct ls_rollup_row r = {
        (char *)"nova:instance:a", (char *)metric, (char *)"%", minute, n, lo, hi,
        (lo + hi) / 2 * (double)n};
    return r;
}

static json_t *query(struct ls_store *st, const char *metric, int64_t from, int64_t to, long step)
{
    json_t *o = NULL;
    struct ls_err err;
    if (ls_store_rollups_query(st, "nova:instance:a", metric, from, to, step, &o, &err) != LS_OK)
        fail_msg("query: %s", err.msg);
    return o;
}

static void test_written_once_bucketed_and_dropped_by_day(void **state)
{
    (void)state;
    struct ls_store *st = ls_harness_new_store();
    struct ls_rollup_row rows[] = {
        row("cpu", D0 + 10 * MIN, 6, 10, 20),     row("cpu", D0 + 11 * MIN, 6, 30, 50),
        row("cpu", D0 + 12 * MIN, 2, 0, 100),     row("cpu/core1", D0 + 10 * MIN, 1, 5, 5),
        row("cpu", D0 + DAY + 10 * MIN, 4, 1, 3), /* the next day: a second partition */
    };
    struct ls_err err;
    assert_int_equal(ls_store_rollups_write(st, rows, 5, &err), LS_OK);
    /* the same minute again (a replay) with other figures: the first write stays */
    struct ls_rollup_row again = row("cpu", D0 + 10 * MIN, 99, 0, 1000);
    assert_int_equal(ls_store_rollups_write(st, &again, 1, &err), LS_OK);

    /* per minute */
    json_t *o = query(st, "cpu", D0, D0 + 2 * DAY, 60);
    json_t *cpu = json_object_get(json_object_get(o, "cpu"), "points");
    assert_int_equal(json_array_size(cpu), 4);
    assert_string_equal(json_string_value(json_array_get(json_array_get(cpu, 0), 0)),
                        "2025-05-13T00:10:00Z");
    assert_true(json_real_value(json_array_get(json_array_get(cpu, 0), 1)) == 15.0);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(cpu, 0), 4)), 6);
    assert_non_null(json_object_get(o, "cpu/core1")); /* "cpu" is a prefix */
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "cpu"), "unit")), "%");
    json_decref(o);

    /* 5-minute buckets: 00:10-00:15 holds the three minutes: mean = (90 + 240 + 100) / 14 */
    o = query(st, "cpu/", D0, D0 + DAY, 300);
    assert_int_equal(json_array_size(json_object_get(json_object_get(o, "cpu/core1"), "points")),
                     1);
    assert_null(json_object_get(o, "cpu"));
    json_decref(o);
    o = query(st, "cpu", D0, D0 + DAY, 300);
    json_t *b = json_array_get(json_object_get(json_object_get(o, "cpu"), "points"), 0);
    assert_string_equal(json_string_value(json_array_get(b, 0)), "2025-05-13T00:10:00Z");
    assert_true(json_real_value(json_array_get(b, 1)) == (90.0 + 240.0 + 100.0) / 14.0);
    assert_true(json_real_value(json_array_get(b, 2)) == 0.0);
    assert_true(json_real_value(json_array_get(b, 3)) == 100.0);
    assert_int_equal(json_integer_value(json_array_get(b, 4)), 14);
    json_decref(o);

    /* retention: everything before the second day goes, as whole partitions */
    int dropped = -1;
    assert_int_equal(ls_store_rollups_prune(st, D0 + DAY + 5 * MIN, &dropped, &err), LS_OK);
    assert_int_equal(dropped, 1);
    o = query(st, "cpu", D0, D0 + 2 * DAY, 60);
    assert_int_equal(json_array_size(json_object_get(json_object_get(o, "cpu"), "points")), 1);
    json_decref(o);
    assert_int_equal(ls_store_rollups_prune(st, D0 + DAY + 5 * MIN, &dropped, &err), LS_OK);
    assert_int_equal(dropped, 0);
    ls_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_once_bucketed_and_dropped_by_day),
    };
    return cmocka_run_group_tests_name("integration/store/rollups", tests, ls_harness_group_setup,
                                       ls_harness_group_teardown);
}
