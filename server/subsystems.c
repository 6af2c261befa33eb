/* The subsystem table and the small subsystems that live in the server itself. */
#include "server/subsystems.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "analytics/depinfer.h"
#include "common/log.h"
#include "common/time.h"
#include "importers/demo/demo.h"
#include "importers/openstack/importer.h"
#include "importers/telemetry/consumer.h"
#include "importers/telemetry/demo_stream.h"
#include "model/rollup.h"
#include "model/samples.h"
#include "model/telemetry.h"
#include "server/colours.h"
#include "server/dependencies.h"
#include "server/handlers.h"
#include "server/placement_traits.h"
#include "server/watcher_trigger.h"

static int demo_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (!ctx->cfg->demo)
        return LS_OK;
    struct ls_demo_opts o;
    ls_demo_opts_init(&o);
    /* With a cloud configured (the demo's simulator, or a real one), OpenStack brings the
     * virtual and service layers; the demo keeps the machines they run on. */
    o.physical_only = ctx->cfg->os_cloud.n > 0;
    return ls_demo_load(ctx->store, ctx->graph, &o, err);
}

static void nothing(struct ls_ctx *ctx)
{
    (void)ctx;
}

/* A job run on its own thread at start and then every interval, until stopped (retention,
 * raw samples' retention, rollup writes, rollup retention). */
struct periodic {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, running;
    long interval_s;
    void (*fn)(struct ls_ctx *ctx);
    struct ls_ctx *ctx;
};
#define PERIODIC_INIT                                                                              \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER                        \
    }

static void *periodic_loop(void *arg)
{
    struct periodic *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        pthread_mutex_unlock(&p->lock);
        p->fn(p->ctx);
        pthread_mutex_lock(&p->lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += p->interval_s;
        if (!p->stop)
            pthread_cond_timedwait(&p->cond, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int periodic_start(struct periodic *p,
                          struct ls_ctx *ctx,
                          long interval_s,
                          void (*fn)(struct ls_ctx *ctx),
                          struct ls_err *err)
{
    p->stop = false;
    p->interval_s = interval_s;
    p->fn = fn;
    p->ctx = ctx;
    p->running = pthread_create(&p->thread, NULL, periodic_loop, p) == 0;
    return p->running ? LS_OK : ls_err_set(err, LS_ERR, NULL, "cannot start a thread");
}

static void periodic_stop(struct periodic *p)
{
    if (!p->running)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->running = false;
}

/* Retention: once an hour, prune versions that ended more than retention-days ago. */
static struct periodic retention = PERIODIC_INIT;

static void prune_versions(struct ls_ctx *ctx)
{
    int64_t bound = ls_time_now_us() - ctx->cfg->retention_days * 86400LL * 1000000LL;
    uint64_t rows = 0;
    struct ls_err err;
    if (ls_store_prune(ctx->store, bound, &rows, &err) != LS_OK)
        ls_log(LS_LOG_WARN, "retention", "prune failed", "err=\"%s\"", err.msg);
    else if (rows)
        ls_log(LS_LOG_INFO, "retention", "old versions pruned", "rows=%llu",
               (unsigned long long)rows);
}

static int retention_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (ctx->cfg->retention_days <= 0)
        return LS_OK;
    return periodic_start(&retention, ctx, 3600, prune_versions, err);
}

static void retention_stop(struct ls_ctx *ctx)
{
    (void)ctx;
    periodic_stop(&retention);
}

/* Raw samples: once a minute, drop the points past their retention and the series left empty
 * (a series that still reports drops its own as it takes new points; reads never see them
 * either way). Without it, series that stopped would keep their points, and their count,
 * against --telemetry-raw-max-points. */
static struct periodic raw_retention = PERIODIC_INIT;

static void prune_raw(struct ls_ctx *ctx)
{
    ls_samples_prune(ctx->samples);
}

static int raw_retention_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (!ctx->samples)
        return LS_OK;
    return periodic_start(&raw_retention, ctx, 60, prune_raw, err);
}

static void raw_retention_stop(struct ls_ctx *ctx)
{
    (void)ctx;
    periodic_stop(&raw_retention);
}

/* Telemetry rollups: every value a series takes goes to its open minute; closed minutes
 * (minute end + grace) are written every flush interval, and the watermark lets the Kafka
 * consumer store offsets only for records whose minutes are durable. Day partitions older
 * than the retention are dropped once an hour. */
static struct periodic flusher = PERIODIC_INIT, rollup_retention = PERIODIC_INIT;

/* Writes the closed minutes; on failure they go back and are tried again next time. */
static void flush_rollups(struct ls_ctx *ctx)
{
    size_t n;
    struct ls_err err;
    if (ls_store_rollups_flush(ctx->store, ctx->rollup, ls_time_now_us(), &n, &err) != LS_OK)
        ls_log(LS_LOG_WARN, "telemetry", "rollup write failed; kept for the next try",
               "rows=%zu err=\"%s\"", n, err.msg);
}

static void prune_rollups(struct ls_ctx *ctx)
{
    int dropped = 0;
    struct ls_err err;
    int64_t bound = ls_time_now_us() - ctx->cfg->telemetry_retention_days * 86400LL * 1000000LL;
    if (ls_store_rollups_prune(ctx->store, bound, &dropped, &err) != LS_OK)
        ls_log(LS_LOG_WARN, "telemetry", "rollup retention failed", "err=\"%s\"", err.msg);
    else if (dropped)
        ls_log(LS_LOG_INFO, "telemetry", "old rollup days dropped", "days=%d", dropped);
}

static void rollups_stop(struct ls_ctx *ctx);

static int rollups_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (!ctx->cfg->telemetry_rollups)
        return LS_OK;
    ctx->rollup = ls_rollup_new(ctx->cfg->telemetry_rollup_grace * 1000000LL);
    ls_telemetry_set_rollup(ctx->telemetry, ctx->rollup);
    int rc = periodic_start(&flusher, ctx, ctx->cfg->telemetry_flush_interval, flush_rollups, err);
    if (rc == LS_OK)
        rc = periodic_start(&rollup_retention, ctx, 3600, prune_rollups, err);
    if (rc != LS_OK)
        rollups_stop(ctx); /* this subsystem did not start: undo what it made */
    return rc;
}

