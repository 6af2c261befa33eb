/* importers/openstack against the scale simulator (tests/tools/ossim, HTTP on loopback) and a
 * private Postgres: pagination over many pages, faults (a token that expires mid-pass: one
 * re-auth, then success; 500s: retries, then the pass fails and nothing changes; truncated
 * JSON: the pass fails with a clear error), bounded concurrency and request rate, a deletion missed
 * while the importer was down found by the next start's reconciliation, an old compute API, and two
 * clouds at once in a running landscaped (ids tagged with the cloud, /v1/sources, /metrics), and a
 * stop that does not wait for a cloud that hangs. */
#define _GNU_SOURCE /* strcasestr */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "importers/openstack/importer.h"
#include "model/node.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/tools/ossim/ossim.h"

struct fx {
    struct ossim *sim;
    struct ls_store *store;
    struct ls_graph *g;
    struct ls_os_importer *imp;
    char clouds[512];
};

/* clouds.yaml naming each sim (user admin, password `password` or "secret"), with `extra`
 * (NULL: none) added to each cloud's settings, e.g. "    cacert: /path\n". */
static void write_clouds_with(const char *path,
                              const char *const *names,
                              struct ossim *const *sims,
                              int n,
                              const char *password,
                              const char *extra)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "clouds:\n");
    for (int i = 0; i < n; i++)
        fprintf(f,
                "  %s:\n    auth:\n      auth_url: %s\n      username: admin\n"
                "      password: %s\n      project_name: admin\n"
                "      user_domain_name: Default\n      project_domain_name: Default\n"
                "    region_name: RegionOne\n%s",
                names[i], ossim_auth_url(sims[i]), password ? password : "secret",
                extra ? extra : "");
    fclose(f);
}

static void
write_clouds(const char *path, const char *const *names, struct ossim *const *sims, int n)
{
    write_clouds_with(path, names, sims, n, NULL, NULL);
}

static struct fx *start(const struct ossim_opts *so)
{
    struct fx *f = calloc(1, sizeof(*f));
    char errbuf[256];
    f->sim = ossim_start(so, errbuf, sizeof(errbuf));
    if (!f->sim)
        fail_msg("ossim: %s", errbuf);
    static int n;
    snprintf(f->clouds, sizeof(f->clouds), "%s/clouds-%d.yaml", ls_harness_dir(), n++);
    const char *names[] = {"sim"};
    write_clouds(f->clouds, names, &f->sim, 1);
    setenv("OS_CLIENT_CONFIG_FILE", f->clouds, 1);
    f->store = ls_harness_new_store();
    f->g = ls_graph_new();
    struct ls_err err;
    struct ls_os_importer_opts o = {
        .cloud = "sim",
        .session = {.timeout_s = 10, .retries = 2, .retry_base_s = 0.01},
        .collect = {.concurrency = 3, .page_size = 1000}};
    if (ls_os_importer_new(&f->imp, &o, f->g, f->store, &err) != LS_OK)
        fail_msg("importer: %s", err.msg);
    return f;
}

static void stop(struct fx *f)
{
    ls_os_importer_free(f->imp);
    ls_store_close(f->store);
    ls_graph_free(f->g);
    ossim_stop(f->sim);
    free(f);
}

/* Replaces the fixture's importer with one bounded to `concurrency` requests at once and
 * `max_rps` per second (0: unbounded). */
