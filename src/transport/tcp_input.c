/*
 * TCP segment arrival (RFC 9293 section 3.10.7; Linux's tcp_v4_rcv and
 * tcp_rcv_state_process, reduced): demultiplexing, LISTEN and SYN-SENT
 * processing, the acceptability test, RST and SYN with RFC 5961's challenge
 * ACKs, ACK processing with RTT sampling, Reno congestion control and fast
 * retransmit, in-order and out-of-order data, FIN and the closing states.
 */
#include <errno.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ipv4.h"
#include "transport/tcp.h"
#include "transport/tcp_errq.h"
#include "transport/tcp_md5.h"
#include "transport/tcp_cong.h"
#include "transport/tcp_recovery.h"
#include "transport/tcp_syncookies.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"

static void tcp_drop(struct net *net, struct sk_buff *skb, enum skb_drop_reason why)
{
        kfree_skb_reason(net, skb, why);
}

/*
 * PAWS, RFC 7323 section 5 (Linux's tcp_paws_check, tcp_paws_discard).
 * ts_recent_stamp is when ts_recent was stored, in seconds of the
 * namespace clock (Linux's ktime_get_seconds()).
 */
#define TCP_PAWS_24DAYS (60 * 60 * 24 * 24) /* s: a ts_recent this old proves nothing */
#define TCP_PAWS_WINDOW 1                   /* replay window for the peer's timestamps */

static uint32_t tcp_seconds(struct net *net)
{
        return (uint32_t)(net_now(net) / NSEC_PER_SEC);
}

/* tcp_store_ts_recent */
static void tcp_store_ts_recent(struct tcp_sock *tp, uint32_t tsval)
{
        tp->ts_recent = tsval;
        tp->ts_recent_stamp = tcp_seconds(tp->sk->net);
}

/* tcp_paws_check: tsval is no more than paws_win older than ts_recent, or
 * ts_recent cannot be trusted (24 days idle, or 0: some hosts send tsval 0
 * in the handshake and real values after). */
static bool tcp_paws_check(const struct tcp_sock *tp, uint32_t tsval, int32_t paws_win)
{
        if ((int32_t)(tp->ts_recent - tsval) <= paws_win)
                return true;
        if ((int32_t)(tcp_seconds(tp->sk->net) - (tp->ts_recent_stamp + TCP_PAWS_24DAYS)) >= 0)
                return true; /* !time_before32(now, stamp + 24 days) */
        if (!tp->ts_recent)
                return true;
        return false;
}

/* tcp_may_update_window: would this ACK move the send window? */
static bool tcp_may_update_window(const struct tcp_sock *tp, uint32_t ack, uint32_t ack_seq,
                                  uint32_t nwin)
{
        return seq_after(ack, tp->snd_una) || seq_after(ack_seq, tp->snd_wl1) ||
               (ack_seq == tp->snd_wl1 && (nwin > tp->snd_wnd || !nwin));
}

/* tcp_tsval_replay: how far back a disordered ACK's timestamp may be, one
 * RTO in the peer's clock; RFC 7323 allows TSval clocks of 1 ms to 1 s and
 * some hosts tick at 1200 Hz, so Linux allows rto * 1200 Hz ticks. */
static uint32_t tcp_tsval_replay(const struct tcp_sock *tp)
{
        return (uint32_t)(tp->rto * 1200 / NSEC_PER_SEC);
}

/* tcp_disordered_ack: a pure duplicate ACK that changes nothing but was
 * overtaken by a newer segment (ACKs sent during a burst can be reordered
 * behind data).  PAWS lets it through: dropping it would lose nothing but
 * the congestion signal it carries (RFC 7323 5.5 reordering). */
static bool tcp_disordered_ack(const struct tcp_sock *tp, const struct tcp_repr *th,
                               uint32_t seglen)
{
        uint32_t nwin = (uint32_t)th->window << tp->snd_wscale;
        return (th->flags & TCPF_ACK) && !seglen && th->seq == tp->rcv_nxt && /* pure ACK */
               th->ack == tp->snd_una &&                                 /* duplicate */
               !tcp_may_update_window(tp, th->ack, th->seq, nwin) &&     /* same window */
               (int32_t)(tp->ts_recent - th->opt.tsval) <= (int32_t)tcp_tsval_replay(tp);
}

/* tcp_paws_discard: the segment's timestamp says it is an old duplicate. */
static bool tcp_paws_discard(const struct tcp_sock *tp, const struct tcp_repr *th,
                             uint32_t seglen)
{
        return !tcp_paws_check(tp, th->opt.tsval, TCP_PAWS_WINDOW) &&
               !tcp_disordered_ack(tp, th, seglen);
}

/* Options of a SYN or SYN-ACK: what both sides offered is on. */
static void tcp_negotiate(struct tcp_sock *tp, const struct tcp_options *o)
{
        tp->wscale_ok = o->ws_ok;
        tp->snd_wscale = o->ws_ok ? o->ws : 0;
        if (!o->ws_ok)
                tp->rcv_wscale = 0;
        tp->sack_ok = o->sack_ok && tcp_cfg(tp->sk->net)->sack;
        tp->tstamp_ok = o->ts_ok;
        if (o->ts_ok)
                tcp_store_ts_recent(tp, o->tsval);
        /* tcp_parse_options: the peer's MSS is clamped by TCP_MAXSEG too */
        uint16_t peer_mss = tcp_mss_clamp(tp, o->mss_ok ? o->mss : 536);
        /* tcp_min_snd_mss (48): a tiny announced MSS is raised to it */
        if (peer_mss < tcp_cfg(tp->sk->net)->min_snd_mss)
                peer_mss = (uint16_t)tcp_cfg(tp->sk->net)->min_snd_mss;
        tp->mss = tp->advmss < peer_mss ? tp->advmss : peer_mss;
        tp->mss -= (uint16_t)tcp_opt_overhead(tp); /* options in every segment */
}

