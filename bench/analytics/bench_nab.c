/* bench_nab: runs analytics/anomaly.c (the library code the service runs) over the 58 NAB
 * series and scores it by NAB's rules (nab.c), beside a rolling z-score and a random detector
 * on the same data, and a split (tune on the even-numbered files, report the odd ones too).
 * Usage: bench_nab NAB_DIR [--set name=value]... [--tune] [--validate] [--per-file]
 *        [--zscore-window N]
 *        bench_nab - --noise [--set ...]: red samples of the detector on pure Gaussian noise */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/anomaly.h"
#include "analytics/colour.h"
#include "bench/analytics/nab.h"
#include "common/time.h"

enum detector { DET_LANDSCAPE, DET_ZSCORE, DET_RANDOM };

static size_t zscore_window = 1000;
/* The baselines' calibration never saturates (ties at 1.0 would cost them the threshold). */
#define BASELINE_LOGP_FULL 300.0

/* Our detector: one state per file, the data's own timestamps. */
static void run_landscape(double *out, const struct nab_file *f, const struct ls_anomaly_params *p)
{
    struct ls_anomaly d;
    ls_anomaly_init(&d);
    for (size_t r = 0; r < f->n; r++) {
        struct ls_anomaly_result res;
        out[r] = ls_anomaly_update(&res, &d, p, f->t[r], f->v[r], NULL) == LS_OK ? res.score : 0;
    }
}

/* A plain z-score over a rolling window of the previous zscore_window values. */
static void run_zscore(double *out, const struct nab_file *f)
{
    double sum = 0, sum2 = 0;
    for (size_t r = 0; r < f->n; r++) {
        size_t m = r < zscore_window ? r : zscore_window;
        out[r] = 0;
        if (m >= 2) {
            double mean = sum / (double)m;
            double var = sum2 / (double)m - mean * mean;
            double sd = var > 1e-18 ? sqrt(var) : 1e-9;
            out[r] = ls_anomaly_calibrate(fabs(f->v[r] - mean) / sd, BASELINE_LOGP_FULL);
        }
        sum += f->v[r];
        sum2 += f->v[r] * f->v[r];
        if (r >= zscore_window) {
            sum -= f->v[r - zscore_window];
            sum2 -= f->v[r - zscore_window] * f->v[r - zscore_window];
        }
    }
}

