/* LLDP neighbours of this host, from a running lldpd (liblldpctl, the only user of lldpctl.h)
 * or from captured `lldpcli -f json show neighbors details` output. Both give the same
 * canonical form, a JSON array with one object per neighbour:
 *   {"interface": "ens1f0",                  local interface (required)
 *    "chassis_id": "ee:3a:ab:66:a9:ad",      (required)
 *    "chassis_id_type": "mac",               "mac" | "local" | "ifname" | "ip" | ...
 *    "port_id": "swp7",                      (required)
 *    "port_id_type": "ifname",
 *    "port_descr": "...", "system_name": "leaf-3a", "system_descr": "...",
 *    "mgmt_ip": "192.0.2.10"}                optional members are absent when unknown
 * which ls_host_topology_build (topology.h) turns into switch / switch_port nodes.
 * Thread-safety: every function is reentrant. */
#ifndef LS_IMPORTERS_HOST_LLDP_H
#define LS_IMPORTERS_HOST_LLDP_H

#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/** Largest lldpcli output accepted, and most neighbours kept. */
#define LS_LLDP_MAX_TEXT      (4u * 1024u * 1024u)
#define LS_LLDP_MAX_NEIGHBORS 1024

/**
 * Parses `lldpcli -f json show neighbors [details]` output (both shapes lldpcli prints: one
 * interface as an object, several as an array; named and unnamed chassis).
 * @param[out] out new reference to the neighbour array (possibly empty)
 * @return LS_OK; LS_EINVAL (code "invalid_lldp": not JSON, or a neighbour without chassis or
 *         port id, naming the interface); LS_ELIMIT (over the bounds above).
 */
LS_MUST_CHECK int
ls_host_lldp_parse_lldpcli(json_t **out, const char *text, size_t len, struct ls_err *err);

/**
 * Asks the local lldpd for its neighbours through liblldpctl.
 * @param ctlname lldpd's control socket; NULL = liblldpctl's default (/run/lldpd.socket)
 * @param[out] out new reference to the neighbour array
 * @return LS_OK; LS_EUNAVAIL (code "lldpd_unavailable", message "lldpd is not running: ...")
 *         when nothing answers on the socket; LS_ERR for other liblldpctl failures.
 */
LS_MUST_CHECK int ls_host_lldp_discover(json_t **out, const char *ctlname, struct ls_err *err);

#endif
