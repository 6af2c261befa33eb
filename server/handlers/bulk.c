/* POST /v1/bulk: manual gear (racks, rows, PDUs, switches and their edges) from one JSON or
 * YAML file, applied whole or not at all. The work is importers/host (bulk.c, ingest.c). */
#include <microhttpd.h>

#include "importers/host/ingest.h"
#include "server/handlers.h"
#include "server/handlers/common.h"

void ls_h_bulk(struct ls_req *req, struct ls_resp *resp)
{
    struct ls_err err;
    enum ls_bulk_format fmt;
    struct ls_host_bulk_result res;
    const char *ctype =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ls_req_check_params(req, (const char *const[]){NULL}, false, &err) ||
        ls_host_bulk_format(ctype, &fmt, &err))
        ERR_OUT(resp, err);
    if (ls_host_bulk_apply(req->ctx->store, req->ctx->graph, fmt,
                           req->body.data ? req->body.data : "", req->body.len, &res, &err))
        ERR_OUT(resp, err);
    json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "revision", (json_int_t)res.revision, "nodes",
                          (json_int_t)res.nodes, "edges", (json_int_t)res.edges, "joins",
                          (json_int_t)res.joins);
    if (o == NULL)
        ls_json_oom();
    ls_resp_json_new(resp, 200, o);
}
