/*
 * Route decisions: where an outgoing packet goes and with which source
 * address (ip_route_output_key), and what an arriving packet is -- ours,
 * broadcast, to forward, or a martian (ip_route_input_slow).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "socket/sock.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#ifndef ICMP_REDIR_HOST
#define ICMP_REDIR_HOST 1 /* redirect datagrams for the host */
#endif

/* ip_rt_send_redirect's constants (HZ-independent): ip_rt_redirect_number,
 * ip_rt_redirect_load (HZ/50) and ip_rt_redirect_silence ((HZ/50) << 10). */
#define REDIRECT_NUMBER  9
#define REDIRECT_LOAD_NS (20 * NSEC_PER_MSEC)
#define REDIRECT_SILENCE (REDIRECT_LOAD_NS << 10)

int ip_route_output(struct net *net, uint32_t daddr, uint32_t saddr, int oif, struct rt_result *res)
{
        return ip_route_output_mark(net, daddr, saddr, oif, 0, 0, res);
}

int ip_route_output_sk(const struct sock *sk, uint32_t daddr, struct rt_result *res)
{
        struct flowi4 fl = { .daddr = daddr,
                             .saddr = sk->saddr,
                             .oif = sk->bound_dev_if,
                             .mark = (uint32_t)sk->mark,
                             .tos = IP_RT_TOS(sk->tos),
                             .uid = sk->uid };
        return ip_route_output_flow(sk->net, &fl, res);
}

int ip_route_output_cached(struct net *net, struct ip_rt_cache *c, const struct flowi4 *fl,
                           struct rt_result *res)
{
        uint32_t gen = ipv4_of(net)->rt_genid;
        if (likely(c->genid == gen && c->daddr == fl->daddr && c->saddr == fl->saddr &&
                   c->oif == fl->oif && c->mark == fl->mark && c->tos == fl->tos &&
                   c->proto == fl->proto && c->sport == fl->sport && c->dport == fl->dport)) {
                *res = (struct rt_result){ .type = c->type,
                                           .dev = c->dev,
                                           .nexthop = c->nexthop,
                                           .saddr = c->res_saddr,
                                           .nhsel = c->nhsel,
                                           .table = RT_TABLE_MAIN };
                return 0;
        }
        int err = ip_route_output_flow(net, fl, res);
        /* Errors are not kept: the next packet looks again.  Nor is a
         * decision a next-hop exception shaped (a learned path MTU, a
         * redirect's gateway): those lapse with time, which only a lookup
         * notices (fnhe_apply), and they are rare. */
        if (err || res->mtu || res->redirected || res->expires) {
                c->genid = 0;
                return err;
        }
        *c = (struct ip_rt_cache){ .genid = gen,
                                   .daddr = fl->daddr,
                                   .saddr = fl->saddr,
                                   .mark = fl->mark,
                                   .oif = fl->oif,
                                   .tos = fl->tos,
                                   .proto = fl->proto,
                                   .sport = fl->sport,
                                   .dport = fl->dport,
                                   .type = res->type,
                                   .nhsel = (uint8_t)res->nhsel,
                                   .dev = res->dev,
                                   .nexthop = res->nexthop,
                                   .res_saddr = res->saddr };
        return 0;
}

int ip_route_output_mark(struct net *net, uint32_t daddr, uint32_t saddr, int oif, uint32_t mark,
                         uint8_t tos, struct rt_result *res)
{
        struct flowi4 fl = { .daddr = daddr, .saddr = saddr, .oif = oif, .mark = mark, .tos = tos };
        return ip_route_output_flow(net, &fl, res);
}

