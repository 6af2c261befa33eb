/* Server-sent events: each client has a bounded queue of rendered events, filled by the graph
 * listener on the publishing thread and drained by MHD through a content-reader callback. An
 * idle stream suspends its connection; new data or the heartbeat resumes it.
 *
 * Memory per stream is bounded by sse-queue-bytes. A replay (since= / Last-Event-ID) reads the
 * change log a page at a time from the reader callback, only when the queue has drained, and
 * switches the stream to live events once it has caught up with the published revision. A
 * live stream whose queue overflows gets, after what was queued, a final `overflow` event whose
 * id is the last revision it fully received, and ends: the client reconnects from there. */
#include "server/sse.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/time.h"
#include "server/metrics.h"

struct client {
    struct ls_sse *sse;
    struct MHD_Connection *conn;
    pthread_mutex_t lock;
    struct ls_buf q; /* pending bytes; bounded */
    size_t sent;     /* bytes of q already handed to MHD */
    bool suspended;  /* connection suspended waiting for data */
    bool dropped;    /* queue overflowed (or the replay failed): end the stream */
    bool gone;       /* MHD freed the response */
    /* under sse->lock and c->lock both (read under either) */
    bool replaying;   /* events come from the change log, not the listener */
    uint64_t min_rev; /* live events below this were replayed already */
    /* under c->lock */
    uint64_t resume;  /* every event up to this revision is in the queue (or filtered) */
    char final_[192]; /* sent once the queue drained after a drop, then the stream ends */
    /* reader callback only */
    struct ls_change_cursor cursor; /* replay position */
    char type[64], layer[16], kind[32];
    struct client *next;
};

struct ls_sse {
    struct ls_ctx *ctx;
    pthread_mutex_t lock; /* the client list */
    struct client *clients;
    int n;
    pthread_t heartbeat;
    pthread_cond_t stop_cond;
    _Atomic bool stop; /* written under lock; the streams' readers test it under their own */
};

static void resume(struct client *c)
{
    if (c->suspended && !c->gone) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
    }
}

/* Appends text to a client's queue; false when it does not fit. Called with c->lock. */
static bool append(struct client *c, const char *text, size_t len)
{
    if (c->sent > 0 && c->sent == c->q.len) { /* everything sent: start over */
        ls_buf_reset(&c->q);
        c->sent = 0;
    }
    return ls_buf_append(&c->q, text, len) == LS_OK;
}

/* Ends the stream after what is queued with a final event naming where to resume. */
static void drop(struct client *c, const char *code)
{
    c->dropped = true;
    snprintf(c->final_, sizeof(c->final_),
             "id: %llu\nevent: overflow\ndata: {\"code\":\"%s\",\"resume_since\":%llu}\n\n",
             (unsigned long long)c->resume, code, (unsigned long long)c->resume);
}

/* Appends text to a live client's queue; a full queue drops the client. Called with c->lock. */
static void push(struct client *c, const char *text, size_t len)
{
    if (c->dropped)
        return;
    if (!append(c, text, len)) {
        drop(c, "slow_consumer");
        ls_log(LS_LOG_WARN, "sse", "slow event client dropped", "queue_bytes=%zu resume_since=%llu",
               c->q.max, (unsigned long long)c->resume);
    }
    resume(c);
}

static bool wants(const struct client *c, const struct ls_op *op)
{
    bool node = op->kind == LS_OP_NODE_PUT || op->kind == LS_OP_NODE_DEL;
    if (c->kind[0] && strcmp(c->kind, node ? "node" : "edge") != 0)
        return false;
    if (!node) /* type/layer filters select node events */
        return c->type[0] == '\0' && c->layer[0] == '\0';
    if (c->type[0] && strcmp(c->type, op->node->type) != 0)
        return false;
    if (c->layer[0] && strcmp(c->layer, ls_layer_name(op->node->layer)) != 0)
        return false;
    return true;
}

