/* --watcher-audit NAME: a hypervisor or machine that turns red triggers OpenStack Watcher's
 * EVENT audit NAME through its webhook (POST <infra-optim endpoint>/v1/webhooks/NAME, issue 14
 * item 3), authenticated with a Keystone token of the cloud landscaped imports (the first
 * --os-cloud, from clouds.yaml). Subscribes in-process to the "colour" events
 * (server/notify.h); the POST runs on the subscriber's own thread, so a slow Watcher delays
 * only the next trigger. Failures are logged (warn), never fatal. */
#ifndef LS_SERVER_WATCHER_TRIGGER_H
#define LS_SERVER_WATCHER_TRIGGER_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"
#include "server/ctx.h"

/** Whether a "colour" event's data ({"id", "type", "colour", "previous", ...}) is a hypervisor
 *  or machine node turning red (from any other colour, or none). Pure. */
bool ls_watcher_trigger_wanted(const json_t *data);

struct ls_watcher_trigger;

/** The subsystem's start: nothing without --watcher-audit; otherwise loads the cloud's
 *  credentials (LS_EINVAL / LS_ENOTFOUND when clouds.yaml lacks it), sets ctx->watcher and
 *  subscribes. No network until the first trigger. */
int ls_watcher_trigger_start(struct ls_ctx *ctx, struct ls_err *err);
/** Cuts a webhook POST in flight short (the service is stopping). */
void ls_watcher_trigger_interrupt(struct ls_ctx *ctx);
/** Frees ctx->watcher: after ls_notify_free, which joins the subscriber's thread. NULL is a
 *  no-op. */
void ls_watcher_trigger_free(struct ls_watcher_trigger *w);

#endif
