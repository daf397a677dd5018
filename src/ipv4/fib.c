/*
 * The forwarding information base: routing tables and longest-prefix match.
 *
 * A table keeps one hash table per prefix length (0..32), keyed by the
 * masked destination, and a bitmap of the lengths in use.  A lookup probes
 * the used lengths from /32 down and stops at the first hit, so its cost is
 * bounded by the number of distinct prefix lengths (at most 33 probes), not
 * by the number of routes.  That is cheap for the tables hosts have, but
 * with a full Internet table each probe of a length that misses is a cache
 * miss: from FIB_LPM_MIN prefixes on, a DIR-24-8 index (fib_lpm.c) answers
 * with one or two array reads and the prefix's slot, and the hash tables
 * stay the truth it is kept in step with (bench/bench_fib.c: 1M prefixes,
 * 0.2 M lookups/s probing, 4-12 M with the index on this machine, whose
 * dependent DRAM reads cost ~270 ns).  Routes with the same prefix are
 * chained by priority (metric), lowest first, as Linux orders aliases.
 * The rules choosing among tables, and fib_lookup, are in fib_rules.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4/fib_lpm.h"
#include "ipv4/ipv4.h"

struct fib_len {
        struct fib_route **buckets;
        uint32_t mask;  /* buckets - 1 */
        uint32_t count; /* prefixes (chains) at this length */
};

struct fib_table {
        uint32_t id;
        uint32_t *genid; /* the namespace's rt_genid, or NULL */
        uint64_t lens; /* bit L: some prefix of length L */
        uint32_t nprefixes;
        bool lpm_failed;     /* out of memory once: lookups probe the lengths */
        struct fib_lpm *lpm; /* from FIB_LPM_MIN prefixes on (fib_lpm.h) */
        struct fib_len len[33];
};

/* Below this many prefixes a lookup probes the lengths in use: hash
 * tables that small stay in the cache, and need no 64 MB index. */
#define FIB_LPM_MIN 65536

static inline uint32_t plen_mask(uint8_t plen)
{
        return plen ? ~0u << (32 - plen) : 0;
}

static inline uint32_t fib_hash(uint32_t key)
{
        key ^= key >> 16;
        key *= 0x7feb352du;
        key ^= key >> 15;
        key *= 0x846ca68bu;
        key ^= key >> 16;
        return key;
}

/* A route and what it owns (its exceptions, its next hops'). */
static void fib_route_free(struct fib_route *r)
{
        fnhe_free_all(r->exc);
        for (int i = 0; i < r->nhs; i++)
                fnhe_free_all(r->nh[i].exc);
        free(r->nh);
        free(r->metrics);
        free(r);
}

/* A table's own copy of template r: next hops and metrics copied, no
 * exceptions yet; NULL when out of memory. */
static struct fib_route *fib_route_copy(const struct fib_route *r)
{
        struct fib_route *n = malloc(sizeof(*n));
        if (!n)
                return NULL;
        *n = *r;
        n->exc = NULL;
        n->nh = NULL;
        n->metrics = NULL;
        n->lpm_slot = 0;
        if (r->metrics && !fib_metrics_empty(r->metrics)) {
                n->metrics = malloc(sizeof(*n->metrics));
                if (!n->metrics)
                        goto nomem;
                *n->metrics = *r->metrics;
        }
        if (r->nhs) {
                n->nh = calloc(r->nhs, sizeof(*n->nh));
                if (!n->nh)
                        goto nomem;
                for (int i = 0; i < r->nhs; i++) {
                        n->nh[i] = r->nh[i];
                        n->nh[i].exc = NULL;
                }
                n->gw = n->nh[0].gw;
                n->dev = n->nh[0].dev;
        }
        return n;
nomem:
        free(n->metrics);
        free(n);
        return NULL;
}

struct fib_table *fib_table_new(uint32_t id)
{
        struct fib_table *t = calloc(1, sizeof(*t));
        if (t)
                t->id = id;
        return t;
}

