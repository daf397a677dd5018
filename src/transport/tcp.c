/*
 * TCP socket operations and tables (Linux's tcp.c, tcp_ipv4.c and
 * inet_connection_sock.c, reduced).
 *
 * Two hash tables per namespace: bhash by local port (every bound socket:
 * bind conflicts and listener lookup) and ehash by the 4-tuple (connected
 * sockets, including SYN_RECV children and TIME_WAIT).  A socket in a
 * table holds a reference; closing the descriptor only starts the
 * protocol's goodbye (FIN, TIME_WAIT), and the socket is freed when it
 * leaves the tables.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ipv4.h"
#include "socket/cmsg.h"
#include "socket/errqueue.h"
#include "socket/porthash.h"
#include "socket/sockns.h"
#include "core/sysctl.h"
#include "core/siphash.h"
#include "transport/tcp.h"
#include "transport/tcp_errq.h"
#include "transport/tcp_cong.h"
#include "transport/tcp_info.h"
#include "transport/tcp_md5.h"
#include "transport/udp.h"

struct tcp_table {
        struct tcp_cfg cfg;
        struct port_hash bind; /* bhash: every bound socket, by local port */
        struct sock *lhash[64]; /* listeners by port (Linux's lhash2), chained through
                                 * ehash_next: a SYN never walks the connections
                                 * that share its listener's port */
        struct sock **ehash;
        uint32_t emask;
        uint32_t ecount;
        uint64_t isn_key[2];
        struct siphash_key syncookie_secret[2]; /* tcp_syncookies.c's two hashes */
        struct tcp_fastopen_net fastopen;
};

static struct tcp_table *tables(struct net *net)
{
        return ipv4_of(net)->tcp;
}

const struct tcp_cfg *tcp_cfg(struct net *net)
{
        return &tables(net)->cfg;
}

const struct siphash_key *tcp_syncookie_secret(struct net *net)
{
        return tables(net)->syncookie_secret;
}

struct tcp_fastopen_net *tcp_fastopen_net(struct net *net)
{
        return &tables(net)->fastopen;
}

static uint32_t mix(uint32_t h)
{
        h ^= h >> 16;
        h *= 0x7feb352du;
        h ^= h >> 15;
        h *= 0x846ca68bu;
        return h ^ (h >> 16);
}

static uint32_t ehashfn(uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport)
{
        return mix(laddr ^ mix(faddr) ^ ((uint32_t)lport << 16 | fport));
}

static struct sock **bbucket(struct tcp_table *t, uint16_t port)
{
        return port_hash_bucket(&t->bind, port);
}

static struct sock **ebucket(struct tcp_table *t, struct sock *sk)
{
        return &t->ehash[ehashfn(sk->rcv_saddr, sk->num, sk->daddr, sk->dport) & t->emask];
}

static void ehash_grow(struct tcp_table *t)
{
        uint32_t n = (t->emask + 1) * 2;
        struct sock **nb = calloc(n, sizeof(*nb));
        if (!nb)
                return;
        for (uint32_t i = 0; i <= t->emask; i++) {
                struct sock *sk = t->ehash[i], *next;
                for (; sk; sk = next) {
                        next = tcp_sk(sk)->ehash_next;
                        struct sock **b = &nb[ehashfn(sk->rcv_saddr, sk->num, sk->daddr,
                                                      sk->dport) &
                                              (n - 1)];
                        tcp_sk(sk)->ehash_next = *b;
                        *b = sk;
                }
        }
        free(t->ehash);
        t->ehash = nb;
        t->emask = n - 1;
}

static void bhash_add(struct sock *sk)
{
        port_hash_add(&tables(sk->net)->bind, sk);
}

static void bhash_del(struct sock *sk)
{
        port_hash_del(&tables(sk->net)->bind, sk);
}

/* Every TCP socket the kernel's inet_diag dump would list: listeners (from
 * bhash) first, then every connection in ehash -- with or without a
 * descriptor (SYN_RECV, TIME_WAIT, orphans on their way out). */
int tcp_for_each_sock(struct net *net, int (*fn)(struct sock *sk, void *ctx), void *ctx)
{
        struct tcp_table *t = tables(net);
        if (!t)
                return 0;
        for (uint32_t i = 0; t->bind.buckets && i <= t->bind.mask; i++)
                for (struct sock *sk = t->bind.buckets[i]; sk; sk = sk->hash_next)
                        if (sk->state == TCP_LISTEN) {
                                int err = fn(sk, ctx);
                                if (err)
                                        return err;
                        }
        for (uint32_t i = 0; t->ehash && i <= t->emask; i++)
                for (struct sock *sk = t->ehash[i]; sk; sk = tcp_sk(sk)->ehash_next) {
                        int err = fn(sk, ctx);
                        if (err)
                                return err;
                }
        return 0;
}

void tcp_ehash_add(struct sock *sk)
{
        struct tcp_table *t = tables(sk->net);
        if (t->ecount + 1 > (t->emask + 1) * 2)
                ehash_grow(t);
        struct sock **b = ebucket(t, sk);
        tcp_sk(sk)->ehash_next = *b;
        *b = sk;
        t->ecount++;
        sock_hold(sk);
}

static bool ehash_del(struct sock *sk)
{
        struct tcp_table *t = tables(sk->net);
        for (struct sock **pp = ebucket(t, sk); *pp; pp = &tcp_sk(*pp)->ehash_next)
                if (*pp == sk) {
                        *pp = tcp_sk(sk)->ehash_next;
                        t->ecount--;
                        sock_put(sk);
                        return true;
                }
        return false;
}

struct sock *tcp_lookup(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr,
                        uint16_t dport)
{
        struct tcp_table *t = tables(net);
        /* an established (or embryonic, or TIME_WAIT) connection first */
        uint32_t h = ehashfn(daddr, dport, saddr, sport) & t->emask;
        for (struct sock *sk = t->ehash[h]; sk; sk = tcp_sk(sk)->ehash_next)
                if (sk->num == dport && sk->dport == sport && sk->daddr == saddr &&
                    sk->rcv_saddr == daddr)
                        return sk;
        /* then a listener, preferring one bound to the address */
        struct sock *wild = NULL;
        for (struct sock *sk = t->lhash[dport & 63]; sk; sk = tcp_sk(sk)->ehash_next) {
                if (sk->num != dport)
                        continue;
                if (sk->rcv_saddr == daddr)
                        return sk;
                if (!sk->rcv_saddr)
                        wild = sk;
        }
        return wild;
}

/* Bind conflict (inet_csk_bind_conflict, reduced): another socket on the
 * port with an overlapping address, unless both set SO_REUSEADDR and none
 * listens, or both set SO_REUSEPORT. */
static bool port_in_use(struct sock *sk, uint16_t port)
{
        for (struct sock *o = *bbucket(tables(sk->net), port); o; o = o->hash_next) {
                if (o == sk || o->num != port)
                        continue;
                if (o->rcv_saddr && sk->rcv_saddr && o->rcv_saddr != sk->rcv_saddr)
                        continue;
                if (o->reuse && sk->reuse && o->state != TCP_LISTEN)
                        continue;
                if (o->reuseport && sk->reuseport && o->uid == sk->uid)
                        continue;
                if (o->state == TCP_TIME_WAIT && sk->reuse)
                        continue;
                return true;
        }
        return false;
}

static int tcp_get_port(struct sock *sk, uint16_t snum)
{
        struct ipv4_net *in = ipv4_of(sk->net);
        if (!snum) {
                int lo = in->ip_local_port_range[0], hi = in->ip_local_port_range[1];
                uint32_t n = hi >= lo ? (uint32_t)(hi - lo + 1) : 0;
                uint32_t off = n ? random_below(&sk->net->rnd, n) : 0;
                for (uint32_t i = 0; i < n; i++) {
                        uint16_t p = (uint16_t)(lo + (off + i) % n);
                        if (!port_in_use(sk, p)) {
                                snum = p;
                                break;
                        }
                }
                if (!snum)
                        return -EADDRINUSE;
        } else if (port_in_use(sk, snum)) {
                return -EADDRINUSE;
        }
        sk->num = snum;
        bhash_add(sk);
        return 0;
}