int ip_route_output_flow(struct net *net, const struct flowi4 *flow, struct rt_result *res)
{
        uint32_t daddr = flow->daddr, saddr = flow->saddr;
        int oif = flow->oif;
        struct net_device *odev = NULL;
        res->route = NULL;
        res->nhsel = 0;
        res->table = RT_TABLE_MAIN;
        res->mtu = 0;
        res->mtu_locked = false;
        res->redirected = false;
        res->expires = 0;
        res->redirect = false;
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
        struct flowi4 fl = *flow;
        fl.daddr = daddr;
        fl.iif = net->loopback_dev ? net->loopback_dev->ifindex : 1;
        struct fib_res fr;
        int ferr = fib_lookup_flow(net, &fl, &fr);
        res->type = fr.type;
        if (ferr)
                return ferr;
        const struct fib_route *r = fr.route;
        res->route = r;
        res->table = fr.table;
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
        case RTN_BROADCAST: {
                /* fib_select_path: a multipath route's next hop by the
                 * flow's hash */
                int nhsel = r->nhs ? fib_select_multipath(r, fib_multipath_hash(net, &fl)) : 0;
                struct net_device *rdev = r->nhs ? r->nh[nhsel].dev : r->dev;
                uint32_t gw = r->nhs ? r->nh[nhsel].gw : r->gw;
                if (odev && r->nhs) {
                        int k = fib_route_nh_by_dev(r, odev); /* the one oif names */
                        if (k >= 0) {
                                nhsel = k;
                                rdev = odev;
                                gw = r->nh[k].gw;
                        }
                }
                res->nhsel = nhsel;
                if (odev && rdev != odev && r->type == RTN_UNICAST) {
                        /* An interface was asked for: Linux still sends there
                         * when the destination is on-link-able, via the
                         * device's own connected routes.  Without one, as a
                         * direct neighbour on that device. */
                        res->dev = odev;
                        res->nexthop = daddr;
                        res->saddr = saddr ? saddr : inet_select_addr(odev, daddr, RT_SCOPE_LINK);
                        return 0;
                }
                res->dev = rdev;
                res->nexthop = gw ? gw : daddr;
                if (saddr)
                        res->saddr = saddr;
                else if (r->prefsrc)
                        res->saddr = r->prefsrc;
                else
                        res->saddr = inet_select_addr(rdev, res->nexthop,
                                                      gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
                if (!res->saddr && !saddr)
                        res->saddr = inet_select_addr(rdev, 0, RT_SCOPE_HOST);
                if (r->type == RTN_UNICAST) {
                        fib_route_apply_mtu(res);
                        fnhe_apply(net, res, daddr, false); /* find_exception */
                }
                return 0;
        }
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

/*
 * fib_validate_source: does the source make sense arriving on dev, for a
 * packet that will leave by odev (NULL: delivered here)?  Returns 1 when
 * the source is on-link through dev (a redirect is then possible), 0 when
 * acceptable, -EINVAL for a source whose route back is not unicast (a
 * martian), -EXDEV when rp_filter refuses it: in strict mode (1) the route
 * back must leave by dev, in loose mode (2) some route back must exist.
 * Without rp_filter only a redirect candidate is looked up, as Linux's fast
 * path.
 */
static int fib_validate_source(struct net *net, uint32_t saddr, uint32_t daddr,
                               struct net_device *dev, struct net_device *odev)
{
        const struct in_device *idev = in_dev_get(dev);
        int rpf = idev ? in_dev_rpfilter(idev) : 0;
        if (!rpf && (odev != dev || !idev || !in_dev_tx_redirects(idev)))
                return 0;
        /* the reverse flow, as __fib_validate_source: from the loopback */
        struct flowi4 fl = { .daddr = saddr,
                             .saddr = daddr,
                             .iif = net->loopback_dev ? net->loopback_dev->ifindex : 1 };
        struct fib_res fr;
        const struct fib_route *r = fib_lookup_flow(net, &fl, &fr) ? NULL : fr.route;
        if (!r)
                return rpf ? -EXDEV : 0;
        if (r->type != RTN_UNICAST)
                return -EINVAL;
        int k = fib_route_nh_by_dev(r, dev); /* any next hop through dev */
        if (k >= 0)
                return (r->nhs ? r->nh[k].gw : r->gw) == 0; /* on-link: scope host */
        if (!idev || !idev->ifa_list)
                return rpf ? -EXDEV : 0;
        if (rpf == 1)
                return -EXDEV;
        return 0;
}

/* A martian: counted by its drop reason; with log_martians, said in the
 * trace (Linux logs "martian source D from S, on dev X"). */
static int martian(struct sk_buff *skb, struct net_device *dev, uint32_t daddr, uint32_t saddr,
                   int reason, const char *what)
{
        const struct in_device *idev = in_dev_get(dev);
        if (idev && in_dev_log_martians(idev))
                TRACE(dev->net, skb, IP_RCV, "martian %s %s from %s, on dev %s", what,
                      ipv4_addr_fmt(daddr, (char[16]){ 0 }), ipv4_addr_fmt(saddr, (char[16]){ 0 }),
                      dev->name);
        return reason;
}

int ip_route_input(struct sk_buff *skb, uint32_t daddr, uint32_t saddr, struct net_device *dev,
                   struct rt_result *res)
{
        struct net *net = dev->net;
        bool on_lo = dev->flags & IFF_LOOPBACK_;
        const struct in_device *idev = in_dev_get(dev);
        res->dev = dev;
        res->route = NULL;
        res->nhsel = 0;
        res->mtu = 0;
        res->mtu_locked = false;
        res->redirected = false;
        res->expires = 0;
        res->redirect = false;
        res->nexthop = daddr;
        res->saddr = 0;
        res->table = RT_TABLE_MAIN;

        /* martian sources (ip_route_input_slow's first checks) */
        if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr))
                return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_INVALID_SOURCE, "source");
        if (ipv4_is_lbcast(daddr) || (saddr == 0 && daddr == 0)) {
                res->type = RTN_BROADCAST;
                return 0;
        }
        if (ipv4_is_zeronet(saddr))
                return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_INVALID_SOURCE, "source");
        if (ipv4_is_zeronet(daddr))
                return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_INVALID_DEST,
                               "destination");
        if (!on_lo && (ipv4_is_loopback(daddr)))
                return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_INVALID_DEST,
                               "destination");
        if (!on_lo && (ipv4_is_loopback(saddr)))
                return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_INVALID_SOURCE, "source");
        if (ipv4_is_multicast(daddr)) {
                res->type = RTN_MULTICAST;
                return 0;
        }

        /* the flow of ip_route_input_slow: the header's TOS (RT_TOS) too */
        struct flowi4 fl = { .daddr = daddr,
                             .saddr = saddr,
                             .iif = dev->ifindex,
                             .mark = skb->mark,
                             .tos = IP_RT_TOS(IPCB(skb)->iph.tos) };
        /* fib4_rules_early_flow_dissect: rules that select by protocol or
         * port see the packet's (none for a later fragment); the local
         * decisions cached by addresses alone would not tell them apart */
        bool l4 = fib_rules_need_l4(net);
        if (l4) {
                const struct ip_cb *cb = IPCB(skb);
                fl.proto = cb->iph.protocol;
                unsigned ihl = cb->iph.ihl;
                if (!(cb->iph.frag_off & IP_OFFMASK) &&
                    (fl.proto == IPPROTO_TCP_ || fl.proto == IPPROTO_UDP_) && skb->len >= ihl + 4) {
                        fl.sport = get_be16(skb->data + ihl);
                        fl.dport = get_be16(skb->data + ihl + 2);
                }
        }
        struct in_rx_cache *rc = idev && !l4 ? &((struct in_device *)idev)->rx_cache : NULL;
        uint32_t gen = ipv4_of(net)->rt_genid;
        int rpf = idev ? in_dev_rpfilter(idev) : 0;
        bool loopback = skb->pkt_type == PACKET_LOOPBACK;
        if (rc && rc->genid == gen && rc->daddr == daddr && rc->saddr == saddr &&
            rc->mark == fl.mark && rc->tos == fl.tos && rc->rpf == rpf && rc->loopback == loopback) {
                res->type = RTN_LOCAL;
                res->route = rc->route;
                res->table = rc->table;
                return 0;
        }
        struct fib_res fr;
        int ferr = fib_lookup_flow(net, &fl, &fr);
        const struct fib_route *r = ferr ? NULL : fr.route;
        res->route = r;
        res->table = fr.table;
        if (r && (r->type == RTN_LOCAL || r->type == RTN_BROADCAST)) {
                /* fib_validate_source: a packet from the wire claiming one of
                 * our addresses as its source is refused */
                if (!on_lo && skb->pkt_type != PACKET_LOOPBACK && inet_addr_local(net, saddr))
                        return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_LOCAL_SOURCE,
                                       "source");
                if (!on_lo && r->type == RTN_LOCAL) {
                        int v = fib_validate_source(net, saddr, daddr, dev, NULL);
                        if (v == -EXDEV) {
                                TRACE(net, skb, IP_RCV, "rp_filter: no route back to %s via %s",
                                      ipv4_addr_fmt(saddr, (char[16]){ 0 }), dev->name);
                                return SKB_DROP_REASON_IP_RPFILTER;
                        }
                        if (v < 0)
                                return martian(skb, dev, daddr, saddr,
                                               SKB_DROP_REASON_IP_INVALID_SOURCE, "source");
                }
                res->type = r->type;
                if (rc && r->type == RTN_LOCAL)
                        *rc = (struct in_rx_cache){ .genid = gen,
                                                    .daddr = daddr,
                                                    .saddr = saddr,
                                                    .mark = fl.mark,
                                                    .tos = fl.tos,
                                                    .rpf = (uint8_t)rpf,
                                                    .loopback = loopback,
                                                    .table = fr.table,
                                                    .route = r };
                return 0;
        }
        if (!idev || !in_dev_forward(idev)) {
                TRACE(net, skb, IP_RCV,
                      "not for us and forwarding is off on %s "
                      "(net.ipv4.ip_forward=%d): not forwarding",
                      dev->name, ipv4_of(net)->ip_forward);
                IP_INC(net, InAddrErrors);
                return SKB_DROP_REASON_IP_INADDRERRORS;
        }
        if (!r || r->type != RTN_UNICAST) {
                /* ip_error's answer follows the type: a rule's unreachable
                 * (no route) says net unreachable, a route's host
                 * unreachable; prohibit, filtered; blackhole, nothing */
                IPEXT_ADD(net, InNoRoutes, 1);
                res->type = r ? r->type : fr.type;
                TRACE(net, skb, IP_RCV, "%s to %s (table %u)",
                      r                      ? "route type refuses"
                      : ferr == -ENETUNREACH ? "no route"
                                             : "rule refuses",
                      ipv4_addr_fmt(daddr, (char[16]){ 0 }), fr.table);
                return SKB_DROP_REASON_IP_INNOROUTES;
        }
        int nhsel = r->nhs ? fib_select_multipath(r, fib_multipath_hash_skb(net, skb)) : 0;
        struct net_device *odev = r->nhs ? r->nh[nhsel].dev : r->dev;
        uint32_t gw = r->nhs ? r->nh[nhsel].gw : r->gw;
        int v = fib_validate_source(net, saddr, daddr, dev, odev);
        if (v == -EXDEV) {
                TRACE(net, skb, IP_RCV, "rp_filter: no route back to %s via %s",
                      ipv4_addr_fmt(saddr, (char[16]){ 0 }), dev->name);
                return SKB_DROP_REASON_IP_RPFILTER;
        }
        if (v < 0)
                return martian(skb, dev, daddr, saddr, SKB_DROP_REASON_IP_INVALID_SOURCE, "source");
        res->type = RTN_UNICAST;
        res->dev = odev;
        res->nhsel = nhsel;
        res->nexthop = gw ? gw : daddr;
        fib_route_apply_mtu(res); /* a forwarded packet honours the route's mtu */
        fnhe_apply(net, res, daddr, true);
        /* __mkroute_input: out the way it came, from an on-link source
         * (shared_media=1): the source should use the next hop directly */
        res->redirect = v == 1 && odev == dev && idev && in_dev_tx_redirects(idev);
        return 0;
}

