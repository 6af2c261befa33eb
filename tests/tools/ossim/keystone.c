/* ossim: Keystone v3 — password / application credential / token authentication, token
 * validation (GET) and revocation (DELETE) with X-Subject-Token, the catalog, the version
 * document and the project list. Users: the configured one (admin, member and reader roles)
 * and, with the same password, sim-member (member, reader), sim-reader (reader) and
 * sim-norole (no role), for services that authorise by role.
 * Tokens are stateless: nonce, expiry, epoch and project under a keyed hash, so validating
 * one takes no lock and no memory; OSSIM_FAULT_EXPIRE bumps the epoch. */
#include "tests/tools/ossim/keystone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define TOKEN_PREFIX "gAAAAAB"

/* The users after the configured one (index 0), and each one's roles. */
static const struct {
    const char *name;
    int n_roles;
    const char *roles[3];
} extra_users[] = {
    {"sim-member", 2, {"member", "reader"}},
    {"sim-reader", 1, {"reader"}},
    {"sim-norole", 0, {NULL}},
};
#define N_USERS (1 + (int)(sizeof(extra_users) / sizeof(extra_users[0])))

static const char *name_of_user(const struct ossim *s, int user)
{
    return user == 0 ? s->user : extra_users[user - 1].name;
}

static uint64_t
token_mac(const struct ossim *s, uint64_t nonce, uint32_t exp, uint32_t epoch, uint32_t proj)
{
    uint64_t h = mix64(s->token_key ^ nonce);
    h = mix64(h ^ ((uint64_t)exp << 32 | epoch));
    return mix64(h ^ proj ^ s->token_key);
}

/* The project field carries the user too: user << 16 | (project + 1). */
void token_issue(struct ossim *s, int user, int project, int64_t exp, char out[TOKEN_LEN])
{
    uint64_t nonce = mix64(s->token_key + atomic_fetch_add(&s->nonce, 1));
    uint32_t e = (uint32_t)exp, ep = atomic_load(&s->epoch);
    uint32_t pj = (uint32_t)user << 16 | (uint32_t)(project + 1);
    snprintf(out, TOKEN_LEN, TOKEN_PREFIX "%016llx%08x%08x%08x%016llx", (unsigned long long)nonce,
             e, ep, pj, (unsigned long long)token_mac(s, nonce, e, ep, pj));
}

