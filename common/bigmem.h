/* Working arrays of megabytes (the arrays of one RCA request over a whole landscape) in
 * transparent huge pages where the kernel offers them (madvise mode): one page fault per
 * 2 MiB instead of per 4 KiB, and fewer TLB misses while they are swept. A freed array's
 * mapping is kept (up to LS_BIG_CACHE_BYTES in all) for the next array of about its size,
 * its pages already there: a request's arrays cost no page faults after the first request.
 * Below LS_BIG_MIN bytes an array is plain malloc'd memory. Safe from any thread. */
#ifndef LS_COMMON_BIGMEM_H
#define LS_COMMON_BIGMEM_H

#include <stddef.h>

#define LS_BIG_MIN         ((size_t)1 << 20)        /* bytes from which an array is mapped */
#define LS_BIG_PAGE_ARRAY  (((size_t)2 << 20) - 64) /* the most bytes one 2 MiB page holds */
#define LS_BIG_CACHE_BYTES ((size_t)256 << 20)      /* freed mappings kept, at most, in all */

/** `bytes` of uninitialised memory, aligned for any type; aborts when out of memory. */
void *ls_big_alloc(size_t bytes);
/** `n` zeroed elements of `size` bytes; aborts when out of memory (or when n * size wraps). */
void *ls_big_calloc(size_t n, size_t size);
/** As realloc, for memory from ls_big_*: p may be NULL; keeps the first min(old, bytes). */
void *ls_big_realloc(void *p, size_t bytes);
/** Frees memory from ls_big_*; NULL is ignored. A mapping is kept for reuse while the kept
 *  ones stay within LS_BIG_CACHE_BYTES (and 32 mappings), and unmapped otherwise. */
void ls_big_free(void *p);
/** How many freed mappings are kept for reuse, and their bytes (for /metrics and tests). */
void ls_big_cached(size_t *mappings, size_t *bytes);

#endif
