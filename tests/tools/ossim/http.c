/* ossim: the HTTP front — the libmicrohttpd daemon (thread pool on 127.0.0.1), request
 * bodies, routing to the services, token checks, microversion negotiation, faults, the
 * /_sim/ control endpoints and the public ossim_* functions. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "tests/tools/ossim/keystone.h"
#include "tests/tools/ossim/ossim_int.h"

#define MAX_BODY (64 * 1024)

enum svc { SVC_NONE, SVC_IDENTITY, SVC_COMPUTE, SVC_PLACEMENT, SVC_NETWORK, SVC_VOLUME, SVC_HEAT };

static const struct {
    const char *prefix;
    enum svc svc;
} prefixes[] = {
    {"/identity", SVC_IDENTITY}, {"/compute", SVC_COMPUTE}, {"/placement", SVC_PLACEMENT},
    {"/network", SVC_NETWORK},   {"/volume", SVC_VOLUME},   {"/heat", SVC_HEAT},
};

/* ---- request helpers for the renderers ---- */

const char *req_arg(const struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool req_flag(const struct req *r, const char *name)
{
    const char *v = req_arg(r, name);
    return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

void req_header(struct req *r, const char *name, const char *value)
{
    if (r->nh >= 3)
        return;
    snprintf(r->hname[r->nh], sizeof(r->hname[0]), "%s", name);
    snprintf(r->hval[r->nh], sizeof(r->hval[0]), "%s", value);
    r->nh++;
}

static const char *status_title(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 413:
        return "Request Entity Too Large";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void req_error(struct req *r, int status, const char *message)
{
    r->status = status;
    r->out.n = 0;
    jb_printf(&r->out, "{\"error\":{\"code\":%d,\"title\":\"%s\",\"message\":", status,
              status_title(status));
    jb_str(&r->out, message);
    jb_raw(&r->out, "}}");
}

bool req_paging(struct req *r, int *limit, const char **marker)
{
    int max = r->s->c.o.page_max;
    *limit = max;
    *marker = req_arg(r, "marker");
    const char *l = req_arg(r, "limit");
    if (l && *l) {
        char *end;
        long v = strtol(l, &end, 10);
        if (*end || v < 0) {
            req_error(r, 400, "limit must be a non-negative integer");
            return false;
        }
        if (v > 0 && v < max)
            *limit = (int)v;
    }
    return true;
}

struct qctx {
    struct jb *b;
    bool first;
};

static void url_enc(struct jb *b, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~:", *p) || strchr(keep, *p)) {
            jb_mem(b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            jb_mem(b, e, 3);
        }
    }
}

static enum MHD_Result
add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct qctx *q = cls;
    if (!strcmp(key, "marker"))
        return MHD_YES;
    jb_mem(q->b, q->first ? "?" : "&", 1);
    q->first = false;
    url_enc(q->b, key, "");
    if (value) {
        jb_mem(q->b, "=", 1);
        url_enc(q->b, value, "");
    }
    return MHD_YES;
}

void req_next_link(struct req *r, const char *key, const char *next_marker)
{
    struct jb *b = &r->out;
    jb_printf(b, ",\"%s_links\":[{\"rel\":\"next\",\"href\":\"%s", key, r->s->base);
    url_enc(b, r->path, "/");
    struct qctx q = {b, true};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    jb_mem(b, q.first ? "?" : "&", 1);
    jb_raw(b, "marker=");
    url_enc(b, next_marker, "");
    jb_raw(b, "\"}]");
}

/* ---- microversions ---- */

static int parse_ver(const char *s, int *out)
{
    char *end;
    long maj = strtol(s, &end, 10);
    if (end == s || *end != '.')
        return -1;
    const char *m = end + 1;
    long min = strtol(m, &end, 10);
    if (end == m)
        return -1;
    while (*end == ' ')
        end++;
    if (*end && *end != ',')
        return -1;
    *out = (int)(maj * 1000 + min);
    return 0;
}

struct mvctx {
    const char *service;
    const char *found; /* the version string, pointing into the header */
    size_t len;
    bool nova_legacy;
};

static enum MHD_Result
find_mv(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct mvctx *m = cls;
    if (!value)
        return MHD_YES;
    if (!strcasecmp(key, "OpenStack-API-Version")) {
        size_t sl = strlen(m->service);
        for (const char *p = value; *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            if (!strncasecmp(p, m->service, sl) && p[sl] == ' ') {
                const char *v = p + sl;
                while (*v == ' ')
                    v++;
                m->found = v;
                m->len = strcspn(v, ", ");
                return MHD_YES;
            }
            p += strcspn(p, ",");
        }
    } else if (m->nova_legacy && !m->found && !strcasecmp(key, "X-OpenStack-Nova-API-Version")) {
        m->found = value;
        m->len = strcspn(value, ", ");
    }
    return MHD_YES;
}

/* Negotiates r->mv for service in [min, max]; false after an error answer. */
static bool negotiate(struct req *r, const char *service, int min, int max)
{
    struct mvctx m = {service, NULL, 0, !strcmp(service, "compute")};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, find_mv, &m);
    int v = min;
    if (m.found) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.*s", (int)(m.len < 31 ? m.len : 31), m.found);
        if (!strcasecmp(buf, "latest")) {
            v = max;
        } else if (parse_ver(buf, &v) != 0) {
            req_error(r, 400, "Invalid microversion format");
            return false;
        }
        if (v < min || v > max) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "Version %s is not supported by the API. Minimum is %d.%d and maximum "
                     "is %d.%d.",
                     buf, min / 1000, min % 1000, max / 1000, max % 1000);
            req_error(r, 406, msg);
            return false;
        }
    }
    r->mv = v;
    char hv[48];
    snprintf(hv, sizeof(hv), "%s %d.%d", service, v / 1000, v % 1000);
    req_header(r, "OpenStack-API-Version", hv);
    req_header(r, "Vary", "OpenStack-API-Version");
    if (m.nova_legacy) {
        snprintf(hv, sizeof(hv), "%d.%d", v / 1000, v % 1000);
        req_header(r, "X-OpenStack-Nova-API-Version", hv);
    }
    return true;
}

