/* Multi-version graph storage: slots, lock-free indices, publish, snapshots, reclamation and
 * slot reuse. The resolution of change sets lives in resolve.c, the read queries in query.c. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "model/graph_impl.h"

/* ---- append-only lists ------------------------------------------------------------------ */

static void ulist_push(struct ulist *l, uint32_t v)
{
    struct ublk *t = l->tail;
    if (t == NULL || atomic_load_explicit(&t->n, memory_order_relaxed) == t->cap) {
        uint32_t cap = t ? (t->cap < 4096 ? t->cap * 2 : 4096) : 4;
        struct ublk *b = ls_xmalloc(sizeof(*b) + cap * sizeof(uint32_t));
        atomic_init(&b->n, 0);
        b->cap = cap;
        atomic_init(&b->next, NULL);
        if (t)
            atomic_store_explicit(&t->next, b, memory_order_release);
        else
            atomic_store_explicit(&l->head, b, memory_order_release);
        l->tail = t = b;
    }
    uint32_t n = atomic_load_explicit(&t->n, memory_order_relaxed);
    t->v[n] = v;
    atomic_store_explicit(&t->n, n + 1, memory_order_release);
}

bool ulist_each(const struct ulist *l, bool (*fn)(uint32_t v, void *arg), void *arg)
{
    for (struct ublk *b = atomic_load_explicit(&((struct ulist *)l)->head, memory_order_acquire); b;
         b = atomic_load_explicit(&b->next, memory_order_acquire)) {
        uint32_t n = atomic_load_explicit(&b->n, memory_order_acquire);
        for (uint32_t i = 0; i < n; i++)
            if (!fn(b->v[i], arg))
                return false;
    }
    return true;
}

static void adj_push(struct adj *a, struct ulist *more, uint32_t v)
{
    uint32_t n = atomic_load_explicit(&a->n, memory_order_relaxed);
    if (n < ADJ_INLINE)
        atomic_store_explicit(&a->inl[n], v, memory_order_relaxed);
    else
        ulist_push(more, v);
    atomic_store_explicit(&a->n, n + 1, memory_order_release);
}

bool adj_each(const struct nslot *ns, bool out, bool (*fn)(uint32_t v, void *arg), void *arg)
{
    const struct adj *a = out ? &ns->out : &ns->in;
    uint32_t n = atomic_load_explicit(&((struct adj *)a)->n, memory_order_acquire);
    for (uint32_t i = 0; i < n && i < ADJ_INLINE; i++) {
        uint32_t v = atomic_load_explicit(&((struct adj *)a)->inl[i], memory_order_relaxed);
        if (v != SLOT_NONE && !fn(v, arg))
            return false;
    }
    /* entries pushed after n was read belong to newer revisions: harmless to visit */
    if (n > ADJ_INLINE)
        return ulist_each(out ? &ns->out_more : &ns->in_more, fn, arg);
    return true;
}

static void chain_free(struct ublk *b)
{
    while (b) {
        struct ublk *next = atomic_load(&b->next);
        free(b);
        b = next;
    }
}

static void ulist_free(struct ulist *l)
{
    chain_free(atomic_load(&l->head));
    atomic_store(&l->head, NULL);
    l->tail = NULL;
}

static void free_list(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    ulist_free(value);
    free(value);
}

/* ---- hash tables --------------------------------------------------------------------------- */

static struct htab *htab_new(uint64_t cap, bool edges)
{
    struct htab *t = ls_xmalloc(sizeof(*t));
    t->mask = cap - 1;
    t->slot1 = ls_xcalloc(cap, sizeof(*t->slot1));
    t->ekey = edges ? ls_xcalloc(cap, sizeof(uint64_t)) : NULL;
    return t;
}

static void htab_free(struct htab *t)
{
    if (t == NULL)
        return;
    free((void *)t->slot1);
    free(t->ekey);
    free(t);
}

static inline uint64_t ekey_of(uint32_t src, enum ls_edge_type type, uint32_t dst)
{
    return ((uint64_t)src << 32 | dst) * 8 + (uint64_t)type; /* unique while slots < 2^29 */
}

int64_t graph_find_nslot(const struct ls_graph *g, const char *id)
{
    const struct htab *t =
        atomic_load_explicit(&((struct ls_graph *)g)->nidx, memory_order_acquire);
    for (uint64_t i = ls_hash_str(id) & t->mask;; i = (i + 1) & t->mask) {
        uint32_t s1 = atomic_load_explicit(&t->slot1[i], memory_order_acquire);
        if (s1 == 0)
            return -1;
        if (s1 != SLOT_NONE &&
            strcmp(atomic_load_explicit(&nslot_at(g, s1 - 1)->id, memory_order_acquire), id) == 0)
            return (int64_t)s1 - 1;
    }
}

