/*
 * TCP (RFC 9293) -- the state kept per connection and the functions the TCP
 * files share.  tcp.c: socket operations, tables, listen/accept;
 * tcp_input.c: segment arrival (Linux's tcp_rcv_state_process);
 * tcp_output.c: building and sending segments, windows;
 * tcp_tso.c: Linux's skb and packet sizes (size_goal, TSO autosizing);
 * tcp_timer.c: retransmission, delayed ACK, zero-window probes, TIME_WAIT.
 *
 * Built so far: the full state machine with simultaneous open and close,
 * MSS/window-scale/SACK-permitted/timestamp negotiation in Linux's option
 * order, RFC 6528 ISNs, RTO per RFC 6298 with Linux's bounds and backoff,
 * Reno congestion control with fast retransmit (initial window 10), delayed
 * ACKs, zero-window probes, listen with SYN and accept queues bounded by
 * min(backlog, somaxconn) counting ListenOverflows/ListenDrops, RST rules
 * with RFC 5961 challenge ACKs, TIME_WAIT; SACK blocks, the SACK scoreboard
 * and SACK-based recovery with PRR, RACK and TLP in tcp_sack.c,
 * tcp_recovery.c and tcp_rack.c; Fast Open in tcp_fastopen.c and
 * tcp_fastopen_client.c; RFC 3168 ECN in tcp_ecn.c; SYN cookies in
 * tcp_syncookies.c; urgent data and splice's read in tcp_urg.c;
 * MSG_ZEROCOPY and transmit timestamps in tcp_zerocopy.c and tcp_tstamp.c
 * (tcp_errq.h); TCP MD5 signatures in tcp_md5.c; receive-buffer
 * autotuning in tcp_rcvwnd.c, the send buffer's in tcp_tso.c; F-RTO in
 * tcp_recovery.c.  Not yet: Eifel undo, MTU probing.
 */
#ifndef STRATA_TRANSPORT_TCP_H
#define STRATA_TRANSPORT_TCP_H

#include "core/timer.h"
#include "ipv4/ip_input.h"
#include "ipv4/ipv4.h"
#include "socket/sock.h"
#include "transport/tcp_cong.h"
#include "transport/tcp_ecn.h"
#include "transport/tcp_sack.h"
#include "transport/tcp_fastopen.h"
#include "wire/tcp.h"

extern const struct proto tcp_prot;

struct tcp_cong_ops;
struct tcp_md5_key;

/* net.ipv4.tcp_* sysctls (Linux's names and defaults). */
struct tcp_cfg {
        int rmem[3], wmem[3];
        int timestamps, sack, window_scaling, dsack, fack, frto, reordering;
        int syn_retries, synack_retries, retries1, retries2, orphan_retries;
        int slow_start_after_idle, ecn, ecn_fallback, ecn_option;
        int early_retrans, recovery, tso_win_divisor, min_tso_segs, autocorking;
        int pacing_ss_ratio, pacing_ca_ratio, fastopen, syncookies, abort_on_overflow;
        int max_syn_backlog, fin_timeout, keepalive_time, keepalive_intvl, keepalive_probes;
        int tw_reuse, mtu_probing, base_mss, no_metrics_save, moderate_rcvbuf, adv_win_scale;
        int limit_output_bytes, challenge_ack_limit, rfc1337, workaround_signed_windows;
        int min_snd_mss;
        int fastopen_blackhole_timeout;
        unsigned notsent_lowat;
        char congestion_control[16];
        char available_congestion_control[32];
        char fastopen_key[80];
        struct tcp_cubic_params cubic;
};

const struct tcp_cfg *tcp_cfg(struct net *net);
struct siphash_key;
/* The namespace's two SYN cookie secrets (tcp_syncookies.c). */
const struct siphash_key *tcp_syncookie_secret(struct net *net);

#define TCP_RTO_MIN_NS   (200 * NSEC_PER_MSEC)
#define TCP_RTO_MAX_NS   (120 * NSEC_PER_SEC)
#define TCP_TIMEOUT_INIT (1 * NSEC_PER_SEC)
#define TCP_DELACK_NS    (40 * NSEC_PER_MSEC)
#define TCP_TIMEWAIT_NS  (60 * NSEC_PER_SEC)
#define TCP_FIN_TIMEOUT_MAX_S 120 /* TCP_LINGER2's ceiling */
#define TCP_INIT_CWND    10

