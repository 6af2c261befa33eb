/* common/handoff: jobs run one at a time on the helper thread, in the order given, each seeing
 * what the owner set up before giving it; stop waits for the last one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "common/handoff.h"

struct work {
    int next;     /* set by the owner before each give */
    int seen[64]; /* what each job saw, in run order */
    int runs;
    int slow_first; /* the first job sleeps: give must not be able to overtake it */
};

static void job(void *arg)
{
    struct work *w = arg;
    if (w->runs == 0 && w->slow_first) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    w->seen[w->runs++] = w->next;
}

static void test_jobs_run_in_order_and_stop_waits_for_the_last(void **state)
{
    (void)state;
    struct work w = {.slow_first = 1};
    struct ls_handoff *h = ls_handoff_start(job, &w);
    for (int i = 0; i < 40; i++) {
        ls_handoff_wait(h); /* the job before has run: w is the owner's again */
        assert_int_equal(w.runs, i);
        w.next = i * 3;
        ls_handoff_give(h);
    }
    ls_handoff_stop(h);
    assert_int_equal(w.runs, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(w.seen[i], i * 3);
}

static void test_stop_without_a_job_and_null(void **state)
{
    (void)state;
    struct work w = {0};
    ls_handoff_stop(ls_handoff_start(job, &w));
    ls_handoff_stop(NULL);
    assert_int_equal(w.runs, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_run_in_order_and_stop_waits_for_the_last),
        cmocka_unit_test(test_stop_without_a_job_and_null),
    };
    return cmocka_run_group_tests_name("common/handoff", tests, NULL, NULL);
}
