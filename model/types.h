/* The vocabulary of the landscape: layers, the node-type registry (type -> layer), edge types
 * and edge sources. Static tables; thread-safe (read-only). */
#ifndef LS_MODEL_TYPES_H
#define LS_MODEL_TYPES_H

#include <stdbool.h>

enum ls_layer {
    LS_LAYER_PHYSICAL = 0,
    LS_LAYER_VIRTUAL = 1,
    LS_LAYER_SERVICE = 2,
};
#define LS_LAYER_COUNT 3

enum ls_edge_type {
    LS_EDGE_CONTAINS = 0,
    LS_EDGE_RUNS_ON,
    LS_EDGE_ATTACHED_TO,
    LS_EDGE_CONNECTED_TO,
    LS_EDGE_MEMBER_OF,
    LS_EDGE_USES,
    LS_EDGE_DEPENDS_ON,
};
#define LS_EDGE_TYPE_COUNT 7

enum ls_edge_source {
    LS_ESRC_IMPORTED = 0,
    LS_ESRC_MANUAL,
    LS_ESRC_INFERRED,
};

/** "physical" | "virtual" | "service". */
const char *ls_layer_name(enum ls_layer layer);
/** Parses a layer name; false when unknown. */
bool ls_layer_parse(const char *s, enum ls_layer *out);

/**
 * Looks a node type up in the registry (machine, socket, numa_node, core, nic, vf, disk,
 * accelerator, switch, rack, hypervisor, instance, volume, network, ... service, stack).
 * @return false when the type is not registered.
 */
bool ls_type_layer(const char *type, enum ls_layer *out);
/** Number of registered node types, and the i-th (for docs, validation messages, demo). */
int ls_type_count(void);
const char *ls_type_name(int i);

const char *ls_edge_type_name(enum ls_edge_type t);
bool ls_edge_type_parse(const char *s, enum ls_edge_type *out);

const char *ls_edge_source_name(enum ls_edge_source s);
bool ls_edge_source_parse(const char *s, enum ls_edge_source *out);

#endif
