/* Mock Kafka + generator + consumer for the demo. */
#include "importers/telemetry/demo_stream.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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
    /* the generator's instances and devices and the injected fault, behind lock */
    pthread_mutex_t lock;
    struct ls_tel_gen_target *tg;
    size_t n;
    struct ls_tel_gen_device *dev;
    size_t n_dev;
    struct ls_fault fault;
    bool has_fault;
    json_t *fault_json; /* what ls_tel_demo_fault answered */
};

/* The history the demo starts with, so that its detectors have learned what normal looks
 * like (analytics/anomaly.h warms up over 100 samples per series) and colours show soon after
 * the start: the live stream's own ticks over the BACKFILL_S seconds before it (each series
 * gets a sample every 7 x instances / rate seconds: 4 s for the demo's 300 instances), produced
 * as fast as the consumer takes them: at most BACKFILL_AHEAD records ahead of it, since the mock
 * cluster keeps a bounded log and drops what nobody read yet. */
#define BACKFILL_S     480
#define BACKFILL_AHEAD 20000

/* Each device reports every DEVICE_PERIOD_S seconds (as a poller or a host agent would), the
 * devices spread over the seconds. */
#define DEVICE_PERIOD_S 4

/* Produces one record keyed by `key`; waits while the producer's queue is full. */
static void produce(struct ls_tel_demo *d, const char *key, const struct ls_buf *b)
{
    while (!atomic_load(&d->stop)) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(d->producer, RD_KAFKA_V_TOPIC(DEMO_TOPIC),
                              RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(b->data, b->len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        rd_kafka_poll(d->producer, e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? 10 : 0);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return;
    }
}

/* One second of the stream at time now: rate records spread over the instances and formats,
 * and the devices whose turn it is. */
static void tick(struct ls_tel_demo *d, int64_t now, uint64_t *seq, struct ls_buf *b)
{
    size_t n = d->n;
    const struct ls_fault *f = NULL;
    pthread_mutex_lock(&d->lock); /* the targets' roles and the fault */
    if (d->has_fault)
        f = &d->fault;
    for (int i = 0; i < d->rate && !atomic_load(&d->stop); i++, (*seq)++) {
        struct ls_tel_gen_target *t = &d->tg[*seq % n];
        ls_buf_reset(b);
        if (ls_tel_gen_render_fault(LS_TEL_AUTO, t, now + i, *seq / n, f, b) != LS_OK ||
            b->len == 0)
            continue;
        produce(d, t->instance, b);
    }
    int64_t second = now / 1000000;
    for (size_t k = 0; k < d->n_dev && !atomic_load(&d->stop); k++) {
        if ((uint64_t)(second + (int64_t)k) % DEVICE_PERIOD_S != 0)
            continue;
        ls_buf_reset(b);
        if (ls_tel_gen_render_device(&d->dev[k], now, (uint64_t)second * 31 + k, f, b) != LS_OK ||
            b->len == 0)
            continue;
        produce(d, d->dev[k].node, b);
    }
    pthread_mutex_unlock(&d->lock);
}

static void *generate(void *arg)
{
    struct ls_tel_demo *d = arg;
    struct ls_buf b;
    ls_buf_init(&b, 0);
    uint64_t seq = 0;
    uint64_t produced = 0;
    /* One tick per second of the stream's own clock, from BACKFILL_S before the start and on,
     * with no gap: while it is behind the wall clock (the history, or a start slower than the
     * history is long) ticks go out as fast as the consumer takes them; caught up, one a
     * second. (Live ticks once began at the wall clock after the history, however long that
     * took: on a slow machine every series had a gap there, and the detectors flagged it.) */
    int64_t t = ls_time_now_us() - BACKFILL_S * 1000000LL;
    while (!atomic_load(&d->stop) && d->n > 0) {
        int64_t now = ls_time_now_us();
        if (t > now) {
            int64_t wait_us = t - now < 100000 ? t - now : 100000;
            struct timespec ts = {0, (long)wait_us * 1000L};
            nanosleep(&ts, NULL);
            continue;
        }
        tick(d, t, &seq, &b);
        produced += (uint64_t)d->rate;
        t += 1000000LL;
        while (t <= now && !atomic_load(&d->stop)) { /* behind: within BACKFILL_AHEAD */
            struct ls_tel_consumer_stats st;
            ls_tel_consumer_stats(d->consumer, &st);
            if (st.records + BACKFILL_AHEAD >= produced)
                break;
            rd_kafka_poll(d->producer, 20);
        }
    }
    ls_buf_cleanup(&b);
    return NULL;
}

/* ---- fault injection ------------------------------------------------------------------ */

struct reach {
    struct ls_tel_demo *d;
    uint8_t *roles;     /* per target, or NULL to count only */
    uint8_t *dev_roles; /* per device, or NULL */
    size_t touched;
    json_t *nodes; /* or NULL */
};

static bool on_touched(const char *id, enum ls_fault_role role, void *arg)
{
    struct reach *r = arg;
    if (r->nodes && json_array_size(r->nodes) < 200)
        json_array_append_new(r->nodes, json_pack("{s:s,s:s}", "id", id, "role",
                                                  role == LS_FAULT_CAUSE ? "cause" : "symptom"));
    for (size_t k = 0; r->dev_roles && k < r->d->n_dev; k++)
        if (strcmp(r->d->dev[k].of, id) == 0)
            r->dev_roles[k] = (uint8_t)role;
    if (strncmp(id, "nova:instance:", 14) != 0)
        return true;
    for (size_t i = 0; i < r->d->n; i++)
        if (strcmp(r->d->tg[i].instance, id + 14) == 0) {
            r->touched++;
            if (r->roles)
                r->roles[i] = (uint8_t)role;
            break;
        }
    return true;
}

/* The first node of the kind's root type whose fault reaches an instance of the stream. */
static int pick_root(struct ls_tel_demo *d, const struct ls_snap *s, struct ls_fault *f)
{
    struct ls_node_filter flt = {.type = ls_fault_root_type(f->kind), .layer = -1};
    const struct ls_node *page[256];
    char last[256] = "";
    bool more = true;
    while (more) {
        size_t n;
        if (ls_snap_list_nodes(s, &flt, last[0] ? last : NULL, 256, page, &n, &more, NULL) !=
                LS_OK ||
            n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            struct reach r = {.d = d};
            snprintf(f->root, sizeof f->root, "%s", page[i]->id);
            if (ls_fault_roles(s, f, on_touched, &r, NULL) == LS_OK && r.touched > 0)
                return LS_OK;
        }
        snprintf(last, sizeof last, "%s", page[n - 1]->id);
    }
    f->root[0] = '\0';
    return LS_ENOTFOUND;
}

int ls_tel_demo_fault(struct ls_tel_demo *d,
                      const struct ls_fault *in,
                      json_t **out,
                      struct ls_err *err)
{
    struct ls_fault f = *in;
    uint8_t *roles = ls_xcalloc(d->n ? d->n : 1, 1);
    uint8_t *dev_roles = ls_xcalloc(d->n_dev ? d->n_dev : 1, 1);
    struct reach r = {.d = d, .roles = roles, .dev_roles = dev_roles, .nodes = json_array()};
    struct ls_snap *s = ls_graph_snap(d->g);
    int rc = LS_OK;
    if (f.root[0] == '\0' && pick_root(d, s, &f) != LS_OK)
        rc = ls_err_set(err, LS_ENOTFOUND, "fault_root_not_found",
                        "no %s in the demo reaches an instance of its telemetry stream",
                        ls_fault_root_type(f.kind));
    if (rc == LS_OK)
        rc = ls_fault_roles(s, &f, on_touched, &r, err);
    ls_snap_release(s);
    if (rc == LS_OK && r.touched == 0)
        rc = ls_err_set(err, LS_EINVAL, "fault_reaches_nothing",
                        "node %s: a %s there reaches no instance of the demo's telemetry stream",
                        f.root, ls_fault_kind_name(f.kind));
    if (rc != LS_OK) {
        json_decref(r.nodes);
        free(roles);
        free(dev_roles);
        return rc;
    }
    json_t *o = ls_fault_json(&f);
    json_object_set_new(o, "touched", json_integer((json_int_t)r.touched));
    json_object_set_new(o, "nodes", r.nodes);
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->n; i++)
        d->tg[i].role = roles[i];
    for (size_t k = 0; k < d->n_dev; k++)
        d->dev[k].role = dev_roles[k];
    d->fault = f;
    d->has_fault = true;
    json_decref(d->fault_json);
    d->fault_json = json_incref(o);
    pthread_mutex_unlock(&d->lock);
    free(roles);
    free(dev_roles);
    ls_log(LS_LOG_INFO, "telemetry", "demo fault injected", "kind=%s root=%s touched=%zu",
           ls_fault_kind_name(f.kind), f.root, r.touched);
    *out = o;
    return LS_OK;
}

