/* Telemetry rollups in Postgres (see store.h): daily partitions made on demand, closed minutes
 * written once, whole days dropped by retention, windows read back with date_bin. */
#include "model/rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "sql/store_impl.h"

#define DAY_US (86400LL * 1000000LL)
/* A timestamptz expression as µs since the epoch. */
#define ROLLUP_US(e) "(extract(epoch from " e ") * 1000000)::bigint"

static int rollup_conn(struct ls_store *s, struct ls_err *err)
{
    if (s->rollup_w && !ls_pg_broken(s->rollup_w))
        return LS_OK;
    PQfinish(s->rollup_w);
    s->rollup_w = NULL;
    return ls_pg_connect(&s->rollup_w, s->dsn, err);
}

/* "YYYY-MM-DD" and "YYYYMMDD" of the UTC day holding t. */
static void day_of(int64_t t, char *iso, size_t isocap, char *compact, size_t ccap)
{
    char ts[40];
    ls_time_format_rfc3339(t - ((t % DAY_US) + DAY_US) % DAY_US, ts, sizeof(ts));
    snprintf(iso, isocap, "%.10s", ts);
    snprintf(compact, ccap, "%.4s%.2s%.2s", ts, ts + 5, ts + 8);
}

static int ensure_partition(PGconn *c, int64_t t, struct ls_err *err)
{
    char iso[16], next_iso[16], compact[16], nc[16], sql[400];
    day_of(t, iso, sizeof(iso), compact, sizeof(compact));
    day_of(t + DAY_US, next_iso, sizeof(next_iso), nc, sizeof(nc));
    snprintf(sql, sizeof(sql),
             "CREATE TABLE IF NOT EXISTS telemetry_rollup_p%s PARTITION OF telemetry_rollup "
             "FOR VALUES FROM ('%sT00:00:00Z') TO ('%sT00:00:00Z')",
             compact, iso, next_iso);
    return ls_pg_exec(c, NULL, sql, 0, NULL, err);
}

int ls_store_rollups_write(struct ls_store *s,
                           const struct ls_rollup_row *rows,
                           size_t n,
                           struct ls_err *err)
{
    if (n == 0)
        return LS_OK;
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc = LS_OK;
    struct ls_pg_time_cache minute = {0};
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        const struct ls_rollup_row *x = &rows[i];
        rc = ls_pg_copy_str(&b, x->node_id);
        rc = rc ? rc : ls_buf_puts(&b, "\t");
        rc = rc ? rc : ls_pg_copy_str(&b, x->metric);
        rc = rc ? rc : ls_buf_puts(&b, "\t");
        rc = rc ? rc : ls_pg_copy_time(&b, &minute, x->minute_us);
        rc = rc ? rc : ls_buf_puts(&b, "\t");
        rc = rc ? rc : ls_pg_copy_str(&b, x->unit);
        rc = rc ? rc
                : ls_buf_printf(&b, "\t%llu\t%.17g\t%.17g\t%.17g\n", (unsigned long long)x->count,
                                x->min, x->max, x->sum);
    }
    pthread_mutex_lock(&s->rollup_lock);
    if (rc == LS_OK)
        rc = rollup_conn(s, err);
    PGconn *c = s->rollup_w;
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL, "BEGIN", 0, NULL, err);
    /* one partition per day the rows touch (rows are few days apart at most) */
    int64_t done_days[8];
    int nd = 0;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        int64_t d = rows[i].minute_us - ((rows[i].minute_us % DAY_US) + DAY_US) % DAY_US;
        bool seen = false;
        for (int k = 0; k < nd; k++)
            seen = seen || done_days[k] == d;
        if (seen)
            continue;
        rc = ensure_partition(c, d, err);
        if (nd < 8)
            done_days[nd++] = d;
    }
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL,
                        "CREATE TEMP TABLE IF NOT EXISTS rollup_in "
                        "(LIKE telemetry_rollup INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                        0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_copy(c,
                        "COPY rollup_in (node_id, metric, minute, unit, count, min, max, sum) "
                        "FROM STDIN",
                        b.data, b.len, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL,
                        "INSERT INTO telemetry_rollup SELECT * FROM rollup_in "
                        "ON CONFLICT DO NOTHING",
                        0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL, "COMMIT", 0, NULL, err);
    else if (c && !ls_pg_broken(c)) {
        struct ls_err ignored;
        if (ls_pg_exec(c, NULL, "ROLLBACK", 0, NULL, &ignored) != LS_OK)
            PQreset(c); /* the next write starts from a fresh session */
    }
    pthread_mutex_unlock(&s->rollup_lock);
    ls_buf_cleanup(&b);
    return rc;
}