uint32_t tcp_time_ms(struct net *net)
{
        return (uint32_t)(net_now(net) / NSEC_PER_MSEC);
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * M a 4-microsecond timer; F a keyed hash (here a small SipHash-like mix
 * with a per-namespace random key). */
uint32_t tcp_isn(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
        struct tcp_table *t = tables(net);
        uint64_t v = t->isn_key[0] ^ ((uint64_t)saddr << 32 | daddr);
        v ^= t->isn_key[1] + ((uint64_t)sport << 16 | dport);
        for (int i = 0; i < 3; i++) {
                v ^= v >> 33;
                v *= 0xff51afd7ed558ccdull;
                v ^= v >> 29;
                v += t->isn_key[i & 1];
        }
        return (uint32_t)v + (uint32_t)(net_now(net) / 4000);
}

void tcp_route_init(struct net *net, uint32_t daddr, struct tcp_route_init *ri)
{
        struct rt_result rt;
        unsigned mtu = 1500;
        *ri = (struct tcp_route_init){ 0 };
        if (!ip_route_output(net, daddr, 0, 0, &rt)) {
                mtu = rt_mtu(&rt); /* ipv4_default_advmss: the path's, learned or not */
                ri->advmss = (uint16_t)fib_metric(rt.route, RTAX_ADVMSS); /* dst_metric_advmss */
                ri->initcwnd = fib_metric(rt.route, RTAX_INITCWND);       /* tcp_init_cwnd */
                ri->initrwnd = fib_metric(rt.route, RTAX_INITRWND);
        }
        if (mtu > 65535)
                mtu = 65535; /* lo: 65535 - 40 = 65495, as Linux advertises */
        if (!ri->advmss)
                ri->advmss = (uint16_t)(mtu - 40);
}

/* A listener goes into (or leaves) the listener table with its state. */
static void lhash_update(struct sock *sk, int old, int state)
{
        struct tcp_table *t = tables(sk->net);
        struct sock **b = &t->lhash[sk->num & 63];
        if (state == TCP_LISTEN && old != TCP_LISTEN) {
                tcp_sk(sk)->ehash_next = *b;
                *b = sk;
        } else if (old == TCP_LISTEN && state != TCP_LISTEN) {
                for (struct sock **pp = b; *pp; pp = &tcp_sk(*pp)->ehash_next)
                        if (*pp == sk) {
                                *pp = tcp_sk(sk)->ehash_next;
                                tcp_sk(sk)->ehash_next = NULL;
                                break;
                        }
        }
}

void tcp_set_state(struct sock *sk, int state)
{
        struct net *net = sk->net;
        int old = sk->state;
        if ((state == TCP_LISTEN) != (old == TCP_LISTEN))
                lhash_update(sk, old, state);
        if (state == TCP_ESTABLISHED && old != TCP_ESTABLISHED)
                TCP_INC(net, CurrEstab);
        else if (old == TCP_ESTABLISHED && state != TCP_ESTABLISHED)
                net->mib.tcp[TCP_MIB_CurrEstab]--;
        /* tcp_set_state: any direct end of an established connection */
        if (state == TCP_CLOSE && (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT))
                TCP_INC(net, EstabResets);
        sk->state = (uint8_t)state;
        if (old == TCP_SYN_RECV && state != TCP_SYN_RECV)
                tcp_fastopen_synrecv_left(sk);
        if (state == TCP_ESTABLISHED && old != TCP_ESTABLISHED) {
                /* tcp_finish_connect / tcp_create_openreq_child: the
                 * idle clocks of tcp_info start with the connection */
                struct tcp_sock *tp = tcp_sk(sk);
                tp->lsndtime = tp->lrcvtime = net_now(net);
                tcp_init_rcv_side(sk); /* tcp_init_transfer */
                tp->cong->init(tp);    /* tcp_init_congestion_control */
                tcp_sndbuf_expand(sk); /* tcp_init_buffer_space */
                tcp_reset_keepalive(sk);
        }
        sock_wake(sk);
}

/* The connection is over: leave the tables (dropping their references). */
void tcp_done(struct sock *sk)
{
        tcp_errq_done(sk);
        tcp_set_state(sk, TCP_CLOSE);
        tcp_stop_timers(sk);
        sock_hold(sk);
        ehash_del(sk);
        bhash_del(sk);
        sk->shutdown = RCV_SHUTDOWN | SEND_SHUTDOWN;
        sock_wake(sk);
        sock_put(sk);
}

/*
 * Enter TIME_WAIT the way Linux's tcp_time_wait() does: a separate small
 * socket keeps the 4-tuple and the sequence numbers for 60 s (to ACK a
 * retransmitted FIN and keep the port), while the socket the application
 * holds is done at once -- it reads TCP_CLOSE, as on Linux.
 */
static void time_wait(struct sock *sk, bool fin_wait2, uint64_t tmo)
{
        struct net *net = sk->net;
        int err;
        struct sock *tw = sk_alloc(net, sk->family, sk->type, sk->protocol, &tcp_prot, &err);
        if (tw) {
                struct tcp_sock *tt = tcp_sk(tw), *tp = tcp_sk(sk);
                tt->rcv_nxt = tp->rcv_nxt;
                tt->snd_nxt = tp->snd_nxt;
                tt->snd_una = tp->snd_una;
                tt->rcv_wnd = tp->rcv_wnd;
                tt->rcv_wup = tp->rcv_wup;
                tt->rcv_wscale = tp->rcv_wscale;
                tt->snd_wscale = tp->snd_wscale;
                tt->tstamp_ok = tp->tstamp_ok;
                tt->ts_recent = tp->ts_recent;
                tt->advmss = tp->advmss;
                tt->mss = tp->mss;
                tw->rcv_saddr = sk->rcv_saddr;
                tw->saddr = sk->saddr;
                tw->daddr = sk->daddr;
                tw->dport = sk->dport;
                tw->num = sk->num;
                tw->state = TCP_TIME_WAIT;
                tt->tw_fin_wait2 = fin_wait2;
                tw->uc_ttl = sk->uc_ttl;
                tw->mark = sk->mark;
                tw->bound_dev_if = sk->bound_dev_if;
                atomic_store(&tw->dead, true); /* no descriptor will wait on it */
        }
        tcp_done(sk);
        if (!tw)
                return;
        /* LINUX_MIB_TIMEWAITED counts when the wait is scheduled
         * (__inet_twsk_schedule; measured on the kernel: +1 at once) */
        TCPEXT_INC(net, TW);
        bhash_add(tw);
        tcp_ehash_add(tw);
        mod_timer(&net->timers, &tcp_sk(tw)->ka_timer, net_now(net) + tmo);
        sock_put(tw); /* the tables hold it */
}

void tcp_enter_timewait(struct sock *sk)
{
        time_wait(sk, false, TCP_TIMEWAIT_NS);
}

void tcp_enter_fin_wait2_wait(struct sock *sk, uint64_t tmo)
{
        time_wait(sk, true, tmo);
}

uint64_t tcp_fin_time(const struct sock *sk)
{
        const struct tcp_sock *tp = tcp_sk((struct sock *)sk);
        uint64_t t = (uint64_t)(tp->linger2 > 0 ? tp->linger2 : tcp_cfg(sk->net)->fin_timeout) *
                     NSEC_PER_SEC;
        uint64_t floor = (tp->rto << 2) - (tp->rto >> 1); /* 3.5 RTO */
        return t < floor ? floor : t;
}

bool tcp_fin_wait2_orphan(struct sock *sk, bool fin_coming)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tp->linger2 < 0) {
                /* TCP_LINGER2 -1: no waiting for the peer's FIN at all */
                TCPEXT_INC(sk->net, TCPAbortOnLinger);
                tcp_send_reset(sk);
                tcp_done(sk);
                return true;
        }
        uint64_t tmo = tcp_fin_time(sk);
        if (tmo > TCP_TIMEWAIT_NS) {
                /* the keepalive timer holds it until a TIME_WAIT socket
                 * can wait the rest */
                mod_timer(&sk->net->timers, &tp->ka_timer, net_now(sk->net) + tmo - TCP_TIMEWAIT_NS);
                return false;
        }
        if (fin_coming) {
                /* this very segment carries the FIN: TIME_WAIT follows */
                mod_timer(&sk->net->timers, &tp->ka_timer, net_now(sk->net) + tmo);
                return false;
        }
        tcp_enter_fin_wait2_wait(sk, tmo);
        return true;
}

static int tcp_init_sock(struct sock *sk)
{
        struct tcp_sock *tp = sk->proto_data; /* tcp_prot.obj_size */
        tp->sk = sk;
        skb_queue_init(&tp->write_queue);
        skb_queue_init(&tp->ooo_queue);
        tp->rto = TCP_TIMEOUT_INIT;
        tp->snd_cwnd = TCP_INIT_CWND;
        tp->snd_ssthresh = 0x7fffffff;
        tp->mss = 536;
        const struct tcp_cfg *cfg = tcp_cfg(sk->net);
        tp->cong = tcp_cong_find(cfg->congestion_control);
        if (!tp->cong)
                tp->cong = tcp_cong_find("reno");
        tp->cong->init(tp);
        tp->sb.reordering = (uint32_t)cfg->reordering; /* dupthresh */
        tp->sb.reo_wnd_steps = 1;
        /* tcp_init_sock: buffers from tcp_rmem[1] / tcp_wmem[1] */
        sk->rcvbuf = cfg->rmem[1];
        sk->sndbuf = cfg->wmem[1];
        tcp_init_timers(sk);
        return 0;
}

