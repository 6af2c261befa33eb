/* Status codes, error detail and the abort-on-OOM allocators. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

void ls_err_clear(struct ls_err *err)
{
    if (err == NULL)
        return;
    err->status = LS_OK;
    err->code = NULL;
    err->msg[0] = '\0';
}

const char *ls_status_name(enum ls_status status)
{
    switch (status) {
    case LS_OK:
        return "ok";
    case LS_ERR:
        return "internal_error";
    case LS_EINVAL:
        return "invalid";
    case LS_ENOTFOUND:
        return "not_found";
    case LS_ECONFLICT:
        return "conflict";
    case LS_ELIMIT:
        return "limit_exceeded";
    case LS_EUNAVAIL:
        return "unavailable";
    case LS_ETIMEOUT:
        return "timeout";
    }
    return "internal_error";
}

int ls_err_set(struct ls_err *err, enum ls_status status, const char *code, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    err->code = code != NULL ? code : ls_status_name(status);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return status;
}

int ls_err_wrap(struct ls_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return LS_ERR;
    char prefix[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char old[sizeof(err->msg)];
    memcpy(old, err->msg, sizeof(old));
    size_t n = strlen(prefix);
    if (n + 2 < sizeof(err->msg)) {
        memcpy(err->msg, prefix, n);
        err->msg[n] = ':';
        err->msg[n + 1] = ' ';
        size_t room = sizeof(err->msg) - n - 3;
        size_t len = strnlen(old, room);
        memcpy(err->msg + n + 2, old, len);
        err->msg[n + 2 + len] = '\0';
    }
    return err->status;
}

_Noreturn void ls_assert_fail(const char *expr, const char *file, int line)
{
    ls_log(LS_LOG_ERROR, "assert", "assertion failed", "expr=\"%s\" at=%s:%d", expr, file, line);
    abort();
}

_Noreturn void ls_oom(size_t size)
{
    ls_log(LS_LOG_ERROR, "mem", "out of memory", "size=%zu", size);
    abort();
}

void *ls_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        ls_oom(size);
    return p;
}

void *ls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        ls_oom(n * size);
    return p;
}

void *ls_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        ls_oom(size);
    return p;
}

char *ls_xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = ls_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

char *ls_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = ls_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

_Noreturn void ls_json_oom(void)
{
    ls_oom(0);
}
