/* Graph stitching (issue 14, item 2; after tmetsch/graph_stitcher): a request graph of typed
 * nodes is stitched onto the landscape, each request node onto one landscape node of its type,
 * so that every condition holds: attribute conditions on one request node's landscape node
 * (eq, neq, lt, le, gt, ge, regex) and compositions over several (same, diff: the same or
 * distinct landscape nodes; share, nshare: their landscape nodes have equal values of an
 * attribute, or all distinct ones). Answers are ranked and explained; an unsatisfiable request
 * says which condition failed. Semantics and where we differ from graph_stitcher:
 * docs/placement.md. Pure: reads a snapshot, no I/O. */
#ifndef LS_ANALYTICS_STITCH_H
#define LS_ANALYTICS_STITCH_H

#include <jansson.h>

#include "common/err.h"
#include "model/graph.h"

#define LS_STITCH_MAX_NODES      16 /* request nodes */
#define LS_STITCH_MAX_EDGES      64 /* request edges (echoed) */
#define LS_STITCH_MAX_CONDITIONS 64
#define LS_STITCH_MAX_CANDIDATES 2000    /* landscape nodes considered per request node */
#define LS_STITCH_MAX_STEPS      2000000 /* search steps before giving up (`search_limit`) */
#define LS_STITCH_MAX_RESULTS    100     /* `limit` */

/**
 * Stitches the request `body` (docs/api.md, POST /v1/stitch) onto s. New JSON answer
 * {"stitches": [{"mapping": {request id: node id}, "score", "explanation": [...]}],
 *  "candidates": {request id: count}, "unsatisfied": null | {"condition", "op", "reason"},
 *  "complete": bool, "revision"}.
 * @return LS_OK; LS_EINVAL (`invalid_request`, `unknown_field`, `invalid_regex`);
 *         LS_ELIMIT (`limit_exceeded`).
 */
LS_MUST_CHECK int
ls_stitch(const struct ls_snap *s, json_t *body, json_t **out, struct ls_err *err);

#endif
