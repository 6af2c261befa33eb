/* Incidents in Postgres (006_incidents.sql): each change analytics/incident.h reports is saved
 * with its history (the nodes with when they joined, one snapshot of nodes and causes per
 * revision); open incidents are read back at start; the REST endpoints read documents and
 * lists. Documents are JSON in the shapes analytics/incident.h makes: sql/ does not depend on
 * analytics/, it stores and returns what it is given. Thread-safe (pooled connections). */
#ifndef LS_SQL_INCIDENT_H
#define LS_SQL_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "sql/store.h"

/**
 * Saves one change {"change", "incident", "state"} (ls_incidents_step's array items) in one
 * transaction: the incident's row (its document and engine state; a revision not newer than
 * the stored one changes nothing, so saving twice is harmless), its nodes (joined_at from the
 * state), and the revision's snapshot.
 * @return LS_OK; LS_EINVAL when change lacks a field; LS_EUNAVAIL / LS_ERR from Postgres.
 */
LS_MUST_CHECK int
ls_store_incident_save(struct ls_store *s, const json_t *change, struct ls_err *err);

/**
 * What a restart needs: the engine states of the open incidents in id order (new reference,
 * an array of what ls_incidents_restore takes) and the highest incident id ever stored (0 for
 * none), so new ids do not repeat old ones.
 */
LS_MUST_CHECK int ls_store_incidents_open(struct ls_store *s,
                                          json_t **out_states,
                                          int64_t *out_last_id,
                                          struct ls_err *err);

/** One incident's document (new reference). LS_ENOTFOUND (`incident_not_found`). */
LS_MUST_CHECK int
ls_store_incident_get(struct ls_store *s, int64_t id, json_t **out, struct ls_err *err);

/** The revisions of one incident, oldest first (new reference): [{"revision", "change",
 *  "at", "state", "nodes", "causes"}]. LS_ENOTFOUND when there is no such incident. */
LS_MUST_CHECK int
ls_store_incident_history(struct ls_store *s, int64_t id, json_t **out, struct ls_err *err);

/** A page of incidents, newest (highest id) first. */
struct ls_incident_query {
    const char *state; /* "open", "resolved" or NULL for both */
    int64_t from, to;  /* µs: incidents open at some time in [from, to]; 0 = unbounded */
    int64_t before;    /* the page's marker: only ids below it; 0 = from the newest */
    size_t limit;      /* at most this many (>= 1) */
};
/**
 * The documents of a page (new reference, an array); *more when more follow.
 * @return LS_OK; LS_EUNAVAIL / LS_ERR from Postgres.
 */
LS_MUST_CHECK int ls_store_incidents_list(struct ls_store *s,
                                          const struct ls_incident_query *q,
                                          json_t **out,
                                          bool *more,
                                          struct ls_err *err);

#endif
