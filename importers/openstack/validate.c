/* Keystone token validation for the service's callers (see validate.h). */
#include "importers/openstack/validate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "importers/openstack/cloud.h"
#include "importers/openstack/session.h"

#define POOL_MAX 8 /* idle connections kept (one per concurrent validation) */

struct ls_os_validator {
    struct ls_os_cloud *cloud;
    struct ls_os_session *session;
    char url[1100]; /* <auth_url>/auth/tokens */
    pthread_mutex_t lock;
    struct ls_os_conn *idle[POOL_MAX];
    int n_idle;
};

int ls_os_validator_new(struct ls_os_validator **out,
                        const char *cloud,
                        long timeout_s,
                        struct ls_err *err)
{
    *out = NULL;
    struct ls_os_validator *v = ls_xcalloc(1, sizeof(*v));
    int rc = ls_os_cloud_load(&v->cloud, cloud, err);
    if (rc != LS_OK) {
        free(v);
        return rc;
    }
    /* no retry: a caller is waiting, and Keystone down must answer 503 within the timeout
     * (the caller may retry; a 401 still re-authenticates the service once) */
    struct ls_os_session_opts o = {.timeout_s = timeout_s, .retries = 0, .retry_base_s = 0.2};
    rc = ls_os_session_new(&v->session, v->cloud, &o, err);
    if (rc != LS_OK) {
        ls_os_cloud_free(v->cloud);
        free(v);
        return rc;
    }
    snprintf(v->url, sizeof(v->url), "%s/auth/tokens", v->cloud->auth_url);
    pthread_mutex_init(&v->lock, NULL);
    *out = v;
    return LS_OK;
}

void ls_os_validator_free(struct ls_os_validator *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < v->n_idle; i++)
        ls_os_conn_free(v->idle[i]);
    ls_os_session_free(v->session);
    ls_os_cloud_free(v->cloud);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

const char *ls_os_validator_auth_url(const struct ls_os_validator *v)
{
    return v->cloud->auth_url;
}

static struct ls_os_conn *take_conn(struct ls_os_validator *v)
{
    pthread_mutex_lock(&v->lock);
    struct ls_os_conn *c = v->n_idle ? v->idle[--v->n_idle] : NULL;
    pthread_mutex_unlock(&v->lock);
    return c ? c : ls_os_conn_new(v->session);
}

static void give_conn(struct ls_os_validator *v, struct ls_os_conn *c)
{
    ls_os_conn_set_header(c, NULL);
    pthread_mutex_lock(&v->lock);
    if (v->n_idle < POOL_MAX) {
        v->idle[v->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&v->lock);
    ls_os_conn_free(c);
}

/* "name@domain" of a user or project object. */
static void name_at_domain(const json_t *o, char *out, size_t cap)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *dom = json_string_value(json_object_get(json_object_get(o, "domain"), "name"));
    if (name == NULL)
        name = json_string_value(json_object_get(o, "id"));
    snprintf(out, cap, "%s%s%s", name ? name : "", dom ? "@" : "", dom ? dom : "");
}

int ls_os_identity_read(struct ls_os_identity *out, const json_t *doc, struct ls_err *err)
{
    const json_t *t = json_object_get(doc, "token");
    const char *exp = json_string_value(json_object_get(t, "expires_at"));
    if (!json_is_object(t) || exp == NULL ||
        ls_time_parse_rfc3339(&out->expires_us, exp, NULL) != LS_OK)
        return ls_err_set(err, LS_EUNAVAIL, "auth_unavailable",
                          "keystone answered a token without a valid expires_at");
    if (out->expires_us <= ls_time_now_us())
        return ls_err_set(err, LS_ENOTFOUND, "invalid_token", "the token has expired");
    const json_t *user = json_object_get(t, "user");
    name_at_domain(user, out->user, sizeof(out->user));
    const char *uid = json_string_value(json_object_get(user, "id"));
    snprintf(out->user_id, sizeof(out->user_id), "%s", uid ? uid : "");
    const json_t *project = json_object_get(t, "project");
    if (project)
        name_at_domain(project, out->project, sizeof(out->project));
    else if (json_object_get(t, "system"))
        snprintf(out->project, sizeof(out->project), "system");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(t, "roles"), i, r)
    {
        const char *name = json_string_value(json_object_get(r, "name"));
        if (name && out->n_roles < LS_OS_MAX_ROLES)
            snprintf(out->roles[out->n_roles++], sizeof(out->roles[0]), "%s", name);
    }
    return LS_OK;
}

int ls_os_validate(struct ls_os_validator *v,
                   const char *token,
                   struct ls_os_identity *out,
                   struct ls_err *err)
{
    memset(out, 0, sizeof(*out));
    char hdr[4200];
    if (strlen(token) > 4000)
        return ls_err_set(err, LS_ENOTFOUND, "invalid_token", "the token is too long");
    snprintf(hdr, sizeof(hdr), "X-Subject-Token: %s", token);
    struct ls_os_conn *c = take_conn(v);
    ls_os_conn_set_header(c, hdr);
    memset(hdr, 0, sizeof(hdr));
    long status = 0;
    json_t *doc = NULL;
    struct ls_err e;
    int rc = ls_os_conn_get(c, NULL, v->url, &status, &doc, &e);
    give_conn(v, c);
    if (rc == LS_OK)
        rc = ls_os_identity_read(out, doc, err);
    else if (rc == LS_ENOTFOUND)
        rc = ls_err_set(err, LS_ENOTFOUND, "invalid_token",
                        "keystone does not know the token (invalid, expired or revoked)");
    else if (rc == LS_EINVAL && status == 401)
        rc = ls_err_set(err, LS_EUNAVAIL, "auth_unavailable",
                        "keystone refused this service's own credentials (cloud %s)",
                        v->cloud->name);
    else if (rc == LS_EINVAL && status == 403)
        rc = ls_err_set(err, LS_EUNAVAIL, "auth_unavailable",
                        "the service's user (cloud %s) may not validate tokens (HTTP 403)",
                        v->cloud->name);
    else
        rc = ls_err_set(err, LS_EUNAVAIL, "auth_unavailable", "keystone: %s", e.msg);
    json_decref(doc);
    return rc;
}
