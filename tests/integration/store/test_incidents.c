/* sql/incident.c against a private Postgres, fed by the real engine (analytics/incident):
 * every change saved with its history (one snapshot per revision, nodes with when they
 * joined), documents and pages read back with the state / from / to filters, saving twice
 * harmless, and the open incidents taken back by a new engine that goes on like the first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analytics/incident.h"
#include "model/change.h"
#include "sql/incident.h"
#include "tests/support/pg_harness.h"

#define SEC (INT64_C(1000000))
#define MIN (60 * SEC)
#define T0  (INT64_C(1747094400) * SEC) /* 2025-05-13T00:00:00Z */

/* host h1 with vm1, vm2; host h2 with vm3 (h1 and h2 unconnected) */
static struct ls_graph *graph(void)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    struct ls_err err;
    const char *nodes[][2] = {{"h1", "machine"},
                              {"h2", "machine"},
                              {"vm1", "instance"},
                              {"vm2", "instance"},
                              {"vm3", "instance"}};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ls_change_put_node_new(cs, nodes[i][0], nodes[i][1], nodes[i][0], "active",
                                                NULL, NULL, &err),
                         LS_OK);
    const char *edges[][2] = {{"vm1", "h1"}, {"vm2", "h1"}, {"vm3", "h2"}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ls_change_put_edge_new(cs, edges[i][0], LS_EDGE_RUNS_ON, edges[i][1], NULL,
                                                LS_ESRC_MANUAL, 1.0, &err),
                         LS_OK);
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, T0, &p, &err), LS_OK);
    ls_graph_publish(g, p, 1);
    ls_change_set_free(cs);
    return g;
}

/* One engine step with these red nodes; every change saved. Returns the changes (new). */
static json_t *step_save(struct ls_store *st,
                         struct ls_graph *g,
                         struct ls_incidents *e,
                         int64_t now,
                         const char *const *red)
{
    struct ls_incident_obs obs[8];
    size_t n = 0;
    for (; red && red[n]; n++)
        obs[n] = (struct ls_incident_obs){.id = red[n],
                                          .colour = LS_COLOUR_RED,
                                          .score = 0.9,
                                          .metric = "latency.p99",
                                          .went = 1};
    struct ls_snap *s = ls_graph_snap(g);
    json_t *changes = NULL;
    struct ls_err err = {0};
    assert_int_equal(ls_incidents_step(e, s, obs, n, now, &changes, &err), LS_OK);
    ls_snap_release(s);
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        if (ls_store_incident_save(st, c, &err) != LS_OK)
            fail_msg("save: %s", err.msg);
    }
    return changes;
}

static struct ls_incidents *engine(int64_t last_id)
{
    struct ls_incident_params p;
    ls_incident_params_default(&p);
    return ls_incidents_new(&p, last_id);
}

static json_t *get(struct ls_store *st, int64_t id)
{
    json_t *doc = NULL;
    struct ls_err err;
    if (ls_store_incident_get(st, id, &doc, &err) != LS_OK)
        fail_msg("get %lld: %s", (long long)id, err.msg);
    return doc;
}

static json_t *list(struct ls_store *st, const char *state, int64_t from, int64_t to, bool *more)
{
    struct ls_incident_query q = {state, from, to, 0, 10};
    json_t *a = NULL;
    struct ls_err err;
    bool m;
    if (ls_store_incidents_list(st, &q, &a, more ? more : &m, &err) != LS_OK)
        fail_msg("list: %s", err.msg);
    return a;
}

/* Opened, updated, resolved: the stored document is the engine's last one, the history has
 * one snapshot per revision, and the filters pick the right ones. */
