/* String-keyed open-addressing hash map; grows at 1/2 load. No deletion (callers store a
 * tombstone value of their own when they need one). */
#include "common/map.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

uint64_t ls_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

void ls_map_init(struct ls_map *m)
{
    m->tab = NULL;
    m->cap = 0;
    m->len = 0;
}

void ls_map_cleanup(struct ls_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->tab[i].key);
    free(m->tab);
    ls_map_init(m);
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

static void grow(struct ls_map *m)
{
    struct ls_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->tab = ls_xcalloc(m->cap, sizeof(*m->tab));
    size_t mask = m->cap - 1;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.tab[i].key) { /* keys are distinct: the first free slot */
            size_t j = old.tab[i].hash & mask;
            while (m->tab[j].key)
                j = (j + 1) & mask;
            m->tab[j] = old.tab[i];
        }
    }
    free(old.tab);
}

void *ls_map_put(struct ls_map *m, const char *key, void *value)
{
    if ((m->len + 1) * 2 > m->cap)
        grow(m);
    uint64_t h = ls_hash_str(key);
    struct ls_map_entry *e = find(m, key, h);
    if (e->key) {
        void *prev = e->value;
        e->value = value;
        return prev;
    }
    e->key = ls_xstrdup(key);
    e->value = value;
    e->hash = h;
    m->len++;
    return NULL;
}

void ls_map_foreach(const struct ls_map *m,
                    void (*fn)(const char *key, void *value, void *arg),
                    void *arg)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->tab[i].key)
            fn(m->tab[i].key, m->tab[i].value, arg);
}
