/*
 * TCP Fast Open (RFC 7413), client side, as Linux's tcp_sendmsg_fastopen,
 * tcp_send_syn_data, tcp_rcv_fastopen_synack and the cookie cache of
 * tcp_metrics.c.
 *
 * The client: sendto()/sendmsg() with MSG_FASTOPEN on an unconnected socket
 * connects with the data in the SYN when a cookie for the server is cached
 * (or net.ipv4.tcp_fastopen has TFO_CLIENT_NO_COOKIE, 0x4), else asks for
 * one; non-blocking it returns what the SYN carried or EINPROGRESS,
 * blocking it waits for the connection and sends the rest.  A connect()
 * with TCP_FASTOPEN_CONNECT and a cookie returns 0 at once and the SYN
 * leaves with the first write.  The cache keeps, per server address, the
 * cookie, its form (34 or experimental) and the server's MSS, which bounds
 * the data a SYN carries.  SYN data the SYN-ACK does not acknowledge is sent
 * again at once (TCPFastOpenActiveFail); acknowledged, TCPFastOpenActive.
 *
 * A SYN-ACK's own data (and FIN) is taken when the SYN was a Fast Open one.
 *
 * Not yet: blackhole detection (tcp_fastopen_blackhole_timeout_sec is kept;
 * 0, Linux's default, is off), IPv6.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "socket/sock.h"
#include "transport/tcp.h"
#include "transport/tcp_fastopen.h"
#include "transport/tcp_recovery.h"

static struct tcp_fastopen_cache *cache_find(struct net *net, uint32_t daddr, bool create)
{
        struct tcp_fastopen_net *fn = tcp_fastopen_net(net);
        struct tcp_fastopen_cache *lru = &fn->cache[0];
        for (int i = 0; i < TCP_FASTOPEN_CACHE_SIZE; i++) {
                struct tcp_fastopen_cache *e = &fn->cache[i];
                if (e->daddr == daddr)
                        return e;
                if (e->used < lru->used)
                        lru = e;
        }
        if (!create)
                return NULL;
        memset(lru, 0, sizeof(*lru));
        lru->daddr = daddr;
        return lru;
}

/* tcp_fastopen_cookie_check: may this SYN carry data?  *mss is the server's
 * cached MSS (0: none); the option to send is left in fo->opt_*. */
static bool cookie_check(struct sock *sk, uint16_t *mss)
{
        struct tcp_fastopen_sock *fo = tcp_sk(sk)->fo; /* the callers' sockets have it */
        struct tcp_fastopen_cache *e = cache_find(sk->net, sk->daddr, false);
        *mss = e ? e->mss : 0;
        if (e)
                e->used = net_now(sk->net);
        /* net.ipv4.tcp_fastopen_blackhole_timeout_sec: Strata does not
         * detect middleboxes dropping SYN data (0, Linux's default, is off) */
        if ((tcp_cfg(sk->net)->fastopen & TFO_CLIENT_NO_COOKIE) || fo->no_cookie) {
                fo->opt_pending = false;
                return true;
        }
        fo->opt_pending = true;
        fo->opt_len = e ? e->len : 0;
        fo->opt_exp = e && (e->len ? e->exp : e->try_exp == 1);
        if (fo->opt_len)
                memcpy(fo->opt_val, e->cookie, fo->opt_len);
        return fo->opt_len > 0;
}

/* The first n bytes of msg can be read: no NULL buffer among them (the one
 * bad address a library can tell; Linux's copy faults on any). */
static bool msg_readable(const struct msghdr *msg, size_t n)
{
        size_t done = 0;
        for (size_t i = 0; done < n && i < (size_t)msg->msg_iovlen; i++) {
                if (msg->msg_iov[i].iov_len && !msg->msg_iov[i].iov_base)
                        return false;
                done += msg->msg_iov[i].iov_len;
        }
        return true;
}

static void copy_from_msg(const struct msghdr *msg, uint8_t *dst, size_t n)
{
        size_t done = 0;
        for (size_t i = 0; done < n && i < (size_t)msg->msg_iovlen; i++) {
                size_t c = msg->msg_iov[i].iov_len;
                if (c > n - done)
                        c = n - done;
                memcpy(dst + done, msg->msg_iov[i].iov_base, c);
                done += c;
        }
}

