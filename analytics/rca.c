/* Root-cause ranking: per-series evidence (robust z against a baseline), per-node anomaly,
 * then for each anomalous node a bounded walk along the edges it can affect, scoring how much
 * of the other anomalies it explains and how much it is itself explained by an anomalous node
 * it depends on. Baselines (plain z-score, random) share the evidence and the output. See
 * analytics/README.md ("Root-cause ranking") for the method and its measured results. */
#include "analytics/rca.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigmem.h"
#include "common/map.h"
#include "common/par.h"

/* ---- tables ---------------------------------------------------------------------------- */

/* How strongly a fault at one end of an edge shows at the other, per edge type: "src <type>
 * dst" (an instance runs_on its hypervisor, a caller depends_on its callee, a machine contains
 * its disk). 0 = not followed that way. */
static const struct {
    double src_to_dst; /* a fault at src affects dst (load, a noisy neighbour, back-pressure) */
    double dst_to_src; /* a fault at dst affects src (what src runs on / depends on / is in) */
} edge_effect[LS_EDGE_TYPE_COUNT] = {
    [LS_EDGE_CONTAINS] = {0.7, 0.7},    [LS_EDGE_RUNS_ON] = {0.4, 1.0},
    [LS_EDGE_ATTACHED_TO] = {0.8, 0.6}, [LS_EDGE_CONNECTED_TO] = {0.8, 0.8},
    [LS_EDGE_MEMBER_OF] = {0.3, 0.8},   [LS_EDGE_USES] = {0.3, 0.8},
    [LS_EDGE_DEPENDS_ON] = {0.3, 1.0},
};

/* Which end of an edge serves the other: its consumer puts load on it, and its faults show
 * on the consumer. +1 dst serves src (an instance runs_on its hypervisor, a caller depends_on
 * its callee), -1 src serves dst (a volume attached_to its instance), 0 neither (contains). */
static const int provider_end[LS_EDGE_TYPE_COUNT] = {
    [LS_EDGE_CONTAINS] = 0,      [LS_EDGE_RUNS_ON] = +1,   [LS_EDGE_ATTACHED_TO] = -1,
    [LS_EDGE_CONNECTED_TO] = +1, [LS_EDGE_MEMBER_OF] = +1, [LS_EDGE_USES] = +1,
    [LS_EDGE_DEPENDS_ON] = +1,
};

/* Call dependencies (a caller depends_on / uses its callee, a member of its group): a
 * callee's delay adds to its caller's, so it explains a caller's excursion only up to its own
 * size. Shared resources (runs_on, connected_to, attached_to, contains): contention is not
 * proportional, so a resource that is clearly anomalous explains its consumers' symptoms
 * whatever their size (a hypervisor's CPU up by a third triples its tenants' latency). */
static const bool additive[LS_EDGE_TYPE_COUNT] = {
    [LS_EDGE_DEPENDS_ON] = true, [LS_EDGE_USES] = true, [LS_EDGE_MEMBER_OF] = true};

/* A metric's kind: load (work asked of a node: CPU, memory, traffic, requests) or a symptom
 * (how well it serves: latency, errors, availability). A rise in load is explained by a
 * consumer whose load rose; a symptom, or load that fell, by something the node relies on. */
enum kind { KIND_SYMPTOM = 0, KIND_LOAD };

/* The way a metric goes wrong, by a substring of its name (first match wins). */
static const struct metric_rule {
    const char *part;
    int dir;        /* +1 up is bad, -1 down is bad, 0 either */
    double weight;  /* how much its excursions count: traffic volume moves with everything
                       upstream, so it is weaker evidence of a fault than errors or latency */
    enum kind kind; /* for load, its bad direction is more load (free memory falling) */
    bool share;     /* the share of requests served well, in % or as a fraction (spread_floor) */
    bool errors;    /* it counts requests that failed (or the share that did not) */
    bool delay;     /* a time spent serving (latency): a callee's adds to its caller's */
    bool demand;    /* the work asked of it (requests): a fall is its consumers asking less,
                       where a fall in traffic (bytes, packets) may as well be a path that died */
} metric_dirs[] = {
    {"availability", -1, 1.0, KIND_SYMPTOM, true, true, false, false},
    {"success", -1, 1.0, KIND_SYMPTOM, true, true, false, false},
    {"uptime", -1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"free", -1, 1.0, KIND_LOAD, false, false, false, false},
    {"idle", -1, 1.0, KIND_LOAD, false, false, false, false},
    {"latency", +1, 1.0, KIND_SYMPTOM, false, false, true, false},
    {"duration", +1, 1.0, KIND_SYMPTOM, false, false, true, false},
    {"error", +1, 1.0, KIND_SYMPTOM, false, true, false, false},
    {"fail", +1, 1.0, KIND_SYMPTOM, false, true, false, false},
    {"drop", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"loss", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"timeout", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"retr", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"cpu", +1, 1.0, KIND_LOAD, false, false, false, false},
    {"mem", +1, 1.0, KIND_LOAD, false, false, false, false},
    {"load", +1, 1.0, KIND_LOAD, false, false, false, false},
    {"wait", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"queue", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"temp", +1, 1.0, KIND_SYMPTOM, false, false, false, false},
    {"swap", +1, 1.0, KIND_LOAD, false, false, false, false},
    {"request", 0, 0.5, KIND_LOAD, false, false, false, true},
    {"rate", 0, 0.5, KIND_LOAD, false, false, false, false},
    {"throughput", 0, 0.5, KIND_LOAD, false, false, false, false},
    {"bytes", 0, 0.5, KIND_LOAD, false, false, false, false},
    {"octets", 0, 0.5, KIND_LOAD, false, false, false, false}, /* collectd's if_octets */
    {"packets", 0, 0.5, KIND_LOAD, false, false, false, false},
};

static const char *const method_names[LS_RCA_METHOD_COUNT] = {"propagation", "zscore", "random"};

/* Spread floors: a series that sat still in its baseline is not infinitely sensitive. */
#define ABS_SPREAD_FLOOR 1e-6
/* A share metric's floor, as a share of its whole: 0.02 points of a percentage, so that losing
 * 0.1 % of the requests (the whole error budget of a 99.9 % objective) is z_threshold 5 */
#define SHARE_SPREAD_FLOOR 0.0002
#define TAIL_QUANTILE      0.99  /* the baseline's tail that sets the spread of heavy tails */
#define TAIL_Z             2.326 /* a normal's z at that quantile */
/* A past incident in the baseline: a run of at least EPISODE_MIN points in a row, each over
 * z_threshold spreads (median and MAD) on the same side. Runs that make up no more than
 * EPISODE_MAX_SHARE of the baseline are left out of its tail quantiles; scattered spikes (a
 * heavy tail) and a regime that lasts are not episodes and stay in. */
#define EPISODE_MIN       3
#define EPISODE_MAX_SHARE 0.1
#define EXPLAINED_WEIGHT  0.8 /* how much being explained by an anomalous dependency costs */
#define HOP_DECAY         0.9
/* a rise in a node's load explained by the symptoms of what serves it (retries, a slower
 * disk): weakly */
#define LOAD_FROM_PROVIDER 0.3
/* A consumer that fails requests retries them (or falls back): it accounts for a rise in its
 * providers' load even though its own load did not rise, and a provider anomalous mainly by
 * that load (failing no request itself) is its effect: it accounts for the consumer's
 * failures this much only */
#define RETRY_LOAD 0.3
/* a normal node between a fault and its symptom (a hypervisor between a machine that lost its
 * network and the instances on it): crossed once, at this cost */
