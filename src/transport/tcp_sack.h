/*
 * Selective acknowledgements (RFC 2018, RFC 2883) and the sender's SACK
 * scoreboard (RFC 6675), as Linux keeps them.
 *
 * Receiver (tcp_sack.c): the blocks an ACK reports while the out-of-order
 * queue holds data, most recent first (Linux's tcp_sack_new_ofo_skb), and
 * a D-SACK for a duplicate segment, sent once.
 *
 * Sender (tcp_sack.c): each write-queue skb carries TCPCB_* marks --
 * SACKed, lost, retransmitted -- and the socket counts them (sacked_out,
 * lost_out, retrans_out) so the pipe (packets in flight) is
 * packets_out - sacked_out - lost_out + retrans_out.  tcp_recovery.c runs
 * the congestion state machine (Open, Disorder, Recovery, Loss) over that
 * scoreboard: loss marking by dupthresh, retransmission of the lost holes,
 * PRR (RFC 6937) and the RTO's tcp_enter_loss.
 */
#ifndef STRATA_TRANSPORT_TCP_SACK_H
#define STRATA_TRANSPORT_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

struct sock;
struct sk_buff;
struct tcp_options;
struct tcp_sock;

#define TCP_NUM_SACKS 4 /* blocks the receiver remembers (Linux's TCP_NUM_SACKS) */

/* tcp_skb_cb.sacked (Linux's TCPCB_*) */
#define TCPCB_SACKED_ACKED   0x01 /* the peer SACKed it */
#define TCPCB_SACKED_RETRANS 0x02 /* retransmitted, the copy still in flight */
#define TCPCB_LOST           0x04 /* judged lost, not yet retransmitted or retransmitted */
#define TCPCB_EVER_RETRANS   0x80 /* retransmitted at least once */

struct tcp_sack_block {
        uint32_t start_seq, end_seq;
};

/* The receiver's blocks. */
struct tcp_sack_rx {
        struct tcp_sack_block blocks[TCP_NUM_SACKS]; /* most recent first */
        uint8_t num_sacks;
        bool dsack; /* duplicate_sack goes on the next ACK */
        struct tcp_sack_block duplicate_sack;
};

/* The sender's scoreboard and recovery state (packet counts). */
struct tcp_scoreboard {
        /* RACK (tcp_rack.c): the most recently sent segment delivered */
        uint64_t rack_xmit_ns; /* its send time */
        uint64_t rack_rtt_ns;  /* its RTT */
        uint64_t min_rtt_ns;   /* smallest RTT sample */
        uint32_t rack_end_seq;
        uint32_t sacked_out, lost_out, retrans_out;
        uint32_t reordering;   /* dupthresh: tcp_reordering, raised by seen reordering */
        uint32_t highest_sack; /* end_seq of the highest SACKed byte (0: none) */
        uint32_t high_seq;     /* snd_nxt when Recovery or Loss began */
        uint32_t prior_cwnd, prr_delivered, prr_out; /* PRR */
        uint32_t reord_seen;   /* reordering events (tcpi_reord_seen) */
        uint32_t lost_retrans; /* retransmissions found lost again */
        /* tail loss probe (tcp_recovery.c) */
        uint32_t tlp_high_seq; /* snd_nxt when the probe went (0: none out) */
        /* undo (tcp_recovery.c): a recovery whose every retransmission
         * the peer reports as a duplicate was needless */
        uint32_t undo_marker; /* snd_una when the recovery began */
        int32_t undo_retrans; /* retransmissions not yet D-SACKed (-1: none) */
        uint32_t prior_ssthresh;
        /* RACK's reordering window (RFC 8985 7.2, tcp_rack_update_reo_wnd):
         * min_rtt/4 times steps, a step more for each round trip with a
         * D-SACK, back to one after 16 recoveries without */
        uint32_t reo_adjust_ms; /* when steps last grew (ms clock) */
        uint8_t reo_wnd_steps;
        uint8_t reo_wnd_persist : 5;
        bool rack_dsack_seen : 1; /* a D-SACK came since the last update */
        uint8_t ca_state;     /* TCP_CA_* as TCP_INFO reports it */
        bool rack_advanced : 1; /* something was delivered since the last check */
        bool tlp_pending : 1;   /* rtx_timer is armed as the probe timeout */
        bool tlp_retrans : 1;   /* the probe resent data (not new data) */
        bool undo_active : 1;   /* Linux's undo_marker != 0 */
        bool frto : 1;          /* F-RTO (RFC 5682) watches the ACKs after an RTO */
};

