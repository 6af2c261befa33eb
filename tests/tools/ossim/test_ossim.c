/* ossim: the simulator driven over HTTP by libcurl — tokens and catalog, authentication
 * failures, paging, changes-since after changes, faults, microversions, placement
 * consistency and port filters. Each test starts its own small simulator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "tests/tools/ossim/ossim.h"

struct fx {
    struct ossim *s;
    char base[64];
    char token[128];
};

struct resp {
    long status;
    char *body;
    size_t len;
    char subject[128];
    char apiver[64];
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    struct resp *r = arg;
    char *b = realloc(r->body, r->len + sz * n + 1);
    assert_non_null(b);
    memcpy(b + r->len, p, sz * n);
    r->body = b;
    r->len += sz * n;
    b[r->len] = '\0';
    return sz * n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t l = strlen(name);
    if (n <= l + 1 || strncasecmp(line, name, l) != 0 || line[l] != ':')
        return;
    const char *v = line + l + 1;
    while (*v == ' ')
        v++;
    size_t vl = n - (size_t)(v - line);
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    snprintf(out, cap, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
    struct resp *r = arg;
    header_value(p, sz * n, "X-Subject-Token", r->subject, sizeof(r->subject));
    header_value(p, sz * n, "OpenStack-API-Version", r->apiver, sizeof(r->apiver));
    return sz * n;
}

/* One request; token and mv (an OpenStack-API-Version value) may be NULL. */
static void
http(struct resp *r, const char *url, const char *token, const char *mv, const char *post)
{
    memset(r, 0, sizeof(*r));
    CURL *h = curl_easy_init();
    assert_non_null(h);
    struct curl_slist *hd = NULL;
    char line[256];
    if (token) {
        snprintf(line, sizeof(line), "X-Auth-Token: %s", token);
        hd = curl_slist_append(hd, line);
    }
    if (mv) {
        snprintf(line, sizeof(line), "OpenStack-API-Version: %s", mv);
        hd = curl_slist_append(hd, line);
    }
    if (post) {
        hd = curl_slist_append(hd, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    if (!r->body)
        r->body = calloc(1, 1);
}

static const char *password_auth(const char *password)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
             "{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"%s\"}}},"
             "\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}",
             password);
    return buf;
}

static void get_token(struct fx *f, char *out, size_t cap)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/identity/v3/auth/tokens", f->base);
    struct resp r;
    http(&r, url, NULL, NULL, password_auth("secret"));
    assert_int_equal(r.status, 201);
    assert_true(strlen(r.subject) > 20);
    snprintf(out, cap, "%s", r.subject);
    free(r.body);
}

/* GET base+path with the fixture's token; returns the parsed body (asserts status). */
static json_t *get(struct fx *f, const char *path, const char *mv, long want)
{
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", strncmp(path, "http", 4) ? f->base : "", path);
    struct resp r;
    http(&r, url, f->token, mv, NULL);
    if (r.status != want)
        fprintf(stderr, "GET %s: %ld %s\n", url, r.status, r.body);
    assert_int_equal(r.status, want);
    json_error_t e;
    json_t *j = json_loadb(r.body, r.len, 0, &e);
    assert_non_null(j);
    free(r.body);
    return j;
}

static struct fx *start(const struct ossim_opts *o)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[128];
    f->s = ossim_start(o, err, sizeof(err));
    assert_non_null(f->s);
    snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", ossim_port(f->s));
    get_token(f, f->token, sizeof(f->token));
    return f;
}

static int setup(void **state)
{
    struct ossim_opts o;
    ossim_opts_default(&o);
    o.hypervisors = 3;
    o.servers = 7;
    o.volumes = 3;
    o.networks = 2;
    o.stacks = 2;
    o.extra_ports = 1;
    *state = start(&o);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ossim_stop(f->s);
    free(f);
    return 0;
}

