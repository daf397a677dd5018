/*
 * Hierarchical timer wheel: the contract is in timer.h; this is how it holds.
 *
 * Buckets.  A timer's bucket is the tick its expiry falls in,
 * b = expires / tick_ns (floor, clamped up to clk for expiries in the past).
 * Firing compares the exact nanoseconds (expires <= now), so a timer never
 * fires early even inside its tick; the tick only decides where it is kept.
 * The bucket at clk is therefore "partial": a run may fire some of its
 * timers and leave the later ones there for the next run.
 *
 * Placement is radix-like.  A timer lives at level L, slot (b >> 6L) & 63,
 * where L is the highest 6-bit digit in which b differs from clk.  So every
 * timer at level L shares all digits above L with clk and its digit L is
 * greater than clk's (level 0: greater or equal).  Three things follow:
 *   - the next thing to do is always the first set bit of the lowest
 *     non-empty level, found with one ctz, and its tick is computed from clk;
 *   - a slot at level L >= 1 is cascaded exactly when clk reaches its first
 *     tick, and its timers land strictly lower (they now agree with clk in
 *     digit L), so each timer is cascaded at most WHEEL_LEVELS-1 times;
 *   - timers with the same bucket always share one slot, which is what
 *     keeps ties in arming order (below).
 * Levels cover 48 bits of ticks; a bucket further away than the current
 * 2^48-tick block is parked at the end of that block and re-placed from its
 * real expiry when reached (only possible with tiny ticks, e.g. 1 ns).
 *
 * Order.  Slot lists keep the newest timer first (head insertion; cascades
 * reverse the list before re-inserting so relative order survives).  A
 * level-0 slot holds a single tick; when it is processed its due timers are
 * reversed to oldest-first and merge-sorted by expiry (stable), giving expiry
 * order with ties in arming order.
 *
 * Callbacks.  Due timers move to a batch list headed by a local variable of
 * timer_wheel_run(); they stay "pending" there (pprev points into the batch),
 * so a callback can del_timer/mod_timer any of them with the ordinary O(1)
 * unlink.  Whether an unlink empties a slot is seen from pprev pointing at a
 * slot head, so no timer needs to remember its slot.  While a tick e before
 * the run's last tick fires, clk already reads e+1 (as in Linux), so a timer
 * a callback arms in the past fires at the next tick of the same run; one
 * armed in the past during the last tick waits for the next run.  That
 * bounds every run even if a callback keeps re-arming itself at "now".
 */
#include <stdint.h>
#include <string.h>

#include "core/clock.h"
#include "core/compiler.h"
#include "core/timer.h"

#define WHEEL_MASK      (WHEEL_SIZE - 1)
#define WHEEL_SPAN_BITS (WHEEL_BITS * WHEEL_LEVELS)

_Static_assert(WHEEL_SIZE == 64, "occupancy bitmaps are one uint64_t per level");
_Static_assert(WHEEL_SPAN_BITS < 64, "the wheel must not cover the whole tick space");

/* Bits 0..bits-1 set. */
static inline uint64_t low_mask(unsigned bits)
{
        return bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
}

static inline unsigned lvl_shift(unsigned lvl)
{
        return lvl * WHEEL_BITS;
}

/* First tick of slot idx at level lvl, given the wheel's clk. */
static inline uint64_t slot_tick(uint64_t clk, unsigned lvl, unsigned idx)
{
        return (clk & ~low_mask(lvl_shift(lvl + 1))) | ((uint64_t)idx << lvl_shift(lvl));
}

static void list_add_head(struct timer_list **head, struct timer_list *t)
{
        t->next = *head;
        if (t->next)
                t->next->pprev = &t->next;
        *head = t;
        t->pprev = head;
}

/* Unlink a pending timer from whatever list holds it (a slot or a run's
 * batch), clearing the slot's occupancy bit when it was the last one. */
static void wheel_unlink(struct timer_wheel *w, struct timer_list *t)
{
        struct timer_list **pp = t->pprev;

        *pp = t->next;
        if (t->next) {
                t->next->pprev = pp;
        } else {
                /* Last in its list: if pprev is a slot head, the slot is now
                 * empty.  Compared as integers since pp may point elsewhere. */
                uintptr_t base = (uintptr_t)&w->slots[0][0];
                uintptr_t p = (uintptr_t)pp;

                if (p >= base && p < base + sizeof(w->slots)) {
                        size_t i = (p - base) / sizeof(w->slots[0][0]);

                        w->pending[i / WHEEL_SIZE] &= ~(1ull << (i % WHEEL_SIZE));
                }
        }
        t->next = NULL;
        t->pprev = NULL;
}

