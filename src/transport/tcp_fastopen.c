/*
 * TCP Fast Open (RFC 7413), server side, as Linux's tcp_fastopen.c.
 *
 * A client asks for a cookie with an empty Fast Open option in its SYN; the
 * server answers with one in the SYN-ACK.  Next time the client's SYN
 * carries the cookie and data: if the cookie is the one the server would
 * make for that client, the server creates the connection at once -- a child
 * in SYN_RECV with the data readable, on the accept queue before the
 * handshake completes -- and its SYN-ACK acknowledges the data.  A wrong
 * cookie is counted (TCPFastOpenPassiveFail) and answered with the right
 * one, the data left for the client to send again.
 *
 * The cookie is SipHash-2-4 of the client's and the server's address under
 * a 128-bit key, 8 bytes -- Linux's choice since 5.3 -- so a Strata server
 * gives the same cookie as a Linux server with the same key.  The key is
 * net.ipv4.tcp_fastopen_key (drawn at random on first use when never set)
 * or a listener's own (TCP_FASTOPEN_KEY); a second "backup" key is accepted
 * too, so keys can be rotated without refusing every cached cookie.
 *
 * Which listeners do it: net.ipv4.tcp_fastopen needs TFO_SERVER_ENABLE
 * (0x2), and the listener a Fast Open queue -- TCP_FASTOPEN's qlen, or its
 * backlog with TFO_SERVER_WO_SOCKOPT1 (0x400).  The queue bounds the
 * children still in SYN_RECV (TCPFastOpenListenOverflow beyond it).
 * TFO_SERVER_COOKIE_NOT_REQD (0x200) or TCP_FASTOPEN_NO_COOKIE takes data
 * without a cookie.
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
 * Not yet: a FIN in the SYN (the data is taken, the FIN left for the client
 * to send again), blackhole detection
 * (tcp_fastopen_blackhole_timeout_sec is kept; 0, the default, is off),
 * IPv6.
 */
#include "transport/tcp_fastopen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sysctl.h"
#include "core/trace.h"
#include "socket/sock.h"
#include "transport/tcp.h"
#include "wire/bytes.h"

/* "%x-%x-%x-%x" with an optional ",%x-%x-%x-%x" (proc_tcp_fastopen_key):
 * each 32-bit word goes to the key in little-endian order, as the kernel
 * stores it (cpu_to_le32), so the word a0bf63f7 is the bytes f7 63 bf a0. */
static int parse_keys(const char *s, struct tcp_fastopen_ctx *ctx)
{
        unsigned w[8];
        char tail;
        int n = sscanf(s, "%x-%x-%x-%x,%x-%x-%x-%x%c", &w[0], &w[1], &w[2], &w[3], &w[4], &w[5],
                       &w[6], &w[7], &tail);
        if (n != 4 && n != 8)
                return -EINVAL;
        if (n == 4 && sscanf(s, "%*x-%*x-%*x-%*x%c", &tail) == 1 && tail != '\n')
                return -EINVAL;
        ctx->nkeys = n / 4;
        for (int k = 0; k < ctx->nkeys; k++) {
                ctx->key[k].key[0] = (uint64_t)w[4 * k + 1] << 32 | w[4 * k];
                ctx->key[k].key[1] = (uint64_t)w[4 * k + 3] << 32 | w[4 * k + 2];
        }
        return 0;
}

static void format_keys(const struct tcp_fastopen_ctx *ctx, char *buf, size_t cap)
{
        size_t n = 0;
        buf[0] = 0;
        for (int k = 0; k < ctx->nkeys && n < cap; k++) {
                const struct siphash_key *x = &ctx->key[k];
                n += (size_t)snprintf(buf + n, cap - n, "%s%08x-%08x-%08x-%08x", k ? "," : "",
                                      (unsigned)x->key[0], (unsigned)(x->key[0] >> 32),
                                      (unsigned)x->key[1], (unsigned)(x->key[1] >> 32));
        }
}

/* Key bytes as TCP_FASTOPEN_KEY carries them: two little-endian words. */
static void key_from_bytes(struct siphash_key *k, const uint8_t *b)
{
        k->key[0] = k->key[1] = 0;
        for (int i = 0; i < 8; i++) {
                k->key[0] |= (uint64_t)b[i] << (8 * i);
                k->key[1] |= (uint64_t)b[8 + i] << (8 * i);
        }
}