static void tcp_destroy(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp)
                return;
        tcp_stop_timers(sk);
        tcp_fastopen_destroy(sk);
        tcp_sack_free(tp);
        tcp_md5_free(sk);
        free(tp->lq);
        tp->lq = NULL;
        if (tp->cong && tp->cong->release)
                tp->cong->release(tp);
        /* a child never accepted (reset with its listener) still holds
         * what arrived for it: no close() emptied its receive queue */
        struct sk_buff *skb;
        while ((skb = sock_dequeue(sk)))
                kfree_skb_reason(sk->net, skb, SKB_DROP_REASON_SOCKET_CLOSE);
        skb_queue_purge_reason(sk->net, &tp->write_queue, SKB_DROP_REASON_SOCKET_CLOSE);
        skb_queue_purge_reason(sk->net, &tp->ooo_queue, SKB_DROP_REASON_SOCKET_CLOSE);
        sk->proto_data = NULL; /* freed with the socket */
}

static int tcp_bind(struct sock *sk, uint32_t addr, uint16_t port)
{
        struct ipv4_net *in = ipv4_of(sk->net);
        if (addr && !sk->freebind && !inet_addr_local(sk->net, addr)) /* inet_can_nonlocal_bind */
                return -EADDRNOTAVAIL;
        if (port && port < in->ip_unprivileged_port_start && sk->uid != 0)
                return -EACCES;
        if (sk->num || sk->state != TCP_CLOSE)
                return -EINVAL;
        sk->rcv_saddr = sk->saddr = addr;
        int err = tcp_get_port(sk, port);
        if (err) {
                sk->rcv_saddr = sk->saddr = 0;
                return err;
        }
        if (addr)
                sk->userlocks |= SOCK_BINDADDR_LOCK;
        if (port)
                sk->userlocks |= SOCK_BINDPORT_LOCK;
        return 0;
}

static int tcp_autobind(struct sock *sk)
{
        return 0; /* TCP binds in connect and listen, not before */
}

static int tcp_connect(struct sock *sk, uint32_t daddr, uint16_t dport)
{
        struct net *net = sk->net;
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_SYN_SENT) /* __inet_stream_connect, SS_CONNECTING */
                return tcp_fo(tp)->defer_connect ? -EISCONN : -EALREADY;
        if (sk->state == TCP_ESTABLISHED)
                return -EISCONN;
        if (sk->state != TCP_CLOSE)
                return -EINVAL;
        struct rt_result rt;
        int err = ip_route_output_sk(sk, daddr, &rt);
        if (err) {
                if (err == -ENETUNREACH)
                        IP_INC(net, OutNoRoutes);
                return err;
        }
        if (rt.type == RTN_BROADCAST || rt.type == RTN_MULTICAST)
                return -ENETUNREACH;
        if (!sk->saddr)
                sk->saddr = rt.saddr;
        if (!sk->rcv_saddr)
                sk->rcv_saddr = sk->saddr;
        if (!sk->num) {
                err = tcp_get_port(sk, 0);
                if (err)
                        return -EAGAIN; /* no ephemeral port: Linux says EADDRNOTAVAIL? */
        }
        sk->daddr = daddr;
        sk->dport = dport;
        struct tcp_route_init ri;
        tcp_route_init(net, daddr, &ri);
        tp->advmss = tcp_mss_clamp(tp, ri.advmss);
        tp->mss = tp->advmss;
        if (ri.initcwnd)
                tp->snd_cwnd = ri.initcwnd;
        tp->iss = tcp_isn(net, sk->saddr, sk->num, daddr, dport);
        /* tcp_connect_init: the first offer in whole segments of advmss */
        tcp_init_windows(sk, tp->advmss, ri.initrwnd);
        tp->snd_una = tp->iss;
        tp->snd_nxt = tp->iss;
        tp->snd_sml = tp->iss; /* tcp_connect_init: no small segment out */
        tp->write_seq = tp->iss + 1;
        tp->pushed_seq = tp->write_seq; /* tcp_connect */
        tcp_set_state(sk, TCP_SYN_SENT);
        tcp_ehash_add(sk);
        TCP_INC(net, ActiveOpens);
        if (tcp_fastopen_defer_connect(sk))
                return 0; /* TCP_FASTOPEN_CONNECT: the SYN leaves with the first write */
        tp->rtt_seq_time = net_now(net);
        if (!tcp_fastopen_connect_syn(sk)) {
                tcp_transmit_skb(sk, NULL, TCPF_SYN, tp->iss);
                tp->snd_nxt = tp->iss + 1;
        }
        tcp_reset_rtx_timer(sk);
        return -EINPROGRESS;
}

static int tcp_connect_done(struct sock *sk, int *result)
{
        if (sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECV)
                return 0;
        int e = sock_error(sk);
        *result = e ? -e : (sk->state == TCP_CLOSE ? -ECONNREFUSED : 0);
        return 1;
}

static int tcp_disconnect(struct sock *sk)
{
        /* connect(AF_UNSPEC) on TCP aborts the connection (tcp_disconnect) */
        if (sk->state != TCP_CLOSE && sk->state != TCP_LISTEN) {
                tcp_send_reset(sk);
                tcp_done(sk);
        }
        return 0;
}

const struct tcp_listen_q tcp_listen_none;

struct tcp_listen_q *tcp_lq_get(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->lq)
                tp->lq = calloc(1, sizeof(*tp->lq));
        return tp->lq;
}

static int tcp_listen(struct sock *sk, int backlog)
{
        struct net *net = sk->net;
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state != TCP_CLOSE && sk->state != TCP_LISTEN)
                return -EINVAL;
        /* min(backlog, net.core.somaxconn), as __sys_listen */
        if ((unsigned)backlog > (unsigned)net->core.somaxconn)
                backlog = net->core.somaxconn;
        if (!tcp_lq_get(sk))
                return -ENOMEM;
        tp->lq->backlog = backlog;
        tcp_fastopen_listen(sk, backlog);
        if (sk->state == TCP_LISTEN)
                return 0;
        if (!sk->num) {
                int err = tcp_get_port(sk, 0);
                if (err)
                        return err;
        }
        tcp_set_state(sk, TCP_LISTEN);
        return 0;
}

struct sock *tcp_child_new(struct sock *parent, uint32_t saddr, uint16_t sport, uint32_t daddr,
                           uint16_t dport)
{
        int err;
        struct sock *c = sk_alloc(parent->net, parent->family, parent->type, parent->protocol,
                                  &tcp_prot, &err);
        if (!c)
                return NULL;
        c->rcv_saddr = c->saddr = daddr;
        c->num = dport;
        c->daddr = saddr;
        c->dport = sport;
        c->rcvbuf = parent->rcvbuf;
        c->sndbuf = parent->sndbuf;
        /* buffers the application sized stay as it set them (no autotuning) */
        c->userlocks |= parent->userlocks & (SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK);
        c->uc_ttl = parent->uc_ttl;
        c->tos = parent->tos;
        c->pmtudisc = parent->pmtudisc;
        struct tcp_sock *tp = tcp_sk(c);
        tp->parent = parent;
        /* sk_clone_lock copies the options a listener was given */
        struct tcp_sock *pp = tcp_sk(parent);
        c->keepalive = parent->keepalive;
        c->reuse = parent->reuse; /* a later listener may share the port */
        c->reuseport = parent->reuseport;
        c->freebind = parent->freebind;
        c->uid = parent->uid;
        tp->nodelay = pp->nodelay;
        tp->cork = pp->cork;
        tp->keepidle = pp->keepidle;
        tp->keepintvl = pp->keepintvl;
        tp->keepcnt = pp->keepcnt;
        tp->linger2 = pp->linger2;
        if (pp->md5_keys && tcp_md5_copy(c, parent, saddr)) {
                tp->parent = NULL; /* out of memory: no child without its key */
                sock_put(c);
                return NULL;
        }
        tp->window_clamp = pp->window_clamp; /* TCP_WINDOW_CLAMP, or 0 */
        tp->user_timeout_ms = pp->user_timeout_ms;
        tp->notsent_lowat = pp->notsent_lowat;
        tp->user_mss = pp->user_mss;
        tp->recvmsg_inq = pp->recvmsg_inq;
        sock_errq_clone(c, parent); /* SO_ZEROCOPY, SO_TIMESTAMPING */
        sock_hold(parent);
        bhash_add(c);
        return c;
}

