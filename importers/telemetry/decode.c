/* Format detection per record and the decoder table. */
#include "importers/telemetry/decode.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hex.h"

static const struct ls_tel_decoder *const decoders[] = {
    &ls_tel_dec_oslo,       &ls_tel_dec_ceilometer, &ls_tel_dec_monasca,  &ls_tel_dec_otlp,
    &ls_tel_dec_prometheus, &ls_tel_dec_telegraf,   &ls_tel_dec_collectd,
};
#define N_DECODERS (sizeof(decoders) / sizeof(decoders[0]))

static const char *const names[LS_TEL_FORMAT_COUNT] = {
    "auto", "oslo", "ceilometer", "monasca", "collectd", "telegraf", "prometheus", "otlp",
};

const char *ls_tel_format_name(enum ls_tel_format f)
{
    return (unsigned)f < LS_TEL_FORMAT_COUNT ? names[f] : "unknown";
}

bool ls_tel_format_parse(const char *name, enum ls_tel_format *out)
{
    for (int i = 0; i < LS_TEL_FORMAT_COUNT; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = (enum ls_tel_format)i;
            return true;
        }
    }
    return false;
}

void ls_tel_batch_init(struct ls_tel_batch *b, size_t max)
{
    b->v = NULL;
    b->n = 0;
    b->cap = 0;
    b->spans = NULL;
    b->n_spans = 0;
    b->cap_spans = 0;
    b->max = max;
    b->received_us = 0;
}

void ls_tel_batch_cleanup(struct ls_tel_batch *b)
{
    int64_t received = b->received_us;
    free(b->v);
    free(b->spans);
    ls_tel_batch_init(b, b->max);
    b->received_us = received;
}

struct ls_sample *ls_tel_batch_add(struct ls_tel_batch *b)
{
    if (b->max && b->n >= b->max)
        return NULL;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->v = ls_xrealloc(b->v, b->cap * sizeof(*b->v));
    }
    struct ls_sample *s = &b->v[b->n++];
    memset(s, 0, sizeof(*s));
    return s;
}

struct ls_span *ls_tel_batch_add_span(struct ls_tel_batch *b)
{
    if (b->max && b->n_spans >= b->max)
        return NULL;
    if (b->n_spans == b->cap_spans) {
        b->cap_spans = b->cap_spans ? b->cap_spans * 2 : 8;
        b->spans = ls_xrealloc(b->spans, b->cap_spans * sizeof(*b->spans));
    }
    struct ls_span *s = &b->spans[b->n_spans++];
    memset(s, 0, sizeof(*s));
    return s;
}

void ls_tel_set(char *field, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(field, s, n);
    field[n] = '\0';
}

/* ---- numbers ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* p[0..len) spells NaN or infinity ("nan", "+Inf", "-infinity", any case). */
static bool spells_non_finite(const char *p, size_t len)
{
    static const char *const words[] = {"nan", "inf", "infinity"};
    if (len && (*p == '+' || *p == '-')) {
        p++;
        len--;
    }
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t n = strlen(words[w]), i = 0;
        while (i < n && i < len && (p[i] | 0x20) == words[w][i])
            i++;
        if (i == n && n == len)
            return true;
    }
    return false;
}

#define NUM_MAX_LEN 128 /* longer than any number a producer writes */

enum ls_tel_num ls_tel_parse_double(const char *p, size_t len, double *out)
{
    if (spells_non_finite(p, len))
        return LS_TEL_NUM_NOT_FINITE;
    size_t i = 0, digits = 0;
    if (i < len && (p[i] == '+' || p[i] == '-'))
        i++;
    for (; i < len && is_digit(p[i]); i++)
        digits++;
    if (i < len && p[i] == '.')
        for (i++; i < len && is_digit(p[i]); i++)
            digits++;
    if (digits == 0)
        return LS_TEL_NUM_BAD;
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t e = i;
        while (i < len && is_digit(p[i]))
            i++;
        if (i == e)
            return LS_TEL_NUM_BAD;
    }
    if (i != len || len >= NUM_MAX_LEN)
        return LS_TEL_NUM_BAD;
    char buf[NUM_MAX_LEN];
    memcpy(buf, p, len);
    buf[len] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (!isfinite(d))
        return LS_TEL_NUM_NOT_FINITE; /* 1e999: beyond a double */
    *out = d;
    return LS_TEL_NUM_OK;
}

