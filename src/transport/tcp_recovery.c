/*
 * SACK-based loss recovery (see tcp_recovery.h): Linux's
 * tcp_fastretrans_alert over the scoreboard of tcp_sack.c, the tail loss
 * probe and undo.
 *
 * Open: nothing is missing.  Disorder: SACKs or duplicate ACKs arrived but
 * nothing is judged lost yet; the pipe shrinks by what was SACKed, so new
 * data keeps flowing (RFC 3042's limited transmit follows from the pipe).
 * Recovery: a segment with dupthresh (net.ipv4.tcp_reordering, raised by
 * reordering seen) SACKed segments above it is lost (RFC 6675 IsLost); it
 * is retransmitted first, ssthresh is cut once, and PRR (RFC 6937) paces
 * what goes out so the window reaches ssthresh as the episode ends, when
 * snd_una passes high_seq (snd_nxt at entry).  Loss: the RTO marked
 * everything not SACKed lost; slow start retransmits the holes.
 *
 * Loss is identified by RACK (tcp_rack.c) or, with tcp_recovery=0, by the
 * dupthresh count.  A tail loss probe (RFC 8985 section 7) goes two RTTs
 * after the last send so a lost tail shows up in SACKs rather than waiting
 * for the RTO.  An episode whose every retransmission comes back D-SACKed
 * is undone.  CWR: an ECN echo (RFC 3168) cuts ssthresh once per window
 * without a loss, PRR bringing cwnd down to it, until data sent after the
 * cut is acked.  An RTO that F-RTO (RFC 5682, net.ipv4.tcp_frto) finds
 * spurious is undone: after it new data goes instead of retransmissions,
 * and an ACK for data never retransmitted says the originals arrived
 * (tcp_process_loss).  Not built: undo by timestamps (Eifel).
 */
#include <netinet/tcp.h>

#include <errno.h>

#include "transport/tcp_recovery.h"

#include "transport/tcp.h"
#include "transport/tcp_cong.h"

static void set_ca_state(struct tcp_sock *tp, uint8_t state)
{
        tp->sb.ca_state = state;
}

/* Linux's tcp_retransmit_skb for a lost segment; psh: it ends a
 * retransmitted packet of several segments (__tcp_transmit_skb). */
static int retransmit_skb(struct sock *sk, struct sk_buff *skb, bool psh)
{
        struct tcp_sock *tp = tcp_sk(sk);
        /* __tcp_retransmit_skb: cut to the MSS, which the path MTU may have
         * lowered since the segment was built */
        if (skb->len > tp->mss && tcp_fragment(sk, skb, tp->mss))
                return -ENOMEM;
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        uint8_t flags = cb->flags | (psh && skb->len ? TCPF_PSH : 0);
        int err = tcp_transmit_skb(sk, skb->len ? skb : NULL, flags, cb->seq);
        if (err)
                return err;
        cb->tx_ns = net_now(sk->net);
        cb->retrans = 1;
        cb->sacked |= TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS;
        tp->sb.retrans_out++;
        if (tp->sb.undo_active)
                tp->sb.undo_retrans = (tp->sb.undo_retrans < 0 ? 0 : tp->sb.undo_retrans) + 1;
        tp->rtt_seq = 0; /* Karn: no RTT from retransmitted data */
        tp->total_retrans++;
        TCP_INC(sk->net, RetransSegs);
        return 0;
}

/* A lost segment still to resend. */
static bool retrans_wanted(const struct tcp_sock *tp, struct sk_buff *skb)
{
        const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        return seq_before(cb->seq, tp->snd_nxt) && (cb->sacked & TCPCB_LOST) &&
               !(cb->sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS));
}

/* tcp_xmit_retransmit_queue: each lost Linux skb (the lost pieces of one
 * run, tcp_tso.c) goes again as one packet of as many segments as cwnd
 * leaves room for. */
