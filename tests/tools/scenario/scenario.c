/* The scenario generator (scenario.h): landscape, telemetry and faults with ground truth. */
#include "tests/tools/scenario/scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/change.h"

#define BIT(m) (1u << (m))

/* Per node type: the metrics it reports and their mean levels (0: not reported). */
static const struct {
    const char *type;
    double base[LS_FAULT_METRIC_COUNT]; /* cpu %, net B/s, memory B, latency ms, req/s, err/s */
} profiles[] = {
    {"switch", {0, 4e8, 0, 0, 0, 0.5}},       {"machine", {30, 5e7, 1.2e11, 0, 0, 0}},
    {"hypervisor", {28, 0, 1.6e11, 0, 0, 0}}, {"disk", {0, 0, 0, 2.0, 0, 0.1}},
    {"instance", {25, 1e6, 4e9, 20, 0, 0}},   {"volume", {0, 0, 0, 5.0, 0, 0}},
    {"service", {0, 0, 0, 50, 200, 1.0}},
};

/* How strongly each class follows the daily pattern. */
static const double daily[LS_FAULT_METRIC_COUNT] = {0.3, 0.3, 0.02, 0.1, 0.35, 0.2};

static const char *const metric_names[LS_FAULT_METRIC_COUNT] = {
    "cpu_util", "net_bytes", "memory_bytes", "latency_ms", "requests", "errors"};

const char *ls_scn_metric_name(enum ls_fault_metric m)
{
    return (unsigned)m < LS_FAULT_METRIC_COUNT ? metric_names[m] : "unknown";
}

void ls_scn_opts_init(struct ls_scn_opts *o)
{
    *o = (struct ls_scn_opts){
        .seed = 1, .racks = 4, .machines = 4, .instances = 4, .services = 4, .noise = 0.05};
}

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* Uniform in (0, 1) from a key. */
static double unit(uint64_t key)
{
    return ((double)(mix(key) >> 11) + 0.5) / 9007199254740992.0;
}

/* ---- building ------------------------------------------------------------------------- */

struct builder {
    struct ls_scn *s;
    struct ls_change_set *cs;
    json_t *nodes, *edges;
    size_t cap;
    int rc;
    struct ls_err *err;
};

static void add_node(struct builder *b, const char *type, const char *name)
{
    struct ls_scn *s = b->s;
    if (s->n_nodes == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        s->nodes = ls_xrealloc(s->nodes, b->cap * sizeof *s->nodes);
    }
    struct ls_scn_node *n = &s->nodes[s->n_nodes];
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "scn:%s:%s", type, name);
    snprintf(n->alias, sizeof n->alias, "scn-%s-%s", type, name);
    for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++) {
        if (strcmp(profiles[p].type, type) != 0)
            continue;
        n->type = profiles[p].type;
        for (int m = 0; m < LS_FAULT_METRIC_COUNT; m++) {
            /* each node its own level: 0.6x to 1.4x its type's */
            double jitter =
                0.6 + 0.8 * unit(s->o.seed * 7919ULL + s->n_nodes * 31ULL + (unsigned)m);
            n->base[m] = profiles[p].base[m] * jitter;
            if (profiles[p].base[m] > 0)
                n->metrics |= BIT(m);
        }
    }
    if (!n->type)
        n->type = "rack";
    n->phase = 0.6 * (unit(s->o.seed * 104729ULL + s->n_nodes) - 0.5);
    s->n_nodes++;
    json_array_append_new(b->nodes, json_pack("{s:s,s:s,s:s,s:{s:[s]}}", "id", n->id, "type",
                                              n->type, "name", name, "attrs", "aliases", n->alias));
    if (b->rc == LS_OK)
        b->rc = ls_change_put_node_new(b->cs, n->id, n->type, name, "up",
                                       json_pack("{s:[s]}", "aliases", n->alias), NULL, b->err);
}

static void add_edge(struct builder *b, const char *src, enum ls_edge_type t, const char *dst)
{
    json_array_append_new(
        b->edges, json_pack("{s:s,s:s,s:s}", "src", src, "type", ls_edge_type_name(t), "dst", dst));
    if (b->rc == LS_OK)
        b->rc = ls_change_put_edge_new(b->cs, src, t, dst, NULL, LS_ESRC_MANUAL, 1.0, b->err);
}

static const char *last_id(const struct builder *b)
{
    return b->s->nodes[b->s->n_nodes - 1].id;
}

