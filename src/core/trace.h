/*
 * Packet trace: where a packet went, layer by layer, and where it died.
 *
 * Tracing is off by default.  When on, packets entering a namespace
 * (received on a device or sent by a local protocol) are given a trace id,
 * subject to a budget ("the next N packets"); every layer then reports its
 * step with TRACE(), which costs one predictable branch on skb->trace_id
 * when the packet is not traced.  A packet caused by a traced one (an echo
 * reply, an ICMP error, an ARP request for a queued packet) inherits its id,
 * so one id tells the whole story.  The id travels with the skb across veth
 * into other namespaces; each namespace reports to its own sink (the lab
 * points them all at one).
 */
#ifndef STRATA_CORE_TRACE_H
#define STRATA_CORE_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/dropreason.h"

struct net;
struct sk_buff;

#define STRATA_TRACE_POINTS(X)                                                                     \
        X(DEV_RX, "dev rx")                                                                        \
        X(ETH_RX, "ethernet")                                                                      \
        X(ARP, "arp")                                                                              \
        X(IP_RCV, "ip input")                                                                      \
        X(IP_LOCAL, "ip local deliver")                                                            \
        X(IP_FORWARD, "ip forward")                                                                \
        X(NF_HOOK, "netfilter")                                                                    \
        X(ICMP, "icmp")                                                                            \
        X(IP_OUT, "ip output")                                                                     \
        X(NEIGH, "neighbour")                                                                      \
        X(QDISC, "qdisc")                                                                          \
        X(DEV_TX, "dev tx")                                                                        \
        X(DROP, "drop")

enum trace_point {
#define X(n, s) TRACE_##n,
        STRATA_TRACE_POINTS(X)
#undef X
            TRACE_MAX
};

struct trace_event {
        uint32_t id;       /* trace id of the packet */
        uint64_t time;     /* ns, namespace clock */
        const char *netns; /* namespace name */
        const char *dev;   /* device name or NULL */
        enum trace_point point;
        enum skb_drop_reason reason; /* for TRACE_DROP */
        const char *where;           /* function that reported */
        char msg[160];               /* what happened */
};

typedef void (*trace_sink_fn)(const struct trace_event *ev, void *ctx);

/* Which packets start a trace (0 fields: any): an IP protocol, an address
 * either end, a TCP/UDP port either end.  ARP matches only a filter with
 * no protocol and no port, by its sender or target address. */
struct trace_filter {
        uint8_t proto;
        uint32_t addr; /* host order */
        uint16_t port;
};

struct trace_ctl {
        bool active;       /* tracing on in this namespace */
        struct trace_filter filter;
        int64_t budget;    /* packets still to start tracing; -1: all */
        uint32_t *next_id; /* shared counter (lab: one for all namespaces) */
        uint32_t own_next_id;
        trace_sink_fn sink;
        void *sink_ctx;
};

const char *trace_point_name(enum trace_point p);

/* Turn tracing on for the next `packets` new packets (-1: all) with a sink;
 * next_id may point to a counter shared by several namespaces, or be NULL. */
void trace_enable(struct net *net, int64_t packets, trace_sink_fn sink, void *ctx,
                  uint32_t *next_id);
void trace_disable(struct net *net);

/* Give skb a trace id if tracing is active, the filter matches and the
 * budget allows: a frame received on a device (skb->data at the Ethernet
 * header), or a packet a local protocol sends (skb->data at its transport
 * header, the IP fields given). */
void trace_start_slow(struct net *net, struct sk_buff *skb);
void trace_start_ip(struct net *net, struct sk_buff *skb, uint8_t proto, uint32_t saddr,
                    uint32_t daddr);

/* Report one step; used through TRACE(). */
void trace_emit(struct net *net, const struct sk_buff *skb, enum trace_point p, const char *where,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void trace_emit_drop(struct net *net, const struct sk_buff *skb, enum skb_drop_reason r,
                     const char *where);

#define TRACE(net, skb, point, ...)                                                                \
        do {                                                                                       \
                if (unlikely((skb)->trace_id))                                                     \
                        trace_emit((net), (skb), TRACE_##point, __func__, __VA_ARGS__);            \
        } while (0)

#endif
