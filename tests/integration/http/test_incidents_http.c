/* GET /v1/analytics/incidents[/{id}[/history]] through the real landscaped: incidents the
 * engine made and the store kept (seeded before the service starts: it is then the database's
 * only writer) are listed in the contract shape with the state / from / to filters and pages,
 * read one by one with their revisions, and bad arguments get 400/404 JSON errors. And end to
 * end: a host and two VMs on it learn normal telemetry, spike together, and become one
 * incident with the host ranked first and its path; the incident survives a restart and
 * resolves when the data is normal again. */
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

#include "analytics/incident.h"
#include "common/buf.h"
#include "model/change.h"
#include "sql/incident.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

#define SEC (INT64_C(1000000))
#define MIN (60 * SEC)
#define T0  (INT64_C(1747094400) * SEC) /* 2025-05-13T00:00:00Z */

/* Seeds dsn with three incidents: #1 (h1, vm1) resolved at +10 min, #2 (vm3) resolved at
 * +10 min, #3 (vm2) open since +30 min. */
static void seed(const char *dsn)
{
    struct ls_store *st;
    struct ls_err err;
    assert_int_equal(ls_store_open(&st, dsn, &err), LS_OK);
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    const char *nodes[][2] = {{"h1", "machine"},
                              {"h2", "machine"},
                              {"vm1", "instance"},
                              {"vm2", "instance"},
                              {"vm3", "instance"}};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ls_change_put_node_new(cs, nodes[i][0], nodes[i][1], nodes[i][0], "active",
                                                NULL, NULL, &err),
                         LS_OK);
    const char *edges[][2] = {{"vm1", "h1"}, {"vm2", "h1"}, {"vm3", "h2"}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ls_change_put_edge_new(cs, edges[i][0], LS_EDGE_RUNS_ON, edges[i][1], NULL,
                                                LS_ESRC_MANUAL, 1.0, &err),
                         LS_OK);
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, T0, &p, &err), LS_OK);
    ls_graph_publish(g, p, 1);
    ls_change_set_free(cs);
    struct ls_incident_params ip;
    ls_incident_params_default(&ip);
    struct ls_incidents *e = ls_incidents_new(&ip, 0);
    const char *const *red[] = {(const char *[]){"vm1", "h1", NULL}, (const char *[]){"vm3", NULL},
                                NULL, (const char *[]){"vm2", NULL}};
    const int64_t at[] = {T0, T0 + MIN, T0 + 10 * MIN, T0 + 30 * MIN};
    for (size_t k = 0; k < 4; k++) {
        struct ls_incident_obs obs[4];
        size_t n = 0;
        for (; red[k] && red[k][n]; n++)
            obs[n] = (struct ls_incident_obs){.id = red[k][n],
                                              .colour = LS_COLOUR_RED,
                                              .score = 0.9,
                                              .metric = "latency.p99",
                                              .went = 1};
        struct ls_snap *s = ls_graph_snap(g);
        json_t *changes;
        assert_int_equal(ls_incidents_step(e, s, obs, n, at[k], &changes, &err), LS_OK);
        ls_snap_release(s);
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
        {
            assert_int_equal(ls_store_incident_save(st, c, &err), LS_OK);
        }
        json_decref(changes);
    }
    ls_incidents_free(e);
    ls_graph_free(g);
    ls_store_close(st);
}

/* GET path; asserts the status; returns the parsed body (new reference). */
static json_t *get(struct ls_service *svc, const char *path, long status)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
    if (r.status != status)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    assert_non_null(j);
    ls_http_result_cleanup(&r);
    return j;
}

static void expect_error(struct ls_service *svc, const char *path, long status, const char *code)
{
    json_t *j = get(svc, path, status);
    assert_string_equal(ls_jstr(j, "error.code"), code);
    assert_int_equal(ls_jint(j, "error.status"), status);
    json_decref(j);
}

