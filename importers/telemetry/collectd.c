/* collectd write_kafka: JSON (an array of value lists), the Command format (PUTVAL) and the
 * Graphite format. For the virt plugin the plugin instance names the VM (UUID or domain) and
 * the type instance the device; derive and counter data sources are counters. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importers/telemetry/decode.h"

static bool detect_json(json_t *v)
{
    json_t *e = json_array_get(v, 0);
    return json_is_array(v) && json_is_array(json_object_get(e, "values")) &&
           json_is_array(json_object_get(e, "dstypes")) &&
           json_is_array(json_object_get(e, "dsnames"));
}

/* A data source's kind from its collectd type. */
static enum ls_tel_kind kind_of(const char *dstype)
{
    if (strcmp(dstype, "derive") == 0 || strcmp(dstype, "counter") == 0)
        return LS_TEL_COUNTER;
    if (strcmp(dstype, "absolute") == 0)
        return LS_TEL_DELTA;
    return LS_TEL_GAUGE;
}

/* Fills the identity of a value list: plugin, plugin instance, type instance. */
static void identity(
    struct ls_sample *x, const char *host, const char *plugin, const char *pinst, const char *tinst)
{
    LS_TEL_SET(x->host, host);
    if (strcmp(plugin, "virt") == 0) {
        if (strncmp(pinst, "instance-", 9) == 0)
            LS_TEL_SET(x->domain, pinst);
        else
            LS_TEL_SET(x->instance, pinst);
    }
    LS_TEL_SET(x->device, tinst);
}

static int add(struct ls_tel_batch *out,
               const char *host,
               const char *plugin,
               const char *pinst,
               const char *type,
               const char *tinst,
               const char *ds,
               const char *dstype,
               double v,
               double t,
               struct ls_err *err)
{
    struct ls_sample *x = ls_tel_batch_add(out);
    if (x == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
    snprintf(x->metric, sizeof(x->metric), "%s.%s.%s", plugin, type, ds);
    snprintf(x->series, sizeof(x->series), "%s", tinst);
    x->value = v;
    x->time_us = ls_tel_epoch_us(t);
    x->kind = kind_of(dstype);
    identity(x, host, plugin, pinst, tinst);
    return LS_OK;
}

static int decode_json(json_t *json, struct ls_tel_batch *out, struct ls_err *err)
{
    size_t i, k;
    json_t *vl, *v;
    json_array_foreach(json, i, vl)
    {
        json_t *dst = json_object_get(vl, "dstypes"), *dsn = json_object_get(vl, "dsnames");
        double t;
        if (!ls_tel_jnum(json_object_get(vl, "time"), &t))
            return ls_err_set(err, LS_EINVAL, "malformed_record", "collectd: time is not a number");
        json_array_foreach(json_object_get(vl, "values"), k, v)
        {
            double d;
            if (!ls_tel_jnum(v, &d))
                continue; /* NaN is sent as null */
            int rc = add(out, ls_tel_jstr(vl, "host"), ls_tel_jstr(vl, "plugin"),
                         ls_tel_jstr(vl, "plugin_instance"), ls_tel_jstr(vl, "type"),
                         ls_tel_jstr(vl, "type_instance"),
                         json_string_value(json_array_get(dsn, k))
                             ? json_string_value(json_array_get(dsn, k))
                             : "value",
                         json_string_value(json_array_get(dst, k))
                             ? json_string_value(json_array_get(dst, k))
                             : "gauge",
                         d, t, err);
            if (rc != LS_OK)
                return rc;
        }
    }
    return LS_OK;
}

/* The data source names and type of the common types.db entries (the Command and Graphite
 * formats do not carry them). */
static const struct {
    const char *type, *ds0, *ds1, *dstype;
} types_db[] = {
    {"if_octets", "rx", "tx", "derive"},         {"if_packets", "rx", "tx", "derive"},
    {"if_errors", "rx", "tx", "derive"},         {"if_dropped", "rx", "tx", "derive"},
    {"disk_octets", "read", "write", "derive"},  {"disk_ops", "read", "write", "derive"},
    {"virt_cpu_total", "value", NULL, "derive"}, {"cpu", "value", NULL, "derive"},
};

static const char *ds_name(const char *type, int i, const char **dstype)
{
    for (size_t k = 0; k < sizeof(types_db) / sizeof(types_db[0]); k++) {
        if (strcmp(types_db[k].type, type) == 0) {
            *dstype = types_db[k].dstype;
            return i == 0 ? types_db[k].ds0 : i == 1 && types_db[k].ds1 ? types_db[k].ds1 : "value";
        }
    }
    *dstype = "gauge";
    return i == 0 ? "value" : "value2";
}

/* Splits "a-b" at the first '-' into a and b ("" when none). */
static void split_dash(const char *s, char *a, size_t ca, char *b, size_t cb)
{
    const char *d = strchr(s, '-');
    snprintf(a, ca, "%.*s", (int)(d ? d - s : (long)strlen(s)), s);
    snprintf(b, cb, "%s", d ? d + 1 : "");
}

/* PUTVAL host/plugin-inst/type-inst [interval=N] time:v[:v...] */
static int putval(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    char lineb[1024];
    snprintf(lineb, sizeof(lineb), "%.*s", (int)(end - p), p);
    char *save = NULL, *tok = strtok_r(lineb + 7, " ", &save);
    char host[160], plugin[64], pinst[128], type[64], tinst[128];
    char *s1 = tok ? strchr(tok, '/') : NULL, *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    if (s2 == NULL)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "collectd: PUTVAL identifier");
    *s1 = *s2 = '\0';
    snprintf(host, sizeof(host), "%s", tok);
    split_dash(s1 + 1, plugin, sizeof(plugin), pinst, sizeof(pinst));
    split_dash(s2 + 1, type, sizeof(type), tinst, sizeof(tinst));
    for (tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (strchr(tok, '='))
            continue; /* interval=… */
        char *vs = NULL, *t = strtok_r(tok, ":", &vs);
        double ts = strcmp(t, "N") == 0 ? 0 : strtod(t, NULL);
        int i = 0;
        for (char *v = strtok_r(NULL, ":", &vs); v; v = strtok_r(NULL, ":", &vs), i++) {
            const char *dstype, *ds = ds_name(type, i, &dstype);
            char *e;
            double d = strtod(v, &e);
            if (e == v || *e)
                return ls_err_set(err, LS_EINVAL, "malformed_record", "collectd: bad value '%.32s'",
                                  v);
            int rc = add(out, host, plugin, pinst, type, tinst, ds, dstype, d, ts, err);
            if (rc != LS_OK)
                return rc;
        }
    }
    return LS_OK;
}

