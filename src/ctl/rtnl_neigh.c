/*
 * rtnetlink neighbours (the ARP table): RTM_GETNEIGH (dump), RTM_NEWNEIGH
 * (`ip neigh add|replace|change`, NUD states as given) and RTM_DELNEIGH,
 * through the neighbour subsystem's own neigh_create / neigh_update /
 * neigh_delete, so an entry added here behaves as one the stack learned.
 */
#include <errno.h>
#include <string.h>

#include "ctl/rtnl.h"
#include "ipv4/ipv4.h"

/* ns ago -> clock_t (USER_HZ) ago, as the kernel's jiffies_to_clock_t */
static uint32_t age_clock_t(uint64_t now, uint64_t then)
{
        uint64_t d = now > then ? now - then : 0;
        return (uint32_t)(d / (NSEC_PER_SEC / USER_HZ_));
}

struct neigh_dump {
        struct rtnl_req *req;
        int only; /* ifindex filter (strict dumps), 0: all */
};

static void fill_neigh(struct nl_out *o, const struct neighbour *n, uint16_t type, uint16_t flags,
                       uint32_t seq)
{
        nlmsg_begin(o, type, flags, seq);
        uint8_t h[NDMSG_LEN] = { AF_INET_ };
        int32_t idx = n->dev->ifindex;
        uint16_t state = n->nud_state;
        memcpy(h + 4, &idx, 4);
        memcpy(h + 8, &state, 2);
        h[10] = n->flags;
        h[11] = RTN_UNICAST;
        nl_put(o, h, sizeof(h));
        nla_put(o, NDA_DST_, n->key, 4);
        if (n->nud_state & NUD_VALID)
                nla_put(o, NDA_LLADDR_, n->ha, n->dev->addr_len);
        nla_put_u32(o, NDA_PROBES_, (uint32_t)n->probes);
        uint64_t now = net_now(n->tbl->net);
        /* struct nda_cacheinfo: confirmed, used, updated, refcnt */
        uint32_t ci[4] = { age_clock_t(now, n->confirmed), age_clock_t(now, n->used),
                           age_clock_t(now, n->updated), 1 };
        nla_put(o, NDA_CACHEINFO_, ci, sizeof(ci));
        nlmsg_end(o);
}

static void dump_one(struct neighbour *n, void *ctx)
{
        struct neigh_dump *d = ctx;
        if (d->only && n->dev->ifindex != d->only)
                return;
        fill_neigh(d->req->out, n, RTM_NEWNEIGH_, NLM_F_MULTI_, d->req->msg->seq);
}

int rtnl_getneigh(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        if (!req->dump) {
                req->extack = "Strata: RTM_GETNEIGH for one entry is not supported (dump)";
                return -EOPNOTSUPP;
        }
        uint8_t family = m->payload[0];
        if (family != AF_UNSPEC_ && family != AF_INET_)
                return 0; /* IPv6 (ND) and bridge FDBs: nothing yet */
        struct neigh_dump d = { .req = req };
        if (m->payload_len >= NDMSG_LEN)
                d.only = (int)nl_rd32(m->payload + 4);
        neigh_for_each(&ipv4_of(req->net)->arp_tbl, dump_one, &d);
        return 0;
}

/* The entry a NEWNEIGH/DELNEIGH names: device and destination. */
static int neigh_args(struct rtnl_req *req, struct nl_attr *tb, struct net_device **dev,
                      uint8_t key[4])
{
        const struct nl_msg *m = req->msg;
        if (rtnl_hdr(req, NDMSG_LEN))
                return -EINVAL;
        if (m->payload[0] != AF_INET_) {
                req->extack =
                    m->payload[0] == AF_INET6_ ? "Strata: IPv6 is not supported yet" : NULL;
                return -EAFNOSUPPORT;
        }
        if (nla_parse(tb, NDA_MAX_, m->payload + NDMSG_LEN, m->payload_len - NDMSG_LEN))
                return -EINVAL;
        if (m->payload[10] & NTF_PROXY_) {
                req->extack = "Strata: proxy ARP entries are not supported yet";
                return -EOPNOTSUPP;
        }
        int32_t idx = (int32_t)nl_rd32(m->payload + 4);
        if (!tb[NDA_DST_].data) {
                req->extack = "Network address not specified";
                return -EINVAL;
        }
        if (tb[NDA_DST_].len != 4) {
                req->extack = "Invalid network address";
                return -EINVAL;
        }
        memcpy(key, tb[NDA_DST_].data, 4);
        *dev = idx > 0 ? dev_get_by_index(req->net, idx) : NULL;
        if (idx > 0 && !*dev)
                return -ENODEV;
        if (!*dev) {
                req->extack = "Device not specified";
                return -EINVAL;
        }
        return 0;
}

int rtnl_newneigh(struct rtnl_req *req)
{
        struct nl_attr tb[NDA_MAX_ + 1];
        struct net_device *dev;
        uint8_t key[4];
        int err = neigh_args(req, tb, &dev, key);
        if (err)
                return err;
        const uint8_t *lladdr = NULL;
        if (tb[NDA_LLADDR_].data) {
                if (tb[NDA_LLADDR_].len < dev->addr_len) {
                        req->extack = "Invalid link address";
                        return -EINVAL;
                }
                lladdr = tb[NDA_LLADDR_].data;
        }
        uint16_t state = nl_rd16(req->msg->payload + 8);
        uint16_t f = req->msg->flags;
        struct neigh_table *tbl = &ipv4_of(req->net)->arp_tbl;
        struct neighbour *n = neigh_lookup(tbl, key, dev);
        if (n && (f & NLM_F_EXCL_))
                return -EEXIST;
        if (!n && !(f & NLM_F_CREATE_))
                return -ENOENT;
        if (!n && (state & NUD_VALID) && !lladdr)
                return -EINVAL; /* a valid state needs an address to be valid with */
        bool created = !n;
        if (!n)
                n = neigh_create(tbl, key, dev);
        if (!n)
                return -ENOBUFS;
        unsigned uf = NEIGH_UPDATE_F_ADMIN;
        if (created || (f & NLM_F_REPLACE_))
                uf |= NEIGH_UPDATE_F_OVERRIDE;
        err = neigh_update(n, lladdr, (uint8_t)state, uf);
        if (err && created)
                neigh_delete(n);
        return err;
}

int rtnl_delneigh(struct rtnl_req *req)
{
        struct nl_attr tb[NDA_MAX_ + 1];
        struct net_device *dev;
        uint8_t key[4];
        int err = neigh_args(req, tb, &dev, key);
        if (err)
                return err;
        struct neighbour *n = neigh_lookup(&ipv4_of(req->net)->arp_tbl, key, dev);
        if (!n)
                return -ENOENT;
        /* as the kernel: FAILED first (listeners hear it), then gone */
        neigh_update(n, NULL, NUD_FAILED, NEIGH_UPDATE_F_ADMIN | NEIGH_UPDATE_F_OVERRIDE);
        neigh_delete(n);
        return 0;
}

void rtnl_neigh_msg(struct nl_out *o, const struct neighbour *n, uint16_t type)
{
        fill_neigh(o, n, type, 0, 0);
}
