/*
 * Path MTU discovery on the simulated clock (src/ipv4/route_exc.c and
 * src/transport/tcp_pmtu.c): alpha (10.0.0.1) -- router (10.0.0.2 |
 * 10.0.1.1) -- gamma (10.0.1.2), the router's link to gamma at MTU 1000.
 * The router's "fragmentation needed" teaches alpha's route a next-hop
 * exception: only ever lower, below min_pmtu raised to 552 and locked,
 * gone after mtu_expires or a flush, bounded in number; UDP with
 * IP_PMTUDISC_DO then gets EMSGSIZE and IP_MTU says 1000, WANT fragments
 * at alpha; a TCP connection lowers its MSS and delivers byte-exact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ctl/nlmsg.h"
#include "ctl/rtnl_uapi.h"
#include "ipv4/ipv4.h"
#include "strata/ctl.h"
#include "wire/bytes.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define SEC   1000000000ull
#define GAMMA 0x0a000102u /* 10.0.1.2 */

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[3]; /* alpha, router, gamma */
};

static void drive_all(struct strata_net *sn, uint64_t deadline, void *ctx)
{
        struct lab *lab = ctx;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 3; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        if (next > deadline)
                next = deadline;
        strata_sim_run(lab->ns, 3, next);
}

static void run(struct lab *lab, uint64_t d)
{
        strata_sim_run(lab->ns, 3, strata_clock_now(lab->clock) + d);
}