void fib_table_set_genid(struct fib_table *t, uint32_t *genid)
{
        t->genid = genid;
}

/* The table changed: cached routes must look again. */
static void fib_changed(struct fib_table *t)
{
        if (t->genid)
                rt_genid_bump(t->genid);
}

void fib_table_free(struct fib_table *t)
{
        if (!t)
                return;
        for (int l = 0; l <= 32; l++) {
                struct fib_len *fl = &t->len[l];
                if (!fl->buckets)
                        continue;
                for (uint32_t b = 0; b <= fl->mask; b++) {
                        struct fib_route *r = fl->buckets[b], *n;
                        for (; r; r = n) {
                                n = r->next;
                                fib_route_free(r);
                        }
                }
                free(fl->buckets);
        }
        lpm_free(t->lpm);
        free(t);
}

/* The first route of prefix dst/plen in its chain, or NULL. */
static struct fib_route *prefix_head(const struct fib_table *t, uint32_t dst, uint8_t plen)
{
        const struct fib_len *fl = &t->len[plen];
        if (!fl->buckets)
                return NULL;
        for (struct fib_route *c = fl->buckets[fib_hash(dst) & fl->mask]; c; c = c->next)
                if (c->dst == dst)
                        return c;
        return NULL;
}

/* The index entry of the longest prefix shorter than plen covering dst
 * (0: none). */
static uint32_t lpm_shorter(const struct fib_table *t, uint32_t dst, uint8_t plen)
{
        for (int l = plen - 1; l >= 0; l--) {
                if (!(t->lens & (1ull << l)))
                        continue;
                const struct fib_route *h = prefix_head(t, dst & plen_mask((uint8_t)l), (uint8_t)l);
                if (h && h->lpm_slot)
                        return lpm_mk(h->lpm_slot, (uint8_t)l);
        }
        return 0;
}

static void lpm_drop(struct fib_table *t)
{
        lpm_free(t->lpm);
        t->lpm = NULL;
        t->lpm_failed = true;
}

/* Prefix dst/plen changed (a route added, replaced or removed; old_slot:
 * the slot a removed or replaced route held): the index follows. */
static void lpm_sync(struct fib_table *t, uint32_t dst, uint8_t plen, uint32_t old_slot)
{
        struct fib_lpm *l = t->lpm;
        if (!l)
                return;
        struct fib_route *head = prefix_head(t, dst, plen);
        if (!head) {
                if (old_slot)
                        lpm_delete(l, dst, plen, old_slot, lpm_shorter(t, dst, plen));
                return;
        }
        const struct fib_len *fl = &t->len[plen];
        uint32_t slot = old_slot;
        for (struct fib_route *c = head; c && !slot; c = c->next)
                if (c->dst == dst)
                        slot = c->lpm_slot;
        if (!slot) {
                slot = lpm_slot_alloc(l);
                if (!slot || lpm_insert(l, dst, plen, slot)) {
                        lpm_drop(t);
                        return;
                }
        }
        for (struct fib_route *c = fl->buckets[fib_hash(dst) & fl->mask]; c; c = c->next)
                if (c->dst == dst)
                        c->lpm_slot = slot;
        l->slot[slot] = head;
}

/* Enough prefixes: build the index over what the table holds. */
static void lpm_maybe_build(struct fib_table *t)
{
        if (t->lpm || t->lpm_failed || t->nprefixes < FIB_LPM_MIN)
                return;
        t->lpm = lpm_new();
        if (!t->lpm) {
                t->lpm_failed = true;
                return;
        }
        for (int len = 0; len <= 32 && t->lpm; len++) {
                struct fib_len *fl = &t->len[len];
                for (uint32_t b = 0; fl->buckets && b <= fl->mask && t->lpm; b++)
                        for (struct fib_route *c = fl->buckets[b]; c && t->lpm; c = c->next)
                                if (!c->lpm_slot)
                                        lpm_sync(t, c->dst, (uint8_t)len, 0);
        }
}

/* Chains in a bucket hold routes of several prefixes; the routes of one
 * prefix are contiguous and sorted by priority. */
