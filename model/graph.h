/* The live graph: every node and edge version in memory, indices by id, type and layer, and
 * in/out adjacency. Multi-version: a writer adds versions tagged with the revision that made
 * them and publishes the revision number last; a reader holds a snapshot (a revision) and sees
 * exactly the versions alive at it, without waiting for the writer. Old versions are freed once
 * no snapshot can see them.
 *
 * Threads: any number of readers; one writer at a time (ls_graph_prepare blocks other writers
 * until ls_graph_publish / ls_graph_abort). The graph does no I/O: persisting a prepared change
 * is the store's job (sql/store.h), done between prepare and publish. */
#ifndef LS_MODEL_GRAPH_H
#define LS_MODEL_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "model/change.h"
#include "model/node.h"
#include "model/types.h"

struct ls_graph;
struct ls_snap;
struct ls_prepared;

/** New empty graph at revision 0. Caller frees with ls_graph_free (no snapshot may be held). */
struct ls_graph *ls_graph_new(void);
void ls_graph_free(struct ls_graph *g);

/* ---- writer ---------------------------------------------------------------------------- */

/** A resolved operation: what the change set really does to the graph. */
enum ls_op_kind { LS_OP_NODE_PUT, LS_OP_NODE_DEL, LS_OP_EDGE_PUT, LS_OP_EDGE_DEL };
struct ls_op {
    enum ls_op_kind kind;
    bool created;                /* PUT: the entity did not exist before */
    const struct ls_node *node;  /* NODE_PUT: the new version; NODE_DEL: the last version */
    const struct ls_edge *edge;  /* EDGE_PUT: the new version; EDGE_DEL: the last version */
    const struct ls_node *prev;  /* NODE_PUT of an existing node: the version it replaces */
    const struct ls_edge *eprev; /* EDGE_PUT of an existing edge: the version it replaces */
    int64_t time_us;             /* PUT: valid_from of the new version (= its updated_at);
                                    DEL: valid_to of the last version. Never earlier than the
                                    replaced version's updated_at (event times are clamped so
                                    history stays monotonic per entity). */
};

/**
 * Validates cs against the current graph and resolves it into operations: patches merged,
 * node deletions cascaded to their edges, replace-sweeps expanded, unchanged upserts dropped.
 * Takes the writer lock, held until ls_graph_publish or ls_graph_abort.
 * @param now_us time used when the set has none
 * @param[out] out the prepared change (owned by the graph until publish/abort)
 * @return LS_OK; LS_EINVAL (edge to a missing node, type change, bad field), LS_ENOTFOUND
 *         (patch of a missing node or edge), LS_ECONFLICT (if_absent and it exists). On error
 *         the lock is released and nothing changed.
 */
LS_MUST_CHECK int ls_graph_prepare(struct ls_graph *g,
                                   const struct ls_change_set *cs,
                                   int64_t now_us,
                                   struct ls_prepared **out,
                                   struct ls_err *err);
/** The resolved operations (borrowed from p; the versions they point to are valid until
 *  publish/abort returns, longer only while a snapshot that sees them is held). n may be 0. */
const struct ls_op *ls_prepared_ops(const struct ls_prepared *p, size_t *n);
/** Event time of the prepared change (µs). */
int64_t ls_prepared_time(const struct ls_prepared *p);
/** The revision that the graph will publish next (current + 1) unless told otherwise. */
uint64_t ls_graph_next_revision(const struct ls_graph *g);
/**
 * Finds or makes the slot each of p's nodes and edges will be linked into, nothing visible
 * yet (an empty slot reads as absent): the part of publishing that can be done before the
 * change is durable. Reads only the versions' ids and the graph; writes only the graph's slot
 * tables and p's own slot list — so one thread may stage p while another reads p's versions
 * (the store writes them to Postgres meanwhile). Writer lock held (between prepare and
 * publish/abort); optional: publish stages what was not. Slots made for a change that is then
 * aborted stay empty until a later put of the same id uses them.
 */
void ls_graph_stage(struct ls_graph *g, struct ls_prepared *p);
/**
 * Makes p visible as revision `revision` (> current; the store passes the change-log number),
 * notifies listeners, frees p and releases the writer lock.
 */
void ls_graph_publish(struct ls_graph *g, struct ls_prepared *p, uint64_t revision);
/** Drops p (nothing becomes visible) and releases the writer lock. */
void ls_graph_abort(struct ls_graph *g, struct ls_prepared *p);

/** Sets the current revision number without changes (after loading an empty log tail). */
void ls_graph_set_revision(struct ls_graph *g, uint64_t revision);

/**
 * Listener called by the publishing thread after each publish, with the operations and the
 * new revision. Must be quick and must not call back into the writer. Up to 8 listeners.
 */