#define CROSS_NORMAL 0.6
/* a node that reported in the baseline and sent nothing in the window (a dead device): this
 * many times the anomaly threshold */
#define SILENT_Z 3.0
/* a cause whose kind of fault does not show as the anomaly it reaches: it only fails requests
 * and the other fails none, or it is only slow and the other fails fast (kind_match) */
#define KIND_MISMATCH 0.3
/* a cause that was as anomalous before another anomaly began as after: it coexisted with that
 * node being normal, so it does not explain it (pre_existing) */
#define PRE_EXISTING 0.3
#define PRE_WORSEN   1.25 /* ... unless it grew by this factor when the other began */
#define PRE_POINTS   2    /* ... over this many stretches of the window (not a cause's lead) */
/* ... and, points timed, over this long at least: a lead of a minute or two is a fault
 * spreading (a ramp, a queue filling), not a condition the others lived beside */
#define PRE_MIN_US (120 * INT64_C(1000000))
#define WHEN_BINS  16  /* stretches of the window timed apart */
#define MAG_HALF   3.0 /* the magnitude (in spreads) at which evidence counts half */
/* the share of a cause's score that does not depend on how much of the rest it explains: an
 * anomaly that explains nothing else is ranked below one as loud that explains the incident */
#define COV_FLOOR 0.3

/* series ahead whose node's map slot the first pass asks for (its misses overlap) */
#define PREFETCH_AHEAD 8

/* anomalous nodes from which their scoring is split over threads (a walk costs about 35 µs,
 * a thread about as much as one), and threads at most (the caller's included) */
#define RCA_PARALLEL_MIN 64
#define RCA_THREADS      4

const char *ls_rca_method_name(enum ls_rca_method m)
{
    return (unsigned)m < LS_RCA_METHOD_COUNT ? method_names[m] : "unknown";
}

bool ls_rca_method_parse(const char *s, enum ls_rca_method *out)
{
    for (int i = 0; s && i < LS_RCA_METHOD_COUNT; i++)
        if (strcmp(s, method_names[i]) == 0) {
            *out = (enum ls_rca_method)i;
            return true;
        }
    return false;
}

/* The rule for a metric's name: the table's first match, else either direction, full
 * weight, a symptom. */
static const struct metric_rule *metric_rule(const char *metric)
{
    static const struct metric_rule unknown = {.part = "", .weight = 1.0, .kind = KIND_SYMPTOM};
    for (size_t i = 0; metric && i < sizeof metric_dirs / sizeof metric_dirs[0]; i++)
        if (strstr(metric, metric_dirs[i].part))
            return &metric_dirs[i];
    return &unknown;
}

/* Whether a delay series reports its distribution's tail: a percentile of 90 or more
 * ("latency/p99", "latency_p95", "p999") or its maximum; else its middle (a mean, a median). */
static bool tail_statistic(const char *metric)
{
    if (strstr(metric, "max"))
        return true;
    for (const char *q = metric; (q = strchr(q, 'p')) != NULL; q++) {
        bool starts = q == metric || !isalnum((unsigned char)q[-1]);
        if (starts && q[1] == '9' && isdigit((unsigned char)q[2]))
            return true;
    }
    return false;
}

/* The least spread the robust method gives a baseline centred on `centre`: a share of |centre|,
 * except for a share metric (availability 99.95 %), whose scale is the part that fails (0.05
 * points), not the part that succeeds: a service that never failed and now fails 1 % of its
 * requests moved by 1 point, which is two spreads of 0.5 % of its centre but all its budget. */
static double
spread_floor(const struct metric_rule *rule, double centre, const struct ls_rca_params *p)
{
    double whole = centre > 1.0 ? 100.0 : 1.0;
    if (rule->share && centre >= 0 && centre <= whole)
        return fmax(p->rel_spread_floor * (whole - centre), SHARE_SPREAD_FLOOR * whole);
    return fmax(p->rel_spread_floor * fabs(centre), ABS_SPREAD_FLOOR);
}

int ls_rca_metric_direction(const char *metric)
{
    return metric_rule(metric)->dir;
}

void ls_rca_params_default(struct ls_rca_params *p)
{
    *p = (struct ls_rca_params){
        .method = LS_RCA_PROPAGATION,
        .z_threshold = 5.0,
        .score_threshold = 0.82,
        .min_cause_score = 0.05,
        .max_depth = 4,
        .max_visit = 256,
        .limit = 10,
        .window_points = 2,
        .rel_spread_floor = 0.005,
        .seed = 1,
    };
}

/* ---- evidence per series --------------------------------------------------------------- */

/* The k-th smallest of a[0..n) (reorders a). */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

static double median_of(double *a, size_t n)
{
    if (n % 2)
        return select_kth(a, n, n / 2);
    double hi = select_kth(a, n, n / 2);
    double lo = select_kth(a, n / 2, n / 2 - 1); /* the lower half holds the smaller ones */
    return (lo + hi) / 2;
}

/* A baseline as the evidence reads it: its centre and one spread on each side. */
struct base_stats {
    double center, up, down;
};

/* What one series says. */
struct evidence {
    double z;       /* deviation in the bad direction, in spreads (robust or plain) */
    double score;   /* in [0, 1] */
    double value;   /* the window value that deviated most */
    double center;  /* baseline centre */
    double spread;  /* baseline spread */
    bool load_up;   /* a load metric that rose (more work asked of the node) */
    bool load_down; /* a demand metric that fell (less work asked of it) */
    bool errors;    /* an error metric (failed requests, availability) */
    bool slow;      /* another symptom (latency, waits, drops: how slowly or badly it serves) */
    struct base_stats base; /* with values (center finite): the baseline each point is read
                               against, in the bad direction `dir` (0: either) */
    int dir;
    double weight;   /* the metric's weight (metric_rule) */
    double delay_up; /* a delay metric: how much it rose, in its unit (else 0) */
    bool delay;      /* a delay metric read from values (delay_up is its rise) */
    bool tail;       /* ... reporting its distribution's tail (tail_statistic) */
    bool usable;
};

static double z_to_score(double z, const struct ls_rca_params *p)
{
    if (!(z > 0))
        return 0;
    double k = p->z_threshold / -log(1 - p->score_threshold);
    return 1 - exp(-z / k);
}

static double score_to_z(double s, const struct ls_rca_params *p)
{
    if (!(s > 0))
        return 0;
    if (s >= 1)
        return 1e9;
    double k = p->z_threshold / -log(1 - p->score_threshold);
    return -k * log(1 - s);
}

/* Copies v's points into out, but for its episodes (EPISODE_MIN points or more in a row, each
 * further than `far` from med on the same side) when they are EPISODE_MAX_SHARE of v at most;
 * returns how many were copied. */
static size_t without_episodes(const double *v, size_t n, double med, double far, double *out)
{
    size_t m = 0, dropped = 0;
    for (size_t i = 0; i < n;) {
        int side = v[i] > med + far ? 1 : v[i] < med - far ? -1 : 0;
        size_t j = i + 1;
        while (side && j < n && (side > 0 ? v[j] > med + far : v[j] < med - far))
            j++;
        if (side && j - i >= EPISODE_MIN)
            dropped += j - i;
        else
            for (size_t k = i; k < j; k++)
                out[m++] = v[k];
        i = j;
    }
    if ((double)dropped > EPISODE_MAX_SHARE * (double)n) { /* a regime, not an incident */
        memcpy(out, v, n * sizeof *v);
        return n;
    }
    return m;
}

