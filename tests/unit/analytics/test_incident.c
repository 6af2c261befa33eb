/* analytics/incident: grouping of anomalous nodes connected in the graph and close in time,
 * the lifecycle (open, update, merge, resolve after the hold time), cause ranking and paths,
 * determinism and restoring from the stored state. */
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
#include "analytics/incident.h"
#include "analytics/incident_walk.h"
#include "model/change.h"

#define SEC (INT64_C(1000000))
#define MIN (60 * SEC)
#define T0  (INT64_C(1700000000) * SEC)

/* rack contains m1, m2; vm1, vm2 run_on m1; vm3 runs_on m2; p1 attached_to vm1, member_of
 * net; p3 attached_to vm3, member_of net; svc uses vm2 (not an incident edge).
 * vm1 - vm3: vm1 m1 rack m2 vm3 = 4 hops (apart with max_hops 3). */
static int setup(void **state)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    PUT_NODE(cs, "rack", "rack", "rack");
    PUT_NODE(cs, "m1", "machine", "m1");
    PUT_NODE(cs, "m2", "machine", "m2");
    PUT_NODE(cs, "vm1", "instance", "vm1");
    PUT_NODE(cs, "vm2", "instance", "vm2");
    PUT_NODE(cs, "vm3", "instance", "vm3");
    PUT_NODE(cs, "p1", "port", "p1");
    PUT_NODE(cs, "p3", "port", "p3");
    PUT_NODE(cs, "net", "network", "net");
    PUT_NODE(cs, "svc", "service", "svc");
    PUT_EDGE(cs, "rack", LS_EDGE_CONTAINS, "m1");
    PUT_EDGE(cs, "rack", LS_EDGE_CONTAINS, "m2");
    PUT_EDGE(cs, "vm1", LS_EDGE_RUNS_ON, "m1");
    PUT_EDGE(cs, "vm2", LS_EDGE_RUNS_ON, "m1");
    PUT_EDGE(cs, "vm3", LS_EDGE_RUNS_ON, "m2");
    PUT_EDGE(cs, "p1", LS_EDGE_ATTACHED_TO, "vm1");
    PUT_EDGE(cs, "p1", LS_EDGE_MEMBER_OF, "net");
    PUT_EDGE(cs, "p3", LS_EDGE_ATTACHED_TO, "vm3");
    PUT_EDGE(cs, "p3", LS_EDGE_MEMBER_OF, "net");
    PUT_EDGE(cs, "svc", LS_EDGE_USES, "vm2");
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

struct run {
    struct ls_graph *g;
    struct ls_incidents *e;
    json_t *changes; /* of the last step */
};

static void run_init(struct run *r, void **state, int64_t last_id)
{
    struct ls_incident_params p;
    ls_incident_params_default(&p);
    r->g = *state;
    r->e = ls_incidents_new(&p, last_id);
    r->changes = NULL;
}

static void run_cleanup(struct run *r)
{
    json_decref(r->changes);
    ls_incidents_free(r->e);
}

/* The metric every observation names: a symptom unless a test says otherwise (causes are
 * ranked by kind of metric: analytics/rca.h). */
static const char *obs_metric = "latency.p99";

/* One step of observations given whole (value and expected range included); returns the
 * changes (borrowed). */
static json_t *step_obs(struct run *r, int64_t now, const struct ls_incident_obs *obs, size_t n)
{
    json_decref(r->changes);
    struct ls_snap *s = ls_graph_snap(r->g);
    struct ls_err err = {0};
    assert_int_equal(ls_incidents_step(r->e, s, obs, n, now, &r->changes, &err), LS_OK);
    ls_snap_release(s);
    return r->changes;
}

/* One step with the nodes named in ids (NULL-terminated) red at score 0.9, except that a node
 * written "id=0.5" gets that score (yellow below 0.82). Each observed metric rose, unless the
 * node is written "-id" (it fell). Returns the changes (borrowed). */
static json_t *step(struct run *r, int64_t now, const char *const *ids)
{
    struct ls_incident_obs obs[16];
    char names[16][32];
    size_t n = 0;
    for (; ids && ids[n]; n++) {
        const char *id = ids[n][0] == '-' ? ids[n] + 1 : ids[n];
        const char *eq = strchr(id, '=');
        size_t len = eq ? (size_t)(eq - id) : strlen(id);
        memcpy(names[n], id, len);
        names[n][len] = 0;
        double score = eq ? strtod(eq + 1, NULL) : 0.9;
        obs[n] =
            (struct ls_incident_obs){.id = names[n],
                                     .colour = score >= 0.82 ? LS_COLOUR_RED : LS_COLOUR_YELLOW,
                                     .score = score,
                                     .metric = obs_metric,
                                     .went = id == ids[n] ? 1 : -1};
    }
    return step_obs(r, now, obs, n);
}