void tcp_xmit_retransmit_queue(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        bool rearm = false;
        for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (!seq_before(cb->seq, tp->snd_nxt) || sb->retrans_out >= sb->lost_out)
                        break;
                uint32_t in_flight = tcp_packets_in_flight(tp);
                if (in_flight >= tp->snd_cwnd)
                        break;
                if (!retrans_wanted(tp, skb))
                        continue;
                /* the packet: lost pieces of this run, up to cwnd's room */
                uint32_t segs = tp->snd_cwnd - in_flight, n = 1;
                struct sk_buff *last = skb;
                while (n < segs && last->next && TCP_SKB_CB(last->next)->cont &&
                       retrans_wanted(tp, last->next) && sb->retrans_out + n < sb->lost_out) {
                        last = last->next;
                        n++;
                }
                bool failed = false;
                for (struct sk_buff *p = skb;; p = p->next) {
                        bool end = p == last;
                        if (retransmit_skb(sk, p, end && n > 1)) {
                                failed = true;
                                break;
                        }
                        if (sb->ca_state == TCP_CA_Loss) {
                                TCPEXT_INC(sk->net, TCPSlowStartRetrans);
                        } else {
                                TCPEXT_INC(sk->net, TCPFastRetrans);
                                sb->prr_out++;
                        }
                        if (p == tp->write_queue.first)
                                rearm = true;
                        if (end)
                                break;
                }
                if (failed)
                        break;
                skb = last;
        }
        if (rearm)
                tcp_reset_rtx_timer(sk);
}

/* tcp_in_cwnd_reduction: CWR or Recovery, where PRR sets cwnd */
static bool in_cwnd_reduction(const struct tcp_sock *tp)
{
        return tp->sb.ca_state == TCP_CA_CWR || tp->sb.ca_state == TCP_CA_Recovery;
}

void tcp_recovery_sent(struct sock *sk, uint32_t segs)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (in_cwnd_reduction(tp))
                tp->sb.prr_out += segs;
}

/* tcp_cwnd_reduction: PRR.  While the pipe is above ssthresh send
 * ssthresh/prior_cwnd of what was delivered (proportional); below it, as
 * much as was delivered (packet conservation), one more when a
 * retransmission was acked and none was lost again (slow-start reduction
 * bound), never past ssthresh.  This is the PRR of the kernels the
 * packetdrill corpus was written against (Linux 4.x); Linux 5.12 turned to
 * sending max(prr_delivered - prr_out, delivered) when no ACK advanced. */
static void cwnd_reduction(struct tcp_sock *tp, uint32_t delivered, bool retrans_acked,
                           bool lost_retrans)
{
        struct tcp_scoreboard *sb = &tp->sb;
        if (!delivered || !sb->prior_cwnd)
                return;
        int64_t in_flight = tcp_packets_in_flight(tp);
        int64_t delta = (int64_t)tp->snd_ssthresh - in_flight;
        int64_t sndcnt;
        sb->prr_delivered += delivered;
        if (delta < 0) {
                uint64_t dividend =
                    (uint64_t)tp->snd_ssthresh * sb->prr_delivered + sb->prior_cwnd - 1;
                sndcnt = (int64_t)(dividend / sb->prior_cwnd) - sb->prr_out;
        } else if (retrans_acked && !lost_retrans) {
                sndcnt = (int64_t)sb->prr_delivered - sb->prr_out;
                if (sndcnt < (int64_t)delivered)
                        sndcnt = delivered;
                sndcnt++;
                if (sndcnt > delta)
                        sndcnt = delta;
        } else {
                sndcnt = (int64_t)delivered < delta ? (int64_t)delivered : delta;
        }
        /* a fast retransmit goes on entering recovery, whatever PRR says */
        if (sndcnt < (sb->prr_out ? 0 : 1))
                sndcnt = sb->prr_out ? 0 : 1;
        int64_t cwnd = in_flight + sndcnt;
        tp->snd_cwnd = cwnd > 0 ? (uint32_t)cwnd : 1;
}

/* tcp_init_cwnd_reduction: ssthresh is cut once, PRR starts from the
 * window of now, and the peer hears of it by CWR (RFC 3168 6.1.2). */
static void init_cwnd_reduction(struct tcp_sock *tp)
{
        struct tcp_scoreboard *sb = &tp->sb;
        sb->high_seq = tp->snd_nxt;
        sb->prior_cwnd = tp->snd_cwnd;
        sb->prr_delivered = 0;
        sb->prr_out = 0;
        tp->snd_cwnd_cnt = 0;
        tp->snd_ssthresh = tp->cong->ssthresh(tp);
        tcp_ecn_queue_cwr(tp);
}

