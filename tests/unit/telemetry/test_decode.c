/* importers/telemetry decoders: every producer format's example record decoded to exact
 * values, detection per record, and malformed records named. The example records are the
 * project's wire-format notes (shared/formats/examples, beside the checkout; LS_FORMATS_DIR
 * overrides); records written here cover the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importers/telemetry/decode.h"
#include "importers/telemetry/inventory.h"

#define T0 1747140780000000LL /* 2025-05-13T12:53:00Z */

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    const char *dir = getenv("LS_FORMATS_DIR");
    if (dir)
        snprintf(path, sizeof(path), "%s/%s", dir, name);
    else
        snprintf(path, sizeof(path), "%s/../shared/formats/examples/%s",
                 getenv("LS_SOURCE_DIR") ? getenv("LS_SOURCE_DIR") : ".", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("example %s not found (set LS_FORMATS_DIR)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Decodes an example file; asserts the detected format and the sample count. */
static void decode_file(const char *name, enum ls_tel_format want, size_t n, struct ls_tel_batch *b)
{
    size_t len;
    char *data = slurp(name, &len);
    enum ls_tel_format got;
    struct ls_err err;
    ls_tel_batch_init(b, 1000);
    int rc = ls_tel_decode(data, len, LS_TEL_AUTO, b, &got, &err);
    free(data);
    if (rc != LS_OK)
        fail_msg("%s: %s", name, err.msg);
    assert_string_equal(ls_tel_format_name(got), ls_tel_format_name(want));
    assert_int_equal(b->n, n);
}

static void test_bare_ceilometer_sample(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    decode_file("ceilometer-sample.json", LS_TEL_CEILOMETER, 1, &b);
    struct ls_sample *s = &b.v[0];
    assert_string_equal(s->metric, "cpu");
    assert_true(s->value == 187302450000000.0);
    assert_string_equal(s->unit, "ns");
    assert_int_equal(s->kind, LS_TEL_COUNTER);
    assert_int_equal(s->time_us, T0 + 118254);
    assert_string_equal(s->resource, "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11");
    assert_string_equal(s->instance, "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11");
    assert_string_equal(s->host, "cmp-r12-07");
    assert_string_equal(s->domain, "instance-0000a1b2");
    ls_tel_batch_cleanup(&b);
}

static void test_ceilometer_batch_in_oslo_kafka_envelope(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    decode_file("ceilometer-notifier-kafka.json", LS_TEL_OSLO, 2, &b);
    struct ls_sample *s = &b.v[0];
    assert_string_equal(s->metric, "network.incoming.bytes");
    assert_true(s->value == 9318442213.0);
    assert_int_equal(s->kind, LS_TEL_COUNTER);
    assert_int_equal(s->time_us, T0 + 120871);
    assert_string_equal(s->device, "tapc1a7e3d2-5b");
    assert_string_equal(s->instance, "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11");
    assert_string_equal(s->port, "c1a7e3d2-5b4f-4a69-8e2d-7f3b1c0a9e58");
    assert_string_equal(b.v[1].metric, "disk.device.read.bytes");
    ls_tel_batch_cleanup(&b);
}

static void test_oslo_inventory_notification_is_not_telemetry(void **state)
{
    (void)state;
    size_t len;
    char *data = slurp("oslo-envelope-kafka.json", &len);
    struct ls_tel_batch b;
    struct ls_err err;
    ls_tel_batch_init(&b, 10);
    assert_int_equal(ls_tel_decode(data, len, LS_TEL_AUTO, &b, NULL, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "inventory_event");
    assert_string_equal(err.msg, "oslo notification service.update");
    assert_int_equal(b.n, 0);
    free(data);
    ls_tel_batch_cleanup(&b);
}

static void test_monasca_metric_has_millisecond_time(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    decode_file("monasca-metric.json", LS_TEL_MONASCA, 1, &b);
    struct ls_sample *s = &b.v[0];
    assert_string_equal(s->metric, "vm.net.in_bytes_sec");
    assert_true(s->value == 18234.5);
    assert_int_equal(s->time_us, T0 + 412183);
    assert_string_equal(s->host, "cmp-r12-07.dc1.example.net");
    assert_string_equal(s->resource, "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11");
    assert_string_equal(s->port, "c1a7e3d2-5b4f-4a69-8e2d-7f3b1c0a9e58");
    assert_string_equal(s->device, "tapc1a7e3d2-5b");
    ls_tel_batch_cleanup(&b);
}

static void test_collectd_json_command_and_graphite(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    decode_file("collectd.json", LS_TEL_COLLECTD, 2, &b);
    assert_string_equal(b.v[0].metric, "virt.if_octets.rx");
    assert_string_equal(b.v[1].metric, "virt.if_octets.tx");
    assert_true(b.v[0].value == 18234.5);
    assert_int_equal(b.v[0].kind, LS_TEL_COUNTER);
    assert_int_equal(b.v[0].time_us, T0 + 412000);
    assert_string_equal(b.v[0].instance, "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11");
    assert_string_equal(b.v[0].device, "tapc1a7e3d2-5b");
    assert_string_equal(b.v[0].host, "cmp-r12-07.dc1.example.net");
    ls_tel_batch_cleanup(&b);

    decode_file("collectd-command.txt", LS_TEL_COLLECTD, 2, &b);
    assert_string_equal(b.v[0].metric, "virt.if_octets.rx");
    assert_true(b.v[0].value == 9318442213.0);
    assert_true(b.v[1].value == 2210931720.0);
    assert_int_equal(b.v[1].time_us, T0 + 412000);
    assert_string_equal(b.v[1].instance, "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11");
    ls_tel_batch_cleanup(&b);

    decode_file("collectd-graphite.txt", LS_TEL_COLLECTD, 2, &b);
    assert_string_equal(b.v[0].host, "cmp-r12-07.dc1.example.net");
    assert_string_equal(b.v[0].metric, "virt.if_octets.rx");
    assert_string_equal(b.v[1].metric, "virt.if_octets.tx");
    assert_true(b.v[1].value == 2210931720.0);
    assert_int_equal(b.v[1].time_us, T0);
    assert_string_equal(b.v[1].device, "tapc1a7e3d2-5b");
    ls_tel_batch_cleanup(&b);
}

static void test_telegraf_json_and_influx_lines(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    decode_file("telegraf.json", LS_TEL_TELEGRAF, 8, &b);
    bool found = false;
    for (size_t i = 0; i < b.n; i++) {
        if (strcmp(b.v[i].metric, "libvirt_net.rx_bytes") == 0) {
            found = true;
            assert_true(b.v[i].value == 9318442213.0);
            assert_int_equal(b.v[i].time_us, T0);
            assert_string_equal(b.v[i].domain, "instance-0000a1b2");
            assert_string_equal(b.v[i].host, "cmp-r12-07");
            assert_string_equal(b.v[i].device, "tapc1a7e3d2-5b");
        }
    }
    assert_true(found);
    ls_tel_batch_cleanup(&b);

    decode_file("telegraf-influx.txt", LS_TEL_TELEGRAF, 13, &b);
    assert_string_equal(b.v[0].metric, "libvirt_net.rx_bytes");
    assert_true(b.v[0].value == 9318442213.0);
    assert_int_equal(b.v[0].time_us, T0);
    assert_string_equal(b.v[0].domain, "instance-0000a1b2");
    assert_string_equal(b.v[0].device, "tapc1a7e3d2-5b");
    assert_string_equal(b.v[8].metric, "cpu.usage_user");
    assert_true(b.v[8].value == 23.1);
    assert_string_equal(b.v[8].host, "cmp-r12-07");
    assert_string_equal(b.v[8].series, "cpu-total");
    ls_tel_batch_cleanup(&b);
}

static void test_prometheus_adapter_counter_and_instance_label(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    decode_file("prom-kafka-adapter.json", LS_TEL_PROMETHEUS, 1, &b);
    struct ls_sample *s = &b.v[0];
    assert_string_equal(s->metric, "libvirt_domain_interface_stats_receive_bytes_total");
    assert_true(s->value == 9318442213.0);
    assert_int_equal(s->kind, LS_TEL_COUNTER);
    assert_int_equal(s->time_us, T0);
    assert_string_equal(s->host, "cmp-r12-07.dc1.example.net");
    assert_string_equal(s->domain, "instance-0000a1b2");
    assert_string_equal(s->device, "tapc1a7e3d2-5b");
    ls_tel_batch_cleanup(&b);
}

static void test_otlp_sum_and_gauge_points(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    size_t len;
    char *data = slurp("otlp.json", &len);
    struct ls_err err;
    ls_tel_batch_init(&b, 1000);
    assert_int_equal(ls_tel_decode(data, len, LS_TEL_AUTO, &b, NULL, &err), LS_OK);
    free(data);
    assert_true(b.n >= 2);
    assert_string_equal(b.v[0].metric, "system.cpu.time");
    assert_string_equal(b.v[0].unit, "s");
    assert_true(b.v[0].value == 80211.37);
    assert_int_equal(b.v[0].kind, LS_TEL_COUNTER);
    assert_int_equal(b.v[0].time_us, T0 + 412000);
    assert_string_equal(b.v[0].host, "cmp-r12-07.dc1.example.net");
    assert_string_equal(b.v[0].series, "cpu=cpu0,state=user");
    assert_string_equal(b.v[1].series, "cpu=cpu0,state=idle");
    ls_tel_batch_cleanup(&b);
}

/* OTLP JSON traces: spans of two resources with their service.name, hex ids (lowercased),
 * the parent link, times in ns (string or number), status 2 = error, a client span's
 * peer.service; a bad id, a span that ends before it starts, or a bad time refuses the record
 * whole (no spans left behind). */
#define TRACE_OK                                                                                   \
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","                \
    "\"value\":{\"stringValue\":\"frontend\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"x\"},"     \
    "\"spans\":[{\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":"                     \
    "\"eee19b7ec3c1b174\",\"parentSpanId\":\"\",\"name\":\"GET /\",\"kind\":2,"                    \
    "\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":1700000000050000000},"      \
    "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"00000000000000a1\","           \
    "\"parentSpanId\":\"eee19b7ec3c1b174\",\"kind\":3,\"startTimeUnixNano\":"                      \
    "\"1700000000001000000\",\"endTimeUnixNano\":\"1700000000002000000\",\"attributes\":"          \
    "[{\"key\":\"peer.service\",\"value\":{\"stringValue\":\"postgres\"}}]}]}]},"                  \
    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"         \
    "\"cart\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","  \
    "\"spanId\":\"00000000000000b2\",\"parentSpanId\":\"eee19b7ec3c1b174\",\"kind\":2,"            \
    "\"startTimeUnixNano\":\"1700000000010000000\",\"endTimeUnixNano\":\"1700000000030000000\","   \
    "\"status\":{\"code\":2,\"message\":\"boom\"}}]}]}]}"

static void test_otlp_trace_spans(void **state)
{
    (void)state;
    struct ls_tel_batch b;
    struct ls_err err;
    enum ls_tel_format got;
    ls_tel_batch_init(&b, 1000);
    assert_int_equal(ls_tel_decode(TRACE_OK, strlen(TRACE_OK), LS_TEL_AUTO, &b, &got, &err), LS_OK);
    assert_int_equal(got, LS_TEL_OTLP);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.n_spans, 3);
    assert_string_equal(b.spans[0].trace_id, "5b8efff798038103d269b633813fc60c");
    assert_string_equal(b.spans[0].service, "frontend");
    assert_string_equal(b.spans[0].parent_id, "");
    assert_int_equal(b.spans[0].start_us, INT64_C(1700000000000000));
    assert_int_equal(b.spans[0].end_us, INT64_C(1700000000050000));
    assert_false(b.spans[0].error);
    assert_string_equal(b.spans[1].peer, "postgres");
    assert_string_equal(b.spans[1].parent_id, "eee19b7ec3c1b174");
    assert_string_equal(b.spans[2].service, "cart");
    assert_string_equal(b.spans[2].peer, "");
    assert_true(b.spans[2].error);
    ls_tel_batch_cleanup(&b);

    static const char *const bad[] = {
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"abc\",\"spanId\":"
        "\"00000000000000b2\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
        "\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"00000000000000g2\","
        "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
        "\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"00000000000000b2\","
        "\"startTimeUnixNano\":\"5000000\",\"endTimeUnixNano\":\"2000000\"}]}]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
        "\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"00000000000000b2\","
        "\"startTimeUnixNano\":\"nan\",\"endTimeUnixNano\":\"2\"}]}]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
        "\"00000000000000000000000000000000\",\"spanId\":\"00000000000000b2\","
        "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ls_tel_batch_init(&b, 1000);
        int rc = ls_tel_decode(bad[i], strlen(bad[i]), LS_TEL_AUTO, &b, NULL, &err);
        if (rc != LS_EINVAL)
            fail_msg("bad span record %zu decoded (rc %d)", i, rc);
        assert_int_equal(b.n_spans, 0);
        ls_tel_batch_cleanup(&b);
    }
    /* the bound per record counts spans too */
    ls_tel_batch_init(&b, 2);
    assert_int_equal(ls_tel_decode(TRACE_OK, strlen(TRACE_OK), LS_TEL_AUTO, &b, NULL, &err),
                     LS_ELIMIT);
    assert_int_equal(b.n_spans, 0);
    ls_tel_batch_cleanup(&b);
}

static void test_malformed_and_unknown_records_are_named(void **state)
{
    (void)state;
    struct {
        const char *rec, *code;
    } cases[] = {
        {"", "empty_record"},
        {"   \n", "empty_record"},
        {"{\"counter_name\": \"cpu\",", "malformed_json"},
        {"{\"hello\": 1}", "unknown_format"},
        {"\x00\x00\x00\x00\x01garbage", "unknown_format"},
        {"{\"counter_name\":\"cpu\",\"counter_volume\":\"lots\",\"timestamp\":\"2025-05-13T12:53:"
         "00\"}",
         "malformed_record"},
        {"{\"counter_name\":\"cpu\",\"counter_volume\":1,\"timestamp\":\"noon\"}", "invalid_time"},
        {"{\"metric\":{\"name\":\"x\",\"value\":1,\"timestamp\":\"soon\"},\"meta\":{}}",
         "malformed_record"},
        {"{\"oslo.version\":\"2.0\",\"oslo.message\":\"{not json\"}", "malformed_record"},
        {"cpu,host=a usage=abc 1747140780000000000", "malformed_record"},
        {"PUTVAL h/virt-x/if_octets-tap 1747140780:zz:1", "malformed_record"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ls_tel_batch b;
        struct ls_err err;
        ls_tel_batch_init(&b, 100);
        size_t len = i == 4 ? 12 : strlen(cases[i].rec);
        int rc = ls_tel_decode(cases[i].rec, len, LS_TEL_AUTO, &b, NULL, &err);
        if (rc == LS_OK)
            fail_msg("case %zu decoded", i);
        if (strcmp(err.code, cases[i].code) != 0)
            fail_msg("case %zu: code %s (%s), want %s", i, err.code, err.msg, cases[i].code);
        ls_tel_batch_cleanup(&b);
    }
}

/* Decodes rec (exactly len bytes, copied to a buffer of that size: nothing may be read past
 * it, as with a Kafka payload) and returns the status; err filled. */
static int decode_exact(const char *rec, size_t len, struct ls_tel_batch *b, struct ls_err *err)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, rec, len);
    int rc = ls_tel_decode(copy, len, LS_TEL_AUTO, b, NULL, err);
    free(copy);
    return rc;
}

