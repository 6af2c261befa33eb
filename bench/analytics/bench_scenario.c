/* bench_scenario: the scenario generator's faults (tests/tools/scenario) run through a real
 * landscaped — the landscape loaded with POST /v1/bulk, each case's telemetry posted with its
 * own (past) timestamps, the service asked POST /v1/analytics/rca for the fault's window — and
 * AC@1, AC@3, Avg@5 per fault kind, with a z-score ranking and a random one on the same
 * samples beside. Start landscaped first (bench/analytics/scenario.sh does).
 * Usage: bench_scenario URL [--trials N] [--seed S] [--token T] [--max-body BYTES]
 *        [--base-min M] [--fault-min M] [--step S] [--start RFC3339] [--show N]
 * --show N: per case, the fault's root and the service's first N causes (to see why a case
 * missed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/time.h"
#include "importers/openstack/client.h"
#include "tests/tools/scenario/run.h"

struct http {
    const char *base;
    struct ls_client_opts o;
};

static int request(void *arg,
                   const char *method,
                   const char *path,
                   const char *ctype,
                   const char *body,
                   size_t len,
                   long *status,
                   json_t **answer,
                   struct ls_err *err)
{
    struct http *h = arg;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", h->base, path);
    struct ls_buf resp;
    ls_buf_init(&resp, 16u << 20);
    int rc = ls_client_request(&h->o, method, url, ctype, body, len, status, &resp, err);
    *answer = rc == LS_OK && resp.len ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
    ls_buf_cleanup(&resp);
    return rc;
}

static void row(const char *kind, const char *who, const struct ls_scn_score *sc)
{
    printf("| %-16s | %-9s | %5.2f | %5.2f | %5.2f | %4.0f |\n", kind, who, ls_scn_score_ac(sc, 1),
           ls_scn_score_ac(sc, 3), ls_scn_score_avg5(sc), sc->cases);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr,
                "usage: %s URL [--trials N] [--seed S] [--token T] [--max-body BYTES] "
                "[--base-min M] [--fault-min M] [--step S] [--start RFC3339] [--show N]\n",
                argv[0]);
        return 2;
    }
    struct http h = {.base = argv[1], .o = {.timeout_s = 120}};
    struct ls_scn_opts so;
    ls_scn_opts_init(&so);
    int trials = 4, base_min = 60, fault_min = 15, step_s = 60, show = 0;
    size_t max_body = 1u << 20;
    int64_t start = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        struct ls_err err = {0};
        if (strcmp(a, "--trials") == 0)
            trials = atoi(v);
        else if (strcmp(a, "--seed") == 0)
            so.seed = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--token") == 0)
            h.o.token = v;
        else if (strcmp(a, "--max-body") == 0)
            max_body = (size_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--base-min") == 0)
            base_min = atoi(v);
        else if (strcmp(a, "--fault-min") == 0)
            fault_min = atoi(v);
        else if (strcmp(a, "--step") == 0)
            step_s = atoi(v);
        else if (strcmp(a, "--show") == 0)
            show = atoi(v);
        else if (strcmp(a, "--start") == 0) {
            if (ls_time_parse_rfc3339(&start, v, &err) != LS_OK) {
                fprintf(stderr, "--start: %s\n", err.msg);
                return 2;
            }
        } else {
            fprintf(stderr, "unknown argument: %s\n", a);
            return 2;
        }
    }
    if (trials < 1 || base_min < 2 || fault_min < 1 || step_s < 1 || max_body < 65536) {
        fprintf(stderr, "bench_scenario: trials >= 1, base-min >= 2, fault-min >= 1, step >= 1, "
                        "max-body >= 65536\n");
        return 2;
    }
    int64_t per_case = (int64_t)(base_min + fault_min) * 60000000LL;
    if (start == 0) /* the cases end a minute ago: a replay of the last hours */
        start = (ls_time_now_us() / 60000000LL - 1) * 60000000LL -
                per_case * trials * LS_FAULT_KIND_COUNT;
    ls_client_global_init();
    struct ls_scn *s = NULL;
    struct ls_err err = {0};
    struct ls_scn_transport tr = {request, &h, max_body};
    int rc = ls_scn_build(&s, &so, &err);
    if (rc == LS_OK)
        rc = ls_scn_load(&tr, s, &err);
    if (rc != LS_OK) {
        fprintf(stderr, "bench_scenario: %s\n", err.msg);
        ls_scn_free(s);
        ls_client_global_cleanup();
        return 1;
    }
    size_t with_metrics = 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        with_metrics += s->nodes[i].metrics != 0;
    printf("scenario: %zu nodes (%zu with telemetry), seed %u, %d trials per fault, %d min "
           "baseline + %d min fault every %d s\n",
           s->n_nodes, with_metrics, so.seed, trials, base_min, fault_min, step_s);
    struct ls_scn_score svc[LS_FAULT_KIND_COUNT] = {0}, zs[LS_FAULT_KIND_COUNT] = {0},
                        rnd[LS_FAULT_KIND_COUNT] = {0};
    int rca_ok = 1;
    double rca_ms = 0;
    int64_t t0 = start;
    for (int trial = 0; trial < trials && rc == LS_OK; trial++) {
        for (int k = 0; k < LS_FAULT_KIND_COUNT && rc == LS_OK; k++, t0 += per_case) {
            struct ls_scn_case c;
            ls_scn_case_init(&c, s, (enum ls_fault_kind)k, (unsigned)trial, t0, base_min, fault_min,
                             step_s);
            rc = ls_scn_play(&tr, s, &c, &err);
            if (rc != LS_OK)
                break;
            struct ls_scn_ranking r;
            if (rca_ok) {
                long long q0 = ls_time_mono_ns();
                int q = ls_scn_ask_rca(&r, &tr, &c, 5, &err);
                rca_ms += (double)(ls_time_mono_ns() - q0) / 1e6;
                if (q == LS_OK) {
                    if (show > 0) {
                        printf("%s trial %d, root %s:", ls_fault_kind_name((enum ls_fault_kind)k),
                               trial, c.fault.root);
                        for (size_t i = 0; i < r.n && i < (size_t)show; i++)
                            printf(" %s", r.ids[i]);
                        printf("\n");
                    }
                    ls_scn_score_add(&svc[k], &r, c.fault.root, 1.0);
                    ls_scn_ranking_cleanup(&r);
                } else {
                    fprintf(stderr, "bench_scenario: %s: service ranking left out\n", err.msg);
                    rca_ok = 0;
                }
            }
            ls_scn_rank_zscore(&r, s, &c);
            ls_scn_score_add(&zs[k], &r, c.fault.root, 1.0);
            ls_scn_ranking_cleanup(&r);
            for (int seed = 1; seed <= 100; seed++) {
                ls_scn_rank_random(&r, s, (uint64_t)(trial * 1000 + k * 100 + seed));
                ls_scn_score_add(&rnd[k], &r, c.fault.root, 0.01);
                ls_scn_ranking_cleanup(&r);
            }
        }
    }
    if (rc != LS_OK) {
        fprintf(stderr, "bench_scenario: %s\n", err.msg);
    } else {
        printf("\n| fault            | ranking   |  AC@1 |  AC@3 | Avg@5 | cases |\n");
        printf("| ---------------- | --------- | ----- | ----- | ----- | ----- |\n");
        struct ls_scn_score all[3] = {0};
        for (int k = 0; k < LS_FAULT_KIND_COUNT; k++) {
            const char *name = ls_fault_kind_name((enum ls_fault_kind)k);
            const struct ls_scn_score *each[3] = {&svc[k], &zs[k], &rnd[k]};
            static const char *const who[3] = {"service", "z-score", "random"};
            for (int w = 0; w < 3; w++) {
                if (w == 0 && !rca_ok)
                    continue;
                row(name, who[w], each[w]);
                all[w].cases += each[w]->cases;
                for (int i = 0; i < 5; i++)
                    all[w].hits[i] += each[w]->hits[i];
            }
        }
        if (rca_ok)
            row("all", "service", &all[0]);
        row("all", "z-score", &all[1]);
        row("all", "random", &all[2]);
        if (rca_ok)
            printf("\nPOST /v1/analytics/rca: %.1f ms per call (mean of %.0f)\n",
                   rca_ms / all[0].cases, all[0].cases);
        else
            printf("\nservice ranking: not measured (POST /v1/analytics/rca unavailable)\n");
    }
    ls_scn_free(s);
    ls_client_global_cleanup();
    return rc == LS_OK ? 0 : 1;
}
