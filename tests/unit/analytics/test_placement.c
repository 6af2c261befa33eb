/* analytics/placement: Placement's capacity arithmetic per class (reserved, allocation ratio,
 * min/max/step), traits, zone, aggregate, host and rack affinity, NUMA fit, live load,
 * colours, request parsing and its errors, the per-revision table cache, one host explained. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analytics/placement.h"
#include "analytics/stitch.h"
#include "model/change.h"
#include "model/telemetry.h"

struct fx {
    struct ls_graph *g;
    struct ls_placement *pl;
    struct ls_telemetry *tel;
    const char *red, *yellow; /* node ids the colour callback reports */
};

static void apply(struct ls_graph *g, struct ls_change_set *cs)
{
    struct ls_prepared *p;
    struct ls_err err;
    assert_int_equal(ls_graph_prepare(g, cs, 1000000, &p, &err), LS_OK);
    ls_graph_publish(g, p, ls_graph_next_revision(g));
    ls_change_set_free(cs);
}

static void node(struct ls_change_set *cs,
                 const char *id,
                 const char *type,
                 const char *name,
                 const char *state,
                 json_t *attrs)
{
    struct ls_err err;
    assert_int_equal(ls_change_put_node_new(cs, id, type, name, state, attrs, NULL, &err), LS_OK);
}

static void edge(struct ls_change_set *cs, const char *src, enum ls_edge_type t, const char *dst)
{
    struct ls_err err;
    assert_int_equal(ls_change_put_edge_new(cs, src, t, dst, NULL, LS_ESRC_MANUAL, 1.0, &err),
                     LS_OK);
}

/* A hypervisor with Placement figures: VCPU (total, reserved, ratio, used) and fixed memory
 * and disk. */
static json_t *hv_attrs(const char *name, int total, int reserved, double ratio, int used)
{
    return json_pack("{s:s,s:{s:{s:i,s:i,s:f,s:i,s:i,s:i},s:{s:i,s:i,s:f},s:{s:i,s:i,s:f}},"
                     "s:{s:i,s:i,s:i},s:[]}",
                     "hypervisor_hostname", name, "inventories", "VCPU", "total", total, "reserved",
                     reserved, "allocation_ratio", ratio, "min_unit", 1, "max_unit", 16,
                     "step_size", 1, "MEMORY_MB", "total", 65536, "reserved", 512,
                     "allocation_ratio", 1.0, "DISK_GB", "total", 1000, "reserved", 0,
                     "allocation_ratio", 1.0, "usages", "VCPU", used, "MEMORY_MB", 0, "DISK_GB", 0,
                     "traits");
}