/* The record of issue 12 crashed the service (strtok_r returned NULL); its kin too. */
static void test_putval_without_values_is_refused(void **state)
{
    (void)state;
    static const char *const recs[] = {
        "PUTVAL a/b/c :",  "PUTVAL a/b/c",     "PUTVAL a/b/c ::",     "PUTVAL a/b/c N",
        "PUTVAL a/b/c N:", "PUTVAL a/b/c :1",  "PUTVAL \"a/b/c N:1",  "PUTVAL a/b N:1",
        "PUTVAL /b/c N:1", "PUTVAL a//c N:1",  "PUTVAL a/b/ N:1",     "PUTVAL   ",
        "PUTVAL a/b/c 1:", "PUTVAL a/b/c x=1", "PUTVAL a/b/c N:1:zz", "PUTVAL a/b/c 12ab:1",
    };
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        struct ls_tel_batch b;
        struct ls_err err;
        ls_tel_batch_init(&b, 100);
        int rc = decode_exact(recs[i], strlen(recs[i]), &b, &err);
        if (rc != LS_EINVAL || strcmp(err.code, "malformed_record") != 0)
            fail_msg("'%s': rc %d code %s", recs[i], rc, rc ? err.code : "-");
        assert_int_equal(b.n, 0);
        ls_tel_batch_cleanup(&b);
    }
}

