/* Dependencies from metrics alone (issue 13, item 4), where no traces exist: nodes whose
 * series move together are linked. Method: every series is differenced (a trend or a daily
 * pattern shared by everything is not a link) and its steps replaced by their ranks (ties by
 * the mean rank), so two nodes' series of the same name are compared by Spearman's rank
 * correlation at lags -max_lag..max_lag steps: a few spikes both share (a deploy, a pause)
 * do not make it large; each |correlation| counts as the lower bound of its ~95% confidence
 * interval (Fisher z, 1.96 standard errors of a rank correlation over the points both have),
 * so the same correlation seen on few points weighs less than on many; per group of series
 * (e.g. the latency statistics) the best one counts, and a pair's strength is the weighted
 * mean of its groups' correlations over every group of the input (a group one of the two
 * lacks counts 0); the maximum spanning forest of those strengths (a Chow-Liu tree: the
 * strongest links that do not close a cycle, so siblings fed by one caller are not also
 * linked to each other) keeps the links at or above min_strength. The direction comes from
 * the lag when one series trails the other; at lag 0 it is not known (the pair is reported
 * in input order, `lag_steps` 0). Pure and deterministic; O(nodes² · series per node ·
 * points) work, bounded by max_nodes. Feed the result to ls_depinfer_add_metric_evidence. */
#ifndef LS_ANALYTICS_DEPCORR_H
#define LS_ANALYTICS_DEPCORR_H

#include <stddef.h>

#include "common/err.h"

/** One series on the common time grid (points aligned across series; NAN = missing). */
struct ls_depcorr_series {
    const char *node;   /* node id or service name */
    const char *metric; /* series name; only series of the same name are compared */
    const double *v;    /* n points, borrowed for the call */
    size_t n;
    const char *group; /* the series' group ("latency"): the best correlation of a group
                          counts; NULL = the metric is its own group */
    double weight;     /* the group's weight in a pair's strength (0 = 1) */
};

struct ls_depcorr_params {
    size_t min_overlap;  /* points both series must have (after differencing): 30 */
    int max_lag;         /* steps of lag tried each way: 1 */
    double min_strength; /* forest links kept from this strength (bounded |rank correlation|,
                            weighted) up: 0.16 (chosen on PetShop, docs/benchmarks.md) */
    size_t max_nodes;    /* more distinct nodes is LS_ELIMIT: 512 */
};

/** One inferred link: nodes by index into ls_depcorr_infer's node list. */
struct ls_depcorr_link {
    size_t caller, callee; /* caller's series leads (or name order at lag 0) */
    double strength;       /* weighted mean bounded |rank correlation| in [0, 1] */
    int lag_steps;         /* how many steps the callee trails (0: direction unknown) */
    size_t metric;         /* index of the series (of the caller) that correlated best */
};

/** 30 points, lag 1, strength 0.16, 512 nodes. */
void ls_depcorr_params_default(struct ls_depcorr_params *p);

/**
 * Infers links among the nodes of n series.
 * @param[out] nodes the distinct node names in order of first appearance (borrowed from
 *             series; caller frees the array with free)
 * @param[out] n_nodes how many
 * @param[out] links strongest first (caller frees with free)
 * @param[out] n_links how many
 * @return LS_OK; LS_EINVAL "invalid_series" (a NULL name or values, series of unequal
 *         length, a negative or non-finite weight); LS_ELIMIT "too_many_nodes" past
 *         max_nodes or more than 16 groups.
 */
LS_MUST_CHECK int ls_depcorr_infer(const struct ls_depcorr_series *series,
                                   size_t n,
                                   const struct ls_depcorr_params *p,
                                   const char ***nodes,
                                   size_t *n_nodes,
                                   struct ls_depcorr_link **links,
                                   size_t *n_links,
                                   struct ls_err *err);

#endif