/*
 * ip_rt_send_redirect: tell an on-link source that the next hop for this
 * destination is reachable directly.  Linux's backoff per source: the first
 * at once, then only after 20 ms << (redirects sent), at most 9, and the
 * count starts over after 20.48 s without redirected packets.
 */
void ip_rt_send_redirect(struct net *net, struct sk_buff *skb, const struct rt_result *res)
{
        struct ipv4_net *in = ipv4_of(net);
        uint32_t saddr = get_be32(skb_network_header(skb) + 12);
        struct redirect_peer *p = &in->redirect_peers[(saddr * 2654435761u) >> 24];
        uint64_t now = net_now(net);
        if (p->addr != saddr || p->rate_last == 0) {
                p->addr = saddr;
                p->n_redirects = 0;
                p->rate_last = now;
        }
        if (now > p->rate_last + REDIRECT_SILENCE)
                p->n_redirects = 0;
        if (p->n_redirects >= REDIRECT_NUMBER) {
                p->rate_last = now;
                return;
        }
        if (p->n_redirects == 0 || now > p->rate_last + (REDIRECT_LOAD_NS << p->n_redirects)) {
                TRACE(net, skb, IP_FORWARD, "redirect %s: use %s",
                      ipv4_addr_fmt(saddr, (char[16]){ 0 }),
                      ipv4_addr_fmt(res->nexthop, (char[16]){ 0 }));
                icmp_send(net, skb, ICMP_REDIRECT, ICMP_REDIR_HOST, res->nexthop);
                p->rate_last = now;
                p->n_redirects++;
        }
}

