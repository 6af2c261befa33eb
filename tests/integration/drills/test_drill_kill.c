/* Drill: landscaped killed with SIGKILL during an OpenStack import (the scale simulator, ossim)
 * while a client writes nodes, then restarted on the same --data-dir. Its embedded Postgres
 * outlives it (pg_ctl detaches the postmaster), so each restart meets an orphaned server on
 * the directory and must stop it (sql/embedded.c). Afterwards every write that got a 2xx is
 * there, no history row is duplicated, and a pass over the same cloud changes nothing more.
 * The first kill lands while the pass reads the cloud (a delay fault holds one request); the
 * second while its transaction is open (the drill holds the change log's table lock, so the
 * pass's rows are written but cannot commit). A stale postmaster.pid naming a live process
 * that is not a postmaster must not block a start either. */
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sql/embedded.h"
#include "tests/integration/drills/drill.h"
#include "tests/tools/ossim/ossim.h"

#define SERVERS 2000

static char data_dir[64];
static struct ossim *sim;
static struct ls_service the_svc; /* the drill's landscaped (ended by the teardown if one fails) */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (up to 3 minutes: a full pass on a loaded machine) until the cloud's source has
 * finished a full pass in this process and is "ok". */
static void wait_import_ok(struct ls_service *svc)
{
    for (int i = 0; i < 1800; i++) {
        struct ls_http_result r;
        if (ls_http(svc, "GET", "/v1/sources/sim", NULL, NULL, &r) == 0 && r.status == 200) {
            const char *state = ls_jstr(r.json, "state");
            bool ok = state && !strcmp(state, "ok") && ls_jint(r.json, "passes.full") >= 1;
            ls_http_result_cleanup(&r);
            if (ok)
                return;
        } else {
            ls_http_result_cleanup(&r);
        }
        sleep_ms(100);
    }
    fail_msg("the import did not finish a full pass within 3 minutes");
}

static long long instances(struct ls_service *svc)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", "/v1/sources/sim", NULL, NULL, &r), 0);
    long long n = ls_jint(r.json, "counts.instance");
    ls_http_result_cleanup(&r);
    return n;
}

static char *node_state(struct ls_service *svc, const char *id)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/nodes/%s", id);
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "GET", path, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    char *s = strdup(ls_jstr(r.json, "state") ? ls_jstr(r.json, "state") : "");
    ls_http_result_cleanup(&r);
    return s;
}

static void kick_full_pass(struct ls_service *svc)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", "/v1/sources/sim/sync?full=true", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 202);
    ls_http_result_cleanup(&r);
}

static void restart(struct ls_service *svc, const char *const *args, struct drill_writer *w)
{
    assert_int_equal(drill_start(svc, data_dir, args), 0);
    /* the orphan was found and stopped, and said so */
    assert_true(ls_service_logged(svc, "stopping the embedded postgres left running", NULL, 0));
    if (w)
        drill_writer_retarget(w, svc);
}

