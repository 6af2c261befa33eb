/* Scenario cases through a landscaped, and their scoring (run.h). */
#include "tests/tools/scenario/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"

void ls_scn_case_init(struct ls_scn_case *c,
                      const struct ls_scn *s,
                      enum ls_fault_kind k,
                      unsigned trial,
                      int64_t t0,
                      int base_min,
                      int fault_min,
                      int step_s)
{
    int64_t from = t0 + (int64_t)base_min * 60000000LL;
    ls_scn_fault(&c->fault, s, k, trial, from, from + (int64_t)fault_min * 60000000LL);
    c->base_from = t0;
    c->step_us = (int64_t)step_s * 1000000LL;
}

int ls_scn_load(const struct ls_scn_transport *tr, const struct ls_scn *s, struct ls_err *err)
{
    char *body = json_dumps(s->bulk, JSON_COMPACT);
    long status = 0;
    json_t *answer = NULL;
    int rc = tr->request(tr->arg, "POST", "/v1/bulk", "application/json", body, strlen(body),
                         &status, &answer, err);
    free(body);
    json_decref(answer);
    if (rc == LS_OK && status != 200)
        rc = ls_err_set(err, LS_ERR, "bulk_refused", "POST /v1/bulk: status %ld", status);
    return rc;
}

static int post_lines(const struct ls_scn_transport *tr, struct ls_buf *b, struct ls_err *err)
{
    long status = 0;
    json_t *answer = NULL;
    int rc = tr->request(tr->arg, "POST", "/v1/telemetry", "text/plain", b->data, b->len, &status,
                         &answer, err);
    if (rc == LS_OK && status != 200)
        rc = ls_err_set(
            err, LS_ERR, "telemetry_refused", "POST /v1/telemetry: status %ld (%s)", status,
            answer ? json_string_value(json_object_get(json_object_get(answer, "error"), "message"))
                   : "no body");
    json_decref(answer);
    ls_buf_reset(b);
    return rc;
}

int ls_scn_play(const struct ls_scn_transport *tr,
                const struct ls_scn *s,
                const struct ls_scn_case *c,
                struct ls_err *err)
{
    unsigned char *roles = ls_xmalloc(s->n_nodes);
    int rc = ls_scn_roles(roles, s, &c->fault, err);
    struct ls_buf b, step;
    ls_buf_init(&b, 0);
    ls_buf_init(&step, 0);
    for (int64_t t = c->base_from; rc == LS_OK && t < c->fault.end_us; t += c->step_us) {
        ls_buf_reset(&step);
        rc = ls_scn_render(&step, s, t, &c->fault, roles);
        if (rc == LS_OK && b.len > 0 && b.len + step.len > tr->max_body)
            rc = post_lines(tr, &b, err);
        if (rc == LS_OK)
            rc = ls_buf_append(&b, step.data, step.len);
    }
    if (rc == LS_OK && b.len > 0)
        rc = post_lines(tr, &b, err);
    ls_buf_cleanup(&b);
    ls_buf_cleanup(&step);
    free(roles);
    return rc;
}

void ls_scn_ranking_cleanup(struct ls_scn_ranking *r)
{
    free(r->ids);
    r->ids = NULL;
    r->n = 0;
}

static void rank_push(struct ls_scn_ranking *r, const char *id)
{
    r->ids = ls_xrealloc(r->ids, (r->n + 1) * sizeof *r->ids);
    snprintf(r->ids[r->n++], sizeof r->ids[0], "%s", id);
}