/* ns / tick_ns, exactly: the high half of ns * floor(2^64 / tick_ns) is the
 * quotient or one less (the error is below ns / 2^64 < 1), fixed by one
 * compare.  A 64-bit divide costs tens of cycles on every timer arm. */
static inline uint64_t ns_to_tick(const struct timer_wheel *w, uint64_t ns)
{
        uint64_t q = (uint64_t)(((unsigned __int128)ns * w->tick_inv) >> 64);
        if (ns - q * w->tick_ns >= w->tick_ns)
                q++;
        return q;
}

/* Put t in its slot relative to the current clk (see the essay above). */
static void wheel_place(struct timer_wheel *w, struct timer_list *t)
{
        uint64_t b = ns_to_tick(w, t->expires);
        uint64_t diff;
        unsigned lvl, idx;

        if (b < w->clk)
                b = w->clk;
        diff = b ^ w->clk;
        if (diff >> WHEEL_SPAN_BITS) {
                /* Beyond the wheel: park at the end of clk's 2^48 block. */
                b = w->clk | low_mask(WHEEL_SPAN_BITS);
                diff = b ^ w->clk;
        }
        lvl = diff ? (unsigned)(63 - __builtin_clzll(diff)) / WHEEL_BITS : 0;
        idx = (unsigned)(b >> lvl_shift(lvl)) & WHEEL_MASK;
        list_add_head(&w->slots[lvl][idx], t);
        w->pending[lvl] |= 1ull << idx;
}

/* Empty a slot and return its timers oldest first, linked through next
 * (pprev is stale until the caller places them again). */
static struct timer_list *slot_take(struct timer_wheel *w, unsigned lvl, unsigned idx)
{
        struct timer_list *t = w->slots[lvl][idx], *rev = NULL;

        w->slots[lvl][idx] = NULL;
        w->pending[lvl] &= ~(1ull << idx);
        while (t) {
                struct timer_list *next = t->next;

                t->next = rev;
                rev = t;
                t = next;
        }
        return rev;
}

static void cascade(struct timer_wheel *w, unsigned lvl, unsigned idx)
{
        struct timer_list *t = slot_take(w, lvl, idx);

        while (t) {
                struct timer_list *next = t->next;

                wheel_place(w, t);
                t = next;
        }
}

/* Advance clk by one tick, cascading the slots that begin at the new tick.
 * Only the highest level whose boundary is crossed can hold anything (all
 * lower ones were exhausted on the way), but checking each is cheap. */
static void wheel_step(struct timer_wheel *w)
{
        uint64_t clk = ++w->clk;

        for (unsigned lvl = 1; lvl < WHEEL_LEVELS; lvl++) {
                unsigned idx;

                if (clk & low_mask(lvl_shift(lvl)))
                        break;
                idx = (unsigned)(clk >> lvl_shift(lvl)) & WHEEL_MASK;
                if (w->pending[lvl] & (1ull << idx))
                        cascade(w, lvl, idx);
        }
}

/* The next slot to visit: lowest non-empty level, its first occupied slot,
 * and the tick where that slot begins.  False when the wheel is empty. */
static bool wheel_first(const struct timer_wheel *w, unsigned *lvl, unsigned *idx, uint64_t *tick)
{
        for (unsigned l = 0; l < WHEEL_LEVELS; l++) {
                if (w->pending[l]) {
                        *lvl = l;
                        *idx = (unsigned)__builtin_ctzll(w->pending[l]);
                        *tick = slot_tick(w->clk, l, *idx);
                        return true;
                }
        }
        return false;
}

/* Stable merge sort by expiry of a next-linked list. */
static struct timer_list *sort_by_expiry(struct timer_list *list)
{
        struct timer_list *a, *b, *slow, *fast, *out = NULL, **tail = &out;

        if (!list || !list->next)
                return list;
        slow = list;
        fast = list->next;
        while (fast && fast->next) {
                slow = slow->next;
                fast = fast->next->next;
        }
        b = slow->next;
        slow->next = NULL;
        a = sort_by_expiry(list);
        b = sort_by_expiry(b);
        while (a && b) {
                /* <= keeps the earlier-armed one first on ties. */
                if (a->expires <= b->expires) {
                        *tail = a;
                        a = a->next;
                } else {
                        *tail = b;
                        b = b->next;
                }
                tail = &(*tail)->next;
        }
        *tail = a ? a : b;
        return out;
}

