/*
 * UDP (RFC 768) over IPv4: the socket table, bind and port selection,
 * input with demultiplexing, output, ICMP errors, and the Udp MIB.
 */
#ifndef STRATA_TRANSPORT_UDP_H
#define STRATA_TRANSPORT_UDP_H

#include "ipv4/ip_input.h"
#include "socket/sock.h"

extern const struct proto udp_prot;

/* What a queued datagram remembers beside its payload (in skb->cb). */
struct udp_cb {
        struct ip_cb ip;
        uint16_t sport;
        int ifindex;
};
_Static_assert(sizeof(struct udp_cb) <= SKB_CB_SIZE, "udp_cb must fit in skb->cb");

static inline struct udp_cb *UDP_CB(struct sk_buff *skb)
{
        return (struct udp_cb *)skb->cb;
}

int udp_init(struct net *net);
void udp_exit(struct net *net);

/* IPPROTO_IP options shared by every inet socket (IP_TTL, IP_TOS, ...). */
int ip_setsockopt(struct sock *sk, int name, const void *val, socklen_t len);
int ip_getsockopt(struct sock *sk, int name, void *val, socklen_t *len);

#endif
