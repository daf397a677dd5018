/*
 * Policy routing on a router (src/ipv4/fib_rules.c): a LAN on a probe
 * (10.0.0.0/24, the router 10.0.0.2) and two uplinks, veth pairs to two
 * provider namespaces (isp1 10.1.0.1, isp2 10.2.0.1).  Main's default goes
 * to isp1, table 100's to isp2, and `from 10.0.0.3 lookup 100` sends that
 * host's traffic out the second uplink.  Then the special route types and
 * rule actions on the forwarding path, with the ICMP each answers
 * (ip_error): blackhole nothing, unreachable host unreachable, prohibit
 * "administratively filtered", an unreachable rule net unreachable; and
 * the errno each gives a local sender.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "probe.h"
#include "wire/checksum.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define H1  0x0a000001u /* 10.0.0.1 */
#define H3  0x0a000003u /* 10.0.0.3: routed by source */
#define R0  0x0a000002u /* the router on the LAN */
#define FAR 0x08080808u /* 8.8.8.8 */

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

static void fix_up(struct fix *f)
{
        memset(f, 0, sizeof(*f));
        f->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("router", f->clock, 5, &f->nets[0]), 0);
        CHECK_EQ(strata_net_new("isp1", f->clock, 6, &f->nets[1]), 0);
        CHECK_EQ(strata_net_new("isp2", f->clock, 7, &f->nets[2]), 0);
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
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.icmp_ratelimit", "0"), 0);
        CHECK_EQ(strata_route_add(r, "default", "10.1.0.1", NULL), 0);
        CHECK_EQ(strata_route_add_ex(r, NULL, "default", "10.2.0.1", NULL, 100, 0), 0);
        CHECK_EQ(strata_rule_add(r, "from 10.0.0.3 lookup 100"), 0);
        /* the LAN hosts' MACs */
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t frame[64];
        probe_inject(&f->lan, frame, probe_arp_frame(&f->lan, frame, ARPOP_REQUEST, H1, R0, bcast));
        probe_inject(&f->lan, frame, probe_arp_frame(&f->lan, frame, ARPOP_REQUEST, H3, R0, bcast));
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

static void arrive(struct fix *f, uint32_t src, uint32_t dst)
{
        uint8_t frame[128];
        probe_inject(&f->lan, frame, probe_echo_frame(&f->lan, frame, src, dst, 7, 1));
        run(f);
}

/* The next ICMP the router sent on the LAN: type << 8 | code, or -1. */
static int next_icmp(struct fix *f)
{
        struct sk_buff *skb;
        int ret = -1;
        while (ret < 0 && (skb = probe_take(&f->lan))) {
                if (skb->len >= ETH_HLEN + 20 + 8 && skb->data[12] == 0x08 &&
                    skb->data[13] == 0x00 && skb->data[ETH_HLEN + 9] == IPPROTO_ICMP_)
                        ret = skb->data[ETH_HLEN + 20] << 8 | skb->data[ETH_HLEN + 21];
                consume_skb(skb);
        }
        return ret;
}