static void reopen_bounded(struct fx *f, int concurrency, long max_rps)
{
    ls_os_importer_free(f->imp);
    struct ls_err err;
    struct ls_os_importer_opts o = {
        .cloud = "sim",
        .session = {.timeout_s = 10, .retries = 2, .retry_base_s = 0.01, .max_rps = max_rps},
        .collect = {.concurrency = concurrency, .page_size = 10}};
    if (ls_os_importer_new(&f->imp, &o, f->g, f->store, &err) != LS_OK)
        fail_msg("importer: %s", err.msg);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count_type(struct ls_graph *g, const char *type)
{
    struct ls_snap *s = ls_graph_snap(g);
    struct ls_node_filter nf = {.type = type, .layer = -1};
    const struct ls_node *page[4096];
    size_t n = 0, total = 0;
    bool more = true;
    const char *after = NULL;
    char last[256];
    while (more) {
        struct ls_err err;
        assert_int_equal(ls_snap_list_nodes(s, &nf, after, 4096, page, &n, &more, &err), LS_OK);
        total += n;
        if (n == 0)
            break;
        snprintf(last, sizeof(last), "%s", page[n - 1]->id);
        after = last;
    }
    ls_snap_release(s);
    return total;
}

static const char *runs_on(struct ls_graph *g, const char *server_id, char *out, size_t cap)
{
    char id[128];
    snprintf(id, sizeof(id), "nova:instance:%s", server_id);
    struct ls_snap *s = ls_graph_snap(g);
    out[0] = '\0';
    const struct ls_node *n = ls_snap_node(s, id);
    if (n) {
        const char *h = json_string_value(json_object_get(n->attrs, "hypervisor_hostname"));
        char hv[160];
        snprintf(hv, sizeof(hv), "nova:hypervisor:%s", h ? h : "");
        if (ls_snap_edge(s, id, LS_EDGE_RUNS_ON, hv))
            snprintf(out, cap, "%s", h);
    }
    ls_snap_release(s);
    return out;
}

static void test_pages_are_all_followed(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.hypervisors = 23;
    so.servers = 157;
    so.volumes = 41;
    so.page_max = 7; /* the simulator caps every page at 7 whatever limit is asked */
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "instance"), 157);
    assert_int_equal(count_type(f->g, "hypervisor"), 23);
    assert_int_equal(count_type(f->g, "volume"), 41);
    assert_int_equal(count_type(f->g, "port"), 157 + 1 /* router gateway */ + 1 /* interface */);
    struct ls_os_pass_stats st;
    ls_os_importer_stats(f->imp, &st);
    /* servers alone take ceil(157 / 7) = 23 pages */
    assert_true(st.requests > 23 + 4 + 23 * 4);
    /* every server runs on its hypervisor */
    char sid[37], host[64], want[64];
    for (int i = 0; i < 157; i += 13) {
        ossim_server_id(f->sim, i, sid);
        ossim_hypervisor_name(i % 23, want, sizeof(want));
        assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), want);
    }
    stop(f);
}

/* The long lists' next page is fetched on a guess read from the end of the body; an answer
 * whose last "servers_links" is not the real one (a decoy member after it) costs a refetch,
 * never a wrong page: the import is exactly the cloud. */
static void test_a_wrong_next_link_guess_is_refetched(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.hypervisors = 5;
    so.servers = 40;
    so.volumes = 12;
    so.page_max = 7;
    struct fx *f = start(&so);
    struct ossim_fault decoy = {.kind = OSSIM_FAULT_DECOY, .path_contains = "", .count = -1};
    decoy.path_contains = "/servers/detail";
    ossim_fault(f->sim, &decoy);
    decoy.path_contains = "/ports";
    ossim_fault(f->sim, &decoy);
    decoy.path_contains = "/volumes/detail";
    ossim_fault(f->sim, &decoy);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    struct ls_os_pass_stats decoyed, st;
    ls_os_importer_stats(f->imp, &decoyed);
    assert_int_equal(count_type(f->g, "instance"), 40);
    assert_int_equal(count_type(f->g, "volume"), 12);
    assert_int_equal(count_type(f->g, "port"), 40 + 1 /* router gateway */ + 1 /* interface */);
    char sid[37], host[64], want[64];
    for (int i = 0; i < 40; i += 3) {
        ossim_server_id(f->sim, i, sid);
        ossim_hypervisor_name(i % 5, want, sizeof(want));
        assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), want);
    }
    /* without the decoys a reconciliation finds nothing to change, and costs one request less
     * per page of those lists: each decoy was fetched once and thrown away (6 pages of
     * servers, 6 of ports, 2 of volumes) */
    ossim_clear_faults(f->sim);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    ls_os_importer_stats(f->imp, &st);
    assert_int_equal(st.changes, 0);
    assert_int_equal(decoyed.requests - st.requests, 6 + 6 + 2);
    stop(f);
}

static void test_token_expiring_mid_pass_costs_one_reauth(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 50;
    so.page_max = 5;
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    uint64_t tokens = ossim_token_requests(f->sim);
    /* the 4th server page of the next pass answers 401: one re-auth, and the pass goes on */
    struct ossim_fault mid = {.kind = OSSIM_FAULT_STATUS,
                              .path_contains = "/servers/detail",
                              .status = 401,
                              .count = 1,
                              .skip = 3};
    ossim_fault(f->sim, &mid);
    ossim_migrate(f->sim, 7, 2);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(ossim_token_requests(f->sim) - tokens, 1);
    /* every token revoked between passes: the next pass re-authenticates once */
    struct ossim_fault ex = {.kind = OSSIM_FAULT_EXPIRE};
    ossim_fault(f->sim, &ex);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(ossim_token_requests(f->sim) - tokens, 2);
    char sid[37], host[64];
    ossim_server_id(f->sim, 7, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "sim-hv-2");
    stop(f);
}

