/* ossim: Neutron (network v2.0) — networks, subnets, ports, routers and floating IPs, sorted
 * by id and paged by marker (id > marker) with "<collection>_links". Ports filter on repeated
 * device_id (through the servers' port lists, not a scan), id (repeatable), network_id and
 * device_owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "tests/tools/ossim/ossim_int.h"

static const char *const owners[] = {"", "compute:nova", "network:router_interface",
                                     "network:router_gateway"};

static int ext_net(const struct cloud *c)
{
    return c->nnet - 1;
}

static void net_name(const struct cloud *c, int k, char *out, size_t cap)
{
    if (k == ext_net(c))
        snprintf(out, cap, "sim-ext");
    else
        snprintf(out, cap, "sim-net-%d", k);
}

static void project_ids(struct jb *b, int project)
{
    char id[37];
    id_str(K_PROJECT, project, id);
    jb_printf(b, "\"tenant_id\":\"%s\",\"project_id\":\"%s\"", id, id);
}

/* ---- renderers ---- */

static void render_port(struct req *r, int p)
{
    const struct cloud *c = &r->s->c;
    const struct sim_port *pt = &c->pt[p];
    struct jb *b = &r->out;
    char ip[20], mac[20], host[32] = "";
    ip_fmt(pt->ip, ip, sizeof(ip));
    mac_fmt(p, mac, sizeof(mac));
    int project = pt->server >= 0 ? c->sv[pt->server].project : 0;
    const char *status = "DOWN", *vif = "unbound";
    if (pt->server >= 0) {
        snprintf(host, sizeof(host), "%s", cloud_hv_name(c, c->sv[pt->server].hv));
        status = c->sv[pt->server].status == ST_ACTIVE ? "ACTIVE" : "DOWN";
        vif = "ovs";
    } else if (pt->owner != OWN_NONE) {
        snprintf(host, sizeof(host), "sim-controller");
        status = "ACTIVE";
        vif = "ovs";
    }
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_PORT, p);
    if (pt->owner == OWN_NONE)
        jb_printf(b, ",\"name\":\"sim-port-%d\",\"network_id\":", p);
    else
        jb_raw(b, ",\"name\":\"\",\"network_id\":");
    jb_id(b, K_NET, pt->net);
    jb_raw(b, ",");
    project_ids(b, project);
    jb_printf(b, ",\"mac_address\":\"%s\",\"admin_state_up\":true,\"status\":\"%s\",", mac, status);
    jb_raw(b, "\"device_id\":");
    if (pt->server >= 0)
        jb_id(b, K_SERVER, pt->server);
    else if (pt->owner != OWN_NONE)
        jb_id(b, K_ROUTER, 0);
    else
        jb_raw(b, "\"\"");
    jb_printf(b, ",\"device_owner\":\"%s\",\"fixed_ips\":[{\"subnet_id\":", owners[pt->owner]);
    jb_id(b, K_SUBNET, pt->net);
    jb_printf(b,
              ",\"ip_address\":\"%s\"}],\"allowed_address_pairs\":[],\"extra_dhcp_opts\":[],"
              "\"security_groups\":[],\"description\":\"\",\"binding:vnic_type\":\"normal\","
              "\"binding:profile\":{},\"binding:host_id\":\"%s\",\"binding:vif_type\":\"%s\","
              "\"binding:vif_details\":{},\"port_security_enabled\":true,\"tags\":[],"
              "\"created_at\":",
              ip, host, vif);
    jb_time(b, pt->created, T_Z);
    jb_raw(b, ",\"updated_at\":");
    jb_time(b, pt->updated, T_Z);
    jb_printf(b, ",\"revision_number\":%d}", pt->revision);
}

static void render_net(struct req *r, int k)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    bool ext = k == ext_net(c);
    char name[32];
    net_name(c, k, name, sizeof(name));
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_NET, k);
    jb_printf(b, ",\"name\":\"%s\",", name);
    project_ids(b, 0);
    jb_raw(b, ",\"status\":\"ACTIVE\",\"subnets\":[");
    jb_id(b, K_SUBNET, k);
    if (ext)
        jb_raw(b, "],\"shared\":false,\"admin_state_up\":true,\"router:external\":true,"
                  "\"provider:network_type\":\"flat\",\"provider:physical_network\":\"public\","
                  "\"provider:segmentation_id\":null,\"mtu\":1500");
    else
        jb_printf(b,
                  "],\"shared\":false,\"admin_state_up\":true,\"router:external\":false,"
                  "\"provider:network_type\":\"vxlan\",\"provider:physical_network\":null,"
                  "\"provider:segmentation_id\":%d,\"mtu\":1450",
                  1000 + k);
    jb_raw(b, ",\"availability_zones\":[\"nova\"],\"port_security_enabled\":true,"
              "\"description\":\"\",\"tags\":[],\"created_at\":");
    jb_time(b, c->t0 - 7200, T_Z);
    jb_raw(b, ",\"updated_at\":");
    jb_time(b, c->t0 - 7200, T_Z);
    jb_raw(b, ",\"revision_number\":2}");
}

