/* The route table. More specific patterns (with a suffix) come before the bare {id} ones. */
#include "server/handlers.h"

const struct ls_route ls_routes[] = {
    {"GET", "/healthz", "", false, ls_h_healthz, "healthz"},
    {"GET", "/readyz", "", false, ls_h_readyz, "readyz"},
    {"GET", "/metrics", "", false, ls_h_metrics, "metrics"},
    {"GET", "/", "", false, ls_h_ui, "ui"},
    {"GET", "/v1/types", "", false, ls_h_types, "types"},
    {"GET", "/v1/nodes", "", false, ls_h_nodes_list, "nodes_list"},
    {"POST", "/v1/nodes", "", false, ls_h_node_create, "node_create"},
    {"GET", "/v1/nodes/", "/subgraph", true, ls_h_node_subgraph, "node_subgraph"},
    {"GET", "/v1/nodes/", "/history", true, ls_h_node_history, "node_history"},
    {"GET", "/v1/nodes/", "/telemetry", true, ls_h_node_telemetry, "node_telemetry"},
    {"GET", "/v1/nodes/", "", true, ls_h_node_get, "node_get"},
    {"PUT", "/v1/nodes/", "", true, ls_h_node_put, "node_put"},
    {"PATCH", "/v1/nodes/", "", true, ls_h_node_patch, "node_patch"},
    {"DELETE", "/v1/nodes/", "", true, ls_h_node_delete, "node_delete"},
    {"GET", "/v1/edges", "", false, ls_h_edges_list, "edges_list"},
    {"POST", "/v1/edges", "", false, ls_h_edge_create, "edge_create"},
    {"PATCH", "/v1/edges", "", false, ls_h_edge_patch, "edge_patch"},
    {"DELETE", "/v1/edges", "", false, ls_h_edge_delete, "edge_delete"},
    {"GET", "/v1/edges/", "", true, ls_h_edge_get, "edge_get"},
    {"PATCH", "/v1/edges/", "", true, ls_h_edge_patch, "edge_patch"},
    {"DELETE", "/v1/edges/", "", true, ls_h_edge_delete, "edge_delete"},
    {"GET", "/v1/graph", "", false, ls_h_graph, "graph"},
    {"GET", "/v1/graph/diff", "", false, ls_h_graph_diff, "graph_diff"},
    {"GET", "/v1/changes", "", false, ls_h_changes, "changes"},
    {"GET", "/v1/events", "", false, ls_h_events, "events"},
    {"POST", "/v1/telemetry", "", false, ls_h_telemetry_ingest, "telemetry_ingest"},
    {"POST", "/v1/aliases", "", false, ls_h_alias_create, "alias_create"},
    {"PUT", "/v1/hosts/", "/topology", true, ls_h_host_topology_put, "host_topology_put"},
    {"POST", "/v1/bulk", "", false, ls_h_bulk, "bulk"},
    {"GET", "/v1/sources", "", false, ls_h_sources, "sources"},
    {"POST", "/v1/sources/", "/sync", true, ls_h_source_sync, "source_sync"},
    {"GET", "/v1/sources/", "", true, ls_h_source_get, "source_get"},
};

const int ls_routes_count = (int)(sizeof(ls_routes) / sizeof(ls_routes[0]));
