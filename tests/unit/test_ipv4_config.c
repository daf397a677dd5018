/*
 * IPv4 configuration through the public API (src/api/config.c over
 * src/ipv4/devinet.c, fib.c and route.c): primary and secondary addresses,
 * the routes they install, `ip route add` checks, source address selection,
 * output route decisions, and sysctls with Linux's names, units and
 * defaults, including the per-device neighbour sysctls that come and go
 * with their device.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/api.h"
#include "ipv4/ipv4.h"
#include "../test.h"

/* One namespace "a" with veth0 and veth1 (peers: veth0b, veth1b in "b"),
 * all up, on a simulated clock. */
struct fixture {
        struct strata_clock *clk;
        struct strata_net *a, *b;
        struct net *net; /* a's core namespace */
        struct net_device *v0, *v1;
};

static struct fixture F;

static void release(void)
{
        if (F.a)
                strata_net_free(F.a);
        if (F.b)
                strata_net_free(F.b);
        if (F.clk)
                strata_clock_free(F.clk);
        memset(&F, 0, sizeof(F));
}

static void setup(void)
{
        static bool registered;
        if (!registered)
                atexit(release); /* what a failed case leaves behind */
        registered = true;
        release();
        F.clk = strata_clock_new(true);
        CHECK(F.clk);
        CHECK_EQ(strata_net_new("a", F.clk, 5, &F.a), 0);
        CHECK_EQ(strata_net_new("b", F.clk, 6, &F.b), 0);
        CHECK_EQ(strata_veth_add(F.a, "veth0", F.b, "veth0b"), 0);
        CHECK_EQ(strata_veth_add(F.a, "veth1", F.b, "veth1b"), 0);
        F.net = F.a->net;
        F.v0 = dev_get_by_name(F.net, "veth0");
        F.v1 = dev_get_by_name(F.net, "veth1");
        CHECK(F.v0 && F.v1);
        CHECK_EQ(strata_link_set_up(F.a, "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(F.a, "veth1", true), 0);
        CHECK_EQ(strata_link_set_up(F.b, "veth0b", true), 0);
        CHECK_EQ(strata_link_set_up(F.b, "veth1b", true), 0);
}

/* Deliver what configuration sent (gratuitous ARP), then the leak check. */
static void teardown(void)
{
        struct strata_net *nets[2] = { F.a, F.b };
        CHECK_EQ(strata_sim_run(nets, 2, strata_clock_now(F.clk) + NSEC_PER_SEC), 0);
        CHECK_EQ(skb_pool_outstanding(F.a->net->pool), 0);
        CHECK_EQ(skb_pool_outstanding(F.b->net->pool), 0);
        release();
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
        return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static const struct in_ifaddr *find_ifa(const struct net_device *dev, uint32_t local, uint8_t plen)
{
        for (const struct in_ifaddr *i = in_dev_get(dev)->ifa_list; i; i = i->next)
                if (i->local == local && i->prefixlen == plen)
                        return i;
        return NULL;
}

static int n_ifa(const struct net_device *dev)
{
        int n = 0;
        for (const struct in_ifaddr *i = in_dev_get(dev)->ifa_list; i; i = i->next)
                n++;
        return n;
}

/* The route of table t for exactly dst/plen (first of its chain), or NULL. */
struct route_find {
        uint32_t dst;
        uint8_t plen;
        const struct fib_route *found;
        int count;
};

static void find_fn(const struct fib_route *r, void *ctx)
{
        struct route_find *f = ctx;
        if (r->dst == f->dst && r->plen == f->plen) {
                if (!f->found)
                        f->found = r;
                f->count++;
        }
}

static const struct fib_route *route(const struct fib_table *t, uint32_t dst, uint8_t plen)
{
        struct route_find f = { .dst = dst, .plen = plen };
        fib_table_for_each(t, find_fn, &f);
        return f.found;
}

static int routes_for(const struct fib_table *t, uint32_t dst, uint8_t plen)
{
        struct route_find f = { .dst = dst, .plen = plen };
        fib_table_for_each(t, find_fn, &f);
        return f.count;
}

static struct ipv4_net *in4(void)
{
        return ipv4_of(F.net);
}

static char sbuf[64];

static const char *get(const char *name)
{
        int err = strata_sysctl_get(F.a, name, sbuf, sizeof(sbuf));
        if (err)
                TEST_FAIL("sysctl_get(%s) = %d", name, err);
        return sbuf;
}

/* --- addresses ------------------------------------------------------------- */

static void same_subnet_address_becomes_secondary(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.1.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.3/16"), 0); /* other mask */
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.1.2/24"), 0);
        CHECK_EQ(n_ifa(F.v0), 5);
        const struct in_ifaddr *p1 = find_ifa(F.v0, ip(10, 0, 0, 1), 24);
        const struct in_ifaddr *s1 = find_ifa(F.v0, ip(10, 0, 0, 2), 24);
        const struct in_ifaddr *p2 = find_ifa(F.v0, ip(10, 0, 1, 1), 24);
        const struct in_ifaddr *p3 = find_ifa(F.v0, ip(10, 0, 0, 3), 16);
        const struct in_ifaddr *s2 = find_ifa(F.v0, ip(10, 0, 1, 2), 24);
        CHECK(p1 && s1 && p2 && p3 && s2);
        CHECK_EQ(p1->flags & IFA_F_SECONDARY, 0);
        CHECK_EQ(p2->flags & IFA_F_SECONDARY, 0);
        CHECK_EQ(p3->flags & IFA_F_SECONDARY, 0);
        CHECK_EQ(s1->flags & IFA_F_SECONDARY, IFA_F_SECONDARY);
        CHECK_EQ(s2->flags & IFA_F_SECONDARY, IFA_F_SECONDARY);
        CHECK_EQ(p1->mask, 0xffffff00u);
        CHECK_EQ(p3->mask, 0xffff0000u);
        CHECK_STR(p1->label, "veth0");
        /* `ip addr` order: primaries, then secondaries, each as added */
        const struct in_ifaddr *i = in_dev_get(F.v0)->ifa_list;
        CHECK(i == p1);
        CHECK(i->next == p2);
        CHECK(i->next->next == p3);
        CHECK(i->next->next->next == s1);
        CHECK(i->next->next->next->next == s2);
        /* the same subnet on another device is a primary there */
        CHECK_EQ(strata_addr_add(F.a, "veth1", "10.0.0.9/24"), 0);
        CHECK_EQ(find_ifa(F.v1, ip(10, 0, 0, 9), 24)->flags & IFA_F_SECONDARY, 0);
        teardown();
}

static void deleting_primary_deletes_its_secondaries(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.3/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.1.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.1.2/24"), 0);
        CHECK_EQ(n_ifa(F.v0), 5);
        /* a secondary goes alone */
        CHECK_EQ(strata_addr_del(F.a, "veth0", "10.0.0.3/24"), 0);
        CHECK_EQ(n_ifa(F.v0), 4);
        CHECK(route(in4()->local, ip(10, 0, 0, 3), 32) == NULL);
        CHECK(route(in4()->main, ip(10, 0, 0, 0), 24) != NULL);
        /* promote_secondaries=0: the primary takes its subnet's secondaries */
        CHECK_EQ(strata_addr_del(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(n_ifa(F.v0), 2);
        CHECK(find_ifa(F.v0, ip(10, 0, 0, 2), 24) == NULL);
        CHECK(find_ifa(F.v0, ip(10, 0, 1, 1), 24) != NULL);
        CHECK(find_ifa(F.v0, ip(10, 0, 1, 2), 24) != NULL);
        CHECK(route(in4()->local, ip(10, 0, 0, 1), 32) == NULL);
        CHECK(route(in4()->local, ip(10, 0, 0, 2), 32) == NULL);
        CHECK(route(in4()->main, ip(10, 0, 0, 0), 24) == NULL);
        CHECK(route(in4()->local, ip(10, 0, 1, 2), 32) != NULL);
        CHECK(route(in4()->main, ip(10, 0, 1, 0), 24) != NULL);
        CHECK(inet_addr_local(F.net, ip(10, 0, 0, 2)) == NULL);
        CHECK(inet_addr_local(F.net, ip(10, 0, 1, 2)) == F.v0);
        /* gone is gone */
        CHECK_EQ(strata_addr_del(F.a, "veth0", "10.0.0.2/24"), -EADDRNOTAVAIL);
        CHECK_EQ(strata_addr_del(F.a, "veth0", "10.0.1.1/16"), -EADDRNOTAVAIL);
        teardown();
}

static void duplicate_address_is_eexist(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), -EEXIST);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), -EEXIST);
        CHECK_EQ(n_ifa(F.v0), 2);
        teardown();
}

static void bad_cidrs_are_einval(void)
{
        setup();
        static const char *bad[] = {
                "10.0.0.1/33",   "10.0.0.256/24", "10.0.0.1/",
                "10.0.0.1/x",    "10.0.0/24",     "",
                "10.0.0.1/24/8", "10.0.0.1/-1",   "a.b.c.d/8",
                "10.0.0.1 /24",  "10.0.0.1/24 ",  "10.0.0.1.5/24",
                "/24",           "10..0.1/24",    "1234567890123456789012345678901234/8",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int err = strata_addr_add(F.a, "veth0", bad[i]);
                if (err != -EINVAL)
                        TEST_FAIL("strata_addr_add(\"%s\") = %d, want -EINVAL", bad[i], err);
                err = strata_addr_del(F.a, "veth0", bad[i]);
                if (err != -EINVAL)
                        TEST_FAIL("strata_addr_del(\"%s\") = %d, want -EINVAL", bad[i], err);
        }
        CHECK_EQ(n_ifa(F.v0), 0);
        /* no prefix length means /32 */
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1"), 0);
        CHECK(find_ifa(F.v0, ip(10, 0, 0, 1), 32) != NULL);
        teardown();
}

static void unknown_device_is_enodev(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "nope0", "10.0.0.1/24"), -ENODEV);
        CHECK_EQ(strata_addr_del(F.a, "nope0", "10.0.0.1/24"), -ENODEV);
        CHECK_EQ(strata_route_add(F.a, "10.9.0.0/16", NULL, "nope0"), -ENODEV);
        CHECK_EQ(strata_link_set_up(F.a, "nope0", true), -ENODEV);
        CHECK_EQ(strata_link_del(F.a, "nope0"), -ENODEV);
        /* the device of the other namespace is not ours */
        CHECK_EQ(strata_addr_add(F.a, "veth0b", "10.0.0.1/24"), -ENODEV);
        teardown();
}

