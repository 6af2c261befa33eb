/* Rendering of generated records in each producer format. */
#include "importers/telemetry/generator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"
#include "common/time.h"

/* The instances' targets as they are listed. */
struct collect {
    const struct ls_snap *s;
    struct ls_tel_gen_target *v;
    size_t n, cap;
};

static bool first_tap(const struct ls_edge *e, void *arg)
{
    char *tap = arg;
    if (e->type != LS_EDGE_ATTACHED_TO || strncmp(e->src, "neutron:port:", 13) != 0)
        return true;
    snprintf(tap, 32, "tap%.11s", e->src + 13);
    return false;
}

static bool host_of(const struct ls_edge *e, void *arg)
{
    struct ls_tel_gen_target *tg = arg;
    if (e->type != LS_EDGE_RUNS_ON)
        return true;
    const char *h = strrchr(e->dst, ':');
    snprintf(tg->host, sizeof(tg->host), "%s", h ? h + 1 : e->dst);
    char *dot = strchr(tg->host, '.'); /* Nova's service host is the short name */
    if (dot)
        *dot = '\0';
    return false;
}

/* Calls each(node, arg) for every node of `type` in s, in id order, a page at a time. */
static void each_of_type(const struct ls_snap *s,
                         const char *type,
                         void (*each)(const struct ls_node *, void *),
                         void *arg)
{
    struct ls_node_filter f = {.type = type, .layer = -1};
    const struct ls_node *page[512];
    size_t n;
    bool more = true;
    char last[512] = "";
    while (more) {
        if (ls_snap_list_nodes(s, &f, last[0] ? last : NULL, 512, page, &n, &more, NULL) != LS_OK ||
            n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            each(page[i], arg);
        snprintf(last, sizeof(last), "%s", page[n - 1]->id);
    }
}

/* An instance as a target of the list (arg: struct collect). */
static void add_target(const struct ls_node *inst, void *arg)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = ls_xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    struct ls_tel_gen_target *tg = &c->v[c->n++];
    memset(tg, 0, sizeof(*tg));
    const char *id = inst->id, *u = strrchr(id, ':');
    const char *domain = json_string_value(json_object_get(inst->attrs, "instance_name"));
    snprintf(tg->instance, sizeof(tg->instance), "%.36s", u ? u + 1 : id);
    snprintf(tg->domain, sizeof(tg->domain), "%.31s", domain ? domain : "");
    if (ls_snap_node_edges(c->s, id, LS_DIR_OUT, LS_EDGE_RUNS_ON, host_of, tg, NULL) != LS_OK ||
        ls_snap_node_edges(c->s, id, LS_DIR_IN, LS_EDGE_ATTACHED_TO, first_tap, tg->tap, NULL) !=
            LS_OK)
        return;
    tg->counter = (uint64_t)(c->n * 7919) << 20;
}

size_t ls_tel_gen_targets(struct ls_graph *g, struct ls_tel_gen_target **out)
{
    struct ls_snap *s = ls_graph_snap(g);
    struct collect c = {.s = s};
    each_of_type(s, "instance", add_target, &c);
    ls_snap_release(s);
    *out = c.v;
    return c.n;
}

/* The demo's daily wave at t_us, in [-1, 1], its phase shifted by `offset` radians. Daily, not
 * hourly: a whole swing every hour ramps a VM's traffic by half in a quarter of an hour, which
 * a detector that has seen minutes of history rightly calls a shift — the demo opened incidents
 * of its own before any fault was injected. */
static double daily_wave(int64_t t_us, double offset)
{
    return sin((double)(t_us / 1000000 % 86400) / 86400.0 * 6.2831853 + offset);
}

/* Deterministic noise in [0, 1) from a record's sequence number. */
static double noise_of(uint64_t seq)
{
    return (double)(seq * 2654435761u % 1000) / 1000.0;
}

/* ---- physical devices -------------------------------------------------------------------- */

struct device_list {
    const struct ls_snap *s;
    struct ls_tel_gen_device *v;
    size_t n, cap;
};

static struct ls_tel_gen_device *device_add(struct device_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = ls_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    struct ls_tel_gen_device *d = &l->v[l->n++];
    memset(d, 0, sizeof(*d));
    return d;
}

/* A NIC the machine (e->src) contains, as a device of the list (arg); other parts are skipped. */
static bool machine_nic(const struct ls_edge *e, void *arg)
{
    struct device_list *l = arg;
    const struct ls_node *nic = ls_snap_node(l->s, e->dst);
    const char *mac = nic ? json_string_value(json_object_get(nic->attrs, "mac")) : NULL;
    if (!nic || strcmp(nic->type, "nic") != 0 || !mac)
        return true;
    const struct ls_node *m = ls_snap_node(l->s, e->src);
    struct ls_tel_gen_device *d = device_add(l);
    d->kind = LS_TEL_DEV_NIC;
    snprintf(d->node, sizeof(d->node), "%s", nic->id);
    snprintf(d->of, sizeof(d->of), "%s", e->src);
    snprintf(d->host, sizeof(d->host), "%s", m && m->name[0] ? m->name : e->src);
    snprintf(d->mac, sizeof(d->mac), "%s", mac);
    d->traffic = 2e7 + (double)(ls_hash_str(nic->id) % 1000) * 2e4; /* 20-40 MB/s */
    return true;
}

