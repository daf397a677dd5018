/*
 * Observability and the echo client through the public API: pcap capture
 * per device, the packet trace, counters by Linux name, and ping.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "drivers/pcap.h"
#include "ipv4/ipv4.h"
#include "ipv4/ping.h"
#include "wire/ipv4.h"

int strata_capture(struct strata_net *sn, const char *dev_name, const char *path)
{
        struct net *net = api_lock(sn);
        int err = 0;
        struct net_device *dev = dev_get_by_name(net, dev_name);
        if (!dev) {
                err = -ENODEV;
                goto out;
        }
        struct api_capture *slot = NULL, *cur = NULL;
        for (int i = 0; i < API_MAX_CAPTURES; i++) {
                if (sn->captures[i].w && sn->captures[i].ifindex == dev->ifindex)
                        cur = &sn->captures[i];
                else if (!sn->captures[i].w && !slot)
                        slot = &sn->captures[i];
        }
        if (!path) {
                if (!cur) {
                        err = -ENOENT;
                        goto out;
                }
                pcap_detach(cur->w);
                cur->w = NULL;
                goto out;
        }
        if (cur) {
                err = -EBUSY;
                goto out;
        }
        if (!slot) {
                err = -ENOSPC;
                goto out;
        }
        err = pcap_attach(dev, path, &slot->w);
        if (!err)
                slot->ifindex = dev->ifindex;
out:
        api_unlock(sn);
        return err;
}

void api_capture_dev_gone(struct strata_net *sn, struct net_device *dev)
{
        for (int i = 0; i < API_MAX_CAPTURES; i++)
                if (sn->captures[i].w && sn->captures[i].ifindex == dev->ifindex) {
                        pcap_detach(sn->captures[i].w);
                        sn->captures[i].w = NULL;
                }
}

static void trace_adapter(const struct trace_event *ev, void *ctx)
{
        struct strata_net *sn = ctx;
        struct strata_trace_event out = {
                .id = ev->id,
                .time_ns = ev->time,
                .netns = ev->netns,
                .dev = ev->dev,
                .layer = trace_point_name(ev->point),
                .drop_reason = ev->point == TRACE_DROP ? drop_reason_name(ev->reason) : NULL,
                .where = ev->where,
                .msg = ev->msg,
        };
        if (sn->trace_fn)
                sn->trace_fn(&out, sn->trace_ctx);
}

int strata_trace(struct strata_net *sn, long packets, strata_trace_fn fn, void *ctx)
{
        struct net *net = api_lock(sn);
        sn->trace_fn = fn;
        sn->trace_ctx = ctx;
        if (fn)
                trace_enable(net, packets, trace_adapter, sn, NULL);
        else
                trace_enable(net, 0, NULL, NULL, NULL);
        api_unlock(sn);
        return 0;
}

int strata_trace_filter(struct strata_net *sn, const struct strata_trace_filter *f)
{
        struct net *net = api_lock(sn);
        net->trace.filter = f ? (struct trace_filter){ f->proto, f->addr, f->port }
                              : (struct trace_filter){ 0, 0, 0 };
        api_unlock(sn);
        return 0;
}

static int lookup_in(const char *name, const char *group, const char *(*namefn)(int), int n,
                     const uint64_t *vals, uint64_t *out)
{
        size_t gl = strlen(group);
        if (strncmp(name, group, gl) != 0 || name[gl] != '.')
                return -ENOENT;
        for (int i = 0; i < n; i++)
                if (strcmp(name + gl + 1, namefn(i)) == 0) {
                        *out = vals[i];
                        return 0;
                }
        return -ENOENT;
}

static const char *ip_name(int i)
{
        return mib_ip_name((enum ip_mib)i);
}
static const char *ipext_name(int i)
{
        return mib_ipext_name((enum ipext_mib)i);
}
static const char *udp_name(int i)
{
        return mib_udp_name((enum udp_mib)i);
}
static const char *tcp_name(int i)
{
        return mib_tcp_name((enum tcp_mib)i);
}
static const char *tcpext_name(int i)
{
        return mib_tcpext_name((enum tcpext_mib)i);
}
static const char *icmp_name(int i)
{
        return mib_icmp_name((enum icmp_mib)i);
}
static const char *reason_name(int i)
{
        return drop_reason_name((enum skb_drop_reason)i);
}

int strata_counter(struct strata_net *sn, const char *name, uint64_t *value)
{
        struct net *net = api_lock(sn);
        const struct strata_mib *m = &net->mib;
        int err = lookup_in(name, "Ip", ip_name, IPSTATS_MIB_MAX, m->ip, value);
        if (err)
                err = lookup_in(name, "IpExt", ipext_name, IPEXT_MIB_MAX, m->ipext, value);
        if (err)
                err = lookup_in(name, "Icmp", icmp_name, ICMP_MIB_MAX, m->icmp, value);
        if (err)
                err = lookup_in(name, "Udp", udp_name, UDP_MIB_MAX, m->udp, value);
        if (err)
                err = lookup_in(name, "TcpExt", tcpext_name, LINUX_MIB_MAX, m->tcpext, value);
        if (err)
                err = lookup_in(name, "Tcp", tcp_name, TCP_MIB_MAX, m->tcp, value);
        if (err) {
                int t;
                char tail;
                if (sscanf(name, "IcmpMsg.InType%d%c", &t, &tail) == 1 && t >= 0 && t < 256) {
                        *value = m->icmpmsg_in[t];
                        err = 0;
                } else if (sscanf(name, "IcmpMsg.OutType%d%c", &t, &tail) == 1 && t >= 0 &&
                           t < 256) {
                        *value = m->icmpmsg_out[t];
                        err = 0;
                }
        }
        if (err) {
                for (int i = 1; i < SKB_DROP_REASON_MAX; i++)
                        if (strcmp(name, reason_name(i)) == 0) {
                                *value = net->drops[i];
                                err = 0;
                        }
        }
        api_unlock(sn);
        return err;
}

void strata_print_counters(struct strata_net *sn, void *file)
{
        FILE *f = file;
        struct net *net = api_lock(sn);
        mib_print(&net->mib, f);
        fprintf(f, "Drops:");
        int any = 0;
        for (int i = 1; i < SKB_DROP_REASON_MAX; i++)
                if (net->drops[i]) {
                        fprintf(f, " %s=%" PRIu64, drop_reason_name((enum skb_drop_reason)i),
                                net->drops[i]);
                        any = 1;
                }
        fprintf(f, "%s\n", any ? "" : " none");
        for (struct net_device *d = net->dev_list; d; d = d->next) {
                const struct rtnl_link_stats64 *s = &d->stats;
                fprintf(f,
                        "%s: RX packets %" PRIu64 " bytes %" PRIu64 " dropped %" PRIu64
                        "  TX packets %" PRIu64 " bytes %" PRIu64 " dropped %" PRIu64 "\n",
                        d->name, s->rx_packets, s->rx_bytes, s->rx_dropped, s->tx_packets,
                        s->tx_bytes, s->tx_dropped);
        }
        api_unlock(sn);
}

static void ping_adapter(const struct ping_result *r, void *ctx)
{
        struct strata_net *sn = ctx;
        struct strata_ping_result out = {
                .seq = r->seq,
                .ttl = r->ttl,
                .icmp_type = r->icmp_type,
                .icmp_code = r->icmp_code,
                .bytes = r->bytes,
                .rtt_ns = r->rtt_ns,
        };
        ipv4_addr_fmt(r->from, out.from);
        if (sn->ping_fn)
                sn->ping_fn(&out, sn->ping_ctx);
}

int strata_ping_listen(struct strata_net *sn, uint16_t ident, strata_ping_fn fn, void *ctx)
{
        struct net *net = api_lock(sn);
        sn->ping_fn = fn;
        sn->ping_ctx = ctx;
        int err = ping_listen(net, ident, fn ? ping_adapter : NULL, sn);
        api_unlock(sn);
        return err;
}

int strata_ping_send(struct strata_net *sn, const char *dst, uint16_t ident, uint16_t seq,
                     size_t datalen)
{
        uint32_t daddr;
        if (ipv4_addr_parse(dst, &daddr) < 0)
                return -EINVAL;
        struct net *net = api_lock(sn);
        int err = ping_send(net, daddr, ident, seq, datalen);
        api_unlock(sn);
        return err;
}
