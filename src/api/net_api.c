/*
 * Namespaces and devices through the public API.  strata_net_new builds the
 * whole stack on a core namespace: IPv4 with ARP, and the loopback device
 * with 127.0.0.1/8, up -- what `ip netns add` plus `ip link set lo up`
 * gives on Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "drivers/packet.h"
#include "drivers/tap.h"
#include "ipv4/ipv4.h"
#include "link/loopback.h"
#include "netfilter/netfilter.h"
#include "socket/sockns.h"
#include "transport/tcp.h"
#include "transport/udp.h"
#include "wire/ethernet.h"

struct strata_clock *strata_clock_new(bool simulated)
{
        struct strata_clock *c = calloc(1, sizeof(*c));
        if (c)
                c->simulated = simulated;
        return c;
}

void strata_clock_free(struct strata_clock *c)
{
        free(c);
}

uint64_t strata_clock_now(const struct strata_clock *c)
{
        return clock_now(c);
}

void strata_clock_advance_to(struct strata_clock *c, uint64_t t)
{
        clock_advance_to(c, t);
}

/* Devices appear and go: the API keeps its epoll set and captures in step. */
static void api_dev_event(struct net_device *dev, enum netdev_event ev, void *ctx)
{
        struct strata_net *sn = ctx;
        if (ev == NETDEV_REGISTER)
                api_watch_dev(sn, dev);
        else if (ev == NETDEV_UNREGISTER) {
                api_unwatch_dev(sn, dev);
                api_capture_dev_gone(sn, dev);
        }
}

int strata_net_new(const char *name, struct strata_clock *clock, uint64_t seed,
                   struct strata_net **out)
{
        struct strata_net *sn = calloc(1, sizeof(*sn));
        if (!sn)
                return -ENOMEM;
        sn->epfd = -1;
        if (!clock) {
                clock = sn->own_clock = strata_clock_new(false);
                if (!clock) {
                        free(sn);
                        return -ENOMEM;
                }
        }
        int err = net_alloc(name, clock, seed, &sn->net);
        if (err) {
                free(sn->own_clock);
                free(sn);
                return err;
        }
        struct netdev_notifier nb = { .fn = api_dev_event, .ctx = sn };
        err = register_netdev_notifier(sn->net, &nb);
        if (!err)
                err = sockns_init(sn->net);
        if (!err)
                err = ipv4_net_init(sn->net);
        if (!err)
                err = udp_init(sn->net);
        if (!err)
                err = tcp_init(sn->net);
        struct net_device *lo = NULL;
        if (!err)
                err = loopback_create(sn->net, &lo);
        if (!err)
                err = dev_open(lo);
        if (!err)
                err = inet_addr_add(lo, 0x7f000001u, 8, 0, "lo");
        if (err) {
                strata_net_free(sn);
                return err;
        }
        *out = sn;
        return 0;
}

/* Lock two namespaces in address order, so that two threads creating veth
 * pairs between the same namespaces cannot deadlock. */
static void lock2(struct net *a, struct net *b)
{
        if (a == b) {
                pthread_mutex_lock(&a->lock);
        } else if (a < b) {
                pthread_mutex_lock(&a->lock);
                pthread_mutex_lock(&b->lock);
        } else {
                pthread_mutex_lock(&b->lock);
                pthread_mutex_lock(&a->lock);
        }
}

static void unlock2(struct net *a, struct net *b)
{
        pthread_mutex_unlock(&a->lock);
        if (a != b)
                pthread_mutex_unlock(&b->lock);
}

/* Delete device ifindex of sn.  A veth takes its peer with it, as Linux's
 * veth_dellink; when the peer lives in another namespace both are locked in
 * address order (lock2), so two threads deleting the two ends, or one
 * deleting while another creates a pair, cannot deadlock.  (Namespaces
 * joined by a veth must not be freed concurrently from different threads.) */
static int link_del_index(struct strata_net *sn, int ifindex)
{
        struct net *net = sn->net;
        for (;;) {
                api_lock(sn);
                struct net_device *dev = dev_get_by_index(net, ifindex);
                if (!dev) {
                        api_unlock(sn);
                        return -ENODEV;
                }
                struct net_device *peer = veth_peer(dev);
                if (!peer || peer->net == net) {
                        if (peer)
                                netdev_unregister(peer);
                        netdev_unregister(dev);
                        api_unlock(sn);
                        return 0;
                }
                struct net *pn = peer->net;
                api_unlock(sn);
                lock2(net, pn);
                dev = dev_get_by_index(net, ifindex);
                peer = dev ? veth_peer(dev) : NULL;
                if (dev && peer && peer->net != pn) {
                        unlock2(net, pn); /* re-paired meanwhile: start over */
                        continue;
                }
                if (peer)
                        netdev_unregister(peer);
                if (dev)
                        netdev_unregister(dev);
                unlock2(net, pn);
                return dev ? 0 : -ENODEV;
        }
}

