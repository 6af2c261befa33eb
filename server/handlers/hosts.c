/* PUT /v1/hosts/{hostname}/topology: one host's topology from the agent (application/json)
 * or a bare hwloc XML file (application/xml). Moves bytes in and the result out; the work is
 * importers/host/ingest.c. */
#include <microhttpd.h>

#include "importers/host/ingest.h"
#include "server/handlers.h"
#include "server/handlers/common.h"

void ls_h_host_topology_put(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    enum ls_host_body kind;
    struct ls_host_put_result res;
    const char *ctype =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_host_body_kind(ctype, &kind, &err))
        ERR_OUT(resp, err);
    if (ls_host_ingest(req->ctx->store, req->ctx->graph, req->param, kind,
                       req->body.data ? req->body.data : "", req->body.len, NULL, &res, &err))
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, ls_host_put_result_json(req->param, &res));
}
