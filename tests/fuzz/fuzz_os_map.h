/* Shared by the OpenStack mapping fuzz targets, one per collection: the input is one
 * collection's answer as the API gives it ({"servers": [...]}, placement providers with their
 * inventories/usages/traits/aggregates merged in, stacks with their resources, as collect.c
 * merges them), parsed with the importer's own parser (ls_json_parse). It replaces that
 * collection in a small complete cloud (the rest of the inventory), which is then mapped
 * three ways against a graph holding that cloud: a full pass (long lists on threads), a full
 * pass whose long lists come page by page (the pager, as the sync thread runs it), and an
 * incremental pass with cloud-tagged ids (plus ls_os_touched). Each set is checked
 * (fuzz_check.h) and prepared on the graph. */
#ifndef LS_TESTS_FUZZ_OS_MAP_H
#define LS_TESTS_FUZZ_OS_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_parse.h"
#include "importers/openstack/mapping.h"
#include "tests/fuzz/fuzz_check.h"

/* Answer key -> inventory member. */
static const struct {
    const char *key;
    size_t off;
} fuzz_os_lists[] = {
    {"projects", offsetof(struct ls_os_inventory, projects)},
    {"hypervisors", offsetof(struct ls_os_inventory, hypervisors)},
    {"servers", offsetof(struct ls_os_inventory, servers)},
    {"flavors", offsetof(struct ls_os_inventory, flavors)},
    {"aggregates", offsetof(struct ls_os_inventory, aggregates)},
    {"availabilityZoneInfo", offsetof(struct ls_os_inventory, zones)},
    {"resource_providers", offsetof(struct ls_os_inventory, providers)},
    {"networks", offsetof(struct ls_os_inventory, networks)},
    {"subnets", offsetof(struct ls_os_inventory, subnets)},
    {"ports", offsetof(struct ls_os_inventory, ports)},
    {"routers", offsetof(struct ls_os_inventory, routers)},
    {"floatingips", offsetof(struct ls_os_inventory, floatingips)},
    {"volumes", offsetof(struct ls_os_inventory, volumes)},
    {"stacks", offsetof(struct ls_os_inventory, stacks)},
    {"deleted_servers", offsetof(struct ls_os_inventory, deleted_servers)},
    {"missing_ports", offsetof(struct ls_os_inventory, missing_ports)},
    {"missing_stacks", offsetof(struct ls_os_inventory, missing_stacks)},
};
#define FUZZ_OS_NLISTS (sizeof(fuzz_os_lists) / sizeof(fuzz_os_lists[0]))

/* The rest of the cloud: a hypervisor with its placement provider, a server on it with a port,
 * a volume, a network, subnet and router, a floating IP, an aggregate in a zone, a stack. */
static const char fuzz_os_base[] =
    "{\"projects\":[{\"id\":\"p1\",\"name\":\"shop\",\"enabled\":true}],"
    "\"hypervisors\":[{\"id\":\"hv-uuid-1\",\"hypervisor_hostname\":\"hv-1.example.net\","
    "\"state\":\"up\",\"status\":\"enabled\",\"host_ip\":\"10.0.0.1\","
    "\"service\":{\"host\":\"hv-1\"}}],"
    "\"resource_providers\":[{\"uuid\":\"hv-uuid-1\",\"name\":\"hv-1.example.net\","
    "\"inventories\":{\"VCPU\":{\"total\":32,\"reserved\":2,\"allocation_ratio\":4.0}},"
    "\"usages\":{\"VCPU\":3},\"traits\":[\"HW_CPU_X86_AVX2\"],\"aggregates\":[]}],"
    "\"availabilityZoneInfo\":[{\"zoneName\":\"az1\",\"zoneState\":{\"available\":true},"
    "\"hosts\":{\"hv-1\":{\"nova-compute\":{}}}}],"
    "\"aggregates\":[{\"id\":7,\"name\":\"gpu\",\"availability_zone\":\"az1\","
    "\"hosts\":[\"hv-1\"]}],"
    "\"flavors\":[{\"id\":\"f1\",\"name\":\"m1.small\",\"vcpus\":1,\"ram\":2048,\"disk\":20}],"
    "\"servers\":[{\"id\":\"s1\",\"name\":\"web-1\",\"status\":\"ACTIVE\",\"tenant_id\":\"p1\","
    "\"flavor\":{\"id\":\"f1\"},\"OS-EXT-SRV-ATTR:hypervisor_hostname\":\"hv-1.example.net\","
    "\"OS-EXT-SRV-ATTR:host\":\"hv-1\"}],"
    "\"networks\":[{\"id\":\"n1\",\"name\":\"net\",\"status\":\"ACTIVE\",\"project_id\":\"p1\"}],"
    "\"subnets\":[{\"id\":\"sn1\",\"cidr\":\"10.1.0.0/24\",\"network_id\":\"n1\"}],"
    "\"routers\":[{\"id\":\"r1\",\"name\":\"r\",\"external_gateway_info\":{\"network_id\":\"n1\"}}]"
    ","
    "\"ports\":[{\"id\":\"pt1\",\"device_id\":\"s1\",\"device_owner\":\"compute:nova\","
    "\"network_id\":\"n1\",\"mac_address\":\"fa:16:3e:00:00:01\"}],"
    "\"floatingips\":[{\"id\":\"fip1\",\"floating_ip_address\":\"203.0.113.5\","
    "\"port_id\":\"pt1\",\"router_id\":\"r1\",\"floating_network_id\":\"n1\"}],"
    "\"volumes\":[{\"id\":\"v1\",\"name\":\"data\",\"status\":\"in-use\",\"size\":10,"
    "\"os-vol-host-attr:host\":\"cinder@ceph#ceph\","
    "\"attachments\":[{\"server_id\":\"s1\",\"device\":\"/dev/vdb\"}]}],"
    "\"stacks\":[{\"id\":\"st1\",\"stack_name\":\"shop\",\"stack_status\":\"CREATE_COMPLETE\","
    "\"resources\":[{\"resource_name\":\"server\",\"resource_type\":\"OS::Nova::Server\","
    "\"physical_resource_id\":\"s1\"}]}],"
    "\"deleted_servers\":[],\"missing_ports\":[],\"missing_stacks\":[]}";

