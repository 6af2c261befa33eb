/* Discovery and the collections of a pass (see collect.h). Work is a list of tasks run by a
 * small pool of threads, each with its own connection; the first error stops the pass. */
#include "importers/openstack/collect.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/handoff.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "common/time.h"

#define MAX_PAGES     1000000
#define IDS_PER_QUERY 80                /* ids per filtered query: keeps URLs well under 8 KB */
#define PAGE_REGION   ((size_t)1 << 30) /* address space for a page's parse (a larger one spills) */

/* Every list of an inventory, once (init and cleanup walk the same table). */
#define N_LISTS 17
static void lists(struct ls_os_inventory *inv, json_t **out[N_LISTS])
{
    json_t **all[N_LISTS] = {&inv->projects,      &inv->hypervisors,   &inv->servers,
                             &inv->flavors,       &inv->aggregates,    &inv->zones,
                             &inv->providers,     &inv->networks,      &inv->subnets,
                             &inv->ports,         &inv->routers,       &inv->floatingips,
                             &inv->volumes,       &inv->stacks,        &inv->deleted_servers,
                             &inv->missing_ports, &inv->missing_stacks};
    memcpy(out, all, sizeof(all));
}

void ls_os_inventory_init(struct ls_os_inventory *inv)
{
    memset(inv, 0, sizeof(*inv));
    json_t **all[N_LISTS];
    lists(inv, all);
    for (size_t i = 0; i < N_LISTS; i++)
        *all[i] = json_array();
}

void ls_os_inventory_cleanup(struct ls_os_inventory *inv)
{
    json_t **all[N_LISTS];
    lists(inv, all);
    for (size_t i = 0; i < N_LISTS; i++)
        json_decref(*all[i]);
    memset(inv, 0, sizeof(*inv));
}

/* ---- discovery ---- */

/* "2.79" -> 2079 (minor < 1000). */
static int mv_num(const char *v)
{
    int major = 0, minor = 0;
    if (!v || sscanf(v, "%d.%d", &major, &minor) < 1)
        return 0;
    return major * 1000 + minor;
}

/* The highest version a version document offers: {"version": {...}} or {"versions": [...]}
 * ("version" or "max_version" member; CURRENT or SUPPORTED entries). 0 when none. */
static int doc_max_version(const json_t *doc, int major)
{
    const json_t *one = json_object_get(doc, "version"), *v;
    json_t *list = json_object_get(doc, "versions");
    if (json_is_object(list)) /* keystone's {"versions": {"values": [...]}} */
        list = json_object_get(list, "values");
    int best = 0;
    size_t i;
    for (i = 0; one || i < json_array_size(list); i++) {
        v = one ? one : json_array_get(list, i);
        const char *m = json_string_value(json_object_get(v, "max_version"));
        if (!m || !*m)
            m = json_string_value(json_object_get(v, "version"));
        int n = mv_num(m);
        if (n / 1000 == major && n > best)
            best = n;
        if (one)
            break;
    }
    return best;
}

/* The URL of a service's version document: the endpoint up to its version segment
 * (".../v2.1", ".../v3/<project>" -> ".../v3/"), or the endpoint itself. */
static void version_url(const char *endpoint, char *out, size_t cap)
{
    snprintf(out, cap, "%s", endpoint);
    const char *p = strstr(endpoint, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    while (p) {
        const char *seg = p + 1, *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n >= 2 && seg[0] == 'v' && seg[1] >= '0' && seg[1] <= '9') {
            snprintf(out, cap, "%.*s/", (int)(seg + n - endpoint), endpoint);
            return;
        }
        p = end;
    }
}

/* Negotiates one service: max(min(offered, want), ...) with a floor. mv gets "" when the
 * document cannot be read (no header is sent; the service's default applies). */
static int negotiate(struct ls_os_session *s,
                     struct ls_os_conn *c,
                     const char *endpoint,
                     const char *service,
                     int major,
                     int want,
                     char *mv,
                     size_t cap,
                     struct ls_err *err)
{
    char url[600];
    version_url(endpoint, url, sizeof(url));
    json_t *doc = NULL;
    int rc = ls_os_conn_get(c, NULL, url, NULL, &doc, err);
    if (rc == LS_EUNAVAIL)
        return rc;
    int offered = rc == LS_OK ? doc_max_version(doc, major) : 0;
    json_decref(doc);
    mv[0] = '\0';
    if (offered >= major * 1000) {
        int use = offered < want ? offered : want;
        snprintf(mv, cap, "%d.%d", use / 1000, use % 1000);
    }
    ls_os_session_set_microversion(s, service, mv[0] ? mv : NULL);
    return LS_OK;
}