/* tcp_enter_recovery.  Already in CWR, the window is being cut: the cut
 * goes on rather than starting over.  ece: this ACK echoed CE, and the
 * reduction it caused is not to be undone. */
static void enter_recovery(struct sock *sk, bool ece)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        TCPEXT_INC(sk->net, TCPSackRecovery);
        /* tcp_init_undo, with tcp_current_ssthresh to return to */
        sb->undo_active = true;
        sb->undo_marker = tp->snd_una;
        sb->undo_retrans = sb->retrans_out ? (int32_t)sb->retrans_out : -1;
        sb->prior_ssthresh = 0;
        if (!in_cwnd_reduction(tp)) {
                uint32_t cur = (tp->snd_cwnd >> 1) + (tp->snd_cwnd >> 2);
                if (!ece)
                        sb->prior_ssthresh = tp->snd_ssthresh > cur ? tp->snd_ssthresh : cur;
                init_cwnd_reduction(tp);
        }
        set_ca_state(tp, TCP_CA_Recovery);
}

void tcp_enter_cwr(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        sb->prior_ssthresh = 0;
        if (sb->ca_state == TCP_CA_Open || sb->ca_state == TCP_CA_Disorder) {
                sb->undo_active = false;
                sb->tlp_high_seq = 0;
                init_cwnd_reduction(tp);
                set_ca_state(tp, TCP_CA_CWR);
        }
}

/* tcp_end_cwnd_reduction for CWR: the window settles at ssthresh. */
static void end_cwr(struct tcp_sock *tp)
{
        if (tp->snd_ssthresh < 0x7fffffffu)
                tp->snd_cwnd = tp->snd_ssthresh;
        set_ca_state(tp, TCP_CA_Open);
}

void tcp_cwr_ack(struct sock *sk, uint32_t delivered, bool ece)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (ece && !tp->in_recovery)
                tcp_enter_cwr(sk);
        if (tp->sb.ca_state != TCP_CA_CWR)
                return;
        /* CWR ends once data above the cut is acked: CWR itself has
         * reached the peer then */
        if (!seq_before(tp->snd_una, tp->sb.high_seq) && tp->snd_una != tp->sb.high_seq) {
                end_cwr(tp);
                return;
        }
        cwnd_reduction(tp, delivered, false, false);
}

/* tcp_undo_cwnd_reduction: every retransmission of the episode was
 * D-SACKed, so nothing was lost: the window and ssthresh come back. */
static bool try_undo(struct sock *sk, bool full)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        if (!sb->undo_active || sb->undo_retrans)
                return false;
        if (tp->snd_cwnd < sb->prior_cwnd)
                tp->snd_cwnd = sb->prior_cwnd;
        if (sb->prior_ssthresh > tp->snd_ssthresh) {
                tp->snd_ssthresh = sb->prior_ssthresh;
                tcp_ecn_withdraw_cwr(tp);
        }
        sb->undo_active = false;
        if (full)
                TCPEXT_INC(sk->net, TCPFullUndo);
        else
                TCPEXT_INC(sk->net, TCPDSACKUndo);
        return true;
}

/* tcp_identify_packet_loss: RACK by time (net.ipv4.tcp_recovery bit 0),
 * else RFC 6675's dupthresh count. */
static void identify_loss(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tcp_cfg(sk->net)->recovery & 1)
                tcp_rack_mark_lost(sk);
        else
                tcp_mark_head_lost(tp);
}

/* tcp_time_to_recover */
static bool time_to_recover(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tp->sb.lost_out)
                return true;
        return !(tcp_cfg(sk->net)->recovery & 1) && tp->sb.sacked_out + 1 > tp->sb.reordering;
}

/* tcp_try_keep_open: Disorder while anything is SACKed, lost or resent. */
static void try_keep_open(struct tcp_sock *tp)
{
        struct tcp_scoreboard *sb = &tp->sb;
        uint8_t state =
            (sb->sacked_out || sb->lost_out || sb->retrans_out) ? TCP_CA_Disorder : TCP_CA_Open;
        if (sb->ca_state != state) {
                set_ca_state(tp, state);
                sb->high_seq = tp->snd_nxt;
        }
}

/* tcp_process_tlp_ack: the probe's episode ends when the ACK passes what
 * was outstanding; if only the probe repaired a loss, cwnd is cut once
 * (CWR) as for any loss. */
