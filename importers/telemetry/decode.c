/* Format detection per record and the decoder table. */
#include "importers/telemetry/decode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
    b->max = max;
}

void ls_tel_batch_cleanup(struct ls_tel_batch *b)
{
    free(b->v);
    ls_tel_batch_init(b, b->max);
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

void ls_tel_set(char *field, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(field, s, n);
    field[n] = '\0';
}

int64_t ls_tel_epoch_us(double v)
{
    if (v < 1e11)
        return (int64_t)(v * 1e6);
    if (v < 1e14)
        return (int64_t)(v * 1e3);
    if (v < 1e17)
        return (int64_t)v;
    return (int64_t)(v / 1e3);
}

const char *ls_tel_jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

bool ls_tel_jnum(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        *out = strtod(s, &end);
        return end != s && *end == '\0';
    }
    return false;
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
        json = json_loadb(data + i, len - i, 0, &je);
        if (json == NULL)
            return ls_err_set(err, LS_EINVAL, "malformed_json", "malformed JSON at column %d: %s",
                              je.column, je.text);
        for (size_t k = 0; d == NULL && k < N_DECODERS; k++)
            if (decoders[k]->detect_json && decoders[k]->detect_json(json))
                d = decoders[k];
    } else {
        for (size_t k = 0; d == NULL && k < N_DECODERS; k++)
            if (decoders[k]->detect_text && decoders[k]->detect_text(data + i, len - i))
                d = decoders[k];
    }
    int rc;
    if (d == NULL)
        rc = ls_err_set(err, LS_EINVAL, "unknown_format", "record matches no known format");
    else
        rc = d->decode(json, data + i, len - i, out, err);
    if (detected)
        *detected = d ? d->format : LS_TEL_AUTO;
    json_decref(json);
    return rc;
}
