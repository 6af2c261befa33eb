/* --tls-cert / --tls-key: landscaped serves HTTPS (with a self-signed certificate made by
 * `openssl req` here) — the API with a token, the web view, and an event stream; a client that
 * does not trust the certificate, or speaks plain HTTP, gets nothing; a missing, unreadable
 * or mismatched certificate or key stops the start with the reason. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

#define READER "tls-reader-5e6f7a8b9c0d"
#define MEMBER "tls-member-1a2b3c4d5e6f"

static struct {
    struct ls_service svc;
    char crt[300], key[300], other_key[300], tokens[300];
} fx;

static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int group_setup(void **state)
{
    if (ls_service_group_setup(state) != 0)
        return -1;
    const char *d = ls_harness_dir();
    snprintf(fx.crt, sizeof(fx.crt), "%s/tls.crt", d);
    snprintf(fx.key, sizeof(fx.key), "%s/tls.key", d);
    snprintf(fx.other_key, sizeof(fx.other_key), "%s/other.key", d);
    snprintf(fx.tokens, sizeof(fx.tokens), "%s/tokens", d);
    if (sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
           "-addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' >/dev/null 2>&1",
           fx.key, fx.crt) != 0 ||
        sh("openssl genrsa -out '%s' 2048 >/dev/null 2>&1", fx.other_key) != 0)
        return -1;
    FILE *f = fopen(fx.tokens, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%s reader r\n%s member m\n", READER, MEMBER);
    fclose(f);
    const char *args[] = {"--tls-cert",        fx.crt,    "--tls-key", fx.key, "--auth", "tokens",
                          "--auth-token-file", fx.tokens, NULL};
    if (ls_service_start(&fx.svc, ls_harness_new_db(), args) != 0)
        return -1;
    snprintf(fx.svc.cacert, sizeof(fx.svc.cacert), "%s", fx.crt);
    return 0;
}

static int group_teardown(void **state)
{
    int rc = ls_service_stop(&fx.svc);
    ls_service_group_teardown(state);
    return rc;
}

static void test_the_api_and_the_web_view_answer_over_https(void **state)
{
    (void)state;
    assert_int_equal(strncmp(fx.svc.base, "https://", 8), 0);
    struct ls_http_result r;
    assert_int_equal(ls_http(&fx.svc, "GET", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(ls_jstr(r.json, "status"), "ok");
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(&fx.svc, "GET", "/", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<html"));
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(&fx.svc, "GET", "/v1/nodes", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401); /* TLS does not replace the token */
    ls_http_result_cleanup(&r);
    snprintf(fx.svc.token, sizeof(fx.svc.token), "%s", MEMBER);
    assert_int_equal(
        ls_http(&fx.svc, "POST", "/v1/nodes", "{\"id\":\"tls-rack\",\"type\":\"rack\"}", NULL, &r),
        0);
    assert_int_equal(r.status, 201);
    ls_http_result_cleanup(&r);
    fx.svc.token[0] = '\0';
}

static void test_an_untrusting_or_plain_http_client_gets_nothing(void **state)
{
    (void)state;
    struct ls_service s = fx.svc;
    s.cacert[0] = '\0'; /* the system's CAs do not know the self-signed certificate */
    struct ls_http_result r;
    assert_int_equal(ls_http(&s, "GET", "/healthz", NULL, NULL, &r), -1);
    assert_int_equal(r.status, 0);
    ls_http_result_cleanup(&r);
    snprintf(s.base, sizeof(s.base), "http://127.0.0.1:%d", s.port);
    ls_http(&s, "GET", "/healthz", NULL, NULL, &r);
    assert_int_not_equal(r.status, 200);
    ls_http_result_cleanup(&r);
}

struct stream {
    char url[256], auth[300];
    const char *cacert;
    char data[65536];
    size_t len;
    _Atomic int stop;
    pthread_mutex_t lock;
};

