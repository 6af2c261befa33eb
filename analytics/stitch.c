/* Stitching (stitch.h): candidates per request node (landscape nodes of its type, filtered by
 * its attribute conditions in order, so an empty list names the condition that emptied it),
 * then a bounded depth-first search over assignments checking each composition as soon as all
 * its nodes are assigned; the stitches found are scored by their margins and ranked. */
#include "analytics/stitch.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op { EQ, NEQ, LT, LE, GT, GE, REGEX, SAME, DIFF, SHARE, NSHARE, N_OPS };
static const char *const op_names[N_OPS] = {"eq",    "neq",  "lt",   "le",    "gt",    "ge",
                                            "regex", "same", "diff", "share", "nshare"};

struct cond {
    enum op op;
    int node;         /* attribute conditions: the request node */
    const char *attr; /* borrowed from the body */
    json_t *value;    /* borrowed */
    regex_t re;
    bool has_re;
    int nodes[LS_STITCH_MAX_NODES]; /* compositions */
    int n_nodes;
    int last;      /* the highest request index it names: checked when that one is assigned */
    long failures; /* compositions: how often the search was cut by it */
};

struct req {
    const char *id[LS_STITCH_MAX_NODES];
    const char *type[LS_STITCH_MAX_NODES];
    int n;
    struct cond c[LS_STITCH_MAX_CONDITIONS];
    int n_c;
    const struct ls_node **cand[LS_STITCH_MAX_NODES];
    size_t n_cand[LS_STITCH_MAX_NODES];
    bool truncated[LS_STITCH_MAX_NODES];
    size_t limit;
};

struct found {
    const struct ls_node *map[LS_STITCH_MAX_NODES];
    double score;
    size_t seq; /* order found: ties keep it */
};

struct search {
    struct req *r;
    const struct ls_node *at[LS_STITCH_MAX_NODES];
    struct found *found;
    size_t n_found, cap;
    long steps;
    bool cut; /* the step budget ran out */
};

static int find_node(const struct req *r, const char *id)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->id[i], id))
            return i;
    return -1;
}

/* The value of attr on n: "id", "name", "state", "type", or a dotted path into attrs. A
 * new reference (NULL when absent). */
static json_t *attr_of(const struct ls_node *n, const char *attr)
{
    if (!strcmp(attr, "id"))
        return json_string(n->id);
    if (!strcmp(attr, "name"))
        return json_string(n->name);
    if (!strcmp(attr, "state"))
        return json_string(n->state);
    if (!strcmp(attr, "type"))
        return json_string(n->type);
    json_t *v = n->attrs;
    char part[256];
    const char *p = attr;
    while (v && *p) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof(part))
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        v = json_object_get(v, part);
        p += len;
        if (*p == '.')
            p++;
    }
    return v ? json_incref(v) : NULL;
}

/* What regcomp builds grows with the pattern's repetitions: glibc copies a repeated unit
 * (x+ is x x*, x{3} is x x x), so repetitions of repetitions multiply — "a" with twenty '+'
 * or twenty nested "(...)+" takes seconds and gigabytes. A rough count of the copies: each
 * atom is 1, a group the sum of its contents, '+' doubles the unit it follows, {n,m} takes
 * it max(n,m)+1 times ('*' and '?' do not copy). Patterns over REGEX_MAX_UNITS are refused
 * before regcomp sees them, and so are adjacent repetition operators ("x**", "x+*": undefined
 * in POSIX EREs; glibc's closure over a run of stars grows steeply with its length). */
#define REGEX_MAX_UNITS 4096.0
#define REGEX_MAX_DEPTH 32

/* The factor of a brace bound at p ("{n}", "{n,}", "{n,m}"), with *len its length; 0 when
 * p is not a bound (regcomp then reads '{' as it will). */
static double brace_factor(const char *p, size_t *len)
{
    const char *q = p + 1;
    double n = 0, m = -1;
    if (*q < '0' || *q > '9')
        return 0;
    while (*q >= '0' && *q <= '9')
        n = n * 10 + (*q++ - '0');
    if (*q == ',') {
        q++;
        if (*q >= '0' && *q <= '9') {
            m = 0;
            while (*q >= '0' && *q <= '9')
                m = m * 10 + (*q++ - '0');
        }
    }
    if (*q != '}')
        return 0;
    *len = (size_t)(q - p) + 1;
    return (m > n ? m : n) + 1;
}

