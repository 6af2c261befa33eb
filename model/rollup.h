/* Per-minute telemetry rollups in the making: count, min, max and sum per node, metric[/series]
 * and minute, for the minutes still open. A minute closes `grace` after its end on the data's
 * clock: the Kafka consumer's low mark (the oldest newest-sample-time over its partitions that
 * are receiving data; ls_rollup_set_clock; held while one has not delivered yet), or without
 * a consumer the newest sample time added — never past the wall clock. So a consumer replaying an
 * hour of records closes minutes as its data passes them, and a broker outage closes nothing.
 * Closed minutes are taken by the flusher, written to Postgres once (sql/store.h
 * ls_store_rollups_write), and the watermark says up to where everything is durable — the consumer
 * stores a record's offset only once every minute its samples touched is below it. A sample for a
 * minute already closed is late: counted, not added (the written row stays as it was). The last
 * minutes stay open until newer data passes them. Thread-safe. */
#ifndef LS_MODEL_ROLLUP_H
#define LS_MODEL_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_MINUTE_US      60000000LL
#define LS_ROLLUP_IDLE_US 5000000LL /* no sample for this long: close by the wall clock alone */

struct ls_rollup;

/** One closed (or open) minute of one series. Strings owned by the row array. */
struct ls_rollup_row {
    char *node_id;
    char *metric; /* "metric" or "metric/series" (the key GET .../telemetry uses) */
    char *unit;
    int64_t minute_us; /* start of the minute */
    uint64_t count;
    double min, max, sum;
};

/** grace_us: how long after its end a minute stays open for stragglers. */
struct ls_rollup *ls_rollup_new(int64_t grace_us);
void ls_rollup_free(struct ls_rollup *r);

/** Adds one value (the value the live state took: a rate for counters). false: the minute
 *  is closed (a late sample; counted). */
bool ls_rollup_add(struct ls_rollup *r,
                   const char *node_id,
                   const char *metric,
                   const char *unit,
                   int64_t t_us,
                   double value);

/**
 * Takes the minutes closed at now_us (ending at or before the data's clock - grace; the clock
 * is capped at now_us) out of the accumulator. *through_us = the boundary: every minute ending at
 * or before it is in *out or was taken before. Caller writes them, then calls
 * ls_rollup_flushed(through) or, on failure, ls_rollup_putback. Frees with ls_rollup_rows_free.
 */
size_t ls_rollup_take(struct ls_rollup *r,
                      int64_t now_us,
                      struct ls_rollup_row **out,
                      int64_t *through_us);
/**
 * The data's clock, from the Kafka consumer: its low mark (µs; the clock only moves forward),
 * LS_ROLLUP_CLOCK_HOLD (a partition it was assigned has not delivered yet, or none is
 * assigned: nothing closes past the clock it set last), or LS_ROLLUP_CLOCK_FREE (every
 * partition is idle: the newest sample time added is the clock, as without a consumer).
 * Until the first call the clock is free.
 */
void ls_rollup_set_clock(struct ls_rollup *r, int64_t t_us);
#define LS_ROLLUP_CLOCK_HOLD (-1)
#define LS_ROLLUP_CLOCK_FREE 0
/** The rows taken up to through_us are durable: the watermark moves there. */
void ls_rollup_flushed(struct ls_rollup *r, int64_t through_us);
/** A write failed: the rows go back (merged with anything added meanwhile); rows freed. */
void ls_rollup_putback(struct ls_rollup *r, struct ls_rollup_row *rows, size_t n);
void ls_rollup_rows_free(struct ls_rollup_row *rows, size_t n);

/** Every minute ending at or before this is durable (0 before the first flush; then the
 *  boundary of the last successful one). */
int64_t ls_rollup_watermark(struct ls_rollup *r);

/** The end of the minute holding t. */
static inline int64_t ls_minute_end(int64_t t_us)
{
    int64_t m = t_us - ((t_us % LS_MINUTE_US) + LS_MINUTE_US) % LS_MINUTE_US;
    return m + LS_MINUTE_US;
}

struct ls_rollup_stats {
    uint64_t added, late;
    size_t open_rows;
    int64_t watermark_us;
};
void ls_rollup_stats(struct ls_rollup *r, struct ls_rollup_stats *out);

#endif