bool tcp_fastopen_connect_syn(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_fastopen_sock *fo = tp->fo;
        struct net *net = sk->net;
        if (!fo || !fo->req)
                return false;
        fo->req = false;
        uint16_t cached_mss;
        bool data_ok = cookie_check(sk, &cached_mss);
        fo->copied = 0;
        struct sk_buff *skb = NULL;
        if (data_ok && fo->req_len) {
                /* tcp_send_syn_data: the MSS bounded by the server's cached
                 * one and TCP_MAXSEG, less the most options could take */
                uint32_t mss = tp->advmss;
                if (cached_mss && cached_mss < mss)
                        mss = cached_mss;
                if (tp->user_mss && tp->user_mss < mss)
                        mss = tp->user_mss;
                if (mss < 48 + 40)
                        mss = 48 + 40;
                size_t space = mss - 40;
                if (space > fo->req_len)
                        space = fo->req_len;
                if (!msg_readable(fo->req_msg, space)) {
                        /* the copy faults: a plain SYN asking for a cookie
                         * goes instead (tcp_send_syn_data's fallback) */
                        fo->opt_pending = true;
                        fo->opt_len = 0;
                        space = 0;
                }
                skb = space ? alloc_skb_tx(net, (uint32_t)space) : NULL;
                if (skb) {
                        copy_from_msg(fo->req_msg, skb_put(skb, (uint32_t)space), space);
                        TCP_SKB_CB(skb)->seq = tp->iss + 1;
                        TCP_SKB_CB(skb)->end_seq = tp->iss + 1 + (uint32_t)space;
                        TCP_SKB_CB(skb)->flags = TCPF_ACK | TCPF_PSH;
                        TCP_SKB_CB(skb)->retrans = 0;
                        tcp_wq_queue_tail(tp, skb);
                        tp->write_seq = tp->iss + 1 + (uint32_t)space;
                        tp->pushed_seq = tp->write_seq; /* tcp_connect, after the data */
                        fo->copied = (uint32_t)space;
                }
        }
        fo->req_msg = NULL;
        fo->req_len = 0;
        fo->syn_data = fo->copied > 0;
        tp->rtt_seq_time = net_now(net);
        tcp_transmit_skb(sk, skb, TCPF_SYN, tp->iss);
        tp->snd_nxt = tp->iss + 1 + fo->copied;
        tp->packets_out = skb ? 1 : 0; /* the data's skb went with the SYN */
        if (skb) {
                tp->send_head = NULL; /* gone with the SYN */
                tp->lsndtime = net_now(net);
                TCPEXT_INC(net, TCPOrigDataSent);
        }
        return true;
}

bool tcp_fastopen_defer_connect(struct sock *sk)
{
        struct tcp_fastopen_sock *fo = tcp_sk(sk)->fo;
        if (!fo || !fo->connect || fo->req)
                return false;
        uint16_t mss;
        if (cookie_check(sk, &mss)) {
                fo->defer_connect = true;
                fo->opt_pending = false; /* chosen again when the SYN goes */
                return true;
        }
        fo->req = true; /* no cookie: the SYN asks for one */
        return false;
}

/* msg without its first skip bytes, in iov (cap entries). */
static bool msg_skip(const struct msghdr *in, size_t skip, struct msghdr *out, struct iovec *iov,
                     size_t cap)
{
        size_t i = 0;
        while (i < (size_t)in->msg_iovlen && skip >= in->msg_iov[i].iov_len)
                skip -= in->msg_iov[i++].iov_len;
        size_t n = (size_t)in->msg_iovlen - i;
        if (n > cap)
                return false;
        memcpy(iov, in->msg_iov + i, n * sizeof(*iov));
        if (n) {
                iov[0].iov_base = (char *)iov[0].iov_base + skip;
                iov[0].iov_len -= skip;
        }
        *out = *in;
        out->msg_iov = iov;
        out->msg_iovlen = n;
        return true;
}

/* The connection a blocking Fast Open send started is up (or failed):
 * what the SYN did not carry goes now, as tcp_sendmsg_locked goes on. */
