/* Node colour from its series' anomaly verdicts (issue 13, item 2): green / yellow / red, or
 * grey when no series has a recent sample, with a score and the reasons an operator reads
 * (metric, value, expected range, since when, detector). Pure functions on the data's clock;
 * where the verdicts are kept and when colours are served is the caller's business. */
#ifndef LS_ANALYTICS_COLOUR_H
#define LS_ANALYTICS_COLOUR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analytics/anomaly.h"

#define LS_COLOUR_MAX_REASONS 8

enum ls_colour {
    LS_COLOUR_GREY = 0, /* no recent data */
    LS_COLOUR_GREEN,
    LS_COLOUR_YELLOW,
    LS_COLOUR_RED,
};

struct ls_colour_params {
    double yellow; /* score at or above which a series makes its node yellow */
    double red;    /* ... red (default 0.82: on NAB, 98 of 116 windows found; docs/benchmarks.md) */
    int64_t stale_us;      /* a series whose last sample is older than this (before `now`) is out */
    int64_t hold_us;       /* a series keeps its worst verdict for hold_samples samples but at most
                              this long (data clock): one anomalous sample in a batch colours its
                              node past the end of the batch, and a live one for a few samples */
    unsigned hold_samples; /* at most LS_WATCH_HOLD_MAX (analytics/watch.h) */
    int64_t shift_us;      /* a series that turned red by leaving its expected range, and stays
                              at least half its excursion out of that range after the detector
                              took the new level as normal, keeps its node yellow this long
                              (data clock; detector "still_shifted"); 0: never */
    size_t max_reasons;    /* <= LS_COLOUR_MAX_REASONS */
};

/** One series of a node: its name and its latest verdict. Borrowed by the functions below. */
struct ls_colour_series {
    const char *metric;               /* "cpu.util" or "metric/series" */
    int64_t last_time;                /* µs, time of its latest sample */
    struct ls_anomaly_result verdict; /* of that sample */
};

/** A node's colour: reasons point into the series array passed to ls_colour_judge. */
struct ls_colour_node {
    enum ls_colour colour;
    double score; /* the highest score among fresh series (0 when grey) */
    size_t nreasons;
    const struct ls_colour_series *reasons[LS_COLOUR_MAX_REASONS]; /* worst first */
};

/** yellow 0.5, red 0.82, stale 15 minutes, hold 5 samples within an hour, a shifted level
 *  kept yellow for an hour, 5 reasons. */
void ls_colour_params_default(struct ls_colour_params *p);

/**
 * Judges a node from its n series at time `now` (µs, the data's clock: the newest sample
 * time the caller has seen, never the wall clock). Series older than stale_us are left out;
 * none left: grey. Reasons are the fresh series scoring >= yellow, worst first (ties by
 * metric name), at most max_reasons. Borrowed: out->reasons are valid while series is.
 */
void ls_colour_judge(struct ls_colour_node *out,
                     const struct ls_colour_series *series,
                     size_t n,
                     int64_t now,
                     const struct ls_colour_params *p);

/** "grey", "green", "yellow", "red". */
const char *ls_colour_name(enum ls_colour c);

/**
 * The contract shape of one node in GET /v1/analytics/colours (new reference):
 * {"id", "colour", "score", "impact", "reasons": [{"metric", "value", "expected": [lo, hi],
 * "since", "detector", "score"}]}; "since" is RFC 3339 or null. impact: the colour the node
 * takes from what it runs on or depends on (computed by the caller).
 */
json_t *ls_colour_node_json(const char *id, const struct ls_colour_node *c, enum ls_colour impact);

#endif
