/* Events fan-out: what the analytics conclude (a node's colour changed, an incident opened...)
 * goes to the SSE streams (`event: <name>`), to outbound webhooks (--webhook URL, JSON POST
 * from a background thread, retried with exponential backoff, HMAC-signed with
 * --webhook-secret) and to in-process subscribers (e.g. a Watcher trigger). Publishing never
 * blocks on a receiver: each webhook and each subscriber has its own bounded queue and thread;
 * a full queue drops the event and counts it. It does not keep events (no replay). */
#ifndef LS_SERVER_NOTIFY_H
#define LS_SERVER_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

struct ls_notify;
struct ls_sse;

/** Delivery settings. Strings are copied by ls_notify_new. */
struct ls_notify_opts {
    const char *const *webhooks; /* URLs to POST every event to */
    int n_webhooks;
    const char *secret;  /* HMAC-SHA256 key of X-Landscape-Signature; NULL/"" = unsigned */
    size_t queue_max;    /* events waiting per receiver; more are dropped (0: 1024) */
    int max_attempts;    /* tries per event and webhook, first one included (0: 6) */
    long backoff_ms;     /* wait before the first retry, doubled each time (0: 500) */
    long backoff_max_ms; /* the longest wait between tries (0: 30000) */
    long timeout_s;      /* per POST (0: 10) */
};

/**
 * One event as subscribers and webhooks get it: `name` ("colour", "incident", ...), the JSON
 * body POSTed to webhooks ({"event": name, "time": RFC 3339 of publication, "data": {...}})
 * and its `data` member. Borrowed: valid during the callback only (json_incref to keep).
 */
struct ls_notify_event {
    const char *name;
    json_t *data;
    const char *body; /* the webhook body, NUL-terminated */
    size_t body_len;
};

/** An in-process subscriber: called on the subscriber's own thread, one event at a time, in
 *  publication order. It may block (a slow one only fills its own queue). */
typedef void (*ls_notify_fn)(const struct ls_notify_event *ev, void *arg);

/**
 * Starts one delivery thread per webhook. `sse` (may be NULL) gets every event as
 * `event: <name>` on the streams that want it (server/sse.h ls_sse_broadcast); it must outlive
 * the notifier. Caller frees with ls_notify_free.
 */
struct ls_notify *ls_notify_new(const struct ls_notify_opts *o, struct ls_sse *sse);

/** Stops the threads (an event in flight may be cut short; queued ones are dropped) and
 *  frees. Call after every publisher has stopped. NULL is a no-op. */
void ls_notify_free(struct ls_notify *n);

/**
 * Registers fn for the events named `event` (NULL: all). Starts its thread. Thread-safe;
 * call before the publishers start to miss nothing.
 * @return LS_OK; LS_ELIMIT (`too_many_subscribers`) past 16 subscribers.
 */
LS_MUST_CHECK int ls_notify_subscribe(
    struct ls_notify *n, const char *event, ls_notify_fn fn, void *arg, struct ls_err *err);

/**
 * Publishes one event: data is borrowed (deep-copied for the queues: the caller's tree is
 * never shared with the receivers' threads). Renders once,
 * writes to SSE on the caller's thread, queues for each webhook and subscriber; never waits
 * on a receiver. Thread-safe. n NULL is a no-op (analytics off or not started).
 */
void ls_notify_publish(struct ls_notify *n, const char *event, json_t *data);

/** The event names publishers use (one table in notify.c), for filters such as
 *  GET /v1/events?kind=: "colour" (a node's own colour or impact changed), "incident"
 *  (opened, updated, resolved), "deviation" (a service's dependencies changed). */
#define LS_NOTIFY_EVENTS "colour, incident, deviation"
/** Whether name is one of LS_NOTIFY_EVENTS. */
bool ls_notify_known(const char *name);

/** Counters for /metrics, summed over receivers. Thread-safe. */
struct ls_notify_stats {
    uint64_t published; /* events published */
    uint64_t delivered; /* webhook POSTs answered 2xx, plus subscriber calls */
    uint64_t retried;   /* webhook tries after the first */
    uint64_t failed;    /* webhook events given up after max_attempts */
    uint64_t dropped;   /* events not queued: the receiver's queue was full */
};
void ls_notify_stats(struct ls_notify *n, struct ls_notify_stats *out);

/**
 * The X-Landscape-Signature value of a body: "sha256=" + lower-case hex HMAC-SHA256(key,
 * body). out must hold 72 bytes. Pure.
 */
void ls_notify_sign(char out[72], const char *key, const char *body, size_t len);

/** The wait before try number `attempt` (2 = the first retry): base * 2^(attempt-2), at most
 *  max (ms). Pure. */
long ls_notify_backoff_ms(int attempt, long base_ms, long max_ms);

#endif