/* collectd's N is "now": the time the record was received, not the epoch. */
static void test_putval_n_is_the_receive_time_and_u_is_skipped(void **state)
{
    (void)state;
    const char *rec = "PUTVAL \"h/virt-instance-00000001/if_octets-tap1\" interval=10 N:U:7";
    struct ls_tel_batch b;
    struct ls_err err;
    ls_tel_batch_init(&b, 100);
    b.received_us = T0 + 5;
    assert_int_equal(decode_exact(rec, strlen(rec), &b, &err), LS_OK);
    assert_int_equal(b.n, 1); /* U: undefined, like JSON's null */
    assert_int_equal(b.v[0].time_us, T0 + 5);
    assert_string_equal(b.v[0].metric, "virt.if_octets.tx");
    assert_true(b.v[0].value == 7);
    assert_string_equal(b.v[0].domain, "instance-00000001");
    ls_tel_batch_cleanup(&b);
    /* influx without a timestamp: also the receive time */
    ls_tel_batch_init(&b, 100);
    b.received_us = T0 + 6;
    assert_int_equal(decode_exact("m,host=a x=1", 12, &b, &err), LS_OK);
    assert_int_equal(b.v[0].time_us, T0 + 6);
    ls_tel_batch_cleanup(&b);
}

/* Numbers are read within the record's length: a payload is not NUL-terminated, and what
 * follows it in memory (here: more digits) must not change the value. */