/* Per-skb TCP state: on the write queue (payload only) and on the receive
 * queues (payload, after the header was pulled). */
struct tcp_skb_cb {
        union {
                struct ip_cb ip; /* receive side: the parsed IP header */
                uint64_t tx_ns;  /* write queue: when last (re)sent (RACK) */
        };
        uint32_t seq;     /* first sequence number */
        uint32_t end_seq; /* seq + payload + SYN + FIN */
        uint8_t flags;    /* TCPF_* to send with it (write queue) */
        uint8_t retrans;  /* sent more than once (Karn) */
        uint8_t cont : 1; /* write queue: continues the previous skb's Linux skb
                           * (see tcp_tso.c: one TSO skb kept as MSS pieces) */
        uint8_t eor : 1;  /* ends a MSG_EOR write: later data never joins it */
        uint8_t zc_frags : 5; /* user pages a MSG_ZEROCOPY write pinned in it
                               * (at most 17: tcp_zerocopy.c) */
        uint8_t sacked;   /* write queue: TCPCB_* scoreboard marks (tcp_sack.h) */
        union {
                uint32_t consumed; /* receive queue: bytes already read */
                uint32_t truesize; /* write queue: what it charges to wmem_queued */
        };
};
_Static_assert(sizeof(struct tcp_skb_cb) <= SKB_CB_SIZE, "tcp_skb_cb must fit in skb->cb");

static inline struct tcp_skb_cb *TCP_SKB_CB(struct sk_buff *skb)
{
        return (struct tcp_skb_cb *)skb->cb;
}

/* tcp_chrono.c: what holds the sender back (Linux's enum tcp_chrono) */
enum tcp_chrono {
        TCP_CHRONO_UNSPEC,
        TCP_CHRONO_BUSY,           /* data queued or in flight */
        TCP_CHRONO_RWND_LIMITED,   /* the peer's window is full */
        TCP_CHRONO_SNDBUF_LIMITED, /* our send buffer is */
};

