/* hwloc XML (+ sysfs facts + LLDP neighbours) -> one host's change set. The tree is kept
 * useful: caches and processing units are summarised on their core and socket unless the
 * options ask for them; I/O devices hang off the machine with their NUMA locality as an
 * attribute. Does no I/O besides parsing the XML in memory. */
#include "importers/host/topology.h"

#include <errno.h>
#include <hwloc.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/isolate.h"
#include "common/map.h"
#include "importers/host/lldp.h"
#include "importers/host/xml_check.h"

#define ID_MAX 1024

struct builder {
    struct ls_change_set *cs;
    const struct ls_host_input *in;
    const struct ls_host_topo_opts *o;
    struct ls_host_topo_stats st;
    hwloc_topology_t t;
    char machine[ID_MAX];
    struct ls_map nic_by_ifname; /* interface name -> NIC node id (owned char*) */
    struct ls_map lldp_nodes;    /* LLDP node ids already put by this build (value unused) */
    size_t max_nodes;
};

void ls_host_topo_opts_init(struct ls_host_topo_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->max_nodes = LS_HOST_MAX_NODES;
    o->trial = true;
}

int ls_host_name_check(const char *h, struct ls_err *err)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > LS_HOST_NAME_MAX)
        return ls_err_set(err, LS_EINVAL, "invalid_hostname",
                          "hostname: expected 1 to %d characters", LS_HOST_NAME_MAX);
    if (h[0] == '.' || h[0] == '-')
        return ls_err_set(err, LS_EINVAL, "invalid_hostname", "hostname: must not start with '%c'",
                          h[0]);
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok)
            return ls_err_set(err, LS_EINVAL, "invalid_hostname",
                              "hostname: character %zu is not a letter, digit, '.', '-' or '_'",
                              i + 1);
    }
    return LS_OK;
}

struct ls_change_set *ls_host_change_set_new(const char *hostname)
{
    char origin[LS_HOST_NAME_MAX + 8];
    snprintf(origin, sizeof(origin), "host:%s", hostname);
    struct ls_change_set *cs = ls_change_set_new(origin);
    ls_change_set_set_replace(cs, true);
    ls_change_set_set_scope(cs, "host:");
    return cs;
}

/* ---- small helpers ------------------------------------------------------------------- */

static json_t *jobj(void)
{
    json_t *o = json_object();
    if (o == NULL)
        ls_json_oom();
    return o;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v != NULL && json_object_set_new(o, k, json_string(v)) != 0)
        ls_json_oom();
}

static void set_int(json_t *o, const char *k, long long v)
{
    if (json_object_set_new(o, k, json_integer(v)) != 0)
        ls_json_oom();
}

static void append_str(json_t *arr, const char *v)
{
    if (json_array_append_new(arr, json_string(v)) != 0)
        ls_json_oom();
}

/* Formats an id into out; LS_ELIMIT when it does not fit. */
__attribute__((format(printf, 3, 4))) static int
make_id(char *out, struct ls_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, ID_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= ID_MAX)
        return ls_err_set(err, LS_ELIMIT, "id_too_long", "node id longer than %d bytes",
                          ID_MAX - 1);
    return LS_OK;
}

/* Puts a node (attrs stolen), counting against the per-host bound. */
static int put_node(struct builder *b,
                    const char *id,
                    const char *type,
                    const char *name,
                    const char *state,
                    json_t *attrs,
                    const char *source,
                    struct ls_err *err)
{
    if (b->st.nodes >= b->max_nodes) {
        json_decref(attrs);
        return ls_err_set(err, LS_ELIMIT, "too_many_nodes",
                          "topology of %s has more than %zu nodes", b->in->hostname, b->max_nodes);
    }
    int rc = ls_change_put_node_new(b->cs, id, type, name, state, attrs, source, err);
    if (rc == LS_OK)
        b->st.nodes++;
    return rc;
}

static int put_edge(struct builder *b,
                    const char *src,
                    enum ls_edge_type type,
                    const char *dst,
                    json_t *attrs,
                    struct ls_err *err)
{
    int rc = ls_change_put_edge_new(b->cs, src, type, dst, attrs, LS_ESRC_IMPORTED, 1.0, err);
    if (rc == LS_OK)
        b->st.edges++;
    return rc;
}

/* Copies selected hwloc info pairs of obj into attrs under our own names. */
static void copy_infos(json_t *attrs, hwloc_obj_t obj, const char *const (*map)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = hwloc_obj_get_info_by_name(obj, map[i][0]);
        if (v != NULL && v[0] != '\0')
            set_str(attrs, map[i][1], v);
    }
}

/* The OS index of the single NUMA node local to obj (I/O: its non-I/O ancestor), or -1. */
static int local_numa(hwloc_topology_t t, hwloc_obj_t obj)
{
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t, obj);
    if (anc == NULL || anc->nodeset == NULL || hwloc_bitmap_weight(anc->nodeset) != 1)
        return -1;
    return hwloc_bitmap_first(anc->nodeset);
}

static void pci_busid(const struct hwloc_pcidev_attr_s *p, char *out, size_t cap)
{
    snprintf(out, cap, "%04x:%02x:%02x.%01x", (unsigned)p->domain, (unsigned)p->bus,
             (unsigned)p->dev, (unsigned)p->func);
}

/* The PCI function obj belongs to (obj itself or its parent), or NULL. */
static hwloc_obj_t pci_of(hwloc_obj_t obj)
{
    for (; obj != NULL; obj = obj->parent)
        if (obj->type == HWLOC_OBJ_PCI_DEVICE)
            return obj;
    return NULL;
}

/* Adds PCI identity attributes of pci (may be NULL) to attrs. */
static void pci_attrs(json_t *attrs, hwloc_obj_t pci)
{
    static const char *const infos[][2] = {{"PCIVendor", "vendor"}, {"PCIDevice", "device"}};
    if (pci == NULL)
        return;
    char busid[32], ids[16];
    pci_busid(&pci->attr->pcidev, busid, sizeof(busid));
    set_str(attrs, "pci", busid);
    snprintf(ids, sizeof(ids), "%04x:%04x", (unsigned)pci->attr->pcidev.vendor_id,
             (unsigned)pci->attr->pcidev.device_id);
    set_str(attrs, "pci_id", ids);
    snprintf(ids, sizeof(ids), "%04x", (unsigned)pci->attr->pcidev.class_id);
    set_str(attrs, "pci_class", ids);
    if (pci->attr->pcidev.linkspeed > 0)
        json_object_set_new(attrs, "pcie_gbps", json_real(pci->attr->pcidev.linkspeed));
    copy_infos(attrs, pci, infos, sizeof(infos) / sizeof(infos[0]));
}

/* ---- CPU and memory ------------------------------------------------------------------ */

