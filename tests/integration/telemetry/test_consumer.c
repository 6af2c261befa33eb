/* The Kafka telemetry consumer against librdkafka's mock cluster (real Kafka protocol on
 * loopback), fed by a real producer: samples land on the right nodes, poison records are
 * skipped and counted, a broker outage loses nothing, two consumers of one group split the
 * partitions, and replaying records changes nothing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/time.h"
#include "importers/telemetry/consumer.h"
#include "model/alias.h"
#include "model/graph.h"
#include "model/rollup.h"
#include "model/telemetry.h"
#include "sql/store.h"
#include "tests/support/pg_harness.h"

#define TOPIC      "metrics"
#define PARTITIONS 4
#define VMS        8

struct fx {
    rd_kafka_t *mock_rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_t *producer;
    struct ls_graph *g;
    struct ls_alias *a;
    struct ls_telemetry *t;
    char brokers[256];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e));
    f->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    f->mc = rd_kafka_mock_cluster_new(f->mock_rk, 3);
    rd_kafka_mock_topic_create(f->mc, TOPIC, PARTITIONS, 3);
    snprintf(f->brokers, sizeof(f->brokers), "%s", rd_kafka_mock_cluster_bootstraps(f->mc));
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", f->brokers, e, sizeof(e));
    rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e));
    /* a partition's records in the order produced, also when batches are retried across a
     * broker outage (without idempotence librdkafka may reorder them, and the rollup tests run
     * with no grace: a record that lands after newer ones of its partition would be late) */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", e, sizeof(e)) != RD_KAFKA_CONF_OK)
        fail_msg("producer: %s", e);
    f->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    /* a landscape with VMS instances, each known by its libvirt name */
    f->g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    for (int i = 0; i < VMS; i++) {
        char id[64], dom[32];
        snprintf(id, sizeof(id), "nova:instance:00000000-0000-4000-8000-%012d", i);
        snprintf(dom, sizeof(dom), "instance-%08x", i);
        assert_int_equal(ls_change_put_node_new(cs, id, "instance", "", "",
                                                json_pack("{s:[s]}", "aliases", dom), NULL, NULL),
                         LS_OK);
    }
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(f->g, cs, 1, &p, NULL), LS_OK);
    ls_graph_publish(f->g, p, 1);
    ls_change_set_free(cs);
    f->a = ls_alias_new(f->g);
    f->t = ls_telemetry_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rd_kafka_destroy(f->producer);
    rd_kafka_mock_cluster_destroy(f->mc);
    rd_kafka_destroy(f->mock_rk);
    ls_alias_free(f->a);
    ls_telemetry_free(f->t);
    ls_graph_free(f->g);
    free(f);
    return 0;
}

