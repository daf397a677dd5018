/*
 * The socket error queue (Linux's sk_error_queue) and the per-socket state
 * of what feeds it: MSG_ZEROCOPY completions (SO_ZEROCOPY) and transmit
 * timestamps (SO_TIMESTAMPING).
 *
 * Every socket may have the queue (struct sock_errq, allocated with the
 * first entry or option).  Each entry is an skb whose cb holds a struct
 * sock_exterr_skb: the struct sock_extended_err recvmsg(MSG_ERRQUEUE)
 * hands back as an IP_RECVERR cmsg, preceded by SCM_TIMESTAMPING when the
 * entry is a timestamp (skb->tstamp, wall clock ns) and the socket asked
 * for software reports.  A non-empty queue makes the socket POLLERR, and
 * every entry queued wakes it (sk_error_report), even one merged into the
 * tail, so edge-triggered epoll hears each completion.
 *
 * The queue and the producers' state (struct sock_errq) hang off struct
 * sock behind one pointer allocated on first use, so a socket that never
 * uses them pays 8 bytes (less than the queue head it replaces).  Stream
 * sockets key their requests by byte sequence, not by skb (tcp_zerocopy.c,
 * tcp_tstamp.c):
 * a request is done when the byte range it covers is acknowledged or, for
 * SCHED/SND timestamps, each time a segment carrying its key byte leaves.
 */
#ifndef STRATA_SOCKET_ERRQUEUE_H
#define STRATA_SOCKET_ERRQUEUE_H

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/skb.h"
#include "socket/sock.h"


/* The cb of an error-queue skb (Linux's struct sock_exterr_skb). */
struct sock_exterr_skb {
        struct sock_extended_err ee;
        uint32_t offender; /* ICMP origins: who sent the error (host order) */
        uint32_t addr;     /* ICMP origins: where the datagram went (host order) */
        uint16_t port;     /* ICMP origins: the port it went to */
};
_Static_assert(sizeof(struct sock_exterr_skb) <= SKB_CB_SIZE, "sock_exterr_skb fits in cb");

static inline struct sock_exterr_skb *SKB_EXT_ERR(struct sk_buff *skb)
{
        return (struct sock_exterr_skb *)skb->cb;
}

/* A byte-keyed request of a stream socket, in sequence order. */
enum { ERRQ_REC_ZEROCOPY, ERRQ_REC_TSTAMP };
#define ERRQ_TS_SCHED 1 /* SOF_TIMESTAMPING_TX_SCHED asked for at write time */
#define ERRQ_TS_SND   2 /* SOF_TIMESTAMPING_TX_SOFTWARE */
#define ERRQ_TS_ACK   4 /* SOF_TIMESTAMPING_TX_ACK */
struct errq_rec {
        uint32_t end;  /* done once the peer acknowledged up to here; a
                        * timestamp's key byte is end - 1 */
        uint32_t id;   /* zerocopy: the send's notification id */
        uint8_t kind;  /* ERRQ_REC_* */
        uint8_t flags; /* timestamps: ERRQ_TS_* */
};

/* Allocated on first use (sock_errq_get): a socket that never had an error
 * queue entry or one of these options pays one pointer (the queue head
 * itself lives here, not in struct sock). */
struct sock_errq {
        struct sk_buff_head queue; /* sk_error_queue */
        uint32_t tsflags; /* SO_TIMESTAMPING (sk_tsflags) */
        uint32_t tskey;   /* SOF_TIMESTAMPING_OPT_ID base (sk_tskey) */
        uint32_t zckey;   /* the next MSG_ZEROCOPY id (sk_zckey) */
        bool zerocopy;    /* SO_ZEROCOPY (SOCK_ZEROCOPY) */
        struct errq_rec *rec; /* stream sockets: pending requests */
        uint32_t nrec, caprec;
};

/* sk's state, allocated now if it has none; NULL when memory runs out. */
struct sock_errq *sock_errq_get(struct sock *sk);
/* Is an entry waiting (POLLERR)? */
static inline bool sock_errq_pending(const struct sock *sk)
{
        return sk->errq && sk->errq->queue.first;
}
/* A listener's child takes its SO_ZEROCOPY and SO_TIMESTAMPING settings
 * (sk_clone_lock), with ids counting from 0.  Out of memory: none. */
void sock_errq_clone(struct sock *child, const struct sock *parent);
/* Last reference gone: purge the queue and free the state. */
void sock_errq_free(struct sock *sk);
/* Append a request; -ENOBUFS when memory runs out. */
int sock_errq_add_rec(struct sock_errq *q, const struct errq_rec *rec);
/* Drop the first n requests. */
void sock_errq_drop_recs(struct sock_errq *q, uint32_t n);

