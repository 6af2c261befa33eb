/* Route matching over the static table in routes.c. */
#include "server/router.h"

#include <string.h>
#include <strings.h>

/* Matches a path against one pattern; on success sets *param (owned) for param routes. */
static bool path_matches(const struct ls_route *r, const char *path, char **param)
{
    if (!r->param)
        return strcmp(r->prefix, path) == 0;
    size_t pl = strlen(r->prefix), sl = strlen(r->suffix), n = strlen(path);
    if (n <= pl + sl || strncmp(path, r->prefix, pl) != 0 || strcmp(path + n - sl, r->suffix) != 0)
        return false;
    if (param)
        *param = ls_xstrndup(path + pl, n - pl - sl);
    return true;
}

int ls_route_match(const char *method, const char *path, char **param, bool *method_mismatch)
{
    *param = NULL;
    *method_mismatch = false;
    for (int i = 0; i < ls_routes_count; i++) {
        const struct ls_route *r = &ls_routes[i];
        if (!path_matches(r, path, NULL))
            continue;
        if (strcmp(r->method, method) != 0) {
            *method_mismatch = true;
            continue;
        }
        path_matches(r, path, param);
        return i;
    }
    return -1;
}

enum ls_role ls_route_role(const struct ls_route *r, const struct ls_config *cfg)
{
    switch (r->role) {
    case LS_ROLE_UNSET:
        return LS_ROLE_ADMIN;
    case LS_ROLE_METRICS:
        return cfg->metrics_public ? LS_ROLE_PUBLIC : LS_ROLE_READER;
    default:
        return r->role;
    }
}

/* Accepted media types per body kind (NULL-terminated), and the one-line summary. */
static const struct {
    const char *const types[6];
    const char *summary;
} bodies[] = {
    [LS_BODY_NONE] = {{NULL}, "no body"},
    [LS_BODY_JSON] = {{"application/json", NULL}, "application/json"},
    [LS_BODY_JSON_YAML] = {{"application/json", "application/yaml", "application/x-yaml",
                            "text/yaml", NULL},
                           "application/json or application/yaml"},
    [LS_BODY_JSON_XML] = {{"application/json", "application/xml", "text/xml", NULL},
                          "application/json or application/xml"},
    [LS_BODY_TELEMETRY] = {{"application/json", "text/plain", NULL},
                           "application/json, or text/plain for line formats"},
};

/* What a browser may send cross-site without asking (a CORS "simple" request). */
static const char *const simple_types[] = {"application/x-www-form-urlencoded",
                                           "multipart/form-data", "text/plain", NULL};

static bool listed(const char *const *types, const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    for (; *types; types++)
        if (strlen(*types) == n && strncasecmp(*types, ct, n) == 0)
            return true;
    return false;
}

bool ls_route_ctype_ok(const struct ls_route *r, const char *ctype, size_t body_len)
{
    if (ctype)
        ctype += strspn(ctype, " \t");
    if (r->body == LS_BODY_NONE)
        return ctype == NULL || !listed(simple_types, ctype);
    if (ctype == NULL || *ctype == '\0')
        return body_len == 0;
    return listed(bodies[r->body].types, ctype);
}

const char *ls_route_ctypes(const struct ls_route *r)
{
    return bodies[r->body].summary;
}