static void tcp_update_window(struct tcp_sock *tp, const struct tcp_repr *th)
{
        /* RFC 9293: take the window from the newest segment */
        if (seq_before(tp->snd_wl1, th->seq) ||
            (tp->snd_wl1 == th->seq && seq_leq(tp->snd_wl2, th->ack))) {
                uint32_t nwin = (uint32_t)th->window << tp->snd_wscale;
                /* tcp_ack_update_window: a new window for waiting data
                 * may find the sender idle too long */
                if (nwin != tp->snd_wnd && tp->write_seq != tp->snd_nxt)
                        tcp_slow_start_after_idle_check(tp->sk);
                tcp_set_snd_wnd(tp, nwin);
                tp->snd_wl1 = th->seq;
                tp->snd_wl2 = th->ack;
        }
}

/* Slow start grows by what was acked (RFC 3465), then the algorithm's
 * congestion avoidance -- only while the window is what limits the sender
 * (tcp_is_cwnd_limited, RFC 7661). */
void tcp_cong_avoid_acked(struct sock *sk, uint32_t segs)
{
        struct tcp_sock *tp = tcp_sk(sk);
        bool limited = tp->snd_cwnd < tp->snd_ssthresh ? tp->snd_cwnd < 2 * tp->max_packets_out
                                                       : tp->is_cwnd_limited;
        if (limited)
                tp->cong->cong_avoid(tp, segs);
}

/* tcp_newly_delivered: TCPDelivered, and of it what an ECE acked
 * (TCPDeliveredCE, tcpi_delivered_ce). */
static void tcp_count_delivered(struct sock *sk, uint32_t prior_delivered, bool ece)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t n = tp->delivered - prior_delivered;
        TCPEXT_ADD(sk->net, TCPDelivered, n);
        if (ece) {
                tp->delivered_ce += n;
                TCPEXT_ADD(sk->net, TCPDeliveredCE, n);
        }
}

/* An ACK that advanced snd_una: free what it covers (uncounting their
 * scoreboard marks into as), sample the RTT, and without SACK grow the
 * congestion window or go on with NewReno recovery (RFC 5681, RFC 6582). */
static void tcp_clean_acked(struct sock *sk, uint32_t ack, struct tcp_ack_sample *as)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        uint32_t acked = ack - tp->snd_una;
        struct sk_buff *skb;
        uint64_t last_ackt = 0; /* send time of the newest acked (ca_rtt_us) */
        bool karn = false;      /* some of it was sent twice: no sample */
        if (sk->errq)
                tcp_errq_acked(sk, ack); /* tcp_ack_tstamp, zerocopy completions */
        while ((skb = tp->write_queue.first) && seq_leq(TCP_SKB_CB(skb)->end_seq, ack)) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                bool ever_retrans = cb->sacked & TCPCB_EVER_RETRANS;
                as->retrans_acked |= ever_retrans;
                karn |= ever_retrans || cb->retrans;
                if (!(cb->sacked & TCPCB_SACKED_ACKED) && cb->tx_ns > last_ackt)
                        last_ackt = cb->tx_ns;
                if (!tcp_sack_skb_acked(tp, skb)) {
                        as->acked_new++;
                        if (!ever_retrans && seq_before(cb->seq, as->reord))
                                as->reord = cb->seq;
                        if (!ever_retrans && !seq_after(cb->end_seq, tp->sb.high_seq))
                                as->orig_acked = true; /* FLAG_ORIG_SACK_ACKED */
                }
                skb_dequeue(&tp->write_queue);
                if (tp->packets_out)
                        tp->packets_out--;
                tp->delivered++; /* tcp_clean_rtx_queue: one packet each */
                tp->wmem_queued -= TCP_SKB_CB(skb)->truesize;
                if (tp->send_head == skb)
                        tp->send_head = NULL;
                consume_skb(skb);
        }
        if (!tp->write_queue.first)
                tcp_chrono_stop(sk, TCP_CHRONO_BUSY); /* tcp_clean_rtx_queue */
        /* a partially acked head keeps its unacked tail */
        skb = tp->write_queue.first;
        if (skb && seq_before(TCP_SKB_CB(skb)->seq, ack)) {
                uint32_t cut = ack - TCP_SKB_CB(skb)->seq;
                if (cut <= skb->len) {
                        skb_pull(skb, cut); /* tcp_trim_head: uncharged too */
                        uint32_t t =
                            TCP_SKB_CB(skb)->truesize < cut ? TCP_SKB_CB(skb)->truesize : cut;
                        TCP_SKB_CB(skb)->truesize -= t;
                        tp->wmem_queued -= t;
                        TCP_SKB_CB(skb)->seq = ack;
                }
        }
        tp->snd_una = ack;
        tcp_urg_acked(tp, ack);
        tp->bytes_acked += acked;
        /* TCP_USER_TIMEOUT counts from the oldest data still unacked */
        tp->first_unacked_ts = tp->snd_una == tp->snd_nxt ? 0 : net_now(net);
        if (tp->rtt_seq && seq_geq(ack, tp->rtt_seq)) {
                tcp_rtt_sample(sk, net_now(net) - tp->rtt_seq_time);
                tp->rtt_seq = 0;
        }
        tp->retransmits = 0;
        tp->backoff = 0;
        as->una_advanced = true;
        /* tcp_clean_rtx_queue: the algorithm's sample (pkts_acked) */
        if (tp->cong->pkts_acked)
                tp->cong->pkts_acked(tp, last_ackt && !karn
                                             ? (int64_t)((net_now(net) - last_ackt) / 1000)
                                             : -1);
        if (tp->sack_ok) {
                /* tcp_recovery_ack moves the window */
        } else if (as->ece || tp->sb.ca_state == TCP_CA_CWR) {
                /* tcp_cwr_ack cuts it */
        } else if (tp->in_recovery) {
                if (seq_geq(ack, tp->sb.high_seq)) {
                        tp->in_recovery = false;
                        tp->snd_cwnd = tp->snd_ssthresh;
                } else {
                        tcp_retransmit_head(sk); /* NewReno partial ACK */
                }
        } else {
                /* tcp_remove_reno_sacks: one segment filled the hole, the
                 * rest had been counted by their duplicate ACKs */
                uint32_t segs = (acked + tp->mss - 1) / (tp->mss ? tp->mss : 1);
                uint32_t reno_sacked = tp->sb.sacked_out;
                tp->sb.sacked_out = 0;
                if (segs > reno_sacked + 1)
                        segs -= reno_sacked;
                else
                        segs = 1;
                tcp_cong_avoid_acked(sk, segs);
        }
        tp->dupacks = 0;
        /* room in the send buffer: tcp_check_space wakes a writer that
         * found none, once this ACK's data went */
}

