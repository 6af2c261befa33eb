/* Telemetry rollups end to end through the real landscaped: samples posted to
 * POST /v1/telemetry (Telegraf influx lines, an hour old) become per-minute rows in Postgres
 * once the data passes their minute, and GET /v1/nodes/{id}/telemetry?from=&to=&step= answers
 * that window from them — far older than the live ring of recent points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "common/buf.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

static void test_posted_samples_are_answered_from_rollups(void **state)
{
    (void)state;
    const char *flags[] = {"--telemetry-flush-interval", "1", "--telemetry-rollup-grace", "0",
                           NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), flags), 0);
    struct ls_http_result r;
    assert_int_equal(
        ls_http(&svc, "POST", "/v1/nodes",
                "{\"id\":\"host:machine:web-1\",\"type\":\"machine\",\"name\":\"web-1\"}", NULL,
                &r),
        0);
    assert_int_equal(r.status, 201);
    ls_http_result_cleanup(&r);
    /* two whole minutes an hour ago (values 0..59, then 100..159), then one sample a minute
     * later that carries the data's clock past them */
    long long m0 = (long long)time(NULL) / 120 * 120 - 3600; /* on a 2-minute boundary */
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (int s = 0; s < 120; s++)
        assert_int_equal(ls_buf_printf(&b, "mem,host=web-1 used=%di %lld000000000\n",
                                       s < 60 ? s : 40 + s, m0 + s),
                         LS_OK);
    assert_int_equal(ls_buf_printf(&b, "mem,host=web-1 used=1i %lld000000000\n", m0 + 180), LS_OK);
    assert_int_equal(ls_http(&svc, "POST", "/v1/telemetry", b.data, "Content-Type: text/plain", &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(ls_jint(r.json, "applied"), 121);
    ls_http_result_cleanup(&r);
    ls_buf_cleanup(&b);

    char path[256], from[32], to[32];
    struct tm tm;
    time_t t = (time_t)m0;
    strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    t = (time_t)(m0 + 600);
    strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    snprintf(path, sizeof(path), "/v1/nodes/host:machine:web-1/telemetry?from=%s&to=%s", from, to);
    json_t *pts = NULL;
    for (int i = 0; i < 100; i++) { /* the flusher writes every second */
        assert_int_equal(ls_http(&svc, "GET", path, NULL, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        json_t *rollups = ls_jget(r.json, "rollups");
        const char *metric;
        json_t *v;
        json_object_foreach(rollups, metric, v)
        {
            if (json_array_size(json_object_get(v, "points")) == 2)
                pts = json_incref(json_object_get(v, "points"));
        }
        ls_http_result_cleanup(&r);
        if (pts)
            break;
        usleep(100 * 1000);
    }
    assert_non_null(pts);
    json_t *p0 = json_array_get(pts, 0), *p1 = json_array_get(pts, 1);
    assert_string_equal(json_string_value(json_array_get(p0, 0)), from);
    assert_true(json_real_value(json_array_get(p0, 1)) == 29.5); /* mean of 0..59 */
    assert_true(json_real_value(json_array_get(p0, 2)) == 0.0);
    assert_true(json_real_value(json_array_get(p0, 3)) == 59.0);
    assert_int_equal(json_integer_value(json_array_get(p0, 4)), 60);
    assert_true(json_real_value(json_array_get(p1, 1)) == 129.5);
    assert_int_equal(json_integer_value(json_array_get(p1, 4)), 60);
    json_decref(pts);
    /* two-minute buckets: one of 120 samples */
    snprintf(path, sizeof(path), "/v1/nodes/host:machine:web-1/telemetry?from=%s&to=%s&step=120",
             from, to);
    assert_int_equal(ls_http(&svc, "GET", path, NULL, NULL, &r), 0);
    assert_int_equal(json_object_size(ls_jget(r.json, "rollups")), 1); /* the one series */
    const char *metric;
    json_t *v;
    json_object_foreach(ls_jget(r.json, "rollups"), metric, v)
    {
        json_t *q = json_object_get(v, "points");
        assert_int_equal(json_array_size(q), 1);
        assert_int_equal(json_integer_value(json_array_get(json_array_get(q, 0), 4)), 120);
    }
    ls_http_result_cleanup(&r);
    /* /metrics says how many samples went to rollups */
    assert_int_equal(ls_http(&svc, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_non_null(strstr(r.body, "landscape_rollup_samples_total{result=\"added\"} 121"));
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_posted_samples_are_answered_from_rollups),
    };
    return cmocka_run_group_tests_name("integration/http/rollups", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
