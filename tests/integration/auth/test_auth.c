/* --auth tokens and none against the real landscaped on loopback: 401 without or with a wrong
 * token (WWW-Authenticate, JSON error shape), roles per route (reader reads, member writes,
 * admin syncs and adds aliases), hashed entries, both token headers, 415 for a write in a
 * content type it does not take, cross-site writes refused, the open endpoints, the access log
 * naming the caller and never the token, the agent's and the generator's tokens, and the starts
 * that must fail (none on a non-loopback address, a bad token file) with a one-line reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

#define READER "reader-7f3a9c1e5b2d4f60"
#define MEMBER "member-0c9e8d7b6a5f4e3d"
#define ADMIN  "admin-1a2b3c4d5e6f7a8b9c"

static struct {
    struct ls_service svc;
    char tokens[300];
} fx;

/* Runs a shell command; its output (stdout and stderr) into out; returns the exit status. */
static int run(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *bin(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/bin/%s", getenv("LS_BINARY_DIR"), name);
    return path;
}

/* The token file: reader and member in clear, admin only as its SHA-256 (made by sha256sum,
 * not by the code under test). */
static void write_tokens(const char *path)
{
    char out[256];
    assert_int_equal(run(out, sizeof(out), "printf %%s '%s' | sha256sum | cut -d' ' -f1", ADMIN),
                     0);
    out[strcspn(out, "\n")] = '\0';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# who may call\n%s reader alice\n\n%s member bob\nsha256:%s admin carol\n", READER,
            MEMBER, out);
    fclose(f);
    chmod(path, 0600);
}

static int group_setup(void **state)
{
    if (ls_service_group_setup(state) != 0)
        return -1;
    snprintf(fx.tokens, sizeof(fx.tokens), "%s/tokens", ls_harness_dir());
    write_tokens(fx.tokens);
    const char *args[] = {"--auth", "tokens", "--auth-token-file", fx.tokens, NULL};
    return ls_service_start(&fx.svc, ls_harness_new_db(), args);
}

static int group_teardown(void **state)
{
    int rc = ls_service_stop(&fx.svc);
    ls_service_group_teardown(state);
    return rc;
}

/* One request with the given token (NULL: none) and extra header lines. */
static struct ls_http_result call(const char *token,
                                  const char *method,
                                  const char *path,
                                  const char *body,
                                  const char *const *headers,
                                  long want)
{
    snprintf(fx.svc.token, sizeof(fx.svc.token), "%s", token ? token : "");
    struct ls_http_result r;
    assert_int_equal(ls_http_headers(&fx.svc, method, path, body, headers, &r), 0);
    if (r.status != want)
        fail_msg("%s %s: HTTP %ld, expected %ld: %s", method, path, r.status, want, r.body);
    fx.svc.token[0] = '\0';
    return r;
}

static void expect_error(struct ls_http_result *r, long status, const char *code)
{
    assert_non_null(r->json);
    assert_int_equal(ls_jint(r->json, "error.status"), status);
    assert_string_equal(ls_jstr(r->json, "error.code"), code);
    assert_non_null(ls_jstr(r->json, "error.message"));
    ls_http_result_cleanup(r);
}

static void test_no_or_wrong_token_is_401_with_a_challenge(void **state)
{
    (void)state;
    struct ls_http_result r = call(NULL, "GET", "/v1/nodes", NULL, NULL, 401);
    assert_string_equal(r.www_authenticate, "Bearer realm=\"landscape\"");
    expect_error(&r, 401, "auth_required");
    r = call("not-a-token-of-the-file", "GET", "/v1/nodes", NULL, NULL, 401);
    assert_string_equal(r.www_authenticate, "Bearer realm=\"landscape\"");
    expect_error(&r, 401, "invalid_token");
    /* a known token with something after it is another token */
    r = call(READER "x", "GET", "/v1/nodes", NULL, NULL, 401);
    expect_error(&r, 401, "invalid_token");
    r = call(NULL, "POST", "/v1/nodes", "{\"id\":\"x\",\"type\":\"rack\"}", NULL, 401);
    expect_error(&r, 401, "auth_required");
}

