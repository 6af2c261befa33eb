/* The options table and its four sources. */
#include "common/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum opt_type { OPT_STR, OPT_LONG, OPT_BOOL, OPT_LIST };

struct opt {
    const char *name; /* command line --name, file key, LANDSCAPE_NAME (dashes -> _) */
    enum opt_type type;
    size_t offset;
    const char *def; /* default as text */
    long min, max;   /* OPT_LONG bounds */
    bool secret;     /* redacted when printed */
    const char *help;
};

#define O(field) offsetof(struct ls_config, field)

static const struct opt opts[] = {
    {"listen", OPT_STR, O(listen), "127.0.0.1:8080", 0, 0, false,
     "HOST:PORT to serve on (port 0 picks a free port)"},
    {"data-dir", OPT_STR, O(data_dir), "./landscape-data", 0, 0, false,
     "directory for the embedded Postgres and local state"},
    {"db", OPT_STR, O(db), "", 0, 0, true,
     "Postgres DSN; empty runs a private Postgres in data-dir"},
    {"pg-fast-unsafe", OPT_BOOL, O(pg_fast_unsafe), "false", 0, 0, false,
     "run the private Postgres without fsync and full page writes: a power loss can lose "
     "acknowledged writes or the whole database; for tests and benchmarks only"},
    {"db-write-timeout", OPT_LONG, O(db_write_timeout), "30", 1, 3600, false,
     "seconds a write waits (reconnecting) for an unreachable Postgres before failing with 503"},
    {"db-connect-timeout", OPT_LONG, O(db_connect_timeout), "5", 0, 600, false,
     "seconds to connect to Postgres, unless the DSN sets connect_timeout (0 = no limit)"},
    {"db-statement-timeout", OPT_LONG, O(db_statement_timeout), "30", 0, 86400, false,
     "Postgres statement_timeout in seconds, unless the DSN's options set it (0 = none)"},
    {"db-keepalives-idle", OPT_LONG, O(db_keepalives_idle), "10", 0, 7200, false,
     "TCP keepalives to Postgres: idle seconds before the first probe, unless the DSN sets "
     "keepalives* (0 = the kernel's keepalive settings)"},
    {"db-keepalives-interval", OPT_LONG, O(db_keepalives_interval), "5", 0, 600, false,
     "seconds between TCP keepalive probes to Postgres"},
    {"db-keepalives-count", OPT_LONG, O(db_keepalives_count), "3", 0, 100, false,
     "TCP keepalive probes lost before the Postgres connection is dead"},
    {"db-tcp-user-timeout", OPT_LONG, O(db_tcp_user_timeout), "20", 0, 3600, false,
     "seconds sent data may stay unacknowledged before the Postgres connection is dead "
     "(libpq tcp_user_timeout), unless the DSN sets it (0 = the kernel's)"},
    {"demo", OPT_BOOL, O(demo), "false", 0, 0, false, "load the demo data center at start"},
    {"port-file", OPT_STR, O(port_file), "", 0, 0, false, "write the bound port to this file"},
    {"config", OPT_STR, O(config_file), "", 0, 0, false, "read `key = value` options from FILE"},
    {"log-level", OPT_STR, O(log_level), "info", 0, 0, false, "error, warn, info or debug"},
    {"log-json", OPT_BOOL, O(log_json), "false", 0, 0, false, "log JSON lines instead of logfmt"},
    {"threads", OPT_LONG, O(threads), "2", 1, 256, false, "HTTP worker threads"},
    {"auth", OPT_STR, O(auth), "none", 0, 0, false,
     "who may call the API: none (loopback only), tokens (--auth-token-file) or keystone"},
    {"allow-unauthenticated", OPT_BOOL, O(allow_unauthenticated), "false", 0, 0, false,
     "let --auth none serve on an address that is not loopback"},
    {"auth-token-file", OPT_STR, O(auth_token_file), "", 0, 0, false,
     "--auth tokens: file of `TOKEN ROLE [NAME]` or `sha256:HEX ROLE NAME` lines"},
    {"auth-cloud", OPT_STR, O(auth_cloud), "", 0, 0, false,
     "--auth keystone: clouds.yaml cloud whose credentials validate tokens (default: the first "
     "--os-cloud)"},
    {"auth-cache-size", OPT_LONG, O(auth_cache_size), "10000", 1, 10000000, false,
     "--auth keystone: validated tokens kept in memory"},
    {"auth-cache-seconds", OPT_LONG, O(auth_cache_seconds), "300", 0, 86400, false,
     "--auth keystone: longest a validation is trusted (a revoked token works until then)"},
    {"auth-timeout", OPT_LONG, O(auth_timeout), "10", 1, 300, false,
     "--auth keystone: seconds one token validation may take"},
    {"metrics-public", OPT_BOOL, O(metrics_public), "true", 0, 0, false,
     "serve /metrics without a token"},
    {"tls-cert", OPT_STR, O(tls_cert), "", 0, 0, false,
     "serve HTTPS with this PEM certificate (chain) file (with --tls-key)"},
    {"tls-key", OPT_STR, O(tls_key), "", 0, 0, false, "the PEM private key of --tls-cert"},
    {"max-body-bytes", OPT_LONG, O(max_body_bytes), "1048576", 1024, 1 << 30, false,
     "largest request body (413 above)"},
    {"max-json-depth", OPT_LONG, O(max_json_depth), "32", 2, 1000, false,
     "deepest JSON nesting accepted in a body"},
    {"max-string-bytes", OPT_LONG, O(max_string_bytes), "4096", 16, 1 << 20, false,
     "longest string accepted in a body (422 above)"},
    {"max-page-size", OPT_LONG, O(max_page_size), "1000", 1, 100000, false,
     "largest `limit` a list accepts (400 above)"},
    {"default-page-size", OPT_LONG, O(default_page_size), "100", 1, 100000, false,
     "list page size without `limit`"},
    {"max-subgraph-depth", OPT_LONG, O(max_subgraph_depth), "6", 1, 64, false,
     "deepest subgraph walk"},
    {"max-subgraph-nodes", OPT_LONG, O(max_subgraph_nodes), "10000", 1, 10000000, false,
     "most nodes one subgraph returns (truncated above)"},
    {"max-attrs", OPT_LONG, O(max_attrs), "256", 1, 100000, false, "most keys in one attrs object"},
    {"sse-max-clients", OPT_LONG, O(sse_max_clients), "64", 0, 100000, false,
     "concurrent /v1/events streams"},
    {"sse-queue-bytes", OPT_LONG, O(sse_queue_bytes), "4194304", 4096, 1 << 30, false,
     "events buffered per stream before a slow client is dropped"},
    {"history-limit", OPT_LONG, O(history_limit), "1000", 1, 1000000, false,
     "versions per /history and rows per diff category"},
    {"retention-days", OPT_LONG, O(retention_days), "0", 0, 36500, false,
     "prune versions that ended longer ago (0 keeps everything)"},
    {"os-cloud", OPT_LIST, O(os_cloud), "", 0, 0, false,
     "OpenStack cloud from clouds.yaml to import (repeatable; envvars = the OS_* variables)"},
    {"os-sync-interval", OPT_LONG, O(os_sync_interval), "60", 1, 86400, false,
     "seconds between incremental OpenStack passes"},
    {"os-reconcile-interval", OPT_LONG, O(os_reconcile_interval), "3600", 10, 604800, false,
     "seconds between full OpenStack reconciliation passes"},
    {"os-concurrency", OPT_LONG, O(os_concurrency), "4", 1, 64, false,
     "OpenStack API requests in flight at once, per cloud"},
    {"os-max-rps", OPT_LONG, O(os_max_rps), "0", 0, 100000, false,
     "most OpenStack API requests per second, per cloud (0 = no limit)"},
    {"os-page-size", OPT_LONG, O(os_page_size), "1000", 1, 100000, false,
     "`limit` asked of paginated OpenStack lists"},
    {"os-timeout", OPT_LONG, O(os_timeout), "60", 1, 3600, false,
     "seconds one OpenStack API request may take"},
    {"os-retries", OPT_LONG, O(os_retries), "3", 0, 100, false,
     "retries of an OpenStack request that failed with 5xx, 429 or a transport error"},
    {"kafka", OPT_STR, O(kafka), "", 0, 0, false, "Kafka bootstrap servers HOST:PORT[,...]"},
    {"telemetry-topic", OPT_LIST, O(telemetry_topic), "", 0, 0, false,
     "Kafka topic to consume telemetry from (repeatable)"},
    {"kafka-group", OPT_STR, O(kafka_group), "landscape", 0, 0, false, "Kafka consumer group"},
    {"kafka-property", OPT_LIST, O(kafka_property), "", 0, 0, true,
     "librdkafka property key=value, e.g. security.protocol=SASL_SSL (repeatable)"},
    {"telemetry-dead-letter", OPT_STR, O(telemetry_dead_letter), "", 0, 0, false,
     "copy records that cannot be decoded to this Kafka topic (with the reason in headers)"},
    {"telemetry-rollups", OPT_BOOL, O(telemetry_rollups), "true", 0, 0, false,
     "keep per-minute rollups (count, min, max, mean) of every series in Postgres"},
    {"telemetry-rollup-grace", OPT_LONG, O(telemetry_rollup_grace), "60", 0, 3600, false,
     "seconds a minute stays open for late samples before it is written"},
    {"telemetry-rollup-max-hold", OPT_LONG, O(telemetry_rollup_max_hold), "600", 1, 86400, false,
     "seconds a Kafka partition that may still bring older samples (behind its end, or its "
     "leader unreachable) keeps rollup minutes open without progress"},
    {"telemetry-flush-interval", OPT_LONG, O(telemetry_flush_interval), "10", 1, 3600, false,
     "seconds between rollup writes"},
    {"telemetry-retention-days", OPT_LONG, O(telemetry_retention_days), "30", 1, 36500, false,
     "days of rollups kept (older daily partitions are dropped)"},
    {"telemetry-raw-retention", OPT_LONG, O(telemetry_raw_retention), "604800", 60, 2678400, false,
     "seconds of raw samples kept for replay and POST /v1/analytics/rca, on the data's clock "
     "(behind the newest sample held)"},
    {"telemetry-raw-max-points", OPT_LONG, O(telemetry_raw_max_points), "8000000", 0, 1000000000,
     false, "raw sample points kept in memory at most (16 bytes each); 0 = keep none"},
    {"telemetry-max-series-per-node", OPT_LONG, O(telemetry_max_series_per_node), "1000", 1,
     1000000, false,
     "live telemetry series kept per node; a new series beyond is refused (counted in /metrics)"},
    {"analytics", OPT_BOOL, O(analytics), "on", 0, 0, false,
     "score every telemetry sample and colour the nodes (on|off; off for a benchmark baseline)"},
    {"analytics-history", OPT_LONG, O(analytics_history), "100000", 16, 100000000, false,
     "colour changes kept for GET /v1/analytics/colours?at= (oldest dropped first)"},
    {"analytics-impact-depth", OPT_LONG, O(analytics_impact_depth), "3", 1, 16, false,
     "edges followed from a red or yellow node to the nodes it impacts"},
    {"analytics-interval-ms", OPT_LONG, O(analytics_interval_ms), "250", 10, 60000, false,
     "milliseconds between sweeps for colour changes (events, impact, history)"},
    {"incident-interval", OPT_LONG, O(incident_interval), "1", 1, 3600, false,
     "seconds between groupings of the red and yellow nodes into incidents"},
    {"incident-max-hops", OPT_LONG, O(incident_max_hops), "3", 1, 8, false,
     "anomalous nodes at most this many edges apart are one incident"},
    {"incident-window", OPT_LONG, O(incident_window), "600", 1, 86400, false,
     "seconds (data clock) a member stays able to draw new anomalous nodes into its incident"},
    {"incident-hold", OPT_LONG, O(incident_hold), "300", 0, 86400, false,
     "seconds (data clock) every member must be green or grey before an incident resolves"},
    {"rca-threads", OPT_LONG, O(rca_threads), "0", 0, 16, false,
     "threads one root-cause ranking may use (POST /v1/analytics/rca, incidents): 0 = one per "
     "core up to 4 once the work pays (16k series swept, 64 anomalous nodes); n = always n"},
    {"webhook", OPT_LIST, O(webhook), "", 0, 0, false,
     "POST every event (colour, incident, ...) as JSON to this URL (repeatable)"},
    {"webhook-secret", OPT_STR, O(webhook_secret), "", 0, 0, true,
     "sign webhook bodies: X-Landscape-Signature: sha256=<hex HMAC-SHA256 of the body>"},
    {"webhook-queue", OPT_LONG, O(webhook_queue), "1024", 1, 1000000, false,
     "events waiting per webhook; more are dropped and counted"},
    {"webhook-attempts", OPT_LONG, O(webhook_attempts), "6", 1, 100, false,
     "tries per event and webhook (5xx, 429, transport errors; backoff 0.5 s doubling to 30 s)"},
    {"watcher-audit", OPT_STR, O(watcher_audit), "", 0, 0, false,
     "OpenStack Watcher EVENT audit (name or uuid) whose webhook a hypervisor or machine turning "
     "red triggers, with the token of --auth-cloud or the first --os-cloud"},
    {"os-placement-traits", OPT_BOOL, O(os_placement_traits), "false", 0, 0, false,
     "keep the trait CUSTOM_LANDSCAPE_ANOMALY on the Placement resource provider of every red "
     "hypervisor and off every other (a flavor with trait:CUSTOM_LANDSCAPE_ANOMALY=forbidden "
     "then avoids red hosts), with the token of --auth-cloud or the first --os-cloud"},
    {"os-placement-traits-interval", OPT_LONG, O(os_placement_traits_interval), "60", 1, 86400,
     false,
     "seconds between full passes of --os-placement-traits (colour changes start one at once)"},
    {"telemetry-format", OPT_LIST, O(telemetry_format), "", 0, 0, false,
     "pin a topic's decoder: TOPIC=oslo|ceilometer|monasca|collectd|telegraf|prometheus|otlp "
     "(repeatable; default: detected per record)"},
    {"depinfer-interval", OPT_LONG, O(depinfer_interval), "10", 0, 86400, false,
     "seconds between dependency re-inference passes over trace spans (0 = no inference)"},
    {"placement-live-ms", OPT_LONG, O(placement_live_ms), "1000", 0, 60000, false,
     "placement reads every host's live load and colour at most this often (ms), shared by "
     "the requests meanwhile (0 = on every request)"},
    {"depinfer-metrics-interval", OPT_LONG, O(depinfer_metrics_interval), "600", 0, 86400, false,
     "seconds between passes inferring dependencies from correlated rollups (0 = none)"},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static void *field(struct ls_config *c, const struct opt *o)
{
    return (char *)c + o->offset;
}

static const struct opt *find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

bool ls_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no",
                                                                                "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Sets one option from text; `from` names the source for messages. */
static int
set(struct ls_config *c, const struct opt *o, const char *v, const char *from, struct ls_err *err)
{
    switch (o->type) {
    case OPT_STR: {
        char **p = field(c, o);
        free(*p);
        *p = ls_xstrdup(v);
        return LS_OK;
    }
    case OPT_LONG: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end)
            return ls_err_set(err, LS_EINVAL, "invalid_config",
                              "%s: %s: expected an integer, got '%.64s'", from, o->name, v);
        if (n < o->min || n > o->max)
            return ls_err_set(err, LS_EINVAL, "invalid_config", "%s: %s: %ld is outside %ld..%ld",
                              from, o->name, n, o->min, o->max);
        *(long *)field(c, o) = n;
        return LS_OK;
    }
    case OPT_BOOL:
        if (!ls_parse_bool(v, field(c, o)))
            return ls_err_set(err, LS_EINVAL, "invalid_config", "%s: %s: expected true or false",
                              from, o->name);
        return LS_OK;
    case OPT_LIST: {
        struct ls_strlist *l = field(c, o);
        if (*v == '\0')
            return LS_OK;
        if (l->n == LS_CONFIG_LIST_MAX)
            return ls_err_set(err, LS_ELIMIT, "invalid_config", "%s: %s: at most %d values", from,
                              o->name, LS_CONFIG_LIST_MAX);
        l->v[l->n++] = ls_xstrdup(v);
        return LS_OK;
    }
    }
    return LS_ERR;
}

