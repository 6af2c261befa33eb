/* Telemetry decoding: detects the producer format of one Kafka record (or REST body) and
 * decodes it into samples. Pure: no I/O, no model. Thread-safe. */
#ifndef LS_TEL_DECODE_H
#define LS_TEL_DECODE_H

#include "importers/telemetry/sample.h"

/**
 * Decodes one record.
 * @param forced LS_TEL_AUTO to detect per record, or the topic's pinned format
 * @param[out] detected the format used (may be NULL)
 * @return LS_OK (samples appended); LS_EINVAL with err->code "unknown_format",
 *         "malformed_json", "malformed_record" or a field-naming message; LS_ENOTFOUND with
 *         code "inventory_event" for an oslo notification that carries no samples (an
 *         inventory change: Nova/Neutron/Cinder event); LS_ELIMIT past the batch bound.
 */
LS_MUST_CHECK int ls_tel_decode(const char *data,
                                size_t len,
                                enum ls_tel_format forced,
                                struct ls_tel_batch *out,
                                enum ls_tel_format *detected,
                                struct ls_err *err);

/** The format's name ("oslo", "ceilometer", ...). */
const char *ls_tel_format_name(enum ls_tel_format f);
/** Parses a format name (as used in per-topic overrides); false when unknown. */
bool ls_tel_format_parse(const char *name, enum ls_tel_format *out);

/* Decoders (one file each), used by the table in decode.c and by each other. */
extern const struct ls_tel_decoder ls_tel_dec_oslo, ls_tel_dec_ceilometer, ls_tel_dec_monasca,
    ls_tel_dec_collectd, ls_tel_dec_telegraf, ls_tel_dec_prometheus, ls_tel_dec_otlp;

/** Appends the samples of one Ceilometer sample dict (shared with the oslo decoder). */
LS_MUST_CHECK int ls_tel_ceilometer_sample(json_t *s, struct ls_tel_batch *out, struct ls_err *err);

/** Appends the spans of an OTLP JSON traces record (resourceSpans; none when absent) to
 *  out->spans. LS_EINVAL "malformed_record" for a bad id or time; LS_ELIMIT past the bound. */
LS_MUST_CHECK int ls_tel_otlp_spans(json_t *json, struct ls_tel_batch *out, struct ls_err *err);

/** Calls fn for each non-empty line of text (CR and trailing blanks removed); stops at the
 *  first error. For the text formats (influx, PUTVAL, Graphite). */
typedef int (*ls_tel_line_fn)(const char *p,
                              const char *end,
                              struct ls_tel_batch *out,
                              struct ls_err *err);
LS_MUST_CHECK int ls_tel_each_line(
    const char *text, size_t len, ls_tel_line_fn fn, struct ls_tel_batch *out, struct ls_err *err);

/* ---- numbers: strict, bounded, checked (no strtod over a record that is not NUL-terminated,
 * no NaN or infinity let through, no cast of a value out of range) ---- */

enum ls_tel_num {
    LS_TEL_NUM_OK = 0,
    LS_TEL_NUM_BAD,        /* not a number of the accepted syntax */
    LS_TEL_NUM_NOT_FINITE, /* nan, inf, infinity (any case, signed), or beyond a double */
    LS_TEL_NUM_RANGE,      /* an integer beyond its type (ls_tel_parse_int) */
};

/**
 * Parses the decimal number p[0..len) (no NUL needed, none read past len):
 * [+-]digits[.digits][(e|E)[+-]digits] or [+-].digits…; nothing else (no blanks, hex, or
 * trailing bytes). NaN and infinity spelled out are recognised so they can be refused as such.
 * Thread-safe.
 */
enum ls_tel_num ls_tel_parse_double(const char *p, size_t len, double *out);

/**
 * Parses the integer p[0..len): [+-]digits for a signed int64 (is_unsigned false), digits
 * for a uint64 (true); the value as a double. LS_TEL_NUM_RANGE when it does not fit.
 */
enum ls_tel_num ls_tel_parse_int(const char *p, size_t len, bool is_unsigned, double *out);

/** What a number in a record stands for: names the refusal reason. */
enum ls_tel_what { LS_TEL_VALUE, LS_TEL_TIME };

/**
 * The number v holds: a JSON number, or a string holding a decimal number (as producers send
 * them). `name` names the field in the message.
 * @return LS_OK; LS_EINVAL with code "malformed_record" (absent or not a number),
 *         "value_not_finite" / "time_not_finite" (NaN, ±inf, or beyond a double).
 */
LS_MUST_CHECK int
ls_tel_jnum(json_t *v, enum ls_tel_what what, const char *name, double *out, struct ls_err *err);

/** Refuses a number parse result with its reason (the codes of ls_tel_jnum); LS_OK for OK. */
LS_MUST_CHECK int
ls_tel_num_check(enum ls_tel_num r, enum ls_tel_what what, const char *name, struct ls_err *err);

/* Small JSON helpers for decoders. */
const char *ls_tel_jstr(json_t *o, const char *key); /* "" when absent or not a string */
/* The string value of key in an OTLP attribute list ([{"key", "value": {"stringValue"}}]), or
 * "" (metrics and traces alike). */
const char *ls_tel_otlp_attr(json_t *attrs, const char *key);

/* ---- why records are refused: every err.code ls_tel_decode can return, in one table, so
 * counters can be labelled by it (the Kafka consumer, POST /v1/telemetry, /metrics) ---- */

/** The reason codes; the last one, "other", stands for any code not in the table. */
extern const char *const ls_tel_reasons[];
extern const int ls_tel_reasons_count;
/** The index of code in ls_tel_reasons (the "other" index when it is not there). */
int ls_tel_reason_index(const char *code);

#endif
