/* Shared by the model tests: apply a change set without a store. */
#ifndef LS_TEST_MODEL_HELPERS_H
#define LS_TEST_MODEL_HELPERS_H

#include "model/graph.h"

/* Prepares and publishes cs as the next revision; returns the status of prepare. */
static inline int apply_set(struct ls_graph *g, struct ls_change_set *cs, struct ls_err *err)
{
    struct ls_prepared *p;
    int rc = ls_graph_prepare(g, cs, 1000000, &p, err);
    if (rc != LS_OK)
        return rc;
    size_t n;
    ls_prepared_ops(p, &n);
    if (n == 0) /* as the store does: nothing to do commits nothing */
        ls_graph_abort(g, p);
    else
        ls_graph_publish(g, p, ls_graph_next_revision(g));
    return LS_OK;
}

#define PUT_NODE(cs, id, type, name)                                                               \
    assert_int_equal(ls_change_put_node_new(cs, id, type, name, "active", NULL, NULL, NULL), LS_OK)
#define PUT_EDGE(cs, src, type, dst)                                                               \
    assert_int_equal(ls_change_put_edge_new(cs, src, type, dst, NULL, LS_ESRC_MANUAL, 1.0, NULL),  \
                     LS_OK)

#endif