static void source_address_picks_the_uplink(void)
{
        struct fix f;
        fix_up(&f);
        /* isp1/isp2 do not forward: what reaches them counts InAddrErrors */
        arrive(&f, H1, FAR);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 1);
        CHECK_EQ(ctr(f.nets[2], "Ip.InAddrErrors"), 0);
        arrive(&f, H3, FAR);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 1);
        CHECK_EQ(ctr(f.nets[2], "Ip.InAddrErrors"), 1);
        CHECK_EQ(ctr(f.nets[0], "Ip.ForwDatagrams"), 2);
        char line[160];
        CHECK_EQ(strata_route_get(f.nets[0], "8.8.8.8", "10.0.0.3", "lan", 0, line, sizeof(line)),
                 0);
        CHECK_STR(line, "8.8.8.8 from 10.0.0.3 via 10.2.0.1 dev up2 table 100");
        CHECK_EQ(strata_route_get(f.nets[0], "8.8.8.8", NULL, NULL, 0, line, sizeof(line)), 0);
        CHECK_STR(line, "8.8.8.8 via 10.1.0.1 dev up1 src 10.1.0.2 uid 0");
        /* a fwmark rule moves the router's own traffic */
        CHECK_EQ(strata_rule_add(f.nets[0], "fwmark 0x1/0x1 lookup 100 pref 100"), 0);
        CHECK_EQ(strata_route_get(f.nets[0], "8.8.8.8", NULL, NULL, 3, line, sizeof(line)), 0);
        CHECK_STR(line, "8.8.8.8 via 10.2.0.1 dev up2 table 100 src 10.2.0.2 mark 3 uid 0");
        /* deleting the source rule: back to isp1 */
        CHECK_EQ(strata_rule_del(f.nets[0], "from 10.0.0.3 lookup 100"), 0);
        arrive(&f, H3, FAR);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 2);
        fix_down(&f);
}

/* A socket's SO_MARK and IP_TOS are in its route lookup (ip_route_connect's
 * flow): a fwmark rule and a tos rule move the router's own datagrams. */
