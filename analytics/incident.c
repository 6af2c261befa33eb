/* Incident grouping and lifecycle (incident.h): a union-find per step over the anomalous
 * nodes and the open incidents, linked by bounded walks; merges keep the oldest incident;
 * nothing is ever split. Documents come out as JSON for the store and the events. */
#include "analytics/incident.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/incident_walk.h"
#include "common/map.h"
#include "common/time.h"

struct member {
    char *id;
    char *metric; /* its worst series while anomalous, or NULL */
    double score;
    int went;             /* which way `metric` went (+1 up, -1 down, 0 unknown) */
    double value, lo, hi; /* of its worst observation (ls_incident_member) */
    bool anomalous;
    int64_t joined_at;
    int64_t last_bad; /* µs, last seen red or yellow */
};

struct incident {
    int64_t id;
    bool open;
    int64_t opened_at, updated_at, resolved_at; /* resolved_at 0 while open */
    int64_t merged_into;                        /* 0 unless resolved by a merge */
    int64_t revision;                           /* 1 when opened, +1 per change */
    struct member *m;                           /* sorted by id */
    size_t n, cap;
    struct ls_incident_cause *causes;
    size_t ncauses;
    int64_t ranked_at;  /* when its causes were last ranked (0: not since it was restored) */
    const char *change; /* this step: "opened", "updated", "resolved" or NULL */
};

struct ls_incidents {
    struct ls_incident_params p;
    struct incident **open; /* sorted by id */
    size_t nopen, cap;
    struct ls_map owner; /* node id -> the open incident it belongs to */
    int64_t last_id;
    int64_t now;
    ls_incident_ranker rank; /* ls_incidents_set_ranker */
    void *rank_arg;
};

void ls_incident_params_default(struct ls_incident_params *p)
{
    *p = (struct ls_incident_params){
        .max_hops = 3,
        .window_us = 600 * INT64_C(1000000),
        .hold_us = 300 * INT64_C(1000000),
        .max_nodes = 256,
        .max_causes = 5,
        .max_walk = 4096,
        .max_open = 10000,
        .score_threshold = 0.5,
    };
}

/* The default ranker: the members' worst observations (ls_incident_rank). */
static void rank_observed(void *arg,
                          const struct ls_incident_ranking *in,
                          struct ls_incident_cause **out,
                          size_t *nout)
{
    (void)arg;
    ls_incident_rank(in->snap, in->members, in->n, in->p, out, nout);
}

void ls_incidents_set_ranker(struct ls_incidents *e, ls_incident_ranker fn, void *arg)
{
    e->rank = fn ? fn : rank_observed;
    e->rank_arg = fn ? arg : NULL;
}

struct ls_incidents *ls_incidents_new(const struct ls_incident_params *p, int64_t last_id)
{
    struct ls_incidents *e = ls_xcalloc(1, sizeof *e);
    e->p = *p;
    if (e->p.max_hops < 1)
        e->p.max_hops = 1;
    if (e->p.max_nodes < 1)
        e->p.max_nodes = 1;
    if (e->p.max_walk < 2)
        e->p.max_walk = 2;
    if (e->p.max_walk > (1u << 20))
        e->p.max_walk = 1u << 20;
    if (!(e->p.score_threshold > 0 && e->p.score_threshold < 1))
        e->p.score_threshold = 0.5;
    if (e->p.rerank_us < 0)
        e->p.rerank_us = 0;
    e->last_id = last_id;
    ls_incidents_set_ranker(e, NULL, NULL);
    ls_map_init(&e->owner);
    return e;
}

static void incident_free(struct incident *inc)
{
    if (!inc)
        return;
    for (size_t i = 0; i < inc->n; i++) {
        free(inc->m[i].id);
        free(inc->m[i].metric);
    }
    free(inc->m);
    ls_incident_causes_free(inc->causes, inc->ncauses);
    free(inc);
}

void ls_incidents_free(struct ls_incidents *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nopen; i++)
        incident_free(e->open[i]);
    free(e->open);
    ls_map_cleanup(&e->owner);
    free(e);
}

