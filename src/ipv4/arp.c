/*
 * ARP (RFC 826) over the neighbour table: answering requests for our
 * addresses, learning from requests and replies as Linux's arp_process()
 * does, soliciting for the neighbour state machine, and gratuitous ARP.
 *
 * What Linux does and Strata follows (arp_ignore=0, arp_announce=0,
 * arp_accept=0):
 *  - a request for any local address (on any device) is answered, and its
 *    sender is entered as STALE;
 *  - a reply, or a request not for us, only updates an existing entry:
 *    REACHABLE for a unicast reply, STALE otherwise; a different address
 *    replaces a known one only after `locktime`;
 *  - ARP with sender 0.0.0.0 (a duplicate address probe) is answered but
 *    learns nothing.
 */
#include <errno.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ipv4.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static void arp_send(struct net_device *dev, uint16_t op, uint32_t dest_ip, uint32_t src_ip,
                     const uint8_t *dest_hw, const uint8_t *target_hw, uint32_t trace_id)
{
        struct net *net = dev->net;
        struct sk_buff *skb = alloc_skb_tx(net, ETH_ZLEN);
        if (!skb)
                return;
        skb->trace_id = trace_id;
        struct arp_repr a = { .op = op, .spa = src_ip, .tpa = dest_ip };
        memcpy(a.sha, dev->dev_addr, ETH_ALEN);
        if (target_hw)
                memcpy(a.tha, target_hw, ETH_ALEN);
        arp_emit(&a, skb_put(skb, ARP_HLEN), ARP_HLEN);
        skb_reset_network_header(skb);
        skb->dev = dev;
        skb->protocol = ETH_P_ARP;
        if (dev->header_ops->create(skb, dev, ETH_P_ARP, dest_hw) < 0) {
                kfree_skb_reason(net, skb, SKB_DROP_REASON_DEV_HDR);
                return;
        }
        TRACE(net, skb, ARP, "%s who-has %s tell %s", op == ARPOP_REQUEST ? "request" : "reply",
              ipv4_addr_fmt(dest_ip, (char[16]){ 0 }), ipv4_addr_fmt(src_ip, (char[16]){ 0 }));
        dev_queue_xmit(skb);
}

/* neigh_ops.solicit (arp_solicit): broadcast while INCOMPLETE, unicast to
 * the known address while PROBE.  Source: the waiting packet's source if it
 * is ours (arp_announce=0), else the device's address for the target. */
static void arp_solicit(struct neighbour *n, struct sk_buff *skb)
{
        struct net_device *dev = n->dev;
        uint32_t target = get_be32(n->key);
        uint32_t saddr = 0;
        if (skb && skb->network_header != SKB_NO_HDR) {
                uint32_t s = get_be32(skb_network_header(skb) + 12);
                if (inet_addr_local(dev->net, s))
                        saddr = s;
        }
        if (!saddr)
                saddr = inet_select_addr(dev, target, RT_SCOPE_LINK);
        int probes = n->probes - n->parms->ucast_probes;
        const uint8_t *dest_hw = NULL;
        if (probes < 0 && (n->nud_state & NUD_VALID))
                dest_hw = n->ha; /* unicast re-probe of a known address */
        /* the target hardware address stays zero even when unicast, as
         * Linux's arp_solicit passes none */
        arp_send(dev, ARPOP_REQUEST, target, saddr, dest_hw, NULL, skb ? skb->trace_id : 0);
}

/* neigh_ops.error_report (arp_error_report): the packet could not be
 * delivered; tell its sender "host unreachable", as dst_link_failure. */
static void arp_error_report(struct neighbour *n, struct sk_buff *skb)
{
        struct net *net = n->dev->net;
        /* resolution starts counting at ucast_probes (see neigh_event_send) */
        int asked =
            n->probes > n->parms->ucast_probes ? n->probes - n->parms->ucast_probes : n->probes;
        TRACE(net, skb, NEIGH, "%s: no ARP reply to %d requests: FAILED",
              ipv4_addr_fmt(get_be32(n->key), (char[16]){ 0 }), asked);
        IP_INC(net, OutDiscards);
        skb->pkt_type = PACKET_HOST;
        icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_NEIGH_FAILED);
}

static const struct neigh_ops arp_ops = {
        .solicit = arp_solicit,
        .error_report = arp_error_report,
};

