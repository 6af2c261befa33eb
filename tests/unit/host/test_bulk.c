/* importers/host/bulk + yaml_json: gear files in YAML and JSON -> one manual change set;
 * every bad item is named with its index and (YAML) line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/yaml_json.h"
#include "importers/host/bulk.h"
#include "tests/unit/host/fixtures.h"
#include "tests/unit/model/helpers.h"

static const char *const layout_yaml =
    "# row B, rack 12\n"
    "nodes:\n"
    "  - type: row\n"
    "    name: B\n"
    "  - type: rack\n"
    "    name: R12\n"
    "    attrs: {row: B, position: 12, height_u: 42}\n"
    "  - id: manual:pdu:R12-A\n"
    "    type: pdu\n"
    "    name: R12 PDU A\n"
    "    state: active\n"
    "    attrs:\n"
    "      max_watts: 7400\n"
    "      metered: yes\n"
    "edges:\n"
    "  - {src: manual:row:B, type: contains, dst: manual:rack:R12}\n"
    "  - src: manual:rack:R12\n"
    "    type: contains\n"
    "    dst: manual:pdu:R12-A\n"
    "    weight: 0.5\n";

/* Parses and builds text against g (may be NULL); returns the status. */
static int bulk(struct ls_graph *g,
                enum ls_bulk_format fmt,
                const char *text,
                struct ls_change_set **out,
                struct ls_err *err)
{
    json_t *doc = NULL;
    *out = ls_change_set_new("manual");
    int rc = ls_host_bulk_parse(&doc, text, strlen(text), fmt, err);
    if (rc != LS_OK)
        return rc;
    struct ls_snap *s = g ? ls_graph_snap(g) : NULL;
    rc = ls_host_bulk_build(*out, doc, s, NULL, NULL, err);
    if (s)
        ls_snap_release(s);
    json_decref(doc);
    return rc;
}

static void test_yaml_layout_gives_rows_racks_pdus_and_contains_edges(void **state)
{
    (void)state;
    struct ls_change_set *cs;
    struct ls_err err;
    assert_int_equal(bulk(NULL, LS_BULK_YAML, layout_yaml, &cs, &err), LS_OK);
    assert_int_equal(cs_count_nodes(cs, NULL), 3);
    assert_int_equal(cs_count_edges(cs, LS_EDGE_CONTAINS), 2);
    struct ls_change *rack = cs_node(cs, "manual:rack:R12");
    assert_non_null(rack);
    assert_string_equal(rack->name, "R12");
    assert_string_equal(rack->source, "manual");
    assert_int_equal(cs_attr_int(rack, "position"), 12);
    assert_string_equal(cs_attr_str(rack, "row"), "B");
    assert_null(json_object_get(rack->attrs, "__line"));
    struct ls_change *pdu = cs_node(cs, "manual:pdu:R12-A");
    assert_string_equal(pdu->state, "active");
    assert_true(json_is_true(json_object_get(pdu->attrs, "metered")));
    assert_int_equal(cs_attr_int(pdu, "max_watts"), 7400);
    struct ls_change *e = cs_edge(cs, "manual:rack:R12", LS_EDGE_CONTAINS, "manual:pdu:R12-A");
    assert_non_null(e);
    assert_int_equal(e->esource, LS_ESRC_MANUAL);
    assert_true(e->weight == 0.5);
    ls_change_set_free(cs);
}

static void test_unknown_type_names_the_item_and_its_line(void **state)
{
    (void)state;
    const char *text = "nodes:\n"
                       "  - {type: rack, name: R1}\n"
                       "  - type: rakc\n"
                       "    name: R2\n";
    struct ls_change_set *cs;
    struct ls_err err;
    assert_int_equal(bulk(NULL, LS_BULK_YAML, text, &cs, &err), LS_EINVAL);
    assert_string_equal(err.code, "unknown_type");
    assert_string_equal(err.msg, "nodes[1] (line 3): type 'rakc' is not a registered node type");
    ls_change_set_free(cs);
}

