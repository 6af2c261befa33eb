/* Placement recommendations on a large landscape: 10k hypervisors (250 racks of 40, 4 zones,
 * 10 aggregates, Placement inventories with random usage, traits), 20k servers with flavors,
 * cpu_util for every hypervisor, 1 % of hosts red and 5 % yellow through the colour callback.
 * Prints the host table's build time and the latency of one recommendation (ranking every
 * host; then ranking + rendering the answer as the endpoint does) over a mix of requests:
 * p50 / p99 / max. Usage: bench_placement [hosts] [requests]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analytics/placement.h"
#include "common/map.h"
#include "common/time.h"
#include "model/change.h"
#include "model/telemetry.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void must(int rc, const struct ls_err *err)
{
    if (rc != LS_OK) {
        fprintf(stderr, "bench_placement: %s\n", err->msg);
        exit(1);
    }
}

static struct ls_map colours; /* node id -> (void *)colour */

static int colour_of(void *arg, const char *id)
{
    (void)arg;
    return (int)(uintptr_t)ls_map_get(&colours, id);
}

static void build(struct ls_graph *g, struct ls_telemetry *tel, int hosts)
{
    struct ls_change_set *cs = ls_change_set_new("bench");
    struct ls_err err;
    char id[128], id2[128];
    static const char *const traits[] = {"HW_CPU_X86_AVX2", "HW_CPU_X86_AVX512F", "CUSTOM_SSD",
                                         "CUSTOM_GPU", "COMPUTE_STATUS_ENABLED"};
    for (int z = 0; z < 4; z++) {
        snprintf(id, sizeof(id), "nova:availability_zone:az%d", z);
        snprintf(id2, sizeof(id2), "az%d", z);
        must(ls_change_put_node_new(cs, id, "availability_zone", id2, "", NULL, NULL, &err), &err);
    }
    for (int a = 0; a < 10; a++) {
        snprintf(id, sizeof(id), "nova:aggregate:%d", a);
        snprintf(id2, sizeof(id2), "agg%d", a);
        must(ls_change_put_node_new(cs, id, "aggregate", id2, "", NULL, NULL, &err), &err);
    }
    for (int r = 0; r < (hosts + 39) / 40; r++) {
        snprintf(id, sizeof(id), "manual:rack:r%03d", r);
        must(ls_change_put_node_new(cs, id, "rack", id + 12, "active", NULL, NULL, &err), &err);
    }
    ls_map_init(&colours);
    for (int h = 0; h < hosts; h++) {
        char name[64], hv[96], m[96], rack[64];
        snprintf(name, sizeof(name), "cmp%05d", h);
        snprintf(hv, sizeof(hv), "nova:hypervisor:%s", name);
        snprintf(m, sizeof(m), "host:machine:%s", name);
        snprintf(rack, sizeof(rack), "manual:rack:r%03d", h / 40);
        int cores = 32 + 32 * (int)rnd(3);
        json_t *tr = json_array();
        for (size_t t = 0; t < 5; t++)
            if (rnd(2))
                json_array_append_new(tr, json_string(traits[t]));
        json_t *a = json_pack(
            "{s:s,s:{s:{s:i,s:i,s:f,s:i,s:i,s:i},s:{s:i,s:i,s:f},s:{s:i,s:i,s:f}},"
            "s:{s:i,s:i,s:i},s:o}",
            "hypervisor_hostname", name, "inventories", "VCPU", "total", cores, "reserved", 2,
            "allocation_ratio", 4.0, "min_unit", 1, "max_unit", cores, "step_size", 1, "MEMORY_MB",
            "total", cores * 8192, "reserved", 4096, "allocation_ratio", 1.0, "DISK_GB", "total",
            4000, "reserved", 0, "allocation_ratio", 1.0, "usages", "VCPU",
            (int)rnd((uint32_t)(cores * 4)), "MEMORY_MB", (int)rnd((uint32_t)(cores * 8192)),
            "DISK_GB", (int)rnd(4000), "traits", tr);
        must(ls_change_put_node_new(cs, hv, "hypervisor", name, "up", a, NULL, &err), &err);
        must(ls_change_put_node_new(cs, m, "machine", name, "active", NULL, NULL, &err), &err);
        must(ls_change_put_edge_new(cs, hv, LS_EDGE_RUNS_ON, m, NULL, LS_ESRC_INFERRED, 1, &err),
             &err);
        must(ls_change_put_edge_new(cs, rack, LS_EDGE_CONTAINS, m, NULL, LS_ESRC_MANUAL, 1, &err),
             &err);
        snprintf(id, sizeof(id), "nova:availability_zone:az%d", h % 4);
        must(ls_change_put_edge_new(cs, hv, LS_EDGE_MEMBER_OF, id, NULL, LS_ESRC_IMPORTED, 1, &err),
             &err);
        snprintf(id, sizeof(id), "nova:aggregate:%d", h % 10);
        must(ls_change_put_edge_new(cs, hv, LS_EDGE_MEMBER_OF, id, NULL, LS_ESRC_IMPORTED, 1, &err),
             &err);
        uint32_t c = rnd(100);
        if (c < 6)
            ls_map_put(&colours, hv, (void *)(uintptr_t)(c == 0 ? 3 : 2));
    }
    for (int s = 0; s < hosts * 2; s++) {
        snprintf(id, sizeof(id), "nova:instance:%08d-0000-0000-0000-000000000000", s);
        snprintf(id2, sizeof(id2), "nova:hypervisor:cmp%05d", (int)rnd((uint32_t)hosts));
        int size = 1 << rnd(4);
        char fname[32];
        snprintf(fname, sizeof(fname), "b1.x%d", size);
        json_t *a = json_pack("{s:{s:s,s:i,s:i,s:i}}", "flavor", "name", fname, "vcpus", size,
                              "ram_mb", size * 2048, "disk_gb", size * 10);
        must(ls_change_put_node_new(cs, id, "instance", id + 14, "ACTIVE", a, NULL, &err), &err);
        must(ls_change_put_edge_new(cs, id, LS_EDGE_RUNS_ON, id2, NULL, LS_ESRC_IMPORTED, 1, &err),
             &err);
    }
    struct ls_prepared *p;
    must(ls_graph_prepare(g, cs, 1000000, &p, &err), &err);
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
    for (int h = 0; h < hosts; h++) {
        char hv[96];
        snprintf(hv, sizeof(hv), "nova:hypervisor:cmp%05d", h);
        ls_telemetry_apply(tel, hv, "cpu_util", "", "%", 0, (double)rnd(100), 1000000);
    }
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, long long *ns, int n)
{
    qsort(ns, (size_t)n, sizeof(*ns), cmp_ll);
    printf("%-44s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  (%d requests)\n", what,
           (double)ns[n / 2] / 1e6, (double)ns[(n * 99) / 100] / 1e6, (double)ns[n - 1] / 1e6, n);
}

