/* common/map: keys copied into the map's blocks, get/put/upsert/reserve, and a hash that
 * spreads ids which differ in one byte anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/map.h"

static void test_put_get_upsert_and_replace(void **state)
{
    (void)state;
    struct ls_map m;
    ls_map_init(&m);
    assert_null(ls_map_get(&m, "a"));
    int one = 1, two = 2;
    assert_null(ls_map_put(&m, "a", &one));
    assert_ptr_equal(ls_map_put(&m, "a", &two), &one); /* replaced: the previous value */
    assert_ptr_equal(ls_map_get(&m, "a"), &two);
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&m, "a", &added);
    assert_false(added);
    assert_ptr_equal(e->value, &two);
    e = ls_map_upsert(&m, "", &added); /* the empty key is a key */
    assert_true(added);
    assert_null(e->value);
    e->value = &one;
    assert_ptr_equal(ls_map_get(&m, ""), &one);
    assert_int_equal(m.len, 2);
    ls_map_cleanup(&m);
    assert_null(ls_map_get(&m, "a"));
}

/* Key i in buf: "i:" then 'k's, every thousandth long_len bytes long, the others 1 to 97. */
static const char *key_of(char *buf, size_t i, size_t long_len)
{
    int w = snprintf(buf, 32, "%zu:", i);
    size_t len = (size_t)w + (i % 1000 == 0 ? long_len : 1 + i % 97);
    memset(buf + w, 'k', len - (size_t)w);
    buf[len] = '\0';
    return buf;
}

/* Many keys, short and long (some longer than a key block), all found after every growth;
 * the map's copies are its own (the caller's buffer is reused). */
static void test_many_keys_of_every_length(void **state)
{
    (void)state;
    struct ls_map m;
    ls_map_init(&m);
    enum { N = 100000 };
    size_t long_len = 70000;
    char *buf = malloc(long_len + 64);
    for (size_t i = 0; i < N; i++)
        assert_null(ls_map_put(&m, key_of(buf, i, long_len), (void *)(uintptr_t)(i + 1)));
    assert_int_equal(m.len, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal((uintptr_t)ls_map_get(&m, key_of(buf, i, long_len)), i + 1);
    free(buf);
    ls_map_cleanup(&m);
}

static void test_reserve_makes_room_without_growing(void **state)
{
    (void)state;
    struct ls_map m;
    ls_map_init(&m);
    ls_map_prefetch(&m, "n1"); /* an empty map has no slot to ask for */
    ls_map_reserve(&m, 1000);
    size_t cap = m.cap;
    assert_true(cap >= 2000);
    char k[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "n%d", i);
        ls_map_prefetch(&m, k); /* changes nothing */
        ls_map_put(&m, k, &m);
    }
    assert_int_equal(m.cap, cap);
    assert_int_equal(m.len, 1000);
    ls_map_reserve(&m, 10); /* never shrinks */
    assert_int_equal(m.cap, cap);
    ls_map_cleanup(&m);
}

/* Ids of one shape that differ in one byte (at any place, tail included) hash apart, and
 * 2^16 of them spread over the low 17 bits with short probe runs. */
static void test_hash_spreads_ids_differing_in_one_byte(void **state)
{
    (void)state;
    const char *base = "openstack:sim:nova:instance:eccfce22-7347-490e-b5cf-e921ff18b993";
    size_t n = strlen(base);
    char id[128];
    for (size_t at = 0; at < n; at++) {
        strcpy(id, base);
        id[at] ^= 1;
        assert_true(ls_hash_str(id) != ls_hash_str(base));
    }
    enum { BITS = 17, COUNT = 1 << 16 };
    uint8_t *used = calloc(1u << BITS, 1);
    size_t longest = 0;
    for (unsigned i = 0; i < COUNT; i++) {
        snprintf(id, sizeof(id), "openstack:sim:neutron:port:%08x-0000-4000-8000-000000000000", i);
        size_t j = ls_hash_str(id) & ((1u << BITS) - 1), run = 0;
        while (used[j]) {
            j = (j + 1) & ((1u << BITS) - 1);
            run++;
        }
        used[j] = 1;
        longest = run > longest ? run : longest;
    }
    free(used);
    assert_true(longest < 64); /* at half load, linear probing stays short with a good hash */
}

