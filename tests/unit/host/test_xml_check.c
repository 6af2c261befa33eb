/* importers/host/xml_check: the shapes of hwloc XML that crash or stall hwloc 2.9 are refused
 * before hwloc parses them (each found by the hwloc_xml / agent_json fuzz targets); the
 * fixtures pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/buf.h"
#include "importers/host/xml_check.h"
#include "tests/unit/host/fixtures.h"

static int check(const char *xml, struct ls_err *err)
{
    return ls_host_xml_check(xml, strlen(xml), err);
}

static void test_the_fixtures_pass(void **state)
{
    (void)state;
    static const char *const files[] = {"server_io.xml", "synth_2pack_2numa.xml",
                                        "synth_caches.xml", "synth_flat.xml", "vm.xml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char rel[64];
        size_t len;
        snprintf(rel, sizeof(rel), "hwloc/%s", files[i]);
        char *xml = fixture_read(rel, &len);
        struct ls_err err;
        int rc = ls_host_xml_check(xml, len, &err);
        if (rc != LS_OK)
            fail_msg("%s: %s", files[i], err.msg);
        free(xml);
    }
}

#define OBJ(attrs) "<topology><object type=\"Machine\" " attrs "/></topology>"
#define SETS       "cpuset=\"0x3\" complete_cpuset=\"0x3\" nodeset=\"0x1\" complete_nodeset=\"0x1\""

/* corpus/hwloc_xml/crash-hwloc-cpuset-without-complete-cpuset.xml: hwloc dereferences NULL */
static void test_a_set_without_its_complete_set_is_refused(void **state)
{
    (void)state;
    struct ls_err err;
    assert_int_equal(check(OBJ("cpuset=\"0x1\" nodeset=\"0x1\" complete_nodeset=\"0x1\""), &err),
                     LS_EINVAL);
    assert_string_equal(err.code, "invalid_topology");
    assert_string_equal(err.msg,
                        "hwloc xml: object ending at byte 84: cpuset without complete_cpuset");
    assert_int_equal(check(OBJ("complete_nodeset=\"0x1\""), &err), LS_EINVAL);
    assert_string_equal(err.msg,
                        "hwloc xml: object ending at byte 57: complete_nodeset without nodeset");
    assert_int_equal(check(OBJ(SETS), &err), LS_OK);
    assert_int_equal(check(OBJ(""), &err), LS_OK); /* no sets at all: hwloc copes */
}

/* corpus/agent_json/crash-hwloc-child-cpuset-outside-parent.json: hwloc dereferences NULL */
static void test_a_child_outside_its_parent_is_refused(void **state)
{
    (void)state;
    struct ls_err err;
    const char *xml = "<topology><object type=\"Machine\" " SETS ">"
                      "<object type=\"Group\" cpuset=\"0x4\" complete_cpuset=\"0x4\" "
                      "nodeset=\"0x1\" complete_nodeset=\"0x1\"/></object></topology>";
    assert_int_equal(check(xml, &err), LS_EINVAL);
    assert_string_equal(err.msg, "hwloc xml: object ending at byte 199: complete_cpuset or "
                                 "complete_nodeset not inside its parent's");
    /* a PCI object between them has no sets: the closest object that has them counts */
    xml = "<topology><object type=\"Machine\" " SETS "><object type=\"Bridge\">"
          "<object type=\"Group\" cpuset=\"0x4\" complete_cpuset=\"0x4\" "
          "nodeset=\"0x1\" complete_nodeset=\"0x1\"/></object></object></topology>";
    assert_int_equal(check(xml, &err), LS_EINVAL);
    assert_non_null(strstr(err.msg, "not inside its parent's"));
    assert_int_equal(check(OBJ("cpuset=\"0x3\" complete_cpuset=\"0x1\" nodeset=\"0x1\" "
                               "complete_nodeset=\"0x1\""),
                           &err),
                     LS_EINVAL);
    assert_string_equal(
        err.msg, "hwloc xml: object ending at byte 106: cpuset is not inside complete_cpuset");
}

