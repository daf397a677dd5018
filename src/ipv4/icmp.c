/*
 * ICMP for IPv4 (Linux's net/ipv4/icmp.c): answering echo and timestamp
 * requests, passing errors up to whoever sent the packet they quote, and
 * sending errors -- never about errors, broadcasts or later fragments, and
 * within Linux's two rate limits (a global token bucket of
 * icmp_msgs_per_sec/icmp_msgs_burst and a per-destination one of
 * icmp_ratelimit ms for the types in icmp_ratemask).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define XRLIM_BURST_FACTOR         6
#define IPTOS_PREC_INTERNETCONTROL 0xc0

static bool icmp_is_error(uint8_t type)
{
        return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
               type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

static void icmp_out_count(struct net *net, uint8_t type)
{
        net->mib.icmpmsg_out[type]++;
        ICMP_INC(net, OutMsgs);
        switch (type) {
        case ICMP_ECHOREPLY:
                ICMP_INC(net, OutEchoReps);
                break;
        case ICMP_DEST_UNREACH:
                ICMP_INC(net, OutDestUnreachs);
                break;
        case ICMP_SOURCE_QUENCH:
                ICMP_INC(net, OutSrcQuenchs);
                break;
        case ICMP_REDIRECT:
                ICMP_INC(net, OutRedirects);
                break;
        case ICMP_ECHO:
                ICMP_INC(net, OutEchos);
                break;
        case ICMP_TIME_EXCEEDED:
                ICMP_INC(net, OutTimeExcds);
                break;
        case ICMP_PARAMETERPROB:
                ICMP_INC(net, OutParmProbs);
                break;
        case ICMP_TIMESTAMP:
                ICMP_INC(net, OutTimestamps);
                break;
        case ICMP_TIMESTAMPREPLY:
                ICMP_INC(net, OutTimestampReps);
                break;
        default:
                break;
        }
}

static void icmp_in_count(struct net *net, uint8_t type)
{
        net->mib.icmpmsg_in[type]++;
        switch (type) {
        case ICMP_ECHOREPLY:
                ICMP_INC(net, InEchoReps);
                break;
        case ICMP_DEST_UNREACH:
                ICMP_INC(net, InDestUnreachs);
                break;
        case ICMP_SOURCE_QUENCH:
                ICMP_INC(net, InSrcQuenchs);
                break;
        case ICMP_REDIRECT:
                ICMP_INC(net, InRedirects);
                break;
        case ICMP_ECHO:
                ICMP_INC(net, InEchos);
                break;
        case ICMP_TIME_EXCEEDED:
                ICMP_INC(net, InTimeExcds);
                break;
        case ICMP_PARAMETERPROB:
                ICMP_INC(net, InParmProbs);
                break;
        case ICMP_TIMESTAMP:
                ICMP_INC(net, InTimestamps);
                break;
        case ICMP_TIMESTAMPREPLY:
                ICMP_INC(net, InTimestampReps);
                break;
        default:
                break;
        }
}

/*
 * Build and send one ICMP message with body (header fields `rest` and
 * data) to daddr from saddr (0: chosen by routing).  The trace id of the
 * packet that caused it carries over.
 */
static int icmp_push_reply(struct net *net, uint8_t type, uint8_t code, uint32_t rest,
                           const uint8_t *data, size_t len, uint32_t saddr, uint32_t daddr,
                           uint8_t tos, uint32_t trace_id)
{
        struct sk_buff *skb = alloc_skb_tx(net, (uint32_t)(ICMP_HLEN + len));
        if (!skb) {
                ICMP_INC(net, OutErrors);
                return -ENOMEM;
        }
        skb->trace_id = trace_id;
        uint8_t *p = skb_put(skb, (uint32_t)(ICMP_HLEN + len));
        struct icmp_repr r = {
                .type = type, .code = code, .rest = rest, .payload = data, .payload_len = len
        };
        icmp_emit(&r, p, ICMP_HLEN + len);
        skb_reset_transport_header(skb);
        TRACE(net, skb, ICMP, "send type %u code %u to %s", type, code,
              ipv4_addr_fmt(daddr, (char[16]){ 0 }));
        icmp_out_count(net, type);
        /* the kernel's ICMP socket does not set DF (IP_PMTUDISC_DONT) */
        int err =
            ip_build_and_send(net, skb, saddr, daddr, IPPROTO_ICMP_, tos, 0, 0, IP_PMTUDISC_DONT);
        if (err)
                ICMP_INC(net, OutErrors);
        return err;
}

