/*
 * How large TCP's skbs and packets are (Linux's size_goal, TSO autosizing,
 * tcp_mss_split_point and Nagle with Minshall's rule).
 *
 * Linux builds write-queue skbs of up to size_goal bytes (several MSS:
 * TCP always uses GSO since Linux 4.19, whatever the device's TSO/GSO
 * features say), charges each to sk_wmem_queued as payload + one skb's
 * overhead, and hands the device one packet per skb -- cut by tcp_write_xmit
 * to what cwnd, the peer's window and tcp_tso_autosize allow.  Every
 * packet of more than one segment carries PSH (__tcp_transmit_skb, for GRO
 * at the receiver) on its last segment.
 *
 * Strata keeps the same Linux skbs, but stores each as a run of MSS-sized
 * buffers ("pieces"): the first has cb->cont clear, the others set.  The
 * sent part of the queue is thus one skb per segment, which is what the
 * SACK scoreboard, RACK and retransmission count (tcp_skb_pcount is 1 for
 * every sent skb), and the payload is still copied once, from the user, as
 * segments are built in place (tcp_transmit_skb).  What Linux decides per
 * skb -- size_goal, the send-buffer charge, PSH marks, FIN merging, the
 * TSO split point -- is decided here per run.  A packet leaves as its
 * segments, one frame each: what Linux's GSO would hand a device without
 * TSO, so no device ever needs to segment a TCP frame in software.
 */
#include "transport/tcp.h"

/* net->gso_max_size of Linux's devices (GSO_LEGACY_MAX_SIZE) less the
 * MAX_TCP_HEADER + 1 sk_setup_caps keeps back. */
#define TCP_GSO_MAX_SIZE (65536u - 320u - 1u)
#define TCP_GSO_MAX_SEGS 65535u
#define TCP_PACING_SHIFT 10 /* sk_pacing_shift: 1 ms of data per packet */
#define TCP_TSO_RTT_LOG  9  /* net.ipv4.tcp_tso_rtt_log */

struct sk_buff *tcp_run_head(struct sk_buff *skb)
{
        while (skb && TCP_SKB_CB(skb)->cont && skb->prev)
                skb = skb->prev;
        return skb;
}

uint32_t tcp_run_len(struct sk_buff *skb, uint32_t cap, struct sk_buff **last)
{
        uint32_t len = 0;
        struct sk_buff *l = skb;
        for (; skb; skb = skb->next) {
                if (skb != l && !TCP_SKB_CB(skb)->cont)
                        break;
                if (len > cap) {
                        l = NULL; /* goes on past cap */
                        break;
                }
                len += skb->len;
                l = skb;
        }
        if (last)
                *last = l;
        return len;
}

void tcp_run_split(struct tcp_sock *tp, struct sk_buff *skb)
{
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        if (!cb->cont)
                return;
        cb->cont = 0;
        cb->truesize += TCP_SKB_TRUESIZE_OVERHEAD;
        tp->wmem_queued += TCP_SKB_TRUESIZE_OVERHEAD;
}

/* tcp_bound_to_half_wnd: no skb larger than half the largest window the
 * peer ever offered (so two are in flight at once). */
static uint32_t bound_to_half_wnd(const struct tcp_sock *tp, uint32_t size)
{
        uint32_t cutoff = tp->max_window > 536 ? tp->max_window >> 1 : tp->max_window;
        if (cutoff && size > cutoff)
                return cutoff > 68 - 20 ? cutoff : 68 - 20;
        return size;
}

uint32_t tcp_xmit_size_goal(struct sock *sk, uint32_t mss)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!mss)
                return 1;
        if (tp->md5_keys)
                return mss; /* signed segments: no GSO (tcp_md5_do_add's sk_gso_disable) */
        uint32_t goal = bound_to_half_wnd(tp, TCP_GSO_MAX_SIZE);
        uint32_t segs = goal / mss;
        if (segs > TCP_GSO_MAX_SEGS)
                segs = TCP_GSO_MAX_SEGS;
        return segs > 1 ? segs * mss : mss;
}

