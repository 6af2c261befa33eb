/* The REST API of the real landscaped process, over loopback, against a private Postgres:
 * every endpoint, every error code, time travel, SSE, restart. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/sse_stream.h"

/* Small bounds so the limit tests need small bodies. */
static const char *const flags[] = {"--max-body-bytes",
                                    "4096",
                                    "--max-string-bytes",
                                    "100",
                                    "--max-json-depth",
                                    "8",
                                    "--max-page-size",
                                    "50",
                                    "--default-page-size",
                                    "20",
                                    NULL};

struct fx {
    struct ls_service svc;
    char dsn[512];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dsn, sizeof(f->dsn), "%s", ls_harness_new_db());
    if (ls_service_start(&f->svc, f->dsn, flags) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int rc = ls_service_stop(&f->svc);
    free(f);
    return rc == 0 ? 0 : -1; /* an unclean shutdown (or an ASan report) fails the test */
}

/* Performs a request and checks the status; the result must be cleaned up by the caller. */
static struct ls_http_result
req(struct fx *f, const char *method, const char *path, const char *body, long want)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(&f->svc, method, path, body, NULL, &r), 0);
    if (r.status != want)
        fail_msg("%s %s: status %ld, want %ld: %s", method, path, r.status, want, r.body);
    return r;
}

/* Expects an error with this status and code. */
static void expect_error(struct fx *f,
                         const char *method,
                         const char *path,
                         const char *body,
                         long status,
                         const char *code)
{
    struct ls_http_result r = req(f, method, path, body, status);
    assert_non_null(r.json);
    assert_string_equal(ls_jstr(r.json, "error.code"), code);
    assert_int_equal(ls_jint(r.json, "error.status"), status);
    assert_non_null(ls_jstr(r.json, "error.message"));
    ls_http_result_cleanup(&r);
}

static void test_node_crud_round_trip(void **state)
{
    struct fx *f = *state;
    struct ls_http_result r =
        req(f, "POST", "/v1/nodes",
            "{\"id\":\"manual:rack:r1\",\"type\":\"rack\",\"name\":\"Rack 1\",\"state\":\"active\","
            "\"attrs\":{\"row\":\"A\",\"units\":42}}",
            201);
    assert_string_equal(r.location, "/v1/nodes/manual:rack:r1");
    assert_string_equal(ls_jstr(r.json, "id"), "manual:rack:r1");
    assert_string_equal(ls_jstr(r.json, "layer"), "physical");
    assert_string_equal(ls_jstr(r.json, "source"), "manual");
    assert_int_equal(ls_jint(r.json, "attrs.units"), 42);
    assert_int_equal(ls_jint(r.json, "revision"), 1);
    assert_string_equal(r.etag, "\"1\"");
    ls_http_result_cleanup(&r);

    r = req(f, "GET", "/v1/nodes/manual:rack:r1", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "name"), "Rack 1");
    ls_http_result_cleanup(&r);
    struct ls_http_result nm;
    assert_int_equal(
        ls_http(&f->svc, "GET", "/v1/nodes/manual:rack:r1", NULL, "If-None-Match: \"1\"", &nm), 0);
    assert_int_equal(nm.status, 304);
    ls_http_result_cleanup(&nm);

    r = req(f, "PATCH", "/v1/nodes/manual:rack:r1",
            "{\"state\":\"maintenance\",\"attrs\":{\"units\":null,\"pdu\":\"p1\"}}", 200);
    assert_string_equal(ls_jstr(r.json, "state"), "maintenance");
    assert_string_equal(ls_jstr(r.json, "name"), "Rack 1");
    assert_null(ls_jget(r.json, "attrs.units"));
    assert_string_equal(ls_jstr(r.json, "attrs.pdu"), "p1");
    assert_string_equal(ls_jstr(r.json, "attrs.row"), "A");
    assert_int_equal(ls_jint(r.json, "revision"), 2);
    ls_http_result_cleanup(&r);

    r = req(f, "PUT", "/v1/nodes/manual:rack:r1", "{\"type\":\"rack\",\"name\":\"R1\"}", 200);
    assert_string_equal(ls_jstr(r.json, "name"), "R1");
    assert_string_equal(ls_jstr(r.json, "state"), "");
    assert_int_equal(json_object_size(ls_jget(r.json, "attrs")), 0);
    ls_http_result_cleanup(&r);

    r = req(f, "PUT", "/v1/nodes/manual:service:new", "{\"type\":\"service\"}", 201);
    assert_string_equal(r.location, "/v1/nodes/manual:service:new");
    assert_string_equal(ls_jstr(r.json, "layer"), "service");
    ls_http_result_cleanup(&r);

    r = req(f, "DELETE", "/v1/nodes/manual:rack:r1", NULL, 204);
    assert_string_equal(r.body, "");
    ls_http_result_cleanup(&r);
    expect_error(f, "GET", "/v1/nodes/manual:rack:r1", NULL, 404, "node_not_found");
    expect_error(f, "DELETE", "/v1/nodes/manual:rack:r1", NULL, 404, "node_not_found");
    expect_error(f, "PATCH", "/v1/nodes/manual:rack:r1", "{\"name\":\"x\"}", 404, "node_not_found");
}

