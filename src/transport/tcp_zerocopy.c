/*
 * MSG_ZEROCOPY for TCP (Linux's msg_zerocopy_realloc and
 * __msg_zerocopy_callback as tcp_sendmsg_locked uses them).
 *
 * Each write with MSG_ZEROCOPY on a socket with SO_ZEROCOPY takes the next
 * id (sk_zckey) and ends a record at its last byte; once every byte up to
 * there is acknowledged the completion goes to the error queue, where
 * consecutive ids merge into one range.  A write that fails takes no id.
 * Strata always copies the data into its buffers, so every completion
 * says SO_EE_CODE_ZEROCOPY_COPIED -- which is what Linux reports too when
 * it had to copy (loopback, a device without scatter-gather).
 *
 * The shape of the segments follows Linux's: a zerocopy skb holds at most
 * MAX_SKB_FRAGS user pages, and one that fills up is pushed (PSH) and the
 * write goes on in a new skb.
 */
#include <sys/socket.h>

#include "socket/errqueue.h"
#include "transport/tcp.h"
#include "transport/tcp_errq.h"

#define MAX_SKB_FRAGS 17
#define ZC_PAGE       4096u

bool tcp_zerocopy_on(struct sock *sk, int flags)
{
        return (flags & MSG_ZEROCOPY) && sk->errq && sk->errq->zerocopy;
}

bool tcp_zerocopy_full(struct sk_buff *skb)
{
        return TCP_SKB_CB(skb)->zc_frags >= MAX_SKB_FRAGS;
}

size_t tcp_zerocopy_fit(struct sk_buff *skb, const struct iovec *iov, size_t i, size_t off,
                        size_t n)
{
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        unsigned frags = cb->zc_frags;
        size_t done = 0;
        while (done < n) {
                if (!iov[i].iov_len) {
                        i++;
                        continue;
                }
                size_t chunk = iov[i].iov_len - off;
                if (chunk > n - done)
                        chunk = n - done;
                /* one frag per user page the chunk touches */
                uintptr_t a = (uintptr_t)iov[i].iov_base + off;
                unsigned pages = (unsigned)((a + chunk - 1) / ZC_PAGE - a / ZC_PAGE + 1);
                if (frags + pages > MAX_SKB_FRAGS) {
                        if (frags >= MAX_SKB_FRAGS)
                                break;
                        /* the pages that still fit */
                        size_t fit = (MAX_SKB_FRAGS - frags) * ZC_PAGE - (a % ZC_PAGE);
                        if (fit < chunk)
                                chunk = fit;
                        pages = MAX_SKB_FRAGS - frags;
                }
                frags += pages;
                done += chunk;
                off += chunk;
                if (off == iov[i].iov_len) {
                        i++;
                        off = 0;
                }
        }
        cb->zc_frags = frags;
        return done;
}

static void zerocopy_sent(struct sock *sk, int flags, uint32_t end_seq)
{
        struct sock_errq *q = sk->errq;
        struct errq_rec rec = { .end = end_seq, .id = q->zckey, .kind = ERRQ_REC_ZEROCOPY };
        if (sock_errq_add_rec(q, &rec))
                return; /* msg_zerocopy_realloc failed: the send goes uncounted */
        q->zckey++;
}

void tcp_errq_sendmsg(struct sock *sk, int flags, uint32_t tsflags, uint32_t end_seq)
{
        if (!sk->errq && !tsflags)
                return;
        if (tcp_zerocopy_on(sk, flags))
                zerocopy_sent(sk, flags, end_seq);
        tcp_tstamp_sent(sk, tsflags, end_seq);
}

void tcp_errq_syn_data(struct sock *sk, int flags, uint32_t end_seq)
{
        if (tcp_zerocopy_on(sk, flags))
                zerocopy_sent(sk, flags, end_seq);
}

/* Complete the zerocopy ids of recs[0..n) that are done, merging runs */
static void zerocopy_complete(struct sock *sk, const struct errq_rec *recs, uint32_t n)
{
        bool have = false;
        uint32_t lo = 0, hi = 0;
        for (uint32_t i = 0; i < n; i++) {
                if (recs[i].kind != ERRQ_REC_ZEROCOPY)
                        continue;
                if (have && recs[i].id == hi + 1) {
                        hi++;
                        continue;
                }
                if (have)
                        sock_zerocopy_notify(sk, lo, hi, true);
                have = true;
                lo = hi = recs[i].id;
        }
        if (have)
                sock_zerocopy_notify(sk, lo, hi, true);
}

void tcp_errq_acked(struct sock *sk, uint32_t ack)
{
        struct sock_errq *q = sk->errq;
        if (!q || !q->nrec)
                return;
        uint32_t n = 0;
        while (n < q->nrec && seq_leq(q->rec[n].end, ack))
                n++;
        if (!n)
                return;
        for (uint32_t i = 0; i < n; i++)
                if (q->rec[i].kind == ERRQ_REC_TSTAMP)
                        tcp_tstamp_acked(sk, &q->rec[i], ack);
        zerocopy_complete(sk, q->rec, n);
        sock_errq_drop_recs(q, n);
}

void tcp_errq_done(struct sock *sk)
{
        struct sock_errq *q = sk->errq;
        if (!q || !q->nrec)
                return;
        /* tcp_write_queue_purge: the buffers are released, which completes
         * their zerocopy sends; unsent timestamps are never reported */
        zerocopy_complete(sk, q->rec, q->nrec);
        sock_errq_drop_recs(q, q->nrec);
}