int ls_os_discover(struct ls_os_session *s, struct ls_os_api *api, struct ls_err *err)
{
    memset(api, 0, sizeof(*api));
    int rc = ls_os_session_ensure(s, err); /* the catalog comes with the token */
    if (rc != LS_OK)
        return rc;
    static const char *const identity[] = {"identity", NULL}, *const compute[] = {"compute", NULL},
                             *const placement[] = {"placement", NULL},
                             *const network[] = {"network", NULL},
                             *const volume[] = {"volumev3", "block-storage", "volume", NULL},
                             *const heat[] = {"orchestration", NULL};
    ls_os_session_endpoint(s, identity, api->identity, sizeof(api->identity));
    if (!ls_os_session_endpoint(s, compute, api->compute, sizeof(api->compute)))
        return ls_err_set(err, LS_EINVAL, "no_compute",
                          "the catalog has no compute endpoint for this interface and region");
    ls_os_session_endpoint(s, placement, api->placement, sizeof(api->placement));
    ls_os_session_endpoint(s, network, api->network, sizeof(api->network));
    ls_os_session_endpoint(s, volume, api->volume, sizeof(api->volume));
    ls_os_session_endpoint(s, heat, api->heat, sizeof(api->heat));
    /* Neutron's catalog URL is the root; its API is under /v2.0. */
    size_t nl = strlen(api->network);
    if (nl && (nl < 5 || strcmp(api->network + nl - 5, "/v2.0") != 0))
        snprintf(api->network + nl, sizeof(api->network) - nl, "/v2.0");

    struct ls_os_conn *c = ls_os_conn_new(s);
    /* compute 2.79: hypervisor UUIDs (2.53), embedded flavors (2.47); hypervisors still
     * report their own figures (removed in 2.88), placement gives capacity either way. */
    rc = negotiate(s, c, api->compute, "compute", 2, 2079, api->compute_mv, sizeof(api->compute_mv),
                   err);
    if (rc == LS_OK && api->placement[0])
        rc = negotiate(s, c, api->placement, "placement", 1, 1019, api->placement_mv,
                       sizeof(api->placement_mv), err);
    if (rc == LS_OK && api->volume[0])
        rc = negotiate(s, c, api->volume, "volume", 3, 3060, api->volume_mv, sizeof(api->volume_mv),
                       err);
    ls_os_conn_free(c);
    if (rc != LS_OK)
        return rc;
    int cm = mv_num(api->compute_mv), pm = mv_num(api->placement_mv), vm = mv_num(api->volume_mv);
    api->hypervisor_uuids = cm >= 2053;
    api->embedded_flavor = cm >= 2047;
    api->volume_updated_since = vm >= 3060;
    api->provider_traits = pm >= 1006;
    return LS_OK;
}

/* ---- tasks ---- */

enum task_kind {
    T_LIST,  /* every page of url; items of `key` appended to `into` */
    T_MERGE, /* GET url; doc[key] set as obj[member] */
};

struct task {
    enum task_kind kind;
    const char *service; /* microversion header, or NULL */
    char *url;
    const char *key;
    json_t *into;       /* T_LIST: owned by the task list until merged */
    json_t *obj;        /* T_MERGE target (borrowed; several tasks may share it, so the
                           result is set after the workers are done) */
    json_t *result;     /* T_MERGE: what to set as obj[member] (owned until merged) */
    const char *member; /* T_MERGE */
    char *fallback_url; /* T_LIST: tried once when url answers 403 */
    bool allow_404;     /* T_MERGE: a 404 leaves obj alone (e.g. deleted meanwhile) */
    bool fell_back;
    bool prefetch; /* T_LIST: the next page fetched while this one is parsed (long lists) */
    bool sunk;     /* T_LIST: its pages go to the pool's sink as `list`, not into `into` */
    enum ls_os_long_list list;
    size_t pages, items; /* sunk so far */
};

struct pool {
    struct ls_os_session *s;
    const struct ls_os_api *api;
    struct task *t;
    size_t n, cap;
    atomic_size_t next;
    atomic_bool failed;
    pthread_mutex_t lock;
    struct ls_err err; /* the first failure */
    const struct ls_os_page_sink *sink;
    size_t hyps_at;       /* the hypervisor list's task: given to the sink before any page */
    bool hyps_given;      /* (under lock) */
    pthread_cond_t given; /* signalled when hyps_given or failed is set */
};

static struct task *
add_task(struct pool *p, enum task_kind kind, const char *service, char *url /* stolen */)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        struct task *t = realloc(p->t, p->cap * sizeof(*p->t));
        if (!t)
            ls_oom(p->cap * sizeof(*p->t));
        p->t = t;
    }
    struct task *t = &p->t[p->n++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->service = service;
    t->url = url;
    return t;
}

