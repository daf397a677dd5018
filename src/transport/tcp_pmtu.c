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
 * The other ICMP errors about TCP segments are tcp_err.c's.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ipv4/ipv4.h"
#include "transport/tcp.h"
#include "transport/tcp_recovery.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/tcp.h"

/* tcp_mtu_to_mss: the payload a segment may carry on a path of pmtu bytes,
 * no more than the MSS the connection already uses (its clamp), at least
 * tcp_min_snd_mss, less the options every segment carries. */
static uint16_t tcp_mtu_to_mss(const struct sock *sk, unsigned pmtu)
{
        const struct tcp_sock *tp = tcp_sk((struct sock *)sk);
        unsigned opts = tcp_opt_overhead(tp);
        unsigned clamp = tp->mss + opts;
        unsigned mss = pmtu > 40 ? pmtu - 40 : 0;
        if (mss > clamp)
                mss = clamp;
        if (mss < (unsigned)tcp_cfg(sk->net)->min_snd_mss)
                mss = (unsigned)tcp_cfg(sk->net)->min_snd_mss;
        return (uint16_t)(mss - opts);
}

/* tcp_v4_mtu_reduced: learn the path MTU for the connection's flow, then
 * send smaller segments if it is below what the MSS was sized for.
 * (tcp_err.c calls it for a "fragmentation needed" within the window.) */
void tcp_v4_mtu_reduced(struct sock *sk, uint32_t mtu)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        ip_rt_update_pmtu(net, sk->daddr, sk->saddr, sk->bound_dev_if, (uint32_t)sk->mark,
                          IP_RT_TOS(sk->tos), mtu);
        struct rt_result rt;
        if (ip_route_output_sk(sk, sk->daddr, &rt))
                return;
        /* ip_sk_accept_pmtu: INTERFACE and OMIT go by the device; a DONT
         * socket (ip_no_pmtu_disc) keeps its MSS */
        if (sk->pmtudisc == IP_PMTUDISC_INTERFACE || sk->pmtudisc == IP_PMTUDISC_OMIT ||
            sk->pmtudisc == IP_PMTUDISC_DONT)
                return;
        uint16_t mss = tcp_mtu_to_mss(sk, rt_mtu(&rt));
        if (mss >= tp->mss)
                return;
        tp->mss = mss; /* tcp_sync_mss */
        if (sk->state == TCP_SYN_SENT || tp->snd_una == tp->snd_nxt)
                return;
        tcp_simple_retransmit(sk);
}
