/* importers/openstack against a real OpenStack (../shared/openstack: Keystone, Nova with the
 * fake driver, Placement, Neutron, Cinder, Heat on loopback): landscaped with --os-cloud
 * imports it, then follows a server booted, live-migrated, stopped and deleted with the
 * `openstack` CLI, pass by pass; a reconciliation afterwards finds nothing left to change; an
 * application credential imports the same cloud, and a system-scoped token's import names the
 * services its catalog lacks.
 * Skipped (exit 77, CTest: not run) when the harness is absent or we are not root; failed when
 * the harness is here, we are root and it does not come up. */
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

#include "osh.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"

static struct {
    bool up;
    char why[256];
    struct ls_service svc;
    char vm_name[64], vm_id[64];
} fx;

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fx.up = osh_up(fx.why, sizeof(fx.why));
    if (!fx.up) {
        if (!osh_skippable()) { /* the harness is here and we are root: it must come up */
            printf("# FAILED: the OpenStack harness is here but did not come up: %s\n", fx.why);
            return -1;
        }
        printf("# SKIPPING the real-OpenStack tests: %s\n", fx.why);
        return 0;
    }
    /* Passes only when asked (POST .../sync?wait=true): each step is checked exactly. */
    const char *args[] = {
        "--os-cloud", "osh", "--os-sync-interval", "86400", "--os-reconcile-interval",
        "604800",     NULL};
    if (osh_landscape_start(&fx.svc, args) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    if (fx.up) {
        rc = osh_landscape_stop(&fx.svc, fx.vm_id);
        osh_down();
    }
    curl_global_cleanup();
    return rc;
}

#define NEED_OPENSTACK()                                                                           \
    do {                                                                                           \
        if (!fx.up) {                                                                              \
            LS_SKIP("%s", fx.why);                                                                 \
        }                                                                                          \
    } while (0)

/* One pass now, on the request; returns the source status (caller frees). */
static json_t *sync_pass(bool full)
{
    struct ls_http_result r;
    char path[128];
    snprintf(path, sizeof(path), "/v1/sources/osh/sync?wait=true&full=%s", full ? "true" : "false");
    assert_int_equal(ls_http(&fx.svc, "POST", path, NULL, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("sync: HTTP %ld: %s", r.status, r.body);
    json_t *st = json_incref(r.json);
    ls_http_result_cleanup(&r);
    return st;
}

/* GET a node; NULL when 404. */
static json_t *get_node(const char *id)
{
    struct ls_http_result r;
    char path[300];
    snprintf(path, sizeof(path), "/v1/nodes/%s", id);
    assert_int_equal(ls_http(&fx.svc, "GET", path, NULL, NULL, &r), 0);
    json_t *n = r.status == 200 ? json_incref(r.json) : NULL;
    if (r.status != 200 && r.status != 404)
        fail_msg("GET %s: HTTP %ld", path, r.status);
    ls_http_result_cleanup(&r);
    return n;
}

/* The dst of the node's only runs_on edge ("" when none; fails on several). */
static void runs_on(const char *id, char *out, size_t cap)
{
    int n = osh_runs_on(&fx.svc, id, out, cap);
    assert_true(n == 0 || n == 1);
}

/* Polls `openstack server show` until status (and host, when given) match; task_state idle. */
static json_t *wait_server(const char *id, const char *status, const char *host)
{
    for (int i = 0; i < 120; i++) {
        json_t *s = osh_cli_json("server show %s", id);
        if (s) {
            const char *st = json_string_value(json_object_get(s, "status"));
            const char *h = json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:host"));
            json_t *task = json_object_get(s, "OS-EXT-STS:task_state");
            if (st && !strcmp(st, status) && (!host || (h && !strcmp(h, host))) &&
                (!task || json_is_null(task)))
                return s;
            json_decref(s);
        }
        usleep(500 * 1000);
    }
    fail_msg("server %s never reached %s%s%s", id, status, host ? " on " : "", host ? host : "");
    return NULL;
}

static void test_full_pass_matches_the_cloud(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    json_t *st = sync_pass(true);
    assert_string_equal(ls_jstr(st, "state"), "ok");
    json_t *servers = osh_cli_json("server list --all-projects --long");
    json_t *hyps = osh_cli_json("hypervisor list");
    json_t *ports = osh_cli_json("port list");
    json_t *vols = osh_cli_json("volume list --all-projects");
    assert_non_null(servers);
    assert_non_null(hyps);
    assert_non_null(ports);
    assert_non_null(vols);
    assert_true(json_array_size(servers) >
                0); /* up.sh boots some: the checks below are not empty */
    json_t *counts = ls_jget(st, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "instance")),
                     json_array_size(servers));
    assert_int_equal(json_integer_value(json_object_get(counts, "hypervisor")),
                     json_array_size(hyps));
    assert_int_equal(json_integer_value(json_object_get(counts, "port")), json_array_size(ports));
    assert_int_equal(json_integer_value(json_object_get(counts, "volume")), json_array_size(vols));
    size_t i;
    json_t *s;
    json_array_foreach(servers, i, s)
    {
        char id[128], hv[160], got[256];
        snprintf(id, sizeof(id), "nova:instance:%s", json_string_value(json_object_get(s, "ID")));
        json_t *n = get_node(id);
        assert_non_null(n);
        assert_string_equal(ls_jstr(n, "state"), json_string_value(json_object_get(s, "Status")));
        assert_string_equal(ls_jstr(n, "name"), json_string_value(json_object_get(s, "Name")));
        json_decref(n);
        snprintf(hv, sizeof(hv), "nova:hypervisor:%s",
                 json_string_value(json_object_get(s, "Host")));
        runs_on(id, got, sizeof(got));
        assert_string_equal(got, hv);
    }
    /* placement capacity on a hypervisor: (total - reserved) x allocation_ratio */
    char hv[160];
    snprintf(hv, sizeof(hv), "nova:hypervisor:%s",
             json_string_value(json_object_get(json_array_get(hyps, 0), "Hypervisor Hostname")));
    json_t *h = get_node(hv);
    assert_non_null(h);
    json_t *inv = ls_jget(h, "attrs.inventories.VCPU");
    assert_non_null(inv);
    double want = (json_number_value(json_object_get(inv, "total")) -
                   json_number_value(json_object_get(inv, "reserved"))) *
                  json_number_value(json_object_get(inv, "allocation_ratio"));
    assert_int_equal(ls_jint(h, "attrs.capacity.VCPU"), (long long)want);
    json_decref(h);
    json_decref(servers);
    json_decref(hyps);
    json_decref(ports);
    json_decref(vols);
    json_decref(st);
}