static void make_small_graph(struct fx *f)
{
    const char *nodes[] = {
        "{\"id\":\"m1\",\"type\":\"machine\",\"name\":\"m1\",\"attrs\":{\"cpus\":64}}",
        "{\"id\":\"m2\",\"type\":\"machine\",\"name\":\"m2\",\"attrs\":{\"cpus\":32}}",
        "{\"id\":\"vm1\",\"type\":\"instance\",\"name\":\"web-1\",\"state\":\"ACTIVE\"}",
        "{\"id\":\"vm2\",\"type\":\"instance\",\"name\":\"web-2\",\"state\":\"SHUTOFF\"}",
        "{\"id\":\"vm3\",\"type\":\"instance\",\"name\":\"db-1\",\"state\":\"ACTIVE\"}",
    };
    for (size_t i = 0; i < 5; i++) {
        struct ls_http_result r = req(f, "POST", "/v1/nodes", nodes[i], 201);
        ls_http_result_cleanup(&r);
    }
    const char *edges[] = {
        "{\"src\":\"vm1\",\"type\":\"runs_on\",\"dst\":\"m1\"}",
        "{\"src\":\"vm2\",\"type\":\"runs_on\",\"dst\":\"m1\"}",
        "{\"src\":\"vm3\",\"type\":\"runs_on\",\"dst\":\"m2\",\"weight\":2.5,"
        "\"attrs\":{\"since\":\"boot\"}}",
    };
    for (size_t i = 0; i < 3; i++) {
        struct ls_http_result r = req(f, "POST", "/v1/edges", edges[i], 201);
        ls_http_result_cleanup(&r);
    }
}