/* Renders one operation as an SSE event. */
static void render(struct ls_buf *b, const struct ls_op *op, uint64_t rev, int64_t t)
{
    char key[2048], ts[40];
    bool node = op->kind == LS_OP_NODE_PUT || op->kind == LS_OP_NODE_DEL;
    bool put = op->kind == LS_OP_NODE_PUT || op->kind == LS_OP_EDGE_PUT;
    ls_buf_reset(b);
    json_t *id = json_string(
        node ? op->node->id
             : ls_edge_key(op->edge->src, op->edge->type, op->edge->dst, key, sizeof(key)));
    char *id_txt = json_dumps(id, JSON_ENCODE_ANY);
    json_decref(id);
    int rc =
        ls_buf_printf(b,
                      "id: %llu\nevent: change\ndata: {\"revision\":%llu,\"time\":\"%s\","
                      "\"op\":\"%s\",\"kind\":\"%s\",\"id\":%s,\"%s\":",
                      (unsigned long long)rev, (unsigned long long)rev,
                      ls_time_format_rfc3339(t, ts, sizeof(ts)), put ? "put" : "delete",
                      node ? "node" : "edge", id_txt ? id_txt : "null", node ? "node" : "edge");
    free(id_txt);
    size_t len;
    const char *body = node ? ls_node_json(op->node, &len) : ls_edge_json(op->edge, &len);
    rc = rc ? rc : ls_buf_append(b, body, len);
    rc = rc ? rc : ls_buf_puts(b, "}\n\n");
    LS_ASSERT(rc == LS_OK);
}

static void on_publish(const struct ls_op *ops, size_t n, uint64_t rev, int64_t t, void *arg)
{
    struct ls_sse *sse = arg;
    pthread_mutex_lock(&sse->lock);
    if (sse->clients == NULL) {
        pthread_mutex_unlock(&sse->lock);
        return;
    }
    struct ls_buf ev;
    ls_buf_init(&ev, 0);
    for (size_t i = 0; i < n; i++) {
        bool rendered = false;
        for (struct client *c = sse->clients; c; c = c->next) {
            if (c->replaying || rev < c->min_rev || !wants(c, &ops[i]))
                continue;
            if (!rendered) {
                render(&ev, &ops[i], rev, t);
                rendered = true;
            }
            pthread_mutex_lock(&c->lock);
            push(c, ev.data, ev.len);
            pthread_mutex_unlock(&c->lock);
        }
    }
    for (struct client *c = sse->clients; c; c = c->next) { /* the revision is all queued */
        if (c->replaying || rev < c->min_rev)
            continue;
        pthread_mutex_lock(&c->lock);
        if (!c->dropped)
            c->resume = rev;
        pthread_mutex_unlock(&c->lock);
    }
    ls_buf_cleanup(&ev);
    pthread_mutex_unlock(&sse->lock);
}

void ls_sse_broadcast(struct ls_sse *sse, const char *event, const char *data, size_t len)
{
    pthread_mutex_lock(&sse->lock);
    if (sse->clients == NULL) {
        pthread_mutex_unlock(&sse->lock);
        return;
    }
    struct ls_buf ev;
    ls_buf_init(&ev, 0);
    int rc = ls_buf_printf(&ev, "event: %s\ndata: ", event);
    rc = rc ? rc : ls_buf_append(&ev, data, len);
    rc = rc ? rc : ls_buf_puts(&ev, "\n\n");
    LS_ASSERT(rc == LS_OK);
    for (struct client *c = sse->clients; c; c = c->next) {
        if (c->replaying || c->type[0] || c->layer[0] || (c->kind[0] && strcmp(c->kind, event)))
            continue;
        pthread_mutex_lock(&c->lock);
        push(c, ev.data, ev.len);
        pthread_mutex_unlock(&c->lock);
    }
    ls_buf_cleanup(&ev);
    pthread_mutex_unlock(&sse->lock);
}

static void *heartbeat(void *arg)
{
    struct ls_sse *sse = arg;
    pthread_mutex_lock(&sse->lock);
    while (!sse->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 15;
        pthread_cond_timedwait(&sse->stop_cond, &sse->lock, &ts);
        for (struct client *c = sse->clients; c && !sse->stop; c = c->next) {
            pthread_mutex_lock(&c->lock);
            if (!c->replaying && c->sent == c->q.len) /* only an idle stream needs it */
                push(c, ": heartbeat\n\n", 13);
            pthread_mutex_unlock(&c->lock);
        }
    }
    pthread_mutex_unlock(&sse->lock);
    return NULL;
}

struct ls_sse *ls_sse_new(struct ls_ctx *ctx)
{
    struct ls_sse *sse = ls_xcalloc(1, sizeof(*sse));
    sse->ctx = ctx;
    pthread_mutex_init(&sse->lock, NULL);
    pthread_cond_init(&sse->stop_cond, NULL);
    ls_graph_add_listener(ctx->graph, on_publish, sse);
    pthread_create(&sse->heartbeat, NULL, heartbeat, sse);
    return sse;
}