static void test_numbers_are_read_within_the_record(void **state)
{
    (void)state;
    static const struct {
        const char *buf;
        size_t len;
        double value;
    } cases[] = {
        {"m,host=a x=1 17471407800000000009999", 32, 1},
        {"m,host=a x=2.5 174714078000000000099", 34, 2.5},
        {"h.virt-x.if_octets-tap.rx 3 17471407809", 38, 3},
        {"PUTVAL h/virt-x/if_octets-tap 1747140780:4:5999", 44, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ls_tel_batch b;
        struct ls_err err;
        ls_tel_batch_init(&b, 100);
        int rc = decode_exact(cases[i].buf, cases[i].len, &b, &err);
        if (rc != LS_OK)
            fail_msg("case %zu: %s", i, err.msg);
        assert_true(b.v[0].value == cases[i].value);
        assert_int_equal(b.v[0].time_us, T0);
        if (i == 3)
            assert_true(b.v[1].value == 5);
        ls_tel_batch_cleanup(&b);
    }
}

/* NaN, ±inf, times before 1970 or past 9999, integers beyond their type: refused whole, by a
 * named reason that is in the reasons table (metrics are labelled by it), never cast. */
static void test_values_that_make_no_sense_are_refused_by_reason(void **state)
{
    (void)state;
    static const struct {
        const char *rec, *code;
    } cases[] = {
        /* prometheus-kafka-adapter writes NaN and ±Inf as strings */
        {"{\"name\":\"up\",\"labels\":{},\"value\":\"NaN\",\"timestamp\":\"2025-05-13T12:53:00Z\"}",
         "value_not_finite"},
        {"{\"name\":\"up\",\"labels\":{},\"value\":\"+Inf\",\"timestamp\":\"2025-05-13T12:53:"
         "00Z\"}",
         "value_not_finite"},
        {"{\"name\":\"up\",\"labels\":{},\"value\":\"1e999\",\"timestamp\":\"2025-05-13T12:53:"
         "00Z\"}",
         "value_not_finite"},
        {"{\"name\":\"up\",\"labels\":{},\"value\":\" 1\",\"timestamp\":\"2025-05-13T12:53:00Z\"}",
         "malformed_record"},
        {"{\"name\":\"up\",\"labels\":{},\"value\":\"0x10\",\"timestamp\":\"2025-05-13T12:53:"
         "00Z\"}",
         "malformed_record"},
        {"{\"name\":\"up\",\"labels\":{},\"value\":\"1\",\"timestamp\":\"1969-12-31T23:59:59Z\"}",
         "time_out_of_range"},
        {"{\"counter_name\":\"cpu\",\"counter_volume\":1,\"timestamp\":\"0001-01-01T00:00:00Z\"}",
         "time_out_of_range"},
        {"{\"counter_name\":\"cpu\",\"counter_volume\":\"nan\",\"timestamp\":\"2025-05-13T12:53:"
         "00Z\"}",
         "value_not_finite"},
        {"{\"metric\":{\"name\":\"x\",\"value\":1,\"timestamp\":1e300},\"meta\":{}}",
         "time_out_of_range"},
        {"{\"metric\":{\"name\":\"x\",\"value\":1,\"timestamp\":\"inf\"},\"meta\":{}}",
         "time_not_finite"},
        {"{\"metric\":{\"name\":\"x\",\"value\":1,\"timestamp\":-1},\"meta\":{}}",
         "time_out_of_range"},
        {"{\"metric\":{\"name\":\"x\",\"value\":\"-infinity\",\"timestamp\":1},\"meta\":{}}",
         "value_not_finite"},
        {"[{\"values\":[1],\"dstypes\":[\"gauge\"],\"dsnames\":[\"v\"],\"time\":\"nan\"}]",
         "time_not_finite"},
        {"[{\"values\":[\"inf\"],\"dstypes\":[\"gauge\"],\"dsnames\":[\"v\"],\"time\":1}]",
         "value_not_finite"},
        {"{\"name\":\"m\",\"tags\":{},\"fields\":{\"x\":1},\"timestamp\":-5}", "time_out_of_range"},
        {"{\"name\":\"m\",\"tags\":{},\"fields\":{\"x\":1},\"timestamp\":1e300}",
         "time_out_of_range"},
        {"m x=nan 1747140780000000000", "value_not_finite"},
        {"m x=-Inf 1747140780000000000", "value_not_finite"},
        {"m x=1e999 1747140780000000000", "value_not_finite"},
        {"m x=9223372036854775808i 1747140780000000000", "value_out_of_range"},
        {"m x=-9223372036854775809i 1747140780000000000", "value_out_of_range"},
        {"m x=18446744073709551616u 1747140780000000000", "value_out_of_range"},
        {"m x=-1u 1747140780000000000", "malformed_record"},
        {"m x=1 99999999999999999999", "time_out_of_range"},
        {"m x=1 -1", "time_out_of_range"},
        {"m x=1 1e18", "malformed_record"},
        {"PUTVAL h/virt-x/if_octets-tap 1e300:1:2", "time_out_of_range"},
        {"PUTVAL h/virt-x/if_octets-tap -1:1:2", "time_out_of_range"},
        {"PUTVAL h/virt-x/if_octets-tap nan:1:2", "time_not_finite"},
        {"PUTVAL h/virt-x/if_octets-tap 1747140780:nan:2", "value_not_finite"},
        {"PUTVAL h/virt-x/if_octets-tap 253402300800:1", "time_out_of_range"},
        {"h.virt-x.if_octets-tap.rx inf 1747140780", "value_not_finite"},
        {"h.virt-x.if_octets-tap.rx 1 1e300", "time_out_of_range"},
        {"{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"gauge\":{"
         "\"dataPoints\":[{\"asInt\":\"99999999999999999999\",\"timeUnixNano\":\"1\"}]}}]}]}]}",
         "value_out_of_range"},
        {"{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"gauge\":{"
         "\"dataPoints\":[{\"asDouble\":\"NaN\",\"timeUnixNano\":\"1\"}]}}]}]}]}",
         "value_not_finite"},
        {"{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"gauge\":{"
         "\"dataPoints\":[{\"asDouble\":1,\"timeUnixNano\":1e300}]}}]}]}]}",
         "time_out_of_range"},
        {"m x=1\n\0m y=2", "malformed_record"}, /* a NUL in a text record */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ls_tel_batch b;
        struct ls_err err;
        ls_tel_batch_init(&b, 100);
        size_t len = strlen(cases[i].rec);
        if (strcmp(cases[i].rec, "m x=1\n") == 0)
            len = 12; /* through the NUL */
        int rc = decode_exact(cases[i].rec, len, &b, &err);
        if (rc == LS_OK)
            fail_msg("case %zu (%s) decoded: value %g time %lld", i, cases[i].rec, b.v[0].value,
                     (long long)b.v[0].time_us);
        if (strcmp(err.code, cases[i].code) != 0)
            fail_msg("case %zu (%s): code %s (%s), want %s", i, cases[i].rec, err.code, err.msg,
                     cases[i].code);
        assert_int_equal(b.n, 0); /* a refused record adds nothing */
        assert_string_equal(ls_tel_reasons[ls_tel_reason_index(err.code)], err.code);
        ls_tel_batch_cleanup(&b);
    }
    /* the edges of the range are taken */
    struct ls_tel_batch b;
    struct ls_err err;
    ls_tel_batch_init(&b, 100);
    const char *last = "PUTVAL h/virt-x/if_octets-tap 253402300799.5:1";
    assert_int_equal(decode_exact(last, strlen(last), &b, &err), LS_OK);
    assert_int_equal(b.v[0].time_us, 253402300799500000LL);
    const char *first = "m x=1 0";
    assert_int_equal(decode_exact(first, strlen(first), &b, &err), LS_OK);
    assert_int_equal(b.v[1].time_us, 0);
    ls_tel_batch_cleanup(&b);
}

/* Inputs the fuzzer found reading past a record's end (tests/fuzz/corpus/telemetry_decode/
 * crash-*): under ASan, reading a byte past the exact-size copy fails the test. */
static void test_records_the_fuzzer_found_stay_within_their_bytes(void **state)
{
    (void)state;
    static const char *const recs[] = {
        "PUTVAu-uer t-z/ifts-tap ", /* graphite detection read the byte after a trailing space */
    };
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        struct ls_tel_batch b;
        struct ls_err err;
        ls_tel_batch_init(&b, 100);
        assert_int_not_equal(decode_exact(recs[i], strlen(recs[i]), &b, &err), LS_OK);
        ls_tel_batch_cleanup(&b);
    }
}