static void test_lists_filter_and_paginate(void **state)
{
    struct fx *f = *state;
    make_small_graph(f);
    struct ls_http_result r = req(f, "GET", "/v1/nodes?type=instance&state=ACTIVE", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 2);
    assert_string_equal(ls_jstr(r.json, "nodes.0.id"), "vm1");
    assert_string_equal(ls_jstr(r.json, "nodes.1.id"), "vm3");
    assert_null(ls_jget(r.json, "next"));
    assert_int_equal(ls_jint(r.json, "revision"), 8);
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes?attr.cpus=32", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    assert_string_equal(ls_jstr(r.json, "nodes.0.id"), "m2");
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes?layer=physical&name=m1", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    ls_http_result_cleanup(&r);

    /* follow next links: every node exactly once, in order */
    char path[1024] = "/v1/nodes?limit=2";
    char seen[512] = "";
    int pages = 0;
    for (;;) {
        r = req(f, "GET", path, NULL, 200);
        json_t *v;
        size_t i;
        json_array_foreach(ls_jget(r.json, "nodes"), i, v)
        {
            strcat(seen, json_string_value(json_object_get(v, "id")));
            strcat(seen, ",");
        }
        pages++;
        const char *next = ls_jstr(r.json, "next");
        if (next == NULL) {
            ls_http_result_cleanup(&r);
            break;
        }
        snprintf(path, sizeof(path), "%s", next);
        ls_http_result_cleanup(&r);
    }
    assert_string_equal(seen, "m1,m2,vm1,vm2,vm3,");
    assert_int_equal(pages, 3);

    r = req(f, "GET", "/v1/edges?dst=m1", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "edges")), 2);
    assert_string_equal(ls_jstr(r.json, "edges.0.id"), "vm1|runs_on|m1");
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/edges/vm3%7Cruns_on%7Cm2", NULL, 200);
    assert_true(json_real_value(ls_jget(r.json, "weight")) == 2.5);
    assert_string_equal(ls_jstr(r.json, "attrs.since"), "boot");
    assert_string_equal(ls_jstr(r.json, "source"), "manual");
    ls_http_result_cleanup(&r);
    r = req(f, "PATCH", "/v1/edges?src=vm3&type=runs_on&dst=m2", "{\"weight\":4}", 200);
    assert_true(json_real_value(ls_jget(r.json, "weight")) == 4.0);
    ls_http_result_cleanup(&r);
    r = req(f, "DELETE", "/v1/edges?src=vm3&type=runs_on&dst=m2", NULL, 204);
    ls_http_result_cleanup(&r);
    expect_error(f, "GET", "/v1/edges/vm3%7Cruns_on%7Cm2", NULL, 404, "edge_not_found");
    expect_error(f, "POST", "/v1/edges", "{\"src\":\"vm1\",\"type\":\"runs_on\",\"dst\":\"m1\"}",
                 409, "edge_exists");
    /* deleting a node takes its edges along */
    r = req(f, "DELETE", "/v1/nodes/m1", NULL, 204);
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/edges", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "edges")), 0);
    ls_http_result_cleanup(&r);
}

static void test_subgraph_walks_each_direction(void **state)
{
    struct fx *f = *state;
    make_small_graph(f);
    struct ls_http_result r =
        req(f, "GET", "/v1/nodes/m1/subgraph?depth=1&direction=in", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "root"), "m1");
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 3);
    assert_string_equal(ls_jstr(r.json, "nodes.1.id"), "vm1");
    assert_int_equal(json_array_size(ls_jget(r.json, "edges")), 2);
    assert_false(json_is_true(ls_jget(r.json, "truncated")));
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes/m1/subgraph?depth=1&direction=out", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes/vm1/subgraph?depth=2&direction=both&edge_type=runs_on", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 3);
    assert_string_equal(ls_jstr(r.json, "nodes.2.id"), "vm2");
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes/vm1/subgraph?depth=2&max_nodes=2", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 2);
    assert_true(json_is_true(ls_jget(r.json, "truncated")));
    ls_http_result_cleanup(&r);
    expect_error(f, "GET", "/v1/nodes/vm1/subgraph?depth=99", NULL, 400, "invalid_parameter");
    expect_error(f, "GET", "/v1/nodes/vm1/subgraph?direction=up", NULL, 400, "invalid_parameter");
    expect_error(f, "GET", "/v1/nodes/vm1/subgraph?edge_type=likes", NULL, 400,
                 "invalid_edge_type");
    expect_error(f, "GET", "/v1/nodes/nope/subgraph", NULL, 404, "node_not_found");
}