static void test_delete_keeps_the_rest_findable_and_reclaims_key_bytes(void **state)
{
    (void)state;
    struct ls_map m;
    ls_map_init(&m);
    char k[64];
    static int vals[4000];
    /* churn: add 4000, delete every other, then cycles of add/delete of fresh keys */
    for (int i = 0; i < 4000; i++) {
        snprintf(k, sizeof(k), "node:%d:padding-to-make-keys-longer", i);
        ls_map_put(&m, k, &vals[i]);
    }
    for (int i = 0; i < 4000; i += 2) {
        snprintf(k, sizeof(k), "node:%d:padding-to-make-keys-longer", i);
        assert_ptr_equal(ls_map_del(&m, k), &vals[i]);
        assert_null(ls_map_del(&m, k));
    }
    assert_int_equal(m.len, 2000);
    size_t cap = m.cap;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(k, sizeof(k), "fresh:%d:%d:padding-to-make-keys-longer", round, i);
            ls_map_put(&m, k, &vals[i]);
        }
        for (int i = 0; i < 1000; i++) {
            snprintf(k, sizeof(k), "fresh:%d:%d:padding-to-make-keys-longer", round, i);
            assert_ptr_equal(ls_map_del(&m, k), &vals[i]);
        }
    }
    for (int i = 0; i < 4000; i++) {
        snprintf(k, sizeof(k), "node:%d:padding-to-make-keys-longer", i);
        if (i % 2)
            assert_ptr_equal(ls_map_get(&m, k), &vals[i]);
        else
            assert_null(ls_map_get(&m, k));
    }
    /* 52,000 keys went through; the table and the key blocks hold about the 2000 live ones */
    assert_int_equal(m.len, 2000);
    assert_true(m.cap <= cap * 2);
    assert_true(m.dead_bytes <= 65536 + m.key_bytes);
    ls_map_cleanup(&m);
}

static void test_a_borrowing_map_keeps_the_callers_keys(void **state)
{
    (void)state;
    struct ls_map m;
    ls_map_init_borrowing(&m);
    static char keys[3000][32];
    static int vals[3000];
    for (int i = 0; i < 3000; i++) {
        snprintf(keys[i], sizeof keys[i], "vm-%d", i);
        bool added;
        struct ls_map_entry *e = ls_map_upsert(&m, keys[i], &added);
        assert_true(added);
        assert_ptr_equal(e->key, keys[i]); /* the caller's, not a copy */
        e->value = &vals[i];
    }
    for (int i = 0; i < 3000; i += 2)
        assert_ptr_equal(ls_map_del(&m, keys[i]), &vals[i]);
    char k[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof k, "vm-%d", i); /* found by value, not by address */
        assert_ptr_equal(ls_map_get(&m, k), i % 2 ? &vals[i] : NULL);
    }
    assert_null(m.keys); /* no key block was made */
    ls_map_cleanup(&m);
    assert_true(m.borrowing); /* still borrowing after cleanup */
    ls_map_put(&m, keys[1], &vals[1]);
    assert_ptr_equal(m.tab[ls_hash_str(keys[1]) & (m.cap - 1)].key, keys[1]);
    ls_map_cleanup(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_upsert_and_replace),
        cmocka_unit_test(test_many_keys_of_every_length),
        cmocka_unit_test(test_reserve_makes_room_without_growing),
        cmocka_unit_test(test_hash_spreads_ids_differing_in_one_byte),
        cmocka_unit_test(test_delete_keeps_the_rest_findable_and_reclaims_key_bytes),
        cmocka_unit_test(test_a_borrowing_map_keeps_the_callers_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