static int fib_len_grow(struct fib_len *fl)
{
        uint32_t nsize = fl->buckets ? (fl->mask + 1) * 2 : 8;
        struct fib_route **nb = calloc(nsize, sizeof(*nb));
        if (!nb)
                return -ENOMEM;
        if (fl->buckets) {
                for (uint32_t b = 0; b <= fl->mask; b++) {
                        /* move route by route, keeping relative order */
                        struct fib_route *r = fl->buckets[b], *n;
                        for (; r; r = n) {
                                n = r->next;
                                struct fib_route **pp = &nb[fib_hash(r->dst) & (nsize - 1)];
                                while (*pp)
                                        pp = &(*pp)->next;
                                r->next = NULL;
                                *pp = r;
                        }
                }
                free(fl->buckets);
        }
        fl->buckets = nb;
        fl->mask = nsize - 1;
        return 0;
}

/* The same route, field for field: what an append still refuses. */
static bool route_identical(const struct fib_route *a, const struct fib_route *b)
{
        static const struct fib_metrics none;
        const struct fib_metrics *ma = a->metrics ? a->metrics : &none;
        const struct fib_metrics *mb = b->metrics ? b->metrics : &none;
        if (a->nhs != b->nhs || memcmp(ma, mb, sizeof(none)) != 0)
                return false;
        for (int i = 0; i < a->nhs; i++)
                if (a->nh[i].gw != b->nh[i].gw || a->nh[i].dev != b->nh[i].dev ||
                    a->nh[i].weight != b->nh[i].weight || a->nh[i].flags != b->nh[i].flags)
                        return false;
        return a->type == b->type && a->tos == b->tos && a->priority == b->priority &&
               a->dev == b->dev && a->gw == b->gw && a->prefsrc == b->prefsrc &&
               a->scope == b->scope && a->nh_flags == b->nh_flags && a->nh_id == b->nh_id;
}

/*
 * Insert r.  Exclusive (ip route add, NLM_F_EXCL): any route of the same
 * prefix, tos and priority is a conflict.  Append (the kernel's own routes,
 * NLM_F_APPEND): only an identical route is, so one subnet on two devices
 * gets two prefix routes, the first added winning the lookup.
 */
static int fib_insert(struct fib_table *t, const struct fib_route *r, bool append)
{
        fib_changed(t);
        if (r->plen > 32)
                return -EINVAL;
        struct fib_len *fl = &t->len[r->plen];
        uint32_t dst = r->dst & plen_mask(r->plen);
        if (!fl->buckets || fl->count + 1 > (fl->mask + 1) * 2) {
                int err = fib_len_grow(fl);
                if (err && !fl->buckets)
                        return err;
        }
        struct fib_route **pp = &fl->buckets[fib_hash(dst) & fl->mask];
        bool prefix_seen = false;
        /* insertion point: after every same-prefix route of lower or equal
         * priority, i.e. before the first one of higher priority */
        struct fib_route **ins = NULL, **last = NULL;
        for (; *pp; pp = &(*pp)->next) {
                struct fib_route *c = *pp;
                if (c->dst != dst)
                        continue;
                prefix_seen = true;
                struct fib_route probe = *r;
                probe.dst = dst;
                if (c->tos == r->tos && c->priority == r->priority &&
                    (!append || route_identical(c, &probe)))
                        return -EEXIST;
                if (!ins && c->priority > r->priority)
                        ins = pp;
                last = pp;
        }
        if (!ins)
                ins = last ? &(*last)->next : pp;
        if (r->nhs == 1 || r->nhs > FIB_MAX_NHS || (r->nhs && !r->nh))
                return -EINVAL; /* one next hop is a single path */
        struct fib_route *n = fib_route_copy(r);
        if (!n)
                return -ENOMEM;
        n->dst = dst;
        n->table = t->id;
        n->next = *ins;
        *ins = n;
        if (!prefix_seen) {
                fl->count++;
                t->nprefixes++;
        }
        t->lens |= 1ull << r->plen;
        lpm_sync(t, dst, r->plen, 0);
        lpm_maybe_build(t);
        return 0;
}

