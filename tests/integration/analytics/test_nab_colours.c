/* NAB through the service (issue 13: "at least one integration test per dataset goes through
 * the service"): one NAB series (realKnownCause/machine_temperature_system_failure.csv, 22,695
 * five-minute samples, 4 labelled windows) is posted to a real landscaped with
 * POST /v1/telemetry at its own timestamps, five rows per request, as the metric of a machine
 * node; after each request the machine's colour is read. The same rows go through the
 * detector library (analytics/anomaly) in this process. The service must find red in exactly
 * the requests where the library scores a row red (>= 0.82: the colour's red threshold), so
 * the windows it detects and its false alarms are the library's: the service adds no loss and
 * no noise of its own. The counts are printed. Skipped when the dataset is not beside the
 * checkout (LS_NAB_DIR names another place). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analytics/anomaly.h"
#include "analytics/colour.h"
#include "bench/analytics/nab.h"
#include "common/buf.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"

#define FILE_NAME "realKnownCause/machine_temperature_system_failure.csv"
#define BATCH     5 /* rows per request: the colour holds a red verdict for 5 samples */

static const char *nab_dir(void)
{
    const char *e = getenv("LS_NAB_DIR");
    return e && *e ? e : LS_NAB_DEFAULT;
}

/* The window a row is in, or -1. */
static long window_of(const struct nab_file *f, size_t row)
{
    for (size_t w = 0; w < f->nwin; w++)
        if (row >= f->win[w][0] && row <= f->win[w][1])
            return (long)w;
    return -1;
}

static void test_a_nab_series_is_coloured_as_the_library_scores_it(void **state)
{
    (void)state;
    struct nab_corpus c;
    struct ls_err err;
    if (nab_load(&c, nab_dir(), &err) != LS_OK)
        LS_SKIP("NAB dataset not found under %s (%s): set LS_NAB_DIR", nab_dir(), err.msg);
    const struct nab_file *f = NULL;
    for (size_t i = 0; i < c.nfiles && !f; i++)
        if (strcmp(c.files[i].name, FILE_NAME) == 0)
            f = &c.files[i];
    assert_non_null(f);

    /* the library's verdicts, batch by batch */
    struct ls_anomaly_params ap;
    struct ls_colour_params cp;
    ls_anomaly_params_default(&ap);
    ls_colour_params_default(&cp);
    struct ls_anomaly d;
    ls_anomaly_init(&d);
    size_t nb = (f->n + BATCH - 1) / BATCH;
    bool *lib_red = calloc(nb, sizeof *lib_red);
    for (size_t i = 0; i < f->n; i++) {
        struct ls_anomaly_result r;
        /* a row not after the last (the dataset has a few) is refused here as the service's
         * telemetry state refuses it as a duplicate */
        if (ls_anomaly_update(&r, &d, &ap, f->t[i], f->v[i], &err) != LS_OK)
            continue;
        if (r.score >= cp.red)
            lib_red[i / BATCH] = true;
        if (r.score >= cp.red && getenv("LS_DEBUG_NAB"))
            printf("library row %zu t=%lld v=%g score %.3f\n", i, (long long)f->t[i], f->v[i],
                   r.score);
    }

    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    struct ls_http_result r;
    assert_int_equal(
        ls_http(&svc, "POST", "/v1/nodes",
                "{\"id\":\"host:machine:nab1\",\"type\":\"machine\",\"name\":\"nab1\"}", NULL, &r),
        0);
    assert_int_equal(r.status, 201);
    ls_http_result_cleanup(&r);

    size_t agree = 0, lib_n = 0, svc_n = 0;
    bool *win_lib = calloc(f->nwin + 1, 1), *win_svc = calloc(f->nwin + 1, 1);
    size_t fp_lib = 0, fp_svc = 0;
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (size_t k = 0; k < nb; k++) {
        ls_buf_reset(&b);
        size_t last = k * BATCH;
        for (size_t i = k * BATCH; i < f->n && i < (k + 1) * BATCH; i++, last = i - 1)
            assert_int_equal(ls_buf_printf(&b, "temp,host=nab1 value=%.17g %lld000\n", f->v[i],
                                           (long long)f->t[i]),
                             LS_OK);
        assert_int_equal(
            ls_http(&svc, "POST", "/v1/telemetry", b.data, "Content-Type: text/plain", &r), 0);
        if (r.status != 200)
            fail_msg("POST /v1/telemetry: %ld %s", r.status, r.body);
        ls_http_result_cleanup(&r);
        assert_int_equal(ls_http(&svc, "GET", "/v1/nodes/host:machine:nab1", NULL, NULL, &r), 0);
        const char *colour = ls_jstr(r.json, "anomaly.colour");
        bool red = colour && strcmp(colour, "red") == 0;
        if (red != lib_red[k] && getenv("LS_DEBUG_NAB")) {
            char *dump = json_dumps(ls_jget(r.json, "anomaly"), JSON_COMPACT);
            printf("batch %zu rows %zu..: library %d service %s\n", k, k * BATCH, lib_red[k], dump);
            free(dump);
        }
        ls_http_result_cleanup(&r);
        agree += red == lib_red[k];
        lib_n += lib_red[k];
        svc_n += red;
        long w = window_of(f, last);
        if (lib_red[k]) {
            if (w >= 0)
                win_lib[w] = true;
            else
                fp_lib++;
        }
        if (red) {
            if (w >= 0)
                win_svc[w] = true;
            else
                fp_svc++;
        }
    }
    ls_buf_cleanup(&b);
    size_t tp_lib = 0, tp_svc = 0;
    for (size_t w = 0; w < f->nwin; w++) {
        tp_lib += win_lib[w];
        tp_svc += win_svc[w];
    }
    printf("%s: %zu rows in %zu requests; red after %zu requests through the service, %zu by the "
           "library; windows detected %zu/%zu (library %zu/%zu), red requests outside windows %zu "
           "(library %zu); agreement %zu/%zu\n",
           FILE_NAME, f->n, nb, svc_n, lib_n, tp_svc, f->nwin, tp_lib, f->nwin, fp_svc, fp_lib,
           agree, nb);
    assert_true(lib_n > 0); /* the detector sees something in a series with known failures */
    assert_int_equal(agree, nb);
    assert_int_equal(tp_svc, tp_lib);
    assert_int_equal(fp_svc, fp_lib);
    assert_int_equal(ls_service_stop(&svc), 0);
    free(win_lib);
    free(win_svc);
    free(lib_red);
    nab_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_nab_series_is_coloured_as_the_library_scores_it),
    };
    int failed = cmocka_run_group_tests_name("analytics/nab_colours", tests, ls_service_group_setup,
                                             ls_service_group_teardown);
    return ls_skip_status(failed, LS_N_TESTS(tests));
}
