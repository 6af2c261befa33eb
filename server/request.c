/* Request helpers: query arguments, bounded JSON bodies, responses and error rendering. */
#include "server/request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"

const char *ls_req_query(struct ls_req *req, const char *key)
{
    if (req->conn)
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
    for (size_t i = 0; i < req->n_args; i++)
        if (strcmp(req->args[i].key, key) == 0)
            return req->args[i].value;
    return NULL;
}

void ls_req_args_each(struct ls_req *req, MHD_KeyValueIterator it, void *cls)
{
    if (req->conn) {
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, it, cls);
        return;
    }
    for (size_t i = 0; i < req->n_args; i++)
        if (it(cls, MHD_GET_ARGUMENT_KIND, req->args[i].key, req->args[i].value) != MHD_YES)
            return;
}

struct param_check {
    const char *const *allowed;
    bool attr_prefix;
    const char *bad;
};

static enum MHD_Result
check_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    struct param_check *pc = cls;
    if (pc->attr_prefix && strncmp(key, "attr.", 5) == 0 && key[5])
        return MHD_YES;
    for (const char *const *a = pc->allowed; *a; a++)
        if (strcmp(*a, key) == 0)
            return MHD_YES;
    pc->bad = key;
    return MHD_NO;
}

int ls_req_check_params(struct ls_req *req,
                        const char *const *allowed,
                        bool attr_prefix,
                        struct ls_err *err)
{
    struct param_check pc = {allowed, attr_prefix, NULL};
    ls_req_args_each(req, check_one, &pc);
    if (pc.bad)
        return ls_err_set(err, LS_EINVAL, "unknown_parameter", "unknown query parameter '%.64s'",
                          pc.bad);
    return LS_OK;
}

int ls_req_long(struct ls_req *req,
                const char *key,
                long def,
                long min,
                long max,
                long *out,
                struct ls_err *err)
{
    const char *v = ls_req_query(req, key);
    if (v == NULL) {
        *out = def;
        return LS_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end)
        return ls_err_set(err, LS_EINVAL, "invalid_parameter", "%s: expected an integer", key);
    if (n < min || n > max)
        return ls_err_set(err, LS_EINVAL, "invalid_parameter", "%s: must be between %ld and %ld",
                          key, min, max);
    *out = n;
    return LS_OK;
}

int ls_req_bool(struct ls_req *req, const char *key, bool def, bool *out, struct ls_err *err)
{
    const char *v = ls_req_query(req, key);
    *out = def;
    if (!v)
        return LS_OK;
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return ls_err_set(err, LS_EINVAL, "invalid_parameter", "%s: expected true or false", key);
    return LS_OK;
}

int ls_req_time(struct ls_req *req, const char *key, bool *has, int64_t *out, struct ls_err *err)
{
    const char *v = ls_req_query(req, key);
    *has = v != NULL;
    if (v == NULL)
        return LS_OK;
    int rc = ls_time_parse_rfc3339(out, v, err);
    if (rc != LS_OK)
        ls_err_wrap(err, "%s", key);
    return rc;
}

/* Walks v checking nesting depth and string lengths (keys included). */
static int check_json(const json_t *v, int depth, long max_depth, long max_str, struct ls_err *err)
{
    if (depth > max_depth)
        return ls_err_set(err, LS_EINVAL, "json_too_deep", "JSON nested deeper than %ld levels",
                          max_depth);
    if (json_is_string(v) && (long)json_string_length(v) > max_str)
        return ls_err_set(err, LS_ELIMIT, "string_too_long", "a string is longer than %ld bytes",
                          max_str);
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if ((long)strlen(k) > max_str)
                return ls_err_set(err, LS_ELIMIT, "string_too_long",
                                  "a key is longer than %ld bytes", max_str);
            int rc = check_json(x, depth + 1, max_depth, max_str, err);
            if (rc != LS_OK)
                return rc;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            int rc = check_json(x, depth + 1, max_depth, max_str, err);
            if (rc != LS_OK)
                return rc;
        }
    }
    return LS_OK;
}