/* corpus/hwloc_xml/timeout-hwloc-pu-without-os-index.xml: a 512 MB bitmap, half a minute */
static void test_a_pu_or_numa_node_needs_a_small_os_index(void **state)
{
    (void)state;
    struct ls_err err;
    assert_int_equal(check("<topology><object type=\"PU\" " SETS "/></topology>", &err), LS_EINVAL);
    assert_string_equal(
        err.msg, "hwloc xml: object ending at byte 101: PU needs an os_index from 0 to 16383");
    assert_int_equal(
        check("<topology><object type=\"NUMANode\" os_index=\"4000000000\"/></topology>", &err),
        LS_EINVAL);
    assert_int_equal(check("<topology><object os_index=\"16383\" type=\"PU\"/></topology>", &err),
                     LS_OK);
    assert_int_equal(check("<topology><object os_index=\"16384\" type=\"PU\"/></topology>", &err),
                     LS_EINVAL);
}

/* corpus/hwloc_xml/crash-hwloc-empty-allowed-cpuset.xml: hwloc dereferences NULL */
static void test_an_allowed_set_must_allow_part_of_the_machine(void **state)
{
    (void)state;
    struct ls_err err;
    assert_int_equal(check(OBJ(SETS " allowed_cpuset=\"0x0\""), &err), LS_EINVAL);
    assert_string_equal(err.msg, "hwloc xml: object ending at byte 127: allowed_cpuset allows "
                                 "nothing of complete_cpuset");
    assert_int_equal(check(OBJ(SETS " allowed_nodeset=\"0x2\""), &err), LS_EINVAL);
    assert_int_equal(check(OBJ(SETS " allowed_cpuset=\"0xz\""), &err), LS_EINVAL);
    assert_int_equal(check(OBJ(SETS " allowed_cpuset=\"0x2\" allowed_nodeset=\"0x1\""), &err),
                     LS_OK);
}

static void test_bitmaps_past_the_bound_or_malformed_are_refused(void **state)
{
    (void)state;
    struct ls_err err;
    static const char *const bad[] = {"0xf...f,0x1", "0x", "0x123456789", "1", "0x1,", "0xg"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char xml[256];
        snprintf(xml, sizeof(xml), OBJ("cpuset=\"%s\" complete_cpuset=\"%s\""), bad[i], bad[i]);
        assert_int_equal(check(xml, &err), LS_EINVAL);
    }
    /* 512 chunks of 32 bits reach index 16383; 513 do not fit */
    for (int chunks = 512; chunks <= 513; chunks++) {
        struct ls_buf b;
        ls_buf_init(&b, 0);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(ls_buf_puts(&b, k ? "\" complete_cpuset=\"" : "<object cpuset=\""),
                             LS_OK);
            for (int i = 0; i < chunks; i++)
                assert_int_equal(ls_buf_puts(&b, i ? ",0x1" : "0x1"), LS_OK);
        }
        assert_int_equal(ls_buf_puts(&b, "\"/>"), LS_OK);
        assert_int_equal(ls_host_xml_check(b.data, b.len, &err), chunks == 512 ? LS_OK : LS_EINVAL);
        ls_buf_cleanup(&b);
    }
}

static void test_nesting_is_bounded_and_tags_must_be_well_formed(void **state)
{
    (void)state;
    struct ls_err err;
    char xml[2048] = "";
    for (int i = 0; i <= LS_HOST_XML_MAX_DEPTH; i++)
        strcat(xml, "<g>");
    assert_int_equal(check(xml, &err), LS_ELIMIT);
    assert_string_equal(err.code, "topology_too_deep");
    static const char *const bad[] = {"<topology", "<a b=c>", "<a b=\"c>", "</a>",
                                      "< a>",      "<!-- x",  "<?xml"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(check(bad[i], &err), LS_EINVAL);
    assert_int_equal(check("<?xml version=\"1.0\"?><!DOCTYPE t><!-- <a --><t a='1'/>", &err),
                     LS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_fixtures_pass),
        cmocka_unit_test(test_a_set_without_its_complete_set_is_refused),
        cmocka_unit_test(test_a_child_outside_its_parent_is_refused),
        cmocka_unit_test(test_a_pu_or_numa_node_needs_a_small_os_index),
        cmocka_unit_test(test_an_allowed_set_must_allow_part_of_the_machine),
        cmocka_unit_test(test_bitmaps_past_the_bound_or_malformed_are_refused),
        cmocka_unit_test(test_nesting_is_bounded_and_tags_must_be_well_formed),
    };
    return cmocka_run_group_tests_name("host/xml_check", tests, NULL, NULL);
}