static void clear_list(struct ls_strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

void ls_config_defaults(struct ls_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < N_OPTS; i++) {
        int rc = set(c, &opts[i], opts[i].def, "default", NULL);
        LS_ASSERT(rc == LS_OK);
    }
}

void ls_config_cleanup(struct ls_config *c)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        if (opts[i].type == OPT_STR) {
            char **p = field(c, &opts[i]);
            free(*p);
            *p = NULL;
        } else if (opts[i].type == OPT_LIST) {
            clear_list(field(c, &opts[i]));
        }
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(struct ls_config *c, const char *path, struct ls_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_config", "config file %s: %s", path,
                          strerror(errno));
    char line[4096], from[600];
    int rc = LS_OK, lineno = 0;
    while (rc == LS_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        snprintf(from, sizeof(from), "%s:%d", path, lineno);
        if (eq == NULL) {
            rc = ls_err_set(err, LS_EINVAL, "invalid_config", "%s: expected key = value", from);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        for (char *p = key; *p; p++)
            if (*p == '_')
                *p = '-';
        const struct opt *o = find(key, strlen(key));
        if (o == NULL || strcmp(o->name, "config") == 0)
            rc = ls_err_set(err, LS_EINVAL, "invalid_config", "%s: unknown option '%s'", from, key);
        else
            rc = set(c, o, val, from, err);
    }
    fclose(f);
    return rc;
}