static const char *change_kind(json_t *changes, size_t i)
{
    return json_string_value(json_object_get(json_array_get(changes, i), "change"));
}

static json_t *incident_of(json_t *changes, size_t i)
{
    return json_object_get(json_array_get(changes, i), "incident");
}

/* The ids of a JSON array of strings joined by commas. */
static const char *ids(json_t *a)
{
    static char buf[512];
    size_t len = 0, i;
    json_t *v;
    buf[0] = 0;
    json_array_foreach(a, i, v)
    {
        int k = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "", json_string_value(v));
        assert_true(k > 0 && (size_t)k < sizeof(buf) - len);
        len += (size_t)k;
    }
    return buf;
}

/* A host and the two VMs on it turn red together: one incident, the host ranked first with
 * the path to both VMs; the VMs below it. */
static void test_host_and_its_vms_are_one_incident_with_the_host_first(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    json_t *c = step(&r, T0, (const char *[]){"vm2", "m1", "vm1", NULL});
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(change_kind(c, 0), "opened");
    json_t *inc = incident_of(c, 0);
    assert_int_equal(json_integer_value(json_object_get(inc, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(inc, "state")), "open");
    assert_string_equal(ids(json_object_get(inc, "nodes")), "m1,vm1,vm2");
    assert_true(json_is_null(json_object_get(inc, "resolved_at")));
    json_t *causes = json_object_get(inc, "causes");
    assert_true(json_array_size(causes) >= 1);
    json_t *first = json_array_get(causes, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "m1");
    /* rca's path: from the cause to the farthest symptom it explains */
    assert_string_equal(ids(json_object_get(first, "path")), "m1,vm1");
    for (size_t i = 1; i < json_array_size(causes); i++)
        assert_true(json_real_value(json_object_get(first, "score")) >
                    json_real_value(json_object_get(json_array_get(causes, i), "score")));
    assert_non_null(strstr(json_string_value(json_object_get(first, "reason")), "latency.p99"));
    assert_int_equal(ls_incidents_open_count(r.e), 1);
    run_cleanup(&r);
}

/* The same three red on CPU: the host's CPU is what its VMs ask of it, so a VM is the first
 * cause and the host is explained by it. */
static void test_host_and_vms_red_on_cpu_name_a_vm_first(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    obs_metric = "cpu.util";
    json_t *c = step(&r, T0, (const char *[]){"vm2", "m1", "vm1", NULL});
    obs_metric = "latency.p99";
    assert_int_equal(json_array_size(c), 1);
    json_t *causes = json_object_get(incident_of(c, 0), "causes");
    assert_true(json_array_size(causes) >= 1);
    const char *first = json_string_value(json_object_get(json_array_get(causes, 0), "id"));
    assert_true(strcmp(first, "vm1") == 0 || strcmp(first, "vm2") == 0);
    run_cleanup(&r);
}

/* The host's CPU rose while its VMs' CPU fell (starved, not asking more): a fall in load is
 * no rise to explain the host by, so the host is the first cause. */
static void test_vms_whose_cpu_fell_do_not_explain_their_hosts_rise(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    obs_metric = "cpu.util";
    json_t *c = step(&r, T0, (const char *[]){"-vm2", "m1", "-vm1", NULL});
    obs_metric = "latency.p99";
    assert_int_equal(json_array_size(c), 1);
    json_t *causes = json_object_get(incident_of(c, 0), "causes");
    assert_true(json_array_size(causes) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(causes, 0), "id")), "m1");
    run_cleanup(&r);
}

/* Anomalies 4 hops apart (vm1 and vm3 through the rack) are two incidents; a `uses` edge does
 * not connect (svc uses vm2). */
static void test_nodes_beyond_max_hops_or_over_uses_are_separate_incidents(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    json_t *c = step(&r, T0, (const char *[]){"vm1", "vm3", "svc", NULL});
    assert_int_equal(json_array_size(c), 3);
    assert_string_equal(ids(json_object_get(incident_of(c, 0), "nodes")), "svc");
    assert_string_equal(ids(json_object_get(incident_of(c, 1), "nodes")), "vm1");
    assert_string_equal(ids(json_object_get(incident_of(c, 2), "nodes")), "vm3");
    run_cleanup(&r);
}

/* p1 and p3 are members of net: one incident while net is a small network; once net has more
 * than LS_WALK_HUB_DEGREE ports it is a hub the walk does not pass through, and they are two. */
