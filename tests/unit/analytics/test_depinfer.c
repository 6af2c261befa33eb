/* analytics/depinfer: the span join (either arrival order, duplicates, the window, the ring's
 * bound), the edges it writes through change sets (new services, counts, latency), an
 * operator's verdict kept across re-inference (rejected stays rejected, confirmed survives
 * fading), metric evidence, and structural deviation (new and vanished targets). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analytics/depinfer.h"
#include "model/types.h"
#include "tests/unit/model/helpers.h"

#define SEC (INT64_C(1000000))
#define T0  (INT64_C(1700000000) * SEC)

/* Trace number t, span number s, as hex ids. */
static void ids(int t, int s, char trace[33], char span[17])
{
    snprintf(trace, 33, "%032x", t + 1);
    snprintf(span, 17, "%016x", s + 1);
}

/* Feeds one span of service svc in trace t: span s, child of span parent (-1: root), starting
 * at `at` and lasting dur_ms. */
static int feed(struct ls_depinfer *d,
                int t,
                int s,
                int parent,
                const char *svc,
                int64_t at,
                int dur_ms,
                bool error)
{
    char trace[33], span[17], ptrace[33], pspan[17] = "";
    ids(t, s, trace, span);
    if (parent >= 0)
        ids(t, parent, ptrace, pspan);
    struct ls_dep_span x = {trace, span, pspan, svc, NULL, at, at + dur_ms * 1000, error};
    return ls_depinfer_add_span(d, &x, NULL);
}

/* Runs one re-inference pass against g and applies it; returns the number of changes. */
static size_t infer(struct ls_depinfer *d, struct ls_graph *g)
{
    struct ls_change_set *cs = ls_change_set_new("depinfer");
    struct ls_snap *s = ls_graph_snap(g);
    size_t n = 0;
    assert_int_equal(ls_depinfer_changes(d, s, NULL, cs, &n, NULL), LS_OK);
    ls_snap_release(s);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    return n;
}

static const struct ls_edge *
edge(struct ls_graph *g, struct ls_snap **s, const char *a, const char *b)
{
    *s = ls_graph_snap(g);
    char src[128], dst[128];
    snprintf(src, sizeof(src), "otel:service:%s", a);
    snprintf(dst, sizeof(dst), "otel:service:%s", b);
    return ls_snap_edge(*s, src, LS_EDGE_DEPENDS_ON, dst);
}

static json_int_t attr_int(const struct ls_edge *e, const char *k)
{
    return json_integer_value(json_object_get(e->attrs, k));
}

/* Trace 0: the child arrives before its parent; trace 1: the parent first. Both join, a
 * duplicate counts nothing, and the pass writes the services and an inferred edge with the
 * counts, the error and the callee's latency. */
static void test_child_and_parent_join_in_either_order(void **state)
{
    (void)state;
    struct ls_depinfer *d = ls_depinfer_new(NULL);
    struct ls_graph *g = ls_graph_new();
    assert_int_equal(feed(d, 0, 1, 0, "cart", T0 + 1000, 20, false), LS_OK);
    assert_int_equal(feed(d, 0, 0, -1, "frontend", T0, 50, false), LS_OK);
    assert_int_equal(feed(d, 1, 0, -1, "frontend", T0 + SEC, 50, false), LS_OK);
    assert_int_equal(feed(d, 1, 1, 0, "cart", T0 + SEC + 1000, 40, true), LS_OK);
    assert_int_equal(feed(d, 1, 1, 0, "cart", T0 + SEC + 1000, 40, true), LS_OK); /* again */
    assert_int_equal(infer(d, g), 3); /* two services, one edge */
    struct ls_snap *s;
    const struct ls_edge *e = edge(g, &s, "frontend", "cart");
    assert_non_null(e);
    assert_int_equal(e->esource, LS_ESRC_INFERRED);
    assert_int_equal(attr_int(e, "calls"), 2);
    assert_int_equal(attr_int(e, "errors"), 1);
    assert_float_equal(json_real_value(json_object_get(e->attrs, "latency_ms")), 30.0, 1e-9);
    assert_string_equal(json_string_value(json_object_get(e->attrs, "evidence")), "traces");
    assert_true(json_real_value(json_object_get(e->attrs, "strength")) > 0.7);
    ls_snap_release(s);
    assert_null(edge(g, &s, "cart", "frontend") ? (void *)1 : NULL);
    ls_snap_release(s);
    const struct ls_node *n = NULL;
    s = ls_graph_snap(g);
    n = ls_snap_node(s, "otel:service:cart");
    assert_non_null(n);
    assert_string_equal(n->type, "service");
    ls_snap_release(s);
    /* nothing new: nothing to write */
    assert_int_equal(infer(d, g), 0);
    ls_graph_free(g);
    ls_depinfer_free(d);
}