size_t ls_incidents_open_count(const struct ls_incidents *e)
{
    return e->nopen;
}

int64_t ls_incidents_last_id(const struct ls_incidents *e)
{
    return e->last_id;
}

/* ---- members -------------------------------------------------------------------------- */

static struct member *find_member(struct incident *inc, const char *id)
{
    size_t lo = 0, hi = inc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(inc->m[mid].id, id);
        if (c == 0)
            return &inc->m[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Whether observation x is worse than what member m keeps: a higher score, or the same score
 * farther out of its range (ls_incident_member). */
static bool worse_than_kept(const struct ls_incident_obs *x, const struct member *m)
{
    if (x->score != m->score)
        return x->score > m->score;
    return ls_incident_out_of_range(x->value, x->lo, x->hi) >
           ls_incident_out_of_range(m->value, m->lo, m->hi);
}

/* Adds (a copy of) m in id order unless present. */
static void add_member(struct incident *inc, const struct member *m)
{
    size_t at = 0;
    while (at < inc->n && strcmp(inc->m[at].id, m->id) < 0)
        at++;
    if (at < inc->n && strcmp(inc->m[at].id, m->id) == 0)
        return;
    if (inc->n == inc->cap) {
        inc->cap = inc->cap ? 2 * inc->cap : 8;
        inc->m = ls_xrealloc(inc->m, inc->cap * sizeof *inc->m);
    }
    memmove(&inc->m[at + 1], &inc->m[at], (inc->n - at) * sizeof *inc->m);
    inc->m[at] = *m;
    inc->m[at].id = ls_xstrdup(m->id);
    inc->m[at].metric = m->metric ? ls_xstrdup(m->metric) : NULL;
    inc->n++;
}

static void insert_open(struct ls_incidents *e, struct incident *inc)
{
    size_t at = 0;
    while (at < e->nopen && e->open[at]->id < inc->id)
        at++;
    if (e->nopen == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 16;
        e->open = ls_xrealloc(e->open, e->cap * sizeof *e->open);
    }
    memmove(&e->open[at + 1], &e->open[at], (e->nopen - at) * sizeof *e->open);
    e->open[at] = inc;
    e->nopen++;
}

static void mark(struct incident *inc, const char *change, int64_t now)
{
    /* "opened" and "resolved" win over "updated" within a step */
    if (!inc->change || strcmp(inc->change, "updated") == 0)
        inc->change = change;
    inc->updated_at = now;
}

/* ---- documents ------------------------------------------------------------------------ */

static json_t *time_json(int64_t t)
{
    char ts[40];
    return t ? json_string(ls_time_format_rfc3339(t, ts, sizeof(ts))) : json_null();
}

static json_t *causes_json(const struct incident *inc)
{
    json_t *a = json_array();
    for (size_t i = 0; i < inc->ncauses; i++) {
        const struct ls_incident_cause *c = &inc->causes[i];
        json_t *path = json_array();
        for (size_t k = 0; k < c->npath; k++)
            json_array_append_new(path, json_string(c->path[k]));
        json_t *o = json_pack("{s:s,s:f,s:s,s:o}", "id", c->id, "score", c->score, "reason",
                              c->reason, "path", path);
        if (!o || json_array_append_new(a, o) != 0)
            ls_json_oom();
    }
    return a;
}

/* The contract document of GET /v1/analytics/incidents/{id}. */
static json_t *incident_doc(const struct incident *inc)
{
    json_t *nodes = json_array();
    for (size_t i = 0; i < inc->n; i++)
        json_array_append_new(nodes, json_string(inc->m[i].id));
    json_t *o = json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:I}", "id", (json_int_t)inc->id, "state",
                          inc->open ? "open" : "resolved", "opened_at", time_json(inc->opened_at),
                          "updated_at", time_json(inc->updated_at), "resolved_at",
                          time_json(inc->resolved_at), "nodes", nodes, "causes", causes_json(inc),
                          "revision", (json_int_t)inc->revision);
    if (!o)
        ls_json_oom();
    if (inc->merged_into)
        json_object_set_new(o, "merged_into", json_integer(inc->merged_into));
    return o;
}

