/*
 * IPv4 output: build the header for locally generated packets
 * (ip_build_and_send), then -- for those and for forwarded packets -- pick
 * the link-layer destination through the neighbour table and hand the frame
 * to the device (ip_finish_output2).
 */
#include <errno.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "netfilter/netfilter.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

void ip_output_routed(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        struct net_device *dev = res->dev;
        skb->dev = dev;
        skb->protocol = ETH_P_IP;
        skb_reset_network_header(skb);
        if (!nf_hook(net, NF_INET_POST_ROUTING, skb, NULL, dev))
                return;
        IP_INC(net, OutTransmits);
        IPEXT_ADD(net, OutOctets, skb->len);
        TRACE(net, skb, IP_OUT, "out %s to %s", dev->name,
              ipv4_addr_fmt(res->nexthop, (char[16]){ 0 }));

        if (dev->flags & (IFF_LOOPBACK_ | IFF_NOARP_) || res->type == RTN_BROADCAST ||
            ipv4_is_lbcast(res->nexthop)) {
                /* no resolution: loopback, NOARP links, broadcasts */
                if (res->type == RTN_BROADCAST || ipv4_is_lbcast(res->nexthop))
                        IPEXT_ADD(net, OutBcastPkts, 1);
                if (dev->header_ops->create(skb, dev, ETH_P_IP, NULL) < 0) {
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_DEV_HDR);
                        return;
                }
                if (res->type == RTN_BROADCAST && skb->sk && !(dev->flags & IFF_LOOPBACK_)) {
                        /* ip_mc_output: a broadcast we send is also
                         * delivered here (dev_loopback_xmit) */
                        struct sk_buff *loop = skb_copy(net, skb);
                        if (loop) {
                                loop->dev = dev;
                                loop->pkt_type = PACKET_LOOPBACK;
                                loop->csum_unnecessary = 1;
                                netif_rx(loop);
                        }
                }
                dev_queue_xmit(skb);
                return;
        }
        struct neighbour *n = arp_neigh(dev, res->nexthop);
        if (!n) {
                IP_INC(net, OutDiscards);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_NEIGH_CREATEFAIL);
                return;
        }
        neigh_output(n, skb);
}

int ip_build_and_send(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
                      uint8_t protocol, uint8_t tos, uint8_t ttl, int oif, bool df)
{
        struct ipv4_net *in = ipv4_of(net);
        struct rt_result res;
        int err = ip_route_output(net, daddr, saddr, oif, &res);
        if (err) {
                IP_INC(net, OutNoRoutes);
                TRACE(net, skb, IP_OUT, "no route to %s (%d)",
                      ipv4_addr_fmt(daddr, (char[16]){ 0 }), err);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_OUTNOROUTES);
                return err;
        }
        uint32_t tot = skb->len + IPV4_HLEN_MIN;
        if (tot > res.dev->mtu || tot > 0xffff) {
                /* fragmentation arrives with the routing issue: until then a
                 * datagram must fit the path, and the caller hears so */
                IP_INC(net, FragFails);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_BIG);
                return -EMSGSIZE;
        }
        struct ipv4_repr iph = {
                .ihl = IPV4_HLEN_MIN,
                .tos = tos,
                .tot_len = (uint16_t)tot,
                .id = in->ip_id++,
                .frag_off = df ? IP_DF : 0,
                .ttl = ttl ? ttl : (uint8_t)in->ip_default_ttl,
                .protocol = protocol,
                .saddr = res.saddr,
                .daddr = daddr ? daddr : res.nexthop,
        };
        if (res.type == RTN_LOCAL)
                iph.daddr = daddr ? daddr : res.nexthop;
        if (unlikely(net->trace.active) && !skb->trace_id)
                trace_start_slow(net, skb);
        uint8_t *h = skb_push(skb, IPV4_HLEN_MIN);
        ipv4_emit(&iph, NULL, h, IPV4_HLEN_MIN);
        skb_reset_network_header(skb);
        IP_INC(net, OutRequests);
        TRACE(net, skb, IP_OUT, "%s > %s proto %u ttl %u len %u",
              ipv4_addr_fmt(iph.saddr, (char[16]){ 0 }), ipv4_addr_fmt(iph.daddr, (char[16]){ 0 }),
              protocol, iph.ttl, tot);
        if (!nf_hook(net, NF_INET_LOCAL_OUT, skb, NULL, res.dev))
                return -EPERM;
        ip_output_routed(net, skb, &res);
        return 0;
}
