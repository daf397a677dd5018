/*
 * The /proc/net files that tools read instead of asking netlink, written
 * from a Strata namespace: `ss -s` reads /proc/net/sockstat, sockstat6 and
 * snmp; nstat and netstat read snmp and netstat.  The preload shim asks
 * for them with STRATA_PROCFS_GET (include/strata/ctl.h) when a program
 * under `strata exec` opens one, so it sees the namespace's figures and
 * nothing of the host's.
 *
 * The texts are the kernel's formats (sockstat_seq_show, snmp_seq_show,
 * netstat_seq_show).  What sockstat counts, as the kernel defines it:
 *
 *  - sockets used: sockets allocated in the namespace (sock_inuse_get):
 *    every socket descriptor, and TCP sockets that outlived theirs or are
 *    not accepted yet -- not TIME_WAIT or SYN_RECV minisockets;
 *  - TCP inuse: sockets in TCP's hash tables (listeners and connections,
 *    not TIME_WAIT nor request sockets), orphan: those whose descriptor is
 *    closed, tw: TIME_WAIT sockets, alloc: every TCP socket allocated;
 *    the kernel's orphan, alloc and mem are one count for the machine,
 *    here they are the namespace's;
 *  - mem: pages charged, each socket's queued memory (receive queue and
 *    write queue for TCP, receive queue for UDP) rounded up to pages, as
 *    sk_mem_schedule reserves whole pages;
 *  - UDP inuse: bound (hashed) UDP sockets; UDPLITE and RAW: none, Strata
 *    has neither; FRAG: reassembly queues and their bytes.
 *
 * sockstat6 has Linux's lines with nothing in them: Strata has no IPv6.
 *
 * /proc/net/tcp is tcp4_seq_show's table (listeners, connections, request
 * sockets, TIME_WAIT), which net-tools' netstat and scripts grep: each line
 * padded to 149 characters, addresses as the kernel prints a __be32, times
 * in clock ticks (USER_HZ 100), no kernel pointer (0, as an unprivileged
 * reader sees it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mib.h"
#include "ctl/rtnl.h"
#include "ipv4/ipv4.h"
#include "socket/sockns.h"
#include "strata/ctl.h"
#include "transport/tcp.h"
#include "transport/udp.h"

#define PROC_PAGE 4096u

struct sockstat {
        int used;
        int tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc;
        long tcp_mem;
        int udp_inuse;
        long udp_mem;
};

static long pages(long bytes)
{
        return bytes > 0 ? (bytes + PROC_PAGE - 1) / PROC_PAGE : 0;
}

static long tcp_pages(struct sock *sk)
{
        return pages((long)atomic_load(&sk->rmem_alloc) + (long)tcp_sk(sk)->wmem_queued);
}

struct tcp_count {
        struct sockstat *st;
        const struct sock_ino_map *inos;
};

static int count_tcp(struct sock *sk, void *ctx)
{
        struct tcp_count *c = ctx;
        struct sockstat *st = c->st;
        if (sk->family != AF_INET)
                return 0;
        if (sk->state == TCP_TIME_WAIT) {
                st->tcp_tw++;
                return 0;
        }
        if (sk->state == TCP_SYN_RECV)
                return 0; /* a request socket in Linux, counted nowhere */
        st->tcp_inuse++;
        if (sock_ino_map_find(c->inos, sk))
                return 0; /* has a descriptor: counted with the table */
        st->used++;
        st->tcp_alloc++;
        st->tcp_mem += tcp_pages(sk);
        if (atomic_load(&sk->dead))
                st->tcp_orphan++;
        return 0;
}

