/* ossim: Nova (compute v2.1) — hypervisors, servers (changes-since, deleted servers),
 * aggregates, availability zones and flavors, in the shapes and microversions of the real
 * API. Runs under the read lock; renders straight into r->out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/ossim/ossim_int.h"

static void hv_name(const struct cloud *c, int i, char *out, size_t cap)
{
    snprintf(out, cap, "%s", cloud_hv_name(c, i));
}

/* ---- hypervisors ---- */

static void render_hv(struct req *r, int i)
{
    const struct cloud *c = &r->s->c;
    const struct sim_hv *h = &c->hv[i];
    struct jb *b = &r->out;
    char ip[24];
    hv_ip(i, ip, sizeof(ip));
    jb_sep(b);
    if (r->mv >= 2053) {
        jb_raw(b, "{\"id\":");
        jb_id(b, K_HV, i);
    } else {
        jb_printf(b, "{\"id\":%d", i + 1);
    }
    jb_printf(b,
              ",\"hypervisor_hostname\":\"%s\",\"state\":\"up\",\"status\":\"enabled\","
              "\"hypervisor_type\":\"QEMU\",\"hypervisor_version\":6002000,\"host_ip\":\"%s\","
              "\"service\":{\"id\":",
              cloud_hv_name(c, i), ip);
    if (r->mv >= 2053)
        jb_id(b, K_SERVICE, 100 + i);
    else
        jb_printf(b, "%d", i + 10);
    jb_printf(b, ",\"host\":\"%s\",\"disabled_reason\":null}", cloud_hv_name(c, i));
    if (r->mv < 2088) {
        int mem_used = 512 + h->used_mem;
        jb_printf(b,
                  ",\"vcpus\":%d,\"memory_mb\":%d,\"local_gb\":%d,\"vcpus_used\":%d,"
                  "\"memory_mb_used\":%d,\"local_gb_used\":%d,\"running_vms\":%d,"
                  "\"free_ram_mb\":%d,\"free_disk_gb\":%d,\"current_workload\":0,"
                  "\"disk_available_least\":%d,\"cpu_info\":",
                  h->vcpus, h->mem_mb, h->disk_gb, h->used_vcpus, mem_used, h->used_disk, h->vms,
                  h->mem_mb - mem_used, h->disk_gb - h->used_disk, h->disk_gb - h->used_disk);
        /* A JSON string before 2.28, an object from 2.28 on. */
        char cpu[256];
        snprintf(cpu, sizeof(cpu),
                 "{\"arch\": \"x86_64\", \"model\": \"Cascadelake-Server\", \"vendor\": "
                 "\"Intel\", \"topology\": {\"cores\": %d, \"threads\": 2, \"sockets\": 2}, "
                 "\"features\": [\"avx2\", \"sse4.2\", \"vmx\"]}",
                 h->vcpus / 4);
        if (r->mv >= 2028)
            jb_raw(b, cpu);
        else
            jb_str(b, cpu);
    } else {
        jb_raw(b, ",\"uptime\":null");
    }
    jb_raw(b, "}");
}

static void hypervisors(struct req *r, bool detail)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    int start = 0, end = c->nhv;
    int limit = c->nhv;
    const char *marker = NULL;
    if (r->mv >= 2053) {
        if (!req_paging(r, &limit, &marker))
            return;
        if (marker) {
            start = req_marker_pos(r, K_HV, NULL, marker, "marker [", "] not found");
            if (start < 0)
                return;
        }
        if (end - start > limit)
            end = start + limit;
    }
    jb_reserve(b, (size_t)(end - start) * 900);
    jb_raw(b, "{\"hypervisors\":[");
    for (int i = start; i < end; i++) {
        if (detail) {
            render_hv(r, i);
        } else {
            jb_sep(b);
            if (r->mv >= 2053) {
                jb_raw(b, "{\"id\":");
                jb_id(b, K_HV, i);
            } else {
                jb_printf(b, "{\"id\":%d", i + 1);
            }
            jb_printf(b,
                      ",\"hypervisor_hostname\":\"%s\",\"state\":\"up\","
                      "\"status\":\"enabled\"}",
                      cloud_hv_name(c, i));
        }
    }
    jb_raw(b, "]");
    if (r->mv >= 2053 && end < c->nhv && end > start) {
        char id[37];
        id_str(K_HV, end - 1, id);
        req_next_link(r, "hypervisors", id);
    }
    jb_raw(b, "}");
}

