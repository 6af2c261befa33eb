/* collectd write_kafka: JSON (an array of value lists), the Command format (PUTVAL) and the
 * Graphite format. For the virt plugin the plugin instance names the VM (UUID or domain) and
 * the type instance the device; derive and counter data sources are counters. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
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
               int64_t t_us,
               struct ls_err *err)
{
    struct ls_sample *x = ls_tel_batch_add(out);
    if (x == NULL)
        return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
    snprintf(x->metric, sizeof(x->metric), "%.40s.%.40s.%.40s", plugin, type, ds);
    snprintf(x->series, sizeof(x->series), "%s", tinst);
    x->value = v;
    x->time_us = t_us;
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
        double t, d;
        int64_t t_us;
        int rc = ls_tel_jnum(json_object_get(vl, "time"), LS_TEL_TIME, "collectd: time", &t, err);
        rc = rc ? rc : ls_tel_time_us(&t_us, t, LS_TEL_UNIT_MAGNITUDE, "collectd: time", err);
        if (rc != LS_OK)
            return rc;
        json_array_foreach(json_object_get(vl, "values"), k, v)
        {
            if (json_is_null(v))
                continue; /* NaN is sent as null */
            rc = ls_tel_jnum(v, LS_TEL_VALUE, "collectd: value", &d, err);
            rc = rc ? rc
                    : add(out, ls_tel_jstr(vl, "host"), ls_tel_jstr(vl, "plugin"),
                          ls_tel_jstr(vl, "plugin_instance"), ls_tel_jstr(vl, "type"),
                          ls_tel_jstr(vl, "type_instance"),
                          json_string_value(json_array_get(dsn, k))
                              ? json_string_value(json_array_get(dsn, k))
                              : "value",
                          json_string_value(json_array_get(dst, k))
                              ? json_string_value(json_array_get(dst, k))
                              : "gauge",
                          d, t_us, err);
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

/* Copies [p, e) into dst (cap bytes), truncating. */
static void copy(char *dst, size_t cap, const char *p, const char *e)
{
    snprintf(dst, cap, "%.*s", (int)(e - p), p);
}

/* Splits [p, e) at its first '-' into a and b ("" when none). */
static void split_dash(const char *p, const char *e, char *a, size_t ca, char *b, size_t cb)
{
    const char *d = memchr(p, '-', (size_t)(e - p));
    copy(a, ca, p, d ? d : e);
    copy(b, cb, d ? d + 1 : e, e);
}

/* The next space-separated token of [*p, end), unquoted ("..."): 1 with its bounds, 0 at the
 * end of the line, -1 for a quote that is not closed. */
static int token(const char **p, const char *end, const char **ts, const char **te)
{
    const char *q = *p;
    while (q < end && *q == ' ')
        q++;
    if (q == end)
        return 0;
    if (*q == '"') {
        const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
        if (close == NULL)
            return -1;
        *ts = q + 1;
        *te = close;
        *p = close + 1;
        return 1;
    }
    *ts = q;
    while (q < end && *q != ' ')
        q++;
    *te = q;
    *p = q;
    return 1;
}

/* One value list "time:v[:v...]" of a PUTVAL line; time N is when the record was received,
 * value U is undefined (skipped, as JSON's null). */
static int value_list(
    const char *p, const char *end, const char *id[5], struct ls_tel_batch *out, struct ls_err *err)
{
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (colon == NULL || colon + 1 == end)
        return ls_err_set(err, LS_EINVAL, "malformed_record",
                          "collectd: PUTVAL expects time:value[:value...]");
    int64_t t_us;
    if (colon - p == 1 && *p == 'N') {
        t_us = out->received_us ? out->received_us : ls_time_now_us();
    } else {
        double t;
        int rc = ls_tel_num_check(ls_tel_parse_double(p, (size_t)(colon - p), &t), LS_TEL_TIME,
                                  "collectd: PUTVAL time", err);
        rc = rc ? rc : ls_tel_time_us(&t_us, t, LS_TEL_UNIT_S, "collectd: PUTVAL time", err);
        if (rc != LS_OK)
            return rc;
    }
    int i = 0;
    for (const char *v = colon + 1; v <= end; i++) {
        const char *ve = memchr(v, ':', (size_t)(end - v));
        if (ve == NULL)
            ve = end;
        if (!(ve - v == 1 && *v == 'U')) {
            double d;
            int rc = ls_tel_num_check(ls_tel_parse_double(v, (size_t)(ve - v), &d), LS_TEL_VALUE,
                                      "collectd: PUTVAL value", err);
            const char *dstype, *ds = ds_name(id[3], i, &dstype);
            rc = rc ? rc : add(out, id[0], id[1], id[2], id[3], id[4], ds, dstype, d, t_us, err);
            if (rc != LS_OK)
                return rc;
        }
        v = ve + 1;
    }
    return LS_OK;
}

