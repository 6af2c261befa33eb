/* analytics/anomaly: seasonality, noise, spikes, level shifts, counters and bad input, on
 * synthetic series with a fixed-seed noise source (deterministic). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analytics/anomaly.h"

#define MIN  (60 * INT64_C(1000000))
#define DAY  (1440 * MIN)
#define T0   (INT64_C(1700000000) * 1000000) /* a Tuesday, 22:13 UTC */
#define FLAG 0.8                             /* a score that would colour a node red */

struct rng {
    uint64_t s;
};

/* Standard normal from a 64-bit LCG and Box-Muller: the same sequence on every run. */
static double gauss(struct rng *r)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(2.0 * M_PI * u[1]);
}

struct run {
    struct ls_anomaly d;
    struct ls_anomaly_params p;
    struct ls_anomaly_result last;
};

static void run_init(struct run *r)
{
    ls_anomaly_init(&r->d);
    ls_anomaly_params_default(&r->p);
}

static double feed(struct run *r, int64_t t, double x)
{
    struct ls_err err = {0};
    assert_int_equal(ls_anomaly_update(&r->last, &r->d, &r->p, t, x, &err), LS_OK);
    assert_true(r->last.score >= 0.0 && r->last.score <= 1.0);
    return r->last.score;
}

/* A daily cycle (amplitude 10x the noise) every 5 minutes: learnt, then never flagged. */
static void test_daily_seasonality_is_not_flagged(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {42};
    double worst = 0;
    for (int i = 0; i < 14 * 288; i++) {
        int64_t t = T0 + i * 5 * MIN;
        double x = 100 + 30 * sin(2 * M_PI * (double)(t % DAY) / (double)DAY) + 3 * gauss(&g);
        double s = feed(&r, t, x);
        if (i >= 4 * 288 && s > worst)
            worst = s;
    }
    assert_true(worst < FLAG);
    assert_string_equal(r.last.detector, "seasonal");
    /* the expected range follows the cycle, not the daily mean */
    assert_true(r.last.hi - r.last.lo < 40);
}

/* A daily square wave (a batch window: 20 -> 80 for 9 hours, sharp edges), as NAB's
 * art_daily series: once learnt, its edges are expected (the buckets there are wider); the
 * same step at an unusual hour is flagged. */
static void test_daily_steps_are_learnt_and_an_offhour_step_is_flagged(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {21};
    double worst = 0;
    int i = 0;
    for (; i < 14 * 288; i++) {
        int64_t t = T0 + i * 5 * MIN;
        int hour = (int)((t % DAY) / (60 * MIN));
        double s = feed(&r, t, (hour >= 8 && hour < 17 ? 80 : 20) + 2 * gauss(&g));
        if (i >= 10 * 288 && s > worst)
            worst = s;
    }
    assert_true(worst < FLAG);
    assert_string_equal(r.last.detector, "seasonal");
    /* next day: high at 02:00-03:00 UTC, when it has always been low */
    double peak = 0;
    for (;; i++) {
        int64_t t = T0 + i * 5 * MIN;
        int hour = (int)((t % DAY) / (60 * MIN));
        if (hour == 4)
            break;
        double s = feed(&r, t, (hour == 2 ? 80 : hour >= 8 && hour < 17 ? 80 : 20) + 2 * gauss(&g));
        if (s > peak)
            peak = s;
    }
    assert_true(peak >= FLAG);
}

/* Noise, then one point 12 sigmas out: flagged at that sample, with a range that excludes it. */
static void test_spike_is_flagged(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {7};
    double before = 0;
    for (int i = 0; i < 2000; i++) {
        double s = feed(&r, T0 + i * MIN, 50 + 2 * gauss(&g));
        if (i >= 1000 && s > before)
            before = s;
    }
    assert_true(before < FLAG);
    double s = feed(&r, T0 + 2000 * MIN, 50 + 24);
    assert_true(s >= FLAG);
    assert_true(r.last.value > r.last.hi);
    assert_true(r.last.since == T0 + 2000 * MIN);
}

/* A series whose spikes are part of its normal (every 40 samples, +60: 30 sigmas, past the
 * cap on |z|): once learnt, they stay below red. Then x: red, by `detector`, with the
 * defaults; not red with the score at `knob` (an offset into the parameters) set to 0. */
