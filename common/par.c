/* See par.h. */
#include "common/par.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

size_t ls_par_parts(size_t asked, size_t work, size_t min_work, size_t max_auto)
{
    if (asked)
        return asked > LS_PAR_MAX ? LS_PAR_MAX : asked;
    if (work < min_work || max_auto <= 1)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cores < 1 ? 1 : (size_t)cores;
    if (n > max_auto)
        n = max_auto;
    return n > LS_PAR_MAX ? LS_PAR_MAX : n;
}

struct part {
    void (*fn)(size_t k, void *arg);
    void *arg;
    size_t k;
    pthread_t thread;
    bool threaded; /* its thread started (and is joined) */
};

static void *run_part(void *p)
{
    struct part *pt = p;
    pt->fn(pt->k, pt->arg);
    return NULL;
}

void ls_par_run(size_t n_parts, void (*fn)(size_t k, void *arg), void *arg)
{
    if (n_parts < 1)
        return;
    if (n_parts > LS_PAR_MAX)
        n_parts = LS_PAR_MAX;
    struct part parts[LS_PAR_MAX];
    for (size_t k = 0; k < n_parts; k++) {
        parts[k] = (struct part){.fn = fn, .arg = arg, .k = k};
        if (k > 0)
            parts[k].threaded = pthread_create(&parts[k].thread, NULL, run_part, &parts[k]) == 0;
    }
    for (size_t k = 0; k < n_parts; k++)
        if (k == 0 || !parts[k].threaded)
            run_part(&parts[k]);
    for (size_t k = 1; k < n_parts; k++)
        if (parts[k].threaded)
            pthread_join(parts[k].thread, NULL);
}