/* ---- version documents (answered without a token, as the real services do) ---- */

static void version_docs(struct req *r, enum svc svc, bool single)
{
    struct jb *b = &r->out;
    const char *base = r->s->base;
    int cm = r->s->compute_max;
    if (!single)
        jb_raw(b, "{\"versions\":[");
    else
        jb_raw(b, "{\"version\":");
    switch (svc) {
    case SVC_COMPUTE:
        jb_printf(b,
                  "{\"id\":\"v2.1\",\"status\":\"CURRENT\",\"version\":\"%d.%d\","
                  "\"min_version\":\"2.1\",\"updated\":\"2013-07-23T11:33:21Z\","
                  "\"links\":[{\"rel\":\"self\",\"href\":\"%s/compute/v2.1/\"}],"
                  "\"media-types\":[{\"base\":\"application/json\",\"type\":"
                  "\"application/vnd.openstack.compute+json;version=2.1\"}]}",
                  cm / 1000, cm % 1000, base);
        break;
    case SVC_PLACEMENT:
        jb_printf(b,
                  "{\"id\":\"v1.0\",\"max_version\":\"1.%d\",\"min_version\":\"1.0\","
                  "\"status\":\"CURRENT\",\"links\":[{\"rel\":\"self\",\"href\":\"\"}]}",
                  PLACEMENT_MAX % 1000);
        break;
    case SVC_NETWORK:
        jb_printf(b,
                  "{\"id\":\"v2.0\",\"status\":\"CURRENT\",\"links\":[{\"rel\":\"self\","
                  "\"href\":\"%s/network/v2.0/\"}]}",
                  base);
        break;
    case SVC_VOLUME:
        jb_printf(b,
                  "{\"id\":\"v3.0\",\"status\":\"CURRENT\",\"version\":\"3.%d\","
                  "\"min_version\":\"3.0\",\"updated\":\"2023-08-31T00:00:00Z\","
                  "\"links\":[{\"rel\":\"self\",\"href\":\"%s/volume/v3/\"}]}",
                  VOLUME_MAX % 1000, base);
        break;
    case SVC_HEAT:
        jb_printf(b,
                  "{\"id\":\"v1.0\",\"status\":\"CURRENT\",\"links\":[{\"rel\":\"self\","
                  "\"href\":\"%s/heat/v1/\"}]}",
                  base);
        break;
    default:
        break;
    }
    jb_raw(b, single ? "}" : "]}");
    if (!single && (svc == SVC_COMPUTE || svc == SVC_VOLUME || svc == SVC_HEAT))
        r->status = svc == SVC_COMPUTE ? 200 : 300;
}

