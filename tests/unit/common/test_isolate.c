/* common/isolate: a child that returns, crashes (whatever handler the caller installed),
 * overruns its time or exits on its own is told apart, and the caller goes on; a stalled run
 * holds up no other; each case forked from the caller and from the helpers, and the helpers'
 * loss survived. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/isolate.h"
#include "common/time.h"

static int setup_helper(void **state)
{
    (void)state;
    struct ls_err err;
    assert_int_equal(ls_isolate_helper_start(&err), LS_OK);
    assert_int_equal(ls_isolate_helper_pids(NULL, 0), LS_ISOLATE_HELPERS);
    return 0;
}

static int teardown_helper(void **state)
{
    (void)state;
    ls_isolate_helper_stop();
    assert_int_equal(ls_isolate_helper_pids(NULL, 0), 0);
    return 0;
}

static int touched; /* set by the child: the caller's copy never changes */

/* Writes the child's parent process id into the file named by bytes. */
static void write_parent(const void *bytes, size_t len)
{
    touched = 1;
    char path[256];
    snprintf(path, sizeof(path), "%.*s", (int)len, (const char *)bytes);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f, "%d", (int)getppid());
        fclose(f);
    }
}

/* Runs write_parent; returns the child's parent as it wrote it. */
static int parent_of_a_run(void)
{
    char path[] = "/tmp/ls-isolate-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ls_isolated_outcome out;
    struct ls_err err;
    assert_int_equal(ls_isolated_run(write_parent, path, strlen(path), 5000, &out, &err), LS_OK);
    assert_int_equal(out.end, LS_ISOLATED_FINISHED);
    FILE *f = fopen(path, "r");
    int ppid = -1;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &ppid), 1);
    fclose(f);
    unlink(path);
    assert_int_equal(touched, 0);
    return ppid;
}

/* The process a run forks from while no other runs: the first helper, or the caller. */
static int first_helper_or_self(void)
{
    int pids[LS_ISOLATE_HELPERS];
    return ls_isolate_helper_pids(pids, LS_ISOLATE_HELPERS) > 0 ? pids[0] : (int)getpid();
}

static void test_finished_runs_fn_on_a_copy_of_the_bytes(void **state)
{
    (void)state;
    assert_int_equal(parent_of_a_run(), first_helper_or_self());
}

/* A segmentation fault as the kernel sends it (a store through NULL would be caught first by
 * UBSan in an instrumented build; the child's exit would then say "exited", by design). */
static void segfault(const void *bytes, size_t len)
{
    (void)bytes;
    (void)len;
    raise(SIGSEGV);
}

static void aborts(const void *bytes, size_t len)
{
    (void)bytes;
    (void)len;
    abort();
}

static void caller_handler(int sig)
{
    (void)sig;
    _exit(0); /* were it kept in the child, the child would look finished */
}

static void test_a_crash_kills_only_the_child(void **state)
{
    (void)state;
    struct sigaction sa, old_segv, old_abrt;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = caller_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGABRT, &sa, &old_abrt);
    struct ls_isolated_outcome out;
    struct ls_err err;
    assert_int_equal(ls_isolated_run(segfault, "", 0, 5000, &out, &err), LS_OK);
    assert_int_equal(out.end, LS_ISOLATED_CRASHED);
    assert_int_equal(out.signo, SIGSEGV);
    assert_int_equal(ls_isolated_run(aborts, "", 0, 5000, &out, &err), LS_OK);
    assert_int_equal(out.end, LS_ISOLATED_CRASHED);
    assert_int_equal(out.signo, SIGABRT);
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGABRT, &old_abrt, NULL);
}

static void sleep_long(const void *bytes, size_t len)
{
    (void)bytes;
    (void)len;
    sleep(30);
}

static void test_a_child_past_its_time_is_killed(void **state)
{
    (void)state;
    struct ls_isolated_outcome out;
    struct ls_err err;
    long long t0 = ls_time_mono_ns();
    assert_int_equal(ls_isolated_run(sleep_long, "", 0, 200, &out, &err), LS_OK);
    long long took_ms = (ls_time_mono_ns() - t0) / 1000000;
    assert_int_equal(out.end, LS_ISOLATED_TIMEOUT);
    assert_true(took_ms >= 200);
    assert_true(took_ms < 5000);
}

static void exit_3(const void *bytes, size_t len)
{
    (void)bytes;
    (void)len;
    _exit(3);
}

