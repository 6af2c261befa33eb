/* The store: persists resolved change sets (COPY), loads the graph, and keeps the connections.
 * History queries live in history.c. Persist first, then publish: the graph never shows what
 * Postgres does not have. */
#include "sql/store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/handoff.h"
#include "common/log.h"
#include "common/time.h"
#include "sql/migrate.h"
#include "sql/pg.h"
#include "sql/store_impl.h"

/* ---- connections ------------------------------------------------------------------------- */

/* Prepares a fresh writer connection: temp tables for the versions a change closes. Where
 * Postgres has it (14+), a backend whose client went away (killed) stops within a second even
 * in a long statement, and releases the writer lock with it. */
static int writer_setup(PGconn *c, struct ls_err *err)
{
    struct ls_err soft;
    if (ls_pg_exec(c, NULL, "SET client_connection_check_interval = 1000", 0, NULL, &soft) != LS_OK)
        ls_log(LS_LOG_DEBUG, "sql", "client_connection_check_interval not set", "err=\"%s\"",
               soft.msg);
    int rc = ls_pg_exec(c, NULL,
                        "CREATE TEMP TABLE IF NOT EXISTS node_closing (id text, t timestamptz) "
                        "ON COMMIT DELETE ROWS",
                        0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL,
                        "CREATE TEMP TABLE IF NOT EXISTS edge_closing (src text, type text, "
                        "dst text, t timestamptz) ON COMMIT DELETE ROWS",
                        0, NULL, err);
    return rc;
}

/* Builds every index a bulk load left in pending_index, removing each row with its index.
 * Each build is a subtransaction: one that fails (say, no disk left) stays listed, with a
 * warning, and is tried again at the next bulk load or open; the others are built. An index
 * that exists already is not built twice. */
#define BUILD_PENDING_INDEXES                                                                      \
    "DO $$ DECLARE r record; BEGIN "                                                               \
    "FOR r IN SELECT def FROM pending_index ORDER BY def LOOP BEGIN "                              \
    "EXECUTE r.def; DELETE FROM pending_index WHERE def = r.def; "                                 \
    "EXCEPTION WHEN duplicate_table THEN DELETE FROM pending_index WHERE def = r.def; "            \
    "WHEN OTHERS THEN RAISE WARNING 'landscape: index build failed, left pending: %: %', "         \
    "r.def, SQLERRM; END; END LOOP; END $$"

/* Work a write leaves running after its commit (a bulk load's index builds, ANALYZE) is sent
 * without waiting: whatever uses the writer next collects its result first (under wlock). */
static void writer_send(struct ls_store *s, const char *sql, const char *what)
{
    s->w_pending = PQsendQuery(s->w, sql) == 1;
    if (!s->w_pending) /* pending_index keeps what was not built: the next open builds it */
        ls_log(LS_LOG_WARN, "sql", "work after a commit not started", "what=\"%s\" err=\"%s\"",
               what, PQerrorMessage(s->w));
    s->w_pending_what = what;
    s->w_pending_since = ls_time_mono_ns();
}