static int sockstat_count(struct net *net, struct sockstat *st)
{
        memset(st, 0, sizeof(*st));
        struct sock_ino_map inos;
        int err = sock_ino_map_build(net, &inos);
        if (err)
                return err;
        struct sock_ns *ns = net->socks;
        for (unsigned i = 0; ns && i < ns->cap; i++) {
                struct file *f = ns->files[i];
                if (!f || f->kind != FILE_SOCKET || !f->sk)
                        continue;
                struct sock *sk = f->sk;
                st->used++;
                if (sk->prot == &tcp_prot) {
                        st->tcp_alloc++;
                        st->tcp_mem += tcp_pages(sk);
                } else if (sk->prot == &udp_prot) {
                        if (sk->num)
                                st->udp_inuse++;
                        st->udp_mem += pages(atomic_load(&sk->rmem_alloc));
                }
        }
        struct tcp_count c = { st, &inos };
        tcp_for_each_sock(net, count_tcp, &c);
        sock_ino_map_free(&inos);
        return 0;
}

static int print_sockstat(struct net *net, FILE *f)
{
        struct sockstat st;
        int err = sockstat_count(net, &st);
        if (err)
                return err;
        unsigned queues;
        unsigned long mem;
        ipfrag_usage(net, &queues, &mem);
        fprintf(f, "sockets: used %d\n", st.used);
        fprintf(f, "TCP: inuse %d orphan %d tw %d alloc %d mem %ld\n", st.tcp_inuse,
                st.tcp_orphan, st.tcp_tw, st.tcp_alloc, st.tcp_mem);
        fprintf(f, "UDP: inuse %d mem %ld\n", st.udp_inuse, st.udp_mem);
        fprintf(f, "UDPLITE: inuse 0\n");
        fprintf(f, "RAW: inuse 0\n");
        fprintf(f, "FRAG: inuse %u memory %lu\n", queues, mem);
        return 0;
}

static void print_sockstat6(FILE *f)
{
        fprintf(f, "TCP6: inuse 0\nUDP6: inuse 0\nUDPLITE6: inuse 0\nRAW6: inuse 0\n"
                   "FRAG6: inuse 0 memory 0\n");
}

/* clock_t of a span in ns: USER_HZ is 100 */
static long ticks(int64_t ns)
{
        return (long)(ns / 10000000);
}

struct tcp_table {
        FILE *f;
        const struct sock_ino_map *inos;
        uint64_t now;
        int i;
};

