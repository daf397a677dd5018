/*
 * UDP over IPv4, following Linux's net/ipv4/udp.c.
 *
 * Sockets live in one hash table keyed by local port (chains hold every
 * socket on a port, bound to any address); the table doubles as it fills,
 * so lookups stay O(1) with 100,000 sockets.  Input picks the best match the
 * way compute_score() does: a socket bound to the destination address beats
 * a wildcard, a connected socket must match the source, and a socket bound
 * to a device only takes packets from it.  Broadcasts go to every matching
 * socket.  A datagram for a port nobody holds answers ICMP port unreachable
 * (rate limited by ICMP) and counts NoPorts.
 *
 * Memory: datagrams charge sk_rmem_alloc while queued and are refused past
 * sk_rcvbuf (SOCKET_RCVBUFF, RcvbufErrors); sends charge sk_wmem_alloc until
 * the packet is freed, and wait (or EAGAIN) when sk_sndbuf is used up.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/trace.h"
#include "ipv4/ipv4.h"
#include "socket/cmsg.h"
#include "socket/errqueue.h"
#include "socket/porthash.h"
#include "socket/sockns.h"
#include "transport/udp.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

static struct port_hash *udp_table_of(struct net *net)
{
        return ipv4_of(net)->udp;
}

static void udp_hash(struct sock *sk)
{
        port_hash_add(udp_table_of(sk->net), sk);
}

static void udp_unhash(struct sock *sk)
{
        port_hash_del(udp_table_of(sk->net), sk);
}

/* udp_lib_lport_inuse: would sk, bound to its rcv_saddr, clash on port? */
static bool port_in_use(struct sock *sk, uint16_t port)
{
        struct port_hash *t = udp_table_of(sk->net);
        for (struct sock *o = *port_hash_bucket(t, port); o; o = o->hash_next) {
                if (o == sk || o->num != port)
                        continue;
                if (o->rcv_saddr && sk->rcv_saddr && o->rcv_saddr != sk->rcv_saddr)
                        continue;
                if (o->bound_dev_if && sk->bound_dev_if && o->bound_dev_if != sk->bound_dev_if)
                        continue;
                if (o->reuse && sk->reuse)
                        continue;
                if (o->reuseport && sk->reuseport && o->uid == sk->uid)
                        continue;
                return true;
        }
        return false;
}

/* udp_lib_get_port: the asked port, or a free one picked from
 * ip_local_port_range at a random offset (RFC 6056, algorithm 1). */
static int udp_get_port(struct sock *sk, uint16_t snum)
{
        struct ipv4_net *in = ipv4_of(sk->net);
        if (snum) {
                if (port_in_use(sk, snum))
                        return -EADDRINUSE;
        } else {
                int lo = in->ip_local_port_range[0], hi = in->ip_local_port_range[1];
                if (hi < lo)
                        return -EADDRINUSE;
                uint32_t n = (uint32_t)(hi - lo + 1);
                uint32_t off = random_below(&sk->net->rnd, n);
                uint32_t i;
                for (i = 0; i < n; i++) {
                        uint16_t p = (uint16_t)(lo + (off + i) % n);
                        if (!port_in_use(sk, p)) {
                                snum = p;
                                break;
                        }
                }
                if (i == n)
                        return -EADDRINUSE;
        }
        sk->num = snum;
        udp_hash(sk);
        return 0;
}

static int udp_init_sock(struct sock *sk)
{
        return 0;
}

static void udp_close(struct sock *sk)
{
        udp_unhash(sk);
        struct sk_buff *skb;
        while ((skb = sock_dequeue(sk)))
                kfree_skb_reason(sk->net, skb, SKB_DROP_REASON_SOCKET_CLOSE);
        sock_errq_purge(sk);
}

static bool addr_bindable(struct net *net, uint32_t addr)
{
        if (addr == 0 || ipv4_is_multicast(addr) || ipv4_is_lbcast(addr))
                return true;
        if (inet_addr_local(net, addr))
                return true;
        const struct fib_route *r = fib_table_lookup(ipv4_of(net)->local, addr);
        return r && r->type == RTN_BROADCAST;
}

