/* The OpenStack importer against the scale simulator (tests/tools/ossim) and a private
 * Postgres: a full import of a large cloud (wall time split into read / map / apply, requests,
 * rows written per second), an incremental pass after 1% of the servers changed, and a
 * reconciliation that finds nothing to change.
 * Usage: bench_openstack [hypervisors] [servers] [volumes] [concurrency]
 * LS_BENCH_FULL_ONLY=1 stops after the full import (to profile it alone); LS_BENCH_DEBUG=MOD
 * turns on a module's debug log (sql: the apply split). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "importers/openstack/importer.h"
#include "sql/embedded.h"
#include "sql/store.h"
#include "tests/tools/ossim/ossim.h"

static int fail(const char *what, const struct ls_err *err)
{
    fprintf(stderr, "bench_openstack: %s: %s\n", what, err->msg);
    return 1;
}

/* CPU seconds (user + system) this process has used: importer and simulator threads, not
 * Postgres. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double cpu_mark;

static void report(const char *what, struct ls_os_importer *imp)
{
    struct ls_os_pass_stats st;
    ls_os_importer_stats(imp, &st);
    double cpu = cpu_seconds();
    printf("%-26s wall %7.3f s (read %6.3f, map %6.3f, apply %6.3f)  requests %6llu  "
           "rows %8llu  rows/s (apply) %9.0f  cpu %.1f s\n",
           what, st.seconds, st.read_seconds, st.map_seconds, st.apply_seconds,
           (unsigned long long)st.requests, (unsigned long long)st.changes,
           st.apply_seconds > 0 ? (double)st.changes / st.apply_seconds : 0.0, cpu - cpu_mark);
    cpu_mark = cpu;
}

int main(int argc, char **argv)
{
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.hypervisors = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 10000;
    so.servers = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 100000;
    so.volumes = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 20000;
    int conc = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 4;
    so.ports_per_server = 1;
    so.networks = 100;
    so.projects = 50;
    so.aggregates = 20;
    so.stacks = 100;
    if (getenv("LS_BENCH_DEBUG"))
        ls_log_debug_module(getenv("LS_BENCH_DEBUG"));
    char errbuf[256];
    long long t0 = ls_time_mono_ns();
    struct ossim *sim = ossim_start(&so, errbuf, sizeof(errbuf));
    if (!sim) {
        fprintf(stderr, "bench_openstack: ossim: %s\n", errbuf);
        return 1;
    }
    printf("simulated cloud: %d hypervisors, %d servers, %d ports, %d volumes (generated in "
           "%.2f s)\n",
           so.hypervisors, so.servers, so.servers * so.ports_per_server, so.volumes,
           (double)(ls_time_mono_ns() - t0) / 1e9);

    setvbuf(stdout, NULL, _IOLBF, 0); /* figures as they come */
    char dir[] = "/tmp/ls-bench-os-XXXXXX", clouds[128];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(clouds, sizeof(clouds), "%s/clouds.yaml", dir);
    FILE *f = fopen(clouds, "w");
    if (!f)
        return 1;
    fprintf(f,
            "clouds:\n  sim:\n    auth:\n      auth_url: %s\n      username: admin\n"
            "      password: secret\n      project_name: admin\n"
            "      user_domain_name: Default\n      project_domain_name: Default\n",
            ossim_auth_url(sim));
    fclose(f);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);

    struct ls_err err;
    struct ls_pg_embedded *pg;
    struct ls_store *store;
    if (ls_pg_embedded_start(&pg, dir, true /* --pg-fast-unsafe */, &err) ||
        ls_store_open(&store, ls_pg_embedded_dsn(pg), &err))
        return fail("postgres", &err);
    struct ls_graph *g = ls_graph_new();
    struct ls_os_importer_opts o = {.cloud = "sim",
                                    .sync_interval_s = 60,
                                    .reconcile_interval_s = 3600,
                                    .session = {.timeout_s = 60, .retries = 3},
                                    .collect = {.concurrency = conc, .page_size = 1000}};
    struct ls_os_importer *imp;
    if (ls_os_importer_new(&imp, &o, g, store, &err))
        return fail("importer", &err);
    cpu_mark = cpu_seconds();
    if (ls_os_importer_pass(imp, LS_OS_PASS_FULL, &err))
        return fail("full pass", &err);
    report("full import", imp);
    struct ls_os_pass_stats full;
    ls_os_importer_stats(imp, &full);
    struct ls_snap *snap = ls_graph_snap(g);
    printf("  graph: %zu nodes, %zu edges; target < 10 s: %s (%.2fx of the budget)\n",
           ls_snap_node_count(snap), ls_snap_edge_count(snap),
           full.seconds < 10 ? "met" : "NOT met", full.seconds / 10.0);
    ls_snap_release(snap);
    long long t_settle = ls_time_mono_ns();
    ls_store_settle(store); /* the bulk load's indexes, built after its commit */
    printf("  indexes and statistics ready %.3f s after the pass (built after its commit; the "
           "graph was live and its rows durable before)\n",
           (double)(ls_time_mono_ns() - t_settle) / 1e9);
    if (getenv("LS_BENCH_FULL_ONLY")) /* for profiling the full import alone */
        goto out;

    sleep(1); /* changes-since has second resolution */
    int changed = ossim_churn(sim, 0.01);
    cpu_mark = cpu_seconds();
    if (ls_os_importer_pass(imp, LS_OS_PASS_INCREMENTAL, &err))
        return fail("incremental pass", &err);
    char what[64];
    snprintf(what, sizeof(what), "incremental (%d changed)", changed);
    report(what, imp);
    if (ls_os_importer_pass(imp, LS_OS_PASS_FULL, &err))
        return fail("reconciliation", &err);
    report("reconciliation", imp);
    struct ls_os_pass_stats rec;
    ls_os_importer_stats(imp, &rec);
    printf("  reconciliation after the incremental pass changed %llu rows (0 = nothing missed)\n",
           (unsigned long long)rec.changes);
out:
    ls_os_importer_free(imp);
    ls_store_close(store);
    ls_graph_free(g);
    ls_pg_embedded_stop(pg, true);
    ossim_stop(sim);
    return 0;
}
