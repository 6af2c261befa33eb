/* importers/host/ingest against a real private Postgres: a host's first post, a re-post with
 * a NIC removed (history shows it), isolation between hosts, the agent document, the join,
 * and bad input that changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importers/host/ingest.h"
#include "tests/support/pg_harness.h"
#include "tests/unit/host/fixtures.h"

struct fx {
    struct ls_store *store;
    struct ls_graph *g;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->store = ls_harness_new_store();
    f->g = ls_graph_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ls_graph_free(f->g);
    ls_store_close(f->store);
    free(f);
    return 0;
}

static uint64_t put_text(struct fx *f,
                         const char *host,
                         enum ls_host_body kind,
                         const char *body,
                         struct ls_host_put_result *res)
{
    struct ls_host_put_result r;
    struct ls_err err;
    int rc = ls_host_ingest(f->store, f->g, host, kind, body, strlen(body), NULL, &r, &err);
    if (rc != LS_OK)
        fail_msg("ingest %s: %s", host, err.msg);
    if (res)
        *res = r;
    return r.revision;
}

static uint64_t put_xml(struct fx *f, const char *host, const char *file)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "hwloc/%s", file);
    char *xml = fixture_read(rel, NULL);
    uint64_t rev = put_text(f, host, LS_HOST_BODY_XML, xml, NULL);
    free(xml);
    return rev;
}

/* Nodes alive now whose source is "host:<host>". */
static size_t host_nodes(struct fx *f, const char *host)
{
    char src[300];
    snprintf(src, sizeof(src), "host:%s", host);
    struct ls_node_filter flt = {.layer = -1, .source = src};
    const struct ls_node *page[256];
    size_t n, total = 0;
    bool more = true;
    const char *after = NULL;
    struct ls_snap *s = ls_graph_snap(f->g);
    while (more) {
        assert_int_equal(ls_snap_list_nodes(s, &flt, after, 256, page, &n, &more, NULL), LS_OK);
        total += n;
        if (n)
            after = page[n - 1]->id;
    }
    ls_snap_release(s);
    return total;
}

/* server_io.xml without the vfio-bound E810 (a PCI function with no OS device). */
static char *server_io_without_e810(void)
{
    char *xml = fixture_read("hwloc/server_io.xml", NULL);
    char *at = strstr(xml, "pci_busid=\"0000:b2:00.0\"");
    assert_non_null(at);
    char *start = at;
    while (strncmp(start, "<object", 7) != 0)
        start--;
    char *end = strstr(at, "</object>");
    assert_non_null(end);
    end += strlen("</object>");
    memmove(start, end, strlen(end) + 1);
    return xml;
}

static void test_repost_without_a_nic_deletes_it_and_history_shows_it(void **state)
{
    struct fx *f = *state;
    uint64_t r1 = put_xml(f, "compute-07", "server_io.xml");
    assert_true(r1 > 0);
    assert_int_equal(host_nodes(f, "compute-07"), 20);
    const char *nic = "host:nic:compute-07:0000:b2:00.0";

    char *xml = server_io_without_e810();
    struct ls_host_put_result res;
    uint64_t r2 = put_text(f, "compute-07", LS_HOST_BODY_XML, xml, &res);
    free(xml);
    assert_int_equal(r2, r1 + 1);
    assert_int_equal(res.stats.nodes, 19);
    assert_int_equal(host_nodes(f, "compute-07"), 19);
    struct ls_snap *s = ls_graph_snap(f->g);
    assert_null(ls_snap_node(s, nic));
    assert_null(ls_snap_edge(s, "host:machine:compute-07", LS_EDGE_CONTAINS, nic));
    assert_int_equal(ls_snap_edge_count(s), 18);
    ls_snap_release(s);

    json_t *h = NULL;
    struct ls_err err;
    assert_int_equal(ls_store_node_history(f->store, nic, 10, &h, &err), LS_OK);
    json_t *versions = json_object_get(h, "versions");
    assert_int_equal(json_array_size(versions), 1);
    json_t *v = json_array_get(versions, 0);
    assert_true(json_is_string(json_object_get(v, "valid_to")));
    assert_string_equal(json_string_value(json_object_get(v, "source")), "host:compute-07");
    json_t *edges = json_object_get(h, "edges");
    assert_int_equal(json_array_size(edges), 1);
    assert_true(json_is_string(json_object_get(json_array_get(edges, 0), "valid_to")));
    json_decref(h);

    /* the same post again changes nothing */
    xml = server_io_without_e810();
    assert_int_equal(put_text(f, "compute-07", LS_HOST_BODY_XML, xml, NULL), r2);
    free(xml);
}

