/* ls_pg_conninfo: the connection settings landscaped adds to a DSN, and that the DSN's own
 * (or its libpq variable's) always win. No server: the result is parsed back with libpq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/pg.h"

static const struct ls_pg_conn_opts opts = {
    .connect_timeout_s = 5,
    .keepalives_idle_s = 10,
    .keepalives_interval_s = 5,
    .keepalives_count = 3,
    .tcp_user_timeout_ms = 20000,
    .statement_timeout_ms = 30000,
    .application_name = "landscaped",
};

/* The value of kw in the conninfo built from dsn (NULL if unset); caller frees. */
static char *value(const char *dsn, const char *kw)
{
    char *ci;
    struct ls_err err;
    if (ls_pg_conninfo(&ci, dsn, &opts, &err) != LS_OK)
        fail_msg("%s", err.msg);
    char *perr = NULL;
    PQconninfoOption *o = PQconninfoParse(ci, &perr);
    assert_non_null(o);
    char *v = NULL;
    for (PQconninfoOption *p = o; p->keyword; p++)
        if (strcmp(p->keyword, kw) == 0 && p->val)
            v = strdup(p->val);
    PQconninfoFree(o);
    free(ci);
    return v;
}

static void expect(const char *dsn, const char *kw, const char *want)
{
    char *v = value(dsn, kw);
    if (want == NULL ? v != NULL : v == NULL || strcmp(v, want) != 0)
        fail_msg("%s in '%s': got '%s', expected '%s'", kw, dsn, v ? v : "(unset)",
                 want ? want : "(unset)");
    free(v);
}

static void test_settings_are_added(void **state)
{
    (void)state;
    unsetenv("PGCONNECT_TIMEOUT");
    unsetenv("PGOPTIONS");
    const char *dsn = "host=127.0.0.1 port=5433 user=u password='p w\\'x' dbname=d";
    expect(dsn, "connect_timeout", "5");
    expect(dsn, "keepalives", "1");
    expect(dsn, "keepalives_idle", "10");
    expect(dsn, "keepalives_interval", "5");
    expect(dsn, "keepalives_count", "3");
    expect(dsn, "tcp_user_timeout", "20000"); /* libpq 15 has it */
    expect(dsn, "options", "-c statement_timeout=30000");
    expect(dsn, "application_name", "landscaped");
    /* and what the DSN said is kept exactly, quotes and all */
    expect(dsn, "password", "p w'x");
    expect(dsn, "port", "5433");
    expect(dsn, "dbname", "d");
}

static void test_the_dsn_wins(void **state)
{
    (void)state;
    unsetenv("PGCONNECT_TIMEOUT");
    unsetenv("PGOPTIONS");
    const char *dsn = "host=h connect_timeout=61 keepalives_idle=99 tcp_user_timeout=7 "
                      "application_name=mine options='-c statement_timeout=5s -c geqo=off'";
    expect(dsn, "connect_timeout", "61");
    expect(dsn, "keepalives_idle", "99");
    expect(dsn, "tcp_user_timeout", "7");
    expect(dsn, "application_name", "mine");
    expect(dsn, "options", "-c statement_timeout=5s -c geqo=off");
    /* other options of the DSN keep theirs, and the timeout is added after them */
    expect("host=h options='-c geqo=off'", "options", "-c geqo=off -c statement_timeout=30000");
    /* a URI too */
    expect("postgresql://u:pw@127.0.0.1:6000/d?connect_timeout=9", "connect_timeout", "9");
    expect("postgresql://u:pw@127.0.0.1:6000/d?connect_timeout=9", "password", "pw");
    expect("postgresql://u:pw@127.0.0.1:6000/d", "keepalives_count", "3");
}

static void test_libpq_variables_win(void **state)
{
    (void)state;
    setenv("PGCONNECT_TIMEOUT", "42", 1);
    setenv("PGOPTIONS", "-c statement_timeout=0", 1);
    expect("host=h", "connect_timeout", NULL); /* left to libpq, which reads the variable */
    expect("host=h", "options", NULL);
    unsetenv("PGCONNECT_TIMEOUT");
    unsetenv("PGOPTIONS");
}

static void test_zero_leaves_a_setting_out(void **state)
{
    (void)state;
    struct ls_pg_conn_opts none = {0};
    char *ci;
    struct ls_err err;
    assert_int_equal(ls_pg_conninfo(&ci, "host=h dbname=d", &none, &err), LS_OK);
    assert_string_equal(ci, "dbname='d' host='h'"); /* libpq's order of keywords */
    free(ci);
}

static void test_a_bad_dsn_is_refused_without_quoting_it(void **state)
{
    (void)state;
    char *ci = NULL;
    struct ls_err err;
    assert_int_equal(ls_pg_conninfo(&ci, "host=h password=hunter2 bogus", &opts, &err), LS_EINVAL);
    assert_null(strstr(err.msg, "hunter2"));
    assert_int_equal(ls_pg_conninfo(&ci, "postgresql://u:hunter2@h/d?bogus=1", &opts, &err),
                     LS_EINVAL);
    assert_null(strstr(err.msg, "hunter2"));
    assert_null(ci);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_are_added),
        cmocka_unit_test(test_the_dsn_wins),
        cmocka_unit_test(test_libpq_variables_win),
        cmocka_unit_test(test_zero_leaves_a_setting_out),
        cmocka_unit_test(test_a_bad_dsn_is_refused_without_quoting_it),
    };
    return cmocka_run_group_tests_name("sql/pg conninfo", tests, NULL, NULL);
}
