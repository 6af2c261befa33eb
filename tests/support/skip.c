/* See skip.h. */
#include "tests/support/skip.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_size_t skipped;

void ls_skip_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# skipped: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    atomic_fetch_add(&skipped, 1);
}

size_t ls_skip_count(void)
{
    return atomic_load(&skipped);
}

int ls_skip_status(int failed, size_t n_tests)
{
    if (failed != 0)
        return failed;
    if (n_tests > 0 && atomic_load(&skipped) >= n_tests) {
        printf("# all %zu tests skipped: exit %d (CTest: not run)\n", n_tests, LS_SKIPPED);
        return LS_SKIPPED;
    }
    return 0;
}
