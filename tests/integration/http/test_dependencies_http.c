/* Dependency inference through a real landscaped: OTLP JSON spans of two services posted to
 * POST /v1/telemetry (parent and child in one record, then child before parent in two)
 * become an inferred depends_on edge with counts on GET /v1/analytics/dependencies; an
 * operator's PATCH rejects it, and after re-inference (more spans) it stays rejected and out
 * of the list; a callee new to the caller's learned signature is a structural deviation;
 * bad parameters get 400s in the error shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

#define T0_NS     1780000000000000000LL /* 2026-05-28 */
#define EDGE_PATH "/v1/edges/otel%3Aservice%3Afrontend%7Cdepends_on%7Cotel%3Aservice%3Acart"

/* One resourceSpans entry: service svc, one span (trace t, span id s, parent p or "") at
 * T0 + at_s seconds lasting dur_ms. */
static void span_json(char *out,
                      size_t cap,
                      const char *svc,
                      int t,
                      const char *s,
                      const char *p,
                      int at_s,
                      int dur_ms,
                      int status)
{
    long long start = T0_NS + (long long)at_s * 1000000000LL;
    snprintf(out, cap,
             "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
             "{\"stringValue\":\"%s\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":"
             "\"%032x\",\"spanId\":\"%s\",\"parentSpanId\":\"%s\",\"kind\":2,"
             "\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\",\"status\":"
             "{\"code\":%d}}]}]}",
             svc, t, s, p, start, start + dur_ms * 1000000LL, status);
}

static void post(struct ls_service *svc, const char *a, const char *b, long want_spans)
{
    char body[4096];
    snprintf(body, sizeof(body), "{\"resourceSpans\":[%s%s%s]}", a, b ? "," : "", b ? b : "");
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", "/v1/telemetry", body, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("POST /v1/telemetry: %ld %s", r.status, r.body);
    assert_string_equal(ls_jstr(r.json, "format"), "otlp");
    assert_int_equal(ls_jint(r.json, "spans.received"), want_spans);
    assert_int_equal(ls_jint(r.json, "spans.refused"), 0);
    ls_http_result_cleanup(&r);
}

static json_t *get_deps(struct ls_service *svc, const char *query, long want_status)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/analytics/dependencies%s", query);
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
    if (r.status != want_status)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    ls_http_result_cleanup(&r);
    return j;
}

