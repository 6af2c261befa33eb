/* The agent against the real landscaped on loopback (tests/support/service.h) with a private
 * Postgres: first post, no re-post without a change, re-post after a NIC is removed (history
 * shows it), host A never touches host B, lldpd absent is reported and the rest works, and a
 * rejected post carries the server's message. The topology comes from a fixture file and the
 * NIC facts from a fake sysfs tree, so the test does not depend on this machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "importers/host/agent.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/unit/host/fixtures.h"

struct fx {
    struct ls_service svc;
    char dir[512];
    char xml[600];
    char sysfs[600];
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A fake /sys with one interface, ens1f0: 25G, up, SR-IOV 64 total / 8 enabled. */
static void make_sysfs(const char *root)
{
    char p[900];
    const char *dirs[] = {"", "/class", "/class/net", "/class/net/ens1f0",
                          "/class/net/ens1f0/device"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
        mkdir(p, 0755);
    }
    const char *files[][2] = {{"speed", "25000\n"},
                              {"operstate", "up\n"},
                              {"mtu", "9000\n"},
                              {"address", "3c:fd:fe:a0:00:01\n"},
                              {"device/sriov_totalvfs", "64\n"},
                              {"device/sriov_numvfs", "8\n"}};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/class/net/ens1f0/%s", root, files[i][0]);
        write_file(p, files[i][1]);
    }
}

static int setup(void **state)
{
    static int n;
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/agent%d", ls_harness_dir(), n++);
    mkdir(f->dir, 0755);
    snprintf(f->xml, sizeof(f->xml), "%s/topology.xml", f->dir);
    snprintf(f->sysfs, sizeof(f->sysfs), "%s/sys", f->dir);
    make_sysfs(f->sysfs);
    if (ls_service_start(&f->svc, ls_harness_new_db(), NULL) != 0)
        fail_msg("landscaped did not start");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    assert_int_equal(ls_service_stop(&f->svc), 0);
    free(f);
    return 0;
}

static void agent_opts(struct fx *f, struct ls_agent_opts *o, const char *host)
{
    ls_agent_opts_init(o);
    o->server = f->svc.base;
    o->hostname = host;
    o->xml_file = f->xml;
    o->sysfs_root = f->sysfs;
    o->lldp_socket = "/nonexistent/lldpd.socket";
}

static void set_topology(struct fx *f, const char *fixture)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "hwloc/%s", fixture);
    char *xml = fixture_read(rel, NULL);
    write_file(f->xml, xml);
    free(xml);
}

/* server_io.xml without the E810 bound to vfio (a PCI function without OS device). */
static void set_topology_without_e810(struct fx *f)
{
    char *xml = fixture_read("hwloc/server_io.xml", NULL);
    char *at = strstr(xml, "pci_busid=\"0000:b2:00.0\"");
    assert_non_null(at);
    char *start = at;
    while (strncmp(start, "<object", 7) != 0)
        start--;
    char *end = strstr(at, "</object>") + strlen("</object>");
    memmove(start, end, strlen(end) + 1);
    write_file(f->xml, xml);
    free(xml);
}

static long get(struct fx *f, const char *path, struct ls_http_result *r)
{
    assert_int_equal(ls_http(&f->svc, "GET", path, NULL, NULL, r), 0);
    return r->status;
}

static void
test_agent_posts_then_reposts_only_on_change_and_history_shows_the_removed_nic(void **state)
{
    struct fx *f = *state;
    struct ls_agent_opts o;
    agent_opts(f, &o, "compute-07");
    set_topology(f, "server_io.xml");
    char *last = NULL;
    long long t = 0;
    bool posted;
    struct ls_err err;
    assert_int_equal(ls_agent_step(&o, &last, &t, &posted, &err), LS_OK);
    assert_true(posted);

    struct ls_http_result r;
    assert_int_equal(get(f, "/v1/nodes?source=host:compute-07&limit=100", &r), 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 20);
    ls_http_result_cleanup(&r);
    assert_int_equal(get(f, "/v1/nodes/host:nic:compute-07:0000:17:00.0", &r), 200);
    assert_int_equal(ls_jint(r.json, "attrs.speed_mbps"), 25000);
    assert_int_equal(ls_jint(r.json, "attrs.sriov_numvfs"), 8);
    assert_string_equal(ls_jstr(r.json, "state"), "up");
    ls_http_result_cleanup(&r);

    /* nothing changed: no post */
    assert_int_equal(ls_agent_step(&o, &last, &t, &posted, &err), LS_OK);
    assert_false(posted);

    set_topology_without_e810(f);
    assert_int_equal(ls_agent_step(&o, &last, &t, &posted, &err), LS_OK);
    assert_true(posted);
    assert_int_equal(get(f, "/v1/nodes/host:nic:compute-07:0000:b2:00.0", &r), 404);
    ls_http_result_cleanup(&r);
    assert_int_equal(get(f, "/v1/nodes/host:nic:compute-07:0000:b2:00.0/history", &r), 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "versions")), 1);
    assert_non_null(ls_jstr(r.json, "versions.0.valid_to"));
    ls_http_result_cleanup(&r);
    assert_int_equal(get(f, "/v1/nodes?source=host:compute-07&limit=100", &r), 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 19);
    ls_http_result_cleanup(&r);
    free(last);
}

