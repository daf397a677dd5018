/*
 * rtnetlink notifications: what a listener of the multicast groups hears
 * when another client changes the namespace.
 *
 * First without sockets (strata_ctl_notify_start): each change made over
 * rtnetlink -- an address, a route, a neighbour, an MTU -- arrives as one
 * datagram of one message, in its group, pid 0 and seq 0, in the kernel's
 * order (the address before the routes it brings).  Then through the
 * socket server: a client subscribed with GROUPS to RTNLGRP_IPV4_IFADDR
 * gets exactly the address messages, one subscribed to nothing gets none,
 * and the requester gets its ACK as before.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "ctl/nlmsg.h"
#include "strata/ctl.h"
#include "strata/strata.h"

#define MAX_EVENTS 64

struct heard {
        int n;
        unsigned group[MAX_EVENTS];
        uint16_t type[MAX_EVENTS];
        uint16_t flags[MAX_EVENTS];
        uint32_t pid[MAX_EVENTS], seq[MAX_EVENTS];
        int msgs[MAX_EVENTS]; /* messages in the datagram */
};

static void listen_fn(unsigned group, const void *d, size_t len, void *ctx)
{
        struct heard *h = ctx;
        if (h->n == MAX_EVENTS)
                return;
        size_t off = 0;
        struct nl_msg m;
        int k = h->n++;
        h->group[k] = group;
        while (nlmsg_next(d, len, &off, &m) == 1) {
                if (!h->msgs[k]) {
                        h->type[k] = m.type;
                        h->flags[k] = m.flags;
                        h->pid[k] = m.pid;
                        h->seq[k] = m.seq;
                }
                h->msgs[k]++;
        }
}

struct req {
        uint8_t b[512];
        size_t len;
};

static void req_init(struct req *q, uint16_t type, uint16_t flags, const void *hdr, size_t hlen)
{
        memset(q, 0, sizeof(*q));
        struct nlmsghdr h = { .nlmsg_type = type,
                              .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags),
                              .nlmsg_seq = 9 };
        memcpy(q->b, &h, sizeof(h));
        memcpy(q->b + 16, hdr, hlen);
        q->len = NLMSG_ALIGN(16 + hlen);
}

static void req_attr(struct req *q, uint16_t type, const void *d, size_t n)
{
        struct nlattr a = { .nla_len = (uint16_t)(4 + n), .nla_type = type };
        memcpy(q->b + q->len, &a, 4);
        memcpy(q->b + q->len + 4, d, n);
        q->len += NLA_ALIGN(4 + n);
        uint32_t len = (uint32_t)q->len;
        memcpy(q->b, &len, 4);
}

/* ip addr add 10.1.0.1/24 dev IFINDEX (no brd) */
static void req_addr(struct req *q, uint16_t type, int ifindex)
{
        struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24,
                                 .ifa_index = (unsigned)ifindex };
        req_init(q, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, &ifa, sizeof(ifa));
        uint8_t a[4] = { 10, 1, 0, 1 };
        req_attr(q, IFA_LOCAL, a, 4);
        req_attr(q, IFA_ADDRESS, a, 4);
}

/* ip route add/del 10.20.0.0/16 via 10.1.0.2 */
static void req_route(struct req *q, uint16_t type)
{
        struct rtmsg rt = { .rtm_family = AF_INET, .rtm_dst_len = 16, .rtm_table = RT_TABLE_MAIN,
                            .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
                            .rtm_type = RTN_UNICAST };
        if (type == RTM_DELROUTE)
                rt.rtm_protocol = 0, rt.rtm_scope = RT_SCOPE_NOWHERE;
        req_init(q, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0, &rt, sizeof(rt));
        uint8_t dst[4] = { 10, 20, 0, 0 }, gw[4] = { 10, 1, 0, 2 };
        req_attr(q, RTA_DST, dst, 4);
        if (type == RTM_NEWROUTE)
                req_attr(q, RTA_GATEWAY, gw, 4);
}

static int acked;

static int ack_fn(const void *d, size_t len, void *ctx)
{
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(d, len, &off, &m) == 1)
                if (m.type == NLMSG_ERROR && nl_rd32(m.payload) == 0)
                        acked++;
        return 0;
}