int64_t
graph_find_eslot(const struct ls_graph *g, uint32_t src, enum ls_edge_type type, uint32_t dst)
{
    const struct htab *t =
        atomic_load_explicit(&((struct ls_graph *)g)->eidx, memory_order_acquire);
    uint64_t k = ekey_of(src, type, dst);
    for (uint64_t i = ls_hash_u64(k) & t->mask;; i = (i + 1) & t->mask) {
        uint32_t s1 = atomic_load_explicit(&t->slot1[i], memory_order_acquire);
        if (s1 == 0)
            return -1;
        if (s1 != SLOT_NONE && t->ekey[i] == k)
            return (int64_t)s1 - 1;
    }
}

static void retire(struct ls_graph *g, int kind, uint32_t slot, void *ptr, uint64_t rev);

/* Inserts without checking for presence (the caller looked first). Writer only. */
static void htab_insert(struct htab *t, uint64_t h, uint32_t slot, uint64_t ekey)
{
    for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
        if (atomic_load_explicit(&t->slot1[i], memory_order_relaxed) == 0) {
            if (t->ekey)
                t->ekey[i] = ekey;
            atomic_store_explicit(&t->slot1[i], slot + 1, memory_order_release);
            return;
        }
    }
}

/* Makes room for one more entry, keeping entries in use (tombstones too) under 3/4: a new
 * table sized for the live entries (twice them, at least 1024) is filled without the
 * tombstones, published, and the old one retired at the revision being built (readers of
 * older revisions may still probe it). */
static void htab_room(struct ls_graph *g, bool edges)
{
    _Atomic(struct htab *) *ref = edges ? &g->eidx : &g->nidx;
    struct htab *t = atomic_load_explicit(ref, memory_order_relaxed);
    if ((uint64_t)(g->idx_used[edges] + 1) * 4 <= (t->mask + 1) * 3)
        return;
    uint64_t cap = 1024;
    while (cap < (uint64_t)(g->idx_live[edges] + 1) * 2)
        cap *= 2;
    struct htab *n = htab_new(cap, edges);
    for (uint64_t i = 0; i <= t->mask; i++) {
        uint32_t s1 = atomic_load_explicit(&t->slot1[i], memory_order_relaxed);
        if (s1 == 0 || s1 == SLOT_NONE)
            continue;
        uint64_t h = edges ? ls_hash_u64(t->ekey[i]) : ls_hash_str(nslot_at(g, s1 - 1)->id);
        htab_insert(n, h, s1 - 1, edges ? t->ekey[i] : 0);
    }
    g->idx_used[edges] = g->idx_live[edges];
    atomic_store_explicit(ref, n, memory_order_release);
    retire(g, RET_TABLE, 0, t, g->rev + 1);
}

/* Turns the entry of slot s (hash h) into a tombstone. Writer only. */
static void htab_remove(struct ls_graph *g, bool edges, uint64_t h, uint32_t s)
{
    struct htab *t = atomic_load_explicit(edges ? &g->eidx : &g->nidx, memory_order_relaxed);
    for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint32_t s1 = atomic_load_explicit(&t->slot1[i], memory_order_relaxed);
        LS_ASSERT(s1 != 0); /* the slot is in the table */
        if (s1 == s + 1) {
            atomic_store_explicit(&t->slot1[i], SLOT_NONE, memory_order_release);
            g->idx_live[edges]--;
            return;
        }
    }
}

/* ---- slots ------------------------------------------------------------------------------- */

int graph_type_index(const char *type)
{
    for (int i = 0; i < ls_type_count(); i++)
        if (strcmp(ls_type_name(i), type) == 0)
            return i;
    return -1;
}

/* A zeroed, cache-line-aligned chunk of CHUNK_SIZE slots. */
static void *chunk_new(size_t slot_size)
{
    void *p = aligned_alloc(64, CHUNK_SIZE * slot_size);
    if (p == NULL)
        ls_oom(CHUNK_SIZE * slot_size);
    memset(p, 0, CHUNK_SIZE * slot_size);
    return p;
}

static void slotvec_push(struct slotvec *v, uint32_t s)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->v = ls_xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = s;
}

/* A free slot of kind k (0 nodes, 1 edges) to reuse, or a new one at the end. */
static uint32_t slot_take(struct ls_graph *g, int k)
{
    if (g->free_[k].n > 0)
        return g->free_[k].v[--g->free_[k].n];
    uint32_t *n = k ? &g->n_eslots : &g->n_nslots;
    uint32_t s = *n;
    LS_ASSERT((s >> CHUNK_BITS) < MAX_CHUNKS);
    void **chunk = k ? (void **)&g->echunk[s >> CHUNK_BITS] : (void **)&g->nchunk[s >> CHUNK_BITS];
    if (*chunk == NULL)
        *chunk = chunk_new(k ? sizeof(struct eslot) : sizeof(struct nslot));
    (*n)++;
    return s;
}