static const char *const plugins[] = {"virt-",  "cpu-", "interface-", "disk-",
                                      "memory", "load", "df-",        "libvirt-"};

/* Graphite: host.with.dots.plugin-inst.type-inst.ds value time */
static int graphite(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    char path[512], rest[128];
    snprintf(path, sizeof(path), "%.*s", (int)(end - p), p);
    char *sp = strchr(path, ' ');
    if (sp == NULL)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "graphite: expected path value time");
    *sp = '\0';
    snprintf(rest, sizeof(rest), "%s", sp + 1);
    double v, t;
    if (sscanf(rest, "%lf %lf", &v, &t) != 2)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "graphite: bad value or time");
    /* the host is everything before the first component naming a plugin */
    char *comp = NULL;
    for (char *c = path; c && !comp; c = strchr(c, '.') ? strchr(c, '.') + 1 : NULL)
        for (size_t k = 0; k < sizeof(plugins) / sizeof(plugins[0]) && !comp; k++)
            if (strncmp(c, plugins[k], strlen(plugins[k])) == 0)
                comp = c;
    if (comp == NULL || comp == path)
        return ls_err_set(err, LS_EINVAL, "malformed_record",
                          "graphite: no known collectd plugin in the path");
    comp[-1] = '\0';
    char *type = strchr(comp, '.'), *ds = type ? strchr(type + 1, '.') : NULL;
    if (ds == NULL)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "graphite: path too short");
    *type++ = '\0';
    *ds++ = '\0';
    char plugin[64], pinst[128], tname[64], tinst[128];
    split_dash(comp, plugin, sizeof(plugin), pinst, sizeof(pinst));
    split_dash(type, tname, sizeof(tname), tinst, sizeof(tinst));
    const char *dstype;
    ds_name(tname, 0, &dstype);
    return add(out, path, plugin, pinst, tname, tinst, ds, dstype, v, t, err);
}

static bool graphite_line(const char *p, size_t len)
{
    /* three fields, the last an epoch in seconds */
    int spaces = 0;
    const char *last = NULL;
    for (size_t i = 0; i < len && p[i] != '\n'; i++) {
        if (p[i] == ' ') {
            spaces++;
            last = p + i;
        }
    }
    return spaces == 2 && last && isdigit((unsigned char)last[1]);
}

static bool detect_text(const char *p, size_t len)
{
    return (len > 7 && memcmp(p, "PUTVAL ", 7) == 0) || graphite_line(p, len);
}

static int text_line(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    return end - p > 7 && memcmp(p, "PUTVAL ", 7) == 0 ? putval(p, end, out, err)
                                                       : graphite(p, end, out, err);
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    if (json)
        return decode_json(json, out, err);
    return ls_tel_each_line(text, len, text_line, out, err);
}

const struct ls_tel_decoder ls_tel_dec_collectd = {LS_TEL_COLLECTD, "collectd", detect_json,
                                                   detect_text, decode};
