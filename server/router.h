/* The route table: method + path pattern -> handler. Patterns are exact paths or
 * "<prefix>{id}<suffix>" where {id} is everything between (it may contain '/', since node ids
 * do). Matching order is table order; 405 when a path matches under another method. */
#ifndef LS_SERVER_ROUTER_H
#define LS_SERVER_ROUTER_H

#include "server/auth.h"
#include "server/request.h"

typedef void (*ls_handler)(struct ls_req *req, struct ls_resp *resp);

/* The body a route takes, hence the Content-Types it accepts (415 otherwise). */
enum ls_body {
    LS_BODY_NONE = 0,  /* no body: any is ignored, but a form or text/plain one is refused */
    LS_BODY_JSON,      /* application/json */
    LS_BODY_JSON_YAML, /* application/json, application/yaml (also x-yaml, text/yaml) */
    LS_BODY_JSON_XML,  /* application/json (agent), application/xml or text/xml (hwloc) */
    LS_BODY_TELEMETRY, /* application/json, or text/plain for line formats */
};

struct ls_route {
    const char *method;
    const char *prefix; /* the whole path when !param */
    const char *suffix; /* after {id}; "" for none */
    bool param;
    ls_handler fn;
    const char *name;  /* metrics label */
    enum ls_role role; /* the least role a caller needs (UNSET counts as admin) */
    enum ls_body body;
};

/** The table (server/routes.c) and its length. */
extern const struct ls_route ls_routes[];
extern const int ls_routes_count;

/**
 * Finds the route for method + path.
 * @param[out] param the {id} part (new string, caller frees) or NULL
 * @return the route index; -1 with *method_mismatch when only the method differs; -1 else.
 */
int ls_route_match(const char *method, const char *path, char **param, bool *method_mismatch);

/** The role route r needs under cfg (METRICS resolved by --metrics-public, UNSET = admin). */
enum ls_role ls_route_role(const struct ls_route *r, const struct ls_config *cfg);

/** Whether a request to r with this Content-Type (NULL when absent) and body length may go
 *  on; false means 415. A body-less request without a Content-Type passes. */
bool ls_route_ctype_ok(const struct ls_route *r, const char *ctype, size_t body_len);
/** The accepted types of r for the 415 message, e.g. "application/json" (static). */
const char *ls_route_ctypes(const struct ls_route *r);

#endif
