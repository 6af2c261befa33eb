/* Dependency inference (issue 13, items 3 and 4): who calls whom, learned from trace spans
 * (a child span of another service than its parent's: caller -> callee, with calls, errors
 * and latency) and from metric correlation where no traces exist (analytics/depcorr.h), kept
 * as `depends_on` edges with source `inferred` through ordinary change sets, and each
 * caller's learned dependency signature compared with what it calls now (structural
 * deviation, detector "structure"). Runs on the data's clock (span and evidence times), never
 * the wall clock. Speaks no SQL, HTTP or Kafka: the caller feeds spans and applies the change
 * sets it is given. */
#ifndef LS_ANALYTICS_DEPINFER_H
#define LS_ANALYTICS_DEPINFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/alias.h"
#include "model/change.h"
#include "model/graph.h"

struct ls_depinfer_params {
    int64_t window_us;      /* a child joins its parent when both arrive within this data
                               time of each other (either order): 300 s */
    size_t max_spans;       /* spans held for the join (a ring, oldest out first): 65536 */
    size_t max_pairs;       /* caller -> callee pairs and services kept: 16384 */
    int64_t write_every_us; /* an edge already written is rewritten at most this often (data
                               time) while its counts move: 60 s */
    int64_t fade_us;        /* an inferred edge without evidence for this long is deleted,
                               unless an operator confirmed it: 3600 s */
    int64_t learn_us;       /* a caller's signature is what it called in its first learn_us
                               of data time; later targets are new: 600 s */
    int64_t vanish_us;      /* a signature target not called for this long while its caller
                               still calls others has vanished: 600 s */
    int64_t new_for_us;     /* a new target is reported this long, then joins the
                               signature: 3600 s */
};

/** The defaults above. */
void ls_depinfer_params_default(struct ls_depinfer_params *p);

/** One span, as the trace decoders give it (strings borrowed for the call). */
struct ls_dep_span {
    const char *trace_id;  /* 32 hex digits */
    const char *span_id;   /* 16 hex digits */
    const char *parent_id; /* 16 hex digits, or "" / NULL for a root span */
    const char *service;   /* the emitting service's name (non-empty) */
    const char *peer;      /* a callee named by a client span (peer.service), or "" / NULL */
    int64_t start_us, end_us;
    bool error;
};

struct ls_depinfer;

/** New inference state (params copied; NULL = defaults). Caller frees with
 *  ls_depinfer_free. Memory: about 96 bytes per held span and 160 per pair, bounded. */
struct ls_depinfer *ls_depinfer_new(const struct ls_depinfer_params *p);
void ls_depinfer_free(struct ls_depinfer *d);

/**
 * Takes one span: joins it with its parent or its waiting children (a pair of different
 * services is one call of parent's service -> child's service: the child's duration is its
 * latency, its error status an error), and counts a client span's peer.service as a call.
 * A span already held (same trace and span id) is a duplicate and counts nothing. Thread-safe.
 * @return LS_OK; LS_EINVAL "invalid_span" (ids not hex of the right length, no service, end
 *         before start); LS_ELIMIT "too_many_pairs" when a new pair would pass max_pairs
 *         (the call is not counted).
 */
LS_MUST_CHECK int
ls_depinfer_add_span(struct ls_depinfer *d, const struct ls_dep_span *s, struct ls_err *err);

/**
 * Evidence from metrics alone (analytics/depcorr.h): caller and callee are node ids or
 * service names; strength in [0, 1]; lag_s how far the callee's series trails (or leads) the
 * caller's; time_us the end of the window it was found in. Thread-safe.
 * @return LS_OK; LS_EINVAL "invalid_evidence" (empty names, same ends, strength outside
 *         [0, 1] or not finite); LS_ELIMIT "too_many_pairs".
 */
LS_MUST_CHECK int ls_depinfer_add_metric_evidence(struct ls_depinfer *d,
                                                  const char *caller,
                                                  const char *callee,
                                                  double strength,
                                                  double lag_s,
                                                  int64_t time_us,
                                                  struct ls_err *err);

/** The data's clock: the newest span end or evidence time taken (µs), 0 before any. */
int64_t ls_depinfer_now(struct ls_depinfer *d);

/**
 * Re-inference: adds to cs what the graph at snap must change to hold the current evidence.
 * A pair's ends are resolved to nodes: a node whose id is the name, else the alias index
 * (a may be NULL), else `otel:service:<name>`, put as a `service` node (source "otel", the
 * name as alias) when the graph lacks it. A pair without an edge gets a `depends_on` edge
 * (source inferred, weight = strength, attrs: strength, evidence ("traces", "metrics" or
 * both), first_seen, last_seen, calls, errors, error_ratio, rate_per_s, latency_ms, lag_s
 * where known); an existing inferred edge is patched (its attrs.status kept) when its counts
 * moved and write_every_us passed. An edge whose attrs.status is "rejected" is never
 * touched (so never re-created while it is kept), one another source owns (imported,
 * manual) neither. An inferred edge without evidence for fade_us is deleted unless its
 * status is "confirmed" or "rejected". Thread-safe.
 * @param[out] n_changes changes added (may be NULL)
 * @return LS_OK; errors of the change-set calls (LS_EINVAL).
 */
LS_MUST_CHECK int ls_depinfer_changes(struct ls_depinfer *d,
                                      const struct ls_snap *snap,
                                      struct ls_alias *a,
                                      struct ls_change_set *cs,
                                      size_t *n_changes,
                                      struct ls_err *err);

/** The last ls_depinfer_changes' set could not be applied: its pairs are written again next
 *  time. Thread-safe. */
void ls_depinfer_retry(struct ls_depinfer *d);

/**
 * Structural deviations at the data's clock, sorted by caller (new reference):
 * [{"id": caller's node id, "service": its name, "score", "detector": "structure",
 * "reasons": [{"metric": "depends_on", "target": callee's node id, "change": "new"|"vanished",
 * "value": 1|0,
 * "expected": [0, 0]|[1, 1], "since", "detector": "structure", "score"}]}]. A new target
 * scores 0.7 (yellow), a vanished one 0.9 (red). Node ids are those of the last pass
 * (ls_depinfer_changes); before one, the names. Thread-safe.
 */
json_t *ls_depinfer_deviations_json(struct ls_depinfer *d);

/**
 * One node's structural verdict (an entry of ls_depinfer_deviations_json; new reference), or
 * NULL when it has none: what a node's colour merges as reasons with detector "structure".
 * Thread-safe.
 */
json_t *ls_depinfer_deviation_of(struct ls_depinfer *d, const char *id);

/** Whether attrs.status of an inferred edge is valid: absent, null, "confirmed" or
 *  "rejected" (what PATCH /v1/edges accepts). */
bool ls_depinfer_status_valid(json_t *status);

#endif
