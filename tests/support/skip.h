/* Skipped tests show as skipped: LS_SKIP skips the running cmocka test (saying why) and counts
 * it; a test executable's main returns ls_skip_status(...) so that when every one of its tests
 * was skipped it exits LS_SKIPPED (77), which ls_test() gives CTest as SKIP_RETURN_CODE — CTest
 * then reports it "Not Run" / skipped instead of passed. A partial skip still exits 0 (CTest has
 * no such state); its "# skipped:" lines say which. Include after <cmocka.h>.
 * (Every ls_test() also fails on cmocka's "[  FAILED  ] GROUP TEARDOWN" line, which cmocka
 * 1.1.5 does not count in its exit status: tests/CMakeLists.txt.) */
#ifndef LS_TESTS_SKIP_H
#define LS_TESTS_SKIP_H

#include <stddef.h>

#define LS_SKIPPED 77

/** Prints "# skipped: <why>" and counts one skipped test (use LS_SKIP). */
void ls_skip_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** How many tests were skipped so far. */
size_t ls_skip_count(void);
/** The exit status of a test executable: cmocka's failures (its return; a failed group setup
 *  counts), else LS_SKIPPED when all n_tests were skipped, else 0. */
int ls_skip_status(int failed, size_t n_tests);

/** Skips the running test with a reason (printf format). */
#define LS_SKIP(...)                                                                               \
    do {                                                                                           \
        ls_skip_note(__VA_ARGS__);                                                                 \
        skip();                                                                                    \
    } while (0)

/** The number of entries of a cmocka test array. */
#define LS_N_TESTS(a) (sizeof(a) / sizeof((a)[0]))

#endif
