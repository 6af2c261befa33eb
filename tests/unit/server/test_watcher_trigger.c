/* server/watcher_trigger: which colour events trigger Watcher's audit (a hypervisor or machine
 * turning red), and the option's start checks. The webhook itself is exercised against the
 * real Watcher in tests/integration/openstack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "server/ctx.h"
#include "server/watcher_trigger.h"

static bool wanted(const char *doc)
{
    json_error_t je;
    json_t *d = json_loads(doc, 0, &je);
    assert_non_null(d);
    bool w = ls_watcher_trigger_wanted(d);
    json_decref(d);
    return w;
}

static void test_a_host_turning_red_is_wanted(void **state)
{
    (void)state;
    assert_true(wanted("{\"id\":\"nova:hypervisor:h1\",\"type\":\"hypervisor\","
                       "\"colour\":\"red\",\"previous\":\"yellow\"}"));
    assert_true(wanted("{\"id\":\"host:machine:m1\",\"type\":\"machine\",\"colour\":\"red\","
                       "\"previous\":\"green\"}"));
    assert_true(wanted("{\"id\":\"host:machine:m1\",\"type\":\"machine\",\"colour\":\"red\","
                       "\"previous\":null}")); /* red on its first verdict */
}

static void test_other_events_are_not(void **state)
{
    (void)state;
    /* still red (an impact change), recovering, other colours, other types, broken data */
    assert_false(wanted("{\"id\":\"h\",\"type\":\"hypervisor\",\"colour\":\"red\","
                        "\"previous\":\"red\"}"));
    assert_false(wanted("{\"id\":\"h\",\"type\":\"hypervisor\",\"colour\":\"green\","
                        "\"previous\":\"red\"}"));
    assert_false(wanted("{\"id\":\"h\",\"type\":\"hypervisor\",\"colour\":\"yellow\","
                        "\"previous\":\"green\"}"));
    assert_false(wanted("{\"id\":\"v\",\"type\":\"instance\",\"colour\":\"red\","
                        "\"previous\":\"green\"}"));
    assert_false(wanted("{\"id\":\"h\",\"colour\":\"red\"}"));
    assert_false(wanted("{\"type\":\"hypervisor\"}"));
    assert_false(ls_watcher_trigger_wanted(NULL));
}

static void test_start_needs_a_cloud_and_does_nothing_without_the_option(void **state)
{
    (void)state;
    struct ls_config cfg;
    struct ls_err err = {0};
    ls_config_defaults(&cfg);
    struct ls_ctx ctx = {.cfg = &cfg};
    assert_int_equal(ls_watcher_trigger_start(&ctx, &err), LS_OK);
    assert_null(ctx.watcher);
    free(cfg.watcher_audit);
    cfg.watcher_audit = strdup("landscape-red"); /* no --os-cloud: nothing to authenticate as */
    assert_int_equal(ls_watcher_trigger_start(&ctx, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_config");
    assert_null(ctx.watcher);
    ls_config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_host_turning_red_is_wanted),
        cmocka_unit_test(test_other_events_are_not),
        cmocka_unit_test(test_start_needs_a_cloud_and_does_nothing_without_the_option),
    };
    return cmocka_run_group_tests_name("server/watcher_trigger", tests, NULL, NULL);
}