static void key_to_bytes(const struct siphash_key *k, uint8_t *b)
{
        for (int i = 0; i < 8; i++) {
                b[i] = (uint8_t)(k->key[0] >> (8 * i));
                b[8 + i] = (uint8_t)(k->key[1] >> (8 * i));
        }
}

static int key_validate(struct net *net, const char *v)
{
        struct tcp_fastopen_ctx ctx;
        (void)net;
        return parse_keys(v, &ctx);
}

static void key_changed(struct net *net, const struct sysctl_entry *e)
{
        struct tcp_fastopen_net *fn = e->ctx;
        (void)net;
        if (parse_keys(e->str, &fn->ctx) == 0)
                format_keys(&fn->ctx, e->str, e->str_cap); /* shown as the kernel shows it */
}

int tcp_fastopen_sysctls_init(struct net *net, struct tcp_fastopen_net *fn, char *keybuf,
                              size_t keycap, int *blackhole_timeout)
{
        fn->ctx.nkeys = 0;
        fn->keystr = keybuf;
        fn->keycap = keycap;
        snprintf(keybuf, keycap, "00000000-00000000-00000000-00000000");
        int err = sysctl_register_str(net, "net.ipv4.tcp_fastopen_key", keybuf, keycap,
                                      key_validate, NULL);
        if (!err)
                err = sysctl_set_hook(net, "net.ipv4.tcp_fastopen_key", key_changed, fn);
        /* Linux's default since 5.14: 0, the blackhole detection is off */
        *blackhole_timeout = 0;
        if (!err)
                err = sysctl_register(net, "net.ipv4.tcp_fastopen_blackhole_timeout_sec",
                                      blackhole_timeout, 1, 0, 0x7fffffff, SYSCTL_UNIT_1, NULL);
        return err;
}

/* tcp_fastopen_init_key_once: a namespace that never set a key draws one. */
static const struct tcp_fastopen_ctx *net_ctx(struct net *net)
{
        struct tcp_fastopen_net *fn = tcp_fastopen_net(net);
        if (!fn->ctx.nkeys) {
                fn->ctx.nkeys = 1;
                fn->ctx.key[0].key[0] = random_u64(&net->rnd);
                fn->ctx.key[0].key[1] = random_u64(&net->rnd);
                format_keys(&fn->ctx, fn->keystr, fn->keycap);
        }
        return &fn->ctx;
}

/* tcp_fastopen_get_ctx: the listener's own keys, else the namespace's. */
static const struct tcp_fastopen_ctx *sock_ctx(struct sock *sk)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        return fo->ctx ? fo->ctx : net_ctx(sk->net);
}

static uint64_t cookie_gen(const struct siphash_key *key, uint32_t saddr, uint32_t daddr)
{
        uint8_t msg[8];
        put_be32(msg, saddr); /* as the IP header carries them */
        put_be32(msg + 4, daddr);
        return siphash(msg, sizeof(msg), key);
}

static void cookie_bytes(uint64_t h, uint8_t *out)
{
        for (int i = 0; i < TCP_FASTOPEN_COOKIE_SIZE; i++)
                out[i] = (uint8_t)(h >> (8 * i)); /* cpu_to_le64 */
}

int tcp_fastopen_cookie_for(const char *key, uint32_t saddr, uint32_t daddr,
                            uint8_t cookie[TCP_FASTOPEN_COOKIE_SIZE])
{
        struct tcp_fastopen_ctx ctx;
        int err = parse_keys(key, &ctx);
        if (err)
                return err;
        cookie_bytes(cookie_gen(&ctx.key[0], saddr, daddr), cookie);
        return 0;
}

/* tcp_fastopen_queue_check */
static bool queue_check(struct sock *listener)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(listener)->fo;
        if (!fo->max_qlen)
                return false;
        if (fo->qlen >= fo->max_qlen) {
                TCPEXT_INC(listener->net, TCPFastOpenListenOverflow);
                return false;
        }
        return true;
}

/* tcp_fastopen_no_cookie */
static bool no_cookie(struct sock *listener, int flag)
{
        return (tcp_cfg(listener->net)->fastopen & flag) || tcp_sk(listener)->fo.no_cookie;
}

static void set_synack_cookie(struct tcp_fastopen_sock *fo, const uint8_t *val, bool exp)
{
        fo->opt_pending = true;
        fo->opt_exp = exp;
        fo->opt_len = TCP_FASTOPEN_COOKIE_SIZE;
        memcpy(fo->opt_val, val, TCP_FASTOPEN_COOKIE_SIZE);
}

