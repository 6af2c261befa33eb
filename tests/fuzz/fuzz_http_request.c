/* Fuzz target: what the server parses of a request itself (libmicrohttpd parses the raw
 * request line and headers; this target does not run it). The input is
 * "METHOD PATH[?QUERY]": split here into method, path and query arguments the way MHD hands
 * them to us (path and arguments percent-decoded, '+' as space in arguments, the argument's
 * value NULL for a bare "key"), then through our code: the route table (ls_route_match, the
 * {id} parameter, Content-Type rules), the query parameter checks and parsers every handler
 * uses (ls_req_check_params, ls_req_long for limit/depth/max_nodes/since/step, ls_req_time for
 * at/from/to, h_limit, h_node_filter with layer/type/attr.*), the `next` link rebuilt from the
 * query, and the JSON error body of any refusal. Checked: a matched {id} route gives back the
 * path as prefix + id + suffix, parsed integers lie within their bounds, the next link is
 * printable ASCII, and every error renders as a JSON error body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/hex.h"
#include "server/handlers/common.h"
#include "server/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ARGS 64

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant: %s (%s)\n", what, detail ? detail : "-");
    abort();
}

/* Percent-decodes s in place (an invalid escape is kept as is, as MHD does); with plus, '+'
 * becomes a space (query arguments only). A decoded %00 ends the string, as it would for
 * anyone reading MHD's NUL-terminated values. */
static void unescape(char *s, bool plus)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        int hi, lo;
        if (*r == '%' && (hi = ls_hex_digit(r[1])) >= 0 && (lo = ls_hex_digit(r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = (plus && *r == '+') ? ' ' : *r;
        }
    }
    *w = '\0';
}

/* The error of a refused argument must render as the JSON error body. */
static void render_error(const struct ls_err *err)
{
    struct ls_resp resp = {0};
    ls_resp_error(&resp, err);
    if (resp.body == NULL || resp.status < 400 || strncmp(resp.body, "{\"error\":", 9) != 0)
        fail("error body", err->msg);
    free(resp.body);
}

static void check_long(struct ls_req *req, const char *key, long def, long min, long max)
{
    struct ls_err err = {0};
    long v = 0;
    if (ls_req_long(req, key, def, min, max, &v, &err) != LS_OK)
        render_error(&err);
    else if (v != def && (v < min || v > max))
        fail("integer out of bounds", key);
}

static void check_time(struct ls_req *req, const char *key)
{
    struct ls_err err = {0};
    bool has;
    int64_t t;
    if (ls_req_time(req, key, &has, &t, &err) != LS_OK)
        render_error(&err);
}

static void check_route(const char *method, const char *path)
{
    char *param = NULL;
    bool mismatch;
    int i = ls_route_match(method, path, &param, &mismatch);
    if (i >= 0) {
        const struct ls_route *r = &ls_routes[i];
        if (strcmp(r->method, method) != 0)
            fail("route method", method);
        if (r->param) {
            char whole[8192];
            if (param == NULL || *param == '\0')
                fail("route without its {id}", path);
            snprintf(whole, sizeof(whole), "%s%s%s", r->prefix, param, r->suffix);
            if (strlen(path) < sizeof(whole) - 1 && strcmp(whole, path) != 0)
                fail("route {id} does not rebuild the path", path);
        } else if (param != NULL || strcmp(r->prefix, path) != 0) {
            fail("exact route", path);
        }
        (void)ls_route_ctype_ok(r, "application/json; charset=utf-8", 2);
        (void)ls_route_ctype_ok(r, NULL, 0);
        (void)ls_route_ctypes(r);
    }
    free(param);
}

static void check_query(struct ls_req *req, const struct ls_config *cfg)
{
    static const char *const known[] = {
        "limit",     "marker", "at",        "from",      "to",   "depth",  "since",  "step",
        "max_nodes", "layer",  "type",      "state",     "name", "source", "src",    "dst",
        "kind",      "metric", "direction", "edge_type", "full", "wait",   "format", NULL};
    struct ls_err err = {0};
    if (ls_req_check_params(req, known, true, &err) != LS_OK)
        render_error(&err);
    check_long(req, "limit", cfg->default_page_size, 1, cfg->max_page_size);
    check_long(req, "depth", 2, 0, cfg->max_subgraph_depth);
    check_long(req, "max_nodes", cfg->max_subgraph_nodes, 1, cfg->max_subgraph_nodes);
    check_long(req, "since", -1, -1, __LONG_MAX__);
    check_long(req, "step", 0, 0, 86400);
    check_time(req, "at");
    check_time(req, "from");
    check_time(req, "to");

    size_t limit;
    err = (struct ls_err){0};
    if (h_limit(req, &limit, &err) != LS_OK)
        render_error(&err);
    else if (limit < 1 || limit > (size_t)cfg->max_page_size)
        fail("h_limit out of bounds", NULL);

    struct ls_node_filter f;
    struct ls_attr_match attrs[16];
    err = (struct ls_err){0};
    if (h_node_filter(req, &f, attrs, &err) != LS_OK)
        render_error(&err);
    else if (f.n_attrs > 16)
        fail("attr filters", NULL);

    char *next = ls_req_next_link(req, "m\xc3\xa4rker/1");
    for (const char *p = next; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            fail("next link not printable ASCII", next);
    free(next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096 || memchr(data, 0, size)) /* MHD refuses a NUL in the request line */
        return 0;
    char *line = malloc(size + 1);
    memcpy(line, data, size);
    line[size] = '\0';
    char *sp = strchr(line, ' ');
    if (sp == NULL) {
        free(line);
        return 0;
    }
    *sp = '\0';
    const char *method = line;
    char *path = sp + 1;
    char *query = strchr(path, '?');
    if (query)
        *query++ = '\0';
    unescape(path, false);

    struct ls_query_arg args[FUZZ_MAX_ARGS];
    size_t n = 0;
    for (char *tok = query, *next; tok && n < FUZZ_MAX_ARGS; tok = next) {
        next = strchr(tok, '&');
        if (next)
            *next++ = '\0';
        if (*tok == '\0')
            continue;
        char *eq = strchr(tok, '=');
        if (eq)
            *eq++ = '\0';
        unescape(tok, true);
        if (eq)
            unescape(eq, true);
        args[n++] = (struct ls_query_arg){tok, eq};
    }

    struct ls_config cfg;
    ls_config_defaults(&cfg);
    struct ls_ctx ctx = {.cfg = &cfg};
    struct ls_req req = {.ctx = &ctx, .method = method, .url = path, .args = args, .n_args = n};
    check_route(method, path);
    check_query(&req, &cfg);
    ls_config_cleanup(&cfg);
    free(line);
    return 0;
}
