/* libpq helpers: parameters only, every PGresult cleared once, SQLSTATE -> ls_status. */
#include "sql/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
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
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, "SET TIME ZONE 'UTC'");
    PQclear(r);
    *out = c;
    return LS_OK;
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
    if (ls_pg_broken(c) || (state && strncmp(state, "08", 2) == 0) ||
        (state && strncmp(state, "57P", 3) == 0))
        return ls_err_set(err, LS_EUNAVAIL, "db_unavailable", "postgres: %s", line);
    if (state && strcmp(state, "23505") == 0)
        return ls_err_set(err, LS_ECONFLICT, "conflict", "postgres: %s", line);
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

int ls_pg_copy(PGconn *c, const char *sql, const char *data, size_t len, struct ls_err *err)
{
    PGresult *r = PQexec(c, sql);
    if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
        int rc = ls_pg_error(c, r, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    int ok = 1;
    /* PQputCopyData takes int lengths: send in chunks */
    for (size_t off = 0; off < len && ok == 1; off += 1 << 20) {
        size_t n = len - off < (1u << 20) ? len - off : (1u << 20);
        ok = PQputCopyData(c, data + off, (int)n);
    }
    if (PQputCopyEnd(c, ok == 1 ? NULL : "client error") != 1)
        ok = 0;
    int rc = LS_OK;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == LS_OK)
            rc = ls_pg_error(c, r, err);
        PQclear(r);
    }
    if (ok != 1 && rc == LS_OK)
        rc = ls_pg_error(c, NULL, err);
    return rc;
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

long long ls_pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    char *end;
    long long v = strtoll(PQgetvalue(r, row, col), &end, 10);
    return *end == '\0' ? v : 0;
}