enum ls_tel_num ls_tel_parse_int(const char *p, size_t len, bool is_unsigned, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (!is_unsigned && i < len && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    if (i == len)
        return LS_TEL_NUM_BAD;
    uint64_t limit = is_unsigned ? UINT64_MAX : neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, v = 0;
    bool range = false;
    for (; i < len; i++) {
        if (!is_digit(p[i]))
            return LS_TEL_NUM_BAD;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (limit - d) / 10)
            range = true; /* keep reading: a syntax error still wins */
        else
            v = v * 10 + d;
    }
    if (range)
        return LS_TEL_NUM_RANGE;
    *out = neg ? -(double)v : (double)v;
    return LS_TEL_NUM_OK;
}

int ls_tel_num_check(enum ls_tel_num r, enum ls_tel_what what, const char *name, struct ls_err *err)
{
    bool t = what == LS_TEL_TIME;
    switch (r) {
    case LS_TEL_NUM_OK:
        return LS_OK;
    case LS_TEL_NUM_NOT_FINITE:
        return ls_err_set(err, LS_EINVAL, t ? "time_not_finite" : "value_not_finite",
                          "%s is not a finite number", name);
    case LS_TEL_NUM_RANGE:
        return ls_err_set(err, LS_EINVAL, t ? "time_out_of_range" : "value_out_of_range",
                          "%s is out of range for its type", name);
    case LS_TEL_NUM_BAD:
        break;
    }
    return ls_err_set(err, LS_EINVAL, "malformed_record", "%s is not a number", name);
}

int ls_tel_jnum(json_t *v, enum ls_tel_what what, const char *name, double *out, struct ls_err *err)
{
    enum ls_tel_num r = LS_TEL_NUM_BAD;
    if (json_is_number(v)) {
        *out = json_number_value(v); /* jansson refuses reals beyond a double */
        r = LS_TEL_NUM_OK;
    } else if (json_is_string(v)) {
        r = ls_tel_parse_double(json_string_value(v), json_string_length(v), out);
    }
    return ls_tel_num_check(r, what, name, err);
}

int ls_tel_time_us(int64_t *out, double v, double unit_us, const char *what, struct ls_err *err)
{
    if (!isfinite(v))
        return ls_err_set(err, LS_EINVAL, "time_not_finite", "%s is not a finite number", what);
    if (unit_us == LS_TEL_UNIT_MAGNITUDE) {
        double a = fabs(v);
        unit_us = a < 1e11   ? LS_TEL_UNIT_S
                  : a < 1e14 ? LS_TEL_UNIT_MS
                  : a < 1e17 ? 1.0
                             : LS_TEL_UNIT_NS;
    }
    double us = v * unit_us;
    /* compared as doubles, so nothing out of range is ever converted; the upper bound is the
     * first µs of year 10000 (exactly representable), excluded */
    if (!(us >= (double)LS_TEL_TIME_MIN_US && us < 253402300800000000.0))
        return ls_err_set(err, LS_EINVAL, "time_out_of_range",
                          "%s %.15g is out of range (1970-01-01 to 9999-12-31)", what, v);
    *out = (int64_t)us;
    return LS_OK;
}

const char *ls_tel_jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

const char *ls_tel_otlp_attr(json_t *attrs, const char *key)
{
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        if (strcmp(ls_tel_jstr(a, "key"), key) == 0)
            return ls_tel_jstr(json_object_get(a, "value"), "stringValue");
    }
    return "";
}

/* ---- refusal reasons ---- */