static size_t on_stream(char *p, size_t size, size_t n, void *arg)
{
    struct stream *s = arg;
    size_t k = size * n;
    pthread_mutex_lock(&s->lock);
    if (s->len + k < sizeof(s->data) - 1) {
        memcpy(s->data + s->len, p, k);
        s->len += k;
        s->data[s->len] = '\0';
    }
    pthread_mutex_unlock(&s->lock);
    return k;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return ((struct stream *)arg)->stop ? 1 : 0;
}

static void *read_stream(void *arg)
{
    struct stream *s = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, s->auth);
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CAINFO, s->cacert);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static bool stream_has(struct stream *s, const char *needle)
{
    pthread_mutex_lock(&s->lock);
    bool found = strstr(s->data, needle) != NULL;
    pthread_mutex_unlock(&s->lock);
    return found;
}

static void test_events_stream_over_https(void **state)
{
    (void)state;
    struct stream *st = calloc(1, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
    snprintf(st->url, sizeof(st->url), "%s/v1/events", fx.svc.base);
    snprintf(st->auth, sizeof(st->auth), "X-Auth-Token: %s", READER);
    st->cacert = fx.crt;
    pthread_t t;
    pthread_create(&t, NULL, read_stream, st);
    for (int i = 0; i < 400 && !stream_has(st, "landscape events"); i++)
        sleep_ms(25);
    assert_true(stream_has(st, "landscape events"));
    snprintf(fx.svc.token, sizeof(fx.svc.token), "%s", MEMBER);
    struct ls_http_result r;
    assert_int_equal(ls_http(&fx.svc, "POST", "/v1/nodes",
                             "{\"id\":\"tls-streamed\",\"type\":\"rack\"}", NULL, &r),
                     0);
    assert_int_equal(r.status, 201);
    ls_http_result_cleanup(&r);
    fx.svc.token[0] = '\0';
    for (int i = 0; i < 400 && !stream_has(st, "\"id\":\"tls-streamed\""); i++)
        sleep_ms(25);
    st->stop = 1;
    pthread_join(t, NULL);
    assert_non_null(strstr(st->data, "event: change"));
    assert_non_null(strstr(st->data, "\"id\":\"tls-streamed\""));
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* Runs landscaped with args and expects it to fail with `want` in its output. */
static void expect_start_failure(const char *want, const char *args)
{
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof(cmd), "'%s/bin/landscaped' --db 'dbname=none' %s 2>&1",
             getenv("LS_BINARY_DIR"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    if (strstr(out, want) == NULL)
        fail_msg("expected '%s' in: %s", want, out);
}

static void test_a_missing_or_wrong_certificate_stops_the_start(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof(args), "--tls-cert '%s'", fx.crt);
    expect_start_failure("tls-cert without tls-key", args);
    snprintf(args, sizeof(args), "--tls-cert '%s/nope.crt' --tls-key '%s'", ls_harness_dir(),
             fx.key);
    expect_start_failure("nope.crt: No such file or directory", args);
    snprintf(args, sizeof(args), "--tls-cert '%s' --tls-key '%s'", fx.crt, fx.tokens);
    expect_start_failure("not a PEM file", args);
    /* a key that is not the certificate's: found when the listener starts (after Postgres, so
     * this one runs against the harness's server) */
    struct ls_service s;
    const char *bad[] = {"--tls-cert", fx.crt, "--tls-key", fx.other_key, NULL};
    assert_int_equal(ls_service_start(&s, ls_harness_new_db(), bad), -1);
    char log[400], out[4096];
    snprintf(log, sizeof(log), "%s/service.log", s.dir);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    assert_non_null(strstr(out, "cannot serve HTTPS"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_api_and_the_web_view_answer_over_https),
        cmocka_unit_test(test_an_untrusting_or_plain_http_client_gets_nothing),
        cmocka_unit_test(test_events_stream_over_https),
        cmocka_unit_test(test_a_missing_or_wrong_certificate_stops_the_start),
    };
    return cmocka_run_group_tests_name("auth/tls", tests, group_setup, group_teardown);
}