int ls_scn_ask_rca(struct ls_scn_ranking *out,
                   const struct ls_scn_transport *tr,
                   const struct ls_scn_case *c,
                   int limit,
                   struct ls_err *err)
{
    char bf[40], f[40], t[40];
    ls_time_format_rfc3339(c->base_from, bf, sizeof bf);
    ls_time_format_rfc3339(c->fault.start_us, f, sizeof f);
    ls_time_format_rfc3339(c->fault.end_us, t, sizeof t);
    json_t *q = json_pack("{s:s,s:s,s:{s:s,s:s},s:i}", "from", f, "to", t, "baseline", "from", bf,
                          "to", f, "limit", limit);
    char *body = json_dumps(q, JSON_COMPACT);
    json_decref(q);
    long status = 0;
    json_t *answer = NULL;
    int rc = tr->request(tr->arg, "POST", "/v1/analytics/rca", "application/json", body,
                         strlen(body), &status, &answer, err);
    free(body);
    memset(out, 0, sizeof *out);
    json_t *causes = answer ? json_object_get(answer, "causes") : NULL;
    if (rc == LS_OK && (status == 404 || status == 405) && !json_is_array(causes))
        rc = ls_err_set(err, LS_ENOTFOUND, "rca_unavailable",
                        "POST /v1/analytics/rca: status %ld (not in this service)", status);
    else if (rc == LS_OK && (status != 200 || !json_is_array(causes)))
        rc = ls_err_set(err, LS_ERR, "rca_failed", "POST /v1/analytics/rca: status %ld", status);
    size_t i;
    json_t *cause;
    if (rc == LS_OK)
        json_array_foreach(causes, i, cause)
        {
            const char *id = json_string_value(json_object_get(cause, "id"));
            if (id)
                rank_push(out, id);
        }
    json_decref(answer);
    return rc;
}

struct scored {
    size_t node;
    double score;
};

static int by_score(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

void ls_scn_rank_zscore(struct ls_scn_ranking *out,
                        const struct ls_scn *s,
                        const struct ls_scn_case *c)
{
    unsigned char *roles = ls_xmalloc(s->n_nodes);
    if (ls_scn_roles(roles, s, &c->fault, NULL) != LS_OK)
        memset(roles, 0, s->n_nodes);
    struct scored *v = ls_xcalloc(s->n_nodes ? s->n_nodes : 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < s->n_nodes; i++) {
        if (!s->nodes[i].metrics)
            continue;
        double best = 0;
        for (int m = 0; m < LS_FAULT_METRIC_COUNT; m++) {
            if (!(s->nodes[i].metrics & (1u << m)))
                continue;
            double sum = 0, sum2 = 0, k = 0, fsum = 0, fk = 0;
            for (int64_t t = c->base_from; t < c->fault.end_us; t += c->step_us) {
                double x = ls_scn_value(s, i, (enum ls_fault_metric)m, t, &c->fault,
                                        (enum ls_fault_role)roles[i]);
                if (isnan(x)) /* not sent */
                    continue;
                if (t < c->fault.start_us) {
                    sum += x;
                    sum2 += x * x;
                    k++;
                } else {
                    fsum += x;
                    fk++;
                }
            }
            if (k < 2 || fk < 1)
                continue;
            double mean = sum / k, sd = sqrt(fmax(sum2 / k - mean * mean, 0.0));
            double z = fabs(fsum / fk - mean) / (sd > 1e-12 ? sd : 1e-12);
            if (z > best)
                best = z;
        }
        v[n++] = (struct scored){i, best};
    }
    qsort(v, n, sizeof *v, by_score);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        rank_push(out, s->nodes[v[i].node].id);
    free(v);
    free(roles);
}

void ls_scn_rank_random(struct ls_scn_ranking *out, const struct ls_scn *s, uint64_t seed)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].metrics)
            rank_push(out, s->nodes[i].id);
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    for (size_t i = out->n; i > 1; i--) { /* Fisher-Yates, xorshift64* */
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        size_t j = (size_t)((x * 2685821657736338717ULL) % i);
        char tmp[96];
        memcpy(tmp, out->ids[i - 1], sizeof tmp);
        memcpy(out->ids[i - 1], out->ids[j], sizeof tmp);
        memcpy(out->ids[j], tmp, sizeof tmp);
    }
}

void ls_scn_score_add(struct ls_scn_score *sc,
                      const struct ls_scn_ranking *r,
                      const char *root,
                      double w)
{
    sc->cases += w;
    for (size_t i = 0; i < r->n && i < 5; i++)
        if (strcmp(r->ids[i], root) == 0) {
            for (size_t k = i; k < 5; k++)
                sc->hits[k] += w;
            return;
        }
}

double ls_scn_score_ac(const struct ls_scn_score *sc, int k)
{
    return sc->cases > 0 && k >= 1 && k <= 5 ? sc->hits[k - 1] / sc->cases : 0.0;
}

double ls_scn_score_avg5(const struct ls_scn_score *sc)
{
    double a = 0;
    for (int k = 1; k <= 5; k++)
        a += ls_scn_score_ac(sc, k);
    return a / 5.0;
}