/* --- receiver -------------------------------------------------------- */

/* The receiver's blocks go with the socket. */
void tcp_sack_free(struct tcp_sock *tp);
/* An out-of-order segment [seq, end) was queued. */
void tcp_sack_new_ofo(struct tcp_sock *tp, uint32_t seq, uint32_t end);
/* rcv_nxt advanced: drop the blocks it passed (all, once the out-of-order
 * queue is empty). */
void tcp_sack_remove(struct tcp_sock *tp);
/* [seq, end) arrived twice: report it as a D-SACK (net.ipv4.tcp_dsack). */
void tcp_dsack_set(struct sock *sk, uint32_t seq, uint32_t end);
/* As tcp_dsack_set, or grow the D-SACK already pending. */
void tcp_dsack_extend(struct sock *sk, uint32_t seq, uint32_t end);
/* Fill o's SACK blocks for an outgoing segment (D-SACK first, then the
 * blocks, as many as fit beside the other options); a D-SACK goes once. */
void tcp_sack_options(struct tcp_sock *tp, struct tcp_options *o);

/* --- sender ---------------------------------------------------------- */

/* Segments sent and not cumulatively acknowledged (Linux's packets_out:
 * each sent skb is one, tcp_skb_pcount; the SYN too while unacked). */
uint32_t tcp_packets_out(const struct tcp_sock *tp);
/* The pipe: packets_out - sacked_out - lost_out + retrans_out. */
uint32_t tcp_packets_in_flight(const struct tcp_sock *tp);
/* Bytes the scoreboard says have left the network (SACKed or lost and not
 * retransmitted): what the sender subtracts from snd_nxt - snd_una. */
uint32_t tcp_left_out_bytes(const struct tcp_sock *tp);

/* What an ACK's SACK blocks did (tcp_sacktag_write_queue). */
struct tcp_sack_tag {
        uint32_t newly_sacked; /* segments SACKed for the first time */
        bool orig_sacked;      /* ... some never retransmitted, sent before high_seq
                                * (FLAG_ORIG_SACK_ACKED) */
        bool dsack;            /* the first block was a D-SACK */
        uint32_t prior_fack;   /* highest SACKed seq before this ACK (snd_una: none) */
};
/* Mark the write queue from the blocks of an ACK acknowledging ack. */
void tcp_sacktag(struct sock *sk, uint32_t ack, const struct tcp_options *o,
                 struct tcp_sack_tag *out);
/* skb leaves the write queue, cumulatively acknowledged: uncount its marks.
 * Returns whether it was SACKed before. */
bool tcp_sack_skb_acked(struct tcp_sock *tp, struct sk_buff *skb);
/* A cumulative ACK delivered low_seq, never retransmitted nor SACKed, below
 * the highest SACK: reordering (tcp_clean_rtx_queue's check). */
void tcp_sack_acked_reorder(struct sock *sk, uint32_t low_seq);
/* RFC 6675 IsLost with Linux's tcp_mark_head_lost: a hole with reordering
 * (dupthresh) SACKed segments above it is lost. */
void tcp_mark_head_lost(struct tcp_sock *tp);
/* RACK (RFC 8985, tcp_rack.c) -------------------------------------- */

/* skb, sent at its tx_ns, was delivered (SACKed or acked): RACK's most
 * recently sent delivered segment may advance (tcp_rack_advance). */
void tcp_rack_advance(struct tcp_sock *tp, struct sk_buff *skb, uint64_t now);
/* Mark lost what was sent a reordering window before the most recently
 * sent delivered segment and not delivered since (tcp_rack_mark_lost); arms
 * the reordering timer for the rest.  Returns whether anything was marked. */
bool tcp_rack_mark_lost(struct sock *sk);
/* An RTT sample (ns): RACK's min_rtt. */
void tcp_rack_rtt_sample(struct tcp_sock *tp, uint64_t rtt_ns);
/* The reordering timer fired: mark what is now late (tcp_rack.c); returns
 * whether the pipe changed. */
bool tcp_rack_timeout_check(struct sock *sk);

/* Forget every SACK mark (reneging, or SACK turned off). */
void tcp_sack_clear(struct tcp_sock *tp);

#endif
