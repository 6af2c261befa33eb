/* model/graph: indices, adjacency, listing with markers, subgraph walks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

/* A small data center:
 *   rack1 contains m1, m2; vm1 runs_on m1; vm2 runs_on m1; vm3 runs_on m2;
 *   p1 attached_to vm1; p1 member_of net; p3 attached_to vm3; p3 member_of net */
static int setup(void **state)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    PUT_NODE(cs, "rack1", "rack", "Rack 1");
    PUT_NODE(cs, "m1", "machine", "m1");
    PUT_NODE(cs, "m2", "machine", "m2");
    PUT_NODE(cs, "vm1", "instance", "web-1");
    PUT_NODE(cs, "vm2", "instance", "web-2");
    PUT_NODE(cs, "vm3", "instance", "db-1");
    PUT_NODE(cs, "p1", "port", "p1");
    PUT_NODE(cs, "p3", "port", "p3");
    PUT_NODE(cs, "net", "network", "net");
    PUT_EDGE(cs, "rack1", LS_EDGE_CONTAINS, "m1");
    PUT_EDGE(cs, "rack1", LS_EDGE_CONTAINS, "m2");
    PUT_EDGE(cs, "vm1", LS_EDGE_RUNS_ON, "m1");
    PUT_EDGE(cs, "vm2", LS_EDGE_RUNS_ON, "m1");
    PUT_EDGE(cs, "vm3", LS_EDGE_RUNS_ON, "m2");
    PUT_EDGE(cs, "p1", LS_EDGE_ATTACHED_TO, "vm1");
    PUT_EDGE(cs, "p1", LS_EDGE_MEMBER_OF, "net");
    PUT_EDGE(cs, "p3", LS_EDGE_ATTACHED_TO, "vm3");
    PUT_EDGE(cs, "p3", LS_EDGE_MEMBER_OF, "net");
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

static void test_lookup_by_id_returns_fields_and_layer(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    const struct ls_node *n = ls_snap_node(s, "vm1");
    assert_non_null(n);
    assert_string_equal(n->type, "instance");
    assert_int_equal(n->layer, LS_LAYER_VIRTUAL);
    assert_string_equal(n->name, "web-1");
    assert_string_equal(n->source, "test");
    assert_int_equal(n->revision, 1);
    assert_null(ls_snap_node(s, "nope"));
    assert_int_equal(ls_snap_revision(s), 1);
    assert_int_equal(ls_snap_node_count(s), 9);
    assert_int_equal(ls_snap_edge_count(s), 9);
    assert_int_equal(ls_snap_layer_count(s, LS_LAYER_PHYSICAL), 3);
    assert_int_equal(ls_snap_layer_count(s, LS_LAYER_VIRTUAL), 6);
    ls_snap_release(s);
}