static int load_env(struct ls_config *c, struct ls_err *err)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        char var[64] = "LANDSCAPE_";
        size_t k = strlen(var);
        for (const char *p = opts[i].name; *p && k < sizeof(var) - 1; p++)
            var[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        var[k] = '\0';
        const char *v = getenv(var);
        if (v == NULL)
            continue;
        if (opts[i].type == OPT_LIST) { /* comma-separated in the environment */
            char *copy = ls_xstrdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int rc = set(c, &opts[i], t, var, err);
                if (rc != LS_OK) {
                    free(copy);
                    return rc;
                }
            }
            free(copy);
            continue;
        }
        int rc = set(c, &opts[i], v, var, err);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

int ls_config_load(
    struct ls_config *c, int argc, char **argv, bool *check, bool *help, struct ls_err *err)
{
    *check = false;
    *help = false;
    /* the config file named on the command line or in the environment is read first */
    const char *file = getenv("LANDSCAPE_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    int rc = LS_OK;
    if (file && *file)
        rc = load_file(c, file, err);
    if (rc == LS_OK)
        rc = load_env(c, err);
    /* list options given on the command line replace those from the file or environment */
    bool list_seen[N_OPTS] = {false};
    for (int i = 1; i < argc && rc == LS_OK; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--check-config") == 0) {
            *check = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return ls_err_set(err, LS_EINVAL, "invalid_config", "unexpected argument '%.64s'", a);
        const char *name = a + 2, *eq = strchr(name, '=');
        const struct opt *o = find(name, eq ? (size_t)(eq - name) : strlen(name));
        if (o == NULL)
            return ls_err_set(err, LS_EINVAL, "invalid_config", "unknown option '%.64s'", a);
        const char *v = eq ? eq + 1 : NULL;
        if (v == NULL && o->type == OPT_BOOL)
            v = "true";
        if (v == NULL) {
            if (i + 1 >= argc)
                return ls_err_set(err, LS_EINVAL, "invalid_config", "--%s needs a value", o->name);
            v = argv[++i];
        }
        if (o->type == OPT_LIST && !list_seen[o - opts]) {
            clear_list(field(c, o));
            list_seen[o - opts] = true;
        }
        rc = set(c, o, v, "command line", err);
    }
    return rc;
}

bool ls_listen_is_loopback(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
        return false;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    if (strcmp(host, "localhost") == 0)
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* --auth and TLS: the mode's own options, and none only where nobody else can connect. */
static int validate_auth(const struct ls_config *c, struct ls_err *err)
{
    if (strcmp(c->auth, "none") && strcmp(c->auth, "tokens") && strcmp(c->auth, "keystone"))
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "auth: expected none, tokens or keystone, got '%.64s'", c->auth);
    if (!strcmp(c->auth, "none") && !c->allow_unauthenticated && !ls_listen_is_loopback(c->listen))
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "auth none on %s: anyone who reaches it could change the landscape; "
                          "listen on 127.0.0.1, use --auth tokens or keystone, or add "
                          "--allow-unauthenticated",
                          c->listen);
    if (!strcmp(c->auth, "tokens") && c->auth_token_file[0] == '\0')
        return ls_err_set(err, LS_EINVAL, "invalid_config", "auth tokens needs --auth-token-file");
    if (!strcmp(c->auth, "keystone") && c->auth_cloud[0] == '\0' && c->os_cloud.n == 0)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "auth keystone needs --auth-cloud (or an --os-cloud) for the service's "
                          "own credentials");
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "%s without %s: HTTPS needs both a certificate and its key",
                          c->tls_cert[0] ? "tls-cert" : "tls-key",
                          c->tls_cert[0] ? "tls-key" : "tls-cert");
    return LS_OK;
}

