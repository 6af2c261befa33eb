/* GET /v1/sources, GET /v1/sources/{name}: each OpenStack cloud's sync status.
 * POST /v1/sources/{name}/sync[?full=true][&wait=true]: a pass now (wait: on this request,
 * answering with the status or the pass's error; otherwise 202 and the sync thread runs it). */
#include <string.h>

#include "importers/openstack/importer.h"
#include "server/handlers.h"
#include "server/handlers/common.h"

static struct ls_os_importer *find(struct ls_req *req, struct ls_resp *resp)
{
    for (int i = 0; i < req->ctx->n_clouds; i++)
        if (!strcmp(ls_os_importer_name(req->ctx->clouds[i]), req->param))
            return req->ctx->clouds[i];
    ls_resp_error_status(resp, 404, "source_not_found", "no source named '%.128s'", req->param);
    return NULL;
}

void ls_h_sources(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err))
        ERR_OUT(resp, err);
    json_t *list = json_array();
    for (int i = 0; i < req->ctx->n_clouds; i++)
        json_array_append_new(list, ls_os_importer_status(req->ctx->clouds[i]));
    ls_resp_json_new(resp, 200, json_pack("{s:o}", "sources", list));
}

void ls_h_source_get(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err))
        ERR_OUT(resp, err);
    struct ls_os_importer *imp = find(req, resp);
    if (imp)
        ls_resp_json_new(resp, 200, ls_os_importer_status(imp));
}

void ls_h_source_sync(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    bool full, wait;
    if (ls_req_check_params(req, (const char *const[]){"full", "wait", NULL}, false, &err) ||
        ls_req_bool(req, "full", false, &full, &err) ||
        ls_req_bool(req, "wait", false, &wait, &err))
        ERR_OUT(resp, err);
    struct ls_os_importer *imp = find(req, resp);
    if (!imp)
        return;
    if (!wait) {
        ls_os_importer_kick(imp, full);
        ls_resp_json_new(
            resp, 202,
            json_pack("{s:b,s:s}", "accepted", 1, "pass", full ? "full" : "incremental"));
        return;
    }
    if (ls_os_importer_pass(imp, full ? LS_OS_PASS_FULL : LS_OS_PASS_INCREMENTAL, &err))
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, ls_os_importer_status(imp));
}
