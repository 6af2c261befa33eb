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
#include "common/log.h"
#include "common/time.h"
#include "sql/migrate.h"
#include "sql/pg.h"
#include "sql/store_impl.h"

/* ---- connections ------------------------------------------------------------------------- */

/* Prepares a fresh writer connection: temp tables for the versions a change closes. */
static int writer_setup(PGconn *c, struct ls_err *err)
{
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

static int writer_connect(struct ls_store *s, struct ls_err *err)
{
    PQfinish(s->w);
    s->w = NULL;
    int rc = ls_pg_connect(&s->w, s->dsn, err);
    if (rc == LS_OK)
        rc = writer_setup(s->w, err);
    return rc;
}

int ls_store_open(struct ls_store **out, const char *dsn, struct ls_err *err)
{
    struct ls_store *s = ls_xcalloc(1, sizeof(*s));
    s->dsn = ls_xstrdup(dsn);
    s->write_timeout_us = 30 * 1000000LL;
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_cond_init(&s->rcond, NULL);
    pthread_mutex_init(&s->stat_lock, NULL);
    pthread_mutex_init(&s->rollup_lock, NULL);
    int rc = ls_pg_connect(&s->w, dsn, err);
    if (rc == LS_OK)
        rc = ls_migrate(s->w, &s->schema, err);
    if (rc == LS_OK)
        rc = writer_setup(s->w, err);
    if (rc != LS_OK) {
        ls_store_close(s);
        return rc;
    }
    *out = s;
    return LS_OK;
}

void ls_store_close(struct ls_store *s)
{
    if (s == NULL)
        return;
    PQfinish(s->w);
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

int ls_store_ping(struct ls_store *s, struct ls_err *err)
{
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

static int put_time(struct ls_buf *b, int64_t t, char sep)
{
    char ts[40];
    return put_str(b, ls_time_format_rfc3339(t, ts, sizeof(ts)), sep);
}

static int put_json(struct ls_buf *b, json_t *v, char sep)
{
    char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (txt == NULL)
        ls_json_oom();
    int rc = put_str(b, txt, sep);
    free(txt);
    return rc;
}

struct batch {
    struct ls_buf node_close, edge_close, nodes, edges;
};

static void batch_init(struct batch *b)
{
    ls_buf_init(&b->node_close, 0);
    ls_buf_init(&b->edge_close, 0);
    ls_buf_init(&b->nodes, 0);
    ls_buf_init(&b->edges, 0);
}

static void batch_cleanup(struct batch *b)
{
    ls_buf_cleanup(&b->node_close);
    ls_buf_cleanup(&b->edge_close);
    ls_buf_cleanup(&b->nodes);
    ls_buf_cleanup(&b->edges);
}

/* Fills the COPY buffers from the resolved operations. Unbounded buffers: only OOM fails. */
static void build_batch(struct batch *b, const struct ls_op *ops, size_t n, uint64_t rev)
{
    char r[32];
    snprintf(r, sizeof(r), "%llu", (unsigned long long)rev);
    int rc = LS_OK;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        const struct ls_op *op = &ops[i];
        const struct ls_node *nd = op->node;
        const struct ls_edge *e = op->edge;
        if (nd && (op->kind == LS_OP_NODE_DEL || !op->created)) {
            rc = put_str(&b->node_close, nd->id, '\t');
            rc = rc ? rc : put_time(&b->node_close, op->time_us, '\n');
        }
        if (e && (op->kind == LS_OP_EDGE_DEL || !op->created)) {
            rc = put_str(&b->edge_close, e->src, '\t');
            rc = rc ? rc : put_str(&b->edge_close, ls_edge_type_name(e->type), '\t');
            rc = rc ? rc : put_str(&b->edge_close, e->dst, '\t');
            rc = rc ? rc : put_time(&b->edge_close, op->time_us, '\n');
        }
        if (op->kind == LS_OP_NODE_PUT) {
            struct ls_buf *o = &b->nodes;
            rc = rc ? rc : put_str(o, nd->id, '\t');
            rc = rc ? rc : put_str(o, ls_layer_name(nd->layer), '\t');
            rc = rc ? rc : put_str(o, nd->type, '\t');
            rc = rc ? rc : put_str(o, nd->name, '\t');
            rc = rc ? rc : put_str(o, nd->state, '\t');
            rc = rc ? rc : put_json(o, nd->attrs, '\t');
            rc = rc ? rc : put_str(o, nd->source, '\t');
            rc = rc ? rc : put_time(o, nd->created_at, '\t');
            rc = rc ? rc : put_time(o, op->time_us, '\t');
            rc = rc ? rc : ls_buf_printf(o, "\\N\t%s\t\\N\n", r);
        } else if (op->kind == LS_OP_EDGE_PUT) {
            struct ls_buf *o = &b->edges;
            rc = rc ? rc : put_str(o, e->src, '\t');
            rc = rc ? rc : put_str(o, ls_edge_type_name(e->type), '\t');
            rc = rc ? rc : put_str(o, e->dst, '\t');
            rc = rc ? rc : put_json(o, e->attrs, '\t');
            rc = rc ? rc : put_str(o, ls_edge_source_name(e->esource), '\t');
            rc = rc ? rc : put_str(o, e->owner, '\t');
            rc = rc ? rc : ls_buf_printf(o, "%.17g\t", e->weight);
            rc = rc ? rc : put_time(o, e->created_at, '\t');
            rc = rc ? rc : put_time(o, op->time_us, '\t');
            rc = rc ? rc : ls_buf_printf(o, "\\N\t%s\t\\N\n", r);
        }
    }
    LS_ASSERT(rc == LS_OK); /* unbounded buffers fail only by aborting on OOM */
}

/* One transaction: close replaced versions, insert new ones, log the change. */
static int persist(struct ls_store *s,
                   const struct ls_prepared *p,
                   const char *origin,
                   uint64_t min_rev,
                   uint64_t *out_rev,
                   struct ls_err *err)
{
    size_t n;
    const struct ls_op *ops = ls_prepared_ops(p, &n);
    PGconn *c = s->w;
    PGresult *r = NULL;
    struct batch b;
    batch_init(&b);
    int rc = ls_pg_exec(c, NULL, "BEGIN", 0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, &r, "SELECT coalesce(max(revision), 0) + 1 FROM change_log", 0, NULL,
                        err);
    uint64_t rev = 0;
    if (rc == LS_OK) {
        rev = (uint64_t)ls_pg_int(r, 0, 0);
        if (rev < min_rev)
            rev = min_rev;
        build_batch(&b, ops, n, rev);
    }
    PQclear(r);
    char revs[32], ts[40], count[32];
    snprintf(revs, sizeof(revs), "%llu", (unsigned long long)rev);
    snprintf(count, sizeof(count), "%zu", n);
    ls_time_format_rfc3339(ls_prepared_time(p), ts, sizeof(ts));
    const char *rev_param[] = {revs};
    if (rc == LS_OK && b.node_close.len) {
        rc = ls_pg_copy(c, "COPY node_closing (id, t) FROM STDIN", b.node_close.data,
                        b.node_close.len, err);
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL,
                            "UPDATE node_version n SET valid_to = c.t, rev_to = $1 "
                            "FROM node_closing c WHERE n.id = c.id AND n.valid_to IS NULL",
                            1, rev_param, err);
    }
    if (rc == LS_OK && b.edge_close.len) {
        rc = ls_pg_copy(c, "COPY edge_closing (src, type, dst, t) FROM STDIN", b.edge_close.data,
                        b.edge_close.len, err);
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL,
                            "UPDATE edge_version e SET valid_to = c.t, rev_to = $1 "
                            "FROM edge_closing c WHERE e.src = c.src AND e.type = c.type "
                            "AND e.dst = c.dst AND e.valid_to IS NULL",
                            1, rev_param, err);
    }
    if (rc == LS_OK && b.nodes.len)
        rc = ls_pg_copy(c,
                        "COPY node_version (id, layer, type, name, state, attrs, source, "
                        "created_at, valid_from, valid_to, rev_from, rev_to) FROM STDIN",
                        b.nodes.data, b.nodes.len, err);
    if (rc == LS_OK && b.edges.len)
        rc = ls_pg_copy(c,
                        "COPY edge_version (src, type, dst, attrs, esource, owner, weight, "
                        "created_at, valid_from, valid_to, rev_from, rev_to) FROM STDIN",
                        b.edges.data, b.edges.len, err);
    if (rc == LS_OK) {
        const char *params[] = {revs, ts, origin, count};
        rc = ls_pg_exec(c, NULL,
                        "INSERT INTO change_log (revision, event_time, origin, n_ops) "
                        "VALUES ($1, $2, $3, $4)",
                        4, params, err);
    }
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL, "COMMIT", 0, NULL, err);
    if (rc == LS_OK) {
        r = PQexec(c, "NOTIFY landscape_changes"); /* followers re-read the change log */
        PQclear(r);
        if (n > 20000) { /* a bulk load: refresh the planner's statistics now, not later */
            r = PQexec(c, "ANALYZE node_version, edge_version");
            PQclear(r);
        }
    } else if (!ls_pg_broken(c)) {
        r = PQexec(c, "ROLLBACK");
        PQclear(r);
    }
    batch_cleanup(&b);
    *out_rev = rev;
    return rc;
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
    int64_t deadline = ls_time_now_us() + s->write_timeout_us;
    for (int attempt = 0;; attempt++) {
        if (ls_pg_broken(s->w))
            rc = writer_connect(s, err);
        if (rc == LS_OK || rc != LS_EUNAVAIL)
            rc = rc == LS_OK ? persist(s, p, ls_change_set_origin(cs), next, &rev, err) : rc;
        if (rc != LS_EUNAVAIL || ls_time_now_us() >= deadline)
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
    json_t *v = json_loads(txt, JSON_REJECT_DUPLICATES, &je);
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
