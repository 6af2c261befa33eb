/* Generates the demo data center. Ids follow the importers' conventions (DESIGN.md) so the
 * demo looks exactly like a discovered landscape; every node's source is "demo". */
#include "importers/demo/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct gen {
    unsigned long long rng;
    struct ls_err *err;
    int rc;
};

static unsigned long long rnd(struct gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static int pick(struct gen *g, int n)
{
    return (int)(rnd(g) % (unsigned)n);
}

/* A deterministic version-4-shaped UUID. */
static void uuid(struct gen *g, char out[37])
{
    unsigned long long a = rnd(g), b = rnd(g);
    snprintf(out, 37, "%08llx-%04llx-4%03llx-%04llx-%012llx", a >> 32, (a >> 16) & 0xffff,
             a & 0xfff, 0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffULL);
}

/* Adds a node; attrs stolen. Records the first error and ignores later calls. */
static void node(struct gen *g,
                 struct ls_change_set *cs,
                 const char *id,
                 const char *type,
                 const char *name,
                 const char *state,
                 json_t *attrs)
{
    if (g->rc != LS_OK) {
        json_decref(attrs);
        return;
    }
    g->rc = ls_change_put_node_new(cs, id, type, name, state, attrs, NULL, g->err);
}

static void
edge(struct gen *g, struct ls_change_set *cs, const char *src, enum ls_edge_type t, const char *dst)
{
    if (g->rc == LS_OK)
        g->rc = ls_change_put_edge_new(cs, src, t, dst, NULL, LS_ESRC_IMPORTED, 1.0, g->err);
}

void ls_demo_opts_init(struct ls_demo_opts *o)
{
    o->seed = 42;
    o->racks = 4;
    o->machines = 8;
    o->instances = 300;
    o->stacks = 4;
    o->physical_only = false;
}

/* The demo machine names, in order: "cmp-r01-01", ... (scripts/demo-serve.sh names the
 * simulated hypervisors the same way). */
static void machine_name(const struct ls_demo_opts *o, int i, char *out, size_t cap)
{
    int per = o->machines > 0 ? o->machines : 1;
    snprintf(out, cap, "cmp-r%02d-%02d", i / per + 1, i % per + 1);
}

static const struct {
    const char *name;
    int vcpus, ram_mb, disk_gb;
} flavors[] = {
    {"m1.small", 1, 2048, 20},
    {"m1.medium", 2, 4096, 40},
    {"m1.large", 4, 8192, 80},
    {"c1.xlarge", 8, 16384, 160},
};

static const char *const apps[] = {"shop", "payments", "search", "analytics", "auth", "media"};

struct host {
    char name[32];
};

/* Racks, switches, machines with their parts. */
static void
physical(struct gen *g, struct ls_change_set *cs, const struct ls_demo_opts *o, struct host *hosts)
{
    char id[256], id2[256], name[64];
    node(g, cs, "demo:site:dc1", "site", "dc1", "active", json_pack("{s:s}", "city", "Lisbon"));
    /* a switch's host name is its alias: its pollers' telemetry names it so */
    node(g, cs, "lldp:switch:spine-1", "switch", "spine-1", "up",
         json_pack("{s:s,s:i,s:[s]}", "role", "spine", "ports", 64, "aliases", "spine-1"));
    edge(g, cs, "demo:site:dc1", LS_EDGE_CONTAINS, "lldp:switch:spine-1");
    int h = 0;
    for (int r = 1; r <= o->racks; r++) {
        char rack[64], tor[64];
        snprintf(rack, sizeof(rack), "manual:rack:r%02d", r);
        snprintf(name, sizeof(name), "r%02d", r);
        node(g, cs, rack, "rack", name, "active",
             json_pack("{s:s,s:i,s:s}", "row", r <= 2 ? "A" : "B", "units", 42, "pdu",
                       r % 2 ? "pdu-a" : "pdu-b"));
        edge(g, cs, "demo:site:dc1", LS_EDGE_CONTAINS, rack);
        snprintf(tor, sizeof(tor), "lldp:switch:tor-r%02d", r);
        snprintf(name, sizeof(name), "tor-r%02d", r);
        node(g, cs, tor, "switch", name, "up",
             json_pack("{s:s,s:i,s:s,s:[s]}", "role", "tor", "ports", 48, "model", "7050SX3",
                       "aliases", name));
        edge(g, cs, rack, LS_EDGE_CONTAINS, tor);
        edge(g, cs, tor, LS_EDGE_CONNECTED_TO, "lldp:switch:spine-1");
        for (int m = 1; m <= o->machines; m++, h++) {
            struct host *hs = &hosts[h];
            machine_name(o, h, hs->name, sizeof(hs->name));
            char mach[96], fqdn[96];
            snprintf(mach, sizeof(mach), "host:machine:%s", hs->name);
            snprintf(fqdn, sizeof(fqdn), "%s.dc1.example.net", hs->name);
            int cores = 16 + 8 * pick(g, 3);
            node(g, cs, mach, "machine", hs->name, "up",
                 json_pack("{s:s,s:s,s:i,s:i,s:i,s:s,s:[s,s]}", "vendor", "Dell", "model",
                           "PowerEdge R650", "sockets", 2, "cores", cores * 2, "memory_gb",
                           256 << pick(g, 2), "rack_unit", "U", "aliases", hs->name, fqdn));
            edge(g, cs, rack, LS_EDGE_CONTAINS, mach);
            for (int s = 0; s < 2; s++) {
                snprintf(id, sizeof(id), "host:socket:%s:%d", hs->name, s);
                snprintf(name, sizeof(name), "socket %d", s);
                node(g, cs, id, "socket", name, "up",
                     json_pack("{s:s,s:i,s:i}", "cpu_model", "Xeon Gold 6338", "cores", cores,
                               "threads", cores * 2));
                edge(g, cs, mach, LS_EDGE_CONTAINS, id);
                snprintf(id2, sizeof(id2), "host:numa_node:%s:%d", hs->name, s);
                snprintf(name, sizeof(name), "numa %d", s);
                node(g, cs, id2, "numa_node", name, "up", json_pack("{s:i}", "memory_gb", 128));
                edge(g, cs, id, LS_EDGE_CONTAINS, id2);
                for (int c = 0; c < 4; c++) { /* a few cores shown; the rest summarised */
                    char core[160];
                    snprintf(core, sizeof(core), "host:core:%s:%d", hs->name, s * cores + c);
                    snprintf(name, sizeof(name), "core %d", s * cores + c);
                    node(g, cs, core, "core", name, "up", json_pack("{s:i}", "pus", 2));
                    edge(g, cs, id2, LS_EDGE_CONTAINS, core);
                }
            }
            for (int n = 0; n < 2; n++) {
                char mac[32];
                snprintf(id, sizeof(id), "host:nic:%s:0000:%02x:00.%d", hs->name, 0x3b, n);
                snprintf(mac, sizeof(mac), "b8:ce:f6:%02x:%02x:%02x", r, m, n);
                snprintf(name, sizeof(name), "ens%df%d", 3, n);
                node(g, cs, id, "nic", name, "up",
                     json_pack("{s:s,s:i,s:i,s:i,s:[s]}", "mac", mac, "speed_mbps", 25000,
                               "sriov_total_vfs", 64, "sriov_enabled_vfs", n == 0 ? 8 : 0,
                               "aliases", mac));
                edge(g, cs, mach, LS_EDGE_CONTAINS, id);
                edge(g, cs, id, LS_EDGE_CONNECTED_TO, tor);
            }
            for (int d = 0; d < 2; d++) {
                snprintf(id, sizeof(id), "host:disk:%s:nvme%dn1", hs->name, d);
                snprintf(name, sizeof(name), "nvme%dn1", d);
                node(g, cs, id, "disk", name, "up",
                     json_pack("{s:s,s:i}", "kind", "nvme", "size_gb", 3840));
                edge(g, cs, mach, LS_EDGE_CONTAINS, id);
            }
        }
    }
}

/* Hypervisors, projects, networks, instances with ports and volumes. Instance ids go into
 * inst (n entries of 37 chars) for the service layer. */
static void virtual_layer(struct gen *g,
                          struct ls_change_set *cs,
                          const struct ls_demo_opts *o,
                          const struct host *hosts,
                          int n_hosts,
                          char (*inst)[37],
                          char (*proj)[33],
                          char (*nets)[37])
{
    char id[256], id2[256], name[96];
    node(g, cs, "nova:availability_zone:az1", "availability_zone", "az1", "available", NULL);
    node(g, cs, "nova:availability_zone:az2", "availability_zone", "az2", "available", NULL);
    node(g, cs, "nova:aggregate:1", "aggregate", "gpu-hosts", "",
         json_pack("{s:{s:s}}", "metadata", "gpu", "true"));
    for (int h = 0; h < n_hosts; h++) {
        char hyp[96];
        snprintf(hyp, sizeof(hyp), "nova:hypervisor:%s.dc1.example.net", hosts[h].name);
        snprintf(name, sizeof(name), "%s.dc1.example.net", hosts[h].name);
        node(g, cs, hyp, "hypervisor", name, "up",
             json_pack("{s:s,s:s,s:{s:i,s:i,s:i},s:[s,s]}", "service_host", hosts[h].name,
                       "hypervisor_type", "QEMU", "capacity", "VCPU", 128, "MEMORY_MB", 262144,
                       "DISK_GB", 3500, "aliases", hosts[h].name, name));
        snprintf(id, sizeof(id), "host:machine:%s", hosts[h].name);
        edge(g, cs, hyp, LS_EDGE_RUNS_ON, id);
        edge(g, cs, hyp, LS_EDGE_MEMBER_OF,
             h < n_hosts / 2 ? "nova:availability_zone:az1" : "nova:availability_zone:az2");
        if (h % 8 == 7)
            edge(g, cs, hyp, LS_EDGE_MEMBER_OF, "nova:aggregate:1");
    }
    for (int p = 0; p < 6; p++) {
        unsigned long long a = rnd(g), b = rnd(g);
        snprintf(proj[p], 33, "%016llx%016llx", a, b);
        snprintf(id, sizeof(id), "keystone:project:%.32s", proj[p]);
        node(g, cs, id, "project", apps[p], "enabled", json_pack("{s:s}", "domain_id", "default"));
    }
    for (int n = 0; n < 6; n++) {
        uuid(g, nets[n]);
        snprintf(id, sizeof(id), "neutron:network:%.36s", nets[n]);
        snprintf(name, sizeof(name), "%s-net", apps[n]);
        node(g, cs, id, "network", name, "ACTIVE",
             json_pack("{s:s,s:i,s:i}", "provider:network_type", "vxlan",
                       "provider:segmentation_id", 1000 + n, "mtu", 1450));
        snprintf(id2, sizeof(id2), "keystone:project:%.32s", proj[n]);
        edge(g, cs, id, LS_EDGE_MEMBER_OF, id2);
        char sub[37], cidr[32];
        uuid(g, sub);
        snprintf(id2, sizeof(id2), "neutron:subnet:%s", sub);
        snprintf(cidr, sizeof(cidr), "10.%d.0.0/16", 10 + n);
        node(g, cs, id2, "subnet", cidr, "", json_pack("{s:s,s:i}", "cidr", cidr, "ip_version", 4));
        edge(g, cs, id2, LS_EDGE_MEMBER_OF, id);
    }
    for (int i = 0; i < o->instances; i++) {
        uuid(g, inst[i]);
        int app = i % 6, h = pick(g, n_hosts - n_hosts / 8) + 0, f = pick(g, 4);
        const char *state = pick(g, 20) == 0 ? "SHUTOFF" : "ACTIVE";
        char iid[96], libvirt[32], hyp[96];
        snprintf(iid, sizeof(iid), "nova:instance:%s", inst[i]);
        snprintf(libvirt, sizeof(libvirt), "instance-%08x", 0xa000 + i);
        snprintf(name, sizeof(name), "%s-%s-%02d", apps[app], i % 3 ? "app" : "web", i / 6);
        node(g, cs, iid, "instance", name, state,
             json_pack("{s:{s:s,s:i,s:i,s:i},s:s,s:s,s:s,s:[s]}", "flavor", "name", flavors[f].name,
                       "vcpus", flavors[f].vcpus, "ram_mb", flavors[f].ram_mb, "disk_gb",
                       flavors[f].disk_gb, "image", "ubuntu-24.04", "project_id", proj[app],
                       "instance_name", libvirt, "aliases", libvirt));
        snprintf(hyp, sizeof(hyp), "nova:hypervisor:%s.dc1.example.net", hosts[h].name);
        edge(g, cs, iid, LS_EDGE_RUNS_ON, hyp);
        snprintf(id, sizeof(id), "keystone:project:%.32s", proj[app]);
        edge(g, cs, iid, LS_EDGE_MEMBER_OF, id);
        char port[37], mac[32], tap[32], ip[32];
        uuid(g, port);
        snprintf(id, sizeof(id), "neutron:port:%s", port);
        snprintf(mac, sizeof(mac), "fa:16:3e:%02x:%02x:%02x", (i >> 8) & 0xff, i & 0xff, app);
        snprintf(tap, sizeof(tap), "tap%.11s", port);
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", 10 + app, i / 250, i % 250 + 2);
        node(g, cs, id, "port", tap, "ACTIVE",
             json_pack("{s:s,s:s,s:s,s:[{s:s}],s:[s,s]}", "mac_address", mac, "binding:host_id",
                       hosts[h].name, "device_owner", "compute:nova", "fixed_ips", "ip_address", ip,
                       "aliases", mac, tap));
        edge(g, cs, id, LS_EDGE_ATTACHED_TO, iid);
        snprintf(id2, sizeof(id2), "neutron:network:%.36s", nets[app]);
        edge(g, cs, id, LS_EDGE_MEMBER_OF, id2);
        if (i % 2 == 0) {
            char vol[37];
            uuid(g, vol);
            char vname[128];
            snprintf(id, sizeof(id), "cinder:volume:%s", vol);
            snprintf(vname, sizeof(vname), "%s-data", name);
            node(g, cs, id, "volume", vname, "in-use",
                 json_pack("{s:i,s:s,s:s}", "size_gb", 50 << pick(g, 4), "volume_type", "ceph",
                           "backend", "cinder-vol-01@ceph#ceph"));
            edge(g, cs, id, LS_EDGE_ATTACHED_TO, iid);
        }
    }
}

/* Heat stacks whose resources are the instances, and services that use the stacks. */
static void service_layer(struct gen *g,
                          struct ls_change_set *cs,
                          const struct ls_demo_opts *o,
                          char (*inst)[37],
                          char (*proj)[33])
{
    char id[256], id2[256], name[96];
    int per = o->instances / (o->stacks ? o->stacks : 1) / 4;
    for (int s = 0; s < o->stacks; s++) {
        char st[37];
        uuid(g, st);
        char sid[96];
        snprintf(sid, sizeof(sid), "heat:stack:%s", st);
        snprintf(name, sizeof(name), "%s-stack", apps[s % 6]);
        node(g, cs, sid, "stack", name, "CREATE_COMPLETE",
             json_pack("{s:s}", "template", "three-tier.yaml"));
        snprintf(id, sizeof(id), "keystone:project:%.32s", proj[s % 6]);
        edge(g, cs, sid, LS_EDGE_MEMBER_OF, id);
        char svc[96];
        snprintf(svc, sizeof(svc), "manual:service:%s", apps[s % 6]);
        node(g, cs, svc, "service", apps[s % 6], "healthy",
             json_pack("{s:s,s:i}", "owner",
                       "team-"
                       "platform",
                       "tier", 1 + s % 3));
        edge(g, cs, svc, LS_EDGE_DEPENDS_ON, sid);
        for (int k = 0; k < per; k++) {
            int i = s * per + k;
            snprintf(id, sizeof(id), "heat:stack_resource:%s:server_%d", st, k);
            snprintf(name, sizeof(name), "server_%d", k);
            node(g, cs, id, "stack_resource", name, "CREATE_COMPLETE",
                 json_pack("{s:s,s:s}", "resource_type", "OS::Nova::Server", "physical_resource_id",
                           inst[i]));
            edge(g, cs, sid, LS_EDGE_CONTAINS, id);
            snprintf(id2, sizeof(id2), "nova:instance:%s", inst[i]);
            edge(g, cs, id, LS_EDGE_USES, id2);
        }
    }
    if (o->stacks > 1) /* the storefront needs payments */
        edge(g, cs, "manual:service:shop", LS_EDGE_DEPENDS_ON, "manual:service:payments");
}

int ls_demo_build(struct ls_change_set ***out,
                  size_t *n,
                  const struct ls_demo_opts *o,
                  struct ls_err *err)
{
    struct gen g = {.rng = 0x2545F4914F6CDD1DULL ^ o->seed, .err = err, .rc = LS_OK};
    int n_hosts = o->racks * o->machines;
    if (n_hosts < 2 || o->instances < 1 || o->instances > 100000)
        return ls_err_set(err, LS_EINVAL, "invalid_demo",
                          "demo needs >= 2 machines and "
                          "1..100000 instances");
    struct host *hosts = ls_xcalloc((size_t)n_hosts, sizeof(*hosts));
    char(*inst)[37] = ls_xcalloc((size_t)o->instances, 37);
    char proj[6][33], nets[6][37];
    /* one set with replace semantics: loading the demo again changes nothing */
    struct ls_change_set *cs = ls_change_set_new("demo");
    ls_change_set_set_replace(cs, true);
    physical(&g, cs, o, hosts);
    if (!o->physical_only) {
        virtual_layer(&g, cs, o, hosts, n_hosts, inst, proj, nets);
        service_layer(&g, cs, o, inst, proj);
    }
    free(hosts);
    free(inst);
    if (g.rc != LS_OK) {
        ls_change_set_free(cs);
        return g.rc;
    }
    struct ls_change_set **sets = ls_xcalloc(1, sizeof(*sets));
    sets[0] = cs;
    *out = sets;
    *n = 1;
    return LS_OK;
}