static bool hexn(const char *p, int n, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool revoked(struct ossim *s, uint64_t nonce)
{
    pthread_mutex_lock(&s->revoked_lock);
    bool found = false;
    unsigned n = s->n_revoked < 64 ? s->n_revoked : 64;
    for (unsigned i = 0; i < n && !found; i++)
        found = s->revoked[i] == nonce;
    pthread_mutex_unlock(&s->revoked_lock);
    return found;
}

static void revoke_nonce(struct ossim *s, uint64_t nonce)
{
    pthread_mutex_lock(&s->revoked_lock);
    s->revoked[s->n_revoked++ % 64] = nonce;
    pthread_mutex_unlock(&s->revoked_lock);
}

/* Decodes and checks a token; its nonce and user into the pointers (may be NULL). */
static bool token_decode(struct ossim *s,
                         const char *tok,
                         int *project,
                         int *user,
                         int64_t *expires,
                         uint64_t *nonce_out)
{
    size_t pl = strlen(TOKEN_PREFIX);
    if (!tok || strlen(tok) != pl + 56 || strncmp(tok, TOKEN_PREFIX, pl) != 0)
        return false;
    const char *p = tok + pl;
    uint64_t nonce, e, ep, pj, mac;
    if (!hexn(p, 16, &nonce) || !hexn(p + 16, 8, &e) || !hexn(p + 24, 8, &ep) ||
        !hexn(p + 32, 8, &pj) || !hexn(p + 40, 16, &mac))
        return false;
    if (mac != token_mac(s, nonce, (uint32_t)e, (uint32_t)ep, (uint32_t)pj))
        return false;
    if ((uint32_t)ep != atomic_load(&s->epoch) || (int64_t)e <= now_s() || revoked(s, nonce))
        return false;
    if ((int)(pj >> 16) >= N_USERS)
        return false;
    if (project)
        *project = (int)(pj & 0xffff) - 1;
    if (user)
        *user = (int)(pj >> 16);
    if (expires)
        *expires = (int64_t)e;
    if (nonce_out)
        *nonce_out = nonce;
    return true;
}

bool token_check(struct ossim *s, const char *tok, int *project, int64_t *expires)
{
    return token_decode(s, tok, project, NULL, expires, NULL);
}

/* ---- the token body ---- */

/* A service's endpoints: public, internal and admin in the cloud's region (the latter two
 * under their mounts), and a public one in another region (under its mount, answering 404).
 * path: the service's path from the origin. */
static void endpoint(struct jb *b, const struct ossim *s, int svc, const char *path)
{
    static const struct {
        const char *iface;
        bool own_region;
        int mount; /* -1: none */
    } eps[] = {{"public", true, -1},
               {"internal", true, OSSIM_MOUNT_INTERNAL},
               {"admin", true, OSSIM_MOUNT_ADMIN},
               {"public", false, OSSIM_MOUNT_OTHER_REGION}};
    for (int i = 0; i < 4; i++) {
        const char *region = eps[i].own_region ? s->region : "OtherRegion";
        char url[300];
        snprintf(url, sizeof(url), "%s%s%s", s->base,
                 eps[i].mount >= 0 ? ossim_mounts[eps[i].mount] : "", path);
        jb_sep(b);
        jb_raw(b, "{\"id\":");
        jb_id(b, K_ENDPOINT, svc * 4 + i);
        jb_printf(b, ",\"interface\":\"%s\",\"region_id\":", eps[i].iface);
        jb_str(b, region);
        jb_raw(b, ",\"region\":");
        jb_str(b, region);
        jb_raw(b, ",\"url\":");
        jb_str(b, url);
        jb_raw(b, "}");
    }
}

/* As Keystone builds it: a system-scoped token has no project to put in an endpoint URL, so
 * the endpoints that name one (Cinder, Heat) are left out of its catalog. */
static void catalog(struct jb *b, const struct ossim *s, bool system)
{
    char admin[37], url[160];
    id_str(K_PROJECT, 0, admin);
    struct {
        const char *type, *name, *path;
        bool project; /* the URL ends with the admin project id */
    } const svcs[] = {
        {"identity", "keystone", "/identity/v3", false},
        {"compute", "nova", "/compute/v2.1", false},
        {"placement", "placement", "/placement", false},
        {"network", "neutron", "/network", false},
        {"volumev3", "cinderv3", "/volume/v3/", true},
        {"block-storage", "cinder", "/volume/v3/", true},
        {"orchestration", "heat", "/heat/v1/", true},
    };
    jb_raw(b, "\"catalog\":[");
    for (int i = 0; i < (int)(sizeof(svcs) / sizeof(svcs[0])); i++) {
        if (system && svcs[i].project)
            continue;
        snprintf(url, sizeof(url), "%s%s", svcs[i].path, svcs[i].project ? admin : "");
        jb_sep(b);
        jb_printf(b, "{\"type\":\"%s\",\"name\":\"%s\",\"id\":", svcs[i].type, svcs[i].name);
        jb_id(b, K_SERVICE, i);
        jb_raw(b, ",\"endpoints\":[");
        endpoint(b, s, i, url);
        jb_raw(b, "]}");
    }
    if (s->extra_type[0]) { /* ossim_catalog_add: public, in the cloud's region */
        int i = (int)(sizeof(svcs) / sizeof(svcs[0]));
        jb_sep(b);
        jb_raw(b, "{\"type\":");
        jb_str(b, s->extra_type);
        jb_raw(b, ",\"name\":");
        jb_str(b, s->extra_type);
        jb_raw(b, ",\"id\":");
        jb_id(b, K_SERVICE, i);
        jb_raw(b, ",\"endpoints\":[{\"id\":");
        jb_id(b, K_ENDPOINT, i * 4);
        jb_raw(b, ",\"interface\":\"public\",\"region_id\":");
        jb_str(b, s->region);
        jb_raw(b, ",\"region\":");
        jb_str(b, s->region);
        jb_raw(b, ",\"url\":");
        jb_str(b, s->extra_url);
        jb_raw(b, "}]}");
    }
    jb_raw(b, "]");
}

static void project_name(int k, char *out, size_t cap)
{
    if (k == 0)
        snprintf(out, cap, "admin");
    else
        snprintf(out, cap, "sim-project-%d", k);
}

static void token_body(struct req *r, const char *methods, int user, int project, int64_t exp)
{
    struct ossim *s = r->s;
    struct jb *b = &r->out;
    int64_t issued = exp - r->s->c.o.token_ttl_s;
    char user_name[80];
    jb_printf(b, "{\"token\":{\"methods\":%s,\"expires_at\":", methods);
    jb_time(b, exp, T_USEC_Z);
    jb_raw(b, ",\"issued_at\":");
    jb_time(b, issued, T_USEC_Z);
    jb_raw(b, ",\"audit_ids\":[\"");
    jb_printf(b, "%016llx", (unsigned long long)mix64((uint64_t)exp ^ s->token_key));
    jb_raw(b, "\"],\"user\":{\"id\":");
    jb_id(b, K_USER, user);
    snprintf(user_name, sizeof(user_name), "%s", name_of_user(s, user));
    jb_raw(b, ",\"name\":");
    jb_str(b, user_name);
    jb_raw(b,
           ",\"domain\":{\"id\":\"default\",\"name\":\"Default\"},\"password_expires_at\":null}");
    if (project >= 0) {
        char pn[40];
        project_name(project, pn, sizeof(pn));
        jb_raw(b, ",\"project\":{\"id\":");
        jb_id(b, K_PROJECT, project);
        jb_printf(b, ",\"name\":\"%s\",\"domain\":{\"id\":\"default\",\"name\":\"Default\"}}", pn);
        jb_raw(b, ",\"is_domain\":false");
    } else {
        jb_raw(b, ",\"system\":{\"all\":true}");
    }
    static const char *const all[] = {"admin", "member", "reader"};
    int n = user == 0 ? 3 : extra_users[user - 1].n_roles;
    const char *const *roles = user == 0 ? all : extra_users[user - 1].roles;
    jb_raw(b, ",\"roles\":[");
    for (int i = 0; i < n; i++) {
        jb_sep(b);
        jb_raw(b, "{\"id\":");
        jb_id(b, K_ROLE, user == 0 ? i : (roles[i][0] == 'm' ? 1 : 2));
        jb_printf(b, ",\"name\":\"%s\"}", roles[i]);
    }
    jb_raw(b, "],");
    catalog(b, s, project < 0);
    jb_raw(b, "}}");
}

/* ---- authentication ---- */

static bool domain_ok(const json_t *d)
{
    if (!d)
        return true; /* Default */
    const char *id = json_string_value(json_object_get(d, "id"));
    const char *name = json_string_value(json_object_get(d, "name"));
    if (id)
        return !strcmp(id, "default");
    return name && !strcmp(name, "Default");
}

/* The index of the user u names, or -1. */
static int user_of(const struct ossim *s, const json_t *u)
{
    const char *id = json_string_value(json_object_get(u, "id"));
    const char *name = json_string_value(json_object_get(u, "name"));
    for (int k = 0; k < N_USERS; k++) {
        char uid[37];
        id_str(K_USER, k, uid);
        if (id ? !strcmp(id, uid)
               : name && !strcmp(name, name_of_user(s, k)) &&
                     domain_ok(json_object_get(u, "domain")))
            return k;
    }
    return -1;
}

static bool user_ok(const struct ossim *s, const json_t *u)
{
    return user_of(s, u) == 0;
}

/* The project index the scope names; -1 system; -2 unknown. */
static int scope_project(const struct ossim *s, const json_t *scope)
{
    if (!scope)
        return 0; /* the admin user's default project */
    const json_t *sys = json_object_get(scope, "system");
    if (sys)
        return json_is_true(json_object_get(sys, "all")) ? -1 : -2;
    const json_t *p = json_object_get(scope, "project");
    if (!p)
        return -2;
    const char *id = json_string_value(json_object_get(p, "id"));
    if (id) {
        int k = cloud_lookup(&s->c, K_PROJECT, id);
        return k >= 0 ? k : -2;
    }
    const char *name = json_string_value(json_object_get(p, "name"));
    if (!name || !domain_ok(json_object_get(p, "domain")))
        return -2;
    for (int k = 0; k < s->c.o.projects; k++) {
        char pn[40];
        project_name(k, pn, sizeof(pn));
        if (!strcmp(pn, name))
            return k;
    }
    return -2;
}

static void auth_tokens(struct req *r)
{
    struct ossim *s = r->s;
    atomic_fetch_add(&s->token_requests, 1);
    json_error_t jerr;
    json_t *root = json_loadb(r->body ? r->body : "", r->body_len, 0, &jerr);
    const json_t *auth = json_object_get(root, "auth");
    const json_t *ident = json_object_get(auth, "identity");
    const json_t *methods = json_object_get(ident, "methods");
    if (!json_is_array(methods) || json_array_size(methods) == 0) {
        req_error(r, 400, "Expecting to find identity in auth.");
        json_decref(root);
        return;
    }
    const char *m = json_string_value(json_array_get(methods, 0));
    bool ok = false;
    int project = -2, user = 0;
    if (m && !strcmp(m, "password")) {
        const json_t *u = json_object_get(json_object_get(ident, "password"), "user");
        const char *pw = json_string_value(json_object_get(u, "password"));
        user = u ? user_of(s, u) : -1;
        ok = user >= 0 && pw && !strcmp(pw, s->password);
        project = scope_project(s, json_object_get(auth, "scope"));
    } else if (m && !strcmp(m, "application_credential")) {
        const json_t *ac = json_object_get(ident, "application_credential");
        const char *id = json_string_value(json_object_get(ac, "id"));
        const char *name = json_string_value(json_object_get(ac, "name"));
        const char *secret = json_string_value(json_object_get(ac, "secret"));
        char acid[37];
        id_str(K_APPCRED, 0, acid);
        bool who =
            id ? !strcmp(id, acid)
               : name && !strcmp(name, "sim-appcred") && user_ok(s, json_object_get(ac, "user"));
        ok = who && secret && !strcmp(secret, s->password);
        project = 0; /* application credentials carry their own scope */
    } else if (m && !strcmp(m, "token")) {
        const char *tok = json_string_value(json_object_get(json_object_get(ident, "token"), "id"));
        ok = token_decode(s, tok, NULL, &user, NULL, NULL);
        project = scope_project(s, json_object_get(auth, "scope"));
    }
    if (!ok) {
        req_error(r, 401, "The request you have made requires authentication.");
        json_decref(root);
        return;
    }
    if (project == -2) {
        req_error(r, 401, "The request you have made requires authentication.");
        json_decref(root);
        return;
    }
    char tok[TOKEN_LEN], methods_json[64];
    int64_t exp = now_s() + s->c.o.token_ttl_s;
    token_issue(s, user, project, exp, tok);
    snprintf(methods_json, sizeof(methods_json), "[\"%s\"]", m);
    json_decref(root);
    r->status = 201;
    req_header(r, "X-Subject-Token", tok);
    token_body(r, methods_json, user, project, exp);
}

static void version_v3(struct req *r)
{
    jb_raw(&r->out, "{\"id\":\"v3.14\",\"status\":\"stable\",\"updated\":\"2020-04-07T00:00:00Z\","
                    "\"links\":[{\"rel\":\"self\",\"href\":");
    jb_printf(&r->out,
              "\"%s/\"}],\"media-types\":[{\"base\":\"application/json\",\"type\":"
              "\"application/vnd.openstack.identity-v3+json\"}]}",
              r->s->auth_url);
}

static void projects(struct req *r)
{
    struct jb *b = &r->out;
    jb_raw(b, "{\"projects\":[");
    for (int k = 0; k < r->s->c.o.projects; k++) {
        char pn[40];
        project_name(k, pn, sizeof(pn));
        jb_sep(b);
        jb_raw(b, "{\"id\":");
        jb_id(b, K_PROJECT, k);
        jb_printf(b,
                  ",\"name\":\"%s\",\"domain_id\":\"default\",\"enabled\":true,"
                  "\"description\":\"\",\"parent_id\":\"default\",\"is_domain\":false,"
                  "\"tags\":[],\"options\":{},\"links\":{\"self\":\"%s/projects/",
                  pn, r->s->auth_url);
        char id[37];
        id_str(K_PROJECT, k, id);
        jb_printf(b, "%s\"}}", id);
    }
    jb_printf(b, "],\"links\":{\"self\":\"%s/projects\",\"next\":null,\"previous\":null}}",
              r->s->auth_url);
}

bool keystone_needs_token(const struct req *r)
{
    if (r->nseg <= 1)
        return false; /* version documents */
    return !(r->nseg == 3 && !strcmp(r->seg[1], "auth") && !strcmp(r->seg[2], "tokens") &&
             !strcmp(r->method, "POST"));
}

void keystone_handle(struct req *r)
{
    if (r->nseg == 0) {
        jb_raw(&r->out, "{\"versions\":{\"values\":[");
        version_v3(r);
        jb_raw(&r->out, "]}}");
        r->status = 300;
        return;
    }
    if (strcmp(r->seg[0], "v3") != 0) {
        req_error(r, 404, "The resource could not be found.");
        return;
    }
    if (r->nseg == 1) {
        jb_raw(&r->out, "{\"version\":");
        version_v3(r);
        jb_raw(&r->out, "}");
        return;
    }
    if (r->nseg == 3 && !strcmp(r->seg[1], "auth") && !strcmp(r->seg[2], "tokens")) {
        if (!strcmp(r->method, "POST")) {
            auth_tokens(r);
            return;
        }
        const char *subj = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Subject-Token");
        int project, user;
        int64_t exp;
        uint64_t nonce;
        if (!token_decode(r->s, subj, &project, &user, &exp, &nonce)) {
            req_error(r, 404, "Could not find token.");
            return;
        }
        if (!strcmp(r->method, "DELETE")) { /* revocation */
            revoke_nonce(r->s, nonce);
            r->status = 204;
            return;
        }
        req_header(r, "X-Subject-Token", subj);
        token_body(r, "[\"password\"]", user, project, exp);
        return;
    }
    if (r->nseg == 2 && !strcmp(r->seg[1], "projects") && !strcmp(r->method, "GET")) {
        projects(r);
        return;
    }
    req_error(r, 404, "The resource could not be found.");
}