/* Racks A (hv1, hv2) and B (hv3, hv4); hv4 disabled; hv1 has AVX2, free VCPU 4; hv2 runs
 * server s1 and has two NUMA cells; hv3 is in zone az2 and aggregate "fast". */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->g = ls_graph_new();
    f->pl = ls_placement_new(f->g);
    f->tel = ls_telemetry_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    node(cs, "manual:rack:A", "rack", "A", "active", NULL);
    node(cs, "manual:rack:B", "rack", "B", "active", NULL);
    node(cs, "nova:availability_zone:az1", "availability_zone", "az1", "", NULL);
    node(cs, "nova:availability_zone:az2", "availability_zone", "az2", "", NULL);
    node(cs, "nova:aggregate:1", "aggregate", "fast", "",
         json_pack("{s:s}", "uuid", "0f0f0f0f-0000-0000-0000-000000000001"));
    static const char *const rack[] = {"manual:rack:A", "manual:rack:A", "manual:rack:B",
                                       "manual:rack:B"};
    for (int i = 1; i <= 4; i++) {
        char hv[64], m[64], name[16];
        snprintf(name, sizeof(name), "hv%d", i);
        snprintf(hv, sizeof(hv), "nova:hypervisor:hv%d", i);
        snprintf(m, sizeof(m), "host:machine:hv%d", i);
        json_t *a = i == 1   ? hv_attrs(name, 16, 0, 4.0, 60) /* capacity 64, free 4 */
                    : i == 3 ? hv_attrs(name, 32, 4, 1.0, 0)  /* capacity 28 */
                             : hv_attrs(name, 32, 0, 2.0, 0); /* capacity 64 */
        if (i == 1)
            json_array_append_new(json_object_get(a, "traits"), json_string("HW_CPU_X86_AVX2"));
        node(cs, hv, "hypervisor", name, i == 4 ? "disabled" : "up", a);
        node(cs, m, "machine", name, "active", NULL);
        edge(cs, hv, LS_EDGE_RUNS_ON, m);
        edge(cs, rack[i - 1], LS_EDGE_CONTAINS, m);
        edge(cs, hv, LS_EDGE_MEMBER_OF,
             i == 3 ? "nova:availability_zone:az2" : "nova:availability_zone:az1");
    }
    edge(cs, "nova:hypervisor:hv3", LS_EDGE_MEMBER_OF, "nova:aggregate:1");
    for (int c = 0; c < 2; c++) { /* hv2's machine: 2 cells x 4 cores x 2 PUs, 16 GiB each */
        char cell[64], core[64];
        snprintf(cell, sizeof(cell), "host:numa_node:hv2:%d", c);
        node(cs, cell, "numa_node", cell, "present",
             json_pack("{s:I}", "memory_bytes", (json_int_t)16 << 30));
        edge(cs, "host:machine:hv2", LS_EDGE_CONTAINS, cell);
        for (int k = 0; k < 4; k++) {
            snprintf(core, sizeof(core), "host:core:hv2:%d", c * 4 + k);
            node(cs, core, "core", core, "present", json_pack("{s:i}", "pus", 2));
            edge(cs, cell, LS_EDGE_CONTAINS, core);
        }
    }
    node(cs, "nova:instance:s1", "instance", "s1", "ACTIVE",
         json_pack("{s:{s:s,s:i,s:i,s:i,s:i,s:{s:s}}}", "flavor", "name", "m1.big", "vcpus", 6,
                   "ram_mb", 2048, "disk_gb", 10, "swap_mb", 1, "extra_specs",
                   "trait:HW_CPU_X86_AVX2", "forbidden"));
    edge(cs, "nova:instance:s1", LS_EDGE_RUNS_ON, "nova:hypervisor:hv2");
    apply(f->g, cs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ls_placement_free(f->pl);
    ls_telemetry_free(f->tel);
    ls_graph_free(f->g);
    free(f);
    return 0;
}

static int colour_cb(void *arg, const char *id)
{
    struct fx *f = arg;
    if (f->red && !strcmp(id, f->red))
        return 3;
    if (f->yellow && !strcmp(id, f->yellow))
        return 2;
    return 1;
}

/* Ranks body; returns the answer (hosts + excluded), or the error's code as {"code"}. */
static json_t *rank(struct fx *f, const char *body_text)
{
    json_error_t je;
    json_t *body = json_loads(body_text, 0, &je);
    assert_non_null(body);
    struct ls_place_table *t = ls_placement_table(f->pl);
    struct ls_place_request *r = malloc(sizeof(*r));
    struct ls_place_live live = {.tel = f->tel, .colour = colour_cb, .colour_arg = f};
    struct ls_place_verdict *v = NULL;
    size_t n = 0;
    json_t *exc = NULL, *out;
    struct ls_err err;
    if (ls_place_request_parse(body, t, r, &err) || ls_place_rank(t, r, &live, &v, &n, &exc, &err))
        out = json_pack("{s:s,s:i}", "code", err.code, "status", err.status);
    else
        out = ls_place_answer_json(t, v, n, exc);
    free(v);
    free(r);
    ls_place_table_release(t);
    json_decref(body);
    return out;
}

/* "hv2,hv3" — the hosts of an answer in order. */
static const char *hosts_of(json_t *a, char *buf, size_t cap)
{
    size_t i, len = 0;
    json_t *h;
    buf[0] = '\0';
    json_array_foreach(json_object_get(a, "hosts"), i, h) len += (size_t)snprintf(
        buf + len, cap - len, "%s%s", i ? "," : "", json_string_value(json_object_get(h, "host")));
    return buf;
}

static json_int_t excluded(json_t *a, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(a, "excluded"), key));
}

static const char *code_of(json_t *a)
{
    return json_string_value(json_object_get(a, "code"));
}

#define ASSERT_HOSTS(f, body, expect)                                                              \
    do {                                                                                           \
        char b_[256];                                                                              \
        json_t *a_ = rank(f, body);                                                                \
        assert_string_equal(hosts_of(a_, b_, sizeof(b_)), expect);                                 \
        json_decref(a_);                                                                           \
    } while (0)

