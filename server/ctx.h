/* What every handler and subsystem can reach: configuration, the live graph, the store and
 * the server's own services. Owned by main; lives as long as the process serves. */
#ifndef LS_SERVER_CTX_H
#define LS_SERVER_CTX_H

#include <stdint.h>

#include "common/config.h"
#include "model/graph.h"
#include "sql/store.h"

struct ls_metrics;
struct ls_sse;
struct ls_telemetry;
struct ls_alias;
struct ls_tel_consumer;
struct ls_tel_pending;
struct ls_os_importer;
struct ls_rollup;
struct ls_samples;
struct ls_auth;
struct ls_notify;
struct ls_watch;
struct ls_colours;
struct ls_incident_loop;
struct ls_depinfer;
struct ls_placement;
struct ls_watcher_trigger;
struct ls_placement_traits;
struct ls_tel_demo;

struct ls_ctx {
    struct ls_config *cfg;  /* borrowed; immutable while serving */
    struct ls_graph *graph; /* the live graph */
    struct ls_store *store; /* persistence and history */
    struct ls_metrics *metrics;
    struct ls_sse *sse;
    struct ls_notify *notify;         /* events to SSE, webhooks, subscribers (server/notify.h) */
    struct ls_auth *auth;             /* --auth: who may call what (server/auth.h) */
    struct ls_telemetry *telemetry;   /* live per-node metric state (model/telemetry.h) */
    struct ls_alias *aliases;         /* producer names -> node ids (model/alias.h) */
    struct ls_tel_consumer *consumer; /* the Kafka consumer while one runs, else NULL */
    struct ls_tel_pending *pending;   /* unmatched samples waiting for their node */
    struct ls_tel_demo *demo_stream;  /* --demo's own telemetry stream, else NULL */
    struct ls_rollup *rollup;         /* open telemetry minutes (NULL: rollups off) */
    struct ls_samples *samples;       /* raw samples for replay (NULL: none kept) */
    struct ls_os_importer **clouds;   /* one OpenStack importer per --os-cloud (may be NULL) */
    int n_clouds;
    struct ls_depinfer *depinfer;       /* dependency inference (NULL: --depinfer-interval 0) */
    struct ls_placement *placement;     /* host tables per revision (analytics/placement.h) */
    struct ls_watch *watch;             /* detectors and colours (NULL: --analytics off) */
    struct ls_colours *colours;         /* colour sweep, impact, history (server/colours.h) */
    struct ls_incident_loop *incidents; /* incident grouping (server/incident_loop.h) */
    struct ls_watcher_trigger *watcher; /* --watcher-audit (server/watcher_trigger.h), or NULL */
    struct ls_placement_traits *traits; /* --os-placement-traits (server/placement_traits.h) */
    int64_t started_us;
    const char *version;
};

#endif