int ls_req_json(struct ls_req *req, json_t **out, struct ls_err *err)
{
    const struct ls_config *cfg = req->ctx->cfg;
    if (req->body.len == 0)
        return ls_err_set(err, LS_EINVAL, "malformed_json", "request body is empty");
    json_error_t je;
    /* jansson refuses nesting deeper than 2048 on its own; our bound is checked after */
    json_t *v = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        return ls_err_set(err, LS_EINVAL, "malformed_json",
                          "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
    int rc = check_json(v, 1, cfg->max_json_depth, cfg->max_string_bytes, err);
    if (rc == LS_OK && !json_is_object(v))
        rc = ls_err_set(err, LS_EINVAL, "expected_object", "request body must be a JSON object");
    if (rc != LS_OK) {
        json_decref(v);
        return rc;
    }
    *out = v;
    return LS_OK;
}

void ls_resp_text_take(
    struct ls_resp *resp, unsigned status, char *text, size_t len, const char *ctype)
{
    if (!resp->borrowed)
        free(resp->body);
    resp->status = status;
    resp->body = text;
    resp->len = len;
    resp->borrowed = false;
    resp->ctype = ctype;
}

void ls_resp_json_new(struct ls_resp *resp, unsigned status, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (s == NULL)
        ls_json_oom();
    ls_resp_text_take(resp, status, s, strlen(s), "application/json");
}

unsigned ls_http_status(enum ls_status st)
{
    switch (st) {
    case LS_OK:
        return 200;
    case LS_EINVAL:
        return 400;
    case LS_ENOTFOUND:
        return 404;
    case LS_ECONFLICT:
        return 409;
    case LS_ELIMIT:
        return 422;
    case LS_EUNAVAIL:
        return 503;
    case LS_ETIMEOUT:
        return 504;
    case LS_ERR:
        break;
    }
    return 500;
}

static void error_body(struct ls_resp *resp, unsigned status, const char *code, const char *msg)
{
    json_t *v = json_pack("{s:{s:i,s:s,s:s}}", "error", "status", (int)status, "code", code,
                          "message", msg);
    if (v == NULL) /* msg not UTF-8: keep the code, drop the text */
        v = json_pack("{s:{s:i,s:s,s:s}}", "error", "status", (int)status, "code", code, "message",
                      "(message not representable)");
    ls_resp_json_new(resp, status, v);
}

void ls_resp_error(struct ls_resp *resp, const struct ls_err *err)
{
    unsigned status = ls_http_status(err->status);
    error_body(resp, status, err->code ? err->code : ls_status_name(err->status), err->msg);
}

void ls_resp_error_status(
    struct ls_resp *resp, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    error_body(resp, status, code, msg);
}

int ls_buf_urlencode(struct ls_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == ':') {
            rc = ls_buf_append(b, p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = ls_buf_append(b, esc, 3);
        }
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

struct link {
    struct ls_buf b;
    bool first;
};

static enum MHD_Result
add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct link *l = cls;
    if (strcmp(key, "marker") == 0)
        return MHD_YES;
    int rc = ls_buf_puts(&l->b, l->first ? "?" : "&");
    rc = rc ? rc : ls_buf_urlencode(&l->b, key);
    if (value) {
        rc = rc ? rc : ls_buf_puts(&l->b, "=");
        rc = rc ? rc : ls_buf_urlencode(&l->b, value);
    }
    l->first = false;
    return rc == LS_OK ? MHD_YES : MHD_NO;
}

char *ls_req_next_link(struct ls_req *req, const char *marker)
{
    struct link l = {.first = true};
    ls_buf_init(&l.b, 0);
    int rc = ls_buf_urlencode(&l.b, req->url);
    /* the path was decoded by MHD; keep its slashes readable */
    for (size_t i = 0; rc == LS_OK && i + 2 < l.b.len; i++) {
        if (memcmp(l.b.data + i, "%2F", 3) == 0) {
            l.b.data[i] = '/';
            memmove(l.b.data + i + 1, l.b.data + i + 3, l.b.len - i - 2);
            l.b.len -= 2;
        }
    }
    ls_req_args_each(req, add_arg, &l);
    rc = rc ? rc : ls_buf_puts(&l.b, l.first ? "?marker=" : "&marker=");
    rc = rc ? rc : ls_buf_urlencode(&l.b, marker);
    LS_ASSERT(rc == LS_OK); /* unbounded */
    return ls_buf_take(&l.b);
}