typedef void (*ls_graph_listener)(
    const struct ls_op *ops, size_t n, uint64_t revision, int64_t time_us, void *arg);
void ls_graph_add_listener(struct ls_graph *g, ls_graph_listener fn, void *arg);

/* ---- readers --------------------------------------------------------------------------- */

/** Takes a snapshot of the current revision (a short mutex, never behind a writer's apply).
 *  Release with ls_snap_release. Thread-safe. */
struct ls_snap *ls_graph_snap(struct ls_graph *g);
void ls_snap_release(struct ls_snap *s);
uint64_t ls_snap_revision(const struct ls_snap *s);
size_t ls_snap_node_count(const struct ls_snap *s);
size_t ls_snap_edge_count(const struct ls_snap *s);
/** Nodes in the snapshot per layer. */
size_t ls_snap_layer_count(const struct ls_snap *s, enum ls_layer layer);

/** The node version alive at the snapshot, or NULL. Borrowed; valid while s is held. */
const struct ls_node *ls_snap_node(const struct ls_snap *s, const char *id);
/** The edge alive at the snapshot, or NULL. Borrowed. */
const struct ls_edge *
ls_snap_edge(const struct ls_snap *s, const char *src, enum ls_edge_type type, const char *dst);

/** Filters for listing nodes; NULL / negative fields match anything. */
struct ls_attr_match {
    const char *key;   /* top-level attrs key */
    const char *value; /* compared with the value's text (strings as is, numbers, booleans) */
};
struct ls_node_filter {
    const char *type;
    int layer; /* enum ls_layer, or -1 */
    const char *state;
    const char *name; /* exact name */
    const char *source;
    const struct ls_attr_match *attrs;
    size_t n_attrs;
};
/** True when n passes f. */
bool ls_node_filter_match(const struct ls_node_filter *f, const struct ls_node *n);

/**
 * Lists nodes matching f in a stable order (creation order), starting after the node with id
 * `after` (NULL: from the start).
 * @param[out] out array of at least `limit` pointers, filled with borrowed nodes
 * @param[out] n how many were filled
 * @param[out] more true when more matching nodes follow
 * @return LS_OK, or LS_EINVAL when `after` names no node the graph ever had.
 */
LS_MUST_CHECK int ls_snap_list_nodes(const struct ls_snap *s,
                                     const struct ls_node_filter *f,
                                     const char *after,
                                     size_t limit,
                                     const struct ls_node **out,
                                     size_t *n,
                                     bool *more,
                                     struct ls_err *err);

enum ls_direction { LS_DIR_OUT = 1, LS_DIR_IN = 2, LS_DIR_BOTH = 3 };

/** Filters for listing edges; NULL / negative = any. */
struct ls_edge_filter {
    const char *src;
    const char *dst;
    int type; /* enum ls_edge_type, or -1 */
};
/** Lists edges like ls_snap_list_nodes; `after` is an edge key "src|type|dst". */
LS_MUST_CHECK int ls_snap_list_edges(const struct ls_snap *s,
                                     const struct ls_edge_filter *f,
                                     const char *after,
                                     size_t limit,
                                     const struct ls_edge **out,
                                     size_t *n,
                                     bool *more,
                                     struct ls_err *err);

/** Calls fn for each edge of node `id` alive at s in the given direction (and of type
 *  `type`, or -1 for any); fn returns false to stop. Returns LS_ENOTFOUND if no such node. */
typedef bool (*ls_edge_visit)(const struct ls_edge *e, void *arg);
LS_MUST_CHECK int ls_snap_node_edges(const struct ls_snap *s,
                                     const char *id,
                                     enum ls_direction dir,
                                     int type,
                                     ls_edge_visit fn,
                                     void *arg,
                                     struct ls_err *err);

/** A neighbourhood: nodes (root first, then breadth-first) and the edges between them that
 *  the walk crossed. Arrays owned by the struct, elements borrowed from the snapshot. */
struct ls_subgraph {
    const struct ls_node **nodes;
    size_t n_nodes;
    const struct ls_edge **edges;
    size_t n_edges;
    bool truncated; /* stopped at max_nodes */
};
/**
 * Breadth-first walk from `root` up to `depth` hops along edges in `dir` (of type `type`, or
 * -1 for any), visiting at most max_nodes nodes.
 * @return LS_OK, LS_ENOTFOUND (no such root at s).
 * Free with ls_subgraph_cleanup.
 */
LS_MUST_CHECK int ls_snap_subgraph(const struct ls_snap *s,
                                   const char *root,
                                   int depth,
                                   enum ls_direction dir,
                                   int type,
                                   size_t max_nodes,
                                   struct ls_subgraph *out,
                                   struct ls_err *err);
void ls_subgraph_cleanup(struct ls_subgraph *sg);

#endif
