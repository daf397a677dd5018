/*
 * IPv4 input: validate (ip_rcv_core), route (ip_route_input), then deliver
 * locally through the protocol table -- fragments reassembled first
 * (ip_reasm.c) -- or forward (fragmented on the way out when the next link
 * is smaller and DF is clear).  Every refusal is a named
 * drop and the MIB counter Linux bumps for it.
 */
#include <errno.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "netfilter/netfilter.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static void ip_local_deliver(struct net *net, struct sk_buff *skb)
{
        struct ipv4_net *in = ipv4_of(net);
        struct ip_cb *cb = IPCB(skb);
        if (unlikely(cb->iph.frag_off & (IP_MF | IP_OFFMASK))) {
                /* reassembly before LOCAL_IN, as Linux: the hooks and the
                 * protocols see whole datagrams */
                skb = ip_defrag(net, skb);
                if (!skb)
                        return;
                cb = IPCB(skb);
        }
        if (!nf_hook(net, NF_INET_LOCAL_IN, skb, skb->dev, NULL))
                return;
        skb_pull(skb, cb->iph.ihl);
        skb_reset_transport_header(skb);
        IP_INC(net, InDelivers);
        void (*handler)(struct sk_buff *) = in->protos[cb->iph.protocol];
        TRACE(net, skb, IP_LOCAL, "protocol %u to %s", cb->iph.protocol,
              handler ? "its handler" : "nobody");
        if (likely(handler)) {
                handler(skb);
                return;
        }
        IP_INC(net, InUnknownProtos);
        if (cb->route_type == RTN_LOCAL)
                icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_NOPROTO);
}

static void ip_forward(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        struct ip_cb *cb = IPCB(skb);
        if (skb->pkt_type != PACKET_HOST) {
                TRACE(net, skb, IP_FORWARD, "link-layer broadcast: not forwarded");
                kfree_skb_reason(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        if (cb->iph.opt.srr && cb->iph.opt.is_strictroute && res->nexthop != cb->iph.daddr) {
                /* a strict route may not go through a gateway: Linux's
                 * sr_failed (the option's next hops are not rewritten:
                 * Strata forwards a loose source route toward its
                 * destination field as it stands) */
                icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_SR_FAILED, 0);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_SOURCE_ROUTE);
                return;
        }
        if (cb->iph.ttl <= 1) {
                IP_INC(net, InHdrErrors);
                TRACE(net, skb, IP_FORWARD, "TTL %u expires here: ICMP time exceeded", cb->iph.ttl);
                icmp_send(net, skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_INHDR);
                return;
        }
        /* ip_exceeds_mtu: with DF the sender must hear the MTU; without,
         * ip_finish_output fragments it after the FORWARD hook */
        unsigned mtu = rt_mtu(res);
        if (skb->len > mtu && (cb->iph.frag_off & IP_DF)) {
                IP_INC(net, FragFails);
                TRACE(net, skb, IP_FORWARD, "%u bytes > mtu %u with DF: frag needed", skb->len,
                      mtu);
                icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_BIG);
                return;
        }
        if (skb_unshare(net, skb)) {
                kfree_skb_reason(net, skb, SKB_DROP_REASON_NOMEM);
                return;
        }
        if (res->redirect && !cb->iph.opt.srr)
                ip_rt_send_redirect(net, skb, res);
        if (!nf_hook(net, NF_INET_FORWARD, skb, skb->dev, res->dev))
                return;
        ipv4_set_ttl(skb->data, (uint8_t)(cb->iph.ttl - 1));
        IP_INC(net, ForwDatagrams);
        TRACE(net, skb, IP_FORWARD, "to %s via %s", res->dev->name,
              ipv4_addr_fmt(res->nexthop, (char[16]){ 0 }));
        ip_output_routed(net, skb, res);
}