int main(int argc, char **argv)
{
    int hosts = argc > 1 ? atoi(argv[1]) : 10000;
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    if (hosts < 40 || n < 10)
        return 2;
    struct ls_graph *g = ls_graph_new();
    struct ls_telemetry *tel = ls_telemetry_new();
    build(g, tel, hosts);
    struct ls_placement *pl = ls_placement_new(g);
    long long t0 = ls_time_mono_ns();
    struct ls_place_table *t = ls_placement_table(pl);
    long long t1 = ls_time_mono_ns();
    printf("hosts %zu, servers %d: host table built in %.1f ms\n", ls_place_table_size(t),
           hosts * 2, (double)(t1 - t0) / 1e6);
    struct ls_place_live live = {.tel = tel, .colour = colour_of, .max_age_ms = 1000};
    long long *rank_ns = calloc((size_t)n, sizeof(long long));
    long long *full_ns = calloc((size_t)n, sizeof(long long));
    long long *top_ns = calloc((size_t)n, sizeof(long long));
    size_t fitted = 0;
    /* the requests, made once (deterministic mix) */
    char(*bodies)[512] = calloc((size_t)n, sizeof(*bodies));
    for (int i = 0; i < n; i++) {
        int size = 1 << rnd(5);
        int kind = (int)rnd(10);
        char *body = bodies[i];
        int len = snprintf(body, 512,
                           "{\"flavor\":{\"vcpus\":%d,\"ram_mb\":%d,"
                           "\"disk_gb\":%d}",
                           size, size * 2048, size * 10);
        if (kind < 3)
            len += snprintf(body + len, 512 - (size_t)len,
                            ",\"traits\":{\"required\":[\"CUSTOM_SSD\"]}");
        else if (kind < 5)
            len += snprintf(body + len, 512 - (size_t)len, ",\"availability_zone\":\"az%d\"",
                            (int)rnd(4));
        else if (kind < 6)
            len += snprintf(body + len, 512 - (size_t)len,
                            ",\"affinity\":\"different_rack\",\"group\":[\"%08d-0000-0000-0000-"
                            "000000000000\",\"%08d-0000-0000-0000-000000000000\"]",
                            (int)rnd((uint32_t)hosts), (int)rnd((uint32_t)hosts));
        snprintf(body + len, 512 - (size_t)len, "}");
    }
    /* three passes, one per answer kind, so one kind's garbage does not time the next */
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < n; i++) {
            json_error_t je;
            json_t *b = json_loads(bodies[i], 0, &je);
            struct ls_place_request r;
            struct ls_place_verdict *v = NULL;
            size_t got = 0;
            json_t *exc = NULL;
            struct ls_err err;
            long long a = ls_time_mono_ns();
            must(ls_place_request_parse(b, t, &r, &err), &err);
            if (pass == 2)
                r.count = 10; /* a top-10 answer */
            must(ls_place_rank(t, &r, &live, &v, &got, &exc, &err), &err);
            long long c = ls_time_mono_ns();
            if (pass == 0) {
                json_decref(exc);
                rank_ns[i] = c - a;
                fitted += got;
            } else {
                json_t *ans = ls_place_answer_json(t, v, got, exc);
                char *txt = json_dumps(ans, JSON_COMPACT);
                long long d = ls_time_mono_ns();
                free(txt);
                json_decref(ans);
                (pass == 1 ? full_ns : top_ns)[i] = d - a;
            }
            free(v);
            json_decref(b);
        }
    }
    free(bodies);
    report("parse + rank all hosts", rank_ns, n);
    report("parse + rank + render every fitting host", full_ns, n);
    report("parse + rank + render top 10 (count: 10)", top_ns, n);
    printf("mean hosts fitting per request: %.0f\n", (double)fitted / n);
    free(rank_ns);
    free(full_ns);
    free(top_ns);
    ls_place_table_release(t);
    ls_placement_free(pl);
    ls_telemetry_free(tel);
    ls_graph_free(g);
    ls_map_cleanup(&colours);
    return 0;
}
