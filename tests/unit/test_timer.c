/*
 * Timer wheel tests: exact firing time, order, callbacks that re-arm and
 * cancel, far-future cascades, a randomized comparison against a sorted
 * reference model, and a million timers driven the way the simulator drives
 * them (advance to timer_wheel_next(), run).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/compiler.h"
#include "core/random.h"
#include "core/timer.h"
#include "../test.h"

#define MS NSEC_PER_MSEC

/* One wheel and one "current time" shared by the directed tests, so the
 * callbacks can see when they ran. */
static struct timer_wheel wheel;
static uint64_t now_ns;

/* x rounded up to a tick boundary, saturating at the top of time. */
static uint64_t ceil_tick(uint64_t x, uint64_t tick)
{
        uint64_t q = x / tick + (x % tick != 0);

        return q > UINT64_MAX / tick ? UINT64_MAX : q * tick;
}

static size_t run_at(uint64_t t)
{
        now_ns = t;
        return timer_wheel_run(&wheel, t);
}

/* Drive the wheel as the simulator does until it is empty; returns the
 * number of run calls, which must stay bounded.  Stops on count, not on
 * UINT64_MAX, since a timer may expire at the very end of time. */
static size_t run_to_next(void)
{
        size_t calls = 0;

        for (;;) {
                uint64_t n = timer_wheel_next(&wheel);

                if (wheel.count == 0)
                        return calls;
                run_at(MAX(now_ns, n));
                calls++;
                CHECK(calls < 10000000);
        }
}

/* Directed-test timers: a log of firings plus optional callback actions. */
struct rec {
        struct timer_list t;
        int id;
        uint64_t period;    /* re-arm at expires + period when nonzero */
        int rearm_left;     /* how many more times to re-arm */
        struct rec *victim; /* del_timer this one when firing */
        int victim_ret;     /* what that del_timer returned */
        int self_del_ret;   /* del_timer on itself from its callback */
};

#define LOG_MAX 4096
static int log_id[LOG_MAX];
static uint64_t log_now[LOG_MAX];
static uint64_t log_expires[LOG_MAX];
static size_t nlog;

static void rec_fire(struct timer_list *t)
{
        struct rec *r = container_of(t, struct rec, t);

        CHECK(nlog < LOG_MAX);
        CHECK(!timer_pending(t));
        log_id[nlog] = r->id;
        log_now[nlog] = now_ns;
        log_expires[nlog] = t->expires;
        nlog++;
        r->self_del_ret = del_timer(&wheel, t);
        if (r->victim)
                r->victim_ret = del_timer(&wheel, &r->victim->t);
        if (r->rearm_left > 0) {
                r->rearm_left--;
                mod_timer(&wheel, t, t->expires + r->period);
        }
}

static void setup(uint64_t start, uint64_t tick, struct rec *recs, size_t n)
{
        timer_wheel_init(&wheel, start, tick);
        now_ns = start;
        nlog = 0;
        for (size_t i = 0; i < n; i++) {
                recs[i] = (struct rec){ .id = (int)i };
                timer_setup(&recs[i].t, rec_fire);
        }
}

static void empty_wheel_has_no_deadline(void)
{
        setup(0, 0, NULL, 0);
        CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
        CHECK_EQ(run_at(1000 * MS), 0);
        CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
        CHECK_EQ(wheel.count, 0);
}