void ls_sse_shutdown(struct ls_sse *sse)
{
    if (sse == NULL)
        return;
    pthread_mutex_lock(&sse->lock);
    sse->stop = true;
    pthread_cond_signal(&sse->stop_cond);
    for (struct client *c = sse->clients; c; c = c->next) {
        pthread_mutex_lock(&c->lock);
        resume(c); /* the reader sees stop and ends the stream */
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_unlock(&sse->lock);
    /* give MHD a moment to end the resumed streams before the daemon stops */
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&sse->lock);
        int n = sse->n;
        pthread_mutex_unlock(&sse->lock);
        if (n == 0)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void ls_sse_free(struct ls_sse *sse)
{
    if (sse == NULL)
        return;
    pthread_mutex_lock(&sse->lock);
    sse->stop = true;
    pthread_cond_signal(&sse->stop_cond);
    pthread_mutex_unlock(&sse->lock);
    pthread_join(sse->heartbeat, NULL);
    pthread_mutex_destroy(&sse->lock);
    pthread_cond_destroy(&sse->stop_cond);
    free(sse);
}

/* True when a logged operation (from the change log) passes the client's filter. */
static bool wants_logged(const struct client *c, json_t *op)
{
    const char *kind = json_string_value(json_object_get(op, "kind"));
    const char *type = json_string_value(json_object_get(op, "type"));
    const char *layer = json_string_value(json_object_get(op, "layer"));
    bool node = kind && strcmp(kind, "node") == 0;
    return !((c->kind[0] && (!kind || strcmp(c->kind, kind))) ||
             (!node && (c->type[0] || c->layer[0])) ||
             (node && c->type[0] && (!type || strcmp(c->type, type))) ||
             (node && c->layer[0] && (!layer || strcmp(c->layer, layer))));
}

/* Renders one logged operation as a replayed event. */
static char *render_logged(json_t *op, uint64_t rev)
{
    json_t *ev =
        json_pack("{s:I,s:O,s:O,s:O,s:O,s:b}", "revision", (json_int_t)rev, "time",
                  json_object_get(op, "time"), "op", json_object_get(op, "op"), "kind",
                  json_object_get(op, "kind"), "id", json_object_get(op, "id"), "replayed", 1);
    char *txt = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    int rc = ls_buf_printf(&b, "id: %llu\nevent: change\ndata: %s\n\n", (unsigned long long)rev,
                           txt ? txt : "null");
    LS_ASSERT(rc == LS_OK);
    free(txt);
    return ls_buf_take(&b);
}

/* One step of a replay, called from the reader callback with an empty queue and no lock held:
 * queues the next page of the change log (as much of it as fits; the cursor moves per event
 * queued), or, when the log has nothing after the cursor up to the published revision, turns
 * the stream live. */
static void replay_step(struct client *c)
{
    struct ls_sse *sse = c->sse;
    json_t *page = NULL;
    bool more = false, log_end = false;
    uint64_t end = 0;
    struct ls_err err;
    /* published before the page is read, so committed: in the page if in the log at all */
    uint64_t published = ls_graph_next_revision(sse->ctx->graph) - 1;
    if (ls_store_change_ops(sse->ctx->store, &c->cursor, (size_t)sse->ctx->cfg->max_page_size,
                            &page, &more, &end, &log_end, &err) != LS_OK) {
        pthread_mutex_lock(&c->lock);
        c->resume = c->cursor.rank == 4 ? c->cursor.revision : c->cursor.revision - 1;
        drop(c, err.code ? err.code : "replay_failed"); /* the client reconnects from there */
        pthread_mutex_unlock(&c->lock);
        return;
    }
    size_t i, queued = 0;
    json_t *op;
    json_array_foreach(page, i, op)
    {
        uint64_t rev = (uint64_t)json_integer_value(json_object_get(op, "revision"));
        if (wants_logged(c, op)) {
            char *ev = render_logged(op, rev);
            pthread_mutex_lock(&c->lock);
            bool idle = c->sent == c->q.len;
            bool ok = append(c, ev, strlen(ev));
            pthread_mutex_unlock(&c->lock);
            free(ev);
            if (!ok && !idle)
                break; /* the rest waits for the queue to drain */
            if (!ok)   /* larger than the whole queue: skipped, or the stream would stall */
                ls_log(LS_LOG_WARN, "sse", "replayed event larger than the queue skipped",
                       "revision=%llu queue_bytes=%zu", (unsigned long long)rev, c->q.max);
        }
        ls_change_cursor_advance(&c->cursor, op);
        queued++;
    }
    if (queued == json_array_size(page) && !more) {
        /* every operation up to `end` is queued: move past the revisions looked at, and past
         * `published` when the log ended (a revision is logged before it is published, so
         * one up to `published` that the page lacks has no operations to replay) */
        if (log_end && published > end)
            end = published;
        ls_change_cursor_cleanup(&c->cursor);
        c->cursor = (struct ls_change_cursor){.revision = end, .rank = 4};
        /* caught up with what listeners were told? then live from the next revision on; the
         * listener runs under sse->lock after the revision is published, so none is missed */
        pthread_mutex_lock(&sse->lock);
        if (c->cursor.revision >= ls_graph_next_revision(sse->ctx->graph) - 1) {
            pthread_mutex_lock(&c->lock);
            c->min_rev = c->cursor.revision + 1;
            c->resume = c->cursor.revision;
            c->replaying = false;
            pthread_mutex_unlock(&c->lock);
        }
        pthread_mutex_unlock(&sse->lock);
    }
    pthread_mutex_lock(&c->lock);
    if (c->cursor.rank == 4) /* between revisions */
        c->resume = c->cursor.revision;
    pthread_mutex_unlock(&c->lock);
    json_decref(page);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct client *c = cls;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        ssize_t n;
        if (c->sent < c->q.len) {
            size_t k = c->q.len - c->sent < max ? c->q.len - c->sent : max;
            memcpy(buf, c->q.data + c->sent, k);
            c->sent += k;
            n = (ssize_t)k;
        } else if (c->dropped && c->final_[0]) {
            /* the queue drained: the final event goes out alone */
            size_t k = strlen(c->final_);
            ls_buf_reset(&c->q);
            c->sent = 0;
            if (ls_buf_append(&c->q, c->final_, k) != LS_OK) /* the queue holds >= 4096 bytes */
                c->q.len = 0;
            c->final_[0] = '\0';
            pthread_mutex_unlock(&c->lock);
            continue;
        } else if (c->dropped || c->sse->stop) {
            n = MHD_CONTENT_READER_END_OF_STREAM;
        } else if (c->replaying) {
            pthread_mutex_unlock(&c->lock);
            replay_step(c); /* queues the next page, or goes live */
            continue;
        } else {
            /* nothing to send: park the connection until push() resumes it */
            c->suspended = true;
            MHD_suspend_connection(c->conn);
            n = 0;
        }
        pthread_mutex_unlock(&c->lock);
        return n;
    }
}

