/* NAB corpus loading and scoring (nab.h). The rules, in our words: each window rewards its
 * earliest detection with tp x sigmoid(position) scaled to 1 at the window's first row; a
 * detection outside every window costs fp x sigmoid(distance past the previous window) (the
 * full fp before any window); a window without detection costs fn; the first 15 % of a file
 * (at most 750 rows) is not scored. */
#include "bench/analytics/nab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/time.h"

struct nab_profile nab_profiles[NAB_PROFILES] = {
    {"standard", 1.0, 0.11, 1.0},
    {"reward_low_FP_rate", 1.0, 0.22, 1.0},
    {"reward_low_FN_rate", 1.0, 0.11, 2.0},
};

double nab_scaled_sigmoid(double x)
{
    if (x >= 3.0)
        return -1.0;
    return 2.0 / (1.0 + exp(5.0 * x)) - 1.0;
}

static int load_csv(struct nab_file *f, const char *path, struct ls_err *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return ls_err_set(err, LS_ENOTFOUND, "nab_missing", "%s: cannot open", path);
    size_t cap = 4096;
    f->t = ls_xmalloc(cap * sizeof *f->t);
    f->v = ls_xmalloc(cap * sizeof *f->v);
    f->n = 0;
    char line[256];
    int rc = LS_OK, first = 1;
    while (fgets(line, sizeof line, fp)) {
        if (first) { /* header: timestamp,value */
            first = 0;
            continue;
        }
        char *comma = strchr(line, ',');
        if (!comma) {
            rc = ls_err_set(err, LS_EINVAL, "nab_csv", "%s: row %zu: no comma", path, f->n + 2);
            break;
        }
        *comma = '\0';
        char *end;
        double v = strtod(comma + 1, &end);
        int64_t t;
        if (end == comma + 1 || ls_time_parse_rfc3339(&t, line, err) != LS_OK) {
            rc = ls_err_set(err, LS_EINVAL, "nab_csv", "%s: row %zu: bad row", path, f->n + 2);
            break;
        }
        if (f->n == cap) {
            cap *= 2;
            f->t = ls_xrealloc(f->t, cap * sizeof *f->t);
            f->v = ls_xrealloc(f->v, cap * sizeof *f->v);
        }
        f->t[f->n] = t;
        f->v[f->n] = v;
        f->n++;
    }
    fclose(fp);
    /* NAB: probation = min(floor(0.15 n), 0.15 x 5000) */
    size_t prob = (size_t)floor(0.15 * (double)f->n);
    f->probation = prob < 750 ? prob : 750;
    return rc;
}

/* Maps window timestamps onto rows: first row at or after the start, last at or before the
 * end (NAB's windows fall on rows exactly). */
static int load_windows(struct nab_file *f, json_t *wins, struct ls_err *err)
{
    f->nwin = json_array_size(wins);
    f->win = ls_xcalloc(f->nwin ? f->nwin : 1, sizeof *f->win);
    for (size_t w = 0; w < f->nwin; w++) {
        json_t *pair = json_array_get(wins, w);
        int64_t ts[2];
        for (int k = 0; k < 2; k++) {
            const char *s = json_string_value(json_array_get(pair, (size_t)k));
            if (!s || ls_time_parse_rfc3339(&ts[k], s, err) != LS_OK)
                return ls_err_set(err, LS_EINVAL, "nab_windows", "%s: window %zu: bad time",
                                  f->name, w);
        }
        size_t a = 0, b = f->n;
        while (a < f->n && f->t[a] < ts[0])
            a++;
        while (b > 0 && f->t[b - 1] > ts[1])
            b--;
        if (a >= b)
            return ls_err_set(err, LS_EINVAL, "nab_windows", "%s: window %zu: no rows", f->name, w);
        f->win[w][0] = a;
        f->win[w][1] = b - 1;
    }
    return LS_OK;
}

static void load_profiles(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config/profiles.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    if (!root)
        return; /* the published defaults above stand */
    for (int i = 0; i < NAB_PROFILES; i++) {
        json_t *cm = json_object_get(json_object_get(root, nab_profiles[i].name), "CostMatrix");
        if (!cm)
            continue;
        nab_profiles[i].tp = json_number_value(json_object_get(cm, "tpWeight"));
        nab_profiles[i].fp = json_number_value(json_object_get(cm, "fpWeight"));
        nab_profiles[i].fn = json_number_value(json_object_get(cm, "fnWeight"));
    }
    json_decref(root);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct nab_file *)a)->name, ((const struct nab_file *)b)->name);
}

