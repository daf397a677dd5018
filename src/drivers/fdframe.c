/* Frames over a host file descriptor: see fdframe.h. */
#include "drivers/fdframe.h"

#include <errno.h>
#include <sys/uio.h>

#include "core/net.h"
#include "core/netdev.h"
#include "core/skb.h"
#include "wire/ethernet.h"

/* Padding for frames shorter than ETH_ZLEN: a real NIC pads them, and
 * kernel peers (and their captures) expect to see it done. */
static const uint8_t fdframe_zeros[ETH_ZLEN];

int fdframe_xmit(struct net_device *dev, int fd, struct sk_buff *skb)
{
        /* Pad with a second iovec rather than skb_put: the buffer may be
         * shared with a clone (a capture, a retransmit queue). */
        struct iovec iov[2] = {
                { .iov_base = skb->data, .iov_len = skb->len },
                { .iov_base = (void *)fdframe_zeros, .iov_len = 0 },
        };
        if (skb->len < ETH_ZLEN)
                iov[1].iov_len = ETH_ZLEN - skb->len;
        size_t total = iov[0].iov_len + iov[1].iov_len;
        ssize_t n;
        do
                n = writev(fd, iov, iov[1].iov_len ? 2 : 1);
        while (n < 0 && errno == EINTR);

        if (likely(n >= 0)) {
                /* counted as it went on the wire, padding included, as
                 * drivers that pad with eth_skb_pad do */
                dev_sw_tx_ok(dev, (uint32_t)total);
                consume_skb(skb);
                return NETDEV_TX_OK;
        }
        /* The host queue does not push back (a write succeeds or fails with
         * EAGAIN when it is full), so a full queue is a drop, as a NIC's
         * full descriptor ring is, not NETDEV_TX_BUSY: a busy answer would
         * only make us spin on a queue the host drains at its own pace. */
        enum skb_drop_reason reason;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                reason = SKB_DROP_REASON_FULL_RING;
        } else if (errno == EIO || errno == ENETDOWN || errno == ENXIO) {
                /* host side of the interface is down or gone */
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

int fdframe_poll(struct net_device *dev, int budget, uint32_t room, fdframe_read_fn rd)
{
        struct net *net = dev->net;
        int done = 0;
        if (room > SKB_LARGE_SIZE - SKB_HEADROOM - 1)
                room = SKB_LARGE_SIZE - SKB_HEADROOM - 1;
        while (done < budget) {
                /* one byte more than the largest frame we accept: a read
                 * that fills it is a frame too big for us, whatever the
                 * host reports for a frame it had to cut */
                struct sk_buff *skb = alloc_skb(net, SKB_HEADROOM + room + 1);
                if (unlikely(!skb)) {
                        /* The frame stays in the host queue; the fd is
                         * still readable, so the loop brings us back. */
                        break;
                }
                skb_reserve(skb, SKB_HEADROOM);
                ssize_t n;
                do
                        n = rd(dev, skb, skb->data, room + 1);
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
