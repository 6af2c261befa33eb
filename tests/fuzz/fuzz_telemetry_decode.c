/* Fuzz target: the telemetry record auto-detection entry (ls_tel_decode) and every decoder
 * behind it. Each input is decoded as detected and then pinned to each format in turn (as a
 * topic with --telemetry-format is), and the refusal contract is checked: a decoded record's
 * samples have finite values, times within LS_TEL_TIME_*_US and NUL-terminated fields; a
 * refused one adds no sample and names a reason from ls_tel_reasons. Spans (OTLP traces): ids
 * of 32/16 lowercase hex digits (a parent id empty or 16), a service and peer NUL-terminated,
 * times in range with end >= start; a refused record adds no span. Any breach aborts. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importers/telemetry/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

static bool hex_ok(const char *s, size_t want, bool may_be_empty)
{
    size_t n = strnlen(s, want + 1);
    if (n == 0 && may_be_empty)
        return true;
    if (n != want)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void check_spans(const struct ls_tel_batch *b)
{
    for (size_t i = 0; i < b->n_spans; i++) {
        const struct ls_span *x = &b->spans[i];
        if (!hex_ok(x->trace_id, 32, false) || !hex_ok(x->span_id, 16, false) ||
            !hex_ok(x->parent_id, 16, true) || !FIELD_OK(x->service) || !FIELD_OK(x->peer) ||
            x->start_us < LS_TEL_TIME_MIN_US || x->end_us > LS_TEL_TIME_MAX_US ||
            x->end_us < x->start_us) {
            fprintf(stderr, "span %zu breaks the contract\n", i);
            abort();
        }
    }
}

static void check(const struct ls_tel_batch *b, int rc, const struct ls_err *err)
{
    if (rc == LS_OK) {
        check_spans(b);
        for (size_t i = 0; i < b->n; i++) {
            const struct ls_sample *x = &b->v[i];
            if (!isfinite(x->value) || x->time_us < LS_TEL_TIME_MIN_US ||
                x->time_us > LS_TEL_TIME_MAX_US || !FIELD_OK(x->metric) || !FIELD_OK(x->series) ||
                !FIELD_OK(x->unit) || !FIELD_OK(x->resource) || !FIELD_OK(x->instance) ||
                !FIELD_OK(x->domain) || !FIELD_OK(x->host) || !FIELD_OK(x->device) ||
                !FIELD_OK(x->port) || (unsigned)x->kind > LS_TEL_DELTA) {
                fprintf(stderr, "sample %zu breaks the contract: value %g time %lld\n", i, x->value,
                        (long long)x->time_us);
                abort();
            }
        }
        return;
    }
    if (rc == LS_ENOTFOUND && strcmp(err->code, "inventory_event") == 0)
        return;
    if (b->n != 0 || b->n_spans != 0 ||
        ls_tel_reason_index(err->code) == ls_tel_reasons_count - 1) {
        fprintf(stderr, "refusal breaks the contract: rc %d code %s n %zu\n", rc,
                err->code ? err->code : "(null)", b->n);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int f = LS_TEL_AUTO; f < LS_TEL_FORMAT_COUNT; f++) {
        struct ls_tel_batch b;
        struct ls_err err = {0};
        ls_tel_batch_init(&b, 1000);
        b.received_us = 1747140780000000LL;
        int rc = ls_tel_decode((const char *)data, size, (enum ls_tel_format)f, &b, NULL, &err);
        check(&b, rc, &err);
        ls_tel_batch_cleanup(&b);
    }
    return 0;
}
