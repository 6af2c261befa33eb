/* model/change + resolution: what a change set really does to the graph. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

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

static size_t prepare_count(struct ls_graph *g, struct ls_change_set *cs, struct ls_op *first)
{
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, 5000000, &p, NULL), LS_OK);
    size_t n;
    const struct ls_op *ops = ls_prepared_ops(p, &n);
    if (first && n)
        *first = ops[0];
    if (n == 0) /* as the store does: nothing to do commits nothing */
        ls_graph_abort(g, p);
    else
        ls_graph_publish(g, p, ls_graph_next_revision(g));
    return n;
}

static void test_put_then_identical_put_makes_no_new_version(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("imp");
    assert_int_equal(ls_change_put_node_new(cs, "a", "machine", "A", "up",
                                            json_pack("{s:i}", "cpus", 4), NULL, NULL),
                     LS_OK);
    struct ls_op op;
    assert_int_equal(prepare_count(g, cs, &op), 1);
    ls_change_set_free(cs);
    cs = ls_change_set_new("imp");
    assert_int_equal(ls_change_put_node_new(cs, "a", "machine", "A", "up",
                                            json_pack("{s:i}", "cpus", 4), NULL, NULL),
                     LS_OK);
    assert_int_equal(prepare_count(g, cs, NULL), 0);
    ls_change_set_free(cs);
    cs = ls_change_set_new("imp");
    assert_int_equal(ls_change_put_node_new(cs, "a", "machine", "A", "down",
                                            json_pack("{s:i}", "cpus", 4), NULL, NULL),
                     LS_OK);
    /* ops borrow versions that publish may reclaim: a held snapshot keeps op.prev alive */
    struct ls_snap *hold = ls_graph_snap(g);
    assert_int_equal(prepare_count(g, cs, &op), 1);
    assert_int_equal(op.kind, LS_OP_NODE_PUT);
    assert_false(op.created);
    assert_non_null(op.prev);
    assert_string_equal(op.prev->state, "up");
    ls_snap_release(hold);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_node *n = ls_snap_node(s, "a");
    assert_string_equal(n->state, "down");
    assert_int_equal(n->revision, 2);
    assert_int_equal(n->created_at, 5000000);
    ls_snap_release(s);
}

/* Machines a, b, c (c with attrs) and a -> b. */
static void put_abc(struct ls_change_set *cs)
{
    PUT_NODE(cs, "a", "machine", "A");
    PUT_NODE(cs, "b", "machine", "B");
    assert_int_equal(ls_change_put_node_new(cs, "c", "machine", "C", "up",
                                            json_pack("{s:i}", "cpus", 4), NULL, NULL),
                     LS_OK);
    PUT_EDGE(cs, "a", LS_EDGE_CONNECTED_TO, "b");
}

/* A put equal to the alive version makes no version (the resolver's short cut) and later
 * changes of the same set still see that version: a patch after it, a delete after it, a
 * replace set that puts everything again, edges likewise; NULL attrs equal {} only. */
static void test_unchanged_puts_are_skipped_and_later_changes_still_apply(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("imp");
    put_abc(cs);
    assert_int_equal(prepare_count(g, cs, NULL), 4);
    ls_change_set_free(cs);

    /* the same again, as a replace set: nothing to do, nothing swept */
    cs = ls_change_set_new("imp");
    ls_change_set_set_replace(cs, true);
    put_abc(cs);
    assert_int_equal(prepare_count(g, cs, NULL), 0);
    ls_change_set_free(cs);

    /* unchanged put, then a patch: one version with the patch over the alive one */
    cs = ls_change_set_new("imp");
    PUT_NODE(cs, "a", "machine", "A");
    assert_int_equal(ls_change_patch_node_new(cs, "a", NULL, "down", NULL, NULL), LS_OK);
    /* unchanged put, then a delete: gone (with its edge) */
    PUT_NODE(cs, "b", "machine", "B");
    ls_change_del_node(cs, "b");
    /* NULL attrs are {}: on c (which has attrs) that is a change */
    PUT_NODE(cs, "c", "machine", "C");
    assert_int_equal(prepare_count(g, cs, NULL), 4); /* a put, c put, edge del, b del */
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    assert_string_equal(ls_snap_node(s, "a")->name, "A");
    assert_string_equal(ls_snap_node(s, "a")->state, "down");
    assert_null(ls_snap_node(s, "b"));
    assert_null(ls_snap_edge(s, "a", LS_EDGE_CONNECTED_TO, "b"));
    assert_int_equal(json_object_size(ls_snap_node(s, "c")->attrs), 0);
    ls_snap_release(s);

    /* edges: the same edge is nothing, another weight is a version */
    cs = ls_change_set_new("imp");
    PUT_NODE(cs, "b", "machine", "B");
    PUT_EDGE(cs, "a", LS_EDGE_CONNECTED_TO, "b");
    assert_int_equal(prepare_count(g, cs, NULL), 2);
    ls_change_set_free(cs);
    cs = ls_change_set_new("imp");
    PUT_EDGE(cs, "a", LS_EDGE_CONNECTED_TO, "b");
    assert_int_equal(prepare_count(g, cs, NULL), 0);
    ls_change_set_free(cs);
    cs = ls_change_set_new("imp");
    assert_int_equal(
        ls_change_put_edge_new(cs, "a", LS_EDGE_CONNECTED_TO, "b", NULL, LS_ESRC_MANUAL, 0.5, NULL),
        LS_OK);
    struct ls_op op;
    assert_int_equal(prepare_count(g, cs, &op), 1);
    assert_int_equal(op.kind, LS_OP_EDGE_PUT);
    ls_change_set_free(cs);
    s = ls_graph_snap(g);
    assert_true(ls_snap_edge(s, "a", LS_EDGE_CONNECTED_TO, "b")->weight == 0.5);
    ls_snap_release(s);
}

