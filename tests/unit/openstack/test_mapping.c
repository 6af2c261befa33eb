/* importers/openstack/mapping: OpenStack answers -> change sets, applied to a live graph:
 * ids, edges, placement capacity, old-microversion flavors, incremental moves and deletions,
 * ids tagged with the cloud when several are configured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/json_arena.h"
#include "importers/openstack/mapping.h"
#include "model/node.h"
#include "tests/unit/model/helpers.h"

#define HV1 "hv-1.example.net"
#define S1  "11111111-1111-1111-1111-111111111111"
#define S2  "22222222-2222-2222-2222-222222222222"
#define P1  "aaaaaaaa-0000-0000-0000-000000000001"
#define P2  "aaaaaaaa-0000-0000-0000-000000000002"
#define NET "bbbbbbbb-0000-0000-0000-000000000001"
#define VOL "cccccccc-0000-0000-0000-000000000001"
#define STK "dddddddd-0000-0000-0000-000000000001"
#define RTR "eeeeeeee-0000-0000-0000-000000000001"

static void load(json_t **dst, const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v)
        fail_msg("fixture: %s", je.text);
    json_decref(*dst);
    *dst = v;
}

/* A small cloud as an old (2.1) compute answers it: integer hypervisor ids, flavor ids. */
static void full_inventory(struct ls_os_inventory *inv)
{
    ls_os_inventory_init(inv);
    inv->full = true;
    load(&inv->projects, "[{\"id\":\"p1\",\"name\":\"shop\",\"enabled\":true}]");
    load(
        &inv->hypervisors,
        "[{\"id\":1,\"hypervisor_hostname\":\"" HV1 "\",\"state\":\"up\",\"status\":\"enabled\","
        "\"host_ip\":\"10.0.0.1\",\"service\":{\"host\":\"hv-1\"},\"vcpus\":32},"
        "{\"id\":2,\"hypervisor_hostname\":\"hv-2\",\"state\":\"up\",\"status\":\"disabled\","
        "\"host_ip\":\"10.0.0.2\",\"service\":{\"host\":\"hv-2\",\"disabled_reason\":\"maint\"}}]");
    load(&inv->providers,
         "[{\"uuid\":\"rp-1\",\"name\":\"" HV1 "\",\"parent_provider_uuid\":null,"
         "\"inventories\":{\"VCPU\":{\"total\":32,\"reserved\":2,\"allocation_ratio\":4.0},"
         "\"MEMORY_MB\":{\"total\":65536,\"reserved\":512,\"allocation_ratio\":1.5}},"
         "\"usages\":{\"VCPU\":3,\"MEMORY_MB\":2048},\"traits\":[\"HW_CPU_X86_AVX2\"],"
         "\"aggregates\":[]},"
         "{\"uuid\":\"rp-2\",\"name\":\"hv-2\",\"inventories\":{\"VCPU\":{\"total\":8,"
         "\"reserved\":0,\"allocation_ratio\":1.0}},\"usages\":{\"VCPU\":0}}]");
    load(&inv->zones,
         "[{\"zoneName\":\"internal\",\"zoneState\":{\"available\":true},"
         "\"hosts\":{\"ctl\":{\"nova-conductor\":{}}}},"
         "{\"zoneName\":\"az1\",\"zoneState\":{\"available\":true},"
         "\"hosts\":{\"hv-1\":{\"nova-compute\":{}},\"hv-2\":{\"nova-compute\":{}}}}]");
    load(&inv->aggregates, "[{\"id\":7,\"name\":\"gpu\",\"availability_zone\":\"az1\","
                           "\"hosts\":[\"hv-2\"],\"metadata\":{\"gpu\":\"true\"}}]");
    load(&inv->flavors, "[{\"id\":\"f1\",\"name\":\"m1.small\",\"vcpus\":1,\"ram\":2048,"
                        "\"disk\":20,\"OS-FLV-EXT-DATA:ephemeral\":0,\"swap\":\"\"}]");
    load(&inv->servers,
         "[{\"id\":\"" S1 "\",\"name\":\"web-1\",\"status\":\"ACTIVE\",\"tenant_id\":\"p1\","
         "\"flavor\":{\"id\":\"f1\"},\"OS-EXT-SRV-ATTR:hypervisor_hostname\":\"" HV1 "\","
         "\"OS-EXT-SRV-ATTR:host\":\"hv-1\",\"OS-EXT-SRV-ATTR:instance_name\":\"instance-0001\"},"
         "{\"id\":\"" S2 "\",\"name\":\"web-2\",\"status\":\"SHUTOFF\",\"tenant_id\":\"p1\","
         "\"flavor\":{\"id\":\"f1\"},\"OS-EXT-SRV-ATTR:hypervisor_hostname\":\"hv-2\"}]");
    load(&inv->networks, "[{\"id\":\"" NET "\",\"name\":\"net\",\"status\":\"ACTIVE\","
                         "\"project_id\":\"p1\",\"mtu\":1450}]");
    load(&inv->subnets,
         "[{\"id\":\"sn1\",\"name\":\"\",\"cidr\":\"10.1.0.0/24\",\"network_id\":\"" NET "\"}]");
    load(&inv->routers, "[{\"id\":\"" RTR "\",\"name\":\"r\",\"status\":\"ACTIVE\","
                        "\"external_gateway_info\":{\"network_id\":\"" NET "\"}}]");
    load(&inv->ports,
         "[{\"id\":\"" P1 "\",\"name\":\"\",\"status\":\"ACTIVE\",\"device_id\":\"" S1 "\","
         "\"device_owner\":\"compute:nova\",\"network_id\":\"" NET "\","
         "\"mac_address\":\"fa:16:3e:00:00:01\",\"binding:host_id\":\"hv-1\"},"
         "{\"id\":\"" P2 "\",\"name\":\"rtr-if\",\"status\":\"ACTIVE\",\"device_id\":\"" RTR "\","
         "\"device_owner\":\"network:router_interface\",\"network_id\":\"" NET "\","
         "\"binding:host_id\":\"hv-1\"}]");
    load(&inv->volumes, "[{\"id\":\"" VOL "\",\"name\":\"data\",\"status\":\"in-use\",\"size\":10,"
                        "\"os-vol-host-attr:host\":\"cinder@ceph#ceph\","
                        "\"os-vol-tenant-attr:tenant_id\":\"p1\","
                        "\"attachments\":[{\"server_id\":\"" S1 "\",\"device\":\"/dev/vdb\"}]}]");
    load(&inv->stacks,
         "[{\"id\":\"" STK "\",\"stack_name\":\"shop\",\"stack_status\":\"CREATE_COMPLETE\","
         "\"project\":\"p1\",\"resources\":[{\"resource_name\":\"server\","
         "\"resource_type\":\"OS::Nova::Server\",\"physical_resource_id\":\"" S1 "\","
         "\"resource_status\":\"CREATE_COMPLETE\",\"links\":[{\"rel\":\"stack\","
         "\"href\":\"http://heat/v1/p1/stacks/shop/" STK "\"}]}]}]");
}

