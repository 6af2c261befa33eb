/* OpenStack answers -> change set (see mapping.h). */
#include "importers/openstack/mapping.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/map.h"
#include "model/node.h"

#define ID_MAX 512

struct mapper {
    const struct ls_os_inventory *inv;
    const struct ls_os_map_opts *o;
    const struct ls_snap *snap;
    struct ls_change_set *cs;
    const char *origin;
    json_t *counts;
    struct ls_map put;      /* node ids put by this set */
    struct ls_map edges;    /* edge keys put by this set (incremental: old ones are removed) */
    struct ls_map deleted;  /* node ids deleted by this set */
    json_t *hv_by_name;     /* hypervisor_hostname and service host -> node id */
    json_t *ip_count;       /* host_ip -> how many hypervisors report it */
    json_t *flavors;        /* flavor id -> flavor (old microversions) */
    json_t *provider_by_hv; /* hypervisor id or name -> provider object */
    json_t *aliases_extra;  /* scratch */
    bool full;              /* a full inventory: what is not listed is gone */
    bool defer;             /* a slice or page (struct chunk): edges are checked when merged */
    int rc;
    struct ls_err *err;
};

void ls_os_origin(const char *cloud, char *out, size_t cap)
{
    snprintf(out, cap, "openstack:%s", cloud);
}

/* The length of the longest prefix of s of at most max bytes that does not cut a UTF-8
 * sequence in two (answers are UTF-8; a cut one would not be, and the store refuses it). */
static int utf8_prefix(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    if (s[n] != '\0')
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    return (int)n;
}

void ls_os_node_id(const struct ls_os_map_opts *o,
                   const char *service,
                   const char *type,
                   const char *native,
                   char *out,
                   size_t cap)
{
    int n = o->tag_ids ? snprintf(out, cap, "%s@%s:%s:", service, o->cloud, type)
                       : snprintf(out, cap, "%s:%s:", service, type);
    if (n < 0 || (size_t)n >= cap) { /* a cloud name this long is refused by the config */
        out[0] = '\0';
        return;
    }
    /* an over-long native id is kept cut (at a character), still unique enough */
    snprintf(out + n, cap - (size_t)n, "%.*s", utf8_prefix(native, cap - (size_t)n - 1), native);
}

static const char *js(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A string member, "" when absent. */
static const char *jss(const json_t *obj, const char *key)
{
    const char *s = js(obj, key);
    return s ? s : "";
}

/* obj[key] = a copy of v. What a set keeps is copied, never shared with the answers: a long
 * list's page lives in a region that is reused once the page is mapped (common/json_arena). */
static void set_copy(json_t *obj, const char *key, const json_t *v)
{
    json_object_set_new(obj, key, json_deep_copy(v));
}

/* Copies the listed members of src that are present (null included) into a new object. */
static json_t *pick(const json_t *src, const char *const *keys)
{
    json_t *o = json_object();
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(src, *k);
        if (v)
            set_copy(o, *k, v);
    }
    return o;
}

/* Is `id` a node the set may point an edge at? Put by this set, or alive in the snapshot and
 * neither deleted by this set nor (on a full pass) about to be swept as ours. */
static bool exists(struct mapper *m, const char *id)
{
    if (ls_map_get(&m->put, id))
        return true;
    if (ls_map_get(&m->deleted, id) || !m->snap)
        return false;
    const struct ls_node *n = ls_snap_node(m->snap, id);
    if (!n)
        return false;
    return !m->full || strcmp(n->source, m->origin) != 0;
}

static void count(struct mapper *m, const char *type)
{
    if (!m->counts)
        return;
    json_t *v = json_object_get(m->counts, type);
    if (v)
        json_integer_set(v, json_integer_value(v) + 1);
    else
        json_object_set_new(m->counts, type, json_integer(1));
}

/* Adds a node; attrs stolen. */
static void node(struct mapper *m,
                 const char *id,
                 const char *type,
                 const char *name,
                 const char *state,
                 json_t *attrs)
{
    if (m->rc != LS_OK) {
        json_decref(attrs);
        return;
    }
    m->rc = ls_change_put_node_new(m->cs, id, type, name ? name : "", state ? state : "", attrs,
                                   NULL, m->err);
    if (m->rc == LS_OK) {
        ls_map_put(&m->put, id, (void *)1);
        count(m, type);
    }
}

/* Adds an edge when both ends exist; attrs stolen (NULL = {}). */
static void
edge(struct mapper *m, const char *src, enum ls_edge_type type, const char *dst, json_t *attrs)
{
    if (m->rc != LS_OK || (!m->defer && (!exists(m, src) || !exists(m, dst)))) {
        json_decref(attrs);
        return;
    }
    /* An incremental pass keeps the edges it put (the others are removed); a full one needs
     * no such list, and a repeated edge is one edge to the graph. */
    char key[2 * ID_MAX + 32];
    if (!m->full) {
        ls_edge_key(src, type, dst, key, sizeof(key));
        if (ls_map_get(&m->edges, key)) {
            json_decref(attrs);
            return;
        }
    }
    m->rc = ls_change_put_edge_new(m->cs, src, type, dst, attrs, LS_ESRC_IMPORTED, 1.0, m->err);
    if (m->rc == LS_OK && !m->full)
        ls_map_put(&m->edges, key, (void *)1);
}

static void
id_of(struct mapper *m, char *out, const char *service, const char *type, const char *native)
{
    ls_os_node_id(m->o, service, type, native, out, ID_MAX);
}

/* attrs.aliases: the given names, plus the native id when ids carry the cloud. */
static void set_aliases(struct mapper *m, json_t *attrs, const char *native, json_t *names)
{
    if (m->o->tag_ids && native && *native)
        json_array_append_new(names, json_string(native));
    if (json_array_size(names))
        json_object_set_new(attrs, "aliases", names);
    else
        json_decref(names);
}

/* ---- keystone ---- */

static void map_projects(struct mapper *m)
{
    size_t i;
    json_t *p;
    char id[ID_MAX];
    json_array_foreach(m->inv->projects, i, p)
    {
        const char *pid = js(p, "id");
        if (!pid)
            continue;
        id_of(m, id, "keystone", "project", pid);
        static const char *const keys[] = {"domain_id", "description", "parent_id", "is_domain",
                                           NULL};
        node(m, id, "project", jss(p, "name"),
             json_is_false(json_object_get(p, "enabled")) ? "disabled" : "enabled", pick(p, keys));
    }
}