/* Spans of one service (internal spans) and spans farther apart than the window give no
 * edge; a client span's peer.service does. */
static void test_same_service_far_apart_and_peer_service(void **state)
{
    (void)state;
    struct ls_depinfer_params p;
    ls_depinfer_params_default(&p);
    p.window_us = 10 * SEC;
    struct ls_depinfer *d = ls_depinfer_new(&p);
    struct ls_graph *g = ls_graph_new();
    assert_int_equal(feed(d, 0, 0, -1, "api", T0, 5, false), LS_OK);
    assert_int_equal(feed(d, 0, 1, 0, "api", T0 + 1, 5, false), LS_OK);
    /* a child 60 s after its parent ended: the parent is out of the window */
    assert_int_equal(feed(d, 1, 0, -1, "api", T0, 5, false), LS_OK);
    assert_int_equal(feed(d, 1, 1, 0, "db", T0 + 60 * SEC, 5, false), LS_OK);
    char trace[33], span[17];
    ids(2, 0, trace, span);
    struct ls_dep_span c = {trace,         span,          "",   "api", "postgres",
                            T0 + 61 * SEC, T0 + 62 * SEC, false};
    assert_int_equal(ls_depinfer_add_span(d, &c, NULL), LS_OK);
    infer(d, g);
    struct ls_snap *s;
    assert_null(edge(g, &s, "api", "db") ? (void *)1 : NULL);
    ls_snap_release(s);
    const struct ls_edge *e = edge(g, &s, "api", "postgres");
    assert_non_null(e);
    assert_int_equal(attr_int(e, "calls"), 1);
    ls_snap_release(s);
    ls_graph_free(g);
    ls_depinfer_free(d);
}

/* The ring holds max_spans: a parent pushed out by 40 later spans is not found. */
static void test_the_ring_bounds_what_waits(void **state)
{
    (void)state;
    struct ls_depinfer_params p;
    ls_depinfer_params_default(&p);
    p.max_spans = 16;
    struct ls_depinfer *d = ls_depinfer_new(&p);
    struct ls_graph *g = ls_graph_new();
    assert_int_equal(feed(d, 0, 0, -1, "a", T0, 5, false), LS_OK);
    for (int i = 0; i < 40; i++)
        assert_int_equal(feed(d, 100 + i, 0, -1, "noise", T0 + i, 1, false), LS_OK);
    assert_int_equal(feed(d, 0, 1, 0, "b", T0 + 50, 5, false), LS_OK);
    assert_int_equal(infer(d, g), 0);
    /* a parent still held joins */
    assert_int_equal(feed(d, 200, 0, -1, "a", T0 + 60, 5, false), LS_OK);
    assert_int_equal(feed(d, 200, 1, 0, "b", T0 + 61, 5, false), LS_OK);
    assert_int_equal(infer(d, g), 3);
    ls_graph_free(g);
    ls_depinfer_free(d);
}

/* Marks the edge a -> b with attrs.status as an operator's PATCH does. */
static void verdict(struct ls_graph *g, const char *a, const char *b, const char *status)
{
    char src[128], dst[128];
    snprintf(src, sizeof(src), "otel:service:%s", a);
    snprintf(dst, sizeof(dst), "otel:service:%s", b);
    struct ls_change_set *cs = ls_change_set_new("api");
    assert_int_equal(ls_change_patch_edge_new(cs, src, LS_EDGE_DEPENDS_ON, dst,
                                              json_pack("{s:s}", "status", status), NAN, NULL),
                     LS_OK);
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
}

/* A rejected edge is not rewritten by later evidence (its counts stay as rejected); a
 * confirmed one outlives the fade while an unconfirmed one fades away. */
