/* Fault drills' shared parts (drill.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/integration/drills/drill.h"

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void drill_mkdir(char out[64])
{
    snprintf(out, 64, "/tmp/ls-drill-XXXXXX");
    if (mkdtemp(out) == NULL)
        fail_msg("mkdtemp: %s", strerror(errno));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void drill_rmdir(const char *data_dir)
{
    if (data_dir == NULL || data_dir[0] == '\0')
        return;
    char path[128];
    snprintf(path, sizeof(path), "%s/pg/postmaster.pid", data_dir);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    /* a drill that failed half-way may leave its postmaster: immediate shutdown (SIGQUIT) */
    if (pid > 0 && kill((pid_t)pid, SIGQUIT) == 0)
        for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
            sleep_ms(100);
    nftw(data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int drill_start(struct ls_service *s, const char *data_dir, const char *const *extra)
{
    const char *argv[40] = {"--data-dir", data_dir};
    int n = 2;
    for (int i = 0; extra && extra[i] && n < 39; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return ls_service_start(s, "", argv); /* an empty --db: the embedded Postgres */
}

void drill_kill9(struct ls_service *s)
{
    assert_true(s->pid > 0);
    assert_int_equal(kill(s->pid, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    s->pid = 0;
}

PGconn *drill_pg(const char *data_dir)
{
    char dsn[256];
    snprintf(dsn, sizeof(dsn), "host=%s/pg-socket port=5432 user=landscape dbname=postgres",
             data_dir);
    for (int i = 0; i < 600; i++) {
        PGconn *c = PQconnectdb(dsn);
        if (PQstatus(c) == CONNECTION_OK)
            return c;
        if (i == 599)
            fail_msg("cannot connect to %s: %s", dsn, PQerrorMessage(c));
        PQfinish(c);
        sleep_ms(100);
    }
    return NULL;
}

long long drill_scalar(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("%s: %s", sql, msg);
    }
    long long v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* Each check counts offending rows; a clean history has none of any. */
static const struct {
    const char *what;
    const char *sql;
} history_checks[] = {
    {"node versions with the same id and valid_from",
     "SELECT count(*) FROM (SELECT id, valid_from FROM node_version "
     "WHERE valid_to IS NULL OR valid_to > valid_from GROUP BY 1, 2 HAVING count(*) > 1) d"},
    {"nodes with more than one open version",
     "SELECT count(*) FROM (SELECT id FROM node_version WHERE valid_to IS NULL "
     "GROUP BY 1 HAVING count(*) > 1) d"},
    {"overlapping node versions",
     "SELECT count(*) FROM node_version a JOIN node_version b ON a.id = b.id AND a.ctid < b.ctid "
     "AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to)"},
    {"edge versions with the same key and valid_from",
     "SELECT count(*) FROM (SELECT src, type, dst, valid_from FROM edge_version "
     "WHERE valid_to IS NULL OR valid_to > valid_from GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"},
    {"edges with more than one open version",
     "SELECT count(*) FROM (SELECT src, type, dst FROM edge_version WHERE valid_to IS NULL "
     "GROUP BY 1, 2, 3 HAVING count(*) > 1) d"},
    {"overlapping edge versions",
     "SELECT count(*) FROM edge_version a JOIN edge_version b ON a.src = b.src AND "
     "a.type = b.type AND a.dst = b.dst AND a.ctid < b.ctid "
     "AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to)"},
    {"versions of a revision missing from the change log",
     "SELECT (SELECT count(*) FROM node_version v WHERE NOT EXISTS (SELECT 1 FROM change_log l "
     "WHERE l.revision = v.rev_from)) + (SELECT count(*) FROM edge_version v WHERE NOT EXISTS "
     "(SELECT 1 FROM change_log l WHERE l.revision = v.rev_from))"},
};

void drill_assert_history_clean(PGconn *c)
{
    long long rows = drill_scalar(c, "SELECT (SELECT count(*) FROM node_version) + "
                                     "(SELECT count(*) FROM edge_version)");
    int bad = 0;
    for (size_t i = 0; i < sizeof(history_checks) / sizeof(history_checks[0]); i++) {
        long long n = drill_scalar(c, history_checks[i].sql);
        if (n) {
            printf("# history: %lld %s\n", n, history_checks[i].what);
            bad++;
        }
    }
    printf("# history: %lld version rows checked, %d kinds of duplicate found\n", rows, bad);
    assert_int_equal(bad, 0);
}

/* ---- the writing client --------------------------------------------------------------------- */

static void *writer_run(void *arg)
{
    struct drill_writer *w = arg;
    int k = 0;
    while (!atomic_load(&w->stop)) {
        if (atomic_load(&w->pause)) {
            atomic_store(&w->paused, 1);
            sleep_ms(10);
            continue;
        }
        atomic_store(&w->paused, 0);
        pthread_mutex_lock(&w->lock);
        struct ls_service svc = w->svc;
        int next = w->created;
        pthread_mutex_unlock(&w->lock);
        /* every fourth write replaces an earlier node, the others create the next one */
        bool replace = next > 0 && ++k % 4 == 0;
        int node = replace ? (k * 7919) % next : next;
        char path[128], body[256];
        if (replace) {
            snprintf(path, sizeof(path), "/v1/nodes/drill:rack:%d", node);
            snprintf(body, sizeof(body),
                     "{\"type\":\"rack\",\"name\":\"rack %d\",\"attrs\":{\"n\":%d}}", node, k);
        } else {
            snprintf(path, sizeof(path), "/v1/nodes");
            snprintf(body, sizeof(body),
                     "{\"id\":\"drill:rack:%d\",\"type\":\"rack\",\"name\":\"rack %d\"}", node,
                     node);
        }
        struct ls_http_result r;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = ls_http(&svc, replace ? "PUT" : "POST", path, body, NULL, &r);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        pthread_mutex_lock(&w->lock);
        if (rc == 0 && r.status != 0 && took > w->max_answer_s)
            w->max_answer_s = took;
        if (rc != 0 || r.status == 0) {
            w->refused++;
        } else if (r.status >= 200 && r.status < 300) {
            long long rev = strtoll(r.etag + (r.etag[0] == '"'), NULL, 10);
            if (!replace && node == w->created && w->created < DRILL_MAX_ACKED)
                w->created++;
            w->acked[node].rev = rev;
            if (replace)
                w->acked[node].k = k;
        } else if (r.status == 409 && !replace) {
            /* the create was persisted but its answer lost (the service died after the
             * commit): the node exists, it was just never acknowledged; move on */
            if (node == w->created && w->created < DRILL_MAX_ACKED)
                w->created++;
            w->acked[node].rev = 0;
        } else if (r.status >= 500) {
            w->errors_5xx++;
            if (r.status == 500) {
                w->errors_500++;
                printf("# writer: HTTP 500: %s\n", r.body);
            }
        }
        pthread_mutex_unlock(&w->lock);
        ls_http_result_cleanup(&r);
        if (rc != 0)
            sleep_ms(50); /* down: do not spin */
        else if (w->delay_ms)
            sleep_ms(w->delay_ms);
    }
    atomic_store(&w->paused, 1);
    return NULL;
}

void drill_writer_start(struct drill_writer *w, const struct ls_service *svc, int delay_ms)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    w->svc = *svc;
    w->delay_ms = delay_ms;
    w->acked = calloc(DRILL_MAX_ACKED, sizeof(*w->acked));
    assert_non_null(w->acked);
    assert_int_equal(pthread_create(&w->thread, NULL, writer_run, w), 0);
}

void drill_writer_retarget(struct drill_writer *w, const struct ls_service *svc)
{
    pthread_mutex_lock(&w->lock);
    w->svc = *svc;
    pthread_mutex_unlock(&w->lock);
}

void drill_writer_pause(struct drill_writer *w)
{
    atomic_store(&w->paused, 0);
    atomic_store(&w->pause, 1);
    while (!atomic_load(&w->paused))
        sleep_ms(5);
}

void drill_writer_resume(struct drill_writer *w)
{
    atomic_store(&w->pause, 0);
}

void drill_writer_stop(struct drill_writer *w)
{
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
}

void drill_writer_verify(struct drill_writer *w, struct ls_service *svc)
{
    int missing = 0, stale = 0, replaced = 0;
    for (int i = 0; i < w->created; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/nodes/drill:rack:%d", i);
        struct ls_http_result r;
        assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
        if (r.status != 200) {
            if (missing++ < 5)
                printf("# acknowledged node drill:rack:%d: HTTP %ld\n", i, r.status);
        } else {
            long long rev = strtoll(r.etag + (r.etag[0] == '"'), NULL, 10);
            long long n = ls_jint(r.json, "attrs.n");
            if (w->acked[i].k)
                replaced++;
            if (rev < w->acked[i].rev || (w->acked[i].k && n < w->acked[i].k)) {
                if (stale++ < 5)
                    printf("# drill:rack:%d: revision %lld attrs.n %lld, acknowledged %lld/%d\n", i,
                           rev, n, w->acked[i].rev, w->acked[i].k);
            }
        }
        ls_http_result_cleanup(&r);
    }
    printf("# writer: %d nodes created and %d replaced with a 2xx, all checked: %d missing, %d "
           "older than acknowledged; %ld requests unanswered, %ld 5xx (%ld of them 500)\n",
           w->created, replaced, missing, stale, w->refused, w->errors_5xx, w->errors_500);
    assert_int_equal(missing, 0);
    assert_int_equal(stale, 0);
    assert_int_equal(w->errors_500, 0);
}

void drill_writer_cleanup(struct drill_writer *w)
{
    free(w->acked);
    pthread_mutex_destroy(&w->lock);
}
