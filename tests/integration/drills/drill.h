/* Fault drills' shared parts: landscaped on a data directory that outlives it (embedded
 * Postgres, restarted on the same directory), SIGKILL, a direct libpq view of its database for
 * checks no API shows (duplicated versions), and a client that writes nodes all along and
 * remembers what was acknowledged. */
#ifndef LS_TESTS_DRILL_H
#define LS_TESTS_DRILL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "tests/support/service.h"

/** Makes a fresh data directory (/tmp/ls-drill-XXXXXX, short enough for the socket path). */
void drill_mkdir(char out[64]);
/** Removes it, first ending what a failed drill may have left running on it (a postmaster). */
void drill_rmdir(const char *data_dir);

/** Starts landscaped with its embedded Postgres in data_dir plus extra (NULL-terminated)
 *  arguments; returns ls_service_start's result. */
int drill_start(struct ls_service *s, const char *data_dir, const char *const *extra);
/** SIGKILL, reaped: nothing of landscaped runs its shutdown (its Postgres keeps running). */
void drill_kill9(struct ls_service *s);

/** A connection to the embedded server of data_dir (its postgres database); fails the test
 *  when none answers within 60 s. Caller PQfinish-es. */
PGconn *drill_pg(const char *data_dir);
/** The first column of the first row of sql as a number (fails the test on an error). */
long long drill_scalar(PGconn *c, const char *sql);
/** Fails the test when a node or edge has duplicated history: two versions with the same
 *  key and valid_from (non-empty ranges), more than one open version, overlapping ranges, or
 *  a version whose revision is not in the change log. */
void drill_assert_history_clean(PGconn *c);

/** A client writing all along: creates nodes drill:rack:<n> and now and then replaces one
 *  with attrs {"n": k}, remembering what got a 2xx (id, revision from the ETag, k). It follows
 *  the service across restarts (drill_writer_retarget); failed requests are retried as new
 *  writes, never counted. */
#define DRILL_MAX_ACKED 100000
struct drill_ack {
    long long rev;
    int k; /* the last acknowledged replacement (0: only created) */
};
struct drill_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    struct ls_service svc; /* copy of the current target */
    _Atomic int stop, pause, paused;
    int created;                 /* nodes 0..created-1 were created (acknowledged) */
    struct drill_ack *acked;     /* by node number */
    long errors_5xx, errors_500; /* 5xx answers seen, of which 500 */
    long refused;                /* requests that got no answer (service down) */
    double max_answer_s;         /* the longest an answered request took */
    int delay_ms;
};
void drill_writer_start(struct drill_writer *w, const struct ls_service *svc, int delay_ms);
void drill_writer_retarget(struct drill_writer *w, const struct ls_service *svc);
/** Blocks new requests and waits until none is in flight; resume with drill_writer_resume. */
void drill_writer_pause(struct drill_writer *w);
void drill_writer_resume(struct drill_writer *w);
void drill_writer_stop(struct drill_writer *w);
/** Fails the test unless every acknowledged write is in svc: each created node exists, with
 *  a revision and attrs.n at least the acknowledged ones. Prints how many were checked. */
void drill_writer_verify(struct drill_writer *w, struct ls_service *svc);
void drill_writer_cleanup(struct drill_writer *w);

#endif
