/* Test support: a TCP proxy on 127.0.0.1 in front of a Postgres unix socket, that can fail the
 * network the way tests need: cut a connection right after a COMMIT took effect on the server
 * but before its answer reached the client, or stop forwarding altogether (a partition: the
 * connections stay open, nothing arrives). It reads the frontend/backend protocol's framing
 * (clients must connect with sslmode=disable gssencmode=disable). One thread. */
#ifndef LS_TESTS_PG_PROXY_H
#define LS_TESTS_PG_PROXY_H

#include <stdbool.h>

struct ls_pg_proxy;

/** Starts the proxy on a free port of 127.0.0.1, forwarding to the unix socket of the server
 *  whose libpq DSN is `dsn` (host=<socket directory> port=<n>). NULL after printing why. */
struct ls_pg_proxy *ls_pg_proxy_start(const char *dsn);
/** `dsn` with host and port replaced by the proxy's (caller frees). */
char *ls_pg_proxy_dsn(const struct ls_pg_proxy *p, const char *dsn);
/** Arms a cut: the next COMMIT a client sends is forwarded, the server's answer read to its
 *  ReadyForQuery and dropped, then both sides of that connection are closed, or with hold
 *  left open and silent (the client waits for an answer that never comes). */
void ls_pg_proxy_cut_after_commit(struct ls_pg_proxy *p, bool hold);
/** How many COMMIT answers an armed cut dropped so far. */
int ls_pg_proxy_cuts(struct ls_pg_proxy *p);
/** While on, nothing is forwarded in either direction and connections are left open. */
void ls_pg_proxy_partition(struct ls_pg_proxy *p, bool on);
/** Stops the thread, closes every connection and frees p (NULL is a no-op). */
void ls_pg_proxy_stop(struct ls_pg_proxy *p);

#endif