/* The package containing obj's cpuset, or NULL (no package, or obj spans several). */
static hwloc_obj_t package_of(hwloc_topology_t t, hwloc_obj_t obj)
{
    if (obj->cpuset == NULL || hwloc_bitmap_iszero(obj->cpuset))
        return NULL;
    hwloc_obj_t p = NULL;
    while ((p = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, p)) != NULL)
        if (hwloc_bitmap_isincluded(obj->cpuset, p->cpuset))
            return p;
    return NULL;
}

/* The NUMA node whose cpuset holds the core, within the core's package, or NULL. */
static hwloc_obj_t numa_of_core(hwloc_topology_t t, hwloc_obj_t core)
{
    hwloc_obj_t pkg = package_of(t, core);
    hwloc_obj_t n = NULL;
    while ((n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n)) != NULL) {
        if (n->cpuset == NULL || hwloc_bitmap_iszero(n->cpuset) ||
            !hwloc_bitmap_isincluded(core->cpuset, n->cpuset))
            continue;
        if (package_of(t, n) == pkg)
            return n;
    }
    return NULL;
}

/* Attribute name of a summarised cache level. */
static const char *cache_key(hwloc_obj_type_t type)
{
    switch (type) {
    case HWLOC_OBJ_L1CACHE:
        return "l1d_bytes";
    case HWLOC_OBJ_L1ICACHE:
        return "l1i_bytes";
    case HWLOC_OBJ_L2CACHE:
        return "l2_bytes";
    case HWLOC_OBJ_L3CACHE:
        return "l3_bytes";
    case HWLOC_OBJ_L4CACHE:
        return "l4_bytes";
    case HWLOC_OBJ_L5CACHE:
        return "l5_bytes";
    default:
        return NULL;
    }
}

static int put_socket(struct builder *b, hwloc_obj_t pkg, struct ls_err *err)
{
    static const char *const infos[][2] = {{"CPUVendor", "cpu_vendor"},
                                           {"CPUModel", "cpu_model"},
                                           {"CPUFamilyNumber", "cpu_family"},
                                           {"CPUModelNumber", "cpu_model_number"},
                                           {"CPUStepping", "cpu_stepping"}};
    char id[ID_MAX], name[32];
    int rc = make_id(id, err, "host:socket:%s:%u", b->in->hostname, pkg->os_index);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    set_int(a, "os_index", pkg->os_index);
    set_int(a, "cores", hwloc_get_nbobjs_inside_cpuset_by_type(b->t, pkg->cpuset, HWLOC_OBJ_CORE));
    set_int(a, "pus", hwloc_get_nbobjs_inside_cpuset_by_type(b->t, pkg->cpuset, HWLOC_OBJ_PU));
    if (!b->o->caches) {
        /* Shared caches summarised on the socket: total bytes and count of the last level. */
        static const hwloc_obj_type_t shared[] = {HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE};
        for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
            long long bytes = 0, count = 0;
            hwloc_obj_t c = NULL;
            while ((c = hwloc_get_next_obj_inside_cpuset_by_type(b->t, pkg->cpuset, shared[i],
                                                                 c)) != NULL) {
                /* each size is at most LS_HOST_MAX_BYTES (check_obj); the sum may still not fit */
                if (__builtin_add_overflow(bytes, (long long)c->attr->cache.size, &bytes)) {
                    json_decref(a);
                    return ls_err_set(err, LS_EINVAL, "invalid_topology",
                                      "hwloc xml: package %u: cache sizes add up past 2^63",
                                      pkg->os_index);
                }
                count++;
            }
            if (count > 0) {
                char key[32];
                set_int(a, cache_key(shared[i]), bytes);
                snprintf(key, sizeof(key), "l%d_count", shared[i] == HWLOC_OBJ_L3CACHE ? 3 : 4);
                set_int(a, key, count);
            }
        }
    }
    copy_infos(a, pkg, infos, sizeof(infos) / sizeof(infos[0]));
    snprintf(name, sizeof(name), "socket %u", pkg->os_index);
    rc = put_node(b, id, "socket", name, "present", a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, b->machine, LS_EDGE_CONTAINS, id, NULL, err);
    return rc;
}

/* Id of the node that contains obj among socket / machine. */
static int container_id(struct builder *b, hwloc_obj_t obj, char *out, struct ls_err *err)
{
    hwloc_obj_t pkg = package_of(b->t, obj);
    if (pkg == NULL)
        return make_id(out, err, "%s", b->machine);
    return make_id(out, err, "host:socket:%s:%u", b->in->hostname, pkg->os_index);
}

static int put_numa(struct builder *b, hwloc_obj_t n, struct ls_err *err)
{
    char id[ID_MAX], parent[ID_MAX], name[32];
    int rc = make_id(id, err, "host:numa_node:%s:%u", b->in->hostname, n->os_index);
    if (rc == LS_OK)
        rc = container_id(b, n, parent, err);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    set_int(a, "os_index", n->os_index);
    set_int(a, "memory_bytes", (long long)n->attr->numanode.local_memory);
    set_int(a, "cores",
            n->cpuset ? hwloc_get_nbobjs_inside_cpuset_by_type(b->t, n->cpuset, HWLOC_OBJ_CORE)
                      : 0);
    for (unsigned i = 0; i < n->attr->numanode.page_types_len; i++) {
        const struct hwloc_memory_page_type_s *pt = &n->attr->numanode.page_types[i];
        if (pt->size > 4096 && pt->count > 0) {
            char key[48];
            snprintf(key, sizeof(key), "hugepages_%llukB", (unsigned long long)pt->size / 1024);
            set_int(a, key, (long long)pt->count);
        }
    }
    snprintf(name, sizeof(name), "numa %u", n->os_index);
    rc = put_node(b, id, "numa_node", name, "present", a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, parent, LS_EDGE_CONTAINS, id, NULL, err);
    return rc;
}

/* Emits one cache node under the core or socket that owns it (option caches). */
static int put_cache(struct builder *b, hwloc_obj_t c, struct ls_err *err)
{
    char id[ID_MAX], parent[ID_MAX], name[32], level[16];
    hwloc_obj_t core = NULL;
    if (hwloc_get_nbobjs_inside_cpuset_by_type(b->t, c->cpuset, HWLOC_OBJ_CORE) == 1)
        core = hwloc_get_next_obj_inside_cpuset_by_type(b->t, c->cpuset, HWLOC_OBJ_CORE, NULL);
    /* "L2", "L3", "L1i" for instruction caches: short and stable across hwloc versions */
    snprintf(level, sizeof(level), "L%u%s", c->attr->cache.depth,
             c->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "i" : "");
    int rc = make_id(id, err, "host:cache:%s:%s:%u", b->in->hostname, level, c->logical_index);
    if (rc == LS_OK && core != NULL)
        rc = make_id(parent, err, "host:core:%s:%u", b->in->hostname, core->logical_index);
    else if (rc == LS_OK)
        rc = container_id(b, c, parent, err);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    set_str(a, "level", level);
    set_int(a, "size_bytes", (long long)c->attr->cache.size);
    set_int(a, "line_bytes", c->attr->cache.linesize);
    set_int(a, "associativity", c->attr->cache.associativity);
    snprintf(name, sizeof(name), "%s %u", level, c->logical_index);
    rc = put_node(b, id, "cache", name, "present", a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, parent, LS_EDGE_CONTAINS, id, NULL, err);
    return rc;
}