int nab_load(struct nab_corpus *out, const char *dir, struct ls_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/labels/combined_windows.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return ls_err_set(err, LS_ENOTFOUND, "nab_missing", "%s: %s", path, jerr.text);
    load_profiles(dir);
    struct nab_corpus c = {.files = ls_xcalloc(json_object_size(root) + 1, sizeof *c.files)};
    const char *key;
    json_t *wins;
    int rc = LS_OK;
    json_object_foreach(root, key, wins)
    {
        struct nab_file *f = &c.files[c.nfiles++];
        f->name = ls_xstrdup(key);
        snprintf(path, sizeof path, "%s/data/%s", dir, key);
        if ((rc = load_csv(f, path, err)) != LS_OK || (rc = load_windows(f, wins, err)) != LS_OK)
            break;
    }
    json_decref(root);
    if (rc != LS_OK) {
        nab_free(&c);
        return rc;
    }
    qsort(c.files, c.nfiles, sizeof *c.files, cmp_name);
    *out = c;
    return LS_OK;
}

void nab_free(struct nab_corpus *c)
{
    for (size_t i = 0; i < c->nfiles; i++) {
        free(c->files[i].name);
        free(c->files[i].t);
        free(c->files[i].v);
        free(c->files[i].win);
    }
    free(c->files);
    c->files = NULL;
    c->nfiles = 0;
}

struct point {
    double s;
    uint32_t file, row;
};

static int cmp_point(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Where a row lies: inside window `in` (or -1), else after window `prev` (or -1). */
static void locate(const struct nab_file *f, size_t row, long *in, long *prev)
{
    *in = -1;
    *prev = -1;
    for (size_t w = 0; w < f->nwin; w++) {
        if (row < f->win[w][0])
            break;
        if (row <= f->win[w][1]) {
            *in = (long)w;
            return;
        }
        *prev = (long)w;
    }
}

/* Reward of the earliest detection at `row` inside window w: 1 x tp at its first row. */
static double tp_reward(const struct nab_file *f, size_t w, size_t row, const struct nab_profile *p)
{
    double width = (double)(f->win[w][1] - f->win[w][0] + 1);
    double pos = ((double)row - (double)f->win[w][1] - 1.0) / width;
    return p->tp * nab_scaled_sigmoid(pos) / nab_scaled_sigmoid(-1.0);
}

/* Cost (negative) of a detection at `row` outside every window, after window prev. */
static double fp_cost(const struct nab_file *f, long prev, size_t row, const struct nab_profile *p)
{
    if (prev < 0)
        return -p->fp;
    double width = (double)(f->win[prev][1] - f->win[prev][0] + 1);
    double pos = ((double)row - (double)f->win[prev][1]) / (width - 1.0);
    return p->fp * nab_scaled_sigmoid(pos);
}

void nab_score(struct nab_result *out,
               const struct nab_corpus *c,
               double *const *scores,
               const unsigned char *subset,
               const struct nab_profile *prof,
               double threshold)
{
    size_t npts = 0, nwin = 0;
    size_t *win_base = ls_xcalloc(c->nfiles + 1, sizeof *win_base);
    for (size_t i = 0; i < c->nfiles; i++) {
        win_base[i] = nwin;
        if (subset && !subset[i])
            continue;
        nwin += c->files[i].nwin;
        npts += c->files[i].n - c->files[i].probation;
    }
    struct point *pts = ls_xmalloc((npts ? npts : 1) * sizeof *pts);
    size_t k = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        if (subset && !subset[i])
            continue;
        for (size_t r = c->files[i].probation; r < c->files[i].n; r++)
            pts[k++] = (struct point){scores[i][r], (uint32_t)i, (uint32_t)r};
    }
    qsort(pts, npts, sizeof *pts, cmp_point);
    size_t *earliest = ls_xmalloc((nwin ? nwin : 1) * sizeof *earliest);
    for (size_t w = 0; w < nwin; w++)
        earliest[w] = SIZE_MAX;

    double null_raw = -prof->fn * (double)nwin;
    struct nab_result best = {.threshold = 2.0, .raw = null_raw, .fn = nwin};
    double total = null_raw;
    size_t tp = 0, fp = 0;
    int fixed = !isnan(threshold);
    for (size_t j = 0; j < npts; j++) {
        const struct point *pt = &pts[j];
        if (fixed && pt->s < threshold)
            break;
        const struct nab_file *f = &c->files[pt->file];
        long in, prev;
        locate(f, pt->row, &in, &prev);
        if (in >= 0) {
            size_t g = win_base[pt->file] + (size_t)in;
            if (earliest[g] == SIZE_MAX) {
                total += prof->fn + tp_reward(f, (size_t)in, pt->row, prof);
                earliest[g] = pt->row;
                tp++;
            } else if (pt->row < earliest[g]) {
                total += tp_reward(f, (size_t)in, pt->row, prof) -
                         tp_reward(f, (size_t)in, earliest[g], prof);
                earliest[g] = pt->row;
            }
        } else {
            total += fp_cost(f, prev, pt->row, prof);
            fp++;
        }
        /* a threshold is a distinct score value: evaluate once its last row is in */
        if (j + 1 < npts && pts[j + 1].s == pt->s)
            continue;
        if (fixed || total > best.raw) {
            best.threshold = fixed ? threshold : pt->s;
            best.raw = total;
            best.tp = tp;
            best.fp = fp;
            best.fn = nwin - tp;
        }
    }
    if (fixed && best.threshold == 2.0)
        best.threshold = threshold;
    best.null_raw = null_raw;
    best.perfect_raw = prof->tp * (double)nwin;
    double span = best.perfect_raw - best.null_raw;
    best.normalised = span > 0 ? 100.0 * (best.raw - best.null_raw) / span : 0.0;
    *out = best;
    free(pts);
    free(earliest);
    free(win_base);
}

