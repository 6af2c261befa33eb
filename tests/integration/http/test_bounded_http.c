/* Bounded memory through the API of the real landscaped (loopback, private Postgres): reads of
 * the graph as of a time come in pages of at most max-page-size with a `next` link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

static const char *const flags[] = {"--max-page-size", "3", "--default-page-size", "2", NULL};

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
    return rc == 0 ? 0 : -1;
}

static struct ls_http_result
req(struct fx *f, const char *method, const char *path, const char *body, long want)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(&f->svc, method, path, body, NULL, &r), 0);
    if (r.status != want)
        fail_msg("%s %s: status %ld, want %ld: %s", method, path, r.status, want, r.body);
    return r;
}

/* A chain m0 -> m1 -> ... -> m6 (connected_to) plus a deleted node, so pages must skip it. */
static void make_chain(struct fx *f)
{
    char body[256];
    for (int i = 0; i < 7; i++) {
        snprintf(body, sizeof(body), "{\"id\":\"m%d\",\"type\":\"machine\"}", i);
        struct ls_http_result r = req(f, "POST", "/v1/nodes", body, 201);
        ls_http_result_cleanup(&r);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(body, sizeof(body), "{\"src\":\"m%d\",\"type\":\"connected_to\",\"dst\":\"m%d\"}",
                 i, i + 1);
        struct ls_http_result r = req(f, "POST", "/v1/edges", body, 201);
        ls_http_result_cleanup(&r);
    }
    struct ls_http_result r =
        req(f, "POST", "/v1/nodes", "{\"id\":\"gone\",\"type\":\"rack\"}", 201);
    ls_http_result_cleanup(&r);
    r = req(f, "DELETE", "/v1/nodes/gone", NULL, 204);
    ls_http_result_cleanup(&r);
}

static void test_graph_at_comes_in_pages_of_max_page_size(void **state)
{
    struct fx *f = *state;
    make_chain(f);
    char at[64], path[512];
    time_t now = time(NULL) + 1;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(path, sizeof(path), "/v1/graph?at=%s", at);
    int pages = 0, nodes = 0, edges = 0;
    char seen[16] = {0};
    for (;;) {
        struct ls_http_result r = req(f, "GET", path, NULL, 200);
        size_t n = json_array_size(ls_jget(r.json, "nodes"));
        assert_true(n >= 1 && n <= 3);
        for (size_t i = 0; i < n; i++) {
            char k[32];
            snprintf(k, sizeof(k), "nodes.%zu.id", i);
            const char *id = ls_jstr(r.json, k);
            assert_true(id[0] == 'm'); /* the deleted node is not in the picture */
            assert_int_equal(seen[id[1] - '0']++, 0);
        }
        nodes += (int)n;
        /* each page has the edges out of its nodes, also those to a node of another page */
        edges += (int)json_array_size(ls_jget(r.json, "edges"));
        assert_false(json_is_true(ls_jget(r.json, "truncated")));
        pages++;
        const char *next = ls_jstr(r.json, "next");
        if (next == NULL) {
            ls_http_result_cleanup(&r);
            break;
        }
        assert_non_null(strstr(next, "marker="));
        snprintf(path, sizeof(path), "%s", next);
        ls_http_result_cleanup(&r);
        assert_true(pages < 10);
    }
    assert_int_equal(pages, 3);
    assert_int_equal(nodes, 7);
    assert_int_equal(edges, 6);
    /* a page larger than max-page-size is refused, a smaller one honoured */
    snprintf(path, sizeof(path), "/v1/graph?at=%s&limit=4", at);
    struct ls_http_result r = req(f, "GET", path, NULL, 400);
    assert_string_equal(ls_jstr(r.json, "error.code"), "invalid_parameter");
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/graph?at=%s&limit=1&type=machine", at);
    r = req(f, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    assert_string_equal(ls_jstr(r.json, "nodes.0.id"), "m0");
    assert_string_equal(ls_jstr(r.json, "edges.0.dst"), "m1");
    ls_http_result_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_graph_at_comes_in_pages_of_max_page_size, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration/bounded_http", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
