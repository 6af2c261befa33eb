/* ls_json_parse: recursive descent over the input bytes; jansson builds the values. */
#include "common/json_parse.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct parser {
    const unsigned char *p, *start, *end;
    int depth;
    char *scratch; /* unescaped strings, number text: valid until the next use */
    size_t cap;
    struct ls_json_parse_error *e;
};

__attribute__((format(printf, 3, 4))) static json_t *
fail(struct parser *ps, const unsigned char *at, const char *fmt, ...)
{
    if (ps->e && ps->e->text[0] == '\0') { /* the first error found is the one reported */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->e->text, sizeof(ps->e->text), fmt, ap);
        va_end(ap);
        ps->e->position = (size_t)(at - ps->start);
    }
    return NULL;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

/* Room for `more` bytes after the first `used` of the scratch buffer. */
static char *scratch_at(struct parser *ps, size_t used, size_t more)
{
    if (used + more > ps->cap) {
        size_t cap = ps->cap ? ps->cap : 256;
        while (cap < used + more)
            cap *= 2;
        ps->scratch = ls_xrealloc(ps->scratch, cap);
        ps->cap = cap;
    }
    return ps->scratch + used;
}

static void scratch_put(struct parser *ps, size_t *used, const void *bytes, size_t n)
{
    if (n == 0)
        return;
    memcpy(scratch_at(ps, *used, n), bytes, n);
    *used += n;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* The four hex digits at q as a number, or -1. */
static long hex4(const unsigned char *q, const unsigned char *end)
{
    if (end - q < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = q[i];
        int d = c >= '0' && c <= '9'   ? (int)(c - '0')
                : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10)
                : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10)
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(struct parser *ps, size_t *used, long cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    scratch_put(ps, used, b, n);
}

/* The \u escape whose 'u' is at *q (advanced past it and a low surrogate that pairs with it),
 * appended as UTF-8. */
static bool unicode_escape(struct parser *ps, const unsigned char **q, size_t *used)
{
    const unsigned char *at = *q - 1;
    long cp = hex4(*q + 1, ps->end);
    if (cp < 0) {
        fail(ps, at, "invalid \\u escape");
        return false;
    }
    *q += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low =
            ps->end - *q >= 2 && (*q)[0] == '\\' && (*q)[1] == 'u' ? hex4(*q + 2, ps->end) : -1;
        if (low < 0xDC00 || low > 0xDFFF) {
            fail(ps, at, "invalid Unicode: high surrogate \\u%04lX without its low half", cp);
            return false;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        *q += 6;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(ps, at, "invalid Unicode: lone low surrogate \\u%04lX", cp);
        return false;
    } else if (cp == 0) {
        fail(ps, at, "\\u0000 is not allowed in a string");
        return false;
    }
    put_utf8(ps, used, cp);
    return true;
}

/* The string whose opening quote is at ps->p: *out and *len are its bytes, in the input when it
 * has no escape, else in the scratch buffer. */
static bool scan_string(struct parser *ps, const char **out, size_t *len)
{
    const unsigned char *run = ps->p + 1, *q = run, *end = ps->end;
    size_t used = 0;
    bool escaped = false;
    for (;;) {
        while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
            q++;
        if (q == end) {
            fail(ps, q, "premature end of input in a string");
            return false;
        }
        unsigned c = *q;
        if (c == '"')
            break;
        if (c < 0x20) {
            fail(ps, q, "control character 0x%x in a string", c);
            return false;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(q, end);
            if (n == 0) {
                fail(ps, q, "invalid UTF-8 in a string");
                return false;
            }
            q += n;
            continue;
        }
        /* a backslash: from here on the string is built in the scratch buffer */
        escaped = true;
        scratch_put(ps, &used, run, (size_t)(q - run));
        if (end - q < 2) {
            fail(ps, q, "premature end of input in a string");
            return false;
        }
        static const char plain[] = "\"\\/bfnrt", made[] = "\"\\/\b\f\n\r\t";
        const char *k = q[1] ? strchr(plain, q[1]) : NULL;
        if (k) {
            scratch_put(ps, &used, &made[k - plain], 1);
            q += 2;
        } else if (q[1] == 'u') {
            q++;
            if (!unicode_escape(ps, &q, &used))
                return false;
        } else {
            fail(ps, q, "invalid escape '\\%c' in a string", q[1]);
            return false;
        }
        run = q;
    }
    if (escaped) {
        scratch_put(ps, &used, run, (size_t)(q - run));
        *out = ps->scratch;
        *len = used;
    } else {
        *out = (const char *)run;
        *len = (size_t)(q - run);
    }
    ps->p = q + 1;
    return true;
}

static bool digit(const struct parser *ps, const unsigned char *q)
{
    return q < ps->end && *q >= '0' && *q <= '9';
}

static json_t *parse_number(struct parser *ps)
{
    const unsigned char *s = ps->p, *q = s;
    bool neg = *q == '-', real = false;
    q += neg;
    if (!digit(ps, q))
        return fail(ps, s, "invalid token");
    if (*q == '0') {
        q++;
        if (digit(ps, q))
            return fail(ps, s, "invalid token: a number with a leading zero");
    } else {
        while (digit(ps, q))
            q++;
    }
    if (q < ps->end && *q == '.') {
        q++;
        if (!digit(ps, q))
            return fail(ps, s, "invalid token: no digit after the decimal point");
        while (digit(ps, q))
            q++;
        real = true;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (!digit(ps, q))
            return fail(ps, s, "invalid token: no digit in the exponent");
        while (digit(ps, q))
            q++;
        real = true;
    }
    ps->p = q;
    if (!real) {
        unsigned long long v = 0, limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
        for (const unsigned char *d = s + neg; d < q; d++) {
            unsigned dv = (unsigned)(*d - '0');
            if (v > (limit - dv) / 10)
                return fail(ps, s, "too big %sinteger", neg ? "negative " : "");
            v = v * 10 + dv;
        }
        json_int_t i =
            neg ? (v > (unsigned long long)LLONG_MAX ? LLONG_MIN : -(json_int_t)v) : (json_int_t)v;
        return json_integer(i);
    }
    size_t n = (size_t)(q - s);
    char *txt = scratch_at(ps, 0, n + 1);
    memcpy(txt, s, n);
    txt[n] = '\0';
    errno = 0;
    double d = strtod(txt, NULL);
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
        return fail(ps, s, "real number overflow");
    return json_real(d);
}

static json_t *parse_value(struct parser *ps);

/* Past white space, the next byte is `close` (taken: true) or a separator ',' (taken: false);
 * anything else is an error (-1). */
static int next_item(struct parser *ps, char close, const char *what)
{
    skip_ws(ps);
    if (ps->p == ps->end) {
        fail(ps, ps->p, "premature end of input in %s", what);
        return -1;
    }
    if (*ps->p == ',') {
        ps->p++;
        skip_ws(ps);
        return 0;
    }
    if (*ps->p == (unsigned char)close) {
        ps->p++;
        return 1;
    }
    fail(ps, ps->p, "',' or '%c' expected in %s", close, what);
    return -1;
}

/* Past a container's opening bracket and the white space after it: true when `close` follows
 * at once (taken: the container is empty). */
static bool closes_at_once(struct parser *ps, char close)
{
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (unsigned char)close) {
        ps->p++;
        return true;
    }
    return false;
}

