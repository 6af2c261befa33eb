/* `openstack landscape ...` (integrations/openstack, issue 15 item 3) as a user runs it: the
 * real /usr/bin/openstack of python3-openstackclient, the plugin found through a dist-info
 * written by tools/mkdistinfo.py, against real landscaped processes on loopback. Every
 * command's output is checked against the API's own answer to the same question: the demo's
 * nodes (every page, filters, -f value / -c), a node, its neighbourhood and history, a diff,
 * placement, an inferred dependency, a root-cause ranking over posted telemetry, incidents
 * seeded in the store; errors (unknown node, flavor, incident, source: exit 1, the message
 * names it); --landscape-token (flag and LANDSCAPE_TOKEN) against --auth tokens with sources
 * from ossim, the OpenStack simulator (401 without a token, 403 for a reader's sync, an
 * admin's sync --wait); and a Keystone session against --auth keystone, ossim being the
 * Keystone: the cloud's token to an explicit URL, Landscape's URL from the catalog
 * (ossim_catalog_add registers landscaped as service type `landscape`) for the cloud's
 * interface and region or an error naming them, and clouds.yaml's landscape_endpoint_override
 * first. Not a real Keystone. Skipped (77) when /usr/bin/openstack or osc_lib is missing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "analytics/incident.h"
#include "common/buf.h"
#include "model/change.h"
#include "sql/incident.h"
#include "sql/store.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"
#include "tests/tools/ossim/ossim.h"

#define OPENSTACK "/usr/bin/openstack"

static char missing[200]; /* why the CLI cannot run here, or "" */

/* ---- running the CLI ---- */

struct run {
    int status;   /* exit status (-1: no normal exit) */
    char *out;    /* stdout, NUL-terminated, owned */
    char *err;    /* stderr */
    json_t *json; /* stdout parsed, or NULL */
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(ls_buf_printf(&b, "%.*s", (int)n, chunk), LS_OK);
    fclose(f);
    return b.data ? b.data : strdup("");
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* Runs `ENV /usr/bin/openstack ARGS` through the shell (ARGS quoted by the caller), stdout
 * and stderr to files; prints what ran and its stderr. */
static void osc_raw(struct run *r, const char *env, const char *fmt, ...)
{
    char args[2048], cmd[3072], out[300], err[300];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(args));
    snprintf(out, sizeof(out), "%s/cli.out", ls_harness_dir());
    snprintf(err, sizeof(err), "%s/cli.err", ls_harness_dir());
    snprintf(cmd, sizeof(cmd), "%s %s %s >'%s' 2>'%s'", env ? env : "", OPENSTACK, args, out, err);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r->out = slurp(out);
    r->err = slurp(err);
    r->json = json_loads(r->out, 0, NULL);
    printf("# openstack %s -> %d%s%s", args, r->status, r->err[0] ? "; stderr: " : "\n", r->err);
}

/* `openstack --landscape-url BASE [--landscape-token T] ARGS`. */
static void osc(struct run *r, struct ls_service *s, const char *token, const char *fmt, ...)
{
    char args[1800];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(args));
    osc_raw(r, NULL, "--landscape-url %s%s%s%s %s", s->base, token ? " --landscape-token '" : "",
            token ? token : "", token ? "'" : "", args);
}

static json_t *osc_json(struct ls_service *s, const char *token, const char *args)
{
    struct run r;
    osc(&r, s, token, "%s -f json", args);
    if (r.status != 0 || r.json == NULL)
        fail_msg("openstack %s: status %d, stdout %s", args, r.status, r.out);
    json_t *j = json_incref(r.json);
    run_free(&r);
    return j;
}

/* Asserts the command failed with status 1 and its message names every string of want. */
static void
osc_fails(struct ls_service *s, const char *token, const char *args, const char *const *want)
{
    struct run r;
    osc(&r, s, token, "%s", args);
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.err, "Traceback"));
    for (size_t i = 0; want[i]; i++)
        if (strstr(r.err, want[i]) == NULL)
            fail_msg("openstack %s: stderr does not name '%s': %s", args, want[i], r.err);
    run_free(&r);
}

/* ---- the API's own answers ---- */

static json_t *api(struct ls_service *s, const char *method, const char *path, const char *body)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(s, method, path, body, NULL, &r), 0);
    if (r.status < 200 || r.status > 299 || r.json == NULL)
        fail_msg("%s %s: %ld %s", method, path, r.status, r.body);
    json_t *j = json_incref(r.json);
    ls_http_result_cleanup(&r);
    return j;
}

