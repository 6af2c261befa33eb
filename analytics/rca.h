/* Root-cause ranking (issue 13, items 5 and 6): given per-node series over an analysis window,
 * their baselines (values of a baseline window, or a learned centre and spread, or a detector's
 * score already made) and the graph's adjacency (read through model/graph.h), names the
 * anomalous nodes and ranks candidate causes, each with a score, the metric that spoke, a
 * reason and the path of node ids from the cause to the symptoms it explains.
 *
 * Pure: no SQL, HTTP, clock or I/O; deterministic (the random baseline takes its seed from the
 * parameters). Three methods behind one call, so benchmarks compare them on the same cases:
 * `propagation` (ours), `zscore` and `random` (the baselines). Not thread-safe per result;
 * distinct calls are independent (the snapshot is only read). A large call splits its work
 * over threads it starts and joins (ls_rca_params.threads); its result does not depend on
 * them. */
#ifndef LS_ANALYTICS_RCA_H
#define LS_ANALYTICS_RCA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/graph.h"

enum ls_rca_method {
    LS_RCA_PROPAGATION = 0, /* robust anomaly x propagation along the graph (the default) */
    LS_RCA_ZSCORE,          /* plain z-score against mean/stddev, ranked by |z| (baseline) */
    LS_RCA_RANDOM,          /* the z-score's anomalous set in a seeded random order (baseline) */
};
#define LS_RCA_METHOD_COUNT 3

/** A learned baseline of one series: a centre and a spread (one robust sigma) in the series'
 *  unit, e.g. a detector's expected value and (hi - lo) / 2 over its band's sigmas. */
struct ls_rca_baseline {
    double center;
    double spread; /* > 0; smaller values are floored like a computed spread */
};

/** A baseline window's values summarised once (ls_rca_summarise): all ls_rca_rank reads of
 *  them under one method, so a caller need not keep the values. */
struct ls_rca_summary {
    size_t n;                  /* values summarised (> 0) */
    double center, up, down;   /* centre and one spread on each side: the median and robust
                                  spreads (propagation), the mean and deviation (the others) */
    enum ls_rca_method method; /* the method it was made for; ranking with another is refused */
};

/**
 * One series of one node. All pointers borrowed for the duration of ls_rca_rank. Evidence is
 * taken from the first of these that is present:
 *  1. score >= 0: a detector's anomaly score in [0, 1] for the window, used as is, in the
 *     direction `went` says;
 *  2. base/n_base > 0: the baseline window's values, in time order (runs of points far out
 *     are read as the baseline's own incidents; in another order there are none to find);
 *     or summary != NULL: the same, summarised (the same evidence);
 *  3. learned != NULL: a learned centre and spread.
 * A series with none of them, or without window values (case 2 and 3), is ignored, unless it
 * is marked silent (with a baseline). A score with window values and a learned baseline (a
 * detector's verdict, the value that earned it and the range it left; method propagation) is
 * read as both: the values say how far the series went, the score makes it anomalous up to
 * z_threshold at most (a score of 1 says "anomalous", not "infinitely far").
 */
struct ls_rca_series {
    const char *node;     /* node id */
    const char *metric;   /* "metric" or "metric/series"; its name says the bad direction
                             (ls_rca_metric_direction) */
    const double *win;    /* analysis-window values, in time order */
    const int64_t *t_win; /* their times (µs), or NULL: spread evenly over the window. They
                             time anomalies against each other: a node anomalous before
                             another began, and no worse after, does not explain it */
    size_t n_win;
    const double *base; /* baseline-window values */
    size_t n_base;
    const struct ls_rca_summary *summary; /* or those values summarised */
    const struct ls_rca_baseline *learned;
    double score; /* < 0: compute from the values; else a score in [0, 1] */
    int went;     /* with a score: +1 the series rose, -1 it fell, 0 unknown. A score the
                     metric's good way (a latency or a CPU that fell) is no evidence, and a
                     load metric that fell is not a rise in load (as for values) */
    bool silent;  /* the series stopped: it reported in the baseline and sent nothing over
                     a part of the window where the caller expected points (its window values,
                     if any, are from before). A node whose every series stopped went quiet
                     (a dead device) and is anomalous (method propagation) */
};