static void rollups_stop(struct ls_ctx *ctx)
{
    if (!ctx->rollup)
        return;
    periodic_stop(&rollup_retention);
    periodic_stop(&flusher);
    /* The closed minutes are written; open ones are not: their Kafka records were not
     * committed and are read again at the next start (a minute is written once, whole). */
    flush_rollups(ctx);
    ls_telemetry_set_rollup(ctx->telemetry, NULL);
    ls_rollup_free(ctx->rollup);
    ctx->rollup = NULL;
}

/* Dependency inference: the state spans are fed to (the consumer, POST /v1/telemetry) and a
 * re-inference pass every --depinfer-interval seconds (0: none, and spans are dropped). */
static struct periodic depinfer_pass = PERIODIC_INIT, depinfer_metrics = PERIODIC_INIT;

static void run_depinfer_metrics(struct ls_ctx *ctx)
{
    size_t n;
    struct ls_err err;
    if (ls_dep_metrics_pass(ctx, &n, &err) != LS_OK)
        ls_log(LS_LOG_WARN, "depinfer", "metric pass failed; tried again next time", "err=\"%s\"",
               err.msg);
    else if (n)
        ls_log(LS_LOG_DEBUG, "depinfer", "metric pass", "links=%zu", n);
}

static void run_depinfer(struct ls_ctx *ctx)
{
    size_t n;
    struct ls_err err;
    if (ls_dep_run(ctx, &n, &err) != LS_OK)
        ls_log(LS_LOG_WARN, "depinfer", "re-inference not applied; tried again next pass",
               "err=\"%s\"", err.msg);
    else if (n)
        ls_log(LS_LOG_DEBUG, "depinfer", "re-inference applied", "changes=%zu", n);
}

