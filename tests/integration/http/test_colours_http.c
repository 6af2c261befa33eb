/* Colours through the real landscaped (issue 13, item 2): a machine and a VM on it learn
 * normal telemetry; the machine's CPU jumps. The machine turns red with its reasons on
 * GET /v1/analytics/colours, GET /v1/nodes/{id} and GET /v1/graph?colour=true; the VM, normal
 * itself, has impact red from the machine; the change arrives as `event: colour` on SSE and as
 * a signed webhook; ?at= before the jump says green. The time from the POST that carried the
 * jump to the colour on the API is printed (docs/benchmarks.md has the figures). Bad
 * arguments get 400, and a service with --analytics off says 404 analytics_off. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "server/notify.h"
#include "tests/support/hook_server.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/sse_stream.h"

#define HOST "host:machine:h1"
#define VM   "nova:instance:11111111-1111-4111-8111-111111111111"
#define VMU  "11111111-1111-4111-8111-111111111111"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *get(struct ls_service *svc, const char *path, long status)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
    if (r.status != status)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    ls_http_result_cleanup(&r);
    return j;
}

static void post(struct ls_service *svc, const char *path, const char *body, long status)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", path, body, NULL, &r), 0);
    if (r.status != status)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    ls_http_result_cleanup(&r);
}

/* Influx lines for minutes [from, to) after base: the machine (jumped to 97 with jump) and
 * the VM (always normal). */
static void post_minutes(struct ls_service *svc, long long base, int from, int to, bool jump)
{
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (int i = from; i < to; i++) {
        double w = 2 * sin(i * 1.7) + 0.6 * cos(i * 0.37);
        long long t = base + 60LL * i;
        assert_int_equal(
            ls_buf_printf(&b, "cpu,host=h1 usage=%.3f %lld000000000\n", jump ? 97.0 : 40 + w, t),
            LS_OK);
        assert_int_equal(
            ls_buf_printf(&b, "cpu,uuid=" VMU " usage=%.3f %lld000000000\n", 20 - w, t), LS_OK);
    }
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", "/v1/telemetry", b.data, "Content-Type: text/plain", &r),
                     0);
    if (r.status != 200)
        fail_msg("POST /v1/telemetry: %ld %s", r.status, r.body);
    ls_http_result_cleanup(&r);
    ls_buf_cleanup(&b);
}

/* The colours document's entry for id, or NULL (borrowed from doc). */
static json_t *entry(json_t *doc, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "nodes"), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
            return v;
    }
    return NULL;
}

