/* model/rollup: open minutes per node and metric, closed on the data clock + grace, taken once;
 * late samples counted and left out; a failed write puts the rows back; the watermark moves
 * only with successful writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "model/rollup.h"
#include "model/telemetry.h"

#define M0  1747140780000000LL /* 2025-05-13T12:53:00Z, a minute boundary */
#define SEC 1000000LL

static void test_minutes_close_on_the_data_clock_plus_grace(void **state)
{
    (void)state;
    struct ls_rollup *r = ls_rollup_new(30 * SEC);
    assert_true(ls_rollup_add(r, "n1", "cpu", "%", M0 + 1 * SEC, 10));
    assert_true(ls_rollup_add(r, "n1", "cpu", "%", M0 + 59 * SEC, 30));
    assert_true(ls_rollup_add(r, "n1", "cpu", "%", M0 + 60 * SEC, 5)); /* the next minute */
    assert_true(ls_rollup_add(r, "n2", "cpu", "%", M0 + 2 * SEC, 7));
    struct ls_rollup_row *rows;
    int64_t through;
    /* the data is at M0 + 60 s: the first minute is within its grace, whatever the wall says */
    assert_int_equal(ls_rollup_take(r, M0 + 3600 * SEC, &rows, &through), 0);
    assert_int_equal(through, M0);
    assert_int_equal(ls_rollup_watermark(r), 0);
    /* the wall clock caps the data's: a sample from the future closes nothing early */
    assert_true(ls_rollup_add(r, "n3", "cpu", "%", M0 + 3600 * SEC, 1));
    assert_int_equal(ls_rollup_take(r, M0 + 80 * SEC, &rows, &through), 0);
    /* the data passes M0 + 90 s: the first minute (both nodes) closes */
    assert_int_equal(ls_rollup_take(r, M0 + 95 * SEC, &rows, &through), 2);
    assert_int_equal(through, M0 + 60 * SEC);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rows[i].minute_us, M0);
        if (!strcmp(rows[i].node_id, "n1")) {
            assert_int_equal(rows[i].count, 2);
            assert_true(rows[i].min == 10 && rows[i].max == 30 && rows[i].sum == 40);
            assert_string_equal(rows[i].unit, "%");
        } else {
            assert_int_equal(rows[i].count, 1);
        }
    }
    /* a straggler for the closed minute is late: counted, left out */
    assert_false(ls_rollup_add(r, "n1", "cpu", "%", M0 + 30 * SEC, 99));
    ls_rollup_flushed(r, through);
    ls_rollup_rows_free(rows, 2);
    assert_int_equal(ls_rollup_watermark(r), M0 + 60 * SEC);
    struct ls_rollup_stats st;
    ls_rollup_stats(r, &st);
    assert_int_equal(st.added, 5);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.open_rows, 2);
    ls_rollup_free(r);
}

/* While the consumer holds the clock (a partition has not delivered yet), the newest sample
 * added does not close anything, however far ahead it is; its low mark does; freed, the newest
 * sample decides again. */
static void test_a_held_clock_closes_nothing_by_the_newest_sample(void **state)
{
    (void)state;
    struct ls_rollup *r = ls_rollup_new(0);
    struct ls_rollup_row *rows;
    int64_t through;
    ls_rollup_set_clock(r, LS_ROLLUP_CLOCK_HOLD);
    assert_true(ls_rollup_add(r, "fast", "cpu", "%", M0 + 1 * SEC, 1));
    assert_true(ls_rollup_add(r, "fast", "cpu", "%", M0 + 179 * SEC, 1));
    assert_int_equal(ls_rollup_take(r, M0 + 3600 * SEC, &rows, &through), 0);
    /* the slow partition's first minute is not late */
    assert_true(ls_rollup_add(r, "slow", "cpu", "%", M0 + 2 * SEC, 1));
    ls_rollup_set_clock(r, M0 + 61 * SEC); /* every partition delivered: the low mark */
    assert_int_equal(ls_rollup_take(r, M0 + 3600 * SEC, &rows, &through), 2);
    assert_int_equal(through, M0 + 60 * SEC);
    ls_rollup_rows_free(rows, 2);
    ls_rollup_set_clock(r, LS_ROLLUP_CLOCK_HOLD); /* held again: the clock stays where it was */
    assert_int_equal(ls_rollup_take(r, M0 + 3600 * SEC, &rows, &through), 0);
    assert_int_equal(through, M0 + 60 * SEC);
    ls_rollup_set_clock(r, LS_ROLLUP_CLOCK_FREE); /* all idle: the newest sample decides */
    assert_true(ls_rollup_add(r, "fast", "cpu", "%", M0 + 180 * SEC, 1));
    assert_int_equal(ls_rollup_take(r, M0 + 3600 * SEC, &rows, &through), 1);
    assert_int_equal(through, M0 + 180 * SEC);
    assert_int_equal(rows[0].minute_us, M0 + 120 * SEC);
    ls_rollup_rows_free(rows, 1);
    struct ls_rollup_stats st;
    ls_rollup_stats(r, &st);
    assert_int_equal(st.late, 0);
    ls_rollup_free(r);
}