static void handle(struct strata_net *ns, struct req *q)
{
        struct strata_ctl_client c = { .portid = 77, .protocol = 0 };
        acked = 0;
        CHECK_EQ(strata_ctl_handle(ns, &c, q->b, q->len, ack_fn, NULL), 0);
        CHECK_EQ(acked, 1);
}

static void check_common(const struct heard *h)
{
        for (int i = 0; i < h->n; i++) {
                CHECK_EQ(h->msgs[i], 1);
                CHECK_EQ(h->pid[i], 0);
                CHECK_EQ(h->seq[i], 0);
                CHECK_EQ(h->flags[i], 0);
        }
}

static void test_notify_events(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *ns;
        CHECK_EQ(strata_net_new("t", clk, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "va", ns, "vb"), 0);
        CHECK_EQ(strata_link_set_up(ns, "va", true), 0);
        static struct heard h;
        memset(&h, 0, sizeof(h));
        CHECK_EQ(strata_ctl_notify_start(ns, listen_fn, &h), 0);
        CHECK_EQ(strata_ctl_notify_start(ns, listen_fn, &h), -EBUSY);

        struct req q;
        req_addr(&q, RTM_NEWADDR, 2);
        handle(ns, &q);
        /* the address, then its routes: local, prefix, network broadcast */
        CHECK_EQ(h.n, 4);
        CHECK_EQ(h.group[0], RTNLGRP_IPV4_IFADDR);
        CHECK_EQ(h.type[0], RTM_NEWADDR);
        for (int i = 1; i < 4; i++) {
                CHECK_EQ(h.group[i], RTNLGRP_IPV4_ROUTE);
                CHECK_EQ(h.type[i], RTM_NEWROUTE);
        }
        check_common(&h);

        memset(&h, 0, sizeof(h));
        req_route(&q, RTM_NEWROUTE);
        handle(ns, &q);
        req_route(&q, RTM_DELROUTE);
        handle(ns, &q);
        CHECK_EQ(h.n, 2);
        CHECK_EQ(h.type[0], RTM_NEWROUTE);
        CHECK_EQ(h.type[1], RTM_DELROUTE);
        CHECK_EQ(h.group[1], RTNLGRP_IPV4_ROUTE);
        check_common(&h);

        memset(&h, 0, sizeof(h));
        struct ndmsg nd = { .ndm_family = AF_INET, .ndm_ifindex = 2, .ndm_state = NUD_PERMANENT };
        req_init(&q, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, &nd, sizeof(nd));
        uint8_t ip[4] = { 10, 1, 0, 5 }, mac[6] = { 2, 0, 0, 0, 0, 5 };
        req_attr(&q, NDA_DST, ip, 4);
        req_attr(&q, NDA_LLADDR, mac, 6);
        handle(ns, &q);
        req_init(&q, RTM_DELNEIGH, 0, &nd, sizeof(nd));
        req_attr(&q, NDA_DST, ip, 4);
        handle(ns, &q);
        /* added; FAILED then gone, as the kernel deletes */
        CHECK_EQ(h.n, 3);
        CHECK_EQ(h.group[0], RTNLGRP_NEIGH);
        CHECK_EQ(h.type[0], RTM_NEWNEIGH);
        CHECK_EQ(h.type[1], RTM_NEWNEIGH);
        CHECK_EQ(h.type[2], RTM_DELNEIGH);
        check_common(&h);

        memset(&h, 0, sizeof(h));
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 2 };
        req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        uint32_t mtu = 1400;
        req_attr(&q, IFLA_MTU, &mtu, 4);
        handle(ns, &q);
        CHECK_EQ(h.n, 1);
        CHECK_EQ(h.group[0], RTNLGRP_LINK);
        CHECK_EQ(h.type[0], RTM_NEWLINK);
        check_common(&h);

        memset(&h, 0, sizeof(h));
        req_addr(&q, RTM_DELADDR, 2);
        handle(ns, &q);
        CHECK(h.n >= 1);
        CHECK_EQ(h.type[0], RTM_DELADDR);
        for (int i = 1; i < h.n; i++)
                CHECK_EQ(h.type[i], RTM_DELROUTE);

        strata_ctl_notify_stop(ns);
        memset(&h, 0, sizeof(h));
        req_addr(&q, RTM_NEWADDR, 2);
        handle(ns, &q);
        CHECK_EQ(h.n, 0);
        strata_net_free(ns);
        strata_clock_free(clk);
}

/* --- through the socket server ------------------------------------------ */