static void test_a_hub_does_not_join_what_it_touches(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    json_t *c = step(&r, T0, (const char *[]){"p1", "p3", NULL});
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(ids(json_object_get(incident_of(c, 0), "nodes")), "p1,p3");
    run_cleanup(&r);

    struct ls_change_set *cs = ls_change_set_new("test");
    for (int i = 0; i < LS_WALK_HUB_DEGREE; i++) {
        char id[16];
        snprintf(id, sizeof id, "px%d", i);
        PUT_NODE(cs, id, "port", id);
        PUT_EDGE(cs, id, LS_EDGE_MEMBER_OF, "net");
    }
    assert_int_equal(apply_set(*state, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    run_init(&r, state, 0);
    c = step(&r, T0, (const char *[]){"p1", "p3", NULL});
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(ids(json_object_get(incident_of(c, 0), "nodes")), "p1");
    assert_string_equal(ids(json_object_get(incident_of(c, 1), "nodes")), "p3");
    run_cleanup(&r);
}

static const char *first_cause_of(json_t *changes)
{
    json_t *causes = json_object_get(incident_of(changes, 0), "causes");
    return json_string_value(json_object_get(json_array_get(causes, 0), "id"));
}

#define CPU_OBS(node, col, sc, v, l, h)                                                            \
    {                                                                                              \
        .id = (node), .colour = (col), .score = (sc), .metric = "cpu_util", .went = 1,             \
        .value = (v), .lo = (l), .hi = (h)                                                         \
    }

/* A noisy neighbour as the demo shows it: vm2 hogs its host and turns red at four times its
 * CPU; half a minute later its detector has taken the new level as normal (yellow,
 * still_shifted, with the range it left), while vm1 beside it and the host turn red at about
 * twice theirs. vm2 stays the first cause: a member keeps its worst observation, and of
 * members red alike the one farther from its normal leads. An engine restored from the stored
 * state goes on the same. */
static void test_the_vm_that_went_farthest_stays_the_cause_after_its_detector_adapts(void **state)
{
    struct run a, b;
    run_init(&a, state, 0);
    const struct ls_incident_obs first[] = {CPU_OBS("vm2", LS_COLOUR_RED, 1, 250, 52, 78)};
    json_t *c = step_obs(&a, T0, first, 1);
    assert_string_equal(change_kind(c, 0), "opened");
    const struct ls_incident_obs later[] = {
        CPU_OBS("m1", LS_COLOUR_RED, 1, 80, 30, 50),
        CPU_OBS("vm1", LS_COLOUR_RED, 1, 96, 18, 51),
        CPU_OBS("vm2", LS_COLOUR_YELLOW, 0.5, 262, 52, 78),
    };
    c = step_obs(&a, T0 + 30 * SEC, later, 3);
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(ids(json_object_get(incident_of(c, 0), "nodes")), "m1,vm1,vm2");
    assert_string_equal(first_cause_of(c), "vm2");

    /* the stored state keeps the worst observation, value and range included */
    json_t *st = json_object_get(json_array_get(c, 0), "state");
    json_t *vm2 = json_array_get(json_object_get(st, "members"), 2);
    assert_string_equal(json_string_value(json_object_get(vm2, "id")), "vm2");
    assert_true(json_number_value(json_object_get(vm2, "score")) == 1.0);
    assert_true(json_number_value(json_object_get(vm2, "value")) == 250.0);
    assert_true(json_number_value(json_array_get(json_object_get(vm2, "expected"), 1)) == 78.0);
    run_init(&b, state, 1);
    struct ls_err err = {0};
    char *text = json_dumps(st, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    assert_int_equal(ls_incidents_restore(b.e, back, &err), LS_OK);
    json_decref(back);
    free(text);
    /* a port of vm1 turns red: both re-rank the same, vm2 first */
    const struct ls_incident_obs port[] = {CPU_OBS("p1", LS_COLOUR_RED, 0.9, 40, 10, 20)};
    json_t *x = json_deep_copy(step_obs(&a, T0 + MIN, port, 1));
    json_t *y = step_obs(&b, T0 + MIN, port, 1);
    assert_true(json_equal(x, y));
    assert_string_equal(first_cause_of(y), "vm2");
    json_decref(x);
    run_cleanup(&a);
    run_cleanup(&b);
}

/* A node that turns red later joins the open incident of a neighbour (update, causes
 * re-ranked); a quiet step changes nothing. */
static void test_a_neighbour_turning_red_later_joins_and_causes_are_reranked(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    step(&r, T0, (const char *[]){"vm1", NULL});
    json_t *c = step(&r, T0 + MIN, (const char *[]){"vm1", NULL});
    assert_int_equal(json_array_size(c), 0);
    c = step(&r, T0 + 2 * MIN, (const char *[]){"vm1", "m1", NULL});
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(change_kind(c, 0), "updated");
    json_t *inc = incident_of(c, 0);
    assert_int_equal(json_integer_value(json_object_get(inc, "id")), 1);
    assert_int_equal(json_integer_value(json_object_get(inc, "revision")), 2);
    assert_string_equal(ids(json_object_get(inc, "nodes")), "m1,vm1");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(inc, "causes"), 0), "id")),
        "m1");
    run_cleanup(&r);
}

