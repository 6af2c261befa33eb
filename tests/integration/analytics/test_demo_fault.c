/* POST /_demo/fault through the real landscaped --demo: the demo is quiet until a fault is
 * injected (no red node, no incident); a fault injected into its own telemetry stream (mock
 * Kafka, the regular consumer) shows on the node it hit, GET reports it, DELETE ends it; a dead
 * top-of-rack switch is named first by the incident it opens; bad input gets 4xx; without the
 * demo stream every method is 404 demo_off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

/* The largest last value among the node's CPU metrics (-1 when it has none yet). */
static double cpu_of(struct ls_service *svc, const char *id)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/nodes/%s/telemetry", id);
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    double best = -1;
    const char *name;
    json_t *m;
    json_object_foreach(json_object_get(r.json, "metrics"), name, m)
    {
        if (strstr(name, "cpu") && json_number_value(json_object_get(m, "last")) > best)
            best = json_number_value(json_object_get(m, "last"));
    }
    ls_http_result_cleanup(&r);
    return best;
}

static void expect_error(
    struct ls_service *svc, const char *method, const char *body, long status, const char *code)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, method, "/_demo/fault", body, NULL, &r), 0);
    if (r.status != status || !ls_jstr(r.json, "error.code") ||
        strcmp(ls_jstr(r.json, "error.code"), code) != 0)
        fail_msg("%s %s: %ld %s, want %ld %s", method, body ? body : "", r.status, r.body, status,
                 code);
    ls_http_result_cleanup(&r);
}

/* How many nodes GET /v1/analytics/colours gives each colour; and the open incidents. */
static void colours_and_incidents(struct ls_service *svc, int *green, int *red, size_t *incidents)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", "/v1/analytics/colours", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    *green = *red = 0;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(r.json, "nodes"), i, n)
    {
        const char *c = json_string_value(json_object_get(n, "colour"));
        *green += c && strcmp(c, "green") == 0;
        *red += c && strcmp(c, "red") == 0;
    }
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(svc, "GET", "/v1/analytics/incidents?state=open", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    *incidents = json_array_size(json_object_get(r.json, "incidents"));
    ls_http_result_cleanup(&r);
}

/* Starts landscaped --demo on its own database; returns the time it started. */
static time_t start_demo(struct ls_service *svc)
{
    const char *flags[] = {"--demo", NULL};
    assert_int_equal(ls_service_start(svc, ls_harness_new_db(), flags), 0);
    return time(NULL);
}

/* The demo's own stream, history and live, is normal: once its detectors are warm and the
 * live stream has run a while (its start joins the history it was given), no node is red and
 * no incident is open — what turns red is what POST /_demo/fault injects. */
static void test_the_demo_is_quiet_until_a_fault(void **state)
{
    (void)state;
    struct ls_service svc;
    time_t t0 = start_demo(&svc);
    int green = 0, red = 0, checks = 0;
    size_t incidents = 0;
    while (time(NULL) - t0 < 120 && checks < 15) {
        colours_and_incidents(&svc, &green, &red, &incidents);
        if (green > 0 && time(NULL) - t0 >= 30) { /* warm, and live for a while */
            checks++;
            if (red || incidents)
                fail_msg("the demo without a fault: %d red, %zu open incidents (%d green), %lld s "
                         "after its start",
                         red, incidents, green, (long long)(time(NULL) - t0));
        }
        sleep(1);
    }
    if (checks == 0)
        fail_msg("no node of the demo turned green within 120 s");
    print_message("quiet demo: %d green, 0 red, no incident over %d checks\n", green, checks);
    if (ls_service_stop(&svc) != 0)
        print_message("landscaped --demo did not stop cleanly (known mock-Kafka shutdown abort)\n");
}