const char *const ls_tel_reasons[] = {
    "empty_record",       "unknown_format",  "malformed_json",
    "malformed_record",   "invalid_time",    "too_many_samples",
    "value_not_finite",   "time_not_finite", "time_out_of_range",
    "value_out_of_range", "other",
};
const int ls_tel_reasons_count = (int)(sizeof(ls_tel_reasons) / sizeof(ls_tel_reasons[0]));

int ls_tel_reason_index(const char *code)
{
    for (int i = 0; code && i < ls_tel_reasons_count - 1; i++)
        if (strcmp(ls_tel_reasons[i], code) == 0)
            return i;
    return ls_tel_reasons_count - 1;
}

int ls_tel_each_line(
    const char *text, size_t len, ls_tel_line_fn fn, struct ls_tel_batch *out, struct ls_err *err)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        while (le > p && (le[-1] == '\r' || le[-1] == ' '))
            le--;
        if (le > p) {
            int rc = fn(p, le, out, err);
            if (rc != LS_OK)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return LS_OK;
}

/* ---- the oslo 2.0 envelope without parsing it twice ----
 * {"oslo.version": "2.0", "oslo.message": "<the notification as a JSON string>"}: a jansson
 * parse of the envelope would unescape the inner string into a JSON value only for it to be
 * parsed again. An object whose members are all strings is scanned here instead, and the
 * inner string unescaped straight into a buffer for the one real parse. */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return false;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = ls_hex_digit(p[k]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static void put_utf8(struct ls_buf *b, unsigned cp, bool *ok)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    *ok = *ok && ls_buf_append(b, u, n) == LS_OK;
}

/* Scans one JSON string at p (after its opening quote); unescaped into b when b is not NULL.
 * Returns the position after the closing quote, or NULL when it is not a valid string. */
static const char *scan_string(const char *p, const char *end, struct ls_buf *b)
{
    bool ok = true;
    while (p < end && ok) {
        const char *q = p;
        while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        if (b && q > p)
            ok = ls_buf_append(b, p, (size_t)(q - p)) == LS_OK;
        if (q == end || (unsigned char)*q < 0x20)
            return NULL;
        if (*q == '"')
            return ok ? q + 1 : NULL;
        if (q + 1 >= end) /* a backslash at the end */
            return NULL;
        char c = q[1];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *hit = c ? strchr(from, c) : NULL;
        if (hit) {
            if (b)
                ok = ls_buf_append(b, &to[hit - from], 1) == LS_OK;
            p = q + 2;
        } else if (c == 'u') {
            unsigned cp, lo;
            if (!hex4(q + 2, end, &cp))
                return NULL;
            p = q + 6;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            if (b)
                put_utf8(b, cp, &ok);
        } else {
            return NULL;
        }
    }
    return NULL;
}

/* The oslo.message of a 2.0 envelope, unescaped into b; false when the text is not one (the
 * general path then parses it as usual). */
static bool oslo_unwrap(const char *p, const char *end, struct ls_buf *b)
{
    bool version = false, message = false;
    p = skip_ws(p, end);
    if (p == end || *p != '{')
        return false;
    p = skip_ws(p + 1, end);
    while (p < end && *p == '"') {
        const char *key = p + 1, *after = scan_string(key, end, NULL);
        if (!after)
            return false;
        size_t klen = (size_t)(after - 1 - key);
        p = skip_ws(after, end);
        if (p == end || *p != ':')
            return false;
        p = skip_ws(p + 1, end);
        if (p == end || *p != '"') /* a member that is not a string: not the envelope */
            return false;
        bool is_msg = klen == 12 && memcmp(key, "oslo.message", 12) == 0;
        version = version || (klen == 12 && memcmp(key, "oslo.version", 12) == 0);
        if (is_msg && message)
            return false;
        p = scan_string(p + 1, end, is_msg ? b : NULL);
        if (!p)
            return false;
        message = message || is_msg;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        else
            break;
    }
    return p < end && *p == '}' && skip_ws(p + 1, end) == end && version && message;
}

