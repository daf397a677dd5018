/*
 * ICMP errors about TCP segments we sent (Linux's tcp_v4_err, reduced).
 *
 * The quoted header names the connection and the sequence number the
 * router saw.  An error whose sequence number is not in flight
 * (snd_una..snd_nxt) is forged or stale: counted in
 * TcpExt.OutOfWindowIcmps and ignored, as RFC 5927 advises.  Otherwise:
 *  - a child still in SYN_RECV (no Fast Open) whose SYN-ACK drew a net or
 *    host unreachable, time exceeded or parameter problem is dropped
 *    silently (tcp_req_err): accept() never returns network errors;
 *  - a connection being opened (SYN_SENT, or a Fast Open child not yet
 *    accepted) fails with the error's errno: connect() and the reader see
 *    it;
 *  - an established connection keeps going: with IP_RECVERR the error is
 *    reported, else it is kept as the soft error a later timeout reports
 *    instead of ETIMEDOUT.
 * A "fragmentation needed" within the window is path MTU discovery:
 * tcp_pmtu.c teaches the route and shrinks the MSS.
 * Not yet: the RTO revert on unreachables (tcp_ld_RTO_revert).
 * Returns 0, or the drop reason icmp.c counts (NO_SOCKET: not ours).
 */
#include <errno.h>

#include "ipv4/ipv4.h"
#include "transport/tcp.h"
#include "wire/bytes.h"
#include "wire/icmp.h"

static int tcp_v4_err(struct net *net, const uint8_t *inner, size_t len, uint8_t type,
                      uint8_t code, uint32_t info, uint32_t from)
{
        unsigned ihl = (inner[0] & 0x0f) * 4u;
        if (len < ihl + 8)
                return SKB_DROP_REASON_PKT_TOO_SMALL;
        uint32_t saddr = get_be32(inner + 12), daddr = get_be32(inner + 16);
        uint16_t sport = get_be16(inner + ihl), dport = get_be16(inner + ihl + 2);
        uint32_t seq = get_be32(inner + ihl + 4);
        /* our segment went saddr:sport -> daddr:dport */
        struct sock *sk = tcp_lookup(net, daddr, dport, saddr, sport);
        if (!sk) {
                ICMP_INC(net, InErrors);
                return SKB_DROP_REASON_NO_SOCKET;
        }
        if (sk->state == TCP_TIME_WAIT || sk->state == TCP_LISTEN) {
                ICMP_INC(net, InErrors);
                return 0;
        }
        if (type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT)
                return 0; /* Linux ignores both for TCP */
        struct tcp_sock *tp = tcp_sk(sk);
        if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
                /* path MTU discovery, for a segment in flight only: a
                 * blind sender cannot shrink a connection it does not see */
                if (sk->state == TCP_CLOSE || seq_before(seq, tp->snd_una) ||
                    seq_after(seq, tp->snd_nxt))
                        TCPEXT_INC(net, OutOfWindowIcmps);
                else
                        tcp_v4_mtu_reduced(sk, info);
                return 0;
        }
        sock_hold(sk);
        if (sk->state == TCP_SYN_RECV && !tcp_fo(tp)->passive && tp->parent) {
                /* a listener's child: tcp_req_err */
                bool abort = type == ICMP_PARAMETERPROB || type == ICMP_TIME_EXCEEDED ||
                             (type == ICMP_DEST_UNREACH &&
                              (code == ICMP_NET_UNREACH || code == ICMP_HOST_UNREACH));
                if (seq != tp->iss) {
                        TCPEXT_INC(net, OutOfWindowIcmps);
                } else if (abort) {
                        struct sock *parent = tp->parent;
                        if (parent) {
                                tcp_sk(parent)->lq->syn_qlen--;
                                tp->parent = NULL;
                                TCPEXT_INC(net, ListenDrops);
                                sock_put(parent);
                        }
                        tcp_done(sk);
                }
                sock_put(sk);
                return 0;
        }
        /* a Fast Open child's SYN-ACK is not in snd_una..snd_nxt */
        uint32_t una = tcp_fo(tp)->passive && sk->state == TCP_SYN_RECV ? tp->iss : tp->snd_una;
        if (seq_before(seq, una) || seq_after(seq, tp->snd_nxt)) {
                TCPEXT_INC(net, OutOfWindowIcmps);
                sock_put(sk);
                return 0;
        }
        int err;
        bool hard;
        icmp_err_convert(type, code, &err, &hard);
        if (sk->state == TCP_SYN_SENT ||
            (sk->state == TCP_SYN_RECV && (!tcp_fo(tp)->passive || tp->parent))) {
                /* only in a fast or simultaneous open: the opening fails
                 * (a Fast Open child already accepted counts as connected) */
                sock_set_err(sk, err);
                tcp_done(sk);
        } else if (sk->recverr) {
                sock_set_err(sk, err);
        } else {
                tp->soft_err = (uint8_t)err;
        }
        sock_put(sk);
        return 0;
}

void tcp_err_init(struct net *net)
{
        ipv4_of(net)->err_handlers[IPPROTO_TCP_] = tcp_v4_err;
}
