/* A scan of hwloc XML's tags before hwloc parses it (see xml_check.h). */
#include "importers/host/xml_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "importers/host/topology.h"

/* A cpuset or nodeset as read here: bits 0..LS_HOST_MAX_CPU_INDEX. */
#define SET_WORDS ((LS_HOST_MAX_CPU_INDEX + 1) / 64)
struct set {
    uint64_t w[SET_WORDS];
};

/* The sets of <object> this scan reads; hwloc 2.9 crashes when one of a pair is missing (an
 * object with a cpuset but no complete_cpuset dereferences NULL) or when a child's complete
 * set is not inside its parent's. */
enum { CPUSET, COMPLETE_CPUSET, NODESET, COMPLETE_NODESET, ALLOWED_CPUSET, ALLOWED_NODESET, NSETS };
static const char *const set_names[NSETS] = {"cpuset",         "complete_cpuset",
                                             "nodeset",        "complete_nodeset",
                                             "allowed_cpuset", "allowed_nodeset"};

/* Objects whose os_index is a bit of a cpuset or nodeset: it must be given and small (hwloc
 * sets that bit: a PU without one, or os_index 4000000000, builds a 512 MB bitmap and takes
 * half a minute). */
static const char *const indexed[] = {"PU", "NUMANode"};

/* One open element: whether it is an <object> with sets, and its complete sets. */
struct frame {
    bool has_sets;
    struct set complete_cpuset, complete_nodeset;
};

struct scan {
    const char *p, *end, *start;
    struct frame *stack; /* LS_HOST_XML_MAX_DEPTH + 1 frames */
    int depth;
    struct ls_err *err;
};

static int bad(struct scan *s, const char *what)
{
    return ls_err_set(s->err, LS_EINVAL, "invalid_topology", "hwloc xml: %s at byte %zu", what,
                      (size_t)(s->p - s->start));
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':' || c == '-' || c == '.';
}

static bool is(const char *p, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(p, word, n) == 0;
}

/* hwloc's bitmap text: 32-bit chunks "0x%x" separated by commas, the most significant first.
 * False for anything else (the infinite "0xf...f," form included) or a bit past the bound. */
static bool parse_set(const char *v, size_t n, struct set *out)
{
    memset(out, 0, sizeof(*out));
    size_t chunks = 1;
    for (size_t i = 0; i < n; i++)
        chunks += v[i] == ',';
    if (chunks > SET_WORDS * 2)
        return false;
    size_t k = chunks; /* the chunk being read, counted from the least significant + 1 */
    for (size_t i = 0; i < n; k--) {
        if (n - i < 3 || v[i] != '0' || (v[i + 1] != 'x' && v[i + 1] != 'X'))
            return false;
        uint64_t c = 0;
        size_t d = 0;
        for (i += 2; i < n && v[i] != ','; i++, d++) {
            int h = ls_hex_digit(v[i]);
            if (h < 0 || d == 8)
                return false;
            c = c << 4 | (uint64_t)h;
        }
        if (d == 0)
            return false;
        out->w[(k - 1) / 2] |= c << ((k - 1) % 2 * 32);
        if (i < n && ++i == n) /* a trailing comma */
            return false;
    }
    return true;
}

static bool meets(const struct set *a, const struct set *b)
{
    for (size_t i = 0; i < SET_WORDS; i++)
        if (a->w[i] & b->w[i])
            return true;
    return false;
}

static bool subset(const struct set *a, const struct set *b)
{
    for (size_t i = 0; i < SET_WORDS; i++)
        if (a->w[i] & ~b->w[i])
            return false;
    return true;
}

/* A decimal os_index of at most LS_HOST_MAX_CPU_INDEX. */
static bool small_index(const char *v, size_t n)
{
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    char buf[8];
    memcpy(buf, v, n);
    buf[n] = '\0';
    return strtol(buf, NULL, 10) <= LS_HOST_MAX_CPU_INDEX;
}

