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
 * The long lists of a full pass (servers, ports, volumes) mapped page by page as they are read
 * (the page sink of ls_os_collect_full), so a page's answer is freed once mapped instead of
 * the whole pass's answers being held until the end. Pages are mapped on the lists' threads
 * (the sink is thread-safe); ls_os_map_paged then merges them, in list order, into the pass's
 * set exactly as ls_os_map would have mapped the same items. For clouds whose servers carry
 * their flavor (compute >= 2.47): the flavor list is not consulted.
 * o is borrowed and must outlive the pager.
 */
struct ls_os_pager;
struct ls_os_pager *ls_os_pager_new(const struct ls_os_map_opts *o);
void ls_os_pager_free(struct ls_os_pager *pg);
/** The sink to give ls_os_collect_full (arg = pg). */
void ls_os_pager_sink(struct ls_os_pager *pg, struct ls_os_page_sink *out);

/**
 * ls_os_map for a full inventory whose long lists went to pager (NULL: ls_os_map). The
 * pager's mapped pages are moved into cs; free the pager after.
 */
LS_MUST_CHECK int ls_os_map_paged(const struct ls_os_inventory *inv,
                                  struct ls_os_pager *pager,
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
