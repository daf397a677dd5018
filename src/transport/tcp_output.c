/*
 * Building and sending TCP segments (Linux's tcp_output.c, reduced): the
 * header with options, the advertised window, what the congestion and send
 * windows allow (tcp_write_xmit: one TSO packet per Linux skb, sized and
 * split as tcp_tso.c says), Nagle, FIN, RST and ACK.
 *
 * A segment is a clone of its write-queue skb with the TCP header pushed
 * into the headroom in front of the payload (Linux's __tcp_transmit_skb):
 * the payload is copied once, from the user in tcp_sendmsg, never again on
 * transmit.  The write-queue skb never uses its own headroom, so the clone
 * owns those bytes -- as long as it is the only one: while an earlier
 * transmission of the same skb is still held somewhere (a queue, a
 * receiver), the segment is built in a fresh buffer with a copy instead.
 * The checksum is left to the device (CHECKSUM_PARTIAL): veth and lo never
 * compute it, any other device gets it computed at transmit.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/trace.h"
#include "ipv4/ipv4.h"
#include "transport/tcp.h"
#include "transport/tcp_errq.h"
#include "transport/tcp_recovery.h"
#include "wire/bytes.h"
#include "transport/tcp_md5.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

static uint32_t tcp_now_ts(struct sock *sk)
{
        return tcp_time_ms(sk->net);
}

/* May data be sent as a clone?  Only if nothing else holds its buffer (an
 * earlier clone still in flight would have its header overwritten) and
 * the headroom a fresh segment would have is free in front of it. */
static bool tcp_can_clone(const struct sk_buff *data)
{
        return atomic_load_explicit(&data->shared->refcnt, memory_order_acquire) == 1 &&
               skb_headroom(data) >= SKB_HEADROOM;
}

unsigned tcp_opt_overhead(const struct tcp_sock *tp)
{
        unsigned n = tp->tstamp_ok ? 12 : 0;
        if (tp->md5_keys && tcp_md5_lookup(tp->sk, tp->sk->daddr, 0))
                n += 20; /* NOP NOP and the 18-byte option */
        return n;
}

