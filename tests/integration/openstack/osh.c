/* See osh.h. */
#include "osh.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

static bool started_here;
static char workdir[256];
static char harness[512];

static const char *dir_of_harness(void)
{
    const char *env = getenv("LS_OPENSTACK_HARNESS");
    if (env && *env)
        snprintf(harness, sizeof(harness), "%s", env);
    else
        snprintf(harness, sizeof(harness), "%s/../shared/openstack",
                 getenv("LS_SOURCE_DIR") ? getenv("LS_SOURCE_DIR") : ".");
    return harness;
}

/* Runs a shell command; its output goes to ours. */
static int sh(const char *cmd)
{
    fflush(stdout);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool keystone_answers(void)
{
    return sh("curl -sf -o /dev/null --max-time 3 http://127.0.0.1:5000/v3") == 0;
}

/* Exports every `export K=V` line of WORKDIR/openrc. */
static bool load_openrc(void)
{
    char path[300], line[512];
    snprintf(path, sizeof(path), "%s/openrc", workdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "export ", 7) != 0)
            continue;
        char *eq = strchr(line + 7, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *v = eq + 1;
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) {
            v[n - 1] = '\0';
            v++;
        }
        setenv(line + 7, v, 1);
    }
    fclose(f);
    return getenv("OS_AUTH_URL") != NULL;
}

static bool was_up_before_fresh;

/* Seconds one up.sh may take (LS_OSH_UP_TIMEOUT): it takes 1-2 minutes, 4 with the first
 * package install; a hung start is stopped, and retried once, instead of eating the test's
 * whole ctest budget without a word. */
static long up_timeout_s(void)
{
    const char *e = getenv("LS_OSH_UP_TIMEOUT");
    long v = e && *e ? strtol(e, NULL, 10) : 0;
    return v > 0 ? v : 480;
}

/* Runs up.sh with extra environment assignments (e.g. "OSH_FRESH=1"), under a time limit.
 * When it times out or fails, what it started is stopped and it runs once more from scratch:
 * its start has races of its own (CI on a267a6a: cinder-volume's first capability report
 * went out before the scheduler listened, the next came 60 s later, and both volumes of the
 * boot step failed with "No valid backend"; a second start came up). */
static int run_up(const char *up, const char *env)
{
    char cmd[3000];
    int rc = -1;
    for (int attempt = 1; attempt <= 2; attempt++) {
        snprintf(cmd, sizeof(cmd), "%s timeout -k 20 %ld '%s' '%s' > '%s.up.log' 2>&1", env,
                 up_timeout_s(), up, workdir, workdir);
        rc = sh(cmd);
        if (rc == 0)
            return 0;
        snprintf(cmd, sizeof(cmd), "tail -30 '%s.up.log'", workdir);
        sh(cmd);
        if (rc == 124 || rc == 137)
            printf("# openstack: up.sh took over %ld s (attempt %d); stopping what it started\n",
                   up_timeout_s(), attempt);
        else
            printf("# openstack: up.sh failed (exit %d, attempt %d); stopping what it started\n",
                   rc, attempt);
        snprintf(cmd, sizeof(cmd),
                 "cp '%s.up.log' '%s.up.attempt%d.log'; cp -r '%s/log' '%s.log.attempt%d' "
                 "2>/dev/null; '%s/down.sh' '%s' > '%s.down.log' 2>&1",
                 workdir, workdir, attempt, workdir, workdir, attempt, harness, workdir, workdir);
        sh(cmd);
    }
    return rc;
}

/* These tests run for minutes: when ctest stops one at its timeout, what it printed so far
 * (cmocka's RUN lines, the harness's steps) must already be out of stdout's buffer. Runs
 * before main, so before any output. */
__attribute__((constructor)) static void stdout_line_buffered(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static bool cannot_run_here; /* the last preflight failed: no harness, or not root */

bool osh_skippable(void)
{
    return cannot_run_here;
}

static bool preflight(char *up, size_t upcap, char *why, size_t cap)
{
    cannot_run_here = true;
    const char *w = getenv("LS_OSH_DIR");
    snprintf(workdir, sizeof(workdir), "%s", w && *w ? w : "/tmp/osh");
    snprintf(up, upcap, "%s/up.sh", dir_of_harness());
    if (access(up, X_OK) != 0) {
        snprintf(why, cap, "no OpenStack harness at %s", up);
        return false;
    }
    if (geteuid() != 0) {
        snprintf(why, cap, "the OpenStack harness must run as root (installs packages)");
        return false;
    }
    cannot_run_here = false; /* from here on a failure is the harness's: the tests fail */
    return true;
}

bool osh_up_fresh(const char *env, const char *what, char *why, size_t cap)
{
    char up[700], cmd[1200];
    if (!preflight(up, sizeof(up), why, cap))
        return false;
    was_up_before_fresh = keystone_answers();
    printf("# openstack: (re)starting %s %s (about a minute, more the first time)\n", workdir,
           what);
    snprintf(cmd, sizeof(cmd), "OSH_FRESH=1 %s", env);
    int rc = run_up(up, cmd);
    if (rc != 0) {
        snprintf(why, cap, "up.sh %s failed (exit %d; log %s.up.log)", what, rc, workdir);
        return false;
    }
    if (!load_openrc()) {
        snprintf(why, cap, "no openrc in %s", workdir);
        return false;
    }
    return true;
}

bool osh_up_with_kafka(const char *bootstrap, char *why, size_t cap)
{
    char env[300], what[300];
    snprintf(env, sizeof(env), "OSH_NOTIFY_KAFKA='%s'", bootstrap);
    snprintf(what, sizeof(what), "with notifications to Kafka %s", bootstrap);
    return osh_up_fresh(env, what, why, cap);
}

const char *osh_workdir(void)
{
    return workdir;
}

void osh_restore(void)
{
    char up[700], why[256];
    if (!preflight(up, sizeof(up), why, sizeof(why)))
        return;
    if (was_up_before_fresh) {
        printf("# openstack: restarting %s as it was (no extra settings)\n", workdir);
        run_up(up, "OSH_FRESH=1");
    } else {
        started_here = true;
        osh_down();
    }
}

bool osh_up(char *why, size_t cap)
{
    char up[700];
    if (!preflight(up, sizeof(up), why, cap))
        return false;
    bool was_up = keystone_answers();
    printf("# openstack: %s %s (%s)\n", was_up ? "using the control plane in" : "starting", workdir,
           was_up ? "already up" : "2-4 minutes");
    int rc = run_up(up, "");
    if (rc != 0) {
        snprintf(why, cap, "up.sh failed (exit %d; log %s.up.log)", rc, workdir);
        return false;
    }
    started_here = !was_up;
    if (!load_openrc()) {
        snprintf(why, cap, "no openrc in %s", workdir);
        return false;
    }
    return true;
}

void osh_down(void)
{
    if (!started_here)
        return;
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "'%s/down.sh' '%s' > '%s.down.log' 2>&1", harness, workdir, workdir);
    printf("# openstack: stopping the control plane this test started\n");
    sh(cmd);
    started_here = false;
}

