/* The events fan-out (notify.h): one rendered, reference-counted event is handed to SSE at
 * once and queued for every receiver (webhook or in-process subscriber), each with its own
 * bounded ring and thread. A webhook retries 5xx, 429 and transport errors with exponential
 * backoff; other statuses are final. */
#include "server/notify.h"

#include <nettle/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/log.h"
#include "common/time.h"
#include "importers/openstack/client.h"
#include "server/sse.h"

#define MAX_SUBSCRIBERS 16
#define NAME_MAX_       32

struct event {
    _Atomic int refs;
    char name[NAME_MAX_];
    json_t *data;
    char *body;
    size_t len;
};

static void event_unref(struct event *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        json_decref(e->data);
        free(e->body);
        free(e);
    }
}

struct receiver {
    struct ls_notify *n;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    struct event **ring; /* oldest at head */
    size_t head, count, max;
    char *url;       /* a webhook, or NULL */
    ls_notify_fn fn; /* a subscriber, or NULL */
    void *arg;
    char filter[NAME_MAX_]; /* subscriber: only events of this name ("" = all) */
};

struct ls_notify {
    struct ls_sse *sse;
    char *secret;
    int max_attempts;
    long backoff_ms, backoff_max_ms, timeout_s;
    size_t queue_max;
    pthread_mutex_t lock; /* the receiver list */
    struct receiver *recv[MAX_SUBSCRIBERS + LS_CONFIG_LIST_MAX];
    int n_recv, n_subs;
    _Atomic uint64_t published, delivered, retried, failed, dropped;
};

static const char *const known[] = {"colour", "incident", "deviation"};

bool ls_notify_known(const char *name)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(name, known[i]) == 0)
            return true;
    return false;
}

void ls_notify_sign(char out[72], const char *key, const char *body, size_t len)
{
    struct hmac_sha256_ctx h;
    uint8_t mac[SHA256_DIGEST_SIZE];
    hmac_sha256_set_key(&h, strlen(key), (const uint8_t *)key);
    hmac_sha256_update(&h, len, (const uint8_t *)body);
    hmac_sha256_digest(&h, sizeof(mac), mac);
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256=", 7);
    for (size_t i = 0; i < sizeof(mac); i++) {
        out[7 + 2 * i] = hex[mac[i] >> 4];
        out[8 + 2 * i] = hex[mac[i] & 15];
    }
    out[7 + 2 * sizeof(mac)] = '\0';
}

long ls_notify_backoff_ms(int attempt, long base_ms, long max_ms)
{
    long w = base_ms;
    for (int i = 2; i < attempt && w < max_ms; i++)
        w *= 2;
    return w < max_ms ? w : max_ms;
}

/* Waits ms or until stop; true when stopping. Called with r->lock. */
static bool wait_or_stop(struct receiver *r, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!r->stop && pthread_cond_timedwait(&r->cond, &r->lock, &ts) == 0)
        ;
    return r->stop;
}

/* One event to one webhook, retried; called without r->lock. */
static void post(struct receiver *r, const struct event *e)
{
    struct ls_notify *n = r->n;
    char header[96] = "";
    if (n->secret) {
        char sig[72];
        ls_notify_sign(sig, n->secret, e->body, e->len);
        snprintf(header, sizeof(header), "X-Landscape-Signature: %s", sig);
    }
    struct ls_client_opts co = {.timeout_s = n->timeout_s, .header = header[0] ? header : NULL};
    for (int attempt = 1;; attempt++) {
        long status = 0;
        struct ls_buf resp;
        struct ls_err err = {0};
        ls_buf_init(&resp, 4096);
        int rc = ls_client_request(&co, "POST", r->url, "application/json", e->body, e->len,
                                   &status, &resp, &err);
        ls_buf_cleanup(&resp);
        if (rc == LS_OK && status >= 200 && status < 300) {
            atomic_fetch_add(&n->delivered, 1);
            return;
        }
        bool retry = rc != LS_OK || status >= 500 || status == 429;
        if (!retry || attempt >= n->max_attempts) {
            atomic_fetch_add(&n->failed, 1);
            ls_log(LS_LOG_WARN, "notify", "webhook gave up",
                   "url=%s event=%s status=%ld err=\"%s\"", r->url, e->name, status,
                   rc == LS_OK ? "" : err.msg);
            return;
        }
        atomic_fetch_add(&n->retried, 1);
        pthread_mutex_lock(&r->lock);
        bool stop =
            wait_or_stop(r, ls_notify_backoff_ms(attempt + 1, n->backoff_ms, n->backoff_max_ms));
        pthread_mutex_unlock(&r->lock);
        if (stop)
            return;
    }
}

static void *receiver_loop(void *arg)
{
    struct receiver *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->stop && r->count == 0)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->stop)
            break;
        struct event *e = r->ring[r->head];
        r->head = (r->head + 1) % r->max;
        r->count--;
        pthread_mutex_unlock(&r->lock);
        if (r->url) {
            post(r, e);
        } else {
            struct ls_notify_event ev = {e->name, e->data, e->body, e->len};
            r->fn(&ev, r->arg);
            atomic_fetch_add(&r->n->delivered, 1);
        }
        event_unref(e);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static struct receiver *receiver_new(struct ls_notify *n)
{
    struct receiver *r = ls_xcalloc(1, sizeof(*r));
    r->n = n;
    r->max = n->queue_max;
    r->ring = ls_xcalloc(r->max, sizeof(*r->ring));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    return r;
}