static void test_a_failed_write_puts_the_rows_back(void **state)
{
    (void)state;
    struct ls_rollup *r = ls_rollup_new(0);
    assert_true(ls_rollup_add(r, "n1", "net/tap1", "B/s", M0 + SEC, 4));
    struct ls_rollup_row *rows;
    int64_t through;
    assert_int_equal(ls_rollup_take(r, M0 + 61 * SEC, &rows, &through), 0); /* data at M0+1 */
    ls_rollup_set_clock(r, M0 + 61 * SEC); /* the consumer's partitions all passed M0 + 61 s */
    assert_int_equal(ls_rollup_take(r, M0 + 61 * SEC, &rows, &through), 1);
    ls_rollup_putback(r, rows, 1); /* the write failed */
    assert_int_equal(ls_rollup_watermark(r), 0);
    /* not durable, so not closed for good: a sample for it is still taken */
    assert_true(ls_rollup_add(r, "n1", "net/tap1", "B/s", M0 + 2 * SEC, 6));
    assert_int_equal(ls_rollup_take(r, M0 + 62 * SEC, &rows, &through), 1);
    assert_int_equal(rows[0].count, 2);
    assert_true(rows[0].sum == 10 && rows[0].min == 4 && rows[0].max == 6);
    ls_rollup_flushed(r, through);
    ls_rollup_rows_free(rows, 1);
    assert_int_equal(ls_rollup_watermark(r), M0 + 60 * SEC);
    ls_rollup_free(r);
}

static void test_the_live_state_feeds_rates_and_skips_duplicates(void **state)
{
    (void)state;
    struct ls_telemetry *t = ls_telemetry_new();
    struct ls_rollup *r = ls_rollup_new(0);
    ls_telemetry_set_rollup(t, r);
    /* a counter: 100 then 160 ten seconds later = 6/s; the baseline is not a value */
    ls_telemetry_apply(t, "vm", "net.rx", "tap0", "B", 1, 100, M0 + 10 * SEC);
    ls_telemetry_apply(t, "vm", "net.rx", "tap0", "B", 1, 160, M0 + 20 * SEC);
    ls_telemetry_apply(t, "vm", "net.rx", "tap0", "B", 1, 160, M0 + 20 * SEC); /* duplicate */
    ls_telemetry_apply(t, "vm", "cpu", "", "%", 0, 42, M0 + 30 * SEC);
    ls_rollup_set_clock(r, M0 + 60 * SEC);
    struct ls_rollup_row *rows;
    int64_t through;
    size_t n = ls_rollup_take(r, M0 + 60 * SEC, &rows, &through);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(rows[i].metric, "net.rx/tap0")) {
            assert_int_equal(rows[i].count, 1);
            assert_true(rows[i].sum == 6.0);
            assert_string_equal(rows[i].unit, "B/s");
        } else {
            assert_string_equal(rows[i].metric, "cpu");
            assert_true(rows[i].sum == 42.0);
        }
    }
    ls_rollup_rows_free(rows, n);
    ls_telemetry_set_rollup(t, NULL);
    ls_rollup_free(r);
    ls_telemetry_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minutes_close_on_the_data_clock_plus_grace),
        cmocka_unit_test(test_a_held_clock_closes_nothing_by_the_newest_sample),
        cmocka_unit_test(test_a_failed_write_puts_the_rows_back),
        cmocka_unit_test(test_the_live_state_feeds_rates_and_skips_duplicates),
    };
    return cmocka_run_group_tests_name("model/rollup", tests, NULL, NULL);
}