static bool regex_too_big(const char *p)
{
    double cur[REGEX_MAX_DEPTH + 1] = {0}, last[REGEX_MAX_DEPTH + 1] = {0};
    int d = 0;
    bool repeated = false; /* the previous token was a repetition operator */
    for (size_t i = 0; p[i]; i++) {
        double f = 0;
        size_t len = 1;
        bool was = repeated;
        repeated = false;
        switch (p[i]) {
        case '(':
            if (d == REGEX_MAX_DEPTH)
                return true;
            d++;
            cur[d] = last[d] = 0;
            continue;
        case ')':
            if (d > 0) {
                double unit = cur[d--];
                cur[d] += unit;
                last[d] = unit;
                continue;
            }
            break;
        case '|':
            last[d] = 0;
            continue;
        case '+':
            f = 2;
            break;
        case '*':
        case '?':
            f = 1;
            break;
        case '{':
            f = brace_factor(p + i, &len);
            break;
        case '\\':
            if (p[i + 1])
                i++;
            break;
        case '[': /* a bracket expression is one atom: "[]...]", "[^]...]", "[[:alpha:]]" */
            i++;
            if (p[i] == '^')
                i++;
            if (p[i] == ']')
                i++;
            while (p[i] && p[i] != ']') {
                if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
                    const char *end = strchr(p + i + 2, p[i + 1]);
                    i = end && end[1] == ']' ? (size_t)(end - p) + 1 : i;
                }
                if (p[i])
                    i++;
            }
            if (!p[i])
                return false; /* unterminated: regcomp refuses it */
            break;
        default:
            break;
        }
        if (f > 0) { /* a repetition of the last unit */
            if (was)
                return true;
            repeated = true;
            cur[d] += last[d] * (f - 1);
            last[d] *= f;
            i += len - 1;
        } else { /* an atom */
            cur[d] += 1;
            last[d] = 1;
        }
        if (cur[d] > REGEX_MAX_UNITS)
            return true;
    }
    for (; d >= 0; d--)
        if (cur[d] > REGEX_MAX_UNITS)
            return true;
    return false;
}

/* Text of a scalar for regex and messages. */
static void text_of(const json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v))
        snprintf(buf, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_number(v))
        snprintf(buf, cap, "%g", json_number_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
    else
        snprintf(buf, cap, "%s", v ? "(not a scalar)" : "(absent)");
}

/* An attribute condition on n; margin gets how far past its threshold a numeric one is. */
static bool attr_holds(const struct cond *c, const struct ls_node *n, double *margin)
{
    json_t *v = attr_of(n, c->attr);
    bool ok = false;
    *margin = 0;
    if (v) {
        if (c->op == REGEX) {
            char buf[512];
            text_of(v, buf, sizeof(buf));
            ok = (json_is_string(v) || json_is_number(v)) && regexec(&c->re, buf, 0, NULL, 0) == 0;
        } else if (json_is_number(v) && json_is_number(c->value)) {
            double x = json_number_value(v), t = json_number_value(c->value);
            double scale = fabs(t) > 1 ? fabs(t) : 1;
            static const int sign[N_OPS] = {[LT] = -1, [LE] = -1, [GT] = 1, [GE] = 1};
            ok = c->op == EQ    ? x == t
                 : c->op == NEQ ? x != t
                 : c->op == LT  ? x < t
                 : c->op == LE  ? x <= t
                 : c->op == GT  ? x > t
                                : x >= t;
            if (ok && sign[c->op])
                *margin = fmin(10.0, sign[c->op] * (x - t) / scale);
        } else if (json_is_string(v) && json_is_string(c->value)) {
            int d = strcmp(json_string_value(v), json_string_value(c->value));
            ok = c->op == EQ    ? d == 0
                 : c->op == NEQ ? d != 0
                 : c->op == LT  ? d < 0
                 : c->op == LE  ? d <= 0
                 : c->op == GT  ? d > 0
                                : d >= 0;
        } else {
            ok = c->op == NEQ ? !json_equal(v, c->value) : c->op == EQ && json_equal(v, c->value);
        }
    }
    json_decref(v);
    return ok;
}

static bool composition_holds(const struct cond *c, const struct ls_node *const *at)
{
    for (int i = 0; i < c->n_nodes; i++)
        for (int j = i + 1; j < c->n_nodes; j++) {
            const struct ls_node *a = at[c->nodes[i]], *b = at[c->nodes[j]];
            if (c->op == SAME && a != b)
                return false;
            if (c->op == DIFF && a == b)
                return false;
            if (c->op == SHARE || c->op == NSHARE) {
                json_t *x = attr_of(a, c->attr), *y = attr_of(b, c->attr);
                bool eq = x && y && json_equal(x, y);
                json_decref(x);
                json_decref(y);
                if (!x || !y || (c->op == SHARE) != eq)
                    return false;
            }
        }
    return true;
}