static void test_dangling_edge_names_the_item_and_the_missing_end(void **state)
{
    struct ls_graph *g = *state;
    const char *text = "{\"nodes\": [{\"type\": \"rack\", \"name\": \"R1\"}],"
                       " \"edges\": [{\"src\": \"manual:rack:R1\", \"type\": \"contains\","
                       " \"dst\": \"host:machine:h1\"},"
                       " {\"src\": \"manual:rack:R1\", \"type\": \"contains\","
                       " \"dst\": \"host:machine:nope\"}]}";
    struct ls_change_set *pre = ls_change_set_new("host:h1");
    PUT_NODE(pre, "host:machine:h1", "machine", "h1");
    struct ls_err err;
    assert_int_equal(apply_set(g, pre, &err), LS_OK);
    ls_change_set_free(pre);
    struct ls_change_set *cs;
    assert_int_equal(bulk(g, LS_BULK_JSON, text, &cs, &err), LS_EINVAL);
    assert_string_equal(err.code, "dangling_edge");
    assert_string_equal(err.msg,
                        "edges[1]: dst 'host:machine:nope' names no node in the file or the graph");
    ls_change_set_free(cs);
}

static void test_discovered_nodes_can_be_linked_but_not_replaced(void **state)
{
    struct ls_graph *g = *state;
    struct ls_change_set *pre = ls_change_set_new("host:h1");
    PUT_NODE(pre, "host:machine:h1", "machine", "h1");
    struct ls_err err;
    assert_int_equal(apply_set(g, pre, &err), LS_OK);
    ls_change_set_free(pre);
    const char *text = "nodes:\n"
                       "  - {id: 'host:machine:h1', type: machine}\n";
    struct ls_change_set *cs;
    assert_int_equal(bulk(g, LS_BULK_YAML, text, &cs, &err), LS_ECONFLICT);
    assert_string_equal(err.code, "not_manual");
    assert_string_equal(err.msg, "nodes[0] (line 2): node 'host:machine:h1' belongs to host:h1; "
                                 "a bulk file may link to it but not replace it");
    ls_change_set_free(cs);
    text = "nodes: [{type: rack, name: R1}]\n"
           "edges: [{src: 'manual:rack:R1', type: contains, dst: 'host:machine:h1'}]\n";
    assert_int_equal(bulk(g, LS_BULK_YAML, text, &cs, &err), LS_OK);
    assert_non_null(cs_edge(cs, "manual:rack:R1", LS_EDGE_CONTAINS, "host:machine:h1"));
    ls_change_set_free(cs);
}

static void test_malformed_items_and_files_are_named(void **state)
{
    (void)state;
    struct {
        enum ls_bulk_format fmt;
        const char *text;
        const char *code;
        const char *msg;
    } cases[] = {
        {LS_BULK_YAML, "nodes:\n  - type: rack\n", "invalid_item",
         "nodes[0] (line 2): name: expected a string of 1 to 1024 characters"},
        {LS_BULK_YAML, "nodes:\n  - {type: rack, name: R1, colour: red}\n", "invalid_item",
         "nodes[0] (line 2): unknown member 'colour'"},
        {LS_BULK_YAML, "nodes:\n  - {type: rack, name: R1}\n  - {type: rack, name: R1}\n",
         "duplicate_item", "nodes[1] (line 3): node 'manual:rack:R1' appears twice"},
        {LS_BULK_YAML, "edges:\n  - {src: a, type: holds, dst: b}\n", "unknown_type",
         "edges[0] (line 2): type 'holds' is not an edge type (contains, runs_on, attached_to, "
         "connected_to, member_of, uses, depends_on)"},
        {LS_BULK_YAML, "nodes: [\n", "invalid_yaml", NULL},
        {LS_BULK_YAML, "racks: []\n", "invalid_item", "bulk file: unknown member 'racks'"},
        {LS_BULK_JSON, "{\"nodes\": 3}", "invalid_item", "nodes: expected a list"},
        {LS_BULK_JSON, "{\"nodes\": [", "invalid_json", NULL},
        {LS_BULK_JSON, "[]", "invalid_item",
         "bulk file: expected a mapping with 'nodes' and 'edges'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ls_change_set *cs;
        struct ls_err err;
        int rc = bulk(NULL, cases[i].fmt, cases[i].text, &cs, &err);
        assert_int_not_equal(rc, LS_OK);
        assert_string_equal(err.code, cases[i].code);
        if (cases[i].msg)
            assert_string_equal(err.msg, cases[i].msg);
        ls_change_set_free(cs);
    }
}

/* Numbers that do not fit, NULs and repeated keys are refused with the line, never cast or
 * silently kept (issue 12): as the JSON side (jansson) refuses them. */
static void test_yaml_values_that_make_no_sense_are_refused(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"a: 99999999999999999999\n",
         "line 1: integer '99999999999999999999' is out of range (quote it to keep it as text)"},
        {"a: -9223372036854775809\n",
         "line 1: integer '-9223372036854775809' is out of range (quote it to keep it as text)"},
        {"a: 1e999\n", "line 1: '1e999' is not a finite number"},
        {"a: -nan\n", "line 1: '-nan' is not a finite number"},
        {"a: +inf\n", "line 1: '+inf' is not a finite number"},
        {"a: -infinity\n", "line 1: '-infinity' is not a finite number"},
        {"a: \"x\\0y\"\n", "line 1: a string holds a NUL character"},
        {"\"k\\0\": 1\n", "line 1: a string holds a NUL character"},
        {"a: 1\nb: 2\na: 3\n", "line 3: key 'a' given twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *doc = NULL;
        struct ls_err err;
        assert_int_equal(ls_yaml_to_json(&doc, bad[i][0], strlen(bad[i][0]), &err), LS_EINVAL);
        assert_null(doc);
        assert_string_equal(err.code, "invalid_yaml");
        assert_string_equal(err.msg, bad[i][1]);
    }
    /* what does fit still reads as before: underflow is 0, quoted text stays text */
    json_t *doc = NULL;
    const char *ok = "a: 1e-400\nb: '99999999999999999999'\nc: -9223372036854775808\nd: nan\n";
    assert_int_equal(ls_yaml_to_json(&doc, ok, strlen(ok), NULL), LS_OK);
    assert_true(json_is_real(json_object_get(doc, "a")));
    assert_string_equal(json_string_value(json_object_get(doc, "b")), "99999999999999999999");
    assert_int_equal(json_integer_value(json_object_get(doc, "c")), INT64_MIN);
    assert_string_equal(json_string_value(json_object_get(doc, "d")), "nan");
    json_decref(doc);
}

