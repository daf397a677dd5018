/*
 * Whole-stack scenarios on the simulated clock: ping across a veth pair,
 * a neighbour nobody answers (NEIGH_FAILED and the ICMP host unreachable
 * Linux gives), no route, ping to ourselves over lo, and a router whose
 * ip_forward=0 drops transit traffic until it is turned on.
 */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "strata/strata.h"

#define SEC 1000000000ull

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[3];
        size_t n;
};

struct replies {
        int echo, errors;
        int last_type, last_code;
        unsigned last_seq, last_ttl;
        char from[16];
};

static void on_ping(const struct strata_ping_result *r, void *ctx)
{
        struct replies *rp = ctx;
        if (r->icmp_type == 0)
                rp->echo++;
        else
                rp->errors++;
        rp->last_type = r->icmp_type;
        rp->last_code = r->icmp_code;
        rp->last_seq = r->seq;
        rp->last_ttl = r->ttl;
        memcpy(rp->from, r->from, sizeof(rp->from));
}

static uint64_t counter(struct strata_net *ns, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(ns, name, &v), 0);
        return v;
}

/* alpha(10.0.0.1) --veth-- beta(10.0.0.2) [--veth-- gamma(10.0.1.2)] */
static void lab_up(struct lab *lab, size_t n)
{
        lab->clock = strata_clock_new(true);
        lab->n = n;
        static const char *names[] = { "alpha", "beta", "gamma" };
        for (size_t i = 0; i < n; i++)
                CHECK_EQ(strata_net_new(names[i], lab->clock, 42 + i, &lab->ns[i]), 0);
        CHECK_EQ(strata_veth_add(lab->ns[0], "veth0", lab->ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[1], "veth0", true), 0);
        if (n == 3) {
                CHECK_EQ(strata_veth_add(lab->ns[1], "veth1", lab->ns[2], "veth0"), 0);
                CHECK_EQ(strata_addr_add(lab->ns[1], "veth1", "10.0.1.1/24"), 0);
                CHECK_EQ(strata_addr_add(lab->ns[2], "veth0", "10.0.1.2/24"), 0);
                CHECK_EQ(strata_link_set_up(lab->ns[1], "veth1", true), 0);
                CHECK_EQ(strata_link_set_up(lab->ns[2], "veth0", true), 0);
                CHECK_EQ(strata_route_add(lab->ns[0], "default", "10.0.0.2", NULL), 0);
                CHECK_EQ(strata_route_add(lab->ns[2], "default", "10.0.1.1", NULL), 0);
        }
        CHECK_EQ(strata_sim_run(lab->ns, n, strata_clock_now(lab->clock) + SEC), 0);
}

static void run(struct lab *lab, uint64_t d)
{
        CHECK_EQ(strata_sim_run(lab->ns, lab->n, strata_clock_now(lab->clock) + d), 0);
}

