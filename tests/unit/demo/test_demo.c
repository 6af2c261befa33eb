/* importers/demo: the generated data center has the promised shape and is stable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importers/demo/demo.h"

/* Prepares the demo against g and publishes it; returns the number of resolved ops. */
static size_t load(struct ls_graph *g)
{
    struct ls_demo_opts o;
    ls_demo_opts_init(&o);
    struct ls_change_set **sets;
    size_t n, ops = 0;
    struct ls_err err;
    assert_int_equal(ls_demo_build(&sets, &n, &o, &err), LS_OK);
    for (size_t i = 0; i < n; i++) {
        struct ls_prepared *p;
        assert_int_equal(ls_graph_prepare(g, sets[i], 1700000000000000LL, &p, &err), LS_OK);
        size_t k;
        ls_prepared_ops(p, &k);
        ops += k;
        if (k)
            ls_graph_publish(g, p, ls_graph_next_revision(g));
        else
            ls_graph_abort(g, p);
        ls_change_set_free(sets[i]);
    }
    free(sets);
    return ops;
}

static void test_demo_has_every_layer_and_the_promised_counts(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    assert_true(load(g) > 3000);
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_node *out[400];
    size_t n;
    bool more;
    struct ls_node_filter f = {.type = "instance", .layer = -1};
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 400, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 300);
    f.type = "machine";
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 400, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 32);
    f.type = "hypervisor";
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 400, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 32);
    f.type = "stack";
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 400, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 4);
    f.type = "rack";
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 400, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 4);
    assert_true(ls_snap_layer_count(s, LS_LAYER_PHYSICAL) > 500);
    assert_true(ls_snap_layer_count(s, LS_LAYER_SERVICE) > 20);
    /* a VM's path down to the switch: instance -> hypervisor -> machine -> nic -> tor */
    struct ls_subgraph sg;
    f.type = "instance";
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 1, out, &n, &more, NULL), LS_OK);
    assert_int_equal(ls_snap_subgraph(s, out[0]->id, 4, LS_DIR_OUT, -1, 1000, &sg, NULL), LS_OK);
    bool saw_tor = false, saw_machine = false;
    for (size_t i = 0; i < sg.n_nodes; i++) {
        saw_tor |= strncmp(sg.nodes[i]->id, "lldp:switch:tor-", 16) == 0;
        saw_machine |= strcmp(sg.nodes[i]->type, "machine") == 0;
    }
    assert_true(saw_tor);
    assert_true(saw_machine);
    ls_subgraph_cleanup(&sg);
    ls_snap_release(s);
    ls_graph_free(g);
}

static void test_loading_the_demo_twice_changes_nothing(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    size_t first = load(g);
    assert_true(first > 0);
    assert_int_equal(load(g), 0);
    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_snap_revision(s), 1);
    ls_snap_release(s);
    ls_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_has_every_layer_and_the_promised_counts),
        cmocka_unit_test(test_loading_the_demo_twice_changes_nothing),
    };
    return cmocka_run_group_tests_name("importers/demo", tests, NULL, NULL);
}
