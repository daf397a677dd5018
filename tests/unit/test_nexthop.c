/*
 * Nexthop objects (src/ipv4/nexthop.c): the checks of a single nexthop and
 * of a group, ids given out when none is asked for, routes naming a
 * nexthop resolved into their next hops (a group into multipath, a
 * blackhole into a blackhole route through lo), replace rewriting the
 * routes of the nexthop and of the groups holding it, delete taking its
 * routes and leaving its groups (an emptied group goes too), and a
 * device's removal, going down or losing its carrier taking its nexthops.
 */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/nexthop.h"
#include "strata/strata.h"

static struct strata_clock *clk;
static struct strata_net *ns;
static struct net *net;

static void setup(void)
{
        clk = strata_clock_new(true);
        CHECK_EQ(strata_net_new("nh", clk, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "v0", ns, "v1"), 0);
        CHECK_EQ(strata_veth_add(ns, "v2", ns, "v3"), 0);
        CHECK_EQ(strata_link_set_up(ns, "v0", true), 0);
        CHECK_EQ(strata_link_set_up(ns, "v1", true), 0);
        CHECK_EQ(strata_addr_add(ns, "v0", "192.168.0.1/24"), 0);
        net = ns->net;
}

static void teardown(void)
{
        strata_net_free(ns);
        strata_clock_free(clk);
}

static int add_gw(uint32_t id, uint32_t gw, const char *dev, uint8_t flags)
{
        struct nexthop n = { .id = id, .gw = gw, .flags = flags };
        n.dev = dev ? dev_get_by_name(net, dev) : NULL;
        const char *why = NULL;
        return nexthop_add(net, &n, false, true, &why);
}

static int add_group(uint32_t id, const uint32_t *ids, const uint16_t *w, int k, bool replace)
{
        struct nh_grp_entry g[FIB_MAX_NHS];
        for (int i = 0; i < k; i++)
                g[i] = (struct nh_grp_entry){ ids[i], w[i] };
        struct nexthop n = { .id = id, .grp = g, .ngrp = (uint8_t)k };
        const char *why = NULL;
        return nexthop_add(net, &n, replace, !replace, &why);
}

/* ip route add DST/16 nhid ID in main. */
static int route_nhid(uint32_t dst, uint32_t id)
{
        struct fib_route r = { .dst = dst,
                               .plen = 16,
                               .type = RTN_UNICAST,
                               .protocol = RTPROT_BOOT,
                               .table = RT_TABLE_MAIN };
        struct fib_nh nhs[FIB_MAX_NHS];
        int err = nexthop_resolve(net, id, &r, nhs);
        return err ? err : api_route_insert(net, ipv4_of(net)->main, &r, API_ROUTE_EXCL);
}

static const struct fib_route *main_route(uint32_t dst)
{
        return fib_table_lookup(ipv4_of(net)->main, dst);
}

static void checks_of_nexthops_and_groups(void)
{
        setup();
        const uint32_t gw = 0xc0a80002u, gw3 = 0xc0a80003u;
        CHECK_EQ(add_gw(1, gw, "v0", 0), 0);
        CHECK_EQ(add_gw(1, gw, "v0", 0), -EEXIST);
        CHECK_EQ(add_gw(2, 0x0a000001u, NULL, 0), -EINVAL);             /* no device */
        CHECK_EQ(add_gw(2, 0x0a000001u, "v0", 0), -ENETUNREACH);        /* not reachable */
        CHECK_EQ(add_gw(2, 0x0a000001u, "v2", 0), -ENETDOWN);           /* device down */
        CHECK_EQ(add_gw(2, 0xc0a80001u, "v0", RTNH_F_ONLINK), -EINVAL); /* ours */
        CHECK_EQ(add_gw(2, 0x0a000001u, "v0", RTNH_F_ONLINK), 0);
        CHECK_EQ(add_gw(0, gw3, "v0", 0), 0); /* an id given out */
        CHECK(nexthop_find(net, 3) != NULL);
        struct nexthop bh = { .id = 4, .blackhole = true };
        const char *why = NULL;
        CHECK_EQ(nexthop_add(net, &bh, false, true, &why), 0);
        uint32_t ids[] = { 1, 3, 99 };
        uint16_t w[] = { 1, 3, 1 };
        CHECK_EQ(add_group(10, ids, w, 3, false), -EINVAL); /* 99 missing */
        uint32_t dup[] = { 1, 1 };
        CHECK_EQ(add_group(10, dup, w, 2, false), -EINVAL);
        uint32_t withbh[] = { 1, 4 };
        CHECK_EQ(add_group(10, withbh, w, 2, false), -EINVAL);
        CHECK_EQ(add_group(10, ids, w, 2, false), 0);
        uint32_t nested[] = { 10 };
        CHECK_EQ(add_group(11, nested, w, 1, false), -EINVAL);
        CHECK_EQ(add_gw(10, gw, "v0", 0), -EEXIST);
        teardown();
}

