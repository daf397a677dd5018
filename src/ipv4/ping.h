/* The echo client (see ping.c). */
#ifndef STRATA_IPV4_PING_H
#define STRATA_IPV4_PING_H

#include <stddef.h>
#include <stdint.h>

struct net;

struct ping_result {
        uint16_t seq;
        uint8_t ttl;
        uint8_t icmp_type; /* 0 echo reply, else the ICMP error */
        uint8_t icmp_code;
        uint32_t from;   /* host order */
        size_t bytes;    /* ICMP message length */
        uint64_t rtt_ns; /* replies only */
};

typedef void (*ping_result_fn)(const struct ping_result *r, void *ctx);

/* Listen for replies and errors to echo identifier ident (fn NULL: stop).
 * -EADDRINUSE if someone already listens on ident. */
int ping_listen(struct net *net, uint16_t ident, ping_result_fn fn, void *ctx);
/* Send one echo request; 0 or the output error (-ENETUNREACH, ...). */
int ping_send(struct net *net, uint32_t daddr, uint16_t ident, uint16_t seq, size_t datalen);

#endif
