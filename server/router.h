/* The route table: method + path pattern -> handler. Patterns are exact paths or
 * "<prefix>{id}<suffix>" where {id} is everything between (it may contain '/', since node ids
 * do). Matching order is table order; 405 when a path matches under another method. */
#ifndef LS_SERVER_ROUTER_H
#define LS_SERVER_ROUTER_H

#include "server/request.h"

typedef void (*ls_handler)(struct ls_req *req, struct ls_resp *resp);

struct ls_route {
    const char *method;
    const char *prefix; /* the whole path when !param */
    const char *suffix; /* after {id}; "" for none */
    bool param;
    ls_handler fn;
    const char *name; /* metrics label */
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

#endif