static void test_tokens_are_renewed_before_they_expire(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 10;
    so.token_ttl_s = 8; /* renewed a quarter of the lifetime early: after 6 s, before 8 s */
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_INCREMENTAL, &err), LS_OK);
    assert_int_equal(ossim_token_requests(f->sim), 1);
    usleep(6500 * 1000);
    uint64_t before = ossim_requests(f->sim);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_INCREMENTAL, &err), LS_OK);
    assert_int_equal(ossim_token_requests(f->sim), 2);
    /* renewed ahead of time: no request was refused (a 401 would have cost one more) */
    struct ls_os_pass_stats st;
    ls_os_importer_stats(f->imp, &st);
    assert_int_equal(ossim_requests(f->sim) - before, st.requests);
    stop(f);
}

static void test_500s_retry_then_fail_the_pass_and_change_nothing(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 30;
    so.page_max = 4;
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    uint64_t rev = ls_graph_next_revision(f->g);
    /* one 500 on a port page: retried, and the pass succeeds */
    struct ossim_fault one = {.kind = OSSIM_FAULT_STATUS,
                              .path_contains = "/v2.0/ports",
                              .status = 500,
                              .count = 1,
                              .skip = 1};
    ossim_fault(f->sim, &one);
    ossim_migrate(f->sim, 3, 1);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_true(ls_graph_next_revision(f->g) > rev);
    /* now 503s on every volume page: after the retries the pass fails, the graph stays */
    rev = ls_graph_next_revision(f->g);
    ossim_delete_server(f->sim, 4);
    ossim_migrate(f->sim, 5, 2);
    struct ossim_fault all = {
        .kind = OSSIM_FAULT_STATUS, .path_contains = "/volumes/detail", .status = 503, .count = -1};
    ossim_fault(f->sim, &all);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_EUNAVAIL);
    assert_non_null(strstr(err.msg, "HTTP 503"));
    assert_non_null(strstr(err.msg, "/volumes/detail"));
    assert_int_equal(ls_graph_next_revision(f->g), rev);
    char sid[37], host[64];
    ossim_server_id(f->sim, 4, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "sim-hv-1"); /* still there */
    json_t *status = ls_os_importer_status(f->imp);
    assert_string_equal(json_string_value(json_object_get(status, "state")), "degraded");
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(status, "last_error"), "message")),
               "HTTP 503"));
    json_decref(status);
    /* the hypervisor list fails while the long lists' pages wait for it (their mapping needs
     * it): the pass ends, with that list's error, and changes nothing */
    ossim_clear_faults(f->sim);
    struct ossim_fault hyps = {
        .kind = OSSIM_FAULT_STATUS, .path_contains = "/os-hypervisors", .status = 503, .count = -1};
    ossim_fault(f->sim, &hyps);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_EUNAVAIL);
    assert_non_null(strstr(err.msg, "HTTP 503"));
    assert_non_null(strstr(err.msg, "/os-hypervisors"));
    assert_int_equal(ls_graph_next_revision(f->g), rev);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "sim-hv-1");
    ossim_clear_faults(f->sim);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), ""); /* deleted now */
    stop(f);
}

static void test_truncated_json_fails_the_pass_with_a_clear_error(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 20;
    struct fx *f = start(&so);
    struct ls_err err;
    struct ossim_fault tr = {
        .kind = OSSIM_FAULT_TRUNCATE, .path_contains = "/servers/detail", .count = 1};
    ossim_fault(f->sim, &tr);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_EINVAL);
    assert_string_equal(err.code, "invalid_json");
    assert_non_null(strstr(err.msg, "/compute/v2.1/servers/detail: the body is not JSON"));
    assert_int_equal(count_type(f->g, "instance"), 0);
    assert_int_equal(ls_graph_next_revision(f->g), 1); /* nothing was applied */
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "instance"), 20);
    stop(f);
}

