/* Kafka consumer thread: poll, decode, apply, then store the offset. */
#include "importers/telemetry/consumer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "common/time.h"
#include "importers/telemetry/decode.h"
#include "importers/telemetry/resolve.h"
#include "importers/telemetry/rollup_clock.h"
#include "model/rollup.h"

#define MAX_PINS               16
#define MAX_SAMPLES_PER_RECORD 100000

struct pin {
    char topic[128];
    enum ls_tel_format format;
};

struct ls_tel_consumer {
    rd_kafka_t *rk;
    rd_kafka_t *dlq; /* producer for the dead-letter topic, or NULL */
    char dlq_topic[128];
    pthread_t thread;
    _Atomic int stop;
    struct ls_graph *g;
    struct ls_alias *a;
    struct ls_telemetry *t;
    struct ls_tel_pending *pending;
    ls_tel_inventory_fn on_inventory; /* the fast path (may be NULL) */
    void *inventory_arg;
    ls_tel_spans_fn on_spans; /* trace spans (may be NULL) */
    void *spans_arg;
    struct pin pins[MAX_PINS];
    int n_pins;
    struct ls_rollup *rollup; /* offsets wait for the rollups (NULL: stored after apply) */
    struct part_q *held;      /* per partition: offsets waiting for their minutes */
    int64_t watermark;        /* the rollups' durable boundary, as of the last poll */
    int n_held, cap_held;
    bool assigned;             /* an assignment (maybe empty) is in force */
    long long max_hold_ns;     /* a partition holds the rollup clock this long without progress */
    long long suspect_ns;      /* a broker connection failed then: every leader is in doubt
                                  until the next statistics report (or SUSPECT_NS) */
    struct ls_part_clock *clk; /* scratch for advance_clock, cap_held entries */
    bool *let_go;
    pthread_mutex_t lock; /* stats */
    struct ls_tel_consumer_stats st;
    struct ls_log_limit bad_log;
    struct ls_log_limit err_log;
};

/* Offsets held until the rollups of their records are durable: per partition a short queue of
 * (minute end needed, highest offset), merged at the tail (never stored early). */
#define HELD_Q 64
struct part_q {
    char topic[128];
    int32_t partition;
    int64_t max_t;         /* the newest sample time read from this partition */
    long long progress_ns; /* monotonic time of its last record, end reached, or assignment */
    long long record_ns;   /* monotonic time of its last record */
    bool at_eof;           /* reached its end, nothing read since (enable.partition.eof) */
    bool leader_ok;        /* its leader is connected, as of the last statistics report */
    bool let_go;           /* holding without progress for max_hold: released (logged once) */
    struct {
        int64_t need;
        int64_t offset;
    } q[HELD_Q];
    int head, n;
};

static struct part_q *held_q(struct ls_tel_consumer *c, const char *topic, int32_t partition)
{
    for (int i = 0; i < c->n_held; i++)
        if (c->held[i].partition == partition && !strcmp(c->held[i].topic, topic))
            return &c->held[i];
    if (c->n_held == c->cap_held) {
        c->cap_held = c->cap_held ? c->cap_held * 2 : 8;
        struct part_q *g = realloc(c->held, (size_t)c->cap_held * sizeof(*g));
        struct ls_part_clock *k = realloc(c->clk, (size_t)c->cap_held * sizeof(*k));
        bool *l = realloc(c->let_go, (size_t)c->cap_held * sizeof(*l));
        if (g)
            c->held = g;
        if (k)
            c->clk = k;
        if (l)
            c->let_go = l;
        if (!g || !k || !l)
            ls_oom((size_t)c->cap_held * sizeof(*g));
    }
    struct part_q *p = &c->held[c->n_held++];
    memset(p, 0, sizeof(*p));
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->partition = partition;
    p->leader_ok = true; /* until a statistics report says otherwise */
    p->progress_ns = ls_time_mono_ns();
    return p;
}

