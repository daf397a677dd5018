/*
 * The socket error queue: queueing with Linux's charging and merging rules,
 * recvmsg(MSG_ERRQUEUE), and the SO_ZEROCOPY / SO_TIMESTAMPING options.
 * See errqueue.h for the design.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <netinet/in.h>

#include "core/clock.h"
#include "core/net.h"
#include "socket/cmsg.h"
#include "socket/errqueue.h"
#include "socket/sock.h"

struct sock_errq *sock_errq_get(struct sock *sk)
{
        if (!sk->errq) {
                sk->errq = calloc(1, sizeof(*sk->errq));
                if (sk->errq)
                        skb_queue_init(&sk->errq->queue);
        }
        return sk->errq;
}

void sock_errq_clone(struct sock *child, const struct sock *parent)
{
        const struct sock_errq *p = parent->errq;
        if (!p || (!p->zerocopy && !p->tsflags))
                return;
        struct sock_errq *q = sock_errq_get(child);
        if (!q)
                return;
        q->zerocopy = p->zerocopy;
        q->tsflags = p->tsflags;
        q->tskey = p->tskey;
}

void sock_errq_purge(struct sock *sk)
{
        if (!sk->errq)
                return;
        struct sk_buff *skb;
        while ((skb = skb_dequeue(&sk->errq->queue))) {
                atomic_fetch_sub_explicit(&sk->rmem_alloc, (int)skb_truesize(skb),
                                          memory_order_relaxed);
                kfree_skb_reason(sk->net, skb, SKB_DROP_REASON_SOCKET_CLOSE);
        }
}

void sock_errq_free(struct sock *sk)
{
        sock_errq_purge(sk);
        if (sk->errq) {
                free(sk->errq->rec);
                free(sk->errq);
                sk->errq = NULL;
        }
}

int sock_errq_add_rec(struct sock_errq *q, const struct errq_rec *rec)
{
        if (q->nrec == q->caprec) {
                uint32_t cap = q->caprec ? 2 * q->caprec : 4;
                struct errq_rec *v = realloc(q->rec, cap * sizeof(*v));
                if (!v)
                        return -ENOBUFS;
                q->rec = v;
                q->caprec = cap;
        }
        q->rec[q->nrec++] = *rec;
        return 0;
}

void sock_errq_drop_recs(struct sock_errq *q, uint32_t n)
{
        if (n >= q->nrec) {
                q->nrec = 0;
                return;
        }
        memmove(q->rec, q->rec + n, (q->nrec - n) * sizeof(*q->rec));
        q->nrec -= n;
}

int sock_queue_err_skb(struct sock *sk, struct sk_buff *skb)
{
        /* sock_queue_err_skb: refused once it would pass sk_rcvbuf */
        if (atomic_load_explicit(&sk->rmem_alloc, memory_order_relaxed) + (int)skb_truesize(skb) >=
            sk->rcvbuf)
                return -ENOMEM;
        struct sock_errq *q = sock_errq_get(sk);
        if (!q)
                return -ENOMEM;
        atomic_fetch_add_explicit(&sk->rmem_alloc, (int)skb_truesize(skb), memory_order_relaxed);
        skb_queue_tail(&q->queue, skb);
        sock_wake(sk); /* sk_error_report */
        return 0;
}