static void test_reader_reads_and_may_not_write(void **state)
{
    (void)state;
    struct ls_http_result r = call(READER, "GET", "/v1/nodes", NULL, NULL, 200);
    assert_non_null(ls_jget(r.json, "nodes"));
    ls_http_result_cleanup(&r);
    /* Keystone's header works as well as Authorization: Bearer */
    const char *xauth[] = {"X-Auth-Token: " READER, NULL};
    r = call(NULL, "GET", "/v1/types", NULL, xauth, 200);
    ls_http_result_cleanup(&r);
    r = call(READER, "POST", "/v1/nodes", "{\"id\":\"reader-rack\",\"type\":\"rack\"}", NULL, 403);
    assert_non_null(strstr(ls_jstr(r.json, "error.message"), "needs member"));
    expect_error(&r, 403, "forbidden");
    r = call(READER, "GET", "/v1/nodes/reader-rack", NULL, NULL, 404); /* nothing was written */
    ls_http_result_cleanup(&r);
}

static void test_member_writes_but_does_not_sync_or_alias(void **state)
{
    (void)state;
    struct ls_http_result r =
        call(MEMBER, "POST", "/v1/nodes", "{\"id\":\"rack-m\",\"type\":\"rack\"}", NULL, 201);
    assert_string_equal(ls_jstr(r.json, "id"), "rack-m");
    ls_http_result_cleanup(&r);
    r = call(MEMBER, "PATCH", "/v1/nodes/rack-m", "{\"state\":\"up\"}", NULL, 200);
    ls_http_result_cleanup(&r);
    r = call(MEMBER, "POST", "/v1/sources/anything/sync", NULL, NULL, 403);
    expect_error(&r, 403, "forbidden");
    r = call(MEMBER, "POST", "/v1/aliases", "{\"alias\":\"rm\",\"node\":\"rack-m\"}", NULL, 403);
    expect_error(&r, 403, "forbidden");
    r = call(MEMBER, "DELETE", "/v1/nodes/rack-m", NULL, NULL, 204);
    ls_http_result_cleanup(&r);
}

static void test_admin_from_a_hashed_entry_syncs_and_aliases(void **state)
{
    (void)state;
    struct ls_http_result r =
        call(ADMIN, "POST", "/v1/nodes", "{\"id\":\"rack-a\",\"type\":\"rack\"}", NULL, 201);
    ls_http_result_cleanup(&r);
    r = call(ADMIN, "POST", "/v1/aliases", "{\"alias\":\"ra\",\"node\":\"rack-a\"}", NULL, 201);
    ls_http_result_cleanup(&r);
    /* authorised: the answer is the handler's (no such source here; test_auth_keystone_sim
     * syncs a real one) */
    r = call(ADMIN, "POST", "/v1/sources/nowhere/sync", NULL, NULL, 404);
    expect_error(&r, 404, "source_not_found");
    /* the digest itself is not a token */
    char out[256];
    assert_int_equal(run(out, sizeof(out), "printf %%s '%s' | sha256sum | cut -d' ' -f1", ADMIN),
                     0);
    out[strcspn(out, "\n")] = '\0';
    char tok[300];
    snprintf(tok, sizeof(tok), "sha256:%s", out);
    r = call(tok, "GET", "/v1/nodes", NULL, NULL, 401);
    expect_error(&r, 401, "invalid_token");
}

static void test_writes_need_the_content_type_they_document(void **state)
{
    (void)state;
    const char *plain[] = {"Content-Type: text/plain", NULL};
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    const char *multipart[] = {"Content-Type: multipart/form-data; boundary=x", NULL};
    const char *none[] = {"Content-Type:", NULL}; /* curl: send no Content-Type at all */
    const char *body = "{\"id\":\"rack-ct\",\"type\":\"rack\"}";
    struct ls_http_result r = call(MEMBER, "POST", "/v1/nodes", body, plain, 415);
    assert_non_null(strstr(ls_jstr(r.json, "error.message"), "application/json"));
    expect_error(&r, 415, "unsupported_media_type");
    r = call(MEMBER, "POST", "/v1/nodes", body, form, 415);
    expect_error(&r, 415, "unsupported_media_type");
    r = call(MEMBER, "PUT", "/v1/nodes/rack-ct", body, multipart, 415);
    expect_error(&r, 415, "unsupported_media_type");
    r = call(MEMBER, "POST", "/v1/nodes", body, none, 415);
    expect_error(&r, 415, "unsupported_media_type");
    r = call(MEMBER, "GET", "/v1/nodes/rack-ct", NULL, NULL, 404); /* none got through */
    ls_http_result_cleanup(&r);
    /* a body-less write refuses the types a cross-site form can send */
    r = call(ADMIN, "POST", "/v1/sources/nowhere/sync", NULL, form, 415);
    expect_error(&r, 415, "unsupported_media_type");
    /* YAML where the bulk endpoint documents it; XML on the topology endpoint */
    const char *yaml[] = {"Content-Type: application/yaml", NULL};
    r = call(MEMBER, "POST", "/v1/bulk", "nodes:\n  - {type: rack, name: Y1}\n", yaml, 200);
    ls_http_result_cleanup(&r);
    r = call(MEMBER, "POST", "/v1/bulk", "nodes:\n  - {type: rack, name: Y2}\n", plain, 415);
    expect_error(&r, 415, "unsupported_media_type");
    /* telemetry keeps text/plain for its line formats (collectd, influx, prometheus) */
    r = call(MEMBER, "POST", "/v1/telemetry", "cpu,host=h1 usage=1 1700000000000000000\n", plain,
             200);
    assert_string_equal(ls_jstr(r.json, "format"), "telegraf");
    ls_http_result_cleanup(&r);
    r = call(MEMBER, "POST", "/v1/telemetry", "a=b", form, 415);
    expect_error(&r, 415, "unsupported_media_type");
}