/* --- the routes addresses install ------------------------------------------ */

static void address_installs_local_and_prefix_routes(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        const struct fib_route *l = route(in4()->local, ip(10, 0, 0, 1), 32);
        CHECK(l);
        CHECK_EQ(l->type, RTN_LOCAL);
        CHECK_EQ(l->scope, RT_SCOPE_HOST);
        CHECK_EQ(l->protocol, RTPROT_KERNEL);
        CHECK_EQ(l->prefsrc, ip(10, 0, 0, 1));
        CHECK(l->dev == F.v0);
        CHECK_EQ(l->table, RT_TABLE_LOCAL);
        CHECK_EQ(l->gw, 0);
        const struct fib_route *p = route(in4()->main, ip(10, 0, 0, 0), 24);
        CHECK(p);
        CHECK_EQ(p->type, RTN_UNICAST);
        CHECK_EQ(p->scope, RT_SCOPE_LINK);
        CHECK_EQ(p->protocol, RTPROT_KERNEL);
        CHECK_EQ(p->prefsrc, ip(10, 0, 0, 1));
        CHECK(p->dev == F.v0);
        CHECK_EQ(p->table, RT_TABLE_MAIN);
        CHECK_EQ(p->gw, 0);
        /* nothing in main for the address itself, nothing in local for the
         * prefix, nothing in table default */
        CHECK(route(in4()->main, ip(10, 0, 0, 1), 32) == NULL);
        CHECK(route(in4()->local, ip(10, 0, 0, 0), 24) == NULL);
        CHECK(fib_table_lookup(in4()->def, ip(10, 0, 0, 1)) == NULL);
        CHECK(inet_addr_local(F.net, ip(10, 0, 0, 1)) == F.v0);
        /* a /32 has no prefix route */
        CHECK_EQ(strata_addr_add(F.a, "veth1", "192.168.9.9/32"), 0);
        CHECK(route(in4()->local, ip(192, 168, 9, 9), 32) != NULL);
        CHECK(route(in4()->main, ip(192, 168, 9, 9), 32) == NULL);
        teardown();
}