/* ---- servers ---- */

static const char *const status_names[] = {"ACTIVE", "SHUTOFF", "DELETED"};
static const char *const vm_states[] = {"active", "stopped", "deleted"};
static const int power_states[] = {1, 4, 0};

static void host_id(const struct sim_server *s, char out[57])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t x = ((uint64_t)s->project << 32) ^ (uint64_t)s->hv;
    for (int k = 0; k < 4; k++) {
        uint64_t h = mix64(x + (uint64_t)k * 0x1234567ULL);
        for (int j = 0; j < 14; j++)
            out[k * 14 + j] = hex[(h >> (4 * j)) & 15];
    }
    out[56] = '\0';
}

static void render_server(struct req *r, int i)
{
    const struct cloud *c = &r->s->c;
    const struct sim_server *s = &c->sv[i];
    const struct flavor *fl = &ossim_flavors[s->flavor];
    struct jb *b = &r->out;
    char hid[57], az[32];
    host_id(s, hid);
    az_name(c, server_az_agg(c, i), az, sizeof(az));
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_SERVER, i);
    jb_printf(b, ",\"name\":\"sim-vm-%d\",\"status\":\"%s\",\"tenant_id\":\"", i,
              status_names[s->status]);
    char pid[37];
    id_str(K_PROJECT, s->project, pid);
    jb_raw(b, pid);
    jb_raw(b, "\",\"user_id\":");
    jb_id(b, K_USER, 0);
    jb_printf(b, ",\"metadata\":{},\"hostId\":\"%s\",\"image\":{\"id\":", hid);
    jb_id(b, K_IMAGE, 0);
    jb_raw(b, "},\"flavor\":");
    if (r->mv >= 2047) {
        jb_printf(b,
                  "{\"vcpus\":%d,\"ram\":%d,\"disk\":%d,\"ephemeral\":0,\"swap\":0,"
                  "\"original_name\":\"%s\",\"extra_specs\":{}}",
                  fl->vcpus, fl->ram, fl->disk, fl->name);
    } else {
        jb_raw(b, "{\"id\":");
        jb_id(b, K_FLAVOR, s->flavor);
        jb_raw(b, "}");
    }
    jb_raw(b, ",\"created\":");
    jb_time(b, s->created, T_Z);
    jb_raw(b, ",\"updated\":");
    jb_time(b, s->updated, T_Z);
    jb_raw(b, ",\"addresses\":{");
    bool open = false;
    for (int k = 0; k < s->nports; k++) {
        int p = s->port_first + k;
        const struct sim_port *pt = &c->pt[p];
        if (pt->deleted)
            continue;
        if (!open)
            jb_printf(b, "\"sim-net-%d\":[", pt->net);
        char ip[20], mac[20];
        ip_fmt(pt->ip, ip, sizeof(ip));
        mac_fmt(p, mac, sizeof(mac));
        jb_sep(b);
        jb_printf(b,
                  "{\"version\":4,\"addr\":\"%s\",\"OS-EXT-IPS:type\":\"fixed\","
                  "\"OS-EXT-IPS-MAC:mac_addr\":\"%s\"}",
                  ip, mac);
        open = true;
    }
    if (open)
        jb_raw(b, "]");
    jb_printf(b,
              "},\"accessIPv4\":\"\",\"accessIPv6\":\"\",\"OS-DCF:diskConfig\":\"MANUAL\","
              "\"progress\":0,\"OS-EXT-AZ:availability_zone\":\"%s\",\"config_drive\":\"\","
              "\"key_name\":null,\"OS-SRV-USG:launched_at\":",
              az);
    jb_time(b, s->created + 8, T_USEC);
    jb_raw(b, ",\"OS-SRV-USG:terminated_at\":");
    jb_time(b, s->deleted_at, T_USEC);
    jb_printf(b,
              ",\"OS-EXT-SRV-ATTR:host\":\"%s\",\"OS-EXT-SRV-ATTR:instance_name\":"
              "\"instance-%08x\",\"OS-EXT-SRV-ATTR:hypervisor_hostname\":\"%s\","
              "\"OS-EXT-STS:task_state\":null,\"OS-EXT-STS:vm_state\":\"%s\","
              "\"OS-EXT-STS:power_state\":%d,\"os-extended-volumes:volumes_attached\":[",
              cloud_hv_name(c, s->hv), (unsigned)i + 1, cloud_hv_name(c, s->hv),
              vm_states[s->status], power_states[s->status]);
    if (s->vol >= 0) {
        jb_raw(b, "{\"id\":");
        jb_id(b, K_VOL, s->vol);
        jb_raw(b, ",\"delete_on_termination\":false}");
    }
    jb_raw(b, "]");
    if (s->status != ST_DELETED)
        jb_raw(b, ",\"security_groups\":[{\"name\":\"default\"}]");
    if (r->mv >= 2009)
        jb_raw(b, ",\"locked\":false");
    if (r->mv >= 2016)
        jb_raw(b, s->status == ST_DELETED ? ",\"host_status\":\"\"" : ",\"host_status\":\"UP\"");
    if (r->mv >= 2019)
        jb_raw(b, ",\"description\":null");
    if (r->mv >= 2026)
        jb_raw(b, ",\"tags\":[]");
    jb_raw(b, "}");
}

