/* Request counters and latency histograms, rendered in Prometheus text format. */
#include "server/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "common/bigmem.h"
#include "common/buf.h"
#include "importers/openstack/importer.h"
#include "importers/telemetry/consumer.h"
#include "importers/telemetry/decode.h"
#include "model/alias.h"
#include "model/rollup.h"
#include "model/samples.h"
#include "model/telemetry.h"
#include "server/auth.h"
#include "server/notify.h"
#include "server/router.h"

static const double buckets[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define N_STATUS  600

#define LS_METRICS_MAX_REASONS 16 /* >= ls_tel_reasons_count (asserted where counted) */

struct route_stats {
    _Atomic uint64_t by_status[N_STATUS];
    _Atomic uint64_t bucket[N_BUCKETS + 1]; /* last: +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

struct ls_metrics {
    int n; /* routes + 1 (the last counts unmatched paths) */
    struct route_stats *r;
    _Atomic long sse_clients;
    _Atomic uint64_t tel_refused[LS_METRICS_MAX_REASONS]; /* POST /v1/telemetry, by reason */
};

struct ls_metrics *ls_metrics_new(int n_routes)
{
    struct ls_metrics *m = ls_xcalloc(1, sizeof(*m));
    m->n = n_routes + 1;
    m->r = ls_xcalloc((size_t)m->n, sizeof(*m->r));
    return m;
}

void ls_metrics_free(struct ls_metrics *m)
{
    if (m == NULL)
        return;
    free(m->r);
    free(m);
}

void ls_metrics_telemetry_refused(struct ls_metrics *m, const char *reason)
{
    int i = ls_tel_reason_index(reason);
    LS_ASSERT(i < LS_METRICS_MAX_REASONS);
    atomic_fetch_add_explicit(&m->tel_refused[i], 1, memory_order_relaxed);
}

/* landscape_telemetry_refused_total: records refused, by where they came from and why (every
 * reason listed, zeros included, so the series exist before the first refusal). */
static int render_refused(struct ls_buf *b, struct ls_metrics *m, struct ls_ctx *ctx)
{
    int rc = ls_buf_puts(b, "# HELP landscape_telemetry_refused_total Telemetry records refused "
                            "(not decoded, or values that make no sense), by source and reason.\n"
                            "# TYPE landscape_telemetry_refused_total counter\n");
    struct ls_tel_consumer_stats st = {0};
    if (ctx->consumer)
        ls_tel_consumer_stats(ctx->consumer, &st);
    for (int i = 0; i < ls_tel_reasons_count && rc == LS_OK; i++) {
        rc = ls_buf_printf(
            b, "landscape_telemetry_refused_total{source=\"http\",reason=\"%s\"} %llu\n",
            ls_tel_reasons[i],
            (unsigned long long)atomic_load_explicit(&m->tel_refused[i], memory_order_relaxed));
        if (ctx->consumer == NULL || rc != LS_OK)
            continue;
        uint64_t n = 0;
        for (int k = 0; k < st.n_reasons; k++)
            if (ls_tel_reason_index(st.reasons[k]) == i)
                n += st.bad_by_reason[k];
        rc = ls_buf_printf(
            b, "landscape_telemetry_refused_total{source=\"kafka\",reason=\"%s\"} %llu\n",
            ls_tel_reasons[i], (unsigned long long)n);
    }
    return rc;
}

void ls_metrics_request(struct ls_metrics *m, int route, unsigned status, double seconds)
{
    struct route_stats *r = &m->r[route < 0 || route >= m->n - 1 ? m->n - 1 : route];
    atomic_fetch_add_explicit(&r->by_status[status < N_STATUS ? status : 0], 1,
                              memory_order_relaxed);
    size_t b = 0;
    while (b < N_BUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add_explicit(&r->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void ls_metrics_sse_clients(struct ls_metrics *m, int delta)
{
    atomic_fetch_add(&m->sse_clients, delta);
}

static const char *route_name(const struct ls_metrics *m, int i)
{
    return i == m->n - 1 ? "unmatched" : ls_routes[i].name;
}

char *ls_metrics_render(struct ls_metrics *m, struct ls_ctx *ctx, size_t *len)
{
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc = ls_buf_puts(&b, "# HELP landscape_http_requests_total HTTP requests by route and "
                             "status.\n# TYPE landscape_http_requests_total counter\n");
    for (int i = 0; i < m->n && rc == LS_OK; i++)
        for (int s = 0; s < N_STATUS && rc == LS_OK; s++) {
            uint64_t v = atomic_load(&m->r[i].by_status[s]);
            if (v)
                rc = ls_buf_printf(&b,
                                   "landscape_http_requests_total{route=\"%s\",status=\"%d\"} "
                                   "%llu\n",
                                   route_name(m, i), s, (unsigned long long)v);
        }
    rc = rc ? rc
            : ls_buf_puts(&b, "# HELP landscape_http_request_duration_seconds Request latency."
                              "\n# TYPE landscape_http_request_duration_seconds histogram\n");
    for (int i = 0; i < m->n && rc == LS_OK; i++) {
        uint64_t count = atomic_load(&m->r[i].count);
        if (count == 0)
            continue;
        uint64_t cum = 0;
        for (size_t k = 0; k <= N_BUCKETS && rc == LS_OK; k++) {
            cum += atomic_load(&m->r[i].bucket[k]);
            if (k < N_BUCKETS)
                rc = ls_buf_printf(&b,
                                   "landscape_http_request_duration_seconds_bucket{route=\"%s\","
                                   "le=\"%g\"} %llu\n",
                                   route_name(m, i), buckets[k], (unsigned long long)cum);
            else
                rc = ls_buf_printf(&b,
                                   "landscape_http_request_duration_seconds_bucket{route=\"%s\","
                                   "le=\"+Inf\"} %llu\n",
                                   route_name(m, i), (unsigned long long)cum);
        }
        rc = rc ? rc
                : ls_buf_printf(&b,
                                "landscape_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                                "landscape_http_request_duration_seconds_count{route=\"%s\"} "
                                "%llu\n",
                                route_name(m, i), atomic_load(&m->r[i].sum_us) / 1e6,
                                route_name(m, i), (unsigned long long)count);
    }
    struct ls_snap *s = ls_graph_snap(ctx->graph);
    rc = rc ? rc
            : ls_buf_printf(&b, "# HELP landscape_graph_nodes Nodes in the live graph by layer.\n"
                                "# TYPE landscape_graph_nodes gauge\n");
    for (int l = 0; l < LS_LAYER_COUNT && rc == LS_OK; l++)
        rc = ls_buf_printf(&b, "landscape_graph_nodes{layer=\"%s\"} %zu\n",
                           ls_layer_name((enum ls_layer)l),
                           ls_snap_layer_count(s, (enum ls_layer)l));
    uint64_t writes;
    double wsec;
    ls_store_write_stats(ctx->store, &writes, &wsec);
    rc = rc ? rc
            : ls_buf_printf(&b,
                            "# HELP landscape_graph_edges Edges in the live graph.\n"
                            "# TYPE landscape_graph_edges gauge\nlandscape_graph_edges %zu\n"
                            "# HELP landscape_graph_revision Current revision.\n"
                            "# TYPE landscape_graph_revision gauge\nlandscape_graph_revision %llu\n"
                            "# HELP landscape_store_writes_total Change sets written to Postgres.\n"
                            "# TYPE landscape_store_writes_total counter\n"
                            "landscape_store_writes_total %llu\n"
                            "# HELP landscape_store_write_seconds_total Time spent writing.\n"
                            "# TYPE landscape_store_write_seconds_total counter\n"
                            "landscape_store_write_seconds_total %.6f\n"
                            "# HELP landscape_sse_clients Connected event streams.\n"
                            "# TYPE landscape_sse_clients gauge\nlandscape_sse_clients %ld\n",
                            ls_snap_edge_count(s), (unsigned long long)ls_snap_revision(s),
                            (unsigned long long)writes, wsec, atomic_load(&m->sse_clients));
    ls_snap_release(s);
    size_t tnodes = 0, tseries = 0;
    if (ctx->telemetry)
        ls_telemetry_counts(ctx->telemetry, &tnodes, &tseries);
    rc = rc ? rc
            : ls_buf_printf(&b,
                            "# HELP landscape_telemetry_series Live metric series by node.\n"
                            "# TYPE landscape_telemetry_series gauge\n"
                            "landscape_telemetry_series %zu\nlandscape_telemetry_nodes %zu\n"
                            "landscape_aliases %zu\n",
                            tseries, tnodes, ctx->aliases ? ls_alias_count(ctx->aliases) : 0);
    if (ctx->samples && rc == LS_OK) {
        struct ls_samples_stats ss;
        ls_samples_stats(ctx->samples, &ss);
        rc =
            ls_buf_printf(&b,
                          "# HELP landscape_raw_samples_points Raw samples held for replay and "
                          "RCA, of at most landscape_raw_samples_max_points.\n"
                          "# TYPE landscape_raw_samples_points gauge\n"
                          "landscape_raw_samples_points %zu\n"
                          "# TYPE landscape_raw_samples_max_points gauge\n"
                          "landscape_raw_samples_max_points %zu\n"
                          "# TYPE landscape_raw_samples_series gauge\n"
                          "landscape_raw_samples_series %zu\n"
                          "# HELP landscape_raw_samples_refused_total Raw samples refused at "
                          "the point bound.\n"
                          "# TYPE landscape_raw_samples_refused_total counter\n"
                          "landscape_raw_samples_refused_total %llu\n",
                          ss.points, ss.max_points, ss.series, (unsigned long long)ss.refused_full);
    }
    size_t kept_maps, kept_bytes;
    ls_big_cached(&kept_maps, &kept_bytes);
    rc = rc ? rc
            : ls_buf_printf(&b,
                            "# HELP landscape_rca_kept_bytes Freed working arrays of large RCA "
                            "requests kept mapped for the next (at most %zu bytes).\n"
                            "# TYPE landscape_rca_kept_bytes gauge\n"
                            "landscape_rca_kept_bytes %zu\n"
                            "# TYPE landscape_rca_kept_mappings gauge\n"
                            "landscape_rca_kept_mappings %zu\n",
                            LS_BIG_CACHE_BYTES, kept_bytes, kept_maps);
    if (ctx->telemetry && rc == LS_OK)
        rc = ls_buf_puts(&b, "# HELP landscape_telemetry_refused_series_total New series not "
                             "made, by reason.\n"
                             "# TYPE landscape_telemetry_refused_series_total counter\n");
    for (int i = 0; ctx->telemetry && rc == LS_OK && i < LS_TEL_REFUSED_REASONS; i++)
        rc = ls_buf_printf(
            &b, "landscape_telemetry_refused_series_total{reason=\"%s\"} %llu\n",
            ls_telemetry_refused_name((enum ls_tel_refused)i),
            (unsigned long long)ls_telemetry_refused(ctx->telemetry, (enum ls_tel_refused)i));
    if (ctx->consumer && rc == LS_OK) {
        struct ls_tel_consumer_stats st;
        ls_tel_consumer_stats(ctx->consumer, &st);
        rc = ls_buf_printf(&b,
                           "# HELP landscape_kafka_records_total Kafka records consumed.\n"
                           "# TYPE landscape_kafka_records_total counter\n"
                           "landscape_kafka_records_total %llu\n"
                           "# TYPE landscape_telemetry_samples_total counter\n"
                           "landscape_telemetry_samples_total{result=\"applied\"} %llu\n"
                           "landscape_telemetry_samples_total{result=\"duplicate\"} %llu\n"
                           "landscape_telemetry_samples_total{result=\"baseline\"} %llu\n"
                           "landscape_telemetry_samples_total{result=\"unmatched\"} %llu\n"
                           "# TYPE landscape_kafka_inventory_events_total counter\n"
                           "landscape_kafka_inventory_events_total %llu\n"
                           "# TYPE landscape_kafka_dead_lettered_total counter\n"
                           "landscape_kafka_dead_lettered_total %llu\n"
                           "# HELP landscape_kafka_bad_records_total Records skipped, by reason.\n"
                           "# TYPE landscape_kafka_bad_records_total counter\n",
                           (unsigned long long)st.records, (unsigned long long)st.applied,
                           (unsigned long long)st.duplicate, (unsigned long long)st.baseline,
                           (unsigned long long)st.unmatched, (unsigned long long)st.inventory,
                           (unsigned long long)st.dead_lettered);
        for (int i = 0; i < st.n_reasons && rc == LS_OK; i++)
            rc = ls_buf_printf(&b, "landscape_kafka_bad_records_total{reason=\"%s\"} %llu\n",
                               st.reasons[i], (unsigned long long)st.bad_by_reason[i]);
    }
    rc = rc ? rc : render_refused(&b, m, ctx);
    if (ctx->rollup && rc == LS_OK) {
        struct ls_rollup_stats rs;
        ls_rollup_stats(ctx->rollup, &rs);
        rc = ls_buf_printf(&b,
                           "# HELP landscape_rollup_samples_total Samples added to open minutes, "
                           "and late ones (their minute was already written).\n"
                           "# TYPE landscape_rollup_samples_total counter\n"
                           "landscape_rollup_samples_total{result=\"added\"} %llu\n"
                           "landscape_rollup_samples_total{result=\"late\"} %llu\n"
                           "# TYPE landscape_rollup_open_rows gauge\n"
                           "landscape_rollup_open_rows %zu\n"
                           "# HELP landscape_rollup_watermark_seconds Minutes ending by then are "
                           "written.\n"
                           "# TYPE landscape_rollup_watermark_seconds gauge\n"
                           "landscape_rollup_watermark_seconds %.0f\n",
                           (unsigned long long)rs.added, (unsigned long long)rs.late, rs.open_rows,
                           (double)rs.watermark_us / 1e6);
    }
    if (ctx->auth && ls_auth_required(ctx->auth) && rc == LS_OK) {
        struct ls_auth_stats as;
        ls_auth_stats(ctx->auth, &as);
        rc = ls_buf_printf(&b,
                           "# HELP landscape_auth_checks_total Token checks by result.\n"
                           "# TYPE landscape_auth_checks_total counter\n"
                           "landscape_auth_checks_total{result=\"ok\"} %llu\n"
                           "landscape_auth_checks_total{result=\"invalid\"} %llu\n"
                           "landscape_auth_checks_total{result=\"unavailable\"} %llu\n"
                           "# HELP landscape_auth_keystone_validations_total Tokens sent to "
                           "Keystone (cache misses).\n"
                           "# TYPE landscape_auth_keystone_validations_total counter\n"
                           "landscape_auth_keystone_validations_total %llu\n"
                           "# TYPE landscape_auth_cache_hits_total counter\n"
                           "landscape_auth_cache_hits_total %llu\n"
                           "# TYPE landscape_auth_cached_tokens gauge\n"
                           "landscape_auth_cached_tokens %llu\n",
                           (unsigned long long)as.ok, (unsigned long long)as.invalid,
                           (unsigned long long)as.unavailable, (unsigned long long)as.validations,
                           (unsigned long long)as.cache_hits, (unsigned long long)as.cached);
    }
    if (ctx->notify && rc == LS_OK) {
        struct ls_notify_stats ns;
        ls_notify_stats(ctx->notify, &ns);
        rc = ls_buf_printf(&b,
                           "# HELP landscape_events_total Analytics events (colour, incident, ...) "
                           "by outcome: published; delivered to a webhook (2xx) or subscriber; "
                           "webhook retries; given up after the last try; dropped on a full "
                           "queue.\n"
                           "# TYPE landscape_events_total counter\n"
                           "landscape_events_total{outcome=\"published\"} %llu\n"
                           "landscape_events_total{outcome=\"delivered\"} %llu\n"
                           "landscape_events_total{outcome=\"retried\"} %llu\n"
                           "landscape_events_total{outcome=\"failed\"} %llu\n"
                           "landscape_events_total{outcome=\"dropped\"} %llu\n",
                           (unsigned long long)ns.published, (unsigned long long)ns.delivered,
                           (unsigned long long)ns.retried, (unsigned long long)ns.failed,
                           (unsigned long long)ns.dropped);
    }
    if (ctx->n_clouds > 0 && rc == LS_OK)
        rc = ls_os_metrics_header(&b);
    for (int i = 0; i < ctx->n_clouds && rc == LS_OK; i++)
        rc = ls_os_importer_metrics(ctx->clouds[i], &b);
    LS_ASSERT(rc == LS_OK);
    *len = b.len;
    return ls_buf_take(&b);
}
