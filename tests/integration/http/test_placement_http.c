/* POST /v1/placement/recommendations and GET /v1/placement/hosts/{host} on a real landscaped:
 * hypervisors with Placement inventories put through the API, live load through
 * POST /v1/telemetry (Ceilometer samples naming the hypervisor by alias), the answer's shape
 * and order, rack anti-affinity, a host explained, and bad requests answered with the JSON
 * error shape while the service keeps serving. */
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
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

static void req(struct ls_service *s,
                const char *method,
                const char *path,
                const char *body,
                long want,
                struct ls_http_result *out)
{
    assert_int_equal(ls_http(s, method, path, body, NULL, out), 0);
    if (out->status != want)
        fail_msg("%s %s: %ld, want %ld: %s", method, path, out->status, want, out->body);
}

static void
call(struct ls_service *s, const char *method, const char *path, const char *body, long want)
{
    struct ls_http_result r;
    req(s, method, path, body, want, &r);
    ls_http_result_cleanup(&r);
}

/* hv<name> in rack <rack>: VCPU (total x ratio, used), 64 GiB, 1 TB, as the importer stores
 * Placement's figures. */
static void
hypervisor(struct ls_service *s, const char *name, const char *rack, int vcpus, int used)
{
    char body[1024], m[128];
    snprintf(m, sizeof(m), "{\"id\":\"host:machine:%s\",\"type\":\"machine\",\"name\":\"%s\"}",
             name, name);
    call(s, "POST", "/v1/nodes", m, 201);
    snprintf(body, sizeof(body),
             "{\"id\":\"nova:hypervisor:%s\",\"type\":\"hypervisor\",\"name\":\"%s\","
             "\"state\":\"up\",\"attrs\":{\"hypervisor_hostname\":\"%s\",\"aliases\":[\"%s\"],"
             "\"inventories\":{\"VCPU\":{\"total\":%d,\"reserved\":0,\"allocation_ratio\":4.0,"
             "\"min_unit\":1,\"max_unit\":%d,\"step_size\":1},\"MEMORY_MB\":{\"total\":65536,"
             "\"reserved\":512,\"allocation_ratio\":1.0},\"DISK_GB\":{\"total\":1000,"
             "\"reserved\":0,\"allocation_ratio\":1.0}},\"usages\":{\"VCPU\":%d,\"MEMORY_MB\":0,"
             "\"DISK_GB\":0},\"traits\":[\"COMPUTE_STATUS_ENABLED\"]}}",
             name, name, name, name, vcpus, vcpus, used);
    call(s, "POST", "/v1/nodes", body, 201);
    snprintf(body, sizeof(body),
             "{\"src\":\"nova:hypervisor:%s\",\"type\":\"runs_on\",\"dst\":\"host:machine:%s\"}",
             name, name);
    call(s, "POST", "/v1/edges", body, 201);
    snprintf(body, sizeof(body),
             "{\"src\":\"manual:rack:%s\",\"type\":\"contains\",\"dst\":\"host:machine:%s\"}", rack,
             name);
    call(s, "POST", "/v1/edges", body, 201);
}

static void landscape(struct ls_service *s)
{
    call(s, "POST", "/v1/nodes", "{\"id\":\"manual:rack:r1\",\"type\":\"rack\",\"name\":\"r1\"}",
         201);
    call(s, "POST", "/v1/nodes", "{\"id\":\"manual:rack:r2\",\"type\":\"rack\",\"name\":\"r2\"}",
         201);
    hypervisor(s, "cmp1", "r1", 16, 0);  /* capacity 64, free 64 */
    hypervisor(s, "cmp2", "r1", 16, 32); /* free 32 */
    hypervisor(s, "cmp3", "r2", 8, 30);  /* capacity 32, free 2 */
    call(s, "POST", "/v1/nodes",
         "{\"id\":\"nova:instance:aaaaaaaa-0000-0000-0000-000000000001\",\"type\":\"instance\","
         "\"name\":\"s1\",\"state\":\"ACTIVE\",\"attrs\":{\"flavor\":{\"name\":\"m1.medium\","
         "\"vcpus\":4,\"ram_mb\":4096,\"disk_gb\":40}}}",
         201);
    call(s, "POST", "/v1/edges",
         "{\"src\":\"nova:instance:aaaaaaaa-0000-0000-0000-000000000001\",\"type\":\"runs_on\","
         "\"dst\":\"nova:hypervisor:cmp1\"}",
         201);
}

static const char *host_at(json_t *a, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(a, "hosts"), i), "host"));
}

