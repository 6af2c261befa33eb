/* The PetShop RCA dataset (Hardt et al., CLeaR 2024; CC-BY-4.0) read where it lies: a
 * scenario's call graph (graph.csv, row -> column = caller -> callee), metrics tables
 * (metrics.csv: node, metric, statistic header rows, then one row per unix timestamp) and an
 * issue's ground truth (target.json). Copies nothing; used by bench_petshop and by the
 * integration test that replays one case through landscaped. */
#ifndef LS_BENCH_PETSHOP_H
#define LS_BENCH_PETSHOP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/** A metrics table: column c is node[c]'s "metric/statistic" series; v[r * n_cols + c] is its
 *  value at row r (NAN when empty). */
struct ps_table {
    size_t n_cols, n_rows;
    char **node;   /* per column */
    char **series; /* per column: "latency/p50", "requests/Sum", "availability/Average" */
    double *ts;    /* per row: unix seconds */
    double *v;
};

/** The call graph: names and caller -> callee pairs. */
struct ps_graph {
    size_t n;
    char **names;
    size_t n_edges;
    size_t (*edges)[2]; /* [caller, callee] indexes into names */
};

/** One issue's ground truth. */
struct ps_target {
    char symptom_node[128];
    char symptom_metric[32]; /* "latency" | "availability" */
    char root[128];
    int64_t time; /* unix seconds of the symptom */
};

LS_MUST_CHECK int ps_table_load(const char *path, struct ps_table *out, struct ls_err *err);
void ps_table_free(struct ps_table *t);
/** Column of (node, series), or -1. */
long ps_table_col(const struct ps_table *t, const char *node, const char *series);

LS_MUST_CHECK int ps_graph_load(const char *path, struct ps_graph *out, struct ls_err *err);
void ps_graph_free(struct ps_graph *g);

LS_MUST_CHECK int ps_target_load(const char *path, struct ps_target *out, struct ls_err *err);

#endif