struct neighbour *arp_neigh(struct net_device *dev, uint32_t nexthop)
{
        uint8_t key[4];
        put_be32(key, nexthop);
        return neigh_create(&ipv4_of(dev->net)->arp_tbl, key, dev);
}

void arp_send_gratuitous(struct net_device *dev, uint32_t addr)
{
        if (!netif_oper_up(dev))
                return;
        arp_send(dev, ARPOP_REQUEST, addr, addr, NULL, NULL, 0);
}

void arp_rcv(struct sk_buff *skb, struct net_device *dev)
{
        struct net *net = dev->net;
        struct neigh_table *tbl = &ipv4_of(net)->arp_tbl;
        struct arp_repr a;

        if (dev->flags & (IFF_NOARP_ | IFF_LOOPBACK_)) {
                consume_skb(skb); /* Linux: no ARP on these */
                return;
        }
        enum wire_status st = arp_parse(skb->data, skb->len, &a);
        if (st != WIRE_OK) {
                TRACE(net, skb, ARP, "bad ARP: %s", wire_status_name(st));
                kfree_skb_reason(net, skb,
                                 st == WIRE_TRUNCATED ? SKB_DROP_REASON_PKT_TOO_SMALL
                                                      : SKB_DROP_REASON_ARP_INVALID);
                return;
        }
        if (skb->pkt_type == PACKET_OTHERHOST) {
                kfree_skb_reason(net, skb, SKB_DROP_REASON_OTHERHOST);
                return;
        }
        if (a.op != ARPOP_REQUEST && a.op != ARPOP_REPLY) {
                kfree_skb_reason(net, skb, SKB_DROP_REASON_ARP_INVALID);
                return;
        }
        /* arp_process's sanity checks: no multicast target, no broadcast or
         * multicast sender hardware address */
        if (ipv4_is_multicast(a.tpa) || ipv4_is_loopback(a.tpa) || ipv4_is_loopback(a.spa) ||
            ipv4_is_multicast(a.spa) || eth_addr_is_multicast(a.sha)) {
                TRACE(net, skb, ARP, "martian ARP");
                kfree_skb_reason(net, skb, SKB_DROP_REASON_ARP_INVALID);
                return;
        }
        TRACE(net, skb, ARP, "%s %s is-at/who-has %s", a.op == ARPOP_REQUEST ? "request" : "reply",
              ipv4_addr_fmt(a.spa, (char[16]){ 0 }), ipv4_addr_fmt(a.tpa, (char[16]){ 0 }));

        bool for_us = inet_addr_local(net, a.tpa) != NULL;
        uint8_t key[4];
        put_be32(key, a.spa);

        if (a.spa == 0) {
                /* duplicate address detection probe: answer, learn nothing */
                if (a.op == ARPOP_REQUEST && for_us)
                        arp_send(dev, ARPOP_REPLY, a.spa, a.tpa, a.sha, a.sha, skb->trace_id);
                consume_skb(skb);
                return;
        }
        if (a.op == ARPOP_REQUEST && for_us) {
                struct neighbour *n = neigh_create(tbl, key, dev);
                if (n)
                        neigh_update(n, a.sha, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
                arp_send(dev, ARPOP_REPLY, a.spa, a.tpa, a.sha, a.sha, skb->trace_id);
                consume_skb(skb);
                return;
        }
        struct neighbour *n = neigh_lookup(tbl, key, dev);
        if (n) {
                bool garp = a.op == ARPOP_REQUEST && a.spa == a.tpa;
                uint8_t state = (a.op == ARPOP_REPLY && skb->pkt_type == PACKET_HOST)
                                    ? NUD_REACHABLE
                                    : NUD_STALE;
                bool override =
                    net_now(net) > n->updated + (uint64_t)n->parms->locktime * NSEC_PER_MSEC ||
                    garp;
                neigh_update(n, a.sha, state, override ? NEIGH_UPDATE_F_OVERRIDE : 0);
        }
        consume_skb(skb);
}

int arp_init(struct net *net)
{
        static const struct packet_type arp_pt = { .type = ETH_P_ARP, .func = arp_rcv };
        int err = neigh_table_init(net, &ipv4_of(net)->arp_tbl, "arp_cache", 2, ETH_P_IP, 4,
                                   &arp_ops, "net.ipv4.neigh");
        if (err)
                return err;
        net->arp_tbl = &ipv4_of(net)->arp_tbl;
        return dev_add_pack(net, &arp_pt);
}