void ip_rcv(struct sk_buff *skb, struct net_device *dev)
{
        struct net *net = dev->net;
        struct ip_cb *cb = IPCB(skb);
        unsigned bad_off = 0;

        if (unlikely(skb->pkt_type == PACKET_OTHERHOST)) {
                kfree_skb_reason(net, skb, SKB_DROP_REASON_OTHERHOST);
                return;
        }
        IP_INC(net, InReceives);
        IPEXT_ADD(net, InOctets, skb->len);
        if (skb->pkt_type == PACKET_BROADCAST)
                IPEXT_ADD(net, InBcastPkts, 1);
        else if (skb->pkt_type == PACKET_MULTICAST)
                IPEXT_ADD(net, InMcastPkts, 1);

        enum wire_status st = ipv4_parse(skb->data, skb->len, true, &cb->iph, &bad_off);
        if (unlikely(st != WIRE_OK)) {
                enum skb_drop_reason why = SKB_DROP_REASON_IP_INHDR;
                if (st == WIRE_BAD_CSUM) {
                        IPEXT_ADD(net, InCsumErrors, 1);
                        why = SKB_DROP_REASON_IP_CSUM;
                } else if ((st == WIRE_TRUNCATED || st == WIRE_BAD_LENGTH) &&
                           skb->len >= IPV4_HLEN_MIN && (skb->data[0] & 0x0f) * 4u <= skb->len &&
                           get_be16(skb->data + 2) > skb->len) {
                        /* the frame was cut short: Linux counts it apart */
                        IPEXT_ADD(net, InTruncatedPkts, 1);
                        TRACE(net, skb, IP_RCV, "total length %u > %u bytes received",
                              get_be16(skb->data + 2), skb->len);
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                        return;
                }
                IP_INC(net, InHdrErrors);
                TRACE(net, skb, IP_RCV, "bad header: %s", wire_status_name(st));
                if (st == WIRE_BAD_OPTION) {
                        skb_reset_network_header(skb);
                        /* ip_options_compile answers a bad option with a
                         * parameter problem pointing at it; the header was
                         * otherwise valid so the error can quote it */
                        cb->iph.ihl = (uint8_t)((skb->data[0] & 0x0f) * 4);
                        cb->iph.saddr = get_be32(skb->data + 12);
                        cb->iph.daddr = get_be32(skb->data + 16);
                        cb->iph.protocol = skb->data[9];
                        cb->iph.frag_off = get_be16(skb->data + 6);
                        cb->iph.tot_len = get_be16(skb->data + 2);
                        cb->route_type = RTN_UNICAST;
                        icmp_send(net, skb, ICMP_PARAMETERPROB, 0, bad_off << 24);
                }
                kfree_skb_reason(net, skb, why);
                return;
        }
        skb_trim(skb, cb->iph.tot_len); /* link-layer padding */
        /* ip_rcv_core: the ECN codepoint of every valid datagram (IpExt
         * InNoECTPkts, InECT1Pkts, InECT0Pkts, InCEPkts) */
        switch (cb->iph.tos & 3) {
        case 0:
                IPEXT_ADD(net, InNoECTPkts, 1);
                break;
        case 1:
                IPEXT_ADD(net, InECT1Pkts, 1);
                break;
        case 2:
                IPEXT_ADD(net, InECT0Pkts, 1);
                break;
        default:
                IPEXT_ADD(net, InCEPkts, 1);
                break;
        }
        skb_reset_network_header(skb);
        TRACE(net, skb, IP_RCV, "%s > %s proto %u ttl %u len %u",
              ipv4_addr_fmt(cb->iph.saddr, (char[16]){ 0 }),
              ipv4_addr_fmt(cb->iph.daddr, (char[16]){ 0 }), cb->iph.protocol, cb->iph.ttl,
              cb->iph.tot_len);

        if (!nf_hook(net, NF_INET_PRE_ROUTING, skb, dev, NULL))
                return;

        struct rt_result res;
        int why = ip_route_input(skb, cb->iph.daddr, cb->iph.saddr, dev, &res);
        if (unlikely(why)) {
                /* ip_error(): unreachable and prohibit routes answer, a
                 * blackhole swallows silently */
                if (why == SKB_DROP_REASON_IP_INNOROUTES && res.type != RTN_BLACKHOLE)
                        icmp_send(net, skb, ICMP_DEST_UNREACH,
                                  res.type == RTN_PROHIBIT ? ICMP_PKT_FILTERED
                                  : res.route              ? ICMP_HOST_UNREACH
                                                           : ICMP_NET_UNREACH,
                                  0);
                TRACE(net, skb, IP_RCV, "route input refused: %s",
                      drop_reason_name((enum skb_drop_reason)why));
                kfree_skb_reason(net, skb, (enum skb_drop_reason)why);
                return;
        }
        cb->route_type = res.type;
        /* ip_rcv_options: source routing only where conf.all and the
         * device both accept it */
        if (unlikely(cb->iph.opt.srr) && !(dev->flags & IFF_LOOPBACK_) &&
            !(in_dev_get(dev) && in_dev_source_route(in_dev_get(dev)))) {
                if (in_dev_get(dev) && in_dev_log_martians(in_dev_get(dev)))
                        TRACE(net, skb, IP_RCV, "source route option %s -> %s",
                              ipv4_addr_fmt(cb->iph.saddr, (char[16]){ 0 }),
                              ipv4_addr_fmt(cb->iph.daddr, (char[16]){ 0 }));
                TRACE(net, skb, IP_RCV, "source route option: accept_source_route=0");
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_SOURCE_ROUTE);
                return;
        }
        switch (res.type) {
        case RTN_LOCAL:
        case RTN_BROADCAST:
                ip_local_deliver(net, skb);
                return;
        case RTN_MULTICAST:
                TRACE(net, skb, IP_RCV, "multicast group not joined");
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_MCAST_NOT_JOINED);
                return;
        default:
                ip_forward(net, skb, &res);
                return;
        }
}
