/* A decoded telemetry sample and the decoder interface. A sample names what it measures and
 * carries identity hints (what the producer called the thing); resolving hints to a node is
 * ls_tel_resolve's job, not the decoders'. Fixed-size fields: a sample owns nothing. */
#ifndef LS_TEL_SAMPLE_H
#define LS_TEL_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

enum ls_tel_kind {
    LS_TEL_GAUGE = 0, /* a level: the value as is */
    LS_TEL_COUNTER,   /* cumulative: turned into a rate per second; a decrease is a reset */
    LS_TEL_DELTA,     /* an increment over the sample's interval */
};

struct ls_sample {
    char metric[128]; /* producer's metric name (plus field for multi-field formats) */
    char series[96];  /* what distinguishes series of one metric on one node ("cpu0/user") */
    char unit[24];    /* as sent ("B", "ns", "%", "s"); "" when the format has none */
    double value;
    int64_t time_us;
    enum ls_tel_kind kind;
    /* identity hints, each "" when absent */
    char resource[160]; /* UUID or producer resource id (Ceilometer resource_id, ...) */
    char instance[64];  /* instance UUID when the producer says it separately */
    char domain[64];    /* libvirt domain name instance-XXXXXXXX */
    char host[160];     /* host name: short, FQDN, or Prometheus instance label host part */
    char device[64];    /* tap device or disk device */
    char port[64];      /* Neutron port UUID */
};

/** A decoded trace span (OTLP JSON resourceSpans): who called whom is read from the parent
 *  links between spans of different services (analytics/depinfer joins them). Ids are
 *  lowercase hex, checked by the decoder. Fixed-size fields: a span owns nothing. */
struct ls_span {
    char trace_id[33];  /* 32 hex digits */
    char span_id[17];   /* 16 hex digits */
    char parent_id[17]; /* 16 hex digits, "" for a root span */
    char service[128];  /* resource attribute service.name ("" when absent) */
    char peer[128];     /* attribute peer.service of a client span: a callee that sends no
                           spans of its own (a database, an outside API), else "" */
    int64_t start_us, end_us;
    bool error; /* status.code 2 (STATUS_CODE_ERROR) */
};

/** A growable array of samples (and of spans, for the trace formats). */
struct ls_tel_batch {
    struct ls_sample *v;
    size_t n, cap;
    struct ls_span *spans; /* decoded spans (owned), n_spans of them */
    size_t n_spans, cap_spans;
    size_t max;          /* refuse to grow past this many samples, or spans (a bound per record) */
    int64_t received_us; /* when the record was received (µs): the time of a sample whose
                            producer says "now" (collectd's N); 0 = read the clock */
};

void ls_tel_batch_init(struct ls_tel_batch *b, size_t max);
void ls_tel_batch_cleanup(struct ls_tel_batch *b);
/** A new zeroed sample at the end, or NULL when the batch is at its bound. */
struct ls_sample *ls_tel_batch_add(struct ls_tel_batch *b);

/** A new zeroed span at the end, or NULL when the batch is at its bound. */
struct ls_span *ls_tel_batch_add_span(struct ls_tel_batch *b);

/** Copies s (NULL = "") into a fixed field, truncating. */
void ls_tel_set(char *field, size_t cap, const char *s);
#define LS_TEL_SET(field, s) ls_tel_set((field), sizeof(field), (s))

/* The times a sample may carry: from the epoch to the end of year 9999 (RFC 3339's range),
 * in µs. Anything else is refused ("time_out_of_range"), never cast. */
#define LS_TEL_TIME_MIN_US 0LL
#define LS_TEL_TIME_MAX_US 253402300799999999LL /* 9999-12-31T23:59:59.999999Z */

/** How a decoder's time number is scaled: its unit in µs, or by magnitude. */
#define LS_TEL_UNIT_S         1e6
#define LS_TEL_UNIT_MS        1e3
#define LS_TEL_UNIT_NS        1e-3
#define LS_TEL_UNIT_MAGNITUDE 0.0 /* < 1e11 s, < 1e14 ms, < 1e17 µs, else ns */

/**
 * Converts a producer's epoch number to µs, checked.
 * @param unit_us one of the LS_TEL_UNIT_* scales
 * @return LS_OK; LS_EINVAL with code "time_not_finite" (NaN, ±inf) or "time_out_of_range"
 *         (before 1970 or past 9999-12-31), the message naming `what`.
 */
LS_MUST_CHECK int
ls_tel_time_us(int64_t *out, double v, double unit_us, const char *what, struct ls_err *err);

enum ls_tel_format {
    LS_TEL_AUTO = 0,
    LS_TEL_OSLO,       /* oslo.messaging envelope (2.0 wrapper or plain) */
    LS_TEL_CEILOMETER, /* bare sample dict(s) */
    LS_TEL_MONASCA,
    LS_TEL_COLLECTD,   /* JSON, PUTVAL command or Graphite lines */
    LS_TEL_TELEGRAF,   /* JSON or influx line protocol */
    LS_TEL_PROMETHEUS, /* prometheus-kafka-adapter JSON */
    LS_TEL_OTLP,       /* OTLP JSON metrics (resourceMetrics) and traces (resourceSpans) */
    LS_TEL_FORMAT_COUNT
};

/** A decoder: one producer format. Tables over code: see decode.c. */
struct ls_tel_decoder {
    enum ls_tel_format format;
    const char *name; /* "ceilometer", ... (per-topic override names) */
    /* true when the parsed JSON record (or NULL for text) looks like this format */
    bool (*detect_json)(json_t *v);
    bool (*detect_text)(const char *p, size_t len);
    /* appends the samples of one record; json is the parsed record for JSON formats */
    int (*decode)(
        json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err);
};

#endif