/* Three duplicate ACKs: fast retransmit and recovery (RFC 6582).  The
 * ones before count as segments that left the network (Linux's
 * tcp_add_reno_sack), so a new segment may go for each: RFC 3042's limited
 * transmit. */
static void tcp_dupack(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t out = tcp_packets_out(tp);
        if (!tp->in_recovery && tp->sb.sacked_out + 1 < out)
                tp->sb.sacked_out++;
        if (tp->dupacks < UINT16_MAX)
                tp->dupacks++;
        if (tp->dupacks == (uint32_t)tcp_cfg(sk->net)->reordering && !tp->in_recovery) {
                tp->sb.sacked_out = 0; /* the window inflation counts them now */
                /* in CWR ssthresh was cut already (tcp_enter_recovery) */
                if (tp->sb.ca_state == TCP_CA_CWR)
                        tp->sb.ca_state = TCP_CA_Open;
                else
                        tp->snd_ssthresh = tp->cong->ssthresh(tp);
                tcp_ecn_queue_cwr(tp);
                tp->snd_cwnd = tp->snd_ssthresh + 3;
                tp->in_recovery = true;
                tp->sb.high_seq = tp->snd_nxt;
                TCPEXT_INC(sk->net, TCPFastRetrans);
                tcp_retransmit_head(sk);
        } else if (tp->in_recovery) {
                tp->snd_cwnd++; /* inflate for each segment that left */
        }
}

/* Queue in-order payload for the reader; pull in what the out-of-order
 * queue now continues. */
static void tcp_queue_data(struct sock *sk, struct sk_buff *skb, uint8_t flags, uint32_t hdrlen)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        TCP_SKB_CB(skb)->consumed = 0;
        uint32_t end = TCP_SKB_CB(skb)->seq + skb->len;
        if (atomic_load(&sk->rmem_alloc) + (int)skb_truesize(skb) > sk->rcvbuf + sk->rcvbuf / 2) {
                /* beyond what the window promised (tcp_try_rmem_schedule) */
                TCPEXT_INC(net, TCPRcvQDrop);
                tcp_drop(net, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
                return;
        }
        atomic_fetch_add(&sk->rmem_alloc, (int)skb_truesize(skb));
        skb_queue_tail(&sk->receive_queue, skb);
        tp->rcv_nxt = end;
        tp->bytes_received += skb->len;
        tcp_event_data_recv(sk, skb, flags, hdrlen);
        tcp_ecn_check_ce(sk, IPCB(skb)->iph.tos);
        /* out-of-order segments that now fit */
        struct sk_buff *o;
        uint32_t dsack_high = tp->rcv_nxt;
        while ((o = tp->ooo_queue.first) && seq_leq(TCP_SKB_CB(o)->seq, tp->rcv_nxt)) {
                skb_dequeue(&tp->ooo_queue);
                uint32_t oend = TCP_SKB_CB(o)->seq + o->len;
                if (seq_before(TCP_SKB_CB(o)->seq, dsack_high)) {
                        /* tcp_ofo_queue: it repeats data already queued */
                        uint32_t dsack = dsack_high;
                        if (seq_before(oend, dsack_high))
                                dsack_high = oend;
                        tcp_dsack_extend(sk, TCP_SKB_CB(o)->seq, dsack);
                }
                if (seq_leq(oend, tp->rcv_nxt)) {
                        consume_skb(o); /* wholly duplicate */
                        continue;
                }
                skb_pull(o, tp->rcv_nxt - TCP_SKB_CB(o)->seq);
                TCP_SKB_CB(o)->seq = tp->rcv_nxt;
                TCP_SKB_CB(o)->consumed = 0;
                atomic_fetch_add(&sk->rmem_alloc, (int)skb_truesize(o));
                skb_queue_tail(&sk->receive_queue, o);
                tp->rcv_nxt = oend;
                tp->bytes_received += o->len;
        }
        if (tp->rx_sack)
                tcp_sack_remove(tp);
        sock_wake(sk);
}

static void tcp_queue_ooo(struct sock *sk, struct sk_buff *skb)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_ecn_check_ce(sk, IPCB(skb)->iph.tos);
        TCPEXT_INC(sk->net, TCPOFOQueue);
        struct sk_buff_head *q = &tp->ooo_queue;
        if (q->qlen > 1000) {
                tcp_drop(sk->net, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
                return;
        }
        /* sorted by seq; insert before the first that starts later */
        uint32_t seq = TCP_SKB_CB(skb)->seq, end = seq + skb->len;
        struct sk_buff *pos = q->first, *prev = NULL;
        while (pos && seq_leq(TCP_SKB_CB(pos)->seq, seq)) {
                prev = pos;
                pos = pos->next;
        }
        /* tcp_data_queue_ofo: data already held is reported as a D-SACK;
         * a segment wholly held already is dropped */
        if (prev) {
                uint32_t pend = TCP_SKB_CB(prev)->seq + prev->len;
                if (!seq_after(end, pend)) {
                        TCPEXT_INC(sk->net, TCPOFOMerge);
                        tcp_dsack_set(sk, seq, end);
                        tcp_drop(sk->net, skb, SKB_DROP_REASON_TCP_OFOMERGE);
                        return;
                }
                if (seq_before(seq, pend))
                        tcp_dsack_set(sk, seq, pend);
        }
        for (struct sk_buff *n = pos; n && seq_before(TCP_SKB_CB(n)->seq, end); n = n->next) {
                uint32_t nend = TCP_SKB_CB(n)->seq + n->len;
                tcp_dsack_extend(sk, TCP_SKB_CB(n)->seq, seq_before(end, nend) ? end : nend);
        }
        tcp_sack_new_ofo(tp, seq, end);
        if (!pos) {
                skb_queue_tail(q, skb);
                return;
        }
        skb->next = pos;
        skb->prev = pos->prev;
        if (pos->prev)
                pos->prev->next = skb;
        else
                q->first = skb;
        pos->prev = skb;
        q->qlen++;
}