static void lab_up(struct lab *lab)
{
        memset(lab, 0, sizeof(*lab));
        lab->clock = strata_clock_new(true);
        static const char *names[] = { "alpha", "router", "gamma" };
        for (int i = 0; i < 3; i++)
                CHECK_EQ(strata_net_new(names[i], lab->clock, 70 + (uint64_t)i, &lab->ns[i]), 0);
        struct strata_net *a = lab->ns[0], *r = lab->ns[1], *g = lab->ns[2];
        CHECK_EQ(strata_veth_add(a, "veth0", r, "veth0"), 0);
        CHECK_EQ(strata_veth_add(r, "veth1", g, "veth0"), 0);
        CHECK_EQ(strata_addr_add(a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(r, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(r, "veth1", "10.0.1.1/24"), 0);
        CHECK_EQ(strata_addr_add(g, "veth0", "10.0.1.2/24"), 0);
        CHECK_EQ(strata_link_set_up(a, "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(r, "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(r, "veth1", true), 0);
        CHECK_EQ(strata_link_set_up(g, "veth0", true), 0);
        CHECK_EQ(strata_link_set_mtu(r, "veth1", 1000), 0);
        CHECK_EQ(strata_route_add(a, "default", "10.0.0.2", NULL), 0);
        CHECK_EQ(strata_route_add(g, "default", "10.0.1.1", NULL), 0);
        CHECK_EQ(strata_sysctl_set(r, "net.ipv4.ip_forward", "1"), 0);
        for (int i = 0; i < 3; i++)
                strata_set_driver(lab->ns[i], drive_all, lab);
        run(lab, SEC);
}

static void lab_down(struct lab *lab)
{
        run(lab, 200 * SEC); /* TIME_WAIT and retransmissions run out */
        for (int i = 0; i < 3; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        for (int i = 0; i < 3; i++)
                strata_net_free(lab->ns[i]);
        strata_clock_free(lab->clock);
}

static uint64_t ctr(struct strata_net *n, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(n, name, &v), 0);
        return v;
}

/* alpha's output route toward dst */
static struct rt_result route_to(struct strata_net *sn, uint32_t dst)
{
        struct rt_result res;
        CHECK_EQ(ip_route_output(sn->net, dst, 0, 0, &res), 0);
        return res;
}

static unsigned mtu_to(struct strata_net *sn, uint32_t dst)
{
        struct rt_result res = route_to(sn, dst);
        return rt_mtu(&res);
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
        struct sockaddr_in s = { .sin_family = AF_INET,
                                 .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(ip) };
        return s;
}

/* Lower only, min_pmtu's lock, expiry on the namespace clock, the flush. */
static void exception_lowers_locks_expires_and_flushes(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[0];
        struct net *net = a->net;
        uint64_t t0 = strata_clock_now(lab.clock);
        CHECK_EQ(mtu_to(a, GAMMA), 1500);
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 1400), 0);
        struct rt_result res = route_to(a, GAMMA);
        CHECK_EQ(rt_mtu(&res), 1400);
        CHECK(!res.mtu_locked);
        CHECK_EQ(res.expires, t0 + 600 * SEC); /* net.ipv4.route.mtu_expires */
        CHECK_EQ(mtu_to(a, GAMMA + 1), 1500);  /* per destination */
        /* quoting a packet from a source that is not ours: nothing learned */
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA + 1, 0x0a090909u, 0, 0, 0, 1200), -EADDRNOTAVAIL);
        CHECK_EQ(mtu_to(a, GAMMA + 1), 1500);
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 1450), 0);
        CHECK_EQ(mtu_to(a, GAMMA), 1400); /* never raised */
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 1300), 0);
        CHECK_EQ(mtu_to(a, GAMMA), 1300);
        /* below min_pmtu (552): raised to it and locked */
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 500), 0);
        res = route_to(a, GAMMA);
        CHECK_EQ(rt_mtu(&res), 552);
        CHECK(res.mtu_locked);
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 400), 0);
        CHECK_EQ(mtu_to(a, GAMMA), 552);
        /* a locked MTU also binds forwarded packets; others do not */
        /* expiry: 600 s after it was learned */
        run(&lab, 599 * SEC);
        CHECK_EQ(mtu_to(a, GAMMA), 552);
        run(&lab, 2 * SEC);
        CHECK_EQ(mtu_to(a, GAMMA), 1500);
        /* the sysctls: a shorter life, a lower floor */
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.route.mtu_expires", "10"), 0);
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.route.min_pmtu", "300"), 0);
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.route.min_pmtu", "67"), -EINVAL);
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 400), 0);
        res = route_to(a, GAMMA);
        CHECK_EQ(rt_mtu(&res), 400);
        CHECK(!res.mtu_locked);
        run(&lab, 11 * SEC);
        CHECK_EQ(mtu_to(a, GAMMA), 1500);
        /* ip route flush cache */
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 1000), 0);
        CHECK_EQ(mtu_to(a, GAMMA), 1000);
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.route.flush", "-1"), 0);
        CHECK_EQ(mtu_to(a, GAMMA), 1500);
        /* local destinations learn nothing */
        CHECK_EQ(ip_rt_update_pmtu(net, 0x0a000001u, 0, 0, 0, 0, 1000), -EINVAL);
        CHECK_EQ(mtu_to(a, 0x0a000001u), 65536);
        /* an exception dies with its route (the leak check sees it) */
        CHECK_EQ(ip_rt_update_pmtu(net, GAMMA, 0, 0, 0, 0, 1000), 0);
        struct fib_route m = { .dst = 0, .plen = 0 };
        CHECK_EQ(fib_table_delete(ipv4_of(net)->main, &m), 0);
        CHECK_EQ(strata_route_add(a, "default", "10.0.0.2", NULL), 0);
        CHECK_EQ(mtu_to(a, GAMMA), 1500);
        lab_down(&lab);
}

static void count_exc(const struct fib_route *r, const struct rt_exception *x, void *c)
{
        (*(unsigned *)c)++;
}

/* A flood of messages about random destinations takes bounded room: at
 * most five per hash chain, the least recently updated giving way. */
static void exceptions_are_bounded(void)
{
        struct lab lab;
        lab_up(&lab);
        struct net *net = lab.ns[0]->net;
        for (uint32_t i = 0; i < 20000; i++)
                CHECK_EQ(ip_rt_update_pmtu(net, 0x0b000000u + i * 7919u, 0, 0, 0, 0, 1200), 0);
        unsigned n = 0;
        fnhe_for_each(net, ipv4_of(net)->main, count_exc, &n);
        CHECK(n <= 256 * 5);
        CHECK(n >= 256 * 4);
        CHECK_EQ(mtu_to(lab.ns[0], 0x0b000000u + 19999u * 7919u), 1200); /* the newest stays */
        lab_down(&lab);
}

/* UDP: IP_PMTUDISC_DO hears EMSGSIZE and is then refused locally; IP_MTU
 * gives the path's; WANT (the default) is fragmented by alpha itself. */