static void client_free(void *cls)
{
    struct client *c = cls;
    struct ls_sse *sse = c->sse;
    pthread_mutex_lock(&sse->lock);
    for (struct client **p = &sse->clients; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    sse->n--;
    pthread_mutex_unlock(&sse->lock);
    ls_metrics_sse_clients(sse->ctx->metrics, -1);
    ls_change_cursor_cleanup(&c->cursor);
    ls_buf_cleanup(&c->q);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int ls_sse_attach(struct ls_sse *sse,
                  struct ls_req *req,
                  const struct ls_sse_filter *f,
                  bool replay,
                  uint64_t since,
                  struct MHD_Response **out,
                  struct ls_err *err)
{
    struct client *c = ls_xcalloc(1, sizeof(*c));
    c->sse = sse;
    c->conn = req->conn;
    pthread_mutex_init(&c->lock, NULL);
    ls_buf_init(&c->q, (size_t)sse->ctx->cfg->sse_queue_bytes);
    snprintf(c->type, sizeof(c->type), "%s", f->type ? f->type : "");
    snprintf(c->layer, sizeof(c->layer), "%s", f->layer ? f->layer : "");
    snprintf(c->kind, sizeof(c->kind), "%s", f->kind ? f->kind : "");
    pthread_mutex_lock(&sse->lock);
    if (sse->n >= sse->ctx->cfg->sse_max_clients) {
        pthread_mutex_unlock(&sse->lock);
        ls_buf_cleanup(&c->q);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return ls_err_set(err, LS_EUNAVAIL, "too_many_streams", "at most %ld event streams",
                          sse->ctx->cfg->sse_max_clients);
    }
    /* live events from the next revision on; with a replay, from the change log first (paged
     * by the reader callback) until it catches up */
    uint64_t now = ls_graph_next_revision(sse->ctx->graph) - 1;
    c->min_rev = now + 1;
    c->resume = now;
    if (replay && since < now) {
        c->replaying = true;
        c->cursor = (struct ls_change_cursor){.revision = since, .rank = 4};
        c->resume = since;
    }
    c->next = sse->clients;
    sse->clients = c;
    sse->n++;
    pthread_mutex_unlock(&sse->lock);
    ls_metrics_sse_clients(sse->ctx->metrics, 1);

    pthread_mutex_lock(&c->lock);
    static const char hello[] = ": landscape events\nretry: 2000\n\n";
    if (!append(c, hello, sizeof(hello) - 1))
        c->q.len = 0;
    pthread_mutex_unlock(&c->lock);
    (void)err;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, reader, c, client_free);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    *out = r;
    return LS_OK;
}