static void test_patch_merges_attrs_and_null_removes_a_key(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("api");
    assert_int_equal(ls_change_put_node_new(cs, "a", "rack", "A", "",
                                            json_pack("{s:s,s:i}", "row", "r1", "u", 42), NULL,
                                            NULL),
                     LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    cs = ls_change_set_new("api");
    assert_int_equal(ls_change_patch_node_new(cs, "a", "Rack A", NULL,
                                              json_pack("{s:n,s:s}", "u", "pdu", "p1"), NULL),
                     LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_node *n = ls_snap_node(s, "a");
    assert_string_equal(n->name, "Rack A");
    assert_string_equal(n->state, "");
    char *dump = json_dumps(n->attrs, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(dump, "{\"pdu\":\"p1\",\"row\":\"r1\"}");
    free(dump);
    ls_snap_release(s);
}

static void test_errors_leave_the_graph_unchanged(void **state)
{
    struct ls_graph *g = *state;
    struct ls_err err;
    struct ls_change_set *cs = ls_change_set_new("api");
    PUT_NODE(cs, "a", "machine", "A");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);

    cs = ls_change_set_new("api");
    PUT_NODE(cs, "b", "machine", "B");
    PUT_EDGE(cs, "b", LS_EDGE_CONNECTED_TO, "ghost");
    assert_int_equal(apply_set(g, cs, &err), LS_EINVAL);
    assert_string_equal(err.code, "dangling_edge");
    assert_string_equal(err.msg, "change 1: edge dst 'ghost': no such node");
    ls_change_set_free(cs);

    cs = ls_change_set_new("api");
    PUT_NODE(cs, "a", "instance", "A");
    assert_int_equal(apply_set(g, cs, &err), LS_EINVAL);
    assert_string_equal(err.code, "type_change");
    ls_change_set_free(cs);

    cs = ls_change_set_new("api");
    assert_int_equal(ls_change_patch_node_new(cs, "zz", "x", NULL, NULL, NULL), LS_OK);
    assert_int_equal(apply_set(g, cs, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "node_not_found");
    ls_change_set_free(cs);

    cs = ls_change_set_new("api");
    PUT_NODE(cs, "a", "machine", "A2");
    ls_change_set_at(cs, 0)->if_absent = true;
    assert_int_equal(apply_set(g, cs, &err), LS_ECONFLICT);
    assert_string_equal(err.code, "node_exists");
    ls_change_set_free(cs);

    cs = ls_change_set_new("api");
    assert_int_equal(ls_change_put_node_new(cs, "x", "spaceship", "", "", NULL, NULL, &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "unknown_type");
    assert_int_equal(ls_change_put_node_new(cs, "x", "rack", "", "", json_string("no"), NULL, &err),
                     LS_EINVAL);
    assert_string_equal(err.msg, "attrs: expected an object");
    assert_int_equal(ls_change_set_count(cs), 0);
    ls_change_set_free(cs);

    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_snap_revision(s), 1);
    assert_int_equal(ls_snap_node_count(s), 1);
    assert_null(ls_snap_node(s, "b"));
    assert_string_equal(ls_snap_node(s, "a")->name, "A");
    ls_snap_release(s);
}

static void test_node_delete_cascades_to_its_edges(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("api");
    PUT_NODE(cs, "m", "machine", "m");
    PUT_NODE(cs, "v1", "instance", "v1");
    PUT_NODE(cs, "v2", "instance", "v2");
    PUT_EDGE(cs, "v1", LS_EDGE_RUNS_ON, "m");
    PUT_EDGE(cs, "v2", LS_EDGE_RUNS_ON, "m");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    struct ls_snap *before = ls_graph_snap(g);

    cs = ls_change_set_new("api");
    ls_change_del_node(cs, "m");
    ls_change_del_node(cs, "never-there");
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, 0, &p, NULL), LS_OK);
    size_t n;
    const struct ls_op *ops = ls_prepared_ops(p, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ops[0].kind, LS_OP_EDGE_DEL);
    assert_int_equal(ops[1].kind, LS_OP_EDGE_DEL);
    assert_int_equal(ops[2].kind, LS_OP_NODE_DEL);
    assert_string_equal(ops[2].node->id, "m");
    ls_graph_publish(g, p, 7);
    ls_change_set_free(cs);

    struct ls_snap *after = ls_graph_snap(g);
    assert_int_equal(ls_snap_revision(after), 7);
    assert_null(ls_snap_node(after, "m"));
    assert_null(ls_snap_edge(after, "v1", LS_EDGE_RUNS_ON, "m"));
    assert_int_equal(ls_snap_node_count(after), 2);
    assert_int_equal(ls_snap_edge_count(after), 0);
    /* the older snapshot still sees everything */
    assert_non_null(ls_snap_node(before, "m"));
    assert_non_null(ls_snap_edge(before, "v2", LS_EDGE_RUNS_ON, "m"));
    assert_int_equal(ls_snap_edge_count(before), 2);
    ls_snap_release(before);
    ls_snap_release(after);

    /* re-created later, with the same id: a fresh node without the old edges */
    cs = ls_change_set_new("api");
    PUT_NODE(cs, "m", "machine", "m again");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    after = ls_graph_snap(g);
    assert_string_equal(ls_snap_node(after, "m")->name, "m again");
    assert_int_equal(ls_snap_revision(after), 8);
    ls_snap_release(after);
}

static void test_replace_deletes_what_the_origin_no_longer_reports(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("host:h1");
    PUT_NODE(cs, "host:machine:h1", "machine", "h1");
    PUT_NODE(cs, "host:nic:h1:eth0", "nic", "eth0");
    PUT_NODE(cs, "host:nic:h1:eth1", "nic", "eth1");
    PUT_EDGE(cs, "host:machine:h1", LS_EDGE_CONTAINS, "host:nic:h1:eth0");
    PUT_EDGE(cs, "host:machine:h1", LS_EDGE_CONTAINS, "host:nic:h1:eth1");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    cs = ls_change_set_new("host:h2");
    PUT_NODE(cs, "host:machine:h2", "machine", "h2");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    cs = ls_change_set_new("api");
    PUT_NODE(cs, "rack", "rack", "rack");
    PUT_EDGE(cs, "rack", LS_EDGE_CONTAINS, "host:machine:h1");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);

    /* h1 reports again without eth1 */
    cs = ls_change_set_new("host:h1");
    ls_change_set_set_replace(cs, true);
    PUT_NODE(cs, "host:machine:h1", "machine", "h1");
    PUT_NODE(cs, "host:nic:h1:eth0", "nic", "eth0");
    PUT_EDGE(cs, "host:machine:h1", LS_EDGE_CONTAINS, "host:nic:h1:eth0");
    struct ls_op op;
    assert_int_equal(prepare_count(g, cs, &op), 2); /* edge + node eth1 deleted */
    assert_int_equal(op.kind, LS_OP_EDGE_DEL);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    assert_null(ls_snap_node(s, "host:nic:h1:eth1"));
    assert_non_null(ls_snap_node(s, "host:nic:h1:eth0"));
    assert_non_null(ls_snap_node(s, "host:machine:h2"));
    assert_non_null(ls_snap_edge(s, "rack", LS_EDGE_CONTAINS, "host:machine:h1"));
    ls_snap_release(s);

    /* an empty replace with a scope only touches the scope */
    cs = ls_change_set_new("host:h1");
    ls_change_set_set_replace(cs, true);
    ls_change_set_set_scope(cs, "host:nic:");
    assert_int_equal(prepare_count(g, cs, NULL), 2);
    ls_change_set_free(cs);
    s = ls_graph_snap(g);
    assert_null(ls_snap_node(s, "host:nic:h1:eth0"));
    assert_non_null(ls_snap_node(s, "host:machine:h1"));
    ls_snap_release(s);
}

