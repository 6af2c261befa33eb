/* bench/analytics/nab: NAB's scoring rules on hand-made files (values worked out from the
 * published rules, not from the code), and the scorer against NAB's published figures when
 * the dataset lies beside the checkout (../shared/datasets/nab; skipped otherwise). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/analytics/nab.h"

/* One file of 1000 rows (probation 150) with windows at rows 400..499 and 700..799. */
static size_t wins[2][2] = {{400, 499}, {700, 799}};
static char fname[] = "synthetic.csv";
static struct nab_file file = {.name = fname, .n = 1000, .nwin = 2, .win = wins, .probation = 150};
static struct nab_corpus corpus = {.files = &file, .nfiles = 1};
static double rows[1000];
static double *scores[1] = {rows};

static const struct nab_profile *standard(void)
{
    assert_string_equal(nab_profiles[0].name, "standard");
    return &nab_profiles[0];
}

/* 2 sigmoid(-5x) - 1, written out. */
static double sig(double x)
{
    return 2.0 / (1.0 + exp(5.0 * x)) - 1.0;
}

static void detect(const size_t *at, const double *score, size_t n)
{
    memset(rows, 0, sizeof rows);
    for (size_t i = 0; i < n; i++)
        rows[at[i]] = score[i];
}

static void test_scaled_sigmoid_matches_published_points(void **state)
{
    (void)state;
    assert_float_equal(nab_scaled_sigmoid(-1.0), 0.98661, 1e-5);
    assert_float_equal(nab_scaled_sigmoid(-0.5), 0.84828, 1e-5);
    assert_float_equal(nab_scaled_sigmoid(0.0), 0.0, 1e-12);
    assert_float_equal(nab_scaled_sigmoid(1.0), -0.98661, 1e-5);
    assert_float_equal(nab_scaled_sigmoid(3.0), -1.0, 1e-12);
}

/* A detection at a window's first row earns exactly tp; the missed window costs fn. */
static void test_left_edge_detection_earns_one(void **state)
{
    (void)state;
    detect((size_t[]){400}, (double[]){1.0}, 1);
    struct nab_result r;
    nab_score(&r, &corpus, scores, NULL, standard(), NAN);
    assert_float_equal(r.raw, -1.0 + 1.0, 1e-9);
    assert_float_equal(r.null_raw, -2.0, 1e-12);
    assert_float_equal(r.perfect_raw, 2.0, 1e-12);
    assert_float_equal(r.normalised, 50.0, 1e-9);
    assert_int_equal(r.tp, 1);
    assert_int_equal(r.fn, 1);
    assert_int_equal(r.fp, 0);
}

/* Half-way into a window: sigmoid(-0.5) / sigmoid(-1) (the +1 in NAB's position formula). */
static void test_mid_window_and_earliest_detection_counts(void **state)
{
    (void)state;
    detect((size_t[]){450, 480}, (double[]){1.0, 1.0}, 2);
    struct nab_result r;
    nab_score(&r, &corpus, scores, NULL, standard(), NAN);
    double want = sig(-(499.0 - 450.0 + 1.0) / 100.0) / sig(-1.0);
    assert_float_equal(r.raw, -1.0 + want, 1e-9);
    /* an earlier detection with a lower score replaces the later one at a lower threshold */
    detect((size_t[]){480, 410}, (double[]){0.9, 0.6}, 2);
    nab_score(&r, &corpus, scores, NULL, standard(), NAN);
    assert_float_equal(r.threshold, 0.6, 1e-12);
    assert_float_equal(r.raw, -1.0 + sig(-(499.0 - 410.0 + 1.0) / 100.0) / sig(-1.0), 1e-9);
}

/* False positives: the full fp before any window, a sigmoid of the distance after one,
 * nothing in probation; the optimiser leaves out a costly low score. */
static void test_false_positives_and_threshold_choice(void **state)
{
    (void)state;
    struct nab_result r;
    detect((size_t[]){100, 200}, (double[]){1.0, 1.0}, 2);
    nab_score(&r, &corpus, scores, NULL, standard(), 0.5);
    assert_float_equal(r.raw, -2.0 - 0.11, 1e-9); /* row 100 is probation */
    assert_int_equal(r.fp, 1);
    detect((size_t[]){520}, (double[]){1.0}, 1);
    nab_score(&r, &corpus, scores, NULL, standard(), 0.5);
    assert_float_equal(r.raw, -2.0 + 0.11 * sig((520.0 - 499.0) / 99.0), 1e-9);
    detect((size_t[]){200, 400}, (double[]){0.5, 0.9}, 2);
    nab_score(&r, &corpus, scores, NULL, standard(), NAN);
    assert_float_equal(r.threshold, 0.9, 1e-12);
    assert_float_equal(r.raw, 0.0, 1e-9);
    /* the low-FN profile weighs the miss twice */
    nab_score(&r, &corpus, scores, NULL, &nab_profiles[2], 0.9);
    assert_float_equal(r.raw, -2.0 + 1.0, 1e-9);
}

/* On the real corpus: 58 files, 116 windows, and the published figures reproduced. */
static void test_published_figures_reproduced(void **state)
{
    (void)state;
    const char *src = getenv("LS_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../shared/datasets/nab", src ? src : ".");
    char path[4200];
    snprintf(path, sizeof path, "%s/labels/combined_windows.json", dir);
    FILE *probe = fopen(path, "r");
    if (!probe) {
        print_message("NAB dataset not found at %s: skipped\n", dir);
        skip();
    }
    fclose(probe);
    struct nab_corpus c;
    struct ls_err err = {0};
    assert_int_equal(nab_load(&c, dir, &err), LS_OK);
    assert_int_equal(c.nfiles, 58);
    size_t nwin = 0, rows_total = 0;
    for (size_t i = 0; i < c.nfiles; i++) {
        nwin += c.files[i].nwin;
        rows_total += c.files[i].n;
    }
    assert_int_equal(nwin, 116);
    assert_int_equal(rows_total, 365558);
    assert_int_equal(nab_validate(dir, &c, stderr), 0);
    nab_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scaled_sigmoid_matches_published_points),
        cmocka_unit_test(test_left_edge_detection_earns_one),
        cmocka_unit_test(test_mid_window_and_earliest_detection_counts),
        cmocka_unit_test(test_false_positives_and_threshold_choice),
        cmocka_unit_test(test_published_figures_reproduced),
    };
    return cmocka_run_group_tests_name("analytics/nab_score", tests, NULL, NULL);
}