static void tcp_line(struct tcp_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tcp_line(struct tcp_table *t, const char *fmt, ...)
{
        char line[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        fprintf(t->f, "%-149.*s\n", n < (int)sizeof(line) ? n : (int)sizeof(line) - 1, line);
}

static int proc_tcp_sock(struct sock *sk, void *ctx)
{
        struct tcp_table *t = ctx;
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->family != AF_INET)
                return 0;
        unsigned src = htonl(sk->rcv_saddr), dst = htonl(sk->daddr);
        unsigned sport = sk->num, dport = sk->dport;
        int i = t->i++;
        if (sk->state == TCP_TIME_WAIT) {
                /* get_timewait4_sock; the substate as the state */
                int64_t left = (int64_t)(tp->ka_timer.expires - t->now);
                tcp_line(t, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5d %8d %d %d %016x",
                         i, src, sport, dst, dport, tp->tw_fin_wait2 ? TCP_FIN_WAIT2 : TCP_TIME_WAIT,
                         0, 0, 3, ticks(left > 0 ? left : 0), 0, 0, 0, 0,
                         atomic_load(&sk->refcnt), 0);
                return 0;
        }
        if (sk->state == TCP_SYN_RECV && !tcp_fo(tp)->passive) {
                /* get_openreq4: the SYN-ACK timer, its timeouts, the listener's uid */
                int64_t left = (int64_t)(tp->rtx_timer.expires - t->now);
                tcp_line(t, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %u %d %016x",
                         i, src, sport, dst, dport, TCP_SYN_RECV, 0, 0, 1,
                         ticks(left > 0 ? left : 0), tp->retransmits,
                         tp->parent ? tp->parent->uid : sk->uid, 0, 0u, 0, 0);
                return 0;
        }
        /* get_tcp4_sock */
        int timer = 0;
        uint64_t expires = t->now;
        if (timer_pending(&tp->rtx_timer)) {
                timer = tp->probing ? 4 : 1;
                expires = tp->rtx_timer.expires;
        } else if (timer_pending(&tp->ka_timer)) {
                timer = 2;
                expires = tp->ka_timer.expires;
        }
        int64_t left = (int64_t)(expires - t->now);
        int rxq = sk->state == TCP_LISTEN ? tcp_lq(tp)->accept_qlen
                                          : (int)MAX((int32_t)(tp->rcv_nxt - tp->copied_seq), 0);
        unsigned txq = sk->state == TCP_LISTEN ? 0 : tp->write_seq - tp->snd_una;
        bool initial_ss = tp->snd_ssthresh >= 0x7fffffff; /* tcp_in_initial_slowstart */
        tcp_line(t,
                 "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %016x %lu "
                 "%lu %u %u %d",
                 i, src, sport, dst, dport, sk->state, txq, rxq, timer, ticks(left > 0 ? left : 0),
                 tp->retransmits, sk->uid, tp->probes_out,
                 (unsigned long)sock_ino_map_find(t->inos, sk), atomic_load(&sk->refcnt), 0,
                 (unsigned long)ticks((int64_t)tp->rto), (unsigned long)ticks((int64_t)tp->ack.ato),
                 (unsigned)((tp->ack.quick << 1) | (tp->ack.pingpong ? 1 : 0)), tp->snd_cwnd,
                 sk->state == TCP_LISTEN ? (int)tcp_fo(tp)->max_qlen
                                         : initial_ss ? -1 : (int)tp->snd_ssthresh);
        return 0;
}

static int print_proc_tcp(struct net *net, FILE *f)
{
        struct sock_ino_map inos;
        int err = sock_ino_map_build(net, &inos);
        if (err)
                return err;
        struct tcp_table t = { f, &inos, net_now(net), 0 };
        fprintf(f, "%-149s\n",
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
                "uid  timeout inode");
        tcp_for_each_sock(net, proc_tcp_sock, &t);
        sock_ino_map_free(&inos);
        return 0;
}

int ctl_procfs_text(struct net *net, const char *name, char **text, size_t *len)
{
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        int err = 0;
        struct ipv4_net *in = ipv4_of(net);
        if (!strcmp(name, "net/sockstat"))
                err = print_sockstat(net, f);
        else if (!strcmp(name, "net/sockstat6"))
                print_sockstat6(f);
        else if (!strcmp(name, "net/snmp"))
                mib_print_snmp(&net->mib, f, in->ip_forward, in->ip_default_ttl);
        else if (!strcmp(name, "net/netstat"))
                mib_print_netstat(&net->mib, f);
        else if (!strcmp(name, "net/tcp"))
                err = print_proc_tcp(net, f);
        else
                err = -ENOENT;
        if (fclose(f) != 0 && !err)
                err = -ENOMEM;
        if (err) {
                free(buf);
                return err;
        }
        *text = buf;
        *len = n;
        return 0;
}

int ctl_procfs_rcv(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        struct nl_attr tb[STRATA_SYSCTL_A_VALUE + 1];
        char name[64];
        if (nla_parse(tb, STRATA_SYSCTL_A_VALUE, m->payload, m->payload_len) ||
            nla_get_str(&tb[STRATA_SYSCTL_A_NAME], name, sizeof(name)))
                return -EINVAL;
        char *text;
        size_t len;
        int err = ctl_procfs_text(req->net, name, &text, &len);
        if (err)
                return err;
        if (len > 60000) { /* one attribute: these files are a few KB */
                free(text);
                return -EFBIG;
        }
        nlmsg_begin(req->out, STRATA_PROCFS_DATA, 0, m->seq);
        nla_put_str(req->out, STRATA_SYSCTL_A_NAME, name);
        nla_put(req->out, STRATA_SYSCTL_A_VALUE, text, len);
        nlmsg_end(req->out);
        free(text);
        return 0;
}
