/* Paced actuation (issue 14, item 6): a PID controller that decides how many moves (live
 * migrations) may be started per step, from how far a measured quantity (the spread of host
 * load, the share of red hosts) is above its target. A greedy consumer that moves everything
 * that looks wrong at every step, while earlier moves are still in flight, over-corrects and
 * then moves back: a migration storm. The controller bounds the rate, counts what it already
 * allowed (the integral), and brakes on how fast the measure falls (derivative on the
 * measurement, so a new target does not kick).
 *
 * Pure arithmetic on the caller's steps (one step = one call, e.g. one Watcher audit); no
 * clock, no allocation. Not thread-safe: one caller at a time per state. */
#ifndef LS_ANALYTICS_PACE_H
#define LS_ANALYTICS_PACE_H

#include <stdbool.h>

struct ls_pace_params {
    double kp;       /* moves per unit of error */
    double ki;       /* moves per unit of accumulated error per step */
    double kd;       /* moves per unit of the measure's change per step (a brake) */
    double target;   /* the measure we aim for; at or below it nothing moves */
    double out_max;  /* at most this many moves per step (no storm) */
    double i_max;    /* bound of ki x integral (anti-windup), in moves */
    double deadband; /* an error within this is no error (no moves for noise) */
};

/** Defaults for the spread of host load (standard deviation of 0..1 loads): target 0.10,
 *  kp 12, ki 0.25, kd 10, at most 4 moves per step, integral at most 4 moves, deadband 0.02
 *  (tuned on test_pace's plant: each move lowers the spread by 0.02, 1 to 3 steps later). */
void ls_pace_params_default(struct ls_pace_params *p);

struct ls_pace {
    struct ls_pace_params p;
    double integral; /* sum of errors over steps (bounded by i_max / ki) */
    double prev;     /* the last measure */
    bool has_prev;
    double carry;  /* the fraction of a move not yet given (so 0.5 per step is 1 every 2) */
    double output; /* the last controller output before rounding, for reports */
};

/** A controller with these parameters (copied) and no history. */
void ls_pace_init(struct ls_pace *s, const struct ls_pace_params *p);

/**
 * One step: how many moves may start now for the measure `measured` (0 .. out_max).
 * Fractions carry over to the next steps; output and carry are 0 while the measure is at or
 * below the target (within the deadband), and the integral then decays to nothing.
 */
int ls_pace_step(struct ls_pace *s, double measured);

#endif
