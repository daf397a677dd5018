/*
 * The rtnetlink server's insides: one request being answered, and the
 * handlers per object (links, addresses, routes, neighbours) that the
 * dispatcher in rtnl.c calls with the namespace locked.
 *
 * A handler reads req->msg, calls the same internal functions the public
 * API calls (dev_open, inet_addr_add, fib_table_insert, neigh_update, ...)
 * and either emits replies into req->out (GET and dumps) or returns 0 /
 * a negative errno, which the dispatcher turns into the ACK or NLMSG_ERROR;
 * req->extack may name what was wrong, as the kernel's extended ack does.
 */
#ifndef STRATA_CTL_RTNL_H
#define STRATA_CTL_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "ctl/nlmsg.h"
#include "ctl/ctl_batch.h"
#include "ctl/rtnl_uapi.h"

struct rtnl_req {
        struct strata_net *sn;
        struct net *net;
        const struct nl_msg *msg;
        struct nl_out *out;
        uint32_t uid;       /* of the client, for RTA_UID */
        bool dump;          /* NLM_F_DUMP on a GET */
        const char *extack; /* message for NLMSG_ERROR, or NULL */
};

typedef int (*rtnl_handler)(struct rtnl_req *req);

/* rtnl_link.c */
int rtnl_getlink(struct rtnl_req *req);
int rtnl_newlink(struct rtnl_req *req);
int rtnl_dellink(struct rtnl_req *req);
/* rtnl_addr.c */
int rtnl_getaddr(struct rtnl_req *req);
int rtnl_newaddr(struct rtnl_req *req);
int rtnl_deladdr(struct rtnl_req *req);
/* rtnl_route.c */
int rtnl_getroute(struct rtnl_req *req);
int rtnl_newroute(struct rtnl_req *req);
int rtnl_delroute(struct rtnl_req *req);
/* rtnl_rule.c */
#define RTM_NEWRULE_ 32
#define RTM_DELRULE_ 33
#define RTM_GETRULE_ 34
int rtnl_getrule(struct rtnl_req *req);
int rtnl_newrule(struct rtnl_req *req);
int rtnl_delrule(struct rtnl_req *req);
/* rtnl_nexthop.c */
#define RTM_NEWNEXTHOP_ 104
#define RTM_DELNEXTHOP_ 105
#define RTM_GETNEXTHOP_ 106
int rtnl_getnexthop(struct rtnl_req *req);
int rtnl_newnexthop(struct rtnl_req *req);
int rtnl_delnexthop(struct rtnl_req *req);
/* rtnl_neigh.c */
int rtnl_getneigh(struct rtnl_req *req);
int rtnl_newneigh(struct rtnl_req *req);
int rtnl_delneigh(struct rtnl_req *req);
/* One message (pid 0, seq 0, no flags) describing an object, as the
 * dumps build it, for notifications (rtnl_notify.c). */
struct in_ifaddr;
struct fib_route;
struct neighbour;
void rtnl_link_msg(struct nl_out *o, const struct net_device *dev, uint16_t type);
void rtnl_addr_msg(struct nl_out *o, const struct in_ifaddr *ifa, uint16_t type);
void rtnl_route_msg(struct nl_out *o, const struct fib_route *r, uint16_t type);
void rtnl_neigh_msg(struct nl_out *o, const struct neighbour *n, uint16_t type);
struct nexthop;
void rtnl_nexthop_msg(struct nl_out *o, const struct nexthop *n, uint16_t type);
/* ctl_sysctl.c: the private family (STRATA_NETLINK_CTL) */
int ctl_sysctl_rcv(struct rtnl_req *req);
/* ctl_procfs.c: STRATA_PROCFS_GET, and the text of one served /proc file
 * ("net/sockstat", "net/sockstat6", "net/snmp", "net/netstat"): 0 with a
 * malloc'd *text, or -ENOENT for a file not served */
int ctl_procfs_rcv(struct rtnl_req *req);
struct net;
int ctl_procfs_text(struct net *net, const char *name, char **text, size_t *len);

/* The payload's family header, or -EINVAL when shorter than hdrlen. */
static inline int rtnl_hdr(const struct rtnl_req *req, size_t hdrlen)
{
        return req->msg->payload_len < hdrlen ? -22 /* EINVAL */ : 0;
}

/* Flags of the reply messages: NLM_F_MULTI in a dump. */
static inline uint16_t rtnl_reply_flags(const struct rtnl_req *req)
{
        return req->dump ? NLM_F_MULTI_ : 0;
}

#endif
