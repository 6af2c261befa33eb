/* common/par: how many parts (asked, or one per core once the work pays), and every part run
 * exactly once, on the caller's thread or its own, the parts at the same time. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/par.h"

static void test_parts_asked_or_one_per_core(void **state)
{
    (void)state;
    assert_int_equal(ls_par_parts(3, 0, 1000, 4), 3); /* asked: whatever the work */
    assert_int_equal(ls_par_parts(LS_PAR_MAX + 5, 0, 0, 4), LS_PAR_MAX);
    assert_int_equal(ls_par_parts(0, 999, 1000, 4), 1); /* too little work */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = cores < 1 ? 1 : cores > 4 ? 4 : (size_t)cores;
    assert_int_equal(ls_par_parts(0, 1000, 1000, 4), want);
    assert_int_equal(ls_par_parts(0, 1000, 1000, 1), 1);
}

struct runs {
    size_t n;
    _Atomic int calls[LS_PAR_MAX];
    pthread_t thread[LS_PAR_MAX];
    _Atomic int inside; /* parts that arrived */
    _Atomic int most;   /* the most a part saw arrived while it waited */
};

/* Waits (5 s at most) until all n parts arrived: only parts that run at the same time can. */
static void part(size_t k, void *arg)
{
    struct runs *r = arg;
    r->calls[k]++;
    r->thread[k] = pthread_self();
    r->inside++;
    for (int ms = 0; ms < 5000 && r->inside < (int)r->n; ms++)
        usleep(1000);
    int now = r->inside;
    for (int m = r->most; now > m && !atomic_compare_exchange_weak(&r->most, &m, now);)
        ;
}

static void test_every_part_runs_once_at_the_same_time(void **state)
{
    (void)state;
    static const size_t n[] = {1, 2, 5, LS_PAR_MAX};
    for (size_t c = 0; c < sizeof n / sizeof n[0]; c++) {
        struct runs r = {.n = n[c]};
        ls_par_run(n[c], part, &r);
        for (size_t k = 0; k < LS_PAR_MAX; k++)
            assert_int_equal(r.calls[k], k < n[c] ? 1 : 0);
        assert_true(pthread_equal(r.thread[0], pthread_self())); /* part 0 on the caller's */
        for (size_t k = 1; k < n[c]; k++)
            assert_false(pthread_equal(r.thread[k], pthread_self()));
        assert_int_equal(r.most, (int)n[c]);
    }
    struct runs none = {.n = 1};
    ls_par_run(0, part, &none); /* nothing to run */
    assert_int_equal(none.calls[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_asked_or_one_per_core),
        cmocka_unit_test(test_every_part_runs_once_at_the_same_time),
    };
    return cmocka_run_group_tests_name("common/par", tests, NULL, NULL);
}
