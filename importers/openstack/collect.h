/* Reading a cloud: service discovery (catalog endpoints, version documents, the
 * microversions we pin) and the collections of one pass, fetched with bounded concurrency and
 * every `*_links` next page followed. A pass either returns everything it was asked for or
 * fails as a whole (nothing partial reaches the mapping). */
#ifndef LS_IMPORTERS_OPENSTACK_COLLECT_H
#define LS_IMPORTERS_OPENSTACK_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "importers/openstack/session.h"

/** What discovery found: base URLs ("" = service absent) and pinned microversions. */
struct ls_os_api {
    char identity[512], compute[512], placement[512], network[512], volume[512], heat[512];
    char compute_mv[16], placement_mv[16], volume_mv[16]; /* "" = none sent */
    bool hypervisor_uuids;                                /* compute >= 2.53: UUID ids, paging */
    bool embedded_flavor;                                 /* compute >= 2.47 */
    bool volume_updated_since; /* volume >= 3.60: updated_at=gte: filter */
    bool provider_traits;      /* placement >= 1.6 */
};

/** Finds the endpoints and negotiates microversions (and sets them on the session). */
LS_MUST_CHECK int
ls_os_discover(struct ls_os_session *s, struct ls_os_api *api, struct ls_err *err);

/** The long lists of a cloud, which a full pass can hand to a sink page by page. */
enum ls_os_long_list { LS_OS_SERVERS, LS_OS_PORTS, LS_OS_VOLUMES, LS_OS_LONG_LISTS };

/**
 * A consumer of the long lists' pages during a full pass: each page's items go to `page` as
 * the page is read, on that list's own thread (the lists run at once; a list's pages come in
 * order, seq counting from 0), and are not kept in the inventory (inv->sunk counts them).
 * `hypervisors` is called once, with the pass's hypervisor list, before any page. A page's
 * failure fails the pass. Both get `arg`; the items are borrowed for the call.
 */
struct ls_os_page_sink {
    void (*hypervisors)(void *arg, const json_t *hypervisors);
    int (*page)(
        void *arg, enum ls_os_long_list list, size_t seq, const json_t *items, struct ls_err *err);
    void *arg;
};

/** Services the token's catalog has no endpoint for (for its interface and region), so a
 *  pass reads nothing from them: a cloud without the service, or a catalog that leaves it out
 *  (a system-scoped token's catalog omits endpoints whose URL names a project). */
enum ls_os_unread {
    LS_OS_UNREAD_IDENTITY = 1 << 0,  /* projects */
    LS_OS_UNREAD_NETWORK = 1 << 1,   /* Neutron */
    LS_OS_UNREAD_VOLUME = 1 << 2,    /* Cinder */
    LS_OS_UNREAD_HEAT = 1 << 3,      /* stacks */
    LS_OS_UNREAD_PLACEMENT = 1 << 4, /* capacity, usages, traits */
};

/** The collections of one pass; every member a JSON array (empty when the service is
 *  absent). Placement data is merged into each provider object ("inventories", "usages",
 *  "traits", "aggregates"); Heat resources into each stack ("resources"). */
struct ls_os_inventory {
    bool full;          /* everything listed: absence means deleted (except what `unread`
                           names: that was not read at all) */
    unsigned unread;    /* enum ls_os_unread bits */
    int64_t started_us; /* wall clock when the pass began reading */
    json_t *projects, *hypervisors, *servers, *flavors, *aggregates, *zones, *providers;
    json_t *networks, *subnets, *ports, *routers, *floatingips, *volumes, *stacks;
    /* incremental passes only */
    json_t *deleted_servers;       /* ids */
    json_t *missing_ports;         /* ids asked for by id and not found (deleted) */
    json_t *missing_stacks;        /* stacks named by events and no longer listed (deleted) */
    size_t sunk[LS_OS_LONG_LISTS]; /* items handed to a page sink instead (full pass) */
    uint64_t requests;             /* HTTP requests of the pass */
    char warning[512];             /* a partial view the operator should know of ("" = none) */
};

void ls_os_inventory_init(struct ls_os_inventory *inv);
void ls_os_inventory_cleanup(struct ls_os_inventory *inv);

struct ls_os_collect_opts {
    int concurrency; /* requests in flight */
    int page_size;   /* `limit` for paginated lists */
};

/** Reads everything (a full pass); sink (may be NULL: all kept) takes the long lists. */
LS_MUST_CHECK int ls_os_collect_full(struct ls_os_session *s,
                                     const struct ls_os_api *api,
                                     const struct ls_os_collect_opts *o,
                                     const struct ls_os_page_sink *sink,
                                     struct ls_os_inventory *inv,
                                     struct ls_err *err);

/**
 * Reads what changed since `since_us` (an incremental pass): servers by changes-since
 * (deleted ones into deleted_servers), their ports (by device_id) plus the ports in
 * `port_ids` (JSON array of ids the graph had attached to those servers; those not found
 * land in missing_ports), volumes by updated_at (when the API allows), and the placement
 * usages of the resource providers the caller names. Once the servers are read, `touched`
 * (may be NULL) is called to fill `providers` (append objects with a "uuid" member; other
 * members are kept, "usages" is added) and `port_ids` (append ids) from what the caller knows
 * (the graph: the old host of a migrated server, the ports it had).
 */
typedef void (*ls_os_touched_fn)(const json_t *servers,
                                 json_t *providers,
                                 json_t *port_ids,
                                 void *arg);
/* stack_ids (may be NULL): stacks an event named; the stack list and those stacks' resources
 * are read, and the ones no longer listed land in missing_stacks. */
LS_MUST_CHECK int ls_os_collect_incremental(struct ls_os_session *s,
                                            const struct ls_os_api *api,
                                            const struct ls_os_collect_opts *o,
                                            int64_t since_us,
                                            const json_t *stack_ids,
                                            ls_os_touched_fn touched,
                                            void *touched_arg,
                                            struct ls_os_inventory *inv,
                                            struct ls_err *err);

#endif
