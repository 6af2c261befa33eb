/* Keystone v3 session and authenticated GETs over libcurl (see session.h). */
#include "importers/openstack/session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/json_parse.h"
#include "common/log.h"
#include "common/time.h"

#define MAX_BODY_BYTES  (512u << 20)      /* one response; a 1000-item page is ~2 MB */
#define TOKEN_MARGIN_US (120 * 1000000LL) /* re-authenticate this long before expiry (at most) */
#define N_SERVICES      3

static const char *const mv_services[N_SERVICES] = {"compute", "placement", "volume"};

struct ls_os_session {
    const struct ls_os_cloud *cloud;
    struct ls_os_session_opts o;
    pthread_mutex_t lock; /* token, catalog, generation, microversions, rate, stats */
    char *token;          /* owned; NULL until authenticated */
    uint64_t generation;  /* bumped by every authentication */
    int64_t expires_us;
    int64_t refresh_us; /* re-authenticate from then on: expires_at minus a margin */
    json_t *catalog;    /* the token's catalog array */
    char microversion[N_SERVICES][16];
    long long next_slot_ns; /* rate bound: the earliest time of the next request */
    struct ls_os_session_stats stats;
    CURL *auth_curl;       /* used under lock */
    atomic_bool cancelled; /* ls_os_session_cancel: every request fails at once */
};

struct ls_os_conn {
    struct ls_os_session *s;
    CURL *curl;
    struct ls_buf body;
    char *extra; /* ls_os_conn_set_header: one more header line (may hold a secret) */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ls_os_session_new(struct ls_os_session **out,
                      const struct ls_os_cloud *cloud,
                      const struct ls_os_session_opts *o,
                      struct ls_err *err)
{
    (void)err;
    pthread_once(&curl_once, curl_init_once);
    struct ls_os_session *s = ls_xcalloc(1, sizeof(*s));
    s->cloud = cloud;
    s->o = *o;
    if (s->o.timeout_s <= 0)
        s->o.timeout_s = 60;
    if (s->o.retry_base_s <= 0)
        s->o.retry_base_s = 0.2;
    pthread_mutex_init(&s->lock, NULL);
    s->auth_curl = curl_easy_init();
    *out = s;
    return LS_OK;
}

void ls_os_session_free(struct ls_os_session *s)
{
    if (!s)
        return;
    if (s->token) {
        memset(s->token, 0, strlen(s->token));
        free(s->token);
    }
    json_decref(s->catalog);
    curl_easy_cleanup(s->auth_curl);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- transfer plumbing shared by auth and GET ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct ls_buf *b = arg;
    return ls_buf_append(b, p, size * n) == LS_OK ? size * n : 0;
}

struct hdr_capture {
    char token[4096];
    double retry_after;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct hdr_capture *h = arg;
    size_t len = size * n;
    static const char tok[] = "x-subject-token:", ra[] = "retry-after:";
    if (len > sizeof(tok) - 1 && strncasecmp(p, tok, sizeof(tok) - 1) == 0) {
        const char *v = p + sizeof(tok) - 1;
        size_t vl = len - (sizeof(tok) - 1);
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof(h->token)) {
            memcpy(h->token, v, vl);
            h->token[vl] = '\0';
        }
    } else if (len > sizeof(ra) - 1 && strncasecmp(p, ra, sizeof(ra) - 1) == 0) {
        h->retry_after = strtod(p + sizeof(ra) - 1, NULL);
    }
    return len;
}

void ls_os_session_cancel(struct ls_os_session *s)
{
    atomic_store(&s->cancelled, true);
}

static int cancelled_error(const char *shown, struct ls_err *err)
{
    return ls_err_set(err, LS_EUNAVAIL, "cancelled", "%s: cancelled (the service is stopping)",
                      shown);
}

/* A request that got no answer: curl's reason, and what to do when it is the certificate. */
static int transport_error(CURLcode cc, const char *what, const char *url, struct ls_err *err)
{
    const char *hint = "";
    if (cc == CURLE_PEER_FAILED_VERIFICATION)
        hint = " (the cloud's certificate is not trusted here: give its CA bundle as `cacert` "
               "in clouds.yaml or OS_CACERT; `verify: false` turns the check off)";
    else if (cc == CURLE_SSL_CACERT_BADFILE)
        hint = " (the cloud's `cacert` file cannot be read)";
    return ls_err_set(err, LS_EUNAVAIL, "openstack_unavailable", "%s %s: %s%s", what, url,
                      curl_easy_strerror(cc), hint);
}

