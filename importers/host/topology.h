/* One host's physical topology as a change set: hwloc XML (from the agent or `hwloc-ls --of
 * xml`), optional per-interface facts from sysfs and optional LLDP neighbours become machine,
 * socket, numa_node, core, nic, accelerator and disk nodes with `contains` edges, plus switch
 * and switch_port nodes with `connected_to` edges. Pure: no I/O, no store; thread-safe (each
 * call loads its own hwloc topology). hwloc 2.9 crashes on some malformed XML, so by default
 * the build runs first in a forked child (a trial) and only what the child survived is built
 * in this process. The only file besides agent.c that includes hwloc.h. */
#ifndef LS_IMPORTERS_HOST_TOPOLOGY_H
#define LS_IMPORTERS_HOST_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "model/change.h"

/** Longest host name accepted (DNS limit). */
#define LS_HOST_NAME_MAX 253
/** Default bound on nodes one host may contribute (a 2-socket server makes ~100). */
#define LS_HOST_MAX_NODES 4096
/** Largest hwloc XML accepted (a 4-socket host with caches, PUs and I/O is ~300 KB). */
#define LS_HOST_MAX_XML (8u * 1024u * 1024u)
/** Most hwloc objects a topology may hold, PUs, caches and I/O included (a 32-socket,
 *  1792-PU machine has ~6000); bounds the work of a build whatever the node options. */
#define LS_HOST_MAX_OBJECTS 16384
/** Highest CPU or NUMA index a cpuset / nodeset may name (bounds every bitmap operation). */
#define LS_HOST_MAX_CPU_INDEX 16383
/** Longest a trial build (ls_host_topo_opts.trial) may take before it is killed and the XML
 *  refused (the largest accepted topology builds in ~1 s under ASan). */
#define LS_HOST_TRIAL_TIMEOUT_MS 10000
/** Largest byte figure accepted (memory, cache and disk sizes): 64 PiB. */
#define LS_HOST_MAX_BYTES (1ull << 56)
/** Most extra names for a machine, and the longest. */
#define LS_HOST_MAX_ALIASES 64

struct ls_host_topo_opts {
    bool caches;      /* emit one "cache" node per CPU cache instead of summarising the sizes
                         on cores and sockets (needs type "cache" in the registry) */
    bool pus;         /* emit one "pu" node per processing unit instead of counting them on
                         the core (needs type "pu" in the registry) */
    size_t max_nodes; /* bound on nodes per host; 0 = LS_HOST_MAX_NODES */
    bool trial;       /* build in a child process first (common/isolate.h) and refuse an XML
                         that crashes hwloc there or takes over LS_HOST_TRIAL_TIMEOUT_MS;
                         the same input (host, facts, options and XML, by SHA-256) is tried
                         once per process. Default true: only a caller that trusts its XML (a
                         benchmark of the build alone) turns it off */
};

/** What a host reports. Every pointer is borrowed for the duration of the call. */
struct ls_host_input {
    const char *hostname;  /* required; node ids use it as given ("host:machine:<hostname>") */
    const char *fqdn;      /* optional; becomes an alias */
    const char *xml;       /* hwloc XML text (hwloc 2.x format) */
    size_t xml_len;        /* bytes of xml, without any terminating NUL */
    const json_t *nics;    /* optional object keyed by interface name: {"speed_mbps": int,
                              "sriov_totalvfs": int, "sriov_numvfs": int, "operstate": str,
                              "driver": str, "mtu": int, "mac": str} (see agent.h) */
    const json_t *lldp;    /* optional array of neighbours in the form of lldp.h */
    const json_t *aliases; /* optional array of extra names for the machine */
};

/** Counts of what one build added (for responses and benchmarks). */
struct ls_host_topo_stats {
    size_t nodes;          /* node puts */
    size_t edges;          /* edge puts */
    size_t lldp_neighbors; /* neighbours turned into connected_to edges */
    size_t lldp_unmatched; /* neighbours whose interface is no NIC of the topology */
    bool tried;            /* a trial build ran in a child (not when the option is off or the
                              same input passed a trial before in this process) */
};

/**
 * Loads hwloc's plugins for the process (each build would otherwise load and unload them:
 * ~1.5 ms). Idempotent, thread-safe; builds call it. A program that starts the isolate helper
 * (common/isolate.h) calls it first, so that the helper's children find them loaded.
 */
void ls_host_topology_global_init(void);

/** Sets every option to its default (summarise caches and PUs; LS_HOST_MAX_NODES). */
void ls_host_topo_opts_init(struct ls_host_topo_opts *o);

/**
 * Checks a host name: 1..LS_HOST_NAME_MAX characters of [A-Za-z0-9._-], not starting with
 * '.' or '-'. @return LS_OK or LS_EINVAL (code "invalid_hostname").
 */
LS_MUST_CHECK int ls_host_name_check(const char *hostname, struct ls_err *err);

/**
 * New change set for one host's topology: origin "host:<hostname>", replace semantics and the
 * scope "host:", so that applying it replaces exactly the nodes and edges this host reported
 * before (those whose source / owner is "host:<hostname>") and nothing of any other host.
 * Caller frees with ls_change_set_free. hostname must pass ls_host_name_check.
 */
struct ls_change_set *ls_host_change_set_new(const char *hostname);

/**
 * Adds the host's nodes and edges to cs (normally from ls_host_change_set_new). Node ids:
 * host:machine:<h>, host:socket:<h>:<package os index>, host:numa_node:<h>:<os index>,
 * host:core:<h>:<logical index>, host:nic:<h>:<pci address> (the interface name when the NIC
 * has no PCI function of its own), host:accelerator:<h>:<pci>, host:disk:<h>:<name>,
 * lldp:switch:<chassis id>, lldp:switch_port:<chassis id>:<port id> (LLDP nodes have source
 * "lldp": shared between hosts, never swept by one host's re-post).
 * @param[out] stats counts of what was added; may be NULL
 * Values that make no sense are refused, never cast: a NUL byte in the XML, a string that
 * is not UTF-8, a byte figure over LS_HOST_MAX_BYTES, a link speed that is not a finite
 * positive number, a cpuset naming a CPU past LS_HOST_MAX_CPU_INDEX, a NIC fact of the wrong
 * type or out of range (integers 0..2^31-1, strings of at most 255 bytes).
 * @return LS_OK; LS_EINVAL (code "invalid_topology": XML hwloc rejects or that breaks a rule
 *         above, naming the object, or XML that crashed hwloc or ran out of time in the
 *         trial build; "invalid_lldp" / "invalid_nics" / "invalid_aliases"
 *         naming the item at fault); LS_ELIMIT (more than max_nodes nodes, more than
 *         LS_HOST_MAX_OBJECTS hwloc objects, more than LS_HOST_MAX_ALIASES aliases or
 *         LS_LLDP_MAX_NEIGHBORS neighbours, XML over LS_HOST_MAX_XML); LS_ERR (no child
 *         process could be started for the trial). On error cs may hold part of the
 *         topology: free it.
 */
LS_MUST_CHECK int ls_host_topology_build(struct ls_change_set *cs,
                                         const struct ls_host_input *in,
                                         const struct ls_host_topo_opts *o,
                                         struct ls_host_topo_stats *stats,
                                         struct ls_err *err);

#endif