static void test_recommendations_rank_explain_and_refuse(void **state)
{
    (void)state;
    struct ls_service svc;
    /* live values read on every request: the test changes the load and asks again at once */
    static const char *const extra[] = {"--placement-live-ms", "0", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), extra), 0);
    landscape(&svc);
    struct ls_http_result r;

    /* 4 VCPUs: cmp3 has 2 free (capacity (8 - 0) x 4 - 30); cmp1 spreads best */
    req(&svc, "POST", "/v1/placement/recommendations",
        "{\"flavor\":{\"vcpus\":4,\"ram_mb\":4096,\"disk_gb\":40}}", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "hosts")), 2);
    assert_string_equal(host_at(r.json, 0), "cmp1");
    assert_string_equal(host_at(r.json, 1), "cmp2");
    assert_int_equal(ls_jint(r.json, "excluded.capacity:VCPU"), 1);
    assert_string_equal(ls_jstr(r.json, "hosts.0.node"), "nova:hypervisor:cmp1");
    assert_true(json_is_true(ls_jget(r.json, "hosts.0.fits")));
    assert_string_equal(ls_jstr(r.json, "hosts.0.reasons.0"),
                        "VCPU: 4 of 64 free (capacity 64 = (16 - 0) x 4)");
    ls_http_result_cleanup(&r);

    /* cmp1 gets busy (95 % CPU, a Ceilometer sample naming it by alias): cmp2 goes first */
    call(&svc, "POST", "/v1/telemetry",
         "{\"counter_name\":\"cpu_util\",\"counter_type\":\"gauge\",\"counter_unit\":\"%\","
         "\"counter_volume\":95,\"resource_id\":\"cmp1\",\"timestamp\":\"2026-01-01T00:00:00\"}",
         200);
    req(&svc, "POST", "/v1/placement/recommendations",
        "{\"flavor_name\":\"m1.medium\",\"count\":1}", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "hosts")), 1);
    assert_string_equal(host_at(r.json, 0), "cmp2");
    ls_http_result_cleanup(&r);

    /* rack anti-affinity with the server on cmp1 (rack r1): only r2's cmp3 (1 VCPU fits) */
    req(&svc, "POST", "/v1/placement/recommendations",
        "{\"flavor\":{\"vcpus\":1,\"ram_mb\":512},\"affinity\":\"different_rack\","
        "\"group\":[\"aaaaaaaa-0000-0000-0000-000000000001\"]}",
        200, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "hosts")), 1);
    assert_string_equal(host_at(r.json, 0), "cmp3");
    assert_int_equal(ls_jint(r.json, "excluded.anti_affinity"), 2);
    ls_http_result_cleanup(&r);

    /* one host explained */
    req(&svc, "GET", "/v1/placement/hosts/cmp1?vcpus=2&ram_mb=1024", NULL, 200, &r);
    assert_string_equal(ls_jstr(r.json, "rack"), "manual:rack:r1");
    assert_string_equal(ls_jstr(r.json, "machine"), "host:machine:cmp1");
    assert_true(json_is_true(ls_jget(r.json, "fits")));
    double load = json_number_value(ls_jget(r.json, "load"));
    assert_true(load > 0.94 && load < 0.96);
    assert_int_equal((int)json_number_value(ls_jget(r.json, "capacity.MEMORY_MB.capacity")), 65024);
    ls_http_result_cleanup(&r);
    req(&svc, "GET", "/v1/placement/hosts/cmp3?vcpus=4", NULL, 200, &r);
    assert_true(json_is_false(ls_jget(r.json, "fits")));
    assert_string_equal(ls_jstr(r.json, "excluded_by"), "capacity:VCPU");
    ls_http_result_cleanup(&r);

    /* moves: cmp1 is overloaded (0.95) with s1 (4 VCPUs) on it; only cmp2 can take it */
    req(&svc, "POST", "/v1/placement/moves", "{\"hosts\":[\"cmp1\",\"cmp3\",\"cmp9\"]}", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "moves")), 0); /* cmp3 too small */
    assert_string_equal(ls_jstr(r.json, "unknown_hosts.0"), "cmp9");
    ls_http_result_cleanup(&r);
    req(&svc, "POST", "/v1/placement/moves", "{\"limit\":5}", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "moves")), 1);
    assert_string_equal(ls_jstr(r.json, "moves.0.server"), "aaaaaaaa-0000-0000-0000-000000000001");
    assert_string_equal(ls_jstr(r.json, "moves.0.from"), "cmp1");
    assert_string_equal(ls_jstr(r.json, "moves.0.to"), "cmp2");
    assert_string_equal(ls_jstr(r.json, "moves.0.reasons.0"),
                        "from: load 0.95 >= 0.85 (overloaded)");
    assert_true(ls_jint(r.json, "pace.allowed") >= 1 && ls_jint(r.json, "pace.allowed") <= 4);
    ls_http_result_cleanup(&r);

    /* kube-scheduler's extender: 2.5 cores ask for 3 VCPUs; cmp3 has 2 free */
    req(&svc, "POST", "/v1/k8s/filter",
        "{\"Pod\":{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":"
        "\"2500m\"}}}]}},\"NodeNames\":[\"cmp2\",\"cmp3\",\"worker-9\"]}",
        200, &r);
    assert_string_equal(ls_jstr(r.json, "NodeNames.0"), "cmp2");
    assert_string_equal(ls_jstr(r.json, "NodeNames.1"), "worker-9"); /* unknown: no opinion */
    assert_non_null(ls_jstr(r.json, "FailedAndUnresolvableNodes.cmp3"));
    assert_string_equal(ls_jstr(r.json, "Error"), "");
    ls_http_result_cleanup(&r);
    req(&svc, "POST", "/v1/k8s/prioritize", "{\"Pod\":{},\"NodeNames\":[\"cmp2\",\"worker-9\"]}",
        200, &r);
    assert_string_equal(ls_jstr(r.json, "0.Host"), "cmp2");
    assert_true(ls_jint(r.json, "0.Score") >= 0 && ls_jint(r.json, "0.Score") <= 10);
    assert_int_equal(ls_jint(r.json, "1.Score"), 0);
    ls_http_result_cleanup(&r);

    /* stitching: two hypervisors in different racks, one with 64 VCPUs of capacity */
    req(&svc, "POST", "/v1/stitch",
        "{\"nodes\":[{\"id\":\"a\",\"type\":\"hypervisor\"},{\"id\":\"b\",\"type\":"
        "\"hypervisor\"}],\"conditions\":[{\"op\":\"eq\",\"node\":\"a\",\"attr\":"
        "\"inventories.VCPU.total\",\"value\":8},{\"op\":\"diff\",\"nodes\":[\"a\",\"b\"]}]}",
        200, &r);
    assert_string_equal(ls_jstr(r.json, "stitches.0.mapping.a"), "nova:hypervisor:cmp3");
    assert_int_equal(json_array_size(ls_jget(r.json, "stitches")), 2);
    assert_true(json_is_null(ls_jget(r.json, "unsatisfied")));
    ls_http_result_cleanup(&r);

    /* refused, each with its code; the service keeps serving */
    static const struct {
        const char *method, *path, *body;
        long status;
        const char *code;
    } bad[] = {
        {"POST", "/v1/placement/recommendations", "{\"flavor\":", 400, "malformed_json"},
        {"POST", "/v1/placement/recommendations", "[1]", 400, "expected_object"},
        {"POST", "/v1/placement/recommendations", "{\"hosts\":1}", 400, "unknown_field"},
        {"POST", "/v1/placement/recommendations", "{\"flavor\":{\"vcpus\":1}}", 400,
         "invalid_request"},
        {"POST", "/v1/placement/recommendations", "{\"flavor_name\":\"m9\"}", 404,
         "flavor_not_found"},
        {"POST", "/v1/placement/recommendations",
         "{\"affinity\":\"same_host\",\"group\":[\"nope\"]}", 404, "server_not_found"},
        {"POST", "/v1/placement/recommendations?x=1", "{}", 400, "unknown_parameter"},
        {"GET", "/v1/placement/hosts/nope", NULL, 404, "host_not_found"},
        {"GET", "/v1/placement/hosts/cmp1?vcpus=many", NULL, 400, "invalid_request"},
        {"GET", "/v1/placement/hosts/cmp1?colour=red", NULL, 400, "unknown_parameter"},
        {"POST", "/v1/placement/moves", "{\"limit\":0}", 400, "invalid_request"},
        {"POST", "/v1/placement/moves", "{\"hosts\":[1]}", 400, "invalid_request"},
        {"POST", "/v1/placement/moves", "{\"why\":1}", 400, "unknown_field"},
        {"POST", "/v1/k8s/filter", "{\"Pod\":{}}", 400, "invalid_request"},
        {"POST", "/v1/stitch", "{\"nodes\":[]}", 400, "invalid_request"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req(&svc, bad[i].method, bad[i].path, bad[i].body, bad[i].status, &r);
        const char *code = ls_jstr(r.json, "error.code");
        if (!code || strcmp(code, bad[i].code) != 0)
            fail_msg("%s %s: code %s, want %s", bad[i].method, bad[i].path, code ? code : "(none)",
                     bad[i].code);
        assert_int_equal(ls_jint(r.json, "error.status"), bad[i].status);
        ls_http_result_cleanup(&r);
    }
    /* 65 required traits: 422 limit_exceeded */
    char big[4096];
    size_t n = (size_t)snprintf(big, sizeof(big), "{\"traits\":{\"required\":[");
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"T%d\"", i ? "," : "", i);
    snprintf(big + n, sizeof(big) - n, "]}}");
    req(&svc, "POST", "/v1/placement/recommendations", big, 422, &r);
    assert_string_equal(ls_jstr(r.json, "error.code"), "limit_exceeded");
    ls_http_result_cleanup(&r);
    call(&svc, "GET", "/healthz", NULL, 200);
    assert_int_equal(ls_service_stop(&svc), 0); /* clean exit, no sanitizer report */
}