static void writer_settle(struct ls_store *s)
{
    if (!s->w_pending)
        return;
    PGresult *r;
    bool ok = true;
    while ((r = PQgetResult(s->w)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            ok = false;
            ls_log(LS_LOG_WARN, "sql", "work after a commit failed", "what=\"%s\" err=\"%s\"",
                   s->w_pending_what, PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    if (ok && ls_log_enabled(LS_LOG_DEBUG, "sql"))
        ls_log(LS_LOG_DEBUG, "sql", "work after a commit done", "what=\"%s\" seconds=%.3f",
               s->w_pending_what, (double)(ls_time_mono_ns() - s->w_pending_since) / 1e9);
    s->w_pending = false;
}

void ls_store_settle(struct ls_store *s)
{
    pthread_mutex_lock(&s->wlock);
    writer_settle(s);
    pthread_mutex_unlock(&s->wlock);
}

/* Indexes a bulk load dropped and did not get to build (the process stopped first). */
static int build_left_pending(struct ls_store *s, struct ls_err *err)
{
    PGresult *r = NULL;
    int rc = ls_pg_exec(s->w, &r, "SELECT count(*) FROM pending_index", 0, NULL, err);
    long long n = rc == LS_OK ? ls_pg_int(r, 0, 0) : 0;
    PQclear(r);
    if (rc != LS_OK || n == 0)
        return rc;
    ls_log(LS_LOG_INFO, "sql", "building indexes an earlier bulk load left pending", "count=%lld",
           n);
    struct ls_err soft; /* the indexes speed queries up; without them the store still works */
    if (ls_pg_exec(s->w, NULL, BUILD_PENDING_INDEXES, 0, NULL, &soft) != LS_OK)
        ls_log(LS_LOG_WARN, "sql", "indexes left pending", "err=\"%s\"", soft.msg);
    return LS_OK;
}

/* The session advisory lock that makes one process the database's writer (7468001 guards
 * migrations). Held by the writer connection: it ends with that connection (a crash, a kill -9). */
#define WRITER_LOCK         "7468002"
#define WRITER_LOCK_WAIT_MS 5000

/* Takes the writer lock on c, trying for wait_ms (a writer that was just stopped or killed
 * may still be ending its backend), or says who holds it (LS_ECONFLICT, one line). */
static int writer_lock(PGconn *c, int wait_ms, struct ls_err *err)
{
    PGresult *r = NULL;
    int rc = LS_OK;
    for (int waited = 0;; waited += 100) {
        rc = ls_pg_exec(c, &r, "SELECT pg_try_advisory_lock(" WRITER_LOCK ")", 0, NULL, err);
        bool got = rc == LS_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        PQclear(r);
        r = NULL;
        if (rc != LS_OK || got)
            return rc;
        if (waited >= wait_ms)
            break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct ls_err soft;
    char who[200] = "";
    if (ls_pg_exec(c, &r,
                   "SELECT a.pid, coalesce(host(a.client_addr), ''), a.application_name "
                   "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                   "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                   "AND l.objid = " WRITER_LOCK " AND l.objsubid = 1 AND l.database = "
                   "(SELECT oid FROM pg_database WHERE datname = current_database())",
                   0, NULL, &soft) == LS_OK &&
        PQntuples(r) == 1)
        snprintf(who, sizeof(who), " (postgres backend pid %s%s%s, application_name '%s')",
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)[0] ? " from " : "", PQgetvalue(r, 0, 1),
                 PQgetvalue(r, 0, 2));
    PQclear(r);
    return ls_err_set(err, LS_ECONFLICT, "writer_lock_held",
                      "another landscaped is the writer on this database%s: stop it, or give "
                      "this one another database",
                      who);
}

/* Ends the backend of the writer connection that was lost, and waits for it (up to 10 s):
 * its transaction is then committed or rolled back for good, and its writer lock released. */
static void end_old_writer(struct ls_store *s, PGconn *c)
{
    if (s->w_pid == 0)
        return;
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", s->w_pid);
    const char *params[] = {pid};
    struct ls_err soft;
    PGresult *r = NULL;
    if (ls_pg_exec(c, &r,
                   "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                   "WHERE pid = $1 AND pid <> pg_backend_pid()",
                   1, params, &soft) != LS_OK)
        ls_log(LS_LOG_WARN, "sql", "cannot end the lost writer connection's backend",
               "pid=%s err=\"%s\"", pid, soft.msg);
    else if (PQntuples(r) == 1)
        ls_log(LS_LOG_INFO, "sql", "ended the lost writer connection's backend", "pid=%s", pid);
    PQclear(r);
    s->w_pid = 0;
}

/* A new writer connection: the lost one's backend ended, the writer lock, the temp tables. */
static int writer_connect(struct ls_store *s, struct ls_err *err)
{
    PQfinish(s->w);
    s->w = NULL;
    s->w_pending = false;
    int rc = ls_pg_connect(&s->w, s->dsn, err);
    if (rc != LS_OK)
        return rc;
    end_old_writer(s, s->w);
    rc = writer_lock(s->w, 0, err);
    if (rc == LS_OK)
        rc = writer_setup(s->w, err);
    if (rc == LS_OK)
        s->w_pid = PQbackendPID(s->w);
    return rc;
}

void ls_store_opts_defaults(struct ls_store_opts *o)
{
    *o = (struct ls_store_opts){
        .write_timeout_s = 30,
        .connect_timeout_s = 5,
        .statement_timeout_s = 30,
        .keepalives_idle_s = 10,
        .keepalives_interval_s = 5,
        .keepalives_count = 3,
        .tcp_user_timeout_s = 20,
    };
}

int ls_store_open(struct ls_store **out, const char *dsn, struct ls_err *err)
{
    struct ls_store_opts o;
    ls_store_opts_defaults(&o);
    return ls_store_open_opts(out, dsn, &o, err);
}

int ls_store_open_opts(struct ls_store **out,
                       const char *dsn,
                       const struct ls_store_opts *o,
                       struct ls_err *err)
{
    const struct ls_pg_conn_opts co = {
        .connect_timeout_s = o->connect_timeout_s,
        .keepalives_idle_s = o->keepalives_idle_s,
        .keepalives_interval_s = o->keepalives_interval_s,
        .keepalives_count = o->keepalives_count,
        .tcp_user_timeout_ms = o->tcp_user_timeout_s * 1000,
        .statement_timeout_ms = o->statement_timeout_s * 1000,
        .application_name = "landscaped",
    };
    char *conninfo;
    int rc = ls_pg_conninfo(&conninfo, dsn, &co, err);
    if (rc != LS_OK)
        return rc;
    struct ls_store *s = ls_xcalloc(1, sizeof(*s));
    s->dsn = conninfo;
    s->write_timeout_us = o->write_timeout_s * 1000000LL;
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_cond_init(&s->rcond, NULL);
    pthread_mutex_init(&s->stat_lock, NULL);
    pthread_mutex_init(&s->rollup_lock, NULL);
    s->wd = ls_pg_watchdog_new();
    rc = ls_pg_connect(&s->w, s->dsn, err);
    if (rc == LS_OK) /* before migrating: a second writer changes nothing */
        rc = writer_lock(s->w, WRITER_LOCK_WAIT_MS, err);
    /* migrations and the index builds below may take longer than a statement may */
    if (rc == LS_OK)
        rc = ls_pg_exec(s->w, NULL, "SET statement_timeout = 0", 0, NULL, err);
    if (rc == LS_OK)
        rc = ls_migrate(s->w, &s->schema, err);
    if (rc == LS_OK)
        rc = writer_setup(s->w, err);
    if (rc == LS_OK)
        rc = build_left_pending(s, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(s->w, NULL, "RESET statement_timeout", 0, NULL, err);
    if (rc != LS_OK) {
        ls_store_close(s);
        return rc;
    }
    s->w_pid = PQbackendPID(s->w);
    *out = s;
    return LS_OK;
}

void ls_store_close(struct ls_store *s)
{
    if (s == NULL)
        return;
    writer_settle(s);
    ls_pg_watchdog_free(s->wd);
    if (!ls_pg_broken(s->w)) /* the next writer need not wait for this backend to end */
        PQclear(PQexec(s->w, "SELECT pg_advisory_unlock_all()"));
    PQfinish(s->w);
    free(s->unresolved.origin);
    for (int i = 0; i < LS_STORE_READERS; i++)
        PQfinish(s->readers[i]);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->rlock);
    pthread_cond_destroy(&s->rcond);
    pthread_mutex_destroy(&s->stat_lock);
    PQfinish(s->rollup_w);
    pthread_mutex_destroy(&s->rollup_lock);
    free(s->dsn);
    free(s);
}

int store_reader_get(struct ls_store *s, int *slot, struct ls_err *err)
{
    pthread_mutex_lock(&s->rlock);
    int i;
    for (;;) {
        for (i = 0; i < LS_STORE_READERS; i++)
            if (!s->busy[i])
                break;
        if (i < LS_STORE_READERS)
            break;
        pthread_cond_wait(&s->rcond, &s->rlock);
    }
    s->busy[i] = true;
    pthread_mutex_unlock(&s->rlock);
    if (ls_pg_broken(s->readers[i])) {
        PQfinish(s->readers[i]);
        s->readers[i] = NULL;
        int rc = ls_pg_connect(&s->readers[i], s->dsn, err);
        if (rc != LS_OK) {
            store_reader_put(s, i);
            return rc;
        }
    }
    *slot = i;
    return LS_OK;
}

void store_reader_put(struct ls_store *s, int slot)
{
    pthread_mutex_lock(&s->rlock);
    s->busy[slot] = false;
    pthread_cond_signal(&s->rcond);
    pthread_mutex_unlock(&s->rlock);
}

/* The store's state once a write reported as failed turned out committed (s->stale). */
static int restart_required(struct ls_err *err)
{
    return ls_err_set(err, LS_EUNAVAIL, "restart_required",
                      "a write reported as failed was committed after all: restart landscaped "
                      "to load it");
}

int ls_store_ping(struct ls_store *s, struct ls_err *err)
{
    if (atomic_load(&s->stale))
        return restart_required(err);
    int slot;
    int rc = store_reader_get(s, &slot, err);
    if (rc != LS_OK)
        return rc;
    PGresult *r = NULL;
    rc = ls_pg_exec(s->readers[slot], &r, "SELECT coalesce(max(version), 0) FROM schema_version", 0,
                    NULL, err);
    if (rc == LS_OK && ls_pg_int(r, 0, 0) < ls_migrations[ls_migrations_count - 1].version)
        rc = ls_err_set(err, LS_EUNAVAIL, "schema_outdated", "schema version %lld, expected %d",
                        ls_pg_int(r, 0, 0), ls_migrations[ls_migrations_count - 1].version);
    PQclear(r);
    store_reader_put(s, slot);
    return rc;
}

int ls_store_schema_version(struct ls_store *s)
{
    return s->schema;
}

void ls_store_write_stats(struct ls_store *s, uint64_t *count, double *total_seconds)
{
    pthread_mutex_lock(&s->stat_lock);
    *count = s->writes;
    *total_seconds = s->write_seconds;
    pthread_mutex_unlock(&s->stat_lock);
}

/* ---- persisting ----------------------------------------------------------------------------- */

/* COPY text field helpers: each appends a value and the separator that follows it. */
static int put_str(struct ls_buf *b, const char *v, char sep)
{
    if (ls_pg_copy_str(b, v) != LS_OK)
        return LS_ELIMIT;
    return ls_buf_append(b, &sep, 1);
}

static int put_time(struct ls_buf *b, struct ls_pg_time_cache *tc, int64_t t, char sep)
{
    int rc = ls_pg_copy_time(b, tc, t);
    return rc ? rc : ls_buf_append(b, &sep, 1);
}

/* The rows of the versions a change set closes (the temp tables node_closing, edge_closing). */
static void
build_closing(struct ls_buf *nodes, struct ls_buf *edges, const struct ls_op *ops, size_t n)
{
    struct ls_pg_time_cache tc = {0};
    int rc = LS_OK;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        const struct ls_op *op = &ops[i];
        if (op->node && (op->kind == LS_OP_NODE_DEL || !op->created)) {
            rc = put_str(nodes, op->node->id, '\t');
            rc = rc ? rc : put_time(nodes, &tc, op->time_us, '\n');
        }
        if (op->edge && (op->kind == LS_OP_EDGE_DEL || !op->created)) {
            const struct ls_edge *e = op->edge;
            rc = rc ? rc : put_str(edges, e->src, '\t');
            rc = rc ? rc : put_str(edges, ls_edge_type_name(e->type), '\t');
            rc = rc ? rc : put_str(edges, e->dst, '\t');
            rc = rc ? rc : put_time(edges, &tc, op->time_us, '\n');
        }
    }
    LS_ASSERT(rc == LS_OK); /* unbounded buffers fail only by aborting on OOM */
}

/* One node_version or edge_version row of a put (COPY binary, PUT_FIELDS fields; the
 * version is open, so valid_to and rev_to are left to their NULL default). */
#define PUT_FIELDS 10
static int put_row(struct ls_buf *o, const struct ls_op *op, uint64_t rev)
{
    const struct ls_node *nd = op->node;
    const struct ls_edge *e = op->edge;
    int rc = ls_pg_bin_row(o, PUT_FIELDS);
    if (op->kind == LS_OP_NODE_PUT) {
        rc = rc ? rc : ls_pg_bin_text(o, nd->id);
        rc = rc ? rc : ls_pg_bin_text(o, ls_layer_name(nd->layer));
        rc = rc ? rc : ls_pg_bin_text(o, nd->type);
        rc = rc ? rc : ls_pg_bin_text(o, nd->name);
        rc = rc ? rc : ls_pg_bin_text(o, nd->state);
        rc = rc ? rc : ls_pg_bin_json(o, nd->attrs);
        rc = rc ? rc : ls_pg_bin_text(o, nd->source);
        rc = rc ? rc : ls_pg_bin_time(o, nd->created_at);
    } else {
        rc = rc ? rc : ls_pg_bin_text(o, e->src);
        rc = rc ? rc : ls_pg_bin_text(o, ls_edge_type_name(e->type));
        rc = rc ? rc : ls_pg_bin_text(o, e->dst);
        rc = rc ? rc : ls_pg_bin_json(o, e->attrs);
        rc = rc ? rc : ls_pg_bin_text(o, ls_edge_source_name(e->esource));
        rc = rc ? rc : ls_pg_bin_text(o, e->owner);
        rc = rc ? rc : ls_pg_bin_float8(o, e->weight);
        rc = rc ? rc : ls_pg_bin_time(o, e->created_at);
    }
    rc = rc ? rc : ls_pg_bin_time(o, op->time_us);
    return rc ? rc : ls_pg_bin_int8(o, (int64_t)rev);
}

/* Streams the rows of one kind of put (LS_OP_NODE_PUT or LS_OP_EDGE_PUT) into a COPY, built
 * while Postgres parses the chunk before. */
static int copy_puts(PGconn *c,
                     const char *sql,
                     enum ls_op_kind kind,
                     const struct ls_op *ops,
                     size_t n,
                     uint64_t rev,
                     struct ls_err *err)
{
    struct ls_pg_copy_stream cs;
    int rc = ls_pg_copy_stream_begin(&cs, c, sql, err);
    if (rc == LS_OK)
        rc = ls_pg_bin_begin(&cs.buf);
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        if (ops[i].kind != kind)
            continue;
        rc = put_row(&cs.buf, &ops[i], rev);
        if (rc != LS_OK) /* only a field over 2 GB (unbounded buffer: OOM aborts) */
            rc = ls_err_set(err, LS_ELIMIT, "row_too_large", "a %s row is over 2 GB",
                            kind == LS_OP_NODE_PUT ? "node" : "edge");
        else
            rc = ls_pg_copy_stream_flush(&cs);
    }
    if (rc == LS_OK)
        rc = ls_pg_bin_end(&cs.buf);
    int end = ls_pg_copy_stream_end(&cs);
    return rc ? rc : end;
}

#define BULK_ROWS 100000 /* a load this big into a table less than half its size: bulk */

/* A bulk load into a nearly empty table (the first import of a large cloud) drops the table's
 * own indexes; bulk_end lists them to be built again after the commit: one sort per index
 * instead of a B-tree descent per row. Partial indexes stay: they hold closed versions
 * only (valid_to, rev_to set), which a load's new rows are not, so keeping them costs a
 * predicate per row where a rebuild would scan the table. Readers of the table wait for the commit;
 * a lock not had within a second leaves the indexes alone. *defs gets the CREATE statements to
 * replay (NULL: not bulk, or the indexes are kept); the caller frees them with bulk_end. */
static int bulk_begin(PGconn *c, const char *table, size_t puts, char ***defs, struct ls_err *err)
{
    *defs = NULL;
    if (puts < BULK_ROWS)
        return LS_OK;
    char q[200], lim[32];
    snprintf(lim, sizeof(lim), "%zu", puts / 2);
    snprintf(q, sizeof(q), "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT $1) x", table);
    const char *params[] = {lim}, *tparam[] = {table};
    PGresult *r = NULL;
    int rc = ls_pg_exec(c, &r, q, 1, params, err);
    bool small = rc == LS_OK && (size_t)ls_pg_int(r, 0, 0) < puts / 2;
    PQclear(r);
    r = NULL;
    if (!small)
        return rc;
    rc = ls_pg_exec(c, NULL, "SAVEPOINT bulk", 0, NULL, err);
    if (rc != LS_OK)
        return rc;
    struct ls_err soft;
    ls_err_clear(&soft);
    snprintf(q, sizeof(q), "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", table);
    int lrc = ls_pg_exec(c, NULL, "SET LOCAL lock_timeout = '1s'", 0, NULL, &soft);
    lrc = lrc ? lrc : ls_pg_exec(c, NULL, q, 0, NULL, &soft);
    lrc = lrc ? lrc
              : ls_pg_exec(c, &r,
                           "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                           "JOIN pg_class i ON i.oid = x.indexrelid "
                           "WHERE x.indrelid = $1::regclass AND x.indpred IS NULL AND NOT EXISTS "
                           "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
                           1, tparam, &soft);
    char **d = NULL;
    if (lrc == LS_OK) {
        int n = PQntuples(r);
        d = ls_xcalloc((size_t)n + 1, sizeof(*d));
        for (int i = 0; i < n && lrc == LS_OK; i++) {
            char *name = PQescapeIdentifier(c, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
            char drop[300];
            snprintf(drop, sizeof(drop), "DROP INDEX %s", name ? name : "\"\"");
            PQfreemem(name);
            d[i] = ls_xstrdup(PQgetvalue(r, i, 1));
            lrc = ls_pg_exec(c, NULL, drop, 0, NULL, &soft);
        }
    }
    PQclear(r);
    r = NULL;
    /* Into an empty table (a first import): TRUNCATE gives it a file of this transaction, and
     * with wal_level=minimal (the embedded server) Postgres then writes the rows without WAL. */
    snprintf(q, sizeof(q), "SELECT NOT EXISTS (SELECT 1 FROM %s)", table);
    lrc = lrc ? lrc : ls_pg_exec(c, &r, q, 0, NULL, &soft);
    bool empty = lrc == LS_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    snprintf(q, sizeof(q), "TRUNCATE %s", table);
    if (lrc == LS_OK && empty)
        lrc = ls_pg_exec(c, NULL, q, 0, NULL, &soft);
    lrc = lrc ? lrc : ls_pg_exec(c, NULL, "RESET lock_timeout", 0, NULL, &soft);
    if (lrc == LS_OK) {
        *defs = d;
        return LS_OK;
    }
    /* no lock within the timeout (a long reader) or no right to drop: an ordinary load */
    ls_log(LS_LOG_INFO, "sql", "bulk load keeps the indexes", "table=%s err=\"%s\"", table,
           soft.msg);
    for (size_t i = 0; d && d[i]; i++)
        free(d[i]);
    free(d);
    return ls_pg_exec(c, NULL, "ROLLBACK TO SAVEPOINT bulk", 0, NULL, err);
}

/* Leaves the indexes bulk_begin dropped to be built after the commit (pending_index) and
 * frees defs; *any: some were. */
static int bulk_end(PGconn *c, char **defs, bool *any, struct ls_err *err)
{
    int rc = LS_OK;
    for (size_t i = 0; defs && defs[i]; i++) {
        const char *params[] = {defs[i]};
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL,
                            "INSERT INTO pending_index (def) VALUES ($1) ON CONFLICT DO NOTHING", 1,
                            params, err);
        *any = true;
        free(defs[i]);
    }
    free(defs);
    return rc;
}

static void set_unresolved(
    struct ls_store *s, uint64_t rev, const char *time, const char *origin, const char *n_ops)
{
    free(s->unresolved.origin);
    s->unresolved.on = true;
    s->unresolved.rev = rev;
    snprintf(s->unresolved.time, sizeof(s->unresolved.time), "%s", time);
    s->unresolved.origin = ls_xstrdup(origin);
    snprintf(s->unresolved.n_ops, sizeof(s->unresolved.n_ops), "%s", n_ops);
}

/* On a new writer connection (the lost one's backend ended, so its transaction is over):
 * whether the COMMIT in s->unresolved took effect. Clears s->unresolved once known. */
static int resolve_commit(struct ls_store *s, bool *committed, struct ls_err *err)
{
    char rev[32];
    snprintf(rev, sizeof(rev), "%llu", (unsigned long long)s->unresolved.rev);
    const char *params[] = {rev, s->unresolved.time, s->unresolved.origin, s->unresolved.n_ops};
    PGresult *r = NULL;
    int rc = ls_pg_exec(s->w, &r,
                        "SELECT 1 FROM change_log WHERE revision = $1 AND event_time = $2 "
                        "AND origin = $3 AND n_ops = $4",
                        4, params, err);
    if (rc == LS_OK) {
        *committed = PQntuples(r) == 1;
        s->unresolved.on = false;
        ls_log(LS_LOG_WARN, "sql", "connection lost during COMMIT, outcome resolved",
               "revision=%s committed=%s", rev, *committed ? "yes" : "no");
    }
    PQclear(r);
    return rc;
}

/* One transaction: close replaced versions, insert new ones, log the change. When the
 * connection is lost with COMMIT sent (its outcome unknown), s->unresolved names the
 * change-log row that tells. */
static int persist(struct ls_store *s,
                   const struct ls_prepared *p,
                   const char *origin,
                   uint64_t min_rev,
                   uint64_t *out_rev,
                   struct ls_err *err)
{
    size_t n, node_puts = 0, edge_puts = 0;
    const struct ls_op *ops = ls_prepared_ops(p, &n);
    for (size_t i = 0; i < n; i++) {
        node_puts += ops[i].kind == LS_OP_NODE_PUT;
        edge_puts += ops[i].kind == LS_OP_EDGE_PUT;
    }
    PGconn *c = s->w;
    PGresult *r = NULL;
    int rc = ls_pg_exec(c, NULL, "BEGIN", 0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, &r, "SELECT coalesce(max(revision), 0) + 1 FROM change_log", 0, NULL,
                        err);
    uint64_t rev = 0;
    if (rc == LS_OK) {
        rev = (uint64_t)ls_pg_int(r, 0, 0);
        if (rev < min_rev)
            rev = min_rev;
    }
    PQclear(r);
    char revs[32], ts[40], count[32];
    snprintf(revs, sizeof(revs), "%llu", (unsigned long long)rev);
    snprintf(count, sizeof(count), "%zu", n);
    ls_time_format_rfc3339(ls_prepared_time(p), ts, sizeof(ts));
    const char *rev_param[] = {revs};
    struct ls_buf node_close, edge_close;
    ls_buf_init(&node_close, 0);
    ls_buf_init(&edge_close, 0);
    if (rc == LS_OK)
        build_closing(&node_close, &edge_close, ops, n);
    if (rc == LS_OK && node_close.len) {
        rc = ls_pg_copy(c, "COPY node_closing (id, t) FROM STDIN", node_close.data, node_close.len,
                        err);
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL,
                            "UPDATE node_version n SET valid_to = c.t, rev_to = $1 "
                            "FROM node_closing c WHERE n.id = c.id AND n.valid_to IS NULL",
                            1, rev_param, err);
    }
    if (rc == LS_OK && edge_close.len) {
        rc = ls_pg_copy(c, "COPY edge_closing (src, type, dst, t) FROM STDIN", edge_close.data,
                        edge_close.len, err);
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL,
                            "UPDATE edge_version e SET valid_to = c.t, rev_to = $1 "
                            "FROM edge_closing c WHERE e.src = c.src AND e.type = c.type "
                            "AND e.dst = c.dst AND e.valid_to IS NULL",
                            1, rev_param, err);
    }
    ls_buf_cleanup(&node_close);
    ls_buf_cleanup(&edge_close);
    char **node_idx = NULL, **edge_idx = NULL;
    long long t[5];
    t[0] = ls_time_mono_ns();
    if (rc == LS_OK)
        rc = bulk_begin(c, "node_version", node_puts, &node_idx, err);
    if (rc == LS_OK)
        rc = bulk_begin(c, "edge_version", edge_puts, &edge_idx, err);
    if (rc == LS_OK && node_puts)
        rc = copy_puts(c,
                       "COPY node_version (id, layer, type, name, state, attrs, source, "
                       "created_at, valid_from, rev_from) FROM STDIN (FORMAT binary)",
                       LS_OP_NODE_PUT, ops, n, rev, err);
    t[1] = ls_time_mono_ns();
    if (rc == LS_OK && edge_puts)
        rc = copy_puts(c,
                       "COPY edge_version (src, type, dst, attrs, esource, owner, weight, "
                       "created_at, valid_from, rev_from) FROM STDIN (FORMAT binary)",
                       LS_OP_EDGE_PUT, ops, n, rev, err);
    t[2] = ls_time_mono_ns();
    bool deferred = false;
    int idx_rc = bulk_end(c, node_idx, &deferred, err);
    rc = rc ? rc : idx_rc;
    idx_rc = bulk_end(c, edge_idx, &deferred, err);
    rc = rc ? rc : idx_rc;
    if (rc == LS_OK) {
        const char *params[] = {revs, ts, origin, count};
        rc = ls_pg_exec(c, NULL,
                        "INSERT INTO change_log (revision, event_time, origin, n_ops) "
                        "VALUES ($1, $2, $3, $4)",
                        4, params, err);
    }
    t[3] = ls_time_mono_ns();
    if (rc == LS_OK) {
        rc = ls_pg_exec(c, NULL, "COMMIT", 0, NULL, err);
        if (rc == LS_EUNAVAIL) /* sent, and the connection went: committed or not? */
            set_unresolved(s, rev, ts, origin, count);
    }
    t[4] = ls_time_mono_ns();
    if (ls_log_enabled(LS_LOG_DEBUG, "sql"))
        ls_log(LS_LOG_DEBUG, "sql", "persisted",
               "rows=%zu nodes_s=%.3f edges_s=%.3f defer_indexes_s=%.3f commit_s=%.3f", n,
               (double)(t[1] - t[0]) / 1e9, (double)(t[2] - t[1]) / 1e9,
               (double)(t[3] - t[2]) / 1e9, (double)(t[4] - t[3]) / 1e9);
    if (rc == LS_OK) {
        r = PQexec(c, "NOTIFY landscape_changes"); /* followers re-read the change log */
        PQclear(r);
        /* a bulk load: its indexes built, and the planner's statistics refreshed now, not by
         * autovacuum later */
        if (deferred)
            writer_send(s,
                        "SET statement_timeout = 0; " BUILD_PENDING_INDEXES
                        "; ANALYZE node_version, edge_version; RESET statement_timeout",
                        "index builds and ANALYZE after a bulk load");
        else if (n > 20000)
            writer_send(s,
                        "SET statement_timeout = 0; ANALYZE node_version, edge_version; "
                        "RESET statement_timeout",
                        "ANALYZE after a bulk load");
    } else if (!ls_pg_broken(c)) {
        r = PQexec(c, "ROLLBACK");
        PQclear(r);
    }
    *out_rev = rev;
    return rc;
}

