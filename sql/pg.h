/* Postgres plumbing for sql/: connections, parameterised statements, COPY, and the mapping of
 * SQLSTATE to ls_status. Private to sql/ (the only module that includes libpq). */
#ifndef LS_SQL_PG_H
#define LS_SQL_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/err.h"

/** Opens a connection (quiet notices, UTC). LS_EUNAVAIL with libpq's message on failure. */
LS_MUST_CHECK int ls_pg_connect(PGconn **out, const char *dsn, struct ls_err *err);

/**
 * Runs sql with text parameters (NULL entries are SQL NULL). On success *out (may be NULL to
 * discard) holds the result, which the caller PQclears. Errors are mapped from SQLSTATE:
 * 23505 LS_ECONFLICT, class 08 / lost connection LS_EUNAVAIL, 22 LS_EINVAL, 54 LS_ELIMIT,
 * others LS_ERR; the message is Postgres's primary message.
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

/** Appends s to b escaped for COPY text format (backslash, tab, newline, CR). */
LS_MUST_CHECK int ls_pg_copy_str(struct ls_buf *b, const char *s);

/** Maps a failed result (or a NULL one) to a status with the message in err. */
int ls_pg_error(PGconn *c, const PGresult *r, struct ls_err *err);

/** The integer value of a cell (0 for NULL or junk). */
long long ls_pg_int(const PGresult *r, int row, int col);

/** True when the connection is unusable (lost). */
bool ls_pg_broken(PGconn *c);

#endif
