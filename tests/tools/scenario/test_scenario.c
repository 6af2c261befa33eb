/* tests/tools/scenario and importers/telemetry/fault: the landscape's shape, determinism, who
 * each fault touches (on the scenario and on the demo's landscape), what it does to a metric,
 * and that the rendered lines decode and resolve to their nodes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importers/demo/demo.h"
#include "importers/telemetry/decode.h"
#include "importers/telemetry/fault.h"
#include "importers/telemetry/resolve.h"
#include "tests/tools/scenario/scenario.h"

#define T0  1764547200000000LL /* 2025-12-01T00:00:00Z */
#define MIN 60000000LL

static struct ls_scn *build(unsigned seed)
{
    struct ls_scn_opts o;
    ls_scn_opts_init(&o);
    o.seed = seed;
    struct ls_scn *s = NULL;
    assert_int_equal(ls_scn_build(&s, &o, NULL), LS_OK);
    return s;
}

static size_t index_of(const struct ls_scn *s, const char *id)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (strcmp(s->nodes[i].id, id) == 0)
            return i;
    fail_msg("%s: not in the scenario", id);
    return 0;
}

static void test_landscape_shape_and_determinism(void **state)
{
    (void)state;
    struct ls_scn *a = build(7), *b = build(7), *c = build(8);
    /* 4 racks x (rack + tor + 4 x (machine + 2 disks + hypervisor + 4 instances + 2 volumes))
     * + 4 services */
    assert_int_equal(a->n_nodes, 4 * (2 + 4 * (1 + 2 + 1 + 4 + 2)) + 4);
    assert_int_equal(json_array_size(json_object_get(a->bulk, "nodes")), a->n_nodes);
    struct ls_snap *snap = ls_graph_snap(a->g);
    assert_int_equal(ls_snap_node_count(snap), a->n_nodes);
    assert_int_equal(ls_snap_edge_count(snap), json_array_size(json_object_get(a->bulk, "edges")));
    ls_snap_release(snap);
    char *ja = json_dumps(a->bulk, JSON_SORT_KEYS), *jb = json_dumps(b->bulk, JSON_SORT_KEYS);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    size_t vm = index_of(a, "scn:instance:r02h03v04");
    assert_true(a->nodes[vm].metrics & (1u << LS_FM_CPU));
    assert_true(ls_scn_value(a, vm, LS_FM_CPU, T0 + MIN, NULL, LS_FAULT_NONE) ==
                ls_scn_value(b, vm, LS_FM_CPU, T0 + MIN, NULL, LS_FAULT_NONE));
    assert_true(ls_scn_value(a, vm, LS_FM_CPU, T0 + MIN, NULL, LS_FAULT_NONE) !=
                ls_scn_value(c, vm, LS_FM_CPU, T0 + MIN, NULL, LS_FAULT_NONE));
    /* a daily pattern: noon and midnight differ by more than the noise */
    double night = 0, noon = 0;
    for (int k = 0; k < 30; k++) {
        night += ls_scn_value(a, vm, LS_FM_CPU, T0 + k * MIN, NULL, LS_FAULT_NONE);
        noon += ls_scn_value(a, vm, LS_FM_CPU, T0 + 720 * MIN + k * MIN, NULL, LS_FAULT_NONE);
    }
    assert_true(noon > 1.3 * night);
    ls_scn_free(a);
    ls_scn_free(b);
    ls_scn_free(c);
}

/* Roles of f on s: how many causes and symptoms, each type's symptom count into by_type. */
static void count_roles(const struct ls_scn *s,
                        const struct ls_fault *f,
                        int *causes,
                        int *symptoms,
                        const char *type,
                        int *of_type)
{
    unsigned char *roles = malloc(s->n_nodes);
    assert_int_equal(ls_scn_roles(roles, s, f, NULL), LS_OK);
    *causes = *symptoms = *of_type = 0;
    for (size_t i = 0; i < s->n_nodes; i++) {
        *causes += roles[i] == LS_FAULT_CAUSE;
        *symptoms += roles[i] == LS_FAULT_SYMPTOM;
        *of_type += roles[i] == LS_FAULT_SYMPTOM && strcmp(s->nodes[i].type, type) == 0;
        if (roles[i] == LS_FAULT_CAUSE)
            assert_string_equal(s->nodes[i].id, f->root);
    }
    free(roles);
}

