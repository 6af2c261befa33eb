/* Every handler the route table names (server/routes.c). Handlers validate, call the model or
 * the store, and render; no business logic. */
#ifndef LS_SERVER_HANDLERS_H
#define LS_SERVER_HANDLERS_H

#include "server/router.h"

/* handlers/nodes.c */
void ls_h_nodes_list(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_get(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_create(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_put(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_patch(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_delete(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_subgraph(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_history(struct ls_req *req, struct ls_resp *resp);
/* handlers/edges.c */
void ls_h_edges_list(struct ls_req *req, struct ls_resp *resp);
void ls_h_edge_create(struct ls_req *req, struct ls_resp *resp);
void ls_h_edge_get(struct ls_req *req, struct ls_resp *resp);
void ls_h_edge_patch(struct ls_req *req, struct ls_resp *resp);
void ls_h_edge_delete(struct ls_req *req, struct ls_resp *resp);
/* handlers/graph.c */
void ls_h_graph(struct ls_req *req, struct ls_resp *resp);
void ls_h_graph_diff(struct ls_req *req, struct ls_resp *resp);
void ls_h_changes(struct ls_req *req, struct ls_resp *resp);
void ls_h_events(struct ls_req *req, struct ls_resp *resp);
/* handlers/health.c */
void ls_h_healthz(struct ls_req *req, struct ls_resp *resp);
void ls_h_readyz(struct ls_req *req, struct ls_resp *resp);
void ls_h_metrics(struct ls_req *req, struct ls_resp *resp);
void ls_h_ui(struct ls_req *req, struct ls_resp *resp);
void ls_h_ui_app(struct ls_req *req, struct ls_resp *resp);
void ls_h_types(struct ls_req *req, struct ls_resp *resp);
/* handlers/hosts.c, handlers/bulk.c (the physical layer, importers/host) */
void ls_h_host_topology_put(struct ls_req *req, struct ls_resp *resp);
void ls_h_bulk(struct ls_req *req, struct ls_resp *resp);

/* handlers/telemetry.c */
void ls_h_telemetry_ingest(struct ls_req *req, struct ls_resp *resp);
void ls_h_node_telemetry(struct ls_req *req, struct ls_resp *resp);
void ls_h_alias_create(struct ls_req *req, struct ls_resp *resp);
/* handlers/rca.c (analytics/rca over model/samples) */
void ls_h_analytics_rca(struct ls_req *req, struct ls_resp *resp);
/* handlers/sources.c (importers/openstack) */
void ls_h_dependencies(struct ls_req *req, struct ls_resp *resp);
void ls_h_dependencies_infer(struct ls_req *req, struct ls_resp *resp);

void ls_h_sources(struct ls_req *req, struct ls_resp *resp);
void ls_h_source_get(struct ls_req *req, struct ls_resp *resp);
void ls_h_source_sync(struct ls_req *req, struct ls_resp *resp);
/* handlers/placement.c (analytics/placement.h); its subsystem keeps ctx->placement */
void ls_h_place_recommend(struct ls_req *req, struct ls_resp *resp);
void ls_h_place_host(struct ls_req *req, struct ls_resp *resp);
void ls_h_place_moves(struct ls_req *req, struct ls_resp *resp);
void ls_h_k8s_filter(struct ls_req *req, struct ls_resp *resp);
void ls_h_k8s_prioritize(struct ls_req *req, struct ls_resp *resp);
void ls_h_stitch(struct ls_req *req, struct ls_resp *resp);
int ls_placement_start(struct ls_ctx *ctx, struct ls_err *err);
void ls_placement_stop(struct ls_ctx *ctx);
/* handlers/incidents.c (analytics/incident.h, sql/incident.h) */
void ls_h_incidents_list(struct ls_req *req, struct ls_resp *resp);
void ls_h_incident_get(struct ls_req *req, struct ls_resp *resp);
void ls_h_incident_history(struct ls_req *req, struct ls_resp *resp);
/* handlers/colours.c (server/colours.h) */
void ls_h_colours(struct ls_req *req, struct ls_resp *resp);

/* handlers/demo_fault.c (importers/telemetry/demo_stream) */
void ls_h_demo_fault_post(struct ls_req *req, struct ls_resp *resp);
void ls_h_demo_fault_get(struct ls_req *req, struct ls_resp *resp);
void ls_h_demo_fault_delete(struct ls_req *req, struct ls_resp *resp);

#endif