struct tcp_sock {
        /* Ordered by size, flags as bits: this is most of what an idle
         * connection costs (bench_tcp's memory figure). */
        struct sock *sk;
        const struct tcp_cong_ops *cong;
        double cubic_wmax, cubic_west;   /* (K follows from W_max: not kept) */
        uint64_t cubic_epoch;
        struct tcp_hystart *hystart;     /* cubic's slow-start exit (tcp_cong.c): made
                                          * by the first RTT sample, gone once found */
        uint64_t rcv_tstamp;             /* ns: last segment from the peer */
        uint64_t lsndtime;               /* ns: last new data sent */
        uint64_t lrcvtime;               /* ns: last payload received (icsk_ack.lrcvtime:
                                          * tcpi_last_data_recv and the ato) */
        uint64_t first_unacked_ts;       /* ns: when the oldest unacked data went */
        /* RTT (ns) */
        uint64_t srtt, rttvar, rto;
        uint64_t rtt_seq_time;           /* send time of the timed segment */
        uint64_t bytes_acked, bytes_received;
        struct timer_list ka_timer;      /* keepalive; the TIME_WAIT lifetime
                                          * (Linux's sk_timer) */
        struct timer_list rtx_timer;     /* retransmit / zero-window probe */
        struct timer_list reo_timer;     /* RACK's reordering timer */
        struct timer_list delack_timer;  /* its expiry: when the delayed ACK is due
                                          * (icsk_ack.timeout) */
        struct tcp_scoreboard sb;        /* SACK scoreboard, congestion state */
        struct sk_buff_head write_queue; /* unacked + unsent payload */
        uint32_t pushed_seq;             /* write_seq at the last PSH mark (forced_push) */
        uint32_t max_window;             /* the largest window the peer offered */
        uint32_t snd_sml;                /* end of the last small segment sent (Minshall) */
        uint32_t packets_out;            /* sent skbs not acked, one segment each
                                          * (tcp_packets_out adds the SYN) */
        struct sk_buff *send_head;       /* first unsent skb, or NULL: scan */
        struct sk_buff_head ooo_queue;   /* out of order, by seq */
        struct tcp_sack_rx *rx_sack;     /* the blocks our ACKs report (NULL: none) */
        struct {                         /* Linux's icsk_ack */
                uint64_t ato;            /* ns: delayed-ACK timeout (0: no data yet) */
                uint32_t rcv_mss;        /* the peer's segment size, measured */
                uint32_t last_seg_size;
                uint8_t pending;         /* TCP_ACK_* */
                uint8_t quick;           /* ACKs still to send at once */
                uint8_t pingpong;        /* replies seen: interactive */
        } ack;
        /* listen */
        struct sock *parent;             /* the listener (SYN_RECV children) */
        struct sock *accept_next;        /* the next child in its listener's accept queue */
        struct tcp_listen_q *lq;         /* a listener's queues (below), or NULL:
                                          * made by listen(), as few sockets listen */
        struct sock *ehash_next;         /* established/listen hash chain */
        struct ip_rt_cache dst_cache;    /* the connection's output route (sk_dst_cache) */
        struct tcp_fastopen_sock *fo;    /* Fast Open (tcp_fastopen.c): NULL until first
                                          * used, as most connections never do */
        struct tcp_md5_key *md5_keys;    /* TCP_MD5SIG keys (tcp_md5.c), or NULL */
        /* send side */
        uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, write_seq;
        uint32_t snd_cwnd, snd_ssthresh, snd_cwnd_cnt;
        /* tcp_cwnd_validate: was the window the limit lately? */
        uint32_t max_packets_out, cwnd_usage_seq;
        uint32_t wmem_queued;            /* truesize of write_queue (sk_wmem_queued) */
        /* receive-buffer autotuning (tcp_rcvwnd.c, Linux's DRS); times are
         * the clock's us, truncated: only differences are used */
        uint32_t copied_seq;             /* the next byte the reader takes */
        uint32_t urg_seq;                /* the urgent byte's sequence number (tcp_urg.c) */
        uint32_t snd_up;                 /* end of the last MSG_OOB write (urg_mode) */
        struct {
                uint32_t rtt_us;         /* the receiver's RTT estimate, << 3 */
                uint32_t seq, time_us;   /* the measurement under way */
        } rcv_rtt_est;
        struct {
                uint32_t space;          /* bytes read in the last RTT, at most */
                uint32_t seq, time_us;   /* copied_seq and time when it began */
        } rcvq_space;
        uint32_t rcv_rtt_last_tsecr;
        uint32_t chrono_start;           /* ms (tcp_chrono.c) */
        uint32_t chrono_stat[3];         /* ms per reason, BUSY first */
        /* options */
        unsigned notsent_lowat;          /* TCP_NOTSENT_LOWAT (0: the sysctl) */
        uint32_t user_timeout_ms;        /* TCP_USER_TIMEOUT (0: none) */
        int keepidle, keepintvl;         /* TCP_KEEP* in s (0: the sysctls) */
        /* receive side */
        uint32_t irs, rcv_nxt, rcv_wnd, rcv_wup;
        uint32_t rcv_ssthresh;           /* how far the offer may grow now */
        uint32_t window_clamp;           /* the largest offer */
        uint32_t ts_recent, ts_recent_stamp;
        uint32_t rtt_seq;                /* the timed segment's end_seq (0: none timed) */
        /* counters for tcp_info */
        uint32_t total_retrans, segs_in, segs_out;
        uint32_t delivered;              /* packets acknowledged, the SYN's exchange counted once */
        uint32_t delivered_ce;           /* of delivered, acked with ECE (tcpi_delivered_ce) */
        uint16_t mss;                    /* effective send MSS */
        uint16_t advmss;                 /* what we announced */
        uint16_t user_mss;               /* TCP_MAXSEG set by the user (0: none) */
        uint16_t dupacks;                /* NewReno, without SACK (recovery ends at
                                          * sb.high_seq) */
        uint16_t urg_data;               /* TCP_URG_* | the urgent byte (tcp_urg.c) */
        uint8_t snd_wscale, rcv_wscale;
        /* u8, as Linux's icsk_*: bounded by tcp_retries2 and TCP_KEEPCNT (<= 255) */
        uint8_t backoff;
        uint8_t retransmits;
        uint8_t probes_out;              /* unanswered zero-window probes (tcpi_probes) */
        uint8_t ka_probes;               /* keepalive probes unanswered */
        uint8_t keepcnt;                 /* TCP_KEEPCNT (0: the sysctl) */
        uint8_t soft_err;                /* an ICMP error to report on timeout (sk_err_soft) */
        uint8_t syn_retries;             /* TCP_SYNCNT (0: the sysctl) */
        int8_t linger2;                  /* TCP_LINGER2 in s: how long an orphan waits in
                                          * FIN_WAIT2 (0: tcp_fin_timeout, -1: not at all) */
        bool is_cwnd_limited : 1;
        bool in_recovery : 1;            /* NewReno */
        bool fin_received : 1;
        bool wscale_ok : 1, sack_ok : 1, tstamp_ok : 1, nodelay : 1;
        bool cork : 1;                   /* TCP_CORK: partial segments wait */
        bool recvmsg_inq : 1;            /* TCP_INQ: TCP_CM_INQ on each read */
        bool nospace : 1;                /* a writer found the buffer full (SOCK_NOSPACE) */
        bool nagle_push : 1;             /* TCP_NAGLE_PUSH: send the held tail once */
        bool urg_mode : 1;               /* MSG_OOB data not yet acked (tcp_urg_mode) */
        bool probing : 1;                /* rtx_timer is a zero-window probe */
        bool defer_acked : 1;            /* SYN_RECV: a bare ACK came and was dropped
                                          * (TCP_DEFER_ACCEPT; Linux's ireq->acked) */
        bool tw_fin_wait2 : 1;           /* a TIME_WAIT socket still waiting for the
                                          * peer's FIN (Linux's tw_substate FIN_WAIT2) */
        bool hystart_found : 1;          /* HyStart ended slow start (bictcp's found) */
        uint8_t chrono_type : 2;         /* enum tcp_chrono running now */
        uint8_t ecn_flags : 4;           /* TCP_ECN_* (tcp_ecn.h) */
};