/* lo's 127.0.0.1/8 makes all of 127/8 local.  Linux's fib_magic puts every
 * route that is not unicast in table local: "local 127.0.0.0/8 dev lo" is
 * in table local, and table main holds nothing for lo. */
static void loopback_prefix_route_is_in_table_local(void)
{
        setup();
        CHECK_EQ(fib_lookup(F.net, ip(127, 0, 0, 1))->type, RTN_LOCAL);
        CHECK_EQ(fib_lookup(F.net, ip(127, 9, 9, 9))->type, RTN_LOCAL);
        CHECK(route(in4()->local, ip(127, 0, 0, 1), 32) != NULL);
        CHECK(route(in4()->main, ip(127, 0, 0, 0), 8) == NULL);
        const struct fib_route *r = route(in4()->local, ip(127, 0, 0, 0), 8);
        CHECK(r);
        CHECK_EQ(r->type, RTN_LOCAL);
        CHECK_EQ(r->scope, RT_SCOPE_HOST);
        CHECK_EQ(r->prefsrc, ip(127, 0, 0, 1));
        CHECK(r->dev == F.net->loopback_dev);
        teardown();
}

static void secondary_gets_local_route_but_no_prefix_route(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), 0);
        const struct fib_route *l = route(in4()->local, ip(10, 0, 0, 2), 32);
        CHECK(l);
        CHECK_EQ(l->type, RTN_LOCAL);
        CHECK(l->dev == F.v0);
        CHECK_EQ(routes_for(in4()->main, ip(10, 0, 0, 0), 24), 1);
        CHECK_EQ(route(in4()->main, ip(10, 0, 0, 0), 24)->prefsrc, ip(10, 0, 0, 1));
        teardown();
}

