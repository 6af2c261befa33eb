/* Ranking hosts for a request: the filters in the order an operator reads them (host down,
 * red, zone, aggregate, traits, capacity per class, affinity, NUMA), then a score from free
 * capacity after the claim (spread, as Nova's default weighers) and live load, minus a penalty
 * when yellow. One function (evaluate) judges a host, with or without its reasons' text: the
 * fast pass over every host and the explained answer use the same code. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/placement_impl.h"
#include "common/time.h"
#include "model/telemetry.h"

const struct ls_place_load_metric ls_place_load_metrics[] = {
    {"cpu_util", 0.01},                 /* Ceilometer (percent) */
    {"compute.node.cpu.percent", 0.01}, /* Ceilometer's compute node pollster */
    {"hardware.cpu.util", 0.01},        /* SNMP hardware pollster */
    {"cpu.utilization", 1.0},           /* 0..1 */
    {"system.cpu.utilization", 1.0},    /* OpenTelemetry host metrics */
    {"cpu.usage_active", 0.01},         /* Telegraf */
};
const size_t ls_place_load_metrics_count =
    sizeof(ls_place_load_metrics) / sizeof(ls_place_load_metrics[0]);

enum { C_GREY = 0, C_GREEN, C_YELLOW, C_RED };
static const char *const colour_names[] = {"grey", "green", "yellow", "red"};

/* What the group of an affinity request occupies, resolved once per request. */
struct group {
    long hosts[LS_PLACE_MAX_GROUP];
    size_t n_hosts;
    const char *racks[LS_PLACE_MAX_GROUP];
    size_t n_racks;
    int rc_id[LS_PLACE_MAX_RC]; /* the request's classes as table ids (place_rc_id) */
};

static int resolve_group(const struct ls_place_table *t,
                         const struct ls_place_request *r,
                         struct group *g,
                         struct ls_err *err)
{
    memset(g, 0, sizeof(*g));
    for (size_t k = 0; k < r->n_res; k++)
        g->rc_id[k] = place_rc_id(t, r->res[k].rc);
    for (size_t i = 0; i < r->n_group; i++) {
        bool known;
        long h = place_server_host(t, r->group[i], &known);
        if (!known)
            return ls_err_set(err, LS_ENOTFOUND, "server_not_found", "group: no server %.64s",
                              r->group[i]);
        if (h < 0)
            continue; /* not placed yet (building): constrains nothing, as in Nova */
        g->hosts[g->n_hosts++] = h;
        const char *rack = t->hosts[h].rack;
        if (rack)
            g->racks[g->n_racks++] = rack;
    }
    return LS_OK;
}

static bool has_host(const struct group *g, long h)
{
    for (size_t i = 0; i < g->n_hosts; i++)
        if (g->hosts[i] == h)
            return true;
    return false;
}