/* What ls_incidents_restore takes back: the members' own state, times in µs. */
static json_t *state_doc(const struct incident *inc)
{
    json_t *m = json_array();
    for (size_t i = 0; i < inc->n; i++) {
        const struct member *x = &inc->m[i];
        json_t *o =
            json_pack("{s:s,s:f,s:b,s:I,s:I,s:s?,s:i}", "id", x->id, "score", x->score, "anomalous",
                      x->anomalous, "joined_at", (json_int_t)x->joined_at, "last_bad",
                      (json_int_t)x->last_bad, "metric", x->metric, "went", x->went);
        if (o && ls_incident_out_of_range(x->value, x->lo, x->hi) >= 0 &&
            json_object_update_new(
                o, json_pack("{s:f,s:[f,f]}", "value", x->value, "expected", x->lo, x->hi)) != 0)
            ls_json_oom();
        if (!o || json_array_append_new(m, o) != 0)
            ls_json_oom();
    }
    json_t *o =
        json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "id", (json_int_t)inc->id, "opened_at",
                  (json_int_t)inc->opened_at, "updated_at", (json_int_t)inc->updated_at, "revision",
                  (json_int_t)inc->revision, "members", m, "causes", causes_json(inc));
    if (!o)
        ls_json_oom();
    return o;
}

static int bad_state(struct ls_err *err, const char *what)
{
    return ls_err_set(err, LS_EINVAL, "invalid_incident_state", "incident state: %s", what);
}

static int restore_causes(struct incident *inc, const json_t *a, struct ls_err *err)
{
    if (!json_is_array(a))
        return bad_state(err, "causes: expected an array");
    inc->causes = ls_xcalloc(json_array_size(a) + 1, sizeof *inc->causes);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        const json_t *path = json_object_get(v, "path");
        if (!id || !reason || !json_is_number(json_object_get(v, "score")) || !json_is_array(path))
            return bad_state(err, "causes: expected {id, score, reason, path}");
        struct ls_incident_cause *c = &inc->causes[inc->ncauses++];
        c->id = ls_xstrdup(id);
        c->reason = ls_xstrdup(reason);
        c->score = json_number_value(json_object_get(v, "score"));
        c->path = ls_xcalloc(json_array_size(path) + 1, sizeof *c->path);
        size_t k;
        json_t *s;
        json_array_foreach(path, k, s)
        {
            if (!json_is_string(s))
                return bad_state(err, "causes: path: expected node ids");
            c->path[c->npath++] = ls_xstrdup(json_string_value(s));
        }
    }
    return LS_OK;
}

