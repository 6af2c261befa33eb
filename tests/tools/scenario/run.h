/* Running scenario cases through a landscaped: load the landscape (POST /v1/bulk), play a
 * case's telemetry with its fault (POST /v1/telemetry, past timestamps, in time order), ask
 * POST /v1/analytics/rca for the window, and score rankings (AC@k) — with the two baselines
 * computed here on the same samples: a z-score ranking and a random one. The transport is the
 * caller's (the benchmark's libcurl client, the integration tests' helper), so one code path
 * serves both. */
#ifndef LS_TOOLS_SCENARIO_RUN_H
#define LS_TOOLS_SCENARIO_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "tests/tools/scenario/scenario.h"

/**
 * One HTTP exchange: method, path (from "/v1/…"), body of content type ctype (NULL: none).
 * Sets *status and *answer (a new reference to the parsed JSON body, or NULL).
 * @return LS_OK when an answer arrived, whatever its status.
 */
typedef int (*ls_scn_request)(void *arg,
                              const char *method,
                              const char *path,
                              const char *ctype,
                              const char *body,
                              size_t len,
                              long *status,
                              json_t **answer,
                              struct ls_err *err);

struct ls_scn_transport {
    ls_scn_request request;
    void *arg;
    size_t max_body; /* bytes per telemetry request (the service's --max-body-bytes) */
};

/** One case: a fault, its baseline window before it and the window it is active in. */
struct ls_scn_case {
    struct ls_fault fault; /* active in [from, to) */
    int64_t base_from;     /* baseline window [base_from, from) */
    int64_t step_us;       /* sampling interval */
};

/** The case of kind k, trial `trial`, starting at t0: base_min minutes of baseline, then
 *  fault_min minutes of fault, sampled every step_s seconds. */
void ls_scn_case_init(struct ls_scn_case *c,
                      const struct ls_scn *s,
                      enum ls_fault_kind k,
                      unsigned trial,
                      int64_t t0,
                      int base_min,
                      int fault_min,
                      int step_s);

/** POSTs s->bulk to /v1/bulk. @return LS_OK on 200; LS_ERR naming the status otherwise. */
LS_MUST_CHECK int
ls_scn_load(const struct ls_scn_transport *tr, const struct ls_scn *s, struct ls_err *err);

/** POSTs every sample of case c, baseline and fault windows, to /v1/telemetry (influx lines,
 *  batched up to tr->max_body). @return LS_OK when every batch was answered 200. */
LS_MUST_CHECK int ls_scn_play(const struct ls_scn_transport *tr,
                              const struct ls_scn *s,
                              const struct ls_scn_case *c,
                              struct ls_err *err);

/** A ranking: node ids, best first. */
struct ls_scn_ranking {
    char (*ids)[96];
    size_t n;
};
void ls_scn_ranking_cleanup(struct ls_scn_ranking *r);

/**
 * Asks POST /v1/analytics/rca for case c (from, to, baseline, limit) and keeps the causes' ids.
 * @return LS_OK; LS_ENOTFOUND (`rca_unavailable`) when the service has no such endpoint (404
 *         or 405 with no `causes`); LS_ERR on another status or shape.
 */
LS_MUST_CHECK int ls_scn_ask_rca(struct ls_scn_ranking *out,
                                 const struct ls_scn_transport *tr,
                                 const struct ls_scn_case *c,
                                 int limit,
                                 struct ls_err *err);

/** Ranks every node with metrics by its largest |z| of the fault window's mean against the
 *  baseline window's mean and sd, over its metrics (the same samples the service got). */
void ls_scn_rank_zscore(struct ls_scn_ranking *out,
                        const struct ls_scn *s,
                        const struct ls_scn_case *c);

/** A uniformly random order of the nodes with metrics (seeded). */
void ls_scn_rank_random(struct ls_scn_ranking *out, const struct ls_scn *s, uint64_t seed);

/** AC@1..AC@5 accumulated over cases. */
struct ls_scn_score {
    double hits[5]; /* cases with the root in the first k+1 */
    double cases;
};

/** Adds ranking r of a case whose root is `root` (weight w: 1, or 1/n for n random draws). */
void ls_scn_score_add(struct ls_scn_score *sc,
                      const struct ls_scn_ranking *r,
                      const char *root,
                      double w);
/** AC@k (k = 1..5) and Avg@5 (the mean of AC@1..AC@5). */
double ls_scn_score_ac(const struct ls_scn_score *sc, int k);
double ls_scn_score_avg5(const struct ls_scn_score *sc);

#endif
