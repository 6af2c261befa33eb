/* The private Postgres: initdb + pg_ctl from `pg_config --bindir`, a unix socket in the data
 * directory (no TCP), run as the `postgres` user when we are root. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "sql/embedded.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
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
    int lock_fd;   /* data_dir/landscaped.lock, flock'ed while we own the directory */
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

/* ---- one owner per data directory, and what an owner that died left behind ----------------
 * pg_ctl detaches the postmaster from us, so when landscaped dies without stopping it (SIGKILL,
 * OOM killer, a crash) the server keeps running on the data directory, and the next start's
 * pg_ctl fails on its postmaster.pid. An exclusive flock on data_dir/landscaped.lock tells a
 * leftover (its owner is gone: the kernel dropped the lock) from a directory in use by a live
 * landscaped. Linux only: processes are recognised through /proc. */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Takes data_dir/landscaped.lock (O_CLOEXEC: pg_ctl and the postmaster must not inherit it, or
 * the lock would outlive us) and writes our pid in it. */
static int lock_data_dir(struct ls_pg_embedded *pg, struct ls_err *err)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/landscaped.lock", pg->data_dir);
    pg->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (pg->lock_fd < 0)
        return ls_err_set(err, LS_ERR, "data_dir", "cannot open %s: %s", path, strerror(errno));
    if (flock(pg->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[32] = "";
        ssize_t n = pread(pg->lock_fd, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(pg->lock_fd);
        pg->lock_fd = -1;
        return ls_err_set(err, LS_ECONFLICT, "data_dir_in_use",
                          "data dir %s is in use by another landscaped (pid %s): stop it or "
                          "choose another --data-dir",
                          pg->data_dir, holder[0] ? holder : "unknown");
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(pg->lock_fd, 0) != 0 || pwrite(pg->lock_fd, pid, (size_t)len, 0) != len)
        ls_log(LS_LOG_WARN, "pg", "cannot write the lock file", "path=%s", path);
    return LS_OK;
}

/* True when pid is a process of the postgres binary, run by the server's user, working in
 * pgdata (the postmaster and its backends chdir there): a process of this cluster. */
static bool cluster_process(const struct ls_pg_embedded *pg, pid_t pid)
{
    char path[64], link[PATH_MAX], bin[600], exe[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d", (int)pid);
    if (stat(path, &st) != 0 || st.st_uid != (pg->as_other ? pg->uid : geteuid()))
        return false;
    snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n <= 0)
        return false;
    link[n] = '\0';
    if (strcmp(link, pg->pgdata) != 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    n = readlink(path, link, sizeof(link) - 1);
    if (n <= 0)
        return false;
    link[n] = '\0';
    snprintf(bin, sizeof(bin), "%s/postgres", pg->bindir);
    if (realpath(bin, exe) == NULL)
        return false;
    return strcmp(link, exe) == 0;
}

/* The pid on the first line of pgdata/postmaster.pid: > 0, 0 when there is no file, -1 when
 * it names no pid. */
static pid_t postmaster_pid(const struct ls_pg_embedded *pg)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/postmaster.pid", pg->pgdata);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long pid = -1;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > 0x7fffffffL)
        pid = -1;
    fclose(f);
    return (pid_t)pid;
}

static int pg_ctl_stop(const struct ls_pg_embedded *pg, const char *mode)
{
    char pgctl[600];
    snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", pg->bindir);
    const char *argv[] = {pgctl, "-D", pg->pgdata, "-m", mode, "-w", "-t", "30", "stop", NULL};
    return run(pg, argv);
}

/* Processes of this cluster whose postmaster is gone (backends finishing their work): they
 * exit on their own once they notice; those still there after a few seconds are killed, or the
 * new postmaster would refuse a shared memory block still in use. Returns how many remain. */
static int reap_backends(const struct ls_pg_embedded *pg)
{
    int left = 0;
    for (int round = 0; round <= 50; round++) {
        left = 0;
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0 || !cluster_process(pg, (pid_t)pid))
                continue;
            left++;
            if (round == 50) {
                ls_log(LS_LOG_WARN, "pg", "killing a leftover postgres process", "pid=%ld data=%s",
                       pid, pg->pgdata);
                kill((pid_t)pid, SIGKILL);
            }
        }
        if (d)
            closedir(d);
        if (left == 0)
            return 0;
        sleep_ms(100);
    }
    return left;
}

/* With the directory locked, anything still running on it was left by an owner that died:
 * a live postmaster is stopped (fast, then immediate), a postmaster.pid naming no postmaster
 * of this cluster (a dead one's pid, now reused by another process) is removed. */