void tcp_accept_enqueue(struct sock *parent, struct sock *child)
{
        struct tcp_sock *pt = tcp_sk(parent);
        tcp_sk(child)->accept_next = NULL;
        if (pt->lq->accept_q_last)
                tcp_sk(pt->lq->accept_q_last)->accept_next = child;
        else
                pt->lq->accept_q_first = child;
        pt->lq->accept_q_last = child;
        pt->lq->accept_qlen++;
        sock_hold(child);
        sock_wake(parent);
}

static struct sock *tcp_accept(struct sock *sk, int *err)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state != TCP_LISTEN) {
                *err = -EINVAL;
                return NULL;
        }
        struct sock *c = tp->lq->accept_q_first;
        if (!c) {
                *err = -EAGAIN;
                return NULL;
        }
        tp->lq->accept_q_first = tcp_sk(c)->accept_next;
        if (!tp->lq->accept_q_first)
                tp->lq->accept_q_last = NULL;
        tp->lq->accept_qlen--;
        tcp_sk(c)->parent = NULL;
        sock_put(sk);
        return c; /* the queue's reference becomes the descriptor's */
}

static bool tcp_writable(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if ((int)tp->wmem_queued >= sk->sndbuf)
                return false;
        /* tcp_stream_memory_free: TCP_NOTSENT_LOWAT bounds what waits unsent */
        unsigned lowat = tp->notsent_lowat ? tp->notsent_lowat : tcp_cfg(sk->net)->notsent_lowat;
        return tp->write_seq - tp->snd_nxt < lowat;
}

static unsigned tcp_poll(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        unsigned mask = 0;
        if (sk->state == TCP_LISTEN)
                return tp->lq->accept_q_first ? (POLLIN | POLLRDNORM) : 0;
        if (sk->state == TCP_SYN_SENT && tcp_fo(tp)->defer_connect)
                return POLLOUT | POLLWRNORM; /* write() sends the SYN with data */
        if (sk->err || sock_errq_pending(sk))
                mask |= POLLERR;
        if (tp->urg_data & TCP_URG_VALID)
                mask |= POLLPRI;
        if (sk->shutdown == (RCV_SHUTDOWN | SEND_SHUTDOWN) || sk->state == TCP_CLOSE)
                mask |= POLLHUP;
        if ((sk->shutdown & RCV_SHUTDOWN) || tp->fin_received)
                mask |= POLLIN | POLLRDNORM | POLLRDHUP;
        /* a Fast Open child is readable and writable in SYN_RECV */
        if (sk->state != TCP_SYN_SENT && (sk->state != TCP_SYN_RECV || tcp_fo(tp)->passive)) {
                if (sk->receive_queue.first && !(tp->urg_data && tcp_urg_only(sk)))
                        mask |= POLLIN | POLLRDNORM;
                /* tcp_poll: a shut sending side (a reset, a timeout) is
                 * writable -- the write reports the error */
                if (!(sk->shutdown & SEND_SHUTDOWN)) {
                        if (tcp_writable(sk))
                                mask |= POLLOUT | POLLWRNORM;
                        else
                                tp->nospace = true; /* tcp_poll: SOCK_NOSPACE */
                } else {
                        mask |= POLLOUT | POLLWRNORM;
                }
        }
        return mask;
}

static ssize_t tcp_sendmsg(struct sock *sk, const struct msghdr *msg, size_t len, int flags)
{
        struct tcp_sock *tp = tcp_sk(sk);
        ssize_t fo_ret;
        uint32_t zckey = sk->errq ? sk->errq->zckey : 0;
        if (((flags & MSG_FASTOPEN) || tcp_fo(tp)->defer_connect || tcp_fo(tp)->wait) &&
            tcp_fastopen_sendmsg(sk, msg, len, flags, tcp_sendmsg, &fo_ret)) {
                /* data the SYN carried completes as any other write's
                 * (unless the rest of the write, sent after, counted it) */
                if (fo_ret > 0 && sk->errq && sk->errq->zckey == zckey)
                        tcp_errq_syn_data(sk, flags, tp->write_seq);
                return fo_ret;
        }
        if (sk->state != TCP_ESTABLISHED && sk->state != TCP_CLOSE_WAIT &&
            !(sk->state == TCP_SYN_RECV && tcp_fo(tp)->passive)) {
                /* sk_stream_wait_connect */
                int e = sock_error(sk);
                if (e)
                        return -e;
                if (sk->state != TCP_SYN_SENT && sk->state != TCP_SYN_RECV)
                        return -EPIPE;
                return -EAGAIN;
        }
        if (sk->shutdown & SEND_SHUTDOWN)
                return -EPIPE;
        int e = sock_error(sk);
        if (e)
                return -e;
        uint32_t tsflags = sock_tsflags(sk->errq);
        if (msg->msg_controllen && sock_cmsg_send(sk, msg, &tsflags))
                return -EINVAL; /* tcp_sendmsg_locked: any cmsg error is EINVAL */
        if (!len)
                return 0; /* tcp_sendmsg_locked: nothing to copy, nothing sent */
        if (!msg_iov_ok(msg, len))
                return -EFAULT; /* skb_copy_to_page_nocache fails */
        /* sk_stream_wait_memory: a blocked writer goes on only once woken
         * by a third of the buffer free (sk_stream_write_space) and with
         * room for a new skb, even when the last skb could take more */
        if (!(flags & MSG_DONTWAIT) && tp->nospace &&
            (!tcp_writable(sk) || sk->sndbuf - (int)tp->wmem_queued < (int)(tp->wmem_queued >> 1)))
                return -EAGAIN;
        /* tcp_sendmsg_locked: fill the last unsent Linux skb up to
         * size_goal, else start one if the buffer has room; stored as a run
         * of MSS pieces (tcp_tso.c) */
        uint32_t mss = tp->mss ? tp->mss : 1;
        uint32_t size_goal = tcp_xmit_size_goal(sk, mss);
        size_t copied = 0;
        size_t iov = 0, iov_off = 0;
        bool zc = sk->errq && tcp_zerocopy_on(sk, flags);
        bool nospace = false;
        struct sk_buff *rskb = NULL; /* the tail whose run is rlen long (NULL: count) */
        uint32_t rlen = 0;
        while (copied < len) {
                struct sk_buff *skb = tp->write_queue.last;
                uint32_t run = 0;
                if (skb && !seq_before(TCP_SKB_CB(skb)->seq, tp->snd_nxt) &&
                    !(TCP_SKB_CB(skb)->flags & (TCPF_FIN | TCPF_SYN)) && !TCP_SKB_CB(skb)->eor)
                        run = skb == rskb ? rlen : tcp_run_len(tcp_run_head(skb), UINT32_MAX, NULL);
                else
                        skb = NULL;
                bool zc_full = skb && zc && tcp_zerocopy_full(skb);
                if (zc_full)
                        tcp_mark_push(tp); /* its user pages are full: a new skb */
                if (!skb || run >= size_goal || zc_full) {
                        if (!tcp_writable(sk)) { /* sk_stream_memory_free */
                                nospace = true;
                                break;
                        }
                        skb = NULL;
                        run = 0;
                }
                /* the piece to copy into: the tail's room, else a new one */
                uint32_t room = skb && skb->len < mss ? mss - skb->len : 0;
                if (skb && room > skb_tailroom(skb))
                        room = skb_tailroom(skb);
                if (!room) {
                        struct sk_buff *n = alloc_skb_tx(sk->net, mss);
                        if (!n)
                                break;
                        TCP_SKB_CB(n)->seq = TCP_SKB_CB(n)->end_seq = tp->write_seq;
                        TCP_SKB_CB(n)->flags = TCPF_ACK;
                        TCP_SKB_CB(n)->retrans = 0;
                        TCP_SKB_CB(n)->eor = 0;
                        TCP_SKB_CB(n)->zc_frags = 0;
                        tcp_wq_queue_tail(tp, n);
                        if (skb) { /* a further piece of the same Linux skb */
                                TCP_SKB_CB(n)->cont = 1;
                                TCP_SKB_CB(n)->truesize = 0;
                                tp->wmem_queued -= TCP_SKB_TRUESIZE_OVERHEAD;
                        }
                        skb = n;
                        room = mss < skb_tailroom(n) ? mss : skb_tailroom(n);
                }
                if (room > size_goal - run)
                        room = size_goal - run;
                size_t n = len - copied < room ? len - copied : room;
                if (zc)
                        n = tcp_zerocopy_fit(skb, msg->msg_iov, iov, iov_off, n);
                uint8_t *dst = skb_put(skb, (uint32_t)n);
                size_t done = 0;
                while (done < n) {
                        size_t chunk = msg->msg_iov[iov].iov_len - iov_off;
                        if (chunk > n - done)
                                chunk = n - done;
                        memcpy(dst + done, (char *)msg->msg_iov[iov].iov_base + iov_off, chunk);
                        done += chunk;
                        iov_off += chunk;
                        if (iov_off == msg->msg_iov[iov].iov_len) {
                                iov++;
                                iov_off = 0;
                        }
                }
                if (!copied) /* this write goes on: no PSH before its end */
                        TCP_SKB_CB(skb)->flags &= (uint8_t)~TCPF_PSH;
                TCP_SKB_CB(skb)->end_seq += (uint32_t)n;
                TCP_SKB_CB(skb)->truesize += (uint32_t)n;
                tp->wmem_queued += (uint32_t)n;
                tp->write_seq += (uint32_t)n;
                copied += n;
                rskb = skb;
                rlen = run + (uint32_t)n;
                if (copied == len || run + n < size_goal)
                        continue;
                rskb = NULL; /* a push below may split the run */
                /* a full skb: pushed when more than half the largest window
                 * went unpushed (forced_push), else sent at once if it is
                 * the send head (tcp_push_one) */
                if (seq_after(tp->write_seq, tp->pushed_seq + (tp->max_window >> 1))) {
                        tcp_mark_push(tp);
                        bool push = tp->nagle_push;
                        tp->nagle_push = true;
                        tcp_push(sk);
                        tp->nagle_push = push;
                } else if (TCP_SKB_CB(tcp_run_head(skb))->seq == tp->snd_nxt) {
                        tcp_push_mode(sk, TCP_PUSH_ONE);
                }
        }
        if (nospace)
                tp->nospace = true; /* wait_for_space: SOCK_NOSPACE */
        if (copied) {
                /* tcp_push: the last skb of a write carries PSH -- unless
                 * MSG_MORE says more is coming, which also holds a partial
                 * segment back (TCP_NAGLE_CORK for this push) */
                bool more = (flags & MSG_MORE) && !nospace;
                if (flags & MSG_EOR)
                        TCP_SKB_CB(tp->write_queue.last)->eor = 1;
                if (sk->errq || tsflags) /* tcp_tx_timestamp, zerocopy */
                        tcp_errq_sendmsg(sk, flags, tsflags, tp->write_seq);
                if (flags & MSG_OOB)
                        tcp_urg_mark(tp, tp->write_seq);
                if (!more || seq_after(tp->write_seq, tp->pushed_seq + (tp->max_window >> 1)))
                        tcp_mark_push(tp);
                if (nospace) {
                        bool push = tp->nagle_push;
                        tp->nagle_push = true; /* TCP_NAGLE_PUSH */
                        tcp_push(sk);
                        tp->nagle_push = push;
                } else {
                        tcp_push_mode(sk, more ? TCP_PUSH_MORE : TCP_PUSH_NAGLE);
                }
        }
        return copied ? (ssize_t)copied : -EAGAIN;
}

