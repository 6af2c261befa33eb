/* logfmt / JSON-lines logger. Formats into a stack buffer and writes once, so lines from
 * different threads never interleave. */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/time.h"

static enum ls_log_level max_level = LS_LOG_INFO;
static bool json_lines;
static char debug_mods[8][32];
static int n_debug_mods;
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"error", "warn", "info", "debug"};

void ls_log_set_level(enum ls_log_level level)
{
    max_level = level;
}

void ls_log_set_json(bool json)
{
    json_lines = json;
}

bool ls_log_parse_level(const char *s, enum ls_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum ls_log_level)i;
            return true;
        }
    }
    return false;
}

void ls_log_debug_module(const char *mod)
{
    if (n_debug_mods < 8)
        snprintf(debug_mods[n_debug_mods++], sizeof(debug_mods[0]), "%s", mod);
}

bool ls_log_enabled(enum ls_log_level level, const char *mod)
{
    if (level <= max_level)
        return true;
    if (level == LS_LOG_DEBUG) {
        for (int i = 0; i < n_debug_mods; i++)
            if (strcmp(debug_mods[i], mod) == 0)
                return true;
    }
    return false;
}

/* Appends s quoted for logfmt or JSON (both escape " and \ and control characters). */
static size_t put_quoted(char *buf, size_t off, size_t cap, const char *s)
{
    if (off < cap)
        buf[off++] = '"';
    for (; *s && off + 2 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[off++] = '\\';
            buf[off++] = (char)c;
        } else if (c < 0x20) {
            buf[off++] = ' ';
        } else {
            buf[off++] = (char)c;
        }
    }
    if (off < cap)
        buf[off++] = '"';
    return off;
}

void ls_log(enum ls_log_level level, const char *mod, const char *msg, const char *kvfmt, ...)
{
    if (!ls_log_enabled(level, mod))
        return;
    char line[2048];
    char ts[40];
    ls_time_format_rfc3339(ls_time_now_us(), ts, sizeof(ts));
    size_t off = 0, cap = sizeof(line) - 2;
    char kv[1500] = "";
    if (kvfmt != NULL) {
        va_list ap;
        va_start(ap, kvfmt);
        vsnprintf(kv, sizeof(kv), kvfmt, ap);
        va_end(ap);
    }
    if (json_lines) {
        int n = snprintf(line, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"mod\":\"%s\",\"msg\":", ts,
                         level_names[level], mod);
        off = n > 0 ? (size_t)n : 0;
        off = put_quoted(line, off, cap, msg);
        if (kv[0]) {
            n = snprintf(line + off, cap - off, ",\"kv\":");
            off += n > 0 ? (size_t)n : 0;
            off = put_quoted(line, off, cap, kv);
        }
        if (off < cap)
            line[off++] = '}';
    } else {
        int n = snprintf(line, cap, "ts=%s level=%s mod=%s msg=", ts, level_names[level], mod);
        off = n > 0 ? (size_t)n : 0;
        off = put_quoted(line, off, cap, msg);
        if (kv[0] && off < cap) {
            n = snprintf(line + off, cap - off, " %s", kv);
            off += n > 0 ? (size_t)n : 0;
        }
    }
    if (off > cap)
        off = cap;
    line[off++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, off);
    (void)w;
}

bool ls_log_allow(struct ls_log_limit *lim, double interval_s)
{
    long long now = ls_time_mono_ns();
    bool ok;
    pthread_mutex_lock(&limit_lock);
    if (lim->last_ns == 0 || (double)(now - lim->last_ns) >= interval_s * 1e9) {
        lim->last_ns = now;
        ok = true;
    } else {
        lim->suppressed++;
        ok = false;
    }
    pthread_mutex_unlock(&limit_lock);
    return ok;
}