static void test_incidents_are_listed_read_and_refused_in_the_contract_shape(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    seed(dsn);
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, dsn, NULL), 0);

    json_t *j = get(&svc, "/v1/analytics/incidents", 200);
    json_t *list = json_object_get(j, "incidents");
    assert_int_equal(json_array_size(list), 3);
    json_t *inc = json_array_get(list, 0); /* newest first */
    assert_int_equal(json_integer_value(json_object_get(inc, "id")), 3);
    const char *keys[] = {"id",          "state", "opened_at", "updated_at",
                          "resolved_at", "nodes", "causes"};
    for (size_t i = 0; i < 7; i++)
        assert_non_null(json_object_get(inc, keys[i]));
    assert_string_equal(ls_jstr(inc, "state"), "open");
    assert_true(json_is_null(json_object_get(inc, "resolved_at")));
    assert_string_equal(ls_jstr(inc, "nodes.0"), "vm2");
    json_t *cause = json_array_get(json_object_get(inc, "causes"), 0);
    assert_string_equal(ls_jstr(cause, "id"), "vm2");
    assert_true(json_is_number(json_object_get(cause, "score")));
    assert_true(json_is_string(json_object_get(cause, "reason")));
    assert_string_equal(ls_jstr(cause, "path.0"), "vm2");
    assert_null(json_object_get(j, "next"));
    json_decref(j);

    j = get(&svc, "/v1/analytics/incidents?state=resolved", 200);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 2);
    json_decref(j);
    j = get(&svc, "/v1/analytics/incidents?state=open&from=2025-05-13T00:20:00Z", 200);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
    json_decref(j);
    j = get(&svc, "/v1/analytics/incidents?to=2025-05-13T00:20:00Z", 200);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 2);
    json_decref(j);

    /* pages of one, following next */
    j = get(&svc, "/v1/analytics/incidents?limit=1", 200);
    assert_int_equal(ls_jint(j, "incidents.0.id"), 3);
    const char *next = ls_jstr(j, "next");
    assert_non_null(next);
    assert_non_null(strstr(next, "marker=3"));
    char path[256];
    snprintf(path, sizeof(path), "/v1/analytics/incidents?limit=1&marker=3");
    json_decref(j);
    j = get(&svc, path, 200);
    assert_int_equal(ls_jint(j, "incidents.0.id"), 2);
    json_decref(j);

    /* one, and its revisions */
    j = get(&svc, "/v1/analytics/incidents/1", 200);
    assert_string_equal(ls_jstr(j, "state"), "resolved");
    assert_string_equal(ls_jstr(j, "resolved_at"), "2025-05-13T00:10:00Z");
    assert_string_equal(ls_jstr(j, "opened_at"), "2025-05-13T00:00:00Z");
    assert_string_equal(ls_jstr(j, "causes.0.id"), "h1");
    assert_string_equal(ls_jstr(j, "causes.0.path.0"), "h1");
    assert_string_equal(ls_jstr(j, "causes.0.path.1"), "vm1");
    json_decref(j);
    j = get(&svc, "/v1/analytics/incidents/1/history", 200);
    assert_int_equal(json_array_size(json_object_get(j, "revisions")), 2);
    assert_string_equal(ls_jstr(j, "revisions.1.change"), "resolved");
    json_decref(j);

    expect_error(&svc, "/v1/analytics/incidents/999", 404, "incident_not_found");
    expect_error(&svc, "/v1/analytics/incidents/999/history", 404, "incident_not_found");
    expect_error(&svc, "/v1/analytics/incidents/abc", 400, "invalid_parameter");
    expect_error(&svc, "/v1/analytics/incidents/-1", 400, "invalid_parameter");
    expect_error(&svc, "/v1/analytics/incidents?state=closed", 400, "invalid_parameter");
    expect_error(&svc, "/v1/analytics/incidents?from=yesterday", 400, "invalid_time");
    expect_error(&svc, "/v1/analytics/incidents?from=2025-05-14T00:00:00Z&to=2025-05-13T00:00:00Z",
                 400, "invalid_parameter");
    expect_error(&svc, "/v1/analytics/incidents?marker=x", 400, "invalid_parameter");
    expect_error(&svc, "/v1/analytics/incidents?limit=0", 400, "invalid_parameter");
    expect_error(&svc, "/v1/analytics/incidents?colour=red", 400, "unknown_parameter");
    /* still serving */
    j = get(&svc, "/v1/analytics/incidents/2", 200);
    json_decref(j);
    assert_int_equal(ls_service_stop(&svc), 0);
}

#define VM1 "11111111-1111-4111-8111-111111111111"
#define VM2 "22222222-2222-4222-8222-222222222222"

static void post(struct ls_service *svc, const char *path, const char *body, long status)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", path, body, NULL, &r), 0);
    if (r.status != status)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    ls_http_result_cleanup(&r);
}

/* POSTs the Influx lines in b (cleaned up) to /v1/telemetry; 200 expected. */
static void post_lines(struct ls_service *svc, struct ls_buf *b)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", "/v1/telemetry", b->data, "Content-Type: text/plain", &r),
                     0);
    if (r.status != 200)
        fail_msg("POST /v1/telemetry: %ld %s", r.status, r.body);
    ls_http_result_cleanup(&r);
    ls_buf_cleanup(b);
}

