/* String-keyed open-addressing hash map; grows at 1/2 load. Deletion shifts the following
 * entries of the probe run back (no tombstones). Keys are copied into blocks the map owns (one
 * allocation per block, not per key; freed together); deleted keys' bytes are reclaimed by
 * copying the live keys into fresh blocks once the dead bytes outweigh them. */
#include "common/map.h"

#include <stdlib.h>
#include <string.h>

#include "common/bigmem.h"
#include "common/err.h"

/* Keys are copied into blocks of this size (a longer key gets a block of its own). */
#define KEY_BLOCK 65536

struct ls_map_keys {
    struct ls_map_keys *next;
    size_t used, cap;
    char bytes[];
};

uint64_t ls_hash_u64(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
}

/* Eight bytes at a time: the length first (strlen reads a word at a time too), then each word
 * folded in with a multiply; a final mix spreads every input bit over the low bits a table
 * index uses. */
uint64_t ls_hash_str(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x243f6a8885a308d3ULL ^ n;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return ls_hash_u64(h ^ w);
}

void ls_map_init(struct ls_map *m)
{
    m->tab = NULL;
    m->cap = 0;
    m->len = 0;
    m->keys = NULL;
    m->key_bytes = 0;
    m->dead_bytes = 0;
    m->borrowing = false;
}

void ls_map_init_borrowing(struct ls_map *m)
{
    ls_map_init(m);
    m->borrowing = true;
}

void ls_map_cleanup(struct ls_map *m)
{
    for (struct ls_map_keys *b = m->keys, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    ls_big_free(m->tab);
    bool borrowing = m->borrowing;
    ls_map_init(m);
    m->borrowing = borrowing;
}

/* key as the map keeps it: a copy in its blocks (counted in key_bytes), or key itself. */
static char *copy_key(struct ls_map *m, const char *key)
{
    if (m->borrowing)
        return (char *)key;
    size_t n = strlen(key) + 1;
    m->key_bytes += n;
    struct ls_map_keys *b = m->keys;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > KEY_BLOCK / 4 ? n : KEY_BLOCK - sizeof(*b);
        b = ls_xmalloc(sizeof(*b) + cap);
        b->used = 0;
        b->cap = cap;
        if (cap == n && m->keys) { /* a long key: its own block, behind the one being filled */
            b->next = m->keys->next;
            m->keys->next = b;
        } else {
            b->next = m->keys;
            m->keys = b;
        }
    }
    char *k = b->bytes + b->used;
    memcpy(k, key, n);
    b->used += n;
    return k;
}

static struct ls_map_entry *find(const struct ls_map *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct ls_map_entry *e = &m->tab[i];
        if (e->key == NULL || (e->hash == h && strcmp(e->key, key) == 0))
            return e;
    }
}

void *ls_map_get(const struct ls_map *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    struct ls_map_entry *e = find(m, key, ls_hash_str(key));
    return e->key ? e->value : NULL;
}

static void resize(struct ls_map *m, size_t cap)
{
    struct ls_map old = *m;
    m->cap = cap;
    m->tab = ls_big_calloc(m->cap, sizeof(*m->tab));
    size_t mask = m->cap - 1;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.tab[i].key) { /* keys are distinct: the first free slot */
            size_t j = old.tab[i].hash & mask;
            while (m->tab[j].key)
                j = (j + 1) & mask;
            m->tab[j] = old.tab[i];
        }
    }
    ls_big_free(old.tab);
}

void ls_map_prefetch(const struct ls_map *m, const char *key)
{
    if (m->cap)
        __builtin_prefetch(&m->tab[ls_hash_str(key) & (m->cap - 1)]);
}

void ls_map_reserve(struct ls_map *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 16;
    while (n * 2 > cap)
        cap *= 2;
    if (cap > m->cap)
        resize(m, cap);
}

struct ls_map_entry *ls_map_upsert(struct ls_map *m, const char *key, bool *added)
{
    if ((m->len + 1) * 2 > m->cap)
        resize(m, m->cap ? m->cap * 2 : 16);
    uint64_t h = ls_hash_str(key);
    struct ls_map_entry *e = find(m, key, h);
    *added = e->key == NULL;
    if (*added) {
        e->key = copy_key(m, key);
        e->value = NULL;
        e->hash = h;
        m->len++;
    }
    return e;
}

void *ls_map_put(struct ls_map *m, const char *key, void *value)
{
    bool added;
    struct ls_map_entry *e = ls_map_upsert(m, key, &added);
    void *prev = e->value;
    e->value = value;
    return prev;
}

/* Copies every live key into fresh blocks and frees the old ones. */
static void rekey(struct ls_map *m)
{
    struct ls_map_keys *old = m->keys;
    m->keys = NULL;
    m->key_bytes = 0; /* copy_key counts the live ones again */
    for (size_t i = 0; i < m->cap; i++)
        if (m->tab[i].key)
            m->tab[i].key = copy_key(m, m->tab[i].key);
    for (struct ls_map_keys *b = old, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    m->dead_bytes = 0;
}

void *ls_map_del(struct ls_map *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    struct ls_map_entry *e = find(m, key, ls_hash_str(key));
    if (e->key == NULL)
        return NULL;
    void *value = e->value;
    size_t n = m->borrowing ? 0 : strlen(e->key) + 1; /* the bytes left dead in a block */
    size_t mask = m->cap - 1;
    size_t i = (size_t)(e - m->tab);
    /* backward shift: move each later entry of the run into the hole when its home allows */
    for (size_t j = (i + 1) & mask; m->tab[j].key; j = (j + 1) & mask) {
        size_t home = m->tab[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->tab[i] = m->tab[j];
            i = j;
        }
    }
    m->tab[i].key = NULL;
    m->tab[i].value = NULL;
    m->len--;
    m->key_bytes -= n;
    m->dead_bytes += n;
    if (m->dead_bytes > KEY_BLOCK && m->dead_bytes > m->key_bytes)
        rekey(m);
    return value;
}

/* entries ahead whose value ls_map_foreach asks for */
#define FOREACH_AHEAD 8

void ls_map_foreach(const struct ls_map *m,
                    void (*fn)(const char *key, void *value, void *arg),
                    void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        /* the table is read in order, the records its values point to are scattered: a walk
         * over a large map would wait on each (a value that is not a pointer makes this a
         * hint that goes nowhere; a prefetch never faults) */
        if (i + FOREACH_AHEAD < m->cap && m->tab[i + FOREACH_AHEAD].key)
            __builtin_prefetch(m->tab[i + FOREACH_AHEAD].value);
        if (m->tab[i].key)
            fn(m->tab[i].key, m->tab[i].value, arg);
    }
}