static void test_lifecycle_is_kept_with_its_history(void **state)
{
    (void)state;
    struct ls_store *st = ls_harness_new_store();
    struct ls_graph *g = graph();
    struct ls_incidents *e = engine(0);
    json_decref(step_save(st, g, e, T0, (const char *[]){"vm1", NULL}));
    json_decref(step_save(st, g, e, T0 + MIN, (const char *[]){"vm1", "h1", NULL}));
    json_decref(step_save(st, g, e, T0 + MIN, (const char *[]){"vm3", NULL}));
    json_t *last = step_save(st, g, e, T0 + 10 * MIN, NULL); /* #1 and #2 resolve */
    assert_int_equal(json_array_size(last), 2);

    json_t *doc = get(st, 1);
    assert_true(json_equal(doc, json_object_get(json_array_get(last, 0), "incident")));
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "resolved");
    json_t *first = json_array_get(json_object_get(doc, "causes"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "h1");
    json_decref(doc);

    json_t *h = NULL;
    struct ls_err err;
    assert_int_equal(ls_store_incident_history(st, 1, &h, &err), LS_OK);
    assert_int_equal(json_array_size(h), 3);
    const char *changes[] = {"opened", "updated", "resolved"};
    for (size_t i = 0; i < 3; i++) {
        json_t *rev = json_array_get(h, i);
        assert_int_equal(json_integer_value(json_object_get(rev, "revision")), (json_int_t)i + 1);
        assert_string_equal(json_string_value(json_object_get(rev, "change")), changes[i]);
    }
    assert_int_equal(json_array_size(json_object_get(json_array_get(h, 0), "nodes")), 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(h, 1), "nodes")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "at")),
                        "2025-05-13T00:00:00.000000Z");
    json_decref(h);
    assert_int_equal(ls_store_incident_get(st, 99, &doc, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "incident_not_found");
    assert_int_equal(ls_store_incident_history(st, 99, &h, &err), LS_ENOTFOUND);

    /* a third one, still open */
    json_decref(step_save(st, g, e, T0 + 30 * MIN, (const char *[]){"vm2", NULL}));
    json_t *a = list(st, NULL, 0, 0, NULL);
    assert_int_equal(json_array_size(a), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "id")), 3);
    json_decref(a);
    a = list(st, "open", 0, 0, NULL);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    a = list(st, "resolved", 0, 0, NULL);
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);
    /* from/to: overlap with [opened_at, resolved_at] (#1 and #2 resolved at +10 min) */
    a = list(st, NULL, T0 + 20 * MIN, 0, NULL);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    a = list(st, NULL, 0, T0 + 20 * MIN, NULL);
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);
    a = list(st, NULL, T0 + 10 * MIN, T0 + 10 * MIN, NULL);
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);

    /* pages: newest first, the marker excludes what was seen */
    struct ls_incident_query q = {NULL, 0, 0, 0, 2};
    bool more;
    assert_int_equal(ls_store_incidents_list(st, &q, &a, &more, &err), LS_OK);
    assert_int_equal(json_array_size(a), 2);
    assert_true(more);
    json_decref(a);
    q.before = 2;
    assert_int_equal(ls_store_incidents_list(st, &q, &a, &more, &err), LS_OK);
    assert_int_equal(json_array_size(a), 1);
    assert_false(more);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "id")), 1);
    json_decref(a);

    json_decref(last);
    ls_incidents_free(e);
    ls_graph_free(g);
    ls_store_close(st);
}

/* A restart: the open incidents and the last id come back; a new engine restored from them
 * resolves and numbers like the one that never stopped; saving a change twice (or an older
 * revision after a newer one) leaves the stored document as it is. */
static void test_open_incidents_come_back_after_a_restart(void **state)
{
    (void)state;
    struct ls_store *st = ls_harness_new_store();
    struct ls_graph *g = graph();
    struct ls_incidents *e = engine(0);
    json_t *opened = step_save(st, g, e, T0, (const char *[]){"vm1", "vm3", NULL});
    json_t *later = step_save(st, g, e, T0 + MIN, (const char *[]){"vm1", "vm2", NULL});
    assert_int_equal(json_array_size(later), 1); /* vm2 joined #1 */
    struct ls_err err;
    /* the opened change again: older revision, nothing changes */
    assert_int_equal(ls_store_incident_save(st, json_array_get(opened, 0), &err), LS_OK);
    json_t *doc = get(st, 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "revision")), 2);
    json_decref(doc);
    json_t *bad = json_pack("{s:s}", "change", "opened");
    assert_int_equal(ls_store_incident_save(st, bad, &err), LS_EINVAL);
    json_decref(bad);

    json_t *states = NULL;
    int64_t last_id = -1;
    assert_int_equal(ls_store_incidents_open(st, &states, &last_id, &err), LS_OK);
    assert_int_equal(last_id, 2);
    assert_int_equal(json_array_size(states), 2);
    struct ls_incidents *back = engine(last_id);
    size_t i;
    json_t *s;
    json_array_foreach(states, i, s)
    {
        assert_int_equal(ls_incidents_restore(back, s, &err), LS_OK);
    }
    json_decref(states);
    const int64_t times[] = {T0 + 2 * MIN, T0 + 6 * MIN, T0 + 7 * MIN};
    const char *const *red[] = {(const char *[]){"vm3", NULL}, NULL, (const char *[]){"h1", NULL}};
    for (size_t k = 0; k < 3; k++) {
        json_t *x = step_save(st, g, e, times[k], red[k]);
        json_t *y = step_save(st, g, back, times[k], red[k]);
        assert_true(json_equal(x, y));
        json_decref(x);
        json_decref(y);
    }
    doc = get(st, 1);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "resolved");
    json_decref(doc);
    doc = get(st, 3);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "open");
    json_decref(doc);
    json_decref(opened);
    json_decref(later);
    ls_incidents_free(back);
    ls_incidents_free(e);
    ls_graph_free(g);
    ls_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle_is_kept_with_its_history),
        cmocka_unit_test(test_open_incidents_come_back_after_a_restart),
    };
    return cmocka_run_group_tests_name("integration/store/incidents", tests, ls_harness_group_setup,
                                       ls_harness_group_teardown);
}