/* tcp_fastopen_create_child + tcp_fastopen_add_skb */
static void create_child(struct sock *listener, struct sock *child, struct sk_buff **skbp,
                         const struct tcp_repr *th)
{
        struct tcp_sock *tp = tcp_sk(child);
        struct sk_buff *skb = *skbp;
        tp->fo.passive = true;
        /* tcp_create_openreq_child: the SYN-ACK is the listener's business
         * (its timer resends it), not data in flight */
        tp->snd_una = tp->iss + 1;
        tp->fo.listener = listener;
        sock_hold(listener);
        tcp_sk(listener)->fo.qlen++;
        if (!skb->len)
                return;
        /* the SYN's data is in sequence: readable at once */
        TCP_SKB_CB(skb)->seq = th->seq + 1;
        TCP_SKB_CB(skb)->end_seq = th->seq + 1 + skb->len;
        TCP_SKB_CB(skb)->consumed = 0;
        atomic_fetch_add(&child->rmem_alloc, (int)skb_truesize(skb));
        tp->rcv_nxt = th->seq + 1 + skb->len;
        tp->rcv_wup = tp->rcv_nxt;
        tp->bytes_received = skb->len;
        tp->lrcvtime = net_now(child->net);
        tp->fo.syn_data_acked = true;
        skb_queue_tail(&child->receive_queue, skb);
        *skbp = NULL;
}

bool tcp_fastopen_try(struct sock *listener, struct sock *child, struct sk_buff **skbp,
                      const struct tcp_repr *th, uint32_t saddr, uint32_t daddr)
{
        struct net *net = listener->net;
        struct tcp_fastopen_sock *fo = &tcp_sk(child)->fo;
        const struct tcp_options *o = &th->opt;
        bool syn_data = (*skbp)->len > 0;
        bool has_foc = o->fo_ok;
        if (has_foc && o->fo_len == 0)
                TCPEXT_INC(net, TCPFastOpenCookieReqd);
        if (!(tcp_cfg(net)->fastopen & TFO_SERVER_ENABLE) || !(syn_data || has_foc) ||
            !queue_check(listener))
                return false;
        if (no_cookie(listener, TFO_SERVER_COOKIE_NOT_REQD))
                goto fastopen;
        if (!has_foc)
                return false; /* data without a cookie: the handshake first */
        const struct tcp_fastopen_ctx *ctx = sock_ctx(listener);
        uint8_t valid[TCP_FASTOPEN_COOKIE_SIZE];
        cookie_bytes(cookie_gen(&ctx->key[0], saddr, daddr), valid);
        if (o->fo_len == 0) {
                set_synack_cookie(fo, valid, o->fo_exp); /* a cookie request */
                return false;
        }
        /* tcp_fastopen_cookie_gen_check: the primary key, then the backup */
        int match = 0;
        for (int k = 0; !match && k < ctx->nkeys; k++) {
                uint8_t c[TCP_FASTOPEN_COOKIE_SIZE];
                cookie_bytes(cookie_gen(&ctx->key[k], saddr, daddr), c);
                if (o->fo_len == sizeof(c) && !memcmp(c, o->fo_cookie, sizeof(c)))
                        match = k + 1;
        }
        if (!match) {
                TCPEXT_INC(net, TCPFastOpenPassiveFail);
                TRACE(net, *skbp, IP_LOCAL, "tcp: Fast Open cookie refused: data not taken");
                set_synack_cookie(fo, valid, o->fo_exp);
                return false;
        }
        if (match == 2) {
                /* made with the backup key: the client gets the current one */
                set_synack_cookie(fo, valid, o->fo_exp);
                TCPEXT_INC(net, TCPFastOpenPassiveAltKey);
        }
fastopen:
        create_child(listener, child, skbp, th);
        TCPEXT_INC(net, TCPFastOpenPassive);
        return true;
}

void tcp_fastopen_child_ready(struct sock *listener, struct sock *child)
{
        /* inet_csk_reqsk_queue_add: acceptable before the handshake ends */
        tcp_accept_enqueue(listener, child);
        tcp_fastopen_arm_synack_timer(child);
}

void tcp_fastopen_arm_synack_timer(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint64_t rto = tp->rto << (tp->backoff > 12 ? 12 : tp->backoff);
        if (rto > TCP_RTO_MAX_NS)
                rto = TCP_RTO_MAX_NS;
        tp->probing = false;
        mod_timer(&sk->net->timers, &tp->rtx_timer, net_now(sk->net) + rto);
}

