/* A private Postgres server: initdb + pg_ctl (found with `pg_config --bindir`) on a data
 * directory, listening on a unix socket in that directory only (no TCP). Used by landscaped
 * when no DSN is configured, and by every test that touches storage. When running as root the
 * server runs as the `postgres` system user, which owns the data directory. */
#ifndef LS_SQL_EMBEDDED_H
#define LS_SQL_EMBEDDED_H

#include <stdbool.h>

#include "common/err.h"

struct ls_pg_embedded;

/**
 * Initialises `data_dir` (if it has no cluster yet) and starts the server, waiting until it
 * accepts connections. Reuses a cluster left in data_dir by an earlier run. The server is
 * durable (fsync, synchronous_commit and full_page_writes on) unless fast_unsafe is set.
 * @param data_dir created if missing; the cluster lives in data_dir/pg
 * @param fast_unsafe fsync, synchronous_commit and full_page_writes off: a power loss or an
 *        OS crash can lose acknowledged writes or corrupt the cluster. Tests and benchmarks only
 *        (`--pg-fast-unsafe`).
 * @param[out] out handle; stop with ls_pg_embedded_stop
 * @return LS_OK; LS_EUNAVAIL with a one-line message naming the package to install when
 *         Postgres binaries are missing; LS_ERR when initdb/pg_ctl fail (their log path named).
 */
LS_MUST_CHECK int ls_pg_embedded_start(struct ls_pg_embedded **out,
                                       const char *data_dir,
                                       bool fast_unsafe,
                                       struct ls_err *err);
/** libpq conninfo for the running server (borrowed, valid until stop). */
const char *ls_pg_embedded_dsn(const struct ls_pg_embedded *pg);
/** Creates database `name` (optionally TEMPLATE `tmpl`) in the server: tests use one per case. */
LS_MUST_CHECK int ls_pg_embedded_create_db(struct ls_pg_embedded *pg,
                                           const char *name,
                                           const char *tmpl,
                                           char **out_dsn,
                                           struct ls_err *err);
/** Stops the server (fast shutdown) and frees the handle; NULL is a no-op. When `remove` is
 *  true the data directory is deleted (tests). */
void ls_pg_embedded_stop(struct ls_pg_embedded *pg, bool remove);

#endif
