/*
 * sock_diag's view of a namespace: every TCP or UDP socket the kernel's
 * inet_diag dump would list, described as a struct diag_sk (see diag.h).
 *
 * TCP sockets are found in TCP's own tables (tcp_for_each_sock: listeners,
 * then every connection, those whose descriptor is closed and those not
 * accepted yet included), UDP ones in the descriptor table -- read-only,
 * under the namespace lock the caller holds.  Inode numbers live with the
 * descriptors (struct file): a walk maps sockets to them once.
 *
 * The numbers are the kernel's: Recv-Q/Send-Q of a listener are the
 * accept queue length and the backlog, of a connection the unread bytes
 * and write_seq - snd_una, of UDP the memory charged each way; skmem is
 * sk_get_meminfo; the timer is the retransmit or zero-window probe timer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "ctl/diag.h"
#include "socket/sockns.h"
#include "transport/tcp.h"
#include "transport/tcp_cong.h"
#include "transport/udp.h"

static void describe_tcp(struct net *net, struct sock *sk, struct diag_sk *d)
{
        struct tcp_sock *tp = tcp_sk(sk);
        d->is_tcp = true;
        if (sk->state == TCP_LISTEN) {
                d->rqueue = (uint32_t)tcp_lq(tp)->accept_qlen;
                d->wqueue = (uint32_t)tcp_lq(tp)->backlog;
        } else {
                int unread = sk->prot->bytes_readable ? sk->prot->bytes_readable(sk) : 0;
                d->rqueue = unread > 0 ? (uint32_t)unread : 0;
                d->wqueue = tp->write_seq - tp->snd_una;
        }
        d->mem[DIAG_MEM_WMEM_QUEUED] = tp->wmem_queued;
        if (timer_pending(&tp->rtx_timer)) {
                uint64_t now = net_now(net), at = tp->rtx_timer.expires;
                d->timer = tp->probing ? 4 : 1;
                d->retrans = (uint8_t)(tp->probing ? tp->probes_out : tp->retransmits);
                d->expires = at > now ? (uint32_t)((at - now) / 1000000u) : 0;
        }
        d->tcp_info_len = (uint32_t)tcp_get_info(sk, d->tcp_info, sizeof(d->tcp_info));
        if (tp->cong && tp->cong->name)
                strncpy(d->cong, tp->cong->name, sizeof(d->cong) - 1);
}

static void describe(struct net *net, struct sock *sk, uint32_t ino, struct diag_sk *d)
{
        memset(d, 0, sizeof(*d));
        d->family = (uint8_t)sk->family;
        d->protocol = sk->prot == &tcp_prot ? IPPROTO_TCP : IPPROTO_UDP;
        d->state = sk->state;
        if (sk->prot == &tcp_prot && sk->state == TCP_TIME_WAIT && tcp_sk(sk)->tw_fin_wait2)
                d->state = TCP_FIN_WAIT2; /* as inet_diag shows tw_substate */
        d->shutdown = sk->shutdown;
        d->tos = sk->tos;
        d->saddr = sk->rcv_saddr;
        d->daddr = sk->daddr;
        d->sport = sk->num;
        d->dport = sk->dport;
        d->ifindex = (uint32_t)sk->bound_dev_if;
        d->cookie = (uint64_t)(uintptr_t)sk;
        d->sk = sk;
        /* inet_twsk_diag_fill and inet_req_diag_fill report uid and inode
         * 0; a socket whose descriptor is closed has inode 0 (sock_i_ino) */
        bool mini = sk->state == TCP_TIME_WAIT || sk->state == TCP_SYN_RECV;
        d->uid = mini ? 0 : sk->uid;
        d->inode = ino;
        d->mark = (uint32_t)sk->mark;
        d->priority = (uint32_t)sk->priority;
        int r = atomic_load(&sk->rmem_alloc), w = atomic_load(&sk->wmem_alloc);
        d->mem[DIAG_MEM_RMEM_ALLOC] = r > 0 ? (uint32_t)r : 0;
        d->mem[DIAG_MEM_RCVBUF] = (uint32_t)sk->rcvbuf;
        d->mem[DIAG_MEM_WMEM_ALLOC] = w > 0 ? (uint32_t)w : 0;
        d->mem[DIAG_MEM_SNDBUF] = (uint32_t)sk->sndbuf;
        if (sk->prot == &tcp_prot) {
                describe_tcp(net, sk, d);
        } else {
                d->rqueue = d->mem[DIAG_MEM_RMEM_ALLOC];
                d->wqueue = d->mem[DIAG_MEM_WMEM_ALLOC];
        }
}

static bool listed(struct sock *sk, const struct proto *prot)
{
        if (sk->prot != prot || sk->family != AF_INET)
                return false;
        if (prot == &udp_prot)
                return sk->num != 0; /* only hashed (bound) UDP sockets */
        return sk->state != TCP_CLOSE;
}

struct walk {
        struct net *net;
        const struct sock_ino_map *inos;
        diag_want_fn want;
        diag_visit_fn fn;
        void *ctx;
};

static int visit(const struct walk *w, struct sock *sk)
{
        if (w->want && !w->want(sk->state, w->ctx))
                return 0;
        struct diag_sk d;
        describe(w->net, sk, sock_ino_map_find(w->inos, sk), &d);
        return w->fn(&d, w->ctx);
}

static int visit_tcp(struct sock *sk, void *arg)
{
        if (!listed(sk, &tcp_prot))
                return 0;
        return visit(arg, sk);
}

int diag_destroy(struct sock *sk)
{
        if (!sk->prot->diag_destroy)
                return -EOPNOTSUPP;
        return sk->prot->diag_destroy(sk, ECONNABORTED);
}

int diag_walk(struct net *net, int protocol, diag_want_fn want, diag_visit_fn fn, void *ctx)
{
        struct sock_ns *ns = net->socks;
        if ((protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) || !ns)
                return 0;
        struct sock_ino_map inos;
        int err = sock_ino_map_build(net, &inos);
        if (err)
                return err;
        struct walk w = { net, &inos, want, fn, ctx };
        if (protocol == IPPROTO_TCP) {
                /* TCP's own tables, as the kernel's listening hash and
                 * ehash: sockets whose descriptor is closed (TIME_WAIT,
                 * FIN_WAIT, LAST_ACK) and SYN_RECV children too */
                err = tcp_for_each_sock(net, visit_tcp, &w);
        } else {
                for (unsigned i = 0; i < ns->cap && !err; i++) {
                        struct file *f = ns->files[i];
                        if (f && f->kind == FILE_SOCKET && f->sk && listed(f->sk, &udp_prot))
                                err = visit(&w, f->sk);
                }
        }
        sock_ino_map_free(&inos);
        return err;
}