/* sk_pacing_rate as tcp_update_pacing_rate sets it (bytes per second):
 * twice cwnd per RTT in slow start, 1.2 times after; unlimited until the
 * first RTT sample. */
static uint64_t pacing_rate(const struct sock *sk)
{
        const struct tcp_sock *tp = tcp_sk((struct sock *)sk);
        const struct tcp_cfg *cfg = tcp_cfg(sk->net);
        uint64_t srtt_us = tp->srtt / 1000;
        if (!tp->srtt)
                return UINT64_MAX;
        uint64_t ratio = tp->snd_cwnd < tp->snd_ssthresh / 2 ? (uint64_t)cfg->pacing_ss_ratio
                                                             : (uint64_t)cfg->pacing_ca_ratio;
        uint32_t out = tcp_packets_out(tp);
        uint64_t segs = tp->snd_cwnd > out ? tp->snd_cwnd : out;
        uint64_t rate = (uint64_t)tp->mss * 10000u * ratio * segs;
        return srtt_us ? rate / srtt_us : rate;
}

uint32_t tcp_tso_segs(struct sock *sk, uint32_t mss)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!mss)
                return 1;
        /* tcp_tso_autosize: about 1 ms of data at the pacing rate, more
         * when the path's RTT is tiny */
        uint64_t rate = pacing_rate(sk);
        uint64_t bytes = rate == UINT64_MAX ? UINT64_MAX : rate >> TCP_PACING_SHIFT;
        uint64_t min_rtt_us = tp->sb.min_rtt_ns ? tp->sb.min_rtt_ns / 1000 : UINT32_MAX;
        uint64_t r = min_rtt_us >> TCP_TSO_RTT_LOG;
        if (r < 32 && bytes != UINT64_MAX)
                bytes += TCP_GSO_MAX_SIZE >> r;
        if (bytes > TCP_GSO_MAX_SIZE)
                bytes = TCP_GSO_MAX_SIZE;
        uint32_t segs = (uint32_t)(bytes / mss);
        uint32_t min_segs = (uint32_t)tcp_cfg(sk->net)->min_tso_segs;
        if (segs < min_segs)
                segs = min_segs;
        return segs < TCP_GSO_MAX_SEGS ? segs : TCP_GSO_MAX_SEGS;
}

bool tcp_nagle_check(const struct tcp_sock *tp, bool partial, unsigned nonagle)
{
        /* tcp_minshall_check: a small segment is still unacknowledged */
        bool minshall = seq_after(tp->snd_sml, tp->snd_una) && !seq_after(tp->snd_sml, tp->snd_nxt);
        return partial &&
               ((nonagle & TCP_NAGLE_CORK) || (!nonagle && tp->snd_nxt != tp->snd_una && minshall));
}

uint32_t tcp_mss_split_point(struct sock *sk, struct sk_buff *skb, uint32_t run_len, bool is_tail,
                             uint32_t mss, uint32_t max_segs, unsigned nonagle)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
        uint32_t seq = TCP_SKB_CB(skb)->seq;
        uint32_t window = seq_after(wnd_end, seq) ? wnd_end - seq : 0;
        uint32_t max_len = mss * max_segs;
        if (max_len <= window && !is_tail)
                return max_len;
        uint32_t needed = run_len < window ? run_len : window;
        if (max_len <= needed)
                return max_len;
        uint32_t partial = needed % mss;
        /* a partial last segment waits as Nagle would make it wait */
        if (tcp_nagle_check(tp, partial != 0, nonagle))
                return needed - partial;
        return needed;
}

void tcp_minshall_update(struct tcp_sock *tp, uint32_t len, uint32_t mss, uint32_t end_seq)
{
        uint32_t pcount = len > mss ? (len + mss - 1) / mss : 1;
        if (len < pcount * mss)
                tp->snd_sml = end_seq;
}
