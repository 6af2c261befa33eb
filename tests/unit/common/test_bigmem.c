/* common/bigmem: arrays below and above LS_BIG_MIN keep their bytes through realloc (either
 * way across it), calloc is zeroed even from a kept mapping, freed mappings are kept within
 * the cache's bounds and reused, and threads never share an array. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/bigmem.h"
#include "tests/support/skip.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + seed))
            return 0;
    return 1;
}

static void test_realloc_keeps_the_bytes_across_the_threshold(void **state)
{
    (void)state;
    size_t small = 1000, big = 3 * LS_BIG_MIN + 123;
    unsigned char *p = ls_big_alloc(small);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    fill(p, small, 7);
    p = ls_big_realloc(p, big); /* malloc'd -> mapped */
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    assert_true(same(p, small, 7));
    fill(p, big, 9);
    p = ls_big_realloc(p, 2 * big); /* mapped -> a larger mapping */
    assert_true(same(p, big, 9));
    p[2 * big - 1] = 1;
    p = ls_big_realloc(p, LS_BIG_MIN + 1); /* a smaller mapping */
    assert_true(same(p, LS_BIG_MIN + 1, 9));
    p = ls_big_realloc(p, small); /* mapped -> malloc'd */
    assert_true(same(p, small, 9));
    ls_big_free(p);
    ls_big_free(NULL);
    unsigned char *q = ls_big_realloc(NULL, 10);
    q[9] = 1;
    ls_big_free(q);
}

static void test_growing_takes_a_kept_mapping_and_keeps_the_bytes(void **state)
{
    (void)state;
    unsigned char *k = ls_big_alloc(9 * LS_BIG_MIN); /* 10 MiB mapped, then kept */
    uintptr_t was_k = (uintptr_t)k;
    ls_big_free(k);
    size_t n = 3 * LS_BIG_MIN + 5; /* 4 MiB: the kept 10 MiB is over twice that */
    unsigned char *p = ls_big_alloc(n);
    assert_int_not_equal((uintptr_t)p, was_k);
    fill(p, n, 3);
    p = ls_big_realloc(p, 8 * LS_BIG_MIN); /* 10 MiB: the kept one, copied into */
    assert_true(same(p, n, 3));
    assert_true((uintptr_t)p - was_k < 64); /* the kept mapping, behind its header */
    p[8 * LS_BIG_MIN - 1] = 1;
    ls_big_free(p);
}

static int zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_a_kept_mapping_is_reused_and_calloc_is_zeroed(void **state)
{
    (void)state;
    size_t n0, b0, n1, b1;
    size_t big = 5 * LS_BIG_MIN;
    unsigned char *p = ls_big_calloc(big, 1);
    assert_true(zero(p, big));
    memset(p, 0xab, big);
    ls_big_cached(&n0, &b0);
    ls_big_free(p);
    ls_big_cached(&n1, &b1);
    assert_int_equal(n1, n0 + 1); /* kept */
    assert_true(b1 >= b0 + big);
    unsigned char *q = ls_big_calloc(big / 4, 4); /* the same size: the kept one, zeroed */
    ls_big_cached(&n0, &b0);
    assert_int_equal(n0, n1 - 1);
    assert_true(zero(q, big));
    unsigned char *r = ls_big_calloc(4, LS_BIG_MIN); /* a new one: nothing kept fits */
    assert_true(zero(r, 4 * LS_BIG_MIN));
    unsigned char *s = ls_big_calloc(1, 100); /* small: malloc'd, zeroed */
    assert_true(zero(s, 100));
    ls_big_free(s);
    uintptr_t was_q = (uintptr_t)q, was_r = (uintptr_t)r; /* both kept once freed */
    ls_big_free(q);
    ls_big_free(r);
    /* a much smaller array does not take a kept mapping over twice its size (both 6 MiB) */
    unsigned char *t = ls_big_alloc(LS_BIG_MIN);
    assert_int_not_equal((uintptr_t)t, was_q);
    assert_int_not_equal((uintptr_t)t, was_r);
    ls_big_free(t);
}

static void test_the_cache_stays_within_its_bounds(void **state)
{
    (void)state;
    enum { N = 40 };
    unsigned char *p[N];
    for (size_t i = 0; i < N; i++) /* 40 arrays of 16 MiB: 640 MiB, more than is kept */
        p[i] = ls_big_alloc(16 * LS_BIG_MIN - 64);
    for (size_t i = 0; i < N; i++)
        ls_big_free(p[i]);
    size_t n, bytes;
    ls_big_cached(&n, &bytes);
    assert_true(bytes <= LS_BIG_CACHE_BYTES);
    assert_true(n <= 32);
    assert_true(n >= LS_BIG_CACHE_BYTES / (16 * LS_BIG_MIN) - 3); /* it keeps what fits */
}

/* Under AddressSanitizer, the bytes past a mapped array and a kept mapping are poisoned (an
 * overflow or a use after free is reported); without it there is nothing to check. */
static void test_asan_sees_past_the_array_and_into_kept_mappings(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    size_t n = 2 * LS_BIG_MIN + 3;
    unsigned char *p = ls_big_alloc(n);
    assert_false(__asan_address_is_poisoned(p));
    assert_false(__asan_address_is_poisoned(p + n - 1));
    assert_true(__asan_address_is_poisoned(p + n));
    assert_true(__asan_address_is_poisoned(p + n + 4096));
    p = ls_big_realloc(p, n + 5000); /* grown in place or moved: the new bytes are the array's */
    assert_false(__asan_address_is_poisoned(p + n + 4999));
    assert_true(__asan_address_is_poisoned(p + n + 5000));
    uintptr_t was = (uintptr_t)p;
    ls_big_free(p);
    size_t kept, bytes;
    ls_big_cached(&kept, &bytes);
    assert_true(kept > 0);
    assert_true(__asan_address_is_poisoned((void *)was)); /* kept, and not the caller's */
#else
    LS_SKIP("not built with AddressSanitizer: nothing is poisoned");
#endif
}

#define THREADS 4
#define ROUNDS  50

static void *churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        size_t n = LS_BIG_MIN * (1 + (size_t)(r + seed) % 3);
        unsigned char *p = ls_big_alloc(n);
        fill(p, n, seed + (unsigned)r);
        if (!same(p, n, seed + (unsigned)r)) /* another thread wrote it: handed out twice */
            return (void *)1;
        ls_big_free(p);
    }
    return NULL;
}

static void test_threads_never_share_an_array(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)i), 0);
    for (size_t i = 0; i < THREADS; i++) {
        void *bad;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_realloc_keeps_the_bytes_across_the_threshold),
        cmocka_unit_test(test_growing_takes_a_kept_mapping_and_keeps_the_bytes),
        cmocka_unit_test(test_a_kept_mapping_is_reused_and_calloc_is_zeroed),
        cmocka_unit_test(test_the_cache_stays_within_its_bounds),
        cmocka_unit_test(test_asan_sees_past_the_array_and_into_kept_mappings),
        cmocka_unit_test(test_threads_never_share_an_array),
    };
    return ls_skip_status(cmocka_run_group_tests(tests, NULL, NULL), LS_N_TESTS(tests));
}