static int clear_leftovers(struct ls_pg_embedded *pg, struct ls_err *err)
{
    pid_t pid = postmaster_pid(pg);
    if (pid == 0)
        return reap_backends(pg) == 0
                   ? LS_OK
                   : ls_err_set(err, LS_ERR, "pg_leftover",
                                "postgres processes left on %s do not exit", pg->pgdata);
    if (pid > 0 && cluster_process(pg, pid)) {
        ls_log(LS_LOG_WARN, "pg",
               "stopping the embedded postgres left running by a landscaped that did not stop "
               "it (killed or crashed)",
               "pid=%d data=%s", (int)pid, pg->pgdata);
        if (pg_ctl_stop(pg, "fast") != 0 && pg_ctl_stop(pg, "immediate") != 0)
            return ls_err_set(err, LS_ERR, "pg_leftover",
                              "a postgres left running on %s (pid %d) does not stop; see %s",
                              pg->pgdata, (int)pid, pg->log);
    } else {
        char path[700];
        snprintf(path, sizeof(path), "%s/postmaster.pid", pg->pgdata);
        ls_log(LS_LOG_WARN, "pg", "removing a stale postmaster.pid (no postgres runs on it)",
               "pid=%d path=%s", (int)pid, path);
        if (unlink(path) != 0 && errno != ENOENT)
            return ls_err_set(err, LS_ERR, "pg_leftover", "cannot remove %s: %s", path,
                              strerror(errno));
    }
    if (reap_backends(pg) != 0)
        return ls_err_set(err, LS_ERR, "pg_leftover", "postgres processes left on %s do not exit",
                          pg->pgdata);
    return LS_OK;
}

int ls_pg_embedded_start(struct ls_pg_embedded **out,
                         const char *data_dir,
                         bool fast_unsafe,
                         struct ls_err *err)
{
    struct ls_pg_embedded *pg = ls_xcalloc(1, sizeof(*pg));
    pg->lock_fd = -1;
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
    rc = lock_data_dir(pg, err);
    if (rc != LS_OK)
        goto fail;
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
        /* durable: initdb syncs the new cluster to disk before it returns */
        const char *argv[] = {initdb,
                              "-D",
                              pg->pgdata,
                              "-U",
                              "landscape",
                              "-A",
                              "trust",
                              "-E",
                              "UTF8",
                              "--no-locale",
                              fast_unsafe ? "--no-sync" : NULL,
                              NULL};
        if (run(pg, argv) != 0) {
            rc = ls_err_set(err, LS_ERR, "initdb_failed", "initdb failed; see %s", pg->log);
            goto fail;
        }
    }
    rc = clear_leftovers(pg, err);
    if (rc != LS_OK)
        goto fail;
    pg->port = pick_port();
    char opts[900], pgctl[600];
    /* A private server with no replicas: minimal WAL (an index built in the transaction that
     * made it is not WAL-logged: its files are synced at commit), WAL segments not zero-filled
     * first. Durable unless fast_unsafe (tests, benchmarks). */
    const char *sync = fast_unsafe ? "off" : "on";
    snprintf(opts, sizeof(opts),
             "-c listen_addresses='' -c unix_socket_directories='%s' -p %d -c fsync=%s "
             "-c synchronous_commit=%s -c full_page_writes=%s -c max_connections=64 "
             "-c shared_buffers=256MB -c max_wal_size=4GB -c wal_buffers=32MB -c wal_init_zero=off "
             "-c wal_level=minimal -c max_wal_senders=0",
             pg->sockdir, pg->port, sync, sync, sync);
    snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", pg->bindir);
    const char *argv[] = {pgctl,   "-D", pg->pgdata, "-o", opts,    "-l",
                          pg->log, "-w", "-t",       "60", "start", NULL};
    if (run(pg, argv) != 0) {
        rc = ls_err_set(err, LS_ERR, "pg_start_failed", "pg_ctl start failed; see %s", pg->log);
        goto fail;
    }
    snprintf(pg->dsn, sizeof(pg->dsn), "host=%s port=%d user=landscape dbname=postgres",
             pg->sockdir, pg->port);
    ls_log(LS_LOG_INFO, "pg", "embedded postgres started", "data=%s socket=%s fsync=%s", pg->pgdata,
           pg->sockdir, sync);
    *out = pg;
    return LS_OK;
fail:
    if (pg->lock_fd >= 0)
        close(pg->lock_fd);
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
    if (pg->lock_fd >= 0)
        close(pg->lock_fd); /* the directory is free for the next owner */
    free(pg);
}
