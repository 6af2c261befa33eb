/* Mock Kafka + generator + consumer for the demo. */
#include "importers/telemetry/demo_stream.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/log.h"
#include "common/time.h"
#include "importers/telemetry/consumer.h"
#include "importers/telemetry/generator.h"

#define DEMO_TOPIC "metrics"

struct ls_tel_demo {
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_t *producer;
    struct ls_tel_consumer *consumer;
    struct ls_graph *g;
    pthread_t thread;
    _Atomic int stop;
    int rate;
};

static void *generate(void *arg)
{
    struct ls_tel_demo *d = arg;
    struct ls_tel_gen_target *tg = NULL;
    size_t n = ls_tel_gen_targets(d->g, &tg);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    uint64_t seq = 0;
    while (!atomic_load(&d->stop) && n > 0) {
        /* one tick a second: rate records spread over the instances and formats */
        int64_t now = ls_time_now_us();
        for (int i = 0; i < d->rate && !atomic_load(&d->stop); i++, seq++) {
            struct ls_tel_gen_target *t = &tg[seq % n];
            ls_buf_reset(&b);
            if (ls_tel_gen_render(LS_TEL_AUTO, t, now + i, seq / n, &b) != LS_OK)
                continue;
            rd_kafka_producev(d->producer, RD_KAFKA_V_TOPIC(DEMO_TOPIC),
                              RD_KAFKA_V_KEY(t->instance, strlen(t->instance)),
                              RD_KAFKA_V_VALUE(b.data, b.len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            rd_kafka_poll(d->producer, 0);
        }
        for (int k = 0; k < 10 && !atomic_load(&d->stop); k++) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    ls_buf_cleanup(&b);
    free(tg);
    return NULL;
}

int ls_tel_demo_start(struct ls_tel_demo **out,
                      struct ls_graph *g,
                      struct ls_alias *a,
                      struct ls_telemetry *t,
                      int rate,
                      struct ls_err *err)
{
    struct ls_tel_demo *d = ls_xcalloc(1, sizeof(*d));
    char e[256], brokers[256];
    d->g = g;
    d->rate = rate;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof(e));
    d->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    d->mc = d->mock_rk ? rd_kafka_mock_cluster_new(d->mock_rk, 1) : NULL;
    if (d->mc == NULL) {
        if (d->mock_rk)
            rd_kafka_destroy(d->mock_rk);
        free(d);
        return ls_err_set(err, LS_EUNAVAIL, "kafka_error", "cannot start the demo Kafka cluster");
    }
    rd_kafka_mock_topic_create(d->mc, DEMO_TOPIC, 4, 1);
    snprintf(brokers, sizeof(brokers), "%s", rd_kafka_mock_cluster_bootstraps(d->mc));
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, e, sizeof(e));
    rd_kafka_conf_set(conf, "linger.ms", "50", e, sizeof(e));
    d->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    const char *topics[] = {DEMO_TOPIC};
    struct ls_tel_consumer_opts o = {
        .brokers = brokers, .group = "landscape-demo", .topics = topics, .n_topics = 1};
    int rc = ls_tel_consumer_start(&d->consumer, &o, g, a, t, err);
    if (rc == LS_OK && pthread_create(&d->thread, NULL, generate, d) != 0)
        rc = ls_err_set(err, LS_ERR, NULL, "cannot start the demo generator");
    if (rc != LS_OK) {
        ls_tel_consumer_stop(d->consumer);
        rd_kafka_destroy(d->producer);
        rd_kafka_mock_cluster_destroy(d->mc);
        rd_kafka_destroy(d->mock_rk);
        free(d);
        return rc;
    }
    ls_log(LS_LOG_INFO, "telemetry", "demo telemetry stream started", "kafka=%s topic=%s rate=%d/s",
           brokers, DEMO_TOPIC, rate);
    *out = d;
    return LS_OK;
}

void ls_tel_demo_stop(struct ls_tel_demo *d)
{
    if (d == NULL)
        return;
    atomic_store(&d->stop, 1);
    pthread_join(d->thread, NULL);
    rd_kafka_flush(d->producer, 2000);
    ls_tel_consumer_stop(d->consumer);
    rd_kafka_destroy(d->producer);
    rd_kafka_mock_cluster_destroy(d->mc);
    rd_kafka_destroy(d->mock_rk);
    free(d);
}

struct ls_tel_consumer *ls_tel_demo_consumer(struct ls_tel_demo *d)
{
    return d ? d->consumer : NULL;
}
