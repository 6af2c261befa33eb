/* importers/telemetry/generator: every generated format decodes and resolves to the node it
 * was generated for, on the demo landscape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importers/demo/demo.h"
#include "importers/telemetry/decode.h"
#include "importers/telemetry/generator.h"
#include "importers/telemetry/resolve.h"

static void test_every_generated_format_round_trips_to_its_node(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_demo_opts o;
    ls_demo_opts_init(&o);
    struct ls_change_set **sets;
    size_t n;
    assert_int_equal(ls_demo_build(&sets, &n, &o, NULL), LS_OK);
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, sets[0], 1, &p, NULL), LS_OK);
    ls_graph_publish(g, p, 1);
    ls_change_set_free(sets[0]);
    free(sets);
    struct ls_alias *a = ls_alias_new(g);
    struct ls_tel_gen_target *tg;
    size_t nt = ls_tel_gen_targets(g, &tg);
    assert_int_equal(nt, 300);
    assert_int_equal(strncmp(tg[0].domain, "instance-", 9), 0);
    assert_int_equal(strncmp(tg[0].tap, "tap", 3), 0);
    assert_true(strlen(tg[0].host) > 0);
    struct ls_snap *s = ls_graph_snap(g);
    char want_vm[128];
    snprintf(want_vm, sizeof(want_vm), "nova:instance:%s", tg[0].instance);
    for (int f = LS_TEL_OSLO; f < LS_TEL_FORMAT_COUNT; f++) {
        struct ls_buf b;
        ls_buf_init(&b, 0);
        assert_int_equal(
            ls_tel_gen_render((enum ls_tel_format)f, &tg[0], 1747140780000000LL, 1, &b), LS_OK);
        struct ls_tel_batch batch;
        ls_tel_batch_init(&batch, 100);
        enum ls_tel_format got;
        struct ls_err err;
        if (ls_tel_decode(b.data, b.len, LS_TEL_AUTO, &batch, &got, &err) != LS_OK)
            fail_msg("%s: %s: %s", ls_tel_format_name((enum ls_tel_format)f), err.msg, b.data);
        assert_int_equal(got, f);
        assert_true(batch.n >= 1);
        char id[256];
        const char *why = ls_tel_resolve(s, a, &batch.v[0], id, sizeof(id));
        if (why)
            fail_msg("%s: unresolved (%s)", ls_tel_format_name((enum ls_tel_format)f), why);
        /* VM-level formats land on the instance, vNIC ones on its port */
        if (strncmp(id, "neutron:port:", 13) == 0) {
            const struct ls_edge *e = ls_snap_edge(s, id, LS_EDGE_ATTACHED_TO, want_vm);
            assert_non_null(e);
        } else {
            assert_string_equal(id, want_vm);
        }
        ls_tel_batch_cleanup(&batch);
        ls_buf_cleanup(&b);
    }
    ls_snap_release(s);
    free(tg);
    ls_alias_free(a);
    ls_graph_free(g);
}

/* The value of the first sample of a rendered record. */
static double rendered_value(enum ls_tel_format f,
                             struct ls_tel_gen_target *tg,
                             int64_t t,
                             const struct ls_fault *fault)
{
    struct ls_buf b;
    ls_buf_init(&b, 0);
    assert_int_equal(ls_tel_gen_render_fault(f, tg, t, 7, fault, &b), LS_OK);
    struct ls_tel_batch batch;
    ls_tel_batch_init(&batch, 100);
    enum ls_tel_format got;
    assert_int_equal(ls_tel_decode(b.data, b.len, f, &batch, &got, NULL), LS_OK);
    double v = batch.v[0].value;
    ls_tel_batch_cleanup(&batch);
    ls_buf_cleanup(&b);
    return v;
}

/* The demo's records under an injected fault: the fault catalogue's effect for the target's
 * role, nothing for a node it does not touch, nothing outside its window. */
static void test_render_under_a_fault(void **state)
{
    (void)state;
    struct ls_tel_gen_target tg = {.instance = "6f1b3c2a-0000-4000-8000-000000000001",
                                   .domain = "instance-0000a001",
                                   .host = "cmp-01",
                                   .tap = "tap6f1b3c2a-00"};
    int64_t t = 1747140780000000LL;
    struct ls_fault f = {.kind = LS_FAULT_NOISY_NEIGHBOUR,
                         .start_us = t - 60000000LL,
                         .end_us = t + 60000000LL,
                         .magnitude = 1.0};
    double normal = rendered_value(LS_TEL_TELEGRAF, &tg, t, NULL);
    tg.role = LS_FAULT_CAUSE;
    assert_float_equal(rendered_value(LS_TEL_TELEGRAF, &tg, t, &f), normal * 1.6, 0.02);
    tg.role = LS_FAULT_SYMPTOM;
    assert_float_equal(rendered_value(LS_TEL_TELEGRAF, &tg, t, &f), normal * 1.4, 0.02);
    tg.role = LS_FAULT_NONE;
    assert_true(rendered_value(LS_TEL_TELEGRAF, &tg, t, &f) == normal);
    tg.role = LS_FAULT_CAUSE;
    assert_true(rendered_value(LS_TEL_TELEGRAF, &tg, t + 120000000LL, &f) ==
                rendered_value(LS_TEL_TELEGRAF, &tg, t + 120000000LL, NULL));
    /* a memory leak shows in the OTLP memory gauge */
    f.kind = LS_FAULT_MEMORY_LEAK;
    f.start_us = t - 1800000000LL;
    double mem = rendered_value(LS_TEL_OTLP, &tg, t, NULL);
    assert_float_equal(rendered_value(LS_TEL_OTLP, &tg, t, &f) / mem, 2.5, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_generated_format_round_trips_to_its_node),
        cmocka_unit_test(test_render_under_a_fault),
    };
    return cmocka_run_group_tests_name("importers/telemetry/generator", tests, NULL, NULL);
}
