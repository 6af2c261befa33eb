/* landscape_openstack's Nova plugins inside the real control plane of ../shared/openstack
 * (issue 14, "Real components"): nova-scheduler runs LandscapeFilter and LandscapeWeigher
 * (integrations/openstack on its PYTHONPATH, OSH_SCHED_CONF) against a landscaped that imports
 * this cloud.
 *  - Landscape's first choice wins: the host Nova's own weighers would pick (the emptiest) is
 *    made busy through POST /v1/telemetry, the fullest one idle; servers booted land where
 *    POST /v1/placement/recommendations puts them first, not where Nova alone would.
 *  - A batch of servers: each instance asks Landscape once per hook, and the time each call
 *    added, from nova-scheduler's own log, is reported beside the filter+weigh phase.
 *  - A red host: ten hours of normal cpu telemetry then a spike make Landscape's favourite
 *    red; the next server lands elsewhere and LandscapeFilter removed it (the log says so).
 *  - --os-placement-traits: the red host's resource provider carries CUSTOM_LANDSCAPE_ANOMALY
 *    and Placement no longer offers it to a flavor forbidding the trait; the trait put by hand
 *    on a host that is not red is taken off again.
 *  - Watcher (OSH_WATCHER=1, the `landscape` strategy registered through a dist-info): the red
 *    host makes landscaped (--watcher-audit) POST the EVENT audit's webhook; the audit's plan
 *    (auto-triggered) has every action SUCCEEDED, and each migrated server is on its new host
 *    in Nova and in Landscape.
 *  - Fail-open: landscaped stopped, a batch still boots; every instance has both plugins'
 *    warnings in the log; the phase timings then are the baseline.
 * Skipped (exit 77) exactly when the other harness tests skip (no harness, not root); failed
 * when the harness is here, we are root and it does not come up. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "osh.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"

/* Servers per batch (the latency samples): 6 by default so the test stays a few minutes;
 * LS_HOOKS_BATCH=N (2 to MAX_BATCH) for the benchmark. */
#define MAX_BATCH   40
#define MAX_SERVERS (2 * MAX_BATCH + 4)

/* The flavor the harness boots (osh.small), as the plugins ask Landscape for it. */
#define FLAVOR "{\"vcpus\":1,\"ram_mb\":512,\"disk_gb\":1}"

static struct {
    bool up;
    char why[512];
    char dir[64];
    bool reuse;                     /* LS_HOOKS_REUSE=1 */
    char audit[64], audit_uuid[64]; /* Watcher's EVENT audit (--watcher-audit) */
    char red[128];                  /* the host made red */
    int port;
    struct ls_service svc;
    char servers[MAX_SERVERS][64]; /* booted here: deleted at the end */
    int n_servers;
    /* filter+weigh phase per instance (ms), with Landscape and with it stopped */
    int batch;
    /* Nova filters and weighs once per instance, and once more for the last one's alternates
     * (a request for N instances: N + 1 passes; nova/scheduler/manager.py
     * _get_alternate_hosts): per pass, its filter+weigh phase (ms) with Landscape and with it
     * stopped, and the plugins' own time */
    double phase_with[MAX_BATCH + 1], phase_without[MAX_BATCH + 1];
    int n_with, n_without;
    double weigher_ms[MAX_BATCH + 1], filter_ms[MAX_BATCH + 1];
} fx;

/* A port free on loopback now (landscaped is started on it after nova-scheduler, which must
 * know its URL when it starts). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* nova-scheduler's extra configuration: both plugins, debug lines (their timings). */
static bool write_sched_conf(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f,
            "[DEFAULT]\ndebug = true\n"
            "[filter_scheduler]\n"
            "available_filters = nova.scheduler.filters.all_filters\n"
            "available_filters = landscape_openstack.nova.LandscapeFilter\n"
            "enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,"
            "LandscapeFilter\n"
            "weight_classes = nova.scheduler.weights.all_weighers,"
            "landscape_openstack.nova.LandscapeWeigher\n"
            "[landscape]\nurl = http://127.0.0.1:%d\ntimeout = 2.0\nweight_multiplier = 1000.0\n",
            fx.port);
    return fclose(f) == 0;
}

/* Watcher's extra configuration: where the `landscape` strategy finds Landscape. */
static bool write_watcher_conf(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "[landscape]\nurl = http://127.0.0.1:%d\ntimeout = 5.0\n", fx.port);
    return fclose(f) == 0;
}

/* The package's dist-info (its watcher_strategies entry point) in DIR/py, by
 * tools/mkdistinfo.py from pyproject.toml: the decision engine registers `landscape`. */