static void render_subnet(struct req *r, int k)
{
    const struct cloud *c = &r->s->c;
    const struct sim_net *n = &c->net[k];
    struct jb *b = &r->out;
    char cidr[24], gw[20], start[20], end[20];
    ip_fmt(n->base, cidr, sizeof(cidr));
    snprintf(cidr + strlen(cidr), sizeof(cidr) - strlen(cidr), "/%d", n->prefix);
    ip_fmt(n->base + 1, gw, sizeof(gw));
    ip_fmt(n->base + 2, start, sizeof(start));
    ip_fmt(n->base + (1u << (32 - n->prefix)) - 2, end, sizeof(end));
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_SUBNET, k);
    if (k == ext_net(c))
        jb_raw(b, ",\"name\":\"sim-ext-subnet\",\"network_id\":");
    else
        jb_printf(b, ",\"name\":\"sim-subnet-%d\",\"network_id\":", k);
    jb_id(b, K_NET, k);
    jb_raw(b, ",");
    project_ids(b, 0);
    jb_printf(b,
              ",\"cidr\":\"%s\",\"ip_version\":4,\"gateway_ip\":\"%s\",\"enable_dhcp\":%s,"
              "\"allocation_pools\":[{\"start\":\"%s\",\"end\":\"%s\"}],\"dns_nameservers\":[],"
              "\"host_routes\":[],\"ipv6_ra_mode\":null,\"ipv6_address_mode\":null,"
              "\"subnetpool_id\":null,\"description\":\"\",\"tags\":[],\"created_at\":",
              cidr, gw, k == ext_net(c) ? "false" : "true", start, end);
    jb_time(b, c->t0 - 7200, T_Z);
    jb_raw(b, ",\"updated_at\":");
    jb_time(b, c->t0 - 7200, T_Z);
    jb_raw(b, ",\"revision_number\":0}");
}

static int gw_port(const struct cloud *c)
{
    /* The router gateway port is the last generated port before any added servers. */
    for (int p = 0; p < c->npt; p++)
        if (c->pt[p].owner == OWN_ROUTER_GW)
            return p;
    return -1;
}

static void render_router(struct req *r, int k)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    char ip[20] = "";
    int gp = gw_port(c);
    if (gp >= 0)
        ip_fmt(c->pt[gp].ip, ip, sizeof(ip));
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_ROUTER, k);
    jb_raw(b, ",\"name\":\"sim-router\",");
    project_ids(b, 0);
    jb_raw(b, ",\"status\":\"ACTIVE\",\"admin_state_up\":true,\"external_gateway_info\":"
              "{\"network_id\":");
    jb_id(b, K_NET, ext_net(c));
    jb_raw(b, ",\"enable_snat\":true,\"external_fixed_ips\":[{\"subnet_id\":");
    jb_id(b, K_SUBNET, ext_net(c));
    jb_printf(b,
              ",\"ip_address\":\"%s\"}]},\"routes\":[],\"distributed\":false,\"ha\":false,"
              "\"availability_zones\":[\"nova\"],\"description\":\"\",\"tags\":[],"
              "\"created_at\":",
              ip);
    jb_time(b, c->t0 - 3600, T_Z);
    jb_raw(b, ",\"updated_at\":");
    jb_time(b, c->t0 - 3600, T_Z);
    jb_raw(b, ",\"revision_number\":3}");
}

