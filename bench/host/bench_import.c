/* Import of N hosts' topologies through the API (PUT /v1/hosts/{h}/topology, application/xml)
 * into landscaped on loopback with a private Postgres: hosts/s and nodes/s for the first post,
 * for an unchanged re-post, and the in-process build alone (the ratio shows what HTTP + store
 * cost), with its trial in a child process (what the service does) and without it (the ceiling:
 * the ratio shows what isolating hwloc costs). Also the node count per host with the default
 * summarisation against hwloc's object count. Half the hosts are tests/data/hwloc/server_io.xml (2
 * sockets, I/O), half a generated hwloc synthetic topology with caches. bench_host_import
 * [hosts=1000]   (run from the build directory, or set LS_BINARY_DIR and LS_SOURCE_DIR) */
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/time.h"
#include "importers/host/topology.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"
#include "tests/unit/host/fixtures.h"

#define SYNTH "pack:2 numa:1 l3:1 l2:16 l1:1 core:1 pu:2"

static char *synthetic_xml(int *objects)
{
    hwloc_topology_t t;
    char *xml;
    int len;
    hwloc_topology_init(&t);
    if (hwloc_topology_set_synthetic(t, SYNTH) != 0 || hwloc_topology_load(t) != 0 ||
        hwloc_topology_export_xmlbuffer(t, &xml, &len, 0) != 0) {
        fprintf(stderr, "hwloc synthetic failed\n");
        exit(1);
    }
    *objects = 0;
    for (int d = 0; d < hwloc_topology_get_depth(t); d++)
        *objects += hwloc_get_nbobjs_by_depth(t, d);
    *objects += hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    char *copy = ls_xstrdup(xml);
    hwloc_free_xmlbuffer(t, xml);
    hwloc_topology_destroy(t);
    return copy;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* PUTs every host once; returns seconds. */
static double import_all(CURL *c, const char *base, int hosts, char *const xml[2])
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/xml");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    long long t0 = ls_time_mono_ns();
    for (int i = 0; i < hosts; i++) {
        char url[256];
        snprintf(url, sizeof(url), "%s/v1/hosts/bench-%05d/topology", base, i);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, xml[i % 2]);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(xml[i % 2]));
        long status = 0;
        if (curl_easy_perform(c) != CURLE_OK ||
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
            fprintf(stderr, "PUT %s failed (HTTP %ld)\n", url, status);
            exit(1);
        }
    }
    double s = (double)(ls_time_mono_ns() - t0) / 1e9;
    curl_slist_free_all(h);
    return s;
}

int main(int argc, char **argv)
{
    int hosts = argc > 1 ? atoi(argv[1]) : 1000;
    if (hosts < 2)
        hosts = 2;
    if (getenv("LS_BINARY_DIR") == NULL)
        setenv("LS_BINARY_DIR", ".", 1);
    char *xml[2];
    int synth_objects;
    xml[0] = fixture_read("hwloc/server_io.xml", NULL);
    xml[1] = synthetic_xml(&synth_objects);

    /* nodes per host with the default summarisation; the build with its trial in a child
     * process (what the service does) and without (the ceiling) */
    size_t nodes[2], total_nodes = 0;
    double build_s[2]; /* [0] with the trial, [1] without */
    for (int trial = 0; trial <= 1; trial++) {
        struct ls_host_topo_opts o;
        ls_host_topo_opts_init(&o);
        o.trial = trial;
        total_nodes = 0;
        long long t0 = ls_time_mono_ns();
        for (int i = 0; i < hosts; i++) {
            char name[32];
            snprintf(name, sizeof(name), "bench-%05d", i);
            struct ls_host_input in = {
                .hostname = name, .xml = xml[i % 2], .xml_len = strlen(xml[i % 2])};
            struct ls_change_set *cs = ls_host_change_set_new(name);
            struct ls_host_topo_stats st;
            struct ls_err err;
            if (ls_host_topology_build(cs, &in, &o, &st, &err) != LS_OK) {
                fprintf(stderr, "build: %s\n", err.msg);
                return 1;
            }
            nodes[i % 2] = st.nodes;
            total_nodes += st.nodes;
            ls_change_set_free(cs);
        }
        build_s[!trial] = (double)(ls_time_mono_ns() - t0) / 1e9;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ls_harness_start() != 0)
        return 1;
    struct ls_service svc;
    const char *extra[] = {"--log-level", "warn", NULL};
    if (ls_service_start(&svc, ls_harness_new_db(), extra) != 0)
        return 1;
    CURL *c = curl_easy_init();
    double first = import_all(c, svc.base, hosts, xml);
    double again = import_all(c, svc.base, hosts, xml);
    curl_easy_cleanup(c);
    ls_service_stop(&svc);
    ls_harness_stop();
    curl_global_cleanup();

    printf("hosts: %d (half server_io.xml, half synthetic \"%s\")\n", hosts, SYNTH);
    printf("nodes per host (default summarisation): server_io %zu, synthetic %zu "
           "(hwloc objects in the synthetic one: %d, %.1fx fewer nodes)\n",
           nodes[0], nodes[1], synth_objects, (double)synth_objects / (double)nodes[1]);
    printf("first import via API:   %8.1f hosts/s  %9.0f nodes/s  (%.2f s)\n", hosts / first,
           total_nodes / first, first);
    printf("unchanged re-post:      %8.1f hosts/s  %9.0f nodes/s  (%.2f s)\n", hosts / again,
           total_nodes / again, again);
    printf("build only, with trial: %8.1f hosts/s  %9.0f nodes/s  (%.2f s)\n", hosts / build_s[0],
           total_nodes / build_s[0], build_s[0]);
    printf("build only, no trial:   %8.1f hosts/s  %9.0f nodes/s  (%.2f s)\n", hosts / build_s[1],
           total_nodes / build_s[1], build_s[1]);
    printf("ratio build with trial / without (the ceiling): %.2f\n", build_s[1] / build_s[0]);
    printf("ratio API first import / build only (with trial): %.2f\n", build_s[0] / first);
    free(xml[0]);
    free(xml[1]);
    return 0;
}