/* The project edge every owned thing gets. */
static void owned_by(struct mapper *m, const char *id, const json_t *obj)
{
    const char *pid = js(obj, "project_id");
    if (!pid)
        pid = js(obj, "tenant_id");
    if (!pid)
        pid = js(obj, "os-vol-tenant-attr:tenant_id");
    if (!pid)
        pid = js(obj, "project");
    if (!pid || !*pid)
        return;
    char pj[ID_MAX];
    id_of(m, pj, "keystone", "project", pid);
    edge(m, id, LS_EDGE_MEMBER_OF, pj, NULL);
}

/* ---- nova: hypervisors, placement, aggregates, zones ---- */

/* A capacity figure: an integer when it is one that a json_int_t holds exactly, a real when
 * it is finite, else nothing (NULL: json_object_set_new then sets nothing). Placement's numbers
 * are finite, but products of huge ones are not: never cast what does not fit. */
static json_t *figure(double v)
{
    if (v == floor(v) && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return isfinite(v) ? json_real(v) : NULL;
}

/* Per resource class: capacity = (total - reserved) x allocation_ratio, free = capacity -
 * used. Both new objects. */
static void capacity_free(const json_t *inv, const json_t *usages, json_t **cap, json_t **free_)
{
    *cap = json_object();
    *free_ = json_object();
    const char *rc;
    json_t *v;
    json_object_foreach((json_t *)inv, rc, v)
    {
        double total = json_number_value(json_object_get(v, "total"));
        double reserved = json_number_value(json_object_get(v, "reserved"));
        json_t *ratio_v = json_object_get(v, "allocation_ratio");
        double ratio = ratio_v ? json_number_value(ratio_v) : 1.0;
        double c = (total - reserved) * ratio;
        double used = json_number_value(json_object_get(usages, rc));
        json_object_set_new(*cap, rc, figure(c));
        json_object_set_new(*free_, rc, figure(c - used));
    }
}

static void placement_attrs(json_t *attrs, const json_t *rp)
{
    json_object_set_new(attrs, "resource_provider", json_string(jss(rp, "uuid")));
    const json_t *inv = json_object_get(rp, "inventories"), *usages = json_object_get(rp, "usages");
    json_t *cap, *free_;
    capacity_free(inv, usages, &cap, &free_);
    json_object_set_new(attrs, "capacity", cap);
    json_object_set_new(attrs, "free", free_);
    static const char *const keep[][2] = {{"inventories", "inventories"},
                                          {"usages", "usages"},
                                          {"traits", "traits"},
                                          {"aggregates", "placement_aggregates"}};
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        json_t *v = json_object_get(rp, keep[k][0]);
        if (v)
            set_copy(attrs, keep[k][1], v);
    }
}

static void index_providers(struct mapper *m)
{
    size_t i;
    json_t *rp;
    json_array_foreach(m->inv->providers, i, rp)
    {
        /* Root providers only: nested ones (NUMA, PCI) belong to their root's node. */
        const char *parent = js(rp, "parent_provider_uuid");
        if (parent && *parent)
            continue;
        if (js(rp, "uuid"))
            json_object_set(m->provider_by_hv, js(rp, "uuid"), rp);
        if (js(rp, "name") && !json_object_get(m->provider_by_hv, js(rp, "name")))
            json_object_set(m->provider_by_hv, js(rp, "name"), rp);
    }
}

/* A hypervisor's names (hypervisor_hostname, and its service host when another one) -> its
 * node id, into by_name; the id into id (ID_MAX). Returns the hypervisor_hostname (borrowed
 * from h), or NULL: none (not a node). */
static const char *
name_hypervisor(json_t *by_name, const struct ls_os_map_opts *o, const json_t *h, char *id)
{
    const char *name = js(h, "hypervisor_hostname");
    if (!name)
        return NULL;
    const char *host = js(json_object_get(h, "service"), "host");
    ls_os_node_id(o, "nova", "hypervisor", name, id, ID_MAX);
    json_object_set_new(by_name, name, json_string(id));
    if (host && !json_object_get(by_name, host))
        json_object_set_new(by_name, host, json_string(id));
    return name;
}

static void map_hypervisors(struct mapper *m)
{
    size_t i;
    json_t *h;
    char id[ID_MAX];
    json_array_foreach(m->inv->hypervisors, i, h)
    {
        const char *ip = js(h, "host_ip");
        if (ip) {
            json_t *c = json_object_get(m->ip_count, ip);
            json_object_set_new(m->ip_count, ip, json_integer(c ? json_integer_value(c) + 1 : 1));
        }
    }
    json_array_foreach(m->inv->hypervisors, i, h)
    {
        const char *name = name_hypervisor(m->hv_by_name, m->o, h, id);
        if (!name)
            continue;
        const json_t *svc = json_object_get(h, "service");
        const char *host = js(svc, "host");
        static const char *const keys[] = {"hypervisor_hostname",
                                           "host_ip",
                                           "hypervisor_type",
                                           "hypervisor_version",
                                           "status",
                                           "state",
                                           NULL};
        json_t *attrs = pick(h, keys);
        json_t *hid = json_object_get(h, "id");
        set_copy(attrs, "hypervisor_id", hid ? hid : json_null());
        if (host)
            json_object_set_new(attrs, "host", json_string(host));
        if (js(svc, "disabled_reason"))
            set_copy(attrs, "disabled_reason", json_object_get(svc, "disabled_reason"));
        if (json_object_get(h, "vcpus")) { /* before 2.88: nova's own view */
            /* Totals only: the used figures move with every boot and are read from
             * placement's usages, which incremental passes keep current. */
            static const char *const nk[] = {"vcpus", "memory_mb", "local_gb", NULL};
            json_object_set_new(attrs, "nova", pick(h, nk));
        }
        const json_t *rp = json_string_value(hid)
                               ? json_object_get(m->provider_by_hv, json_string_value(hid))
                               : NULL;
        if (!rp)
            rp = json_object_get(m->provider_by_hv, name);
        if (rp)
            placement_attrs(attrs, rp);
        json_t *names = json_array();
        json_array_append_new(names, json_string(name));
        if (host && strcmp(host, name) != 0)
            json_array_append_new(names, json_string(host));
        const char *ip = js(h, "host_ip");
        json_t *ipc = ip ? json_object_get(m->ip_count, ip) : NULL;
        if (ipc && json_integer_value(ipc) == 1)
            json_array_append_new(names, json_string(ip));
        set_aliases(m, attrs, NULL, names);
        const char *status = js(h, "status");
        const char *state = status && !strcmp(status, "disabled") ? "disabled" : js(h, "state");
        node(m, id, "hypervisor", name, state, attrs);
    }
}

