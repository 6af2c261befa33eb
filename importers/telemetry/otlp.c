/* OpenTelemetry otlp_json metrics (traces: otlp_trace.c, the same format and record):
 * resourceMetrics[].resource.attributes (host.name, ...), scopeMetrics[].metrics[] with gauge or
 * sum data points. A monotonic cumulative sum (aggregationTemporality 2) is a counter; temporality
 * 1 is a delta. Times are nanosecond strings (numbers accepted); asInt is a string in JSON. */
#include <stdio.h>
#include <string.h>

#include "importers/telemetry/decode.h"

static bool detect(json_t *v)
{
    return json_is_array(json_object_get(v, "resourceMetrics")) ||
           json_is_array(json_object_get(v, "resourceSpans"));
}

/* "k=v,k=v" of a data point's attributes. */
static void series_of(json_t *attrs, char *out, size_t cap)
{
    size_t i, off = 0;
    json_t *a;
    out[0] = '\0';
    json_array_foreach(attrs, i, a)
    {
        int n = snprintf(out + off, cap - off, "%s%s=%s", off ? "," : "", ls_tel_jstr(a, "key"),
                         ls_tel_jstr(json_object_get(a, "value"), "stringValue"));
        if (n < 0 || (size_t)n >= cap - off)
            break;
        off += (size_t)n;
    }
}

/* A data point's value: asDouble (a number, or "NaN"/"Infinity" strings, refused) or asInt (an
 * int64, a string in JSON; one beyond int64 is refused). */
static int point_value(json_t *p, double *out, struct ls_err *err)
{
    json_t *d = json_object_get(p, "asDouble"), *i = json_object_get(p, "asInt");
    if (d)
        return ls_tel_jnum(d, LS_TEL_VALUE, "asDouble", out, err);
    if (json_is_integer(i)) {
        *out = (double)json_integer_value(i);
        return LS_OK;
    }
    if (json_is_string(i))
        return ls_tel_num_check(
            ls_tel_parse_int(json_string_value(i), json_string_length(i), false, out), LS_TEL_VALUE,
            "asInt", err);
    return ls_err_set(err, LS_EINVAL, "malformed_record", "a data point lacks asDouble or asInt");
}

static int points(json_t *metric,
                  json_t *body,
                  enum ls_tel_kind kind,
                  json_t *res,
                  struct ls_tel_batch *out,
                  struct ls_err *err)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(body, "dataPoints"), i, p)
    {
        double v, t;
        int64_t t_us;
        int rc = point_value(p, &v, err);
        rc = rc ? rc
                : ls_tel_jnum(json_object_get(p, "timeUnixNano"), LS_TEL_TIME, "timeUnixNano", &t,
                              err);
        rc = rc ? rc : ls_tel_time_us(&t_us, t, LS_TEL_UNIT_NS, "timeUnixNano", err);
        if (rc != LS_OK)
            return ls_err_wrap(err, "otlp: %.64s", ls_tel_jstr(metric, "name"));
        struct ls_sample *x = ls_tel_batch_add(out);
        if (x == NULL)
            return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
        LS_TEL_SET(x->metric, ls_tel_jstr(metric, "name"));
        LS_TEL_SET(x->unit, ls_tel_jstr(metric, "unit"));
        x->value = v;
        x->time_us = t_us;
        x->kind = kind;
        LS_TEL_SET(x->host, ls_tel_otlp_attr(res, "host.name"));
        LS_TEL_SET(x->instance, ls_tel_otlp_attr(res, "openstack.instance.id"));
        series_of(json_object_get(p, "attributes"), x->series, sizeof(x->series));
    }
    return LS_OK;
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    (void)text;
    (void)len;
    size_t i, j, k;
    json_t *rm, *sm, *m;
    json_array_foreach(json_object_get(json, "resourceMetrics"), i, rm)
    {
        json_t *res = json_object_get(json_object_get(rm, "resource"), "attributes");
        json_array_foreach(json_object_get(rm, "scopeMetrics"), j, sm)
        {
            json_array_foreach(json_object_get(sm, "metrics"), k, m)
            {
                json_t *g = json_object_get(m, "gauge"), *s = json_object_get(m, "sum");
                int rc = LS_OK;
                if (g)
                    rc = points(m, g, LS_TEL_GAUGE, res, out, err);
                else if (s) {
                    json_int_t temporality =
                        json_integer_value(json_object_get(s, "aggregationTemporality"));
                    bool mono = json_is_true(json_object_get(s, "isMonotonic"));
                    enum ls_tel_kind kind = temporality == 1 ? LS_TEL_DELTA
                                            : mono           ? LS_TEL_COUNTER
                                                             : LS_TEL_GAUGE;
                    rc = points(m, s, kind, res, out, err);
                }
                if (rc != LS_OK)
                    return rc;
            }
        }
    }
    return ls_tel_otlp_spans(json, out, err);
}

const struct ls_tel_decoder ls_tel_dec_otlp = {LS_TEL_OTLP, "otlp", detect, NULL, decode};
