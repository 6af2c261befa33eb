/* The incident loop (incident_loop.h): watch -> engine -> Postgres -> events. */
#include "server/incident_loop.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "server/notify.h"
#include "sql/incident.h"

struct ls_incident_loop {
    struct ls_ctx *ctx;
    struct ls_watch *w;
    struct ls_incidents *e;
    json_t *pending;  /* changes made but not saved yet, in order */
    int64_t last_now; /* the data clock of the last step */
    pthread_t thread;
    bool running, stop;
    long interval_s;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

/* Saves what is pending, then publishes it: persist first, so an event names an incident
 * that GET /v1/analytics/incidents/{id} answers. */
static int flush(struct ls_incident_loop *l, struct ls_err *err)
{
    size_t n = json_array_size(l->pending);
    for (size_t i = 0; i < n; i++) {
        int rc = ls_store_incident_save(l->ctx->store, json_array_get(l->pending, i), err);
        if (rc != LS_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(l->pending, i);
        json_t *doc = json_object_get(c, "incident");
        const char *change = json_string_value(json_object_get(c, "change"));
        json_t *data = json_copy(doc);
        if (!data || json_object_set_new(data, "change", json_string(change)) != 0)
            ls_json_oom();
        ls_notify_publish(l->ctx->notify, "incident", data);
        json_decref(data);
        if (strcmp(change, "updated") != 0)
            ls_log(LS_LOG_INFO, "incidents", change, "id=%lld nodes=%zu cause=%s",
                   (long long)json_integer_value(json_object_get(doc, "id")),
                   json_array_size(json_object_get(doc, "nodes")),
                   json_string_value(
                       json_object_get(json_array_get(json_object_get(doc, "causes"), 0), "id")));
    }
    json_array_clear(l->pending);
    return LS_OK;
}

/* A colour reason's value and expected range into x (NAN where it does not say), and which
 * way the value went: above the middle of the range +1, below -1, 0 when it does not say. */
static void reason_obs(const json_t *reason, struct ls_incident_obs *x)
{
    json_t *expected = json_object_get(reason, "expected");
    json_t *value = json_object_get(reason, "value");
    json_t *lo = json_array_get(expected, 0), *hi = json_array_get(expected, 1);
    x->value = json_is_number(value) ? json_number_value(value) : NAN;
    x->lo = json_is_number(lo) ? json_number_value(lo) : NAN;
    x->hi = json_is_number(hi) ? json_number_value(hi) : NAN;
    double mid = 0.5 * (x->lo + x->hi);
    x->went = !isfinite(x->value) || !isfinite(mid) ? 0
              : x->value > mid                      ? 1
              : x->value < mid                      ? -1
                                                    : 0;
}

/* Ranks an incident over the raw samples the service holds (ls_incident_rank_replay). */
static void rank_replay(void *arg,
                        const struct ls_incident_ranking *in,
                        struct ls_incident_cause **out,
                        size_t *nout)
{
    struct ls_incident_loop *l = arg;
    struct ls_err err = {0};
    ls_incident_rank_replay(l->ctx->samples, in, out, nout, &err);
    if (err.status != LS_OK)
        ls_log(LS_LOG_WARN, "incidents", "ranking over raw samples failed; ranked by verdicts",
               "err=\"%s\"", err.msg);
}

/* The red and yellow nodes of the watch's colours document (borrowed from it). */
static struct ls_incident_obs *anomalous(json_t *colours, size_t *n)
{
    json_t *nodes = json_object_get(colours, "nodes");
    struct ls_incident_obs *obs = ls_xcalloc(json_array_size(nodes) + 1, sizeof *obs);
    size_t k = 0, i;
    json_t *v;
    json_array_foreach(nodes, i, v)
    {
        const char *c = json_string_value(json_object_get(v, "colour"));
        enum ls_colour colour = c && strcmp(c, "red") == 0      ? LS_COLOUR_RED
                                : c && strcmp(c, "yellow") == 0 ? LS_COLOUR_YELLOW
                                                                : LS_COLOUR_GREEN;
        const char *id = json_string_value(json_object_get(v, "id"));
        if (colour == LS_COLOUR_GREEN || !id)
            continue;
        json_t *reason = json_array_get(json_object_get(v, "reasons"), 0);
        obs[k] = (struct ls_incident_obs){
            .id = id,
            .colour = colour,
            .score = json_number_value(json_object_get(v, "score")),
            .metric = json_string_value(json_object_get(reason, "metric")),
        };
        reason_obs(reason, &obs[k++]);
    }
    *n = k;
    return obs;
}

int ls_incident_loop_tick(struct ls_incident_loop *l, struct ls_err *err)
{
    int rc = flush(l, err);
    if (rc != LS_OK)
        return rc;
    int64_t now = ls_watch_now(l->w);
    if (now <= l->last_now)
        return LS_OK; /* no sample since the last step: nothing can have changed */
    json_t *colours = ls_watch_colours_json(l->w, NULL);
    size_t n;
    struct ls_incident_obs *obs = anomalous(colours, &n);
    struct ls_snap *s = ls_graph_snap(l->ctx->graph);
    json_t *changes = NULL;
    rc = ls_incidents_step(l->e, s, obs, n, now, &changes, err);
    ls_snap_release(s);
    free(obs);
    json_decref(colours);
    if (rc != LS_OK)
        return rc;
    l->last_now = now;
    json_array_extend(l->pending, changes);
    json_decref(changes);
    return flush(l, err);
}

static void *loop(void *arg)
{
    struct ls_incident_loop *l = arg;
    pthread_mutex_lock(&l->lock);
    while (!l->stop) {
        pthread_mutex_unlock(&l->lock);
        struct ls_err err;
        if (ls_incident_loop_tick(l, &err) != LS_OK)
            ls_log(LS_LOG_WARN, "incidents", "step failed; kept for the next one", "err=\"%s\"",
                   err.msg);
        pthread_mutex_lock(&l->lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += l->interval_s;
        if (!l->stop)
            pthread_cond_timedwait(&l->cond, &l->lock, &ts);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

int ls_incident_loop_new(struct ls_incident_loop **out,
                         struct ls_ctx *ctx,
                         struct ls_watch *w,
                         const struct ls_incident_params *p,
                         long interval_s,
                         struct ls_err *err)
{
    *out = NULL;
    json_t *states = NULL;
    int64_t last_id = 0;
    int rc = ls_store_incidents_open(ctx->store, &states, &last_id, err);
    if (rc != LS_OK)
        return rc;
    struct ls_incident_loop *l = ls_xcalloc(1, sizeof *l);
    l->ctx = ctx;
    l->w = w;
    l->e = ls_incidents_new(p, last_id);
    ls_incidents_set_ranker(l->e, rank_replay, l);
    l->pending = json_array();
    l->interval_s = interval_s;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    size_t i;
    json_t *st;
    json_array_foreach(states, i, st)
    {
        rc = ls_incidents_restore(l->e, st, err);
        if (rc != LS_OK) {
            ls_err_wrap(err, "stored incident %zu", i);
            rc = LS_ERR;
            break;
        }
    }
    json_decref(states);
    if (rc == LS_OK && interval_s > 0) {
        l->running = pthread_create(&l->thread, NULL, loop, l) == 0;
        if (!l->running)
            rc = ls_err_set(err, LS_ERR, NULL, "cannot start the incident thread");
    }
    if (rc != LS_OK) {
        ls_incident_loop_free(l);
        return rc;
    }
    if (ls_incidents_open_count(l->e))
        ls_log(LS_LOG_INFO, "incidents", "open incidents restored", "open=%zu last_id=%lld",
               ls_incidents_open_count(l->e), (long long)last_id);
    *out = l;
    return LS_OK;
}

void ls_incident_loop_free(struct ls_incident_loop *l)
{
    if (!l)
        return;
    if (l->running) {
        pthread_mutex_lock(&l->lock);
        l->stop = true;
        pthread_cond_signal(&l->cond);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL);
    }
    /* a change not saved yet is made again after a restart: the engine restores the stored
     * state and the watch's colours are what they are */
    json_decref(l->pending);
    ls_incidents_free(l->e);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
