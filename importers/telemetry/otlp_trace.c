/* OpenTelemetry otlp_json traces: resourceSpans[].resource.attributes (service.name),
 * scopeSpans[] (or the older instrumentationLibrarySpans[]) .spans[] with hex traceId,
 * spanId, parentSpanId, nanosecond start/end times (decimal strings or numbers) and
 * status.code (2 = error). Only what dependency inference reads is kept; unknown fields are
 * ignored. Every id is checked (length, hex digits) and every time bounded before use. */
#include <stdio.h>
#include <string.h>

#include "importers/telemetry/decode.h"

/* Copies the hex id v (exactly `digits` hex digits) lowercased into out (digits + 1 bytes).
 * An absent or empty id is "" when `optional`; anything else is refused. */
static int
hex_id(json_t *v, size_t digits, bool optional, const char *name, char *out, struct ls_err *err)
{
    out[0] = '\0';
    if (v == NULL || (json_is_string(v) && json_string_length(v) == 0)) {
        if (optional)
            return LS_OK;
        return ls_err_set(err, LS_EINVAL, "malformed_record", "otlp: a span lacks %s", name);
    }
    if (!json_is_string(v) || json_string_length(v) != digits)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "otlp: %s: expected %zu hex digits",
                          name, digits);
    const char *s = json_string_value(v);
    bool nonzero = false;
    for (size_t i = 0; i < digits; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return ls_err_set(err, LS_EINVAL, "malformed_record",
                              "otlp: %s: expected %zu hex digits", name, digits);
        nonzero = nonzero || c != '0';
        out[i] = c;
    }
    out[digits] = '\0';
    if (!nonzero) { /* the all-zero id is invalid (W3C trace context); as a parent: no parent */
        out[0] = '\0';
        if (!optional)
            return ls_err_set(err, LS_EINVAL, "malformed_record", "otlp: %s is all zeros", name);
    }
    return LS_OK;
}

static int span_time(json_t *span, const char *key, int64_t *out, struct ls_err *err)
{
    double t;
    int rc = ls_tel_jnum(json_object_get(span, key), LS_TEL_TIME, key, &t, err);
    return rc ? rc : ls_tel_time_us(out, t, LS_TEL_UNIT_NS, key, err);
}

static int one_span(json_t *sp, const char *service, struct ls_tel_batch *out, struct ls_err *err)
{
    struct ls_span x;
    memset(&x, 0, sizeof(x));
    int rc = hex_id(json_object_get(sp, "traceId"), 32, false, "traceId", x.trace_id, err);
    rc = rc ? rc : hex_id(json_object_get(sp, "spanId"), 16, false, "spanId", x.span_id, err);
    rc = rc ? rc
            : hex_id(json_object_get(sp, "parentSpanId"), 16, true, "parentSpanId", x.parent_id,
                     err);
    rc = rc ? rc : span_time(sp, "startTimeUnixNano", &x.start_us, err);
    rc = rc ? rc : span_time(sp, "endTimeUnixNano", &x.end_us, err);
    if (rc != LS_OK)
        return rc;
    if (x.end_us < x.start_us)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "otlp: span %s ends before it starts",
                          x.span_id);
    json_t *code = json_object_get(json_object_get(sp, "status"), "code");
    /* an enum is an integer in OTLP JSON; the proto name is accepted as well */
    x.error = (json_is_integer(code) && json_integer_value(code) == 2) ||
              (json_is_string(code) && strcmp(json_string_value(code), "STATUS_CODE_ERROR") == 0);
    json_t *kind = json_object_get(sp, "kind");
    bool client = json_is_integer(kind) && json_integer_value(kind) == 3; /* SPAN_KIND_CLIENT */
    if (client)
        LS_TEL_SET(x.peer, ls_tel_otlp_attr(json_object_get(sp, "attributes"), "peer.service"));
    LS_TEL_SET(x.service, service);
    struct ls_span *s = ls_tel_batch_add_span(out);
    if (s == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many spans");
    *s = x;
    return LS_OK;
}

int ls_tel_otlp_spans(json_t *json, struct ls_tel_batch *out, struct ls_err *err)
{
    static const char *const scope_keys[] = {"scopeSpans", "instrumentationLibrarySpans"};
    size_t i, j, k;
    json_t *rs, *ss, *sp;
    json_array_foreach(json_object_get(json, "resourceSpans"), i, rs)
    {
        json_t *res = json_object_get(json_object_get(rs, "resource"), "attributes");
        const char *service = ls_tel_otlp_attr(res, "service.name");
        for (size_t key = 0; key < sizeof(scope_keys) / sizeof(scope_keys[0]); key++) {
            json_array_foreach(json_object_get(rs, scope_keys[key]), j, ss)
            {
                json_array_foreach(json_object_get(ss, "spans"), k, sp)
                {
                    int rc = one_span(sp, service, out, err);
                    if (rc != LS_OK)
                        return rc;
                }
            }
        }
    }
    return LS_OK;
}