static void servers(struct req *r)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    int limit;
    const char *marker;
    if (!req_paging(r, &limit, &marker))
        return;
    const char *cs = req_arg(r, "changes-since");
    int64_t since = 0;
    if (cs && !parse_time(cs, &since)) {
        req_error(r, 400, "Invalid filter field: changes-since.");
        return;
    }
    bool all = req_flag(r, "all_tenants") && r->project >= -1;
    int only_project = all || r->project < 0 ? -1 : r->project;
    const char *host = req_arg(r, "host");
    int only_hv = -1;
    if (host) {
        for (int i = 0; i < c->nhv && only_hv < 0; i++)
            if (!strcmp(host, cloud_hv_name(c, i)))
                only_hv = i;
        if (only_hv < 0) {
            jb_raw(b, "{\"servers\":[]}");
            return;
        }
    }
    int pos = 0;
    if (marker) {
        pos = req_marker_pos(r, K_SERVER, &c->sv_order, marker, "marker [", "] not found");
        if (pos < 0)
            return;
    }
    jb_reserve(b, (size_t)limit * 1800);
    jb_raw(b, "{\"servers\":[");
    int n = 0, last = -1;
    bool more = false;
    for (; pos < c->sv_order.n; pos++) {
        int i = c->sv_order.v[pos];
        const struct sim_server *s = &c->sv[i];
        if (cs ? s->updated < since : s->status == ST_DELETED)
            continue;
        if (only_project >= 0 && s->project != only_project)
            continue;
        if (only_hv >= 0 && s->hv != only_hv)
            continue;
        if (n == limit) {
            more = true;
            break;
        }
        render_server(r, i);
        last = i;
        n++;
    }
    jb_raw(b, "]");
    if (more) {
        char id[37];
        id_str(K_SERVER, last, id);
        req_next_link(r, "servers", id);
    }
    jb_raw(b, "}");
}

/* ---- aggregates, zones, flavors ---- */

static void aggregates(struct req *r)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    jb_raw(b, "{\"aggregates\":[");
    for (int k = 0; k < c->o.aggregates; k++) {
        jb_sep(b);
        jb_printf(b, "{\"id\":%d,\"uuid\":", k + 1);
        jb_id(b, K_AGG, k);
        jb_printf(b, ",\"name\":\"sim-agg-%d\",\"availability_zone\":", k);
        if (agg_zoned(k))
            jb_printf(b, "\"sim-az-%d\"", k);
        else
            jb_raw(b, "null");
        jb_raw(b, ",\"hosts\":[");
        for (int i = k; i < c->nhv; i += c->o.aggregates) {
            jb_sep(b);
            jb_printf(b, "\"%s\"", cloud_hv_name(c, i));
        }
        jb_raw(b, "],\"metadata\":{");
        if (agg_zoned(k))
            jb_printf(b, "\"availability_zone\":\"sim-az-%d\"", k);
        jb_raw(b, "},\"created_at\":");
        jb_time(b, c->t0 - 7200, T_USEC);
        jb_raw(b, ",\"updated_at\":null,\"deleted_at\":null,\"deleted\":false}");
    }
    jb_raw(b, "]}");
}

static void zone_host(struct jb *b, const struct cloud *c, const char *host, const char *svc)
{
    jb_sep(b);
    jb_printf(b, "\"%s\":{\"%s\":{\"available\":true,\"active\":true,\"updated_at\":", host, svc);
    jb_time(b, c->t0 + 30 * 86400, T_USEC);
    jb_raw(b, "}}");
}