static char *fmt_url(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_url(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct ls_buf b;
    ls_buf_init(&b, 0);
    if (ls_buf_vprintf(&b, fmt, ap) != LS_OK)
        ls_oom(b.len);
    va_end(ap);
    return ls_buf_take(&b);
}

static struct task *add_list(struct pool *p, const char *service, const char *key, char *url)
{
    struct task *t = add_task(p, T_LIST, service, url);
    t->key = key;
    t->into = json_array();
    return t;
}

/* The next-page link of a list answer: "<key>_links" (Nova, Neutron, Cinder) or "links"
 * (array of {rel, href}, or Keystone's {"next": url}). */
static const char *next_link(const json_t *doc, const char *key)
{
    char name[96];
    snprintf(name, sizeof(name), "%s_links", key);
    const json_t *links = json_object_get(doc, name);
    if (!links)
        links = json_object_get(doc, "links");
    if (json_is_object(links))
        return json_string_value(json_object_get(links, "next"));
    size_t i;
    const json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *rel = json_string_value(json_object_get(l, "rel"));
        if (rel && !strcmp(rel, "next"))
            return json_string_value(json_object_get(l, "href"));
    }
    return NULL;
}

/* Services behind proxies often put their own internal address in next links; the path and
 * query are right, the origin is not. Rebase href onto the origin (scheme://host:port) of
 * the URL that was asked for. */
static char *rebase(const char *href, const char *asked)
{
    const char *hp = strstr(href, "://"), *ap = strstr(asked, "://");
    if (!hp || !ap)
        return ls_xstrdup(href);
    const char *hpath = strchr(hp + 3, '/'), *apath = strchr(ap + 3, '/');
    size_t origin = apath ? (size_t)(apath - asked) : strlen(asked);
    return fmt_url("%.*s%s", (int)origin, asked, hpath ? hpath : "/");
}

/* Waits until the sink has the hypervisor list; false: the pass failed first. */
static bool hypervisors_given(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->hyps_given && !atomic_load(&p->failed))
        pthread_cond_wait(&p->given, &p->lock);
    bool given = p->hyps_given;
    pthread_mutex_unlock(&p->lock);
    return given;
}

/* A sunk list's page to the sink (once it has the hypervisors). */
static int sink_page(struct pool *p, struct task *t, const json_t *items, struct ls_err *err)
{
    if (!hypervisors_given(p))
        return ls_err_set(err, LS_EUNAVAIL, "pass_failed", "%s: another list failed", t->url);
    int rc = p->sink->page(p->sink->arg, t->list, t->pages, items, err);
    t->pages++;
    t->items += json_array_size(items);
    return rc;
}

/* One answer of a list (doc, borrowed): its items appended to the task's (or given to the
 * sink), *next the next page's URL (NULL: the last page). */
static int list_page(
    struct pool *p, struct task *t, const char *url, json_t *doc, char **next, struct ls_err *err)
{
    *next = NULL;
    json_t *items = json_object_get(doc, t->key);
    if (!json_is_array(items))
        return ls_err_set(err, LS_EINVAL, "invalid_answer", "%s: no \"%s\" list in the answer",
                          t->url, t->key);
    if (t->sunk) {
        int rc = sink_page(p, t, items, err);
        if (rc != LS_OK)
            return rc;
    } else {
        json_array_extend(t->into, items);
    }
    const char *n = json_array_size(items) ? next_link(doc, t->key) : NULL;
    char *nu = n ? rebase(n, url) : NULL;
    if (nu && !strcmp(nu, url)) {
        free(nu);
        return ls_err_set(err, LS_EINVAL, "invalid_answer", "%s: a next link points at itself",
                          t->url);
    }
    *next = nu;
    return LS_OK;
}

static int run_list(struct pool *p, struct ls_os_conn *c, struct task *t, struct ls_err *err)
{
    char *url = ls_xstrdup(t->url);
    int rc = LS_OK;
    for (int page = 0; url; page++) {
        if (page >= MAX_PAGES) {
            rc = ls_err_set(err, LS_ELIMIT, "too_many_pages", "%s: more than %d pages", t->url,
                            MAX_PAGES);
            break;
        }
        json_t *doc = NULL;
        long status = 0;
        rc = ls_os_conn_get(c, t->service, url, &status, &doc, err);
        if (rc != LS_OK && status == 403 && t->fallback_url && !t->fell_back) {
            t->fell_back = true;
            free(url);
            url = ls_xstrdup(t->fallback_url);
            page = -1;
            continue;
        }
        char *next = NULL;
        if (rc == LS_OK)
            rc = list_page(p, t, url, doc, &next, err);
        json_decref(doc);
        free(url);
        url = next;
        if (rc != LS_OK || atomic_load(&p->failed))
            break;
    }
    free(url);
    return rc;
}

/* ---- long lists: the next page fetched while this one is parsed ----
 * A list's pages come one after another (each answer holds the next page's link), and parsing
 * a page of 1,000 servers takes as long as fetching it. So the next link is guessed from the
 * end of the body text (the "<key>_links" array, parsed alone) and fetched at once while a
 * second thread parses the page; the guess is checked against the parsed answer before the
 * fetched page is used, and a wrong guess only costs a refetch. */

