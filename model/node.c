/* Node and edge versions: construction, JSON rendering and the per-version rendering cache. */
#include "model/node.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/map.h"
#include "common/time.h"

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ls_map interned; /* string -> itself; never freed (bounded by distinct origins) */

const char *ls_intern(const char *s)
{
    pthread_mutex_lock(&intern_lock);
    bool added;
    struct ls_map_entry *e = ls_map_upsert(&interned, s, &added);
    if (added) /* the map's copy of the key is the interned string */
        e->value = e->key;
    const char *v = e->value;
    pthread_mutex_unlock(&intern_lock);
    return v;
}

static json_t *empty_object;
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

static void make_empty(void)
{
    empty_object = json_object();
    if (empty_object == NULL)
        ls_json_oom();
}

json_t *ls_json_empty(void)
{
    pthread_once(&empty_once, make_empty);
    return json_incref(empty_object);
}

/* Registry string for a type (static storage), or NULL. */
static const char *registry_type(const char *type)
{
    for (int i = 0; i < ls_type_count(); i++)
        if (strcmp(ls_type_name(i), type) == 0)
            return ls_type_name(i);
    return NULL;
}

/* A new reference to attrs, the shared empty object for NULL or {}. */
static json_t *keep_attrs(json_t *attrs)
{
    if (attrs == NULL || (json_is_object(attrs) && json_object_size(attrs) == 0))
        return ls_json_empty();
    return json_incref(attrs);
}

struct ls_node *ls_node_new(const char *id,
                            const char *type,
                            enum ls_layer layer,
                            const char *name,
                            const char *state,
                            json_t *attrs,
                            const char *source)
{
    struct ls_node *n = ls_xcalloc(1, sizeof(*n));
    n->id = ls_xstrdup(id);
    n->type = registry_type(type);
    LS_ASSERT(n->type != NULL);
    n->layer = layer;
    n->name = ls_xstrdup(name ? name : "");
    n->state = ls_xstrdup(state ? state : "");
    n->attrs = keep_attrs(attrs);
    n->source = ls_intern(source ? source : "");
    atomic_init(&n->json, NULL);
    return n;
}

void ls_node_free(struct ls_node *n)
{
    if (n == NULL)
        return;
    if (!n->id_borrowed)
        free((char *)n->id);
    free(n->name);
    free(n->state);
    json_decref(n->attrs);
    free(atomic_load(&n->json));
    free(n);
}

struct ls_edge *ls_edge_new(const char *src,
                            const char *dst,
                            enum ls_edge_type type,
                            json_t *attrs,
                            enum ls_edge_source esource,
                            const char *owner,
                            double weight)
{
    struct ls_edge *e = ls_xcalloc(1, sizeof(*e));
    e->src = ls_xstrdup(src);
    e->dst = ls_xstrdup(dst);
    e->type = type;
    e->attrs = keep_attrs(attrs);
    e->esource = esource;
    e->owner = ls_intern(owner ? owner : "");
    e->weight = weight;
    atomic_init(&e->json, NULL);
    return e;
}

void ls_edge_free(struct ls_edge *e)
{
    if (e == NULL)
        return;
    if (!e->ends_borrowed) {
        free((char *)e->src);
        free((char *)e->dst);
    }
    json_decref(e->attrs);
    free(atomic_load(&e->json));
    free(e);
}

char *ls_edge_key(const char *src, enum ls_edge_type type, const char *dst, char *buf, size_t cap)
{
    /* "src|type|dst", cut at cap like snprintf (this is on every edge's path: no format) */
    const char *parts[] = {src, "|", ls_edge_type_name(type), "|", dst};
    size_t len = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && cap > 0; i++) {
        size_t n = strlen(parts[i]);
        if (len + n >= cap)
            n = cap - 1 - len;
        memcpy(buf + len, parts[i], n);
        len += n;
    }
    if (cap > 0)
        buf[len] = '\0';
    return buf;
}

/* Sets key to a new string value (aborts on OOM). */
static void set_str(json_t *o, const char *key, const char *s)
{
    if (json_object_set_new(o, key, json_string(s)) != 0)
        ls_json_oom();
}

static void set_time(json_t *o, const char *key, int64_t t)
{
    char buf[40];
    set_str(o, key, ls_time_format_rfc3339(t, buf, sizeof(buf)));
}

json_t *ls_node_to_json(const struct ls_node *n)
{
    json_t *o = json_object();
    if (o == NULL)
        ls_json_oom();
    set_str(o, "id", n->id);
    set_str(o, "layer", ls_layer_name(n->layer));
    set_str(o, "type", n->type);
    set_str(o, "name", n->name);
    set_str(o, "state", n->state);
    json_object_set(o, "attrs", n->attrs);
    set_str(o, "source", n->source);
    set_time(o, "created_at", n->created_at);
    set_time(o, "updated_at", n->updated_at);
    json_object_set_new(o, "revision", json_integer((json_int_t)n->revision));
    return o;
}

json_t *ls_edge_to_json(const struct ls_edge *e)
{
    char key[1024];
    json_t *o = json_object();
    if (o == NULL)
        ls_json_oom();
    set_str(o, "id", ls_edge_key(e->src, e->type, e->dst, key, sizeof(key)));
    set_str(o, "src", e->src);
    set_str(o, "dst", e->dst);
    set_str(o, "type", ls_edge_type_name(e->type));
    json_object_set(o, "attrs", e->attrs);
    set_str(o, "source", ls_edge_source_name(e->esource));
    set_str(o, "owner", e->owner);
    json_object_set_new(o, "weight", json_real(e->weight));
    set_time(o, "created_at", e->created_at);
    set_time(o, "updated_at", e->updated_at);
    json_object_set_new(o, "revision", json_integer((json_int_t)e->revision));
    return o;
}

/* Renders once and publishes with a CAS; a loser frees its copy. */
static const char *
cached(_Atomic(char *) *slot, json_t *(*render)(const void *), const void *v, size_t *len)
{
    char *s = atomic_load_explicit(slot, memory_order_acquire);
    if (s == NULL) {
        json_t *o = render(v);
        char *fresh = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (fresh == NULL)
            ls_json_oom();
        char *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(slot, &expected, fresh, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            s = fresh;
        } else {
            free(fresh);
            s = expected;
        }
    }
    if (len)
        *len = strlen(s);
    return s;
}

static json_t *render_node(const void *v)
{
    return ls_node_to_json(v);
}

static json_t *render_edge(const void *v)
{
    return ls_edge_to_json(v);
}

const char *ls_node_json(const struct ls_node *n, size_t *len)
{
    return cached((_Atomic(char *) *)&n->json, render_node, n, len);
}

const char *ls_edge_json(const struct ls_edge *e, size_t *len)
{
    return cached((_Atomic(char *) *)&e->json, render_edge, e, len);
}