static void process_tlp_ack(struct sock *sk, const struct tcp_ack_sample *s)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        uint32_t ack = tp->snd_una;
        if (!sb->tlp_high_seq || seq_before(ack, sb->tlp_high_seq))
                return;
        if (!sb->tlp_retrans || s->tag.dsack) {
                sb->tlp_high_seq = 0; /* new data, or the original arrived too */
        } else if (seq_after(ack, sb->tlp_high_seq)) {
                sb->tlp_high_seq = 0;
                tp->snd_ssthresh = tp->cong->ssthresh(tp);
                if (tp->snd_cwnd > tp->snd_ssthresh)
                        tp->snd_cwnd = tp->snd_ssthresh;
                tcp_ecn_queue_cwr(tp);
                TCPEXT_INC(sk->net, TCPLossProbeRecovery);
        } else if (!s->una_advanced && !s->tag.newly_sacked) {
                sb->tlp_high_seq = 0; /* a pure duplicate: no loss */
        }
}

/* tcp_may_raise_cwnd: grow on in-order delivery only (RFC 5681), unless
 * the path was seen reordering more than net.ipv4.tcp_reordering: then
 * SACKed data is progress too. */
static bool may_raise_cwnd(struct sock *sk, const struct tcp_ack_sample *s)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tp->sb.reordering > (uint32_t)tcp_cfg(sk->net)->reordering)
                return s->una_advanced || s->tag.newly_sacked;
        return s->una_advanced;
}

/* tcp_may_undo: every retransmission of the episode came back D-SACKed
 * (Linux also takes a timestamp older than the first retransmission:
 * Eifel, not built). */
static bool may_undo(const struct tcp_sock *tp)
{
        return tp->sb.undo_active && !tp->sb.undo_retrans;
}

/* tcp_undo_cwnd_reduction after an RTO: the window and ssthresh come back,
 * and with unmark_loss nothing is taken as lost any more. */
static void undo_loss_reduction(struct sock *sk, bool unmark_loss)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        if (unmark_loss) {
                for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next)
                        TCP_SKB_CB(skb)->sacked &= (uint8_t)~TCPCB_LOST;
                sb->lost_out = 0;
        }
        if (sb->prior_ssthresh) {
                if (tp->snd_cwnd < sb->prior_cwnd)
                        tp->snd_cwnd = sb->prior_cwnd; /* tcp_reno_undo_cwnd */
                if (sb->prior_ssthresh > tp->snd_ssthresh) {
                        tp->snd_ssthresh = sb->prior_ssthresh;
                        tcp_ecn_withdraw_cwr(tp);
                }
        }
        sb->undo_active = false;
        sb->rack_advanced = true; /* RACK looks again */
}

/* tcp_try_undo_loss: the RTO was needless -- all its retransmissions were
 * D-SACKed, or (frto_undo) F-RTO saw data never retransmitted acked. */
static bool try_undo_loss(struct sock *sk, bool frto_undo)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!frto_undo && !may_undo(tp))
                return false;
        undo_loss_reduction(sk, true);
        TCPEXT_INC(sk->net, TCPLossUndo);
        if (frto_undo)
                TCPEXT_INC(sk->net, TCPSpuriousRTOs);
        tp->retransmits = 0;
        set_ca_state(tp, TCP_CA_Open);
        return true;
}

enum loss_rexmit { REXMIT_NONE, REXMIT_LOST, REXMIT_NEW };

/* tcp_process_loss: an ACK in Loss state, with F-RTO (RFC 5682 3.1, the
 * SACK-enhanced form) when tcp_enter_loss allowed it. */
