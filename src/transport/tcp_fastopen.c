/*
 * TCP Fast Open (RFC 7413), server side, as Linux's tcp_fastopen.c: keys and
 * cookies, the listener's queue, children made from SYN data, the socket
 * options and sysctls.
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
 * The client side is in tcp_fastopen_client.c.
 *
 * Not yet: a FIN in the SYN (the data is taken, the FIN left for the client
 * to send again), IPv6.
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
        const struct tcp_fastopen_sock *fo = tcp_fo(tcp_sk(sk));
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
        const struct tcp_fastopen_sock *fo = tcp_fo(tcp_sk(listener));
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
        return (tcp_cfg(listener->net)->fastopen & flag) || tcp_fo(tcp_sk(listener))->no_cookie;
}

static void set_synack_cookie(struct sock *sk, const uint8_t *val, bool exp)
{
        struct tcp_fastopen_sock *fo = tcp_fastopen_get(sk);
        if (!fo)
                return; /* out of memory: the SYN-ACK goes without a cookie */
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
        tp->fo->passive = true;
        /* tcp_create_openreq_child: the SYN-ACK is the listener's business
         * (its timer resends it), not data in flight */
        tp->snd_una = tp->iss + 1;
        tp->fo->listener = listener;
        sock_hold(listener);
        tcp_sk(listener)->fo->qlen++; /* queue_check: the listener's state exists */
        if (!skb->len)
                return;
        tcp_fastopen_add_skb(child, skb, th->seq + 1);
        tp->rcv_wup = tp->rcv_nxt;
        tp->fo->syn_data_acked = true;
        *skbp = NULL;
}

bool tcp_fastopen_try(struct sock *listener, struct sock *child, struct sk_buff **skbp,
                      const struct tcp_repr *th, uint32_t saddr, uint32_t daddr)
{
        struct net *net = listener->net;
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
                set_synack_cookie(child, valid, o->fo_exp); /* a cookie request */
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
                set_synack_cookie(child, valid, o->fo_exp);
                return false;
        }
        if (match == 2) {
                /* made with the backup key: the client gets the current one */
                set_synack_cookie(child, valid, o->fo_exp);
                TCPEXT_INC(net, TCPFastOpenPassiveAltKey);
        }
fastopen:
        if (!tcp_fastopen_get(child))
                return false; /* out of memory: the handshake first */
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
        struct tcp_fastopen_sock *fo = tcp_sk(sk)->fo;
        (void)flags;
        if (!fo || !fo->opt_pending)
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
        struct tcp_fastopen_sock *fo = tcp_sk(sk)->fo;
        struct sock *l = fo ? fo->listener : NULL;
        if (!l)
                return;
        fo->listener = NULL;
        tcp_sk(l)->fo->qlen--;
        sock_put(l);
}

/* fastopen_queue_tune */
static int queue_tune(struct sock *sk, int qlen)
{
        unsigned somax = (unsigned)sk->net->core.somaxconn;
        struct tcp_fastopen_sock *fo = tcp_fastopen_get(sk);
        if (!fo)
                return -ENOMEM;
        fo->max_qlen = (unsigned)qlen < somax ? (unsigned)qlen : somax;
        return 0;
}

void tcp_fastopen_listen(struct sock *sk, int backlog)
{
        int sysctl = tcp_cfg(sk->net)->fastopen;
        if ((sysctl & TFO_SERVER_WO_SOCKOPT1) && (sysctl & TFO_SERVER_ENABLE) &&
            !tcp_fo(tcp_sk(sk))->max_qlen && !queue_tune(sk, backlog))
                net_ctx(sk->net);
}

int tcp_fastopen_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
        struct tcp_fastopen_sock *fo;
        if (name == TCP_FASTOPEN_KEY) {
                /* one key, or a key and its backup */
                if (len != TCP_FASTOPEN_KEY_LENGTH && len != 2 * TCP_FASTOPEN_KEY_LENGTH)
                        return -EINVAL;
                if (!(fo = tcp_fastopen_get(sk)))
                        return -ENOMEM;
                if (!fo->ctx && !(fo->ctx = calloc(1, sizeof(*fo->ctx))))
                        return -ENOMEM;
                fo->ctx->nkeys = (int)(len / TCP_FASTOPEN_KEY_LENGTH);
                for (int k = 0; k < fo->ctx->nkeys; k++)
                        key_from_bytes(&fo->ctx->key[k], (const uint8_t *)val + 16 * k);
                return 0;
        }
        if (name != TCP_FASTOPEN && name != TCP_FASTOPEN_CONNECT && name != TCP_FASTOPEN_NO_COOKIE)
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
                return queue_tune(sk, v);
        case TCP_FASTOPEN_CONNECT:
                if (v < 0 || v > 1)
                        return -EINVAL;
                if (!(tcp_cfg(sk->net)->fastopen & TFO_CLIENT_ENABLE))
                        return -EOPNOTSUPP;
                if (sk->state != TCP_CLOSE)
                        return -EINVAL;
                if (!(fo = tcp_fastopen_get(sk)))
                        return -ENOMEM;
                fo->connect = v;
                return 0;
        default: /* TCP_FASTOPEN_NO_COOKIE */
                if (v < 0 || v > 1 || (sk->state != TCP_CLOSE && sk->state != TCP_LISTEN))
                        return -EINVAL;
                if (!(fo = tcp_fastopen_get(sk)))
                        return -ENOMEM;
                fo->no_cookie = v;
                return 0;
        }
}

int tcp_fastopen_getsockopt(struct sock *sk, int name, void *val, socklen_t *len)
{
        const struct tcp_fastopen_sock *fo = tcp_fo(tcp_sk(sk));
        int v;
        switch (name) {
        case TCP_FASTOPEN_KEY: {
                /* tcp_fastopen_get_cipher: the socket's keys, else the
                 * namespace's -- none (length 0) if never made */
                const struct tcp_fastopen_ctx *ctx =
                    fo->ctx ? fo->ctx : &tcp_fastopen_net(sk->net)->ctx;
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

const struct tcp_fastopen_sock tcp_fastopen_none;

void tcp_fastopen_add_skb(struct sock *sk, struct sk_buff *skb, uint32_t seq)
{
        struct tcp_sock *tp = tcp_sk(sk);
        TCP_SKB_CB(skb)->seq = seq;
        TCP_SKB_CB(skb)->end_seq = seq + skb->len;
        TCP_SKB_CB(skb)->consumed = 0;
        atomic_fetch_add(&sk->rmem_alloc, (int)skb_truesize(skb));
        tp->rcv_nxt = seq + skb->len;
        tp->bytes_received = skb->len;
        tp->lrcvtime = net_now(sk->net);
        skb_queue_tail(&sk->receive_queue, skb);
}

struct tcp_fastopen_sock *tcp_fastopen_get(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->fo)
                tp->fo = calloc(1, sizeof(*tp->fo));
        return tp->fo;
}

void tcp_fastopen_destroy(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_fastopen_synrecv_left(sk);
        if (tp->fo) {
                free(tp->fo->ctx);
                free(tp->fo);
                tp->fo = NULL;
        }
}