/* ---- faults ---- */

struct fault_hit {
    int status;
    int delay_ms;
    bool truncate;
    bool decoy;
};

static void fault_check(struct ossim *s, const char *path, bool is_token, struct fault_hit *h)
{
    memset(h, 0, sizeof(*h));
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < MAX_FAULTS; i++) {
        struct fault_slot *f = &s->faults[i];
        if (!f->used)
            continue;
        bool named = f->path[0] != '\0';
        if (named ? !strstr(path, f->path) : is_token)
            continue;
        if (f->f.skip > 0) {
            f->f.skip--;
            continue;
        }
        if (f->f.kind == OSSIM_FAULT_STATUS && !h->status)
            h->status = f->f.status;
        else if (f->f.kind == OSSIM_FAULT_DELAY && f->f.delay_ms > h->delay_ms)
            h->delay_ms = f->f.delay_ms;
        else if (f->f.kind == OSSIM_FAULT_TRUNCATE)
            h->truncate = true;
        else if (f->f.kind == OSSIM_FAULT_DECOY)
            h->decoy = true;
        if (f->f.count > 0 && --f->f.count == 0)
            f->used = false;
    }
    pthread_mutex_unlock(&s->fault_lock);
}

void ossim_fault(struct ossim *s, const struct ossim_fault *f)
{
    if (f->kind == OSSIM_FAULT_EXPIRE) {
        atomic_fetch_add(&s->epoch, 1);
        return;
    }
    if (f->count == 0)
        return;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < MAX_FAULTS; i++) {
        struct fault_slot *slot = &s->faults[i];
        if (slot->used)
            continue;
        slot->used = true;
        slot->f = *f;
        snprintf(slot->path, sizeof(slot->path), "%s", f->path_contains ? f->path_contains : "");
        slot->f.path_contains = NULL;
        break;
    }
    pthread_mutex_unlock(&s->fault_lock);
}

void ossim_clear_faults(struct ossim *s)
{
    pthread_mutex_lock(&s->fault_lock);
    memset(s->faults, 0, sizeof(s->faults));
    pthread_mutex_unlock(&s->fault_lock);
}

/* ---- control endpoints ---- */

static int arg_int(const struct req *r, const char *name, int dflt)
{
    const char *v = req_arg(r, name);
    if (!v || !*v)
        return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    return *end ? dflt : (int)x;
}

static void control(struct req *r)
{
    struct ossim *s = r->s;
    const char *what = r->path + strlen("/_sim/");
    struct jb *b = &r->out;
    if (!strcmp(what, "stats")) {
        char acid[37];
        id_str(K_APPCRED, 0, acid);
        pthread_rwlock_rdlock(&s->lock);
        jb_printf(b,
                  "{\"requests\":%llu,\"token_requests\":%llu,\"servers\":%d,"
                  "\"servers_total\":%d,\"hypervisors\":%d,\"ports\":%d,\"volumes\":%d,"
                  "\"networks\":%d,\"floatingips\":%d,\"stacks\":%d,\"projects\":%d,"
                  "\"application_credential_id\":\"%s\"}",
                  (unsigned long long)atomic_load(&s->requests),
                  (unsigned long long)atomic_load(&s->token_requests), s->c.live_servers, s->c.nsv,
                  s->c.nhv, s->c.npt, s->c.nvol, s->c.nnet, s->c.nfip, s->c.nstack, s->c.o.projects,
                  acid);
        pthread_rwlock_unlock(&s->lock);
        return;
    }
    if (strcmp(r->method, "POST") != 0) {
        req_error(r, 405, "control endpoints take POST");
        return;
    }
    if (!strcmp(what, "churn")) {
        const char *f = req_arg(r, "fraction");
        jb_printf(b, "{\"changed\":%d}", ossim_churn(s, f ? strtod(f, NULL) : 0.01));
    } else if (!strcmp(what, "migrate")) {
        ossim_migrate(s, arg_int(r, "server", -1), arg_int(r, "hv", -1));
        jb_raw(b, "{\"ok\":true}");
    } else if (!strcmp(what, "status")) {
        const char *st = req_arg(r, "status");
        ossim_set_status(s, arg_int(r, "server", -1), st ? st : "SHUTOFF");
        jb_raw(b, "{\"ok\":true}");
    } else if (!strcmp(what, "delete")) {
        ossim_delete_server(s, arg_int(r, "server", -1));
        jb_raw(b, "{\"ok\":true}");
    } else if (!strcmp(what, "add")) {
        int i = ossim_add_server(s, arg_int(r, "hv", 0));
        if (i < 0) {
            req_error(r, 400, "no such hypervisor");
            return;
        }
        char id[37];
        ossim_server_id(s, i, id);
        jb_printf(b, "{\"server\":%d,\"id\":\"%s\"}", i, id);
    } else if (!strcmp(what, "fault")) {
        static const char *const kinds[] = {"status", "expire", "truncate", "delay"};
        const char *k = req_arg(r, "kind");
        struct ossim_fault f = {0};
        int kind = -1;
        for (int i = 0; k && i < 4; i++)
            if (!strcmp(k, kinds[i]))
                kind = i;
        if (kind < 0) {
            req_error(r, 400, "kind must be status, expire, truncate or delay");
            return;
        }
        f.kind = (enum ossim_fault_kind)kind;
        f.status = arg_int(r, "status", 500);
        f.delay_ms = arg_int(r, "delay_ms", 1000);
        f.count = arg_int(r, "count", -1);
        f.skip = arg_int(r, "skip", 0);
        f.path_contains = req_arg(r, "path");
        ossim_fault(s, &f);
        jb_raw(b, "{\"ok\":true}");
    } else if (!strcmp(what, "clear")) {
        ossim_clear_faults(s);
        jb_raw(b, "{\"ok\":true}");
    } else {
        req_error(r, 404, "unknown control endpoint");
    }
}

