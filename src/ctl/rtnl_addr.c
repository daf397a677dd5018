/*
 * rtnetlink IPv4 addresses: RTM_GETADDR (dump), RTM_NEWADDR and
 * RTM_DELADDR, answered with Linux's inet_fill_ifaddr layout -- primaries
 * before secondaries per device, IFA_F_SECONDARY, labels, broadcast, and
 * lifetimes (IFA_CACHEINFO: what is left of them, and the creation and
 * last-change stamps in hundredths of a second, as cstamp_delta).  A new
 * address with an existing one's local address and prefix is -EEXIST
 * unless NLM_F_REPLACE without NLM_F_EXCL (`ip addr change`/`replace`),
 * which sets its lifetimes anew -- and nothing else, as inet_rtm_newaddr.
 */
#include <errno.h>
#include <string.h>

#include "ctl/rtnl.h"
#include "ipv4/ipv4.h"

#define IFA_F_NOPREFIXROUTE_ 0x200
#define NLM_F_REPLACE_       0x100

/* cstamp_delta: a stamp in hundredths of a second */
static uint32_t cstamp_delta(uint64_t ns)
{
        return (uint32_t)(ns / 10000000u);
}

static void fill_addr(struct nl_out *o, const struct in_ifaddr *ifa, uint16_t type, uint16_t flags,
                      uint32_t seq)
{
        nlmsg_begin(o, type, flags, seq);
        uint8_t h[IFADDRMSG_LEN] = { AF_INET_, ifa->prefixlen, (uint8_t)ifa->flags, ifa->scope };
        uint32_t idx = (uint32_t)ifa->dev->ifindex;
        memcpy(h + 4, &idx, 4);
        nl_put(o, h, sizeof(h));
        if (ifa->address)
                nla_put_in_addr(o, IFA_ADDRESS_, ifa->address);
        if (ifa->local)
                nla_put_in_addr(o, IFA_LOCAL_, ifa->local);
        if (ifa->broadcast)
                nla_put_in_addr(o, IFA_BROADCAST_, ifa->broadcast);
        if (ifa->label[0])
                nla_put_str(o, IFA_LABEL_, ifa->label);
        nla_put_u32(o, IFA_FLAGS_, ifa->flags);
        /* struct ifa_cacheinfo: preferred, valid, cstamp, tstamp */
        uint32_t valid, preferred;
        inet_ifa_lifetimes(ifa->dev->net, ifa, &valid, &preferred);
        uint32_t ci[4] = { preferred, valid, cstamp_delta(ifa->cstamp), cstamp_delta(ifa->tstamp) };
        nla_put(o, IFA_CACHEINFO_, ci, sizeof(ci));
        nlmsg_end(o);
}

int rtnl_getaddr(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        uint8_t family = m->payload[0];
        if (!req->dump) {
                req->extack = "Strata: RTM_GETADDR for one address is not supported (dump)";
                return -EOPNOTSUPP;
        }
        if (family != AF_UNSPEC_ && family != AF_INET_)
                return 0; /* no IPv6 yet: an empty dump */
        int only = 0;     /* strict dumps may name a device */
        if (m->payload_len >= IFADDRMSG_LEN)
                only = (int)nl_rd32(m->payload + 4);
        for (struct net_device *d = req->net->dev_list; d; d = d->next) {
                struct in_device *idev = in_dev_get(d);
                if (!idev || (only > 0 && d->ifindex != only))
                        continue;
                for (struct in_ifaddr *i = idev->ifa_list; i; i = i->next)
                        fill_addr(req->out, i, RTM_NEWADDR_, NLM_F_MULTI_, m->seq);
        }
        return 0;
}

/* The parts of an address request both add and del read. */
struct addr_args {
        struct net_device *dev;
        uint32_t local, address, broadcast;
        uint8_t prefixlen, scope, hflags;
        uint32_t flags;
        char label[16];
        bool has_local, has_address;
        struct nl_attr tb[IFA_MAX_ + 1];
};

