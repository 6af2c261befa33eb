/* Private to sql/. Schema migrations: sql/NNN_name.sql, embedded at build time, applied in order on
 * start, each in its own transaction, recorded in schema_version. Never edit a migration after
 * merge. */
#ifndef LS_SQL_MIGRATE_H
#define LS_SQL_MIGRATE_H

#include <libpq-fe.h>

#include "common/err.h"

struct ls_migration {
    int version;      /* NNN */
    const char *name; /* file name */
    const char *sql;  /* file contents */
};
extern const struct ls_migration ls_migrations[];
extern const int ls_migrations_count;

/** Applies pending migrations on c; *out_version = schema version after. Serialised across
 *  processes with an advisory lock. */
LS_MUST_CHECK int ls_migrate(PGconn *c, int *out_version, struct ls_err *err);

#endif
