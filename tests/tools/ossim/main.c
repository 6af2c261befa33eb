/* ossim: the program. Parses flags into struct ossim_opts, optionally writes a clouds.yaml
 * for cloud "sim", starts the simulator, prints one line with the auth URL and serves until
 * SIGTERM or SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/ossim/ossim.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ossim [--port N] [--hypervisors N] [--servers N] [--ports-per-server N]\n"
               "             [--extra-ports N] [--volumes N] [--networks N] [--projects N]\n"
               "             [--aggregates N] [--stacks N] [--page-max N] [--token-ttl S]\n"
               "             [--password P] [--compute-max-version 2.N] [--clouds-yaml FILE]\n"
               "             [--hypervisor-names NAME,NAME,...]\n");
}

static int parse_int(const char *flag, const char *v, int *out)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || x < 0 || x > 100000000) {
        fprintf(stderr, "ossim: %s: expected a non-negative integer\n", flag);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int write_clouds_yaml(const char *path, const char *auth_url, const char *password)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "ossim: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "clouds:\n"
            "  sim:\n"
            "    auth:\n"
            "      auth_url: %s\n"
            "      username: admin\n"
            "      password: \"%s\"\n"
            "      project_name: admin\n"
            "      user_domain_name: Default\n"
            "      project_domain_name: Default\n"
            "    region_name: RegionOne\n"
            "    interface: public\n"
            "    identity_api_version: 3\n",
            auth_url, password);
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct ossim_opts o;
    ossim_opts_default(&o);
    const char *clouds = NULL;
    char *names_buf = NULL, **names = NULL;
    struct {
        const char *flag;
        int *dst;
    } const ints[] = {
        {"--hypervisors", &o.hypervisors},
        {"--servers", &o.servers},
        {"--ports-per-server", &o.ports_per_server},
        {"--extra-ports", &o.extra_ports},
        {"--volumes", &o.volumes},
        {"--networks", &o.networks},
        {"--projects", &o.projects},
        {"--aggregates", &o.aggregates},
        {"--stacks", &o.stacks},
        {"--page-max", &o.page_max},
        {"--token-ttl", &o.token_ttl_s},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        bool done = false;
        for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
            if (!strcmp(a, ints[k].flag)) {
                if (parse_int(a, v, ints[k].dst) != 0)
                    return 2;
                done = true;
            }
        }
        if (done) {
            i++;
            continue;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "--port")) {
            int p;
            if (parse_int(a, v, &p) != 0 || p > 65535)
                return 2;
            o.port = (unsigned)p;
        } else if (!strcmp(a, "--password")) {
            o.password = v;
        } else if (!strcmp(a, "--compute-max-version")) {
            o.compute_max_version = v;
        } else if (!strcmp(a, "--clouds-yaml")) {
            clouds = v;
        } else if (!strcmp(a, "--hypervisor-names")) {
            /* comma-separated; sets --hypervisors to their number */
            free(names_buf);
            free(names);
            names_buf = strdup(v);
            size_t n = 1;
            for (const char *q = v; *q; q++)
                n += *q == ',';
            names = calloc(n + 1, sizeof(*names));
            if (!names_buf || !names)
                return 2;
            int k = 0;
            for (char *tok = names_buf, *next; tok; tok = next) {
                next = strchr(tok, ',');
                if (next)
                    *next++ = '\0';
                if (*tok)
                    names[k++] = tok;
            }
            o.hypervisor_names = (const char *const *)names;
            o.hypervisors = k;
        } else {
            fprintf(stderr, "ossim: unknown flag %s\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }

    /* Block the signals before the server threads start so that only sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[256];
    struct ossim *s = ossim_start(&o, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "ossim: %s\n", err);
        return 1;
    }
    if (clouds && write_clouds_yaml(clouds, ossim_auth_url(s), o.password) != 0) {
        ossim_stop(s);
        return 1;
    }
    printf("ossim listening on %s\n", ossim_auth_url(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    ossim_stop(s);
    free(names_buf);
    free(names);
    return 0;
}