void sock_queue_err_data(struct sock *sk, const struct sock_exterr_skb *serr, const void *data,
                         size_t len)
{
        if (len > SKB_LARGE_SIZE - SKB_HEADROOM)
                len = SKB_LARGE_SIZE - SKB_HEADROOM;
        struct sk_buff *skb = alloc_skb(sk->net, (uint32_t)len);
        if (!skb)
                return;
        if (len)
                memcpy(skb_put(skb, (uint32_t)len), data, len);
        *SKB_EXT_ERR(skb) = *serr;
        skb->tstamp = 0;
        if (sock_queue_err_skb(sk, skb))
                kfree_skb_reason(sk->net, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
}

/* skb_zerocopy_notify_extend: grow the tail's range lo..hi by len ids */
static bool zerocopy_extend(struct sk_buff *tail, uint32_t lo, uint32_t len)
{
        struct sock_exterr_skb *serr = SKB_EXT_ERR(tail);
        uint32_t old_lo = serr->ee.ee_info, old_hi = serr->ee.ee_data;
        uint64_t sum = (uint64_t)(old_hi - old_lo) + 1 + len;
        if (sum >= (1ull << 32) || lo != old_hi + 1)
                return false;
        serr->ee.ee_data = old_hi + len;
        return true;
}

void sock_zerocopy_notify(struct sock *sk, uint32_t lo, uint32_t hi, bool copied)
{
        if (atomic_load(&sk->dead))
                return; /* __msg_zerocopy_callback: nobody to tell */
        struct sk_buff *tail = sk->errq ? sk->errq->queue.last : NULL;
        if (tail && SKB_EXT_ERR(tail)->ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY &&
            zerocopy_extend(tail, lo, hi - lo + 1)) {
                sock_wake(sk); /* sk_error_report, merged or not */
                return;
        }
        struct sk_buff *skb = alloc_skb(sk->net, 0);
        if (!skb)
                return; /* as the kernel's failed allocation: the ids are lost */
        struct sock_exterr_skb *serr = SKB_EXT_ERR(skb);
        memset(serr, 0, sizeof(*serr));
        serr->ee.ee_errno = 0;
        serr->ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
        serr->ee.ee_info = lo;
        serr->ee.ee_data = hi;
        if (copied)
                serr->ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
        skb->tstamp = 0; /* no SCM_TIMESTAMPING with it */
        if (sock_queue_err_skb(sk, skb))
                kfree_skb_reason(sk->net, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
}

void sock_tx_timestamp(struct sock *sk, int tstype, uint32_t tskey, struct sk_buff *data)
{
        struct sock_errq *q = sk->errq;
        if (!q || atomic_load(&sk->dead))
                return;
        struct sk_buff *skb;
        if ((q->tsflags & SOF_TIMESTAMPING_OPT_TSONLY) || !data || !data->len)
                skb = alloc_skb(sk->net, 0);
        else
                skb = skb_clone(sk->net, data);
        if (!skb)
                return;
        struct sock_exterr_skb *serr = SKB_EXT_ERR(skb);
        memset(serr, 0, sizeof(*serr));
        serr->ee.ee_errno = ENOMSG;
        serr->ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
        serr->ee.ee_info = (uint32_t)tstype;
        if (q->tsflags & SOF_TIMESTAMPING_OPT_ID) /* a stream counts from sk_tskey */
                serr->ee.ee_data = sk->type == SOCK_STREAM ? tskey - q->tskey : tskey;
        skb->tstamp = clock_wall(sk->net->clock); /* __net_timestamp */
        if (sock_queue_err_skb(sk, skb))
                kfree_skb_reason(sk->net, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
}

void sock_tx_timestamp_dgram(struct sock *sk, struct sk_buff *skb, uint32_t tsflags)
{
        unsigned f = tsflags;
        if (!(f & (SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE)))
                return;
        struct sock_errq *q = sock_errq_get(sk); /* a cmsg may ask first */
        if (!q)
                return;
        /* __ip_append_data: one key per datagram with OPT_ID */
        uint32_t key = (q->tsflags & SOF_TIMESTAMPING_OPT_ID) ? q->tskey++ : 0;
        if (f & SOF_TIMESTAMPING_TX_SCHED)
                sock_tx_timestamp(sk, SCM_TSTAMP_SCHED, key, skb);
        if (f & SOF_TIMESTAMPING_TX_SOFTWARE)
                sock_tx_timestamp(sk, SCM_TSTAMP_SND, key, skb);
}

void sock_recv_timestamp(struct sock *sk, struct cmsg_writer *w, uint64_t t_ns)
{
        if (!t_ns)
                return;
        /* the namespace clock is monotonic; reports are wall-clock time */
        const struct strata_clock *c = sk->net->clock;
        uint64_t now = clock_now(c), wall = clock_wall(c);
        uint64_t t = wall - (now > t_ns ? now - t_ns : 0);
        if (sk->rcvtstamp) {
                if (sk->rcvtstampns) {
                        struct timespec ts = { .tv_sec = (time_t)(t / NSEC_PER_SEC),
                                               .tv_nsec = (long)(t % NSEC_PER_SEC) };
                        cmsg_put(w, SOL_SOCKET, SO_TIMESTAMPNS_OLD, &ts, sizeof(ts));
                } else {
                        struct timeval tv = { .tv_sec = (time_t)(t / NSEC_PER_SEC),
                                              .tv_usec = (suseconds_t)(t % NSEC_PER_SEC / 1000) };
                        cmsg_put(w, SOL_SOCKET, SO_TIMESTAMP_OLD, &tv, sizeof(tv));
                }
        }
        uint32_t f = sk->errq ? sk->errq->tsflags : 0;
        if ((f & SOF_TIMESTAMPING_SOFTWARE) && (f & SOF_TIMESTAMPING_RX_SOFTWARE)) {
                struct scm_timestamping tss;
                memset(&tss, 0, sizeof(tss));
                tss.ts[0].tv_sec = (time_t)(t / NSEC_PER_SEC);
                tss.ts[0].tv_nsec = (long)(t % NSEC_PER_SEC);
                cmsg_put(w, SOL_SOCKET, SCM_TIMESTAMPING, &tss, sizeof(tss));
        }
}

static bool is_icmp_err(struct sk_buff *skb)
{
        uint8_t o = SKB_EXT_ERR(skb)->ee.ee_origin;
        return o == SO_EE_ORIGIN_ICMP || o == SO_EE_ORIGIN_ICMP6;
}

/* sock_dequeue_err_skb: the next ICMP error, if one waits, becomes the
 * pending error; an ICMP error taken with none behind it clears it */
static struct sk_buff *dequeue_err(struct sock *sk)
{
        struct sk_buff *skb = sk->errq ? skb_dequeue(&sk->errq->queue) : NULL;
        if (!skb)
                return NULL;
        atomic_fetch_sub_explicit(&sk->rmem_alloc, (int)skb_truesize(skb), memory_order_relaxed);
        struct sk_buff *next = sk->errq->queue.first;
        bool icmp_next = next && is_icmp_err(next);
        if (icmp_next)
                sk->err = (int)SKB_EXT_ERR(next)->ee.ee_errno;
        else if (is_icmp_err(skb))
                sk->err = 0;
        if (next)
                sock_wake(sk);
        return skb;
}

ssize_t sock_recv_errqueue(struct sock *sk, struct msghdr *msg, size_t len)
{
        struct sk_buff *skb = dequeue_err(sk);
        if (!skb)
                return -EAGAIN;
        struct sock_exterr_skb *serr = SKB_EXT_ERR(skb);
        msg->msg_flags = 0;
        size_t copied = skb->len;
        if (copied > len) {
                msg->msg_flags |= MSG_TRUNC;
                copied = len;
        }
        size_t done = 0;
        for (size_t i = 0; i < (size_t)msg->msg_iovlen && done < copied; i++) {
                size_t n = msg->msg_iov[i].iov_len;
                if (n > copied - done)
                        n = copied - done;
                memcpy(msg->msg_iov[i].iov_base, skb->data + done, n);
                done += n;
        }
        struct cmsg_writer w;
        cmsg_begin(&w, msg);
        /* sock_recv_timestamp: a software report of a timestamp entry */
        uint32_t tsflags = sk->errq ? sk->errq->tsflags : 0;
        if (skb->tstamp && (tsflags & SOF_TIMESTAMPING_SOFTWARE)) {
                struct scm_timestamping tss;
                memset(&tss, 0, sizeof(tss));
                tss.ts[0].tv_sec = (time_t)(skb->tstamp / NSEC_PER_SEC);
                tss.ts[0].tv_nsec = (long)(skb->tstamp % NSEC_PER_SEC);
                cmsg_put(&w, SOL_SOCKET, SCM_TIMESTAMPING, &tss, sizeof(tss));
        }
        /* ip_recv_error: the address of an ICMP error's sender */
        struct {
                struct sock_extended_err ee;
                struct sockaddr_in offender;
        } errhdr;
        memset(&errhdr, 0, sizeof(errhdr));
        errhdr.ee = serr->ee;
        bool local = serr->ee.ee_origin == SO_EE_ORIGIN_LOCAL;
        if (is_icmp_err(skb)) {
                errhdr.offender.sin_family = AF_INET;
                errhdr.offender.sin_addr.s_addr = htonl(serr->offender);
        }
        if (is_icmp_err(skb) || local) {
                /* ipv4_datagram_support_addr: where the datagram went */
                if (msg->msg_name) {
                        struct sockaddr_in sin = { .sin_family = AF_INET,
                                                   .sin_port = htons(serr->port) };
                        sin.sin_addr.s_addr = htonl(serr->addr);
                        memcpy(msg->msg_name, &sin, sizeof(sin));
                        msg->msg_namelen = sizeof(sin);
                }
        }
        cmsg_put(&w, SOL_IP, IP_RECVERR, &errhdr, sizeof(errhdr));
        cmsg_end(&w);
        msg->msg_flags |= MSG_ERRQUEUE;
        consume_skb(skb);
        return (ssize_t)copied;
}

/* --- options ---------------------------------------------------------------- */

#define TS_TX_RECORD_MASK                                                                         \
        (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_SCHED | \
         SOF_TIMESTAMPING_TX_ACK)

int sock_cmsg_send(struct sock *sk, const struct msghdr *msg, uint32_t *tsflags)
{
        if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
                return msg->msg_controllen ? -EINVAL : 0;
        const char *base = msg->msg_control;
        size_t off = 0;
        while (off + sizeof(struct cmsghdr) <= msg->msg_controllen) {
                struct cmsghdr c;
                memcpy(&c, base + off, sizeof(c));
                /* CMSG_OK */
                if (c.cmsg_len < sizeof(struct cmsghdr) || c.cmsg_len > msg->msg_controllen - off)
                        return -EINVAL;
                if (c.cmsg_level == SOL_SOCKET) {
                        switch (c.cmsg_type) {
                        case SO_TIMESTAMPING: {
                                uint32_t v;
                                if (c.cmsg_len != CMSG_LEN(sizeof(v)))
                                        return -EINVAL;
                                memcpy(&v, base + off + CMSG_LEN(0), sizeof(v));
                                if (v & ~(uint32_t)TS_TX_RECORD_MASK)
                                        return -EINVAL;
                                *tsflags = (*tsflags & ~(uint32_t)TS_TX_RECORD_MASK) | v;
                                break;
                        }
                        case SCM_RIGHTS:
                        case SCM_CREDENTIALS:
                                break;
                        case SO_MARK:
                                return -EOPNOTSUPP; /* not built: a mark per send */
                        default:
                                return -EINVAL; /* SCM_TXTIME without SO_TXTIME, ... */
                        }
                }
                off += CMSG_ALIGN(c.cmsg_len);
        }
        return 0;
}

/* SOF_TIMESTAMPING_* that Strata produces or accepts as Linux does on a
 * device without hardware stamping (the hardware ones never report) */
#define TS_SUPPORTED                                                                              \
        (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE |                           \
         SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RX_SOFTWARE |                          \
         SOF_TIMESTAMPING_SOFTWARE |                              \
         SOF_TIMESTAMPING_SYS_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE |                         \
         SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_ACK |         \
         SOF_TIMESTAMPING_OPT_TSONLY | SOF_TIMESTAMPING_OPT_TX_SWHW)
#define TS_TX_RECORD (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_ACK)

static int set_timestamping(struct sock *sk, int val)
{
        unsigned v = (unsigned)val;
        if (v & ~(unsigned)SOF_TIMESTAMPING_MASK)
                return -EINVAL;
        if ((v & SOF_TIMESTAMPING_OPT_STATS) && !(v & SOF_TIMESTAMPING_OPT_TSONLY))
                return -EINVAL;
        /* not built: OPT_STATS, OPT_CMSG/OPT_PKTINFO, OPT_RX_FILTER, binding
         * a PHC -- refused rather than accepted and never honoured */
        if (v & ~(unsigned)TS_SUPPORTED)
                return -EOPNOTSUPP;
        bool stream = sk->type == SOCK_STREAM;
        /* transmit timestamps come from TCP and UDP so far */
        if ((v & TS_TX_RECORD) && !stream &&
            !(sk->type == SOCK_DGRAM && sk->protocol == IPPROTO_UDP))
                return -EOPNOTSUPP;
        struct sock_errq *q = sk->errq;
        if (!v && !q)
                return 0;
        q = sock_errq_get(sk);
        if (!q)
                return -ENOBUFS;
        if ((v & SOF_TIMESTAMPING_OPT_ID) && !(q->tsflags & SOF_TIMESTAMPING_OPT_ID)) {
                /* sock_set_timestamping: a TCP socket counts bytes from
                 * snd_una, so it must be connected or connecting */
                uint32_t key = 0;
                if (stream) {
                        if (!sk->prot->tskey_base)
                                return -EOPNOTSUPP;
                        int err = sk->prot->tskey_base(sk, &key);
                        if (err)
                                return err;
                }
                q->tskey = key;
        }
        q->tsflags = v;
        return 0;
}

int sock_errq_setsockopt(struct sock *sk, int name, int val)
{
        switch (name) {
        case SO_ZEROCOPY: {
                /* sock_setsockopt: TCP and UDP among the inet sockets */
                bool ok = sk->type == SOCK_STREAM ||
                          (sk->type == SOCK_DGRAM && sk->protocol == IPPROTO_UDP);
                if (!ok || sk->family != AF_INET)
                        return -EOPNOTSUPP;
                if (val < 0 || val > 1)
                        return -EINVAL;
                if (!val && !sk->errq)
                        return 0;
                struct sock_errq *q = sock_errq_get(sk);
                if (!q)
                        return -ENOBUFS;
                q->zerocopy = val;
                return 0;
        }
        case SO_TIMESTAMPING:
                return set_timestamping(sk, val);
        default:
                return -ENOPROTOOPT;
        }
}

int sock_errq_getsockopt(struct sock *sk, int name, int *val)
{
        switch (name) {
        case SO_ZEROCOPY:
                *val = sk->errq && sk->errq->zerocopy;
                return 0;
        case SO_TIMESTAMPING:
                *val = sk->errq ? (int)sk->errq->tsflags : 0;
                return 0;
        default:
                return -ENOPROTOOPT;
        }
}