/* Free everything; every packet must have been released (leak check). */
static void lab_down(struct lab *lab)
{
        for (size_t i = 0; i < lab->n; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        for (size_t i = 0; i < lab->n; i++)
                strata_net_free(lab->ns[i]);
        strata_clock_free(lab->clock);
}

static void ping_across_veth(void)
{
        struct lab lab;
        struct replies rp = { 0 };
        lab_up(&lab, 2);
        CHECK_EQ(strata_ping_listen(lab.ns[0], 7, on_ping, &rp), 0);
        for (unsigned seq = 1; seq <= 3; seq++) {
                CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.0.2", 7, (uint16_t)seq, 56), 0);
                run(&lab, SEC);
        }
        CHECK_EQ(rp.echo, 3);
        CHECK_EQ(rp.errors, 0);
        CHECK_EQ(rp.last_seq, 3);
        CHECK_EQ(rp.last_ttl, 64);
        CHECK_STR(rp.from, "10.0.0.2");
        CHECK_EQ(counter(lab.ns[1], "Icmp.InEchos"), 3);
        CHECK_EQ(counter(lab.ns[1], "Icmp.OutEchoReps"), 3);
        CHECK_EQ(counter(lab.ns[1], "IcmpMsg.OutType0"), 3);
        CHECK_EQ(counter(lab.ns[0], "Icmp.InEchoReps"), 3);
        CHECK_EQ(counter(lab.ns[0], "Ip.OutRequests"), 3);
        CHECK_EQ(counter(lab.ns[0], "NEIGH_FAILED"), 0);
        lab_down(&lab);
}

static void unresolvable_neighbour_fails_with_host_unreachable(void)
{
        struct lab lab;
        struct replies rp = { 0 };
        lab_up(&lab, 2);
        CHECK_EQ(strata_ping_listen(lab.ns[0], 7, on_ping, &rp), 0);
        uint64_t arp_before = counter(lab.ns[1], "Ip.InReceives"); /* unchanged: ARP is not IP */
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.0.99", 7, 1, 56), 0);
        run(&lab, 2900 * 1000000ull);
        CHECK_EQ(rp.errors, 0); /* still resolving: 3 requests, 1 s apart */
        CHECK_EQ(counter(lab.ns[0], "NEIGH_FAILED"), 0);
        run(&lab, 200 * 1000000ull);
        CHECK_EQ(rp.errors, 1);
        CHECK_EQ(rp.last_type, 3);
        CHECK_EQ(rp.last_code, 1); /* ICMP_HOST_UNREACH */
        CHECK_STR(rp.from, "10.0.0.1");
        CHECK_EQ(counter(lab.ns[0], "NEIGH_FAILED"), 1);
        CHECK_EQ(counter(lab.ns[0], "Icmp.OutDestUnreachs"), 1);
        CHECK_EQ(counter(lab.ns[0], "Icmp.InDestUnreachs"), 1);
        CHECK_EQ(counter(lab.ns[1], "Ip.InReceives"), arp_before);
        lab_down(&lab);
}

static void no_route_is_enetunreach(void)
{
        struct lab lab;
        lab_up(&lab, 2);
        CHECK_EQ(strata_ping_send(lab.ns[0], "192.0.2.1", 7, 1, 56), -ENETUNREACH);
        CHECK_EQ(counter(lab.ns[0], "Ip.OutNoRoutes"), 1);
        CHECK_EQ(counter(lab.ns[0], "IP_OUTNOROUTES"), 1);
        lab_down(&lab);
}

static void ping_self_goes_over_lo(void)
{
        struct lab lab;
        struct replies rp = { 0 };
        lab_up(&lab, 2);
        CHECK_EQ(strata_ping_listen(lab.ns[0], 9, on_ping, &rp), 0);
        struct net_device *veth = dev_get_by_name(lab.ns[0]->net, "veth0");
        uint64_t veth_tx = veth->stats.tx_packets;
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.0.1", 9, 1, 56), 0);
        CHECK_EQ(strata_ping_send(lab.ns[0], "127.0.0.1", 9, 2, 56), 0);
        run(&lab, SEC);
        CHECK_EQ(rp.echo, 2);
        struct net_device *lo = lab.ns[0]->net->loopback_dev;
        CHECK_EQ(lo->stats.rx_packets, 4);
        CHECK_EQ(veth->stats.tx_packets, veth_tx); /* nothing left through veth0 */
        lab_down(&lab);
}

static void router_with_ip_forward_off_drops_transit(void)
{
        struct lab lab;
        struct replies rp = { 0 };
        lab_up(&lab, 3);
        CHECK_EQ(strata_ping_listen(lab.ns[0], 7, on_ping, &rp), 0);
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.1.2", 7, 1, 56), 0);
        run(&lab, SEC);
        CHECK_EQ(rp.echo, 0);
        CHECK_EQ(rp.errors, 0); /* silent, as Linux */
        CHECK_EQ(counter(lab.ns[1], "IP_INADDRERRORS"), 1);
        CHECK_EQ(counter(lab.ns[1], "Ip.InAddrErrors"), 1);

        CHECK_EQ(strata_sysctl_set(lab.ns[1], "net.ipv4.ip_forward", "1"), 0);
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.1.2", 7, 2, 56), 0);
        run(&lab, SEC);
        CHECK_EQ(rp.echo, 1);
        CHECK_EQ(rp.last_seq, 2);
        CHECK_EQ(rp.last_ttl, 63); /* one hop */
        CHECK_EQ(counter(lab.ns[1], "Ip.ForwDatagrams"), 2);
        lab_down(&lab);
}

static void same_seed_same_run(void)
{
        /* two labs with the same seeds give the same MAC addresses */
        struct lab a, b;
        lab_up(&a, 2);
        lab_up(&b, 2);
        struct net_device *da = dev_get_by_name(a.ns[0]->net, "veth0");
        struct net_device *db = dev_get_by_name(b.ns[0]->net, "veth0");
        CHECK_MEM(da->dev_addr, db->dev_addr, 6);
        lab_down(&a);
        lab_down(&b);
}

TEST_MAIN(T(ping_across_veth), T(unresolvable_neighbour_fails_with_host_unreachable),
          T(no_route_is_enetunreach), T(ping_self_goes_over_lo),
          T(router_with_ip_forward_off_drops_transit), T(same_seed_same_run))