/* Persists p, reconnecting and retrying while Postgres is unreachable, until deadline
 * (monotonic ns): the watchdog cuts a connection that stops answering at the deadline. A
 * COMMIT whose outcome the lost connection took with it is resolved first on the next one:
 * committed means done (not written twice). */
static int write_attempts(struct ls_store *s,
                          const struct ls_prepared *p,
                          const char *origin,
                          uint64_t next,
                          long long deadline,
                          uint64_t *rev,
                          struct ls_err *err)
{
    if (atomic_load(&s->stale))
        return restart_required(err);
    int rc = LS_OK;
    bool mine = false; /* s->unresolved is this write's COMMIT */
    for (int attempt = 0;; attempt++) {
        if (ls_pg_broken(s->w)) {
            rc = writer_connect(s, err);
            if (rc == LS_ECONFLICT) /* another writer took the lock meanwhile: wait for it */
                rc = LS_EUNAVAIL;
        }
        bool committed = false;
        if (rc == LS_OK && s->unresolved.on) {
            uint64_t urev = s->unresolved.rev;
            rc = resolve_commit(s, &committed, err);
            if (rc == LS_OK && committed && mine) {
                *rev = urev;
                return LS_OK;
            }
            if (rc == LS_OK && committed) { /* an earlier write that failed at its deadline */
                atomic_store(&s->stale, true);
                ls_log(LS_LOG_ERROR, "sql",
                       "a write reported as failed was committed: the graph in memory misses "
                       "it until landscaped restarts",
                       "revision=%llu", (unsigned long long)urev);
                return ls_err_set(err, LS_EUNAVAIL, "restart_required",
                                  "revision %llu, reported as failed, was committed after all: "
                                  "restart landscaped to load it",
                                  (unsigned long long)urev);
            }
        }
        if (rc == LS_OK) {
            ls_pg_watchdog_arm(s->wd, s->w, deadline);
            writer_settle(s);
            rc = persist(s, p, origin, next, rev, err);
            if (ls_pg_watchdog_disarm(s->wd) && rc != LS_OK)
                rc = ls_err_set(err, LS_EUNAVAIL, "db_unavailable",
                                "postgres did not answer within the write timeout (%lld s)",
                                (long long)(s->write_timeout_us / 1000000));
            mine = mine || s->unresolved.on;
        }
        if (rc != LS_EUNAVAIL || ls_time_mono_ns() >= deadline)
            break;
        /* Postgres is away: writes wait and retry (readers keep serving from memory) */
        if (attempt == 0)
            ls_log(LS_LOG_WARN, "sql", "postgres unavailable, retrying write", "err=\"%s\"",
                   err ? err->msg : "");
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        rc = LS_OK;
        PQfinish(s->w);
        s->w = NULL;
    }
    if (rc != LS_OK && s->unresolved.on)
        ls_log(LS_LOG_WARN, "sql", "write failed with its COMMIT outcome unknown",
               "revision=%llu note=\"resolved when postgres is back\"",
               (unsigned long long)s->unresolved.rev);
    return rc;
}

