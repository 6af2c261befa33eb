/* Subgraph depth 3 (edges both ways) around random nodes of a random 100k-node / 300k-edge
 * graph, in-process, through the live versioned model; next to a BFS over a bare CSR array of
 * the same graph in the same run. Also prints memory per node (RSS growth / node count).
 * Usage: bench_subgraph [nodes] [edges] [queries] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time.h"
#include "model/graph.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned long long next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void pct(const char *what, long long *ns, int n)
{
    qsort(ns, (size_t)n, sizeof(*ns), cmp_ll);
    printf("%-34s p50 %8.2f us   p99 %8.2f us\n", what, ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3);
}

int main(int argc, char **argv)
{
    int nn = argc > 1 ? atoi(argv[1]) : 100000;
    int ne = argc > 2 ? atoi(argv[2]) : 300000;
    int nq = argc > 3 ? atoi(argv[3]) : 2000;
    static const char *types[] = {"machine", "instance", "port", "volume", "network", "service"};
    struct ls_graph *g = ls_graph_new();
    long rss0 = rss_kb();
    struct mallinfo2 mi0 = mallinfo2();
    char id[64], id2[64];
    int *src = malloc(sizeof(int) * (size_t)ne), *dst = malloc(sizeof(int) * (size_t)ne);
    struct ls_err err;
    long long t0 = ls_time_mono_ns();
    struct ls_change_set *cs = ls_change_set_new("bench");
    for (int i = 0; i < nn; i++) {
        snprintf(id, sizeof(id), "bench:node:%08d", i);
        json_t *attrs = json_pack("{s:i,s:s}", "rank", i % 97, "zone", (i & 1) ? "a" : "b");
        if (ls_change_put_node_new(cs, id, types[i % 6], id + 11, "active", attrs, NULL, &err))
            return fprintf(stderr, "%s\n", err.msg), 1;
    }
    for (int i = 0; i < ne; i++) {
        int a = (int)(next_rand() % (unsigned)nn), b = (int)(next_rand() % (unsigned)nn);
        src[i] = a;
        dst[i] = b;
        snprintf(id, sizeof(id), "bench:node:%08d", a);
        snprintf(id2, sizeof(id2), "bench:node:%08d", b);
        if (ls_change_put_edge_new(cs, id, (enum ls_edge_type)(i % 7), id2, NULL, LS_ESRC_IMPORTED,
                                   1.0, &err))
            return fprintf(stderr, "%s\n", err.msg), 1;
    }
    struct ls_prepared *p;
    if (ls_graph_prepare(g, cs, ls_time_now_us(), &p, &err) != LS_OK)
        return fprintf(stderr, "%s\n", err.msg), 1;
    ls_graph_publish(g, p, 1);
    ls_change_set_free(cs);
    long long t1 = ls_time_mono_ns();
    malloc_trim(0); /* give back what building the change set used, so RSS shows the graph */
    long rss1 = rss_kb();
    struct mallinfo2 mi1 = mallinfo2();
    double heap = (double)(mi1.uordblks + mi1.hblkhd) - (double)(mi0.uordblks + mi0.hblkhd);
    struct ls_snap *s = ls_graph_snap(g);
    printf("graph: %zu nodes, %zu edges (duplicates merged), built in %.2f s\n",
           ls_snap_node_count(s), ls_snap_edge_count(s), (t1 - t0) / 1e9);
    printf("memory per node (3 edges each, 2 attrs): %.0f bytes allocated, %.0f bytes RSS\n",
           heap / nn, (rss1 - rss0) * 1024.0 / nn);

    /* bare CSR of the same edges, both directions */
    int *deg = calloc((size_t)nn + 1, sizeof(int));
    for (int i = 0; i < ne; i++) {
        deg[src[i] + 1]++;
        deg[dst[i] + 1]++;
    }
    for (int i = 0; i < nn; i++)
        deg[i + 1] += deg[i];
    int *adj = malloc(sizeof(int) * 2 * (size_t)ne), *fill = calloc((size_t)nn, sizeof(int));
    for (int i = 0; i < ne; i++) {
        adj[deg[src[i]] + fill[src[i]]++] = dst[i];
        adj[deg[dst[i]] + fill[dst[i]]++] = src[i];
    }
    int *mark = calloc((size_t)nn, sizeof(int)), *queue = malloc(sizeof(int) * (size_t)nn);
    int *qd = malloc(sizeof(int) * (size_t)nn);

    long long *lat = malloc(sizeof(long long) * (size_t)nq);
    long long *bare = malloc(sizeof(long long) * (size_t)nq);
    size_t reached = 0, bare_reached = 0;
    for (int q = 0; q < nq; q++) {
        int root = (int)(next_rand() % (unsigned)nn);
        snprintf(id, sizeof(id), "bench:node:%08d", root);
        struct ls_subgraph sg;
        long long a = ls_time_mono_ns();
        if (ls_snap_subgraph(s, id, 3, LS_DIR_BOTH, -1, 100000, &sg, &err) != LS_OK)
            return fprintf(stderr, "%s\n", err.msg), 1;
        long long b = ls_time_mono_ns();
        lat[q] = b - a;
        reached += sg.n_nodes;
        ls_subgraph_cleanup(&sg);

        a = ls_time_mono_ns();
        int head = 0, tail = 0, stamp = q + 1;
        queue[tail] = root;
        qd[tail++] = 0;
        mark[root] = stamp;
        while (head < tail) {
            int v = queue[head], d = qd[head++];
            if (d == 3)
                continue;
            for (int k = deg[v]; k < deg[v + 1]; k++) {
                int w = adj[k];
                if (mark[w] != stamp) {
                    mark[w] = stamp;
                    queue[tail] = w;
                    qd[tail++] = d + 1;
                }
            }
        }
        b = ls_time_mono_ns();
        bare[q] = b - a;
        bare_reached += (size_t)tail;
    }
    printf("subgraph depth 3 both ways: %d queries, mean %.0f nodes reached (bare CSR %.0f)\n", nq,
           (double)reached / nq, (double)bare_reached / nq);
    pct("landscape model (versioned)", lat, nq);
    pct("bare CSR BFS (same graph)", bare, nq);
    printf("ratio p99 model / bare: %.1f   target: model p99 <= 40 us\n",
           (double)lat[nq * 99 / 100] / (double)(bare[nq * 99 / 100] ? bare[nq * 99 / 100] : 1));
    ls_snap_release(s);
    ls_graph_free(g);
    free(src);
    free(dst);
    free(deg);
    free(adj);
    free(fill);
    free(mark);
    free(queue);
    free(qd);
    free(lat);
    free(bare);
    return 0;
}