static void test_capacity_is_total_minus_reserved_times_ratio_minus_used(void **state)
{
    struct fx *f = *state;
    /* hv1: (16 - 0) x 4 - 60 = 4 free: 4 fits, 5 does not; hv3: (32 - 4) x 1 = 28 */
    json_t *a = rank(f, "{\"flavor\":{\"vcpus\":5,\"ram_mb\":1024}}");
    char b[256];
    assert_string_equal(hosts_of(a, b, sizeof(b)), "hv2,hv3");
    assert_int_equal(excluded(a, "capacity:VCPU"), 1);
    assert_int_equal(excluded(a, "disabled"), 1);
    json_decref(a);
    ASSERT_HOSTS(f, "{\"flavor\":{\"vcpus\":4,\"ram_mb\":1024}}", "hv2,hv3,hv1");
    /* 16 is max_unit everywhere (checked before what is free) */
    a = rank(f, "{\"flavor\":{\"vcpus\":17,\"ram_mb\":1}}");
    assert_string_equal(hosts_of(a, b, sizeof(b)), "");
    assert_int_equal(excluded(a, "unit:VCPU"), 3);
    json_decref(a);
    /* memory: 65536 - 512 = 65024 */
    ASSERT_HOSTS(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":65024}}", "hv2,hv3,hv1");
    ASSERT_HOSTS(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":65025}}", "");
    /* a class no host has */
    a = rank(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1,\"extra_specs\":{\"resources:VGPU\":"
                "\"1\"}}}");
    assert_int_equal(excluded(a, "capacity:VGPU"), 3);
    json_decref(a);
    /* resources:VCPU=0 drops the class: hv1 fits 8 vCPUs then (equal scores: table order) */
    ASSERT_HOSTS(f,
                 "{\"flavor\":{\"vcpus\":8,\"ram_mb\":1,\"extra_specs\":{\"resources:VCPU\":"
                 "\"0\"}}}",
                 "hv1,hv2,hv3");
}

static void test_traits_zone_and_aggregate_filter(void **state)
{
    struct fx *f = *state;
    ASSERT_HOSTS(f,
                 "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"traits\":{\"required\":"
                 "[\"HW_CPU_X86_AVX2\"]}}",
                 "hv1");
    ASSERT_HOSTS(f,
                 "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1,\"extra_specs\":"
                 "{\"trait:HW_CPU_X86_AVX2\":\"forbidden\"}}}",
                 "hv2,hv3");
    ASSERT_HOSTS(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"availability_zone\":\"az2\"}", "hv3");
    ASSERT_HOSTS(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"aggregate\":\"fast\"}", "hv3");
    ASSERT_HOSTS(f,
                 "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"aggregate\":"
                 "\"0f0f0f0f-0000-0000-0000-000000000001\"}",
                 "hv3");
    json_t *a = rank(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"availability_zone\":\"az1\"}");
    assert_int_equal(excluded(a, "availability_zone"), 1);
    json_decref(a);
}

static void test_affinity_by_host_and_rack(void **state)
{
    struct fx *f = *state;
    const char *base = "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"group\":[\"s1\"],\"affinity\":";
    char body[256];
    snprintf(body, sizeof(body), "%s\"same_host\"}", base);
    ASSERT_HOSTS(f, body, "hv2");
    snprintf(body, sizeof(body), "%s\"different_host\"}", base);
    ASSERT_HOSTS(f, body, "hv3,hv1");
    snprintf(body, sizeof(body), "%s\"same_rack\"}", base);
    ASSERT_HOSTS(f, body, "hv2,hv1");
    snprintf(body, sizeof(body), "%s\"different_rack\"}", base);
    json_t *a = rank(f, body);
    char b[128];
    assert_string_equal(hosts_of(a, b, sizeof(b)), "hv3");
    assert_int_equal(excluded(a, "anti_affinity"), 2);
    json_decref(a);
    /* an unknown server is a 404, not an empty group */
    a = rank(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"group\":[\"nope\"],\"affinity\":"
                "\"same_host\"}");
    assert_string_equal(code_of(a), "server_not_found");
    json_decref(a);
}

static void test_numa_nodes_needs_enough_cells(void **state)
{
    struct fx *f = *state;
    /* hv2: 2 cells x 8 PUs x ratio 2 = 16 VCPU and 16 GiB per cell; the others have none */
    json_t *a = rank(f, "{\"flavor\":{\"vcpus\":8,\"ram_mb\":8192,\"extra_specs\":"
                        "{\"hw:numa_nodes\":\"2\"}}}");
    char b[128];
    assert_string_equal(hosts_of(a, b, sizeof(b)), "hv2");
    assert_int_equal(excluded(a, "numa"), 1);          /* hv3 */
    assert_int_equal(excluded(a, "capacity:VCPU"), 1); /* hv1, before NUMA is asked */
    json_decref(a);
    /* 2 x 17 GiB does not fit 16 GiB cells */
    ASSERT_HOSTS(f,
                 "{\"flavor\":{\"vcpus\":2,\"ram_mb\":34816,\"extra_specs\":"
                 "{\"hw:numa_nodes\":\"2\"}}}",
                 "");
}