/* From this many operations on, ls_graph_stage runs beside persist (below, on one thread). */
#define STAGE_AHEAD_OPS 5000

struct stage_job {
    struct ls_graph *g;
    struct ls_prepared *p;
};

static void stage_job(void *arg)
{
    struct stage_job *j = arg;
    ls_graph_stage(j->g, j->p);
}

int ls_store_apply(struct ls_store *s,
                   struct ls_graph *g,
                   const struct ls_change_set *cs,
                   uint64_t *out_rev,
                   struct ls_err *err)
{
    return ls_store_apply_ops(s, g, cs, out_rev, NULL, err);
}

int ls_store_apply_ops(struct ls_store *s,
                       struct ls_graph *g,
                       const struct ls_change_set *cs,
                       uint64_t *out_rev,
                       size_t *out_ops,
                       struct ls_err *err)
{
    long long t0 = ls_time_mono_ns();
    if (out_ops)
        *out_ops = 0;
    pthread_mutex_lock(&s->wlock);
    struct ls_prepared *p;
    int rc = ls_graph_prepare(g, cs, ls_time_now_us(), &p, err);
    if (rc != LS_OK) {
        pthread_mutex_unlock(&s->wlock);
        return rc;
    }
    long long t_prepared = ls_time_mono_ns();
    size_t n;
    ls_prepared_ops(p, &n);
    if (out_ops)
        *out_ops = n;
    uint64_t next = ls_graph_next_revision(g);
    if (n == 0) {
        ls_graph_abort(g, p);
        pthread_mutex_unlock(&s->wlock);
        if (out_rev)
            *out_rev = next - 1;
        return LS_OK;
    }
    uint64_t rev = 0;
    long long deadline = ls_time_mono_ns() + s->write_timeout_us * 1000;
    /* a large change: the graph's slots are found or made while Postgres takes the rows */
    struct stage_job sj = {g, p};
    struct ls_handoff *stager = n >= STAGE_AHEAD_OPS ? ls_handoff_start(stage_job, &sj) : NULL;
    if (stager)
        ls_handoff_give(stager);
    rc = write_attempts(s, p, ls_change_set_origin(cs), next, deadline, &rev, err);
    ls_handoff_stop(stager);
    long long t_persisted = ls_time_mono_ns();
    if (rc != LS_OK) {
        ls_graph_abort(g, p);
    } else {
        ls_graph_publish(g, p, rev);
        if (out_rev)
            *out_rev = rev;
    }
    pthread_mutex_unlock(&s->wlock);
    if (ls_log_enabled(LS_LOG_DEBUG, "sql"))
        ls_log(LS_LOG_DEBUG, "sql", "change set applied",
               "origin=%s ops=%zu prepare_s=%.3f persist_s=%.3f publish_s=%.3f",
               ls_change_set_origin(cs), n, (double)(t_prepared - t0) / 1e9,
               (double)(t_persisted - t_prepared) / 1e9,
               (double)(ls_time_mono_ns() - t_persisted) / 1e9);
    pthread_mutex_lock(&s->stat_lock);
    s->writes++;
    s->write_seconds += (double)(ls_time_mono_ns() - t0) / 1e9;
    pthread_mutex_unlock(&s->stat_lock);
    return rc;
}

