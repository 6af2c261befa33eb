/* Drills with Kafka (librdkafka's mock cluster in this process, real protocol on loopback)
 * feeding landscaped's telemetry consumer, rollups on (per-minute rows in Postgres; offsets
 * are stored only once a record's minutes are written):
 *  - landscaped killed with SIGKILL while it consumes, restarted on the same data dir: every
 *    record produced ends up counted once in its minute's rollup (nothing lost, nothing twice);
 *  - every broker down: landscaped stops within 10 s of SIGTERM (the bound), and after
 *    a restart with the brokers back every record is counted once (nothing lost, nothing twice);
 *  - one partition's leader down for 35 s while producers keep sending (they retry into it):
 *    the other partitions' newer data does not close the minutes it is still to bring — every
 *    minute counts all its 60 samples, none late (issue 12 item 7);
 *  - the same when the partition had been caught up and silent for over 30 s when its leader
 *    went away (then only the leader's state, from librdkafka's statistics, says it may still
 *    bring older samples). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "tests/integration/drills/drill.h"

#define TOPIC      "metrics"
#define PARTITIONS 4
#define BROKERS    3
#define HOSTS      8
#define MINUTES    8 /* of data per host: 60 samples a minute */

static char data_dir[64];
static struct ls_service the_svc;
static rd_kafka_t *mock_rk, *producer;
static rd_kafka_mock_cluster_t *mc;
static long long m0; /* the first minute of data (unix seconds, an hour ago) */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cluster_new(void)
{
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e));
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    assert_non_null(mock_rk);
    mc = rd_kafka_mock_cluster_new(mock_rk, BROKERS);
    assert_non_null(mc);
    rd_kafka_mock_topic_create(mc, TOPIC, PARTITIONS, BROKERS);
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), e,
                      sizeof(e));
    rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e));
    /* a partition's records in the order produced */
    assert_int_equal(rd_kafka_conf_set(conf, "enable.idempotence", "true", e, sizeof(e)),
                     RD_KAFKA_CONF_OK);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    assert_non_null(producer);
    m0 = (long long)time(NULL) / 60 * 60 - 3600;
}

static void cluster_free(void)
{
    if (producer)
        rd_kafka_destroy(producer);
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (mock_rk)
        rd_kafka_destroy(mock_rk);
    producer = mock_rk = NULL;
    mc = NULL;
}

/* Host h's sample at data second s (a Telegraf influx line; host h is node web-h). */
static void produce(int h, long long s)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "mem,host=web-%d used=%lldi %lld000000000", h, s, m0 + s);
    rd_kafka_resp_err_t e =
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(h % PARTITIONS),
                          RD_KAFKA_V_VALUE(line, (size_t)n),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 10);
        e = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(TOPIC),
                              RD_KAFKA_V_PARTITION(h % PARTITIONS),
                              RD_KAFKA_V_VALUE(line, (size_t)n),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    }
    assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* Data seconds [from, to) of every host, delivered to the cluster (acknowledged by it). */
