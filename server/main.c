/* landscaped: configuration -> logging -> Postgres (embedded or given) -> store -> graph ->
 * subsystems (demo, importers, ...) -> HTTP; SIGINT/SIGTERM stops everything in reverse. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef LS_MIMALLOC
#include <mimalloc.h>
#endif

#include "analytics/watch.h"
#include "common/config.h"
#include "common/isolate.h"
#include "common/log.h"
#include "common/time.h"
#include "importers/host/topology.h"
#include "importers/openstack/client.h"
#include "importers/telemetry/pending.h"
#include "model/alias.h"
#include "model/samples.h"
#include "model/telemetry.h"
#include "server/auth.h"
#include "server/colours.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/notify.h"
#include "server/placement_traits.h"
#include "server/router.h"
#include "server/sse.h"
#include "server/subsystems.h"
#include "server/watcher_trigger.h"
#include "sql/embedded.h"
#include "sql/store.h"

#define LS_VERSION "0.1.0"

/* The allocator this binary was linked with (mimalloc's version is major*100 + minor*10 +
 * patch). */
static const char *allocator_name(char *buf, size_t cap)
{
#ifdef LS_MIMALLOC
    int v = mi_version();
    snprintf(buf, cap, "mimalloc-%d.%d.%d", v / 100, v / 10 % 10, v % 10);
#else
    snprintf(buf, cap, "system");
#endif
    return buf;
}

static int write_port_file(const char *path, int port)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    fclose(f);
    return rename(tmp, path); /* readers never see a half-written file */
}