static json_t **fuzz_os_member(struct ls_os_inventory *inv, size_t i)
{
    return (json_t **)(void *)((char *)inv + fuzz_os_lists[i].off);
}

/* The base cloud's inventory (borrowed members of a document kept for the process). */
static void fuzz_os_base_inventory(struct ls_os_inventory *inv)
{
    static json_t *base;
    if (base == NULL && (base = ls_json_parse(fuzz_os_base, strlen(fuzz_os_base), NULL)) == NULL)
        abort();
    memset(inv, 0, sizeof(*inv));
    for (size_t i = 0; i < FUZZ_OS_NLISTS; i++)
        *fuzz_os_member(inv, i) = json_object_get(base, fuzz_os_lists[i].key);
}

/* Maps inv under o against g (full: threads, or the pager when paged), checks and prepares. */
static void fuzz_os_map_once(struct ls_graph *g,
                             struct ls_os_inventory *inv,
                             const struct ls_os_map_opts *o,
                             bool paged)
{
    char origin[128];
    ls_os_origin(o->cloud, origin, sizeof(origin));
    struct ls_change_set *cs = ls_change_set_new(origin);
    struct ls_os_pager *pg = NULL;
    struct ls_os_inventory view = *inv;
    struct ls_err err;
    int rc = LS_OK;
    static json_t *empty;
    if (empty == NULL)
        empty = json_array(); /* kept for the process */
    if (paged) {
        pg = ls_os_pager_new(o);
        struct ls_os_page_sink sink;
        ls_os_pager_sink(pg, &sink);
        sink.hypervisors(sink.arg, inv->hypervisors);
        json_t *lists[LS_OS_LONG_LISTS] = {inv->servers, inv->ports, inv->volumes};
        for (int l = 0; l < LS_OS_LONG_LISTS && rc == LS_OK; l++)
            rc = sink.page(sink.arg, (enum ls_os_long_list)l, 0, lists[l], &err);
        view.servers = view.ports = view.volumes = empty;
    }
    json_t *counts = json_object();
    struct ls_snap *snap = ls_graph_snap(g);
    if (rc == LS_OK)
        rc = ls_os_map_paged(&view, pg, o, snap, cs, counts, &err);
    if (!inv->full) {
        struct ls_os_touch touch = {o, snap};
        json_t *providers = json_array(), *port_ids = json_array();
        ls_os_touched(inv->servers, providers, port_ids, &touch);
        json_decref(providers);
        json_decref(port_ids);
    }
    ls_snap_release(snap);
    if (rc == LS_OK)
        fuzz_check_and_prepare(g, cs);
    json_decref(counts);
    ls_os_pager_free(pg);
    ls_change_set_free(cs);
}

/* The graph holding the base cloud, mapped once (a full pass, untagged ids). */
static struct ls_graph *fuzz_os_graph(void)
{
    static struct ls_graph *g;
    if (g != NULL)
        return g;
    g = ls_graph_new(); /* kept for the process */
    struct ls_os_inventory inv;
    fuzz_os_base_inventory(&inv);
    inv.full = true;
    struct ls_os_map_opts o = {.cloud = "fuzz", .tag_ids = false};
    struct ls_change_set *cs = ls_change_set_new("openstack:fuzz");
    struct ls_snap *snap = ls_graph_snap(g);
    struct ls_err err;
    struct ls_prepared *p;
    if (ls_os_map(&inv, &o, snap, cs, NULL, &err) != LS_OK)
        abort();
    ls_snap_release(snap);
    if (ls_graph_prepare(g, cs, 1000000, &p, &err) != LS_OK)
        abort();
    ls_graph_publish(g, p, 1);
    ls_change_set_free(cs);
    return g;
}

/* The target: `key` names the collection the input answers for. */
static inline int fuzz_os_map(const char *key, const uint8_t *data, size_t size)
{
    struct ls_graph *g = fuzz_os_graph();
    json_t *doc = ls_json_parse((const char *)data, size, NULL);
    json_t *items = json_object_get(doc, key);
    if (!json_is_array(items)) { /* collect.c fails such a pass before mapping */
        json_decref(doc);
        return 0;
    }
    struct ls_os_inventory inv;
    fuzz_os_base_inventory(&inv);
    for (size_t i = 0; i < FUZZ_OS_NLISTS; i++)
        if (strcmp(fuzz_os_lists[i].key, key) == 0)
            *fuzz_os_member(&inv, i) = items;
    struct ls_os_map_opts plain = {.cloud = "fuzz", .tag_ids = false};
    struct ls_os_map_opts tagged = {.cloud = "fuzz", .tag_ids = true};
    inv.full = true;
    fuzz_os_map_once(g, &inv, &plain, false);
    fuzz_os_map_once(g, &inv, &plain, true);
    inv.full = false;
    fuzz_os_map_once(g, &inv, &tagged, false);
    json_decref(doc);
    return 0;
}

#endif
