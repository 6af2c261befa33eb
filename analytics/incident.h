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
#include "analytics/rca.h"
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
    int64_t rerank_us;      /* an incident whose members did not change is re-ranked at most
                               this often (0: at every step) */
};

/** max_hops 3, window 10 min, hold 5 min, 256 nodes, 5 causes, walks of 4096, 10000 open,
 *  score threshold 0.5, threads 0 (automatic), re-ranked at every step. */
void ls_incident_params_default(struct ls_incident_params *p);

/** One anomalous node at `now` as the colours say (analytics/watch). Borrowed. */
struct ls_incident_obs {
    const char *id;        /* node id */
    enum ls_colour colour; /* red or yellow; green/grey entries are ignored */
    double score;          /* in [0, 1] */
    const char *metric;    /* its worst series (the colour's first reason); may be NULL */
    int went;              /* that series rose (+1: above its expected range's middle), fell
                              (-1) or unknown (0); see ls_rca_series.went */
    double value, lo, hi;  /* that series' value and the range expected of it (the reason's
                              "value" and "expected"); unknown unless lo < hi and all finite
                              (zeroed: unknown) */
};

/** A member of an incident as the cause ranking sees it: its worst observation in the
 *  incident, the highest score and, of equal scores, the farthest out of its expected range
 *  (in half-widths of that range), kept once it turns green. A detector that took a shifted
 *  level as its new normal (yellow, "still_shifted") does not make its node a lesser cause
 *  than it was when it turned red. */
struct ls_incident_member {
    const char *id;
    double score;         /* in [0, 1] */
    const char *metric;   /* the series that scored it (NULL: unknown) */
    bool anomalous;       /* red or yellow now */
    int64_t last_bad;     /* µs, when it was last seen red or yellow */
    int went;             /* which way that series went (ls_incident_obs.went) */
    double value, lo, hi; /* as ls_incident_obs: known, the ranking reads how far it went */
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

struct ls_samples;

/** One incident as a ranker sees it (borrowed for the call). */
struct ls_incident_ranking {
    const struct ls_snap *snap;
    const struct ls_incident_member *members; /* sorted by id */
    size_t n;
    int64_t opened_at, now; /* µs, the data's clock */
    const struct ls_incident_params *p;
};

/** How long before an incident opened its causes are looked for in the raw samples: its first
 *  member turned red a few of its points into the fault (a ramp, a detector's confirmation). */
#define LS_INCIDENT_LEAD_US (120 * INT64_C(1000000))
/** The baseline those points are read against: the hour before. */
#define LS_INCIDENT_BASELINE_US (3600 * INT64_C(1000000))

/**
 * Ranks an incident's causes over the raw samples raw holds (analytics/rca_replay.h, what
 * POST /v1/analytics/rca runs): its members and what lies within p->max_hops of them (at most
 * p->max_walk nodes: a switch that went silent under a rack's anomalies is found though it is
 * no member), from LS_INCIDENT_LEAD_US before it opened to now against the
 * LS_INCIDENT_BASELINE_US before. How far each series moved from its own recent past, not
 * only its detector's verdict: a detector that took a shifted level as its new normal does not
 * hide how far its node went, and verdicts of 1 do not tell nodes red alike apart. Without
 * raw (NULL), when the replay fails (*err set, for the caller to log) or names no cause
 * (members red by structure alone, points pruned), ranks as ls_incident_rank. Fills *out and
 * *nout as ls_incident_rank does. raw is only read.
 */
void ls_incident_rank_replay(struct ls_samples *raw,
                             const struct ls_incident_ranking *in,
                             struct ls_incident_cause **out,
                             size_t *nout,
                             struct ls_err *err);

/** How far value lies from the middle of [lo, hi] (an observation's expected range), in
 *  half-widths of it (1 at its edges); -1 when the range is unknown: not lo < hi, or a value
 *  or bound not finite. */
double ls_incident_out_of_range(double value, double lo, double hi);

/** The rca parameters an incident's causes are ranked with (depth, walk, limit, threads and
 *  anomalous score from p; the rest rca's defaults). */
void ls_incident_rca_params(const struct ls_incident_params *p, struct ls_rca_params *rp);

/** An rca result's causes as an incident's (ids, reasons and paths moved out of r, which is
 *  cleaned up): *out is freed with ls_incident_causes_free. */
void ls_incident_causes_from_rca(struct ls_rca_result *r,
                                 struct ls_incident_cause **out,
                                 size_t *nout);

/**
 * Another way to rank an incident's causes (the caller's: e.g. over the raw samples the
 * service holds, server/incident_loop.c). Fills *out and *nout as ls_incident_rank does; it
 * may call ls_incident_rank itself. Called from ls_incidents_step only.
 */
typedef void (*ls_incident_ranker)(void *arg,
                                   const struct ls_incident_ranking *in,
                                   struct ls_incident_cause **out,
                                   size_t *nout);

struct ls_incidents;

/**
 * An empty set of incidents whose ids start after `last_id` (the highest id ever given, so ids
 * stay unique across restarts: the store knows it). Params copied. Not thread-safe: one
 * caller drives it. Free with ls_incidents_free.
 */
struct ls_incidents *ls_incidents_new(const struct ls_incident_params *p, int64_t last_id);
void ls_incidents_free(struct ls_incidents *e);

/** Ranks causes with fn(arg, ...) from now on; NULL: ls_incident_rank (the default). */
void ls_incidents_set_ranker(struct ls_incidents *e, ls_incident_ranker fn, void *arg);

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
