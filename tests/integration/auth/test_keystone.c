/* --auth keystone against a Keystone: built twice, against ossim's Keystone simulator (always
 * runs; its Keystone "goes down" by answering 503) and against the REAL Keystone of
 * ../shared/openstack (LS_KEYSTONE_REAL: users and roles made with the `openstack` CLI, tokens
 * issued and revoked with it; Keystone stopped with SIGSTOP on its uWSGI process group and
 * resumed after; skipped loudly without root or the harness).
 *
 * What both show: no token 401 (WWW-Authenticate: Keystone uri=...); a reader token reads and
 * may not write (403); a member writes (201) but does not sync; an admin syncs; a revoked token
 * still works while its cache entry lives and gets 401 once it ages out (--auth-cache-seconds);
 * Keystone down: a cached token keeps working, a new one gets 503 auth_unavailable; the access
 * log names the Keystone user. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

/* ---- the two Keystones ---- */

struct backend {
    const char *name;
    const char *cloud;         /* the clouds.yaml name landscaped uses */
    const char *cache_seconds; /* the window a revoked token keeps working: longer than a
                                  revocation takes (the CLI takes seconds under load) */
    const char *timeout;       /* --auth-timeout: longer than Keystone takes to answer here */
    /* Brings Keystone up and starts landscaped with args (plus the cloud's). false with why. */
    bool (*up)(struct ls_service *svc, const char *const *args, char *why, size_t cap);
    int (*down)(struct ls_service *svc);
    /* A new token of a user whose role is "reader", "member", "admin" or "" (none); false when
     * this Keystone cannot give one. */
    bool (*token)(const char *role, char *out, size_t cap);
    void (*revoke)(const char *token);
    void (*keystone_stop)(void);
    void (*keystone_resume)(void);
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#ifndef LS_KEYSTONE_REAL

#include "tests/tools/ossim/ossim.h"

static struct ossim *sim;

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)arg;
    return size * n;
}

struct subject {
    char token[256];
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct subject *s = arg;
    size_t len = size * n;
    if (len > 17 && strncasecmp(p, "X-Subject-Token: ", 17) == 0) {
        snprintf(s->token, sizeof(s->token), "%.*s", (int)(len - 17), p + 17);
        s->token[strcspn(s->token, "\r\n")] = '\0';
    }
    return len;
}

/* One request to the simulator's Keystone; returns the HTTP status. */
static long
sim_call(const char *method, const char *body, const char *h1, const char *h2, struct subject *subj)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/auth/tokens", ossim_auth_url(sim));
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h1)
        h = curl_slist_append(h, h1);
    if (h2)
        h = curl_slist_append(h, h2);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, subj);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static bool sim_token(const char *role, char *out, size_t cap)
{
    const char *user = !strcmp(role, "admin")    ? "admin"
                       : !strcmp(role, "member") ? "sim-member"
                       : !strcmp(role, "reader") ? "sim-reader"
                                                 : "sim-norole";
    char body[512];
    snprintf(body, sizeof(body),
             "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{"
             "\"name\":\"%s\",\"domain\":{\"name\":\"Default\"},\"password\":\"secret\"}}},"
             "\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}",
             user);
    struct subject s = {{0}};
    long st = sim_call("POST", body, NULL, NULL, &s);
    if (st != 201 || !s.token[0])
        fail_msg("ossim: token for %s: HTTP %ld", user, st);
    snprintf(out, cap, "%s", s.token);
    return true;
}

static void sim_revoke(const char *token)
{
    char admin[256], h1[300], h2[4200];
    sim_token("admin", admin, sizeof(admin));
    snprintf(h1, sizeof(h1), "X-Auth-Token: %s", admin);
    snprintf(h2, sizeof(h2), "X-Subject-Token: %s", token);
    struct subject s;
    assert_int_equal(sim_call("DELETE", NULL, h1, h2, &s), 204);
    assert_int_equal(sim_call("GET", NULL, h1, h2, &s), 404); /* Keystone forgot it */
}

static void sim_stop(void)
{
    struct ossim_fault f = {
        .kind = OSSIM_FAULT_STATUS, .path_contains = "/auth/tokens", .status = 503, .count = -1};
    ossim_fault(sim, &f);
}

