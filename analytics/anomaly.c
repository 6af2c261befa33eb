/* The per-series streaming detector (anomaly.h): counter recognition, a robust EWMA baseline
 * with hour-of-day buckets, a surprise score calibrated against its own long-run distribution,
 * and a CUSUM that confirms level shifts and re-baselines. Design notes in analytics/README.md;
 * measured in bench/analytics/ (NAB). */
#include "analytics/anomaly.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct ls_anomaly) <= LS_ANOMALY_MAX_STATE,
               "per-series anomaly state over its 512-byte budget");

enum { MODE_UNDECIDED = 0, MODE_GAUGE = 1, MODE_COUNTER = 2 };

#define COUNTER_PROBE   16   /* pairs seen before deciding counter or gauge */
#define RESET_FRACTION  0.1  /* a drop to below this share of the last value is a reset */
#define GAP_FACTOR      20.0 /* a gap this many typical intervals long restarts short stats */
#define SEASON_MIN_SPAN (2 * 86400.0)
#define SIGMA_PER_MAD   1.2533 /* sigma of a normal / its mean absolute deviation */

#define P(field) offsetof(struct ls_anomaly_params, field)
const struct ls_anomaly_param_def ls_anomaly_param_table[] = {
    {"warmup", P(warmup), 2, 100000, "samples scored 0 while baselines learn"},
    {"alpha_level", P(alpha_level), 1e-5, 1, "location EWMA weight per sampling interval"},
    {"alpha_hw", P(alpha_hw), 1e-6, 1, "Holt-Winters level weight (slow: the buckets learn)"},
    {"alpha_scale", P(alpha_scale), 1e-5, 1, "scale (mean |residual|) EWMA weight"},
    {"alpha_long", P(alpha_long), 1e-6, 1, "weight of the slow statistics"},
    {"huber", P(huber), 0.5, 100, "residual clip for baseline updates, sigmas"},
    {"scale_floor", P(scale_floor), 0, 1, "sigma floor, share of the slow sigma"},
    {"gamma_season", P(gamma_season), 0, 1, "hour-of-day bucket update weight"},
    {"season_gain", P(season_gain), 0, 1, "seasonal error / flat error needed to use buckets"},
    {"alpha_short", P(alpha_short), 1e-3, 1, "short surprise average weight"},
    {"z_cap", P(z_cap), 1, 1000, "cap on |z| per sample"},
    {"gate_lo", P(gate_lo), 0, 100, "surprise (sigmas) below which the score is 0"},
    {"gate_hi", P(gate_hi), 0.01, 100, "surprise (sigmas) from which rarity counts in full"},
    {"cusum_k", P(cusum_k), 0, 100, "CUSUM slack, sigmas"},
    {"cusum_h", P(cusum_h), 0.1, 10000, "CUSUM decision level, sigmas (large = off)"},
    {"shift_score", P(shift_score), 0, 1, "score of a confirmed level shift"},
    {"logp_full", P(logp_full), 1, 300, "-log10 tail probability mapped to score 1"},
    {"refractory", P(refractory), 0, 100000, "samples before an episode is reported again"},
    {"episode_level", P(episode_level), 0, 1, "score that opens an episode"},
    {"novelty", P(novelty), 0, 1, "score of a value beyond the range seen (0 = off)"},
    {"novelty_margin", P(novelty_margin), 0, 10, "how far beyond, share of the range"},
    {"novelty_z", P(novelty_z), 0, 1000, "sigmas from expected a new extreme needs"},
    {"novelty_decay", P(novelty_decay), 0, 1, "range seen pulled to the baseline"},
    {"rare", P(rare), 0, 1, "score of a value in a seldom visited part of the range (0 = off)"},
    {"rare_share", P(rare_share), 0, 1, "visits share at or below which a part is seldom"},
    {"rare_z", P(rare_z), 0, 1000, "sigmas from expected a rare value needs"},
    {"rare_cap", P(rare_cap), 2, 255, "visits counted per part at most"},
    {NULL, 0, 0, 0, NULL},
};
#undef P

