/* Churn: create and delete many distinct ids through every layer that keeps per-id memory in
 * the running service — the live graph (slots, id index, type/layer/source lists, adjacency of
 * the long-lived node each id attaches to, versions and their rendered JSON), the alias index
 * and the telemetry state — and print RSS and heap in use before and after.
 *
 * "Started" is after a warm-up cycle (the same churn on `warmup` other ids): it sizes the slot
 * chunks, hash tables and allocator arenas for the working set, so what follows measures growth
 * per id ever seen, not first-touch. A reader thread takes snapshots and walks all the while,
 * as HTTP readers would (reclamation waits for them).
 * Usage: bench_churn [ids] [warmup] [batch] */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "model/alias.h"
#include "model/graph.h"
#include "model/graph_impl.h"
#include "model/telemetry.h"

#define HOSTS 100 /* long-lived hypervisors the instances run on */

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

static void apply(struct ls_graph *g, struct ls_change_set *cs)
{
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(g, cs, ls_time_now_us(), &p, &err) != LS_OK) {
        fprintf(stderr, "prepare: %s\n", err.msg);
        exit(1);
    }
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
}

struct env {
    struct ls_graph *g;
    struct ls_alias *a;
    struct ls_telemetry *t;
    long long next_id;
};

/* One cycle: `batch` new instances (an alias each, a runs_on edge to a host, two telemetry
 * series, their JSON rendered), then all of them deleted. */
static void cycle(struct env *e, int batch)
{
    char id[64], alias[64], host[64];
    long long first = e->next_id;
    struct ls_change_set *cs = ls_change_set_new("churn");
    for (int i = 0; i < batch; i++) {
        long long n = e->next_id++;
        snprintf(id, sizeof(id), "nova:instance:%016llx-churn", n);
        snprintf(alias, sizeof(alias), "instance-%08llx", n);
        snprintf(host, sizeof(host), "nova:hypervisor:host-%03lld", n % HOSTS);
        json_t *attrs =
            json_pack("{s:[s],s:s,s:i}", "aliases", alias, "flavor", "m1.small", "vcpus", 2);
        if (ls_change_put_node_new(cs, id, "instance", alias, "ACTIVE", attrs, NULL, NULL) ||
            ls_change_put_edge_new(cs, id, LS_EDGE_RUNS_ON, host, NULL, LS_ESRC_IMPORTED, 1.0,
                                   NULL))
            exit(1);
    }
    apply(e->g, cs);
    struct ls_snap *s = ls_graph_snap(e->g);
    for (long long n = first; n < e->next_id; n++) {
        snprintf(id, sizeof(id), "nova:instance:%016llx-churn", n);
        size_t len;
        const struct ls_node *node = ls_snap_node(s, id);
        if (node == NULL || ls_node_json(node, &len) == NULL)
            exit(1);
        ls_telemetry_apply(e->t, id, "cpu_util", "", "%", 0, 12.5, ls_time_now_us());
        ls_telemetry_apply(e->t, id, "disk.read.bytes", "vda", "B", 1, 4096.0 * (double)n,
                           ls_time_now_us());
    }
    ls_snap_release(s);
    cs = ls_change_set_new("churn");
    for (long long n = first; n < e->next_id; n++) {
        snprintf(id, sizeof(id), "nova:instance:%016llx-churn", n);
        ls_change_del_node(cs, id);
    }
    apply(e->g, cs);
}

struct reader {
    struct ls_graph *g;
    _Atomic int stop;
    long walks;
};

static void *read_loop(void *arg)
{
    struct reader *r = arg;
    char host[64];
    while (!atomic_load(&r->stop)) {
        struct ls_snap *s = ls_graph_snap(r->g);
        snprintf(host, sizeof(host), "nova:hypervisor:host-%03ld", r->walks % HOSTS);
        struct ls_subgraph sg;
        if (ls_snap_subgraph(s, host, 1, LS_DIR_IN, -1, 10000, &sg, NULL) == LS_OK)
            ls_subgraph_cleanup(&sg);
        ls_snap_release(s);
        r->walks++;
    }
    return NULL;
}

static void report(const char *what, struct env *e)
{
    struct mallinfo2 mi = mallinfo2();
    struct graph_slot_stats st;
    graph_slot_stats(e->g, &st);
    size_t tn, ts;
    ls_telemetry_counts(e->t, &tn, &ts);
    printf("%-28s ids %9lld  rss %8ld KiB  heap in use %8zu KiB  node slots %u (free %u)  "
           "edge slots %u (free %u)  rounds %llu  aliases %zu  telemetry nodes %zu\n",
           what, e->next_id, rss_kb(), mi.uordblks / 1024, st.nslots, st.nfree, st.eslots, st.efree,
           (unsigned long long)st.rounds, ls_alias_count(e->a), tn);
}

int main(int argc, char **argv)
{
    long long ids = argc > 1 ? atoll(argv[1]) : 1000000;
    long long warmup = argc > 2 ? atoll(argv[2]) : 100000;
    int batch = argc > 3 ? atoi(argv[3]) : 1000;
    struct env e = {.g = ls_graph_new()};
    e.a = ls_alias_new(e.g);
    e.t = ls_telemetry_new();
    ls_telemetry_follow(e.t, e.g);
    /* the long-lived part: hosts the instances run on */
    struct ls_change_set *cs = ls_change_set_new("churn");
    char host[64];
    for (int i = 0; i < HOSTS; i++) {
        snprintf(host, sizeof(host), "nova:hypervisor:host-%03d", i);
        if (ls_change_put_node_new(cs, host, "hypervisor", host, "up", NULL, NULL, NULL))
            return 1;
    }
    apply(e.g, cs);
    struct reader rd = {.g = e.g};
    pthread_t th;
    pthread_create(&th, NULL, read_loop, &rd);
    report("empty (100 hosts)", &e);
    long long t0 = ls_time_mono_ns();
    while (e.next_id < warmup)
        cycle(&e, batch);
    report("after warm-up", &e);
    long rss0 = rss_kb();
    size_t heap0 = mallinfo2().uordblks;
    long long t1 = ls_time_mono_ns();
    while (e.next_id < warmup + ids)
        cycle(&e, batch);
    long long t2 = ls_time_mono_ns();
    report("after churn", &e);
    long rss1 = rss_kb();
    size_t heap1 = mallinfo2().uordblks;
    atomic_store(&rd.stop, 1);
    pthread_join(th, NULL);
    printf("churned %lld ids (create + delete, batches of %d) in %.2f s (%.0f ids/s; warm-up "
           "%lld ids in %.2f s); reader walks %ld\n",
           ids, batch, (double)(t2 - t1) / 1e9, (double)ids / ((double)(t2 - t1) / 1e9), warmup,
           (double)(t1 - t0) / 1e9, rd.walks);
    printf("RSS after warm-up %ld KiB, after churn %ld KiB: ratio %.3f\n", rss0, rss1,
           (double)rss1 / (double)rss0);
    printf("heap in use after warm-up %zu KiB, after churn %zu KiB: ratio %.3f\n", heap0 / 1024,
           heap1 / 1024, (double)heap1 / (double)heap0);
    ls_alias_free(e.a);
    ls_telemetry_free(e.t);
    ls_graph_free(e.g);
    return 0;
}
