/*
 * The netlink codec (src/ctl/nlmsg.c) against known byte arrays: walking
 * messages (zero padding, short and overlong headers), attributes (nested,
 * aligned, truncated), building replies (bytes as the kernel lays them
 * out), NLMSG_ERROR / ACK / DONE, and splitting a long dump into
 * datagrams.  Also checks the private copy of the rtnetlink numbers
 * against the kernel's uapi headers.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "ctl/nlmsg.h"
#include "ctl/rtnl_uapi.h"
#include "../test.h"

/* the private numbers are Linux's */
_Static_assert(RTM_NEWLINK_ == RTM_NEWLINK && RTM_GETNEIGH_ == RTM_GETNEIGH, "rtm");
_Static_assert(RTM_GETROUTE_ == RTM_GETROUTE && RTM_DELADDR_ == RTM_DELADDR, "rtm");
_Static_assert(IFLA_STATS64_ == IFLA_STATS64 && IFLA_MAX_MTU_ == IFLA_MAX_MTU, "ifla");
_Static_assert(IFLA_TXQLEN_ == IFLA_TXQLEN && IFLA_LINKINFO_ == IFLA_LINKINFO, "ifla");
_Static_assert(IFLA_CARRIER_DOWN_COUNT_ == IFLA_CARRIER_DOWN_COUNT, "ifla");
_Static_assert(IFLA_TSO_MAX_SEGS_ == IFLA_TSO_MAX_SEGS && IFLA_ALLMULTI_ == IFLA_ALLMULTI, "ifla");
_Static_assert(IFA_FLAGS_ == IFA_FLAGS && IFA_CACHEINFO_ == IFA_CACHEINFO, "ifa");
_Static_assert(RTA_UID_ == RTA_UID && RTA_TABLE_ == RTA_TABLE && RTA_NH_ID_ == RTA_NH_ID, "rta");
_Static_assert(NDA_PROBES_ == NDA_PROBES && NDA_CACHEINFO_ == NDA_CACHEINFO, "nda");
_Static_assert(IFINFOMSG_LEN == sizeof(struct ifinfomsg) && RTMSG_LEN == sizeof(struct rtmsg),
               "hdr");
_Static_assert(IFADDRMSG_LEN == sizeof(struct ifaddrmsg) && NDMSG_LEN == sizeof(struct ndmsg),
               "hdr");
_Static_assert(NLM_F_ACK_TLVS_ == NLM_F_ACK_TLVS && NLM_F_CAPPED_ == NLM_F_CAPPED, "nlm");
_Static_assert(NLMSG_DONE_ == NLMSG_DONE && NLMSG_ERROR_ == NLMSG_ERROR, "nlmsg");
_Static_assert(NLM_F_CREATE_ == NLM_F_CREATE && NLM_F_EXCL_ == NLM_F_EXCL, "nlm");

/* `ip link` probe (RTM_NEWLINK, REQUEST|ACK, empty ifinfomsg) then a
 * GETLINK by name, then 12 bytes of zero padding. */
static const uint8_t two_msgs[] = {
        32, 0, 0, 0, 16,  0,   5, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* hdr */
        0,  0, 0, 0, 0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ifinfomsg */
        40, 0, 0, 0, 18,  0,   1, 0, 7, 0, 0, 0, 0, 0, 0, 0, /* hdr seq 7 */
        0,  0, 0, 0, 0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ifinfomsg */
        7,  0, 3, 0, 'v', 'a', 0, 0,                         /* IFLA_IFNAME "va" */
        0,  0, 0, 0, 0,   0,   0, 0, 0, 0, 0, 0,             /* padding */
};

static void walks_messages_and_stops_at_padding(void)
{
        size_t off = 0;
        struct nl_msg m;
        CHECK_EQ(nlmsg_next(two_msgs, sizeof(two_msgs), &off, &m), 1);
        CHECK_EQ(m.type, RTM_NEWLINK);
        CHECK_EQ(m.flags, NLM_F_REQUEST | NLM_F_ACK);
        CHECK_EQ(m.payload_len, 16);
        CHECK_EQ(nlmsg_next(two_msgs, sizeof(two_msgs), &off, &m), 1);
        CHECK_EQ(m.type, RTM_GETLINK);
        CHECK_EQ(m.seq, 7);
        CHECK_EQ(m.payload_len, 24);
        CHECK_EQ(nlmsg_next(two_msgs, sizeof(two_msgs), &off, &m), 0);
}

