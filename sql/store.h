/* The store: the only code that speaks SQL. It persists change sets (one transaction each,
 * COPY for big ones), loads the graph at start, and answers history questions (the graph as of
 * a time, one entity's history, diffs, the change log) from Postgres.
 *
 * Threads: every function is thread-safe. Writes are serialized (one writer connection);
 * history reads use a small pool of reader connections. A PGconn never leaves sql/. */
#ifndef LS_SQL_STORE_H
#define LS_SQL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/change.h"
#include "model/graph.h"

struct ls_store;

/** How the store talks to Postgres (the --db-* options). Times in seconds; 0 turns a setting
 *  off (write_timeout_s excepted). The DSN's own settings win over these. */
struct ls_store_opts {
    long write_timeout_s;       /* a write waits this long for Postgres, then fails (503) */
    long connect_timeout_s;     /* libpq connect_timeout */
    long statement_timeout_s;   /* Postgres statement_timeout */
    long keepalives_idle_s;     /* TCP keepalives: idle time before the first probe */
    long keepalives_interval_s; /* between probes */
    long keepalives_count;      /* probes lost before the connection is dead */
    long tcp_user_timeout_s;    /* data unacknowledged this long: the connection is dead */
};
/** The defaults of the --db-* options (docs/operations.md explains them). */
void ls_store_opts_defaults(struct ls_store_opts *o);

/**
 * Connects to `dsn` (libpq conninfo or URI), becomes the database's only writer (a session
 * advisory lock held by the writer connection), applies pending migrations (sql/NNN_*.sql,
 * each in a transaction, recorded in schema_version) and returns the store.
 * @return LS_OK; LS_EUNAVAIL (cannot connect), LS_ECONFLICT (another process is the writer:
 *         the message says which backend holds the lock), LS_EINVAL (a DSN libpq cannot
 *         parse), LS_ERR (a migration failed). Caller frees with ls_store_close.
 */
LS_MUST_CHECK int ls_store_open_opts(struct ls_store **out,
                                     const char *dsn,
                                     const struct ls_store_opts *o,
                                     struct ls_err *err);
/** ls_store_open_opts with ls_store_opts_defaults. */
LS_MUST_CHECK int ls_store_open(struct ls_store **out, const char *dsn, struct ls_err *err);
/** Waits for what runs after a write's commit (index builds after a bulk load, ANALYZE), then
 *  closes the connections and frees s (NULL is a no-op). */
void ls_store_close(struct ls_store *s);
/**
 * Waits for the work a write left running on the writer after its commit: after a bulk load,
 * the indexes it dropped being built again, and ANALYZE. The write's rows are durable and
 * visible before; history queries made meanwhile are answered, without the indexes' help.
 * The next write waits for it too.
 */
void ls_store_settle(struct ls_store *s);

/** Loads every current node and edge into g (which must be empty) and sets g's revision to
 *  the last committed one. */
LS_MUST_CHECK int ls_store_load(struct ls_store *s, struct ls_graph *g, struct ls_err *err);

/**
 * Applies a change set: ls_graph_prepare, persist the resolved ops and a change-log entry in
 * one transaction, then ls_graph_publish with the change-log revision. If Postgres fails the
 * graph is unchanged (ls_graph_abort). A set that resolves to nothing commits nothing.
 * While Postgres is unreachable the write reconnects and retries until write_timeout_s has
 * passed (a watchdog cuts a connection that stops answering), then fails with LS_EUNAVAIL.
 * A connection lost while COMMIT was in flight is resolved on the next connection (was the
 * change-log row of that revision committed?) before anything is retried: a revision is
 * persisted once.
 * @param[out] out_rev the new revision (or the current one when nothing changed); may be NULL
 * @return LS_OK or the error of prepare / Postgres (LS_EUNAVAIL when unreachable).
 */