/* Linux's icmpv4_mask_allow: types outside the mask, and "fragmentation
 * needed" (PMTU discovery depends on it), are never limited. */
static bool icmp_mask_allow(struct ipv4_net *in, uint8_t type, uint8_t code)
{
        if (type > NR_ICMP_TYPES)
                return true;
        if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
                return true;
        return !((1u << type) & (unsigned)in->icmp_ratemask);
}

static bool icmp_global_allow(struct net *net, struct ipv4_net *in)
{
        uint64_t now = net_now(net);
        uint64_t delta_ms = (now - in->icmp_global_stamp) / NSEC_PER_MSEC;
        if (delta_ms > 0) {
                int64_t incr = (int64_t)(delta_ms * (uint64_t)in->icmp_msgs_per_sec / 1000);
                if (incr > 0) {
                        in->icmp_global_credit += incr;
                        if (in->icmp_global_credit > in->icmp_msgs_burst)
                                in->icmp_global_credit = in->icmp_msgs_burst;
                        in->icmp_global_stamp = now;
                }
        }
        if (in->icmp_global_credit > 0) {
                in->icmp_global_credit--;
                return true;
        }
        return false;
}

/* inet_peer_xrlim_allow: a token bucket per destination, refilled by
 * elapsed time, holding at most XRLIM_BURST_FACTOR intervals. */
static bool icmp_peer_allow(struct net *net, struct ipv4_net *in, uint32_t daddr)
{
        uint64_t now = net_now(net);
        int64_t timeout = (int64_t)in->icmp_ratelimit * (int64_t)NSEC_PER_MSEC;
        if (timeout <= 0)
                return true;
        struct icmp_peer *p = &in->icmp_peers[(daddr * 2654435761u) >> 24];
        if (p->addr != daddr || p->last == 0) {
                p->addr = daddr;
                p->last = now;
                p->tokens = XRLIM_BURST_FACTOR * timeout;
        }
        p->tokens += (int64_t)(now - p->last);
        if (p->tokens > XRLIM_BURST_FACTOR * timeout)
                p->tokens = XRLIM_BURST_FACTOR * timeout;
        p->last = now;
        if (p->tokens >= timeout) {
                p->tokens -= timeout;
                return true;
        }
        return false;
}

