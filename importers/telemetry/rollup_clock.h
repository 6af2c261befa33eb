/* The rollup clock rule of the Kafka consumer, as a pure function (no Kafka, no clock of its
 * own): from what the consumer knows of each assigned partition, the data time up to which
 * rollup minutes may close (model/rollup.h ls_rollup_set_clock).
 *
 * A partition holds the clock back at the newest sample it delivered while it may still bring
 * older data:
 *  - it is receiving (a record within idle_ns): the partitions of one consumer interleave, so
 *    one at its end for a moment is not behind the others for good;
 *  - it has not reached its end (catching up, or assigned and not read yet);
 *  - its leader is not known to be reachable (a broker down: producers retry into it, and
 *    what they retry arrives later, with older sample times, however long it was silent).
 * A partition at its end, silent for idle_ns, whose leader is up, does not hold: what a producer
 * sends it next is as new as everyone else's (within the rollup grace). A partition that holds
 * without progress (no record, no end reached) for max_hold is let go — bounded memory and
 * bounded delay — and its samples for minutes closed meanwhile count as late. */
#ifndef LS_TEL_ROLLUP_CLOCK_H
#define LS_TEL_ROLLUP_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What the consumer knows of one assigned partition. */
struct ls_part_clock {
    int64_t max_t;         /* newest sample time read from it (µs); 0: none yet */
    long long progress_ns; /* monotonic time of its last record, end reached, or assignment */
    long long record_ns;   /* monotonic time of its last record (0: none) */
    bool at_eof;           /* it reached its end and read nothing since (and its leader has not
                              come back since: what producers retried into it is still to come) */
    bool leader_ok;        /* its leader is known and connected (as of the last report) */
};

/**
 * The clock: LS_ROLLUP_CLOCK_HOLD while a holding partition has delivered nothing yet (its data
 * may be older than everyone's) or when nothing is assigned yet (`assigned` false); the oldest
 * newest-sample-time over the holding partitions; LS_ROLLUP_CLOCK_FREE when none holds.
 * @param[out] let_go when not NULL, let_go[i] says whether partition i would hold but has made
 *             no progress for max_hold_ns (so it does not hold); n entries.
 */
int64_t ls_tel_rollup_clock(const struct ls_part_clock *p,
                            size_t n,
                            bool assigned,
                            long long now_ns,
                            long long idle_ns,
                            long long max_hold_ns,
                            bool *let_go);

#endif
