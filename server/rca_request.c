/* POST /v1/analytics/rca bodies: parsing and bounds (see rca_request.h). */
#include "server/rca_request.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/json_parse.h"
#include "common/time.h"

static const char *const fields[] = {"from", "to", "baseline", "nodes", "limit", "method", NULL};

static bool known(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(key, allowed[i]) == 0)
            return true;
    return false;
}

static int only(json_t *o, const char *const *allowed, const char *where, struct ls_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        (void)v;
        if (!known(key, allowed))
            return ls_err_set(err, LS_EINVAL, "unknown_field", "%s: unknown field %.64s", where,
                              key);
    }
    return LS_OK;
}

/* A time: an RFC 3339 string or unix seconds (integer or real). */
static int time_of(json_t *o, const char *key, const char *where, int64_t *out, struct ls_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return ls_err_set(err, LS_EINVAL, "missing_field", "%s%s is required", where, key);
    if (json_is_string(v)) {
        struct ls_err e;
        if (ls_time_parse_rfc3339(out, json_string_value(v), &e) != LS_OK)
            return ls_err_set(err, LS_EINVAL, "invalid_time", "%s%s: %s", where, key, e.msg);
        return LS_OK;
    }
    if (json_is_number(v)) {
        double s = json_number_value(v);
        /* 1970 .. 9999-12-31, as the telemetry's times */
        if (!(s >= 0 && s < 253402300800.0))
            return ls_err_set(err, LS_EINVAL, "invalid_time", "%s%s: out of range", where, key);
        *out = (int64_t)llround(s * 1e6);
        return LS_OK;
    }
    return ls_err_set(err, LS_EINVAL, "invalid_time",
                      "%s%s: expected an RFC 3339 time or unix seconds", where, key);
}

static int window(int64_t from, int64_t to, const char *what, struct ls_err *err)
{
    if (to <= from)
        return ls_err_set(err, LS_EINVAL, "invalid_window", "%s: to must be after from", what);
    if (to - from > LS_RCA_MAX_WINDOW_US)
        return ls_err_set(err, LS_EINVAL, "invalid_window", "%s: spans more than 31 days", what);
    return LS_OK;
}

static int parse(json_t *doc, struct ls_rca_request *out, struct ls_err *err)
{
    if (!json_is_object(doc))
        return ls_err_set(err, LS_EINVAL, "expected_object", "body: expected a JSON object");
    int rc = only(doc, fields, "body", err);
    rc = rc ? rc : time_of(doc, "from", "", &out->from_us, err);
    rc = rc ? rc : time_of(doc, "to", "", &out->to_us, err);
    rc = rc ? rc : window(out->from_us, out->to_us, "window", err);
    if (rc)
        return rc;
    json_t *b = json_object_get(doc, "baseline");
    if (b && !json_is_null(b)) {
        static const char *const bf[] = {"from", "to", NULL};
        if (!json_is_object(b))
            return ls_err_set(err, LS_EINVAL, "invalid_window", "baseline: expected an object");
        rc = only(b, bf, "baseline", err);
        rc = rc ? rc : time_of(b, "from", "baseline.", &out->base_from_us, err);
        rc = rc ? rc : time_of(b, "to", "baseline.", &out->base_to_us, err);
        rc = rc ? rc : window(out->base_from_us, out->base_to_us, "baseline", err);
        if (rc)
            return rc;
        out->baseline_given = true;
    } else {
        out->base_to_us = out->from_us;
        out->base_from_us = out->from_us - LS_RCA_BASELINE_US;
    }
    json_t *n = json_object_get(doc, "nodes");
    if (n && !json_is_null(n)) {
        if (!json_is_array(n))
            return ls_err_set(err, LS_EINVAL, "invalid_nodes", "nodes: expected an array of ids");
        if (json_array_size(n) > LS_RCA_MAX_NODES)
            return ls_err_set(err, LS_ELIMIT, "too_many_nodes", "nodes: more than %d ids",
                              LS_RCA_MAX_NODES);
        if (json_array_size(n) == 0)
            return ls_err_set(err, LS_EINVAL, "invalid_nodes",
                              "nodes: empty (leave it out for every node)");
        out->nodes = ls_xcalloc(json_array_size(n), sizeof *out->nodes);
        size_t i;
        json_t *v;
        json_array_foreach(n, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) > LS_RCA_MAX_ID ||
                strlen(json_string_value(v)) != json_string_length(v))
                return ls_err_set(err, LS_EINVAL, "invalid_nodes",
                                  "nodes[%zu]: expected a node id (1-%d bytes)", i, LS_RCA_MAX_ID);
            out->nodes[out->n_nodes++] = ls_xstrdup(json_string_value(v));
        }
    }
    out->limit = 10;
    json_t *l = json_object_get(doc, "limit");
    if (l && !json_is_null(l)) {
        if (!json_is_integer(l) || json_integer_value(l) < 1 ||
            json_integer_value(l) > LS_RCA_MAX_LIMIT)
            return ls_err_set(err, LS_EINVAL, "invalid_limit", "limit: expected 1-%d",
                              LS_RCA_MAX_LIMIT);
        out->limit = (size_t)json_integer_value(l);
    }
    out->method = LS_RCA_PROPAGATION;
    json_t *m = json_object_get(doc, "method");
    if (m && !json_is_null(m) && !ls_rca_method_parse(json_string_value(m), &out->method))
        return ls_err_set(err, LS_EINVAL, "invalid_method",
                          "method: expected propagation, zscore or random");
    return LS_OK;
}

int ls_rca_request_parse(const char *body,
                         size_t len,
                         struct ls_rca_request *out,
                         struct ls_err *err)
{
    memset(out, 0, sizeof *out);
    struct ls_json_parse_error pe;
    json_t *doc = ls_json_parse(body ? body : "", body ? len : 0, &pe);
    if (!doc)
        return ls_err_set(err, LS_EINVAL, "malformed_json", "body: %s at byte %zu", pe.text,
                          pe.position);
    int rc = parse(doc, out, err);
    json_decref(doc);
    if (rc != LS_OK)
        ls_rca_request_cleanup(out);
    return rc;
}

void ls_rca_request_cleanup(struct ls_rca_request *r)
{
    for (size_t i = 0; i < r->n_nodes; i++)
        free(r->nodes[i]);
    free(r->nodes);
    memset(r, 0, sizeof *r);
}
