/* The causes of one incident (incident.h ls_incident_rank), ranked by analytics/rca.h's
 * propagation method over the members' worst observations: one series per member (its worst
 * metric, the score it had while red or yellow and, when the colour said, the value and the
 * range it left: how far it went, so of two red nodes the one farther from its normal leads),
 * anomalous from the yellow threshold, walks as deep as the grouping's max_hops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/anomaly.h"
#include "analytics/incident.h"
#include "analytics/rca.h"

double ls_incident_out_of_range(double value, double lo, double hi)
{
    if (!(isfinite(value) && isfinite(lo) && isfinite(hi) && lo < hi))
        return -1;
    return fabs(value - 0.5 * (lo + hi)) / (0.5 * (hi - lo));
}

void ls_incident_rca_params(const struct ls_incident_params *p, struct ls_rca_params *rp)
{
    ls_rca_params_default(rp);
    rp->score_threshold = p->score_threshold;
    rp->max_depth = p->max_hops;
    rp->max_visit = p->max_walk;
    rp->limit = p->max_causes;
    rp->threads = p->threads;
}

void ls_incident_rank(const struct ls_snap *snap,
                      const struct ls_incident_member *members,
                      size_t n,
                      const struct ls_incident_params *p,
                      struct ls_incident_cause **out,
                      size_t *nout)
{
    *out = NULL;
    *nout = 0;
    struct ls_rca_series *series = ls_xcalloc(n + 1, sizeof *series);
    struct ls_rca_baseline *learned = ls_xcalloc(n + 1, sizeof *learned);
    for (size_t i = 0; i < n; i++) {
        const struct ls_incident_member *m = &members[i];
        series[i] = (struct ls_rca_series){
            .node = m->id,
            .metric = m->metric && *m->metric ? m->metric : "anomaly",
            .score = m->score,
            .went = m->went,
        };
        if (ls_incident_out_of_range(m->value, m->lo, m->hi) >= 0) {
            double half = 0.5 * (m->hi - m->lo);
            learned[i] = (struct ls_rca_baseline){m->lo + half, half / LS_ANOMALY_RANGE_SIGMAS};
            series[i].learned = &learned[i];
            series[i].win = &m->value;
            series[i].n_win = 1;
        }
    }
    struct ls_rca_params rp;
    ls_incident_rca_params(p, &rp);
    struct ls_rca_result r;
    struct ls_err err;
    /* the parameters are checked when the engine is made: a failure here is a bug */
    LS_ASSERT(ls_rca_rank(snap, series, n, &rp, &r, &err) == LS_OK);
    free(series);
    free(learned);
    ls_incident_causes_from_rca(&r, out, nout);
}

void ls_incident_causes_from_rca(struct ls_rca_result *r,
                                 struct ls_incident_cause **out,
                                 size_t *nout)
{
    struct ls_incident_cause *c = ls_xcalloc(r->n_causes + 1, sizeof *c);
    for (size_t i = 0; i < r->n_causes; i++) {
        struct ls_rca_cause *x = &r->causes[i];
        c[i] = (struct ls_incident_cause){x->id, x->score, x->reason, x->path, x->n_path};
        x->id = x->reason = NULL; /* moved */
        x->path = NULL;
        x->n_path = 0;
    }
    *out = c;
    *nout = r->n_causes;
    ls_rca_result_cleanup(r);
}

void ls_incident_causes_free(struct ls_incident_cause *c, size_t n)
{
    if (!c)
        return;
    for (size_t i = 0; i < n; i++) {
        free(c[i].id);
        free(c[i].reason);
        for (size_t k = 0; k < c[i].npath; k++)
            free(c[i].path[k]);
        free(c[i].path);
    }
    free(c);
}
