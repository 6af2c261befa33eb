/* RCA speed: a 100k-node landscape (10k machines, each with 9 instances that run on it; every
 * instance depends_on two others), one series per node with a learned baseline and a
 * 5-point window, 1k of them anomalous (100 faulty machines and their instances); times
 * ls_rca_rank (propagation) over all 100k series. Then the same from stored samples, as
 * POST /v1/analytics/rca does (analytics/rca_replay.h): each series' 12 baseline points (one
 * per 5 minutes over the hour before) and 5 window points (one a minute) in model/samples,
 * gathered and ranked. Usage: bench_rca [runs] */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "analytics/rca.h"
#include "analytics/rca_replay.h"
#include "model/change.h"
#include "model/graph.h"
#include "model/samples.h"

#define MACHINES 10000
#define PER      9

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One timed call: ls_rca_rank over s, or (raw set) ls_rca_replay_rank over raw's samples. */
struct call {
    const struct ls_snap *snap;
    const struct ls_rca_params *p;
    const struct ls_rca_series *s;
    size_t n;
    struct ls_samples *raw;
    const struct ls_rca_replay *w;
};

struct timing {
    double first, best, mean; /* ms */
    long first_faults;        /* page faults of the first call (the process's, all threads) */
    size_t named, anomalous;  /* of the last run */
    bool same_on_one_thread;  /* a run on the caller's thread alone ranked the same */
};

static bool same_ranking(const struct ls_rca_result *a, const struct ls_rca_result *b)
{
    if (a->n_causes != b->n_causes || a->n_anomalous != b->n_anomalous)
        return false;
    for (size_t i = 0; i < a->n_causes; i++)
        if (strcmp(a->causes[i].id, b->causes[i].id) || a->causes[i].score != b->causes[i].score ||
            a->causes[i].n_path != b->causes[i].n_path)
            return false;
    for (size_t i = 0; i < a->n_anomalous; i++)
        if (strcmp(a->anomalous[i], b->anomalous[i]))
            return false;
    return true;
}

static int call(const struct call *c, const struct ls_rca_params *p, struct ls_rca_result *res)
{
    struct ls_err err;
    int rc = c->raw ? ls_rca_replay_rank(c->raw, c->snap, c->w, p, res, &err)
                    : ls_rca_rank(c->snap, c->s, c->n, p, res, &err);
    if (rc != LS_OK)
        fprintf(stderr, "%s\n", err.msg);
    return rc;
}

/* runs calls of c under p, timed; the last result in *last (the caller cleans it up) */
static int timed(const struct call *c,
                 const struct ls_rca_params *p,
                 int runs,
                 struct timing *t,
                 struct ls_rca_result *last)
{
    *t = (struct timing){.best = 1e300};
    *last = (struct ls_rca_result){0};
    for (int r = 0; r < runs; r++) {
        ls_rca_result_cleanup(last);
        struct rusage u0, u1;
        getrusage(RUSAGE_SELF, &u0);
        double t0 = now_s();
        if (call(c, p, last) != LS_OK)
            return 1;
        double ms = (now_s() - t0) * 1e3;
        getrusage(RUSAGE_SELF, &u1);
        if (r == 0) {
            t->first = ms;
            t->first_faults = u1.ru_minflt - u0.ru_minflt;
        }
        t->best = ms < t->best ? ms : t->best;
        t->mean += ms / runs;
        t->named = last->n_causes;
        t->anomalous = last->n_anomalous;
    }
    return 0;
}

/* c timed with the default threads, then on the caller's thread alone (the reference: the
 * same work, unsplit), and whether both ranked the same */
static int timed_both(const struct call *c, int runs, struct timing *t, struct timing *alone)
{
    struct ls_rca_params one = *c->p;
    one.threads = 1;
    struct ls_rca_result a, b;
    if (timed(c, c->p, runs, t, &a) || timed(c, &one, runs, alone, &b))
        return 1;
    t->same_on_one_thread = same_ranking(&a, &b);
    ls_rca_result_cleanup(&a);
    ls_rca_result_cleanup(&b);
    return 0;
}

/* The machine's cost of fresh memory, the first call's ceiling: ms to touch 32 MiB of pages
 * new from the kernel (what a process's first large request pays for before glibc keeps
 * memory between calls). */
static double fresh_memory_ms(void)
{
    size_t n = (size_t)32 << 20;
    double t0 = now_s();
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NAN;
    memset(p, 1, n);
    double ms = (now_s() - t0) * 1e3;
    munmap(p, n);
    return ms;
}