/* ---- dispatch ---- */

static int split(char *p, char **seg, int max)
{
    int n = 0;
    while (*p) {
        while (*p == '/')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max)
            return -1;
        seg[n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return n;
}

static bool need_token(struct req *r)
{
    const char *tok = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Auth-Token");
    if (!token_check(r->s, tok, &r->project, NULL)) {
        req_error(r, 401, "The request you have made requires authentication.");
        return false;
    }
    return true;
}

/* Strips n leading segments (version, project id) before a renderer sees the path. */
static void shift(struct req *r, int n)
{
    memmove(r->seg, r->seg + n, (size_t)(r->nseg - n) * sizeof(r->seg[0]));
    r->nseg -= n;
}

static void dispatch(struct req *r, char *pathcopy)
{
    enum svc svc = SVC_NONE;
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t l = strlen(prefixes[i].prefix);
        if (!strncmp(r->path, prefixes[i].prefix, l) && (r->path[l] == '/' || r->path[l] == '\0')) {
            svc = prefixes[i].svc;
            rest = r->path + l;
        }
    }
    if (svc == SVC_NONE) {
        req_error(r, 404, "The resource could not be found.");
        return;
    }
    snprintf(pathcopy, 1024, "%s", rest);
    r->nseg = split(pathcopy, r->seg, 12);
    if (r->nseg < 0) {
        req_error(r, 404, "The resource could not be found.");
        return;
    }
    if (svc == SVC_IDENTITY) {
        if (keystone_needs_token(r) && !need_token(r))
            return;
        keystone_handle(r);
        return;
    }
    static const char *const vers[] = {"", "", "v2.1", "", "v2.0", "v3", "v1"};
    if (r->nseg == 0) {
        version_docs(r, svc, false);
        return;
    }
    if (svc == SVC_PLACEMENT && r->nseg >= 1 && !strcmp(r->seg[0], "v1.0") && r->nseg == 1) {
        version_docs(r, svc, true);
        return;
    }
    if (svc != SVC_PLACEMENT && strcmp(r->seg[0], vers[svc]) != 0) {
        req_error(r, 404, "The resource could not be found.");
        return;
    }
    if (svc == SVC_COMPUTE && r->nseg == 1) {
        version_docs(r, svc, true);
        return;
    }
    if (!need_token(r))
        return;
    switch (svc) {
    case SVC_COMPUTE:
        if (!negotiate(r, "compute", 2001, r->s->compute_max))
            return;
        shift(r, 1);
        nova_handle(r);
        break;
    case SVC_PLACEMENT:
        if (!negotiate(r, "placement", 1000, PLACEMENT_MAX))
            return;
        placement_handle(r);
        break;
    case SVC_NETWORK:
        shift(r, 1);
        neutron_handle(r);
        break;
    case SVC_VOLUME:
        if (r->nseg < 2) {
            version_docs(r, svc, false);
            r->status = 200;
            return;
        }
        if (!negotiate(r, "volume", 3000, VOLUME_MAX))
            return;
        shift(r, 2);
        cinder_handle(r);
        break;
    case SVC_HEAT:
        if (r->nseg < 2) {
            req_error(r, 404, "The resource could not be found.");
            return;
        }
        shift(r, 2);
        heat_handle(r);
        break;
    default:
        break;
    }
}