static void render_fip(struct req *r, int f)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    int sv = fip_server(f);
    int p = sv < c->nsv ? server_first_port(c, sv) : -1;
    char fip[20], fixed[20];
    ip_fmt(c->net[ext_net(c)].base + 1000 + (uint32_t)f, fip, sizeof(fip));
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_FIP, f);
    jb_printf(b, ",\"floating_ip_address\":\"%s\",\"floating_network_id\":", fip);
    jb_id(b, K_NET, ext_net(c));
    jb_raw(b, ",\"router_id\":");
    if (p >= 0)
        jb_id(b, K_ROUTER, 0);
    else
        jb_raw(b, "null");
    jb_raw(b, ",\"port_id\":");
    if (p >= 0) {
        jb_id(b, K_PORT, p);
        ip_fmt(c->pt[p].ip, fixed, sizeof(fixed));
        jb_printf(b, ",\"fixed_ip_address\":\"%s\",\"status\":\"ACTIVE\",", fixed);
    } else {
        jb_raw(b, "null,\"fixed_ip_address\":null,\"status\":\"DOWN\",");
    }
    project_ids(b, sv < c->nsv ? c->sv[sv].project : 0);
    jb_raw(b, ",\"description\":\"\",\"tags\":[],\"created_at\":");
    int64_t t = sv < c->nsv ? c->sv[sv].created + 20 : c->t0;
    jb_time(b, t, T_Z);
    jb_raw(b, ",\"updated_at\":");
    jb_time(b, p >= 0 ? t : (sv < c->nsv ? c->sv[sv].updated : t), T_Z);
    jb_raw(b, ",\"revision_number\":1}");
}

/* ---- paging ---- */

struct port_filter {
    int net;   /* network index or -1 */
    int owner; /* OWN_* or -1 */
    bool none; /* a filter value matched nothing */
};

static bool port_keep(const struct cloud *c, int p, const struct port_filter *f)
{
    const struct sim_port *pt = &c->pt[p];
    if (pt->deleted)
        return false;
    if (f->net >= 0 && pt->net != f->net)
        return false;
    if (f->owner >= 0 && pt->owner != f->owner)
        return false;
    return true;
}

struct cand {
    struct uuid id;
    int idx;
};

static int cand_cmp(const void *a, const void *b)
{
    return memcmp(((const struct cand *)a)->id.b, ((const struct cand *)b)->id.b, 16);
}

/* Renders one page of the kind's entities listed in v (sorted by id asc). */
static void page(struct req *r,
                 const char *key,
                 int kind,
                 const int *v,
                 int n,
                 const struct port_filter *pf,
                 void (*render)(struct req *, int))
{
    const struct cloud *c = &r->s->c;
    int limit;
    const char *marker;
    if (!req_paging(r, &limit, &marker))
        return;
    int pos = 0;
    if (marker) {
        struct uuid m, x;
        if (!parse_uuid(marker, &m)) {
            req_error(r, 400, "Invalid marker");
            return;
        }
        int lo = 0, hi = n; /* first id > marker */
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            make_uuid(kind, v[mid], &x);
            if (memcmp(x.b, m.b, 16) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        pos = lo;
    }
    struct jb *b = &r->out;
    jb_reserve(b, (size_t)(limit < n ? limit : n) * 1000 + 64);
    jb_printf(b, "{\"%s\":[", key);
    int count = 0, last = -1;
    bool more = false;
    for (; pos < n; pos++) {
        if (pf && !port_keep(c, v[pos], pf))
            continue;
        if (count == limit) {
            more = true;
            break;
        }
        render(r, v[pos]);
        last = v[pos];
        count++;
    }
    jb_raw(b, "]");
    if (more) {
        char id[37];
        id_str(kind, last, id);
        req_next_link(r, key, id);
    }
    jb_raw(b, "}");
}

struct devids {
    const struct cloud *c;
    struct cand *v;
    int n, cap;
    bool any;
};

static void cand_add(struct devids *d, int p)
{
    if (d->n == d->cap) {
        d->cap = d->cap * 2 + 16;
        d->v = realloc(d->v, (size_t)d->cap * sizeof(*d->v));
        if (!d->v)
            abort();
    }
    make_uuid(K_PORT, p, &d->v[d->n].id);
    d->v[d->n].idx = p;
    d->n++;
}

static enum MHD_Result
collect_dev(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct devids *d = cls;
    const struct cloud *c = d->c;
    if (!strcmp(key, "id") && value) { /* ports?id=A&id=B: those ports, when they exist */
        d->any = true;
        int p = cloud_lookup(c, K_PORT, value);
        if (p >= 0 && !c->pt[p].deleted)
            cand_add(d, p);
        return MHD_YES;
    }
    if (strcmp(key, "device_id") != 0 || !value)
        return MHD_YES;
    d->any = true;
    int sv = cloud_lookup(c, K_SERVER, value);
    if (sv >= 0) {
        for (int k = 0; k < c->sv[sv].nports; k++)
            cand_add(d, c->sv[sv].port_first + k);
    } else if (cloud_lookup(c, K_ROUTER, value) == 0) {
        for (int p = 0; p < c->npt; p++)
            if (c->pt[p].server < 0 && c->pt[p].owner != OWN_NONE)
                cand_add(d, p);
    }
    return MHD_YES;
}

static void ports(struct req *r)
{
    const struct cloud *c = &r->s->c;
    struct port_filter f = {-1, -1, false};
    const char *net = req_arg(r, "network_id");
    if (net) {
        f.net = cloud_lookup(c, K_NET, net);
        f.none = f.net < 0;
    }
    const char *owner = req_arg(r, "device_owner");
    if (owner) {
        for (int k = 0; k < 4; k++)
            if (!strcmp(owner, owners[k]))
                f.owner = k;
        f.none |= f.owner < 0;
    }
    struct devids d = {c, NULL, 0, 0, false};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_dev, &d);
    if (f.none) {
        page(r, "ports", K_PORT, NULL, 0, &f, render_port);
    } else if (d.any) {
        qsort(d.v, (size_t)d.n, sizeof(*d.v), cand_cmp);
        int *v = malloc(((size_t)d.n + 1) * sizeof(int));
        if (!v)
            abort();
        int n = 0;
        for (int i = 0; i < d.n; i++)
            if (i == 0 || d.v[i].idx != d.v[i - 1].idx)
                v[n++] = d.v[i].idx;
        page(r, "ports", K_PORT, v, n, &f, render_port);
        free(v);
    } else {
        page(r, "ports", K_PORT, c->pt_order.v, c->pt_order.n, &f, render_port);
    }
    free(d.v);
}

