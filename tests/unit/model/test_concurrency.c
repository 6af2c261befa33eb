/* model/graph under concurrency: readers see whole revisions while a writer applies change
 * sets, grows the indices and reclaims old versions (run under ASan to catch reuse). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#define ROUNDS  300
#define READERS 2

struct shared {
    struct ls_graph *g;
    _Atomic int done;
    _Atomic long checks;
    _Atomic int failures;
};

/* Every revision r >= 1 has nodes a and b with attrs.v == r, an edge a -> b, and r churn
 * nodes c<r>; the reader checks that one snapshot never mixes two revisions. */
static void *reader(void *arg)
{
    struct shared *sh = arg;
    uint64_t last = 0;
    while (!atomic_load(&sh->done)) {
        struct ls_snap *s = ls_graph_snap(sh->g);
        uint64_t rev = ls_snap_revision(s);
        if (rev >= 1) {
            const struct ls_node *a = ls_snap_node(s, "a"), *b = ls_snap_node(s, "b");
            json_int_t va = a ? json_integer_value(json_object_get(a->attrs, "v")) : -1;
            json_int_t vb = b ? json_integer_value(json_object_get(b->attrs, "v")) : -2;
            char churn[32];
            snprintf(churn, sizeof(churn), "c%llu", (unsigned long long)rev);
            bool ok = va == (json_int_t)rev && vb == (json_int_t)rev && rev >= last &&
                      ls_snap_edge(s, "a", LS_EDGE_USES, "b") != NULL &&
                      ls_snap_node(s, churn) != NULL && ls_snap_node_count(s) == 3;
            struct ls_subgraph sg;
            if (ls_snap_subgraph(s, "a", 2, LS_DIR_BOTH, -1, 100, &sg, NULL) == LS_OK) {
                ok = ok && sg.n_nodes == 2;
                ls_subgraph_cleanup(&sg);
            } else {
                ok = false;
            }
            if (!ok)
                atomic_fetch_add(&sh->failures, 1);
            last = rev;
            atomic_fetch_add(&sh->checks, 1);
        }
        ls_snap_release(s);
    }
    return NULL;
}

static void test_readers_see_whole_revisions_while_writer_applies(void **state)
{
    (void)state;
    struct shared sh = {.g = ls_graph_new()};
    struct ls_change_set *cs = ls_change_set_new("w");
    assert_int_equal(
        ls_change_put_node_new(cs, "a", "service", "", "", json_pack("{s:i}", "v", 1), NULL, NULL),
        LS_OK);
    assert_int_equal(
        ls_change_put_node_new(cs, "b", "service", "", "", json_pack("{s:i}", "v", 1), NULL, NULL),
        LS_OK);
    PUT_NODE(cs, "c1", "service", "");
    PUT_EDGE(cs, "a", LS_EDGE_USES, "b");
    assert_int_equal(apply_set(sh.g, cs, NULL), LS_OK);
    ls_change_set_free(cs);

    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, reader, &sh);
    char id[32];
    for (int r = 2; r <= ROUNDS; r++) {
        cs = ls_change_set_new("w");
        assert_int_equal(
            ls_change_patch_node_new(cs, "a", NULL, NULL, json_pack("{s:i}", "v", r), NULL), LS_OK);
        assert_int_equal(
            ls_change_patch_node_new(cs, "b", NULL, NULL, json_pack("{s:i}", "v", r), NULL), LS_OK);
        snprintf(id, sizeof(id), "c%d", r - 1);
        ls_change_del_node(cs, id);
        snprintf(id, sizeof(id), "c%d", r);
        PUT_NODE(cs, id, "service", "");
        /* re-put the edge with new attrs so its chain grows and gets reclaimed too */
        assert_int_equal(ls_change_put_edge_new(cs, "a", LS_EDGE_USES, "b",
                                                json_pack("{s:i}", "v", r), LS_ESRC_MANUAL, 1.0,
                                                NULL),
                         LS_OK);
        assert_int_equal(apply_set(sh.g, cs, NULL), LS_OK);
        ls_change_set_free(cs);
    }
    /* let the readers see the final revision a while */
    while (atomic_load(&sh.checks) < 1000)
        ;
    atomic_store(&sh.done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&sh.failures), 0);
    struct ls_snap *s = ls_graph_snap(sh.g);
    assert_int_equal(ls_snap_revision(s), ROUNDS);
    assert_int_equal(ls_snap_node_count(s), 3);
    ls_snap_release(s);
    ls_graph_free(sh.g);
}

static void test_held_snapshot_keeps_old_versions_alive(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("w");
    PUT_NODE(cs, "x", "service", "first");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    struct ls_snap *old = ls_graph_snap(g);
    const struct ls_node *first = ls_snap_node(old, "x");
    for (int i = 0; i < 50; i++) {
        cs = ls_change_set_new("w");
        char name[16];
        snprintf(name, sizeof(name), "v%d", i);
        PUT_NODE(cs, "x", "service", name);
        assert_int_equal(apply_set(g, cs, NULL), LS_OK);
        ls_change_set_free(cs);
    }
    assert_string_equal(first->name, "first");
    assert_ptr_equal(ls_snap_node(old, "x"), first);
    struct ls_snap *now = ls_graph_snap(g);
    assert_string_equal(ls_snap_node(now, "x")->name, "v49");
    ls_snap_release(now);
    ls_snap_release(old);
    ls_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readers_see_whole_revisions_while_writer_applies),
        cmocka_unit_test(test_held_snapshot_keeps_old_versions_alive),
    };
    return cmocka_run_group_tests_name("model/concurrency", tests, NULL, NULL);
}
