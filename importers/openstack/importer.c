/* The per-cloud sync loop and its status (see importer.h). */
#include "importers/openstack/importer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/time.h"
#include "importers/host/join.h"
#include "importers/openstack/cloud.h"
#include "importers/openstack/mapping.h"

#define OVERLAP_US (60 * 1000000LL) /* incremental windows overlap: clock skew with Nova */

struct ls_os_importer {
    struct ls_os_importer_opts o;
    char cloud_name[128];
    char origin[160];
    struct ls_os_cloud *cloud;
    struct ls_os_session *session;
    struct ls_os_map_opts map;
    struct ls_graph *g;
    struct ls_store *st;
    struct ls_os_api api;
    bool discovered;

    pthread_mutex_t pass_lock; /* one pass at a time */
    pthread_mutex_t lock;      /* status, kick, stop */
    pthread_cond_t cond;
    pthread_t thread;
    bool running, stop, kick_full, kick_any, kick_soon;
    json_t *hint_ports, *hint_stacks; /* ids events named since the last pass (sets) */
    uint64_t events;
    pthread_t reaper[2]; /* free the last pass's answers and change set (under pass_lock) */
    int reaping;         /* reapers running */

    /* status (under lock) */
    int64_t last_full_start_us; /* start of the last successful full pass (0: none) */
    int64_t last_start_us;      /* start of the last successful pass */
    int64_t last_success_us, last_attempt_us;
    char last_kind[16];
    char last_error[300];
    int64_t last_error_us;
    char warning[512];
    uint64_t consecutive_failures;
    uint64_t passes[2], failures[2];
    struct ls_os_pass_stats stats;
};

int ls_os_importer_new(struct ls_os_importer **out,
                       const struct ls_os_importer_opts *o,
                       struct ls_graph *g,
                       struct ls_store *st,
                       struct ls_err *err)
{
    *out = NULL;
    struct ls_os_cloud *cloud = NULL;
    int rc = ls_os_cloud_load(&cloud, o->cloud, err);
    if (rc != LS_OK)
        return rc;
    struct ls_os_importer *imp = ls_xcalloc(1, sizeof(*imp));
    imp->o = *o;
    imp->cloud = cloud;
    snprintf(imp->cloud_name, sizeof(imp->cloud_name), "%s", cloud->name);
    imp->o.cloud = imp->cloud_name;
    ls_os_origin(imp->cloud_name, imp->origin, sizeof(imp->origin));
    imp->map.cloud = imp->cloud_name;
    imp->map.tag_ids = o->tag_ids;
    imp->g = g;
    imp->st = st;
    if (imp->o.sync_interval_s <= 0)
        imp->o.sync_interval_s = 60;
    if (imp->o.reconcile_interval_s <= 0)
        imp->o.reconcile_interval_s = 3600;
    imp->hint_ports = json_object();
    imp->hint_stacks = json_object();
    pthread_mutex_init(&imp->pass_lock, NULL);
    pthread_mutex_init(&imp->lock, NULL);
    pthread_cond_init(&imp->cond, NULL);
    rc = ls_os_session_new(&imp->session, imp->cloud, &o->session, err);
    if (rc != LS_OK) {
        ls_os_importer_free(imp);
        return rc;
    }
    char desc[512];
    ls_log(LS_LOG_INFO, "openstack", "cloud configured", "%s",
           ls_os_cloud_describe(cloud, desc, sizeof(desc)));
    *out = imp;
    return LS_OK;
}

const char *ls_os_importer_name(const struct ls_os_importer *imp)
{
    return imp->cloud_name;
}

static void reaper_join(struct ls_os_importer *imp)
{
    for (int i = 0; i < imp->reaping; i++)
        pthread_join(imp->reaper[i], NULL);
    imp->reaping = 0;
}

void ls_os_importer_interrupt(struct ls_os_importer *imp)
{
    pthread_mutex_lock(&imp->lock);
    imp->stop = true;
    pthread_cond_broadcast(&imp->cond);
    pthread_mutex_unlock(&imp->lock);
    ls_os_session_cancel(imp->session);
}