static void test_spans_make_an_edge_and_a_rejection_is_kept(void **state)
{
    (void)state;
    struct ls_service svc;
    static const char *const args[] = {"--depinfer-interval", "3600", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    char a[1024], b[1024];

    /* trace 1: parent and child in one record */
    span_json(a, sizeof(a), "frontend", 1, "00000000000000a1", "", 0, 50, 0);
    span_json(b, sizeof(b), "cart", 1, "00000000000000b1", "00000000000000a1", 0, 20, 0);
    post(&svc, a, b, 2);
    json_t *d = get_deps(&svc, "", 200);
    assert_int_equal(json_array_size(ls_jget(d, "dependencies")), 1);
    assert_string_equal(ls_jstr(d, "dependencies.0.src"), "otel:service:frontend");
    assert_string_equal(ls_jstr(d, "dependencies.0.dst"), "otel:service:cart");
    assert_string_equal(ls_jstr(d, "dependencies.0.evidence"), "traces");
    assert_int_equal(ls_jint(d, "dependencies.0.calls"), 1);
    assert_int_equal(ls_jint(d, "dependencies.0.errors"), 0);
    assert_true(json_is_null(ls_jget(d, "dependencies.0.status")));
    json_decref(d);

    /* trace 2, two minutes later: the child (an error) before its parent, two records */
    span_json(b, sizeof(b), "cart", 2, "00000000000000b2", "00000000000000a2", 120, 30, 2);
    post(&svc, b, NULL, 1);
    span_json(a, sizeof(a), "frontend", 2, "00000000000000a2", "", 120, 60, 0);
    post(&svc, a, NULL, 1);
    d = get_deps(&svc, "?min_strength=0.5", 200);
    assert_int_equal(ls_jint(d, "dependencies.0.calls"), 2);
    assert_int_equal(ls_jint(d, "dependencies.0.errors"), 1);
    json_decref(d);
    /* a window before the evidence, a strength above it: nothing */
    d = get_deps(&svc, "?to=2020-01-01T00:00:00Z", 200);
    assert_int_equal(json_array_size(ls_jget(d, "dependencies")), 0);
    json_decref(d);
    d = get_deps(&svc, "?min_strength=0.99", 200);
    assert_int_equal(json_array_size(ls_jget(d, "dependencies")), 0);
    json_decref(d);

    /* the operator rejects it (a status that is no verdict is refused) */
    struct ls_http_result r;
    assert_int_equal(
        ls_http(&svc, "PATCH", EDGE_PATH, "{\"attrs\":{\"status\":\"maybe\"}}", NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(ls_jstr(r.json, "error.code"), "invalid_field");
    ls_http_result_cleanup(&r);
    assert_int_equal(
        ls_http(&svc, "PATCH", EDGE_PATH, "{\"attrs\":{\"status\":\"rejected\"}}", NULL, &r), 0);
    if (r.status != 200)
        fail_msg("PATCH: %ld %s", r.status, r.body);
    ls_http_result_cleanup(&r);

    /* re-inference with more calls: the edge stays rejected, out of the list, counts as they
     * were when rejected */
    span_json(a, sizeof(a), "frontend", 3, "00000000000000a3", "", 400, 50, 0);
    span_json(b, sizeof(b), "cart", 3, "00000000000000b3", "00000000000000a3", 400, 20, 0);
    post(&svc, a, b, 2);
    d = get_deps(&svc, "", 200);
    assert_int_equal(json_array_size(ls_jget(d, "dependencies")), 0);
    json_decref(d);
    d = get_deps(&svc, "?status=rejected", 200);
    assert_int_equal(json_array_size(ls_jget(d, "dependencies")), 1);
    assert_string_equal(ls_jstr(d, "dependencies.0.status"), "rejected");
    assert_int_equal(ls_jint(d, "dependencies.0.calls"), 2);
    json_decref(d);
    assert_int_equal(ls_http(&svc, "GET", EDGE_PATH, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(ls_jstr(r.json, "source"), "inferred");
    assert_string_equal(ls_jstr(r.json, "attrs.status"), "rejected");
    ls_http_result_cleanup(&r);

    /* structure: past frontend's learned signature (its first 10 minutes: cart), a new
     * callee is a deviation with its reason */
    d = get_deps(&svc, "", 200);
    assert_int_equal(json_array_size(ls_jget(d, "deviations")), 0);
    json_decref(d);
    span_json(a, sizeof(a), "frontend", 4, "00000000000000a4", "", 700, 50, 0);
    span_json(b, sizeof(b), "payment", 4, "00000000000000b4", "00000000000000a4", 700, 20, 0);
    post(&svc, a, b, 2);
    d = get_deps(&svc, "", 200);
    assert_string_equal(ls_jstr(d, "deviations.0.id"), "otel:service:frontend");
    assert_string_equal(ls_jstr(d, "deviations.0.detector"), "structure");
    assert_string_equal(ls_jstr(d, "deviations.0.reasons.0.target"), "otel:service:payment");
    assert_string_equal(ls_jstr(d, "deviations.0.reasons.0.change"), "new");
    assert_int_equal(json_array_size(ls_jget(d, "deviations.0.reasons")), 1);
    json_decref(d);
    /* ... and it colours the service like a metric anomaly: yellow (a new callee), its
     * reason with detector "structure", on the colours and on the node */
    struct ls_http_result cr;
    assert_int_equal(
        ls_http(&svc, "GET", "/v1/analytics/colours?type=service&colour=yellow", NULL, NULL, &cr),
        0);
    assert_int_equal(cr.status, 200);
    assert_string_equal(ls_jstr(cr.json, "nodes.0.id"), "otel:service:frontend");
    assert_string_equal(ls_jstr(cr.json, "nodes.0.reasons.0.detector"), "structure");
    assert_string_equal(ls_jstr(cr.json, "nodes.0.reasons.0.target"), "otel:service:payment");
    ls_http_result_cleanup(&cr);
    assert_int_equal(ls_http(&svc, "GET", "/v1/nodes/otel:service:frontend", NULL, NULL, &cr), 0);
    assert_string_equal(ls_jstr(cr.json, "anomaly.colour"), "yellow");
    ls_http_result_cleanup(&cr);

    /* bad parameters */
    static const char *const bad[] = {"?min_strength=2", "?min_strength=x", "?status=maybe",
                                      "?from=yesterday", "?nope=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d = get_deps(&svc, bad[i], 400);
        assert_int_equal(ls_jint(d, "error.status"), 400);
        json_decref(d);
    }
    assert_int_equal(ls_service_stop(&svc), 0);
}

/* Metrics alone: three service nodes, 6 hours of one-minute samples (a random walk for a,
 * b following a with its own noise, c walking on its own) posted as influx lines with past
 * timestamps; POST /v1/analytics/dependencies/infer links a and b (evidence "metrics"), not c. */
static void test_correlated_metrics_make_an_edge(void **state)
{
    (void)state;
    struct ls_service svc;
    static const char *const args[] = {"--depinfer-interval",
                                       "3600",
                                       "--depinfer-metrics-interval",
                                       "0",
                                       "--telemetry-rollup-grace",
                                       "0",
                                       NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    struct ls_http_result r;
    static const char *const names[] = {"svc-a", "svc-b", "svc-c"};
    char body[512];
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof(body), "{\"id\":\"%s\",\"type\":\"service\",\"name\":\"%s\"}",
                 names[i], names[i]);
        assert_int_equal(ls_http(&svc, "POST", "/v1/nodes", body, NULL, &r), 0);
        assert_int_equal(r.status, 201);
        ls_http_result_cleanup(&r);
        snprintf(body, sizeof(body), "{\"alias\":\"%s\",\"node\":\"%s\"}", names[i], names[i]);
        assert_int_equal(ls_http(&svc, "POST", "/v1/aliases", body, NULL, &r), 0);
        assert_int_equal(r.status, 201);
        ls_http_result_cleanup(&r);
    }
    size_t cap = 200000, len = 0;
    char *lines = malloc(cap);
    uint64_t seed = 7;
    double a = 100, c = 100;
    for (int m = 0; m < 360; m++) {
        double v[3];
        for (int k = 0; k < 2; k++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            double u = (double)(seed % 2001) / 1000.0 - 1.0;
            if (k == 0)
                a += 5 * u;
            else
                c += 5 * u;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v[0] = a;
        v[1] = 2 * a + (double)(seed % 1001) / 1000.0;
        v[2] = c;
        long long t = T0_NS + (long long)m * 60000000000LL;
        for (int i = 0; i < 3; i++)
            len += (size_t)snprintf(lines + len, cap - len, "latency,host=%s value=%.4f %lld\n",
                                    names[i], v[i], t);
    }
    assert_int_equal(ls_http_body(&svc, "POST", "/v1/telemetry", "text/plain", lines, len, &r), 0);
    if (r.status != 200)
        fail_msg("POST lines: %ld %s", r.status, r.body);
    assert_int_equal(ls_jint(r.json, "applied"), 1080);
    ls_http_result_cleanup(&r);
    free(lines);
    assert_int_equal(ls_http(&svc, "POST", "/v1/analytics/dependencies/infer", NULL, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("infer: %ld %s", r.status, r.body);
    assert_int_equal(ls_jint(r.json, "metric_links"), 1);
    ls_http_result_cleanup(&r);
    json_t *d = get_deps(&svc, "", 200);
    assert_int_equal(json_array_size(ls_jget(d, "dependencies")), 1);
    assert_string_equal(ls_jstr(d, "dependencies.0.evidence"), "metrics");
    const char *src = ls_jstr(d, "dependencies.0.src"), *dst = ls_jstr(d, "dependencies.0.dst");
    assert_true((strcmp(src, "svc-a") == 0 && strcmp(dst, "svc-b") == 0) ||
                (strcmp(src, "svc-b") == 0 && strcmp(dst, "svc-a") == 0));
    assert_true(json_number_value(ls_jget(d, "dependencies.0.strength")) > 0.5);
    assert_null(ls_jget(d, "dependencies.0.calls"));
    json_decref(d);
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans_make_an_edge_and_a_rejection_is_kept),
        cmocka_unit_test(test_correlated_metrics_make_an_edge),
    };
    return cmocka_run_group_tests_name("integration/dependencies_http", tests,
                                       ls_service_group_setup, ls_service_group_teardown);
}
