/* Fuzz target: Keystone's GET /v3/auth/tokens answer as the --auth keystone validator reads it
 * (ls_os_identity_read, importers/openstack/validate.c), after the importer's JSON parser.
 * Checks: an accepted token has a future expiry, every name is NUL-terminated inside its
 * field, and the role count is within LS_OS_MAX_ROLES; a refusal says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/json_parse.h"
#include "common/time.h"
#include "importers/openstack/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "ls_os_identity_read: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_json_parse_error pe;
    json_t *doc = ls_json_parse((const char *)data, size, &pe);
    if (doc == NULL)
        return 0;
    struct ls_os_identity id;
    memset(&id, 0, sizeof(id));
    struct ls_err err = {0};
    if (ls_os_identity_read(&id, doc, &err) == LS_OK) {
        if (id.expires_us <= ls_time_now_us())
            fail("accepted an expired token");
        if (memchr(id.user, 0, sizeof(id.user)) == NULL ||
            memchr(id.user_id, 0, sizeof(id.user_id)) == NULL ||
            memchr(id.project, 0, sizeof(id.project)) == NULL)
            fail("a name is not terminated inside its field");
        if (id.n_roles > LS_OS_MAX_ROLES)
            fail("more roles than LS_OS_MAX_ROLES");
        for (int i = 0; i < id.n_roles; i++)
            if (memchr(id.roles[i], 0, sizeof(id.roles[i])) == NULL)
                fail("a role name is not terminated");
    } else if (err.code == NULL || err.msg[0] == '\0') {
        fail("refused without a code and message");
    }
    json_decref(doc);
    return 0;
}
