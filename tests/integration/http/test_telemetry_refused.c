/* POST /v1/telemetry with records that once crashed landscaped (issue 12: a PUTVAL without
 * values, SIGSEGV in the collectd decoder) or that carry values that make no sense (NaN, ±inf,
 * times before 1970 or past 9999, integers beyond their type): each is answered with a 4xx in
 * the JSON error shape naming the reason, counted by reason in /metrics, and the service keeps
 * serving. The first request is the issue's exact curl command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

static void expect_alive(struct ls_service *svc)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    ls_http_result_cleanup(&r);
}

/* The issue's reproduction, run by the curl program as an operator would. */
static void test_the_issue_curl_gets_a_400_and_the_service_lives(void **state)
{
    (void)state;
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "curl -s -w '\\n%%{http_code}' -X POST --data-binary 'PUTVAL a/b/c :' "
             "-H 'Content-Type: text/plain' %s/v1/telemetry",
             svc.base);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[1024];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) /* 52: empty reply, the process was gone */
        fail_msg("curl exited with %d: %s", WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
    char *nl = strrchr(out, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_string_equal(nl + 1, "400");
    json_error_t je;
    json_t *body = json_loads(out, 0, &je);
    if (body == NULL)
        fail_msg("not JSON: %s", out);
    assert_string_equal(ls_jstr(body, "error.code"), "malformed_record");
    assert_int_equal(ls_jint(body, "error.status"), 400);
    json_decref(body);
    expect_alive(&svc);
    assert_int_equal(ls_service_stop(&svc), 0); /* clean exit, no sanitizer report */
}

static void test_poison_records_are_refused_by_reason_and_counted(void **state)
{
    (void)state;
    static const struct {
        const char *body, *code;
    } cases[] = {
        {"PUTVAL a/b/c :", "malformed_record"},
        {"PUTVAL a/b/c", "malformed_record"},
        {"PUTVAL \"a/b/c N:1", "malformed_record"},
        {"PUTVAL h/virt-x/if_octets-tap 1e300:1:2", "time_out_of_range"},
        {"PUTVAL h/virt-x/if_octets-tap nan:1", "time_not_finite"},
        {"PUTVAL h/virt-x/if_octets-tap 1747140780:inf", "value_not_finite"},
        {"cpu,host=a usage=nan 1747140780000000000", "value_not_finite"},
        {"cpu,host=a usage=1i -5", "time_out_of_range"},
        {"cpu,host=a usage=9223372036854775808i 1747140780000000000", "value_out_of_range"},
        {"{\"name\":\"up\",\"labels\":{},\"value\":\"NaN\",\"timestamp\":\"2025-05-13T12:53:00Z\"}",
         "value_not_finite"},
        {"{\"metric\":{\"name\":\"x\",\"value\":1,\"timestamp\":1e300},\"meta\":{}}",
         "time_out_of_range"},
        {"{\"name\":\"m\",\"tags\":{},\"fields\":{\"x\":1},\"timestamp\":-5}", "time_out_of_range"},
    };
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ls_http_result r;
        assert_int_equal(
            ls_http(&svc, "POST", "/v1/telemetry", cases[i].body, "Content-Type: text/plain", &r),
            0);
        if (r.status != 400 || r.json == NULL ||
            strcmp(ls_jstr(r.json, "error.code") ? ls_jstr(r.json, "error.code") : "",
                   cases[i].code) != 0)
            fail_msg("%s: %ld %s, want 400 %s", cases[i].body, r.status, r.body, cases[i].code);
        assert_non_null(ls_jstr(r.json, "error.message"));
        ls_http_result_cleanup(&r);
        expect_alive(&svc);
    }
    /* a good record still goes in: collectd's N is now (not 1970, which would be refused) */
    struct ls_http_result r;
    assert_int_equal(ls_http(&svc, "POST", "/v1/telemetry", "PUTVAL h/cpu-0/cpu-user N:5",
                             "Content-Type: text/plain", &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(ls_jint(r.json, "samples"), 1);
    ls_http_result_cleanup(&r);
    /* counted by reason */
    assert_int_equal(ls_http(&svc, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    static const struct {
        const char *reason;
        int n;
    } counts[] = {{"malformed_record", 3}, {"time_out_of_range", 4},  {"time_not_finite", 1},
                  {"value_not_finite", 3}, {"value_out_of_range", 1}, {"empty_record", 0}};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        char line[160];
        snprintf(line, sizeof(line),
                 "landscape_telemetry_refused_total{source=\"http\",reason=\"%s\"} %d\n",
                 counts[i].reason, counts[i].n);
        if (strstr(r.body, line) == NULL)
            fail_msg("/metrics lacks %s", line);
    }
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_issue_curl_gets_a_400_and_the_service_lives),
        cmocka_unit_test(test_poison_records_are_refused_by_reason_and_counted),
    };
    return cmocka_run_group_tests_name("integration/http/telemetry_refused", tests,
                                       ls_service_group_setup, ls_service_group_teardown);
}