/* The baseline of one series as the robust method reads it: the median, and one spread on
 * each side — the larger of 1.4826 x MAD and the distance to the side's tail quantile over
 * that quantile's normal z (so a heavy-tailed series needs a larger excursion), floored. The
 * tail quantiles leave out the baseline's own incidents (EPISODE_MIN). The plain method: mean
 * and standard deviation on both sides. v in time order; scratch holds n doubles. */
static struct base_stats baseline_stats(const double *v,
                                        size_t n,
                                        bool robust,
                                        const struct metric_rule *rule,
                                        double *scratch,
                                        const struct ls_rca_params *p)
{
    struct base_stats b;
    if (!robust) {
        double sum = 0, sq = 0;
        for (size_t i = 0; i < n; i++)
            sum += v[i];
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
            sq += (v[i] - mean) * (v[i] - mean);
        b.center = mean;
        b.up = b.down = fmax(n > 1 ? sqrt(sq / (double)(n - 1)) : 0, ABS_SPREAD_FLOOR);
        return b;
    }
    memcpy(scratch, v, n * sizeof *v);
    double med = median_of(scratch, n);
    for (size_t i = 0; i < n; i++)
        scratch[i] = fabs(v[i] - med);
    double mad = 1.4826 * median_of(scratch, n);
    double floor_ = spread_floor(rule, med, p);
    size_t m = without_episodes(v, n, med, p->z_threshold * fmax(mad, floor_), scratch);
    size_t k_hi = (size_t)floor(TAIL_QUANTILE * (double)(m - 1));
    size_t k_lo = m - 1 - k_hi;
    double hi = select_kth(scratch, m, k_hi);
    double lo = select_kth(scratch, m, k_lo);
    b.center = med;
    b.up = fmax(fmax(mad, (hi - med) / TAIL_Z), floor_);
    b.down = fmax(fmax(mad, (med - lo) / TAIL_Z), floor_);
    return b;
}

void ls_rca_summarise(const double *v,
                      size_t n,
                      const char *metric,
                      const struct ls_rca_params *p,
                      double *scratch,
                      struct ls_rca_summary *out)
{
    bool robust = p->method == LS_RCA_PROPAGATION;
    struct base_stats b = baseline_stats(v, n, robust, metric_rule(metric), scratch, p);
    *out = (struct ls_rca_summary){n, b.center, b.up, b.down, p->method};
}

/* A point's deviation from baseline b in spreads, in direction dir (+1 up, -1 down, 0 either). */
static double point_dev(double x, const struct base_stats *b, int dir)
{
    double d = x >= b->center ? (x - b->center) / b->up : (x - b->center) / b->down;
    return dir > 0 ? d : dir < 0 ? -d : fabs(d);
}

/* The window's deviation in the bad direction, in spreads: the `need`-th largest over its
 * points (a single wild point is not an excursion), and the value that reached it. */

static double window_z(const struct ls_rca_series *s,
                       const struct base_stats *b,
                       int dir,
                       size_t need,
                       double *scratch,
                       double *value)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_win; i++) {
        double d = point_dev(s->win[i], b, dir);
        if (isfinite(d))
            scratch[n++] = d;
    }
    if (n == 0)
        return 0;
    if (need > n)
        need = n;
    double z = select_kth(scratch, n, n - need);
    /* the value: the window point closest above that deviation */
    *value = s->win[0];
    double best = INFINITY;
    for (size_t i = 0; i < s->n_win; i++) {
        double d = point_dev(s->win[i], b, dir);
        if (isfinite(d) && d >= z && d < best) {
            best = d;
            *value = s->win[i];
        }
    }
    return z;
}

/* What a detector's score says (ls_rca_series case 1). */
static struct evidence score_evidence(const struct ls_rca_series *s,
                                      const struct metric_rule *rule,
                                      const struct ls_rca_params *p)
{
    struct evidence e = {.errors = rule->errors,
                         .slow = rule->kind == KIND_SYMPTOM && !rule->errors};
    bool good_way = rule->dir != 0 && s->went == -rule->dir;
    e.score = good_way ? 0.0 : fmin(1.0, s->score);
    e.z = score_to_z(e.score, p);
    e.value = s->n_win ? s->win[s->n_win - 1] : NAN;
    e.center = e.spread = NAN;
    /* as for values: a load metric's bad way, or a two-way one that did not fall */
    e.load_up = rule->kind == KIND_LOAD && !good_way && (rule->dir != 0 || s->went >= 0);
    e.load_down = rule->demand && !e.load_up;
    e.usable = true;
    return e;
}

/* What the window's values say against a baseline (ls_rca_series cases 2 and 3). */
static struct evidence value_evidence(const struct ls_rca_series *s,
                                      const struct metric_rule *rule,
                                      bool robust,
                                      double *scratch,
                                      const struct ls_rca_params *p)
{
    struct evidence e = {.errors = rule->errors,
                         .slow = rule->kind == KIND_SYMPTOM && !rule->errors};
    if (!s->win || s->n_win == 0)
        return e;
    struct base_stats b;
    if (s->base && s->n_base > 0)
        b = baseline_stats(s->base, s->n_base, robust, rule, scratch, p);
    else if (s->summary) /* made for this method: check_input */
        b = (struct base_stats){s->summary->center, s->summary->up, s->summary->down};
    else if (s->learned) {
        b.center = s->learned->center;
        double floor_ = robust ? spread_floor(rule, b.center, p) : ABS_SPREAD_FLOOR;
        b.up = b.down = fmax(s->learned->spread, floor_);
    } else
        return e;
    if (!isfinite(b.center) || !isfinite(b.up) || !isfinite(b.down))
        return e;
    /* the plain z-score reads |z| at its worst point; ours reads the metric's bad direction,
     * needs the excursion on more than one point, and weighs the metric's kind */
    int dir = robust ? rule->dir : 0;
    size_t need = robust && s->n_win >= 3 ? p->window_points : 1;
    e.z = window_z(s, &b, dir, need, scratch, &e.value);
    e.weight = robust ? rule->weight : 1.0;
    e.z *= e.weight;
    e.base = b;
    e.dir = dir;
    e.delay_up = rule->delay ? e.value - b.center : 0;
    e.delay = rule->delay;
    e.tail = rule->delay && tail_statistic(s->metric);
    e.center = b.center;
    e.spread = e.value >= b.center ? b.up : b.down;
    e.score = z_to_score(e.z, p);
    /* load that rose: the bad direction of a load metric, or a two-way one above its centre */
    e.load_up = rule->kind == KIND_LOAD && (dir != 0 || e.value >= b.center);
    e.load_down = rule->demand && !e.load_up;
    e.usable = true;
    return e;
}

static struct evidence series_evidence(const struct ls_rca_series *s,
                                       bool robust,
                                       double *scratch,
                                       const struct ls_rca_params *p)
{
    const struct metric_rule *rule = metric_rule(s->metric);
    if (s->score < 0)
        return value_evidence(s, rule, robust, scratch, p);
    struct evidence e = score_evidence(s, rule, p);
    if (!s->learned || !robust)
        return e;
    /* a verdict with the value that earned it and the range it left: the verdict says the
     * series is anomalous (up to the threshold), the value how far it went */
    struct evidence v = value_evidence(s, rule, robust, scratch, p);
    if (!v.usable)
        return e;
    v.z = fmax(v.z, fmin(e.z, p->z_threshold));
    v.score = z_to_score(v.z, p);
    return v;
}

