/*
 * AF_PACKET driver: frames cross between Strata and a host interface
 * through a raw packet socket (SOCK_RAW, ETH_P_ALL) bound to it -- one
 * recvmsg is one frame the interface received, one send one frame it
 * transmits, Ethernet header included.
 *
 * The host keeps the interface: its own stack sees the same frames, so the
 * interface should carry no addresses of the host's in the same subnet.
 * Strata's device has its own MAC address; the socket's promiscuous
 * membership (dropped when it closes) lets frames for it in.  Frames the
 * host sends out of the interface -- ours among them -- are not received
 * (PACKET_IGNORE_OUTGOING).
 *
 * Offloads: a frame the host's own stack built may arrive before its
 * checksum is filled in (TP_STATUS_CSUMNOTREADY in PACKET_AUXDATA) or
 * larger than the MTU, as one GSO frame.  The first is trusted as the
 * kernel trusts its own packets (csum_unnecessary); the second is accepted
 * whole, as GRO would have built it, up to a 64 KB segment.  Everything
 * else is as the TAP driver, and shared with it (fdframe.c): driven by the
 * namespace's event loop through ndo_get_fd and NAPI polling, a full socket
 * queue a FULL_RING drop.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if.h>

#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "drivers/fdframe.h"
#include "drivers/packet.h"
#include "link/ethernet.h"
#include "wire/ethernet.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct packet_priv {
        int fd;
        int ifindex;
        char host_name[IFNAMSIZ];
};

static int packet_xmit(struct sk_buff *skb, struct net_device *dev)
{
        struct packet_priv *pp = dev->priv;
        return fdframe_xmit(dev, pp->fd, skb); /* a bound packet socket takes write() */
}

/* One frame, and PACKET_AUXDATA's word on its checksum. */
static ssize_t packet_read(struct net_device *dev, struct sk_buff *skb, void *buf, size_t cap)
{
        struct packet_priv *pp = dev->priv;
        struct iovec iov = { .iov_base = buf, .iov_len = cap };
        _Alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        ssize_t n = recvmsg(pp->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
                return n;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
                    c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
                        continue;
                struct tpacket_auxdata aux;
                memcpy(&aux, CMSG_DATA(c), sizeof(aux));
                /* built by the host's stack, checksum left to a device that
                 * never ran: as sound as its sender */
                if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
                        skb->csum_unnecessary = 1;
        }
        return n;
}

/* room for a GSO frame of the host's, up to a 64 KB segment */
static int packet_poll(struct net_device *dev, int budget)
{
        return fdframe_poll(dev, budget, SKB_LARGE_SIZE, packet_read);
}

static int packet_get_fd(struct net_device *dev)
{
        struct packet_priv *pp = dev->priv;
        return pp->fd;
}

static int packet_change_mtu(struct net_device *dev, unsigned mtu)
{
        return 0; /* the host interface's MTU is the host's business */
}

static void packet_uninit(struct net_device *dev)
{
        struct packet_priv *pp = dev->priv;
        close(pp->fd);
        free(pp);
        dev->priv = NULL;
}

static const struct net_device_ops packet_ops = {
        .ndo_start_xmit = packet_xmit,
        .ndo_poll = packet_poll,
        .ndo_get_fd = packet_get_fd,
        .ndo_change_mtu = packet_change_mtu,
        .ndo_uninit = packet_uninit,
};

int packet_create(struct net *net, const char *host_ifname, const char *dev_name,
                  struct net_device **out)
{
        if (!host_ifname || !*host_ifname || strlen(host_ifname) >= IFNAMSIZ)
                return -EINVAL;
        struct packet_priv *pp = calloc(1, sizeof(*pp));
        if (!pp)
                return -ENOMEM;
        int err = 0;
        pp->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
        if (pp->fd < 0) {
                err = -errno;
                free(pp);
                return err;
        }
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", host_ifname);
        if (ioctl(pp->fd, SIOCGIFINDEX, &ifr) < 0) {
                err = errno == ENODEV ? -ENODEV : -errno;
                goto bad;
        }
        pp->ifindex = ifr.ifr_ifindex;
        snprintf(pp->host_name, sizeof(pp->host_name), "%s", host_ifname);
        struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                                   .sll_protocol = htons(ETH_P_ALL),
                                   .sll_ifindex = pp->ifindex };
        int one = 1;
        struct packet_mreq mr = { .mr_ifindex = pp->ifindex, .mr_type = PACKET_MR_PROMISC };
        if (bind(pp->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
            setsockopt(pp->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
            setsockopt(pp->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0 ||
            setsockopt(pp->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
                err = -errno;
                goto bad;
        }
        struct net_device *dev;
        err = netdev_register(net, dev_name ? dev_name : pp->host_name, &packet_ops, pp, &dev);
        if (err)
                goto bad;
        ether_setup(dev);
        eth_random_addr(net, dev->dev_addr);
        *out = dev;
        return 0;
bad:
        close(pp->fd);
        free(pp);
        return err;
}