static inline struct tcp_sock *tcp_sk(struct sock *sk)
{
        return sk->proto_data;
}

/* A listener's queues (inet_connection_sock's icsk_accept_queue): made by
 * listen() or TCP_DEFER_ACCEPT, kept until the socket goes, for children
 * still in SYN_RECV count themselves in their listener's. */
struct tcp_listen_q {
        struct sock *accept_q_first, *accept_q_last;
        int accept_qlen, syn_qlen, backlog;
        uint8_t defer_accept;            /* TCP_DEFER_ACCEPT as SYN-ACK retransmissions
                                          * (rskq_defer_accept) */
};

extern const struct tcp_listen_q tcp_listen_none;

/* The queues to read: all zero for a socket that never listened. */
static inline const struct tcp_listen_q *tcp_lq(const struct tcp_sock *tp)
{
        return tp->lq ? tp->lq : &tcp_listen_none;
}

/* sk's queues, made on first use; NULL when out of memory. */
struct tcp_listen_q *tcp_lq_get(struct sock *sk);

/* A socket's Fast Open state to read: all zero until Fast Open is first
 * used on it (tcp_fastopen_get makes it). */
static inline const struct tcp_fastopen_sock *tcp_fo(const struct tcp_sock *tp)
{
        return tp->fo ? tp->fo : &tcp_fastopen_none;
}

/* The option bytes every segment of the connection carries (Linux's
 * tcp_header_len less the header): timestamps, and the MD5 signature when
 * there is a key for the peer (tcp_md5.c). */
unsigned tcp_opt_overhead(const struct tcp_sock *tp);

/* tcp_mss_clamp: TCP_MAXSEG lowers, never raises, an MSS. */
static inline uint16_t tcp_mss_clamp(const struct tcp_sock *tp, uint16_t mss)
{
        return tp->user_mss && tp->user_mss < mss ? tp->user_mss : mss;
}

int tcp_init(struct net *net);
void tcp_exit(struct net *net);

/* tcp.c */
struct sock *tcp_lookup(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr,
                        uint16_t dport);
void tcp_set_state(struct sock *sk, int state);
void tcp_done(struct sock *sk);
void tcp_ehash_add(struct sock *sk);
struct sock *tcp_child_new(struct sock *parent, uint32_t saddr, uint16_t sport, uint32_t daddr,
                           uint16_t dport);
