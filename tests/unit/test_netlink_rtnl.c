/*
 * The rtnetlink server end to end, without sockets: requests built as
 * iproute2 builds them go through strata_ctl_handle on a namespace with a
 * simulated clock, and the replies are checked field by field -- the probe
 * answered -ENODEV, links with the attributes `ip` needs, a veth pair made
 * by `ip link add`, addresses (secondary, labels), routes (dump order,
 * add/del, `ip route get`), neighbours, sysctls through the private family,
 * every reply stamped with the client's port id, malformed requests
 * answered with the kernel's errno, multipath routes (RTA_MULTIPATH).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/if.h>
#include <string.h>

#include "../test.h"
#include "ctl/nlmsg.h"
#include "strata/ctl.h"
#include "strata/strata.h"

#define PORTID 31337u

/* Replies of one request, flattened: every message in order. */
struct replies {
        uint8_t buf[1 << 18];
        size_t len;
        int dgrams;
};

static int collect(const void *d, size_t len, void *ctx)
{
        struct replies *r = ctx;
        if (r->len + len > sizeof(r->buf))
                return -ENOBUFS;
        memcpy(r->buf + r->len, d, len);
        r->len += len;
        r->dgrams++;
        return 0;
}

/* A request under construction. */
struct req {
        uint8_t b[4096];
        size_t len;
};

static void req_init(struct req *q, uint16_t type, uint16_t flags, const void *hdr, size_t hlen)
{
        memset(q, 0, sizeof(*q));
        struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = 77 };
        memcpy(q->b, &h, sizeof(h));
        if (hlen)
                memcpy(q->b + 16, hdr, hlen);
        q->len = NLMSG_ALIGN(16 + hlen);
}

static size_t req_attr(struct req *q, uint16_t type, const void *d, size_t n)
{
        struct nlattr a = { .nla_len = (uint16_t)(4 + n), .nla_type = type };
        size_t at = q->len;
        memcpy(q->b + q->len, &a, 4);
        if (n)
                memcpy(q->b + q->len + 4, d, n);
        q->len += NLA_ALIGN(4 + n);
        return at;
}

static void req_nest_end(struct req *q, size_t at)
{
        uint16_t n = (uint16_t)(q->len - at);
        memcpy(q->b + at, &n, 2);
}

static struct strata_net *ns;
static struct strata_clock *clk;

static void send_req(struct req *q, struct replies *r, int protocol)
{
        uint32_t len = (uint32_t)q->len;
        memcpy(q->b, &len, 4);
        memset(r, 0, sizeof(*r));
        struct strata_ctl_client c = { .portid = PORTID, .protocol = protocol, .uid = 0 };
        CHECK_EQ(strata_ctl_handle(ns, &c, q->b, q->len, collect, r), 0);
}

/* The error code of the (only / first) NLMSG_ERROR in r; 1 if none. */
static int reply_errno(const struct replies *r)
{
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(r->buf, r->len, &off, &m) == 1) {
                CHECK_EQ(m.pid, PORTID);
                if (m.type == NLMSG_ERROR)
                        return (int32_t)nl_rd32(m.payload);
        }
        return 1;
}

/* Messages of type t in r, with NLMSG_DONE at the end when dump. */
static int count_type(const struct replies *r, uint16_t t, bool dump)
{
        size_t off = 0;
        struct nl_msg m;
        int n = 0;
        bool done = false;
        while (nlmsg_next(r->buf, r->len, &off, &m) == 1) {
                CHECK_EQ(m.pid, PORTID);
                CHECK_EQ(m.seq, 77);
                if (m.type == t) {
                        CHECK(!done);
                        CHECK_EQ(!!(m.flags & NLM_F_MULTI), dump);
                        n++;
                }
                if (m.type == NLMSG_DONE)
                        done = true;
        }
        CHECK_EQ(done, dump);
        return n;
}

static void setup(void)
{
        clk = strata_clock_new(true);
        CHECK_EQ(strata_net_new("t", clk, 1, &ns), 0);
}

static void teardown(void)
{
        strata_net_free(ns);
        strata_clock_free(clk);
}

