/*
 * SYN cookies (see tcp_syncookies.h): the ISN and timestamp encodings,
 * the stateless SYN-ACK, and the check of the ACK that returns.  The
 * listener's queue decisions and the child are tcp_input.c's.
 */
#include "transport/tcp_syncookies.h"

#include <errno.h>
#include <netinet/in.h>

#include "core/siphash.h"
#include "transport/tcp.h"
#include "wire/bytes.h"
#include "wire/tcp.h"

#define COOKIEBITS           24 /* the low bits carry hash + MSS index */
#define COOKIEMASK           ((1u << COOKIEBITS) - 1)
#define TCP_SYNCOOKIE_PERIOD 60 /* s: the count in the high bits ticks once a minute */
#define MAX_SYNCOOKIE_AGE    2  /* counts a cookie stays valid */
#define TCP_SYNCOOKIE_VALID_MS (MAX_SYNCOOKIE_AGE * TCP_SYNCOOKIE_PERIOD * 1000u)

/* The low bits of a cookie SYN-ACK's tsval (cookie_init_timestamp) */
#define TSBITS             6
#define TS_OPT_WSCALE_MASK 0xf /* the peer's window scale; 15: none */
#define TS_OPT_SACK        0x10
#define TS_OPT_ECN         0x20

/* Linux's msstab: the MSS values most hosts announce, sorted. */
static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };
#define MSSTAB_LEN (sizeof(msstab) / sizeof(msstab[0]))

static void le32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

/* cookie_hash: SipHash of the 4-tuple and count under secret c
 * (siphash_4u32: four little-endian words; truncated as Linux's u32
 * return does). */
static uint32_t cookie_hash(struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
                            uint16_t dport, uint32_t count, int c)
{
        uint8_t b[16];
        le32(b, saddr);
        le32(b + 4, daddr);
        le32(b + 8, (uint32_t)sport << 16 | dport);
        le32(b + 12, count);
        return (uint32_t)siphash(b, sizeof(b), &tcp_syncookie_secret(net)[c]);
}

/* tcp_cookie_time: minutes of the namespace clock */
static uint32_t cookie_time(struct net *net)
{
        return (uint32_t)(net_now(net) / NSEC_PER_SEC / TCP_SYNCOOKIE_PERIOD);
}

/* secure_tcp_syn_cookie */
static uint32_t syn_cookie(struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
                           uint16_t dport, uint32_t sseq, uint32_t data)
{
        uint32_t count = cookie_time(net);
        return cookie_hash(net, saddr, daddr, sport, dport, 0, 0) + sseq + (count << COOKIEBITS) +
               ((cookie_hash(net, saddr, daddr, sport, dport, count, 1) + data) & COOKIEMASK);
}

/* check_tcp_syn_cookie: the data (MSS index) a cookie carries, or
 * 0xffffffff when it is older than MAX_SYNCOOKIE_AGE counts. */
static uint32_t check_syn_cookie(struct net *net, uint32_t cookie, uint32_t saddr, uint32_t daddr,
                                 uint16_t sport, uint16_t dport, uint32_t sseq)
{
        uint32_t count = cookie_time(net);
        cookie -= cookie_hash(net, saddr, daddr, sport, dport, 0, 0) + sseq;
        uint32_t diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
        if (diff >= MAX_SYNCOOKIE_AGE)
                return 0xffffffffu;
        return (cookie - cookie_hash(net, saddr, daddr, sport, dport, count - diff, 1)) &
               COOKIEMASK;
}

/* The listener remembers its last overflow in ts_recent_stamp (ms of the
 * namespace clock, 0: never), as Linux does in rx_opt.ts_recent_stamp. */
static void synq_overflow(struct sock *sk)
{
        struct tcp_sock *lp = tcp_sk(sk);
        uint32_t now = tcp_time_ms(sk->net) | 1;
        uint32_t last = lp->ts_recent_stamp;
        if (!last || now - last > 1000) /* at most once a second */
                lp->ts_recent_stamp = now;
}

/* tcp_synq_no_recent_overflow: cookies are only taken back within their
 * validity after the last one was sent. */
static bool synq_no_recent_overflow(struct sock *sk)
{
        uint32_t last = tcp_sk(sk)->ts_recent_stamp;
        uint32_t now = tcp_time_ms(sk->net);
        if (!last)
                return true;
        return now - (last - 1000) > 1000 + TCP_SYNCOOKIE_VALID_MS; /* !time_between32 */
}

bool tcp_syn_flood_action(struct sock *sk)
{
        if (tcp_cfg(sk->net)->syncookies) {
                TCPEXT_INC(sk->net, TCPReqQFullDoCookies);
                return true;
        }
        TCPEXT_INC(sk->net, TCPReqQFullDrop);
        return false;
}

