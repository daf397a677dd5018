/*
 * TCP's part of path MTU discovery (Linux's tcp_v4_err for "fragmentation
 * needed", tcp_v4_mtu_reduced, tcp_sync_mss, tcp_simple_retransmit).
 *
 * An ICMP "fragmentation needed" quoting one of a connection's segments
 * -- its sequence number between snd_una and snd_nxt, so a blind sender
 * cannot shrink a connection it does not see -- teaches the route (the
 * next-hop exception of src/ipv4/route_exc.c) and lowers the connection's
 * MSS to what the path now carries.  The segments in flight were dropped
 * on the way: as tcp_simple_retransmit, the connection enters recovery at
 * snd_nxt without a congestion response and resends from snd_una, each
 * segment cut to the new MSS (tcp_retransmit_head and tcp_push_mode split
 * what is larger), one more at each partial ACK.
 *
 * Other ICMP errors about TCP segments are not acted on yet: they are left
 * to icmp.c, which drops them as NO_SOCKET.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ipv4/ipv4.h"
#include "transport/tcp.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/tcp.h"

/* tcp_mtu_to_mss: the payload a segment may carry on a path of pmtu bytes,
 * no more than the MSS the connection already uses (its clamp), at least
 * tcp_min_snd_mss, less the options every segment carries. */
static uint16_t tcp_mtu_to_mss(const struct sock *sk, unsigned pmtu)
{
        const struct tcp_sock *tp = tcp_sk((struct sock *)sk);
        unsigned opts = tp->tstamp_ok ? 12 : 0;
        unsigned clamp = tp->mss + opts;
        unsigned mss = pmtu > 40 ? pmtu - 40 : 0;
        if (mss > clamp)
                mss = clamp;
        if (mss < (unsigned)tcp_cfg(sk->net)->min_snd_mss)
                mss = (unsigned)tcp_cfg(sk->net)->min_snd_mss;
        return (uint16_t)(mss - opts);
}

/* tcp_v4_mtu_reduced: learn the path MTU for the connection's flow, then
 * send smaller segments if it is below what the MSS was sized for. */
static void tcp_v4_mtu_reduced(struct sock *sk, uint32_t mtu)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        ip_rt_update_pmtu(net, sk->daddr, sk->saddr, sk->bound_dev_if, (uint32_t)sk->mark,
                          IP_RT_TOS(sk->tos), mtu);
        struct rt_result rt;
        if (ip_route_output_sk(sk, sk->daddr, &rt))
                return;
        /* ip_sk_accept_pmtu: INTERFACE and OMIT go by the device */
        if (sk->pmtudisc == IP_PMTUDISC_INTERFACE || sk->pmtudisc == IP_PMTUDISC_OMIT)
                return;
        uint16_t mss = tcp_mtu_to_mss(sk, rt_mtu(&rt));
        if (mss >= tp->mss)
                return;
        tp->mss = mss; /* tcp_sync_mss */
        if (sk->state == TCP_SYN_SENT || tp->snd_una == tp->snd_nxt)
                return;
        /* tcp_simple_retransmit: no congestion response; Strata's recovery
         * ends with cwnd = ssthresh, so ssthresh keeps the window */
        if (!tp->in_recovery) {
                tp->snd_ssthresh = tp->snd_cwnd;
                tp->in_recovery = true;
                tp->high_seq = tp->snd_nxt;
                tp->dupacks = 0;
        }
        tcp_retransmit_head(sk);
        tcp_reset_rtx_timer(sk);
}

/* tcp_v4_err, "fragmentation needed" only.  0 when taken, else the drop
 * reason for icmp.c. */
static int tcp_v4_err(struct net *net, const uint8_t *inner, size_t len, uint8_t type, uint8_t code,
                      uint32_t info)
{
        if (type != ICMP_DEST_UNREACH || code != ICMP_FRAG_NEEDED)
                return SKB_DROP_REASON_NO_SOCKET; /* not acted on yet */
        unsigned ihl = (inner[0] & 0x0f) * 4u;
        if (len < ihl + 8)
                return SKB_DROP_REASON_PKT_TOO_SMALL;
        uint32_t saddr = get_be32(inner + 12), daddr = get_be32(inner + 16);
        uint16_t sport = get_be16(inner + ihl), dport = get_be16(inner + ihl + 2);
        uint32_t seq = get_be32(inner + ihl + 4);
        /* our segment went saddr:sport -> daddr:dport */
        struct sock *sk = tcp_lookup(net, daddr, dport, saddr, sport);
        if (!sk)
                return SKB_DROP_REASON_NO_SOCKET;
        if (sk->state == TCP_LISTEN || sk->state == TCP_TIME_WAIT || sk->state == TCP_CLOSE)
                return 0; /* nothing in flight to resize */
        struct tcp_sock *tp = tcp_sk(sk);
        if (seq_before(seq, tp->snd_una) || seq_after(seq, tp->snd_nxt))
                return 0; /* out of window (Linux counts OutOfWindowIcmps) */
        tcp_v4_mtu_reduced(sk, info);
        return 0;
}

void tcp_pmtu_init(struct net *net)
{
        ipv4_of(net)->err_handlers[IPPROTO_TCP_] = tcp_v4_err;
}