static int do_link(uint16_t type, uint16_t flags, int ifindex, unsigned ifflags, unsigned change,
                   const char *name, struct replies *r)
{
        struct ifinfomsg ifi = { .ifi_index = ifindex, .ifi_flags = ifflags, .ifi_change = change };
        struct req q;
        req_init(&q, type, flags, &ifi, sizeof(ifi));
        if (name)
                req_attr(&q, IFLA_IFNAME, name, strlen(name) + 1);
        send_req(&q, r, 0);
        return reply_errno(r);
}

static void probe_gets_enodev_and_links_dump(void)
{
        setup();
        static struct replies r;
        CHECK_EQ(do_link(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 0, 0, 0, NULL, &r), -ENODEV);
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0, 0, 0, NULL, &r), 1);
        CHECK_EQ(count_type(&r, RTM_NEWLINK, true), 1);
        /* lo by name, with what `ip link` prints */
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST, 0, 0, 0, "lo", &r), 1);
        size_t off = 0;
        struct nl_msg m;
        CHECK_EQ(nlmsg_next(r.buf, r.len, &off, &m), 1);
        CHECK_EQ(m.type, RTM_NEWLINK);
        struct ifinfomsg ifi;
        memcpy(&ifi, m.payload, sizeof(ifi));
        CHECK_EQ(ifi.ifi_index, 1);
        CHECK_EQ(ifi.ifi_flags, IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP);
        struct nl_attr tb[IFLA_MAX + 1];
        CHECK_EQ(nla_parse(tb, IFLA_MAX, m.payload + 16, m.payload_len - 16), 0);
        CHECK_STR((const char *)tb[IFLA_IFNAME].data, "lo");
        CHECK_EQ(nl_rd32(tb[IFLA_TXQLEN].data), 1000);
        CHECK_EQ(nl_rd32(tb[IFLA_MTU].data), 65536);
        CHECK_EQ(tb[IFLA_OPERSTATE].data[0], IF_OPER_UNKNOWN);
        CHECK_STR((const char *)tb[IFLA_QDISC].data, "noqueue");
        CHECK_EQ(tb[IFLA_STATS64].len, 200);
        CHECK_EQ(tb[IFLA_STATS].len, 96);
        CHECK_EQ(tb[IFLA_ADDRESS].len, 6);
        CHECK(tb[IFLA_GROUP].data && tb[IFLA_PROMISCUITY].data && tb[IFLA_NUM_TX_QUEUES].data);
        CHECK(!tb[IFLA_LINK].data);
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST, 0, 0, 0, "nope0", &r), -ENODEV);
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST, 99, 0, 0, NULL, &r), -ENODEV);
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST, 0, 0, 0, NULL, &r), -EINVAL);
        teardown();
}

