/* Alias index over the graph's attrs.aliases plus manual entries, under one rwlock (lookups
 * are short; updates come from the publishing thread). */
#include "model/alias.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct ls_alias {
    pthread_rwlock_t lock;
    struct ls_map imported; /* alias -> owned node id string */
    struct ls_map manual;
    size_t n;
};

static void set_alias(struct ls_alias *a, struct ls_map *m, const char *alias, const char *id)
{
    /* a dropped alias leaves the map (its key too): churn does not grow it */
    char *old = id ? ls_map_put(m, alias, ls_xstrdup(id)) : ls_map_del(m, alias);
    if (old == NULL && id)
        a->n++;
    if (old && id == NULL)
        a->n--;
    free(old);
}

/* Indexes (or, with id NULL, drops) every alias of a node version. */
static void node_aliases(struct ls_alias *a, const struct ls_node *n, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(n->attrs, "aliases"), i, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL || *s == '\0')
            continue;
        if (id == NULL) { /* only drop it when it still points at this node */
            const char *cur = ls_map_get(&a->imported, s);
            if (cur == NULL || strcmp(cur, n->id) != 0)
                continue;
        }
        set_alias(a, &a->imported, s, id);
    }
}

static void on_publish(const struct ls_op *ops, size_t n, uint64_t rev, int64_t t, void *arg)
{
    (void)rev;
    (void)t;
    struct ls_alias *a = arg;
    pthread_rwlock_wrlock(&a->lock);
    for (size_t i = 0; i < n; i++) {
        const struct ls_op *op = &ops[i];
        if (op->kind == LS_OP_NODE_PUT) {
            if (op->prev)
                node_aliases(a, op->prev, NULL);
            node_aliases(a, op->node, op->node->id);
        } else if (op->kind == LS_OP_NODE_DEL) {
            node_aliases(a, op->node, NULL);
        }
    }
    pthread_rwlock_unlock(&a->lock);
}

struct ls_alias *ls_alias_new(struct ls_graph *g)
{
    struct ls_alias *a = ls_xcalloc(1, sizeof(*a));
    pthread_rwlock_init(&a->lock, NULL);
    ls_map_init(&a->imported);
    ls_map_init(&a->manual);
    /* what the graph has now, then everything published after */
    struct ls_snap *s = ls_graph_snap(g);
    const struct ls_node **page = ls_xmalloc(1000 * sizeof(*page));
    const char *after = NULL;
    bool more = true;
    char last[1024];
    while (more) {
        size_t k;
        struct ls_node_filter f = {.layer = -1};
        if (ls_snap_list_nodes(s, &f, after, 1000, page, &k, &more, NULL) != LS_OK)
            break;
        for (size_t i = 0; i < k; i++)
            node_aliases(a, page[i], page[i]->id);
        if (k == 0)
            break;
        snprintf(last, sizeof(last), "%s", page[k - 1]->id);
        after = last;
    }
    free(page);
    ls_snap_release(s);
    ls_graph_add_listener(g, on_publish, a);
    return a;
}

static void free_value(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

void ls_alias_free(struct ls_alias *a)
{
    if (a == NULL)
        return;
    ls_map_foreach(&a->imported, free_value, NULL);
    ls_map_foreach(&a->manual, free_value, NULL);
    ls_map_cleanup(&a->imported);
    ls_map_cleanup(&a->manual);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

bool ls_alias_lookup(struct ls_alias *a, const char *alias, char *out, size_t cap)
{
    pthread_rwlock_rdlock(&a->lock);
    const char *id = ls_map_get(&a->manual, alias);
    if (id == NULL)
        id = ls_map_get(&a->imported, alias);
    bool ok = id != NULL && strlen(id) < cap;
    if (ok)
        memcpy(out, id, strlen(id) + 1);
    pthread_rwlock_unlock(&a->lock);
    return ok;
}

void ls_alias_put_manual(struct ls_alias *a, const char *alias, const char *node_id)
{
    pthread_rwlock_wrlock(&a->lock);
    set_alias(a, &a->manual, alias, node_id);
    pthread_rwlock_unlock(&a->lock);
}

size_t ls_alias_count(struct ls_alias *a)
{
    pthread_rwlock_rdlock(&a->lock);
    size_t n = a->n;
    pthread_rwlock_unlock(&a->lock);
    return n;
}
