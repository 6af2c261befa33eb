/* bigmem.h: an array of LS_BIG_MIN bytes or more is a mapping of its own, rounded up to whole
 * 2 MiB pages and advised as huge; a smaller one comes from malloc. A header before the
 * array says which, and a mapping's length. Under AddressSanitizer a mapping's bytes past
 * the array, and a kept mapping whole, are poisoned: an overflow or a use after free is
 * reported as it would be for malloc'd memory. */
#define _GNU_SOURCE
#include "common/bigmem.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/asan.h"
#include "common/err.h"

#define HUGE_PAGE ((size_t)2 << 20)

struct head {
    alignas(max_align_t) size_t mapped; /* the mapping's length, 0 when malloc'd */
    size_t bytes;                       /* the caller's size */
};
_Static_assert(sizeof(struct head) + LS_BIG_PAGE_ARRAY <= HUGE_PAGE, "one page's array fits");

static size_t mapped_len(size_t bytes)
{
    size_t need = sizeof(struct head) + bytes;
    if (need < bytes)
        ls_oom(bytes);
    return (need + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static void *with_head(struct head *h, size_t mapped, size_t bytes)
{
    if (mapped) {
        LS_UNPOISON(h, sizeof *h + bytes);
        LS_POISON((char *)(h + 1) + bytes, mapped - sizeof *h - bytes);
    }
    h->mapped = mapped;
    h->bytes = bytes;
    return h + 1;
}

/* Mappings freed, kept for the next call's arrays (their pages already faulted in): at most
 * CACHE_SLOTS of them, LS_BIG_CACHE_BYTES in all. An array takes the smallest one that fits
 * and is not over twice its size. */
#define CACHE_SLOTS 32
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    void *m[CACHE_SLOTS];
    size_t len[CACHE_SLOTS];
    size_t n, bytes;
} cache;

/* The smallest cached mapping of len bytes or more (and not over twice that), or NULL. */
static void *cache_take(size_t len, size_t *got)
{
    pthread_mutex_lock(&cache_lock);
    size_t best = CACHE_SLOTS;
    for (size_t i = 0; i < cache.n; i++)
        if (cache.len[i] >= len && cache.len[i] / 2 <= len &&
            (best == CACHE_SLOTS || cache.len[i] < cache.len[best]))
            best = i;
    void *m = NULL;
    if (best < CACHE_SLOTS) {
        m = cache.m[best];
        *got = cache.len[best];
        cache.bytes -= cache.len[best];
        cache.n--;
        cache.m[best] = cache.m[cache.n];
        cache.len[best] = cache.len[cache.n];
    }
    pthread_mutex_unlock(&cache_lock);
    return m;
}

static bool cache_put(void *m, size_t len)
{
    pthread_mutex_lock(&cache_lock);
    bool kept = cache.n < CACHE_SLOTS && cache.bytes + len <= LS_BIG_CACHE_BYTES;
    if (kept) {
        LS_POISON(m, len);
        cache.m[cache.n] = m;
        cache.len[cache.n++] = len;
        cache.bytes += len;
    }
    pthread_mutex_unlock(&cache_lock);
    return kept;
}

static void *map_new(size_t bytes, bool zero)
{
    size_t len = mapped_len(bytes), got;
    void *c = cache_take(len, &got);
    if (c) {
        void *p = with_head(c, got, bytes);
        if (zero)
            memset(p, 0, bytes);
        return p;
    }
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        ls_oom(bytes);
#ifdef MADV_HUGEPAGE
    (void)madvise(m, len, MADV_HUGEPAGE); /* advice: without THP the pages are small */
#endif
    return with_head(m, len, bytes);
}

void *ls_big_alloc(size_t bytes)
{
    if (bytes >= LS_BIG_MIN)
        return map_new(bytes, false);
    return with_head(ls_xmalloc(sizeof(struct head) + bytes), 0, bytes);
}

void *ls_big_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        ls_oom(SIZE_MAX);
    size_t bytes = n * size;
    if (bytes >= LS_BIG_MIN)
        return map_new(bytes, true);
    return with_head(ls_xcalloc(1, sizeof(struct head) + bytes), 0, bytes);
}

void *ls_big_realloc(void *p, size_t bytes)
{
    if (!p)
        return ls_big_alloc(bytes);
    struct head *h = (struct head *)p - 1;
    if (h->mapped && bytes >= LS_BIG_MIN) {
        size_t len = mapped_len(bytes), got;
        void *c = len > h->mapped ? cache_take(len, &got) : NULL;
        if (c) { /* grown into a kept mapping: its pages are there, mremap's new ones are not */
            void *q = with_head(c, got, bytes);
            memcpy(q, p, h->bytes);
            ls_big_free(p);
            return q;
        }
        if (len != h->mapped) {
            LS_UNPOISON(h, h->mapped); /* its addresses may be another's after the move */
            h = mremap(h, h->mapped, len, MREMAP_MAYMOVE);
            if (h == MAP_FAILED)
                ls_oom(bytes);
        }
        return with_head(h, len, bytes);
    }
    if (!h->mapped && bytes < LS_BIG_MIN)
        return with_head(ls_xrealloc(h, sizeof(struct head) + bytes), 0, bytes);
    void *q = ls_big_alloc(bytes); /* across LS_BIG_MIN: moved between the two kinds */
    memcpy(q, p, h->bytes < bytes ? h->bytes : bytes);
    ls_big_free(p);
    return q;
}

void ls_big_cached(size_t *mappings, size_t *bytes)
{
    pthread_mutex_lock(&cache_lock);
    *mappings = cache.n;
    *bytes = cache.bytes;
    pthread_mutex_unlock(&cache_lock);
}

void ls_big_free(void *p)
{
    if (!p)
        return;
    struct head *h = (struct head *)p - 1;
    if (!h->mapped)
        free(h);
    else if (!cache_put(h, h->mapped)) {
        LS_UNPOISON(h, h->mapped); /* its addresses may be mapped again */
        munmap(h, h->mapped);
    }
}