struct conn_ctx {
    struct jb body;
    bool too_big;
};

/* OSSIM_FAULT_DECOY: the answer's object gets a last member with look-alike next links. */
static void add_decoy(struct req *r)
{
    if (r->status >= 300 || r->out.n < 2 || r->out.p[r->out.n - 1] != '}')
        return;
    r->out.n--;
    jb_raw(&r->out, ",\"decoy\":{");
    static const char *const keys[] = {"servers", "ports", "volumes"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        jb_printf(&r->out, "%s\"%s_links\":[{\"rel\":\"next\",\"href\":\"%s", i ? "," : "", keys[i],
                  r->s->base);
        url_enc(&r->out, r->path, "/");
        jb_raw(&r->out, "?marker=decoy\"}]");
    }
    jb_raw(&r->out, "}}");
}

static enum MHD_Result respond(struct MHD_Connection *conn, struct req *r, bool truncate)
{
    size_t len = r->out.n;
    if (truncate && r->status < 300)
        len /= 2;
    char *body = r->out.p;
    r->out.p = NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    for (int i = 0; i < r->nh; i++)
        MHD_add_response_header(resp, r->hname[i], r->hval[i]);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result answer(struct ossim *s,
                              struct MHD_Connection *conn,
                              const char *url,
                              const char *method,
                              struct conn_ctx *cc);

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *conn,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct ossim *s = cls;
    struct conn_ctx *cc = *con_cls;
    if (!cc) {
        cc = calloc(1, sizeof(*cc));
        if (!cc)
            return MHD_NO;
        jb_init(&cc->body, 256);
        *con_cls = cc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (cc->body.n + *upload_data_size > MAX_BODY)
            cc->too_big = true;
        else
            jb_mem(&cc->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&s->requests, 1);
    unsigned now = atomic_fetch_add(&s->in_flight, 1) + 1, top = atomic_load(&s->max_in_flight);
    while (now > top && !atomic_compare_exchange_weak(&s->max_in_flight, &top, now))
        ;
    enum MHD_Result answered = answer(s, conn, url, method, cc);
    atomic_fetch_sub(&s->in_flight, 1);
    return answered;
}

const char *const ossim_mounts[OSSIM_MOUNTS] = {"/internal", "/admin", "/override",
                                                "/other-region"};

/* The mount a path is under (its prefix counted and taken off), or -1. */
static int mount_of(struct ossim *s, const char **url)
{
    for (int i = 0; i < OSSIM_MOUNTS; i++) {
        size_t n = strlen(ossim_mounts[i]);
        if (strncmp(*url, ossim_mounts[i], n) == 0 && (*url)[n] == '/') {
            atomic_fetch_add(&s->mount_requests[i], 1);
            *url += n;
            return i;
        }
    }
    return -1;
}

/* A delay fault: ms of sleep, in slices (a stopping simulator does not wait it out), counted
 * in `delaying` meanwhile. */
static void hold(struct ossim *s, int ms)
{
    if (ms <= 0)
        return;
    atomic_fetch_add(&s->delaying, 1);
    for (int left = ms; left > 0 && !atomic_load(&s->stopping); left -= 20) {
        struct timespec ts = {0, (long)(left < 20 ? left : 20) * 1000000L};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_sub(&s->delaying, 1);
}

/* One whole request (body read): faults, then the route's answer. */
static enum MHD_Result answer(struct ossim *s,
                              struct MHD_Connection *conn,
                              const char *url,
                              const char *method,
                              struct conn_ctx *cc)
{
    int mount = mount_of(s, &url);
    struct req r = {0};
    r.s = s;
    r.conn = conn;
    r.method = method;
    r.path = url;
    r.body = cc->body.p;
    r.body_len = cc->body.n;
    r.status = 200;
    r.project = 0;
    jb_init(&r.out, 4096);
    char pathcopy[1024];
    bool truncate = false, decoy = false;
    if (mount == OSSIM_MOUNT_OTHER_REGION) {
        req_error(&r, 404, "another region's endpoint: not served here");
    } else if (cc->too_big) {
        req_error(&r, 413, "request body too large");
    } else if (!strncmp(url, "/_sim/", 6)) {
        control(&r);
    } else {
        struct fault_hit h;
        fault_check(s, url, strstr(url, "/auth/tokens") != NULL, &h);
        hold(s, h.delay_ms);
        truncate = h.truncate;
        decoy = h.decoy;
        if (h.status) {
            char msg[64];
            snprintf(msg, sizeof(msg), "injected fault: status %d", h.status);
            req_error(&r, h.status, msg);
        } else if (strlen(url) >= sizeof(pathcopy)) {
            req_error(&r, 414, "URI too long");
        } else {
            pthread_rwlock_rdlock(&s->lock);
            dispatch(&r, pathcopy);
            pthread_rwlock_unlock(&s->lock);
        }
    }
    if (decoy)
        add_decoy(&r);
    return respond(conn, &r, truncate);
}

static void on_completed(void *cls,
                         struct MHD_Connection *conn,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct conn_ctx *cc = *con_cls;
    if (cc) {
        jb_free(&cc->body);
        free(cc);
        *con_cls = NULL;
    }
}

/* ---- public API ---- */

void ossim_opts_default(struct ossim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->hypervisors = 3;
    o->servers = 4;
    o->ports_per_server = 1;
    o->extra_ports = 0;
    o->volumes = 2;
    o->networks = 1;
    o->projects = 1;
    o->aggregates = 1;
    o->stacks = 1;
    o->page_max = 1000;
    o->token_ttl_s = 3600;
    o->port = 0;
    o->user = "admin";
    o->password = "secret";
    o->region = "RegionOne";
    o->compute_max_version = "2.96";
    o->threads = 4;
}

struct ossim *ossim_start(const struct ossim_opts *o, char *errbuf, size_t errcap)
{
    struct ossim *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errbuf, errcap, "out of memory");
        return NULL;
    }
    struct ossim_opts opts = *o;
    if (opts.page_max <= 0)
        opts.page_max = 1000;
    if (opts.token_ttl_s <= 0)
        opts.token_ttl_s = 3600;
    snprintf(s->user, sizeof(s->user), "%s", opts.user ? opts.user : "admin");
    snprintf(s->password, sizeof(s->password), "%s", opts.password ? opts.password : "secret");
    snprintf(s->region, sizeof(s->region), "%s", opts.region ? opts.region : "RegionOne");
    opts.user = s->user;
    opts.password = s->password;
    opts.region = s->region;
    const char *cmax = opts.compute_max_version ? opts.compute_max_version : "2.96";
    opts.compute_max_version = NULL;
    if (parse_ver(cmax, &s->compute_max) != 0 || s->compute_max < 2001 || s->compute_max > 2999) {
        snprintf(errbuf, errcap, "compute_max_version: expected 2.N, got %s", cmax);
        free(s);
        return NULL;
    }
    if (cloud_init(&s->c, &opts) != 0) {
        snprintf(errbuf, errcap, "options out of range");
        cloud_cleanup(&s->c);
        free(s);
        return NULL;
    }
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&s->fault_lock, NULL);
    pthread_mutex_init(&s->revoked_lock, NULL);
    uint64_t key = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&key, sizeof(key), 1, f) != 1)
        key = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
    if (f)
        fclose(f);
    s->token_key = mix64(key);

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)opts.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool tls = opts.tls_cert_pem && opts.tls_key_pem;
    struct MHD_OptionItem tls_opts[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)opts.tls_key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opts.tls_cert_pem},
        {MHD_OPTION_END, 0, NULL}};
    s->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | (tls ? MHD_USE_TLS : 0), 0, NULL, NULL,
        on_request, s, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opts.threads > 0 ? opts.threads : 4),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        s, MHD_OPTION_END);
    if (!s->d) {
        snprintf(errbuf, errcap, "cannot listen on 127.0.0.1:%u", opts.port);
        ossim_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : opts.port;
    snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%u", tls ? "https" : "http", s->port);
    snprintf(s->auth_url, sizeof(s->auth_url), "%s/identity/v3", s->base);
    return s;
}