static void fires_at_expiry_not_before(void)
{
        struct rec r[4];
        uint64_t n;

        setup(0, 0, r, 4);
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 5 * MS), 0);
        CHECK_EQ(wheel.count, 1);
        CHECK_EQ(run_at(0), 0);
        CHECK_EQ(run_at(5 * MS - 1), 0);
        CHECK(timer_pending(&r[0].t));
        CHECK(timer_wheel_next(&wheel) <= 5 * MS);
        CHECK_EQ(run_at(5 * MS), 1);
        CHECK(!timer_pending(&r[0].t));
        CHECK_EQ(log_now[0], 5 * MS);
        CHECK_EQ(wheel.count, 0);

        /* Inside a tick the nanoseconds still count: never early. */
        mod_timer(&wheel, &r[1].t, 7 * MS + MS / 2);
        CHECK_EQ(run_at(7 * MS), 0);
        CHECK_EQ(run_at(7 * MS + MS / 2 - 1), 0);
        n = timer_wheel_next(&wheel);
        CHECK(n <= 8 * MS);
        CHECK_EQ(run_to_next() <= 2, 1);
        CHECK_EQ(nlog, 2);
        CHECK(log_now[1] >= 7 * MS + MS / 2 && log_now[1] <= 8 * MS);

        /* In the past, or exactly now: the next run. */
        run_at(10 * MS);
        mod_timer(&wheel, &r[2].t, 3 * MS);
        mod_timer(&wheel, &r[3].t, 10 * MS);
        CHECK(timer_wheel_next(&wheel) <= 3 * MS);
        CHECK_EQ(run_at(10 * MS), 2);
        CHECK_EQ(log_id[2], 2);
        CHECK_EQ(log_id[3], 3);
}

static void fires_at_expiry_from_odd_start(void)
{
        struct rec r[2];
        uint64_t start = 3600 * NSEC_PER_SEC + 300 * NSEC_PER_USEC;

        setup(start, 0, r, 2);
        mod_timer(&wheel, &r[0].t, start + 1);
        mod_timer(&wheel, &r[1].t, start + 1000 * MS);
        CHECK_EQ(run_at(start), 0);
        CHECK_EQ(run_at(start + 1), 1);
        CHECK_EQ(run_at(start + 1000 * MS - 1), 0);
        CHECK_EQ(run_at(start + 1000 * MS), 1);
}

static void fires_in_expiry_order_ties_in_arming_order(void)
{
        /* Armed in this order; expected firing order by (expiry, arming). */
        static const uint64_t exp[] = { 30 * MS,    10 * MS,   10 * MS + 500000,
                                        10 * MS,    2000 * MS, 10 * MS + 200,
                                        70000 * MS, 5 * MS,    10 * MS + 200 };
        static const int order[] = { 7, 1, 3, 5, 8, 2, 0, 4, 6 };
        struct rec r[ARRAY_SIZE(exp)];

        for (int mode = 0; mode < 2; mode++) {
                setup(0, 0, r, ARRAY_SIZE(r));
                for (size_t i = 0; i < ARRAY_SIZE(exp); i++)
                        mod_timer(&wheel, &r[i].t, exp[i]);
                if (mode == 0)
                        CHECK_EQ(run_at(100000 * MS), ARRAY_SIZE(exp));
                else
                        run_to_next();
                CHECK_EQ(nlog, ARRAY_SIZE(exp));
                for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                        CHECK_EQ(log_id[i], order[i]);
                        if (mode == 1)
                                CHECK_EQ(log_now[i], exp[order[i]]);
                }
        }
}

static void rearm_from_callback(void)
{
        struct rec r[1];

        /* Stepping as the simulator does: every period, on the dot. */
        setup(0, 0, r, 1);
        r[0].period = 10 * MS;
        r[0].rearm_left = 99;
        mod_timer(&wheel, &r[0].t, 10 * MS);
        run_to_next();
        CHECK_EQ(nlog, 100);
        for (size_t i = 0; i < nlog; i++)
                CHECK_EQ(log_now[i], (i + 1) * 10 * MS);
        CHECK(!timer_pending(&r[0].t));

        /* One jump over the whole second: each re-arm that is still due
         * fires later in the same run, in order. */
        setup(0, 0, r, 1);
        r[0].period = 10 * MS;
        r[0].rearm_left = 1000;
        mod_timer(&wheel, &r[0].t, 10 * MS);
        CHECK_EQ(run_at(1000 * MS), 100);
        for (size_t i = 0; i < nlog; i++)
                CHECK_EQ(log_expires[i], (i + 1) * 10 * MS);
        CHECK(timer_pending(&r[0].t));
        CHECK_EQ(r[0].t.expires, 1010 * MS);
        CHECK_EQ(r[0].self_del_ret, 0);
}