static void refuses_short_and_overlong_lengths(void)
{
        uint8_t b[32] = { 0 };
        size_t off = 0;
        struct nl_msg m;
        b[0] = 15; /* shorter than a header */
        CHECK_EQ(nlmsg_next(b, sizeof(b), &off, &m), -EINVAL);
        b[0] = 33; /* past the end */
        off = 0;
        CHECK_EQ(nlmsg_next(b, sizeof(b), &off, &m), -EINVAL);
        b[0] = 0xff, b[3] = 0xff; /* huge */
        off = 0;
        CHECK_EQ(nlmsg_next(b, sizeof(b), &off, &m), -EINVAL);
        /* an unaligned last message: the walk ends at the datagram's end */
        b[0] = 18, b[3] = 0;
        off = 0;
        CHECK_EQ(nlmsg_next(b, 18, &off, &m), 1);
        CHECK_EQ(off, 18);
        CHECK_EQ(nlmsg_next(b, 18, &off, &m), 0);
}

static void parses_nested_and_aligned_attributes(void)
{
        /* IFLA_MTU 1500, IFLA_LINKINFO{KIND "veth"} (nested flag), IFLA_MTU 9000 */
        static const uint8_t a[] = {
                8,  0, 4,  0,    0xdc, 0x05, 0, 0,                                 /* MTU 1500 */
                16, 0, 18, 0x80, 9,    0,    1, 0, 'v', 'e', 't', 'h', 0, 0, 0, 0, /* LINKINFO */
                8,  0, 4,  0,    0x28, 0x23, 0, 0,                                 /* MTU 9000 */
                1,  2, 3, /* runt: ignored */
        };
        struct nl_attr tb[IFLA_MAX_ + 1];
        CHECK_EQ(nla_parse(tb, IFLA_MAX_, a, sizeof(a)), 0);
        uint32_t mtu;
        CHECK_EQ(nla_get_u32(&tb[IFLA_MTU_], &mtu), 0);
        CHECK_EQ(mtu, 9000); /* last wins */
        CHECK(tb[IFLA_LINKINFO_].nested);
        struct nl_attr li[IFLA_INFO_MAX_ + 1];
        CHECK_EQ(nla_parse(li, IFLA_INFO_MAX_, tb[IFLA_LINKINFO_].data, tb[IFLA_LINKINFO_].len), 0);
        char kind[8];
        CHECK_EQ(nla_get_str(&li[IFLA_INFO_KIND_], kind, sizeof(kind)), 0);
        CHECK_STR(kind, "veth");
        CHECK_EQ(nla_get_str(&li[IFLA_INFO_KIND_], kind, 4), -EINVAL); /* does not fit */
        CHECK(!tb[IFLA_ADDRESS_].data);
        uint16_t v16;
        CHECK_EQ(nla_get_u16(&tb[IFLA_ADDRESS_], &v16), -EINVAL); /* absent */

        static const uint8_t bad[] = { 12, 0, 4, 0, 0, 0, 0, 0 }; /* runs past the end */
        CHECK_EQ(nla_parse(tb, IFLA_MAX_, bad, sizeof(bad)), -EINVAL);
        static const uint8_t bad2[] = { 2, 0, 4, 0, 0, 0, 0, 0 }; /* shorter than a header */
        CHECK_EQ(nla_parse(tb, IFLA_MAX_, bad2, sizeof(bad2)), -EINVAL);
        struct nl_attr one = { .data = (const uint8_t *)"\x01\x02", .len = 2 };
        uint32_t v32;
        CHECK_EQ(nla_get_u32(&one, &v32), -EINVAL); /* too short for the type */
}

static void emits_messages_as_the_kernel_lays_them_out(void)
{
        struct nl_out o;
        nl_out_init(&o, 4242);
        nlmsg_begin(&o, RTM_NEWLINK, NLM_F_MULTI, 9);
        uint8_t ifi[16] = { 0 };
        nl_put(&o, ifi, sizeof(ifi));
        nla_put_str(&o, IFLA_IFNAME, "lo");
        nla_put_u8(&o, IFLA_OPERSTATE, 0);
        size_t n = nla_nest_start_noflag(&o, IFLA_LINKINFO);
        nla_put_str(&o, IFLA_INFO_KIND, "veth");
        nla_nest_end(&o, n);
        nla_put_in_addr(&o, IFA_LOCAL, 0x0a000001);
        nlmsg_end(&o);
        CHECK_EQ(o.err, 0);
        static const uint8_t want[] = {
                72, 0, 0,  0, 16,  0,   2, 0, 9,   0,   0,   0,   0x92, 0x10, 0, 0, /* pid 4242 */
                0,  0, 0,  0, 0,   0,   0, 0, 0,   0,   0,   0,   0,    0,    0, 0,
                7,  0, 3,  0, 'l', 'o', 0, 0, /* IFNAME */
                5,  0, 16, 0, 0,   0,   0, 0, /* OPERSTATE u8 + pad */
                16, 0, 18, 0, 9,   0,   1, 0, 'v', 'e', 't', 'h', 0,    0,    0, 0, /* LINKINFO */
                8,  0, 2,  0, 10,  0,   0, 1, /* IFA_LOCAL, network order */
        };
        CHECK(o.head && !o.head->next);
        CHECK_EQ(o.head->len, sizeof(want));
        CHECK_MEM(o.head->data, want, sizeof(want));
        nl_out_free(&o);
}