void ls_anomaly_params_default(struct ls_anomaly_params *p)
{
    *p = (struct ls_anomaly_params){
        .warmup = 100,
        .alpha_level = 0.025,
        .alpha_hw = 0.0005,
        .alpha_scale = 0.015,
        .alpha_long = 0.0015,
        .huber = 4,
        .scale_floor = 0.2,
        .gamma_season = 0.2,
        .season_gain = 0.8,
        .alpha_short = 0.2,
        .z_cap = 20,
        .gate_lo = 1.0,
        .gate_hi = 2.0,
        .cusum_k = 1.0,
        .cusum_h = 24,
        .shift_score = 0.83,
        .logp_full = 3,
        .refractory = 200,
        .episode_level = 0.8,
        .novelty = 0.95,
        .novelty_margin = 0.04,
        .novelty_z = 6,
        .novelty_decay = 1e-5,
        .rare = 0.95,
        .rare_share = 0.002,
        .rare_z = 5,
        .rare_cap = 128,
    };
}

int ls_anomaly_params_set(struct ls_anomaly_params *p,
                          const char *name,
                          double value,
                          struct ls_err *err)
{
    for (const struct ls_anomaly_param_def *d = ls_anomaly_param_table; d->name; d++) {
        if (strcmp(d->name, name) != 0)
            continue;
        if (!(value >= d->lo && value <= d->hi))
            return ls_err_set(err, LS_EINVAL, "param_range", "%s: expected %g..%g", name, d->lo,
                              d->hi);
        memcpy((char *)p + d->offset, &value, sizeof value);
        return LS_OK;
    }
    return ls_err_set(err, LS_ENOTFOUND, "param_unknown", "%s: no such parameter", name);
}

