/* analytics/impact: which nodes take impact from an anomalous one, along which edges and in
 * which direction, the worst colour winning, the depth bound, and sources impacting each
 * other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../model/helpers.h"
#include "analytics/impact.h"
#include "model/change.h"

/* rack contains m1; vm1, vm2 run_on m1; p1 attached_to vm1, member_of net; vol attached_to
 * vm2; svc depends_on vm1; api depends_on svc; disk: m1 contains disk. */
static int setup(void **state)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    PUT_NODE(cs, "rack", "rack", "rack");
    PUT_NODE(cs, "m1", "machine", "m1");
    PUT_NODE(cs, "disk", "disk", "disk");
    PUT_NODE(cs, "vm1", "instance", "vm1");
    PUT_NODE(cs, "vm2", "instance", "vm2");
    PUT_NODE(cs, "p1", "port", "p1");
    PUT_NODE(cs, "net", "network", "net");
    PUT_NODE(cs, "vol", "volume", "vol");
    PUT_NODE(cs, "svc", "service", "svc");
    PUT_NODE(cs, "api", "service", "api");
    PUT_EDGE(cs, "rack", LS_EDGE_CONTAINS, "m1");
    PUT_EDGE(cs, "m1", LS_EDGE_CONTAINS, "disk");
    PUT_EDGE(cs, "vm1", LS_EDGE_RUNS_ON, "m1");
    PUT_EDGE(cs, "vm2", LS_EDGE_RUNS_ON, "m1");
    PUT_EDGE(cs, "p1", LS_EDGE_ATTACHED_TO, "vm1");
    PUT_EDGE(cs, "p1", LS_EDGE_MEMBER_OF, "net");
    PUT_EDGE(cs, "vol", LS_EDGE_ATTACHED_TO, "vm2");
    PUT_EDGE(cs, "svc", LS_EDGE_DEPENDS_ON, "vm1");
    PUT_EDGE(cs, "api", LS_EDGE_DEPENDS_ON, "svc");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    ls_graph_free(*state);
    return 0;
}

/* "id:colour<from" of each impacted node, space-separated, into buf. */
static const char *
run(void **state, const struct ls_impact_source *src, size_t n, int depth, char *buf, size_t cap)
{
    struct ls_snap *s = ls_graph_snap(*state);
    struct ls_impact *v;
    size_t k = ls_impact_compute(s, src, n, depth, 0, &v);
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < k; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s:%s<%s/%d", i ? " " : "", v[i].id,
                                ls_colour_name(v[i].colour), v[i].from, v[i].hops);
    ls_impact_free(v, k);
    ls_snap_release(s);
    return buf;
}

static void test_a_red_machine_impacts_what_runs_on_it_and_what_depends_on_that(void **state)
{
    char buf[1024];
    struct ls_impact_source src[] = {{"m1", LS_COLOUR_RED}};
    /* vm1, vm2 run on m1; rack contains m1 (takes from its part); svc depends_on vm1 (2 hops),
     * api on svc (3); p1 (attached to vm1) takes nothing from vm1; disk takes nothing from m1 */
    assert_string_equal(run(state, src, 1, 3, buf, sizeof buf),
                        "api:red<m1/3 rack:red<m1/1 svc:red<m1/2 vm1:red<m1/1 vm2:red<m1/1");
    assert_string_equal(run(state, src, 1, 2, buf, sizeof buf),
                        "rack:red<m1/1 svc:red<m1/2 vm1:red<m1/1 vm2:red<m1/1");
}

static void test_parts_impact_their_whole_and_attachments_their_instance(void **state)
{
    char buf[1024];
    struct ls_impact_source disk[] = {{"disk", LS_COLOUR_YELLOW}};
    assert_string_equal(run(state, disk, 1, 2, buf, sizeof buf),
                        "m1:yellow<disk/1 rack:yellow<disk/2 vm1:yellow<disk/2 vm2:yellow<disk/2");
    struct ls_impact_source vol[] = {{"vol", LS_COLOUR_RED}};
    assert_string_equal(run(state, vol, 1, 3, buf, sizeof buf), "vm2:red<vol/1");
    /* a network's members take from it; an instance from its port */
    struct ls_impact_source net[] = {{"net", LS_COLOUR_RED}};
    assert_string_equal(run(state, net, 1, 3, buf, sizeof buf),
                        "p1:red<net/1 svc:red<net/3 vm1:red<net/2");
}

static void test_the_worst_and_nearest_source_wins_and_sources_impact_each_other(void **state)
{
    char buf[1024];
    struct ls_impact_source src[] = {{"vm1", LS_COLOUR_YELLOW}, {"m1", LS_COLOUR_RED}};
    /* vm1 is yellow itself and takes red from m1; svc is 1 hop from vm1 (yellow) and 2 from
     * m1 (red): red wins over nearer */
    assert_string_equal(run(state, src, 2, 3, buf, sizeof buf),
                        "api:red<m1/3 rack:red<m1/1 svc:red<m1/2 vm1:red<m1/1 vm2:red<m1/1");
    struct ls_impact_source two[] = {{"vm1", LS_COLOUR_RED}, {"vm2", LS_COLOUR_RED}};
    /* equal colours: the nearer source is named */
    assert_string_equal(run(state, two, 2, 3, buf, sizeof buf), "api:red<vm1/2 svc:red<vm1/1");
    /* green or grey sources and unknown nodes impact nothing */
    struct ls_impact_source none[] = {{"m1", LS_COLOUR_GREEN}, {"nope", LS_COLOUR_RED}};
    assert_string_equal(run(state, none, 2, 3, buf, sizeof buf), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_red_machine_impacts_what_runs_on_it_and_what_depends_on_that),
        cmocka_unit_test(test_parts_impact_their_whole_and_attachments_their_instance),
        cmocka_unit_test(test_the_worst_and_nearest_source_wins_and_sources_impact_each_other),
    };
    return cmocka_run_group_tests_name("unit/analytics/impact", tests, setup, teardown);
}
