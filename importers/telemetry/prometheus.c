/* prometheus-kafka-adapter JSON: {"timestamp": RFC 3339, "value": "<string>", "name",
 * "labels": {...}}. By Prometheus convention a name ending in _total is a counter. */
#include <stdio.h>
#include <string.h>

#include "common/time.h"
#include "importers/telemetry/decode.h"

static bool detect(json_t *v)
{
    return json_is_object(v) && json_is_object(json_object_get(v, "labels")) &&
           json_is_string(json_object_get(v, "value")) &&
           json_is_string(json_object_get(v, "timestamp")) && json_object_get(v, "name");
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    (void)text;
    (void)len;
    double v;
    int64_t t;
    /* Prometheus writes NaN (staleness markers) and ±Inf as "NaN", "+Inf": refused as such */
    int rc =
        ls_tel_jnum(json_object_get(json, "value"), LS_TEL_VALUE, "prometheus: value", &v, err);
    if (rc != LS_OK)
        return rc;
    if (ls_time_parse_rfc3339(&t, ls_tel_jstr(json, "timestamp"), err) != LS_OK)
        return ls_err_wrap(err, "prometheus: timestamp");
    struct ls_sample *x = ls_tel_batch_add(out);
    if (x == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
    json_t *l = json_object_get(json, "labels");
    const char *name = ls_tel_jstr(json, "name");
    size_t n = strlen(name);
    LS_TEL_SET(x->metric, name);
    x->value = v;
    x->time_us = t;
    x->kind = n > 6 && strcmp(name + n - 6, "_total") == 0 ? LS_TEL_COUNTER : LS_TEL_GAUGE;
    /* the instance label is host:port of the exporter */
    LS_TEL_SET(x->host, ls_tel_jstr(l, "instance"));
    char *colon = strrchr(x->host, ':');
    if (colon)
        *colon = '\0';
    LS_TEL_SET(x->domain, ls_tel_jstr(l, "domain"));
    LS_TEL_SET(x->instance, ls_tel_jstr(l, "instance_uuid"));
    if (x->instance[0] == '\0')
        LS_TEL_SET(x->instance, ls_tel_jstr(l, "uuid"));
    LS_TEL_SET(x->device, ls_tel_jstr(l, "target_device"));
    if (x->device[0] == '\0')
        LS_TEL_SET(x->device, ls_tel_jstr(l, "device"));
    /* series: the labels that split one metric on one node */
    snprintf(x->series, sizeof(x->series), "%s%s%s%s%s", x->device,
             *ls_tel_jstr(l, "cpu") ? "cpu=" : "", ls_tel_jstr(l, "cpu"),
             *ls_tel_jstr(l, "mode") ? ",mode=" : "", ls_tel_jstr(l, "mode"));
    return LS_OK;
}

const struct ls_tel_decoder ls_tel_dec_prometheus = {LS_TEL_PROMETHEUS, "prometheus", detect, NULL,
                                                     decode};
