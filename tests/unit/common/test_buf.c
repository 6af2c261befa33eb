/* common/buf, common/map and common/err: bounds, ownership, messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/map.h"

static void test_buf_refuses_to_grow_past_its_maximum(void **state)
{
    (void)state;
    struct ls_buf b;
    ls_buf_init(&b, 10);
    assert_int_equal(ls_buf_puts(&b, "hello"), LS_OK);
    assert_int_equal(ls_buf_printf(&b, "%d", 1234), LS_OK);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(ls_buf_puts(&b, "xy"), LS_ELIMIT);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(ls_buf_puts(&b, "x"), LS_OK);
    assert_int_equal(b.len, 10);
    char *s = ls_buf_take(&b);
    assert_string_equal(s, "hello1234x");
    assert_null(b.data);
    free(s);
    ls_buf_cleanup(&b);
}

static void test_map_grows_and_replaces(void **state)
{
    (void)state;
    struct ls_map m;
    ls_map_init(&m);
    char key[32];
    static int values[1000];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_null(ls_map_put(&m, key, &values[i]));
    }
    assert_int_equal(m.len, 1000);
    assert_ptr_equal(ls_map_get(&m, "k999"), &values[999]);
    assert_ptr_equal(ls_map_put(&m, "k5", &values[6]), &values[5]);
    assert_ptr_equal(ls_map_get(&m, "k5"), &values[6]);
    assert_null(ls_map_get(&m, "nope"));
    ls_map_cleanup(&m);
}

static void test_err_wrap_adds_context_in_front(void **state)
{
    (void)state;
    struct ls_err err;
    assert_int_equal(ls_err_set(&err, LS_EINVAL, NULL, "attrs.rack: expected a string"), LS_EINVAL);
    assert_string_equal(err.code, "invalid");
    assert_int_equal(ls_err_wrap(&err, "change %d", 3), LS_EINVAL);
    assert_string_equal(err.msg, "change 3: attrs.rack: expected a string");
    char big[400];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ls_err_set(&err, LS_ELIMIT, "too_long", "%s", big);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
    ls_err_wrap(&err, "field");
    assert_int_equal(strncmp(err.msg, "field: xxx", 10), 0);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_refuses_to_grow_past_its_maximum),
        cmocka_unit_test(test_map_grows_and_replaces),
        cmocka_unit_test(test_err_wrap_adds_context_in_front),
    };
    return cmocka_run_group_tests_name("common/buf", tests, NULL, NULL);
}