/* A machine and two instances that run on it. */
static void
host_with_two_vms(struct ls_service *svc, const char *host, const char *a, const char *b)
{
    char body[256];
    snprintf(body, sizeof body, "{\"id\":\"host:machine:%s\",\"type\":\"machine\",\"name\":\"%s\"}",
             host, host);
    post(svc, "/v1/nodes", body, 201);
    const char *vms[] = {a, b};
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof body, "{\"id\":\"nova:instance:%s\",\"type\":\"instance\"}", vms[i]);
        post(svc, "/v1/nodes", body, 201);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof body,
                 "{\"src\":\"nova:instance:%s\",\"type\":\"runs_on\",\"dst\":\"host:machine:%s\"}",
                 vms[i], host);
        post(svc, "/v1/edges", body, 201);
    }
}

/* Influx lines for minutes [from, to) after base: the host's CPU and both VMs' latency,
 * normal (a deterministic wiggle around a level of their own) or, with spike, far above — the
 * host saturates and what runs on it slows (its CPU is not theirs: a VM whose own CPU rose
 * would be the load's source, analytics/rca.h). */
static void post_samples(struct ls_service *svc, long long base, int from, int to, bool spike)
{
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (int i = from; i < to; i++) {
        double w = 2 * sin(i * 1.7) + 0.6 * cos(i * 0.37);
        long long t = base + 60LL * i;
        assert_int_equal(
            ls_buf_printf(&b, "cpu,host=h1 usage=%.3f %lld000000000\n", spike ? 97.0 : 40 + w, t),
            LS_OK);
        assert_int_equal(ls_buf_printf(&b, "latency,uuid=" VM1 " p99=%.3f %lld000000000\n",
                                       spike ? 95.0 : 20 + w, t),
                         LS_OK);
        assert_int_equal(ls_buf_printf(&b, "latency,uuid=" VM2 " p99=%.3f %lld000000000\n",
                                       spike ? 96.0 : 25 - w, t),
                         LS_OK);
    }
    post_lines(svc, &b);
}

/* Polls GET path (every 100 ms, at most 60 s: the loop steps every second) until the string
 * at key equals want; returns the last body (new reference). */
static json_t *wait_for(struct ls_service *svc, const char *path, const char *key, const char *want)
{
    json_t *j = NULL;
    for (int i = 0; i < 600; i++) {
        struct ls_http_result r;
        assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
        json_decref(j);
        j = json_incref(r.json);
        ls_http_result_cleanup(&r);
        const char *v = ls_jstr(j, key);
        if (v && strcmp(v, want) == 0)
            return j;
        usleep(100 * 1000);
    }
    fail_msg("GET %s: %s never became %s", path, key, want);
    return j;
}

static void test_a_host_and_its_vms_become_one_incident_that_survives_a_restart(void **state)
{
    (void)state;
    const char *dsn = ls_harness_new_db();
    const char *flags[] = {"--incident-interval", "1", "--incident-hold", "300", NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, dsn, flags), 0);
    host_with_two_vms(&svc, "h1", VM1, VM2);
    /* ten hours of normal minutes two days ago, then three minutes far above on all three */
    long long base = (long long)time(NULL) / 60 * 60 - 2 * 86400;
    for (int k = 0; k < 600; k += 200)
        post_samples(&svc, base, k, k + 200, false);
    post_samples(&svc, base, 600, 603, true);

    json_t *j = wait_for(&svc, "/v1/analytics/incidents?state=open", "incidents.0.state", "open");
    json_t *inc = json_array_get(json_object_get(j, "incidents"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
    json_int_t id = json_integer_value(json_object_get(inc, "id"));
    assert_int_equal(json_array_size(json_object_get(inc, "nodes")), 3);
    assert_string_equal(ls_jstr(inc, "nodes.0"), "host:machine:h1");
    assert_string_equal(ls_jstr(inc, "causes.0.id"), "host:machine:h1");
    json_t *path = ls_jget(inc, "causes.0.path");
    assert_int_equal(json_array_size(path), 2);
    assert_string_equal(ls_jstr(inc, "causes.0.path.0"), "host:machine:h1");
    assert_non_null(strstr(ls_jstr(inc, "causes.0.path.1"), "nova:instance:"));
    json_decref(j);

    /* a restart: the open incident comes back from Postgres */
    assert_int_equal(ls_service_stop(&svc), 0);
    assert_int_equal(ls_service_start(&svc, dsn, flags), 0);
    char one[64];
    snprintf(one, sizeof(one), "/v1/analytics/incidents/%lld", (long long)id);
    j = get(&svc, one, 200);
    assert_string_equal(ls_jstr(j, "state"), "open");
    json_decref(j);

    /* normal again, past the hold time on the data clock: the same incident resolves */
    post_samples(&svc, base, 603, 615, false);
    j = wait_for(&svc, one, "state", "resolved");
    assert_int_equal(json_integer_value(json_object_get(j, "id")), id);
    json_decref(j);
    j = get(&svc, "/v1/analytics/incidents", 200);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
    json_decref(j);
    snprintf(one, sizeof(one), "/v1/analytics/incidents/%lld/history", (long long)id);
    j = get(&svc, one, 200);
    json_t *revs = json_object_get(j, "revisions");
    assert_string_equal(ls_jstr(j, "revisions.0.change"), "opened");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(revs, json_array_size(revs) - 1), "change")),
                        "resolved");
    json_decref(j);
    assert_int_equal(ls_service_stop(&svc), 0);
}

