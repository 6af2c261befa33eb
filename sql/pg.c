/* libpq helpers: parameters only, every PGresult cleared once, SQLSTATE -> ls_status. */
#include "sql/pg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/handoff.h"
#include "common/log.h"
#include "common/time.h"

/* Postgres's notices: a WARNING is logged (e.g. an index build left pending), the rest
 * ("NOTICE: ... already exists, skipping") dropped. */
static void notice(void *arg, const char *message)
{
    (void)arg;
    if (strncmp(message, "WARNING:", 8) != 0)
        return;
    char line[512];
    snprintf(line, sizeof(line), "%s", message + 8 + strspn(message + 8, " "));
    line[strcspn(line, "\n")] = '\0';
    ls_log(LS_LOG_WARN, "sql", "postgres warning", "detail=\"%s\"", line);
}

int ls_pg_connect(PGconn **out, const char *dsn, struct ls_err *err)
{
    PGconn *c = PQconnectdb(dsn);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        char line[200];
        snprintf(line, sizeof(line), "%s", c ? PQerrorMessage(c) : "no memory");
        line[strcspn(line, "\n")] = '\0';
        int rc =
            ls_err_set(err, LS_EUNAVAIL, "db_unavailable", "cannot connect to postgres: %s", line);
        PQfinish(c);
        return rc;
    }
    PQsetNoticeProcessor(c, notice, NULL);
    PGresult *r = PQexec(c, "SET TIME ZONE 'UTC'");
    PQclear(r);
    *out = c;
    return LS_OK;
}

/* ---- connection settings ---- */

/* Whether this libpq knows keyword kw (tcp_user_timeout: libpq 12 and later). */
static bool libpq_has(const char *kw)
{
    PQconninfoOption *d = PQconndefaults();
    bool has = false;
    for (PQconninfoOption *o = d; o && o->keyword && !has; o++)
        has = strcmp(o->keyword, kw) == 0;
    PQconninfoFree(d);
    return has;
}

/* The DSN's value of kw, or else its libpq variable's (PGCONNECT_TIMEOUT, ...); NULL if none. */
static const char *given(const PQconninfoOption *parsed, const char *kw)
{
    for (const PQconninfoOption *o = parsed; o->keyword; o++)
        if (strcmp(o->keyword, kw) == 0) {
            if (o->val && o->val[0])
                return o->val;
            const char *env = o->envvar ? getenv(o->envvar) : NULL;
            return env && env[0] ? env : NULL;
        }
    return NULL;
}

/* Appends ` kw='v'` (conninfo quoting: backslash and quote escaped). */
static void put_kv(struct ls_buf *b, const char *kw, const char *v)
{
    int rc = ls_buf_printf(b, "%s%s='", b->len ? " " : "", kw);
    for (const char *p = v; *p && rc == LS_OK; p++)
        rc = (*p == '\\' || *p == '\'') ? ls_buf_printf(b, "\\%c", *p) : ls_buf_append(b, p, 1);
    rc = rc ? rc : ls_buf_append(b, "'", 1);
    LS_ASSERT(rc == LS_OK); /* unbounded buffer: only OOM fails, and it aborts */
}