static void test_each_fault_reaches_what_its_root_serves(void **state)
{
    (void)state;
    struct ls_scn *s = build(3);
    struct {
        enum ls_fault_kind kind;
        const char *root_type;
        int symptoms;
        const char *type;
        int of_type;
    } cases[] = {
        /* hypervisor, machine and the 3 other instances on it */
        {LS_FAULT_NOISY_NEIGHBOUR, "instance", 5, "instance", 3},
        /* the rack's 4 machines, their 4 hypervisors and 16 instances */
        {LS_FAULT_TOR_FAILURE, "switch", 24, "instance", 16},
        /* the volume on the disk and the instance it is attached to */
        {LS_FAULT_DISK_FAILURE, "disk", 2, "volume", 1},
        /* the hypervisor whose memory it eats */
        {LS_FAULT_MEMORY_LEAK, "instance", 1, "hypervisor", 1},
        /* the service's 16 instances */
        {LS_FAULT_FLASH_TRAFFIC, "service", 16, "instance", 16},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (unsigned trial = 0; trial < 3; trial++) {
            struct ls_fault f;
            ls_scn_fault(&f, s, cases[c].kind, trial, T0, T0 + 30 * MIN);
            assert_string_equal(s->nodes[index_of(s, f.root)].type, cases[c].root_type);
            int causes, symptoms, of_type;
            count_roles(s, &f, &causes, &symptoms, cases[c].type, &of_type);
            assert_int_equal(causes, 1);
            if (symptoms != cases[c].symptoms || of_type != cases[c].of_type)
                fail_msg("%s on %s: %d symptoms (%d %s), want %d (%d)",
                         ls_fault_kind_name(cases[c].kind), f.root, symptoms, of_type,
                         cases[c].type, cases[c].symptoms, cases[c].of_type);
        }
    }
    /* different trials pick different roots (not all the same) */
    struct ls_fault f1, f2, f3;
    ls_scn_fault(&f1, s, LS_FAULT_NOISY_NEIGHBOUR, 0, T0, 0);
    ls_scn_fault(&f2, s, LS_FAULT_NOISY_NEIGHBOUR, 1, T0, 0);
    ls_scn_fault(&f3, s, LS_FAULT_NOISY_NEIGHBOUR, 2, T0, 0);
    assert_true(strcmp(f1.root, f2.root) != 0 || strcmp(f1.root, f3.root) != 0);
    /* a root of the wrong type, or none */
    struct ls_err err = {0};
    unsigned char *roles = malloc(s->n_nodes);
    snprintf(f1.root, sizeof f1.root, "scn:switch:tor-r01");
    assert_int_equal(ls_scn_roles(roles, s, &f1, &err), LS_EINVAL);
    assert_string_equal(err.code, "fault_root_type");
    snprintf(f1.root, sizeof f1.root, "scn:instance:nope");
    assert_int_equal(ls_scn_roles(roles, s, &f1, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "fault_root_not_found");
    free(roles);
    ls_scn_free(s);
}

static void test_effect_ramps_within_the_window_only(void **state)
{
    (void)state;
    struct ls_fault f = {.kind = LS_FAULT_NOISY_NEIGHBOUR,
                         .start_us = T0,
                         .end_us = T0 + 10 * MIN,
                         .magnitude = 1.0};
    assert_true(ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_CPU, T0 - 1, 30.0) == 30.0);
    assert_true(ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_CPU, T0 + 10 * MIN, 30.0) == 30.0);
    assert_true(ls_fault_effect(&f, LS_FAULT_NONE, LS_FM_CPU, T0 + MIN, 30.0) == 30.0);
    assert_true(ls_fault_effect(NULL, LS_FAULT_CAUSE, LS_FM_CPU, T0 + MIN, 30.0) == 30.0);
    /* full effect after the ramp (30 s), part of it during */
    assert_float_equal(ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_CPU, T0 + MIN, 30.0), 48.0, 1e-9);
    double mid = ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_CPU, T0 + 15000000, 30.0);
    assert_true(mid > 30.0 && mid < 48.0);
    /* a class the kind does not touch */
    assert_true(ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_MEMORY, T0 + MIN, 5.0) == 5.0);
    /* a ToR failure takes traffic down; magnitude scales the effect */
    f.kind = LS_FAULT_TOR_FAILURE;
    assert_true(ls_fault_effect(&f, LS_FAULT_SYMPTOM, LS_FM_NET, T0 + MIN, 1000.0) < 100.0);
    /* the dead switch sends nothing */
    assert_true(isnan(ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_NET, T0 + MIN, 1000.0)));
    f.magnitude = 0;
    assert_true(ls_fault_effect(&f, LS_FAULT_SYMPTOM, LS_FM_NET, T0 + MIN, 1000.0) == 1000.0);
    /* a leak grows over its half-hour ramp */
    f = (struct ls_fault){.kind = LS_FAULT_MEMORY_LEAK, .start_us = T0, .magnitude = 1.0};
    double m10 = ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_MEMORY, T0 + 10 * MIN, 1e9);
    double m20 = ls_fault_effect(&f, LS_FAULT_CAUSE, LS_FM_MEMORY, T0 + 20 * MIN, 1e9);
    assert_true(1e9 < m10 && m10 < m20 && m20 < 2.5e9);
    /* names */
    enum ls_fault_kind k;
    for (int i = 0; i < LS_FAULT_KIND_COUNT; i++) {
        assert_int_equal(ls_fault_kind_parse(&k, ls_fault_kind_name((enum ls_fault_kind)i), NULL),
                         LS_OK);
        assert_int_equal(k, i);
    }
    assert_int_equal(ls_fault_kind_parse(&k, "meteor", NULL), LS_EINVAL);
}

struct demo_roles {
    const struct ls_snap *s;
    int causes, machines, instances, other;
};

