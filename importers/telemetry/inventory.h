/* Inventory events: the OpenStack notifications on the telemetry topics that are not samples
 * (Nova versioned instance.*, Neutron port.*, Cinder volume.*, Heat orchestration.stack.*),
 * reduced to what changed — the kind of entity and its id — for the fast path: the consumer
 * hands each one to a callback (the OpenStack importer re-reads what changed, so events out of
 * order or repeated cannot leave the graph wrong: the API's current answer wins). Pure. */
#ifndef LS_TEL_INVENTORY_H
#define LS_TEL_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum ls_tel_inv_kind {
    LS_INV_OTHER = 0, /* a notification we do not follow (service.update, flavor.*, ...) */
    LS_INV_INSTANCE,
    LS_INV_PORT,
    LS_INV_VOLUME,
    LS_INV_STACK,
};

struct ls_tel_inv_event {
    enum ls_tel_inv_kind kind;
    char event_type[96]; /* "instance.live_migration_post.end" */
    char publisher[128]; /* "nova-compute:cmp-r12-07" */
    char id[80];         /* the entity's id ("" when the payload has none) */
    int64_t time_us;     /* the notification's timestamp (0 when absent or unreadable) */
};

/**
 * Reads one oslo notification (2.0 envelope or plain).
 * @return LS_OK; LS_EINVAL when the record is not an oslo notification.
 */
LS_MUST_CHECK int ls_tel_inventory_parse(const char *data,
                                         size_t len,
                                         struct ls_tel_inv_event *out,
                                         struct ls_err *err);

/** The kind's name ("instance", "port", "volume", "stack", "other"). */
const char *ls_tel_inv_kind_name(enum ls_tel_inv_kind k);

/** Called by the consumer for every inventory event (on its thread; must not block long). */
typedef void (*ls_tel_inventory_fn)(const struct ls_tel_inv_event *ev, void *arg);

#endif
