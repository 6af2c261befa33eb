/* Placement over REST (analytics/placement.h): POST /v1/placement/recommendations ranks the
 * hypervisors for a flavor, GET /v1/placement/hosts/{host} explains one host. The host table is
 * cached per graph revision in ctx->placement; live load and colours are read per request. */
#include "analytics/placement.h"

#include <stdlib.h>
#include <string.h>

#include "analytics/stitch.h"
#include "server/colours.h"
#include "server/handlers.h"
#include "server/handlers/common.h"

int ls_placement_start(struct ls_ctx *ctx, struct ls_err *err)
{
    (void)err;
    ctx->placement = ls_placement_new(ctx->graph);
    return LS_OK;
}

void ls_placement_stop(struct ls_ctx *ctx)
{
    ls_placement_free(ctx->placement);
    ctx->placement = NULL;
}

/* A host's colour for ranking: the worse of its own and its impact (a hypervisor whose
 * machine is red is red). */
static int colour_of(void *arg, const char *node_id)
{
    return ls_colours_worst(arg, node_id);
}

/* The live state a ranking reads: telemetry and colours now. */
static void live_of(struct ls_req *req, struct ls_place_live *live)
{
    memset(live, 0, sizeof(*live));
    live->tel = req->ctx->telemetry;
    if (req->ctx->colours) {
        live->colour = colour_of;
        live->colour_arg = req->ctx->colours;
    }
    live->max_age_ms = (int)req->ctx->cfg->placement_live_ms; /* --placement-live-ms */
}

/* The table of the current revision (held by the caller), or a 503 when placement is off. */
static struct ls_place_table *table_of(struct ls_req *req, struct ls_resp *resp)
{
    if (!req->ctx->placement) {
        ls_resp_error_status(resp, 503, "unavailable", "placement is not running");
        return NULL;
    }
    return ls_placement_table(req->ctx->placement);
}

void ls_h_place_recommend(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    json_auto_t *body = NULL;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err))
        ERR_OUT(resp, err);
    struct ls_place_table *t = table_of(req, resp);
    if (!t)
        return;
    struct ls_place_request *r = ls_xmalloc(sizeof(*r));
    struct ls_place_verdict *v = NULL;
    size_t n = 0;
    json_t *excluded = NULL;
    struct ls_place_live live;
    live_of(req, &live);
    if (ls_place_request_parse(body, t, r, &err) ||
        ls_place_rank(t, r, &live, &v, &n, &excluded, &err)) {
        ls_resp_error(resp, &err);
    } else {
        ls_resp_json_new(resp, 200, ls_place_answer_json(t, v, n, excluded));
    }
    free(v);
    free(r);
    ls_place_table_release(t);
}

void ls_h_place_moves(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    json_auto_t *body = NULL;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err))
        ERR_OUT(resp, err);
    struct ls_place_moves_request r;
    if (ls_place_moves_parse(body, &r, &err))
        ERR_OUT(resp, err);
    struct ls_place_table *t = table_of(req, resp);
    if (t) {
        struct ls_place_live live;
        live_of(req, &live);
        json_t *out = NULL;
        if (ls_placement_moves(req->ctx->placement, t, &live, &r, &out, &err))
            ls_resp_error(resp, &err);
        else
            ls_resp_json_new(resp, 200, out);
        ls_place_table_release(t);
    }
    free(r.hosts);
}

/* POST /v1/k8s/filter and /v1/k8s/prioritize: kube-scheduler's extender JSON. */
static void k8s(struct ls_req *req, struct ls_resp *resp, bool prioritize)
{
    struct ls_err err;
    json_auto_t *body = NULL;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err))
        ERR_OUT(resp, err);
    struct ls_place_table *t = table_of(req, resp);
    if (!t)
        return;
    struct ls_place_live live;
    live_of(req, &live);
    json_t *out = NULL;
    if (ls_place_k8s(t, &live, body, prioritize, &out, &err))
        ls_resp_error(resp, &err);
    else
        ls_resp_json_new(resp, 200, out);
    ls_place_table_release(t);
}

void ls_h_k8s_filter(struct ls_req *req, struct ls_resp *resp)
{
    k8s(req, resp, false);
}

void ls_h_k8s_prioritize(struct ls_req *req, struct ls_resp *resp)
{
    k8s(req, resp, true);
}

/* POST /v1/stitch (analytics/stitch.h) */
void ls_h_stitch(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    json_auto_t *body = NULL;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_req_json(req, &body, &err))
        ERR_OUT(resp, err);
    struct ls_snap *s = ls_graph_snap(req->ctx->graph);
    json_t *out = NULL;
    if (ls_stitch(s, body, &out, &err))
        ls_resp_error(resp, &err);
    else
        ls_resp_json_new(resp, 200, out);
    ls_snap_release(s);
}

/* GET /v1/placement/hosts/{host}?vcpus=&ram_mb=&disk_gb=&numa_nodes= | ?flavor_name=: the query
 * becomes the same body POST takes, parsed by the same code. */
static json_t *query_body(struct ls_req *req)
{
    json_t *body = json_object();
    const char *fname = ls_req_query(req, "flavor_name");
    if (fname)
        json_object_set_new(body, "flavor_name", json_string(fname));
    static const char *const fields[] = {"vcpus", "ram_mb", "disk_gb"};
    json_t *flavor = NULL;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = ls_req_query(req, fields[i]);
        if (!v)
            continue;
        if (!flavor)
            flavor = json_pack("{s:i,s:i}", "vcpus", 0, "ram_mb", 0);
        json_object_set_new(flavor, fields[i], json_string(v));
    }
    const char *numa = ls_req_query(req, "numa_nodes");
    if (numa) {
        if (!flavor)
            flavor = json_pack("{s:i,s:i}", "vcpus", 0, "ram_mb", 0);
        json_object_set_new(flavor, "extra_specs", json_pack("{s:s}", "hw:numa_nodes", numa));
    }
    if (flavor)
        json_object_set_new(body, "flavor", flavor);
    static const char *const plain[] = {"availability_zone", "aggregate"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = ls_req_query(req, plain[i]);
        if (v)
            json_object_set_new(body, plain[i], json_string(v));
    }
    return body;
}

void ls_h_place_host(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"vcpus",      "ram_mb",      "disk_gb",
                                         "numa_nodes", "flavor_name", "availability_zone",
                                         "aggregate",  NULL};
    struct ls_err err;
    if (ls_req_check_params(req, params, false, &err))
        ERR_OUT(resp, err);
    struct ls_place_table *t = table_of(req, resp);
    if (!t)
        return;
    json_t *body = query_body(req);
    struct ls_place_request *r = ls_xmalloc(sizeof(*r));
    struct ls_place_live live;
    live_of(req, &live);
    json_t *out = NULL;
    if (ls_place_request_parse(body, t, r, &err) ||
        ls_place_explain(t, req->param, r, &live, &out, &err))
        ls_resp_error(resp, &err);
    else
        ls_resp_json_new(resp, 200, out);
    free(r);
    json_decref(body);
    ls_place_table_release(t);
}
