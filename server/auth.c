/* The three --auth modes and the role model (see auth.h). */
#include "server/auth.h"

#include <errno.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/time.h"
#include "importers/openstack/validate.h"
#include "server/token_cache.h"

#define MIN_CLEAR_TOKEN   16   /* characters of a token in clear in the file */
#define MAX_TOKEN         4096 /* longest token a request may present */
#define MAX_TOKEN_FILE    (16u << 20)
#define CHALLENGE_TOKENS  "Bearer realm=\"landscape\""
#define CHALLENGE_KS_FMT  "Keystone uri=\"%s\""
#define CHALLENGE_MAX_LEN 1200

enum mode { MODE_NONE, MODE_TOKENS, MODE_KEYSTONE };

struct ls_auth {
    enum mode mode;
    char challenge[CHALLENGE_MAX_LEN];
    /* tokens */
    struct ls_static_token *tokens;
    size_t n_tokens;
    /* keystone */
    struct ls_os_validator *validator;
    struct ls_token_cache *cache;
    int64_t cache_us; /* --auth-cache-seconds */
    _Atomic uint64_t ok, invalid, unavailable, cache_hits, validations;
};

static const char *const role_names[] = {
    [LS_ROLE_UNSET] = "unset",   [LS_ROLE_PUBLIC] = "public", [LS_ROLE_METRICS] = "metrics",
    [LS_ROLE_READER] = "reader", [LS_ROLE_MEMBER] = "member", [LS_ROLE_ADMIN] = "admin",
};

const char *ls_role_name(enum ls_role r)
{
    return (unsigned)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r] : "?";
}

bool ls_role_parse(const char *s, enum ls_role *out)
{
    for (enum ls_role r = LS_ROLE_READER; r <= LS_ROLE_ADMIN; r++)
        if (strcmp(s, role_names[r]) == 0) {
            *out = r;
            return true;
        }
    return false;
}

void ls_auth_digest(const char *s, uint8_t out[LS_AUTH_DIGEST_LEN])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(s), (const uint8_t *)s);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

/* ---- the token file ---- */