bool ls_tel_demo_fault_clear(struct ls_tel_demo *d)
{
    pthread_mutex_lock(&d->lock);
    bool had = d->has_fault;
    d->has_fault = false;
    for (size_t i = 0; i < d->n; i++)
        d->tg[i].role = LS_FAULT_NONE;
    for (size_t k = 0; k < d->n_dev; k++)
        d->dev[k].role = LS_FAULT_NONE;
    json_decref(d->fault_json);
    d->fault_json = NULL;
    pthread_mutex_unlock(&d->lock);
    return had;
}

json_t *ls_tel_demo_fault_get(struct ls_tel_demo *d)
{
    pthread_mutex_lock(&d->lock);
    json_t *o = d->fault_json ? json_deep_copy(d->fault_json) : json_null();
    int64_t end = d->fault.end_us;
    pthread_mutex_unlock(&d->lock);
    if (json_is_object(o))
        json_object_set_new(o, "active", json_boolean(end == 0 || ls_time_now_us() < end));
    return o;
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
    pthread_mutex_init(&d->lock, NULL);
    d->n = ls_tel_gen_targets(g, &d->tg);
    d->n_dev = ls_tel_gen_devices(g, &d->dev);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof(e));
    d->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    d->mc = d->mock_rk ? rd_kafka_mock_cluster_new(d->mock_rk, 1) : NULL;
    if (d->mc == NULL) {
        if (d->mock_rk)
            rd_kafka_destroy(d->mock_rk);
        free(d->tg);
        free(d->dev);
        pthread_mutex_destroy(&d->lock);
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
        free(d->tg);
        free(d->dev);
        pthread_mutex_destroy(&d->lock);
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
    free(d->tg);
    free(d->dev);
    json_decref(d->fault_json);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

struct ls_tel_consumer *ls_tel_demo_consumer(struct ls_tel_demo *d)
{
    return d ? d->consumer : NULL;
}