static void routes_follow_their_nexthop(void)
{
        setup();
        const uint32_t gw = 0xc0a80002u, gw3 = 0xc0a80003u, gw9 = 0xc0a80009u;
        CHECK_EQ(add_gw(1, gw, "v0", 0), 0);
        CHECK_EQ(add_gw(2, gw3, "v0", 0), 0);
        uint32_t ids[] = { 1, 2 };
        uint16_t w[] = { 1, 3 };
        CHECK_EQ(add_group(3, ids, w, 2, false), 0);
        struct nexthop bh = { .id = 4, .blackhole = true };
        const char *why = NULL;
        CHECK_EQ(nexthop_add(net, &bh, false, true, &why), 0);
        CHECK_EQ(route_nhid(0x0a010000u, 1), 0);
        CHECK_EQ(route_nhid(0x0a030000u, 3), 0);
        CHECK_EQ(route_nhid(0x0a040000u, 4), 0);
        CHECK_EQ(route_nhid(0x0a050000u, 99), -EINVAL);
        const struct fib_route *r = main_route(0x0a010101u);
        CHECK_EQ(r->gw, gw);
        CHECK_EQ(r->nh_id, 1);
        r = main_route(0x0a030101u);
        CHECK_EQ(r->nhs, 2);
        CHECK_EQ(r->nh[1].gw, gw3);
        CHECK_EQ(r->nh[1].weight, 3);
        r = main_route(0x0a040101u);
        CHECK_EQ(r->type, RTN_BLACKHOLE);
        struct rt_result res;
        CHECK_EQ(ip_route_output(net, 0x0a040101u, 0, 0, &res), -EINVAL);
        CHECK_EQ(ip_route_output(net, 0x0a010101u, 0, 0, &res), 0);
        CHECK_EQ(res.nexthop, gw);
        /* replace: the route of 1 and of the group holding it */
        struct nexthop n1 = { .id = 1, .gw = gw9, .dev = dev_get_by_name(net, "v0") };
        CHECK_EQ(nexthop_add(net, &n1, true, false, &why), 0);
        CHECK_EQ(main_route(0x0a010101u)->gw, gw9);
        CHECK_EQ(main_route(0x0a030101u)->nh[0].gw, gw9);
        CHECK_EQ(ip_route_output(net, 0x0a010101u, 0, 0, &res), 0);
        CHECK_EQ(res.nexthop, gw9);
        /* a group cannot become a single nexthop, nor the other way */
        struct nexthop n3 = { .id = 3, .gw = gw, .dev = n1.dev };
        CHECK_EQ(nexthop_add(net, &n3, true, false, &why), -EINVAL);
        /* delete 2: the group keeps 1, a single path */
        CHECK_EQ(nexthop_del(net, 2, false), 0);
        r = main_route(0x0a030101u);
        CHECK_EQ(r->nhs, 0);
        CHECK_EQ(r->gw, gw9);
        /* delete 1: its route and the emptied group's go */
        CHECK_EQ(nexthop_del(net, 1, false), 0);
        CHECK_EQ(nexthop_del(net, 1, false), -ENOENT);
        CHECK(main_route(0x0a010101u) == NULL || main_route(0x0a010101u)->dst != 0x0a010000u);
        CHECK(nexthop_find(net, 3) == NULL);
        CHECK(main_route(0x0a030101u) == NULL || main_route(0x0a030101u)->dst != 0x0a030000u);
        CHECK(main_route(0x0a040101u) != NULL); /* the blackhole stays */
        teardown();
}

static void device_removal_or_down_takes_its_nexthops(void)
{
        setup();
        CHECK_EQ(strata_link_set_up(ns, "v2", true), 0);
        CHECK_EQ(add_gw(1, 0x0a000001u, "v2", RTNH_F_ONLINK), 0);
        CHECK_EQ(add_gw(2, 0xc0a80002u, "v0", 0), 0);
        CHECK_EQ(route_nhid(0x0a010000u, 1), 0);
        CHECK_EQ(strata_link_del(ns, "v2"), 0);
        CHECK(nexthop_find(net, 1) == NULL);
        CHECK(nexthop_find(net, 2) != NULL);
        CHECK(main_route(0x0a010101u) == NULL);
        /* down, or without carrier (the veth peer down): the same */
        CHECK_EQ(route_nhid(0x0a020000u, 2), 0);
        CHECK_EQ(strata_link_set_up(ns, "v1", false), 0);
        CHECK(nexthop_find(net, 2) == NULL);
        CHECK(main_route(0x0a020101u) == NULL);
        CHECK_EQ(strata_link_set_up(ns, "v1", true), 0);
        CHECK_EQ(add_gw(3, 0xc0a80002u, "v0", 0), 0);
        CHECK_EQ(strata_link_set_up(ns, "v0", false), 0);
        CHECK(nexthop_find(net, 3) == NULL);
        teardown();
}

TEST_MAIN(T(checks_of_nexthops_and_groups), T(routes_follow_their_nexthop),
          T(device_removal_or_down_takes_its_nexthops))