static void iso(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- keystone ---- */

/* ossim_catalog_add: one more service in the catalog of the tokens issued after it. */
static void test_catalog_add(void **state)
{
    struct fx *f = *state;
    char url[128];
    snprintf(url, sizeof(url), "%s/identity/v3/auth/tokens", f->base);
    ossim_catalog_add(f->s, "landscape", "http://127.0.0.1:1/v1");
    for (int round = 0; round < 2; round++) {
        struct resp r;
        http(&r, url, NULL, NULL, password_auth("secret"));
        assert_int_equal(r.status, 201);
        json_t *j = json_loads(r.body, 0, NULL);
        free(r.body);
        json_t *cat = json_object_get(json_object_get(j, "token"), "catalog");
        assert_int_equal(json_array_size(cat), round == 0 ? 8 : 7);
        json_t *last = json_array_get(cat, json_array_size(cat) - 1);
        if (round == 0) {
            assert_string_equal(json_string_value(json_object_get(last, "type")), "landscape");
            json_t *eps = json_object_get(last, "endpoints");
            assert_int_equal(json_array_size(eps), 1);
            json_t *ep = json_array_get(eps, 0);
            assert_string_equal(json_string_value(json_object_get(ep, "interface")), "public");
            assert_string_equal(json_string_value(json_object_get(ep, "region_id")), "RegionOne");
            assert_string_equal(json_string_value(json_object_get(ep, "url")),
                                "http://127.0.0.1:1/v1");
        } else {
            assert_string_not_equal(json_string_value(json_object_get(last, "type")), "landscape");
        }
        json_decref(j);
        ossim_catalog_add(f->s, NULL, NULL);
    }
}

static void test_password_token_has_project_scope_and_catalog(void **state)
{
    struct fx *f = *state;
    char url[128];
    snprintf(url, sizeof(url), "%s/identity/v3/auth/tokens", f->base);
    struct resp r;
    http(&r, url, NULL, NULL, password_auth("secret"));
    assert_int_equal(r.status, 201);
    json_t *j = json_loads(r.body, 0, NULL);
    free(r.body);
    json_t *tok = json_object_get(j, "token");
    assert_string_equal(json_string_value(json_object_get(json_object_get(tok, "project"), "name")),
                        "admin");
    const char *exp = json_string_value(json_object_get(tok, "expires_at"));
    assert_int_equal(strlen(exp), 27);
    assert_string_equal(exp + 19, ".000000Z");
    json_t *cat = json_object_get(tok, "catalog");
    assert_int_equal(json_array_size(cat), 7);
    char admin[64];
    snprintf(admin, sizeof(admin), "%s",
             json_string_value(json_object_get(json_object_get(tok, "project"), "id")));
    size_t i;
    json_t *e;
    int seen = 0;
    json_array_foreach(cat, i, e)
    {
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *eps = json_object_get(e, "endpoints");
        assert_int_equal(json_array_size(eps), 4); /* public, internal, admin; another region */
        const char *u = json_string_value(json_object_get(json_array_get(eps, 0), "url"));
        assert_string_equal(json_string_value(json_object_get(json_array_get(eps, 0), "region_id")),
                            "RegionOne");
        char want[160] = "";
        if (!strcmp(type, "compute"))
            snprintf(want, sizeof(want), "%s/compute/v2.1", f->base);
        else if (!strcmp(type, "placement"))
            snprintf(want, sizeof(want), "%s/placement", f->base);
        else if (!strcmp(type, "volumev3") || !strcmp(type, "block-storage"))
            snprintf(want, sizeof(want), "%s/volume/v3/%s", f->base, admin);
        else if (!strcmp(type, "orchestration"))
            snprintf(want, sizeof(want), "%s/heat/v1/%s", f->base, admin);
        else if (!strcmp(type, "identity"))
            snprintf(want, sizeof(want), "%s", ossim_auth_url(f->s));
        else if (!strcmp(type, "network"))
            snprintf(want, sizeof(want), "%s/network", f->base);
        assert_string_equal(u, want);
        /* the internal one: the same path under /internal; the other region's under its mount */
        const json_t *in = json_array_get(eps, 1), *far = json_array_get(eps, 3);
        assert_string_equal(json_string_value(json_object_get(in, "interface")), "internal");
        const char *iu = json_string_value(json_object_get(in, "url"));
        assert_int_equal(strncmp(iu, f->base, strlen(f->base)), 0);
        assert_int_equal(strncmp(iu + strlen(f->base), "/internal/", 10), 0);
        assert_string_equal(iu + strlen(f->base) + 9, want + strlen(f->base));
        assert_string_equal(json_string_value(json_object_get(far, "region_id")), "OtherRegion");
        seen++;
    }
    assert_int_equal(seen, 7);
    json_decref(j);

    /* system scope and an application credential work too */
    http(&r, url, NULL, NULL,
         "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":"
         "\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"secret\"}}},\"scope\":"
         "{\"system\":{\"all\":true}}}}");
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"system\":{\"all\":true}"));
    free(r.body);
    http(&r, url, NULL, NULL,
         "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],"
         "\"application_credential\":{\"name\":\"sim-appcred\",\"user\":{\"name\":\"admin\","
         "\"domain\":{\"name\":\"Default\"}},\"secret\":\"secret\"}}}}");
    assert_int_equal(r.status, 201);
    free(r.body);
    assert_int_equal(ossim_token_requests(f->s), 4);
}

