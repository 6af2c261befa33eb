/* The store on a generated 100k-node / 300k-edge graph, against a private Postgres:
 * bulk insert rate through ls_store_apply (one change set, COPY), load time at start, and
 * subgraph depth 3 as of a past time through the recursive CTE (p50 / p99).
 * Usage: bench_store [nodes] [edges] [queries] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/time.h"
#include "sql/embedded.h"
#include "sql/store.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned long long next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int fail(const struct ls_err *err)
{
    fprintf(stderr, "bench_store: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    int nn = argc > 1 ? atoi(argv[1]) : 100000;
    int ne = argc > 2 ? atoi(argv[2]) : 300000;
    int nq = argc > 3 ? atoi(argv[3]) : 200;
    static const char *types[] = {"machine", "instance", "port", "volume", "network", "service"};
    char dir[] = "/tmp/ls-bench-store-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    struct ls_err err;
    struct ls_pg_embedded *pg;
    struct ls_store *store;
    if (ls_pg_embedded_start(&pg, dir, true /* --pg-fast-unsafe */, &err) ||
        ls_store_open(&store, ls_pg_embedded_dsn(pg), &err))
        return fail(&err);
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("bench");
    char id[64], id2[64];
    for (int i = 0; i < nn; i++) {
        snprintf(id, sizeof(id), "bench:node:%08d", i);
        if (ls_change_put_node_new(
                cs, id, types[i % 6], id + 11, "active",
                json_pack("{s:i,s:s}", "rank", i % 97, "zone", i & 1 ? "a" : "b"), NULL, &err))
            return fail(&err);
    }
    for (int i = 0; i < ne; i++) {
        snprintf(id, sizeof(id), "bench:node:%08d", (int)(next_rand() % (unsigned)nn));
        snprintf(id2, sizeof(id2), "bench:node:%08d", (int)(next_rand() % (unsigned)nn));
        if (ls_change_put_edge_new(cs, id, (enum ls_edge_type)(i % 7), id2, NULL, LS_ESRC_IMPORTED,
                                   1.0, &err))
            return fail(&err);
    }
    long long t0 = ls_time_mono_ns();
    uint64_t rev;
    if (ls_store_apply(store, g, cs, &rev, &err))
        return fail(&err);
    long long t1 = ls_time_mono_ns();
    ls_change_set_free(cs);
    struct ls_snap *s = ls_graph_snap(g);
    size_t rows = ls_snap_node_count(s) + ls_snap_edge_count(s);
    ls_snap_release(s);
    printf("bulk insert: %zu rows (nodes + edges + change log) in %.2f s = %.0f rows/s "
           "(resolve + COPY + indexes, one transaction)\n",
           rows, (t1 - t0) / 1e9, rows / ((t1 - t0) / 1e9));
    int64_t past = ls_time_now_us();
    /* a second change so that `past` is really in the past */
    cs = ls_change_set_new("bench");
    if (ls_change_put_node_new(cs, "bench:later", "service", "", "", NULL, NULL, &err) ||
        ls_store_apply(store, g, cs, &rev, &err))
        return fail(&err);
    ls_change_set_free(cs);

    struct ls_graph *g2 = ls_graph_new();
    t0 = ls_time_mono_ns();
    if (ls_store_load(store, g2, &err))
        return fail(&err);
    t1 = ls_time_mono_ns();
    s = ls_graph_snap(g2);
    printf("load at start: %zu nodes, %zu edges in %.2f s\n", ls_snap_node_count(s),
           ls_snap_edge_count(s), (t1 - t0) / 1e9);
    ls_snap_release(s);

    long long *lat = malloc(sizeof(long long) * (size_t)nq);
    size_t reached = 0;
    for (int q = 0; q < nq; q++) {
        snprintf(id, sizeof(id), "bench:node:%08d", (int)(next_rand() % (unsigned)nn));
        json_t *nodes, *edges;
        bool trunc;
        long long a = ls_time_mono_ns();
        if (ls_store_subgraph_at(store, id, 3, LS_DIR_BOTH, -1, 100000, past, &nodes, &edges,
                                 &trunc, &err))
            return fail(&err);
        lat[q] = ls_time_mono_ns() - a;
        reached += json_array_size(nodes);
        json_decref(nodes);
        json_decref(edges);
    }
    qsort(lat, (size_t)nq, sizeof(*lat), cmp_ll);
    printf("subgraph depth 3 both ways as of a past time (Postgres recursive CTE): %d queries, "
           "mean %.0f nodes, p50 %.2f ms, p99 %.2f ms\n",
           nq, (double)reached / nq, lat[nq / 2] / 1e6, lat[nq * 99 / 100] / 1e6);
    free(lat);
    ls_graph_free(g2);
    ls_graph_free(g);
    ls_store_close(store);
    ls_pg_embedded_stop(pg, true);
    return 0;
}
