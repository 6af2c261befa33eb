/* Bounded growable buffer. */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ls_buf_init(struct ls_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void ls_buf_cleanup(struct ls_buf *b)
{
    free(b->data);
    ls_buf_init(b, b->max);
}

void ls_buf_reset(struct ls_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct ls_buf *b, size_t n)
{
    if (b->max && b->len + n > b->max)
        return LS_ELIMIT;
    if (b->len + n + 1 <= b->cap)
        return LS_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->data = ls_xrealloc(b->data, cap);
    b->cap = cap;
    return LS_OK;
}

int ls_buf_append(struct ls_buf *b, const void *p, size_t n)
{
    if (reserve(b, n) != LS_OK)
        return LS_ELIMIT;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return LS_OK;
}

int ls_buf_puts(struct ls_buf *b, const char *s)
{
    return ls_buf_append(b, s, strlen(s));
}

int ls_buf_vprintf(struct ls_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return LS_ERR;
    if (reserve(b, (size_t)n) != LS_OK)
        return LS_ELIMIT;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return LS_OK;
}

int ls_buf_printf(struct ls_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ls_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *ls_buf_take(struct ls_buf *b)
{
    char *d = b->data;
    if (d == NULL)
        d = ls_xstrdup("");
    ls_buf_init(b, b->max);
    return d;
}
