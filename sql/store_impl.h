/* Private to sql/: the store's state, shared by store.c (writes, load) and history.c (reads). */
#ifndef LS_SQL_STORE_IMPL_H
#define LS_SQL_STORE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sql/pg.h"
#include "sql/store.h"

#define LS_STORE_READERS 4

struct ls_store {
    char *dsn;
    PGconn *w;      /* the writer connection, under wlock */
    bool w_pending; /* a statement sent on w whose result is not read yet (writer_settle) */
    const char *w_pending_what; /* what it is, for the log */
    long long w_pending_since;  /* when it was sent (monotonic ns) */
    pthread_mutex_t wlock;
    PGconn *readers[LS_STORE_READERS]; /* history reads; opened on first use */
    bool busy[LS_STORE_READERS];
    pthread_mutex_t rlock;
    pthread_cond_t rcond;
    int schema;
    int64_t write_timeout_us;  /* how long a write waits for Postgres to come back */
    struct ls_pg_watchdog *wd; /* cuts the writer connection at a write's deadline */
    int w_pid;                 /* the writer's backend, ended before a new writer connection */
    /* A COMMIT whose connection was lost before its result came: the change-log row it would
     * have written, checked on the next writer connection before anything else is written. */
    struct {
        bool on;
        uint64_t rev;
        char time[40];
        char *origin; /* owned */
        char n_ops[32];
    } unresolved;
    atomic_bool stale; /* a write reported failed was committed after all: the graph misses it */
    pthread_mutex_t stat_lock;
    uint64_t writes;
    double write_seconds;
    PGconn *rollup_w; /* telemetry rollup writes (sql/rollup.c), under rollup_lock; lazy */
    pthread_mutex_t rollup_lock;
};

/* Runs a read query on a pooled connection (history.c, rollup.c). */
int store_query(struct ls_store *s,
                PGresult **out,
                const char *sql,
                int n,
                const char *const *params,
                struct ls_err *err);

/* Borrows a reader connection (blocks while all are busy); reconnects a broken one. */
int store_reader_get(struct ls_store *s, int *slot, struct ls_err *err);
void store_reader_put(struct ls_store *s, int slot);

#endif