void tcp_fastopen_syn_options(struct sock *sk, uint8_t flags, struct tcp_options *o)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        (void)flags;
        if (!fo->opt_pending)
                return;
        /* only the first SYN or SYN-ACK: a retransmitted one carries none
         * (inet_rtx_syn_ack passes no cookie; tcp_send_syn_data sets the
         * cookie length to -1 for SYN retries), nor when the room is gone */
        fo->opt_pending = false;
        size_t need = ((fo->opt_exp ? 4u : 2u) + fo->opt_len + 3u) & ~3u;
        if (tcp_options_len(o) + need > TCP_HLEN_MAX - TCP_HLEN_MIN)
                return;
        o->fo_ok = true;
        o->fo_exp = fo->opt_exp;
        o->fo_len = fo->opt_len;
        memcpy(o->fo_cookie, fo->opt_val, fo->opt_len);
        if (!(flags & TCPF_ACK)) {
                fo->syn_fastopen = true;
                fo->syn_exp = fo->opt_exp;
        }
}

void tcp_fastopen_synrecv_left(struct sock *sk)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        struct sock *l = fo->listener;
        if (!l)
                return;
        fo->listener = NULL;
        tcp_sk(l)->fo.qlen--;
        sock_put(l);
}

/* --- client ---------------------------------------------------------------- */

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
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
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
        struct tcp_fastopen_sock *fo = &tp->fo;
        struct net *net = sk->net;
        if (!fo->req)
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
                        TCP_SKB_CB(skb)->more = 0;
                        tcp_wq_queue_tail(tp, skb);
                        tp->write_seq = tp->iss + 1 + (uint32_t)space;
                        fo->copied = (uint32_t)space;
                }
        }
        fo->req_msg = NULL;
        fo->req_len = 0;
        fo->syn_data = fo->copied > 0;
        tp->rtt_seq_time = net_now(net);
        tcp_transmit_skb(sk, skb, TCPF_SYN, tp->iss);
        tp->snd_nxt = tp->iss + 1 + fo->copied;
        if (skb) {
                tp->send_head = NULL; /* gone with the SYN */
                tp->lsndtime = net_now(net);
                TCPEXT_INC(net, TCPOrigDataSent);
        }
        return true;
}

