/* Private to model/: the multi-version storage behind graph.h.
 *
 * Slots: a node id gets a node slot, an (src, type, dst) an edge slot. Slots live in
 * fixed-size chunks that never move, so a reader holding a slot number can always reach it.
 * A slot whose versions were all reclaimed (deleted, and no held snapshot sees it) dies: its
 * hash entry becomes a tombstone, its id and adjacency blocks are retired; once a compaction
 * round has removed it from every list and adjacency that names it, it is free and the next
 * new id reuses it. That is safe for readers holding older revisions: anything they still
 * reach it by (an old list block, a probe that read the hash entry before the tombstone)
 * leads to a version made at a revision newer than theirs, which they do not see. A slot holds a
 * chain of versions, newest first; a version is alive for revisions [rev_from, rev_to). The writer
 * adds versions tagged with the next revision, closes the versions they replace, and only then
 * publishes the revision number: a reader at revision R sees exactly the versions with rev_from <=
 * R < rev_to.
 *
 * Index structures readers use without locks are append-only (adjacency and type lists:
 * blocks whose count is published with release order) or swapped whole (the hash tables:
 * a resize builds a new table and publishes the pointer; the old one is retired).
 * Retired versions and tables are freed once no held snapshot is older than the revision that
 * retired them. */
#ifndef LS_MODEL_GRAPH_IMPL_H
#define LS_MODEL_GRAPH_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/map.h"
#include "model/graph.h"

#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS 8192 /* 32M slots */
#define REV_ALIVE  UINT64_MAX
#define SLOT_NONE  UINT32_MAX /* an emptied inline adjacency entry; a hash tombstone (slot+1) */

/* Slot life (writer only): LIVE (has or may get versions), DEAD (reclaimed, still named by
 * lists or adjacency), FREE (named by nothing a new snapshot reads: reusable). */
enum { SLOT_LIVE = 0, SLOT_DEAD = 1, SLOT_FREE = 2 };

/* Append-only list of uint32 (edge slots for adjacency, node slots for type lists). */
struct ublk {
    _Atomic uint32_t n;
    uint32_t cap;
    _Atomic(struct ublk *) next;
    uint32_t v[];
};
struct ulist {
    _Atomic(struct ublk *) head;
    struct ublk *tail; /* writer only */
};

/* Each slot caches its newest version (pointer and validity) under a per-slot sequence
 * counter, so that a reader at the current revision decides visibility from the slot alone
 * without touching the version record (a cache miss saved per node and per edge walked).
 * Odd seq = the writer is updating; a reader that sees seq change falls back to the chain. */
struct headcache {
    _Atomic uint32_t seq;
    _Atomic uint64_t from, to;
    _Atomic(void *) v;
};

/* Adjacency of one direction: the first ADJ_INLINE edge slots live in the node slot itself,
 * the rest in an append-only list. n counts both and is published after the entry. */
#define ADJ_INLINE 3
struct adj {
    _Atomic uint32_t n;               /* entries ever pushed (inline ones: the first 3) */
    _Atomic uint32_t inl[ADJ_INLINE]; /* SLOT_NONE once its edge slot died */
};

/* Laid out so that what a walk reads (the cached head and, for nodes of small degree, their
 * whole adjacency) fills the first cache line of a 64-byte-aligned slot. */
struct nslot {
    _Alignas(64) struct headcache hc;
    struct adj out;                 /* edge slots with this node as src */
    struct adj in;                  /* edge slots with this node as dst */
    struct ulist out_more, in_more; /* beyond ADJ_INLINE */
    _Atomic(struct ls_node *) head; /* newest version; chain via ->older */
    _Atomic(char *) id;             /* owned; replaced only when a free slot is reused */
    int16_t type_idx;               /* registry index of the last type it was listed under */
    uint8_t state;                  /* SLOT_LIVE / DEAD / FREE (writer) */
    uint8_t adj_dirty;              /* an edge slot of its adjacency died (writer) */
    _Atomic uint32_t seq;           /* creation order of the id in the slot (markers) */
    const char *listed_source;      /* interned source it was last listed under (writer) */
};

