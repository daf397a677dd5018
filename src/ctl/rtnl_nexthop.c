/*
 * rtnetlink nexthop objects: RTM_NEWNEXTHOP, RTM_DELNEXTHOP and
 * RTM_GETNEXTHOP (one by id, or a dump filtered by device or to groups)
 * as net/ipv4/nexthop.c speaks them -- a struct nhmsg (family, scope,
 * protocol, flags) and NHA_* attributes -- so `ip nexthop add/replace/
 * del/show/flush` work through stratad, and `ip monitor nexthop` hears
 * them (RTNLGRP_NEXTHOP, from nexthop.c).  The objects are
 * src/ipv4/nexthop.c's.  Not served: resilient groups, fdb nexthops,
 * encapsulation, IPv6 (refused with a message).
 */
#include <errno.h>
#include <string.h>

#include "ctl/rtnl.h"
#include "ipv4/nexthop.h"

#define NHMSG_LEN         8
#define NHA_ID_           1
#define NHA_GROUP_        2
#define NHA_GROUP_TYPE_   3
#define NHA_BLACKHOLE_    4
#define NHA_OIF_          5
#define NHA_GATEWAY_      6
#define NHA_ENCAP_TYPE_   7
#define NHA_ENCAP_        8
#define NHA_GROUPS_       9
#define NHA_MASTER_       10
#define NHA_FDB_          11
#define NHA_RES_GROUP_    12
#define NHA_MAX_          16
#define RTNH_F_ONLINK_    4
#define RTNH_F_LINKDOWN_N 16

/* nh_fill_node: the header (the scope of a single nexthop's next hop),
 * the id, then a group's members or the single one's device and gateway. */
static void fill_nexthop(struct nl_out *o, const struct nexthop *n, uint16_t type, uint16_t flags,
                         uint32_t seq)
{
        nlmsg_begin(o, type, flags, seq);
        uint8_t h[NHMSG_LEN] = { n->ngrp ? AF_UNSPEC_ : AF_INET_, 0, n->protocol, 0 };
        uint32_t nhflags = 0;
        if (!n->ngrp && !n->blackhole) {
                h[1] = n->gw ? RT_SCOPE_LINK : RT_SCOPE_HOST;
                nhflags = n->flags;
                if (n->dev && !n->dev->carrier && !(n->dev->flags & IFF_LOOPBACK_))
                        nhflags |= RTNH_F_LINKDOWN_N;
        }
        memcpy(h + 4, &nhflags, 4);
        nl_put(o, h, sizeof(h));
        nla_put_u32(o, NHA_ID_, n->id);
        if (n->ngrp) {
                uint8_t g[FIB_MAX_NHS * 8] = { 0 };
                for (int i = 0; i < n->ngrp; i++) {
                        uint16_t w = (uint16_t)(n->grp[i].weight - 1);
                        memcpy(g + i * 8, &n->grp[i].id, 4);
                        g[i * 8 + 4] = (uint8_t)w;        /* weight */
                        g[i * 8 + 5] = (uint8_t)(w >> 8); /* weight_high */
                }
                nla_put(o, NHA_GROUP_, g, (size_t)n->ngrp * 8);
                nla_put_u16(o, NHA_GROUP_TYPE_, 0); /* NEXTHOP_GRP_TYPE_MPATH */
        } else if (n->blackhole) {
                nla_put(o, NHA_BLACKHOLE_, NULL, 0);
        } else {
                if (n->dev)
                        nla_put_u32(o, NHA_OIF_, (uint32_t)n->dev->ifindex);
                if (n->gw)
                        nla_put_in_addr(o, NHA_GATEWAY_, n->gw);
        }
        nlmsg_end(o);
}

static int parse(struct rtnl_req *req, struct nl_attr *tb)
{
        const struct nl_msg *m = req->msg;
        if (rtnl_hdr(req, NHMSG_LEN))
                return -EINVAL;
        if (nla_parse(tb, NHA_MAX_, m->payload + NHMSG_LEN, m->payload_len - NHMSG_LEN))
                return -EINVAL;
        return 0;
}

struct nh_dump {
        struct rtnl_req *req;
        uint32_t oif;
        bool groups;
};

static void dump_one(const struct nexthop *n, void *ctx)
{
        struct nh_dump *d = ctx;
        if (d->groups && !n->ngrp)
                return;
        if (d->oif && (n->ngrp || !n->dev || (uint32_t)n->dev->ifindex != d->oif))
                return;
        fill_nexthop(d->req->out, n, RTM_NEWNEXTHOP_, NLM_F_MULTI_, d->req->msg->seq);
}

int rtnl_getnexthop(struct rtnl_req *req)
{
        struct nl_attr tb[NHA_MAX_ + 1];
        int err = parse(req, tb);
        if (err)
                return err;
        if (req->dump) {
                uint8_t family = req->msg->payload[0];
                if (family != AF_UNSPEC_ && family != AF_INET_)
                        return 0;
                struct nh_dump d = { .req = req, .groups = tb[NHA_GROUPS_].data != NULL };
                if (tb[NHA_OIF_].data && nla_get_u32(&tb[NHA_OIF_], &d.oif))
                        return -EINVAL;
                if (tb[NHA_MASTER_].data || tb[NHA_FDB_].data)
                        return 0; /* no VRF masters, no fdb nexthops: nothing matches */
                nexthop_for_each(req->net, dump_one, &d);
                return 0;
        }
        uint32_t id = 0;
        if (!tb[NHA_ID_].data || nla_get_u32(&tb[NHA_ID_], &id) || !id) {
                req->extack = "Invalid nexthop id";
                return -EINVAL;
        }
        const struct nexthop *n = nexthop_find(req->net, id);
        if (!n)
                return -ENOENT; /* the kernel says no more */
        fill_nexthop(req->out, n, RTM_NEWNEXTHOP_, 0, req->msg->seq);
        return 0;
}

