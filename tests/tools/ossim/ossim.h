/* ossim: a scale simulator of the OpenStack API subset that importers/openstack reads.
 * An HTTP server (libmicrohttpd) on 127.0.0.1 serving a generated cloud of any size:
 * Keystone v3 tokens and catalog, version documents with microversions, Nova hypervisors /
 * servers (changes-since, deleted servers) / aggregates / availability zones, Placement
 * resource providers with inventories, usages, traits and aggregates, Neutron networks,
 * subnets, ports, routers and floating IPs, Cinder volumes, Heat stacks and resources —
 * all paginated with `*_links` next links, in the JSON shapes the real services answer.
 * It can change the cloud (migrate, stop, delete, churn a fraction) and inject faults (5xx,
 * 401 / expired tokens, slow answers, truncated JSON).
 *
 * Used in-process by tests and benchmarks (ossim_start), and as the program `ossim` for
 * the demo and by hand (control endpoints under /_sim/, see README.md).
 * Thread-safety: every function may be called from any thread while the server runs. */
#ifndef LS_TESTS_TOOLS_OSSIM_H
#define LS_TESTS_TOOLS_OSSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ossim;

struct ossim_opts {
    int hypervisors;      /* default 3 */
    int servers;          /* default 4; spread round-robin over hypervisors */
    int ports_per_server; /* default 1; each server's ports are on network (i % networks) */
    int extra_ports;      /* unbound ports (device_id ""), default 0 */
    int volumes;          /* default 2; volume i attached to server i while i < servers/2 */
    int networks;         /* default 1; one subnet each */
    int projects;         /* default 1 (the admin project is always project 0) */
    int aggregates;       /* default 1; hypervisor i member of aggregate (i % aggregates) */
    int stacks;           /* default 1; stack j owns server j, its first port and volume j */
    int page_max;         /* largest page any list returns (default 1000; also `limit` cap) */
    int token_ttl_s;      /* token lifetime (default 3600) */
    unsigned port;        /* TCP port on 127.0.0.1, 0 = ephemeral */
    const char *user;     /* default "admin" */
    const char *password; /* default "secret" */
    const char *region;   /* default "RegionOne" */
    const char *compute_max_version; /* default "2.96"; "2.1" simulates an old cloud */
    int threads; /* HTTP threads (default 4); a delay fault holds one for its length */
    const char *tls_cert_pem, *tls_key_pem; /* both set: HTTPS (PEM text, kept by the caller
                                               while the simulator runs) */
    const char *const *hypervisor_names;    /* NULL: "sim-hv-<i>"; else `hypervisors` names (e.g.
                                               the demo's machines), copied */
};

/** Fills o with the defaults above. */
void ossim_opts_default(struct ossim_opts *o);

/** Generates the cloud and starts serving. Returns NULL on failure (message in errbuf). */
struct ossim *ossim_start(const struct ossim_opts *o, char *errbuf, size_t errcap);
void ossim_stop(struct ossim *s);

unsigned ossim_port(const struct ossim *s);
/** "http://127.0.0.1:<port>/identity/v3" — the auth_url for clouds.yaml. */
const char *ossim_auth_url(const struct ossim *s);

/* ---- the generated cloud's names (deterministic: same opts, same ids) ---- */
/** Writes server i's UUID into out (37 bytes). */
void ossim_server_id(const struct ossim *s, int i, char out[37]);
/** Hypervisor i's hostname: "sim-hv-<i>" (the same string as its service host). */
void ossim_hypervisor_name(int i, char *out, size_t cap);

/** Adds a service ossim does not serve to the catalog of the tokens issued from then on: type
 *  (also its name) with one public endpoint at url in the cloud's region — e.g. Landscape
 *  itself, for a client that finds it through Keystone. One such service; a second call
 *  replaces it, type NULL removes it. */
void ossim_catalog_add(struct ossim *s, const char *type, const char *url);

/* ---- changes (each bumps the entity's `updated` time to now) ---- */
/** Moves server i to hypervisor hv (host, hypervisor_hostname, port binding, volume
 *  attachment host_name all follow). */
void ossim_migrate(struct ossim *s, int server, int hv);
/** Sets a server's status: "ACTIVE" or "SHUTOFF" (vm_state active / stopped). */
void ossim_set_status(struct ossim *s, int server, const char *status);
/** Deletes server i: gone from lists, reported by changes-since with status "DELETED";
 *  its ports are deleted, its volumes detached. */
void ossim_delete_server(struct ossim *s, int server);
/** Deletes Heat stack j (gone from the list; its resources answer 404). */
void ossim_delete_stack(struct ossim *s, int stack);
/** Writes stack j's UUID into out (37 bytes). */
void ossim_stack_id(const struct ossim *s, int j, char out[37]);
/** Adds a new server on hypervisor hv with one port; returns its index. */
int ossim_add_server(struct ossim *s, int hv);
/** Changes `fraction` of the live servers (every k-th: status flip or migration to the next
 *  hypervisor, alternately); returns how many changed. */
int ossim_churn(struct ossim *s, double fraction);

/* ---- faults ---- */
enum ossim_fault_kind {
    OSSIM_FAULT_STATUS,   /* answer `status` (500, 503, 401, ...) with a JSON error body */
    OSSIM_FAULT_EXPIRE,   /* invalidate every token issued so far (next use answers 401) */
    OSSIM_FAULT_TRUNCATE, /* send only the first half of the JSON body (Content-Length true to
                             what is sent), status 200 */
    OSSIM_FAULT_DELAY,    /* sleep delay_ms before answering normally */
    OSSIM_FAULT_DECOY,    /* add a member "decoy" at the end of the answer holding
                             "servers_links", "ports_links" and "volumes_links" arrays whose
                             next link is the same path with marker=decoy (a client must use
                             the real, top-level link) */
};
struct ossim_fault {
    enum ossim_fault_kind kind;
    const char *path_contains; /* applies to requests whose path contains this; NULL = all
                                  (the token endpoint is never faulted unless it is named) */
    int status;                /* OSSIM_FAULT_STATUS */
    int delay_ms;              /* OSSIM_FAULT_DELAY */
    int count;                 /* how many matching requests get it; -1 = until cleared;
                                  OSSIM_FAULT_EXPIRE acts once, at once */
    int skip;                  /* let this many matching requests through first */
};
void ossim_fault(struct ossim *s, const struct ossim_fault *f);
void ossim_clear_faults(struct ossim *s);

/* ---- counters ---- */
uint64_t ossim_requests(const struct ossim *s);       /* every request answered */
uint64_t ossim_token_requests(const struct ossim *s); /* POST /identity/v3/auth/tokens */
unsigned ossim_delaying(const struct ossim *s);       /* requests held by a delay fault now */
/* Where the catalog points besides the public endpoints (path prefixes on the same port):
 * each interface of the cloud's region, a mount for tests' *_endpoint_override, and another
 * region, whose endpoints answer 404 (a client that picks them fails). */
enum ossim_mount {
    OSSIM_MOUNT_INTERNAL,
    OSSIM_MOUNT_ADMIN,
    OSSIM_MOUNT_OVERRIDE,
    OSSIM_MOUNT_OTHER_REGION,
    OSSIM_MOUNTS
};
extern const char *const ossim_mounts[OSSIM_MOUNTS]; /* "/internal", ... */
uint64_t ossim_mount_requests(const struct ossim *s, enum ossim_mount m);
/* The most requests answered at once since the last call (and resets it). */
unsigned ossim_max_in_flight(struct ossim *s);

#endif
