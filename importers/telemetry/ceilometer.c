/* Ceilometer sample dicts (bare, or a JSON array of them from an HTTP bridge). */
#include <string.h>

#include "common/time.h"
#include "importers/telemetry/decode.h"

static bool is_sample(json_t *v)
{
    return json_is_object(v) && json_object_get(v, "counter_name") &&
           json_object_get(v, "counter_volume");
}

static bool detect(json_t *v)
{
    return is_sample(v) ||
           (json_is_array(v) && json_array_size(v) && is_sample(json_array_get(v, 0)));
}

int ls_tel_ceilometer_sample(json_t *s, struct ls_tel_batch *out, struct ls_err *err)
{
    if (!is_sample(s))
        return ls_err_set(err, LS_EINVAL, "malformed_record",
                          "ceilometer: a sample needs counter_name and counter_volume");
    double v;
    int rc = ls_tel_jnum(json_object_get(s, "counter_volume"), LS_TEL_VALUE,
                         "ceilometer: counter_volume", &v, err);
    if (rc != LS_OK)
        return rc;
    int64_t t;
    rc = ls_time_parse_rfc3339(&t, ls_tel_jstr(s, "timestamp"), err);
    if (rc != LS_OK)
        return ls_err_wrap(err, "ceilometer: timestamp");
    struct ls_sample *x = ls_tel_batch_add(out);
    if (x == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
    LS_TEL_SET(x->metric, ls_tel_jstr(s, "counter_name"));
    LS_TEL_SET(x->unit, ls_tel_jstr(s, "counter_unit"));
    x->value = v;
    x->time_us = t;
    const char *type = ls_tel_jstr(s, "counter_type");
    x->kind = strcmp(type, "cumulative") == 0 ? LS_TEL_COUNTER
              : strcmp(type, "delta") == 0    ? LS_TEL_DELTA
                                              : LS_TEL_GAUGE;
    LS_TEL_SET(x->resource, ls_tel_jstr(s, "resource_id"));
    json_t *md = json_object_get(s, "resource_metadata");
    LS_TEL_SET(x->instance, ls_tel_jstr(md, "instance_id"));
    /* instance_host is the Nova service host; resource_metadata.host is a hash, not a name */
    LS_TEL_SET(x->host, ls_tel_jstr(md, "instance_host"));
    const char *name = ls_tel_jstr(md, "name");
    if (strncmp(name, "instance-", 9) == 0)
        LS_TEL_SET(x->domain, name);
    const char *vnic = ls_tel_jstr(md, "vnic_name");
    if (*vnic == '\0' && strncmp(name, "tap", 3) == 0)
        vnic = name;
    if (*vnic)
        LS_TEL_SET(x->device, vnic);
    else
        LS_TEL_SET(x->device, ls_tel_jstr(md, "disk_name"));
    LS_TEL_SET(x->port, ls_tel_jstr(json_object_get(md, "parameters"), "interfaceid"));
    LS_TEL_SET(x->series, x->device);
    return LS_OK;
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    (void)text;
    (void)len;
    if (json_is_object(json))
        return ls_tel_ceilometer_sample(json, out, err);
    size_t i;
    json_t *s;
    json_array_foreach(json, i, s)
    {
        int rc = ls_tel_ceilometer_sample(s, out, err);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

const struct ls_tel_decoder ls_tel_dec_ceilometer = {LS_TEL_CEILOMETER, "ceilometer", detect, NULL,
                                                     decode};
