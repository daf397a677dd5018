/*
 * TAP driver: frames cross between Strata and the host kernel through
 * /dev/net/tun opened as IFF_TAP | IFF_NO_PI -- one read() is one received
 * Ethernet frame, one write() one sent frame, with no extra header.
 *
 * How it is driven.  The fd is non-blocking and the device has no receive
 * thread of its own.  The namespace's event loop collects every device's
 * ndo_get_fd() and waits (poll/epoll) for readability together with its
 * wake-up fd and the next timer deadline; when a TAP fd becomes readable
 * the loop calls napi_schedule(dev), and the following net_poll() round
 * calls ndo_poll with a budget.  ndo_poll reads frames until the kernel
 * queue is empty (EAGAIN) or the budget is spent; in the latter case
 * net_poll reschedules the device itself, otherwise the loop goes back to
 * waiting on the fd.  Waiting is level-triggered, so a frame that arrives
 * between the last read and the wait is never missed.
 *
 * Transmit writes the frame at once.  The kernel queue of a TAP interface
 * does not push back (a write either succeeds or fails with EAGAIN when the
 * interface's own queue is full), so a full queue is a drop with
 * FULL_RING, as a NIC's full descriptor ring is, not NETDEV_TX_BUSY: a
 * busy answer would only make us spin on a queue the host drains at its
 * own pace.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sys/socket.h> /* before linux/if.h: struct sockaddr */
#include <linux/if.h>   /* not net/if.h: its IFNAMSIZ clashes with netdev.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "drivers/tap.h"
#include "link/ethernet.h"
#include "wire/ethernet.h"

/* Receive buffer beyond MTU + Ethernet header: room for a VLAN tag and a
 * peer whose MTU is a little larger than ours, without a second buffer
 * size. */
#define TAP_RX_SLACK 64u

struct tap_priv {
        int fd;
        char host_name[IFNAMSIZ];
};

/* Padding for frames shorter than ETH_ZLEN: a real NIC pads them, and
 * kernel peers (and their captures) expect to see it done. */
static const uint8_t tap_zeros[ETH_ZLEN];

static int tap_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
        struct tap_priv *tp = dev->priv;
        /* Pad with a second iovec rather than skb_put: the buffer may be
         * shared with a clone (a capture, a retransmit queue). */
        struct iovec iov[2] = {
                { .iov_base = skb->data, .iov_len = skb->len },
                { .iov_base = (void *)tap_zeros, .iov_len = 0 },
        };
        if (skb->len < ETH_ZLEN)
                iov[1].iov_len = ETH_ZLEN - skb->len;
        size_t total = iov[0].iov_len + iov[1].iov_len;
        ssize_t n;
        do
                n = writev(tp->fd, iov, iov[1].iov_len ? 2 : 1);
        while (n < 0 && errno == EINTR);

        if (likely(n >= 0)) {
                /* counted as it went on the wire, padding included, as
                 * drivers that pad with eth_skb_pad do */
                dev_sw_tx_ok(dev, (uint32_t)total);
                consume_skb(skb);
                return NETDEV_TX_OK;
        }
        enum skb_drop_reason reason;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                reason = SKB_DROP_REASON_FULL_RING;
        } else if (errno == EIO || errno == ENETDOWN) {
                /* host side of the interface is down */
                dev->stats.tx_errors++;
                dev->stats.tx_carrier_errors++;
                reason = SKB_DROP_REASON_DEV_READY;
        } else {
                dev->stats.tx_errors++;
                reason = SKB_DROP_REASON_NOT_SPECIFIED;
        }
        dev->stats.tx_dropped++;
        kfree_skb_reason(dev->net, skb, reason);
        return NETDEV_TX_OK;
}