/* inet_bind for a datagram socket. */
static int udp_bind(struct sock *sk, uint32_t addr, uint16_t port)
{
        struct ipv4_net *in = ipv4_of(sk->net);
        if (!sk->freebind && !addr_bindable(sk->net, addr)) /* inet_can_nonlocal_bind */
                return -EADDRNOTAVAIL;
        if (port && port < in->ip_unprivileged_port_start && sk->uid != 0)
                return -EACCES;
        if (sk->num || sk->state != TCP_CLOSE)
                return -EINVAL;
        sk->rcv_saddr = sk->saddr = addr;
        if (ipv4_is_multicast(addr) || ipv4_is_lbcast(addr))
                sk->saddr = 0; /* use the device's address when sending */
        int err = udp_get_port(sk, port);
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

static int udp_autobind(struct sock *sk)
{
        if (sk->num)
                return 0;
        return udp_get_port(sk, 0) ? -EAGAIN : 0;
}

/* ip4_datagram_connect */
static int udp_connect(struct sock *sk, uint32_t daddr, uint16_t dport)
{
        struct rt_result rt;
        int err = ip_route_output_sk(sk, daddr, &rt);
        if (err) {
                if (err == -ENETUNREACH)
                        IP_INC(sk->net, OutNoRoutes);
                return err;
        }
        if (rt.type == RTN_BROADCAST && !sk->broadcast)
                return -EACCES;
        err = udp_autobind(sk);
        if (err)
                return err;
        if (!sk->saddr)
                sk->saddr = rt.saddr;
        if (!sk->rcv_saddr)
                sk->rcv_saddr = rt.saddr;
        sk->daddr = daddr ? daddr : rt.nexthop;
        sk->dport = dport;
        sk->state = TCP_ESTABLISHED;
        return 0;
}

/* __udp_disconnect: connect(AF_UNSPEC) */
static int udp_disconnect(struct sock *sk)
{
        sk->state = TCP_CLOSE;
        sk->daddr = 0;
        sk->dport = 0;
        sk->bound_dev_if = sk->bound_dev_if; /* SO_BINDTODEVICE stays */
        if (!(sk->userlocks & SOCK_BINDADDR_LOCK))
                sk->rcv_saddr = sk->saddr = 0;
        if (!(sk->userlocks & SOCK_BINDPORT_LOCK))
                udp_unhash(sk);
        return 0;
}

static bool udp_writable(struct sock *sk)
{
        return atomic_load_explicit(&sk->wmem_alloc, memory_order_relaxed) < sk->sndbuf;
}

/* ip_local_error: a datagram too big for the path (DF) is EMSGSIZE to the
 * caller and, with IP_RECVERR, an SO_EE_ORIGIN_LOCAL entry carrying the
 * path MTU -- what tracepath reads. */
static void udp_local_emsgsize(struct sock *sk, uint32_t daddr, uint16_t dport)
{
        struct rt_result rt;
        uint32_t mtu = 0;
        if (!ip_route_output_sk(sk, daddr, &rt))
                mtu = sk->pmtudisc >= IP_PMTUDISC_PROBE ? rt.dev->mtu : rt_mtu(&rt);
        struct sock_exterr_skb serr = {
                .ee = { .ee_errno = EMSGSIZE, .ee_origin = SO_EE_ORIGIN_LOCAL, .ee_info = mtu },
                .addr = daddr,
                .port = dport,
        };
        sock_queue_err_data(sk, &serr, NULL, 0);
}

static ssize_t udp_sendmsg(struct sock *sk, const struct msghdr *msg, size_t len, int flags)
{
        struct net *net = sk->net;
        uint32_t daddr;
        uint16_t dport;
        if (len > 0xffff - 8)
                return -EMSGSIZE;
        if (flags & MSG_OOB)
                return -EOPNOTSUPP;
        uint32_t tsflags = sock_tsflags(sk->errq);
        if (msg->msg_controllen) {
                /* ip_cmsg_send: the SOL_SOCKET ones (IP-level cmsgs are not
                 * read on send yet) */
                int cerr = sock_cmsg_send(sk, msg, &tsflags);
                if (cerr)
                        return cerr;
        }
        if (msg->msg_name) {
                const struct sockaddr_in *sin = msg->msg_name;
                if (msg->msg_namelen < (socklen_t)sizeof(*sin))
                        return -EINVAL;
                if (sin->sin_family != AF_INET && sin->sin_family != AF_UNSPEC)
                        return -EAFNOSUPPORT;
                daddr = ntohl(sin->sin_addr.s_addr);
                dport = ntohs(sin->sin_port);
                if (dport == 0)
                        return -EINVAL;
        } else {
                if (sk->state != TCP_ESTABLISHED)
                        return -EDESTADDRREQ;
                daddr = sk->daddr;
                dport = sk->dport;
        }
        if (udp_autobind(sk))
                return -EAGAIN;

        struct rt_result rt;
        int err = ip_route_output_sk(sk, daddr, &rt);
        if (err) {
                if (err == -ENETUNREACH)
                        IP_INC(net, OutNoRoutes);
                return err;
        }
        if (rt.type == RTN_BROADCAST && !sk->broadcast)
                return -EACCES;
        /* sock_alloc_send_pskb: a pending error, then shutdown, then room */
        int e = sock_error(sk);
        if (e)
                return -e;
        if (sk->shutdown & SEND_SHUTDOWN)
                return -EPIPE;
        if (!udp_writable(sk))
                return -EAGAIN;
        if (!msg_iov_ok(msg, len))
                return -EFAULT; /* ip_generic_getfrag's copy faults */

        struct sk_buff *skb = alloc_skb_tx(net, (uint32_t)(UDP_HLEN + len));
        if (!skb) {
                UDP_INC(net, SndbufErrors);
                return -ENOBUFS;
        }
        uint8_t *h = skb_put(skb, (uint32_t)(UDP_HLEN + len));
        uint8_t *p = h + UDP_HLEN;
        size_t left = len;
        for (size_t i = 0; i < (size_t)msg->msg_iovlen && left; i++) {
                size_t n = msg->msg_iov[i].iov_len < left ? msg->msg_iov[i].iov_len : left;
                memcpy(p, msg->msg_iov[i].iov_base, n);
                p += n;
                left -= n;
        }
        uint32_t saddr = sk->saddr ? sk->saddr : rt.saddr;
        struct udp_repr u = { .sport = sk->num, .dport = dport, .len = (uint16_t)(UDP_HLEN + len) };
        udp_emit(&u, h, UDP_HLEN);
        put_be16(h + 6, udp_csum_ipv4(saddr, daddr, h, UDP_HLEN + len));
        skb_reset_transport_header(skb);
        skb_set_owner_w(skb, sk);
        skb->mark = (uint32_t)sk->mark;
        uint8_t ttl = sk->uc_ttl > 0 ? (uint8_t)sk->uc_ttl : 0;
        if (tsflags)
                sock_tx_timestamp_dgram(sk, skb, tsflags); /* SO_TIMESTAMPING */
        err = ip_build_and_send(net, skb, saddr, daddr, IPPROTO_UDP_, sk->tos, ttl,
                                sk->bound_dev_if ? sk->bound_dev_if : 0, sk->pmtudisc);
        if (err == -EMSGSIZE && sk->recverr)
                udp_local_emsgsize(sk, daddr, dport);
        if (err)
                return err;
        UDP_INC(net, OutDatagrams);
        if ((flags & MSG_ZEROCOPY) && len && sk->errq && sk->errq->zerocopy) {
                /* __ip_append_data with SOCK_ZEROCOPY: the datagram was
                 * copied into its skb, so the completion says COPIED; it
                 * comes as the send returns (Linux's when the skb is freed) */
                uint32_t id = sk->errq->zckey++;
                sock_zerocopy_notify(sk, id, id, true);
        }
        return (ssize_t)len;
}

/* Ancillary data for a received datagram (ip_cmsg_recv). */
static void put_cmsgs(struct sock *sk, struct msghdr *msg, struct sk_buff *skb)
{
        struct udp_cb *cb = UDP_CB(skb);
        struct cmsg_writer w;
        cmsg_begin(&w, msg);
        if (sock_wants_rx_tstamp(sk))
                sock_recv_timestamp(sk, &w, skb->tstamp); /* sock_recv_cmsgs, first */
        if (sk->pktinfo) {
                struct in_pktinfo pi = { .ipi_ifindex = cb->ifindex };
                /* fib_compute_spec_dst: the local address the datagram was
                 * for, or for a broadcast the address of the device */
                uint32_t spec = cb->ip.iph.daddr;
                if (cb->ip.route_type != RTN_LOCAL) {
                        /* fib_compute_spec_dst: the preferred source of the
                         * route back to the sender */
                        struct net_device *dev = dev_get_by_index(sk->net, cb->ifindex);
                        uint32_t from = cb->ip.iph.saddr;
                        const struct fib_route *r = from ? fib_lookup(sk->net, from) : NULL;
                        if (r && r->prefsrc)
                                spec = r->prefsrc;
                        else
                                spec = dev ? inet_select_addr(dev, from,
                                                              from ? RT_SCOPE_UNIVERSE
                                                                   : RT_SCOPE_LINK)
                                           : 0;
                }
                pi.ipi_spec_dst.s_addr = htonl(spec);
                pi.ipi_addr.s_addr = htonl(cb->ip.iph.daddr);
                cmsg_put(&w, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
        }
        if (sk->recvttl) {
                int ttl = cb->ip.iph.ttl;
                cmsg_put(&w, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
        }
        if (sk->recvtos) {
                uint8_t tos = cb->ip.iph.tos;
                cmsg_put(&w, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
        }
        cmsg_end(&w);
}

static ssize_t udp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
        struct net *net = sk->net;
        int e = sock_error(sk);
        if (e)
                return -e;
        struct sk_buff *skb = sk->receive_queue.first;
        if (!skb)
                return -EAGAIN; /* after SHUT_RD the waiting path answers 0 */
        if (!(flags & MSG_PEEK))
                skb = sock_dequeue(sk);
        size_t dlen = skb->len;
        size_t copied = dlen < len ? dlen : len;
        if (!msg_iov_ok(msg, copied)) {
                /* udp_recvmsg: the copy faulted -- the datagram is gone
                 * (unless peeked), counted as an input error */
                if (!(flags & MSG_PEEK)) {
                        UDP_INC(net, InErrors);
                        kfree_skb_reason(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                }
                return -EFAULT;
        }
        size_t off = 0;
        for (size_t i = 0; i < (size_t)msg->msg_iovlen && off < copied; i++) {
                size_t n = msg->msg_iov[i].iov_len < copied - off ? msg->msg_iov[i].iov_len
                                                                   : copied - off;
                memcpy(msg->msg_iov[i].iov_base, skb->data + off, n);
                off += n;
        }
        copied = off;
        msg->msg_flags = 0;
        if (copied < dlen)
                msg->msg_flags |= MSG_TRUNC;
        if (msg->msg_name) {
                struct sockaddr_in sin = { .sin_family = AF_INET };
                sin.sin_port = htons(UDP_CB(skb)->sport);
                sin.sin_addr.s_addr = htonl(UDP_CB(skb)->ip.iph.saddr);
                memcpy(msg->msg_name, &sin, sizeof(sin)); /* sys_recvmsg's storage */
                msg->msg_namelen = sizeof(sin);
        }
        put_cmsgs(sk, msg, skb);
        if (!(flags & MSG_PEEK)) {
                UDP_INC(net, InDatagrams);
                consume_skb(skb);
        }
        return (flags & MSG_TRUNC) ? (ssize_t)dlen : (ssize_t)copied;
}

static int udp_bytes_readable(struct sock *sk)
{
        /* SIOCINQ on UDP: the size of the next datagram (first_packet_length) */
        struct sk_buff *skb = sk->receive_queue.first;
        return skb ? (int)skb->len : 0;
}

/* udp_ioctl: SIOCOUTQ is what the socket's sent datagrams still hold
 * (sk_wmem_alloc); SIOCINQ goes to bytes_readable. */
static int udp_ioctl(struct sock *sk, unsigned long req, int *val)
{
        if (req != TIOCOUTQ)
                return -ENOIOCTLCMD;
        *val = atomic_load(&sk->wmem_alloc);
        return 0;
}

static int udp_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len)
{
        if (level == IPPROTO_IP)
                return ip_setsockopt(sk, name, val, len);
        if (level == IPPROTO_UDP)
                return -ENOPROTOOPT; /* UDP_CORK, UDP_SEGMENT: not built */
        return -ENOPROTOOPT;
}

static int udp_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len)
{
        if (level == IPPROTO_IP)
                return ip_getsockopt(sk, name, val, len);
        if (level == IPPROTO_UDP)
                return -ENOPROTOOPT;
        return -EOPNOTSUPP; /* ip_getsockopt: not SOL_IP */
}

static void udp_destroy(struct sock *sk)
{
}

/* udp_abort: the error for the owner, and the socket disconnected. */
static int udp_abort(struct sock *sk, int err)
{
        sock_set_err(sk, err);
        udp_disconnect(sk);
        return 0;
}

const struct proto udp_prot = {
        .name = "UDP",
        .init = udp_init_sock,
        .destroy = udp_destroy,
        .close = udp_close,
        .bind = udp_bind,
        .autobind = udp_autobind,
        .connect = udp_connect,
        .disconnect = udp_disconnect,
        .sendmsg = udp_sendmsg,
        .recvmsg = udp_recvmsg,
        .setsockopt = udp_setsockopt,
        .getsockopt = udp_getsockopt,
        .ioctl = udp_ioctl,
        .bytes_readable = udp_bytes_readable,
        .writable = udp_writable,
        .diag_destroy = udp_abort,
};

/* --- input ------------------------------------------------------------------- */

/* compute_score: -1 when sk cannot take the datagram, higher is better. */
static int udp_score(struct sock *sk, uint32_t saddr, uint16_t sport, uint32_t daddr,
                     uint16_t dport, int ifindex)
{
        if (sk->num != dport)
                return -1;
        int score = 0;
        if (sk->rcv_saddr) {
                if (sk->rcv_saddr != daddr)
                        return -1;
                score += 4;
        }
        if (sk->daddr) {
                if (sk->daddr != saddr)
                        return -1;
                score += 4;
        }
        if (sk->dport) {
                if (sk->dport != sport)
                        return -1;
                score += 4;
        }
        if (sk->bound_dev_if) {
                if (sk->bound_dev_if != ifindex)
                        return -1;
                score += 4;
        }
        return score;
}

static struct sock *udp_lookup(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr,
                               uint16_t dport, int ifindex)
{
        struct sock *best = NULL;
        int best_score = -1;
        for (struct sock *sk = *port_hash_bucket(udp_table_of(net), dport); sk; sk = sk->hash_next) {
                int s = udp_score(sk, saddr, sport, daddr, dport, ifindex);
                if (s > best_score) {
                        best = sk;
                        best_score = s;
                }
        }
        return best;
}

static void udp_deliver(struct net *net, struct sock *sk, struct sk_buff *skb)
{
        if (sock_queue_rcv_skb(sk, skb)) {
                UDP_INC(net, RcvbufErrors);
                UDP_INC(net, InErrors);
                TRACE(net, skb, IP_LOCAL, "udp: receive buffer full (%d of %d bytes)",
                      atomic_load(&sk->rmem_alloc), sk->rcvbuf);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
                return;
        }
        TRACE(net, skb, IP_LOCAL, "udp: queued to socket on port %u", sk->num);
}

/* __udp4_lib_mcast_deliver: a copy to every socket that matches. */
static void udp_bcast_deliver(struct net *net, struct sk_buff *skb, uint32_t saddr,
                              uint16_t sport, uint32_t daddr, uint16_t dport, int ifindex)
{
        struct sock *first = NULL;
        for (struct sock *sk = *port_hash_bucket(udp_table_of(net), dport); sk; sk = sk->hash_next) {
                if (sk->num != dport || (sk->rcv_saddr && sk->rcv_saddr != daddr &&
                                         !ipv4_is_lbcast(daddr)))
                        continue;
                if (sk->daddr && (sk->daddr != saddr || sk->dport != sport))
                        continue;
                if (sk->bound_dev_if && sk->bound_dev_if != ifindex)
                        continue;
                if (!first) {
                        first = sk;
                        continue;
                }
                struct sk_buff *c = skb_copy(net, skb);
                if (c)
                        udp_deliver(net, sk, c);
        }
        if (first) {
                udp_deliver(net, first, skb);
                return;
        }
        UDP_INC(net, IgnoredMulti);
        consume_skb(skb);
}

static void udp_rcv(struct sk_buff *skb)
{
        struct net *net = skb->dev->net;
        struct udp_cb *cb = UDP_CB(skb);
        struct udp_repr u;
        enum wire_status st = udp_parse(skb->data, skb->len, &u);
        if (st != WIRE_OK) {
                UDP_INC(net, InErrors);
                TRACE(net, skb, IP_LOCAL, "udp: bad header (%s)", wire_status_name(st));
                kfree_skb_reason(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        skb_trim(skb, u.len);
        uint32_t saddr = cb->ip.iph.saddr, daddr = cb->ip.iph.daddr;
        if (!skb->csum_unnecessary && !udp_csum_ok_ipv4(saddr, daddr, skb->data, skb->len)) {
                UDP_INC(net, InCsumErrors);
                UDP_INC(net, InErrors);
                kfree_skb_reason(net, skb, SKB_DROP_REASON_UDP_CSUM);
                return;
        }
        cb->sport = u.sport;
        cb->ifindex = skb->dev->ifindex;
        skb_pull(skb, UDP_HLEN);
        if (cb->ip.route_type == RTN_BROADCAST || cb->ip.route_type == RTN_MULTICAST) {
                udp_bcast_deliver(net, skb, saddr, u.sport, daddr, u.dport, cb->ifindex);
                return;
        }
        struct sock *sk = udp_lookup(net, saddr, u.sport, daddr, u.dport, cb->ifindex);
        if (sk) {
                udp_deliver(net, sk, skb);
                return;
        }
        UDP_INC(net, NoPorts);
        TRACE(net, skb, IP_LOCAL, "udp: nobody on port %u: ICMP port unreachable", u.dport);
        /* icmp_send quotes from the network header, which is still there */
        icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
        kfree_skb_reason(net, skb, SKB_DROP_REASON_NO_SOCKET);
}

/* __udp4_lib_err: the quoted datagram was ours; tell its socket. */
static int udp_err(struct net *net, const uint8_t *inner, size_t len, uint8_t type, uint8_t code,
                   uint32_t info, uint32_t from)
{
        unsigned ihl = (inner[0] & 0x0f) * 4u;
        if (len < ihl + 8)
                return 0;
        uint32_t saddr = get_be32(inner + 12), daddr = get_be32(inner + 16);
        uint16_t sport = get_be16(inner + ihl), dport = get_be16(inner + ihl + 2);
        /* our datagram went saddr:sport -> daddr:dport: look it up as if it
         * came back the other way */
        struct sock *sk = udp_lookup(net, daddr, dport, saddr, sport, 0);
        if (!sk)
                return 0;
        int err;
        bool hard;
        icmp_err_convert(type, code, &err, &hard);
        if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
                /* path MTU discovery: the route learns it; a socket that
                 * may set DF hears EMSGSIZE */
                ipv4_update_pmtu(net, inner, len, info);
                if (sk->pmtudisc == IP_PMTUDISC_DONT)
                        return 0;
                hard = true;
        }
        if (type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT)
                return 0;
        if (!sk->recverr && (!hard || sk->state != TCP_ESTABLISHED))
                return 0;
        if (sk->recverr) {
                /* ip_icmp_error: the datagram's payload, as far as quoted */
                struct sock_exterr_skb serr = {
                        .ee = { .ee_errno = (uint32_t)err, .ee_origin = SO_EE_ORIGIN_ICMP,
                                .ee_type = type, .ee_code = code, .ee_info = info },
                        .offender = from, .addr = daddr, .port = dport,
                };
                sock_queue_err_data(sk, &serr, inner + ihl + 8, len - ihl - 8);
        }
        sock_set_err(sk, err);
        return 0;
}

int udp_init(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        struct port_hash *t = calloc(1, sizeof(*t));
        if (!t || port_hash_init(t)) {
                free(t);
                return -ENOMEM;
        }
        in->udp = t;
        in->protos[IPPROTO_UDP_] = udp_rcv;
        in->err_handlers[IPPROTO_UDP_] = udp_err;
        return 0;
}

void udp_exit(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        if (!in || !in->udp)
                return;
        port_hash_free(in->udp);
        free(in->udp);
        in->udp = NULL;
}

/* --- IPPROTO_IP options --------------------------------------------------------- */

static int ip_opt_int(const void *val, socklen_t len, int *out)
{
        /* do_ip_setsockopt: an int, or a single byte */
        if (len >= (socklen_t)sizeof(int)) {
                memcpy(out, val, sizeof(int));
                return 0;
        }
        /* shorter than a byte: the value stays 0, as do_ip_setsockopt */
        *out = len >= 1 ? *(const unsigned char *)val : 0;
        return 0;
}

int ip_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
        int v;
        switch (name) {
        case IP_TTL:
                if (len < 1)
                        return -EINVAL;
                if (ip_opt_int(val, len, &v))
                        return -EINVAL;
                if (v != -1 && (v < 1 || v > 255))
                        return -EINVAL;
                sk->uc_ttl = v;
                return 0;
        case IP_FREEBIND:
                if (ip_opt_int(val, len, &v))
                        return -EINVAL;
                sk->freebind = v != 0;
                return 0;
        case IP_TOS:
                if (ip_opt_int(val, len, &v))
                        return -EINVAL;
                /* __ip_sock_set_tos: TCP owns the ECN bits of its tos */
                if (sk->type == SOCK_STREAM)
                        v = (v & ~3) | (sk->tos & 3);
                sk->tos = (uint8_t)v;
                return 0;
        case IP_PKTINFO:
        case IP_RECVTTL:
        case IP_RECVTOS:
        case IP_RECVERR:
                if (ip_opt_int(val, len, &v))
                        return -EINVAL;
                if (name == IP_PKTINFO)
                        sk->pktinfo = v != 0;
                else if (name == IP_RECVTTL)
                        sk->recvttl = v != 0;
                else if (name == IP_RECVTOS)
                        sk->recvtos = v != 0;
                else {
                        sk->recverr = v != 0;
                        if (!v)
                                sock_errq_purge(sk);
                }
                return 0;
        case IP_MTU_DISCOVER:
                if (ip_opt_int(val, len, &v))
                        return -EINVAL;
                if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
                        return -EINVAL;
                sk->pmtudisc = v;
                return 0;
        default:
                return -ENOPROTOOPT;
        }
}

static int ip_put_int(void *val, socklen_t *len, int v)
{
        /* do_ip_getsockopt: a byte when the caller offers less than an int
         * and the value fits, else an int */
        if (*len < (socklen_t)sizeof(int) && *len > 0 && v >= 0 && v <= 255) {
                unsigned char c = (unsigned char)v;
                memcpy(val, &c, 1);
                *len = 1;
                return 0;
        }
        if (*len < (socklen_t)sizeof(int)) {
                if ((int)*len < 0)
                        return -EINVAL;
                *len = 0;
                return 0;
        }
        memcpy(val, &v, sizeof(int));
        *len = sizeof(int);
        return 0;
}

int ip_getsockopt(struct sock *sk, int name, void *val, socklen_t *len)
{
        if ((int)*len < 0)
                return -EINVAL;
        switch (name) {
        case IP_TTL:
                return ip_put_int(val, len,
                                  sk->uc_ttl > 0 ? sk->uc_ttl : ipv4_of(sk->net)->ip_default_ttl);
        case IP_TOS:
                return ip_put_int(val, len, sk->tos);
        case IP_PKTINFO:
                return ip_put_int(val, len, sk->pktinfo);
        case IP_RECVTTL:
                return ip_put_int(val, len, sk->recvttl);
        case IP_RECVTOS:
                return ip_put_int(val, len, sk->recvtos);
        case IP_RECVERR:
                return ip_put_int(val, len, sk->recverr);
        case IP_FREEBIND:
                return ip_put_int(val, len, sk->freebind);
        case IP_MTU_DISCOVER:
                return ip_put_int(val, len, sk->pmtudisc);
        case IP_MTU: {
                if (sk->state != TCP_ESTABLISHED)
                        return -ENOTCONN;
                struct rt_result rt;
                if (ip_route_output_sk(sk, sk->daddr, &rt))
                        return -ENOTCONN;
                return ip_put_int(val, len, (int)rt_mtu(&rt)); /* dst_mtu: the path's */
        }
        default:
                return -ENOPROTOOPT;
        }
}