/* libcurl calls it at least once a second during a transfer: non-zero aborts it. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load(&((struct ls_os_session *)arg)->cancelled) ? 1 : 0;
}

/* TLS, timeouts and cancellation from the cloud's settings. */
static void setup_common(CURL *c, struct ls_os_session *s)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->o.timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->o.timeout_s < 10 ? s->o.timeout_s : 10L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    if (s->cloud->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->cloud->cacert);
    if (s->cloud->cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, s->cloud->cert);
    if (s->cloud->key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, s->cloud->key);
    if (!s->cloud->verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

/* Sleeps sec, in slices, returning early once the session is cancelled. */
static void sleep_s(const struct ls_os_session *s, double sec)
{
    long long end = ls_time_mono_ns() + (long long)(sec * 1e9);
    for (long long left; (left = end - ls_time_mono_ns()) > 0 && !atomic_load(&s->cancelled);) {
        long long ns = left < 50000000LL ? left : 50000000LL;
        struct timespec ts = {0, (long)ns};
        nanosleep(&ts, NULL);
    }
}

/* Waits for the request-rate bound; counts the request. */
static void take_slot(struct ls_os_session *s)
{
    pthread_mutex_lock(&s->lock);
    s->stats.requests++;
    long long wait_ns = 0;
    if (s->o.max_rps > 0) {
        long long now = ls_time_mono_ns(), gap = 1000000000LL / s->o.max_rps;
        long long slot = s->next_slot_ns > now ? s->next_slot_ns : now;
        s->next_slot_ns = slot + gap;
        wait_ns = slot - now;
    }
    pthread_mutex_unlock(&s->lock);
    sleep_s(s, (double)wait_ns / 1e9);
}

/* ---- authentication ---- */

/* {"name"/"id": ..., "domain": {...}} for a user or project. */
static json_t *named(const char *id, const char *name, const char *dom_id, const char *dom_name)
{
    json_t *o = json_object();
    if (id) {
        json_object_set_new(o, "id", json_string(id));
        return o;
    }
    json_object_set_new(o, "name", json_string(name ? name : ""));
    json_object_set_new(o, "domain",
                        dom_id ? json_pack("{s:s}", "id", dom_id)
                               : json_pack("{s:s}", "name", dom_name ? dom_name : ""));
    return o;
}

static json_t *auth_body(const struct ls_os_cloud *c)
{
    json_t *identity;
    if (c->auth_type == LS_OS_AUTH_APP_CREDENTIAL) {
        json_t *ac = json_pack("{s:s}", "secret", c->app_cred_secret);
        if (c->app_cred_id)
            json_object_set_new(ac, "id", json_string(c->app_cred_id));
        else {
            json_object_set_new(ac, "name", json_string(c->app_cred_name));
            json_object_set_new(
                ac, "user", named(c->user_id, c->username, c->user_domain_id, c->user_domain_name));
        }
        identity = json_pack("{s:[s],s:o}", "methods", "application_credential",
                             "application_credential", ac);
    } else {
        json_t *user = named(c->user_id, c->username, c->user_domain_id, c->user_domain_name);
        json_object_set_new(user, "password", json_string(c->password));
        identity = json_pack("{s:[s],s:{s:o}}", "methods", "password", "password", "user", user);
    }
    json_t *auth = json_pack("{s:o}", "identity", identity);
    /* An application credential carries its own scope. */
    if (c->auth_type == LS_OS_AUTH_PASSWORD) {
        if (c->system_scope)
            json_object_set_new(auth, "scope", json_pack("{s:{s:b}}", "system", "all", 1));
        else if (c->project_id || c->project_name)
            json_object_set_new(auth, "scope",
                                json_pack("{s:o}", "project",
                                          named(c->project_id, c->project_name,
                                                c->project_domain_id, c->project_domain_name)));
    }
    return json_pack("{s:o}", "auth", auth);
}

/* Authenticates; caller holds s->lock. */
static int auth_locked(struct ls_os_session *s, struct ls_err *err)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/auth/tokens", s->cloud->auth_url);
    json_t *body = auth_body(s->cloud);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct ls_buf resp;
    ls_buf_init(&resp, 64u << 20);
    struct hdr_capture h = {{0}, 0};
    CURL *c = s->auth_curl;
    curl_easy_reset(c);
    setup_common(c, s);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    int rc = LS_OK;
    long code = 0;
    CURLcode cc = CURLE_OK;
    for (int attempt = 0; attempt <= s->o.retries; attempt++) {
        ls_buf_reset(&resp);
        s->stats.requests++;
        s->stats.auths++;
        cc = curl_easy_perform(c);
        code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if ((cc == CURLE_OK && code < 500 && code != 429) || atomic_load(&s->cancelled))
            break;
        if (attempt < s->o.retries) {
            s->stats.retries++;
            sleep_s(s, s->o.retry_base_s * (1 << attempt));
        }
    }
    memset(text, 0, strlen(text)); /* it held the password */
    free(text);
    curl_slist_free_all(hdrs);
    s->stats.bytes += resp.len;
    if (atomic_load(&s->cancelled))
        rc = cancelled_error(url, err);
    else if (cc != CURLE_OK)
        rc = transport_error(cc, "keystone", url, err);
    else if (code >= 500 || code == 429)
        rc = ls_err_set(err, LS_EUNAVAIL, "openstack_unavailable", "keystone %s: HTTP %ld", url,
                        code);
    else if (code != 201 && code != 200)
        rc = ls_err_set(err, LS_EINVAL, "auth_failed",
                        "keystone refused the credentials of cloud %s: HTTP %ld", s->cloud->name,
                        code);
    json_t *doc = NULL;
    if (rc == LS_OK) {
        json_error_t je;
        doc = json_loadb(resp.data ? resp.data : "", resp.len, 0, &je);
        json_t *token = json_object_get(doc, "token");
        const char *exp = json_string_value(json_object_get(token, "expires_at"));
        int64_t exp_us = 0;
        struct ls_err terr;
        if (!json_is_object(token) || !h.token[0])
            rc = ls_err_set(err, LS_EINVAL, "auth_failed",
                            "keystone %s: no token in the answer (%s)", url,
                            doc ? "no X-Subject-Token" : je.text);
        else if (!exp || ls_time_parse_rfc3339(&exp_us, exp, &terr) != LS_OK)
            rc = ls_err_set(err, LS_EINVAL, "auth_failed",
                            "keystone %s: token without a valid expires_at", url);
        else {
            if (s->token) {
                memset(s->token, 0, strlen(s->token));
                free(s->token);
            }
            s->token = ls_xstrdup(h.token);
            s->expires_us = exp_us;
            /* 2 minutes early, or a quarter of the lifetime for short-lived tokens */
            int64_t life = exp_us - ls_time_now_us(), margin = TOKEN_MARGIN_US;
            if (life / 4 < margin)
                margin = life > 0 ? life / 4 : 0;
            s->refresh_us = exp_us - margin;
            s->generation++;
            json_decref(s->catalog);
            s->catalog = json_incref(json_object_get(token, "catalog"));
        }
    }
    memset(h.token, 0, sizeof(h.token));
    json_decref(doc);
    ls_buf_cleanup(&resp);
    return rc;
}