static uint32_t nslot_new(struct ls_graph *g, const char *id, const char *type, enum ls_layer layer)
{
    uint32_t s = slot_take(g, 0);
    struct nslot *ns = nslot_at(g, s);
    /* a reused slot: its adjacency was emptied when it died, its lists compacted since */
    ns->state = SLOT_LIVE;
    ns->adj_dirty = 0;
    ns->listed_source = NULL;
    ns->type_idx = (int16_t)graph_type_index(type);
    atomic_store_explicit(&ns->seq, ++g->seq, memory_order_relaxed);
    atomic_store_explicit(&ns->id, ls_xstrdup(id), memory_order_release);
    htab_room(g, false);
    htab_insert(atomic_load_explicit(&g->nidx, memory_order_relaxed), ls_hash_str(id), s, 0);
    g->idx_used[0]++;
    g->idx_live[0]++;
    ulist_push(&g->all, s);
    ulist_push(&g->types[ns->type_idx], s);
    ulist_push(&g->layers[layer], s);
    return s;
}

static uint32_t eslot_new(struct ls_graph *g, uint32_t src, enum ls_edge_type type, uint32_t dst)
{
    uint32_t s = slot_take(g, 1);
    struct eslot *es = eslot_at(g, s);
    es->state = SLOT_LIVE;
    es->listed_owner = NULL;
    atomic_store_explicit(&es->src, src, memory_order_relaxed);
    atomic_store_explicit(&es->dst, dst, memory_order_relaxed);
    atomic_store_explicit(&es->type, (uint16_t)type, memory_order_relaxed);
    htab_room(g, true);
    uint64_t k = ekey_of(src, type, dst);
    htab_insert(atomic_load_explicit(&g->eidx, memory_order_relaxed), ls_hash_u64(k), s, k);
    g->idx_used[1]++;
    g->idx_live[1]++;
    adj_push(&nslot_at(g, src)->out, &nslot_at(g, src)->out_more, s);
    adj_push(&nslot_at(g, dst)->in, &nslot_at(g, dst)->in_more, s);
    ulist_push(&g->all_edges, s);
    return s;
}

/* Publishes a slot's newest version into its cache. Writer only. */
static void hc_write(struct headcache *hc, uint64_t from, uint64_t to, void *v)
{
    uint32_t q = atomic_load_explicit(&hc->seq, memory_order_relaxed);
    atomic_store_explicit(&hc->seq, q + 1, memory_order_relaxed);
    /* release stores (not a release fence, which ThreadSanitizer does not model): a reader
     * that sees any of them sees seq odd, then, and retries */
    atomic_store_explicit(&hc->from, from, memory_order_release);
    atomic_store_explicit(&hc->to, to, memory_order_release);
    atomic_store_explicit(&hc->v, v, memory_order_release);
    atomic_store_explicit(&hc->seq, q + 2, memory_order_release);
}

static void nslot_sync(struct nslot *ns)
{
    struct ls_node *h = atomic_load(&ns->head);
    hc_write(&ns->hc, h ? h->rev_from : 0, h ? atomic_load(&h->rev_to) : 0, h);
}