/* The values of field in every object of rows (new array). */
static json_t *pluck(const json_t *rows, const char *field)
{
    json_t *out = json_array();
    size_t i;
    json_t *row;
    assert_true(json_is_array(rows));
    json_array_foreach(rows, i, row)
    {
        json_t *v = json_object_get(row, field);
        assert_non_null(v);
        json_array_append(out, v);
    }
    return out;
}

/* field of every item under key on every page of GET path (following "next"). */
static json_t *api_pages(struct ls_service *s, const char *path, const char *key, const char *field)
{
    json_t *all = json_array();
    char next[1024];
    snprintf(next, sizeof(next), "%s", path);
    for (;;) {
        json_t *page = api(s, "GET", next, NULL);
        json_t *part = pluck(json_object_get(page, key), field);
        json_array_extend(all, part);
        json_decref(part);
        const char *n = ls_jstr(page, "next");
        if (n == NULL) {
            json_decref(page);
            return all;
        }
        snprintf(next, sizeof(next), "%s", n);
        json_decref(page);
    }
}

static void same(json_t *cli, json_t *api_answer, const char *what)
{
    if (!json_equal(cli, api_answer)) {
        char *a = json_dumps(cli, JSON_COMPACT), *b = json_dumps(api_answer, JSON_COMPACT);
        fail_msg("%s: the CLI gave %.2000s, the API %.2000s", what, a, b);
    }
    json_decref(cli);
    json_decref(api_answer);
}

/* The lines of a -f value output as a JSON array of strings. */
static json_t *lines(const char *text)
{
    json_t *out = json_array();
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (n)
            json_array_append_new(out, json_stringn(p, n));
        p += n + (p[n] == '\n');
    }
    return out;
}

/* ---- the graph, analytics and placement on the demo ---- */

static void post_telemetry(struct ls_service *s, const char *text)
{
    struct ls_http_result r;
    assert_int_equal(ls_http_body(s, "POST", "/v1/telemetry", "text/plain", text, strlen(text), &r),
                     0);
    if (r.status != 200)
        fail_msg("POST /v1/telemetry: %ld %s", r.status, r.body);
    ls_http_result_cleanup(&r);
}

#define VMA "aaaaaaaa-0000-4000-8000-00000000000a"
#define VMB "bbbbbbbb-0000-4000-8000-00000000000b"

/* A machine and two VMs on it; two hours of calm CPU a day ago, then ten minutes far above
 * on all three (influx lines). Returns the start of the spike (unix seconds). */
static long long make_anomaly(struct ls_service *s)
{
    json_decref(api(s, "POST", "/v1/nodes",
                    "{\"id\":\"host:machine:cli-h1\",\"type\":\"machine\",\"name\":\"cli-h1\"}"));
    const char *vms[] = {VMA, VMB};
    char body[300];
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof(body), "{\"id\":\"nova:instance:%s\",\"type\":\"instance\"}", vms[i]);
        json_decref(api(s, "POST", "/v1/nodes", body));
        snprintf(
            body, sizeof(body),
            "{\"src\":\"nova:instance:%s\",\"type\":\"runs_on\",\"dst\":\"host:machine:cli-h1\"}",
            vms[i]);
        json_decref(api(s, "POST", "/v1/edges", body));
    }
    long long base = (long long)time(NULL) / 60 * 60 - 86400;
    struct ls_buf b;
    ls_buf_init(&b, 0);
    for (int i = 0; i < 130; i++) {
        bool spike = i >= 120;
        double w = 1.5 * sin(i * 2.3) + 0.5 * cos(i * 0.41);
        long long t = base + 60LL * i;
        assert_int_equal(ls_buf_printf(&b, "cpu,host=cli-h1 usage=%.3f %lld000000000\n",
                                       spike ? 98.0 : 35 + w, t),
                         LS_OK);
        assert_int_equal(ls_buf_printf(&b, "cpu,uuid=" VMA " usage=%.3f %lld000000000\n",
                                       spike ? 93.0 : 15 + w, t),
                         LS_OK);
        assert_int_equal(ls_buf_printf(&b, "cpu,uuid=" VMB " usage=%.3f %lld000000000\n",
                                       spike ? 94.0 : 30 - w, t),
                         LS_OK);
    }
    post_telemetry(s, b.data);
    ls_buf_cleanup(&b);
    return base + 120 * 60;
}

