/* Running a function that may crash in a child process: for parsers of untrusted input that
 * live in libraries we cannot fix (hwloc 2.9's XML import dereferences NULL on inputs a fuzzer
 * finds), so that their crash ends a child, not the service. The function gets bytes, not
 * pointers into the caller's memory: it runs in a fork either of the caller or of a helper
 * process the program started early (ls_isolate_helper_start), and reports nothing back but
 * how it ended. It must be pure computation on those bytes: no sockets, files or locks.
 *
 * Why a helper: fork() copies the caller's page tables and makes every page it then writes
 * a copy-on-write fault, so its cost grows with the caller's memory (a run doing nothing: 0.3 ms
 * at 4 MB, 1.2 ms at 40 MB, 16 ms at 400 MB on the 2-core CI machine); a helper forked at start,
 * before the graph is loaded and before any thread, stays small, and forks each run from there
 * (0.2 ms whatever the caller's size). It also keeps fork() out of a process whose other
 * threads may hold locks.
 * There are LS_ISOLATE_HELPERS helpers, each running one child at a time: that many runs go
 * at once, so one that stalls until its time is up (a hostile input) holds up no other while
 * a helper is idle; more runs wait for one to be free.
 * Thread-safe. */
#ifndef LS_COMMON_ISOLATE_H
#define LS_COMMON_ISOLATE_H

#include <stddef.h>

#include "common/err.h"

/** Helpers started by ls_isolate_helper_start: runs that may go at once. */
#define LS_ISOLATE_HELPERS 4

/** How an isolated run ended. */
enum ls_isolated_end {
    LS_ISOLATED_FINISHED, /* fn returned */
    LS_ISOLATED_CRASHED,  /* the child died of a signal (signo) */
    LS_ISOLATED_TIMEOUT,  /* still running after the timeout: killed */
    LS_ISOLATED_EXITED,   /* the child exited (code) before fn returned: something in it
                             called exit, e.g. a sanitizer's report */
};

struct ls_isolated_outcome {
    enum ls_isolated_end end;
    int signo; /* LS_ISOLATED_CRASHED */
    int code;  /* LS_ISOLATED_EXITED */
};

/** A function to isolate: a function of this program (the helper is a fork of it, so the
 *  address means the same there), given a copy of the caller's bytes. */
typedef void (*ls_isolated_fn)(const void *bytes, size_t len);

/**
 * Forks the LS_ISOLATE_HELPERS helpers that later runs fork from. Call once, early in main:
 * before any thread starts and before memory grows. Without them (or once all are gone), runs
 * fork the caller. A helper leaves when the program closes its end (ls_isolate_helper_stop,
 * or exit) or dies (PR_SET_PDEATHSIG); it ignores SIGINT and SIGTERM meant for the program.
 * @return LS_OK; LS_ERR (no socket pair or fork: the helpers started so far stay), the
 *         program going on without the rest.
 */
LS_MUST_CHECK int ls_isolate_helper_start(struct ls_err *err);

/** Waits for the runs in progress, closes the helpers' sockets and reaps them. Idempotent. */
void ls_isolate_helper_stop(void);

/** The live helpers' process ids, up to cap of them into pids, in slot order (the first idle
 *  one takes a run); returns how many are live (0: never started, stopped or all gone). */
size_t ls_isolate_helper_pids(int *pids, size_t cap);

/**
 * Runs fn(bytes, len) in a child and waits at most timeout_ms for it. In the child, the deadly
 * signals (SEGV, BUS, ILL, FPE, ABRT, SYS) are reset to their default action, so a crash kills
 * it whatever handlers the caller installed, core dumps are off, and the child leaves by the
 * exit_group system call (no atexit handlers, no stdio flush, no sanitizer's leak check: what
 * fn allocated need not be freed).
 * @param[out] out how the child ended
 * @return LS_OK when out says; LS_ERR when no child could be started or waited for.
 */
LS_MUST_CHECK int ls_isolated_run(ls_isolated_fn fn,
                                  const void *bytes,
                                  size_t len,
                                  int timeout_ms,
                                  struct ls_isolated_outcome *out,
                                  struct ls_err *err);

#endif
