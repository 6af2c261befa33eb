/* Parts of the service started after the store and graph are ready and before HTTP serves,
 * stopped in reverse order after HTTP stops: the demo loader, importers, consumers. A table,
 * so adding one is one row in subsystems.c. */
#ifndef LS_SERVER_SUBSYSTEMS_H
#define LS_SERVER_SUBSYSTEMS_H

#include "common/err.h"
#include "server/ctx.h"

struct ls_subsystem {
    const char *name;
    /* Starts the part (it decides from ctx->cfg whether it has anything to do). */
    int (*start)(struct ls_ctx *ctx, struct ls_err *err);
    /* Stops it; called only when start succeeded. */
    void (*stop)(struct ls_ctx *ctx);
    /* Cuts its long work in flight short (may be NULL): called, for every part started,
     * before HTTP stops, so that a request waiting on that work ends too. */
    void (*interrupt)(struct ls_ctx *ctx);
};

extern const struct ls_subsystem ls_subsystems[];
extern const int ls_subsystems_count;

#endif