static void test_demo_graph_analytics_and_placement(void **state)
{
    (void)state;
    if (missing[0])
        LS_SKIP("%s", missing);
    struct ls_service svc;
    const char *args[] = {"--demo", NULL};
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    struct run r;

    /* node list: every page, then filters, -f value / -c, --limit */
    json_t *cli = osc_json(&svc, NULL, "landscape node list");
    assert_true(json_array_size(cli) > 1000); /* more than one page of the API */
    same(pluck(cli, "ID"), api_pages(&svc, "/v1/nodes", "nodes", "id"), "node list");
    json_decref(cli);
    osc(&r, &svc, NULL, "landscape node list --type hypervisor -f value -c ID");
    assert_int_equal(r.status, 0);
    json_t *hvs = api_pages(&svc, "/v1/nodes?type=hypervisor", "nodes", "id");
    assert_true(json_array_size(hvs) > 0);
    same(lines(r.out), json_incref(hvs), "node list --type hypervisor -f value -c ID");
    run_free(&r);
    cli = osc_json(&svc, NULL,
                   "landscape node list --type machine --attr vendor=Dell --limit 3 -c ID -c Name");
    json_t *api_rows = api(&svc, "GET", "/v1/nodes?type=machine&attr.vendor=Dell&limit=3", NULL);
    assert_int_equal(json_array_size(cli), 3);
    assert_int_equal(json_object_size(json_array_get(cli, 0)), 2); /* only the -c columns */
    same(pluck(cli, "ID"), pluck(json_object_get(api_rows, "nodes"), "id"), "--attr --limit");
    same(pluck(cli, "Name"), pluck(json_object_get(api_rows, "nodes"), "name"), "names");
    json_decref(cli);
    json_decref(api_rows);

    /* node show (the id percent-encoded by the CLI), -f value -c */
    const char *hv = json_string_value(json_array_get(hvs, 0));
    char args_buf[600], path[600];
    snprintf(args_buf, sizeof(args_buf), "landscape node show '%s'", hv);
    snprintf(path, sizeof(path), "/v1/nodes/%s", hv);
    json_t *node = api(&svc, "GET", path, NULL);
    same(osc_json(&svc, NULL, args_buf), json_incref(node), "node show");
    osc(&r, &svc, NULL, "landscape node show '%s' -f value -c name", hv);
    assert_int_equal(r.status, 0);
    same(lines(r.out), json_pack("[O]", json_object_get(node, "name")), "node show -c name");
    run_free(&r);
    json_decref(node);

    /* subgraph: nodes, then edges */
    snprintf(path, sizeof(path), "/v1/nodes/%s/subgraph?depth=1", hv);
    json_t *sub = api(&svc, "GET", path, NULL);
    assert_true(json_array_size(json_object_get(sub, "edges")) > 0);
    snprintf(args_buf, sizeof(args_buf), "landscape subgraph '%s' --depth 1", hv);
    cli = osc_json(&svc, NULL, args_buf);
    same(pluck(cli, "ID"), pluck(json_object_get(sub, "nodes"), "id"), "subgraph");
    json_decref(cli);
    snprintf(args_buf, sizeof(args_buf), "landscape subgraph '%s' --depth 1 --edges", hv);
    cli = osc_json(&svc, NULL, args_buf);
    same(pluck(cli, "ID"), pluck(json_object_get(sub, "edges"), "id"), "subgraph --edges");
    json_decref(cli);
    json_decref(sub);

    /* a node made and changed: its history and the diff over that time */
    json_t *made = api(&svc, "POST", "/v1/nodes",
                       "{\"id\":\"cli:machine:m1\",\"type\":\"machine\",\"name\":\"m1\","
                       "\"state\":\"up\"}");
    usleep(20 * 1000);
    json_t *changed =
        api(&svc, "PATCH", "/v1/nodes/cli:machine:m1", "{\"state\":\"down\",\"name\":\"m1b\"}");
    json_t *hist = api(&svc, "GET", "/v1/nodes/cli:machine:m1/history", NULL);
    cli = osc_json(&svc, NULL, "landscape history cli:machine:m1");
    assert_int_equal(json_array_size(cli), 2);
    same(pluck(cli, "Revision"), pluck(json_object_get(hist, "versions"), "revision"), "history");
    same(pluck(cli, "Name"), json_pack("[ss]", "m1", "m1b"), "history names");
    json_decref(cli);
    json_decref(hist);
    const char *from = ls_jstr(made, "created_at"), *to = ls_jstr(changed, "updated_at");
    snprintf(path, sizeof(path), "/v1/graph/diff?from=%s&to=%s", from, to);
    json_t *diff = api(&svc, "GET", path, NULL);
    snprintf(args_buf, sizeof(args_buf), "landscape diff --from %s --to %s", from, to);
    cli = osc_json(&svc, NULL, args_buf);
    json_t *want = json_array();
    const char *kinds[][3] = {{"added", "node", "added"},
                              {"removed", "node", "removed"},
                              {"added", "edge", "edges_added"},
                              {"removed", "edge", "edges_removed"}};
    for (size_t k = 0; k < 4; k++) {
        json_t *ids = pluck(json_object_get(diff, kinds[k][2]), "id");
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id)
            json_array_append_new(want, json_pack("[ssO]", kinds[k][0], kinds[k][1], id));
        json_decref(ids);
    }
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(diff, "changed"), i, c)
        json_array_append_new(want, json_pack("[ssO]", "changed", "node",
                                              json_object_get(json_object_get(c, "after"), "id")));
    assert_true(json_array_size(want) > 0);
    json_t *got = json_array();
    json_t *row;
    json_array_foreach(cli, i, row)
    {
        json_array_append_new(got,
                              json_pack("[OOO]", json_object_get(row, "Change"),
                                        json_object_get(row, "Kind"), json_object_get(row, "ID")));
        if (!strcmp(json_string_value(json_object_get(row, "ID")), "cli:machine:m1") &&
            !strcmp(json_string_value(json_object_get(row, "Change")), "changed"))
            same(json_incref(json_object_get(row, "Fields")), json_pack("[ss]", "name", "state"),
                 "diff: the fields that changed");
    }
    same(got, want, "diff");
    json_decref(cli);
    json_decref(diff);
    json_decref(made);
    json_decref(changed);

    /* errors: unknown node, bad time */
    osc_fails(&svc, NULL, "landscape node show cli:machine:nope",
              (const char *[]){"node_not_found", "cli:machine:nope", NULL});
    osc_fails(&svc, NULL, "landscape diff --from yesterday",
              (const char *[]){"Landscape: ", "HTTP 400", NULL});

    /* placement */
    json_t *rec = api(&svc, "POST", "/v1/placement/recommendations",
                      "{\"flavor\":{\"vcpus\":2,\"ram_mb\":2048},\"count\":5}");
    cli = osc_json(&svc, NULL, "landscape placement recommend --vcpus 2 --ram-mb 2048 --count 5");
    assert_true(json_array_size(cli) > 0);
    same(pluck(cli, "Host"), pluck(json_object_get(rec, "hosts"), "host"), "recommend hosts");
    same(pluck(cli, "Score"), pluck(json_object_get(rec, "hosts"), "score"), "recommend scores");
    json_decref(cli);
    json_decref(rec);
    osc_fails(&svc, NULL, "landscape placement recommend --flavor no-such-flavor",
              (const char *[]){"flavor_not_found", "no-such-flavor", NULL});

    /* an inferred dependency */
    json_decref(api(&svc, "POST", "/v1/nodes", "{\"id\":\"cli:service:a\",\"type\":\"service\"}"));
    json_decref(api(&svc, "POST", "/v1/nodes", "{\"id\":\"cli:service:b\",\"type\":\"service\"}"));
    json_decref(api(&svc, "POST", "/v1/edges",
                    "{\"src\":\"cli:service:a\",\"type\":\"depends_on\",\"dst\":\"cli:service:b\","
                    "\"source\":\"inferred\",\"attrs\":{\"strength\":0.75,\"evidence\":\"traces\","
                    "\"calls\":4}}"));
    json_t *deps = api(&svc, "GET", "/v1/analytics/dependencies", NULL);
    assert_int_equal(json_array_size(json_object_get(deps, "dependencies")), 1);
    cli = osc_json(&svc, NULL, "landscape dependency list --long");
    same(pluck(cli, "ID"), pluck(json_object_get(deps, "dependencies"), "key"), "dependency ids");
    same(pluck(cli, "Strength"), pluck(json_object_get(deps, "dependencies"), "strength"),
         "dependency strength");
    same(pluck(cli, "Calls"), pluck(json_object_get(deps, "dependencies"), "calls"),
         "dependency calls");
    json_decref(cli);
    json_decref(deps);

    /* root causes of a spike, against a calm baseline */
    long long t = make_anomaly(&svc);
    char body[300];
    snprintf(body, sizeof(body),
             "{\"from\":%lld,\"to\":%lld,\"baseline\":{\"from\":%lld,\"to\":%lld}}", t, t + 600,
             t - 7200, t);
    json_t *rca = api(&svc, "POST", "/v1/analytics/rca", body);
    assert_true(json_array_size(json_object_get(rca, "causes")) > 0);
    snprintf(args_buf, sizeof(args_buf),
             "landscape rca --from %lld --to %lld --baseline-from %lld --baseline-to %lld", t,
             t + 600, t - 7200, t);
    cli = osc_json(&svc, NULL, args_buf);
    same(pluck(cli, "ID"), pluck(json_object_get(rca, "causes"), "id"), "rca causes");
    same(pluck(cli, "Score"), pluck(json_object_get(rca, "causes"), "score"), "rca scores");
    same(pluck(cli, "Path"), pluck(json_object_get(rca, "causes"), "path"), "rca paths");
    json_decref(cli);
    osc(&r, &svc, NULL, "%s --anomalous -f value", args_buf);
    assert_int_equal(r.status, 0);
    same(lines(r.out), json_incref(json_object_get(rca, "anomalous")), "rca --anomalous");
    run_free(&r);
    json_decref(rca);

    /* no incidents on the demo: an empty list, and an unknown one */
    cli = osc_json(&svc, NULL, "landscape incident list");
    json_t *none = api(&svc, "GET", "/v1/analytics/incidents", NULL);
    same(pluck(cli, "ID"), pluck(json_object_get(none, "incidents"), "id"),
         "incident list (empty)");
    json_decref(cli);
    json_decref(none);
    osc_fails(&svc, NULL, "landscape incident show 424242",
              (const char *[]){"incident_not_found", "424242", NULL});
    json_decref(hvs);
    assert_int_equal(ls_service_stop(&svc), 0);
}