int ls_pg_conninfo(char **out, const char *dsn, const struct ls_pg_conn_opts *o, struct ls_err *err)
{
    char *perr = NULL;
    PQconninfoOption *parsed = PQconninfoParse(dsn, &perr);
    PQfreemem(perr); /* it may quote the DSN, password included: not repeated */
    if (parsed == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "db: not a libpq connection string or postgresql:// URI");
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (const PQconninfoOption *p = parsed; p->keyword; p++)
        if (p->val && p->val[0])
            put_kv(&b, p->keyword, p->val);
    struct {
        const char *kw;
        long v;
    } const adds[] = {
        {"connect_timeout", o->connect_timeout_s},
        {"keepalives", o->keepalives_idle_s > 0},
        {"keepalives_idle", o->keepalives_idle_s},
        {"keepalives_interval", o->keepalives_interval_s},
        {"keepalives_count", o->keepalives_count},
        {"tcp_user_timeout", o->tcp_user_timeout_ms},
    };
    char num[32];
    for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
        if (adds[i].v <= 0 || given(parsed, adds[i].kw) || !libpq_has(adds[i].kw))
            continue;
        snprintf(num, sizeof(num), "%ld", adds[i].v);
        put_kv(&b, adds[i].kw, num);
    }
    if (o->application_name && !given(parsed, "application_name"))
        put_kv(&b, "application_name", o->application_name);
    const char *opt = given(parsed, "options");
    if (o->statement_timeout_ms > 0 && (opt == NULL || strstr(opt, "statement_timeout") == NULL)) {
        char v[600];
        snprintf(v, sizeof(v), "%s%s-c statement_timeout=%ld", opt ? opt : "", opt ? " " : "",
                 o->statement_timeout_ms);
        put_kv(&b, "options", v); /* libpq takes the last value of a keyword */
    }
    PQconninfoFree(parsed);
    *out = ls_buf_take(&b);
    return LS_OK;
}

/* ---- the watchdog ---- */

struct ls_pg_watchdog {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    pthread_t thread;
    PGconn *c; /* watched; NULL while disarmed */
    long long deadline_ns;
    bool fired;
    bool stop;
};

static void *watch(void *arg)
{
    struct ls_pg_watchdog *wd = arg;
    pthread_mutex_lock(&wd->lock);
    while (!wd->stop) {
        if (wd->c == NULL) {
            pthread_cond_wait(&wd->cond, &wd->lock);
            continue;
        }
        long long now = ls_time_mono_ns();
        if (now < wd->deadline_ns) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            long long at =
                (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec + (wd->deadline_ns - now);
            ts.tv_sec = (time_t)(at / 1000000000LL);
            ts.tv_nsec = (long)(at % 1000000000LL);
            pthread_cond_timedwait(&wd->cond, &wd->lock, &ts);
            continue;
        }
        /* under the lock: the owner cannot close c (it disarms first) while we cut it */
        int fd = PQsocket(wd->c);
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
        wd->fired = true;
        wd->c = NULL;
    }
    pthread_mutex_unlock(&wd->lock);
    return NULL;
}

struct ls_pg_watchdog *ls_pg_watchdog_new(void)
{
    struct ls_pg_watchdog *wd = ls_xcalloc(1, sizeof(*wd));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&wd->lock, NULL);
    int rc = pthread_create(&wd->thread, NULL, watch, wd);
    LS_ASSERT(rc == 0); /* only out of resources, as an allocation */
    return wd;
}