static void test_boot_migrate_stop_delete_followed_pass_by_pass(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    snprintf(fx.vm_name, sizeof(fx.vm_name), "lstest-%d-%ld", (int)getpid(), (long)time(NULL));
    assert_true(osh_boot(fx.vm_name, fx.vm_id, sizeof(fx.vm_id)));
    json_t *s = wait_server(fx.vm_id, "ACTIVE", NULL);
    char host1[128], host2[128] = "", id[128], hv[200], got[256];
    snprintf(host1, sizeof(host1), "%s",
             json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:host")));
    json_decref(s);
    snprintf(id, sizeof(id), "nova:instance:%s", fx.vm_id);

    /* boot */
    json_decref(sync_pass(false));
    json_t *n = get_node(id);
    assert_non_null(n);
    assert_string_equal(ls_jstr(n, "state"), "ACTIVE");
    json_decref(n);
    runs_on(id, got, sizeof(got));
    snprintf(hv, sizeof(hv), "nova:hypervisor:%s", host1);
    assert_string_equal(got, hv);
    /* its port, attached */
    json_t *ports = osh_cli_json("port list --server %s", fx.vm_id);
    assert_int_equal(json_array_size(ports), 1);
    char port[128];
    snprintf(port, sizeof(port), "neutron:port:%s",
             json_string_value(json_object_get(json_array_get(ports, 0), "ID")));
    json_decref(ports);
    n = get_node(port);
    assert_non_null(n);
    json_decref(n);

    /* live migration to another host: runs_on moves; history keeps both */
    osh_other_host(host1, host2, sizeof(host2));
    assert_int_equal(osh_cli("--os-compute-api-version 2.30 server migrate --live-migration "
                             "--host %s %s",
                             host2, fx.vm_id),
                     0);
    json_decref(wait_server(fx.vm_id, "ACTIVE", host2));
    json_decref(sync_pass(false));
    runs_on(id, got, sizeof(got));
    snprintf(hv, sizeof(hv), "nova:hypervisor:%s", host2);
    assert_string_equal(got, hv);
    struct ls_http_result r;
    char path[300];
    snprintf(path, sizeof(path), "/v1/nodes/%s/history", id);
    assert_int_equal(ls_http(&fx.svc, "GET", path, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, host1));
    assert_non_null(strstr(r.body, host2));
    ls_http_result_cleanup(&r);
    /* the port's binding followed */
    n = get_node(port);
    assert_string_equal(ls_jstr(n, "attrs.binding:host_id"), host2);
    json_decref(n);

    /* stop: a state, not a deletion */
    assert_int_equal(osh_cli("server stop %s", fx.vm_id), 0);
    json_decref(wait_server(fx.vm_id, "SHUTOFF", NULL));
    json_decref(sync_pass(false));
    n = get_node(id);
    assert_non_null(n);
    assert_string_equal(ls_jstr(n, "state"), "SHUTOFF");
    json_decref(n);

    /* delete: the instance and its port go */
    assert_int_equal(osh_cli("server delete --wait %s", fx.vm_id), 0);
    json_t *st = sync_pass(false);
    assert_string_equal(ls_jstr(st, "last_pass"), "incremental");
    json_decref(st);
    assert_null(get_node(id));
    assert_null(get_node(port));
    fx.vm_id[0] = '\0';
}

static void test_reconciliation_after_the_incremental_passes_changes_nothing(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    json_t *st = sync_pass(true);
    assert_string_equal(ls_jstr(st, "last_pass"), "full");
    if (ls_jint(st, "last_changes") != 0)
        fail_msg("the incremental passes missed %lld changes: %s", ls_jint(st, "last_changes"),
                 json_dumps(st, 0));
    json_decref(st);
}

/* Starts a second landscaped whose only cloud, "other", is described by `cloud_yaml` (the
 * lines under its name in clouds.yaml), runs a full pass, stops it; returns the source's
 * status (caller frees) and whether the service log contains `logged`. */
static json_t *import_as(const char *cloud_yaml, const char *logged, bool *found)
{
    char clouds[512];
    snprintf(clouds, sizeof(clouds), "%s/other-clouds.yaml", ls_harness_dir());
    FILE *f = fopen(clouds, "w");
    assert_non_null(f);
    fprintf(f, "clouds:\n  other:\n%s", cloud_yaml);
    fclose(f);
    char *saved = strdup(getenv("OS_CLIENT_CONFIG_FILE"));
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    struct ls_service svc;
    const char *args[] = {"--os-cloud", "other", "--os-sync-interval", "86400", NULL};
    int started = ls_service_start(&svc, ls_harness_new_db(), args);
    setenv("OS_CLIENT_CONFIG_FILE", saved, 1);
    free(saved);
    assert_int_equal(started, 0);
    struct ls_http_result r;
    assert_int_equal(
        ls_http(&svc, "POST", "/v1/sources/other/sync?wait=true&full=true", NULL, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("sync: HTTP %ld: %s", r.status, r.body);
    json_t *st = json_incref(r.json);
    ls_http_result_cleanup(&r);
    assert_int_equal(ls_service_stop(&svc), 0);
    *found = ls_service_logged(&svc, logged, NULL, 0);
    return st;
}

/* Keystone application credentials: a second landscaped configured with only an application
 * credential of the same user (created with the CLI, deleted after) imports the same cloud —
 * the same counts by type as the password-authenticated one. */
static void test_an_application_credential_imports_the_same_cloud(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    json_t *ref = sync_pass(true);
    char name[64], cloud[1024];
    snprintf(name, sizeof(name), "landscape-test-%d", (int)getpid());
    json_t *ac = osh_cli_json("application credential create %s --secret ls-test-secret", name);
    assert_non_null(ac);
    snprintf(cloud, sizeof(cloud),
             "    auth_type: v3applicationcredential\n    auth:\n      auth_url: %s\n"
             "      application_credential_id: %s\n"
             "      application_credential_secret: ls-test-secret\n"
             "    region_name: %s\n    interface: public\n",
             getenv("OS_AUTH_URL"), json_string_value(json_object_get(ac, "id")),
             getenv("OS_REGION_NAME"));
    bool used;
    json_t *st = import_as(cloud, "auth_type=v3applicationcredential", &used);
    assert_true(used);
    const char *types[] = {"instance", "hypervisor", "port", "network", "volume", "project"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), "counts.%s", types[i]);
        print_message("# %s: %lld with the password, %lld with the application credential\n",
                      types[i], ls_jint(ref, key), ls_jint(st, key));
        assert_true(ls_jint(st, key) > 0);
        assert_int_equal(ls_jint(st, key), ls_jint(ref, key));
    }
    assert_int_equal(osh_cli("application credential delete %s", name), 0);
    json_decref(st);
    json_decref(ac);
    json_decref(ref);
}

/* A system-scoped token (the admin user, `system_scope: all`): Keystone leaves the endpoints
 * that name a project (Cinder's, Heat's) out of its catalog. The import says so instead of
 * passing the missing volumes and stacks over in silence. */
static void test_a_system_scoped_token_reports_the_services_its_catalog_lacks(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    char cloud[1024];
    snprintf(cloud, sizeof(cloud),
             "    auth:\n      auth_url: %s\n      username: %s\n      password: %s\n"
             "      user_domain_name: %s\n      system_scope: all\n"
             "    region_name: %s\n    interface: public\n",
             getenv("OS_AUTH_URL"), getenv("OS_USERNAME"), getenv("OS_PASSWORD"),
             getenv("OS_USER_DOMAIN_NAME"), getenv("OS_REGION_NAME"));
    bool scoped;
    json_t *st = import_as(cloud, "scope=system:all", &scoped);
    assert_true(scoped);
    const char *w = ls_jstr(st, "warning");
    print_message("# system scope: %lld instances; warning: %s\n", ls_jint(st, "counts.instance"),
                  w ? w : "(none)");
    assert_true(ls_jint(st, "counts.instance") > 0);
    assert_non_null(w);
    assert_non_null(strstr(w, "block-storage (volumes)"));
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_pass_matches_the_cloud),
        cmocka_unit_test(test_boot_migrate_stop_delete_followed_pass_by_pass),
        cmocka_unit_test(test_reconciliation_after_the_incremental_passes_changes_nothing),
        cmocka_unit_test(test_an_application_credential_imports_the_same_cloud),
        cmocka_unit_test(test_a_system_scoped_token_reports_the_services_its_catalog_lacks),
    };
    return ls_skip_status(
        cmocka_run_group_tests_name("openstack/real", tests, group_setup, group_teardown),
        LS_N_TESTS(tests));
}