/* PUTVAL host/plugin[-inst]/type[-inst] [option=v ...] time:v[:v...] */
static int putval(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    const char *ts, *te;
    p += 7; /* "PUTVAL " */
    int t = token(&p, end, &ts, &te);
    const char *s1 = t > 0 ? memchr(ts, '/', (size_t)(te - ts)) : NULL;
    const char *s2 = s1 ? memchr(s1 + 1, '/', (size_t)(te - s1 - 1)) : NULL;
    if (s2 == NULL || s1 == ts || s2 == s1 + 1 || s2 + 1 == te)
        return ls_err_set(err, LS_EINVAL, "malformed_record",
                          "collectd: PUTVAL expects host/plugin[-instance]/type[-instance]");
    char host[160], plugin[64], pinst[128], type[64], tinst[128];
    copy(host, sizeof(host), ts, s1);
    split_dash(s1 + 1, s2, plugin, sizeof(plugin), pinst, sizeof(pinst));
    split_dash(s2 + 1, te, type, sizeof(type), tinst, sizeof(tinst));
    const char *id[5] = {host, plugin, pinst, type, tinst};
    int lists = 0;
    while ((t = token(&p, end, &ts, &te)) > 0) {
        if (memchr(ts, '=', (size_t)(te - ts)))
            continue; /* interval=… */
        int rc = value_list(ts, te, id, out, err);
        if (rc != LS_OK)
            return rc;
        lists++;
    }
    if (t < 0)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "collectd: PUTVAL: unclosed quote");
    if (lists == 0)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "collectd: PUTVAL without values");
    return LS_OK;
}

static const char *const plugins[] = {"virt-",  "cpu-", "interface-", "disk-",
                                      "memory", "load", "df-",        "libvirt-"};

/* Graphite: host.with.dots.plugin-inst.type-inst.ds value time (seconds) */
static int graphite(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    const char *ps, *pe, *vs, *ve, *ts, *te, *xs, *xe;
    if (token(&p, end, &ps, &pe) <= 0 || token(&p, end, &vs, &ve) <= 0 ||
        token(&p, end, &ts, &te) <= 0 || token(&p, end, &xs, &xe) != 0)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "graphite: expected path value time");
    double v, t;
    int64_t t_us;
    int rc = ls_tel_num_check(ls_tel_parse_double(vs, (size_t)(ve - vs), &v), LS_TEL_VALUE,
                              "graphite: value", err);
    rc = rc ? rc
            : ls_tel_num_check(ls_tel_parse_double(ts, (size_t)(te - ts), &t), LS_TEL_TIME,
                               "graphite: time", err);
    rc = rc ? rc : ls_tel_time_us(&t_us, t, LS_TEL_UNIT_S, "graphite: time", err);
    if (rc != LS_OK)
        return rc;
    char path[512];
    copy(path, sizeof(path), ps, pe);
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
    split_dash(comp, comp + strlen(comp), plugin, sizeof(plugin), pinst, sizeof(pinst));
    split_dash(type, type + strlen(type), tname, sizeof(tname), tinst, sizeof(tinst));
    const char *dstype;
    ds_name(tname, 0, &dstype);
    return add(out, path, plugin, pinst, tname, tinst, ds, dstype, v, t_us, err);
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
    return spaces == 2 && last && last + 1 < p + len && isdigit((unsigned char)last[1]);
}

static bool detect_text(const char *p, size_t len)
{
    return (len > 7 && memcmp(p, "PUTVAL ", 7) == 0) || graphite_line(p, len);
}

static int text_line(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    return end - p >= 7 && memcmp(p, "PUTVAL ", 7) == 0 ? putval(p, end, out, err)
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