static void test_rejected_stays_rejected_and_confirmed_outlives_the_fade(void **state)
{
    (void)state;
    struct ls_depinfer_params p;
    ls_depinfer_params_default(&p);
    p.write_every_us = 0;
    p.fade_us = 100 * SEC;
    struct ls_depinfer *d = ls_depinfer_new(&p);
    struct ls_graph *g = ls_graph_new();
    feed(d, 0, 0, -1, "web", T0, 5, false);
    feed(d, 0, 1, 0, "auth", T0 + 1, 2, false);
    feed(d, 0, 2, 0, "cache", T0 + 2, 2, false);
    feed(d, 0, 3, 0, "mail", T0 + 3, 2, false);
    assert_int_equal(infer(d, g), 7);
    verdict(g, "web", "auth", "rejected");
    verdict(g, "web", "cache", "confirmed");
    /* more calls: auth's edge is left alone; cache's is updated and keeps its status */
    feed(d, 1, 0, -1, "web", T0 + 10 * SEC, 5, false);
    feed(d, 1, 1, 0, "auth", T0 + 10 * SEC, 2, false);
    feed(d, 1, 2, 0, "cache", T0 + 10 * SEC, 2, false);
    assert_int_equal(infer(d, g), 1);
    struct ls_snap *s;
    const struct ls_edge *e = edge(g, &s, "web", "auth");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e->attrs, "status")), "rejected");
    assert_int_equal(attr_int(e, "calls"), 1);
    ls_snap_release(s);
    e = edge(g, &s, "web", "cache");
    assert_int_equal(attr_int(e, "calls"), 2);
    assert_string_equal(json_string_value(json_object_get(e->attrs, "status")), "confirmed");
    ls_snap_release(s);
    /* time moves on with other traffic: mail's edge fades, cache's (confirmed) and auth's
     * (rejected: the operator's verdict is kept) stay */
    feed(d, 2, 0, -1, "x", T0 + 1000 * SEC, 5, false);
    feed(d, 2, 1, 0, "y", T0 + 1000 * SEC, 2, false);
    infer(d, g);
    assert_null(edge(g, &s, "web", "mail") ? (void *)1 : NULL);
    ls_snap_release(s);
    assert_non_null(edge(g, &s, "web", "cache"));
    ls_snap_release(s);
    assert_non_null(edge(g, &s, "web", "auth"));
    ls_snap_release(s);
    ls_graph_free(g);
    ls_depinfer_free(d);
}

/* An edge someone else owns (a manual one) is not taken over. */
static void test_a_manual_edge_is_left_alone(void **state)
{
    (void)state;
    struct ls_depinfer *d = ls_depinfer_new(NULL);
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("api");
    PUT_NODE(cs, "svc-a", "service", "a");
    PUT_NODE(cs, "svc-b", "service", "b");
    PUT_EDGE(cs, "svc-a", LS_EDGE_DEPENDS_ON, "svc-b");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    feed(d, 0, 0, -1, "svc-a", T0, 5, false);
    feed(d, 0, 1, 0, "svc-b", T0 + 1, 2, false);
    assert_int_equal(infer(d, g), 0);
    ls_graph_free(g);
    ls_depinfer_free(d);
}