static int depinfer_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (ctx->cfg->depinfer_interval <= 0)
        return LS_OK;
    ctx->depinfer = ls_depinfer_new(NULL);
    int rc = periodic_start(&depinfer_pass, ctx, ctx->cfg->depinfer_interval, run_depinfer, err);
    if (rc == LS_OK && ctx->cfg->depinfer_metrics_interval > 0) {
        rc = periodic_start(&depinfer_metrics, ctx, ctx->cfg->depinfer_metrics_interval,
                            run_depinfer_metrics, err);
        if (rc != LS_OK)
            periodic_stop(&depinfer_pass);
    }
    if (rc != LS_OK) {
        ls_depinfer_free(ctx->depinfer);
        ctx->depinfer = NULL;
    }
    return rc;
}

static void depinfer_stop(struct ls_ctx *ctx)
{
    periodic_stop(&depinfer_metrics);
    periodic_stop(&depinfer_pass);
    ls_depinfer_free(ctx->depinfer);
    ctx->depinfer = NULL;
}

static void consumer_spans(const struct ls_span *spans, size_t n, void *arg)
{
    ls_dep_feed(arg, spans, n, NULL);
}

/* Kafka telemetry: one consumer in the configured group, when --kafka and topics are set. */
static struct ls_tel_consumer *consumer;

/* The fast path: OpenStack notifications on the consumed topics make the clouds' importers
 * re-read what changed now instead of at the next poll. Which cloud sent an event is not in
 * the notification, so every configured cloud is told (a pass that finds nothing changes
 * nothing). */
static void inventory_event(const struct ls_tel_inv_event *ev, void *arg)
{
    struct ls_ctx *ctx = arg;
    if (ev->kind == LS_INV_OTHER)
        return;
    ls_log(LS_LOG_DEBUG, "openstack", "notification", "event=%s kind=%s id=%s", ev->event_type,
           ls_tel_inv_kind_name(ev->kind), ev->id);
    for (int i = 0; i < ctx->n_clouds; i++)
        ls_os_importer_notify(ctx->clouds[i], ls_tel_inv_kind_name(ev->kind), ev->id);
}

static int telemetry_start(struct ls_ctx *ctx, struct ls_err *err)
{
    const struct ls_config *c = ctx->cfg;
    if (c->kafka[0] == '\0')
        return LS_OK;
    if (c->telemetry_topic.n == 0)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "--kafka needs at least one --telemetry-topic");
    struct ls_tel_consumer_opts o = {.brokers = c->kafka,
                                     .group = c->kafka_group,
                                     .topics = (const char *const *)c->telemetry_topic.v,
                                     .n_topics = c->telemetry_topic.n,
                                     .props = (const char *const *)c->kafka_property.v,
                                     .n_props = c->kafka_property.n,
                                     .formats = (const char *const *)c->telemetry_format.v,
                                     .n_formats = c->telemetry_format.n,
                                     .pending = ctx->pending,
                                     .dead_letter = c->telemetry_dead_letter,
                                     .on_inventory = ctx->n_clouds ? inventory_event : NULL,
                                     .rollup = ctx->rollup,
                                     .rollup_max_hold_s = ctx->cfg->telemetry_rollup_max_hold,
                                     .inventory_arg = ctx,
                                     .on_spans = ctx->depinfer ? consumer_spans : NULL,
                                     .spans_arg = ctx};
    int rc = ls_tel_consumer_start(&consumer, &o, ctx->graph, ctx->aliases, ctx->telemetry, err);
    ctx->consumer = rc == LS_OK ? consumer : NULL;
    return rc;
}

/* The demo's own Kafka stream, when --demo runs without a real cluster. */
static struct ls_tel_demo *demo_stream;

static int demo_stream_start(struct ls_ctx *ctx, struct ls_err *err)
{
    if (!ctx->cfg->demo || ctx->cfg->kafka[0])
        return LS_OK;
    int rc = ls_tel_demo_start(&demo_stream, ctx->graph, ctx->aliases, ctx->telemetry, 500, err);
    if (rc == LS_OK) {
        ctx->consumer = ls_tel_demo_consumer(demo_stream);
        ctx->demo_stream = demo_stream;
    }
    return rc;
}

static void demo_stream_stop(struct ls_ctx *ctx)
{
    if (demo_stream) {
        ctx->consumer = NULL;
        ctx->demo_stream = NULL;
    }
    ls_tel_demo_stop(demo_stream);
    demo_stream = NULL;
}