static void produce(struct fx *f, int partition, const char *value)
{
    rd_kafka_resp_err_t e =
        rd_kafka_producev(f->producer, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* One Telegraf line for VM i at second s: a gauge whose value encodes (i, s). A producer keys
 * by host or VM, so one series stays in order in one partition. */
static void produce_sample(struct fx *f, int i, int s)
{
    char line[256];
    snprintf(line, sizeof(line), "libvirt,domain_name=instance-%08x mem=%di %lld000000000", i,
             i * 1000 + s, 1747140780LL + s);
    produce(f, i % PARTITIONS, line);
}

static struct ls_tel_consumer *start(struct fx *f, const char *client)
{
    const char *topics[] = {TOPIC};
    const char *props[] = {"log_level=0", "session.timeout.ms=6000", "heartbeat.interval.ms=500",
                           "topic.metadata.refresh.interval.ms=500"};
    struct ls_tel_consumer_opts o = {.brokers = f->brokers,
                                     .group = "landscape-test",
                                     .topics = topics,
                                     .n_topics = 1,
                                     .props = props,
                                     .n_props = 4,
                                     .client_id = client};
    struct ls_tel_consumer *c;
    struct ls_err err;
    if (ls_tel_consumer_start(&c, &o, f->g, f->a, f->t, &err) != LS_OK)
        fail_msg("consumer: %s", err.msg);
    return c;
}

static uint64_t records(struct ls_tel_consumer *c)
{
    struct ls_tel_consumer_stats st;
    ls_tel_consumer_stats(c, &st);
    return st.records;
}

/* Waits until the consumers together saw n records (or 60 s). */
static void wait_records(struct ls_tel_consumer *a, struct ls_tel_consumer *b, uint64_t n)
{
    for (int i = 0; i < 1200; i++) {
        if (records(a) + (b ? records(b) : 0) >= n)
            return;
        sleep_ms(50);
    }
    fail_msg("consumed %llu of %llu records",
             (unsigned long long)(records(a) + (b ? records(b) : 0)), (unsigned long long)n);
}

static double last_of(struct fx *f, int i, const char *key)
{
    char id[64];
    snprintf(id, sizeof(id), "nova:instance:00000000-0000-4000-8000-%012d", i);
    json_t *o = ls_telemetry_node_json(f->t, id, NULL, 0, 0);
    double v = o ? json_number_value(json_object_get(json_object_get(o, "libvirt.mem"), key)) : -1;
    json_decref(o);
    return v;
}

static void test_samples_land_on_their_nodes_and_poison_is_skipped(void **state)
{
    struct fx *f = *state;
    struct ls_tel_consumer *c = start(f, "c1");
    for (int s = 0; s < 5; s++) {
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
        produce(f, s % PARTITIONS, "{\"this is\": \"not telemetry\"}");
        produce(f, (s + 1) % PARTITIONS, "{broken json");
    }
    produce(f, 0, "libvirt,domain_name=instance-ffffffff mem=1i 1747140780000000000");
    rd_kafka_flush(f->producer, 10000);
    wait_records(c, NULL, VMS * 5 + 10 + 1);
    struct ls_tel_consumer_stats st;
    ls_tel_consumer_stats(c, &st);
    ls_tel_consumer_stop(c);
    assert_int_equal(st.records, VMS * 5 + 11);
    assert_int_equal(st.samples, VMS * 5 + 1);
    assert_int_equal(st.applied, VMS * 5);
    assert_int_equal(st.unmatched, 1);
    assert_int_equal(st.bad, 10);
    assert_int_equal(st.n_reasons, 2);
    for (int i = 0; i < VMS; i++) {
        assert_true(last_of(f, i, "last") == i * 1000 + 4);
        assert_true(last_of(f, i, "count") == 5);
    }
}

/* Issue 12: a record that crashed the decoder was a crash loop (its offset never stored, read
 * again at every start). Records like it, and values that make no sense, are counted by
 * reason, skipped, and their offsets stored: the same group does not read them again. */
static void test_poison_records_are_counted_skipped_and_not_read_again(void **state)
{
    struct fx *f = *state;
    static const char *const poison[] = {
        "PUTVAL a/b/c :",                                   /* the record */
        "PUTVAL h/virt-instance-00000001/if_octets-tap N:", /* N with no value */
        "libvirt,domain_name=instance-00000001 mem=nan 1747140780000000000",
        "libvirt,domain_name=instance-00000001 mem=1i 99999999999999999999",
        "{\"name\":\"up\",\"labels\":{},\"value\":\"NaN\",\"timestamp\":\"2025-05-13T12:53:00Z\"}",
        "{\"metric\":{\"name\":\"x\",\"value\":1,\"timestamp\":1e300},\"meta\":{}}",
    };
    struct ls_tel_consumer *c = start(f, "c1");
    for (size_t i = 0; i < sizeof(poison) / sizeof(poison[0]); i++)
        produce(f, (int)i % PARTITIONS, poison[i]);
    produce_sample(f, 1, 0);
    rd_kafka_flush(f->producer, 10000);
    wait_records(c, NULL, 7);
    struct ls_tel_consumer_stats st;
    ls_tel_consumer_stats(c, &st);
    ls_tel_consumer_stop(c); /* commits the stored offsets */
    assert_int_equal(st.records, 7);
    assert_int_equal(st.bad, 6);
    assert_int_equal(st.applied, 1);
    static const struct {
        const char *reason;
        uint64_t n;
    } want[] = {{"malformed_record", 2}, {"value_not_finite", 2}, {"time_out_of_range", 2}};
    for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
        uint64_t n = 0;
        for (int i = 0; i < st.n_reasons; i++)
            if (strcmp(st.reasons[i], want[w].reason) == 0)
                n = st.bad_by_reason[i];
        if (n != want[w].n)
            fail_msg("reason %s: %llu, want %llu", want[w].reason, (unsigned long long)n,
                     (unsigned long long)want[w].n);
    }
    /* the group again: only what came after is read */
    c = start(f, "c2");
    produce_sample(f, 2, 1);
    rd_kafka_flush(f->producer, 10000);
    wait_records(c, NULL, 1);
    sleep_ms(2000); /* time for anything read again to show up */
    ls_tel_consumer_stats(c, &st);
    ls_tel_consumer_stop(c);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.bad, 0);
}

