/* PetShop root-cause benchmark: every issue of every scenario with a normal-operation table,
 * ranked by analytics/rca with each method (ours, plain z-score, random over many seeds) on
 * the same series, graph and baseline; top-1/top-3 per scenario and symptom, and on windows of
 * normal operation how often no cause is named. Prints a table (docs/benchmarks.md).
 * Usage: bench_petshop DATASET_DIR [-v] [--z Z] [--series a,b,...] [--split train|test|all]
 *        [--from-symptom]
 * --from-symptom: rank only the symptom's node and what it calls, directly or not (the call
 * graph from target.json's node) — what POST /v1/analytics/rca's "nodes" does when an operator
 * starts from the symptom, and what the published baseline (a traversal from the symptom) is
 * given. Without it every node's series are ranked and the method must find the symptom too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/rca.h"
#include "bench/analytics/petshop.h"
#include "model/change.h"
#include "model/graph.h"

#define RANDOM_SEEDS   200
#define NOISSUE_WINDOW 5   /* rows, as the issue windows */
#define NOISSUE_BASE   288 /* rows of baseline before the normal windows scored (24 h) */

static const char *const scenarios[] = {"low_traffic", "high_traffic", "temporal_traffic1",
                                        "temporal_traffic2"};

struct opts {
    int verbose;
    double z;
    const char *series; /* comma list of "metric/statistic" used; NULL = all */
    const char *split;
    int from_symptom;
};

struct tally {
    size_t n, top1[LS_RCA_METHOD_COUNT], top3[LS_RCA_METHOD_COUNT];
    double rtop1, rtop3; /* random: expected over seeds */
};

static bool series_used(const struct opts *o, const char *s)
{
    if (!o->series)
        return true;
    size_t len = strlen(s);
    for (const char *p = o->series; (p = strstr(p, s)); p += len)
        if ((p == o->series || p[-1] == ',') && (p[len] == ',' || p[len] == 0))
            return true;
    return false;
}

static struct ls_graph *build_graph(const struct ps_graph *pg, const struct ps_table *t)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("petshop");
    for (size_t i = 0; i < pg->n; i++)
        if (ls_change_put_node_new(cs, pg->names[i], "service", pg->names[i], "up", NULL, NULL,
                                   NULL) != LS_OK)
            abort();
    for (size_t c = 0; t && c < t->n_cols; c++)
        if (ls_change_put_node_new(cs, t->node[c], "service", t->node[c], "up", NULL, NULL, NULL) !=
            LS_OK)
            abort();
    for (size_t e = 0; e < pg->n_edges; e++) /* caller depends_on callee */
        if (ls_change_put_edge_new(cs, pg->names[pg->edges[e][0]], LS_EDGE_DEPENDS_ON,
                                   pg->names[pg->edges[e][1]], NULL, LS_ESRC_IMPORTED, 1.0,
                                   NULL) != LS_OK)
            abort();
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(g, cs, 1000000, &p, &err) != LS_OK) {
        fprintf(stderr, "graph: %s\n", err.msg);
        abort();
    }
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
    return g;
}

/* Values of column c in rows [r0, r1), NaNs skipped, into a new array; with `times`, their
 * rows' times (µs) into another, as the service passes a series' timestamps (a series with an
 * empty row keeps its other points in their place). */
static double *
column(const struct ps_table *t, size_t c, size_t r0, size_t r1, size_t *n, int64_t **times)
{
    size_t cap = r1 > r0 ? r1 - r0 : 1;
    double *v = ls_xmalloc(cap * sizeof *v);
    if (times)
        *times = ls_xmalloc(cap * sizeof **times);
    *n = 0;
    for (size_t r = r0; r < r1 && r < t->n_rows; r++) {
        double x = t->v[r * t->n_cols + c];
        if (!isfinite(x))
            continue;
        if (times)
            (*times)[*n] = (int64_t)llround(t->ts[r] * 1e6);
        v[(*n)++] = x;
    }
    return v;
}

/* Series of `win` rows [w0, w1) against `base` rows [b0, b1) (the same table or another). */
struct case_series {
    struct ls_rca_series *s;
    size_t n;
};