/* The PU after prev (NULL: the first) in the subtree of core, depth first: a walk of the
 * core's own children, where a scan of the machine's PUs per core would be quadratic. */
static hwloc_obj_t next_pu(hwloc_obj_t core, hwloc_obj_t prev)
{
    hwloc_obj_t o = prev ? prev : core;
    for (;;) {
        if (o->first_child != NULL && (o == core || o->type != HWLOC_OBJ_PU)) {
            o = o->first_child;
        } else {
            while (o != core && o->next_sibling == NULL)
                o = o->parent;
            if (o == core)
                return NULL;
            o = o->next_sibling;
        }
        if (o->type == HWLOC_OBJ_PU)
            return o;
    }
}

static int put_core(struct builder *b, hwloc_obj_t core, struct ls_err *err)
{
    char id[ID_MAX], parent[ID_MAX], name[32];
    int rc = make_id(id, err, "host:core:%s:%u", b->in->hostname, core->logical_index);
    if (rc != LS_OK)
        return rc;
    hwloc_obj_t numa = numa_of_core(b->t, core);
    if (numa != NULL)
        rc = make_id(parent, err, "host:numa_node:%s:%u", b->in->hostname, numa->os_index);
    else
        rc = container_id(b, core, parent, err);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    set_int(a, "os_index", core->os_index);
    json_t *pus = json_array();
    if (pus == NULL)
        ls_json_oom();
    for (hwloc_obj_t pu = next_pu(core, NULL); pu != NULL; pu = next_pu(core, pu))
        json_array_append_new(pus, json_integer(pu->os_index));
    set_int(a, "pus", (long long)json_array_size(pus));
    json_object_set_new(a, "pu_os_index", pus);
    if (!b->o->caches)
        for (hwloc_obj_t c = core->parent; c != NULL && hwloc_obj_type_is_cache(c->type);
             c = c->parent)
            if (cache_key(c->type) != NULL && c->type != HWLOC_OBJ_L3CACHE &&
                c->type != HWLOC_OBJ_L4CACHE && c->type != HWLOC_OBJ_L5CACHE)
                set_int(a, cache_key(c->type), (long long)c->attr->cache.size);
    snprintf(name, sizeof(name), "core %u", core->logical_index);
    rc = put_node(b, id, "core", name, "present", a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, parent, LS_EDGE_CONTAINS, id, NULL, err);
    if (rc != LS_OK || !b->o->pus)
        return rc;
    for (hwloc_obj_t pu = next_pu(core, NULL); pu != NULL; pu = next_pu(core, pu)) {
        char puid[ID_MAX];
        rc = make_id(puid, err, "host:pu:%s:%u", b->in->hostname, pu->os_index);
        if (rc != LS_OK)
            return rc;
        json_t *pa = jobj();
        set_int(pa, "os_index", pu->os_index);
        snprintf(name, sizeof(name), "pu %u", pu->os_index);
        rc = put_node(b, puid, "pu", name, "present", pa, NULL, err);
        if (rc == LS_OK)
            rc = put_edge(b, id, LS_EDGE_CONTAINS, puid, NULL, err);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

/* ---- I/O ------------------------------------------------------------------------------ */

/* The facts an agent may report per interface, and their types: integers 0..INT32_MAX,
 * strings of 1 to 255 bytes. Other members are ignored (newer agents). */
static const struct {
    const char *key;
    bool integer;
} nic_fact_types[] = {{"speed_mbps", true}, {"sriov_totalvfs", true}, {"sriov_numvfs", true},
                      {"mtu", true},        {"driver", false},        {"mac", false},
                      {"operstate", false}};

/* nics: absent, or an object of objects whose known facts have their type and range. */
static int check_nics(const json_t *nics, struct ls_err *err)
{
    if (nics == NULL)
        return LS_OK;
    if (!json_is_object(nics))
        return ls_err_set(err, LS_EINVAL, "invalid_nics", "nics: expected an object");
    const char *ifname;
    json_t *f;
    json_object_foreach((json_t *)nics, ifname, f)
    {
        if (!json_is_object(f))
            return ls_err_set(err, LS_EINVAL, "invalid_nics", "nics.%.64s: expected an object",
                              ifname);
        for (size_t i = 0; i < sizeof(nic_fact_types) / sizeof(nic_fact_types[0]); i++) {
            json_t *v = json_object_get(f, nic_fact_types[i].key);
            if (v == NULL || json_is_null(v))
                continue;
            bool ok = nic_fact_types[i].integer
                          ? json_is_integer(v) && json_integer_value(v) >= 0 &&
                                json_integer_value(v) <= INT32_MAX
                          : json_is_string(v) && json_string_length(v) >= 1 &&
                                json_string_length(v) <= 255;
            if (!ok)
                return ls_err_set(err, LS_EINVAL, "invalid_nics", "nics.%.64s.%s: expected %s",
                                  ifname, nic_fact_types[i].key,
                                  nic_fact_types[i].integer ? "an integer from 0 to 2147483647"
                                                            : "a string of 1 to 255 bytes");
        }
    }
    return LS_OK;
}

/* aliases: absent, or at most LS_HOST_MAX_ALIASES host names of 1..LS_HOST_NAME_MAX bytes
 * (the machine's alias list is deduplicated pairwise: the bound keeps that cheap). */
static int check_aliases(const json_t *aliases, struct ls_err *err)
{
    if (aliases == NULL)
        return LS_OK;
    if (!json_is_array(aliases))
        return ls_err_set(err, LS_EINVAL, "invalid_aliases", "aliases: expected an array");
    if (json_array_size(aliases) > LS_HOST_MAX_ALIASES)
        return ls_err_set(err, LS_ELIMIT, "too_many_aliases", "aliases: more than %d names",
                          LS_HOST_MAX_ALIASES);
    size_t i;
    json_t *v;
    json_array_foreach(aliases, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) < 1 ||
            json_string_length(v) > LS_HOST_NAME_MAX)
            return ls_err_set(err, LS_EINVAL, "invalid_aliases",
                              "aliases[%zu]: expected a name of 1 to %d bytes", i,
                              LS_HOST_NAME_MAX);
    }
    return LS_OK;
}