void ossim_stop(struct ossim *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    if (s->d)
        MHD_stop_daemon(s->d);
    pthread_rwlock_destroy(&s->lock);
    pthread_mutex_destroy(&s->fault_lock);
    pthread_mutex_destroy(&s->revoked_lock);
    cloud_cleanup(&s->c);
    free(s);
}

unsigned ossim_port(const struct ossim *s)
{
    return s->port;
}

const char *ossim_auth_url(const struct ossim *s)
{
    return s->auth_url;
}

void ossim_server_id(const struct ossim *s, int i, char out[37])
{
    (void)s;
    id_str(K_SERVER, i, out);
}

int req_marker_pos(struct req *r,
                   int kind,
                   const struct coll *order,
                   const char *marker,
                   const char *what,
                   const char *tail)
{
    const struct cloud *c = &r->s->c;
    int m = cloud_lookup(c, kind, marker);
    int pos = m < 0 ? -1 : order ? coll_pos(c, order, m) : m;
    if (pos < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%s%.60s%s", what, marker, tail);
        req_error(r, 400, msg);
        return -1;
    }
    return pos + 1;
}

void ossim_hypervisor_name(int i, char *out, size_t cap)
{
    snprintf(out, cap, "sim-hv-%d", i);
}

void ossim_migrate(struct ossim *s, int server, int hv)
{
    pthread_rwlock_wrlock(&s->lock);
    cloud_migrate(&s->c, server, hv, now_s());
    pthread_rwlock_unlock(&s->lock);
}

