/* ossim: Keystone tokens and the identity service (keystone.c). Internal to ossim. */
#ifndef LS_TESTS_TOOLS_OSSIM_KEYSTONE_H
#define LS_TESTS_TOOLS_OSSIM_KEYSTONE_H

#include <microhttpd.h>

#include "tests/tools/ossim/ossim_int.h"

#define TOKEN_LEN 72

/** Writes a new token of user (an index of ossim_users) for project (-1 = system scope)
 *  expiring at exp (unix seconds). */
void token_issue(struct ossim *s, int user, int project, int64_t exp, char out[TOKEN_LEN]);
/** true if tok was issued by s, is unexpired, unrevoked and predates no OSSIM_FAULT_EXPIRE;
 *  fills project and expires when not NULL. */
bool token_check(struct ossim *s, const char *tok, int *project, int64_t *expires);
/** false for the requests Keystone answers without a token (versions, POST auth/tokens). */
bool keystone_needs_token(const struct req *r);
void keystone_handle(struct req *r);

#endif