int ls_incidents_restore(struct ls_incidents *e, const json_t *doc, struct ls_err *err)
{
    json_t *id = json_object_get(doc, "id"), *members = json_object_get(doc, "members");
    if (!json_is_integer(id) || json_integer_value(id) <= 0 || !json_is_array(members) ||
        json_array_size(members) == 0 || !json_is_integer(json_object_get(doc, "opened_at")) ||
        !json_is_integer(json_object_get(doc, "updated_at")) ||
        !json_is_integer(json_object_get(doc, "revision")))
        return bad_state(err, "expected {id, opened_at, updated_at, revision, members, causes}");
    for (size_t i = 0; i < e->nopen; i++)
        if (e->open[i]->id == json_integer_value(id))
            return ls_err_set(err, LS_ECONFLICT, "incident_exists", "incident %lld: restored twice",
                              (long long)json_integer_value(id));
    struct incident *inc = ls_xcalloc(1, sizeof *inc);
    inc->id = json_integer_value(id);
    inc->open = true;
    inc->opened_at = json_integer_value(json_object_get(doc, "opened_at"));
    inc->updated_at = json_integer_value(json_object_get(doc, "updated_at"));
    inc->revision = json_integer_value(json_object_get(doc, "revision"));
    size_t i;
    json_t *v;
    json_array_foreach(members, i, v)
    {
        struct member m = {
            .id = (char *)json_string_value(json_object_get(v, "id")),
            .score = json_number_value(json_object_get(v, "score")),
            .anomalous = json_is_true(json_object_get(v, "anomalous")),
            .joined_at = json_integer_value(json_object_get(v, "joined_at")),
            .last_bad = json_integer_value(json_object_get(v, "last_bad")),
            .metric = (char *)json_string_value(json_object_get(v, "metric")),
            /* absent in states stored before it was kept: unknown */
            .went = json_integer_value(json_object_get(v, "went")) > 0   ? 1
                    : json_integer_value(json_object_get(v, "went")) < 0 ? -1
                                                                         : 0,
            /* absent in states stored before they were kept, or unknown: NAN */
            .value = json_is_number(json_object_get(v, "value"))
                         ? json_number_value(json_object_get(v, "value"))
                         : NAN,
            .lo = json_number_value(json_array_get(json_object_get(v, "expected"), 0)),
            .hi = json_number_value(json_array_get(json_object_get(v, "expected"), 1)),
        };
        if (!m.id || !json_is_integer(json_object_get(v, "last_bad"))) {
            incident_free(inc);
            return bad_state(err, "members: expected {id, score, anomalous, joined_at, last_bad}");
        }
        add_member(inc, &m);
    }
    int rc = restore_causes(inc, json_object_get(doc, "causes"), err);
    if (rc != LS_OK) {
        incident_free(inc);
        return rc;
    }
    insert_open(e, inc);
    for (i = 0; i < inc->n; i++)
        ls_map_put(&e->owner, inc->m[i].id, inc);
    if (inc->id > e->last_id)
        e->last_id = inc->id;
    if (inc->updated_at > e->now)
        e->now = inc->updated_at;
    return LS_OK;
}

/* ---- one step ------------------------------------------------------------------------- */

/* Union-find over the step's anomalous nodes [0, na) and open incidents [na, na + nopen). */
static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    /* the smaller index is the root: components are met in a deterministic order */
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

static int cmp_obs(const void *a, const void *b)
{
    const struct ls_incident_obs *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->score > y->score ? -1 : x->score < y->score ? 1 : 0;
}

/* The anomalous observations sorted by id, one per node (the worst). */
static struct ls_incident_obs *anomalous(const struct ls_incident_obs *obs, size_t n, size_t *na)
{
    struct ls_incident_obs *a = ls_xcalloc(n + 1, sizeof *a);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (obs[i].id && (obs[i].colour == LS_COLOUR_RED || obs[i].colour == LS_COLOUR_YELLOW))
            a[k++] = obs[i];
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(a[i].score) || a[i].score < 0)
            a[i].score = 0;
        else if (a[i].score > 1)
            a[i].score = 1;
        a[i].went = a[i].went > 0 ? 1 : a[i].went < 0 ? -1 : 0;
        if (ls_incident_out_of_range(a[i].value, a[i].lo, a[i].hi) < 0)
            a[i].value = a[i].lo = a[i].hi = NAN;
    }
    qsort(a, k, sizeof *a, cmp_obs);
    size_t w = 0;
    for (size_t i = 0; i < k; i++)
        if (w == 0 || strcmp(a[w - 1].id, a[i].id) != 0)
            a[w++] = a[i];
    *na = w;
    return a;
}

static size_t incident_index(const struct ls_incidents *e, const struct incident *inc)
{
    for (size_t i = 0; i < e->nopen; i++)
        if (e->open[i] == inc)
            return i;
    LS_ASSERT(!"incident not open");
    return 0;
}

/* Links anomalous node i to what its walk reaches: other anomalous nodes, and open incidents
 * through members anomalous within the window. */
static void link_walk(struct ls_incidents *e,
                      const struct ls_snap *snap,
                      const struct ls_incident_obs *a,
                      size_t na,
                      const struct ls_map *index,
                      size_t *parent,
                      size_t i,
                      int64_t now)
{
    struct ls_walk_step *steps;
    size_t ns;
    ls_incident_walk(snap, a[i].id, e->p.max_hops, e->p.max_walk, &steps, &ns);
    for (size_t k = 1; k < ns; k++) {
        uintptr_t j = (uintptr_t)ls_map_get(index, steps[k].id);
        if (j) {
            uf_union(parent, i, j - 1);
            continue;
        }
        struct incident *inc = ls_map_get(&e->owner, steps[k].id);
        if (!inc)
            continue;
        const struct member *m = find_member(inc, steps[k].id);
        if (m && m->last_bad >= now - e->p.window_us)
            uf_union(parent, i, na + incident_index(e, inc));
    }
    free(steps);
}