#define HOG "33333333-3333-4333-8333-333333333333"
#define NB  "44444444-4444-4444-8444-444444444444"

/* Influx lines for minutes [from, to) after base on host h2: the hog VM's CPU (60, or 270 with
 * fault), the host's CPU (40, or 85), the neighbour's CPU (60, or 170: as the demo's fault
 * catalogue has it) and latency (25, or 60), each with a deterministic wiggle. */
static void post_noisy(struct ls_service *svc, long long base, int from, int to, bool fault)
{
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (int i = from; i < to; i++) {
        double w = 2 * sin(i * 1.7) + 0.6 * cos(i * 0.37);
        long long t = base + 60LL * i;
        assert_int_equal(ls_buf_printf(&b,
                                       "cpu,host=h2 usage=%.3f %lld000000000\n"
                                       "cpu,uuid=" HOG " util=%.3f %lld000000000\n"
                                       "cpu,uuid=" NB " util=%.3f %lld000000000\n"
                                       "latency,uuid=" NB " p99=%.3f %lld000000000\n",
                                       (fault ? 85 : 40) + w, t, (fault ? 270 : 60) + w, t,
                                       (fault ? 170 : 60) - w, t, (fault ? 60 : 25) - w, t),
                         LS_OK);
    }
    post_lines(svc, &b);
}

/* A noisy neighbour through the service: a VM's CPU jumps and stays up for half an hour, its
 * host's CPU with it, and the VM beside it slows, its CPU up too but less. One incident; its first
 * cause is the hog, ranked over the samples the service holds (analytics/incident.h
 * ls_incident_rank_replay), though by then the hog's detector has taken its new level as normal
 * (yellow, still_shifted) while the slow neighbour is still red. */
static void test_a_noisy_neighbours_incident_names_the_hog(void **state)
{
    (void)state;
    const char *flags[] = {"--incident-interval", "1", NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), flags), 0);
    host_with_two_vms(&svc, "h2", HOG, NB);
    /* ten hours of normal minutes a few hours ago, then the fault for thirty */
    long long base = (long long)time(NULL) / 60 * 60 - 12 * 3600;
    for (int k = 0; k < 600; k += 200)
        post_noisy(&svc, base, k, k + 200, false);
    for (int k = 600; k < 630; k += 10)
        post_noisy(&svc, base, k, k + 10, true);
    json_t *j = wait_for(&svc, "/v1/analytics/incidents?state=open", "incidents.0.causes.0.id",
                         "nova:instance:" HOG);
    assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
    assert_non_null(strstr(ls_jstr(j, "incidents.0.causes.0.reason"), "against a baseline"));
    json_decref(j);
    /* the hog's own colour by then: its detector took the new level */
    j = get(&svc, "/v1/nodes/nova:instance:" HOG, 200);
    print_message(
        "the hog, first cause; its colour now %s (%s)\n",
        ls_jstr(j, "anomaly.colour") ? ls_jstr(j, "anomaly.colour") : "?",
        ls_jstr(j, "anomaly.reasons.0.detector") ? ls_jstr(j, "anomaly.reasons.0.detector") : "?");
    assert_string_equal(ls_jstr(j, "anomaly.colour"), "yellow");
    assert_string_equal(ls_jstr(j, "anomaly.reasons.0.detector"), "still_shifted");
    json_decref(j);
    assert_int_equal(ls_service_stop(&svc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incidents_are_listed_read_and_refused_in_the_contract_shape),
        cmocka_unit_test(test_a_host_and_its_vms_become_one_incident_that_survives_a_restart),
        cmocka_unit_test(test_a_noisy_neighbours_incident_names_the_hog),
    };
    return cmocka_run_group_tests_name("integration/http/incidents", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
