/*
 * Hierarchical timer wheel: O(1) arm and cancel, so a million idle
 * connections with armed keepalive/retransmit timers cost nothing until
 * one fires.
 *
 * Names follow Linux (struct timer_list, timer_setup, mod_timer, del_timer,
 * timer_pending).  Expiry times are absolute nanoseconds on the owning
 * namespace's clock.  The wheel has a tick (default 1 ms, like HZ=1000): a
 * timer fires in the first timer_wheel_run() whose `now` is >= its expiry --
 * never early, and, when the caller advances time to timer_wheel_next(),
 * never later than its expiry rounded up to the next tick.
 *
 * Layout: WHEEL_LEVELS levels of 64 slots each; level L slots are 64^L ticks
 * wide.  A timer goes to the lowest level whose range covers its delta and
 * is cascaded down as the wheel turns (or, equivalently, re-placed when its
 * slot is reached: Linux's non-cascading wheel trades exactness for speed;
 * Strata must stay exact to the tick because the simulated clock is used for
 * packetdrill timing checks).  A 64-bit occupancy bitmap per level makes
 * finding the next non-empty slot a count-trailing-zeros.
 *
 * Callbacks run from timer_wheel_run() with the timer already detached, so
 * a callback may re-arm its own timer (mod_timer) or free its owner.
 * Not thread-safe: the wheel belongs to one namespace, run under its lock.
 */
#ifndef STRATA_CORE_TIMER_H
#define STRATA_CORE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHEEL_BITS   6
#define WHEEL_SIZE   (1u << WHEEL_BITS)
#define WHEEL_LEVELS 8 /* 64^8 ticks: ~8900 years at 1 ms */

struct timer_list {
        struct timer_list *next; /* slot list; NULL pprev means not pending */
        struct timer_list **pprev;
        uint64_t expires; /* absolute ns */
        void (*function)(struct timer_list *t);
};

struct timer_wheel {
        uint64_t tick_ns;               /* granularity */
        uint64_t tick_inv;              /* floor(2^64 / tick_ns): ns -> ticks by a
                                         * multiply, not a divide (hot: every arm) */
        uint64_t clk;                   /* current tick: all slots before it are processed */
        uint64_t pending[WHEEL_LEVELS]; /* bit s set: slot s of that level non-empty */
        struct timer_list *slots[WHEEL_LEVELS][WHEEL_SIZE];
        size_t count; /* armed timers */
        uint64_t next_lb; /* ns: no armed timer expires before it (a lower
                           * bound: lowered by mod_timer, recomputed by a run
                           * that did work), so a run before it returns at
                           * once -- most runs of a busy namespace */
};

/* Prepare a wheel whose clock currently reads now (ns), with tick_ns
 * granularity (0 means the default 1 ms). */
void timer_wheel_init(struct timer_wheel *w, uint64_t now, uint64_t tick_ns);

/* Initialise a timer (not pending) with its callback. */
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));

static inline bool timer_pending(const struct timer_list *t)
{
        return t->pprev != NULL;
}

/* Arm (or re-arm) t to fire at absolute time expires.  An expiry in the past
 * fires on the next timer_wheel_run(). Returns 1 if t was already pending. */
int mod_timer(struct timer_wheel *w, struct timer_list *t, uint64_t expires);

/* Disarm t; returns 1 if it was pending, 0 otherwise. */
int del_timer(struct timer_wheel *w, struct timer_list *t);

/* Earliest time at which timer_wheel_run() has something to do: a value
 * <= the earliest pending expiry rounded up to a tick boundary, and
 * UINT64_MAX when no timer is armed. Advancing the clock to it and running
 * always makes progress. */
uint64_t timer_wheel_next(const struct timer_wheel *w);

/* Fire every timer whose expiry is <= now, in expiry order (ties in arming
 * order).  Returns the number fired. */
size_t timer_wheel_run(struct timer_wheel *w, uint64_t now);

#endif
