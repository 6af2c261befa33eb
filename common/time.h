/* Time: microseconds since the Unix epoch (UTC) as int64, RFC 3339 parse and format. */
#ifndef LS_COMMON_TIME_H
#define LS_COMMON_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/** Wall clock now, microseconds since the epoch. */
int64_t ls_time_now_us(void);
/** Monotonic clock, nanoseconds (for durations only). */
long long ls_time_mono_ns(void);

/**
 * Formats t (µs since the epoch) as RFC 3339 UTC with microseconds, e.g.
 * "2025-05-13T12:53:00.412345Z" (fraction omitted when zero). cap >= 32 suffices.
 * @return buf.
 */
char *ls_time_format_rfc3339(int64_t t, char *buf, size_t cap);

/**
 * Parses RFC 3339 ("2025-05-13T12:53:00Z", with optional fraction and ±hh:mm offset) and the
 * near forms producers send: a space instead of 'T' and no zone (read as UTC).
 * @param[out] out µs since the epoch
 * @return LS_OK, or LS_EINVAL naming the problem in err.
 */
LS_MUST_CHECK int ls_time_parse_rfc3339(int64_t *out, const char *s, struct ls_err *err);

#endif