static int by_score(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void record(struct search *s)
{
    struct req *r = s->r;
    if (s->n_found == s->cap)
        return;
    struct found *f = &s->found[s->n_found];
    f->seq = s->n_found++;
    double sum = 0;
    int n = 0;
    for (int i = 0; i < r->n; i++)
        f->map[i] = s->at[i];
    for (int k = 0; k < r->n_c; k++) {
        const struct cond *c = &r->c[k];
        double m;
        if (c->op <= GE && c->op >= LT && attr_holds(c, s->at[c->node], &m)) {
            sum += m;
            n++;
        }
    }
    f->score = n ? round(sum / n * 1000.0) / 1000.0 : 0;
}

static void dfs(struct search *s, int i)
{
    struct req *r = s->r;
    if (s->n_found == s->cap || s->cut)
        return;
    if (i == r->n) {
        record(s);
        return;
    }
    for (size_t k = 0; k < r->n_cand[i] && s->n_found < s->cap; k++) {
        if (++s->steps > LS_STITCH_MAX_STEPS) {
            s->cut = true;
            return;
        }
        s->at[i] = r->cand[i][k];
        bool ok = true;
        for (int c = 0; c < r->n_c && ok; c++)
            if (r->c[c].op >= SAME && r->c[c].last == i && !composition_holds(&r->c[c], s->at)) {
                r->c[c].failures++;
                ok = false;
            }
        if (ok)
            dfs(s, i + 1);
    }
}

static int parse(json_t *body, struct req *r, struct ls_err *err)
{
    static const char *const keys[] = {"nodes", "edges", "conditions", "limit", NULL};
    const char *k;
    json_t *v;
    if (!json_is_object(body))
        return ls_err_set(err, LS_EINVAL, "invalid_request", "body: expected an object");
    json_object_foreach(body, k, v)
    {
        int i = 0;
        while (keys[i] && strcmp(keys[i], k) != 0)
            i++;
        if (!keys[i])
            return ls_err_set(err, LS_EINVAL, "unknown_field", "%.64s: unknown field", k);
    }
    json_t *nodes = json_object_get(body, "nodes"), *edges = json_object_get(body, "edges");
    json_t *conds = json_object_get(body, "conditions"), *lim = json_object_get(body, "limit");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0)
        return ls_err_set(err, LS_EINVAL, "invalid_request", "nodes: expected a non-empty array");
    if (json_array_size(nodes) > LS_STITCH_MAX_NODES)
        return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "nodes: more than %d",
                          LS_STITCH_MAX_NODES);
    size_t i;
    json_array_foreach(nodes, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        const char *type = json_string_value(json_object_get(v, "type"));
        if (!id || !type || !*id || strlen(id) > 255 || strlen(type) > 64)
            return ls_err_set(err, LS_EINVAL, "invalid_request",
                              "nodes[%zu]: needs an id and a type", i);
        if (find_node(r, id) >= 0)
            return ls_err_set(err, LS_EINVAL, "invalid_request", "nodes[%zu]: id %.64s twice", i,
                              id);
        r->id[r->n] = id;
        r->type[r->n++] = type;
    }
    if (edges && (!json_is_array(edges) || json_array_size(edges) > LS_STITCH_MAX_EDGES))
        return ls_err_set(err, LS_EINVAL, "invalid_request", "edges: an array of at most %d",
                          LS_STITCH_MAX_EDGES);
    json_array_foreach(edges, i, v)
    {
        const char *a = json_string_value(json_object_get(v, "src"));
        const char *b = json_string_value(json_object_get(v, "dst"));
        if (!a || !b || find_node(r, a) < 0 || find_node(r, b) < 0)
            return ls_err_set(err, LS_EINVAL, "invalid_request",
                              "edges[%zu]: src and dst must be request nodes", i);
    }
    r->limit = 10;
    if (lim) {
        if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
            json_integer_value(lim) > LS_STITCH_MAX_RESULTS)
            return ls_err_set(err, LS_EINVAL, "invalid_request", "limit: expected 1 .. %d",
                              LS_STITCH_MAX_RESULTS);
        r->limit = (size_t)json_integer_value(lim);
    }
    if (conds && !json_is_array(conds))
        return ls_err_set(err, LS_EINVAL, "invalid_request", "conditions: expected an array");
    if (json_array_size(conds) > LS_STITCH_MAX_CONDITIONS)
        return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "conditions: more than %d",
                          LS_STITCH_MAX_CONDITIONS);
    json_array_foreach(conds, i, v)
    {
        struct cond *c = &r->c[r->n_c];
        memset(c, 0, sizeof(*c));
        const char *op = json_string_value(json_object_get(v, "op"));
        int o = 0;
        if (op && !strcmp(op, "lg"))
            op = "gt"; /* graph_stitcher's name for > */
        while (op && o < N_OPS && strcmp(op_names[o], op) != 0)
            o++;
        if (!op || o == N_OPS)
            return ls_err_set(err, LS_EINVAL, "invalid_request",
                              "conditions[%zu].op: expected eq, neq, lt, le, gt, ge, regex, same, "
                              "diff, share or nshare",
                              i);
        c->op = (enum op)o;
        c->attr = json_string_value(json_object_get(v, "attr"));
        if (c->attr && (strlen(c->attr) == 0 || strlen(c->attr) > 255))
            return ls_err_set(err, LS_EINVAL, "invalid_request", "conditions[%zu].attr", i);
        if (c->op <= REGEX) {
            const char *node = json_string_value(json_object_get(v, "node"));
            c->node = node ? find_node(r, node) : -1;
            c->value = json_object_get(v, "value");
            if (c->node < 0 || !c->attr || !c->value)
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "conditions[%zu]: needs node (a request node), attr and value",
                                  i);
            c->last = c->node;
            if (c->op == REGEX) {
                const char *pat = json_string_value(c->value);
                bool fits = pat && strlen(pat) <= 256;
                if (fits && regex_too_big(pat))
                    return ls_err_set(err, LS_EINVAL, "invalid_regex",
                                      "conditions[%zu].value: adjacent repetition operators, "
                                      "or repetitions that copy its parts over %.0f times",
                                      i, REGEX_MAX_UNITS);
                if (!fits || regcomp(&c->re, pat, REG_EXTENDED | REG_NOSUB) != 0)
                    return ls_err_set(err, LS_EINVAL, "invalid_regex",
                                      "conditions[%zu].value: not a POSIX extended regex", i);
                c->has_re = true;
            }
        } else {
            json_t *ns = json_object_get(v, "nodes");
            size_t j;
            json_t *n;
            if (!json_is_array(ns) || json_array_size(ns) < 2 ||
                json_array_size(ns) > LS_STITCH_MAX_NODES)
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "conditions[%zu].nodes: 2 .. %d request nodes", i,
                                  LS_STITCH_MAX_NODES);
            if ((c->op == SHARE || c->op == NSHARE) != (c->attr != NULL))
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "conditions[%zu]: share and nshare take attr, same and diff "
                                  "do not",
                                  i);
            json_array_foreach(ns, j, n)
            {
                int x = json_is_string(n) ? find_node(r, json_string_value(n)) : -1;
                if (x < 0)
                    return ls_err_set(err, LS_EINVAL, "invalid_request",
                                      "conditions[%zu].nodes[%zu]: not a request node", i, j);
                c->nodes[c->n_nodes++] = x;
                c->last = x > c->last ? x : c->last;
            }
        }
        r->n_c++;
    }
    return LS_OK;
}