static void store_offset(struct ls_tel_consumer *c, const char *topic, int32_t part, int64_t off)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, part)->offset = off + 1;
    rd_kafka_offsets_store(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* A record is done: its offset may be stored once every minute in `need` is durable. */
static void hold(struct ls_tel_consumer *c,
                 const char *topic,
                 int32_t part,
                 int64_t off,
                 int64_t need,
                 int64_t newest)
{
    struct part_q *p = held_q(c, topic, part);
    if (newest > p->max_t)
        p->max_t = newest;
    p->progress_ns = p->record_ns = ls_time_mono_ns();
    p->at_eof = false;
    if (p->n == 0 && need <= c->watermark) {
        store_offset(c, topic, part, off);
        return;
    }
    int tail = (p->head + p->n - 1) % HELD_Q;
    if (p->n > 0 && (need <= p->q[tail].need || p->n == HELD_Q)) {
        if (need > p->q[tail].need)
            p->q[tail].need = need;
        p->q[tail].offset = off;
        return;
    }
    int at = (p->head + p->n) % HELD_Q;
    p->q[at].need = need;
    p->q[at].offset = off;
    p->n++;
}

#define IDLE_NS    30000000000LL /* a partition with a record within this is receiving */
#define SUSPECT_NS 3000000000LL  /* doubt after a failed connection, without a report */

/* The data's clock for the rollups (rollup_clock.h has the rule: partitions that may still
 * bring older data hold it at their newest sample, bounded by --telemetry-rollup-max-hold).
 * Never the newest sample seen while a partition holds: the partitions of one consumer start
 * and resume delivering at different times (a broker down and producers retrying into it, a
 * slow first fetch under load), and the fastest one's time would close the minutes the others
 * still bring. */
static void advance_clock(struct ls_tel_consumer *c)
{
    long long now = ls_time_mono_ns();
    bool suspect = c->suspect_ns && now - c->suspect_ns < SUSPECT_NS;
    for (int i = 0; i < c->n_held; i++) {
        const struct part_q *p = &c->held[i];
        c->clk[i] = (struct ls_part_clock){.max_t = p->max_t,
                                           .progress_ns = p->progress_ns,
                                           .record_ns = p->record_ns,
                                           .at_eof = p->at_eof,
                                           .leader_ok = p->leader_ok && !suspect};
    }
    int64_t clock = ls_tel_rollup_clock(c->clk, (size_t)c->n_held, c->assigned, now, IDLE_NS,
                                        c->max_hold_ns, c->let_go);
    for (int i = 0; i < c->n_held; i++) {
        struct part_q *p = &c->held[i];
        if (c->let_go[i] && !p->let_go)
            ls_log(LS_LOG_WARN, "telemetry",
                   "partition made no progress for --telemetry-rollup-max-hold: rollup minutes "
                   "close without it; its samples for closed minutes count as late",
                   "topic=%s partition=%d leader_up=%s at_end=%s seconds=%lld", p->topic,
                   (int)p->partition, p->leader_ok ? "true" : "false", p->at_eof ? "true" : "false",
                   (now - p->progress_ns) / 1000000000LL);
        p->let_go = c->let_go[i];
    }
    ls_rollup_set_clock(c->rollup, clock);
}

/* librdkafka's statistics (every statistics.interval.ms, on the consumer thread): which
 * partitions have a connected leader. Parsed with jansson; a report we cannot read changes
 * nothing. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    struct ls_tel_consumer *c = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *brokers = json_object_get(root, "brokers"), *topics = json_object_get(root, "topics");
    if (!json_is_object(brokers) || !json_is_object(topics)) {
        json_decref(root);
        return 0;
    }
    for (int i = 0; i < c->n_held; i++) {
        struct part_q *p = &c->held[i];
        char key[16];
        snprintf(key, sizeof(key), "%d", (int)p->partition);
        json_t *part =
            json_object_get(json_object_get(json_object_get(topics, p->topic), "partitions"), key);
        json_t *leader = json_object_get(part, "leader");
        if (!json_is_integer(leader))
            continue; /* not in this report: as it was */
        bool up = false;
        const char *name;
        json_t *b;
        json_object_foreach(brokers, name, b)
        {
            if (json_integer_value(json_object_get(b, "nodeid")) == json_integer_value(leader) &&
                json_integer_value(leader) >= 0) {
                const char *st = json_string_value(json_object_get(b, "state"));
                up = st && strcmp(st, "UP") == 0;
                break;
            }
        }
        if (up != p->leader_ok)
            ls_log(up ? LS_LOG_INFO : LS_LOG_WARN, "telemetry",
                   up ? "partition leader reachable again"
                      : "partition leader unreachable: the rollup minutes it may still bring stay "
                        "open (--telemetry-rollup-max-hold)",
                   "topic=%s partition=%d leader=%lld", p->topic, (int)p->partition,
                   (long long)json_integer_value(leader));
        if (up && !p->leader_ok)
            p->at_eof = false; /* what producers retried into it is still to be read: caught
                                  up again only when it reaches its end again */
        p->leader_ok = up;
    }
    c->suspect_ns = 0;
    json_decref(root);
    return 0; /* librdkafka frees json */
}