/* ---- timing within the window --------------------------------------------------------- */

/* The window's span on the series' clock: the first and last point time of every series that
 * has times (none: points are spread evenly over the window). */
struct span {
    int64_t from, to;
    bool timed;
};

static struct span span_of(const struct ls_rca_series *series, size_t n)
{
    struct span sp = {INT64_MAX, INT64_MIN, false};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; series[i].t_win && k < series[i].n_win; k++) {
            sp.from = series[i].t_win[k] < sp.from ? series[i].t_win[k] : sp.from;
            sp.to = series[i].t_win[k] > sp.to ? series[i].t_win[k] : sp.to;
            sp.timed = true;
        }
    return sp;
}

/* Which stretch of the window point k of s falls in. */
static int when_bin(const struct ls_rca_series *s, size_t k, const struct span *sp)
{
    double f;
    if (s->t_win && sp->timed && sp->to > sp->from)
        f = (double)(s->t_win[k] - sp->from) / ((double)(sp->to - sp->from) * (1 + 1e-9));
    else
        f = ((double)k + 0.5) / (double)s->n_win;
    int b = (int)(f * WHEN_BINS);
    return b < 0 ? 0 : b >= WHEN_BINS ? WHEN_BINS - 1 : b;
}

/* ---- nodes ----------------------------------------------------------------------------- */

struct rnode {
    const char *id;     /* borrowed from the series */
    const char *metric; /* its most anomalous series */
    struct evidence ev; /* of that series */
    double mag;         /* magnitude for ranking: z / (z + MAG_HALF x threshold), unsaturated
                           where the score is already near 1 */
    double z_load;      /* the largest deviation among its load metrics that rose */
    double z_drop;      /* ... among its demand metrics that fell (metric_rule.demand) */
    double z_other;     /* ... among the rest (symptoms, silence) */
    double z_errors;    /* ... among its error metrics (part of z_other) */
    double z_rest;      /* ... among its other symptoms (latency, waits; part of z_other) */
    double delay_up;    /* the largest rise of its delay metrics, in their unit */
    double delay_mid;   /* the largest rise (or 0) of its delays' middle statistics (a mean, a
                           median), anomalous or not */
    double delay_tail;  /* ... of their tails (p90 and above, a maximum) */
    bool has_mid;       /* it reports a delay's middle statistic */
    bool mid_slow;      /* ... and one is anomalous */
    bool live;          /* some series did not stop (see ls_rca_series.silent) */
    bool quiet;         /* went quiet: its evidence is that silence */
    const char *silent; /* a series that reported in the baseline and not in the window */
    bool anomalous;
    double explained; /* in [0, 1]: how much an anomalous node affecting it accounts for it */
    double coverage;  /* in [0, 1]: share of the other anomalies it explains */
    double score;
    float when[WHEN_BINS]; /* per stretch of the window, its largest deviation (NAN: none) */
    int onset;             /* onset_of: the stretch it became anomalous in, or -1 */
    double chronic;  /* in [0, 1]: share of the other anomalies that began after it was already
                        anomalous at full strength (chronic_shares) */
    size_t path_end; /* walk slot of the farthest symptom (see struct walk) */
    char **path;
    size_t n_path;
};

/* What the first pass keeps of every node with data: enough to tell whether it is anomalous.
 * Only anomalous nodes get a full rnode (a landscape of 100k nodes has a few hundred), so the
 * memory touched per call stays small. */
struct cnode {
    const char *silent; /* a series that stopped (see rnode.silent) */
    double z;           /* its largest usable deviation */
    uint32_t full;      /* index + 1 into ctx.nodes when anomalous, else 0 */
    bool live;          /* some usable series did not stop */
};

struct ctx {
    const struct ls_snap *snap;
    const struct ls_rca_params *p;
    struct ls_map index; /* id -> cnode index + 1 */
    struct cnode *cnodes;
    size_t n_cnodes;
    struct rnode *nodes; /* the anomalous nodes */
    size_t n_nodes;
    struct rnode normal; /* what node_of gives for a node with data that is not anomalous */
    int pre_bins;        /* stretches a chronic anomaly precedes another by (pre_existing_at) */
    bool timed;          /* the window's points have times (span_of) */
    double mass;         /* sum of the anomalous nodes' scores */
};

/* The node `id` as the ranking sees it: its rnode when anomalous, ctx.normal when it has data
 * and is not, NULL without data. */
static struct rnode *node_of(struct ctx *c, const char *id)
{
    uintptr_t i = (uintptr_t)ls_map_get(&c->index, id);
    if (!i)
        return NULL;
    uint32_t f = c->cnodes[i - 1].full;
    return f ? &c->nodes[f - 1] : &c->normal;
}

/* Adds the deviation of each point of s (evidence e) to its node's stretches of the window. */
static void when_add(struct rnode *rn,
                     const struct ls_rca_series *s,
                     const struct evidence *e,
                     const struct span *sp)
{
    for (size_t k = 0; k < s->n_win; k++) {
        double d = point_dev(s->win[k], &e->base, e->dir) * e->weight;
        if (!isfinite(d))
            continue;
        int b = when_bin(s, k, sp);
        if (isnan(rn->when[b]) || d > rn->when[b])
            rn->when[b] = (float)d;
    }
}

/* ---- the walk from a cause ------------------------------------------------------------- */

/* Visited set of one walk: open addressing over ids (borrowed from the snapshot's edges or
 * the series), with parent links for the path. */
struct slot {
    const char *id;
    struct rnode *rn; /* its node, NULL without data */
    uint64_t hash;
    size_t parent; /* slot index; SIZE_MAX for the root */
    int depth;
    double weight; /* product of edge effects from the root, with the hop decay */
    bool crossed;  /* the path from the root crossed a normal node */
    bool calls;    /* every edge from the root is a call dependency (additive[]) */
};

struct walk {
    struct ctx *c;
    struct slot *slots; /* in visiting order */
    size_t n, cap;
    uint32_t *table; /* slot index + 1 */
    size_t table_cap;
    size_t *queue;
    /* the current expansion */
    size_t from;
    bool full;
};

static size_t walk_find(struct walk *w, const char *id, uint64_t h, bool *found)
{
    size_t mask = w->table_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = w->table[i];
        if (!v) {
            *found = false;
            return i;
        }
        struct slot *s = &w->slots[v - 1];
        if (s->hash == h && strcmp(s->id, id) == 0) {
            *found = true;
            return v - 1;
        }
    }
}

static void walk_reset(struct walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        size_t mask = w->table_cap - 1;
        for (size_t j = w->slots[i].hash & mask;; j = (j + 1) & mask)
            if (w->table[j] == i + 1) {
                w->table[j] = 0;
                break;
            }
    }
    /* the probe looks for the slot's own number, not for the first hole: every entry is
     * found however the earlier ones were cleared */
    w->n = 0;
}

static bool walk_add(struct walk *w,
                     const char *id,
                     struct rnode *rn,
                     size_t parent,
                     int depth,
                     double weight,
                     bool crossed,
                     bool calls)
{
    uint64_t h = ls_hash_str(id);
    bool found;
    size_t at = walk_find(w, id, h, &found);
    if (found)
        return false;
    if (w->n >= w->cap) {
        w->full = true;
        return false;
    }
    w->slots[w->n] = (struct slot){id, rn, h, parent, depth, weight, crossed, calls};
    w->table[at] = (uint32_t)(w->n + 1);
    w->n++;
    return true;
}