/* ---- incidents kept in the store ---- */

/* Two incidents in dsn (seeded before the service starts: it is then the only writer): one
 * resolved (a machine and its VM), one open (another VM). */
static void seed_incidents(const char *dsn)
{
    struct ls_store *st;
    struct ls_err err;
    assert_int_equal(ls_store_open(&st, dsn, &err), LS_OK);
    struct ls_graph *g = ls_graph_new();
    struct ls_change_set *cs = ls_change_set_new("test");
    assert_int_equal(ls_change_put_node_new(cs, "m1", "machine", "m1", "up", NULL, NULL, &err),
                     LS_OK);
    assert_int_equal(ls_change_put_node_new(cs, "v1", "instance", "v1", "ACTIVE", NULL, NULL, &err),
                     LS_OK);
    assert_int_equal(ls_change_put_node_new(cs, "v2", "instance", "v2", "ACTIVE", NULL, NULL, &err),
                     LS_OK);
    assert_int_equal(
        ls_change_put_edge_new(cs, "v1", LS_EDGE_RUNS_ON, "m1", NULL, LS_ESRC_MANUAL, 1.0, &err),
        LS_OK);
    const int64_t t0 = INT64_C(1767225600) * 1000000; /* 2026-01-01T00:00:00Z */
    struct ls_prepared *p;
    assert_int_equal(ls_graph_prepare(g, cs, t0, &p, &err), LS_OK);
    ls_graph_publish(g, p, 1);
    ls_change_set_free(cs);
    struct ls_incident_params ip;
    ls_incident_params_default(&ip);
    struct ls_incidents *e = ls_incidents_new(&ip, 0);
    struct ls_incident_obs first[] = {
        {.id = "m1", .colour = LS_COLOUR_RED, .score = 0.9, .metric = "cpu.util", .went = 1},
        {.id = "v1", .colour = LS_COLOUR_YELLOW, .score = 0.6, .metric = "cpu.util", .went = 1}};
    struct ls_incident_obs later[] = {
        {.id = "v2", .colour = LS_COLOUR_RED, .score = 0.8, .metric = "disk.latency", .went = 1}};
    struct {
        const struct ls_incident_obs *obs;
        size_t n;
        int64_t at;
    } steps[] = {{first, 2, t0},
                 {NULL, 0, t0 + INT64_C(20) * 60000000},
                 {later, 1, t0 + INT64_C(40) * 60000000}};
    for (size_t k = 0; k < 3; k++) {
        struct ls_snap *s = ls_graph_snap(g);
        json_t *changes;
        assert_int_equal(
            ls_incidents_step(e, s, steps[k].obs, steps[k].n, steps[k].at, &changes, &err), LS_OK);
        ls_snap_release(s);
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
            assert_int_equal(ls_store_incident_save(st, c, &err), LS_OK);
        json_decref(changes);
    }
    ls_incidents_free(e);
    ls_graph_free(g);
    ls_store_close(st);
}

