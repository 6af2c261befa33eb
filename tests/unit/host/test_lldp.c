/* importers/host/lldp: lldpcli captures (tests/data/lldp) -> canonical neighbours, and the
 * live path's message when lldpd is not running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "importers/host/lldp.h"
#include "importers/host/topology.h"
#include "tests/unit/host/fixtures.h"

static json_t *parse_fixture(const char *file)
{
    char rel[256];
    size_t len;
    snprintf(rel, sizeof(rel), "lldp/%s", file);
    char *text = fixture_read(rel, &len);
    json_t *out = NULL;
    struct ls_err err;
    assert_int_equal(ls_host_lldp_parse_lldpcli(&out, text, len, &err), LS_OK);
    free(text);
    return out;
}

static const char *member(const json_t *nb, const char *key)
{
    const char *s = json_string_value(json_object_get(nb, key));
    return s ? s : "(absent)";
}

static void test_one_interface_object_gives_one_neighbor(void **state)
{
    (void)state;
    json_t *nbs = parse_fixture("lldpcli_one_neighbor.json");
    assert_int_equal(json_array_size(nbs), 1);
    json_t *nb = json_array_get(nbs, 0);
    assert_string_equal(member(nb, "interface"), "ens1f0");
    assert_string_equal(member(nb, "chassis_id"), "ee:3a:ab:66:a9:ad");
    assert_string_equal(member(nb, "chassis_id_type"), "mac");
    assert_string_equal(member(nb, "system_name"), "leaf-3a");
    assert_string_equal(member(nb, "system_descr"),
                        "Cumulus Linux version 5.4.0 running on Mellanox SN2410");
    assert_string_equal(member(nb, "mgmt_ip"), "192.0.2.10");
    assert_string_equal(member(nb, "port_id"), "ee:3a:ab:66:a9:ad");
    assert_string_equal(member(nb, "port_id_type"), "mac");
    assert_string_equal(member(nb, "port_descr"), "to compute-07 ens1f0");
    assert_int_equal(json_object_size(nb), 9);
    json_decref(nbs);
}

static void test_interface_array_gives_one_neighbor_per_interface(void **state)
{
    (void)state;
    json_t *nbs = parse_fixture("lldpcli_two_neighbors.json");
    assert_int_equal(json_array_size(nbs), 2);
    json_t *a = json_array_get(nbs, 0), *b = json_array_get(nbs, 1);
    assert_string_equal(member(a, "interface"), "ens1f0");
    assert_string_equal(member(a, "port_id"), "swp7");
    assert_string_equal(member(a, "port_id_type"), "ifname");
    assert_string_equal(member(b, "interface"), "ens1f1");
    assert_string_equal(member(b, "port_id"), "swp8");
    assert_string_equal(member(b, "port_descr"), "to compute-07 ens1f1");
    assert_string_equal(member(b, "chassis_id"), "ee:3a:ab:66:a9:ad");
    json_decref(nbs);

    nbs = parse_fixture("lldpcli_switch_side.json");
    assert_int_equal(json_array_size(nbs), 2);
    a = json_array_get(nbs, 0);
    assert_string_equal(member(a, "interface"), "swp7");
    assert_string_equal(member(a, "system_name"), "compute-07.dc1.example.org");
    assert_string_equal(member(a, "chassis_id"), "2e:dd:f1:a4:88:f8");
    assert_string_equal(member(a, "mgmt_ip"), "fe80::2cdd:f1ff:fea4:88f8");
    json_decref(nbs);
}

static void test_unnamed_chassis_keeps_id_and_first_management_address(void **state)
{
    (void)state;
    json_t *nbs = parse_fixture("lldpcli_unnamed_chassis.json");
    assert_int_equal(json_array_size(nbs), 1);
    json_t *nb = json_array_get(nbs, 0);
    assert_string_equal(member(nb, "chassis_id"), "FDO21120U8N");
    assert_string_equal(member(nb, "chassis_id_type"), "local");
    assert_string_equal(member(nb, "system_name"), "(absent)");
    assert_string_equal(member(nb, "mgmt_ip"), "10.20.0.2");
    assert_string_equal(member(nb, "port_id"), "Gi1/0/24");
    json_decref(nbs);
}

static void test_no_neighbors_gives_an_empty_array(void **state)
{
    (void)state;
    const char *text = "{\n  \"lldp\": {}\n}\n";
    json_t *nbs = NULL;
    struct ls_err err;
    assert_int_equal(ls_host_lldp_parse_lldpcli(&nbs, text, strlen(text), &err), LS_OK);
    assert_int_equal(json_array_size(nbs), 0);
    json_decref(nbs);
}

static void test_malformed_captures_are_rejected_with_the_place(void **state)
{
    (void)state;
    json_t *nbs = NULL;
    struct ls_err err;
    const char *text = "{\"lldp\": {\"interface\": ";
    assert_int_equal(ls_host_lldp_parse_lldpcli(&nbs, text, strlen(text), &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_lldp");
    assert_null(nbs);
    text = "{\"lldp\": {\"interface\": {\"eth3\": {\"chassis\": {\"sw\": {\"id\": {\"type\": "
           "\"mac\", \"value\": \"aa\"}}}, \"port\": {}}}}}";
    assert_int_equal(ls_host_lldp_parse_lldpcli(&nbs, text, strlen(text), &err), LS_EINVAL);
    assert_string_equal(err.msg, "lldp interface eth3: port_id missing");
    text = "[1, 2]";
    assert_int_equal(ls_host_lldp_parse_lldpcli(&nbs, text, strlen(text), &err), LS_EINVAL);
    assert_string_equal(err.msg, "lldpcli output: expected an object with member \"lldp\"");
}

static void test_lldpd_not_running_is_unavailable_with_a_clear_message(void **state)
{
    (void)state;
    json_t *nbs = NULL;
    struct ls_err err;
    assert_int_equal(ls_host_lldp_discover(&nbs, "/nonexistent/lldpd.socket", &err), LS_EUNAVAIL);
    assert_string_equal(err.code, "lldpd_unavailable");
    assert_string_equal(err.msg,
                        "lldpd is not running: cannot connect to /nonexistent/lldpd.socket");
    assert_null(nbs);
}

static void test_captured_neighbors_link_the_host_nics_to_switch_ports(void **state)
{
    (void)state;
    json_t *nbs = parse_fixture("lldpcli_two_neighbors.json");
    size_t len;
    char *xml = fixture_read("hwloc/server_io.xml", &len);
    struct ls_host_input in = {.hostname = "compute-07", .xml = xml, .xml_len = len, .lldp = nbs};
    struct ls_change_set *cs = ls_host_change_set_new("compute-07");
    struct ls_host_topo_stats st;
    struct ls_err err;
    assert_int_equal(ls_host_topology_build(cs, &in, NULL, &st, &err), LS_OK);
    assert_int_equal(st.lldp_neighbors, 2);
    assert_int_equal(cs_count_nodes(cs, "switch"), 1);
    assert_int_equal(cs_count_nodes(cs, "switch_port"), 2);
    assert_non_null(cs_edge(cs, "host:nic:compute-07:0000:17:00.0", LS_EDGE_CONNECTED_TO,
                            "lldp:switch_port:ee:3a:ab:66:a9:ad:swp7"));
    assert_string_equal(cs_node(cs, "lldp:switch:ee:3a:ab:66:a9:ad")->name, "leaf-3a");
    ls_change_set_free(cs);
    free(xml);
    json_decref(nbs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_interface_object_gives_one_neighbor),
        cmocka_unit_test(test_interface_array_gives_one_neighbor_per_interface),
        cmocka_unit_test(test_unnamed_chassis_keeps_id_and_first_management_address),
        cmocka_unit_test(test_no_neighbors_gives_an_empty_array),
        cmocka_unit_test(test_malformed_captures_are_rejected_with_the_place),
        cmocka_unit_test(test_lldpd_not_running_is_unavailable_with_a_clear_message),
        cmocka_unit_test(test_captured_neighbors_link_the_host_nics_to_switch_ports),
    };
    return cmocka_run_group_tests_name("host/lldp", tests, NULL, NULL);
}
