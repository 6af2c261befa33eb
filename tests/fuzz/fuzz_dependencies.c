/* Fuzz target: dependency inference from traces (analytics/depinfer) behind the telemetry
 * decoders, as POST /v1/telemetry and the Kafka consumer feed it (server/dependencies.c
 * ls_dep_feed): the input is decoded (auto-detected), every span goes to ls_depinfer_add_span,
 * then two re-inference passes run over a small landscape and are applied, and the structural
 * deviations are rendered. The landscape's inferred edge frontend -> cart carries, when the
 * input is a JSON object with a member "landscape_edge_attrs" (an object), those attrs — what
 * an operator's PATCH /v1/edges can leave there (status, last_seen, counts of any type), which
 * re-inference reads. Invariants: a refused span names invalid_span or too_many_pairs; a pass
 * either succeeds and its set applies, or fails with a code; every deviation has a string id,
 * a score in [0, 1] and a reasons array. Any breach aborts. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/depinfer.h"
#include "importers/telemetry/decode.h"
#include "model/change.h"
#include "model/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(struct ls_change_set *cs, const char *name)
{
    char id[64];
    snprintf(id, sizeof(id), "otel:service:%s", name);
    if (ls_change_put_node_new(cs, id, "service", name, "up", NULL, NULL, NULL) != LS_OK)
        abort();
}

/* Applies cs to g; false when the graph refuses it (nothing applied). */
static bool apply(struct ls_graph *g, struct ls_change_set *cs)
{
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(g, cs, 1000000, &p, &err) != LS_OK)
        return false;
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    return true;
}

static struct ls_graph *landscape(const uint8_t *data, size_t size)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("fuzz");
    put(cs, "frontend");
    put(cs, "cart");
    put(cs, "postgres");
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    json_t *attrs = json_object_get(doc, "landscape_edge_attrs");
    attrs = json_is_object(attrs) ? json_incref(attrs) : json_pack("{s:s}", "status", "confirmed");
    json_decref(doc);
    if (ls_change_put_edge_new(cs, "otel:service:frontend", LS_EDGE_DEPENDS_ON, "otel:service:cart",
                               attrs, LS_ESRC_INFERRED, 0.5, NULL) != LS_OK)
        abort();
    if (!apply(g, cs))
        abort();
    ls_change_set_free(cs);
    return g;
}

static void check_deviations(json_t *devs)
{
    size_t i;
    json_t *o;
    if (!json_is_array(devs))
        abort();
    json_array_foreach(devs, i, o)
    {
        double score = json_number_value(json_object_get(o, "score"));
        if (!json_is_string(json_object_get(o, "id")) || !(score >= 0 && score <= 1) ||
            !json_is_array(json_object_get(o, "reasons"))) {
            fprintf(stderr, "deviation %zu breaks the contract\n", i);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_tel_batch b;
    struct ls_err err = {0};
    ls_tel_batch_init(&b, 1000);
    b.received_us = 1747140780000000LL;
    if (ls_tel_decode((const char *)data, size, LS_TEL_AUTO, &b, NULL, &err) != LS_OK ||
        b.n_spans == 0) {
        ls_tel_batch_cleanup(&b);
        return 0;
    }
    struct ls_depinfer_params p;
    ls_depinfer_params_default(&p);
    p.write_every_us = 0; /* every pass writes what moved */
    struct ls_depinfer *d = ls_depinfer_new(&p);
    for (size_t i = 0; i < b.n_spans; i++) {
        const struct ls_span *x = &b.spans[i];
        struct ls_dep_span s = {x->trace_id, x->span_id,  x->parent_id, x->service,
                                x->peer,     x->start_us, x->end_us,    x->error};
        struct ls_err e = {0};
        if (ls_depinfer_add_span(d, &s, &e) != LS_OK && strcmp(e.code, "invalid_span") != 0 &&
            strcmp(e.code, "too_many_pairs") != 0) {
            fprintf(stderr, "span %zu refused with %s\n", i, e.code ? e.code : "(null)");
            abort();
        }
    }
    ls_tel_batch_cleanup(&b);
    struct ls_graph *g = landscape(data, size);
    for (int pass = 0; pass < 2; pass++) {
        struct ls_change_set *cs = ls_change_set_new("depinfer");
        struct ls_snap *snap = ls_graph_snap(g);
        size_t n = 0;
        struct ls_err e = {0};
        int rc = ls_depinfer_changes(d, snap, NULL, cs, &n, &e);
        ls_snap_release(snap);
        if (rc != LS_OK && (!e.code || !*e.code))
            abort();
        if (rc == LS_OK && n > 0 && !apply(g, cs))
            ls_depinfer_retry(d);
        ls_change_set_free(cs);
    }
    json_t *devs = ls_depinfer_deviations_json(d);
    check_deviations(devs);
    json_decref(devs);
    ls_depinfer_free(d);
    ls_graph_free(g);
    return 0;
}
