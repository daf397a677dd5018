/*
 * Ethernet II header: parse and emit against a real broadcast ARP frame,
 * truncation at every short length, address predicates and formatting.
 */
#include "../test.h"

#include "wire/ethernet.h"

/* Who has 192.168.1.1? Tell 192.168.1.100 -- from 00:0c:29:3e:5b:7a,
 * padded to the 60-byte minimum. */
static const uint8_t arp_frame[60] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a, 0x08, 0x06,
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a,
        0xc0, 0xa8, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01,
};

static void parse_arp_frame(void)
{
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        static const uint8_t src[6] = { 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a };
        struct eth_repr e;

        CHECK_EQ(eth_parse(arp_frame, sizeof(arp_frame), &e), WIRE_OK);
        CHECK_MEM(e.dst, bcast, 6);
        CHECK_MEM(e.src, src, 6);
        CHECK_EQ(e.ethertype, ETH_P_ARP);
        CHECK_EQ(eth_parse(arp_frame, ETH_HLEN, &e), WIRE_OK);
}

static void round_trip(void)
{
        struct eth_repr e;
        uint8_t out[ETH_HLEN + 2];

        memset(out, 0xaa, sizeof(out));
        CHECK_EQ(eth_parse(arp_frame, sizeof(arp_frame), &e), WIRE_OK);
        CHECK_EQ(eth_emit(&e, out, sizeof(out)), ETH_HLEN);
        CHECK_MEM(out, arp_frame, ETH_HLEN);
        CHECK_EQ(out[ETH_HLEN], 0xaa); /* nothing written past the header */
}

static void emit_ipv4_ethertype(void)
{
        struct eth_repr e = { .dst = { 2, 0, 0, 0, 0, 1 },
                              .src = { 2, 0, 0, 0, 0, 2 },
                              .ethertype = ETH_P_IP };
        static const uint8_t want[ETH_HLEN] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00 };
        uint8_t out[ETH_HLEN];

        CHECK_EQ(eth_emit(&e, out, sizeof(out)), ETH_HLEN);
        CHECK_MEM(out, want, ETH_HLEN);
}

static void truncated_below_14(void)
{
        struct eth_repr e;

        for (size_t len = 0; len < ETH_HLEN; len++)
                CHECK_EQ(eth_parse(arp_frame, len, &e), WIRE_TRUNCATED);
}

static void emit_refuses_small_buffer(void)
{
        struct eth_repr e = { .ethertype = ETH_P_IP };
        uint8_t out[ETH_HLEN];

        memset(out, 0xaa, sizeof(out));
        for (size_t cap = 0; cap < ETH_HLEN; cap++)
                CHECK_EQ(eth_emit(&e, out, cap), 0);
        CHECK_EQ(out[0], 0xaa);
}

static void address_predicates(void)
{
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
        static const uint8_t zero[6] = { 0 };
        static const uint8_t uni[6] = { 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a };
        static const uint8_t almost[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };

        CHECK(eth_addr_is_broadcast(bcast) && eth_addr_is_multicast(bcast));
        CHECK(!eth_addr_is_broadcast(almost) && eth_addr_is_multicast(almost));
        CHECK(eth_addr_is_multicast(mcast) && !eth_addr_is_valid(mcast));
        CHECK(eth_addr_is_zero(zero) && !eth_addr_is_valid(zero));
        CHECK(eth_addr_is_valid(uni) && !eth_addr_is_multicast(uni));
}

static void format_address(void)
{
        static const uint8_t a[6] = { 0x00, 0x0c, 0x29, 0x3e, 0x5b, 0x7a };
        static const uint8_t b[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        char buf[18];

        CHECK_STR(eth_addr_fmt(a, buf), "00:0c:29:3e:5b:7a");
        CHECK_STR(eth_addr_fmt(b, buf), "ff:ff:ff:ff:ff:ff");
        CHECK(eth_addr_fmt(a, buf) == buf);
}

TEST_MAIN(T(parse_arp_frame), T(round_trip), T(emit_ipv4_ethertype), T(truncated_below_14),
          T(emit_refuses_small_buffer), T(address_predicates), T(format_address))