static enum loss_rexmit process_loss(struct sock *sk, const struct tcp_ack_sample *s)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        bool recovered = !seq_before(tp->snd_una, sb->high_seq);
        if (s->una_advanced && try_undo_loss(sk, false))
                return REXMIT_NONE;
        if (sb->frto) {
                /* step 3.b: data never retransmitted was (s)acked: the
                 * timeout was spurious */
                if ((s->orig_acked || s->tag.orig_sacked) && try_undo_loss(sk, true))
                        return REXMIT_NONE;
                if (seq_after(tp->snd_nxt, sb->high_seq)) {
                        if (s->tag.newly_sacked || s->dupack)
                                sb->frto = false; /* step 3.a: the loss was real */
                } else if (s->una_advanced && !recovered) {
                        sb->high_seq = tp->snd_nxt;
                        /* step 2.b: new data rather than retransmissions,
                         * if there is some and the window takes it */
                        if (tp->write_seq != tp->snd_nxt &&
                            seq_after(tp->snd_una + tp->snd_wnd, tp->snd_nxt))
                                return REXMIT_NEW;
                        sb->frto = false;
                }
        }
        if (recovered) {
                /* tcp_try_undo_recovery: step 2.a, the episode is over */
                if (may_undo(tp)) {
                        undo_loss_reduction(sk, false);
                        TCPEXT_INC(sk->net, TCPLossUndo);
                } else if (sb->reo_wnd_persist) {
                        sb->reo_wnd_persist--;
                }
                set_ca_state(tp, TCP_CA_Open);
                return REXMIT_NONE;
        }
        return REXMIT_LOST;
}

void tcp_recovery_ack(struct sock *sk, const struct tcp_ack_sample *s)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        uint32_t delivered = s->acked_new + s->tag.newly_sacked;
        tcp_rack_update_reo_wnd(sk, delivered);
        process_tlp_ack(sk, s);
        /* tcp_clean_rtx_queue: only below what was SACKed before this ACK */
        if (s->una_advanced && seq_before(s->reord, s->tag.prior_fack))
                tcp_sack_acked_reorder(sk, s->reord);
        if (tp->snd_una == tp->snd_nxt) {
                sb->sacked_out = sb->lost_out = sb->retrans_out = 0;
                sb->highest_sack = 0;
        }
        uint32_t lost_retrans = sb->lost_retrans;
        enum loss_rexmit rexmit = REXMIT_LOST;
        bool dubious = s->dupack || s->tag.newly_sacked || s->tag.dsack || s->ece ||
                       sb->ca_state != TCP_CA_Open;
        if (dubious) {
                /* the episode ends when what was outstanding at its start
                 * is acked; CWR only past that, once CWR itself got there */
                if (sb->ca_state == TCP_CA_CWR && seq_after(tp->snd_una, sb->high_seq)) {
                        end_cwr(tp);
                } else if (sb->ca_state == TCP_CA_Recovery &&
                           !seq_before(tp->snd_una, sb->high_seq)) {
                        /* tcp_try_undo_recovery, else tcp_end_cwnd_reduction */
                        bool undone = sb->ca_state == TCP_CA_Recovery && try_undo(sk, true);
                        if (!undone && sb->reo_wnd_persist)
                                sb->reo_wnd_persist--; /* tcp_try_undo_recovery */
                        if (sb->ca_state == TCP_CA_Recovery && !undone &&
                            tp->snd_ssthresh < 0x7fffffffu)
                                tp->snd_cwnd = tp->snd_ssthresh;
                        set_ca_state(tp, TCP_CA_Open);
                }
                switch (sb->ca_state) {
                case TCP_CA_Recovery:
                        if (try_undo(sk, false))
                                try_keep_open(tp); /* tcp_try_undo_dsack */
                        identify_loss(sk);
                        if (sb->ca_state != TCP_CA_Recovery && time_to_recover(sk))
                                enter_recovery(sk, s->ece); /* reordering, then a real loss */
                        break;
                case TCP_CA_Loss:
                        rexmit = process_loss(sk, s);
                        identify_loss(sk);
                        if (sb->ca_state == TCP_CA_Loss)
                                break;
                        /* undone, or the episode is over: as from Open */
                        if (time_to_recover(sk))
                                enter_recovery(sk, s->ece);
                        else
                                try_keep_open(tp);
                        break;
                default:
                        if (sb->ca_state != TCP_CA_CWR)
                                try_undo(sk, false); /* a late D-SACK */
                        identify_loss(sk);
                        if (!time_to_recover(sk)) {
                                /* tcp_try_to_open */
                                if (s->ece)
                                        tcp_enter_cwr(sk);
                                if (sb->ca_state != TCP_CA_CWR)
                                        try_keep_open(tp);
                                break;
                        }
                        enter_recovery(sk, s->ece);
                        break;
                }
        }
        /* tcp_cong_control */
        if (in_cwnd_reduction(tp))
                cwnd_reduction(tp, delivered, s->retrans_acked, sb->lost_retrans != lost_retrans);
        else if (may_raise_cwnd(sk, s))
                tcp_cong_avoid_acked(sk, delivered ? delivered : 1);
        if (rexmit == REXMIT_NEW && sb->ca_state == TCP_CA_Loss) {
                /* tcp_xmit_recovery: F-RTO's new data first; retransmit
                 * only if none could go */
                tcp_push_mode(sk, TCP_PUSH_OFF);
                if (seq_after(tp->snd_nxt, sb->high_seq))
                        rexmit = REXMIT_NONE;
                else
                        sb->frto = false;
        }
        if ((sb->ca_state == TCP_CA_Recovery || sb->ca_state == TCP_CA_Loss) &&
            rexmit != REXMIT_NONE)
                tcp_xmit_retransmit_queue(sk);
        if (s->una_advanced)
                tcp_schedule_loss_probe(sk, true); /* tcp_set_xmit_timer */
}

