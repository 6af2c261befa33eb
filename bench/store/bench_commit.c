/* What durability costs a small write: N change sets of one node each through ls_store_apply
 * (one transaction and commit each), against the private Postgres started durable (fsync,
 * synchronous_commit, full_page_writes on: landscaped's default) and with --pg-fast-unsafe.
 * Prints writes/s and commit latency p50 / p99 for both.
 * Usage: bench_commit [writes] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "sql/embedded.h"
#include "sql/store.h"

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int run(int n, bool fast_unsafe)
{
    char dir[] = "/tmp/ls-bench-commit-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    struct ls_err err;
    struct ls_pg_embedded *pg;
    struct ls_store *store;
    if (ls_pg_embedded_start(&pg, dir, fast_unsafe, &err) ||
        ls_store_open(&store, ls_pg_embedded_dsn(pg), &err)) {
        fprintf(stderr, "bench_commit: %s\n", err.msg);
        return 1;
    }
    struct ls_graph *g = ls_graph_new();
    long long *lat = malloc(sizeof(long long) * (size_t)n);
    long long t0 = ls_time_mono_ns();
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof(id), "bench:node:%d", i % 1000);
        struct ls_change_set *cs = ls_change_set_new("bench");
        uint64_t rev;
        long long a = ls_time_mono_ns();
        if (ls_change_put_node_new(cs, id, "machine", id, "up", json_pack("{s:i}", "i", i), NULL,
                                   &err) ||
            ls_store_apply(store, g, cs, &rev, &err)) {
            fprintf(stderr, "bench_commit: %s\n", err.msg);
            return 1;
        }
        lat[i] = ls_time_mono_ns() - a;
        ls_change_set_free(cs);
    }
    double secs = (double)(ls_time_mono_ns() - t0) / 1e9;
    qsort(lat, (size_t)n, sizeof(*lat), cmp_ll);
    printf("%-38s %d writes in %.2f s = %6.0f writes/s, p50 %.2f ms, p99 %.2f ms\n",
           fast_unsafe ? "--pg-fast-unsafe (fsync off)" : "durable (default: fsync on)", n, secs,
           n / secs, lat[n / 2] / 1e6, lat[n * 99 / 100] / 1e6);
    free(lat);
    ls_graph_free(g);
    ls_store_close(store);
    ls_pg_embedded_stop(pg, true);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n < 1)
        n = 1;
    printf("one-node change sets through ls_store_apply, private Postgres, one writer\n");
    return run(n, false) || run(n, true);
}