LS_MUST_CHECK int ls_store_apply(struct ls_store *s,
                                 struct ls_graph *g,
                                 const struct ls_change_set *cs,
                                 uint64_t *out_rev,
                                 struct ls_err *err);

/** Like ls_store_apply; *out_ops (may be NULL) = the operations the set resolved to (0 when
 *  it changed nothing; set before persisting, so it is also the size of a failed write). */
LS_MUST_CHECK int ls_store_apply_ops(struct ls_store *s,
                                     struct ls_graph *g,
                                     const struct ls_change_set *cs,
                                     uint64_t *out_rev,
                                     size_t *out_ops,
                                     struct ls_err *err);

/** Deletes versions that ended before older_than_us (retention); *out_rows = rows deleted. */
LS_MUST_CHECK int
ls_store_prune(struct ls_store *s, int64_t older_than_us, uint64_t *out_rows, struct ls_err *err);

/* ---- telemetry rollups (model/rollup.h rows; table telemetry_rollup, daily partitions) ---- */

struct ls_rollup_row;
struct ls_rollup;
/**
 * Takes the minutes of r that are closed at now_us, writes them (ls_store_rollups_write) and
 * moves r's watermark past them; when the write fails they go back into r for the next try.
 * *rows (may be NULL) = how many were taken.
 */
LS_MUST_CHECK int ls_store_rollups_flush(
    struct ls_store *s, struct ls_rollup *r, int64_t now_us, size_t *rows, struct ls_err *err);
/** Writes closed minutes once (a row already there is left alone), making the day
 *  partitions they need. One transaction. */
LS_MUST_CHECK int ls_store_rollups_write(struct ls_store *s,
                                         const struct ls_rollup_row *rows,
                                         size_t n,
                                         struct ls_err *err);
/** Drops the day partitions wholly before older_than_us; *dropped = how many. */
LS_MUST_CHECK int
ls_store_rollups_prune(struct ls_store *s, int64_t older_than_us, int *dropped, struct ls_err *err);
/** A node's rollups in [from, to), per metric (prefix match; NULL = all), grouped into
 *  buckets of step_s seconds (at least 60), aligned to the epoch: new object
 *  {"<metric>": {"unit", "points": [[start, mean, min, max, count], ...]}}. */
LS_MUST_CHECK int ls_store_rollups_query(struct ls_store *s,
                                         const char *node_id,
                                         const char *metric_prefix,
                                         int64_t from_us,
                                         int64_t to_us,
                                         long step_s,
                                         json_t **out,
                                         struct ls_err *err);

/** Checks Postgres answers and the schema is current (for /readyz). */
LS_MUST_CHECK int ls_store_ping(struct ls_store *s, struct ls_err *err);
/** Schema version applied. */
int ls_store_schema_version(struct ls_store *s);
/** Mean and count of write-transaction durations so far (for /metrics). */
void ls_store_write_stats(struct ls_store *s, uint64_t *count, double *total_seconds);

/* ---- history (JSON results use the same shapes as ls_node_to_json / ls_edge_to_json) ---- */

/** The node version alive at `at` (µs). New reference in *out. LS_ENOTFOUND if none. */
LS_MUST_CHECK int
ls_store_node_at(struct ls_store *s, const char *id, int64_t at, json_t **out, struct ls_err *err);
/** Nodes alive at `at` matching f, ordered by id, after id `after` (NULL = start), at most
 *  limit; *more when more follow. *out is a new JSON array. */
LS_MUST_CHECK int ls_store_nodes_at(struct ls_store *s,
                                    const struct ls_node_filter *f,
                                    int64_t at,
                                    const char *after,
                                    size_t limit,
                                    json_t **out,
                                    bool *more,
                                    struct ls_err *err);
/**
 * The edges alive at `at` out of the nodes of the JSON array `nodes` (a page from
 * ls_store_nodes_at) whose other end is alive at `at` and matches f: a page of the graph as
 * of a time. Ordered by key, at most limit; *more when more follow. *out is a new JSON array.
 */
