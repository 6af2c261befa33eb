/* common/json_parse: the same answer as json_loadb(.., 0, ..) for every input — valid
 * documents give equal trees, everything jansson rejects is rejected — checked on chosen cases,
 * on every prefix of a document, and on thousands of random mutations of documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/json_parse.h"

/* Documents with every kind of value, escape, number form and UTF-8 length. */
static const char *const valid[] = {
    "{}",
    "[]",
    " \t\r\n[ ] \n",
    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
    "[0,-0,1,-1,9223372036854775807,-9223372036854775808,123456789012]",
    "[0.5,-0.0,1e3,1E+3,1e-3,2.5E-300,1.7976931348623157e308,4.9e-324,1e-400,0.1,3.14159]",
    "[\"\",\"plain\",\"q\\\"b\\\\s\\/f\\b\\f\\n\\r\\t\",\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"]",
    "[\"caf\xc3\xa9\",\"\xe2\x82\xac\",\"\xf0\x9f\x98\x80\",\"\xed\x9f\xbf\",\"\xef\xbf\xbf\"]",
    "{\"k\\u00e9y\":1,\"\\\"q\\\"\":2,\"\":3}",
    "{\"dup\":1,\"dup\":2}",
    "[[[[[[[[[[{\"deep\":[[[]]]}]]]]]]]]]]",
    "{\"servers\":[{\"id\":\"a\",\"name\":\"web\",\"flavor\":{\"vcpus\":2,\"ram\":2048.0},"
    "\"addresses\":{\"net\":[{\"addr\":\"10.0.0.1\",\"version\":4}]},\"metadata\":{}}],"
    "\"servers_links\":[{\"href\":\"http://x/?marker=a\",\"rel\":\"next\"}]}",
};

/* Inputs jansson rejects, one rule each. */
static const char *const invalid[] = {
    "",
    "   ",
    "1",
    "\"top\"",
    "null",
    "[",
    "{",
    "[1,]",
    "[,1]",
    "{\"a\":1,}",
    "{\"a\"}",
    "{\"a\" 1}",
    "{a:1}",
    "{1:1}",
    "[01]",
    "[-]",
    "[1.]",
    "[.5]",
    "[1e]",
    "[1e+]",
    "[+1]",
    "[0x10]",
    "[9223372036854775808]",
    "[-9223372036854775809]",
    "[1e400]",
    "[-1e400]",
    "[tru]",
    "[nul]",
    "[True]",
    "[\"\\x\"]",
    "[\"\\u12\"]",
    "[\"\\ud800\"]",
    "[\"\\ud800\\u0041\"]",
    "[\"\\udc00\"]",
    "[\"\\u0000\"]",
    "[\"tab\there\"]",
    "[\"nl\nhere\"]",
    "[\"\xc0\x80\"]",
    "[\"\xc3\"]",
    "[\"\xed\xa0\x80\"]",
    "[\"\xf4\x90\x80\x80\"]",
    "[\"\xff\"]",
    "[\"\x80\"]",
    "[\"\xe2\x82\"]",
    "[1] x",
    "[1][2]",
    "{} {}",
    "\xef\xbb\xbf[]",
    "[\"unterminated]",
};

static json_t *jansson(const char *s, size_t n)
{
    json_error_t je;
    return json_loadb(s, n, 0, &je);
}

/* Both parsers on s[0..n): the same verdict, equal trees when accepted. Returns ours. */
static bool agree(const char *s, size_t n, bool *accepted)
{
    struct ls_json_parse_error e;
    json_t *a = jansson(s, n), *b = ls_json_parse(s, n, &e);
    bool same = (a == NULL) == (b == NULL) && (a == NULL || json_equal(a, b));
    if (b == NULL && (e.text[0] == '\0' || e.position > n))
        same = false; /* a rejection names its reason and where */
    if (!same)
        fprintf(stderr, "# disagree on %zu bytes: jansson %s, ours %s (%s at %zu): %.*s\n", n,
                a ? "accepts" : "rejects", b ? "accepts" : "rejects", b ? "-" : e.text,
                b ? 0 : e.position, (int)n, s);
    *accepted = b != NULL;
    json_decref(a);
    json_decref(b);
    return same;
}

