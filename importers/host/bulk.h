/* Manual gear in bulk: racks, rows, PDUs, switches and the edges between them and the
 * discovered machines, from one JSON or YAML file, so a data center's layout can be described
 * where nothing can discover it. The file:
 *   nodes:                             # each: type (required), id or name (one required),
 *     - {type: rack, name: R12, attrs: {row: B, position: 12}}  # state, attrs (object)
 *   edges:                             # each: src, dst (ids), type (edge type), attrs, weight
 *     - {src: manual:rack:R12, type: contains, dst: host:machine:compute-07}
 * A node without an id gets "manual:<type>:<name>". Nodes get source "manual", edges esource
 * manual; the whole file is one change set (origin "manual"): all of it applies, or nothing.
 * Validation names the item and, for YAML, its line. Reentrant. */
#ifndef LS_IMPORTERS_HOST_BULK_H
#define LS_IMPORTERS_HOST_BULK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "model/change.h"
#include "model/graph.h"

/** Bounds: file size and items per file. */
#define LS_BULK_MAX_BYTES (16u * 1024u * 1024u)
#define LS_BULK_MAX_ITEMS 100000

enum ls_bulk_format { LS_BULK_JSON, LS_BULK_YAML };

/** Picks the format from a Content-Type (application/json; application/yaml,
 *  application/x-yaml, text/yaml). LS_EINVAL "unsupported_media_type" otherwise. */
LS_MUST_CHECK int
ls_host_bulk_format(const char *content_type, enum ls_bulk_format *out, struct ls_err *err);

/**
 * Parses a bulk file into a JSON document (YAML items carry "__line", see yaml_json.h).
 * @param[out] out new reference
 * @return LS_OK; LS_EINVAL (invalid_json / invalid_yaml with the line); LS_ELIMIT.
 */
LS_MUST_CHECK int ls_host_bulk_parse(
    json_t **out, const char *body, size_t len, enum ls_bulk_format fmt, struct ls_err *err);

/**
 * Validates doc against the registry and snap, and adds its nodes and edges to cs.
 * Errors name the item: "nodes[3] (line 14): type 'rakc' is not a registered node type",
 * "edges[0]: dst 'manual:rack:R9' names no node in the file or the graph".
 * A node that exists with a source other than "manual" may be linked to but not overwritten
 * (LS_ECONFLICT, code "not_manual").
 * @param snap borrowed (NULL: only the file's own nodes resolve edges)
 * @param[out] n_nodes, n_edges counts added (may be NULL)
 * @return LS_OK; LS_EINVAL (code "invalid_item", "unknown_type", "dangling_edge", ...);
 *         LS_ECONFLICT; LS_ELIMIT (more than LS_BULK_MAX_ITEMS).
 */
LS_MUST_CHECK int ls_host_bulk_build(struct ls_change_set *cs,
                                     const json_t *doc,
                                     const struct ls_snap *snap,
                                     size_t *n_nodes,
                                     size_t *n_edges,
                                     struct ls_err *err);

#endif
