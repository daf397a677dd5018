/*
 * Devices: registration, admin state, the transmit path through the qdisc
 * slot, and the receive path from a driver to the EtherType handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/netdev.h"
#include "core/trace.h"

static void notify(struct net_device *dev, enum netdev_event ev)
{
        struct net *net = dev->net;
        for (int i = 0; i < net->nnotifiers; i++)
                net->notifiers[i].fn(dev, ev, net->notifiers[i].ctx);
        if (ev != NETDEV_REGISTER) /* the driver is not done with it: its creator tells */
                net_rtnl_notify(net, ev == NETDEV_UNREGISTER ? NET_RTNL_DELLINK : NET_RTNL_NEWLINK, dev);
}

int register_netdev_notifier(struct net *net, const struct netdev_notifier *nb)
{
        if (net->nnotifiers == NET_MAX_NOTIFIERS)
                return -ENOSPC;
        net->notifiers[net->nnotifiers++] = *nb;
        return 0;
}

int dev_add_pack(struct net *net, const struct packet_type *pt)
{
        if (net->nptypes == NET_MAX_PTYPES)
                return -ENOSPC;
        net->ptypes[net->nptypes++] = *pt;
        return 0;
}

struct net_device *dev_get_by_index(struct net *net, int ifindex)
{
        for (struct net_device *d = net->dev_list; d; d = d->next)
                if (d->ifindex == ifindex)
                        return d;
        return NULL;
}

struct net_device *dev_get_by_name(struct net *net, const char *name)
{
        for (struct net_device *d = net->dev_list; d; d = d->next)
                if (strcmp(d->name, name) == 0)
                        return d;
        return NULL;
}

/* Linux's dev_valid_name(): non-empty, < IFNAMSIZ, not "." or "..", no '/',
 * ':' or whitespace. */
static bool dev_valid_name(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
                return false;
        for (; *name; name++)
                if (*name == '/' || *name == ':' || *name == ' ' || *name == '\t' || *name == '\n')
                        return false;
        return true;
}

/* Expand a "%d" template to the first free name, as dev_alloc_name(). */
static int dev_pick_name(struct net *net, const char *tmpl, char *out)
{
        const char *p = strstr(tmpl, "%d");
        if (!p) {
                if (!dev_valid_name(tmpl))
                        return -EINVAL;
                if (dev_get_by_name(net, tmpl))
                        return -EEXIST;
                snprintf(out, IFNAMSIZ, "%s", tmpl);
                return 0;
        }
        if (strchr(p + 2, '%'))
                return -EINVAL;
        for (int i = 0; i < 32768; i++) {
                char buf[64];
                snprintf(buf, sizeof(buf), "%.*s%d%s", (int)(p - tmpl), tmpl, i, p + 2);
                if (!dev_valid_name(buf))
                        return -EINVAL;
                if (!dev_get_by_name(net, buf)) {
                        memcpy(out, buf, strlen(buf) + 1);
                        return 0;
                }
        }
        return -ENFILE;
}

int netdev_register(struct net *net, const char *name, const struct net_device_ops *ops, void *priv,
                    struct net_device **out)
{
        char nm[IFNAMSIZ];
        int err = dev_pick_name(net, name, nm);
        if (err)
                return err;
        STRATA_ASSERT(ops && ops->ndo_start_xmit);
        struct net_device *dev = calloc(1, sizeof(*dev));
        if (!dev)
                return -ENOMEM;
        memcpy(dev->name, nm, IFNAMSIZ);
        dev->net = net;
        dev->ops = ops;
        dev->priv = priv;
        dev->ifindex = net->ifindex_next++;
        dev->mtu = 1500;
        dev->min_mtu = 68;
        dev->max_mtu = 65535;
        dev->tx_queue_len = 1000;
        dev->carrier = true;
        skb_queue_init(&dev->txq);
        skb_queue_init(&dev->backlog);
        pthread_mutex_init(&dev->backlog_lock, NULL);

        struct net_device **pp = &net->dev_list;
        while (*pp)
                pp = &(*pp)->next;
        *pp = dev;
        notify(dev, NETDEV_REGISTER);
        *out = dev;
        return 0;
}