/* An edge seen from one of its ends, `self`. */
struct edge_view {
    const char *other;   /* the far end */
    double out;          /* how much a fault at self shows at other */
    double in;           /* how much a fault at other shows at self */
    bool other_consumes; /* other is self's consumer on this edge (self serves it) */
};

/* False for an edge type the tables do not know (followed neither way). */
static bool view_edge(const struct ls_edge *e, const char *self, struct edge_view *v)
{
    if ((unsigned)e->type >= LS_EDGE_TYPE_COUNT)
        return false;
    bool self_src = strcmp(e->src, self) == 0;
    int prov = provider_end[e->type];
    v->other = self_src ? e->dst : e->src;
    v->out = self_src ? edge_effect[e->type].src_to_dst : edge_effect[e->type].dst_to_src;
    v->in = self_src ? edge_effect[e->type].dst_to_src : edge_effect[e->type].src_to_dst;
    v->other_consumes = self_src ? prov < 0 : prov > 0;
    return true;
}

/* Effect of self on the other end (walking towards symptoms). */
static bool visit_out(const struct ls_edge *e, void *arg)
{
    struct walk *w = arg;
    struct slot *from = &w->slots[w->from];
    struct edge_view v;
    if (!view_edge(e, from->id, &v) || v.out <= 0)
        return true;
    struct rnode *rn = node_of(w->c, v.other);
    /* the walk crosses anomalous nodes and nodes without data; a node with data that is normal
     * once per path, at a cost (a hypervisor between a machine and its instances) */
    bool cross = rn && !rn->anomalous;
    if (cross && from->crossed)
        return true;
    walk_add(w, v.other, rn, w->from, from->depth + 1,
             from->weight * v.out * HOP_DECAY * (cross ? CROSS_NORMAL : 1.0),
             from->crossed || cross, from->calls && additive[e->type]);
    return !w->full;
}

/* The first stretch of the window where y is anomalous, when y has data under the threshold
 * before it (it was normal first); else -1. */
static int onset_of(const struct rnode *y, double t)
{
    bool before = false;
    for (int b = 0; b < WHEN_BINS; b++) {
        if (isnan(y->when[b]))
            continue;
        if (y->when[b] >= t)
            return before ? b : -1;
        before = true;
    }
    return -1;
}

/* Whether x was already anomalous, at full strength, before stretch `onset` (where another
 * node, normal until then, became anomalous), and did not grow from there: that node was fine
 * beside it for a while, so x does not account for it (a chronic condition beside a new
 * fault). "For a while": on at least ctx.pre_bins stretches before the onset (PRE_POINTS, and
 * PRE_MIN_US when the points are timed); less is a cause leading its effects. Timed points
 * also count by the time they span: a run of x's anomalous points up to the onset from at
 * least pre_bins stretches before it, for one point of a series sampled every 5 minutes
 * covers them all. */
static bool pre_existing_at(const struct ctx *c, const struct rnode *x, int onset, double t)
{
    if (onset <= 0)
        return false;
    double xb = -INFINITY, xa = -INFINITY;
    int ahead = 0, run_from = -1; /* run_from: first stretch of the run just before the onset */
    for (int b = 0; b < WHEN_BINS; b++)
        if (!isnan(x->when[b])) {
            if (b < onset) {
                xb = fmax(xb, x->when[b]);
                ahead += x->when[b] >= t;
                if (x->when[b] < t)
                    run_from = -1;
                else if (run_from < 0)
                    run_from = b;
            } else
                xa = fmax(xa, x->when[b]);
        }
    bool long_enough =
        ahead >= c->pre_bins || (c->timed && run_from >= 0 && onset - run_from >= c->pre_bins);
    return long_enough && !(xa > PRE_WORSEN * xb);
}

/* Sets each anomalous node's `chronic`: the share of the other anomalies that began in the
 * window (by magnitude) that began after it was already anomalous at full strength. O(n x
 * WHEN_BINS^2). */
static void chronic_shares(struct ctx *c, struct rnode **anom, size_t n_anom)
{
    double t = c->p->z_threshold, mass_at[WHEN_BINS] = {0}, timed = 0;
    for (size_t i = 0; i < n_anom; i++) {
        anom[i]->onset = onset_of(anom[i], t);
        if (anom[i]->onset > 0) {
            mass_at[anom[i]->onset] += anom[i]->mag;
            timed += anom[i]->mag;
        }
    }
    for (size_t i = 0; i < n_anom; i++) {
        struct rnode *x = anom[i];
        /* of the anomalies whose start the window shows (not those anomalous throughout) */
        double others = timed - (x->onset > 0 ? x->mag : 0), hit = 0;
        for (int o = 1; o < WHEN_BINS && others > 1e-12; o++)
            if (mass_at[o] > 0 && pre_existing_at(c, x, o, t))
                hit += mass_at[o];
        x->chronic = others > 1e-12 ? fmin(1.0, hit / others) : 0;
    }
}

/* How well a cause's kind of fault accounts for an anomaly it reaches: a cause that only
 * fails requests (its latency and load normal) shows downstream as failures; where its
 * consumers' failures are normal and only their latency or load moved, they absorbed its
 * errors (retries, fallbacks), or they are slow for another reason. Likewise a cause that
 * is only slow makes its consumers wait before they fail (a timeout): one that fails fast,
 * its latency normal, fails for another reason. And a cause that was only asked less work
 * (its load fell, nothing else) hurts no one. */
static double kind_match(const struct ctx *c, const struct rnode *cause, const struct rnode *y)
{
    double t = c->p->z_threshold;
    bool errors_only = cause->z_errors >= t && cause->z_load < t && cause->z_rest < t;
    bool slow_only = cause->z_rest >= t && cause->z_load < t && cause->z_errors < t;
    bool y_fails_fast = y->z_errors >= t && y->z_rest < t;
    bool asked_less_only = cause->z_drop >= t && cause->z_load < t && cause->z_other < t;
    double f = (errors_only && y->z_errors < t) || (slow_only && y_fails_fast) || asked_less_only
                   ? KIND_MISMATCH
                   : 1.0;
    return pre_existing_at(c, cause, y->onset, t) ? f * PRE_EXISTING : f;
}

/* ---- how much of a node's anomaly its neighbours explain --------------------------------- */

/* How much of self's delay y's can account for across call dependencies (a callee's delay
 * adds to its callers'): up to its own rise in seconds, when self's anomaly is mainly its
 * delay and both rose; else 1 (not known). Like with like: self's middle (most requests
 * slower) by y's middle, since a callee slow at its p99 alone adds nothing to its caller's
 * median; self's tail by y's tail or middle. */
static double delay_share(const struct rnode *y, const struct rnode *self)
{
    if (!(self->delay_up > 0 && y->delay_up > 0 && self->z_rest >= self->z_load &&
          self->z_rest >= self->z_errors))
        return 1.0;
    if (self->mid_slow && y->has_mid)
        return fmin(1.0, y->delay_mid / fmax(self->delay_mid, 1e-12));
    if (!self->mid_slow && self->delay_tail > 0)
        return fmin(1.0, fmax(y->delay_tail, y->delay_mid) / self->delay_tail);
    return fmin(1.0, y->delay_up / self->delay_up);
}

/* How fully anomalous y can account for self, across an edge of `type` (see additive[]). */
static double relative(const struct rnode *y, const struct rnode *self, int type)
{
    if ((unsigned)type < LS_EDGE_TYPE_COUNT && additive[type])
        return fmin(fmin(1.0, y->mag / fmax(self->mag, 1e-12)), delay_share(y, self));
    return fmin(1.0, y->ev.score / fmax(self->ev.score, 1e-12));
}

