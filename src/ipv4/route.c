/*
 * Route decisions: where an outgoing packet goes and with which source
 * address (ip_route_output_key), and what an arriving packet is -- ours,
 * broadcast, to forward, or a martian (ip_route_input_slow).
 */
#include <errno.h>

#include "core/trace.h"
#include "ipv4/ipv4.h"
#include "wire/ipv4.h"

int ip_route_output(struct net *net, uint32_t daddr, uint32_t saddr, int oif, struct rt_result *res)
{
        struct net_device *odev = NULL;
        res->route = NULL;
        if (saddr) {
                if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) || ipv4_is_zeronet(saddr))
                        return -EINVAL;
                if (!inet_addr_local(net, saddr))
                        return -EADDRNOTAVAIL;
        }
        if (oif) {
                odev = dev_get_by_index(net, oif);
                if (!odev)
                        return -ENODEV;
        }
        if (daddr == 0) {
                /* "to nowhere" means to ourselves, as Linux: the source, or
                 * the loopback address */
                daddr = saddr ? saddr : 0x7f000001u;
        }
        if (ipv4_is_lbcast(daddr) && odev) {
                res->type = RTN_BROADCAST;
                res->dev = odev;
                res->nexthop = daddr;
                res->saddr = saddr ? saddr : inet_select_addr(odev, 0, RT_SCOPE_LINK);
                return 0;
        }
        if (saddr && !odev && (ipv4_is_lbcast(daddr) || ipv4_is_multicast(daddr))) {
                /* leave through the device that owns the source address */
                odev = inet_addr_local(net, saddr);
                if (!odev)
                        return -ENETUNREACH;
                res->type = ipv4_is_lbcast(daddr) ? RTN_BROADCAST : RTN_MULTICAST;
                res->dev = odev;
                res->nexthop = daddr;
                res->saddr = saddr;
                return 0;
        }
        const struct fib_route *r = fib_lookup(net, daddr);
        if (!r)
                return -ENETUNREACH;
        res->route = r;
        res->type = r->type;
        if (ipv4_is_lbcast(daddr) && r->type == RTN_UNICAST) {
                /* __mkroute_output: the limited broadcast leaves by the
                 * route found, as a broadcast */
                res->type = RTN_BROADCAST;
                res->dev = odev ? odev : r->dev;
                res->nexthop = daddr;
                res->saddr = saddr ? saddr : inet_select_addr(res->dev, 0, RT_SCOPE_LINK);
                return 0;
        }
        switch (r->type) {
        case RTN_LOCAL:
                res->dev = net->loopback_dev;
                res->nexthop = daddr;
                res->saddr = saddr ? saddr : (r->prefsrc ? r->prefsrc : daddr);
                return 0;
        case RTN_UNICAST:
        case RTN_BROADCAST:
                if (odev && r->dev != odev && r->type == RTN_UNICAST) {
                        /* An interface was asked for: Linux still sends there
                         * when the destination is on-link-able, via the
                         * device's own connected routes.  Without one, as a
                         * direct neighbour on that device. */
                        res->dev = odev;
                        res->nexthop = daddr;
                        res->saddr = saddr ? saddr : inet_select_addr(odev, daddr, RT_SCOPE_LINK);
                        return 0;
                }
                res->dev = r->dev;
                res->nexthop = r->gw ? r->gw : daddr;
                if (saddr)
                        res->saddr = saddr;
                else if (r->prefsrc)
                        res->saddr = r->prefsrc;
                else
                        res->saddr = inet_select_addr(r->dev, res->nexthop,
                                                      r->gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
                if (!res->saddr && !saddr)
                        res->saddr = inet_select_addr(r->dev, 0, RT_SCOPE_HOST);
                return 0;
        case RTN_UNREACHABLE:
                return -EHOSTUNREACH;
        case RTN_PROHIBIT:
                return -EACCES;
        case RTN_BLACKHOLE:
                return -EINVAL;
        default:
                return -ENETUNREACH;
        }
}

int ip_route_input(struct sk_buff *skb, uint32_t daddr, uint32_t saddr, struct net_device *dev,
                   struct rt_result *res)
{
        struct net *net = dev->net;
        struct ipv4_net *in = ipv4_of(net);
        bool on_lo = dev->flags & IFF_LOOPBACK_;
        res->dev = dev;
        res->route = NULL;
        res->nexthop = daddr;
        res->saddr = 0;

        /* martian sources (ip_route_input_slow's first checks) */
        if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr))
                return SKB_DROP_REASON_IP_INVALID_SOURCE;
        if (ipv4_is_lbcast(daddr) || (saddr == 0 && daddr == 0)) {
                res->type = RTN_BROADCAST;
                return 0;
        }
        if (ipv4_is_zeronet(saddr))
                return SKB_DROP_REASON_IP_INVALID_SOURCE;
        if (ipv4_is_zeronet(daddr))
                return SKB_DROP_REASON_IP_INVALID_DEST;
        if (!on_lo && (ipv4_is_loopback(daddr)))
                return SKB_DROP_REASON_IP_INVALID_DEST;
        if (!on_lo && (ipv4_is_loopback(saddr)))
                return SKB_DROP_REASON_IP_INVALID_SOURCE;
        if (ipv4_is_multicast(daddr)) {
                res->type = RTN_MULTICAST;
                return 0;
        }

        const struct fib_route *r = fib_lookup(net, daddr);
        res->route = r;
        if (r && (r->type == RTN_LOCAL || r->type == RTN_BROADCAST)) {
                /* fib_validate_source: a packet from the wire claiming one of
                 * our addresses as its source is refused */
                if (!on_lo && skb->pkt_type != PACKET_LOOPBACK && inet_addr_local(net, saddr))
                        return SKB_DROP_REASON_IP_LOCAL_SOURCE;
                res->type = r->type;
                return 0;
        }
        if (!in->ip_forward) {
                TRACE(net, skb, IP_RCV, "not for us and net.ipv4.ip_forward=0: not forwarding");
                IP_INC(net, InAddrErrors);
                return SKB_DROP_REASON_IP_INADDRERRORS;
        }
        if (!r || r->type != RTN_UNICAST) {
                IPEXT_ADD(net, InNoRoutes, 1);
                res->type = r ? r->type : RTN_UNREACHABLE;
                return SKB_DROP_REASON_IP_INNOROUTES;
        }
        res->type = RTN_UNICAST;
        res->dev = r->dev;
        res->nexthop = r->gw ? r->gw : daddr;
        return 0;
}