/* rtm_to_nh_config, for what Strata serves. */
static int nexthop_from_msg(struct rtnl_req *req, const struct nl_attr *tb, struct nexthop *n,
                            struct nh_grp_entry *grp)
{
        const uint8_t *h = req->msg->payload;
        memset(n, 0, sizeof(*n));
        n->protocol = h[2];
        uint32_t flags;
        memcpy(&flags, h + 4, 4);
        if (flags & ~RTNH_F_ONLINK_) {
                req->extack = "Invalid nexthop flags in ancillary header";
                return -EINVAL;
        }
        n->flags = (uint8_t)flags;
        if (tb[NHA_ENCAP_].data || tb[NHA_ENCAP_TYPE_].data || tb[NHA_FDB_].data ||
            tb[NHA_MASTER_].data || tb[NHA_RES_GROUP_].data) {
                req->extack = "Strata: encapsulation, fdb and resilient nexthops are not "
                              "supported yet";
                return -EOPNOTSUPP;
        }
        if (tb[NHA_ID_].data && nla_get_u32(&tb[NHA_ID_], &n->id))
                return -EINVAL;
        if (tb[NHA_GROUP_].data) {
                const struct nl_attr *g = &tb[NHA_GROUP_];
                uint16_t type = 0;
                if (tb[NHA_GROUP_TYPE_].data && nla_get_u16(&tb[NHA_GROUP_TYPE_], &type))
                        return -EINVAL;
                if (type != 0) {
                        req->extack = "Strata: only hash-threshold (mpath) groups are supported";
                        return -EOPNOTSUPP;
                }
                if (h[0] != AF_UNSPEC_) {
                        req->extack = "Invalid family for group";
                        return -EINVAL;
                }
                if (!g->len || g->len % 8) {
                        req->extack = "Invalid length for nexthop group attribute";
                        return -EINVAL;
                }
                if (g->len / 8 > FIB_MAX_NHS) {
                        req->extack = "Strata: at most 32 nexthops in a group";
                        return -EINVAL;
                }
                if (tb[NHA_OIF_].data || tb[NHA_GATEWAY_].data || tb[NHA_BLACKHOLE_].data) {
                        req->extack = "No other attributes can be set in nexthop groups";
                        return -EINVAL;
                }
                n->ngrp = (uint8_t)(g->len / 8);
                for (int i = 0; i < n->ngrp; i++) {
                        const uint8_t *e = g->data + i * 8;
                        memcpy(&grp[i].id, e, 4);
                        grp[i].weight = (uint16_t)((e[4] | e[5] << 8) + 1);
                }
                n->grp = grp;
                return 0;
        }
        if (h[0] == AF_INET6_) {
                req->extack = "Strata: IPv6 is not supported yet";
                return -EAFNOSUPPORT;
        }
        if (h[0] != AF_INET_) {
                req->extack = "Invalid address family";
                return -EINVAL;
        }
        n->blackhole = tb[NHA_BLACKHOLE_].data != NULL;
        uint32_t oif = 0;
        if ((tb[NHA_OIF_].data && nla_get_u32(&tb[NHA_OIF_], &oif)) ||
            (tb[NHA_GATEWAY_].data && nla_get_in_addr(&tb[NHA_GATEWAY_], &n->gw)))
                return -EINVAL;
        if (oif) {
                n->dev = dev_get_by_index(req->net, (int)oif);
                if (!n->dev) {
                        req->extack = "Invalid device index";
                        return -EINVAL;
                }
        }
        return 0;
}

int rtnl_newnexthop(struct rtnl_req *req)
{
        struct nl_attr tb[NHA_MAX_ + 1];
        int err = parse(req, tb);
        if (err)
                return err;
        struct nexthop n;
        struct nh_grp_entry grp[FIB_MAX_NHS];
        err = nexthop_from_msg(req, tb, &n, grp);
        if (err)
                return err;
        uint16_t f = req->msg->flags;
        const char *why = NULL;
        err = nexthop_add(req->net, &n, f & NLM_F_REPLACE_, f & NLM_F_EXCL_, &why);
        if (why)
                req->extack = why;
        return err;
}

int rtnl_delnexthop(struct rtnl_req *req)
{
        struct nl_attr tb[NHA_MAX_ + 1];
        int err = parse(req, tb);
        if (err)
                return err;
        uint32_t id = 0;
        if (!tb[NHA_ID_].data || nla_get_u32(&tb[NHA_ID_], &id) || !id) {
                req->extack = "Invalid nexthop id";
                return -EINVAL;
        }
        return nexthop_del(req->net, id, true);
}

void rtnl_nexthop_msg(struct nl_out *o, const struct nexthop *n, uint16_t type)
{
        fill_nexthop(o, n, type, 0, 0);
}
