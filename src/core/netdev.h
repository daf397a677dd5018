/*
 * struct net_device: a network interface of one namespace.
 *
 * A driver fills a small ops table; every op is optional unless marked
 * required.  The stack talks to a device in three ways:
 *
 *  - transmit: dev_queue_xmit() puts a frame (link header already built)
 *    through the device's queueing discipline slot and then calls
 *    ndo_start_xmit.  Today the qdisc slot is a FIFO bounded by txqueuelen
 *    (pfifo); the qdisc framework plugs in there without touching callers.
 *  - receive, NAPI style: a device with frames to deliver is put on its
 *    namespace's poll list (napi_schedule); the namespace's poll loop then
 *    calls ndo_poll with a budget and the driver hands each frame to
 *    netif_receive_skb().  In-memory devices (veth, loopback) queue frames
 *    on the per-device backlog with netif_rx() and use the generic backlog
 *    poll; file-descriptor drivers (TAP) read their fd in ndo_poll.
 *  - control: open/stop on up/down, MTU and address changes.
 *
 * Statistics are Linux's rtnl_link_stats64, so `ip -s link` prints them as
 * the kernel's.  Every drop on a device is also counted by reason.
 */
#ifndef STRATA_CORE_NETDEV_H
#define STRATA_CORE_NETDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dropreason.h"
#include "core/skb.h"

#ifndef IFNAMSIZ /* <net/if.h> and <linux/if.h> define the same value */
#define IFNAMSIZ 16
#endif
#define MAX_ADDR_LEN 6

/* dev->flags, Linux's values (IFF_*) */
#define IFF_UP_          0x1
#define IFF_BROADCAST_   0x2
#define IFF_LOOPBACK_    0x8
#define IFF_POINTOPOINT_ 0x10
#define IFF_RUNNING_     0x40
#define IFF_NOARP_       0x80
#define IFF_PROMISC_     0x100
#define IFF_MULTICAST_   0x1000
#define IFF_LOWER_UP_    0x10000

/* dev->type, Linux's ARPHRD_* */
#define DEV_TYPE_ETHER    1
#define DEV_TYPE_LOOPBACK 772

/* dev->features: what the device does for the stack (Linux's NETIF_F_*) */
#define NETIF_F_HW_CSUM 0x1u /* takes CHECKSUM_PARTIAL skbs: in-memory links
                              * (veth, lo) that never need the sum computed */

#define NETDEV_TX_OK   0
#define NETDEV_TX_BUSY 0x10 /* driver could not take it: skb NOT consumed */

/* Linux's struct rtnl_link_stats64, same fields, same order. */
struct rtnl_link_stats64 {
        uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
        uint64_t rx_errors, tx_errors, rx_dropped, tx_dropped;
        uint64_t multicast, collisions;
        uint64_t rx_length_errors, rx_over_errors, rx_crc_errors, rx_frame_errors;
        uint64_t rx_fifo_errors, rx_missed_errors;
        uint64_t tx_aborted_errors, tx_carrier_errors, tx_fifo_errors;
        uint64_t tx_heartbeat_errors, tx_window_errors;
        uint64_t rx_compressed, tx_compressed, rx_nohandler;
};

struct net_device;

/* Link-layer header handling (Linux's header_ops), set by ether_setup():
 * the core calls these without knowing the link type. */
struct header_ops {
        /* Prepend the link header for a frame of EtherType type to daddr
         * (NULL: broadcast); returns 0 or -errno. */
        int (*create)(struct sk_buff *skb, struct net_device *dev, uint16_t type,
                      const uint8_t *daddr);
        /* Receive side (eth_type_trans): with data at the link header, set
         * mac_header, protocol and pkt_type and pull the header.  Returns 0,
         * or -EINVAL for a frame too short to carry one. */
        int (*type_trans)(struct sk_buff *skb, struct net_device *dev);
};

/* Events other layers hear about (Linux's netdevice notifier). */
enum netdev_event {
        NETDEV_REGISTER,
        NETDEV_UNREGISTER,
        NETDEV_UP,
        NETDEV_DOWN,
        NETDEV_CHANGEADDR,
        NETDEV_CHANGEMTU,
        NETDEV_CHANGE, /* carrier */
};

struct netdev_notifier {
        void (*fn)(struct net_device *dev, enum netdev_event ev, void *ctx);
        void *ctx;
};

struct net_device_ops {
        /* Bring the device up / down (admin state).  Optional. */
        int (*ndo_open)(struct net_device *dev);
        int (*ndo_stop)(struct net_device *dev);
        /* Required.  Take one frame (data = link header).  Returns NETDEV_TX_OK
         * having consumed the skb (sent or dropped with a reason), or
         * NETDEV_TX_BUSY leaving it to the caller to requeue. */
        int (*ndo_start_xmit)(struct sk_buff *skb, struct net_device *dev);
        /* Receive up to budget frames into netif_receive_skb(); returns how many.
         * If fewer than budget, the driver is done and, for fd drivers, waits for
         * its fd to become readable again.  Optional: devices without it use the
         * generic backlog poll (frames queued with netif_rx()). */
        int (*ndo_poll)(struct net_device *dev, int budget);
        /* A file descriptor the event loop should wait on for readability, or
         * -1.  Optional. */
        int (*ndo_get_fd)(struct net_device *dev);
        int (*ndo_change_mtu)(struct net_device *dev, unsigned mtu);
        int (*ndo_set_mac_address)(struct net_device *dev, const uint8_t *addr);
        /* Release driver state; called once when the device is freed. */
        void (*ndo_uninit)(struct net_device *dev);
};