static bool write_dist_info(void)
{
    const char *src = getenv("LS_SOURCE_DIR");
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 '%s/integrations/openstack/tools/mkdistinfo.py' "
             "'%s/integrations/openstack/pyproject.toml' '%s/py' > /dev/null && "
             "chmod -R a+rX '%s/py'",
             src ? src : ".", src ? src : ".", fx.dir, fx.dir);
    return system(cmd) == 0;
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *nb = getenv("LS_HOOKS_BATCH");
    fx.batch = nb && *nb ? (int)strtol(nb, NULL, 10) : 6;
    if (fx.batch < 2 || fx.batch > MAX_BATCH)
        fx.batch = 6;
    char conf[128], env[1200], pypath[600];
    /* LS_HOOKS_REUSE=1 (by hand, between runs): a control plane this test started with it
     * and left up is used as it is (its scheduler's conf names the port), and left up. */
    const char *reuse = getenv("LS_HOOKS_REUSE");
    fx.reuse = reuse && !strcmp(reuse, "1");
    if (fx.reuse) {
        snprintf(fx.dir, sizeof(fx.dir), "/tmp/ls-hooks-reuse");
        mkdir(fx.dir, 0755);
    } else {
        snprintf(fx.dir, sizeof(fx.dir), "/tmp/ls-hooks-XXXXXX");
        if (!mkdtemp(fx.dir))
            return -1;
    }
    chmod(fx.dir, 0755); /* the harness's daemons read the conf */
    snprintf(conf, sizeof(conf), "%s/nova-scheduler-landscape.conf", fx.dir);
    FILE *old = fx.reuse ? fopen(conf, "r") : NULL;
    char line[256];
    while (old && fgets(line, sizeof(line), old))
        if (sscanf(line, "url = http://127.0.0.1:%d", &fx.port) == 1)
            break;
    if (old)
        fclose(old);
    if (fx.port > 0) {
        fx.up = osh_up(fx.why, sizeof(fx.why)); /* up already: only its openrc is read */
    } else {
        fx.port = free_port();
        char wconf[128];
        snprintf(wconf, sizeof(wconf), "%s/watcher-landscape.conf", fx.dir);
        if (fx.port <= 0 || !write_sched_conf(conf) || !write_watcher_conf(wconf) ||
            !write_dist_info())
            return -1;
        const char *src = getenv("LS_SOURCE_DIR");
        snprintf(pypath, sizeof(pypath), "%s/integrations/openstack:%s/py", src ? src : ".",
                 fx.dir);
        snprintf(env, sizeof(env),
                 "OSH_SCHED_CONF='%s' OSH_PYTHONPATH='%s' OSH_WATCHER=1 OSH_WATCHER_CONF='%s'",
                 conf, pypath, wconf);
        fx.up = osh_up_fresh(env, "with landscape_openstack in nova-scheduler and Watcher", fx.why,
                             sizeof(fx.why));
    }
    if (!fx.up) {
        if (!osh_skippable()) { /* the harness is here and we are root: it must come up */
            printf("# FAILED: the OpenStack harness is here but did not come up: %s\n", fx.why);
            return -1;
        }
        printf("# SKIPPING the Nova plugin tests in the real control plane: %s\n", fx.why);
        return 0;
    }
    /* the EVENT audit a red host triggers: strategy landscape, its plan applied at once */
    snprintf(fx.audit, sizeof(fx.audit), "lshooks-red-%d", (int)getpid());
    json_t *audit = osh_cli_json("optimize audit create -t EVENT -g server_consolidation "
                                 "-s landscape -p max_moves=2 --auto-trigger --name %s",
                                 fx.audit);
    const char *uuid = json_string_value(json_object_get(audit, "UUID"));
    if (!uuid) {
        json_decref(audit);
        return -1;
    }
    snprintf(fx.audit_uuid, sizeof(fx.audit_uuid), "%s", uuid);
    json_decref(audit);
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", fx.port);
    /* the last --listen wins: the port nova-scheduler was told */
    const char *args[] = {"--os-cloud",
                          "osh",
                          "--os-sync-interval",
                          "86400",
                          "--listen",
                          listen,
                          "--watcher-audit",
                          fx.audit,
                          "--os-placement-traits",
                          "--os-placement-traits-interval",
                          "2",
                          NULL};
    if (osh_landscape_start(&fx.svc, args) != 0)
        return -1;
    if (fx.svc.port != fx.port) {
        printf("# landscaped listens on %d, not on %d\n", fx.svc.port, fx.port);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    if (fx.up) {
        if (fx.n_servers > 0) {
            char ids[MAX_SERVERS * 66] = "";
            size_t len = 0;
            for (int i = 0; i < fx.n_servers; i++)
                len += (size_t)snprintf(ids + len, sizeof(ids) - len, " %s", fx.servers[i]);
            (void)osh_cli("server delete --wait%s", ids);
        }
        if (fx.svc.pid > 0 && ls_service_stop(&fx.svc) != 0)
            rc = -1;
        ls_harness_stop();
        if (!fx.reuse)
            osh_restore();
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
    if (!fx.reuse && system(cmd) != 0)
        rc = -1;
    curl_global_cleanup();
    return rc;
}

#define NEED_OPENSTACK()                                                                           \
    do {                                                                                           \
        if (!fx.up) {                                                                              \
            LS_SKIP("%s", fx.why);                                                                 \
        }                                                                                          \
    } while (0)

static void http_ok(const char *method, const char *path, const char *body, json_t **out)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(&fx.svc, method, path, body, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("%s %s: HTTP %ld: %s", method, path, r.status, r.body);
    if (out)
        *out = json_incref(r.json);
    ls_http_result_cleanup(&r);
}

static void sync_pass(void)
{
    http_ok("POST", "/v1/sources/osh/sync?wait=true&full=true", NULL, NULL);
}

/* One cpu_util sample (percent, now) for a hypervisor, named as Ceilometer names it. */
static void post_load(const char *host, int percent)
{
    char body[512], now[32];
    time_t t = time(NULL);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", gmtime(&t));
    snprintf(body, sizeof(body),
             "{\"counter_name\":\"cpu_util\",\"counter_type\":\"gauge\",\"counter_unit\":\"%%\","
             "\"counter_volume\":%d,\"resource_id\":\"%s\",\"timestamp\":\"%s\"}",
             percent, host, now);
    json_t *r;
    http_ok("POST", "/v1/telemetry", body, &r);
    assert_int_equal(ls_jint(r, "applied"), 1);
    json_decref(r);
}

/* Placement itself, as an admin of the harness's cloud: a service whose base is the catalog's
 * public endpoint, and the token to send. */
static struct {
    struct ls_service api;
    char auth[300];
} pl;

static void placement(const char *method, const char *path, const char *body, json_t **out)
{
    if (!pl.api.base[0]) {
        json_t *tok = osh_cli_json("token issue");
        json_t *eps = osh_cli_json("endpoint list --service placement --interface public");
        const char *id = ls_jstr(tok, "id"), *url = ls_jstr(eps, "0.URL");
        assert_non_null(id);
        assert_non_null(url);
        assert_true(strlen(url) < sizeof(pl.api.base));
        snprintf(pl.api.base, sizeof(pl.api.base), "%s", url);
        snprintf(pl.auth, sizeof(pl.auth), "X-Auth-Token: %s", id);
        json_decref(tok);
        json_decref(eps);
    }
    const char *headers[] = {pl.auth, "OpenStack-API-Version: placement 1.22",
                             "Content-Type: application/json", NULL};
    struct ls_http_result r;
    assert_int_equal(ls_http_headers(&pl.api, method, path, body, headers, &r), 0);
    if (r.status < 200 || r.status >= 300)
        fail_msg("placement %s %s: HTTP %ld: %s", method, path, r.status, r.body);
    if (out)
        *out = json_incref(r.json);
    ls_http_result_cleanup(&r);
}

/* A hypervisor's resource provider (its uuid into out). */
static void provider_of(const char *host, char *out, size_t cap)
{
    char path[256];
    json_t *r;
    snprintf(path, sizeof(path), "/resource_providers?name=%s", host);
    placement("GET", path, NULL, &r);
    const char *uuid = ls_jstr(r, "resource_providers.0.uuid");
    assert_non_null(uuid);
    snprintf(out, cap, "%s", uuid);
    json_decref(r);
}

/* Whether a provider carries CUSTOM_LANDSCAPE_ANOMALY; its traits and generation into *doc
 * when doc is not NULL. */
static bool carries_trait(const char *uuid, json_t **doc)
{
    char path[256];
    json_t *r;
    snprintf(path, sizeof(path), "/resource_providers/%s/traits", uuid);
    placement("GET", path, NULL, &r);
    bool has = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "traits"), i, v)
    {
        has = has || strcmp(json_string_value(v), "CUSTOM_LANDSCAPE_ANOMALY") == 0;
    }
    if (doc)
        *doc = r;
    else
        json_decref(r);
    return has;
}