struct explain {
    struct ctx *c;
    struct rnode *self;
    const char *via;    /* the normal neighbour being looked through (second hop), or NULL */
    double via_eff;     /* its effect on self */
    int via_type;       /* the type of the edge to it */
    size_t budget;      /* edges still to look at (bounds the work on a hub) */
    double load, other; /* how much of self's rise in load, and of the rest, is explained */
    double drop;        /* ... and of a fall in its load */
};

/* An anomalous `y` next to self. What self relies on explains self's symptoms as strongly as
 * it affects self and is itself anomalous, and a rise in self's load weakly. A consumer of
 * self explains nothing unless its own load rose: then self's rise in load fully (load flows
 * from consumers to what serves them), and self's symptoms (overload) as strongly as it
 * affects self. */
static void
explain_by(struct explain *x, const struct rnode *y, double eff, bool consumes, int type)
{
    double t = x->c->p->z_threshold;
    double share = relative(y, x->self, type);
    double rel = share * kind_match(x->c, y, x->self);
    if (!consumes) {
        /* a provider, failing nothing, whose load rose with self's retries */
        bool retried =
            x->self->z_errors >= t && x->self->z_load < t && y->z_load >= t && y->z_errors < t;
        x->other = fmax(x->other, eff * rel * (retried ? RETRY_LOAD : 1.0));
        /* its symptoms make work for self (retries, waiting on a slower disk); a rise in its
         * own load alone is its consumers' doing, self's included, and explains none of it */
        if (y->z_other >= t)
            x->load = fmax(x->load, LOAD_FROM_PROVIDER * eff * rel);
        return;
    }
    /* a consumer: less work reaches self when it is anomalous in any way (slow, failing
     * before it calls, asked less itself) */
    x->drop = fmax(x->drop, share);
    if (y->z_load >= t) {
        x->other = fmax(x->other, eff * rel);
        x->load = 1.0;
    } else if (y->z_errors >= t) {
        /* its retries, as for a rise in its load (whatever kind of fault it has) */
        x->load = fmax(x->load, share);
    }
}

static bool visit_explain(const struct ls_edge *e, void *arg)
{
    struct explain *x = arg;
    if (x->budget == 0)
        return false;
    x->budget--;
    struct edge_view v;
    if (!view_edge(e, x->via ? x->via : x->self->id, &v) || v.in <= 0 ||
        strcmp(v.other, x->self->id) == 0)
        return true;
    struct rnode *y = node_of(x->c, v.other);
    if (x->via) { /* second hop: only symptoms, from what the normal node relies on */
        if (y && y->anomalous && !v.other_consumes) {
            /* proportional if either hop is a call dependency */
            int t = additive[x->via_type] ? x->via_type : (int)e->type;
            double rel = relative(y, x->self, t);
            x->other = fmax(x->other, x->via_eff * v.in * CROSS_NORMAL * rel);
        }
        return true;
    }
    if (y && y->anomalous) {
        explain_by(x, y, v.in, v.other_consumes, (int)e->type);
        return true;
    }
    if (v.other_consumes) /* look through what self relies on only */
        return true;
    struct ls_err ignored;
    x->via = v.other;
    x->via_eff = v.in;
    x->via_type = (int)e->type;
    if (ls_snap_node_edges(x->c->snap, v.other, LS_DIR_BOTH, -1, visit_explain, x, &ignored) !=
        LS_OK) {
        /* an edge's far end the graph no longer has: nothing to look through */
    }
    x->via = NULL;
    return x->budget > 0;
}

/* Sets self->explained in [0, 1]: its load and its other anomalies, each weighed by its size. */
static void explain_node(struct ctx *c, struct rnode *self)
{
    struct explain x = {.c = c, .self = self, .budget = c->p->max_visit};
    struct ls_err ignored;
    if (c->snap && ls_snap_node_edges(c->snap, self->id, LS_DIR_BOTH, -1, visit_explain, &x,
                                      &ignored) != LS_OK) {
        /* a node the graph does not have stands alone */
    }
    double t = c->p->z_threshold;
    double wl = self->z_load >= t ? self->z_load : 0;
    double wo = self->z_other >= t ? self->z_other : 0;
    double wd = self->z_drop >= t ? self->z_drop : 0;
    double w = wl + wo + wd;
    self->explained = w > 0 ? (wl * x.load + wo * x.other + wd * x.drop) / w : 0;
}

static void walk_cause(struct walk *w, struct rnode *cause)
{
    struct ctx *c = w->c;
    walk_reset(w);
    w->full = false;
    walk_add(w, cause->id, cause, SIZE_MAX, 0, 1.0, false, true);
    struct ls_err ignored;
    double covered = 0;
    size_t best = 0;
    for (size_t q = 0; q < w->n; q++) {
        struct slot *s = &w->slots[q];
        struct rnode *rn = q ? s->rn : NULL;
        if (rn && rn->anomalous) {
            covered += rn->mag * s->weight * kind_match(c, cause, rn) *
                       (s->calls ? delay_share(cause, rn) : 1.0);
            struct slot *b = &w->slots[best];
            struct rnode *bn = best ? b->rn : NULL;
            if (s->depth > b->depth || (s->depth == b->depth && bn && rn->ev.score > bn->ev.score))
                best = q;
        }
        if (!c->snap || s->depth >= c->p->max_depth || w->full)
            continue;
        w->from = q;
        if (ls_snap_node_edges(c->snap, s->id, LS_DIR_BOTH, -1, visit_out, w, &ignored) != LS_OK)
            continue;
    }
    double others = c->mass - cause->mag;
    cause->coverage = others > 1e-12 ? fmin(1.0, covered / others) : 1.0;
    cause->path_end = best;
    /* the path: from the farthest symptom back to the cause, reversed */
    size_t len = 0;
    for (size_t i = best; i != SIZE_MAX; i = w->slots[i].parent)
        len++;
    cause->path = ls_xcalloc(len, sizeof *cause->path);
    cause->n_path = len;
    size_t k = len;
    for (size_t i = best; i != SIZE_MAX; i = w->slots[i].parent)
        cause->path[--k] = ls_xstrdup(w->slots[i].id);
}

/* ---- ranking --------------------------------------------------------------------------- */

/* The anomalous nodes scored in parts that run at the same time (common/par.h): a node's
 * explanation, walk and score write only that node, and read of the others only what the
 * passes before set, so parts give what one loop gives. */
struct scoring {
    struct ctx *c;
    struct rnode **anom;
    size_t n_anom, n_parts;
};

static void score_part(size_t k, void *arg)
{
    struct scoring *sc = arg;
    struct ctx *c = sc->c;
    struct walk w = {.c = c, .cap = c->p->max_visit};
    w.slots = ls_xcalloc(w.cap, sizeof *w.slots);
    w.table_cap = 16;
    while (w.table_cap < 2 * w.cap)
        w.table_cap *= 2;
    w.table = ls_xcalloc(w.table_cap, sizeof *w.table);
    for (size_t i = k * sc->n_anom / sc->n_parts; i < (k + 1) * sc->n_anom / sc->n_parts; i++) {
        struct rnode *rn = sc->anom[i];
        explain_node(c, rn);
        walk_cause(&w, rn);
        double alone = COV_FLOOR * (1 - (1 - PRE_EXISTING) * rn->chronic);
        rn->score = rn->mag * (1 - EXPLAINED_WEIGHT * rn->explained) *
                    (alone + (1 - COV_FLOOR) * rn->coverage);
    }
    free(w.slots);
    free(w.table);
}

