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
 * Transmit writes the frame at once (fdframe.c, shared with the AF_PACKET
 * driver: padding, and a full host queue as a FULL_RING drop).
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
#include "drivers/fdframe.h"
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

static int tap_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
        struct tap_priv *tp = dev->priv;
        return fdframe_xmit(dev, tp->fd, skb);
}

static ssize_t tap_read(struct net_device *dev, struct sk_buff *skb, void *buf, size_t cap)
{
        struct tap_priv *tp = dev->priv;
        return read(tp->fd, buf, cap);
}

/* A buffer for the largest frame we accept, sized from the MTU at each poll
 * so an MTU change applies to the next frame. */
static int tap_poll(struct net_device *dev, int budget)
{
        return fdframe_poll(dev, budget, dev->mtu + ETH_HLEN + TAP_RX_SLACK, tap_read);
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
