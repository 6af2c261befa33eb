/* Validating a caller's Keystone token, as keystonemiddleware's auth_token does: the service
 * authenticates with its own credentials (a cloud of clouds.yaml, through session.h) and asks
 * Keystone `GET /v3/auth/tokens` with the caller's token in `X-Subject-Token`. Keystone answers
 * the token's user, scope, roles (implied roles included) and expiry, or 404 when the token is
 * invalid, expired or revoked.
 *
 * Threads: ls_os_validate may be called from any number of threads at once (each takes a
 * connection from a small pool). Tokens are never logged nor put in error messages.
 * No cache here: the caller (server/auth.c) keeps one. */
#ifndef LS_IMPORTERS_OPENSTACK_VALIDATE_H
#define LS_IMPORTERS_OPENSTACK_VALIDATE_H

#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

#define LS_OS_MAX_ROLES 16

/** What Keystone says about a valid token. Strings are truncated to fit. */
struct ls_os_identity {
    char user[160];    /* "name@domain" (the user's name and domain name) */
    char user_id[72];  /* Keystone user id */
    char project[160]; /* "name@domain", "system" or "" (unscoped / domain scope) */
    char roles[LS_OS_MAX_ROLES][64];
    int n_roles;
    int64_t expires_us; /* expires_at */
};

struct ls_os_validator;

/**
 * A validator using cloud `cloud`'s credentials (clouds.yaml, as --os-cloud reads them).
 * timeout_s bounds each request to Keystone (a token of the service's own included).
 * No network yet. Free with ls_os_validator_free.
 * @return LS_OK; the cloud loader's errors (LS_ENOTFOUND, LS_EINVAL) otherwise.
 */
LS_MUST_CHECK int ls_os_validator_new(struct ls_os_validator **out,
                                      const char *cloud,
                                      long timeout_s,
                                      struct ls_err *err);
void ls_os_validator_free(struct ls_os_validator *v);

/** The Keystone URL (auth_url of the cloud), for WWW-Authenticate. Borrowed. */
const char *ls_os_validator_auth_url(const struct ls_os_validator *v);

/**
 * Asks Keystone about token.
 * @return LS_OK with *out filled; LS_ENOTFOUND (code "invalid_token": Keystone does not know
 *         it, or it expired or was revoked); LS_EUNAVAIL (code "auth_unavailable": Keystone
 *         did not answer, failed, or refused the service's own credentials — the message says
 *         which).
 */
/**
 * Fills @p out from Keystone's `GET /v3/auth/tokens` answer ({"token": {...}}): expiry, user,
 * project (or "system") and role names (at most LS_OS_MAX_ROLES; longer names are cut).
 * Does not clear @p out first. @p doc is borrowed. Pure (no I/O), so it is fuzzed on its own
 * (tests/fuzz/fuzz_keystone_token.c).
 * @return LS_OK; LS_EUNAVAIL (`auth_unavailable`) when expires_at is missing or not RFC 3339;
 *         LS_ENOTFOUND (`invalid_token`) when the token has expired.
 */
LS_MUST_CHECK int
ls_os_identity_read(struct ls_os_identity *out, const json_t *doc, struct ls_err *err);

LS_MUST_CHECK int ls_os_validate(struct ls_os_validator *v,
                                 const char *token,
                                 struct ls_os_identity *out,
                                 struct ls_err *err);

#endif