static void one(struct req *r, const char *key, int kind, int n, void (*render)(struct req *, int))
{
    const struct cloud *c = &r->s->c;
    int i = kind == K_ROUTER ? (cloud_lookup(c, K_ROUTER, r->seg[1]) == 0 ? 0 : -1)
                             : cloud_lookup(c, kind, r->seg[1]);
    if (i < 0 || i >= n || (kind == K_PORT && c->pt[i].deleted)) {
        req_error(r, 404, "The resource could not be found.");
        return;
    }
    jb_printf(&r->out, "{\"%s\":", key);
    render(r, i);
    jb_raw(&r->out, "}");
}

void neutron_handle(struct req *r)
{
    const struct cloud *c = &r->s->c;
    static const int router_order[] = {0};
    if (!strcmp(r->method, "GET") && r->nseg == 0) {
        static const char *const colls[] = {"network", "subnet", "port", "router", "floatingip"};
        jb_raw(&r->out, "{\"resources\":[");
        for (int i = 0; i < 5; i++) {
            jb_sep(&r->out);
            jb_printf(&r->out,
                      "{\"name\":\"%s\",\"collection\":\"%ss\",\"links\":[{\"rel\":\"self\","
                      "\"href\":\"%s/network/v2.0/%ss\"}]}",
                      colls[i], colls[i], r->s->base, colls[i]);
        }
        jb_raw(&r->out, "]}");
        return;
    }
    if (strcmp(r->method, "GET") != 0 || r->nseg < 1 || r->nseg > 2) {
        req_error(r, 404, "The resource could not be found.");
        return;
    }
    const char *coll = r->seg[0];
    bool single = r->nseg == 2;
    if (!strcmp(coll, "ports")) {
        if (single)
            one(r, "port", K_PORT, c->npt, render_port);
        else
            ports(r);
    } else if (!strcmp(coll, "networks")) {
        if (single)
            one(r, "network", K_NET, c->nnet, render_net);
        else
            page(r, "networks", K_NET, c->net_order.v, c->net_order.n, NULL, render_net);
    } else if (!strcmp(coll, "subnets")) {
        if (single)
            one(r, "subnet", K_SUBNET, c->nnet, render_subnet);
        else
            page(r, "subnets", K_SUBNET, c->sub_order.v, c->sub_order.n, NULL, render_subnet);
    } else if (!strcmp(coll, "routers")) {
        if (single)
            one(r, "router", K_ROUTER, 1, render_router);
        else
            page(r, "routers", K_ROUTER, router_order, 1, NULL, render_router);
    } else if (!strcmp(coll, "floatingips")) {
        if (single)
            one(r, "floatingip", K_FIP, c->nfip, render_fip);
        else
            page(r, "floatingips", K_FIP, c->fip_order.v, c->fip_order.n, NULL, render_fip);
    } else {
        req_error(r, 404, "The resource could not be found.");
    }
}