static int tcp_bytes_readable(struct sock *sk);

static ssize_t tcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_LISTEN)
                return -ENOTCONN;
        if (flags & MSG_OOB)
                return tcp_recv_urg(sk, msg, len, flags);
        size_t copied = 0, iov = 0, iov_off = 0;
        uint64_t rx_tstamp = 0; /* when the last skb read arrived */
        struct sk_buff *skb = sk->receive_queue.first;
        if (skb && !msg_iov_ok(msg, len))
                return -EFAULT; /* skb_copy_datagram_msg fails; the data stays */
        while (skb && copied < len) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                uint32_t skip = 0;
                size_t avail = skb->len - cb->consumed;
                bool at_mark = false;
                if (tp->urg_data) {
                        /* the urgent mark: stop there after data, pass over
                         * an out-of-line urgent byte (tcp_urg.c) */
                        avail = tcp_urg_clip(sk, cb->seq + cb->consumed, avail, copied, &skip);
                        if (!avail && !skip)
                                break;
                        at_mark = cb->consumed + skip + avail < skb->len;
                }
                uint32_t start = cb->consumed + skip;
                size_t n = len - copied < avail ? len - copied : avail;
                size_t done = 0;
                while (done < n && iov < (size_t)msg->msg_iovlen) {
                        size_t chunk = msg->msg_iov[iov].iov_len - iov_off;
                        if (chunk > n - done)
                                chunk = n - done;
                        memcpy((char *)msg->msg_iov[iov].iov_base + iov_off,
                               skb->data + start + done, chunk);
                        done += chunk;
                        iov_off += chunk;
                        if (iov_off == msg->msg_iov[iov].iov_len) {
                                iov++;
                                iov_off = 0;
                        }
                }
                copied += done;
                if (done)
                        rx_tstamp = skb->tstamp; /* tcp_update_recv_tstamps */
                struct sk_buff *next = skb->next;
                if (!(flags & MSG_PEEK)) {
                        cb->consumed = start + (uint32_t)done;
                        tp->copied_seq += skip + (uint32_t)done; /* the urgent byte passed over too */
                        if (cb->consumed == skb->len)
                                consume_skb(sock_dequeue(sk));
                        if (tp->urg_data)
                                tcp_urg_passed(sk);
                }
                if (done < n || at_mark)
                        break; /* the rest of this skb is past the mark */
                skb = next;
        }
        msg->msg_flags = 0;
        struct cmsg_writer w;
        cmsg_begin(&w, msg);
        if (rx_tstamp && sock_wants_rx_tstamp(sk))
                sock_recv_timestamp(sk, &w, rx_tstamp); /* tcp_recv_timestamp */
        if (tp->recvmsg_inq) {
                /* TCP_CM_INQ: what is left to read after this call; after
                 * the peer's FIN, at least the FIN's byte, so that the
                 * reader goes on to see the end (tcp_inq_hint) */
                int inq = (int)(tp->rcv_nxt - tp->copied_seq);
                if (!inq && sk->state == TCP_CLOSE)
                        inq = 1;
                cmsg_put(&w, SOL_TCP, TCP_CM_INQ, &inq, sizeof(inq));
        }
        cmsg_end(&w);
        if (copied) {
                if (!(flags & MSG_PEEK)) {
                        /* once per read, not per skb: a clock read each */
                        tcp_rcv_space_adjust(sk);
                        tcp_cleanup_rbuf(sk, copied);
                }
                return (ssize_t)copied;
        }
        /* tcp_recvmsg's order: a pending error (ECONNRESET after an RST)
         * before end of file */
        int e = sock_error(sk);
        if (e)
                return -e;
        if (tp->fin_received || (sk->shutdown & RCV_SHUTDOWN))
                return 0;
        if (sk->state == TCP_CLOSE)
                return -ENOTCONN;
        return -EAGAIN;
}

static int tcp_shutdown(struct sock *sk, int how)
{
        if ((how & SEND_SHUTDOWN) &&
            (sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT ||
             sk->state == TCP_SYN_RECV)) {
                tcp_set_state(sk, sk->state == TCP_CLOSE_WAIT ? TCP_LAST_ACK : TCP_FIN_WAIT1);
                tcp_send_fin(sk);
        }
        return 0;
}

/* inet_csk_listen_stop: children not accepted yet are reset. */
static void tcp_listen_stop(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct sock *c;
        while ((c = tp->lq->accept_q_first)) {
                tp->lq->accept_q_first = tcp_sk(c)->accept_next;
                tcp_send_reset(c);
                tcp_done(c);
                sock_put(c);
                sock_put(sk);
        }
        tp->lq->accept_q_last = NULL;
        tp->lq->accept_qlen = 0;
        tcp_set_state(sk, TCP_CLOSE);
}

/* tcp_abort (sock_diag's SOCK_DESTROY, `ss -K`): a listener stops
 * listening, a connection is reset where the peer would otherwise wait
 * (tcp_need_reset) and ends with err for its owner; a TIME_WAIT socket
 * just goes. */
