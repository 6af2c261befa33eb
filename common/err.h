/* Status codes and the error detail that travels with them (STYLE.md 2.4).
 * A function that can fail returns an enum ls_status and takes `struct ls_err *err` last.
 * Only boundaries (main, request completion, consumer loop, importer scheduler) log errors. */
#ifndef LS_COMMON_ERR_H
#define LS_COMMON_ERR_H

#include <stddef.h>

#define LS_MUST_CHECK __attribute__((warn_unused_result))

enum ls_status {
    LS_OK = 0,
    LS_ERR = -1,       /* internal: a bug or broken invariant (500) */
    LS_EINVAL = -2,    /* malformed input (400) */
    LS_ENOTFOUND = -3, /* 404 */
    LS_ECONFLICT = -4, /* exists / revision mismatch (409) */
    LS_ELIMIT = -5,    /* over a configured bound: body, depth, length, count (413/422) */
    LS_EUNAVAIL = -6,  /* Postgres/OpenStack/Kafka unreachable; retryable (503) */
    LS_ETIMEOUT = -7,  /* 504 */
};

struct ls_err {
    enum ls_status status; /* LS_OK until set */
    const char *code;      /* static API code, e.g. "node_not_found"; never NULL once set */
    char msg[256];         /* one line: lower case, no trailing period */
};

/** Clears err (may be NULL) to LS_OK. */
void ls_err_clear(struct ls_err *err);

/**
 * Fills err (may be NULL) and returns status, so callers write `return ls_err_set(err, ...);`.
 * @param code a static string (not copied); NULL picks the default code for status.
 */
int ls_err_set(struct ls_err *err, enum ls_status status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Prefixes err->msg with "what: " to add context while propagating; returns err->status. */
int ls_err_wrap(struct ls_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Static name of a status ("invalid", "not_found", ...), the default API code. */
const char *ls_status_name(enum ls_status status);

/** Assertions for programming errors stay on in release builds; they log file:line and abort. */
#define LS_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ls_assert_fail(#cond, __FILE__, __LINE__);                                             \
    } while (0)

_Noreturn void ls_assert_fail(const char *expr, const char *file, int line);

/* Allocation that aborts on OOM (h2o, redis): memory is kept in budget by limits instead. */
void *ls_xmalloc(size_t size);
void *ls_xcalloc(size_t n, size_t size);
void *ls_xrealloc(void *ptr, size_t size);
char *ls_xstrdup(const char *s);
char *ls_xstrndup(const char *s, size_t n);
/** Logs an allocation failure of `size` bytes and aborts. */
_Noreturn void ls_oom(size_t size);
/** Called when a jansson constructor returns NULL: logs and aborts. */
_Noreturn void ls_json_oom(void);

#endif