static double score_of(json_t *a, const char *host)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(a, "hosts"), i,
                       h) if (!strcmp(json_string_value(json_object_get(h, "host")),
                                      host)) return json_number_value(json_object_get(h, "score"));
    fail_msg("%s not in the answer", host);
    return -1;
}

static void test_live_load_and_colours_change_the_order(void **state)
{
    struct fx *f = *state;
    const char *body = "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1024}}";
    ASSERT_HOSTS(f, body, "hv2,hv3,hv1");
    /* hv2 busy (90 %), hv3 idle (on its machine): hv3 first */
    ls_telemetry_apply(f->tel, "nova:hypervisor:hv2", "cpu_util", "", "%", 0, 90, 1000);
    ls_telemetry_apply(f->tel, "host:machine:hv3", "cpu_util", "", "%", 0, 10, 1000);
    json_t *a = rank(f, body);
    char b[128];
    assert_string_equal(hosts_of(a, b, sizeof(b)), "hv3,hv2,hv1");
    /* hv3: 50 x mean((28-1)/28, (65024-1024)/65024) + 50 x (1 - 0.10) */
    double want = 50.0 * ((27.0 / 28.0 + 64000.0 / 65024.0) / 2.0) + 45.0;
    assert_true(score_of(a, "hv3") > want - 0.01 && score_of(a, "hv3") < want + 0.01);
    json_decref(a);
    /* yellow costs 25 points; red excludes (the machine's colour counts) */
    a = rank(f, body);
    double before = score_of(a, "hv3");
    json_decref(a);
    f->yellow = "nova:hypervisor:hv3";
    a = rank(f, body);
    assert_true(score_of(a, "hv3") > before - 25.01 && score_of(a, "hv3") < before - 24.99);
    json_decref(a);
    f->red = "host:machine:hv3";
    a = rank(f, body);
    assert_string_equal(hosts_of(a, b, sizeof(b)), "hv2,hv1");
    assert_int_equal(excluded(a, "red"), 1);
    json_decref(a);
}

static void test_count_limits_the_answer(void **state)
{
    ASSERT_HOSTS((struct fx *)*state, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"count\":2}",
                 "hv2,hv3");
}

static void test_flavor_name_resolves_through_imported_servers(void **state)
{
    struct fx *f = *state;
    /* m1.big: 6 vCPUs (hv1 has 4 free), AVX2 forbidden; swap 1 MB counts 1 GB of disk */
    ASSERT_HOSTS(f, "{\"flavor_name\":\"m1.big\"}", "hv2,hv3");
    json_t *a = rank(f, "{\"flavor_name\":\"m9.none\"}");
    assert_string_equal(code_of(a), "flavor_not_found");
    json_decref(a);
}