void ls_os_importer_free(struct ls_os_importer *imp)
{
    if (!imp)
        return;
    if (imp->running) {
        ls_os_importer_interrupt(imp);
        pthread_join(imp->thread, NULL);
    }
    reaper_join(imp);
    ls_os_session_free(imp->session);
    ls_os_cloud_free(imp->cloud);
    json_decref(imp->hint_ports);
    json_decref(imp->hint_stacks);
    pthread_mutex_destroy(&imp->pass_lock);
    pthread_mutex_destroy(&imp->lock);
    pthread_cond_destroy(&imp->cond);
    free(imp);
}

struct dead {
    struct ls_os_inventory inv; /* (zeroed: none) */
    struct ls_change_set *cs;   /* may be NULL */
};

static void *reap(void *arg)
{
    struct dead *d = arg;
    ls_os_inventory_cleanup(&d->inv);
    ls_change_set_free(d->cs);
    free(d);
    return NULL;
}

/* What a pass is done with is freed on a thread of its own: the answers once they are in the
 * change set (their JSON: gigabytes for a large cloud read the old way) while the set is
 * applied, and the set once applied (a reconciliation's set is mostly puts equal to what the
 * graph has, whose attrs only the set holds: a second to free). inv (may be NULL) is taken
 * and zeroed; cs (may be NULL) is taken. */
static void
reap_later(struct ls_os_importer *imp, struct ls_os_inventory *inv, struct ls_change_set *cs)
{
    struct dead *d = ls_xcalloc(1, sizeof(*d));
    if (inv) {
        d->inv = *inv;
        memset(inv, 0, sizeof(*inv));
    }
    d->cs = cs;
    LS_ASSERT(imp->reaping < (int)(sizeof(imp->reaper) / sizeof(imp->reaper[0])));
    if (pthread_create(&imp->reaper[imp->reaping], NULL, reap, d) == 0)
        imp->reaping++;
    else
        reap(d);
}

static double secs_since(long long t0)
{
    return (double)(ls_time_mono_ns() - t0) / 1e9;
}

static void record_failure(struct ls_os_importer *imp, int kind, const struct ls_err *e)
{
    pthread_mutex_lock(&imp->lock);
    imp->failures[kind]++;
    imp->stats.failures++;
    imp->consecutive_failures++;
    snprintf(imp->last_error, sizeof(imp->last_error), "%s", e->msg);
    imp->last_error_us = ls_time_now_us();
    pthread_mutex_unlock(&imp->lock);
    ls_log(LS_LOG_WARN, "openstack", "pass failed; the landscape is unchanged",
           "cloud=%s pass=%s err=\"%s\"", imp->cloud_name, kind ? "incremental" : "full", e->msg);
}

/* Takes the ids events named (as arrays) and clears them. */
static json_t *take_hints(json_t **set)
{
    json_t *arr = json_array(), *v;
    const char *k;
    json_object_foreach(*set, k, v)
    {
        json_array_append_new(arr, json_string(k));
    }
    json_object_clear(*set);
    return arr;
}

struct touch_hints {
    struct ls_os_touch touch;
    json_t *ports;
};

/* ls_os_touched plus the ports events named. */
static void touched(const json_t *servers, json_t *providers, json_t *port_ids, void *arg)
{
    struct touch_hints *h = arg;
    ls_os_touched(servers, providers, port_ids, &h->touch);
    json_array_extend(port_ids, h->ports);
}