static void rearm_in_past_waits_for_next_run(void)
{
        struct rec r[1];

        /* Re-armed at its own (now past) expiry in the run's last tick: not
         * again in this run, which would let a callback loop forever. */
        setup(0, 0, r, 1);
        r[0].period = 0;
        r[0].rearm_left = 1;
        mod_timer(&wheel, &r[0].t, 5 * MS);
        CHECK_EQ(run_at(5 * MS), 1);
        CHECK(timer_pending(&r[0].t));
        CHECK(timer_wheel_next(&wheel) <= 5 * MS);
        CHECK_EQ(run_at(5 * MS), 1);
        CHECK(!timer_pending(&r[0].t));

        /* Earlier in a longer run it fires at the following tick, as a
         * timer re-armed at jiffies does in Linux. */
        setup(0, 0, r, 1);
        r[0].rearm_left = 3;
        mod_timer(&wheel, &r[0].t, 5 * MS);
        CHECK_EQ(run_at(7 * MS), 3);
        CHECK(timer_pending(&r[0].t));
        CHECK_EQ(run_at(7 * MS), 1);
        CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
}

static void del_from_another_callback(void)
{
        struct rec r[5];

        setup(0, 0, r, 5);
        mod_timer(&wheel, &r[0].t, 5 * MS);
        mod_timer(&wheel, &r[1].t, 5 * MS); /* due in the same run, after r0 */
        mod_timer(&wheel, &r[2].t, 6 * MS);
        mod_timer(&wheel, &r[3].t, 50 * MS); /* not due */
        mod_timer(&wheel, &r[4].t, 5 * MS + 1);
        r[0].victim = &r[1];
        r[2].victim = &r[3];
        r[4].victim = &r[0]; /* already fired: nothing to do */
        CHECK_EQ(run_at(100 * MS), 3);
        CHECK_EQ(nlog, 3);
        CHECK_EQ(log_id[0], 0);
        CHECK_EQ(log_id[1], 4);
        CHECK_EQ(log_id[2], 2);
        CHECK_EQ(r[0].victim_ret, 1);
        CHECK_EQ(r[2].victim_ret, 1);
        CHECK_EQ(r[4].victim_ret, 0);
        CHECK_EQ(wheel.count, 0);
        CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
}

static void del_of_non_pending_returns_zero(void)
{
        struct rec r[1];

        setup(0, 0, r, 1);
        CHECK_EQ(del_timer(&wheel, &r[0].t), 0);
        mod_timer(&wheel, &r[0].t, 5 * MS);
        CHECK_EQ(del_timer(&wheel, &r[0].t), 1);
        CHECK_EQ(del_timer(&wheel, &r[0].t), 0);
        CHECK_EQ(wheel.count, 0);
        CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
        CHECK_EQ(run_at(10 * MS), 0);
        mod_timer(&wheel, &r[0].t, 20 * MS);
        CHECK_EQ(run_at(20 * MS), 1);
        CHECK_EQ(del_timer(&wheel, &r[0].t), 0);
        CHECK_EQ(wheel.count, 0);
}

static void mod_timer_returns_one_when_pending(void)
{
        struct rec r[1];

        setup(0, 0, r, 1);
        CHECK(!timer_pending(&r[0].t));
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 5 * MS), 0);
        CHECK(timer_pending(&r[0].t));
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 900000 * MS), 1);
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 900000 * MS), 1);
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 7 * MS), 1);
        CHECK_EQ(wheel.count, 1);
        CHECK_EQ(run_at(6 * MS), 0);
        CHECK_EQ(run_at(7 * MS), 1);
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 8 * MS), 0);
}