const char *ls_anomaly_kind_name(enum ls_anomaly_kind kind)
{
    static const char *const names[] = {"warmup",      "deviation",   "seasonal",
                                        "level_shift", "new_extreme", "rare_value"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

void ls_anomaly_init(struct ls_anomaly *d)
{
    memset(d, 0, sizeof *d);
}

/* Forgets what the model learned (a mode switch changes what `y` means). */
static void model_restart(struct ls_anomaly *d)
{
    d->n_model = 0;
    d->level = d->flat = d->scale = d->scale_slow = d->err_flat = d->err_seas = 0;
    d->surprise = d->sur_mass = 0;
    memset(d->hist, 0, sizeof d->hist);
    d->cusum_pos = d->cusum_neg = d->run_sum = 0;
    d->run_n = 0;
    d->season_on = 0;
    d->since = 0;
    d->peak = 0;
    d->quiet = 0;
    memset(d->season, 0, sizeof d->season);
    memset(d->season_spread, 0, sizeof d->season_spread);
    memset(d->visits, 0, sizeof d->visits);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* An EWMA weight `a` meant per typical interval, for a gap of k typical intervals. */
static double weight(double a, double k)
{
    return k == 1.0 ? a : 1.0 - pow(1.0 - a, k);
}

/* Time-of-day bucket of t (UTC half hours), no interpolation: a daily step stays a step. */
static int season_slot(int64_t t)
{
    int64_t per = 86400 / LS_ANOMALY_SLOTS;
    int64_t sec = t / 1000000 % 86400;
    return (int)((sec < 0 ? sec + 86400 : sec) / per);
}

/* How much wider than usual the residuals are in bucket i (>= 1): the hours of a daily step
 * or a nightly batch are noisier, and expected to be. */
static double spread_at(const struct ls_anomaly *d, int i)
{
    return exp2(d->season_spread[i] / 32.0);
}

/* Moves bucket b's spread towards the log2 of this residual over sigma (0..8 octaves). */
static void spread_learn(struct ls_anomaly *d, int b, double ratio, double g)
{
    double target = ratio > 1.0 ? fmin(32.0 * log2(ratio), 255.0) : 0.0;
    double v = d->season_spread[b] + g * (target - d->season_spread[b]);
    d->season_spread[b] = (uint8_t)clampd(floor(v + 0.5), 0.0, 255.0);
}

/* -log10 of the upper normal tail beyond z, finite for every z. */
static double neglog10_tail(double z)
{
    if (z > 37.0)
        z = 37.0;
    double q = 0.5 * erfc(z / sqrt(2.0));
    return -log10(q);
}

double ls_anomaly_calibrate(double z, double logp_full)
{
    return clampd(neglog10_tail(z) / logp_full, 0.0, 1.0);
}

/* Half-octave bins of the surprise from 0.25 sigma: bin 0 below 0.35, the last from 45. */
static int surprise_bin(double u)
{
    if (u < 0.25)
        return 0;
    int b = (int)(2.0 * log2(u / 0.25));
    return b >= LS_ANOMALY_BINS ? LS_ANOMALY_BINS - 1 : b;
}

/* How rare the current surprise is against this series' own (decayed) history: the share of
 * past surprise at or above it (half its own bin), as -log10 p over logp_full. Ties within a
 * bin break on the surprise itself. */
static double rarity(const struct ls_anomaly *d, int bin, const struct ls_anomaly_params *p)
{
    double above = 0.5 * d->hist[bin];
    for (int b = bin + 1; b < LS_ANOMALY_BINS; b++)
        above += d->hist[b];
    double floor_p = 0.5 * p->alpha_long;
    double pr = d->sur_mass > 0 ? above / d->sur_mass : 1.0;
    if (pr < floor_p)
        pr = floor_p;
    double s = -log10(pr) + 0.01 * d->surprise;
    /* and large: a rare wiggle of pure noise is still noise */
    double gate = clampd((d->surprise - p->gate_lo) / (p->gate_hi - p->gate_lo), 0.0, 1.0);
    return clampd(s / p->logp_full, 0.0, 1.0) * gate;
}

/* Which of the LS_ANOMALY_PARTS equal parts of the range seen y falls in (the end parts take
 * what is beyond). */
static int range_part(const struct ls_anomaly *d, double y)
{
    double range = d->seen_hi - d->seen_lo;
    if (!(range > 0))
        return 0;
    return (int)clampd(floor(LS_ANOMALY_PARTS * (y - d->seen_lo) / range), 0, LS_ANOMALY_PARTS - 1);
}

/* The range seen grew from [lo, hi]: each part's visits move to the part that now holds its
 * middle (a part's count stays under the cap), so what was learnt keeps its place. */
static void
visits_regrid(struct ls_anomaly *d, double lo, double hi, const struct ls_anomaly_params *p)
{
    uint8_t moved[LS_ANOMALY_PARTS] = {0};
    double w = (hi - lo) / LS_ANOMALY_PARTS;
    for (int i = 0; i < LS_ANOMALY_PARTS; i++) {
        int j = range_part(d, lo + (i + 0.5) * w);
        moved[j] = (uint8_t)fmin(moved[j] + d->visits[i], p->rare_cap - 1);
    }
    memcpy(d->visits, moved, sizeof moved);
}

/* Counts a visit to part i; a part at rare_cap is halved first, so it keeps a memory of
 * being lived in without outweighing every other part. */
static void visit(struct ls_anomaly *d, int i, const struct ls_anomaly_params *p)
{
    if (d->visits[i] + 1 >= p->rare_cap)
        d->visits[i] /= 2;
    d->visits[i]++;
}

/* Is part i seldom visited: at most rare_share of all (capped) visits? */
static int seldom(const struct ls_anomaly *d, int i, const struct ls_anomaly_params *p)
{
    unsigned total = 0;
    for (int j = 0; j < LS_ANOMALY_PARTS; j++)
        total += d->visits[j];
    return total > 0 && d->visits[i] <= p->rare_share * total;
}

/* Counter recognition: decides once, after COUNTER_PROBE pairs; a counter that later goes
 * down without resetting is a gauge after all. Returns the value to model (the value, or the
 * counter's rate per second) and sets *reset. */
static double counter_input(struct ls_anomaly *d, double x, double dt, int *reset)
{
    *reset = 0;
    if (x < 0)
        d->negative = 1;
    if (d->n == 0)
        return x;
    int up = x > d->x_prev, down = x < d->x_prev;
    int is_reset = down && d->x_prev > 0 && x <= RESET_FRACTION * d->x_prev;
    if (d->mode != MODE_COUNTER || !is_reset) {
        d->steps++;
        d->ups += (uint32_t)up;
        d->downs += (uint32_t)(down && !is_reset);
    }
    if (d->mode == MODE_UNDECIDED && d->steps >= COUNTER_PROBE) {
        int counter = !d->negative && d->downs == 0 && d->ups * 10 >= d->steps * 9;
        d->mode = counter ? MODE_COUNTER : MODE_GAUGE;
        if (counter)
            model_restart(d);
    } else if (d->mode == MODE_COUNTER && down && !is_reset) {
        d->mode = MODE_GAUGE;
        model_restart(d);
    }
    if (d->mode != MODE_COUNTER)
        return x;
    if (down) {
        *reset = 1;
        return x / dt; /* restarted from zero within the interval */
    }
    return (x - d->x_prev) / dt;
}

int ls_anomaly_update(struct ls_anomaly_result *out,
                      struct ls_anomaly *d,
                      const struct ls_anomaly_params *p,
                      int64_t t,
                      double x,
                      struct ls_err *err)
{
    if (!isfinite(x))
        return ls_err_set(err, LS_EINVAL, "not_finite", "value: expected a finite number");
    if (d->n > 0 && t <= d->t_last)
        return ls_err_set(err, LS_EINVAL, "out_of_order", "timestamp: not after the last sample");

    double dt = d->n > 0 ? (double)(t - d->t_last) / 1e6 : 0.0;
    double k = 1.0;
    if (d->n == 0)
        d->t_first = t;
    else if (d->n == 1)
        d->dt_typ = dt;
    else {
        k = clampd(dt / d->dt_typ, 0.05, 50.0);
        /* the typical gap follows the median-ish gap, not the mean: bounded steps */
        d->dt_typ *= dt > d->dt_typ ? 1.02 : 0.98;
    }
    int reset;
    double y = counter_input(d, x, dt, &reset);
    d->x_prev = x;
    d->t_last = t;
    d->n++;

    struct ls_anomaly_result r = {.value = y, .lo = y, .hi = y, .kind = LS_ANOMALY_WARMUP};
    r.counter = d->mode == MODE_COUNTER;
    r.reset = reset;
    if (d->n_model == 0) { /* the first sample of a (re)started model sets the baselines */
        d->level = d->flat = y;
        d->n_model = 1;
        r.detector = ls_anomaly_kind_name(r.kind);
        *out = r;
        return LS_OK;
    }
    if (dt > GAP_FACTOR * d->dt_typ) /* a long silence: recent surprise is stale */
        d->surprise = 0;

    int si = season_slot(t);
    double s_now = d->season[si];
    double pred_seas = d->level + s_now;
    double pred = d->season_on ? pred_seas : d->flat;
    double sigma = SIGMA_PER_MAD * d->scale;
    double floor_sigma =
        fmax(p->scale_floor * SIGMA_PER_MAD * d->scale_slow, 1e-6 * fabs(pred) + 1e-12);
    if (sigma < floor_sigma)
        sigma = floor_sigma;
    double spread = d->season_on ? spread_at(d, si) : 1.0;
    sigma *= spread;
    double e = y - pred;
    double z = e / sigma;
    double zc = clampd(z, -p->z_cap, p->z_cap);

    /* surprise: short average of |z| against its own long-run distribution */
    d->surprise += weight(p->alpha_short, k) * (fabs(zc) - d->surprise);
    double score = 0.0;
    enum ls_anomaly_kind kind = d->season_on ? LS_ANOMALY_SEASONAL : LS_ANOMALY_DEVIATION;
    int warm = d->n_model >= (uint32_t)p->warmup;
    int bin = surprise_bin(d->surprise);
    if (warm)
        score = rarity(d, bin, p);

    /* CUSUM on standardised residuals: a confirmed shift is reported, then absorbed */
    d->cusum_pos = fmax(0.0, d->cusum_pos + zc - p->cusum_k);
    d->cusum_neg = fmax(0.0, d->cusum_neg - zc - p->cusum_k);
    if (d->cusum_pos > 0 || d->cusum_neg > 0) {
        if (d->run_n == 0)
            d->run_start = t;
        d->run_sum += e;
        d->run_n++;
    } else {
        d->run_sum = 0;
        d->run_n = 0;
    }
    int shifted = 0;
    if (d->cusum_pos > p->cusum_h || d->cusum_neg > p->cusum_h) {
        /* only the baseline in use moves: a daily step is a shift to the flat model, not to
         * the seasonal one that is still learning it */
        if (d->season_on)
            d->level += d->run_sum / d->run_n;
        else
            d->flat += d->run_sum / d->run_n;
        d->cusum_pos = d->cusum_neg = d->run_sum = 0;
        d->run_n = 0;
        d->surprise = 0;
        shifted = 1;
        if (warm && p->shift_score > score) {
            score = p->shift_score;
            kind = LS_ANOMALY_SHIFT;
        }
    }

    /* a new extreme: beyond the range seen by a margin, and far from what was expected (a
     * trend's new highs are expected); the range fades slowly, so an old spike ages out */
    double range = d->seen_hi - d->seen_lo;
    if (warm && p->novelty > score && fabs(zc) >= p->novelty_z &&
        (y > d->seen_hi + p->novelty_margin * range ||
         y < d->seen_lo - p->novelty_margin * range)) {
        score = p->novelty;
        kind = LS_ANOMALY_EXTREME;
    }
    /* a value inside the range, but where the series has seldom been (a level between its
     * usual ones, a plateau halfway up to its spikes), and far from what was expected */
    if (warm && p->rare > score && fabs(zc) >= p->rare_z && seldom(d, range_part(d, y), p)) {
        score = p->rare;
        kind = LS_ANOMALY_RARE;
    }
    double fade = weight(p->novelty_decay, k), centre = d->season_on ? pred_seas : d->flat;
    d->seen_hi -= fade * (d->seen_hi - centre);
    d->seen_lo -= fade * (d->seen_lo - centre);
    double was_lo = d->seen_lo, was_hi = d->seen_hi;
    if (d->n_model <= 1 || y > d->seen_hi)
        d->seen_hi = y;
    if (d->n_model <= 1 || y < d->seen_lo)
        d->seen_lo = y;
    if (d->n_model > 1 && (d->seen_lo < was_lo || d->seen_hi > was_hi))
        visits_regrid(d, was_lo, was_hi, p);
    visit(d, range_part(d, y), p);

    /* refractory: an episode already reported is not reported again unless it worsens */
    if (d->quiet > 0) {
        d->quiet--;
        if (score <= d->peak)
            score *= 0.5;
        else
            d->peak = score;
    } else if (score >= p->episode_level && p->refractory > 0) {
        d->quiet = (uint32_t)p->refractory;
        d->peak = score;
    }

    r.score = score;
    r.kind = warm ? kind : LS_ANOMALY_WARMUP;
    r.lo = pred - LS_ANOMALY_RANGE_SIGMAS * sigma;
    r.hi = pred + LS_ANOMALY_RANGE_SIGMAS * sigma;
    if (score >= p->episode_level) {
        if (d->since == 0)
            d->since = kind == LS_ANOMALY_SHIFT ? d->run_start : t;
    } else if (score < 0.5 * p->episode_level) {
        d->since = 0;
    }
    r.since = d->since;

    /* learn: robust (clipped) updates, after scoring */
    double aL = weight(p->alpha_level, k), aS = weight(p->alpha_scale, k);
    double aLong = fmax(weight(p->alpha_long, k), 1.0 / (d->n_model + 1));
    double lim = p->huber * sigma;
    if (shifted) { /* the CUSUM moved the baseline in use already */
        e = 0;
    }
    double e_flat = y - d->flat, e_seas = y - pred_seas;
    /* does the time of day explain the spread around the slow level? */
    d->err_flat += aLong * (fabs(y - d->level) - d->err_flat);
    d->err_seas += aLong * (fabs(e_seas) - d->err_seas);
    d->scale_slow += aLong * (fabs(e) - d->scale_slow);
    d->flat += aL * clampd(e_flat, -lim, lim);
    /* Holt-Winters: the level follows the deseasonalised value, the buckets what is left */
    /* the seasonal model clips at its own scale: while it learns, its residuals are large */
    double lim_s = p->huber * SIGMA_PER_MAD * fmax(d->err_seas, d->scale);
    d->level += weight(p->alpha_hw, k) * clampd(e_seas, -lim_s, lim_s);
    double rs = clampd(y - d->level - s_now, -lim_s, lim_s);
    d->season[si] += (float)(p->gamma_season * rs);
    double base = SIGMA_PER_MAD * fmax(d->season_on ? d->scale : d->err_seas, 1e-12);
    spread_learn(d, si, fabs(e_seas) / base, p->gamma_season);
    d->scale += aS * (fmin(fabs(e), lim) / spread - d->scale);
    if (d->n_model < 8 && d->scale < fabs(e)) /* early: let scale reach the noise quickly */
        d->scale = 0.5 * (d->scale + fabs(e));
    d->season_on = (double)(t - d->t_first) / 1e6 >= SEASON_MIN_SPAN &&
                   d->err_seas < p->season_gain * d->err_flat;
    /* the surprise histogram learns after scoring, so a new extreme is judged by the past */
    for (int b = 0; b < LS_ANOMALY_BINS; b++)
        d->hist[b] *= (float)(1.0 - aLong);
    d->hist[bin] += (float)aLong;
    d->sur_mass = d->sur_mass * (1.0 - aLong) + aLong;
    d->n_model++;

    r.detector = ls_anomaly_kind_name(r.kind);
    *out = r;
    return LS_OK;
}