static int tap_poll(struct net_device *dev, int budget)
{
        struct tap_priv *tp = dev->priv;
        struct net *net = dev->net;
        int done = 0;

        while (done < budget) {
                /* A buffer for the largest frame we accept, sized from the MTU
                 * at each read so an MTU change applies to the next frame,
                 * plus one byte: a read that fills it is a frame too big for
                 * us, whatever tun reports for a frame it had to cut. */
                uint32_t room = dev->mtu + ETH_HLEN + TAP_RX_SLACK;
                if (room > SKB_LARGE_SIZE - SKB_HEADROOM - 1)
                        room = SKB_LARGE_SIZE - SKB_HEADROOM - 1;
                struct sk_buff *skb = alloc_skb(net, SKB_HEADROOM + room + 1);
                if (unlikely(!skb)) {
                        /* The frame stays in the kernel queue; the fd is
                         * still readable, so the loop brings us back. */
                        break;
                }
                skb_reserve(skb, SKB_HEADROOM);
                ssize_t n;
                do
                        n = read(tp->fd, skb->data, room + 1);
                while (n < 0 && errno == EINTR);
                if (n < 0) {
                        int err = errno;
                        consume_skb(skb); /* never held a frame */
                        if (err != EAGAIN && err != EWOULDBLOCK)
                                dev->stats.rx_errors++;
                        break;
                }
                done++;
                skb->dev = dev;
                if (unlikely((size_t)n > room)) {
                        /* Linux NICs count a frame that overflows the receive
                         * buffer as an over error and drop it. */
                        dev->stats.rx_over_errors++;
                        dev->stats.rx_errors++;
                        dev->stats.rx_dropped++;
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_BIG);
                        continue;
                }
                skb_put(skb, (uint32_t)n);
                netif_receive_skb(skb);
        }
        return done;
}

static int tap_get_fd(struct net_device *dev)
{
        struct tap_priv *tp = dev->priv;
        return tp->fd;
}

/* The host interface's MTU is the host's business (it may live in another
 * kernel namespace we cannot reach); ours only sizes receive buffers. */
static int tap_change_mtu(struct net_device *dev, unsigned mtu)
{
        return 0;
}

static void tap_uninit(struct net_device *dev)
{
        struct tap_priv *tp = dev->priv;
        close(tp->fd);
        free(tp);
        dev->priv = NULL;
}

static const struct net_device_ops tap_ops = {
        .ndo_start_xmit = tap_start_xmit,
        .ndo_poll = tap_poll,
        .ndo_get_fd = tap_get_fd,
        .ndo_change_mtu = tap_change_mtu,
        .ndo_uninit = tap_uninit,
};

/* ip link set NAME up, on the host.  Returns 0 or -errno. */
static int tap_host_up(const char *name)
{
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
        int err = 0;
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
                err = -errno;
        } else if (!(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP;
                if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                        err = -errno;
        }
        close(s);
        return err;
}

int tap_create(struct net *net, const char *host_ifname, const char *dev_name,
               struct net_device **out)
{
        if (host_ifname && strlen(host_ifname) >= IFNAMSIZ)
                return -EINVAL;
        struct tap_priv *tp = calloc(1, sizeof(*tp));
        if (!tp)
                return -ENOMEM;
        int err;
        tp->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (tp->fd < 0) {
                err = -errno;
                goto bad_free;
        }
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (host_ifname)
                snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", host_ifname);
        if (ioctl(tp->fd, TUNSETIFF, &ifr) < 0) {
                err = -errno;
                goto bad_close;
        }
        /* The kernel fills in the name it picked for a template. */
        snprintf(tp->host_name, sizeof(tp->host_name), "%s", ifr.ifr_name);
        err = tap_host_up(tp->host_name);
        if (err)
                goto bad_close;

        struct net_device *dev;
        err = netdev_register(net, dev_name ? dev_name : tp->host_name, &tap_ops, tp, &dev);
        if (err)
                goto bad_close;
        ether_setup(dev);
        eth_random_addr(net, dev->dev_addr);
        *out = dev;
        return 0;

bad_close:
        close(tp->fd);
bad_free:
        free(tp);
        return err;
}

const char *tap_host_name(const struct net_device *dev)
{
        if (dev->ops != &tap_ops)
                return NULL;
        const struct tap_priv *tp = dev->priv;
        return tp->host_name;
}