int ls_os_importer_pass(struct ls_os_importer *imp, enum ls_os_pass kind, struct ls_err *err)
{
    pthread_mutex_lock(&imp->pass_lock);
    pthread_mutex_lock(&imp->lock);
    int64_t since = imp->last_start_us;
    if (kind == LS_OS_PASS_INCREMENTAL && imp->last_full_start_us == 0)
        kind = LS_OS_PASS_FULL;
    imp->last_attempt_us = ls_time_now_us();
    json_t *hint_ports = take_hints(&imp->hint_ports), *hint_stacks = take_hints(&imp->hint_stacks);
    pthread_mutex_unlock(&imp->lock);

    reaper_join(imp); /* the last pass's answers are freed */
    long long t0 = ls_time_mono_ns();
    struct ls_err e;
    ls_err_clear(&e);
    int rc = LS_OK;
    if (!imp->discovered || kind == LS_OS_PASS_FULL) {
        /* Re-discovered on every full pass: a cloud upgrade raises its microversions. */
        rc = ls_os_discover(imp->session, &imp->api, &e);
        imp->discovered = rc == LS_OK;
    }
    struct ls_os_inventory inv;
    ls_os_inventory_init(&inv);
    struct ls_snap *snap = ls_graph_snap(imp->g);
    struct touch_hints touch = {{&imp->map, snap}, hint_ports};
    /* a full pass maps its long lists as their pages come (servers that name their flavor
     * only, compute < 2.47, need the flavor list first: mapped at the end) */
    struct ls_os_pager *pager = NULL;
    if (rc == LS_OK) {
        if (kind == LS_OS_PASS_FULL) {
            struct ls_os_page_sink sink;
            if (imp->api.embedded_flavor) {
                pager = ls_os_pager_new(&imp->map);
                ls_os_pager_sink(pager, &sink);
            }
            rc = ls_os_collect_full(imp->session, &imp->api, &imp->o.collect, pager ? &sink : NULL,
                                    &inv, &e);
        } else
            rc = ls_os_collect_incremental(imp->session, &imp->api, &imp->o.collect,
                                           since - OVERLAP_US, hint_stacks, touched, &touch, &inv,
                                           &e);
    }
    double t_read = secs_since(t0);
    long long t1 = ls_time_mono_ns();
    struct ls_change_set *cs = ls_change_set_new(imp->origin);
    ls_change_set_set_time(cs, inv.started_us);
    json_t *facts = json_object();
    if (rc == LS_OK)
        rc = ls_os_map_paged(&inv, pager, &imp->map, snap, cs, facts, &e);
    ls_os_pager_free(pager);
    bool new_hosts = json_integer_value(json_object_get(facts, "unknown_hypervisor")) > 0;
    json_decref(facts);
    if (rc == LS_OK)
        rc = ls_host_join(cs, snap, NULL, &e);
    ls_snap_release(snap);
    json_decref(hint_ports);
    json_decref(hint_stacks);
    size_t n_servers = json_array_size(inv.servers) + inv.sunk[LS_OS_SERVERS],
           n_hyps = json_array_size(inv.hypervisors),
           n_ports = json_array_size(inv.ports) + inv.sunk[LS_OS_PORTS],
           n_vols = json_array_size(inv.volumes) + inv.sunk[LS_OS_VOLUMES];
    char warning[sizeof(inv.warning)];
    snprintf(warning, sizeof(warning), "%s", inv.warning);
    int64_t started_us = inv.started_us;
    uint64_t requests = inv.requests;
    reap_later(imp, &inv, NULL);
    double t_map = secs_since(t1);
    long long t2 = ls_time_mono_ns();
    uint64_t rev = 0;
    size_t changes = 0;
    if (rc == LS_OK)
        rc = ls_store_apply_ops(imp->st, imp->g, cs, &rev, &changes, &e);
    reap_later(imp, NULL, cs);
    double t_apply = secs_since(t2);

    if (rc != LS_OK) {
        record_failure(imp, kind, &e);
        if (err)
            *err = e;
    } else {
        pthread_mutex_lock(&imp->lock);
        imp->passes[kind]++;
        imp->stats.passes++;
        imp->consecutive_failures = 0;
        imp->last_start_us = started_us;
        bool warning_changed = kind == LS_OS_PASS_FULL && strcmp(imp->warning, warning) != 0;
        if (kind == LS_OS_PASS_FULL) {
            imp->last_full_start_us = started_us;
            snprintf(imp->warning, sizeof(imp->warning), "%s", warning);
        }
        imp->last_success_us = ls_time_now_us();
        snprintf(imp->last_kind, sizeof(imp->last_kind), "%s",
                 kind == LS_OS_PASS_FULL ? "full" : "incremental");
        imp->stats.requests = requests;
        imp->stats.changes = changes;
        imp->stats.seconds = secs_since(t0);
        imp->stats.read_seconds = t_read;
        imp->stats.map_seconds = t_map;
        imp->stats.apply_seconds = t_apply;
        imp->stats.revision = rev;
        pthread_mutex_unlock(&imp->lock);
        ls_log(LS_LOG_INFO, "openstack", "pass applied",
               "cloud=%s pass=%s servers=%zu hypervisors=%zu ports=%zu volumes=%zu changes=%zu "
               "requests=%llu seconds=%.3f revision=%llu",
               imp->cloud_name, kind == LS_OS_PASS_FULL ? "full" : "incremental", n_servers, n_hyps,
               n_ports, n_vols, changes, (unsigned long long)requests, secs_since(t0),
               (unsigned long long)rev);
        if (warning[0] && warning_changed) /* logged when it appears or changes */
            ls_log(LS_LOG_WARN, "openstack", "partial view", "cloud=%s warning=\"%s\"",
                   imp->cloud_name, warning);
        if (new_hosts) {
            /* servers landed on a hypervisor the graph does not have: read the hosts now
             * rather than at the next reconciliation */
            ls_log(LS_LOG_INFO, "openstack", "new hypervisor seen; full pass scheduled", "cloud=%s",
                   imp->cloud_name);
            pthread_mutex_lock(&imp->lock);
            imp->kick_any = imp->kick_full = true;
            pthread_cond_broadcast(&imp->cond);
            pthread_mutex_unlock(&imp->lock);
        }
    }
    pthread_mutex_unlock(&imp->pass_lock);
    return rc;
}

