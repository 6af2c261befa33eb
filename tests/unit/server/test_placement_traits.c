/* server/placement_traits: which colour events start a pass, how a provider's trait list is
 * edited (the trait added or removed, the others kept, nothing written when it is as wanted),
 * and the option's start checks. The passes themselves run against the real Placement in
 * tests/integration/openstack (test_openstack_hooks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "server/ctx.h"
#include "server/placement_traits.h"

static json_t *load(const char *doc)
{
    json_error_t je;
    json_t *d = json_loads(doc, 0, &je);
    assert_non_null(d);
    return d;
}

static bool wanted(const char *doc)
{
    json_t *d = load(doc);
    bool w = ls_placement_traits_wanted(d);
    json_decref(d);
    return w;
}

static void test_hypervisor_and_machine_events_start_a_pass(void **state)
{
    (void)state;
    /* any change of theirs: turning red, recovering, an impact change */
    assert_true(wanted("{\"id\":\"h\",\"type\":\"hypervisor\",\"colour\":\"red\"}"));
    assert_true(wanted("{\"id\":\"h\",\"type\":\"hypervisor\",\"colour\":\"green\","
                       "\"previous\":\"red\"}"));
    assert_true(wanted("{\"id\":\"m\",\"type\":\"machine\",\"colour\":\"yellow\"}"));
    assert_false(wanted("{\"id\":\"v\",\"type\":\"instance\",\"colour\":\"red\"}"));
    assert_false(wanted("{\"colour\":\"red\"}"));
    assert_false(ls_placement_traits_wanted(NULL));
}

static void expect_edit(const char *traits, bool on, const char *want)
{
    json_t *t = load(traits);
    json_t *got = ls_placement_traits_edit(t, on);
    if (!want) {
        assert_null(got);
    } else {
        json_t *w = load(want);
        assert_non_null(got);
        if (!json_equal(got, w))
            fail_msg("edit(%s, %d) gave %s", traits, on, json_dumps(got, JSON_COMPACT));
        json_decref(w);
    }
    json_decref(got);
    json_decref(t);
}

static void test_the_trait_is_added_or_removed_and_the_others_kept(void **state)
{
    (void)state;
    expect_edit("[\"COMPUTE_NET_ATTACH_INTERFACE\",\"HW_CPU_X86_AVX2\"]", true,
                "[\"COMPUTE_NET_ATTACH_INTERFACE\",\"HW_CPU_X86_AVX2\",\"" LS_ANOMALY_TRAIT "\"]");
    expect_edit("[]", true, "[\"" LS_ANOMALY_TRAIT "\"]");
    expect_edit("[\"A\",\"" LS_ANOMALY_TRAIT "\",\"B\"]", false, "[\"A\",\"B\"]");
    /* as wanted already: nothing to write (no generation spent) */
    expect_edit("[\"A\",\"" LS_ANOMALY_TRAIT "\"]", true, NULL);
    expect_edit("[\"A\"]", false, NULL);
    expect_edit("[]", false, NULL);
}

static void test_start_needs_a_cloud_and_does_nothing_without_the_option(void **state)
{
    (void)state;
    struct ls_config cfg;
    struct ls_err err = {0};
    ls_config_defaults(&cfg);
    struct ls_ctx ctx = {.cfg = &cfg};
    assert_int_equal(ls_placement_traits_start(&ctx, &err), LS_OK);
    assert_null(ctx.traits);
    ls_placement_traits_stop(&ctx); /* nothing started: nothing to stop */
    cfg.os_placement_traits = true; /* no --os-cloud: nothing to authenticate as */
    assert_int_equal(ls_placement_traits_start(&ctx, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_config");
    assert_non_null(strstr(err.msg, "--os-placement-traits"));
    assert_null(ctx.traits);
    ls_config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hypervisor_and_machine_events_start_a_pass),
        cmocka_unit_test(test_the_trait_is_added_or_removed_and_the_others_kept),
        cmocka_unit_test(test_start_needs_a_cloud_and_does_nothing_without_the_option),
    };
    return cmocka_run_group_tests_name("server/placement_traits", tests, NULL, NULL);
}
