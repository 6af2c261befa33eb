/* Test support: one private Postgres per test executable (sql/embedded.c on a mkdtemp
 * directory, removed at the end), a template database with the migrations applied, and a fresh
 * database per test case made from it (CREATE DATABASE ... TEMPLATE: fast and isolated). */
#ifndef LS_TESTS_PG_HARNESS_H
#define LS_TESTS_PG_HARNESS_H

#include "sql/store.h"

/** Starts the server and the template (idempotent). Returns 0, or -1 after printing why. */
int ls_harness_start(void);
/** A new database from the template; returns its DSN (valid until ls_harness_stop). */
const char *ls_harness_new_db(void);
/** Opens a store on a new database; aborts the test on failure. */
struct ls_store *ls_harness_new_store(void);
/** Stops the server and removes its directory. */
void ls_harness_stop(void);
/** A cmocka group setup / teardown that are ls_harness_start / ls_harness_stop. */
int ls_harness_group_setup(void **state);
int ls_harness_group_teardown(void **state);
/** The temporary directory the server lives in (for tests that need scratch space). */
const char *ls_harness_dir(void);

#endif
