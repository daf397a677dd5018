/*
 * Timer wheel cost per operation, on an otherwise empty wheel and with a
 * million timers armed.  The wheel exists so that these columns match:
 * arming, cancelling and firing must not get dearer as connections pile up.
 *
 * The operations measured act on a hot set of 256 timers; "1_armed" means
 * nothing else is armed, "1M_armed" means a million other timers sit in the
 * wheel (an hour out, spread over ten minutes) sharing its levels.  Firing is
 * measured the way the simulator drives the wheel (timer_wheel_next, then
 * run), cascades included.  The last line fires the million themselves: that
 * one is bound by cache misses on timers scattered over 40 MB, not by the
 * wheel, and is there to show what that costs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/random.h"
#include "core/timer.h"

#define HOT       256
#define BIG       1000000
#define MOD_OPS   (4u << 20)
#define DEL_OPS   (2u << 20)
#define FIRE_OPS  (1u << 20)
#define EXP_TABLE (1u << 16) /* precomputed expiries: no RNG in timed loops */
#define BG_START  (3600 * NSEC_PER_SEC)

struct bench {
        struct timer_wheel w;
        struct strata_clock real;
        struct timer_list hot[HOT];
        struct timer_list *bg;
        size_t nbg;
        uint64_t exp[EXP_TABLE];      /* deltas for mod/del: RTO- to keepalive-like */
        uint64_t fire_exp[EXP_TABLE]; /* deltas for firing: short, stay before BG_START */
        uint64_t now;
};

static void nop(struct timer_list *t)
{
}

static uint64_t elapsed(const struct bench *b, uint64_t t0)
{
        return clock_now(&b->real) - t0;
}

static void bench_setup(struct bench *b, size_t nbg)
{
        struct strata_random rng;

        random_seed(&rng, 1);
        timer_wheel_init(&b->w, 0, 0);
        b->now = 0;
        b->nbg = nbg;
        b->bg = calloc(nbg ? nbg : 1, sizeof(*b->bg));
        if (!b->bg) {
                perror("calloc");
                exit(1);
        }
        for (size_t i = 0; i < nbg; i++) {
                timer_setup(&b->bg[i], nop);
                mod_timer(&b->w, &b->bg[i], BG_START + random_u64(&rng) % (600 * NSEC_PER_SEC));
        }
        for (size_t i = 0; i < HOT; i++)
                timer_setup(&b->hot[i], nop);
        for (size_t i = 0; i < EXP_TABLE; i++) {
                b->exp[i] = random_below(&rng, 8) ? 1 + random_u64(&rng) % (3 * NSEC_PER_SEC)
                                                  : random_u64(&rng) % (7200 * NSEC_PER_SEC);
                b->fire_exp[i] = 1 + random_u64(&rng) % (100 * NSEC_PER_MSEC);
        }
}

static double bench_mod(struct bench *b)
{
        uint64_t t0 = clock_now(&b->real);

        for (uint32_t i = 0; i < MOD_OPS; i++)
                mod_timer(&b->w, &b->hot[i % HOT], b->exp[i % EXP_TABLE]);
        return (double)elapsed(b, t0) / MOD_OPS;
}

static double bench_del(struct bench *b)
{
        uint64_t total = 0;

        for (uint32_t done = 0; done < DEL_OPS; done += HOT) {
                uint64_t t0;

                for (size_t i = 0; i < HOT; i++)
                        mod_timer(&b->w, &b->hot[i], b->exp[(done + i) % EXP_TABLE]);
                t0 = clock_now(&b->real);
                for (size_t i = 0; i < HOT; i++)
                        del_timer(&b->w, &b->hot[i]);
                total += elapsed(b, t0);
        }
        return (double)total / DEL_OPS;
}

/* Step to each deadline and run until only `keep` timers remain armed;
 * returns the time taken and adds the firings to *fired. */
static uint64_t drain(struct bench *b, size_t keep, size_t *fired)
{
        uint64_t t0 = clock_now(&b->real);

        while (b->w.count > keep) {
                uint64_t n = timer_wheel_next(&b->w);

                if (n > b->now)
                        b->now = n;
                *fired += timer_wheel_run(&b->w, b->now);
        }
        return elapsed(b, t0);
}

/* The hot set armed a little ahead and fired, over and over. */
static double bench_fire(struct bench *b)
{
        uint64_t total = 0;
        size_t fired = 0;

        for (uint32_t done = 0; done < FIRE_OPS; done += HOT) {
                for (size_t i = 0; i < HOT; i++)
                        mod_timer(&b->w, &b->hot[i], b->now + b->fire_exp[(done + i) % EXP_TABLE]);
                total += drain(b, b->nbg, &fired);
        }
        return (double)total / (double)fired;
}

int main(void)
{
        static struct bench b; /* ~1 MB of tables: not on the stack */
        static const char *const names[] = { "1_armed", "1M_armed" };
        const size_t sizes[] = { 0, BIG };
        double mod[2], del[2], fire[2], drain_ns = 0;
        size_t fired = 0;

        b.real.simulated = false;
        for (int k = 0; k < 2; k++) {
                bench_setup(&b, sizes[k]);
                mod[k] = bench_mod(&b);
                for (size_t i = 0; i < HOT; i++)
                        del_timer(&b.w, &b.hot[i]);
                del[k] = bench_del(&b);
                fire[k] = bench_fire(&b);
                if (b.now >= BG_START) {
                        fprintf(stderr, "bench_timer: hot set ran into the background\n");
                        return 1;
                }
                if (k == 1)
                        drain_ns = (double)drain(&b, 0, &fired) / (double)fired;
                free(b.bg);
        }
        for (int k = 0; k < 2; k++)
                printf("timer.mod_ns %-9s %6.1f\n", names[k], mod[k]);
        for (int k = 0; k < 2; k++)
                printf("timer.del_ns %-9s %6.1f\n", names[k], del[k]);
        for (int k = 0; k < 2; k++)
                printf("timer.fire_ns %-8s %6.1f\n", names[k], fire[k]);
        printf("timer.fire_ns %-8s %6.1f\n", "1M_drain", drain_ns);
        return 0;
}
