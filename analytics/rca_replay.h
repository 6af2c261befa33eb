/* The root-cause ranking over the raw samples the service holds (issue 13, item 6: the replay
 * of a recorded incident): gathers each series' points in an analysis window and a baseline
 * window from model/samples, marks the series that stopped reporting, and ranks them with
 * analytics/rca.h against a snapshot of the graph. What POST /v1/analytics/rca runs, without
 * HTTP, so its whole cost is measured (bench/analytics/bench_rca). */
#ifndef LS_ANALYTICS_RCA_REPLAY_H
#define LS_ANALYTICS_RCA_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/rca.h"
#include "common/err.h"
#include "model/graph.h"
#include "model/samples.h"

/* Window points a series must have owed, at its baseline's rate, to count as silent. */
#define LS_RCA_SILENT_MIN 3.0

/** What to replay. Pointers borrowed for the call. */
struct ls_rca_replay {
    int64_t from_us, to_us;           /* the analysis window [from, to) */
    int64_t base_from_us, base_to_us; /* the baseline window [from, to), base_to > base_from */
    const char *const *nodes;         /* the nodes to rank, or NULL: every node with samples */
    size_t n_nodes;
};

/**
 * Ranks causes over raw's samples. A series counts when the baseline holds points of it; it
 * is silent when the window owed LS_RCA_SILENT_MIN points or more (at its baseline's rate: its
 * points over the stretch they cover; up to the newest point the window holds: never from the
 * future, nor while ingestion lags) after its last one, and its node is still in snap. raw is only
 * read (the caller prunes).
 * @param[out] out as ls_rca_rank
 * @return as ls_rca_rank.
 */
LS_MUST_CHECK int ls_rca_replay_rank(struct ls_samples *raw,
                                     const struct ls_snap *snap,
                                     const struct ls_rca_replay *w,
                                     const struct ls_rca_params *p,
                                     struct ls_rca_result *out,
                                     struct ls_err *err);

#endif
