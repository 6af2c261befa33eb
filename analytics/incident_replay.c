/* An incident's causes over the raw samples the service holds (incident.h
 * ls_incident_rank_replay): analytics/rca_replay.h over the members and what lies within
 * max_hops of them, from LS_INCIDENT_LEAD_US before the incident opened to now, against the
 * LS_INCIDENT_BASELINE_US before that; the members' worst observations when that names no
 * cause. */
#include <stdlib.h>

#include "analytics/incident.h"
#include "analytics/incident_walk.h"
#include "analytics/rca_replay.h"
#include "common/map.h"

/* The members and the nodes within p->max_hops of them (hubs reached, not walked through),
 * at most p->max_walk in all, members first. Ids borrowed from members and snap. */
static const char **neighbourhood(const struct ls_snap *snap,
                                  const struct ls_incident_member *members,
                                  size_t n,
                                  const struct ls_incident_params *p,
                                  size_t *nids)
{
    size_t cap = p->max_walk > n ? p->max_walk : n;
    const char **ids = ls_xcalloc(cap + 1, sizeof *ids);
    struct ls_map seen;
    ls_map_init_borrowing(&seen);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!ls_map_put(&seen, members[i].id, &seen))
            ids[k++] = members[i].id;
    for (size_t i = 0; i < n && k < cap; i++) {
        struct ls_walk_step *steps;
        size_t ns;
        ls_incident_walk(snap, members[i].id, p->max_hops, p->max_walk, &steps, &ns);
        for (size_t s = 0; s < ns && k < cap; s++)
            if (!ls_map_get(&seen, steps[s].id)) {
                ls_map_put(&seen, steps[s].id, &seen);
                ids[k++] = steps[s].id;
            }
        free(steps);
    }
    ls_map_cleanup(&seen);
    *nids = k;
    return ids;
}

void ls_incident_rank_replay(struct ls_samples *raw,
                             const struct ls_incident_ranking *in,
                             struct ls_incident_cause **out,
                             size_t *nout,
                             struct ls_err *err)
{
    if (raw && in->n > 0) {
        size_t nids;
        const char **ids = neighbourhood(in->snap, in->members, in->n, in->p, &nids);
        int64_t from = in->opened_at - LS_INCIDENT_LEAD_US;
        struct ls_rca_replay w = {.from_us = from,
                                  .to_us = (in->now > in->opened_at ? in->now : in->opened_at) + 1,
                                  .base_from_us = from - LS_INCIDENT_BASELINE_US,
                                  .base_to_us = from,
                                  .nodes = ids,
                                  .n_nodes = nids};
        struct ls_rca_params rp;
        ls_incident_rca_params(in->p, &rp);
        struct ls_rca_result r;
        int rc = ls_rca_replay_rank(raw, in->snap, &w, &rp, &r, err);
        free(ids);
        if (rc == LS_OK && r.n_causes > 0) {
            ls_incident_causes_from_rca(&r, out, nout);
            return;
        }
        if (rc == LS_OK)
            ls_rca_result_cleanup(&r);
    }
    ls_incident_rank(in->snap, in->members, in->n, in->p, out, nout);
}
