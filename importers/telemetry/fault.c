/* The fault catalogue (fault.h): one table of effects, and the walks from a fault's root to the
 * nodes it reaches. */
#include "importers/telemetry/fault.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"
#include "common/time.h"

static const struct {
    const char *name;
    const char *root_type;
    double ramp_s; /* seconds to reach the full effect */
} kinds[LS_FAULT_KIND_COUNT] = {
    [LS_FAULT_NOISY_NEIGHBOUR] = {"noisy_neighbour", "instance", 30},
    [LS_FAULT_TOR_FAILURE] = {"tor_failure", "switch", 30},
    [LS_FAULT_DISK_FAILURE] = {"disk_failure", "disk", 30},
    [LS_FAULT_MEMORY_LEAK] = {"memory_leak", "instance", 1800},
    [LS_FAULT_FLASH_TRAFFIC] = {"flash_traffic", "service", 30},
};

/* The effects: a metric of class m on a node of this role reads normal x factor (at full
 * effect and magnitude 1). Rows not listed leave the metric alone. */
static const struct effect {
    enum ls_fault_kind kind;
    enum ls_fault_role role;
    enum ls_fault_metric metric;
    double factor;
} effects[] = {
    /* Roots often show less than what they cause (a hog's CPU rises by half, its neighbours'
     * latency triples): ranking by the size of the change alone is not enough. */
    /* the hog's CPU and traffic; its host busier; its neighbours wait */
    {LS_FAULT_NOISY_NEIGHBOUR, LS_FAULT_CAUSE, LS_FM_CPU, 1.6},
    {LS_FAULT_NOISY_NEIGHBOUR, LS_FAULT_CAUSE, LS_FM_NET, 1.5},
    {LS_FAULT_NOISY_NEIGHBOUR, LS_FAULT_SYMPTOM, LS_FM_CPU, 1.4},
    {LS_FAULT_NOISY_NEIGHBOUR, LS_FAULT_SYMPTOM, LS_FM_LATENCY, 3.0},
    /* the switch is dead: it sends nothing; everything behind it goes quiet */
    {LS_FAULT_TOR_FAILURE, LS_FAULT_CAUSE, LS_FM_NET, NAN},
    {LS_FAULT_TOR_FAILURE, LS_FAULT_CAUSE, LS_FM_ERRORS, NAN},
    {LS_FAULT_TOR_FAILURE, LS_FAULT_SYMPTOM, LS_FM_NET, 0.05},
    {LS_FAULT_TOR_FAILURE, LS_FAULT_SYMPTOM, LS_FM_REQUESTS, 0.1},
    {LS_FAULT_TOR_FAILURE, LS_FAULT_SYMPTOM, LS_FM_LATENCY, 4.0},
    /* the disk degrades; the volume queues behind it, its VM waits longer still */
    {LS_FAULT_DISK_FAILURE, LS_FAULT_CAUSE, LS_FM_LATENCY, 3.0},
    {LS_FAULT_DISK_FAILURE, LS_FAULT_CAUSE, LS_FM_ERRORS, 3.0},
    {LS_FAULT_DISK_FAILURE, LS_FAULT_SYMPTOM, LS_FM_LATENCY, 6.0},
    {LS_FAULT_DISK_FAILURE, LS_FAULT_SYMPTOM, LS_FM_CPU, 0.7},
    /* memory grows over the ramp; the VM swaps and slows; its host's memory rises */
    {LS_FAULT_MEMORY_LEAK, LS_FAULT_CAUSE, LS_FM_MEMORY, 2.5},
    {LS_FAULT_MEMORY_LEAK, LS_FAULT_CAUSE, LS_FM_LATENCY, 1.8},
    {LS_FAULT_MEMORY_LEAK, LS_FAULT_SYMPTOM, LS_FM_MEMORY, 1.3},
    /* the service's requests double; its instances saturate */
    {LS_FAULT_FLASH_TRAFFIC, LS_FAULT_CAUSE, LS_FM_REQUESTS, 2.0},
    {LS_FAULT_FLASH_TRAFFIC, LS_FAULT_CAUSE, LS_FM_LATENCY, 1.5},
    {LS_FAULT_FLASH_TRAFFIC, LS_FAULT_SYMPTOM, LS_FM_CPU, 2.5},
    {LS_FAULT_FLASH_TRAFFIC, LS_FAULT_SYMPTOM, LS_FM_NET, 3.0},
    {LS_FAULT_FLASH_TRAFFIC, LS_FAULT_SYMPTOM, LS_FM_REQUESTS, 2.0},
};

const char *ls_fault_kind_name(enum ls_fault_kind k)
{
    return (unsigned)k < LS_FAULT_KIND_COUNT ? kinds[k].name : "unknown";
}

