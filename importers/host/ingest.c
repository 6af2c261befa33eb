/* One host's PUT: parse the body, build the change set, join, apply (see ingest.h). */
#include "importers/host/ingest.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "importers/host/join.h"

int ls_host_body_kind(const char *content_type, enum ls_host_body *out, struct ls_err *err)
{
    static const struct {
        const char *type;
        enum ls_host_body kind;
    } kinds[] = {{"application/json", LS_HOST_BODY_AGENT},
                 {"application/xml", LS_HOST_BODY_XML},
                 {"text/xml", LS_HOST_BODY_XML}};
    const char *ct = content_type ? content_type : "";
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (n == strlen(kinds[i].type) && strncasecmp(ct, kinds[i].type, n) == 0) {
            *out = kinds[i].kind;
            return LS_OK;
        }
    return ls_err_set(err, LS_EINVAL, "unsupported_media_type",
                      "content-type '%.64s': expected application/json (agent) or "
                      "application/xml (hwloc-ls --of xml)",
                      ct);
}

/* Optional string member; LS_EINVAL naming it when present and not a string. */
static int opt_str(const json_t *doc, const char *key, const char **out, struct ls_err *err)
{
    json_t *v = json_object_get(doc, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return LS_OK;
    if (!json_is_string(v))
        return ls_err_set(err, LS_EINVAL, "invalid_document", "%s: expected a string", key);
    *out = json_string_value(v);
    return LS_OK;
}

/* Fills in from the agent document (borrowing from doc). */
static int parse_agent(const json_t *doc,
                       const char *hostname,
                       struct ls_host_input *in,
                       struct ls_host_put_result *res,
                       struct ls_err *err)
{
    if (!json_is_object(doc))
        return ls_err_set(err, LS_EINVAL, "invalid_document", "body: expected a JSON object");
    const char *h, *status;
    int rc = opt_str(doc, "hostname", &h, err);
    if (rc == LS_OK && h != NULL && strcmp(h, hostname) != 0)
        rc = ls_err_set(err, LS_EINVAL, "hostname_mismatch",
                        "hostname: document says '%.100s', the path says '%.100s'", h, hostname);
    if (rc == LS_OK)
        rc = opt_str(doc, "fqdn", &in->fqdn, err);
    if (rc == LS_OK)
        rc = opt_str(doc, "lldp_status", &status, err);
    if (rc != LS_OK)
        return rc;
    json_t *xml = json_object_get(doc, "hwloc_xml");
    if (!json_is_string(xml))
        return ls_err_set(err, LS_EINVAL, "invalid_document",
                          "hwloc_xml: expected a string (hwloc-ls --of xml output)");
    in->xml = json_string_value(xml);
    in->xml_len = json_string_length(xml);
    static const struct {
        const char *key;
        bool array;
    } members[] = {{"aliases", true}, {"nics", false}, {"lldp", true}};
    const json_t **dst[] = {&in->aliases, &in->nics, &in->lldp};
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *v = json_object_get(doc, members[i].key);
        if (v == NULL || json_is_null(v))
            continue;
        if (members[i].array ? !json_is_array(v) : !json_is_object(v))
            return ls_err_set(err, LS_EINVAL, "invalid_document", "%s: expected an %s",
                              members[i].key, members[i].array ? "array" : "object");
        *dst[i] = v;
    }
    snprintf(res->lldp_status, sizeof(res->lldp_status), "%s",
             status ? status : (in->lldp ? "ok" : "not reported"));
    return LS_OK;
}

