/* Credentials and endpoint choices of one OpenStack cloud, found the way every OpenStack client
 * finds them: a named cloud in clouds.yaml (OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 * $XDG_CONFIG_HOME/openstack, ~/.config/openstack, /etc/xdg/openstack, /etc/openstack; secrets
 * may live in a secure.yaml in the same places), the cloud named by OS_CLOUD, or the OS_* variables
 * ("envvars"). Secrets are never logged: ls_os_cloud_describe prints everything but them. */
#ifndef LS_IMPORTERS_OPENSTACK_CLOUD_H
#define LS_IMPORTERS_OPENSTACK_CLOUD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

enum ls_os_auth_type {
    LS_OS_AUTH_PASSWORD,       /* "password" / "v3password" */
    LS_OS_AUTH_APP_CREDENTIAL, /* "v3applicationcredential" */
};

/** One cloud. Every string is owned (NULL when unset). */
struct ls_os_cloud {
    char *name; /* the clouds.yaml key, or "envvars" */
    enum ls_os_auth_type auth_type;
    char *auth_url;
    char *username, *user_id, *user_domain_name, *user_domain_id, *password;
    char *project_name, *project_id, *project_domain_name, *project_domain_id;
    bool system_scope; /* system_scope: all */
    char *app_cred_id, *app_cred_name, *app_cred_secret;
    char *region_name;
    char *interface; /* public (default), internal, admin */
    char *cacert;    /* CA bundle path */
    char *cert, *key;
    bool verify;               /* false: `insecure` / verify: false */
    json_t *endpoint_override; /* service type -> URL ("<type>_endpoint_override") */
};

/**
 * Loads cloud `name` (NULL or "": OS_CLOUD, and failing that the OS_* variables) from the
 * usual files and the environment.
 * @param[out] out caller frees with ls_os_cloud_free
 * @return LS_OK; LS_ENOTFOUND (no clouds.yaml has it; the message lists where it looked);
 *         LS_EINVAL (a required field is missing, or the YAML is broken).
 */
LS_MUST_CHECK int ls_os_cloud_load(struct ls_os_cloud **out, const char *name, struct ls_err *err);

/**
 * The same from given text (tests): `clouds_yaml` and `secure_yaml` (either may be NULL).
 * The OS_* variables are read only for the name "envvars".
 */
LS_MUST_CHECK int ls_os_cloud_parse(struct ls_os_cloud **out,
                                    const char *name,
                                    const char *clouds_yaml,
                                    const char *secure_yaml,
                                    const char *origin,
                                    struct ls_err *err);

void ls_os_cloud_free(struct ls_os_cloud *c);

/** One line for logs: name, auth_url, auth type, user, scope, region, interface — no
 *  secrets. Writes into buf; returns buf. */
const char *ls_os_cloud_describe(const struct ls_os_cloud *c, char *buf, size_t cap);

#endif