static void test_a_post_for_host_a_never_touches_host_b(void **state)
{
    struct fx *f = *state;
    struct ls_agent_opts a, b;
    agent_opts(f, &a, "a");
    agent_opts(f, &b, "b");
    char *la = NULL, *lb = NULL;
    long long ta = 0, tb = 0;
    bool posted;
    struct ls_err err;
    set_topology(f, "synth_2pack_2numa.xml");
    assert_int_equal(ls_agent_step(&a, &la, &ta, &posted, &err), LS_OK);
    set_topology(f, "vm.xml");
    assert_int_equal(ls_agent_step(&b, &lb, &tb, &posted, &err), LS_OK);
    struct ls_http_result r;
    assert_int_equal(get(f, "/v1/nodes/host:machine:b", &r), 200);
    long long b_rev = ls_jint(r.json, "revision");
    ls_http_result_cleanup(&r);

    set_topology(f, "synth_flat.xml");
    assert_int_equal(ls_agent_step(&a, &la, &ta, &posted, &err), LS_OK);
    assert_true(posted);
    assert_int_equal(get(f, "/v1/nodes?source=host:a&limit=100", &r), 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 6);
    ls_http_result_cleanup(&r);
    assert_int_equal(get(f, "/v1/nodes?source=host:b&limit=100", &r), 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 7);
    ls_http_result_cleanup(&r);
    assert_int_equal(get(f, "/v1/nodes/host:machine:b", &r), 200);
    assert_int_equal(ls_jint(r.json, "revision"), b_rev);
    ls_http_result_cleanup(&r);
    free(la);
    free(lb);
}

static void test_lldpd_absent_is_reported_and_the_rest_is_posted(void **state)
{
    struct fx *f = *state;
    struct ls_agent_opts o;
    agent_opts(f, &o, "compute-07");
    set_topology(f, "server_io.xml");
    json_t *doc = NULL;
    struct ls_err err;
    assert_int_equal(ls_agent_collect(&doc, &o, &err), LS_OK);
    assert_string_equal(
        json_string_value(json_object_get(doc, "lldp_status")),
        "unavailable: lldpd is not running: cannot connect to /nonexistent/lldpd.socket");
    assert_null(json_object_get(doc, "lldp"));
    long status;
    assert_int_equal(ls_agent_post(&o, doc, &status, &err), LS_OK);
    assert_int_equal(status, 200);
    json_decref(doc);
    struct ls_http_result r;
    assert_int_equal(get(f, "/v1/nodes/host:machine:compute-07", &r), 200);
    ls_http_result_cleanup(&r);
}

static void test_rejected_post_carries_the_server_message(void **state)
{
    struct fx *f = *state;
    struct ls_agent_opts o;
    agent_opts(f, &o, "compute-07");
    write_file(f->xml, "<topology>not hwloc</topology>");
    char *last = NULL;
    long long t = 0;
    bool posted = true;
    struct ls_err err;
    assert_int_equal(ls_agent_step(&o, &last, &t, &posted, &err), LS_EINVAL);
    assert_false(posted);
    assert_null(last);
    char expect[600];
    snprintf(expect, sizeof(expect),
             "PUT %s/v1/hosts/compute-07/topology: HTTP 400: hwloc xml: not a topology hwloc "
             "can load",
             f->svc.base);
    assert_string_equal(err.msg, expect);
    /* XML that is not UTF-8 (a Latin-1 DMI string): refused before the PUT; it aborted the
     * agent in ls_json_oom before (issue 12) */
    write_file(f->xml, "<topology><info name=\"DMIBoardVendor\" value=\"M\xfcller\"/></topology>");
    assert_int_equal(ls_agent_step(&o, &last, &t, &posted, &err), LS_EINVAL);
    assert_false(posted);
    assert_string_equal(err.code, "invalid_topology");
    /* a server that is not there */
    o.server = "http://127.0.0.1:1";
    set_topology(f, "vm.xml");
    assert_int_equal(ls_agent_step(&o, &last, &t, &posted, &err), LS_EUNAVAIL);
    free(last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_agent_posts_then_reposts_only_on_change_and_history_shows_the_removed_nic, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_a_post_for_host_a_never_touches_host_b, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lldpd_absent_is_reported_and_the_rest_is_posted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rejected_post_carries_the_server_message, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("host/agent", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