static void ip_link_add_veth_set_and_del(void)
{
        setup();
        static struct replies r;
        struct ifinfomsg ifi = { 0 };
        struct req q;
        req_init(&q, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifi,
                 sizeof(ifi));
        req_attr(&q, IFLA_IFNAME, "va", 3);
        size_t li = req_attr(&q, IFLA_LINKINFO, NULL, 0);
        req_attr(&q, IFLA_INFO_KIND, "veth", 5);
        size_t data = req_attr(&q, IFLA_INFO_DATA, NULL, 0);
        size_t peer = req_attr(&q, VETH_INFO_PEER, &ifi, sizeof(ifi));
        req_attr(&q, IFLA_IFNAME, "vb", 3);
        req_nest_end(&q, peer);
        req_nest_end(&q, data);
        req_nest_end(&q, li);
        struct req again = q;
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        send_req(&again, &r, 0);
        CHECK_EQ(reply_errno(&r), -EEXIST);
        /* the peer was registered first, as in the kernel */
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST, 0, 0, 0, "vb", &r), 1);
        size_t off = 0;
        struct nl_msg m;
        CHECK_EQ(nlmsg_next(r.buf, r.len, &off, &m), 1);
        memcpy(&ifi, m.payload, sizeof(ifi));
        CHECK_EQ(ifi.ifi_index, 2);
        struct nl_attr tb[IFLA_MAX + 1];
        CHECK_EQ(nla_parse(tb, IFLA_MAX, m.payload + 16, m.payload_len - 16), 0);
        CHECK_EQ(nl_rd32(tb[IFLA_LINK].data), 3);
        CHECK_STR((const char *)tb[IFLA_QDISC].data, "noop");
        CHECK_EQ(tb[IFLA_OPERSTATE].data[0], IF_OPER_DOWN);
        /* ip link set va up: no carrier while vb is down */
        CHECK_EQ(do_link(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 0, IFF_UP, IFF_UP, "va", &r), 0);
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST, 3, 0, 0, NULL, &r), 1);
        off = 0;
        CHECK_EQ(nlmsg_next(r.buf, r.len, &off, &m), 1);
        CHECK_EQ(nla_parse(tb, IFLA_MAX, m.payload + 16, m.payload_len - 16), 0);
        CHECK_EQ(tb[IFLA_OPERSTATE].data[0], IF_OPER_LOWERLAYERDOWN);
        memcpy(&ifi, m.payload, sizeof(ifi));
        CHECK_EQ(ifi.ifi_flags, IFF_UP | IFF_BROADCAST | IFF_MULTICAST);
        /* mtu, txqueuelen */
        ifi = (struct ifinfomsg){ .ifi_index = 3 };
        req_init(&q, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof(ifi));
        uint32_t mtu = 9000, qlen = 50;
        req_attr(&q, IFLA_MTU, &mtu, 4);
        req_attr(&q, IFLA_TXQLEN, &qlen, 4);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        mtu = 20;
        req_init(&q, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof(ifi));
        req_attr(&q, IFLA_MTU, &mtu, 4);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -EINVAL);
        /* unsupported: a message, not silence */
        CHECK_EQ(
            do_link(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 3, IFF_PROMISC, IFF_PROMISC, NULL, &r),
            -EOPNOTSUPP);
        CHECK_EQ(do_link(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 0, 0, 0, "lo", &r), -EOPNOTSUPP);
        CHECK_EQ(do_link(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 0, 0, 0, "va", &r), 0);
        CHECK_EQ(do_link(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0, 0, 0, NULL, &r), 1);
        CHECK_EQ(count_type(&r, RTM_NEWLINK, true), 1); /* vb went with va */
        teardown();
}

static int do_addr(uint16_t type, uint16_t flags, int ifindex, const char *a, uint8_t plen,
                   const char *label, struct replies *r)
{
        struct ifaddrmsg h = { .ifa_family = AF_INET,
                               .ifa_prefixlen = plen,
                               .ifa_index = (uint32_t)ifindex };
        struct req q;
        req_init(&q, type, flags, &h, sizeof(h));
        uint8_t b[4];
        sscanf(a, "%hhu.%hhu.%hhu.%hhu", &b[0], &b[1], &b[2], &b[3]);
        req_attr(&q, IFA_LOCAL, b, 4);
        req_attr(&q, IFA_ADDRESS, b, 4);
        if (label)
                req_attr(&q, IFA_LABEL, label, strlen(label) + 1);
        send_req(&q, r, 0);
        return reply_errno(r);
}

