/* The Kafka telemetry consumer: a high-level consumer in a consumer group reading the
 * configured topics, decoding each record (format detected per record, or pinned per topic),
 * applying the samples to the live telemetry state, and storing the record's offset only
 * after that (at-least-once; applying a record twice changes nothing). A malformed record is
 * counted by reason, logged (rate-limited) and skipped; the consumer never stops for one.
 * librdkafka lives in this module only; the handle is opaque. */
#ifndef LS_TEL_CONSUMER_H
#define LS_TEL_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "importers/telemetry/inventory.h"
#include "model/alias.h"
#include "model/graph.h"
#include "model/telemetry.h"

struct ls_tel_consumer;
struct ls_tel_pending;
struct ls_span;

/** Receives the spans of one record (borrowed for the call), on the consumer thread, after
 *  the record's samples were applied and before its offset is stored. */
typedef void (*ls_tel_spans_fn)(const struct ls_span *spans, size_t n, void *arg);

struct ls_tel_consumer_opts {
    const char *brokers;       /* bootstrap.servers */
    const char *group;         /* group.id */
    const char *const *topics; /* topics to subscribe to */
    int n_topics;
    const char *const *props; /* extra librdkafka properties "key=value" (SASL, TLS) */
    int n_props;
    const char *const *formats; /* per-topic format pins "topic=format" */
    int n_formats;
    const char *client_id;            /* NULL = "landscape" */
    struct ls_tel_pending *pending;   /* where unmatched samples wait (NULL: dropped) */
    const char *dead_letter;          /* topic for records that cannot be decoded, or NULL */
    ls_tel_inventory_fn on_inventory; /* OpenStack inventory events (the fast path), or NULL */
    void *inventory_arg;
    ls_tel_spans_fn on_spans; /* trace spans (OTLP resourceSpans), or NULL: dropped */
    void *spans_arg;
    struct ls_rollup *rollup; /* when set, a record's offset is stored only once the rollup
                                 minutes of its samples are durable (model/rollup.h) */
    long rollup_max_hold_s;   /* a partition that may still bring older data (not at its end,
                                 or its leader unreachable) holds the rollup clock at most this
                                 long without progress (0: 600) — rollup_clock.h */
};

struct ls_tel_consumer_stats {
    uint64_t records; /* records consumed */
    uint64_t samples; /* samples decoded */
    uint64_t applied, duplicate, baseline, unmatched;
    uint64_t bad;           /* records that could not be decoded */
    uint64_t inventory;     /* oslo inventory notifications seen (not telemetry) */
    uint64_t dead_lettered; /* bad records copied to the dead-letter topic */
    int assigned;           /* partitions currently assigned to this member */
    uint64_t rebalances;    /* assignments and revocations seen */
    uint64_t bad_by_reason[16];
    const char *reasons[16]; /* names of bad_by_reason entries (static strings) */
    int n_reasons;
};

/**
 * Creates the consumer and starts its thread.
 * @return LS_OK; LS_EINVAL (a bad property or format pin, named).
 */
LS_MUST_CHECK int ls_tel_consumer_start(struct ls_tel_consumer **out,
                                        const struct ls_tel_consumer_opts *o,
                                        struct ls_graph *g,
                                        struct ls_alias *a,
                                        struct ls_telemetry *t,
                                        struct ls_err *err);
/** Stops the thread, commits stored offsets, leaves the group and frees everything. */
void ls_tel_consumer_stop(struct ls_tel_consumer *c);
/** A consistent copy of the counters. Thread-safe. */
void ls_tel_consumer_stats(struct ls_tel_consumer *c, struct ls_tel_consumer_stats *out);

#endif
