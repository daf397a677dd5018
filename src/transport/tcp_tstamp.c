/*
 * Transmit timestamps for TCP (SO_TIMESTAMPING; Linux's tcp_tx_timestamp,
 * tcp_gso_tstamp and tcp_ack_tstamp).
 *
 * A write records the key of its last byte with the reports the socket's
 * flags ask for at that moment: SCM_TSTAMP_SCHED and SCM_TSTAMP_SND each
 * time a segment carrying the key byte leaves (again on a retransmission,
 * as in Linux, where the flags stay on the skb), SCM_TSTAMP_ACK once when
 * the key byte is cumulatively acknowledged.  With SOF_TIMESTAMPING_OPT_ID
 * ee_data is the key counted from snd_una at the time the option was set.
 *
 * Strata stamps SCHED and SND where TCP hands the segment down, on the
 * same clock instant as the device would; what a report carries (without
 * OPT_TSONLY) is the segment from its TCP header on -- Linux's starts at
 * the link header for SCHED/SND -- and the acknowledged skb's payload for
 * ACK, as Linux's.
 */
#include <errno.h>
#include <sys/socket.h>

#include "socket/errqueue.h"
#include "transport/tcp.h"
#include "transport/tcp_errq.h"

void tcp_tstamp_sent(struct sock *sk, uint32_t tsflags, uint32_t end_seq)
{
        uint8_t f = 0;
        if (tsflags & SOF_TIMESTAMPING_TX_SCHED)
                f |= ERRQ_TS_SCHED;
        if (tsflags & SOF_TIMESTAMPING_TX_SOFTWARE)
                f |= ERRQ_TS_SND;
        if (tsflags & SOF_TIMESTAMPING_TX_ACK)
                f |= ERRQ_TS_ACK;
        if (!f)
                return;
        struct sock_errq *q = sock_errq_get(sk); /* a cmsg may ask first */
        if (!q)
                return;
        struct errq_rec rec = { .end = end_seq, .kind = ERRQ_REC_TSTAMP, .flags = f };
        sock_errq_add_rec(q, &rec); /* out of memory: no report, as a failed clone */
}

void tcp_errq_xmit(struct sock *sk, struct sk_buff *seg, uint32_t seq, uint32_t len)
{
        struct sock_errq *q = sk->errq;
        if (!q || !q->nrec || !len)
                return;
        for (uint32_t i = 0; i < q->nrec; i++) {
                const struct errq_rec *r = &q->rec[i];
                uint32_t key = r->end - 1;
                if (seq_before(key, seq))
                        continue;
                if (!seq_before(key, seq + len))
                        break;
                if (r->kind != ERRQ_REC_TSTAMP)
                        continue;
                if (r->flags & ERRQ_TS_SCHED)
                        sock_tx_timestamp(sk, SCM_TSTAMP_SCHED, key, seg);
                if (r->flags & ERRQ_TS_SND)
                        sock_tx_timestamp(sk, SCM_TSTAMP_SND, key, seg);
        }
}

void tcp_tstamp_acked(struct sock *sk, const struct errq_rec *rec, uint32_t ack)
{
        if (!(rec->flags & ERRQ_TS_ACK))
                return;
        /* the acknowledged skb that holds the key byte */
        uint32_t key = rec->end - 1;
        struct sk_buff *skb = tcp_sk(sk)->write_queue.first;
        for (; skb; skb = skb->next)
                if (!seq_before(key, TCP_SKB_CB(skb)->seq) &&
                    seq_before(key, TCP_SKB_CB(skb)->end_seq))
                        break;
        sock_tx_timestamp(sk, SCM_TSTAMP_ACK, key, skb);
}

int tcp_tskey_base(struct sock *sk, uint32_t *key)
{
        /* sock_set_timestamping: not on a closed or listening socket */
        if (sk->state == TCP_CLOSE || sk->state == TCP_LISTEN)
                return -EINVAL;
        *key = tcp_sk(sk)->snd_una;
        return 0;
}