static void answers_errors_acks_and_done(void)
{
        size_t off = 0;
        struct nl_msg m;
        CHECK_EQ(nlmsg_next(two_msgs, sizeof(two_msgs), &off, &m), 1);
        struct nl_out o;
        nl_out_init(&o, 77);
        nlmsg_error(&o, &m, -ENODEV, NULL); /* error: the request echoed whole */
        nlmsg_error(&o, &m, 0, NULL);       /* ACK: header only, capped */
        nlmsg_error(&o, &m, -EOPNOTSUPP, "why");
        nlmsg_done(&o, 5);
        CHECK_EQ(o.err, 0);
        const uint8_t *p = o.head->data;
        CHECK_EQ(nl_rd32(p), 16 + 4 + 32);
        CHECK_EQ(nl_rd16(p + 4), NLMSG_ERROR);
        CHECK_EQ(nl_rd16(p + 6), 0);
        CHECK_EQ(nl_rd32(p + 12), 77);
        CHECK_EQ((int32_t)nl_rd32(p + 16), -ENODEV);
        CHECK_MEM(p + 20, two_msgs, 32);
        p += 52;
        CHECK_EQ(nl_rd32(p), 16 + 4 + 16);
        CHECK_EQ(nl_rd16(p + 6), NLM_F_CAPPED);
        CHECK_EQ((int32_t)nl_rd32(p + 16), 0);
        p += 36;
        CHECK_EQ(nl_rd16(p + 6), NLM_F_ACK_TLVS);
        CHECK_EQ(nl_rd32(p), 16 + 4 + 32 + 8);
        CHECK_EQ(nl_rd16(p + 52 + 2), NLMSGERR_ATTR_MSG);
        CHECK_STR((const char *)p + 52 + 4, "why");
        p += 60;
        CHECK_EQ(nl_rd32(p), 20);
        CHECK_EQ(nl_rd16(p + 4), NLMSG_DONE);
        CHECK_EQ(nl_rd16(p + 6), NLM_F_MULTI);
        CHECK_EQ(nl_rd32(p + 8), 5);
        CHECK_EQ(o.head->len, 52 + 36 + 60 + 20);
        nl_out_free(&o);
}

static void splits_long_dumps_into_datagrams(void)
{
        struct nl_out o;
        nl_out_init(&o, 1);
        uint8_t blob[1000] = { 0 };
        for (int i = 0; i < 100; i++) {
                nlmsg_begin(&o, RTM_NEWROUTE, NLM_F_MULTI, 1);
                nla_put(&o, RTA_DST, blob, sizeof(blob));
                nlmsg_end(&o);
        }
        CHECK_EQ(o.err, 0);
        int dgrams = 0, msgs = 0;
        for (struct nl_dgram *d = o.head; d; d = d->next) {
                if (!d->len)
                        continue;
                dgrams++;
                CHECK(d->len <= NL_DGRAM_SOFT + 1020);
                size_t off = 0;
                struct nl_msg m;
                while (nlmsg_next(d->data, d->len, &off, &m) == 1)
                        msgs++;
                CHECK_EQ(off, d->len);
        }
        CHECK_EQ(msgs, 100);
        CHECK(dgrams >= 6);
        nl_out_free(&o);
}

static void cancels_a_half_built_message(void)
{
        struct nl_out o;
        nl_out_init(&o, 1);
        nlmsg_begin(&o, RTM_NEWADDR, 0, 1);
        nla_put_u32(&o, IFA_FLAGS, 1);
        nlmsg_cancel(&o);
        nlmsg_done(&o, 1);
        CHECK_EQ(o.head->len, 20);
        nla_put_u32(&o, IFA_FLAGS, 1); /* outside a message: ignored */
        CHECK_EQ(o.head->len, 20);
        nl_out_free(&o);
}

TEST_MAIN({ "walks_messages_and_stops_at_padding", walks_messages_and_stops_at_padding },
          { "refuses_short_and_overlong_lengths", refuses_short_and_overlong_lengths },
          { "parses_nested_and_aligned_attributes", parses_nested_and_aligned_attributes },
          { "emits_messages_as_the_kernel_lays_them_out",
            emits_messages_as_the_kernel_lays_them_out },
          { "answers_errors_acks_and_done", answers_errors_acks_and_done },
          { "splits_long_dumps_into_datagrams", splits_long_dumps_into_datagrams },
          { "cancels_a_half_built_message", cancels_a_half_built_message })