int ls_scn_build(struct ls_scn **out, const struct ls_scn_opts *o, struct ls_err *err)
{
    if (o->racks < 1 || o->racks > 64 || o->machines < 1 || o->machines > 64 || o->instances < 1 ||
        o->instances > 64 || o->services < 0 || o->services > 64 ||
        !(o->noise >= 0 && o->noise <= 1))
        return ls_err_set(err, LS_EINVAL, "invalid_scenario",
                          "scenario: racks, machines, instances 1..64, services 0..64, noise 0..1");
    struct ls_scn *s = ls_xcalloc(1, sizeof *s);
    s->o = *o;
    struct builder b = {.s = s,
                        .cs = ls_change_set_new("scenario"),
                        .nodes = json_array(),
                        .edges = json_array(),
                        .err = err};
    char name[64], rack[96], tor[96], mach[96], hyp[96], disk[2][96], inst[96];
    size_t disk_at[2] = {0, 0};
    size_t n_inst = (size_t)o->racks * (size_t)o->machines * (size_t)o->instances;
    char(*insts)[96] = ls_xcalloc(n_inst ? n_inst : 1, sizeof *insts);
    size_t k = 0;
    for (int r = 1; r <= o->racks; r++) {
        snprintf(name, sizeof name, "r%02d", r);
        add_node(&b, "rack", name);
        snprintf(rack, sizeof rack, "%s", last_id(&b));
        snprintf(name, sizeof name, "tor-r%02d", r);
        add_node(&b, "switch", name);
        snprintf(tor, sizeof tor, "%s", last_id(&b));
        add_edge(&b, rack, LS_EDGE_CONTAINS, tor);
        for (int m = 1; m <= o->machines; m++) {
            snprintf(name, sizeof name, "r%02dh%02d", r, m);
            add_node(&b, "machine", name);
            snprintf(mach, sizeof mach, "%s", last_id(&b));
            add_edge(&b, rack, LS_EDGE_CONTAINS, mach);
            add_edge(&b, mach, LS_EDGE_CONNECTED_TO, tor);
            for (int d = 0; d < 2; d++) {
                snprintf(name, sizeof name, "r%02dh%02dd%d", r, m, d);
                add_node(&b, "disk", name);
                snprintf(disk[d], sizeof disk[d], "%s", last_id(&b));
                disk_at[d] = s->n_nodes - 1;
                add_edge(&b, mach, LS_EDGE_CONTAINS, disk[d]);
            }
            snprintf(name, sizeof name, "r%02dh%02d", r, m);
            add_node(&b, "hypervisor", name);
            snprintf(hyp, sizeof hyp, "%s", last_id(&b));
            add_edge(&b, hyp, LS_EDGE_RUNS_ON, mach);
            for (int v = 1; v <= o->instances; v++) {
                snprintf(name, sizeof name, "r%02dh%02dv%02d", r, m, v);
                add_node(&b, "instance", name);
                snprintf(inst, sizeof inst, "%s", last_id(&b));
                snprintf(insts[k++], sizeof insts[0], "%s", inst);
                add_edge(&b, inst, LS_EDGE_RUNS_ON, hyp);
                if (v % 2 == 1) { /* a volume on one of the machine's disks */
                    add_node(&b, "volume", name);
                    add_edge(&b, last_id(&b), LS_EDGE_RUNS_ON, disk[(v / 2) % 2]);
                    s->nodes[disk_at[(v / 2) % 2]].volumes++;
                    add_edge(&b, last_id(&b), LS_EDGE_ATTACHED_TO, inst);
                }
            }
        }
    }
    for (int v = 0; v < o->services; v++) {
        snprintf(name, sizeof name, "svc%02d", v + 1);
        add_node(&b, "service", name);
        char svc[96];
        snprintf(svc, sizeof svc, "%s", last_id(&b));
        /* every services-th instance, offset by v: spread over racks and hosts */
        for (size_t i = (size_t)v; i < n_inst; i += (size_t)o->services)
            add_edge(&b, svc, LS_EDGE_USES, insts[i]);
    }
    free(insts);
    s->bulk = json_pack("{s:o,s:o}", "nodes", b.nodes, "edges", b.edges);
    s->g = ls_graph_new();
    struct ls_prepared *p;
    if (b.rc == LS_OK)
        b.rc = ls_graph_prepare(s->g, b.cs, 1, &p, err);
    if (b.rc == LS_OK)
        ls_graph_publish(s->g, p, 1);
    ls_change_set_free(b.cs);
    if (b.rc != LS_OK) {
        ls_scn_free(s);
        return b.rc;
    }
    *out = s;
    return LS_OK;
}

void ls_scn_free(struct ls_scn *s)
{
    if (!s)
        return;
    free(s->nodes);
    json_decref(s->bulk);
    ls_graph_free(s->g);
    free(s);
}

/* ---- faults and roles ----------------------------------------------------------------- */

