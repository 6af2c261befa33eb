/* Node colour from series verdicts (colour.h): thresholds, staleness and the reasons list. */
#include "analytics/colour.h"

#include <math.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"

void ls_colour_params_default(struct ls_colour_params *p)
{
    *p = (struct ls_colour_params){
        .yellow = 0.5,
        .red = 0.82,
        .stale_us = 15 * 60 * INT64_C(1000000),
        .hold_us = 60 * 60 * INT64_C(1000000),
        .hold_samples = 5,
        .shift_us = 60 * 60 * INT64_C(1000000),
        .max_reasons = 5,
    };
}

const char *ls_colour_name(enum ls_colour c)
{
    static const char *const names[] = {"grey", "green", "yellow", "red"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "grey";
}

/* Worse first: higher score, then metric name (a stable order for equal scores). */
static int worse(const struct ls_colour_series *a, const struct ls_colour_series *b)
{
    if (a->verdict.score != b->verdict.score)
        return a->verdict.score > b->verdict.score;
    return strcmp(a->metric, b->metric) < 0;
}

void ls_colour_judge(struct ls_colour_node *out,
                     const struct ls_colour_series *series,
                     size_t n,
                     int64_t now,
                     const struct ls_colour_params *p)
{
    size_t max = p->max_reasons < LS_COLOUR_MAX_REASONS ? p->max_reasons : LS_COLOUR_MAX_REASONS;
    struct ls_colour_node c = {.colour = LS_COLOUR_GREY};
    int fresh = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ls_colour_series *s = &series[i];
        if (now - s->last_time > p->stale_us)
            continue;
        fresh = 1;
        if (s->verdict.score > c.score)
            c.score = s->verdict.score;
        if (s->verdict.score < p->yellow || max == 0)
            continue;
        /* insertion into the bounded, sorted reasons list */
        size_t at = c.nreasons;
        while (at > 0 && worse(s, c.reasons[at - 1]))
            at--;
        if (at >= max)
            continue;
        size_t last = c.nreasons < max ? c.nreasons : max - 1;
        memmove(&c.reasons[at + 1], &c.reasons[at], (last - at) * sizeof c.reasons[0]);
        c.reasons[at] = s;
        if (c.nreasons < max)
            c.nreasons++;
    }
    if (fresh)
        c.colour = c.score >= p->red      ? LS_COLOUR_RED
                   : c.score >= p->yellow ? LS_COLOUR_YELLOW
                                          : LS_COLOUR_GREEN;
    *out = c;
}

/* A finite number, or null (jansson refuses NaN and infinities). */
static json_t *num(double v)
{
    json_t *j = isfinite(v) ? json_real(v) : json_null();
    if (!j)
        ls_json_oom();
    return j;
}

json_t *ls_colour_node_json(const char *id, const struct ls_colour_node *c, enum ls_colour impact)
{
    json_t *reasons = json_array();
    if (!reasons)
        ls_json_oom();
    for (size_t i = 0; i < c->nreasons; i++) {
        const struct ls_anomaly_result *v = &c->reasons[i]->verdict;
        char since[40];
        json_t *r =
            json_pack("{s:s, s:o, s:[o,o], s:o, s:s, s:o}", "metric", c->reasons[i]->metric,
                      "value", num(v->value), "expected", num(v->lo), num(v->hi), "since",
                      v->since ? json_string(ls_time_format_rfc3339(v->since, since, sizeof since))
                               : json_null(),
                      "detector", v->detector ? v->detector : "unknown", "score", num(v->score));
        if (!r || json_array_append_new(reasons, r) != 0)
            ls_json_oom();
    }
    json_t *o =
        json_pack("{s:s, s:s, s:f, s:s, s:o}", "id", id, "colour", ls_colour_name(c->colour),
                  "score", c->score, "impact", ls_colour_name(impact), "reasons", reasons);
    if (!o)
        ls_json_oom();
    return o;
}