/* Errors that are not a partition's (on the consumer thread): a lost broker puts every
 * partition's leader in doubt until the next statistics report says which one it was. */
static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    (void)rk;
    struct ls_tel_consumer *c = opaque;
    if (e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
        e == RD_KAFKA_RESP_ERR__RESOLVE)
        c->suspect_ns = ls_time_mono_ns();
    if (ls_log_allow(&c->err_log, 5.0)) {
        ls_log(LS_LOG_WARN, "telemetry", "consumer error",
               "err=\"%s\" reason=\"%s\" suppressed=%lu", rd_kafka_err2str((rd_kafka_resp_err_t)e),
               reason, c->err_log.suppressed);
        c->err_log.suppressed = 0;
    }
}

/* The partition of an end-of-partition event reached its end. */
static void reached_end(struct ls_tel_consumer *c, const rd_kafka_message_t *m)
{
    if (!c->rollup || m->rkt == NULL)
        return;
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (int i = 0; i < c->n_held; i++)
        if (c->held[i].partition == m->partition && !strcmp(c->held[i].topic, topic)) {
            c->held[i].at_eof = true;
            c->held[i].progress_ns = ls_time_mono_ns();
            return;
        }
}

/* Stores the offsets whose minutes are now durable. */
static void release_held(struct ls_tel_consumer *c)
{
    if (!c->rollup)
        return;
    advance_clock(c);
    int64_t w = c->watermark = ls_rollup_watermark(c->rollup);
    for (int i = 0; i < c->n_held; i++) {
        struct part_q *p = &c->held[i];
        int64_t last = -1;
        while (p->n > 0 && p->q[p->head].need <= w) {
            last = p->q[p->head].offset;
            p->head = (p->head + 1) % HELD_Q;
            p->n--;
        }
        if (last >= 0)
            store_offset(c, p->topic, p->partition, last);
    }
}

static void count_bad(struct ls_tel_consumer *c, const char *reason)
{
    int i;
    for (i = 0; i < c->st.n_reasons; i++)
        if (strcmp(c->st.reasons[i], reason) == 0)
            break;
    int cap = (int)(sizeof(c->st.reasons) / sizeof(c->st.reasons[0]));
    if (i == c->st.n_reasons && i < cap) {
        /* reasons are static strings from the decoders (err.code) */
        c->st.reasons[i] = reason;
        c->st.n_reasons++;
    }
    if (i < cap)
        c->st.bad_by_reason[i]++;
    c->st.bad++;
}

static enum ls_tel_format pinned(const struct ls_tel_consumer *c, const char *topic)
{
    for (int i = 0; i < c->n_pins; i++)
        if (strcmp(c->pins[i].topic, topic) == 0)
            return c->pins[i].format;
    return LS_TEL_AUTO;
}