static void tcp_fin(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tp->rcv_nxt++;
        tp->fin_received = true;
        sk->shutdown |= RCV_SHUTDOWN;
        tp->ack.pending |= TCP_ACK_SCHED;
        switch (sk->state) {
        case TCP_SYN_RECV:
        case TCP_ESTABLISHED:
                /* the reply (our FIN) usually follows: the ACK may wait
                 * for it, as in an interactive connection */
                tcp_set_state(sk, TCP_CLOSE_WAIT);
                tp->ack.pingpong = 1;
                break;
        case TCP_FIN_WAIT1:
                /* simultaneous close: our FIN not yet acked */
                tcp_send_ack(sk);
                tcp_set_state(sk, TCP_CLOSING);
                break;
        case TCP_FIN_WAIT2:
                tcp_send_ack(sk);
                tcp_enter_timewait(sk);
                return;
        default:
                break;
        }
        sock_wake(sk);
}

/* tcp_openreq_init and tcp_create_openreq_child: child c of a listener
 * takes the options o of the peer's SYN (or those a SYN cookie brought
 * back), the peer's ISN irs and ours, iss. */
static void tcp_openreq_init(struct sock *c, const struct tcp_options *o, uint32_t irs,
                             uint32_t iss, uint16_t window)
{
        struct net *net = c->net;
        struct tcp_sock *tp = tcp_sk(c);
        struct tcp_route_init ri; /* the route's advmss, initcwnd, initrwnd */
        tcp_route_init(net, c->daddr, &ri);
        tp->advmss = tcp_mss_clamp(tp, ri.advmss);
        tp->mss = tp->advmss;
        if (ri.initcwnd)
                tp->snd_cwnd = ri.initcwnd;
        /* tcp_openreq_init_rwin: whole segments, less the timestamp option
         * when both sides will carry it */
        tcp_init_windows(c, tp->advmss - (o->ts_ok && tcp_cfg(net)->timestamps ? 12 : 0),
                         ri.initrwnd);
        tcp_negotiate(tp, o);
        tp->irs = irs;
        tp->rcv_nxt = irs + 1;
        tp->copied_seq = tp->rcv_nxt;
        tp->rcv_wup = tp->rcv_nxt;
        tp->iss = iss;
        tp->snd_una = tp->iss;
        tp->snd_nxt = tp->iss + 1;
        tp->write_seq = tp->iss + 1;
        tp->pushed_seq = tp->write_seq; /* tcp_create_openreq_child */
        tp->snd_sml = tp->iss;
        tcp_set_snd_wnd(tp, window); /* unscaled in a SYN */
        tp->snd_wl1 = irs;
        tp->snd_wl2 = tp->iss;
}

static void tcp_rcv_state(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th,
                          uint32_t saddr, uint32_t daddr);

/* tcp_v4_cookie_check and tcp_get_cookie_sock: an ACK at a listener that
 * brings a valid SYN cookie back makes the child its SYN would have made,
 * which then takes the ACK as any SYN_RECV child does.  False when it is
 * no cookie: the listener resets it. */
static bool tcp_cookie_ack(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th,
                           uint32_t saddr, uint32_t daddr)
{
        struct net *net = sk->net;
        struct tcp_sock *lp = tcp_sk(sk);
        struct tcp_options o;
        struct tcp_cookie_req req = { .opt = &o };
        if (tcp_syncookie_check(sk, th, saddr, daddr, &req))
                return false;
        /* tcp_v4_syn_recv_sock: no room to accept it -- dropped without
         * a reset, whatever tcp_abort_on_overflow says */
        if (lp->lq->accept_qlen > lp->lq->backlog) {
                TCPEXT_INC(net, ListenOverflows);
                TCPEXT_INC(net, ListenDrops);
                TRACE(net, skb, IP_LOCAL, "tcp: SYN cookie for port %u: accept queue full",
                      sk->num);
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return true;
        }
        struct sock *c = tcp_child_new(sk, saddr, th->sport, daddr, th->dport);
        if (!c) {
                TCPEXT_INC(net, ListenDrops);
                tcp_drop(net, skb, SKB_DROP_REASON_NOMEM);
                return true;
        }
        struct tcp_sock *tp = tcp_sk(c);
        tcp_openreq_init(c, &o, th->seq - 1, th->ack - 1, th->window);
        tp->ecn_flags = req.ecn_ok ? TCP_ECN_OK : 0;
        c->state = TCP_SYN_RECV;
        tcp_ehash_add(c);
        lp->lq->syn_qlen++; /* SYN_RECV's ACK processing takes it back */
        TCP_INC(net, PassiveOpens);
        /* No SYN-ACK was timed or kept: SYN_RECV's processing takes no
         * RTT sample from it and defers nothing (tcp_get_cookie_sock knows
         * no TCP_DEFER_ACCEPT) -- as after every retransmission allowed */
        tp->retransmits = UINT8_MAX;
        tcp_rcv_state(c, skb, th, saddr, daddr);
        /* the round trip from the cookie timestamp echoed (at most 64 ms
         * early), as tcp_ack takes it from the ACK's tsecr */
        int32_t rtt_ms = (int32_t)(tcp_time_ms(net) - o.tsecr);
        if (o.ts_ok && rtt_ms >= 0 && c->state == TCP_ESTABLISHED && !tp->srtt)
                tcp_rtt_sample(c, (uint64_t)rtt_ms * NSEC_PER_MSEC);
        sock_put(c); /* the tables hold it */
        return true;
}

/* LISTEN: a SYN makes a child in SYN_RECV, or a SYN cookie when the SYN
 * queue is full (tcp_conn_request). */
