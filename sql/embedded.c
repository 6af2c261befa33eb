/* The private Postgres: initdb + pg_ctl from `pg_config --bindir`, a unix socket in the data
 * directory (no TCP), run as the `postgres` user when we are root. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "sql/embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "sql/pg.h"

struct ls_pg_embedded {
    char bindir[512];
    char data_dir[512]; /* the directory given by the caller */
    char pgdata[600];   /* data_dir/pg */
    char sockdir[600];  /* where the socket lives */
    char log[600];      /* data_dir/pg.log */
    char dsn[700];
    int port;
    uid_t uid; /* the user the server runs as */
    gid_t gid;
    bool as_other; /* we are root: run as postgres */
};

/* Runs argv (NULL-terminated) as pg->uid when as_other, with stdout/stderr appended to the log.
 * Returns the exit status (or -1). */
static int run(const struct ls_pg_embedded *pg, const char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(pg->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        sigset_t none; /* the service blocks its stop signals; Postgres's tools must not */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        if (pg->as_other && (setgid(pg->gid) != 0 || setuid(pg->uid) != 0))
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int find_bindir(char *out, size_t cap, struct ls_err *err)
{
    const char *env = getenv("LANDSCAPE_PG_BINDIR");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
    } else {
        FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
        out[0] = '\0';
        if (p) {
            if (fgets(out, (int)cap, p) == NULL)
                out[0] = '\0';
            pclose(p);
        }
        out[strcspn(out, "\n")] = '\0';
    }
    char initdb[600];
    snprintf(initdb, sizeof(initdb), "%s/initdb", out);
    if (out[0] == '\0' || access(initdb, X_OK) != 0)
        return ls_err_set(err, LS_EUNAVAIL, "postgres_missing",
                          "postgres not found (no initdb via pg_config --bindir): "
                          "apt-get install postgresql");
    return LS_OK;
}

static int mkdir_owned(const struct ls_pg_embedded *pg, const char *path, mode_t mode)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return -1;
    if (pg->as_other && chown(path, pg->uid, pg->gid) != 0)
        return -1;
    return 0;
}

/* The port only names the socket file (.s.PGSQL.N) inside our own directory. */
static int pick_port(void)
{
    return 5432; /* the socket directory is ours alone, so the number need not be unique */
}