static struct ls_graph *g;

static int setup(void **state)
{
    (void)state;
    g = ls_graph_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ls_graph_free(g);
    return 0;
}

static void map_apply(struct ls_os_inventory *inv, const struct ls_os_map_opts *o)
{
    char origin[128];
    ls_os_origin(o->cloud, origin, sizeof(origin));
    struct ls_change_set *cs = ls_change_set_new(origin);
    struct ls_snap *s = ls_graph_snap(g);
    struct ls_err err;
    if (ls_os_map(inv, o, s, cs, NULL, &err) != LS_OK)
        fail_msg("map: %s", err.msg);
    ls_snap_release(s);
    if (apply_set(g, cs, &err) != LS_OK)
        fail_msg("apply: %s", err.msg);
    ls_change_set_free(cs);
    ls_os_inventory_cleanup(inv);
}

static const struct ls_node *node(const char *id)
{
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_node *n = ls_snap_node(s, id);
    ls_snap_release(s); /* one writer, this thread: versions stay alive */
    return n;
}

static bool has_edge(const char *src, enum ls_edge_type t, const char *dst)
{
    struct ls_snap *s = ls_graph_snap(g);
    bool ok = ls_snap_edge(s, src, t, dst) != NULL;
    ls_snap_release(s);
    return ok;
}