static void zones(struct req *r)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    char name[32];
    int a = c->o.aggregates;
    jb_raw(b, "{\"availabilityZoneInfo\":[{\"zoneName\":\"internal\",\"zoneState\":"
              "{\"available\":true},\"hosts\":{\"sim-controller\":{\"nova-scheduler\":"
              "{\"available\":true,\"active\":true,\"updated_at\":null},\"nova-conductor\":"
              "{\"available\":true,\"active\":true,\"updated_at\":null}}}}");
    for (int k = 0; k < a; k++) {
        if (!agg_zoned(k))
            continue;
        jb_printf(b,
                  ",{\"zoneName\":\"sim-az-%d\",\"zoneState\":{\"available\":true},"
                  "\"hosts\":{",
                  k);
        for (int i = k; i < c->nhv; i += a) {
            hv_name(c, i, name, sizeof(name));
            zone_host(b, c, name, "nova-compute");
        }
        jb_raw(b, "}}");
    }
    bool any = false;
    for (int i = 0; i < c->nhv; i++) {
        if (a > 0 && agg_zoned(i % a))
            continue;
        if (!any)
            jb_raw(b, ",{\"zoneName\":\"nova\",\"zoneState\":{\"available\":true},\"hosts\":{");
        any = true;
        hv_name(c, i, name, sizeof(name));
        zone_host(b, c, name, "nova-compute");
    }
    if (any)
        jb_raw(b, "}}");
    jb_raw(b, "]}");
}

static void flavors(struct req *r, bool detail)
{
    struct jb *b = &r->out;
    jb_raw(b, "{\"flavors\":[");
    for (int f = 0; f < NFLAVORS; f++) {
        const struct flavor *fl = &ossim_flavors[f];
        jb_sep(b);
        jb_raw(b, "{\"id\":");
        jb_id(b, K_FLAVOR, f);
        jb_printf(b, ",\"name\":\"%s\"", fl->name);
        if (detail) {
            jb_printf(b,
                      ",\"ram\":%d,\"vcpus\":%d,\"disk\":%d,\"OS-FLV-EXT-DATA:ephemeral\":0,"
                      "\"swap\":%s,\"rxtx_factor\":1.0,\"OS-FLV-DISABLED:disabled\":false,"
                      "\"os-flavor-access:is_public\":true",
                      fl->ram, fl->vcpus, fl->disk, r->mv >= 2075 ? "0" : "\"\"");
            if (r->mv >= 2055)
                jb_raw(b, ",\"description\":null");
            if (r->mv >= 2061)
                jb_raw(b, ",\"extra_specs\":{}");
        }
        jb_raw(b, ",\"links\":[]}");
    }
    jb_raw(b, "]}");
}

void nova_handle(struct req *r)
{
    bool get = !strcmp(r->method, "GET");
    if (get && r->nseg == 2 && !strcmp(r->seg[0], "os-hypervisors") &&
        !strcmp(r->seg[1], "detail")) {
        hypervisors(r, true);
    } else if (get && r->nseg == 1 && !strcmp(r->seg[0], "os-hypervisors")) {
        hypervisors(r, false);
    } else if (get && r->nseg == 2 && !strcmp(r->seg[0], "servers") &&
               !strcmp(r->seg[1], "detail")) {
        servers(r);
    } else if (get && r->nseg == 2 && !strcmp(r->seg[0], "servers")) {
        const struct cloud *c = &r->s->c;
        int i = cloud_lookup(c, K_SERVER, r->seg[1]);
        if (i < 0 || c->sv[i].status == ST_DELETED) {
            req_error(r, 404, "Instance could not be found.");
            return;
        }
        jb_raw(&r->out, "{\"server\":");
        render_server(r, i);
        jb_raw(&r->out, "}");
    } else if (get && r->nseg == 1 && !strcmp(r->seg[0], "os-aggregates")) {
        aggregates(r);
    } else if (get && r->nseg == 2 && !strcmp(r->seg[0], "os-availability-zone") &&
               !strcmp(r->seg[1], "detail")) {
        zones(r);
    } else if (get && r->nseg >= 1 && !strcmp(r->seg[0], "flavors") &&
               (r->nseg == 1 || (r->nseg == 2 && !strcmp(r->seg[1], "detail")))) {
        flavors(r, r->nseg == 2);
    } else {
        req_error(r, 404, "The resource could not be found.");
    }
}
