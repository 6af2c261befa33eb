/* ossim internals shared by its files: the generated cloud (cloud.c), the JSON output buffer
 * (jbuf.c), the HTTP front (http.c) and the per-service renderers. Not a public header:
 * only tests/tools/ossim/ includes it.
 * Locking: the cloud is guarded by ossim.lock; renderers run under the read lock, changes
 * (cloud.c) under the write lock. Counters, the token epoch and faults have their own guards. */
#ifndef LS_TESTS_TOOLS_OSSIM_INT_H
#define LS_TESTS_TOOLS_OSSIM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/tools/ossim/ossim.h"

/* ---- JSON output buffer: grows; allocation failure aborts ---- */
struct jb {
    char *p;
    size_t n, cap;
};
void jb_init(struct jb *b, size_t cap);
void jb_free(struct jb *b);
void jb_reserve(struct jb *b, size_t extra);
void jb_mem(struct jb *b, const char *s, size_t n);
void jb_raw(struct jb *b, const char *s);
void jb_printf(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends s as a quoted, escaped JSON string; NULL appends null. */
void jb_str(struct jb *b, const char *s);
/** Appends ',' unless the buffer ends with '[', '{' or is empty (list/object separators). */
void jb_sep(struct jb *b);
/** Time styles for jb_time. */
enum { T_Z, T_USEC_Z, T_USEC, T_SPACE };
/** Appends t (unix seconds) quoted: T_Z "…:SSZ", T_USEC_Z "…:SS.000000Z", T_USEC
 *  "…:SS.000000"; t < 0 appends null. */
void jb_time(struct jb *b, int64_t t, int style);
void fmt_time(int64_t t, int style, char *out, size_t cap);
/** Parses ISO 8601 ("2026-11-22T11:58:43Z", fractions, "+hh:mm", no zone = UTC). */
bool parse_time(const char *s, int64_t *out);
int64_t now_s(void);

/* ---- ids: UUIDs derived from (kind, index) ---- */
enum kind {
    K_PROJECT = 1,
    K_USER,
    K_HV,
    K_SERVER,
    K_PORT,
    K_NET,
    K_SUBNET,
    K_ROUTER,
    K_FIP,
    K_VOL,
    K_ATT,
    K_AGG,
    K_STACK,
    K_FLAVOR,
    K_IMAGE,
    K_APPCRED,
    K_SERVICE,
    K_ENDPOINT,
    K_ROLE,
    K_RESOURCE,
};
struct uuid {
    uint8_t b[16];
};
void make_uuid(int kind, int idx, struct uuid *out);
void uuid_fmt(const struct uuid *u, char out[37]);
/** Parses a UUID with or without dashes. */
bool parse_uuid(const char *s, struct uuid *u);
void id_str(int kind, int idx, char out[37]);
/** Appends the quoted UUID of (kind, idx). */
void jb_id(struct jb *b, int kind, int idx);
uint64_t mix64(uint64_t x);

/* ---- the cloud ---- */
enum { ST_ACTIVE, ST_SHUTOFF, ST_DELETED };
enum { OWN_NONE, OWN_COMPUTE, OWN_ROUTER_IF, OWN_ROUTER_GW };
#define NFLAVORS 4
struct flavor {
    const char *name;
    int vcpus, ram, disk;
};
extern const struct flavor ossim_flavors[NFLAVORS];

struct sim_hv {
    int vcpus, vcpu_reserved, mem_mb, disk_gb; /* inventory totals */
    int used_vcpus, used_mem, used_disk, vms;  /* sums over its non-deleted servers */
    int generation;                            /* placement generation, bumped per change */
};
struct sim_server {
    int hv, project, flavor, status;
    int port_first, nports; /* its ports are pt[port_first .. +nports) */
    int vol;                /* attached volume index or -1 */
    int64_t created, updated, deleted_at;
};
struct sim_port {
    int server; /* server index, or -1 (unbound / router ports) */
    int net, owner, deleted, revision;
    uint32_t ip;
    int64_t created, updated;
};
struct sim_vol {
    int server; /* attached server or -1 */
    int project, size;
    int64_t created, updated, attached_at;
};
struct sim_net {
    uint32_t base; /* network address */
    int prefix;    /* CIDR prefix length */
    uint32_t next; /* next host offset to hand out */
};

/* A sort order over one entity array: indices sorted by cmp; markers found by binary search. */
struct cloud;
struct coll {
    int *v;
    int n, cap;
    int (*cmp)(const struct cloud *c, int a, int b);
};

struct idmap_slot {
    uint64_t key; /* first 8 bytes of the UUID */
    uint32_t val; /* (kind << 26 | idx) + 1; 0 = empty */
};

struct cloud {
    struct ossim_opts o;
    int64_t t0;                        /* generation epoch: created times count from here */
    int nhv, nnet, nvol, nfip, nstack; /* nnet includes the external network (index nnet-1) */
    int nsv, capsv, npt, cappt;
    int live_servers;
    struct sim_hv *hv;
    struct sim_server *sv;
    struct sim_port *pt;
    struct sim_vol *vol;
    struct sim_net *net;
    struct coll sv_order, pt_order, vol_order, net_order, fip_order, sub_order;
    char (*hv_names)[64];    /* hostnames */
    uint64_t stacks_deleted; /* bit j: stack j deleted (the first 64 stacks can be) */
    struct idmap_slot *map;
    size_t map_cap, map_n;
};

int cloud_init(struct cloud *c, const struct ossim_opts *o);
/** Hypervisor i's hostname (also its compute service host). */
const char *cloud_hv_name(const struct cloud *c, int i);
void cloud_cleanup(struct cloud *c);
/** Index of the entity of kind with UUID string id, or -1. */
int cloud_lookup(const struct cloud *c, int kind, const char *id);
/** Position of entity idx in the order (binary search), or -1. */
int coll_pos(const struct cloud *c, const struct coll *o, int idx);
int server_az_agg(const struct cloud *c, int sv); /* aggregate index whose AZ applies or -1 */
void az_name(const struct cloud *c, int agg, char *out, size_t cap);
bool agg_zoned(int k);
/** Writes the dotted quad of ip. */
void ip_fmt(uint32_t ip, char *out, size_t cap);
void mac_fmt(int port, char *out, size_t cap);
void hv_ip(int i, char *out, size_t cap);
/** Fixed IP of the first live port of server sv (empty if none) and its network. */
int server_first_port(const struct cloud *c, int sv);
int fip_server(int f); /* server index that floating IP f belongs to */

/* Changes; the caller holds the write lock. */
void cloud_migrate(struct cloud *c, int sv, int hv, int64_t now);
void cloud_set_status(struct cloud *c, int sv, int status, int64_t now);
void cloud_delete(struct cloud *c, int sv, int64_t now);
int cloud_add_server(struct cloud *c, int hv, int64_t now);
int cloud_churn(struct cloud *c, double fraction, int64_t now);

/* ---- the server ---- */
#define MAX_FAULTS 16
struct fault_slot {
    bool used;
    struct ossim_fault f;
    char path[256];
};

struct ossim {
    struct cloud c;
    pthread_rwlock_t lock;
    struct MHD_Daemon *d;
    unsigned port;
    char base[48];     /* "http://127.0.0.1:<port>" */
    char auth_url[80]; /* base + "/identity/v3" */
    char password[128], user[64], region[64];
    int compute_max; /* major*1000+minor */
    uint64_t token_key;
    atomic_uint_fast64_t nonce;
    atomic_uint epoch;
    atomic_uint_fast64_t requests, token_requests;
    pthread_mutex_t fault_lock;
    struct fault_slot faults[MAX_FAULTS];
    pthread_mutex_t revoked_lock; /* DELETE /v3/auth/tokens: nonces of revoked tokens */
    uint64_t revoked[64];
    unsigned n_revoked;                   /* a ring: the oldest revocation is forgotten past 64 */
    atomic_bool stopping;                 /* ossim_stop: injected delays end early */
    atomic_uint delaying;                 /* requests held by a delay fault now */
    atomic_uint in_flight, max_in_flight; /* requests being answered now; the most at once */
    atomic_uint_fast64_t mount_requests[OSSIM_MOUNTS];
    char extra_type[32], extra_url[256]; /* ossim_catalog_add ("": none); under lock */
};

/* One request, as the renderers see it. */
struct req {
    struct ossim *s;
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* without the query */
    char *seg[12];    /* path segments after the service prefix */
    int nseg;
    const char *body; /* POST body (NUL-terminated) */
    size_t body_len;
    int mv;        /* negotiated microversion (major*1000+minor) */
    int project;   /* token's project index, -1 = system scope */
    int status;    /* HTTP status */
    struct jb out; /* response body */
    char hname[3][48], hval[3][160];
    int nh;
};

const char *req_arg(const struct req *r, const char *name);
void req_header(struct req *r, const char *name, const char *value);
/** Sets an error answer: status and {"error":{"code","title","message"}}. */
void req_error(struct req *r, int status, const char *message);
/** Where a page starts after `marker` (an entity id of kind) in order (NULL: the index
 *  itself); answers 400 with "<what><marker><tail>" and returns -1 when it is unknown. */
int req_marker_pos(struct req *r,
                   int kind,
                   const struct coll *order,
                   const char *marker,
                   const char *what,
                   const char *tail);
/** Parses the paging args: limit (capped at page_max; 400 on garbage) and marker.
 *  Returns false after setting an error answer. */
bool req_paging(struct req *r, int *limit, const char **marker);
/** Appends the "<key>_links" member (with the leading comma) for a next page starting
 *  after next_marker, rebuilding the request's query with marker replaced. */
void req_next_link(struct req *r, const char *key, const char *next_marker);
/** true when the argument name is 1/true/True (all_tenants and alike). */
bool req_flag(const struct req *r, const char *name);

/* Renderers: each answers one service's path (r->seg relative to the service root). */
void nova_handle(struct req *r);
void placement_handle(struct req *r);
void neutron_handle(struct req *r);
void cinder_handle(struct req *r);
void heat_handle(struct req *r);

/* Per-service microversion ranges. */
#define PLACEMENT_MAX 1039
#define VOLUME_MAX    3070

#endif
