/* The alias index: what producers call a thing (libvirt domain name, tap device, MAC, short
 * host name, FQDN, Prometheus instance host, ...) -> node id. Fed from the nodes' attrs key
 * "aliases" (an array of strings) by a graph listener, and by manual entries (REST). Native
 * ids resolve without an alias (see importers/telemetry/resolve.h). Thread-safe. */
#ifndef LS_MODEL_ALIAS_H
#define LS_MODEL_ALIAS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "model/graph.h"

struct ls_alias;

/** New index that follows g (registers a listener; also indexes what g has now). Free after
 *  the graph stops publishing. */
struct ls_alias *ls_alias_new(struct ls_graph *g);
void ls_alias_free(struct ls_alias *a);

/** Copies the node id for alias into out (cap bytes); false when unknown. */
bool ls_alias_lookup(struct ls_alias *a, const char *alias, char *out, size_t cap);
/** Adds a manual alias (kept until removed; wins over imported ones). */
void ls_alias_put_manual(struct ls_alias *a, const char *alias, const char *node_id);
/** Number of aliases known. */
size_t ls_alias_count(struct ls_alias *a);

#endif