int nab_validate(const char *dir, const struct nab_corpus *c, FILE *log)
{
    double **scores = ls_xcalloc(c->nfiles + 1, sizeof *scores);
    for (size_t i = 0; i < c->nfiles; i++)
        scores[i] = ls_xcalloc(c->files[i].n + 1, sizeof **scores);
    char path[4096];
    snprintf(path, sizeof path, "%s/config/thresholds.json", dir);
    json_t *thr = json_load_file(path, 0, NULL);
    snprintf(path, sizeof path, "%s/results/final_results.json", dir);
    json_t *fin = json_load_file(path, 0, NULL);
    int bad = 0;
    /* null and perfect detectors, through the scorer itself */
    for (size_t i = 0; i < c->nfiles; i++) {
        memset(scores[i], 0, c->files[i].n * sizeof **scores);
        for (size_t w = 0; w < c->files[i].nwin; w++)
            scores[i][c->files[i].win[w][0]] = 1.0;
    }
    double perfect[NAB_PROFILES], null[NAB_PROFILES];
    for (int k = 0; k < NAB_PROFILES; k++) {
        struct nab_result r;
        nab_score(&r, c, scores, NULL, &nab_profiles[k], NAN);
        perfect[k] = r.normalised;
        nab_score(&r, c, scores, NULL, &nab_profiles[k], 2.0);
        null[k] = r.normalised;
    }
    fprintf(log,
            "validate: perfect detector %.3f %.3f %.3f (expect 100), null %.3f %.3f %.3f "
            "(expect 0)\n",
            perfect[0], perfect[1], perfect[2], null[0], null[1], null[2]);
    for (int k = 0; k < NAB_PROFILES; k++)
        bad |= fabs(perfect[k] - 100.0) > 1e-9 || fabs(null[k]) > 1e-9;
    if (!thr || !fin) {
        fprintf(log, "validate: thresholds.json or final_results.json missing: normalisation check "
                     "skipped\n");
        json_decref(thr);
        json_decref(fin);
        goto out;
    }
    size_t nwin = 0;
    for (size_t i = 0; i < c->nfiles; i++)
        nwin += c->files[i].nwin;
    const char *det;
    json_t *profs;
    int agree = 0, total = 0;
    json_object_foreach(thr, det, profs)
    {
        int ok = 1;
        for (int k = 0; k < NAB_PROFILES; k++) {
            double raw = json_number_value(
                json_object_get(json_object_get(profs, nab_profiles[k].name), "score"));
            double pub =
                json_number_value(json_object_get(json_object_get(fin, det), nab_profiles[k].name));
            double nr = -nab_profiles[k].fn * (double)nwin, pr = nab_profiles[k].tp * (double)nwin;
            double ours = 100.0 * (raw - nr) / (pr - nr);
            ok &= fabs(ours - pub) < 0.01;
        }
        total++;
        agree += ok;
        fprintf(log, "validate: %-18s raw->normalised %s final_results.json\n", det,
                ok ? "matches" : "differs from (stale thresholds.json entry)");
    }
    fprintf(log,
            "validate: %d of %d published detectors' raw scores normalise to their published "
            "scores with %zu windows\n",
            agree, total, nwin);
    bad |= agree < 3; /* ARTime, numenta, contextOSE at least */
    json_decref(thr);
    json_decref(fin);
out:
    for (size_t i = 0; i < c->nfiles; i++)
        free(scores[i]);
    free(scores);
    return bad;
}