static struct case_series make_series(const struct opts *o,
                                      const struct ps_table *win,
                                      size_t w0,
                                      size_t w1,
                                      const struct ps_table *base,
                                      size_t b0,
                                      size_t b1)
{
    struct case_series cs = {ls_xcalloc(win->n_cols, sizeof *cs.s), 0};
    for (size_t c = 0; c < win->n_cols; c++) {
        if (!series_used(o, win->series[c]))
            continue;
        long bc = base == win ? (long)c : ps_table_col(base, win->node[c], win->series[c]);
        if (bc < 0)
            continue;
        struct ls_rca_series *s = &cs.s[cs.n];
        *s = (struct ls_rca_series){.node = win->node[c], .metric = win->series[c], .score = -1};
        int64_t *tw;
        double *wv = column(win, c, w0, w1, &s->n_win, &tw);
        double *bv = column(base, (size_t)bc, b0, b1, &s->n_base, NULL);
        s->win = wv;
        s->t_win = tw;
        s->base = bv;
        if (s->n_win == 0 || s->n_base < 3) {
            free(wv);
            free(tw);
            free(bv);
            continue;
        }
        cs.n++;
    }
    return cs;
}

/* Keeps only the series of `from` and the nodes it calls, directly or not (pg's edges). */
static void keep_reachable(struct case_series *cs, const struct ps_graph *pg, const char *from)
{
    bool *in = ls_xcalloc(pg->n ? pg->n : 1, sizeof *in);
    size_t *queue = ls_xcalloc(pg->n ? pg->n : 1, sizeof *queue);
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < pg->n; i++)
        if (strcmp(pg->names[i], from) == 0) {
            in[i] = true;
            queue[tail++] = i;
        }
    while (head < tail) {
        size_t u = queue[head++];
        for (size_t e = 0; e < pg->n_edges; e++)
            if (pg->edges[e][0] == u && !in[pg->edges[e][1]]) {
                in[pg->edges[e][1]] = true;
                queue[tail++] = pg->edges[e][1];
            }
    }
    size_t kept = 0;
    for (size_t k = 0; k < cs->n; k++) {
        bool keep = strcmp(cs->s[k].node, from) == 0;
        for (size_t i = 0; i < pg->n && !keep; i++)
            keep = in[i] && strcmp(pg->names[i], cs->s[k].node) == 0;
        if (keep)
            cs->s[kept++] = cs->s[k];
        else {
            free((void *)cs->s[k].win);
            free((void *)cs->s[k].t_win);
            free((void *)cs->s[k].base);
        }
    }
    cs->n = kept;
    free(in);
    free(queue);
}

static void free_series(struct case_series *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free((void *)cs->s[i].win);
        free((void *)cs->s[i].t_win);
        free((void *)cs->s[i].base);
    }
    free(cs->s);
}

/* Parameters from the options, and RCA_WINDOW_POINTS / RCA_REL_FLOOR for tuning runs. */
static void tune(struct ls_rca_params *p, const struct opts *o)
{
    p->z_threshold = o->z;
    const char *e = getenv("RCA_WINDOW_POINTS");
    if (e)
        p->window_points = (size_t)strtoul(e, NULL, 10);
    e = getenv("RCA_REL_FLOOR");
    if (e)
        p->rel_spread_floor = strtod(e, NULL);
}

/* Rank (0-based) of root among r's causes, or SIZE_MAX. */
static size_t rank_of(const struct ls_rca_result *r, const char *root)
{
    for (size_t i = 0; i < r->n_causes; i++)
        if (strcmp(r->causes[i].id, root) == 0)
            return i;
    return SIZE_MAX;
}

static void rank_case(const struct opts *o,
                      const struct ls_snap *snap,
                      const struct case_series *cs,
                      const char *root,
                      struct tally *t,
                      const char *label)
{
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    tune(&p, o);
    t->n++;
    for (int m = 0; m < LS_RCA_METHOD_COUNT; m++) {
        p.method = (enum ls_rca_method)m;
        size_t seeds = m == LS_RCA_RANDOM ? RANDOM_SEEDS : 1;
        double h1 = 0, h3 = 0;
        for (size_t sd = 0; sd < seeds; sd++) {
            p.seed = sd + 1;
            struct ls_rca_result r;
            struct ls_err err;
            if (ls_rca_rank(snap, cs->s, cs->n, &p, &r, &err) != LS_OK) {
                fprintf(stderr, "rca: %s\n", err.msg);
                exit(1);
            }
            size_t k = rank_of(&r, root);
            h1 += k < 1;
            h3 += k < 3;
            if (o->verbose && m != LS_RCA_RANDOM) {
                printf("  %-10s %-40s root=%s rank=%zd anomalous=%zu top:",
                       ls_rca_method_name(p.method), label, root,
                       k == SIZE_MAX ? (ssize_t)-1 : (ssize_t)k, r.n_anomalous);
                for (size_t i = 0; i < r.n_causes && i < 3; i++)
                    printf(" %s(%.2f,%s)", r.causes[i].id, r.causes[i].score, r.causes[i].metric);
                printf("\n");
            }
            ls_rca_result_cleanup(&r);
        }
        if (m == LS_RCA_RANDOM) {
            t->rtop1 += h1 / (double)seeds;
            t->rtop3 += h3 / (double)seeds;
        } else {
            t->top1[m] += (size_t)h1;
            t->top3[m] += (size_t)h3;
        }
    }
}