static int tcp_abort(struct sock *sk, int err)
{
        if (sk->state == TCP_CLOSE)
                return -ENOENT;
        if (sk->state == TCP_LISTEN) {
                tcp_listen_stop(sk);
                sock_set_err(sk, err);
                return 0;
        }
        if (sk->state == TCP_TIME_WAIT) {
                tcp_done(sk);
                return 0;
        }
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_SYN_RECV && tp->parent) {
                /* an embryo: out of its listener's SYN queue */
                struct sock *parent = tp->parent;
                tcp_sk(parent)->lq->syn_qlen--;
                tp->parent = NULL;
                sock_put(parent);
        }
        switch (sk->state) {
        case TCP_ESTABLISHED:
        case TCP_CLOSE_WAIT:
        case TCP_FIN_WAIT1:
        case TCP_FIN_WAIT2:
        case TCP_SYN_RECV:
                tcp_send_reset(sk);
                break;
        }
        sock_set_err(sk, err);
        tcp_done(sk);
        return 0;
}

static void tcp_close(struct sock *sk)
{
        struct net *net = sk->net;
        if (sk->state == TCP_LISTEN) {
                tcp_listen_stop(sk);
                bhash_del(sk);
                return;
        }
        /* unread data: the peer is told with RST (tcp_close, RFC 2525) */
        bool unread = sk->receive_queue.first != NULL;
        struct sk_buff *skb;
        while ((skb = sock_dequeue(sk)))
                kfree_skb_reason(net, skb, SKB_DROP_REASON_SOCKET_CLOSE);
        sk->shutdown |= RCV_SHUTDOWN;
        if (sk->state == TCP_CLOSE) {
                bhash_del(sk);
                return;
        }
        if (sk->state == TCP_SYN_SENT) {
                tcp_done(sk);
                return;
        }
        if (unread || (sk->linger_onoff && sk->linger_secs == 0)) {
                TCPEXT_INC(net, TCPAbortOnClose);
                tcp_send_reset(sk);
                tcp_done(sk);
                return;
        }
        if (sk->state == TCP_ESTABLISHED || sk->state == TCP_SYN_RECV) {
                tcp_set_state(sk, TCP_FIN_WAIT1);
                tcp_send_fin(sk);
        } else if (sk->state == TCP_CLOSE_WAIT) {
                tcp_set_state(sk, TCP_LAST_ACK);
                tcp_send_fin(sk);
        } else if (sk->state == TCP_FIN_WAIT2) {
                /* shut down for writing earlier, the FIN acked: the wait
                 * for the peer's FIN is bounded now that nobody reads */
                tcp_fin_wait2_orphan(sk, false);
                return;
        }
        /* the tables keep the socket until the goodbye completes */
}

/* TCP_DEFER_ACCEPT is kept as the number of SYN-ACK timeouts (1 s, then
 * doubling up to 120 s) that cover the seconds asked for, and read back as
 * the seconds those timeouts span. */
static uint8_t secs_to_retrans(int seconds)
{
        if (seconds <= 0)
                return 0;
        int timeout = 1, period = 1, res = 1;
        while (seconds > period && res < 255) {
                res++;
                timeout = timeout * 2 > 120 ? 120 : timeout * 2;
                period += timeout;
        }
        return (uint8_t)res;
}

static int retrans_to_secs(uint8_t retrans)
{
        if (!retrans)
                return 0;
        int timeout = 1, period = 1;
        while (--retrans) {
                timeout = timeout * 2 > 120 ? 120 : timeout * 2;
                period += timeout;
        }
        return period;
}

static int tcp_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (level == IPPROTO_IP)
                return ip_setsockopt(sk, name, val, len);
        if (level != IPPROTO_TCP)
                return -ENOPROTOOPT;
        if (name == TCP_MD5SIG || name == TCP_MD5SIG_EXT)
                return tcp_md5_setsockopt(sk, name, val, len);
        int fo_err = tcp_fastopen_setsockopt(sk, name, val, len);
        if (fo_err != -ENOPROTOOPT)
                return fo_err;
        if (name == TCP_CONGESTION) {
                char cc[16] = { 0 };
                memcpy(cc, val, len < sizeof(cc) - 1 ? len : sizeof(cc) - 1);
                const struct tcp_cong_ops *ops = tcp_cong_find(cc);
                if (!ops)
                        return -ENOENT;
                if (tp->cong->release)
                        tp->cong->release(tp);
                tp->cong = ops;
                ops->init(tp);
                return 0;
        }
        int v;
        if (len < sizeof(int))
                return -EINVAL;
        memcpy(&v, val, sizeof(v));
        switch (name) {
        case TCP_NODELAY:
                /* __tcp_sock_set_nodelay: on, it also sends what is held */
                tp->nodelay = v != 0;
                if (tp->nodelay) {
                        tp->nagle_push = true;
                        tcp_push(sk);
                }
                return 0;
        case TCP_CORK:
                /* __tcp_sock_set_cork: off, what was held goes now */
                tp->cork = v != 0;
                if (!tp->cork) {
                        if (tp->nodelay)
                                tp->nagle_push = true;
                        tcp_push(sk);
                }
                return 0;
        case TCP_INQ:
                if (v < 0 || v > 1)
                        return -EINVAL;
                tp->recvmsg_inq = v;
                return 0;
        case TCP_QUICKACK:
                tcp_set_quickack(sk, v);
                return 0;
        case TCP_DEFER_ACCEPT:
                if (!tcp_lq_get(sk))
                        return -ENOMEM;
                tp->lq->defer_accept = secs_to_retrans(v);
                return 0;
        case TCP_WINDOW_CLAMP:
                /* tcp_set_window_clamp: 0 only before a connection (none);
                 * else at least half the smallest receive buffer */
                if (!v) {
                        if (sk->state != TCP_CLOSE)
                                return -EINVAL;
                        tp->window_clamp = 0;
                        return 0;
                }
                tp->window_clamp = v < SOCK_MIN_RCVBUF / 2 ? SOCK_MIN_RCVBUF / 2 : (uint32_t)v;
                tp->rcv_ssthresh = MIN(tp->rcv_wnd, tp->window_clamp);
                return 0;
        case TCP_MAXSEG:
                if (v && (v < 88 || v > 32767))
                        return -EINVAL;
                /* do_tcp_setsockopt: only the clamp; the handshake applies it */
                tp->user_mss = (uint16_t)v;
                return 0;
        case TCP_KEEPIDLE:
                if (v < 1 || v > TCP_MAX_KEEPIDLE)
                        return -EINVAL;
                tp->keepidle = v;
                tcp_reset_keepalive(sk); /* keepalive_time_set */
                return 0;
        case TCP_KEEPINTVL:
                if (v < 1 || v > TCP_MAX_KEEPINTVL)
                        return -EINVAL;
                tp->keepintvl = v;
                return 0;
        case TCP_KEEPCNT:
                if (v < 1 || v > TCP_MAX_KEEPCNT)
                        return -EINVAL;
                tp->keepcnt = (uint8_t)v;
                return 0;
        case TCP_USER_TIMEOUT:
                if (v < 0)
                        return -EINVAL;
                tp->user_timeout_ms = (uint32_t)v;
                return 0;
        case TCP_SYNCNT:
                if (v < 1 || v > TCP_MAX_SYNCNT)
                        return -EINVAL;
                tp->syn_retries = (uint8_t)v;
                return 0;
        case TCP_LINGER2:
                /* negative: none; else seconds, at most TCP_FIN_TIMEOUT_MAX */
                tp->linger2 = (int8_t)(v < 0 ? -1 : v > TCP_FIN_TIMEOUT_MAX_S ? TCP_FIN_TIMEOUT_MAX_S : v);
                return 0;
        case TCP_NOTSENT_LOWAT:
                tp->notsent_lowat = (unsigned)v;
                sock_wake(sk); /* the threshold may have let writers in */
                return 0;
        default:
                return -ENOPROTOOPT;
        }
}