/* ---- loading -------------------------------------------------------------------------------- */

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"

static json_t *parse_attrs(const char *txt, const char *what, struct ls_err *err)
{
    json_error_t je;
    json_t *v = json_loads(txt, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (v == NULL || !json_is_object(v)) {
        json_decref(v);
        ls_err_set(err, LS_ERR, "corrupt_row", "%s: stored attrs are not an object", what);
    }
    return v;
}

static int load_rows(struct ls_store *s, struct ls_change_set *cs, struct ls_err *err)
{
    PGresult *r = NULL;
    int rc =
        ls_pg_exec(s->w, &r,
                   "SELECT id, type, name, state, attrs::text, source, " US("created_at") ", " US(
                       "valid_from") ", rev_from FROM node_version WHERE valid_to IS NULL "
                                     "ORDER BY created_at, rev_from, id",
                   0, NULL, err);
    for (int i = 0; rc == LS_OK && i < PQntuples(r); i++) {
        const char *id = PQgetvalue(r, i, 0);
        json_t *attrs = parse_attrs(PQgetvalue(r, i, 4), id, err);
        if (attrs == NULL) {
            rc = LS_ERR;
            break;
        }
        rc = ls_change_put_node_new(cs, id, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                                    PQgetvalue(r, i, 3), attrs, PQgetvalue(r, i, 5), err);
        if (rc == LS_OK) {
            struct ls_change *c = ls_change_set_at(cs, ls_change_set_count(cs) - 1);
            c->created_at = ls_pg_int(r, i, 6);
            c->updated_at = ls_pg_int(r, i, 7);
            c->revision = (uint64_t)ls_pg_int(r, i, 8);
        }
    }
    PQclear(r);
    r = NULL;
    if (rc == LS_OK)
        rc = ls_pg_exec(s->w, &r,
                        "SELECT src, type, dst, attrs::text, esource, owner, weight, " US(
                            "created_at") ", " US("valid_from") ", rev_from FROM edge_version "
                                                                "WHERE valid_to IS NULL "
                                                                "ORDER BY created_at, rev_from",
                        0, NULL, err);
    for (int i = 0; rc == LS_OK && i < PQntuples(r); i++) {
        enum ls_edge_type type;
        enum ls_edge_source es;
        if (!ls_edge_type_parse(PQgetvalue(r, i, 1), &type) ||
            !ls_edge_source_parse(PQgetvalue(r, i, 4), &es)) {
            rc = ls_err_set(err, LS_ERR, "corrupt_row", "edge %s: unknown type or source",
                            PQgetvalue(r, i, 0));
            break;
        }
        json_t *attrs = parse_attrs(PQgetvalue(r, i, 3), PQgetvalue(r, i, 0), err);
        if (attrs == NULL) {
            rc = LS_ERR;
            break;
        }
        rc = ls_change_put_edge_new(cs, PQgetvalue(r, i, 0), type, PQgetvalue(r, i, 2), attrs, es,
                                    strtod(PQgetvalue(r, i, 6), NULL), err);
        if (rc == LS_OK) {
            struct ls_change *c = ls_change_set_at(cs, ls_change_set_count(cs) - 1);
            c->created_at = ls_pg_int(r, i, 7);
            c->updated_at = ls_pg_int(r, i, 8);
            c->revision = (uint64_t)ls_pg_int(r, i, 9);
            c->owner = ls_xstrdup(PQgetvalue(r, i, 5));
        }
    }
    PQclear(r);
    return rc;
}

int ls_store_load(struct ls_store *s, struct ls_graph *g, struct ls_err *err)
{
    pthread_mutex_lock(&s->wlock);
    writer_settle(s);
    PGresult *r = NULL;
    struct ls_change_set *cs = ls_change_set_new("store");
    int rc =
        ls_pg_exec(s->w, NULL, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err);
    if (rc == LS_OK)
        rc =
            ls_pg_exec(s->w, &r, "SELECT coalesce(max(revision), 0) FROM change_log", 0, NULL, err);
    uint64_t last = rc == LS_OK ? (uint64_t)ls_pg_int(r, 0, 0) : 0;
    PQclear(r);
    if (rc == LS_OK)
        rc = load_rows(s, cs, err);
    PGresult *end = PQexec(s->w, "COMMIT");
    PQclear(end);
    if (rc == LS_OK && ls_change_set_count(cs) > 0) {
        struct ls_prepared *p;
        rc = ls_graph_prepare(g, cs, ls_time_now_us(), &p, err);
        if (rc == LS_OK)
            ls_graph_publish(g, p, last > 0 ? last : 1);
    }
    if (rc == LS_OK) {
        ls_graph_set_revision(g, last);
        ls_log(LS_LOG_INFO, "sql", "graph loaded", "changes=%zu revision=%llu",
               ls_change_set_count(cs), (unsigned long long)last);
    } else {
        ls_err_wrap(err, "loading the graph");
    }
    ls_change_set_free(cs);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

int ls_store_prune(struct ls_store *s,
                   int64_t older_than_us,
                   uint64_t *out_rows,
                   struct ls_err *err)
{
    char ts[40];
    const char *params[] = {ls_time_format_rfc3339(older_than_us, ts, sizeof(ts))};
    PGresult *a = NULL, *b = NULL;
    pthread_mutex_lock(&s->wlock);
    writer_settle(s);
    int rc = ls_pg_exec(s->w, &a, "DELETE FROM node_version WHERE valid_to < $1", 1, params, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(s->w, &b, "DELETE FROM edge_version WHERE valid_to < $1", 1, params, err);
    pthread_mutex_unlock(&s->wlock);
    if (rc == LS_OK && out_rows)
        *out_rows = strtoull(PQcmdTuples(a), NULL, 10) + strtoull(PQcmdTuples(b), NULL, 10);
    PQclear(a);
    PQclear(b);
    return rc;
}