/* A replace set that could not read one of its sources keeps what the graph has of it:
 * nodes under a kept prefix, and edges from or to them, are not swept. */
static void test_replace_keeps_what_is_under_a_kept_prefix(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("os");
    PUT_NODE(cs, "nova:a", "machine", "a");
    PUT_NODE(cs, "nova:b", "machine", "b");
    PUT_NODE(cs, "cinder:v1", "nic", "v1");
    PUT_NODE(cs, "cinder:v2", "nic", "v2");
    PUT_EDGE(cs, "nova:a", LS_EDGE_CONTAINS, "cinder:v1");
    PUT_EDGE(cs, "cinder:v2", LS_EDGE_CONTAINS, "nova:b");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);

    /* cinder could not be read: only nova:a reported */
    cs = ls_change_set_new("os");
    ls_change_set_set_replace(cs, true);
    assert_int_equal(ls_change_set_keep(cs, "cinder:", NULL), LS_OK);
    PUT_NODE(cs, "nova:a", "machine", "a");
    /* swept: nova:b, and (cascade) the edge into it */
    assert_int_equal(prepare_count(g, cs, NULL), 2);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    assert_null(ls_snap_node(s, "nova:b"));
    assert_null(ls_snap_edge(s, "cinder:v2", LS_EDGE_CONTAINS, "nova:b"));
    assert_non_null(ls_snap_node(s, "cinder:v1"));
    assert_non_null(ls_snap_node(s, "cinder:v2"));
    assert_non_null(ls_snap_edge(s, "nova:a", LS_EDGE_CONTAINS, "cinder:v1"));
    ls_snap_release(s);

    /* read again and not there any more: swept (the node and its edge) */
    cs = ls_change_set_new("os");
    ls_change_set_set_replace(cs, true);
    PUT_NODE(cs, "nova:a", "machine", "a");
    assert_int_equal(prepare_count(g, cs, NULL), 3);
    ls_change_set_free(cs);
    s = ls_graph_snap(g);
    assert_null(ls_snap_node(s, "cinder:v1"));
    assert_null(ls_snap_node(s, "cinder:v2"));
    assert_non_null(ls_snap_node(s, "nova:a"));
    ls_snap_release(s);

    cs = ls_change_set_new("os");
    for (int i = 0; i < LS_CHANGE_KEPT_MAX; i++)
        assert_int_equal(ls_change_set_keep(cs, "p:", NULL), LS_OK);
    struct ls_err err;
    assert_int_equal(ls_change_set_keep(cs, "p:", &err), LS_ELIMIT);
    ls_change_set_free(cs);
}