static bool printable_token(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static bool parse_hex_digest(const char *hex, uint8_t out[LS_AUTH_DIGEST_LEN])
{
    if (strlen(hex) != 2 * LS_AUTH_DIGEST_LEN)
        return false;
    for (int i = 0; i < LS_AUTH_DIGEST_LEN; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + k];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return false;
            v = v << 4 | d;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

/* One non-comment line: fields split on blanks. */
static int parse_line(
    char *line, const char *origin, int lineno, struct ls_static_token *t, struct ls_err *err)
{
    char *save = NULL;
    char *tok = strtok_r(line, " \t", &save);
    char *role = strtok_r(NULL, " \t", &save);
    char *name = strtok_r(NULL, " \t", &save);
    char *extra = strtok_r(NULL, " \t", &save);
    if (role == NULL || extra != NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "%s:%d: expected `TOKEN ROLE [NAME]` or `sha256:HEX ROLE [NAME]`", origin,
                          lineno);
    if (!ls_role_parse(role, &t->role))
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "%s:%d: role '%.32s': expected reader, member or admin", origin, lineno,
                          role);
    if (strncmp(tok, "sha256:", 7) == 0) {
        if (!parse_hex_digest(tok + 7, t->digest))
            return ls_err_set(err, LS_EINVAL, "invalid_config",
                              "%s:%d: sha256: expected 64 hex digits", origin, lineno);
    } else {
        if (strlen(tok) < MIN_CLEAR_TOKEN || strlen(tok) > MAX_TOKEN || !printable_token(tok))
            return ls_err_set(err, LS_EINVAL, "invalid_config",
                              "%s:%d: a token must be %d to %d printable characters (make one "
                              "with `openssl rand -hex 32`)",
                              origin, lineno, MIN_CLEAR_TOKEN, MAX_TOKEN);
        ls_auth_digest(tok, t->digest);
        memset(tok, 0, strlen(tok));
    }
    if (name && strlen(name) >= sizeof(t->name))
        return ls_err_set(err, LS_EINVAL, "invalid_config", "%s:%d: name longer than %zu bytes",
                          origin, lineno, sizeof(t->name) - 1);
    if (name)
        snprintf(t->name, sizeof(t->name), "%s", name);
    else
        snprintf(t->name, sizeof(t->name), "token-line-%d", lineno);
    return LS_OK;
}

int ls_auth_tokens_parse(const char *text,
                         const char *origin,
                         struct ls_static_token **out,
                         size_t *n,
                         struct ls_err *err)
{
    *out = NULL;
    *n = 0;
    char *copy = ls_xstrdup(text);
    size_t cap = 0, len = 0;
    struct ls_static_token *v = NULL;
    int rc = LS_OK, lineno = 0;
    const char *p = copy;
    while (rc == LS_OK && *p) {
        size_t linelen = strcspn(p, "\n");
        char *line = (char *)p;
        p += linelen + (p[linelen] == '\n');
        line[linelen] = '\0';
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        line += strspn(line, " \t");
        if (*line == '\0' || *line == '#')
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            v = ls_xrealloc(v, cap * sizeof(*v));
        }
        memset(&v[len], 0, sizeof(v[len]));
        rc = parse_line(line, origin, lineno, &v[len], err);
        for (size_t k = 0; rc == LS_OK && k < len; k++)
            if (memcmp(v[k].digest, v[len].digest, LS_AUTH_DIGEST_LEN) == 0)
                rc = ls_err_set(err, LS_EINVAL, "invalid_config",
                                "%s:%d: the same token as %s (each token names one caller)", origin,
                                lineno, v[k].name);
        if (rc == LS_OK)
            len++;
    }
    memset(copy, 0, strlen(text));
    free(copy);
    if (rc == LS_OK && len == 0)
        rc = ls_err_set(err, LS_EINVAL, "invalid_config", "%s: no tokens", origin);
    if (rc != LS_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return LS_OK;
}

static int load_token_file(struct ls_auth *a, const char *path, struct ls_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_config", "auth-token-file %s: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size > (off_t)MAX_TOKEN_FILE) {
        fclose(f);
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "auth-token-file %s: unreadable or larger than %u bytes", path,
                          MAX_TOKEN_FILE);
    }
    char *text = ls_xmalloc((size_t)st.st_size + 1);
    size_t got = fread(text, 1, (size_t)st.st_size, f);
    text[got] = '\0';
    fclose(f);
    int rc = ls_auth_tokens_parse(text, path, &a->tokens, &a->n_tokens, err);
    if (rc == LS_OK && (st.st_mode & (S_IRWXG | S_IRWXO)))
        ls_log(LS_LOG_WARN, "auth", "token file readable by others",
               "path=%s hint=\"chmod 600 it, or keep sha256: entries only\"", path);
    memset(text, 0, got);
    free(text);
    return rc;
}

/* ---- the modes ---- */

int ls_auth_new(struct ls_auth **out, const struct ls_config *cfg, struct ls_err *err)
{
    struct ls_auth *a = ls_xcalloc(1, sizeof(*a));
    int rc = LS_OK;
    if (strcmp(cfg->auth, "tokens") == 0) {
        a->mode = MODE_TOKENS;
        snprintf(a->challenge, sizeof(a->challenge), CHALLENGE_TOKENS);
        rc = load_token_file(a, cfg->auth_token_file, err);
    } else if (strcmp(cfg->auth, "keystone") == 0) {
        a->mode = MODE_KEYSTONE;
        const char *cloud = cfg->auth_cloud[0] ? cfg->auth_cloud : cfg->os_cloud.v[0];
        rc = ls_os_validator_new(&a->validator, cloud, cfg->auth_timeout, err);
        if (rc == LS_OK) {
            snprintf(a->challenge, sizeof(a->challenge), CHALLENGE_KS_FMT,
                     ls_os_validator_auth_url(a->validator));
            a->cache = ls_token_cache_new((size_t)cfg->auth_cache_size);
            a->cache_us = cfg->auth_cache_seconds * 1000000LL;
        } else {
            ls_err_wrap(err, "auth-cloud %s", cloud);
        }
    } else {
        a->mode = MODE_NONE;
    }
    if (rc != LS_OK) {
        ls_auth_free(a);
        return rc;
    }
    *out = a;
    return LS_OK;
}

