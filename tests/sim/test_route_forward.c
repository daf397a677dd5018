/*
 * Forwarding as Linux decides it, on a router with two probe links
 * (probe0 10.0.0.2/24 toward hosts 10.0.0.x, probe1 10.0.1.1/24): the
 * per-device forwarding switch and how ip_forward sets it, rp_filter strict
 * and loose with the conf.all/conf.DEV maximum (IP_RPFILTER), ICMP
 * redirects with Linux's backoff (send_redirects), and source-routed
 * packets (accept_source_route needs conf.all and the device).
 */
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "probe.h"
#include "strata/strata.h"

#define MSEC 1000000ull
#define H1   0x0a000001u /* 10.0.0.1, a host on probe0 */
#define R0   0x0a000002u /* the router on probe0 */
#define FAR  0x0a000163u /* 10.0.1.99, beyond probe1 */

struct fix {
        struct strata_clock *clock;
        struct strata_net *ns;
        struct probe p0, p1;
};

static void run(struct fix *f)
{
        strata_sim_run(&f->ns, 1, strata_clock_now(f->clock) + 1000);
}

static uint64_t ctr(struct fix *f, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(f->ns, name, &v), 0);
        return v;
}

static const char *get(struct fix *f, const char *key)
{
        static char buf[64];
        CHECK_EQ(strata_sysctl_get(f->ns, key, buf, sizeof(buf)), 0);
        return buf;
}

static void learn(struct probe *p, uint32_t who, uint32_t us)
{
        uint8_t frame[64];
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        probe_inject(p, frame, probe_arp_frame(p, frame, ARPOP_REQUEST, who, us, bcast));
}

