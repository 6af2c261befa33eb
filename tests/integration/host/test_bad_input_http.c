/* Inputs that crashed or stalled landscaped (found by review and by the fuzz targets of
 * tests/fuzz/) sent to a real landscaped over HTTP: each gets a 4xx with the JSON error shape
 * and its code, nothing is applied, and the service keeps answering. The bodies are the
 * regression inputs kept in tests/fuzz/corpus/. */
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
#include "tests/unit/host/fixtures.h"

static int setup(void **state)
{
    struct ls_service *svc = calloc(1, sizeof(*svc));
    if (ls_service_start(svc, ls_harness_new_db(), NULL) != 0)
        fail_msg("landscaped did not start");
    *state = svc;
    return 0;
}

static int teardown(void **state)
{
    struct ls_service *svc = *state;
    assert_int_equal(ls_service_stop(svc), 0);
    free(svc);
    return 0;
}

/* Sends body and checks the answer: status, the error shape and code; then that the service
 * still answers and the graph is where it was (revision 0: nothing was ever applied). */
static void expect_refused(struct ls_service *svc,
                           const char *method,
                           const char *path,
                           const char *ctype,
                           const char *body,
                           size_t len,
                           long status,
                           const char *code)
{
    struct ls_http_result r;
    assert_int_equal(ls_http_body(svc, method, path, ctype, body, len, &r), 0);
    if (r.status != status || !r.json || !ls_jstr(r.json, "error.code") ||
        strcmp(ls_jstr(r.json, "error.code"), code) != 0)
        fail_msg("%s %s: %ld %s (expected %ld %s)", method, path, r.status, r.body, status, code);
    assert_int_equal(ls_jint(r.json, "error.status"), status);
    assert_non_null(ls_jstr(r.json, "error.message"));
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(svc, "GET", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(svc, "GET", "/v1/nodes", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 0);
    ls_http_result_cleanup(&r);
}

/* A regression input of tests/fuzz/corpus/<target>/<name>. */
static char *corpus(const char *target, const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "../fuzz/corpus/%s/%s", target, name);
    return fixture_read(rel, len);
}

static void test_topology_bodies_that_crashed_hwloc_are_400(void **state)
{
    struct ls_service *svc = *state;
    const char *path = "/v1/hosts/fuzz-host/topology"; /* the agent seeds name fuzz-host */
    size_t len;
    /* the known crash of issue 12: a NUL inside the XML */
    char *xml = fixture_read("hwloc/synth_flat.xml", &len);
    xml[100] = '\0';
    expect_refused(svc, "PUT", path, "application/xml", xml, len, 400, "invalid_topology");
    free(xml);
    static const char *const found[][3] = {
        {"hwloc_xml", "crash-hwloc-cpuset-without-complete-cpuset.xml", "application/xml"},
        {"hwloc_xml", "timeout-hwloc-pu-without-os-index.xml", "application/xml"},
        /* passes xml_check: refused because it crashed a trial build in a child process */
        {"hwloc_xml", "crash-hwloc-v1-numa-without-cpuset.xml", "application/xml"},
        {"agent_json", "crash-hwloc-child-cpuset-outside-parent.json", "application/json"},
    };
    for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
        char *body = corpus(found[i][0], found[i][1], &len);
        expect_refused(svc, "PUT", path, found[i][2], body, len, 400, "invalid_topology");
        free(body);
    }
}

static void test_agent_facts_out_of_range_are_400(void **state)
{
    struct ls_service *svc = *state;
    char *xml = fixture_read("hwloc/server_io.xml", NULL);
    json_t *doc =
        json_pack("{s:s,s:{s:{s:i}}}", "hwloc_xml", xml, "nics", "ens1f0", "speed_mbps", -1);
    char *body = json_dumps(doc, 0);
    expect_refused(svc, "PUT", "/v1/hosts/h1/topology", "application/json", body, strlen(body), 400,
                   "invalid_nics");
    free(body);
    json_decref(doc);
    free(xml);
}

static void test_bulk_values_that_make_no_sense_are_400(void **state)
{
    struct ls_service *svc = *state;
    static const char *const yaml[] = {
        "nodes: [{type: rack, name: \"R\\0x\"}]\n",
        "nodes: [{type: rack, name: R1, attrs: {watts: 99999999999999999999}}]\n",
        "nodes: [{type: rack, name: R1, attrs: {watts: -nan}}]\n",
        "nodes: [{type: rack, name: R1, type: pdu}]\n",
    };
    for (size_t i = 0; i < sizeof(yaml) / sizeof(yaml[0]); i++)
        expect_refused(svc, "POST", "/v1/bulk", "application/yaml", yaml[i], strlen(yaml[i]), 400,
                       "invalid_yaml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_topology_bodies_that_crashed_hwloc_are_400, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_agent_facts_out_of_range_are_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_values_that_make_no_sense_are_400, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("host/bad_input_http", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