int main(int argc, char **argv)
{
    struct ls_config cfg;
    struct ls_err err;
    bool check, help;
    ls_config_defaults(&cfg);
    if (ls_config_load(&cfg, argc, argv, &check, &help, &err) != LS_OK ||
        ls_config_validate(&cfg, &err) != LS_OK) {
        fprintf(stderr, "landscaped: %s\n", err.msg);
        ls_config_cleanup(&cfg);
        return 2;
    }
    if (help) {
        ls_config_usage(stdout);
        ls_config_cleanup(&cfg);
        return 0;
    }
    if (check) {
        ls_config_print(&cfg, stdout);
        ls_config_cleanup(&cfg);
        return 0;
    }
    enum ls_log_level lvl;
    if (ls_log_parse_level(cfg.log_level, &lvl))
        ls_log_set_level(lvl);
    ls_log_set_json(cfg.log_json);

    /* SIGINT/SIGTERM are blocked before any thread starts (every thread inherits the mask)
     * and taken by sigwait below: one that arrives during the start is kept for then, and no
     * other thread can take it from the main one. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* the processes that untrusted parsers run in (common/isolate.h): forked while this one is
     * small and has no thread, with hwloc's plugins loaded for the hwloc XML trials */
    ls_host_topology_global_init();
    if (ls_isolate_helper_start(&err) != LS_OK)
        ls_log(LS_LOG_WARN, "main",
               "isolate helpers missing; without any, isolated runs fork the service", "error=%s",
               err.msg);
    ls_client_global_init(); /* webhooks (server/notify.c): before any thread starts */

    int status = 1;
    struct ls_pg_embedded *pg = NULL;
    struct ls_store *store = NULL;
    struct ls_ctx ctx = {.cfg = &cfg, .started_us = ls_time_now_us(), .version = LS_VERSION};
    struct ls_http *http = NULL;
    int started = 0;
    /* the token file, the service's cloud and the TLS files are read first: a mistake there
     * fails the start before Postgres starts */
    if (ls_auth_new(&ctx.auth, &cfg, &err) != LS_OK || ls_http_tls_check(&cfg, &err) != LS_OK)
        goto out;
    const char *dsn = cfg.db;
    if (dsn[0] == '\0') {
        if (cfg.pg_fast_unsafe)
            ls_log(LS_LOG_WARN, "main",
                   "pg-fast-unsafe: the private postgres runs without fsync and full page "
                   "writes; a power loss or OS crash can lose acknowledged writes or the "
                   "database (tests and benchmarks only)",
                   "data_dir=%s", cfg.data_dir);
        if (ls_pg_embedded_start(&pg, cfg.data_dir, cfg.pg_fast_unsafe, &err) != LS_OK)
            goto out;
        dsn = ls_pg_embedded_dsn(pg);
    } else if (cfg.pg_fast_unsafe) {
        ls_log(LS_LOG_INFO, "main", "pg-fast-unsafe has no effect with --db", NULL);
    }
    struct ls_store_opts so = {
        .write_timeout_s = cfg.db_write_timeout,
        .connect_timeout_s = cfg.db_connect_timeout,
        .statement_timeout_s = cfg.db_statement_timeout,
        .keepalives_idle_s = cfg.db_keepalives_idle,
        .keepalives_interval_s = cfg.db_keepalives_interval,
        .keepalives_count = cfg.db_keepalives_count,
        .tcp_user_timeout_s = cfg.db_tcp_user_timeout,
    };
    if (ls_store_open_opts(&store, dsn, &so, &err) != LS_OK)
        goto out;
    ctx.store = store;
    ctx.graph = ls_graph_new();
    if (ls_store_load(store, ctx.graph, &err) != LS_OK)
        goto out;
    ctx.telemetry = ls_telemetry_new();
    ls_telemetry_set_max_series(ctx.telemetry, (size_t)cfg.telemetry_max_series_per_node);
    ls_telemetry_follow(ctx.telemetry, ctx.graph); /* a deleted node's state goes with it */
    if (cfg.telemetry_raw_max_points > 0) {
        ctx.samples = ls_samples_new(cfg.telemetry_raw_retention * 1000000LL,
                                     (size_t)cfg.telemetry_raw_max_points);
        ls_telemetry_set_samples(ctx.telemetry, ctx.samples);
    }
    ctx.aliases = ls_alias_new(ctx.graph);
    /* after the alias index: its listener must run first */
    ctx.pending = ls_tel_pending_new(ctx.graph, ctx.aliases, ctx.telemetry, 10000, 600 * 1000000LL);
    ctx.metrics = ls_metrics_new(ls_routes_count);
    ctx.sse = ls_sse_new(&ctx);
    struct ls_notify_opts no = {.webhooks = (const char *const *)cfg.webhook.v,
                                .n_webhooks = cfg.webhook.n,
                                .secret = cfg.webhook_secret,
                                .queue_max = (size_t)cfg.webhook_queue,
                                .max_attempts = (int)cfg.webhook_attempts};
    ctx.notify = ls_notify_new(&no, ctx.sse);
    ls_colours_attach(&ctx); /* the watch, fed before any sample is applied */
    for (; started < ls_subsystems_count; started++) {
        const struct ls_subsystem *s = &ls_subsystems[started];
        if (s->start(&ctx, &err) != LS_OK) {
            ls_err_wrap(&err, "%s", s->name);
            goto out;
        }
    }
    int port;
    if (ls_http_start(&http, &ctx, cfg.listen, (int)cfg.threads, &port, &err) != LS_OK)
        goto out;
    char host[256];
    snprintf(host, sizeof(host), "%.*s", (int)(strrchr(cfg.listen, ':') - cfg.listen), cfg.listen);
    char alloc[32];
    const char *scheme = cfg.tls_cert[0] ? "https" : "http";
    ls_log(LS_LOG_INFO, "main", "listening", "url=%s://%s:%d/ auth=%s version=%s allocator=%s",
           scheme, host, port, cfg.auth, LS_VERSION, allocator_name(alloc, sizeof(alloc)));
    printf("Landscape is running: open %s://%s:%d/\n", scheme, host, port);
    fflush(stdout);
    if (cfg.port_file[0] && write_port_file(cfg.port_file, port) != 0)
        ls_log(LS_LOG_WARN, "main", "cannot write port file", "path=%s", cfg.port_file);
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    ls_log(LS_LOG_INFO, "main", "shutting down", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
out:
    if (status != 0)
        ls_log(LS_LOG_ERROR, "main", "cannot start", "err=\"%s\"", err.msg);
    for (int i = 0; i < started; i++)
        if (ls_subsystems[i].interrupt)
            ls_subsystems[i].interrupt(&ctx);
    ls_sse_shutdown(ctx.sse);
    ls_http_stop(http);
    while (started-- > 0)
        ls_subsystems[started].stop(&ctx);
    ls_notify_free(ctx.notify);           /* every publisher has stopped */
    ls_watcher_trigger_free(ctx.watcher); /* after its subscriber thread */
    ls_placement_traits_free(ctx.traits); /* likewise */
    ls_sse_free(ctx.sse);
    ls_metrics_free(ctx.metrics);
    ls_store_close(store);
    ls_tel_pending_free(ctx.pending);
    ls_alias_free(ctx.aliases);
    ls_telemetry_free(ctx.telemetry);
    ls_watch_free(ctx.watch);
    ls_samples_free(ctx.samples);
    ls_graph_free(ctx.graph);
    ls_auth_free(ctx.auth);
    ls_pg_embedded_stop(pg, false);
    ls_config_cleanup(&cfg);
    ls_client_global_cleanup();
    ls_isolate_helper_stop();
    return status;
}
