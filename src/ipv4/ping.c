/*
 * The echo client behind strata_ping_send/strata_ping_listen: until ICMP
 * datagram ("ping") sockets arrive with the socket layer, a program listens
 * for one echo identifier with a callback.  Each request carries its send
 * time in the first 8 bytes of data, as ping(8) carries a timeval, so the
 * round trip is measured from the packet itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "ipv4/ping.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

struct ping_listener {
        uint16_t ident;
        ping_result_fn fn;
        void *ctx;
        struct ping_listener *next;
};

static struct ping_listener *find(struct net *net, uint16_t ident)
{
        for (struct ping_listener *l = ipv4_of(net)->pings; l; l = l->next)
                if (l->ident == ident)
                        return l;
        return NULL;
}

int ping_listen(struct net *net, uint16_t ident, ping_result_fn fn, void *ctx)
{
        struct ping_listener *l = find(net, ident);
        if (!fn) {
                if (!l)
                        return -ENOENT;
                for (struct ping_listener **pp = &ipv4_of(net)->pings; *pp; pp = &(*pp)->next)
                        if (*pp == l) {
                                *pp = l->next;
                                free(l);
                                break;
                        }
                return 0;
        }
        if (l)
                return -EADDRINUSE;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->ident = ident;
        l->fn = fn;
        l->ctx = ctx;
        l->next = ipv4_of(net)->pings;
        ipv4_of(net)->pings = l;
        return 0;
}

int ping_send(struct net *net, uint32_t daddr, uint16_t ident, uint16_t seq, size_t datalen)
{
        if (datalen > 65507)
                return -EMSGSIZE;
        struct sk_buff *skb = alloc_skb_tx(net, (uint32_t)(ICMP_HLEN + datalen));
        if (!skb)
                return -ENOBUFS;
        uint8_t *p = skb_put(skb, (uint32_t)(ICMP_HLEN + datalen));
        uint8_t *data = p + ICMP_HLEN;
        /* ping(8)'s pattern: the timestamp, then bytes counting up */
        for (size_t i = 0; i < datalen; i++)
                data[i] = (uint8_t)i;
        if (datalen >= 8) {
                uint64_t now = net_now(net);
                put_be32(data, (uint32_t)(now >> 32));
                put_be32(data + 4, (uint32_t)now);
        }
        struct icmp_repr r = { .type = ICMP_ECHO,
                               .rest = (uint32_t)ident << 16 | seq,
                               .payload = data,
                               .payload_len = datalen };
        icmp_emit(&r, p, ICMP_HLEN + datalen);
        skb_reset_transport_header(skb);
        net->mib.icmpmsg_out[ICMP_ECHO]++;
        ICMP_INC(net, OutMsgs);
        ICMP_INC(net, OutEchos);
        /* ping(8)'s socket: IP_PMTUDISC_WANT, so DF is set when the request
         * fits the path and it is fragmented when it does not (ping -s 4000) */
        return ip_build_and_send(net, skb, 0, daddr, IPPROTO_ICMP_, 0, 0, 0, IP_PMTUDISC_WANT);
}

bool ping_rcv(struct net *net, struct sk_buff *skb)
{
        struct icmp_repr r;
        if (icmp_parse(skb->data, skb->len, false, &r) != WIRE_OK)
                return false;
        struct ping_listener *l = find(net, icmp_echo_id(&r));
        if (!l)
                return false;
        struct ip_cb *cb = IPCB(skb);
        struct ping_result res = {
                .seq = icmp_echo_seq(&r),
                .ttl = cb->iph.ttl,
                .icmp_type = r.type,
                .icmp_code = r.code,
                .from = cb->iph.saddr,
                .bytes = skb->len,
        };
        if (r.payload_len >= 8) {
                uint64_t sent = (uint64_t)get_be32(r.payload) << 32 | get_be32(r.payload + 4);
                uint64_t now = net_now(net);
                res.rtt_ns = now >= sent ? now - sent : 0;
        }
        TRACE(net, skb, ICMP, "echo reply id %u seq %u to the pinger", icmp_echo_id(&r), res.seq);
        consume_skb(skb);
        l->fn(&res, l->ctx);
        return true;
}

void ping_err(struct net *net, const uint8_t *iph, size_t len, unsigned ihl, uint8_t type,
              uint8_t code, uint32_t info, uint32_t from, uint8_t ttl, size_t icmp_len)
{
        if (len < ihl + ICMP_HLEN)
                return;
        const uint8_t *inner = iph + ihl;
        struct ping_listener *l = find(net, get_be16(inner + 4));
        if (!l)
                return;
        if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
                ipv4_update_pmtu(net, iph, len, info); /* ipv4_sk_update_pmtu */
        struct ping_result res = {
                .seq = get_be16(inner + 6),
                .ttl = ttl,
                .icmp_type = type,
                .icmp_code = code,
                .from = from,
                .bytes = icmp_len,
        };
        l->fn(&res, l->ctx);
}

void ping_exit(struct net *net)
{
        while (ipv4_of(net)->pings) {
                struct ping_listener *l = ipv4_of(net)->pings;
                ipv4_of(net)->pings = l->next;
                free(l);
        }
}
