/* Change sets: the only way the landscape changes. An importer, the REST API or the demo
 * builds a change set (upserts and deletions of nodes and edges) and hands it to the store
 * (sql/store.h: ls_store_apply), which validates it against the live graph, persists it in one
 * transaction and only then publishes it as a new revision. Not thread-safe: one builder. */
#ifndef LS_MODEL_CHANGE_H
#define LS_MODEL_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/types.h"

enum ls_change_kind {
    LS_CH_NODE_PUT,   /* create or replace a node (all fields given) */
    LS_CH_NODE_PATCH, /* change some fields of an existing node; attrs merged (null deletes) */
    LS_CH_NODE_DEL,   /* delete a node and every edge touching it */
    LS_CH_EDGE_PUT,   /* create or replace an edge (src, type, dst) */
    LS_CH_EDGE_PATCH, /* change attrs / weight of an existing edge */
    LS_CH_EDGE_DEL,   /* delete an edge */
};

/** One requested change. Strings and attrs owned by the change set. */
struct ls_change {
    enum ls_change_kind kind;
    char *id;        /* node id (node kinds) */
    char *type;      /* node type (NODE_PUT) */
    char *name;      /* NODE_PUT/PATCH; NULL in a patch = unchanged */
    char *state;     /* NODE_PUT/PATCH; NULL in a patch = unchanged */
    char *source;    /* NODE_PUT: owner; NULL = the set's origin */
    json_t *attrs;   /* PUT: the object (NULL = {}); PATCH: merge object (NULL = unchanged) */
    char *src, *dst; /* edge kinds */
    enum ls_edge_type etype;
    enum ls_edge_source esource;
    double weight;      /* EDGE_PUT/PATCH; NaN in a patch = unchanged */
    int64_t created_at; /* restore only (store load): 0 = derive */
    int64_t updated_at; /* restore only: 0 = change-set time */
    uint64_t revision;  /* restore only: revision that made the stored version; 0 = publish's */
    char *owner;        /* restore only (EDGE_PUT): owner; NULL = the set's origin */
    bool if_absent;     /* NODE_PUT/EDGE_PUT: fail with LS_ECONFLICT when it already exists */
};

struct ls_change_set;

/**
 * New empty change set.
 * @param origin who makes it ("api", "demo", "openstack:<cloud>", "host:<name>"); it becomes
 *        the `source` of nodes put without one and the owner of edges, and is logged.
 * Caller frees with ls_change_set_free.
 */
struct ls_change_set *ls_change_set_new(const char *origin);
void ls_change_set_free(struct ls_change_set *cs);

/** Sets the event time (µs) used as valid_from/updated_at; default: the time of apply. */
void ls_change_set_set_time(struct ls_change_set *cs, int64_t t_us);
int64_t ls_change_set_time(const struct ls_change_set *cs);
const char *ls_change_set_origin(const struct ls_change_set *cs);

/**
 * Replace semantics for an importer: after the puts, every node whose `source` equals the
 * origin and that the set does not put is deleted (likewise edges owned by the origin).
 * Used by importers that submit a full view of what they own (a full sync pass, a host's
 * topology). Default false.
 */
void ls_change_set_set_replace(struct ls_change_set *cs, bool replace);
bool ls_change_set_replace(const struct ls_change_set *cs);
/** With replace: restricts the deletion sweep to nodes whose id starts with prefix (e.g. one
 *  host's "host:machine:h1" subtree). NULL = everything the origin owns. Copied. */
void ls_change_set_set_scope(struct ls_change_set *cs, const char *id_prefix);
const char *ls_change_set_scope(const struct ls_change_set *cs);
/** With replace: nodes whose id starts with id_prefix (copied), and edges from or to them,
 *  are left out of the sweep — kept as they are when the set does not put them (an importer
 *  that could not read one of its sources this time). At most LS_CHANGE_KEPT_MAX. */
#define LS_CHANGE_KEPT_MAX 8
LS_MUST_CHECK int
ls_change_set_keep(struct ls_change_set *cs, const char *id_prefix, struct ls_err *err);
/** Whether id falls under one of the kept prefixes. */
bool ls_change_set_kept(const struct ls_change_set *cs, const char *id);

/**
 * Adds a node upsert. The node's layer comes from the type registry.
 * @param attrs stolen reference to a JSON object, or NULL for {} (jansson "_new" convention)
 * @param source owner; NULL = the set's origin
 * @return LS_OK, or LS_EINVAL (empty id, unregistered type, attrs not an object) — attrs is
 *         released on error too.
 */
LS_MUST_CHECK int ls_change_put_node_new(struct ls_change_set *cs,
                                         const char *id,
                                         const char *type,
                                         const char *name,
                                         const char *state,
                                         json_t *attrs,
                                         const char *source,
                                         struct ls_err *err);
/** Adds a partial update; NULL fields are unchanged; attrs (stolen) merged, a null value
 *  removes the key. */
LS_MUST_CHECK int ls_change_patch_node_new(struct ls_change_set *cs,
                                           const char *id,
                                           const char *name,
                                           const char *state,
                                           json_t *attrs,
                                           struct ls_err *err);
/** Adds a node deletion (edges touching it go with it). Missing node: no-op at apply. */
void ls_change_del_node(struct ls_change_set *cs, const char *id);
/** Adds an edge upsert. Both ends must exist at apply (in the graph or put by this set).
 *  attrs stolen (NULL = {}). */
LS_MUST_CHECK int ls_change_put_edge_new(struct ls_change_set *cs,
                                         const char *src,
                                         enum ls_edge_type type,
                                         const char *dst,
                                         json_t *attrs,
                                         enum ls_edge_source esource,
                                         double weight,
                                         struct ls_err *err);
/** Adds an edge patch (attrs merged, stolen; weight NaN = unchanged). */
LS_MUST_CHECK int ls_change_patch_edge_new(struct ls_change_set *cs,
                                           const char *src,
                                           enum ls_edge_type type,
                                           const char *dst,
                                           json_t *attrs,
                                           double weight,
                                           struct ls_err *err);
/** Adds an edge deletion. Missing edge: no-op at apply. */
void ls_change_del_edge(struct ls_change_set *cs,
                        const char *src,
                        enum ls_edge_type type,
                        const char *dst);

/** Number of changes, and the i-th (borrowed; valid until the set is freed). Mutable so that
 *  a caller may set restore fields (created_at, updated_at, if_absent) on the last added. */
size_t ls_change_set_count(const struct ls_change_set *cs);
struct ls_change *ls_change_set_at(struct ls_change_set *cs, size_t i);
/** Moves change i of src to the end of dst, strings and attrs included. src keeps an emptied
 *  slot in its place: free it afterwards, do not apply it. */
void ls_change_set_move(struct ls_change_set *dst, struct ls_change_set *src, size_t i);

#endif
