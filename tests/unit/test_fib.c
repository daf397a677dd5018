/*
 * The forwarding information base (src/ipv4/fib.c): longest-prefix match
 * over every prefix length, routes of one prefix ordered by priority,
 * duplicate inserts, deletes, flushing a device's routes, routes through
 * unusable devices, the local/main/default lookup order, and 100,000 random
 * prefixes checked against an independent reference.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/net.h"
#include "core/netdev.h"
#include "core/random.h"
#include "ipv4/ipv4.h"
#include "../test.h"

static struct strata_clock test_clock = { .simulated = true, .sim_now = 0 };

static int dummy_xmit(struct sk_buff *skb, struct net_device *dev)
{
        consume_skb(skb);
        return NETDEV_TX_OK;
}

static const struct net_device_ops dummy_ops = {
        .ndo_start_xmit = dummy_xmit,
};

/* A core namespace with two devices, both up. */
struct fixture {
        struct net *net;
        struct net_device *d1, *d2;
        struct fib_table *t;
};

static struct fixture F;

/* The reference of random_prefixes_match_reference. */
struct ref_route {
        uint32_t dst;
        uint8_t plen;
        bool live;
        uint32_t id; /* stored as the route's gw */
};

static struct ref_route *refs;
static size_t nrefs;
/* live routes sorted by (plen, dst); first[l] .. first[l+1]-1 have length l */
static struct ref_route **sorted;
static size_t first[34];

/* Free what a case left behind; a failed CHECK leaves its case early, so
 * the next setup (or exit) cleans up after it. */
static void release(void)
{
        if (F.net && F.net->ipv4) {
                fib_table_free(ipv4_of(F.net)->local);
                fib_table_free(ipv4_of(F.net)->def);
                F.net->ipv4 = NULL;
        }
        fib_table_free(F.t);
        net_free(F.net);
        memset(&F, 0, sizeof(F));
        free(refs);
        free(sorted);
        refs = NULL;
        sorted = NULL;
}

static void setup(void)
{
        static bool registered;
        if (!registered)
                atexit(release);
        registered = true;
        release();
        CHECK_EQ(net_alloc("fib", &test_clock, 1, &F.net), 0);
        CHECK_EQ(netdev_register(F.net, "eth0", &dummy_ops, NULL, &F.d1), 0);
        CHECK_EQ(netdev_register(F.net, "eth1", &dummy_ops, NULL, &F.d2), 0);
        CHECK_EQ(dev_open(F.d1), 0);
        CHECK_EQ(dev_open(F.d2), 0);
        F.t = fib_table_new(RT_TABLE_MAIN);
        CHECK(F.t);
}

