/* See placement_traits.h. */
#include "server/placement_traits.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/colour.h"
#include "common/log.h"
#include "common/time.h"
#include "importers/openstack/cloud.h"
#include "importers/openstack/session.h"
#include "model/graph.h"
#include "server/colours.h"
#include "server/notify.h"
#include "server/os_actor.h"

/* Placement 1.18: `required=` on GET /resource_providers (traits themselves need 1.6). */
#define PLACEMENT_MV "1.18"
/* Tries per provider when its generation moved under us (nova-compute writes it too). */
#define CONFLICT_TRIES 4
#define PAGE           512

struct ls_placement_traits {
    struct ls_ctx *ctx;
    struct ls_os_cloud *cloud;
    struct ls_os_session *session;
    struct ls_os_conn *conn; /* the thread's */
    char source[300];        /* "openstack:<cloud>": the hypervisors it acts on */
    long interval_s;
    bool trait_made; /* PUT /traits/CUSTOM_LANDSCAPE_ANOMALY answered */
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool poked, stopping;
    struct ls_placement_traits_stats st; /* under mu */
};

bool ls_placement_traits_wanted(const json_t *data)
{
    const char *type = json_string_value(json_object_get(data, "type"));
    return type && (strcmp(type, "hypervisor") == 0 || strcmp(type, "machine") == 0);
}

json_t *ls_placement_traits_edit(const json_t *traits, bool on)
{
    json_t *out = json_array();
    bool had = false;
    size_t i;
    json_t *v;
    json_array_foreach(traits, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), LS_ANOMALY_TRAIT) == 0)
            had = true;
        else
            json_array_append(out, v);
    }
    if (had == on) {
        json_decref(out);
        return NULL;
    }
    if (on)
        json_array_append_new(out, json_string(LS_ANOMALY_TRAIT));
    return out;
}

static void count(struct ls_placement_traits *t, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&t->mu);
    *field += n;
    pthread_mutex_unlock(&t->mu);
}

/* Placement's base URL without a trailing slash; false (err set) when the catalog has none. */
static bool base_url(struct ls_placement_traits *t, char *out, size_t cap, struct ls_err *err)
{
    static const char *const types[] = {"placement", NULL};
    if (!ls_os_session_endpoint(t->session, types, out, cap)) {
        if (ls_os_session_ensure(t->session, err) == LS_OK)
            ls_err_set(err, LS_ENOTFOUND, "no_placement",
                       "the cloud's catalog has no placement endpoint");
        return false;
    }
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    return true;
}

/* The resource providers of the red hypervisors of our cloud: {uuid: hypervisor id}. */
static json_t *wanted_providers(struct ls_placement_traits *t)
{
    json_t *want = json_object();
    struct ls_colours *colours = t->ctx->colours;
    if (!colours)
        return want; /* --analytics off: nothing is red */
    struct ls_snap *s = ls_graph_snap(t->ctx->graph);
    struct ls_node_filter f = {.type = "hypervisor", .layer = -1, .source = t->source};
    const struct ls_node *page[PAGE];
    char after[512] = "";
    bool more = true;
    while (more) {
        size_t n = 0;
        struct ls_err err;
        if (ls_snap_list_nodes(s, &f, after[0] ? after : NULL, PAGE, page, &n, &more, &err) !=
            LS_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            const char *rp =
                json_string_value(json_object_get(page[i]->attrs, "resource_provider"));
            if (rp && rp[0] && ls_colours_worst(colours, page[i]->id) == LS_COLOUR_RED)
                json_object_set_new(want, rp, json_string(page[i]->id));
        }
        if (n)
            snprintf(after, sizeof(after), "%s", page[n - 1]->id);
        else
            more = false;
    }
    ls_snap_release(s);
    return want;
}

/* The providers carrying the trait now: {uuid: name}. */
static int carrying_providers(struct ls_placement_traits *t,
                              const char *base,
                              json_t **out,
                              struct ls_err *err)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/resource_providers?required=%s", base, LS_ANOMALY_TRAIT);
    json_t *body;
    int rc = ls_os_conn_get(t->conn, "placement", url, NULL, &body, err);
    if (rc != LS_OK)
        return rc;
    *out = json_object();
    size_t i;
    json_t *rp;
    json_array_foreach(json_object_get(body, "resource_providers"), i, rp)
    {
        const char *uuid = json_string_value(json_object_get(rp, "uuid"));
        const char *name = json_string_value(json_object_get(rp, "name"));
        if (uuid)
            json_object_set_new(*out, uuid, json_string(name ? name : ""));
    }
    json_decref(body);
    return LS_OK;
}