/* Linux's fib_add_ifaddr installs a secondary's local route with the
 * subnet's primary as preferred source ("local 10.0.0.2 ... src
 * 10.0.0.1"), so traffic to it from this host leaves from the primary. */
static void secondary_local_route_prefers_primary_source(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(route(in4()->local, ip(10, 0, 0, 2), 32)->prefsrc, ip(10, 0, 0, 1));
        struct rt_result res;
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 0, 2), 0, 0, &res), 0);
        CHECK_EQ(res.saddr, ip(10, 0, 0, 1));
        teardown();
}

/* Linux installs the connected route of each device (fib_magic appends):
 * the same subnet on two devices gives two routes, and the second is used
 * when the first device goes down. */
static void same_subnet_on_two_devices_gets_two_prefix_routes(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth1", "10.0.0.2/24"), 0);
        CHECK_EQ(routes_for(in4()->main, ip(10, 0, 0, 0), 24), 2);
        CHECK_EQ(strata_link_set_up(F.a, "veth0", false), 0);
        struct rt_result res;
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 0, 7), 0, 0, &res), 0);
        CHECK(res.dev == F.v1);
        CHECK_EQ(res.saddr, ip(10, 0, 0, 2));
        teardown();
}

static void device_removal_takes_its_addresses_and_routes(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth1", "10.1.0.1/24"), 0);
        CHECK_EQ(strata_route_add(F.a, "10.9.0.0/16", "10.1.0.254", NULL), 0);
        CHECK_EQ(strata_link_del(F.a, "veth1"), 0);
        CHECK(dev_get_by_name(F.net, "veth1") == NULL);
        CHECK(route(in4()->local, ip(10, 1, 0, 1), 32) == NULL);
        CHECK(route(in4()->main, ip(10, 1, 0, 0), 24) == NULL);
        CHECK(route(in4()->main, ip(10, 9, 0, 0), 16) == NULL);
        CHECK(inet_addr_local(F.net, ip(10, 1, 0, 1)) == NULL);
        CHECK_EQ(strata_link_del(F.a, "lo"), -EOPNOTSUPP);
        teardown();
}

/* --- ip route add ------------------------------------------------------------ */

static void default_route_via_connected_gateway(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_route_add(F.a, "default", "10.0.0.254", NULL), 0);
        const struct fib_route *d = route(in4()->main, 0, 0);
        CHECK(d);
        CHECK_EQ(d->type, RTN_UNICAST);
        CHECK_EQ(d->gw, ip(10, 0, 0, 254));
        CHECK(d->dev == F.v0);
        CHECK_EQ(d->scope, RT_SCOPE_UNIVERSE);
        CHECK_EQ(d->protocol, RTPROT_BOOT);
        CHECK_EQ(d->table, RT_TABLE_MAIN);
        CHECK_EQ(d->priority, 0);
        CHECK_EQ(strata_route_add(F.a, "default", "10.0.0.254", NULL), -EEXIST);
        /* naming the device the gateway is on is fine too */
        CHECK_EQ(strata_route_add(F.a, "10.8.0.0/16", "10.0.0.253", "veth0"), 0);
        CHECK_EQ(route(in4()->main, ip(10, 8, 0, 0), 16)->gw, ip(10, 0, 0, 253));
        struct rt_result res;
        CHECK_EQ(ip_route_output(F.net, ip(8, 8, 8, 8), 0, 0, &res), 0);
        CHECK_EQ(res.type, RTN_UNICAST);
        CHECK(res.dev == F.v0);
        CHECK_EQ(res.nexthop, ip(10, 0, 0, 254));
        CHECK_EQ(res.saddr, ip(10, 0, 0, 1));
        CHECK(res.route == d);
        CHECK_EQ(ip_route_output(F.net, ip(10, 8, 1, 1), 0, 0, &res), 0);
        CHECK_EQ(res.nexthop, ip(10, 0, 0, 253));
        teardown();
}

