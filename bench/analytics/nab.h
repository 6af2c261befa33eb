/* NAB (Numenta Anomaly Benchmark) corpus and scoring, written from NAB's published rules
 * (Lavin & Ahmad 2015; the dataset's README): windows, probation, the scaled sigmoid reward,
 * profiles, one threshold per detector and profile optimised over the corpus, normalisation
 * between the null and the perfect detector. Reads the dataset where it lies; copies nothing. */
#ifndef LS_BENCH_NAB_H
#define LS_BENCH_NAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

struct nab_file {
    char *name;       /* "realKnownCause/nyc_taxi.csv" */
    size_t n;         /* rows */
    int64_t *t;       /* µs since the epoch, per row */
    double *v;        /* value per row */
    size_t nwin;      /* labelled windows */
    size_t (*win)[2]; /* first and last row of each window, inclusive, in order */
    size_t probation; /* rows not scored at the start */
};

struct nab_corpus {
    struct nab_file *files;
    size_t nfiles;
};

struct nab_profile {
    const char *name;
    double tp, fp, fn; /* weights */
};

#define NAB_PROFILES 3
/** standard, reward_low_FP_rate, reward_low_FN_rate: from config/profiles.json when present. */
extern struct nab_profile nab_profiles[NAB_PROFILES];

/**
 * Loads data/ and labels/combined_windows.json (and config/profiles.json) under dir.
 * @return LS_OK; LS_ENOTFOUND when a file is missing; LS_EINVAL on a malformed one.
 */
LS_MUST_CHECK int nab_load(struct nab_corpus *out, const char *dir, struct ls_err *err);
void nab_free(struct nab_corpus *c);

/** NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1, and -1 from x >= 3. */
double nab_scaled_sigmoid(double x);

/** The optimised threshold and raw and normalised scores of one detector on one profile. */
struct nab_result {
    double threshold;   /* detections are rows with score >= threshold */
    double raw;         /* sum over files of window rewards, FP costs and FN costs */
    double null_raw;    /* the same corpus with no detection at all */
    double perfect_raw; /* every window detected at its first row, nothing else */
    double normalised;  /* 100 (raw - null) / (perfect - null) */
    size_t tp, fp, fn;  /* windows detected, detections outside windows, windows missed */
};

/**
 * Scores detector output over the files whose index has subset[i] != 0 (subset NULL: all).
 * scores[i] holds one score per row of file i. When threshold is NaN it is optimised (the
 * highest raw score over every distinct score value, as NAB does); otherwise it is used as
 * given.
 */
void nab_score(struct nab_result *out,
               const struct nab_corpus *c,
               double *const *scores,
               const unsigned char *subset,
               const struct nab_profile *prof,
               double threshold);

/**
 * Checks the scorer against what NAB published: a perfect detector (a detection at each
 * window's first row) scores 100 and no detection scores 0 on every profile, and the raw
 * scores in config/thresholds.json normalise to results/final_results.json with this corpus's
 * window count (entries that disagree are stale in NAB's own files and are listed). Writes a
 * line per check to log.
 * @return 0 when all hold (at least 3 published detectors agreeing), 1 otherwise.
 */
int nab_validate(const char *dir, const struct nab_corpus *c, FILE *log);

#endif