static void test_an_early_exit_is_told_apart(void **state)
{
    (void)state;
    struct ls_isolated_outcome out;
    struct ls_err err;
    assert_int_equal(ls_isolated_run(exit_3, "", 0, 5000, &out, &err), LS_OK);
    assert_int_equal(out.end, LS_ISOLATED_EXITED);
    assert_int_equal(out.code, 3);
}

static atomic_int stall_done; /* set when the stalled run has returned */

static void *stall(void *arg)
{
    struct ls_isolated_outcome *out = arg;
    struct ls_err err;
    assert_int_equal(ls_isolated_run(sleep_long, "", 0, 3000, out, &err), LS_OK);
    atomic_store(&stall_done, 1);
    return NULL;
}

/* A run that stalls until its time is up holds up no other: beside one, another run finishes
 * at once (one at a time, it waited the 3 s). */
static void test_a_stalled_run_holds_up_no_other(void **state)
{
    (void)state;
    struct ls_isolated_outcome stalled;
    pthread_t th;
    atomic_store(&stall_done, 0);
    assert_int_equal(pthread_create(&th, NULL, stall, &stalled), 0);
    usleep(200 * 1000); /* the stall has its child */
    long long t0 = ls_time_mono_ns();
    struct ls_isolated_outcome out;
    struct ls_err err;
    assert_int_equal(ls_isolated_run(segfault, "", 0, 5000, &out, &err), LS_OK);
    long long took_ms = (ls_time_mono_ns() - t0) / 1000000;
    assert_int_equal(out.end, LS_ISOLATED_CRASHED);
    /* it finished while the stalled run was still waiting on its child, whatever the load */
    assert_int_equal(atomic_load(&stall_done), 0);
    pthread_join(th, NULL);
    assert_int_equal(stalled.end, LS_ISOLATED_TIMEOUT);
    print_message("beside a stalled run, another took %lld ms\n", took_ms);
    assert_true(took_ms < 1500);
}

/* Helpers killed from outside: the next run notices, goes to another helper, and once none is
 * left forks the caller instead, still telling a crash from a finish. */
static void test_a_lost_helper_falls_back_to_forking_the_caller(void **state)
{
    (void)state;
    int pids[LS_ISOLATE_HELPERS];
    assert_int_equal(ls_isolate_helper_pids(pids, LS_ISOLATE_HELPERS), LS_ISOLATE_HELPERS);
    assert_int_equal(parent_of_a_run(), pids[0]);
    kill(pids[0], SIGKILL);
    struct ls_isolated_outcome out;
    struct ls_err err;
    assert_int_equal(ls_isolated_run(segfault, "", 0, 5000, &out, &err), LS_OK);
    assert_int_equal(out.end, LS_ISOLATED_CRASHED);
    assert_int_equal(ls_isolate_helper_pids(NULL, 0), LS_ISOLATE_HELPERS - 1);
    assert_int_equal(parent_of_a_run(), pids[1]);
    for (size_t k = 1; k < LS_ISOLATE_HELPERS; k++)
        kill(pids[k], SIGKILL);
    assert_int_equal(ls_isolated_run(segfault, "", 0, 5000, &out, &err), LS_OK);
    assert_int_equal(out.end, LS_ISOLATED_CRASHED);
    assert_int_equal(ls_isolate_helper_pids(NULL, 0), 0);
    assert_int_equal(parent_of_a_run(), (int)getpid());
}

int main(void)
{
    const struct CMUnitTest cases[] = {
        cmocka_unit_test(test_finished_runs_fn_on_a_copy_of_the_bytes),
        cmocka_unit_test(test_a_crash_kills_only_the_child),
        cmocka_unit_test(test_a_child_past_its_time_is_killed),
        cmocka_unit_test(test_an_early_exit_is_told_apart),
        cmocka_unit_test(test_a_stalled_run_holds_up_no_other),
    };
    const struct CMUnitTest lost[] = {
        cmocka_unit_test(test_a_lost_helper_falls_back_to_forking_the_caller),
    };
    int failed = cmocka_run_group_tests_name("forked from the caller", cases, NULL, NULL);
    failed +=
        cmocka_run_group_tests_name("forked from the helper", cases, setup_helper, teardown_helper);
    failed += cmocka_run_group_tests_name("helper lost", lost, setup_helper, teardown_helper);
    return failed;
}