void tcp_syncookie_synack(struct sock *sk, const struct tcp_repr *th, uint8_t ip_tos,
                          uint32_t saddr, uint32_t daddr)
{
        struct net *net = sk->net;
        struct tcp_sock *lp = tcp_sk(sk);
        const struct tcp_cfg *cfg = tcp_cfg(net);
        /* tcp_conn_request with want_cookie: without timestamps to carry
         * them, the SYN's other options are dropped (tcp_clear_options) */
        bool ts = th->opt.ts_ok && cfg->timestamps;
        bool ws_ok = ts && th->opt.ws_ok && cfg->window_scaling;
        bool sack_ok = ts && th->opt.sack_ok && cfg->sack;
        bool ecn_ok = ts && (th->flags & (TCPF_ECE | TCPF_CWR)) == (TCPF_ECE | TCPF_CWR) &&
                      (ip_tos & INET_ECN_MASK) == INET_ECN_NOT_ECT && cfg->ecn;
        /* cookie_v4_init_sequence: the largest table MSS the peer takes */
        uint16_t peer_mss = tcp_mss_clamp(lp, th->opt.mss_ok ? th->opt.mss : 536);
        uint32_t mssind = MSSTAB_LEN - 1;
        while (mssind && peer_mss < msstab[mssind])
                mssind--;
        uint32_t isn = syn_cookie(net, saddr, daddr, th->sport, th->dport, th->seq, mssind);
        synq_overflow(sk);
        TCPEXT_INC(net, SyncookiesSent);

        struct tcp_route_init ri;
        tcp_route_init(net, saddr, &ri);
        uint16_t advmss = tcp_mss_clamp(lp, ri.advmss);
        uint32_t wnd, clamp;
        uint8_t wscale;
        tcp_select_initial_window(net, sk->rcvbuf, advmss - (ts ? 12u : 0u), lp->window_clamp,
                                  ri.initrwnd, &wnd, &wscale, &clamp);
        struct tcp_repr r = {
                .sport = th->dport,
                .dport = th->sport,
                .seq = isn,
                .ack = th->seq + 1,
                .flags = TCPF_SYN | TCPF_ACK | (ecn_ok ? TCPF_ECE : 0),
                .window = (uint16_t)(wnd > 65535 ? 65535 : wnd),
        };
        r.opt.mss_ok = true;
        r.opt.mss = advmss;
        r.opt.ws_ok = ws_ok;
        r.opt.ws = wscale;
        r.opt.sack_ok = sack_ok;
        if (ts) {
                /* cookie_init_timestamp: the peer's options in the low
                 * bits, never ahead of our clock */
                uint32_t opts = ws_ok ? (th->opt.ws > 14 ? 14u : th->opt.ws) : TS_OPT_WSCALE_MASK;
                if (sack_ok)
                        opts |= TS_OPT_SACK;
                if (ecn_ok)
                        opts |= TS_OPT_ECN;
                uint32_t now = tcp_time_ms(net);
                uint32_t tsval = (now >> TSBITS) << TSBITS | opts;
                if (tsval > now)
                        tsval -= 1u << TSBITS;
                r.opt.ts_ok = true;
                r.opt.tsval = tsval;
                r.opt.tsecr = th->opt.tsval;
        }
        size_t hlen = TCP_HLEN_MIN + tcp_options_len(&r.opt);
        struct sk_buff *skb = alloc_skb_tx(net, (uint32_t)hlen);
        if (!skb)
                return;
        uint8_t *h = skb_put(skb, (uint32_t)hlen);
        tcp_emit(&r, h, hlen);
        put_be16(h + 16, tcp_csum_ipv4(daddr, saddr, h, hlen));
        skb->mark = (uint32_t)sk->mark;
        TCP_INC(net, OutSegs);
        uint8_t ttl = sk->uc_ttl > 0 ? (uint8_t)sk->uc_ttl : 0;
        ip_build_and_send(net, skb, daddr, saddr, IPPROTO_TCP_, sk->tos & (uint8_t)~INET_ECN_MASK,
                          ttl, sk->bound_dev_if, IP_PMTUDISC_DO);
}

int tcp_syncookie_check(struct sock *sk, const struct tcp_repr *th, uint32_t saddr,
                        uint32_t daddr, struct tcp_cookie_req *req)
{
        struct net *net = sk->net;
        const struct tcp_cfg *cfg = tcp_cfg(net);
        struct tcp_options *o = req->opt;
        if (!cfg->syncookies || !(th->flags & TCPF_ACK) || (th->flags & (TCPF_RST | TCPF_SYN)))
                return -ENOENT;
        if (synq_no_recent_overflow(sk))
                return -ENOENT;
        uint32_t mssind =
            check_syn_cookie(net, th->ack - 1, saddr, daddr, th->sport, th->dport, th->seq - 1);
        if (mssind >= MSSTAB_LEN) {
                TCPEXT_INC(net, SyncookiesFailed);
                return -ENOENT;
        }
        TCPEXT_INC(net, SyncookiesRecv);
        /* cookie_timestamp_decode: the echo brings the SYN's options back */
        *o = th->opt;
        o->sack_ok = o->ws_ok = false;
        o->ws = 0;
        req->ecn_ok = false;
        if (o->ts_ok) {
                uint32_t opts = o->tsecr;
                if (!cfg->timestamps)
                        return -ENOENT;
                o->sack_ok = (opts & TS_OPT_SACK) != 0;
                if (o->sack_ok && !cfg->sack)
                        return -ENOENT;
                if ((opts & TS_OPT_WSCALE_MASK) != TS_OPT_WSCALE_MASK) {
                        if (!cfg->window_scaling)
                                return -ENOENT;
                        o->ws_ok = true;
                        o->ws = (uint8_t)(opts & TS_OPT_WSCALE_MASK);
                }
                req->ecn_ok = (opts & TS_OPT_ECN) && cfg->ecn; /* cookie_ecn_ok */
        }
        o->mss_ok = true;
        o->mss = msstab[mssind];
        req->mss = msstab[mssind];
        return 0;
}
