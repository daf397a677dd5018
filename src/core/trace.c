/* The packet trace: ids, budget and delivery of events to the sink. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/net.h"
#include "core/trace.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

static const char *const point_names[] = {
#define X(n, s) s,
        STRATA_TRACE_POINTS(X)
#undef X
};

const char *trace_point_name(enum trace_point p)
{
        return (unsigned)p < TRACE_MAX ? point_names[p] : "?";
}

void trace_enable(struct net *net, int64_t packets, trace_sink_fn sink, void *ctx,
                  uint32_t *next_id)
{
        net->trace.budget = packets;
        net->trace.sink = sink;
        net->trace.sink_ctx = ctx;
        net->trace.next_id = next_id ? next_id : &net->trace.own_next_id;
        net->trace.active = packets != 0 && sink;
}

void trace_disable(struct net *net)
{
        net->trace.active = false;
}

static void trace_assign(struct trace_ctl *t, struct sk_buff *skb)
{
        if (!t->active || t->budget == 0)
                return;
        if (t->budget > 0 && --t->budget == 0)
                t->active = false;
        skb->trace_id = ++*t->next_id;
}

static bool filter_empty(const struct trace_filter *f)
{
        return !f->proto && !f->addr && !f->port;
}

/* The filter against an IP packet's fields and its transport header l4
 * (len bytes; ports are read only when there). */
static bool filter_ip(const struct trace_filter *f, uint8_t proto, uint32_t saddr,
                      uint32_t daddr, const uint8_t *l4, size_t len)
{
        if (f->proto && f->proto != proto)
                return false;
        if (f->addr && f->addr != saddr && f->addr != daddr)
                return false;
        if (f->port) {
                if ((proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_) || len < 4)
                        return false;
                if (get_be16(l4) != f->port && get_be16(l4 + 2) != f->port)
                        return false;
        }
        return true;
}

/* A received frame: Ethernet, then IPv4 or ARP. */
static bool filter_frame(const struct trace_filter *f, const uint8_t *d, size_t len)
{
        if (len < ETH_HLEN)
                return false;
        uint16_t type = get_be16(d + 12);
        d += ETH_HLEN;
        len -= ETH_HLEN;
        if (type == ETH_P_ARP)
                return !f->proto && !f->port && len >= 28 &&
                       (!f->addr || get_be32(d + 14) == f->addr || get_be32(d + 24) == f->addr);
        if (type != ETH_P_IP || len < 20)
                return false;
        size_t ihl = (d[0] & 0xfu) * 4u;
        if (ihl < 20 || ihl > len)
                return false;
        bool first = (get_be16(d + 6) & 0x1fff) == 0; /* ports only in the first fragment */
        return filter_ip(f, d[9], get_be32(d + 12), get_be32(d + 16), d + ihl,
                         first ? len - ihl : 0);
}

void trace_start_slow(struct net *net, struct sk_buff *skb)
{
        struct trace_ctl *t = &net->trace;
        if (!filter_empty(&t->filter) && !filter_frame(&t->filter, skb->data, skb->len))
                return;
        trace_assign(t, skb);
}

void trace_start_ip(struct net *net, struct sk_buff *skb, uint8_t proto, uint32_t saddr,
                    uint32_t daddr)
{
        struct trace_ctl *t = &net->trace;
        if (!filter_empty(&t->filter) &&
            !filter_ip(&t->filter, proto, saddr, daddr, skb->data, skb->len))
                return;
        trace_assign(t, skb);
}

static void deliver(struct net *net, struct trace_event *ev, const struct sk_buff *skb)
{
        if (!net->trace.sink)
                return;
        ev->id = skb->trace_id;
        ev->time = net_now(net);
        ev->netns = net->name;
        ev->dev = skb->dev ? skb->dev->name : NULL;
        net->trace.sink(ev, net->trace.sink_ctx);
}

void trace_emit(struct net *net, const struct sk_buff *skb, enum trace_point p, const char *where,
                const char *fmt, ...)
{
        struct trace_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.point = p;
        ev.where = where;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ev.msg, sizeof(ev.msg), fmt, ap);
        va_end(ap);
        deliver(net, &ev, skb);
}

void trace_emit_drop(struct net *net, const struct sk_buff *skb, enum skb_drop_reason r,
                     const char *where)
{
        struct trace_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.point = TRACE_DROP;
        ev.reason = r;
        ev.where = where;
        snprintf(ev.msg, sizeof(ev.msg), "dropped: %s (%s)", drop_reason_name(r),
                 drop_reason_desc(r));
        deliver(net, &ev, skb);
}
