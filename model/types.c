/* Static tables: layers, node types and the layer each belongs to, edge types and sources. */
#include "model/types.h"

#include <string.h>

static const char *const layer_names[LS_LAYER_COUNT] = {"physical", "virtual", "service"};

static const struct {
    const char *name;
    enum ls_layer layer;
} type_table[] = {
    /* physical: what a data center is built of */
    {"region", LS_LAYER_PHYSICAL},
    {"site", LS_LAYER_PHYSICAL},
    {"row", LS_LAYER_PHYSICAL},
    {"rack", LS_LAYER_PHYSICAL},
    {"pdu", LS_LAYER_PHYSICAL},
    {"machine", LS_LAYER_PHYSICAL},
    {"socket", LS_LAYER_PHYSICAL},
    {"numa_node", LS_LAYER_PHYSICAL},
    {"core", LS_LAYER_PHYSICAL},
    {"pu", LS_LAYER_PHYSICAL},    /* processing unit (hardware thread), when not summarised */
    {"cache", LS_LAYER_PHYSICAL}, /* CPU cache, when not summarised */
    {"memory", LS_LAYER_PHYSICAL},
    {"nic", LS_LAYER_PHYSICAL},
    {"vf", LS_LAYER_PHYSICAL},
    {"disk", LS_LAYER_PHYSICAL},
    {"accelerator", LS_LAYER_PHYSICAL},
    {"switch", LS_LAYER_PHYSICAL},
    {"switch_port", LS_LAYER_PHYSICAL},
    {"link", LS_LAYER_PHYSICAL},
    /* virtual: what OpenStack puts on the machines */
    {"hypervisor", LS_LAYER_VIRTUAL},
    {"resource_provider", LS_LAYER_VIRTUAL},
    {"instance", LS_LAYER_VIRTUAL},
    {"volume", LS_LAYER_VIRTUAL},
    {"volume_backend", LS_LAYER_VIRTUAL},
    {"network", LS_LAYER_VIRTUAL},
    {"subnet", LS_LAYER_VIRTUAL},
    {"port", LS_LAYER_VIRTUAL},
    {"router", LS_LAYER_VIRTUAL},
    {"floating_ip", LS_LAYER_VIRTUAL},
    {"security_group", LS_LAYER_VIRTUAL},
    {"image", LS_LAYER_VIRTUAL},
    {"flavor", LS_LAYER_VIRTUAL},
    {"availability_zone", LS_LAYER_VIRTUAL},
    {"aggregate", LS_LAYER_VIRTUAL},
    /* service: what is built from the virtual layer */
    {"project", LS_LAYER_SERVICE},
    {"stack", LS_LAYER_SERVICE},
    {"stack_resource", LS_LAYER_SERVICE},
    {"service", LS_LAYER_SERVICE},
    {"application", LS_LAYER_SERVICE},
    {"endpoint", LS_LAYER_SERVICE},
    {"load_balancer", LS_LAYER_SERVICE},
    {"cluster", LS_LAYER_SERVICE},
};

static const char *const edge_type_names[LS_EDGE_TYPE_COUNT] = {
    "contains", "runs_on", "attached_to", "connected_to", "member_of", "uses", "depends_on",
};

static const char *const edge_source_names[] = {"imported", "manual", "inferred"};

const char *ls_layer_name(enum ls_layer layer)
{
    return (unsigned)layer < LS_LAYER_COUNT ? layer_names[layer] : "unknown";
}

/* Index of s in a table of n names, or -1. */
static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

bool ls_layer_parse(const char *s, enum ls_layer *out)
{
    int i = lookup(layer_names, LS_LAYER_COUNT, s);
    if (i < 0)
        return false;
    *out = (enum ls_layer)i;
    return true;
}

bool ls_type_layer(const char *type, enum ls_layer *out)
{
    for (size_t i = 0; i < sizeof(type_table) / sizeof(type_table[0]); i++) {
        if (strcmp(type_table[i].name, type) == 0) {
            *out = type_table[i].layer;
            return true;
        }
    }
    return false;
}

int ls_type_count(void)
{
    return (int)(sizeof(type_table) / sizeof(type_table[0]));
}

const char *ls_type_name(int i)
{
    return i >= 0 && i < ls_type_count() ? type_table[i].name : NULL;
}

const char *ls_edge_type_name(enum ls_edge_type t)
{
    return (unsigned)t < LS_EDGE_TYPE_COUNT ? edge_type_names[t] : "unknown";
}

bool ls_edge_type_parse(const char *s, enum ls_edge_type *out)
{
    int i = lookup(edge_type_names, LS_EDGE_TYPE_COUNT, s);
    if (i < 0)
        return false;
    *out = (enum ls_edge_type)i;
    return true;
}

const char *ls_edge_source_name(enum ls_edge_source s)
{
    return (unsigned)s < 3 ? edge_source_names[s] : "unknown";
}

bool ls_edge_source_parse(const char *s, enum ls_edge_source *out)
{
    int i = lookup(edge_source_names, 3, s);
    if (i < 0)
        return false;
    *out = (enum ls_edge_source)i;
    return true;
}
