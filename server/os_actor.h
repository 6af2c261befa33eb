/* The OpenStack cloud landscaped acts on (not only reads): Watcher's webhook
 * (server/watcher_trigger.h) and Placement's traits (server/placement_traits.h) use the
 * credentials of --auth-cloud, or else the first --os-cloud, from clouds.yaml. */
#ifndef LS_SERVER_OS_ACTOR_H
#define LS_SERVER_OS_ACTOR_H

#include "common/config.h"
#include "common/err.h"
#include "importers/openstack/cloud.h"
#include "importers/openstack/session.h"

/**
 * Loads that cloud and opens a session on it (no network yet): *cloud and *session are set on
 * LS_OK (free the session, then the cloud), both NULL otherwise. `option` names the flag that
 * needs it in the error when no cloud is configured (LS_EINVAL "invalid_config"); a cloud that
 * clouds.yaml lacks is LS_ENOTFOUND / LS_EINVAL as ls_os_cloud_load says.
 */
LS_MUST_CHECK int ls_os_actor_open(const struct ls_config *cfg,
                                   const char *option,
                                   struct ls_os_cloud **cloud,
                                   struct ls_os_session **session,
                                   struct ls_err *err);

/** The name of the cloud ls_os_actor_open uses, or NULL. */
const char *ls_os_actor_cloud_name(const struct ls_config *cfg);

#endif