static void addresses_routes_and_route_get(void)
{
        setup();
        static struct replies r;
        CHECK_EQ(strata_veth_add(ns, "v0", ns, "v1"), 0);
        CHECK_EQ(strata_link_set_up(ns, "v0", true), 0);
        CHECK_EQ(strata_link_set_up(ns, "v1", true), 0);
        const uint16_t add = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        CHECK_EQ(do_addr(RTM_NEWADDR, add, 2, "10.210.0.2", 24, NULL, &r), 0);
        CHECK_EQ(do_addr(RTM_NEWADDR, add, 2, "10.210.0.2", 24, NULL, &r), -EEXIST);
        CHECK_EQ(do_addr(RTM_NEWADDR, add, 2, "10.210.0.9", 24, "v0:sec", &r), 0);
        CHECK_EQ(do_addr(RTM_NEWADDR, add, 42, "10.210.0.9", 24, NULL, &r), -ENODEV);
        struct ifaddrmsg ah = { .ifa_family = AF_INET };
        struct req q;
        req_init(&q, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, &ah, sizeof(ah));
        send_req(&q, &r, 0);
        CHECK_EQ(count_type(&r, RTM_NEWADDR, true), 3); /* lo, primary, secondary */
        /* the secondary carries its flag and label */
        size_t off = 0;
        struct nl_msg m;
        int seen = 0;
        while (nlmsg_next(r.buf, r.len, &off, &m) == 1) {
                if (m.type != RTM_NEWADDR)
                        continue;
                struct nl_attr tb[IFA_MAX + 1];
                CHECK_EQ(nla_parse(tb, IFA_MAX, m.payload + 8, m.payload_len - 8), 0);
                if (tb[IFA_LABEL].data && !strcmp((const char *)tb[IFA_LABEL].data, "v0:sec")) {
                        CHECK(m.payload[2] & IFA_F_SECONDARY);
                        seen++;
                }
        }
        CHECK_EQ(seen, 1);
        /* ip route add default via 10.210.0.1 */
        struct rtmsg rt = { .rtm_family = AF_INET,
                            .rtm_table = RT_TABLE_MAIN,
                            .rtm_protocol = RTPROT_BOOT,
                            .rtm_type = RTN_UNICAST };
        uint8_t gw[4] = { 10, 210, 0, 1 }, bad[4] = { 192, 0, 2, 1 }, dst[4] = { 1, 1, 1, 1 };
        req_init(&q, RTM_NEWROUTE, add, &rt, sizeof(rt));
        req_attr(&q, RTA_GATEWAY, gw, 4);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        req_init(&q, RTM_NEWROUTE, add, &rt, sizeof(rt));
        rt.rtm_dst_len = 24;
        req_init(&q, RTM_NEWROUTE, add, &rt, sizeof(rt));
        uint8_t net[4] = { 10, 99, 0, 0 };
        req_attr(&q, RTA_DST, net, 4);
        req_attr(&q, RTA_GATEWAY, bad, 4);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -ENETUNREACH); /* "Nexthop has invalid gateway" */
        struct rtmsg d = { .rtm_family = AF_INET };
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &d, sizeof(d));
        send_req(&q, &r, 0);
        /* main: default, 10.210.0.0/24; local: 10.210.0.2, .9, .255, 127/8, 127.0.0.1,
         * 127.255.255.255 */
        CHECK_EQ(count_type(&r, RTM_NEWROUTE, true), 2 + 6);
        /* ip route get 1.1.1.1 */
        struct rtmsg g = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST, &g, sizeof(g));
        req_attr(&q, RTA_DST, dst, 4);
        send_req(&q, &r, 0);
        off = 0;
        CHECK_EQ(nlmsg_next(r.buf, r.len, &off, &m), 1);
        CHECK_EQ(m.type, RTM_NEWROUTE);
        CHECK_EQ(m.flags, 0);
        struct nl_attr tb[RTA_MAX + 1];
        CHECK_EQ(nla_parse(tb, RTA_MAX, m.payload + 12, m.payload_len - 12), 0);
        CHECK_MEM(tb[RTA_GATEWAY].data, gw, 4);
        CHECK_EQ(nl_rd32(tb[RTA_OIF].data), 2);
        uint8_t src[4] = { 10, 210, 0, 2 };
        CHECK_MEM(tb[RTA_PREFSRC].data, src, 4);
        CHECK(tb[RTA_UID].data && tb[RTA_CACHEINFO].data);
        /* ip route del default; again: ESRCH */
        rt.rtm_dst_len = 0;
        rt.rtm_type = 0;
        rt.rtm_scope = RT_SCOPE_NOWHERE;
        req_init(&q, RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, &rt, sizeof(rt));
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -ESRCH);
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST, &g, sizeof(g));
        req_attr(&q, RTA_DST, dst, 4);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -ENETUNREACH);
        CHECK_EQ(do_addr(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, 2, "10.210.0.9", 24, NULL, &r), 0);
        CHECK_EQ(do_addr(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, 2, "10.210.0.9", 24, NULL, &r),
                 -EADDRNOTAVAIL);
        teardown();
}