/* The last line of defence, whatever a decoder did: every sample's value is finite and its
 * time within LS_TEL_TIME_*_US. A record with one such sample is refused whole. */
static int
check_samples(const struct ls_tel_batch *b, size_t first, const char *fmt, struct ls_err *err)
{
    for (size_t i = first; i < b->n; i++) {
        const struct ls_sample *x = &b->v[i];
        if (!isfinite(x->value))
            return ls_err_set(err, LS_EINVAL, "value_not_finite",
                              "%s: %.64s: the value is not a finite number", fmt, x->metric);
        if (x->time_us < LS_TEL_TIME_MIN_US || x->time_us > LS_TEL_TIME_MAX_US)
            return ls_err_set(err, LS_EINVAL, "time_out_of_range",
                              "%s: %.64s: the time is out of range (1970-01-01 to 9999-12-31)", fmt,
                              x->metric);
    }
    return LS_OK;
}

static const struct ls_tel_decoder *by_format(enum ls_tel_format f)
{
    for (size_t i = 0; i < N_DECODERS; i++)
        if (decoders[i]->format == f)
            return decoders[i];
    return NULL;
}

int ls_tel_decode(const char *data,
                  size_t len,
                  enum ls_tel_format forced,
                  struct ls_tel_batch *out,
                  enum ls_tel_format *detected,
                  struct ls_err *err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    if (i == len)
        return ls_err_set(err, LS_EINVAL, "empty_record", "empty record");
    if ((unsigned char)data[i] == 0)
        return ls_err_set(err, LS_EINVAL, "unknown_format",
                          "binary record (schema-registry framing is not supported)");
    const struct ls_tel_decoder *d = forced ? by_format(forced) : NULL;
    json_t *json = NULL;
    if (data[i] == '{' || data[i] == '[') {
        json_error_t je;
        struct ls_buf inner;
        ls_buf_init(&inner, len);
        if ((!forced || forced == LS_TEL_OSLO) && oslo_unwrap(data + i, data + len, &inner)) {
            /* the notification itself: the oslo decoder reads it in its plain form */
            json = json_loadb(inner.data ? inner.data : "", inner.len, 0, &je);
            if (json == NULL) {
                ls_buf_cleanup(&inner);
                return ls_err_set(err, LS_EINVAL, "malformed_record",
                                  "oslo: oslo.message is not JSON: %s", je.text);
            }
        } else {
            json = json_loadb(data + i, len - i, 0, &je);
        }
        ls_buf_cleanup(&inner);
        if (json == NULL)
            return ls_err_set(err, LS_EINVAL, "malformed_json", "malformed JSON at column %d: %s",
                              je.column, je.text);
        for (size_t k = 0; d == NULL && k < N_DECODERS; k++)
            if (decoders[k]->detect_json && decoders[k]->detect_json(json))
                d = decoders[k];
    } else {
        /* the text formats are read with C string functions: a NUL would cut a field short */
        if (memchr(data + i, '\0', len - i))
            return ls_err_set(err, LS_EINVAL, "malformed_record", "NUL byte in a text record");
        for (size_t k = 0; d == NULL && k < N_DECODERS; k++)
            if (decoders[k]->detect_text && decoders[k]->detect_text(data + i, len - i))
                d = decoders[k];
    }
    int rc;
    size_t first = out->n, first_span = out->n_spans;
    if (d == NULL)
        rc = ls_err_set(err, LS_EINVAL, "unknown_format", "record matches no known format");
    else
        rc = d->decode(json, data + i, len - i, out, err);
    if (rc == LS_OK)
        rc = check_samples(out, first, d->name, err);
    if (rc != LS_OK && rc != LS_ENOTFOUND) {
        out->n = first; /* a refused record adds nothing */
        out->n_spans = first_span;
    }
    if (detected)
        *detected = d ? d->format : LS_TEL_AUTO;
    json_decref(json);
    return rc;
}
