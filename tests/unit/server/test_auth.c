/* server/auth.c, server/token_cache.c and the route table's roles: the token file's lines
 * (hashed and clear, comments, every refusal with file:line and never the token), SHA-256
 * against a known vector, the cache's deadline, replacement and eviction of the oldest, and a
 * role and body for every route (no write a reader may call). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/auth.h"
#include "server/router.h"
#include "server/token_cache.h"

static void test_sha256_matches_a_known_vector(void **state)
{
    (void)state;
    uint8_t d[LS_AUTH_DIGEST_LEN];
    ls_auth_digest("abc", d); /* FIPS 180-2, appendix B.1 */
    static const uint8_t want[] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                   0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                   0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    assert_memory_equal(d, want, sizeof(want));
}

static void test_token_file_lines(void **state)
{
    (void)state;
    const char *text = "# comment\n\n  first-token-0123456789 reader\r\n"
                       "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD "
                       "admin abc-caller\n"
                       "second-token-012345678\tmember agent-7\n";
    struct ls_static_token *t;
    size_t n;
    struct ls_err err;
    assert_int_equal(ls_auth_tokens_parse(text, "tokens", &t, &n, &err), LS_OK);
    assert_int_equal(n, 3);
    uint8_t d[LS_AUTH_DIGEST_LEN];
    ls_auth_digest("first-token-0123456789", d);
    assert_memory_equal(t[0].digest, d, sizeof(d));
    assert_int_equal(t[0].role, LS_ROLE_READER);
    assert_string_equal(t[0].name, "token-line-3"); /* no name: the line */
    ls_auth_digest("abc", d);
    assert_memory_equal(t[1].digest, d, sizeof(d)); /* hex in either case */
    assert_int_equal(t[1].role, LS_ROLE_ADMIN);
    assert_string_equal(t[1].name, "abc-caller");
    assert_int_equal(t[2].role, LS_ROLE_MEMBER);
    assert_string_equal(t[2].name, "agent-7");
    free(t);
}

static void test_token_file_refusals_name_the_line_not_the_token(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"short-1 reader\n", "tokens:1: a token must be"},
        {"# x\nlong-enough-token-000 root\n", "tokens:2: role 'root'"},
        {"long-enough-token-000\n", "tokens:1: expected `TOKEN ROLE [NAME]`"},
        {"long-enough-token-000 reader a b\n", "tokens:1: expected"},
        {"sha256:abcd reader x\n", "tokens:1: sha256: expected 64 hex digits"},
        {"long-enough-token-000 reader a\nlong-enough-token-000 admin b\n",
         "tokens:2: the same token as a"},
        {"# only comments\n\n", "tokens: no tokens"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ls_static_token *t = NULL;
        size_t n = 0;
        struct ls_err err;
        assert_int_equal(ls_auth_tokens_parse(bad[i].text, "tokens", &t, &n, &err), LS_EINVAL);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
        assert_null(strstr(err.msg, "long-enough-token"));
        assert_null(strstr(err.msg, "short-1"));
        assert_null(t);
    }
}

static void digest_of(int i, uint8_t d[LS_AUTH_DIGEST_LEN])
{
    char s[32];
    snprintf(s, sizeof(s), "token-%d", i);
    ls_auth_digest(s, d);
}

static void test_cache_deadline_replacement_and_eviction(void **state)
{
    (void)state;
    struct ls_token_cache *c = ls_token_cache_new(3);
    uint8_t d[LS_AUTH_DIGEST_LEN];
    struct ls_principal p = {LS_ROLE_MEMBER, "bob@Default"}, out;
    digest_of(0, d);
    ls_token_cache_put(c, d, &p, 1000);
    assert_true(ls_token_cache_get(c, d, 999, &out));
    assert_string_equal(out.name, "bob@Default");
    assert_int_equal(out.role, LS_ROLE_MEMBER);
    assert_false(ls_token_cache_get(c, d, 1000, &out)); /* past its deadline: dropped */
    assert_int_equal(ls_token_cache_len(c), 0);
    assert_false(ls_token_cache_get(c, d, 0, &out));
    /* the same token again replaces its entry */
    ls_token_cache_put(c, d, &p, 50);
    p.role = LS_ROLE_READER;
    ls_token_cache_put(c, d, &p, 60);
    assert_int_equal(ls_token_cache_len(c), 1);
    assert_true(ls_token_cache_get(c, d, 55, &out));
    assert_int_equal(out.role, LS_ROLE_READER);
    /* full: the oldest goes */
    for (int i = 1; i <= 3; i++) {
        digest_of(i, d);
        ls_token_cache_put(c, d, &p, 100);
    }
    assert_int_equal(ls_token_cache_len(c), 3);
    digest_of(1, d);
    assert_true(ls_token_cache_get(c, d, 0, &out));
    digest_of(0, d);
    assert_false(ls_token_cache_get(c, d, 0, &out)); /* evicted by token-3 */
    for (int i = 4; i < 1000; i++) {                 /* many more: still bounded */
        digest_of(i, d);
        ls_token_cache_put(c, d, &p, 100);
        assert_true(ls_token_cache_len(c) <= 3);
    }
    digest_of(999, d);
    assert_true(ls_token_cache_get(c, d, 0, &out));
    digest_of(996, d);
    assert_false(ls_token_cache_get(c, d, 0, &out));
    ls_token_cache_free(c);
}

