/* Telemetry decode + apply throughput per format on one core, next to the bare ceiling in the
 * same run (librdkafka consume + jansson parse, no apply), over librdkafka's mock cluster.
 * Also memory per node-metric of live state. Usage: bench_telemetry [records per format] */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "analytics/watch.h"
#include "common/time.h"
#include "importers/demo/demo.h"
#include "importers/telemetry/decode.h"
#include "importers/telemetry/generator.h"
#include "importers/telemetry/resolve.h"
#include "model/rollup.h"

static rd_kafka_t *consumer(const char *brokers, const char *group, const char *topic)
{
    char e[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof(e));
    rd_kafka_conf_set(c, "group.id", group, e, sizeof(e));
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", e, sizeof(e));
    rd_kafka_conf_set(c, "enable.auto.offset.store", "false", e, sizeof(e));
    rd_kafka_conf_set(c, "fetch.wait.max.ms", "10", e, sizeof(e)); /* as the consumer sets it */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return rk;
}

/* CPU time of the calling thread (ns): what the work costs, whatever else runs beside it. */
static long long thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Consumes n records; mode 0 = parse only (the ceiling), 1 = decode + resolve + apply.
 * Returns records per second of CPU-busy wall time (from the first record on); *work_ns gets
 * the consuming thread's CPU time spent in the parse / decode + apply itself. */
static double run(const char *brokers,
                  const char *topic,
                  int n,
                  int mode,
                  struct ls_graph *g,
                  struct ls_alias *a,
                  struct ls_telemetry *t,
                  size_t *samples,
                  int *consumed,
                  long long *work_ns)
{
    *work_ns = 0;
    char group[64];
    static int k;
    snprintf(group, sizeof(group), "bench-%d", k++);
    rd_kafka_t *rk = consumer(brokers, group, topic);
    int got = 0, idle = 0;
    long long t0 = 0, t_last = 0;
    struct ls_tel_batch b;
    ls_tel_batch_init(&b, 100000);
    *samples = 0;
    /* until n records, or 3 idle seconds after the first (the mock cluster keeps a bounded log) */
    while (got < n && idle < 3) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (m == NULL) {
            idle += got > 0;
            continue;
        }
        if (m->err == 0) {
            if (got == 0)
                t0 = ls_time_mono_ns();
            long long c0 = thread_cpu_ns();
            if (mode == 0) {
                /* the ceiling: parse the record as a JSON document (text formats: a scan) */
                const char *pl = m->payload;
                if (m->len && (pl[0] == '{' || pl[0] == '[')) {
                    json_t *j = json_loadb(m->payload, m->len, 0, NULL);
                    *samples += j != NULL;
                    json_decref(j);
                } else {
                    *samples += memchr(pl, '\n', m->len) != NULL;
                }
            } else {
                b.n = 0;
                struct ls_err err;
                if (ls_tel_decode(m->payload, m->len, LS_TEL_AUTO, &b, NULL, &err) == LS_OK) {
                    struct ls_tel_result r = {0};
                    ls_tel_apply(g, a, t, NULL, &b, &r);
                    *samples += b.n;
                }
            }
            *work_ns += thread_cpu_ns() - c0;
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, topic, m->partition)->offset = m->offset + 1;
            rd_kafka_offsets_store(rk, l);
            rd_kafka_topic_partition_list_destroy(l);
            got++;
            t_last = ls_time_mono_ns();
        }
        rd_kafka_message_destroy(m);
    }
    double secs = (double)(t_last - t0) / 1e9;
    *consumed = got;
    ls_tel_batch_cleanup(&b);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got / secs;
}

struct lag_producer {
    rd_kafka_t *rk;
    const struct ls_tel_gen_target *tg;
    size_t nt;
    int rate, seconds;
};

