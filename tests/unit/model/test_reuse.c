/* model/graph slot reuse: the slots of deleted ids are reused once no held snapshot can see
 * them; a reader holding an older revision keeps seeing exactly that revision (the deleted node
 * intact, none of the new ones) while the writer reuses; the id index, lists and adjacency do
 * not grow with churn. Run under ASan, a reader touching a reclaimed version would abort. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "model/graph_impl.h"

/* Creates ids <prefix><from..to-1> (instances running on "hub") in one change set. */
static void put_batch(struct ls_graph *g, const char *prefix, int from, int to)
{
    struct ls_change_set *cs = ls_change_set_new("churn");
    char id[64];
    for (int i = from; i < to; i++) {
        snprintf(id, sizeof(id), "%s%d", prefix, i);
        PUT_NODE(cs, id, "instance", id);
        PUT_EDGE(cs, id, LS_EDGE_RUNS_ON, "hub");
    }
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
}

/* Deletes them (their edges go with them). */
static void del_batch(struct ls_graph *g, const char *prefix, int from, int to)
{
    struct ls_change_set *cs = ls_change_set_new("churn");
    char id[64];
    for (int i = from; i < to; i++) {
        snprintf(id, sizeof(id), "%s%d", prefix, i);
        ls_change_del_node(cs, id);
    }
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
}

struct count {
    size_t n;
    const char *first_src;
};

static bool count_edge(const struct ls_edge *e, void *arg)
{
    struct count *c = arg;
    if (c->n++ == 0)
        c->first_src = e->src;
    return true;
}

