/*
 * Multipath routes on a router with two uplinks (src/ipv4/fib_multipath.c):
 * a LAN on a probe (10.0.0.0/24, the router 10.0.0.2), veth pairs to isp1
 * (10.1.0.1) and isp2 (10.2.0.1), and a default route with both as next
 * hops.  Hash-threshold bounds follow the weights; with policy 0 a flow is
 * its addresses (one path for all ports), with policy 1 its ports too,
 * never for fragments; destinations spread in the weights' proportion; a
 * next hop whose device goes down gives its flows to the other; the
 * router's own sockets spread the same way; a path MTU learned on one next
 * hop stays there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "probe.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/checksum.h"
#include "wire/udp.h"

#define H1 0x0a000001u /* 10.0.0.1 on the LAN */
#define R0 0x0a000002u /* the router on the LAN */

struct fix {
        struct strata_clock *clock;
        struct strata_net *nets[3]; /* router, isp1, isp2 */
        struct probe lan;
};

static void run(struct fix *f)
{
        strata_sim_run(f->nets, 3, strata_clock_now(f->clock) + 100000000ull);
}

static uint64_t ctr(struct strata_net *sn, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(sn, name, &v), 0);
        return v;
}

/* what reached isp1 and isp2 (they do not forward: InAddrErrors) */
static uint64_t at(struct fix *f, int isp)
{
        return ctr(f->nets[isp], "Ip.InAddrErrors");
}

/* default via 10.1.0.1 weight w1 and 10.2.0.1 weight w2 */
static void multipath_default(struct fix *f, uint16_t w1, uint16_t w2)
{
        struct net *net = f->nets[0]->net;
        struct fib_nh nh[2] = { { .gw = 0x0a010001u, .weight = w1 },
                                { .gw = 0x0a020001u, .weight = w2 } };
        struct fib_route r = { .type = RTN_UNICAST,
                               .protocol = RTPROT_BOOT,
                               .table = RT_TABLE_MAIN,
                               .nh = nh,
                               .nhs = 2 };
        struct fib_route m = { .dst = 0, .plen = 0 };
        fib_table_delete(ipv4_of(net)->main, &m);
        CHECK_EQ(api_route_insert(net, ipv4_of(net)->main, &r, API_ROUTE_EXCL), 0);
}