/* The next link named by the last "<key>_links" array of a body, or NULL. */
static char *guess_next(const struct ls_buf *body, const char *key, const char *url)
{
    char name[96], pat[100];
    snprintf(name, sizeof(name), "%s_links", key);
    snprintf(pat, sizeof(pat), "\"%s\"", name);
    size_t plen = strlen(pat);
    const char *found = NULL;
    for (size_t i = body->len >= plen ? body->len - plen + 1 : 0; i-- > 0 && !found;)
        if (body->data[i] == '"' && memcmp(body->data + i, pat, plen) == 0)
            found = body->data + i;
    const char *end = body->data + body->len, *colon = NULL;
    if (found)
        colon = memchr(found + plen, ':', (size_t)(end - (found + plen)));
    json_error_t je;
    json_t *links =
        colon ? json_loadb(colon + 1, (size_t)(end - colon - 1), JSON_DISABLE_EOF_CHECK, &je)
              : NULL;
    if (!links)
        return NULL;
    json_t *doc = json_object();
    json_object_set_new(doc, name, links);
    const char *n = next_link(doc, key);
    char *out = n ? rebase(n, url) : NULL;
    json_decref(doc);
    /* a next page is the same list: only its query differs (nothing else is fetched on a
     * guess) */
    size_t path = strcspn(url, "?");
    if (out && (strncmp(out, url, path) != 0 || (out[path] != '?' && out[path] != '\0'))) {
        free(out);
        out = NULL;
    }
    return out;
}

/* The page a parser thread (common/handoff) has in hand, and what it found. */
struct parser {
    struct pool *p;
    struct task *t;
    struct ls_json_arena *arena; /* a sunk list's pages are parsed here, dropped once mapped */
    struct ls_handoff *thread;
    struct ls_buf body; /* the page in hand */
    char *url, *guess;
    int rc; /* the first failure */
    struct ls_err err;
    bool mismatch; /* the page's next link is not the guess */
    char *next;    /* then: the real next link (owned) */
};

static void parse_page(void *arg)
{
    struct parser *ps = arg;
    if (ps->rc == LS_OK) {
        json_t *doc = NULL;
        char *next = NULL;
        ls_json_arena_use(ps->arena);
        int rc = ls_os_parse_body(ps->url, ps->body.data, ps->body.len, &doc, &ps->err);
        ls_json_arena_use(NULL);
        if (rc == LS_OK)
            rc = list_page(ps->p, ps->t, ps->url, doc, &next, &ps->err);
        ls_json_arena_drop(ps->arena, doc); /* the page is mapped */
        ps->rc = rc;
        bool same = (!next && !ps->guess) || (next && ps->guess && !strcmp(next, ps->guess));
        if (rc == LS_OK && !same) {
            ps->mismatch = true;
            free(ps->next);
            ps->next = next;
            next = NULL;
        }
        free(next);
    }
    free(ps->url);
    free(ps->guess);
    ps->url = ps->guess = NULL;
}

/* After the parser went idle: the parse's failure, or (*url replaced) a wrong guess fixed. */
static int parser_verdict(struct parser *ps, char **url, struct ls_err *err)
{
    if (ps->rc != LS_OK) {
        *err = ps->err;
        return ps->rc;
    }
    if (ps->mismatch) {
        free(*url);
        *url = ps->next;
        ps->next = NULL;
        ps->mismatch = false;
    }
    return LS_OK;
}

static int
run_list_prefetch(struct pool *p, struct ls_os_conn *c, struct task *t, struct ls_err *err)
{
    struct parser ps;
    memset(&ps, 0, sizeof(ps));
    ps.p = p;
    ps.t = t;
    /* the sink copies what it keeps (a NULL region, if none can be had: parsed as usual) */
    ps.arena = t->sunk ? ls_json_arena_new(PAGE_REGION) : NULL;
    ls_buf_init(&ps.body, 0);
    ps.thread = ls_handoff_start(parse_page, &ps);
    struct ls_buf body;
    ls_buf_init(&body, 0);
    char *url = ls_xstrdup(t->url);
    int rc = LS_OK, pages = 0;
    while (url && rc == LS_OK && !atomic_load(&p->failed)) {
        if (pages++ >= MAX_PAGES) {
            rc = ls_err_set(err, LS_ELIMIT, "too_many_pages", "%s: more than %d pages", t->url,
                            MAX_PAGES);
            break;
        }
        struct ls_err fe;
        int fetched_rc = ls_os_conn_fetch(c, t->service, url, NULL, &body, &fe);
        char *guess = fetched_rc == LS_OK ? guess_next(&body, t->key, url) : NULL;
        ls_handoff_wait(ps.thread); /* the page before is parsed: was this its successor? */
        char *fetched = ls_xstrdup(url);
        rc = parser_verdict(&ps, &url, err);
        bool wrong = rc == LS_OK && (!url || strcmp(url, fetched) != 0);
        free(fetched);
        if (rc != LS_OK || wrong) { /* failed, or not the next page: fetch that one (if any) */
            free(guess);
            continue;
        }
        if (fetched_rc != LS_OK) {
            *err = fe;
            rc = fetched_rc;
            break;
        }
        struct ls_buf swap = ps.body; /* hand the page over; keep the other buffer */
        ps.body = body;
        body = swap;
        ps.url = ls_xstrdup(url);
        ps.guess = guess ? ls_xstrdup(guess) : NULL;
        ls_handoff_give(ps.thread);
        free(url);
        url = guess;
        if (!url) { /* the last page, says the guess: the parse has the last word */
            ls_handoff_wait(ps.thread);
            rc = parser_verdict(&ps, &url, err);
        }
    }
    ls_handoff_stop(ps.thread);
    if (rc == LS_OK)
        rc = parser_verdict(&ps, &url, err);
    free(ps.next);
    free(url);
    ls_buf_cleanup(&body);
    ls_buf_cleanup(&ps.body);
    ls_json_arena_free(ps.arena);
    return rc;
}