static bool has_rack(const struct group *g, const char *rack)
{
    for (size_t i = 0; i < g->n_racks; i++)
        if (!strcmp(g->racks[i], rack))
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_trait(const struct place_host *h, const char *trait)
{
    return h->n_traits &&
           bsearch(&trait, h->traits, h->n_traits, sizeof(*h->traits), cmp_str) != NULL;
}

static bool has_agg(const struct place_host *h, const char *name)
{
    for (size_t i = 0; i < h->n_aggs; i++)
        if (!strcmp(h->aggs[i], name))
            return true;
    return false;
}

/* The host's load 0..1 from the first load metric found on the hypervisor, then its machine;
 * -1 unknown. *metric and *node say where it came from. */
double place_host_load(const struct place_host *h,
                       const struct ls_place_live *live,
                       const char **metric,
                       const char **node)
{
    if (!live || !live->tel)
        return -1;
    const char *ids[2] = {h->hv->id, h->machine};
    for (int k = 0; k < 2; k++) {
        if (!ids[k])
            continue;
        for (size_t i = 0; i < ls_place_load_metrics_count; i++) {
            double m;
            if (ls_telemetry_mean(live->tel, ids[k], ls_place_load_metrics[i].metric, &m, NULL)) {
                *metric = ls_place_load_metrics[i].metric;
                *node = ids[k];
                double l = m * ls_place_load_metrics[i].scale;
                return l < 0 ? 0 : l > 1 ? 1 : l;
            }
        }
    }
    return -1;
}

int place_host_colour(const struct place_host *h, const struct ls_place_live *live)
{
    if (!live || !live->colour)
        return C_GREY;
    int c = live->colour(live->colour_arg, h->hv->id);
    if (h->machine) {
        int m = live->colour(live->colour_arg, h->machine);
        c = m > c ? m : c;
    }
    return c < C_GREY || c > C_RED ? C_GREY : c;
}

static struct place_livevals *lv_read(const struct ls_place_table *t,
                                      const struct ls_place_live *live)
{
    struct place_livevals *lv = ls_xmalloc(sizeof(*lv) + (t->n + 1) * sizeof(lv->v[0]));
    atomic_init(&lv->refs, 1);
    lv->at_ns = ls_time_mono_ns();
    for (size_t i = 0; i < t->n; i++) {
        struct place_lv *x = &lv->v[i];
        x->metric = x->node = NULL;
        x->colour = place_host_colour(&t->hosts[i], live);
        x->load = place_host_load(&t->hosts[i], live, &x->metric, &x->node);
    }
    return lv;
}

struct place_livevals *place_lv_get(struct ls_place_table *t, const struct ls_place_live *live)
{
    if (!live || live->max_age_ms <= 0)
        return lv_read(t, live);
    pthread_mutex_lock(&t->lazy);
    if (!t->lv || ls_time_mono_ns() - t->lv->at_ns > (long long)live->max_age_ms * 1000000LL) {
        place_lv_release(t->lv);
        t->lv = lv_read(t, live); /* one reader refreshes; the others wait for it */
    }
    struct place_livevals *lv = t->lv;
    atomic_fetch_add(&lv->refs, 1);
    pthread_mutex_unlock(&t->lazy);
    return lv;
}

void place_lv_release(struct place_livevals *lv)
{
    if (lv && atomic_fetch_sub(&lv->refs, 1) == 1)
        free(lv);
}

/* Adds a reason (cut to the text's size) when texts. */
static void say(struct ls_place_verdict *v, bool texts, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(struct ls_place_verdict *v, bool texts, const char *fmt, ...)
{
    if (!texts || v->n_reasons >= LS_PLACE_MAX_REASONS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->text[v->n_reasons++], sizeof(v->text[0]), fmt, ap);
    va_end(ap);
}

/* Excludes v with key (and a reason when texts). Returns false for the caller to return. */
static bool exclude(struct ls_place_verdict *v, const char *key, const char *rc)
{
    v->fits = false;
    size_t k = strlen(key);
    memcpy(v->excluded_by, key, k + 1); /* keys are short static names */
    if (rc) {
        v->excluded_by[k] = ':';
        snprintf(v->excluded_by + k + 1, sizeof(v->excluded_by) - k - 1, "%s", rc);
    }
    return false;
}

/* Does one NUMA cell layout take the request? hw:numa_nodes=N splits vcpus and RAM evenly over
 * N distinct host cells (Nova's rule); each cell's share of the host's free VCPU and memory is
 * its share of the host's PUs and memory (Placement tracks no per-cell usage here). */
static bool numa_fits(const struct place_host *h, const struct ls_place_request *r, int *cells)
{
    double vcpu = 0, mem = 0;
    for (size_t i = 0; i < r->n_res; i++) {
        if (!strcmp(r->res[i].rc, "VCPU"))
            vcpu = (double)r->res[i].amount;
        else if (!strcmp(r->res[i].rc, "MEMORY_MB"))
            mem = (double)r->res[i].amount;
    }
    const struct place_inv *iv = place_inv_of(h, "VCPU"), *im = place_inv_of(h, "MEMORY_MB");
    double vfree = iv && iv->capacity > 0 ? iv->free / iv->capacity : 1;
    double mfree = im && im->capacity > 0 ? im->free / im->capacity : 1;
    double vratio = iv ? iv->ratio : 1;
    double need_v = ceil(vcpu / r->numa_nodes), need_m = ceil(mem / r->numa_nodes);
    *cells = 0;
    for (int c = 0; c < h->n_numa; c++) {
        double cv = h->numa[c].cpus * vratio * vfree, cm = h->numa[c].memory_mb * mfree;
        if (cv >= need_v && cm >= need_m)
            (*cells)++;
    }
    return *cells >= r->numa_nodes;
}

/* Judges host i for r. With texts, fills v->text with the reasons an operator reads. */
static bool evaluate(const struct ls_place_table *t,
                     const struct ls_place_request *r,
                     const struct place_lv *lv,
                     const struct group *g,
                     size_t i,
                     bool texts,
                     struct ls_place_verdict *v)
{
    const struct place_host *h = &t->hosts[i];
    memset(v, 0, offsetof(struct ls_place_verdict, text));
    v->n_reasons = 0;
    v->host = i;
    v->fits = true;
    v->colour = lv->colour;
    const char *lm = lv->metric, *ln = lv->node;
    v->load = lv->load;
    if (h->down) {
        say(v, texts, "hypervisor is %s", h->down);
        return exclude(v, h->down, NULL);
    }
    if (v->colour == C_RED) {
        say(v, texts, "colour red: anomalous, takes nothing new");
        return exclude(v, "red", NULL);
    }
    if (r->availability_zone && (!h->zone || strcmp(h->zone, r->availability_zone) != 0)) {
        say(v, texts, "availability zone %.40s, not %.40s", h->zone ? h->zone : "(none)",
            r->availability_zone);
        return exclude(v, "availability_zone", NULL);
    }
    if (r->aggregate && !has_agg(h, r->aggregate)) {
        say(v, texts, "not in aggregate %.64s", r->aggregate);
        return exclude(v, "aggregate", NULL);
    }
    for (size_t k = 0; k < r->n_required; k++)
        if (!has_trait(h, r->required[k])) {
            say(v, texts, "lacks required trait %.64s", r->required[k]);
            return exclude(v, "trait_missing", NULL);
        }
    for (size_t k = 0; k < r->n_forbidden; k++)
        if (has_trait(h, r->forbidden[k])) {
            say(v, texts, "has forbidden trait %.64s", r->forbidden[k]);
            return exclude(v, "trait_forbidden", NULL);
        }
    double spread = 0;
    size_t n_spread = 0;
    for (size_t k = 0; k < r->n_res; k++) {
        const struct ls_place_amount *a = &r->res[k];
        int id = g->rc_id[k];
        const struct place_inv *x = id >= 0    ? (h->by_rc[id] >= 0 ? &h->inv[h->by_rc[id]] : NULL)
                                    : id == -1 ? NULL
                                               : place_inv_of(h, a->rc);
        double amt = (double)a->amount;
        if (!x) {
            say(v, texts, "%s: no inventory", a->rc);
            return exclude(v, "capacity", a->rc);
        }
        if ((x->min_unit > 0 && amt < x->min_unit) || (x->max_unit > 0 && amt > x->max_unit) ||
            (x->step > 0 && fmod(amt, x->step) != 0)) {
            say(v, texts, "%s: %lld outside min_unit %g, max_unit %g, step_size %g", a->rc,
                (long long)a->amount, x->min_unit, x->max_unit, x->step);
            return exclude(v, "unit", a->rc);
        }
        if (amt > x->free) {
            say(v, texts, "%s: %lld asked, %g free of %g", a->rc, (long long)a->amount, x->free,
                x->capacity);
            return exclude(v, "capacity", a->rc);
        }
        say(v, texts, "%s: %lld of %g free (capacity %g = (%g - %g) x %g)", a->rc,
            (long long)a->amount, x->free, x->capacity, x->total, x->reserved, x->ratio);
        if (x->capacity > 0) {
            spread += (x->free - amt) / x->capacity;
            n_spread++;
        }
    }
    switch (r->affinity) {
    case LS_PLACE_SAME_HOST:
        if (g->n_hosts && !has_host(g, (long)i)) {
            say(v, texts, "affinity: the group runs on other hosts");
            return exclude(v, "affinity", NULL);
        }
        break;
    case LS_PLACE_DIFFERENT_HOST:
        if (has_host(g, (long)i)) {
            say(v, texts, "anti-affinity: a server of the group runs here");
            return exclude(v, "anti_affinity", NULL);
        }
        break;
    case LS_PLACE_SAME_RACK:
    case LS_PLACE_DIFFERENT_RACK:
        if (!h->rack) {
            say(v, texts, "rack unknown: %s cannot be checked", place_affinity_name(r->affinity));
            return exclude(v, "rack_unknown", NULL);
        }
        if (r->affinity == LS_PLACE_SAME_RACK && g->n_racks && !has_rack(g, h->rack)) {
            say(v, texts, "rack %.64s: the group is in other racks", h->rack);
            return exclude(v, "affinity", NULL);
        }
        if (r->affinity == LS_PLACE_DIFFERENT_RACK && has_rack(g, h->rack)) {
            say(v, texts, "rack %.64s: a server of the group is in this rack", h->rack);
            return exclude(v, "anti_affinity", NULL);
        }
        say(v, texts, "rack %.64s (%s)", h->rack, place_affinity_name(r->affinity));
        break;
    case LS_PLACE_AFF_NONE:
        break;
    }
    if (r->numa_nodes) {
        int cells = 0;
        if (!numa_fits(h, r, &cells)) {
            say(v, texts, "hw:numa_nodes=%d: %d of %d NUMA cells can take a share", r->numa_nodes,
                cells, h->n_numa);
            return exclude(v, "numa", NULL);
        }
        say(v, texts, "hw:numa_nodes=%d: %d NUMA cells can take a share", r->numa_nodes, cells);
    }
    /* score: free capacity left after the claim (spread) and idleness, equally weighted */
    if (n_spread == 0) {
        const char *def[] = {"VCPU", "MEMORY_MB"};
        for (int k = 0; k < 2; k++) {
            const struct place_inv *x = place_inv_of(h, def[k]);
            if (x && x->capacity > 0) {
                spread += x->free / x->capacity;
                n_spread++;
            }
        }
    }
    double free_part = n_spread ? spread / (double)n_spread : 0.5;
    double load = v->load < 0 ? LS_PLACE_UNKNOWN_LOAD : v->load;
    v->score = 100.0 * (0.5 * free_part + 0.5 * (1.0 - load));
    if (v->load >= 0)
        say(v, texts, "load %.2f (%s on %.80s)", v->load, lm, ln);
    else
        say(v, texts, "load unknown (counted as %.2f)", LS_PLACE_UNKNOWN_LOAD);
    if (v->colour == C_YELLOW) {
        v->score -= LS_PLACE_YELLOW_COST;
        say(v, texts, "colour yellow: -%g", LS_PLACE_YELLOW_COST);
    }
    v->score = v->score < 0 ? 0 : v->score > 100 ? 100 : v->score;
    v->score = round(v->score * 100.0) / 100.0;
    return true;
}

/* The lean record of the fast pass (the full verdict is made for the answer's hosts only). */
struct lean {
    double score;
    uint32_t host;
};

static int by_score(const void *a, const void *b)
{
    const struct lean *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->host < y->host ? -1 : x->host > y->host;
}

int ls_place_rank(struct ls_place_table *t,
                  const struct ls_place_request *r,
                  const struct ls_place_live *live,
                  struct ls_place_verdict **out,
                  size_t *n,
                  json_t **excluded,
                  struct ls_err *err)
{
    *out = NULL;
    *n = 0;
    *excluded = NULL;
    struct group g;
    if (resolve_group(t, r, &g, err))
        return err->status;
    if (r->numa_nodes)
        place_numa_load(t);
    struct lean *fit = ls_xmalloc((t->n + 1) * sizeof(*fit));
    size_t n_fit = 0;
    struct place_livevals *lv = place_lv_get(t, live);
    /* excluded counts by key: few distinct keys, counted in place (no JSON per host) */
    struct {
        char key[64];
        json_int_t n;
    } keys[LS_PLACE_MAX_RC + 16];
    size_t n_keys = 0;
    struct ls_place_verdict v;
    for (size_t i = 0; i < t->n; i++) {
        if (evaluate(t, r, &lv->v[i], &g, i, false, &v)) {
            fit[n_fit].score = v.score;
            fit[n_fit++].host = (uint32_t)i;
            continue;
        }
        size_t k = 0;
        while (k < n_keys && strcmp(keys[k].key, v.excluded_by) != 0)
            k++;
        if (k == n_keys && n_keys < sizeof(keys) / sizeof(keys[0])) {
            memcpy(keys[k].key, v.excluded_by, sizeof(keys[k].key));
            keys[n_keys++].n = 0;
        }
        if (k < n_keys)
            keys[k].n++;
    }
    json_t *exc = json_object();
    for (size_t k = 0; k < n_keys; k++)
        json_object_set_new(exc, keys[k].key, json_integer(keys[k].n));
    size_t want = r->count && r->count < n_fit ? r->count : n_fit;
    if (want <= 32 && want < n_fit) {
        /* a short answer: keep the best `want` in order as we go (no sort of every host) */
        size_t kept = 0;
        for (size_t i = 0; i < n_fit; i++) {
            struct lean x = fit[i];
            if (kept == want && by_score(&x, &fit[want - 1]) >= 0)
                continue;
            size_t j = kept < want ? kept++ : want - 1;
            while (j > 0 && by_score(&x, &fit[j - 1]) < 0) {
                fit[j] = fit[j - 1];
                j--;
            }
            fit[j] = x;
        }
    } else {
        qsort(fit, n_fit, sizeof(*fit), by_score);
    }
    *out = ls_xcalloc(want + 1, sizeof(**out));
    for (size_t k = 0; k < want; k++)
        (void)evaluate(t, r, &lv->v[fit[k].host], &g, fit[k].host, true, &(*out)[k]);
    place_lv_release(lv);
    free(fit);
    *n = want;
    *excluded = exc;
    return LS_OK;
}

static json_t *reasons_json(const struct ls_place_verdict *v)
{
    json_t *a = json_array();
    for (size_t k = 0; k < v->n_reasons; k++)
        json_array_append_new(a, json_string(v->text[k]));
    return a;
}

json_t *ls_place_answer_json(struct ls_place_table *t,
                             const struct ls_place_verdict *v,
                             size_t n,
                             json_t *excluded_stolen)
{
    json_t *hosts = json_array();
    for (size_t k = 0; k < n; k++) {
        const struct place_host *h = &t->hosts[v[k].host];
        json_array_append_new(hosts, json_pack("{s:s,s:s,s:f,s:b,s:o}", "host", h->name, "node",
                                               h->hv->id, "score", v[k].score, "fits", v[k].fits,
                                               "reasons", reasons_json(&v[k])));
    }
    return json_pack("{s:o,s:o,s:I}", "hosts", hosts, "excluded",
                     excluded_stolen ? excluded_stolen : json_object(), "revision",
                     (json_int_t)t->revision);
}

static json_t *capacity_json(const struct place_host *h)
{
    json_t *o = json_object();
    for (size_t i = 0; i < h->n_inv; i++) {
        const struct place_inv *x = &h->inv[i];
        json_object_set_new(o, x->rc,
                            json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "total", x->total, "reserved",
                                      x->reserved, "allocation_ratio", x->ratio, "capacity",
                                      x->capacity, "used", x->used, "free", x->free));
    }
    return o;
}

static json_t *strs_json(const char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

int ls_place_judge(struct ls_place_table *t,
                   const char *host,
                   const struct ls_place_request *r,
                   const struct ls_place_live *live,
                   struct ls_place_verdict *v,
                   struct ls_err *err)
{
    long i = place_host_index(t, host);
    if (i < 0)
        return ls_err_set(err, LS_ENOTFOUND, "host_not_found", "no hypervisor %.64s", host);
    struct group g;
    if (resolve_group(t, r, &g, err))
        return err->status;
    if (r->numa_nodes)
        place_numa_load(t);
    struct place_lv one = {.metric = NULL, .node = NULL};
    one.colour = place_host_colour(&t->hosts[i], live);
    one.load = place_host_load(&t->hosts[i], live, &one.metric, &one.node);
    (void)evaluate(t, r, &one, &g, (size_t)i, true, v);
    return LS_OK;
}

int ls_place_explain(struct ls_place_table *t,
                     const char *host,
                     const struct ls_place_request *r,
                     const struct ls_place_live *live,
                     json_t **out,
                     struct ls_err *err)
{
    *out = NULL;
    place_numa_load(t); /* the explanation shows the cells either way */
    struct ls_place_verdict *v = ls_xcalloc(1, sizeof(*v));
    if (ls_place_judge(t, host, r, live, v, err)) {
        free(v);
        return err->status;
    }
    long i = (long)v->host;
    bool fits = v->fits;
    const struct place_host *h = &t->hosts[i];
    json_t *numa = json_array();
    for (int c = 0; c < h->n_numa; c++)
        json_array_append_new(numa, json_pack("{s:f,s:f}", "cpus", h->numa[c].cpus, "memory_mb",
                                              h->numa[c].memory_mb));
    *out = json_pack(
        "{s:s,s:s,s:b,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I}", "host", h->name, "node",
        h->hv->id, "fits", fits, "score", fits ? json_real(v->score) : json_null(), "excluded_by",
        fits ? json_null() : json_string(v->excluded_by), "reasons", reasons_json(v), "colour",
        colour_names[v->colour], "load", v->load < 0 ? json_null() : json_real(v->load), "capacity",
        capacity_json(h), "machine", h->machine ? json_string(h->machine) : json_null(), "rack",
        h->rack ? json_string(h->rack) : json_null(), "availability_zone",
        h->zone ? json_string(h->zone) : json_null(), "aggregates", strs_json(h->aggs, h->n_aggs),
        "traits", strs_json(h->traits, h->n_traits), "revision", (json_int_t)t->revision);
    json_object_set_new(*out, "numa_cells", numa);
    free(v);
    return LS_OK;
}
