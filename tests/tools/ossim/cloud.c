/* ossim: the generated cloud — arrays of hypervisors, servers, ports, volumes and networks,
 * their sort orders (for marker paging by binary search) and an id -> index map — and the
 * changes that keep it consistent (migrate, status, delete, add, churn).
 * Everything derives from the index (ids are hashes of kind and index), so the same options
 * generate the same cloud. No locking here: the callers hold the ossim lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "tests/tools/ossim/ossim_int.h"

const struct flavor ossim_flavors[NFLAVORS] = {
    {"sim.small", 1, 2048, 20},
    {"sim.medium", 2, 4096, 40},
    {"sim.large", 4, 8192, 80},
    {"sim.xlarge", 8, 16384, 160},
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

/* ---- id map ---- */

static uint64_t uuid_key(const struct uuid *u)
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | u->b[i];
    return k;
}

static void map_put_raw(struct idmap_slot *m, size_t cap, uint64_t key, uint32_t val)
{
    size_t i = (size_t)mix64(key) & (cap - 1);
    while (m[i].val)
        i = (i + 1) & (cap - 1);
    m[i].key = key;
    m[i].val = val;
}

static void map_put(struct cloud *c, int kind, int idx)
{
    if ((c->map_n + 1) * 10 > c->map_cap * 7) {
        size_t cap = c->map_cap ? c->map_cap * 2 : 1024;
        struct idmap_slot *m = calloc(cap, sizeof(*m));
        if (!m)
            abort();
        for (size_t i = 0; i < c->map_cap; i++)
            if (c->map[i].val)
                map_put_raw(m, cap, c->map[i].key, c->map[i].val);
        free(c->map);
        c->map = m;
        c->map_cap = cap;
    }
    struct uuid u;
    make_uuid(kind, idx, &u);
    map_put_raw(c->map, c->map_cap, uuid_key(&u), ((uint32_t)kind << 26 | (uint32_t)idx) + 1);
    c->map_n++;
}

bool parse_uuid(const char *s, struct uuid *u)
{
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-')
            continue;
        int hi = ls_hex_digit(p[0]), lo = p[1] ? ls_hex_digit(p[1]) : -1;
        if (hi < 0 || lo < 0 || n >= 16)
            return false;
        u->b[n++] = (uint8_t)(hi << 4 | lo);
        p++;
    }
    return n == 16;
}

int cloud_lookup(const struct cloud *c, int kind, const char *id)
{
    struct uuid u;
    if (!id || !c->map_cap || !parse_uuid(id, &u))
        return -1;
    uint64_t key = uuid_key(&u);
    for (size_t i = (size_t)mix64(key) & (c->map_cap - 1); c->map[i].val;
         i = (i + 1) & (c->map_cap - 1)) {
        if (c->map[i].key != key)
            continue;
        uint32_t v = c->map[i].val - 1;
        int k = (int)(v >> 26), idx = (int)(v & ((1u << 26) - 1));
        struct uuid w;
        make_uuid(k, idx, &w);
        if (k == kind && !memcmp(w.b, u.b, 16))
            return idx;
    }
    return -1;
}

/* ---- sort orders ---- */

static int cmp_uuid(int kind, int a, int b)
{
    struct uuid x, y;
    make_uuid(kind, a, &x);
    make_uuid(kind, b, &y);
    return memcmp(x.b, y.b, 16);
}

/* Nova and Cinder: created desc, then id desc. */
static int cmp_server(const struct cloud *c, int a, int b)
{
    if (c->sv[a].created != c->sv[b].created)
        return c->sv[a].created > c->sv[b].created ? -1 : 1;
    return -cmp_uuid(K_SERVER, a, b);
}

static int cmp_vol(const struct cloud *c, int a, int b)
{
    if (c->vol[a].created != c->vol[b].created)
        return c->vol[a].created > c->vol[b].created ? -1 : 1;
    return -cmp_uuid(K_VOL, a, b);
}

/* Neutron: id asc. */
static int cmp_port(const struct cloud *c, int a, int b)
{
    (void)c;
    return cmp_uuid(K_PORT, a, b);
}