static void test_event_time_never_goes_backwards_per_entity(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("api");
    ls_change_set_set_time(cs, 2000000);
    PUT_NODE(cs, "a", "machine", "A");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    cs = ls_change_set_new("api");
    ls_change_set_set_time(cs, 1000000); /* an older event arrives late */
    PUT_NODE(cs, "a", "machine", "A-late");
    struct ls_op op;
    assert_int_equal(prepare_count(g, cs, &op), 1);
    assert_int_equal(op.time_us, 2000000);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_snap_node(s, "a")->updated_at, 2000000);
    assert_int_equal(ls_snap_node(s, "a")->created_at, 2000000);
    ls_snap_release(s);
}

static void test_edge_patch_and_delete(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("api");
    PUT_NODE(cs, "a", "switch", "a");
    PUT_NODE(cs, "b", "switch", "b");
    PUT_EDGE(cs, "a", LS_EDGE_CONNECTED_TO, "b");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    cs = ls_change_set_new("api");
    assert_int_equal(ls_change_patch_edge_new(cs, "a", LS_EDGE_CONNECTED_TO, "b",
                                              json_pack("{s:s}", "speed", "100G"), 2.5, NULL),
                     LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_edge *e = ls_snap_edge(s, "a", LS_EDGE_CONNECTED_TO, "b");
    assert_true(e->weight == 2.5);
    assert_string_equal(json_string_value(json_object_get(e->attrs, "speed")), "100G");
    assert_int_equal(e->revision, 2);
    ls_snap_release(s);
    cs = ls_change_set_new("api");
    ls_change_del_edge(cs, "a", LS_EDGE_CONNECTED_TO, "b");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    s = ls_graph_snap(g);
    assert_null(ls_snap_edge(s, "a", LS_EDGE_CONNECTED_TO, "b"));
    assert_int_equal(ls_snap_edge_count(s), 0);
    ls_snap_release(s);
}

static void test_many_nodes_grow_the_indices(void **state)
{
    struct ls_graph *g = *state;
    char id[32], prev[32];
    for (int round = 0; round < 3; round++) {
        struct ls_change_set *cs = ls_change_set_new("gen");
        for (int i = 0; i < 5000; i++) {
            snprintf(id, sizeof(id), "n%d", round * 5000 + i);
            PUT_NODE(cs, id, "core", id);
            if (i > 0)
                PUT_EDGE(cs, id, LS_EDGE_DEPENDS_ON, prev);
            memcpy(prev, id, sizeof(id));
        }
        assert_int_equal(apply_set(g, cs, NULL), LS_OK);
        ls_change_set_free(cs);
    }
    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_snap_node_count(s), 15000);
    assert_int_equal(ls_snap_edge_count(s), 14997);
    for (int i = 0; i < 15000; i += 499) {
        snprintf(id, sizeof(id), "n%d", i);
        assert_non_null(ls_snap_node(s, id));
    }
    assert_non_null(ls_snap_edge(s, "n14999", LS_EDGE_DEPENDS_ON, "n14998"));
    ls_snap_release(s);
}