/* The hypervisor node id of a host or hypervisor name: this pass's, or the id the name maps
 * to (an incremental pass reads no hypervisors; the edge is kept only if the node exists). */
static const char *hypervisor_of(struct mapper *m, const char *name, char *buf)
{
    if (!name || !*name)
        return NULL;
    const char *id = js(m->hv_by_name, name);
    if (id)
        return id;
    id_of(m, buf, "nova", "hypervisor", name);
    return buf;
}

static void map_aggregates(struct mapper *m)
{
    size_t i, j;
    json_t *a, *h;
    char id[ID_MAX], az[ID_MAX], hbuf[ID_MAX];
    json_array_foreach(m->inv->aggregates, i, a)
    {
        json_t *aid = json_object_get(a, "id");
        char native[64];
        if (json_is_integer(aid))
            snprintf(native, sizeof(native), "%lld", (long long)json_integer_value(aid));
        else if (json_is_string(aid))
            snprintf(native, sizeof(native), "%.*s", utf8_prefix(json_string_value(aid), 60),
                     json_string_value(aid));
        else
            continue;
        id_of(m, id, "nova", "aggregate", native);
        static const char *const keys[] = {"uuid", "availability_zone", "metadata", "hosts", NULL};
        node(m, id, "aggregate", jss(a, "name"), "", pick(a, keys));
        const char *zone = js(a, "availability_zone");
        if (zone) {
            id_of(m, az, "nova", "availability_zone", zone);
            edge(m, id, LS_EDGE_MEMBER_OF, az, NULL);
        }
        json_array_foreach(json_object_get(a, "hosts"), j, h)
        {
            const char *hv = hypervisor_of(m, json_string_value(h), hbuf);
            if (hv)
                edge(m, hv, LS_EDGE_MEMBER_OF, id, NULL);
        }
    }
}

static void map_zones(struct mapper *m)
{
    size_t i;
    json_t *z;
    char id[ID_MAX], hbuf[ID_MAX];
    /* Zones first (aggregates point at them), then membership. */
    json_array_foreach(m->inv->zones, i, z)
    {
        const char *name = js(z, "zoneName");
        if (!name || !strcmp(name, "internal"))
            continue;
        id_of(m, id, "nova", "availability_zone", name);
        bool up = json_is_true(json_object_get(json_object_get(z, "zoneState"), "available"));
        node(m, id, "availability_zone", name, up ? "available" : "unavailable", NULL);
    }
    json_array_foreach(m->inv->zones, i, z)
    {
        const char *name = js(z, "zoneName"), *host;
        if (!name || !strcmp(name, "internal"))
            continue;
        id_of(m, id, "nova", "availability_zone", name);
        json_t *services;
        json_object_foreach(json_object_get(z, "hosts"), host, services)
        {
            if (!json_object_get(services, "nova-compute"))
                continue;
            const char *hv = hypervisor_of(m, host, hbuf);
            if (hv)
                edge(m, hv, LS_EDGE_MEMBER_OF, id, NULL);
        }
    }
}

/* ---- nova: servers ---- */

/* The flavor as one shape whatever the microversion: name, vcpus, ram_mb, disk_gb,
 * ephemeral_gb, swap_mb, extra_specs, id (when known). */
static json_t *flavor_attrs(struct mapper *m, const json_t *f)
{
    const char *fid = js(f, "id");
    if (fid && !json_object_get(f, "vcpus")) {
        const json_t *full = json_object_get(m->flavors, fid);
        if (full)
            f = full;
    }
    json_t *o = json_object();
    const char *name = js(f, "original_name");
    if (!name)
        name = js(f, "name");
    if (name)
        json_object_set_new(o, "name", json_string(name));
    if (fid)
        json_object_set_new(o, "id", json_string(fid));
    static const char *const from[][2] = {{"vcpus", "vcpus"},
                                          {"ram", "ram_mb"},
                                          {"disk", "disk_gb"},
                                          {"ephemeral", "ephemeral_gb"},
                                          {"OS-FLV-EXT-DATA:ephemeral", "ephemeral_gb"},
                                          {"swap", "swap_mb"},
                                          {"extra_specs", "extra_specs"}};
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        json_t *v = json_object_get(f, from[i][0]);
        if (v && !(json_is_string(v) && !strcmp(from[i][0], "swap"))) /* swap "" = none */
            set_copy(o, from[i][1], v);
    }
    if (json_is_string(json_object_get(f, "swap")))
        json_object_set_new(o, "swap_mb", json_integer(0));
    return o;
}

static void map_server(struct mapper *m, const json_t *s)
{
    size_t j;
    json_t *v;
    char id[ID_MAX], hbuf[ID_MAX];
    const char *sid = js(s, "id");
    if (!sid)
        return;
    id_of(m, id, "nova", "instance", sid);
    json_t *attrs = json_object();
    static const char *const map[][2] = {
        {"OS-EXT-STS:vm_state", "vm_state"},
        {"OS-EXT-STS:power_state", "power_state"},
        {"OS-EXT-STS:task_state", "task_state"},
        {"OS-EXT-SRV-ATTR:host", "host"},
        {"OS-EXT-SRV-ATTR:hypervisor_hostname", "hypervisor_hostname"},
        {"OS-EXT-SRV-ATTR:instance_name", "instance_name"},
        {"OS-EXT-AZ:availability_zone", "availability_zone"},
        {"tenant_id", "project_id"},
        {"user_id", "user_id"},
        {"created", "created"},
        {"updated", "updated"},
        {"OS-SRV-USG:launched_at", "launched_at"},
        {"metadata", "metadata"},
        {"locked", "locked"},
    };
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        v = json_object_get(s, map[k][0]);
        if (v)
            set_copy(attrs, map[k][1], v);
    }
    /* The addresses, flat: {"ip": .., "network": .., "type": fixed|floating, "mac": ..};
     * ports carry the rest. */
    json_t *ips = json_array(), *addr;
    const char *netname;
    json_object_foreach(json_object_get(s, "addresses"), netname, v)
    {
        json_array_foreach(v, j, addr)
        {
            json_t *a = json_object();
            json_object_set_new(a, "ip", json_string(jss(addr, "addr")));
            json_object_set_new(a, "network", json_string(netname));
            if (js(addr, "OS-EXT-IPS:type"))
                json_object_set_new(a, "type", json_string(js(addr, "OS-EXT-IPS:type")));
            if (js(addr, "OS-EXT-IPS-MAC:mac_addr"))
                json_object_set_new(a, "mac", json_string(js(addr, "OS-EXT-IPS-MAC:mac_addr")));
            json_array_append_new(ips, a);
        }
    }
    json_object_set_new(attrs, "ips", ips);
    const json_t *img = json_object_get(s, "image");
    if (js(img, "id"))
        json_object_set_new(attrs, "image_id", json_string(js(img, "id")));
    if (json_is_object(json_object_get(s, "flavor")))
        json_object_set_new(attrs, "flavor", flavor_attrs(m, json_object_get(s, "flavor")));
    json_t *vols = json_array();
    json_array_foreach(json_object_get(s, "os-extended-volumes:volumes_attached"), j, v)
    {
        if (js(v, "id"))
            json_array_append_new(vols, json_string(js(v, "id")));
    }
    json_object_set_new(attrs, "volumes_attached", vols);
    json_t *names = json_array();
    const char *inst = js(s, "OS-EXT-SRV-ATTR:instance_name");
    if (inst && *inst)
        json_array_append_new(names, json_string(inst));
    set_aliases(m, attrs, sid, names);
    node(m, id, "instance", jss(s, "name"), jss(s, "status"), attrs);
    const char *hv = hypervisor_of(m, js(s, "OS-EXT-SRV-ATTR:hypervisor_hostname"), hbuf);
    if (!hv)
        hv = hypervisor_of(m, js(s, "OS-EXT-SRV-ATTR:host"), hbuf);
    if (hv && !m->full && !exists(m, hv))
        count(m, "unknown_hypervisor"); /* a host added since the last full pass */
    if (hv)
        edge(m, id, LS_EDGE_RUNS_ON, hv, NULL);
    owned_by(m, id, s);
}

