/* The consumer's rollup clock rule (importers/telemetry/rollup_clock.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "importers/telemetry/rollup_clock.h"
#include "model/rollup.h"

#define S      1000000000LL /* ns */
#define HOLD   (600 * S)
#define IDLE   (30 * S)
#define NOW    (1000 * S)
#define T(min) ((int64_t)(min)*60000000LL)
#define AT_END true
#define BEHIND false
#define UP     true
#define DOWN   false

/* A partition whose last record (if any) was long ago: only its end and leader count. */
static struct ls_part_clock part(int64_t max_t, long long progress_ns, bool at_eof, bool up)
{
    return (struct ls_part_clock){.max_t = max_t,
                                  .progress_ns = progress_ns,
                                  .record_ns = max_t ? progress_ns - IDLE : 0,
                                  .at_eof = at_eof,
                                  .leader_ok = up};
}

/* Partitions interleave: one at its end between two records still holds while it receives. */
static void test_a_receiving_partition_holds_at_its_end(void **state)
{
    (void)state;
    struct ls_part_clock p[] = {part(T(10), NOW, BEHIND, UP), part(T(9), NOW, AT_END, UP)};
    p[1].record_ns = NOW - IDLE + 1;
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, NULL), T(9));
    p[1].record_ns = NOW - IDLE; /* silent for the idle window: caught up */
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, NULL), T(10));
}

static void test_nothing_assigned_holds_an_empty_assignment_is_free(void **state)
{
    (void)state;
    assert_int_equal(ls_tel_rollup_clock(NULL, 0, false, NOW, IDLE, HOLD, NULL),
                     LS_ROLLUP_CLOCK_HOLD);
    assert_int_equal(ls_tel_rollup_clock(NULL, 0, true, NOW, IDLE, HOLD, NULL),
                     LS_ROLLUP_CLOCK_FREE);
}

static void test_a_partition_not_read_yet_holds_everything(void **state)
{
    (void)state;
    struct ls_part_clock p[] = {part(T(10), NOW, AT_END, UP), part(0, NOW - S, BEHIND, UP)};
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, NULL), LS_ROLLUP_CLOCK_HOLD);
    /* an empty partition reaches its end: it holds nothing */
    p[1].at_eof = true;
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, NULL), LS_ROLLUP_CLOCK_FREE);
}

static void test_caught_up_partitions_with_leaders_up_are_free(void **state)
{
    (void)state;
    struct ls_part_clock p[] = {part(T(10), NOW, AT_END, UP),
                                part(T(3), NOW - 100 * S, AT_END, UP)};
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, NULL), LS_ROLLUP_CLOCK_FREE);
}

static void test_the_oldest_partition_catching_up_is_the_clock(void **state)
{
    (void)state;
    struct ls_part_clock p[] = {part(T(10), NOW, BEHIND, UP), part(T(4), NOW, BEHIND, UP),
                                part(T(2), NOW, AT_END, UP)};
    assert_int_equal(ls_tel_rollup_clock(p, 3, true, NOW, IDLE, HOLD, NULL), T(4));
}

/* The finding of issue 12 item 7: a partition caught up when its leader went away, producers
 * retrying into it; silent for 35 s it used to count as caught up and the others closed the
 * minutes it was still to bring. Its leader down, it holds at its newest sample however long
 * it is silent — up to the bound. */
static void test_a_partition_whose_leader_is_down_holds_until_the_bound(void **state)
{
    (void)state;
    struct ls_part_clock p[] = {part(T(30), NOW, AT_END, UP),
                                part(T(12), NOW - 35 * S, AT_END, DOWN)};
    bool let_go[2] = {true, true};
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, let_go), T(12));
    assert_false(let_go[0]);
    assert_false(let_go[1]);
    /* the bound: no progress for max_hold, it is let go (and said so) */
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, p[1].progress_ns + HOLD, IDLE, HOLD, let_go),
                     LS_ROLLUP_CLOCK_FREE);
    assert_false(let_go[0]);
    assert_true(let_go[1]);
    /* its leader back and caught up again: free, nothing let go */
    p[1].leader_ok = true;
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, p[1].progress_ns + HOLD, IDLE, HOLD, let_go),
                     LS_ROLLUP_CLOCK_FREE);
    assert_false(let_go[1]);
}

static void test_a_stalled_partition_not_read_yet_is_let_go_too(void **state)
{
    (void)state;
    struct ls_part_clock p[] = {part(T(30), NOW, BEHIND, UP), part(0, NOW - HOLD, BEHIND, DOWN)};
    bool let_go[2];
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW, IDLE, HOLD, let_go), T(30));
    assert_true(let_go[1]);
    assert_int_equal(ls_tel_rollup_clock(p, 2, true, NOW - 1, IDLE, HOLD, let_go),
                     LS_ROLLUP_CLOCK_HOLD);
    assert_false(let_go[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_assigned_holds_an_empty_assignment_is_free),
        cmocka_unit_test(test_a_partition_not_read_yet_holds_everything),
        cmocka_unit_test(test_caught_up_partitions_with_leaders_up_are_free),
        cmocka_unit_test(test_the_oldest_partition_catching_up_is_the_clock),
        cmocka_unit_test(test_a_receiving_partition_holds_at_its_end),
        cmocka_unit_test(test_a_partition_whose_leader_is_down_holds_until_the_bound),
        cmocka_unit_test(test_a_stalled_partition_not_read_yet_is_let_go_too),
    };
    return cmocka_run_group_tests_name("telemetry/rollup_clock", tests, NULL, NULL);
}
