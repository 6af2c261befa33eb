/* The validated-token cache (see token_cache.h): a ring of cap slots in insertion order (the
 * next slot to fill is the oldest entry, evicted) and a chained hash index over it. */
#include "server/token_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct slot {
    uint8_t digest[LS_AUTH_DIGEST_LEN];
    struct ls_principal p;
    int64_t deadline_us;
    uint32_t next; /* next slot in the same bucket, or NONE */
    bool used;
};

struct ls_token_cache {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t cap, len, head; /* head: the slot the next insertion takes */
    uint32_t *buckets;     /* first slot of each bucket, or NONE */
    size_t mask;           /* buckets - 1 (a power of two >= cap) */
};

struct ls_token_cache *ls_token_cache_new(size_t cap)
{
    LS_ASSERT(cap >= 1 && cap < NONE);
    struct ls_token_cache *c = ls_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->cap = cap;
    c->slots = ls_xcalloc(cap, sizeof(*c->slots));
    size_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    c->mask = nb - 1;
    c->buckets = ls_xmalloc(nb * sizeof(*c->buckets));
    for (size_t i = 0; i < nb; i++)
        c->buckets[i] = NONE;
    return c;
}

void ls_token_cache_free(struct ls_token_cache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c->slots);
    free(c->buckets);
    free(c);
}

/* The digest is already uniformly distributed: its first bytes index the buckets. */
static size_t bucket_of(const struct ls_token_cache *c, const uint8_t *d)
{
    uint64_t h;
    memcpy(&h, d, sizeof(h));
    return (size_t)(h & c->mask);
}

static uint32_t find(const struct ls_token_cache *c, const uint8_t *d)
{
    for (uint32_t i = c->buckets[bucket_of(c, d)]; i != NONE; i = c->slots[i].next)
        if (memcmp(c->slots[i].digest, d, LS_AUTH_DIGEST_LEN) == 0)
            return i;
    return NONE;
}

/* Takes slot i out of its bucket chain and marks it free. */
static void unlink_slot(struct ls_token_cache *c, uint32_t i)
{
    uint32_t *p = &c->buckets[bucket_of(c, c->slots[i].digest)];
    while (*p != i)
        p = &c->slots[*p].next;
    *p = c->slots[i].next;
    c->slots[i].used = false;
    c->len--;
}

bool ls_token_cache_get(struct ls_token_cache *c,
                        const uint8_t digest[LS_AUTH_DIGEST_LEN],
                        int64_t now_us,
                        struct ls_principal *out)
{
    pthread_mutex_lock(&c->lock);
    uint32_t i = find(c, digest);
    bool hit = false;
    if (i != NONE && c->slots[i].deadline_us > now_us) {
        *out = c->slots[i].p;
        hit = true;
    } else if (i != NONE) {
        unlink_slot(c, i);
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void ls_token_cache_put(struct ls_token_cache *c,
                        const uint8_t digest[LS_AUTH_DIGEST_LEN],
                        const struct ls_principal *p,
                        int64_t deadline_us)
{
    pthread_mutex_lock(&c->lock);
    uint32_t old = find(c, digest);
    if (old != NONE)
        unlink_slot(c, old);
    uint32_t i = (uint32_t)c->head;
    c->head = (c->head + 1) % c->cap;
    if (c->slots[i].used)
        unlink_slot(c, i); /* the oldest entry makes room */
    struct slot *s = &c->slots[i];
    memcpy(s->digest, digest, LS_AUTH_DIGEST_LEN);
    s->p = *p;
    s->deadline_us = deadline_us;
    s->used = true;
    size_t b = bucket_of(c, digest);
    s->next = c->buckets[b];
    c->buckets[b] = i;
    c->len++;
    pthread_mutex_unlock(&c->lock);
}

size_t ls_token_cache_len(struct ls_token_cache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->len;
    pthread_mutex_unlock(&c->lock);
    return n;
}