static void test_incremental_follows_and_a_restart_reconciles_what_was_missed(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.hypervisors = 5;
    so.servers = 40;
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    sleep(1); /* changes-since compares whole seconds */
    ossim_migrate(f->sim, 1, 4);
    ossim_set_status(f->sim, 2, "SHUTOFF");
    ossim_delete_server(f->sim, 3);
    int added = ossim_add_server(f->sim, 0);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_INCREMENTAL, &err), LS_OK);
    struct ls_os_pass_stats st;
    ls_os_importer_stats(f->imp, &st);
    assert_true(st.requests < 20); /* an incremental pass reads what changed */
    char sid[37], host[64], id[128];
    ossim_server_id(f->sim, 1, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "sim-hv-4");
    ossim_server_id(f->sim, 2, sid);
    snprintf(id, sizeof(id), "nova:instance:%s", sid);
    struct ls_snap *s = ls_graph_snap(f->g);
    assert_string_equal(ls_snap_node(s, id)->state, "SHUTOFF");
    ls_snap_release(s);
    ossim_server_id(f->sim, 3, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "");
    ossim_server_id(f->sim, added, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "sim-hv-0");
    assert_int_equal(count_type(f->g, "instance"), 40);

    /* Landscape goes down; meanwhile a server is deleted and one migrates */
    ls_os_importer_free(f->imp);
    ossim_delete_server(f->sim, 10);
    ossim_migrate(f->sim, 11, 3);
    struct ls_os_importer_opts o = {.cloud = "sim",
                                    .session = {.timeout_s = 10, .retries = 2},
                                    .collect = {.concurrency = 2, .page_size = 1000}};
    assert_int_equal(ls_os_importer_new(&f->imp, &o, f->g, f->store, &err), LS_OK);
    /* a fresh importer's first pass is a full one, even when asked for an incremental one */
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_INCREMENTAL, &err), LS_OK);
    ossim_server_id(f->sim, 10, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "");
    ossim_server_id(f->sim, 11, sid);
    assert_string_equal(runs_on(f->g, sid, host, sizeof(host)), "sim-hv-3");
    assert_int_equal(count_type(f->g, "instance"), 39);
    /* and a reconciliation right after finds nothing */
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    ls_os_importer_stats(f->imp, &st);
    assert_int_equal(st.changes, 0);
    stop(f);
}

/* The fast path's hints: an event names a stack that was deleted; the next incremental pass
 * lists the stacks, finds it gone and takes it and its resources out — the others stay. */
static void test_a_stack_named_by_an_event_and_gone_is_removed(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 6;
    so.volumes = 3;
    so.stacks = 2;
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "stack"), 2);
    size_t resources = count_type(f->g, "stack_resource");
    assert_true(resources >= 2);
    char sid[37], id[128];
    ossim_stack_id(f->sim, 0, sid);
    ossim_delete_stack(f->sim, 0);
    ls_os_importer_notify(f->imp, "stack", sid);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_INCREMENTAL, &err), LS_OK);
    snprintf(id, sizeof(id), "heat:stack:%s", sid);
    struct ls_snap *s = ls_graph_snap(f->g);
    assert_null(ls_snap_node(s, id));
    ls_snap_release(s);
    assert_int_equal(count_type(f->g, "stack"), 1);
    assert_int_equal(count_type(f->g, "stack_resource"), resources / 2);
    /* and a reconciliation agrees */
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    struct ls_os_pass_stats st;
    ls_os_importer_stats(f->imp, &st);
    assert_int_equal(st.changes, 0);
    stop(f);
}

static void test_old_compute_api_without_uuids_or_embedded_flavors(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 12;
    so.compute_max_version = "2.1";
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "instance"), 12);
    char sid[37], id[128];
    ossim_server_id(f->sim, 0, sid);
    snprintf(id, sizeof(id), "nova:instance:%s", sid);
    struct ls_snap *s = ls_graph_snap(f->g);
    const struct ls_node *n = ls_snap_node(s, id);
    assert_non_null(n);
    /* the flavor read from /flavors/detail, since servers only carry its id */
    assert_true(json_integer_value(json_object_get(json_object_get(n->attrs, "flavor"), "vcpus")) >
                0);
    ls_snap_release(s);
    json_t *status = ls_os_importer_status(f->imp);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(status, "microversions"), "compute")),
        "2.1");
    json_decref(status);
    stop(f);
}