/* The in-degree of hub at s. */
static size_t hub_degree(const struct ls_snap *s, const char **first_src)
{
    struct count c = {0, NULL};
    assert_int_equal(ls_snap_node_edges(s, "hub", LS_DIR_IN, -1, count_edge, &c, NULL), LS_OK);
    if (first_src)
        *first_src = c.first_src;
    return c.n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists every node of s in pages of 7 and checks each appears once and the count matches. */
static size_t list_all_once(const struct ls_snap *s)
{
    size_t cap = ls_snap_node_count(s) + 16, total = 0;
    const char **ids = malloc(cap * sizeof(*ids));
    const struct ls_node *page[7];
    const char *after = NULL;
    bool more = true;
    while (more) {
        size_t n;
        assert_int_equal(ls_snap_list_nodes(s, NULL, after, 7, page, &n, &more, NULL), LS_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(total < cap);
            assert_ptr_equal(ls_snap_node(s, page[i]->id), page[i]);
            ids[total++] = page[i]->id;
        }
        if (n == 0)
            break;
        after = page[n - 1]->id;
    }
    qsort(ids, total, sizeof(*ids), cmp_str);
    for (size_t i = 1; i < total; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    free(ids);
    assert_int_equal(total, ls_snap_node_count(s));
    return total;
}

static void test_a_held_revision_sees_the_deleted_node_while_its_slots_are_reused(void **state)
{
    (void)state;
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("churn");
    PUT_NODE(cs, "hub", "hypervisor", "hub");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    /* warm-up: 3000 ids come and go, their slots die and are freed by compaction rounds */
    for (int b = 0; b < 3; b++) {
        put_batch(g, "w", b * 1000, (b + 1) * 1000);
        del_batch(g, "w", b * 1000, (b + 1) * 1000);
    }
    struct graph_slot_stats st0;
    graph_slot_stats(g, &st0);
    assert_true(st0.rounds > 0);
    assert_true(st0.nfree >= 1000);
    assert_true(st0.nslots <= 2100); /* not 3001: the later batches reused the first's slots */

    /* a reader pins the revision with "keep" (and its edge) */
    put_batch(g, "keep", 0, 1);
    struct ls_snap *old = ls_graph_snap(g);
    const struct ls_node *keep = ls_snap_node(old, "keep0");
    assert_non_null(keep);
    const struct ls_edge *kedge = ls_snap_edge(old, "keep0", LS_EDGE_RUNS_ON, "hub");
    assert_non_null(kedge);
    /* the writer deletes it and makes 1000 new ids: they take free slots */
    del_batch(g, "keep", 0, 1);
    put_batch(g, "new", 0, 1000);
    struct graph_slot_stats st1;
    graph_slot_stats(g, &st1);
    assert_int_equal(st1.nslots, st0.nslots + 1); /* only keep0 needed a fresh slot */
    assert_true(st1.nfree < st0.nfree);

    /* the old reader: keep0 intact, with its edge, and none of the new ids */
    assert_ptr_equal(ls_snap_node(old, "keep0"), keep);
    assert_string_equal(keep->id, "keep0");
    assert_string_equal(keep->name, "keep0");
    assert_ptr_equal(ls_snap_edge(old, "keep0", LS_EDGE_RUNS_ON, "hub"), kedge);
    assert_string_equal(kedge->src, "keep0");
    assert_null(ls_snap_node(old, "new0"));
    assert_null(ls_snap_node(old, "w5"));
    const char *src = NULL;
    assert_int_equal(hub_degree(old, &src), 1);
    assert_string_equal(src, "keep0");
    assert_int_equal(list_all_once(old), 2);
    struct ls_subgraph sg;
    assert_int_equal(ls_snap_subgraph(old, "hub", 1, LS_DIR_IN, -1, 100, &sg, NULL), LS_OK);
    assert_int_equal(sg.n_nodes, 2);
    assert_string_equal(sg.nodes[1]->id, "keep0");
    ls_subgraph_cleanup(&sg);

    /* the new revision: the new ids, not keep0 */
    struct ls_snap *now = ls_graph_snap(g);
    assert_null(ls_snap_node(now, "keep0"));
    assert_string_equal(ls_snap_node(now, "new999")->name, "new999");
    assert_int_equal(hub_degree(now, NULL), 1000);
    assert_int_equal(list_all_once(now), 1001);
    assert_int_equal(ls_snap_subgraph(now, "hub", 1, LS_DIR_IN, -1, 5000, &sg, NULL), LS_OK);
    assert_int_equal(sg.n_nodes, 1001);
    assert_int_equal(sg.n_edges, 1000);
    ls_subgraph_cleanup(&sg);
    ls_snap_release(now);
    ls_snap_release(old);

    /* released: keep0's slot can go too; more churn keeps the slot count where it is */
    for (int b = 0; b < 5; b++) {
        del_batch(g, "new", b * 1000, (b + 1) * 1000);
        put_batch(g, "new", (b + 1) * 1000, (b + 2) * 1000);
    }
    struct graph_slot_stats st2;
    graph_slot_stats(g, &st2);
    assert_true(st2.nslots <= st1.nslots + 1);
    assert_true(st2.eslots <= st1.eslots + 1);
    now = ls_graph_snap(g);
    assert_int_equal(hub_degree(now, NULL), 1000);
    assert_int_equal(list_all_once(now), 1001);
    assert_null(ls_snap_node(now, "keep0"));
    assert_null(ls_snap_node(now, "new10"));
    assert_non_null(ls_snap_node(now, "new5500"));
    /* the edge list too: exactly the live edges */
    const struct ls_edge *edges[1100];
    size_t n;
    bool more;
    assert_int_equal(ls_snap_list_edges(now, NULL, NULL, 1100, edges, &n, &more, NULL), LS_OK);
    assert_int_equal(n, 1000);
    assert_false(more);
    ls_snap_release(now);
    ls_graph_free(g);
}

/* ---- concurrent readers during churn with reuse ------------------------------------------ */

#define K       8   /* instances alive at every revision */
#define REVS    800 /* each replaces them: 6400 ids come and go */
#define READERS 2

struct shared {
    struct ls_graph *g;
    _Atomic int done;
    _Atomic long checks;
    _Atomic int failures;
};

/* At every revision >= 2 the graph is hub plus exactly K instances running on it, all named
 * after their id: whatever a snapshot reaches (lists, adjacency, walks) must agree. */
static void *reader(void *arg)
{
    struct shared *sh = arg;
    const struct ls_node *page[K + 4];
    while (!atomic_load(&sh->done)) {
        struct ls_snap *s = ls_graph_snap(sh->g);
        if (ls_snap_revision(s) >= 2) {
            bool ok = ls_snap_node_count(s) == K + 1;
            size_t n;
            bool more;
            struct ls_node_filter f = {.type = "instance", .layer = -1};
            ok = ok && ls_snap_list_nodes(s, &f, NULL, K + 4, page, &n, &more, NULL) == LS_OK &&
                 n == K && !more;
            for (size_t i = 0; ok && i < n; i++)
                ok = strcmp(page[i]->id, page[i]->name) == 0 &&
                     ls_snap_node(s, page[i]->id) == page[i] &&
                     ls_snap_edge(s, page[i]->id, LS_EDGE_RUNS_ON, "hub") != NULL;
            struct count c = {0, NULL};
            ok = ok && ls_snap_node_edges(s, "hub", LS_DIR_IN, -1, count_edge, &c, NULL) == LS_OK &&
                 c.n == K;
            struct ls_subgraph sg;
            if (ok && ls_snap_subgraph(s, "hub", 1, LS_DIR_BOTH, -1, 100, &sg, NULL) == LS_OK) {
                ok = sg.n_nodes == K + 1 && sg.n_edges == K;
                for (size_t i = 0; ok && i < sg.n_edges; i++)
                    ok = strcmp(sg.edges[i]->dst, "hub") == 0 &&
                         ls_snap_node(s, sg.edges[i]->src) != NULL;
                ls_subgraph_cleanup(&sg);
            } else {
                ok = false;
            }
            if (!ok)
                atomic_fetch_add(&sh->failures, 1);
            atomic_fetch_add(&sh->checks, 1);
        }
        ls_snap_release(s);
    }
    return NULL;
}

static void test_readers_see_whole_revisions_while_slots_are_reused(void **state)
{
    (void)state;
    struct shared sh = {.g = ls_graph_new()};
    struct ls_change_set *cs = ls_change_set_new("churn");
    PUT_NODE(cs, "hub", "hypervisor", "hub");
    assert_int_equal(apply_set(sh.g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    put_batch(sh.g, "i", 0, K);
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&th[i], NULL, reader, &sh);
    char id[32];
    for (int r = 1; r < REVS; r++) { /* one revision: the last K go, K new come */
        cs = ls_change_set_new("churn");
        for (int i = 0; i < K; i++) {
            snprintf(id, sizeof(id), "i%d", (r - 1) * K + i);
            ls_change_del_node(cs, id);
            snprintf(id, sizeof(id), "i%d", r * K + i);
            PUT_NODE(cs, id, "instance", id);
            PUT_EDGE(cs, id, LS_EDGE_RUNS_ON, "hub");
        }
        assert_int_equal(apply_set(sh.g, cs, NULL), LS_OK);
        ls_change_set_free(cs);
    }
    while (atomic_load(&sh.checks) < 1000)
        ;
    atomic_store(&sh.done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&sh.failures), 0);
    struct graph_slot_stats st;
    graph_slot_stats(sh.g, &st);
    assert_true(st.rounds > 0); /* slots were reused under the readers */
    assert_true(st.nslots < (uint32_t)(REVS * K) / 2);
    ls_graph_free(sh.g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_held_revision_sees_the_deleted_node_while_its_slots_are_reused),
        cmocka_unit_test(test_readers_see_whole_revisions_while_slots_are_reused),
    };
    return cmocka_run_group_tests_name("model/reuse", tests, NULL, NULL);
}