void netdev_unregister(struct net_device *dev)
{
        struct net *net = dev->net;
        dev_close(dev);
        notify(dev, NETDEV_UNREGISTER);
        /* off the poll list */
        pthread_mutex_lock(&net->poll_lock);
        struct net_device **pp = &net->poll_first, *prev = NULL;
        while (*pp && *pp != dev) {
                prev = *pp;
                pp = &(*pp)->poll_next;
        }
        if (*pp) {
                *pp = dev->poll_next;
                if (net->poll_last == dev)
                        net->poll_last = prev;
        }
        atomic_store_explicit(&net->poll_scheduled, net->poll_first != NULL, memory_order_release);
        pthread_mutex_unlock(&net->poll_lock);
        for (pp = &net->dev_list; *pp; pp = &(*pp)->next)
                if (*pp == dev) {
                        *pp = dev->next;
                        break;
                }
        pthread_mutex_lock(&dev->backlog_lock);
        struct sk_buff_head q = dev->backlog;
        skb_queue_init(&dev->backlog);
        pthread_mutex_unlock(&dev->backlog_lock);
        /* The packets no longer have a device to be counted on. */
        for (struct sk_buff *s = q.first; s; s = s->next)
                s->dev = NULL;
        for (struct sk_buff *s = dev->txq.first; s; s = s->next)
                s->dev = NULL;
        skb_queue_purge_reason(net, &q, SKB_DROP_REASON_DEV_GONE);
        skb_queue_purge_reason(net, &dev->txq, SKB_DROP_REASON_DEV_GONE);
        if (dev->ops->ndo_uninit)
                dev->ops->ndo_uninit(dev);
        pthread_mutex_destroy(&dev->backlog_lock);
        free(dev);
}

static void dev_update_running(struct net_device *dev)
{
        if (netif_oper_up(dev))
                dev->flags |= IFF_RUNNING_ | IFF_LOWER_UP_;
        else
                dev->flags &= ~(unsigned)IFF_RUNNING_;
        if (!dev->carrier)
                dev->flags &= ~(unsigned)IFF_LOWER_UP_;
        else
                dev->flags |= IFF_LOWER_UP_;
}

int dev_open(struct net_device *dev)
{
        if (dev->flags & IFF_UP_)
                return 0;
        /* IFF_UP is set before ndo_open so that events the driver raises
         * while opening (veth turning its peer's carrier on) already see this
         * end up -- Linux gets the same effect from linkwatch's delay. */
        dev->flags |= IFF_UP_;
        if (dev->ops->ndo_open) {
                int err = dev->ops->ndo_open(dev);
                if (err) {
                        dev->flags &= ~(unsigned)IFF_UP_;
                        return err;
                }
        }
        dev->ever_up = true;
        dev_update_running(dev);
        notify(dev, NETDEV_UP);
        return 0;
}

int dev_close(struct net_device *dev)
{
        if (!(dev->flags & IFF_UP_))
                return 0;
        if (dev->ops->ndo_stop)
                dev->ops->ndo_stop(dev);
        dev->flags &= ~(unsigned)IFF_UP_;
        dev_update_running(dev);
        skb_queue_purge_reason(dev->net, &dev->txq, SKB_DROP_REASON_DEV_READY);
        notify(dev, NETDEV_DOWN);
        return 0;
}

int dev_set_mtu(struct net_device *dev, unsigned mtu)
{
        if (mtu < dev->min_mtu || mtu > dev->max_mtu)
                return -EINVAL;
        if (dev->ops->ndo_change_mtu) {
                int err = dev->ops->ndo_change_mtu(dev, mtu);
                if (err)
                        return err;
        }
        dev->mtu = mtu;
        notify(dev, NETDEV_CHANGEMTU);
        return 0;
}

int dev_set_mac_address(struct net_device *dev, const uint8_t *addr)
{
        if (dev->addr_len == 0)
                return -EOPNOTSUPP;
        if (addr[0] & 1)
                return -EADDRNOTAVAIL; /* multicast is not a station address */
        if (dev->ops->ndo_set_mac_address) {
                int err = dev->ops->ndo_set_mac_address(dev, addr);
                if (err)
                        return err;
        }
        memcpy(dev->dev_addr, addr, dev->addr_len);
        notify(dev, NETDEV_CHANGEADDR);
        return 0;
}

void netif_carrier_on(struct net_device *dev)
{
        if (dev->carrier)
                return;
        dev->carrier = true;
        dev_update_running(dev);
        notify(dev, NETDEV_CHANGE);
}

void netif_carrier_off(struct net_device *dev)
{
        if (!dev->carrier)
                return;
        dev->carrier = false;
        dev_update_running(dev);
        notify(dev, NETDEV_CHANGE);
}

void dev_add_tap(struct net_device *dev, struct packet_tap *tap)
{
        tap->next = dev->taps;
        dev->taps = tap;
}

void dev_remove_tap(struct net_device *dev, struct packet_tap *tap)
{
        for (struct packet_tap **pp = &dev->taps; *pp; pp = &(*pp)->next)
                if (*pp == tap) {
                        *pp = tap->next;
                        return;
                }
}

static void dev_run_taps(struct net_device *dev, const struct sk_buff *skb, bool out)
{
        for (struct packet_tap *t = dev->taps; t; t = t->next)
                t->fn(t, dev, skb, out);
}

/*
 * The qdisc slot.  Today: pfifo bounded by txqueuelen, drained at once into
 * the driver (what Linux's __dev_xmit_skb does when the queue was empty).
 * A driver that answers BUSY keeps the rest queued until its next poll.
 */