static void udp_learns_and_fragments_at_the_source(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[0], *g = lab.ns[2];
        int rfd = strata_socket(g, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in any = sin_of(0, 9000), to = sin_of(GAMMA, 9000);
        CHECK_EQ(strata_bind(g, rfd, (struct sockaddr *)&any, sizeof(any)), 0);
        int fd = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        int v = IP_PMTUDISC_DO;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), 0);
        CHECK_EQ(strata_connect(a, fd, (struct sockaddr *)&to, sizeof(to)), 0);
        static uint8_t buf[1400], in[2048];
        memset(buf, 0x5a, sizeof(buf));
        CHECK_EQ(strata_send(a, fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
        run(&lab, SEC);
        CHECK_EQ(ctr(lab.ns[1], "Ip.FragFails"), 1);
        CHECK_EQ(ctr(a, "Icmp.InDestUnreachs"), 1);
        int mtu = 0;
        socklen_t ml = sizeof(mtu);
        CHECK_EQ(strata_getsockopt(a, fd, IPPROTO_IP, IP_MTU, &mtu, &ml), 0);
        CHECK_EQ(mtu, 1000);
        /* the error first (a connected DO socket: hard), then the refusal */
        CHECK_EQ(strata_send(a, fd, buf, sizeof(buf), 0), -EMSGSIZE);
        CHECK_EQ(strata_send(a, fd, buf, sizeof(buf), 0), -EMSGSIZE);
        CHECK_EQ(strata_send(a, fd, buf, 972, 0), 972); /* 1000 with headers */
        run(&lab, SEC);
        CHECK_EQ(strata_recv(g, rfd, in, sizeof(in), MSG_DONTWAIT), 972);
        /* WANT: alpha cuts it, the router forwards two pieces untouched */
        v = IP_PMTUDISC_WANT;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), 0);
        CHECK_EQ(strata_send(a, fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
        run(&lab, SEC);
        CHECK_EQ(ctr(a, "Ip.FragCreates"), 2);
        CHECK_EQ(ctr(lab.ns[1], "Ip.FragCreates"), 0);
        CHECK_EQ(strata_recv(g, rfd, in, sizeof(in), MSG_DONTWAIT), (ssize_t)sizeof(buf));
        CHECK_MEM(in, buf, sizeof(buf));
        CHECK_EQ(strata_close(a, fd), 0);
        CHECK_EQ(strata_close(g, rfd), 0);
        lab_down(&lab);
}

/* TCP: the first full-sized segments die at the router; the connection
 * takes the MSS the path allows (1000 - 40 - 12 of timestamps), resends
 * cut to it, and 200 KB arrive byte-exact. */
static void tcp_lowers_mss_and_delivers(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[0], *g = lab.ns[2];
        int l = strata_socket(g, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in any = sin_of(0, 8080), to = sin_of(GAMMA, 8080);
        CHECK_EQ(strata_bind(g, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(g, l, 4), 0);
        int c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&to, sizeof(to)), 0);
        int s = strata_accept(g, l, NULL, NULL);
        CHECK(s >= 0);
        int mss = 0;
        socklen_t ml = sizeof(mss);
        CHECK_EQ(strata_getsockopt(a, c, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
        CHECK_EQ(mss, 1448);
        enum { N = 200000 };
        static uint8_t out[N], in[N];
        for (int i = 0; i < N; i++)
                out[i] = (uint8_t)(i * 13 + (i >> 9));
        size_t sent = 0, got = 0;
        uint64_t start = strata_clock_now(lab.clock);
        while (got < N) {
                if (sent < N) {
                        ssize_t n = strata_send(a, c, out + sent, N - sent, MSG_DONTWAIT);
                        if (n > 0)
                                sent += (size_t)n;
                        else
                                CHECK_EQ(n, -EAGAIN);
                }
                ssize_t r = strata_recv(g, s, in + got, N - got, 0);
                CHECK(r > 0);
                got += (size_t)r;
        }
        CHECK_MEM(in, out, N);
        CHECK_EQ(strata_getsockopt(a, c, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
        CHECK_EQ(mss, 1000 - 40 - 12);
        CHECK_EQ(mtu_to(a, GAMMA), 1000);
        CHECK(ctr(lab.ns[1], "Ip.FragFails") >= 1);
        /* recovered by resending at once, not by retransmission timeouts */
        CHECK_EQ(ctr(a, "TcpExt.TCPTimeouts"), 0);
        CHECK(strata_clock_now(lab.clock) - start < 2 * SEC);
        /* a new connection starts with the learned path: MSS 960 offered */
        int c2 = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_connect(a, c2, (struct sockaddr *)&to, sizeof(to)), 0);
        int s2 = strata_accept(g, l, NULL, NULL);
        CHECK(s2 >= 0);
        CHECK_EQ(strata_getsockopt(a, c2, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
        CHECK_EQ(mss, 1000 - 40 - 12);
        CHECK_EQ(strata_close(a, c2), 0);
        CHECK_EQ(strata_close(g, s2), 0);
        CHECK_EQ(strata_close(a, c), 0);
        CHECK_EQ(strata_close(g, s), 0);
        CHECK_EQ(strata_close(g, l), 0);
        lab_down(&lab);
}

/* --- what ip route get and ip route show cache receive ------------------- */

struct nl_replies {
        uint8_t buf[1 << 16];
        size_t len;
};

static int nl_collect(const void *d, size_t len, void *ctx)
{
        struct nl_replies *r = ctx;
        if (r->len + len > sizeof(r->buf))
                return -ENOBUFS;
        memcpy(r->buf + r->len, d, len);
        r->len += len;
        return 0;
}

/* RTM_GETROUTE for GAMMA (dump: the RTM_F_CLONED dump) into r. */
static void nl_getroute(struct strata_net *sn, bool dump, struct nl_replies *r)
{
        uint8_t q[64] = { 0 };
        uint32_t len = 16 + RTMSG_LEN + (dump ? 0 : 8);
        uint16_t type = RTM_GETROUTE_, flags = NLM_F_REQUEST_ | (dump ? NLM_F_DUMP_ : 0);
        memcpy(q, &len, 4);
        memcpy(q + 4, &type, 2);
        memcpy(q + 6, &flags, 2);
        q[16] = AF_INET_;
        q[17] = dump ? 0 : 32;
        uint32_t rflags = dump ? RTM_F_CLONED_ : 0;
        memcpy(q + 24, &rflags, 4);
        if (!dump) {
                uint16_t alen = 8, atype = RTA_DST_;
                memcpy(q + 28, &alen, 2);
                memcpy(q + 30, &atype, 2);
                put_be32(q + 32, GAMMA);
        }
        memset(r, 0, sizeof(*r));
        struct strata_ctl_client c = { .portid = 7, .protocol = 0, .uid = 0 };
        CHECK_EQ(strata_ctl_handle(sn, &c, q, len, nl_collect, r), 0);
}

/* The first RTM_NEWROUTE's mtu metric, lock bit and rta_expires (-1: none). */
static void nl_exception(const struct nl_replies *r, long *mtu, long *lock, long *expires)
{
        size_t off = 0;
        struct nl_msg m;
        *mtu = *lock = *expires = -1;
        while (nlmsg_next(r->buf, r->len, &off, &m) == 1) {
                if (m.type != 24 /* RTM_NEWROUTE */)
                        continue;
                CHECK(nl_rd32(m.payload + 8) & RTM_F_CLONED_);
                struct nl_attr tb[RTA_MAX_ + 1];
                CHECK_EQ(nla_parse(tb, RTA_MAX_, m.payload + RTMSG_LEN, m.payload_len - RTMSG_LEN),
                         0);
                if (tb[RTA_METRICS_].data) {
                        struct nl_attr mx[8];
                        CHECK_EQ(nla_parse(mx, 7, tb[RTA_METRICS_].data, tb[RTA_METRICS_].len), 0);
                        *mtu = mx[2].data ? (long)nl_rd32(mx[2].data) : -1;
                        *lock = mx[1].data ? (long)nl_rd32(mx[1].data) : 0;
                }
                CHECK(tb[RTA_CACHEINFO_].data && tb[RTA_CACHEINFO_].len == 32);
                *expires = (long)nl_rd32(tb[RTA_CACHEINFO_].data + 8);
                return;
        }
        TEST_FAIL("no RTM_NEWROUTE");
}

/* ip route get: RTA_METRICS (mtu, lock) and rta_expires in clock_t;
 * ip route show cache: the exception once a lookup used it, none after a
 * flush until it is met again, then bare. */
static void exceptions_over_netlink(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[0];
        static struct nl_replies r;
        long mtu, lock, expires;
        nl_getroute(a, false, &r);
        nl_exception(&r, &mtu, &lock, &expires);
        CHECK_EQ(mtu, -1);
        CHECK_EQ(expires, 0);
        nl_getroute(a, true, &r);
        CHECK_EQ(r.len > 0, 1);
        CHECK_EQ(ip_rt_update_pmtu(a->net, GAMMA, 0, 0, 0, 0, 1300), 0);
        nl_getroute(a, false, &r);
        nl_exception(&r, &mtu, &lock, &expires);
        CHECK_EQ(mtu, 1300);
        CHECK_EQ(lock, 0);
        CHECK_EQ(expires, 60000); /* 600 s in USER_HZ */
        run(&lab, 1500 * NSEC_PER_MSEC);
        nl_getroute(a, false, &r);
        nl_exception(&r, &mtu, &lock, &expires);
        CHECK_EQ(expires, 59850);
        CHECK_EQ(ip_rt_update_pmtu(a->net, GAMMA, 0, 0, 0, 0, 300), 0);
        nl_getroute(a, false, &r);
        nl_exception(&r, &mtu, &lock, &expires);
        CHECK_EQ(mtu, 552);
        CHECK_EQ(lock, 1 << 2); /* 1 << RTAX_MTU */
        nl_getroute(a, true, &r);
        nl_exception(&r, &mtu, &lock, &expires);
        CHECK_EQ(mtu, 552);
        /* the flush: not listed; met again, it is empty and listed bare */
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.route.flush", "-1"), 0);
        nl_getroute(a, true, &r);
        size_t off = 0;
        struct nl_msg m;
        int routes = 0;
        while (nlmsg_next(r.buf, r.len, &off, &m) == 1)
                routes += m.type == 24;
        CHECK_EQ(routes, 0);
        CHECK_EQ(mtu_to(a, GAMMA), 1500);
        nl_getroute(a, true, &r);
        nl_exception(&r, &mtu, &lock, &expires);
        CHECK_EQ(mtu, -1);
        CHECK_EQ(expires, 0);
        lab_down(&lab);
}

/* net.ipv4.ip_no_pmtu_disc: new sockets are WANT (0) or DONT (else); a
 * "fragmentation needed" about a UDP datagram lowers the path as said
 * (0), to min_pmtu locked (1: no MTU passed on), not at all (2, and 3 for
 * protocols that cannot verify it). */
static void no_pmtu_disc_modes(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[0];
        struct sockaddr_in to = sin_of(GAMMA, 9000);
        static uint8_t buf[1400];
        int v = 0;
        socklen_t vl = sizeof(v);
        int fd = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        CHECK_EQ(strata_getsockopt(a, fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, &vl), 0);
        CHECK_EQ(v, IP_PMTUDISC_WANT); /* inet_create's default */
        CHECK_EQ(strata_close(a, fd), 0);
        static const struct {
                const char *mode;
                unsigned mtu; /* alpha's path MTU to gamma afterwards */
        } cases[] = { { "2", 1500 }, { "3", 1500 }, { "1", 552 }, { "0", 1000 } };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                CHECK_EQ(strata_sysctl_set(a, "net.ipv4.ip_no_pmtu_disc", cases[i].mode), 0);
                CHECK_EQ(strata_sysctl_set(a, "net.ipv4.route.flush", "-1"), 0);
                fd = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
                vl = sizeof(v);
                CHECK_EQ(strata_getsockopt(a, fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, &vl), 0);
                CHECK_EQ(v, cases[i].mode[0] == '0' ? IP_PMTUDISC_WANT : IP_PMTUDISC_DONT);
                v = IP_PMTUDISC_DO; /* DF, so that the router answers */
                CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), 0);
                CHECK_EQ(
                    strata_sendto(a, fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)),
                    (ssize_t)sizeof(buf));
                run(&lab, SEC);
                CHECK_EQ(ctr(a, "Icmp.InDestUnreachs"), i + 1);
                struct rt_result res = route_to(a, GAMMA);
                CHECK_EQ(rt_mtu(&res), cases[i].mtu);
                CHECK_EQ(res.mtu_locked, cases[i].mtu == 552);
                CHECK_EQ(strata_close(a, fd), 0);
        }
        lab_down(&lab);
}

TEST_MAIN(T(exceptions_over_netlink), T(no_pmtu_disc_modes),
          T(exception_lowers_locks_expires_and_flushes), T(exceptions_are_bounded),
          T(udp_learns_and_fragments_at_the_source), T(tcp_lowers_mss_and_delivers))
