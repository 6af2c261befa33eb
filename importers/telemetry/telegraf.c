/* Telegraf: the JSON serializer ({"name", "tags", "fields", "timestamp"}, or {"metrics":[…]})
 * and influx line protocol (`measurement,tag=v field=v[,…] [ns]`, one or more lines). Each
 * numeric field is one sample named measurement.field; string fields and tags are identity
 * hints. Telegraf does not say which fields are counters: all are levels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "importers/telemetry/decode.h"

static bool is_metric(json_t *v)
{
    return json_is_object(v) && json_is_object(json_object_get(v, "fields")) &&
           json_is_object(json_object_get(v, "tags")) && json_object_get(v, "name");
}

static bool detect_json(json_t *v)
{
    json_t *m = json_object_get(v, "metrics");
    return is_metric(v) || (json_is_array(m) && is_metric(json_array_get(m, 0)));
}

/* Identity hints from a tag or string field. */
static void hint(struct ls_sample *x, const char *key, const char *v)
{
    if (strcmp(key, "host") == 0)
        LS_TEL_SET(x->host, v);
    else if (strcmp(key, "domain_name") == 0 || strcmp(key, "domain") == 0)
        LS_TEL_SET(x->domain, v);
    else if (strcmp(key, "uuid") == 0 || strcmp(key, "instance_uuid") == 0)
        LS_TEL_SET(x->instance, v);
    else if (strcmp(key, "interface") == 0 || strcmp(key, "device") == 0 ||
             (strcmp(key, "name") == 0 && strncmp(v, "tap", 3) == 0))
        LS_TEL_SET(x->device, v);
    else if (strcmp(key, "cpu") == 0 && x->series[0] == '\0')
        LS_TEL_SET(x->series, v);
}

/* Copies the hints of `from` (the first sample of a metric) to its other samples. */
static void spread(struct ls_tel_batch *out, size_t first)
{
    for (size_t i = first + 1; i < out->n; i++) {
        struct ls_sample *a = &out->v[first], *b = &out->v[i];
        memcpy(b->host, a->host, sizeof(a->host));
        memcpy(b->domain, a->domain, sizeof(a->domain));
        memcpy(b->instance, a->instance, sizeof(a->instance));
        memcpy(b->device, a->device, sizeof(a->device));
        memcpy(b->series, a->series, sizeof(a->series));
    }
}

static int json_metric(json_t *m, struct ls_tel_batch *out, struct ls_err *err)
{
    double ts;
    int64_t t_us;
    if (!is_metric(m))
        return ls_err_set(err, LS_EINVAL, "malformed_record",
                          "telegraf: a metric needs name, tags, fields and a numeric timestamp");
    int rc =
        ls_tel_jnum(json_object_get(m, "timestamp"), LS_TEL_TIME, "telegraf: timestamp", &ts, err);
    rc = rc ? rc : ls_tel_time_us(&t_us, ts, LS_TEL_UNIT_MAGNITUDE, "telegraf: timestamp", err);
    if (rc != LS_OK)
        return rc;
    size_t first = out->n;
    const char *k;
    json_t *v;
    char hints[4][2][128];
    int nh = 0;
    json_object_foreach(json_object_get(m, "fields"), k, v)
    {
        double d;
        if (json_is_string(v)) {
            if (nh < 4) {
                LS_TEL_SET(hints[nh][0], k);
                LS_TEL_SET(hints[nh][1], json_string_value(v));
                nh++;
            }
            continue;
        }
        if (json_is_boolean(v))
            d = json_is_true(v);
        else if (!json_is_number(v))
            continue; /* objects, arrays, null: not a measurement */
        else
            d = json_number_value(v);
        struct ls_sample *x = ls_tel_batch_add(out);
        if (x == NULL)
            return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
        snprintf(x->metric, sizeof(x->metric), "%.63s.%.63s", ls_tel_jstr(m, "name"), k);
        x->value = d;
        x->time_us = t_us;
        x->kind = LS_TEL_GAUGE;
    }
    if (out->n == first)
        return LS_OK;
    json_object_foreach(json_object_get(m, "tags"), k, v)
        hint(&out->v[first], k, json_string_value(v) ? json_string_value(v) : "");
    for (int i = 0; i < nh; i++)
        hint(&out->v[first], hints[i][0], hints[i][1]);
    spread(out, first);
    return LS_OK;
}

