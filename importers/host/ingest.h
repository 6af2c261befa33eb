/* PUT /v1/hosts/{hostname}/topology without the HTTP: a body (the agent's JSON document or a
 * bare hwloc XML file) becomes one host's change set, joined to its hypervisor, applied
 * through the store. The server handler (server/handlers/hosts.c) only moves bytes in and the
 * result out. Thread-safe: the store serialises writers. */
#ifndef LS_IMPORTERS_HOST_INGEST_H
#define LS_IMPORTERS_HOST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "importers/host/bulk.h"
#include "importers/host/topology.h"
#include "model/graph.h"
#include "sql/store.h"

/** Largest agent document accepted (the XML inside it is bounded by LS_HOST_MAX_XML). */
#define LS_HOST_MAX_BODY (LS_HOST_MAX_XML + 1024u * 1024u)

/** Which body a PUT carries. */
enum ls_host_body {
    LS_HOST_BODY_AGENT, /* application/json: the agent's document (agent.h) */
    LS_HOST_BODY_XML,   /* application/xml or text/xml: `hwloc-ls --of xml` output */
};

/** What one PUT did. */
struct ls_host_put_result {
    uint64_t revision;               /* revision after apply (unchanged when nothing changed) */
    struct ls_host_topo_stats stats; /* what the topology held */
    size_t joins;                    /* machine <-> hypervisor edges put */
    char lldp_status[160];           /* the agent's LLDP status ("ok", "unavailable: ...",
                                        "not reported") */
};

/**
 * Picks the body kind from a Content-Type value (parameters such as charset ignored).
 * @return LS_OK; LS_EINVAL (code "unsupported_media_type") for anything else.
 */
LS_MUST_CHECK int
ls_host_body_kind(const char *content_type, enum ls_host_body *out, struct ls_err *err);

/**
 * The change set of `hostname` from body, without the join or the store (what
 * ls_host_ingest applies; the agent-document fuzz target's entry). Validates as
 * ls_host_ingest does.
 * @param[out] out caller frees with ls_change_set_free; NULL on error
 * @param[out] res stats and lldp_status filled (revision and joins 0)
 * @return as ls_host_ingest, without the store's errors
 */
LS_MUST_CHECK int ls_host_build_body(struct ls_change_set **out,
                                     const char *hostname,
                                     enum ls_host_body kind,
                                     const char *body,
                                     size_t len,
                                     const struct ls_host_topo_opts *o,
                                     struct ls_host_put_result *res,
                                     struct ls_err *err);

/**
 * Builds the change set of `hostname` from body, adds the join edges against the current
 * snapshot and applies it (replacing what this host reported before, nothing else).
 * The agent document: {"hostname"?: must equal the URL's, "fqdn"?, "aliases"?: [str],
 * "hwloc_xml": str, "nics"?: {...}, "lldp"?: [...], "lldp_status"?: str}.
 * @param o topology options; NULL = defaults
 * @param[out] out filled on LS_OK
 * @return LS_OK; LS_EINVAL (invalid_hostname, invalid_json, invalid_topology, invalid_lldp,
 *         hostname_mismatch, ...), LS_ELIMIT (too large), or the store's error (LS_EUNAVAIL).
 *         Nothing is applied on error.
 */
LS_MUST_CHECK int ls_host_ingest(struct ls_store *store,
                                 struct ls_graph *g,
                                 const char *hostname,
                                 enum ls_host_body kind,
                                 const char *body,
                                 size_t len,
                                 const struct ls_host_topo_opts *o,
                                 struct ls_host_put_result *out,
                                 struct ls_err *err);

/** What one bulk file did. */
struct ls_host_bulk_result {
    uint64_t revision; /* revision after apply */
    size_t nodes;      /* nodes in the file */
    size_t edges;      /* edges in the file */
    size_t joins;      /* machine <-> hypervisor edges the file's nodes brought */
};

/**
 * POST /v1/bulk without the HTTP: parses a bulk gear file (bulk.h), validates every item
 * against the current snapshot and applies it as one change set: all or nothing.
 * @return LS_OK; the errors of ls_host_bulk_parse / ls_host_bulk_build (naming the item and
 *         line) or of the store. Nothing is applied on error.
 */
LS_MUST_CHECK int ls_host_bulk_apply(struct ls_store *store,
                                     struct ls_graph *g,
                                     enum ls_bulk_format fmt,
                                     const char *body,
                                     size_t len,
                                     struct ls_host_bulk_result *out,
                                     struct ls_err *err);

/** The response body for a result: {"hostname","revision","nodes","edges","joins",
 *  "lldp":{"neighbors","unmatched","status"}}. New reference. */
json_t *ls_host_put_result_json(const char *hostname, const struct ls_host_put_result *r);

#endif
