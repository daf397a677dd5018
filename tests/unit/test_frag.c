/*
 * ip_fragment on its own: the exact headers of each fragment (offsets, MF,
 * lengths, checksums), options without the copy bit only in the first
 * fragment (ip_options_fragment), refragmenting a fragment, and the MTU too
 * small to carry anything.  The fragments go to a capture function instead
 * of a device.
 */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "strata/strata.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

static struct sk_buff_head captured;

static void capture(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        skb_queue_tail(&captured, skb);
}

/* options: record route (7, not copied), NOP, router alert (148, copied) */
static const uint8_t opts[12] = { IPOPT_RR, 7, 4, 0, 0, 0, 0, IPOPT_NOOP, IPOPT_RA, 4, 0, 0 };

static struct sk_buff *datagram(struct net *net, unsigned payload, uint16_t frag_off)
{
        struct sk_buff *skb = alloc_skb_tx(net, 32 + payload);
        uint8_t *p = skb_put(skb, 32 + payload);
        struct ipv4_repr ip = { .ihl = 32,
                                .tot_len = (uint16_t)(32 + payload),
                                .id = 0x4242,
                                .frag_off = frag_off,
                                .ttl = 9,
                                .protocol = 253,
                                .saddr = 0x0a000001u,
                                .daddr = 0x0a000002u };
        CHECK_EQ(ipv4_emit(&ip, opts, p, 32), 32);
        for (unsigned i = 0; i < payload; i++)
                p[32 + i] = (uint8_t)(i ^ 0x5a);
        skb_reset_network_header(skb);
        return skb;
}

static void fragments_carry_exact_headers(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *sn;
        CHECK_EQ(strata_net_new("t", clk, 1, &sn), 0);
        struct net *net = api_lock(sn);
        skb_queue_init(&captured);
        struct rt_result res = { .type = RTN_UNICAST, .dev = net->loopback_dev };

        /* 200 bytes behind a 32-byte header, MTU 100: 64 + 64 + 64 + 8 */
        CHECK_EQ(ip_fragment(net, datagram(net, 200, 0), 100, &res, capture), 0);
        CHECK_EQ(captured.qlen, 4);
        unsigned i = 0, seen = 0;
        for (struct sk_buff *f = captured.first; f; f = f->next, i++) {
                const uint8_t *h = f->data;
                struct ipv4_repr r;
                CHECK_EQ(ipv4_parse(h, f->len, true, &r, NULL), WIRE_OK); /* checksum too */
                CHECK_EQ(r.ihl, 32);
                CHECK_EQ(r.id, 0x4242);
                CHECK_EQ(r.ttl, 9);
                CHECK_EQ(r.frag_off, (i < 3 ? IP_MF : 0) | i * 8);
                CHECK_EQ(r.tot_len, 32 + (i < 3 ? 64 : 8));
                if (i == 0) {
                        CHECK_MEM(h + 20, opts, 12);
                } else {
                        static const uint8_t later[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 148, 4, 0, 0 };
                        CHECK_MEM(h + 20, later, 12); /* RR gone, RA kept */
                }
                for (unsigned b = 0; b < r.tot_len - 32u; b++, seen++)
                        CHECK_EQ(h[32 + b], (uint8_t)(seen ^ 0x5a));
        }
        CHECK_EQ(seen, 200);
        skb_queue_purge_reason(net, &captured, SKB_DROP_REASON_NOT_SPECIFIED);

        /* a fragment (offset 100 units, MF) refragmented: offsets continue
         * from its own and the last piece keeps MF */
        CHECK_EQ(ip_fragment(net, datagram(net, 72, IP_MF | 100), 100, &res, capture), 0);
        CHECK_EQ(captured.qlen, 2);
        CHECK_EQ(get_be16(captured.first->data + 6), IP_MF | 100);
        CHECK_EQ(get_be16(captured.last->data + 6), IP_MF | 108);
        CHECK_EQ(get_be16(captured.last->data + 2), 32 + 8);
        skb_queue_purge_reason(net, &captured, SKB_DROP_REASON_NOT_SPECIFIED);

        /* an MTU that cannot hold the header and 8 bytes */
        CHECK_EQ(ip_fragment(net, datagram(net, 72, 0), 39, &res, capture), -EMSGSIZE);
        CHECK_EQ(captured.qlen, 0);
        CHECK_EQ(net->mib.ip[IPSTATS_MIB_FragOKs], 2);
        CHECK_EQ(net->mib.ip[IPSTATS_MIB_FragCreates], 6);
        CHECK_EQ(net->mib.ip[IPSTATS_MIB_FragFails], 1);
        CHECK_EQ(net->drops[SKB_DROP_REASON_PKT_TOO_BIG], 1);
        CHECK_EQ(skb_pool_outstanding(net->pool), 0);
        api_unlock(sn);
        strata_net_free(sn);
        strata_clock_free(clk);
}

TEST_MAIN(T(fragments_carry_exact_headers))