static void test_broker_outage_loses_nothing_and_replay_changes_nothing(void **state)
{
    struct fx *f = *state;
    struct ls_tel_consumer *c = start(f, "c1");
    for (int i = 0; i < VMS; i++)
        produce_sample(f, i, 0);
    rd_kafka_flush(f->producer, 10000);
    wait_records(c, NULL, VMS);
    /* one broker goes away while more is produced, then comes back */
    rd_kafka_mock_broker_set_down(f->mc, 1);
    for (int s = 1; s < 4; s++)
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
    sleep_ms(500);
    rd_kafka_mock_broker_set_up(f->mc, 1);
    rd_kafka_flush(f->producer, 20000);
    wait_records(c, NULL, VMS * 4);
    ls_tel_consumer_stop(c);
    for (int i = 0; i < VMS; i++) {
        assert_true(last_of(f, i, "last") == i * 1000 + 3);
        assert_true(last_of(f, i, "count") == 4);
    }
    /* the same records again (a consumer in a new group starts from the beginning) */
    const char *topics[] = {TOPIC};
    const char *props[] = {"log_level=0"};
    struct ls_tel_consumer_opts o = {.brokers = f->brokers,
                                     .group = "replay",
                                     .topics = topics,
                                     .n_topics = 1,
                                     .props = props,
                                     .n_props = 1};
    struct ls_err err;
    assert_int_equal(ls_tel_consumer_start(&c, &o, f->g, f->a, f->t, &err), LS_OK);
    wait_records(c, NULL, VMS * 4);
    struct ls_tel_consumer_stats st;
    ls_tel_consumer_stats(c, &st);
    ls_tel_consumer_stop(c);
    assert_int_equal(st.duplicate, VMS * 4);
    assert_int_equal(st.applied, 0);
    for (int i = 0; i < VMS; i++)
        assert_true(last_of(f, i, "count") == 4);
}

static void test_two_consumers_of_one_group_split_the_partitions(void **state)
{
    struct fx *f = *state;
    struct ls_tel_consumer *a = start(f, "a");
    struct ls_tel_consumer *b = start(f, "b");
    /* let the group settle: every partition assigned, to both members */
    for (int i = 0; i < 600; i++) {
        struct ls_tel_consumer_stats sa, sb;
        ls_tel_consumer_stats(a, &sa);
        ls_tel_consumer_stats(b, &sb);
        if (sa.assigned > 0 && sb.assigned > 0 && sa.assigned + sb.assigned == PARTITIONS)
            break;
        sleep_ms(50);
    }
    for (int s = 0; s < 8; s++)
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
    rd_kafka_flush(f->producer, 10000);
    wait_records(a, b, VMS * 8);
    sleep_ms(300);
    uint64_t ra = records(a), rb = records(b);
    ls_tel_consumer_stop(a);
    ls_tel_consumer_stop(b);
    assert_int_equal(ra + rb, VMS * 8); /* each record consumed once */
    assert_true(ra > 0);
    assert_true(rb > 0);
    for (int i = 0; i < VMS; i++)
        assert_true(last_of(f, i, "count") == 8);
}