/* Close in time: a member that has been green longer than the window attracts nobody; the
 * new anomaly next to it opens its own incident. */
static void test_a_member_quiet_longer_than_the_window_does_not_attract(void **state)
{
    struct run r;
    struct ls_incident_params p;
    ls_incident_params_default(&p);
    p.window_us = 2 * MIN;
    p.hold_us = 60 * MIN;
    r.g = *state;
    r.e = ls_incidents_new(&p, 0);
    r.changes = NULL;
    step(&r, T0, (const char *[]){"vm1", NULL});
    step(&r, T0 + 3 * MIN, NULL); /* vm1 green for 3 min > window */
    json_t *c = step(&r, T0 + 4 * MIN, (const char *[]){"vm2", NULL});
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(change_kind(c, 0), "opened");
    assert_int_equal(json_integer_value(json_object_get(incident_of(c, 0), "id")), 2);
    assert_int_equal(ls_incidents_open_count(r.e), 2);
    run_cleanup(&r);
}

/* Resolution: all members green or grey for the hold time (5 min on the data's clock). */
static void test_resolves_after_the_hold_time_of_quiet(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    step(&r, T0, (const char *[]){"m1", "vm1", NULL});
    step(&r, T0 + MIN, (const char *[]){"vm1=0.6", NULL}); /* yellow still counts */
    json_t *c = step(&r, T0 + MIN + 5 * MIN - 1, NULL);
    assert_int_equal(json_array_size(c), 0);
    c = step(&r, T0 + MIN + 5 * MIN, NULL);
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(change_kind(c, 0), "resolved");
    json_t *inc = incident_of(c, 0);
    assert_string_equal(json_string_value(json_object_get(inc, "state")), "resolved");
    assert_string_equal(json_string_value(json_object_get(inc, "resolved_at")),
                        json_string_value(json_object_get(inc, "updated_at")));
    assert_string_equal(ids(json_object_get(inc, "nodes")), "m1,vm1");
    assert_int_equal(ls_incidents_open_count(r.e), 0);
    /* the same nodes red again: a new incident */
    c = step(&r, T0 + 20 * MIN, (const char *[]){"vm1", NULL});
    assert_string_equal(change_kind(c, 0), "opened");
    assert_int_equal(json_integer_value(json_object_get(incident_of(c, 0), "id")), 2);
    run_cleanup(&r);
}

/* Two incidents that become connected merge: the older one (lower id) survives with all the
 * nodes; the other resolves with merged_into. */
