/* common/config: defaults < file < environment < command line, bounds, errors, redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"

static char path[64];

/* ls_config_load reads argv without changing it; the literals here are const. */
static int load(struct ls_config *c, const char *const *argv, bool *check, struct ls_err *err)
{
    int argc = 0;
    bool help;
    while (argv[argc])
        argc++;
    return ls_config_load(c, argc, (char **)argv, check, &help, err);
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/ls-config-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("# a comment\nlisten = 127.0.0.1:9000\nthreads = 3\nmax_page_size = 500\n"
          "os-cloud = from-file\n",
          f);
    fclose(f);
    unsetenv("LANDSCAPE_THREADS");
    unsetenv("LANDSCAPE_LISTEN");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    unsetenv("LANDSCAPE_THREADS");
    return 0;
}

static void test_later_sources_win(void **state)
{
    (void)state;
    struct ls_config c;
    struct ls_err err;
    bool check;
    ls_config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_int_equal(c.max_body_bytes, 1048576);
    setenv("LANDSCAPE_THREADS", "5", 1);
    const char *argv[] = {"landscaped", "--config",   path, "--max-page-size=20",
                          "--demo",     "--os-cloud", "a",  "--os-cloud",
                          "b",          NULL};
    assert_int_equal(load(&c, argv, &check, &err), LS_OK);
    assert_string_equal(c.listen, "127.0.0.1:9000"); /* file */
    assert_int_equal(c.threads, 5);                  /* environment over file */
    assert_int_equal(c.max_page_size, 20);           /* command line over file */
    assert_true(c.demo);
    assert_int_equal(c.os_cloud.n, 2); /* the command line's list replaces the file's */
    assert_string_equal(c.os_cloud.v[1], "b");
    assert_false(check);
    assert_int_equal(ls_config_validate(&c, &err), LS_EINVAL); /* default page 100 > 20 */
    assert_string_equal(err.msg, "default-page-size 100 is larger than max-page-size 20");
    ls_config_cleanup(&c);
}

static void test_bad_values_name_the_option_and_the_source(void **state)
{
    (void)state;
    struct ls_config c;
    struct ls_err err;
    bool check;
    ls_config_defaults(&c);
    const char *a1[] = {"landscaped", "--threads", "lots", NULL};
    assert_int_equal(load(&c, a1, &check, &err), LS_EINVAL);
    assert_string_equal(err.msg, "command line: threads: expected an integer, got 'lots'");
    const char *a2[] = {"landscaped", "--max-json-depth", "1", NULL};
    assert_int_equal(load(&c, a2, &check, &err), LS_EINVAL);
    assert_string_equal(err.msg, "command line: max-json-depth: 1 is outside 2..1000");
    const char *a3[] = {"landscaped", "--colour", "red", NULL};
    assert_int_equal(load(&c, a3, &check, &err), LS_EINVAL);
    assert_string_equal(err.msg, "unknown option '--colour'");
    setenv("LANDSCAPE_THREADS", "-1", 1);
    const char *a4[] = {"landscaped", NULL};
    assert_int_equal(load(&c, a4, &check, &err), LS_EINVAL);
    assert_string_equal(err.msg, "LANDSCAPE_THREADS: threads: -1 is outside 1..256");
    unsetenv("LANDSCAPE_THREADS");
    const char *a5[] = {"landscaped", "--listen", "nowhere", NULL};
    assert_int_equal(load(&c, a5, &check, &err), LS_OK);
    assert_int_equal(ls_config_validate(&c, &err), LS_EINVAL);
    assert_string_equal(err.msg, "listen: expected HOST:PORT, got 'nowhere'");
    ls_config_cleanup(&c);
}

static void test_check_config_prints_secrets_redacted(void **state)
{
    (void)state;
    struct ls_config c;
    struct ls_err err;
    bool check;
    ls_config_defaults(&c);
    const char *argv[] = {"landscaped",
                          "--db",
                          "host=db password=hunter2",
                          "--kafka-property",
                          "sasl.password=hunter2",
                          "--check-config",
                          NULL};
    assert_int_equal(load(&c, argv, &check, &err), LS_OK);
    assert_true(check);
    char buf[8192] = "";
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    ls_config_print(&c, f);
    fclose(f);
    assert_null(strstr(buf, "hunter2"));
    assert_non_null(strstr(buf, "db = (redacted)\n"));
    assert_non_null(strstr(buf, "kafka-property = sasl.password=(redacted)\n"));
    assert_non_null(strstr(buf, "listen = 127.0.0.1:8080\n"));
    ls_config_cleanup(&c);
}

static void test_booleans_read_one_way_everywhere(void **state)
{
    (void)state;
    bool b = false;
    assert_true(ls_parse_bool("Yes", &b) && b);
    assert_true(ls_parse_bool("TRUE", &b) && b);
    assert_true(ls_parse_bool("0", &b) && !b);
    assert_true(ls_parse_bool("no", &b) && !b);
    assert_true(ls_parse_bool("ON", &b) && b);
    assert_true(ls_parse_bool("off", &b) && !b);
    b = true;
    assert_false(ls_parse_bool("maybe", &b));
    assert_true(b); /* unchanged */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_later_sources_win, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_name_the_option_and_the_source, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_check_config_prints_secrets_redacted, setup, teardown),
        cmocka_unit_test(test_booleans_read_one_way_everywhere),
    };
    return cmocka_run_group_tests_name("common/config", tests, NULL, NULL);
}