static void test_full_pass_nodes_edges_and_capacity(void **state)
{
    (void)state;
    struct ls_os_inventory inv;
    full_inventory(&inv);
    struct ls_os_map_opts o = {"c1", false};
    map_apply(&inv, &o);
    const struct ls_node *hv = node("nova:hypervisor:" HV1);
    assert_non_null(hv);
    assert_string_equal(hv->state, "up");
    assert_string_equal(hv->source, "openstack:c1");
    /* (32 - 2) x 4 = 120 vCPU, 120 - 3 free; (65536 - 512) x 1.5 = 97536 MB */
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hv->attrs, "capacity"), "VCPU")), 120);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hv->attrs, "free"), "VCPU")), 117);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hv->attrs, "capacity"), "MEMORY_MB")),
        97536);
    assert_string_equal(node("nova:hypervisor:hv-2")->state, "disabled");
    const struct ls_node *vm = node("nova:instance:" S1);
    assert_non_null(vm);
    json_t *fl = json_object_get(vm->attrs, "flavor");
    assert_string_equal(json_string_value(json_object_get(fl, "name")), "m1.small");
    assert_int_equal(json_integer_value(json_object_get(fl, "ram_mb")), 2048);
    assert_string_equal(json_string_value(json_array_get(json_object_get(vm->attrs, "aliases"), 0)),
                        "instance-0001");
    assert_true(has_edge("nova:instance:" S1, LS_EDGE_RUNS_ON, "nova:hypervisor:" HV1));
    assert_true(has_edge("nova:instance:" S2, LS_EDGE_RUNS_ON, "nova:hypervisor:hv-2"));
    assert_true(has_edge("nova:instance:" S1, LS_EDGE_MEMBER_OF, "keystone:project:p1"));
    assert_true(has_edge("neutron:port:" P1, LS_EDGE_ATTACHED_TO, "nova:instance:" S1));
    assert_true(has_edge("neutron:port:" P1, LS_EDGE_MEMBER_OF, "neutron:network:" NET));
    /* a VM's port reaches the host through the VM; a router port has its own binding edge */
    assert_false(has_edge("neutron:port:" P1, LS_EDGE_CONNECTED_TO, "nova:hypervisor:" HV1));
    assert_true(has_edge("neutron:port:" P2, LS_EDGE_CONNECTED_TO, "nova:hypervisor:" HV1));
    assert_true(has_edge("neutron:port:" P2, LS_EDGE_ATTACHED_TO, "neutron:router:" RTR));
    assert_true(has_edge("neutron:router:" RTR, LS_EDGE_CONNECTED_TO, "neutron:network:" NET));
    assert_true(has_edge("neutron:subnet:sn1", LS_EDGE_MEMBER_OF, "neutron:network:" NET));
    assert_true(has_edge("cinder:volume:" VOL, LS_EDGE_ATTACHED_TO, "nova:instance:" S1));
    assert_true(
        has_edge("cinder:volume:" VOL, LS_EDGE_RUNS_ON, "cinder:volume_backend:cinder@ceph#ceph"));
    assert_true(has_edge("nova:hypervisor:" HV1, LS_EDGE_MEMBER_OF, "nova:availability_zone:az1"));
    assert_true(has_edge("nova:hypervisor:hv-2", LS_EDGE_MEMBER_OF, "nova:aggregate:7"));
    assert_true(has_edge("nova:aggregate:7", LS_EDGE_MEMBER_OF, "nova:availability_zone:az1"));
    assert_null(node("nova:availability_zone:internal"));
    char res[160];
    snprintf(res, sizeof(res), "heat:stack_resource:%s:server", STK);
    assert_true(has_edge("heat:stack:" STK, LS_EDGE_CONTAINS, res));
    assert_true(has_edge(res, LS_EDGE_USES, "nova:instance:" S1));
    assert_string_equal(node("neutron:port:" P1)->name, "tapaaaaaaaa-00");
}