static void test_bad_requests_get_named_errors_and_change_nothing(void **state)
{
    struct fx *f = *state;
    make_small_graph(f);
    expect_error(f, "GET", "/v1/nothing", NULL, 404, "route_not_found");
    expect_error(f, "POST", "/healthz", "{}", 405, "method_not_allowed");
    expect_error(f, "POST", "/v1/nodes", "{\"id\":\"m1\",\"type\":\"machine\"}", 409,
                 "node_exists");
    expect_error(f, "POST", "/v1/nodes", "{\"id\":\"x\",\"type\":", 400, "malformed_json");
    expect_error(f, "POST", "/v1/nodes", "", 400, "malformed_json");
    expect_error(f, "POST", "/v1/nodes", "[1,2]", 400, "expected_object");
    expect_error(f, "POST", "/v1/nodes", "{\"id\":\"x\",\"type\":\"rack\",\"name\":5}", 400,
                 "invalid_field");
    expect_error(f, "POST", "/v1/nodes", "{\"id\":\"x\",\"type\":\"rack\",\"attrs\":[]}", 400,
                 "invalid_field");
    expect_error(f, "POST", "/v1/nodes", "{\"id\":\"x\",\"type\":\"rack\",\"colour\":\"red\"}", 400,
                 "unknown_field");
    expect_error(f, "POST", "/v1/nodes", "{\"id\":\"x\",\"type\":\"spaceship\"}", 400,
                 "unknown_type");
    expect_error(f, "POST", "/v1/nodes", "{\"type\":\"rack\"}", 400, "missing_field");
    expect_error(f, "PUT", "/v1/nodes/m1", "{\"type\":\"instance\"}", 400, "type_change");
    expect_error(f, "POST", "/v1/edges", "{\"src\":\"vm1\",\"type\":\"uses\",\"dst\":\"ghost\"}",
                 400, "dangling_edge");
    /* bounds */
    char big[6000];
    memset(big, 'x', sizeof(big));
    memcpy(big, "{\"id\":\"", 7);
    memcpy(big + sizeof(big) - 3, "\"}", 3);
    expect_error(f, "POST", "/v1/nodes", big, 413, "body_too_large");
    expect_error(f, "POST", "/v1/nodes",
                 "{\"id\":\"x\",\"type\":\"rack\",\"attrs\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":"
                 "{\"f\":{\"g\":{\"h\":1}}}}}}}}}",
                 400, "json_too_deep");
    char longs[300];
    snprintf(longs, sizeof(longs), "{\"id\":\"x\",\"type\":\"rack\",\"name\":\"%0150d\"}", 7);
    expect_error(f, "POST", "/v1/nodes", longs, 422, "string_too_long");
    expect_error(f, "GET", "/v1/nodes?limit=100000", NULL, 400, "invalid_parameter");
    expect_error(f, "GET", "/v1/nodes?limit=abc", NULL, 400, "invalid_parameter");
    expect_error(f, "GET", "/v1/nodes?at=yesterday", NULL, 400, "invalid_time");
    expect_error(f, "GET", "/v1/nodes?colour=red", NULL, 400, "unknown_parameter");
    expect_error(f, "GET", "/v1/nodes?layer=astral", NULL, 400, "invalid_parameter");
    expect_error(f, "GET", "/v1/nodes?marker=ghost", NULL, 400, "invalid_marker");
    expect_error(f, "GET", "/v1/edges/nokey", NULL, 400, "invalid_edge_key");
    /* an unknown argument on an edge key freed an uninitialised pointer (clang's
     * -Wsometimes-uninitialized, found building the http_request fuzz target) */
    expect_error(f, "GET", "/v1/edges/a%7Ccontains%7Cb?colour=red", NULL, 400, "unknown_parameter");
    expect_error(f, "GET", "/v1/graph/diff", NULL, 400, "missing_parameter");
    /* nothing changed: still revision 8 with the same five nodes */
    struct ls_http_result r = req(f, "GET", "/v1/nodes", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 5);
    assert_int_equal(ls_jint(r.json, "revision"), 8);
    ls_http_result_cleanup(&r);
}