/* Waits up to `sec` or until kicked / stopped; returns false when stopping. */
static bool wait_for(struct ls_os_importer *imp, double sec, bool *full)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = (long long)(sec * 1e9);
    ts.tv_sec += ns / 1000000000LL;
    ts.tv_nsec += ns % 1000000000LL;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&imp->lock);
    while (!imp->stop && !imp->kick_any)
        if (pthread_cond_timedwait(&imp->cond, &imp->lock, &ts) != 0)
            break;
    if (imp->kick_soon && !imp->stop) {
        /* an event: let the burst it belongs to (start/end, port and instance) arrive */
        pthread_mutex_unlock(&imp->lock);
        struct timespec d = {0, 200 * 1000000L};
        nanosleep(&d, NULL);
        pthread_mutex_lock(&imp->lock);
    }
    bool go = !imp->stop;
    if (imp->kick_any && imp->kick_full)
        *full = true;
    imp->kick_any = imp->kick_full = imp->kick_soon = false;
    pthread_mutex_unlock(&imp->lock);
    return go;
}

static void *loop(void *arg)
{
    struct ls_os_importer *imp = arg;
    double backoff = 5;
    bool full = true;
    long long last_full = 0;
    if (imp->last_full_start_us != 0) { /* a first pass ran already (the demo's) */
        last_full = ls_time_mono_ns();
        full = false;
        if (!wait_for(imp, (double)imp->o.sync_interval_s, &full))
            return NULL;
    }
    for (;;) {
        struct ls_err e;
        bool was_full = full || imp->last_full_start_us == 0 ||
                        (last_full && secs_since(last_full) >= (double)imp->o.reconcile_interval_s);
        int rc = ls_os_importer_pass(imp, was_full ? LS_OS_PASS_FULL : LS_OS_PASS_INCREMENTAL, &e);
        if (rc == LS_OK && was_full)
            last_full = ls_time_mono_ns();
        double wait = (double)imp->o.sync_interval_s;
        if (rc != LS_OK) {
            wait = backoff < wait ? backoff : wait;
            backoff = backoff * 2 < 300 ? backoff * 2 : 300;
        } else {
            backoff = 5;
        }
        full = false;
        if (!wait_for(imp, wait, &full))
            break;
    }
    return NULL;
}

int ls_os_importer_start(struct ls_os_importer *imp, struct ls_err *err)
{
    if (pthread_create(&imp->thread, NULL, loop, imp) != 0)
        return ls_err_set(err, LS_ERR, NULL, "cannot start the openstack thread");
    imp->running = true;
    return LS_OK;
}