void tcp_accept_enqueue(struct sock *parent, struct sock *child);
uint32_t tcp_isn(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);
/* What the route toward daddr gives a new connection: the MSS to
 * advertise (its advmss metric, else the path MTU less 40), and its
 * initcwnd and initrwnd metrics in segments (0: the defaults). */
struct tcp_route_init {
        uint16_t advmss;
        uint32_t initcwnd, initrwnd;
};
void tcp_route_init(struct net *net, uint32_t daddr, struct tcp_route_init *ri);
uint32_t tcp_time_ms(struct net *net);

/* tcp_urg.c: urgent data (urg_data: TCP_URG_* | the byte) */
#define TCP_URG_VALID  0x0100
#define TCP_URG_NOTYET 0x0200
#define TCP_URG_READ   0x0400
/* a segment (payload in skb) with URG, or while the urgent byte is awaited */
void tcp_urg(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th);
/* recv(MSG_OOB) */
ssize_t tcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags);
/* how many of avail bytes from seq a read takes (after copied bytes):
 * stops at the urgent mark; *skip = 1 when the byte at seq is passed over */
size_t tcp_urg_clip(struct sock *sk, uint32_t seq, size_t avail, size_t copied, uint32_t *skip);
/* the reader moved past the urgent byte: forget it */
void tcp_urg_passed(struct sock *sk);
/* nothing to read but the out-of-line urgent byte (not POLLIN) */
bool tcp_urg_only(struct sock *sk);
ssize_t tcp_read_sock(struct sock *sk, void *buf, size_t len, bool nonblock);
/* SIOCATMARK: is the next byte read at the urgent mark? */
int tcp_urg_atmark(struct sock *sk, int *out);
/* sending: a MSG_OOB write ended at end_seq (tcp_mark_urg); a segment from
 * seq gets URG and its pointer (tcp_transmit_skb); the ACK for ack ends
 * urgent mode once it covers snd_up */
void tcp_urg_mark(struct tcp_sock *tp, uint32_t end_seq);
void tcp_urg_header(const struct tcp_sock *tp, uint32_t seq, struct tcp_repr *th);
void tcp_urg_acked(struct tcp_sock *tp, uint32_t ack);

/* tcp_pmtu.c: ICMP "fragmentation needed" lowers a connection's MSS. */
void tcp_v4_mtu_reduced(struct sock *sk, uint32_t mtu);

/* tcp_input.c */
void tcp_v4_rcv(struct sk_buff *skb);
/* Acked segments grow cwnd (slow start, then the algorithm's avoidance)
 * while the window is what limits the sender. */
void tcp_cong_avoid_acked(struct sock *sk, uint32_t segs);
/* tcp_cong.c: cwnd restarts after an idle RTO (slow_start_after_idle) */
void tcp_slow_start_after_idle_check(struct sock *sk);

/* tcp_err.c: ICMP errors about our segments */
void tcp_err_init(struct net *net);

/* tcp_output.c */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *data, uint8_t flags, uint32_t seq);
void tcp_send_ack(struct sock *sk);
void tcp_send_synack(struct sock *sk);
void tcp_send_fin(struct sock *sk);
void tcp_send_reset(struct sock *sk);
/* An RST answering skb (no socket or a bad segment), per RFC 9293 3.10.7.1. */
void tcp_v4_send_reset(struct net *net, struct sk_buff *skb, const struct tcp_repr *th,
                       uint32_t saddr, uint32_t daddr, uint32_t seglen);
/* How tcp_push_mode treats a partial last segment: Nagle and TCP_CORK as
 * the socket says; held as by MSG_MORE; or sent whatever they say
 * (tcp_write_wakeup, when the probe timer finds data held with nothing in
 * flight).  TCP_PUSH_PROBE: one segment whatever cwnd and Nagle say, a
 * tail loss probe (tcp_write_xmit's push_one == 2). */
/* TCP_PUSH_ONE: at most one packet, as tcp_push_one does while a write
 * fills the queue; TCP_PUSH_OFF: Nagle off for this push (TCP_NAGLE_OFF,
 * as tcp_send_fin pushes). */
