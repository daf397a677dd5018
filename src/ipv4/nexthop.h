/*
 * Nexthop objects (Linux's net/ipv4/nexthop.c): `ip nexthop add id N via
 * GW dev DEV [onlink] | dev DEV | blackhole | group A[/W],B[/W]...`, and
 * routes that name one (`ip route add P nhid N`).
 *
 * A route that names a nexthop keeps a copy of what it resolves to -- its
 * gateway and device, a group's members as multipath next hops, a
 * blackhole as the route's type -- plus the id, so the data path reads a
 * route the same way whether its next hops came inline or from an object.
 * Replacing a nexthop rewrites the routes (and groups) that use it;
 * deleting one deletes them, as Linux does.  Both are rare, so they walk
 * the tables.
 */
#ifndef STRATA_IPV4_NEXTHOP_H
#define STRATA_IPV4_NEXTHOP_H

#include "ipv4/ipv4.h"

struct nh_grp_entry {
        uint32_t id;
        uint16_t weight; /* 1..256 */
};

struct nexthop {
        struct nexthop *next; /* by id */
        uint32_t id;
        uint8_t protocol;
        uint8_t flags; /* RTNH_F_ONLINK */
        bool blackhole;
        uint32_t gw; /* 0: the device alone */
        struct net_device *dev;
        struct nh_grp_entry *grp; /* a group (hash-threshold) when ngrp */
        uint8_t ngrp;
};

/* ip nexthop add / replace (announced to rtnetlink listeners): tmpl's id
 * 0 takes the next free one (written back).  0, or -EEXIST (excl, or add without replace), -EINVAL
 * / -ENETUNREACH / -ENODEV / -ENETDOWN with *why the kernel's message. */
int nexthop_add(struct net *net, struct nexthop *tmpl, bool replace, bool excl, const char **why);
/* ip nexthop del id N: the routes through it go, and it leaves the groups
 * it was in (an emptied group goes too).  notify: tell rtnetlink listeners
 * (its deletion, the groups changed), as a request does and a device's
 * flush does not.  0 or -ENOENT. */
int nexthop_del(struct net *net, uint32_t id, bool notify);
const struct nexthop *nexthop_find(struct net *net, uint32_t id);
/* Visit every nexthop, by id. */
void nexthop_for_each(struct net *net, void (*fn)(const struct nexthop *nh, void *c), void *ctx);
/* Resolve nexthop id into route template r (nhs: room for FIB_MAX_NHS
 * next hops, r->nh points there for a group).  0, or -EINVAL when there
 * is no such nexthop. */
int nexthop_resolve(struct net *net, uint32_t id, struct fib_route *r, struct fib_nh *nhs);
/* A device is going away: its nexthops (and their routes) go. */
void nexthop_flush_dev(struct net *net, const struct net_device *dev);
void nexthop_exit(struct net *net);

#endif
