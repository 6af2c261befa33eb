/* analytics/pace: the step response of the pacing controller on a plant where moves take
 * effect only some steps after they start (live migrations in flight): bounded moves per step
 * (no storm), small overshoot, settling, and that the greedy consumer it replaces does
 * over-correct on the same plant (so the plant can show the failure the controller avoids). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analytics/pace.h"

#define EFFECT 0.02 /* spread removed by one move, once it lands */
#define STEPS  120

struct response {
    double overshoot; /* below the target, as a share of the step */
    int settle;       /* first step from which the measure stays in the band; -1 never */
    int max_moves;    /* most moves in one step */
    int total;        /* moves in all */
};

/* Runs a step from x0 down to the target with moves landing `lag` steps after they start;
 * greedy: move everything that looks wrong every step, in-flight moves unseen. */
static struct response run(double x0, int lag, bool greedy)
{
    struct ls_pace_params p;
    ls_pace_params_default(&p);
    struct ls_pace s;
    ls_pace_init(&s, &p);
    int pipe[8] = {0};
    double hist[STEPS], x = x0;
    struct response r = {0, -1, 0, 0};
    for (int k = 0; k < STEPS; k++) {
        x -= EFFECT * pipe[0];
        for (int i = 0; i < lag; i++)
            pipe[i] = pipe[i + 1];
        int n = greedy ? (int)fmax(0, ceil((x - p.target) / EFFECT - 1e-9)) : ls_pace_step(&s, x);
        pipe[lag - 1] = n;
        r.max_moves = n > r.max_moves ? n : r.max_moves;
        r.total += n;
        hist[k] = x;
    }
    double lo = x0;
    for (int k = 0; k < STEPS; k++)
        lo = hist[k] < lo ? hist[k] : lo;
    r.overshoot = (p.target - lo) / (x0 - p.target);
    double band = 0.05 * (x0 - p.target) + p.deadband;
    for (int k = STEPS - 1; k >= 0 && fabs(hist[k] - p.target) <= band; k--)
        r.settle = k;
    return r;
}

static void test_step_response_is_paced_settles_and_barely_overshoots(void **state)
{
    (void)state;
    static const double steps[] = {0.3, 0.6, 1.0};
    for (int lag = 1; lag <= 3; lag++) {
        for (size_t i = 0; i < 3; i++) {
            struct response r = run(steps[i], lag, false);
            int need = (int)lround((steps[i] - 0.10) / EFFECT);
            if (r.max_moves > 4 || r.overshoot > 0.05 || r.settle < 0 || r.settle > 20 ||
                r.total > need + 1)
                fail_msg("step %.1f lag %d: max %d/step, overshoot %.3f, settles at %d, "
                         "%d moves for %d needed",
                         steps[i], lag, r.max_moves, r.overshoot, r.settle, r.total, need);
        }
    }
}

static void test_greedy_consumer_storms_on_the_same_plant(void **state)
{
    (void)state;
    struct response r = run(0.6, 2, true);
    assert_true(r.max_moves >= 25);  /* everything at once */
    assert_true(r.overshoot >= 0.9); /* then again while the first wave is in flight */
    assert_true(r.total >= 2 * 25);  /* twice the moves needed */
}

static void test_no_moves_on_target_or_within_the_deadband(void **state)
{
    (void)state;
    struct ls_pace_params p;
    ls_pace_params_default(&p);
    struct ls_pace s;
    ls_pace_init(&s, &p);
    for (int k = 0; k < 50; k++) {
        assert_int_equal(ls_pace_step(&s, 0.10), 0);
        assert_int_equal(ls_pace_step(&s, 0.11), 0);
        assert_int_equal(ls_pace_step(&s, NAN), 0); /* a missing measure repeats the last */
    }
}

static void test_a_persistent_small_error_still_moves_slowly(void **state)
{
    (void)state;
    struct ls_pace_params p;
    ls_pace_params_default(&p);
    struct ls_pace s;
    ls_pace_init(&s, &p);
    int total = 0, max = 0;
    for (int k = 0; k < 40; k++) { /* 0.15 never falls: nothing lands */
        int n = ls_pace_step(&s, 0.15);
        total += n;
        max = n > max ? n : max;
    }
    assert_true(total > 0);    /* the integral keeps asking */
    assert_true(max <= 4);     /* never more than the rate allows */
    assert_true(total <= 160); /* and bounded by anti-windup: out_max per step at most */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_response_is_paced_settles_and_barely_overshoots),
        cmocka_unit_test(test_greedy_consumer_storms_on_the_same_plant),
        cmocka_unit_test(test_no_moves_on_target_or_within_the_deadband),
        cmocka_unit_test(test_a_persistent_small_error_still_moves_slowly),
    };
    return cmocka_run_group_tests_name("analytics/pace", tests, NULL, NULL);
}
