/* Private to sql/: the store's state, shared by store.c (writes, load) and history.c (reads). */
#ifndef LS_SQL_STORE_IMPL_H
#define LS_SQL_STORE_IMPL_H

#include <pthread.h>
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
    int64_t write_timeout_us; /* how long a write waits for Postgres to come back */
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