static void spiky_then(double x, size_t knob, const char *detector)
{
    for (int on = 1; on >= 0; on--) {
        struct run r;
        run_init(&r);
        if (!on)
            memset((char *)&r.p + knob, 0, sizeof(double));
        struct rng g = {11};
        double worst = 0;
        for (int i = 0; i < 3000; i++) {
            double v = 50 + 2 * gauss(&g) + (i % 40 == 0 ? 60 : 0);
            double s = feed(&r, T0 + i * MIN, v);
            if (i >= 1500 && s > worst)
                worst = s;
        }
        assert_true(worst < FLAG);
        double s = feed(&r, T0 + 3000 * MIN, x);
        if (on) {
            assert_true(s >= FLAG);
            assert_string_equal(r.last.detector, detector);
            assert_true(r.last.value > r.last.hi);
        } else {
            assert_true(s < FLAG);
        }
    }
}

/* A spike far beyond every value seen (+200) is red as a new extreme. With that score off it
 * is not: to the rarity (capped |z|) it is one more spike. */
static void test_a_new_extreme_on_a_spiky_series_is_flagged(void **state)
{
    (void)state;
    spiky_then(50 + 200, offsetof(struct ls_anomaly_params, novelty), "new_extreme");
}

/* A value halfway up to the spikes (+30, 15 sigmas) is inside the range seen, so no new
 * extreme, and to the rarity one more spike; but the series has never been there: red as a
 * rare value. With that score off it is not. (It also needs the visits of the first samples,
 * counted while the range seen was only the noise, moved to their place when the first spike
 * widened it: counted where they first fell, they fill the middle of the range.) */
static void test_a_value_where_the_series_never_was_is_flagged(void **state)
{
    (void)state;
    spiky_then(50 + 30, offsetof(struct ls_anomaly_params, rare), "rare_value");
}

/* A step of 8 sigmas that stays: flagged within a few samples, then absorbed (quiet again,
 * the expected range around the new level). */
static void test_level_shift_is_flagged_then_absorbed(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {11};
    for (int i = 0; i < 1500; i++)
        feed(&r, T0 + i * MIN, 20 + gauss(&g));
    double peak = 0;
    int i = 1500;
    for (; i < 1520; i++) {
        double s = feed(&r, T0 + i * MIN, 28 + gauss(&g));
        if (s > peak)
            peak = s;
    }
    assert_true(peak >= FLAG);
    /* re-baselined at once, not dragged over by the EWMA */
    assert_true(r.last.lo > 22 && r.last.lo < 28 && r.last.hi > 28);
    double late = 0;
    for (; i < 2500; i++) {
        double s = feed(&r, T0 + i * MIN, 28 + gauss(&g));
        if (i >= 1900 && s > late)
            late = s;
    }
    assert_true(late < FLAG);
    assert_true(r.last.lo < 28 && r.last.hi > 28 && r.last.lo > 21);
}

/* The same on a seasonal series: the step is reported, and the seasonal baseline moves. */
static void test_level_shift_on_a_seasonal_series_is_absorbed(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {13};
    double peak = 0, late = 0;
    for (int i = 0; i < 12 * 288; i++) {
        int64_t t = T0 + i * 5 * MIN;
        double x = 100 + 30 * sin(2 * M_PI * (double)(t % DAY) / (double)DAY) + 2 * gauss(&g);
        double s = feed(&r, t, x + (i >= 8 * 288 ? 40 : 0));
        if (i >= 8 * 288 && i < 8 * 288 + 12 && s > peak)
            peak = s;
        if (i >= 8 * 288 + 30 && s > late)
            late = s;
        if (i == 8 * 288 + 30) /* re-baselined at once: the new level is expected */
            assert_true(r.last.lo < x + 40 && r.last.hi > x + 40 && r.last.lo > x + 10);
    }
    assert_string_equal(r.last.detector, "seasonal");
    assert_true(peak >= FLAG);
    assert_true(late < FLAG);
}

/* A monotonic counter (about 100 per minute) that restarts from zero: recognised as a counter,
 * the reset is not an anomaly, its rate is what is scored. */
static void test_counter_reset_is_not_flagged(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {5};
    double c = 1e6, worst = 0;
    int saw_reset = 0;
    for (int i = 0; i < 3000; i++) {
        if (i == 2000)
            c = 0; /* process restarted */
        c += 100 + 5 * gauss(&g);
        double s = feed(&r, T0 + i * MIN, c);
        saw_reset |= r.last.reset;
        if (i >= 500 && s > worst)
            worst = s;
    }
    assert_true(saw_reset);
    assert_true(r.last.counter);
    assert_true(worst < FLAG);
    /* the scored value is the rate per second */
    assert_true(fabs(r.last.value - 100.0 / 60.0) < 0.5);
}