int tcp_transmit_skb(struct sock *sk, struct sk_buff *data, uint8_t flags, uint32_t seq)
{
        struct net *net = sk->net;
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t plen = data ? data->len : 0;
        struct tcp_repr th = { .sport = sk->num, .dport = sk->dport, .seq = seq, .flags = flags };
        if (flags & TCPF_SYN) {
                const struct tcp_cfg *cfg = tcp_cfg(net);
                th.opt.mss_ok = true;
                th.opt.mss = tp->advmss;
                th.opt.ws_ok = cfg->window_scaling != 0;
                th.opt.ws = tp->rcv_wscale;
                th.opt.sack_ok = cfg->sack != 0;
                th.opt.ts_ok = cfg->timestamps != 0;
                /* a SYN-ACK offers only what the SYN offered */
                if (flags & TCPF_ACK) {
                        th.opt.ws_ok = tp->wscale_ok;
                        th.opt.sack_ok = tp->sack_ok;
                        th.opt.ts_ok = tp->tstamp_ok;
                }
                th.window = (uint16_t)(tp->rcv_wnd > 65535 ? 65535 : tp->rcv_wnd);
                tcp_fastopen_syn_options(sk, flags, &th.opt);
        } else {
                th.opt.ts_ok = tp->tstamp_ok;
                th.window = tcp_select_window(sk);
                tcp_sack_options(tp, &th.opt);
        }
        const struct tcp_md5_key *md5 = tp->md5_keys ? tcp_md5_lookup(sk, sk->daddr, 0) : NULL;
        if (md5)
                tcp_md5_options(tp, &th.opt, flags);
        /* RFC 3168: the handshake's ECE/CWR; on other segments ECT(0)
         * for new data, ECE while echoing CE, CWR after a reduction */
        uint8_t tos;
        if (flags & TCPF_SYN) {
                th.flags |= (flags & TCPF_ACK) ? tcp_ecn_synack_flags(tp) : tcp_ecn_syn_flags(sk);
                tos = sk->tos & (uint8_t)~INET_ECN_MASK;
        } else {
                th.flags |= tcp_ecn_send(sk, plen, seq);
                tos = sk->tos;
        }
        if (th.opt.ts_ok) {
                th.opt.tsval = tcp_now_ts(sk);
                th.opt.tsecr = tp->ts_recent;
        }
        if (flags & TCPF_ACK)
                th.ack = tp->rcv_nxt;
        if (tp->urg_mode)
                tcp_urg_header(tp, seq, &th);
        size_t hlen = TCP_HLEN_MIN + tcp_options_len(&th.opt);
        struct sk_buff *skb;
        uint8_t *h;
        if (plen && tcp_can_clone(data)) {
                skb = skb_clone(net, data);
                if (!skb)
                        return -ENOBUFS;
                skb->csum_unnecessary = 0;
                h = skb_push(skb, (uint32_t)hlen);
        } else {
                skb = alloc_skb_tx(net, (uint32_t)(hlen + plen));
                if (!skb)
                        return -ENOBUFS;
                skb->trace_id = data ? data->trace_id : 0;
                h = skb_put(skb, (uint32_t)(hlen + plen));
                if (plen)
                        memcpy(h + hlen, data->data, plen);
        }
        tcp_emit(&th, h, hlen);
        if (md5) /* the digest, NOP NOP kind length ahead of it */
                tcp_md5_sign(md5, sk->saddr, sk->daddr, h, hlen + plen, h + hlen, plen,
                             h + TCP_HLEN_MIN + 4);
        /* tcp_v4_send_check: the pseudo-header sum now, the rest by the
         * device or skb_checksum_help */
        uint32_t pseudo = csum_tcpudp_ipv4(sk->saddr, sk->daddr, IPPROTO_TCP_,
                                           (uint16_t)(hlen + plen));
        put_be16(h + 16, (uint16_t)~csum_fold(pseudo));
        skb_set_csum_partial(skb, (uint32_t)(h - skb->head), 16);
        skb_reset_transport_header(skb);
        skb->mark = (uint32_t)sk->mark;
        if (flags & TCPF_ACK)
                tcp_event_ack_sent(sk);
        if (plen)
                tcp_event_data_sent(sk);
        /* OutSegs excludes retransmissions (RFC 1213; __tcp_transmit_skb):
         * new sequence space, or nothing but control */
        uint32_t end = seq + plen + ((flags & TCPF_SYN) ? 1 : 0) + ((flags & TCPF_FIN) ? 1 : 0);
        if (end == seq || seq_after(end, tp->snd_nxt))
                TCP_INC(net, OutSegs);
        tp->segs_out++;
        if (flags & TCPF_RST)
                TCP_INC(net, OutRsts);
        uint8_t ttl = sk->uc_ttl > 0 ? (uint8_t)sk->uc_ttl : 0;
        if (sk->errq)
                tcp_errq_xmit(sk, skb, seq + ((flags & TCPF_SYN) ? 1 : 0), plen);
        /* TCP sends MSS-sized segments with DF (without, on a socket that
         * is IP_PMTUDISC_DONT: ip_no_pmtu_disc); never IP fragments */
        int pmtudisc = sk->pmtudisc == IP_PMTUDISC_DONT ? IP_PMTUDISC_DONT : IP_PMTUDISC_DO;
        return ip_build_and_send_cached(net, skb, sk->saddr, sk->daddr, IPPROTO_TCP_, tos, ttl,
                                        sk->bound_dev_if, pmtudisc, &tp->dst_cache);
}

void tcp_send_ack(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_transmit_skb(sk, NULL, TCPF_ACK, tp->snd_nxt);
}

void tcp_send_synack(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_transmit_skb(sk, NULL, TCPF_SYN | TCPF_ACK, tp->iss);
}

void tcp_send_reset(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_transmit_skb(sk, NULL, TCPF_RST | TCPF_ACK, tp->snd_nxt);
}