LS_MUST_CHECK int ls_store_out_edges_at(struct ls_store *s,
                                        json_t *nodes,
                                        const struct ls_node_filter *f,
                                        int64_t at,
                                        size_t limit,
                                        json_t **out,
                                        bool *more,
                                        struct ls_err *err);
/** Edges alive at `at` matching f, ordered by key, like ls_store_nodes_at. */
LS_MUST_CHECK int ls_store_edges_at(struct ls_store *s,
                                    const struct ls_edge_filter *f,
                                    int64_t at,
                                    const char *after,
                                    size_t limit,
                                    json_t **out,
                                    bool *more,
                                    struct ls_err *err);
/** Subgraph around root as of `at` (recursive CTE), same semantics as ls_snap_subgraph.
 *  *out_nodes and *out_edges are new JSON arrays. */
LS_MUST_CHECK int ls_store_subgraph_at(struct ls_store *s,
                                       const char *root,
                                       int depth,
                                       enum ls_direction dir,
                                       int type,
                                       size_t max_nodes,
                                       int64_t at,
                                       json_t **out_nodes,
                                       json_t **out_edges,
                                       bool *truncated,
                                       struct ls_err *err);
/** Every version of a node, oldest first, each with valid_from / valid_to (null while
 *  current) and revision; plus the versions of its edges when with_edges. LS_ENOTFOUND when
 *  the node never existed. */
LS_MUST_CHECK int ls_store_node_history(
    struct ls_store *s, const char *id, size_t limit, json_t **out, struct ls_err *err);
/** What changed between from and to (µs): {"added":[nodes], "removed":[nodes],
 *  "changed":[{"before":…, "after":…}], "edges_added":[…], "edges_removed":[…]}. */
LS_MUST_CHECK int ls_store_diff(
    struct ls_store *s, int64_t from, int64_t to, size_t limit, json_t **out, struct ls_err *err);
/** Change-log entries with revision > since, oldest first, at most limit:
 *  [{"revision", "time", "origin", "ops":[{"op":"put|delete","kind":"node|edge","id",…}]}]. */
LS_MUST_CHECK int ls_store_changes_since(
    struct ls_store *s, uint64_t since, size_t limit, json_t **out, struct ls_err *err);

/** A position in the change log, between two operations: revision, the operation's rank in
 *  it (0 node puts, 1 edge puts, 2 edge deletions, 3 node deletions, 4 past all) and its key.
 *  {since, 4, NULL} is "after revision since". Clean up with ls_change_cursor_cleanup. */
struct ls_change_cursor {
    uint64_t revision;
    int rank;
    char *key; /* owned; NULL = "" */
};
void ls_change_cursor_cleanup(struct ls_change_cursor *c);
/**
 * One page of the change log's operations after the cursor, oldest first, at most limit:
 * [{"revision","time","op","kind","id","type","layer"}], so that replaying the log never
 * holds more than a page in memory however big one revision is. Move the cursor past each
 * operation consumed with ls_change_cursor_advance. When the page was not full (*more false),
 * it held every operation up to revision *end (the highest one looked at; a page looks at
 * most at `limit` revisions): the cursor may then move to {*end, 4}; *log_end says the log
 * had no revision after *end when the page was read. *out is a new JSON array.
 * @return LS_OK, LS_EUNAVAIL / LS_ERR from Postgres.
 */
LS_MUST_CHECK int ls_store_change_ops(struct ls_store *s,
                                      const struct ls_change_cursor *cur,
                                      size_t limit,
                                      json_t **out,
                                      bool *more,
                                      uint64_t *end,
                                      bool *log_end,
                                      struct ls_err *err);
/** Moves the cursor past op (an element of ls_store_change_ops's page). */
void ls_change_cursor_advance(struct ls_change_cursor *c, json_t *op);

#endif
