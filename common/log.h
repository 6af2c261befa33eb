/* One logging call: one logfmt (or JSON) line per event on stderr (STYLE.md 2.6).
 * Thread-safe; lines are written with a single write(2). */
#ifndef LS_COMMON_LOG_H
#define LS_COMMON_LOG_H

#include <stdbool.h>

enum ls_log_level { LS_LOG_ERROR = 0, LS_LOG_WARN = 1, LS_LOG_INFO = 2, LS_LOG_DEBUG = 3 };

/**
 * Logs `ts=… level=… mod=… msg="…" <kv>` where kv is the printf-formatted key=value tail
 * (may be NULL). Lines above the configured level are dropped.
 */
void ls_log(enum ls_log_level level, const char *mod, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Sets the maximum level logged (default info). */
void ls_log_set_level(enum ls_log_level level);
/** Parses "error|warn|info|debug"; returns false on anything else. */
bool ls_log_parse_level(const char *s, enum ls_log_level *out);
/** Enables debug lines for one module name only (repeatable), whatever the level. */
void ls_log_debug_module(const char *mod);
/** Switches between logfmt (false, default) and JSON lines (true). */
void ls_log_set_json(bool json);
/** True when a line at this level for this module would be written. */
bool ls_log_enabled(enum ls_log_level level, const char *mod);

/**
 * Rate limiter for repeated lines: returns true at most once per `interval_s` per limiter,
 * and counts the suppressed calls in *suppressed (read and reset by the caller that logs).
 */
struct ls_log_limit {
    long long last_ns;        /* monotonic time of the last allowed line */
    unsigned long suppressed; /* calls refused since then */
};
bool ls_log_allow(struct ls_log_limit *lim, double interval_s);

#endif
