/* Postgres plumbing for sql/: connections, parameterised statements, COPY, and the mapping of
 * SQLSTATE to ls_status. Private to sql/ (the only module that includes libpq). */
#ifndef LS_SQL_PG_H
#define LS_SQL_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/buf.h"
#include "common/err.h"

/** Opens a connection (quiet notices, UTC). LS_EUNAVAIL with libpq's message on failure. */
LS_MUST_CHECK int ls_pg_connect(PGconn **out, const char *dsn, struct ls_err *err);

/**
 * Connection settings added to a DSN where it (or the libpq variable for it, PGCONNECT_TIMEOUT,
 * PGOPTIONS, ...) does not set them already: what the operator wrote always wins. 0 leaves a
 * setting out. Keepalives and tcp_user_timeout apply to TCP connections only (libpq ignores
 * them on a unix socket); tcp_user_timeout only where libpq has it (12 and later).
 */
struct ls_pg_conn_opts {
    long connect_timeout_s;     /* connect_timeout */
    long keepalives_idle_s;     /* keepalives=1 with keepalives_idle */
    long keepalives_interval_s; /* keepalives_interval */
    long keepalives_count;      /* keepalives_count */
    long tcp_user_timeout_ms;   /* tcp_user_timeout */
    long statement_timeout_ms;  /* options=-c statement_timeout=N */
    const char *application_name;
};
/**
 * The DSN (key=value or URI) with o's settings added where it does not set them, as a
 * key=value conninfo string in *out (caller frees). It holds the DSN's password, if any:
 * never log it. LS_EINVAL when libpq cannot parse the DSN (the message does not quote it).
 */
LS_MUST_CHECK int
ls_pg_conninfo(char **out, const char *dsn, const struct ls_pg_conn_opts *o, struct ls_err *err);

/**
 * A deadline over a connection whose libpq calls block: when it passes while armed, the
 * connection's socket is shut down, so the blocked call (a query, COPY, a result) returns with
 * the connection lost, however the network fails (a partition that drops packets, a peer that
 * stops answering). One thread per watchdog, asleep while disarmed.
 */
struct ls_pg_watchdog;
/** Starts the watchdog's thread. Free with ls_pg_watchdog_free. */
struct ls_pg_watchdog *ls_pg_watchdog_new(void);
/** Watches c until deadline_ns (ls_time_mono_ns clock). c must stay open until disarmed. */
void ls_pg_watchdog_arm(struct ls_pg_watchdog *wd, PGconn *c, long long deadline_ns);
/** Stops watching (before c is closed). @return true when the deadline cut c since armed. */
bool ls_pg_watchdog_disarm(struct ls_pg_watchdog *wd);
/** Stops the thread; NULL is a no-op. */
void ls_pg_watchdog_free(struct ls_pg_watchdog *wd);

/**
 * Runs sql with text parameters (NULL entries are SQL NULL). On success *out (may be NULL to
 * discard) holds the result, which the caller PQclears. Errors are mapped from SQLSTATE:
 * 23505 LS_ECONFLICT, class 08 / 57P / lost connection LS_EUNAVAIL, 57014 (statement_timeout)
 * LS_ETIMEOUT, 22 LS_EINVAL, 54 LS_ELIMIT, others LS_ERR; the message is Postgres's primary
 * message.
 */
LS_MUST_CHECK int ls_pg_exec(PGconn *c,
                             PGresult **out,
                             const char *sql,
                             int n,
                             const char *const *params,
                             struct ls_err *err);

/** Runs a COPY ... FROM STDIN statement and sends data (COPY text format) in one go. */
LS_MUST_CHECK int
ls_pg_copy(PGconn *c, const char *sql, const char *data, size_t len, struct ls_err *err);

/**
 * A COPY ... FROM STDIN fed while its rows are being made: the caller appends rows to `buf`
 * and calls ls_pg_copy_stream_flush after each; once `buf` holds a chunk it is handed to a
 * sender thread (common/handoff.h), so Postgres parses one chunk while the caller builds the next
 * (a blocking send would make the two take turns). The connection belongs to the stream until
 * ls_pg_copy_stream_end. The first error sticks (later calls do nothing) and is returned by
 * ls_pg_copy_stream_end, which always releases the stream.
 */
struct ls_pg_copy_stream {
    struct ls_buf buf;          /* rows being built (owned) */
    struct copy_sender *sender; /* owned; NULL when the COPY did not start */
    int rc;
    struct ls_err *err;
};
LS_MUST_CHECK int ls_pg_copy_stream_begin(struct ls_pg_copy_stream *s,
                                          PGconn *c,
                                          const char *sql,
                                          struct ls_err *err);
/** Hands the buffer over once it holds at least a chunk. @return the stream's status. */
int ls_pg_copy_stream_flush(struct ls_pg_copy_stream *s);
/** Sends the rest, ends the COPY and reads its result. */
LS_MUST_CHECK int ls_pg_copy_stream_end(struct ls_pg_copy_stream *s);

/**
 * A timestamp column of many rows: the last time formatted (RFC 3339) is kept, since rows of
 * one write mostly share their times (a change set's versions, a flush's minute). Zero it
 * before the first row.
 */
struct ls_pg_time_cache {
    int64_t t;
    char text[40];
};
/** Appends t (µs since the epoch) to b as RFC 3339, through cache. */
LS_MUST_CHECK int ls_pg_copy_time(struct ls_buf *b, struct ls_pg_time_cache *cache, int64_t t);

/** Appends s to b escaped for COPY text format (backslash, tab, newline, CR). */
LS_MUST_CHECK int ls_pg_copy_str(struct ls_buf *b, const char *s);

/**
 * COPY binary format, for bulk rows whose text form would cost Postgres a parse per field
 * (timestamps, numbers, escapes): ls_pg_bin_begin once (the header), then per row
 * ls_pg_bin_row with its field count and one call per field, then ls_pg_bin_end.
 * Statements say `FROM STDIN (FORMAT binary)`.
 */
LS_MUST_CHECK int ls_pg_bin_begin(struct ls_buf *b);
LS_MUST_CHECK int ls_pg_bin_end(struct ls_buf *b);
LS_MUST_CHECK int ls_pg_bin_row(struct ls_buf *b, int fields);
/** A text (or name) field. */
LS_MUST_CHECK int ls_pg_bin_text(struct ls_buf *b, const char *s);
/** A json field: v as compact JSON (members in their order, as json_dumps writes them). */
LS_MUST_CHECK int ls_pg_bin_json(struct ls_buf *b, const json_t *v);
/** A timestamptz field from µs since the Unix epoch. */
LS_MUST_CHECK int ls_pg_bin_time(struct ls_buf *b, int64_t unix_us);
/** A bigint field. */
LS_MUST_CHECK int ls_pg_bin_int8(struct ls_buf *b, int64_t v);
/** A double precision field. */
LS_MUST_CHECK int ls_pg_bin_float8(struct ls_buf *b, double v);

/** Maps a failed result (or a NULL one) to a status with the message in err. */
int ls_pg_error(PGconn *c, const PGresult *r, struct ls_err *err);

/** The integer value of a cell (0 for NULL or junk). */
long long ls_pg_int(const PGresult *r, int row, int col);

/** True when the connection is unusable (lost). */
bool ls_pg_broken(PGconn *c);

#endif