int ls_store_rollups_prune(struct ls_store *s,
                           int64_t older_than_us,
                           int *dropped,
                           struct ls_err *err)
{
    *dropped = 0;
    char iso[16], cutoff[16];
    day_of(older_than_us, iso, sizeof(iso), cutoff, sizeof(cutoff));
    pthread_mutex_lock(&s->rollup_lock);
    int rc = rollup_conn(s, err);
    PGresult *r = NULL;
    if (rc == LS_OK)
        rc = ls_pg_exec(s->rollup_w, &r,
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = "
                        "'telemetry_rollup' ORDER BY 1",
                        0, NULL, err);
    for (int i = 0; rc == LS_OK && i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0);
        const char *day = strstr(name, "_p");
        /* a day wholly before the cutoff's day goes */
        if (!day || strlen(day + 2) != 8 || strcmp(day + 2, cutoff) >= 0)
            continue;
        char sql[200];
        snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", name);
        rc = ls_pg_exec(s->rollup_w, NULL, sql, 0, NULL, err);
        if (rc == LS_OK)
            (*dropped)++;
    }
    PQclear(r);
    pthread_mutex_unlock(&s->rollup_lock);
    return rc;
}

int ls_store_rollups_query(struct ls_store *s,
                           const char *node_id,
                           const char *metric_prefix,
                           int64_t from_us,
                           int64_t to_us,
                           long step_s,
                           json_t **out,
                           struct ls_err *err)
{
    *out = NULL;
    char from[40], to[40], step[32];
    ls_time_format_rfc3339(from_us, from, sizeof(from));
    ls_time_format_rfc3339(to_us, to, sizeof(to));
    snprintf(step, sizeof(step), "%ld seconds", step_s < 60 ? 60 : step_s);
    const char *params[] = {node_id, from, to, metric_prefix ? metric_prefix : "", step};
    PGresult *r = NULL;
    int rc = store_query(
        s, &r,
        "SELECT metric, " ROLLUP_US(
            "date_bin($5::interval, minute, 'epoch'::timestamptz)") ", sum(sum) / sum(count), "
                                                                    "min(min), max(max), "
                                                                    "sum(count), max(unit) "
                                                                    "FROM telemetry_rollup WHERE "
                                                                    "node_id = $1 AND minute >= "
                                                                    "$2::timestamptz "
                                                                    "AND minute < $3::timestamptz "
                                                                    "AND left(metric, length($4)) "
                                                                    "= $4 "
                                                                    "GROUP BY metric, 2 ORDER BY "
                                                                    "metric, 2",
        5, params, err);
    if (rc != LS_OK)
        return rc;
    json_t *o = json_object();
    char ts[40];
    for (int i = 0; i < PQntuples(r); i++) {
        const char *metric = PQgetvalue(r, i, 0);
        json_t *series = json_object_get(o, metric);
        if (!series) {
            series = json_pack("{s:s,s:[]}", "unit", PQgetvalue(r, i, 6), "points");
            json_object_set_new(o, metric, series);
        }
        json_array_append_new(
            json_object_get(series, "points"),
            json_pack("[s,f,f,f,I]", ls_time_format_rfc3339(ls_pg_int(r, i, 1), ts, sizeof(ts)),
                      strtod(PQgetvalue(r, i, 2), NULL), strtod(PQgetvalue(r, i, 3), NULL),
                      strtod(PQgetvalue(r, i, 4), NULL), (json_int_t)ls_pg_int(r, i, 5)));
    }
    PQclear(r);
    *out = o;
    return LS_OK;
}

int ls_store_rollups_flush(
    struct ls_store *s, struct ls_rollup *r, int64_t now_us, size_t *rows, struct ls_err *err)
{
    struct ls_rollup_row *taken;
    int64_t through;
    size_t n = ls_rollup_take(r, now_us, &taken, &through);
    if (rows)
        *rows = n;
    int rc = ls_store_rollups_write(s, taken, n, err);
    if (rc == LS_OK) {
        ls_rollup_flushed(r, through);
        ls_rollup_rows_free(taken, n);
    } else {
        ls_rollup_putback(r, taken, n);
    }
    return rc;
}
