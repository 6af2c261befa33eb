/* POST /v1/analytics/rca through a real landscaped: bad bodies get a 400 naming the reason and
 * the service lives; samples posted with past timestamps at 1 s resolution are replayed and the
 * fault's cause is named with its path; a batch of more than 100,000 samples in one request
 * is taken up to max-body-bytes; and one PetShop case (Hardt et al., CC-BY-4.0) is posted
 * whole — landscape through the API, metrics as OTLP JSON — and its root cause asked for
 * (skipped when the dataset directory is absent). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "bench/analytics/petshop.h"
#include "common/buf.h"
#include "common/time.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"

static struct ls_http_result
req(struct ls_service *s, const char *method, const char *path, const char *body, long want)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(s, method, path, body, NULL, &r), 0);
    if (r.status != want)
        fail_msg("%s %s: %ld, want %ld: %.400s", method, path, r.status, want,
                 r.body ? r.body : "");
    return r;
}

static void post_json(struct ls_service *s, const char *path, json_t *body, long want)
{
    char *text = json_dumps(body, JSON_COMPACT);
    struct ls_http_result r = req(s, "POST", path, text, want);
    ls_http_result_cleanup(&r);
    free(text);
    json_decref(body);
}

static void node(struct ls_service *s, const char *id, const char *alias)
{
    post_json(s, "/v1/nodes",
              json_pack("{s:s, s:s, s:s, s:{s:[s]}}", "id", id, "type", "service", "name", alias,
                        "attrs", "aliases", alias),
              201);
}

static void depends_on(struct ls_service *s, const char *src, const char *dst)
{
    post_json(s, "/v1/edges",
              json_pack("{s:s, s:s, s:s}", "src", src, "type", "depends_on", "dst", dst), 201);
}

/* One OTLP gauge of host `host` named `metric` with attribute stat=`stat` (NULL: none): n
 * points at times t (µs). */
static json_t *
otlp_metric(const char *metric, const char *stat, const int64_t *t, const double *v, size_t n)
{
    json_t *points = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        char ns[32];
        snprintf(ns, sizeof ns, "%lld000", (long long)t[i]);
        json_t *p = json_pack("{s:s, s:f}", "timeUnixNano", ns, "asDouble", v[i]);
        if (stat)
            json_object_set_new(
                p, "attributes",
                json_pack("[{s:s, s:{s:s}}]", "key", "stat", "value", "stringValue", stat));
        json_array_append_new(points, p);
    }
    return json_pack("{s:s, s:{s:o}}", "name", metric, "gauge", "dataPoints", points);
}

static json_t *otlp_doc(const char *host, json_t *metrics)
{
    return json_pack("{s:[{s:{s:[{s:s, s:{s:s}}]}, s:[{s:o}]}]}", "resourceMetrics", "resource",
                     "attributes", "key", "host.name", "value", "stringValue", host, "scopeMetrics",
                     "metrics", metrics);
}

static json_t *rca(struct ls_service *s, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct ls_http_result r = req(s, "POST", "/v1/analytics/rca", text, 200);
    free(text);
    json_t *j = json_incref(r.json);
    ls_http_result_cleanup(&r);
    assert_non_null(j);
    return j;
}

static void time_text(int64_t us, char *buf, size_t cap)
{
    ls_time_format_rfc3339(us, buf, cap);
}

/* ---- bad bodies ------------------------------------------------------------------------- */

