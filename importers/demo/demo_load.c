/* Applies the demo data center through the store, like any importer's change set. */
#include <stdlib.h>

#include "common/log.h"
#include "importers/demo/demo.h"

int ls_demo_load(struct ls_store *store,
                 struct ls_graph *graph,
                 const struct ls_demo_opts *opts,
                 struct ls_err *err)
{
    struct ls_demo_opts o;
    if (opts)
        o = *opts;
    else
        ls_demo_opts_init(&o);
    struct ls_change_set **sets;
    size_t n;
    int rc = ls_demo_build(&sets, &n, &o, err);
    if (rc != LS_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t rev = 0;
        if (rc == LS_OK) {
            rc = ls_store_apply(store, graph, sets[i], &rev, err);
            if (rc == LS_OK)
                ls_log(LS_LOG_INFO, "demo", "demo data center loaded", "changes=%zu revision=%llu",
                       ls_change_set_count(sets[i]), (unsigned long long)rev);
        }
        ls_change_set_free(sets[i]);
    }
    free(sets);
    return rc;
}
