/* The PID pacing controller (pace.h): u = kp e + ki sum(e) + kd (y - y_prev), clamped to
 * [0, out_max], with conditional integration (the integral does not grow while the output is
 * saturated: anti-windup) and a fractional carry so a rate below one move per step still
 * moves, slowly. */
#include "analytics/pace.h"

#include <math.h>

void ls_pace_params_default(struct ls_pace_params *p)
{
    *p = (struct ls_pace_params){
        .kp = 12.0,
        .ki = 0.25,
        .kd = 10.0,
        .target = 0.10,
        .out_max = 4.0,
        .i_max = 4.0,
        .deadband = 0.02,
    };
}

void ls_pace_init(struct ls_pace *s, const struct ls_pace_params *p)
{
    *s = (struct ls_pace){.p = *p};
}

int ls_pace_step(struct ls_pace *s, double measured)
{
    const struct ls_pace_params *p = &s->p;
    if (!isfinite(measured))
        measured = s->has_prev ? s->prev : p->target;
    double e = measured - p->target;
    double slope = s->has_prev ? measured - s->prev : 0;
    s->prev = measured;
    s->has_prev = true;
    if (e <= p->deadband) {
        /* on target: nothing moves, and what was accumulated fades (no late burst) */
        s->integral *= 0.5;
        s->carry = 0;
        s->output = 0;
        return 0;
    }
    double i_part = p->ki * s->integral;
    /* e = y - target, so de/dt = dy/dt: a measure already falling (moves taking effect)
     * lowers the output; taken on the measure, a target change does not kick */
    double u = p->kp * e + i_part + p->kd * slope;
    /* integrate only while the output is not pinned at its maximum (anti-windup) */
    if (u < p->out_max) {
        s->integral += e;
        double lim = p->ki > 0 ? p->i_max / p->ki : 0;
        if (s->integral > lim)
            s->integral = lim;
    }
    u = u < 0 ? 0 : u > p->out_max ? p->out_max : u;
    s->output = u;
    double give = floor(u + s->carry);
    if (give > floor(p->out_max))
        give = floor(p->out_max);
    s->carry = u + s->carry - give;
    if (s->carry > 1)
        s->carry = 1; /* never a burst of saved-up moves */
    return (int)give;
}