/* Merges the agent's sysfs facts about ifname into a NIC's attrs; returns the state. */
static const char *nic_facts(struct builder *b, const char *ifname, json_t *a)
{
    const json_t *f = b->in->nics ? json_object_get(b->in->nics, ifname) : NULL;
    if (!json_is_object(f))
        return "present";
    for (size_t i = 0; i < sizeof(nic_fact_types) / sizeof(nic_fact_types[0]); i++) {
        const char *key = nic_fact_types[i].key;
        json_t *v = json_object_get(f, key);
        if (strcmp(key, "operstate") != 0 && !json_is_null(v) && v != NULL &&
            json_object_get(a, key) == NULL) /* types checked by check_nics */
            json_object_set(a, key, v);
    }
    json_t *sr = json_object_get(f, "sriov_totalvfs");
    json_object_set_new(a, "sriov",
                        json_boolean(json_is_integer(sr) && json_integer_value(sr) > 0));
    const char *st = json_string_value(json_object_get(f, "operstate"));
    return st != NULL && st[0] != '\0' ? st : "present";
}

/* Counts the network OS devices under a PCI function. */
static int net_osdevs(hwloc_obj_t pci)
{
    int n = 0;
    for (hwloc_obj_t c = pci->io_first_child; c != NULL; c = c->next_sibling)
        if (c->type == HWLOC_OBJ_OS_DEVICE && c->attr->osdev.type == HWLOC_OBJ_OSDEV_NETWORK)
            n++;
    return n;
}

/* Puts one NIC: net OS device osdev (may be NULL for a PCI function without a driver). */
static int put_nic(struct builder *b, hwloc_obj_t pci, hwloc_obj_t osdev, struct ls_err *err)
{
    char id[ID_MAX], busid[32] = "";
    if (pci != NULL)
        pci_busid(&pci->attr->pcidev, busid, sizeof(busid));
    const char *ifname = osdev ? osdev->name : NULL;
    int rc;
    if (pci != NULL && (osdev == NULL || net_osdevs(pci) == 1))
        rc = make_id(id, err, "host:nic:%s:%s", b->in->hostname, busid);
    else
        rc = make_id(id, err, "host:nic:%s:%s", b->in->hostname, ifname);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    pci_attrs(a, pci);
    const char *state = "present";
    if (osdev != NULL) {
        set_str(a, "ifname", ifname);
        const char *mac = hwloc_obj_get_info_by_name(osdev, "Address");
        set_str(a, "mac", mac);
        state = nic_facts(b, ifname, a);
        mac = json_string_value(json_object_get(a, "mac"));
        if (mac != NULL) {
            json_t *al = json_array();
            append_str(al, mac);
            json_object_set_new(a, "aliases", al);
        }
        /* RDMA devices of the same PCI function (InfiniBand / RoCE) */
        for (hwloc_obj_t c = pci ? pci->io_first_child : NULL; c != NULL; c = c->next_sibling)
            if (c->type == HWLOC_OBJ_OS_DEVICE &&
                c->attr->osdev.type == HWLOC_OBJ_OSDEV_OPENFABRICS)
                set_str(a, "rdma_device", c->name);
    } else {
        set_str(a, "driver_bound", "none");
    }
    int numa = pci ? local_numa(b->t, pci) : -1;
    if (numa >= 0)
        set_int(a, "numa_node", numa);
    rc = put_node(b, id, "nic", ifname ? ifname : busid, state, a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, b->machine, LS_EDGE_CONTAINS, id, NULL, err);
    if (rc == LS_OK && ifname != NULL)
        free(ls_map_put(&b->nic_by_ifname, ifname, ls_xstrdup(id)));
    return rc;
}

static int put_nics(struct builder *b, struct ls_err *err)
{
    int rc = LS_OK;
    hwloc_obj_t o = NULL;
    while (rc == LS_OK && (o = hwloc_get_next_osdev(b->t, o)) != NULL)
        if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_NETWORK)
            rc = put_nic(b, pci_of(o), o, err);
    /* Network-class PCI functions with no network OS device (vfio, no driver) */
    o = NULL;
    while (rc == LS_OK && (o = hwloc_get_next_pcidev(b->t, o)) != NULL)
        if ((o->attr->pcidev.class_id >> 8) == 0x02 && net_osdevs(o) == 0)
            rc = put_nic(b, o, NULL, err);
    return rc;
}

/* GPUs and other accelerators: 3D controllers, processing accelerators, co-processors,
 * NVIDIA/AMD display controllers, or anything with a co-processor OS device. A server's BMC
 * VGA (ASPEED, Matrox) is none of these. */
static bool is_accelerator(hwloc_obj_t pci)
{
    unsigned cls = pci->attr->pcidev.class_id, vendor = pci->attr->pcidev.vendor_id;
    if (cls == 0x0302 || (cls >> 8) == 0x12 || cls == 0x0b40)
        return true;
    if (cls == 0x0300 && (vendor == 0x10de || vendor == 0x1002))
        return true;
    for (hwloc_obj_t c = pci->io_first_child; c != NULL; c = c->next_sibling)
        if (c->type == HWLOC_OBJ_OS_DEVICE && c->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC)
            return true;
    return false;
}

static int put_accelerator(struct builder *b, hwloc_obj_t pci, struct ls_err *err)
{
    static const char *const infos[][2] = {{"GPUModel", "model"},
                                           {"GPUVendor", "gpu_vendor"},
                                           {"CoProcType", "coproc_type"},
                                           {"CUDAGlobalMemorySize", "memory_kb"}};
    char id[ID_MAX], busid[32];
    pci_busid(&pci->attr->pcidev, busid, sizeof(busid));
    int rc = make_id(id, err, "host:accelerator:%s:%s", b->in->hostname, busid);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    pci_attrs(a, pci);
    json_t *devs = json_array();
    if (devs == NULL)
        ls_json_oom();
    for (hwloc_obj_t c = pci->io_first_child; c != NULL; c = c->next_sibling) {
        if (c->type != HWLOC_OBJ_OS_DEVICE)
            continue;
        append_str(devs, c->name);
        copy_infos(a, c, infos, sizeof(infos) / sizeof(infos[0]));
    }
    json_object_set_new(a, "os_devices", devs);
    unsigned cls = pci->attr->pcidev.class_id;
    set_str(a, "kind", (cls >> 8) == 0x03 ? "gpu" : "accelerator");
    int numa = local_numa(b->t, pci);
    if (numa >= 0)
        set_int(a, "numa_node", numa);
    const char *name = json_string_value(json_object_get(a, "model"));
    if (name == NULL)
        name = json_string_value(json_object_get(a, "device"));
    rc = put_node(b, id, "accelerator", name ? name : busid, "present", a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, b->machine, LS_EDGE_CONTAINS, id, NULL, err);
    return rc;
}

/* The info `key` of obj as a decimal count in 0..max into *out (left alone when absent).
 * LS_EINVAL naming the object when it is something else. */