static void sim_resume(void)
{
    ossim_clear_faults(sim);
}

static bool sim_up(struct ls_service *svc, const char *const *args, char *why, size_t cap)
{
    (void)why, (void)cap;
    if (ls_harness_start() != 0)
        return false;
    struct ossim_opts o;
    ossim_opts_default(&o);
    char err[256];
    sim = ossim_start(&o, err, sizeof(err));
    if (sim == NULL)
        fail_msg("ossim: %s", err);
    char clouds[400];
    snprintf(clouds, sizeof(clouds), "%s/clouds.yaml", ls_harness_dir());
    FILE *f = fopen(clouds, "w");
    assert_non_null(f);
    fprintf(f,
            "clouds:\n  sim:\n    auth:\n      auth_url: %s\n      username: admin\n"
            "      password: secret\n      project_name: admin\n"
            "      user_domain_name: Default\n      project_domain_name: Default\n"
            "    region_name: RegionOne\n",
            ossim_auth_url(sim));
    fclose(f);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    return ls_service_start(svc, ls_harness_new_db(), args) == 0;
}

static int sim_down(struct ls_service *svc)
{
    int rc = ls_service_stop(svc) == 0 ? 0 : -1;
    ossim_stop(sim);
    ls_harness_stop();
    return rc;
}

static const struct backend be = {"ossim",  "sim",     "8",        "3",      sim_up,
                                  sim_down, sim_token, sim_revoke, sim_stop, sim_resume};

#else /* the real Keystone of ../shared/openstack */

#include "tests/integration/openstack/osh.h"

#define USER_PASSWORD "ls-auth-secret-1"

static bool real_token(const char *role, char *out, size_t cap)
{
    json_t *t;
    if (!strcmp(role, "admin"))
        t = osh_cli_json("token issue");
    else if (!strcmp(role, "member") || !strcmp(role, "reader"))
        t = osh_cli_json("--os-username ls-auth-%s --os-password %s token issue", role,
                         USER_PASSWORD);
    else
        return false; /* a user without a role gets no project-scoped token from Keystone */
    const char *id = json_string_value(json_object_get(t, "id"));
    if (id == NULL)
        fail_msg("openstack token issue (%s) gave no token", role);
    snprintf(out, cap, "%s", id);
    json_decref(t);
    return true;
}

static void real_revoke(const char *token)
{
    assert_int_equal(osh_cli("token revoke %s", token), 0);
}

/* Keystone's uWSGI process group, from the harness's pid file (what down.sh stops). */
static pid_t keystone_pgid(void)
{
    const char *w = getenv("LS_OSH_DIR");
    char path[300], name[64];
    snprintf(path, sizeof(path), "%s/pids", w && *w ? w : "/tmp/osh");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long pid = 0, p;
    while (fscanf(f, "%63s %ld", name, &p) == 2)
        if (!strcmp(name, "keystone"))
            pid = p;
    fclose(f);
    assert_true(pid > 1);
    return (pid_t)pid;
}

static bool keystone_stopped;

static void real_stop(void)
{
    printf("# stopping keystone (SIGSTOP to its uWSGI, pgid %d)\n", (int)keystone_pgid());
    assert_int_equal(kill(-keystone_pgid(), SIGSTOP), 0);
    keystone_stopped = true;
}

static void real_resume(void)
{
    if (!keystone_stopped)
        return;
    printf("# resuming keystone\n");
    kill(-keystone_pgid(), SIGCONT);
    keystone_stopped = false;
}

static bool real_up(struct ls_service *svc, const char *const *args, char *why, size_t cap)
{
    if (!osh_up(why, cap))
        return false;
    /* the users this test needs: made once, kept (idempotent) */
    static const char *const roles[] = {"reader", "member"};
    for (int i = 0; i < 2; i++) {
        if (osh_cli("user create --or-show --domain Default --password %s ls-auth-%s",
                    USER_PASSWORD, roles[i]) != 0 ||
            osh_cli("user set --password %s ls-auth-%s", USER_PASSWORD, roles[i]) != 0 ||
            osh_cli("role add --user ls-auth-%s --project admin %s", roles[i], roles[i]) != 0)
            fail_msg("cannot make the user ls-auth-%s", roles[i]);
    }
    return osh_landscape_start(svc, args) == 0;
}