/* tcp_send_fin: the FIN rides on the last unsent skb when there is one,
 * else on a skb of its own; on the write queue either way, so it is
 * retransmitted like data. */
void tcp_send_fin(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct sk_buff *tail = tp->write_queue.last;
        if (tail && !seq_before(TCP_SKB_CB(tail)->seq, tp->snd_nxt) &&
            !(TCP_SKB_CB(tail)->flags & (TCPF_SYN | TCPF_FIN))) {
                TCP_SKB_CB(tail)->flags |= TCPF_FIN;
                TCP_SKB_CB(tail)->end_seq++;
                tp->write_seq++;
        } else {
                struct sk_buff *skb = alloc_skb_tx(sk->net, 0);
                if (!skb)
                        return;
                TCP_SKB_CB(skb)->seq = tp->write_seq;
                TCP_SKB_CB(skb)->end_seq = tp->write_seq + 1;
                TCP_SKB_CB(skb)->flags = TCPF_ACK | TCPF_FIN;
                TCP_SKB_CB(skb)->retrans = 0;
                TCP_SKB_CB(skb)->eor = 0;
                tp->write_seq++;
                tcp_wq_queue_tail(tp, skb);
        }
        tcp_push_mode(sk, TCP_PUSH_OFF); /* __tcp_push_pending_frames(TCP_NAGLE_OFF) */
}

void tcp_mark_push(struct tcp_sock *tp)
{
        struct sk_buff *last = tp->write_queue.last;
        if (last)
                TCP_SKB_CB(last)->flags |= TCPF_PSH;
        tp->pushed_seq = tp->write_seq;
}

/* Split skb so its first len bytes can go now (tcp_fragment).  The tail
 * is a piece of the same Linux skb (tcp_tso.c): it takes PSH and FIN, the
 * send-buffer charge of its bytes and the scoreboard marks, counted once
 * more. */
int tcp_fragment(struct sock *sk, struct sk_buff *skb, uint32_t len)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t rest = skb->len - len;
        struct sk_buff *n = alloc_skb_tx(sk->net, rest);
        if (!n)
                return -ENOMEM;
        memcpy(skb_put(n, rest), skb->data + len, rest);
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb), *ncb = TCP_SKB_CB(n);
        ncb->seq = cb->seq + len;
        ncb->end_seq = cb->end_seq;
        ncb->flags = cb->flags;
        ncb->retrans = 0;
        uint8_t marks = cb->sacked;
        ncb->sacked = marks;
        ncb->tx_ns = cb->tx_ns;
        if (marks & TCPCB_LOST)
                tp->sb.lost_out++;
        if (marks & TCPCB_SACKED_ACKED)
                tp->sb.sacked_out++;
        if (marks & TCPCB_SACKED_RETRANS)
                tp->sb.retrans_out++;
        ncb->cont = 1;
        ncb->eor = cb->eor; /* the record ends with the tail */
        cb->eor = 0;
        uint32_t moved = cb->truesize < rest ? cb->truesize : rest;
        ncb->truesize = moved;
        cb->truesize -= moved;
        cb->end_seq = cb->seq + len;
        cb->flags &= (uint8_t)~(TCPF_FIN | TCPF_PSH);
        skb_trim(skb, len);
        /* insert n after skb */
        n->prev = skb;
        n->next = skb->next;
        if (skb->next)
                skb->next->prev = n;
        else
                tp->write_queue.last = n;
        skb->next = n;
        tp->write_queue.qlen++;
        if (seq_before(cb->seq, tp->snd_nxt))
                tp->packets_out++; /* one sent segment became two */
        return 0;
}

/* tcp_event_new_data_sent for one piece that just went out. */
static void tcp_piece_sent(struct sock *sk, struct sk_buff *skb)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        uint64_t now = net_now(sk->net);
        if (!tp->rtt_seq) {
                tp->rtt_seq = cb->end_seq;
                tp->rtt_seq_time = now;
        }
        tp->snd_nxt = cb->end_seq;
        tp->packets_out++;
        cb->tx_ns = now; /* RACK */
        tp->send_head = skb->next;
        tp->lsndtime = now;
        TCPEXT_INC(sk->net, TCPOrigDataSent);
}