void ls_os_importer_kick(struct ls_os_importer *imp, bool full)
{
    pthread_mutex_lock(&imp->lock);
    imp->kick_any = true;
    imp->kick_full = imp->kick_full || full;
    pthread_cond_broadcast(&imp->cond);
    pthread_mutex_unlock(&imp->lock);
}

void ls_os_importer_notify(struct ls_os_importer *imp, const char *kind, const char *id)
{
    pthread_mutex_lock(&imp->lock);
    imp->events++;
    if (id && *id && !strcmp(kind, "port"))
        json_object_set_new(imp->hint_ports, id, json_true());
    else if (id && *id && !strcmp(kind, "stack"))
        json_object_set_new(imp->hint_stacks, id, json_true());
    imp->kick_any = imp->kick_soon = true;
    pthread_cond_broadcast(&imp->cond);
    pthread_mutex_unlock(&imp->lock);
}

void ls_os_importer_stats(struct ls_os_importer *imp, struct ls_os_pass_stats *out)
{
    pthread_mutex_lock(&imp->lock);
    *out = imp->stats;
    pthread_mutex_unlock(&imp->lock);
}

/* Nodes the cloud owns, by type, read from the live graph. */
static json_t *counts_by_type(struct ls_os_importer *imp, size_t *total)
{
    json_t *counts = json_object();
    struct ls_snap *snap = ls_graph_snap(imp->g);
    struct ls_node_filter f = {.layer = -1, .source = imp->origin};
    const struct ls_node *page[1024];
    const char *after = NULL;
    char last[600];
    bool more = true;
    *total = 0;
    while (more) {
        size_t n = 0;
        struct ls_err e;
        if (ls_snap_list_nodes(snap, &f, after, 1024, page, &n, &more, &e) != LS_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_object_get(counts, page[i]->type);
            json_object_set_new(counts, page[i]->type,
                                json_integer(v ? json_integer_value(v) + 1 : 1));
        }
        *total += n;
        if (n == 0)
            break;
        snprintf(last, sizeof(last), "%s", page[n - 1]->id);
        after = last;
    }
    ls_snap_release(snap);
    return counts;
}

static json_t *time_or_null(int64_t t)
{
    char buf[40];
    return t ? json_string(ls_time_format_rfc3339(t, buf, sizeof(buf))) : json_null();
}

json_t *ls_os_importer_status(struct ls_os_importer *imp)
{
    size_t total = 0;
    json_t *counts = counts_by_type(imp, &total);
    pthread_mutex_lock(&imp->lock);
    const char *state = imp->last_success_us == 0
                            ? (imp->consecutive_failures ? "error" : "starting")
                            : (imp->consecutive_failures ? "degraded" : "ok");
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s?,s:f,s:I,s:I,s:o,s:I,s:{s:I,s:I},s:{s:I,s:I},"
        "s:I,s:{s:s,s:s,s:s}}",
        "name", imp->cloud_name, "kind", "openstack", "origin", imp->origin, "state", state,
        "auth_url", imp->cloud->auth_url, "region",
        imp->cloud->region_name ? imp->cloud->region_name : "", "last_success",
        time_or_null(imp->last_success_us), "last_attempt", time_or_null(imp->last_attempt_us),
        "last_error",
        imp->last_error[0] ? json_pack("{s:s,s:o}", "message", imp->last_error, "at",
                                       time_or_null(imp->last_error_us))
                           : json_null(),
        "last_pass", imp->last_kind[0] ? imp->last_kind : NULL, "last_duration_seconds",
        imp->stats.seconds, "last_requests", (json_int_t)imp->stats.requests, "last_changes",
        (json_int_t)imp->stats.changes, "counts", counts, "nodes", (json_int_t)total, "passes",
        "full", (json_int_t)imp->passes[0], "incremental", (json_int_t)imp->passes[1], "failures",
        "full", (json_int_t)imp->failures[0], "incremental", (json_int_t)imp->failures[1],
        "consecutive_failures", (json_int_t)imp->consecutive_failures, "microversions", "compute",
        imp->api.compute_mv, "placement", imp->api.placement_mv, "volume", imp->api.volume_mv);
    json_object_set_new(o, "events", json_integer((json_int_t)imp->events));
    if (imp->warning[0])
        json_object_set_new(o, "warning", json_string(imp->warning));
    pthread_mutex_unlock(&imp->lock);
    return o;
}