void ls_pg_watchdog_arm(struct ls_pg_watchdog *wd, PGconn *c, long long deadline_ns)
{
    pthread_mutex_lock(&wd->lock);
    wd->c = c;
    wd->deadline_ns = deadline_ns;
    wd->fired = false;
    pthread_cond_signal(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
}

bool ls_pg_watchdog_disarm(struct ls_pg_watchdog *wd)
{
    pthread_mutex_lock(&wd->lock);
    bool fired = wd->fired;
    wd->c = NULL;
    wd->fired = false;
    pthread_mutex_unlock(&wd->lock);
    return fired;
}

void ls_pg_watchdog_free(struct ls_pg_watchdog *wd)
{
    if (wd == NULL)
        return;
    pthread_mutex_lock(&wd->lock);
    wd->stop = true;
    pthread_cond_signal(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
    pthread_join(wd->thread, NULL);
    pthread_mutex_destroy(&wd->lock);
    pthread_cond_destroy(&wd->cond);
    free(wd);
}

bool ls_pg_broken(PGconn *c)
{
    return c == NULL || PQstatus(c) != CONNECTION_OK;
}

int ls_pg_error(PGconn *c, const PGresult *r, struct ls_err *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg == NULL)
        msg = c ? PQerrorMessage(c) : "no connection";
    char line[200];
    snprintf(line, sizeof(line), "%s", msg);
    line[strcspn(line, "\n")] = '\0';
    /* unavailable: a broken connection, a connection or shutdown class SQLSTATE, or an error
     * without any SQLSTATE — made by libpq itself, not the server ("server closed the
     * connection unexpectedly" can come while PQstatus still says OK) */
    if (ls_pg_broken(c) || !state || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return ls_err_set(err, LS_EUNAVAIL, "db_unavailable", "postgres: %s", line);
    if (state && strcmp(state, "23505") == 0)
        return ls_err_set(err, LS_ECONFLICT, "conflict", "postgres: %s", line);
    if (state && strcmp(state, "57014") == 0) /* statement_timeout (or a cancel) */
        return ls_err_set(err, LS_ETIMEOUT, "db_timeout", "postgres: %s", line);
    if (state && strncmp(state, "22", 2) == 0)
        return ls_err_set(err, LS_EINVAL, "invalid_value", "postgres: %s", line);
    if (state && strncmp(state, "54", 2) == 0)
        return ls_err_set(err, LS_ELIMIT, "value_too_large", "postgres: %s", line);
    return ls_err_set(err, LS_ERR, "db_error", "postgres: %s (sqlstate %s)", line,
                      state ? state : "none");
}

int ls_pg_exec(PGconn *c,
               PGresult **out,
               const char *sql,
               int n,
               const char *const *params,
               struct ls_err *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = ls_pg_error(c, r, err);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return LS_OK;
}

static int copy_start(PGconn *c, const char *sql, struct ls_err *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = LS_OK;
    if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN)
        rc = ls_pg_error(c, r, err);
    PQclear(r);
    return rc;
}

/* PQputCopyData takes int lengths: sends in pieces. 1 = sent. */
static int copy_put(PGconn *c, const char *data, size_t len)
{
    int ok = 1;
    for (size_t off = 0; off < len && ok == 1; off += 1 << 20) {
        size_t n = len - off < (1u << 20) ? len - off : (1u << 20);
        ok = PQputCopyData(c, data + off, (int)n);
    }
    return ok;
}

/* Ends the COPY (aborting it unless ok == 1) and reads its result. */
static int copy_finish(PGconn *c, int ok, struct ls_err *err)
{
    if (PQputCopyEnd(c, ok == 1 ? NULL : "client error") != 1)
        ok = 0;
    int rc = LS_OK;
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == LS_OK)
            rc = ls_pg_error(c, r, err);
        PQclear(r);
    }
    if (ok != 1 && rc == LS_OK)
        rc = ls_pg_error(c, NULL, err);
    return rc;
}

int ls_pg_copy(PGconn *c, const char *sql, const char *data, size_t len, struct ls_err *err)
{
    int rc = copy_start(c, sql, err);
    return rc == LS_OK ? copy_finish(c, copy_put(c, data, len), err) : rc;
}

#define COPY_CHUNK (1u << 20)

/* What the sender thread (common/handoff) sends: one chunk in flight. */
struct copy_sender {
    PGconn *c;
    struct ls_buf chunk; /* the chunk being sent */
    int ok;              /* 1 while every send succeeded */
    struct ls_handoff *thread;
};

static void send_chunk(void *arg)
{
    struct copy_sender *cs = arg;
    if (cs->ok == 1)
        cs->ok = copy_put(cs->c, cs->chunk.data, cs->chunk.len);
    ls_buf_reset(&cs->chunk);
}