static void neighbours_add_dump_del(void)
{
        setup();
        static struct replies r;
        CHECK_EQ(strata_veth_add(ns, "v0", ns, "v1"), 0);
        struct ndmsg nd = { .ndm_family = AF_INET, .ndm_ifindex = 2, .ndm_state = NUD_PERMANENT };
        uint8_t ip[4] = { 10, 210, 0, 5 }, mac[6] = { 2, 0, 0, 0, 0, 5 };
        struct req q;
        const uint16_t add = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        req_init(&q, RTM_NEWNEIGH, add, &nd, sizeof(nd));
        req_attr(&q, NDA_DST, ip, 4);
        req_attr(&q, NDA_LLADDR, mac, 6);
        struct req again = q;
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        send_req(&again, &r, 0);
        CHECK_EQ(reply_errno(&r), -EEXIST);
        req_init(&q, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, &nd, 1);
        send_req(&q, &r, 0);
        CHECK_EQ(count_type(&r, RTM_NEWNEIGH, true), 1);
        size_t off = 0;
        struct nl_msg m;
        CHECK_EQ(nlmsg_next(r.buf, r.len, &off, &m), 1);
        CHECK_EQ(nl_rd16(m.payload + 8), NUD_PERMANENT);
        struct nl_attr tb[NDA_MAX + 1];
        CHECK_EQ(nla_parse(tb, NDA_MAX, m.payload + 12, m.payload_len - 12), 0);
        CHECK_MEM(tb[NDA_LLADDR].data, mac, 6);
        CHECK_MEM(tb[NDA_DST].data, ip, 4);
        req_init(&q, RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK, &nd, sizeof(nd));
        req_attr(&q, NDA_DST, ip, 4);
        again = q;
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        send_req(&again, &r, 0);
        CHECK_EQ(reply_errno(&r), -ENOENT);
        teardown();
}

static void sysctls_through_the_private_family(void)
{
        setup();
        static struct replies r;
        struct req q;
        req_init(&q, STRATA_SYSCTL_SET, NLM_F_REQUEST | NLM_F_ACK, NULL, 0);
        req_attr(&q, STRATA_SYSCTL_A_NAME, "net.ipv4.ip_forward", 20);
        req_attr(&q, STRATA_SYSCTL_A_VALUE, "1", 2);
        send_req(&q, &r, STRATA_NETLINK_CTL);
        CHECK_EQ(reply_errno(&r), 0);
        char v[16];
        CHECK_EQ(strata_sysctl_get(ns, "net.ipv4.ip_forward", v, sizeof(v)), 0);
        CHECK_STR(v, "1");
        req_init(&q, STRATA_SYSCTL_SET, NLM_F_REQUEST | NLM_F_ACK, NULL, 0);
        req_attr(&q, STRATA_SYSCTL_A_NAME, "net.ipv4.nope", 14);
        req_attr(&q, STRATA_SYSCTL_A_VALUE, "1", 2);
        send_req(&q, &r, STRATA_NETLINK_CTL);
        CHECK_EQ(reply_errno(&r), -ENOENT);
        req_init(&q, STRATA_SYSCTL_GET, NLM_F_REQUEST | NLM_F_DUMP, NULL, 0);
        send_req(&q, &r, STRATA_NETLINK_CTL);
        CHECK(count_type(&r, STRATA_SYSCTL_VALUE, true) > 20);
        teardown();
}

static void malformed_requests_get_the_kernels_errno(void)
{
        setup();
        static struct replies r;
        struct req q;
        /* a family header too short for the type */
        req_init(&q, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, "\x02\x18", 2);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -EINVAL);
        /* unknown type */
        req_init(&q, 99, NLM_F_REQUEST, "\x02", 1);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -EOPNOTSUPP);
        /* an attribute running past the message */
        struct ifinfomsg ifi = { .ifi_index = 1 };
        req_init(&q, RTM_NEWLINK, NLM_F_REQUEST, &ifi, sizeof(ifi));
        uint8_t bad[4] = { 40, 0, 4, 0 };
        memcpy(q.b + q.len, bad, 4);
        q.len += 4;
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -EINVAL);
        /* IPv6: refused with a message */
        struct ifaddrmsg a6 = { .ifa_family = AF_INET6, .ifa_prefixlen = 64, .ifa_index = 1 };
        req_init(&q, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, &a6, sizeof(a6));
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), -EAFNOSUPPORT);
        /* a non-request and a control message: only acked if asked */
        req_init(&q, RTM_GETLINK, 0, &ifi, sizeof(ifi));
        send_req(&q, &r, 0);
        CHECK_EQ(r.len, 0);
        req_init(&q, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, NULL, 0);
        send_req(&q, &r, 0);
        CHECK_EQ(reply_errno(&r), 0);
        /* a truncated header ends the walk without a reply, as the kernel */
        uint8_t junk[20] = { 200, 0, 0, 0, 18, 0, 1, 0 };
        struct strata_ctl_client c = { .portid = PORTID };
        memset(&r, 0, sizeof(r));
        CHECK_EQ(strata_ctl_handle(ns, &c, junk, sizeof(junk), collect, &r), 0);
        CHECK_EQ(r.len, 0);
        teardown();
}