static void test_malformed_requests_name_the_field(void **state)
{
    struct fx *f = *state;
    static const char *const cases[][2] = {
        {"{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"colour\":1}", "unknown_field"},
        {"{\"flavor\":{\"vcpus\":1}}", "invalid_request"},
        {"{\"flavor\":{\"vcpus\":-1,\"ram_mb\":1}}", "invalid_request"},
        {"{\"flavor\":{\"vcpus\":1.5,\"ram_mb\":1}}", "invalid_request"},
        {"{\"flavor\":{\"vcpus\":\"12x\",\"ram_mb\":1}}", "invalid_request"},
        {"{\"flavor\":{\"vcpus\":1,\"ram_mb\":1,\"gpus\":1}}", "unknown_field"},
        {"{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"flavor_name\":\"x\"}", "invalid_request"},
        {"{\"flavor\":[],\"count\":1}", "invalid_request"},
        {"{\"count\":0}", "invalid_request"},
        {"{\"affinity\":\"near\"}", "invalid_request"},
        {"{\"group\":[\"s1\"]}", "invalid_request"},
        {"{\"traits\":{\"required\":\"X\"}}", "invalid_request"},
        {"{\"traits\":{\"wanted\":[]}}", "unknown_field"},
        {"{\"flavor\":{\"vcpus\":1,\"ram_mb\":1,\"extra_specs\":{\"hw:numa_nodes\":\"9\"}}}",
         "invalid_request"},
        {"{\"flavor\":{\"vcpus\":1,\"ram_mb\":1,\"extra_specs\":{\"resources:lower\":\"1\"}}}",
         "invalid_request"},
        {"{\"flavor\":{\"vcpus\":1,\"ram_mb\":1,\"extra_specs\":{\"trait:X\":\"maybe\"}}}",
         "invalid_request"},
        {"{\"availability_zone\":\"\"}", "invalid_request"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *a = rank(f, cases[i][0]);
        if (!code_of(a) || strcmp(code_of(a), cases[i][1]) != 0)
            fail_msg("%s: got %s, want %s", cases[i][0], code_of(a) ? code_of(a) : "(answer)",
                     cases[i][1]);
        json_decref(a);
    }
    /* bounds: 65 traits, 257 group members */
    json_t *big = json_pack("{s:{s:[]}}", "traits", "required");
    for (int i = 0; i < 65; i++)
        json_array_append_new(json_object_get(json_object_get(big, "traits"), "required"),
                              json_string("T"));
    char *txt = json_dumps(big, 0);
    json_t *a = rank(f, txt);
    assert_string_equal(code_of(a), "limit_exceeded");
    json_decref(a);
    free(txt);
    json_decref(big);
    big = json_pack("{s:s,s:[]}", "affinity", "same_host", "group");
    for (int i = 0; i < 257; i++)
        json_array_append_new(json_object_get(big, "group"), json_string("s1"));
    txt = json_dumps(big, 0);
    a = rank(f, txt);
    assert_string_equal(code_of(a), "limit_exceeded");
    json_decref(a);
    free(txt);
    json_decref(big);
}

static void test_table_is_cached_per_revision(void **state)
{
    struct fx *f = *state;
    struct ls_place_table *t1 = ls_placement_table(f->pl), *t2 = ls_placement_table(f->pl);
    assert_ptr_equal(t1, t2);
    assert_int_equal(ls_place_table_size(t1), 4);
    struct ls_change_set *cs = ls_change_set_new("test");
    node(cs, "nova:hypervisor:hv5", "hypervisor", "hv5", "up", hv_attrs("hv5", 8, 0, 1.0, 0));
    apply(f->g, cs);
    struct ls_place_table *t3 = ls_placement_table(f->pl);
    assert_ptr_not_equal(t1, t3);
    assert_int_equal(ls_place_table_size(t3), 5);
    assert_int_equal(ls_place_table_size(t1), 4); /* still readable while held */
    ls_place_table_release(t1);
    ls_place_table_release(t2);
    ls_place_table_release(t3);
    /* hv5 has no rack: rack affinity excludes it as rack_unknown */
    json_t *a = rank(f, "{\"flavor\":{\"vcpus\":1,\"ram_mb\":1},\"group\":[\"s1\"],"
                        "\"affinity\":\"different_rack\"}");
    assert_int_equal(excluded(a, "rack_unknown"), 1);
    json_decref(a);
}

static void test_explain_one_host(void **state)
{
    struct fx *f = *state;
    struct ls_place_table *t = ls_placement_table(f->pl);
    struct ls_place_request *r = calloc(1, sizeof(*r));
    struct ls_place_live live = {.tel = f->tel};
    json_t *out = NULL;
    struct ls_err err;
    assert_int_equal(ls_place_explain(t, "hv1", r, &live, &out, &err), LS_OK);
    json_t *vcpu = json_object_get(json_object_get(out, "capacity"), "VCPU");
    assert_int_equal((int)json_number_value(json_object_get(vcpu, "capacity")), 64);
    assert_int_equal((int)json_number_value(json_object_get(vcpu, "free")), 4);
    assert_string_equal(json_string_value(json_object_get(out, "rack")), "manual:rack:A");
    assert_string_equal(json_string_value(json_object_get(out, "availability_zone")), "az1");
    assert_true(json_is_true(json_object_get(out, "fits")));
    json_decref(out);
    r->res[0] = (struct ls_place_amount){"VCPU", 5};
    r->n_res = 1;
    assert_int_equal(ls_place_explain(t, "nova:hypervisor:hv1", r, &live, &out, &err), LS_OK);
    assert_true(json_is_false(json_object_get(out, "fits")));
    assert_string_equal(json_string_value(json_object_get(out, "excluded_by")), "capacity:VCPU");
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "reasons"), 0)),
                        "VCPU: 5 asked, 4 free of 64");
    json_decref(out);
    assert_int_equal(ls_place_explain(t, "hv9", r, &live, &out, &err), LS_ENOTFOUND);
    assert_string_equal(err.code, "host_not_found");
    free(r);
    ls_place_table_release(t);
}