static int cmp_net(const struct cloud *c, int a, int b)
{
    (void)c;
    return cmp_uuid(K_NET, a, b);
}

static int cmp_subnet(const struct cloud *c, int a, int b)
{
    (void)c;
    return cmp_uuid(K_SUBNET, a, b);
}

static int cmp_fip(const struct cloud *c, int a, int b)
{
    (void)c;
    return cmp_uuid(K_FIP, a, b);
}

static const struct cloud *sort_cloud;
static int (*sort_cmp)(const struct cloud *, int, int);
static int qsort_cmp(const void *a, const void *b)
{
    return sort_cmp(sort_cloud, *(const int *)a, *(const int *)b);
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static void
coll_build(struct cloud *c, struct coll *o, int n, int (*cmp)(const struct cloud *, int, int))
{
    o->cmp = cmp;
    o->cap = n + 16;
    o->v = xrealloc(NULL, (size_t)o->cap * sizeof(int));
    o->n = n;
    for (int i = 0; i < n; i++)
        o->v[i] = i;
    /* qsort has no context argument in C11: serialize the (rare) builds. */
    pthread_mutex_lock(&sort_lock);
    sort_cloud = c;
    sort_cmp = cmp;
    qsort(o->v, (size_t)n, sizeof(int), qsort_cmp);
    pthread_mutex_unlock(&sort_lock);
}

/* First position whose element is not before idx. */
static int coll_lower(const struct cloud *c, const struct coll *o, int idx)
{
    int lo = 0, hi = o->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (o->cmp(c, o->v[mid], idx) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int coll_pos(const struct cloud *c, const struct coll *o, int idx)
{
    int p = coll_lower(c, o, idx);
    return p < o->n && o->v[p] == idx ? p : -1;
}

static void coll_insert(struct cloud *c, struct coll *o, int idx)
{
    if (o->n == o->cap) {
        o->cap = o->cap * 2 + 16;
        o->v = xrealloc(o->v, (size_t)o->cap * sizeof(int));
    }
    int p = coll_lower(c, o, idx);
    memmove(o->v + p + 1, o->v + p, (size_t)(o->n - p) * sizeof(int));
    o->v[p] = idx;
    o->n++;
}

/* ---- helpers ---- */

bool agg_zoned(int k)
{
    return k % 2 == 0;
}

int server_az_agg(const struct cloud *c, int sv)
{
    if (c->o.aggregates <= 0)
        return -1;
    int k = c->sv[sv].hv % c->o.aggregates;
    return agg_zoned(k) ? k : -1;
}

void az_name(const struct cloud *c, int agg, char *out, size_t cap)
{
    (void)c;
    if (agg < 0)
        snprintf(out, cap, "nova");
    else
        snprintf(out, cap, "sim-az-%d", agg);
}

void ip_fmt(uint32_t ip, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void mac_fmt(int port, char *out, size_t cap)
{
    unsigned v = (unsigned)port + 1;
    snprintf(out, cap, "fa:16:3e:%02x:%02x:%02x", (v >> 16) & 255, (v >> 8) & 255, v & 255);
}

void hv_ip(int i, char *out, size_t cap)
{
    snprintf(out, cap, "10.%d.%d.%d", (i / (254 * 254)) % 128, (i / 254) % 254 + 1, i % 254 + 1);
}

int server_first_port(const struct cloud *c, int sv)
{
    const struct sim_server *s = &c->sv[sv];
    for (int k = 0; k < s->nports; k++)
        if (!c->pt[s->port_first + k].deleted)
            return s->port_first + k;
    return -1;
}

int fip_server(int f)
{
    return f * 10;
}

static void usage_add(struct cloud *c, int sv, int sign)
{
    const struct sim_server *s = &c->sv[sv];
    const struct flavor *f = &ossim_flavors[s->flavor];
    struct sim_hv *h = &c->hv[s->hv];
    h->used_vcpus += sign * f->vcpus;
    h->used_mem += sign * f->ram;
    h->used_disk += sign * f->disk;
    h->vms += sign;
    h->generation++;
}

static int new_port(struct cloud *c, int server, int net, int owner, int64_t created)
{
    if (c->npt == c->cappt) {
        c->cappt = c->cappt * 2 + 16;
        c->pt = xrealloc(c->pt, (size_t)c->cappt * sizeof(*c->pt));
    }
    int i = c->npt++;
    struct sim_port *p = &c->pt[i];
    struct sim_net *n = &c->net[net];
    memset(p, 0, sizeof(*p));
    p->server = server;
    p->net = net;
    p->owner = owner;
    p->revision = owner == OWN_NONE ? 1 : 4;
    p->created = created;
    p->updated = created + 5;
    if (owner == OWN_ROUTER_IF) {
        p->ip = n->base + 1;
    } else {
        uint32_t size = 1u << (32 - n->prefix);
        p->ip = n->base + 10 + n->next % (size - 12);
        n->next++;
    }
    return i;
}

/* ---- generation ---- */

static int opt(int v, int dflt)
{
    return v < 0 ? dflt : v;
}

int cloud_init(struct cloud *c, const struct ossim_opts *o)
{
    memset(c, 0, sizeof(*c));
    c->o = *o;
    struct ossim_opts *p = &c->o;
    p->hypervisors = opt(p->hypervisors, 3);
    p->servers = opt(p->servers, 4);
    p->ports_per_server = opt(p->ports_per_server, 1);
    p->extra_ports = opt(p->extra_ports, 0);
    p->volumes = opt(p->volumes, 2);
    p->networks = p->networks < 1 ? 1 : p->networks;
    p->projects = p->projects < 1 ? 1 : p->projects;
    p->aggregates = opt(p->aggregates, 1);
    p->stacks = opt(p->stacks, 1);
    if (p->hypervisors < 1 || p->hypervisors >= (1 << 24) || p->servers >= (1 << 24) ||
        p->volumes >= (1 << 24) || p->networks > 4096 || p->ports_per_server > 16 ||
        p->extra_ports >= (1 << 22))
        return -1;
    if (p->stacks > p->servers)
        p->stacks = p->servers;
    c->t0 = now_s() - 30 * 86400;
    c->nhv = p->hypervisors;
    c->nnet = p->networks + 1; /* + the external network */
    c->nvol = p->volumes;
    c->nfip = (p->servers + 9) / 10;
    c->nstack = p->stacks;

    c->hv = calloc((size_t)c->nhv, sizeof(*c->hv));
    c->hv_names = calloc((size_t)c->nhv, sizeof(*c->hv_names));
    if (!c->hv_names)
        return -1;
    bool named = p->hypervisor_names != NULL; /* a NULL entry ends the list */
    for (int i = 0; i < c->nhv; i++) {
        named = named && p->hypervisor_names[i];
        if (named)
            snprintf(c->hv_names[i], sizeof(c->hv_names[i]), "%s", p->hypervisor_names[i]);
        else
            snprintf(c->hv_names[i], sizeof(c->hv_names[i]), "sim-hv-%d", i);
    }
    p->hypervisor_names = NULL; /* copied: the caller's array may go */
    c->net = calloc((size_t)c->nnet, sizeof(*c->net));
    c->vol = calloc((size_t)c->nvol + 1, sizeof(*c->vol));
    c->capsv = p->servers + 64;
    c->sv = calloc((size_t)c->capsv, sizeof(*c->sv));
    c->cappt = p->servers * p->ports_per_server + p->extra_ports + c->nnet + 64;
    c->pt = calloc((size_t)c->cappt, sizeof(*c->pt));
    if (!c->hv || !c->net || !c->vol || !c->sv || !c->pt)
        abort();

    for (int i = 0; i < c->nhv; i++) {
        struct sim_hv *h = &c->hv[i];
        h->vcpus = 32 * (1 + i % 4);
        h->vcpu_reserved = i % 5;
        h->mem_mb = 131072 * (1 + i % 4);
        h->disk_gb = 2000 + 1000 * (i % 3);
        h->generation = 1;
    }
    /* Networks: one block each in 10.128.0.0/9, large enough for its ports and some more. */
    int per_net = (p->servers / p->networks + 1) * p->ports_per_server +
                  p->extra_ports / p->networks + 1 + 1024;
    int prefix = 24;
    while (prefix > 9 && (1 << (32 - prefix)) < per_net)
        prefix--;
    for (int k = 0; k < p->networks; k++) {
        uint32_t size = 1u << (32 - prefix);
        c->net[k].base = 0x0a800000u + (uint32_t)(((uint64_t)k * size) % (1u << 23));
        c->net[k].prefix = prefix;
    }
    c->net[p->networks].base = 0xac100000u; /* sim-ext: 172.16.0.0/12 */
    c->net[p->networks].prefix = 12;

    c->nsv = p->servers;
    c->live_servers = p->servers;
    int attached = p->servers / 2 < c->nvol ? p->servers / 2 : c->nvol;
    for (int i = 0; i < c->nsv; i++) {
        struct sim_server *s = &c->sv[i];
        s->hv = i % c->nhv;
        s->project = i % p->projects;
        s->flavor = i % NFLAVORS;
        s->status = i % 25 == 24 ? ST_SHUTOFF : ST_ACTIVE;
        s->created = c->t0 + i / 4;
        s->updated = s->created + 10 + i % 7;
        s->deleted_at = -1;
        s->vol = i < attached ? i : -1;
        s->port_first = c->npt;
        s->nports = p->ports_per_server;
        for (int k = 0; k < s->nports; k++)
            new_port(c, i, i % p->networks, OWN_COMPUTE, s->created);
        usage_add(c, i, 1);
    }
    for (int i = 0; i < c->nhv; i++)
        c->hv[i].generation = 1 + c->hv[i].vms;
    for (int j = 0; j < p->extra_ports; j++)
        new_port(c, -1, j % p->networks, OWN_NONE, c->t0 + j / 4);
    for (int k = 0; k < p->networks; k++)
        new_port(c, -1, k, OWN_ROUTER_IF, c->t0 - 3600);
    new_port(c, -1, p->networks, OWN_ROUTER_GW, c->t0 - 3600);
    for (int i = 0; i < c->nvol; i++) {
        struct sim_vol *v = &c->vol[i];
        v->server = i < attached ? i : -1;
        v->project = v->server >= 0 ? c->sv[i].project : i % p->projects;
        v->size = 10 * (1 + i % 10);
        v->created = c->t0 + i / 4 + 30;
        v->updated = v->created + (v->server >= 0 ? 40 : 5);
        v->attached_at = v->server >= 0 ? v->created + 40 : -1;
    }

    coll_build(c, &c->sv_order, c->nsv, cmp_server);
    coll_build(c, &c->pt_order, c->npt, cmp_port);
    coll_build(c, &c->vol_order, c->nvol, cmp_vol);
    coll_build(c, &c->net_order, c->nnet, cmp_net);
    coll_build(c, &c->fip_order, c->nfip, cmp_fip);
    coll_build(c, &c->sub_order, c->nnet, cmp_subnet);

    for (int i = 0; i < c->nhv; i++)
        map_put(c, K_HV, i);
    for (int i = 0; i < c->nsv; i++)
        map_put(c, K_SERVER, i);
    for (int i = 0; i < c->npt; i++)
        map_put(c, K_PORT, i);
    for (int i = 0; i < c->nvol; i++)
        map_put(c, K_VOL, i);
    for (int i = 0; i < c->nnet; i++) {
        map_put(c, K_NET, i);
        map_put(c, K_SUBNET, i);
    }
    for (int i = 0; i < c->nfip; i++)
        map_put(c, K_FIP, i);
    for (int i = 0; i < p->projects; i++)
        map_put(c, K_PROJECT, i);
    for (int i = 0; i < c->nstack; i++)
        map_put(c, K_STACK, i);
    map_put(c, K_ROUTER, 0);
    return 0;
}

const char *cloud_hv_name(const struct cloud *c, int i)
{
    return c->hv_names[i];
}

void cloud_cleanup(struct cloud *c)
{
    free(c->hv_names);
    free(c->hv);
    free(c->sv);
    free(c->pt);
    free(c->vol);
    free(c->net);
    free(c->sv_order.v);
    free(c->pt_order.v);
    free(c->vol_order.v);
    free(c->net_order.v);
    free(c->fip_order.v);
    free(c->sub_order.v);
    free(c->map);
    memset(c, 0, sizeof(*c));
}

/* ---- changes ---- */

static bool live(const struct cloud *c, int sv)
{
    return sv >= 0 && sv < c->nsv && c->sv[sv].status != ST_DELETED;
}

static void touch_ports_and_volume(struct cloud *c, int sv, int64_t now)
{
    struct sim_server *s = &c->sv[sv];
    for (int k = 0; k < s->nports; k++) {
        struct sim_port *p = &c->pt[s->port_first + k];
        if (!p->deleted) {
            p->updated = now;
            p->revision++;
        }
    }
    if (s->vol >= 0)
        c->vol[s->vol].updated = now;
}

void cloud_migrate(struct cloud *c, int sv, int hv, int64_t now)
{
    if (!live(c, sv) || hv < 0 || hv >= c->nhv || c->sv[sv].hv == hv)
        return;
    usage_add(c, sv, -1);
    c->sv[sv].hv = hv;
    usage_add(c, sv, 1);
    c->sv[sv].updated = now;
    touch_ports_and_volume(c, sv, now);
}

void cloud_set_status(struct cloud *c, int sv, int status, int64_t now)
{
    if (!live(c, sv) || (status != ST_ACTIVE && status != ST_SHUTOFF))
        return;
    c->sv[sv].status = status;
    c->sv[sv].updated = now;
}

void cloud_delete(struct cloud *c, int sv, int64_t now)
{
    if (!live(c, sv))
        return;
    struct sim_server *s = &c->sv[sv];
    usage_add(c, sv, -1);
    s->status = ST_DELETED;
    s->updated = now;
    s->deleted_at = now;
    for (int k = 0; k < s->nports; k++) {
        struct sim_port *p = &c->pt[s->port_first + k];
        p->deleted = 1;
        p->updated = now;
    }
    if (s->vol >= 0) {
        struct sim_vol *v = &c->vol[s->vol];
        v->server = -1;
        v->updated = now;
        v->attached_at = -1;
        s->vol = -1;
    }
    c->live_servers--;
}

int cloud_add_server(struct cloud *c, int hv, int64_t now)
{
    if (hv < 0 || hv >= c->nhv || c->nsv >= (1 << 24))
        return -1;
    if (c->nsv == c->capsv) {
        c->capsv = c->capsv * 2 + 16;
        c->sv = xrealloc(c->sv, (size_t)c->capsv * sizeof(*c->sv));
    }
    int i = c->nsv++;
    struct sim_server *s = &c->sv[i];
    memset(s, 0, sizeof(*s));
    s->hv = hv;
    s->project = i % c->o.projects;
    s->flavor = i % NFLAVORS;
    s->status = ST_ACTIVE;
    s->created = s->updated = now;
    s->deleted_at = -1;
    s->vol = -1;
    s->port_first = c->npt;
    s->nports = 1;
    int p = new_port(c, i, i % c->o.networks, OWN_COMPUTE, now);
    c->pt[p].updated = now;
    usage_add(c, i, 1);
    c->live_servers++;
    coll_insert(c, &c->sv_order, i);
    coll_insert(c, &c->pt_order, p);
    map_put(c, K_SERVER, i);
    map_put(c, K_PORT, p);
    return i;
}

int cloud_churn(struct cloud *c, double fraction, int64_t now)
{
    if (!(fraction > 0) || c->live_servers <= 0)
        return 0;
    if (fraction > 1)
        fraction = 1;
    int want = (int)(c->live_servers * fraction + 0.5);
    if (want <= 0)
        return 0;
    int step = c->live_servers / want;
    if (step < 1)
        step = 1;
    int seen = 0, changed = 0;
    for (int i = 0; i < c->nsv && changed < want; i++) {
        if (!live(c, i))
            continue;
        if (seen++ % step != 0)
            continue;
        if (changed % 2 == 0 || c->nhv < 2)
            cloud_set_status(c, i, c->sv[i].status == ST_ACTIVE ? ST_SHUTOFF : ST_ACTIVE, now);
        else
            cloud_migrate(c, i, (c->sv[i].hv + 1) % c->nhv, now);
        changed++;
    }
    return changed;
}
