/* Configuration: ONE table of options (name, type, default, LANDSCAPE_* variable, bounds,
 * help) filling one struct ls_config, in order: defaults, config file, environment, command
 * line. Every input bound the service enforces is an option here. */
#ifndef LS_COMMON_CONFIG_H
#define LS_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

#define LS_CONFIG_LIST_MAX 16

/** A repeatable string option (e.g. --os-cloud A --os-cloud B). Strings owned. */
struct ls_strlist {
    char *v[LS_CONFIG_LIST_MAX];
    int n;
};

struct ls_config {
    /* service */
    char *listen;      /* HOST:PORT; port 0 picks a free one */
    char *data_dir;    /* embedded Postgres and state live here */
    char *db;          /* libpq DSN; empty = embedded Postgres in data_dir */
    bool demo;         /* load the demo data center at start */
    char *port_file;   /* write the bound port here (tests, scripts) */
    char *config_file; /* --config FILE */
    char *log_level;   /* error | warn | info | debug */
    bool log_json;     /* JSON lines instead of logfmt */
    long threads;      /* HTTP worker threads */
    /* authentication and TLS (server/auth.h) */
    char *auth;                 /* none | tokens | keystone */
    bool allow_unauthenticated; /* --auth none on a non-loopback listen address */
    char *auth_token_file;      /* tokens: `token role [name]` lines */
    char *auth_cloud;           /* keystone: the clouds.yaml cloud; "" = the first --os-cloud */
    long auth_cache_size;       /* keystone: validated tokens kept */
    long auth_cache_seconds;    /* keystone: longest a validation is trusted */
    long auth_timeout;          /* keystone: seconds per validation request */
    bool metrics_public;        /* /metrics without a token */
    char *tls_cert;             /* PEM certificate (chain) file; "" = plain HTTP */
    char *tls_key;              /* PEM private key file */
    /* input bounds */
    long max_body_bytes;
    long max_json_depth;
    long max_string_bytes;
    long max_page_size;
    long default_page_size;
    long max_subgraph_depth;
    long max_subgraph_nodes;
    long max_attrs; /* keys in one attrs object */
    long sse_max_clients;
    long sse_queue_bytes; /* per client; a slower client is dropped */
    long history_limit;   /* versions returned by /history and rows per diff category */
    /* retention */
    long retention_days; /* versions that ended longer ago are pruned; 0 = keep all */
    /* importers and telemetry (used by their subsystems) */
    struct ls_strlist os_cloud;
    long os_sync_interval;
    long os_reconcile_interval;
    long os_concurrency; /* requests in flight per cloud */
    long os_max_rps;     /* requests per second per cloud; 0 = unbounded */
    long os_page_size;   /* `limit` for paginated lists */
    long os_timeout;     /* seconds per request */
    long os_retries;     /* retries on 5xx / 429 / transport errors */
    char *kafka;
    struct ls_strlist telemetry_topic;
    char *kafka_group;
    struct ls_strlist kafka_property;   /* librdkafka "key=value" (SASL, TLS, ...) */
    struct ls_strlist telemetry_format; /* per-topic decoder pins "topic=format" */
    char *telemetry_dead_letter;        /* topic for undecodable records; "" = none */
    bool telemetry_rollups;             /* per-minute rollups in Postgres */
    long telemetry_rollup_grace;        /* seconds a minute stays open after its end */
    long telemetry_rollup_max_hold;     /* seconds a stalled partition holds minutes open */
    long telemetry_flush_interval;      /* seconds between rollup writes */
    long telemetry_retention_days;      /* rollup days kept */
    long telemetry_max_series_per_node; /* live series per node; more are refused */
    long telemetry_raw_retention;       /* seconds of raw samples kept (data's clock) */
    long telemetry_raw_max_points;      /* raw points kept at most; 0 = none */
    /* analytics and its events (analytics/, server/notify.h) */
    bool analytics;                    /* feed the watch with every sample */
    long analytics_history;            /* colour changes kept for ?at= */
    long analytics_impact_depth;       /* edges followed for impact */
    long analytics_interval_ms;        /* between sweeps for colour changes */
    long incident_interval;            /* seconds between incident steps */
    long incident_max_hops;            /* edges apart for one incident */
    long incident_window;              /* seconds a member draws new nodes in */
    long incident_hold;                /* seconds of quiet before resolving */
    long rca_threads;                  /* threads one RCA may use (0: automatic) */
    struct ls_strlist webhook;         /* outbound event URLs */
    char *webhook_secret;              /* HMAC key; "" = unsigned */
    long webhook_queue;                /* events waiting per webhook */
    long webhook_attempts;             /* tries per event */
    char *watcher_audit;               /* Watcher EVENT audit a red host triggers; "" = none */
    bool os_placement_traits;          /* CUSTOM_LANDSCAPE_ANOMALY on red hosts' providers */
    long os_placement_traits_interval; /* seconds between full trait passes */
    long depinfer_interval;            /* seconds between dependency re-inference; 0 = off */
    long placement_live_ms;         /* max age of placement's live loads/colours; 0 = per request */
    long depinfer_metrics_interval; /* seconds between metric-correlation passes; 0 = off */
    /* Postgres: durability and the connection to it (sql/store.h ls_store_opts) */
    bool pg_fast_unsafe;         /* the embedded Postgres without fsync (tests, benchmarks) */
    long db_write_timeout;       /* seconds a write waits for Postgres */
    long db_connect_timeout;     /* seconds; libpq connect_timeout */
    long db_statement_timeout;   /* seconds; 0 = none */
    long db_keepalives_idle;     /* seconds; 0 = no TCP keepalives */
    long db_keepalives_interval; /* seconds between probes */
    long db_keepalives_count;    /* probes lost before the connection is dead */
    long db_tcp_user_timeout;    /* seconds; 0 = the kernel's */
};

/** Reads a boolean as options, query arguments and environment variables write it: true / 1 /
 *  yes / on or false / 0 / no / off, in any case. false when s is none of them (*out unchanged). */
bool ls_parse_bool(const char *s, bool *out);

/** Sets every option to its default. Free with ls_config_cleanup. */
void ls_config_defaults(struct ls_config *c);
void ls_config_cleanup(struct ls_config *c);

/**
 * Fills c from a config file (when --config is given), LANDSCAPE_* variables and argv, in that
 * order of precedence (later wins). argv[0] is skipped; positional arguments are refused.
 * @param[out] check set when --check-config was given; help when --help
 * @return LS_OK, or LS_EINVAL naming the option, the source and the problem.
 */
LS_MUST_CHECK int ls_config_load(
    struct ls_config *c, int argc, char **argv, bool *check, bool *help, struct ls_err *err);

/** Whether a listen address HOST:PORT is on loopback (127.0.0.0/8 or "localhost"). */
bool ls_listen_is_loopback(const char *listen);

/** Validates cross-option rules (bounds are checked while parsing). */
LS_MUST_CHECK int ls_config_validate(const struct ls_config *c, struct ls_err *err);

/** Prints the effective configuration (secrets redacted), one `name = value` per line. */
void ls_config_print(const struct ls_config *c, FILE *out);
/** Prints the option table as help text. */
void ls_config_usage(FILE *out);

#endif
