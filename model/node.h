/* Node and edge versions: immutable values once they are part of a published revision.
 * Readers get `const` pointers that are borrowed from a snapshot (see graph.h) and stay valid
 * while that snapshot is held. */
#ifndef LS_MODEL_NODE_H
#define LS_MODEL_NODE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model/types.h"

/** One version of a node. All strings owned; attrs is an owned reference to a JSON object. */
struct ls_node {
    const char *id;       /* stable key "<source>:<type>:<native id>"; owned, or borrowed from
                             the graph once published (see id_borrowed) */
    const char *type;     /* registered type (static registry string), fixed for life */
    enum ls_layer layer;  /* from the type registry */
    char *name;           /* display name; never NULL ("" when unknown) */
    char *state;          /* free text ("active", "down", ...); never NULL */
    json_t *attrs;        /* JSON object; immutable once published (an empty one is shared) */
    const char *source;   /* who owns it: "manual", "demo", "openstack:<cloud>", "host:<h>";
                             interned (ls_intern) */
    unsigned id_borrowed; /* 1 when id belongs to the graph, not to this version */
    int64_t created_at;   /* µs since epoch of the first version */
    int64_t updated_at;   /* µs since epoch of this version */
    uint64_t revision;    /* revision that made this version */
    _Atomic(char *) json; /* rendered JSON of this version, made on first use (owned) */
    /* graph-private (model/graph.c): revisions [rev_from, rev_to) and the older version */
    uint64_t rev_from;
    _Atomic uint64_t rev_to;
    _Atomic(struct ls_node *) older;
};

/** One version of an edge; identity is (src, type, dst). */
struct ls_edge {
    const char *src;             /* node id (owned, or borrowed from the graph once published) */
    const char *dst;             /* node id (likewise) */
    unsigned ends_borrowed;      /* 1 when src/dst belong to the graph */
    enum ls_edge_type type;      /* "src <type> dst" */
    json_t *attrs;               /* JSON object; immutable once published */
    enum ls_edge_source esource; /* imported | manual | inferred */
    const char *owner;           /* change-set origin that owns it; interned (ls_intern) */
    double weight;               /* default 1.0 */
    int64_t created_at;          /* µs */
    int64_t updated_at;          /* µs */
    uint64_t revision;           /* revision that made this version */
    _Atomic(char *) json;        /* cached rendering */
    /* graph-private (model/graph.c): revisions [rev_from, rev_to) and the older version */
    uint64_t rev_from;
    _Atomic uint64_t rev_to;
    _Atomic(struct ls_edge *) older;
};

/** Interns a short, frequently repeated string (sources, owners): the result lives for the
 *  process and is shared. Thread-safe. */
const char *ls_intern(const char *s);

/** A new reference to one shared, immutable empty JSON object. */
json_t *ls_json_empty(void);

/** Makes a node version owning copies of the strings and a new reference to attrs (which must
 *  not be modified afterwards; NULL or {} = the shared empty object). type must be registered.
 *  Caller frees with ls_node_free. */
struct ls_node *ls_node_new(const char *id,
                            const char *type,
                            enum ls_layer layer,
                            const char *name,
                            const char *state,
                            json_t *attrs,
                            const char *source);
void ls_node_free(struct ls_node *n);
struct ls_edge *ls_edge_new(const char *src,
                            const char *dst,
                            enum ls_edge_type type,
                            json_t *attrs,
                            enum ls_edge_source esource,
                            const char *owner,
                            double weight);
void ls_edge_free(struct ls_edge *e);

/** New JSON object for the node: {id, layer, type, name, state, attrs, source, created_at,
 *  updated_at, revision}. Caller owns the reference. */
json_t *ls_node_to_json(const struct ls_node *n);
/** New JSON object for the edge: {id, src, dst, type, attrs, source, owner, weight, ...}. */
json_t *ls_edge_to_json(const struct ls_edge *e);

/** The node's compact JSON text, rendered once per version and cached (thread-safe).
 *  Borrowed: valid as long as the node version is. */
const char *ls_node_json(const struct ls_node *n, size_t *len);
const char *ls_edge_json(const struct ls_edge *e, size_t *len);

/** Edge key "src|type|dst" into buf; returns buf (truncated to cap). */
char *ls_edge_key(const char *src, enum ls_edge_type type, const char *dst, char *buf, size_t cap);

#endif
