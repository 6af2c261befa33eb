/* /_demo/fault: fault injection into the demo's own telemetry stream (--demo without --kafka).
 * POST injects one (importers/telemetry/fault.h: the catalogue the scenario generator uses),
 * GET shows it, DELETE ends it. Without the demo stream every method answers 404 demo_off. */
#include <string.h>

#include "common/time.h"
#include "importers/telemetry/demo_stream.h"
#include "server/ctx.h"
#include "server/handlers.h"

#define DEFAULT_MINUTES 10
#define MAX_MINUTES     1440

static bool demo_on(struct ls_req *req, struct ls_resp *resp)
{
    if (req->ctx->demo_stream)
        return true;
    ls_resp_error_status(resp, 404, "demo_off",
                         "fault injection needs --demo with its own telemetry stream (no --kafka)");
    return false;
}

/* The body's fields into f: kind (required), node, minutes, magnitude. */
static int parse_fault(struct ls_fault *f, json_t *body, struct ls_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "kind") != 0 && strcmp(key, "node") != 0 && strcmp(key, "minutes") != 0 &&
            strcmp(key, "magnitude") != 0)
            return ls_err_set(err, LS_EINVAL, "invalid_fault",
                              "%.64s: unknown field (kind, node, minutes, magnitude)", key);
    }
    memset(f, 0, sizeof *f);
    json_t *kind = json_object_get(body, "kind"), *node = json_object_get(body, "node");
    json_t *minutes = json_object_get(body, "minutes"), *mag = json_object_get(body, "magnitude");
    if (!json_is_string(kind))
        return ls_err_set(err, LS_EINVAL, "invalid_fault", "kind: expected a string");
    int rc = ls_fault_kind_parse(&f->kind, json_string_value(kind), err);
    if (rc != LS_OK)
        return rc;
    if (node && (!json_is_string(node) || json_string_length(node) >= sizeof f->root))
        return ls_err_set(err, LS_EINVAL, "invalid_fault", "node: expected a node id");
    if (node)
        memcpy(f->root, json_string_value(node), json_string_length(node) + 1);
    json_int_t m = DEFAULT_MINUTES;
    if (minutes && (!json_is_integer(minutes) || json_integer_value(minutes) < 1 ||
                    json_integer_value(minutes) > MAX_MINUTES))
        return ls_err_set(err, LS_EINVAL, "invalid_fault", "minutes: expected 1..%d", MAX_MINUTES);
    if (minutes)
        m = json_integer_value(minutes);
    f->magnitude = 1.0;
    if (mag &&
        (!json_is_number(mag) || !(json_number_value(mag) > 0) || json_number_value(mag) > 10))
        return ls_err_set(err, LS_EINVAL, "invalid_fault",
                          "magnitude: expected a number in (0, 10]");
    if (mag)
        f->magnitude = json_number_value(mag);
    f->start_us = ls_time_now_us();
    f->end_us = f->start_us + (int64_t)m * 60000000LL;
    return LS_OK;
}

void ls_h_demo_fault_post(struct ls_req *req, struct ls_resp *resp)
{
    if (!demo_on(req, resp))
        return;
    struct ls_err err = {0};
    json_t *body = NULL, *out = NULL;
    struct ls_fault f;
    int rc = ls_req_json(req, &body, &err);
    if (rc == LS_OK)
        rc = parse_fault(&f, body, &err);
    if (rc == LS_OK)
        rc = ls_tel_demo_fault(req->ctx->demo_stream, &f, &out, &err);
    json_decref(body);
    if (rc != LS_OK) {
        ls_resp_error(resp, &err);
        return;
    }
    ls_resp_json_new(resp, 200, out);
}

void ls_h_demo_fault_get(struct ls_req *req, struct ls_resp *resp)
{
    if (!demo_on(req, resp))
        return;
    ls_resp_json_new(resp, 200,
                     json_pack("{s:o}", "fault", ls_tel_demo_fault_get(req->ctx->demo_stream)));
}

void ls_h_demo_fault_delete(struct ls_req *req, struct ls_resp *resp)
{
    if (!demo_on(req, resp))
        return;
    bool had = ls_tel_demo_fault_clear(req->ctx->demo_stream);
    ls_resp_json_new(resp, 200, json_pack("{s:b}", "cleared", had));
}