static void test_bad_bodies_get_400_with_the_reason(void **state)
{
    (void)state;
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    static const struct {
        const char *body, *code;
        long status;
    } cases[] = {
        {"", "malformed_json", 400},
        {"{\"from\":", "malformed_json", 400},
        {"[1]", "expected_object", 400},
        {"{\"to\":\"2026-01-01T00:00:00Z\"}", "missing_field", 400},
        {"{\"from\":\"yesterday\",\"to\":\"2026-01-01T00:00:00Z\"}", "invalid_time", 400},
        {"{\"from\":true,\"to\":1}", "invalid_time", 400},
        {"{\"from\":-5,\"to\":1}", "invalid_time", 400},
        {"{\"from\":10,\"to\":10}", "invalid_window", 400},
        {"{\"from\":0,\"to\":99999999}", "invalid_window", 400},
        {"{\"from\":1,\"to\":2,\"baseline\":{\"from\":5}}", "missing_field", 400},
        {"{\"from\":1,\"to\":2,\"baseline\":{\"from\":5,\"to\":4}}", "invalid_window", 400},
        {"{\"from\":1,\"to\":2,\"baseline\":[]}", "invalid_window", 400},
        {"{\"from\":1,\"to\":2,\"nodes\":\"a\"}", "invalid_nodes", 400},
        {"{\"from\":1,\"to\":2,\"nodes\":[]}", "invalid_nodes", 400},
        {"{\"from\":1,\"to\":2,\"nodes\":[7]}", "invalid_nodes", 400},
        {"{\"from\":1,\"to\":2,\"limit\":0}", "invalid_limit", 400},
        {"{\"from\":1,\"to\":2,\"limit\":\"5\"}", "invalid_limit", 400},
        {"{\"from\":1,\"to\":2,\"method\":\"oracle\"}", "invalid_method", 400},
        {"{\"from\":1,\"to\":2,\"window\":3}", "unknown_field", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ls_http_result r;
        assert_int_equal(ls_http(&svc, "POST", "/v1/analytics/rca", cases[i].body, NULL, &r), 0);
        if (r.status != cases[i].status || !ls_jstr(r.json, "error.code") ||
            strcmp(ls_jstr(r.json, "error.code"), cases[i].code) != 0)
            fail_msg("%s: %ld %s, want %ld %s", cases[i].body, r.status, r.body, cases[i].status,
                     cases[i].code);
        assert_int_equal(ls_jint(r.json, "error.status"), cases[i].status);
        ls_http_result_cleanup(&r);
    }
    struct ls_http_result r = req(&svc, "GET", "/healthz", NULL, 200);
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
}

/* ---- a replay at 1 s resolution --------------------------------------------------------- */

#define BASE_S 3600
#define WIN_S  60

/* web depends_on app depends_on db; two days ago, an hour of 1 s latency samples, then a
 * minute in which db slows (app and web follow). The service started with `extra`. */
static void replay_one_second_samples(const char *const *extra)
{
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), extra), 0);
    node(&svc, "svc:web", "web");
    node(&svc, "svc:app", "app");
    node(&svc, "svc:db", "db");
    node(&svc, "svc:other", "other");
    depends_on(&svc, "svc:web", "svc:app");
    depends_on(&svc, "svc:app", "svc:db");
    int64_t t0 = (ls_time_now_us() / 1000000 - 2 * 86400) * 1000000; /* two days ago, whole s */
    size_t n = BASE_S + WIN_S;
    int64_t *t = calloc(n, sizeof *t);
    double *v = calloc(n, sizeof *v);
    static const struct {
        const char *host;
        double level, fault;
    } nodes[] = {{"web", 100, 260}, {"app", 50, 180}, {"db", 20, 120}, {"other", 10, 10}};
    json_t *batch = json_array();
    for (size_t k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++) {
            t[i] = t0 + (int64_t)i * 1000000;
            double wiggle = (double)((i * 7 + k * 3) % 11) - 5; /* deterministic noise */
            v[i] = (i >= BASE_S ? nodes[k].fault : nodes[k].level) + wiggle * nodes[k].level / 50;
        }
        json_t *doc =
            otlp_doc(nodes[k].host, json_pack("[o]", otlp_metric("latency", NULL, t, v, n)));
        json_array_extend(batch, json_object_get(doc, "resourceMetrics"));
        json_decref(doc);
    }
    /* all four hosts' 14,640 samples in one request */
    json_t *doc = json_pack("{s:o}", "resourceMetrics", batch);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct ls_http_result r = req(&svc, "POST", "/v1/telemetry", text, 200);
    assert_int_equal(ls_jint(r.json, "samples"), (long long)(4 * n));
    assert_int_equal(ls_jint(r.json, "unmatched"), 0);
    ls_http_result_cleanup(&r);
    free(text);
    /* the raw store's use is on /metrics */
    assert_int_equal(ls_http(&svc, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_non_null(strstr(r.body, "landscape_raw_samples_points 14640\n"));
    assert_non_null(strstr(r.body, "landscape_raw_samples_series 4\n"));
    assert_non_null(strstr(r.body, "landscape_raw_samples_refused_total 0\n"));
    assert_non_null(strstr(r.body, "\nlandscape_rca_kept_bytes "));
    assert_non_null(strstr(r.body, "\nlandscape_rca_kept_mappings "));
    ls_http_result_cleanup(&r);

    char from[40], to[40], bfrom[40];
    time_text(t0 + (int64_t)BASE_S * 1000000, from, sizeof from);
    time_text(t0 + (int64_t)n * 1000000, to, sizeof to);
    time_text(t0, bfrom, sizeof bfrom);
    /* without a baseline: the hour before from (which is exactly the quiet hour) */
    json_t *j = rca(&svc, json_pack("{s:s, s:s}", "from", from, "to", to));
    assert_string_equal(ls_jstr(j, "method"), "propagation");
    assert_string_equal(ls_jstr(j, "causes.0.id"), "svc:db");
    assert_string_equal(ls_jstr(j, "causes.0.metric"), "latency");
    assert_non_null(ls_jstr(j, "causes.0.reason"));
    json_t *path = ls_jget(j, "causes.0.path");
    assert_int_equal(json_array_size(path), 3);
    assert_string_equal(ls_jstr(j, "causes.0.path.0"), "svc:db");
    assert_string_equal(ls_jstr(j, "causes.0.path.1"), "svc:app");
    assert_string_equal(ls_jstr(j, "causes.0.path.2"), "svc:web");
    assert_int_equal(json_array_size(ls_jget(j, "anomalous")), 3);
    json_decref(j);
    /* an explicit baseline, two nodes only, limit 1 */
    j = rca(&svc,
            json_pack("{s:s, s:s, s:{s:s, s:s}, s:[s, s], s:i}", "from", from, "to", to, "baseline",
                      "from", bfrom, "to", from, "nodes", "svc:web", "svc:app", "limit", 1));
    assert_int_equal(json_array_size(ls_jget(j, "causes")), 1);
    assert_string_equal(ls_jstr(j, "causes.0.id"), "svc:app");
    assert_int_equal(json_array_size(ls_jget(j, "anomalous")), 2);
    json_decref(j);
    /* a quiet minute names nothing */
    char qfrom[40], qto[40];
    time_text(t0 + 3000LL * 1000000, qfrom, sizeof qfrom);
    time_text(t0 + 3060LL * 1000000, qto, sizeof qto);
    j = rca(&svc, json_pack("{s:s, s:s, s:{s:s, s:s}}", "from", qfrom, "to", qto, "baseline",
                            "from", bfrom, "to", qfrom));
    assert_int_equal(json_array_size(ls_jget(j, "causes")), 0);
    assert_int_equal(json_array_size(ls_jget(j, "anomalous")), 0);
    json_decref(j);
    free(t);
    free(v);
    assert_int_equal(ls_service_stop(&svc), 0);
}

static void test_past_samples_at_one_second_are_replayed(void **state)
{
    (void)state;
    replay_one_second_samples(NULL);
}

/* The same answers with the work split over three threads however small it is (the store
 * swept in three parts, the anomalous nodes scored in three). */
static void test_the_replay_on_three_threads_answers_the_same(void **state)
{
    (void)state;
    static const char *const extra[] = {"--rca-threads", "3", NULL};
    replay_one_second_samples(extra);
}

/* More samples in one request than the old fixed bound (100,000), inside max-body-bytes. */
static void test_a_batch_over_100k_samples_is_taken(void **state)
{
    (void)state;
    struct ls_service svc;
    static const char *const extra[] = {"--max-body-bytes", "16777216", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), extra), 0);
    node(&svc, "svc:big", "big");
    struct ls_buf b;
    ls_buf_init(&b, 0);
    long long t0 = (long long)(ls_time_now_us() / 1000000 - 3 * 86400);
    for (int i = 0; i < 120000; i++)
        assert_int_equal(ls_buf_printf(&b, "lat,host=big value=%d %lld000000000\n", i % 7, t0 + i),
                         LS_OK);
    struct ls_http_result r;
    assert_int_equal(ls_http_body(&svc, "POST", "/v1/telemetry", "text/plain", b.data, b.len, &r),
                     0);
    if (r.status != 200)
        fail_msg("%ld %s", r.status, r.body);
    assert_int_equal(ls_jint(r.json, "samples"), 120000);
    ls_http_result_cleanup(&r);
    ls_buf_cleanup(&b);
    assert_int_equal(ls_service_stop(&svc), 0);
}