const char *ls_fault_root_type(enum ls_fault_kind k)
{
    return (unsigned)k < LS_FAULT_KIND_COUNT ? kinds[k].root_type : "";
}

int ls_fault_kind_parse(enum ls_fault_kind *out, const char *name, struct ls_err *err)
{
    for (int k = 0; k < LS_FAULT_KIND_COUNT; k++)
        if (name && strcmp(name, kinds[k].name) == 0) {
            *out = (enum ls_fault_kind)k;
            return LS_OK;
        }
    return ls_err_set(err, LS_EINVAL, "unknown_fault",
                      "kind: expected noisy_neighbour, tor_failure, disk_failure, memory_leak or "
                      "flash_traffic");
}

double ls_fault_effect(const struct ls_fault *f,
                       enum ls_fault_role role,
                       enum ls_fault_metric m,
                       int64_t t_us,
                       double normal)
{
    if (!f || role == LS_FAULT_NONE || (unsigned)f->kind >= LS_FAULT_KIND_COUNT ||
        t_us < f->start_us || (f->end_us > 0 && t_us >= f->end_us))
        return normal;
    for (size_t i = 0; i < sizeof effects / sizeof effects[0]; i++) {
        const struct effect *e = &effects[i];
        if (e->kind != f->kind || e->role != role || e->metric != m)
            continue;
        double ramp = (double)(t_us - f->start_us) / 1e6 / kinds[f->kind].ramp_s;
        double reach = (ramp < 1.0 ? ramp : 1.0) * f->magnitude;
        if (isnan(e->factor)) /* a dead device: no sample at all */
            return reach > 0 ? NAN : normal;
        /* interpolate in log space: a factor of 0.02 halves, quarters, ... as it ramps */
        return normal * pow(e->factor, reach);
    }
    return normal;
}

json_t *ls_fault_json(const struct ls_fault *f)
{
    char start[40], end[40];
    ls_time_format_rfc3339(f->start_us, start, sizeof start);
    if (f->end_us > 0)
        ls_time_format_rfc3339(f->end_us, end, sizeof end);
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:o,s:f}", "kind", ls_fault_kind_name(f->kind), "root", f->root, "start",
        start, "end", f->end_us > 0 ? json_string(end) : json_null(), "magnitude", f->magnitude);
    if (!o)
        ls_json_oom();
    return o;
}

/* ---- who is touched ------------------------------------------------------------------- */

struct walk {
    const struct ls_snap *s;
    struct ls_map seen;
    ls_fault_visit fn;
    void *arg;
    bool stopped;
    /* the nodes found by the current step, for the next (ids borrowed from the snapshot) */
    const char **found;
    size_t n_found, cap_found;
    const char *want_type; /* a step's filter on the far end's type (NULL: any) */
    enum ls_direction dir;
};

/* Reports id once with role; false when the caller stopped. */
static bool visit(struct walk *w, const char *id, enum ls_fault_role role)
{
    bool added;
    ls_map_upsert(&w->seen, id, &added);
    if (added && !w->stopped && !w->fn(id, role, w->arg))
        w->stopped = true;
    return !w->stopped;
}

static bool collect(const struct ls_edge *e, void *arg)
{
    struct walk *w = arg;
    const char *far = w->dir == LS_DIR_OUT ? e->dst : e->src;
    const struct ls_node *n = ls_snap_node(w->s, far);
    if (!n || (w->want_type && strcmp(n->type, w->want_type) != 0))
        return true;
    if (w->n_found == w->cap_found) {
        w->cap_found = w->cap_found ? 2 * w->cap_found : 16;
        w->found = ls_xrealloc(w->found, w->cap_found * sizeof *w->found);
    }
    w->found[w->n_found++] = n->id;
    return true;
}

/* The neighbours of id over edges of `type` in `dir` whose far end is of want_type, appended
 * to w->found (from index w->n_found on). */
static void step(struct walk *w, const char *id, enum ls_direction dir, int type, const char *want)
{
    w->dir = dir;
    w->want_type = want;
    /* a node deleted under us has no neighbours: nothing to add */
    if (ls_snap_node_edges(w->s, id, dir, type, collect, w, NULL) != LS_OK)
        return;
}

/* Machines -> their hypervisors -> those hypervisors' instances, each a symptom. */
static void behind_machines(struct walk *w, size_t from)
{
    size_t end = w->n_found;
    for (size_t i = from; i < end; i++)
        step(w, w->found[i], LS_DIR_IN, LS_EDGE_RUNS_ON, "hypervisor");
    size_t end2 = w->n_found;
    for (size_t i = end; i < end2; i++)
        step(w, w->found[i], LS_DIR_IN, LS_EDGE_RUNS_ON, "instance");
    for (size_t i = from; i < w->n_found; i++)
        visit(w, w->found[i], LS_FAULT_SYMPTOM);
}