static void test_incidents_from_the_store(void **state)
{
    (void)state;
    if (missing[0])
        LS_SKIP("%s", missing);
    const char *dsn = ls_harness_new_db();
    seed_incidents(dsn);
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, dsn, NULL), 0);
    json_t *all = api(&svc, "GET", "/v1/analytics/incidents", NULL);
    json_t *incs = json_object_get(all, "incidents");
    assert_int_equal(json_array_size(incs), 2);
    json_t *cli = osc_json(&svc, NULL, "landscape incident list");
    same(pluck(cli, "ID"), pluck(incs, "id"), "incident list ids");
    same(pluck(cli, "State"), pluck(incs, "state"), "incident list states");
    size_t i;
    json_t *row;
    json_array_foreach(cli, i, row)
    {
        json_t *inc = json_array_get(incs, i);
        assert_int_equal(json_integer_value(json_object_get(row, "Nodes")),
                         json_array_size(json_object_get(inc, "nodes")));
        const char *top = ls_jstr(inc, "causes.0.id");
        assert_non_null(top);
        assert_string_equal(json_string_value(json_object_get(row, "Top Cause")), top);
    }
    json_decref(cli);
    cli = osc_json(&svc, NULL, "landscape incident list --state open");
    json_t *open = api(&svc, "GET", "/v1/analytics/incidents?state=open", NULL);
    assert_int_equal(json_array_size(cli), 1);
    same(pluck(cli, "ID"), pluck(json_object_get(open, "incidents"), "id"), "--state open");
    json_decref(open);
    json_decref(cli);
    /* incident show: the API's object, causes and paths included */
    json_t *first = json_array_get(incs, 1);
    char args[100], path[100];
    snprintf(args, sizeof(args), "landscape incident show %lld",
             (long long)json_integer_value(json_object_get(first, "id")));
    snprintf(path, sizeof(path), "/v1/analytics/incidents/%lld",
             (long long)json_integer_value(json_object_get(first, "id")));
    json_t *one = api(&svc, "GET", path, NULL);
    assert_true(json_array_size(json_object_get(one, "causes")) > 0);
    same(osc_json(&svc, NULL, args), one, "incident show");
    osc_fails(&svc, NULL, "landscape incident show 99",
              (const char *[]){"incident_not_found", "99", NULL});
    osc_fails(&svc, NULL, "landscape incident show x1",
              (const char *[]){"invalid_parameter", NULL});
    json_decref(all);
    assert_int_equal(ls_service_stop(&svc), 0);
}

