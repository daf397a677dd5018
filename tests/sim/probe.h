/*
 * A probe device for simulation tests and fuzzing: frames the stack sends
 * on it are kept in a queue for the test to inspect, and the test injects
 * arbitrary frames as if they came from the wire.  Header-only (static
 * functions) so every test binary can use it.
 */
#ifndef STRATA_TESTS_SIM_PROBE_H
#define STRATA_TESTS_SIM_PROBE_H

#include <string.h>

#include "api/api.h"
#include "core/net.h"
#include "core/netdev.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

struct probe {
        struct net_device *dev;
        struct sk_buff_head sent; /* frames the stack transmitted */
        uint8_t peer_mac[6];      /* the "remote host" on the wire */
        bool keep;                /* false: free what is sent (fuzzing) */
};

static int probe_xmit(struct sk_buff *skb, struct net_device *dev)
{
        struct probe *p = dev->priv;
        dev_sw_tx_ok(dev, skb->len);
        if (p->keep)
                skb_queue_tail(&p->sent, skb);
        else
                consume_skb(skb);
        return NETDEV_TX_OK;
}

static void probe_uninit(struct net_device *dev)
{
        struct probe *p = dev->priv;
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&p->sent)))
                consume_skb(skb);
}

static const struct net_device_ops probe_ops = {
        .ndo_start_xmit = probe_xmit,
        .ndo_uninit = probe_uninit,
};

/* Create probe0 in net with MAC 02:00:00:00:00:02, up; the remote side's
 * MAC is 02:00:00:00:00:01.  The struct probe is the caller's. */
static int probe_create(struct net *net, const char *name, struct probe *p)
{
        memset(p, 0, sizeof(*p));
        skb_queue_init(&p->sent);
        p->keep = true;
        static const uint8_t me[6] = { 2, 0, 0, 0, 0, 2 }, peer[6] = { 2, 0, 0, 0, 0, 1 };
        memcpy(p->peer_mac, peer, 6);
        int err = netdev_register(net, name, &probe_ops, p, &p->dev);
        if (err)
                return err;
        ether_setup(p->dev);
        memcpy(p->dev->dev_addr, me, 6);
        return dev_open(p->dev);
}

/* Inject a frame (Ethernet header included) as received from the wire. */
static void probe_inject(struct probe *p, const uint8_t *frame, size_t len)
{
        struct sk_buff *skb = alloc_skb(p->dev->net, (uint32_t)(SKB_HEADROOM + len));
        if (!skb)
                return;
        skb_reserve(skb, SKB_HEADROOM);
        memcpy(skb_put(skb, (uint32_t)len), frame, len);
        skb->dev = p->dev;
        netif_rx(skb);
}

/* Build Ethernet + IPv4 (20-byte header, correct checksum) + payload into
 * buf; returns the frame length. */
static size_t probe_ipv4_frame(const struct probe *p, uint8_t *buf, uint32_t saddr, uint32_t daddr,
                               uint8_t proto, uint8_t ttl, const uint8_t *payload, size_t plen)
{
        struct eth_repr e;
        memcpy(e.dst, p->dev->dev_addr, 6);
        memcpy(e.src, p->peer_mac, 6);
        e.ethertype = ETH_P_IP;
        eth_emit(&e, buf, ETH_HLEN);
        struct ipv4_repr ip = { .ihl = 20,
                                .tot_len = (uint16_t)(20 + plen),
                                .id = 1,
                                .ttl = ttl,
                                .protocol = proto,
                                .saddr = saddr,
                                .daddr = daddr };
        ipv4_emit(&ip, NULL, buf + ETH_HLEN, 20);
        memcpy(buf + ETH_HLEN + 20, payload, plen);
        return ETH_HLEN + 20 + plen;
}

/* An ICMP echo request frame from saddr to daddr. */
static size_t probe_echo_frame(const struct probe *p, uint8_t *buf, uint32_t saddr, uint32_t daddr,
                               uint16_t id, uint16_t seq)
{
        uint8_t icmp[8 + 16];
        uint8_t data[16];
        for (int i = 0; i < 16; i++)
                data[i] = (uint8_t)i;
        struct icmp_repr r = { .type = ICMP_ECHO,
                               .rest = (uint32_t)id << 16 | seq,
                               .payload = data,
                               .payload_len = 16 };
        icmp_emit(&r, icmp, sizeof(icmp));
        return probe_ipv4_frame(p, buf, saddr, daddr, IPPROTO_ICMP_, 64, icmp, sizeof(icmp));
}

/* An ARP frame (op, sender, target) from the peer. */
static size_t probe_arp_frame(const struct probe *p, uint8_t *buf, uint16_t op, uint32_t spa,
                              uint32_t tpa, const uint8_t *eth_dst)
{
        struct eth_repr e;
        memcpy(e.dst, eth_dst, 6);
        memcpy(e.src, p->peer_mac, 6);
        e.ethertype = ETH_P_ARP;
        eth_emit(&e, buf, ETH_HLEN);
        struct arp_repr a = { .op = op, .spa = spa, .tpa = tpa };
        memcpy(a.sha, p->peer_mac, 6);
        if (op == ARPOP_REPLY)
                memcpy(a.tha, p->dev->dev_addr, 6);
        arp_emit(&a, buf + ETH_HLEN, ARP_HLEN);
        return ETH_HLEN + ARP_HLEN;
}

/* Take the oldest frame the stack sent (NULL if none); caller frees. */
static struct sk_buff *probe_take(struct probe *p)
{
        return skb_dequeue(&p->sent);
}

static void probe_drain(struct probe *p)
{
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&p->sent)))
                consume_skb(skb);
}

#endif
