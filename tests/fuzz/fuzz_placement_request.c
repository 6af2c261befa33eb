/* Fuzz target: the bodies of the placement endpoints — POST /v1/placement/recommendations
 * (parser and ranking), /v1/placement/moves (parser), /v1/k8s/filter and /prioritize
 * (ExtenderArgs) and /v1/stitch — each fed the same input over a small fixed landscape (two
 * racks, three hypervisors, one server with a flavor). Invariants: a refusal has a code and a
 * 4xx status; a recommendation lists only hosts that fit, at most `count`; every answer
 * serialises; the host explanation succeeds for a known host. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/placement.h"
#include "analytics/stitch.h"
#include "model/change.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ls_graph *graph;
static struct ls_placement *placement;

static void put(struct ls_change_set *cs, const char *id, const char *type, json_t *attrs)
{
    struct ls_err err;
    if (ls_change_put_node_new(cs, id, type, id, "up", attrs, NULL, &err) != LS_OK)
        abort();
}

static void link_(struct ls_change_set *cs, const char *s, enum ls_edge_type t, const char *d)
{
    struct ls_err err;
    if (ls_change_put_edge_new(cs, s, t, d, NULL, LS_ESRC_MANUAL, 1.0, &err) != LS_OK)
        abort();
}

static void init(void)
{
    graph = ls_graph_new();
    placement = ls_placement_new(graph);
    struct ls_change_set *cs = ls_change_set_new("fuzz");
    put(cs, "manual:rack:a", "rack", NULL);
    put(cs, "manual:rack:b", "rack", NULL);
    put(cs, "nova:availability_zone:az1", "availability_zone", NULL);
    const char *racks[] = {"manual:rack:a", "manual:rack:a", "manual:rack:b"};
    for (int i = 0; i < 3; i++) {
        char hv[64], m[64], name[16];
        snprintf(name, sizeof(name), "hv%d", i);
        snprintf(hv, sizeof(hv), "nova:hypervisor:hv%d", i);
        snprintf(m, sizeof(m), "host:machine:hv%d", i);
        put(cs, hv, "hypervisor",
            json_pack("{s:s,s:{s:{s:i,s:i,s:f,s:i,s:i,s:i},s:{s:i,s:f}},s:{s:i},s:[s]}",
                      "hypervisor_hostname", name, "inventories", "VCPU", "total", 16 * (i + 1),
                      "reserved", i, "allocation_ratio", 4.0, "min_unit", 1, "max_unit", 32,
                      "step_size", 1 + i, "MEMORY_MB", "total", 65536, "allocation_ratio", 1.5,
                      "usages", "VCPU", 10 * i, "traits", i ? "CUSTOM_A" : "CUSTOM_B"));
        put(cs, m, "machine", NULL);
        link_(cs, hv, LS_EDGE_RUNS_ON, m);
        link_(cs, racks[i], LS_EDGE_CONTAINS, m);
        link_(cs, hv, LS_EDGE_MEMBER_OF, "nova:availability_zone:az1");
        char cell[64];
        snprintf(cell, sizeof(cell), "host:numa_node:hv%d:0", i);
        put(cs, cell, "numa_node", json_pack("{s:I}", "memory_bytes", (json_int_t)1 << 34));
        link_(cs, m, LS_EDGE_CONTAINS, cell);
    }
    put(cs, "nova:instance:s1", "instance",
        json_pack("{s:{s:s,s:i,s:i,s:i}}", "flavor", "name", "small", "vcpus", 2, "ram_mb", 512,
                  "disk_gb", 0));
    link_(cs, "nova:instance:s1", LS_EDGE_RUNS_ON, "nova:hypervisor:hv0");
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(graph, cs, 1000000, &p, &err) != LS_OK)
        abort();
    ls_graph_publish(graph, p, ls_graph_next_revision(graph));
    ls_change_set_free(cs);
}

static void check_refusal(const struct ls_err *err)
{
    if (!err->code ||
        (err->status != LS_EINVAL && err->status != LS_ENOTFOUND && err->status != LS_ELIMIT)) {
        fprintf(stderr, "refusal without a 4xx code: %d %s\n", err->status, err->msg);
        abort();
    }
}

/* serialises, then freed */
static void check_answer(json_t *a)
{
    char *txt = json_dumps(a, JSON_ENCODE_ANY);
    if (!txt)
        abort();
    free(txt);
    json_decref(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!graph)
        init();
    json_error_t je;
    json_t *body = json_loadb((const char *)data, size, 0, &je);
    if (!body)
        return 0;
    struct ls_place_table *t = ls_placement_table(placement);
    struct ls_place_request *r = malloc(sizeof(*r));
    struct ls_place_verdict *v = NULL;
    size_t n = 0;
    json_t *exc = NULL;
    struct ls_err err = {0};
    if (ls_place_request_parse(body, t, r, &err) != LS_OK ||
        ls_place_rank(t, r, NULL, &v, &n, &exc, &err) != LS_OK) {
        if (!err.code ||
            (err.status != LS_EINVAL && err.status != LS_ENOTFOUND && err.status != LS_ELIMIT)) {
            fprintf(stderr, "refusal without a 4xx code: %d %s\n", err.status, err.msg);
            abort();
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if (!v[i].fits)
                abort();
        if (r->count && n > r->count)
            abort();
        json_t *a = ls_place_answer_json(t, v, n, exc);
        char *txt = json_dumps(a, 0);
        if (!txt)
            abort();
        free(txt);
        json_decref(a);
        json_t *x = NULL;
        if (ls_place_explain(t, "hv1", r, NULL, &x, &err) == LS_OK)
            json_decref(x);
        else if (err.status != LS_ENOTFOUND)
            abort();
    }
    free(v);
    free(r);
    /* the other endpoints' parsers on the same body */
    json_t *ans = NULL;
    struct ls_place_moves_request mr;
    if (ls_place_moves_parse(body, &mr, &err) == LS_OK)
        free(mr.hosts);
    else
        check_refusal(&err);
    for (int prio = 0; prio < 2; prio++) {
        if (ls_place_k8s(t, NULL, body, prio, &ans, &err) == LS_OK)
            check_answer(ans);
        else
            check_refusal(&err);
    }
    if (ls_stitch(ls_place_table_snap(t), body, &ans, &err) == LS_OK)
        check_answer(ans);
    else
        check_refusal(&err);
    ls_place_table_release(t);
    json_decref(body);
    return 0;
}