/* Runs landscape-elim for host against svc for `count` lines; the output into out. */
static void elim(struct ls_service *svc, const char *host, int count, char *out, size_t cap)
{
    const char *bindir = getenv("LS_BINARY_DIR");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "%s/bin/landscape-elim --server %s --host %s --interval 1 --count %d",
             bindir ? bindir : ".", svc->base, host, count);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
}

/* landscape-elim against a real landscaped: the LIM's "N name value ..." lines, one per
 * interval, with this host's rank among Landscape's recommendations. */
static void test_elim_writes_the_hosts_rank_every_interval(void **state)
{
    (void)state;
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    landscape(&svc);
    char out[512];
    /* cmp1 has the most free: rank 1 (also by its FQDN's short name) */
    elim(&svc, "cmp1.cluster.example", 2, out, sizeof(out));
    unsigned rank = 0;
    double score = -1;
    assert_int_equal(sscanf(out, "2 rank %u lscore %lf\n", &rank, &score), 2);
    assert_int_equal(rank, 1);
    assert_true(score > 0 && score <= 100);
    const char *second = strchr(out, '\n');
    assert_non_null(second);
    assert_int_equal(sscanf(second + 1, "2 rank %u lscore %lf\n", &rank, &score), 2);
    assert_int_equal(rank, 1);
    /* cmp3 (2 VCPUs free) is third; a host Landscape does not know is unranked */
    elim(&svc, "cmp3", 1, out, sizeof(out));
    assert_int_equal(sscanf(out, "2 rank %u", &rank), 1);
    assert_int_equal(rank, 3);
    elim(&svc, "elsewhere", 1, out, sizeof(out));
    assert_string_equal(out, "2 rank 100000 lscore 0.00\n");
    assert_int_equal(ls_service_stop(&svc), 0);
}

