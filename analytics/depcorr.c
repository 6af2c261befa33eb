/* Lagged rank correlation of differenced series, its lower confidence bound, and the maximum
 * spanning forest over node pairs (see depcorr.h). */
#include "analytics/depcorr.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void ls_depcorr_params_default(struct ls_depcorr_params *p)
{
    p->min_overlap = 30;
    p->max_lag = 1;
    p->min_strength = 0.16;
    p->max_nodes = 512;
}

/* Pearson correlation of a[i] and b[i + lag] over the points both have, shrunk to the lower
 * bound of its ~95% confidence interval (Fisher z, the standard error of a rank correlation:
 * sqrt(1.06 / (k - 3))), so a correlation seen on few points counts less than the same one on
 * many; 0 when fewer than min_overlap points, either is constant there, or the bound is not
 * above 0. Returns |r| shrunk. */
static double corr(const double *a, const double *b, size_t n, int lag, size_t min_overlap)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        long j = (long)i + lag;
        if (j < 0 || (size_t)j >= n || isnan(a[i]) || isnan(b[j]))
            continue;
        sa += a[i];
        sb += b[j];
        saa += a[i] * a[i];
        sbb += b[j] * b[j];
        sab += a[i] * b[j];
        k++;
    }
    if (k < min_overlap || k < 5)
        return 0.0;
    double kk = (double)k;
    double va = saa - sa * sa / kk, vb = sbb - sb * sb / kk;
    if (!(va > 1e-12 * (saa + 1e-300)) || !(vb > 1e-12 * (sbb + 1e-300)))
        return 0.0;
    double r = fabs((sab - sa * sb / kk) / sqrt(va * vb));
    if (!isfinite(r))
        return 0.0;
    double z = atanh(fmin(r, 0.999999)) - 1.96 * sqrt(1.06 / (kk - 3.0));
    return z > 0 ? tanh(z) : 0.0;
}

struct ranked {
    double v;
    size_t t;
};

static int by_value(const void *x, const void *y)
{
    const struct ranked *p = x, *q = y;
    if (p->v != q->v)
        return p->v < q->v ? -1 : 1;
    return (p->t > q->t) - (p->t < q->t);
}

/* Replaces x's points (NAN skipped) by their ranks, ties by their mean rank: the Pearson
 * correlation of ranks is Spearman's, which a few shared spikes cannot make large. */
static void to_ranks(double *x, size_t n, struct ranked *tmp)
{
    size_t m = 0;
    for (size_t t = 0; t < n; t++)
        if (!isnan(x[t]))
            tmp[m++] = (struct ranked){x[t], t};
    if (m)
        qsort(tmp, m, sizeof(*tmp), by_value);
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j + 1 < m && tmp[j + 1].v == tmp[i].v)
            j++;
        for (size_t k = i; k <= j; k++)
            x[tmp[k].t] = 0.5 * (double)(i + j);
        i = j + 1;
    }
}

#define MAX_GROUPS 16

struct cand {
    size_t a, b;          /* node indexes, a < b */
    double score;         /* the weighted mean over groups (set once all series are seen) */
    double best;          /* the best single correlation, which decides lag and metric */
    int lag;              /* > 0: b trails a; < 0: a trails b */
    size_t metric;        /* series index (of a) */
    double r[MAX_GROUPS]; /* the best correlation per group */
};

static int by_score(const void *x, const void *y)
{
    const struct cand *p = x, *q = y;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : (p->b > q->b);
}

static size_t find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