static void handle(struct ls_tel_consumer *c, rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    struct ls_tel_batch b;
    struct ls_err err;
    ls_tel_batch_init(&b, MAX_SAMPLES_PER_RECORD);
    b.received_us = ls_time_now_us(); /* what "now" means in the record (collectd's N) */
    int rc = ls_tel_decode(m->payload ? m->payload : "", m->len, pinned(c, topic), &b, NULL, &err);
    struct ls_tel_result r = {0};
    if (rc == LS_OK)
        ls_tel_apply(c->g, c->a, c->t, c->pending, &b, &r);
    if (rc == LS_OK && b.n_spans && c->on_spans)
        c->on_spans(b.spans, b.n_spans, c->spans_arg);
    pthread_mutex_lock(&c->lock);
    c->st.records++;
    if (rc == LS_OK) {
        c->st.samples += b.n;
        c->st.applied += r.applied;
        c->st.duplicate += r.duplicate;
        c->st.baseline += r.baseline;
        c->st.unmatched += r.unmatched;
    } else if (rc == LS_ENOTFOUND) {
        c->st.inventory++;
        struct ls_tel_inv_event ev;
        if (c->on_inventory &&
            ls_tel_inventory_parse(m->payload ? m->payload : "", m->len, &ev, &err) == LS_OK) {
            pthread_mutex_unlock(&c->lock); /* the callback may take its own locks */
            c->on_inventory(&ev, c->inventory_arg);
            pthread_mutex_lock(&c->lock);
        }
    } else {
        count_bad(c, err.code);
        if (c->dlq) {
            /* the record as it came, with why and where it came from in headers */
            char part[16], off[24];
            snprintf(part, sizeof(part), "%d", (int)m->partition);
            snprintf(off, sizeof(off), "%lld", (long long)m->offset);
            rd_kafka_headers_t *h = rd_kafka_headers_new(4);
            rd_kafka_header_add(h, "landscape-reason", -1, err.code, -1);
            rd_kafka_header_add(h, "landscape-source-topic", -1, topic, -1);
            rd_kafka_header_add(h, "landscape-source-partition", -1, part, -1);
            rd_kafka_header_add(h, "landscape-source-offset", -1, off, -1);
            if (rd_kafka_producev(c->dlq, RD_KAFKA_V_TOPIC(c->dlq_topic),
                                  RD_KAFKA_V_VALUE(m->payload, m->len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                                  RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR)
                c->st.dead_lettered++;
            else
                rd_kafka_headers_destroy(h);
            rd_kafka_poll(c->dlq, 0);
        }
        if (ls_log_allow(&c->bad_log, 5.0)) {
            ls_log(LS_LOG_WARN, "telemetry", "malformed message skipped",
                   "topic=%s partition=%d offset=%lld reason=%s err=\"%s\" suppressed=%lu", topic,
                   (int)m->partition, (long long)m->offset, err.code, err.msg,
                   c->bad_log.suppressed);
            c->bad_log.suppressed = 0;
        }
    }
    pthread_mutex_unlock(&c->lock);
    /* applied (or skipped for good): only now may the offset be committed — and with rollups,
     * only once the minutes its samples went to are written */
    if (c->rollup) {
        int64_t need = 0, newest = 0;
        for (size_t i = 0; rc == LS_OK && i < b.n; i++) {
            int64_t end = ls_minute_end(b.v[i].time_us);
            if (end > need)
                need = end;
            if (b.v[i].time_us > newest)
                newest = b.v[i].time_us;
        }
        hold(c, topic, m->partition, m->offset, need, newest);
    } else {
        store_offset(c, topic, m->partition, m->offset);
    }
    ls_tel_batch_cleanup(&b);
}

static void *run(void *arg)
{
    struct ls_tel_consumer *c = arg;
    while (!atomic_load(&c->stop)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 100);
        release_held(c);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
            handle(c, m);
        else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            reached_end(c, m);
        else
            ls_log(LS_LOG_WARN, "telemetry", "consumer error", "err=\"%s\"",
                   rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

/* Bounds on what waits for brokers: a commit on revocation, and closing the consumer at stop
 * (leaving the group). With every broker down neither can finish: a synchronous commit waits
 * for a coordinator as long as there is none, and a commit librdkafka defers for want of one
 * (its own, of the stored offsets, when the partitions are unassigned) holds the handle's
 * destruction until the group session times out — hence our session.timeout.ms of 6 s instead
 * of librdkafka's 45 (ls_tel_consumer_start). A stop with every broker down thus takes at most
 * about that. Offsets not committed are those of records read again after the restart, which
 * changes nothing (the live state ignores duplicates, a minute is written once). */
#define COMMIT_BOUND_MS 1000
#define CLOSE_BOUND_MS  2000
#define DLQ_FLUSH_MS    2000

/* Commits the stored offsets, waiting at most bound_ms for the coordinator's answer (an
 * asynchronous commit whose result comes to a queue of our own; a synchronous commit waits
 * for a coordinator as long as there is none). An empty store is fine. */
static void commit_bounded(struct ls_tel_consumer *c, int bound_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(c->rk, NULL, q, NULL, NULL);
    bool answered = e != RD_KAFKA_RESP_ERR_NO_ERROR;
    long long deadline = ls_time_mono_ns() + bound_ms * 1000000LL;
    while (!answered && ls_time_mono_ns() < deadline) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
            e = rd_kafka_event_error(ev);
            answered = true;
        }
        rd_kafka_event_destroy(ev);
    }
    if (!answered)
        ls_log(LS_LOG_WARN, "telemetry",
               "offsets not committed: no broker answered (records after the last commit are "
               "read again, which changes nothing)",
               "waited_ms=%d", bound_ms);
    else if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        ls_log(LS_LOG_WARN, "telemetry", "offset commit failed", "err=\"%s\"", rd_kafka_err2str(e));
    rd_kafka_queue_destroy(q);
}

static void on_rebalance(rd_kafka_t *rk,
                         rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque);

/* One event of the close queue. Closing forwards the consumer's queue to it, so besides the
 * revocation it carries the records librdkafka had prefetched: those are dropped unapplied
 * (their offsets were not stored; the next owner reads them). The queue is served as events,
 * not through callbacks: a record reaching the callback API aborts the process
 * (rd_kafka_q_serve asserts it was not passed back). */
static void serve_close_event(struct ls_tel_consumer *c, rd_kafka_event_t *ev)
{
    if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
        on_rebalance(c->rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), c);
    rd_kafka_event_destroy(ev);
}

/* Closes the consumer (commit what is stored, leave the group) within CLOSE_BOUND_MS, serving
 * its rebalance callback meanwhile; then destroys the handle without a second, unbounded
 * close when the first could not finish. */
static void close_bounded(struct ls_tel_consumer *c)
{
    long long t0 = ls_time_mono_ns(), deadline = t0 + CLOSE_BOUND_MS * 1000000LL;
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_error_t *error = rd_kafka_consumer_close_queue(c->rk, q);
    if (error) {
        ls_log(LS_LOG_WARN, "telemetry", "consumer close failed", "err=\"%s\"",
               rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else {
        while (!rd_kafka_consumer_closed(c->rk) && ls_time_mono_ns() < deadline)
            serve_close_event(c, rd_kafka_queue_poll(q, 100));
    }
    bool closed = rd_kafka_consumer_closed(c->rk);
    rd_kafka_queue_destroy(q);
    if (closed) {
        rd_kafka_destroy(c->rk);
        ls_log(LS_LOG_INFO, "telemetry", "consumer closed", "seconds=%.3f",
               (double)(ls_time_mono_ns() - t0) / 1e9);
    } else {
        ls_log(LS_LOG_WARN, "telemetry",
               "consumer not closed in time (brokers unreachable): leaving without a goodbye; "
               "the group reassigns its partitions after session.timeout.ms",
               "waited_ms=%d", CLOSE_BOUND_MS);
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
}

/* Rebalances: on revocation the offsets stored so far are committed before the partitions go
 * to another member (nothing applied is handed over uncommitted); counts what is assigned. */
static void on_rebalance(rd_kafka_t *rk,
                         rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    struct ls_tel_consumer *c = opaque;
    pthread_mutex_lock(&c->lock);
    c->st.rebalances++;
    pthread_mutex_unlock(&c->lock);
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        c->assigned = true;
        /* every assigned partition holds the rollup clock until it reaches its end */
        for (int i = 0; c->rollup && i < parts->cnt; i++) {
            struct part_q *p = held_q(c, parts->elems[i].topic, parts->elems[i].partition);
            p->progress_ns = ls_time_mono_ns();
            p->at_eof = false;
        }
        pthread_mutex_lock(&c->lock);
        c->st.assigned = parts->cnt;
        pthread_mutex_unlock(&c->lock);
        ls_log(LS_LOG_INFO, "telemetry", "partitions assigned", "count=%d", parts->cnt);
    } else {
        /* Held offsets are not stored: their records were applied here but their minutes
         * are not durable yet, so the next owner reads them again (duplicates are ignored by
         * the live state; a minute is written once). */
        c->n_held = 0;
        c->assigned = false;
        commit_bounded(c, COMMIT_BOUND_MS);
        rd_kafka_assign(rk, NULL);
        pthread_mutex_lock(&c->lock);
        c->st.assigned = 0;
        pthread_mutex_unlock(&c->lock);
        ls_log(LS_LOG_INFO, "telemetry", "partitions revoked", "count=%d", parts->cnt);
    }
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, struct ls_err *err)
{
    char e[256];
    if (rd_kafka_conf_set(conf, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK)
        return ls_err_set(err, LS_EINVAL, "invalid_kafka_property", "kafka property %s: %s", k, e);
    return LS_OK;
}

int ls_tel_consumer_start(struct ls_tel_consumer **out,
                          const struct ls_tel_consumer_opts *o,
                          struct ls_graph *g,
                          struct ls_alias *a,
                          struct ls_telemetry *t,
                          struct ls_err *err)
{
    struct ls_tel_consumer *c = ls_xcalloc(1, sizeof(*c));
    c->g = g;
    c->a = a;
    c->t = t;
    c->pending = o->pending;
    c->on_inventory = o->on_inventory;
    c->inventory_arg = o->inventory_arg;
    c->on_spans = o->on_spans;
    c->spans_arg = o->spans_arg;
    c->rollup = o->rollup;
    c->max_hold_ns = (o->rollup_max_hold_s > 0 ? o->rollup_max_hold_s : 600) * 1000000000LL;
    pthread_mutex_init(&c->lock, NULL);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = set(conf, "bootstrap.servers", o->brokers, err);
    rc = rc ? rc : set(conf, "group.id", o->group ? o->group : "landscape", err);
    rc = rc ? rc : set(conf, "client.id", o->client_id ? o->client_id : "landscape", err);
    /* at-least-once: offsets are stored by us after applying, committed in the background */
    rc = rc ? rc : set(conf, "enable.auto.offset.store", "false", err);
    rc = rc ? rc : set(conf, "enable.auto.commit", "true", err);
    rc = rc ? rc : set(conf, "auto.commit.interval.ms", "1000", err);
    rc = rc ? rc : set(conf, "auto.offset.reset", "earliest", err);
    /* A member that stops without leaving (killed; or stopping while no broker answers: see
     * CLOSE_BOUND_MS) is out of the group after this; librdkafka's 45 s made a stop with every
     * broker down take 45 s, and a restarted member wait that long for its partitions. 6 s is
     * the brokers' default group.min.session.timeout.ms; heartbeats go every 2 s from
     * librdkafka's own thread (--kafka-property overrides both). */
    rc = rc ? rc : set(conf, "session.timeout.ms", "6000", err);
    rc = rc ? rc : set(conf, "heartbeat.interval.ms", "2000", err);
    /* low lag by default: answer a fetch as soon as data is there (the broker's wait bound) */
    rc = rc ? rc : set(conf, "fetch.wait.max.ms", "10", err);
    /* the rollup clock: which partitions are caught up (end-of-partition events) and which
     * have a connected leader (statistics, every second) — rollup_clock.h */
    rc = rc ? rc : set(conf, "enable.partition.eof", "true", err);
    rc = rc ? rc : set(conf, "statistics.interval.ms", "1000", err);
    for (int i = 0; rc == LS_OK && i < o->n_props; i++) {
        char kv[512];
        snprintf(kv, sizeof(kv), "%s", o->props[i]);
        char *eq = strchr(kv, '=');
        if (eq == NULL) {
            rc = ls_err_set(err, LS_EINVAL, "invalid_kafka_property",
                            "kafka property '%.64s': expected key=value", o->props[i]);
            break;
        }
        *eq = '\0';
        rc = set(conf, kv, eq + 1, err);
    }
    for (int i = 0; rc == LS_OK && i < o->n_formats && i < MAX_PINS; i++) {
        const char *eq = strchr(o->formats[i], '=');
        if (eq == NULL || !ls_tel_format_parse(eq + 1, &c->pins[i].format)) {
            rc = ls_err_set(err, LS_EINVAL, "invalid_format_pin",
                            "format pin '%.64s': expected topic=format", o->formats[i]);
            break;
        }
        snprintf(c->pins[i].topic, sizeof(c->pins[i].topic), "%.*s", (int)(eq - o->formats[i]),
                 o->formats[i]);
        c->n_pins++;
    }
    char e[512];
    if (rc == LS_OK) {
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        rd_kafka_conf_set_stats_cb(conf, on_stats);
        rd_kafka_conf_set_error_cb(conf, on_error);
        rd_kafka_conf_set_opaque(conf, c);
        c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
        if (c->rk == NULL)
            rc = ls_err_set(err, LS_EINVAL, "kafka_error", "kafka: %s", e);
        conf = NULL; /* owned by rk now (or freed by rd_kafka_new on failure) */
    }
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rc == LS_OK) {
        rd_kafka_poll_set_consumer(c->rk);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(o->n_topics);
        for (int i = 0; i < o->n_topics; i++)
            rd_kafka_topic_partition_list_add(l, o->topics[i], RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t ke = rd_kafka_subscribe(c->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (ke)
            rc = ls_err_set(err, LS_EINVAL, "kafka_error", "subscribe: %s", rd_kafka_err2str(ke));
    }
    if (rc == LS_OK && o->dead_letter && *o->dead_letter) {
        rd_kafka_conf_t *pc = rd_kafka_conf_new();
        rc = set(pc, "bootstrap.servers", o->brokers, err);
        for (int i = 0; rc == LS_OK && i < o->n_props; i++) {
            char kv[512];
            snprintf(kv, sizeof(kv), "%s", o->props[i]);
            char *eq = strchr(kv, '=');
            *eq = '\0'; /* checked above */
            /* consumer-only properties do not apply to the producer: ignore their errors */
            char e2[256];
            rd_kafka_conf_set(pc, kv, eq + 1, e2, sizeof(e2));
        }
        if (rc == LS_OK) {
            c->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, pc, e, sizeof(e));
            if (c->dlq == NULL)
                rc = ls_err_set(err, LS_EINVAL, "kafka_error", "dead-letter producer: %s", e);
            snprintf(c->dlq_topic, sizeof(c->dlq_topic), "%s", o->dead_letter);
        } else {
            rd_kafka_conf_destroy(pc);
        }
    }
    if (rc == LS_OK && c->rollup) /* its partitions decide when minutes close, from now on */
        ls_rollup_set_clock(c->rollup, LS_ROLLUP_CLOCK_HOLD);
    if (rc == LS_OK && pthread_create(&c->thread, NULL, run, c) != 0)
        rc = ls_err_set(err, LS_ERR, NULL, "cannot start the consumer thread");
    if (rc != LS_OK) {
        if (c->dlq)
            rd_kafka_destroy(c->dlq);
        if (c->rk)
            rd_kafka_destroy(c->rk);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return rc;
    }
    ls_log(LS_LOG_INFO, "telemetry", "consumer started", "brokers=%s group=%s topics=%d",
           o->brokers, o->group ? o->group : "landscape", o->n_topics);
    *out = c;
    return LS_OK;
}

void ls_tel_consumer_stop(struct ls_tel_consumer *c)
{
    if (c == NULL)
        return;
    atomic_store(&c->stop, 1);
    pthread_join(c->thread, NULL);
    release_held(c);  /* what is durable by now */
    close_bounded(c); /* commits stored offsets and leaves the group, bounded */
    if (c->dlq) {
        if (rd_kafka_flush(c->dlq, DLQ_FLUSH_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
            ls_log(LS_LOG_WARN, "telemetry", "dead-letter records not delivered at stop",
                   "count=%d", rd_kafka_outq_len(c->dlq));
        rd_kafka_destroy(c->dlq);
    }
    pthread_mutex_destroy(&c->lock);
    free(c->held);
    free(c->clk);
    free(c->let_go);
    free(c);
}

void ls_tel_consumer_stats(struct ls_tel_consumer *c, struct ls_tel_consumer_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->st;
    pthread_mutex_unlock(&c->lock);
}