/* flavor id -> flavor, for servers that only name theirs (compute < 2.47) */
static void index_flavors(struct mapper *m)
{
    size_t i;
    json_t *f;
    json_array_foreach(m->inv->flavors, i, f)
    {
        if (js(f, "id"))
            json_object_set(m->flavors, js(f, "id"), f);
    }
}

static void map_servers(struct mapper *m)
{
    size_t i;
    json_t *s;
    json_array_foreach(m->inv->servers, i, s) map_server(m, s);
}

/* ---- neutron ---- */

static void map_networks(struct mapper *m)
{
    size_t i;
    json_t *n;
    char id[ID_MAX], net[ID_MAX];
    json_array_foreach(m->inv->networks, i, n)
    {
        const char *nid = js(n, "id");
        if (!nid)
            continue;
        id_of(m, id, "neutron", "network", nid);
        static const char *const keys[] = {"provider:network_type",
                                           "provider:physical_network",
                                           "provider:segmentation_id",
                                           "mtu",
                                           "shared",
                                           "router:external",
                                           "admin_state_up",
                                           "project_id",
                                           "availability_zones",
                                           NULL};
        node(m, id, "network", jss(n, "name"), jss(n, "status"), pick(n, keys));
        owned_by(m, id, n);
    }
    json_array_foreach(m->inv->subnets, i, n)
    {
        const char *sid = js(n, "id");
        if (!sid)
            continue;
        id_of(m, id, "neutron", "subnet", sid);
        static const char *const keys[] = {"cidr",       "ip_version",    "gateway_ip",
                                           "network_id", "enable_dhcp",   "allocation_pools",
                                           "project_id", "subnetpool_id", NULL};
        const char *name = jss(n, "name");
        node(m, id, "subnet", *name ? name : jss(n, "cidr"), "", pick(n, keys));
        if (js(n, "network_id")) {
            id_of(m, net, "neutron", "network", js(n, "network_id"));
            edge(m, id, LS_EDGE_MEMBER_OF, net, NULL);
        }
    }
}

static void map_routers(struct mapper *m)
{
    size_t i;
    json_t *r;
    char id[ID_MAX], net[ID_MAX];
    json_array_foreach(m->inv->routers, i, r)
    {
        const char *rid = js(r, "id");
        if (!rid)
            continue;
        id_of(m, id, "neutron", "router", rid);
        static const char *const keys[] = {"external_gateway_info", "admin_state_up", "ha",
                                           "distributed",           "project_id",     NULL};
        node(m, id, "router", jss(r, "name"), jss(r, "status"), pick(r, keys));
        owned_by(m, id, r);
        const char *gw = js(json_object_get(r, "external_gateway_info"), "network_id");
        if (gw) {
            id_of(m, net, "neutron", "network", gw);
            edge(m, id, LS_EDGE_CONNECTED_TO, net, json_pack("{s:s}", "role", "gateway"));
        }
    }
}

static void map_port(struct mapper *m, const json_t *p)
{
    char id[ID_MAX], other[ID_MAX], hbuf[ID_MAX];
    const char *pid = js(p, "id");
    if (!pid)
        return;
    id_of(m, id, "neutron", "port", pid);
    static const char *const keys[] = {"mac_address",       "fixed_ips",       "device_id",
                                       "device_owner",      "binding:host_id", "binding:vif_type",
                                       "binding:vnic_type", "network_id",      "admin_state_up",
                                       "project_id",        "security_groups", NULL};
    json_t *attrs = pick(p, keys);
    char tap[16];
    snprintf(tap, sizeof(tap), "tap%.*s", utf8_prefix(pid, 11), pid);
    json_object_set_new(attrs, "tap", json_string(tap));
    json_t *names = json_array();
    if (js(p, "mac_address"))
        json_array_append_new(names, json_string(js(p, "mac_address")));
    json_array_append_new(names, json_string(tap));
    set_aliases(m, attrs, pid, names);
    const char *name = jss(p, "name");
    node(m, id, "port", *name ? name : tap, jss(p, "status"), attrs);
    const char *dev = jss(p, "device_id"), *owner = jss(p, "device_owner");
    bool on_instance = *dev && !strncmp(owner, "compute:", 8);
    if (on_instance) {
        id_of(m, other, "nova", "instance", dev);
        edge(m, id, LS_EDGE_ATTACHED_TO, other, NULL);
    } else if (*dev && !strncmp(owner, "network:router_", 15)) {
        id_of(m, other, "neutron", "router", dev);
        edge(m, id, LS_EDGE_ATTACHED_TO, other, json_pack("{s:s}", "device_owner", owner));
    }
    if (js(p, "network_id")) {
        id_of(m, other, "neutron", "network", js(p, "network_id"));
        edge(m, id, LS_EDGE_MEMBER_OF, other, NULL);
    }
    /* A VM's port reaches its host through the VM (runs_on); other bound ports (router,
     * DHCP, unattached) get their own edge to the host they are bound on. */
    const char *hv = on_instance ? NULL : hypervisor_of(m, js(p, "binding:host_id"), hbuf);
    if (hv)
        edge(m, id, LS_EDGE_CONNECTED_TO, hv, json_pack("{s:s}", "role", "binding"));
    owned_by(m, id, p);
}

