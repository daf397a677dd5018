/*
 * Output fragmentation: the slow path of Linux's ip_do_fragment.
 *
 * A datagram larger than the MTU of the way out, with DF clear, leaves as
 * fragments: each carries a copy of the header with its own offset, total
 * length and checksum; every fragment but the last has MF and a payload that
 * is a multiple of 8 bytes.  Options whose copy bit is clear (record route,
 * timestamp) travel only in the first fragment: the later ones have them
 * overwritten with NOPs, so the header length stays the same
 * (ip_options_fragment).  The skb is one contiguous buffer, so each fragment
 * is a fresh skb with the payload copied in; nothing is shared, and the
 * fragments can be queued, captured or dropped independently.
 */
#include <errno.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

/* Overwrite the options that are not copied into later fragments with
 * NOOPs (RFC 791: the copy flag, bit 0x80 of the type).  opts are the
 * optlen option bytes of a header that passed ipv4_parse, but the walk
 * stays in bounds whatever they hold. */
static void ip_options_fragment(uint8_t *opts, unsigned optlen)
{
        unsigned i = 0;
        while (i < optlen) {
                uint8_t type = opts[i];
                if (type == IPOPT_END)
                        return;
                if (type == IPOPT_NOOP) {
                        i++;
                        continue;
                }
                if (i + 1 >= optlen)
                        return;
                unsigned l = opts[i + 1];
                if (l < 2 || l > optlen - i)
                        return;
                if (!(type & 0x80))
                        memset(opts + i, IPOPT_NOOP, l);
                i += l;
        }
}

int ip_fragment(struct net *net, struct sk_buff *skb, unsigned mtu, const struct rt_result *res,
                void (*output)(struct net *net, struct sk_buff *skb, const struct rt_result *res))
{
        uint8_t hdr[IPV4_HLEN_MAX];
        /* the fragments split the transport checksum's span: compute it
         * now, as Linux's ip_fragment does for CHECKSUM_PARTIAL */
        if (skb_checksum_help(net, skb))
                goto nomem;
        const uint8_t *iph = skb->data;
        unsigned hlen = (iph[0] & 0x0f) * 4u;
        unsigned tot = get_be16(iph + 2);
        if (hlen < IPV4_HLEN_MIN || hlen > skb->len || tot > skb->len || tot < hlen)
                goto fail; /* not a header we built or validated: cannot happen */
        /* Each fragment's payload: what fits after the header, in 8-byte
         * units.  An MTU below header + 8 cannot carry any. */
        if (mtu < hlen + 8)
                goto fail;
        unsigned chunk = (mtu - hlen) & ~7u;
        uint16_t frag_off = get_be16(iph + 6);
        unsigned base = (frag_off & IP_OFFMASK) * 8u; /* refragmenting a fragment */
        bool more = frag_off & IP_MF;                 /* and the original's MF */
        memcpy(hdr, iph, hlen);

        unsigned left = tot - hlen, off = 0;
        int n = 0;
        while (left) {
                unsigned len = left > chunk ? chunk : left;
                struct sk_buff *f = alloc_skb_tx(net, hlen + len);
                if (!f)
                        goto nomem;
                uint8_t *p = skb_put(f, hlen + len);
                memcpy(p, hdr, hlen);
                memcpy(p + hlen, skb->data + hlen + off, len);
                uint16_t fo = (uint16_t)(((base + off) >> 3) & IP_OFFMASK);
                if (len < left || more)
                        fo |= IP_MF;
                put_be16(p + 2, (uint16_t)(hlen + len));
                put_be16(p + 6, fo);
                put_be16(p + 10, 0);
                put_be16(p + 10, ip_compute_csum(p, hlen));
                /* ip_copy_metadata: what the layers below look at */
                f->dev = skb->dev;
                f->protocol = skb->protocol;
                f->pkt_type = skb->pkt_type;
                f->mark = skb->mark;
                f->trace_id = skb->trace_id;
                f->tstamp = skb->tstamp;
                f->nexthop = skb->nexthop;
                f->csum_unnecessary = skb->csum_unnecessary;
                skb_reset_network_header(f);
                if (off == 0)
                        ip_options_fragment(hdr + IPV4_HLEN_MIN, hlen - IPV4_HLEN_MIN);
                IP_INC(net, FragCreates);
                TRACE(net, f, IP_OUT, "fragment %d: offset %u len %u%s", n, base + off, len,
                      fo & IP_MF ? " MF" : "");
                off += len;
                left -= len;
                n++;
                output(net, f, res);
        }
        IP_INC(net, FragOKs);
        consume_skb(skb);
        return 0;

fail:
        IP_INC(net, FragFails);
        TRACE(net, skb, IP_OUT, "cannot fragment %u bytes for mtu %u", skb->len, mtu);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_BIG);
        return -EMSGSIZE;
nomem:
        /* the fragments already sent stay sent, as Linux's slow path */
        IP_INC(net, FragFails);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_NOMEM);
        return -ENOMEM;
}