bool tcp_fastopen_defer_connect(struct sock *sk)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        if (!fo->connect || fo->req)
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
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
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
        struct tcp_fastopen_sock *fo = &tp->fo;
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
        for (struct sk_buff *skb = tp->write_queue.first; skb && mss; skb = skb->next) {
                if (skb->len <= mss)
                        continue;
                uint32_t rest = skb->len - mss;
                struct sk_buff *n = alloc_skb_tx(sk->net, rest);
                if (!n)
                        return; /* it goes oversized; the peer still takes it */
                memcpy(skb_put(n, rest), skb->data + mss, rest);
                *TCP_SKB_CB(n) = *TCP_SKB_CB(skb);
                TCP_SKB_CB(n)->seq = TCP_SKB_CB(skb)->seq + mss;
                TCP_SKB_CB(skb)->end_seq = TCP_SKB_CB(skb)->seq + mss;
                TCP_SKB_CB(skb)->flags &= (uint8_t)~(TCPF_FIN | TCPF_PSH);
                skb_trim(skb, mss);
                n->prev = skb;
                n->next = skb->next;
                if (skb->next)
                        skb->next->prev = n;
                else
                        tp->write_queue.last = n;
                skb->next = n;
                tp->write_queue.qlen++;
                tp->wmem_queued += skb_truesize(n);
        }
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
        tp->fo.syn_data_acked = true; /* as Linux marks it */
        if (skb->len) {
                TCP_SKB_CB(skb)->seq = th->seq + 1;
                TCP_SKB_CB(skb)->end_seq = th->seq + 1 + skb->len;
                TCP_SKB_CB(skb)->consumed = 0;
                atomic_fetch_add(&sk->rmem_alloc, (int)skb_truesize(skb));
                tp->rcv_nxt = th->seq + 1 + skb->len;
                tp->bytes_received = skb->len;
                tp->lrcvtime = net_now(sk->net);
                skb_queue_tail(&sk->receive_queue, skb);
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
        struct tcp_fastopen_sock *fo = &tp->fo;
        struct net *net = sk->net;
        if (!fo->syn_fastopen && !fo->syn_data)
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
                tp->snd_nxt = tp->snd_una;
                tp->send_head = NULL;
                split_to_mss(sk);
                tp->total_retrans++;
                TCP_INC(net, RetransSegs);
                if (tp->write_queue.first)
                        TCP_SKB_CB(tp->write_queue.first)->retrans = 1;
                tp->rtt_seq = 0;
                /* a retransmission: Nagle does not hold its tail */
                tcp_push_mode(sk, TCP_PUSH_FORCE);
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

/* fastopen_queue_tune */
static void queue_tune(struct sock *sk, int qlen)
{
        unsigned somax = (unsigned)sk->net->core.somaxconn;
        tcp_sk(sk)->fo.max_qlen = (unsigned)qlen < somax ? (unsigned)qlen : somax;
}

void tcp_fastopen_listen(struct sock *sk, int backlog)
{
        int sysctl = tcp_cfg(sk->net)->fastopen;
        if ((sysctl & TFO_SERVER_WO_SOCKOPT1) && (sysctl & TFO_SERVER_ENABLE) &&
            !tcp_sk(sk)->fo.max_qlen) {
                queue_tune(sk, backlog);
                net_ctx(sk->net);
        }
}

int tcp_fastopen_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        if (name == TCP_FASTOPEN_KEY) {
                /* one key, or a key and its backup */
                if (len != TCP_FASTOPEN_KEY_LENGTH && len != 2 * TCP_FASTOPEN_KEY_LENGTH)
                        return -EINVAL;
                if (!fo->ctx && !(fo->ctx = calloc(1, sizeof(*fo->ctx))))
                        return -ENOMEM;
                fo->ctx->nkeys = (int)(len / TCP_FASTOPEN_KEY_LENGTH);
                for (int k = 0; k < fo->ctx->nkeys; k++)
                        key_from_bytes(&fo->ctx->key[k], (const uint8_t *)val + 16 * k);
                return 0;
        }
        if (name != TCP_FASTOPEN && name != TCP_FASTOPEN_CONNECT &&
            name != TCP_FASTOPEN_NO_COOKIE)
                return -ENOPROTOOPT;
        int v;
        if (len < sizeof(int))
                return -EINVAL;
        memcpy(&v, val, sizeof(v));
        switch (name) {
        case TCP_FASTOPEN:
                if (v < 0 || (sk->state != TCP_CLOSE && sk->state != TCP_LISTEN))
                        return -EINVAL;
                net_ctx(sk->net);
                queue_tune(sk, v);
                return 0;
        case TCP_FASTOPEN_CONNECT:
                if (v < 0 || v > 1)
                        return -EINVAL;
                if (!(tcp_cfg(sk->net)->fastopen & TFO_CLIENT_ENABLE))
                        return -EOPNOTSUPP;
                if (sk->state != TCP_CLOSE)
                        return -EINVAL;
                fo->connect = v;
                return 0;
        default: /* TCP_FASTOPEN_NO_COOKIE */
                if (v < 0 || v > 1 || (sk->state != TCP_CLOSE && sk->state != TCP_LISTEN))
                        return -EINVAL;
                fo->no_cookie = v;
                return 0;
        }
}

int tcp_fastopen_getsockopt(struct sock *sk, int name, void *val, socklen_t *len)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        int v;
        switch (name) {
        case TCP_FASTOPEN_KEY: {
                const struct tcp_fastopen_ctx *ctx = sock_ctx(sk);
                uint8_t b[TCP_FASTOPEN_KEY_MAX * TCP_FASTOPEN_KEY_LENGTH];
                for (int k = 0; k < ctx->nkeys; k++)
                        key_to_bytes(&ctx->key[k], b + 16 * k);
                socklen_t n = (socklen_t)(ctx->nkeys * TCP_FASTOPEN_KEY_LENGTH);
                if (*len < n)
                        n = *len;
                memcpy(val, b, n);
                *len = n;
                return 0;
        }
        case TCP_FASTOPEN:
                v = (int)fo->max_qlen;
                break;
        case TCP_FASTOPEN_CONNECT:
                v = fo->connect;
                break;
        case TCP_FASTOPEN_NO_COOKIE:
                v = fo->no_cookie;
                break;
        default:
                return -ENOPROTOOPT;
        }
        if (*len < sizeof(int))
                return -EINVAL;
        memcpy(val, &v, sizeof(v));
        *len = sizeof(v);
        return 0;
}

void tcp_fastopen_destroy(struct sock *sk)
{
        struct tcp_fastopen_sock *fo = &tcp_sk(sk)->fo;
        tcp_fastopen_synrecv_left(sk);
        free(fo->ctx);
        fo->ctx = NULL;
}