static void gateway_not_on_link_is_enetunreach(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_route_add(F.a, "default", "192.168.5.1", NULL), -ENETUNREACH);
        CHECK(route(in4()->main, 0, 0) == NULL);
        /* reachable only through another gateway: not directly connected */
        CHECK_EQ(strata_route_add(F.a, "default", "10.0.0.254", NULL), 0);
        CHECK_EQ(strata_route_add(F.a, "172.16.0.0/12", "8.8.8.8", NULL), -ENETUNREACH);
        /* on link, but not through the device named */
        CHECK_EQ(strata_route_add(F.a, "172.16.0.0/12", "10.0.0.9", "veth1"), -ENETUNREACH);
        CHECK(route(in4()->main, ip(172, 16, 0, 0), 12) == NULL);
        teardown();
}

static void route_add_checks_its_arguments(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        /* host bits set: "Invalid prefix for given prefix length" */
        CHECK_EQ(strata_route_add(F.a, "10.9.1.0/16", NULL, "veth0"), -EINVAL);
        CHECK_EQ(strata_route_add(F.a, "10.9.0.0/33", NULL, "veth0"), -EINVAL);
        CHECK_EQ(strata_route_add(F.a, "10.9.0.0/16", "10.0.0.300", NULL), -EINVAL);
        CHECK_EQ(strata_route_add(F.a, "10.9.0.0/16", NULL, NULL), -EINVAL);
        CHECK_EQ(strata_route_add(F.a, NULL, "10.0.0.254", NULL), -EINVAL);
        CHECK_EQ(strata_route_add(F.a, "defaults", "10.0.0.254", NULL), -EINVAL);
        /* a device route: scope link, the destination is its own next hop */
        CHECK_EQ(strata_route_add(F.a, "10.9.0.0/16", NULL, "veth0"), 0);
        const struct fib_route *r = route(in4()->main, ip(10, 9, 0, 0), 16);
        CHECK(r);
        CHECK_EQ(r->scope, RT_SCOPE_LINK);
        CHECK_EQ(r->gw, 0);
        struct rt_result res;
        CHECK_EQ(ip_route_output(F.net, ip(10, 9, 1, 1), 0, 0, &res), 0);
        CHECK(res.dev == F.v0);
        CHECK_EQ(res.nexthop, ip(10, 9, 1, 1));
        CHECK_EQ(res.saddr, ip(10, 0, 0, 1));
        /* a host route */
        CHECK_EQ(strata_route_add(F.a, "10.7.7.7", NULL, "veth1"), 0);
        CHECK(route(in4()->main, ip(10, 7, 7, 7), 32) != NULL);
        teardown();
}

/* --- source address selection and output routes ----------------------------- */