static bool count_edge(const struct ls_edge *e, void *arg)
{
    (void)e;
    (*(size_t *)arg)++;
    return true;
}

/* What readers see of h1, vm1 and their edge at the current revision. */
static void expect_visible(struct ls_graph *g, bool visible)
{
    struct ls_snap *s = ls_graph_snap(g);
    assert_int_equal(ls_snap_node_count(s), visible ? 2 : 0);
    assert_int_equal(ls_snap_edge_count(s), visible ? 1 : 0);
    assert_true((ls_snap_node(s, "vm1") != NULL) == visible);
    assert_true((ls_snap_edge(s, "vm1", LS_EDGE_RUNS_ON, "h1") != NULL) == visible);
    const struct ls_node *out[4];
    size_t n, edges = 0;
    bool more;
    struct ls_node_filter f = {.type = "instance", .layer = -1};
    assert_int_equal(ls_snap_list_nodes(s, &f, NULL, 4, out, &n, &more, NULL), LS_OK);
    assert_int_equal(n, visible ? 1 : 0);
    int rc = ls_snap_node_edges(s, "h1", LS_DIR_IN, -1, count_edge, &edges, NULL);
    assert_int_equal(rc, visible ? LS_OK : LS_ENOTFOUND);
    assert_int_equal(edges, visible ? 1 : 0);
    ls_snap_release(s);
}

/* Staging (slots found or made before the change is durable) shows readers nothing; an
 * aborted staged change leaves empty slots, which the same change published later uses: every
 * node and edge is there once. */
static void test_a_staged_change_is_invisible_until_published(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *cs = ls_change_set_new("t");
    PUT_NODE(cs, "h1", "hypervisor", "h1");
    PUT_NODE(cs, "vm1", "instance", "vm1");
    PUT_EDGE(cs, "vm1", LS_EDGE_RUNS_ON, "h1");
    for (int round = 0; round < 2; round++) {
        struct ls_prepared *p;
        assert_int_equal(ls_graph_prepare(g, cs, 5000000, &p, NULL), LS_OK);
        ls_graph_stage(g, p);
        ls_graph_stage(g, p); /* again: nothing more */
        expect_visible(g, false);
        if (round == 0)
            ls_graph_abort(g, p);
        else
            ls_graph_publish(g, p, ls_graph_next_revision(g));
        expect_visible(g, round == 1);
    }
    ls_change_set_free(cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_staged_change_is_invisible_until_published, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_put_then_identical_put_makes_no_new_version, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_unchanged_puts_are_skipped_and_later_changes_still_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patch_merges_attrs_and_null_removes_a_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors_leave_the_graph_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_delete_cascades_to_its_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_deletes_what_the_origin_no_longer_reports,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_keeps_what_is_under_a_kept_prefix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_event_time_never_goes_backwards_per_entity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_edge_patch_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_nodes_grow_the_indices, setup, teardown),
    };
    return cmocka_run_group_tests_name("model/change", tests, NULL, NULL);
}