static void eslot_sync(struct eslot *es)
{
    struct ls_edge *h = atomic_load(&es->head);
    hc_write(&es->hc, h ? h->rev_from : 0, h ? atomic_load(&h->rev_to) : 0, h);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

struct ls_graph *ls_graph_new(void)
{
    struct ls_graph *g = ls_xcalloc(1, sizeof(*g));
    atomic_init(&g->nidx, htab_new(1024, false));
    atomic_init(&g->eidx, htab_new(1024, true));
    g->types = ls_xcalloc((size_t)ls_type_count(), sizeof(struct ulist));
    pthread_mutex_init(&g->write_lock, NULL);
    pthread_mutex_init(&g->snap_lock, NULL);
    return g;
}

static void free_nchain(struct ls_node *v)
{
    while (v) {
        struct ls_node *older = atomic_load(&v->older);
        ls_node_free(v);
        v = older;
    }
}

static void free_echain(struct ls_edge *v)
{
    while (v) {
        struct ls_edge *older = atomic_load(&v->older);
        ls_edge_free(v);
        v = older;
    }
}

void ls_graph_free(struct ls_graph *g)
{
    if (g == NULL)
        return;
    LS_ASSERT(g->held_head == NULL); /* every snapshot released */
    for (uint32_t s = 0; s < g->n_nslots; s++) {
        struct nslot *ns = nslot_at(g, s);
        free_nchain(atomic_load(&ns->head));
        if (ns->state == SLOT_LIVE) /* a dead slot's id is retired (freed below) */
            free(atomic_load(&ns->id));
        ulist_free(&ns->out_more);
        ulist_free(&ns->in_more);
    }
    for (uint32_t s = 0; s < g->n_eslots; s++)
        free_echain(atomic_load(&eslot_at(g, s)->head));
    for (int i = 0; i < MAX_CHUNKS; i++) {
        free(g->nchunk[i]);
        free(g->echunk[i]);
    }
    for (size_t i = 0; i < g->ret_len; i++) {
        struct retired *r = &g->ret[(g->ret_head + i) % g->ret_cap];
        if (r->kind == RET_TABLE)
            htab_free(r->ptr);
        else if (r->kind == RET_PTR)
            free(r->ptr);
        else if (r->kind == RET_CHAIN)
            chain_free(r->ptr);
    }
    free(g->ret);
    for (int k = 0; k < 2; k++) {
        free(g->dead[k].v);
        free(g->free_[k].v);
    }
    for (int i = 0; i < ls_type_count(); i++)
        ulist_free(&g->types[i]);
    free(g->types);
    for (int i = 0; i < LS_LAYER_COUNT; i++)
        ulist_free(&g->layers[i]);
    ulist_free(&g->all);
    ulist_free(&g->all_edges);
    ls_map_foreach(&g->by_source, free_list, NULL);
    ls_map_foreach(&g->by_owner, free_list, NULL);
    ls_map_cleanup(&g->by_source);
    ls_map_cleanup(&g->by_owner);
    htab_free(atomic_load(&g->nidx));
    htab_free(atomic_load(&g->eidx));
    pthread_mutex_destroy(&g->write_lock);
    pthread_mutex_destroy(&g->snap_lock);
    free(g);
}

/* ---- reclamation ----------------------------------------------------------------------------- */

static void retire(struct ls_graph *g, int kind, uint32_t slot, void *ptr, uint64_t rev)
{
    if (g->ret_len == g->ret_cap) {
        size_t cap = g->ret_cap ? g->ret_cap * 2 : 256;
        struct retired *r = ls_xmalloc(cap * sizeof(*r));
        for (size_t i = 0; i < g->ret_len; i++)
            r[i] = g->ret[(g->ret_head + i) % g->ret_cap];
        free(g->ret);
        g->ret = r;
        g->ret_cap = cap;
        g->ret_head = 0;
    }
    g->ret[(g->ret_head + g->ret_len) % g->ret_cap] =
        (struct retired){.kind = kind, .slot = slot, .ptr = ptr, .rev = rev};
    g->ret_len++;
}

/* Retires a list's blocks and empties it. */
static void retire_list(struct ls_graph *g, struct ulist *l)
{
    struct ublk *b = atomic_load_explicit(&l->head, memory_order_relaxed);
    if (b == NULL)
        return;
    atomic_store_explicit(&l->head, NULL, memory_order_release);
    l->tail = NULL;
    retire(g, RET_CHAIN, 0, b, g->rev + 1);
}

/* Node slot s has no version any held snapshot can see, and none can come (the writer is
 * collecting, nothing is prepared): its id leaves the index (the string is retired, since a
 * probe may be reading it), its adjacency is emptied (every edge of a deleted node was deleted
 * with it, so no reader at a revision that sees any of them reaches this slot), and it waits
 * in `dead` for the compaction round that drops it from the lists. */
static void node_die(struct ls_graph *g, uint32_t s)
{
    struct nslot *ns = nslot_at(g, s);
    char *id = atomic_load_explicit(&ns->id, memory_order_relaxed);
    htab_remove(g, false, ls_hash_str(id), s);
    retire(g, RET_PTR, 0, id, g->rev + 1);
    retire_list(g, &ns->out_more);
    retire_list(g, &ns->in_more);
    atomic_store_explicit(&ns->out.n, 0, memory_order_release);
    atomic_store_explicit(&ns->in.n, 0, memory_order_release);
    ns->state = SLOT_DEAD;
    slotvec_push(&g->dead[0], s);
}

/* Edge slot s likewise: out of the index; its ends' adjacency still names it, so a live end
 * is marked for the compaction round. */
static void edge_die(struct ls_graph *g, uint32_t s)
{
    struct eslot *es = eslot_at(g, s);
    uint32_t src = atomic_load_explicit(&es->src, memory_order_relaxed);
    uint32_t dst = atomic_load_explicit(&es->dst, memory_order_relaxed);
    uint64_t k = ekey_of(src, (enum ls_edge_type)atomic_load(&es->type), dst);
    htab_remove(g, true, ls_hash_u64(k), s);
    nslot_at(g, src)->adj_dirty = 1;
    nslot_at(g, dst)->adj_dirty = 1;
    es->state = SLOT_DEAD;
    slotvec_push(&g->dead[1], s);
}

/* Cuts the part of a node chain no snapshot at >= min can see: versions whose rev_to <= min.
 * A reader at R >= min stops at the first version with rev_from <= R, which is newer than
 * anything cut, so unlinking is safe. */
static void collect_nslot(struct ls_graph *g, uint32_t s, uint64_t min)
{
    struct nslot *ns = nslot_at(g, s);
    _Atomic(struct ls_node *) *link = &ns->head;
    struct ls_node *v = atomic_load(link);
    while (v && atomic_load(&v->rev_to) > min) {
        link = &v->older;
        v = atomic_load(link);
    }
    if (v) {
        atomic_store_explicit(link, NULL, memory_order_release);
        nslot_sync(ns);
        free_nchain(v);
    }
    if (atomic_load(&ns->head) == NULL && ns->state == SLOT_LIVE)
        node_die(g, s);
}

static void collect_eslot(struct ls_graph *g, uint32_t s, uint64_t min)
{
    struct eslot *es = eslot_at(g, s);
    _Atomic(struct ls_edge *) *link = &es->head;
    struct ls_edge *v = atomic_load(link);
    while (v && atomic_load(&v->rev_to) > min) {
        link = &v->older;
        v = atomic_load(link);
    }
    if (v) {
        atomic_store_explicit(link, NULL, memory_order_release);
        eslot_sync(es);
        free_echain(v);
    }
    if (atomic_load(&es->head) == NULL && es->state == SLOT_LIVE)
        edge_die(g, s);
}

/* Rebuilds list l without the entries whose slot died (nodes: edges false), in the same
 * order. Shared lists (read by snapshots) get new blocks and the old ones are retired: a
 * reader that loaded the old head walks a complete list for its revision. Writer-only lists
 * are rebuilt in place. */
static void compact_list(struct ls_graph *g, struct ulist *l, bool edges, bool shared)
{
    struct ulist fresh;
    atomic_init(&fresh.head, NULL);
    fresh.tail = NULL;
    uint32_t dropped = 0;
    for (struct ublk *b = atomic_load_explicit(&l->head, memory_order_relaxed); b;
         b = atomic_load_explicit(&b->next, memory_order_relaxed)) {
        uint32_t n = atomic_load_explicit(&b->n, memory_order_relaxed);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v = b->v[i];
            if ((edges ? eslot_at(g, v)->state : nslot_at(g, v)->state) == SLOT_LIVE)
                ulist_push(&fresh, v);
            else
                dropped++;
        }
    }
    if (dropped == 0) {
        ulist_free(&fresh);
        return;
    }
    struct ublk *old = atomic_load_explicit(&l->head, memory_order_relaxed);
    atomic_store_explicit(&l->head, atomic_load_explicit(&fresh.head, memory_order_relaxed),
                          memory_order_release);
    l->tail = fresh.tail;
    if (shared)
        retire(g, RET_CHAIN, 0, old, g->rev + 1);
    else
        chain_free(old);
}