/*
 * Queue skb (cb filled as a struct sock_exterr_skb) on sk's error queue,
 * charged to the receive side as sock_queue_err_skb: refused with -ENOMEM
 * (the caller frees it) when the charge would pass sk_rcvbuf.  Wakes sk.
 */
int sock_queue_err_skb(struct sock *sk, struct sk_buff *skb);

/* An entry serr carrying a copy of len bytes of data (ip_icmp_error's
 * payload); dropped when memory or the receive buffer runs out. */
void sock_queue_err_data(struct sock *sk, const struct sock_exterr_skb *serr, const void *data,
                         size_t len);
/* Empty the queue (IP_RECVERR turned off, close). */
void sock_errq_purge(struct sock *sk);

/*
 * A MSG_ZEROCOPY completion for ids lo..hi (ee_info..ee_data), as
 * __msg_zerocopy_callback: merged into the queue's tail when that is a
 * zerocopy completion ending at lo - 1, else queued.  copied: the data was
 * copied, not sent from the user's pages (SO_EE_CODE_ZEROCOPY_COPIED).
 * Nothing is reported for a socket whose descriptor is closed.
 */
void sock_zerocopy_notify(struct sock *sk, uint32_t lo, uint32_t hi, bool copied);

/*
 * A transmit timestamp of type tstype (SCM_TSTAMP_*) for the byte with
 * key tskey (before the OPT_ID base is taken off), as
 * __skb_complete_tx_timestamp: data is what the report carries unless
 * the socket set SOF_TIMESTAMPING_OPT_TSONLY (NULL: nothing); the time is
 * the namespace's wall clock now.
 */
void sock_tx_timestamp(struct sock *sk, int tstype, uint32_t tskey, struct sk_buff *data);

/* A datagram (skb, from its transport header on) is leaving sk: its SCHED
 * and SND timestamps as tsflags (the socket's or the call's) ask, with the
 * next OPT_ID key (one per datagram). */
void sock_tx_timestamp_dgram(struct sock *sk, struct sk_buff *skb, uint32_t tsflags);

/* Receive timestamps (__sock_recv_timestamp) of data that arrived at t_ns
 * on the namespace clock, into w: SCM_TIMESTAMP or SCM_TIMESTAMPNS with
 * SO_TIMESTAMP(NS), SCM_TIMESTAMPING with SOF_TIMESTAMPING_RX_SOFTWARE and
 * SOFTWARE; in wall-clock time. */
struct cmsg_writer;
void sock_recv_timestamp(struct sock *sk, struct cmsg_writer *w, uint64_t t_ns);
/* Does sk want receive timestamps at all? */
static inline bool sock_wants_rx_tstamp(const struct sock *sk)
{
        return sk->rcvtstamp ||
               (sk->errq && (sk->errq->tsflags & SOF_TIMESTAMPING_RX_SOFTWARE));
}

/* recvmsg(MSG_ERRQUEUE) (ip_recv_error): the oldest entry's bytes into
 * msg's buffers (MSG_TRUNC if they do not fit), its cmsgs, MSG_ERRQUEUE
 * in msg_flags; -EAGAIN when the queue is empty. */
ssize_t sock_recv_errqueue(struct sock *sk, struct msghdr *msg, size_t len);

/*
 * The SOL_SOCKET cmsgs of a send (sock_cmsg_send): SO_TIMESTAMPING (a u32
 * of TX record flags) replaces the socket's record flags for this call in
 * *tsflags (which the caller starts from the socket's); SCM_RIGHTS and
 * SCM_CREDENTIALS mean nothing to an inet socket and pass; SO_MARK is not
 * built (-EOPNOTSUPP); anything else, or a malformed cmsg, is -EINVAL.
 * Other levels are the protocol's.
 */
int sock_cmsg_send(struct sock *sk, const struct msghdr *msg, uint32_t *tsflags);
/* The socket's record flags (0 without state). */
static inline uint32_t sock_tsflags(const struct sock_errq *q)
{
        return q ? q->tsflags : 0;
}

/* SO_ZEROCOPY and SO_TIMESTAMPING (sock_setsockopt / sock_getsockopt);
 * -ENOPROTOOPT for other names. */
int sock_errq_setsockopt(struct sock *sk, int name, int val);
int sock_errq_getsockopt(struct sock *sk, int name, int *val);

#endif