static int run_merge(struct ls_os_conn *c, struct task *t, struct ls_err *err)
{
    json_t *doc = NULL;
    int rc = ls_os_conn_get(c, t->service, t->url, NULL, &doc, err);
    if (rc == LS_ENOTFOUND && t->allow_404)
        return LS_OK;
    if (rc != LS_OK)
        return rc;
    json_t *v = t->key ? json_object_get(doc, t->key) : doc;
    if (!v) {
        json_decref(doc);
        return ls_err_set(err, LS_EINVAL, "invalid_answer", "%s: no \"%s\" in the answer", t->url,
                          t->key);
    }
    t->result = json_incref(v);
    json_decref(doc);
    return LS_OK;
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct ls_os_conn *c = ls_os_conn_new(p->s);
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n || atomic_load(&p->failed))
            break;
        struct task *t = &p->t[i];
        struct ls_err e;
        ls_err_clear(&e);
        int rc = t->kind == T_MERGE ? run_merge(c, t, &e)
                 : t->prefetch      ? run_list_prefetch(p, c, t, &e)
                                    : run_list(p, c, t, &e);
        if (rc == LS_OK && i == p->hyps_at && p->sink) {
            p->sink->hypervisors(p->sink->arg, t->into);
            pthread_mutex_lock(&p->lock);
            p->hyps_given = true;
            pthread_cond_broadcast(&p->given);
            pthread_mutex_unlock(&p->lock);
        }
        if (rc != LS_OK) {
            pthread_mutex_lock(&p->lock);
            if (!atomic_load(&p->failed)) {
                p->err = e;
                atomic_store(&p->failed, true);
            }
            pthread_cond_broadcast(&p->given);
            pthread_mutex_unlock(&p->lock);
        }
    }
    ls_os_conn_free(c);
    return NULL;
}

/* Runs the tasks added since `from` with up to `threads` workers. */
static int run_tasks(struct pool *p, size_t from, int threads, struct ls_err *err)
{
    atomic_store(&p->next, from);
    size_t todo = p->n - from;
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > todo)
        threads = (int)todo;
    pthread_t th[64];
    int started = 0;
    for (int i = 0; i < threads && i < 64; i++)
        if (pthread_create(&th[started], NULL, worker, p) == 0)
            started++;
    if (started == 0 && todo > 0)
        worker(p);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = from; i < p->n; i++) /* objects are shared between tasks: set them here */
        if (p->t[i].kind == T_MERGE && p->t[i].result) {
            json_object_set_new(p->t[i].obj, p->t[i].member, p->t[i].result);
            p->t[i].result = NULL;
        }
    if (atomic_load(&p->failed)) {
        if (err)
            *err = p->err;
        return p->err.status;
    }
    return LS_OK;
}

static void pool_init(struct pool *p, struct ls_os_session *s, const struct ls_os_api *api)
{
    memset(p, 0, sizeof(*p));
    p->s = s;
    p->api = api;
    p->hyps_at = SIZE_MAX;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->given, NULL);
}

static void pool_cleanup(struct pool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->t[i].url);
        free(p->t[i].fallback_url);
        json_decref(p->t[i].into);
        json_decref(p->t[i].result);
    }
    free(p->t);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->given);
}

/* Moves a finished list task's items into dst. */
static void take(struct task *t, json_t *dst)
{
    if (t)
        json_array_extend(dst, t->into);
}