/* Moves past the first occurrence of the terminator term; false when there is none. */
static bool skip_past(struct scan *s, const char *term)
{
    size_t n = strlen(term);
    for (; (size_t)(s->end - s->p) >= n; s->p++)
        if (memcmp(s->p, term, n) == 0) {
            s->p += n;
            return true;
        }
    return false;
}

/* A name at s->p: its length (0: none), s->p moved past it. */
static size_t name(struct scan *s)
{
    const char *from = s->p;
    while (s->p < s->end && is_name_char(*s->p))
        s->p++;
    return (size_t)(s->p - from);
}

__attribute__((format(printf, 2, 3))) static int object_error(struct scan *s, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return ls_err_set(s->err, LS_EINVAL, "invalid_topology",
                      "hwloc xml: object ending at byte %zu: %s", (size_t)(s->p - s->start), what);
}

/* The rules of one <object> start tag, once its attributes are read into f. */
static int object_rules(struct scan *s,
                        struct frame *f,
                        const bool *have,
                        const struct set *sets,
                        const char *type,
                        size_t tlen,
                        const char *os_index,
                        size_t ilen)
{
    for (int i = 0; i < ALLOWED_CPUSET; i += 2)
        if (have[i] != have[i + 1])
            return object_error(s, "%s without %s", set_names[have[i] ? i : i + 1],
                                set_names[have[i] ? i + 1 : i]);
    for (size_t i = 0; i < sizeof(indexed) / sizeof(indexed[0]); i++)
        if (type != NULL && is(type, tlen, indexed[i]) &&
            (os_index == NULL || !small_index(os_index, ilen)))
            return object_error(s, "%s needs an os_index from 0 to %d", indexed[i],
                                LS_HOST_MAX_CPU_INDEX);
    /* an allowed set that allows nothing of the machine: hwloc 2.9 dereferences NULL
     * (corpus/hwloc_xml/crash-hwloc-empty-allowed-cpuset.xml) */
    static const int complete_of[][2] = {{ALLOWED_CPUSET, COMPLETE_CPUSET},
                                         {ALLOWED_NODESET, COMPLETE_NODESET}};
    for (int k = 0; k < 2; k++) {
        int a = complete_of[k][0], c = complete_of[k][1];
        if (have[a] && !meets(&sets[a], have[c] ? &sets[c] : &sets[a]))
            return object_error(s, "%s allows nothing of %s", set_names[a], set_names[c]);
    }
    f->has_sets = have[CPUSET] || have[NODESET];
    if (have[CPUSET] && !subset(&sets[CPUSET], &sets[COMPLETE_CPUSET]))
        return object_error(s, "cpuset is not inside complete_cpuset");
    if (have[NODESET] && !subset(&sets[NODESET], &sets[COMPLETE_NODESET]))
        return object_error(s, "nodeset is not inside complete_nodeset");
    memset(&f->complete_cpuset, 0, sizeof(f->complete_cpuset));
    memset(&f->complete_nodeset, 0, sizeof(f->complete_nodeset));
    if (have[CPUSET])
        f->complete_cpuset = sets[COMPLETE_CPUSET];
    if (have[NODESET])
        f->complete_nodeset = sets[COMPLETE_NODESET];
    /* inside the closest enclosing object that has sets (I/O and Misc objects have none) */
    for (int d = s->depth - 1; d >= 0 && f->has_sets; d--) {
        const struct frame *up = &s->stack[d];
        if (!up->has_sets)
            continue;
        if (!subset(&f->complete_cpuset, &up->complete_cpuset) ||
            !subset(&f->complete_nodeset, &up->complete_nodeset))
            return object_error(s, "complete_cpuset or complete_nodeset not inside its parent's");
        break;
    }
    return LS_OK;
}

/* The attributes of a start tag whose name was read, into frame f; s->p ends past '>'.
 * *closed: "/>". */