static void test_sql_looking_strings_are_stored_verbatim(void **state)
{
    struct fx *f = *state;
    const char *body = "{\"id\":\"x'; DROP TABLE node_version;--\",\"type\":\"service\","
                       "\"name\":\"Robert'); DROP TABLE students;--\","
                       "\"attrs\":{\"q\":\"1' OR '1'='1\",\"tab\":\"a\\tb\\\\c\"}}";
    struct ls_http_result r = req(f, "POST", "/v1/nodes", body, 201);
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes/x'%3B%20DROP%20TABLE%20node_version%3B--", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "name"), "Robert'); DROP TABLE students;--");
    assert_string_equal(ls_jstr(r.json, "attrs.q"), "1' OR '1'='1");
    assert_string_equal(ls_jstr(r.json, "attrs.tab"), "a\tb\\c");
    ls_http_result_cleanup(&r);
    /* and the history (from Postgres) has it verbatim too */
    r = req(f, "GET", "/v1/nodes/x'%3B%20DROP%20TABLE%20node_version%3B--/history", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "versions.0.attrs.q"), "1' OR '1'='1");
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/nodes?attr.q=1'%20OR%20'1'%3D'1", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    ls_http_result_cleanup(&r);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_time_travel_through_the_api(void **state)
{
    struct fx *f = *state;
    char t1[40], t2[40], t3[40], path[256];
    struct ls_http_result r =
        req(f, "POST", "/v1/nodes", "{\"id\":\"svc\",\"type\":\"service\",\"state\":\"up\"}", 201);
    snprintf(t1, sizeof(t1), "%s", ls_jstr(r.json, "updated_at"));
    ls_http_result_cleanup(&r);
    sleep_ms(20);
    r = req(f, "PATCH", "/v1/nodes/svc", "{\"state\":\"degraded\"}", 200);
    snprintf(t2, sizeof(t2), "%s", ls_jstr(r.json, "updated_at"));
    ls_http_result_cleanup(&r);
    sleep_ms(20);
    r = req(f, "DELETE", "/v1/nodes/svc", NULL, 204);
    ls_http_result_cleanup(&r);
    /* the deletion time is the first moment it is gone: find it in the history */
    r = req(f, "GET", "/v1/nodes/svc/history", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "versions")), 2);
    assert_string_equal(ls_jstr(r.json, "versions.0.valid_to"), t2);
    snprintf(t3, sizeof(t3), "%s", ls_jstr(r.json, "versions.1.valid_to"));
    ls_http_result_cleanup(&r);

    snprintf(path, sizeof(path), "/v1/nodes/svc?at=%s", t1);
    r = req(f, "GET", path, NULL, 200);
    assert_string_equal(ls_jstr(r.json, "state"), "up");
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/nodes/svc?at=%s", t2);
    r = req(f, "GET", path, NULL, 200);
    assert_string_equal(ls_jstr(r.json, "state"), "degraded");
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/nodes/svc?at=%s", t3);
    expect_error(f, "GET", path, NULL, 404, "node_not_found");
    snprintf(path, sizeof(path), "/v1/nodes?at=%s", t2);
    r = req(f, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    assert_string_equal(ls_jstr(r.json, "nodes.0.state"), "degraded");
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/graph/diff?from=%s&to=%s", t1, t3);
    r = req(f, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "removed")), 1);
    assert_int_equal(json_array_size(ls_jget(r.json, "added")), 0);
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/graph/diff?from=%s&to=%s", t1, t2);
    r = req(f, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "changed")), 1);
    assert_string_equal(ls_jstr(r.json, "changed.0.before.state"), "up");
    assert_string_equal(ls_jstr(r.json, "changed.0.after.state"), "degraded");
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/graph?at=%s", t2);
    r = req(f, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    ls_http_result_cleanup(&r);

    r = req(f, "GET", "/v1/changes?since=1", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "changes")), 2);
    assert_int_equal(ls_jint(r.json, "changes.0.revision"), 2);
    assert_string_equal(ls_jstr(r.json, "changes.1.ops.0.op"), "delete");
    assert_string_equal(ls_jstr(r.json, "changes.1.ops.0.id"), "svc");
    assert_int_equal(ls_jint(r.json, "last"), 3);
    ls_http_result_cleanup(&r);
}

/* ---- SSE ---------------------------------------------------------------------------------- */