static ssize_t resume_blocking(struct sock *sk, const struct msghdr *msg, size_t len, int flags,
                               ssize_t (*send)(struct sock *, const struct msghdr *, size_t, int))
{
        struct tcp_fastopen_sock *fo = tcp_sk(sk)->fo; /* waiting: it exists */
        int e = sock_error(sk);
        if (sk->state == TCP_SYN_SENT && !e)
                return -EAGAIN;
        fo->wait = false;
        fo->write_pending = false;
        if (e || sk->state == TCP_CLOSE)
                return e ? -e : -ECONNRESET; /* inet_wait_for_connect failed */
        size_t skip = fo->copied;
        if (skip >= len)
                return (ssize_t)skip;
        struct iovec local[16];
        struct msghdr rest;
        if (!msg_skip(msg, skip, &rest, local, 16))
                return (ssize_t)skip; /* the caller sends the rest itself */
        ssize_t r = send(sk, &rest, len - skip, flags & ~MSG_FASTOPEN);
        if (r >= 0)
                return (ssize_t)skip + r;
        return r == -EAGAIN ? (ssize_t)skip : r;
}

bool tcp_fastopen_sendmsg(struct sock *sk, const struct msghdr *msg, size_t len, int flags,
                          ssize_t (*send)(struct sock *, const struct msghdr *, size_t, int),
                          ssize_t *ret)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_fastopen_sock *fo = tp->fo;
        if (!fo && !(flags & MSG_FASTOPEN))
                return false; /* the common case: no Fast Open here */
        if (!fo && !(fo = tcp_fastopen_get(sk))) {
                *ret = -ENOMEM;
                return true;
        }
        if (fo->wait) {
                /* the same call, woken by its wait loop -- or one that came
                 * after the wait ran out (SO_SNDTIMEO): only the same data
                 * may skip what the SYN carried */
                const void *base = msg->msg_iovlen ? msg->msg_iov[0].iov_base : NULL;
                if (base == fo->wait_base && len == fo->wait_len) {
                        *ret = resume_blocking(sk, msg, len, flags, send);
                        return true;
                }
                fo->wait = false;
                fo->write_pending = false;
        }
        if (!(flags & MSG_FASTOPEN) && !fo->defer_connect)
                return false;
        const struct sockaddr_in *to = msg->msg_name;
        if (!(tcp_cfg(sk->net)->fastopen & TFO_CLIENT_ENABLE) ||
            (to && msg->msg_namelen >= sizeof(sa_family_t) && to->sin_family == AF_UNSPEC)) {
                *ret = -EOPNOTSUPP;
                return true;
        }
        fo->req_msg = msg;
        fo->req_len = len;
        if (fo->defer_connect) {
                /* TCP_FASTOPEN_CONNECT: the SYN goes with this write */
                fo->defer_connect = false;
                fo->req = true;
                tcp_fastopen_connect_syn(sk);
                tcp_reset_rtx_timer(sk);
        } else if (sk->state == TCP_CLOSE) {
                if (!to || msg->msg_namelen < sizeof(*to)) {
                        fo->req_msg = NULL;
                        *ret = -EINVAL; /* tcp_v4_connect with no address */
                        return true;
                }
                if (to->sin_family != AF_INET) {
                        fo->req_msg = NULL;
                        *ret = -EAFNOSUPPORT;
                        return true;
                }
                fo->req = true;
                int err = sk->prot->connect(sk, ntohl(to->sin_addr.s_addr), ntohs(to->sin_port));
                if (err != -EINPROGRESS) {
                        fo->req = false;
                        fo->req_msg = NULL;
                        *ret = err;
                        return true;
                }
        } else {
                fo->req_msg = NULL;
                if (sk->state == TCP_SYN_SENT) {
                        *ret = -EALREADY; /* another connect is under way */
                        return true;
                }
                return false; /* connected: an ordinary send */
        }
        fo->req_msg = NULL;
        if (flags & MSG_DONTWAIT) {
                *ret = fo->copied ? (ssize_t)fo->copied : -EINPROGRESS;
                return true;
        }
        /* blocking: wait for the connection (the caller's wait loop calls
         * again), then send the rest */
        fo->wait = true;
        fo->wait_base = msg->msg_iovlen ? msg->msg_iov[0].iov_base : NULL;
        fo->wait_len = len;
        fo->write_pending = fo->copied < len;
        *ret = -EAGAIN;
        return true;
}

/* The SYN's data was sized before the server's MSS was known: cut what
 * goes again into segments of the MSS the handshake agreed on. */