int ls_host_build_body(struct ls_change_set **out,
                       const char *hostname,
                       enum ls_host_body kind,
                       const char *body,
                       size_t len,
                       const struct ls_host_topo_opts *o,
                       struct ls_host_put_result *res,
                       struct ls_err *err)
{
    *out = NULL;
    memset(res, 0, sizeof(*res));
    snprintf(res->lldp_status, sizeof(res->lldp_status), "not reported");
    struct ls_host_input in = {.hostname = hostname};
    json_t *doc = NULL;
    struct ls_change_set *cs = NULL;
    int rc = ls_host_name_check(hostname, err);
    if (rc != LS_OK)
        goto out;
    if (len > LS_HOST_MAX_BODY) {
        rc = ls_err_set(err, LS_ELIMIT, "body_too_large", "body: %zu bytes, more than %u", len,
                        LS_HOST_MAX_BODY);
        goto out;
    }
    if (kind == LS_HOST_BODY_AGENT) {
        json_error_t je;
        doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
        if (doc == NULL) {
            rc = ls_err_set(err, LS_EINVAL, "invalid_json", "body: line %d: %s", je.line, je.text);
            goto out;
        }
        rc = parse_agent(doc, hostname, &in, res, err);
        if (rc != LS_OK)
            goto out;
    } else {
        in.xml = body;
        in.xml_len = len;
    }
    cs = ls_host_change_set_new(hostname);
    rc = ls_host_topology_build(cs, &in, o, &res->stats, err);
    if (rc == LS_OK) {
        *out = cs;
        cs = NULL;
    }
out:
    ls_change_set_free(cs);
    json_decref(doc);
    return rc;
}

int ls_host_ingest(struct ls_store *store,
                   struct ls_graph *g,
                   const char *hostname,
                   enum ls_host_body kind,
                   const char *body,
                   size_t len,
                   const struct ls_host_topo_opts *o,
                   struct ls_host_put_result *out,
                   struct ls_err *err)
{
    struct ls_host_put_result res;
    struct ls_change_set *cs = NULL;
    int rc = ls_host_build_body(&cs, hostname, kind, body, len, o, &res, err);
    if (rc != LS_OK)
        goto out;
    /* The join sees the revision current now; a hypervisor committed between this snapshot
     * and the apply is joined by its own change set, which sees this machine. */
    struct ls_snap *snap = ls_graph_snap(g);
    rc = ls_host_join(cs, snap, &res.joins, err);
    ls_snap_release(snap);
    if (rc != LS_OK)
        goto out;
    rc = ls_store_apply(store, g, cs, &res.revision, err);
    if (rc != LS_OK)
        goto out;
    *out = res;
out:
    ls_change_set_free(cs);
    return rc;
}

json_t *ls_host_put_result_json(const char *hostname, const struct ls_host_put_result *r)
{
    json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:s}}", "hostname", hostname, "revision",
                          (json_int_t)r->revision, "nodes", (json_int_t)r->stats.nodes, "edges",
                          (json_int_t)r->stats.edges, "joins", (json_int_t)r->joins, "lldp",
                          "neighbors", (json_int_t)r->stats.lldp_neighbors, "unmatched",
                          (json_int_t)r->stats.lldp_unmatched, "status", r->lldp_status);
    if (o == NULL)
        ls_json_oom();
    return o;
}

int ls_host_bulk_apply(struct ls_store *store,
                       struct ls_graph *g,
                       enum ls_bulk_format fmt,
                       const char *body,
                       size_t len,
                       struct ls_host_bulk_result *out,
                       struct ls_err *err)
{
    struct ls_host_bulk_result res;
    memset(&res, 0, sizeof(res));
    json_t *doc = NULL;
    struct ls_change_set *cs = NULL;
    int rc = ls_host_bulk_parse(&doc, body, len, fmt, err);
    if (rc != LS_OK)
        goto out;
    cs = ls_change_set_new("manual");
    struct ls_snap *snap = ls_graph_snap(g);
    rc = ls_host_bulk_build(cs, doc, snap, &res.nodes, &res.edges, err);
    if (rc == LS_OK)
        rc = ls_host_join(cs, snap, &res.joins, err);
    ls_snap_release(snap);
    if (rc == LS_OK)
        rc = ls_store_apply(store, g, cs, &res.revision, err);
    if (rc == LS_OK)
        *out = res;
out:
    ls_change_set_free(cs);
    json_decref(doc);
    return rc;
}
