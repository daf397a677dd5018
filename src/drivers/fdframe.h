/*
 * Frames over a host file descriptor, one frame per read or write: what the
 * TAP and AF_PACKET drivers share -- padding short frames as a NIC does,
 * the drop reasons and link statistics of a failed write, and the NAPI
 * receive loop with its over-size check.
 */
#ifndef STRATA_DRIVERS_FDFRAME_H
#define STRATA_DRIVERS_FDFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct net_device;
struct sk_buff;

/* Write skb's frame to fd (padded to ETH_ZLEN) and consume it; a failure
 * is a counted drop (FULL_RING for a full queue, DEV_READY when the host
 * side is down).  Always NETDEV_TX_OK. */
int fdframe_xmit(struct net_device *dev, int fd, struct sk_buff *skb);

/* Read one frame into buf (cap bytes) for skb; the frame's length, or -1
 * with errno.  May mark skb (a checksum the sender vouches for). */
typedef ssize_t (*fdframe_read_fn)(struct net_device *dev, struct sk_buff *skb, void *buf,
                                   size_t cap);

/* ndo_poll: up to budget frames of at most room bytes (a larger one is an
 * over error, dropped PKT_TOO_BIG), handed to netif_receive_skb. */
int fdframe_poll(struct net_device *dev, int budget, uint32_t room, fdframe_read_fn rd);

#endif
