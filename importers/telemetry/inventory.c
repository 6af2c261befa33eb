/* OpenStack notifications -> (kind, id) for the fast path (see inventory.h). */
#include "importers/telemetry/inventory.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/time.h"

const char *ls_tel_inv_kind_name(enum ls_tel_inv_kind k)
{
    static const char *const names[] = {"other", "instance", "port", "volume", "stack"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "other";
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The entity id of each followed kind, from its payload (versioned Nova: an ovo). */
static const char *entity_id(enum ls_tel_inv_kind k, const json_t *payload)
{
    switch (k) {
    case LS_INV_INSTANCE: {
        const json_t *ovo = json_object_get(payload, "nova_object.data");
        const char *id = ovo ? str(ovo, "uuid") : NULL;
        return id ? id : str(payload, "instance_id"); /* the legacy format */
    }
    case LS_INV_PORT: {
        const char *id = str(json_object_get(payload, "port"), "id");
        return id ? id : str(payload, "port_id"); /* port.delete.end carries only port_id */
    }
    case LS_INV_VOLUME:
        return str(payload, "volume_id");
    case LS_INV_STACK: {
        const char *id = str(payload, "stack_identity");
        if (id && strrchr(id, '/')) /* ".../stacks/<name>/<uuid>" */
            return strrchr(id, '/') + 1;
        return id ? id : str(payload, "stack_id");
    }
    default:
        return NULL;
    }
}

int ls_tel_inventory_parse(const char *data,
                           size_t len,
                           struct ls_tel_inv_event *out,
                           struct ls_err *err)
{
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *outer = json_loadb(data, len, 0, &je), *inner = NULL;
    const json_t *msg = outer;
    if (outer && json_is_string(json_object_get(outer, "oslo.message"))) {
        inner = json_loads(str(outer, "oslo.message"), 0, &je);
        msg = inner;
    }
    const char *type = str(msg, "event_type");
    const json_t *payload = json_object_get(msg, "payload");
    int rc = LS_OK;
    if (!type || !payload) {
        rc = ls_err_set(err, LS_EINVAL, "malformed_record", "not an oslo notification");
    } else {
        static const struct {
            const char *prefix;
            enum ls_tel_inv_kind kind;
        } kinds[] = {{"instance.", LS_INV_INSTANCE},
                     {"compute.instance.", LS_INV_INSTANCE},
                     {"port.", LS_INV_PORT},
                     {"volume.", LS_INV_VOLUME},
                     {"orchestration.stack.", LS_INV_STACK}};
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
            if (strncmp(type, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
                out->kind = kinds[i].kind;
        snprintf(out->event_type, sizeof(out->event_type), "%s", type);
        snprintf(out->publisher, sizeof(out->publisher), "%s",
                 str(msg, "publisher_id") ? str(msg, "publisher_id") : "");
        const char *id = entity_id(out->kind, payload);
        snprintf(out->id, sizeof(out->id), "%s", id ? id : "");
        const char *ts = str(msg, "timestamp");
        struct ls_err terr;
        if (ts && ls_time_parse_rfc3339(&out->time_us, ts, &terr) != LS_OK)
            out->time_us = 0;
    }
    json_decref(inner);
    json_decref(outer);
    return rc;
}