static int addr_parse(struct rtnl_req *req, struct addr_args *a)
{
        const struct nl_msg *m = req->msg;
        memset(a, 0, sizeof(*a));
        if (rtnl_hdr(req, IFADDRMSG_LEN))
                return -EINVAL;
        const uint8_t *h = m->payload;
        if (h[0] != AF_INET_) {
                req->extack = h[0] == AF_INET6_ ? "Strata: IPv6 is not supported yet" : NULL;
                return -EAFNOSUPPORT;
        }
        a->prefixlen = h[1];
        a->hflags = h[2];
        a->scope = h[3];
        if (a->prefixlen > 32) {
                req->extack = "Invalid prefix length";
                return -EINVAL;
        }
        if (nla_parse(a->tb, IFA_MAX_, m->payload + IFADDRMSG_LEN, m->payload_len - IFADDRMSG_LEN))
                return -EINVAL;
        uint32_t idx = nl_rd32(h + 4);
        a->dev = dev_get_by_index(req->net, (int)idx);
        if (!a->dev)
                return -ENODEV;
        struct nl_attr *tb = a->tb;
        if (tb[IFA_LOCAL_].data) {
                if (nla_get_in_addr(&tb[IFA_LOCAL_], &a->local))
                        return -EINVAL;
                a->has_local = true;
        }
        if (tb[IFA_ADDRESS_].data) {
                if (nla_get_in_addr(&tb[IFA_ADDRESS_], &a->address))
                        return -EINVAL;
                a->has_address = true;
        }
        if (tb[IFA_BROADCAST_].data && nla_get_in_addr(&tb[IFA_BROADCAST_], &a->broadcast))
                return -EINVAL;
        if (tb[IFA_LABEL_].data && nla_get_str(&tb[IFA_LABEL_], a->label, sizeof(a->label)))
                return -EINVAL;
        a->flags = a->hflags;
        if (tb[IFA_FLAGS_].data && nla_get_u32(&tb[IFA_FLAGS_], &a->flags))
                return -EINVAL;
        return 0;
}

int rtnl_newaddr(struct rtnl_req *req)
{
        struct addr_args a;
        int err = addr_parse(req, &a);
        if (err)
                return err;
        if (!a.has_local) {
                a.local = a.address;
                a.has_local = a.has_address;
        }
        if (!a.has_local)
                return -EINVAL;
        if (a.has_address && a.address != a.local) {
                req->extack = "Strata: point-to-point peer addresses are not supported yet";
                return -EOPNOTSUPP;
        }
        if (a.flags & IFA_F_NOPREFIXROUTE_) {
                req->extack = "Strata: noprefixroute is not supported yet";
                return -EOPNOTSUPP;
        }
        uint32_t valid = INFINITY_LIFE_TIME, pref = INFINITY_LIFE_TIME;
        if (a.tb[IFA_CACHEINFO_].data) {
                if (a.tb[IFA_CACHEINFO_].len < 16)
                        return -EINVAL;
                pref = nl_rd32(a.tb[IFA_CACHEINFO_].data);
                valid = nl_rd32(a.tb[IFA_CACHEINFO_].data + 4);
                if (!valid || pref > valid) {
                        req->extack = "ipv4: address lifetime invalid";
                        return -EINVAL;
                }
        }
        uint8_t want_scope = (a.local >> 24) == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
        if (a.scope != want_scope) {
                req->extack = "Strata: address scopes other than the default are not supported yet";
                return -EOPNOTSUPP;
        }
        struct in_ifaddr *old = inet_ifa_find(a.dev, a.local, a.prefixlen);
        if (old) {
                uint16_t f = req->msg->flags;
                if ((f & NLM_F_EXCL_) || !(f & NLM_F_REPLACE_)) {
                        req->extack = "ipv4: Address already assigned";
                        return -EEXIST;
                }
                inet_ifa_change(req->net, old, valid, pref);
                return 0;
        }
        return inet_addr_add_lft(a.dev, a.local, a.prefixlen, a.broadcast,
                                 a.label[0] ? a.label : NULL, valid, pref);
}

int rtnl_deladdr(struct rtnl_req *req)
{
        struct addr_args a;
        int err = addr_parse(req, &a);
        if (err)
                return err;
        struct in_device *idev = in_dev_get(a.dev);
        if (!idev)
                return -EADDRNOTAVAIL;
        /* inet_rtm_deladdr: match what was given -- local, label, prefix */
        for (struct in_ifaddr *i = idev->ifa_list; i; i = i->next) {
                if (a.has_local && i->local != a.local)
                        continue;
                if (a.label[0] && strcmp(a.label, i->label))
                        continue;
                if (a.has_address &&
                    (a.prefixlen != i->prefixlen || ((a.address ^ i->local) & i->mask)))
                        continue;
                return inet_addr_del(a.dev, i->local, i->prefixlen);
        }
        return -EADDRNOTAVAIL;
}

void rtnl_addr_msg(struct nl_out *o, const struct in_ifaddr *ifa, uint16_t type)
{
        fill_addr(o, ifa, type, 0, 0);
}