static void qdisc_run(struct net_device *dev)
{
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&dev->txq))) {
                if (unlikely(dev->taps))
                        dev_run_taps(dev, skb, true);
                TRACE(dev->net, skb, DEV_TX, "%s xmit %u bytes", dev->name, skb->len);
                if (dev->ops->ndo_start_xmit(skb, dev) == NETDEV_TX_BUSY) {
                        /* put it back at the head */
                        skb->next = dev->txq.first;
                        skb->prev = NULL;
                        if (dev->txq.first)
                                dev->txq.first->prev = skb;
                        else
                                dev->txq.last = skb;
                        dev->txq.first = skb;
                        dev->txq.qlen++;
                        return;
                }
        }
}

void dev_queue_xmit(struct sk_buff *skb)
{
        struct net_device *dev = skb->dev;
        struct net *net = dev->net;
        if (unlikely(!netif_oper_up(dev))) {
                dev->stats.tx_dropped++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_DEV_READY);
                return;
        }
        if (unlikely(dev->txq.qlen >= dev->tx_queue_len && dev->tx_queue_len)) {
                dev->stats.tx_dropped++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_QDISC_DROP);
                return;
        }
        /* validate_xmit_skb: a device that cannot fill in a checksum left
         * for it gets it computed here, before its taps see the frame */
        if (unlikely(skb->csum_partial) && !(dev->features & NETIF_F_HW_CSUM) &&
            skb_checksum_help(net, skb)) {
                dev->stats.tx_dropped++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_NOMEM);
                return;
        }
        skb->tstamp = net_now(net);
        skb_queue_tail(&dev->txq, skb);
        qdisc_run(dev);
}

void netif_receive_skb(struct sk_buff *skb)
{
        struct net_device *dev = skb->dev;
        struct net *net = dev->net;

        dev->stats.rx_packets++;
        dev->stats.rx_bytes += skb->len;
        skb->tstamp = net_now(net);
        if (unlikely(net->trace.active) && !skb->trace_id)
                trace_start_slow(net, skb);
        TRACE(net, skb, DEV_RX, "%s rx %u bytes", dev->name, skb->len);
        if (unlikely(dev->taps))
                dev_run_taps(dev, skb, false);
        if (unlikely(!netif_running(dev))) {
                dev->stats.rx_dropped++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_DEV_READY);
                return;
        }
        if (unlikely(!dev->header_ops || dev->header_ops->type_trans(skb, dev) < 0)) {
                dev->stats.rx_length_errors++;
                dev->stats.rx_errors++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        for (int i = 0; i < net->nptypes; i++)
                if (net->ptypes[i].type == skb->protocol) {
                        net->ptypes[i].func(skb, dev);
                        return;
                }
        dev->stats.rx_nohandler++;
        kfree_skb_reason(net, skb, SKB_DROP_REASON_UNHANDLED_PROTO);
}

void napi_schedule(struct net_device *dev)
{
        struct net *net = dev->net;
        bool wake = false;
        pthread_mutex_lock(&net->poll_lock);
        if (!dev->on_poll_list) {
                dev->on_poll_list = true;
                dev->poll_next = NULL;
                if (net->poll_last)
                        net->poll_last->poll_next = dev;
                else
                        net->poll_first = dev;
                net->poll_last = dev;
                atomic_store_explicit(&net->poll_scheduled, true, memory_order_release);
                wake = !net->pending_wake;
                net->pending_wake = true;
        } else {
                /* being polled right now: tell the poller to come back
                 * (Linux's NAPIF_STATE_MISSED), so nothing is stranded */
                dev->poll_missed = true;
        }
        pthread_mutex_unlock(&net->poll_lock);
        if (wake)
                net_wake(net);
}

void netif_rx(struct sk_buff *skb)
{
        struct net_device *dev = skb->dev;
        struct net *net = dev->net;
        pthread_mutex_lock(&dev->backlog_lock);
        if (unlikely(dev->backlog.qlen >= (uint32_t)net->core.netdev_max_backlog)) {
                pthread_mutex_unlock(&dev->backlog_lock);
                dev->stats.rx_dropped++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_CPU_BACKLOG);
                return;
        }
        skb_queue_tail(&dev->backlog, skb);
        pthread_mutex_unlock(&dev->backlog_lock);
        napi_schedule(dev);
}

/* Generic poll for devices fed by netif_rx (process_backlog in Linux). */
int dev_backlog_poll(struct net_device *dev, int budget)
{
        struct sk_buff_head batch;
        skb_queue_init(&batch);
        pthread_mutex_lock(&dev->backlog_lock);
        while (batch.qlen < (uint32_t)budget && dev->backlog.first)
                skb_queue_tail(&batch, skb_dequeue(&dev->backlog));
        pthread_mutex_unlock(&dev->backlog_lock);
        int n = (int)batch.qlen;
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&batch)))
                netif_receive_skb(skb);
        return n;
}