int ls_config_validate(const struct ls_config *c, struct ls_err *err)
{
    const char *colon = strrchr(c->listen, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (colon == NULL || colon == c->listen || *end || port < 0 || port > 65535)
        return ls_err_set(err, LS_EINVAL, "invalid_config", "listen: expected HOST:PORT, got '%s'",
                          c->listen);
    if (c->default_page_size > c->max_page_size)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "default-page-size %ld is larger than max-page-size %ld",
                          c->default_page_size, c->max_page_size);
    if (strcmp(c->log_level, "error") && strcmp(c->log_level, "warn") &&
        strcmp(c->log_level, "info") && strcmp(c->log_level, "debug"))
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "log-level: expected error, warn, info or debug");
    if (c->db[0] == '\0' && c->data_dir[0] == '\0')
        return ls_err_set(err, LS_EINVAL, "invalid_config", "data-dir: required without --db");
    return validate_auth(c, err);
}

void ls_config_print(const struct ls_config *c, FILE *out)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        void *f = field((struct ls_config *)c, o);
        fprintf(out, "%s = ", o->name);
        switch (o->type) {
        case OPT_STR:
            fprintf(out, "%s\n", o->secret && **(char **)f ? "(redacted)" : *(char **)f);
            break;
        case OPT_LONG:
            fprintf(out, "%ld\n", *(long *)f);
            break;
        case OPT_BOOL:
            fprintf(out, "%s\n", *(bool *)f ? "true" : "false");
            break;
        case OPT_LIST: {
            const struct ls_strlist *l = f;
            for (int k = 0; k < l->n; k++) {
                /* secret lists show their keys only (values may be passwords) */
                int keylen = (int)strcspn(l->v[k], "=");
                if (o->secret)
                    fprintf(out, "%s%.*s=(redacted)", k ? "," : "", keylen, l->v[k]);
                else
                    fprintf(out, "%s%s", k ? "," : "", l->v[k]);
            }
            fprintf(out, "\n");
            break;
        }
        }
    }
}

void ls_config_usage(FILE *out)
{
    fprintf(out, "usage: landscaped [--option value ...] [--check-config] [--help]\n"
                 "Options (also LANDSCAPE_<NAME> variables and `name = value` lines in "
                 "--config FILE; the command line wins):\n");
    for (size_t i = 0; i < N_OPTS; i++)
        fprintf(out, "  --%-24s %s (default: %s)\n", opts[i].name, opts[i].help,
                opts[i].def[0] ? opts[i].def : "none");
}