static void test_a_machine_turns_red_and_its_vm_takes_the_impact(void **state)
{
    (void)state;
    const int ok[] = {200};
    char hook[64];
    struct ls_hook_server *hs = ls_hook_server_start(ok, 1, hook);
    assert_non_null(hs);
    const char *dsn = ls_harness_new_db();
    const char *flags[] = {
        "--webhook", hook, "--webhook-secret", "s3cret", "--analytics-interval-ms", "100", NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, dsn, flags), 0);
    post(&svc, "/v1/nodes", "{\"id\":\"" HOST "\",\"type\":\"machine\",\"name\":\"h1\"}", 201);
    post(&svc, "/v1/nodes", "{\"id\":\"" VM "\",\"type\":\"instance\"}", 201);
    post(&svc, "/v1/edges", "{\"src\":\"" VM "\",\"type\":\"runs_on\",\"dst\":\"" HOST "\"}", 201);

    /* five hours of normal minutes a day ago */
    long long base = (long long)time(NULL) / 60 * 60 - 86400;
    post_minutes(&svc, base, 0, 300, false);
    char url[300];
    snprintf(url, sizeof url, "%s/v1/events?kind=colour", svc.base);
    struct ls_sse_stream sse;
    ls_sse_stream_start(&sse, url);
    assert_true(ls_sse_stream_wait(&sse, "landscape events", 5000));
    /* let a sweep see the normal state, so ?at= has it */
    json_t *j = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(j);
        j = get(&svc, "/v1/analytics/colours", 200);
        if (entry(j, HOST) && entry(j, VM))
            break;
        usleep(50 * 1000);
    }
    assert_string_equal(ls_jstr(entry(j, HOST), "colour"), "green");
    assert_string_equal(ls_jstr(entry(j, VM), "impact"), "green");
    assert_true(json_integer_value(json_object_get(j, "revision")) >= 3);
    json_decref(j);
    usleep(300 * 1000);

    /* the jump: one minute at 97 */
    post_minutes(&svc, base, 300, 301, true);
    double t0 = now_s();
    double seen = -1;
    for (int i = 0; i < 200 && seen < 0; i++) {
        j = get(&svc, "/v1/analytics/colours?colour=red", 200);
        if (entry(j, HOST))
            seen = now_s() - t0;
        json_decref(j);
        if (seen < 0)
            usleep(10 * 1000);
    }
    if (seen < 0)
        fail_msg("the machine never turned red");
    printf("colour visible on the API %.0f ms after the POST that carried the jump returned\n",
           seen * 1000);

    /* the contract shape, with reasons; the impact follows at the next sweep (own colours are
     * judged when read, impact and events at each sweep) */
    j = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(j);
        j = get(&svc, "/v1/analytics/colours", 200);
        if (strcmp(ls_jstr(entry(j, VM), "impact"), "red") == 0)
            break;
        usleep(20 * 1000);
    }
    printf("impact on the VM visible %.0f ms after the POST\n", (now_s() - t0) * 1000);
    json_t *h = entry(j, HOST);
    assert_non_null(h);
    assert_string_equal(ls_jstr(h, "colour"), "red");
    assert_true(json_number_value(json_object_get(h, "score")) >= 0.82);
    assert_string_equal(ls_jstr(h, "impact"), "green");
    json_t *reason = ls_jget(h, "reasons.0");
    assert_non_null(reason);
    assert_non_null(strstr(ls_jstr(reason, "metric"), "usage"));
    assert_true(fabs(json_number_value(json_object_get(reason, "value")) - 97.0) < 1e-9);
    json_t *expected = json_object_get(reason, "expected");
    assert_int_equal(json_array_size(expected), 2);
    assert_true(json_number_value(json_array_get(expected, 1)) < 97.0);
    assert_true(json_number_value(json_array_get(expected, 0)) <
                json_number_value(json_array_get(expected, 1)));
    assert_non_null(ls_jstr(reason, "since"));
    assert_non_null(ls_jstr(reason, "detector"));
    json_t *v = entry(j, VM);
    assert_string_equal(ls_jstr(v, "colour"), "green");
    assert_string_equal(ls_jstr(v, "impact"), "red");
    assert_string_equal(ls_jstr(v, "impact_from"), HOST);
    json_decref(j);

    /* filters */
    j = get(&svc, "/v1/analytics/colours?layer=virtual", 200);
    assert_null(entry(j, HOST));
    assert_non_null(entry(j, VM));
    json_decref(j);
    j = get(&svc, "/v1/analytics/colours?type=machine&colour=red", 200);
    assert_int_equal(json_array_size(json_object_get(j, "nodes")), 1);
    json_decref(j);

    /* on the node and on the graph */
    j = get(&svc, "/v1/nodes/" VM, 200);
    assert_string_equal(ls_jstr(j, "anomaly.impact"), "red");
    assert_string_equal(ls_jstr(j, "anomaly.colour"), "green");
    json_decref(j);
    j = get(&svc, "/v1/graph?colour=true", 200);
    size_t i;
    json_array_foreach(json_object_get(j, "nodes"), i, v)
    {
        assert_non_null(json_object_get(v, "anomaly"));
        if (strcmp(ls_jstr(v, "id"), HOST) == 0)
            assert_string_equal(ls_jstr(v, "anomaly.colour"), "red");
    }
    json_decref(j);
    j = get(&svc, "/v1/graph", 200);
    assert_null(ls_jget(j, "nodes.0.anomaly"));
    json_decref(j);

    /* SSE and the signed webhook */
    assert_true(ls_sse_stream_wait(&sse, "event: colour", 5000));
    assert_true(ls_sse_stream_wait(&sse, "\"id\":\"" HOST "\"", 5000));
    ls_sse_stream_stop(&sse);
    assert_non_null(strstr(sse.data, "\"colour\":\"red\""));
    bool hooked = false;
    size_t n = ls_hook_server_wait(hs, 2, 10);
    for (size_t k = 0; k < n; k++) {
        const struct ls_hook_request *hr = ls_hook_server_request(hs, k);
        if (!strstr(hr->body, "\"" HOST "\"") || !strstr(hr->body, "\"colour\":\"red\""))
            continue;
        char sig[72];
        ls_notify_sign(sig, "s3cret", hr->body, strlen(hr->body));
        assert_string_equal(hr->signature, sig);
        assert_non_null(strstr(hr->body, "\"event\":\"colour\""));
        hooked = true;
    }
    assert_true(hooked);

    /* ?at= a minute before the jump: green; now: red */
    char path[200], ts[40];
    time_t before = (time_t)(base + 60LL * 299);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&before));
    snprintf(path, sizeof path, "/v1/analytics/colours?at=%s", ts);
    j = get(&svc, path, 200);
    assert_string_equal(ls_jstr(entry(j, HOST), "colour"), "green");
    assert_non_null(ls_jstr(j, "history_from"));
    json_decref(j);
    time_t after = (time_t)(base + 60LL * 301);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&after));
    snprintf(path, sizeof path, "/v1/analytics/colours?at=%s", ts);
    j = get(&svc, path, 200);
    assert_string_equal(ls_jstr(entry(j, HOST), "colour"), "red");
    assert_string_equal(ls_jstr(entry(j, VM), "impact"), "red");
    json_decref(j);

    /* bad arguments */
    j = get(&svc, "/v1/analytics/colours?colour=purple", 400);
    assert_string_equal(ls_jstr(j, "error.code"), "invalid_parameter");
    json_decref(j);
    j = get(&svc, "/v1/analytics/colours?layer=moon", 400);
    json_decref(j);
    j = get(&svc, "/v1/analytics/colours?color=red", 400);
    json_decref(j);
    j = get(&svc, "/v1/graph?colour=maybe", 400);
    json_decref(j);
    assert_int_equal(ls_service_stop(&svc), 0);
    ls_hook_server_stop(hs);
}

static void test_analytics_off_says_so(void **state)
{
    (void)state;
    const char *flags[] = {"--analytics=off", NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), flags), 0);
    json_t *j = get(&svc, "/v1/analytics/colours", 404);
    assert_string_equal(ls_jstr(j, "error.code"), "analytics_off");
    json_decref(j);
    j = get(&svc, "/v1/graph?colour=true", 404);
    assert_string_equal(ls_jstr(j, "error.code"), "analytics_off");
    json_decref(j);
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_machine_turns_red_and_its_vm_takes_the_impact),
        cmocka_unit_test(test_analytics_off_says_so),
    };
    return cmocka_run_group_tests_name("integration/http/colours", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
