/* importers/host/join: machine <-> hypervisor edges by hostname, FQDN or alias, whichever
 * side arrives first; applied to a real in-memory graph (no store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "importers/host/join.h"
#include "importers/host/topology.h"
#include "tests/unit/host/fixtures.h"
#include "tests/unit/model/helpers.h"

static int setup(void **state)
{
    *state = ls_graph_new();
    return 0;
}

static int teardown(void **state)
{
    ls_graph_free(*state);
    return 0;
}

static void put_hypervisor(struct ls_change_set *cs, const char *hostname, json_t *attrs)
{
    char id[512];
    snprintf(id, sizeof(id), "nova:hypervisor:%s", hostname);
    assert_int_equal(
        ls_change_put_node_new(cs, id, "hypervisor", hostname, "up", attrs, NULL, NULL), LS_OK);
}

static void put_machine(struct ls_change_set *cs, const char *hostname, json_t *attrs)
{
    char id[512];
    snprintf(id, sizeof(id), "host:machine:%s", hostname);
    assert_int_equal(ls_change_put_node_new(cs, id, "machine", hostname, "up", attrs, NULL, NULL),
                     LS_OK);
}

/* Runs the join on cs against the graph's current snapshot, applies cs, returns the count. */
static size_t join_and_apply(struct ls_graph *g, struct ls_change_set *cs)
{
    struct ls_err err;
    size_t added = 99;
    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_host_join(cs, s, &added, &err), LS_OK);
    ls_snap_release(s);
    assert_int_equal(apply_set(g, cs, &err), LS_OK);
    ls_change_set_free(cs);
    return added;
}

static const struct ls_edge *runs_on(struct ls_graph *g, const char *hv, const char *m)
{
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_edge *e = ls_snap_edge(s, hv, LS_EDGE_RUNS_ON, m);
    ls_snap_release(s); /* the graph keeps the version alive: one writer, this thread */
    return e;
}

static void test_machine_arriving_after_fqdn_hypervisor_joins_by_short_name(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *os = ls_change_set_new("openstack:test");
    put_hypervisor(os, "compute-1.dc.example.org", NULL);
    assert_int_equal(join_and_apply(g, os), 0);

    struct ls_change_set *host = ls_host_change_set_new("compute-1");
    put_machine(host, "compute-1", NULL);
    assert_int_equal(join_and_apply(g, host), 1);
    const struct ls_edge *e =
        runs_on(g, "nova:hypervisor:compute-1.dc.example.org", "host:machine:compute-1");
    assert_non_null(e);
    assert_int_equal(e->esource, LS_ESRC_INFERRED);
    assert_string_equal(e->owner, "host:compute-1");
    assert_string_equal(json_string_value(json_object_get(e->attrs, "matched_by")), "compute-1");
}

static void test_hypervisor_arriving_after_machine_joins_by_alias(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *host = ls_host_change_set_new("n17");
    put_machine(host, "n17", json_pack("{s:[s,s]}", "aliases", "n17", "rack3-node17.mgmt"));
    assert_int_equal(join_and_apply(g, host), 0);

    struct ls_change_set *os = ls_change_set_new("openstack:test");
    put_hypervisor(os, "rack3-node17.mgmt", NULL);
    assert_int_equal(join_and_apply(g, os), 1);
    const struct ls_edge *e = runs_on(g, "nova:hypervisor:rack3-node17.mgmt", "host:machine:n17");
    assert_non_null(e);
    assert_string_equal(e->owner, "openstack:test");
    assert_string_equal(json_string_value(json_object_get(e->attrs, "matched_by")),
                        "rack3-node17.mgmt");
}

static void test_both_sides_in_one_change_set_join_once(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("demo");
    put_hypervisor(cs, "h1", NULL);
    put_machine(cs, "h1", NULL);
    put_machine(cs, "h2", NULL);
    assert_int_equal(join_and_apply(g, cs), 1);
    assert_non_null(runs_on(g, "nova:hypervisor:h1", "host:machine:h1"));
    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_snap_edge_count(s), 1);
    ls_snap_release(s);
}

static void test_other_hosts_and_ambiguous_short_names_do_not_join(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *os = ls_change_set_new("openstack:test");
    put_hypervisor(os, "web.a.example.org", NULL);
    put_hypervisor(os, "web.b.example.org", NULL);
    put_hypervisor(os, "db1", NULL);
    assert_int_equal(join_and_apply(g, os), 0);
    struct ls_change_set *host = ls_host_change_set_new("web");
    put_machine(host, "web", NULL); /* two hypervisors have short name "web": no guess */
    assert_int_equal(join_and_apply(g, host), 0);
    host = ls_host_change_set_new("db2");
    put_machine(host, "db2", NULL);
    assert_int_equal(join_and_apply(g, host), 0);
    host = ls_host_change_set_new("web.b.example.org");
    put_machine(host, "web.b.example.org", NULL); /* the full name is unambiguous */
    assert_int_equal(join_and_apply(g, host), 1);
    assert_non_null(
        runs_on(g, "nova:hypervisor:web.b.example.org", "host:machine:web.b.example.org"));
}

static void
test_edge_owned_by_another_origin_is_left_alone_and_own_edge_survives_repost(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("openstack:test");
    put_hypervisor(cs, "h1", NULL);
    assert_int_equal(join_and_apply(g, cs), 0);
    cs = ls_host_change_set_new("h1");
    put_machine(cs, "h1", NULL);
    assert_int_equal(join_and_apply(g, cs), 1);
    /* the OpenStack importer's next pass sees the edge owned by host:h1 and leaves it */
    cs = ls_change_set_new("openstack:test");
    put_hypervisor(cs, "h1", NULL);
    assert_int_equal(join_and_apply(g, cs), 0);
    /* the host re-posts with replace semantics: the edge is put again, not swept */
    cs = ls_host_change_set_new("h1");
    put_machine(cs, "h1", NULL);
    assert_int_equal(join_and_apply(g, cs), 1);
    const struct ls_edge *e = runs_on(g, "nova:hypervisor:h1", "host:machine:h1");
    assert_non_null(e);
    assert_string_equal(e->owner, "host:h1");
}

static void test_hypervisor_deleted_by_the_set_is_not_joined(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("openstack:test");
    put_hypervisor(cs, "h1", NULL);
    assert_int_equal(join_and_apply(g, cs), 0);
    cs = ls_change_set_new("mixed");
    ls_change_del_node(cs, "nova:hypervisor:h1");
    put_machine(cs, "h1", NULL);
    assert_int_equal(join_and_apply(g, cs), 0);
}

static void test_set_without_machines_or_hypervisors_is_untouched(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("api");
    assert_int_equal(
        ls_change_put_node_new(cs, "manual:rack:r1", "rack", "r1", "", NULL, NULL, NULL), LS_OK);
    struct ls_err err;
    size_t added = 5;
    assert_int_equal(ls_host_join(cs, NULL, &added, &err), LS_OK);
    assert_int_equal(added, 0);
    assert_int_equal(ls_change_set_count(cs), 1);
    ls_change_set_free(cs);
    (void)g;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_machine_arriving_after_fqdn_hypervisor_joins_by_short_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hypervisor_arriving_after_machine_joins_by_alias,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_sides_in_one_change_set_join_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_hosts_and_ambiguous_short_names_do_not_join,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_edge_owned_by_another_origin_is_left_alone_and_own_edge_survives_repost, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_hypervisor_deleted_by_the_set_is_not_joined, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_without_machines_or_hypervisors_is_untouched,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("host/join", tests, NULL, NULL);
}