bool tcp_schedule_loss_probe(struct sock *sk, bool advancing)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        struct net *net = sk->net;
        int er = tcp_cfg(net)->early_retrans;
        if ((er != 3 && er != 4) || !tp->sack_ok || tp->snd_una == tp->snd_nxt ||
            sb->ca_state != TCP_CA_Open || tp->probing)
                return false;
        /* 2 RTTs; with one segment out, room for the peer's delayed ACK */
        uint64_t timeout = TCP_TIMEOUT_INIT;
        if (tp->srtt)
                timeout =
                    2 * tp->srtt + (tcp_packets_out(tp) == 1 ? TCP_RTO_MIN_NS : 2 * NSEC_PER_MSEC);
        /* never later than the RTO would fire */
        uint64_t now = net_now(net), rto = tp->rto;
        if (!advancing && tp->write_queue.first) {
                uint64_t at = TCP_SKB_CB(tp->write_queue.first)->tx_ns + tp->rto;
                rto = at > now ? at - now : 1;
        }
        if (rto < timeout)
                timeout = rto;
        mod_timer(&net->timers, &tp->rtx_timer, now + timeout);
        sb->tlp_pending = true;
        return true;
}

void tcp_send_loss_probe(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        if (sb->tlp_high_seq)
                goto rearm; /* one probe per tail */
        sb->tlp_retrans = false;
        struct sk_buff *head = tp->send_head;
        if (head && !seq_after(TCP_SKB_CB(head)->end_seq, tp->snd_una + tp->snd_wnd)) {
                /* new data, one segment, whatever cwnd says */
                uint32_t nxt = tp->snd_nxt;
                tcp_push_mode(sk, TCP_PUSH_PROBE);
                if (tp->snd_nxt != nxt)
                        goto sent;
                goto rearm;
        }
        struct sk_buff *last = NULL;
        for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next) {
                if (!seq_before(TCP_SKB_CB(skb)->seq, tp->snd_nxt))
                        break;
                last = skb;
        }
        if (!last)
                goto rearm;
        struct tcp_skb_cb *cb = TCP_SKB_CB(last);
        if (tcp_transmit_skb(sk, last->len ? last : NULL, cb->flags, cb->seq))
                goto rearm;
        cb->tx_ns = net_now(sk->net);
        cb->retrans = 1;
        cb->sacked |= TCPCB_EVER_RETRANS;
        tp->rtt_seq = 0;
        tp->total_retrans++;
        TCP_INC(sk->net, RetransSegs);
        sb->tlp_retrans = true;
sent:
        sb->tlp_high_seq = tp->snd_nxt;
        TCPEXT_INC(sk->net, TCPLossProbes);
rearm:
        tcp_reset_rtx_timer(sk);
}

/* tcp_rack_reo_timeout: segments became late with no ACK to show it. */
void tcp_rack_reo_timeout(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_CLOSE || tp->snd_una == tp->snd_nxt)
                return;
        if (!tcp_rack_timeout_check(sk))
                return;
        if (tp->sb.ca_state != TCP_CA_Recovery && tp->sb.ca_state != TCP_CA_Loss) {
                enter_recovery(sk, false);
                cwnd_reduction(tp, 1, false, false);
        }
        tcp_xmit_retransmit_queue(sk);
}