/* Moves the members of `from` into `into`; `from` resolves, merged. */
static void merge(struct ls_incidents *e, struct incident *into, struct incident *from, int64_t now)
{
    for (size_t i = 0; i < from->n; i++) {
        add_member(into, &from->m[i]);
        ls_map_put(&e->owner, from->m[i].id, into);
    }
    from->open = false;
    from->resolved_at = now;
    from->merged_into = into->id;
    mark(from, "resolved", now);
    mark(into, "updated", now);
}

/* Handles one connected component: opens, joins or merges. */
static void settle_component(struct ls_incidents *e,
                             const struct ls_incident_obs *a,
                             size_t na,
                             size_t *parent,
                             size_t root,
                             size_t nopen0,
                             int64_t now)
{
    struct incident *into = NULL;
    for (size_t k = 0; k < nopen0; k++) {
        struct incident *inc = e->open[k];
        if (!inc->open || uf_find(parent, na + k) != root)
            continue;
        if (!into)
            into = inc; /* open[] is sorted by id: the oldest survives */
        else
            merge(e, into, inc, now);
    }
    for (size_t i = 0; i < na; i++) {
        if (uf_find(parent, i) != root || ls_map_get(&e->owner, a[i].id))
            continue;
        if (!into) {
            if (e->nopen >= e->p.max_open)
                return;
            into = ls_xcalloc(1, sizeof *into);
            into->id = ++e->last_id;
            into->open = true;
            into->opened_at = now;
            insert_open(e, into);
            mark(into, "opened", now);
        } else if (into->n >= e->p.max_nodes) {
            continue;
        } else {
            mark(into, "updated", now);
        }
        struct member m = {(char *)a[i].id,
                           (char *)a[i].metric,
                           a[i].score,
                           a[i].went,
                           a[i].value,
                           a[i].lo,
                           a[i].hi,
                           true,
                           now,
                           now};
        add_member(into, &m);
        ls_map_put(&e->owner, a[i].id, into);
    }
}

static bool same_order(const struct ls_incident_cause *x,
                       size_t nx,
                       const struct ls_incident_cause *y,
                       size_t ny)
{
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (strcmp(x[i].id, y[i].id) != 0)
            return false;
    return true;
}

/* Re-ranks an open incident (its members changed, or rerank_us passed since it was ranked); a
 * new order of causes (or a changed membership) replaces them. */
static void rerank(struct ls_incidents *e, const struct ls_snap *snap, struct incident *inc)
{
    if (!inc->change && inc->ranked_at && e->now - inc->ranked_at < e->p.rerank_us)
        return;
    inc->ranked_at = e->now;
    struct ls_incident_member *m = ls_xcalloc(inc->n + 1, sizeof *m);
    for (size_t i = 0; i < inc->n; i++)
        m[i] =
            (struct ls_incident_member){inc->m[i].id,        inc->m[i].score,    inc->m[i].metric,
                                        inc->m[i].anomalous, inc->m[i].last_bad, inc->m[i].went,
                                        inc->m[i].value,     inc->m[i].lo,       inc->m[i].hi};
    struct ls_incident_cause *c;
    size_t nc;
    const struct ls_incident_ranking in = {snap, m, inc->n, inc->opened_at, e->now, &e->p};
    e->rank(e->rank_arg, &in, &c, &nc);
    free(m);
    if (inc->change || !same_order(c, nc, inc->causes, inc->ncauses)) {
        ls_incident_causes_free(inc->causes, inc->ncauses);
        inc->causes = c;
        inc->ncauses = nc;
        mark(inc, "updated", e->now);
    } else {
        ls_incident_causes_free(c, nc);
    }
}

