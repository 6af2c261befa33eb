/* Applies the embedded migrations not yet recorded, in order, each in a transaction, under an
 * advisory lock so two instances starting together do not race. */
#include "sql/migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "sql/pg.h"

int ls_migrate(PGconn *c, int *out_version, struct ls_err *err)
{
    PGresult *r = NULL;
    int rc = ls_pg_exec(c, NULL,
                        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                        "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                        0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL, "SELECT pg_advisory_lock(7468001)", 0, NULL, err);
    if (rc != LS_OK)
        return rc;
    /* Every migration not recorded is applied, not only those above the highest recorded:
     * migrations written in parallel may land out of order (006 before 005), and a database
     * that took 006 first must still get 005. */
    rc = ls_pg_exec(c, &r, "SELECT version FROM schema_version", 0, NULL, err);
    int current = 0;
    for (int k = 0; rc == LS_OK && k < PQntuples(r); k++)
        if (ls_pg_int(r, k, 0) > current)
            current = (int)ls_pg_int(r, k, 0);
    for (int i = 0; i < ls_migrations_count && rc == LS_OK; i++) {
        const struct ls_migration *m = &ls_migrations[i];
        bool applied = false;
        for (int k = 0; k < PQntuples(r) && !applied; k++)
            applied = ls_pg_int(r, k, 0) == m->version;
        if (applied)
            continue;
        char v[16];
        snprintf(v, sizeof(v), "%d", m->version);
        const char *params[] = {v, m->name};
        rc = ls_pg_exec(c, NULL, "BEGIN", 0, NULL, err);
        if (rc == LS_OK) {
            /* a migration is a script: simple query protocol, several statements */
            PGresult *res = PQexec(c, m->sql);
            if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
                rc = ls_pg_error(c, res, err);
            PQclear(res);
        }
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL, "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                            2, params, err);
        if (rc == LS_OK)
            rc = ls_pg_exec(c, NULL, "COMMIT", 0, NULL, err);
        if (rc != LS_OK) {
            PGresult *rb = PQexec(c, "ROLLBACK");
            PQclear(rb);
            ls_err_wrap(err, "migration %s", m->name);
        } else {
            if (m->version > current)
                current = m->version;
            ls_log(LS_LOG_INFO, "sql", "migration applied", "name=%s", m->name);
        }
    }
    PQclear(r);
    PGresult *u = PQexec(c, "SELECT pg_advisory_unlock(7468001)");
    PQclear(u);
    *out_version = current;
    return rc;
}