int ls_pg_copy_stream_begin(struct ls_pg_copy_stream *s,
                            PGconn *c,
                            const char *sql,
                            struct ls_err *err)
{
    s->err = err;
    s->sender = NULL;
    ls_buf_init(&s->buf, 0);
    s->rc = copy_start(c, sql, err);
    if (s->rc != LS_OK)
        return s->rc;
    struct copy_sender *cs = ls_xcalloc(1, sizeof(*cs));
    cs->c = c;
    cs->ok = 1;
    ls_buf_init(&cs->chunk, 0);
    cs->thread = ls_handoff_start(send_chunk, cs);
    s->sender = cs;
    return LS_OK;
}

int ls_pg_copy_stream_flush(struct ls_pg_copy_stream *s)
{
    struct copy_sender *cs = s->sender;
    if (s->rc != LS_OK || s->buf.len < COPY_CHUNK)
        return s->rc;
    ls_handoff_wait(cs->thread);
    if (cs->ok != 1) {
        s->rc = ls_pg_error(cs->c, NULL, s->err);
        return s->rc;
    }
    struct ls_buf full = s->buf; /* swap: the sender takes the full buffer */
    s->buf = cs->chunk;
    cs->chunk = full;
    ls_handoff_give(cs->thread);
    return s->rc;
}

int ls_pg_copy_stream_end(struct ls_pg_copy_stream *s)
{
    struct copy_sender *cs = s->sender;
    if (cs) {
        ls_handoff_stop(cs->thread);
        int ok = s->rc == LS_OK && cs->ok == 1 ? copy_put(cs->c, s->buf.data, s->buf.len) : 0;
        int rc = copy_finish(cs->c, ok, s->err);
        if (s->rc == LS_OK)
            s->rc = rc;
        ls_buf_cleanup(&cs->chunk);
        free(cs);
        s->sender = NULL;
    }
    ls_buf_cleanup(&s->buf);
    return s->rc;
}

int ls_pg_copy_time(struct ls_buf *b, struct ls_pg_time_cache *cache, int64_t t)
{
    if (cache->text[0] == '\0' || cache->t != t) {
        ls_time_format_rfc3339(t, cache->text, sizeof(cache->text));
        cache->t = t;
    }
    return ls_buf_puts(b, cache->text); /* digits, '-', ':', '.', 'T', 'Z': nothing to escape */
}

int ls_pg_copy_str(struct ls_buf *b, const char *s)
{
    const char *run = s;
    for (const char *p = s;; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\0':
            return ls_buf_append(b, run, (size_t)(p - run));
        default:
            continue;
        }
        if (ls_buf_append(b, run, (size_t)(p - run)) != LS_OK || ls_buf_puts(b, esc) != LS_OK)
            return LS_ELIMIT;
        run = p + 1;
    }
}

/* A JSON string (compact JSON escapes). */
static int json_string_out(struct ls_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ls_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8] = "\\";
        size_t len = 2;
        if (ch == '"' || ch == '\\') {
            esc[1] = (char)ch;
        } else if (ch < 0x20) {
            const char *short_esc = ch == '\n'   ? "n"
                                    : ch == '\t' ? "t"
                                    : ch == '\r' ? "r"
                                    : ch == '\b' ? "b"
                                    : ch == '\f' ? "f"
                                                 : NULL;
            if (short_esc) {
                esc[1] = short_esc[0];
            } else {
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[ch >> 4];
                esc[5] = hex[ch & 15];
                len = 6;
            }
        } else {
            continue;
        }
        rc = ls_buf_append(b, s + run, i - run);
        rc = rc ? rc : ls_buf_append(b, esc, len);
        run = i + 1;
    }
    rc = rc ? rc : ls_buf_append(b, s + run, n - run);
    return rc ? rc : ls_buf_append(b, "\"", 1);
}

