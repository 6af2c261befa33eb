/* The host agent: runs on each host, discovers its topology (hwloc), its NICs' facts (sysfs)
 * and its LLDP neighbours (lldpd), and PUTs them to /v1/hosts/{hostname}/topology of the
 * central service; again whenever what it would send changes, and every interval anyway.
 * Where lldpd is not running it says so (lldp_status) and carries on. The document it sends:
 *   {"hostname", "fqdn"?, "hwloc_xml", "nics": {<ifname>: {"speed_mbps", "operstate", "mtu",
 *    "mac", "driver", "sriov_totalvfs", "sriov_numvfs"}}, "lldp": [...] | absent,
 *    "lldp_status": "ok" | "unavailable: <why>", "agent_version"}
 * libcurl is used here only (the brief allows curl.h in importers/host/ for the agent).
 * Not thread-safe: one agent per process. */
#ifndef LS_IMPORTERS_HOST_AGENT_H
#define LS_IMPORTERS_HOST_AGENT_H

#include <signal.h>
#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

struct ls_agent_opts {
    const char *server;      /* base URL, e.g. "http://127.0.0.1:8080" (required to post) */
    const char *hostname;    /* NULL = gethostname() */
    const char *fqdn;        /* NULL = none sent */
    const char *xml_file;    /* NULL = discover with hwloc; else send this hwloc XML file */
    const char *sysfs_root;  /* NULL = "/sys" (tests point it at a fake tree) */
    const char *lldp_socket; /* NULL = lldpd's default socket */
    bool no_lldp;            /* do not ask lldpd at all */
    int interval_s;          /* re-post at least this often; default 300 */
    int check_s;             /* look for changes this often; default 30 */
    long timeout_s;          /* HTTP timeout; default 30 */
    const char *token;       /* NULL = none; else sent as `Authorization: Bearer` (--auth) */
    const char *cacert;      /* NULL = the system's CAs; else the server's CA bundle (HTTPS) */
};

/** Defaults for every field. */
void ls_agent_opts_init(struct ls_agent_opts *o);

/**
 * Reads /sys/class/net/<if>/ under sysfs_root for every interface but "lo".
 * @param[out] out new reference: the "nics" object of the document
 * @return LS_OK; LS_ENOTFOUND when the directory cannot be read.
 */
LS_MUST_CHECK int ls_agent_read_nics(json_t **out, const char *sysfs_root, struct ls_err *err);

/**
 * Collects the document described above (topology, NIC facts, LLDP neighbours or status).
 * @param[out] out new reference
 * @return LS_OK; LS_ERR (hwloc cannot discover); LS_ENOTFOUND (xml_file unreadable). LLDP
 *         trouble is never an error: it is reported in lldp_status.
 */
LS_MUST_CHECK int ls_agent_collect(json_t **out, const struct ls_agent_opts *o, struct ls_err *err);

/**
 * PUTs doc to <server>/v1/hosts/<hostname>/topology.
 * @param[out] http_status the response status (0 when no response); may be NULL
 * @return LS_OK (2xx); LS_EUNAVAIL (cannot connect, 5xx); LS_ETIMEOUT; LS_EINVAL (4xx: the
 *         server's error message is copied into err).
 */
LS_MUST_CHECK int ls_agent_post(const struct ls_agent_opts *o,
                                const json_t *doc,
                                long *http_status,
                                struct ls_err *err);

/**
 * Collects and posts when the document changed since the last successful post or when
 * interval_s elapsed; *last holds the last posted text (owned; free() it at the end).
 * @param[out] posted whether a post was made
 */
LS_MUST_CHECK int ls_agent_step(const struct ls_agent_opts *o,
                                char **last,
                                long long *last_post_ns,
                                bool *posted,
                                struct ls_err *err);

/** Runs ls_agent_step every check_s until *stop becomes non-zero, logging failures and
 *  carrying on. Returns LS_OK when stopped. */
int ls_agent_run(const struct ls_agent_opts *o, volatile sig_atomic_t *stop);

#endif