static void socket_mark_and_tos_pick_the_uplink(void)
{
        struct fix f;
        fix_up(&f);
        struct strata_net *r = f.nets[0];
        CHECK_EQ(strata_rule_add(r, "fwmark 0x1/0x1 lookup 100 pref 100"), 0);
        CHECK_EQ(strata_rule_add(r, "tos 0x10 lookup 100 pref 101"), 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
                                  .sin_addr.s_addr = htonl(FAR) };
        int u = strata_socket(r, AF_INET, SOCK_DGRAM, 0);
        CHECK(u >= 0);
        /* unmarked: main, isp1 */
        CHECK_EQ(strata_sendto(r, u, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
        run(&f);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 1);
        CHECK_EQ(ctr(f.nets[2], "Ip.InAddrErrors"), 0);
        /* SO_MARK 1: table 100, isp2 */
        int mark = 1;
        CHECK_EQ(strata_setsockopt(r, u, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)), 0);
        CHECK_EQ(strata_sendto(r, u, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
        run(&f);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 1);
        CHECK_EQ(ctr(f.nets[2], "Ip.InAddrErrors"), 1);
        /* connect() decides the same way */
        CHECK_EQ(strata_connect(r, u, (struct sockaddr *)&to, sizeof(to)), 0);
        struct sockaddr_in me;
        socklen_t ml = sizeof(me);
        CHECK_EQ(strata_getsockname(r, u, (struct sockaddr *)&me, &ml), 0);
        CHECK_EQ(ntohl(me.sin_addr.s_addr), 0x0a020002u); /* up2's address */
        strata_close(r, u);
        /* a forwarded packet's TOS is in its lookup too (ip_route_input_slow) */
        uint8_t frame[128];
        size_t n = probe_echo_frame(&f.lan, frame, H1, FAR, 7, 2);
        frame[ETH_HLEN + 1] = 0x10;
        frame[ETH_HLEN + 10] = frame[ETH_HLEN + 11] = 0;
        put_be16(frame + ETH_HLEN + 10, ip_compute_csum(frame + ETH_HLEN, 20));
        probe_inject(&f.lan, frame, n);
        run(&f);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 1);
        CHECK_EQ(ctr(f.nets[2], "Ip.InAddrErrors"), 2);
        CHECK_EQ(ctr(f.nets[0], "Ip.InHdrErrors"), 0);
        /* IP_TOS 0x10 matches the tos rule */
        int t = strata_socket(r, AF_INET, SOCK_DGRAM, 0);
        int tos = 0x10;
        CHECK_EQ(strata_setsockopt(r, t, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
        CHECK_EQ(strata_sendto(r, t, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
        run(&f);
        CHECK_EQ(ctr(f.nets[2], "Ip.InAddrErrors"), 3);
        strata_close(r, t);
        fix_down(&f);
}

static void special_routes_answer_as_linux(void)
{
        struct fix f;
        fix_up(&f);
        struct strata_net *r = f.nets[0];
        CHECK_EQ(strata_route_add_ex(r, "blackhole", "192.0.2.0/24", NULL, NULL, 0, 0), 0);
        CHECK_EQ(strata_route_add_ex(r, "prohibit", "198.51.100.0/24", NULL, NULL, 0, 0), 0);
        CHECK_EQ(strata_route_add_ex(r, "unreachable", "203.0.113.0/24", NULL, NULL, 0, 0), 0);
        CHECK_EQ(strata_route_add_ex(r, "throw", "8.8.0.0/16", NULL, NULL, 100, 0), 0);
        CHECK_EQ(strata_route_add_ex(r, "blackhole", "10.5.0.0/16", "10.1.0.1", NULL, 0, 0),
                 -EINVAL);
        CHECK_EQ(strata_rule_add(r, "to 10.9.0.0/16 prohibit pref 50"), 0);
        CHECK_EQ(strata_rule_add(r, "to 10.7.0.0/16 unreachable pref 51"), 0);
        CHECK_EQ(strata_rule_add(r, "to 10.8.0.0/16 blackhole pref 52"), 0);
        uint64_t drops = ctr(r, "IP_INNOROUTES");

        arrive(&f, H1, 0xc0000201u); /* blackhole: silence */
        CHECK_EQ(next_icmp(&f), -1);
        arrive(&f, H1, 0xc6336401u); /* prohibit: filtered */
        CHECK_EQ(next_icmp(&f), ICMP_DEST_UNREACH << 8 | ICMP_PKT_FILTERED);
        arrive(&f, H1, 0xcb007101u); /* unreachable route: host unreachable */
        CHECK_EQ(next_icmp(&f), ICMP_DEST_UNREACH << 8 | ICMP_HOST_UNREACH);
        arrive(&f, H1, 0x0a090101u); /* prohibit rule */
        CHECK_EQ(next_icmp(&f), ICMP_DEST_UNREACH << 8 | ICMP_PKT_FILTERED);
        arrive(&f, H1, 0x0a070101u); /* unreachable rule: net unreachable */
        CHECK_EQ(next_icmp(&f), ICMP_DEST_UNREACH << 8 | ICMP_NET_UNREACH);
        arrive(&f, H1, 0x0a080101u); /* blackhole rule */
        CHECK_EQ(next_icmp(&f), -1);
        CHECK_EQ(ctr(r, "IP_INNOROUTES"), drops + 6);
        /* throw in table 100 falls through to main: still forwarded */
        arrive(&f, H3, FAR);
        CHECK_EQ(ctr(f.nets[1], "Ip.InAddrErrors"), 1);

        /* and the errno a local sender gets */
        char line[160];
        CHECK_EQ(strata_route_get(r, "192.0.2.1", NULL, NULL, 0, line, sizeof(line)), -EINVAL);
        CHECK_EQ(strata_route_get(r, "198.51.100.1", NULL, NULL, 0, line, sizeof(line)), -EACCES);
        CHECK_EQ(strata_route_get(r, "203.0.113.1", NULL, NULL, 0, line, sizeof(line)),
                 -EHOSTUNREACH);
        CHECK_EQ(strata_route_get(r, "10.7.0.1", NULL, NULL, 0, line, sizeof(line)), -ENETUNREACH);
        CHECK_EQ(strata_route_get(r, "10.9.0.1", NULL, NULL, 0, line, sizeof(line)), -EACCES);
        CHECK_EQ(strata_ping_send(r, "198.51.100.1", 9, 1, 56), -EACCES);
        fix_down(&f);
}

TEST_MAIN(T(source_address_picks_the_uplink), T(socket_mark_and_tos_pick_the_uplink),
          T(special_routes_answer_as_linux))
