/* Identity resolution and application of samples. */
#include "importers/telemetry/resolve.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "importers/telemetry/pending.h"

/* True when s starts with a canonical UUID (8-4-4-4-12 hex). */
static bool uuid_prefix(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-')
                return false;
            d++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* out = prefix + the first 36 characters of uuid, when that node exists. */
static bool
native(const struct ls_snap *s, const char *prefix, const char *uuid, char *out, size_t cap)
{
    snprintf(out, cap, "%s%.36s", prefix, uuid);
    return ls_snap_node(s, out) != NULL;
}

static bool
by_alias(const struct ls_snap *s, struct ls_alias *a, const char *alias, char *out, size_t cap)
{
    return alias[0] && ls_alias_lookup(a, alias, out, cap) && ls_snap_node(s, out) != NULL;
}

/* A host by alias, hypervisor, machine; the FQDN's short name as a second try. */
static bool host(const struct ls_snap *s, struct ls_alias *a, const char *h, char *out, size_t cap)
{
    char name[160];
    snprintf(name, sizeof(name), "%s", h);
    for (int pass = 0; pass < 2 && name[0]; pass++) {
        if (by_alias(s, a, name, out, cap))
            return true;
        snprintf(out, cap, "nova:hypervisor:%s", name);
        if (ls_snap_node(s, out))
            return true;
        snprintf(out, cap, "host:machine:%s", name);
        if (ls_snap_node(s, out))
            return true;
        char *dot = strchr(name, '.');
        if (dot == NULL)
            break;
        *dot = '\0';
    }
    return false;
}

const char *ls_tel_resolve(
    const struct ls_snap *s, struct ls_alias *a, const struct ls_sample *x, char *out, size_t cap)
{
    if (uuid_prefix(x->port) && native(s, "neutron:port:", x->port, out, cap))
        return NULL;
    if (by_alias(s, a, x->device, out, cap))
        return NULL;
    if (uuid_prefix(x->instance) && native(s, "nova:instance:", x->instance, out, cap))
        return NULL;
    if (uuid_prefix(x->resource) && (native(s, "nova:instance:", x->resource, out, cap) ||
                                     native(s, "cinder:volume:", x->resource, out, cap) ||
                                     native(s, "neutron:port:", x->resource, out, cap)))
        return NULL;
    if (by_alias(s, a, x->domain, out, cap) || by_alias(s, a, x->resource, out, cap))
        return NULL;
    if (x->host[0] && host(s, a, x->host, out, cap))
        return NULL;
    bool named = x->port[0] || x->device[0] || x->instance[0] || x->resource[0] || x->domain[0] ||
                 x->host[0];
    return named ? "unknown_entity" : "no_identity";
}

void ls_tel_apply(struct ls_graph *g,
                  struct ls_alias *a,
                  struct ls_telemetry *t,
                  struct ls_tel_pending *pending,
                  const struct ls_tel_batch *b,
                  struct ls_tel_result *res)
{
    struct ls_snap *s = ls_graph_snap(g);
    char id[512];
    for (size_t i = 0; i < b->n; i++) {
        const struct ls_sample *x = &b->v[i];
        const char *why = ls_tel_resolve(s, a, x, id, sizeof(id));
        if (why) {
            res->unmatched++;
            if (strcmp(why, "no_identity") == 0)
                res->no_identity++;
            else
                res->unknown_entity++;
            if (pending && strcmp(why, "unknown_entity") == 0)
                ls_tel_pending_add(pending, x); /* its node may appear soon */
            continue;
        }
        /* a delta is applied as a level over its interval; counters become rates */
        switch (ls_telemetry_apply(t, id, x->metric, x->series, x->unit, x->kind == LS_TEL_COUNTER,
                                   x->value, x->time_us)) {
        case LS_TEL_APPLIED:
            res->applied++;
            break;
        case LS_TEL_DUPLICATE:
            res->duplicate++;
            break;
        case LS_TEL_BASELINE:
            res->baseline++;
            break;
        case LS_TEL_REFUSED: /* counted by reason in the telemetry state (/metrics) */
            break;
        }
    }
    ls_snap_release(s);
}
