/*
 * rtnetlink policy rules: RTM_NEWRULE, RTM_DELRULE and RTM_GETRULE (a dump)
 * for IPv4, as net/core/fib_rules.c speaks them -- a struct fib_rule_hdr
 * (family, dst_len, src_len, tos, table, action, flags) and FRA_*
 * attributes -- so `ip rule show/add/del` work through stratad, with the
 * selectors uidrange, ipproto, sport and dport and the suppressors
 * suppress_prefixlength and suppress_ifgroup.
 */
#include <errno.h>
#include <string.h>

#include "ctl/rtnl.h"
#include "ipv4/ipv4.h"

#define FIB_RULE_HDR_LEN        12
#define FRA_DST_                1
#define FRA_SRC_                2
#define FRA_IIFNAME_            3
#define FRA_GOTO_               4
#define FRA_PRIORITY_           6
#define FRA_FWMARK_             10
#define FRA_FLOW_               11
#define FRA_TUN_ID_             12
#define FRA_SUPPRESS_IFGROUP_   13
#define FRA_SUPPRESS_PREFIXLEN_ 14
#define FRA_TABLE_              15
#define FRA_FWMASK_             16
#define FRA_OIFNAME_            17
#define FRA_L3MDEV_             19
#define FRA_UID_RANGE_          20
#define FRA_PROTOCOL_           21
#define FRA_IP_PROTO_           22
#define FRA_SPORT_RANGE_        23
#define FRA_DPORT_RANGE_        24
#define FRA_MAX_                26
#define FIB_RULE_IIF_DETACHED_  0x08
#define FIB_RULE_OIF_DETACHED_  0x10
#define RT_TABLE_COMPAT_        252

struct rule_dump {
        struct rtnl_req *req;
};

static void fill_rule(const struct fib_rule *r, void *ctx)
{
        struct rtnl_req *req = ((struct rule_dump *)ctx)->req;
        struct nl_out *o = req->out;
        nlmsg_begin(o, RTM_NEWRULE_, NLM_F_MULTI_, req->msg->seq);
        uint8_t h[FIB_RULE_HDR_LEN] = { AF_INET_,
                                        r->dst_len,
                                        r->src_len,
                                        r->tos,
                                        (uint8_t)(r->table < 256 ? r->table : RT_TABLE_COMPAT_),
                                        0,
                                        0,
                                        r->action };
        uint32_t flags = r->flags & FIB_RULE_INVERT;
        if (r->iifname[0] && !dev_get_by_name(req->net, r->iifname))
                flags |= FIB_RULE_IIF_DETACHED_;
        if (r->oifname[0] && !dev_get_by_name(req->net, r->oifname))
                flags |= FIB_RULE_OIF_DETACHED_;
        memcpy(h + 8, &flags, 4);
        nl_put(o, h, sizeof(h));
        nla_put_u32(o, FRA_TABLE_, r->table);
        if (r->suppress_ifgroup_set)
                nla_put_u32(o, FRA_SUPPRESS_IFGROUP_, r->suppress_ifgroup);
        nla_put_u32(o, FRA_SUPPRESS_PREFIXLEN_,
                    r->suppress_plen_set ? r->suppress_prefixlen : 0xffffffffu);
        if (r->iifname[0])
                nla_put_str(o, FRA_IIFNAME_, r->iifname);
        if (r->oifname[0])
                nla_put_str(o, FRA_OIFNAME_, r->oifname);
        if (r->pref)
                nla_put_u32(o, FRA_PRIORITY_, r->pref);
        if (r->mark)
                nla_put_u32(o, FRA_FWMARK_, r->mark);
        if (r->mark_mask || r->mark)
                nla_put_u32(o, FRA_FWMASK_, r->mark_mask);
        if (r->target)
                nla_put_u32(o, FRA_GOTO_, r->target);
        nla_put_u8(o, FRA_PROTOCOL_, r->protocol);
        if (r->uid_set) {
                uint32_t range[2] = { r->uid_start, r->uid_end }; /* fib_rule_uid_range */
                nla_put(o, FRA_UID_RANGE_, range, sizeof(range));
        }
        if (r->ip_proto)
                nla_put_u8(o, FRA_IP_PROTO_, r->ip_proto);
        if (r->sport_hi) {
                uint16_t range[2] = { r->sport_lo, r->sport_hi }; /* fib_rule_port_range */
                nla_put(o, FRA_SPORT_RANGE_, range, sizeof(range));
        }
        if (r->dport_hi) {
                uint16_t range[2] = { r->dport_lo, r->dport_hi };
                nla_put(o, FRA_DPORT_RANGE_, range, sizeof(range));
        }
        if (r->dst_len)
                nla_put_in_addr(o, FRA_DST_, r->dst);
        if (r->src_len)
                nla_put_in_addr(o, FRA_SRC_, r->src);
        nlmsg_end(o);
}