void osh_write_clouds_yaml(const char *path, const char *name)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f,
            "clouds:\n  %s:\n    auth:\n      auth_url: %s\n      username: %s\n"
            "      password: %s\n      project_name: %s\n      user_domain_name: %s\n"
            "      project_domain_name: %s\n    region_name: %s\n    interface: public\n",
            name, getenv("OS_AUTH_URL"), getenv("OS_USERNAME"), getenv("OS_PASSWORD"),
            getenv("OS_PROJECT_NAME"), getenv("OS_USER_DOMAIN_NAME"),
            getenv("OS_PROJECT_DOMAIN_NAME"), getenv("OS_REGION_NAME"));
    fclose(f);
}

int osh_landscape_start(struct ls_service *svc, const char *const *args)
{
    if (ls_harness_start() != 0)
        return -1;
    char clouds[512];
    snprintf(clouds, sizeof(clouds), "%s/clouds.yaml", ls_harness_dir());
    osh_write_clouds_yaml(clouds, "osh");
    setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
    return ls_service_start(svc, ls_harness_new_db(), args);
}

int osh_landscape_stop(struct ls_service *svc, const char *vm_id)
{
    if (vm_id[0])
        (void)osh_cli("server delete %s", vm_id);
    int rc = ls_service_stop(svc) == 0 ? 0 : -1;
    ls_harness_stop();
    return rc;
}

int osh_runs_on(struct ls_service *svc, const char *id, char *out, size_t cap)
{
    struct ls_http_result r;
    char path[300];
    snprintf(path, sizeof(path), "/v1/edges?src=%s&type=runs_on", id);
    out[0] = '\0';
    if (ls_http(svc, "GET", path, NULL, NULL, &r) != 0)
        return -1;
    int n = -1;
    if (r.status == 200) {
        json_t *edges = ls_jget(r.json, "edges");
        n = (int)json_array_size(edges);
        if (n > 0)
            snprintf(out, cap, "%s", ls_jstr(r.json, "edges.0.dst"));
    }
    ls_http_result_cleanup(&r);
    return n;
}

/* Runs `openstack <args>`; output into *out (malloc'd). Returns the exit status. */
static int run_cli(char **out, const char *fmt, va_list ap)
{
    char args[1024], cmd[1200];
    vsnprintf(args, sizeof(args), fmt, ap);
    /* No call may hang the test: the slowest (server delete --wait) settles in seconds. */
    snprintf(cmd, sizeof(cmd), "timeout -k 10 180 /usr/bin/openstack %s 2>&1", args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    *out = buf;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc != 0)
        printf("# openstack %s -> exit %d:\n%s\n", args, rc, buf);
    return rc;
}

json_t *osh_cli_json(const char *fmt, ...)
{
    char f2[1024];
    snprintf(f2, sizeof(f2), "%s -f json", fmt);
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int rc = run_cli(&out, f2, ap);
#pragma GCC diagnostic pop
    va_end(ap);
    json_t *j = NULL;
    if (rc == 0) {
        json_error_t je;
        j = json_loads(out, 0, &je);
        if (!j)
            printf("# openstack output is not JSON: %s\n%s\n", je.text, out);
    }
    free(out);
    return j;
}

int osh_cli(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    int rc = run_cli(&out, fmt, ap);
    va_end(ap);
    free(out);
    return rc;
}

bool osh_boot(const char *name, char *id, size_t cap)
{
    json_t *s = osh_cli_json("server create --flavor osh.small --image osh-tiny --network osh-net "
                             "--wait %s",
                             name);
    const char *v = json_string_value(json_object_get(s, "id"));
    snprintf(id, cap, "%s", v ? v : "");
    json_decref(s);
    return v != NULL;
}

void osh_other_host(const char *host, char *out, size_t cap)
{
    out[0] = '\0';
    for (int k = 1; k <= 3 && !out[0]; k++) {
        char cand[64];
        snprintf(cand, sizeof(cand), "fake-compute-%d", k);
        if (strcmp(cand, host) != 0)
            snprintf(out, cap, "%s", cand);
    }
}