static void test_yaml_scalars_aliases_and_bounds(void **state)
{
    (void)state;
    const char *text = "a: ~\nb: 0x10\nc: '12'\nd: 1.5\ne: 007\nf: [&x {k: 1}, *x]\n";
    json_t *v = NULL;
    struct ls_err err;
    assert_int_equal(ls_yaml_to_json(&v, text, strlen(text), &err), LS_OK);
    assert_true(json_is_null(json_object_get(v, "a")));
    assert_string_equal(json_string_value(json_object_get(v, "b")), "0x10");
    assert_string_equal(json_string_value(json_object_get(v, "c")), "12");
    assert_true(json_real_value(json_object_get(v, "d")) == 1.5);
    assert_string_equal(json_string_value(json_object_get(v, "e")), "007");
    json_t *f = json_object_get(v, "f");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "k")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "__line")), 6);
    json_decref(v);
    /* a billion laughs is bounded: level k holds 10^k values through aliases */
    char bomb[2048] = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
    for (char c = 'b'; c <= 'g'; c++) {
        char p = (char)(c - 1);
        size_t n = strlen(bomb);
        snprintf(bomb + n, sizeof(bomb) - n, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
                 c, c, p, p, p, p, p, p, p, p, p, p);
    }
    assert_int_equal(ls_yaml_to_json(&v, bomb, strlen(bomb), &err), LS_ELIMIT);
    assert_string_equal(err.code, "yaml_too_large");
}

static int setup(void **state)
{
    *state = ls_graph_new();
    return 0;
}

static int teardown(void **state)
{
    ls_graph_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_layout_gives_rows_racks_pdus_and_contains_edges),
        cmocka_unit_test(test_unknown_type_names_the_item_and_its_line),
        cmocka_unit_test_setup_teardown(test_dangling_edge_names_the_item_and_the_missing_end,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_discovered_nodes_can_be_linked_but_not_replaced, setup,
                                        teardown),
        cmocka_unit_test(test_malformed_items_and_files_are_named),
        cmocka_unit_test(test_yaml_scalars_aliases_and_bounds),
        cmocka_unit_test(test_yaml_values_that_make_no_sense_are_refused),
    };
    return cmocka_run_group_tests_name("host/bulk", tests, NULL, NULL);
}