/* POST /v1/sources/{cloud}/sync?wait=true[&full=true]: a pass now, which must succeed. */
static void sync_wait_ok(struct ls_service *svc, const char *cloud, bool full)
{
    char path[200];
    snprintf(path, sizeof(path), "/v1/sources/%s/sync?wait=true%s", cloud,
             full ? "&full=true" : "");
    struct ls_http_result r;
    assert_int_equal(ls_http(svc, "POST", path, NULL, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("%s: HTTP %ld: %s", path, r.status, r.body);
    ls_http_result_cleanup(&r);
}

static void test_two_clouds_in_one_landscaped(void **state)
{
    (void)state;
    struct ossim_opts a, b;
    ossim_opts_default(&a);
    ossim_opts_default(&b);
    a.servers = 6;
    b.servers = 9;
    char errbuf[256], clouds[512];
    struct ossim *sims[2] = {ossim_start(&a, errbuf, sizeof(errbuf)),
                             ossim_start(&b, errbuf, sizeof(errbuf))};
    assert_non_null(sims[0]);
    assert_non_null(sims[1]);
    snprintf(clouds, sizeof(clouds), "%s/two-clouds.yaml", ls_harness_dir());
    const char *names[] = {"east", "west"};
    write_clouds(clouds, names, sims, 2);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    struct ls_service svc;
    const char *args[] = {"--os-cloud", "east", "--os-cloud", "west", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    struct ls_http_result r;
    /* the passes run on the sync threads at start; ask for one more on each and wait */
    sync_wait_ok(&svc, "east", false);
    sync_wait_ok(&svc, "west", false);
    assert_int_equal(ls_http(&svc, "GET", "/v1/sources", NULL, NULL, &r), 0);
    assert_int_equal(json_array_size(ls_jget(r.json, "sources")), 2);
    assert_string_equal(ls_jstr(r.json, "sources.0.name"), "east");
    assert_int_equal(ls_jint(r.json, "sources.0.counts.instance"), 6);
    assert_int_equal(ls_jint(r.json, "sources.1.counts.instance"), 9);
    assert_string_equal(ls_jstr(r.json, "sources.1.state"), "ok");
    ls_http_result_cleanup(&r);
    char sid[37], path[256];
    ossim_server_id(sims[1], 0, sid);
    snprintf(path, sizeof(path), "/v1/nodes/nova@west:instance:%s", sid);
    assert_int_equal(ls_http(&svc, "GET", path, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(ls_jstr(r.json, "source"), "openstack:west");
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(&svc, "GET", "/v1/sources/nope", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(ls_jstr(r.json, "error.code"), "source_not_found");
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_http(&svc, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_non_null(strstr(r.body, "landscape_openstack_up{cloud=\"west\"} 1"));
    assert_non_null(
        strstr(r.body, "landscape_openstack_nodes{cloud=\"east\",type=\"instance\"} 6"));
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
    ossim_stop(sims[0]);
    ossim_stop(sims[1]);
}

/* --os-concurrency bounds the requests in flight: every answer is held 30 ms so that the
 * workers' requests overlap, and the simulator counts how many it answers at once (up to its
 * 8 threads; a held answer holds its thread). */
static void test_requests_in_flight_never_exceed_the_concurrency(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 60;
    so.hypervisors = 6;
    so.threads = 8;
    struct fx *f = start(&so);
    struct ossim_fault slow = {.kind = OSSIM_FAULT_DELAY, .delay_ms = 30, .count = -1};
    ossim_fault(f->sim, &slow);
    struct ls_err err;
    int bounds[] = {1, 2, 4};
    unsigned seen[3];
    for (int i = 0; i < 3; i++) {
        reopen_bounded(f, bounds[i], 0);
        ossim_max_in_flight(f->sim);
        assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
        seen[i] = ossim_max_in_flight(f->sim);
        print_message("# concurrency %d: at most %u requests in flight\n", bounds[i], seen[i]);
    }
    assert_int_equal(seen[0], 1);
    assert_true(seen[1] >= 1 && seen[1] <= 2);
    assert_true(seen[2] >= 3 && seen[2] <= 4); /* the count does see parallel requests */
    assert_int_equal(count_type(f->g, "instance"), 60);
    stop(f);
}

/* --os-max-rps bounds the request rate over all of a pass's workers (token requests aside):
 * n requests at 40 per second take at least (n - 1) / 40 s. A lower bound only: a slow
 * machine cannot make it fail. */
static void test_the_request_rate_is_bounded(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 40;
    struct fx *f = start(&so);
    struct ls_err err;
    reopen_bounded(f, 4, 40);
    uint64_t r0 = ossim_requests(f->sim) - ossim_token_requests(f->sim);
    double t0 = now_s();
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    double took = now_s() - t0;
    uint64_t n = ossim_requests(f->sim) - ossim_token_requests(f->sim) - r0;
    print_message("# %llu requests at most 40/s: %.2f s (at least %.2f)\n", (unsigned long long)n,
                  took, (double)(n - 1) / 40.0);
    assert_true(n > 20);
    assert_true(took >= (double)(n - 1) / 40.0 * 0.98);
    stop(f);
}

/* A token whose catalog leaves services out (system scope: Keystone drops the endpoints that
 * name a project — Cinder's and Heat's) reads nothing from them: the full pass keeps what the
 * landscape has of them instead of deleting it, says so in the status, and still replaces
 * what it did read. With a project token again, they are read and swept as usual. */
static void test_services_missing_from_the_catalog_are_kept_and_reported(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 8;
    so.volumes = 3;
    so.stacks = 2;
    struct fx *f = start(&so);
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "volume"), 3);
    assert_int_equal(count_type(f->g, "stack"), 2);
    assert_int_equal(count_type(f->g, "instance"), 8);

    FILE *y = fopen(f->clouds, "w");
    assert_non_null(y);
    fprintf(y,
            "clouds:\n  sim:\n    auth:\n      auth_url: %s\n      username: admin\n"
            "      password: secret\n      user_domain_name: Default\n"
            "      system_scope: all\n    region_name: RegionOne\n",
            ossim_auth_url(f->sim));
    fclose(y);
    reopen_bounded(f, 3, 0); /* reads clouds.yaml again */
    ossim_delete_stack(f->sim, 0);
    ossim_delete_server(f->sim, 7);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "volume"), 3); /* not read: kept */
    assert_int_equal(count_type(f->g, "stack"), 2);
    assert_int_equal(count_type(f->g, "instance"), 7); /* read: the deleted one swept */
    json_t *st = ls_os_importer_status(f->imp);
    const char *w = json_string_value(json_object_get(st, "warning"));
    assert_non_null(w);
    assert_non_null(strstr(w, "block-storage (volumes), orchestration (stacks)"));
    assert_non_null(strstr(w, "kept"));
    json_decref(st);

    write_clouds(f->clouds, (const char *[]){"sim"}, &f->sim, 1);
    reopen_bounded(f, 3, 0);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "stack"), 1); /* read again: the deleted stack swept */
    assert_int_equal(count_type(f->g, "volume"), 3);
    st = ls_os_importer_status(f->imp);
    assert_null(json_object_get(st, "warning"));
    json_decref(st);
    stop(f);
}

/* Endpoints come from the token's catalog for the cloud's interface and region, unless
 * overridden: the simulator's catalog also lists internal and admin endpoints (under their
 * own paths) and another region's (which answer 404), and counts what each is asked. */
static void test_endpoints_follow_interface_region_and_overrides(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 6;
    struct fx *f = start(&so); /* interface public (the default), region RegionOne */
    struct ls_err err;
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(ossim_mount_requests(f->sim, OSSIM_MOUNT_INTERNAL), 0);
    assert_int_equal(ossim_mount_requests(f->sim, OSSIM_MOUNT_OTHER_REGION), 0);

    write_clouds_with(f->clouds, (const char *[]){"sim"}, &f->sim, 1, NULL,
                      "    interface: internal\n");
    reopen_bounded(f, 3, 0);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    uint64_t internal = ossim_mount_requests(f->sim, OSSIM_MOUNT_INTERNAL);
    print_message("# interface internal: %llu requests to the internal endpoints\n",
                  (unsigned long long)internal);
    assert_true(internal > 10);
    assert_int_equal(ossim_mount_requests(f->sim, OSSIM_MOUNT_ADMIN), 0);
    assert_int_equal(ossim_mount_requests(f->sim, OSSIM_MOUNT_OVERRIDE), 0);

    char extra[600];
    snprintf(extra, sizeof(extra),
             "    interface: internal\n    compute_endpoint_override: %.*s/override/compute/v2.1\n",
             (int)(strlen(ossim_auth_url(f->sim)) - strlen("/identity/v3")),
             ossim_auth_url(f->sim));
    write_clouds_with(f->clouds, (const char *[]){"sim"}, &f->sim, 1, NULL, extra);
    reopen_bounded(f, 3, 0);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_true(ossim_mount_requests(f->sim, OSSIM_MOUNT_OVERRIDE) > 0);        /* compute */
    assert_true(ossim_mount_requests(f->sim, OSSIM_MOUNT_INTERNAL) > internal); /* the rest */
    assert_int_equal(ossim_mount_requests(f->sim, OSSIM_MOUNT_OTHER_REGION), 0);
    assert_int_equal(count_type(f->g, "instance"), 6);
    stop(f);
}

/* The text of a file (caller frees), or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = calloc(1, 1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (text)
        text[n] = '\0';
    return text;
}

/* HTTPS: a cloud whose certificate the system does not trust is refused with a clear error,
 * and imported with the cloud's `cacert` bundle, or with `verify: false`. */
static void test_tls_needs_the_cloud_ca_bundle_or_verify_false(void **state)
{
    (void)state;
    char cmd[1600], crt[512], key[512];
    snprintf(crt, sizeof(crt), "%s/sim-tls.crt", ls_harness_dir());
    snprintf(key, sizeof(key), "%s/sim-tls.key", ls_harness_dir());
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' >/dev/null 2>&1",
             key, crt);
    assert_int_equal(system(cmd), 0);
    char *cert_pem = slurp(crt), *key_pem = slurp(key);
    assert_non_null(cert_pem);
    assert_non_null(key_pem);
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.servers = 5;
    so.tls_cert_pem = cert_pem;
    so.tls_key_pem = key_pem;
    struct fx *f = start(&so); /* clouds.yaml without a CA bundle */
    assert_int_equal(strncmp(ossim_auth_url(f->sim), "https://", 8), 0);
    struct ls_err err;
    assert_int_not_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    print_message("# without the CA bundle: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "certificate is not trusted here: give its CA bundle as "
                                    "`cacert` in clouds.yaml"));
    assert_int_equal(count_type(f->g, "instance"), 0);

    char extra[600];
    snprintf(extra, sizeof(extra), "    cacert: %s\n", crt);
    write_clouds_with(f->clouds, (const char *[]){"sim"}, &f->sim, 1, NULL, extra);
    reopen_bounded(f, 3, 0);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "instance"), 5);

    ossim_delete_server(f->sim, 4);
    write_clouds_with(f->clouds, (const char *[]){"sim"}, &f->sim, 1, NULL, "    verify: false\n");
    reopen_bounded(f, 3, 0);
    assert_int_equal(ls_os_importer_pass(f->imp, LS_OS_PASS_FULL, &err), LS_OK);
    assert_int_equal(count_type(f->g, "instance"), 4);
    stop(f);
    free(cert_pem);
    free(key_pem);
}