static void add_switch(const struct ls_node *sw, void *arg)
{
    struct ls_tel_gen_device *d = device_add(arg);
    d->kind = LS_TEL_DEV_SWITCH;
    snprintf(d->node, sizeof(d->node), "%s", sw->id);
    snprintf(d->of, sizeof(d->of), "%s", sw->id);
    snprintf(d->host, sizeof(d->host), "%s", sw->name[0] ? sw->name : sw->id);
    d->traffic = 4e8;
}

static void add_machine_nics(const struct ls_node *m, void *arg)
{
    struct device_list *l = arg;
    if (ls_snap_node_edges(l->s, m->id, LS_DIR_OUT, LS_EDGE_CONTAINS, machine_nic, l, NULL) !=
        LS_OK) {
        /* gone since it was listed: no NICs */
    }
}

size_t ls_tel_gen_devices(struct ls_graph *g, struct ls_tel_gen_device **out)
{
    struct ls_snap *s = ls_graph_snap(g);
    struct device_list l = {.s = s};
    each_of_type(s, "switch", add_switch, &l);
    each_of_type(s, "machine", add_machine_nics, &l);
    ls_snap_release(s);
    *out = l.v;
    return l.n;
}

int ls_tel_gen_render_device(const struct ls_tel_gen_device *d,
                             int64_t t_us,
                             uint64_t seq,
                             const struct ls_fault *fault,
                             struct ls_buf *out)
{
    /* the daily wave of the instances with 5 % noise */
    double wave = daily_wave(t_us, (double)(ls_hash_str(d->node) % 16));
    double noise = noise_of(seq) - 0.5;
    enum ls_fault_role role = (enum ls_fault_role)d->role;
    double traffic =
        ls_fault_effect(fault, role, LS_FM_NET, t_us, d->traffic * (1 + 0.3 * wave + 0.1 * noise));
    if (isnan(traffic)) /* silenced: sends nothing */
        return LS_OK;
    long long ns = (long long)t_us * 1000;
    if (d->kind == LS_TEL_DEV_NIC)
        return ls_buf_printf(out, "net,host=%s,interface=%s bytes=%.0f %lld\n", d->host, d->mac,
                             traffic, ns);
    double errors = ls_fault_effect(fault, role, LS_FM_ERRORS, t_us, 0.5 + 0.1 * noise);
    if (isnan(errors))
        return LS_OK;
    return ls_buf_printf(out, "snmp_if,host=%s if_octets=%.0f,if_errors=%.3f %lld\n", d->host,
                         traffic, errors, ns);
}

static const enum ls_tel_format rotation[] = {LS_TEL_CEILOMETER, LS_TEL_OSLO,     LS_TEL_MONASCA,
                                              LS_TEL_COLLECTD,   LS_TEL_TELEGRAF, LS_TEL_PROMETHEUS,
                                              LS_TEL_OTLP};

int ls_tel_gen_render(enum ls_tel_format f,
                      struct ls_tel_gen_target *tg,
                      int64_t t_us,
                      uint64_t seq,
                      struct ls_buf *out)
{
    return ls_tel_gen_render_fault(f, tg, t_us, seq, NULL, out);
}

