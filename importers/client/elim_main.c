/* landscape-elim: an LSF / OpenLava external LIM (elim). Every --interval seconds it asks
 * landscaped for its recommendation ranking and writes this host's line to stdout, flushed:
 *   landscape-elim --server URL [--host NAME] [--interval S] [--token T] [--cacert FILE]
 *                  [--count N]
 * "2 rank R lscore S": rank 1 is Landscape's best host, LS_ELIM_UNRANKED (100000) a host it
 * excludes (red, disabled) or does not know; lscore its 0..100 score. When landscaped does not
 * answer, nothing is written for that interval (the LIM keeps the last values) and one line
 * goes to stderr. --count N stops after N lines (tests); default: until SIGTERM / SIGINT or
 * stdout closes. LANDSCAPE_TOKEN and LANDSCAPE_CACERT stand for --token and --cacert. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "importers/client/elim.h"
#include "importers/openstack/client.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: landscape-elim --server URL [--host NAME] [--interval S]\n"
                    "       [--token T] [--cacert FILE] [--count N]\n"
                    "  LANDSCAPE_TOKEN and LANDSCAPE_CACERT stand for --token and --cacert\n");
    return 2;
}

static bool number(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *host = NULL;
    long interval = 15, count = 0;
    char hostname[256];
    struct ls_client_opts o = {
        .token = getenv("LANDSCAPE_TOKEN"), .cacert = getenv("LANDSCAPE_CACERT"), .timeout_s = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--server") && v)
            server = argv[++i];
        else if (!strcmp(a, "--host") && v)
            host = argv[++i];
        else if (!strcmp(a, "--token") && v)
            o.token = argv[++i];
        else if (!strcmp(a, "--cacert") && v)
            o.cacert = argv[++i];
        else if (!strcmp(a, "--interval") && v && number(v, 1, 86400, &interval))
            i++;
        else if (!strcmp(a, "--count") && v && number(v, 0, 1000000000, &count))
            i++;
        else
            return usage();
    }
    if (!server || strlen(server) > 1000)
        return usage();
    if (!host) {
        if (gethostname(hostname, sizeof(hostname)) != 0)
            return usage();
        hostname[sizeof(hostname) - 1] = '\0';
        host = hostname;
    }
    char url[1100];
    snprintf(url, sizeof(url), "%s/v1/placement/recommendations", server);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ls_client_global_init();
    long written = 0;
    while (!stop_flag && (count == 0 || written < count)) {
        struct ls_buf resp, line;
        ls_buf_init(&resp, 64u << 20);
        ls_buf_init(&line, 256);
        long status = 0;
        struct ls_err err;
        int rc =
            ls_client_request(&o, "POST", url, "application/json", "{}", 2, &status, &resp, &err);
        if (rc == LS_OK && status == 200)
            rc = ls_elim_line(resp.data ? resp.data : "", resp.len, host, &line, &err);
        else if (rc == LS_OK)
            rc = ls_err_set(&err, LS_EUNAVAIL, "http_error", "HTTP %ld", status);
        if (rc == LS_OK) {
            if (fputs(line.data, stdout) == EOF || fflush(stdout) == EOF)
                stop_flag = 1; /* the LIM went away */
            written++;
        } else {
            fprintf(stderr, "landscape-elim: %s: %s\n", url, err.msg);
        }
        ls_buf_cleanup(&resp);
        ls_buf_cleanup(&line);
        if (count && written >= count)
            break;
        struct timespec ts = {.tv_sec = interval, .tv_nsec = 0};
        while (!stop_flag && nanosleep(&ts, &ts) != 0)
            ;
    }
    ls_client_global_cleanup();
    return 0;
}