static void print_alone(const struct timing *t, const struct timing *alone)
{
    printf("  on one thread: first %.1f ms, best %.1f ms, mean %.1f ms; split over threads, the "
           "mean takes %.2f of that; same ranking: %s\n",
           alone->first, alone->best, alone->mean, t->mean / alone->mean,
           t->same_on_one_thread ? "yes" : "NO");
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
    /* the same series stored as raw samples, the hour before the window as baseline */
    const int64_t min = 60 * INT64_C(1000000), t0 = INT64_C(1700000000) * 1000000;
    struct ls_samples *raw = ls_samples_new(24 * 60 * min, 4 * n * 17);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 12; k++)
            if (ls_samples_add(raw, ids[i], s[i].metric, false, quiet[k % 5],
                               t0 - 60 * min + k * 5 * min) != LS_SAMPLES_ADDED)
                return 1;
        for (int k = 0; k < 5; k++)
            if (ls_samples_add(raw, ids[i], s[i].metric, false, s[i].win[k], t0 + k * min) !=
                LS_SAMPLES_ADDED)
                return 1;
    }
    struct ls_rca_replay w = {
        .from_us = t0, .to_us = t0 + 5 * min, .base_from_us = t0 - 60 * min, .base_to_us = t0};
    struct call c = {.snap = snap, .p = &prm, .s = s, .n = n};
    struct timing tm, alone;
    /* the replay first: its first call is the process's first RCA, as a service's first
     * request after it starts (nothing of the ranking's memory in use before it) */
    c.raw = raw;
    c.w = &w;
    if (timed_both(&c, runs, &tm, &alone))
        return 1;
    printf(
        "replay from stored samples (gather + rank, as POST /v1/analytics/rca): %zu anomalous "
        "found, %zu causes named; first %.1f ms (%ld page faults), best %.1f ms, mean %.1f ms over "
        "%d runs\n",
        tm.anomalous, tm.named, tm.first, tm.first_faults, tm.best, tm.mean, runs);
    print_alone(&tm, &alone);

    /* one open incident's re-rank (analytics/incident_replay.c): the replay over a
     * neighbourhood of NEIGHBOURHOOD nodes (a faulty machine's instances and what they depend
     * on, as ls_incident_walk gathers), out of the whole store */
    enum { NEIGHBOURHOOD = 200 };
    const char *nb_ids[NEIGHBOURHOOD]; /* faulty machine m0 and m1..m19, with their instances */
    for (size_t i = 0; i < NEIGHBOURHOOD; i++)
        nb_ids[i] = ids[i];
    w.nodes = nb_ids;
    w.n_nodes = NEIGHBOURHOOD;
    struct timing nb, nb_alone;
    if (timed_both(&c, runs, &nb, &nb_alone))
        return 1;
    printf("replay of one incident's neighbourhood (%d of %zu nodes, as an open incident's "
           "re-rank): %zu anomalous found, %zu causes named; best %.2f ms, mean %.2f ms "
           "(%.3f of the whole replay's best)\n",
           NEIGHBOURHOOD, n, nb.anomalous, nb.named, nb.best, nb.mean, nb.best / tm.best);
    print_alone(&nb, &nb_alone);
    w.nodes = NULL;
    w.n_nodes = 0;

    /* the ranking alone, from series in memory */
    c.raw = NULL;
    c.w = NULL;
    struct timing rank, rank_alone;
    if (timed_both(&c, runs, &rank, &rank_alone))
        return 1;
    printf("rca: %zu nodes, %zu series, %zu anomalous (found %zu), %zu causes named; "
           "first %.1f ms, best %.1f ms, mean %.1f ms over %d runs (threads: one per core, "
           "%ld online)\n",
           n, n, anomalous, rank.anomalous, rank.named, rank.first, rank.best, rank.mean, runs,
           sysconf(_SC_NPROCESSORS_ONLN));
    print_alone(&rank, &rank_alone);

    double t_prune = now_s();
    ls_samples_prune(raw); /* nothing past the retention: the sweep's cost alone */
    printf("the raw store's prune (a background job once a minute, no longer run by each RCA "
           "request): %.1f ms over %zu series\n",
           (now_s() - t_prune) * 1e3, n);
    double fresh = fresh_memory_ms();
    printf("fresh memory on this machine: 32 MiB touched in %.1f ms (%.1f us per 4 KiB page); "
           "the replay's first call over its best is the cost of %.0f MiB of it\n",
           fresh, fresh / 8192 * 1e3, (tm.first - tm.best) / fresh * 32);
    ls_samples_free(raw);
    ls_snap_release(snap);
    ls_graph_free(g);
    free(s);
    free(ids);
    return 0;
}