/* Per provider: inventories, usages (and traits, aggregates on a full pass). */
static void add_provider_tasks(struct pool *p, json_t *providers, bool full)
{
    const struct ls_os_api *api = p->api;
    size_t i;
    json_t *rp;
    json_array_foreach(providers, i, rp)
    {
        const char *uuid = json_string_value(json_object_get(rp, "uuid"));
        if (!uuid)
            continue;
        static const char *const what[][2] = {{"usages", "usages"},
                                              {"inventories", "inventories"},
                                              {"traits", "traits"},
                                              {"aggregates", "aggregates"}};
        for (int k = 0; k < (full ? 4 : 1); k++) {
            if (k == 2 && !api->provider_traits)
                continue;
            struct task *t =
                add_task(p, T_MERGE, "placement",
                         fmt_url("%s/resource_providers/%s/%s", api->placement, uuid, what[k][0]));
            t->key = what[k][1];
            t->obj = rp;
            t->member = what[k][1];
            t->allow_404 = true;
        }
    }
}

/* Heat resources of every stack (nested ones included). */
static void add_stack_tasks(struct pool *p, json_t *stacks)
{
    size_t i;
    json_t *st;
    json_array_foreach(stacks, i, st)
    {
        const char *id = json_string_value(json_object_get(st, "id"));
        const char *name = json_string_value(json_object_get(st, "stack_name"));
        if (!id || !name)
            continue;
        struct task *t =
            add_task(p, T_MERGE, NULL,
                     fmt_url("%s/stacks/%s/%s/resources?nested_depth=5", p->api->heat, name, id));
        t->key = "resources";
        t->obj = st;
        t->member = "resources";
        t->allow_404 = true;
    }
}

static uint64_t session_requests(struct ls_os_session *s)
{
    struct ls_os_session_stats st;
    ls_os_session_stats(s, &st);
    return st.requests;
}

/* A long list: its next page fetched while one is parsed, and given to the sink if any. */
static void long_list(struct pool *p, struct task *t, enum ls_os_long_list list)
{
    t->prefetch = true;
    t->sunk = p->sink != NULL;
    t->list = list;
}

/* Appends a sentence to the pass's warning. */
static void warn(struct ls_os_inventory *inv, const char *text)
{
    size_t n = strlen(inv->warning);
    snprintf(inv->warning + n, sizeof(inv->warning) - n, "%s%s", n ? "; " : "", text);
}

/* The services the catalog left out, in inv->unread and its warning. */
static void note_unread(const struct ls_os_api *api, struct ls_os_inventory *inv)
{
    static const struct {
        unsigned bit;
        size_t at; /* the endpoint's offset in ls_os_api */
        const char *what;
    } svc[] = {
        {LS_OS_UNREAD_IDENTITY, offsetof(struct ls_os_api, identity), "identity (projects)"},
        {LS_OS_UNREAD_NETWORK, offsetof(struct ls_os_api, network), "network (Neutron)"},
        {LS_OS_UNREAD_VOLUME, offsetof(struct ls_os_api, volume), "block-storage (volumes)"},
        {LS_OS_UNREAD_HEAT, offsetof(struct ls_os_api, heat), "orchestration (stacks)"},
        {LS_OS_UNREAD_PLACEMENT, offsetof(struct ls_os_api, placement),
         "placement (capacity, usages, traits)"},
    };
    char names[256] = "";
    for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
        if (((const char *)api + svc[i].at)[0] == '\0') {
            inv->unread |= svc[i].bit;
            size_t n = strlen(names);
            snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", svc[i].what);
        }
    if (!names[0])
        return;
    char text[512];
    snprintf(text, sizeof(text),
             "the catalog has no endpoint for %s (for this interface and region; a "
             "system-scoped token's catalog leaves out endpoints that name a project): not "
             "read; the nodes the landscape has of them are kept as they were",
             names);
    warn(inv, text);
}

