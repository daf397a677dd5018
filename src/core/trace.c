/* The packet trace: ids, budget and delivery of events to the sink. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/net.h"
#include "core/trace.h"

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

void trace_start_slow(struct net *net, struct sk_buff *skb)
{
        struct trace_ctl *t = &net->trace;
        if (!t->active || t->budget == 0)
                return;
        if (t->budget > 0 && --t->budget == 0)
                t->active = false;
        skb->trace_id = ++*t->next_id;
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
