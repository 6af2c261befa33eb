/* Incidents (issue 13, item 5): red or yellow nodes that are close in time and connected in the
 * graph are one incident; an incident opens, is updated (nodes join, incidents merge, causes are
 * re-ranked) and resolves once all its nodes have been green or grey for a hold time. Runs on
 * the data's clock (the caller passes "now"), deterministic: the same observations over the
 * same graph give the same incidents, ids included. Speaks no SQL: what changed comes out as
 * JSON documents the caller persists (sql/store.h) and publishes (server/notify.h). */
#ifndef LS_ANALYTICS_INCIDENT_H
#define LS_ANALYTICS_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analytics/colour.h"
#include "common/err.h"
#include "model/graph.h"

/** How incidents are formed; ls_incident_params_default gives the documented defaults. */
struct ls_incident_params {
    int max_hops;      /* two anomalous nodes at most this many edges apart are connected (3) */
    int64_t window_us; /* close in time: a member attracts new nodes while it was anomalous
                          within this long before now (10 min) */
    int64_t hold_us;   /* resolve once every member has been green/grey this long (5 min) */
    size_t max_nodes;  /* members per incident; more anomalous nodes are not added (256) */
    size_t max_causes; /* causes kept per incident (5) */
    size_t max_walk;   /* nodes one walk visits, around hubs (4096) */
    size_t max_open;   /* open incidents; beyond, new groups are not opened (10000) */
    double score_threshold; /* the cause ranking's anomalous score (0.5: the colour's yellow) */
    size_t threads;         /* the cause ranking's threads (ls_rca_params.threads; 0: automatic) */
};

/** max_hops 3, window 10 min, hold 5 min, 256 nodes, 5 causes, walks of 4096, 10000 open,
 *  score threshold 0.5, threads 0 (automatic). */
void ls_incident_params_default(struct ls_incident_params *p);

/** One anomalous node at `now` as the colours say (analytics/watch). Borrowed. */
struct ls_incident_obs {
    const char *id;        /* node id */
    enum ls_colour colour; /* red or yellow; green/grey entries are ignored */
    double score;          /* in [0, 1] */
    const char *metric;    /* its worst series (the colour's first reason); may be NULL */
    int went;              /* that series rose (+1: above its expected range's middle), fell
                              (-1) or unknown (0); see ls_rca_series.went */
};

/** A member of an incident as the cause ranking sees it. */
struct ls_incident_member {
    const char *id;
    double score;       /* its latest score while anomalous (kept once it turns green) */
    const char *metric; /* the series that scored it (NULL: unknown) */
    bool anomalous;     /* red or yellow now */
    int64_t last_bad;   /* µs, when it was last seen red or yellow */
    int went;           /* which way that series went (ls_incident_obs.went) */
};

/** One ranked cause: a node, a score in [0, 1], a reason and the path from the cause to the
 *  symptoms it explains (the cause first). Owned by the array ls_incident_rank returns. */
struct ls_incident_cause {
    char *id;
    double score;
    char *reason;
    char **path;
    size_t npath;
};

/**
 * Ranks the causes of one incident: the single place causes come from, analytics/rca.h's
 * propagation over the members' scores (analytics/README.md, "Incidents"). members sorted by id.
 * Fills *out (caller frees with ls_incident_causes_free) with at most p->max_causes causes, best
 * first, ties by id.
 */
void ls_incident_rank(const struct ls_snap *snap,
                      const struct ls_incident_member *members,
                      size_t n,
                      const struct ls_incident_params *p,
                      struct ls_incident_cause **out,
                      size_t *nout);
void ls_incident_causes_free(struct ls_incident_cause *c, size_t n);

struct ls_incidents;

/**
 * An empty set of incidents whose ids start after `last_id` (the highest id ever given, so ids
 * stay unique across restarts: the store knows it). Params copied. Not thread-safe: one
 * caller drives it. Free with ls_incidents_free.
 */
struct ls_incidents *ls_incidents_new(const struct ls_incident_params *p, int64_t last_id);
void ls_incidents_free(struct ls_incidents *e);

/**
 * Takes back one open incident from its stored state (the "state" document of a change, see
 * ls_incidents_step), after a restart. Call before the first step.
 * @return LS_OK; LS_EINVAL when doc is not such a document; LS_ECONFLICT for an id held.
 */
LS_MUST_CHECK int
ls_incidents_restore(struct ls_incidents *e, const json_t *doc, struct ls_err *err);

/**
 * One step at `now` (µs, the data's clock, never before the previous step's): obs are the
 * nodes red or yellow now (any order; duplicates keep the worst). Nodes join, incidents open,
 * merge and resolve, causes are re-ranked over snap (borrowed for the call).
 *
 * @param[out] out a new JSON array (caller decrefs) of what changed, in incident id order:
 *   {"change": "opened"|"updated"|"resolved", "incident": <ls_incident_doc shape>,
 *    "state": <what ls_incidents_restore takes>}. Empty when nothing changed.
 * @return LS_OK; LS_EINVAL when now goes back in time (nothing changes).
 */
LS_MUST_CHECK int ls_incidents_step(struct ls_incidents *e,
                                    const struct ls_snap *snap,
                                    const struct ls_incident_obs *obs,
                                    size_t n,
                                    int64_t now,
                                    json_t **out,
                                    struct ls_err *err);

/** Open incidents now. */
size_t ls_incidents_open_count(const struct ls_incidents *e);
/** The highest id given so far. */
int64_t ls_incidents_last_id(const struct ls_incidents *e);

#endif
