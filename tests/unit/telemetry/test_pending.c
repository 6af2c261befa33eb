/* importers/telemetry/pending: samples that arrive before their node are applied when it
 * appears; old ones expire; the ring is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importers/telemetry/pending.h"
#include "importers/telemetry/resolve.h"

#define UUID "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11"

static void put_instance(struct ls_graph *g, const char *id)
{
    struct ls_change_set *cs = ls_change_set_new("nova");
    assert_int_equal(ls_change_put_node_new(cs, id, "instance", "", "", NULL, NULL, NULL), LS_OK);
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, 1, &p, NULL), LS_OK);
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
}

static void one_sample(struct ls_tel_batch *b, double v)
{
    ls_tel_batch_init(b, 10);
    struct ls_sample *s = ls_tel_batch_add(b);
    LS_TEL_SET(s->metric, "cpu_util");
    LS_TEL_SET(s->instance, UUID);
    s->value = v;
    s->time_us = 1747140780000000LL;
}

static void test_a_sample_waits_for_its_node_and_is_applied_when_it_appears(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_alias *a = ls_alias_new(g);
    struct ls_telemetry *t = ls_telemetry_new();
    struct ls_tel_pending *p = ls_tel_pending_new(g, a, t, 100, 600 * 1000000LL);
    struct ls_tel_batch b;
    one_sample(&b, 42);
    struct ls_tel_result r = {0};
    ls_tel_apply(g, a, t, p, &b, &r);
    assert_int_equal(r.unmatched, 1);
    assert_int_equal(r.unknown_entity, 1);
    size_t waiting;
    uint64_t recovered, expired;
    ls_tel_pending_stats(p, &waiting, &recovered, &expired);
    assert_int_equal(waiting, 1);
    assert_null(ls_telemetry_node_json(t, "nova:instance:" UUID, NULL, 0, 0));
    put_instance(g, "nova:instance:other"); /* another node: still waiting */
    ls_tel_pending_stats(p, &waiting, &recovered, &expired);
    assert_int_equal(waiting, 1);
    put_instance(g, "nova:instance:" UUID);
    ls_tel_pending_stats(p, &waiting, &recovered, &expired);
    assert_int_equal(waiting, 0);
    assert_int_equal(recovered, 1);
    json_t *o = ls_telemetry_node_json(t, "nova:instance:" UUID, NULL, 0, 0);
    assert_true(json_number_value(json_object_get(json_object_get(o, "cpu_util"), "last")) == 42);
    json_decref(o);
    ls_tel_batch_cleanup(&b);
    ls_graph_free(g);
    ls_tel_pending_free(p);
    ls_alias_free(a);
    ls_telemetry_free(t);
}

static void test_waiting_is_bounded_and_expires(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_alias *a = ls_alias_new(g);
    struct ls_telemetry *t = ls_telemetry_new();
    struct ls_tel_pending *p = ls_tel_pending_new(g, a, t, 3, 0); /* no time to live */
    struct ls_tel_batch b;
    one_sample(&b, 1);
    struct ls_tel_result r = {0};
    for (int i = 0; i < 5; i++)
        ls_tel_apply(g, a, t, p, &b, &r);
    size_t waiting;
    uint64_t recovered, expired;
    ls_tel_pending_stats(p, &waiting, &recovered, &expired);
    assert_int_equal(waiting, 3);
    assert_int_equal(expired, 2);
    put_instance(g, "nova:instance:" UUID);
    ls_tel_pending_stats(p, &waiting, &recovered, &expired);
    assert_int_equal(waiting, 0);
    assert_int_equal(recovered, 0);
    assert_int_equal(expired, 5);
    ls_tel_batch_cleanup(&b);
    ls_graph_free(g);
    ls_tel_pending_free(p);
    ls_alias_free(a);
    ls_telemetry_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_sample_waits_for_its_node_and_is_applied_when_it_appears),
        cmocka_unit_test(test_waiting_is_bounded_and_expires),
    };
    return cmocka_run_group_tests_name("importers/telemetry/pending", tests, NULL, NULL);
}
