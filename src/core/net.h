/*
 * struct net: one network namespace -- a complete, independent stack.
 *
 * Everything the stack knows hangs off a namespace (devices, tables,
 * counters, timers, sysctls, the packet pool), never off a global, so a
 * process can hold many namespaces: the lab runs a whole topology in one
 * process.  A namespace is run by one thread at a time, to completion
 * (`net_poll`): due timers, then device polls with a budget, each packet
 * carried as far as it goes.  Application threads entering the stack take
 * `lock`; the namespace's own loop holds it while it runs.
 *
 * Per-layer state lives behind pointers owned by each layer (ipv4, arp), so
 * this header does not grow with every protocol and lower layers do not see
 * higher layers' structures.
 */
#ifndef STRATA_CORE_NET_H
#define STRATA_CORE_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/dropreason.h"
#include "core/mib.h"
#include "core/netdev.h"
#include "core/random.h"
#include "core/skb.h"
#include "core/timer.h"
#include "core/trace.h"

struct sysctl_entry;
struct nf_hook_entry;
struct ipv4_net;
struct sock_ns;
struct sock_ns;
struct neigh_table;

#define NET_MAX_PTYPES    8
#define NET_MAX_NOTIFIERS 8

/* Core tunables (net.core.*) */
struct net_core_cfg {
        int netdev_max_backlog; /* 1000 */
        int netdev_budget;      /* 300 */
        int dev_weight;         /* 64 */
        int rmem_default;       /* 212992: socket receive buffer */
        int rmem_max;           /* 212992: largest SO_RCVBUF */
        int wmem_default;       /* 212992 */
        int wmem_max;           /* 212992 */
        int somaxconn;          /* 4096 */
};

struct net {
        char name[32];
        pthread_mutex_t lock; /* held by whoever runs this namespace */
        struct strata_clock *clock;
        struct timer_wheel timers;
        struct strata_random rnd;
        struct skb_pool *pool;

        struct net_device *dev_list; /* in ifindex order */
        int ifindex_next;
        struct net_device *loopback_dev;

        /* devices with receive work; taken by net_poll.  Guarded by poll_lock
         * because other namespaces' threads schedule our devices (veth). */
        pthread_mutex_t poll_lock;
        struct net_device *poll_first, *poll_last;
        /* poll_first != NULL, written under poll_lock and read without it:
         * an idle namespace's poll and net_has_work take no lock.  A device
         * scheduled just after a reader saw false is not lost: the one who
         * scheduled it wakes the namespace (net_wake), as it always did. */
        atomic_bool poll_scheduled;
        /* eventfd written when work arrives; -1.  Made lazily under the
         * namespace lock (strata_net_fd) while other threads' napi_schedule
         * may already read it: atomic, published with release. */
        _Atomic int wake_fd;
        bool pending_wake;

        struct packet_type ptypes[NET_MAX_PTYPES];
        int nptypes;
        struct netdev_notifier notifiers[NET_MAX_NOTIFIERS];
        int nnotifiers;

        uint64_t drops[SKB_DROP_REASON_MAX];
        struct strata_mib mib;
        struct trace_ctl trace;
        struct sysctl_entry *sysctls;
        struct net_core_cfg core;

        struct nf_hook_entry *nf_hooks[5]; /* src/netfilter: per NF_INET_* hook */
        struct ipv4_net *ipv4;             /* src/ipv4 */
        struct sock_ns *socks;             /* src/socket: fd table, waiters */
        /* Work queued for this namespace by other threads (socket write
         * space freed by skb destructors), run at the start of net_poll. */
        void (*deferred)(struct net *net);
        atomic_bool deferred_pending;
        struct neigh_table *arp_tbl;       /* src/link/neigh */
        /* rtnetlink notifications (src/ctl/rtnl_notify.c): called under
         * lock after a change, before a deleted object is freed; NULL: off */
        void (*rtnl_notify)(struct net *net, int event, const void *obj, void *ctx);
        void *rtnl_notify_ctx;
};

/* What changed, for net->rtnl_notify; obj is the net_device, in_ifaddr,
 * fib_route or neighbour. */
enum net_rtnl_event {
        NET_RTNL_NEWLINK,
        NET_RTNL_DELLINK,
        NET_RTNL_NEWADDR,
        NET_RTNL_DELADDR,
        NET_RTNL_NEWROUTE,
        NET_RTNL_DELROUTE,
        NET_RTNL_NEWNEIGH,
        NET_RTNL_DELNEIGH,
        NET_RTNL_NEWNEXTHOP,
        NET_RTNL_DELNEXTHOP,
};

/* Tell rtnetlink listeners (if any) that obj changed. */
static inline void net_rtnl_notify(struct net *net, enum net_rtnl_event ev, const void *obj)
{
        if (net->rtnl_notify)
                net->rtnl_notify(net, (int)ev, obj, net->rtnl_notify_ctx);
}

/* Create the core of a namespace (no devices, no protocols: see
 * strata_net_new for the full stack).  clock is shared, not owned. */
int net_alloc(const char *name, struct strata_clock *clock, uint64_t seed, struct net **out);
void net_free(struct net *net);

static inline uint64_t net_now(const struct net *net)
{
        return clock_now(net->clock);
}

/* Run one round: due timers, then up to netdev_budget frames from devices on
 * the poll list.  Returns the amount of work done (0: idle). Caller holds
 * net->lock. */
int net_poll(struct net *net);
/* True if devices are waiting to be polled. */
bool net_has_work(struct net *net);
/* Earliest time something is due (timer), UINT64_MAX if none, or now if
 * devices have work. */
uint64_t net_next_deadline(struct net *net);

/* Wake the namespace's loop (another thread queued work for it). */
void net_wake(struct net *net);

#endif
