/*
 * Received ICMP redirects (src/ipv4/route_exc.c, Linux's __ip_do_redirect)
 * on a host: a LAN on a probe, the host 10.0.0.1, its gateway 10.0.0.2 and
 * another router 10.0.0.3 on the same wire.  A redirect from the gateway
 * about 8.8.8.8 naming 10.0.0.3 becomes a next-hop exception for 300 s
 * and traffic follows it; one from anybody else, towards a local or
 * broadcast address, with accept_redirects off (both all and the device
 * on a router, either on a host), or -- without shared_media -- towards a
 * gateway that is off-link or, with secure_redirects, not one of our
 * routes' is ignored; a gateway not yet resolved is solicited and the
 * redirect ignored.
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

#define SEC  1000000000ull
#define HOST 0x0a000001u /* 10.0.0.1 */
#define GW   0x0a000002u /* 10.0.0.2: the default gateway */
#define GW2  0x0a000003u /* 10.0.0.3: the better one */
#define FAR  0x08080808u /* 8.8.8.8 */

struct fix {
        struct strata_clock *clock;
        struct strata_net *net;
        struct probe lan;
};

static void run(struct fix *f, uint64_t d)
{
        strata_sim_run(&f->net, 1, strata_clock_now(f->clock) + d);
}

static uint64_t ctr(struct fix *f, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(f->net, name, &v), 0);
        return v;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void arp_from(struct fix *f, uint32_t who)
{
        uint8_t frame[64];
        probe_inject(&f->lan, frame,
                     probe_arp_frame(&f->lan, frame, ARPOP_REQUEST, who, HOST, bcast));
}

static void fix_up(struct fix *f)
{
        memset(f, 0, sizeof(*f));
        f->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("host", f->clock, 31, &f->net), 0);
        CHECK_EQ(probe_create(f->net->net, "lan", &f->lan), 0);
        CHECK_EQ(strata_addr_add(f->net, "lan", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_route_add(f->net, "default", "10.0.0.2", NULL), 0);
        /* both routers are known neighbours (STALE) */
        arp_from(f, GW);
        arp_from(f, GW2);
        run(f, SEC / 10);
        probe_drain(&f->lan);
}

static void fix_down(struct fix *f)
{
        probe_drain(&f->lan);
        CHECK_EQ(skb_pool_outstanding(f->net->net->pool), 0);
        strata_net_free(f->net);
        strata_clock_free(f->clock);
}

/* A redirect (code) from `from` about a UDP datagram HOST -> FAR, naming gw. */
static void redirect(struct fix *f, uint32_t from, uint8_t code, uint32_t gw)
{
        uint8_t quoted[28] = { 0 };
        struct ipv4_repr ip = { .ihl = 20,
                                .tot_len = 48,
                                .id = 9,
                                .ttl = 64,
                                .protocol = IPPROTO_UDP_,
                                .saddr = HOST,
                                .daddr = FAR };
        ipv4_emit(&ip, NULL, quoted, 20);
        put_be16(quoted + 20, 4000);
        put_be16(quoted + 22, 53);
        uint8_t icmp[ICMP_HLEN + sizeof(quoted)];
        struct icmp_repr r = { .type = ICMP_REDIRECT,
                               .code = code,
                               .rest = gw,
                               .payload = quoted,
                               .payload_len = sizeof(quoted) };
        icmp_emit(&r, icmp, sizeof(icmp));
        uint8_t frame[128];
        probe_inject(
            &f->lan, frame,
            probe_ipv4_frame(&f->lan, frame, from, HOST, IPPROTO_ICMP_, 64, icmp, sizeof(icmp)));
        run(f, SEC / 100);
}

static struct rt_result route(struct fix *f)
{
        struct rt_result res;
        CHECK_EQ(ip_route_output(f->net->net, FAR, 0, 0, &res), 0);
        return res;
}

static uint32_t nexthop(struct fix *f)
{
        return route(f).nexthop;
}

static void conf(struct fix *f, const char *key, const char *v)
{
        char name[96];
        snprintf(name, sizeof(name), "net.ipv4.conf.all.%s", key);
        CHECK_EQ(strata_sysctl_set(f->net, name, v), 0);
        snprintf(name, sizeof(name), "net.ipv4.conf.lan.%s", key);
        CHECK_EQ(strata_sysctl_set(f->net, name, v), 0);
}

