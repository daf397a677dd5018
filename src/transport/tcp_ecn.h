/*
 * Explicit Congestion Notification for TCP (RFC 3168), Linux's classic
 * ECN (net.ipv4.tcp_ecn 1: request and accept, 2: accept when asked --
 * the default, 0: off; tcp_ecn_fallback).  AccECN (tcp_ecn 3-5) is not
 * built: the sysctl refuses those values.
 *
 * The handshake: an ECN-setup SYN carries ECE|CWR, an ECN-setup SYN-ACK
 * ECE alone; a SYN that arrives with an ECT codepoint set (some middlebox
 * meddled) is not taken as an ECN request.  When both agree, new data
 * segments leave with ECT(0) in the IP header -- never retransmissions,
 * pure ACKs, SYNs or window probes without data (Linux keeps the codepoint
 * in the socket's tos: INET_ECN_xmit / INET_ECN_dontxmit).  A receiver
 * that sees CE echoes ECE on every segment until a data segment with CWR
 * arrives; a sender that gets ECE enters CWR (tcp_enter_cwr in
 * tcp_recovery.c: ssthresh cut once per window, PRR down to it) and marks
 * its next new data segment with CWR.
 */
#ifndef STRATA_TRANSPORT_TCP_ECN_H
#define STRATA_TRANSPORT_TCP_ECN_H

#include <stdbool.h>
#include <stdint.h>

struct sock;
struct tcp_sock;
struct tcp_repr;

/* tcp_sock.ecn_flags (Linux's TCP_ECN_*) */
#define TCP_ECN_OK         0x01 /* negotiated */
#define TCP_ECN_QUEUE_CWR  0x02 /* the next new data segment carries CWR */
#define TCP_ECN_DEMAND_CWR 0x04 /* CE seen: echo ECE until CWR arrives */
#define TCP_ECN_SEEN       0x08 /* an ECT or CE segment arrived */

/* The IP header's ECN field (INET_ECN_*) */
#define INET_ECN_NOT_ECT 0
#define INET_ECN_ECT_1   1
#define INET_ECN_ECT_0   2
#define INET_ECN_CE      3
#define INET_ECN_MASK    3

/* Flags an active open's SYN adds (tcp_ecn_send_syn; a retransmitted SYN
 * drops them with tcp_ecn_fallback, RFC 3168 6.1.1.1). */
uint8_t tcp_ecn_syn_flags(struct sock *sk);
/* The SYN-ACK's ECE (tcp_ecn_send_synack). */
uint8_t tcp_ecn_synack_flags(const struct tcp_sock *tp);
/* The SYN-ACK arrived: ECN stays on only if it said ECE without CWR. */
void tcp_ecn_rcv_synack(struct tcp_sock *tp, uint8_t th_flags);
/* Simultaneous open: the peer's SYN must have asked too. */
void tcp_ecn_rcv_syn(struct tcp_sock *tp, uint8_t th_flags);
/* A listener's child from a SYN (tcp_ecn_create_request): ECN is on when
 * the SYN asked, arrived not-ECT, and net.ipv4.tcp_ecn is not 0. */
void tcp_ecn_create_request(struct sock *child, uint8_t th_flags, uint8_t ip_tos);
/* A segment other than SYN/SYN-ACK is being built (tcp_ecn_send): sets or
 * clears ECT in sk->tos and returns the ECE/CWR flags to add. */
uint8_t tcp_ecn_send(struct sock *sk, uint32_t payload, uint32_t seq);
/* A data segment (or FIN) is about to be queued: CWR ends our echo
 * (tcp_ecn_accept_cwr). */
void tcp_ecn_accept_cwr(struct sock *sk, uint8_t th_flags, bool has_data);
/* Payload arrived with this IP tos (tcp_ecn_check_ce). */
void tcp_ecn_check_ce(struct sock *sk, uint8_t ip_tos);
/* Does this ACK carry the peer's congestion echo (tcp_ecn_rcv_ecn_echo)? */
bool tcp_ecn_rcv_ecn_echo(const struct tcp_sock *tp, uint8_t th_flags);
/* A window reduction began: say so with CWR on the next data segment. */
void tcp_ecn_queue_cwr(struct tcp_sock *tp);
/* The reduction was undone: no CWR owed (tcp_ecn_withdraw_cwr). */
void tcp_ecn_withdraw_cwr(struct tcp_sock *tp);

#endif