void ossim_set_status(struct ossim *s, int server, const char *status)
{
    int st = status && !strcasecmp(status, "SHUTOFF") ? ST_SHUTOFF : ST_ACTIVE;
    pthread_rwlock_wrlock(&s->lock);
    cloud_set_status(&s->c, server, st, now_s());
    pthread_rwlock_unlock(&s->lock);
}

void ossim_delete_server(struct ossim *s, int server)
{
    pthread_rwlock_wrlock(&s->lock);
    cloud_delete(&s->c, server, now_s());
    pthread_rwlock_unlock(&s->lock);
}

void ossim_delete_stack(struct ossim *s, int stack)
{
    pthread_rwlock_wrlock(&s->lock);
    if (stack >= 0 && stack < 64)
        s->c.stacks_deleted |= 1ULL << stack;
    pthread_rwlock_unlock(&s->lock);
}

void ossim_stack_id(const struct ossim *s, int j, char out[37])
{
    (void)s;
    id_str(K_STACK, j, out);
}

int ossim_add_server(struct ossim *s, int hv)
{
    pthread_rwlock_wrlock(&s->lock);
    int i = cloud_add_server(&s->c, hv, now_s());
    pthread_rwlock_unlock(&s->lock);
    return i;
}

void ossim_catalog_add(struct ossim *s, const char *type, const char *url)
{
    pthread_rwlock_wrlock(&s->lock);
    snprintf(s->extra_type, sizeof(s->extra_type), "%s", type ? type : "");
    snprintf(s->extra_url, sizeof(s->extra_url), "%s", type && url ? url : "");
    pthread_rwlock_unlock(&s->lock);
}

int ossim_churn(struct ossim *s, double fraction)
{
    pthread_rwlock_wrlock(&s->lock);
    int n = cloud_churn(&s->c, fraction, now_s());
    pthread_rwlock_unlock(&s->lock);
    return n;
}

uint64_t ossim_requests(const struct ossim *s)
{
    return atomic_load(&((struct ossim *)s)->requests);
}

uint64_t ossim_mount_requests(const struct ossim *s, enum ossim_mount m)
{
    return atomic_load(&((struct ossim *)s)->mount_requests[m]);
}

unsigned ossim_max_in_flight(struct ossim *s)
{
    return atomic_exchange(&s->max_in_flight, 0);
}

unsigned ossim_delaying(const struct ossim *s)
{
    return atomic_load(&s->delaying);
}

uint64_t ossim_token_requests(const struct ossim *s)
{
    return atomic_load(&((struct ossim *)s)->token_requests);
}