/* Secrets stay out of what the service writes: with debug logging, a re-authentication (401)
 * and retried 503s, neither the password nor a token header is in the log, /v1/sources or
 * /metrics. */
static void test_secrets_are_never_logged(void **state)
{
    (void)state;
    const char *password = "pw-Zq8xT-never-logged";
    struct ossim_opts so;
    ossim_opts_default(&so);
    so.password = password;
    char errbuf[256], clouds[512];
    struct ossim *sim = ossim_start(&so, errbuf, sizeof(errbuf));
    assert_non_null(sim);
    snprintf(clouds, sizeof(clouds), "%s/secret-clouds.yaml", ls_harness_dir());
    write_clouds_with(clouds, (const char *[]){"sec"}, &sim, 1, password, NULL);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    struct ls_service svc;
    const char *args[] = {"--os-cloud", "sec", "--log-level", "debug", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    sync_wait_ok(&svc, "sec", false);
    struct ossim_fault expire = {.kind = OSSIM_FAULT_EXPIRE};
    struct ossim_fault busy = {.kind = OSSIM_FAULT_STATUS, .status = 503, .count = 2};
    ossim_fault(sim, &expire);
    ossim_fault(sim, &busy);
    sync_wait_ok(&svc, "sec", true);
    struct ls_http_result r;
    const char *pages[] = {"/v1/sources", "/metrics"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ls_http(&svc, "GET", pages[i], NULL, NULL, &r), 0);
        assert_null(strstr(r.body, password));
        ls_http_result_cleanup(&r);
    }
    assert_int_equal(ls_service_stop(&svc), 0);
    char path[400];
    snprintf(path, sizeof(path), "%s/service.log", svc.dir);
    char *log = slurp(path);
    assert_non_null(log);
    assert_non_null(strstr(log, "retrying")); /* the debug lines were written */
    assert_null(strstr(log, password));
    assert_null(strcasestr(log, "x-auth-token"));
    assert_null(strcasestr(log, "x-subject-token"));
    free(log);
    ossim_stop(sim);
}