static void telemetry_stop(struct ls_ctx *ctx)
{
    ctx->consumer = NULL;
    ls_tel_consumer_stop(consumer);
    consumer = NULL;
}

static void openstack_interrupt(struct ls_ctx *ctx)
{
    for (int i = 0; i < ctx->n_clouds; i++)
        ls_os_importer_interrupt(ctx->clouds[i]);
}

static void openstack_stop(struct ls_ctx *ctx)
{
    for (int i = 0; i < ctx->n_clouds; i++)
        ls_os_importer_free(ctx->clouds[i]);
    free(ctx->clouds);
    ctx->clouds = NULL;
    ctx->n_clouds = 0;
}

/* OpenStack: one importer (and sync thread) per --os-cloud. A cloud that cannot be loaded
 * from clouds.yaml / OS_* stops the start with its error; an unreachable cloud does not (its
 * thread retries and /v1/sources shows the error). */
static int openstack_start(struct ls_ctx *ctx, struct ls_err *err)
{
    const struct ls_config *c = ctx->cfg;
    if (c->os_cloud.n == 0)
        return LS_OK;
    ctx->clouds = ls_xcalloc((size_t)c->os_cloud.n, sizeof(*ctx->clouds));
    for (int i = 0; i < c->os_cloud.n; i++) {
        struct ls_os_importer_opts o = {
            .cloud = c->os_cloud.v[i],
            .tag_ids = c->os_cloud.n > 1,
            .sync_interval_s = c->os_sync_interval,
            .reconcile_interval_s = c->os_reconcile_interval,
            .session = {.timeout_s = c->os_timeout,
                        .retries = (int)c->os_retries,
                        .max_rps = c->os_max_rps},
            .collect = {.concurrency = (int)c->os_concurrency, .page_size = (int)c->os_page_size},
        };
        int rc = ls_os_importer_new(&ctx->clouds[i], &o, ctx->graph, ctx->store, err);
        if (rc == LS_OK && c->demo) {
            /* The demo's telemetry generator picks its VMs at start: import them first. */
            struct ls_err pe;
            if (ls_os_importer_pass(ctx->clouds[i], LS_OS_PASS_FULL, &pe) != LS_OK)
                ls_log(LS_LOG_WARN, "openstack", "first pass failed; the sync thread retries",
                       "cloud=%s err=\"%s\"", c->os_cloud.v[i], pe.msg);
        }
        if (rc == LS_OK)
            rc = ls_os_importer_start(ctx->clouds[i], err);
        if (rc != LS_OK) {
            ls_err_wrap(err, "--os-cloud %s", c->os_cloud.v[i]);
            ls_os_importer_free(ctx->clouds[i]);
            ctx->clouds[i] = NULL;
            openstack_stop(ctx); /* this subsystem did not start: undo the clouds before it */
            return rc;
        }
        ctx->n_clouds = i + 1;
    }
    return LS_OK;
}

const struct ls_subsystem ls_subsystems[] = {
    {"demo", demo_start, nothing, NULL},
    {"openstack", openstack_start, openstack_stop, openstack_interrupt},
    {"retention", retention_start, retention_stop, NULL},
    {"raw-retention", raw_retention_start, raw_retention_stop, NULL},
    {"rollups", rollups_start, rollups_stop, NULL},
    {"depinfer", depinfer_start, depinfer_stop, NULL},
    {"analytics", ls_analytics_start, ls_analytics_stop, NULL},
    {"telemetry", telemetry_start, telemetry_stop, NULL},
    {"demo-telemetry", demo_stream_start, demo_stream_stop, NULL},
    {"placement", ls_placement_start, ls_placement_stop, NULL},
    {"watcher", ls_watcher_trigger_start, nothing, ls_watcher_trigger_interrupt},
    {"placement-traits", ls_placement_traits_start, ls_placement_traits_stop,
     ls_placement_traits_interrupt},
};

const int ls_subsystems_count = (int)(sizeof(ls_subsystems) / sizeof(ls_subsystems[0]));