int fib_table_insert(struct fib_table *t, const struct fib_route *r)
{
        return fib_insert(t, r, false);
}

int fib_table_append(struct fib_table *t, const struct fib_route *r)
{
        return fib_insert(t, r, true);
}

int fib_table_replace(struct fib_table *t, const struct fib_route *r, bool create)
{
        if (r->plen > 32 || r->nhs == 1 || r->nhs > FIB_MAX_NHS || (r->nhs && !r->nh))
                return -EINVAL;
        struct fib_len *fl = &t->len[r->plen];
        uint32_t dst = r->dst & plen_mask(r->plen);
        for (struct fib_route **pp = fl->buckets ? &fl->buckets[fib_hash(dst) & fl->mask] : NULL;
             pp && *pp; pp = &(*pp)->next) {
                struct fib_route *c = *pp;
                if (c->dst != dst || c->tos != r->tos || c->priority != r->priority)
                        continue;
                /* fib_table_insert with NLM_F_REPLACE: the new route takes
                 * the old one's place; what the old one learned goes */
                struct fib_route *n = fib_route_copy(r);
                if (!n)
                        return -ENOMEM;
                fib_changed(t);
                n->dst = dst;
                n->table = t->id;
                n->next = c->next;
                *pp = n;
                uint32_t old_slot = c->lpm_slot;
                fib_route_free(c);
                lpm_sync(t, dst, r->plen, old_slot);
                return 0;
        }
        return create ? fib_insert(t, r, false) : -ENOENT;
}

static bool route_matches(const struct fib_route *c, const struct fib_route *m)
{
        return (!m->priority || c->priority == m->priority) && (!m->gw || c->gw == m->gw) &&
               (!m->dev || c->dev == m->dev) && (!m->type || c->type == m->type) &&
               (!m->tos || c->tos == m->tos) && (!m->nh_id || c->nh_id == m->nh_id);
}

static void fib_len_after_delete(struct fib_table *t, uint8_t plen, uint32_t dst)
{
        struct fib_len *fl = &t->len[plen];
        for (struct fib_route *c = fl->buckets[fib_hash(dst) & fl->mask]; c; c = c->next)
                if (c->dst == dst)
                        return; /* prefix still has routes */
        t->nprefixes--;
        if (--fl->count == 0)
                t->lens &= ~(1ull << plen);
}

int fib_table_delete(struct fib_table *t, const struct fib_route *m)
{
        fib_changed(t);
        if (m->plen > 32)
                return -EINVAL;
        struct fib_len *fl = &t->len[m->plen];
        if (!fl->buckets)
                return -ESRCH;
        uint32_t dst = m->dst & plen_mask(m->plen);
        for (struct fib_route **pp = &fl->buckets[fib_hash(dst) & fl->mask]; *pp;
             pp = &(*pp)->next) {
                struct fib_route *c = *pp;
                if (c->dst == dst && route_matches(c, m)) {
                        *pp = c->next;
                        uint32_t old_slot = c->lpm_slot;
                        fib_route_free(c);
                        fib_len_after_delete(t, m->plen, dst);
                        lpm_sync(t, dst, m->plen, old_slot);
                        return 0;
                }
        }
        return -ESRCH;
}