/* A machine that turns red (its CPU jumps after hours of normal minutes) takes its hypervisor
 * out of the recommendations: excluded as "red", and GET /v1/placement/hosts says why. */
static void test_a_red_host_gets_nothing_new(void **state)
{
    (void)state;
    struct ls_service svc;
    static const char *const extra[] = {"--placement-live-ms", "0", "--analytics-interval-ms", "50",
                                        NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), extra), 0);
    landscape(&svc);
    struct ls_http_result r;
    const char *ask = "{\"flavor\":{\"vcpus\":1,\"ram_mb\":512}}";
    req(&svc, "POST", "/v1/placement/recommendations", ask, 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "hosts")), 3);
    ls_http_result_cleanup(&r);

    struct ls_buf b;
    ls_buf_init(&b, 0);
    long long base = (long long)time(NULL) / 60 * 60 - 86400;
    for (int i = 0; i <= 300; i++)
        assert_int_equal(ls_buf_printf(&b, "cpu,host=cmp2 usage=%.3f %lld000000000\n",
                                       i == 300 ? 97.0 : 40 + 2 * sin(i * 1.7), base + 60LL * i),
                         LS_OK);
    call(&svc, "POST", "/v1/telemetry", b.data, 200);
    ls_buf_cleanup(&b);
    bool red = false;
    for (int i = 0; i < 100 && !red; i++) {
        req(&svc, "POST", "/v1/placement/recommendations", ask, 200, &r);
        red = ls_jint(r.json, "excluded.red") == 1;
        if (red) {
            assert_int_equal(json_array_size(json_object_get(r.json, "hosts")), 2);
            assert_string_not_equal(host_at(r.json, 0), "cmp2");
            assert_string_not_equal(host_at(r.json, 1), "cmp2");
        }
        ls_http_result_cleanup(&r);
        if (!red)
            usleep(50 * 1000);
    }
    assert_true(red);
    req(&svc, "GET", "/v1/placement/hosts/cmp2?vcpus=1", NULL, 200, &r);
    assert_true(json_is_false(ls_jget(r.json, "fits")));
    assert_string_equal(ls_jstr(r.json, "excluded_by"), "red");
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recommendations_rank_explain_and_refuse),
        cmocka_unit_test(test_elim_writes_the_hosts_rank_every_interval),
        cmocka_unit_test(test_a_red_host_gets_nothing_new),
    };
    return cmocka_run_group_tests_name("placement over HTTP", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