/* The small cloud as compute >= 2.47 answers it (servers carry their flavor), with enough
 * servers, ports and volumes for several pages of 2. */
static void paged_inventory(struct ls_os_inventory *inv)
{
    full_inventory(inv);
    json_array_clear(inv->flavors);
    json_t *flavor = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:{s:s}}", "original_name",
                               "m1.small", "vcpus", 1, "ram", 2048, "disk", 20, "ephemeral", 0,
                               "swap", 0, "extra_specs", "hw:cpu_policy", "dedicated");
    size_t i;
    json_t *sv;
    json_array_foreach(inv->servers, i, sv) json_object_set(sv, "flavor", flavor);
    for (int k = 0; k < 5; k++) {
        char id[64], port[64], vol[64];
        snprintf(id, sizeof(id), "33333333-0000-0000-0000-%012d", k);
        snprintf(port, sizeof(port), "aaaaaaaa-1111-0000-0000-%012d", k);
        snprintf(vol, sizeof(vol), "cccccccc-1111-0000-0000-%012d", k);
        json_array_append_new(
            inv->servers,
            json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:{s:[{s:s, s:s}]}, s:[{s:s}]}", "id", id,
                      "name", "app", "status", "ACTIVE", "tenant_id", "p1", "flavor", flavor,
                      "OS-EXT-SRV-ATTR:host", k % 2 ? "hv-1" : "hv-2", "addresses", "net", "addr",
                      "10.1.0.9", "OS-EXT-IPS:type", "fixed",
                      "os-extended-volumes:volumes_attached", "id", vol));
        json_array_append_new(inv->ports,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s}]}", "id", port,
                                        "device_id", id, "device_owner", "compute:az1",
                                        "network_id", NET, "binding:host_id", "hv-1", "fixed_ips",
                                        "ip_address", "10.1.0.9"));
        json_array_append_new(inv->volumes,
                              json_pack("{s:s, s:s, s:i, s:s, s:[{s:s, s:s}]}", "id", vol, "status",
                                        "in-use", "size", k + 1, "os-vol-host-attr:host",
                                        "cinder@ceph#ceph", "attachments", "server_id", id,
                                        "device", "/dev/vdc"));
    }
    json_decref(flavor);
}

static void assert_same_change(const struct ls_change *a, const struct ls_change *b)
{
    assert_int_equal(a->kind, b->kind);
    const char *const sa[] = {a->id, a->type, a->name, a->state, a->src, a->dst};
    const char *const sb[] = {b->id, b->type, b->name, b->state, b->src, b->dst};
    for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++) {
        assert_true((sa[i] == NULL) == (sb[i] == NULL));
        if (sa[i])
            assert_string_equal(sa[i], sb[i]);
    }
    assert_int_equal(a->etype, b->etype);
    if (a->kind == LS_CH_EDGE_PUT) {
        assert_int_equal(a->esource, b->esource);
        assert_true(a->weight == b->weight);
    }
    assert_true((a->attrs == NULL) == (b->attrs == NULL));
    if (a->attrs && !json_equal(a->attrs, b->attrs)) {
        char *x = json_dumps(a->attrs, JSON_SORT_KEYS), *y = json_dumps(b->attrs, JSON_SORT_KEYS);
        fail_msg("%s: attrs differ:\n  %s\n  %s", a->id ? a->id : a->src, x, y);
    }
}

/* The long lists mapped page by page as they are read (the pager) give the set the whole
 * lists mapped at the end give: the same changes in the same order, whatever order the pages
 * came in. Each page is parsed in a region that the next page overwrites, as the collector
 * does: anything the set shared with an answer instead of copying it would differ. */
