/* Incidents in Postgres (incident.h). Writes take a pooled connection for one transaction;
 * every value is a parameter. */
#include "sql/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "sql/store_impl.h"

static int bad_change(struct ls_err *err, const char *what)
{
    return ls_err_set(err, LS_EINVAL, "invalid_incident_change", "incident change: %s", what);
}

/* Text of a JSON member (a string as is, null as NULL, other values as JSON); owned by *keep. */
static const char *text_of(const json_t *v, char **keep)
{
    *keep = NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    *keep = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!*keep)
        ls_json_oom();
    return *keep;
}

/* Runs the statements of one save on c inside BEGIN / COMMIT. */
static int save_on(PGconn *c, const char *const *p, struct ls_err *err)
{
    int rc = ls_pg_exec(c, NULL, "BEGIN", 0, NULL, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(
            c, NULL,
            "INSERT INTO incident (id, state, opened_at, updated_at, resolved_at, merged_into, "
            "revision, doc, engine) VALUES ($1::bigint, $2, $3::timestamptz, $4::timestamptz, "
            "$5::timestamptz, $6::bigint, $7::integer, $8::jsonb, $9::jsonb) "
            "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, updated_at = "
            "EXCLUDED.updated_at, resolved_at = EXCLUDED.resolved_at, merged_into = "
            "EXCLUDED.merged_into, revision = EXCLUDED.revision, doc = EXCLUDED.doc, engine = "
            "EXCLUDED.engine WHERE incident.revision < EXCLUDED.revision",
            9, p, err);
    /* id, revision, engine state */
    const char *pn[] = {p[0], p[6], p[8]};
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL,
                        "INSERT INTO incident_node (incident_id, node_id, joined_at, joined_rev) "
                        "SELECT $1::bigint, m->>'id', to_timestamp((m->>'joined_at')::bigint / "
                        "1e6), $2::integer FROM jsonb_array_elements(($3::jsonb)->'members') m "
                        "ON CONFLICT DO NOTHING",
                        3, pn, err);
    /* id, revision, change, updated_at, state, document */
    const char *pr[] = {p[0], p[6], p[9], p[3], p[1], p[7]};
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL,
                        "INSERT INTO incident_revision (incident_id, revision, change, at, state, "
                        "nodes, causes) SELECT $1::bigint, $2::integer, $3, $4::timestamptz, $5, "
                        "($6::jsonb)->'nodes', ($6::jsonb)->'causes' ON CONFLICT DO NOTHING",
                        6, pr, err);
    if (rc == LS_OK)
        rc = ls_pg_exec(c, NULL, "COMMIT", 0, NULL, err);
    else if (!ls_pg_broken(c)) {
        struct ls_err ignored;
        if (ls_pg_exec(c, NULL, "ROLLBACK", 0, NULL, &ignored) != LS_OK)
            PQreset(c);
    }
    return rc;
}

int ls_store_incident_save(struct ls_store *s, const json_t *change, struct ls_err *err)
{
    const json_t *doc = json_object_get(change, "incident");
    const json_t *engine = json_object_get(change, "state");
    const char *kind = json_string_value(json_object_get(change, "change"));
    if (!json_is_object(doc) || !json_is_object(engine) || !kind)
        return bad_change(err, "expected {change, incident, state}");
    if (!json_is_integer(json_object_get(doc, "id")) ||
        !json_is_string(json_object_get(doc, "state")) ||
        !json_is_string(json_object_get(doc, "opened_at")) ||
        !json_is_string(json_object_get(doc, "updated_at")) ||
        !json_is_integer(json_object_get(doc, "revision")) ||
        !json_is_array(json_object_get(engine, "members")))
        return bad_change(err, "incident: expected id, state, opened_at, updated_at, revision");
    char *keep[10];
    const char *p[10];
    p[0] = text_of(json_object_get(doc, "id"), &keep[0]);
    p[1] = text_of(json_object_get(doc, "state"), &keep[1]);
    p[2] = text_of(json_object_get(doc, "opened_at"), &keep[2]);
    p[3] = text_of(json_object_get(doc, "updated_at"), &keep[3]);
    p[4] = text_of(json_object_get(doc, "resolved_at"), &keep[4]);
    p[5] = text_of(json_object_get(doc, "merged_into"), &keep[5]);
    p[6] = text_of(json_object_get(doc, "revision"), &keep[6]);
    p[7] = text_of(doc, &keep[7]);
    p[8] = text_of(engine, &keep[8]);
    p[9] = kind;
    keep[9] = NULL;
    int slot;
    int rc = store_reader_get(s, &slot, err);
    if (rc == LS_OK) {
        rc = save_on(s->readers[slot], p, err);
        store_reader_put(s, slot);
    }
    for (int i = 0; i < 10; i++)
        free(keep[i]);
    return rc;
}