int ls_pg_embedded_start(struct ls_pg_embedded **out, const char *data_dir, struct ls_err *err)
{
    struct ls_pg_embedded *pg = ls_xcalloc(1, sizeof(*pg));
    int rc = find_bindir(pg->bindir, sizeof(pg->bindir), err);
    if (rc != LS_OK)
        goto fail;
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (pw == NULL) {
            rc = ls_err_set(err, LS_EUNAVAIL, "postgres_missing",
                            "running as root needs the postgres user: apt-get install postgresql");
            goto fail;
        }
        pg->uid = pw->pw_uid;
        pg->gid = pw->pw_gid;
        pg->as_other = true;
    }
    if (realpath(data_dir, pg->data_dir) == NULL) {
        if (mkdir(data_dir, 0755) != 0 || realpath(data_dir, pg->data_dir) == NULL) {
            rc = ls_err_set(err, LS_ERR, "data_dir", "cannot create data dir %s: %s", data_dir,
                            strerror(errno));
            goto fail;
        }
    }
    snprintf(pg->pgdata, sizeof(pg->pgdata), "%s/pg", pg->data_dir);
    snprintf(pg->sockdir, sizeof(pg->sockdir), "%s/pg-socket", pg->data_dir);
    snprintf(pg->log, sizeof(pg->log), "%s/pg.log", pg->data_dir);
    if (pg->as_other) { /* the server must reach its directory */
        chmod(pg->data_dir, 0755);
        const char *argv[] = {"/usr/bin/test", "-x", pg->data_dir, NULL};
        if (run(pg, argv) != 0) {
            rc = ls_err_set(err, LS_EUNAVAIL, "data_dir",
                            "the postgres user (which runs the embedded server when landscaped "
                            "runs as root) cannot reach %s: make its parent directories "
                            "searchable (chmod o+x) or choose another --data-dir",
                            pg->data_dir);
            goto fail;
        }
    }
    if (strlen(pg->sockdir) > 80) { /* unix socket paths are limited to ~107 bytes */
        char tmpl[] = "/tmp/landscape-pg-XXXXXX";
        if (mkdtemp(tmpl) == NULL) {
            rc = ls_err_set(err, LS_ERR, "data_dir", "mkdtemp: %s", strerror(errno));
            goto fail;
        }
        snprintf(pg->sockdir, sizeof(pg->sockdir), "%s", tmpl);
    }
    int logfd = open(pg->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (logfd >= 0) {
        if (pg->as_other && fchown(logfd, pg->uid, pg->gid) != 0)
            ls_log(LS_LOG_WARN, "pg", "cannot chown log", "path=%s", pg->log);
        close(logfd);
    }
    if (mkdir_owned(pg, pg->sockdir, 0700) != 0) {
        rc = ls_err_set(err, LS_ERR, "data_dir", "cannot create %s: %s", pg->sockdir,
                        strerror(errno));
        goto fail;
    }
    char path[700];
    snprintf(path, sizeof(path), "%s/PG_VERSION", pg->pgdata);
    if (access(path, F_OK) != 0) {
        if (mkdir_owned(pg, pg->pgdata, 0700) != 0) {
            rc = ls_err_set(err, LS_ERR, "data_dir", "cannot create %s: %s", pg->pgdata,
                            strerror(errno));
            goto fail;
        }
        char initdb[600];
        snprintf(initdb, sizeof(initdb), "%s/initdb", pg->bindir);
        const char *argv[] = {initdb,  "-D", pg->pgdata, "-U",          "landscape", "-A",
                              "trust", "-E", "UTF8",     "--no-locale", "--no-sync", NULL};
        if (run(pg, argv) != 0) {
            rc = ls_err_set(err, LS_ERR, "initdb_failed", "initdb failed; see %s", pg->log);
            goto fail;
        }
    }
    pg->port = pick_port();
    char opts[900], pgctl[600];
    /* A private server with no replicas: minimal WAL (an index built in the transaction that
     * made it is not WAL-logged), WAL segments not zero-filled first. */
    snprintf(opts, sizeof(opts),
             "-c listen_addresses='' -c unix_socket_directories='%s' -p %d -c fsync=%s "
             "-c synchronous_commit=%s -c full_page_writes=%s -c max_connections=64 "
             "-c shared_buffers=256MB -c max_wal_size=4GB -c wal_buffers=32MB -c wal_init_zero=off "
             "-c wal_level=minimal -c max_wal_senders=0",
             pg->sockdir, pg->port, getenv("LANDSCAPE_PG_FSYNC") ? "on" : "off",
             getenv("LANDSCAPE_PG_FSYNC") ? "on" : "off",
             getenv("LANDSCAPE_PG_FSYNC") ? "on" : "off");
    snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", pg->bindir);
    const char *argv[] = {pgctl,   "-D", pg->pgdata, "-o", opts,    "-l",
                          pg->log, "-w", "-t",       "60", "start", NULL};
    if (run(pg, argv) != 0) {
        rc = ls_err_set(err, LS_ERR, "pg_start_failed", "pg_ctl start failed; see %s", pg->log);
        goto fail;
    }
    snprintf(pg->dsn, sizeof(pg->dsn), "host=%s port=%d user=landscape dbname=postgres",
             pg->sockdir, pg->port);
    ls_log(LS_LOG_INFO, "pg", "embedded postgres started", "data=%s socket=%s", pg->pgdata,
           pg->sockdir);
    *out = pg;
    return LS_OK;
fail:
    free(pg);
    return rc;
}

const char *ls_pg_embedded_dsn(const struct ls_pg_embedded *pg)
{
    return pg->dsn;
}

int ls_pg_embedded_create_db(struct ls_pg_embedded *pg,
                             const char *name,
                             const char *tmpl,
                             char **out_dsn,
                             struct ls_err *err)
{
    PGconn *c;
    int rc = ls_pg_connect(&c, pg->dsn, err);
    if (rc != LS_OK)
        return rc;
    char *ident = PQescapeIdentifier(c, name, strlen(name));
    char *tident = tmpl ? PQescapeIdentifier(c, tmpl, strlen(tmpl)) : NULL;
    char sql[600];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s%s%s", ident, tident ? " TEMPLATE " : "",
             tident ? tident : "");
    PQfreemem(ident);
    PQfreemem(tident);
    rc = ls_pg_exec(c, NULL, sql, 0, NULL, err);
    PQfinish(c);
    if (rc != LS_OK)
        return rc;
    char dsn[800];
    snprintf(dsn, sizeof(dsn), "host=%s port=%d user=landscape dbname=%s", pg->sockdir, pg->port,
             name);
    *out_dsn = ls_xstrdup(dsn);
    return LS_OK;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void ls_pg_embedded_stop(struct ls_pg_embedded *pg, bool remove_dir)
{
    if (pg == NULL)
        return;
    char pgctl[600];
    snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", pg->bindir);
    const char *argv[] = {pgctl, "-D", pg->pgdata, "-m", "fast", "-w", "stop", NULL};
    if (run(pg, argv) != 0)
        ls_log(LS_LOG_WARN, "pg", "pg_ctl stop failed", "log=%s", pg->log);
    else
        ls_log(LS_LOG_INFO, "pg", "embedded postgres stopped", "data=%s", pg->pgdata);
    if (strncmp(pg->sockdir, "/tmp/landscape-pg-", 18) == 0)
        rmdir(pg->sockdir);
    if (remove_dir)
        nftw(pg->data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(pg);
}