void icmp_send(struct net *net, struct sk_buff *skb_in, uint8_t type, uint8_t code, uint32_t info)
{
        struct ipv4_net *in = ipv4_of(net);
        if (skb_in->network_header == SKB_NO_HDR)
                return;
        const uint8_t *iph = skb_network_header(skb_in);
        size_t avail = (size_t)(skb_in->data + skb_in->len - iph);
        if (iph < skb_in->data) /* data was pulled past the header: still there */
                avail = (size_t)(skb_in->data - iph) + skb_in->len;
        if (avail < IPV4_HLEN_MIN)
                return;
        uint8_t ihl = (uint8_t)((iph[0] & 0x0f) * 4);
        if (ihl < IPV4_HLEN_MIN || ihl > avail)
                return;
        uint32_t saddr = get_be32(iph + 12), daddr = get_be32(iph + 16);
        uint16_t frag = get_be16(iph + 6);

        /* RFC 1122 3.2.2: never an error about these */
        if (skb_in->pkt_type != PACKET_HOST && skb_in->pkt_type != PACKET_LOOPBACK)
                return;
        if (ipv4_is_multicast(daddr) || ipv4_is_lbcast(daddr) || ipv4_is_multicast(saddr) ||
            ipv4_is_lbcast(saddr) || ipv4_is_zeronet(saddr))
                return;
        const struct fib_route *dr = fib_lookup(net, daddr);
        if (dr && dr->type == RTN_BROADCAST)
                return;
        if (frag & IP_OFFMASK)
                return;
        if (icmp_is_error(type) && iph[9] == IPPROTO_ICMP_) {
                if (avail < (size_t)ihl + 1)
                        return;
                uint8_t inner_type = iph[ihl];
                if (inner_type > NR_ICMP_TYPES || icmp_is_error(inner_type))
                        return;
        }

        /* rate limits; errors to ourselves (over lo) are not limited */
        bool to_self = inet_addr_local(net, saddr) != NULL;
        if (!to_self && !icmp_mask_allow(in, type, code)) {
                if (!icmp_global_allow(net, in)) {
                        ICMP_INC(net, OutRateLimitGlobal);
                        TRACE(net, skb_in, ICMP, "error type %u suppressed: global rate limit",
                              type);
                        return;
                }
                if (!icmp_peer_allow(net, in, saddr)) {
                        ICMP_INC(net, OutRateLimitHost);
                        TRACE(net, skb_in, ICMP, "error type %u suppressed: icmp_ratelimit", type);
                        return;
                }
        }

        /* Source: the address the packet was sent to, if ours; else what the
         * route back picks (icmp_errors_use_inbound_ifaddr=0). */
        uint32_t src = inet_addr_local(net, daddr) ? daddr : 0;
        if (!src && in->icmp_errors_use_inbound_ifaddr && skb_in->dev)
                src = inet_select_addr(skb_in->dev, saddr, RT_SCOPE_LINK);

        /* quote as much of the packet as fits in 576 bytes (RFC 1812 4.3.2.3) */
        size_t room = 576 - IPV4_HLEN_MIN - ICMP_HLEN;
        size_t qlen = MIN(avail, room);
        uint16_t tot = get_be16(iph + 2);
        if (tot >= ihl && qlen > tot)
                qlen = tot;
        uint32_t rest = 0;
        if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
                rest = info & 0xffff;
        else if (type == ICMP_PARAMETERPROB)
                rest = info;
        else if (type == ICMP_REDIRECT)
                rest = info;
        uint8_t tos = (uint8_t)((iph[1] & 0x1e) | IPTOS_PREC_INTERNETCONTROL);
        icmp_push_reply(net, type, code, rest, iph, qlen, src, saddr, tos, skb_in->trace_id);
}

static void icmp_echo(struct net *net, struct sk_buff *skb, const struct icmp_repr *r)
{
        struct ipv4_net *in = ipv4_of(net);
        struct ip_cb *cb = IPCB(skb);
        if (in->icmp_echo_ignore_all) {
                TRACE(net, skb, ICMP, "echo request ignored (icmp_echo_ignore_all=1)");
                consume_skb(skb);
                return;
        }
        uint32_t src = cb->route_type == RTN_LOCAL ? cb->iph.daddr : 0;
        TRACE(net, skb, ICMP, "echo request id %u seq %u: replying", icmp_echo_id(r),
              icmp_echo_seq(r));
        icmp_push_reply(net, ICMP_ECHOREPLY, 0, r->rest, r->payload, r->payload_len, src,
                        cb->iph.saddr, cb->iph.tos, skb->trace_id);
        consume_skb(skb);
}

/* RFC 792 timestamp: milliseconds since midnight UT, from the namespace's
 * wall clock (simulated time in the lab). */