static void test_moves_take_servers_off_a_red_host_paced(void **state)
{
    struct fx *f = *state;
    struct ls_place_table *t = ls_placement_table(f->pl);
    struct ls_place_live live = {.tel = f->tel, .colour = colour_cb, .colour_arg = f};
    struct ls_place_moves_request r = {.limit = 10};
    json_t *out = NULL;
    struct ls_err err;
    /* nothing wrong: no moves, the measure is on target */
    assert_int_equal(ls_placement_moves(f->pl, t, &live, &r, &out, &err), LS_OK);
    assert_int_equal(json_array_size(json_object_get(out, "moves")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "pace"), "allowed")),
                     0);
    json_decref(out);
    /* hv2 turns red: s1 (m1.big, AVX2 forbidden, 6 vCPUs) goes to hv3, the only host left */
    f->red = "nova:hypervisor:hv2";
    assert_int_equal(ls_placement_moves(f->pl, t, &live, &r, &out, &err), LS_OK);
    json_t *m = json_array_get(json_object_get(out, "moves"), 0);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "server")), "s1");
    assert_string_equal(json_string_value(json_object_get(m, "from")), "hv2");
    assert_string_equal(json_string_value(json_object_get(m, "to")), "hv3");
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "reasons"), 0)),
                        "from: colour red");
    json_decref(out);
    ls_place_table_release(t);
}

/* tests/data/k8s/<name>/{request,response}.json (README there) */
static void golden(struct fx *f, const char *name, bool prioritize)
{
    const char *src = getenv("LS_SOURCE_DIR");
    assert_non_null(src);
    char path[1024];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/tests/data/k8s/%s/request.json", src, name);
    json_t *req = json_load_file(path, 0, &je);
    if (!req)
        fail_msg("%s: %s", path, je.text);
    snprintf(path, sizeof(path), "%s/tests/data/k8s/%s/response.json", src, name);
    json_t *want = json_load_file(path, 0, &je);
    if (!want)
        fail_msg("%s: %s", path, je.text);
    struct ls_place_table *t = ls_placement_table(f->pl);
    struct ls_place_live live = {.tel = f->tel, .colour = colour_cb, .colour_arg = f};
    json_t *got = NULL;
    struct ls_err err;
    assert_int_equal(ls_place_k8s(t, &live, req, prioritize, &got, &err), LS_OK);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        fail_msg("%s: got %s", name, g);
    }
    json_decref(got);
    json_decref(want);
    json_decref(req);
    ls_place_table_release(t);
}

static void test_k8s_extender_answers_as_the_golden_documents(void **state)
{
    struct fx *f = *state;
    golden(f, "filter_node_names", false);
    golden(f, "prioritize", true);
    f->red = "nova:hypervisor:hv3";
    golden(f, "filter_nodes", false);
}

static void test_k8s_extender_refuses_what_is_not_extender_args(void **state)
{
    struct fx *f = *state;
    static const char *const cases[][2] = {
        {"{\"Pod\":{}}", "invalid_request"}, /* neither Nodes nor NodeNames */
        {"{\"Pod\":{},\"NodeNames\":\"a\"}", "invalid_request"},
        {"{\"Pod\":{},\"NodeNames\":[],\"pod\":1}", "unknown_field"},
        {"{\"Pod\":[],\"NodeNames\":[]}", "invalid_request"},
        {"{\"Pod\":{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":"
         "\"lots\"}}}]}},\"NodeNames\":[]}",
         "invalid_request"},
        {"{\"Pod\":{},\"Nodes\":{\"items\":[{\"metadata\":{}}]}}", "invalid_request"},
    };
    struct ls_place_table *t = ls_placement_table(f->pl);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_error_t je;
        json_t *req = json_loads(cases[i][0], 0, &je), *got = NULL;
        assert_non_null(req);
        struct ls_err err = {0};
        if (ls_place_k8s(t, NULL, req, false, &got, &err) == LS_OK)
            fail_msg("%s: accepted", cases[i][0]);
        if (strcmp(err.code, cases[i][1]) != 0)
            fail_msg("%s: %s, want %s", cases[i][0], err.code, cases[i][1]);
        json_decref(req);
    }
    ls_place_table_release(t);
}