static int
info_count(hwloc_obj_t obj, const char *key, long long max, long long *out, struct ls_err *err)
{
    const char *v = hwloc_obj_get_info_by_name(obj, key);
    if (v == NULL)
        return LS_OK;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || errno != 0 || n < 0 || n > max)
        return ls_err_set(err, LS_EINVAL, "invalid_topology",
                          "hwloc xml: %s %.64s: info %s '%.32s' is not a count from 0 to %lld",
                          hwloc_obj_type_string(obj->type), obj->name ? obj->name : "", key, v,
                          max);
    *out = n;
    return LS_OK;
}

static int put_disk(struct builder *b, hwloc_obj_t osdev, struct ls_err *err)
{
    static const char *const infos[][2] = {{"Model", "model"},
                                           {"Vendor", "disk_vendor"},
                                           {"SerialNumber", "serial"},
                                           {"Type", "kind"},
                                           {"LinuxDeviceID", "devno"}};
    char id[ID_MAX];
    int rc = make_id(id, err, "host:disk:%s:%s", b->in->hostname, osdev->name);
    if (rc != LS_OK)
        return rc;
    long long kb = -1, sector = -1; /* hwloc reports the size in kB */
    rc = info_count(osdev, "Size", (long long)(LS_HOST_MAX_BYTES / 1024), &kb, err);
    if (rc == LS_OK)
        rc = info_count(osdev, "SectorSize", 1 << 30, &sector, err);
    if (rc != LS_OK)
        return rc;
    json_t *a = jobj();
    set_str(a, "devname", osdev->name);
    if (kb >= 0)
        set_int(a, "size_bytes", kb * 1024);
    if (sector >= 0)
        set_int(a, "sector_bytes", sector);
    copy_infos(a, osdev, infos, sizeof(infos) / sizeof(infos[0]));
    hwloc_obj_t pci = pci_of(osdev);
    if (pci != NULL) {
        char busid[32];
        pci_busid(&pci->attr->pcidev, busid, sizeof(busid));
        set_str(a, "controller_pci", busid);
        set_str(a, "controller", hwloc_obj_get_info_by_name(pci, "PCIDevice"));
        int numa = local_numa(b->t, pci);
        if (numa >= 0)
            set_int(a, "numa_node", numa);
    }
    rc = put_node(b, id, "disk", osdev->name, "present", a, NULL, err);
    if (rc == LS_OK)
        rc = put_edge(b, b->machine, LS_EDGE_CONTAINS, id, NULL, err);
    return rc;
}

static int put_io(struct builder *b, struct ls_err *err)
{
    int rc = put_nics(b, err);
    hwloc_obj_t o = NULL;
    while (rc == LS_OK && (o = hwloc_get_next_pcidev(b->t, o)) != NULL)
        if (is_accelerator(o))
            rc = put_accelerator(b, o, err);
    o = NULL;
    while (rc == LS_OK && (o = hwloc_get_next_osdev(b->t, o)) != NULL)
        if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_BLOCK)
            rc = put_disk(b, o, err);
    return rc;
}

/* ---- machine ---------------------------------------------------------------------------- */

static void add_alias(json_t *arr, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (strcmp(json_string_value(v), name) == 0)
            return;
    }
    append_str(arr, name);
}

static int put_machine(struct builder *b, struct ls_err *err)
{
    static const char *const infos[][2] = {{"OSName", "os_name"},
                                           {"OSRelease", "os_release"},
                                           {"Architecture", "architecture"},
                                           {"DMIProductName", "product"},
                                           {"DMISysVendor", "vendor"},
                                           {"DMIBoardSerial", "serial"},
                                           {"Backend", "hwloc_backend"},
                                           {"hwlocVersion", "hwloc_version"}};
    hwloc_obj_t root = hwloc_get_root_obj(b->t);
    const char *h = b->in->hostname;
    json_t *a = jobj();
    set_str(a, "hostname", h);
    set_int(a, "sockets", hwloc_get_nbobjs_by_type(b->t, HWLOC_OBJ_PACKAGE));
    set_int(a, "numa_nodes", hwloc_get_nbobjs_by_type(b->t, HWLOC_OBJ_NUMANODE));
    set_int(a, "cores", hwloc_get_nbobjs_by_type(b->t, HWLOC_OBJ_CORE));
    set_int(a, "pus", hwloc_get_nbobjs_by_type(b->t, HWLOC_OBJ_PU));
    set_int(a, "memory_bytes", (long long)root->total_memory);
    const char *cpu = NULL;
    hwloc_obj_t pkg = hwloc_get_obj_by_type(b->t, HWLOC_OBJ_PACKAGE, 0);
    if (pkg != NULL)
        cpu = hwloc_obj_get_info_by_name(pkg, "CPUModel");
    set_str(a, "cpu_model", cpu);
    copy_infos(a, root, infos, sizeof(infos) / sizeof(infos[0]));
    if (b->in->fqdn != NULL && b->in->fqdn[0] != '\0')
        set_str(a, "fqdn", b->in->fqdn);

    /* Aliases: the name as given, its short form, the FQDN, hwloc's HostName, extras. */
    json_t *al = json_array();
    if (al == NULL)
        ls_json_oom();
    add_alias(al, h);
    const char *dot = strchr(h, '.');
    if (dot != NULL) {
        char *shortname = ls_xstrndup(h, (size_t)(dot - h));
        add_alias(al, shortname);
        free(shortname);
    }
    add_alias(al, b->in->fqdn);
    add_alias(al, hwloc_obj_get_info_by_name(root, "HostName"));
    size_t i;
    json_t *v;
    json_array_foreach(b->in->aliases, i, v)
    {
        if (json_is_string(v))
            add_alias(al, json_string_value(v));
    }
    json_object_set_new(a, "aliases", al);
    return put_node(b, b->machine, "machine", h, "up", a, NULL, err);
}

/* ---- LLDP ------------------------------------------------------------------------------- */

/* A required string member of neighbour i, or NULL after setting err. */
static const char *
nb_str(const json_t *nb, size_t i, const char *key, bool required, struct ls_err *err)
{
    json_t *v = json_object_get(nb, key);
    if (v == NULL && !required)
        return NULL;
    const char *s = json_string_value(v);
    if (s == NULL || (required && s[0] == '\0') || strlen(s) > 255) {
        ls_err_set(err, LS_EINVAL, "invalid_lldp",
                   "lldp[%zu].%s: expected a string of 1 to 255 "
                   "characters",
                   i, key);
        return NULL;
    }
    return s;
}