static void test_list_by_type_and_layer_in_creation_order(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    const struct ls_node *out[10];
    size_t n;
    bool more;
    struct ls_node_filter f = {.type = "instance", .layer = -1};
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 10, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 3);
    assert_false(more);
    assert_string_equal(out[0]->id, "vm1");
    assert_string_equal(out[1]->id, "vm2");
    assert_string_equal(out[2]->id, "vm3");
    struct ls_node_filter fl = {.layer = LS_LAYER_PHYSICAL};
    assert_int_equal(ls_snap_list_nodes(s, &fl, NULL, 10, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(out[0]->id, "rack1");
    assert_string_equal(out[2]->id, "m2");
    ls_snap_release(s);
}

static void test_list_pages_with_marker_cover_every_node_once(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    const struct ls_node *out[4];
    size_t n, total = 0;
    bool more = true;
    const char *after = NULL;
    char seen[16][16];
    while (more) {
        assert_int_equal(ls_snap_list_nodes(s, NULL, after, 4, out, &n, &more, NULL), LS_OK);
        for (size_t i = 0; i < n; i++)
            strcpy(seen[total++], out[i]->id);
        after = n ? out[n - 1]->id : NULL;
    }
    assert_int_equal(total, 9);
    assert_string_equal(seen[0], "rack1");
    assert_string_equal(seen[4], "vm2");
    assert_string_equal(seen[8], "net");
    struct ls_err err;
    assert_int_equal(ls_snap_list_nodes(s, NULL, "ghost", 4, out, &n, &more, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_marker");
    ls_snap_release(s);
}

static void test_list_filters_on_state_name_and_attrs(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("test");
    json_t *a = json_pack("{s:s, s:i, s:b}", "rack", "r1", "cpus", 8, "gpu", 1);
    assert_int_equal(ls_change_patch_node_new(cs, "m1", NULL, "maintenance", a, NULL), LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_node *out[10];
    size_t n;
    bool more;
    struct ls_attr_match m[] = {{"rack", "r1"}, {"cpus", "8"}, {"gpu", "true"}};
    struct ls_node_filter f = {.layer = -1, .attrs = m, .n_attrs = 3};
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 10, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->id, "m1");
    struct ls_node_filter f2 = {.layer = -1, .state = "maintenance"};
    assert_int_equal(ls_snap_list_nodes(s, &f2, NULL, 10, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 1);
    struct ls_node_filter f3 = {.layer = -1, .name = "db-1"};
    assert_int_equal(ls_snap_list_nodes(s, &f3, NULL, 10, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->id, "vm3");
    struct ls_attr_match m2[] = {{"cpus", "9"}};
    struct ls_node_filter f4 = {.layer = -1, .attrs = m2, .n_attrs = 1};
    assert_int_equal(ls_snap_list_nodes(s, &f4, NULL, 10, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 0);
    ls_snap_release(s);
}

static bool count_edge(const struct ls_edge *e, void *arg)
{
    (void)e;
    (*(int *)arg)++;
    return true;
}

static void test_adjacency_in_and_out(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    int n = 0;
    assert_int_equal(ls_snap_node_edges(s, "m1", LS_DIR_IN, -1, count_edge, &n, NULL), LS_OK);
    assert_int_equal(n, 3); /* rack1 contains, vm1 and vm2 run on it */
    n = 0;
    assert_int_equal(ls_snap_node_edges(s, "m1", LS_DIR_OUT, -1, count_edge, &n, NULL), LS_OK);
    assert_int_equal(n, 0);
    n = 0;
    assert_int_equal(
        ls_snap_node_edges(s, "m1", LS_DIR_BOTH, LS_EDGE_RUNS_ON, count_edge, &n, NULL), LS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ls_snap_node_edges(s, "zzz", LS_DIR_BOTH, -1, count_edge, &n, NULL),
                     LS_ENOTFOUND);
    const struct ls_edge *e = ls_snap_edge(s, "p1", LS_EDGE_MEMBER_OF, "net");
    assert_non_null(e);
    assert_string_equal(e->owner, "test");
    assert_null(ls_snap_edge(s, "net", LS_EDGE_MEMBER_OF, "p1"));
    const struct ls_edge *out[10];
    size_t k;
    bool more;
    struct ls_edge_filter f = {.dst = "net", .type = -1};
    assert_int_equal(ls_snap_list_edges(s, &f, NULL, 10, out, &k, &more, NULL), LS_OK);
    assert_int_equal(k, 2);
    assert_string_equal(out[0]->src, "p1");
    assert_string_equal(out[1]->src, "p3");
    ls_snap_release(s);
}

/* Ids of a subgraph's nodes joined by ',' in visit order. */
static void ids(const struct ls_subgraph *sg, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < sg->n_nodes; i++) {
        if (i)
            strncat(buf, ",", cap - strlen(buf) - 1);
        strncat(buf, sg->nodes[i]->id, cap - strlen(buf) - 1);
    }
}

static void test_subgraph_depth2_follows_out_edges(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    struct ls_subgraph sg;
    char buf[256];
    assert_int_equal(ls_snap_subgraph(s, "p1", 2, LS_DIR_OUT, -1, 100, &sg, NULL), LS_OK);
    ids(&sg, buf, sizeof(buf));
    assert_string_equal(buf, "p1,vm1,net,m1");
    assert_int_equal(sg.n_edges, 3);
    assert_false(sg.truncated);
    ls_subgraph_cleanup(&sg);
    ls_snap_release(s);
}

static void test_subgraph_in_and_both_directions_and_depths(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    struct ls_subgraph sg;
    char buf[256];
    assert_int_equal(ls_snap_subgraph(s, "m1", 1, LS_DIR_IN, -1, 100, &sg, NULL), LS_OK);
    ids(&sg, buf, sizeof(buf));
    assert_string_equal(buf, "m1,rack1,vm1,vm2");
    ls_subgraph_cleanup(&sg);
    assert_int_equal(ls_snap_subgraph(s, "m1", 2, LS_DIR_IN, -1, 100, &sg, NULL), LS_OK);
    ids(&sg, buf, sizeof(buf));
    assert_string_equal(buf, "m1,rack1,vm1,vm2,p1");
    ls_subgraph_cleanup(&sg);
    assert_int_equal(ls_snap_subgraph(s, "m1", 0, LS_DIR_BOTH, -1, 100, &sg, NULL), LS_OK);
    ids(&sg, buf, sizeof(buf));
    assert_string_equal(buf, "m1");
    assert_int_equal(sg.n_edges, 0);
    ls_subgraph_cleanup(&sg);
    /* both ways from vm1, depth 3: vm1 -> m1, p1 -> rack1, vm2, net -> m2, p3 */
    assert_int_equal(ls_snap_subgraph(s, "vm1", 3, LS_DIR_BOTH, -1, 100, &sg, NULL), LS_OK);
    ids(&sg, buf, sizeof(buf));
    assert_string_equal(buf, "vm1,m1,p1,rack1,vm2,net,m2,p3");
    assert_int_equal(sg.n_edges, 7);
    ls_subgraph_cleanup(&sg);
    /* only runs_on edges */
    assert_int_equal(ls_snap_subgraph(s, "vm1", 3, LS_DIR_BOTH, LS_EDGE_RUNS_ON, 100, &sg, NULL),
                     LS_OK);
    ids(&sg, buf, sizeof(buf));
    assert_string_equal(buf, "vm1,m1,vm2");
    ls_subgraph_cleanup(&sg);
    /* bounded */
    assert_int_equal(ls_snap_subgraph(s, "vm1", 3, LS_DIR_BOTH, -1, 3, &sg, NULL), LS_OK);
    assert_int_equal(sg.n_nodes, 3);
    assert_true(sg.truncated);
    ls_subgraph_cleanup(&sg);
    struct ls_err err;
    assert_int_equal(ls_snap_subgraph(s, "nope", 3, LS_DIR_BOTH, -1, 3, &sg, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "node_not_found");
    ls_snap_release(s);
}

static void test_node_json_is_rendered_once_per_version(void **state)
{
    struct ls_snap *s = ls_graph_snap(*state);
    const struct ls_node *n = ls_snap_node(s, "rack1");
    size_t len;
    const char *a = ls_node_json(n, &len);
    const char *b = ls_node_json(n, NULL);
    assert_ptr_equal(a, b);
    assert_int_equal(len, strlen(a));
    json_t *j = json_loads(a, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "rack1");
    assert_string_equal(json_string_value(json_object_get(j, "layer")), "physical");
    assert_string_equal(json_string_value(json_object_get(j, "created_at")),
                        "1970-01-01T00:00:01Z");
    assert_int_equal(json_integer_value(json_object_get(j, "revision")), 1);
    json_decref(j);
    ls_snap_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookup_by_id_returns_fields_and_layer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_by_type_and_layer_in_creation_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_with_marker_cover_every_node_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_on_state_name_and_attrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adjacency_in_and_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subgraph_depth2_follows_out_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subgraph_in_and_both_directions_and_depths, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_node_json_is_rendered_once_per_version, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("model/graph", tests, NULL, NULL);
}