/* One rtnexthop with an optional gateway into q (inside RTA_MULTIPATH). */
static void put_rtnh(struct req *q, uint8_t flags, uint8_t hops, int ifindex, const uint8_t *gw,
                     int len_override)
{
        size_t at = q->len;
        struct rtnexthop nh = { .rtnh_flags = flags, .rtnh_hops = hops, .rtnh_ifindex = ifindex };
        memcpy(q->b + q->len, &nh, sizeof(nh));
        q->len += sizeof(nh);
        if (gw)
                req_attr(q, RTA_GATEWAY, gw, 4);
        uint16_t n = len_override >= 0 ? (uint16_t)len_override : (uint16_t)(q->len - at);
        memcpy(q->b + at, &n, 2);
}

/* ip route add 10.99.0.0/24 nexthop ... nexthop ...: 0 or the errno. */
static int add_multipath(struct replies *r, int n, const uint8_t (*gws)[4], const int *ifs,
                         uint8_t flags, int bad_len)
{
        struct rtmsg rt = { .rtm_family = AF_INET,
                            .rtm_table = RT_TABLE_MAIN,
                            .rtm_protocol = RTPROT_BOOT,
                            .rtm_type = RTN_UNICAST,
                            .rtm_dst_len = 24 };
        static struct req q;
        req_init(&q, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &rt,
                 sizeof(rt));
        uint8_t net[4] = { 10, 99, 0, 0 };
        req_attr(&q, RTA_DST, net, 4);
        size_t mp = req_attr(&q, RTA_MULTIPATH, NULL, 0);
        for (int i = 0; i < n; i++)
                put_rtnh(&q, flags, (uint8_t)i, ifs[i], gws[i], i == 0 ? bad_len : -1);
        req_nest_end(&q, mp);
        send_req(&q, r, 0);
        return reply_errno(r);
}

/* RTA_MULTIPATH both ways, its malformed forms refused with the kernel's
 * errno, and ip route get with protocol and ports. */