static void walk_kind(struct walk *w, const struct ls_fault *f)
{
    const char *root = f->root;
    switch (f->kind) {
    case LS_FAULT_NOISY_NEIGHBOUR:
        step(w, root, LS_DIR_OUT, LS_EDGE_RUNS_ON, "hypervisor");
        for (size_t i = 0, n = w->n_found; i < n; i++) {
            step(w, w->found[i], LS_DIR_OUT, LS_EDGE_RUNS_ON, "machine");
            step(w, w->found[i], LS_DIR_IN, LS_EDGE_RUNS_ON, "instance");
        }
        break;
    case LS_FAULT_TOR_FAILURE: {
        step(w, root, LS_DIR_IN, LS_EDGE_CONTAINS, "rack");
        size_t racks = w->n_found;
        for (size_t i = 0; i < racks; i++)
            step(w, w->found[i], LS_DIR_OUT, LS_EDGE_CONTAINS, "machine");
        /* machines cabled to it: machine -> direct, or machine contains nic connected_to */
        size_t nics = w->n_found;
        step(w, root, LS_DIR_IN, LS_EDGE_CONNECTED_TO, "nic");
        size_t nics_end = w->n_found;
        for (size_t i = nics; i < nics_end; i++)
            step(w, w->found[i], LS_DIR_IN, LS_EDGE_CONTAINS, "machine");
        step(w, root, LS_DIR_IN, LS_EDGE_CONNECTED_TO, "machine");
        /* the racks and NICs themselves are containers and cables, not symptoms */
        size_t keep = 0;
        for (size_t i = racks; i < w->n_found; i++)
            if (i < nics || i >= nics_end)
                w->found[keep++] = w->found[i];
        w->n_found = keep;
        behind_machines(w, 0);
        return;
    }
    case LS_FAULT_DISK_FAILURE:
        step(w, root, LS_DIR_IN, LS_EDGE_RUNS_ON, "volume");
        for (size_t i = 0, n = w->n_found; i < n; i++)
            step(w, w->found[i], LS_DIR_OUT, LS_EDGE_ATTACHED_TO, "instance");
        break;
    case LS_FAULT_MEMORY_LEAK:
        step(w, root, LS_DIR_OUT, LS_EDGE_RUNS_ON, "hypervisor");
        break;
    case LS_FAULT_FLASH_TRAFFIC: {
        static const int through[] = {LS_EDGE_DEPENDS_ON, LS_EDGE_CONTAINS, LS_EDGE_USES};
        size_t from = 0;
        w->found = ls_xrealloc(w->found, 16 * sizeof *w->found);
        w->cap_found = w->cap_found > 16 ? w->cap_found : 16;
        w->found[0] = root;
        w->n_found = 1;
        for (int depth = 0; depth < 4; depth++) {
            size_t end = w->n_found;
            for (size_t i = from; i < end; i++)
                for (size_t t = 0; t < sizeof through / sizeof through[0]; t++)
                    step(w, w->found[i], LS_DIR_OUT, through[t], NULL);
            from = end;
        }
        for (size_t i = 1; i < w->n_found; i++) {
            const struct ls_node *n = ls_snap_node(w->s, w->found[i]);
            if (n && strcmp(n->type, "instance") == 0)
                visit(w, n->id, LS_FAULT_SYMPTOM);
        }
        return;
    }
    }
    for (size_t i = 0; i < w->n_found; i++)
        visit(w, w->found[i], LS_FAULT_SYMPTOM);
}

int ls_fault_roles(const struct ls_snap *s,
                   const struct ls_fault *f,
                   ls_fault_visit fn,
                   void *arg,
                   struct ls_err *err)
{
    const struct ls_node *root = ls_snap_node(s, f->root);
    if (!root)
        return ls_err_set(err, LS_ENOTFOUND, "fault_root_not_found", "node %s: not found", f->root);
    if ((unsigned)f->kind >= LS_FAULT_KIND_COUNT ||
        strcmp(root->type, ls_fault_root_type(f->kind)) != 0)
        return ls_err_set(err, LS_EINVAL, "fault_root_type", "node %s: a %s needs a %s, not a %s",
                          f->root, ls_fault_kind_name(f->kind), ls_fault_root_type(f->kind),
                          root->type);
    struct walk w = {.s = s, .fn = fn, .arg = arg};
    ls_map_init(&w.seen);
    if (visit(&w, root->id, LS_FAULT_CAUSE))
        walk_kind(&w, f);
    free(w.found);
    ls_map_cleanup(&w.seen);
    return LS_OK;
}