/* Gives (on) or takes (off) one provider the trait, with its generation; a provider that is
 * gone (404) is fine. */
static int set_trait(
    struct ls_placement_traits *t, const char *base, const char *uuid, bool on, struct ls_err *err)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/resource_providers/%s/traits", base, uuid);
    for (int attempt = 0;; attempt++) {
        json_t *cur;
        int rc = ls_os_conn_get(t->conn, "placement", url, NULL, &cur, err);
        if (rc == LS_ENOTFOUND)
            return LS_OK;
        if (rc != LS_OK)
            return rc;
        json_t *traits = ls_placement_traits_edit(json_object_get(cur, "traits"), on);
        if (!traits) {
            json_decref(cur);
            return LS_OK;
        }
        json_t *req = json_pack("{s:o,s:O}", "traits", traits, "resource_provider_generation",
                                json_object_get(cur, "resource_provider_generation"));
        json_decref(cur);
        char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (!text)
            ls_json_oom();
        long status = 0;
        rc = ls_os_conn_send(t->conn, "PUT", "placement", url, text, &status, err);
        free(text);
        if (rc == LS_ENOTFOUND)
            return LS_OK;
        if (!(rc != LS_OK && status == 409 && attempt + 1 < CONFLICT_TRIES))
            return rc;
        count(t, &t->st.conflicts, 1); /* someone else wrote the provider: read it again */
    }
}

/* One full pass: the difference between the red hypervisors' providers and those carrying
 * the trait, made good. */
static int pass(struct ls_placement_traits *t, struct ls_err *err)
{
    char base[768], url[1024];
    if (!base_url(t, base, sizeof(base), err))
        return err->status != LS_OK ? (int)err->status : LS_EUNAVAIL;
    if (!t->trait_made) { /* 201 made, 204 there already */
        snprintf(url, sizeof(url), "%s/traits/%s", base, LS_ANOMALY_TRAIT);
        int rc = ls_os_conn_send(t->conn, "PUT", "placement", url, NULL, NULL, err);
        if (rc != LS_OK)
            return rc;
        t->trait_made = true;
    }
    json_t *have;
    int rc = carrying_providers(t, base, &have, err);
    if (rc != LS_OK)
        return rc;
    json_t *want = wanted_providers(t);
    const char *uuid;
    json_t *v;
    int carrying = (int)json_object_size(have);
    json_object_foreach(want, uuid, v)
    {
        if (rc != LS_OK || json_object_get(have, uuid))
            continue;
        rc = set_trait(t, base, uuid, true, err);
        if (rc == LS_OK) {
            carrying++;
            count(t, &t->st.set, 1);
            ls_log(LS_LOG_INFO, "placement-traits", "red host marked",
                   "node=%s provider=%s trait=%s", json_string_value(v), uuid, LS_ANOMALY_TRAIT);
        }
    }
    json_object_foreach(have, uuid, v)
    {
        if (rc != LS_OK || json_object_get(want, uuid))
            continue;
        rc = set_trait(t, base, uuid, false, err);
        if (rc == LS_OK) {
            carrying--;
            count(t, &t->st.cleared, 1);
            ls_log(LS_LOG_INFO, "placement-traits", "host no longer red: trait cleared",
                   "provider=%s name=%s trait=%s", uuid, json_string_value(v), LS_ANOMALY_TRAIT);
        }
    }
    json_decref(want);
    json_decref(have);
    if (rc == LS_OK) {
        pthread_mutex_lock(&t->mu);
        t->st.carrying = carrying;
        pthread_mutex_unlock(&t->mu);
    }
    return rc;
}