void ls_auth_free(struct ls_auth *a)
{
    if (a == NULL)
        return;
    free(a->tokens);
    ls_os_validator_free(a->validator);
    ls_token_cache_free(a->cache);
    free(a);
}

bool ls_auth_required(const struct ls_auth *a)
{
    return a->mode != MODE_NONE;
}

const char *ls_auth_challenge(const struct ls_auth *a)
{
    return a->challenge;
}

/* Every entry is compared (no early exit), each in constant time. */
static bool check_static(struct ls_auth *a, const uint8_t *d, struct ls_principal *out)
{
    const struct ls_static_token *hit = NULL;
    for (size_t i = 0; i < a->n_tokens; i++)
        if (memeql_sec(a->tokens[i].digest, d, LS_AUTH_DIGEST_LEN))
            hit = &a->tokens[i];
    if (hit == NULL)
        return false;
    out->role = hit->role;
    snprintf(out->name, sizeof(out->name), "%s", hit->name);
    return true;
}

/* The highest of the roles we know among Keystone's (admin implies member implies reader in
 * Keystone, and its answer lists the implied ones too); PUBLIC when none. */
static enum ls_role role_of(const struct ls_os_identity *id)
{
    enum ls_role best = LS_ROLE_PUBLIC, r;
    for (int i = 0; i < id->n_roles; i++)
        if (ls_role_parse(id->roles[i], &r) && r > best)
            best = r;
    return best;
}

static int check_keystone(struct ls_auth *a,
                          const char *token,
                          const uint8_t *d,
                          struct ls_principal *out,
                          struct ls_err *err)
{
    int64_t now = ls_time_now_us();
    if (ls_token_cache_get(a->cache, d, now, out)) {
        atomic_fetch_add(&a->cache_hits, 1);
        return LS_OK;
    }
    atomic_fetch_add(&a->validations, 1);
    struct ls_os_identity id;
    int rc = ls_os_validate(a->validator, token, &id, err);
    if (rc == LS_ENOTFOUND) { /* code invalid_token: a 401, as an unknown static token */
        if (err)
            err->status = LS_EINVAL;
        return LS_EINVAL;
    }
    if (rc != LS_OK)
        return rc;
    out->role = role_of(&id);
    snprintf(out->name, sizeof(out->name), "%s", id.user);
    int64_t deadline = id.expires_us;
    if (now + a->cache_us < deadline)
        deadline = now + a->cache_us;
    if (a->cache_us > 0)
        ls_token_cache_put(a->cache, d, out, deadline);
    return LS_OK;
}

int ls_auth_check(struct ls_auth *a,
                  const char *token,
                  struct ls_principal *out,
                  struct ls_err *err)
{
    memset(out, 0, sizeof(*out));
    if (a->mode == MODE_NONE) {
        out->role = LS_ROLE_ADMIN;
        snprintf(out->name, sizeof(out->name), "anonymous");
        return LS_OK;
    }
    int rc;
    uint8_t d[LS_AUTH_DIGEST_LEN];
    if (token == NULL || *token == '\0') {
        rc = ls_err_set(err, LS_EINVAL, "auth_required",
                        "this endpoint needs a token (X-Auth-Token or Authorization: Bearer)");
    } else if (strlen(token) > MAX_TOKEN || !printable_token(token)) {
        rc = ls_err_set(err, LS_EINVAL, "invalid_token", "the token is malformed");
    } else {
        ls_auth_digest(token, d);
        if (a->mode == MODE_TOKENS)
            rc = check_static(a, d, out) ? LS_OK
                                         : ls_err_set(err, LS_EINVAL, "invalid_token",
                                                      "the token is not one of --auth-token-file");
        else
            rc = check_keystone(a, token, d, out, err);
    }
    atomic_fetch_add(rc == LS_OK ? &a->ok : rc == LS_EUNAVAIL ? &a->unavailable : &a->invalid, 1);
    return rc;
}

void ls_auth_stats(struct ls_auth *a, struct ls_auth_stats *out)
{
    out->ok = atomic_load(&a->ok);
    out->invalid = atomic_load(&a->invalid);
    out->unavailable = atomic_load(&a->unavailable);
    out->cache_hits = atomic_load(&a->cache_hits);
    out->validations = atomic_load(&a->validations);
    out->cached = a->cache ? ls_token_cache_len(a->cache) : 0;
}