static void compact_origin_list(const char *key, void *value, void *arg)
{
    (void)key;
    struct ls_graph **ga = arg;
    compact_list(ga[0], value, ga[1] != NULL, false);
}

/* Drops dead edge slots from a live node's adjacency: inline entries become SLOT_NONE, the
 * overflow lists are rebuilt. */
static void compact_adj(struct ls_graph *g, struct nslot *ns)
{
    struct adj *a[2] = {&ns->out, &ns->in};
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < ADJ_INLINE; i++) {
            uint32_t v = atomic_load_explicit(&a[d]->inl[i], memory_order_relaxed);
            if ((uint32_t)i < atomic_load(&a[d]->n) && v != SLOT_NONE &&
                eslot_at(g, v)->state != SLOT_LIVE)
                atomic_store_explicit(&a[d]->inl[i], SLOT_NONE, memory_order_relaxed);
        }
    compact_list(g, &ns->out_more, true, true);
    compact_list(g, &ns->in_more, true, true);
    ns->adj_dirty = 0;
}

/* The compaction round: once enough slots died, every list and adjacency naming them is
 * rebuilt without them, and they become free. Its cost is linear in the lists, so it runs
 * when the dead are at least a quarter of the live (and 1024): constant time per death. */
static void maybe_compact(struct ls_graph *g)
{
    uint32_t dead = g->dead[0].n + g->dead[1].n;
    uint32_t live = g->idx_live[0] + g->idx_live[1];
    if (dead < 1024 || dead < live / 4)
        return;
    for (uint32_t i = 0; i < g->dead[1].n; i++) { /* adjacency of the live ends */
        struct eslot *es = eslot_at(g, g->dead[1].v[i]);
        uint32_t ends[2] = {atomic_load(&es->src), atomic_load(&es->dst)};
        for (int k = 0; k < 2; k++) {
            struct nslot *ns = nslot_at(g, ends[k]);
            if (ns->adj_dirty && ns->state == SLOT_LIVE)
                compact_adj(g, ns);
        }
    }
    compact_list(g, &g->all, false, true);
    for (int i = 0; i < ls_type_count(); i++)
        compact_list(g, &g->types[i], false, true);
    for (int i = 0; i < LS_LAYER_COUNT; i++)
        compact_list(g, &g->layers[i], false, true);
    compact_list(g, &g->all_edges, true, true);
    struct ls_graph *ga[2] = {g, NULL};
    ls_map_foreach(&g->by_source, compact_origin_list, ga);
    ga[1] = g;
    ls_map_foreach(&g->by_owner, compact_origin_list, ga);
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < g->dead[k].n; i++) {
            uint32_t s = g->dead[k].v[i];
            if (k)
                eslot_at(g, s)->state = SLOT_FREE;
            else
                nslot_at(g, s)->state = SLOT_FREE;
            slotvec_push(&g->free_[k], s);
        }
        g->dead[k].n = 0;
    }
    g->rounds++;
}

