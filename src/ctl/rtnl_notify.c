/*
 * rtnetlink notifications: what the kernel multicasts to RTNLGRP_LINK,
 * RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE and RTNLGRP_NEIGH when the
 * namespace changes.
 *
 * The stack calls net->rtnl_notify (net_rtnl_notify in core/net.h) under
 * the namespace lock at the spot of each change -- devices (netdev.c's
 * notifier), addresses (devinet.c), kernel routes (devinet.c's fib_magic)
 * and routes added or deleted over rtnetlink (rtnl_route.c), neighbours
 * (neigh.c).  Here each event becomes one message built by the same
 * builders the dumps use, pid 0 and seq 0 as the kernel's, handed to one
 * listener (the socket server, which queues it for the subscribed
 * clients).  Not notified yet: routes changed through the C API
 * (strata_route_add), neighbour timer transitions and garbage collection.
 */
#include <errno.h>
#include <stdlib.h>

#include "ctl/rtnl.h"
#include "strata/ctl.h"

#define RTNLGRP_LINK_        1
#define RTNLGRP_NEIGH_       3
#define RTNLGRP_IPV4_IFADDR_ 5
#define RTNLGRP_IPV4_ROUTE_  7
#define RTNLGRP_NEXTHOP_     32

struct notify_sink {
        strata_ctl_notify_fn fn;
        void *ctx;
};

/* net->rtnl_notify: build the message for ev and pass it on. */
static void rtnl_notify_event(struct net *net, int ev, const void *obj, void *ctx)
{
        (void)net;
        struct notify_sink *sink = ctx;
        struct nl_out o;
        unsigned group;
        nl_out_init(&o, 0);
        switch ((enum net_rtnl_event)ev) {
        case NET_RTNL_NEWLINK:
        case NET_RTNL_DELLINK:
                group = RTNLGRP_LINK_;
                rtnl_link_msg(&o, obj, ev == NET_RTNL_NEWLINK ? RTM_NEWLINK_ : RTM_DELLINK_);
                break;
        case NET_RTNL_NEWADDR:
        case NET_RTNL_DELADDR:
                group = RTNLGRP_IPV4_IFADDR_;
                rtnl_addr_msg(&o, obj, ev == NET_RTNL_NEWADDR ? RTM_NEWADDR_ : RTM_DELADDR_);
                break;
        case NET_RTNL_NEWROUTE:
        case NET_RTNL_DELROUTE:
                group = RTNLGRP_IPV4_ROUTE_;
                rtnl_route_msg(&o, obj, ev == NET_RTNL_NEWROUTE ? RTM_NEWROUTE_ : RTM_DELROUTE_);
                break;
        case NET_RTNL_NEWNEIGH:
        case NET_RTNL_DELNEIGH:
                group = RTNLGRP_NEIGH_;
                rtnl_neigh_msg(&o, obj, ev == NET_RTNL_NEWNEIGH ? RTM_NEWNEIGH_ : RTM_DELNEIGH_);
                break;
        case NET_RTNL_NEWNEXTHOP:
        case NET_RTNL_DELNEXTHOP:
                group = RTNLGRP_NEXTHOP_;
                rtnl_nexthop_msg(&o, obj,
                                 ev == NET_RTNL_NEWNEXTHOP ? RTM_NEWNEXTHOP_ : RTM_DELNEXTHOP_);
                break;
        default:
                nl_out_free(&o);
                return;
        }
        /* out of memory: the listener misses this one, as a kernel
         * listener whose buffer overran */
        if (!o.err && o.head && o.head->len)
                sink->fn(group, o.head->data, o.head->len, sink->ctx);
        nl_out_free(&o);
}

int strata_ctl_notify_start(struct strata_net *sn, strata_ctl_notify_fn fn, void *ctx)
{
        struct notify_sink *sink = malloc(sizeof(*sink));
        if (!sink)
                return -ENOMEM;
        *sink = (struct notify_sink){ fn, ctx };
        struct net *net = api_lock(sn);
        int err = 0;
        if (net->rtnl_notify) {
                err = -EBUSY;
        } else {
                net->rtnl_notify = rtnl_notify_event;
                net->rtnl_notify_ctx = sink;
        }
        api_unlock(sn);
        if (err)
                free(sink);
        return err;
}

void strata_ctl_notify_stop(struct strata_net *sn)
{
        struct net *net = api_lock(sn);
        void *sink = net->rtnl_notify == rtnl_notify_event ? net->rtnl_notify_ctx : NULL;
        if (sink) {
                net->rtnl_notify = NULL;
                net->rtnl_notify_ctx = NULL;
        }
        api_unlock(sn);
        free(sink);
}
