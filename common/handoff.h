/* A helper thread that runs one job at a time for its owner, so the owner can prepare the next
 * job while this one runs (the store's COPY sender, the OpenStack list parser). The job's data
 * lives in the owner's struct: between ls_handoff_wait and ls_handoff_give the owner alone
 * touches it, between give and the next wait the thread alone does; the handoff's lock orders
 * the two. When no thread can be started, give runs the job at once on the owner's thread. */
#ifndef LS_COMMON_HANDOFF_H
#define LS_COMMON_HANDOFF_H

struct ls_handoff;

/** Starts the thread; job(arg) is what each give runs. Free with ls_handoff_stop. */
struct ls_handoff *ls_handoff_start(void (*job)(void *arg), void *arg);
/** Waits until the job given last is done (at once when none is running). */
void ls_handoff_wait(struct ls_handoff *h);
/** Runs the job on the thread; call after ls_handoff_wait. */
void ls_handoff_give(struct ls_handoff *h);
/** Waits for the last job, ends the thread and frees h (NULL is a no-op). */
void ls_handoff_stop(struct ls_handoff *h);

#endif