/* tcp_simple_retransmit: the path MTU fell; what was sent larger than the
 * new MSS was dropped on the way.  It is marked lost and resent, cut to
 * the MSS, without a congestion response (the network did not say it was
 * congested). */
void tcp_simple_retransmit(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        for (struct sk_buff *skb = tp->write_queue.first; skb; skb = skb->next) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (!seq_before(cb->seq, tp->snd_nxt))
                        break;
                if (skb->len <= tp->mss || (cb->sacked & (TCPCB_SACKED_ACKED | TCPCB_LOST)))
                        continue;
                if (cb->sacked & TCPCB_SACKED_RETRANS) {
                        cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
                        sb->retrans_out--;
                }
                cb->sacked |= TCPCB_LOST;
                sb->lost_out++;
        }
        if (!sb->lost_out)
                return;
        tcp_non_congestion_loss_retransmit(sk);
}

void tcp_non_congestion_loss_retransmit(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        if (sb->ca_state != TCP_CA_Loss) {
                sb->high_seq = tp->snd_nxt;
                /* tcp_current_ssthresh: no reduction, only what is known */
                uint32_t cur = (tp->snd_cwnd >> 1) + (tp->snd_cwnd >> 2);
                if (tp->snd_ssthresh < cur)
                        tp->snd_ssthresh = cur;
                sb->undo_active = false;
                set_ca_state(tp, TCP_CA_Loss);
        }
        tcp_xmit_retransmit_queue(sk);
        tcp_reset_rtx_timer(sk);
}

void tcp_enter_loss(struct sock *sk, bool first_timeout)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_scoreboard *sb = &tp->sb;
        struct net *net = sk->net;
        bool new_recovery = sb->ca_state < TCP_CA_Recovery;
        if (sb->ca_state == TCP_CA_Loss)
                TCPEXT_INC(net, TCPLossFailures);
        else if (sb->ca_state == TCP_CA_Recovery || sb->ca_state == TCP_CA_Disorder ||
                 sb->sacked_out)
                TCPEXT_INC(net, TCPSackFailures);
        struct sk_buff *head = tp->write_queue.first;
        /* the peer dropped data it SACKed: the head, which it would have
         * acked, is marked SACKed (tcp_check_sack_reneging) */
        if (head && (TCP_SKB_CB(head)->sacked & TCPCB_SACKED_ACKED)) {
                TCPEXT_INC(net, TCPSACKReneging);
                tcp_sack_clear(tp);
        }
        sb->retrans_out = 0;
        sb->lost_out = 0;
        for (struct sk_buff *skb = head; skb; skb = skb->next) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (!seq_before(cb->seq, tp->snd_nxt))
                        break;
                cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
                if (cb->sacked & TCPCB_SACKED_ACKED) {
                        cb->sacked &= (uint8_t)~TCPCB_LOST;
                        continue;
                }
                cb->sacked |= TCPCB_LOST;
                sb->lost_out++;
        }
        /* ssthresh is cut unless this window's cut was made already, and
         * what to return to if the timeout proves spurious is kept */
        if (sb->ca_state <= TCP_CA_Disorder || !seq_after(sb->high_seq, tp->snd_una) ||
            (sb->ca_state == TCP_CA_Loss && first_timeout)) {
                uint32_t cur = (tp->snd_cwnd >> 1) + (tp->snd_cwnd >> 2);
                sb->prior_ssthresh = in_cwnd_reduction(tp) || tp->snd_ssthresh > cur
                                         ? tp->snd_ssthresh
                                         : cur; /* tcp_current_ssthresh */
                sb->prior_cwnd = tp->snd_cwnd;
                tp->snd_ssthresh = tp->cong->ssthresh(tp);
                sb->undo_active = true; /* tcp_init_undo */
                sb->undo_marker = tp->snd_una;
                sb->undo_retrans = sb->retrans_out ? (int32_t)sb->retrans_out : -1;
        }
        sb->high_seq = tp->snd_nxt;
        /* F-RTO (RFC 5682 3.1 step 1): unless recovering already, or
         * timing out again on the same data */
        sb->frto = tcp_cfg(net)->frto && (new_recovery || !first_timeout);
        set_ca_state(tp, TCP_CA_Loss);
        tcp_ecn_queue_cwr(tp);
}