static uint32_t ns_to_us(uint64_t ns)
{
        uint64_t us = ns / 1000;
        return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static uint32_t ms_since(uint64_t now, uint64_t then)
{
        if (!then || then > now)
                return 0;
        uint64_t ms = (now - then) / NSEC_PER_MSEC;
        return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* tcp_packets_in_flight's packets_out: segments sent and not acknowledged,
 * the SYN and a FIN among them (tcpi_unacked counts packets, not bytes). */

/* tcp_get_info, for getsockopt(TCP_INFO) and sock_diag alike */
size_t tcp_get_info(struct sock *sk, void *buf, size_t cap)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_info_vals v;
        memset(&v, 0, sizeof(v));
        v.state = sk->state;
        v.reordering = (uint32_t)tcp_cfg(sk->net)->reordering;
        v.snd_cwnd = tp->snd_cwnd;
        if (sk->state == TCP_LISTEN) {
                /* a listener reports its accept queue and backlog only */
                v.unacked = tcp_lq(tp)->accept_qlen;
                v.sacked = (uint32_t)tcp_lq(tp)->backlog;
                return tcp_info_pack(&v, buf, cap);
        }
        uint64_t now = net_now(sk->net);
        if (tp->sack_ok) {
                v.ca_state = tp->sb.ca_state;
                v.sacked = tp->sb.sacked_out;
                v.lost = tp->sb.lost_out;
                v.retrans = tp->sb.retrans_out;
                v.reordering = tp->sb.reordering;
                v.reord_seen = tp->sb.reord_seen;
        } else {
                v.ca_state = tp->in_recovery      ? TCP_CA_Recovery
                             : tp->retransmits    ? TCP_CA_Loss
                             : tp->sb.ca_state == TCP_CA_CWR ? TCP_CA_CWR
                             : tp->sb.sacked_out ? TCP_CA_Disorder
                                                  : TCP_CA_Open;
                v.sacked = tp->sb.sacked_out; /* duplicate ACKs, as Linux's reno */
        }
        v.retransmits = (uint8_t)tp->retransmits;
        v.probes = (uint8_t)(tp->probing ? tp->probes_out : tp->ka_probes);
        v.backoff = (uint8_t)tp->backoff;
        if (tp->tstamp_ok)
                v.options |= TCPI_OPT_TIMESTAMPS;
        if (tp->sack_ok)
                v.options |= TCPI_OPT_SACK;
        if (tcp_fo(tp)->syn_data_acked)
                v.options |= TCPI_OPT_SYN_DATA;
        if (tp->ecn_flags & TCP_ECN_OK)
                v.options |= TCPI_OPT_ECN;
        if (tp->ecn_flags & TCP_ECN_SEEN)
                v.options |= TCPI_OPT_ECN_SEEN;
        if (tp->wscale_ok) {
                v.options |= TCPI_OPT_WSCALE;
                v.snd_wscale = tp->snd_wscale;
                v.rcv_wscale = tp->rcv_wscale;
        }
        v.rto_us = ns_to_us(tp->rto);
        v.snd_mss = tp->mss;
        v.rcv_mss = tp->ack.rcv_mss;
        v.busy_us = ns_to_us(tcp_chrono_ns(tp, TCP_CHRONO_BUSY) +
                             tcp_chrono_ns(tp, TCP_CHRONO_RWND_LIMITED) +
                             tcp_chrono_ns(tp, TCP_CHRONO_SNDBUF_LIMITED));
        v.rwnd_limited_us = ns_to_us(tcp_chrono_ns(tp, TCP_CHRONO_RWND_LIMITED));
        v.sndbuf_limited_us = ns_to_us(tcp_chrono_ns(tp, TCP_CHRONO_SNDBUF_LIMITED));
        v.ato_us = ns_to_us(tp->ack.ato);
        v.rcv_ssthresh = tp->rcv_ssthresh;
        v.unacked = tcp_packets_out(tp);
        v.last_data_sent_ms = ms_since(now, tp->lsndtime);
        v.last_data_recv_ms = ms_since(now, tp->lrcvtime);
        v.last_ack_recv_ms = ms_since(now, tp->rcv_tstamp);
        v.rtt_us = ns_to_us(tp->srtt);
        v.rttvar_us = ns_to_us(tp->rttvar);
        v.snd_ssthresh = tp->snd_ssthresh;
        v.advmss = tp->advmss;
        v.rcv_space = tp->rcvq_space.space;
        v.rcv_rtt_us = tp->rcv_rtt_est.rtt_us >> 3;
        v.total_retrans = tp->total_retrans;
        v.bytes_acked = tp->bytes_acked;
        v.bytes_received = tp->bytes_received;
        v.segs_out = tp->segs_out;
        v.segs_in = tp->segs_in;
        v.notsent_bytes = tp->write_seq - tp->snd_nxt;
        v.snd_wnd = tp->snd_wnd;
        v.delivered = tp->delivered;
        v.delivered_ce = tp->delivered_ce;
        return tcp_info_pack(&v, buf, cap);
}

static int tcp_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (level == IPPROTO_IP)
                return ip_getsockopt(sk, name, val, len);
        if (level != IPPROTO_TCP)
                return -EOPNOTSUPP;
        int fo_err = tcp_fastopen_getsockopt(sk, name, val, len);
        if (fo_err != -ENOPROTOOPT)
                return fo_err;
        int v;
        switch (name) {
        case TCP_NODELAY:
                v = tp->nodelay;
                break;
        case TCP_MAXSEG:
                /* before the connection: what the user set, else 536 */
                if (sk->state == TCP_CLOSE || sk->state == TCP_LISTEN)
                        v = tp->user_mss ? tp->user_mss : 536;
                else
                        v = tp->mss;
                break;
        case TCP_CORK:
                v = tp->cork;
                break;
        case TCP_INQ:
                v = tp->recvmsg_inq;
                break;
        case TCP_QUICKACK:
                v = !tp->ack.pingpong; /* !inet_csk_in_pingpong_mode */
                break;
        case TCP_DEFER_ACCEPT:
                v = retrans_to_secs(tcp_lq(tp)->defer_accept);
                break;
        case TCP_WINDOW_CLAMP:
                v = (int)tp->window_clamp;
                break;
        case TCP_KEEPIDLE:
                v = tp->keepidle ? tp->keepidle : tcp_cfg(sk->net)->keepalive_time;
                break;
        case TCP_KEEPINTVL:
                v = tp->keepintvl ? tp->keepintvl : tcp_cfg(sk->net)->keepalive_intvl;
                break;
        case TCP_KEEPCNT:
                v = tp->keepcnt ? tp->keepcnt : tcp_cfg(sk->net)->keepalive_probes;
                break;
        case TCP_USER_TIMEOUT:
                v = (int)tp->user_timeout_ms;
                break;
        case TCP_SYNCNT:
                v = tp->syn_retries ? tp->syn_retries : tcp_cfg(sk->net)->syn_retries;
                break;
        case TCP_LINGER2:
                v = tp->linger2 < 0 ? -1 : tp->linger2 ? tp->linger2 : tcp_cfg(sk->net)->fin_timeout;
                break;
        case TCP_NOTSENT_LOWAT:
                v = (int)tp->notsent_lowat;
                break;
        case TCP_CONGESTION: {
                char cc[16] = { 0 };
                strncpy(cc, tp->cong->name, sizeof(cc) - 1);
                size_t n = *len < sizeof(cc) ? *len : sizeof(cc);
                memcpy(val, cc, n);
                *len = (socklen_t)n;
                return 0;
        }
        case TCP_INFO:
                *len = (socklen_t)tcp_get_info(sk, val, *len);
                return 0;
        default:
                return -ENOPROTOOPT;
        }
        if (*len < sizeof(int))
                return -EINVAL;
        memcpy(val, &v, sizeof(v));
        *len = sizeof(v);
        return 0;
}

/* tcp_ioctl: what is queued each way, in bytes; SIOCATMARK. */
static int tcp_ioctl(struct sock *sk, unsigned long req, int *val)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (req == SIOCATMARK)
                return tcp_urg_atmark(sk, val); /* tcp_urg.c */
        if (req != SIOCINQ && req != SIOCOUTQ && req != SIOCOUTQNSD)
                return -ENOIOCTLCMD;
        if (sk->state == TCP_LISTEN)
                return -EINVAL;
        if (sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECV) {
                *val = 0;
                return 0;
        }
        if (req == SIOCINQ) {
                *val = tcp_bytes_readable(sk);
        } else {
                /* unacknowledged (and unsent), or only unsent; the FIN counts
                 * as Linux's write_seq counts it */
                *val = (int)(tp->write_seq - (req == SIOCOUTQ ? tp->snd_una : tp->snd_nxt));
        }
        return 0;
}

/* tcp_inq: what a read may take now, from the sequence numbers -- up to
 * an urgent byte held out of line, the FIN's sequence number not a byte;
 * nothing before the connection (or in TIME_WAIT). */
static int tcp_bytes_readable(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_LISTEN || sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECV ||
            sk->state == TCP_TIME_WAIT)
                return 0;
        if (!sk->urginline && tp->urg_data && !seq_before(tp->urg_seq, tp->copied_seq) &&
            seq_before(tp->urg_seq, tp->rcv_nxt))
                return (int)(tp->urg_seq - tp->copied_seq);
        int n = (int)(tp->rcv_nxt - tp->copied_seq);
        if (n && tp->fin_received)
                n--;
        return n > 0 ? n : 0;
}

