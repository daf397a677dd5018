/*
 * Clocks: where every timestamp in Strata comes from.
 *
 * A namespace reads time only through its clock.  A real clock is the host's
 * CLOCK_MONOTONIC; a simulated clock stands still until its owner (the lab,
 * a test, the conformance runner) advances it, usually straight to the next
 * timer deadline -- so a 60 s TIME_WAIT costs nothing and every run with the
 * same seed is the same run.  Several namespaces may share one clock (a lab
 * topology shares one simulated clock).  Times are nanoseconds.
 */
#ifndef STRATA_CORE_CLOCK_H
#define STRATA_CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull

struct strata_clock {
        bool simulated;
        uint64_t sim_now; /* ns; only for simulated clocks */
};

/* Current time of the clock in ns. */
uint64_t clock_now(const struct strata_clock *c);

/* Move a simulated clock forward to t (never backward; a real clock is not
 * touched). */
void clock_advance_to(struct strata_clock *c, uint64_t t);

/* Wall-clock time (CLOCK_REALTIME) in ns, for pcap timestamps of real
 * captures.  Simulated clocks report their own time instead. */
uint64_t clock_wall(const struct strata_clock *c);

#endif
