/* The web view in real headless Chromium: starts landscaped with the demo against a private
 * Postgres, runs ui_steps.mjs (puppeteer-core from build/ui/node_modules driving the system's
 * chromium) once, and reports each of its steps as one cmocka test: passed, failed (with what
 * the step saw) or skipped (with why: an analytics endpoint not on this server, no incident).
 * Screenshots of every step stay in <build>/tests/artefacts/ui/ (docs/ui.md).
 * Every test skips when the view was not built (no npm: build/ui/status says "fallback"), or
 * node or chromium is missing (LS_CHROMIUM names another binary), or LS_BROWSER_TESTS=0.
 * landscaped must stop cleanly at the end (test_service_stops_cleanly). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/support/skip.h"

static json_t *results;        /* step name -> {"status", "note", "screenshot"} */
static char why_not_run[1400]; /* set when the steps could not run at all */
static char artefacts[1024];
static int stop_status = -2; /* ls_service_stop's result; -2: the service was not run */

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Why the browser tests cannot run here, or NULL. */
static const char *missing(const char *bin)
{
    static char why[1400];
    char path[1024];
    snprintf(path, sizeof(path), "%s/ui/status", bin);
    FILE *f = fopen(path, "r");
    char status[256] = "";
    if (f) {
        if (!fgets(status, sizeof(status), f))
            status[0] = 0;
        fclose(f);
    }
    if (strncmp(status, "built", 5) != 0) {
        snprintf(why, sizeof(why), "the web view was not built (%s: %s)", path,
                 status[0] ? status : "absent");
        return why;
    }
    if (system("command -v node >/dev/null 2>&1") != 0)
        return "node is not installed";
    const char *chromium = env_or("LS_CHROMIUM", "/usr/bin/chromium");
    if (access(chromium, X_OK) != 0) {
        snprintf(why, sizeof(why), "no chromium at %s (scripts/deps.sh installs it)", chromium);
        return why;
    }
    return NULL;
}

static int run_steps(void **state)
{
    if (ls_service_group_setup(state) != 0)
        return -1;
    const char *src = env_or("LS_SOURCE_DIR", ".");
    const char *bin = env_or("LS_BINARY_DIR", ".");
    /* On by default; LS_BROWSER_TESTS=0 opts out (a machine without a usable display stack). */
    const char *why = strcmp(env_or("LS_BROWSER_TESTS", "1"), "0") == 0
                          ? "LS_BROWSER_TESTS=0: the browser tests were turned off"
                          : missing(bin);
    if (why) {
        snprintf(why_not_run, sizeof(why_not_run), "%s", why);
        return 0;
    }
    snprintf(artefacts, sizeof(artefacts), "%s/tests/artefacts/ui", bin);
    struct ls_service svc;
    const char *flags[] = {"--demo", NULL};
    if (ls_service_start(&svc, ls_harness_new_db(), flags) != 0)
        return -1;
    char out[1100], cmd[4096];
    snprintf(out, sizeof(out), "%s/results.json", artefacts);
    unlink(out);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s' && LS_UI_MODULES='%s/ui/node_modules' node "
             "'%s/tests/integration/browser/ui_steps.mjs' '%s' '%s' '%s'",
             artefacts, bin, src, svc.base, artefacts, out);
    int rc = system(cmd);
    printf("# ui_steps.mjs exited %d; screenshots in %s\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : -1,
           artefacts);
    json_error_t jerr;
    results = json_load_file(out, 0, &jerr);
    if (!results)
        snprintf(why_not_run, sizeof(why_not_run), "ui_steps.mjs wrote no results (%s)", jerr.text);
    stop_status = ls_service_stop(&svc);
    return 0;
}

static int teardown(void **state)
{
    json_decref(results);
    return ls_service_group_teardown(state);
}

/* One step's outcome as this test's. */
static void step(const char *name)
{
    if (why_not_run[0] && !results) {
        if (strncmp(why_not_run, "ui_steps.mjs", 12) == 0)
            fail_msg("%s", why_not_run);
        LS_SKIP("%s", why_not_run);
    }
    json_t *r = json_object_get(results, name);
    if (!r) {
        const char *e = json_string_value(json_object_get(results, "_error"));
        fail_msg("step %s did not run%s%s", name, e ? ": " : "", e ? e : "");
    }
    const char *status = json_string_value(json_object_get(r, "status"));
    const char *note = json_string_value(json_object_get(r, "note"));
    const char *shot = json_string_value(json_object_get(r, "screenshot"));
    printf("# %s: %s (%s)\n", name, note ? note : "", shot ? shot : "no screenshot");
    if (status && strcmp(status, "skip") == 0)
        LS_SKIP("%s: %s", name, note ? note : "");
    if (!status || strcmp(status, "pass") != 0)
        fail_msg("%s: %s", name, note ? note : "no status");
}

static void test_load(void **s)
{
    (void)s;
    step("load");
    json_t *t = json_object_get(results, "timing");
    printf("# demo: %lld nodes, %lld drawn, first render %lld ms (graph load %lld ms)\n",
           (long long)json_integer_value(json_object_get(t, "nodes")),
           (long long)json_integer_value(json_object_get(t, "drawn")),
           (long long)json_integer_value(json_object_get(t, "first_render_ms")),
           (long long)json_integer_value(json_object_get(t, "graph_load_ms")));
}
static void test_layers_and_counts(void **s)
{
    (void)s;
    step("layers_and_counts");
}
static void test_pick_node(void **s)
{
    (void)s;
    step("pick_node");
}
static void test_sse_change(void **s)
{
    (void)s;
    step("sse_change");
}
static void test_time_slider(void **s)
{
    (void)s;
    step("time_slider");
}
static void test_colours(void **s)
{
    (void)s;
    step("colours");
}
static void test_incident(void **s)
{
    (void)s;
    step("incident");
}
static void test_search_filter_deeplink(void **s)
{
    (void)s;
    step("search_filter_deeplink");
}
static void test_no_console_error(void **s)
{
    (void)s;
    step("no_console_error");
}

/* A landscaped that served the page must also stop cleanly (SIGTERM, exit 0). */
static void test_service_stops_cleanly(void **s)
{
    (void)s;
    if (stop_status == -2)
        LS_SKIP("%s", why_not_run[0] ? why_not_run : "landscaped was not started");
    if (stop_status != 0)
        fail_msg("landscaped --demo did not stop cleanly after the browser steps (%d; its log "
                 "above)",
                 stop_status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_layers_and_counts),
        cmocka_unit_test(test_pick_node),
        cmocka_unit_test(test_sse_change),
        cmocka_unit_test(test_time_slider),
        cmocka_unit_test(test_colours),
        cmocka_unit_test(test_incident),
        cmocka_unit_test(test_search_filter_deeplink),
        cmocka_unit_test(test_no_console_error),
        cmocka_unit_test(test_service_stops_cleanly),
    };
    int failed = cmocka_run_group_tests_name("integration/browser/ui", tests, run_steps, teardown);
    return ls_skip_status(failed, LS_N_TESTS(tests));
}
