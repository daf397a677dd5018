/*
 * Clocks (see clock.h).  The one place in Strata that asks the host for the
 * time, so that everything else can run on a simulated clock unchanged.
 */
#include <stdint.h>
#include <time.h>

#include "core/clock.h"
#include "core/compiler.h"

static uint64_t host_clock_ns(clockid_t id)
{
        struct timespec ts;

        /* Cannot fail for these clock ids on Linux; if it ever does, time
         * itself is broken and carrying on would corrupt every timer. */
        STRATA_ASSERT(clock_gettime(id, &ts) == 0);
        return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t clock_now(const struct strata_clock *c)
{
        if (c->simulated)
                return c->sim_now;
        return host_clock_ns(CLOCK_MONOTONIC);
}

void clock_advance_to(struct strata_clock *c, uint64_t t)
{
        /* Never backward: timers and RTT samples assume time is monotonic. */
        if (c->simulated && t > c->sim_now)
                c->sim_now = t;
}

uint64_t clock_wall(const struct strata_clock *c)
{
        if (c->simulated)
                return c->sim_now;
        return host_clock_ns(CLOCK_REALTIME);
}