static int put_neighbor(struct builder *b, const json_t *nb, size_t i, struct ls_err *err)
{
    if (!json_is_object(nb))
        return ls_err_set(err, LS_EINVAL, "invalid_lldp", "lldp[%zu]: expected an object", i);
    const char *ifname = nb_str(nb, i, "interface", true, err);
    const char *chassis = ifname ? nb_str(nb, i, "chassis_id", true, err) : NULL;
    const char *port = chassis ? nb_str(nb, i, "port_id", true, err) : NULL;
    if (port == NULL)
        return err ? err->status : LS_EINVAL;
    const char *nic = ls_map_get(&b->nic_by_ifname, ifname);
    if (nic == NULL) {
        b->st.lldp_unmatched++;
        return LS_OK;
    }
    char sw[ID_MAX], sp[ID_MAX];
    int rc = make_id(sw, err, "lldp:switch:%s", chassis);
    if (rc == LS_OK)
        rc = make_id(sp, err, "lldp:switch_port:%s:%s", chassis, port);
    if (rc != LS_OK)
        return rc;
    static const char *const sw_keys[][2] = {{"chassis_id_type", "chassis_id_type"},
                                             {"system_name", "system_name"},
                                             {"system_descr", "system_descr"},
                                             {"mgmt_ip", "mgmt_ip"}};
    static const char *const port_keys[][2] = {{"port_id_type", "port_id_type"},
                                               {"port_descr", "port_descr"}};
    if (ls_map_get(&b->lldp_nodes, sw) == NULL) {
        json_t *a = jobj();
        set_str(a, "chassis_id", chassis);
        for (size_t k = 0; k < sizeof(sw_keys) / sizeof(sw_keys[0]); k++) {
            const char *v = nb_str(nb, i, sw_keys[k][0], false, err);
            if (v == NULL && json_object_get(nb, sw_keys[k][0]) != NULL) {
                json_decref(a);
                return LS_EINVAL;
            }
            set_str(a, sw_keys[k][1], v);
        }
        const char *name = json_string_value(json_object_get(a, "system_name"));
        rc = put_node(b, sw, "switch", name ? name : chassis, "present", a, "lldp", err);
        if (rc != LS_OK)
            return rc;
        ls_map_put(&b->lldp_nodes, sw, (void *)1);
    }
    if (ls_map_get(&b->lldp_nodes, sp) == NULL) {
        json_t *a = jobj();
        set_str(a, "chassis_id", chassis);
        set_str(a, "port_id", port);
        for (size_t k = 0; k < sizeof(port_keys) / sizeof(port_keys[0]); k++) {
            const char *v = nb_str(nb, i, port_keys[k][0], false, err);
            if (v == NULL && json_object_get(nb, port_keys[k][0]) != NULL) {
                json_decref(a);
                return LS_EINVAL;
            }
            set_str(a, port_keys[k][1], v);
        }
        rc = put_node(b, sp, "switch_port", port, "present", a, "lldp", err);
        if (rc == LS_OK)
            rc = put_edge(b, sw, LS_EDGE_CONTAINS, sp, NULL, err);
        if (rc != LS_OK)
            return rc;
        ls_map_put(&b->lldp_nodes, sp, (void *)1);
    }
    json_t *ea = jobj();
    set_str(ea, "via", "lldp");
    set_str(ea, "interface", ifname);
    rc = put_edge(b, nic, LS_EDGE_CONNECTED_TO, sp, ea, err);
    if (rc == LS_OK)
        b->st.lldp_neighbors++;
    return rc;
}