static void test_paged_long_lists_map_as_the_whole_lists_do(void **state)
{
    (void)state;
    struct ls_os_inventory whole, paged;
    paged_inventory(&whole);
    paged_inventory(&paged);
    struct ls_os_map_opts o = {"c1", false};
    struct ls_snap *snap = ls_graph_snap(g);
    struct ls_err err;
    struct ls_change_set *want = ls_change_set_new("openstack:c1");
    assert_int_equal(ls_os_map(&whole, &o, snap, want, NULL, &err), LS_OK);

    struct ls_os_pager *pager = ls_os_pager_new(&o);
    struct ls_os_page_sink sink;
    ls_os_pager_sink(pager, &sink);
    sink.hypervisors(sink.arg, paged.hypervisors);
    struct ls_json_arena *region = ls_json_arena_new(1 << 20);
    assert_non_null(region);
    json_t **lists[LS_OS_LONG_LISTS] = {&paged.servers, &paged.ports, &paged.volumes};
    for (int l = LS_OS_LONG_LISTS - 1; l >= 0; l--) { /* last list and page first */
        size_t n = json_array_size(*lists[l]), pages = (n + 1) / 2;
        for (size_t seq = pages; seq-- > 0;) {
            json_t *page = json_array();
            for (size_t i = seq * 2; i < n && i < seq * 2 + 2; i++)
                json_array_append(page, json_array_get(*lists[l], i));
            char *text = json_dumps(page, 0);
            json_decref(page);
            ls_json_arena_use(region);
            json_error_t je;
            json_t *items = json_loads(text, 0, &je);
            ls_json_arena_use(NULL);
            free(text);
            assert_non_null(items);
            assert_true(ls_json_arena_used(region) > 0); /* parsed in the region */
            assert_int_equal(sink.page(sink.arg, (enum ls_os_long_list)l, seq, items, &err), LS_OK);
            ls_json_arena_drop(region, items); /* (poisoned under ASan: a read is an error) */
        }
        json_array_clear(*lists[l]);
    }
    ls_json_arena_free(region);
    struct ls_change_set *got = ls_change_set_new("openstack:c1");
    assert_int_equal(ls_os_map_paged(&paged, pager, &o, snap, got, NULL, &err), LS_OK);
    ls_os_pager_free(pager);
    ls_snap_release(snap);
    assert_true(ls_change_set_count(want) > 40);
    assert_int_equal(ls_change_set_count(got), ls_change_set_count(want));
    for (size_t i = 0; i < ls_change_set_count(want); i++)
        assert_same_change(ls_change_set_at(got, i), ls_change_set_at(want, i));
    ls_change_set_free(want);
    ls_change_set_free(got);
    ls_os_inventory_cleanup(&whole);
    ls_os_inventory_cleanup(&paged);
}

