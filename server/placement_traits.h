/* --os-placement-traits (issue 14 item 3): keeps the trait CUSTOM_LANDSCAPE_ANOMALY on the
 * Placement resource provider of every hypervisor that Landscape colours red — its own colour
 * or its impact, the worse of the two as placement reads it (ls_colours_worst) — and off every
 * other provider, so that a flavor with `trait:CUSTOM_LANDSCAPE_ANOMALY=forbidden` avoids red
 * hosts with no Nova plugin at all.
 *
 * Level-triggered: a pass compares the providers that should carry the trait (the red
 * hypervisors of the cloud it acts on, server/os_actor.h, by their `resource_provider` attr)
 * with those that do (GET /resource_providers?required=CUSTOM_LANDSCAPE_ANOMALY) and changes
 * only the difference, each provider's trait list read and written back with its generation
 * (a conflict is read again). A pass runs at start (clearing what an earlier run left), when a
 * hypervisor's or machine's colour event arrives (at most one a second), and every
 * --os-placement-traits-interval seconds (repairing what a Placement outage made it miss).
 * Failures are logged (warn) and counted, never fatal. Runs on its own thread. */
#ifndef LS_SERVER_PLACEMENT_TRAITS_H
#define LS_SERVER_PLACEMENT_TRAITS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "server/ctx.h"

#define LS_ANOMALY_TRAIT "CUSTOM_LANDSCAPE_ANOMALY"

/** Whether a "colour" event's data ({"type", ...}) can change what carries the trait: a
 *  hypervisor's or machine's (a machine's colour is its hypervisors' impact). Pure. */
bool ls_placement_traits_wanted(const json_t *data);

/** A trait list ("traits" of GET /resource_providers/{uuid}/traits) with LS_ANOMALY_TRAIT
 *  added (on) or removed (off): a new array, or NULL when the list is as wanted already.
 *  Pure. */
json_t *ls_placement_traits_edit(const json_t *traits, bool on);

struct ls_placement_traits_stats {
    uint64_t passes, failed_passes; /* full passes run, and those that could not finish */
    uint64_t set, cleared;          /* providers given / relieved of the trait */
    uint64_t conflicts;             /* generation conflicts read again */
    int carrying;                   /* providers carrying it after the last good pass */
};

struct ls_placement_traits;

/** The subsystem's start: nothing without --os-placement-traits; otherwise loads the cloud's
 *  credentials (errors as ls_os_actor_open), subscribes to the colour events, sets
 *  ctx->traits and starts the thread (its first pass runs at once). */
int ls_placement_traits_start(struct ls_ctx *ctx, struct ls_err *err);
/** Cuts a request in flight short (the service is stopping). */
void ls_placement_traits_interrupt(struct ls_ctx *ctx);
/** Joins the thread (the traits stay as they are: a restart's first pass reconciles). */
void ls_placement_traits_stop(struct ls_ctx *ctx);
void ls_placement_traits_stats(struct ls_placement_traits *t,
                               struct ls_placement_traits_stats *out);
/** Frees ctx->traits: after ls_notify_free (its subscriber may still poke it). NULL: no-op. */
void ls_placement_traits_free(struct ls_placement_traits *t);

#endif