struct waiting_sync {
    struct ls_service *svc;
    struct ls_http_result r;
    int rc;
};

static void *sync_and_wait(void *arg)
{
    struct waiting_sync *w = arg;
    w->rc = ls_http(w->svc, "POST", "/v1/sources/slow/sync?wait=true", NULL, NULL, &w->r);
    return NULL;
}

/* A cloud that stops answering mid-pass (a 60 s hang, request timeout 120 s) does not hold a
 * stopping landscaped: the sync thread's pass and a request waiting on a pass of its own are
 * cut short, and the service exits cleanly (the harness kills it, failing the test, if it
 * takes 30 s). */
static void test_stop_cuts_a_hanging_pass_short(void **state)
{
    (void)state;
    struct ossim_opts so;
    ossim_opts_default(&so);
    char errbuf[256], clouds[512];
    struct ossim *sim = ossim_start(&so, errbuf, sizeof(errbuf));
    assert_non_null(sim);
    struct ossim_fault hang = {.kind = OSSIM_FAULT_DELAY,
                               .path_contains = "/servers/detail",
                               .delay_ms = 60000,
                               .count = -1};
    ossim_fault(sim, &hang);
    snprintf(clouds, sizeof(clouds), "%s/slow-cloud.yaml", ls_harness_dir());
    const char *names[] = {"slow"};
    write_clouds(clouds, names, &sim, 1);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    struct ls_service svc;
    const char *args[] = {"--os-cloud", "slow", "--os-timeout", "120", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    for (int i = 0; i < 600 && ossim_delaying(sim) == 0; i++)
        usleep(50 * 1000);
    assert_int_equal(ossim_delaying(sim), 1); /* the first pass hangs on the servers */
    struct waiting_sync w = {.svc = &svc};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sync_and_wait, &w), 0);
    usleep(300 * 1000);
    assert_int_equal(ls_service_stop(&svc), 0);
    pthread_join(t, NULL);
    if (w.rc == 0) /* answered before the server closed: the pass's error */
        assert_int_equal(w.r.status, 503);
    ls_http_result_cleanup(&w.r);
    assert_true(ls_service_logged(&svc, "pass failed", "cancelled", 0));
    ossim_stop(sim);
}