/* Waits up to 30 s for a provider to carry (or not) the trait; the seconds it took, or -1. */
static double wait_trait(const char *uuid, bool want)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 300; i++) {
        if (carries_trait(uuid, NULL) == want) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        }
        usleep(100 * 1000);
    }
    return -1;
}

/* Whether Placement offers the provider for the harness's flavor, with or without the
 * flavor's `trait:CUSTOM_LANDSCAPE_ANOMALY=forbidden` (what Nova then asks for). */
static bool candidate(const char *uuid, bool forbid)
{
    json_t *r;
    placement("GET",
              forbid ? "/allocation_candidates?resources=VCPU:1,MEMORY_MB:512,DISK_GB:1"
                       "&required=!CUSTOM_LANDSCAPE_ANOMALY"
                     : "/allocation_candidates?resources=VCPU:1,MEMORY_MB:512,DISK_GB:1",
              NULL, &r);
    bool found = json_object_get(json_object_get(r, "provider_summaries"), uuid) != NULL;
    json_decref(r);
    return found;
}

/* Landscape's first choice for the harness's flavor, into out. */
static void first_choice(char *out, size_t cap)
{
    json_t *r;
    http_ok("POST", "/v1/placement/recommendations", "{\"flavor\":" FLAVOR "}", &r);
    const char *h = ls_jstr(r, "hosts.0.host");
    assert_non_null(h);
    snprintf(out, cap, "%s", h);
    print_message("# Landscape ranks:");
    for (size_t i = 0; i < json_array_size(json_object_get(r, "hosts")); i++) {
        json_t *e = json_array_get(json_object_get(r, "hosts"), i);
        print_message(" %s %.2f", json_string_value(json_object_get(e, "host")),
                      json_number_value(json_object_get(e, "score")));
    }
    print_message("\n");
    json_decref(r);
}