static void map_ports(struct mapper *m)
{
    size_t i;
    json_t *p;
    json_array_foreach(m->inv->ports, i, p) map_port(m, p);
}

static void map_floating_ips(struct mapper *m)
{
    size_t i;
    json_t *f;
    char id[ID_MAX], other[ID_MAX];
    json_array_foreach(m->inv->floatingips, i, f)
    {
        const char *fid = js(f, "id");
        if (!fid)
            continue;
        id_of(m, id, "neutron", "floating_ip", fid);
        static const char *const keys[] = {
            "floating_ip_address", "fixed_ip_address", "port_id", "router_id",
            "floating_network_id", "project_id",       NULL};
        json_t *attrs = pick(f, keys);
        json_t *names = json_array();
        if (js(f, "floating_ip_address"))
            json_array_append_new(names, json_string(js(f, "floating_ip_address")));
        set_aliases(m, attrs, fid, names);
        node(m, id, "floating_ip", jss(f, "floating_ip_address"), jss(f, "status"), attrs);
        if (js(f, "port_id")) {
            id_of(m, other, "neutron", "port", js(f, "port_id"));
            edge(m, id, LS_EDGE_ATTACHED_TO, other, NULL);
        }
        if (js(f, "router_id")) {
            id_of(m, other, "neutron", "router", js(f, "router_id"));
            edge(m, id, LS_EDGE_USES, other, NULL);
        }
        if (js(f, "floating_network_id")) {
            id_of(m, other, "neutron", "network", js(f, "floating_network_id"));
            edge(m, id, LS_EDGE_MEMBER_OF, other, NULL);
        }
        owned_by(m, id, f);
    }
}

/* ---- cinder ---- */

/* A volume, after its backend (host@backend#pool) when this set does not have it yet. */
static void map_volume(struct mapper *m, const json_t *v)
{
    size_t j;
    json_t *a;
    char id[ID_MAX], other[ID_MAX];
    const char *backend = js(v, "os-vol-host-attr:host");
    if (backend && *backend) {
        id_of(m, other, "cinder", "volume_backend", backend);
        if (!ls_map_get(&m->put, other)) {
            /* host@backend#pool */
            char be[256];
            snprintf(be, sizeof(be), "%.*s", utf8_prefix(backend, sizeof(be) - 1), backend);
            node(m, other, "volume_backend", be, "", json_pack("{s:s}", "host", backend));
        }
    }
    const char *vid = js(v, "id");
    if (!vid)
        return;
    id_of(m, id, "cinder", "volume", vid);
    json_t *attrs = json_object();
    static const char *const map[][2] = {
        {"size", "size_gb"},
        {"volume_type", "volume_type"},
        {"os-vol-host-attr:host", "backend"},
        {"availability_zone", "availability_zone"},
        {"bootable", "bootable"},
        {"multiattach", "multiattach"},
        {"os-vol-tenant-attr:tenant_id", "project_id"},
        {"encrypted", "encrypted"},
        {"created_at", "created_at"},
        {"updated_at", "updated_at"},
    };
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        json_t *x = json_object_get(v, map[k][0]);
        if (x)
            set_copy(attrs, map[k][1], x);
    }
    json_t *att = json_array();
    json_array_foreach(json_object_get(v, "attachments"), j, a)
    {
        static const char *const keys[] = {"server_id",   "host_name",     "device",
                                           "attached_at", "attachment_id", NULL};
        json_array_append_new(att, pick(a, keys));
    }
    json_object_set_new(attrs, "attachments", att);
    json_t *names = json_array();
    set_aliases(m, attrs, vid, names);
    const char *name = jss(v, "name");
    node(m, id, "volume", *name ? name : vid, jss(v, "status"), attrs);
    json_array_foreach(json_object_get(v, "attachments"), j, a)
    {
        if (!js(a, "server_id"))
            continue;
        id_of(m, other, "nova", "instance", js(a, "server_id"));
        json_t *ea = json_object();
        if (js(a, "device"))
            set_copy(ea, "device", json_object_get(a, "device"));
        edge(m, id, LS_EDGE_ATTACHED_TO, other, ea);
    }
    if (backend && *backend) {
        id_of(m, other, "cinder", "volume_backend", backend);
        edge(m, id, LS_EDGE_RUNS_ON, other, NULL);
    }
    owned_by(m, id, v);
}

static void map_volumes(struct mapper *m)
{
    size_t i;
    json_t *v;
    json_array_foreach(m->inv->volumes, i, v) map_volume(m, v);
}

/* ---- heat ---- */

/* The node a Heat resource made, by resource type. */
static bool resource_target(struct mapper *m, const json_t *r, char *out)
{
    const char *type = jss(r, "resource_type"), *pid = js(r, "physical_resource_id");
    if (!pid || !*pid)
        return false;
    static const char *const map[][3] = {
        {"OS::Nova::Server", "nova", "instance"},
        {"OS::Neutron::Port", "neutron", "port"},
        {"OS::Neutron::Net", "neutron", "network"},
        {"OS::Neutron::Subnet", "neutron", "subnet"},
        {"OS::Neutron::Router", "neutron", "router"},
        {"OS::Neutron::FloatingIP", "neutron", "floating_ip"},
        {"OS::Cinder::Volume", "cinder", "volume"},
        {"OS::Heat::Stack", "heat", "stack"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(type, map[i][0])) {
            id_of(m, out, map[i][1], map[i][2], pid);
            return true;
        }
    id_of(m, out, "heat", "stack", pid); /* a nested template's resource is a stack */
    return exists(m, out);
}

/* The id of the stack a resource belongs to: the last path segment of its "stack" link. */
static const char *resource_stack(const json_t *r, const char *dflt)
{
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(r, "links"), i, l)
    {
        const char *rel = js(l, "rel"), *href = js(l, "href");
        if (rel && href && !strcmp(rel, "stack")) {
            const char *slash = strrchr(href, '/');
            return slash && slash[1] ? slash + 1 : dflt;
        }
    }
    return dflt;
}