/* A packet tap: sees every frame received and sent on the device (pcap
 * writers, later AF_PACKET sockets).  Called with a read-only skb whose data
 * starts at the link header. */
struct packet_tap {
        void (*fn)(struct packet_tap *tap, struct net_device *dev, const struct sk_buff *skb,
                   bool outgoing);
        struct packet_tap *next;
};

struct net_device {
        char name[IFNAMSIZ];
        int ifindex;
        struct net *net;
        const struct net_device_ops *ops;
        const struct header_ops *header_ops;
        void *priv;                     /* driver state */
        unsigned flags;                 /* IFF_* */
        unsigned short type;            /* DEV_TYPE_* (ARPHRD) */
        unsigned short hard_header_len; /* link header bytes (14 for Ethernet) */
        unsigned mtu, min_mtu, max_mtu;
        unsigned tx_queue_len; /* qdisc limit (txqueuelen) */
        unsigned features;     /* NETIF_F_* */
        uint8_t addr_len;
        uint8_t dev_addr[MAX_ADDR_LEN];
        uint8_t broadcast[MAX_ADDR_LEN];
        bool carrier; /* link detected (IFF_LOWER_UP) */
        bool ever_up; /* opened once: its qdisc stays attached, as `ip link` shows */

        struct rtnl_link_stats64 stats;
        uint64_t drops[SKB_DROP_REASON_MAX];

        /* transmit: the qdisc slot (pfifo until the qdisc framework) */
        struct sk_buff_head txq;

        /* receive: backlog for netif_rx(), shared with other threads */
        pthread_mutex_t backlog_lock;
        struct sk_buff_head backlog;
        bool on_poll_list; /* scheduled: on the poll list or being polled */
        bool poll_missed;  /* scheduled again while being polled */
        struct net_device *poll_next;

        struct packet_tap *taps;
        void *ip_ptr;            /* struct in_device (IPv4 state) */
        void *arp_parms;         /* struct neigh_parms of this device */
        struct net_device *next; /* namespace's device list */
};

/*
 * Create a device of the given type in net.  name may contain "%d" (picks
 * the first free number, as Linux).  The device starts down.  Returns 0 and
 * *out, or -EEXIST (name taken), -EINVAL (bad name), -ENOMEM.
 */
int netdev_register(struct net *net, const char *name, const struct net_device_ops *ops, void *priv,
                    struct net_device **out);
/* Bring down, detach from the namespace, free queued packets (DEV_GONE). */
void netdev_unregister(struct net_device *dev);

/* Set up Ethernet defaults: type, MTU 1500, broadcast, header length, flags. */
void ether_setup(struct net_device *dev);

int dev_open(struct net_device *dev);  /* ip link set up */
int dev_close(struct net_device *dev); /* ip link set down */
int dev_set_mtu(struct net_device *dev, unsigned mtu);
int dev_set_mac_address(struct net_device *dev, const uint8_t *addr);
void netif_carrier_on(struct net_device *dev);
void netif_carrier_off(struct net_device *dev);

static inline bool netif_running(const struct net_device *dev)
{
        return dev->flags & IFF_UP_;
}
/* Up and carrier: frames can flow (IFF_RUNNING). */
static inline bool netif_oper_up(const struct net_device *dev)
{
        return (dev->flags & IFF_UP_) && dev->carrier;
}

struct net_device *dev_get_by_index(struct net *net, int ifindex);
struct net_device *dev_get_by_name(struct net *net, const char *name);

/* Transmit a frame (data at the link header).  Consumes skb. */
void dev_queue_xmit(struct sk_buff *skb);

/* Driver side of receive: hand one frame (data at link header, dev set) to
 * the stack.  Consumes skb.  Runs in the namespace's poll loop. */
void netif_receive_skb(struct sk_buff *skb);
/* Queue a frame on dev's backlog from any thread (veth, loopback) and
 * schedule dev for polling.  Drops with CPU_BACKLOG over netdev_max_backlog. */
void netif_rx(struct sk_buff *skb);
/* Mark dev as having work (fd readable, backlog non-empty). */
void napi_schedule(struct net_device *dev);
/* The poll of devices fed by netif_rx(): deliver up to budget backlog frames. */
int dev_backlog_poll(struct net_device *dev, int budget);

/* Drivers count what they sent (rx is counted by netif_receive_skb). */
static inline void dev_sw_tx_ok(struct net_device *dev, uint32_t len)
{
        dev->stats.tx_packets++;
        dev->stats.tx_bytes += len;
}

/* Subscribe to device events of a namespace (at most NET_MAX_NOTIFIERS). */
int register_netdev_notifier(struct net *net, const struct netdev_notifier *nb);

/* Count a drop on the device (called by kfree_skb_reason). */
static inline void dev_count_drop(struct net_device *dev, enum skb_drop_reason r)
{
        dev->drops[r]++;
}

/* Attach/detach a tap. */
void dev_add_tap(struct net_device *dev, struct packet_tap *tap);
void dev_remove_tap(struct net_device *dev, struct packet_tap *tap);

/* Handler for one EtherType (Linux's packet_type): ip_rcv, arp_rcv.  The
 * handler gets the skb with data after the link header and consumes it. */
struct packet_type {
        uint16_t type; /* EtherType, host order */
        void (*func)(struct sk_buff *skb, struct net_device *dev);
};
int dev_add_pack(struct net *net, const struct packet_type *pt);

#endif
