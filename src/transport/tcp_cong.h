/*
 * Pluggable TCP congestion control (Linux's tcp_congestion_ops, reduced):
 * net.ipv4.tcp_congestion_control picks the default, TCP_CONGESTION the
 * algorithm of one socket.  Built: reno (RFC 5681) and cubic (RFC 9438,
 * without HyStart).
 */
#ifndef STRATA_TRANSPORT_TCP_CONG_H
#define STRATA_TRANSPORT_TCP_CONG_H

#include <stdint.h>

struct tcp_sock;

struct tcp_cong_ops {
        const char *name;
        /* ssthresh after a loss (segments) */
        uint32_t (*ssthresh)(struct tcp_sock *tp);
        /* congestion avoidance: acked segments arrived */
        void (*cong_avoid)(struct tcp_sock *tp, uint32_t acked);
        /* the connection (re)starts or leaves a loss episode */
        void (*init)(struct tcp_sock *tp);
};

const struct tcp_cong_ops *tcp_cong_find(const char *name);
/* Slow start (tcp_slow_start): cwnd grows by what was acked, up to ssthresh;
 * returns what is left for congestion avoidance. */
uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked);
/* "reno cubic": what TCP_CONGESTION accepts. */
const char *tcp_cong_available(void);

#endif