static void test_requests_without_a_valid_token_get_401(void **state)
{
    struct fx *f = *state;
    char url[160];
    snprintf(url, sizeof(url), "%s/compute/v2.1/servers/detail", f->base);
    struct resp r;
    http(&r, url, NULL, NULL, NULL);
    assert_int_equal(r.status, 401);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")), 401);
    json_decref(j);
    free(r.body);
    http(&r, url, "gAAAAABnotatoken", NULL, NULL);
    assert_int_equal(r.status, 401);
    free(r.body);
    snprintf(url, sizeof(url), "%s/identity/v3/auth/tokens", f->base);
    http(&r, url, NULL, NULL, password_auth("wrong"));
    assert_int_equal(r.status, 401);
    assert_string_equal(r.subject, "");
    free(r.body);
    snprintf(url, sizeof(url), "%s/nowhere", f->base);
    http(&r, url, f->token, NULL, NULL);
    assert_int_equal(r.status, 404);
    free(r.body);
}

/* ---- nova ---- */

static void test_servers_paging_by_two_sees_every_server_once(void **state)
{
    struct fx *f = *state;
    char path[2048] = "/compute/v2.1/servers/detail?all_tenants=1&limit=2";
    int seen[7] = {0}, pages = 0, total = 0;
    for (;;) {
        json_t *j = get(f, path, NULL, 200);
        json_t *sv = json_object_get(j, "servers");
        assert_true(json_array_size(sv) <= 2);
        size_t i;
        json_t *s;
        json_array_foreach(sv, i, s)
        {
            int k = atoi(json_string_value(json_object_get(s, "name")) + strlen("sim-vm-"));
            assert_true(k >= 0 && k < 7);
            char id[37];
            ossim_server_id(f->s, k, id);
            assert_string_equal(json_string_value(json_object_get(s, "id")), id);
            seen[k]++;
            total++;
        }
        pages++;
        json_t *links = json_object_get(j, "servers_links");
        if (!links) {
            json_decref(j);
            break;
        }
        const char *href = json_string_value(json_object_get(json_array_get(links, 0), "href"));
        assert_non_null(strstr(href, "limit=2"));
        assert_non_null(strstr(href, "all_tenants=1"));
        snprintf(path, sizeof(path), "%s", href);
        json_decref(j);
    }
    assert_int_equal(total, 7);
    assert_int_equal(pages, 4);
    for (int k = 0; k < 7; k++)
        assert_int_equal(seen[k], 1);
}

static void test_changes_since_reports_a_migration(void **state)
{
    struct fx *f = *state;
    char path[256], since[32], id[37];
    iso(time(NULL), since, sizeof(since));
    ossim_server_id(f->s, 1, id);
    ossim_migrate(f->s, 1, 2);
    snprintf(path, sizeof(path), "/compute/v2.1/servers/detail?all_tenants=1&changes-since=%s",
             since);
    json_t *j = get(f, path, NULL, 200);
    json_t *sv = json_object_get(j, "servers");
    assert_int_equal(json_array_size(sv), 1);
    json_t *s = json_array_get(sv, 0);
    assert_string_equal(json_string_value(json_object_get(s, "id")), id);
    assert_string_equal(json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:host")), "sim-hv-2");
    assert_string_equal(
        json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:hypervisor_hostname")), "sim-hv-2");
    json_decref(j);
    /* the port binding and the volume attachment follow */
    snprintf(path, sizeof(path), "/network/v2.0/ports?device_id=%s", id);
    j = get(f, path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "ports")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "ports"), 0), "binding:host_id")),
                        "sim-hv-2");
    json_decref(j);
    j = get(f, "/volume/v3/x/volumes/detail?all_tenants=1", NULL, 200);
    size_t i;
    json_t *v;
    int found = 0;
    json_array_foreach(json_object_get(j, "volumes"), i, v)
    {
        json_t *a = json_array_get(json_object_get(v, "attachments"), 0);
        if (a && !strcmp(json_string_value(json_object_get(a, "server_id")), id)) {
            assert_string_equal(json_string_value(json_object_get(a, "host_name")), "sim-hv-2");
            found++;
        }
    }
    assert_int_equal(found, 1);
    json_decref(j);
}