static void tcp_listen_rcv(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th,
                           uint32_t saddr, uint32_t daddr, uint32_t seglen)
{
        struct net *net = sk->net;
        struct tcp_sock *lp = tcp_sk(sk);
        const struct tcp_cfg *cfg = tcp_cfg(net);
        if (th->flags & TCPF_RST) {
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        if (th->flags & TCPF_ACK) {
                if (!(th->flags & TCPF_SYN) && tcp_cookie_ack(sk, skb, th, saddr, daddr))
                        return;
                tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                tcp_drop(net, skb, SKB_DROP_REASON_NO_SOCKET);
                return;
        }
        if (!(th->flags & TCPF_SYN)) {
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        /* inet_csk_reqsk_queue_is_full (or cookies always): a cookie
         * instead of a request, or a drop without cookies */
        bool want_cookie = false;
        if (cfg->syncookies == 2 || lp->lq->syn_qlen > lp->lq->backlog) {
                want_cookie = tcp_syn_flood_action(sk);
                if (!want_cookie) {
                        TCPEXT_INC(net, ListenDrops);
                        TRACE(net, skb, IP_LOCAL, "tcp: SYN queue of port %u full (backlog %d)",
                              sk->num, lp->lq->backlog);
                        tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                        return;
                }
        }
        /* sk_acceptq_is_full: more than backlog waiting to be accepted */
        if (lp->lq->accept_qlen > lp->lq->backlog) {
                TCPEXT_INC(net, ListenOverflows);
                TCPEXT_INC(net, ListenDrops);
                TRACE(net, skb, IP_LOCAL, "tcp: listen queue of port %u full (backlog %d)",
                      sk->num, lp->lq->backlog);
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        if (want_cookie) {
                tcp_syncookie_synack(sk, th, IPCB(skb)->iph.tos, saddr, daddr);
                consume_skb(skb);
                return;
        }
        /* Without cookies the last quarter of tcp_max_syn_backlog is kept
         * for peers proven alive (tcp_peer_is_proven); Strata keeps no
         * such metrics, so it holds that quarter back from everyone. */
        if (!cfg->syncookies && cfg->max_syn_backlog - lp->lq->syn_qlen < (cfg->max_syn_backlog >> 2)) {
                TCPEXT_INC(net, ListenDrops);
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        struct sock *c = tcp_child_new(sk, saddr, th->sport, daddr, th->dport);
        if (!c) {
                TCPEXT_INC(net, ListenDrops);
                tcp_drop(net, skb, SKB_DROP_REASON_NOMEM);
                return;
        }
        struct tcp_sock *tp = tcp_sk(c);
        tcp_openreq_init(c, &th->opt, th->seq, tcp_isn(net, daddr, th->dport, saddr, th->sport),
                         th->window);
        tcp_ecn_create_request(c, th->flags, IPCB(skb)->iph.tos);
        bool fastopen = tcp_fastopen_try(sk, c, &skb, th, saddr, daddr);
        c->state = TCP_SYN_RECV;
        tcp_ehash_add(c);
        if (!fastopen)
                lp->lq->syn_qlen++;
        TCP_INC(net, PassiveOpens);
        tp->rtt_seq_time = net_now(net);
        tcp_send_synack(c);
        tcp_reset_rtx_timer(c);
        if (fastopen)
                tcp_fastopen_child_ready(sk, c);
        sock_put(c); /* the tables hold it */
        if (skb)
                consume_skb(skb);
}

/* SYN-SENT (RFC 9293 3.10.7.3). */
static void tcp_synsent_rcv(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th,
                            uint32_t saddr, uint32_t daddr, uint32_t seglen)
{
        struct net *net = sk->net;
        struct tcp_sock *tp = tcp_sk(sk);
        bool ack_ok = false;
        bool syn_retransmitted = tp->retransmits != 0;
        if (th->flags & TCPF_ACK) {
                if (seq_leq(th->ack, tp->iss) || seq_after(th->ack, tp->snd_nxt)) {
                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                        tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                        return;
                }
                /* RFC 7323: the echoed timestamp must be one of ours, from
                 * the first SYN on (tcp_rcv_synsent_state_process) */
                uint32_t syn_ts = (uint32_t)(tp->rtt_seq_time / NSEC_PER_MSEC);
                if (tcp_cfg(net)->timestamps && th->opt.ts_ok && th->opt.tsecr &&
                    (seq_before(th->opt.tsecr, syn_ts) ||
                     seq_after(th->opt.tsecr, tcp_time_ms(net)))) {
                        TCPEXT_INC(net, PAWSActive);
                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                        tcp_drop(net, skb, SKB_DROP_REASON_TCP_RFC7323_PAWS);
                        return;
                }
                ack_ok = true;
        }
        if (th->flags & TCPF_RST) {
                if (ack_ok) {
                        TCP_INC(net, AttemptFails);
                        sk->err = ECONNREFUSED;
                        tcp_done(sk);
                }
                consume_skb(skb);
                return;
        }
        if (!(th->flags & TCPF_SYN)) {
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        tcp_negotiate(tp, &th->opt);
        if (ack_ok)
                tcp_ecn_rcv_synack(tp, th->flags);
        else
                tcp_ecn_rcv_syn(tp, th->flags);
        tp->irs = th->seq;
        tp->rcv_nxt = th->seq + 1;
        tp->copied_seq = tp->rcv_nxt;
        tp->rcv_wup = tp->rcv_nxt;
        tp->snd_wl1 = th->seq;
        tp->snd_wl2 = th->ack;
        tcp_set_snd_wnd(tp, th->window); /* a SYN's window is never scaled */
        if (ack_ok) {
                tp->rcv_tstamp = net_now(net);
                tp->snd_una = tp->iss + 1;
                if (!tp->retransmits) /* Karn: not from a retransmitted SYN */
                        tcp_rtt_sample(sk, net_now(net) - tp->rtt_seq_time);
                uint32_t prior_delivered = tp->delivered;
                tp->delivered++; /* the SYN */
                if (seq_after(th->ack, tp->snd_una)) {
                        /* data the SYN carried (Fast Open) */
                        struct tcp_ack_sample as = { .prior_una = tp->snd_una,
                                                     .reord = tp->snd_nxt };
                        tcp_clean_acked(sk, th->ack, &as);
                }
                tcp_count_delivered(sk, prior_delivered, false); /* tcp_ack counts the SYN */
                tp->retransmits = 0;
                tp->backoff = 0;
                del_timer(&net->timers, &tp->rtx_timer);
                tcp_set_state(sk, TCP_ESTABLISHED);
                int fo = tcp_fastopen_synack(sk, &skb, th, syn_retransmitted);
                if (fo == 0) {
                        tcp_send_ack(sk);
                } else if (fo == 2) {
                        /* a writer is about to send: save one ACK (Linux's
                         * sk_write_pending) */
                        tcp_ack_for_writer(sk);
                }
                tcp_push(sk);
        } else {
                /* simultaneous open */
                tcp_set_state(sk, TCP_SYN_RECV);
                tcp_send_synack(sk);
        }
        if (skb) /* a Fast Open SYN-ACK's data stays queued */
                consume_skb(skb);
}

/* RFC 9293's acceptability test. */
static bool tcp_seq_ok(struct tcp_sock *tp, uint32_t seq, uint32_t len)
{
        uint32_t wnd = tp->rcv_wnd;
        if (!len)
                return wnd ? (seq_geq(seq, tp->rcv_nxt) && seq_before(seq, tp->rcv_nxt + wnd))
                           : seq == tp->rcv_nxt;
        if (!wnd)
                return false;
        return (seq_geq(seq, tp->rcv_nxt) && seq_before(seq, tp->rcv_nxt + wnd)) ||
               (seq_geq(seq + len - 1, tp->rcv_nxt) &&
                seq_before(seq + len - 1, tp->rcv_nxt + wnd));
}

static void tcp_challenge_ack(struct sock *sk)
{
        TCPEXT_INC(sk->net, TCPChallengeACK);
        tcp_send_ack(sk);
}

/* tcp_send_dupack: answer an unacceptable segment with an ACK at once; old
 * data in it means our ACK was lost: it is reported as a D-SACK (RFC 2883
 * 4.1.1) and the next segments are acked at once (quick-ack mode). */
static void tcp_send_dupack(struct sock *sk, const struct tcp_repr *th, uint32_t seglen)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t end = th->seq + seglen;
        if (seglen && seq_before(th->seq, tp->rcv_nxt)) {
                TCPEXT_INC(sk->net, DelayedACKLost);
                tcp_enter_quickack_mode(sk);
                tcp_dsack_set(sk, th->seq, seq_after(end, tp->rcv_nxt) ? tp->rcv_nxt : end);
        }
        tcp_send_ack(sk);
}

static void tcp_rcv_state(struct sock *sk, struct sk_buff *skb, const struct tcp_repr *th,
                          uint32_t saddr, uint32_t daddr)
{
        struct net *net = sk->net;
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t seglen = skb->len + ((th->flags & TCPF_SYN) ? 1 : 0) +
                          ((th->flags & TCPF_FIN) ? 1 : 0);
        tp->segs_in++;
        tp->rcv_tstamp = net_now(net); /* keepalive measures idleness from here */
        tp->ka_probes = 0;
        bool saw_tstamp = tp->tstamp_ok && th->opt.ts_ok;
        /* RFC 7323 5.3 H1 (tcp_validate_incoming): PAWS before anything
         * else; an RST is accepted even if it fails */
        if (sk->state != TCP_TIME_WAIT && saw_tstamp && tcp_paws_discard(tp, th, seglen) &&
            !(th->flags & TCPF_RST)) {
                TCPEXT_INC(net, PAWSEstab);
                tcp_send_dupack(sk, th, seglen);
                tcp_drop(net, skb, SKB_DROP_REASON_TCP_RFC7323_PAWS);
                return;
        }
        /* tcp_replace_ts_recent: only forward (tcp_paws_check with window 0) */
        uint32_t tsval = th->opt.tsval;
        bool ts_update = saw_tstamp && seq_leq(th->seq, tp->rcv_nxt) &&
                         !(th->flags & TCPF_ACK && seq_after(th->ack, tp->snd_nxt)) &&
                         tcp_paws_check(tp, tsval, 0);
        if (ts_update)
                tcp_store_ts_recent(tp, tsval);

        if (sk->state == TCP_TIME_WAIT && tp->tw_fin_wait2) {
                /* tcp_timewait_state_process, substate FIN_WAIT2: the
                 * checks of FIN_WAIT2 again, on what the wait kept */
                uint32_t end = th->seq + seglen;
                if (!tcp_seq_ok(tp, th->seq, seglen)) {
                        tcp_send_ack(sk); /* out of window */
                } else if (th->flags & TCPF_RST) {
                        tcp_done(sk);
                } else if ((th->flags & TCPF_SYN) && !seq_before(th->seq, tp->rcv_nxt)) {
                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                        tcp_done(sk);
                } else if (!(th->flags & TCPF_ACK) || !seq_after(end, tp->rcv_nxt) || !seglen) {
                        /* a duplicate ACK: nothing to do */
                } else if (!(th->flags & TCPF_FIN) || end != tp->rcv_nxt + 1) {
                        /* data after the application closed: reset */
                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                        tcp_done(sk);
                } else {
                        /* the FIN: a true TIME_WAIT from now */
                        tp->tw_fin_wait2 = false;
                        tp->rcv_nxt = end;
                        tcp_send_ack(sk);
                        mod_timer(&net->timers, &tp->ka_timer, net_now(net) + TCP_TIMEWAIT_NS);
                }
                consume_skb(skb);
                return;
        }
        if (sk->state == TCP_TIME_WAIT) {
                /* a retransmitted FIN: ACK again and restart the wait */
                if (th->flags & TCPF_FIN) {
                        tcp_send_ack(sk);
                        mod_timer(&net->timers, &tp->ka_timer, net_now(net) + TCP_TIMEWAIT_NS);
                }
                consume_skb(skb);
                return;
        }
        /* 1: sequence number */
        if (!tcp_seq_ok(tp, th->seq, seglen - ((th->flags & TCPF_SYN) ? 1 : 0))) {
                if (!(th->flags & TCPF_RST))
                        tcp_send_dupack(sk, th, seglen);
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                return;
        }
        /* 2: RST (RFC 5961 3.2: only an exact match resets) */
        if (th->flags & TCPF_RST) {
                if (th->seq != tp->rcv_nxt) {
                        tcp_challenge_ack(sk);
                        consume_skb(skb);
                        return;
                }
                if (sk->state == TCP_SYN_RECV && tp->parent && !tcp_fo(tp)->passive) {
                        struct sock *parent = tp->parent;
                        tcp_sk(parent)->lq->syn_qlen--;
                        tp->parent = NULL;
                        sock_put(parent);
                        TCPEXT_INC(net, EmbryonicRsts);
                } else {
                        sk->err = (sk->state == TCP_CLOSE_WAIT) ? EPIPE : ECONNRESET;
                        if (sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT)
                                sk->err = ECONNRESET;
                }
                tcp_done(sk);
                consume_skb(skb);
                return;
        }
        /* 4: SYN in a synchronized state: challenge ACK (RFC 5961 4.2) */
        if (th->flags & TCPF_SYN) {
                tcp_challenge_ack(sk);
                consume_skb(skb);
                return;
        }
        /* 5: ACK */
        if (!(th->flags & TCPF_ACK)) {
                consume_skb(skb);
                return;
        }
        if (sk->state == TCP_SYN_RECV) {
                if (seq_before(th->ack, tp->snd_una) || seq_after(th->ack, tp->snd_nxt)) {
                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                        consume_skb(skb);
                        return;
                }
                /* a Fast Open child is on the accept queue already */
                struct sock *parent = tcp_fo(tp)->passive ? NULL : tp->parent;
                if (parent && tp->retransmits < tcp_lq(tcp_sk(parent))->defer_accept &&
                    th->seq + seglen == tp->irs + 1) {
                        /* TCP_DEFER_ACCEPT (tcp_check_req): a bare ACK does
                         * not complete the handshake; data will, or the
                         * answer to the SYN-ACK resent at the deferral's end */
                        tp->defer_acked = true;
                        TCPEXT_INC(net, TCPDeferAcceptDrop);
                        tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                        return;
                }
                if (parent) {
                        struct tcp_sock *lp = tcp_sk(parent);
                        if (lp->lq->accept_qlen > lp->lq->backlog) {
                                /* accept queue full: the ACK is dropped and the
                                 * SYN-ACK will be retransmitted; with
                                 * tcp_abort_on_overflow the peer is reset
                                 * (tcp_check_req's embryonic_reset) */
                                TCPEXT_INC(net, ListenOverflows);
                                TCPEXT_INC(net, ListenDrops);
                                if (tcp_cfg(net)->abort_on_overflow) {
                                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                                        lp->lq->syn_qlen--;
                                        tp->parent = NULL;
                                        sock_put(parent);
                                        TCPEXT_INC(net, EmbryonicRsts);
                                        tcp_done(sk);
                                }
                                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                                return;
                        }
                        lp->lq->syn_qlen--;
                }
                /* a Fast Open child may have sent data in SYN_RECV: the
                 * ACK takes the SYN here and the data as any ACK does */
                tp->snd_una = tcp_fo(tp)->passive ? tp->iss + 1 : th->ack;
                tcp_set_snd_wnd(tp, (uint32_t)th->window << tp->snd_wscale);
                tp->snd_wl1 = th->seq;
                tp->snd_wl2 = th->ack;
                /* tcp_synack_rtt_meas: the handshake's round trip, unless
                 * the SYN-ACK went more than once (Karn) */
                if (!tp->retransmits)
                        tcp_rtt_sample(sk, net_now(net) - tp->rtt_seq_time);
                tp->retransmits = 0;
                tp->backoff = 0;
                tp->delivered++; /* the SYN-ACK (tcp_ack does not see it) */
                del_timer(&net->timers, &tp->rtx_timer);
                tcp_set_state(sk, TCP_ESTABLISHED);
                if (parent)
                        tcp_accept_enqueue(parent, sk);
                if (seq_after(th->ack, tp->snd_una)) {
                        struct tcp_ack_sample as = { .prior_una = tp->snd_una,
                                                     .reord = tp->snd_nxt };
                        tcp_clean_acked(sk, th->ack, &as);
                }
                if (tp->snd_una != tp->snd_nxt)
                        tcp_reset_rtx_timer(sk); /* tcp_rearm_rto */
        } else {
                if (seq_after(th->ack, tp->snd_nxt)) {
                        /* acks what we never sent: Linux drops it silently
                         * (TCP_ACK_UNSENT_DATA) */
                        tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED);
                        return;
                }
                uint32_t old_wnd = tp->snd_wnd;
                uint32_t prior_delivered = tp->delivered;
                struct tcp_ack_sample as = { .prior_una = tp->snd_una,
                                             .reord = tp->snd_nxt,
                                             .ece = tcp_ecn_rcv_ecn_echo(tp, th->flags) };
                if (tp->sack_ok)
                        tcp_sacktag(sk, th->ack, &th->opt, &as.tag);
                if (seq_after(th->ack, tp->snd_una)) {
                        tcp_clean_acked(sk, th->ack, &as);
                        tcp_update_window(tp, th);
                        tcp_reset_rtx_timer(sk);
                } else {
                        tcp_update_window(tp, th);
                        if (th->ack == tp->snd_una && !skb->len && !(th->flags & TCPF_FIN) &&
                            tp->snd_nxt != tp->snd_una &&
                            ((uint32_t)th->window << tp->snd_wscale) == old_wnd) {
                                as.dupack = true;
                                if (!tp->sack_ok)
                                        tcp_dupack(sk);
                        }
                }
                if (tp->sack_ok)
                        tcp_recovery_ack(sk, &as);
                else if (as.ece || tp->sb.ca_state == TCP_CA_CWR)
                        tcp_cwr_ack(sk, as.acked_new, as.ece);
                tcp_count_delivered(sk, prior_delivered, as.ece);
                tp->probes_out = 0; /* tcp_ack: the peer answered, whatever its window */
                if (!old_wnd && tp->snd_wnd) {
                        tp->backoff = 0;
                        tcp_reset_rtx_timer(sk); /* window reopened: no more probes */
                }
                bool fin_acked = tp->snd_una == tp->write_seq;
                if (sk->state == TCP_FIN_WAIT1 && fin_acked) {
                        tcp_set_state(sk, TCP_FIN_WAIT2);
                        if (atomic_load(&sk->dead)) {
                                /* an orphan: tcp_rcv_state_process's rules */
                                bool fin = th->flags & TCPF_FIN;
                                if (tp->linger2 < 0 ||
                                    ((skb->len || fin) &&
                                     seq_after(th->seq + skb->len, tp->rcv_nxt))) {
                                        /* no wait allowed, or data (or a FIN
                                         * out of order) after close(): the
                                         * segment is answered with RST */
                                        TCPEXT_INC(net, TCPAbortOnData);
                                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                                        tcp_done(sk);
                                        consume_skb(skb);
                                        return;
                                }
                                if (tcp_fin_wait2_orphan(sk, fin)) {
                                        consume_skb(skb);
                                        return;
                                }
                        }
                } else if (sk->state == TCP_CLOSING && fin_acked) {
                        tcp_enter_timewait(sk);
                        consume_skb(skb);
                        return;
                } else if (sk->state == TCP_LAST_ACK && fin_acked) {
                        tcp_done(sk);
                        consume_skb(skb);
                        return;
                }
        }
        /* tcp_rcv_established: the receiver's RTT from the echo */
        if (saw_tstamp && sk->state == TCP_ESTABLISHED && th->opt.tsecr)
                tcp_rcv_rtt_measure_ts(sk, th->opt.tsecr, skb->len);
        /* 6: urgent data */
        if ((th->flags & TCPF_URG) || tp->urg_data == TCP_URG_NOTYET)
                tcp_urg(sk, skb, th);
        /* 7: data */
        bool fin = th->flags & TCPF_FIN;
        if (skb->len || fin)
                tcp_ecn_accept_cwr(sk, th->flags, true);
        if (skb->len) {
                if (sk->state != TCP_ESTABLISHED && sk->state != TCP_FIN_WAIT1 &&
                    sk->state != TCP_FIN_WAIT2) {
                        consume_skb(skb);
                        return;
                }
                if (sk->shutdown & RCV_SHUTDOWN && !tp->fin_received &&
                    sk->state != TCP_ESTABLISHED) {
                        /* data after we closed the reading side: RST,
                         * answering the segment (tcp_reset, then
                         * tcp_v4_send_reset from tcp_v4_do_rcv) */
                        TCPEXT_INC(net, TCPAbortOnData);
                        tcp_v4_send_reset(net, skb, th, saddr, daddr, seglen);
                        tcp_done(sk);
                        consume_skb(skb);
                        return;
                }
                TCP_SKB_CB(skb)->seq = th->seq;
                if (seq_before(th->seq, tp->rcv_nxt)) {
                        tcp_dsack_set(sk, th->seq, tp->rcv_nxt);
                        skb_pull(skb, tp->rcv_nxt - th->seq); /* old part */
                        TCP_SKB_CB(skb)->seq = tp->rcv_nxt;
                }
                if (TCP_SKB_CB(skb)->seq == tp->rcv_nxt) {
                        bool had_ooo = tp->ooo_queue.first != NULL;
                        uint32_t end = TCP_SKB_CB(skb)->seq + skb->len;
                        tcp_queue_data(sk, skb, th->flags, th->doff);
                        if (fin && tp->rcv_nxt == end)
                                tcp_fin(sk);
                        /* tcp_rcv_established: send what the data allows,
                         * then the ACK (at once when a hole was filled or
                         * old data came with it: a D-SACK to report) */
                        tcp_push(sk);
                        tcp_check_space(sk);
                        tcp_ack_snd_check(sk, had_ooo || (tp->rx_sack && tp->rx_sack->dsack));
                        return;
                }
                /* a hole before it: keep it, and say at once what we miss */
                tcp_queue_ooo(sk, skb);
                tcp_send_ack(sk);
                return;
        }
        if (fin && th->seq == tp->rcv_nxt)
                tcp_fin(sk);
        tcp_push(sk); /* tcp_data_snd_check */
        tcp_check_space(sk);
        tcp_ack_snd_check(sk, false);
        consume_skb(skb);
}

void tcp_v4_rcv(struct sk_buff *skb)
{
        struct net *net = skb->dev->net;
        struct ip_cb *ip = IPCB(skb);
        struct tcp_repr th;
        if (ip->route_type != RTN_LOCAL) {
                tcp_drop(net, skb, SKB_DROP_REASON_NOT_SPECIFIED); /* no TCP to broadcasts */
                return;
        }
        TCP_INC(net, InSegs);
        enum wire_status st = tcp_parse(skb->data, skb->len, &th);
        if (st != WIRE_OK) {
                TCP_INC(net, InErrs);
                tcp_drop(net, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
                return;
        }
        uint32_t saddr = ip->iph.saddr, daddr = ip->iph.daddr;
        if (!skb->csum_unnecessary && !tcp_csum_ok_ipv4(saddr, daddr, skb->data, skb->len)) {
                TCP_INC(net, InCsumErrors);
                TCP_INC(net, InErrs);
                tcp_drop(net, skb, SKB_DROP_REASON_TCP_CSUM);
                return;
        }
        skb_pull(skb, th.doff);
        uint32_t seglen = skb->len + ((th.flags & TCPF_SYN) ? 1 : 0) + ((th.flags & TCPF_FIN) ? 1 : 0);
        struct sock *sk = tcp_lookup(net, saddr, th.sport, daddr, th.dport);
        if (!sk) {
                TRACE(net, skb, IP_LOCAL, "tcp: no socket for port %u: RST", th.dport);
                tcp_v4_send_reset(net, skb, &th, saddr, daddr, seglen);
                tcp_drop(net, skb, SKB_DROP_REASON_NO_SOCKET);
                return;
        }
        if ((th.opt.md5_ok || tcp_sk(sk)->md5_keys) && sk->state != TCP_TIME_WAIT) {
                /* tcp_inbound_md5_hash: a peer with a key signs, one
                 * without does not; the header is still before the data */
                const uint8_t *h = skb->data - th.doff;
                int r = tcp_md5_inbound(net, tcp_md5_lookup(sk, saddr, 0), saddr, daddr, h, th.doff,
                                        skb->data, skb->len, th.opt.md5_ok ? h + th.opt.md5_off : NULL);
                if (r) {
                        tcp_drop(net, skb, (enum skb_drop_reason)r);
                        return;
                }
        }
        sock_hold(sk);
        skb_orphan(skb);
        if (sk->state == TCP_LISTEN)
                tcp_listen_rcv(sk, skb, &th, saddr, daddr, seglen);
        else if (sk->state == TCP_SYN_SENT)
                tcp_synsent_rcv(sk, skb, &th, saddr, daddr, seglen);
        else
                tcp_rcv_state(sk, skb, &th, saddr, daddr);
        sock_put(sk);
}
