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

/** Calls fn for each non-empty line of text (CR and trailing blanks removed); stops at the
 *  first error. For the text formats (influx, PUTVAL, Graphite). */
typedef int (*ls_tel_line_fn)(const char *p,
                              const char *end,
                              struct ls_tel_batch *out,
                              struct ls_err *err);
LS_MUST_CHECK int ls_tel_each_line(
    const char *text, size_t len, ls_tel_line_fn fn, struct ls_tel_batch *out, struct ls_err *err);

/* Small JSON helpers for decoders. */
const char *ls_tel_jstr(json_t *o, const char *key); /* "" when absent or not a string */
bool ls_tel_jnum(json_t *v, double *out);            /* number, or a numeric string */

#endif
