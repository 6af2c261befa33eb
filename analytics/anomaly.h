/* Streaming anomaly detection for one series: O(1) work and a fixed-size state per sample,
 * run on the samples' own timestamps (never the wall clock). It scores each sample in [0, 1]
 * and says why (expected range, since when, which detector). It keeps no history of points
 * and knows nothing of nodes, graphs or storage: callers own one state per series. */
#ifndef LS_ANALYTICS_ANOMALY_H
#define LS_ANALYTICS_ANOMALY_H

#include <stdint.h>

#include "common/err.h"

#define LS_ANOMALY_SLOTS     48  /* time-of-day seasonal buckets (half hours) */
#define LS_ANOMALY_BINS      16  /* surprise histogram bins */
#define LS_ANOMALY_PARTS     16  /* equal parts of the range seen, whose visits are counted */
#define LS_ANOMALY_MAX_STATE 512 /* bytes of state per series (issue 13) */

/**
 * Global tuning of the detector: the same for every series (never fitted per series or per
 * file). ls_anomaly_params_default() gives the values measured on NAB (docs/benchmarks.md);
 * ls_anomaly_param_table lists them by name for the benchmark's --set and tuning.
 */
struct ls_anomaly_params {
    double warmup;         /* samples scored 0 while the baselines learn */
    double alpha_level;    /* EWMA weight of the location, per typical sampling interval */
    double alpha_hw;       /* weight of the Holt-Winters level (slow, so the buckets learn) */
    double alpha_scale;    /* EWMA weight of the mean absolute residual */
    double alpha_long;     /* weight of the slow statistics (surprise distribution, errors) */
    double huber;          /* residuals are clipped at huber x sigma before updating baselines */
    double scale_floor;    /* sigma >= scale_floor x the slow sigma */
    double gamma_season;   /* weight of a seasonal bucket update */
    double season_gain;    /* seasonal model used once its error < season_gain x flat error */
    double alpha_short;    /* EWMA weight of the short surprise average */
    double z_cap;          /* |z| above this counts as z_cap (one point cannot dominate) */
    double gate_lo;        /* surprise (sigmas) below which the score is 0 */
    double gate_hi;        /* surprise (sigmas) from which its rarity counts in full */
    double cusum_k;        /* CUSUM slack, in sigmas */
    double cusum_h;        /* CUSUM decision level, in sigmas */
    double shift_score;    /* score reported when a level shift is confirmed */
    double logp_full;      /* -log10(tail probability) that maps to score 1.0 */
    double refractory;     /* samples during which a reported episode is not reported again */
    double episode_level;  /* score at or above which an episode is open ("since") */
    double novelty;        /* score of a new extreme: a value beyond the range seen (0 = off) */
    double novelty_margin; /* ... by more than this share of the range */
    double novelty_z;      /* ... and at least this many sigmas from its expected value */
    double novelty_decay;  /* per-interval weight pulling the range seen towards the baseline */
    double rare;           /* score of a value in a part of the range seldom visited (0 = off) */
    double rare_share;     /* ... visited at most this share of the (capped) visits */
    double rare_z;         /* ... and at least this many sigmas from its expected value */
    double rare_cap;       /* visits counted per part at most (halved on reaching it) */
};

/** One named, bounded tunable (a row of ls_anomaly_param_table). */
struct ls_anomaly_param_def {
    const char *name;
    size_t offset; /* into struct ls_anomaly_params */
    double lo, hi; /* accepted range */
    const char *help;
};

/** The tunables by name, terminated by a row whose name is NULL. */
extern const struct ls_anomaly_param_def ls_anomaly_param_table[];

/** Fills p with the defaults. */
void ls_anomaly_params_default(struct ls_anomaly_params *p);

/**
 * Sets the tunable `name` to value.
 * @return LS_OK; LS_ENOTFOUND for an unknown name; LS_EINVAL when value is outside its range.
 */
LS_MUST_CHECK int ls_anomaly_params_set(struct ls_anomaly_params *p,
                                        const char *name,
                                        double value,
                                        struct ls_err *err);

/**
 * Per-series state. Callers embed it (an array of them, a field of their series record) and
 * treat every field as private; its size is checked at compile time against
 * LS_ANOMALY_MAX_STATE. Not thread-safe: one writer per state.
 */