static void test_kill9_during_openstack_import(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.hypervisors = 100;
    so.servers = SERVERS;
    so.ports_per_server = 2;
    so.volumes = 300;
    so.networks = 10;
    so.threads = 8;
    char errbuf[256];
    sim = ossim_start(&so, errbuf, sizeof(errbuf));
    if (!sim)
        fail_msg("ossim: %s", errbuf);
    drill_mkdir(data_dir);
    char clouds[128];
    snprintf(clouds, sizeof(clouds), "%s.clouds.yaml", data_dir);
    FILE *f = fopen(clouds, "w");
    assert_non_null(f);
    fprintf(f,
            "clouds:\n  sim:\n    auth:\n      auth_url: %s\n      username: admin\n"
            "      password: secret\n      project_name: admin\n"
            "      user_domain_name: Default\n      project_domain_name: Default\n"
            "    region_name: RegionOne\n",
            ossim_auth_url(sim));
    fclose(f);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    const char *args[] = {
        "--os-cloud", "sim", "--os-sync-interval", "3600", "--os-reconcile-interval",
        "604800",     NULL};

    struct ls_service *svc = &the_svc;
    assert_int_equal(drill_start(svc, data_dir, args), 0);
    struct drill_writer w;
    drill_writer_start(&w, svc, 0);
    wait_import_ok(svc);
    assert_int_equal(instances(svc), SERVERS);

    /* kill 1: a full pass reading the cloud (one request held by the simulator) */
    struct ossim_fault hold = {
        .kind = OSSIM_FAULT_DELAY, .path_contains = "/ports", .delay_ms = 20000, .count = 1};
    ossim_fault(sim, &hold);
    ossim_churn(sim, 0.2);
    kick_full_pass(svc);
    for (int i = 0; i < 600 && ossim_delaying(sim) == 0; i++)
        sleep_ms(100);
    assert_int_equal(ossim_delaying(sim), 1);
    drill_kill9(svc);
    ossim_clear_faults(sim);
    printf("# kill 1: during the pass's reads; %d nodes acknowledged so far\n", w.created);
    restart(svc, args, &w);
    wait_import_ok(svc);

    /* kill 2: the pass's transaction open, its rows written, its commit held by our lock */
    drill_writer_pause(&w); /* the import is then the only writer */
    PGconn *c = drill_pg(data_dir);
    long long rev = drill_scalar(c, "SELECT coalesce(max(revision), 0) FROM change_log");
    PQclear(PQexec(c, "BEGIN"));
    PGresult *r = PQexec(c, "LOCK TABLE change_log IN EXCLUSIVE MODE");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    char sid[37], id[80];
    ossim_server_id(sim, 1, sid);
    snprintf(id, sizeof(id), "nova:instance:%s", sid);
    char *before = node_state(svc, id);
    ossim_churn(sim, 0.3);
    ossim_set_status(sim, 1, strcasecmp(before, "active") ? "ACTIVE" : "SHUTOFF");
    kick_full_pass(svc);
    long long blocked = 0;
    for (int i = 0; i < 1800 && blocked == 0; i++) {
        /* (pg_locks, not pg_stat_activity: that is a snapshot taken once per transaction) */
        blocked = drill_scalar(c, "SELECT coalesce(max(w.pid), 0) FROM pg_locks w JOIN pg_locks h "
                                  "ON h.pid = w.pid AND h.granted AND h.mode = 'RowExclusiveLock' "
                                  "AND h.relation = 'node_version'::regclass "
                                  "WHERE w.relation = 'change_log'::regclass AND NOT w.granted");
        if (blocked == 0)
            sleep_ms(100);
    }
    assert_true(blocked > 0);
    drill_kill9(svc);
    PQclear(PQexec(c, "ROLLBACK"));
    /* the orphaned backend runs its statement, finds its client gone, and rolls back */
    char q[160];
    snprintf(q, sizeof(q), "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld", blocked);
    for (int i = 0; i < 300 && drill_scalar(c, q) > 0; i++)
        sleep_ms(100);
    assert_int_equal(drill_scalar(c, q), 0);
    assert_int_equal(drill_scalar(c, "SELECT coalesce(max(revision), 0) FROM change_log"), rev);
    snprintf(q, sizeof(q),
             "SELECT (SELECT count(*) FROM node_version WHERE rev_from > %lld OR rev_to > %lld) + "
             "(SELECT count(*) FROM edge_version WHERE rev_from > %lld OR rev_to > %lld)",
             rev, rev, rev, rev);
    assert_int_equal(drill_scalar(c, q), 0); /* nothing of the killed pass is kept */
    PQfinish(c);
    printf("# kill 2: with the pass's transaction open (backend %lld); revision stays %lld\n",
           blocked, rev);
    restart(svc, args, &w);
    drill_writer_resume(&w);
    wait_import_ok(svc);
    char *after = node_state(svc, id);
    bool changed = strcmp(before, after) != 0; /* the change the killed pass carried arrived */
    free(before);
    free(after);
    assert_true(changed);
    assert_int_equal(instances(svc), SERVERS);
    sleep_ms(500); /* a few more acknowledged writes after the last restart */
    drill_writer_stop(&w);

    /* the same cloud again: nothing left to change */
    struct ls_http_result res;
    assert_int_equal(
        ls_http(svc, "POST", "/v1/sources/sim/sync?full=true&wait=true", NULL, NULL, &res), 0);
    assert_int_equal(res.status, 200);
    assert_int_equal(ls_jint(res.json, "last_changes"), 0);
    ls_http_result_cleanup(&res);
    drill_writer_verify(&w, svc);
    c = drill_pg(data_dir);
    drill_assert_history_clean(c);
    PQfinish(c);
    assert_int_equal(ls_service_stop(svc), 0);
    drill_writer_cleanup(&w);
    unlink(clouds);
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
}

/* A postmaster.pid left by a server that died, whose pid now belongs to another live process
 * of the same user (pid reuse): Postgres alone refuses to start ("lock file already exists"). */
static void test_stale_postmaster_pid_does_not_block_a_start(void **state)
{
    (void)state;
    drill_mkdir(data_dir);
    struct ls_pg_embedded *pg;
    struct ls_err err;
    assert_int_equal(ls_pg_embedded_start(&pg, data_dir, true /* --pg-fast-unsafe */, &err), LS_OK);
    char pidfile[128], content[4096];
    snprintf(pidfile, sizeof(pidfile), "%s/pg/postmaster.pid", data_dir);
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    size_t len = fread(content, 1, sizeof(content) - 1, f);
    content[len] = '\0';
    fclose(f);
    ls_pg_embedded_stop(pg, false);
    /* a process of the server's user that is not a postmaster: `sleep` */
    pid_t other = fork();
    if (other == 0) {
        struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;
        if (pw && (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0))
            _exit(126);
        execl("/bin/sleep", "sleep", "60", (char *)NULL);
        _exit(127);
    }
    assert_true(other > 0);
    f = fopen(pidfile, "w");
    assert_non_null(f);
    fprintf(f, "%d%s", (int)other, strchr(content, '\n'));
    fclose(f);
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        assert_non_null(pw);
        assert_int_equal(chown(pidfile, pw->pw_uid, pw->pw_gid), 0);
    }
    int rc = ls_pg_embedded_start(&pg, data_dir, true /* --pg-fast-unsafe */, &err);
    if (rc != LS_OK)
        printf("# start: %s\n", err.msg);
    assert_int_equal(rc, LS_OK);
    ls_pg_embedded_stop(pg, false);
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

/* After a failed drill: whatever it left running on its directory is ended. */
static int case_teardown(void **state)
{
    (void)state;
    if (the_svc.pid > 0) {
        kill(the_svc.pid, SIGKILL);
        waitpid(the_svc.pid, NULL, 0);
        the_svc.pid = 0;
    }
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
    ossim_stop(sim);
    sim = NULL;
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
        cmocka_unit_test_teardown(test_stale_postmaster_pid_does_not_block_a_start, case_teardown),
        cmocka_unit_test_teardown(test_kill9_during_openstack_import, case_teardown),
    };
    return cmocka_run_group_tests_name("drills/kill", tests, group_setup, group_teardown);
}