static void fix_up(struct fix *f)
{
        f->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("router", f->clock, 3, &f->ns), 0);
        CHECK_EQ(probe_create(f->ns->net, "probe0", &f->p0), 0);
        CHECK_EQ(probe_create(f->ns->net, "probe1", &f->p1), 0);
        CHECK_EQ(strata_addr_add(f->ns, "probe0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(f->ns, "probe1", "10.0.1.1/24"), 0);
        CHECK_EQ(strata_sysctl_set(f->ns, "net.ipv4.ip_forward", "1"), 0);
        learn(&f->p0, H1, R0);
        learn(&f->p0, 0x0a000003u, R0);
        learn(&f->p1, FAR, 0x0a000101u);
        run(f);
        probe_drain(&f->p0);
        probe_drain(&f->p1);
}

static void fix_down(struct fix *f)
{
        probe_drain(&f->p0);
        probe_drain(&f->p1);
        CHECK_EQ(skb_pool_outstanding(f->ns->net->pool), 0);
        strata_net_free(f->ns);
        strata_clock_free(f->clock);
}

/* An echo request from src to dst arriving on p. */
static void arrive(struct fix *f, struct probe *p, uint32_t src, uint32_t dst)
{
        uint8_t frame[128];
        probe_inject(p, frame, probe_echo_frame(p, frame, src, dst, 1, 1));
        run(f);
}

static void forwarding_is_per_device_and_ip_forward_sets_all(void)
{
        struct fix f;
        fix_up(&f);
        CHECK_STR(get(&f, "net.ipv4.conf.all.forwarding"), "1");
        CHECK_STR(get(&f, "net.ipv4.conf.default.forwarding"), "1");
        CHECK_STR(get(&f, "net.ipv4.conf.probe0.forwarding"), "1");
        CHECK_STR(get(&f, "net.ipv4.conf.all.accept_redirects"), "0"); /* a router's */
        CHECK_STR(get(&f, "net.ipv4.conf.probe0.accept_redirects"), "1");
        CHECK_STR(get(&f, "net.ipv4.conf.all.send_redirects"), "1");
        CHECK_STR(get(&f, "net.ipv4.conf.all.rp_filter"), "0");
        arrive(&f, &f.p0, H1, FAR);
        CHECK_EQ(f.p1.sent.qlen, 1);
        /* off on the input device only: transit from it stops */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.probe0.forwarding", "0"), 0);
        CHECK_STR(get(&f, "net.ipv4.ip_forward"), "1");
        arrive(&f, &f.p0, H1, FAR);
        CHECK_EQ(f.p1.sent.qlen, 1);
        CHECK_EQ(ctr(&f, "IP_INADDRERRORS"), 1);
        /* conf.all.forwarding is ip_forward, and writing it resets devices */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.all.forwarding", "0"), 0);
        CHECK_STR(get(&f, "net.ipv4.ip_forward"), "0");
        CHECK_STR(get(&f, "net.ipv4.conf.all.accept_redirects"), "1");
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.ip_forward", "1"), 0);
        CHECK_STR(get(&f, "net.ipv4.conf.probe0.forwarding"), "1");
        arrive(&f, &f.p0, H1, FAR);
        CHECK_EQ(f.p1.sent.qlen, 2);
        CHECK_EQ(ctr(&f, "Ip.ForwDatagrams"), 2);
        fix_down(&f);
}

static void rp_filter_strict_and_loose(void)
{
        struct fix f;
        fix_up(&f);
        /* a source that lives behind probe1, arriving on probe0 */
        const uint32_t spoof = 0x0a000177u, nowhere = 0xc0000201u;
        arrive(&f, &f.p0, spoof, FAR);
        CHECK_EQ(f.p1.sent.qlen, 1); /* rp_filter 0: forwarded */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.probe0.rp_filter", "1"), 0);
        arrive(&f, &f.p0, spoof, FAR);
        arrive(&f, &f.p0, spoof, R0); /* also for us */
        CHECK_EQ(ctr(&f, "IP_RPFILTER"), 2);
        arrive(&f, &f.p0, H1, FAR); /* the right way round still passes */
        CHECK_EQ(f.p1.sent.qlen, 2);
        /* all=2, dev=1: the larger, loose -- a route back exists */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.all.rp_filter", "2"), 0);
        arrive(&f, &f.p0, spoof, FAR);
        CHECK_EQ(f.p1.sent.qlen, 3);
        arrive(&f, &f.p0, nowhere, FAR); /* no route back at all */
        CHECK_EQ(ctr(&f, "IP_RPFILTER"), 3);
        /* all=1, dev=0: strict again */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.all.rp_filter", "1"), 0);
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.probe0.rp_filter", "0"), 0);
        arrive(&f, &f.p0, spoof, FAR);
        CHECK_EQ(ctr(&f, "IP_RPFILTER"), 4);
        CHECK_EQ(f.p1.sent.qlen, 3);
        fix_down(&f);
}

/* Count ICMP redirects sent on probe0 (and free everything sent). */
static unsigned redirects(struct fix *f, uint32_t *gw)
{
        unsigned n = 0;
        struct sk_buff *s;
        while ((s = probe_take(&f->p0))) {
                const uint8_t *ip = s->data + ETH_HLEN;
                if (s->len >= ETH_HLEN + 28 && ip[9] == IPPROTO_ICMP_ && ip[20] == ICMP_REDIRECT) {
                        CHECK_EQ(ip[21], 1); /* host */
                        CHECK_EQ(get_be32(ip + 16), H1);
                        *gw = get_be32(ip + 24);
                        n++;
                }
                consume_skb(s);
        }
        return n;
}

/* Let time pass; the hosts on probe0 speak up again so that their
 * neighbour entries stay usable (unanswered probes would fail them). */
static void wait_ms(struct fix *f, uint64_t ms)
{
        strata_sim_run(&f->ns, 1, strata_clock_now(f->clock) + ms * MSEC);
        learn(&f->p0, H1, R0);
        learn(&f->p0, 0x0a000003u, R0);
        run(f);
        probe_drain(&f->p0);
}

static void redirects_with_linux_backoff(void)
{
        struct fix f;
        fix_up(&f);
        /* 10.9.0.0/24 is reached through 10.0.0.3, on the link H1 is on */
        CHECK_EQ(strata_route_add(f.ns, "10.9.0.0/24", "10.0.0.3", NULL), 0);
        uint32_t gw = 0;
        arrive(&f, &f.p0, H1, 0x0a090005u);
        CHECK_EQ(redirects(&f, &gw), 1);
        CHECK_EQ(gw, 0x0a000003u);
        CHECK_EQ(ctr(&f, "Icmp.OutRedirects"), 1);
        CHECK_EQ(ctr(&f, "Ip.ForwDatagrams"), 1); /* and still forwarded */
        arrive(&f, &f.p0, H1, 0x0a090005u);       /* within 40 ms: silent */
        CHECK_EQ(redirects(&f, &gw), 0);
        wait_ms(&f, 41);
        arrive(&f, &f.p0, H1, 0x0a090005u);
        CHECK_EQ(redirects(&f, &gw), 1);
        /* send_redirects off on conf.all and the device: none */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.all.send_redirects", "0"), 0);
        wait_ms(&f, 30000);
        arrive(&f, &f.p0, H1, 0x0a090005u);
        CHECK_EQ(redirects(&f, &gw), 1); /* the device still says 1: either is enough */
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.probe0.send_redirects", "0"), 0);
        wait_ms(&f, 30000);
        arrive(&f, &f.p0, H1, 0x0a090005u);
        CHECK_EQ(redirects(&f, &gw), 0);
        CHECK_EQ(ctr(&f, "Ip.ForwDatagrams"), 5);
        fix_down(&f);
}

/* An echo request to the router with a loose source route option. */
static void arrive_lsrr(struct fix *f)
{
        uint8_t frame[128], icmp[8] = { ICMP_ECHO, 0, 0, 0, 0, 1, 0, 1 };
        put_be16(icmp + 2, ip_compute_csum(icmp, 8));
        static const uint8_t opt[8] = { IPOPT_LSRR, 7, 4, 10, 0, 0, 9, IPOPT_END };
        struct eth_repr e;
        memcpy(e.dst, f->p0.dev->dev_addr, 6);
        memcpy(e.src, f->p0.peer_mac, 6);
        e.ethertype = ETH_P_IP;
        eth_emit(&e, frame, ETH_HLEN);
        struct ipv4_repr ip = { .ihl = 28,
                                .tot_len = 28 + 8,
                                .id = 7,
                                .ttl = 64,
                                .protocol = IPPROTO_ICMP_,
                                .saddr = H1,
                                .daddr = R0 };
        ipv4_emit(&ip, opt, frame + ETH_HLEN, 28);
        memcpy(frame + ETH_HLEN + 28, icmp, 8);
        probe_inject(&f->p0, frame, ETH_HLEN + 28 + 8);
        run(f);
}

static void source_route_needs_all_and_device(void)
{
        struct fix f;
        fix_up(&f);
        arrive_lsrr(&f);
        CHECK_EQ(ctr(&f, "IP_SOURCE_ROUTE"), 1);
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.all.accept_source_route", "1"), 0);
        arrive_lsrr(&f);
        CHECK_EQ(ctr(&f, "IP_SOURCE_ROUTE"), 2);
        CHECK_EQ(strata_sysctl_set(f.ns, "net.ipv4.conf.probe0.accept_source_route", "1"), 0);
        arrive_lsrr(&f);
        CHECK_EQ(ctr(&f, "IP_SOURCE_ROUTE"), 2);
        CHECK_EQ(ctr(&f, "Icmp.InEchos"), 1);
        fix_down(&f);
}

TEST_MAIN(T(forwarding_is_per_device_and_ip_forward_sets_all), T(rp_filter_strict_and_loose),
          T(redirects_with_linux_backoff), T(source_route_needs_all_and_device))