static void test_deleted_server_is_reported_deleted_and_leaves_the_list(void **state)
{
    struct fx *f = *state;
    char path[256], since[32], id[37];
    iso(time(NULL), since, sizeof(since));
    ossim_server_id(f->s, 2, id);
    ossim_delete_server(f->s, 2);
    snprintf(path, sizeof(path), "/compute/v2.1/servers/detail?all_tenants=1&changes-since=%s",
             since);
    json_t *j = get(f, path, NULL, 200);
    json_t *s = json_array_get(json_object_get(j, "servers"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "servers")), 1);
    assert_string_equal(json_string_value(json_object_get(s, "id")), id);
    assert_string_equal(json_string_value(json_object_get(s, "status")), "DELETED");
    assert_string_equal(json_string_value(json_object_get(s, "OS-EXT-STS:vm_state")), "deleted");
    json_decref(j);
    j = get(f, "/compute/v2.1/servers/detail?all_tenants=1", NULL, 200);
    json_t *sv = json_object_get(j, "servers");
    assert_int_equal(json_array_size(sv), 6);
    size_t i;
    json_array_foreach(sv, i, s)
    {
        assert_string_not_equal(json_string_value(json_object_get(s, "id")), id);
    }
    json_decref(j);
    snprintf(path, sizeof(path), "/network/v2.0/ports?device_id=%s", id);
    j = get(f, path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "ports")), 0);
    json_decref(j);
    /* an added server shows up first (newest) */
    int k = ossim_add_server(f->s, 0);
    assert_int_equal(k, 7);
    j = get(f, "/compute/v2.1/servers/detail?all_tenants=1", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "servers")), 7);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "servers"), 0), "name")),
                        "sim-vm-7");
    json_decref(j);
}

