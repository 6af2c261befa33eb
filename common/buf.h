/* A growable byte buffer with a hard maximum (curl's dynbuf): appends past the maximum fail
 * with LS_ELIMIT and leave the buffer unchanged. Always NUL-terminated. Not thread-safe. */
#ifndef LS_COMMON_BUF_H
#define LS_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

struct ls_buf {
    char *data; /* owned; NULL until the first append */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* largest len allowed; 0 = unbounded */
};

/** Initialises an empty buffer that may grow to max bytes (0: no bound). */
void ls_buf_init(struct ls_buf *b, size_t max);
/** Frees the data; the buffer may be initialised again. */
void ls_buf_cleanup(struct ls_buf *b);
/** Empties the buffer, keeping its memory. */
void ls_buf_reset(struct ls_buf *b);
/** Appends n bytes. @return LS_OK or LS_ELIMIT (buffer unchanged). */
LS_MUST_CHECK int ls_buf_append(struct ls_buf *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
LS_MUST_CHECK int ls_buf_puts(struct ls_buf *b, const char *s);
/** Appends printf output. */
LS_MUST_CHECK int ls_buf_printf(struct ls_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
LS_MUST_CHECK int ls_buf_vprintf(struct ls_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/** Hands the data to the caller (free() it) and re-initialises the buffer. Never NULL. */
char *ls_buf_take(struct ls_buf *b);

#endif