static int by_score_then_id(const void *a, const void *b)
{
    const struct rnode *x = *(const struct rnode *const *)a;
    const struct rnode *y = *(const struct rnode *const *)b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int by_anomaly_then_id(const void *a, const void *b)
{
    const struct rnode *x = *(const struct rnode *const *)a;
    const struct rnode *y = *(const struct rnode *const *)b;
    if (x->ev.score != y->ev.score)
        return x->ev.score > y->ev.score ? -1 : 1;
    return strcmp(x->id, y->id);
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static char *reason_for(const struct rnode *n, enum ls_rca_method m)
{
    char buf[384];
    int len;
    if (n->quiet)
        len = snprintf(buf, sizeof buf, "%s: no sample in the window (it reported before)",
                       n->metric);
    else if (isfinite(n->ev.center))
        len = snprintf(buf, sizeof buf,
                       "%s at %.6g against a baseline of %.6g (spread %.3g, %.1f spreads)",
                       n->metric, n->ev.value, n->ev.center, n->ev.spread, n->ev.z);
    else
        len = snprintf(buf, sizeof buf, "%s scored %.2f by its detector", n->metric, n->ev.score);
    if (m == LS_RCA_PROPAGATION && len > 0 && (size_t)len < sizeof buf) {
        size_t used = (size_t)len;
        snprintf(buf + used, sizeof buf - used,
                 "; explains %.0f%% of the other anomalies along %zu hop(s)%s", 100 * n->coverage,
                 n->n_path ? n->n_path - 1 : 0,
                 n->explained >= 0.5 ? "; an anomalous node it depends on may explain it"
                                     : "; nothing it depends on is anomalous");
    }
    return ls_xstrdup(buf);
}

static int check_input(const struct ls_rca_series *series,
                       size_t n,
                       const struct ls_rca_params *p,
                       struct ls_err *err)
{
    if (n > 0 && !series)
        return ls_err_set(err, LS_EINVAL, "invalid_rca", "no series array for %zu series", n);
    for (size_t i = 0; i < n; i++) {
        if (!series[i].node || !series[i].metric || !series[i].node[0])
            return ls_err_set(err, LS_EINVAL, "invalid_rca", "series %zu has no node or metric", i);
        if (series[i].summary && series[i].summary->method != p->method)
            return ls_err_set(err, LS_EINVAL, "invalid_rca",
                              "series %zu: its baseline was summarised for method %s", i,
                              ls_rca_method_name(series[i].summary->method));
    }
    if ((unsigned)p->method >= LS_RCA_METHOD_COUNT)
        return ls_err_set(err, LS_EINVAL, "invalid_rca", "unknown method %d", (int)p->method);
    if (!(p->z_threshold > 0) || !(p->score_threshold > 0 && p->score_threshold < 1) ||
        !(p->min_cause_score >= 0) || p->max_depth < 0 || p->max_visit < 1 ||
        p->max_visit > (1u << 20) || p->window_points < 1)
        return ls_err_set(err, LS_EINVAL, "invalid_rca", "rca parameter out of range");
    return LS_OK;
}

/* What series s says, and in *silent whether it stopped: it reported in the baseline and is
 * marked silent (a score says nothing of silence). A silent series without window values
 * says nothing else (evidence not usable). */
static struct evidence read_series(const struct ls_rca_series *s,
                                   bool robust,
                                   double *scratch,
                                   const struct ls_rca_params *p,
                                   bool *silent)
{
    *silent = s->silent && s->score < 0 && (s->n_base > 0 || s->summary);
    if (s->n_win > 0 || !*silent)
        return series_evidence(s, robust, scratch, p);
    return (struct evidence){0};
}

int ls_rca_rank(const struct ls_snap *snap,
                const struct ls_rca_series *series,
                size_t n,
                const struct ls_rca_params *p,
                struct ls_rca_result *out,
                struct ls_err *err)
{
    memset(out, 0, sizeof *out);
    struct ls_rca_params defaults;
    if (!p) {
        ls_rca_params_default(&defaults);
        p = &defaults;
    }
    int rc = check_input(series, n, p, err);
    if (rc != LS_OK)
        return rc;
    out->method = ls_rca_method_name(p->method);

    struct ctx c = {.snap = snap, .p = p, .pre_bins = PRE_POINTS};
    struct span span = span_of(series, n);
    c.timed = span.timed && span.to > span.from;
    if (c.timed) {
        double bin_us = (double)(span.to - span.from) / WHEN_BINS;
        double need = ceil((double)PRE_MIN_US / bin_us);
        if (need > c.pre_bins)
            c.pre_bins = need < WHEN_BINS ? (int)need : WHEN_BINS;
    }
    ls_map_init_borrowing(&c.index); /* the series' node ids outlive the call */
    ls_map_reserve(&c.index, n);
    c.cnodes = ls_big_alloc((n ? n : 1) * sizeof *c.cnodes); /* each written whole when added */
    uint32_t *node_at = ls_big_calloc(n ? n : 1, sizeof *node_at); /* series -> cnode + 1 */
    size_t scratch_n = 1;
    for (size_t i = 0; i < n; i++) {
        if (series[i].n_base > scratch_n)
            scratch_n = series[i].n_base;
        if (series[i].n_win > scratch_n)
            scratch_n = series[i].n_win;
    }
    double *scratch = ls_xmalloc(scratch_n * sizeof *scratch);
    bool robust = p->method == LS_RCA_PROPAGATION;
    double t = p->z_threshold;

    /* first pass: which nodes are anomalous (their largest deviation, or silence) */
    for (size_t i = 0; i < n; i++) {
        const struct ls_rca_series *s = &series[i];
        if (i + PREFETCH_AHEAD < n)
            ls_map_prefetch(&c.index, series[i + PREFETCH_AHEAD].node);
        bool silent;
        struct evidence e = read_series(s, robust, scratch, p, &silent);
        if (!e.usable && !silent)
            continue;
        bool added;
        struct ls_map_entry *me = ls_map_upsert(&c.index, s->node, &added);
        if (added) {
            me->value = (void *)(uintptr_t)(c.n_cnodes + 1);
            c.cnodes[c.n_cnodes++] = (struct cnode){.z = -INFINITY};
        }
        node_at[i] = (uint32_t)(uintptr_t)me->value;
        struct cnode *cn = &c.cnodes[node_at[i] - 1];
        if (silent && !cn->silent)
            cn->silent = s->metric;
        if (!e.usable)
            continue;
        cn->z = fmax(cn->z, e.z);
        cn->live |= !silent;
    }
    for (size_t i = 0; i < c.n_cnodes; i++) {
        struct cnode *cn = &c.cnodes[i];
        if (cn->z >= t || (robust && !cn->live && cn->silent))
            cn->full = (uint32_t)++c.n_nodes;
    }
    /* second pass, over the anomalous nodes' series: their evidence in full */
    c.nodes = ls_big_calloc(c.n_nodes ? c.n_nodes : 1, sizeof *c.nodes);
    for (size_t i = 0; i < n; i++) {
        const struct ls_rca_series *s = &series[i];
        uint32_t f = node_at[i] ? c.cnodes[node_at[i] - 1].full : 0;
        if (!f)
            continue;
        struct rnode *rn = &c.nodes[f - 1];
        if (!rn->id) {
            *rn = (struct rnode){.id = s->node, .metric = s->metric};
            for (int b = 0; b < WHEN_BINS; b++)
                rn->when[b] = NAN;
        }
        bool silent;
        struct evidence e = read_series(s, robust, scratch, p, &silent);
        if (silent && !rn->silent)
            rn->silent = s->metric;
        if (!e.usable)
            continue;
        if (!rn->ev.usable || e.z > rn->ev.z) {
            rn->ev = e;
            rn->metric = s->metric;
        }
        rn->live |= !silent;
        if (isfinite(e.center) && s->score < 0) /* from values: each point can be timed */
            when_add(rn, s, &e, &span);
        if (e.z >= t)
            rn->delay_up = fmax(rn->delay_up, e.delay_up);
        if (e.delay) {
            double rise = fmax(0.0, e.delay_up);
            if (e.tail)
                rn->delay_tail = fmax(rn->delay_tail, rise);
            else {
                rn->delay_mid = fmax(rn->delay_mid, rise);
                rn->has_mid = true;
                rn->mid_slow |= e.z >= t;
            }
        }
        if (e.load_up)
            rn->z_load = fmax(rn->z_load, e.z);
        else if (e.load_down)
            rn->z_drop = fmax(rn->z_drop, e.z);
        else
            rn->z_other = fmax(rn->z_other, e.z);
        if (e.errors)
            rn->z_errors = fmax(rn->z_errors, e.z);
        else if (e.slow)
            rn->z_rest = fmax(rn->z_rest, e.z);
    }
    free(scratch);
    ls_big_free(node_at);
    /* a node that went quiet altogether (every series it had stopped) */
    for (size_t i = 0; i < c.n_nodes; i++) {
        struct rnode *rn = &c.nodes[i];
        if (rn->live || !rn->silent || !robust || rn->ev.z >= SILENT_Z * t)
            continue;
        rn->metric = rn->silent;
        rn->ev = (struct evidence){
            .z = SILENT_Z * t, .value = NAN, .center = NAN, .spread = NAN, .usable = true};
        rn->ev.score = z_to_score(rn->ev.z, p);
        rn->z_other = rn->z_rest = rn->ev.z;
        rn->quiet = true;
    }

    struct rnode **anom = ls_xcalloc(c.n_nodes ? c.n_nodes : 1, sizeof *anom);
    size_t n_anom = 0;
    for (size_t i = 0; i < c.n_nodes; i++) {
        struct rnode *rn = &c.nodes[i];
        rn->anomalous = rn->ev.z >= p->z_threshold;
        rn->mag = rn->ev.z / (rn->ev.z + MAG_HALF * p->z_threshold);
        if (rn->anomalous) {
            anom[n_anom++] = rn;
            c.mass += rn->mag;
        }
    }
    qsort(anom, n_anom, sizeof *anom, by_anomaly_then_id);

    if (p->method == LS_RCA_PROPAGATION) {
        chronic_shares(&c, anom, n_anom);
        struct scoring sc = {
            .c = &c,
            .anom = anom,
            .n_anom = n_anom,
            .n_parts = ls_par_parts(p->threads, n_anom, RCA_PARALLEL_MIN, RCA_THREADS),
        };
        ls_par_run(sc.n_parts, score_part, &sc);
    } else {
        uint64_t seed = p->seed;
        for (size_t i = 0; i < n_anom; i++) {
            struct rnode *rn = anom[i];
            rn->score = p->method == LS_RCA_ZSCORE
                            ? rn->ev.score
                            : (double)(splitmix64(&seed) >> 11) / 9007199254740992.0;
            rn->path = ls_xcalloc(1, sizeof *rn->path);
            rn->path[0] = ls_xstrdup(rn->id);
            rn->n_path = 1;
        }
    }

    out->anomalous = ls_xcalloc(n_anom ? n_anom : 1, sizeof *out->anomalous);
    for (size_t i = 0; i < n_anom; i++)
        out->anomalous[i] = ls_xstrdup(anom[i]->id);
    out->n_anomalous = n_anom;

    qsort(anom, n_anom, sizeof *anom, by_score_then_id);
    if (getenv("LS_RCA_DEBUG")) /* TEMP DEBUG */
        for (size_t i = 0; i < n_anom && i < 12; i++) {
            struct rnode *r = anom[i];
            fprintf(stderr,
                    "DBG %-45.45s sc=%.3f mag=%.3f z=%.1f expl=%.2f cov=%.2f chr=%.2f on=%d "
                    "zl=%.1f zo=%.1f zd=%.1f ze=%.1f zr=%.1f %s when=",
                    r->id, r->score, r->mag, r->ev.z, r->explained, r->coverage, r->chronic,
                    r->onset, r->z_load, r->z_other, r->z_drop, r->z_errors, r->z_rest, r->metric);
            for (int b = 0; b < WHEN_BINS; b++)
                fprintf(stderr, isnan(r->when[b]) ? "." : "%.0f,", r->when[b]);
            fprintf(stderr, "\n");
        }
    size_t limit = p->limit;
    out->causes = ls_xcalloc(n_anom ? n_anom : 1, sizeof *out->causes);
    for (size_t i = 0; i < n_anom; i++) {
        struct rnode *rn = anom[i];
        if (out->n_causes < limit && rn->score >= p->min_cause_score &&
            (p->method == LS_RCA_RANDOM || rn->score > 0)) {
            struct ls_rca_cause *cz = &out->causes[out->n_causes++];
            cz->id = ls_xstrdup(rn->id);
            cz->score = rn->score;
            cz->metric = ls_xstrdup(rn->metric);
            cz->reason = reason_for(rn, p->method);
            cz->path = rn->path; /* moved */
            cz->n_path = rn->n_path;
            rn->path = NULL;
            continue;
        }
        for (size_t k = 0; k < rn->n_path; k++)
            free(rn->path[k]);
        free(rn->path);
        rn->path = NULL;
    }
    free(anom);
    ls_big_free(c.nodes);
    ls_big_free(c.cnodes);
    ls_map_cleanup(&c.index);
    return LS_OK;
}

void ls_rca_result_cleanup(struct ls_rca_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_causes; i++) {
        struct ls_rca_cause *c = &r->causes[i];
        free(c->id);
        free(c->metric);
        free(c->reason);
        for (size_t k = 0; k < c->n_path; k++)
            free(c->path[k]);
        free(c->path);
    }
    free(r->causes);
    for (size_t i = 0; i < r->n_anomalous; i++)
        free(r->anomalous[i]);
    free(r->anomalous);
    memset(r, 0, sizeof *r);
}

json_t *ls_rca_result_json(const struct ls_rca_result *r)
{
    json_t *causes = json_array();
    for (size_t i = 0; i < r->n_causes; i++) {
        const struct ls_rca_cause *c = &r->causes[i];
        json_t *path = json_array();
        for (size_t k = 0; k < c->n_path; k++)
            json_array_append_new(path, json_string(c->path[k]));
        json_array_append_new(causes,
                              json_pack("{s:s, s:f, s:s, s:s, s:o}", "id", c->id, "score", c->score,
                                        "metric", c->metric, "reason", c->reason, "path", path));
    }
    json_t *anomalous = json_array();
    for (size_t i = 0; i < r->n_anomalous; i++)
        json_array_append_new(anomalous, json_string(r->anomalous[i]));
    return json_pack("{s:o, s:o, s:s}", "causes", causes, "anomalous", anomalous, "method",
                     r->method ? r->method : "propagation");
}