/* The same counter whose rate jumps tenfold: that is flagged. */
static void test_counter_rate_jump_is_flagged(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {9};
    double c = 0, peak = 0;
    for (int i = 0; i < 2100; i++) {
        c += (i < 2000 ? 100 : 1000) + 5 * gauss(&g);
        double s = feed(&r, T0 + i * MIN, c);
        if (i >= 2000 && s > peak)
            peak = s;
    }
    assert_true(r.last.counter);
    assert_true(peak >= FLAG);
}

/* Irregular sampling (gaps of 20 s to 100 s): quiet on noise, a spike still flagged. */
static void test_irregular_sampling(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {3};
    int64_t t = T0;
    double worst = 0;
    for (int i = 0; i < 3000; i++) {
        t += (int64_t)(60e6 + 40e6 * gauss(&g) / 3.0) + 20 * 1000000;
        double s = feed(&r, t, 10 + gauss(&g));
        if (i >= 1000 && s > worst)
            worst = s;
    }
    assert_true(worst < FLAG);
    t += 60 * 1000000;
    assert_true(feed(&r, t, 25) >= FLAG);
}

/* The state is within the budget (also a _Static_assert in anomaly.c). */
static void test_state_fits_512_bytes(void **state)
{
    (void)state;
    assert_true(sizeof(struct ls_anomaly) <= 512);
}

/* Two runs over the same samples give the same scores and the same state, byte for byte. */
static void test_deterministic(void **state)
{
    (void)state;
    struct run a, b;
    run_init(&a);
    run_init(&b);
    struct rng g = {99};
    for (int i = 0; i < 5000; i++) {
        double x = 5 * sin(i / 40.0) + gauss(&g) + (i % 997 == 0 ? 30 : 0);
        int64_t t = T0 + (int64_t)i * 30 * 1000000;
        assert_true(feed(&a, t, x) == feed(&b, t, x));
        assert_true(a.last.lo == b.last.lo && a.last.since == b.last.since);
    }
    assert_memory_equal(&a.d, &b.d, sizeof a.d);
}

/* NaN and infinities are refused and change nothing; so is a timestamp that goes back. */
static void test_nan_inf_and_out_of_order_are_ignored(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    struct rng g = {1};
    for (int i = 0; i < 500; i++)
        feed(&r, T0 + i * MIN, 10 + gauss(&g));
    struct ls_anomaly saved = r.d;
    struct ls_anomaly_result out = {.score = -1};
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        struct ls_err err = {0};
        assert_int_equal(ls_anomaly_update(&out, &r.d, &r.p, T0 + 600 * MIN, bad[i], &err),
                         LS_EINVAL);
        assert_string_equal(err.code, "not_finite");
    }
    struct ls_err err = {0};
    assert_int_equal(ls_anomaly_update(&out, &r.d, &r.p, T0 + 499 * MIN, 10, &err), LS_EINVAL);
    assert_string_equal(err.code, "out_of_order");
    assert_true(out.score == -1); /* untouched */
    assert_memory_equal(&saved, &r.d, sizeof saved);
    assert_true(feed(&r, T0 + 500 * MIN, 10) < FLAG);
}

/* Tunables by name: known names within range are set, others refused. */
static void test_params_by_name(void **state)
{
    (void)state;
    struct ls_anomaly_params p;
    ls_anomaly_params_default(&p);
    struct ls_err err = {0};
    assert_int_equal(ls_anomaly_params_set(&p, "cusum_h", 9, &err), LS_OK);
    assert_true(p.cusum_h == 9);
    assert_int_equal(ls_anomaly_params_set(&p, "cusum_h", -1, &err), LS_EINVAL);
    assert_int_equal(ls_anomaly_params_set(&p, "nope", 1, &err), LS_ENOTFOUND);
    assert_int_equal(ls_anomaly_params_set(&p, "alpha_level", NAN, &err), LS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_seasonality_is_not_flagged),
        cmocka_unit_test(test_daily_steps_are_learnt_and_an_offhour_step_is_flagged),
        cmocka_unit_test(test_spike_is_flagged),
        cmocka_unit_test(test_level_shift_is_flagged_then_absorbed),
        cmocka_unit_test(test_level_shift_on_a_seasonal_series_is_absorbed),
        cmocka_unit_test(test_a_new_extreme_on_a_spiky_series_is_flagged),
        cmocka_unit_test(test_a_value_where_the_series_never_was_is_flagged),
        cmocka_unit_test(test_counter_reset_is_not_flagged),
        cmocka_unit_test(test_counter_rate_jump_is_flagged),
        cmocka_unit_test(test_irregular_sampling),
        cmocka_unit_test(test_state_fits_512_bytes),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_nan_inf_and_out_of_order_are_ignored),
        cmocka_unit_test(test_params_by_name),
    };
    return cmocka_run_group_tests_name("analytics/anomaly", tests, NULL, NULL);
}
