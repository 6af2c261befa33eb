/* Who is calling and what they may do (--auth none | tokens | keystone).
 *
 * Roles are ordered: reader < member < admin; a route names the least role it needs
 * (server/routes.c). `tokens` reads static bearer tokens from --auth-token-file (kept only as
 * SHA-256 digests, compared in constant time); `keystone` asks Keystone about each new token
 * (importers/openstack/validate.h) and keeps the answer in a bounded cache
 * (server/token_cache.h) until the token's expires_at, at most --auth-cache-seconds; `none`
 * lets everyone in as admin (the configuration allows it only on loopback).
 *
 * Threads: ls_auth_check may be called from every HTTP worker at once. Tokens are never
 * logged, stored in clear or put in messages. */
#ifndef LS_SERVER_AUTH_H
#define LS_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"

enum ls_role {
    LS_ROLE_UNSET = 0, /* a route without a role: treated as admin (the safe default) */
    LS_ROLE_PUBLIC,    /* no token needed (health, readiness, the web view's page) */
    LS_ROLE_METRICS,   /* public with --metrics-public (the default), else reader */
    LS_ROLE_READER,
    LS_ROLE_MEMBER,
    LS_ROLE_ADMIN,
};

/** "reader", "member", "admin", "public", ... (static). */
const char *ls_role_name(enum ls_role r);
/** Parses "reader", "member" or "admin"; false for anything else. */
bool ls_role_parse(const char *s, enum ls_role *out);

/** Who made a request: their role and a name for the access log. */
struct ls_principal {
    enum ls_role role;
    char name[160]; /* token name, Keystone "user@domain", or "anonymous" (--auth none) */
};

struct ls_auth;

/**
 * Sets up the configured mode: reads the token file (tokens) or the service's cloud
 * (keystone). No network.
 * @return LS_OK; LS_EINVAL naming the file and line, or the cloud, and the problem.
 */
LS_MUST_CHECK int
ls_auth_new(struct ls_auth **out, const struct ls_config *cfg, struct ls_err *err);
void ls_auth_free(struct ls_auth *a);

/** Whether callers need a token at all (false for --auth none). */
bool ls_auth_required(const struct ls_auth *a);

/** The WWW-Authenticate value of a 401 (static while a lives). */
const char *ls_auth_challenge(const struct ls_auth *a);

/**
 * Identifies the caller of token (NULL or "" when the request had none).
 * @return LS_OK with *out set; LS_EINVAL code "auth_required" (no token) or "invalid_token"
 *         (unknown, expired or revoked): answer 401; LS_EUNAVAIL code "auth_unavailable"
 *         (Keystone cannot tell now): answer 503.
 */
LS_MUST_CHECK int
ls_auth_check(struct ls_auth *a, const char *token, struct ls_principal *out, struct ls_err *err);

/** Counters for /metrics. */
struct ls_auth_stats {
    uint64_t ok, invalid, unavailable; /* ls_auth_check outcomes (no token: invalid) */
    uint64_t cache_hits;               /* keystone: answered from the cache */
    uint64_t validations;              /* keystone: requests to Keystone */
    uint64_t cached;                   /* keystone: tokens in the cache now */
};
void ls_auth_stats(struct ls_auth *a, struct ls_auth_stats *out);

/* ---- the static token file (exposed for tests) ---- */

#define LS_AUTH_DIGEST_LEN 32 /* SHA-256 */

struct ls_static_token {
    uint8_t digest[LS_AUTH_DIGEST_LEN];
    enum ls_role role;
    char name[96];
};

/**
 * Parses a token file's text: one `TOKEN ROLE [NAME]` or `sha256:HEX ROLE [NAME]` a line
 * (blank lines and `#` comments skipped; ROLE reader, member or admin; a token in clear is at
 * least 16 characters of printable ASCII). origin names the file in messages.
 * @param[out] out new array (caller frees), *n entries
 * @return LS_OK; LS_EINVAL naming origin:line and the problem (never the token).
 */
LS_MUST_CHECK int ls_auth_tokens_parse(const char *text,
                                       const char *origin,
                                       struct ls_static_token **out,
                                       size_t *n,
                                       struct ls_err *err);

/** SHA-256 of s. */
void ls_auth_digest(const char *s, uint8_t out[LS_AUTH_DIGEST_LEN]);

#endif