/* Bad ids, no service, end before start, bad metric evidence: refused. */
static void test_bad_spans_and_evidence_are_refused(void **state)
{
    (void)state;
    struct ls_depinfer *d = ls_depinfer_new(NULL);
    struct ls_err err;
    struct ls_dep_span x = {"abc", "0000000000000001", "", "a", NULL, T0, T0 + 1, false};
    assert_int_equal(ls_depinfer_add_span(d, &x, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_span");
    x.trace_id = "0000000000000000000000000000000g";
    assert_int_equal(ls_depinfer_add_span(d, &x, &err), LS_EINVAL);
    x.trace_id = "00000000000000000000000000000001";
    x.service = "";
    assert_int_equal(ls_depinfer_add_span(d, &x, &err), LS_EINVAL);
    x.service = "a";
    x.end_us = T0 - 1;
    assert_int_equal(ls_depinfer_add_span(d, &x, &err), LS_EINVAL);
    assert_int_equal(ls_depinfer_add_metric_evidence(d, "a", "a", 0.5, 0, T0, &err), LS_EINVAL);
    assert_int_equal(ls_depinfer_add_metric_evidence(d, "a", "b", 1.5, 0, T0, &err), LS_EINVAL);
    assert_int_equal(ls_depinfer_add_metric_evidence(d, "a", "b", NAN, 0, T0, &err), LS_EINVAL);
    assert_int_equal(ls_depinfer_now(d), 0);
    ls_depinfer_free(d);
}

/* Metric evidence makes an edge with its strength and lag, on node ids that exist. */
static void test_metric_evidence_makes_an_edge_between_nodes(void **state)
{
    (void)state;
    struct ls_depinfer *d = ls_depinfer_new(NULL);
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("api");
    PUT_NODE(cs, "svc-a", "service", "a");
    PUT_NODE(cs, "svc-b", "service", "b");
    assert_int_equal(apply_set(g, cs, NULL), LS_OK);
    ls_change_set_free(cs);
    assert_int_equal(ls_depinfer_add_metric_evidence(d, "svc-a", "svc-b", 0.85, 60, T0, NULL),
                     LS_OK);
    assert_int_equal(infer(d, g), 1);
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_edge *e = ls_snap_edge(s, "svc-a", LS_EDGE_DEPENDS_ON, "svc-b");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e->attrs, "evidence")), "metrics");
    assert_float_equal(json_real_value(json_object_get(e->attrs, "lag_s")), 60.0, 1e-9);
    assert_float_equal(e->weight, 0.85, 1e-9);
    assert_null(json_object_get(e->attrs, "calls"));
    ls_snap_release(s);
    ls_graph_free(g);
    ls_depinfer_free(d);
}

static json_t *reason_of(json_t *devs, const char *id, const char *target)
{
    size_t i, j;
    json_t *o, *r;
    json_array_foreach(devs, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "id")), id))
            continue;
        json_array_foreach(json_object_get(o, "reasons"), j, r)
        {
            if (strcmp(json_string_value(json_object_get(r, "target")), target) == 0)
                return r;
        }
    }
    return NULL;
}

/* web learns {auth, db} in its first 600 s; later it calls queue (new) and stops calling db
 * while still calling auth (vanished). During learning nothing is reported. */
static void test_structure_reports_new_and_vanished_targets(void **state)
{
    (void)state;
    struct ls_depinfer *d = ls_depinfer_new(NULL);
    int t = 0;
    for (int64_t at = T0; at < T0 + 500 * SEC; at += 30 * SEC, t++) {
        feed(d, t, 0, -1, "web", at, 5, false);
        feed(d, t, 1, 0, "auth", at, 1, false);
        feed(d, t, 2, 0, "db", at, 1, false);
    }
    json_t *devs = ls_depinfer_deviations_json(d);
    assert_int_equal(json_array_size(devs), 0);
    json_decref(devs);
    for (int64_t at = T0 + 700 * SEC; at < T0 + 1400 * SEC; at += 30 * SEC, t++) {
        feed(d, t, 0, -1, "web", at, 5, false);
        feed(d, t, 1, 0, "auth", at, 1, false);
        feed(d, t, 2, 0, "queue", at, 1, false);
    }
    devs = ls_depinfer_deviations_json(d);
    json_t *r = reason_of(devs, "web", "queue");
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "change")), "new");
    assert_string_equal(json_string_value(json_object_get(r, "detector")), "structure");
    r = reason_of(devs, "web", "db");
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "change")), "vanished");
    assert_null(reason_of(devs, "web", "auth"));
    assert_float_equal(json_real_value(json_object_get(json_array_get(devs, 0), "score")), 0.9,
                       1e-9);
    json_decref(devs);
    ls_depinfer_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_and_parent_join_in_either_order),
        cmocka_unit_test(test_same_service_far_apart_and_peer_service),
        cmocka_unit_test(test_the_ring_bounds_what_waits),
        cmocka_unit_test(test_rejected_stays_rejected_and_confirmed_outlives_the_fade),
        cmocka_unit_test(test_a_manual_edge_is_left_alone),
        cmocka_unit_test(test_bad_spans_and_evidence_are_refused),
        cmocka_unit_test(test_metric_evidence_makes_an_edge_between_nodes),
        cmocka_unit_test(test_structure_reports_new_and_vanished_targets),
    };
    return cmocka_run_group_tests_name("analytics/depinfer", tests, NULL, NULL);
}
