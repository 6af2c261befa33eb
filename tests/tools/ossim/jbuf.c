/* ossim: the growing JSON output buffer, time formatting and parsing, and the deterministic
 * UUIDs. List pages are rendered straight into a jb (no jansson) because they are large. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/tools/ossim/ossim_int.h"

void jb_init(struct jb *b, size_t cap)
{
    b->n = 0;
    b->cap = cap < 64 ? 64 : cap;
    b->p = malloc(b->cap);
    if (!b->p)
        abort();
    b->p[0] = '\0';
}

void jb_free(struct jb *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void jb_reserve(struct jb *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (b->n + extra + 1 > cap)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        abort();
    b->p = p;
    b->cap = cap;
}

void jb_mem(struct jb *b, const char *s, size_t n)
{
    jb_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void jb_raw(struct jb *b, const char *s)
{
    jb_mem(b, s, strlen(s));
}

void jb_printf(struct jb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->n;
    int n = vsnprintf(b->p + b->n, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if ((size_t)n >= room) {
        jb_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
    }
    b->n += (size_t)n;
}

void jb_str(struct jb *b, const char *s)
{
    if (!s) {
        jb_mem(b, "null", 4);
        return;
    }
    size_t len = strlen(s);
    jb_reserve(b, len * 6 + 2);
    char *o = b->p + b->n;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (ch == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (ch == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (ch < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(o, "\\u00", 4);
            o[4] = hex[ch >> 4];
            o[5] = hex[ch & 15];
            o += 6;
        } else {
            *o++ = (char)ch;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->n = (size_t)(o - b->p);
}

void jb_sep(struct jb *b)
{
    if (b->n == 0)
        return;
    char last = b->p[b->n - 1];
    if (last != '[' && last != '{' && last != ',' && last != ':')
        jb_mem(b, ",", 1);
}

int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

void fmt_time(int64_t t, int style, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    const char *tail = style == T_Z ? "Z" : style == T_USEC_Z ? ".000000Z" : ".000000";
    char sep = style == T_SPACE ? ' ' : 'T';
    if (style == T_SPACE)
        tail = "";
    int n = snprintf(out, cap, "%04d-%02d-%02d%c%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, sep, tm.tm_hour, tm.tm_min, tm.tm_sec, tail);
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0'; /* a year past 9999 does not fit the caller's buffer */
}

void jb_time(struct jb *b, int64_t t, int style)
{
    if (t < 0) {
        jb_mem(b, "null", 4);
        return;
    }
    char s[40];
    fmt_time(t, style, s, sizeof(s));
    jb_reserve(b, 42);
    b->p[b->n++] = '"';
    size_t n = strlen(s);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n++] = '"';
    b->p[b->n] = '\0';
}

static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

bool parse_time(const char *s, int64_t *out)
{
    const char *p = s;
    struct tm tm = {0};
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return false;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return false;
    int d = digits(&p, 2);
    if (d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
        return false;
    p++;
    int h = digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return false;
    int mi = digits(&p, 2);
    if (mi < 0 || mi > 59)
        return false;
    int sec = 0;
    if (*p == ':') {
        p++;
        sec = digits(&p, 2);
        if (sec < 0 || sec > 60)
            return false;
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') {
        int sign = *p == '-' ? -1 : 1; /* a '+' may arrive decoded as a space */
        p++;
        int oh = digits(&p, 2);
        if (oh < 0)
            return false;
        if (*p == ':')
            p++;
        int om = digits(&p, 2);
        if (om < 0)
            return false;
        off = sign * (oh * 3600 + om * 60);
    }
    if (*p)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - off;
    return true;
}

/* ---- ids ---- */

#define SEED 0x6f7373696d5eedULL

uint64_t mix64(uint64_t x)
{
    /* splitmix64's finalizer */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void make_uuid(int kind, int idx, struct uuid *out)
{
    uint64_t x = SEED ^ ((uint64_t)kind << 40) ^ (uint64_t)(uint32_t)idx;
    uint64_t a = mix64(x), b = mix64(x ^ 0xa5a5a5a5a5a5a5a5ULL);
    for (int i = 0; i < 8; i++) {
        out->b[i] = (uint8_t)(a >> (56 - 8 * i));
        out->b[8 + i] = (uint8_t)(b >> (56 - 8 * i));
    }
    out->b[6] = (uint8_t)((out->b[6] & 0x0f) | 0x40); /* version 4 */
    out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

void uuid_fmt(const struct uuid *u, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u->b[i] >> 4];
        out[o++] = hex[u->b[i] & 15];
    }
    out[o] = '\0';
}

void id_str(int kind, int idx, char out[37])
{
    struct uuid u;
    make_uuid(kind, idx, &u);
    uuid_fmt(&u, out);
}

void jb_id(struct jb *b, int kind, int idx)
{
    char s[37];
    id_str(kind, idx, s);
    jb_reserve(b, 40);
    b->p[b->n++] = '"';
    memcpy(b->p + b->n, s, 36);
    b->n += 36;
    b->p[b->n++] = '"';
    b->p[b->n] = '\0';
}