static void split_to_mss(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t mss = tp->mss;
        for (struct sk_buff *skb = tp->write_queue.first; skb && mss; skb = skb->next)
                if (skb->len > mss && tcp_fragment(sk, skb, mss))
                        return; /* out of memory: it goes oversized; the peer still takes it */
}

/* tcp_fastopen_add_skb, for a SYN-ACK: its data is in sequence, readable
 * at once; a FIN with it closes the reading side. */
static void add_synack_data(struct sock *sk, struct sk_buff **skbp, const struct tcp_repr *th)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct sk_buff *skb = *skbp;
        bool fin = th->flags & TCPF_FIN;
        if (!skb->len && !fin)
                return;
        struct tcp_fastopen_sock *fo = tcp_fastopen_get(sk);
        if (fo)
                fo->syn_data_acked = true; /* as Linux marks it */
        if (skb->len) {
                tcp_fastopen_add_skb(sk, skb, th->seq + 1);
                *skbp = NULL;
        }
        if (fin) {
                tp->rcv_nxt++;
                tp->fin_received = true;
                sk->shutdown |= RCV_SHUTDOWN;
                tcp_set_state(sk, TCP_CLOSE_WAIT);
        }
        sock_wake(sk);
}

int tcp_fastopen_synack(struct sock *sk, struct sk_buff **skbp, const struct tcp_repr *th,
                        bool syn_retransmitted)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_fastopen_sock *fo = tp->fo;
        struct net *net = sk->net;
        if (!fo || (!fo->syn_fastopen && !fo->syn_data))
                return 0;
        const struct tcp_options *o = &th->opt;
        int clen = o->fo_ok ? o->fo_len : -1;
        bool data_lost = fo->syn_data && seq_before(tp->snd_una, tp->snd_nxt);
        bool syn_drop = false;
        int try_exp = 0;
        if (!fo->syn_fastopen)
                clen = -1; /* an unsolicited cookie is ignored */
        else if (syn_retransmitted)
                syn_drop = clen < 0 && data_lost;
        else if (clen < 0 && !fo->syn_data)
                try_exp = fo->syn_exp ? 2 : 1; /* asked, got nothing: the other form */
        /* tcp_fastopen_cache_set */
        struct tcp_fastopen_cache *e = cache_find(net, sk->daddr, true);
        e->used = net_now(net);
        if (o->mss_ok)
                e->mss = o->mss;
        if (clen > 0) {
                e->len = (uint8_t)clen;
                e->exp = o->fo_exp;
                memcpy(e->cookie, o->fo_cookie, (size_t)clen);
        } else if (try_exp > e->try_exp && !e->len && !e->exp) {
                e->try_exp = (uint8_t)try_exp;
        }
        (void)syn_drop; /* Linux counts SYN losses for its blackhole detection */
        if (data_lost) {
                /* the data the SYN carried goes again, at once, and
                 * carries the ACK (tcp_non_congestion_loss_retransmit) */
                TCPEXT_INC(net, TCPFastOpenActiveFail);
                split_to_mss(sk);
                /* the SYN's data is lost, each segment of it, and goes
                 * again through the scoreboard (tcpi_retrans counts it) */
                tp->packets_out = 0;
                for (struct sk_buff *d = tp->write_queue.first;
                     d && seq_before(TCP_SKB_CB(d)->seq, tp->snd_nxt); d = d->next) {
                        tp->packets_out++;
                        TCP_SKB_CB(d)->sacked |= TCPCB_LOST;
                        tp->sb.lost_out++;
                }
                tp->rtt_seq = 0;
                tcp_non_congestion_loss_retransmit(sk);
                tcp_push(sk); /* then what was written since */
                return 1;
        }
        fo->syn_data_acked = fo->syn_data;
        if (fo->syn_data_acked) {
                TCPEXT_INC(net, TCPFastOpenActive);
                /* SYN-data is one packet, counted twice above */
                if (tp->delivered > 1)
                        tp->delivered--;
        }
        add_synack_data(sk, skbp, th);
        return fo->write_pending ? 2 : 0;
}

void tcp_fastopen_cache_flush(struct net *net)
{
        struct tcp_fastopen_net *fn = tcp_fastopen_net(net);
        memset(fn->cache, 0, sizeof(fn->cache));
}