int ls_store_incidents_open(struct ls_store *s,
                            json_t **out_states,
                            int64_t *out_last_id,
                            struct ls_err *err)
{
    *out_states = NULL;
    *out_last_id = 0;
    PGresult *r = NULL;
    int rc = store_query(s, &r, "SELECT coalesce(max(id), 0) FROM incident", 0, NULL, err);
    if (rc != LS_OK)
        return rc;
    *out_last_id = ls_pg_int(r, 0, 0);
    PQclear(r);
    r = NULL;
    rc = store_query(s, &r, "SELECT engine::text FROM incident WHERE state = 'open' ORDER BY id", 0,
                     NULL, err);
    if (rc != LS_OK)
        return rc;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_error_t je;
        json_t *v = json_loads(PQgetvalue(r, i, 0), 0, &je);
        if (!v) {
            rc = ls_err_set(err, LS_ERR, "invalid_incident_state", "stored incident state: %s",
                            je.text);
            break;
        }
        json_array_append_new(a, v);
    }
    PQclear(r);
    if (rc != LS_OK) {
        json_decref(a);
        return rc;
    }
    *out_states = a;
    return LS_OK;
}

/* Parses the one-column text JSON of row i. */
static json_t *json_cell(const PGresult *r, int row, int col)
{
    json_t *v = json_loads(PQgetvalue(r, row, col), 0, NULL);
    return v ? v : json_null();
}

int ls_store_incident_get(struct ls_store *s, int64_t id, json_t **out, struct ls_err *err)
{
    *out = NULL;
    char idt[32];
    snprintf(idt, sizeof(idt), "%lld", (long long)id);
    const char *p[] = {idt};
    PGresult *r = NULL;
    int rc = store_query(s, &r, "SELECT doc::text FROM incident WHERE id = $1::bigint", 1, p, err);
    if (rc == LS_OK && PQntuples(r) == 0)
        rc = ls_err_set(err, LS_ENOTFOUND, "incident_not_found", "incident %lld not found",
                        (long long)id);
    if (rc == LS_OK)
        *out = json_cell(r, 0, 0);
    PQclear(r);
    return rc;
}

int ls_store_incident_history(struct ls_store *s, int64_t id, json_t **out, struct ls_err *err)
{
    *out = NULL;
    char idt[32];
    snprintf(idt, sizeof(idt), "%lld", (long long)id);
    const char *p[] = {idt};
    PGresult *r = NULL;
    int rc = store_query(s, &r,
                         "SELECT json_build_object('revision', revision, 'change', change, 'at', "
                         "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
                         "'state', state, 'nodes', nodes, 'causes', causes)::text "
                         "FROM incident_revision WHERE incident_id = $1::bigint ORDER BY revision",
                         1, p, err);
    if (rc == LS_OK && PQntuples(r) == 0)
        rc = ls_err_set(err, LS_ENOTFOUND, "incident_not_found", "incident %lld not found",
                        (long long)id);
    if (rc == LS_OK) {
        json_t *a = json_array();
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(a, json_cell(r, i, 0));
        *out = a;
    }
    PQclear(r);
    return rc;
}

int ls_store_incidents_list(struct ls_store *s,
                            const struct ls_incident_query *q,
                            json_t **out,
                            bool *more,
                            struct ls_err *err)
{
    *out = NULL;
    *more = false;
    char from[40], to[40], before[32], limit[32];
    if (q->from)
        ls_time_format_rfc3339(q->from, from, sizeof(from));
    if (q->to)
        ls_time_format_rfc3339(q->to, to, sizeof(to));
    snprintf(before, sizeof(before), "%lld", (long long)q->before);
    snprintf(limit, sizeof(limit), "%zu", q->limit + 1);
    const char *p[] = {q->state, q->from ? from : NULL, q->to ? to : NULL, before, limit};
    PGresult *r = NULL;
    int rc = store_query(
        s, &r,
        "SELECT doc::text FROM incident WHERE ($1::text IS NULL OR state = $1) "
        "AND ($2::timestamptz IS NULL OR resolved_at IS NULL OR resolved_at >= $2::timestamptz) "
        "AND ($3::timestamptz IS NULL OR opened_at <= $3::timestamptz) "
        "AND ($4::bigint = 0 OR id < $4::bigint) ORDER BY id DESC LIMIT $5::bigint",
        5, p, err);
    if (rc != LS_OK)
        return rc;
    json_t *a = json_array();
    int n = PQntuples(r);
    for (int i = 0; i < n && (size_t)i < q->limit; i++)
        json_array_append_new(a, json_cell(r, i, 0));
    *more = (size_t)n > q->limit;
    PQclear(r);
    *out = a;
    return LS_OK;
}
