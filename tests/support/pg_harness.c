/* Private Postgres per test executable; a database per case. */
#include "tests/support/pg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/embedded.h"

static struct ls_pg_embedded *server;
static char dir[256];
static char *dsns[256];
static int n_dsns;

int ls_harness_start(void)
{
    if (server)
        return 0;
    snprintf(dir, sizeof(dir), "/tmp/ls-test-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    struct ls_err err;
    if (ls_pg_embedded_start(&server, dir, true /* fast, unsafe: tests only */, &err) != LS_OK) {
        fprintf(stderr, "harness: %s\n", err.msg);
        return -1;
    }
    char *dsn;
    if (ls_pg_embedded_create_db(server, "tmpl", NULL, &dsn, &err) != LS_OK) {
        fprintf(stderr, "harness: %s\n", err.msg);
        return -1;
    }
    struct ls_store *s;
    if (ls_store_open(&s, dsn, &err) != LS_OK) {
        fprintf(stderr, "harness: %s\n", err.msg);
        free(dsn);
        return -1;
    }
    ls_store_close(s);
    free(dsn);
    return 0;
}

const char *ls_harness_new_db(void)
{
    if (ls_harness_start() != 0 || n_dsns == 256)
        abort();
    char name[32];
    snprintf(name, sizeof(name), "t%d", n_dsns);
    struct ls_err err;
    char *dsn;
    if (ls_pg_embedded_create_db(server, name, "tmpl", &dsn, &err) != LS_OK) {
        fprintf(stderr, "harness: %s\n", err.msg);
        abort();
    }
    dsns[n_dsns++] = dsn;
    return dsn;
}

struct ls_store *ls_harness_new_store(void)
{
    struct ls_store *s;
    struct ls_err err;
    if (ls_store_open(&s, ls_harness_new_db(), &err) != LS_OK) {
        fprintf(stderr, "harness: %s\n", err.msg);
        abort();
    }
    return s;
}

const char *ls_harness_dir(void)
{
    return dir;
}

void ls_harness_stop(void)
{
    ls_pg_embedded_stop(server, true);
    server = NULL;
    for (int i = 0; i < n_dsns; i++)
        free(dsns[i]);
    n_dsns = 0;
}

int ls_harness_group_setup(void **state)
{
    (void)state;
    return ls_harness_start();
}

int ls_harness_group_teardown(void **state)
{
    (void)state;
    ls_harness_stop();
    return 0;
}