static void test_every_route_has_a_role_and_no_reader_writes(void **state)
{
    (void)state;
    struct ls_config cfg;
    ls_config_defaults(&cfg);
    for (int i = 0; i < ls_routes_count; i++) {
        const struct ls_route *r = &ls_routes[i];
        if (r->role == LS_ROLE_UNSET)
            fail_msg("route %s %s%s has no role", r->method, r->prefix, r->suffix);
        enum ls_role need = ls_route_role(r, &cfg);
        /* a query with a body (an RCA over stored telemetry) changes nothing: readers ask it */
        bool query = strcmp(r->method, "POST") == 0 && strcmp(r->prefix, "/v1/analytics/rca") == 0;
        if (strcmp(r->method, "GET") != 0 && need < LS_ROLE_MEMBER && !query)
            fail_msg("write %s %s%s needs only %s", r->method, r->prefix, r->suffix,
                     ls_role_name(need));
        if (strcmp(r->method, "GET") == 0 && r->body != LS_BODY_NONE)
            fail_msg("GET %s%s takes a body", r->prefix, r->suffix);
    }
    /* unset counts as admin; metrics follows --metrics-public */
    struct ls_route unset = {"POST", "/x", "", false, NULL, "x", LS_ROLE_UNSET, LS_BODY_JSON};
    assert_int_equal(ls_route_role(&unset, &cfg), LS_ROLE_ADMIN);
    struct ls_route metrics = {"GET", "/m", "", false, NULL, "m", LS_ROLE_METRICS, LS_BODY_NONE};
    assert_int_equal(ls_route_role(&metrics, &cfg), LS_ROLE_PUBLIC);
    cfg.metrics_public = false;
    assert_int_equal(ls_route_role(&metrics, &cfg), LS_ROLE_READER);
    ls_config_cleanup(&cfg);
}

static void test_content_types(void **state)
{
    (void)state;
    struct ls_route json = {"POST", "/x", "", false, NULL, "x", LS_ROLE_MEMBER, LS_BODY_JSON};
    struct ls_route none = {"DELETE", "/x", "", false, NULL, "x", LS_ROLE_MEMBER, LS_BODY_NONE};
    struct ls_route tel = {"POST", "/t", "", false, NULL, "t", LS_ROLE_MEMBER, LS_BODY_TELEMETRY};
    assert_true(ls_route_ctype_ok(&json, "application/json", 2));
    assert_true(ls_route_ctype_ok(&json, "Application/JSON; charset=utf-8", 2));
    assert_false(ls_route_ctype_ok(&json, "text/plain", 2));
    assert_false(ls_route_ctype_ok(&json, "application/jsonx", 2));
    assert_false(ls_route_ctype_ok(&json, NULL, 2));
    assert_true(ls_route_ctype_ok(&json, NULL, 0)); /* no body, no type: the handler says */
    assert_true(ls_route_ctype_ok(&none, NULL, 0));
    assert_true(ls_route_ctype_ok(&none, "application/json", 0));
    assert_false(ls_route_ctype_ok(&none, "application/x-www-form-urlencoded", 0));
    assert_false(ls_route_ctype_ok(&none, "text/plain;charset=utf-8", 0));
    assert_true(ls_route_ctype_ok(&tel, "text/plain; version=0.0.4", 10));
    assert_false(ls_route_ctype_ok(&tel, "multipart/form-data; boundary=x", 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_matches_a_known_vector),
        cmocka_unit_test(test_token_file_lines),
        cmocka_unit_test(test_token_file_refusals_name_the_line_not_the_token),
        cmocka_unit_test(test_cache_deadline_replacement_and_eviction),
        cmocka_unit_test(test_every_route_has_a_role_and_no_reader_writes),
        cmocka_unit_test(test_content_types),
    };
    return cmocka_run_group_tests_name("server/auth", tests, NULL, NULL);
}