static void rearm_to_same_expiry_keeps_its_place(void)
{
        struct rec r[2];

        /* As in Linux, mod_timer to the same expiry is a no-op, so a
         * keepalive refreshed to an unchanged deadline keeps its turn. */
        setup(0, 0, r, 2);
        mod_timer(&wheel, &r[0].t, 5 * MS);
        mod_timer(&wheel, &r[1].t, 5 * MS);
        CHECK_EQ(mod_timer(&wheel, &r[0].t, 5 * MS), 1);
        CHECK_EQ(run_at(5 * MS), 2);
        CHECK_EQ(log_id[0], 0);
        CHECK_EQ(log_id[1], 1);

        /* A real re-arm moves it behind the others with that expiry. */
        setup(0, 0, r, 2);
        mod_timer(&wheel, &r[0].t, 5 * MS);
        mod_timer(&wheel, &r[1].t, 5 * MS);
        mod_timer(&wheel, &r[0].t, 6 * MS);
        mod_timer(&wheel, &r[0].t, 5 * MS);
        CHECK_EQ(run_at(5 * MS), 2);
        CHECK_EQ(log_id[0], 1);
        CHECK_EQ(log_id[1], 0);
}

static void far_future_cascades_to_the_tick(void)
{
        const uint64_t day = 86400 * NSEC_PER_SEC;
        const uint64_t exp[] = { 3 * day,           3 * day + 1, 3 * day + MS - 1, 40 * day,
                                 365 * day + 12345, 3650 * day,  UINT64_MAX - 1,   UINT64_MAX };
        struct rec r[ARRAY_SIZE(exp)];
        size_t calls;

        /* Simulator stepping: each at exactly its expiry, few steps. */
        setup(0, 0, r, ARRAY_SIZE(r));
        for (size_t i = 0; i < ARRAY_SIZE(exp); i++)
                mod_timer(&wheel, &r[i].t, exp[i]);
        calls = run_to_next();
        CHECK(calls < 100);
        CHECK_EQ(nlog, ARRAY_SIZE(exp));
        for (size_t i = 0; i < nlog; i++) {
                CHECK_EQ(log_id[i], (int)i);
                CHECK(log_now[i] >= exp[i] && log_now[i] <= ceil_tick(exp[i], MS));
        }

        /* Jumps landing one nanosecond short, then on the expiry. */
        setup(0, 0, r, ARRAY_SIZE(r));
        for (size_t i = 0; i < ARRAY_SIZE(exp); i++)
                mod_timer(&wheel, &r[i].t, exp[i]);
        for (size_t i = 0; i < ARRAY_SIZE(exp); i++) {
                if (i == 0 || exp[i] - 1 > exp[i - 1])
                        CHECK_EQ(run_at(exp[i] - 1), 0);
                CHECK_EQ(run_at(exp[i]), 1);
                CHECK_EQ(log_id[i], (int)i);
        }
}

/* With a 1 ns tick the 48-bit wheel spans only ~78 hours, so these go
 * beyond it and are parked and re-placed until they come in range. */
static void beyond_the_wheel_span_with_tiny_tick(void)
{
        const uint64_t exp[] = { (1ull << 48) - 3, 1ull << 49,          (1ull << 50) + 12345,
                                 (1ull << 56) + 7, UINT64_MAX - 100000, UINT64_MAX };
        struct rec r[ARRAY_SIZE(exp)];

        setup(1000, 1, r, ARRAY_SIZE(r));
        for (size_t i = 0; i < ARRAY_SIZE(exp); i++)
                mod_timer(&wheel, &r[i].t, exp[i]);
        run_to_next();
        CHECK_EQ(nlog, ARRAY_SIZE(exp));
        for (size_t i = 0; i < nlog; i++) {
                CHECK_EQ(log_id[i], (int)i);
                CHECK_EQ(log_now[i], exp[i]);
        }

        setup(1000, 1, r, ARRAY_SIZE(r));
        for (size_t i = 0; i < ARRAY_SIZE(exp); i++)
                mod_timer(&wheel, &r[i].t, exp[i]);
        CHECK_EQ(run_at((1ull << 50) + 12344), 2);
        CHECK_EQ(run_at(UINT64_MAX - 1), 3);
        CHECK_EQ(run_at(UINT64_MAX), 1);
        for (size_t i = 0; i < nlog; i++)
                CHECK_EQ(log_id[i], (int)i);
}

