/*
 * Next-hop exceptions (Linux's struct fib_nh_exception in route.c): what a
 * route has learned about one destination behind it.  A smaller path MTU,
 * taught by an ICMP "fragmentation needed" quoting a packet we sent
 * (__ip_rt_update_pmtu): it lasts net.ipv4.route.mtu_expires (600 s) and an
 * MTU below net.ipv4.route.min_pmtu (552) is raised to it and locked, as
 * Linux does, so later messages cannot lower it further.  And a better
 * gateway, taught by an ICMP redirect from the current one
 * (__ip_do_redirect) under the accept_redirects, shared_media and
 * secure_redirects rules, for 300 s (ip_rt_gc_timeout).  One exception
 * holds both; each update sets its one expiry, as update_or_create_fnhe.
 *
 * Exceptions hang off the route they were learned through, in a small hash
 * by destination made on first use, so they die with the route and cost
 * nothing to routes that never learn one.  As Linux's FNHE_RECLAIM_DEPTH, a
 * chain holds at most five: the least recently updated gives way, which
 * bounds what a flood of ICMP messages about random destinations can
 * take.  An expired exception is removed when a lookup meets it.
 *
 * `ip route flush cache` (net.ipv4.route.flush) forgets them all; adding
 * or deleting other routes does not, as in Linux.  Like Linux the flush
 * bumps a generation instead of freeing: an exception of an older
 * generation is not listed, and the next lookup that meets it empties it
 * (rt_bind_exception), after which `ip route show cache` lists it bare
 * ("cache") until it is reused -- what the kernel shows.  Only exceptions
 * a lookup has used are listed, as the kernel lists only those with a
 * cached route.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/sysctl.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"

#define FNHE_HASH_SIZE     256
#define FNHE_RECLAIM_DEPTH 5
#define IPV4_MIN_MTU       68
#define REDIRECT_LIFE_NS   (300 * NSEC_PER_SEC) /* ip_rt_gc_timeout */

struct fnhe {
        struct fnhe *next;
        uint32_t daddr;
        uint32_t gw;      /* a redirect's gateway (0: none) */
        uint32_t pmtu;    /* learned path MTU (0: none) */
        bool mtu_locked;  /* raised to min_pmtu: not lowered again */
        bool bound;       /* a lookup used it (Linux: it has a cached route) */
        uint32_t genid;   /* ipv4_net.fnhe_genid when last set or used */
        uint64_t expires; /* ns on the namespace clock (0: never) */
        uint64_t stamp;   /* last update: the oldest of a full chain goes */
};

struct fnhe_hash {
        struct fnhe *b[FNHE_HASH_SIZE];
};

static unsigned fnhe_bucket(uint32_t daddr)
{
        return (daddr * 2654435761u) >> 24;
}

void fnhe_free_all(struct fnhe_hash *h)
{
        if (!h)
                return;
        for (unsigned i = 0; i < FNHE_HASH_SIZE; i++) {
                struct fnhe *e = h->b[i], *n;
                for (; e; e = n) {
                        n = e->next;
                        free(e);
                }
        }
        free(h);
}

/* The live exception for daddr on next hop nhsel of route r, removing it
 * if it expired. */
static struct fnhe *fnhe_find(struct net *net, const struct fib_route *r, int nhsel, uint32_t daddr)
{
        struct fnhe_hash *h = *fib_exc_slot(r, nhsel);
        if (!h)
                return NULL;
        for (struct fnhe **pp = &h->b[fnhe_bucket(daddr)]; *pp; pp = &(*pp)->next) {
                struct fnhe *e = *pp;
                if (e->daddr != daddr)
                        continue;
                if (e->expires && net_now(net) >= e->expires) {
                        *pp = e->next;
                        free(e);
                        return NULL;
                }
                if (e->genid != ipv4_of(net)->fnhe_genid) {
                        /* flushed since: emptied when next used */
                        e->genid = ipv4_of(net)->fnhe_genid;
                        e->gw = e->pmtu = 0;
                        e->mtu_locked = false;
                        e->expires = 0;
                }
                e->bound = true;
                return e;
        }
        return NULL;
}