enum tcp_push_how {
        TCP_PUSH_NAGLE,
        TCP_PUSH_MORE,
        TCP_PUSH_FORCE,
        TCP_PUSH_PROBE,
        TCP_PUSH_ONE,
        TCP_PUSH_OFF,
};
void tcp_push_mode(struct sock *sk, enum tcp_push_how how);
void tcp_push(struct sock *sk);
int tcp_fragment(struct sock *sk, struct sk_buff *skb, uint32_t len);
uint16_t tcp_select_window(struct sock *sk);
/* tcp_tso.c: Linux's skb and packet sizes over runs of MSS pieces */
#define TCP_NAGLE_OFF  1 /* Linux's nonagle bits: TCP_NODELAY */
#define TCP_NAGLE_CORK 2 /* TCP_CORK or MSG_MORE: partial segments wait */
#define TCP_NAGLE_PUSH 4 /* send the partial tail now */
/* The first piece of skb's run (the Linux skb it belongs to). */
struct sk_buff *tcp_run_head(struct sk_buff *skb);
/* Bytes from skb to the end of its run, or more than cap (counting stops
 * there); *last gets the run's last piece, NULL when counting stopped. */
uint32_t tcp_run_len(struct sk_buff *skb, uint32_t cap, struct sk_buff **last);
/* Make skb begin a run of its own (tso_fragment): one more Linux skb. */
void tcp_run_split(struct tcp_sock *tp, struct sk_buff *skb);
/* size_goal for sendmsg (tcp_xmit_size_goal): a multiple of mss. */
uint32_t tcp_xmit_size_goal(struct sock *sk, uint32_t mss);
/* Segments per packet (tcp_tso_segs, tcp_tso_autosize). */
uint32_t tcp_tso_segs(struct sock *sk, uint32_t mss);
/* tcp_nagle_check with Minshall's variant. */
bool tcp_nagle_check(const struct tcp_sock *tp, bool partial, unsigned nonagle);
/* How much of the run starting at skb goes in one packet. */
uint32_t tcp_mss_split_point(struct sock *sk, struct sk_buff *skb, uint32_t run_len, bool is_tail,
                             uint32_t mss, uint32_t max_segs, unsigned nonagle);
/* A packet of len bytes ending at end_seq went: remember it if small. */
void tcp_minshall_update(struct tcp_sock *tp, uint32_t len, uint32_t mss, uint32_t end_seq);
/* tcp_mark_push: PSH on the write queue's last run; pushed_seq moves. */
void tcp_mark_push(struct tcp_sock *tp);

/* tcp_rcvwnd.c: the window we offer and when we acknowledge */
#define TCP_ACK_SCHED   0x01 /* an ACK is owed */
#define TCP_ACK_TIMER   0x02 /* the delayed-ACK timer is armed */
#define TCP_ACK_PUSHED  0x04 /* pushed or short data is waiting */
#define TCP_ACK_PUSHED2 0x08
#define TCP_ACK_NOW     0x10 /* the next check sends it */
void tcp_init_windows(struct sock *sk, uint32_t mss, uint32_t initrwnd);
/* The same for a socket not made yet (a SYN cookie's SYN-ACK): the first
 * offer, window scale and clamp from a receive buffer of rcvbuf bytes,
 * TCP_WINDOW_CLAMP (0: none) and the route's initrwnd (0: none). */
void tcp_select_initial_window(struct net *net, int rcvbuf, uint32_t mss, uint32_t user_clamp,
                               uint32_t initrwnd, uint32_t *rcv_wnd, uint8_t *rcv_wscale,
                               uint32_t *window_clamp);
void tcp_init_rcv_side(struct sock *sk);
void tcp_event_data_recv(struct sock *sk, const struct sk_buff *skb, uint8_t flags, uint32_t hdrlen);
void tcp_event_data_sent(struct sock *sk);
void tcp_event_ack_sent(struct sock *sk);
void tcp_enter_quickack_mode(struct sock *sk);
/* As tcp_enter_quickack_mode, at most max quick ACKs (Linux's argument). */
void tcp_enter_quickack_mode_max(struct sock *sk, unsigned max);
void tcp_set_quickack(struct sock *sk, int val);
void tcp_send_delayed_ack(struct sock *sk);
void tcp_ack_for_writer(struct sock *sk);
void tcp_ack_snd_check(struct sock *sk, bool now);
void tcp_delack_timer(struct sock *sk);
void tcp_cleanup_rbuf(struct sock *sk, size_t copied);
/* The reader took data: grow the receive buffer to what it drains per RTT
 * (tcp_rcv_space_adjust). */