static bool count_demo(const char *id, enum ls_fault_role role, void *arg)
{
    struct demo_roles *d = arg;
    const struct ls_node *n = ls_snap_node(d->s, id);
    assert_non_null(n);
    if (role == LS_FAULT_CAUSE)
        d->causes++;
    else if (strcmp(n->type, "machine") == 0)
        d->machines++;
    else if (strcmp(n->type, "instance") == 0)
        d->instances++;
    else
        d->other++;
    return true;
}

/* The demo's landscape (NICs cabled to the ToR, services over Heat stacks) is walked by the
 * same code: what POST /_demo/fault will touch. */
static void test_faults_on_the_demo_landscape(void **state)
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
    for (size_t i = 0; i < n; i++)
        ls_change_set_free(sets[i]);
    free(sets);
    struct ls_snap *s = ls_graph_snap(g);
    struct ls_fault f = {.kind = LS_FAULT_TOR_FAILURE, .magnitude = 1};
    snprintf(f.root, sizeof f.root, "lldp:switch:tor-r01");
    struct demo_roles d = {.s = s};
    assert_int_equal(ls_fault_roles(s, &f, count_demo, &d, NULL), LS_OK);
    assert_int_equal(d.causes, 1);
    assert_int_equal(d.machines, o.machines); /* the rack's machines, each once */
    assert_true(d.instances > 0);
    assert_int_equal(d.other, o.machines); /* their hypervisors */
    f.kind = LS_FAULT_FLASH_TRAFFIC;
    snprintf(f.root, sizeof f.root, "manual:service:shop");
    d = (struct demo_roles){.s = s};
    assert_int_equal(ls_fault_roles(s, &f, count_demo, &d, NULL), LS_OK);
    assert_true(d.instances > 0);
    assert_int_equal(d.machines + d.other, 0);
    ls_snap_release(s);
    ls_graph_free(g);
}

static void test_rendered_lines_decode_and_resolve(void **state)
{
    (void)state;
    struct ls_scn *s = build(5);
    struct ls_fault f;
    ls_scn_fault(&f, s, LS_FAULT_DISK_FAILURE, 0, T0, 0);
    unsigned char *roles = malloc(s->n_nodes);
    assert_int_equal(ls_scn_roles(roles, s, &f, NULL), LS_OK);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    assert_int_equal(ls_scn_render(&b, s, T0 + MIN, &f, roles), LS_OK);
    struct ls_tel_batch batch;
    ls_tel_batch_init(&batch, 10000);
    enum ls_tel_format got;
    struct ls_err err = {0};
    if (ls_tel_decode(b.data, b.len, LS_TEL_AUTO, &batch, &got, &err) != LS_OK)
        fail_msg("decode: %s", err.msg);
    size_t want = 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        want += (size_t)__builtin_popcount(s->nodes[i].metrics);
    assert_int_equal(batch.n, want);
    struct ls_alias *a = ls_alias_new(s->g);
    struct ls_snap *snap = ls_graph_snap(s->g);
    char id[256];
    size_t root_hits = 0;
    for (size_t i = 0; i < batch.n; i++) {
        const char *why = ls_tel_resolve(snap, a, &batch.v[i], id, sizeof id);
        if (why)
            fail_msg("sample %zu (%s): %s", i, batch.v[i].metric, why);
        if (strcmp(id, f.root) == 0 && strstr(batch.v[i].metric, "latency_ms")) {
            root_hits++; /* the failed disk's latency: 3x what it would read */
            double normal =
                ls_scn_value(s, index_of(s, f.root), LS_FM_LATENCY, T0 + MIN, NULL, LS_FAULT_NONE);
            assert_float_equal(batch.v[i].value / normal, 3.0, 1e-4);
        }
    }
    assert_int_equal(root_hits, 1);
    /* a failed switch's line is left out; its rack's lines are still there */
    ls_tel_batch_cleanup(&batch);
    ls_buf_reset(&b);
    ls_scn_fault(&f, s, LS_FAULT_TOR_FAILURE, 0, T0, 0);
    assert_int_equal(ls_scn_roles(roles, s, &f, NULL), LS_OK);
    assert_int_equal(ls_scn_render(&b, s, T0 + MIN, &f, roles), LS_OK);
    const struct ls_scn_node *sw = &s->nodes[index_of(s, f.root)];
    char needle[64];
    snprintf(needle, sizeof needle, "host=%s ", sw->alias);
    assert_null(strstr(b.data, needle));
    assert_int_equal(ls_scn_render(&b, s, T0 - MIN, &f, roles), LS_OK);
    assert_non_null(strstr(b.data, needle));
    ls_tel_batch_init(&batch, 10000);
    ls_snap_release(snap);
    ls_alias_free(a);
    ls_tel_batch_cleanup(&batch);
    ls_buf_cleanup(&b);
    free(roles);
    ls_scn_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_landscape_shape_and_determinism),
        cmocka_unit_test(test_each_fault_reaches_what_its_root_serves),
        cmocka_unit_test(test_effect_ramps_within_the_window_only),
        cmocka_unit_test(test_faults_on_the_demo_landscape),
        cmocka_unit_test(test_rendered_lines_decode_and_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