static void test_two_incidents_connected_by_a_new_anomaly_merge_into_the_older(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    step(&r, T0, (const char *[]){"vm3", NULL});
    step(&r, T0 + MIN, (const char *[]){"vm3", "vm1", NULL});
    assert_int_equal(ls_incidents_open_count(r.e), 2);
    json_t *c = step(&r, T0 + 2 * MIN, (const char *[]){"rack", "vm1", NULL});
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(change_kind(c, 0), "updated");
    json_t *kept = incident_of(c, 0);
    assert_int_equal(json_integer_value(json_object_get(kept, "id")), 1);
    assert_string_equal(ids(json_object_get(kept, "nodes")), "rack,vm1,vm3");
    assert_string_equal(change_kind(c, 1), "resolved");
    json_t *gone = incident_of(c, 1);
    assert_int_equal(json_integer_value(json_object_get(gone, "id")), 2);
    assert_int_equal(json_integer_value(json_object_get(gone, "merged_into")), 1);
    assert_int_equal(ls_incidents_open_count(r.e), 1);
    /* the rack explains both VMs: first cause, its path through a machine to a VM */
    json_t *first = json_array_get(json_object_get(kept, "causes"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "rack");
    assert_string_equal(ids(json_object_get(first, "path")), "rack,m1,vm1");
    run_cleanup(&r);
}

/* Split policy: an incident is never split; when the edge joining its nodes goes away it
 * stays one incident until it resolves. */
static void test_an_incident_is_not_split_when_its_nodes_disconnect(void **state)
{
    struct run r;
    run_init(&r, state, 0);
    step(&r, T0, (const char *[]){"vm1", "vm2", NULL});
    struct ls_change_set *cs = ls_change_set_new("test");
    ls_change_del_edge(cs, "vm2", LS_EDGE_RUNS_ON, "m1");
    assert_int_equal(apply_set(r.g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    json_t *c = step(&r, T0 + MIN, (const char *[]){"vm1", "vm2", NULL});
    assert_int_equal(json_array_size(c), 0);
    assert_int_equal(ls_incidents_open_count(r.e), 1);
    run_cleanup(&r);
}

/* The same observations (in any order) give the same documents; time may not go back. */
static void test_steps_are_deterministic_and_time_only_moves_on(void **state)
{
    struct run a, b;
    run_init(&a, state, 0);
    run_init(&b, state, 0);
    json_t *ca = json_deep_copy(step(&a, T0, (const char *[]){"vm1", "m1", "vm3", NULL}));
    json_t *cb = step(&b, T0, (const char *[]){"vm3", "m1", "vm1", "vm1=0.5", NULL});
    assert_true(json_equal(ca, cb));
    json_decref(ca);
    struct ls_snap *s = ls_graph_snap(a.g);
    json_t *out = NULL;
    struct ls_err err = {0};
    assert_int_equal(ls_incidents_step(a.e, s, NULL, 0, T0 - 1, &out, &err), LS_EINVAL);
    assert_null(out);
    ls_snap_release(s);
    run_cleanup(&a);
    run_cleanup(&b);
}

/* After a restart: the stored state restores an engine that goes on exactly as the one that
 * never stopped (same causes — the way each member's metric went is kept —, same resolution
 * time, same ids afterwards). */
static void test_a_restored_engine_continues_like_the_original(void **state)
{
    struct run a, b;
    run_init(&a, state, 0);
    obs_metric = "cpu.util"; /* vm1's CPU fell: m1 is the cause, also after the restore */
    json_t *c = step(&a, T0, (const char *[]){"-vm1", "m1", NULL});
    json_t *st = json_incref(json_object_get(json_array_get(c, 0), "state"));
    run_init(&b, state, 1);
    struct ls_err err = {0};
    /* a stored state goes through its JSON text, as Postgres keeps it */
    char *text = json_dumps(st, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    assert_int_equal(ls_incidents_restore(b.e, back, &err), LS_OK);
    assert_int_equal(ls_incidents_restore(b.e, back, &err), LS_ECONFLICT);
    json_t *bad = json_pack("{s:s}", "id", "x");
    assert_int_equal(ls_incidents_restore(b.e, bad, &err), LS_EINVAL);
    json_decref(bad);
    json_decref(back);
    free(text);
    json_decref(st);
    const char *const *later[] = {(const char *[]){"vm2", NULL}, NULL, NULL,
                                  (const char *[]){"vm3", NULL}};
    int64_t times[] = {T0 + MIN, T0 + 3 * MIN, T0 + 6 * MIN, T0 + 7 * MIN};
    for (size_t i = 0; i < 4; i++) {
        json_t *x = json_deep_copy(step(&a, times[i], later[i]));
        json_t *y = step(&b, times[i], later[i]);
        assert_true(json_equal(x, y));
        json_decref(x);
    }
    obs_metric = "latency.p99";
    /* vm2 joined #1; #1 resolved at +6 min; vm3 opened #2 */
    assert_int_equal(ls_incidents_last_id(b.e), 2);
    assert_int_equal(ls_incidents_open_count(b.e), 1);
    run_cleanup(&a);
    run_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host_and_its_vms_are_one_incident_with_the_host_first,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_and_vms_red_on_cpu_name_a_vm_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vms_whose_cpu_fell_do_not_explain_their_hosts_rise,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_nodes_beyond_max_hops_or_over_uses_are_separate_incidents, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_the_vm_that_went_farthest_stays_the_cause_after_its_detector_adapts, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_a_neighbour_turning_red_later_joins_and_causes_are_reranked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_member_quiet_longer_than_the_window_does_not_attract,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolves_after_the_hold_time_of_quiet, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_two_incidents_connected_by_a_new_anomaly_merge_into_the_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_incident_is_not_split_when_its_nodes_disconnect,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_steps_are_deterministic_and_time_only_moves_on, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_hub_does_not_join_what_it_touches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_restored_engine_continues_like_the_original, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("analytics/incident", tests, NULL, NULL);
}