static void test_a_post_for_host_a_never_touches_host_b(void **state)
{
    struct fx *f = *state;
    put_xml(f, "a", "synth_2pack_2numa.xml");
    put_xml(f, "b", "vm.xml");
    assert_int_equal(host_nodes(f, "a"), 39);
    assert_int_equal(host_nodes(f, "b"), 7);
    struct ls_snap *s = ls_graph_snap(f->g);
    uint64_t b_rev = ls_snap_node(s, "host:machine:b")->revision;
    uint64_t b_core = ls_snap_node(s, "host:core:b:1")->revision;
    ls_snap_release(s);

    put_xml(f, "a", "synth_flat.xml"); /* a shrinks from 39 to 6 nodes */
    assert_int_equal(host_nodes(f, "a"), 6);
    assert_int_equal(host_nodes(f, "b"), 7);
    s = ls_graph_snap(f->g);
    assert_int_equal(ls_snap_node(s, "host:machine:b")->revision, b_rev);
    assert_int_equal(ls_snap_node(s, "host:core:b:1")->revision, b_core);
    assert_null(ls_snap_node(s, "host:socket:a:0"));
    assert_int_equal(ls_snap_node_count(s), 13);
    ls_snap_release(s);
}

static void test_agent_document_brings_nic_facts_and_lldp_neighbours(void **state)
{
    struct fx *f = *state;
    char *xml = fixture_read("hwloc/server_io.xml", NULL);
    json_t *doc = json_pack("{s:s,s:s,s:s,s:{s:{s:i,s:i,s:i,s:s}},s:[{s:s,s:s,s:s,s:s}],s:s}",
                            "hostname", "compute-07", "fqdn", "compute-07.dc1.example.org",
                            "hwloc_xml", xml, "nics", "ens1f0", "speed_mbps", 25000,
                            "sriov_totalvfs", 32, "sriov_numvfs", 4, "operstate", "up", "lldp",
                            "interface", "ens1f0", "chassis_id", "ee:3a:ab:66:a9:ad", "port_id",
                            "swp7", "system_name", "leaf-3a", "lldp_status", "ok");
    char *body = json_dumps(doc, JSON_COMPACT);
    struct ls_host_put_result res;
    put_text(f, "compute-07", LS_HOST_BODY_AGENT, body, &res);
    assert_int_equal(res.stats.nodes, 22);
    assert_int_equal(res.stats.lldp_neighbors, 1);
    assert_string_equal(res.lldp_status, "ok");
    struct ls_snap *s = ls_graph_snap(f->g);
    const struct ls_node *nic = ls_snap_node(s, "host:nic:compute-07:0000:17:00.0");
    assert_non_null(nic);
    assert_string_equal(nic->state, "up");
    assert_int_equal(json_integer_value(json_object_get(nic->attrs, "sriov_numvfs")), 4);
    assert_non_null(ls_snap_edge(s, "host:nic:compute-07:0000:17:00.0", LS_EDGE_CONNECTED_TO,
                                 "lldp:switch_port:ee:3a:ab:66:a9:ad:swp7"));
    const struct ls_node *sw = ls_snap_node(s, "lldp:switch:ee:3a:ab:66:a9:ad");
    assert_string_equal(sw->source, "lldp");
    const struct ls_node *m = ls_snap_node(s, "host:machine:compute-07");
    assert_string_equal(json_string_value(json_object_get(m->attrs, "fqdn")),
                        "compute-07.dc1.example.org");
    ls_snap_release(s);

    json_t *rj = ls_host_put_result_json("compute-07", &res);
    assert_int_equal(json_integer_value(json_object_get(rj, "nodes")), 22);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rj, "lldp"), "status")),
                        "ok");
    json_decref(rj);
    free(body);
    json_decref(doc);
    free(xml);
}

