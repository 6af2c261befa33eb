/* A job split in parts that run at the same time: part 0 on the caller's thread, each other
 * part on a thread of its own, started for the call and joined before it returns. For the
 * few requests whose work is large enough to pay for a thread (an RCA over a whole landscape);
 * no pool, no state between calls. */
#ifndef LS_COMMON_PAR_H
#define LS_COMMON_PAR_H

#include <stddef.h>

#define LS_PAR_MAX 16 /* parts at most */

/**
 * How many parts to run: `asked` when it is not 0 (at most LS_PAR_MAX); else automatic: 1 for
 * `work` items below min_work, otherwise one per core online, at most max_auto.
 */
size_t ls_par_parts(size_t asked, size_t work, size_t min_work, size_t max_auto);

/**
 * Calls fn(k, arg) for every k in [0, n_parts) (n_parts 1..LS_PAR_MAX), at the same time;
 * returns once every call returned. A part whose thread cannot start runs on the caller's
 * thread after part 0, so every part runs whatever happens. fn must make distinct parts
 * write distinct memory.
 */
void ls_par_run(size_t n_parts, void (*fn)(size_t k, void *arg), void *arg);

#endif