void graph_slot_stats(struct ls_graph *g, struct graph_slot_stats *out)
{
    pthread_mutex_lock(&g->write_lock);
    *out = (struct graph_slot_stats){.nslots = g->n_nslots,
                                     .eslots = g->n_eslots,
                                     .nfree = g->free_[0].n,
                                     .efree = g->free_[1].n,
                                     .ndead = g->dead[0].n,
                                     .edead = g->dead[1].n,
                                     .rounds = g->rounds};
    pthread_mutex_unlock(&g->write_lock);
}

/* Frees what no held snapshot can reach. Writer only (called with write_lock held). */
static void collect(struct ls_graph *g)
{
    pthread_mutex_lock(&g->snap_lock);
    uint64_t min = g->held_head ? g->held_head->rev : g->rev;
    pthread_mutex_unlock(&g->snap_lock);
    while (g->ret_len > 0) {
        struct retired *r = &g->ret[g->ret_head];
        if (r->rev > min)
            break;
        struct retired x = *r; /* dying slots retire more: the ring may move */
        g->ret_head = (g->ret_head + 1) % g->ret_cap;
        g->ret_len--;
        if (x.kind == RET_NODE)
            collect_nslot(g, x.slot, min);
        else if (x.kind == RET_EDGE)
            collect_eslot(g, x.slot, min);
        else if (x.kind == RET_TABLE)
            htab_free(x.ptr);
        else if (x.kind == RET_PTR)
            free(x.ptr);
        else
            chain_free(x.ptr);
    }
    maybe_compact(g);
}

/* ---- publish -------------------------------------------------------------------------------- */

uint64_t ls_graph_next_revision(const struct ls_graph *g)
{
    pthread_mutex_lock((pthread_mutex_t *)&g->snap_lock);
    uint64_t r = g->rev + 1;
    pthread_mutex_unlock((pthread_mutex_t *)&g->snap_lock);
    return r;
}

void ls_graph_set_revision(struct ls_graph *g, uint64_t revision)
{
    pthread_mutex_lock(&g->snap_lock);
    if (revision > g->rev)
        g->rev = revision;
    pthread_mutex_unlock(&g->snap_lock);
}

/* Makes node the newest version of node slot s from revision rev; closes the previous one. */
static void link_node(struct ls_graph *g, uint32_t s, struct ls_node *node, uint64_t rev)
{
    struct nslot *ns = nslot_at(g, s);
    struct ls_node *old = atomic_load_explicit(&ns->head, memory_order_relaxed);
    node->rev_from = rev;
    atomic_store_explicit(&node->rev_to, REV_ALIVE, memory_order_relaxed);
    atomic_store_explicit(&node->older, old, memory_order_relaxed);
    if (old && atomic_load_explicit(&old->rev_to, memory_order_relaxed) == REV_ALIVE) {
        atomic_store_explicit(&old->rev_to, rev, memory_order_release);
        retire(g, RET_NODE, s, NULL, rev);
    }
    atomic_store_explicit(&ns->head, node, memory_order_release);
    nslot_sync(ns);
}

static void link_edge(struct ls_graph *g, uint32_t s, struct ls_edge *edge, uint64_t rev)
{
    struct eslot *es = eslot_at(g, s);
    struct ls_edge *old = atomic_load_explicit(&es->head, memory_order_relaxed);
    edge->rev_from = rev;
    atomic_store_explicit(&edge->rev_to, REV_ALIVE, memory_order_relaxed);
    atomic_store_explicit(&edge->older, old, memory_order_relaxed);
    if (old && atomic_load_explicit(&old->rev_to, memory_order_relaxed) == REV_ALIVE) {
        atomic_store_explicit(&old->rev_to, rev, memory_order_release);
        retire(g, RET_EDGE, s, NULL, rev);
    }
    atomic_store_explicit(&es->head, edge, memory_order_release);
    eslot_sync(es);
}