static void inet_select_addr_choices(void)
{
        setup();
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.2/24"), 0); /* secondary */
        CHECK_EQ(strata_addr_add(F.a, "veth0", "192.168.1.1/24"), 0);
        /* the primary of dst's subnet */
        CHECK_EQ(inet_select_addr(F.v0, ip(192, 168, 1, 50), RT_SCOPE_UNIVERSE),
                 ip(192, 168, 1, 1));
        CHECK_EQ(inet_select_addr(F.v0, ip(10, 0, 0, 50), RT_SCOPE_UNIVERSE), ip(10, 0, 0, 1));
        CHECK_EQ(inet_select_addr(F.v0, ip(10, 0, 0, 2), RT_SCOPE_LINK), ip(10, 0, 0, 1));
        /* no subnet match: the device's first primary */
        CHECK_EQ(inet_select_addr(F.v0, ip(8, 8, 8, 8), RT_SCOPE_UNIVERSE), ip(10, 0, 0, 1));
        CHECK_EQ(inet_select_addr(F.v0, 0, RT_SCOPE_LINK), ip(10, 0, 0, 1));
        /* a device without addresses borrows another device's primary of
         * universe scope, never lo's host-scope 127.0.0.1 */
        CHECK_EQ(inet_select_addr(F.v1, ip(8, 8, 8, 8), RT_SCOPE_UNIVERSE), ip(10, 0, 0, 1));
        CHECK_EQ(inet_select_addr(F.v1, 0, RT_SCOPE_LINK), ip(10, 0, 0, 1));
        /* lo itself: its own address, which has host scope */
        struct net_device *lo = F.net->loopback_dev;
        CHECK_EQ(inet_select_addr(lo, ip(127, 0, 0, 5), RT_SCOPE_HOST), ip(127, 0, 0, 1));
        CHECK_EQ(inet_select_addr(lo, ip(127, 0, 0, 5), RT_SCOPE_UNIVERSE), ip(10, 0, 0, 1));
        /* the primary that goes takes its secondary; the next primary is
         * first now */
        CHECK_EQ(strata_addr_del(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(inet_select_addr(F.v0, ip(10, 0, 0, 50), RT_SCOPE_UNIVERSE), ip(192, 168, 1, 1));
        CHECK_EQ(strata_addr_del(F.a, "veth0", "192.168.1.1/24"), 0);
        CHECK_EQ(inet_select_addr(F.v0, ip(8, 8, 8, 8), RT_SCOPE_UNIVERSE), 0);
        teardown();
}

static void ip_route_output_decisions(void)
{
        setup();
        struct rt_result res;
        /* a fresh namespace only knows lo */
        CHECK_EQ(ip_route_output(F.net, ip(8, 8, 8, 8), 0, 0, &res), -ENETUNREACH);
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 0, 7), 0, 0, &res), -ENETUNREACH);
        CHECK_EQ(strata_addr_add(F.a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(F.a, "veth1", "10.0.1.1/24"), 0);
        CHECK_EQ(ip_route_output(F.net, ip(8, 8, 8, 8), 0, 0, &res), -ENETUNREACH);
        /* on link */
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 1, 7), 0, 0, &res), 0);
        CHECK_EQ(res.type, RTN_UNICAST);
        CHECK(res.dev == F.v1);
        CHECK_EQ(res.nexthop, ip(10, 0, 1, 7));
        CHECK_EQ(res.saddr, ip(10, 0, 1, 1));
        /* to ourselves: over lo, from the address itself */
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 0, 1), 0, 0, &res), 0);
        CHECK_EQ(res.type, RTN_LOCAL);
        CHECK(res.dev == F.net->loopback_dev);
        CHECK_EQ(res.saddr, ip(10, 0, 0, 1));
        CHECK_EQ(ip_route_output(F.net, ip(127, 0, 0, 1), 0, 0, &res), 0);
        CHECK_EQ(res.type, RTN_LOCAL);
        CHECK_EQ(res.saddr, ip(127, 0, 0, 1));
        /* an explicit source of ours is kept */
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 1, 7), ip(10, 0, 0, 1), 0, &res), 0);
        CHECK_EQ(res.saddr, ip(10, 0, 0, 1));
        CHECK(res.dev == F.v1);
        /* ... one that is not ours is refused */
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 1, 7), ip(10, 0, 1, 99), 0, &res),
                 -EADDRNOTAVAIL);
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 1, 7), ip(224, 0, 0, 1), 0, &res), -EINVAL);
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 1, 7), 0, 999, &res), -ENODEV);
        /* the gateway's subnet picks the source */
        CHECK_EQ(strata_route_add(F.a, "default", "10.0.1.254", NULL), 0);
        CHECK_EQ(ip_route_output(F.net, ip(8, 8, 8, 8), 0, 0, &res), 0);
        CHECK(res.dev == F.v1);
        CHECK_EQ(res.nexthop, ip(10, 0, 1, 254));
        CHECK_EQ(res.saddr, ip(10, 0, 1, 1));
        /* a device going down takes its routes out of use */
        CHECK_EQ(strata_link_set_up(F.a, "veth1", false), 0);
        CHECK_EQ(ip_route_output(F.net, ip(8, 8, 8, 8), 0, 0, &res), -ENETUNREACH);
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 1, 7), 0, 0, &res), -ENETUNREACH);
        CHECK_EQ(ip_route_output(F.net, ip(10, 0, 0, 7), 0, 0, &res), 0);
        CHECK(res.dev == F.v0);
        teardown();
}

/* --- sysctls -------------------------------------------------------------------- */

