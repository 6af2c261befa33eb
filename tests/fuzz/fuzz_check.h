/* Shared by the input fuzz targets: what every change set an importer builds must satisfy
 * whatever the input, checked after each run. A violation aborts, which libFuzzer reports as
 * a crash with the input that caused it. Header-only (static) so each target stays one file. */
#ifndef LS_TESTS_FUZZ_CHECK_H
#define LS_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "model/change.h"
#include "model/graph.h"

/* A string the store and the JSON renderer can take: NULL (unset) or valid UTF-8. */
static inline void fuzz_check_utf8(const char *what, const char *s)
{
    if (s == NULL)
        return;
    json_t *j = json_string(s);
    if (j == NULL) {
        fprintf(stderr, "fuzz invariant: %s is not UTF-8\n", what);
        abort();
    }
    json_decref(j);
}

/* Every string of every change is UTF-8 and every attrs object serialises. */
static inline void fuzz_check_change_set(struct ls_change_set *cs)
{
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        const struct ls_change *c = ls_change_set_at(cs, i);
        fuzz_check_utf8("id", c->id);
        fuzz_check_utf8("type", c->type);
        fuzz_check_utf8("name", c->name);
        fuzz_check_utf8("state", c->state);
        fuzz_check_utf8("source", c->source);
        fuzz_check_utf8("src", c->src);
        fuzz_check_utf8("dst", c->dst);
        if (c->attrs != NULL) {
            char *text = json_dumps(c->attrs, JSON_COMPACT);
            if (text == NULL) {
                fprintf(stderr, "fuzz invariant: attrs of %s do not serialise\n",
                        c->id ? c->id : "?");
                abort();
            }
            free(text);
        }
    }
}

/* Checks cs, then prepares it on g (a graph kept for the process; NULL: an empty one) and
 * throws the preparation away, so the model's own validation of the set runs too. */
static inline void fuzz_check_and_prepare(struct ls_graph *g, struct ls_change_set *cs)
{
    static struct ls_graph *empty;
    if (g == NULL) {
        if (empty == NULL)
            empty = ls_graph_new(); /* kept for the process */
        g = empty;
    }
    fuzz_check_change_set(cs);
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(g, cs, 1000000, &p, &err) == LS_OK)
        ls_graph_abort(g, p);
}

#endif