static void test_valid_documents_give_janssons_trees(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        bool ok;
        assert_true(agree(valid[i], strlen(valid[i]), &ok));
        assert_true(ok);
    }
    /* the values themselves, not only equality with jansson */
    const char *doc = "[\"\\ud83d\\ude00\",-9223372036854775808,0.1,{\"k\":2,\"k\":3}]";
    json_t *v = ls_json_parse(doc, strlen(doc), NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "\xf0\x9f\x98\x80");
    assert_true(json_integer_value(json_array_get(v, 1)) == INT64_MIN);
    assert_true(json_real_value(json_array_get(v, 2)) == 0.1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 3), "k")), 3);
    assert_int_equal(json_object_size(json_array_get(v, 3)), 1);
    json_decref(v);
}

static void test_invalid_inputs_are_rejected_with_a_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        bool ok;
        assert_true(agree(invalid[i], strlen(invalid[i]), &ok));
        assert_false(ok);
    }
    struct ls_json_parse_error e;
    assert_null(ls_json_parse("[1,]", 4, &e));
    assert_int_equal(e.position, 3);
    assert_non_null(strstr(e.text, "invalid token"));
    assert_null(ls_json_parse("{\"a\":[1,2", 9, &e));
    assert_non_null(strstr(e.text, "premature end of input"));
    assert_int_equal(e.position, 9);
    assert_null(ls_json_parse(NULL, 0, &e));
    /* a NUL inside the given length is data, not the end */
    assert_null(ls_json_parse("[1]\0", 4, &e));
    assert_non_null(strstr(e.text, "end of input expected"));
}

/* The input is bytes with a length: nothing after it is read. */
static void test_input_is_not_read_past_its_length(void **state)
{
    (void)state;
    const char buf[] = "[1,2]garbage";
    json_t *v = ls_json_parse(buf, 5, NULL);
    assert_non_null(v);
    assert_int_equal(json_array_size(v), 2);
    json_decref(v);
    /* a string cut by the length is unterminated, though its quote follows in memory */
    char *cut = malloc(4);
    memcpy(cut, "[\"a\"", 4);
    assert_null(ls_json_parse(cut, 3, NULL));
    free(cut);
}

static void test_nesting_stops_where_janssons_does(void **state)
{
    (void)state;
    for (int depth = JSON_PARSER_MAX_DEPTH; depth <= JSON_PARSER_MAX_DEPTH + 1; depth++) {
        char *s = malloc((size_t)depth * 2);
        memset(s, '[', (size_t)depth);
        memset(s + depth, ']', (size_t)depth);
        bool ok;
        assert_true(agree(s, (size_t)depth * 2, &ok));
        assert_true(ok == (depth <= JSON_PARSER_MAX_DEPTH));
        free(s);
    }
}

static void test_every_prefix_of_a_document_is_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t n = strlen(valid[i]);
        for (size_t k = 0; k < n; k++) {
            bool ok;
            assert_true(agree(valid[i], k, &ok));
        }
    }
}

/* Bytes a mutation puts in: the grammar's own, and some that break it. */
static const char alphabet[] = "{}[]:,\"\\/ \t\n0123456789-+.eEuUabfnrtlsx\x01\x7f\x80\xc3\xe2\xed"
                               "\xf0\xf4\xff";

static void test_random_mutations_agree_with_jansson(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL; /* xorshift: the same cases on every run */
    size_t accepted = 0, rejected = 0;
    char buf[512];
    for (int round = 0; round < 40000; round++) {
        const char *src = valid[round % (sizeof(valid) / sizeof(valid[0]))];
        size_t n = strlen(src);
        memcpy(buf, src, n);
        int edits = 1 + round % 3;
        for (int k = 0; k < edits; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t at = (size_t)(x % (n + 1));
            char c = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
            switch ((x >> 48) % 3) {
            case 0: /* replace */
                if (at < n)
                    buf[at] = c;
                break;
            case 1: /* delete */
                if (at < n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            default: /* insert */
                if (n + 1 < sizeof(buf)) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = c;
                    n++;
                }
            }
        }
        bool ok;
        assert_true(agree(buf, n, &ok));
        accepted += ok;
        rejected += !ok;
    }
    /* both verdicts were exercised many times */
    assert_true(accepted > 1000);
    assert_true(rejected > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_documents_give_janssons_trees),
        cmocka_unit_test(test_invalid_inputs_are_rejected_with_a_reason),
        cmocka_unit_test(test_input_is_not_read_past_its_length),
        cmocka_unit_test(test_nesting_stops_where_janssons_does),
        cmocka_unit_test(test_every_prefix_of_a_document_is_rejected),
        cmocka_unit_test(test_random_mutations_agree_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