/* One cache line per edge slot. */
struct eslot {
    _Alignas(64) struct headcache hc;
    _Atomic uint32_t src, dst;      /* node slots */
    _Atomic uint16_t type;          /* enum ls_edge_type */
    uint8_t state;                  /* SLOT_LIVE / DEAD / FREE (writer) */
    _Atomic(struct ls_edge *) head; /* newest version; chain via ->older */
    const char *listed_owner;       /* interned owner it was last listed under (writer) */
};

/* Concurrent-read hash table: entries hold slot+1 (0 = empty, SLOT_NONE = a tombstone: the
 * probe goes on) and, for edges, the key. Tombstones are only dropped by a rebuild. */
struct htab {
    uint64_t mask;
    _Atomic uint32_t *slot1;
    uint64_t *ekey; /* edge tables only */
};

/* A held revision: one record per revision number that has holders. */
struct ls_snap {
    struct ls_graph *g;
    uint64_t rev;
    int refs; /* under g->snap_lock */
    struct ls_snap *prev, *next;
    size_t n_nodes, n_edges;
    size_t n_layer[LS_LAYER_COUNT];
};

struct retired {
    enum { RET_NODE, RET_EDGE, RET_TABLE, RET_PTR, RET_CHAIN } kind;
    uint32_t slot; /* RET_NODE / RET_EDGE */
    void *ptr;     /* RET_TABLE: struct htab*; RET_PTR: free(); RET_CHAIN: struct ublk* chain */
    uint64_t rev;  /* collectible once every held snapshot is at >= rev */
};

#define LS_MAX_LISTENERS 8

struct ls_graph {
    /* storage (writer appends; readers index) */
    struct nslot *nchunk[MAX_CHUNKS];
    struct eslot *echunk[MAX_CHUNKS];
    uint32_t n_nslots, n_eslots; /* slots ever made (writer only) */
    _Atomic(struct htab *) nidx; /* id -> node slot */
    _Atomic(struct htab *) eidx; /* (src, dst, type) -> edge slot */
    /* writer only: hash entries in use (with tombstones) and live; slots by state */
    uint32_t idx_used[2], idx_live[2]; /* [0] nodes, [1] edges */
    struct slotvec {
        uint32_t *v;
        uint32_t n, cap;
    } dead[2], free_[2]; /* [0] node slots, [1] edge slots */
    uint32_t seq;        /* last creation sequence number given */
    uint64_t rounds;     /* compaction rounds run (tests, benchmarks) */
    struct ulist *types; /* per registry type: node slots, creation order */
    struct ulist layers[LS_LAYER_COUNT];
    struct ulist all;       /* every node slot, creation order */
    struct ulist all_edges; /* every edge slot, creation order */
    /* writer only: slots by the source (nodes) / owner (edges) they were ever put with, so a
     * replace sweep visits what one origin owns instead of the whole graph. Values: ulist*. */
    struct ls_map by_source, by_owner;

    /* writer */
    pthread_mutex_t write_lock;
    struct retired *ret;
    size_t ret_head, ret_len, ret_cap; /* FIFO ring */

    /* published state */
    pthread_mutex_t snap_lock;
    uint64_t rev; /* current revision (under snap_lock) */
    size_t n_nodes, n_edges, n_layer[LS_LAYER_COUNT];
    struct ls_snap *held_head, *held_tail; /* held snapshots, oldest first */

    struct {
        ls_graph_listener fn;
        void *arg;
    } listeners[LS_MAX_LISTENERS];
    int n_listeners;
};

static inline struct nslot *nslot_at(const struct ls_graph *g, uint32_t s)
{
    return &g->nchunk[s >> CHUNK_BITS][s & (CHUNK_SIZE - 1)];
}

static inline struct eslot *eslot_at(const struct ls_graph *g, uint32_t s)
{
    return &g->echunk[s >> CHUNK_BITS][s & (CHUNK_SIZE - 1)];
}

