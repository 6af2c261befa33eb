/* landscape-telemetry-gen: produces realistic telemetry for the instances of a running
 * landscape to a Kafka cluster, in every supported format or one, at a chosen rate.
 *
 *   curl -s 'http://127.0.0.1:8080/v1/graph?layer=virtual&limit=100000' |
 *     landscape-telemetry-gen --brokers HOST:PORT --topic metrics --rate 5000 --seconds 60
 *
 * The landscape is read as GET /v1/graph JSON (nodes and edges) from --graph FILE or stdin, or
 * fetched from a running landscaped with --server URL (and, when it runs with --auth, a
 * reader's --token T or LANDSCAPE_TOKEN; --cacert FILE or LANDSCAPE_CACERT for HTTPS):
 *
 *   landscape-telemetry-gen --server https://landscape:8080 --token "$T" --brokers HOST:PORT \
 *     --topic metrics */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/time.h"
#include "importers/openstack/client.h"
#include "importers/telemetry/decode.h"
#include "importers/telemetry/generator.h"

static volatile sig_atomic_t stop;

static void on_signal(int s)
{
    (void)s;
    stop = 1;
}

/* A model graph holding the JSON graph's instances, ports, hypervisors and their edges. */
static struct ls_graph *load(json_t *doc)
{
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("gen");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "nodes"), i, v)
    {
        const char *type = json_string_value(json_object_get(v, "type"));
        if (ls_change_put_node_new(cs, json_string_value(json_object_get(v, "id")), type, "", "",
                                   json_incref(json_object_get(v, "attrs")), NULL, NULL) != LS_OK)
            continue;
    }
    json_array_foreach(json_object_get(doc, "edges"), i, v)
    {
        enum ls_edge_type t;
        if (!ls_edge_type_parse(json_string_value(json_object_get(v, "type")), &t))
            continue;
        if (ls_change_put_edge_new(cs, json_string_value(json_object_get(v, "src")), t,
                                   json_string_value(json_object_get(v, "dst")), NULL,
                                   LS_ESRC_IMPORTED, 1.0, NULL) != LS_OK)
            continue;
    }
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_graph_prepare(g, cs, 1, &p, &err) == LS_OK)
        ls_graph_publish(g, p, 1);
    else
        fprintf(stderr, "landscape-telemetry-gen: graph: %s\n", err.msg);
    ls_change_set_free(cs);
    return g;
}

static int usage(void)
{
    fprintf(stderr, "usage: landscape-telemetry-gen --brokers HOST:PORT --topic NAME "
                    "[--rate RECORDS_PER_S] [--seconds N] [--format NAME|all]\n"
                    "       [--graph FILE | --server URL [--token T] [--cacert FILE]]\n"
                    "  LANDSCAPE_TOKEN and LANDSCAPE_CACERT stand for --token and --cacert\n");
    return 2;
}

/* GET <server>/v1/graph?layer=virtual with the token; the parsed answer or NULL (said why). */
static json_t *fetch_graph(const char *server, const char *token, const char *cacert)
{
    char url[2048];
    snprintf(url, sizeof(url), "%s/v1/graph?layer=virtual&limit=100000", server);
    struct ls_buf b;
    ls_buf_init(&b, 1u << 30);
    const struct ls_client_opts co = {.token = token, .cacert = cacert, .timeout_s = 300};
    long status = 0;
    struct ls_err err;
    ls_client_global_init();
    int rc = ls_client_request(&co, "GET", url, NULL, NULL, 0, &status, &b, &err);
    ls_client_global_cleanup();
    json_t *doc = NULL;
    if (rc != LS_OK)
        fprintf(stderr, "landscape-telemetry-gen: %s\n", err.msg);
    else if (status != 200)
        fprintf(stderr, "landscape-telemetry-gen: GET %s: HTTP %ld: %.300s\n", url, status,
                b.data ? b.data : "");
    else if ((doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL)) == NULL)
        fprintf(stderr, "landscape-telemetry-gen: GET %s: the answer is not JSON\n", url);
    ls_buf_cleanup(&b);
    return doc;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL, *graph = NULL, *server = NULL;
    const char *token = getenv("LANDSCAPE_TOKEN"), *cacert = getenv("LANDSCAPE_CACERT");
    long rate = 1000, seconds = 0;
    enum ls_tel_format format = LS_TEL_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(a, "--brokers") == 0)
            brokers = v;
        else if (strcmp(a, "--topic") == 0)
            topic = v;
        else if (strcmp(a, "--graph") == 0)
            graph = v;
        else if (strcmp(a, "--server") == 0)
            server = v;
        else if (strcmp(a, "--token") == 0)
            token = v;
        else if (strcmp(a, "--cacert") == 0)
            cacert = v;
        else if (strcmp(a, "--rate") == 0)
            rate = strtol(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0)
            seconds = strtol(v, NULL, 10);
        else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "all") != 0 && !ls_tel_format_parse(v, &format))
                return usage();
        } else
            return usage();
        i++;
    }
    if (!brokers || !topic || rate <= 0 || (graph && server))
        return usage();
    json_error_t je;
    json_t *doc = server  ? fetch_graph(server, token, cacert)
                  : graph ? json_load_file(graph, 0, &je)
                          : json_loadf(stdin, 0, &je);
    if (doc == NULL) {
        if (!server)
            fprintf(stderr, "landscape-telemetry-gen: graph JSON: %s\n", je.text);
        return 1;
    }
    struct ls_graph *g = load(doc);
    json_decref(doc);
    struct ls_tel_gen_target *tg;
    size_t n = ls_tel_gen_targets(g, &tg);
    if (n == 0) {
        fprintf(stderr, "landscape-telemetry-gen: no instances in the graph\n");
        return 1;
    }
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "landscape-telemetry-gen: %s\n", e);
        return 1;
    }
    rd_kafka_conf_set(conf, "linger.ms", "20", e, sizeof(e));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    uint64_t seq = 0, sent = 0;
    long long start = ls_time_mono_ns();
    fprintf(stderr, "landscape-telemetry-gen: %zu instances, %ld records/s to %s/%s\n", n, rate,
            brokers, topic);
    while (!stop && (seconds == 0 || ls_time_mono_ns() - start < seconds * 1000000000LL)) {
        /* pace: records due by now */
        uint64_t due = (uint64_t)((double)(ls_time_mono_ns() - start) / 1e9 * (double)rate);
        for (; sent < due && !stop; sent++, seq++) {
            struct ls_tel_gen_target *t = &tg[seq % n];
            ls_buf_reset(&b);
            if (ls_tel_gen_render(format, t, ls_time_now_us(), seq / n, &b) != LS_OK)
                continue;
            while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                     RD_KAFKA_V_KEY(t->instance, strlen(t->instance)),
                                     RD_KAFKA_V_VALUE(b.data, b.len),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 5);
    }
    rd_kafka_flush(rk, 10000);
    fprintf(stderr, "landscape-telemetry-gen: %llu records produced\n", (unsigned long long)sent);
    rd_kafka_destroy(rk);
    ls_buf_cleanup(&b);
    free(tg);
    ls_graph_free(g);
    return 0;
}
