/* Fuzz target: the body of POST /v1/analytics/rca as ls_rca_request_parse reads it
 * (server/rca_request.c). Checks: an accepted request has a window and a baseline with to after
 * from, a limit in 1-LS_RCA_MAX_LIMIT and at most LS_RCA_MAX_NODES non-empty ids; a refusal
 * says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/rca_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "ls_rca_request_parse: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_rca_request q;
    struct ls_err err = {0};
    if (ls_rca_request_parse((const char *)data, size, &q, &err) == LS_OK) {
        if (q.to_us <= q.from_us || q.base_to_us <= q.base_from_us)
            fail("accepted an empty window");
        if (q.limit < 1 || q.limit > LS_RCA_MAX_LIMIT)
            fail("limit out of range");
        if (q.n_nodes > LS_RCA_MAX_NODES)
            fail("too many nodes");
        for (size_t i = 0; i < q.n_nodes; i++)
            if (!q.nodes[i] || !q.nodes[i][0] || strlen(q.nodes[i]) > LS_RCA_MAX_ID)
                fail("bad node id accepted");
    } else if (!err.code || !err.msg[0]) {
        fail("refused without a reason");
    }
    ls_rca_request_cleanup(&q);
    return 0;
}
