/* The host agent (see agent.h): hwloc discovery exported as XML, sysfs NIC facts, LLDP
 * neighbours, and a libcurl PUT to the central service. */
#include "importers/host/agent.h"

#include <dirent.h>
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "importers/host/lldp.h"
#include "importers/host/topology.h"
#include "importers/openstack/client.h"

#define AGENT_VERSION "1"
#define RESP_MAX      (64u * 1024u)

void ls_agent_opts_init(struct ls_agent_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->interval_s = 300;
    o->check_s = 30;
    o->timeout_s = 30;
}

/* ---- sysfs ---------------------------------------------------------------------------- */

/* Reads a small sysfs attribute into buf (trailing newline removed); false when absent. */
static bool read_attr(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[PATH_MAX + 320];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, cap - 1, f);
    bool ok = !ferror(f); /* speed of a down link reads EINVAL */
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return ok && n > 0;
}

static void int_attr(json_t *o, const char *dir, const char *file, const char *key)
{
    char buf[64], *end;
    if (!read_attr(dir, file, buf, sizeof(buf)))
        return;
    long long v = strtoll(buf, &end, 10);
    if (end != buf && *end == '\0' && v >= 0)
        json_object_set_new(o, key, json_integer(v));
}

static void str_attr(json_t *o, const char *dir, const char *file, const char *key)
{
    char buf[256];
    if (read_attr(dir, file, buf, sizeof(buf)) && buf[0] != '\0')
        json_object_set_new(o, key, json_string(buf));
}

int ls_agent_read_nics(json_t **out, const char *sysfs_root, struct ls_err *err)
{
    char base[PATH_MAX];
    snprintf(base, sizeof(base), "%s/class/net", sysfs_root ? sysfs_root : "/sys");
    DIR *d = opendir(base);
    if (d == NULL)
        return ls_err_set(err, LS_ENOTFOUND, "no_sysfs", "cannot read %s: %s", base,
                          strerror(errno));
    json_t *nics = json_object();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "lo") == 0)
            continue;
        char dir[PATH_MAX + 260], dev[PATH_MAX + 280], link[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
        snprintf(dev, sizeof(dev), "%s/device", dir);
        json_t *o = json_object();
        int_attr(o, dir, "speed", "speed_mbps");
        int_attr(o, dir, "mtu", "mtu");
        str_attr(o, dir, "operstate", "operstate");
        str_attr(o, dir, "address", "mac");
        int_attr(o, dev, "sriov_totalvfs", "sriov_totalvfs");
        int_attr(o, dev, "sriov_numvfs", "sriov_numvfs");
        char drv[PATH_MAX + 300];
        snprintf(drv, sizeof(drv), "%s/driver", dev);
        ssize_t n = readlink(drv, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            const char *slash = strrchr(link, '/');
            json_object_set_new(o, "driver", json_string(slash ? slash + 1 : link));
        }
        json_object_set_new(nics, de->d_name, o);
    }
    closedir(d);
    *out = nics;
    return LS_OK;
}

/* ---- collect -------------------------------------------------------------------------- */

