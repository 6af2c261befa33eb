/* PetShop CSV/JSON readers (see petshop.h). The CSVs hold no quotes: plain comma splitting. */
#include "bench/analytics/petshop.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Splits line (modified in place, trailing newline dropped) at commas into fields. */
static size_t split(char *line, char ***fields, size_t *cap)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = 0;
    char *p = line;
    for (;;) {
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *fields = ls_xrealloc(*fields, *cap * sizeof **fields);
        }
        (*fields)[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static double num(const char *s)
{
    if (!*s)
        return NAN;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return (*end || errno) ? NAN : v;
}

int ps_table_load(const char *path, struct ps_table *out, struct ls_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return ls_err_set(err, LS_ENOTFOUND, NULL, "%s: cannot open", path);
    char *line = NULL;
    size_t lcap = 0, fcap = 0;
    char **f = NULL;
    char **hdr[3] = {NULL, NULL, NULL};
    size_t ncols = 0, rcap = 0;
    int rc = LS_OK;
    for (int h = 0; h < 4; h++) {
        if (getline(&line, &lcap, fp) < 0) {
            rc = ls_err_set(err, LS_EINVAL, NULL, "%s: short header", path);
            goto out;
        }
        size_t n = split(line, &f, &fcap);
        if (h == 3)
            break; /* "unix_timestamp,,,..." */
        if (h == 0)
            ncols = n - 1;
        if (n - 1 != ncols || ncols == 0) {
            rc = ls_err_set(err, LS_EINVAL, NULL, "%s: ragged header", path);
            goto out;
        }
        hdr[h] = ls_xcalloc(ncols, sizeof(char *));
        for (size_t c = 0; c < ncols; c++)
            hdr[h][c] = ls_xstrdup(f[c + 1]);
    }
    out->n_cols = ncols;
    out->node = hdr[0];
    out->series = ls_xcalloc(ncols, sizeof(char *));
    for (size_t c = 0; c < ncols; c++) {
        size_t len = strlen(hdr[1][c]) + strlen(hdr[2][c]) + 2;
        out->series[c] = ls_xmalloc(len);
        snprintf(out->series[c], len, "%s/%s", hdr[1][c], hdr[2][c]);
    }
    while (getline(&line, &lcap, fp) >= 0) {
        size_t n = split(line, &f, &fcap);
        if (n == 1 && !f[0][0])
            continue;
        if (n != ncols + 1) {
            rc = ls_err_set(err, LS_EINVAL, NULL, "%s: row %zu has %zu fields", path,
                            out->n_rows + 5, n);
            goto out;
        }
        if (out->n_rows == rcap) {
            rcap = rcap ? rcap * 2 : 64;
            out->ts = ls_xrealloc(out->ts, rcap * sizeof *out->ts);
            out->v = ls_xrealloc(out->v, rcap * ncols * sizeof *out->v);
        }
        out->ts[out->n_rows] = num(f[0]);
        for (size_t c = 0; c < ncols; c++)
            out->v[out->n_rows * ncols + c] = num(f[c + 1]);
        out->n_rows++;
    }
out:
    for (int h = 1; h < 3; h++) {
        for (size_t c = 0; hdr[h] && c < ncols; c++)
            free(hdr[h][c]);
        free(hdr[h]);
    }
    if (rc != LS_OK && !out->node) {
        for (size_t c = 0; hdr[0] && c < ncols; c++)
            free(hdr[0][c]);
        free(hdr[0]);
    }
    free(f);
    free(line);
    fclose(fp);
    if (rc != LS_OK)
        ps_table_free(out);
    return rc;
}

void ps_table_free(struct ps_table *t)
{
    for (size_t c = 0; c < t->n_cols; c++) {
        free(t->node ? t->node[c] : NULL);
        free(t->series ? t->series[c] : NULL);
    }
    free(t->node);
    free(t->series);
    free(t->ts);
    free(t->v);
    memset(t, 0, sizeof *t);
}

long ps_table_col(const struct ps_table *t, const char *node, const char *series)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->node[c], node) == 0 && strcmp(t->series[c], series) == 0)
            return (long)c;
    return -1;
}

int ps_graph_load(const char *path, struct ps_graph *out, struct ls_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return ls_err_set(err, LS_ENOTFOUND, NULL, "%s: cannot open", path);
    char *line = NULL;
    size_t lcap = 0, fcap = 0, ecap = 0;
    char **f = NULL;
    int rc = LS_OK;
    if (getline(&line, &lcap, fp) < 0) {
        rc = ls_err_set(err, LS_EINVAL, NULL, "%s: empty", path);
        goto out;
    }
    size_t n = split(line, &f, &fcap);
    out->n = n - 1;
    out->names = ls_xcalloc(out->n ? out->n : 1, sizeof(char *));
    for (size_t i = 0; i < out->n; i++)
        out->names[i] = ls_xstrdup(f[i + 1]);
    size_t row = 0;
    while (getline(&line, &lcap, fp) >= 0 && row < out->n) {
        n = split(line, &f, &fcap);
        if (n != out->n + 1) {
            rc = ls_err_set(err, LS_EINVAL, NULL, "%s: row %zu has %zu fields", path, row, n);
            goto out;
        }
        /* the row's label names the caller; find it among the columns */
        size_t caller = out->n;
        for (size_t i = 0; i < out->n; i++)
            if (strcmp(out->names[i], f[0]) == 0)
                caller = i;
        if (caller == out->n) {
            rc = ls_err_set(err, LS_EINVAL, NULL, "%s: row label %s is no column", path, f[0]);
            goto out;
        }
        for (size_t c = 0; c < out->n; c++)
            if (num(f[c + 1]) > 0) {
                if (out->n_edges == ecap) {
                    ecap = ecap ? ecap * 2 : 64;
                    out->edges = ls_xrealloc(out->edges, ecap * sizeof *out->edges);
                }
                out->edges[out->n_edges][0] = caller;
                out->edges[out->n_edges][1] = c;
                out->n_edges++;
            }
        row++;
    }
out:
    free(f);
    free(line);
    fclose(fp);
    if (rc != LS_OK)
        ps_graph_free(out);
    return rc;
}

void ps_graph_free(struct ps_graph *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->names[i]);
    free(g->names);
    free(g->edges);
    memset(g, 0, sizeof *g);
}

int ps_target_load(const char *path, struct ps_target *out, struct ls_err *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        return ls_err_set(err, LS_EINVAL, NULL, "%s: %s", path, je.text);
    const char *node = NULL, *metric = NULL, *root = NULL;
    json_int_t ts = 0;
    int rc = LS_OK;
    if (json_unpack_ex(j, &je, 0, "{s:{s:s, s:s, s:I}, s:{s:s}}", "target", "node", &node, "metric",
                       &metric, "timestamp", &ts, "root_cause", "node", &root) != 0)
        rc = ls_err_set(err, LS_EINVAL, NULL, "%s: %s", path, je.text);
    else {
        snprintf(out->symptom_node, sizeof out->symptom_node, "%s", node);
        snprintf(out->symptom_metric, sizeof out->symptom_metric, "%s", metric);
        snprintf(out->root, sizeof out->root, "%s", root);
        out->time = (int64_t)ts;
    }
    json_decref(j);
    return rc;
}