static void receiver_free(struct receiver *r)
{
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    for (size_t i = 0; i < r->count; i++)
        event_unref(r->ring[(r->head + i) % r->max]);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r->ring);
    free(r->url);
    free(r);
}

static int receiver_start(struct receiver *r, struct ls_err *err)
{
    if (pthread_create(&r->thread, NULL, receiver_loop, r) != 0)
        return ls_err_set(err, LS_ERR, NULL, "cannot start a notify thread");
    return LS_OK;
}

struct ls_notify *ls_notify_new(const struct ls_notify_opts *o, struct ls_sse *sse)
{
    struct ls_notify *n = ls_xcalloc(1, sizeof(*n));
    n->sse = sse;
    n->secret = o->secret && o->secret[0] ? ls_xstrdup(o->secret) : NULL;
    n->queue_max = o->queue_max ? o->queue_max : 1024;
    n->max_attempts = o->max_attempts > 0 ? o->max_attempts : 6;
    n->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 500;
    n->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 30000;
    n->timeout_s = o->timeout_s > 0 ? o->timeout_s : 10;
    pthread_mutex_init(&n->lock, NULL);
    for (int i = 0; i < o->n_webhooks && i < LS_CONFIG_LIST_MAX; i++) {
        struct receiver *r = receiver_new(n);
        r->url = ls_xstrdup(o->webhooks[i]);
        struct ls_err err;
        if (receiver_start(r, &err) != LS_OK) {
            ls_log(LS_LOG_ERROR, "notify", "webhook not started", "url=%s", r->url);
            free(r->ring);
            free(r->url);
            free(r);
            continue;
        }
        n->recv[n->n_recv++] = r;
    }
    return n;
}

void ls_notify_free(struct ls_notify *n)
{
    if (n == NULL)
        return;
    for (int i = 0; i < n->n_recv; i++)
        receiver_free(n->recv[i]);
    pthread_mutex_destroy(&n->lock);
    free(n->secret);
    free(n);
}

int ls_notify_subscribe(
    struct ls_notify *n, const char *event, ls_notify_fn fn, void *arg, struct ls_err *err)
{
    pthread_mutex_lock(&n->lock);
    if (n->n_subs >= MAX_SUBSCRIBERS) {
        pthread_mutex_unlock(&n->lock);
        return ls_err_set(err, LS_ELIMIT, "too_many_subscribers", "at most %d subscribers",
                          MAX_SUBSCRIBERS);
    }
    struct receiver *r = receiver_new(n);
    r->fn = fn;
    r->arg = arg;
    snprintf(r->filter, sizeof(r->filter), "%s", event ? event : "");
    int rc = receiver_start(r, err);
    if (rc == LS_OK) {
        n->recv[n->n_recv++] = r;
        n->n_subs++;
    } else {
        free(r->ring);
        free(r);
    }
    pthread_mutex_unlock(&n->lock);
    return rc;
}

void ls_notify_publish(struct ls_notify *n, const char *event, json_t *data)
{
    if (n == NULL)
        return;
    char ts[40];
    struct event *e = ls_xcalloc(1, sizeof(*e));
    atomic_init(&e->refs, 1);
    snprintf(e->name, sizeof(e->name), "%s", event);
    /* the receivers' threads get a tree of their own: jansson's reference counts are not
     * safe to share between threads (json_decref reads the count without atomics) */
    e->data = json_deep_copy(data);
    if (!e->data)
        ls_json_oom();
    json_t *body =
        json_pack("{s:s,s:s,s:O}", "event", e->name, "time",
                  ls_time_format_rfc3339(ls_time_now_us(), ts, sizeof(ts)), "data", data);
    if (!body)
        ls_json_oom();
    e->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!e->body)
        ls_json_oom();
    e->len = strlen(e->body);
    atomic_fetch_add(&n->published, 1);
    if (n->sse) {
        char *d = json_dumps(data, JSON_COMPACT);
        if (!d)
            ls_json_oom();
        ls_sse_broadcast(n->sse, e->name, d, strlen(d));
        free(d);
    }
    pthread_mutex_lock(&n->lock);
    for (int i = 0; i < n->n_recv; i++) {
        struct receiver *r = n->recv[i];
        if (r->fn && r->filter[0] && strcmp(r->filter, e->name) != 0)
            continue;
        pthread_mutex_lock(&r->lock);
        if (r->count == r->max) {
            atomic_fetch_add(&n->dropped, 1);
        } else {
            atomic_fetch_add(&e->refs, 1);
            r->ring[(r->head + r->count) % r->max] = e;
            r->count++;
            pthread_cond_signal(&r->cond);
        }
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_unlock(&n->lock);
    event_unref(e);
}

void ls_notify_stats(struct ls_notify *n, struct ls_notify_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (n == NULL)
        return;
    out->published = atomic_load(&n->published);
    out->delivered = atomic_load(&n->delivered);
    out->retried = atomic_load(&n->retried);
    out->failed = atomic_load(&n->failed);
    out->dropped = atomic_load(&n->dropped);
}