struct srv {
        struct strata_ctl_server *s;
        int stop;
};

static void *srv_main(void *arg)
{
        struct srv *v = arg;
        strata_ctl_server_run(v->s, v->stop);
        return NULL;
}

static void send_groups(int fd, uint64_t groups)
{
        uint8_t h[24] = { 0 };
        uint32_t len = 24, lo = (uint32_t)groups, hi = (uint32_t)(groups >> 32);
        uint16_t type = STRATA_CTL_GROUPS;
        memcpy(h, &len, 4);
        memcpy(h + 4, &type, 2);
        memcpy(h + 16, &lo, 4);
        memcpy(h + 20, &hi, 4);
        CHECK_EQ(send(fd, h, sizeof(h), 0), 24);
}

/* Every datagram fd receives within ms: their first message types. */
static int drain(int fd, uint16_t *types, int cap, int ms)
{
        int n = 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint8_t buf[8192];
        while (poll(&p, 1, ms) == 1) {
                ssize_t r = recv(fd, buf, sizeof(buf), 0);
                if (r < 16)
                        break;
                CHECK_EQ(nl_rd32(buf + 8), 0);  /* seq */
                CHECK_EQ(nl_rd32(buf + 12), 0); /* pid */
                if (n < cap)
                        types[n] = nl_rd16(buf + 4);
                n++;
        }
        return n;
}

static int count_acks(const void *msg, size_t len, void *ctx)
{
        const uint8_t *m = msg;
        if (nl_rd16(m + 4) == NLMSG_ERROR && nl_rd32(m + 16) == 0)
                ++*(int *)ctx;
        return 0;
}

static void test_server_groups(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *ns;
        CHECK_EQ(strata_net_new("t", clk, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "va", ns, "vb"), 0);
        CHECK_EQ(strata_link_set_up(ns, "va", true), 0);
        char path[64];
        snprintf(path, sizeof(path), "/tmp/strata-notify-%d.sock", (int)getpid());
        struct srv v = { .stop = eventfd(0, EFD_CLOEXEC) };
        CHECK_EQ(strata_ctl_server_new(ns, path, &v.s), 0);
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, srv_main, &v), 0);

        int addr_l = strata_ctl_connect(path, 0, 100);
        int none_l = strata_ctl_connect(path, 0, 101);
        int link_l = strata_ctl_connect(path, 0, 102);
        int actor = strata_ctl_connect(path, 0, 103);
        CHECK(addr_l >= 0 && none_l >= 0 && link_l >= 0 && actor >= 0);
        send_groups(addr_l, 1ull << (RTNLGRP_IPV4_IFADDR - 1));
        send_groups(link_l, 1ull << (RTNLGRP_LINK - 1));
        send_groups(none_l, 0);

        struct req q;
        req_addr(&q, RTM_NEWADDR, 2);
        int acks = 0;
        CHECK_EQ(strata_ctl_request(actor, q.b, q.len, count_acks, &acks), 0);
        req_route(&q, RTM_NEWROUTE);
        CHECK_EQ(strata_ctl_request(actor, q.b, q.len, count_acks, &acks), 0);
        req_addr(&q, RTM_DELADDR, 2);
        CHECK_EQ(strata_ctl_request(actor, q.b, q.len, count_acks, &acks), 0);
        CHECK_EQ(acks, 3);

        uint16_t t[8];
        CHECK_EQ(drain(addr_l, t, 8, 200), 2);
        CHECK_EQ(t[0], RTM_NEWADDR);
        CHECK_EQ(t[1], RTM_DELADDR);
        CHECK_EQ(drain(none_l, t, 8, 50), 0);
        CHECK_EQ(drain(link_l, t, 8, 50), 0);

        uint64_t one = 1;
        CHECK_EQ(write(v.stop, &one, sizeof(one)), 8);
        pthread_join(th, NULL);
        close(addr_l);
        close(none_l);
        close(link_l);
        close(actor);
        strata_ctl_server_free(v.s);
        close(v.stop);
        /* the server let go of the namespace: a new listener may start */
        static struct heard h;
        CHECK_EQ(strata_ctl_notify_start(ns, listen_fn, &h), 0);
        strata_ctl_notify_stop(ns);
        strata_net_free(ns);
        strata_clock_free(clk);
}

TEST_MAIN(T(test_notify_events), T(test_server_groups))
