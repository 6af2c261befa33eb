/* The consumer's rollup clock rule (rollup_clock.h). */
#include "importers/telemetry/rollup_clock.h"

#include "model/rollup.h"

int64_t ls_tel_rollup_clock(const struct ls_part_clock *p,
                            size_t n,
                            bool assigned,
                            long long now_ns,
                            long long idle_ns,
                            long long max_hold_ns,
                            bool *let_go)
{
    if (n == 0) /* a member without partitions is free once its (empty) assignment is in force */
        return assigned ? LS_ROLLUP_CLOCK_FREE : LS_ROLLUP_CLOCK_HOLD;
    int64_t low = 0;
    bool holding = false, wait = false;
    for (size_t i = 0; i < n; i++) {
        bool receiving = p[i].record_ns && now_ns - p[i].record_ns < idle_ns;
        bool holds = receiving || !p[i].at_eof || !p[i].leader_ok;
        bool stalled = holds && now_ns - p[i].progress_ns >= max_hold_ns;
        if (let_go)
            let_go[i] = stalled;
        if (!holds || stalled)
            continue;
        if (p[i].max_t == 0) {
            wait = true; /* keep going: let_go is filled for every partition */
            continue;
        }
        if (!holding || p[i].max_t < low)
            low = p[i].max_t;
        holding = true;
    }
    if (wait)
        return LS_ROLLUP_CLOCK_HOLD;
    return holding ? low : LS_ROLLUP_CLOCK_FREE;
}