int ls_os_metrics_header(struct ls_buf *b)
{
    return ls_buf_puts(
        b, "# HELP landscape_openstack_up 1 when the cloud's last pass succeeded.\n"
           "# TYPE landscape_openstack_up gauge\n"
           "# HELP landscape_openstack_last_success_timestamp_seconds End of the last good pass.\n"
           "# TYPE landscape_openstack_last_success_timestamp_seconds gauge\n"
           "# HELP landscape_openstack_pass_duration_seconds Wall time of the last good pass.\n"
           "# TYPE landscape_openstack_pass_duration_seconds gauge\n"
           "# HELP landscape_openstack_passes_total Passes applied, by kind.\n"
           "# TYPE landscape_openstack_passes_total counter\n"
           "# HELP landscape_openstack_pass_failures_total Passes that failed, by kind.\n"
           "# TYPE landscape_openstack_pass_failures_total counter\n"
           "# HELP landscape_openstack_requests_total API requests sent (retries included).\n"
           "# TYPE landscape_openstack_requests_total counter\n"
           "# HELP landscape_openstack_retries_total API requests repeated after an error.\n"
           "# TYPE landscape_openstack_retries_total counter\n"
           "# HELP landscape_openstack_auths_total Keystone token requests.\n"
           "# TYPE landscape_openstack_auths_total counter\n"
           "# HELP landscape_openstack_nodes Nodes the cloud owns, by type.\n"
           "# TYPE landscape_openstack_nodes gauge\n");
}

int ls_os_importer_metrics(struct ls_os_importer *imp, struct ls_buf *b)
{
    size_t total = 0;
    json_t *counts = counts_by_type(imp, &total);
    struct ls_os_session_stats ss;
    ls_os_session_stats(imp->session, &ss);
    pthread_mutex_lock(&imp->lock);
    const char *c = imp->cloud_name;
    int rc = ls_buf_printf(
        b,
        "landscape_openstack_up{cloud=\"%s\"} %d\n"
        "landscape_openstack_last_success_timestamp_seconds{cloud=\"%s\"} %.3f\n"
        "landscape_openstack_pass_duration_seconds{cloud=\"%s\"} %.6f\n"
        "landscape_openstack_passes_total{cloud=\"%s\",kind=\"full\"} %llu\n"
        "landscape_openstack_passes_total{cloud=\"%s\",kind=\"incremental\"} %llu\n"
        "landscape_openstack_pass_failures_total{cloud=\"%s\",kind=\"full\"} %llu\n"
        "landscape_openstack_pass_failures_total{cloud=\"%s\",kind=\"incremental\"} %llu\n"
        "landscape_openstack_requests_total{cloud=\"%s\"} %llu\n"
        "landscape_openstack_retries_total{cloud=\"%s\"} %llu\n"
        "landscape_openstack_auths_total{cloud=\"%s\"} %llu\n",
        c, imp->last_success_us && !imp->consecutive_failures ? 1 : 0, c,
        (double)imp->last_success_us / 1e6, c, imp->stats.seconds, c,
        (unsigned long long)imp->passes[0], c, (unsigned long long)imp->passes[1], c,
        (unsigned long long)imp->failures[0], c, (unsigned long long)imp->failures[1], c,
        (unsigned long long)ss.requests, c, (unsigned long long)ss.retries, c,
        (unsigned long long)ss.auths);
    pthread_mutex_unlock(&imp->lock);
    const char *type;
    json_t *v;
    json_object_foreach(counts, type, v)
    {
        if (rc == LS_OK)
            rc = ls_buf_printf(b, "landscape_openstack_nodes{cloud=\"%s\",type=\"%s\"} %lld\n", c,
                               type, (long long)json_integer_value(v));
    }
    json_decref(counts);
    return rc;
}