int ls_depcorr_infer(const struct ls_depcorr_series *series,
                     size_t n,
                     const struct ls_depcorr_params *pp,
                     const char ***nodes_out,
                     size_t *n_nodes,
                     struct ls_depcorr_link **links_out,
                     size_t *n_links,
                     struct ls_err *err)
{
    struct ls_depcorr_params p;
    if (pp)
        p = *pp;
    else
        ls_depcorr_params_default(&p);
    *nodes_out = NULL;
    *links_out = NULL;
    *n_nodes = *n_links = 0;
    size_t len = n ? series[0].n : 0;
    for (size_t i = 0; i < n; i++)
        if (!series[i].node || !series[i].metric || (!series[i].v && series[i].n) ||
            series[i].n != len || !(series[i].weight >= 0.0 && isfinite(series[i].weight)))
            return ls_err_set(err, LS_EINVAL, "invalid_series",
                              "series %zu: a node, a metric, a weight >= 0 and %zu points are "
                              "required",
                              i, len);
    int rc = LS_OK;
    const char **nodes = ls_xcalloc(n ? n : 1, sizeof(*nodes));
    size_t *node_of = ls_xcalloc(n ? n : 1, sizeof(*node_of));
    double *diff = ls_xcalloc(n * (len ? len : 1) + 1, sizeof(*diff));
    struct cand *c = NULL;
    size_t nn = 0, nc = 0, cap = 0, *parent = NULL, *ix = NULL, ng = 0;
    size_t *group_of = ls_xcalloc(n ? n : 1, sizeof(*group_of));
    struct ranked *rank_tmp = ls_xcalloc(len ? len : 1, sizeof(*rank_tmp));
    const char *groups[MAX_GROUPS];
    double weights[MAX_GROUPS], total_weight = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nn && strcmp(nodes[k], series[i].node) != 0)
            k++;
        if (k == nn) {
            if (nn == p.max_nodes) {
                rc = ls_err_set(err, LS_ELIMIT, "too_many_nodes", "more than %zu nodes",
                                p.max_nodes);
                goto out;
            }
            nodes[nn++] = series[i].node;
        }
        node_of[i] = k;
        const char *gname = series[i].group ? series[i].group : series[i].metric;
        size_t g = 0;
        while (g < ng && strcmp(groups[g], gname) != 0)
            g++;
        if (g == ng) {
            if (ng == MAX_GROUPS) {
                rc = ls_err_set(err, LS_ELIMIT, "too_many_groups", "more than %d groups",
                                MAX_GROUPS);
                goto out;
            }
            groups[ng] = gname;
            weights[ng] = series[i].weight > 0 ? series[i].weight : 1.0;
            total_weight += weights[ng++];
        }
        group_of[i] = g;
        /* differenced: what moved from one point to the next; then ranked */
        double *d = diff + i * len;
        for (size_t t = 0; t < len; t++)
            d[t] = t ? series[i].v[t] - series[i].v[t - 1] : NAN;
        to_ranks(d, len, rank_tmp);
    }
    /* every pair of nodes: the best |r| over shared metric names and lags; ix[a * nn + b] is
     * the pair's candidate + 1 */
    ix = ls_xcalloc(nn * nn + 1, sizeof(*ix));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            size_t a = node_of[i], b = node_of[j];
            if (a == b || strcmp(series[i].metric, series[j].metric) != 0)
                continue;
            size_t lo = a < b ? a : b, hi = a < b ? b : a;
            double best = 0;
            int best_lag = 0;
            for (int lag = -p.max_lag; lag <= p.max_lag; lag++) {
                double r = corr(diff + i * len, diff + j * len, len, lag, p.min_overlap);
                /* a lag must beat lag 0 clearly to say who trails */
                if (r > best + (lag ? 0.05 : 0.0)) {
                    best = r;
                    best_lag = a < b ? lag : -lag; /* > 0: hi trails lo */
                }
            }
            if (best <= 0)
                continue;
            /* one candidate per node pair */
            size_t *slot = &ix[lo * nn + hi];
            if (*slot == 0) {
                if (nc == cap) {
                    cap = cap ? 2 * cap : 256;
                    c = ls_xrealloc(c, cap * sizeof(*c));
                }
                memset(&c[nc], 0, sizeof(c[nc]));
                c[nc].a = lo;
                c[nc].b = hi;
                c[nc].metric = a < b ? i : j;
                nc++;
                *slot = nc;
            }
            struct cand *x = &c[*slot - 1];
            size_t g = group_of[i];
            if (best > x->r[g])
                x->r[g] = best;
            if (best > x->best) {
                x->best = best;
                x->lag = best_lag;
                x->metric = a < b ? i : j;
            }
        }
    }
    for (size_t k = 0; k < nc; k++) {
        double sum = 0;
        for (size_t g = 0; g < ng; g++)
            sum += weights[g] * c[k].r[g];
        c[k].score = total_weight > 0 ? sum / total_weight : 0;
    }
    if (nc)
        qsort(c, nc, sizeof(*c), by_score);
    /* the maximum spanning forest (Kruskal) over links at or above min_strength */
    parent = ls_xcalloc(nn ? nn : 1, sizeof(*parent));
    for (size_t i = 0; i < nn; i++)
        parent[i] = i;
    struct ls_depcorr_link *links = ls_xcalloc(nn ? nn : 1, sizeof(*links));
    size_t nl = 0;
    for (size_t k = 0; k < nc && c[k].score >= p.min_strength && c[k].score > 0.0; k++) {
        size_t ra = find(parent, c[k].a), rb = find(parent, c[k].b);
        if (ra == rb)
            continue;
        parent[ra] = rb;
        struct ls_depcorr_link *l = &links[nl++];
        bool flip = c[k].lag < 0; /* a trails b: b leads, b is the caller */
        l->caller = flip ? c[k].b : c[k].a;
        l->callee = flip ? c[k].a : c[k].b;
        l->lag_steps = abs(c[k].lag);
        l->strength = c[k].score;
        l->metric = c[k].metric;
    }
    *links_out = links;
    *n_links = nl;
    *nodes_out = nodes;
    *n_nodes = nn;
    nodes = NULL;
out:
    free(nodes);
    free(node_of);
    free(diff);
    free(c);
    free(ix);
    free(group_of);
    free(rank_tmp);
    free(parent);
    return rc;
}