/* Has disk i a volume running on it? */
static bool carries_volume(const struct ls_scn *s, size_t i)
{
    return s->nodes[i].volumes > 0;
}

void ls_scn_fault(struct ls_fault *out,
                  const struct ls_scn *s,
                  enum ls_fault_kind k,
                  unsigned trial,
                  int64_t start_us,
                  int64_t end_us)
{
    memset(out, 0, sizeof *out);
    out->kind = k;
    out->start_us = start_us;
    out->end_us = end_us;
    out->magnitude = 1.0;
    const char *type = ls_fault_root_type(k);
    size_t n = 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        n += strcmp(s->nodes[i].type, type) == 0 &&
             (k != LS_FAULT_DISK_FAILURE || carries_volume(s, i));
    if (n == 0)
        return;
    size_t pick = (size_t)(mix(((uint64_t)s->o.seed << 32) ^ ((uint64_t)k << 24) ^ trial) % n);
    for (size_t i = 0; i < s->n_nodes; i++) {
        if (strcmp(s->nodes[i].type, type) != 0 ||
            (k == LS_FAULT_DISK_FAILURE && !carries_volume(s, i)))
            continue;
        if (pick-- == 0) {
            snprintf(out->root, sizeof out->root, "%s", s->nodes[i].id);
            return;
        }
    }
}

struct role_fill {
    const struct ls_scn *s;
    unsigned char *roles;
};

static bool fill_role(const char *id, enum ls_fault_role role, void *arg)
{
    struct role_fill *rf = arg;
    for (size_t i = 0; i < rf->s->n_nodes; i++)
        if (strcmp(rf->s->nodes[i].id, id) == 0) {
            rf->roles[i] = (unsigned char)role;
            break;
        }
    return true;
}

int ls_scn_roles(unsigned char *roles,
                 const struct ls_scn *s,
                 const struct ls_fault *f,
                 struct ls_err *err)
{
    memset(roles, 0, s->n_nodes);
    struct role_fill rf = {s, roles};
    struct ls_snap *snap = ls_graph_snap(s->g);
    int rc = ls_fault_roles(snap, f, fill_role, &rf, err);
    ls_snap_release(snap);
    return rc;
}

/* ---- telemetry ------------------------------------------------------------------------ */

double ls_scn_value(const struct ls_scn *s,
                    size_t i,
                    enum ls_fault_metric m,
                    int64_t t_us,
                    const struct ls_fault *f,
                    enum ls_fault_role role)
{
    const struct ls_scn_node *n = &s->nodes[i];
    double day = 2.0 * M_PI * (double)(t_us / 1000000 % 86400) / 86400.0;
    double level = n->base[m] * (1.0 + daily[m] * sin(day - M_PI / 2 + n->phase));
    /* Gaussian noise (Box-Muller) keyed by seed, node, metric and second */
    uint64_t key = ((uint64_t)s->o.seed << 40) ^ ((uint64_t)i << 20) ^ ((uint64_t)m << 16) ^
                   (uint64_t)(t_us / 1000000) * 0x100000001B3ULL;
    double u1 = unit(key), u2 = unit(key ^ 0x5555555555555555ULL);
    double g = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
    double v = level * (1.0 + s->o.noise * g);
    if (v < 0)
        v = 0;
    return ls_fault_effect(f, role, m, t_us, v);
}

int ls_scn_render(struct ls_buf *b,
                  const struct ls_scn *s,
                  int64_t t_us,
                  const struct ls_fault *f,
                  const unsigned char *roles)
{
    for (size_t i = 0; i < s->n_nodes; i++) {
        const struct ls_scn_node *n = &s->nodes[i];
        if (!n->metrics)
            continue;
        size_t mark = b->len;
        int rc = ls_buf_printf(b, "scenario,host=%s ", n->alias);
        const char *sep = "";
        enum ls_fault_role role = roles ? (enum ls_fault_role)roles[i] : LS_FAULT_NONE;
        for (int m = 0; m < LS_FAULT_METRIC_COUNT && rc == LS_OK; m++) {
            if (!(n->metrics & BIT(m)))
                continue;
            double v = ls_scn_value(s, i, (enum ls_fault_metric)m, t_us, f, role);
            if (isnan(v)) /* sends nothing */
                continue;
            rc = ls_buf_printf(b, "%s%s=%.6g", sep, metric_names[m], v);
            sep = ",";
        }
        if (rc == LS_OK && *sep == '\0') /* no field at all: no line */
        {
            b->len = mark;
            b->data[mark] = '\0';
        } else if (rc == LS_OK)
            rc = ls_buf_printf(b, " %lld000\n", (long long)t_us);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}