/* POST /v1/stitch bodies on the fixture: the answer's mappings "a=hv2,b=hv1;..." or the
 * unsatisfied condition "unsat:<index>:<op>", or the error code. */
static void stitch(struct fx *f, const char *body_text, char *buf, size_t cap)
{
    json_error_t je;
    json_t *body = json_loads(body_text, 0, &je), *out = NULL;
    assert_non_null(body);
    struct ls_snap *s = ls_graph_snap(f->g);
    struct ls_err err;
    buf[0] = '\0';
    if (ls_stitch(s, body, &out, &err) != LS_OK) {
        snprintf(buf, cap, "%s", err.code);
    } else if (!json_is_null(json_object_get(out, "unsatisfied"))) {
        json_t *u = json_object_get(out, "unsatisfied");
        json_t *c = json_object_get(u, "condition");
        snprintf(buf, cap, "unsat:%lld:%s",
                 json_is_integer(c) ? (long long)json_integer_value(c) : -1LL,
                 json_string_value(json_object_get(u, "op"))
                     ? json_string_value(json_object_get(u, "op"))
                     : "-");
    } else {
        size_t i, len = 0;
        json_t *st;
        json_array_foreach(json_object_get(out, "stitches"), i, st)
        {
            const char *k;
            json_t *v;
            size_t j = 0;
            json_object_foreach(json_object_get(st, "mapping"), k, v) len +=
                (size_t)snprintf(buf + len, cap - len, "%s%s=%s", j++ ? "," : (i ? ";" : ""), k,
                                 json_string_value(v) + 16);
        }
    }
    json_decref(out);
    json_decref(body);
    ls_snap_release(s);
}

#define TWO_HV                                                                                     \
    "\"nodes\":[{\"id\":\"a\",\"type\":\"hypervisor\"},{\"id\":\"b\",\"type\":\"hypervisor\"}]"