static void multipath_over_netlink(void)
{
        setup();
        static struct replies r;
        CHECK_EQ(strata_veth_add(ns, "v0", ns, "v1"), 0);
        CHECK_EQ(strata_link_set_up(ns, "v0", true), 0);
        CHECK_EQ(strata_link_set_up(ns, "v1", true), 0);
        const uint16_t add = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        CHECK_EQ(do_addr(RTM_NEWADDR, add, 2, "10.210.0.2", 24, NULL, &r), 0);
        CHECK_EQ(do_addr(RTM_NEWADDR, add, 3, "10.211.0.2", 24, NULL, &r), 0);
        static const uint8_t gws[33][4] = { { 10, 210, 0, 1 }, { 10, 211, 0, 1 } };
        static const uint8_t bad[2][4] = { { 10, 210, 0, 1 }, { 192, 0, 2, 1 } };
        int ifs[33] = { 0 };
        /* malformed */
        CHECK_EQ(add_multipath(&r, 2, gws, ifs, 0, 4), -EINVAL);    /* rtnh_len < 8 */
        CHECK_EQ(add_multipath(&r, 2, gws, ifs, 0, 4000), -EINVAL); /* past the attribute */
        CHECK_EQ(add_multipath(&r, 0, gws, ifs, 0, -1), -EINVAL);   /* no next hop */
        CHECK_EQ(add_multipath(&r, 33, gws, ifs, 0, -1), -EINVAL);  /* more than 32 */
        CHECK_EQ(add_multipath(&r, 2, gws, ifs, RTNH_F_ONLINK, -1), -ENODEV); /* onlink: dev */
        CHECK_EQ(add_multipath(&r, 2, gws, ifs, RTNH_F_DEAD, -1), -EOPNOTSUPP);
        CHECK_EQ(add_multipath(&r, 2, bad, ifs, 0, -1), -ENETUNREACH); /* invalid gateway */
        int nodev[2] = { 2, 42 };
        CHECK_EQ(add_multipath(&r, 2, gws, nodev, 0, -1), -ENODEV);
        /* good: weights 1 and 2 (hops 0 and 1) */
        CHECK_EQ(add_multipath(&r, 2, gws, ifs, 0, -1), 0);
        struct rtmsg d = { .rtm_family = AF_INET };
        static struct req q;
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &d, sizeof(d));
        send_req(&q, &r, 0);
        size_t off = 0;
        struct nl_msg m;
        int seen = 0;
        while (nlmsg_next(r.buf, r.len, &off, &m) == 1) {
                if (m.type != RTM_NEWROUTE || m.payload[1] != 24)
                        continue;
                struct nl_attr tb[RTA_MAX + 1];
                CHECK_EQ(nla_parse(tb, RTA_MAX, m.payload + 12, m.payload_len - 12), 0);
                if (!tb[RTA_MULTIPATH].data)
                        continue;
                CHECK(!tb[RTA_GATEWAY].data && !tb[RTA_OIF].data);
                const uint8_t *p = tb[RTA_MULTIPATH].data;
                CHECK_EQ(tb[RTA_MULTIPATH].len, 2 * (8 + 8));
                for (int i = 0; i < 2; i++, p += 16) {
                        CHECK_EQ(p[0] | p[1] << 8, 16); /* rtnh_len */
                        CHECK_EQ(p[3], i);              /* hops: weight - 1 */
                        CHECK_EQ((int)nl_rd32(p + 4), 2 + i);
                        CHECK_MEM(p + 12, gws[i], 4);
                }
                seen++;
        }
        CHECK_EQ(seen, 1);
        /* ip route get 10.99.0.7 ipproto udp sport 1000 dport 53: one of them */
        struct rtmsg g = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
        uint8_t dst[4] = { 10, 99, 0, 7 }, proto = 17;
        uint16_t sport = htons(1000), dport = htons(53);
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST, &g, sizeof(g));
        req_attr(&q, RTA_DST, dst, 4);
        req_attr(&q, RTA_IP_PROTO, &proto, 1);
        req_attr(&q, RTA_SPORT, &sport, 2);
        req_attr(&q, RTA_DPORT, &dport, 2);
        send_req(&q, &r, 0);
        off = 0;
        CHECK_EQ(nlmsg_next(r.buf, r.len, &off, &m), 1);
        CHECK_EQ(m.type, RTM_NEWROUTE);
        struct nl_attr tb[RTA_MAX + 1];
        CHECK_EQ(nla_parse(tb, RTA_MAX, m.payload + 12, m.payload_len - 12), 0);
        int oif = (int)nl_rd32(tb[RTA_OIF].data);
        CHECK(oif == 2 || oif == 3);
        CHECK_MEM(tb[RTA_GATEWAY].data, gws[oif - 2], 4);
        CHECK(!tb[RTA_METRICS].data);
        teardown();
}

/* RTM_NEWROUTE with RTA_METRICS: stored with the kernel's caps, dumped
 * back nested by type; congctl, unknown types and feature bits refused;
 * NLM_F_REPLACE without NLM_F_CREATE (ip route change) needs a route. */
static int metrics_route(uint16_t flags, const uint32_t (*mx)[2], size_t n, struct replies *r)
{
        struct rtmsg rt = { .rtm_family = AF_INET,
                            .rtm_dst_len = 32,
                            .rtm_table = RT_TABLE_MAIN,
                            .rtm_protocol = RTPROT_BOOT,
                            .rtm_scope = RT_SCOPE_LINK,
                            .rtm_type = RTN_UNICAST };
        struct req q;
        uint8_t dst[4] = { 192, 0, 2, 1 };
        uint32_t oif = 2;
        req_init(&q, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | flags, &rt, sizeof(rt));
        req_attr(&q, RTA_DST, dst, 4);
        req_attr(&q, RTA_OIF, &oif, 4);
        size_t at = req_attr(&q, RTA_METRICS, NULL, 0);
        for (size_t i = 0; i < n; i++)
                req_attr(&q, (uint16_t)mx[i][0], &mx[i][1], 4);
        req_nest_end(&q, at);
        send_req(&q, r, 0);
        return reply_errno(r);
}