/* Copies the current token (authenticating when missing or close to expiry, or when the
 * token of generation `stale` was refused). */
static int current_token(struct ls_os_session *s,
                         uint64_t stale,
                         char *out,
                         size_t cap,
                         uint64_t *gen,
                         struct ls_err *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = LS_OK;
    if (!s->token || ls_time_now_us() > s->refresh_us || (stale && s->generation == stale))
        rc = auth_locked(s, err);
    if (rc == LS_OK) {
        snprintf(out, cap, "X-Auth-Token: %s", s->token);
        *gen = s->generation;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int ls_os_session_ensure(struct ls_os_session *s, struct ls_err *err)
{
    char tok[4200];
    uint64_t gen;
    int rc = current_token(s, 0, tok, sizeof(tok), &gen, err);
    memset(tok, 0, sizeof(tok));
    return rc;
}

bool ls_os_session_endpoint(struct ls_os_session *s,
                            const char *const *types,
                            char *out,
                            size_t cap)
{
    for (const char *const *t = types; *t; t++) {
        const char *o = json_string_value(json_object_get(s->cloud->endpoint_override, *t));
        if (o) {
            snprintf(out, cap, "%s", o);
            return true;
        }
    }
    if (ls_os_session_ensure(s, NULL) != LS_OK)
        return false;
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (const char *const *t = types; *t && !found; t++) {
        size_t i, j;
        json_t *svc, *ep;
        json_array_foreach(s->catalog, i, svc)
        {
            const char *type = json_string_value(json_object_get(svc, "type"));
            if (!type || strcmp(type, *t) != 0)
                continue;
            json_array_foreach(json_object_get(svc, "endpoints"), j, ep)
            {
                const char *itf = json_string_value(json_object_get(ep, "interface"));
                const char *reg = json_string_value(json_object_get(ep, "region_id"));
                if (!reg)
                    reg = json_string_value(json_object_get(ep, "region"));
                const char *url = json_string_value(json_object_get(ep, "url"));
                if (!url || !itf || strcmp(itf, s->cloud->interface) != 0)
                    continue;
                if (s->cloud->region_name && (!reg || strcmp(reg, s->cloud->region_name) != 0))
                    continue;
                size_t n = strlen(url);
                while (n > 0 && url[n - 1] == '/')
                    n--;
                snprintf(out, cap, "%.*s", (int)n, url);
                found = true;
                break;
            }
            if (found)
                break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

void ls_os_session_set_microversion(struct ls_os_session *s,
                                    const char *service,
                                    const char *version)
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < N_SERVICES; i++)
        if (!strcmp(mv_services[i], service))
            snprintf(s->microversion[i], sizeof(s->microversion[i]), "%s", version ? version : "");
    pthread_mutex_unlock(&s->lock);
}

void ls_os_session_stats(struct ls_os_session *s, struct ls_os_session_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}

/* ---- connections ---- */

struct ls_os_conn *ls_os_conn_new(struct ls_os_session *s)
{
    pthread_once(&curl_once, curl_init_once);
    struct ls_os_conn *c = ls_xcalloc(1, sizeof(*c));
    c->s = s;
    c->curl = curl_easy_init();
    ls_buf_init(&c->body, MAX_BODY_BYTES);
    return c;
}

void ls_os_conn_free(struct ls_os_conn *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    ls_buf_cleanup(&c->body);
    ls_os_conn_set_header(c, NULL);
    free(c);
}

void ls_os_conn_set_header(struct ls_os_conn *c, const char *line)
{
    if (c->extra) {
        memset(c->extra, 0, strlen(c->extra));
        free(c->extra);
    }
    c->extra = line ? ls_xstrdup(line) : NULL;
}

/* The microversion headers for service (into h; returns the list). */
static struct curl_slist *
mv_headers(struct ls_os_session *s, const char *service, struct curl_slist *h)
{
    char line[96];
    pthread_mutex_lock(&s->lock);
    for (int i = 0; service && i < N_SERVICES; i++) {
        if (strcmp(mv_services[i], service) != 0 || !s->microversion[i][0])
            continue;
        snprintf(line, sizeof(line), "OpenStack-API-Version: %s %s", service, s->microversion[i]);
        h = curl_slist_append(h, line);
        if (i == 0) { /* Nova before 2.27 reads only its own header */
            snprintf(line, sizeof(line), "X-OpenStack-Nova-API-Version: %s", s->microversion[i]);
            h = curl_slist_append(h, line);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return h;
}

/* The URL without its query, for messages. */
static void short_url(const char *url, char *out, size_t cap)
{
    size_t n = strcspn(url, "?");
    snprintf(out, cap, "%.*s", (int)(n < 300 ? n : 300), url);
}

int ls_os_parse_body(
    const char *url, const char *data, size_t len, json_t **out, struct ls_err *err)
{
    char shown[320];
    struct ls_json_parse_error je;
    *out = ls_json_parse(data, len, &je);
    if (*out)
        return LS_OK;
    short_url(url, shown, sizeof(shown));
    return ls_err_set(err, LS_EINVAL, "invalid_json",
                      "GET %s: the body is not JSON (%zu bytes; %s at byte %zu)", shown, len,
                      je.text, je.position);
}

int ls_os_conn_get(struct ls_os_conn *c,
                   const char *service,
                   const char *url,
                   long *status,
                   json_t **out,
                   struct ls_err *err)
{
    *out = NULL;
    int rc = ls_os_conn_fetch(c, service, url, status, NULL, err);
    return rc == LS_OK ? ls_os_parse_body(url, c->body.data, c->body.len, out, err) : rc;
}

/* One request (GET, or another method with req_body as JSON; NULL: an empty body) with the
 * session's token, retried and re-authenticated as ls_os_conn_fetch says. */
static int request(struct ls_os_conn *c,
                   const char *method,
                   const char *service,
                   const char *url,
                   const char *req_body,
                   long *status,
                   struct ls_buf *body,
                   struct ls_err *err)
{
    struct ls_os_session *s = c->s;
    if (status)
        *status = 0;
    char tok[4200], shown[320];
    short_url(url, shown, sizeof(shown));
    uint64_t gen = 0, refused = 0;
    bool reauthed = false;
    int attempt = 0, rc;
    for (;;) {
        if (atomic_load(&s->cancelled)) {
            rc = cancelled_error(shown, err);
            break;
        }
        rc = current_token(s, refused, tok, sizeof(tok), &gen, err);
        if (rc != LS_OK)
            break;
        struct curl_slist *h = curl_slist_append(NULL, tok);
        memset(tok, 0, sizeof(tok));
        h = curl_slist_append(h, "Accept: application/json");
        bool get = strcmp(method, "GET") == 0;
        if (req_body)
            h = curl_slist_append(h, "Content-Type: application/json");
        if (c->extra)
            h = curl_slist_append(h, c->extra);
        h = mv_headers(s, service, h);
        struct hdr_capture hc = {{0}, 0};
        ls_buf_reset(&c->body);
        curl_easy_reset(c->curl);
        setup_common(c->curl, s);
        curl_easy_setopt(c->curl, CURLOPT_URL, url);
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->body);
        curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &hc);
        if (!get) {
            curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req_body ? req_body : "");
            curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE,
                             req_body ? (long)strlen(req_body) : 0L);
            if (strcmp(method, "POST") != 0)
                curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
        }
        take_slot(s);
        CURLcode cc = curl_easy_perform(c->curl);
        curl_slist_free_all(h);
        long code = 0;
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
        pthread_mutex_lock(&s->lock);
        s->stats.bytes += c->body.len;
        pthread_mutex_unlock(&s->lock);
        if (status)
            *status = cc == CURLE_OK ? code : 0;
        if (cc == CURLE_OK && code == 401 && !reauthed) {
            reauthed = true; /* once: a token revoked or expired early */
            refused = gen;
            continue;
        }
        bool transient = cc != CURLE_OK || code >= 500 || code == 429;
        if (transient && attempt < s->o.retries) {
            double wait = s->o.retry_base_s * (1 << attempt);
            if (hc.retry_after > 0)
                wait = hc.retry_after < 10 ? hc.retry_after : 10;
            attempt++;
            pthread_mutex_lock(&s->lock);
            s->stats.retries++;
            pthread_mutex_unlock(&s->lock);
            ls_log(LS_LOG_DEBUG, "openstack", "retrying", "url=%s status=%ld curl=\"%s\"", shown,
                   code, curl_easy_strerror(cc));
            sleep_s(s, wait);
            continue;
        }
        if (atomic_load(&s->cancelled))
            rc = cancelled_error(shown, err);
        else if (cc != CURLE_OK)
            rc = transport_error(cc, method, shown, err);
        else if (transient)
            rc = ls_err_set(err, LS_EUNAVAIL, "openstack_unavailable", "%s %s: HTTP %ld", method,
                            shown, code);
        else if (code == 404)
            rc = ls_err_set(err, LS_ENOTFOUND, "openstack_not_found", "%s %s: HTTP 404", method,
                            shown);
        else if (code == 401)
            rc = ls_err_set(err, LS_EINVAL, "auth_failed",
                            "%s %s: HTTP 401 after re-authenticating", method, shown);
        else if (code == 403)
            rc = ls_err_set(err, LS_EINVAL, "forbidden", "%s %s: HTTP 403 (not allowed)", method,
                            shown);
        else if (code < 200 || code >= 300)
            rc = ls_err_set(err, LS_EINVAL, "http_error", "%s %s: HTTP %ld", method, shown, code);
        else if (body) { /* the caller takes the body; the connection keeps the other buffer */
            struct ls_buf t = *body;
            *body = c->body;
            c->body = t;
            ls_buf_reset(&c->body);
        }
        break;
    }
    return rc;
}

int ls_os_conn_fetch(struct ls_os_conn *c,
                     const char *service,
                     const char *url,
                     long *status,
                     struct ls_buf *body,
                     struct ls_err *err)
{
    return request(c, "GET", service, url, NULL, status, body, err);
}

int ls_os_conn_post(struct ls_os_conn *c,
                    const char *service,
                    const char *url,
                    const char *json_body,
                    long *status,
                    struct ls_err *err)
{
    return request(c, "POST", service, url, json_body, status, NULL, err);
}

int ls_os_conn_send(struct ls_os_conn *c,
                    const char *method,
                    const char *service,
                    const char *url,
                    const char *json_body,
                    long *status,
                    struct ls_err *err)
{
    return request(c, method, service, url, json_body, status, NULL, err);
}