/* hwloc on this machine, with I/O, exported as XML. New string in *out (free()). */
static int discover_xml(char **out, struct ls_err *err)
{
    hwloc_topology_t t;
    char *xml = NULL;
    int len = 0;
    if (hwloc_topology_init(&t) != 0)
        return ls_err_set(err, LS_ERR, "hwloc_failed", "hwloc: cannot initialise");
    hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    /* The linux backend reads PCI devices from sysfs itself; the libpciaccess component only
     * adds vendor names that sysfs lacks, and keeps a process-wide cache it never frees. */
    hwloc_topology_set_components(t, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
    int rc = LS_OK;
    if (hwloc_topology_load(t) != 0 || hwloc_topology_export_xmlbuffer(t, &xml, &len, 0) != 0) {
        rc = ls_err_set(err, LS_ERR, "hwloc_failed", "hwloc: cannot discover this machine: %s",
                        strerror(errno));
    } else {
        *out = ls_xstrndup(xml, (size_t)len);
        hwloc_free_xmlbuffer(t, xml);
    }
    hwloc_topology_destroy(t);
    return rc;
}

static int read_file(char **out, const char *path, struct ls_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ls_err_set(err, LS_ENOTFOUND, "no_file", "cannot read %s: %s", path,
                          strerror(errno));
    struct ls_buf b;
    ls_buf_init(&b, LS_HOST_MAX_XML);
    char chunk[65536];
    size_t n;
    int rc = LS_OK;
    while (rc == LS_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ls_buf_append(&b, chunk, n);
    fclose(f);
    if (rc != LS_OK) {
        ls_buf_cleanup(&b);
        return ls_err_set(err, LS_ELIMIT, "topology_too_large", "%s: larger than %u bytes", path,
                          LS_HOST_MAX_XML);
    }
    *out = ls_buf_take(&b);
    return LS_OK;
}

static void resolve_hostname(const struct ls_agent_opts *o, char *buf, size_t cap)
{
    if (o->hostname != NULL) {
        snprintf(buf, cap, "%s", o->hostname);
        return;
    }
    if (gethostname(buf, cap) != 0)
        snprintf(buf, cap, "localhost");
    buf[cap - 1] = '\0';
}

int ls_agent_collect(json_t **out, const struct ls_agent_opts *o, struct ls_err *err)
{
    char host[LS_HOST_NAME_MAX + 2];
    char *xml = NULL;
    json_t *nics = NULL;
    resolve_hostname(o, host, sizeof(host));
    int rc = o->xml_file ? read_file(&xml, o->xml_file, err) : discover_xml(&xml, err);
    if (rc != LS_OK)
        return rc;
    struct ls_err nerr;
    if (ls_agent_read_nics(&nics, o->sysfs_root, &nerr) != LS_OK) {
        ls_log(LS_LOG_WARN, "agent", "no nic facts", "reason=\"%s\"", nerr.msg);
        nics = json_object();
    }
    json_t *doc = json_pack("{s:s,s:s,s:o,s:s}", "hostname", host, "hwloc_xml", xml, "nics", nics,
                            "agent_version", AGENT_VERSION);
    free(xml);
    if (doc == NULL) /* not OOM: jansson refuses text that is not UTF-8 (nics stolen anyway) */
        return ls_err_set(err, LS_EINVAL, "invalid_topology",
                          "this host's hwloc xml or name is not UTF-8 (a DMI or device string in "
                          "another encoding?)");
    if (o->fqdn != NULL)
        json_object_set_new(doc, "fqdn", json_string(o->fqdn));
    if (o->no_lldp) {
        json_object_set_new(doc, "lldp_status", json_string("disabled"));
    } else {
        json_t *nbs = NULL;
        struct ls_err lerr;
        if (ls_host_lldp_discover(&nbs, o->lldp_socket, &lerr) == LS_OK) {
            json_object_set_new(doc, "lldp", nbs);
            json_object_set_new(doc, "lldp_status", json_string("ok"));
        } else {
            /* No lldpd is normal on many hosts: say so, send the rest. */
            char status[300];
            snprintf(status, sizeof(status), "unavailable: %s", lerr.msg);
            json_object_set_new(doc, "lldp_status", json_string(status));
        }
    }
    *out = doc;
    return LS_OK;
}

/* ---- post ----------------------------------------------------------------------------- */

int ls_agent_post(const struct ls_agent_opts *o,
                  const json_t *doc,
                  long *http_status,
                  struct ls_err *err)
{
    if (http_status)
        *http_status = 0;
    if (o->server == NULL)
        return ls_err_set(err, LS_EINVAL, "no_server", "no server URL given");
    const char *host = json_string_value(json_object_get(doc, "hostname"));
    int rc = ls_host_name_check(host, err);
    if (rc != LS_OK)
        return rc;
    char url[2048];
    size_t slen = strlen(o->server);
    while (slen > 0 && o->server[slen - 1] == '/')
        slen--;
    snprintf(url, sizeof(url), "%.*s/v1/hosts/%s/topology", (int)slen, o->server, host);
    char *body = json_dumps(doc, JSON_COMPACT);
    if (body == NULL)
        ls_json_oom();
    struct ls_buf resp;
    ls_buf_init(&resp, RESP_MAX);
    const struct ls_client_opts co = {
        .token = o->token, .cacert = o->cacert, .timeout_s = o->timeout_s};
    long status = 0;
    rc = ls_client_request(&co, "PUT", url, "application/json", body, strlen(body), &status, &resp,
                           err);
    if (http_status)
        *http_status = status;
    if (rc != LS_OK) {
        /* as returned */
    } else if (status >= 500) {
        rc = ls_err_set(err, LS_EUNAVAIL, "server_error", "PUT %s: HTTP %ld", url, status);
    } else if (status >= 400) {
        json_t *j = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
        const char *msg =
            json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        rc = ls_err_set(err, LS_EINVAL, "rejected", "PUT %s: HTTP %ld: %s", url, status,
                        msg ? msg : "(no message)");
        json_decref(j);
    }
    ls_buf_cleanup(&resp);
    free(body);
    return rc;
}

/* ---- loop ----------------------------------------------------------------------------- */

int ls_agent_step(const struct ls_agent_opts *o,
                  char **last,
                  long long *last_post_ns,
                  bool *posted,
                  struct ls_err *err)
{
    *posted = false;
    json_t *doc = NULL;
    int rc = ls_agent_collect(&doc, o, err);
    if (rc != LS_OK)
        return rc;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        ls_json_oom();
    long long now = ls_time_mono_ns();
    bool changed = *last == NULL || strcmp(*last, text) != 0;
    bool due = *last_post_ns == 0 || now - *last_post_ns >= (long long)o->interval_s * 1000000000LL;
    if (changed || due) {
        rc = ls_agent_post(o, doc, NULL, err);
        if (rc == LS_OK) {
            free(*last);
            *last = text;
            text = NULL;
            *last_post_ns = now;
            *posted = true;
        }
    }
    free(text);
    json_decref(doc);
    return rc;
}

int ls_agent_run(const struct ls_agent_opts *o, volatile sig_atomic_t *stop)
{
    char *last = NULL;
    long long last_post = 0;
    while (!*stop) {
        bool posted;
        struct ls_err err;
        if (ls_agent_step(o, &last, &last_post, &posted, &err) != LS_OK)
            ls_log(LS_LOG_WARN, "agent", "post failed", "code=%s reason=\"%s\"", err.code, err.msg);
        else if (posted)
            ls_log(LS_LOG_INFO, "agent", "topology posted", "server=%s", o->server);
        for (int i = 0; i < o->check_s && !*stop; i++)
            sleep(1);
    }
    free(last);
    return LS_OK;
}