int rtnl_getrule(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        if (!req->dump)
                return -EOPNOTSUPP; /* as the kernel: rules are only dumped */
        uint8_t family = m->payload[0];
        if (family != AF_UNSPEC_ && family != AF_INET_)
                return 0;
        struct rule_dump d = { req };
        fib_rules_for_each(req->net, fill_rule, &d);
        return 0;
}

/* A port range attribute (struct fib_rule_port_range, host order) as
 * nla_get_port_range checks it. */
static int port_range(struct rtnl_req *req, const struct nl_attr *a, uint16_t *lo, uint16_t *hi,
                      const char *what)
{
        if (!a->data)
                return 0;
        uint16_t v[2];
        if (a->len < sizeof(v))
                return -EINVAL;
        memcpy(v, a->data, sizeof(v));
        if (!v[0] || !v[1] || v[1] == 0xffff || v[0] > v[1]) {
                req->extack = what;
                return -EINVAL;
        }
        *lo = v[0];
        *hi = v[1];
        return 0;
}

/* uidrange, ipproto, sport, dport and the suppressors. */
static int rule_selectors(struct rtnl_req *req, const struct nl_attr *tb, struct fib_rule *r)
{
        if (tb[FRA_UID_RANGE_].data) {
                uint32_t v[2];
                if (tb[FRA_UID_RANGE_].len < sizeof(v))
                        return -EINVAL;
                memcpy(v, tb[FRA_UID_RANGE_].data, sizeof(v));
                /* uid_range_set: both valid uids (not -1), in order */
                if (v[0] == 0xffffffffu || v[1] == 0xffffffffu || v[0] > v[1]) {
                        req->extack = "Invalid uid range";
                        return -EINVAL;
                }
                r->uid_set = true;
                r->uid_start = v[0];
                r->uid_end = v[1];
        }
        if (tb[FRA_IP_PROTO_].data && nla_get_u8(&tb[FRA_IP_PROTO_], &r->ip_proto))
                return -EINVAL;
        int err = port_range(req, &tb[FRA_SPORT_RANGE_], &r->sport_lo, &r->sport_hi,
                             "Invalid sport range");
        if (!err)
                err = port_range(req, &tb[FRA_DPORT_RANGE_], &r->dport_lo, &r->dport_hi,
                                 "Invalid dport range");
        if (err)
                return err;
        uint32_t v;
        if (tb[FRA_SUPPRESS_PREFIXLEN_].data) {
                if (nla_get_u32(&tb[FRA_SUPPRESS_PREFIXLEN_], &v))
                        return -EINVAL;
                r->suppress_plen_set = v != 0xffffffffu;
                r->suppress_prefixlen = r->suppress_plen_set ? v : 0;
        }
        if (tb[FRA_SUPPRESS_IFGROUP_].data) {
                if (nla_get_u32(&tb[FRA_SUPPRESS_IFGROUP_], &v))
                        return -EINVAL;
                r->suppress_ifgroup_set = v != 0xffffffffu;
                r->suppress_ifgroup = r->suppress_ifgroup_set ? v : 0;
        }
        return 0;
}