static void remember(const char *id)
{
    assert_true(fx.n_servers < MAX_SERVERS);
    snprintf(fx.servers[fx.n_servers++], sizeof(fx.servers[0]), "%s", id);
}

/* The hypervisor a server got. */
static void host_of(const char *id, char *out, size_t cap)
{
    json_t *s = osh_cli_json("server show %s", id);
    assert_non_null(s);
    const char *h = json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:hypervisor_hostname"));
    assert_non_null(h);
    snprintf(out, cap, "%s", h);
    json_decref(s);
}

/* nova-scheduler's log */
static void sched_log(char *path, size_t cap)
{
    snprintf(path, cap, "%s/log/nova-scheduler.log", osh_workdir());
}

static long log_size(void)
{
    char path[400];
    sched_log(path, sizeof(path));
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The scheduler log from byte `from` on (malloc'd, NUL-terminated). */
static char *log_since(long from)
{
    char path[400];
    sched_log(path, sizeof(path));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    long n = end > from ? end - from : 0;
    char *buf = malloc((size_t)n + 1);
    fseek(f, from, SEEK_SET);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* How many lines of text contain both a and b. */
static int lines_with(const char *text, const char *a, const char *b)
{
    int n = 0;
    for (const char *l = text; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char *line = strndup(l, len);
        if (strstr(line, a) && strstr(line, b))
            n++;
        free(line);
        l = e ? e + 1 : NULL;
    }
    return n;
}

/* The "... in 1.234 ms" of every line containing key, into out (at most cap); their count. */
static int times_of(const char *text, const char *key, double *out, int cap)
{
    int n = 0;
    for (const char *l = text; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char *line = strndup(l, len);
        const char *in = strstr(line, " in ");
        double v;
        if (strstr(line, key) && in && sscanf(in, " in %lf ms", &v) == 1 && n < cap)
            out[n++] = v;
        free(line);
        l = e ? e + 1 : NULL;
    }
    return n;
}

/* Milliseconds since the epoch of an oslo.log line ("2026-12-05 08:10:01.123 ..."); -1. */
static double line_ms(const char *line)
{
    struct tm tm = {0};
    int ms;
    if (sscanf(line, "%d-%d-%d %d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) * 1000.0 + ms;
}

/* Nova's filter+weigh phase of each instance scheduled in text: from the filter handler's
 * "Starting with N host(s)" to the scheduler's "Weighed [...]" (millisecond stamps). */
static int phases(const char *text, double *out, int cap)
{
    int n = 0;
    double start = -1;
    for (const char *l = text; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char *line = strndup(l, len);
        if (strstr(line, "nova.filters") && strstr(line, "Starting with "))
            start = line_ms(line);
        else if (strstr(line, "nova.scheduler.manager") && strstr(line, " Weighed [") &&
                 start >= 0 && n < cap) {
            out[n++] = line_ms(line) - start;
            start = -1;
        }
        free(line);
        l = e ? e + 1 : NULL;
    }
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Boots `count` servers in one request (names PREFIX-1..count); their ids and hypervisors into
 * ids and hosts. */
static void boot_batch(const char *prefix, int count, char ids[][64], char hosts[][64])
{
    json_t *s = osh_cli_json("server create --flavor osh.small --image osh-tiny --network osh-net "
                             "--min %d --max %d --wait %s",
                             count, count, prefix);
    assert_non_null(s);
    json_decref(s);
    /* --wait waits for the first one only: the list until all are ACTIVE (at most 4 min) */
    json_t *list = NULL;
    for (int k = 0; k < 120; k++) {
        json_decref(list);
        list = osh_cli_json("server list --name '^%s-' --long", prefix);
        assert_non_null(list);
        int active = 0;
        for (size_t i = 0; i < json_array_size(list); i++) {
            const char *st = json_string_value(json_object_get(json_array_get(list, i), "Status"));
            active += st && !strcmp(st, "ACTIVE");
        }
        if (active == count && json_array_size(list) == (size_t)count)
            break;
        sleep(2);
    }
    assert_int_equal(json_array_size(list), count);
    for (int i = 0; i < count; i++) {
        json_t *e = json_array_get(list, (size_t)i);
        const char *id = json_string_value(json_object_get(e, "ID"));
        const char *host = json_string_value(json_object_get(e, "Host"));
        assert_non_null(id);
        remember(id);
        snprintf(ids[i], 64, "%s", id);
        snprintf(hosts[i], 64, "%s", host ? host : "");
        assert_string_equal(json_string_value(json_object_get(e, "Status")), "ACTIVE");
    }
    json_decref(list);
}

/* The three hypervisors: the one with the fewest servers (what Nova's own RAM and CPU weighers
 * pick: spread), the one with the most, and the third. */
static void hosts_by_servers(char *emptiest, char *fullest, char *third, size_t cap)
{
    json_t *hyps = osh_cli_json("hypervisor list");
    json_t *servers = osh_cli_json("server list --all-projects --long");
    assert_non_null(hyps);
    assert_non_null(servers);
    assert_int_equal(json_array_size(hyps), 3);
    const char *name[3];
    int count[3] = {0, 0, 0}, lo = 0, hi = 0;
    for (int i = 0; i < 3; i++) {
        name[i] = json_string_value(
            json_object_get(json_array_get(hyps, (size_t)i), "Hypervisor Hostname"));
        assert_non_null(name[i]);
        for (size_t k = 0; k < json_array_size(servers); k++) {
            const char *h = json_string_value(json_object_get(json_array_get(servers, k), "Host"));
            count[i] += h && !strcmp(h, name[i]);
        }
        print_message("# %s: %d servers\n", name[i], count[i]);
        if (count[i] < count[lo])
            lo = i;
        if (count[i] >= count[hi])
            hi = i;
    }
    if (lo == hi)
        hi = (lo + 1) % 3;
    snprintf(emptiest, cap, "%s", name[lo]);
    snprintf(fullest, cap, "%s", name[hi]);
    snprintf(third, cap, "%s", name[3 - lo - hi]);
    json_decref(servers);
    json_decref(hyps);
}

static void test_servers_land_on_landscapes_first_choice(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    sync_pass();
    char emptiest[128], fullest[128], third[128], choice[128], got[128];
    hosts_by_servers(emptiest, fullest, third, sizeof(emptiest));
    /* Nova alone spreads onto the emptiest host: Landscape sees it busy, the fullest idle */
    post_load(emptiest, 95);
    post_load(third, 50);
    post_load(fullest, 5);
    first_choice(choice, sizeof(choice));
    assert_string_equal(choice, fullest);
    for (int k = 0; k < 2; k++) {
        char name[64], id[64];
        snprintf(name, sizeof(name), "lshooks-%d-first-%d", (int)getpid(), k);
        long from = log_size();
        assert_true(osh_boot(name, id, sizeof(id)));
        remember(id);
        host_of(id, got, sizeof(got));
        print_message("# %s landed on %s (Landscape's first choice %s, Nova's own %s)\n", name, got,
                      choice, emptiest);
        assert_string_equal(got, choice);
        /* the weigher ran in nova-scheduler for this instance, with Landscape's answer */
        char *text = log_since(from);
        assert_int_equal(lines_with(text, "Landscape weights for instance", id), 1);
        assert_int_equal(lines_with(text, "LandscapeFilter: instance", id), 1);
        assert_int_equal(lines_with(text, "did not answer", id), 0);
        free(text);
        sync_pass(); /* Landscape sees the new usage; its first choice is asked again */
        first_choice(choice, sizeof(choice));
    }
}

static void test_a_batch_asks_once_per_instance_and_hook(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    char choice[128], prefix[64], ids[MAX_BATCH][64], hosts[MAX_BATCH][64];
    first_choice(choice, sizeof(choice));
    snprintf(prefix, sizeof(prefix), "lshooks-%d-with", (int)getpid());
    long from = log_size();
    boot_batch(prefix, fx.batch, ids, hosts);
    char *text = log_since(from);
    for (int i = 0; i < fx.batch; i++) {
        /* Landscape's answer does not change within the batch */
        assert_string_equal(hosts[i], choice);
        assert_true(lines_with(text, "LandscapeWeigher: instance", ids[i]) >= 1);
        assert_true(lines_with(text, "LandscapeFilter: instance", ids[i]) >= 1);
    }
    /* one call per pass and hook, none failed */
    int passes = fx.batch + 1;
    assert_int_equal(times_of(text, "LandscapeWeigher: instance", fx.weigher_ms, passes), passes);
    assert_int_equal(times_of(text, "LandscapeFilter: instance", fx.filter_ms, passes), passes);
    assert_int_equal(lines_with(text, "Landscape did not answer", ""), 0);
    fx.n_with = phases(text, fx.phase_with, passes);
    free(text);
    assert_int_equal(fx.n_with, passes);
}

/* Ten hours of normal cpu minutes for host, ending 3 minutes ago, then 3 minutes far above
 * (influx lines, as Telegraf names a host): the detector learns, then calls it anomalous. */
static void post_spike(const char *host)
{
    size_t cap = 700 * 128, len = 0;
    char *body = malloc(cap);
    assert_non_null(body);
    long long base = (long long)time(NULL) / 60 * 60 - 603 * 60;
    for (int i = 0; i < 603; i++) {
        double w = 2 * sin(i * 1.7) + 0.6 * cos(i * 0.37);
        len += (size_t)snprintf(body + len, cap - len, "cpu,host=%s usage=%.3f %lld000000000\n",
                                host, i < 600 ? 40 + w : 97.0, base + 60LL * i);
        assert_true(len < cap);
    }
    struct ls_http_result r;
    assert_int_equal(
        ls_http(&fx.svc, "POST", "/v1/telemetry", body, "Content-Type: text/plain", &r), 0);
    if (r.status != 200)
        fail_msg("POST /v1/telemetry: %ld %s", r.status, r.body);
    assert_int_equal(ls_jint(r.json, "applied"), 603);
    ls_http_result_cleanup(&r);
    free(body);
}

static void test_a_red_host_gets_no_new_servers_through_the_filter(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    char red[128], path[256], got[128];
    first_choice(red, sizeof(red)); /* the host Landscape likes best: idle */
    snprintf(fx.red, sizeof(fx.red), "%s", red);
    post_spike(red);
    /* the colours are swept every 250 ms and placement reads them at most every second
     * (--placement-live-ms): the host (or its machine) turns red, and is left out */
    json_t *rec = NULL;
    for (int i = 0; i < 300 && ls_jint(rec, "excluded.red") != 1; i++) {
        json_decref(rec);
        usleep(100 * 1000);
        http_ok("POST", "/v1/placement/recommendations", "{\"flavor\":" FLAVOR "}", &rec);
    }
    if (ls_jint(rec, "excluded.red") != 1)
        fail_msg("%s never left out as red: %s", red, json_dumps(rec, 0));
    for (size_t i = 0; i < json_array_size(json_object_get(rec, "hosts")); i++)
        assert_string_not_equal(ls_jstr(json_array_get(json_object_get(rec, "hosts"), i), "host"),
                                red);
    json_decref(rec);
    json_t *h;
    snprintf(path, sizeof(path), "/v1/placement/hosts/%s", red);
    http_ok("GET", path, NULL, &h);
    print_message("# %s: colour %s, excluded by %s\n", red, ls_jstr(h, "colour"),
                  ls_jstr(h, "excluded_by"));
    assert_string_equal(ls_jstr(h, "excluded_by"), "red");
    json_decref(h);

    /* --os-placement-traits: the red host's provider carries CUSTOM_LANDSCAPE_ANOMALY, so a
     * flavor forbidding it is not offered that host by Placement itself (no Nova plugin) */
    char rp[64];
    provider_of(red, rp, sizeof(rp));
    double took = wait_trait(rp, true);
    if (took < 0)
        fail_msg("%s (provider %s) red but never given CUSTOM_LANDSCAPE_ANOMALY", red, rp);
    print_message("# %s's provider carries CUSTOM_LANDSCAPE_ANOMALY %.1f s after Landscape "
                  "left it out as red\n",
                  red, took);
    assert_true(candidate(rp, false));
    assert_false(candidate(rp, true));

    char name[64], id[64];
    snprintf(name, sizeof(name), "lshooks-%d-red", (int)getpid());
    long from = log_size();
    assert_true(osh_boot(name, id, sizeof(id)));
    remember(id);
    host_of(id, got, sizeof(got));
    print_message("# %s landed on %s; %s is red\n", name, got, red);
    assert_string_not_equal(got, red);
    /* the filter took it out for this instance (not only the weigher's low weight) */
    char *text = log_since(from);
    assert_int_equal(lines_with(text, "LandscapeFilter: instance", id), 1);
    assert_int_equal(lines_with(text, "2 of 3 hosts kept", id), 1);
    assert_int_equal(lines_with(text, "LandscapeFilter removed", red), 1);
    free(text);
}

/* The trait follows the colours both ways: put by hand on a host Landscape does not colour
 * red (as an earlier run could have left it), it is taken off at the next pass, and every
 * other trait of that provider is kept. */
static void test_the_anomaly_trait_is_only_on_red_hosts(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    if (!fx.red[0])
        fail_msg("no red host: the red host test did not get that far");
    char green[128], rp[64];
    osh_other_host(fx.red, green, sizeof(green));
    provider_of(green, rp, sizeof(rp));
    json_t *doc;
    assert_false(carries_trait(rp, &doc));
    size_t before = json_array_size(json_object_get(doc, "traits"));
    json_array_append_new(json_object_get(doc, "traits"), json_string("CUSTOM_LANDSCAPE_ANOMALY"));
    char path[256], *body = json_dumps(doc, JSON_COMPACT);
    snprintf(path, sizeof(path), "/resource_providers/%s/traits", rp);
    placement("PUT", path, body, NULL);
    free(body);
    json_decref(doc);
    double took = wait_trait(rp, false);
    if (took < 0)
        fail_msg("%s is not red, yet CUSTOM_LANDSCAPE_ANOMALY stayed on its provider", green);
    print_message("# the trait put by hand on %s (not red) was cleared in %.1f s\n", green, took);
    assert_false(carries_trait(rp, &doc));
    assert_int_equal(json_array_size(json_object_get(doc, "traits")), before);
    json_decref(doc);
    char red_rp[64];
    provider_of(fx.red, red_rp, sizeof(red_rp));
    assert_true(carries_trait(red_rp, NULL)); /* still red */
}

/* Polls `openstack optimize actionplan list --audit UUID` until the audit's plan is done
 * (auto-triggered: applied at once); its UUID into out. */
static void wait_action_plan(char *out, size_t cap)
{
    for (int i = 0; i < 120; i++) {
        json_t *plans = osh_cli_json("optimize actionplan list --audit %s", fx.audit_uuid);
        json_t *p = json_array_get(plans, 0);
        const char *st = json_string_value(json_object_get(p, "State"));
        if (st && (!strcmp(st, "SUCCEEDED") || !strcmp(st, "FAILED") || !strcmp(st, "CANCELLED"))) {
            print_message("# action plan %s: %s\n", json_string_value(json_object_get(p, "UUID")),
                          st);
            snprintf(out, cap, "%s", json_string_value(json_object_get(p, "UUID")));
            json_decref(plans);
            return;
        }
        json_decref(plans);
        sleep(2);
    }
    fail_msg("audit %s: no finished action plan within 4 minutes", fx.audit);
}

static void test_the_red_host_triggers_watcher_which_moves_servers_off_it(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    if (!fx.red[0])
        fail_msg("no red host: the red host test did not get that far");
    /* landscaped saw the host turn red and POSTed Watcher's webhook (202) */
    assert_true(ls_service_logged(&fx.svc, "msg=\"audit triggered\"", fx.audit, 30000));
    assert_true(ls_service_logged(&fx.svc, "msg=\"audit triggered\"", "status=202", 0));
    char plan[64];
    wait_action_plan(plan, sizeof(plan));
    json_t *actions = osh_cli_json("optimize action list --action-plan %s --detail", plan);
    assert_non_null(actions);
    int migrations = 0;
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        const char *type = json_string_value(json_object_get(a, "Action"));
        const char *st = json_string_value(json_object_get(a, "State"));
        json_t *params = json_object_get(a, "Parameters");
        if (json_is_string(params)) /* the CLI may render it as text */
            params = json_loads(json_string_value(params), 0, NULL);
        else
            json_incref(params);
        char *shown = json_dumps(params, JSON_COMPACT);
        print_message("# action %s %s: %s\n", type ? type : "?", st ? st : "?",
                      shown ? shown : "(no parameters)");
        free(shown);
        /* Watcher 9.0.0 can call a plan SUCCEEDED while an action failed: each one is read */
        assert_string_equal(st, "SUCCEEDED");
        if (type && !strcmp(type, "migrate")) {
            const char *server = json_string_value(json_object_get(params, "resource_id"));
            const char *src = json_string_value(json_object_get(params, "source_node"));
            const char *dst = json_string_value(json_object_get(params, "destination_node"));
            assert_non_null(server);
            assert_non_null(dst);
            assert_string_equal(src, fx.red);
            assert_string_not_equal(dst, fx.red);
            char got[128], node[128], want[160], edge[256];
            host_of(server, got, sizeof(got));
            assert_string_equal(got, dst); /* Nova: the applier live-migrated it */
            sync_pass();
            snprintf(node, sizeof(node), "nova:instance:%s", server);
            snprintf(want, sizeof(want), "nova:hypervisor:%s", dst);
            assert_int_equal(osh_runs_on(&fx.svc, node, edge, sizeof(edge)), 1);
            assert_string_equal(edge, want); /* Landscape: on its new host */
            migrations++;
        }
        json_decref(params);
    }
    json_decref(actions);
    print_message("# %d servers live-migrated off %s by Watcher\n", migrations, fx.red);
    assert_true(migrations >= 1);
}

static void test_landscape_stopped_servers_still_boot(void **state)
{
    (void)state;
    NEED_OPENSTACK();
    assert_int_equal(ls_service_stop(&fx.svc), 0); /* clean exit */
    char prefix[64], ids[MAX_BATCH][64], hosts[MAX_BATCH][64];
    snprintf(prefix, sizeof(prefix), "lshooks-%d-without", (int)getpid());
    long from = log_size();
    boot_batch(prefix, fx.batch, ids, hosts);
    char *text = log_since(from);
    for (int i = 0; i < fx.batch; i++) {
        /* both plugins failed open for every instance, and said so */
        assert_true(lines_with(text, "every host weighs the same (fail-open)", ids[i]) >= 1);
        assert_true(lines_with(text, "hosts pass (fail_open)", ids[i]) >= 1);
    }
    int passes = fx.batch + 1;
    assert_int_equal(lines_with(text, "every host weighs the same (fail-open)", ""), passes);
    assert_int_equal(lines_with(text, "hosts pass (fail_open)", ""), passes);
    fx.n_without = phases(text, fx.phase_without, passes);
    free(text);
    assert_int_equal(fx.n_without, passes);

    /* the figures (docs/benchmarks.md) */
    if (fx.n_with == passes) {
        double pw[MAX_BATCH + 1], po[MAX_BATCH + 1], w[MAX_BATCH + 1], f[MAX_BATCH + 1];
        memcpy(pw, fx.phase_with, sizeof(pw));
        memcpy(po, fx.phase_without, sizeof(po));
        memcpy(w, fx.weigher_ms, sizeof(w));
        memcpy(f, fx.filter_ms, sizeof(f));
        double mpw = median(pw, passes), mpo = median(po, passes); /* sorted from here on */
        double mw = median(w, passes), mf = median(f, passes);
        print_message("# %d instances in one request each, %d filter+weigh passes:\n", fx.batch,
                      passes);
        print_message("# nova-scheduler's filter+weigh phase per pass (its log's ms stamps): "
                      "median %.0f ms (max %.0f) with Landscape answering, median %.0f ms "
                      "(max %.0f) with landscaped stopped (fail-open)\n",
                      mpw, pw[passes - 1], mpo, po[passes - 1]);
        print_message("# the plugins' own time per call (request built, Landscape asked, answer "
                      "applied): LandscapeFilter median %.2f ms (max %.2f), LandscapeWeigher "
                      "median %.2f ms (max %.2f)\n",
                      mf, f[passes - 1], mw, w[passes - 1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_servers_land_on_landscapes_first_choice),
        cmocka_unit_test(test_a_batch_asks_once_per_instance_and_hook),
        cmocka_unit_test(test_a_red_host_gets_no_new_servers_through_the_filter),
        cmocka_unit_test(test_the_anomaly_trait_is_only_on_red_hosts),
        cmocka_unit_test(test_the_red_host_triggers_watcher_which_moves_servers_off_it),
        cmocka_unit_test(test_landscape_stopped_servers_still_boot),
    };
    return ls_skip_status(
        cmocka_run_group_tests_name("openstack/hooks", tests, group_setup, group_teardown),
        LS_N_TESTS(tests));
}