static void test_injected_fault_shows_on_its_node(void **state)
{
    (void)state;
    struct ls_service svc;
    (void)start_demo(&svc);
    struct ls_http_result r;
    assert_int_equal(ls_http(&svc, "GET", "/_demo/fault", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(ls_jget(r.json, "fault")));
    ls_http_result_cleanup(&r);

    /* the hog's CPU at ten times the catalogue's effect (1.6^10 = 110x): past any normal value */
    assert_int_equal(ls_http(&svc, "POST", "/_demo/fault",
                             "{\"kind\":\"noisy_neighbour\",\"minutes\":30,\"magnitude\":10}", NULL,
                             &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_string_equal(ls_jstr(r.json, "kind"), "noisy_neighbour");
    char root[256];
    snprintf(root, sizeof root, "%s", ls_jstr(r.json, "root"));
    assert_int_equal(strncmp(root, "nova:instance:", 14), 0);
    assert_true(ls_jint(r.json, "touched") >= 1);
    assert_string_equal(ls_jstr(r.json, "nodes.0.role"), "cause");
    assert_string_equal(ls_jstr(r.json, "nodes.0.id"), root);
    ls_http_result_cleanup(&r);
    double cpu = -1;
    for (int i = 0; i < 600 && cpu < 500; i++) { /* the stream renders each VM every ~0.6 s */
        cpu = cpu_of(&svc, root);
        if (cpu < 500)
            usleep(100 * 1000);
    }
    if (cpu < 500)
        fail_msg("%s: CPU %g, the injected fault never showed", root, cpu);

    assert_int_equal(ls_http(&svc, "GET", "/_demo/fault", NULL, NULL, &r), 0);
    assert_string_equal(ls_jstr(r.json, "fault.root"), root);
    assert_true(json_is_true(ls_jget(r.json, "fault.active")));
    ls_http_result_cleanup(&r);

    /* bad input: 4xx with the error shape, the service keeps serving */
    expect_error(&svc, "POST", "{\"kind\":\"meteor\"}", 400, "unknown_fault");
    expect_error(&svc, "POST", "{\"kind\":\"tor_failure\",\"minutes\":0}", 400, "invalid_fault");
    expect_error(&svc, "POST", "{\"kind\":\"tor_failure\",\"colour\":\"red\"}", 400,
                 "invalid_fault");
    expect_error(&svc, "POST", "{\"kind\":\"disk_failure\",\"node\":\"lldp:switch:tor-r01\"}", 400,
                 "fault_root_type");
    expect_error(&svc, "POST", "{\"kind\":\"tor_failure\",\"node\":\"lldp:switch:none\"}", 404,
                 "fault_root_not_found");
    /* a ToR switch picked by kind alone reaches a rack's instances */
    assert_int_equal(ls_http(&svc, "POST", "/_demo/fault", "{\"kind\":\"tor_failure\"}", NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(strncmp(ls_jstr(r.json, "root"), "lldp:switch:tor-", 16), 0);
    assert_true(ls_jint(r.json, "touched") >= 1);
    ls_http_result_cleanup(&r);

    assert_int_equal(ls_http(&svc, "DELETE", "/_demo/fault", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(ls_jget(r.json, "cleared")));
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(&svc, "GET", "/_demo/fault", NULL, NULL, &r), 0);
    assert_true(json_is_null(ls_jget(r.json, "fault")));
    ls_http_result_cleanup(&r);
    /* Known, not this test's subject: the demo's mock Kafka sometimes aborts in librdkafka at
     * shutdown (rd_kafka_q_serve assert); reported, not asserted here. */
    if (ls_service_stop(&svc) != 0)
        print_message("landscaped --demo did not stop cleanly (known mock-Kafka shutdown abort)\n");
}

/* The first cause of each open incident, "" when it has none, into causes (n at most); how
 * many incidents are open. */
static size_t first_causes(struct ls_service *svc, char (*causes)[256], size_t n)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", "/v1/analytics/incidents?state=open", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *list = json_object_get(r.json, "incidents");
    size_t i, open = json_array_size(list);
    json_t *inc;
    json_array_foreach(list, i, inc)
    {
        if (i >= n)
            break;
        const char *id = json_string_value(
            json_object_get(json_array_get(json_object_get(inc, "causes"), 0), "id"));
        snprintf(causes[i], sizeof causes[i], "%s", id ? id : "");
    }
    ls_http_result_cleanup(&r);
    return open;
}

/* A top-of-rack switch that dies: the demo's switches and NICs report as a poller and a host
 * agent would, the dead switch sends nothing, its rack's NICs lose their traffic, and the
 * incident they open names the switch first (its silence, found at the rate it reported). */
static void test_a_dead_top_of_rack_switch_is_named(void **state)
{
    (void)state;
    struct ls_service svc;
    time_t t0 = start_demo(&svc);
    int green = 0, red = 0;
    size_t incidents = 0;
    while (time(NULL) - t0 < 120) { /* warm, and live for a while (as the quiet demo) */
        colours_and_incidents(&svc, &green, &red, &incidents);
        if (green > 0 && time(NULL) - t0 >= 30)
            break;
        sleep(1);
    }
    if (green == 0)
        fail_msg("no node of the demo turned green within 120 s");
    struct ls_http_result r;
    assert_int_equal(ls_http(&svc, "POST", "/_demo/fault", "{\"kind\":\"tor_failure\"}", NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    char root[256];
    snprintf(root, sizeof root, "%s", ls_jstr(r.json, "root"));
    ls_http_result_cleanup(&r);
    time_t t1 = time(NULL);
    char causes[32][256];
    size_t open = 0;
    bool named = false;
    while (!named && time(NULL) - t1 < 120) {
        open = first_causes(&svc, causes, 32);
        for (size_t i = 0; i < open && i < 32 && !named; i++)
            named = strcmp(causes[i], root) == 0;
        if (!named)
            sleep(2);
    }
    if (!named)
        fail_msg("%s never came first in an open incident within 120 s (%zu open; the first's "
                 "first cause: %s)",
                 root, open, open ? causes[0] : "none");
    print_message("%s named the first cause of an open incident %lld s after it died (%zu "
                  "incidents open)\n",
                  root, (long long)(time(NULL) - t1), open);
    if (ls_service_stop(&svc) != 0)
        print_message("landscaped --demo did not stop cleanly (known mock-Kafka shutdown abort)\n");
}

static void test_without_the_demo_stream_it_is_404(void **state)
{
    (void)state;
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    expect_error(&svc, "POST", "{\"kind\":\"memory_leak\"}", 404, "demo_off");
    expect_error(&svc, "GET", NULL, 404, "demo_off");
    expect_error(&svc, "DELETE", NULL, 404, "demo_off");
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_demo_is_quiet_until_a_fault),
        cmocka_unit_test(test_injected_fault_shows_on_its_node),
        cmocka_unit_test(test_a_dead_top_of_rack_switch_is_named),
        cmocka_unit_test(test_without_the_demo_stream_it_is_404),
    };
    return cmocka_run_group_tests_name("integration/analytics/demo_fault", tests,
                                       ls_service_group_setup, ls_service_group_teardown);
}