static void test_a_page_of_another_site_cannot_write(void **state)
{
    (void)state;
    const char *evil[] = {"Origin: http://evil.example", NULL};
    struct ls_http_result r =
        call(ADMIN, "POST", "/v1/nodes", "{\"id\":\"rack-x\",\"type\":\"rack\"}", evil, 403);
    expect_error(&r, 403, "cross_origin");
    char own[128];
    snprintf(own, sizeof(own), "Origin: %s", fx.svc.base); /* the web view itself */
    const char *same[] = {own, NULL};
    r = call(ADMIN, "POST", "/v1/nodes", "{\"id\":\"rack-x\",\"type\":\"rack\"}", same, 201);
    ls_http_result_cleanup(&r);
}

static void test_health_metrics_and_the_page_are_open(void **state)
{
    (void)state;
    static const char *const open[] = {"/healthz", "/readyz", "/metrics", "/"};
    for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
        struct ls_http_result r = call(NULL, "GET", open[i], NULL, NULL, 200);
        ls_http_result_cleanup(&r);
    }
    struct ls_http_result r = call(NULL, "GET", "/metrics", NULL, NULL, 200);
    assert_non_null(strstr(r.body, "landscape_auth_checks_total{result=\"invalid\"}"));
    ls_http_result_cleanup(&r);
    /* --metrics-public false: /metrics needs a reader */
    struct ls_service s2;
    const char *args[] = {
        "--auth", "tokens", "--auth-token-file", fx.tokens, "--metrics-public=false", NULL};
    assert_int_equal(ls_service_start(&s2, ls_harness_new_db(), args), 0);
    assert_int_equal(ls_http(&s2, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    ls_http_result_cleanup(&r);
    snprintf(s2.token, sizeof(s2.token), "%s", READER);
    assert_int_equal(ls_http(&s2, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&s2), 0);
}

static void test_the_log_names_the_writer_never_the_token(void **state)
{
    (void)state;
    struct ls_http_result r =
        call(MEMBER, "POST", "/v1/nodes", "{\"id\":\"rack-log\",\"type\":\"rack\"}", NULL, 201);
    ls_http_result_cleanup(&r);
    assert_true(ls_service_logged(&fx.svc, "method=POST path=\"/v1/nodes\" status=201",
                                  "user=\"bob\"", 5000));
    const char *tokens[] = {READER, MEMBER, ADMIN};
    for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
        assert_false(ls_service_logged(&fx.svc, tokens[i], NULL, 0));
}

/* landscape-agent --token (and LANDSCAPE_TOKEN) posts a topology; without one it is refused. */
static void test_the_agent_sends_its_token(void **state)
{
    (void)state;
    char out[4096];
    const char *src = getenv("LS_SOURCE_DIR");
    int rc = run(out, sizeof(out),
                 "'%s' --once --server %s --hostname authhost --xml "
                 "'%s/tests/data/hwloc/synth_flat.xml' --no-lldp 2>&1",
                 bin("landscape-agent"), fx.svc.base, src);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "401"));
    rc = run(out, sizeof(out),
             "'%s' --once --server %s --token %s --hostname authhost --xml "
             "'%s/tests/data/hwloc/synth_flat.xml' --no-lldp 2>&1",
             bin("landscape-agent"), fx.svc.base, READER, src);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "403"));
    rc = run(out, sizeof(out),
             "LANDSCAPE_TOKEN=%s '%s' --once --server %s --hostname authhost --xml "
             "'%s/tests/data/hwloc/synth_flat.xml' --no-lldp 2>&1",
             MEMBER, bin("landscape-agent"), fx.svc.base, src);
    if (rc != 0)
        fail_msg("agent with a member token: %s", out);
    struct ls_http_result r =
        call(READER, "GET", "/v1/nodes/host:machine:authhost", NULL, NULL, 200);
    ls_http_result_cleanup(&r);
}

