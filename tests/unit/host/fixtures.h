/* Shared by the host tests: read a fixture of tests/data/<dir>/, and count or find what a
 * change set puts. Header-only (static) so each test executable stays one source file. */
#ifndef LS_TESTS_HOST_FIXTURES_H
#define LS_TESTS_HOST_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "model/change.h"

/* Reads tests/data/<rel> (LS_SOURCE_DIR set by CTest, else the current directory); aborts
 * when missing. Caller frees. */
static inline char *fixture_read(const char *rel, size_t *len)
{
    const char *root = getenv("LS_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/%s", root ? root : ".", rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fixture %s missing\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = ls_xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

/* Node puts of a given type (NULL: all). */
static inline size_t cs_count_nodes(struct ls_change_set *cs, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind == LS_CH_NODE_PUT && (type == NULL || strcmp(c->type, type) == 0))
            n++;
    }
    return n;
}

/* Edge puts of a given type (-1: all). */
static inline size_t cs_count_edges(struct ls_change_set *cs, int etype)
{
    size_t n = 0;
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind == LS_CH_EDGE_PUT && (etype < 0 || (int)c->etype == etype))
            n++;
    }
    return n;
}

/* The last put of node id, or NULL. */
static inline struct ls_change *cs_node(struct ls_change_set *cs, const char *id)
{
    struct ls_change *found = NULL;
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind == LS_CH_NODE_PUT && strcmp(c->id, id) == 0)
            found = c;
    }
    return found;
}

/* The put of edge (src, type, dst), or NULL. */
static inline struct ls_change *
cs_edge(struct ls_change_set *cs, const char *src, int etype, const char *dst)
{
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind == LS_CH_EDGE_PUT && (int)c->etype == etype && strcmp(c->src, src) == 0 &&
            strcmp(c->dst, dst) == 0)
            return c;
    }
    return NULL;
}

/* Integer attribute of a change (-1 when absent). */
static inline long long cs_attr_int(const struct ls_change *c, const char *key)
{
    json_t *v = c && c->attrs ? json_object_get(c->attrs, key) : NULL;
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* String attribute of a change ("" when absent). */
static inline const char *cs_attr_str(const struct ls_change *c, const char *key)
{
    const char *s = c && c->attrs ? json_string_value(json_object_get(c->attrs, key)) : NULL;
    return s ? s : "";
}

#endif