static void test_faults_status_expire_truncate_delay(void **state)
{
    struct fx *f = *state;
    char url[160];
    snprintf(url, sizeof(url), "%s/compute/v2.1/os-hypervisors/detail", f->base);
    struct ossim_fault ft = {.kind = OSSIM_FAULT_STATUS, .status = 500, .count = 1};
    ossim_fault(f->s, &ft);
    struct resp r;
    http(&r, url, f->token, NULL, NULL);
    assert_int_equal(r.status, 500);
    free(r.body);
    http(&r, url, f->token, NULL, NULL);
    assert_int_equal(r.status, 200);
    free(r.body);

    ft = (struct ossim_fault){.kind = OSSIM_FAULT_STATUS,
                              .status = 503,
                              .count = 1,
                              .skip = 1,
                              .path_contains = "/network/"};
    ossim_fault(f->s, &ft);
    json_decref(get(f, "/compute/v2.1/os-aggregates", NULL, 200));
    json_decref(get(f, "/network/v2.0/networks", NULL, 200));
    json_decref(get(f, "/network/v2.0/networks", NULL, 503));
    json_decref(get(f, "/network/v2.0/networks", NULL, 200));

    ft = (struct ossim_fault){.kind = OSSIM_FAULT_EXPIRE};
    ossim_fault(f->s, &ft);
    http(&r, url, f->token, NULL, NULL);
    assert_int_equal(r.status, 401);
    free(r.body);
    get_token(f, f->token, sizeof(f->token));
    http(&r, url, f->token, NULL, NULL);
    assert_int_equal(r.status, 200);
    free(r.body);

    ft = (struct ossim_fault){.kind = OSSIM_FAULT_TRUNCATE, .count = 1};
    ossim_fault(f->s, &ft);
    http(&r, url, f->token, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(r.len > 10);
    assert_null(json_loadb(r.body, r.len, 0, NULL));
    free(r.body);

    ft = (struct ossim_fault){.kind = OSSIM_FAULT_DELAY, .delay_ms = 300, .count = -1};
    ossim_fault(f->s, &ft);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    http(&r, url, f->token, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(r.status, 200);
    free(r.body);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    assert_true(ms >= 300);
    ossim_clear_faults(f->s);
    clock_gettime(CLOCK_MONOTONIC, &a);
    http(&r, url, f->token, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    free(r.body);
    ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    assert_true(ms < 300);
}

static void test_hypervisor_ids_follow_the_microversion(void **state)
{
    struct fx *f = *state;
    json_t *j = get(f, "/compute/v2.1/os-hypervisors/detail", NULL, 200);
    json_t *hv = json_object_get(j, "hypervisors");
    assert_int_equal(json_array_size(hv), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *h = json_array_get(hv, i);
        assert_int_equal(json_integer_value(json_object_get(h, "id")), (json_int_t)i + 1);
        assert_true(json_is_string(json_object_get(h, "cpu_info")));
        assert_int_equal(json_integer_value(json_object_get(h, "running_vms")), i == 0 ? 3 : 2);
    }
    assert_null(json_object_get(j, "hypervisors_links"));
    json_decref(j);

    json_t *rps = get(f, "/placement/resource_providers", NULL, 200);
    char url[256];
    snprintf(url, sizeof(url), "%s/compute/v2.1/os-hypervisors/detail?limit=2", f->base);
    struct resp r;
    http(&r, url, f->token, "compute 2.53", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.apiver, "compute 2.53");
    j = json_loads(r.body, 0, NULL);
    free(r.body);
    hv = json_object_get(j, "hypervisors");
    assert_int_equal(json_array_size(hv), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *rp = json_array_get(json_object_get(rps, "resource_providers"), i);
        assert_string_equal(json_string_value(json_object_get(json_array_get(hv, i), "id")),
                            json_string_value(json_object_get(rp, "uuid")));
    }
    const char *next = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "hypervisors_links"), 0), "href"));
    assert_non_null(next);
    json_t *j2 = get(f, next, "compute 2.53", 200);
    assert_int_equal(json_array_size(json_object_get(j2, "hypervisors")), 1);
    assert_null(json_object_get(j2, "hypervisors_links"));
    json_decref(j2);
    json_decref(j);
    json_decref(rps);
    json_decref(get(f, "/compute/v2.1/os-hypervisors/detail", "compute 2.97", 406));
    json_decref(get(f, "/compute/v2.1/os-hypervisors/detail", "compute 2.x", 400));
    http(&r, url, f->token, "compute latest", NULL);
    assert_string_equal(r.apiver, "compute 2.96");
    free(r.body);
}

/* ---- placement, neutron, cinder, heat ---- */

static void test_placement_usages_match_the_servers_on_each_provider(void **state)
{
    struct fx *f = *state;
    ossim_migrate(f->s, 0, 1);
    ossim_set_status(f->s, 3, "SHUTOFF");
    json_t *sv = get(f, "/compute/v2.1/servers/detail?all_tenants=1", "compute 2.47", 200);
    json_t *rps = get(f, "/placement/resource_providers", NULL, 200);
    size_t i;
    json_t *rp;
    json_array_foreach(json_object_get(rps, "resource_providers"), i, rp)
    {
        const char *name = json_string_value(json_object_get(rp, "name"));
        int vcpus = 0, ram = 0, disk = 0;
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(sv, "servers"), k, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "OS-EXT-SRV-ATTR:host")), name))
                continue;
            json_t *fl = json_object_get(s, "flavor");
            vcpus += (int)json_integer_value(json_object_get(fl, "vcpus"));
            ram += (int)json_integer_value(json_object_get(fl, "ram"));
            disk += (int)json_integer_value(json_object_get(fl, "disk"));
        }
        char path[256];
        const char *uuid = json_string_value(json_object_get(rp, "uuid"));
        snprintf(path, sizeof(path), "/placement/resource_providers/%s/usages", uuid);
        json_t *u = get(f, path, "placement 1.39", 200);
        json_t *us = json_object_get(u, "usages");
        assert_int_equal(json_integer_value(json_object_get(us, "VCPU")), vcpus);
        assert_int_equal(json_integer_value(json_object_get(us, "MEMORY_MB")), ram);
        assert_int_equal(json_integer_value(json_object_get(us, "DISK_GB")), disk);
        assert_int_equal(json_integer_value(json_object_get(u, "resource_provider_generation")),
                         json_integer_value(json_object_get(rp, "generation")));
        json_decref(u);
        snprintf(path, sizeof(path), "/placement/resource_providers/%s/inventories", uuid);
        u = get(f, path, "placement 1.39", 200);
        json_t *vc = json_object_get(json_object_get(u, "inventories"), "VCPU");
        assert_int_equal(json_integer_value(json_object_get(vc, "total")), 32 * (1 + (int)i % 4));
        assert_true(json_real_value(json_object_get(vc, "allocation_ratio")) == 4.0);
        json_decref(u);
    }
    /* sim-hv-1 now holds servers 0, 1 and 4: flavors 1 + 2 + 1 vcpus */
    char path[256], uuid[64];
    snprintf(uuid, sizeof(uuid), "%s",
             json_string_value(json_object_get(
                 json_array_get(json_object_get(rps, "resource_providers"), 1), "uuid")));
    snprintf(path, sizeof(path), "/placement/resource_providers/%s/usages", uuid);
    json_t *u = get(f, path, NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "usages"), "VCPU")), 4);
    json_decref(u);
    json_decref(get(f, "/placement/resource_providers/00000000-0000-0000-0000-000000000000/usages",
                    NULL, 404));
    json_decref(sv);
    json_decref(rps);
}

