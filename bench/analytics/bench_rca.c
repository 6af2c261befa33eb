/* RCA speed: a 100k-node landscape (10k machines, each with 9 instances that run on it; every
 * instance depends_on two others), one series per node with a learned baseline and a
 * 5-point window, 1k of them anomalous (100 faulty machines and their instances); times
 * ls_rca_rank (propagation) over all 100k series. Usage: bench_rca [runs] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analytics/rca.h"
#include "model/change.h"
#include "model/graph.h"

#define MACHINES 10000
#define PER      9

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    size_t n = MACHINES * (PER + 1);
    char(*ids)[32] = calloc(n, sizeof *ids);
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("bench");
    for (size_t m = 0; m < MACHINES; m++) {
        size_t base = m * (PER + 1);
        snprintf(ids[base], sizeof ids[base], "m%zu", m);
        if (ls_change_put_node_new(cs, ids[base], "machine", NULL, NULL, NULL, NULL, NULL))
            return 1;
        for (size_t k = 1; k <= PER; k++) {
            snprintf(ids[base + k], sizeof ids[0], "m%zu-vm%zu", m, k);
            if (ls_change_put_node_new(cs, ids[base + k], "instance", NULL, NULL, NULL, NULL,
                                       NULL) ||
                ls_change_put_edge_new(cs, ids[base + k], LS_EDGE_RUNS_ON, ids[base], NULL,
                                       LS_ESRC_IMPORTED, 1, NULL))
                return 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (i % (PER + 1) == 0)
            continue;
        for (size_t d = 1; d <= 2; d++) {
            size_t j = (i * 7919 + d * 104729) % n;
            if (j % (PER + 1) == 0 || j == i)
                continue;
            if (ls_change_put_edge_new(cs, ids[i], LS_EDGE_DEPENDS_ON, ids[j], NULL,
                                       LS_ESRC_INFERRED, 1, NULL))
                return 1;
        }
    }
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(g, cs, 1000000, &p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
    struct ls_rca_baseline learned = {.center = 10, .spread = 1};
    static const double quiet[5] = {10, 11, 9, 10, 10.5};
    static const double hot[5] = {10, 30, 35, 40, 38};
    struct ls_rca_series *s = calloc(n, sizeof *s);
    size_t anomalous = 0;
    for (size_t i = 0; i < n; i++) {
        bool faulty = (i / (PER + 1)) % 100 == 0; /* 100 machines and their 900 instances */
        anomalous += faulty;
        s[i] = (struct ls_rca_series){.node = ids[i],
                                      .metric = i % (PER + 1) ? "latency" : "cpu",
                                      .win = faulty ? hot : quiet,
                                      .n_win = 5,
                                      .learned = &learned,
                                      .score = -1};
    }
    struct ls_snap *snap = ls_graph_snap(g);
    struct ls_rca_params prm;
    ls_rca_params_default(&prm);
    double best = 1e9, sum = 0;
    size_t named = 0, n_anom = 0;
    for (int r = 0; r < runs; r++) {
        struct ls_rca_result res;
        double t0 = now_s();
        if (ls_rca_rank(snap, s, n, &prm, &res, &err))
            return 1;
        double dt = now_s() - t0;
        sum += dt;
        best = dt < best ? dt : best;
        named = res.n_causes;
        n_anom = res.n_anomalous;
        ls_rca_result_cleanup(&res);
    }
    printf("rca: %zu nodes, %zu series, %zu anomalous (found %zu), %zu causes named; "
           "best %.1f ms, mean %.1f ms over %d runs\n",
           n, n, anomalous, n_anom, named, best * 1e3, sum / runs * 1e3, runs);
    ls_snap_release(snap);
    ls_graph_free(g);
    free(s);
    free(ids);
    return 0;
}