void tcp_push(struct sock *sk)
{
        tcp_push_mode(sk, TCP_PUSH_NAGLE);
}

/* tcp_write_xmit: from the send head, one packet per Linux skb (a run of
 * pieces, tcp_tso.c) as cwnd, the peer's window, TSO autosizing and Nagle
 * allow; a run cut short leaves its rest as a Linux skb of its own
 * (tso_fragment). */
void tcp_push_mode(struct sock *sk, enum tcp_push_how how)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_SYN_SENT || sk->state == TCP_CLOSE ||
            (sk->state == TCP_SYN_RECV && !tcp_fo(tp)->passive))
                return;
        bool sent = false, cwnd_limited = false, rwnd_limited = false;
        uint32_t nsent = 0;
        bool had_in_flight = tp->snd_una != tp->snd_nxt;
        /* Linux's nonagle for this push */
        unsigned nonagle = (tp->nodelay ? TCP_NAGLE_OFF : 0) | (tp->cork ? TCP_NAGLE_CORK : 0);
        if (tp->nagle_push)
                nonagle |= TCP_NAGLE_PUSH;
        if (how == TCP_PUSH_MORE)
                nonagle = TCP_NAGLE_CORK;
        if (how == TCP_PUSH_OFF)
                nonagle = TCP_NAGLE_OFF;
        if (how == TCP_PUSH_FORCE || how == TCP_PUSH_PROBE)
                nonagle = TCP_NAGLE_PUSH;
        uint32_t mss = tp->mss ? tp->mss : 1;
        uint32_t max_segs = 0; /* tcp_tso_segs, once a run of several pieces needs it */
        /* from the send head (tcp_send_head), not over what already went */
        struct sk_buff *start = tp->send_head ? tp->send_head : tp->write_queue.first;
        /* No send head and the queue's last skb already went: nothing is
         * unsent, and the scan would only step over everything in flight
         * (on every ACK of a bulk transfer, thousands of skbs at MSS 1460) */
        if (!tp->send_head && tp->write_queue.last &&
            seq_before(TCP_SKB_CB(tp->write_queue.last)->seq, tp->snd_nxt))
                start = NULL;
        struct sk_buff *skb = start;
        while (skb) {
                struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
                if (seq_before(cb->seq, tp->snd_nxt)) {
                        skb = skb->next;
                        continue; /* already sent */
                }
                tp->send_head = skb;
                /* built before the path MTU lowered the MSS: cut to it */
                if (skb->len > mss && tcp_fragment(sk, skb, mss))
                        break;
                tcp_run_split(tp, skb); /* what went before is a skb apart */
                /* tcp_cwnd_test: no packet larger than half of cwnd (at
                 * least two in flight); a one-segment skb with the FIN is
                 * not held by the window; a loss probe goes regardless */
                uint32_t in_flight = tcp_packets_in_flight(tp);
                uint32_t quota = tp->snd_cwnd > in_flight ? tp->snd_cwnd - in_flight : 0;
                uint32_t halfcwnd = tp->snd_cwnd >> 1 ? tp->snd_cwnd >> 1 : 1;
                if (quota > halfcwnd)
                        quota = halfcwnd;
                /* the run's length matters up to one packet's worth: past
                 * it, neither its end nor a FIN there changes this packet */
                if (!max_segs && skb->next && TCP_SKB_CB(skb->next)->cont)
                        max_segs = tcp_tso_segs(sk, mss);
                uint32_t pkt_segs = !max_segs ? 1 : quota < max_segs ? quota : max_segs;
                struct sk_buff *last;
                uint32_t run_len = tcp_run_len(skb, mss * (pkt_segs ? pkt_segs : 1), &last);
                bool is_tail = last && last->next == NULL;
                bool fin = last && (TCP_SKB_CB(last)->flags & TCPF_FIN);
                uint32_t segs = run_len > mss ? (run_len + mss - 1) / mss : 1;
                if (!quota && ((fin && segs == 1) || how == TCP_PUSH_PROBE))
                        quota = 1;
                if (!quota) {
                        cwnd_limited = true;
                        break;
                }
                uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
                uint32_t limit = 0;
                if (seq_after(cb->end_seq - ((cb->flags & TCPF_FIN) ? 1 : 0), wnd_end)) {
                        /* does not fit the peer's window (tcp_snd_wnd_test):
                         * wait for ACKs; only the probe timer sends the part
                         * that fits, when nothing is in flight
                         * (tcp_write_wakeup) */
                        uint32_t fit = seq_after(wnd_end, cb->seq) ? wnd_end - cb->seq : 0;
                        if (how == TCP_PUSH_FORCE && fit && tp->snd_nxt == tp->snd_una &&
                            fit < skb->len && !tcp_fragment(sk, skb, fit)) {
                                limit = fit;
                        } else {
                                rwnd_limited = true;
                                break;
                        }
                }
                /* tcp_nagle_test, for a one-segment skb: only the queue's
                 * last one waits (MSG_MORE, TCP_CORK, Nagle-Minshall);
                 * urgent data never does */
                if (segs == 1 && is_tail && !fin && !(nonagle & TCP_NAGLE_PUSH) && !tp->urg_mode &&
                    tcp_nagle_check(tp, run_len < mss, nonagle))
                        break;
                if (!limit) {
                        limit = mss;
                        if (segs > 1) {
                                uint32_t m = quota < max_segs ? quota : max_segs;
                                limit =
                                    tcp_mss_split_point(sk, skb, run_len, is_tail, mss, m, nonagle);
                        }
                        if (how == TCP_PUSH_PROBE && limit > mss)
                                limit = mss; /* tcp_write_wakeup sends one */
                        if (!limit)
                                break;
                }
                /* one packet: the pieces up to limit; PSH on its last when
                 * it has several segments (__tcp_transmit_skb) or the skb
                 * was marked */
                uint32_t sent_len = 0, end_seq = cb->seq;
                struct sk_buff *p = skb;
                while (p && sent_len < limit) {
                        if (p != skb && !TCP_SKB_CB(p)->cont)
                                break;
                        /* no piece past the packet's end, nor longer than
                         * the MSS (which the path MTU may have lowered) */
                        uint32_t room = limit - sent_len < mss ? limit - sent_len : mss;
                        if (p->len > room && tcp_fragment(sk, p, room))
                                break;
                        struct tcp_skb_cb *pcb = TCP_SKB_CB(p);
                        struct sk_buff *next = p->next;
                        bool pkt_end =
                            sent_len + p->len >= limit || !next || !TCP_SKB_CB(next)->cont;
                        uint8_t flags = pcb->flags;
                        if (pkt_end && sent_len + p->len > mss)
                                flags |= TCPF_PSH;
                        if (how == TCP_PUSH_FORCE && p->len)
                                flags |= TCPF_PSH; /* tcp_write_wakeup */
                        tcp_transmit_skb(sk, p->len ? p : NULL, flags, pcb->seq);
                        tcp_piece_sent(sk, p);
                        sent_len += p->len;
                        end_seq = pcb->end_seq;
                        sent = true;
                        nsent++;
                        p = next;
                }
                if (how != TCP_PUSH_FORCE) /* tcp_write_wakeup's and Fast Open's resend: not */
                        tcp_minshall_update(tp, sent_len, mss, end_seq);
                if (p && TCP_SKB_CB(p)->cont)
                        tcp_run_split(tp, p); /* tso_fragment: the rest waits */
                skb = p;
                if (how == TCP_PUSH_PROBE || how == TCP_PUSH_ONE)
                        break;
        }
        if (sent) {
                tcp_recovery_sent(sk, nsent);
                if (!tp->first_unacked_ts)
                        tp->first_unacked_ts = net_now(sk->net);
                /* tcp_cwnd_validate */
                uint32_t packets_out = tcp_packets_out(tp);
                if (!seq_before(tp->snd_una, tp->cwnd_usage_seq) || cwnd_limited ||
                    packets_out > tp->max_packets_out) {
                        tp->max_packets_out = packets_out;
                        tp->cwnd_usage_seq = tp->snd_nxt;
                        tp->is_cwnd_limited = cwnd_limited;
                }
                /* tcp_cwnd_validate: sent all there was, the window not the
                 * limit, and the writer stopped by a full buffer */
                if (!cwnd_limited && tp->snd_nxt == tp->write_seq && tp->nospace &&
                    (sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT))
                        tcp_chrono_start(sk, TCP_CHRONO_SNDBUF_LIMITED);
        }
        if (rwnd_limited)
                tcp_chrono_start(sk, TCP_CHRONO_RWND_LIMITED);
        else
                tcp_chrono_stop(sk, TCP_CHRONO_RWND_LIMITED);
        /* tcp_event_new_data_sent: new data rearms the RTO only when none
         * was in flight; otherwise the timer keeps counting from the ACK
         * that last moved snd_una (tcp_rearm_rto) */
        if ((sent && (!had_in_flight || !timer_pending(&tp->rtx_timer))) ||
            (tp->write_queue.first && !tp->snd_wnd) ||
            (tp->snd_una == tp->snd_nxt && tp->write_queue.first &&
             !timer_pending(&tp->rtx_timer)))
                tcp_reset_rtx_timer(sk); /* and tcp_check_probe_timer */
        if (sent && how != TCP_PUSH_PROBE)
                tcp_schedule_loss_probe(sk, false); /* one probe per tail */
        /* tcp_check_space: with TCP_NOTSENT_LOWAT, sending is what makes
         * room for writers */
        if (sent && (tp->notsent_lowat || tcp_cfg(sk->net)->notsent_lowat != 0xffffffffu))
                tcp_check_space(sk);
}