int ls_os_collect_full(struct ls_os_session *s,
                       const struct ls_os_api *api,
                       const struct ls_os_collect_opts *o,
                       const struct ls_os_page_sink *sink,
                       struct ls_os_inventory *inv,
                       struct ls_err *err)
{
    inv->full = true;
    inv->started_us = ls_time_now_us();
    note_unread(api, inv);
    uint64_t req0 = session_requests(s);
    struct pool p;
    pool_init(&p, s, api);
    p.sink = sink;
    int lim = o->page_size > 0 ? o->page_size : 1000;
    /* The hypervisors first (the sink needs them before any page, and a worker that waits
     * for them must not hold the only one that would read them), then the longest: the
     * server list is the long pole. */
    p.hyps_at = p.n;
    struct task *hyps = add_list(
        &p, "compute", "hypervisors",
        api->hypervisor_uuids ? fmt_url("%s/os-hypervisors/detail?limit=%d", api->compute, lim)
                              : fmt_url("%s/os-hypervisors/detail", api->compute));
    struct task *servers =
        add_list(&p, "compute", "servers",
                 fmt_url("%s/servers/detail?all_tenants=1&limit=%d", api->compute, lim));
    long_list(&p, servers, LS_OS_SERVERS);
    struct task *ports = NULL, *networks = NULL, *subnets = NULL, *routers = NULL, *fips = NULL,
                *volumes = NULL, *providers = NULL, *stacks = NULL, *flavors = NULL;
    if (api->network[0]) {
        ports = add_list(&p, NULL, "ports", fmt_url("%s/ports?limit=%d", api->network, lim));
        long_list(&p, ports, LS_OS_PORTS);
        networks =
            add_list(&p, NULL, "networks", fmt_url("%s/networks?limit=%d", api->network, lim));
        subnets = add_list(&p, NULL, "subnets", fmt_url("%s/subnets?limit=%d", api->network, lim));
        routers = add_list(&p, NULL, "routers", fmt_url("%s/routers?limit=%d", api->network, lim));
        fips = add_list(&p, NULL, "floatingips",
                        fmt_url("%s/floatingips?limit=%d", api->network, lim));
    }
    if (api->volume[0]) {
        volumes = add_list(&p, "volume", "volumes",
                           fmt_url("%s/volumes/detail?all_tenants=1&limit=%d", api->volume, lim));
        long_list(&p, volumes, LS_OS_VOLUMES);
    }
    if (api->placement[0])
        providers = add_list(&p, "placement", "resource_providers",
                             fmt_url("%s/resource_providers", api->placement));
    struct task *aggs =
        add_list(&p, "compute", "aggregates", fmt_url("%s/os-aggregates", api->compute));
    struct task *zones = add_list(&p, "compute", "availabilityZoneInfo",
                                  fmt_url("%s/os-availability-zone/detail", api->compute));
    if (!api->embedded_flavor)
        flavors = add_list(&p, "compute", "flavors",
                           fmt_url("%s/flavors/detail?is_public=None", api->compute));
    struct task *projects = NULL;
    if (api->identity[0])
        projects = add_list(&p, NULL, "projects", fmt_url("%s/projects", api->identity));
    if (api->heat[0]) {
        stacks = add_list(&p, NULL, "stacks", fmt_url("%s/stacks?global_tenant=True", api->heat));
        stacks->fallback_url = fmt_url("%s/stacks", api->heat);
    }
    int rc = run_tasks(&p, 0, o->concurrency, err);
    if (rc == LS_OK) {
        /* Task pointers move when the list grows: take the lists first. */
        const struct task *longs[LS_OS_LONG_LISTS] = {servers, ports, volumes};
        for (size_t l = 0; l < LS_OS_LONG_LISTS; l++)
            inv->sunk[l] = longs[l] ? longs[l]->items : 0;
        take(servers, inv->servers);
        take(ports, inv->ports);
        take(networks, inv->networks);
        take(subnets, inv->subnets);
        take(routers, inv->routers);
        take(fips, inv->floatingips);
        take(volumes, inv->volumes);
        take(hyps, inv->hypervisors);
        take(providers, inv->providers);
        take(aggs, inv->aggregates);
        take(zones, inv->zones);
        take(flavors, inv->flavors);
        take(projects, inv->projects);
        take(stacks, inv->stacks);
        if (stacks && stacks->fell_back)
            warn(inv, "heat: listing all projects' stacks is not allowed (stacks:global_index); "
                      "only the scoped project's stacks are imported");
        size_t from = p.n;
        add_provider_tasks(&p, inv->providers, true);
        add_stack_tasks(&p, inv->stacks);
        rc = run_tasks(&p, from, o->concurrency, err);
    }
    pool_cleanup(&p);
    inv->requests = session_requests(s) - req0;
    return rc;
}

/* Appends one filtered list task per batch of ids (base + "param=a&param=b..."); returns the
 * index of the first task added, *count the number added. */
static size_t add_batched(struct pool *p,
                          const char *key,
                          const char *base,
                          const char *param,
                          const json_t *ids,
                          size_t *count)
{
    size_t n = json_array_size(ids), first = p->n;
    *count = 0;
    for (size_t i = 0; i < n; i += IDS_PER_QUERY) {
        size_t cap = 64 + IDS_PER_QUERY * 80, len = 0;
        char *q = ls_xmalloc(cap);
        q[0] = '\0';
        for (size_t j = i; j < n && j < i + IDS_PER_QUERY; j++) {
            const char *id = json_string_value(json_array_get(ids, j));
            if (id && strlen(id) < 60 && strspn(id, "0123456789abcdefABCDEF-") == strlen(id))
                len += (size_t)snprintf(q + len, cap - len, "%s%s=%s", len ? "&" : "", param, id);
        }
        if (len) {
            add_list(p, NULL, key, fmt_url("%s%s", base, q));
            (*count)++;
        }
        free(q);
    }
    return first;
}

/* A list of objects indexed by their "id" (new object: id -> the object). */
static json_t *by_id(const json_t *items)
{
    json_t *index = json_object();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *x = json_string_value(json_object_get(it, "id"));
        if (x)
            json_object_set(index, x, it);
    }
    return index;
}

