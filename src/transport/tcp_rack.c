/*
 * RACK loss detection (RFC 8985; Linux's tcp_recovery.c), on by
 * net.ipv4.tcp_recovery bit 0 as in Linux (the default).
 *
 * Loss is judged by time, not by counting: RACK remembers the most
 * recently *sent* segment that was delivered (SACKed or acked) and its
 * RTT.  A segment sent before it and still not delivered after that RTT
 * plus a reordering window is lost.  The window is a quarter of the
 * minimum RTT (capped at srtt), or zero while no reordering was seen and
 * either recovery runs or dupthresh segments are SACKed -- so three SACKs
 * above a hole still mark it at once, as the dupthresh rule did.  What is
 * not yet late enough arms the reordering timer for when it will be.
 *
 * Segments are scanned in sequence order over the write queue (Linux keeps
 * a list in send order), so every check walks what is in flight.
 */
#include "transport/tcp_sack.h"

#include "transport/tcp.h"
#include "transport/tcp_recovery.h"

#define TCP_TIMEOUT_MIN_NS (2 * NSEC_PER_MSEC) /* Linux's TCP_TIMEOUT_MIN: 2 jiffies */

/* tcp_skb_sent_after: t1/seq1 went after t2/seq2 (sequence breaks ties) */
static bool sent_after(uint64_t t1, uint64_t t2, uint32_t seq1, uint32_t seq2)
{
        return t1 > t2 || (t1 == t2 && seq_after(seq1, seq2));
}

void tcp_rack_rtt_sample(struct tcp_sock *tp, uint64_t rtt_ns)
{
        if (rtt_ns && (!tp->sb.min_rtt_ns || rtt_ns < tp->sb.min_rtt_ns))
                tp->sb.min_rtt_ns = rtt_ns;
}

void tcp_rack_advance(struct tcp_sock *tp, struct sk_buff *skb, uint64_t now)
{
        struct tcp_scoreboard *sb = &tp->sb;
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        uint64_t rtt = now > cb->tx_ns ? now - cb->tx_ns : 0;
        /* a retransmitted segment delivered faster than any RTT: it was the
         * original that arrived; its time says nothing */
        if ((cb->sacked & TCPCB_EVER_RETRANS) && rtt < sb->min_rtt_ns)
                return;
        sb->rack_advanced = true;
        sb->rack_rtt_ns = rtt;
        if (sent_after(cb->tx_ns, sb->rack_xmit_ns, cb->end_seq, sb->rack_end_seq)) {
                sb->rack_xmit_ns = cb->tx_ns;
                sb->rack_end_seq = cb->end_seq;
        }
}

/* tcp_rack_reo_wnd */
static uint64_t rack_reo_wnd(const struct tcp_sock *tp)
{
        const struct tcp_scoreboard *sb = &tp->sb;
        if (!sb->reord_seen) {
                if (sb->ca_state == TCP_CA_Recovery || sb->ca_state == TCP_CA_Loss)
                        return 0;
                if (sb->sacked_out >= sb->reordering)
                        return 0;
        }
        uint64_t w = sb->min_rtt_ns / 4 * (sb->reo_wnd_steps ? sb->reo_wnd_steps : 1);
        uint64_t cap = tp->srtt;
        return w < cap ? w : cap;
}

#define TCP_RACK_STATIC_REO_WND 0x2 /* net.ipv4.tcp_recovery: no adapting */
#define TCP_RACK_RECOVERY_THRESH 16

void tcp_rack_update_reo_wnd(struct sock *sk, uint32_t delivered)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        /* the common ACK: nothing to grow, nothing to shrink */
        if (!delivered || (!sb->rack_dsack_seen && sb->reo_wnd_steps <= 1))
                return;
        if (tcp_cfg(sk->net)->recovery & TCP_RACK_STATIC_REO_WND)
                return;
        /* a D-SACK for data sent before the last growth is a round late */
        uint32_t sent_ms = (uint32_t)(sb->rack_xmit_ns / NSEC_PER_MSEC);
        if (sb->rack_dsack_seen && (int32_t)(sent_ms - sb->reo_adjust_ms) < 0)
                sb->rack_dsack_seen = false;
        if (sb->rack_dsack_seen) {
                if (sb->reo_wnd_steps < 0xff)
                        sb->reo_wnd_steps++;
                sb->rack_dsack_seen = false;
                sb->reo_adjust_ms = tcp_time_ms(sk->net);
                sb->reo_wnd_persist = TCP_RACK_RECOVERY_THRESH;
        } else if (!sb->reo_wnd_persist) {
                sb->reo_wnd_steps = 1;
        }
}

/* tcp_rack_detect_loss: returns the longest wait (ns) of those not yet
 * late, 0 if none. */
static uint64_t rack_detect_loss(struct sock *sk, uint64_t now)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        uint64_t reo_wnd = rack_reo_wnd(tp), wait = 0;
        for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (!seq_before(cb->seq, tp->snd_nxt))
                        break;
                if (cb->sacked & TCPCB_SACKED_ACKED)
                        continue;
                if ((cb->sacked & TCPCB_LOST) && !(cb->sacked & TCPCB_SACKED_RETRANS))
                        continue; /* lost, waiting for its retransmission */
                if (!sent_after(sb->rack_xmit_ns, cb->tx_ns, sb->rack_end_seq, cb->end_seq))
                        continue;
                uint64_t deadline = cb->tx_ns + sb->rack_rtt_ns + reo_wnd;
                if (deadline > now) {
                        if (deadline - now > wait)
                                wait = deadline - now;
                        continue;
                }
                /* tcp_mark_skb_lost; a lost retransmission goes again */
                if (cb->sacked & TCPCB_LOST) {
                        cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
                        sb->retrans_out--;
                        sb->lost_retrans++;
                        TCPEXT_INC(sk->net, TCPLostRetransmit);
                } else {
                        cb->sacked |= TCPCB_LOST;
                        sb->lost_out++;
                }
        }
        return wait;
}

static void rack_arm(struct sock *sk, uint64_t wait)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        if (wait)
                mod_timer(&net->timers, &tp->reo_timer, net_now(net) + wait + TCP_TIMEOUT_MIN_NS);
}

bool tcp_rack_mark_lost(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->sb.rack_advanced)
                return false;
        tp->sb.rack_advanced = false;
        uint32_t lost = tp->sb.lost_out;
        rack_arm(sk, rack_detect_loss(sk, net_now(sk->net)));
        return tp->sb.lost_out != lost;
}

/* The reordering timer's check (the rest of tcp_rack_reo_timeout is in
 * tcp_recovery.c): returns whether anything was newly marked lost. */
bool tcp_rack_timeout_check(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t in_flight = tcp_packets_in_flight(tp);
        rack_arm(sk, rack_detect_loss(sk, net_now(sk->net)));
        return tcp_packets_in_flight(tp) != in_flight;
}