static void test_ports_filter_by_device_id(void **state)
{
    struct fx *f = *state;
    char a[37], b[37], path[512];
    ossim_server_id(f->s, 3, a);
    ossim_server_id(f->s, 5, b);
    snprintf(path, sizeof(path), "/network/v2.0/ports?device_id=%s&device_id=%s", a, b);
    json_t *j = get(f, path, NULL, 200);
    json_t *ports = json_object_get(j, "ports");
    assert_int_equal(json_array_size(ports), 2);
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        const char *dev = json_string_value(json_object_get(p, "device_id"));
        assert_true(!strcmp(dev, a) || !strcmp(dev, b));
        assert_string_equal(json_string_value(json_object_get(p, "device_owner")), "compute:nova");
        assert_string_equal(json_string_value(json_object_get(p, "binding:host_id")),
                            !strcmp(dev, a) ? "sim-hv-0" : "sim-hv-2");
    }
    json_decref(j);
    /* all ports: 7 servers + 1 extra + 2 router interfaces + 1 gateway, in pages by id */
    j = get(f, "/network/v2.0/ports?limit=4", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "ports")), 4);
    assert_non_null(json_object_get(j, "ports_links"));
    json_decref(j);
    j = get(f, "/network/v2.0/ports", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "ports")), 11);
    json_decref(j);
    j = get(f, "/network/v2.0/ports?device_owner=network:router_interface", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "ports")), 2);
    json_decref(j);
    j = get(f, "/network/v2.0/floatingips", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "floatingips")), 1);
    json_decref(j);
}

static void test_volumes_and_stack_resources(void **state)
{
    struct fx *f = *state;
    json_t *j = get(f, "/volume/v3/x/volumes/detail?all_tenants=1&limit=2", "volume 3.60", 200);
    assert_int_equal(json_array_size(json_object_get(j, "volumes")), 2);
    assert_non_null(json_object_get(j, "volumes_links"));
    json_decref(j);
    j = get(f, "/heat/v1/x/stacks?global_tenant=True", NULL, 200);
    json_t *st = json_object_get(j, "stacks");
    assert_int_equal(json_array_size(st), 2);
    char path[256];
    snprintf(path, sizeof(path), "/heat/v1/x/stacks/%s/%s/resources?nested_depth=5",
             json_string_value(json_object_get(json_array_get(st, 0), "stack_name")),
             json_string_value(json_object_get(json_array_get(st, 0), "id")));
    json_t *res = get(f, path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(res, "resources")), 4);
    char id[37];
    ossim_server_id(f->s, 0, id);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(res, "resources"), 0),
                                          "physical_resource_id")),
        id);
    json_decref(res);
    json_decref(j);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_password_token_has_project_scope_and_catalog, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catalog_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_without_a_valid_token_get_401, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_servers_paging_by_two_sees_every_server_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_changes_since_reports_a_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_server_is_reported_deleted_and_leaves_the_list,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_status_expire_truncate_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hypervisor_ids_follow_the_microversion, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_placement_usages_match_the_servers_on_each_provider,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ports_filter_by_device_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_volumes_and_stack_resources, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("tools/ossim", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