struct ls_rca_params {
    enum ls_rca_method method;
    double z_threshold;      /* robust z (in the bad direction) at which a series is anomalous;
                                also the plain z-score's threshold for zscore/random. Default 5 */
    double score_threshold;  /* score at or above which a series is anomalous (z_threshold maps
                                to it). Default 0.82, the colour's red */
    double min_cause_score;  /* causes scoring below are not named. Default 0.05 */
    int max_depth;           /* hops followed from a cause towards its symptoms. Default 4 */
    size_t max_visit;        /* nodes a cause's walk may visit (bounds the work). Default 256 */
    size_t limit;            /* causes returned at most. Default 10 */
    size_t window_points;    /* window points that must deviate (the n-th largest deviation is
                                the window's; windows of 3+ points). Default 2 */
    double rel_spread_floor; /* a baseline's spread is at least this share of |centre|, so a
                                series that sat still is not infinitely sensitive (of a share
                                metric, availability or success: of the part that fails, and
                                at least 0.02 % of the whole). 0.005 */
    uint64_t seed;           /* random method only */
    size_t threads;          /* threads a call may use (the caller's included): 0 = one per
                                core online, up to 4, once the work pays for them (a thousand
                                anomalous nodes, a store of 16k series); n = n parts of the work
                                whatever its size (1: the caller's thread alone). The result is
                                the same whatever this is. Default 0 */
};

/** One ranked cause. Strings owned by the result. */
struct ls_rca_cause {
    char *id;
    double score; /* in [0, 1], decreasing along the list */
    char *metric; /* the cause's most anomalous series */
    char *reason; /* one line for an operator */
    char **path;  /* node ids from the cause to the farthest symptom it explains; path[0] = id */
    size_t n_path;
};

/** What ls_rca_rank found. Owned; release with ls_rca_result_cleanup. */
struct ls_rca_result {
    struct ls_rca_cause *causes; /* best first */
    size_t n_causes;
    char **anomalous; /* ids of the anomalous nodes, most anomalous first */
    size_t n_anomalous;
    const char *method; /* static name: ls_rca_method_name */
};

/**
 * Summarises n > 0 baseline values (in time order) of series `metric` as ls_rca_rank would read
 * them under p (its method; floors that depend on the metric and p): rank with the same p (another
 * method is LS_EINVAL). scratch holds n doubles. Pure.
 */
void ls_rca_summarise(const double *v,
                      size_t n,
                      const char *metric,
                      const struct ls_rca_params *p,
                      double *scratch,
                      struct ls_rca_summary *out);

/** Defaults above, method propagation. */
void ls_rca_params_default(struct ls_rca_params *p);

/**
 * Ranks causes for the series given.
 * @param snap the graph's adjacency (edges of every type, inferred depends_on included), or
 *        NULL: no edges (every anomalous node stands alone). Only read.
 * @param series n series (several per node allowed, in any order)
 * @param[out] out filled on LS_OK (zeroed first, so cleanup is always safe)
 * @return LS_OK; LS_EINVAL (NULL series with n > 0, a series without node or metric, a
 *         summary made for another method, a parameter out of range: code "invalid_rca").
 * Thread-safe for distinct outputs; the snapshot may be shared.
 */
LS_MUST_CHECK int ls_rca_rank(const struct ls_snap *snap,
                              const struct ls_rca_series *series,
                              size_t n,
                              const struct ls_rca_params *p,
                              struct ls_rca_result *out,
                              struct ls_err *err);

void ls_rca_result_cleanup(struct ls_rca_result *r);

/** The contract shape of POST /v1/analytics/rca (new reference): {"causes": [{"id", "score",
 *  "metric", "reason", "path"}], "anomalous": [ids], "method"}. */
json_t *ls_rca_result_json(const struct ls_rca_result *r);

/** "propagation", "zscore", "random"; parse returns false for an unknown name. */
const char *ls_rca_method_name(enum ls_rca_method m);
bool ls_rca_method_parse(const char *s, enum ls_rca_method *out);

/** Which way a metric goes wrong, from its name (a table of substrings: latency, error, cpu,
 *  ... up; availability, success, ... down): +1 up, -1 down, 0 either. */
int ls_rca_metric_direction(const char *metric);

#endif
