/* OpenStack answers -> one change set. Pure translation: reads an inventory (collect.h) and,
 * for edges to things it did not read this pass, a snapshot of the graph; never does I/O.
 *
 * Node ids: "<service>:<type>:<native id>" (nova:instance:<uuid>, nova:hypervisor:<hostname>,
 * neutron:port:<uuid>, cinder:volume:<uuid>, heat:stack:<uuid>, keystone:project:<id>, ...);
 * with several clouds configured the service carries the cloud: "nova@<cloud>:instance:<uuid>"
 * (and the native id is added to the node's aliases). Edges as in DESIGN.md; every node and
 * edge is owned by the origin "openstack:<cloud>".
 *
 * A full inventory gives a replace change set (what the origin owns and the pass did not see
 * is deleted). An incremental one gives puts for what changed, deletions for deleted servers
 * and vanished ports, and for every node it puts, the removal of that node's old out-edges
 * the pass no longer reports (a live migration moves runs_on). */
#ifndef LS_IMPORTERS_OPENSTACK_MAPPING_H
#define LS_IMPORTERS_OPENSTACK_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "importers/openstack/collect.h"
#include "model/change.h"
#include "model/graph.h"

struct ls_os_map_opts {
    const char *cloud; /* the cloud's name */
    bool tag_ids;      /* several clouds configured: ids carry the cloud name */
};

/** "openstack:<cloud>" into out. */
void ls_os_origin(const char *cloud, char *out, size_t cap);

/** The node id of (service, type, native id) under o, into out. */
void ls_os_node_id(const struct ls_os_map_opts *o,
                   const char *service,
                   const char *type,
                   const char *native,
                   char *out,
                   size_t cap);

/**
 * Adds inv's changes to cs (whose origin must be ls_os_origin(o->cloud)); sets replace for a
 * full inventory.
 * @param snap borrowed; the graph the set will be applied on
 * @param counts if not NULL, a JSON object that gets {type: nodes put} (caller owns it), and
 *        on an incremental pass "unknown_hypervisor": servers on a hypervisor the graph does
 *        not have yet (only a full pass reads hypervisors: the caller should run one)
 * @return LS_OK; LS_EINVAL when a put fails (an id too long, a broken answer).
 */
LS_MUST_CHECK int ls_os_map(const struct ls_os_inventory *inv,
                            const struct ls_os_map_opts *o,
                            const struct ls_snap *snap,
                            struct ls_change_set *cs,
                            json_t *counts,
                            struct ls_err *err);

/**
 * For an incremental pass (the ls_os_touched_fn of collect.h, arg = struct ls_os_touch):
 * adds the placement providers of the hypervisors changed servers left and joined, and the
 * ports the graph has attached to them.
 */
struct ls_os_touch {
    const struct ls_os_map_opts *o;
    const struct ls_snap *snap;
};
void ls_os_touched(const json_t *servers, json_t *providers, json_t *port_ids, void *arg);

#endif
