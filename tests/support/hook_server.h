/* Test support: a loopback HTTP receiver for outbound webhooks (server/notify.h). One thread
 * accepts on 127.0.0.1 (port 0), reads each POST (headers + Content-Length body), keeps it and
 * answers with the next status of a script (the last one repeats). */
#ifndef LS_TESTS_HOOK_SERVER_H
#define LS_TESTS_HOOK_SERVER_H

#include <stddef.h>

#define LS_HOOK_MAX_REQUESTS 64

struct ls_hook_request {
    char *body;          /* NUL-terminated, owned */
    char signature[128]; /* X-Landscape-Signature value, "" when absent */
};

struct ls_hook_server;

/** Starts the receiver answering statuses[0], statuses[1], ... (n >= 1; the last repeats).
 *  url gets "http://127.0.0.1:PORT/hook". NULL on failure. */
struct ls_hook_server *ls_hook_server_start(const int *statuses, size_t n, char url[64]);
/** Stops and frees (requests included). */
void ls_hook_server_stop(struct ls_hook_server *h);
/** Waits until at least n requests arrived or timeout_s passed; returns how many arrived. */
size_t ls_hook_server_wait(struct ls_hook_server *h, size_t n, int timeout_s);
/** Request i (borrowed; valid until stop), i < the count ls_hook_server_wait returned. */
const struct ls_hook_request *ls_hook_server_request(struct ls_hook_server *h, size_t i);

#endif