/* landscape-telemetry-gen --server fetches the graph with its token (a reader's will do). */
static void test_the_generator_fetches_the_graph_with_its_token(void **state)
{
    (void)state;
    struct ls_http_result r =
        call(MEMBER, "POST", "/v1/nodes",
             "{\"id\":\"nova:instance:5f1c2d3e\",\"type\":\"instance\"}", NULL, 201);
    ls_http_result_cleanup(&r);
    char out[4096];
    /* brokers nobody serves: the records stay queued, the run ends after its flush wait */
    const char *gen = "--brokers 127.0.0.1:9 --topic t --rate 1 --seconds 1";
    int rc = run(out, sizeof(out), "'%s' --server %s %s 2>&1", bin("landscape-telemetry-gen"),
                 fx.svc.base, gen);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "HTTP 401"));
    rc = run(out, sizeof(out), "LANDSCAPE_TOKEN=%s '%s' --server %s %s 2>&1", READER,
             bin("landscape-telemetry-gen"), fx.svc.base, gen);
    if (rc != 0 || strstr(out, "1 instances") == NULL)
        fail_msg("generator with a reader token (exit %d): %s", rc, out);
}

/* A start that must fail says why in one line, before binding anything. */
static void test_unsafe_or_broken_configurations_do_not_start(void **state)
{
    (void)state;
    char out[4096];
    /* 192.0.2.1 (TEST-NET) is on no interface here: had validation passed, binding would have
     * failed with another message */
    int rc = run(out, sizeof(out), "'%s' --listen 192.0.2.1:0 --db 'dbname=none' 2>&1",
                 bin("landscaped"));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "auth none on 192.0.2.1:0"));
    assert_non_null(strstr(out, "--allow-unauthenticated"));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    rc = run(out, sizeof(out), "'%s' --listen 0.0.0.0:8080 --check-config 2>&1", bin("landscaped"));
    assert_int_equal(rc, 2);
    rc = run(out, sizeof(out),
             "'%s' --listen 0.0.0.0:8080 --allow-unauthenticated --check-config 2>&1",
             bin("landscaped"));
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "allow-unauthenticated = true"));
    rc = run(out, sizeof(out),
             "LANDSCAPE_AUTH=tokens LANDSCAPE_AUTH_TOKEN_FILE='%s' '%s' --listen 0.0.0.0:8080 "
             "--check-config 2>&1",
             fx.tokens, bin("landscaped"));
    assert_int_equal(rc, 0);
    /* a token file with a short token: file:line and the reason, never the token */
    char bad[300];
    snprintf(bad, sizeof(bad), "%s/bad-tokens", ls_harness_dir());
    FILE *f = fopen(bad, "w");
    fprintf(f, "%s member ok\nshorty99 admin short\n", MEMBER);
    fclose(f);
    rc = run(out, sizeof(out), "'%s' --auth tokens --auth-token-file '%s' --db 'dbname=none' 2>&1",
             bin("landscaped"), bad);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "bad-tokens:2: a token must be"));
    assert_null(strstr(out, "shorty99"));
    f = fopen(bad, "w");
    fprintf(f, "%s superuser eve\n", MEMBER);
    fclose(f);
    rc = run(out, sizeof(out), "'%s' --auth tokens --auth-token-file '%s' --db 'dbname=none' 2>&1",
             bin("landscaped"), bad);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "bad-tokens:1: role 'superuser'"));
    rc = run(out, sizeof(out), "'%s' --auth tokens --db 'dbname=none' 2>&1", bin("landscaped"));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "auth tokens needs --auth-token-file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_or_wrong_token_is_401_with_a_challenge),
        cmocka_unit_test(test_reader_reads_and_may_not_write),
        cmocka_unit_test(test_member_writes_but_does_not_sync_or_alias),
        cmocka_unit_test(test_admin_from_a_hashed_entry_syncs_and_aliases),
        cmocka_unit_test(test_writes_need_the_content_type_they_document),
        cmocka_unit_test(test_a_page_of_another_site_cannot_write),
        cmocka_unit_test(test_health_metrics_and_the_page_are_open),
        cmocka_unit_test(test_the_log_names_the_writer_never_the_token),
        cmocka_unit_test(test_the_agent_sends_its_token),
        cmocka_unit_test(test_the_generator_fetches_the_graph_with_its_token),
        cmocka_unit_test(test_unsafe_or_broken_configurations_do_not_start),
    };
    return cmocka_run_group_tests_name("auth/tokens", tests, group_setup, group_teardown);
}
