/* A bounded cache of validated tokens, keyed by the token's SHA-256 (the token itself is not
 * kept). An entry answers until its own deadline (the token's expiry, or sooner: at most the
 * cache window after it was validated, so that a revoked token stops working then). When
 * full, the oldest entry makes room (a ring in insertion order); a lookup past an entry's
 * deadline drops it.
 *
 * Threads: every function takes the cache's lock; lookups and inserts are O(1) on average. */
#ifndef LS_SERVER_TOKEN_CACHE_H
#define LS_SERVER_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/auth.h"

struct ls_token_cache;

/** A cache of at most cap entries (cap >= 1). */
struct ls_token_cache *ls_token_cache_new(size_t cap);
void ls_token_cache_free(struct ls_token_cache *c);

/** Copies the principal cached for digest into *out when its deadline is after now_us. */
bool ls_token_cache_get(struct ls_token_cache *c,
                        const uint8_t digest[LS_AUTH_DIGEST_LEN],
                        int64_t now_us,
                        struct ls_principal *out);

/** Caches p for digest until deadline_us (replacing an entry for the same digest). */
void ls_token_cache_put(struct ls_token_cache *c,
                        const uint8_t digest[LS_AUTH_DIGEST_LEN],
                        const struct ls_principal *p,
                        int64_t deadline_us);

/** Entries held now (expired ones included until looked up or pushed out). */
size_t ls_token_cache_len(struct ls_token_cache *c);

#endif
