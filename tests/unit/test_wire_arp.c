/*
 * ARP for Ethernet/IPv4: a real request and reply, round trips, truncation
 * at every short length and each refused hardware/protocol combination.
 */
#include "../test.h"

#include "wire/arp.h"
#include "wire/bytes.h"

/* The payload of a broadcast frame: who has 192.168.1.1? tell
 * 192.168.1.100 (00:0c:29:3e:5b:7a), with the frame's 18 bytes of padding. */
static const uint8_t request[46] = {
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a,
        0xc0, 0xa8, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01,
};

/* 192.168.1.1 is at 00:1d:7e:aa:bb:cc. */
static const uint8_t reply[28] = {
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x00, 0x1d, 0x7e, 0xaa, 0xbb, 0xcc,
        0xc0, 0xa8, 0x01, 0x01, 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a, 0xc0, 0xa8, 0x01, 0x64,
};

static void parse_request(void)
{
        static const uint8_t sha[6] = { 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a };
        static const uint8_t zero[6] = { 0 };
        struct arp_repr a;

        CHECK_EQ(arp_parse(request, sizeof(request), &a), WIRE_OK);
        CHECK_EQ(a.op, ARPOP_REQUEST);
        CHECK_MEM(a.sha, sha, 6);
        CHECK_EQ(a.spa, 0xc0a80164);
        CHECK_MEM(a.tha, zero, 6);
        CHECK_EQ(a.tpa, 0xc0a80101);
}

static void parse_reply(void)
{
        static const uint8_t sha[6] = { 0x00, 0x1d, 0x7e, 0xaa, 0xbb, 0xcc };
        static const uint8_t tha[6] = { 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a };
        struct arp_repr a;

        CHECK_EQ(arp_parse(reply, sizeof(reply), &a), WIRE_OK);
        CHECK_EQ(a.op, ARPOP_REPLY);
        CHECK_MEM(a.sha, sha, 6);
        CHECK_EQ(a.spa, 0xc0a80101);
        CHECK_MEM(a.tha, tha, 6);
        CHECK_EQ(a.tpa, 0xc0a80164);
}

static void round_trip(void)
{
        struct arp_repr a;
        uint8_t out[ARP_HLEN + 1];

        memset(out, 0xaa, sizeof(out));
        CHECK_EQ(arp_parse(request, sizeof(request), &a), WIRE_OK);
        CHECK_EQ(arp_emit(&a, out, sizeof(out)), ARP_HLEN);
        CHECK_MEM(out, request, ARP_HLEN);
        CHECK_EQ(out[ARP_HLEN], 0xaa);

        CHECK_EQ(arp_parse(reply, sizeof(reply), &a), WIRE_OK);
        CHECK_EQ(arp_emit(&a, out, ARP_HLEN), ARP_HLEN);
        CHECK_MEM(out, reply, ARP_HLEN);
}

/* The reply a stack builds from the request it answers. */
static void emit_reply_from_repr(void)
{
        struct arp_repr a = {
                .op = ARPOP_REPLY,
                .sha = { 0x00, 0x1d, 0x7e, 0xaa, 0xbb, 0xcc },
                .spa = 0xc0a80101,
                .tha = { 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a },
                .tpa = 0xc0a80164,
        };
        uint8_t out[ARP_HLEN];

        CHECK_EQ(arp_emit(&a, out, sizeof(out)), ARP_HLEN);
        CHECK_MEM(out, reply, ARP_HLEN);
}

static void truncated_below_28(void)
{
        struct arp_repr a;

        for (size_t len = 0; len < ARP_HLEN; len++)
                CHECK_EQ(arp_parse(request, len, &a), WIRE_TRUNCATED);
}

/* Copy the request into a buffer long enough for any announced sizes, then
 * change one byte of the fixed part. */
static enum wire_status parse_with(size_t off, uint8_t v, size_t len)
{
        uint8_t buf[8 + 2 * 255 + 2 * 255]; /* room for the largest sizes */
        struct arp_repr a;

        memset(buf, 0, sizeof(buf));
        memcpy(buf, request, sizeof(request));
        buf[off] = v;
        return arp_parse(buf, len, &a);
}

static void refuses_non_ethernet_ipv4(void)
{
        CHECK_EQ(parse_with(1, 6, 64), WIRE_BAD_HWTYPE);     /* htype 6 (IEEE 802) */
        CHECK_EQ(parse_with(0, 1, 64), WIRE_BAD_HWTYPE);     /* htype 0x0101 */
        CHECK_EQ(parse_with(2, 0x86, 64), WIRE_BAD_HWTYPE);  /* ptype 0x8600 */
        CHECK_EQ(parse_with(3, 0x06, 64), WIRE_BAD_HWTYPE);  /* ptype 0x0806 */
        CHECK_EQ(parse_with(4, 8, 64), WIRE_BAD_HWTYPE);     /* hlen 8 */
        CHECK_EQ(parse_with(4, 0, 64), WIRE_BAD_HWTYPE);     /* hlen 0 */
        CHECK_EQ(parse_with(5, 16, 64), WIRE_BAD_HWTYPE);    /* plen 16 */
        CHECK_EQ(parse_with(5, 0, 64), WIRE_BAD_HWTYPE);     /* plen 0 */
        CHECK_EQ(parse_with(4, 255, 1028), WIRE_BAD_HWTYPE); /* largest sizes */
}

/* The sizes are judged before the length they imply: a short packet
 * announcing other sizes is refused for its type, a short Ethernet/IPv4 one
 * is truncated. */
static void sizes_judged_before_length(void)
{
        CHECK_EQ(parse_with(4, 8, 8), WIRE_BAD_HWTYPE);
        CHECK_EQ(parse_with(4, 8, 27), WIRE_BAD_HWTYPE);
        CHECK_EQ(parse_with(5, 16, 20), WIRE_BAD_HWTYPE);
        CHECK_EQ(parse_with(1, 6, 8), WIRE_BAD_HWTYPE);
        CHECK_EQ(parse_with(2, 0x86, 27), WIRE_BAD_HWTYPE);
        CHECK_EQ(parse_with(1, 6, 7), WIRE_TRUNCATED);  /* the fixed part comes first */
        CHECK_EQ(parse_with(1, 1, 27), WIRE_TRUNCATED); /* valid sizes, 27 bytes */
        CHECK_EQ(parse_with(1, 1, 28), WIRE_OK);
}

/* The op is the caller's business: any value parses. */
static void unknown_op_parses(void)
{
        struct arp_repr a;
        uint8_t buf[ARP_HLEN];

        memcpy(buf, request, ARP_HLEN);
        put_be16(buf + 6, 0x1234);
        CHECK_EQ(arp_parse(buf, sizeof(buf), &a), WIRE_OK);
        CHECK_EQ(a.op, 0x1234);
}

static void emit_refuses_small_buffer(void)
{
        struct arp_repr a = { .op = ARPOP_REQUEST };
        uint8_t out[ARP_HLEN];

        memset(out, 0xaa, sizeof(out));
        CHECK_EQ(arp_emit(&a, out, ARP_HLEN - 1), 0);
        CHECK_EQ(arp_emit(&a, out, 0), 0);
        CHECK_EQ(out[0], 0xaa);
}

TEST_MAIN(T(parse_request), T(parse_reply), T(round_trip), T(emit_reply_from_repr),
          T(truncated_below_28), T(refuses_non_ethernet_ipv4), T(sizes_judged_before_length),
          T(unknown_op_parses), T(emit_refuses_small_buffer))