static int decode_json(json_t *json, struct ls_tel_batch *out, struct ls_err *err)
{
    json_t *ms = json_object_get(json, "metrics");
    if (!json_is_array(ms))
        return json_metric(json, out, err);
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m)
    {
        int rc = json_metric(m, out, err);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

/* ---- influx line protocol ------------------------------------------------------------------ */

/* Splits at the first unescaped, unquoted `sep` within [p, end); returns the split point. */
static const char *until(const char *p, const char *end, char sep)
{
    bool quoted = false;
    for (; p < end; p++) {
        if (*p == '\\' && p + 1 < end) {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == sep)
            return p;
    }
    return end;
}

static void unescape(char *dst, size_t cap, const char *p, const char *end)
{
    size_t n = 0;
    for (; p < end && n + 1 < cap; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        if (*p != '"')
            dst[n++] = *p;
    }
    dst[n] = '\0';
}

/* The value of an influx field, raw text [p, e): integer (i), unsigned (u), boolean or float.
 * Strings are hints, handled by the caller. */
static int
field_value(const char *p, const char *e, const char *key, double *out, struct ls_err *err)
{
    static const char *const truths[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const lies[] = {"f", "F", "false", "False", "FALSE"};
    size_t n = (size_t)(e - p);
    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
        if (n == strlen(truths[i]) && memcmp(p, truths[i], n) == 0) {
            *out = 1;
            return LS_OK;
        }
        if (n == strlen(lies[i]) && memcmp(p, lies[i], n) == 0) {
            *out = 0;
            return LS_OK;
        }
    }
    enum ls_tel_num r;
    if (n && (e[-1] == 'i' || e[-1] == 'u'))
        r = ls_tel_parse_int(p, n - 1, e[-1] == 'u', out);
    else
        r = ls_tel_parse_double(p, n, out);
    char what[128];
    snprintf(what, sizeof(what), "influx: field %.64s", key);
    return ls_tel_num_check(r, LS_TEL_VALUE, what, err);
}

static int line(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    const char *sp1 = until(p, end, ' ');
    if (sp1 == end)
        return ls_err_set(err, LS_EINVAL, "malformed_record", "influx: a line needs fields");
    const char *fields = sp1 + 1, *sp2 = until(fields, end, ' ');
    int64_t t_us = 0;
    if (sp2 < end) {
        /* an integer of nanoseconds */
        double ts_ns;
        int rc = ls_tel_num_check(ls_tel_parse_int(sp2 + 1, (size_t)(end - sp2 - 1), false, &ts_ns),
                                  LS_TEL_TIME, "influx: timestamp", err);
        rc = rc ? rc : ls_tel_time_us(&t_us, ts_ns, LS_TEL_UNIT_NS, "influx: timestamp", err);
        if (rc != LS_OK)
            return rc;
    } else {
        t_us = out->received_us ? out->received_us : ls_time_now_us(); /* no time: now */
    }
    const char *comma = until(p, sp1, ',');
    char meas[96];
    unescape(meas, sizeof(meas), p, comma);
    size_t first = out->n;
    struct ls_sample hints;
    memset(&hints, 0, sizeof(hints));
    for (const char *f = fields; f < sp2;) {
        const char *fe = until(f, sp2, ','), *eq = until(f, fe, '=');
        char key[96], val[160];
        unescape(key, sizeof(key), f, eq);
        unescape(val, sizeof(val), eq < fe ? eq + 1 : fe, fe);
        f = fe + 1;
        if (eq + 1 < fe && eq[1] == '"') {
            hint(&hints, key, val);
            continue;
        }
        double d;
        int rc = field_value(eq < fe ? eq + 1 : fe, fe, key, &d, err);
        if (rc != LS_OK)
            return rc;
        struct ls_sample *x = ls_tel_batch_add(out);
        if (x == NULL)
            return ls_err_set(err, LS_ELIMIT, "too_many_samples", "record has too many samples");
        snprintf(x->metric, sizeof(x->metric), "%.63s.%.63s", meas, key);
        x->value = d;
        x->time_us = t_us;
        x->kind = LS_TEL_GAUGE;
    }
    if (out->n == first)
        return LS_OK;
    for (const char *t = comma + 1; comma < sp1 && t < sp1;) {
        const char *te = until(t, sp1, ','), *eq = until(t, te, '=');
        char key[96], val[160];
        unescape(key, sizeof(key), t, eq);
        unescape(val, sizeof(val), eq < te ? eq + 1 : te, te);
        hint(&out->v[first], key, val);
        t = te + 1;
    }
    struct ls_sample *f0 = &out->v[first];
    if (hints.device[0])
        memcpy(f0->device, hints.device, sizeof(f0->device));
    if (hints.domain[0])
        memcpy(f0->domain, hints.domain, sizeof(f0->domain));
    spread(out, first);
    return LS_OK;
}

static int text_line(const char *p, const char *end, struct ls_tel_batch *out, struct ls_err *err)
{
    return *p == '#' ? LS_OK : line(p, end, out, err); /* '#' starts a comment */
}

static bool detect_text(const char *p, size_t len)
{
    /* the second space-separated token holds field=value */
    const char *end = p + len, *sp = until(p, end, ' ');
    if (sp == end)
        return false;
    const char *sp2 = until(sp + 1, end, ' ');
    const char *nl = memchr(sp + 1, '\n', (size_t)(end - sp - 1));
    if (nl && nl < sp2)
        sp2 = nl;
    return memchr(sp + 1, '=', (size_t)(sp2 - sp - 1)) != NULL &&
           !(len >= 7 && memcmp(p, "PUTVAL ", 7) == 0);
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    if (json)
        return decode_json(json, out, err);
    return ls_tel_each_line(text, len, text_line, out, err);
}

const struct ls_tel_decoder ls_tel_dec_telegraf = {LS_TEL_TELEGRAF, "telegraf", detect_json,
                                                   detect_text, decode};