/* Appends slot to the list of `origin` (interned) unless it was listed there last. */
static void list_under(struct ls_map *m, const char **listed, const char *origin, uint32_t slot)
{
    if (*listed == origin)
        return;
    struct ulist *l = ls_map_get(m, origin);
    if (l == NULL) {
        l = ls_xcalloc(1, sizeof(*l));
        ls_map_put(m, origin, l);
    }
    ulist_push(l, slot);
    *listed = origin;
}

const struct ulist *graph_source_list(const struct ls_graph *g, const char *source, bool edges)
{
    return ls_map_get(edges ? &g->by_owner : &g->by_source, source);
}

/* The slot of n's id, made if the graph never had it. */
static uint32_t node_slot(struct ls_graph *g, const struct ls_node *n)
{
    int64_t s = graph_find_nslot(g, n->id);
    return s >= 0 ? (uint32_t)s : nslot_new(g, n->id, n->type, n->layer);
}

/* A node re-created under another type is listed there too (at publish: the listing is seen
 * by readers at once). */
static void list_type(struct ls_graph *g, uint32_t s, const struct ls_node *n)
{
    struct nslot *ns = nslot_at(g, s);
    int ti = graph_type_index(n->type);
    if (ti != ns->type_idx) {
        ns->type_idx = (int16_t)ti;
        ulist_push(&g->types[ti], s);
        ulist_push(&g->layers[n->layer], s);
    }
}

void ls_graph_stage(struct ls_graph *g, struct ls_prepared *p)
{
    if (p->slots)
        return;
    uint32_t *slots = ls_xmalloc((p->n ? p->n : 1) * sizeof(*slots));
    for (size_t i = 0; i < p->n; i++) {
        const struct ls_op *op = &p->ops[i];
        if (op->kind == LS_OP_NODE_PUT) {
            slots[i] = node_slot(g, op->node);
        } else if (op->kind == LS_OP_NODE_DEL) {
            int64_t s = graph_find_nslot(g, op->node->id);
            LS_ASSERT(s >= 0);
            slots[i] = (uint32_t)s;
        } else { /* an edge's ends: put before it (node puts come first) or already there */
            const struct ls_edge *e = op->edge;
            int64_t src = graph_find_nslot(g, e->src), dst = graph_find_nslot(g, e->dst);
            LS_ASSERT(src >= 0 && dst >= 0);
            int64_t s = graph_find_eslot(g, (uint32_t)src, e->type, (uint32_t)dst);
            LS_ASSERT(s >= 0 || op->kind == LS_OP_EDGE_PUT);
            slots[i] = s >= 0 ? (uint32_t)s : eslot_new(g, (uint32_t)src, e->type, (uint32_t)dst);
        }
    }
    p->slots = slots;
}

void ls_graph_publish(struct ls_graph *g, struct ls_prepared *p, uint64_t revision)
{
    uint64_t cur = ls_graph_next_revision(g) - 1;
    LS_ASSERT(revision > cur);
    ls_graph_stage(g, p);
    long dn = 0, de = 0, dl[LS_LAYER_COUNT] = {0};
    for (size_t i = 0; i < p->n; i++) {
        struct ls_op *op = &p->ops[i];
        uint32_t s = p->slots[i];
        switch (op->kind) {
        case LS_OP_NODE_PUT: {
            struct ls_node *n = (struct ls_node *)op->node;
            if (n->revision == 0) /* restored versions keep the revision that made them */
                n->revision = revision;
            list_type(g, s, n);
            list_under(&g->by_source, &nslot_at(g, s)->listed_source, n->source, s);
            if (!n->id_borrowed) { /* share the slot's copy of the id */
                free((char *)n->id);
                n->id = atomic_load_explicit(&nslot_at(g, s)->id, memory_order_relaxed);
                n->id_borrowed = 1;
            }
            link_node(g, s, n, revision);
            if (op->created) {
                dn++;
                dl[n->layer]++;
            }
            break;
        }
        case LS_OP_NODE_DEL: {
            struct ls_node *v = atomic_load(&nslot_at(g, s)->head);
            atomic_store_explicit(&v->rev_to, revision, memory_order_release);
            nslot_sync(nslot_at(g, s));
            retire(g, RET_NODE, s, NULL, revision);
            dn--;
            dl[op->node->layer]--;
            break;
        }
        case LS_OP_EDGE_PUT: {
            struct ls_edge *e = (struct ls_edge *)op->edge;
            if (e->revision == 0)
                e->revision = revision;
            list_under(&g->by_owner, &eslot_at(g, s)->listed_owner, e->owner, s);
            if (!e->ends_borrowed) {
                struct eslot *es = eslot_at(g, s);
                free((char *)e->src);
                free((char *)e->dst);
                e->src = atomic_load_explicit(&nslot_at(g, es->src)->id, memory_order_relaxed);
                e->dst = atomic_load_explicit(&nslot_at(g, es->dst)->id, memory_order_relaxed);
                e->ends_borrowed = 1;
            }
            link_edge(g, s, e, revision);
            if (op->created)
                de++;
            break;
        }
        case LS_OP_EDGE_DEL: {
            struct ls_edge *v = atomic_load(&eslot_at(g, s)->head);
            atomic_store_explicit(&v->rev_to, revision, memory_order_release);
            eslot_sync(eslot_at(g, s));
            retire(g, RET_EDGE, s, NULL, revision);
            de--;
            break;
        }
        }
    }
    pthread_mutex_lock(&g->snap_lock);
    g->rev = revision;
    g->n_nodes = (size_t)((long)g->n_nodes + dn);
    g->n_edges = (size_t)((long)g->n_edges + de);
    for (int l = 0; l < LS_LAYER_COUNT; l++)
        g->n_layer[l] = (size_t)((long)g->n_layer[l] + dl[l]);
    pthread_mutex_unlock(&g->snap_lock);

    for (int i = 0; i < g->n_listeners; i++)
        g->listeners[i].fn(p->ops, p->n, revision, p->time_us, g->listeners[i].arg);
    prepared_free(p, false);
    collect(g);
    pthread_mutex_unlock(&g->write_lock);
}