static void test_poison_is_copied_to_the_dead_letter_topic(void **state)
{
    struct fx *f = *state;
    rd_kafka_mock_topic_create(f->mc, "metrics.dlq", 1, 1);
    const char *topics[] = {TOPIC};
    const char *props[] = {"log_level=0"};
    struct ls_tel_consumer_opts o = {.brokers = f->brokers,
                                     .group = "dlq-test",
                                     .topics = topics,
                                     .n_topics = 1,
                                     .props = props,
                                     .n_props = 1,
                                     .dead_letter = "metrics.dlq"};
    struct ls_tel_consumer *c;
    struct ls_err err;
    assert_int_equal(ls_tel_consumer_start(&c, &o, f->g, f->a, f->t, &err), LS_OK);
    produce_sample(f, 1, 0);
    produce(f, 0, "{broken");
    produce(f, 0, "{\"nothing\": \"known\"}");
    produce_sample(f, 2, 0);
    rd_kafka_flush(f->producer, 10000);
    wait_records(c, NULL, 4);
    struct ls_tel_consumer_stats st;
    ls_tel_consumer_stats(c, &st);
    ls_tel_consumer_stop(c); /* flushes the dead-letter producer */
    assert_int_equal(st.bad, 2);
    assert_int_equal(st.dead_lettered, 2);
    /* read the dead-letter topic back with a plain consumer */
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", f->brokers, e, sizeof(e));
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", e, sizeof(e));
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", e, sizeof(e));
    rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "metrics.dlq", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int got = 0;
    char reasons[2][64] = {"", ""};
    for (int i = 0; i < 300 && got < 2; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m == NULL)
            continue;
        if (m->err == 0) {
            rd_kafka_headers_t *h;
            const void *v;
            size_t n;
            if (rd_kafka_message_headers(m, &h) == 0 &&
                rd_kafka_header_get_last(h, "landscape-reason", &v, &n) == 0)
                snprintf(reasons[got], sizeof(reasons[got]), "%.*s", (int)n, (const char *)v);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    assert_int_equal(got, 2);
    assert_string_equal(reasons[0], "malformed_json");
    assert_string_equal(reasons[1], "unknown_format");
}

/* The rollup flusher of landscaped, in small: write the closed minutes every 100 ms. */
struct flusher {
    struct ls_rollup *r;
    struct ls_store *st;
    _Atomic int stop;
    pthread_t th;
};

static void *flush_loop(void *arg)
{
    struct flusher *fl = arg;
    while (!atomic_load(&fl->stop)) {
        struct ls_err err; /* a failed write is tried again, as the service does */
        if (ls_store_rollups_flush(fl->st, fl->r, ls_time_now_us(), NULL, &err) != LS_OK)
            fprintf(stderr, "# rollup flush failed, tried again: %s\n", err.msg);
        sleep_ms(100);
    }
    return NULL;
}

static struct ls_tel_consumer *start_rollups(struct fx *f, const char *group, struct ls_rollup *r)
{
    const char *topics[] = {TOPIC};
    /* a short session: the next member of the group is not kept waiting for the last one's */
    const char *props[] = {"log_level=0", "session.timeout.ms=6000", "heartbeat.interval.ms=500"};
    struct ls_tel_consumer_opts o = {.brokers = f->brokers,
                                     .group = group,
                                     .topics = topics,
                                     .n_topics = 1,
                                     .props = props,
                                     .n_props = 3,
                                     .rollup = r};
    struct ls_tel_consumer *c;
    struct ls_err err;
    if (ls_tel_consumer_start(&c, &o, f->g, f->a, f->t, &err) != LS_OK)
        fail_msg("consumer: %s", err.msg);
    return c;
}

/* Waits (up to a minute: CI machines are shared) until the rollups are durable through t. */
static void wait_durable(struct ls_rollup *r, int64_t t)
{
    for (int i = 0; i < 600 && ls_rollup_watermark(r) < t; i++)
        sleep_ms(100);
    if (ls_rollup_watermark(r) < t)
        fail_msg("rollups durable through %lld, not %lld after 60 s",
                 (long long)ls_rollup_watermark(r), (long long)t);
}

/* Per VM: the rollup minutes in Postgres and the samples they count. */
static void check_rollups(struct ls_store *st, int minutes, int per_minute)
{
    for (int i = 0; i < VMS; i++) {
        char id[64];
        snprintf(id, sizeof(id), "nova:instance:00000000-0000-4000-8000-%012d", i);
        json_t *o = NULL;
        struct ls_err err;
        assert_int_equal(ls_store_rollups_query(st, id, NULL, 1747140780000000LL,
                                                1747140780000000LL + 3600000000LL, 60, &o, &err),
                         LS_OK);
        json_t *pts = json_object_get(json_object_get(o, "libvirt.mem"), "points");
        assert_int_equal(json_array_size(pts), minutes);
        for (int k = 0; k < minutes; k++) {
            json_t *p = json_array_get(pts, (size_t)k);
            assert_int_equal(json_integer_value(json_array_get(p, 4)), per_minute);
            /* values are i * 1000 + s: the minute k holds s = 60k .. 60k + 59 */
            assert_true(json_real_value(json_array_get(p, 2)) == i * 1000 + 60 * k);
            assert_true(json_real_value(json_array_get(p, 3)) == i * 1000 + 60 * k + 59);
        }
        json_decref(o);
    }
}

static void test_rollups_across_a_broker_outage_lose_nothing_and_count_nothing_twice(void **state)
{
    struct fx *f = *state;
    struct ls_store *st = ls_harness_new_store();
    struct ls_rollup *r = ls_rollup_new(0); /* no grace: the partitions' low mark decides */
    ls_telemetry_set_rollup(f->t, r);
    struct flusher fl = {.r = r, .st = st};
    assert_int_equal(pthread_create(&fl.th, NULL, flush_loop, &fl), 0);
    struct ls_tel_consumer *c = start_rollups(f, "landscape-rollups", r);
    for (int s = 0; s < 60; s++)
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
    rd_kafka_flush(f->producer, 10000);
    /* a broker goes away for the second minute's records */
    rd_kafka_mock_broker_set_down(f->mc, 1);
    for (int s = 60; s < 180; s++)
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
    sleep_ms(500);
    rd_kafka_mock_broker_set_up(f->mc, 1);
    rd_kafka_flush(f->producer, 20000);
    wait_records(c, NULL, VMS * 180);
    /* the third minute closes when the data passes it: one more sample per VM a minute on */
    for (int i = 0; i < VMS; i++)
        produce_sample(f, i, 240);
    rd_kafka_flush(f->producer, 10000);
    wait_records(c, NULL, VMS * 181);
    wait_durable(r, 1747140780000000LL + 180000000LL);
    sleep_ms(300); /* the consumer stores the released offsets on its next poll */
    ls_tel_consumer_stop(c);
    struct ls_rollup_stats rs;
    ls_rollup_stats(r, &rs);
    check_rollups(st, 3, 60);
    assert_int_equal(rs.late, 0);
    assert_int_equal(rs.added, VMS * 181);

    /* the same group again: the offsets of the written minutes were committed; only the
     * records of the minute still open (not written yet) are read again */
    c = start_rollups(f, "landscape-rollups", r);
    wait_records(c, NULL, VMS);
    sleep_ms(2000);
    assert_int_equal(records(c), VMS);
    ls_tel_consumer_stop(c);

    /* a crash before the offsets were stored looks like this: everything read again by a
     * fresh process (new live state, new open minutes) — the written minutes do not change */
    atomic_store(&fl.stop, 1);
    pthread_join(fl.th, NULL);
    ls_telemetry_set_rollup(f->t, NULL);
    ls_rollup_free(r);
    ls_telemetry_free(f->t);
    f->t = ls_telemetry_new();
    r = ls_rollup_new(0);
    ls_telemetry_set_rollup(f->t, r);
    fl = (struct flusher){.r = r, .st = st};
    assert_int_equal(pthread_create(&fl.th, NULL, flush_loop, &fl), 0);
    c = start_rollups(f, "landscape-rollups-replay", r);
    wait_records(c, NULL, VMS * 181);
    wait_durable(r, 1747140780000000LL + 180000000LL);
    ls_tel_consumer_stop(c);
    atomic_store(&fl.stop, 1);
    pthread_join(fl.th, NULL);
    check_rollups(st, 3, 60);
    ls_telemetry_set_rollup(f->t, NULL);
    ls_rollup_free(r);
    ls_store_close(st);
}

/* The partitions of one consumer deliver at different times (here: partition 0's leader is
 * down when the consumer starts, the other three deliver all three minutes at once). The
 * minutes must stay open until partition 0 has delivered: closing them by the newest sample
 * seen (the fastest partition) made partition 0's samples late, and its VMs lost two of their
 * three minutes — what CI saw under load, where the partitions' first fetches spread out. */
static void test_rollups_wait_for_a_partition_that_has_not_delivered_yet(void **state)
{
    struct fx *f = *state;
    /* partition 0 on broker 1, the rest and the group's coordinator elsewhere */
    for (int p = 0; p < PARTITIONS; p++)
        assert_int_equal(rd_kafka_mock_partition_set_leader(f->mc, TOPIC, p, p == 0 ? 1 : 2), 0);
    assert_int_equal(rd_kafka_mock_coordinator_set(f->mc, "group", "landscape-slow-partition", 3),
                     0);
    for (int s = 0; s < 180; s++)
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
    for (int i = 0; i < VMS; i++) /* and one a minute on, so the data passes the third minute */
        produce_sample(f, i, 240);
    rd_kafka_flush(f->producer, 10000);
    rd_kafka_mock_broker_set_down(f->mc, 1);
    struct ls_store *st = ls_harness_new_store();
    struct ls_rollup *r = ls_rollup_new(0);
    ls_telemetry_set_rollup(f->t, r);
    struct flusher fl = {.r = r, .st = st};
    assert_int_equal(pthread_create(&fl.th, NULL, flush_loop, &fl), 0);
    struct ls_tel_consumer *c = start_rollups(f, "landscape-slow-partition", r);
    /* partitions 1-3: their six VMs' records, all read while partition 0 cannot be */
    wait_records(c, NULL, (VMS - VMS / PARTITIONS) * 181);
    sleep_ms(1000); /* ten flushes with partition 0 silent */
    rd_kafka_mock_broker_set_up(f->mc, 1);
    wait_records(c, NULL, VMS * 181);
    wait_durable(r, 1747140780000000LL + 180000000LL);
    ls_tel_consumer_stop(c);
    atomic_store(&fl.stop, 1);
    pthread_join(fl.th, NULL);
    struct ls_rollup_stats rs;
    ls_rollup_stats(r, &rs);
    assert_int_equal(rs.late, 0);
    check_rollups(st, 3, 60);
    ls_telemetry_set_rollup(f->t, NULL);
    ls_rollup_free(r);
    ls_store_close(st);
}

/* A consumer stopped while librdkafka still holds prefetched records: closing forwards its
 * queue, records included, to the close queue, and serving that queue with the callback API
 * aborted the process (rd_kafka_q_serve: res != RD_KAFKA_OP_RES_PASS; seen as landscaped
 * --demo ending by SIGABRT at SIGTERM). Stopped at several points of a large backlog, it
 * closes cleanly each time and the records it did not apply are read again by the next one. */
static void test_stop_with_prefetched_records_closes_cleanly(void **state)
{
    struct fx *f = *state;
    for (int s = 0; s < 4000; s++)
        for (int i = 0; i < VMS; i++)
            produce_sample(f, i, s);
    rd_kafka_flush(f->producer, 30000);
    uint64_t seen = 0;
    for (int round = 0; round < 4; round++) {
        struct ls_tel_consumer *c = start(f, "c-stop");
        wait_records(c, NULL, 1);
        sleep_ms(20 * round);
        seen = records(c);
        ls_tel_consumer_stop(c);
    }
    assert_true(seen >= 1);
    /* the last one reads to the end: nothing was lost by the stops */
    struct ls_tel_consumer *c = start(f, "c-stop");
    for (int w = 0, i = 0; w < 1200 && i < VMS; w++) {
        while (i < VMS && last_of(f, i, "last") == i * 1000 + 3999)
            i++;
        sleep_ms(50);
    }
    ls_tel_consumer_stop(c);
    for (int i = 0; i < VMS; i++)
        assert_true(last_of(f, i, "last") == i * 1000 + 3999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_samples_land_on_their_nodes_and_poison_is_skipped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_poison_records_are_counted_skipped_and_not_read_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_outage_loses_nothing_and_replay_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_consumers_of_one_group_split_the_partitions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_poison_is_copied_to_the_dead_letter_topic, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_rollups_across_a_broker_outage_lose_nothing_and_count_nothing_twice, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_rollups_wait_for_a_partition_that_has_not_delivered_yet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_prefetched_records_closes_cleanly, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration/telemetry/consumer", tests,
                                       ls_harness_group_setup, ls_harness_group_teardown);
}