/* Uniform scores from xorshift64*, seeded per file and run. */
static void run_random(double *out, const struct nab_file *f, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t r = 0; r < f->n; r++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        out[r] = (double)((s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
    }
}

/* Pure noise: `series` seeded series of `n` N(50, 5^2) samples a minute apart; how many
 * samples score red (the colour's threshold) per series. What no detector should flag. */
static double noise_reds(const struct ls_anomaly_params *p, int series, int n)
{
    struct ls_colour_params cp;
    ls_colour_params_default(&cp);
    long reds = 0;
    for (int k = 0; k < series; k++) {
        uint64_t s = 0x9E3779B97F4A7C15ULL * (uint64_t)(k + 1);
        struct ls_anomaly d;
        ls_anomaly_init(&d);
        for (int i = 0; i < n; i++) {
            double u[2];
            for (int j = 0; j < 2; j++) {
                s ^= s >> 12;
                s ^= s << 25;
                s ^= s >> 27;
                u[j] = ((double)((s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
            }
            double x = 50 + 5 * sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
            struct ls_anomaly_result r;
            int64_t t = INT64_C(1700000000000000) + (int64_t)i * 60000000;
            if (ls_anomaly_update(&r, &d, p, t, x, NULL) == LS_OK && r.score >= cp.red)
                reds++;
        }
    }
    return (double)reds / series;
}

static void run(double **scores,
                const struct nab_corpus *c,
                enum detector det,
                const struct ls_anomaly_params *p,
                uint64_t seed)
{
    for (size_t i = 0; i < c->nfiles; i++) {
        if (det == DET_LANDSCAPE)
            run_landscape(scores[i], &c->files[i], p);
        else if (det == DET_ZSCORE)
            run_zscore(scores[i], &c->files[i]);
        else
            run_random(scores[i], &c->files[i], seed * 1000 + i);
    }
}

/* Normalised scores of the three profiles; thresholds optimised on `subset`. */
static void score3(double norm[NAB_PROFILES],
                   double thr[NAB_PROFILES],
                   const struct nab_corpus *c,
                   double **scores,
                   const unsigned char *subset,
                   const double *fixed)
{
    for (int k = 0; k < NAB_PROFILES; k++) {
        struct nab_result r;
        nab_score(&r, c, scores, subset, &nab_profiles[k], fixed ? fixed[k] : NAN);
        norm[k] = r.normalised;
        if (thr)
            thr[k] = r.threshold;
    }
}

static double standard_on(const struct nab_corpus *c,
                          double **scores,
                          const struct ls_anomaly_params *p,
                          const unsigned char *subset)
{
    run(scores, c, DET_LANDSCAPE, p, 0);
    struct nab_result r;
    nab_score(&r, c, scores, subset, &nab_profiles[0], NAN);
    return r.normalised;
}

/* Coordinate search over the parameter table, on the tuning half only. */
static void tune(struct ls_anomaly_params *p,
                 const struct nab_corpus *c,
                 double **scores,
                 const unsigned char *half)
{
    static const double factors[] = {0.5, 0.75, 1.33, 2.0};
    double best = standard_on(c, scores, p, half);
    printf("tune: start %.2f (standard, tuning half)\n", best);
    for (int round = 0; round < 2; round++) {
        for (const struct ls_anomaly_param_def *d = ls_anomaly_param_table; d->name; d++) {
            double *v = (double *)((char *)p + d->offset);
            double orig = *v, keep = orig;
            for (size_t f = 0; f < sizeof factors / sizeof factors[0]; f++) {
                double cand = orig == 0 ? factors[f] - 0.5 : orig * factors[f];
                if (cand < d->lo || cand > d->hi)
                    continue;
                *v = cand;
                double s = standard_on(c, scores, p, half);
                if (s > best + 0.05) {
                    best = s;
                    keep = cand;
                }
            }
            *v = keep;
            if (keep != orig)
                printf("tune: %s %g -> %g: %.2f\n", d->name, orig, keep, best);
        }
    }
    printf("tune: reproduce with");
    for (const struct ls_anomaly_param_def *d = ls_anomaly_param_table; d->name; d++)
        printf(" --set %s=%g", d->name, *(double *)((const char *)p + d->offset));
    printf("\n");
}

static void print_row(const char *name, const double n[NAB_PROFILES])
{
    printf("| %-34s | %8.1f | %8.1f | %8.1f |\n", name, n[0], n[1], n[2]);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr,
                "usage: %s NAB_DIR [--set name=value]... [--tune] [--validate] "
                "[--per-file] [--zscore-window N]\n       %s - --noise [--set name=value]...\n",
                argv[0], argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    struct ls_anomaly_params p;
    ls_anomaly_params_default(&p);
    int do_tune = 0, do_validate = 0, per_file = 0, baselines = 1, noise = 0;
    const char *dump = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--tune") == 0) {
            do_tune = 1;
        } else if (strcmp(argv[i], "--noise") == 0) {
            noise = 1;
        } else if (strcmp(argv[i], "--validate") == 0) {
            do_validate = 1;
        } else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            dump = argv[++i];
        } else if (strcmp(argv[i], "--no-baselines") == 0) {
            baselines = 0;
        } else if (strcmp(argv[i], "--per-file") == 0) {
            per_file = 1;
        } else if (strcmp(argv[i], "--zscore-window") == 0 && i + 1 < argc) {
            zscore_window = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            char name[64];
            const char *eq = strchr(argv[++i], '=');
            struct ls_err err = {0};
            if (!eq || (size_t)(eq - argv[i]) >= sizeof name) {
                fprintf(stderr, "--set: expected name=value\n");
                return 2;
            }
            memcpy(name, argv[i], (size_t)(eq - argv[i]));
            name[eq - argv[i]] = '\0';
            if (ls_anomaly_params_set(&p, name, strtod(eq + 1, NULL), &err) != LS_OK) {
                fprintf(stderr, "--set: %s\n", err.msg);
                return 2;
            }
        } else {
            fprintf(stderr, "unknown argument: %s\n", argv[i]);
            return 2;
        }
    }
    if (noise) {
        printf("pure noise: %.3f red samples per series (200 series x 5000 Gaussian samples)\n",
               noise_reds(&p, 200, 5000));
        return 0;
    }
    struct nab_corpus c;
    struct ls_err err = {0};
    if (nab_load(&c, dir, &err) != LS_OK) {
        fprintf(stderr, "bench_nab: %s\n", err.msg);
        return 1;
    }
    size_t rows = 0, nwin = 0;
    double **scores = calloc(c.nfiles, sizeof *scores);
    unsigned char *even = calloc(c.nfiles, 1), *odd = calloc(c.nfiles, 1);
    for (size_t i = 0; i < c.nfiles; i++) {
        scores[i] = calloc(c.files[i].n, sizeof **scores);
        rows += c.files[i].n;
        nwin += c.files[i].nwin;
        even[i] = i % 2 == 0;
        odd[i] = i % 2 == 1;
    }
    printf("NAB: %zu files, %zu rows, %zu windows; detector state %zu bytes per series\n", c.nfiles,
           rows, nwin, sizeof(struct ls_anomaly));
    int rc = 0;
    for (size_t i = 0; dump && i < c.nfiles; i++) {
        if (!strstr(c.files[i].name, dump))
            continue;
        /* one file's verdicts, row by row: for looking at what the detector does */
        struct ls_anomaly d;
        ls_anomaly_init(&d);
        for (size_t r = 0; r < c.files[i].n; r++) {
            struct ls_anomaly_result res = {0};
            int in = 0;
            for (size_t w = 0; w < c.files[i].nwin; w++)
                in |= r >= c.files[i].win[w][0] && r <= c.files[i].win[w][1];
            if (ls_anomaly_update(&res, &d, &p, c.files[i].t[r], c.files[i].v[r], NULL) == LS_OK)
                printf("%zu %g %.4f %s %g %g %d %g %g\n", r, c.files[i].v[r], res.score,
                       res.detector, res.lo, res.hi, in, d.err_flat, d.err_seas);
        }
        return 0;
    }
    if (do_validate)
        rc = nab_validate(dir, &c, stdout);
    if (do_tune)
        tune(&p, &c, scores, even);

    double n[NAB_PROFILES], thr[NAB_PROFILES];
    printf("\n| detector (normalised NAB score)    | standard |   low FP |   low FN |\n");
    printf("| ---------------------------------- | -------- | -------- | -------- |\n");
    long long t0 = ls_time_mono_ns();
    run(scores, &c, DET_LANDSCAPE, &p, 0);
    double ns_per = (double)(ls_time_mono_ns() - t0) / (double)rows;
    score3(n, thr, &c, scores, NULL, NULL);
    print_row("landscape (all 58 files)", n);
    struct nab_result counts;
    nab_score(&counts, &c, scores, NULL, &nab_profiles[0], thr[0]);
    for (size_t i = 0; per_file && i < c.nfiles; i++) {
        unsigned char *one = calloc(c.nfiles, 1);
        one[i] = 1;
        struct nab_result r;
        nab_score(&r, &c, scores, one, &nab_profiles[0], thr[0]);
        fprintf(stderr, "file %-56s raw %7.3f tp %zu fp %zu fn %zu\n", c.files[i].name, r.raw, r.tp,
                r.fp, r.fn);
        free(one);
    }
    double na[NAB_PROFILES], nb[NAB_PROFILES], nbf[NAB_PROFILES], thr_a[NAB_PROFILES];
    score3(na, thr_a, &c, scores, even, NULL);
    score3(nb, NULL, &c, scores, odd, NULL);
    score3(nbf, NULL, &c, scores, odd, thr_a);
    print_row("landscape, tuning half (even files)", na);
    print_row("landscape, held-out half (odd)", nb);
    print_row("  held-out, tuning half's threshold", nbf);
    /* the service's own operating point: red (analytics/colour.h), the same for every profile */
    struct ls_colour_params cp;
    ls_colour_params_default(&cp);
    double red[NAB_PROFILES], nred[NAB_PROFILES];
    for (int k = 0; k < NAB_PROFILES; k++)
        red[k] = cp.red;
    score3(nred, NULL, &c, scores, NULL, red);
    char red_name[64];
    snprintf(red_name, sizeof red_name, "landscape at the colour's red (%.2f)", cp.red);
    print_row(red_name, nred);
    struct nab_result at_red;
    nab_score(&at_red, &c, scores, NULL, &nab_profiles[0], cp.red);
    if (!baselines)
        goto out;
    run(scores, &c, DET_ZSCORE, &p, 0);
    score3(n, NULL, &c, scores, NULL, NULL);
    char name[64];
    snprintf(name, sizeof name, "z-score (rolling %zu)", zscore_window);
    print_row(name, n);
    double rs[NAB_PROFILES] = {0};
    const int seeds = 10;
    for (int s = 1; s <= seeds; s++) {
        run(scores, &c, DET_RANDOM, &p, (uint64_t)s);
        score3(n, NULL, &c, scores, NULL, NULL);
        for (int k = 0; k < NAB_PROFILES; k++)
            rs[k] += n[k] / seeds;
    }
    print_row("random (mean of 10 seeds)", rs);
out:
    printf("\nthresholds (landscape, all files): standard %.4f, low FP %.4f, low FN %.4f\n", thr[0],
           thr[1], thr[2]);
    printf("landscape detector: %.0f ns per sample (one thread, %zu samples)\n", ns_per, rows);
    printf("landscape, standard: %zu windows detected, %zu missed, %zu false positives\n",
           counts.tp, counts.fn, counts.fp);
    printf("landscape at red %.2f: %zu windows detected, %zu missed, %zu false positives\n", cp.red,
           at_red.tp, at_red.fn, at_red.fp);
    for (size_t i = 0; i < c.nfiles; i++)
        free(scores[i]);
    free(scores);
    free(even);
    free(odd);
    nab_free(&c);
    return rc;
}