/* How inet_rtm_getroute turns an input decision into an errno. */
static int input_errno(int why, const struct rt_result *res)
{
        switch (why) {
        case SKB_DROP_REASON_IP_INADDRERRORS:
                return -EHOSTUNREACH;
        case SKB_DROP_REASON_IP_RPFILTER:
                return -EXDEV;
        case SKB_DROP_REASON_IP_INNOROUTES:
                if (res->type == RTN_PROHIBIT)
                        return -EACCES;
                if (res->type == RTN_BLACKHOLE)
                        return -EINVAL;
                return res->route ? -EHOSTUNREACH : -ENETUNREACH;
        default:
                return -EINVAL;
        }
}

int ip_route_query(struct net *net, uint32_t dst, uint32_t src, int iif, int oif, uint32_t mark,
                   struct rt_result *res)
{
        struct flowi4 fl = { .daddr = dst, .saddr = src, .iif = iif, .oif = oif, .mark = mark };
        return ip_route_query_flow(net, &fl, res);
}

int ip_route_query_flow(struct net *net, const struct flowi4 *fl, struct rt_result *res)
{
        uint32_t dst = fl->daddr, src = fl->saddr;
        if (!fl->iif)
                return ip_route_output_flow(net, fl, res);
        struct net_device *dev = dev_get_by_index(net, fl->iif);
        if (!dev)
                return -ENODEV;
        struct sk_buff *skb = alloc_skb(net, IPV4_HLEN_MIN + 4);
        if (!skb)
                return -ENOBUFS;
        skb->mark = fl->mark;
        skb->dev = dev;
        /* inet_rtm_getroute_build_skb: the header the flow describes, with
         * its ports, for the multipath hash; tos 0 */
        memset(IPCB(skb), 0, sizeof(struct ip_cb));
        IPCB(skb)->iph.ihl = IPV4_HLEN_MIN;
        IPCB(skb)->iph.protocol = fl->proto;
        IPCB(skb)->iph.saddr = src;
        IPCB(skb)->iph.daddr = dst;
        uint8_t *p = skb_put(skb, IPV4_HLEN_MIN + 4);
        memset(p, 0, IPV4_HLEN_MIN);
        put_be16(p + IPV4_HLEN_MIN, fl->sport);
        put_be16(p + IPV4_HLEN_MIN + 2, fl->dport);
        int why = ip_route_input(skb, dst, src, dev, res);
        consume_skb(skb);
        if (why)
                return input_errno(why, res);
        if (res->type == RTN_LOCAL)
                res->dev = net->loopback_dev;
        return 0;
}

