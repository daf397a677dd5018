/*
 * SACK-based loss recovery (RFC 6675 with Linux's state machine): the
 * congestion states Open, Disorder, Recovery and Loss, entering Recovery
 * when the scoreboard holds a lost segment (found by RACK, tcp_rack.c, or
 * by dupthresh), PRR (RFC 6937, Linux's tcp_cwnd_reduction) while in it,
 * retransmission of the lost holes first, undo when every retransmission
 * is D-SACKed, the tail loss probe, and the RTO's tcp_enter_loss.  Used
 * when SACK was negotiated; without it tcp_input.c's NewReno (RFC 6582)
 * recovers.
 */
#ifndef STRATA_TRANSPORT_TCP_RECOVERY_H
#define STRATA_TRANSPORT_TCP_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "transport/tcp_sack.h"

struct sock;

/* What one ACK did, gathered by tcp_rcv_state (Linux's flag and
 * delivered accounting in tcp_ack). */
struct tcp_ack_sample {
        uint32_t prior_una;
        uint32_t acked_new; /* segments cumulatively acked that were not SACKed */
        uint32_t reord;     /* lowest never-retransmitted one of those (snd_nxt: none) */
        bool una_advanced;
        bool retrans_acked; /* a retransmitted segment was cumulatively acked */
        bool orig_acked;    /* one never retransmitted, sent before high_seq, was */
        bool dupack;        /* RFC 5681's duplicate ACK */
        bool ece;           /* it echoed a CE mark (RFC 3168; FLAG_ECE) */
        struct tcp_sack_tag tag;
};

/* tcp_rack.c: an ACK that delivered segments: RACK's reordering window
 * follows the D-SACKs seen. */
void tcp_rack_update_reo_wnd(struct sock *sk, uint32_t delivered);
/* After an ACK was processed (scoreboard tagged, queue cleaned): move the
 * congestion state, adjust cwnd (PRR or congestion avoidance) and
 * retransmit what is lost (tcp_fastretrans_alert, tcp_cong_control,
 * tcp_xmit_recovery). */
void tcp_recovery_ack(struct sock *sk, const struct tcp_ack_sample *s);
/* The retransmission timer fired: everything not SACKed is lost
 * (tcp_enter_loss; the SACK marks are dropped if the peer reneged). */
void tcp_enter_loss(struct sock *sk, bool first_timeout);
/* The path MTU fell below what was sent (tcp_simple_retransmit). */
void tcp_simple_retransmit(struct sock *sk);
/* What is marked lost was not lost to congestion (a smaller path MTU, SYN
 * data the server did not take): Loss state without lowering cwnd, and the
 * lost segments resent (tcp_non_congestion_loss_retransmit). */
void tcp_non_congestion_loss_retransmit(struct sock *sk);
/* Retransmit lost segments, lowest first, while cwnd allows
 * (tcp_xmit_retransmit_queue). */
void tcp_xmit_retransmit_queue(struct sock *sk);
/* Arm the retransmission timer as a tail loss probe timeout (RFC 8985
 * section 7, Linux's tcp_schedule_loss_probe) if the connection qualifies:
 * SACK, net.ipv4.tcp_early_retrans 3 or 4, data in flight, state Open.
 * advancing: an ACK just moved snd_una (a full RTO is the bound). */
bool tcp_schedule_loss_probe(struct sock *sk, bool advancing);
/* The probe timeout fired: send new data or resend the last segment. */
void tcp_send_loss_probe(struct sock *sk);
/* RACK's reordering timer fired. */
void tcp_rack_reo_timeout(struct sock *sk);
/* The peer echoed CE: cut the window once (tcp_enter_cwr, state CWR). */
void tcp_enter_cwr(struct sock *sk);
/* Without SACK, after an ACK acked delivered segments: ECE enters CWR,
 * PRR cuts cwnd while in it, and CWR ends past its high_seq. */
void tcp_cwr_ack(struct sock *sk, uint32_t delivered, bool ece);
/* New data went out: PRR counts it (tcp_write_xmit's prr_out). */
void tcp_recovery_sent(struct sock *sk, uint32_t segs);

#endif