static int real_down(struct ls_service *svc)
{
    real_resume();
    int rc = osh_landscape_stop(svc, "");
    osh_down();
    return rc;
}

static const struct backend be = {"keystone", "osh",      "45",        "15",      real_up,
                                  real_down,  real_token, real_revoke, real_stop, real_resume};

#endif

/* ---- the tests ---- */

static struct {
    bool up;
    char why[256];
    struct ls_service svc;
} fx;

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *args[] = {"--auth",
                          "keystone",
                          "--os-cloud",
                          be.cloud,
                          "--auth-cache-seconds",
                          be.cache_seconds,
                          "--auth-timeout",
                          be.timeout,
                          "--os-sync-interval",
                          "86400",
                          "--os-reconcile-interval",
                          "604800",
                          NULL};
    fx.up = be.up(&fx.svc, args, fx.why, sizeof(fx.why));
    if (!fx.up && fx.why[0]) {
        printf("# SKIPPING the %s tests: %s\n", be.name, fx.why);
        return 0;
    }
    return fx.up ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = fx.up ? be.down(&fx.svc) : 0;
    curl_global_cleanup();
    return rc;
}

#define NEED_KEYSTONE()                                                                            \
    do {                                                                                           \
        if (!fx.up) {                                                                              \
            printf("# skipped: %s\n", fx.why);                                                     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static long call(const char *token,
                 const char *method,
                 const char *path,
                 const char *body,
                 struct ls_http_result *r)
{
    const char *headers[] = {NULL, NULL};
    char h[4200];
    if (token) {
        snprintf(h, sizeof(h), "X-Auth-Token: %s", token);
        headers[0] = h;
    }
    assert_int_equal(ls_http_headers(&fx.svc, method, path, body, headers, r), 0);
    return r->status;
}

/* The status only; the body is printed when it is not want. */
static void expect(const char *token,
                   const char *method,
                   const char *path,
                   const char *body,
                   long want,
                   const char *code)
{
    struct ls_http_result r;
    long st = call(token, method, path, body, &r);
    if (st != want || (code && (!ls_jstr(r.json, "error.code") ||
                                strcmp(ls_jstr(r.json, "error.code"), code) != 0)))
        fail_msg("%s %s: HTTP %ld, expected %ld %s: %s", method, path, st, want, code ? code : "",
                 r.body);
    ls_http_result_cleanup(&r);
}

static long long metric(const char *name)
{
    struct ls_http_result r;
    assert_int_equal(call(NULL, "GET", "/metrics", NULL, &r), 200);
    char line[200]; /* the sample's line, not its # TYPE line */
    snprintf(line, sizeof(line), "\n%s", name);
    const char *at = strstr(r.body, line);
    long long v = at ? strtoll(at + strlen(line), NULL, 10) : -1;
    ls_http_result_cleanup(&r);
    return v;
}

static void test_no_or_unknown_token_is_401(void **state)
{
    (void)state;
    NEED_KEYSTONE();
    struct ls_http_result r;
    assert_int_equal(call(NULL, "GET", "/v1/nodes", NULL, &r), 401);
    assert_string_equal(ls_jstr(r.json, "error.code"), "auth_required");
    assert_int_equal(strncmp(r.www_authenticate, "Keystone uri=\"http", 18), 0);
    ls_http_result_cleanup(&r);
    expect("gAAAAABnot-a-token-keystone-knows", "GET", "/v1/nodes", NULL, 401, "invalid_token");
    expect(NULL, "GET", "/healthz", NULL, 200, NULL);
}

static void test_reader_reads_and_may_not_write(void **state)
{
    (void)state;
    NEED_KEYSTONE();
    char t[4096];
    be.token("reader", t, sizeof(t));
    expect(t, "GET", "/v1/nodes", NULL, 200, NULL);
    expect(t, "POST", "/v1/nodes", "{\"id\":\"ks-reader\",\"type\":\"rack\"}", 403, "forbidden");
}

static void test_member_writes_and_the_log_names_the_user(void **state)
{
    (void)state;
    NEED_KEYSTONE();
    char t[4096];
    be.token("member", t, sizeof(t));
    expect(t, "POST", "/v1/nodes", "{\"id\":\"ks-member\",\"type\":\"rack\"}", 201, NULL);
    char path[300];
    snprintf(path, sizeof(path), "/v1/sources/%s/sync", be.cloud);
    expect(t, "POST", path, NULL, 403, "forbidden");
    /* the access log names the Keystone user, never the token */
    assert_true(ls_service_logged(&fx.svc, "path=\"/v1/nodes\" status=201", "@Default\"", 5000));
    assert_false(ls_service_logged(&fx.svc, t, NULL, 0));
}

static void test_admin_syncs(void **state)
{
    (void)state;
    NEED_KEYSTONE();
    char t[4096], path[300];
    be.token("admin", t, sizeof(t));
    snprintf(path, sizeof(path), "/v1/sources/%s/sync?wait=true", be.cloud);
    expect(t, "POST", path, NULL, 200, NULL);
    if (be.token("", t, sizeof(t))) /* a token without any of the three roles */
        expect(t, "GET", "/v1/nodes", NULL, 403, "forbidden");
}

static void test_a_revoked_token_works_until_its_cache_entry_ages_out(void **state)
{
    (void)state;
    NEED_KEYSTONE();
    char t[4096];
    be.token("reader", t, sizeof(t));
    expect(t, "GET", "/v1/nodes", NULL, 200, NULL); /* validated and cached */
    long long hits = metric("landscape_auth_cache_hits_total ");
    be.revoke(t);
    /* inside the cache window (be.cache_seconds after the validation above) */
    expect(t, "GET", "/v1/nodes", NULL, 200, NULL);
    assert_true(metric("landscape_auth_cache_hits_total ") > hits);
    /* once the entry ages out, Keystone is asked again and refuses it */
    long st = 200;
    for (int i = 0; i < 1200 && st == 200; i++) {
        struct ls_http_result r;
        st = call(t, "GET", "/v1/nodes", NULL, &r);
        ls_http_result_cleanup(&r);
        if (st == 200)
            sleep_ms(100);
    }
    assert_int_equal(st, 401);
    expect(t, "GET", "/v1/nodes", NULL, 401, "invalid_token");
}

static void test_keystone_down_cached_tokens_work_new_ones_get_503(void **state)
{
    (void)state;
    NEED_KEYSTONE();
    char cached[4096], fresh[4096];
    be.token("member", cached, sizeof(cached));
    be.token("reader", fresh, sizeof(fresh)); /* issued, never shown to landscaped yet */
    expect(cached, "GET", "/v1/nodes", NULL, 200, NULL);
    be.keystone_stop();
    expect(cached, "GET", "/v1/nodes", NULL, 200, NULL);
    expect(cached, "POST", "/v1/nodes", "{\"id\":\"ks-down\",\"type\":\"rack\"}", 201, NULL);
    expect(fresh, "GET", "/v1/nodes", NULL, 503, "auth_unavailable");
    assert_true(metric("landscape_auth_checks_total{result=\"unavailable\"} ") >= 1);
    be.keystone_resume();
    /* back: the new token is validated now (Keystone may take a moment to answer again) */
    long st = 503;
    for (int i = 0; i < 300 && st == 503; i++) {
        struct ls_http_result r;
        st = call(fresh, "GET", "/v1/nodes", NULL, &r);
        ls_http_result_cleanup(&r);
        if (st == 503)
            sleep_ms(100);
    }
    assert_int_equal(st, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_or_unknown_token_is_401),
        cmocka_unit_test(test_reader_reads_and_may_not_write),
        cmocka_unit_test(test_member_writes_and_the_log_names_the_user),
        cmocka_unit_test(test_admin_syncs),
        cmocka_unit_test(test_a_revoked_token_works_until_its_cache_entry_ages_out),
        cmocka_unit_test(test_keystone_down_cached_tokens_work_new_ones_get_503),
    };
#ifdef LS_KEYSTONE_REAL
    int failed =
        cmocka_run_group_tests_name("auth/keystone (real)", tests, group_setup, group_teardown);
    return failed == 0 && !fx.up ? 77 : failed; /* 77: ctest reports it as skipped */
#else
    return cmocka_run_group_tests_name("auth/keystone (ossim)", tests, group_setup, group_teardown);
#endif
}