void fnhe_apply(struct net *net, struct rt_result *res, uint32_t daddr, bool forwarding)
{
        if (!res->route || !*fib_exc_slot(res->route, res->nhsel))
                return;
        struct fnhe *e = fnhe_find(net, res->route, res->nhsel, daddr);
        if (!e)
                return;
        /* ip_dst_mtu_maybe_forward: forwarded packets follow the device
         * MTU unless the learned one is locked */
        if (e->pmtu && (!forwarding || e->mtu_locked)) {
                res->mtu = e->pmtu < res->dev->mtu ? e->pmtu : res->dev->mtu;
                res->mtu_locked = e->mtu_locked;
        }
        if (e->gw) { /* rt_bind_exception: RTCF_REDIRECTED, via the new gateway */
                res->nexthop = e->gw;
                res->redirected = true;
        }
        res->expires = e->expires;
}

/* update_or_create_fnhe: record pmtu for daddr on next hop nhsel of r. */
static int fnhe_update(struct net *net, const struct fib_route *r, int nhsel, uint32_t daddr,
                       uint32_t gw, unsigned pmtu, bool lock, uint64_t expires)
{
        struct fnhe_hash **slot = fib_exc_slot(r, nhsel);
        rt_genid_bump(&ipv4_of(net)->rt_genid); /* cached routes look again */
        if (!*slot) {
                *slot = calloc(1, sizeof(**slot));
                if (!*slot)
                        return -ENOMEM;
        }
        struct fnhe **head = &(*slot)->b[fnhe_bucket(daddr)];
        struct fnhe *e = NULL, *oldest = NULL;
        unsigned depth = 0;
        for (struct fnhe *c = *head; c; c = c->next, depth++) {
                if (c->daddr == daddr) {
                        e = c;
                        break;
                }
                if (!oldest || c->stamp < oldest->stamp)
                        oldest = c;
        }
        if (!e && depth >= FNHE_RECLAIM_DEPTH) {
                e = oldest; /* fnhe_oldest: reused for the new destination */
                e->daddr = daddr;
                e->gw = e->pmtu = 0;
                e->mtu_locked = false;
                e->bound = false;
        } else if (!e) {
                e = calloc(1, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                e->daddr = daddr;
                e->next = *head;
                *head = e;
        }
        e->genid = ipv4_of(net)->fnhe_genid;
        if (gw)
                e->gw = gw;
        if (pmtu) {
                e->pmtu = pmtu;
                e->mtu_locked = lock;
        }
        e->expires = expires;
        e->stamp = net_now(net);
        return 0;
}

int ip_rt_update_pmtu(struct net *net, uint32_t daddr, uint32_t saddr, int oif, uint32_t mark,
                      uint8_t tos, unsigned mtu)
{
        struct ipv4_net *in = ipv4_of(net);
        struct rt_result res;
        /* the flow of the packet the message quotes: a source that is not
         * ours has no output route, and teaches nothing (as Linux) */
        int err = ip_route_output_mark(net, daddr, saddr, oif, mark, tos, &res);
        if (err)
                return err;
        if (res.type != RTN_UNICAST || !res.route)
                return -EINVAL; /* local and broadcast routes learn nothing */
        unsigned old = rt_mtu(&res);
        if (res.mtu_locked || old < mtu)
                return 0; /* only ever lowered; a locked MTU stays */
        bool lock = false;
        if (mtu < (unsigned)in->route_min_pmtu) {
                lock = true;
                mtu = old < (unsigned)in->route_min_pmtu ? old : (unsigned)in->route_min_pmtu;
        }
        uint64_t life = (uint64_t)in->route_mtu_expires * NSEC_PER_MSEC;
        uint64_t now = net_now(net);
        /* the same MTU again, early in its life: nothing to refresh */
        if (res.mtu == mtu && !lock && res.expires && now < res.expires - life / 2)
                return 0;
        return fnhe_update(net, res.route, res.nhsel, daddr, 0, mtu, lock, life ? now + life : 0);
}

int ipv4_update_pmtu(struct net *net, const uint8_t *inner, size_t len, uint32_t mtu)
{
        if (len < IPV4_HLEN_MIN)
                return -EINVAL;
        uint32_t saddr = get_be32(inner + 12), daddr = get_be32(inner + 16);
        return ip_rt_update_pmtu(net, daddr, saddr, 0, 0, IP_RT_TOS(inner[1]), mtu);
}

/* --- redirects --------------------------------------------------------------- */

/* inet_addr_onlink: both addresses in a subnet of one of dev's. */
static bool addr_onlink(const struct in_device *idev, uint32_t a, uint32_t b)
{
        for (const struct in_ifaddr *ifa = idev->ifa_list; ifa; ifa = ifa->next)
                if (((a ^ ifa->address) & ifa->mask) == 0 && ((b ^ ifa->address) & ifa->mask) == 0)
                        return true;
        return false;
}

/* ip_fib_check_default: is gw the gateway of some route through dev? */
struct gw_search {
        uint32_t gw;
        const struct net_device *dev;
        bool found;
};

static void gw_route(const struct fib_route *r, void *ctx)
{
        struct gw_search *s = ctx;
        if (r->nhs) {
                for (int i = 0; i < r->nhs; i++)
                        if (r->nh[i].gw == s->gw && r->nh[i].dev == s->dev)
                                s->found = true;
        } else if (r->gw == s->gw && r->dev == s->dev) {
                s->found = true;
        }
}

static void gw_table(struct fib_table *t, uint32_t id, void *ctx)
{
        (void)id;
        fib_table_for_each(t, gw_route, ctx);
}

static bool gw_of_a_route(struct net *net, uint32_t gw, const struct net_device *dev)
{
        struct gw_search s = { gw, dev, false };
        fib_for_each_table(net, gw_table, &s);
        return s.found;
}

/* inet_addr_type, as far as the local table says: local and broadcast
 * addresses are not gateways. */
static bool addr_is_unicast(struct net *net, uint32_t a)
{
        const struct fib_route *r = fib_table_lookup(ipv4_of(net)->local, a);
        return !r || r->type == RTN_UNICAST;
}

int ipv4_redirect(struct net *net, struct sk_buff *skb, const uint8_t *inner, size_t len,
                  uint8_t code, uint32_t new_gw)
{
        if ((code & 7) > 3 || len < IPV4_HLEN_MIN)
                return -EINVAL; /* net, host and their TOS variants only */
        uint32_t old_gw = IPCB(skb)->iph.saddr;
        struct net_device *dev = skb->dev;
        const struct in_device *idev = in_dev_get(dev);
        struct flowi4 fl = { .daddr = get_be32(inner + 16),
                             .saddr = get_be32(inner + 12),
                             .tos = IP_RT_TOS(inner[1]),
                             .proto = inner[9] };
        struct rt_result rt;
        int err = ip_route_output_flow(net, &fl, &rt); /* not our source: fails */
        if (err || rt.type != RTN_UNICAST || !rt.route)
                return -EINVAL;
        /* only the gateway we use for that destination may redirect us */
        if (rt.nexthop == fl.daddr || rt.nexthop != old_gw)
                return -EPERM;
        if (!idev)
                return -EINVAL;
        if (new_gw == old_gw || !in_dev_rx_redirects(idev) || ipv4_is_multicast(new_gw) ||
            ipv4_is_lbcast(new_gw) || ipv4_is_zeronet(new_gw))
                return -EPERM;
        if (!in_dev_shared_media(idev)) {
                if (!addr_onlink(idev, new_gw, old_gw))
                        return -EPERM;
                if (in_dev_sec_redirects(idev) && !gw_of_a_route(net, new_gw, dev))
                        return -EPERM;
        } else if (!addr_is_unicast(net, new_gw)) {
                return -EPERM;
        }
        struct neighbour *n = arp_neigh(rt.dev, new_gw);
        if (!n)
                return -ENOMEM;
        if (!(n->nud_state & NUD_VALID)) {
                neigh_start_resolve(n); /* the next redirect may find it */
                return -EAGAIN;
        }
        return fnhe_update(net, rt.route, rt.nhsel, fl.daddr, new_gw, 0, false,
                           net_now(net) + REDIRECT_LIFE_NS);
}

/* --- flush and dump -------------------------------------------------------- */

void rt_cache_flush(struct net *net)
{
        ipv4_of(net)->fnhe_genid++; /* rt_genid_bump_ipv4 */
        rt_genid_bump(&ipv4_of(net)->rt_genid);
}

struct exc_walk {
        struct net *net;
        void (*fn)(const struct fib_route *r, const struct rt_exception *x, void *c);
        void *ctx;
};

static void walk_route(const struct fib_route *r, void *ctx)
{
        struct exc_walk *w = ctx;
        for (int nh = 0; nh < (r->nhs ? r->nhs : 1); nh++) {
                struct fnhe_hash *h = *fib_exc_slot(r, nh);
                if (!h)
                        continue;
                for (unsigned i = 0; i < FNHE_HASH_SIZE; i++)
                        for (struct fnhe *e = h->b[i]; e; e = e->next) {
                                if (e->expires && net_now(w->net) >= e->expires)
                                        continue; /* fnhe_dump_bucket skips the expired */
                                if (e->genid != ipv4_of(w->net)->fnhe_genid)
                                        continue; /* and those of before a flush */
                                struct rt_exception x = { .daddr = e->daddr,
                                                          .gw = e->gw,
                                                          .nhsel = nh,
                                                          .pmtu = e->pmtu,
                                                          .mtu_locked = e->mtu_locked,
                                                          .bound = e->bound,
                                                          .expires = e->expires };
                                w->fn(r, &x, w->ctx);
                        }
        }
}

void fnhe_for_each(struct net *net, struct fib_table *t,
                   void (*fn)(const struct fib_route *r, const struct rt_exception *x, void *c),
                   void *ctx)
{
        struct exc_walk w = { net, fn, ctx };
        fib_table_for_each(t, walk_route, &w);
}

/* net.ipv4.route.flush: any write forgets every exception (the value is
 * not kept; Linux's entry cannot even be read). */
static void route_flush_written(struct net *net, const struct sysctl_entry *e)
{
        (void)e;
        rt_cache_flush(net);
}

int route_exc_sysctls(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        in->route_mtu_expires = 600 * 1000;
        in->route_min_pmtu = 552;
        int err = sysctl_register(net, "net.ipv4.route.mtu_expires", &in->route_mtu_expires, 1, 0,
                                  1 << 20, SYSCTL_UNIT_SEC, NULL);
        if (!err)
                err = sysctl_register(net, "net.ipv4.route.min_pmtu", &in->route_min_pmtu, 1,
                                      IPV4_MIN_MTU, 65535, SYSCTL_UNIT_1, NULL);
        if (!err)
                err = sysctl_register(net, "net.ipv4.route.flush", &in->route_flush, 1, -(1 << 30),
                                      1 << 30, SYSCTL_UNIT_1, NULL);
        if (!err)
                err = sysctl_set_hook(net, "net.ipv4.route.flush", route_flush_written, NULL);
        if (!err) /* a u8 in Linux: any value, those above 3 read as 1 */
                err = sysctl_register(net, "net.ipv4.ip_no_pmtu_disc", &in->ip_no_pmtu_disc, 1, 0,
                                      255, SYSCTL_UNIT_1, NULL);
        return err;
}