static void fix_up(struct fix *f)
{
        memset(f, 0, sizeof(*f));
        f->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("router", f->clock, 15, &f->nets[0]), 0);
        CHECK_EQ(strata_net_new("isp1", f->clock, 16, &f->nets[1]), 0);
        CHECK_EQ(strata_net_new("isp2", f->clock, 17, &f->nets[2]), 0);
        struct strata_net *r = f->nets[0];
        CHECK_EQ(probe_create(r->net, "lan", &f->lan), 0);
        CHECK_EQ(strata_veth_add(r, "up1", f->nets[1], "eth0"), 0);
        CHECK_EQ(strata_veth_add(r, "up2", f->nets[2], "eth0"), 0);
        const char *devs[] = { "up1", "up2" };
        for (int i = 0; i < 2; i++) {
                CHECK_EQ(strata_link_set_up(r, devs[i], true), 0);
                CHECK_EQ(strata_link_set_up(f->nets[i + 1], "eth0", true), 0);
        }
        CHECK_EQ(strata_addr_add(r, "lan", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(r, "up1", "10.1.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(r, "up2", "10.2.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(f->nets[1], "eth0", "10.1.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(f->nets[2], "eth0", "10.2.0.1/24"), 0);
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.ip_forward", "1"), 0);
        CHECK_EQ(strata_route_add(r, "default", "10.1.0.1", NULL), 0);
        multipath_default(f, 1, 1);
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t frame[64];
        probe_inject(&f->lan, frame, probe_arp_frame(&f->lan, frame, ARPOP_REQUEST, H1, R0, bcast));
        run(f);
        probe_drain(&f->lan);
}

static void fix_down(struct fix *f)
{
        probe_drain(&f->lan);
        for (int i = 0; i < 3; i++)
                CHECK_EQ(skb_pool_outstanding(f->nets[i]->net->pool), 0);
        for (int i = 0; i < 3; i++)
                strata_net_free(f->nets[i]);
        strata_clock_free(f->clock);
}

/* A UDP datagram (8 bytes of payload) H1:sport -> dst:53 arrives on the
 * LAN; frag_off as given (a first fragment: IP_MF). */
static void udp_arrives(struct fix *f, uint32_t dst, uint16_t sport, uint16_t frag_off)
{
        uint8_t u[UDP_HLEN + 8] = { 0 };
        struct udp_repr ur = { .sport = sport, .dport = 53, .len = sizeof(u) };
        udp_emit(&ur, u, UDP_HLEN);
        put_be16(u + 6, udp_csum_ipv4(H1, dst, u, sizeof(u)));
        uint8_t frame[128];
        size_t n = probe_ipv4_frame(&f->lan, frame, H1, dst, IPPROTO_UDP_, 64, u, sizeof(u));
        if (frag_off) {
                uint8_t *ip = frame + ETH_HLEN;
                put_be16(ip + 6, frag_off);
                put_be16(ip + 10, 0);
                put_be16(ip + 10, ip_compute_csum(ip, 20));
        }
        probe_inject(&f->lan, frame, n);
}

/* fib_rebalance's bounds: weights 1 and 2 split 2^31 at a third. */
static void thresholds_follow_weights(void)
{
        struct fix f;
        fix_up(&f);
        multipath_default(&f, 1, 2);
        const struct fib_route *r = fib_lookup(f.nets[0]->net, 0x08080808u);
        CHECK(r && r->nhs == 2);
        uint32_t third = (uint32_t)(((1ull << 31) + 1) / 3); /* DIV_ROUND_CLOSEST */
        CHECK_EQ(fib_select_multipath(r, 0), 0);
        CHECK_EQ(fib_select_multipath(r, third - 1), 0);
        CHECK_EQ(fib_select_multipath(r, third), 1);
        CHECK_EQ(fib_select_multipath(r, 0x7fffffffu), 1);
        /* an echo request is forwarded through one of them, silently */
        uint8_t frame[128];
        probe_inject(&f.lan, frame, probe_echo_frame(&f.lan, frame, H1, 0x08080808u, 7, 1));
        run(&f);
        CHECK_EQ(at(&f, 1) + at(&f, 2), 1);
        CHECK(probe_take(&f.lan) == NULL);
        /* a next hop whose device is down takes no flow */
        CHECK_EQ(strata_link_set_up(f.nets[0], "up2", false), 0);
        CHECK_EQ(fib_select_multipath(r, 0x7fffffffu), 0);
        CHECK_EQ(strata_link_set_up(f.nets[0], "up2", true), 0);
        fix_down(&f);
}

/* Policy 0: one flow per address pair, whatever the ports; policy 1: the
 * ports spread it, except for fragments. */
static void hash_policy_l3_and_l4(void)
{
        struct fix f;
        fix_up(&f);
        for (uint16_t p = 0; p < 64; p++)
                udp_arrives(&f, 0x08080808u, (uint16_t)(1000 + p), 0);
        run(&f);
        CHECK_EQ(at(&f, 1) + at(&f, 2), 64);
        CHECK(at(&f, 1) == 64 || at(&f, 2) == 64); /* L3: all on one path */
        CHECK_EQ(strata_sysctl_set(f.nets[0], "net.ipv4.fib_multipath_hash_policy", "1"), 0);
        CHECK_EQ(strata_sysctl_set(f.nets[0], "net.ipv4.fib_multipath_hash_policy", "4"), -EINVAL);
        uint64_t a1 = at(&f, 1), a2 = at(&f, 2);
        for (uint16_t p = 0; p < 64; p++)
                udp_arrives(&f, 0x08080808u, (uint16_t)(1000 + p), 0);
        run(&f);
        CHECK(at(&f, 1) - a1 >= 16); /* L4: both paths used */
        CHECK(at(&f, 2) - a2 >= 16);
        /* first fragments carry ports, but all pieces must take one path:
         * fragments hash by their addresses only */
        a1 = at(&f, 1);
        a2 = at(&f, 2);
        for (uint16_t p = 0; p < 32; p++)
                udp_arrives(&f, 0x08080808u, (uint16_t)(1000 + p), IP_MF);
        run(&f);
        CHECK((at(&f, 1) - a1 == 32 && at(&f, 2) == a2) ||
              (at(&f, 2) - a2 == 32 && at(&f, 1) == a1));
        fix_down(&f);
}

/* Policy 3: only the fields fib_multipath_hash_fields selects count --
 * the destination port alone keeps every source port on one path, the
 * source port spreads them; policy 2 without encapsulation is layer 3. */
static void hash_policy_custom_fields_and_inner(void)
{
        struct fix f;
        fix_up(&f);
        struct strata_net *r = f.nets[0];
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.fib_multipath_hash_policy", "3"), 0);
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.fib_multipath_hash_fields", "32"), 0); /* dport */
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.fib_multipath_hash_fields", "0"), -EINVAL);
        for (uint16_t p = 0; p < 64; p++)
                udp_arrives(&f, 0x08080808u + p, (uint16_t)(1000 + p), 0);
        run(&f);
        CHECK(at(&f, 1) == 64 || at(&f, 2) == 64);
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.fib_multipath_hash_fields", "16"), 0); /* sport */
        uint64_t a1 = at(&f, 1), a2 = at(&f, 2);
        for (uint16_t p = 0; p < 64; p++)
                udp_arrives(&f, 0x08080808u, (uint16_t)(1000 + p), 0);
        run(&f);
        CHECK(at(&f, 1) - a1 >= 16);
        CHECK(at(&f, 2) - a2 >= 16);
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.fib_multipath_hash_policy", "2"), 0);
        a1 = at(&f, 1);
        a2 = at(&f, 2);
        for (uint16_t p = 0; p < 64; p++)
                udp_arrives(&f, 0x08080808u, (uint16_t)(1000 + p), 0);
        run(&f);
        CHECK(at(&f, 1) - a1 == 64 || at(&f, 2) - a2 == 64);
        fix_down(&f);
}

/* Many destinations spread in the proportion of the weights (1:3), and a
 * next hop going down hands its flows to the other. */
static void destinations_spread_by_weight(void)
{
        struct fix f;
        fix_up(&f);
        multipath_default(&f, 1, 3);
        for (uint32_t i = 0; i < 1000; i++) {
                udp_arrives(&f, 0x08000000u + i * 263u, 1000, 0);
                if (i % 100 == 99)
                        run(&f);
        }
        run(&f);
        CHECK_EQ(at(&f, 1) + at(&f, 2), 1000);
        CHECK(at(&f, 2) > 650 && at(&f, 2) < 850);
        /* up2 down: everything through isp1 */
        CHECK_EQ(strata_link_set_up(f.nets[0], "up2", false), 0);
        uint64_t a1 = at(&f, 1);
        for (uint32_t i = 0; i < 100; i++)
                udp_arrives(&f, 0x08000000u + i * 263u, 1000, 0);
        run(&f);
        CHECK_EQ(at(&f, 1) - a1, 100);
        fix_down(&f);
}

/* The router's own UDP: with policy 1 its source ports spread it; the
 * answer of ip route get names the next hop taken; a path MTU learned
 * through one next hop does not touch the other. */
static void local_output_and_exceptions_per_next_hop(void)
{
        struct fix f;
        fix_up(&f);
        struct strata_net *r = f.nets[0];
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.fib_multipath_hash_policy", "1"), 0);
        struct sockaddr_in to = { .sin_family = AF_INET,
                                  .sin_port = htons(53),
                                  .sin_addr.s_addr = htonl(0x08080808u) };
        for (int i = 0; i < 32; i++) {
                int fd = strata_socket(r, AF_INET, SOCK_DGRAM, 0);
                CHECK(fd >= 0);
                CHECK_EQ(strata_sendto(r, fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
                CHECK_EQ(strata_close(r, fd), 0);
        }
        run(&f);
        CHECK_EQ(at(&f, 1) + at(&f, 2), 32);
        CHECK(at(&f, 1) >= 4 && at(&f, 2) >= 4);
        /* two flows to 8.8.8.8 that take different next hops */
        struct flowi4 fl = { .daddr = 0x08080808u, .proto = IPPROTO_UDP_, .dport = 53 };
        struct rt_result a, b;
        int nh_seen[2] = { -1, -1 };
        for (uint16_t p = 1000; p < 1100 && (nh_seen[0] < 0 || nh_seen[1] < 0); p++) {
                fl.sport = p;
                CHECK_EQ(ip_route_output_flow(r->net, &fl, &a), 0);
                nh_seen[a.nhsel] = p;
        }
        CHECK(nh_seen[0] >= 0 && nh_seen[1] >= 0);
        fl.sport = (uint16_t)nh_seen[0];
        CHECK_EQ(ip_route_output_flow(r->net, &fl, &a), 0);
        CHECK_STR(a.dev->name, "up1");
        CHECK_EQ(a.nexthop, 0x0a010001u);
        fl.sport = (uint16_t)nh_seen[1];
        CHECK_EQ(ip_route_output_flow(r->net, &fl, &b), 0);
        CHECK_STR(b.dev->name, "up2");
        /* a frag-needed for the flow through up1 */
        CHECK_EQ(ip_rt_update_pmtu(r->net, 0x08080808u, 0, 0, 0, 0, 1280), 0);
        fl.sport = 0;
        CHECK_EQ(ip_route_output_flow(r->net, &fl, &a), 0);
        int learned = a.nhsel;
        CHECK_EQ(rt_mtu(&a), 1280);
        fl.sport = (uint16_t)nh_seen[!learned];
        CHECK_EQ(ip_route_output_flow(r->net, &fl, &b), 0);
        CHECK_EQ(b.nhsel, !learned);
        CHECK_EQ(rt_mtu(&b), 1500); /* the other next hop knows nothing */
        fix_down(&f);
}

TEST_MAIN(T(thresholds_follow_weights), T(hash_policy_l3_and_l4),
          T(hash_policy_custom_fields_and_inner), T(destinations_spread_by_weight),
          T(local_output_and_exceptions_per_next_hop))