static int put_lldp(struct builder *b, struct ls_err *err)
{
    if (b->in->lldp == NULL)
        return LS_OK;
    if (!json_is_array(b->in->lldp))
        return ls_err_set(err, LS_EINVAL, "invalid_lldp", "lldp: expected an array");
    for (size_t i = 0; i < json_array_size(b->in->lldp); i++) {
        int rc = put_neighbor(b, json_array_get(b->in->lldp, i), i, err);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

static void free_value(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

/* ---- driver ----------------------------------------------------------------------------- */

/* ---- what hwloc loaded, checked once so that the builders may trust it ---------------- */

static bool utf8_ok(const char *s)
{
    if (s == NULL)
        return true;
    json_t *j = json_string(s); /* jansson checks UTF-8; NULL when it is not */
    json_decref(j);
    return j != NULL;
}

/* A cpuset or nodeset: finite and within LS_HOST_MAX_CPU_INDEX. */
static bool bitmap_ok(hwloc_const_bitmap_t set)
{
    return set == NULL || hwloc_bitmap_iszero(set) ||
           (hwloc_bitmap_weight(set) >= 0 && hwloc_bitmap_last(set) <= LS_HOST_MAX_CPU_INDEX);
}

static int bad_obj(struct ls_err *err, hwloc_obj_t o, const char *what)
{
    return ls_err_set(err, LS_EINVAL, "invalid_topology", "hwloc xml: %s %u: %s",
                      hwloc_obj_type_string(o->type), o->logical_index, what);
}

static int check_obj(hwloc_obj_t o, struct ls_err *err)
{
    if (!utf8_ok(o->name) || !utf8_ok(o->subtype))
        return bad_obj(err, o, "name is not UTF-8");
    for (unsigned i = 0; i < o->infos_count; i++)
        if (!utf8_ok(o->infos[i].name) || !utf8_ok(o->infos[i].value))
            return bad_obj(err, o, "an info pair is not UTF-8");
    if (!bitmap_ok(o->cpuset) || !bitmap_ok(o->complete_cpuset) || !bitmap_ok(o->nodeset) ||
        !bitmap_ok(o->complete_nodeset))
        return bad_obj(err, o, "cpuset or nodeset infinite or past the highest index accepted");
    if (o->total_memory > LS_HOST_MAX_BYTES)
        return bad_obj(err, o, "memory size out of range");
    if (o->type == HWLOC_OBJ_NUMANODE) {
        if (o->attr->numanode.local_memory > LS_HOST_MAX_BYTES)
            return bad_obj(err, o, "memory size out of range");
        for (unsigned i = 0; i < o->attr->numanode.page_types_len; i++)
            if (o->attr->numanode.page_types[i].size > LS_HOST_MAX_BYTES ||
                o->attr->numanode.page_types[i].count > LS_HOST_MAX_BYTES)
                return bad_obj(err, o, "page size or count out of range");
    } else if (hwloc_obj_type_is_cache(o->type)) {
        if (o->attr->cache.size > LS_HOST_MAX_BYTES)
            return bad_obj(err, o, "cache size out of range");
    } else if (o->type == HWLOC_OBJ_PCI_DEVICE) {
        float s = o->attr->pcidev.linkspeed;
        if (!(s >= 0.0f && s <= 1e6f)) /* NaN and inf fail both */
            return bad_obj(err, o, "link speed is not a finite number of GB/s");
    } else if (o->type == HWLOC_OBJ_OS_DEVICE && (o->name == NULL || o->name[0] == '\0')) {
        return bad_obj(err, o, "an OS device needs a name");
    }
    return LS_OK;
}

/* Every object of the loaded topology: within LS_HOST_MAX_OBJECTS, and checked. */
static int check_topology(hwloc_topology_t t, struct ls_err *err)
{
    static const int special[] = {HWLOC_TYPE_DEPTH_NUMANODE,   HWLOC_TYPE_DEPTH_BRIDGE,
                                  HWLOC_TYPE_DEPTH_PCI_DEVICE, HWLOC_TYPE_DEPTH_OS_DEVICE,
                                  HWLOC_TYPE_DEPTH_MISC,       HWLOC_TYPE_DEPTH_MEMCACHE};
    int depth = hwloc_topology_get_depth(t), n = depth + (int)(sizeof(special) / sizeof(int));
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += hwloc_get_nbobjs_by_depth(t, i < depth ? i : special[i - depth]);
    if (total > LS_HOST_MAX_OBJECTS)
        return ls_err_set(err, LS_ELIMIT, "topology_too_large",
                          "hwloc xml: %zu objects, more than the limit of %d", total,
                          LS_HOST_MAX_OBJECTS);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = NULL;
        while ((o = hwloc_get_next_obj_by_depth(t, i < depth ? i : special[i - depth], o))) {
            int rc = check_obj(o, err);
            if (rc != LS_OK)
                return rc;
        }
    }
    return LS_OK;
}

/* hwloc loads its plugins (dlopen) when the first topology is initialised and unloads them
 * when the last is destroyed: one idle topology held for the process keeps them loaded, which
 * makes a build ~1.5 ms cheaper. Reachable from a static, so not a leak. */
static hwloc_topology_t keep_plugins;

static void keep_plugins_init(void)
{
    if (hwloc_topology_init(&keep_plugins) != 0)
        keep_plugins = NULL;
}

/* The checks made before hwloc sees the text: cheap, and refusing what hwloc would crash or
 * stall on in the shapes known so far (xml_check.h). */
static int check_xml(const struct ls_host_input *in, struct ls_err *err)
{
    if (in->xml == NULL || in->xml_len == 0)
        return ls_err_set(err, LS_EINVAL, "invalid_topology", "hwloc xml: empty");
    if (in->xml_len > LS_HOST_MAX_XML)
        return ls_err_set(err, LS_ELIMIT, "topology_too_large",
                          "hwloc xml: %zu bytes, more than the limit of %u", in->xml_len,
                          LS_HOST_MAX_XML);
    /* hwloc reads the buffer as a C string of xml_len + 1 bytes: a NUL inside would end the
     * text early while hwloc goes on reading past it, so it is refused, and load_xml's copy
     * carries exactly one terminator. */
    const char *nul = memchr(in->xml, '\0', in->xml_len);
    if (nul != NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_topology", "hwloc xml: NUL byte at offset %zu",
                          (size_t)(nul - in->xml));
    return ls_host_xml_check(in->xml, in->xml_len, err);
}

static pthread_once_t keep_plugins_once = PTHREAD_ONCE_INIT;

void ls_host_topology_global_init(void)
{
    pthread_once(&keep_plugins_once, keep_plugins_init);
}

static int load_xml(struct builder *b, struct ls_err *err)
{
    ls_host_topology_global_init();
    if (hwloc_topology_init(&b->t) != 0) {
        b->t = NULL;
        return ls_err_set(err, LS_ERR, NULL, "hwloc: cannot initialise a topology");
    }
    hwloc_topology_set_io_types_filter(b->t, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    hwloc_topology_set_type_filter(b->t, HWLOC_OBJ_OS_DEVICE, HWLOC_TYPE_FILTER_KEEP_ALL);
    char *copy = ls_xmalloc(b->in->xml_len + 1);
    memcpy(copy, b->in->xml, b->in->xml_len);
    copy[b->in->xml_len] = '\0';
    int rc = hwloc_topology_set_xmlbuffer(b->t, copy, (int)b->in->xml_len + 1);
    if (rc == 0)
        rc = hwloc_topology_load(b->t);
    free(copy);
    if (rc != 0)
        return ls_err_set(err, LS_EINVAL, "invalid_topology",
                          "hwloc xml: not a topology hwloc can load");
    return check_topology(b->t, err);
}

/* The input checks that need no hwloc. */
static int check_input(const struct ls_host_input *in, struct ls_err *err)
{
    int rc = ls_host_name_check(in->hostname, err);
    if (rc == LS_OK)
        rc = check_nics(in->nics, err);
    if (rc == LS_OK)
        rc = check_aliases(in->aliases, err);
    if (rc == LS_OK && in->lldp != NULL && json_array_size(in->lldp) > LS_LLDP_MAX_NEIGHBORS)
        rc = ls_err_set(err, LS_ELIMIT, "too_many_neighbors", "lldp: more than %d neighbours",
                        LS_LLDP_MAX_NEIGHBORS);
    if (rc == LS_OK)
        rc = check_xml(in, err);
    return rc;
}

/* hwloc's load of the XML and the walk of its objects, once check_input passed. */
static int build(struct ls_change_set *cs,
                 const struct ls_host_input *in,
                 const struct ls_host_topo_opts *o,
                 struct ls_host_topo_stats *stats,
                 struct ls_err *err)
{
    struct builder b = {.cs = cs, .in = in, .o = o};
    b.max_nodes = o->max_nodes ? o->max_nodes : LS_HOST_MAX_NODES;
    ls_map_init(&b.nic_by_ifname);
    ls_map_init(&b.lldp_nodes);
    int rc = load_xml(&b, err);
    if (rc != LS_OK)
        goto out;
    rc = make_id(b.machine, err, "host:machine:%s", in->hostname);
    if (rc == LS_OK)
        rc = put_machine(&b, err);
    hwloc_obj_t obj = NULL;
    while (rc == LS_OK && (obj = hwloc_get_next_obj_by_type(b.t, HWLOC_OBJ_PACKAGE, obj)))
        rc = put_socket(&b, obj, err);
    obj = NULL;
    while (rc == LS_OK && (obj = hwloc_get_next_obj_by_type(b.t, HWLOC_OBJ_NUMANODE, obj)))
        rc = put_numa(&b, obj, err);
    obj = NULL;
    while (rc == LS_OK && (obj = hwloc_get_next_obj_by_type(b.t, HWLOC_OBJ_CORE, obj)))
        rc = put_core(&b, obj, err);
    for (int d = 0; rc == LS_OK && o->caches && d < hwloc_topology_get_depth(b.t); d++) {
        if (!hwloc_obj_type_is_cache(hwloc_get_depth_type(b.t, d)))
            continue;
        obj = NULL;
        while (rc == LS_OK && (obj = hwloc_get_next_obj_by_depth(b.t, d, obj)))
            rc = put_cache(&b, obj, err);
    }
    if (rc == LS_OK)
        rc = put_io(&b, err);
    if (rc == LS_OK)
        rc = put_lldp(&b, err);
out:
    if (stats != NULL)
        *stats = b.st;
    if (b.t != NULL)
        hwloc_topology_destroy(b.t);
    ls_map_foreach(&b.nic_by_ifname, free_value, NULL);
    ls_map_cleanup(&b.nic_by_ifname);
    ls_map_cleanup(&b.lldp_nodes);
    return rc;
}

/* The trial's input as bytes (the child may be a fork of the isolate helper, which has none
 * of this process's memory): NUL-separated fields, the XML last (check_xml refused any NUL in
 * it; a host name and JSON text have none): "<caches><pus> <max_nodes>", the host name, then
 * fqdn, nics, lldp and aliases each as '-' (absent) or '+' and its text (JSON for the last
 * three), then the XML. */
static void pack_put(struct ls_buf *b, const void *p, size_t n)
{
    int rc = ls_buf_append(b, p, n);
    LS_ASSERT(rc == LS_OK);
}

static char *
trial_pack(const struct ls_host_input *in, const struct ls_host_topo_opts *o, size_t *len)
{
    struct ls_buf b;
    ls_buf_init(&b, 0); /* unbounded: appends cannot fail */
    char head[64];
    snprintf(head, sizeof(head), "%d%d %zu", o->caches, o->pus, o->max_nodes);
    pack_put(&b, head, strlen(head) + 1);
    pack_put(&b, in->hostname, strlen(in->hostname) + 1);
    const json_t *docs[] = {in->nics, in->lldp, in->aliases};
    for (int i = -1; i < 3; i++) {
        char *text = NULL;
        if (i < 0 && in->fqdn != NULL)
            text = ls_xstrdup(in->fqdn);
        else if (i >= 0 && docs[i] != NULL)
            text = json_dumps(docs[i], JSON_COMPACT | JSON_ENCODE_ANY);
        pack_put(&b, text ? "+" : "-", 1);
        if (text != NULL)
            pack_put(&b, text, strlen(text));
        pack_put(&b, "", 1);
        free(text);
    }
    pack_put(&b, in->xml, in->xml_len);
    *len = b.len;
    return ls_buf_take(&b);
}

/* Next NUL-terminated field of [*p, end); NULL when there is none. */
static const char *trial_field(const char **p, const char *end)
{
    const char *f = *p, *nul = memchr(f, '\0', (size_t)(end - f));
    if (nul == NULL)
        return NULL;
    *p = nul + 1;
    return f;
}

/* In the child: the whole build from trial_pack's bytes, its result dropped (the child's
 * memory goes with it). */
static void trial_build(const void *bytes, size_t len)
{
    const char *p = bytes, *end = p + len;
    const char *opts = trial_field(&p, end), *host = trial_field(&p, end);
    const char *f[4];
    for (int i = 0; i < 4; i++)
        if ((f[i] = trial_field(&p, end)) == NULL)
            return;
    struct ls_host_topo_opts o;
    ls_host_topo_opts_init(&o);
    int caches = 0, pus = 0;
    if (opts == NULL || host == NULL ||
        sscanf(opts, "%1d%1d %zu", &caches, &pus, &o.max_nodes) != 3)
        return;
    o.caches = caches;
    o.pus = pus;
    o.trial = false;
    json_t *docs[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++)
        if (f[i + 1][0] == '+')
            docs[i] = json_loads(f[i + 1] + 1, JSON_DECODE_ANY, NULL);
    struct ls_host_input in = {.hostname = host,
                               .fqdn = f[0][0] == '+' ? f[0] + 1 : NULL,
                               .xml = p,
                               .xml_len = (size_t)(end - p),
                               .nics = docs[0],
                               .lldp = docs[1],
                               .aliases = docs[2]};
    struct ls_err err;
    (void)build(ls_change_set_new("trial"), &in, &o, NULL, &err);
}

/* The SHA-256 digests (hex) of trial inputs whose trial finished: the same bytes build the
 * same way, so an agent's unchanged re-post is not tried again. A cryptographic digest, so
 * that no input can be made to pass for one that was tried; emptied when full. */
#define PASSED_MAX 4096
static pthread_mutex_t passed_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ls_map passed; /* digest -> (void *)1; all zero: an empty map */

static void trial_digest(const char *bytes, size_t len, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, len, (const uint8_t *)bytes);
    sha256_digest(&c, sizeof(d), d);
    for (size_t i = 0; i < sizeof(d); i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Whether hex is a digest that passed; adds it when add. */
static bool trial_passed(const char *hex, bool add)
{
    pthread_mutex_lock(&passed_mu);
    bool known = ls_map_get(&passed, hex) != NULL;
    if (add && !known) {
        if (passed.len >= PASSED_MAX) {
            ls_map_cleanup(&passed);
            ls_map_init(&passed);
        }
        ls_map_put(&passed, hex, (void *)1);
    }
    pthread_mutex_unlock(&passed_mu);
    return known;
}

/* The build in a child first: hwloc 2.9 crashes on XML no scan before it can foresee all of;
 * what crashes or stalls the child is refused, and this process never loads it. An input
 * whose trial finished before is not tried again. */
static int trial(const struct ls_host_input *in,
                 const struct ls_host_topo_opts *o,
                 bool *tried,
                 struct ls_err *err)
{
    size_t len;
    char *bytes = trial_pack(in, o, &len);
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    trial_digest(bytes, len, hex);
    if (trial_passed(hex, false)) {
        free(bytes);
        return LS_OK;
    }
    *tried = true;
    ls_host_topology_global_init(); /* a child forked from here finds the plugins loaded */
    struct ls_isolated_outcome end;
    int rc = ls_isolated_run(trial_build, bytes, len, LS_HOST_TRIAL_TIMEOUT_MS, &end, err);
    free(bytes);
    if (rc != LS_OK)
        return ls_err_wrap(err, "hwloc xml: a trial load");
    if (end.end == LS_ISOLATED_CRASHED)
        return ls_err_set(err, LS_EINVAL, "invalid_topology",
                          "hwloc xml: hwloc crashed on this topology (signal %d, %s) in a trial "
                          "load; refused",
                          end.signo, strsignal(end.signo));
    if (end.end == LS_ISOLATED_TIMEOUT)
        return ls_err_set(err, LS_EINVAL, "invalid_topology",
                          "hwloc xml: a trial load took longer than %d ms; refused",
                          LS_HOST_TRIAL_TIMEOUT_MS);
    /* finished, or exited early (a sanitizer's report): the build in this process gives the
     * answer, the same as the child's, or shows the defect */
    if (end.end == LS_ISOLATED_FINISHED)
        trial_passed(hex, true);
    return LS_OK;
}

int ls_host_topology_build(struct ls_change_set *cs,
                           const struct ls_host_input *in,
                           const struct ls_host_topo_opts *o,
                           struct ls_host_topo_stats *stats,
                           struct ls_err *err)
{
    struct ls_host_topo_opts defaults;
    if (o == NULL) {
        ls_host_topo_opts_init(&defaults);
        o = &defaults;
    }
    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    bool tried = false;
    int rc = check_input(in, err);
    if (rc == LS_OK && o->trial)
        rc = trial(in, o, &tried, err);
    if (rc == LS_OK)
        rc = build(cs, in, o, stats, err);
    if (stats != NULL)
        stats->tried = tried;
    return rc;
}