static void map_stacks(struct mapper *m)
{
    size_t i, j;
    json_t *st, *r;
    char id[ID_MAX], rid[ID_MAX], target[ID_MAX];
    json_array_foreach(m->inv->stacks, i, st)
    {
        const char *sid = js(st, "id");
        if (!sid)
            continue;
        id_of(m, id, "heat", "stack", sid);
        static const char *const keys[] = {"stack_status_reason",
                                           "creation_time",
                                           "updated_time",
                                           "project",
                                           "parent",
                                           "tags",
                                           NULL};
        node(m, id, "stack", jss(st, "stack_name"), jss(st, "stack_status"), pick(st, keys));
        owned_by(m, id, st);
    }
    json_array_foreach(m->inv->stacks, i, st)
    {
        const char *sid = js(st, "id");
        if (!sid)
            continue;
        id_of(m, id, "heat", "stack", sid);
        json_array_foreach(json_object_get(st, "resources"), j, r)
        {
            const char *name = js(r, "resource_name");
            if (!name)
                continue;
            char native[ID_MAX];
            const char *stack = resource_stack(r, sid);
            snprintf(native, sizeof(native), "%.*s:%.*s", utf8_prefix(stack, 64), stack,
                     utf8_prefix(name, 300), name);
            id_of(m, rid, "heat", "stack_resource", native);
            static const char *const keys[] = {"resource_type",
                                               "physical_resource_id",
                                               "logical_resource_id",
                                               "resource_status_reason",
                                               "updated_time",
                                               "required_by",
                                               NULL};
            node(m, rid, "stack_resource", name, jss(r, "resource_status"), pick(r, keys));
            edge(m, id, LS_EDGE_CONTAINS, rid, NULL);
            if (resource_target(m, r, target))
                edge(m, rid, LS_EDGE_USES, target, NULL);
        }
    }
}

/* ---- incremental extras ---- */

static void map_deletions(struct mapper *m)
{
    size_t i;
    json_t *x;
    char id[ID_MAX];
    json_array_foreach(m->inv->deleted_servers, i, x)
    {
        if (!json_is_string(x))
            continue;
        id_of(m, id, "nova", "instance", json_string_value(x));
        if (m->snap && ls_snap_node(m->snap, id)) {
            ls_change_del_node(m->cs, id);
            ls_map_put(&m->deleted, id, (void *)1);
        }
    }
    json_array_foreach(m->inv->missing_ports, i, x)
    {
        if (!json_is_string(x))
            continue;
        id_of(m, id, "neutron", "port", json_string_value(x));
        if (m->snap && ls_snap_node(m->snap, id)) {
            ls_change_del_node(m->cs, id);
            ls_map_put(&m->deleted, id, (void *)1);
        }
    }
}

static bool del_resource(const struct ls_edge *e, void *arg)
{
    struct mapper *m = arg;
    if (e->type == LS_EDGE_CONTAINS && !strcmp(e->owner, m->origin)) {
        ls_change_del_node(m->cs, e->dst);
        ls_map_put(&m->deleted, e->dst, (void *)1);
    }
    return true;
}

/* Stacks an event named that are no longer listed: the stack and its resources go. */
static void map_deleted_stacks(struct mapper *m)
{
    size_t i;
    json_t *x;
    char id[ID_MAX];
    json_array_foreach(m->inv->missing_stacks, i, x)
    {
        if (!json_is_string(x))
            continue;
        id_of(m, id, "heat", "stack", json_string_value(x));
        if (!m->snap || !ls_snap_node(m->snap, id))
            continue;
        struct ls_err e;
        if (ls_snap_node_edges(m->snap, id, LS_DIR_OUT, LS_EDGE_CONTAINS, del_resource, m, &e) !=
            LS_OK)
            continue;
        ls_change_del_node(m->cs, id);
        ls_map_put(&m->deleted, id, (void *)1);
    }
}

/* Usages of the providers an incremental pass re-read: a patch of the hypervisor's usages and
 * free figures (capacity from the node). */
static void map_usages(struct mapper *m)
{
    size_t i;
    json_t *rp;
    json_array_foreach(m->inv->providers, i, rp)
    {
        const char *hv = js(rp, "hypervisor");
        const json_t *usages = json_object_get(rp, "usages");
        const struct ls_node *n = hv && m->snap ? ls_snap_node(m->snap, hv) : NULL;
        if (!n || !usages || m->rc != LS_OK)
            continue;
        json_t *cap, *free_;
        capacity_free(json_object_get(n->attrs, "inventories"), usages, &cap, &free_);
        json_decref(cap);
        json_t *patch = json_pack("{s:O,s:o}", "usages", usages, "free", free_);
        m->rc = ls_change_patch_node_new(m->cs, hv, NULL, NULL, patch, m->err);
    }
}

static bool drop_stale(const struct ls_edge *e, void *arg)
{
    struct mapper *m = arg;
    if (strcmp(e->owner, m->origin) != 0)
        return true;
    char key[2 * ID_MAX + 32];
    ls_edge_key(e->src, e->type, e->dst, key, sizeof(key));
    if (!ls_map_get(&m->edges, key))
        ls_change_del_edge(m->cs, e->src, e->type, e->dst);
    return true;
}

/* Incremental: every node put gets exactly the out-edges this pass gave it. */
static void drop_stale_edges(struct mapper *m)
{
    size_t n = ls_change_set_count(m->cs);
    for (size_t i = 0; i < n && m->rc == LS_OK; i++) {
        const struct ls_change *c = ls_change_set_at(m->cs, i);
        if (c->kind != LS_CH_NODE_PUT || !ls_snap_node(m->snap, c->id))
            continue;
        struct ls_err e;
        if (ls_snap_node_edges(m->snap, c->id, LS_DIR_OUT, -1, drop_stale, m, &e) != LS_OK)
            continue; /* the node is new: no old edges */
    }
}

static void mapper_init(struct mapper *m,
                        const struct ls_os_map_opts *o,
                        struct ls_change_set *cs,
                        struct ls_err *err)
{
    memset(m, 0, sizeof(*m));
    m->o = o;
    m->cs = cs;
    m->origin = ls_change_set_origin(cs);
    m->hv_by_name = json_object();
    m->ip_count = json_object();
    m->flavors = json_object();
    m->provider_by_hv = json_object();
    m->rc = LS_OK;
    m->err = err;
    ls_map_init(&m->put);
    ls_map_init(&m->edges);
    ls_map_init(&m->deleted);
}

static void mapper_cleanup(struct mapper *m)
{
    ls_map_cleanup(&m->put);
    ls_map_cleanup(&m->edges);
    ls_map_cleanup(&m->deleted);
    json_decref(m->hv_by_name);
    json_decref(m->ip_count);
    json_decref(m->flavors);
    json_decref(m->provider_by_hv);
}

/* ---- the long lists of a full pass, on several threads ---- */