int ls_tel_gen_render_fault(enum ls_tel_format f,
                            struct ls_tel_gen_target *tg,
                            int64_t t_us,
                            uint64_t seq,
                            const struct ls_fault *fault,
                            struct ls_buf *out)
{
    if (f == LS_TEL_AUTO)
        f = rotation[seq % (sizeof(rotation) / sizeof(rotation[0]))];
    /* a daily wave per VM (its phase from the VM) plus noise: CPU % and a growing byte
     * counter */
    double cpu = 35 + 25 * daily_wave(t_us, (double)(tg->instance[0] % 16)) + 10 * noise_of(seq);
    enum ls_fault_role role = (enum ls_fault_role)tg->role;
    double traffic = ls_fault_effect(fault, role, LS_FM_NET, t_us, 50000 + cpu * 1000);
    double memory = ls_fault_effect(fault, role, LS_FM_MEMORY, t_us, (1 << 30) + cpu * 1e6);
    cpu = ls_fault_effect(fault, role, LS_FM_CPU, t_us, cpu);
    if (isnan(cpu) || isnan(traffic) || isnan(memory)) /* silenced: sends nothing */
        return LS_OK;
    /* bytes = rate x elapsed time: the counter's rate is the traffic whatever the spacing of
     * the records (a counter that grew per record made the rate follow the send cadence) */
    double dt = tg->last_us > 0 && t_us > tg->last_us ? (double)(t_us - tg->last_us) / 1e6 : 1.0;
    tg->counter += (uint64_t)(traffic * dt);
    tg->last_us = t_us;
    double ts = (double)t_us / 1e6;
    char iso[40];
    ls_time_format_rfc3339(t_us, iso, sizeof(iso));
    iso[strlen(iso) - 1] = '\0'; /* Ceilometer's naive UTC: no zone */
    switch (f) {
    case LS_TEL_CEILOMETER:
        return ls_buf_printf(out,
                             "{\"counter_name\":\"cpu_util\",\"counter_type\":\"gauge\","
                             "\"counter_unit\":\"%%\",\"counter_volume\":%.2f,\"resource_id\":"
                             "\"%s\",\"timestamp\":\"%s\",\"resource_metadata\":{\"name\":\"%s\","
                             "\"instance_id\":\"%s\",\"instance_host\":\"%s\"}}",
                             cpu, tg->instance, iso, tg->domain, tg->instance, tg->host);
    case LS_TEL_OSLO:
        return ls_buf_printf(
            out,
            "{\"oslo.version\":\"2.0\",\"oslo.message\":\"{\\\"message_id\\\":\\\"%llu\\\","
            "\\\"publisher_id\\\":\\\"telemetry.publisher.gen\\\",\\\"event_type\\\":"
            "\\\"metering\\\",\\\"priority\\\":\\\"SAMPLE\\\",\\\"payload\\\":[{\\\"counter_"
            "name\\\":"
            "\\\"network.incoming.bytes\\\",\\\"counter_type\\\":\\\"cumulative\\\","
            "\\\"counter_unit\\\":\\\"B\\\",\\\"counter_volume\\\":%llu,\\\"resource_id\\\":"
            "\\\"%s-%s-%s\\\",\\\"timestamp\\\":\\\"%s\\\",\\\"resource_metadata\\\":{"
            "\\\"instance_id\\\":\\\"%s\\\",\\\"vnic_name\\\":\\\"%s\\\",\\\"instance_host\\\":"
            "\\\"%s\\\"}}]}\"}",
            (unsigned long long)seq, (unsigned long long)tg->counter, tg->domain, tg->instance,
            tg->tap, iso, tg->instance, tg->tap, tg->host);
    case LS_TEL_MONASCA:
        return ls_buf_printf(out,
                             "{\"metric\":{\"name\":\"vm.cpu.utilization_perc\",\"dimensions\":"
                             "{\"hostname\":\"%s\",\"resource_id\":\"%s\"},\"timestamp\":%.3f,"
                             "\"value\":%.2f,\"value_meta\":null},\"meta\":{\"tenantId\":\"t\","
                             "\"region\":\"RegionOne\"},\"creation_time\":%lld}",
                             tg->host, tg->instance, ts * 1000, cpu, (long long)ts);
    case LS_TEL_COLLECTD:
        return ls_buf_printf(out,
                             "[{\"values\":[%llu,%llu],\"dstypes\":[\"derive\",\"derive\"],"
                             "\"dsnames\":[\"rx\",\"tx\"],\"time\":%.3f,\"interval\":10.0,"
                             "\"host\":\"%s\",\"plugin\":\"virt\",\"plugin_instance\":\"%s\","
                             "\"type\":\"if_octets\",\"type_instance\":\"%s\"}]",
                             (unsigned long long)tg->counter, (unsigned long long)tg->counter / 3,
                             ts, tg->host, tg->instance, tg->tap);
    case LS_TEL_TELEGRAF:
        return ls_buf_printf(out, "libvirt_cpu,domain_name=%s,host=%s usage=%.2f %lld\n",
                             tg->domain, tg->host, cpu, (long long)t_us * 1000);
    case LS_TEL_PROMETHEUS: {
        /* the adapter's timestamp has whole seconds: the counter as of that second, so that
         * the rate between two samples is the traffic (the value at the exact time, stamped up
         * to a second early, made the rate jump by a fifth between 4-second samples) */
        char iso_z[40];
        double early = traffic * (double)(t_us % 1000000) / 1e6;
        uint64_t at_second = tg->counter > early ? tg->counter - (uint64_t)early : 0;
        return ls_buf_printf(out,
                             "{\"timestamp\":\"%s\",\"value\":\"%llu\",\"name\":"
                             "\"libvirt_domain_interface_stats_transmit_bytes_total\",\"labels\":"
                             "{\"domain\":\"%s\",\"target_device\":\"%s\",\"instance\":"
                             "\"%s:9177\",\"job\":\"libvirt\"}}",
                             ls_time_format_rfc3339(t_us / 1000000 * 1000000, iso_z, sizeof(iso_z)),
                             (unsigned long long)at_second / 2, tg->domain, tg->tap, tg->host);
    }
    case LS_TEL_OTLP:
        return ls_buf_printf(out,
                             "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":"
                             "\"openstack.instance.id\",\"value\":{\"stringValue\":\"%s\"}}]},"
                             "\"scopeMetrics\":[{\"metrics\":[{\"name\":\"vm.memory.usage\","
                             "\"unit\":\"By\",\"gauge\":{\"dataPoints\":[{\"timeUnixNano\":"
                             "\"%lld\",\"asInt\":\"%lld\"}]}}]}]}]}",
                             tg->instance, (long long)t_us * 1000, (long long)memory);
    default:
        return LS_EINVAL;
    }
}