/* Produces rate records/s for `seconds`, each a Telegraf line carrying its production time. */
static void *produce_paced(void *arg)
{
    struct lag_producer *p = arg;
    long long start = ls_time_mono_ns();
    long total = (long)p->rate * p->seconds, sent = 0;
    char line[256];
    while (sent < total) {
        long due = (long)((double)(ls_time_mono_ns() - start) / 1e9 * p->rate);
        for (; sent < due && sent < total; sent++) {
            int64_t now = ls_time_now_us();
            int n = snprintf(line, sizeof(line), "probe,domain_name=%s t=%lldi %lld000",
                             p->tg[sent % (long)p->nt].domain, (long long)now, (long long)now);
            while (rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC("lag"),
                                     RD_KAFKA_V_VALUE(line, (size_t)n),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(p->rk, 1);
        }
        rd_kafka_poll(p->rk, 1);
    }
    rd_kafka_flush(p->rk, 10000);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct ls_graph *g = ls_graph_new();
    struct ls_demo_opts o;
    ls_demo_opts_init(&o);
    struct ls_change_set **sets;
    size_t ns;
    if (ls_demo_build(&sets, &ns, &o, NULL) != LS_OK)
        return 1;
    struct ls_prepared *p;
    if (ls_graph_prepare(g, sets[0], 1, &p, NULL) != LS_OK)
        return 1;
    ls_graph_publish(g, p, 1);
    ls_change_set_free(sets[0]);
    free(sets);
    struct ls_alias *a = ls_alias_new(g);
    struct ls_tel_gen_target *tg;
    size_t nt = ls_tel_gen_targets(g, &tg);

    char e[256];
    rd_kafka_conf_t *mc_conf = rd_kafka_conf_new();
    rd_kafka_conf_set(mc_conf, "log_level", "3", e, sizeof(e));
    rd_kafka_t *mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, mc_conf, e, sizeof(e));
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mock_rk, 1);
    const char *brokers = rd_kafka_mock_cluster_bootstraps(mc);
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    rd_kafka_conf_set(pc, "bootstrap.servers", brokers, e, sizeof(e));
    rd_kafka_conf_set(pc, "linger.ms", "5", e, sizeof(e));
    rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, e, sizeof(e));
    printf("%d records per format, %zu instances of the demo landscape, one consumer thread\n", n,
           nt);
    printf("%-12s %14s %14s %14s %8s %16s %9s %9s %9s %8s\n", "format", "ceiling rec/s",
           "landscape rec/s", "samples/s", "ratio", "+analytics rec/s", "on/off", "cpu us/rec",
           "+an us/rec", "cpu on/off");
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (int f = LS_TEL_OSLO; f < LS_TEL_FORMAT_COUNT; f++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "t-%s", ls_tel_format_name((enum ls_tel_format)f));
        rd_kafka_mock_topic_create(mc, topic, 1, 1);
        int64_t t0 = 1747140780000000LL;
        for (int i = 0; i < n; i++) {
            ls_buf_reset(&b);
            if (ls_tel_gen_render((enum ls_tel_format)f, &tg[i % nt],
                                  t0 + (i / (int)nt) * 1000000LL, (uint64_t)i, &b) != LS_OK)
                return 1;
            while (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(b.data, b.len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(prod, 10);
        }
        rd_kafka_flush(prod, 60000);
        struct ls_telemetry *t = ls_telemetry_new();
        /* as landscaped runs it: every value also goes to its open rollup minute */
        struct ls_rollup *ru = ls_rollup_new(60 * 1000000LL);
        ls_telemetry_set_rollup(t, ru);
        size_t s_ceiling, s_ours;
        int c1, c2;
        long long w_ceiling, w_ours, w_an;
        double ceiling = run(brokers, topic, n, 0, g, a, t, &s_ceiling, &c1, &w_ceiling);
        double ours = run(brokers, topic, n, 1, g, a, t, &s_ours, &c2, &w_ours);
        /* the same with analytics on, as landscaped runs it: a fresh state whose every value
         * is also scored by its series' detector (analytics/watch) */
        struct ls_telemetry *ta = ls_telemetry_new();
        struct ls_rollup *rua = ls_rollup_new(60 * 1000000LL);
        ls_telemetry_set_rollup(ta, rua);
        struct ls_anomaly_params ap;
        struct ls_colour_params cp;
        ls_anomaly_params_default(&ap);
        ls_colour_params_default(&cp);
        struct ls_watch *w = ls_watch_new(&ap, &cp, 0);
        ls_telemetry_set_observer(ta, ls_watch_observe, w);
        size_t s_an;
        int c3;
        double an = run(brokers, topic, n, 1, g, a, ta, &s_an, &c3, &w_an);
        (void)w_ceiling;
        printf("%-12s %14.0f %14.0f %14.0f %8.2f %16.0f %9.2f %9.2f %9.2f %8.2f  (%d records "
               "read)\n",
               ls_tel_format_name((enum ls_tel_format)f), ceiling, ours,
               ours * (double)s_ours / (c2 ? c2 : 1), ours / ceiling, an, an / ours,
               (double)w_ours / 1e3 / (c2 ? c2 : 1), (double)w_an / 1e3 / (c3 ? c3 : 1),
               w_ours ? (double)w_an / (double)w_ours : 0.0, c2);
        ls_telemetry_set_rollup(ta, NULL);
        ls_rollup_free(rua);
        ls_telemetry_free(ta);
        ls_watch_free(w);
        ls_telemetry_set_rollup(t, NULL);
        ls_rollup_free(ru);
        ls_telemetry_free(t);
    }
    /* end-to-end lag at a fixed rate: produce -> decoded, resolved and applied (at that
     * moment the sample is what GET /v1/nodes/{id}/telemetry answers) */
    int lag_rate = argc > 2 ? atoi(argv[2]) : 50000, lag_secs = 5;
    rd_kafka_mock_topic_create(mc, "lag", 1, 1);
    rd_kafka_t *lag_rk = consumer(brokers, "lag", "lag");
    /* wait for the assignment before producing, so the lag is not the group join */
    for (int i = 0; i < 100; i++) {
        rd_kafka_topic_partition_list_t *as = NULL;
        rd_kafka_assignment(lag_rk, &as);
        int n_as = as ? as->cnt : 0;
        if (as)
            rd_kafka_topic_partition_list_destroy(as);
        if (n_as > 0)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(lag_rk, 100);
        if (m)
            rd_kafka_message_destroy(m);
    }
    struct lag_producer lp = {prod, tg, nt, lag_rate, lag_secs};
    pthread_t th;
    pthread_create(&th, NULL, produce_paced, &lp);
    long total = (long)lag_rate * lag_secs, got = 0;
    int64_t *lags = malloc(sizeof(int64_t) * (size_t)total);
    struct ls_telemetry *lt = ls_telemetry_new();
    struct ls_tel_batch lb;
    ls_tel_batch_init(&lb, 100);
    int idle = 0;
    while (got < total && idle < 50) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(lag_rk, 100);
        if (m == NULL) {
            idle++;
            continue;
        }
        idle = 0;
        if (m->err == 0) {
            lb.n = 0;
            struct ls_err err;
            struct ls_tel_result r = {0};
            if (ls_tel_decode(m->payload, m->len, LS_TEL_AUTO, &lb, NULL, &err) == LS_OK) {
                ls_tel_apply(g, a, lt, NULL, &lb, &r);
                if (lb.n)
                    lags[got++] = ls_time_now_us() - (int64_t)lb.v[0].value;
            }
        }
        rd_kafka_message_destroy(m);
    }
    pthread_join(th, NULL);
    qsort(lags, (size_t)got, sizeof(*lags), cmp_i64);
    if (got)
        printf("end-to-end lag at %d records/s for %d s (produce -> applied, visible to the "
               "API): p50 %.2f ms, p99 %.2f ms over %ld records\n",
               lag_rate, lag_secs, lags[got / 2] / 1e3, lags[got * 99 / 100] / 1e3, got);
    free(lags);
    ls_tel_batch_cleanup(&lb);
    ls_telemetry_free(lt);
    rd_kafka_consumer_close(lag_rk);
    rd_kafka_destroy(lag_rk);

    /* memory of live state: 100k node-metric series */
    struct ls_telemetry *t = ls_telemetry_new();
    malloc_trim(0);
    struct mallinfo2 m0 = mallinfo2();
    char node[64], metric[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(node, sizeof(node), "nova:instance:%08d", i / 4);
        snprintf(metric, sizeof(metric), "metric.%d", i % 4);
        for (int k = 0; k < 20; k++)
            ls_telemetry_apply(t, node, metric, "", "%", 0, k, 1000000LL * (k + 1));
    }
    struct mallinfo2 m1 = mallinfo2();
    printf("live state: %.0f bytes per node-metric series (100,000 series, 16-value ring)\n",
           (double)(m1.uordblks - m0.uordblks) / 100000);
    ls_telemetry_free(t);
    ls_buf_cleanup(&b);
    free(tg);
    rd_kafka_destroy(prod);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
    ls_alias_free(a);
    ls_graph_free(g);
    return 0;
}