/* Windows of normal operation: how often each method names no cause. */
static void quiet_windows(const struct opts *o,
                          const struct ls_snap *snap,
                          const struct ps_table *t,
                          size_t *n,
                          size_t quiet[LS_RCA_METHOD_COUNT])
{
    struct ls_rca_params p;
    ls_rca_params_default(&p);
    tune(&p, o);
    for (size_t w0 = NOISSUE_BASE; w0 + NOISSUE_WINDOW <= t->n_rows; w0 += NOISSUE_WINDOW) {
        struct case_series cs = make_series(o, t, w0, w0 + NOISSUE_WINDOW, t, 0, NOISSUE_BASE);
        (*n)++;
        for (int m = 0; m < LS_RCA_METHOD_COUNT; m++) {
            p.method = (enum ls_rca_method)m;
            struct ls_rca_result r;
            struct ls_err err;
            if (ls_rca_rank(snap, cs.s, cs.n, &p, &r, &err) != LS_OK)
                exit(1);
            quiet[m] += r.n_causes == 0;
            if (o->verbose && m == 0 && r.n_causes)
                printf("  noissue window %zu names %s (%s, %.2f)\n", w0, r.causes[0].id,
                       r.causes[0].metric, r.causes[0].score);
            ls_rca_result_cleanup(&r);
        }
        free_series(&cs);
    }
}