/*
 * Randomized comparison against a reference model: the model keeps each
 * timer's expiry and arming sequence; at every run the timers it expects are
 * exactly those with expiry <= now, sorted by (expiry, arming sequence).
 * Callbacks re-arm themselves, cancel and re-arm others, and the model
 * follows, so "due" entries whose timer changed meanwhile are skipped.
 */
#define RT_N 384

struct rt_timer {
        struct timer_list t;
        int id;
        bool pending; /* model state from here on */
        uint64_t expires;
        uint64_t seq;
};

struct rt_due {
        int id;
        uint64_t seq;
        uint64_t expires;
};

static struct rt_timer rt[RT_N];
static struct rt_due rt_due[RT_N];
static size_t rt_ndue, rt_pos, rt_fired;
static uint64_t rt_seq, rt_tick;
static struct strata_random rt_rng;

static uint64_t rt_rand(uint64_t n)
{
        return n ? random_u64(&rt_rng) % n : 0;
}

static void rt_arm(int i, uint64_t x)
{
        CHECK_EQ(mod_timer(&wheel, &rt[i].t, x), rt[i].pending);
        if (!rt[i].pending || rt[i].expires != x)
                rt[i].seq = ++rt_seq;
        rt[i].pending = true;
        rt[i].expires = x;
}

static void rt_del(int i)
{
        CHECK_EQ(del_timer(&wheel, &rt[i].t), rt[i].pending);
        rt[i].pending = false;
}

static void rt_fire(struct timer_list *t)
{
        struct rt_timer *r = container_of(t, struct rt_timer, t);
        int other = (int)rt_rand(RT_N);

        while (rt_pos < rt_ndue) {
                const struct rt_due *d = &rt_due[rt_pos];

                if (rt[d->id].pending && rt[d->id].seq == d->seq)
                        break;
                rt_pos++;
        }
        CHECK(rt_pos < rt_ndue);
        CHECK_EQ(r->id, rt_due[rt_pos].id);
        CHECK(t->expires == rt_due[rt_pos].expires);
        CHECK(t->expires <= now_ns);
        CHECK(!timer_pending(t));
        rt_pos++;
        rt_fired++;
        r->pending = false;

        switch (rt_rand(8)) {
        case 0:
                rt_arm(r->id, now_ns + 1 + rt_rand(300 * rt_tick));
                break;
        case 1:
                rt_del(other);
                break;
        case 2:
                rt_arm(other, now_ns + 1 + rt_rand(100 * rt_tick));
                break;
        case 3:
                if (rt[other].pending)
                        rt_arm(other, rt[other].expires); /* no-op re-arm */
                break;
        default:
                break;
        }
}