struct ls_anomaly {
    int64_t t_first;                /* µs, first accepted sample */
    int64_t t_last;                 /* µs, last accepted sample */
    int64_t since;                  /* µs, start of the open episode, 0 when none */
    int64_t run_start;              /* µs, start of the current CUSUM excursion */
    double dt_typ;                  /* typical sampling interval, seconds (EWMA of gaps) */
    double x_prev;                  /* last raw value (counter rates) */
    double level;                   /* robust location of the deseasonalised value (Holt-Winters) */
    double flat;                    /* robust location of the value, no seasonality */
    double scale;                   /* EWMA of |residual| (a mean absolute deviation) */
    double scale_slow;              /* the same, slow: floors `scale` on series that sit still */
    double err_flat;                /* slow EWMA of |y - level| */
    double err_seas;                /* slow EWMA of |y - level - season| */
    double surprise;                /* short EWMA of capped |z| */
    double sur_mass;                /* decayed total of `hist` */
    double cusum_pos;               /* one-sided CUSUM sums, in sigmas */
    double cusum_neg;               /* */
    double run_sum;                 /* sum of residuals over the current CUSUM excursion */
    double peak;                    /* highest score of the open episode */
    double seen_lo, seen_hi;        /* range of the modelled values (fading slowly) */
    uint32_t n;                     /* accepted samples */
    uint32_t n_model;               /* samples the model has seen since its last (re)start */
    uint32_t run_n;                 /* samples in the current CUSUM excursion */
    uint32_t steps;                 /* counter detection: consecutive pairs seen */
    uint32_t ups;                   /* pairs that increased */
    uint32_t downs;                 /* pairs that decreased and are not resets */
    uint32_t quiet;                 /* samples left in the refractory period */
    uint8_t mode;                   /* enum in anomaly.c: undecided, gauge, counter */
    uint8_t season_on;              /* time-of-day buckets in use */
    uint8_t negative;               /* a value < 0 was seen (not a counter) */
    uint8_t last_kind;              /* detector behind the last score */
    float season[LS_ANOMALY_SLOTS]; /* time-of-day offsets from `level` */
    float hist[LS_ANOMALY_BINS];    /* decayed histogram of `surprise` (half-octave bins) */
    uint8_t season_spread[LS_ANOMALY_SLOTS]; /* per bucket: sigma x 2^(v/32) at that time of day */
    uint8_t visits[LS_ANOMALY_PARTS];        /* per part of [seen_lo, seen_hi]: values seen there,
                                                capped at rare_cap (a part lived in does not swamp
                                                the rest) */
};

/** Which part of the detector produced a score (for reasons). */
enum ls_anomaly_kind {
    LS_ANOMALY_WARMUP = 0,    /* still learning: score 0 */
    LS_ANOMALY_DEVIATION = 1, /* residual against the robust baseline */
    LS_ANOMALY_SEASONAL = 2,  /* residual against the time-of-day baseline */
    LS_ANOMALY_SHIFT = 3,     /* a confirmed level shift (then re-baselined) */
    LS_ANOMALY_EXTREME = 4,   /* a value beyond every value seen (a new extreme) */
    LS_ANOMALY_RARE = 5,      /* a value where the series has seldom been (inside its range) */
};

/** The half-width of a verdict's expected range, in sigmas of the prediction. */
#define LS_ANOMALY_RANGE_SIGMAS 3.0

/** The verdict on one sample: everything a reason needs. */
struct ls_anomaly_result {
    double score;  /* [0, 1]; 0 during warm-up */
    double value;  /* what was scored: the value, or its rate for a counter (per s) */
    double lo, hi; /* expected range of `value` (prediction +- LS_ANOMALY_RANGE_SIGMAS) */
    int64_t since; /* µs, start of the open episode (score >= episode_level), or 0 */
    enum ls_anomaly_kind kind;
    const char *detector; /* static name of kind, e.g. "seasonal" */
    int counter;          /* 1 when the series was recognised as a counter */
    int reset;            /* 1 when this sample was a counter reset (not scored as anomaly) */
};

/** Starts a state for a new series. */
void ls_anomaly_init(struct ls_anomaly *d);

/**
 * Scores sample (t µs since the epoch, x) and learns from it. O(1), no allocation.
 * @param[out] out the verdict (untouched on error)
 * @return LS_OK; LS_EINVAL ("not_finite") for NaN/inf, LS_EINVAL ("out_of_order") when t is
 *         not after the last accepted sample: either way the sample is ignored and the state
 *         is unchanged.
 */
LS_MUST_CHECK int ls_anomaly_update(struct ls_anomaly_result *out,
                                    struct ls_anomaly *d,
                                    const struct ls_anomaly_params *p,
                                    int64_t t,
                                    double x,
                                    struct ls_err *err);

/**
 * Maps a standardised deviation z to a score in [0, 1]: -log10 of the upper normal tail
 * beyond z, divided by logp_full and clamped (z <= 0 scores at most 0.3 / logp_full).
 * Shared with the benchmark's baselines so every detector is calibrated alike.
 */
double ls_anomaly_calibrate(double z, double logp_full);

/** Static name of a kind ("warmup", "deviation", "seasonal", "level_shift", "new_extreme",
 *  "rare_value"). */
const char *ls_anomaly_kind_name(enum ls_anomaly_kind kind);

#endif