void tcp_rcv_space_adjust(struct sock *sk);
/* A segment with a timestamp echo arrived: the receiver's RTT sample. */
void tcp_rcv_rtt_measure_ts(struct sock *sk, uint32_t tsecr, uint32_t len);
void tcp_retransmit_head(struct sock *sk);

/* tcp_timer.c */
void tcp_init_timers(struct sock *sk);
void tcp_stop_timers(struct sock *sk);
void tcp_reset_rtx_timer(struct sock *sk);
void tcp_enter_timewait(struct sock *sk);
/* An orphan in FIN_WAIT2 leaves for a TIME_WAIT socket that waits tmo ns
 * for the peer's FIN (tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)). */
void tcp_enter_fin_wait2_wait(struct sock *sk, uint64_t tmo);
/* How long an orphan may wait in FIN_WAIT2 (tcp_fin_time), ns. */
uint64_t tcp_fin_time(const struct sock *sk);
/* FIN_WAIT2 reached, or an orphan closed there: Linux's orphan rules
 * (tcp_close / tcp_rcv_state_process).  Returns true when sk is gone. */
bool tcp_fin_wait2_orphan(struct sock *sk, bool fin_coming);
void tcp_rtt_sample(struct sock *sk, uint64_t rtt_ns);
void tcp_chrono_start(struct sock *sk, enum tcp_chrono type);
void tcp_chrono_stop(struct sock *sk, enum tcp_chrono type);
uint64_t tcp_chrono_ns(const struct tcp_sock *tp, enum tcp_chrono type);
void tcp_check_space(struct sock *sk);
void tcp_sndbuf_expand(struct sock *sk);

/* What a Linux TCP skb costs beyond its payload (SKB_TRUESIZE of the
 * MAX_TCP_HEADER head tcp_stream_alloc_skb allocates): the send buffer is
 * charged payload + this per Linux skb, as sk_wmem_queued is. */
#define TCP_SKB_TRUESIZE_OVERHEAD 1280u

/* The peer's window changed: Linux's snd_wnd and max_window. */
static inline void tcp_set_snd_wnd(struct tcp_sock *tp, uint32_t wnd)
{
        tp->snd_wnd = wnd;
        if (wnd > tp->max_window)
                tp->max_window = wnd;
}

/* Put skb at the tail of the write queue as a new Linux skb (skb_entail),
 * charged to the socket. */
static inline void tcp_wq_queue_tail(struct tcp_sock *tp, struct sk_buff *skb)
{
        if (tp->chrono_type == TCP_CHRONO_UNSPEC) /* tcp_add_write_queue_tail */
                tcp_chrono_start(tp->sk, TCP_CHRONO_BUSY);
        skb_queue_tail(&tp->write_queue, skb);
        TCP_SKB_CB(skb)->truesize = TCP_SKB_TRUESIZE_OVERHEAD + skb->len;
        TCP_SKB_CB(skb)->cont = 0;
        tp->wmem_queued += TCP_SKB_CB(skb)->truesize;
        TCP_SKB_CB(skb)->sacked = 0;
        tcp_slow_start_after_idle_check(tp->sk);
        if (!tp->send_head)
                tp->send_head = skb;
        tp->nagle_push = false; /* skb_entail */
}

/* Linux's bounds for TCP_KEEPIDLE, TCP_KEEPINTVL (s) and TCP_KEEPCNT */
#define TCP_MAX_KEEPIDLE 32767
#define TCP_MAX_KEEPINTVL 32767
#define TCP_MAX_KEEPCNT 127
#define TCP_MAX_SYNCNT 127

/* Call fn for every listener, then every connection of net (stops at fn's
 * first non-zero result and returns it). */
int tcp_for_each_sock(struct net *net, int (*fn)(struct sock *sk, void *ctx), void *ctx);

/* The kernel's struct tcp_info (<linux/tcp.h>) for sk, at most cap bytes
 * of it into buf; returns how many (tcp_info.c). */
size_t tcp_get_info(struct sock *sk, void *buf, size_t cap);

/* (Re)arm keepalive for an established socket with SO_KEEPALIVE on. */
void tcp_reset_keepalive(struct sock *sk);

#endif