/* The version of node (edge) slot s alive at revision rev, or NULL. Inline: walks call these
 * once per node and per edge. */
/* Reads the cache consistently; false when the writer was mid-update or the reader's revision
 * is older than the newest version (then the caller walks the chain). */
static inline bool hc_read(const struct headcache *hc, uint64_t rev, void **out)
{
    struct headcache *h = (struct headcache *)hc;
    uint32_t q = atomic_load_explicit(&h->seq, memory_order_acquire);
    if (q & 1)
        return false;
    /* acquire loads, not relaxed ones and a fence: the second read of seq cannot move above
     * them just the same, and ThreadSanitizer can check it (it does not model fences; gcc
     * refuses them under -fsanitize=thread). On x86 both are plain loads. */
    uint64_t from = atomic_load_explicit(&h->from, memory_order_acquire);
    uint64_t to = atomic_load_explicit(&h->to, memory_order_acquire);
    void *v = atomic_load_explicit(&h->v, memory_order_acquire);
    if (atomic_load_explicit(&h->seq, memory_order_relaxed) != q || from > rev)
        return false;
    *out = rev < to ? v : NULL;
    return true;
}

static inline const struct ls_node *
graph_node_at(const struct ls_graph *g, uint32_t s, uint64_t rev)
{
    struct nslot *ns = nslot_at(g, s);
    void *fast;
    if (hc_read(&ns->hc, rev, &fast))
        return fast;
    for (struct ls_node *v = atomic_load_explicit(&ns->head, memory_order_acquire); v;
         v = atomic_load_explicit(&v->older, memory_order_acquire)) {
        if (v->rev_from <= rev)
            return rev < atomic_load_explicit(&v->rev_to, memory_order_acquire) ? v : NULL;
    }
    return NULL;
}

static inline const struct ls_edge *
graph_edge_at(const struct ls_graph *g, uint32_t s, uint64_t rev)
{
    struct eslot *es = eslot_at(g, s);
    void *fast;
    if (hc_read(&es->hc, rev, &fast))
        return fast;
    for (struct ls_edge *v = atomic_load_explicit(&es->head, memory_order_acquire); v;
         v = atomic_load_explicit(&v->older, memory_order_acquire)) {
        if (v->rev_from <= rev)
            return rev < atomic_load_explicit(&v->rev_to, memory_order_acquire) ? v : NULL;
    }
    return NULL;
}

/* Node slot of id, or -1 when the graph never had it. */
int64_t graph_find_nslot(const struct ls_graph *g, const char *id);
/* Edge slot of (src, type, dst), or -1. */
int64_t
graph_find_eslot(const struct ls_graph *g, uint32_t src, enum ls_edge_type type, uint32_t dst);
/* Iterates an append-only list: calls fn(value) until it returns false; false if stopped. */
bool ulist_each(const struct ulist *l, bool (*fn)(uint32_t v, void *arg), void *arg);
/* Iterates a node's edge slots in one direction (out: true) likewise (emptied entries
 * skipped). */
bool adj_each(const struct nslot *ns, bool out, bool (*fn)(uint32_t v, void *arg), void *arg);
/* The writer's list of node (edge) slots listed under an interned origin, or NULL. */
const struct ulist *graph_source_list(const struct ls_graph *g, const char *source, bool edges);
/* Registry index of a type name, or -1. */
int graph_type_index(const char *type);

/* A prepared change: the resolved operations; PUT versions are owned here until publish. */
struct ls_prepared {
    struct ls_op *ops;
    size_t n, cap;
    int64_t time_us;
    uint32_t *slots; /* after ls_graph_stage: the slot of each op's node or edge */
};

void prepared_free(struct ls_prepared *p, bool free_versions);

/* Slot reuse figures (tests and benchmarks): slots ever made, free, dead, rounds run. */
struct graph_slot_stats {
    uint32_t nslots, eslots, nfree, efree, ndead, edead;
    uint64_t rounds;
};
void graph_slot_stats(struct ls_graph *g, struct graph_slot_stats *out);
#endif