#define CHUNK       1000 /* items per job */
#define MAP_THREADS 4    /* at most; no more than the machine's processors */

/* A slice of servers, ports or volumes mapped into a set of its own: node puts and edges whose
 * ends are checked when the slices are merged (in order) into the pass's set. */
struct chunk {
    const json_t *items; /* borrowed while it is mapped */
    size_t from, n;
    void (*fn)(struct mapper *, const json_t *);
    struct ls_change_set *cs;
    int rc;
    struct ls_err err;
    enum ls_os_long_list list; /* a page's place in the pass (the pager) */
    size_t seq;
};

static void (*const long_list_fn[LS_OS_LONG_LISTS])(struct mapper *, const json_t *) = {
    [LS_OS_SERVERS] = map_server, [LS_OS_PORTS] = map_port, [LS_OS_VOLUMES] = map_volume};

/* Appends c to a growing array of chunks. */
static void push_chunk(struct chunk **arr, size_t *n, size_t *cap, struct chunk c)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *arr = ls_xrealloc(*arr, *cap * sizeof(**arr));
    }
    (*arr)[(*n)++] = c;
}

struct chunk_run {
    const struct mapper *m; /* the pass's mapper: options, hypervisor names, flavors (read) */
    struct chunk *jobs;
    size_t n;
    atomic_size_t next;
};

/* hv_by_name and flavors (may be NULL: none): what the pass mapped already, shared read-only
 * (lookups do not change an object) */
static void
map_chunk(const struct ls_os_map_opts *o, json_t *hv_by_name, json_t *flavors, struct chunk *c)
{
    struct mapper m;
    ls_err_clear(&c->err);
    mapper_init(&m, o, c->cs, &c->err);
    m.full = m.defer = true;
    json_decref(m.hv_by_name);
    json_decref(m.flavors);
    m.hv_by_name = json_incref(hv_by_name);
    m.flavors = json_incref(flavors);
    for (size_t i = c->from; i < c->from + c->n && m.rc == LS_OK; i++)
        c->fn(&m, json_array_get(c->items, i));
    c->rc = m.rc;
    mapper_cleanup(&m);
}

static void *chunk_worker(void *arg)
{
    struct chunk_run *run = arg;
    for (size_t i; (i = atomic_fetch_add(&run->next, 1)) < run->n;)
        map_chunk(run->m->o, run->m->hv_by_name, run->m->flavors, &run->jobs[i]);
    return NULL;
}

/* The chunks into the set: every node first (an edge may point at a later chunk's node), then
 * the edges whose ends exist. */
static void merge_chunks(struct mapper *m, struct chunk *jobs, size_t n)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < n; j++) {
            struct ls_change_set *cs = jobs[j].cs;
            for (size_t i = 0; i < ls_change_set_count(cs); i++) {
                struct ls_change *c = ls_change_set_at(cs, i);
                bool added = false;
                if (pass == 0 && c->kind == LS_CH_NODE_PUT)
                    ls_map_upsert(&m->put, c->id, &added)->value = (void *)1;
                if (added) {
                    count(m, c->type);
                    ls_change_set_move(m->cs, cs, i);
                } else if (pass == 1 && c->kind == LS_CH_EDGE_PUT && exists(m, c->src) &&
                           exists(m, c->dst)) {
                    ls_change_set_move(m->cs, cs, i);
                }
            }
        }
    }
}

/* Servers, ports and volumes of a full pass (most of a cloud): mapped in slices on up to
 * MAP_THREADS threads, after the hypervisors (their names) and flavors, then merged. */
static void map_long_lists(struct mapper *m)
{
    const json_t *lists[LS_OS_LONG_LISTS] = {
        [LS_OS_SERVERS] = m->inv->servers,
        [LS_OS_PORTS] = m->inv->ports,
        [LS_OS_VOLUMES] = m->inv->volumes,
    };
    size_t n = 0, cap = 0;
    struct chunk *jobs = NULL;
    for (size_t l = 0; l < LS_OS_LONG_LISTS; l++) {
        size_t size = json_array_size(lists[l]);
        for (size_t from = 0; from < size; from += CHUNK)
            push_chunk(&jobs, &n, &cap,
                       (struct chunk){.items = lists[l],
                                      .from = from,
                                      .n = size - from < CHUNK ? size - from : CHUNK,
                                      .fn = long_list_fn[l],
                                      .cs = ls_change_set_new(m->origin)});
    }
    struct chunk_run run = {.m = m, .jobs = jobs, .n = n};
    atomic_init(&run.next, 0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = cpus > 1 ? (size_t)cpus : 1;
    if (threads > MAP_THREADS)
        threads = MAP_THREADS;
    if (threads > n)
        threads = n;
    pthread_t th[MAP_THREADS];
    size_t started = 0;
    for (size_t i = 1; i < threads; i++) /* this thread is one of them */
        if (pthread_create(&th[started], NULL, chunk_worker, &run) == 0)
            started++;
    chunk_worker(&run);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t j = 0; j < n && m->rc == LS_OK; j++)
        if (jobs[j].rc != LS_OK) {
            m->rc = jobs[j].rc;
            *m->err = jobs[j].err;
        }
    if (m->rc == LS_OK)
        merge_chunks(m, jobs, n);
    for (size_t j = 0; j < n; j++)
        ls_change_set_free(jobs[j].cs);
    free(jobs);
}

/* ---- the long lists of a full pass, mapped page by page while they are read ---- */

struct ls_os_pager {
    const struct ls_os_map_opts *o;
    char *origin;
    json_t *hv_by_name; /* (no flavor list: a paged pass's servers carry their flavor) */
    pthread_mutex_t lock;
    struct chunk *pages; /* mapped, in the order they came (under lock) */
    size_t n, cap;
};

struct ls_os_pager *ls_os_pager_new(const struct ls_os_map_opts *o)
{
    struct ls_os_pager *pg = ls_xcalloc(1, sizeof(*pg));
    char origin[256];
    ls_os_origin(o->cloud, origin, sizeof(origin));
    pg->o = o;
    pg->origin = ls_xstrdup(origin);
    pg->hv_by_name = json_object();
    pthread_mutex_init(&pg->lock, NULL);
    return pg;
}

void ls_os_pager_free(struct ls_os_pager *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->n; i++)
        ls_change_set_free(pg->pages[i].cs);
    free(pg->pages);
    json_decref(pg->hv_by_name);
    pthread_mutex_destroy(&pg->lock);
    free(pg->origin);
    free(pg);
}