static void test_a_cloud_missing_from_clouds_yaml_stops_the_start(void **state)
{
    (void)state;
    char clouds[512];
    snprintf(clouds, sizeof(clouds), "%s/empty-clouds.yaml", ls_harness_dir());
    FILE *f = fopen(clouds, "w");
    fputs("clouds: {}\n", f);
    fclose(f);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    struct ls_service svc;
    const char *args[] = {"--os-cloud", "nowhere", NULL};
    printf("# a start failure is expected here:\n");
    assert_int_not_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    assert_true(ls_service_logged(&svc, "--os-cloud nowhere: cloud 'nowhere' is not in", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_are_all_followed),
        cmocka_unit_test(test_a_wrong_next_link_guess_is_refetched),
        cmocka_unit_test(test_token_expiring_mid_pass_costs_one_reauth),
        cmocka_unit_test(test_tokens_are_renewed_before_they_expire),
        cmocka_unit_test(test_500s_retry_then_fail_the_pass_and_change_nothing),
        cmocka_unit_test(test_truncated_json_fails_the_pass_with_a_clear_error),
        cmocka_unit_test(test_incremental_follows_and_a_restart_reconciles_what_was_missed),
        cmocka_unit_test(test_a_stack_named_by_an_event_and_gone_is_removed),
        cmocka_unit_test(test_old_compute_api_without_uuids_or_embedded_flavors),
        cmocka_unit_test(test_requests_in_flight_never_exceed_the_concurrency),
        cmocka_unit_test(test_the_request_rate_is_bounded),
        cmocka_unit_test(test_services_missing_from_the_catalog_are_kept_and_reported),
        cmocka_unit_test(test_endpoints_follow_interface_region_and_overrides),
        cmocka_unit_test(test_tls_needs_the_cloud_ca_bundle_or_verify_false),
        cmocka_unit_test(test_secrets_are_never_logged),
        cmocka_unit_test(test_two_clouds_in_one_landscaped),
        cmocka_unit_test(test_stop_cuts_a_hanging_pass_short),
        cmocka_unit_test(test_a_cloud_missing_from_clouds_yaml_stops_the_start),
    };
    return cmocka_run_group_tests_name("openstack/simulator", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