int ls_incidents_step(struct ls_incidents *e,
                      const struct ls_snap *snap,
                      const struct ls_incident_obs *obs,
                      size_t n,
                      int64_t now,
                      json_t **out,
                      struct ls_err *err)
{
    *out = NULL;
    if (now < e->now)
        return ls_err_set(err, LS_EINVAL, "time_went_back", "step at %lld: before %lld",
                          (long long)now, (long long)e->now);
    e->now = now;
    size_t na;
    struct ls_incident_obs *a = anomalous(obs, n, &na);

    /* members' colours now */
    for (size_t k = 0; k < e->nopen; k++)
        for (size_t i = 0; i < e->open[k]->n; i++)
            e->open[k]->m[i].anomalous = false;
    struct ls_map index; /* anomalous id -> its index + 1 */
    ls_map_init(&index);
    for (size_t i = 0; i < na; i++) {
        ls_map_put(&index, a[i].id, (void *)(uintptr_t)(i + 1));
        struct incident *inc = ls_map_get(&e->owner, a[i].id);
        struct member *m = inc ? find_member(inc, a[i].id) : NULL;
        if (m) {
            m->anomalous = true;
            m->last_bad = now;
            if (!worse_than_kept(&a[i], m))
                continue;
            m->score = a[i].score;
            m->went = a[i].went;
            m->value = a[i].value;
            m->lo = a[i].lo;
            m->hi = a[i].hi;
            if (!a[i].metric || !m->metric || strcmp(m->metric, a[i].metric) != 0) {
                free(m->metric);
                m->metric = a[i].metric ? ls_xstrdup(a[i].metric) : NULL;
            }
        }
    }

    /* connect: an anomalous node with its incident, and with what its walk reaches */
    size_t nopen0 = e->nopen, nel = na + nopen0;
    size_t *parent = ls_xcalloc(nel + 1, sizeof *parent);
    for (size_t x = 0; x < nel; x++)
        parent[x] = x;
    for (size_t i = 0; i < na; i++) {
        struct incident *inc = ls_map_get(&e->owner, a[i].id);
        if (inc)
            uf_union(parent, i, na + incident_index(e, inc));
        link_walk(e, snap, a, na, &index, parent, i, now);
    }
    /* incidents only change here: new ones are appended to open[] after nopen0 is taken, so
     * indexes [0, nopen0) keep naming the incidents the union-find knows (ids grow) */
    for (size_t x = 0; x < nel; x++)
        if (uf_find(parent, x) == x)
            settle_component(e, a, na, parent, x, nopen0, now);

    /* resolve what has been quiet for the hold time; re-rank the rest */
    for (size_t k = 0; k < e->nopen; k++) {
        struct incident *inc = e->open[k];
        if (!inc->open)
            continue;
        bool any = false;
        int64_t last = 0;
        for (size_t i = 0; i < inc->n; i++) {
            any = any || inc->m[i].anomalous;
            if (inc->m[i].last_bad > last)
                last = inc->m[i].last_bad;
        }
        if (!any && now - last >= e->p.hold_us) {
            inc->open = false;
            inc->resolved_at = now;
            mark(inc, "resolved", now);
            continue;
        }
        rerank(e, snap, inc);
    }

    /* report in id order; drop what resolved */
    json_t *changes = json_array();
    size_t w = 0;
    for (size_t k = 0; k < e->nopen; k++) {
        struct incident *inc = e->open[k];
        if (inc->change) {
            inc->revision++;
            json_t *c = json_pack("{s:s,s:o,s:o}", "change", inc->change, "incident",
                                  incident_doc(inc), "state", state_doc(inc));
            if (!c || json_array_append_new(changes, c) != 0)
                ls_json_oom();
            inc->change = NULL;
        }
        if (inc->open) {
            e->open[w++] = inc;
            continue;
        }
        for (size_t i = 0; i < inc->n; i++)
            if (ls_map_get(&e->owner, inc->m[i].id) == inc)
                ls_map_del(&e->owner, inc->m[i].id);
        incident_free(inc);
    }
    e->nopen = w;
    free(parent);
    ls_map_cleanup(&index);
    free(a);
    *out = changes;
    return LS_OK;
}