static void pager_hypervisors(void *arg, const json_t *hypervisors)
{
    struct ls_os_pager *pg = arg;
    size_t i;
    json_t *h;
    char id[ID_MAX];
    json_array_foreach(hypervisors, i, h) name_hypervisor(pg->hv_by_name, pg->o, h, id);
}

static int pager_page(
    void *arg, enum ls_os_long_list list, size_t seq, const json_t *items, struct ls_err *err)
{
    struct ls_os_pager *pg = arg;
    struct chunk c = {.items = items,
                      .n = json_array_size(items),
                      .fn = long_list_fn[list],
                      .cs = ls_change_set_new(pg->origin),
                      .list = list,
                      .seq = seq};
    map_chunk(pg->o, pg->hv_by_name, NULL, &c);
    c.items = NULL;
    if (c.rc != LS_OK) {
        *err = c.err;
        ls_change_set_free(c.cs);
        return c.rc;
    }
    pthread_mutex_lock(&pg->lock);
    push_chunk(&pg->pages, &pg->n, &pg->cap, c);
    pthread_mutex_unlock(&pg->lock);
    return LS_OK;
}

void ls_os_pager_sink(struct ls_os_pager *pg, struct ls_os_page_sink *out)
{
    *out =
        (struct ls_os_page_sink){.hypervisors = pager_hypervisors, .page = pager_page, .arg = pg};
}

static int page_order(const void *a, const void *b)
{
    const struct chunk *x = a, *y = b;
    if (x->list != y->list)
        return x->list < y->list ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int ls_os_map(const struct ls_os_inventory *inv,
              const struct ls_os_map_opts *o,
              const struct ls_snap *snap,
              struct ls_change_set *cs,
              json_t *counts,
              struct ls_err *err)
{
    return ls_os_map_paged(inv, NULL, o, snap, cs, counts, err);
}

/* A full pass replaces what the cloud owns, except what it could not read at all: the nodes
 * of a service the catalog left out (and their edges) stay as they were. */
static void keep_unread(struct mapper *m)
{
    static const struct {
        unsigned bit;
        const char *service;
    } svc[] = {{LS_OS_UNREAD_IDENTITY, "keystone"},
               {LS_OS_UNREAD_NETWORK, "neutron"},
               {LS_OS_UNREAD_VOLUME, "cinder"},
               {LS_OS_UNREAD_HEAT, "heat"}};
    for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]) && m->rc == LS_OK; i++)
        if (m->inv->unread & svc[i].bit) {
            char prefix[ID_MAX]; /* "<service>:", or "<service>@<cloud>:" */
            if (m->o->tag_ids)
                snprintf(prefix, sizeof(prefix), "%s@%s:", svc[i].service, m->o->cloud);
            else
                snprintf(prefix, sizeof(prefix), "%s:", svc[i].service);
            m->rc = ls_change_set_keep(m->cs, prefix, m->err);
        }
}

int ls_os_map_paged(const struct ls_os_inventory *inv,
                    struct ls_os_pager *pager,
                    const struct ls_os_map_opts *o,
                    const struct ls_snap *snap,
                    struct ls_change_set *cs,
                    json_t *counts,
                    struct ls_err *err)
{
    struct mapper m;
    mapper_init(&m, o, cs, err);
    m.inv = inv;
    m.snap = snap;
    m.counts = counts;
    m.full = inv->full;
    if (inv->full) {
        ls_change_set_set_replace(cs, true);
        keep_unread(&m);
    } else {
        map_deletions(&m);
        map_deleted_stacks(&m);
    }
    index_providers(&m);
    map_projects(&m);
    map_hypervisors(&m);
    map_zones(&m);
    map_aggregates(&m);
    map_networks(&m);
    map_routers(&m);
    index_flavors(&m);
    if (inv->full && pager) { /* in the order a single list would have had */
        qsort(pager->pages, pager->n, sizeof(*pager->pages), page_order);
        if (m.rc == LS_OK)
            merge_chunks(&m, pager->pages, pager->n);
    } else if (inv->full) {
        map_long_lists(&m);
    } else {
        map_servers(&m);
        map_ports(&m);
        map_volumes(&m);
    }
    map_floating_ips(&m);
    map_stacks(&m);
    if (!inv->full) {
        map_usages(&m);
        if (snap)
            drop_stale_edges(&m);
    }
    int rc = m.rc;
    mapper_cleanup(&m);
    return rc;
}

/* ---- the incremental pass's question to the graph ---- */

struct touch_walk {
    const struct ls_os_map_opts *o;
    const struct ls_snap *snap;
    json_t *providers, *port_ids, *seen;
};

static void add_provider_of(struct touch_walk *w, const char *hv_id)
{
    const struct ls_node *hv = ls_snap_node(w->snap, hv_id);
    const char *uuid = hv ? js(hv->attrs, "resource_provider") : NULL;
    if (!uuid || json_object_get(w->seen, uuid))
        return;
    json_object_set_new(w->seen, uuid, json_true());
    json_array_append_new(w->providers, json_pack("{s:s,s:s}", "uuid", uuid, "hypervisor", hv_id));
}

static bool touch_edge(const struct ls_edge *e, void *arg)
{
    struct touch_walk *w = arg;
    if (e->type == LS_EDGE_RUNS_ON) {
        add_provider_of(w, e->dst);
    } else if (e->type == LS_EDGE_ATTACHED_TO) {
        const struct ls_node *p = ls_snap_node(w->snap, e->src);
        if (p && !strcmp(p->type, "port")) {
            const char *native = strrchr(e->src, ':');
            if (native)
                json_array_append_new(w->port_ids, json_string(native + 1));
        }
    }
    return true;
}

void ls_os_touched(const json_t *servers, json_t *providers, json_t *port_ids, void *arg)
{
    struct ls_os_touch *t = arg;
    struct touch_walk w = {t->o, t->snap, providers, port_ids, json_object()};
    size_t i;
    json_t *s;
    char id[ID_MAX];
    json_array_foreach(servers, i, s)
    {
        const char *sid = js(s, "id");
        if (!sid)
            continue;
        const char *hvn = js(s, "OS-EXT-SRV-ATTR:hypervisor_hostname");
        if (hvn && *hvn) {
            ls_os_node_id(t->o, "nova", "hypervisor", hvn, id, sizeof(id));
            add_provider_of(&w, id);
        }
        ls_os_node_id(t->o, "nova", "instance", sid, id, sizeof(id));
        struct ls_err e;
        if (ls_snap_node_edges(t->snap, id, LS_DIR_BOTH, -1, touch_edge, &w, &e) != LS_OK)
            continue; /* a server the graph does not have yet */
    }
    json_decref(w.seen);
}
