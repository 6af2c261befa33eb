/* Machine <-> hypervisor join (see join.h): index every name of every machine and hypervisor
 * the change set and the snapshot know, then pair the nodes the change set puts. */
#include "importers/host/join.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

#define MACHINE_PREFIX    "host:machine:"
#define HYPERVISOR_PREFIX "nova:hypervisor:"
#define LIST_PAGE         512

/* Sentinel value in the short-name index: more than one node has this short name. */
static char ambiguous[] = "";

/* Names of one side, full and short; values are borrowed node ids (from the snapshot or the
 * change set, both alive for the whole call). */
struct side {
    const char *type;   /* "machine" | "hypervisor" */
    const char *prefix; /* id prefix whose remainder is the host name */
    const char *const *attr_keys;
    struct ls_map full;
    struct ls_map shortn;
};

static const char *const machine_keys[] = {"hostname", "fqdn", NULL};
static const char *const hypervisor_keys[] = {"hypervisor_hostname", "host", "service_host", NULL};

/* Calls fn(name) for every name of a node: id host part, name, attribute names, aliases. */
static void each_name(const struct side *sd,
                      const char *id,
                      const char *name,
                      const json_t *attrs,
                      void (*fn)(const char *name, void *arg),
                      void *arg)
{
    size_t plen = strlen(sd->prefix);
    if (strncmp(id, sd->prefix, plen) == 0)
        fn(id + plen, arg);
    if (name != NULL)
        fn(name, arg);
    for (const char *const *k = sd->attr_keys; *k != NULL; k++) {
        const char *v = json_string_value(json_object_get(attrs, *k));
        if (v != NULL)
            fn(v, arg);
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(attrs, "aliases"), i, v)
    {
        if (json_is_string(v))
            fn(json_string_value(v), arg);
    }
}

struct index_arg {
    struct side *sd;
    char *id; /* borrowed */
};

static void index_name(const char *name, void *arg)
{
    struct index_arg *a = arg;
    if (name[0] == '\0')
        return;
    ls_map_put(&a->sd->full, name, a->id);
    const char *dot = strchr(name, '.');
    char *s = dot ? ls_xstrndup(name, (size_t)(dot - name)) : ls_xstrdup(name);
    char *prev = ls_map_get(&a->sd->shortn, s);
    if (prev == NULL)
        ls_map_put(&a->sd->shortn, s, a->id);
    else if (prev != ambiguous && strcmp(prev, a->id) != 0)
        ls_map_put(&a->sd->shortn, s, ambiguous);
    free(s);
}

static void index_node(struct side *sd, const char *id, const char *name, const json_t *attrs)
{
    struct index_arg a = {sd, (char *)id};
    each_name(sd, id, name, attrs, index_name, &a);
}

/* The ids cs deletes, as a set (one pass over cs, not one per node looked at). */
static void deleted_by(struct ls_change_set *cs, struct ls_map *out)
{
    ls_map_init(out);
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        const struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind == LS_CH_NODE_DEL)
            ls_map_put(out, c->id, (void *)1);
    }
}

/* Indexes the side's nodes alive in snap (not deleted by cs), then those cs puts. */
static int index_side(struct side *sd,
                      const struct ls_snap *snap,
                      struct ls_change_set *cs,
                      const struct ls_map *deleted,
                      struct ls_err *err)
{
    struct ls_node_filter f = {.type = sd->type, .layer = -1};
    const struct ls_node *page[LIST_PAGE];
    const char *after = NULL;
    bool more = snap != NULL;
    while (more) {
        size_t n;
        int rc = ls_snap_list_nodes(snap, &f, after, LIST_PAGE, page, &n, &more, err);
        if (rc != LS_OK)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (!ls_map_get(deleted, page[i]->id))
                index_node(sd, page[i]->id, page[i]->name, page[i]->attrs);
        if (n > 0)
            after = page[n - 1]->id;
    }
    for (size_t i = 0; i < ls_change_set_count(cs); i++) {
        const struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind == LS_CH_NODE_PUT && strcmp(c->type, sd->type) == 0)
            index_node(sd, c->id, c->name, c->attrs);
    }
    return LS_OK;
}

struct match_arg {
    const struct side *other;
    const char *found;      /* counterpart id */
    const char *matched_by; /* the name that matched (borrowed from the node) */
    bool by_short;          /* the match so far is only by short name */
};

