/*
 * The multipath hash of an arriving packet (fib_multipath_hash_skb) under
 * each net.ipv4.fib_multipath_hash_policy: 0 the addresses; 1 with the
 * protocol and ports; 2 the addresses of the inner IPv4 header of an IPIP
 * or GRE packet (the outer ones otherwise); 3 the fields
 * fib_multipath_hash_fields selects, inner ones included.
 */
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "strata/strata.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"

static struct strata_clock *clk;
static struct strata_net *ns;

/* An IPv4 header at p: src, dst, protocol; 20 bytes. */
static void iphdr(uint8_t *p, uint32_t s, uint32_t d, uint8_t proto, uint16_t len)
{
        memset(p, 0, 20);
        p[0] = 0x45;
        put_be16(p + 2, len);
        p[8] = 64;
        p[9] = proto;
        put_be32(p + 12, s);
        put_be32(p + 16, d);
}

/* outer s->d carrying (gre: GRE then) inner is->id UDP isport->53. */
static uint32_t hash_of(uint32_t s, uint32_t d, int encap, uint32_t is, uint32_t id,
                        uint16_t isport)
{
        uint8_t pkt[80] = { 0 };
        size_t off = 20;
        uint8_t proto = encap == 0 ? 17 : encap == 1 ? 4 : 47;
        if (encap == 2) {
                put_be16(pkt + off + 2, 0x0800);
                off += 4;
        }
        if (encap) {
                iphdr(pkt + off, is, id, 17, 28);
                off += 20;
        }
        put_be16(pkt + off, encap ? isport : 1000);
        put_be16(pkt + off + 2, 53);
        off += 8;
        iphdr(pkt, s, d, proto, (uint16_t)off);
        struct sk_buff *skb = alloc_skb(ns->net, off);
        memcpy(skb_put(skb, off), pkt, off);
        CHECK_EQ(ipv4_parse(skb->data, off, false, &IPCB(skb)->iph, NULL), WIRE_OK);
        uint32_t h = fib_multipath_hash_skb(ns->net, skb);
        consume_skb(skb);
        return h;
}

static void policies_over_encapsulation(void)
{
        clk = strata_clock_new(true);
        CHECK_EQ(strata_net_new("mph", clk, 1, &ns), 0);
        const uint32_t A = 0x0a000001u, B = 0x0a000002u, X = 0xc0a80001u, Y = 0xc0a80002u;
        /* 0: the outer addresses only */
        CHECK_EQ(hash_of(A, B, 1, X, Y, 1), hash_of(A, B, 1, Y, X, 2));
        /* 2: the inner addresses, through IPIP and GRE alike */
        CHECK_EQ(strata_sysctl_set(ns, "net.ipv4.fib_multipath_hash_policy", "2"), 0);
        CHECK_EQ(hash_of(A, B, 1, X, Y, 1), hash_of(B, A, 1, X, Y, 2));
        CHECK_EQ(hash_of(A, B, 2, X, Y, 1), hash_of(B, A, 1, X, Y, 1));
        int differ = 0;
        for (uint32_t i = 0; i < 8; i++)
                differ += hash_of(A, B, 1, X + i, Y, 1) != hash_of(A, B, 1, X, Y, 1);
        CHECK(differ >= 6);
        /* without encapsulation: the outer addresses */
        CHECK_EQ(hash_of(A, B, 0, 0, 0, 0), hash_of(A, B, 0, X, Y, 9));
        /* 3: inner source port only (0x400) */
        CHECK_EQ(strata_sysctl_set(ns, "net.ipv4.fib_multipath_hash_policy", "3"), 0);
        CHECK_EQ(strata_sysctl_set(ns, "net.ipv4.fib_multipath_hash_fields", "1024"), 0);
        CHECK_EQ(hash_of(A, B, 1, X, Y, 7), hash_of(B, A, 1, Y, X, 7));
        differ = 0;
        for (uint16_t p = 0; p < 8; p++)
                differ += hash_of(A, B, 1, X, Y, (uint16_t)(100 + p)) != hash_of(A, B, 1, X, Y, 99);
        CHECK(differ >= 6);
        strata_net_free(ns);
        strata_clock_free(clk);
}

TEST_MAIN(T(policies_over_encapsulation))