static void sysctls_have_linux_names_and_defaults(void)
{
        setup();
        CHECK_STR(get("net.ipv4.ip_default_ttl"), "64");
        CHECK_STR(get("net.ipv4.ip_forward"), "0");
        CHECK_STR(get("net.core.netdev_max_backlog"), "1000");
        CHECK_STR(get("net.core.netdev_budget"), "300");
        CHECK_STR(get("net.core.dev_weight"), "64");
        CHECK_STR(get("net.ipv4.icmp_echo_ignore_all"), "0");
        CHECK_STR(get("net.ipv4.icmp_echo_ignore_broadcasts"), "1");
        CHECK_STR(get("net.ipv4.icmp_ratelimit"), "1000");
        CHECK_STR(get("net.ipv4.icmp_ratemask"), "6168");
        CHECK_STR(get("net.ipv4.icmp_msgs_per_sec"), "1000");
        CHECK_STR(get("net.ipv4.icmp_msgs_burst"), "50");
        CHECK_STR(get("net.ipv4.neigh.default.base_reachable_time_ms"), "30000");
        CHECK_STR(get("net.ipv4.neigh.default.base_reachable_time"), "30");
        CHECK_STR(get("net.ipv4.neigh.default.retrans_time"), "100");
        CHECK_STR(get("net.ipv4.neigh.default.retrans_time_ms"), "1000");
        /* the /proc/sys path spelling works too */
        CHECK_STR(get("net/ipv4/ip_default_ttl"), "64");
        teardown();
}

static void sysctl_set_changes_value_and_views(void)
{
        setup();
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.ip_default_ttl", "33"), 0);
        CHECK_STR(get("net.ipv4.ip_default_ttl"), "33");
        CHECK_EQ(in4()->ip_default_ttl, 33);
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.ip_forward", "1"), 0);
        CHECK_EQ(in4()->ip_forward, 1);
        CHECK_EQ(strata_sysctl_set(F.a, "net.core.netdev_max_backlog", "5000"), 0);
        CHECK_EQ(F.net->core.netdev_max_backlog, 5000);
        /* as echo VALUE > /proc/sys/...: surrounding whitespace is fine */
        CHECK_EQ(strata_sysctl_set(F.a, "net/ipv4/ip_default_ttl", " 65\n"), 0);
        CHECK_STR(get("net.ipv4.ip_default_ttl"), "65");
        /* one value, two views: seconds and milliseconds */
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.default.base_reachable_time", "20"), 0);
        CHECK_STR(get("net.ipv4.neigh.default.base_reachable_time_ms"), "20000");
        CHECK_EQ(in4()->arp_tbl.parms.base_reachable_time, 20000);
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.default.base_reachable_time_ms", "1500"),
                 0);
        CHECK_STR(get("net.ipv4.neigh.default.base_reachable_time"), "1");
        CHECK_STR(get("net.ipv4.neigh.default.base_reachable_time_ms"), "1500");
        /* USER_HZ and milliseconds */
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.default.retrans_time", "250"), 0);
        CHECK_STR(get("net.ipv4.neigh.default.retrans_time_ms"), "2500");
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.default.retrans_time_ms", "330"), 0);
        CHECK_STR(get("net.ipv4.neigh.default.retrans_time"), "33");
        CHECK_EQ(in4()->arp_tbl.parms.retrans_time, 330);
        /* a namespace's sysctls are its own */
        char other[16];
        CHECK_EQ(strata_sysctl_get(F.b, "net.ipv4.ip_default_ttl", other, sizeof(other)), 0);
        CHECK_STR(other, "64");
        teardown();
}

static void sysctl_bad_values_are_einval(void)
{
        setup();
        static const char *bad_ttl[] = { "abc", "",      "  ",  "0",    "256",
                                         "-1",  "12abc", "1 2", "0x100", "99999999999999999999" };
        for (size_t i = 0; i < sizeof(bad_ttl) / sizeof(bad_ttl[0]); i++) {
                int err = strata_sysctl_set(F.a, "net.ipv4.ip_default_ttl", bad_ttl[i]);
                if (err != -EINVAL)
                        TEST_FAIL("ip_default_ttl=\"%s\" gave %d, want -EINVAL", bad_ttl[i], err);
        }
        CHECK_STR(get("net.ipv4.ip_default_ttl"), "64");
        /* the kernel reads numbers with base 0: 0x10 is 16 (checked in a netns) */
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.ip_default_ttl", "0x10"), 0);
        CHECK_STR(get("net.ipv4.ip_default_ttl"), "16");
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.ip_default_ttl", "64"), 0);
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.ip_forward", "-1"), -EINVAL);
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.default.mcast_solicit", "-1"), -EINVAL);
        CHECK_STR(get("net.ipv4.ip_forward"), "0");
        CHECK_STR(get("net.ipv4.neigh.default.mcast_solicit"), "3");
        teardown();
}

