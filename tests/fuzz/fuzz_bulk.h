/* Shared by the bulk fuzz targets (YAML, JSON): one POST /v1/bulk body -> manual change set
 * (ls_host_bulk_parse + ls_host_bulk_build against a small graph holding a discovered machine
 * and a manual rack, so links to the graph and the not_manual refusal are reachable), checked
 * and prepared on that graph. */
#ifndef LS_TESTS_FUZZ_BULK_H
#define LS_TESTS_FUZZ_BULK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "importers/host/bulk.h"
#include "tests/fuzz/fuzz_check.h"

static inline struct ls_graph *fuzz_bulk_graph(void)
{
    static struct ls_graph *g;
    if (g != NULL)
        return g;
    g = ls_graph_new(); /* kept for the process */
    struct ls_change_set *cs = ls_change_set_new("manual");
    struct ls_prepared *p;
    struct ls_err err;
    if (ls_change_put_node_new(cs, "host:machine:h1", "machine", "h1", "up", NULL, "host:h1",
                               &err) != LS_OK ||
        ls_change_put_node_new(cs, "manual:rack:R1", "rack", "R1", "", NULL, NULL, &err) != LS_OK ||
        ls_graph_prepare(g, cs, 1000000, &p, &err) != LS_OK)
        abort();
    ls_graph_publish(g, p, 1);
    ls_change_set_free(cs);
    return g;
}

static inline int fuzz_bulk(enum ls_bulk_format fmt, const uint8_t *data, size_t size)
{
    struct ls_graph *g = fuzz_bulk_graph();
    json_t *doc = NULL;
    struct ls_err err;
    if (ls_host_bulk_parse(&doc, (const char *)data, size, fmt, &err) == LS_OK) {
        struct ls_change_set *cs = ls_change_set_new("manual");
        struct ls_snap *snap = ls_graph_snap(g);
        size_t nodes, edges;
        int rc = ls_host_bulk_build(cs, doc, snap, &nodes, &edges, &err);
        ls_snap_release(snap);
        if (rc == LS_OK)
            fuzz_check_and_prepare(g, cs);
        ls_change_set_free(cs);
    }
    json_decref(doc);
    return 0;
}

#endif
