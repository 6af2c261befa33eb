/* The machine <-> hypervisor join: the OpenStack hypervisor of a host runs on the machine that
 * hwloc reported for it, so a VM's path reads VM -> hypervisor -> machine -> NIC -> switch.
 * Edge: "nova:hypervisor:<h>" runs_on "host:machine:<h>", esource inferred, attrs
 * {"matched_by": "<name both sides share>"}. Whichever side arrives first, the edge appears
 * in the change set that brings the second: both the host topology path and the OpenStack
 * importer call ls_host_join on every change set they build, before ls_store_apply.
 * Thread-safety: reads a snapshot, writes only the caller's change set. */
#ifndef LS_IMPORTERS_HOST_JOIN_H
#define LS_IMPORTERS_HOST_JOIN_H

#include <stddef.h>

#include "common/err.h"
#include "model/change.h"
#include "model/graph.h"

/**
 * Adds the join edges for every machine or hypervisor node that cs puts, pairing it with a
 * counterpart put by cs itself or alive in snap (and not deleted by cs). Names compared, for a
 * machine: the id's host part, name, attrs hostname / fqdn / aliases[]; for a hypervisor: the
 * id's host part, name, attrs hypervisor_hostname / host / service_host / aliases[]. A full
 * name matches first; failing that the short name (up to the first '.') matches when exactly
 * one node on the other side has it. An edge that already exists and is owned by another
 * origin is left alone (so two importers never fight over it); one owned by cs's origin is
 * put again, so a replace sweep keeps it.
 * @param snap borrowed; the revision cs will be applied on (or close to it)
 * @param[out] added number of edges added; may be NULL
 * @return LS_OK; LS_EINVAL only if a put fails (a broken change set).
 */
LS_MUST_CHECK int ls_host_join(struct ls_change_set *cs,
                               const struct ls_snap *snap,
                               size_t *added,
                               struct ls_err *err);

#endif