static int attributes(struct scan *s, bool is_object, struct frame *f, bool *closed)
{
    bool have[NSETS] = {false};
    struct set sets[NSETS];
    const char *type = NULL, *os_index = NULL;
    size_t tlen = 0, ilen = 0;
    f->has_sets = false;
    for (;;) {
        while (s->p < s->end && is_space(*s->p))
            s->p++;
        if (s->p == s->end)
            return bad(s, "unterminated tag");
        if (*s->p == '>' || (*s->p == '/' && s->end - s->p >= 2 && s->p[1] == '>')) {
            *closed = *s->p == '/';
            s->p += *closed ? 2 : 1;
            break;
        }
        const char *an = s->p;
        size_t alen = name(s);
        if (alen == 0 || s->p == s->end || *s->p != '=')
            return bad(s, "malformed attribute");
        s->p++;
        char q = s->p < s->end ? *s->p : '\0';
        if (q != '"' && q != '\'')
            return bad(s, "attribute value without quotes");
        const char *close = memchr(s->p + 1, q, (size_t)(s->end - s->p - 1));
        if (close == NULL)
            return bad(s, "unterminated attribute value");
        const char *v = s->p + 1;
        size_t vlen = (size_t)(close - v);
        if (!is_object) {
            s->p = close + 1;
            continue;
        }
        for (int i = 0; i < NSETS; i++)
            if (is(an, alen, set_names[i])) {
                if (!parse_set(v, vlen, &sets[i]))
                    return bad(s, "a cpuset or nodeset that is not hwloc's bitmap form, or names "
                                  "an index past 16383,");
                have[i] = true;
            }
        if (is(an, alen, "type")) {
            type = v;
            tlen = vlen;
        } else if (is(an, alen, "os_index")) {
            os_index = v;
            ilen = vlen;
        }
        s->p = close + 1;
    }
    return is_object ? object_rules(s, f, have, sets, type, tlen, os_index, ilen) : LS_OK;
}

static int scan(struct scan *s)
{
    while ((s->p = memchr(s->p, '<', (size_t)(s->end - s->p))) != NULL) {
        size_t left = (size_t)(s->end - s->p);
        if (left >= 4 && memcmp(s->p, "<!--", 4) == 0) {
            if (!skip_past(s, "-->"))
                return bad(s, "unterminated comment");
        } else if (left >= 2 && (s->p[1] == '?' || s->p[1] == '!')) {
            if (!skip_past(s, ">")) /* <?xml ...?>, <!DOCTYPE ...> */
                return bad(s, "unterminated declaration");
        } else if (left >= 2 && s->p[1] == '/') {
            if (!skip_past(s, ">"))
                return bad(s, "unterminated end tag");
            if (--s->depth < 0)
                return bad(s, "end tag without a start tag");
        } else {
            s->p++;
            const char *tag = s->p;
            size_t tlen = name(s);
            if (tlen == 0)
                return bad(s, "'<' that starts no tag");
            if (s->depth == LS_HOST_XML_MAX_DEPTH)
                return ls_err_set(s->err, LS_ELIMIT, "topology_too_deep",
                                  "hwloc xml: elements nest deeper than %d", LS_HOST_XML_MAX_DEPTH);
            bool closed = false;
            int rc = attributes(s, is(tag, tlen, "object"), &s->stack[s->depth], &closed);
            if (rc != LS_OK)
                return rc;
            if (!closed)
                s->depth++;
        }
    }
    return LS_OK;
}

int ls_host_xml_check(const char *xml, size_t len, struct ls_err *err)
{
    struct scan s = {.p = xml, .end = xml + len, .start = xml, .err = err};
    s.stack = ls_xmalloc((LS_HOST_XML_MAX_DEPTH + 1) * sizeof(*s.stack));
    int rc = scan(&s);
    free(s.stack);
    return rc;
}