/* ---- sources and static tokens (--auth tokens), ossim as the cloud ---- */

/* Writes clouds.yaml `name` in the harness directory with one cloud `sim` (ossim's admin)
 * plus extra settings, and points OS_CLIENT_CONFIG_FILE (landscaped's and the CLI's) at it. */
static void write_clouds(const char *name, struct ossim *sim, const char *extra)
{
    char clouds[400];
    snprintf(clouds, sizeof(clouds), "%s/%s", ls_harness_dir(), name);
    FILE *f = fopen(clouds, "w");
    assert_non_null(f);
    fprintf(f,
            "clouds:\n  sim:\n    auth:\n      auth_url: %s\n      username: admin\n"
            "      password: secret\n      project_name: admin\n"
            "      user_domain_name: Default\n      project_domain_name: Default\n"
            "    region_name: RegionOne\n%s",
            ossim_auth_url(sim), extra ? extra : "");
    fclose(f);
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
}

static struct ossim *start_sim(void)
{
    struct ossim_opts o;
    ossim_opts_default(&o);
    char err[256];
    struct ossim *sim = ossim_start(&o, err, sizeof(err));
    if (sim == NULL)
        fail_msg("ossim: %s", err);
    return sim;
}

static void test_sources_with_static_tokens(void **state)
{
    (void)state;
    if (missing[0])
        LS_SKIP("%s", missing);
    struct ossim *sim = start_sim();
    write_clouds("clouds-tokens.yaml", sim, NULL);
    char tokens[300];
    snprintf(tokens, sizeof(tokens), "%s/cli-tokens", ls_harness_dir());
    FILE *f = fopen(tokens, "w");
    assert_non_null(f);
    fprintf(f, "cli-admin-token-1 admin cli-admin\ncli-reader-token-1 reader cli-reader\n");
    fclose(f);
    chmod(tokens, 0600);
    const char *args[] = {"--auth",     "tokens", "--auth-token-file",  tokens,
                          "--os-cloud", "sim",    "--os-sync-interval", "3600",
                          NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    snprintf(svc.token, sizeof(svc.token), "cli-admin-token-1");

    osc_fails(&svc, NULL, "landscape source list", (const char *[]){"auth_required", NULL});
    osc_fails(&svc, "wrong", "landscape source list", (const char *[]){"invalid_token", NULL});
    json_t *srcs = api(&svc, "GET", "/v1/sources", NULL);
    json_t *cli = osc_json(&svc, "cli-reader-token-1", "landscape source list");
    same(pluck(cli, "Name"), pluck(json_object_get(srcs, "sources"), "name"), "source names");
    same(pluck(cli, "Kind"), pluck(json_object_get(srcs, "sources"), "kind"), "source kinds");
    json_decref(cli);
    json_decref(srcs);
    osc_fails(&svc, "cli-reader-token-1", "landscape source sync sim",
              (const char *[]){"forbidden", NULL});
    /* the token from the environment; a pass run on the request */
    struct run r;
    char env[600];
    snprintf(env, sizeof(env), "LANDSCAPE_URL=%s LANDSCAPE_TOKEN=cli-admin-token-1", svc.base);
    osc_raw(&r, env, "landscape source sync sim --full --wait -f json");
    assert_int_equal(r.status, 0);
    json_t *after = api(&svc, "GET", "/v1/sources/sim", NULL);
    assert_string_equal(ls_jstr(r.json, "name"), "sim");
    assert_string_equal(ls_jstr(r.json, "state"), "ok");
    assert_string_equal(ls_jstr(r.json, "last_pass"), "full");
    assert_int_equal(ls_jint(r.json, "passes.full"), ls_jint(after, "passes.full"));
    assert_string_equal(ls_jstr(r.json, "last_success"), ls_jstr(after, "last_success"));
    assert_true(ls_jint(after, "nodes") > 0);
    json_decref(after);
    run_free(&r);
    osc_raw(&r, env, "landscape source sync sim -f json");
    assert_int_equal(r.status, 0);
    assert_true(json_is_true(json_object_get(r.json, "accepted")));
    run_free(&r);
    osc_fails(&svc, "cli-admin-token-1", "landscape source sync nowhere",
              (const char *[]){"source_not_found", "nowhere", NULL});
    /* the imported hypervisors, through a reader's token */
    osc(&r, &svc, "cli-reader-token-1", "landscape node list --type hypervisor -f value -c Name");
    assert_int_equal(r.status, 0);
    same(lines(r.out), api_pages(&svc, "/v1/nodes?type=hypervisor", "nodes", "name"),
         "hypervisors");
    run_free(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
    ossim_stop(sim);
}

/* ---- a Keystone session (--auth keystone), ossim as Keystone ---- */

static void test_keystone_session(void **state)
{
    (void)state;
    if (missing[0])
        LS_SKIP("%s", missing);
    struct ossim *sim = start_sim();
    write_clouds("clouds-keystone.yaml", sim, NULL);
    const char *args[] = {"--auth", "keystone",           "--auth-cloud", "sim", "--os-cloud",
                          "sim",    "--os-sync-interval", "3600",         NULL};
    struct ls_service svc;
    assert_int_equal(ls_service_start(&svc, ls_harness_new_db(), args), 0);
    /* the API's answers with a token the same CLI got from Keystone */
    struct run r;
    osc_raw(&r, NULL, "--os-cloud sim token issue -f value -c id");
    assert_int_equal(r.status, 0);
    snprintf(svc.token, sizeof(svc.token), "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run_free(&r);
    /* an explicit URL with the cloud: the cloud's token is sent (no token: 401); a pass
     * first, so that the cloud's hypervisors are in */
    osc_fails(&svc, NULL, "landscape node list", (const char *[]){"auth_required", NULL});
    osc(&r, &svc, NULL, "--os-cloud sim landscape source sync sim --wait -f value -c state");
    assert_int_equal(r.status, 0); /* ossim's admin has the admin role */
    same(lines(r.out), json_pack("[s]", "ok"), "keystone: source sync");
    run_free(&r);
    json_t *hvs = api_pages(&svc, "/v1/nodes?type=hypervisor", "nodes", "id");
    assert_int_equal(json_array_size(hvs), 3); /* ossim's default cloud */
    osc(&r, &svc, NULL, "--os-cloud sim landscape node list --type hypervisor -f value -c ID");
    assert_int_equal(r.status, 0);
    same(lines(r.out), json_incref(hvs), "keystone: node list");
    run_free(&r);

    /* no URL, no landscape in the catalog: the message says what to do */
    osc_raw(&r, NULL, "--os-cloud sim landscape node list");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no 'landscape' endpoint"));
    assert_non_null(strstr(r.err, "--landscape-url"));
    run_free(&r);
    /* landscaped registered in the (simulated) Keystone's catalog, as .../v1: found there */
    char url[300];
    snprintf(url, sizeof(url), "%s/v1", svc.base);
    ossim_catalog_add(sim, "landscape", url);
    osc_raw(&r, NULL, "--os-cloud sim landscape node list --type hypervisor -f value -c ID");
    assert_int_equal(r.status, 0);
    same(lines(r.out), json_incref(hvs), "keystone: the catalog's endpoint");
    run_free(&r);
    osc_raw(&r, NULL, "--os-cloud sim --os-interface internal landscape node list");
    assert_int_equal(r.status, 1); /* the catalog has only a public one */
    assert_non_null(strstr(r.err, "interface internal, region RegionOne"));
    run_free(&r);
    /* clouds.yaml's landscape_endpoint_override wins over a catalog entry nobody answers at */
    ossim_catalog_add(sim, "landscape", "http://127.0.0.1:9");
    char extra[300];
    snprintf(extra, sizeof(extra), "    landscape_endpoint_override: %s\n", svc.base);
    write_clouds("clouds-override.yaml", sim, extra);
    osc_raw(&r, NULL, "--os-cloud sim landscape node list --type hypervisor -f value -c ID");
    assert_int_equal(r.status, 0);
    same(lines(r.out), json_incref(hvs), "keystone: endpoint override");
    run_free(&r);
    write_clouds("clouds-keystone.yaml", sim, NULL);
    osc_raw(&r, NULL, "--os-cloud sim landscape node list");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "127.0.0.1:9"));
    run_free(&r);
    json_decref(hvs);
    assert_int_equal(ls_service_stop(&svc), 0);
    ossim_stop(sim);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    if (access(OPENSTACK, X_OK) != 0)
        snprintf(missing, sizeof(missing), "%s is missing (python3-openstackclient)", OPENSTACK);
    else if (system("/usr/bin/python3 -c 'import osc_lib' 2>/dev/null") != 0)
        snprintf(missing, sizeof(missing), "osc_lib is missing (python3-osc-lib)");
    if (ls_service_group_setup(state) != 0)
        return -1;
    if (missing[0])
        return 0;
    const char *src = getenv("LS_SOURCE_DIR");
    char cmd[1200], pypath[1200];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 '%s/integrations/openstack/tools/mkdistinfo.py' "
             "'%s/integrations/openstack/pyproject.toml' '%s/py' >/dev/null",
             src ? src : ".", src ? src : ".", ls_harness_dir());
    if (system(cmd) != 0)
        return -1;
    snprintf(pypath, sizeof(pypath), "%s/integrations/openstack:%s/py", src ? src : ".",
             ls_harness_dir());
    setenv("PYTHONPATH", pypath, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    /* the caller's cloud or Landscape must not leak into the commands */
    const char *unset[] = {"OS_CLOUD",      "OS_AUTH_URL",     "OS_AUTH_TYPE",      "OS_TOKEN",
                           "OS_USERNAME",   "OS_PASSWORD",     "OS_REGION_NAME",    "OS_INTERFACE",
                           "LANDSCAPE_URL", "LANDSCAPE_TOKEN", "LANDSCAPE_TIMEOUT", NULL};
    for (size_t i = 0; unset[i]; i++)
        unsetenv(unset[i]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_graph_analytics_and_placement),
        cmocka_unit_test(test_incidents_from_the_store),
        cmocka_unit_test(test_sources_with_static_tokens),
        cmocka_unit_test(test_keystone_session),
    };
    int failed = cmocka_run_group_tests_name("integration/openstack/osc_cli", tests, group_setup,
                                             ls_service_group_teardown);
    return ls_skip_status(failed, LS_N_TESTS(tests));
}