void timer_wheel_init(struct timer_wheel *w, uint64_t now, uint64_t tick_ns)
{
        memset(w, 0, sizeof(*w));
        w->tick_ns = tick_ns ? tick_ns : NSEC_PER_MSEC;
        w->tick_inv = w->tick_ns == 1 ? UINT64_MAX
                                      : (uint64_t)(((unsigned __int128)1 << 64) / w->tick_ns);
        w->clk = now / w->tick_ns;
        w->next_lb = UINT64_MAX;
}

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
        t->next = NULL;
        t->pprev = NULL;
        t->expires = 0;
        t->function = fn;
}

int mod_timer(struct timer_wheel *w, struct timer_list *t, uint64_t expires)
{
        STRATA_ASSERT(t->function != NULL);
        if (expires < w->next_lb)
                w->next_lb = expires;
        if (timer_pending(t)) {
                /* Linux's shortcut: same expiry keeps its place (and its
                 * arming order among ties). */
                if (t->expires == expires)
                        return 1;
                wheel_unlink(w, t);
                t->expires = expires;
                wheel_place(w, t);
                return 1;
        }
        t->expires = expires;
        wheel_place(w, t);
        w->count++;
        return 0;
}

int del_timer(struct timer_wheel *w, struct timer_list *t)
{
        if (!timer_pending(t))
                return 0;
        wheel_unlink(w, t);
        STRATA_ASSERT(w->count > 0);
        w->count--;
        return 1;
}

uint64_t timer_wheel_next(const struct timer_wheel *w)
{
        unsigned lvl, idx;
        uint64_t e, best, limit;

        if (!wheel_first(w, &lvl, &idx, &e))
                return UINT64_MAX;
        /* A higher-level slot: its first tick is a lower bound on all of its
         * timers, and running there cascades it (progress) -- unless
         * next_lb says nothing expires before a later time, where a run
         * (not skipped then) cascades and fires. */
        if (lvl > 0)
                return MAX(e * w->tick_ns, w->next_lb);
        /* A one-tick slot: its earliest exact expiry, so running there fires
         * at least one timer.  Capped by the tick's end, which only matters
         * for a far timer parked here (see wheel_place). */
        limit = e < UINT64_MAX / w->tick_ns ? (e + 1) * w->tick_ns : UINT64_MAX;
        best = limit;
        for (const struct timer_list *t = w->slots[0][idx]; t; t = t->next)
                best = MIN(best, t->expires);
        return MAX(best, w->next_lb);
}

size_t timer_wheel_run(struct timer_wheel *w, uint64_t now)
{
        /* Nothing can be due (a deleted timer leaves the bound low, never
         * wrong).  clk stays behind: placing relative to an older clk is
         * what a run after a long idle does anyway. */
        if (now < w->next_lb)
                return 0;
        uint64_t target = ns_to_tick(w, now);
        size_t fired = 0;

        if (target < w->clk)
                target = w->clk; /* time went backwards: only the clk tick */

        for (;;) {
                struct timer_list *batch = NULL, *rest = NULL, **btail = &batch, **rtail = &rest;
                struct timer_list *t;
                unsigned lvl, idx;
                uint64_t e;

                if (!wheel_first(w, &lvl, &idx, &e) || e > target)
                        break;
                w->clk = e;
                if (lvl > 0) {
                        cascade(w, lvl, idx);
                        continue;
                }

                /* Split the tick's timers, oldest first, into due and not.
                 * Before the last tick everything is due except a parked far
                 * timer; in the last tick, the ones after now stay. */
                for (t = slot_take(w, 0, idx); t; t = t->next) {
                        if (t->expires <= now) {
                                *btail = t;
                                btail = &t->next;
                        } else {
                                *rtail = t;
                                rtail = &t->next;
                        }
                }
                *btail = NULL;
                *rtail = NULL;
                if (e < target)
                        wheel_step(w);
                while (rest) {
                        t = rest;
                        rest = t->next;
                        wheel_place(w, t);
                }

                /* Make the batch a proper list so callbacks can unlink any
                 * of its timers with del_timer/mod_timer. */
                batch = sort_by_expiry(batch);
                if (batch)
                        batch->pprev = &batch;
                for (t = batch; t && t->next; t = t->next)
                        t->next->pprev = &t->next;

                while (batch) {
                        t = batch;
                        wheel_unlink(w, t);
                        w->count--;
                        fired++;
                        t->function(t); /* may free t: not touched after */
                }
                if (e == target)
                        break;
        }
        w->clk = target;
        /* the first occupied slot's first tick: every armed timer expires
         * at or after it */
        unsigned lvl, idx;
        uint64_t e;
        if (!wheel_first(w, &lvl, &idx, &e))
                w->next_lb = UINT64_MAX;
        else
                w->next_lb = e <= UINT64_MAX / w->tick_ns ? e * w->tick_ns : UINT64_MAX;
        return fired;
}