/* ---- one PetShop case through the service ----------------------------------------------- */

static const char *petshop_dir(void)
{
    const char *e = getenv("LS_PETSHOP_DIR");
    return e && *e ? e : LS_PETSHOP_DEFAULT;
}

static void test_petshop_case_is_replayed(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/low_traffic/graph.csv", petshop_dir());
    struct ps_graph g;
    struct ls_err err;
    if (ps_graph_load(path, &g, &err) != LS_OK)
        LS_SKIP("PetShop dataset not found (%s): set LS_PETSHOP_DIR", path);
    struct ps_table base, win;
    struct ps_target tg;
    snprintf(path, sizeof path, "%s/low_traffic/noissue/metrics.csv", petshop_dir());
    assert_int_equal(ps_table_load(path, &base, &err), LS_OK);
    snprintf(path, sizeof path, "%s/low_traffic/train/issue_0/metrics.csv", petshop_dir());
    assert_int_equal(ps_table_load(path, &win, &err), LS_OK);
    snprintf(path, sizeof path, "%s/low_traffic/train/issue_0/target.json", petshop_dir());
    assert_int_equal(ps_target_load(path, &tg, &err), LS_OK);

    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), NULL), 0);
    /* the landscape: every component a service node named by its alias, calls as depends_on */
    char id[256], id2[256];
    for (size_t i = 0; i < g.n; i++) {
        snprintf(id, sizeof id, "petshop:service:%s", g.names[i]);
        node(&svc, id, g.names[i]);
    }
    for (size_t c = 0; c < base.n_cols; c++) {
        bool known = false;
        for (size_t i = 0; i < g.n && !known; i++)
            known = strcmp(g.names[i], base.node[c]) == 0;
        snprintf(id, sizeof id, "petshop:service:%s", base.node[c]);
        if (!known) {
            node(&svc, id, base.node[c]);
            g.names = realloc(g.names, (g.n + 1) * sizeof *g.names);
            g.names[g.n++] = strdup(base.node[c]);
        }
    }
    for (size_t e = 0; e < g.n_edges; e++) {
        snprintf(id, sizeof id, "petshop:service:%s", g.names[g.edges[e][0]]);
        snprintf(id2, sizeof id2, "petshop:service:%s", g.names[g.edges[e][1]]);
        depends_on(&svc, id, id2);
    }
    /* the normal-operation table moved to end 5 minutes before the issue window (the dataset
     * recorded it months apart), then the rows; one request per component */
    int64_t shift = (int64_t)(win.ts[0] - 300 - base.ts[base.n_rows - 1]);
    size_t rows = base.n_rows + win.n_rows;
    int64_t *t = calloc(rows, sizeof *t);
    double *v = calloc(rows, sizeof *v);
    for (size_t i = 0; i < g.n; i++) {
        json_t *metrics = json_array();
        for (size_t c = 0; c < win.n_cols; c++) {
            if (strcmp(win.node[c], g.names[i]) != 0)
                continue;
            long bc = ps_table_col(&base, win.node[c], win.series[c]);
            if (bc < 0)
                continue;
            size_t n = 0;
            for (size_t r = 0; r < base.n_rows; r++, n++) {
                t[n] = (int64_t)(base.ts[r] + (double)shift) * 1000000;
                v[n] = base.v[r * base.n_cols + (size_t)bc];
            }
            for (size_t r = 0; r < win.n_rows; r++, n++) {
                t[n] = (int64_t)win.ts[r] * 1000000;
                v[n] = win.v[r * win.n_cols + c];
            }
            char metric[64];
            snprintf(metric, sizeof metric, "%s", win.series[c]);
            char *slash = strchr(metric, '/');
            *slash = 0;
            json_array_append_new(metrics, otlp_metric(metric, slash + 1, t, v, n));
        }
        if (json_array_size(metrics) == 0) {
            json_decref(metrics);
            continue;
        }
        post_json(&svc, "/v1/telemetry", otlp_doc(g.names[i], metrics), 200);
    }
    char from[40], to[40], bfrom[40], bto[40];
    time_text((int64_t)win.ts[0] * 1000000, from, sizeof from);
    time_text(((int64_t)win.ts[win.n_rows - 1] + 1) * 1000000, to, sizeof to);
    time_text((int64_t)(base.ts[0] + (double)shift) * 1000000, bfrom, sizeof bfrom);
    time_text(((int64_t)(base.ts[base.n_rows - 1] + (double)shift) + 1) * 1000000, bto, sizeof bto);
    json_t *j = rca(&svc, json_pack("{s:s, s:s, s:{s:s, s:s}, s:i}", "from", from, "to", to,
                                    "baseline", "from", bfrom, "to", bto, "limit", 3));
    snprintf(id, sizeof id, "petshop:service:%s", tg.root);
    const char *top = ls_jstr(j, "causes.0.id");
    if (!top || strcmp(top, id) != 0) {
        char *dump = json_dumps(j, JSON_INDENT(1));
        fail_msg("root %s not ranked first: %s", id, dump);
    }
    assert_string_equal(ls_jstr(j, "causes.0.path.0"), id);
    assert_true(json_array_size(ls_jget(j, "anomalous")) >= 1);
    json_decref(j);
    free(t);
    free(v);
    assert_int_equal(ls_service_stop(&svc), 0);
    ps_table_free(&base);
    ps_table_free(&win);
    ps_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_bodies_get_400_with_the_reason),
        cmocka_unit_test(test_past_samples_at_one_second_are_replayed),
        cmocka_unit_test(test_the_replay_on_three_threads_answers_the_same),
        cmocka_unit_test(test_a_batch_over_100k_samples_is_taken),
        cmocka_unit_test(test_petshop_case_is_replayed),
    };
    int failed = cmocka_run_group_tests_name("http/rca", tests, ls_service_group_setup,
                                             ls_service_group_teardown);
    return ls_skip_status(failed, LS_N_TESTS(tests));
}
