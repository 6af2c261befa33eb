/* /v1/analytics/incidents: the incidents kept in Postgres (sql/incident.h), listed with
 * state / from / to filters and pages, one by id, and one's revisions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/handlers.h"
#include "server/handlers/common.h"
#include "sql/incident.h"

/* A positive incident id from text (the path, a marker). */
static int parse_id(const char *s, const char *what, int64_t *out, struct ls_err *err)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v <= 0)
        return ls_err_set(err, LS_EINVAL, "invalid_parameter", "%s: expected a positive integer",
                          what);
    *out = v;
    return LS_OK;
}

void ls_h_incidents_list(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {"state", "from", "to", "limit", "marker", NULL};
    struct ls_err err;
    struct ls_incident_query q = {0};
    bool has_from, has_to;
    const char *marker = ls_req_query(req, "marker");
    if (ls_req_check_params(req, params, false, &err) || h_limit(req, &q.limit, &err) ||
        ls_req_time(req, "from", &has_from, &q.from, &err) ||
        ls_req_time(req, "to", &has_to, &q.to, &err) ||
        (marker && parse_id(marker, "marker", &q.before, &err)))
        ERR_OUT(resp, err);
    q.state = ls_req_query(req, "state");
    if (q.state && strcmp(q.state, "open") != 0 && strcmp(q.state, "resolved") != 0) {
        ls_resp_error_status(resp, 400, "invalid_parameter", "state: expected open or resolved");
        return;
    }
    if (has_from && has_to && q.from > q.to) {
        ls_resp_error_status(resp, 400, "invalid_parameter", "from: after to");
        return;
    }
    /* 0 means unbounded in the query: a bound at the epoch itself is one microsecond on */
    if (has_from && q.from == 0)
        q.from = 1;
    if (has_to && q.to == 0)
        q.to = 1;
    json_t *a;
    bool more;
    if (ls_store_incidents_list(req->ctx->store, &q, &a, &more, &err))
        ERR_OUT(resp, err);
    char *items = json_dumps(a, JSON_COMPACT);
    if (!items)
        ls_json_oom();
    char last[32] = "";
    size_t n = json_array_size(a);
    if (n)
        snprintf(last, sizeof(last), "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(a, n - 1), "id")));
    json_decref(a);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc = ls_buf_printf(&b, "{\"incidents\":%s", items);
    free(items);
    rc = rc ? rc : h_next(&b, req, more, n ? last : NULL);
    rc = rc ? rc : ls_buf_puts(&b, "}");
    LS_ASSERT(rc == LS_OK);
    size_t len = b.len;
    ls_resp_text_take(resp, 200, ls_buf_take(&b), len, "application/json");
}

/* The {id} of the path, checked; false after setting the 400 response. */
static bool path_id(struct ls_req *req, struct ls_resp *resp, int64_t *id)
{
    struct ls_err err;
    if (parse_id(req->param, "id", id, &err) != LS_OK) {
        ls_resp_error(resp, &err);
        return false;
    }
    return true;
}

void ls_h_incident_get(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {NULL};
    struct ls_err err;
    int64_t id = 0;
    if (ls_req_check_params(req, params, false, &err))
        ERR_OUT(resp, err);
    if (!path_id(req, resp, &id))
        return;
    json_t *doc;
    if (ls_store_incident_get(req->ctx->store, id, &doc, &err))
        ERR_OUT(resp, err);
    ls_resp_json_new(resp, 200, doc);
}

void ls_h_incident_history(struct ls_req *req, struct ls_resp *resp)
{
    static const char *const params[] = {NULL};
    struct ls_err err;
    int64_t id = 0;
    if (ls_req_check_params(req, params, false, &err))
        ERR_OUT(resp, err);
    if (!path_id(req, resp, &id))
        return;
    json_t *revs;
    if (ls_store_incident_history(req->ctx->store, id, &revs, &err))
        ERR_OUT(resp, err);
    json_t *o = json_pack("{s:I,s:o}", "id", (json_int_t)id, "revisions", revs);
    if (!o)
        ls_json_oom();
    ls_resp_json_new(resp, 200, o);
}