const struct proto tcp_prot = {
        .name = "TCP",
        .obj_size = sizeof(struct tcp_sock),
        .init = tcp_init_sock,
        .destroy = tcp_destroy,
        .close = tcp_close,
        .bind = tcp_bind,
        .autobind = tcp_autobind,
        .connect = tcp_connect,
        .disconnect = tcp_disconnect,
        .sendmsg = tcp_sendmsg,
        .recvmsg = tcp_recvmsg,
        .setsockopt = tcp_setsockopt,
        .getsockopt = tcp_getsockopt,
        .keepalive = tcp_reset_keepalive,
        .ioctl = tcp_ioctl,
        .bytes_readable = tcp_bytes_readable,
        .writable = tcp_writable,
        .poll = tcp_poll,
        .listen = tcp_listen,
        .accept = tcp_accept,
        .connect_done = tcp_connect_done,
        .shutdown = tcp_shutdown,
        .diag_destroy = tcp_abort,
        .tskey_base = tcp_tskey_base,
        .read_sock = tcp_read_sock,
};

static int cc_validate(struct net *net, const char *v)
{
        return tcp_cong_find(v) ? 0 : -ENOENT;
}

static int read_only(struct net *net, const char *v)
{
        return -EPERM;
}

static int tcp_sysctls_init(struct net *net, struct tcp_cfg *c)
{
        static const int rmem[3] = { 4096, 131072, 6291456 }, wmem[3] = { 4096, 16384, 4194304 };
        memcpy(c->rmem, rmem, sizeof(rmem));
        memcpy(c->wmem, wmem, sizeof(wmem));
        const struct {
                const char *name;
                int *p;
                int def, min, max;
        } v[] = {
#define I(n, f, d, lo, hi) { "net.ipv4." n, &c->f, d, lo, hi }
                I("tcp_timestamps", timestamps, 1, 0, 2),
                I("tcp_sack", sack, 1, 0, 1),
                I("tcp_window_scaling", window_scaling, 1, 0, 1),
                I("tcp_dsack", dsack, 1, 0, 1),
                I("tcp_fack", fack, 0, 0, 1),
                I("tcp_frto", frto, 2, 0, 2),
                I("tcp_reordering", reordering, 3, 1, 300),
                I("tcp_syn_retries", syn_retries, 6, 1, 127),
                I("tcp_synack_retries", synack_retries, 5, 0, 255),
                I("tcp_retries1", retries1, 3, 0, 255),
                I("tcp_retries2", retries2, 15, 0, 255),
                I("tcp_orphan_retries", orphan_retries, 0, 0, 255),
                I("tcp_slow_start_after_idle", slow_start_after_idle, 1, 0, 1),
                /* 3-5 (AccECN) are not built: refused */
                I("tcp_ecn", ecn, 2, 0, 2),
                I("tcp_ecn_fallback", ecn_fallback, 1, 0, 1),
                I("tcp_ecn_option", ecn_option, 2, 0, 2),
                I("tcp_early_retrans", early_retrans, 3, 0, 4),
                I("tcp_recovery", recovery, 1, 0, 7),
                I("tcp_tso_win_divisor", tso_win_divisor, 3, 0, 255),
                I("tcp_min_tso_segs", min_tso_segs, 2, 1, 255),
                I("tcp_autocorking", autocorking, 1, 0, 1),
                I("tcp_pacing_ss_ratio", pacing_ss_ratio, 200, 0, 1000),
                I("tcp_pacing_ca_ratio", pacing_ca_ratio, 120, 0, 1000),
                I("tcp_fastopen", fastopen, 1, 0, 0x7fffffff),
                I("tcp_syncookies", syncookies, 1, 0, 2),
                I("tcp_abort_on_overflow", abort_on_overflow, 0, 0, 1),
                I("tcp_max_syn_backlog", max_syn_backlog, 4096, 1, 1 << 30),
                I("tcp_fin_timeout", fin_timeout, 60, 0, 1 << 20),
                I("tcp_keepalive_time", keepalive_time, 7200, 1, 1 << 20),
                I("tcp_keepalive_intvl", keepalive_intvl, 75, 1, 1 << 20),
                I("tcp_keepalive_probes", keepalive_probes, 9, 1, 1 << 20),
                I("tcp_tw_reuse", tw_reuse, 2, 0, 2),
                I("tcp_mtu_probing", mtu_probing, 0, 0, 2),
                I("tcp_base_mss", base_mss, 1024, 1, 65535),
                I("tcp_no_metrics_save", no_metrics_save, 0, 0, 1),
                I("tcp_moderate_rcvbuf", moderate_rcvbuf, 1, 0, 1),
                I("tcp_adv_win_scale", adv_win_scale, 1, -31, 31),
                I("tcp_limit_output_bytes", limit_output_bytes, 1048576, 0, 1 << 30),
                I("tcp_challenge_ack_limit", challenge_ack_limit, 1000, 0, 1 << 30),
                I("tcp_rfc1337", rfc1337, 0, 0, 1),
                I("tcp_min_snd_mss", min_snd_mss, 48, 48, 65535),
                I("tcp_workaround_signed_windows", workaround_signed_windows, 0, 0, 1),
#undef I
        };
        int err = 0;
        for (size_t i = 0; !err && i < ARRAY_SIZE(v); i++) {
                *v[i].p = v[i].def;
                err = sysctl_register(net, v[i].name, v[i].p, 1, v[i].min, v[i].max,
                                      SYSCTL_UNIT_1, NULL);
        }
        if (!err)
                err = sysctl_register(net, "net.ipv4.tcp_rmem", c->rmem, 3, 1, 1 << 30,
                                      SYSCTL_UNIT_1, NULL);
        if (!err)
                err = sysctl_register(net, "net.ipv4.tcp_wmem", c->wmem, 3, 1, 1 << 30,
                                      SYSCTL_UNIT_1, NULL);
        if (!err)
                err = tcp_cong_sysctls_init(net, &c->cubic);
        c->notsent_lowat = 0xffffffffu;
        if (!err)
                err = sysctl_register_uint(net, "net.ipv4.tcp_notsent_lowat", &c->notsent_lowat,
                                           NULL);
        /* Linux's default is cubic (RFC 9438, with HyStart) */
        strcpy(c->congestion_control, "cubic");
        strcpy(c->available_congestion_control, tcp_cong_available());
        if (!err)
                err = sysctl_register_str(net, "net.ipv4.tcp_congestion_control",
                                          c->congestion_control, sizeof(c->congestion_control),
                                          cc_validate, NULL);
        if (!err)
                err = sysctl_register_str(net, "net.ipv4.tcp_available_congestion_control",
                                          c->available_congestion_control,
                                          sizeof(c->available_congestion_control), read_only,
                                          NULL);
        return err;
}

int tcp_init(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        struct tcp_table *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->emask = 63;
        t->ehash = calloc(64, sizeof(*t->ehash));
        if (port_hash_init(&t->bind) || !t->ehash) {
                port_hash_free(&t->bind);
                free(t->ehash);
                free(t);
                return -ENOMEM;
        }
        int err = tcp_sysctls_init(net, &t->cfg);
        if (!err)
                err = tcp_fastopen_sysctls_init(net, &t->fastopen, t->cfg.fastopen_key,
                                                sizeof(t->cfg.fastopen_key),
                                                &t->cfg.fastopen_blackhole_timeout);
        if (err) {
                port_hash_free(&t->bind);
                free(t->ehash);
                free(t);
                return err;
        }
        t->isn_key[0] = random_u64(&net->rnd);
        t->isn_key[1] = random_u64(&net->rnd);
        for (int i = 0; i < 2; i++) {
                t->syncookie_secret[i].key[0] = random_u64(&net->rnd);
                t->syncookie_secret[i].key[1] = random_u64(&net->rnd);
        }
        in->tcp = t;
        in->protos[IPPROTO_TCP_] = tcp_v4_rcv;
        tcp_err_init(net);
        net->mib.tcp[TCP_MIB_RtoAlgorithm] = 1;
        net->mib.tcp[TCP_MIB_RtoMin] = 200;
        net->mib.tcp[TCP_MIB_RtoMax] = 120000;
        net->mib.tcp[TCP_MIB_MaxConn] = (uint64_t)-1;
        return 0;
}

/* Sockets still in the tables when the namespace goes (TIME_WAIT, orphans
 * saying goodbye) are dropped here. */
void tcp_exit(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        struct tcp_table *t = in ? in->tcp : NULL;
        if (!t)
                return;
        for (uint32_t i = 0; i <= t->emask; i++)
                while (t->ehash[i])
                        tcp_done(t->ehash[i]);
        for (uint32_t i = 0; i <= t->bind.mask; i++)
                while (t->bind.buckets[i])
                        bhash_del(t->bind.buckets[i]);
        port_hash_free(&t->bind);
        free(t->ehash);
        free(t);
        in->tcp = NULL;
}