static void test_incremental_moves_and_deletes_and_a_full_pass_sweeps(void **state)
{
    (void)state;
    struct ls_os_inventory inv;
    struct ls_os_map_opts o = {"c1", false};
    full_inventory(&inv);
    map_apply(&inv, &o);
    /* S1 live-migrated to hv-2 (its port follows), S2 deleted, P2 gone */
    ls_os_inventory_init(&inv);
    load(&inv.servers,
         "[{\"id\":\"" S1 "\",\"name\":\"web-1\",\"status\":\"ACTIVE\",\"tenant_id\":\"p1\","
         "\"OS-EXT-SRV-ATTR:hypervisor_hostname\":\"hv-2\"}]");
    load(&inv.ports, "[{\"id\":\"" P1 "\",\"status\":\"ACTIVE\",\"device_id\":\"" S1 "\","
                     "\"device_owner\":\"compute:nova\",\"network_id\":\"" NET
                     "\",\"binding:host_id\":\"hv-2\"}]");
    load(&inv.deleted_servers, "[\"" S2 "\"]");
    load(&inv.missing_ports, "[\"" P2 "\"]");
    /* the placement usages of the host it left, re-read: free follows from the stored capacity */
    load(&inv.providers, "[{\"uuid\":\"rp-1\",\"hypervisor\":\"nova:hypervisor:" HV1 "\","
                         "\"usages\":{\"VCPU\":10,\"MEMORY_MB\":0}}]");
    map_apply(&inv, &o);
    const struct ls_node *hv = node("nova:hypervisor:" HV1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hv->attrs, "free"), "VCPU")), 110);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hv->attrs, "usages"), "VCPU")), 10);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hv->attrs, "capacity"), "VCPU")), 120);
    assert_true(has_edge("nova:instance:" S1, LS_EDGE_RUNS_ON, "nova:hypervisor:hv-2"));
    assert_false(has_edge("nova:instance:" S1, LS_EDGE_RUNS_ON, "nova:hypervisor:" HV1));
    assert_string_equal(
        json_string_value(json_object_get(node("neutron:port:" P1)->attrs, "binding:host_id")),
        "hv-2");
    assert_true(has_edge("nova:instance:" S1, LS_EDGE_MEMBER_OF, "keystone:project:p1"));
    assert_null(node("nova:instance:" S2));
    assert_null(node("neutron:port:" P2));
    assert_non_null(node("cinder:volume:" VOL)); /* untouched by the incremental pass */
    /* an event named the stack and it is no longer listed: the stack and its resources go */
    ls_os_inventory_init(&inv);
    load(&inv.missing_stacks, "[\"" STK "\"]");
    map_apply(&inv, &o);
    assert_null(node("heat:stack:" STK));
    assert_null(node("heat:stack_resource:" STK ":server"));
    /* a server on a hypervisor the graph does not know: no edge, and the caller is told */
    ls_os_inventory_init(&inv);
    load(&inv.servers, "[{\"id\":\"" S1 "\",\"name\":\"web-1\",\"status\":\"ACTIVE\","
                       "\"OS-EXT-SRV-ATTR:hypervisor_hostname\":\"hv-new\"}]");
    struct ls_change_set *cs = ls_change_set_new("openstack:c1");
    json_t *facts = json_object();
    struct ls_snap *snap = ls_graph_snap(g);
    struct ls_err err;
    assert_int_equal(ls_os_map(&inv, &o, snap, cs, facts, &err), LS_OK);
    ls_snap_release(snap);
    assert_int_equal(json_integer_value(json_object_get(facts, "unknown_hypervisor")), 1);
    json_decref(facts);
    ls_change_set_free(cs);
    ls_os_inventory_cleanup(&inv);
    /* a full pass without the volume: swept */
    full_inventory(&inv);
    load(&inv.volumes, "[]");
    map_apply(&inv, &o);
    assert_null(node("cinder:volume:" VOL));
    assert_non_null(node("nova:instance:" S2)); /* the full view has it again */
}

static void test_two_clouds_tag_ids_and_keep_the_native_id_as_an_alias(void **state)
{
    (void)state;
    struct ls_os_inventory inv;
    struct ls_os_map_opts east = {"east", true}, west = {"west", true};
    full_inventory(&inv);
    map_apply(&inv, &east);
    full_inventory(&inv);
    map_apply(&inv, &west);
    const struct ls_node *a = node("nova@east:instance:" S1), *b = node("nova@west:instance:" S1);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->source, "openstack:east");
    json_t *al = json_object_get(a->attrs, "aliases");
    assert_string_equal(json_string_value(json_array_get(al, 1)), S1);
    assert_true(has_edge("nova@west:instance:" S1, LS_EDGE_RUNS_ON, "nova@west:hypervisor:" HV1));
    assert_null(node("nova:instance:" S1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_pass_nodes_edges_and_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paged_long_lists_map_as_the_whole_lists_do, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incremental_moves_and_deletes_and_a_full_pass_sweeps,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_clouds_tag_ids_and_keep_the_native_id_as_an_alias,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("openstack/mapping", tests, NULL, NULL);
}