/* Candidates of request node i: nodes of its type passing its attribute conditions in order.
 * Returns the index of the condition that left none (or -1; -2 when the type has none). */
static int candidates(const struct ls_snap *s, struct req *r, int i)
{
    struct ls_node_filter f = {.type = r->type[i], .layer = -1};
    const struct ls_node **list = calloc(LS_STITCH_MAX_CANDIDATES + 1, sizeof(*list));
    size_t n = 0;
    bool more = false;
    struct ls_err err;
    if (!list)
        ls_oom(LS_STITCH_MAX_CANDIDATES);
    if (ls_snap_list_nodes(s, &f, NULL, LS_STITCH_MAX_CANDIDATES, list, &n, &more, &err) != LS_OK)
        n = 0;
    r->truncated[i] = more;
    r->cand[i] = list;
    r->n_cand[i] = n;
    if (n == 0)
        return -2;
    for (int k = 0; k < r->n_c; k++) {
        const struct cond *c = &r->c[k];
        if (c->op > REGEX || c->node != i)
            continue;
        size_t kept = 0;
        for (size_t j = 0; j < n; j++) {
            double m;
            if (attr_holds(c, list[j], &m))
                list[kept++] = list[j];
        }
        n = r->n_cand[i] = kept;
        if (n == 0)
            return k;
    }
    return -1;
}