static bool split_used(const struct opts *o, const char *split)
{
    return strcmp(o->split, "all") == 0 || strcmp(o->split, split) == 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.z = NAN, .split = "all"};
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            o.verbose = 1;
        else if (strcmp(argv[i], "--z") == 0 && i + 1 < argc)
            o.z = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--series") == 0 && i + 1 < argc)
            o.series = argv[++i];
        else if (strcmp(argv[i], "--split") == 0 && i + 1 < argc)
            o.split = argv[++i];
        else if (strcmp(argv[i], "--from-symptom") == 0)
            o.from_symptom = 1;
        else if (!dir)
            dir = argv[i];
        else {
            fprintf(stderr, "usage: bench_petshop DATASET_DIR [-v] [--z Z] [--series a,b] "
                            "[--split train|test|all] [--from-symptom]\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: bench_petshop DATASET_DIR [-v] [--z Z] [--series a,b]\n");
        return 2;
    }
    if (isnan(o.z)) {
        struct ls_rca_params d;
        ls_rca_params_default(&d);
        o.z = d.z_threshold;
    }
    printf("PetShop root cause (analytics/rca), z threshold %.2f, series %s, split %s, %s\n", o.z,
           o.series ? o.series : "all", o.split,
           o.from_symptom ? "from the symptom's node (it and what it calls)" : "every node");
    printf("%-18s %-13s %3s | %-11s %-11s | %-11s %-11s | %-11s %-11s\n", "scenario", "symptom",
           "n", "ours top1", "ours top3", "zscore top1", "zscore top3", "random top1",
           "random top3");
    struct tally total[2] = {{0}};
    size_t qn_all = 0, q_all[LS_RCA_METHOD_COUNT] = {0};
    double secs = 0;
    for (size_t sc = 0; sc < sizeof scenarios / sizeof scenarios[0]; sc++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/graph.csv", dir, scenarios[sc]);
        struct ps_graph pg;
        struct ls_err err;
        if (ps_graph_load(path, &pg, &err) != LS_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        struct ps_table noissue;
        snprintf(path, sizeof path, "%s/%s/noissue/metrics.csv", dir, scenarios[sc]);
        if (ps_table_load(path, &noissue, &err) != LS_OK) {
            printf("%-18s (no normal-operation table in the dataset: skipped)\n", scenarios[sc]);
            ps_graph_free(&pg);
            continue;
        }
        struct ls_graph *g = build_graph(&pg, &noissue);
        struct ls_snap *snap = ls_graph_snap(g);
        struct tally t[2] = {{0}}; /* latency, availability */
        static const char *const splits[] = {"train", "test"};
        for (int sp = 0; sp < 2; sp++) {
            if (!split_used(&o, splits[sp]))
                continue;
            for (int k = 0; k < 64; k++) {
                snprintf(path, sizeof path, "%s/%s/%s/issue_%d/target.json", dir, scenarios[sc],
                         splits[sp], k);
                struct ps_target tg;
                if (ps_target_load(path, &tg, &err) != LS_OK)
                    break;
                snprintf(path, sizeof path, "%s/%s/%s/issue_%d/metrics.csv", dir, scenarios[sc],
                         splits[sp], k);
                struct ps_table it;
                if (ps_table_load(path, &it, &err) != LS_OK) {
                    fprintf(stderr, "%s\n", err.msg);
                    return 1;
                }
                struct case_series cs =
                    make_series(&o, &it, 0, it.n_rows, &noissue, 0, noissue.n_rows);
                if (o.from_symptom)
                    keep_reachable(&cs, &pg, tg.symptom_node);
                char label[96];
                snprintf(label, sizeof label, "%s/%s/%d %s", scenarios[sc], splits[sp], k,
                         tg.symptom_metric);
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                rank_case(&o, snap, &cs, tg.root,
                          &t[strcmp(tg.symptom_metric, "latency") == 0 ? 0 : 1], label);
                clock_gettime(CLOCK_MONOTONIC, &b);
                secs += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
                free_series(&cs);
                ps_table_free(&it);
            }
        }
        for (int s = 0; s < 2; s++) {
            struct tally *x = &t[s];
            double n = x->n ? (double)x->n : 1;
            printf("%-18s %-13s %3zu | %-11.3f %-11.3f | %-11.3f %-11.3f | %-11.3f %-11.3f\n",
                   scenarios[sc], s ? "availability" : "latency", x->n,
                   x->top1[LS_RCA_PROPAGATION] / n, x->top3[LS_RCA_PROPAGATION] / n,
                   x->top1[LS_RCA_ZSCORE] / n, x->top3[LS_RCA_ZSCORE] / n, x->rtop1 / n,
                   x->rtop3 / n);
            total[s].n += x->n;
            for (int m = 0; m < LS_RCA_METHOD_COUNT; m++) {
                total[s].top1[m] += x->top1[m];
                total[s].top3[m] += x->top3[m];
            }
            total[s].rtop1 += x->rtop1;
            total[s].rtop3 += x->rtop3;
        }
        size_t qn = 0, q[LS_RCA_METHOD_COUNT] = {0};
        quiet_windows(&o, snap, &noissue, &qn, q);
        printf("%-18s %-13s %3zu | no cause named: ours %.3f, zscore %.3f, random %.3f\n",
               scenarios[sc], "no-issue", qn, (double)q[0] / (double)qn, (double)q[1] / (double)qn,
               (double)q[2] / (double)qn);
        qn_all += qn;
        for (int m = 0; m < LS_RCA_METHOD_COUNT; m++)
            q_all[m] += q[m];
        ls_snap_release(snap);
        ls_graph_free(g);
        ps_table_free(&noissue);
        ps_graph_free(&pg);
    }
    for (int s = 0; s < 2; s++) {
        struct tally *x = &total[s];
        double n = x->n ? (double)x->n : 1;
        printf("%-18s %-13s %3zu | %-11.3f %-11.3f | %-11.3f %-11.3f | %-11.3f %-11.3f\n", "all",
               s ? "availability" : "latency", x->n, x->top1[0] / n, x->top3[0] / n, x->top1[1] / n,
               x->top3[1] / n, x->rtop1 / n, x->rtop3 / n);
    }
    printf("%-18s %-13s %3zu | no cause named: ours %.3f, zscore %.3f, random %.3f\n", "all",
           "no-issue", qn_all, (double)q_all[0] / (double)qn_all, (double)q_all[1] / (double)qn_all,
           (double)q_all[2] / (double)qn_all);
    printf("ranking time: %.3f ms per case (all three methods, random x%d seeds)\n",
           1000 * secs / (double)(total[0].n + total[1].n), RANDOM_SEEDS);
    return 0;
}