static void test_number_parsers_are_strict(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(ls_tel_parse_double("1.5e3", 5, &d), LS_TEL_NUM_OK);
    assert_true(d == 1500);
    assert_int_equal(ls_tel_parse_double("-.5", 3, &d), LS_TEL_NUM_OK);
    assert_true(d == -0.5);
    assert_int_equal(ls_tel_parse_double("1.5e3", 4, &d), LS_TEL_NUM_BAD); /* "1.5e" */
    assert_int_equal(ls_tel_parse_double("", 0, &d), LS_TEL_NUM_BAD);
    assert_int_equal(ls_tel_parse_double(".", 1, &d), LS_TEL_NUM_BAD);
    assert_int_equal(ls_tel_parse_double("1 ", 2, &d), LS_TEL_NUM_BAD);
    assert_int_equal(ls_tel_parse_double("0x1p3", 5, &d), LS_TEL_NUM_BAD);
    assert_int_equal(ls_tel_parse_double("INFINITY", 8, &d), LS_TEL_NUM_NOT_FINITE);
    assert_int_equal(ls_tel_parse_double("-nan", 4, &d), LS_TEL_NUM_NOT_FINITE);
    assert_int_equal(ls_tel_parse_double("nan(1)", 6, &d), LS_TEL_NUM_BAD);
    assert_int_equal(ls_tel_parse_int("9223372036854775807", 19, false, &d), LS_TEL_NUM_OK);
    assert_int_equal(ls_tel_parse_int("-9223372036854775808", 20, false, &d), LS_TEL_NUM_OK);
    assert_int_equal(ls_tel_parse_int("9223372036854775808", 19, false, &d), LS_TEL_NUM_RANGE);
    assert_int_equal(ls_tel_parse_int("18446744073709551615", 20, true, &d), LS_TEL_NUM_OK);
    assert_int_equal(ls_tel_parse_int("+1", 2, true, &d), LS_TEL_NUM_BAD);
    assert_int_equal(ls_tel_parse_int("-", 1, false, &d), LS_TEL_NUM_BAD);
    int64_t t;
    struct ls_err err;
    assert_int_equal(ls_tel_time_us(&t, 1747140780.0, LS_TEL_UNIT_MAGNITUDE, "t", &err), LS_OK);
    assert_int_equal(t, T0);
    assert_int_equal(ls_tel_time_us(&t, 1747140780000.0, LS_TEL_UNIT_MAGNITUDE, "t", &err), LS_OK);
    assert_int_equal(t, T0);
    assert_int_equal(ls_tel_time_us(&t, 0.0 / 0.0, LS_TEL_UNIT_S, "t", &err), LS_EINVAL);
    assert_string_equal(err.code, "time_not_finite");
    assert_int_equal(ls_tel_time_us(&t, -1e300, LS_TEL_UNIT_MAGNITUDE, "t", &err), LS_EINVAL);
    assert_string_equal(err.code, "time_out_of_range");
}

