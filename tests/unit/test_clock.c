/*
 * Clock tests: a simulated clock moves only when told and only forward; the
 * real clock is monotonic and really advances.
 */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/clock.h"
#include "../test.h"

static void simulated_clock_stands_still(void)
{
        struct strata_clock c = { .simulated = true, .sim_now = 5 * NSEC_PER_SEC };
        struct timespec pause = { .tv_nsec = 2 * NSEC_PER_MSEC };

        CHECK(clock_now(&c) == 5 * NSEC_PER_SEC);
        nanosleep(&pause, NULL);
        CHECK(clock_now(&c) == 5 * NSEC_PER_SEC);
        CHECK(clock_wall(&c) == 5 * NSEC_PER_SEC);
}

static void simulated_clock_advances_only_forward(void)
{
        struct strata_clock c = { .simulated = true, .sim_now = 0 };

        clock_advance_to(&c, 10);
        CHECK(clock_now(&c) == 10);
        clock_advance_to(&c, 7);
        CHECK(clock_now(&c) == 10);
        clock_advance_to(&c, 10);
        CHECK(clock_now(&c) == 10);
        clock_advance_to(&c, 60 * NSEC_PER_SEC);
        CHECK(clock_now(&c) == 60 * NSEC_PER_SEC);
        CHECK(clock_wall(&c) == 60 * NSEC_PER_SEC);
}

static void real_clock_is_monotonic(void)
{
        struct strata_clock c = { .simulated = false, .sim_now = 123 };
        struct timespec pause = { .tv_nsec = 2 * NSEC_PER_MSEC };
        uint64_t prev = clock_now(&c), t0 = prev;

        for (int i = 0; i < 100000; i++) {
                uint64_t t = clock_now(&c);

                CHECK(t >= prev);
                prev = t;
        }
        nanosleep(&pause, NULL);
        CHECK(clock_now(&c) - t0 >= 2 * NSEC_PER_MSEC);
        /* Advancing a real clock is meaningless and must not touch it. */
        clock_advance_to(&c, UINT64_MAX);
        CHECK(c.sim_now == 123);
        CHECK(clock_now(&c) < UINT64_MAX / 2);
}

static void real_wall_clock_is_the_calendar(void)
{
        struct strata_clock c = { .simulated = false };
        const uint64_t y2020 = 1577836800ull * NSEC_PER_SEC;

        CHECK(clock_wall(&c) > y2020);
}

TEST_MAIN(T(simulated_clock_stands_still), T(simulated_clock_advances_only_forward),
          T(real_clock_is_monotonic), T(real_wall_clock_is_the_calendar))
