/* See watcher_trigger.h. */
#include "server/watcher_trigger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "importers/openstack/cloud.h"
#include "importers/openstack/session.h"
#include "server/notify.h"
#include "server/os_actor.h"

struct ls_watcher_trigger {
    char *audit;
    struct ls_os_cloud *cloud;
    struct ls_os_session *session;
    struct ls_os_conn *conn; /* used on the subscriber's thread only */
    unsigned long sent, failed;
};

bool ls_watcher_trigger_wanted(const json_t *data)
{
    const char *type = json_string_value(json_object_get(data, "type"));
    const char *colour = json_string_value(json_object_get(data, "colour"));
    const char *previous = json_string_value(json_object_get(data, "previous"));
    if (!type || !colour || (strcmp(type, "hypervisor") != 0 && strcmp(type, "machine") != 0))
        return false;
    return strcmp(colour, "red") == 0 && (!previous || strcmp(previous, "red") != 0);
}

/* Watcher's webhook URL for the audit, from the token's catalog; false when it has none. */
static bool webhook_url(struct ls_watcher_trigger *w, char *out, size_t cap)
{
    static const char *const types[] = {"infra-optim", NULL};
    char base[512];
    if (!ls_os_session_endpoint(w->session, types, base, sizeof(base)))
        return false;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    /* the audit's name or uuid as one path segment: bytes outside RFC 3986's unreserved set
     * percent-encoded */
    char esc[3 * 256 + 1];
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)w->audit; *p && k + 4 < sizeof(esc); p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            esc[k++] = (char)*p;
        else
            k += (size_t)snprintf(esc + k, sizeof(esc) - k, "%%%02X", *p);
    }
    esc[k] = '\0';
    /* the catalog URL may end in the version already */
    bool versioned = n >= 3 && strcmp(base + n - 3, "/v1") == 0;
    int len = snprintf(out, cap, "%s%s/webhooks/%s", base, versioned ? "" : "/v1", esc);
    return len > 0 && (size_t)len < cap;
}

static void on_colour(const struct ls_notify_event *ev, void *arg)
{
    struct ls_watcher_trigger *w = arg;
    if (!ls_watcher_trigger_wanted(ev->data))
        return;
    const char *node = json_string_value(json_object_get(ev->data, "id"));
    struct ls_err err = {0};
    char url[1024];
    long status = 0;
    int rc;
    if (!webhook_url(w, url, sizeof(url)))
        rc = ls_os_session_ensure(w->session, &err) != LS_OK
                 ? LS_EUNAVAIL
                 : ls_err_set(&err, LS_ENOTFOUND, "no_watcher",
                              "the cloud's catalog has no infra-optim (Watcher) endpoint");
    else
        rc = ls_os_conn_post(w->conn, NULL, url, "{}", &status, &err);
    if (rc == LS_OK) {
        w->sent++;
        ls_log(LS_LOG_INFO, "watcher", "audit triggered", "audit=%s node=%s status=%ld", w->audit,
               node ? node : "?", status);
    } else {
        w->failed++;
        ls_log(LS_LOG_WARN, "watcher", "audit not triggered", "audit=%s node=%s err=\"%s\"",
               w->audit, node ? node : "?", err.msg);
    }
}

int ls_watcher_trigger_start(struct ls_ctx *ctx, struct ls_err *err)
{
    const struct ls_config *cfg = ctx->cfg;
    if (!cfg->watcher_audit[0])
        return LS_OK;
    struct ls_watcher_trigger *w = ls_xcalloc(1, sizeof(*w));
    w->audit = ls_xstrdup(cfg->watcher_audit);
    int rc = ls_os_actor_open(cfg, "--watcher-audit", &w->cloud, &w->session, err);
    if (rc != LS_OK) {
        ls_watcher_trigger_free(w);
        return rc;
    }
    w->conn = ls_os_conn_new(w->session);
    rc = ls_notify_subscribe(ctx->notify, "colour", on_colour, w, err);
    ctx->watcher = w; /* freed after the notifier (its subscriber thread), also on failure */
    if (rc == LS_OK)
        ls_log(LS_LOG_INFO, "watcher", "red hypervisors and machines trigger a Watcher audit",
               "audit=%s cloud=%s", w->audit, ls_os_actor_cloud_name(cfg));
    return rc;
}

void ls_watcher_trigger_interrupt(struct ls_ctx *ctx)
{
    if (ctx->watcher && ctx->watcher->session)
        ls_os_session_cancel(ctx->watcher->session);
}

void ls_watcher_trigger_free(struct ls_watcher_trigger *w)
{
    if (!w)
        return;
    ls_os_conn_free(w->conn);
    ls_os_session_free(w->session);
    ls_os_cloud_free(w->cloud);
    free(w->audit);
    free(w);
}