static void test_batch_bound_and_pinned_format(void **state)
{
    (void)state;
    const char *lines = "m a=1,b=2,c=3 1747140780000000000\n";
    struct ls_tel_batch b;
    struct ls_err err;
    ls_tel_batch_init(&b, 2);
    assert_int_equal(ls_tel_decode(lines, strlen(lines), LS_TEL_AUTO, &b, NULL, &err), LS_ELIMIT);
    assert_string_equal(err.code, "too_many_samples");
    ls_tel_batch_cleanup(&b);
    /* a topic pinned to prometheus refuses a telegraf record instead of guessing */
    ls_tel_batch_init(&b, 10);
    const char *tj = "{\"name\":\"cpu\",\"tags\":{},\"fields\":{\"x\":1},\"timestamp\":1}";
    assert_int_not_equal(ls_tel_decode(tj, strlen(tj), LS_TEL_PROMETHEUS, &b, NULL, &err), LS_OK);
    assert_int_equal(b.n, 0);
    ls_tel_batch_cleanup(&b);
    enum ls_tel_format f;
    assert_true(ls_tel_format_parse("otlp", &f));
    assert_int_equal(f, LS_TEL_OTLP);
    assert_false(ls_tel_format_parse("graphite2", &f));
}

/* The fast path's view of the inventory notifications: which entity changed, and when. */
static void test_inventory_events_name_their_entity(void **state)
{
    (void)state;
    static const struct {
        const char *file, *type, *id;
        enum ls_tel_inv_kind kind;
    } cases[] = {
        {"nova-instance-create-end.json", "instance.create.end",
         "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11", LS_INV_INSTANCE},
        {"nova-instance-live_migration_post-end.json", "instance.live_migration_post.end",
         "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11", LS_INV_INSTANCE},
        {"nova-instance-delete-end.json", "instance.delete.end",
         "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11", LS_INV_INSTANCE},
        {"nova-compute-instance-create-end-legacy.json", "compute.instance.create.end",
         "3f6c5f2e-8d1a-4c57-9b0e-2a4e5d7c9b11", LS_INV_INSTANCE},
        {"neutron-port-create-end.json", "port.create.end", "c1a7e3d2-5b4f-4a69-8e2d-7f3b1c0a9e58",
         LS_INV_PORT},
        {"neutron-port-update-end.json", "port.update.end", "c1a7e3d2-5b4f-4a69-8e2d-7f3b1c0a9e58",
         LS_INV_PORT},
        {"cinder-volume-attach-end.json", "volume.attach.end",
         "7d2e9c4b-1f3a-4b6e-8c5d-2e9f1a3b4c5d", LS_INV_VOLUME},
        {"nova-service-update.json", "service.update", "", LS_INV_OTHER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        char *text = slurp(cases[i].file, &len);
        struct ls_tel_inv_event ev;
        struct ls_err err;
        assert_int_equal(ls_tel_inventory_parse(text, len, &ev, &err), LS_OK);
        assert_string_equal(ev.event_type, cases[i].type);
        assert_int_equal(ev.kind, cases[i].kind);
        assert_string_equal(ev.id, cases[i].id);
        assert_true(ev.time_us > T0 - 86400000000LL);
        free(text);
    }
    /* a delete carries only port_id; a stack is named by its identity URL */
    const char *port_del = "{\"event_type\":\"port.delete.end\",\"publisher_id\":\"network.x\","
                           "\"payload\":{\"port_id\":\"p-1\"}}";
    const char *stack = "{\"oslo.version\":\"2.0\",\"oslo.message\":\"{\\\"event_type\\\":"
                        "\\\"orchestration.stack.delete.end\\\",\\\"publisher_id\\\":\\\"h\\\","
                        "\\\"payload\\\":{\\\"stack_identity\\\":\\\"arn:openstack:heat::p:"
                        "stacks/shop/s-9\\\"}}\"}";
    struct ls_tel_inv_event ev;
    struct ls_err err;
    assert_int_equal(ls_tel_inventory_parse(port_del, strlen(port_del), &ev, &err), LS_OK);
    assert_int_equal(ev.kind, LS_INV_PORT);
    assert_string_equal(ev.id, "p-1");
    assert_int_equal(ls_tel_inventory_parse(stack, strlen(stack), &ev, &err), LS_OK);
    assert_int_equal(ev.kind, LS_INV_STACK);
    assert_string_equal(ev.id, "s-9");
    assert_int_equal(ls_tel_inventory_parse("{\"a\":1}", 7, &ev, &err), LS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_ceilometer_sample),
        cmocka_unit_test(test_ceilometer_batch_in_oslo_kafka_envelope),
        cmocka_unit_test(test_oslo_inventory_notification_is_not_telemetry),
        cmocka_unit_test(test_monasca_metric_has_millisecond_time),
        cmocka_unit_test(test_collectd_json_command_and_graphite),
        cmocka_unit_test(test_telegraf_json_and_influx_lines),
        cmocka_unit_test(test_prometheus_adapter_counter_and_instance_label),
        cmocka_unit_test(test_otlp_sum_and_gauge_points),
        cmocka_unit_test(test_otlp_trace_spans),
        cmocka_unit_test(test_malformed_and_unknown_records_are_named),
        cmocka_unit_test(test_batch_bound_and_pinned_format),
        cmocka_unit_test(test_putval_without_values_is_refused),
        cmocka_unit_test(test_putval_n_is_the_receive_time_and_u_is_skipped),
        cmocka_unit_test(test_numbers_are_read_within_the_record),
        cmocka_unit_test(test_values_that_make_no_sense_are_refused_by_reason),
        cmocka_unit_test(test_number_parsers_are_strict),
        cmocka_unit_test(test_records_the_fuzzer_found_stay_within_their_bytes),
        cmocka_unit_test(test_inventory_events_name_their_entity),
    };
    return cmocka_run_group_tests_name("importers/telemetry/decode", tests, NULL, NULL);
}