static int rt_due_cmp(const void *a, const void *b)
{
        const struct rt_due *x = a, *y = b;

        if (x->expires != y->expires)
                return x->expires < y->expires ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t rt_pick_expiry(int i)
{
        const uint64_t hour = 3600 * NSEC_PER_SEC;

        switch (rt_rand(9)) {
        case 0:
                return now_ns - MIN(now_ns, rt_rand(5 * rt_tick)); /* past */
        case 1:
                return now_ns;
        case 2:
                return now_ns + rt_rand(rt_tick);
        case 3:
                return now_ns + rt_rand(100 * rt_tick);
        case 4:
                return now_ns + rt_rand(hour);
        case 5:
                return now_ns + rt_rand(72 * hour);
        case 6:
                if (rt[i].pending)
                        return rt[i].expires;
                return now_ns + rt_rand(64 * rt_tick);
        case 7:
                return (now_ns / rt_tick + rt_rand(70)) * rt_tick;
        default:
                return now_ns + rt_rand(5000 * rt_tick);
        }
}

static void rt_check_next(void)
{
        uint64_t min = UINT64_MAX;
        size_t count = 0;

        for (int i = 0; i < RT_N; i++) {
                CHECK_EQ(timer_pending(&rt[i].t), rt[i].pending);
                if (rt[i].pending) {
                        min = MIN(min, rt[i].expires);
                        count++;
                }
        }
        CHECK_EQ(wheel.count, count);
        if (count == 0)
                CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
        else
                CHECK(timer_wheel_next(&wheel) <= ceil_tick(min, rt_tick));
}

static void rt_run(void)
{
        size_t n;

        rt_ndue = 0;
        for (int i = 0; i < RT_N; i++)
                if (rt[i].pending && rt[i].expires <= now_ns)
                        rt_due[rt_ndue++] =
                            (struct rt_due){ .id = i, .seq = rt[i].seq, .expires = rt[i].expires };
        qsort(rt_due, rt_ndue, sizeof(rt_due[0]), rt_due_cmp);
        rt_pos = 0;
        rt_fired = 0;
        n = timer_wheel_run(&wheel, now_ns);
        CHECK_EQ(n, rt_fired);
        for (; rt_pos < rt_ndue; rt_pos++) {
                const struct rt_due *d = &rt_due[rt_pos];

                CHECK(!rt[d->id].pending || rt[d->id].seq != d->seq);
        }
        /* Nothing due may be left behind (callbacks only arm the future). */
        for (int i = 0; i < RT_N; i++)
                CHECK(!rt[i].pending || rt[i].expires > now_ns);
}

static void rt_scenario(uint64_t seed, uint64_t start, uint64_t tick, int ops)
{
        random_seed(&rt_rng, seed);
        timer_wheel_init(&wheel, start, tick);
        rt_tick = wheel.tick_ns;
        now_ns = start;
        rt_seq = 0;
        for (int i = 0; i < RT_N; i++) {
                rt[i] = (struct rt_timer){ .id = i };
                timer_setup(&rt[i].t, rt_fire);
        }
        for (int op = 0; op < ops; op++) {
                int i = (int)rt_rand(RT_N);
                uint64_t r = rt_rand(100), n;

                if (r < 45) {
                        rt_arm(i, rt_pick_expiry(i));
                } else if (r < 55) {
                        rt_del(i);
                } else {
                        rt_check_next();
                        switch (rt_rand(6)) {
                        case 0:
                        case 1:
                                n = timer_wheel_next(&wheel);
                                if (n != UINT64_MAX)
                                        now_ns = MAX(now_ns, n);
                                break;
                        case 2:
                                now_ns += rt_rand(2 * rt_tick);
                                break;
                        case 3:
                                now_ns += rt_rand(200) * rt_tick + rt_rand(rt_tick);
                                break;
                        case 4:
                                if (rt_rand(8) == 0)
                                        now_ns += rt_rand(10 * 3600 * NSEC_PER_SEC);
                                break;
                        default:
                                break; /* run again at the same time */
                        }
                        rt_run();
                }
        }
        /* Drain: everything left fires, in order, by simulator stepping. */
        for (size_t steps = 0; wheel.count; steps++) {
                CHECK(steps < 100000);
                rt_check_next();
                now_ns = MAX(now_ns, timer_wheel_next(&wheel));
                rt_run();
        }
}

static void randomized_against_reference(void)
{
        rt_scenario(1, 0, 0, 40000);
        rt_scenario(2, 123456789 * MS + 777, 0, 40000);
        rt_scenario(3, 5000, 1000, 40000);
        /* 1 ns tick, starting just before the wheel's 2^48 block boundary. */
        rt_scenario(4, (1ull << 48) - 5000, 1, 40000);
}

/*
 * A million timers over ten minutes.  Each must fire once, in (expiry,
 * arming) order, never early, and -- when stepping to timer_wheel_next() --
 * never later than its expiry rounded up to the tick.
 */
#define M_N 1000000

struct m_timer {
        struct timer_list t;
        bool fired;
};

static struct m_timer *mt;
static uint64_t m_last_x;
static size_t m_last_id, m_fired;
static bool m_stepping;

static void m_fire(struct timer_list *t)
{
        struct m_timer *m = container_of(t, struct m_timer, t);
        size_t id = (size_t)(m - mt);

        CHECK(!m->fired);
        CHECK(t->expires <= now_ns);
        if (m_stepping)
                CHECK(now_ns <= ceil_tick(t->expires, wheel.tick_ns));
        if (m_fired)
                CHECK(t->expires > m_last_x || (t->expires == m_last_x && id > m_last_id));
        m->fired = true;
        m_last_x = t->expires;
        m_last_id = id;
        m_fired++;
}

static void m_scenario(bool stepping)
{
        struct strata_random rng;
        const uint64_t start = 42 * NSEC_PER_SEC;
        size_t calls = 0;

        mt = calloc(M_N, sizeof(*mt));
        CHECK(mt != NULL);
        random_seed(&rng, 7);
        timer_wheel_init(&wheel, start, 0);
        now_ns = start;
        m_fired = 0;
        m_stepping = stepping;
        for (size_t i = 0; i < M_N; i++) {
                timer_setup(&mt[i].t, m_fire);
                mod_timer(&wheel, &mt[i].t, start + random_u64(&rng) % (600 * NSEC_PER_SEC));
        }
        CHECK_EQ(wheel.count, M_N);
        if (stepping) {
                calls = run_to_next();
                CHECK(calls <= M_N + 10000);
        } else {
                CHECK_EQ(run_at(start + 10 * 3600 * NSEC_PER_SEC), M_N);
        }
        CHECK_EQ(m_fired, M_N);
        CHECK_EQ(wheel.count, 0);
        CHECK(timer_wheel_next(&wheel) == UINT64_MAX);
        free(mt);
}

static void million_timers_stepping_to_next(void)
{
        m_scenario(true);
}

static void million_timers_one_ten_hour_jump(void)
{
        m_scenario(false);
}

/* next_lb: a run before every armed expiry returns at once; arming below the
 * bound (even in the past) lowers it, so that timer still fires on the next
 * run; deleting the earliest leaves the bound low but nothing fires early. */
static void run_before_the_bound_skips_and_arming_lowers_it(void)
{
        struct rec r[3];
        setup(0, 0, r, 3);
        mod_timer(&wheel, &r[0].t, 300 * MS);
        CHECK_EQ(wheel.next_lb, 300 * MS);
        CHECK_EQ(run_at(100 * MS), 0);
        CHECK_EQ(run_at(299 * MS), 0);
        /* armed in the past of now: due at the very next run */
        mod_timer(&wheel, &r[1].t, 50 * MS);
        CHECK(wheel.next_lb <= 50 * MS);
        CHECK_EQ(run_at(299 * MS), 1);
        CHECK_EQ(log_id[0], 1);
        CHECK(wheel.next_lb <= 300 * MS && wheel.next_lb > 50 * MS);
        /* the earliest goes: the bound may stay below, nothing fires early */
        mod_timer(&wheel, &r[2].t, 400 * MS);
        del_timer(&wheel, &r[0].t);
        CHECK_EQ(run_at(399 * MS), 0);
        CHECK(timer_wheel_next(&wheel) <= 400 * MS);
        CHECK_EQ(run_at(400 * MS), 1);
        CHECK_EQ(log_id[1], 2);
        CHECK_EQ(log_now[1], 400 * MS);
        CHECK_EQ(wheel.next_lb, UINT64_MAX);
}

TEST_MAIN(T(empty_wheel_has_no_deadline), T(fires_at_expiry_not_before),
          T(fires_at_expiry_from_odd_start), T(fires_in_expiry_order_ties_in_arming_order),
          T(rearm_from_callback), T(rearm_in_past_waits_for_next_run), T(del_from_another_callback),
          T(del_of_non_pending_returns_zero), T(mod_timer_returns_one_when_pending),
          T(rearm_to_same_expiry_keeps_its_place),
          T(run_before_the_bound_skips_and_arming_lowers_it), T(far_future_cascades_to_the_tick),
          T(beyond_the_wheel_span_with_tiny_tick), T(randomized_against_reference),
          T(million_timers_stepping_to_next), T(million_timers_one_ten_hour_jump))