static void teardown(void)
{
        CHECK_EQ(skb_pool_outstanding(F.net->pool), 0);
        release();
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
        return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static uint32_t mask_of(unsigned plen)
{
        return plen ? ~0u << (32 - plen) : 0;
}

/* Insert a unicast route; gw doubles as the route's identity in checks. */
static int add(uint32_t dst, unsigned plen, uint32_t prio, uint32_t gw, struct net_device *dev)
{
        struct fib_route r = {
                .dst = dst,
                .plen = (uint8_t)plen,
                .type = RTN_UNICAST,
                .scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
                .protocol = RTPROT_STATIC,
                .priority = prio,
                .gw = gw,
                .dev = dev,
        };
        return fib_table_insert(F.t, &r);
}

static int del(uint32_t dst, unsigned plen, uint32_t prio, uint32_t gw, struct net_device *dev)
{
        struct fib_route m = {
                .dst = dst, .plen = (uint8_t)plen, .priority = prio, .gw = gw, .dev = dev
        };
        return fib_table_delete(F.t, &m);
}

/* gw of the route matching dst, 0 if none. */
static uint32_t hit(uint32_t dst)
{
        const struct fib_route *r = fib_table_lookup(F.t, dst);
        return r ? r->gw : 0;
}

static void count_fn(const struct fib_route *r, void *ctx)
{
        (*(long *)ctx)++;
}

static long count_routes(void)
{
        long n = 0;
        fib_table_for_each(F.t, count_fn, &n);
        return n;
}

static void empty_table_matches_nothing(void)
{
        setup();
        CHECK(fib_table_lookup(F.t, 0) == NULL);
        CHECK(fib_table_lookup(F.t, ip(10, 0, 0, 1)) == NULL);
        CHECK(fib_table_lookup(F.t, 0xffffffffu) == NULL);
        CHECK_EQ(count_routes(), 0);
        teardown();
}

static void longest_prefix_wins_across_all_lengths(void)
{
        setup();
        const uint32_t x = ip(192, 168, 171, 93);
        /* one route per length on the path to x; gw = length + 1 */
        for (unsigned l = 0; l <= 32; l++)
                CHECK_EQ(add(x & mask_of(l), l, 0, 1000 + l, F.d1), 0);
        CHECK_EQ(count_routes(), 33);
        CHECK_EQ(hit(x), 1000 + 32);
        /* flipping bit k (from the top) leaves exactly the prefixes of length
         * <= k matching */
        for (unsigned k = 0; k < 32; k++)
                CHECK_EQ(hit(x ^ (0x80000000u >> k)), 1000 + k);
        /* the stored prefix is the masked one */
        CHECK_EQ(fib_table_lookup(F.t, x ^ 1)->dst, x & mask_of(31));
        CHECK_EQ(fib_table_lookup(F.t, x ^ 1)->plen, 31);
        CHECK_EQ(fib_table_lookup(F.t, x ^ 1)->table, RT_TABLE_MAIN);
        /* removing the longest each time falls back to the next one */
        for (unsigned l = 32; l > 0; l--) {
                CHECK_EQ(del(x & mask_of(l), l, 0, 0, NULL), 0);
                CHECK_EQ(hit(x), 1000 + l - 1);
        }
        CHECK_EQ(del(0, 0, 0, 0, NULL), 0);
        CHECK(fib_table_lookup(F.t, x) == NULL);
        CHECK_EQ(count_routes(), 0);
        teardown();
}

static void longest_prefix_independent_of_insert_order(void)
{
        setup();
        CHECK_EQ(add(ip(10, 1, 2, 3), 32, 0, 5, F.d1), 0);
        CHECK_EQ(add(0, 0, 0, 1, F.d1), 0);
        CHECK_EQ(add(ip(10, 1, 2, 0), 24, 0, 4, F.d1), 0);
        CHECK_EQ(add(ip(10, 0, 0, 0), 8, 0, 2, F.d1), 0);
        CHECK_EQ(add(ip(10, 1, 0, 0), 16, 0, 3, F.d1), 0);
        CHECK_EQ(hit(ip(10, 1, 2, 3)), 5);
        CHECK_EQ(hit(ip(10, 1, 2, 4)), 4);
        CHECK_EQ(hit(ip(10, 1, 3, 4)), 3);
        CHECK_EQ(hit(ip(10, 2, 3, 4)), 2);
        CHECK_EQ(hit(ip(11, 2, 3, 4)), 1);
        CHECK_EQ(hit(ip(10, 1, 2, 255)), 4);
        CHECK_EQ(hit(ip(10, 255, 255, 255)), 2);
        CHECK_EQ(hit(ip(9, 255, 255, 255)), 1);
        CHECK_EQ(hit(0xffffffffu), 1);
        teardown();
}

static void same_prefix_ordered_by_priority(void)
{
        setup();
        const uint32_t p = ip(172, 16, 0, 0);
        CHECK_EQ(add(p, 12, 200, 2, F.d1), 0);
        CHECK_EQ(add(p, 12, 100, 1, F.d2), 0);
        CHECK_EQ(add(p, 12, 300, 3, F.d1), 0);
        CHECK_EQ(add(p, 12, 250, 4, F.d2), 0);
        CHECK_EQ(hit(ip(172, 20, 1, 1)), 1);
        /* the chain is in priority order, lowest first */
        const struct fib_route *r = fib_table_lookup(F.t, ip(172, 20, 1, 1));
        uint32_t want[] = { 100, 200, 250, 300 };
        for (int i = 0; i < 4; i++) {
                CHECK(r);
                CHECK_EQ(r->dst, p);
                CHECK_EQ(r->priority, want[i]);
                r = r->next;
                while (r && r->dst != p)
                        r = r->next;
        }
        CHECK(r == NULL);
        /* deleting the best promotes the next */
        CHECK_EQ(del(p, 12, 100, 0, NULL), 0);
        CHECK_EQ(hit(ip(172, 20, 1, 1)), 2);
        CHECK_EQ(add(p, 12, 50, 9, F.d1), 0);
        CHECK_EQ(hit(ip(172, 20, 1, 1)), 9);
        /* priority 0 is the best of all */
        CHECK_EQ(add(p, 12, 0, 7, F.d2), 0);
        CHECK_EQ(hit(ip(172, 31, 255, 255)), 7);
        CHECK_EQ(count_routes(), 5);
        teardown();
}

static void duplicate_insert_is_eexist(void)
{
        setup();
        const uint32_t p = ip(10, 0, 0, 0);
        CHECK_EQ(add(p, 8, 10, ip(192, 0, 2, 1), F.d1), 0);
        CHECK_EQ(add(p, 8, 10, ip(192, 0, 2, 1), F.d1), -EEXIST);
        /* the host bits do not make it a different prefix */
        CHECK_EQ(add(ip(10, 9, 9, 9), 8, 10, ip(192, 0, 2, 1), F.d1), -EEXIST);
        /* another priority is another route */
        CHECK_EQ(add(p, 8, 20, ip(192, 0, 2, 1), F.d1), 0);
        /* another length too */
        CHECK_EQ(add(p, 9, 10, ip(192, 0, 2, 1), F.d1), 0);
        /* and another tos */
        struct fib_route r = { .dst = p,
                               .plen = 8,
                               .type = RTN_UNICAST,
                               .priority = 10,
                               .tos = 0x10,
                               .gw = ip(192, 0, 2, 1),
                               .dev = F.d1 };
        CHECK_EQ(fib_table_insert(F.t, &r), 0);
        CHECK_EQ(fib_table_insert(F.t, &r), -EEXIST);
        CHECK_EQ(count_routes(), 4);
        r.plen = 33;
        CHECK_EQ(fib_table_insert(F.t, &r), -EINVAL);
        CHECK_EQ(count_routes(), 4);
        teardown();
}

/* "-EEXIST for the same prefix, tos, priority and type" (ipv4.h), as
 * `ip route add` (NLM_F_EXCL) on Linux: the nexthop does not make a second
 * route with the same key. */
static void same_key_through_other_nexthop_is_eexist(void)
{
        setup();
        const uint32_t p = ip(10, 0, 0, 0);
        CHECK_EQ(add(p, 8, 10, ip(192, 0, 2, 1), F.d1), 0);
        CHECK_EQ(add(p, 8, 10, ip(198, 51, 100, 1), F.d2), -EEXIST);
        CHECK_EQ(add(p, 8, 10, ip(192, 0, 2, 2), F.d1), -EEXIST);
        CHECK_EQ(add(p, 8, 10, 0, F.d2), -EEXIST);
        CHECK_EQ(count_routes(), 1);
        teardown();
}

static void delete_missing_is_esrch(void)
{
        setup();
        const uint32_t p = ip(10, 1, 0, 0);
        /* nothing of that length at all */
        CHECK_EQ(del(p, 16, 0, 0, NULL), -ESRCH);
        CHECK_EQ(add(p, 16, 5, ip(192, 0, 2, 1), F.d1), 0);
        CHECK_EQ(add(p, 16, 7, ip(192, 0, 2, 2), F.d2), 0);
        /* same length, other prefix */
        CHECK_EQ(del(ip(10, 2, 0, 0), 16, 0, 0, NULL), -ESRCH);
        /* same prefix, but the given attributes match no route */
        CHECK_EQ(del(p, 16, 6, 0, NULL), -ESRCH);
        CHECK_EQ(del(p, 16, 0, ip(192, 0, 2, 3), NULL), -ESRCH);
        CHECK_EQ(del(p, 16, 5, ip(192, 0, 2, 2), NULL), -ESRCH);
        CHECK_EQ(del(p, 16, 5, 0, F.d2), -ESRCH);
        CHECK_EQ(count_routes(), 2);
        /* by gateway: the second route only */
        CHECK_EQ(del(p, 16, 0, ip(192, 0, 2, 2), NULL), 0);
        CHECK_EQ(count_routes(), 1);
        CHECK_EQ(hit(ip(10, 1, 5, 5)), ip(192, 0, 2, 1));
        /* unqualified: the first (best) route of the prefix */
        CHECK_EQ(add(p, 16, 9, ip(192, 0, 2, 9), F.d2), 0);
        CHECK_EQ(del(p, 16, 0, 0, NULL), 0);
        CHECK_EQ(hit(ip(10, 1, 5, 5)), ip(192, 0, 2, 9));
        CHECK_EQ(del(p, 16, 0, 0, NULL), 0);
        CHECK_EQ(del(p, 16, 0, 0, NULL), -ESRCH);
        CHECK(fib_table_lookup(F.t, ip(10, 1, 5, 5)) == NULL);
        CHECK_EQ(count_routes(), 0);
        /* the emptied length can be used again */
        CHECK_EQ(add(p, 16, 0, ip(192, 0, 2, 4), F.d1), 0);
        CHECK_EQ(hit(ip(10, 1, 5, 5)), ip(192, 0, 2, 4));
        struct fib_route m = { .dst = p, .plen = 40 };
        CHECK_EQ(fib_table_delete(F.t, &m), -EINVAL);
        teardown();
}

static void flush_removes_only_the_devices_routes(void)
{
        setup();
        CHECK_EQ(add(0, 0, 0, 1, F.d2), 0);
        CHECK_EQ(add(ip(10, 0, 0, 0), 8, 0, 2, F.d1), 0);
        CHECK_EQ(add(ip(10, 0, 0, 0), 8, 5, 3, F.d2), 0);
        CHECK_EQ(add(ip(10, 1, 0, 0), 16, 0, 4, F.d1), 0);
        CHECK_EQ(add(ip(10, 1, 1, 1), 32, 0, 5, F.d1), 0);
        CHECK_EQ(add(ip(10, 1, 1, 2), 32, 0, 6, F.d2), 0);
        struct fib_route bh = { .dst = ip(10, 1, 1, 0), .plen = 24, .type = RTN_BLACKHOLE };
        CHECK_EQ(fib_table_insert(F.t, &bh), 0);
        for (uint32_t i = 0; i < 200; i++) /* enough to grow the /32 hash */
                CHECK_EQ(add(ip(10, 200, 0, 0) + i, 32, 0, 100 + i, i % 2 ? F.d1 : F.d2), 0);
        CHECK_EQ(count_routes(), 207);

        fib_table_flush_dev(F.t, F.d1);
        CHECK_EQ(count_routes(), 104);
        CHECK_EQ(hit(ip(10, 1, 1, 1)), 0); /* now the blackhole */
        CHECK_EQ(fib_table_lookup(F.t, ip(10, 1, 1, 1))->type, RTN_BLACKHOLE);
        CHECK_EQ(hit(ip(10, 1, 1, 2)), 6);
        CHECK_EQ(hit(ip(10, 1, 2, 1)), 3);
        CHECK_EQ(hit(ip(10, 9, 9, 9)), 3);
        CHECK_EQ(hit(ip(11, 0, 0, 0)), 1);
        for (uint32_t i = 0; i < 200; i++)
                CHECK_EQ(hit(ip(10, 200, 0, 0) + i), i % 2 ? 3 : 100 + i);
        /* flushing again changes nothing */
        fib_table_flush_dev(F.t, F.d1);
        CHECK_EQ(count_routes(), 104);
        fib_table_flush_dev(F.t, F.d2);
        CHECK_EQ(count_routes(), 1);
        CHECK_EQ(fib_table_lookup(F.t, ip(10, 1, 1, 77))->type, RTN_BLACKHOLE);
        CHECK(fib_table_lookup(F.t, ip(10, 200, 0, 0)) == NULL);
        teardown();
}

static void routes_through_down_device_skipped(void)
{
        setup();
        CHECK_EQ(add(0, 0, 0, 1, F.d2), 0);
        CHECK_EQ(add(ip(10, 0, 0, 0), 8, 0, 2, F.d1), 0);
        CHECK_EQ(add(ip(10, 1, 0, 0), 16, 100, 3, F.d1), 0);
        CHECK_EQ(add(ip(10, 1, 0, 0), 16, 200, 4, F.d2), 0);
        CHECK_EQ(hit(ip(10, 1, 2, 3)), 3);
        CHECK_EQ(dev_close(F.d1), 0);
        /* the next priority of the same prefix, then shorter prefixes */
        CHECK_EQ(hit(ip(10, 1, 2, 3)), 4);
        CHECK_EQ(hit(ip(10, 2, 2, 3)), 1);
        /* local routes stay usable on a down device */
        struct fib_route loc = { .dst = ip(10, 2, 0, 1),
                                 .plen = 32,
                                 .type = RTN_LOCAL,
                                 .scope = RT_SCOPE_HOST,
                                 .dev = F.d1,
                                 .gw = 77 };
        CHECK_EQ(fib_table_insert(F.t, &loc), 0);
        CHECK_EQ(hit(ip(10, 2, 0, 1)), 77);
        CHECK_EQ(dev_close(F.d2), 0);
        CHECK_EQ(hit(ip(10, 1, 2, 3)), 0);
        CHECK(fib_table_lookup(F.t, ip(10, 1, 2, 3)) == NULL);
        CHECK(fib_table_lookup(F.t, ip(8, 8, 8, 8)) == NULL);
        /* and usable again once up */
        CHECK_EQ(dev_open(F.d1), 0);
        CHECK_EQ(hit(ip(10, 1, 2, 3)), 3);
        CHECK_EQ(hit(ip(10, 2, 2, 3)), 2);
        CHECK_EQ(count_routes(), 5);
        teardown();
}

/* Linux (net.ipv4.conf.*.ignore_routes_with_linkdown=0, the default) keeps
 * using routes through a device that is up but has lost its carrier: they
 * are flagged "linkdown", not skipped. */
static void route_through_device_without_carrier_still_matches(void)
{
        setup();
        CHECK_EQ(add(0, 0, 0, 1, F.d2), 0);
        CHECK_EQ(add(ip(10, 0, 0, 0), 8, 0, 2, F.d1), 0);
        netif_carrier_off(F.d1);
        CHECK(netif_running(F.d1));
        CHECK_EQ(hit(ip(10, 1, 2, 3)), 2);
        teardown();
}

/* fib_lookup consults local, then main, then default (Linux's default
 * rules 0, 32766, 32767). */
static void lookup_order_local_main_default(void)
{
        setup();
        static struct ipv4_net in;
        memset(&in, 0, sizeof(in));
        in.net = F.net;
        in.local = fib_table_new(RT_TABLE_LOCAL);
        in.main = F.t;
        in.def = fib_table_new(RT_TABLE_DEFAULT);
        F.net->ipv4 = &in;
        CHECK(in.local && in.def);
        struct fib_route r = { .type = RTN_UNICAST, .dev = F.d1 };
        r.gw = 3;
        CHECK_EQ(fib_table_insert(in.def, &r), 0); /* default: 0/0 */
        CHECK_EQ(fib_lookup(F.net, ip(1, 2, 3, 4))->gw, 3);
        CHECK_EQ(fib_lookup(F.net, ip(1, 2, 3, 4))->table, RT_TABLE_DEFAULT);
        /* main wins over default even with a shorter prefix */
        CHECK_EQ(add(ip(1, 0, 0, 0), 8, 0, 2, F.d1), 0);
        CHECK_EQ(fib_lookup(F.net, ip(1, 2, 3, 4))->gw, 2);
        r.dst = ip(1, 2, 3, 0);
        r.plen = 24;
        CHECK_EQ(fib_table_insert(in.def, &r), 0);
        CHECK_EQ(fib_lookup(F.net, ip(1, 2, 3, 4))->gw, 2);
        /* local wins over both */
        struct fib_route loc = { .dst = ip(1, 0, 0, 0),
                                 .plen = 8,
                                 .type = RTN_LOCAL,
                                 .scope = RT_SCOPE_HOST,
                                 .dev = F.d1,
                                 .gw = 1 };
        CHECK_EQ(fib_table_insert(in.local, &loc), 0);
        CHECK_EQ(fib_lookup(F.net, ip(1, 2, 3, 4))->gw, 1);
        CHECK_EQ(fib_lookup(F.net, ip(1, 2, 3, 4))->table, RT_TABLE_LOCAL);
        CHECK_EQ(fib_lookup(F.net, ip(2, 2, 3, 4))->gw, 3);
        teardown();
}

/* --- random prefixes against a reference ------------------------------------ */

#define NRANDOM 100000

static int ref_cmp(const void *a, const void *b)
{
        const struct ref_route *x = *(struct ref_route *const *)a;
        const struct ref_route *y = *(struct ref_route *const *)b;
        if (x->plen != y->plen)
                return x->plen < y->plen ? -1 : 1;
        return x->dst < y->dst ? -1 : x->dst > y->dst;
}

static void ref_build(void)
{
        size_t n = 0;
        for (size_t i = 0; i < nrefs; i++)
                if (refs[i].live)
                        sorted[n++] = &refs[i];
        qsort(sorted, n, sizeof(*sorted), ref_cmp);
        size_t j = 0;
        for (unsigned l = 0; l <= 33; l++) {
                while (j < n && sorted[j]->plen < l)
                        j++;
                first[l] = j;
        }
}

/* Longest match by binary search in each length, longest first. */
static uint32_t ref_lookup(uint32_t addr)
{
        for (int l = 32; l >= 0; l--) {
                uint32_t key = addr & mask_of((unsigned)l);
                size_t lo = first[l], hi = first[l + 1];
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (sorted[mid]->dst < key)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (lo < first[l + 1] && sorted[lo]->dst == key)
                        return sorted[lo]->id;
        }
        return 0;
}

static unsigned random_plen(struct strata_random *rnd)
{
        /* mostly what real tables hold (/16../28), the rest anywhere */
        uint32_t r = random_below(rnd, 10);
        return r < 7 ? 16 + random_below(rnd, 13) : random_below(rnd, 33);
}

static uint32_t random_query(struct strata_random *rnd)
{
        if (random_below(rnd, 2) || nrefs == 0)
                return random_u32(rnd);
        /* inside a known prefix, with random host bits */
        const struct ref_route *r = &refs[random_below(rnd, (uint32_t)nrefs)];
        return r->dst | (random_u32(rnd) & ~mask_of(r->plen));
}

static bool check_queries(struct strata_random *rnd, int n)
{
        for (int i = 0; i < n; i++) {
                uint32_t q = random_query(rnd);
                uint32_t want = ref_lookup(q), got = hit(q);
                if (want != got) {
                        printf("# query %08x: reference %u, fib %u\n", q, want, got);
                        return false;
                }
        }
        return true;
}

static void random_prefixes_match_reference(void)
{
        setup();
        struct strata_random rnd;
        random_seed(&rnd, 20240601);
        refs = calloc(NRANDOM, sizeof(*refs));
        sorted = calloc(NRANDOM, sizeof(*sorted));
        CHECK(refs && sorted);
        nrefs = 0;
        long dups = 0;
        for (uint32_t i = 0; i < NRANDOM; i++) {
                unsigned plen = random_plen(&rnd);
                uint32_t dst = random_u32(&rnd) & mask_of(plen);
                int err = add(dst, plen, 0, i + 1, NULL);
                if (err == -EEXIST) {
                        dups++;
                        continue;
                }
                CHECK_EQ(err, 0);
                refs[nrefs++] = (struct ref_route){
                        .dst = dst, .plen = (uint8_t)plen, .live = true, .id = i + 1
                };
        }
        /* duplicates were refused: the set of prefixes is what was kept */
        CHECK(dups > 0);
        CHECK_EQ(count_routes(), (long)nrefs);
        ref_build();
        bool ok = check_queries(&rnd, 40000);
        /* stored prefixes find themselves (or a longer one containing them) */
        for (size_t i = 0; ok && i < nrefs; i += 7)
                ok = ref_lookup(refs[i].dst) == hit(refs[i].dst);

        /* delete a third, then check again */
        size_t deleted = 0;
        for (size_t i = 0; ok && i < nrefs; i++) {
                if (random_below(&rnd, 3))
                        continue;
                ok = del(refs[i].dst, refs[i].plen, 0, refs[i].id, NULL) == 0;
                refs[i].live = false;
                deleted++;
        }
        if (ok) {
                ok = count_routes() == (long)(nrefs - deleted);
                ref_build();
        }
        if (ok)
                ok = check_queries(&rnd, 20000);
        CHECK(ok);
        teardown();
}

/* A table large enough for the DIR-24-8 index (fib_lpm.c) answers as the
 * probing one: the longest prefix, a shorter one when every route of the
 * longest is down, after replace, deletes, a device flush, and for
 * prefixes longer than /24 (tbl8 groups) and /0. */
static void large_table_index_agrees(void)
{
        setup();
        for (unsigned i = 0; i < 70000; i++) /* past FIB_LPM_MIN */
                CHECK_EQ(add(ip(20, 0, 0, 0) + (i << 8), 24, 0, 1000 + i, F.d1), 0);
        CHECK_EQ(add(ip(20, 0, 0, 0), 16, 0, 7, F.d2), 0);
        CHECK_EQ(add(ip(20, 0, 5, 128), 25, 0, 8, F.d2), 0);
        CHECK_EQ(add(ip(20, 0, 5, 200), 30, 5, 9, F.d2), 0);
        CHECK_EQ(add(0, 0, 0, 10, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 1)), 1005);
        CHECK_EQ(hit(ip(20, 0, 5, 130)), 8);
        CHECK_EQ(hit(ip(20, 0, 5, 201)), 9);
        CHECK_EQ(hit(ip(20, 0, 5, 204)), 8);
        CHECK_EQ(add(ip(22, 0, 0, 0), 16, 0, 12, F.d2), 0);
        CHECK_EQ(hit(ip(22, 0, 9, 9)), 12); /* a /16 with no /24 inside */
        CHECK_EQ(hit(ip(99, 0, 0, 1)), 10); /* the default */
        /* a second route of the /30 with a better metric leads its chain */
        CHECK_EQ(add(ip(20, 0, 5, 200), 30, 1, 11, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 201)), 11);
        CHECK_EQ(del(ip(20, 0, 5, 200), 30, 1, 11, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 201)), 9);
        /* the /24s' device down: the /16 (or /25) answers */
        CHECK_EQ(dev_close(F.d1), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 1)), 7);
        CHECK_EQ(dev_open(F.d1), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 1)), 1005);
        /* replace in place */
        struct fib_route r = {
                .dst = ip(20, 0, 5, 0), .plen = 24, .type = RTN_UNICAST, .gw = 4242, .dev = F.d2
        };
        CHECK_EQ(fib_table_replace(F.t, &r, false), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 1)), 4242);
        /* deletes fall back to the next shorter prefix */
        CHECK_EQ(del(ip(20, 0, 5, 200), 30, 5, 9, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 201)), 8);
        CHECK_EQ(del(ip(20, 0, 5, 128), 25, 0, 8, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 5, 201)), 4242);
        fib_table_flush_dev(F.t, F.d1);
        CHECK_EQ(hit(ip(20, 0, 6, 1)), 7);
        CHECK_EQ(hit(ip(20, 0, 5, 1)), 4242);
        CHECK_EQ(del(ip(20, 0, 0, 0), 16, 0, 7, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 6, 1)), 10);
        CHECK_EQ(del(0, 0, 0, 10, F.d2), 0);
        CHECK_EQ(hit(ip(20, 0, 6, 1)), 0);
        teardown();
}

TEST_MAIN(T(empty_table_matches_nothing), T(large_table_index_agrees),
          T(longest_prefix_wins_across_all_lengths), T(longest_prefix_independent_of_insert_order),
          T(same_prefix_ordered_by_priority), T(duplicate_insert_is_eexist),
          T(same_key_through_other_nexthop_is_eexist), T(delete_missing_is_esrch),
          T(flush_removes_only_the_devices_routes), T(routes_through_down_device_skipped),
          T(route_through_device_without_carrier_still_matches), T(lookup_order_local_main_default),
          T(random_prefixes_match_reference))