static void match_name(const char *name, void *arg)
{
    struct match_arg *m = arg;
    if (name[0] == '\0' || (m->found != NULL && !m->by_short))
        return;
    const char *id = ls_map_get(&m->other->full, name);
    if (id != NULL) {
        m->found = id;
        m->matched_by = name;
        m->by_short = false;
        return;
    }
    if (m->found != NULL)
        return;
    const char *dot = strchr(name, '.');
    char *s = dot ? ls_xstrndup(name, (size_t)(dot - name)) : ls_xstrdup(name);
    id = ls_map_get(&m->other->shortn, s);
    free(s);
    if (id != NULL && id != ambiguous) {
        m->found = id;
        m->matched_by = name;
        m->by_short = true;
    }
}

/* Adds "hv runs_on machine" unless another origin owns that edge already. */
static int add_edge(struct ls_change_set *cs,
                    const struct ls_snap *snap,
                    const char *hv,
                    const char *machine,
                    const char *matched_by,
                    size_t *added,
                    struct ls_err *err)
{
    const struct ls_edge *cur = snap ? ls_snap_edge(snap, hv, LS_EDGE_RUNS_ON, machine) : NULL;
    if (cur != NULL && strcmp(cur->owner, ls_change_set_origin(cs)) != 0)
        return LS_OK;
    json_t *a = json_pack("{s:s}", "matched_by", matched_by);
    if (a == NULL)
        ls_json_oom();
    int rc =
        ls_change_put_edge_new(cs, hv, LS_EDGE_RUNS_ON, machine, a, LS_ESRC_INFERRED, 1.0, err);
    if (rc == LS_OK)
        (*added)++;
    return rc;
}

int ls_host_join(struct ls_change_set *cs,
                 const struct ls_snap *snap,
                 size_t *added,
                 struct ls_err *err)
{
    size_t n_added = 0, n = ls_change_set_count(cs);
    bool any = false;
    for (size_t i = 0; i < n && !any; i++) {
        const struct ls_change *c = ls_change_set_at(cs, i);
        any = c->kind == LS_CH_NODE_PUT &&
              (strcmp(c->type, "machine") == 0 || strcmp(c->type, "hypervisor") == 0);
    }
    if (added != NULL)
        *added = 0;
    if (!any)
        return LS_OK;
    struct side machines = {"machine", MACHINE_PREFIX, machine_keys, {0}, {0}};
    struct side hypervisors = {"hypervisor", HYPERVISOR_PREFIX, hypervisor_keys, {0}, {0}};
    ls_map_init(&machines.full);
    ls_map_init(&machines.shortn);
    ls_map_init(&hypervisors.full);
    ls_map_init(&hypervisors.shortn);
    struct ls_map deleted;
    deleted_by(cs, &deleted);
    int rc = index_side(&machines, snap, cs, &deleted, err);
    if (rc == LS_OK)
        rc = index_side(&hypervisors, snap, cs, &deleted, err);
    ls_map_cleanup(&deleted);
    /* A pair is found once from each side when both are in cs: remember what was added. */
    struct ls_map done;
    ls_map_init(&done);
    for (size_t i = 0; rc == LS_OK && i < n; i++) {
        const struct ls_change *c = ls_change_set_at(cs, i);
        if (c->kind != LS_CH_NODE_PUT)
            continue;
        bool is_machine = strcmp(c->type, "machine") == 0;
        if (!is_machine && strcmp(c->type, "hypervisor") != 0)
            continue;
        const struct side *self = is_machine ? &machines : &hypervisors;
        struct match_arg m = {is_machine ? &hypervisors : &machines, NULL, NULL, false};
        each_name(self, c->id, c->name, c->attrs, match_name, &m);
        if (m.found == NULL)
            continue;
        const char *hv = is_machine ? m.found : c->id;
        const char *machine = is_machine ? c->id : m.found;
        char key[2048];
        ls_edge_key(hv, LS_EDGE_RUNS_ON, machine, key, sizeof(key));
        if (ls_map_get(&done, key) != NULL)
            continue;
        ls_map_put(&done, key, (void *)1);
        char *by = ls_xstrdup(m.matched_by); /* the change set may move its strings */
        rc = add_edge(cs, snap, hv, machine, by, &n_added, err);
        free(by);
    }
    ls_map_cleanup(&done);
    ls_map_cleanup(&machines.full);
    ls_map_cleanup(&machines.shortn);
    ls_map_cleanup(&hypervisors.full);
    ls_map_cleanup(&hypervisors.shortn);
    if (added != NULL)
        *added = n_added;
    return rc;
}