static json_t *parse_object(struct parser *ps)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return fail(ps, ps->p, "out of memory");
    if (closes_at_once(ps, '}'))
        return obj;
    for (;;) {
        if (ps->p == ps->end || *ps->p != '"') {
            fail(ps, ps->p,
                 ps->p == ps->end ? "premature end of input in an object"
                                  : "string or '}' expected");
            break;
        }
        const char *key;
        size_t klen;
        if (!scan_string(ps, &key, &klen))
            break;
        char *owned = NULL; /* an unescaped key: the value's parse reuses the scratch buffer */
        if (key == ps->scratch) {
            owned = ls_xmalloc(klen + 1);
            memcpy(owned, key, klen);
            key = owned;
        }
        skip_ws(ps);
        json_t *v = NULL;
        if (ps->p == ps->end || *ps->p != ':') {
            fail(ps, ps->p, "':' expected");
        } else {
            ps->p++;
            skip_ws(ps);
            v = parse_value(ps);
        }
        int rc = v ? json_object_setn_new_nocheck(obj, key, klen, v) : -1;
        free(owned);
        if (rc != 0) {
            if (v)
                fail(ps, ps->p, "out of memory");
            break;
        }
        int more = next_item(ps, '}', "an object");
        if (more == 1)
            return obj;
        if (more < 0)
            break;
    }
    json_decref(obj);
    return NULL;
}

static json_t *parse_array(struct parser *ps)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return fail(ps, ps->p, "out of memory");
    if (closes_at_once(ps, ']'))
        return arr;
    for (;;) {
        json_t *v = parse_value(ps);
        if (v == NULL)
            break;
        if (json_array_append_new(arr, v) != 0) {
            fail(ps, ps->p, "out of memory");
            break;
        }
        int more = next_item(ps, ']', "an array");
        if (more == 1)
            return arr;
        if (more < 0)
            break;
    }
    json_decref(arr);
    return NULL;
}

static json_t *literal(struct parser *ps, const char *word, json_t *value)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, ps->p, "invalid token");
    ps->p += n;
    return value;
}

static json_t *parse_value(struct parser *ps)
{
    if (ps->p == ps->end)
        return fail(ps, ps->p, "premature end of input");
    switch (*ps->p) {
    case '{':
    case '[': {
        if (++ps->depth > JSON_PARSER_MAX_DEPTH)
            return fail(ps, ps->p, "maximum parsing depth reached");
        json_t *v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
        ps->depth--;
        return v;
    }
    case '"': {
        const char *s;
        size_t n;
        if (!scan_string(ps, &s, &n))
            return NULL;
        json_t *v = json_stringn_nocheck(s, n);
        return v ? v : fail(ps, ps->p, "out of memory");
    }
    case 't':
        return literal(ps, "true", json_true());
    case 'f':
        return literal(ps, "false", json_false());
    case 'n':
        return literal(ps, "null", json_null());
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return parse_number(ps);
    default:
        return fail(ps, ps->p, "invalid token");
    }
}

json_t *ls_json_parse(const char *data, size_t len, struct ls_json_parse_error *e)
{
    if (e) {
        e->text[0] = '\0';
        e->position = 0;
    }
    const unsigned char *b = (const unsigned char *)(data ? data : "");
    struct parser ps = {.p = b, .start = b, .end = b + (data ? len : 0), .e = e};
    skip_ws(&ps);
    json_t *v = NULL;
    if (ps.p == ps.end || (*ps.p != '{' && *ps.p != '['))
        fail(&ps, ps.p, "'[' or '{' expected");
    else
        v = parse_value(&ps);
    if (v) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            fail(&ps, ps.p, "end of input expected");
            json_decref(v);
            v = NULL;
        }
    }
    free(ps.scratch);
    return v;
}
