/* Route matching over the static table in routes.c. */
#include "server/router.h"

#include <string.h>

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
