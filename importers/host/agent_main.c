/* landscape-agent: the small per-host binary. Discovers this host and PUTs its topology to
 *   landscape-agent --server URL [--token T] [--cacert FILE] [--hostname H] [--fqdn F]
 *                   [--xml FILE] [--interval S] [--check S] [--lldp-socket PATH] [--no-lldp]
 *                   [--once]
 * --once posts a single time and exits with 0 on success (cron, tests). The token (a member's,
 * for landscaped --auth tokens or keystone) may come from LANDSCAPE_TOKEN instead, which keeps
 * it out of `ps`; the CA bundle from LANDSCAPE_CACERT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "importers/host/agent.h"
#include "importers/openstack/client.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: landscape-agent --server URL [--token T] [--cacert FILE]\n"
                    "       [--hostname H] [--fqdn F] [--xml FILE] [--interval S] [--check S]\n"
                    "       [--lldp-socket PATH] [--no-lldp] [--once]\n"
                    "  LANDSCAPE_TOKEN and LANDSCAPE_CACERT stand for --token and --cacert\n");
    return 2;
}

/* Parses a positive number of seconds; false on anything else. */
static bool seconds(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 1 || v > 86400)
        return false;
    *out = (int)v;
    return true;
}

int main(int argc, char **argv)
{
    struct ls_agent_opts o;
    ls_agent_opts_init(&o);
    o.token = getenv("LANDSCAPE_TOKEN");
    o.cacert = getenv("LANDSCAPE_CACERT");
    bool once = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--once") == 0)
            once = true;
        else if (strcmp(a, "--no-lldp") == 0)
            o.no_lldp = true;
        else if (v == NULL)
            return usage();
        else if (strcmp(a, "--server") == 0)
            o.server = argv[++i];
        else if (strcmp(a, "--token") == 0)
            o.token = argv[++i];
        else if (strcmp(a, "--cacert") == 0)
            o.cacert = argv[++i];
        else if (strcmp(a, "--hostname") == 0)
            o.hostname = argv[++i];
        else if (strcmp(a, "--fqdn") == 0)
            o.fqdn = argv[++i];
        else if (strcmp(a, "--xml") == 0)
            o.xml_file = argv[++i];
        else if (strcmp(a, "--lldp-socket") == 0)
            o.lldp_socket = argv[++i];
        else if (strcmp(a, "--sysfs") == 0)
            o.sysfs_root = argv[++i];
        else if (strcmp(a, "--interval") == 0 && seconds(argv[++i], &o.interval_s))
            continue;
        else if (strcmp(a, "--check") == 0 && seconds(argv[++i], &o.check_s))
            continue;
        else
            return usage();
    }
    if (o.server == NULL)
        return usage();
    ls_client_global_init();
    int rc = 0;
    if (once) {
        char *last = NULL;
        long long t = 0;
        bool posted;
        struct ls_err err;
        if (ls_agent_step(&o, &last, &t, &posted, &err) != LS_OK) {
            ls_log(LS_LOG_ERROR, "agent", "post failed", "code=%s reason=\"%s\"", err.code,
                   err.msg);
            rc = 1;
        } else {
            ls_log(LS_LOG_INFO, "agent", "topology posted", "server=%s", o.server);
        }
        free(last);
    } else {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        rc = ls_agent_run(&o, &stop_flag);
    }
    ls_client_global_cleanup();
    return rc;
}
