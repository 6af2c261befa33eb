/* common/time: RFC 3339 and the near forms producers send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/time.h"

static void test_parse_accepts_rfc3339_with_fraction_and_offset(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(ls_time_parse_rfc3339(&t, "2025-05-13T12:53:00Z", NULL), LS_OK);
    assert_int_equal(t, 1747140780LL * 1000000);
    assert_int_equal(ls_time_parse_rfc3339(&t, "2025-05-13T12:53:00.412345Z", NULL), LS_OK);
    assert_int_equal(t, 1747140780LL * 1000000 + 412345);
    assert_int_equal(ls_time_parse_rfc3339(&t, "2025-05-13T14:53:00.5+02:00", NULL), LS_OK);
    assert_int_equal(t, 1747140780LL * 1000000 + 500000);
    assert_int_equal(ls_time_parse_rfc3339(&t, "2025-05-13 12:53:00.412345", NULL), LS_OK);
    assert_int_equal(t, 1747140780LL * 1000000 + 412345);
    assert_int_equal(ls_time_parse_rfc3339(&t, "1969-12-31T23:59:59Z", NULL), LS_OK);
    assert_int_equal(t, -1000000);
}

static void test_parse_rejects_garbage_with_a_named_error(void **state)
{
    (void)state;
    int64_t t;
    struct ls_err err;
    const char *bad[] = {"",
                         "yesterday",
                         "2025-13-01T00:00:00Z",
                         "2025-05-13T12:53Z",
                         "2025-05-13T12:53:00Zjunk",
                         "2025-05-13T12:53:00."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ls_time_parse_rfc3339(&t, bad[i], &err), LS_EINVAL);
        assert_string_equal(err.code, "invalid_time");
    }
}

static void test_format_round_trips(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(ls_time_format_rfc3339(1747140780LL * 1000000, buf, sizeof(buf)),
                        "2025-05-13T12:53:00Z");
    assert_string_equal(ls_time_format_rfc3339(1747140780LL * 1000000 + 7, buf, sizeof(buf)),
                        "2025-05-13T12:53:00.000007Z");
    int64_t t;
    assert_int_equal(ls_time_parse_rfc3339(&t, buf, NULL), LS_OK);
    assert_int_equal(t, 1747140780LL * 1000000 + 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_rfc3339_with_fraction_and_offset),
        cmocka_unit_test(test_parse_rejects_garbage_with_a_named_error),
        cmocka_unit_test(test_format_round_trips),
    };
    return cmocka_run_group_tests_name("common/time", tests, NULL, NULL);
}