static void unknown_sysctl_is_enoent(void)
{
        setup();
        char buf[16];
        CHECK_EQ(strata_sysctl_get(F.a, "net.ipv4.no_such_thing", buf, sizeof(buf)), -ENOENT);
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.no_such_thing", "1"), -ENOENT);
        CHECK_EQ(strata_sysctl_get(F.a, "net.ipv4.neigh.nope0.retrans_time_ms", buf, sizeof(buf)),
                 -ENOENT);
        CHECK_EQ(strata_sysctl_get(F.a, "net.ipv4", buf, sizeof(buf)), -ENOENT);
        CHECK_EQ(strata_sysctl_get(F.a, "", buf, sizeof(buf)), -ENOENT);
        /* the unknown key wins over the bad value */
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.no_such_thing", "abc"), -ENOENT);
        teardown();
}

static void device_neigh_sysctls_follow_the_device(void)
{
        setup();
        char buf[16];
        CHECK_EQ(strata_sysctl_get(F.a, "net.ipv4.neigh.veth7.retrans_time_ms", buf, sizeof(buf)),
                 -ENOENT);
        CHECK_EQ(strata_veth_add(F.a, "veth7", F.b, "veth7b"), 0);
        CHECK_STR(get("net.ipv4.neigh.veth7.retrans_time_ms"), "1000");
        CHECK_STR(get("net.ipv4.neigh.veth7.base_reachable_time"), "30");
        CHECK_STR(get("net.ipv4.neigh.veth7.ucast_solicit"), "3");
        CHECK_STR(get("net.ipv4.neigh.veth7.unres_qlen"), "101");
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.veth7.ucast_solicit", "7"), 0);
        CHECK_STR(get("net.ipv4.neigh.veth7.ucast_solicit"), "7");
        CHECK_STR(get("net.ipv4.neigh.default.ucast_solicit"), "3");
        CHECK_EQ(((struct neigh_parms *)dev_get_by_name(F.net, "veth7")->arp_parms)->ucast_probes,
                 7);
        CHECK_EQ(strata_link_del(F.a, "veth7"), 0);
        CHECK_EQ(strata_sysctl_get(F.a, "net.ipv4.neigh.veth7.retrans_time_ms", buf, sizeof(buf)),
                 -ENOENT);
        CHECK_EQ(strata_sysctl_set(F.a, "net.ipv4.neigh.veth7.ucast_solicit", "1"), -ENOENT);
        /* the other devices keep theirs */
        CHECK_STR(get("net.ipv4.neigh.veth0.retrans_time_ms"), "1000");
        CHECK_STR(get("net.ipv4.neigh.lo.retrans_time_ms"), "1000");
        /* a new device of the same name starts from the defaults */
        CHECK_EQ(strata_veth_add(F.a, "veth7", F.b, "veth8b"), 0);
        CHECK_STR(get("net.ipv4.neigh.veth7.ucast_solicit"), "3");
        teardown();
}

/* `ip link del` of one end of a veth pair removes both ends (veth_dellink
 * unregisters the peer too). */
static void deleting_veth_end_deletes_its_peer(void)
{
        setup();
        CHECK_EQ(strata_link_del(F.a, "veth1"), 0);
        CHECK(dev_get_by_name(F.b->net, "veth1b") == NULL);
        char buf[16];
        CHECK_EQ(strata_sysctl_get(F.b, "net.ipv4.neigh.veth1b.retrans_time_ms", buf, sizeof(buf)),
                 -ENOENT);
        teardown();
}

TEST_MAIN(T(same_subnet_address_becomes_secondary), T(deleting_primary_deletes_its_secondaries),
          T(duplicate_address_is_eexist), T(bad_cidrs_are_einval), T(unknown_device_is_enodev),
          T(address_installs_local_and_prefix_routes), T(loopback_prefix_route_is_in_table_local),
          T(secondary_gets_local_route_but_no_prefix_route),
          T(secondary_local_route_prefers_primary_source),
          T(same_subnet_on_two_devices_gets_two_prefix_routes),
          T(device_removal_takes_its_addresses_and_routes), T(default_route_via_connected_gateway),
          T(gateway_not_on_link_is_enetunreach), T(route_add_checks_its_arguments),
          T(inet_select_addr_choices), T(ip_route_output_decisions),
          T(sysctls_have_linux_names_and_defaults), T(sysctl_set_changes_value_and_views),
          T(sysctl_bad_values_are_einval), T(unknown_sysctl_is_enoent),
          T(device_neigh_sysctls_follow_the_device), T(deleting_veth_end_deletes_its_peer))