/* fib_nl2rule: the rule a NEWRULE/DELRULE describes. */
static int rule_from_msg(struct rtnl_req *req, struct fib_rule *r, bool *has_pref)
{
        const struct nl_msg *m = req->msg;
        if (rtnl_hdr(req, FIB_RULE_HDR_LEN))
                return -EINVAL;
        const uint8_t *h = m->payload;
        if (h[0] != AF_INET_) {
                req->extack = h[0] == AF_INET6_ ? "Strata: IPv6 is not supported yet" : NULL;
                return -EAFNOSUPPORT;
        }
        struct nl_attr tb[FRA_MAX_ + 1];
        if (nla_parse(tb, FRA_MAX_, m->payload + FIB_RULE_HDR_LEN,
                      m->payload_len - FIB_RULE_HDR_LEN))
                return -EINVAL;
        memset(r, 0, sizeof(*r));
        r->dst_len = h[1];
        r->src_len = h[2];
        r->tos = h[3];
        r->table = h[4];
        r->action = h[7];
        uint32_t flags;
        memcpy(&flags, h + 8, 4);
        r->flags = flags & FIB_RULE_INVERT;
        if (r->dst_len > 32 || r->src_len > 32)
                return -EINVAL;
        if (tb[FRA_L3MDEV_].data || tb[FRA_TUN_ID_].data || tb[FRA_FLOW_].data) {
                req->extack = "Strata: l3mdev (no VRF devices), tun_id and realms are not "
                              "supported yet";
                return -EOPNOTSUPP;
        }
        int err = rule_selectors(req, tb, r);
        if (err)
                return err;
        *has_pref = tb[FRA_PRIORITY_].data != NULL;
        if ((tb[FRA_PRIORITY_].data && nla_get_u32(&tb[FRA_PRIORITY_], &r->pref)) ||
            (tb[FRA_TABLE_].data && nla_get_u32(&tb[FRA_TABLE_], &r->table)) ||
            (tb[FRA_GOTO_].data && nla_get_u32(&tb[FRA_GOTO_], &r->target)) ||
            (tb[FRA_FWMARK_].data && nla_get_u32(&tb[FRA_FWMARK_], &r->mark)) ||
            (tb[FRA_PROTOCOL_].data && nla_get_u8(&tb[FRA_PROTOCOL_], &r->protocol)) ||
            (tb[FRA_SRC_].data && nla_get_in_addr(&tb[FRA_SRC_], &r->src)) ||
            (tb[FRA_DST_].data && nla_get_in_addr(&tb[FRA_DST_], &r->dst)) ||
            (tb[FRA_IIFNAME_].data &&
             nla_get_str(&tb[FRA_IIFNAME_], r->iifname, sizeof(r->iifname)) < 0) ||
            (tb[FRA_OIFNAME_].data &&
             nla_get_str(&tb[FRA_OIFNAME_], r->oifname, sizeof(r->oifname)) < 0))
                return -EINVAL;
        if (r->mark)
                r->mark_mask = 0xffffffffu;
        if (tb[FRA_FWMASK_].data && nla_get_u32(&tb[FRA_FWMASK_], &r->mark_mask))
                return -EINVAL;
        if ((tb[FRA_SRC_].data == NULL) != (r->src_len == 0) ||
            (tb[FRA_DST_].data == NULL) != (r->dst_len == 0))
                return -EINVAL;
        return 0;
}

int rtnl_newrule(struct rtnl_req *req)
{
        struct fib_rule r;
        bool has_pref;
        int err = rule_from_msg(req, &r, &has_pref);
        if (err)
                return err;
        switch (r.action) {
        case FR_ACT_TO_TBL:
                if (!r.table) {
                        req->extack = "Invalid table";
                        return -EINVAL;
                }
                break;
        case FR_ACT_GOTO:
                if (!r.target) {
                        req->extack = "Missing goto target for action goto";
                        return -EINVAL;
                }
                break;
        case FR_ACT_NOP:
        case FR_ACT_BLACKHOLE:
        case FR_ACT_UNREACHABLE:
        case FR_ACT_PROHIBIT:
                break;
        default:
                return -EINVAL;
        }
        err = fib_rule_add(req->net, &r, has_pref, req->msg->flags & NLM_F_EXCL_);
        if (err == -EINVAL && r.action == FR_ACT_GOTO)
                req->extack = "Backward goto not supported";
        else if (err == -EEXIST)
                req->extack = "Rule exists";
        return err;
}

int rtnl_delrule(struct rtnl_req *req)
{
        struct fib_rule r;
        bool has_pref;
        int err = rule_from_msg(req, &r, &has_pref);
        if (err)
                return err;
        return fib_rule_del(req->net, &r, has_pref);
}