/* Taken from the gateway, for 300 s; the traffic follows it. */
static void redirect_from_the_gateway_is_taken(void)
{
        struct fix f;
        fix_up(&f);
        CHECK_EQ(nexthop(&f), GW);
        uint64_t t0 = strata_clock_now(f.clock);
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(ctr(&f, "Icmp.InRedirects"), 1);
        struct rt_result res = route(&f);
        CHECK_EQ(res.nexthop, GW2);
        CHECK(res.redirected);
        CHECK(res.expires >= t0 + 300 * SEC && res.expires <= t0 + 301 * SEC);
        char line[160];
        CHECK_EQ(strata_route_get(f.net, "8.8.8.8", NULL, NULL, 0, line, sizeof(line)), 0);
        CHECK_STR(line, "8.8.8.8 via 10.0.0.3 dev lan src 10.0.0.1 uid 0");
        CHECK_EQ(strata_route_get(f.net, "8.8.4.4", NULL, NULL, 0, line, sizeof(line)), 0);
        CHECK_STR(line, "8.8.4.4 via 10.0.0.2 dev lan src 10.0.0.1 uid 0"); /* per destination */
        /* a datagram to 8.8.8.8 uses 10.0.0.3's entry (STALE -> DELAY) */
        struct net *net = f.net->net;
        struct neighbour *n2 =
            neigh_lookup(&ipv4_of(net)->arp_tbl, &(uint32_t){ htonl(GW2) }, f.lan.dev);
        struct neighbour *n1 =
            neigh_lookup(&ipv4_of(net)->arp_tbl, &(uint32_t){ htonl(GW) }, f.lan.dev);
        CHECK(n1 && n2);
        CHECK_EQ(n2->nud_state, NUD_STALE);
        int fd = strata_socket(f.net, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = { .sin_family = AF_INET,
                                  .sin_port = htons(53),
                                  .sin_addr.s_addr = htonl(FAR) };
        CHECK_EQ(strata_sendto(f.net, fd, "q", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
        CHECK_EQ(n2->nud_state, NUD_DELAY);
        CHECK_EQ(n1->nud_state, NUD_STALE);
        CHECK_EQ(strata_close(f.net, fd), 0);
        /* a second redirect from the old gateway no longer applies: the
         * gateway is now 10.0.0.3 */
        redirect(&f, GW, 1, 0x0a000007u);
        CHECK_EQ(nexthop(&f), GW2);
        /* gone after 300 s */
        run(&f, 299 * SEC);
        CHECK_EQ(nexthop(&f), GW2);
        run(&f, 2 * SEC);
        CHECK_EQ(nexthop(&f), GW);
        fix_down(&f);
}

/* What is refused, and the unresolved gateway. */
static void bad_redirects_are_ignored(void)
{
        struct fix f;
        fix_up(&f);
        redirect(&f, GW2, 1, 0x0a000004u); /* not from the gateway */
        CHECK_EQ(nexthop(&f), GW);
        redirect(&f, GW, 1, HOST); /* ourselves */
        CHECK_EQ(nexthop(&f), GW);
        redirect(&f, GW, 1, 0x0a0000ffu); /* the subnet's broadcast */
        CHECK_EQ(nexthop(&f), GW);
        redirect(&f, GW, 1, 0xe0000001u); /* multicast */
        CHECK_EQ(nexthop(&f), GW);
        redirect(&f, GW, 4, GW2); /* no such code */
        CHECK_EQ(nexthop(&f), GW);
        CHECK_EQ(ctr(&f, "Icmp.InRedirects"), 5);
        /* a redirect quoting less than a header and 8 bytes: an error */
        uint8_t shorty[ICMP_HLEN + 12] = { 0 };
        struct icmp_repr sr = {
                .type = ICMP_REDIRECT, .code = 1, .rest = GW2, .payload = shorty, .payload_len = 4
        };
        icmp_emit(&sr, shorty, ICMP_HLEN + 4);
        uint8_t sf[128];
        probe_inject(
            &f.lan, sf,
            probe_ipv4_frame(&f.lan, sf, GW, HOST, IPPROTO_ICMP_, 64, shorty, ICMP_HLEN + 4));
        run(&f, SEC / 100);
        CHECK_EQ(ctr(&f, "Icmp.InErrors"), 1);
        CHECK_EQ(ctr(&f, "PKT_TOO_SMALL"), 1);
        CHECK_EQ(nexthop(&f), GW);
        /* the answer to 8.8.8.8's ping still leaves by the gateway */
        struct neighbour *n1 =
            neigh_lookup(&ipv4_of(f.net->net)->arp_tbl, &(uint32_t){ htonl(GW) }, f.lan.dev);
        CHECK(n1 && n1->nud_state == NUD_STALE);
        uint8_t echo[128];
        probe_inject(&f.lan, echo, probe_echo_frame(&f.lan, echo, FAR, HOST, 1, 1));
        run(&f, SEC / 100);
        CHECK_EQ(n1->nud_state, NUD_DELAY);
        /* an unresolved gateway: solicited, not taken */
        probe_drain(&f.lan);
        redirect(&f, GW, 1, 0x0a000004u);
        CHECK_EQ(nexthop(&f), GW);
        struct sk_buff *s = probe_take(&f.lan);
        CHECK(s != NULL);
        CHECK(s->len >= ETH_HLEN + 28 && get_be16(s->data + 12) == ETH_P_ARP);
        CHECK_EQ(get_be32(s->data + ETH_HLEN + 24), 0x0a000004u); /* who has 10.0.0.4 */
        consume_skb(s);
        /* once it answered, the same redirect is taken */
        arp_from(&f, 0x0a000004u);
        run(&f, SEC / 100);
        redirect(&f, GW, 1, 0x0a000004u);
        CHECK_EQ(nexthop(&f), 0x0a000004u);
        fix_down(&f);
}

/* accept_redirects: a host takes them when either all or the device
 * says so; a router (forwarding) only when both do. */
static void accept_redirects_rules(void)
{
        struct fix f;
        fix_up(&f);
        CHECK_EQ(strata_sysctl_set(f.net, "net.ipv4.conf.all.accept_redirects", "0"), 0);
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(nexthop(&f), GW2); /* host: the device's 1 is enough */
        CHECK_EQ(strata_sysctl_set(f.net, "net.ipv4.route.flush", "1"), 0);
        conf(&f, "accept_redirects", "0");
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(nexthop(&f), GW);
        /* a router: forwarding on (which also turned all's off) */
        CHECK_EQ(strata_sysctl_set(f.net, "net.ipv4.ip_forward", "1"), 0);
        CHECK_EQ(strata_sysctl_set(f.net, "net.ipv4.conf.lan.accept_redirects", "1"), 0);
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(nexthop(&f), GW);
        CHECK_EQ(strata_sysctl_set(f.net, "net.ipv4.conf.all.accept_redirects", "1"), 0);
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(nexthop(&f), GW2);
        fix_down(&f);
}

/* Without shared_media the new gateway must be on-link with the old one
 * and, with secure_redirects, the gateway of one of our routes. */
static void shared_media_and_secure_redirects(void)
{
        struct fix f;
        fix_up(&f);
        conf(&f, "shared_media", "0");
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(nexthop(&f), GW); /* secure: 10.0.0.3 is nobody's gateway */
        CHECK_EQ(strata_route_add(f.net, "10.5.0.0/16", "10.0.0.3", NULL), 0);
        redirect(&f, GW, 1, GW2);
        CHECK_EQ(nexthop(&f), GW2);
        CHECK_EQ(strata_sysctl_set(f.net, "net.ipv4.route.flush", "1"), 0);
        conf(&f, "secure_redirects", "0");
        redirect(&f, GW, 1, 0x0b000001u); /* off-link */
        CHECK_EQ(nexthop(&f), GW);
        conf(&f, "shared_media", "1");
        /* shared media: any unicast address, once resolved */
        arp_from(&f, 0x0a000009u);
        run(&f, SEC / 100);
        redirect(&f, GW, 1, 0x0a000009u);
        CHECK_EQ(nexthop(&f), 0x0a000009u);
        fix_down(&f);
}

TEST_MAIN(T(redirect_from_the_gateway_is_taken), T(bad_redirects_are_ignored),
          T(accept_redirects_rules), T(shared_media_and_secure_redirects))