uint32_t ip_route_table_shown(struct net *net, const struct rt_result *res)
{
        uint32_t t = res->route ? res->route->table : res->table;
        /* without custom rules the kernel merges local into main */
        if (t == RT_TABLE_LOCAL && !fib_has_custom_rules(net))
                return RT_TABLE_MAIN;
        return t;
}

int fib_route_get(struct net *net, uint32_t dst, uint32_t src, int iif, uint32_t mark, char *buf,
                  size_t cap)
{
        struct rt_result res;
        int err = ip_route_query(net, dst, src, iif, 0, mark, &res);
        if (err)
                return err;
        char a[16];
        size_t n = 0;
#define OUT(...)                                                                                   \
        do {                                                                                       \
                int k_ = snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__);                    \
                n += k_ > 0 ? (size_t)k_ : 0;                                                      \
        } while (0)
        if (res.type == RTN_LOCAL)
                OUT("local ");
        else if (res.type == RTN_BROADCAST)
                OUT("broadcast ");
        OUT("%s", ipv4_addr_fmt(dst, a));
        if (src)
                OUT(" from %s", ipv4_addr_fmt(src, a));
        if (res.route && res.type == RTN_UNICAST &&
            (res.route->nhs ? res.route->nh[res.nhsel].gw : res.route->gw))
                OUT(" via %s", ipv4_addr_fmt(res.nexthop, a));
        if (res.dev)
                OUT(" dev %s", res.dev->name);
        uint32_t table = ip_route_table_shown(net, &res);
        if (table != RT_TABLE_MAIN)
                OUT(" table %s", table == RT_TABLE_LOCAL     ? "local"
                                 : table == RT_TABLE_DEFAULT ? "default"
                                                             : "");
        if (table != RT_TABLE_MAIN && table != RT_TABLE_LOCAL && table != RT_TABLE_DEFAULT)
                OUT("%u", table);
        if (!src && !iif && res.saddr)
                OUT(" src %s", ipv4_addr_fmt(res.saddr, a));
        if (mark)
                OUT(" mark %u", mark);
        if (!iif)
                OUT(" uid 0");
#undef OUT
        if (n >= cap)
                return -ENOSPC;
        return 0;
}