static void test_events_deliver_changes_from_another_client(void **state)
{
    struct fx *f = *state;
    make_small_graph(f); /* revisions 1..8 */
    struct ls_sse_stream live, replay;
    char url[256];
    snprintf(url, sizeof(url), "%s/v1/events?type=instance", f->svc.base);
    ls_sse_stream_start(&live, url);
    snprintf(url, sizeof(url), "%s/v1/events?since=6&kind=edge", f->svc.base);
    ls_sse_stream_start(&replay, url);
    /* wait until both streams are attached (their greeting arrived) */
    ls_sse_stream_wait(&live, "landscape events", 5000);
    ls_sse_stream_wait(&replay, "landscape events", 5000);
    struct ls_http_result r = req(f, "PATCH", "/v1/nodes/vm2", "{\"state\":\"ACTIVE\"}", 200);
    ls_http_result_cleanup(&r);
    r = req(f, "PATCH", "/v1/nodes/m2", "{\"state\":\"down\"}", 200); /* filtered out */
    ls_http_result_cleanup(&r);
    ls_sse_stream_wait(&live, "\"id\":\"vm2\"", 5000);
    ls_sse_stream_stop(&live);
    ls_sse_stream_stop(&replay);
    assert_non_null(strstr(live.data, "id: 9\nevent: change\ndata: {\"revision\":9,"));
    assert_non_null(strstr(live.data, "\"op\":\"put\",\"kind\":\"node\",\"id\":\"vm2\""));
    assert_non_null(strstr(live.data, "\"state\":\"ACTIVE\""));
    assert_null(strstr(live.data, "\"id\":\"m2\""));
    /* replay: the edges created in revisions 7 and 8 (vm2 and vm3 runs_on) */
    assert_non_null(strstr(replay.data, "id: 7\nevent: change"));
    assert_non_null(strstr(replay.data, "\"id\":\"vm2|runs_on|m1\""));
    assert_non_null(strstr(replay.data, "\"id\":\"vm3|runs_on|m2\""));
    assert_null(strstr(replay.data, "id: 6\n"));
}

static void test_health_readiness_metrics_and_ui(void **state)
{
    struct fx *f = *state;
    struct ls_http_result r = req(f, "GET", "/healthz", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "status"), "ok");
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/readyz", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "status"), "ready");
    assert_int_equal(ls_jint(r.json, "schema_version"), 6); /* 006_incidents.sql */
    ls_http_result_cleanup(&r);
    make_small_graph(f);
    r = req(f, "GET", "/metrics", NULL, 200);
    assert_non_null(strstr(r.body, "landscape_graph_nodes{layer=\"physical\"} 2\n"));
    assert_non_null(strstr(r.body, "landscape_graph_nodes{layer=\"virtual\"} 3\n"));
    assert_non_null(strstr(r.body, "landscape_graph_edges 3\n"));
    assert_non_null(strstr(r.body, "landscape_graph_revision 8\n"));
    assert_non_null(
        strstr(r.body, "landscape_http_requests_total{route=\"node_create\",status=\"201\"} 5\n"));
    assert_non_null(strstr(r.body, "landscape_store_writes_total 8\n"));
    assert_non_null(strstr(r.body, "landscape_http_request_duration_seconds_count{route="));
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/", NULL, 200);
    assert_non_null(strstr(r.body, "<title>Landscape</title>"));
    ls_http_result_cleanup(&r);
    r = req(f, "GET", "/v1/types", NULL, 200);
    assert_string_equal(ls_jstr(r.json, "node_types.hypervisor"), "virtual");
    ls_http_result_cleanup(&r);
}

static void test_restart_keeps_nodes_edges_and_history(void **state)
{
    struct fx *f = *state;
    make_small_graph(f);
    struct ls_http_result r = req(f, "PATCH", "/v1/nodes/vm1", "{\"name\":\"web-1b\"}", 200);
    ls_http_result_cleanup(&r);
    struct ls_http_result before = req(f, "GET", "/v1/graph", NULL, 200);
    assert_int_equal(ls_service_stop(&f->svc), 0);
    assert_int_equal(ls_service_start(&f->svc, f->dsn, flags), 0);
    struct ls_http_result after = req(f, "GET", "/v1/graph", NULL, 200);
    assert_true(json_equal(before.json, after.json));
    assert_int_equal(ls_jint(after.json, "revision"), 9);
    ls_http_result_cleanup(&before);
    ls_http_result_cleanup(&after);
    r = req(f, "GET", "/v1/nodes/vm1/history", NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "versions")), 2);
    assert_string_equal(ls_jstr(r.json, "versions.0.name"), "web-1");
    ls_http_result_cleanup(&r);
    r = req(f, "POST", "/v1/nodes", "{\"id\":\"after\",\"type\":\"rack\"}", 201);
    assert_int_equal(ls_jint(r.json, "revision"), 10);
    ls_http_result_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_node_crud_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_filter_and_paginate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subgraph_walks_each_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_get_named_errors_and_change_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sql_looking_strings_are_stored_verbatim, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_time_travel_through_the_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_deliver_changes_from_another_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_health_readiness_metrics_and_ui, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_nodes_edges_and_history, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration/http", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
