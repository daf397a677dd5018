/*
 * The Strata-private control family (STRATA_NETLINK_CTL): sysctls, which
 * Linux serves through /proc/sys rather than netlink, for `strata sysctl`.
 * Messages and attributes are described in include/strata/ctl.h; values
 * are the text /proc/sys would show, and sysctl_get / sysctl_set are the
 * same functions strata_sysctl_get / strata_sysctl_set call.
 */
#include <errno.h>

#include <inttypes.h>
#include <stdio.h>

#include "core/dropreason.h"
#include "core/mib.h"
#include "core/net.h"
#include "core/sysctl.h"
#include "ctl/rtnl.h"
#include "strata/ctl.h"

#define SYSCTL_NAME_MAX  128
#define SYSCTL_VALUE_MAX 256

static void fill_value(struct nl_out *o, const char *name, const char *value, uint16_t flags,
                       uint32_t seq)
{
        nlmsg_begin(o, STRATA_SYSCTL_VALUE, flags, seq);
        nla_put_str(o, STRATA_SYSCTL_A_NAME, name);
        nla_put_str(o, STRATA_SYSCTL_A_VALUE, value);
        nlmsg_end(o);
}

struct sysctl_dump {
        struct rtnl_req *req;
};

static void dump_one(const struct sysctl_entry *e, void *ctx)
{
        struct sysctl_dump *d = ctx;
        char v[SYSCTL_VALUE_MAX];
        if (sysctl_get(d->req->net, e->name, v, sizeof(v)) >= 0)
                fill_value(d->req->out, e->name, v, NLM_F_MULTI_, d->req->msg->seq);
}

static void counter_one(const char *group, const char *field, uint64_t v, void *ctx)
{
        struct sysctl_dump *d = ctx;
        char name[64], value[24];
        snprintf(name, sizeof(name), "%s.%s", group, field);
        snprintf(value, sizeof(value), "%" PRIu64, v);
        nlmsg_begin(d->req->out, STRATA_COUNTER_VALUE, NLM_F_MULTI_, d->req->msg->seq);
        nla_put_str(d->req->out, STRATA_SYSCTL_A_NAME, name);
        nla_put_str(d->req->out, STRATA_SYSCTL_A_VALUE, value);
        nlmsg_end(d->req->out);
}

/* The counters /proc/net/snmp and netstat show, then the drop reasons. */
static void dump_counters(struct rtnl_req *req)
{
        struct sysctl_dump d = { req };
        mib_foreach(&req->net->mib, counter_one, &d);
        for (int i = 1; i < SKB_DROP_REASON_MAX; i++)
                if (req->net->drops[i])
                        counter_one("Drop", drop_reason_name((enum skb_drop_reason)i),
                                    req->net->drops[i], &d);
}

int ctl_sysctl_rcv(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        struct nl_attr tb[STRATA_SYSCTL_A_VALUE + 1];
        if (nla_parse(tb, STRATA_SYSCTL_A_VALUE, m->payload, m->payload_len))
                return -EINVAL;
        char name[SYSCTL_NAME_MAX], value[SYSCTL_VALUE_MAX];
        switch (m->type) {
        case STRATA_SYSCTL_GET:
                if (m->flags & NLM_F_DUMP_) {
                        req->dump = true;
                        struct sysctl_dump d = { req };
                        sysctl_foreach(req->net, dump_one, &d);
                        nlmsg_done(req->out, m->seq);
                        return 1;
                }
                if (nla_get_str(&tb[STRATA_SYSCTL_A_NAME], name, sizeof(name)))
                        return -EINVAL;
                int n = sysctl_get(req->net, name, value, sizeof(value));
                if (n < 0)
                        return n;
                fill_value(req->out, name, value, 0, m->seq);
                return 0;
        case STRATA_COUNTERS_GET:
                if (!(m->flags & NLM_F_DUMP_))
                        return -EINVAL;
                req->dump = true;
                dump_counters(req);
                nlmsg_done(req->out, m->seq);
                return 1;
        case STRATA_SYSCTL_SET:
                if (nla_get_str(&tb[STRATA_SYSCTL_A_NAME], name, sizeof(name)) ||
                    nla_get_str(&tb[STRATA_SYSCTL_A_VALUE], value, sizeof(value)))
                        return -EINVAL;
                return sysctl_set(req->net, name, value);
        case STRATA_PROCFS_GET:
                return ctl_procfs_rcv(req);
        default:
                return -EOPNOTSUPP;
        }
}
