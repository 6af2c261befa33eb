/* The body of POST /v1/analytics/rca, parsed and validated without HTTP (so a fuzzer drives
 * it): {"from": T, "to": T, "baseline": {"from": T, "to": T}?, "nodes": [ids]?, "limit": N?,
 * "method": "propagation"|"zscore"|"random"?}, T an RFC 3339 time or unix seconds. */
#ifndef LS_SERVER_RCA_REQUEST_H
#define LS_SERVER_RCA_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/rca.h"
#include "common/err.h"

#define LS_RCA_MAX_NODES     10000                  /* ids in "nodes" */
#define LS_RCA_MAX_ID        512                    /* bytes of one id */
#define LS_RCA_MAX_LIMIT     1000                   /* "limit" */
#define LS_RCA_MAX_WINDOW_US (31LL * 86400000000LL) /* a window or baseline spans at most 31 d */
#define LS_RCA_BASELINE_US   3600000000LL           /* without "baseline": the hour before from */

struct ls_rca_request {
    int64_t from_us, to_us;           /* the analysis window [from, to) */
    int64_t base_from_us, base_to_us; /* the baseline window [from, to) */
    bool baseline_given;
    char **nodes; /* owned; NULL with n_nodes 0 = every node with telemetry in the window */
    size_t n_nodes;
    size_t limit; /* default 10 */
    enum ls_rca_method method;
};

/**
 * Parses body[0..len) (need not be NUL-terminated).
 * @param[out] out filled on LS_OK (zeroed first: cleanup is always safe)
 * @return LS_OK; LS_EINVAL with code malformed_json, expected_object, unknown_field,
 *         missing_field, invalid_time, invalid_window, invalid_nodes, invalid_limit or
 *         invalid_method and a message naming the field; LS_ELIMIT (too_many_nodes).
 * Pure and thread-safe.
 */
LS_MUST_CHECK int
ls_rca_request_parse(const char *body, size_t len, struct ls_rca_request *out, struct ls_err *err);
void ls_rca_request_cleanup(struct ls_rca_request *r);

#endif