void tcp_retransmit_head(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct sk_buff *skb = tp->write_queue.first;
        if (!skb)
                return;
        /* __tcp_retransmit_skb: cut to the MSS, which the path MTU may
         * have lowered since the segment was built */
        if (skb->len > tp->mss)
                tcp_fragment(sk, skb, tp->mss);
        struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
        cb->retrans = 1;
        tp->rtt_seq = 0; /* Karn: no RTT from retransmitted data */
        tp->total_retrans++;
        TCP_INC(sk->net, RetransSegs);
        tcp_transmit_skb(sk, skb->len ? skb : NULL, cb->flags, cb->seq);
}

/* RFC 9293 3.10.7.1: the RST for a segment nobody owns. */
void tcp_v4_send_reset(struct net *net, struct sk_buff *in, const struct tcp_repr *th,
                       uint32_t saddr, uint32_t daddr, uint32_t seglen)
{
        if (th->flags & TCPF_RST)
                return;
        struct tcp_repr r = { .sport = th->dport, .dport = th->sport };
        if (th->flags & TCPF_ACK) {
                r.seq = th->ack;
                r.flags = TCPF_RST;
        } else {
                r.seq = 0;
                r.ack = th->seq + seglen;
                r.flags = TCPF_RST | TCPF_ACK;
        }
        struct sk_buff *skb = alloc_skb_tx(net, TCP_HLEN_MIN);
        if (!skb)
                return;
        skb->trace_id = in->trace_id;
        uint8_t *h = skb_put(skb, TCP_HLEN_MIN);
        tcp_emit(&r, h, TCP_HLEN_MIN);
        put_be16(h + 16, tcp_csum_ipv4(daddr, saddr, h, TCP_HLEN_MIN));
        TCP_INC(net, OutSegs);
        TCP_INC(net, OutRsts);
        ip_build_and_send(net, skb, daddr, saddr, IPPROTO_TCP_, 0, 0, 0, IP_PMTUDISC_DO);
}
