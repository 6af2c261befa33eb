/* The fast path against the real control plane: Nova, Neutron, Cinder and Heat publish their
 * notifications to a Kafka broker (librdkafka's mock cluster, real protocol on loopback) that
 * landscaped consumes; with polling set to once an hour, a server booted, live-migrated and
 * deleted with the `openstack` CLI shows up, moves and goes within seconds — only the
 * notifications can have told it. Skipped (exit 77) when the harness is absent or we are not
 * root; failed when it is here and does not come up. */
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
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "osh.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"

static struct {
    bool up;
    char why[256];
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
    struct ls_service svc;
    char vm_id[64];
} fx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e));
    fx.mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    fx.mc = rd_kafka_mock_cluster_new(fx.mock_rk, 1); /* one broker: one host:port for oslo */
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(fx.mc);
    rd_kafka_mock_topic_create(fx.mc, "versioned_notifications.info", 1, 1);
    rd_kafka_mock_topic_create(fx.mc, "notifications.info", 1, 1);
    fx.up = osh_up_with_kafka(bootstrap, fx.why, sizeof(fx.why));
    if (!fx.up) {
        if (!osh_skippable()) { /* the harness is here and we are root: it must come up */
            printf("# FAILED: the OpenStack harness is here but did not come up: %s\n", fx.why);
            return -1;
        }
        printf("# SKIPPING the OpenStack notification tests: %s\n", fx.why);
        return 0;
    }
    const char *args[] = {"--os-cloud",
                          "osh",
                          "--os-sync-interval",
                          "3600",
                          "--os-reconcile-interval",
                          "604800",
                          "--kafka",
                          bootstrap,
                          "--telemetry-topic",
                          "versioned_notifications.info",
                          "--telemetry-topic",
                          "notifications.info",
                          "--kafka-group",
                          "landscape-notify-test",
                          "--kafka-property",
                          "auto.offset.reset=latest",
                          NULL};
    if (osh_landscape_start(&fx.svc, args) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    if (fx.up)
        rc = osh_landscape_stop(&fx.svc, fx.vm_id);
    osh_restore(); /* the control plane as it was (and off the broker that goes away now) */
    rd_kafka_mock_cluster_destroy(fx.mc);
    rd_kafka_destroy(fx.mock_rk);
    curl_global_cleanup();
    return rc;
}

static json_t *get(const char *path)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(&fx.svc, "GET", path, NULL, NULL, &r), 0);
    json_t *j = r.status == 200 ? json_incref(r.json) : NULL;
    ls_http_result_cleanup(&r);
    return j;
}

/* The hypervisor the instance runs on in the landscape ("" when none / no such node). */
static void host_of(const char *vm, char *out, size_t cap)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/edges?src=nova:instance:%s&type=runs_on", vm);
    json_t *j = get(path);
    const char *dst = j ? ls_jstr(j, "edges.0.dst") : NULL;
    snprintf(out, cap, "%s", dst && strrchr(dst, ':') ? strrchr(dst, ':') + 1 : "");
    json_decref(j);
}

/* Waits up to 60 s for the landscape to show `host` ("" = gone); returns the seconds taken. */
static double wait_landscape(const char *vm, const char *host, const char *what)
{
    double t0 = now_s();
    char got[128];
    for (;;) {
        host_of(vm, got, sizeof(got));
        if (!strcmp(got, host))
            break;
        if (now_s() - t0 > 60)
            fail_msg("%s: the landscape still shows '%s' after 60 s (polling is hourly: the "
                     "notification did not arrive or was not acted on)",
                     what, got);
        usleep(100 * 1000);
    }
    double dt = now_s() - t0;
    printf("# %s: in the landscape %.2f s after the CLI returned\n", what, dt);
    return dt;
}

static void test_boot_migrate_delete_arrive_by_notification(void **state)
{
    (void)state;
    if (!fx.up) {
        LS_SKIP("%s", fx.why);
    }
    /* the start-up full pass first */
    for (int i = 0; i < 300; i++) {
        json_t *s = get("/v1/sources/osh");
        bool done = s && ls_jstr(s, "last_success") != NULL;
        json_decref(s);
        if (done)
            break;
        usleep(100 * 1000);
    }
    char name[64];
    snprintf(name, sizeof(name), "lsnotify-%d-%ld", (int)getpid(), (long)time(NULL));
    assert_true(osh_boot(name, fx.vm_id, sizeof(fx.vm_id)));
    json_t *s = osh_cli_json("server show %s", fx.vm_id);
    char host1[64], host2[64] = "";
    snprintf(host1, sizeof(host1), "%s",
             json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:hypervisor_hostname")));
    json_decref(s);
    wait_landscape(fx.vm_id, host1, "boot");

    osh_other_host(host1, host2, sizeof(host2));
    assert_int_equal(osh_cli("--os-compute-api-version 2.30 server migrate --live-migration "
                             "--host %s --wait %s",
                             host2, fx.vm_id),
                     0);
    wait_landscape(fx.vm_id, host2, "live migration");

    assert_int_equal(osh_cli("server delete --wait %s", fx.vm_id), 0);
    wait_landscape(fx.vm_id, "", "delete");
    fx.vm_id[0] = '\0';

    json_t *st = get("/v1/sources/osh");
    assert_true(ls_jint(st, "events") > 0);
    assert_true(ls_jint(st, "passes.incremental") >= 3);
    assert_int_equal(ls_jint(st, "passes.full"), 1); /* polling never ran again */
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boot_migrate_delete_arrive_by_notification),
    };
    return ls_skip_status(
        cmocka_run_group_tests_name("openstack/notifications", tests, group_setup, group_teardown),
        LS_N_TESTS(tests));
}
