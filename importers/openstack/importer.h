/* One cloud kept in sync: a thread that runs a full pass at start, incremental passes every
 * sync interval and a full reconciliation every reconcile interval, applying each pass as one
 * change set (a pass that fails part-way changes nothing), and the status GET /v1/sources and
 * /metrics show. */
#ifndef LS_IMPORTERS_OPENSTACK_IMPORTER_H
#define LS_IMPORTERS_OPENSTACK_IMPORTER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "importers/openstack/collect.h"
#include "importers/openstack/session.h"
#include "model/graph.h"
#include "sql/store.h"

struct ls_os_importer_opts {
    const char *cloud; /* clouds.yaml name, or "envvars" / NULL for OS_CLOUD / OS_* */
    bool tag_ids;      /* several clouds configured: node ids carry the cloud name */
    long sync_interval_s;
    long reconcile_interval_s;
    struct ls_os_session_opts session;
    struct ls_os_collect_opts collect;
};

enum ls_os_pass { LS_OS_PASS_FULL, LS_OS_PASS_INCREMENTAL };

struct ls_os_importer;

/**
 * Loads the cloud's credentials (no network yet).
 * @param g, st borrowed; must outlive the importer
 * @return LS_OK; LS_ENOTFOUND / LS_EINVAL from the cloud configuration.
 */
LS_MUST_CHECK int ls_os_importer_new(struct ls_os_importer **out,
                                     const struct ls_os_importer_opts *o,
                                     struct ls_graph *g,
                                     struct ls_store *st,
                                     struct ls_err *err);
/** The cloud's name (borrowed). */
const char *ls_os_importer_name(const struct ls_os_importer *imp);
/** Stops the thread (if started) and frees. */
void ls_os_importer_free(struct ls_os_importer *imp);
/** Asks the importer to stop now: the sync thread ends after its pass, and a pass in flight
 *  (on any thread) fails within about a second, changing nothing (its requests are
 *  cancelled). For a stopping service; free it afterwards. */
void ls_os_importer_interrupt(struct ls_os_importer *imp);

/** Runs one pass now, on the caller's thread (tests, benchmarks). An incremental pass before
 *  any full one runs a full one. */
LS_MUST_CHECK int
ls_os_importer_pass(struct ls_os_importer *imp, enum ls_os_pass kind, struct ls_err *err);

/** Starts the sync thread (full pass at once; on failure retried with backoff). */
LS_MUST_CHECK int ls_os_importer_start(struct ls_os_importer *imp, struct ls_err *err);

/** Wakes the thread for a pass now (full = reconciliation). */
void ls_os_importer_kick(struct ls_os_importer *imp, bool full);

/**
 * The fast path: an OpenStack notification said entity `id` of `kind` ("instance", "port",
 * "volume", "stack") changed. The sync thread runs an incremental pass soon (events arriving
 * within 200 ms share one pass) that also re-reads the ports and stacks named. Thread-safe.
 */
void ls_os_importer_notify(struct ls_os_importer *imp, const char *kind, const char *id);

/** The status object of GET /v1/sources (new reference). */
json_t *ls_os_importer_status(struct ls_os_importer *imp);

/** Appends this cloud's Prometheus samples (no HELP/TYPE lines; ls_os_metrics_header
 *  writes those once). */
LS_MUST_CHECK int ls_os_importer_metrics(struct ls_os_importer *imp, struct ls_buf *b);
LS_MUST_CHECK int ls_os_metrics_header(struct ls_buf *b);

/** The figures of the last pass (tests, benchmarks). */
struct ls_os_pass_stats {
    uint64_t passes, failures;
    uint64_t requests; /* HTTP requests of the last pass */
    uint64_t changes;  /* operations the last pass applied (0: nothing had changed) */
    double seconds;    /* wall time of the last pass (read + map + apply) */
    double read_seconds, map_seconds, apply_seconds;
    uint64_t revision; /* revision the last pass produced (or the current one) */
};
void ls_os_importer_stats(struct ls_os_importer *imp, struct ls_os_pass_stats *out);

#endif
