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
        cmocka_unit_test(test_malformed_and_unknown_records_are_named),
        cmocka_unit_test(test_batch_bound_and_pinned_format),
        cmocka_unit_test(test_inventory_events_name_their_entity),
    };
    return cmocka_run_group_tests_name("importers/telemetry/decode", tests, NULL, NULL);
}