int api_link_del(struct strata_net *sn, int ifindex)
{
        return link_del_index(sn, ifindex);
}

int api_dev_set_txqlen(struct net_device *dev, unsigned len)
{
        if (len > 0x7fffffffu)
                return -EINVAL; /* Linux: txqueuelen is an int */
        dev->tx_queue_len = len;
        return 0;
}

void strata_net_free(struct strata_net *sn)
{
        if (!sn)
                return;
        strata_stop_thread(sn);
        struct net *net = sn->net;
        /* as a namespace going away in Linux: sockets close, then its veth
         * ends take their peers in other namespaces with them */
        api_lock(sn);
        sockns_exit(net);
        api_unlock(sn);
        while (net->dev_list)
                link_del_index(sn, net->dev_list->ifindex);
        tcp_exit(net);
        udp_exit(net);
        ipv4_net_exit(net);
        nf_hooks_free(net);
        net_free(net);
        if (sn->epfd >= 0)
                close(sn->epfd);
        free(sn->own_clock);
        free(sn);
}

const char *strata_net_name(const struct strata_net *sn)
{
        return sn->net->name;
}

int strata_veth_add(struct strata_net *a, const char *name_a, struct strata_net *b,
                    const char *name_b)
{
        lock2(a->net, b->net);
        int err = veth_create(a->net, name_a, b->net, name_b, NULL, NULL);
        unlock2(a->net, b->net);
        return err;
}

int strata_tap_attach(struct strata_net *sn, const char *tap_name, const char *dev_name)
{
        struct net_device *dev;
        struct net *net = api_lock(sn);
        int err = tap_create(net, tap_name, dev_name, &dev);
        api_unlock(sn);
        return err;
}

int strata_packet_attach(struct strata_net *sn, const char *ifname, const char *dev_name)
{
        struct net_device *dev;
        struct net *net = api_lock(sn);
        int err = packet_create(net, ifname, dev_name, &dev);
        api_unlock(sn);
        return err;
}

static int with_dev(struct strata_net *sn, const char *name, struct net_device **dev)
{
        *dev = dev_get_by_name(sn->net, name);
        return *dev ? 0 : -ENODEV;
}

int strata_link_set_up(struct strata_net *sn, const char *name, bool up)
{
        struct net_device *dev;
        api_lock(sn);
        int err = with_dev(sn, name, &dev);
        if (!err)
                err = up ? dev_open(dev) : dev_close(dev);
        api_unlock(sn);
        return err;
}

int strata_link_set_mtu(struct strata_net *sn, const char *name, unsigned mtu)
{
        struct net_device *dev;
        api_lock(sn);
        int err = with_dev(sn, name, &dev);
        if (!err)
                err = dev_set_mtu(dev, mtu);
        api_unlock(sn);
        return err;
}

int strata_link_set_address(struct strata_net *sn, const char *name, const char *addr)
{
        uint8_t mac[ETH_ALEN];
        unsigned v[ETH_ALEN];
        char tail;
        if (sscanf(addr, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &tail) != 6)
                return -EINVAL;
        for (int i = 0; i < ETH_ALEN; i++)
                mac[i] = (uint8_t)v[i];
        struct net_device *dev;
        api_lock(sn);
        int err = with_dev(sn, name, &dev);
        if (!err)
                err = dev_set_mac_address(dev, mac);
        api_unlock(sn);
        return err;
}

int strata_link_set_txqlen(struct strata_net *sn, const char *name, unsigned len)
{
        struct net_device *dev;
        api_lock(sn);
        int err = with_dev(sn, name, &dev);
        if (!err)
                err = api_dev_set_txqlen(dev, len);
        api_unlock(sn);
        return err;
}

int strata_link_del(struct strata_net *sn, const char *name)
{
        struct net_device *dev;
        api_lock(sn);
        int err = with_dev(sn, name, &dev);
        if (!err && dev == sn->net->loopback_dev)
                err = -EOPNOTSUPP; /* Linux refuses to delete lo too */
        int ifindex = err ? 0 : dev->ifindex;
        api_unlock(sn);
        return err ? err : link_del_index(sn, ifindex);
}

const char *strata_strerror(int err)
{
        return strerror(err < 0 ? -err : err);
}