int ls_os_collect_incremental(struct ls_os_session *s,
                              const struct ls_os_api *api,
                              const struct ls_os_collect_opts *o,
                              int64_t since_us,
                              const json_t *stack_ids,
                              ls_os_touched_fn touched,
                              void *touched_arg,
                              struct ls_os_inventory *inv,
                              struct ls_err *err)
{
    inv->full = false;
    inv->started_us = ls_time_now_us();
    uint64_t req0 = session_requests(s);
    char since[40];
    ls_time_format_rfc3339(since_us - since_us % 1000000, since, sizeof(since));
    struct pool p;
    pool_init(&p, s, api);
    int lim = o->page_size > 0 ? o->page_size : 1000;
    add_list(&p, "compute", "servers",
             fmt_url("%s/servers/detail?all_tenants=1&limit=%d&changes-since=%s", api->compute, lim,
                     since));
    size_t volumes_at = 0;
    if (api->volume[0] && api->volume_updated_since) {
        volumes_at = p.n;
        add_list(&p, "volume", "volumes",
                 fmt_url("%s/volumes/detail?all_tenants=1&limit=%d&updated_at=gte:%s", api->volume,
                         lim, since));
    }
    size_t stacks_at = 0;
    bool want_stacks = api->heat[0] && json_array_size(stack_ids) > 0;
    if (want_stacks) {
        stacks_at = p.n;
        struct task *t =
            add_list(&p, NULL, "stacks", fmt_url("%s/stacks?global_tenant=True", api->heat));
        t->fallback_url = fmt_url("%s/stacks", api->heat);
    }
    int rc = run_tasks(&p, 0, o->concurrency, err);
    json_t *changed = json_array(), *port_ids = json_array();
    if (rc == LS_OK && want_stacks) {
        /* only the stacks the events named (and their resources) */
        json_t *all = json_array(), *st, *x;
        take(&p.t[stacks_at], all);
        json_t *listed = by_id(all);
        size_t k;
        json_array_foreach(stack_ids, k, x)
        {
            st = json_is_string(x) ? json_object_get(listed, json_string_value(x)) : NULL;
            json_array_append(st ? inv->stacks : inv->missing_stacks, st ? st : x);
        }
        json_decref(listed);
        json_decref(all);
    }
    if (rc == LS_OK) {
        json_t *all = json_array();
        take(&p.t[0], all);
        if (volumes_at)
            take(&p.t[volumes_at], inv->volumes);
        size_t i;
        json_t *sv;
        json_array_foreach(all, i, sv)
        {
            const char *id = json_string_value(json_object_get(sv, "id"));
            const char *st = json_string_value(json_object_get(sv, "status"));
            if (!id)
                continue;
            json_array_append_new(changed, json_string(id));
            if (st && !strcmp(st, "DELETED"))
                json_array_append_new(inv->deleted_servers, json_string(id));
            else
                json_array_append(inv->servers, sv);
        }
        if (touched)
            touched(all, inv->providers, port_ids, touched_arg);
        json_decref(all);
        size_t from = p.n, n_dev = 0, n_ids = 0, dev_at = 0, ids_at = 0;
        if (api->network[0]) {
            char base[600];
            snprintf(base, sizeof(base), "%s/ports?", api->network);
            dev_at = add_batched(&p, "ports", base, "device_id", changed, &n_dev);
            ids_at = add_batched(&p, "ports", base, "id", port_ids, &n_ids);
        }
        if (api->placement[0])
            add_provider_tasks(&p, inv->providers, false);
        add_stack_tasks(&p, inv->stacks);
        rc = run_tasks(&p, from, o->concurrency, err);
        if (rc == LS_OK) {
            for (size_t k = 0; k < n_dev; k++)
                take(&p.t[dev_at + k], inv->ports);
            json_t *found = json_array(), *pt, *have = by_id(inv->ports);
            json_t *asked = json_object();
            json_array_foreach(port_ids, i, pt)
            {
                if (json_is_string(pt))
                    json_object_set_new(asked, json_string_value(pt), json_true());
            }
            for (size_t k = 0; k < n_ids; k++)
                take(&p.t[ids_at + k], found);
            json_array_foreach(found, i, pt)
            {
                /* only what was asked for: a service that ignores the id filter answers more */
                const char *pid = json_string_value(json_object_get(pt, "id"));
                if (pid && json_object_get(asked, pid) && !json_object_get(have, pid)) {
                    json_array_append(inv->ports, pt);
                    json_object_set(have, pid, pt);
                }
            }
            json_array_foreach(port_ids, i, pt)
            {
                if (json_is_string(pt) && !json_object_get(have, json_string_value(pt)))
                    json_array_append(inv->missing_ports, pt);
            }
            json_decref(found);
            json_decref(have);
            json_decref(asked);
        }
    }
    json_decref(changed);
    json_decref(port_ids);
    pool_cleanup(&p);
    inv->requests = session_requests(s) - req0;
    return rc;
}
