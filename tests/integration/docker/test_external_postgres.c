/* docker/docker-compose.yml's topology without containers: a Postgres server of its own
 * (Debian's initdb + pg_ctl, its own data directory, listening on 127.0.0.1 on a free TCP port,
 * scram-sha-256 password authentication for every connection) and landscaped with
 * --db "host=127.0.0.1 port=… user=… password=… dbname=…", durable (fsync on, the server's
 * default). Writes survive a restart of landscaped; a second landscaped on the same database
 * refuses to start with a one-line reason; the password shows in no log, no /v1 answer and no
 * --check-config output. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "tests/support/service.h"

#define ADMIN_PASSWORD "admin-Pw-4e1f"
#define PASSWORD       "s3cret-Landscape-Pw-91c2" /* must never be seen outside the DSN */

static struct {
    char dir[64], bindir[256];
    int port;
    uid_t uid; /* the server's user: postgres when we are root (Postgres refuses root) */
    gid_t gid;
    bool started;
} pg;

/* Runs argv as the server's user, output to dir/cmd.log; returns the exit status. */
static int run(const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        char log[128];
        snprintf(log, sizeof(log), "%s/cmd.log", pg.dir);
        if (freopen(log, "a", stdout) == NULL || dup2(fileno(stdout), STDERR_FILENO) < 0)
            _exit(126);
        if (geteuid() == 0 && (setgid(pg.gid) != 0 || setuid(pg.uid) != 0))
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void dump_cmd_log(void)
{
    char path[128], line[512];
    snprintf(path, sizeof(path), "%s/cmd.log", pg.dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
    if (geteuid() == 0 && chown(path, pg.uid, pg.gid) != 0)
        abort();
}

/* Runs sql as the admin over TCP with its password. */
static void admin_sql(const char *sql)
{
    char dsn[256];
    snprintf(dsn, sizeof(dsn),
             "host=127.0.0.1 port=%d user=admin password=" ADMIN_PASSWORD " dbname=postgres",
             pg.port);
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("admin connection: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    FILE *p = popen("pg_config --bindir", "r");
    if (p == NULL || fgets(pg.bindir, sizeof(pg.bindir), p) == NULL)
        return -1;
    pclose(p);
    pg.bindir[strcspn(pg.bindir, "\n")] = '\0';
    snprintf(pg.dir, sizeof(pg.dir), "/tmp/ls-extpg-XXXXXX");
    if (mkdtemp(pg.dir) == NULL || chmod(pg.dir, 0755) != 0)
        return -1;
    pg.uid = geteuid();
    pg.gid = getegid();
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (pw == NULL)
            return -1;
        pg.uid = pw->pw_uid;
        pg.gid = pw->pw_gid;
        if (chown(pg.dir, pg.uid, pg.gid) != 0)
            return -1;
    }
    char data[128], pwfile[128], initdb[300], pgctl[300], opts[300];
    snprintf(data, sizeof(data), "%s/data", pg.dir);
    snprintf(pwfile, sizeof(pwfile), "%s/pw", pg.dir);
    write_file(pwfile, ADMIN_PASSWORD "\n");
    snprintf(initdb, sizeof(initdb), "%s/initdb", pg.bindir);
    /* every connection, socket or TCP, authenticates with a scram-sha-256 password */
    const char *init[] = {
        initdb,          "-D", data,   "-U",          "admin", "--pwfile", pwfile, "-A",
        "scram-sha-256", "-E", "UTF8", "--no-locale", NULL};
    if (run(init) != 0) {
        dump_cmd_log();
        return -1;
    }
    pg.port = free_port();
    snprintf(opts, sizeof(opts),
             "-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories='%s' "
             "-c password_encryption=scram-sha-256",
             pg.port, pg.dir);
    snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", pg.bindir);
    char log[128];
    snprintf(log, sizeof(log), "%s/server.log", pg.dir);
    const char *start[] = {pgctl, "-D", data, "-o", opts,    "-l",
                           log,   "-w", "-t", "60", "start", NULL};
    if (run(start) != 0) {
        dump_cmd_log();
        return -1;
    }
    pg.started = true;
    admin_sql("CREATE ROLE landscape LOGIN PASSWORD '" PASSWORD "'");
    admin_sql("CREATE DATABASE landscape OWNER landscape");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (pg.started) {
        char pgctl[300], data[128];
        snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", pg.bindir);
        snprintf(data, sizeof(data), "%s/data", pg.dir);
        const char *stop[] = {pgctl, "-D", data, "-m", "fast", "-w", "stop", NULL};
        run(stop);
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", pg.dir);
    curl_global_cleanup();
    return 0;
}

static void dsn(char *out, size_t cap)
{
    snprintf(out, cap,
             "host=127.0.0.1 port=%d user=landscape password=" PASSWORD " dbname=landscape",
             pg.port);
}

/* The whole of a file, NUL-terminated (caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (buf == NULL)
        buf = calloc(1, 1);
    buf[len] = '\0';
    return buf;
}

static char *service_log(const struct ls_service *s)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/service.log", s->dir);
    return slurp(path);
}

static void no_password_in(const char *what, const char *text)
{
    if (text && strstr(text, PASSWORD))
        fail_msg("the database password appears in %s", what);
}

/* GETs path (200 expected) and checks the answer does not hold the password. */
static void get_clean(struct ls_service *s, const char *path)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(s, "GET", path, NULL, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body ? r.body : "");
    no_password_in(path, r.body);
    ls_http_result_cleanup(&r);
}

static void post_node(struct ls_service *s, int i)
{
    char body[200];
    snprintf(body, sizeof(body),
             "{\"id\":\"manual:rack:r%d\",\"type\":\"rack\",\"name\":\"Rack %d\",\"state\":"
             "\"active\",\"attrs\":{\"row\":\"A\",\"n\":%d}}",
             i, i, i);
    struct ls_http_result r;
    assert_int_equal(ls_http(s, "POST", "/v1/nodes", body, NULL, &r), 0);
    if (r.status != 201)
        fail_msg("POST node %d: %ld %s", i, r.status, r.body ? r.body : "");
    ls_http_result_cleanup(&r);
}

static void test_writes_survive_a_restart_over_tcp_with_a_password(void **state)
{
    (void)state;
    char db[256];
    dsn(db, sizeof(db));
    struct ls_service s;
    assert_int_equal(ls_service_start(&s, db, NULL), 0);
    for (int i = 0; i < 5; i++)
        post_node(&s, i);
    static const char *const paths[] = {"/v1/nodes",   "/v1/changes?since=0",
                                        "/v1/sources", "/readyz",
                                        "/metrics",    "/v1/nodes/manual:rack:r1/history"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        get_clean(&s, paths[i]);
    assert_int_equal(ls_service_stop(&s), 0);
    char *log = service_log(&s);
    no_password_in("the service log", log);
    free(log);

    assert_int_equal(ls_service_start(&s, db, NULL), 0);
    struct ls_http_result r;
    assert_int_equal(ls_http(&s, "GET", "/v1/nodes/manual:rack:r3", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(ls_jint(r.json, "attrs.n"), 3);
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(&s, "GET", "/v1/changes?since=0", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *changes = ls_jget(r.json, "changes");
    assert_non_null(changes);
    assert_int_equal(json_array_size(changes), 5); /* one revision per write, none twice */
    ls_http_result_cleanup(&r);
    post_node(&s, 5);
    assert_int_equal(ls_service_stop(&s), 0);
    log = service_log(&s);
    no_password_in("the service log", log);
    free(log);

    /* the server's own log: Postgres names no password either (a sanity check of the DSN's
     * use: password authentication, not the password in a statement) */
    char path[128];
    snprintf(path, sizeof(path), "%s/server.log", pg.dir);
    char *server = slurp(path);
    no_password_in("the Postgres log", server);
    free(server);
}

/* A second landscaped on the same database refuses to start while the first runs, with a
 * one-line reason; the first keeps serving writes. */
static void test_second_writer_refuses_to_start(void **state)
{
    (void)state;
    char db[256];
    dsn(db, sizeof(db));
    struct ls_service a, b;
    assert_int_equal(ls_service_start(&a, db, NULL), 0);
    fprintf(stderr, "# a second landscaped on the same database (its log follows):\n");
    assert_int_not_equal(ls_service_start(&b, db, NULL), 0);
    char *log = service_log(&b);
    no_password_in("the second service's log", log);
    const char *line = strstr(log, "another landscaped is the writer on this database");
    assert_non_null(line);
    const char *bol = line;
    while (bol > log && bol[-1] != '\n')
        bol--;
    assert_non_null(strstr(bol, "level=error"));
    assert_non_null(strstr(bol, "cannot start"));
    free(log);
    post_node(&a, 100); /* the writer is undisturbed */
    assert_int_equal(ls_service_stop(&a), 0);
}

/* --check-config shows the DSN redacted. */
static void test_check_config_redacts_the_password(void **state)
{
    (void)state;
    char db[256], cmd[700], out[16384];
    dsn(db, sizeof(db));
    const char *bindir = getenv("LS_BINARY_DIR");
    snprintf(cmd, sizeof(cmd), "'%s/bin/landscaped' --db '%s' --check-config 2>&1",
             bindir ? bindir : ".", db);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "db = (redacted)"));
    no_password_in("--check-config", out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_survive_a_restart_over_tcp_with_a_password),
        cmocka_unit_test(test_second_writer_refuses_to_start),
        cmocka_unit_test(test_check_config_redacts_the_password),
    };
    return cmocka_run_group_tests_name("external postgres over TCP", tests, group_setup,
                                       group_teardown);
}