static void produce_range(long long from, long long to, int pause_ms)
{
    for (long long s = from; s < to; s++) {
        for (int h = 0; h < HOSTS; h++)
            produce(h, s);
        rd_kafka_poll(producer, 0);
        if (pause_ms)
            sleep_ms(pause_ms);
    }
    assert_int_equal(rd_kafka_flush(producer, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* The consumer's options: librdkafka's and landscaped's defaults (as an operator runs it),
 * rollups written every second with no grace. */
static const char *const *service_args(void)
{
    static char brokers[256];
    snprintf(brokers, sizeof(brokers), "%s", rd_kafka_mock_cluster_bootstraps(mc));
    static const char *args[] = {"--kafka",
                                 brokers,
                                 "--telemetry-topic",
                                 TOPIC,
                                 "--kafka-group",
                                 "drill",
                                 "--telemetry-flush-interval",
                                 "1",
                                 "--telemetry-rollup-grace",
                                 "0",
                                 NULL};
    return args;
}

static void start_service(bool after_kill)
{
    assert_int_equal(drill_start(&the_svc, data_dir, service_args()), 0);
    if (after_kill)
        assert_true(
            ls_service_logged(&the_svc, "stopping the embedded postgres left running", NULL, 0));
}

static void create_hosts(void)
{
    for (int h = 0; h < HOSTS; h++) {
        char body[160];
        snprintf(body, sizeof(body),
                 "{\"id\":\"host:machine:web-%d\",\"type\":\"machine\",\"name\":\"web-%d\"}", h, h);
        struct ls_http_result r;
        assert_int_equal(ls_http(&the_svc, "POST", "/v1/nodes", body, NULL, &r), 0);
        assert_int_equal(r.status, 201);
        ls_http_result_cleanup(&r);
    }
}

/* landscape_kafka_records_total from /metrics (-1 when not there). */
static long long records_read(void)
{
    struct ls_http_result r;
    if (ls_http(&the_svc, "GET", "/metrics", NULL, NULL, &r) != 0) {
        ls_http_result_cleanup(&r);
        return -1;
    }
    const char *p = strstr(r.body, "\nlandscape_kafka_records_total ");
    long long n = p ? strtoll(p + 31, NULL, 10) : -1;
    ls_http_result_cleanup(&r);
    return n;
}

static void wait_records(long long n)
{
    long long got = -1;
    for (int i = 0; i < 1200 && (got = records_read()) < n; i++)
        sleep_ms(100);
    if (got < n)
        fail_msg("landscaped read %lld records within 2 minutes, expected %lld", got, n);
}

/* Rollup rows of the drill's minutes: waits (up to 2 minutes, or 30 s when not `complete`) until
 * every host has every minute written; fails when a row counts more than its 60 samples (counted
 * twice), and, when `complete`, unless every row counts exactly its 60 (nothing lost). */
static void assert_rollups(bool complete)
{
    PGconn *c = drill_pg(data_dir);
    char where[256], q[512];
    snprintf(where, sizeof(where),
             "FROM telemetry_rollup WHERE node_id LIKE 'host:machine:web-%%' AND minute >= "
             "to_timestamp(%lld) AND minute < to_timestamp(%lld)",
             m0, m0 + MINUTES * 60);
    snprintf(q, sizeof(q), "SELECT count(*) %s", where);
    long long rows = 0;
    for (int i = 0; i < (complete ? 1200 : 300) && (rows = drill_scalar(c, q)) < HOSTS * MINUTES;
         i++)
        sleep_ms(100);
    snprintf(q, sizeof(q), "SELECT count(*) %s AND count < 60", where);
    long long short_rows = drill_scalar(c, q);
    snprintf(q, sizeof(q), "SELECT count(*) %s AND count > 60", where);
    long long over = drill_scalar(c, q);
    snprintf(q, sizeof(q), "SELECT coalesce(sum(count), 0) %s", where);
    long long samples = drill_scalar(c, q);
    PQfinish(c);
    printf("# rollups: %lld of %d minute rows, %lld samples counted of %d produced; rows "
           "counting fewer than 60: %lld, more: %lld\n",
           rows, HOSTS * MINUTES, samples, HOSTS * MINUTES * 60, short_rows, over);
    assert_int_equal(over, 0);
    assert_true(samples <= HOSTS * MINUTES * 60);
    if (complete) {
        assert_int_equal(rows, HOSTS * MINUTES);
        assert_int_equal(short_rows, 0);
        assert_int_equal(samples, HOSTS * MINUTES * 60);
    }
}

/* The last minute closes when the data's clock passes it: one later sample per host. */
static void close_last_minute(void)
{
    produce_range(MINUTES * 60 + 120, MINUTES * 60 + 121, 0);
}

struct producing {
    pthread_t t;
    long long from, to;
    int pause_ms;
};

static void *produce_thread(void *arg)
{
    struct producing *p = arg;
    produce_range(p->from, p->to, p->pause_ms);
    return NULL;
}

/* landscape_rollup_samples_total{result="late"} from /metrics (-1 when not there). */
static long long late_samples(void)
{
    struct ls_http_result r;
    if (ls_http(&the_svc, "GET", "/metrics", NULL, NULL, &r) != 0) {
        ls_http_result_cleanup(&r);
        return -1;
    }
    static const char key[] = "\nlandscape_rollup_samples_total{result=\"late\"} ";
    const char *p = strstr(r.body, key);
    long long n = p ? strtoll(p + sizeof(key) - 1, NULL, 10) : -1;
    ls_http_result_cleanup(&r);
    return n;
}

/* Issue 12 item 7, found by this drill's first version: partition 0 caught up, then its leader
 * went away for 35 s while the producer kept sending (retrying into it) and the other
 * partitions delivered; silent for 30 s, it counted as caught up, their newer data closed the
 * minutes it still had to bring, and those samples were dropped as late (3360 of 3840). */
static void test_one_leader_down_35_s_loses_no_minute(void **state)
{
    (void)state;
    cluster_new();
    /* the group's coordinator on broker 1, partition 0's leader on broker 3, the rest on 2 */
    rd_kafka_mock_coordinator_set(mc, "group", "drill", 1);
    for (int q = 0; q < PARTITIONS; q++)
        assert_int_equal(rd_kafka_mock_partition_set_leader(mc, TOPIC, q, q == 0 ? 3 : 2),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    drill_mkdir(data_dir);
    start_service(false);
    create_hosts();
    struct producing p = {.from = 0, .to = MINUTES * 60, .pause_ms = 20};
    assert_int_equal(pthread_create(&p.t, NULL, produce_thread, &p), 0);
    sleep_ms(2000);
    assert_int_equal(rd_kafka_mock_broker_set_down(mc, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
    sleep_ms(35000);
    assert_int_equal(rd_kafka_mock_broker_set_up(mc, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
    pthread_join(p.t, NULL);
    close_last_minute();
    assert_rollups(true);
    assert_int_equal(late_samples(), 0);
    assert_int_equal(ls_service_stop(&the_svc), 0);
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
    cluster_free();
}

/* Partition 0 caught up and silent past the consumer's idle window (30 s) when its leader goes
 * down; the producer goes on sending to every partition, partition 0's records wait in the
 * producer until the leader is back. */
static void test_a_silent_partition_whose_leader_goes_down_holds_its_minutes(void **state)
{
    (void)state;
    cluster_new();
    rd_kafka_mock_coordinator_set(mc, "group", "drill", 1);
    for (int q = 0; q < PARTITIONS; q++)
        assert_int_equal(rd_kafka_mock_partition_set_leader(mc, TOPIC, q, q == 0 ? 3 : 2),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    drill_mkdir(data_dir);
    start_service(false);
    create_hosts();
    produce_range(0, 60, 0);
    wait_records(HOSTS * 60);
    sleep_ms(31000); /* every partition at its end and silent for the idle window */
    assert_int_equal(rd_kafka_mock_broker_set_down(mc, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
    sleep_ms(3000); /* a statistics report says so */
    struct producing p = {.from = 60, .to = MINUTES * 60, .pause_ms = 20};
    assert_int_equal(pthread_create(&p.t, NULL, produce_thread, &p), 0);
    sleep_ms(12000);
    assert_int_equal(rd_kafka_mock_broker_set_up(mc, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
    pthread_join(p.t, NULL);
    close_last_minute();
    assert_rollups(true);
    assert_int_equal(late_samples(), 0);
    assert_int_equal(ls_service_stop(&the_svc), 0);
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
    cluster_free();
}

static void test_kill9_during_kafka_ingest(void **state)
{
    (void)state;
    cluster_new();
    drill_mkdir(data_dir);
    start_service(false);
    create_hosts();
    /* the data arrives over about 10 s while landscaped is killed in the middle */
    struct producing p = {.from = 0, .to = MINUTES * 60, .pause_ms = 20};
    assert_int_equal(pthread_create(&p.t, NULL, produce_thread, &p), 0);
    wait_records(HOSTS * MINUTES * 60 / 3);
    /* some minutes durable by now, others open in memory */
    drill_kill9(&the_svc);
    start_service(true);
    pthread_join(p.t, NULL);
    close_last_minute();
    assert_rollups(true);
    assert_int_equal(ls_service_stop(&the_svc), 0);
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
    cluster_free();
}

static void test_all_brokers_down_stop_within_10_s(void **state)
{
    (void)state;
    cluster_new();
    drill_mkdir(data_dir);
    start_service(false);
    create_hosts();
    produce_range(0, MINUTES * 60 / 2, 0);
    wait_records(HOSTS * MINUTES * 60 / 2);
    sleep_ms(2000); /* offsets of written minutes committed (auto commit every second) */
    for (int b = 1; b <= BROKERS; b++)
        assert_int_equal(rd_kafka_mock_broker_set_down(mc, b), RD_KAFKA_RESP_ERR_NO_ERROR);
    sleep_ms(2000); /* the consumer finds them gone */
    double t0 = now_s();
    assert_int_equal(kill(the_svc.pid, SIGTERM), 0);
    int st = 0;
    double took = -1;
    for (int i = 0; i < 1200; i++) { /* waits up to 2 minutes to print what it took */
        if (waitpid(the_svc.pid, &st, WNOHANG) == the_svc.pid) {
            took = now_s() - t0;
            the_svc.pid = 0;
            break;
        }
        sleep_ms(100);
    }
    printf("# landscaped stopped %.1f s after SIGTERM with every broker down (bound: 10 s)\n",
           took);
    assert_true(took >= 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(took < 10.0);
    /* back up: every record counted once — nothing it read twice, nothing lost */
    for (int b = 1; b <= BROKERS; b++)
        assert_int_equal(rd_kafka_mock_broker_set_up(mc, b), RD_KAFKA_RESP_ERR_NO_ERROR);
    start_service(false);
    produce_range(MINUTES * 60 / 2, MINUTES * 60, 0);
    close_last_minute();
    assert_rollups(true);
    assert_int_equal(late_samples(), 0);
    assert_int_equal(ls_service_stop(&the_svc), 0);
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
    cluster_free();
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int case_teardown(void **state)
{
    (void)state;
    if (the_svc.pid > 0) {
        kill(the_svc.pid, SIGKILL);
        waitpid(the_svc.pid, NULL, 0);
        the_svc.pid = 0;
    }
    drill_rmdir(data_dir);
    data_dir[0] = '\0';
    cluster_free();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_all_brokers_down_stop_within_10_s, case_teardown),
        cmocka_unit_test_teardown(test_kill9_during_kafka_ingest, case_teardown),
        cmocka_unit_test_teardown(test_one_leader_down_35_s_loses_no_minute, case_teardown),
        cmocka_unit_test_teardown(test_a_silent_partition_whose_leader_goes_down_holds_its_minutes,
                                  case_teardown),
    };
    return cmocka_run_group_tests_name("drills/kafka", tests, group_setup, group_teardown);
}