static void test_stitch_conditions_compositions_and_what_failed(void **state)
{
    struct fx *f = *state;
    char b[1024];
    /* VCPU totals: hv1 16, others 32; ratios: hv1 4, hv2 2, hv3 1, hv4 2 */
    stitch(f,
           "{" TWO_HV ",\"conditions\":[{\"op\":\"ge\",\"node\":\"a\",\"attr\":"
           "\"inventories.VCPU.total\",\"value\":32},{\"op\":\"diff\",\"nodes\":[\"a\",\"b\"]},"
           "{\"op\":\"regex\",\"node\":\"b\",\"attr\":\"name\",\"value\":\"^hv[12]$\"}]}",
           b, sizeof(b));
    assert_string_equal(b, "a=hv2,b=hv1;a=hv3,b=hv1;a=hv3,b=hv2;a=hv4,b=hv1;a=hv4,b=hv2");
    /* bounded repetitions, classes and groups within the size guard */
    stitch(f,
           "{" TWO_HV ",\"conditions\":[{\"op\":\"diff\",\"nodes\":[\"a\",\"b\"]},"
           "{\"op\":\"regex\",\"node\":\"a\",\"attr\":\"name\",\"value\":"
           "\"^(h|x){1,255}v+[[:digit:]]{1,3}$\"},{\"op\":\"regex\",\"node\":\"b\","
           "\"attr\":\"name\",\"value\":\"^[]hv]+4\"}]}",
           b, sizeof(b));
    assert_string_equal(b, "a=hv1,b=hv4;a=hv2,b=hv4;a=hv3,b=hv4");
    /* share / nshare an attribute */
    stitch(f,
           "{" TWO_HV ",\"conditions\":[{\"op\":\"share\",\"attr\":"
           "\"inventories.VCPU.allocation_ratio\",\"nodes\":[\"a\",\"b\"]},{\"op\":\"diff\","
           "\"nodes\":[\"a\",\"b\"]}]}",
           b, sizeof(b));
    assert_string_equal(b, "a=hv2,b=hv4;a=hv4,b=hv2");
    stitch(f,
           "{" TWO_HV ",\"conditions\":[{\"op\":\"nshare\",\"attr\":"
           "\"inventories.VCPU.allocation_ratio\",\"nodes\":[\"a\",\"b\"]},{\"op\":\"eq\","
           "\"node\":\"a\",\"attr\":\"name\",\"value\":\"hv2\"}],\"limit\":5}",
           b, sizeof(b));
    assert_string_equal(b, "a=hv2,b=hv1;a=hv2,b=hv3");
    /* lt is strict here (graph_stitcher's lt is <=); lg is accepted as gt; a margin ranks */
    stitch(f,
           "{\"nodes\":[{\"id\":\"a\",\"type\":\"hypervisor\"}],\"conditions\":[{\"op\":"
           "\"lt\",\"node\":\"a\",\"attr\":\"inventories.VCPU.total\",\"value\":32}]}",
           b, sizeof(b));
    assert_string_equal(b, "a=hv1");
    stitch(f,
           "{\"nodes\":[{\"id\":\"a\",\"type\":\"hypervisor\"}],\"conditions\":[{\"op\":"
           "\"lg\",\"node\":\"a\",\"attr\":\"inventories.VCPU.allocation_ratio\","
           "\"value\":1}]}",
           b, sizeof(b));
    assert_string_equal(b, "a=hv1;a=hv2;a=hv4"); /* margin 3 first, then 1 and 1 in order */
    /* unsatisfiable: an attribute condition empties a's candidates; compositions contradict */
    stitch(f,
           "{" TWO_HV ",\"conditions\":[{\"op\":\"diff\",\"nodes\":[\"a\",\"b\"]},{\"op\":"
           "\"gt\",\"node\":\"b\",\"attr\":\"inventories.VCPU.total\",\"value\":100}]}",
           b, sizeof(b));
    assert_string_equal(b, "unsat:1:gt");
    stitch(f,
           "{" TWO_HV ",\"conditions\":[{\"op\":\"same\",\"nodes\":[\"a\",\"b\"]},{\"op\":"
           "\"diff\",\"nodes\":[\"a\",\"b\"]}]}",
           b, sizeof(b));
    assert_string_equal(b, "unsat:0:same");
    stitch(f, "{\"nodes\":[{\"id\":\"a\",\"type\":\"switch\"}]}", b, sizeof(b));
    assert_string_equal(b, "unsat:-1:-");
    /* refused */
    static const char *const bad[][2] = {
        {"{}", "invalid_request"},
        {"{" TWO_HV ",\"x\":1}", "unknown_field"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"near\"}]}", "invalid_request"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"regex\",\"node\":\"a\",\"attr\":\"name\","
         "\"value\":\"(\"}]}",
         "invalid_regex"},
        /* repetitions of repetitions: regcomp would take seconds and gigabytes */
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"regex\",\"node\":\"a\",\"attr\":\"name\","
         "\"value\":\"^hv++++++++++++++++++++++++++++++++++++++++++++++++++\"}]}",
         "invalid_regex"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"regex\",\"node\":\"a\",\"attr\":\"name\","
         "\"value\":\"((((((((((((((((((((h)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+\"}]}",
         "invalid_regex"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"regex\",\"node\":\"a\",\"attr\":\"name\","
         "\"value\":\"((h{20}){20}){20}\"}]}",
         "invalid_regex"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"regex\",\"node\":\"a\",\"attr\":\"name\","
         "\"value\":\"^h**v\"}]}",
         "invalid_regex"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"same\",\"nodes\":[\"a\",\"z\"]}]}",
         "invalid_request"},
        {"{" TWO_HV ",\"conditions\":[{\"op\":\"share\",\"nodes\":[\"a\",\"b\"]}]}",
         "invalid_request"},
        {"{\"nodes\":[{\"id\":\"a\",\"type\":\"x\"},{\"id\":\"a\",\"type\":\"x\"}]}",
         "invalid_request"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        stitch(f, bad[i][0], b, sizeof(b));
        if (strcmp(b, bad[i][1]) != 0)
            fail_msg("%s: %s, want %s", bad[i][0], b, bad[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_capacity_is_total_minus_reserved_times_ratio_minus_used),
        T(test_traits_zone_and_aggregate_filter),
        T(test_affinity_by_host_and_rack),
        T(test_numa_nodes_needs_enough_cells),
        T(test_live_load_and_colours_change_the_order),
        T(test_count_limits_the_answer),
        T(test_flavor_name_resolves_through_imported_servers),
        T(test_malformed_requests_name_the_field),
        T(test_table_is_cached_per_revision),
        T(test_explain_one_host),
        T(test_moves_take_servers_off_a_red_host_paced),
        T(test_k8s_extender_answers_as_the_golden_documents),
        T(test_k8s_extender_refuses_what_is_not_extender_args),
        T(test_stitch_conditions_compositions_and_what_failed),
#undef T
    };
    return cmocka_run_group_tests_name("analytics/placement", tests, NULL, NULL);
}