static json_t *explain(const struct req *r, const struct found *f)
{
    json_t *a = json_array();
    char val[256];
    for (int k = 0; k < r->n_c; k++) {
        const struct cond *c = &r->c[k];
        if (c->op <= REGEX) {
            json_t *v = attr_of(f->map[c->node], c->attr);
            text_of(v, val, sizeof(val));
            json_decref(v);
            char want[128];
            text_of(c->value, want, sizeof(want));
            json_array_append_new(a, json_sprintf("%s -> %s: %s = %s %s %s", r->id[c->node],
                                                  f->map[c->node]->id, c->attr, val,
                                                  op_names[c->op], want));
        } else {
            json_t *v = c->attr ? attr_of(f->map[c->nodes[0]], c->attr) : NULL;
            text_of(v, val, sizeof(val));
            json_decref(v);
            json_array_append_new(
                a, json_sprintf("%s(%s%s%s, ...): %s", op_names[c->op], c->attr ? c->attr : "",
                                c->attr ? ": " : "", r->id[c->nodes[0]],
                                c->op == SAME || c->op == DIFF ? f->map[c->nodes[0]]->id : val));
        }
    }
    return a;
}

int ls_stitch(const struct ls_snap *s, json_t *body, json_t **out, struct ls_err *err)
{
    *out = NULL;
    struct req *r = calloc(1, sizeof(*r));
    if (!r)
        ls_oom(sizeof(*r));
    int rc = parse(body, r, err);
    json_t *unsat = json_null(), *cands = json_object(), *stitches = json_array();
    bool complete = true;
    if (rc)
        goto out;
    for (int i = 0; i < r->n && json_is_null(unsat); i++) {
        int k = candidates(s, r, i);
        if (k == -2) {
            json_decref(unsat);
            unsat = json_pack("{s:n,s:s,s:s}", "condition", "node", r->id[i], "reason", "");
            json_object_set_new(unsat, "reason",
                                json_sprintf("no landscape node of type %s", r->type[i]));
        } else if (k >= 0) {
            json_decref(unsat);
            unsat = json_pack("{s:i,s:s,s:s,s:o}", "condition", k, "op", op_names[r->c[k].op],
                              "node", r->id[i], "reason",
                              json_sprintf("no %s node left: %s %s failed on every candidate",
                                           r->type[i], r->c[k].attr, op_names[r->c[k].op]));
        }
        json_object_set_new(cands, r->id[i], json_integer((json_int_t)r->n_cand[i]));
        complete = complete && !r->truncated[i];
    }
    if (json_is_null(unsat)) {
        struct search se = {.r = r};
        se.cap = r->limit * 10 < 1000 ? r->limit * 10 : 1000;
        se.found = calloc(se.cap + 1, sizeof(*se.found));
        if (!se.found)
            ls_oom(se.cap);
        dfs(&se, 0);
        complete = complete && !se.cut && se.n_found < se.cap;
        qsort(se.found, se.n_found, sizeof(*se.found), by_score);
        for (size_t k = 0; k < se.n_found && k < r->limit; k++) {
            json_t *map = json_object();
            for (int i = 0; i < r->n; i++)
                json_object_set_new(map, r->id[i], json_string(se.found[k].map[i]->id));
            json_array_append_new(stitches, json_pack("{s:o,s:f,s:o}", "mapping", map, "score",
                                                      se.found[k].score, "explanation",
                                                      explain(r, &se.found[k])));
        }
        if (se.n_found == 0) {
            int worst = -1;
            for (int k = 0; k < r->n_c; k++)
                if (r->c[k].op >= SAME && (worst < 0 || r->c[k].failures > r->c[worst].failures))
                    worst = k;
            json_decref(unsat);
            unsat = worst >= 0 ? json_pack("{s:i,s:s,s:s}", "condition", worst, "op",
                                           op_names[r->c[worst].op], "reason",
                                           "no assignment of the candidates satisfies it")
                               : json_pack("{s:n,s:s}", "condition", "reason",
                                           se.cut ? "search limit reached" : "no assignment");
        }
        free(se.found);
    }
    *out =
        json_pack("{s:o,s:o,s:o,s:b,s:I}", "stitches", stitches, "candidates", cands, "unsatisfied",
                  unsat, "complete", complete, "revision", (json_int_t)ls_snap_revision(s));
    stitches = cands = unsat = NULL;
out:
    json_decref(stitches);
    json_decref(cands);
    json_decref(unsat);
    for (int k = 0; k < r->n_c; k++)
        if (r->c[k].has_re)
            regfree(&r->c[k].re);
    for (int i = 0; i < LS_STITCH_MAX_NODES; i++)
        free(r->cand[i]);
    free(r);
    return rc;
}