/* v as compact JSON, members in their order (as json_dumps with JSON_COMPACT writes them). */
static int json_out(struct ls_buf *b, const json_t *v)
{
    char num[40];
    int n;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        int rc = ls_buf_append(b, "{", 1);
        const char *key;
        json_t *m;
        bool first = true;
        json_object_foreach((json_t *)v, key, m)
        {
            rc = rc || first ? rc : ls_buf_append(b, ",", 1);
            first = false;
            rc = rc ? rc : json_string_out(b, key, strlen(key));
            rc = rc ? rc : ls_buf_append(b, ":", 1);
            rc = rc ? rc : json_out(b, m);
        }
        return rc ? rc : ls_buf_append(b, "}", 1);
    }
    case JSON_ARRAY: {
        int rc = ls_buf_append(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v) && rc == LS_OK; i++) {
            rc = i ? ls_buf_append(b, ",", 1) : LS_OK;
            rc = rc ? rc : json_out(b, json_array_get(v, i));
        }
        return rc ? rc : ls_buf_append(b, "]", 1);
    }
    case JSON_STRING:
        return json_string_out(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return ls_buf_append(b, num, (size_t)n);
    case JSON_REAL:
        /* as jansson writes a real: 17 digits, and never a bare integer */
        n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        if (strspn(num, "0123456789-") == (size_t)n)
            n += snprintf(num + n, sizeof(num) - (size_t)n, ".0");
        return ls_buf_append(b, num, (size_t)n);
    case JSON_TRUE:
        return ls_buf_puts(b, "true");
    case JSON_FALSE:
        return ls_buf_puts(b, "false");
    default:
        return ls_buf_puts(b, "null");
    }
}

/* ---- COPY binary format ---- */

/* v's low `bytes` bytes, big-endian (network order), into out. */
static void be(unsigned char *out, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        out[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
}

static int put_be(struct ls_buf *b, uint64_t v, size_t bytes)
{
    unsigned char out[8];
    be(out, v, bytes);
    return ls_buf_append(b, out, bytes);
}

/* A field of 8 bytes (int8, float8, timestamptz): its length, then the bits. */
static int put_field8(struct ls_buf *b, uint64_t bits)
{
    int rc = put_be(b, 8, 4);
    return rc ? rc : put_be(b, bits, 8);
}

int ls_pg_bin_begin(struct ls_buf *b)
{
    static const char sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
    int rc = ls_buf_append(b, sig, sizeof(sig));
    rc = rc ? rc : put_be(b, 0, 4);   /* flags: no OIDs */
    return rc ? rc : put_be(b, 0, 4); /* no header extension */
}

int ls_pg_bin_end(struct ls_buf *b)
{
    return put_be(b, 0xffff, 2); /* a field count of -1 */
}

int ls_pg_bin_row(struct ls_buf *b, int fields)
{
    return put_be(b, (uint64_t)fields, 2);
}

int ls_pg_bin_text(struct ls_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n > INT32_MAX)
        return LS_ELIMIT;
    int rc = put_be(b, n, 4);
    return rc ? rc : ls_buf_append(b, s, n);
}

int ls_pg_bin_json(struct ls_buf *b, const json_t *v)
{
    size_t at = b->len;
    int rc = put_be(b, 0, 4); /* the length, once known */
    rc = rc ? rc : json_out(b, v);
    if (rc != LS_OK)
        return rc;
    size_t n = b->len - at - 4;
    if (n > INT32_MAX)
        return LS_ELIMIT;
    be((unsigned char *)b->data + at, n, 4);
    return LS_OK;
}

int ls_pg_bin_time(struct ls_buf *b, int64_t unix_us)
{
    const int64_t pg_epoch_us = 946684800LL * 1000000; /* 2000-01-01T00:00:00Z */
    return put_field8(b, (uint64_t)(unix_us - pg_epoch_us));
}

int ls_pg_bin_int8(struct ls_buf *b, int64_t v)
{
    return put_field8(b, (uint64_t)v);
}

int ls_pg_bin_float8(struct ls_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return put_field8(b, bits);
}

long long ls_pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    char *end;
    long long v = strtoll(PQgetvalue(r, row, col), &end, 10);
    return *end == '\0' ? v : 0;
}
