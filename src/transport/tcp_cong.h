/*
 * Pluggable TCP congestion control (Linux's tcp_congestion_ops, reduced):
 * net.ipv4.tcp_congestion_control picks the default, TCP_CONGESTION the
 * algorithm of one socket.  Built: reno (RFC 5681) and cubic (RFC 9438,
 * with Linux's HyStart: module.tcp_cubic.parameters.hystart*).
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
        /* the connection (re)starts, is established, or times out (Linux
         * calls init, then set_state(TCP_CA_Loss) on each RTO) */
        void (*init)(struct tcp_sock *tp);
        /* optional: an ACK acked data cumulatively; rtt_us is the RTT of
         * the newest of it, -1 if any of it was retransmitted (Karn) */
        void (*pkts_acked)(struct tcp_sock *tp, int64_t rtt_us);
        /* optional: the socket goes or changes algorithm: free its state */
        void (*release)(struct tcp_sock *tp);
};

/* HyStart's state (Linux's struct bictcp, its hystart fields), allocated
 * by a connection's first RTT sample and freed once HyStart has ended slow
 * start (tcp_sock.hystart_found): an idle or finished connection keeps
 * none.  Times are microseconds of the namespace clock. */
struct tcp_hystart {
        uint32_t round_start; /* when this round trip began */
        uint32_t last_ack;    /* the last ACK of the current train */
        uint32_t end_seq;     /* snd_nxt then: the round ends past it */
        uint32_t curr_rtt;    /* least RTT sampled in this round */
        uint32_t delay_min;   /* least RTT of the connection (0: none yet) */
        uint8_t sample_cnt;   /* samples taken this round */
};

/* Module parameters of tcp_cubic (/sys/module/tcp_cubic/parameters/NAME),
 * per namespace here: module.tcp_cubic.parameters.NAME in the sysctl
 * tree.  Registered by tcp_cong_sysctls_init. */
struct tcp_cubic_params {
        int hystart;              /* 1: HyStart on */
        int hystart_detect;       /* HYSTART_ACK_TRAIN 1 | HYSTART_DELAY 2 */
        int hystart_low_window;   /* cwnd (segments) from which it acts */
        int hystart_ack_delta_us; /* ACKs this close are one train */
};
struct net;
int tcp_cong_sysctls_init(struct net *net, struct tcp_cubic_params *p);

const struct tcp_cong_ops *tcp_cong_find(const char *name);
/* Slow start (tcp_slow_start): cwnd grows by what was acked, up to ssthresh;
 * returns what is left for congestion avoidance. */
uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked);
/* "reno cubic": what TCP_CONGESTION accepts. */
const char *tcp_cong_available(void);

#endif