static void icmp_timestamp(struct net *net, struct sk_buff *skb, const struct icmp_repr *r)
{
        struct ip_cb *cb = IPCB(skb);
        if (r->payload_len < 12) {
                ICMP_INC(net, InErrors);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        uint8_t data[12];
        uint32_t ms = (uint32_t)((clock_wall(net->clock) / NSEC_PER_MSEC) % 86400000u);
        memcpy(data, r->payload, 4);
        put_be32(data + 4, ms);
        put_be32(data + 8, ms);
        uint32_t src = cb->route_type == RTN_LOCAL ? cb->iph.daddr : 0;
        icmp_push_reply(net, ICMP_TIMESTAMPREPLY, 0, r->rest, data, sizeof(data), src,
                        cb->iph.saddr, cb->iph.tos, skb->trace_id);
        consume_skb(skb);
}

/* icmp_err_convert: errno and whether it is "hard" (fatal) per code. */
void icmp_err_convert(uint8_t type, uint8_t code, int *err, bool *hard)
{
        static const struct {
                int err;
                bool fatal;
        } unreach[] = {
                { ENETUNREACH, false },  { EHOSTUNREACH, false }, { ENOPROTOOPT, true },
                { ECONNREFUSED, true },  { EMSGSIZE, false },     { EOPNOTSUPP, false },
                { ENETUNREACH, true },   { EHOSTDOWN, true },     { ENONET, true },
                { ENETUNREACH, true },   { EHOSTUNREACH, true },  { ENETUNREACH, false },
                { EHOSTUNREACH, false }, { EHOSTUNREACH, true },  { EHOSTUNREACH, true },
                { EHOSTUNREACH, true },
        };
        *err = EHOSTUNREACH;
        *hard = false;
        if (type == ICMP_DEST_UNREACH && code < ARRAY_SIZE(unreach)) {
                *err = unreach[code].err;
                *hard = unreach[code].fatal;
        } else if (type == ICMP_PARAMETERPROB) {
                *err = EPROTO;
                *hard = true;
        }
}

/* An error about a packet we sent: hand it to the sender (today the echo
 * client; UDP and TCP add their err handlers here). */
static void icmp_unreach(struct net *net, struct sk_buff *skb, const struct icmp_repr *r)
{
        struct ip_cb *cb = IPCB(skb);
        const uint8_t *inner = r->payload;
        if (r->payload_len < IPV4_HLEN_MIN + 8 || (inner[0] >> 4) != 4) {
                ICMP_INC(net, InErrors);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        unsigned ihl = (inner[0] & 0x0f) * 4u;
        if (ihl < IPV4_HLEN_MIN || r->payload_len < ihl + 8) {
                ICMP_INC(net, InErrors);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        /* icmp_unreach: a "fragmentation needed" carries the next hop's
         * MTU in its low 16 bits (RFC 1191) */
        uint32_t info = r->rest;
        if (r->type == ICMP_DEST_UNREACH && r->code == ICMP_FRAG_NEEDED) {
                /* net.ipv4.ip_no_pmtu_disc: 2 ignores the message, 3 keeps
                 * it for protocols that verify it (icmp_tag_validation:
                 * TCP checks the quoted sequence), 1 (and above 3) passes
                 * no MTU, so the path falls to min_pmtu */
                int mode = ipv4_of(net)->ip_no_pmtu_disc;
                if (mode == 2 || (mode == 3 && inner[9] != IPPROTO_TCP_)) {
                        TRACE(net, skb, ICMP, "fragmentation needed ignored (ip_no_pmtu_disc=%d)",
                              mode);
                        consume_skb(skb);
                        return;
                }
                info = mode == 0 || mode == 3 ? r->rest & 0xffff : 0;
        }
        if (inner[9] == IPPROTO_ICMP_ && inner[ihl] == ICMP_ECHO) {
                ping_err(net, inner, r->payload_len, ihl, r->type, r->code, info, cb->iph.saddr,
                         cb->iph.ttl, ICMP_HLEN + r->payload_len);
                consume_skb(skb);
                return;
        }
        if (inner[9] == IPPROTO_ICMP_ && inner[ihl] == ICMP_ECHOREPLY &&
            r->type == ICMP_DEST_UNREACH && r->code == ICMP_FRAG_NEEDED) {
                /* icmp_err: about an echo reply we sent, the route learns
                 * the path MTU (there is no socket to tell) */
                TRACE(net, skb, ICMP, "fragmentation needed for echo reply: mtu %u", info);
                ipv4_update_pmtu(net, inner, r->payload_len, info);
                consume_skb(skb);
                return;
        }
        ip_err_handler h = ipv4_of(net)->err_handlers[inner[9]];
        if (h) {
                TRACE(net, skb, ICMP, "error type %u code %u to protocol %u", r->type, r->code,
                      inner[9]);
                int why = h(net, inner, r->payload_len, r->type, r->code, info, cb->iph.saddr);
                if (why)
                        kfree_skb_reason(net, skb, why);
                else
                        consume_skb(skb);
                return;
        }
        TRACE(net, skb, ICMP, "error type %u code %u about protocol %u: no handler", r->type,
              r->code, inner[9]);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_NO_SOCKET);
}

/* icmp_redirect: the route to the quoted packet's destination may learn a
 * better gateway (route_exc.c decides).  Whatever the outcome the message
 * is consumed, as in Linux: no socket hears of redirects. */
static void icmp_redirect(struct net *net, struct sk_buff *skb, const struct icmp_repr *r)
{
        const uint8_t *inner = r->payload;
        unsigned ihl = r->payload_len ? (inner[0] & 0x0f) * 4u : 0;
        if (r->payload_len < IPV4_HLEN_MIN + 8 || (inner[0] >> 4) != 4 || ihl < IPV4_HLEN_MIN ||
            r->payload_len < ihl + 8) {
                ICMP_INC(net, InErrors);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        int err = ipv4_redirect(net, skb, inner, r->payload_len, r->code, r->rest);
        const struct in_device *idev = in_dev_get(skb->dev);
        if (err && err != -EAGAIN && idev && in_dev_log_martians(idev))
                TRACE(net, skb, ICMP, "Redirect from %s on %s about %s ignored",
                      ipv4_addr_fmt(IPCB(skb)->iph.saddr, (char[16]){ 0 }), skb->dev->name,
                      ipv4_addr_fmt(get_be32(inner + 16), (char[16]){ 0 }));
        TRACE(net, skb, ICMP, "redirect to %s: %s", ipv4_addr_fmt(r->rest, (char[16]){ 0 }),
              err == 0         ? "taken"
              : err == -EAGAIN ? "resolving the new gateway first"
                               : "ignored");
        consume_skb(skb);
}

void icmp_rcv(struct sk_buff *skb)
{
        struct net *net = skb->dev->net;
        struct ip_cb *cb = IPCB(skb);
        struct icmp_repr r;
        ICMP_INC(net, InMsgs);
        enum wire_status st = icmp_parse(skb->data, skb->len, !skb->csum_unnecessary, &r);
        if (st != WIRE_OK) {
                if (st == WIRE_BAD_CSUM)
                        ICMP_INC(net, InCsumErrors);
                ICMP_INC(net, InErrors);
                TRACE(net, skb, ICMP, "bad message: %s", wire_status_name(st));
                kfree_skb_reason(net, skb,
                                 st == WIRE_BAD_CSUM ? SKB_DROP_REASON_ICMP_CSUM
                                                     : SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        if (r.type > NR_ICMP_TYPES) {
                ICMP_INC(net, InErrors);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_UNHANDLED_PROTO);
                return;
        }
        icmp_in_count(net, r.type);
        TRACE(net, skb, ICMP, "type %u code %u from %s", r.type, r.code,
              ipv4_addr_fmt(cb->iph.saddr, (char[16]){ 0 }));

        if (cb->route_type == RTN_BROADCAST || cb->route_type == RTN_MULTICAST) {
                if ((r.type == ICMP_ECHO || r.type == ICMP_TIMESTAMP) &&
                    ipv4_of(net)->icmp_echo_ignore_broadcasts) {
                        TRACE(net, skb, ICMP, "to broadcast: icmp_echo_ignore_broadcasts=1");
                        ICMP_INC(net, InErrors);
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_INVALID_PROTO);
                        return;
                }
                if (r.type != ICMP_ECHO && r.type != ICMP_TIMESTAMP) {
                        ICMP_INC(net, InErrors);
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_INVALID_PROTO);
                        return;
                }
        }

        switch (r.type) {
        case ICMP_ECHO:
                icmp_echo(net, skb, &r);
                return;
        case ICMP_TIMESTAMP:
                icmp_timestamp(net, skb, &r);
                return;
        case ICMP_ECHOREPLY:
                if (!ping_rcv(net, skb)) {
                        TRACE(net, skb, ICMP, "echo reply id %u: nobody is pinging",
                              icmp_echo_id(&r));
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_NO_SOCKET);
                }
                return;
        case ICMP_DEST_UNREACH:
        case ICMP_SOURCE_QUENCH:
        case ICMP_TIME_EXCEEDED:
        case ICMP_PARAMETERPROB:
                icmp_unreach(net, skb, &r);
                return;
        case ICMP_REDIRECT:
                icmp_redirect(net, skb, &r);
                return;
        default:
                /* timestamp replies, address masks, ...: nothing to do */
                consume_skb(skb);
                return;
        }
}
