/*
 * What the IPv4 input path learned about a packet, kept in skb->cb so that
 * the protocols above never parse the IP header again.
 */
#ifndef STRATA_IPV4_IP_INPUT_H
#define STRATA_IPV4_IP_INPUT_H

#include "core/skb.h"
#include "wire/ipv4.h"

struct ip_cb {
        struct ipv4_repr iph; /* the parsed header (addresses host order) */
        uint8_t route_type;   /* RTN_LOCAL, RTN_BROADCAST, ... */
};
_Static_assert(sizeof(struct ip_cb) <= SKB_CB_SIZE, "ip_cb must fit in skb->cb");

static inline struct ip_cb *IPCB(struct sk_buff *skb)
{
        return (struct ip_cb *)skb->cb;
}

#endif
