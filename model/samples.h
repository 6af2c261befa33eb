/* Raw samples kept for replay and root-cause analysis (issue 13, item 6): every value a series
 * is given, at its own timestamp (down to 1 µs, so 1 s data stays 1 s), whether or not it is
 * newer than the live state's last value — a batch of past samples posted after newer ones
 * is still analysable. Counters are kept as given (cumulative) and read back as rates.
 *
 * Bounded in memory, on the data's clock: points older than (newest sample time held -
 * retention) are never read, and dropped as their series take new points or by
 * ls_samples_prune; past max_points in all a new point is refused and counted. Not
 * persisted: a restart starts empty (the per-minute rollups in Postgres are the durable
 * history). Thread-safe (striped locks). */
#ifndef LS_MODEL_SAMPLES_H
#define LS_MODEL_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ls_samples;
struct ls_map;

/** retention_us > 0; max_points > 0. Caller frees with ls_samples_free. */
struct ls_samples *ls_samples_new(int64_t retention_us, size_t max_points);
void ls_samples_free(struct ls_samples *s);

enum ls_samples_added {
    LS_SAMPLES_ADDED = 0,
    LS_SAMPLES_DUPLICATE, /* the series has a point at that time already: kept as it was */
    LS_SAMPLES_EXPIRED,   /* older than the retention horizon */
    LS_SAMPLES_FULL,      /* max_points reached (counted) */
    LS_SAMPLES_INVALID,   /* not finite */
};

/** Keeps one point of series `key` ("metric" or "metric/series") of node_id; strings copied. */
enum ls_samples_added ls_samples_add(struct ls_samples *s,
                                     const char *node_id,
                                     const char *key,
                                     bool counter,
                                     double value,
                                     int64_t t_us);

/**
 * Called once per series with points in [from_us, to_us) and not past the retention: times
 * (µs) and values, in time order; counters as rates per second between consecutive points held
 * (a drop is a reset: value / interval), so a counter's first point held gives none. Arrays
 * borrowed for the call. fn runs under the series' stripe lock: it must not call back into s.
 */
typedef void (*ls_samples_visit)(const char *node_id,
                                 const char *key,
                                 const int64_t *t_us,
                                 const double *v,
                                 size_t n,
                                 void *arg);
/** Every series (node_id NULL) or one node's, in no particular order. Returns series visited. */
size_t ls_samples_range(struct ls_samples *s,
                        const char *node_id,
                        int64_t from_us,
                        int64_t to_us,
                        ls_samples_visit fn,
                        void *arg);

#define LS_SAMPLES_MAX_SPANS 4

/**
 * Called once per series with its points in each span asked (ls_samples_range_spans): span
 * i's times and values are t[i][0..n[i]) (n[i] 0: none there), as ls_samples_visit's.
 */
typedef void (*ls_samples_visit_spans)(const char *node_id,
                                       const char *key,
                                       const int64_t *const *t,
                                       const double *const *v,
                                       const size_t *n,
                                       void *arg);
/**
 * ls_samples_range over n_spans (1..LS_SAMPLES_MAX_SPANS) windows [spans[i][0], spans[i][1])
 * at once: one sweep of the store, each series visited once with all its windows (a series
 * with no point in any is skipped). Returns series visited; 0 for a bad n_spans.
 */
size_t ls_samples_range_spans(struct ls_samples *s,
                              const char *node_id,
                              const int64_t (*spans)[2],
                              size_t n_spans,
                              ls_samples_visit_spans fn,
                              void *arg);

/**
 * ls_samples_range_spans over part `part` (0 <= part < n_parts, n_parts 1..LS_SAMPLES_MAX_PARTS)
 * of the store: the parts visit every series once between them, and taken in part order the
 * same series in the same order as one sweep. Distinct parts may be swept at the same time
 * from different threads (each with its own fn arg). nodes: the node ids whose series are
 * visited (a set: its values are not read; only read, so parts may share it), or NULL for
 * every node; a series of another node costs one lookup, its points are not read. Returns
 * series visited; 0 for a bad part, n_parts or n_spans.
 */
#define LS_SAMPLES_MAX_PARTS 16
size_t ls_samples_range_spans_part(struct ls_samples *s,
                                   const struct ls_map *nodes,
                                   const int64_t (*spans)[2],
                                   size_t n_spans,
                                   size_t part,
                                   size_t n_parts,
                                   ls_samples_visit_spans fn,
                                   void *arg);

/** Drops every point older than the horizon (newest time held - retention) and empty series. */
void ls_samples_prune(struct ls_samples *s);

struct ls_samples_stats {
    size_t points, series;
    uint64_t refused_full; /* points refused at max_points */
    int64_t newest_us;     /* the data's clock: newest sample time held (0: none yet) */
    int64_t retention_us;
    size_t max_points;
};
void ls_samples_stats(struct ls_samples *s, struct ls_samples_stats *out);

#endif