static void test_bad_bodies_are_rejected_and_change_nothing(void **state)
{
    struct fx *f = *state;
    uint64_t r1 = put_xml(f, "h1", "vm.xml");
    struct ls_host_put_result res;
    struct ls_err err;
    const char *mismatch = "{\"hostname\":\"h2\",\"hwloc_xml\":\"<x/>\"}";
    assert_int_equal(ls_host_ingest(f->store, f->g, "h1", LS_HOST_BODY_AGENT, mismatch,
                                    strlen(mismatch), NULL, &res, &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "hostname_mismatch");
    const char *noxml = "{\"hostname\":\"h1\"}";
    assert_int_equal(ls_host_ingest(f->store, f->g, "h1", LS_HOST_BODY_AGENT, noxml, strlen(noxml),
                                    NULL, &res, &err),
                     LS_EINVAL);
    assert_string_equal(err.msg, "hwloc_xml: expected a string (hwloc-ls --of xml output)");
    const char *badjson = "{\"hostname\":";
    assert_int_equal(ls_host_ingest(f->store, f->g, "h1", LS_HOST_BODY_AGENT, badjson,
                                    strlen(badjson), NULL, &res, &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "invalid_json");
    const char *badxml = "<topology><nope/>";
    assert_int_equal(ls_host_ingest(f->store, f->g, "h1", LS_HOST_BODY_XML, badxml, strlen(badxml),
                                    NULL, &res, &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "invalid_topology");
    assert_int_equal(ls_host_ingest(f->store, f->g, "h/1", LS_HOST_BODY_XML, badxml, strlen(badxml),
                                    NULL, &res, &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "invalid_hostname");
    enum ls_host_body kind;
    assert_int_equal(ls_host_body_kind("text/plain", &kind, &err), LS_EINVAL);
    assert_string_equal(err.code, "unsupported_media_type");
    assert_int_equal(ls_host_body_kind("application/xml; charset=utf-8", &kind, &err), LS_OK);
    assert_int_equal(kind, LS_HOST_BODY_XML);
    struct ls_snap *s = ls_graph_snap(f->g);
    assert_int_equal(ls_snap_revision(s), r1);
    assert_int_equal(ls_snap_node_count(s), 7);
    ls_snap_release(s);
}

static void test_machine_post_joins_the_existing_hypervisor(void **state)
{
    struct fx *f = *state;
    struct ls_change_set *cs = ls_change_set_new("openstack:test");
    assert_int_equal(ls_change_put_node_new(cs, "nova:hypervisor:vm.example.org", "hypervisor",
                                            "vm.example.org", "up", NULL, NULL, NULL),
                     LS_OK);
    struct ls_err err;
    assert_int_equal(ls_store_apply(f->store, f->g, cs, NULL, &err), LS_OK);
    ls_change_set_free(cs);

    char *xml = fixture_read("hwloc/vm.xml", NULL);
    struct ls_host_put_result res;
    put_text(f, "vm", LS_HOST_BODY_XML, xml, &res);
    free(xml);
    assert_int_equal(res.joins, 1);
    struct ls_snap *s = ls_graph_snap(f->g);
    const struct ls_edge *e =
        ls_snap_edge(s, "nova:hypervisor:vm.example.org", LS_EDGE_RUNS_ON, "host:machine:vm");
    assert_non_null(e);
    assert_int_equal(e->esource, LS_ESRC_INFERRED);
    ls_snap_release(s);
}

static void test_bulk_file_applies_whole_or_not_at_all(void **state)
{
    struct fx *f = *state;
    uint64_t r1 = put_xml(f, "h1", "vm.xml");
    const char *bad = "nodes:\n"
                      "  - {type: row, name: A}\n"
                      "  - {type: rack, name: R1}\n"
                      "edges:\n"
                      "  - {src: 'manual:row:A', type: contains, dst: 'manual:rack:R1'}\n"
                      "  - {src: 'manual:rack:R1', type: contains, dst: 'host:machine:h9'}\n";
    struct ls_host_bulk_result res;
    struct ls_err err;
    assert_int_equal(ls_host_bulk_apply(f->store, f->g, LS_BULK_YAML, bad, strlen(bad), &res, &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "dangling_edge");
    assert_string_equal(err.msg, "edges[1] (line 6): dst 'host:machine:h9' names no node in the "
                                 "file or the graph");
    struct ls_snap *s = ls_graph_snap(f->g);
    assert_int_equal(ls_snap_revision(s), r1);
    assert_null(ls_snap_node(s, "manual:row:A"));
    ls_snap_release(s);

    const char *good = "nodes:\n"
                       "  - {type: row, name: A}\n"
                       "  - {type: rack, name: R1}\n"
                       "  - {id: 'nova:hypervisor:h1', type: hypervisor, name: h1}\n"
                       "edges:\n"
                       "  - {src: 'manual:row:A', type: contains, dst: 'manual:rack:R1'}\n"
                       "  - {src: 'manual:rack:R1', type: contains, dst: 'host:machine:h1'}\n";
    assert_int_equal(
        ls_host_bulk_apply(f->store, f->g, LS_BULK_YAML, good, strlen(good), &res, &err), LS_OK);
    assert_int_equal(res.revision, r1 + 1);
    assert_int_equal(res.nodes, 3);
    assert_int_equal(res.edges, 2);
    assert_int_equal(res.joins, 1);
    s = ls_graph_snap(f->g);
    assert_non_null(ls_snap_edge(s, "manual:rack:R1", LS_EDGE_CONTAINS, "host:machine:h1"));
    assert_non_null(ls_snap_edge(s, "nova:hypervisor:h1", LS_EDGE_RUNS_ON, "host:machine:h1"));
    assert_string_equal(ls_snap_node(s, "manual:rack:R1")->source, "manual");
    ls_snap_release(s);
    /* the host re-posts: its machine and the manual rack edge stay */
    put_xml(f, "h1", "vm.xml");
    s = ls_graph_snap(f->g);
    assert_non_null(ls_snap_edge(s, "manual:rack:R1", LS_EDGE_CONTAINS, "host:machine:h1"));
    ls_snap_release(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_repost_without_a_nic_deletes_it_and_history_shows_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_post_for_host_a_never_touches_host_b, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_agent_document_brings_nic_facts_and_lldp_neighbours,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bodies_are_rejected_and_change_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_machine_post_joins_the_existing_hypervisor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bulk_file_applies_whole_or_not_at_all, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("host/ingest", tests, ls_harness_group_setup,
                                       ls_harness_group_teardown);
}
