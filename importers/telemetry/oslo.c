/* oslo.messaging notifications: the 2.0 envelope ({"oslo.version", "oslo.message": "<json>"})
 * or the plain form. Ceilometer batches inside (event_type metering / priority SAMPLE, or
 * telemetry.polling with payload.samples) become samples; any other notification is an
 * inventory event, reported as such (LS_ENOTFOUND "inventory_event"). */
#include <string.h>

#include "importers/telemetry/decode.h"

static bool is_notification(json_t *v)
{
    return json_is_object(v) && json_object_get(v, "event_type") && json_object_get(v, "payload") &&
           json_object_get(v, "publisher_id");
}

static bool detect(json_t *v)
{
    return (json_is_object(v) && json_object_get(v, "oslo.version") &&
            json_is_string(json_object_get(v, "oslo.message"))) ||
           is_notification(v);
}

static int
decode(json_t *json, const char *text, size_t len, struct ls_tel_batch *out, struct ls_err *err)
{
    (void)text;
    (void)len;
    json_t *inner = NULL, *msg = json;
    if (json_object_get(json, "oslo.version")) {
        json_error_t je;
        inner = json_loads(json_string_value(json_object_get(json, "oslo.message")), 0, &je);
        if (inner == NULL)
            return ls_err_set(err, LS_EINVAL, "malformed_record",
                              "oslo: oslo.message is not JSON: %s", je.text);
        msg = inner;
    }
    int rc = LS_OK;
    json_t *payload = json_object_get(msg, "payload");
    json_t *samples = json_is_array(payload) ? payload : json_object_get(payload, "samples");
    if (!is_notification(msg)) {
        rc = ls_err_set(err, LS_EINVAL, "malformed_record",
                        "oslo: message lacks event_type, payload or publisher_id");
    } else if (json_is_array(samples)) {
        size_t i;
        json_t *s;
        json_array_foreach(samples, i, s)
        {
            rc = ls_tel_ceilometer_sample(s, out, err);
            if (rc != LS_OK)
                break;
        }
    } else {
        rc = ls_err_set(err, LS_ENOTFOUND, "inventory_event", "oslo notification %.64s",
                        ls_tel_jstr(msg, "event_type"));
    }
    json_decref(inner);
    return rc;
}

const struct ls_tel_decoder ls_tel_dec_oslo = {LS_TEL_OSLO, "oslo", detect, NULL, decode};
