/*
 * Ethernet framing for every Strata device (loopback uses it too, with a
 * zero MAC, as Linux's lo does).  Frames shorter than the minimum are padded
 * by the drivers that talk to real wires (TAP); in-memory links carry them
 * as they are, like Linux's veth.
 */
#include <errno.h>
#include <string.h>

#include "core/net.h"
#include "link/ethernet.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"

int eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
        if (unlikely(skb->len < ETH_HLEN))
                return -EINVAL;
        const uint8_t *h = skb->data;
        skb_reset_mac_header(skb);
        skb->protocol = get_be16(h + 12);
        if (unlikely(skb->pkt_type == PACKET_LOOPBACK)) {
                /* our own broadcast looped back (ip_mc_output): keep saying so */
        } else if (unlikely(eth_addr_is_multicast(h))) {
                skb->pkt_type = eth_addr_is_broadcast(h) ? PACKET_BROADCAST : PACKET_MULTICAST;
        } else if (unlikely(memcmp(h, dev->dev_addr, ETH_ALEN) != 0)) {
                skb->pkt_type = PACKET_OTHERHOST;
        } else {
                skb->pkt_type = PACKET_HOST;
        }
        if (dev->type == DEV_TYPE_LOOPBACK)
                skb->pkt_type = PACKET_HOST; /* lo ignores addresses */
        skb_pull(skb, ETH_HLEN);
        skb_reset_network_header(skb);
        TRACE(dev->net, skb, ETH_RX, "ethertype 0x%04x %s", skb->protocol,
              skb->pkt_type == PACKET_HOST        ? "to us"
              : skb->pkt_type == PACKET_BROADCAST ? "broadcast"
              : skb->pkt_type == PACKET_MULTICAST ? "multicast"
                                                  : "to another host");
        return 0;
}

int eth_header_create(struct sk_buff *skb, struct net_device *dev, uint16_t type,
                      const uint8_t *daddr)
{
        if (skb_headroom(skb) < ETH_HLEN)
                return -ENOSPC;
        uint8_t *h = skb_push(skb, ETH_HLEN);
        if (daddr)
                memcpy(h, daddr, ETH_ALEN);
        else
                memcpy(h, dev->broadcast, ETH_ALEN);
        memcpy(h + 6, dev->dev_addr, ETH_ALEN);
        put_be16(h + 12, type);
        skb_reset_mac_header(skb);
        return 0;
}

static const struct header_ops eth_header_ops = {
        .create = eth_header_create,
        .type_trans = eth_type_trans,
};

void ether_setup(struct net_device *dev)
{
        dev->type = DEV_TYPE_ETHER;
        dev->header_ops = &eth_header_ops;
        dev->hard_header_len = ETH_HLEN;
        dev->mtu = ETH_DATA_LEN;
        dev->min_mtu = 68;
        dev->max_mtu = 65535;
        dev->addr_len = ETH_ALEN;
        dev->tx_queue_len = 1000;
        dev->flags = IFF_BROADCAST_ | IFF_MULTICAST_;
        memset(dev->broadcast, 0xff, ETH_ALEN);
}

void eth_random_addr(struct net *net, uint8_t *addr)
{
        uint64_t r = random_u64(&net->rnd);
        for (int i = 0; i < ETH_ALEN; i++)
                addr[i] = (uint8_t)(r >> (8 * i));
        addr[0] &= 0xfe; /* unicast */
        addr[0] |= 0x02; /* locally administered */
}
