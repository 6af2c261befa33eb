/* A ring of unmatched samples, retried when nodes are created. */
#include "importers/telemetry/pending.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "importers/telemetry/resolve.h"

struct entry {
    struct ls_sample s;
    int64_t added_us;
};

struct ls_tel_pending {
    struct ls_graph *g;
    struct ls_alias *a;
    struct ls_telemetry *t;
    pthread_mutex_t lock;
    struct entry *v;
    size_t max, head, n; /* ring: oldest at head */
    int64_t ttl_us;
    uint64_t recovered, expired;
};

static void retry(struct ls_tel_pending *p)
{
    struct ls_snap *s = ls_graph_snap(p->g);
    int64_t now = ls_time_now_us();
    char id[512];
    size_t kept = 0;
    /* compact the ring in place, oldest first, keeping what still matches nothing */
    for (size_t i = 0; i < p->n; i++) {
        struct entry *e = &p->v[(p->head + i) % p->max];
        if (now - e->added_us > p->ttl_us) {
            p->expired++;
            continue;
        }
        if (ls_tel_resolve(s, p->a, &e->s, id, sizeof(id)) == NULL) {
            ls_telemetry_apply(p->t, id, e->s.metric, e->s.series, e->s.unit,
                               e->s.kind == LS_TEL_COUNTER, e->s.value, e->s.time_us);
            p->recovered++;
            continue;
        }
        p->v[(p->head + kept) % p->max] = *e;
        kept++;
    }
    p->n = kept;
    ls_snap_release(s);
}

static void on_publish(const struct ls_op *ops, size_t n, uint64_t rev, int64_t t, void *arg)
{
    (void)rev;
    (void)t;
    struct ls_tel_pending *p = arg;
    bool created = false;
    for (size_t i = 0; i < n && !created; i++)
        created = ops[i].kind == LS_OP_NODE_PUT && ops[i].created;
    pthread_mutex_lock(&p->lock);
    if (created && p->n)
        retry(p);
    pthread_mutex_unlock(&p->lock);
}

struct ls_tel_pending *ls_tel_pending_new(
    struct ls_graph *g, struct ls_alias *a, struct ls_telemetry *t, size_t max, int64_t ttl_us)
{
    struct ls_tel_pending *p = ls_xcalloc(1, sizeof(*p));
    p->g = g;
    p->a = a;
    p->t = t;
    p->max = max ? max : 1;
    p->ttl_us = ttl_us;
    p->v = ls_xcalloc(p->max, sizeof(*p->v));
    pthread_mutex_init(&p->lock, NULL);
    ls_graph_add_listener(g, on_publish, p);
    return p;
}

void ls_tel_pending_free(struct ls_tel_pending *p)
{
    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p->v);
    free(p);
}

void ls_tel_pending_add(struct ls_tel_pending *p, const struct ls_sample *x)
{
    pthread_mutex_lock(&p->lock);
    if (p->n == p->max) { /* full: the oldest goes */
        p->head = (p->head + 1) % p->max;
        p->n--;
        p->expired++;
    }
    struct entry *e = &p->v[(p->head + p->n) % p->max];
    e->s = *x;
    e->added_us = ls_time_now_us();
    p->n++;
    pthread_mutex_unlock(&p->lock);
}

void ls_tel_pending_stats(struct ls_tel_pending *p,
                          size_t *waiting,
                          uint64_t *recovered,
                          uint64_t *expired)
{
    pthread_mutex_lock(&p->lock);
    *waiting = p->n;
    *recovered = p->recovered;
    *expired = p->expired;
    pthread_mutex_unlock(&p->lock);
}