void fib_table_nh_update(struct fib_table *t, uint32_t id, const struct fib_route *tmpl)
{
        fib_changed(t);
        for (int l = 0; l <= 32; l++) {
                struct fib_len *fl = &t->len[l];
                for (uint32_t b = 0; fl->buckets && b <= fl->mask; b++) {
                        struct fib_route **pp = &fl->buckets[b];
                        while (*pp) {
                                struct fib_route *c = *pp;
                                if (c->nh_id != id) {
                                        pp = &c->next;
                                        continue;
                                }
                                struct fib_route *n = NULL;
                                if (tmpl) {
                                        /* the route as it was, with the new next hops */
                                        struct fib_route probe = *c;
                                        probe.gw = tmpl->gw;
                                        probe.dev = tmpl->dev;
                                        probe.nh = tmpl->nh;
                                        probe.nhs = tmpl->nhs;
                                        probe.nh_flags = tmpl->nh_flags;
                                        probe.type = tmpl->type;
                                        n = fib_route_copy(&probe);
                                }
                                uint32_t dst = c->dst, old_slot = c->lpm_slot;
                                if (n) {
                                        n->next = c->next;
                                        *pp = n;
                                        pp = &n->next;
                                        fib_route_free(c);
                                        lpm_sync(t, dst, (uint8_t)l, old_slot);
                                        continue;
                                }
                                *pp = c->next; /* deleted (or no memory) */
                                fib_route_free(c);
                                fib_len_after_delete(t, (uint8_t)l, dst);
                                lpm_sync(t, dst, (uint8_t)l, old_slot);
                        }
                }
        }
}

void fib_table_flush_dev(struct fib_table *t, const struct net_device *dev)
{
        fib_changed(t);
        for (int l = 0; l <= 32; l++) {
                struct fib_len *fl = &t->len[l];
                if (!fl->buckets)
                        continue;
                for (uint32_t b = 0; b <= fl->mask; b++) {
                        struct fib_route **pp = &fl->buckets[b];
                        while (*pp) {
                                struct fib_route *c = *pp;
                                /* a multipath route goes with any of its
                                 * devices (Linux keeps it with the others) */
                                if (fib_route_nh_by_dev(c, dev) >= 0) {
                                        uint32_t dst = c->dst, old_slot = c->lpm_slot;
                                        *pp = c->next;
                                        fib_route_free(c);
                                        fib_len_after_delete(t, (uint8_t)l, dst);
                                        lpm_sync(t, dst, (uint8_t)l, old_slot);
                                } else {
                                        pp = &c->next;
                                }
                        }
                }
        }
}

static bool route_usable(const struct fib_route *r)
{
        /* A route through a device that is administratively down is skipped
         * (Linux removes it; Strata keeps it for when the device comes back).
         * Without carrier it is still used, as Linux does with
         * ignore_routes_with_linkdown=0.  Local routes stay usable, so a
         * local address answers even on a device that is down. */
        if (!r->dev || r->type == RTN_LOCAL)
                return true;
        for (int i = 0; i < r->nhs; i++)
                if (netif_running(r->nh[i].dev))
                        return true;
        return netif_running(r->dev);
}

const struct fib_route *fib_table_lookup(const struct fib_table *t, uint32_t dst)
{
        if (t->lpm) {
                uint32_t e = lpm_entry(t->lpm, dst);
                if (!e)
                        return NULL; /* no prefix covers dst */
                const struct fib_route *h = t->lpm->slot[e & LPM_IDX];
                for (const struct fib_route *c = h; c; c = c->next)
                        if (c->dst == h->dst && route_usable(c))
                                return c;
                /* every route of the longest prefix is down: the lengths
                 * below it decide, as without the index */
        }
        uint64_t lens = t->lens;
        while (lens) {
                int l = 63 - __builtin_clzll(lens);
                lens &= ~(1ull << l);
                const struct fib_len *fl = &t->len[l];
                uint32_t key = dst & plen_mask((uint8_t)l);
                for (const struct fib_route *c = fl->buckets[fib_hash(key) & fl->mask]; c;
                     c = c->next)
                        if (c->dst == key && route_usable(c))
                                return c;
        }
        return NULL;
}

void fib_table_for_each(const struct fib_table *t, void (*fn)(const struct fib_route *r, void *c),
                        void *ctx)
{
        for (int l = 0; l <= 32; l++) {
                const struct fib_len *fl = &t->len[l];
                if (!fl->buckets)
                        continue;
                for (uint32_t b = 0; b <= fl->mask; b++)
                        for (const struct fib_route *c = fl->buckets[b]; c; c = c->next)
                                fn(c, ctx);
        }
}
