/* Monasca metric envelopes: {"metric": {name, dimensions, timestamp (ms), value}, "meta",
 * "creation_time" (s)}. */
#include "importers/telemetry/decode.h"

static bool detect(json_t *v)
{
    json_t *m = json_object_get(v, "metric");
    return json_is_object(m) && json_object_get(m, "name") && json_object_get(m, "value") &&
           json_is_object(json_object_get(v, "meta"));
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    (void)text;
    (void)len;
    json_t *m = json_object_get(json, "metric");
    double v, ts;
    int64_t t_us;
    int rc =
        ls_tel_jnum(json_object_get(m, "value"), LS_TEL_VALUE, "monasca: metric.value", &v, err);
    rc = rc ? rc
            : ls_tel_jnum(json_object_get(m, "timestamp"), LS_TEL_TIME, "monasca: metric.timestamp",
                          &ts, err);
    /* milliseconds, possibly fractional */
    rc = rc ? rc : ls_tel_time_us(&t_us, ts, LS_TEL_UNIT_MS, "monasca: metric.timestamp", err);
    if (rc != LS_OK)
        return rc;
    struct ls_sample *x = ls_tel_batch_add(out);
    if (x == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
    json_t *dims = json_object_get(m, "dimensions");
    LS_TEL_SET(x->metric, ls_tel_jstr(m, "name"));
    x->value = v;
    x->time_us = t_us;
    x->kind = LS_TEL_GAUGE; /* Monasca agents send rates and levels */
    LS_TEL_SET(x->host, ls_tel_jstr(dims, "hostname"));
    LS_TEL_SET(x->resource, ls_tel_jstr(dims, "resource_id"));
    LS_TEL_SET(x->device, ls_tel_jstr(dims, "device"));
    LS_TEL_SET(x->port, ls_tel_jstr(dims, "port_id"));
    LS_TEL_SET(x->series, x->device);
    return LS_OK;
}

const struct ls_tel_decoder ls_tel_dec_monasca = {LS_TEL_MONASCA, "monasca", detect, NULL, decode};
