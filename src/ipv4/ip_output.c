/*
 * IPv4 output: build the header for locally generated packets
 * (ip_build_and_send, deciding DF and EMSGSIZE from the socket's
 * IP_MTU_DISCOVER as Linux's __ip_append_data does), then -- for those and
 * for forwarded packets -- POST_ROUTING, fragmentation when the packet is
 * larger than the MTU (ip_finish_output), and the link-layer destination
 * through the neighbour table (ip_finish_output2).
 */
#include <errno.h>
#include <netinet/in.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "netfilter/netfilter.h"
#include "socket/sock.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* ip_finish_output2: resolve the next hop and hand the frame to the device. */
static void ip_finish_output2(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        struct net_device *dev = res->dev;
        IP_INC(net, OutTransmits);
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

/* ip_finish_output: fragment what the MTU cannot carry.  A packet with DF
 * that does not fit (forwarding checked earlier; locally built ones had DF
 * cleared when allowed to fragment) is refused with "fragmentation needed"
 * to its source, as Linux's ip_fragment. */
static void ip_finish_output(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        unsigned mtu = rt_mtu(res);
        if (likely(skb->len <= mtu)) {
                ip_finish_output2(net, skb, res);
                return;
        }
        if (get_be16(skb->data + 6) & IP_DF) {
                IP_INC(net, FragFails);
                TRACE(net, skb, IP_OUT, "%u bytes > mtu %u with DF: frag needed", skb->len, mtu);
                icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_BIG);
                return;
        }
        ip_fragment(net, skb, mtu, res, ip_finish_output2);
}

void ip_output_routed(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        struct net_device *dev = res->dev;
        skb->dev = dev;
        skb->protocol = ETH_P_IP;
        skb_reset_network_header(skb);
        if (!nf_hook(net, NF_INET_POST_ROUTING, skb, NULL, dev))
                return;
        IPEXT_ADD(net, OutOctets, skb->len);
        TRACE(net, skb, IP_OUT, "out %s to %s", dev->name,
              ipv4_addr_fmt(res->nexthop, (char[16]){ 0 }));
        ip_finish_output(net, skb, res);
}

int ip_build_and_send(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
                      uint8_t protocol, uint8_t tos, uint8_t ttl, int oif, int pmtudisc)
{
        return ip_build_and_send_cached(net, skb, saddr, daddr, protocol, tos, ttl, oif, pmtudisc,
                                        NULL);
}

int ip_build_and_send_cached(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
                             uint8_t protocol, uint8_t tos, uint8_t ttl, int oif, int pmtudisc,
                             struct ip_rt_cache *cache)
{
        struct ipv4_net *in = ipv4_of(net);
        struct rt_result res;
        /* the flow carries the packet's mark (SO_MARK) and TOS (RT_TOS),
         * and its protocol and ports for the multipath hash */
        struct flowi4 fl = { .daddr = daddr,
                             .saddr = saddr,
                             .oif = oif,
                             .mark = skb->mark,
                             .tos = IP_RT_TOS(tos),
                             .proto = protocol,
                             .uid = skb->sk ? skb->sk->uid : 0 };
        if ((protocol == IPPROTO_TCP_ || protocol == IPPROTO_UDP_) && skb->len >= 4) {
                fl.sport = get_be16(skb->data);
                fl.dport = get_be16(skb->data + 2);
        }
        int err = cache ? ip_route_output_cached(net, cache, &fl, &res)
                        : ip_route_output_flow(net, &fl, &res);
        if (err) {
                IP_INC(net, OutNoRoutes);
                TRACE(net, skb, IP_OUT, "no route to %s (%d)",
                      ipv4_addr_fmt(daddr, (char[16]){ 0 }), err);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_IP_OUTNOROUTES);
                return err;
        }
        uint32_t tot = skb->len + IPV4_HLEN_MIN;
        /* PROBE, INTERFACE and OMIT ignore the path MTU (ip_sk_use_pmtu) */
        if (pmtudisc >= IP_PMTUDISC_PROBE)
                res.mtu = res.dev->mtu;
        unsigned mtu = rt_mtu(&res);
        /* ip_sk_ignore_df: only DONT, WANT and OMIT may fragment */
        bool may_frag = pmtudisc < IP_PMTUDISC_DO || pmtudisc == IP_PMTUDISC_OMIT;
        if (tot > 0xffff || (!may_frag && tot > mtu)) {
                TRACE(net, skb, IP_OUT, "%u bytes > %s %u: EMSGSIZE", tot,
                      tot > 0xffff ? "IP maximum" : "mtu", tot > 0xffff ? 0xffff : mtu);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_BIG);
                return -EMSGSIZE;
        }
        bool df = pmtudisc == IP_PMTUDISC_DO || pmtudisc == IP_PMTUDISC_PROBE ||
                  (pmtudisc == IP_PMTUDISC_WANT && tot <= mtu);
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
                trace_start_ip(net, skb, protocol, iph.saddr, iph.daddr);
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
