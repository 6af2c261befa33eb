/* Drill: the Postgres behind landscaped (`--db`, a server this test runs) stopped with an
 * immediate shutdown while a client writes nodes, and started again a few seconds later. While
 * it is down /readyz answers 503 and writes wait (up to 30 s, docs/api.md) or fail with 503 —
 * never 500, never without an answer; afterwards writes resume, every write that got a 2xx is
 * there, and no history row is duplicated. */
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
#include <curl/curl.h>

#include "sql/embedded.h"
#include "tests/integration/drills/drill.h"

static char pg_dir[64];
static struct ls_pg_embedded *pg;
static struct ls_service the_svc;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long readyz(void)
{
    struct ls_http_result r;
    long status = ls_http(&the_svc, "GET", "/readyz", NULL, NULL, &r) == 0 ? r.status : 0;
    ls_http_result_cleanup(&r);
    return status;
}

/* Waits up to `seconds` for /readyz to answer `want`. */
static bool readyz_becomes(long want, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        if (readyz() == want)
            return true;
        sleep_ms(100);
    }
    return false;
}

static int created(struct drill_writer *w)
{
    pthread_mutex_lock(&w->lock);
    int n = w->created;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static void wait_created(struct drill_writer *w, int n)
{
    for (int i = 0; i < 1200 && created(w) < n; i++)
        sleep_ms(100);
    assert_true(created(w) >= n);
}

static void test_postgres_restarted_under_write_load(void **state)
{
    (void)state;
    drill_mkdir(pg_dir);
    struct ls_err err;
    assert_int_equal(ls_pg_embedded_start(&pg, pg_dir, false /* durable */, &err), LS_OK);
    char *dsn;
    assert_int_equal(ls_pg_embedded_create_db(pg, "drill", NULL, &dsn, &err), LS_OK);
    assert_int_equal(ls_service_start(&the_svc, dsn, NULL), 0);
    /* an answer may take the documented 30 s of waiting plus the writes queued before it */
    the_svc.timeout_s = 120;
    struct drill_writer w;
    drill_writer_start(&w, &the_svc, 5);
    wait_created(&w, 50);
    assert_int_equal(readyz(), 200);

    /* immediate shutdown (what pg_ctl -m immediate sends the postmaster) */
    char path[128];
    snprintf(path, sizeof(path), "%s/pg/postmaster.pid", pg_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long pid = 0;
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    int before = created(&w);
    assert_int_equal(kill((pid_t)pid, SIGQUIT), 0);
    for (int i = 0; i < 300 && kill((pid_t)pid, 0) == 0; i++)
        sleep_ms(100);
    ls_pg_embedded_stop(pg, false); /* the handle (its pg_ctl stop finds no server) */
    pg = NULL;
    bool unready = readyz_becomes(503, 30);
    sleep_ms(3000); /* writes pile up against the outage */
    int during = created(&w) - before;
    long fivexx = w.errors_5xx;
    assert_int_equal(ls_pg_embedded_start(&pg, pg_dir, false /* durable */, &err), LS_OK);
    bool ready = readyz_becomes(200, 60);
    int back = created(&w);
    wait_created(&w, back + 50); /* writes resume */
    drill_writer_stop(&w);
    printf("# outage: /readyz 503 %s, %d creates acknowledged across it, %ld 5xx while down; "
           "longest answer %.1f s\n",
           unready ? "seen" : "NOT seen", during, fivexx, w.max_answer_s);
    assert_true(unready);
    assert_true(ready);
    assert_int_equal(w.refused, 0); /* every request was answered */
    assert_true(w.max_answer_s < 60.0);
    drill_writer_verify(&w, &the_svc); /* also: no 500 */
    PGconn *c = PQconnectdb(dsn);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    drill_assert_history_clean(c);
    PQfinish(c);
    assert_int_equal(ls_service_stop(&the_svc), 0);
    drill_writer_cleanup(&w);
    free(dsn);
    ls_pg_embedded_stop(pg, true);
    pg = NULL;
    pg_dir[0] = '\0';
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int case_teardown(void **state)
{
    (void)state;
    if (the_svc.pid > 0) {
        kill(the_svc.pid, SIGKILL);
        waitpid(the_svc.pid, NULL, 0);
        the_svc.pid = 0;
    }
    ls_pg_embedded_stop(pg, false);
    pg = NULL;
    drill_rmdir(pg_dir);
    pg_dir[0] = '\0';
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_postgres_restarted_under_write_load, case_teardown),
    };
    return cmocka_run_group_tests_name("drills/postgres", tests, group_setup, group_teardown);
}
