/*
 * What TCP reports on the socket error queue (socket/errqueue.h):
 * MSG_ZEROCOPY completions (tcp_zerocopy.c) and transmit timestamps
 * (tcp_tstamp.c).  Both are requests keyed by byte sequence, recorded when
 * a write ends and answered as segments leave and ACKs arrive, so they do
 * not depend on how the write queue cuts the bytes into skbs.  Each hook
 * is one test of sk->errq for sockets that never asked.
 */
#ifndef STRATA_TRANSPORT_TCP_ERRQ_H
#define STRATA_TRANSPORT_TCP_ERRQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/skb.h"
#include "socket/errqueue.h"
#include "socket/sock.h"

/* A write with flags ended at end_seq (before its data is pushed): record
 * a MSG_ZEROCOPY completion and the timestamps tsflags (the socket's, or
 * the call's SO_TIMESTAMPING cmsg) ask for. */
void tcp_errq_sendmsg(struct sock *sk, int flags, uint32_t tsflags, uint32_t end_seq);
/* The same for data a Fast Open SYN carried: its zerocopy completion only
 * (Linux stamps no SYN data: tcp_tx_timestamp sees nothing copied). */
void tcp_errq_syn_data(struct sock *sk, int flags, uint32_t end_seq);
/* A MSG_ZEROCOPY send: is the flag honoured (SO_ZEROCOPY set)? */
bool tcp_zerocopy_on(struct sock *sk, int flags);
/* Does skb hold all the user pages it may (MAX_SKB_FRAGS)? */
bool tcp_zerocopy_full(struct sk_buff *skb);
/* Zerocopy sends pin the user's pages as frags, at most MAX_SKB_FRAGS (17)
 * per skb: of the n bytes that would go into skb from iov[i] at offset
 * off, how many fit (0: skb is full, start another). Counts them in. */
size_t tcp_zerocopy_fit(struct sk_buff *skb, const struct iovec *iov, size_t i, size_t off,
                        size_t n);
/* The ACK for ack arrived (skbs it covers not yet freed). */
void tcp_errq_acked(struct sock *sk, uint32_t ack);
/* seg (TCP header pushed, payload from seq on, len bytes) is leaving. */
void tcp_errq_xmit(struct sock *sk, struct sk_buff *seg, uint32_t seq, uint32_t len);
/* The connection is over: what is still in flight completes. */
void tcp_errq_done(struct sock *sk);

/* SOF_TIMESTAMPING_OPT_ID counts from snd_una (proto tskey_base) */
int tcp_tskey_base(struct sock *sk, uint32_t *key);
/* tcp_tstamp.c, for tcp_zerocopy.c's walk of the records */
void tcp_tstamp_sent(struct sock *sk, uint32_t tsflags, uint32_t end_seq);
void tcp_tstamp_acked(struct sock *sk, const struct errq_rec *rec, uint32_t ack);

#endif
