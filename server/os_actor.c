/* See os_actor.h. */
#include "server/os_actor.h"

#include <stddef.h>

const char *ls_os_actor_cloud_name(const struct ls_config *cfg)
{
    return cfg->auth_cloud[0] ? cfg->auth_cloud : cfg->os_cloud.n ? cfg->os_cloud.v[0] : NULL;
}

int ls_os_actor_open(const struct ls_config *cfg,
                     const char *option,
                     struct ls_os_cloud **cloud,
                     struct ls_os_session **session,
                     struct ls_err *err)
{
    *cloud = NULL;
    *session = NULL;
    const char *name = ls_os_actor_cloud_name(cfg);
    if (!name)
        return ls_err_set(err, LS_EINVAL, "invalid_config",
                          "%s needs an --os-cloud (or --auth-cloud): the cloud whose Keystone "
                          "token it acts with",
                          option);
    struct ls_os_session_opts so = {.timeout_s = 10, .retries = 2, .retry_base_s = 0.5};
    int rc = ls_os_cloud_load(cloud, name, err);
    if (rc == LS_OK)
        rc = ls_os_session_new(session, *cloud, &so, err);
    if (rc != LS_OK) {
        ls_os_cloud_free(*cloud);
        *cloud = NULL;
    }
    return rc;
}
