/* landscape-elim's one line: LSF/OpenLava's external load information manager protocol, read
 * by the LIM from the elim's stdout: "N name1 value1 ... nameN valueN\n", here
 * "2 rank R lscore S" for one host, from Landscape's recommendation answer
 * (POST /v1/placement/recommendations with an empty request: every host that is not red,
 * disabled or down, best first). Pure: no I/O. */
#ifndef LS_IMPORTERS_CLIENT_ELIM_H
#define LS_IMPORTERS_CLIENT_ELIM_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define LS_ELIM_UNRANKED 100000 /* rank of a host Landscape excludes or does not know */

/**
 * Appends the elim line for host (matched to an answer's "host" exactly, or by its short
 * name: the part before the first '.') to out: rank = 1-based position in the answer, score
 * its 0..100 score; a host not in the answer gets rank LS_ELIM_UNRANKED and score 0.
 * @return LS_OK; LS_EINVAL (`bad_answer`) when the answer is not a recommendations answer.
 */
LS_MUST_CHECK int ls_elim_line(
    const char *answer, size_t len, const char *host, struct ls_buf *out, struct ls_err *err);

#endif
