/* Placement's private structures, shared by placement_table.c (building), placement.c
 * (ranking), placement_request.c (parsing) and placement_moves.c. Not a public contract. */
#ifndef LS_ANALYTICS_PLACEMENT_IMPL_H
#define LS_ANALYTICS_PLACEMENT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "analytics/pace.h"
#include "analytics/placement.h"
#include "common/map.h"

#define LS_PLACE_TABLE_RCS 64 /* distinct resource classes a table indexes (more: slow path) */

/* One resource class of a host's inventory, as Placement reports it. */
struct place_inv {
    const char *rc; /* borrowed from the node's attrs */
    double total, reserved, ratio, used;
    double min_unit, max_unit, step; /* 0 = not reported */
    double capacity, free;           /* (total - reserved) x ratio, capacity - used */
};

struct place_numa {
    double cpus;      /* PUs of the cell's cores */
    double memory_mb; /* the cell's local memory */
};

struct place_host {
    const struct ls_node *hv; /* the hypervisor node (borrowed from the table's snapshot) */
    const char *name;         /* hypervisor_hostname (or the node's name) */
    const char *machine;      /* node id of the machine it runs on, or NULL */
    const char *rack;         /* node id of the rack holding the machine, or NULL */
    const char *zone;         /* availability zone name, or NULL */
    const char **aggs;        /* aggregate names, uuids and node ids (owned array) */
    size_t n_aggs;
    const char **traits; /* sorted (owned array of borrowed strings) */
    size_t n_traits;
    struct place_inv *inv; /* owned */
    size_t n_inv;
    const char *down;                 /* why the host takes nothing ("disabled", "down"), or NULL */
    int8_t by_rc[LS_PLACE_TABLE_RCS]; /* table rc id -> index in inv, or -1 */
    /* NUMA cells, read on first use (numa_done under the table's lock) */
    struct place_numa numa[LS_PLACE_HOST_NUMA];
    int n_numa;
};

/* A host's live values, read once per ranking (or per max_age_ms, shared). */
struct place_lv {
    double load; /* 0..1, < 0 unknown */
    int colour;
    const char *metric, *node; /* where the load was read (static / borrowed) */
};
struct place_livevals {
    _Atomic int refs;
    long long at_ns; /* when read (monotonic) */
    struct place_lv v[];
};

struct ls_place_table {
    _Atomic int refs;
    struct ls_snap *snap; /* held: every borrowed string lives in it */
    uint64_t revision;
    struct place_host *hosts;
    size_t n;
    struct ls_map by_name; /* hypervisor_hostname, service host and node id -> index + 1 */
    const char *rcs[LS_PLACE_TABLE_RCS]; /* the resource classes hosts have (borrowed) */
    size_t n_rcs;
    pthread_mutex_t lazy; /* guards the lazy parts below */
    bool numa_done;
    bool flavors_done;
    struct ls_map flavors;     /* flavor name -> json_t* (borrowed from an instance's attrs) */
    struct place_livevals *lv; /* the shared live values (max_age_ms > 0), under lazy */
};

/** Index of host name or node id in t, or -1. */
long place_host_index(const struct ls_place_table *t, const char *name);
/** Reads every host's NUMA cells once (thread-safe). */
void place_numa_load(struct ls_place_table *t);
/** Indexes the flavors of t's servers once (thread-safe); the flavor named name or NULL
 *  (borrowed from the snapshot). */
json_t *place_flavor(struct ls_place_table *t, const char *name);
/** The table's id of resource class rc: >= 0; -1 when no host has it; -2 when the table
 *  indexes too many classes (use place_inv_of). */
int place_rc_id(const struct ls_place_table *t, const char *rc);
/** The inventory entry of class rc on h, or NULL. */
const struct place_inv *place_inv_of(const struct place_host *h, const char *rc);
/** Host index of the hypervisor server `id` (uuid or node id) runs on at t's snapshot, or
 *  -1 (unknown server: *known false; a server on no known host: *known true). */
long place_server_host(const struct ls_place_table *t, const char *id, bool *known);

/** The servers (instance nodes) running on host, at most cap, borrowed from t's snapshot. */
size_t place_servers_on(const struct ls_place_table *t,
                        size_t host,
                        const struct ls_node **out,
                        size_t cap);
/** One step of p's pacing controller under its lock: moves allowed; *after = its state. */
int place_pace_step(struct ls_placement *p, double measured, struct ls_pace *after);
/** A host's load 0..1 (-1 unknown; *metric and *node say where it was read) and colour
 *  (worst of the hypervisor's and its machine's; 0 grey .. 3 red). */
double place_host_load(const struct place_host *h,
                       const struct ls_place_live *live,
                       const char **metric,
                       const char **node);
int place_host_colour(const struct place_host *h, const struct ls_place_live *live);
/** Every host's live values for one ranking (new reference; release with place_lv_release). */
struct place_livevals *place_lv_get(struct ls_place_table *t, const struct ls_place_live *live);
void place_lv_release(struct place_livevals *lv);
/** "same_host", ... or "none". Static. */
const char *place_affinity_name(enum ls_place_affinity a);

#endif
