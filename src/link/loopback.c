/*
 * Loopback: a frame sent on lo is received on lo.  Like Linux's lo it keeps
 * an Ethernet header with zero addresses, has no ARP and a 64 KB MTU, and
 * hands frames back through the receive backlog (netif_rx), so a packet to
 * a local address takes the same input path as one from the wire.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "link/ethernet.h"
#include "link/loopback.h"

static int loopback_xmit(struct sk_buff *skb, struct net_device *dev)
{
        dev_sw_tx_ok(dev, skb->len);
        skb_orphan(skb);
        skb->pkt_type = PACKET_LOOPBACK;
        skb->csum_unnecessary = 1; /* never left memory */
        netif_rx(skb);
        return NETDEV_TX_OK;
}

static const struct net_device_ops loopback_ops = {
        .ndo_start_xmit = loopback_xmit,
};

int loopback_create(struct net *net, struct net_device **out)
{
        struct net_device *dev;
        int err = netdev_register(net, "lo", &loopback_ops, NULL, &dev);
        if (err)
                return err;
        ether_setup(dev);
        dev->type = DEV_TYPE_LOOPBACK;
        dev->mtu = 65536;
        dev->max_mtu = 65536 + 14; /* frames up to a large skb */
        dev->min_mtu = 0;          /* Linux's lo takes any MTU */
        dev->flags = IFF_LOOPBACK_;
        dev->features = NETIF_F_HW_CSUM; /* frames never leave memory */
        dev->tx_queue_len = 1000;
        memset(dev->dev_addr, 0, sizeof(dev->dev_addr));
        memset(dev->broadcast, 0, sizeof(dev->broadcast));
        net->loopback_dev = dev;
        *out = dev;
        return 0;
}

/* --- veth ------------------------------------------------------------------ */

struct veth_priv {
        struct net_device *peer;
};

static int veth_xmit(struct sk_buff *skb, struct net_device *dev)
{
        struct veth_priv *priv = dev->priv;
        struct net_device *peer = priv->peer;
        if (unlikely(!peer || !netif_running(peer))) {
                dev->stats.tx_dropped++;
                kfree_skb_reason(dev->net, skb, SKB_DROP_REASON_DEV_READY);
                return NETDEV_TX_OK;
        }
        dev_sw_tx_ok(dev, skb->len);
        skb_orphan(skb);
        /* Crossing into the peer: forget what belonged to this side
         * (skb_scrub_packet), keep the trace id so the story continues. */
        if (peer->net != dev->net)
                skb->mark = 0;
        skb->dev = peer;
        skb->pkt_type = PACKET_HOST;
        /* veth offers checksum offload, so the receiver trusts the payload
         * checksums (Linux: NETIF_F_HW_CSUM | NETIF_F_RXCSUM) */
        skb->csum_unnecessary = 1;
        skb->mac_header = skb->network_header = skb->transport_header = SKB_NO_HDR;
        netif_rx(skb);
        return NETDEV_TX_OK;
}

static int veth_open(struct net_device *dev)
{
        struct veth_priv *priv = dev->priv;
        struct net_device *peer = priv->peer;
        if (peer && netif_running(peer)) {
                dev->carrier = false; /* so carrier_on below notifies */
                netif_carrier_on(peer);
                dev->carrier = true;
        } else {
                dev->carrier = false;
        }
        return 0;
}

static int veth_stop(struct net_device *dev)
{
        struct veth_priv *priv = dev->priv;
        dev->carrier = false;
        if (priv->peer)
                netif_carrier_off(priv->peer);
        return 0;
}

static void veth_uninit(struct net_device *dev)
{
        struct veth_priv *priv = dev->priv;
        if (priv->peer) {
                struct veth_priv *pp = priv->peer->priv;
                pp->peer = NULL; /* the other end lives on, without carrier */
                netif_carrier_off(priv->peer);
        }
        free(priv);
}

static int veth_change_mtu(struct net_device *dev, unsigned mtu)
{
        return 0;
}

static const struct net_device_ops veth_ops = {
        .ndo_open = veth_open,
        .ndo_stop = veth_stop,
        .ndo_start_xmit = veth_xmit,
        .ndo_uninit = veth_uninit,
        .ndo_change_mtu = veth_change_mtu,
};

struct net_device *veth_peer(const struct net_device *dev)
{
        if (dev->ops != &veth_ops)
                return NULL;
        return ((struct veth_priv *)dev->priv)->peer;
}

static int veth_one(struct net *net, const char *name, struct net_device **out)
{
        struct veth_priv *priv = calloc(1, sizeof(*priv));
        if (!priv)
                return -ENOMEM;
        int err = netdev_register(net, name, &veth_ops, priv, out);
        if (err) {
                free(priv);
                return err;
        }
        ether_setup(*out);
        eth_random_addr(net, (*out)->dev_addr);
        (*out)->features = NETIF_F_HW_CSUM; /* as Linux's veth */
        (*out)->carrier = false;
        return 0;
}

int veth_create(struct net *net_a, const char *name_a, struct net *net_b, const char *name_b,
                struct net_device **out_a, struct net_device **out_b)
{
        struct net_device *a, *b;
        if (net_a == net_b && !strcmp(name_a, name_b))
                return -EEXIST;
        if (dev_get_by_name(net_b, name_b))
                return -EEXIST;
        int err = veth_one(net_a, name_a, &a);
        if (err)
                return err;
        err = veth_one(net_b, name_b, &b);
        if (err) {
                netdev_unregister(a);
                return err;
        }
        ((struct veth_priv *)a->priv)->peer = b;
        ((struct veth_priv *)b->priv)->peer = a;
        if (out_a)
                *out_a = a;
        if (out_b)
                *out_b = b;
        return 0;
}