static void on_colour(const struct ls_notify_event *ev, void *arg)
{
    struct ls_placement_traits *t = arg;
    if (!ls_placement_traits_wanted(ev->data))
        return;
    pthread_mutex_lock(&t->mu);
    t->poked = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* Waits (mu held) until poked or the interval passed, and at least a second after the last
 * pass; false when stopping. */
static bool wait_turn(struct ls_placement_traits *t, long long last_ns)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += t->interval_s;
    while (!t->stopping && !t->poked)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) == ETIMEDOUT)
            break;
    long long gap = 1000000000LL - (ls_time_mono_ns() - last_ns);
    if (!t->stopping && gap > 0) { /* colour events come in bursts: one pass for many */
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += (long)gap;
        dl.tv_sec += dl.tv_nsec / 1000000000L;
        dl.tv_nsec %= 1000000000L;
        while (!t->stopping && pthread_cond_timedwait(&t->cv, &t->mu, &dl) != ETIMEDOUT)
            ;
    }
    t->poked = false;
    return !t->stopping;
}

static void *loop(void *arg)
{
    struct ls_placement_traits *t = arg;
    long long last = 0;
    bool failing = false;
    pthread_mutex_lock(&t->mu);
    do {
        pthread_mutex_unlock(&t->mu);
        struct ls_err err = {0};
        int rc = pass(t, &err);
        last = ls_time_mono_ns();
        count(t, rc == LS_OK ? &t->st.passes : &t->st.failed_passes, 1);
        if (rc != LS_OK && !failing) /* said once per outage */
            ls_log(LS_LOG_WARN, "placement-traits", "pass failed (retried at the next one)",
                   "err=\"%s\"", err.msg);
        else if (rc == LS_OK && failing)
            ls_log(LS_LOG_INFO, "placement-traits", "passes succeed again", "trait=%s",
                   LS_ANOMALY_TRAIT);
        failing = rc != LS_OK;
        pthread_mutex_lock(&t->mu);
    } while (wait_turn(t, last));
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int ls_placement_traits_start(struct ls_ctx *ctx, struct ls_err *err)
{
    const struct ls_config *cfg = ctx->cfg;
    if (!cfg->os_placement_traits)
        return LS_OK;
    struct ls_placement_traits *t = ls_xcalloc(1, sizeof(*t));
    t->ctx = ctx;
    t->interval_s = cfg->os_placement_traits_interval;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    int rc = ls_os_actor_open(cfg, "--os-placement-traits", &t->cloud, &t->session, err);
    if (rc != LS_OK) {
        ls_placement_traits_free(t);
        return rc;
    }
    ctx->traits = t; /* freed after the notifier (its subscriber thread), also on failure */
    snprintf(t->source, sizeof(t->source), "openstack:%s", ls_os_actor_cloud_name(cfg));
    ls_os_session_set_microversion(t->session, "placement", PLACEMENT_MV);
    t->conn = ls_os_conn_new(t->session);
    rc = ls_notify_subscribe(ctx->notify, "colour", on_colour, t, err);
    if (rc != LS_OK)
        return rc;
    if (pthread_create(&t->thread, NULL, loop, t) != 0)
        return ls_err_set(err, LS_EUNAVAIL, "thread_failed", "placement traits: no thread");
    t->running = true;
    ls_log(LS_LOG_INFO, "placement-traits", "red hypervisors' resource providers carry the trait",
           "trait=%s cloud=%s interval_s=%ld", LS_ANOMALY_TRAIT, ls_os_actor_cloud_name(cfg),
           t->interval_s);
    return LS_OK;
}

void ls_placement_traits_interrupt(struct ls_ctx *ctx)
{
    struct ls_placement_traits *t = ctx->traits;
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (t->session)
        ls_os_session_cancel(t->session);
}

void ls_placement_traits_stop(struct ls_ctx *ctx)
{
    struct ls_placement_traits *t = ctx->traits;
    if (!t || !t->running)
        return;
    ls_placement_traits_interrupt(ctx);
    pthread_join(t->thread, NULL);
    t->running = false;
}

void ls_placement_traits_stats(struct ls_placement_traits *t, struct ls_placement_traits_stats *out)
{
    pthread_mutex_lock(&t->mu);
    *out = t->st;
    pthread_mutex_unlock(&t->mu);
}

void ls_placement_traits_free(struct ls_placement_traits *t)
{
    if (!t)
        return;
    ls_os_conn_free(t->conn);
    ls_os_session_free(t->session);
    ls_os_cloud_free(t->cloud);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}
