/* A string-keyed hash map (open addressing, linear probing) for single-threaded use: the
 * keys are copied and owned by the map (valid until ls_map_cleanup, or until the next
 * ls_map_del, which may move them), or borrowed from the caller (ls_map_init_borrowing);
 * values are borrowed pointers the caller manages. */
#ifndef LS_COMMON_MAP_H
#define LS_COMMON_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ls_map_entry {
    char *key;     /* the map's copy; NULL = empty */
    void *value;   /* borrowed */
    uint64_t hash; /* of key: probes compare it before the string */
};

struct ls_map_keys;

struct ls_map {
    struct ls_map_entry *tab;
    size_t cap; /* power of two, or 0 */
    size_t len;
    struct ls_map_keys *keys; /* where the keys are copied */
    size_t key_bytes;         /* bytes of the keys copied and present (0 when borrowing) */
    size_t dead_bytes;        /* bytes of deleted keys still in the blocks */
    bool borrowing;           /* keys are the caller's: never copied */
};

/** Spreads every bit of x over all 64 (for table indexes taken from the low bits). */
uint64_t ls_hash_u64(uint64_t x);
/** A 64-bit hash of a NUL-terminated string (in-memory tables only: not stable across
 *  versions). */
uint64_t ls_hash_str(const char *s);

void ls_map_init(struct ls_map *m);
/** As ls_map_init, for a map that keeps the caller's key pointers instead of copies: each key
 *  put must stay unchanged at its address until ls_map_cleanup (the keys of one request's
 *  index, which outlive it). */
void ls_map_init_borrowing(struct ls_map *m);
/** Frees keys and the table (not the values). */
void ls_map_cleanup(struct ls_map *m);
/** The value for key, or NULL. */
void *ls_map_get(const struct ls_map *m, const char *key);
/** Inserts or replaces; returns the previous value (or NULL). */
void *ls_map_put(struct ls_map *m, const char *key, void *value);
/**
 * The entry of key, added with a NULL value when absent (*added says which): one lookup for
 * "get, or put if missing". The pointer is valid until the next insertion.
 */
struct ls_map_entry *ls_map_upsert(struct ls_map *m, const char *key, bool *added);
/**
 * Removes key and returns its value (NULL when absent). The key's bytes are reclaimed once
 * deleted keys outweigh the live ones: the live keys are then copied into fresh blocks, so
 * key pointers taken before (upsert, foreach) are invalid after any ls_map_del.
 */
void *ls_map_del(struct ls_map *m, const char *key);
/** Asks the CPU for key's slot ahead of a lookup or upsert of it (a loop over many keys does
 *  this a few keys ahead, so its table misses overlap). Changes nothing. */
void ls_map_prefetch(const struct ls_map *m, const char *key);
/** Makes room for n entries in all, so that inserting them does not grow the table. */
void ls_map_reserve(struct ls_map *m, size_t n);
/** Calls fn for every entry (order unspecified), asking for each entry's value (the record it
 *  points to) a few entries ahead. */
void ls_map_foreach(const struct ls_map *m,
                    void (*fn)(const char *key, void *value, void *arg),
                    void *arg);

#endif
