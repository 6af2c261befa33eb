/* fork(), reset the deadly signals, run, exit_group(0); from an idle helper when there is one,
 * the request and the outcome over its socket pair (see isolate.h). */
#include "common/isolate.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"

/* Leaves the process at once: exit_group itself, not _exit, which sanitizers intercept to
 * check for leaks. */
_Noreturn static void leave(int code)
{
    syscall(SYS_exit_group, code);
    _exit(code); /* not reached */
}

_Noreturn static void child(ls_isolated_fn fn, const void *bytes, size_t len)
{
    static const int deadly[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS};
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof(deadly) / sizeof(deadly[0]); i++)
        sigaction(deadly[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    fn(bytes, len);
    leave(0);
}

/* waitpid(pid) for at most timeout_ms; 0 when it ended (*status set), 1 on timeout, -1 on
 * error (errno). Sleeps in poll() on a pidfd, which wakes when the child ends; without
 * pidfds (Linux < 5.3), polls waitpid with a back-off from 20 us to 2 ms. */
static int wait_bounded(pid_t pid, int timeout_ms, int *status)
{
    long long deadline = ls_time_mono_ns() + (long long)timeout_ms * 1000000;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long nap_ns = 20 * 1000;
    int rc;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            rc = 0;
            break;
        }
        if (r < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        long long left_ns = deadline - ls_time_mono_ns();
        if (left_ns <= 0) {
            rc = 1;
            break;
        }
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            poll(&p, 1, (int)((left_ns + 999999) / 1000000));
        } else {
            struct timespec ts = {0, nap_ns};
            nanosleep(&ts, NULL);
            if (nap_ns < 2 * 1000 * 1000)
                nap_ns *= 2;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return rc;
}

/* wait_bounded, then SIGKILL and reap a child still running: 0 when it ended by itself, 1
 * when it was killed, -1 on error (errno). */
static int reap(pid_t pid, int timeout_ms, int *status)
{
    int w = wait_bounded(pid, timeout_ms, status);
    if (w == 1) {
        kill(pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    }
    return w;
}

/* The run itself, forked from this process. */
static int run_forked(ls_isolated_fn fn,
                      const void *bytes,
                      size_t len,
                      int timeout_ms,
                      struct ls_isolated_outcome *out,
                      struct ls_err *err)
{
    memset(out, 0, sizeof(*out));
    pid_t pid = fork();
    if (pid < 0)
        return ls_err_set(err, LS_ERR, NULL, "cannot start a child process: %s", strerror(errno));
    if (pid == 0)
        child(fn, bytes, len);
    int status = 0;
    int w = reap(pid, timeout_ms, &status);
    if (w == 1) {
        out->end = LS_ISOLATED_TIMEOUT;
        return LS_OK;
    }
    if (w < 0)
        return ls_err_set(err, LS_ERR, NULL, "cannot wait for child %d: %s", (int)pid,
                          strerror(errno));
    if (WIFSIGNALED(status)) {
        out->end = LS_ISOLATED_CRASHED;
        out->signo = WTERMSIG(status);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        out->end = LS_ISOLATED_EXITED;
        out->code = WEXITSTATUS(status);
    } else {
        out->end = LS_ISOLATED_FINISHED;
    }
    return LS_OK;
}

/* ---- the helper ---- */

struct request {
    unsigned char fn[sizeof(ls_isolated_fn)]; /* the function's address, copied as bytes */
    uint64_t len;
    int32_t timeout_ms;
};

struct reply {
    int32_t status; /* LS_OK or LS_ERR */
    int32_t end, signo, code;
    char msg[sizeof(((struct ls_err *)0)->msg)];
};

/* The helpers: each runs one child at a time, so LS_ISOLATE_HELPERS runs go at once and one
 * that stalls until its time is up holds up no other. A live slot is taken (busy) by one run,
 * which then uses its socket without the lock. */
struct helper {
    bool live; /* started and not gone */
    bool busy;
    int fd;
    pid_t pid;
};

static pthread_mutex_t helpers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t helper_freed = PTHREAD_COND_INITIALIZER;
static struct helper helpers[LS_ISOLATE_HELPERS];

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads exactly n bytes; timeout_ms < 0 waits for ever. -1 on EOF, error or timeout. */
static int recv_all(int fd, void *p, size_t n, int timeout_ms)
{
    char *c = p;
    long long deadline = ls_time_mono_ns() + (long long)timeout_ms * 1000000;
    while (n > 0) {
        if (timeout_ms >= 0) {
            long long left_ms = (deadline - ls_time_mono_ns()) / 1000000;
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int pr = poll(&pfd, 1, left_ms > 0 ? (int)left_ms : 0);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr <= 0)
                return -1;
        }
        ssize_t r = recv(fd, c, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

_Noreturn static void helper_loop(int fd)
{
    for (;;) {
        struct request rq;
        if (recv_all(fd, &rq, sizeof(rq), -1) != 0)
            leave(0); /* the program closed its end */
        void *bytes = malloc(rq.len ? (size_t)rq.len : 1);
        if (bytes == NULL || recv_all(fd, bytes, (size_t)rq.len, -1) != 0)
            leave(1);
        ls_isolated_fn fn;
        memcpy(&fn, rq.fn, sizeof(fn));
        struct ls_isolated_outcome out;
        struct ls_err err;
        ls_err_clear(&err);
        struct reply rp;
        memset(&rp, 0, sizeof(rp));
        rp.status = run_forked(fn, bytes, (size_t)rq.len, rq.timeout_ms, &out, &err);
        rp.end = (int32_t)out.end;
        rp.signo = out.signo;
        rp.code = out.code;
        memcpy(rp.msg, err.msg, sizeof(rp.msg));
        free(bytes);
        if (send_all(fd, &rp, sizeof(rp)) != 0)
            leave(0);
    }
}

/* Forks helper k (helpers_mu held). The new process closes its siblings' sockets, so each
 * helper sees its own end close when the program closes it. */
static int helper_fork(size_t k, struct ls_err *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return ls_err_set(err, LS_ERR, NULL, "isolate helper: socketpair: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return ls_err_set(err, LS_ERR, NULL, "isolate helper: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(sv[0]);
        for (size_t j = 0; j < LS_ISOLATE_HELPERS; j++)
            if (helpers[j].live)
                close(helpers[j].fd);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* the program died before the line above */
            leave(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        helper_loop(sv[1]);
    }
    close(sv[1]);
    helpers[k] = (struct helper){.live = true, .fd = sv[0], .pid = pid};
    return LS_OK;
}

int ls_isolate_helper_start(struct ls_err *err)
{
    pthread_mutex_lock(&helpers_mu);
    int rc = LS_OK;
    for (size_t k = 0; k < LS_ISOLATE_HELPERS && rc == LS_OK; k++)
        if (!helpers[k].live)
            rc = helper_fork(k, err);
    pthread_mutex_unlock(&helpers_mu);
    return rc;
}

/* Closes a helper's socket and reaps it; the slot is the caller's (busy, or helpers_mu held
 * while it is idle). */
static void helper_close(struct helper *h)
{
    close(h->fd);
    int status;
    (void)reap(h->pid, 2000, &status); /* it leaves on EOF; a stuck one is killed */
}

void ls_isolate_helper_stop(void)
{
    pthread_mutex_lock(&helpers_mu);
    for (size_t k = 0; k < LS_ISOLATE_HELPERS; k++) {
        while (helpers[k].busy) /* a run in progress ends within its time */
            pthread_cond_wait(&helper_freed, &helpers_mu);
        if (helpers[k].live)
            helper_close(&helpers[k]);
        helpers[k].live = false;
    }
    pthread_mutex_unlock(&helpers_mu);
}

size_t ls_isolate_helper_pids(int *pids, size_t cap)
{
    pthread_mutex_lock(&helpers_mu);
    size_t n = 0;
    for (size_t k = 0; k < LS_ISOLATE_HELPERS; k++)
        if (helpers[k].live) {
            if (n < cap)
                pids[n] = (int)helpers[k].pid;
            n++;
        }
    pthread_mutex_unlock(&helpers_mu);
    return n;
}

/* One run through helper h, taken by this caller. 0 when it answered (*rc, out, err set), -1
 * when it is gone or stuck (then closed: the caller marks the slot). */
static int via_helper(struct helper *h,
                      ls_isolated_fn fn,
                      const void *bytes,
                      size_t len,
                      int timeout_ms,
                      struct ls_isolated_outcome *out,
                      int *rc,
                      struct ls_err *err)
{
    struct request rq;
    memset(&rq, 0, sizeof(rq));
    memcpy(rq.fn, &fn, sizeof(fn));
    rq.len = len;
    rq.timeout_ms = timeout_ms;
    struct reply rp;
    /* the helper answers within the timeout and its kill; 10 s more is a helper in trouble */
    if (send_all(h->fd, &rq, sizeof(rq)) != 0 || send_all(h->fd, bytes, len) != 0 ||
        recv_all(h->fd, &rp, sizeof(rp), timeout_ms + 10000) != 0) {
        ls_log(LS_LOG_WARN, "isolate",
               "an isolate helper is gone; its runs go to the others, or fork this process",
               "pid=%d", (int)h->pid);
        helper_close(h);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->end = (enum ls_isolated_end)rp.end;
    out->signo = rp.signo;
    out->code = rp.code;
    *rc = rp.status == LS_OK ? LS_OK : ls_err_set(err, LS_ERR, NULL, "%s", rp.msg);
    return 0;
}

/* Takes an idle live helper, waiting while every live one is busy; NULL when none is live. */
static struct helper *helper_take(void)
{
    pthread_mutex_lock(&helpers_mu);
    struct helper *got = NULL;
    for (;;) {
        bool any = false;
        for (size_t k = 0; k < LS_ISOLATE_HELPERS && !got; k++) {
            any |= helpers[k].live;
            if (helpers[k].live && !helpers[k].busy)
                got = &helpers[k];
        }
        if (got || !any)
            break;
        pthread_cond_wait(&helper_freed, &helpers_mu);
    }
    if (got)
        got->busy = true;
    pthread_mutex_unlock(&helpers_mu);
    return got;
}

static void helper_give_back(struct helper *h, bool gone)
{
    pthread_mutex_lock(&helpers_mu);
    h->busy = false;
    if (gone)
        h->live = false;
    pthread_cond_broadcast(&helper_freed);
    pthread_mutex_unlock(&helpers_mu);
}

int ls_isolated_run(ls_isolated_fn fn,
                    const void *bytes,
                    size_t len,
                    int timeout_ms,
                    struct ls_isolated_outcome *out,
                    struct ls_err *err)
{
    struct helper *h;
    while ((h = helper_take()) != NULL) {
        int rc = LS_OK;
        int done = via_helper(h, fn, bytes, len, timeout_ms, out, &rc, err);
        helper_give_back(h, done != 0);
        if (done == 0)
            return rc;
    }
    return run_forked(fn, bytes, len, timeout_ms, out, err);
}