static void route_metrics_over_netlink(void)
{
        setup();
        static struct replies r;
        CHECK_EQ(strata_veth_add(ns, "v0", ns, "v1"), 0);
        CHECK_EQ(strata_link_set_up(ns, "v0", true), 0);
        const uint16_t create = NLM_F_CREATE | NLM_F_EXCL;
        const uint32_t bad_type[][2] = { { RTAX_MAX + 1, 1 } };
        const uint32_t bad_feature[][2] = { { RTAX_FEATURES, 0x100 } };
        const uint32_t cc[][2] = { { RTAX_CC_ALGO, 0 } };
        CHECK_EQ(metrics_route(create, bad_type, 1, &r), -EINVAL);
        CHECK_EQ(metrics_route(create, bad_feature, 1, &r), -EINVAL);
        CHECK_EQ(metrics_route(create, cc, 1, &r), -EOPNOTSUPP);
        const uint32_t mx[][2] = { { RTAX_LOCK, 1u << RTAX_MTU },
                                   { RTAX_MTU, 640 },
                                   { RTAX_ADVMSS, 70000 } };
        CHECK_EQ(metrics_route(NLM_F_REPLACE, mx, 3, &r), -ENOENT); /* change */
        CHECK_EQ(metrics_route(create, mx, 3, &r), 0);
        struct rtmsg d = { .rtm_family = AF_INET };
        struct req q;
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &d, sizeof(d));
        send_req(&q, &r, 0);
        size_t off = 0;
        struct nl_msg m;
        int seen = 0;
        while (nlmsg_next(r.buf, r.len, &off, &m) == 1) {
                struct nl_attr tb[RTA_MAX + 1], mt[RTAX_MAX + 1];
                if (m.type != RTM_NEWROUTE)
                        continue;
                CHECK_EQ(nla_parse(tb, RTA_MAX, m.payload + 12, m.payload_len - 12), 0);
                if (!tb[RTA_METRICS].data)
                        continue;
                CHECK_EQ(nla_parse(mt, RTAX_MAX, tb[RTA_METRICS].data, tb[RTA_METRICS].len), 0);
                CHECK_EQ(nl_rd32(mt[RTAX_LOCK].data), 1u << RTAX_MTU);
                CHECK_EQ(nl_rd32(mt[RTAX_MTU].data), 640);
                CHECK_EQ(nl_rd32(mt[RTAX_ADVMSS].data), 65495);
                CHECK(!mt[RTAX_INITCWND].data);
                seen++;
        }
        CHECK_EQ(seen, 1);
        const uint32_t mx2[][2] = { { RTAX_INITCWND, 11 } };
        CHECK_EQ(metrics_route(NLM_F_REPLACE, mx2, 1, &r), 0); /* change: in place */
        req_init(&q, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &d, sizeof(d));
        send_req(&q, &r, 0);
        CHECK_EQ(count_type(&r, RTM_NEWROUTE, true), 1 + 3); /* 192.0.2.1 once; lo local routes */
        teardown();
}

TEST_MAIN({ "probe_gets_enodev_and_links_dump", probe_gets_enodev_and_links_dump },
          { "ip_link_add_veth_set_and_del", ip_link_add_veth_set_and_del },
          { "addresses_routes_and_route_get", addresses_routes_and_route_get },
          { "neighbours_add_dump_del", neighbours_add_dump_del },
          { "sysctls_through_the_private_family", sysctls_through_the_private_family },
          { "malformed_requests_get_the_kernels_errno", malformed_requests_get_the_kernels_errno },
          { "multipath_over_netlink", multipath_over_netlink },
          { "route_metrics_over_netlink", route_metrics_over_netlink })