void ls_graph_abort(struct ls_graph *g, struct ls_prepared *p)
{
    /* slots staged for this change that hold no version die now (edges first: their ends'
     * adjacency names them); nothing ever saw a version in them */
    for (int pass = 0; pass < 2 && p->slots; pass++)
        for (size_t i = 0; i < p->n; i++) {
            bool node = p->ops[i].kind == LS_OP_NODE_PUT || p->ops[i].kind == LS_OP_NODE_DEL;
            if (node != (pass == 1))
                continue;
            uint32_t s = p->slots[i];
            if (node && nslot_at(g, s)->state == SLOT_LIVE && !atomic_load(&nslot_at(g, s)->head))
                node_die(g, s);
            if (!node && eslot_at(g, s)->state == SLOT_LIVE && !atomic_load(&eslot_at(g, s)->head))
                edge_die(g, s);
        }
    prepared_free(p, true);
    pthread_mutex_unlock(&g->write_lock);
}

void ls_graph_add_listener(struct ls_graph *g, ls_graph_listener fn, void *arg)
{
    pthread_mutex_lock(&g->write_lock);
    LS_ASSERT(g->n_listeners < LS_MAX_LISTENERS);
    g->listeners[g->n_listeners].fn = fn;
    g->listeners[g->n_listeners].arg = arg;
    g->n_listeners++;
    pthread_mutex_unlock(&g->write_lock);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

struct ls_snap *ls_graph_snap(struct ls_graph *g)
{
    pthread_mutex_lock(&g->snap_lock);
    struct ls_snap *s = g->held_tail;
    if (s == NULL || s->rev != g->rev) {
        s = ls_xcalloc(1, sizeof(*s));
        s->g = g;
        s->rev = g->rev;
        s->n_nodes = g->n_nodes;
        s->n_edges = g->n_edges;
        memcpy(s->n_layer, g->n_layer, sizeof(s->n_layer));
        s->prev = g->held_tail;
        if (g->held_tail)
            g->held_tail->next = s;
        else
            g->held_head = s;
        g->held_tail = s;
    }
    s->refs++;
    pthread_mutex_unlock(&g->snap_lock);
    return s;
}

void ls_snap_release(struct ls_snap *s)
{
    if (s == NULL)
        return;
    struct ls_graph *g = s->g;
    pthread_mutex_lock(&g->snap_lock);
    if (--s->refs == 0) {
        if (s->prev)
            s->prev->next = s->next;
        else
            g->held_head = s->next;
        if (s->next)
            s->next->prev = s->prev;
        else
            g->held_tail = s->prev;
        free(s);
    }
    pthread_mutex_unlock(&g->snap_lock);
}

uint64_t ls_snap_revision(const struct ls_snap *s)
{
    return s->rev;
}

size_t ls_snap_node_count(const struct ls_snap *s)
{
    return s->n_nodes;
}

size_t ls_snap_edge_count(const struct ls_snap *s)
{
    return s->n_edges;
}

size_t ls_snap_layer_count(const struct ls_snap *s, enum ls_layer layer)
{
    return (unsigned)layer < LS_LAYER_COUNT ? s->n_layer[layer] : 0;
}
