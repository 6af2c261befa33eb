/* LLDP neighbours: liblldpctl (live lldpd) and lldpcli JSON (captures), both to the canonical
 * neighbour array of lldp.h. */
#include "importers/host/lldp.h"

#include <lldpctl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

/* o[k] = v when v is a non-empty UTF-8 string. A switch may send any bytes in its LLDP TLVs:
 * a value that is not UTF-8 is left out (a missing chassis or port id then refuses that
 * neighbour by name), where json_string's NULL used to reach ls_json_oom and abort the agent. */
static void set_str(json_t *o, const char *k, const char *v)
{
    if (v == NULL || v[0] == '\0')
        return;
    json_t *s = json_string(v);
    if (s != NULL && json_object_set_new(o, k, s) != 0)
        ls_json_oom();
}

static json_t *new_array(void)
{
    json_t *a = json_array();
    if (a == NULL)
        ls_json_oom();
    return a;
}

/* Appends nb (stolen) to out, enforcing the required members and the count bound. */
static int add_neighbor(json_t *out, json_t *nb, const char *where, struct ls_err *err)
{
    static const char *const required[] = {"interface", "chassis_id", "port_id"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (json_string_value(json_object_get(nb, required[i])) == NULL) {
            json_decref(nb);
            return ls_err_set(err, LS_EINVAL, "invalid_lldp", "%s: %s missing", where, required[i]);
        }
    if (json_array_size(out) >= LS_LLDP_MAX_NEIGHBORS) {
        json_decref(nb);
        return ls_err_set(err, LS_ELIMIT, "too_many_neighbors", "more than %d lldp neighbours",
                          LS_LLDP_MAX_NEIGHBORS);
    }
    if (json_array_append_new(out, nb) != 0)
        ls_json_oom();
    return LS_OK;
}

/* ---- lldpcli -f json ------------------------------------------------------------------ */

/* {"type": t, "value": v} -> members key and key_type of nb. */
static void typed_id(json_t *nb, const json_t *id, const char *key, const char *type_key)
{
    set_str(nb, key, json_string_value(json_object_get(id, "value")));
    set_str(nb, type_key, json_string_value(json_object_get(id, "type")));
}

/* One interface entry: {"via", "chassis": {<name>: {...}} or {...}, "port": {...}}. */
static int parse_entry(json_t *out, const char *ifname, const json_t *e, struct ls_err *err)
{
    char where[320];
    snprintf(where, sizeof(where), "lldp interface %.255s", ifname);
    if (!json_is_object(e))
        return ls_err_set(err, LS_EINVAL, "invalid_lldp", "%s: expected an object", where);
    json_t *nb = json_object();
    if (nb == NULL)
        ls_json_oom();
    set_str(nb, "interface", ifname);
    const json_t *ch = json_object_get(e, "chassis");
    const char *name = NULL;
    if (json_is_object(ch) && json_object_get(ch, "id") == NULL && json_object_size(ch) == 1) {
        /* named chassis: the only key is the system name */
        void *it = json_object_iter((json_t *)ch);
        name = json_object_iter_key(it);
        ch = json_object_iter_value(it);
    }
    set_str(nb, "system_name", name);
    typed_id(nb, json_object_get(ch, "id"), "chassis_id", "chassis_id_type");
    set_str(nb, "system_descr", json_string_value(json_object_get(ch, "descr")));
    const json_t *mgmt = json_object_get(ch, "mgmt-ip");
    set_str(nb, "mgmt_ip",
            json_is_array(mgmt) ? json_string_value(json_array_get(mgmt, 0))
                                : json_string_value(mgmt));
    const json_t *port = json_object_get(e, "port");
    typed_id(nb, json_object_get(port, "id"), "port_id", "port_id_type");
    set_str(nb, "port_descr", json_string_value(json_object_get(port, "descr")));
    return add_neighbor(out, nb, where, err);
}

/* Calls parse_entry for each {ifname: entry} member of obj. */
static int parse_interfaces(json_t *out, const json_t *obj, struct ls_err *err)
{
    const char *ifname;
    json_t *e;
    json_object_foreach((json_t *)obj, ifname, e)
    {
        int rc = parse_entry(out, ifname, e, err);
        if (rc != LS_OK)
            return rc;
    }
    return LS_OK;
}

int ls_host_lldp_parse_lldpcli(json_t **out, const char *text, size_t len, struct ls_err *err)
{
    *out = NULL;
    if (len > LS_LLDP_MAX_TEXT)
        return ls_err_set(err, LS_ELIMIT, "lldp_too_large",
                          "lldpcli output: %zu bytes, more than the limit of %u", len,
                          LS_LLDP_MAX_TEXT);
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (root == NULL)
        return ls_err_set(err, LS_EINVAL, "invalid_lldp", "lldpcli output: line %d: %s", je.line,
                          je.text);
    json_t *arr = new_array();
    int rc = LS_OK;
    const json_t *lldp = json_object_get(root, "lldp");
    if (!json_is_object(lldp)) {
        rc = ls_err_set(err, LS_EINVAL, "invalid_lldp",
                        "lldpcli output: expected an object with member \"lldp\"");
        goto out;
    }
    const json_t *ifs = json_object_get(lldp, "interface");
    if (json_is_object(ifs)) {
        rc = parse_interfaces(arr, ifs, err);
    } else if (json_is_array(ifs)) {
        size_t i;
        json_t *v;
        json_array_foreach(ifs, i, v)
        {
            if (rc == LS_OK)
                rc = parse_interfaces(arr, v, err);
        }
    } else if (ifs != NULL) {
        rc = ls_err_set(err, LS_EINVAL, "invalid_lldp",
                        "lldpcli output: \"interface\" must be an object or an array");
    }
out:
    json_decref(root);
    if (rc != LS_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LS_OK;
}

/* ---- liblldpctl ----------------------------------------------------------------------- */

static const char *atom_str(lldpctl_atom_t *a, lldpctl_key_t key)
{
    return a ? lldpctl_atom_get_str(a, key) : NULL;
}

/* Neighbour atom nb seen on ifname -> canonical object appended to out. */
static int
add_live_neighbor(json_t *out, const char *ifname, lldpctl_atom_t *nb, struct ls_err *err)
{
    json_t *o = json_object();
    if (o == NULL)
        ls_json_oom();
    set_str(o, "interface", ifname);
    set_str(o, "port_id", atom_str(nb, lldpctl_k_port_id));
    set_str(o, "port_id_type", atom_str(nb, lldpctl_k_port_id_subtype));
    set_str(o, "port_descr", atom_str(nb, lldpctl_k_port_descr));
    lldpctl_atom_t *ch = lldpctl_atom_get(nb, lldpctl_k_port_chassis);
    set_str(o, "chassis_id", atom_str(ch, lldpctl_k_chassis_id));
    set_str(o, "chassis_id_type", atom_str(ch, lldpctl_k_chassis_id_subtype));
    set_str(o, "system_name", atom_str(ch, lldpctl_k_chassis_name));
    set_str(o, "system_descr", atom_str(ch, lldpctl_k_chassis_descr));
    lldpctl_atom_t *mgmts = ch ? lldpctl_atom_get(ch, lldpctl_k_chassis_mgmt) : NULL;
    lldpctl_atom_t *m;
    lldpctl_atom_foreach(mgmts, m)
    {
        if (json_object_get(o, "mgmt_ip") == NULL)
            set_str(o, "mgmt_ip", atom_str(m, lldpctl_k_mgmt_ip));
    }
    lldpctl_atom_dec_ref(mgmts);
    lldpctl_atom_dec_ref(ch);
    char where[320];
    snprintf(where, sizeof(where), "lldp interface %.255s", ifname);
    return add_neighbor(out, o, where, err);
}

/* liblldpctl logs to stderr by default; its lines become ours, at debug (the caller reports
 * the outcome itself). */
static void lldpctl_log(int severity, const char *msg)
{
    (void)severity;
    ls_log(LS_LOG_DEBUG, "lldp", "liblldpctl", "detail=\"%s\"", msg);
}

static void lldpctl_log_init(void)
{
    lldpctl_log_callback(lldpctl_log);
}

int ls_host_lldp_discover(json_t **out, const char *ctlname, struct ls_err *err)
{
    static pthread_once_t log_once = PTHREAD_ONCE_INIT;
    pthread_once(&log_once, lldpctl_log_init);
    *out = NULL;
    const char *sock = ctlname ? ctlname : lldpctl_get_default_transport();
    lldpctl_conn_t *conn = lldpctl_new_name(sock, NULL, NULL, NULL);
    if (conn == NULL)
        ls_oom(0);
    json_t *arr = new_array();
    int rc = LS_OK;
    lldpctl_atom_t *ifaces = lldpctl_get_interfaces(conn);
    if (ifaces == NULL) {
        lldpctl_error_t e = lldpctl_last_error(conn);
        if (e == LLDPCTL_ERR_CANNOT_CONNECT)
            rc = ls_err_set(err, LS_EUNAVAIL, "lldpd_unavailable",
                            "lldpd is not running: cannot connect to %s", sock);
        else
            rc = ls_err_set(err, LS_ERR, "lldpd_error", "lldpd: %s", lldpctl_strerror(e));
        goto out;
    }
    lldpctl_atom_t *iface;
    lldpctl_atom_foreach(ifaces, iface)
    {
        lldpctl_atom_t *port = lldpctl_get_port(iface);
        lldpctl_atom_t *nbs = port ? lldpctl_atom_get(port, lldpctl_k_port_neighbors) : NULL;
        const char *ifname = atom_str(iface, lldpctl_k_interface_name);
        lldpctl_atom_t *nb;
        lldpctl_atom_foreach(nbs, nb)
        {
            /* no break: the macro releases each value when it advances */
            if (rc == LS_OK && ifname != NULL)
                rc = add_live_neighbor(arr, ifname, nb, err);
        }
        lldpctl_atom_dec_ref(nbs);
        lldpctl_atom_dec_ref(port);
    }
    lldpctl_atom_dec_ref(ifaces);
out:
    lldpctl_release(conn);
    if (rc != LS_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LS_OK;
}
