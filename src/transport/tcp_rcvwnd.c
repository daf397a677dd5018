/*
 * The receiver's half of TCP flow control, as Linux does it: the window we
 * offer and when we acknowledge.
 *
 * Window: the offer grows from ten segments (tcp_select_initial_window)
 * toward the buffer's share for data (tcp_full_space, half of SO_RCVBUF as
 * tcp_adv_win_scale=1) through rcv_ssthresh, which each well-filled
 * segment raises by two MSS (tcp_grow_window); it never shrinks below what
 * was offered, is rounded to the MSS (or to the scale), and closes to zero
 * when the free space falls under an MSS or a sixteenth of the buffer
 * (__tcp_select_window).
 *
 * ACKs: every second full-sized segment is acknowledged at once (more than
 * rcv_mss new bytes since the last ACK); the first segments of a connection
 * and those after a long silence are acked one by one ("quick-ack" mode,
 * up to 16, bounded by the window); a host that answers within the delayed
 * ACK timeout is interactive ("ping-pong") and has its ACKs delayed to ride
 * on the replies.  The delayed-ACK timeout (ato) adapts to the spacing of
 * arriving segments, from 40 ms, capped by the RTT and 200 ms.  rcv_mss is
 * the largest segment the peer sent, measured (tcp_measure_rcv_mss).
 *
 * Buffer: while net.ipv4.tcp_moderate_rcvbuf is on and SO_RCVBUF was not
 * set, the receive buffer grows (up to tcp_rmem[2]) to hold what the reader
 * drained in the last RTT, twice, plus the sender's slow-start growth
 * (tcp_rcv_space_adjust, Linux 6.1's form); the RTT is the receiver's own
 * estimate, from timestamp echoes or from how long a window took to fill.
 */
#include <stdatomic.h>

#include "core/mib.h"
#include "transport/tcp.h"

#define TCP_ATO_MIN_NS   (40 * NSEC_PER_MSEC) /* TCP_ATO_MIN, TCP_DELACK_MIN */
#define TCP_DELACK_MAX_NS (200 * NSEC_PER_MSEC)
#define TCP_JIFFY_NS     NSEC_PER_MSEC        /* a timer "now" fires a tick later */
#define TCP_MAX_QUICKACKS 16
#define TCP_MIN_MSS      88
#define TCP_INIT_RCVWND  10 /* TCP_DEFAULT_INIT_RCVWND */

/* tcp_win_from_space: the part of a buffer that carries data. */
static int tcp_win_from_space(int space)
{
        return space / 2;
}

/* tcp_space: what may still arrive; tcp_full_space: the whole offer. */
static int tcp_space(const struct sock *sk)
{
        return tcp_win_from_space(sk->rcvbuf - atomic_load(&sk->rmem_alloc));
}

static int tcp_full_space(const struct sock *sk)
{
        return tcp_win_from_space(sk->rcvbuf);
}

static uint32_t tcp_receive_window(const struct tcp_sock *tp)
{
        int32_t w = (int32_t)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
        return w < 0 ? 0 : (uint32_t)w;
}

static bool tcp_in_pingpong(const struct tcp_sock *tp)
{
        return tp->ack.pingpong >= 1; /* tcp_pingpong_thresh */
}

static bool tcp_in_quickack(const struct tcp_sock *tp)
{
        return tp->ack.quick && !tcp_in_pingpong(tp);
}

static uint32_t tcp_clock_us(struct net *net)
{
        return (uint32_t)(net_now(net) / 1000);
}

/* tcp_select_initial_window, for the SYN or SYN-ACK: the window scale
 * from the largest buffer the socket may get, the first offer ten
 * segments (of mss, which the caller has reduced by the timestamp option
 * when it will ride in every segment). */
void tcp_select_initial_window(struct net *net, int rcvbuf, uint32_t mss, uint32_t user_clamp,
                               uint32_t initrwnd, uint32_t *rcv_wnd, uint8_t *rcv_wscale,
                               uint32_t *window_clamp)
{
        const struct tcp_cfg *cfg = tcp_cfg(net);
        /* TCP_WINDOW_CLAMP, else the largest window there can be */
        uint32_t clamp = user_clamp ? user_clamp : 65535u << 14;
        uint32_t space = MIN((uint32_t)tcp_win_from_space(rcvbuf), clamp);
        if (space > mss)
                space -= space % mss;
        uint8_t ws = 0;
        if (cfg->window_scaling) {
                uint32_t big = MAX(space, (uint32_t)MAX(cfg->rmem[2], net->core.rmem_max));
                big = MIN(big, clamp);
                int lg = 31 - __builtin_clz(big | 1);
                ws = (uint8_t)MIN(MAX(lg - 15, 0), 14);
        }
        uint32_t w = MIN(space, 65535u);
        if (mss > (1u << ws)) {
                uint32_t init = TCP_INIT_RCVWND;
                if (mss > 1460)
                        init = MAX(1460u * TCP_INIT_RCVWND / mss, 2u);
                w = MIN(w, (initrwnd ? initrwnd : init) * mss); /* route's initrwnd */
        }
        *rcv_wnd = w;
        *rcv_wscale = ws;
        *window_clamp = MIN(65535u << ws, clamp);
}

void tcp_init_windows(struct sock *sk, uint32_t mss, uint32_t initrwnd)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t w, clamp;
        uint8_t ws;
        tcp_select_initial_window(sk->net, sk->rcvbuf, mss, tp->window_clamp, initrwnd, &w, &ws,
                                  &clamp);
        tp->rcv_wscale = ws;
        tp->rcv_wnd = w;
        tp->rcv_ssthresh = w;
        tp->window_clamp = clamp;
}

/* tcp_init_buffer_space and tcp_initialize_rcv_mss, when the connection
 * is established: the clamp is the whole buffer less one segment. */
void tcp_init_rcv_side(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t maxwin = (uint32_t)tcp_full_space(sk);
        if (tp->window_clamp >= maxwin)
                tp->window_clamp = maxwin;
        if (tp->window_clamp > 2u * tp->advmss && tp->window_clamp + tp->advmss > maxwin)
                tp->window_clamp = MAX(2u * tp->advmss, maxwin - tp->advmss);
        tp->rcv_ssthresh = MIN(tp->rcv_ssthresh, tp->window_clamp);
        uint32_t hint = MIN((uint32_t)tp->advmss, (uint32_t)tp->mss);
        hint = MIN(hint, tp->rcv_wnd / 2);
        hint = MIN(hint, (uint32_t)TCP_MSS_DEFAULT);
        tp->ack.rcv_mss = MAX(hint, (uint32_t)TCP_MIN_MSS);
        /* the autotuning's first measure: about an initial window */
        tp->rcvq_space.space = MIN(MIN(tp->rcv_ssthresh, tp->rcv_wnd), TCP_INIT_CWND * (uint32_t)tp->advmss);
        tp->rcvq_space.seq = tp->copied_seq;
        tp->rcvq_space.time_us = tcp_clock_us(sk->net);
}

/* tcp_rcv_rtt_update: the estimate is kept << 3.  A timestamp sample is
 * smoothed in (1/8); a window's sample (win_dep) overestimates, so only a
 * smaller one replaces it. */
static void rcv_rtt_update(struct tcp_sock *tp, uint32_t sample, bool win_dep)
{
        uint64_t est = tp->rcv_rtt_est.rtt_us, m = sample;
        if (!est)
                est = m << 3;
        else if (!win_dep)
                est = est - (est >> 3) + m;
        else if ((m << 3) < est)
                est = m << 3;
        tp->rcv_rtt_est.rtt_us = (uint32_t)MIN(est, (uint64_t)UINT32_MAX);
}

/* tcp_rcv_rtt_measure: the time from offering a window to its far edge
 * being reached, as a sample of the RTT (with every in-order segment). */
static void rcv_rtt_measure(struct tcp_sock *tp, uint32_t now_us)
{
        if (tp->rcv_rtt_est.time_us) {
                if (seq_before(tp->rcv_nxt, tp->rcv_rtt_est.seq))
                        return;
                uint32_t d = now_us - tp->rcv_rtt_est.time_us;
                rcv_rtt_update(tp, d ? d : 1, true);
        }
        tp->rcv_rtt_est.seq = tp->rcv_nxt + tp->rcv_wnd;
        tp->rcv_rtt_est.time_us = now_us ? now_us : 1;
}

void tcp_rcv_rtt_measure_ts(struct sock *sk, uint32_t tsecr, uint32_t len)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tsecr == tp->rcv_rtt_last_tsecr)
                return;
        tp->rcv_rtt_last_tsecr = tsecr;
        if (len < tp->ack.rcv_mss)
                return; /* only full segments: a short one may have waited */
        uint32_t delta = tcp_time_ms(sk->net) - tsecr; /* the TS clock is ms */
        if (delta < INT32_MAX / 1000)
                rcv_rtt_update(tp, (delta ? delta : 1) * 1000, false);
}

/* What one full-sized segment costs the buffer: SKB_TRUESIZE(advmss +
 * MAX_TCP_HEADER), at least twice the segment at tcp_adv_win_scale 1. */
static uint32_t tcp_rcvmem(const struct tcp_sock *tp)
{
        uint32_t mem = tp->advmss + 320 + (uint32_t)sizeof(struct sk_buff);
        while ((uint32_t)tcp_win_from_space((int)mem) < tp->advmss)
                mem += 128;
        return mem;
}

void tcp_rcv_space_adjust(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t now = tcp_clock_us(sk->net);
        uint32_t time = now - tp->rcvq_space.time_us;
        if (!tp->rcv_rtt_est.rtt_us || time < (tp->rcv_rtt_est.rtt_us >> 3))
                return;
        uint32_t copied = tp->copied_seq - tp->rcvq_space.seq; /* in the last RTT */
        if (copied > tp->rcvq_space.space) {
                const struct tcp_cfg *cfg = tcp_cfg(sk->net);
                if (cfg->moderate_rcvbuf && !(sk->userlocks & SOCK_RCVBUF_LOCK) && tp->advmss) {
                        /* twice what was read, to ride out a loss, and a
                         * cushion; then the sender's growth (slow start
                         * doubles it each RTT, and our ACK is a round late) */
                        uint64_t rcvwin = ((uint64_t)copied << 1) + 16u * tp->advmss;
                        if (tp->rcvq_space.space) {
                                uint64_t grow = rcvwin * (copied - tp->rcvq_space.space) /
                                                tp->rcvq_space.space;
                                rcvwin += grow << 1;
                        }
                        uint64_t rcvbuf = rcvwin / tp->advmss * tcp_rcvmem(tp);
                        rcvbuf = MIN(rcvbuf, (uint64_t)cfg->rmem[2]);
                        if (rcvbuf > (uint64_t)sk->rcvbuf) {
                                sk->rcvbuf = (int)rcvbuf;
                                tp->window_clamp = (uint32_t)tcp_win_from_space((int)rcvbuf);
                        }
                }
                tp->rcvq_space.space = copied;
        }
        tp->rcvq_space.seq = tp->copied_seq;
        tp->rcvq_space.time_us = now;
}

/* __tcp_select_window: the window the buffer allows now. */
static uint32_t tcp_window_now(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        int mss = (int)tp->ack.rcv_mss;
        int free_space = tcp_space(sk);
        int allowed = tcp_full_space(sk);
        int full = MIN((int)tp->window_clamp, allowed);
        if (mss > full) {
                mss = full;
                if (mss <= 0)
                        return 0;
        }
        if (mss <= 0)
                mss = 1;
        if (free_space < full / 2) {
                tp->ack.quick = 0;
                free_space &= ~((1 << tp->rcv_wscale) - 1);
                if (free_space < allowed / 16 || free_space < mss)
                        return 0;
        }
        if (free_space > (int)tp->rcv_ssthresh)
                free_space = (int)tp->rcv_ssthresh;
        uint32_t window;
        if (tp->rcv_wscale) {
                uint32_t unit = 1u << tp->rcv_wscale;
                window = ((uint32_t)free_space + unit - 1) & ~(unit - 1);
        } else {
                window = tp->rcv_wnd;
                if ((int)window <= free_space - mss || (int)window > free_space)
                        window = (uint32_t)(free_space / mss * mss);
                else if (mss == full && free_space > (int)window + full / 2)
                        window = (uint32_t)free_space;
        }
        return window;
}

/* tcp_select_window: the window field of a segment we send; records the
 * offer.  An offer is never taken back (RFC 9293 3.8.6.2.2). */
uint16_t tcp_select_window(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t old = tp->rcv_wnd;
        uint32_t cur = tcp_receive_window(tp);
        uint32_t win = tcp_window_now(sk);
        if (win < cur) {
                if (!win)
                        TCPEXT_INC(sk->net, TCPWantZeroWindowAdv);
                uint32_t unit = 1u << tp->rcv_wscale;
                win = (cur + unit - 1) & ~(unit - 1);
        }
        tp->rcv_wnd = win;
        tp->rcv_wup = tp->rcv_nxt;
        uint32_t max = 65535u << tp->rcv_wscale;
        if (win > max)
                win = max;
        win >>= tp->rcv_wscale;
        if (!win && old)
                TCPEXT_INC(sk->net, TCPToZeroWindowAdv);
        else if (win && !old)
                TCPEXT_INC(sk->net, TCPFromZeroWindowAdv);
        return (uint16_t)win;
}

/* tcp_grow_window: a segment that fills its buffer well earns two MSS of
 * offer; one with much overhead earns less, the closer the offer is to
 * the largest buffer (__tcp_grow_window). */
static void tcp_grow_window(struct sock *sk, const struct sk_buff *skb)
{
        struct tcp_sock *tp = tcp_sk(sk);
        int room = MIN((int)tp->window_clamp, tcp_space(sk)) - (int)tp->rcv_ssthresh;
        if (room <= 0)
                return;
        int truesize = (int)skb_truesize((struct sk_buff *)skb);
        int len = (int)skb->len;
        int incr = 0;
        if (tcp_win_from_space(truesize) <= len) {
                incr = 2 * tp->advmss;
        } else {
                int t = tcp_win_from_space(truesize) >> 1;
                int window = tcp_win_from_space(tcp_cfg(sk->net)->rmem[2]) >> 1;
                while ((int)tp->rcv_ssthresh <= window) {
                        if (t <= len) {
                                incr = 2 * (int)tp->ack.rcv_mss;
                                break;
                        }
                        t >>= 1;
                        window >>= 1;
                }
        }
        if (incr) {
                incr = MAX(incr, 2 * len);
                tp->rcv_ssthresh += (uint32_t)MIN(room, incr);
                tp->ack.quick |= 1;
        }
}

/* tcp_measure_rcv_mss: the peer's segment size, learned from what it
 * sends; a short segment marks the data as pushed. */
static void tcp_measure_rcv_mss(struct sock *sk, const struct sk_buff *skb, uint8_t flags,
                                uint32_t hdrlen)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint32_t lss = tp->ack.last_seg_size;
        uint32_t len = skb->len;
        tp->ack.last_seg_size = 0;
        if (len >= tp->ack.rcv_mss) {
                tp->ack.rcv_mss = MIN(len, (uint32_t)tp->advmss);
                /* a full segment should carry no PSH unless the peer's
                 * writes end there */
                if (flags & TCPF_PSH)
                        tp->ack.pending |= TCP_ACK_PUSHED;
                return;
        }
        len += hdrlen;
        if (len >= TCP_MSS_DEFAULT + 20 ||
            (len >= TCP_MIN_MSS + 20 &&
             !(flags & (TCPF_FIN | TCPF_URG | TCPF_SYN | TCPF_PSH)))) {
                /* an ordinary segment, short: twice the same size means
                 * the peer's MSS is that small */
                tp->ack.last_seg_size = len;
                if (len == lss) {
                        tp->ack.rcv_mss = len;
                        return;
                }
        }
        if (tp->ack.pending & TCP_ACK_PUSHED)
                tp->ack.pending |= TCP_ACK_PUSHED2;
        tp->ack.pending |= TCP_ACK_PUSHED;
}

/* tcp_incr_quickack: ack the next segments one by one -- as many as half
 * the window holds, at most max. */
static void tcp_incr_quickack(struct sock *sk, unsigned max)
{
        struct tcp_sock *tp = tcp_sk(sk);
        unsigned q = tcp_receive_window(tp) / (2 * (tp->ack.rcv_mss ? tp->ack.rcv_mss : 1));
        if (!q)
                q = 2;
        if (q > max)
                q = max;
        if (q > tp->ack.quick)
                tp->ack.quick = (uint8_t)q;
}

/* TCP_QUICKACK (__tcp_sock_set_quickack): 0 makes the connection
 * interactive (its ACKs wait to ride on replies); otherwise it is not, and
 * an ACK owed goes now -- and with an even value, the mode is interactive
 * again after it (quick-ack is not permanent, as on Linux). */
void tcp_set_quickack(struct sock *sk, int val)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!val) {
                tp->ack.pingpong = 1; /* inet_csk_enter_pingpong_mode */
                return;
        }
        tp->ack.pingpong = 0;
        if ((sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT) &&
            (tp->ack.pending & TCP_ACK_SCHED)) {
                tp->ack.pending |= TCP_ACK_PUSHED;
                tcp_cleanup_rbuf(sk, 1);
                if (!(val & 1))
                        tp->ack.pingpong = 1;
        }
}

void tcp_enter_quickack_mode(struct sock *sk)
{
        tcp_enter_quickack_mode_max(sk, TCP_MAX_QUICKACKS);
}

void tcp_enter_quickack_mode_max(struct sock *sk, unsigned max)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_incr_quickack(sk, max);
        tp->ack.pingpong = 0;
        tp->ack.ato = TCP_ATO_MIN_NS;
}

/* tcp_event_data_recv: in-order payload arrived (before it is queued, so
 * that the offer it fills is still counted). */
void tcp_event_data_recv(struct sock *sk, const struct sk_buff *skb, uint8_t flags, uint32_t hdrlen)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint64_t now = net_now(sk->net);
        tp->ack.pending |= TCP_ACK_SCHED;
        tcp_measure_rcv_mss(sk, skb, flags, hdrlen);
        if (!tp->ack.ato) {
                /* the first data: quick ACKs help the sender's slow start */
                tcp_incr_quickack(sk, TCP_MAX_QUICKACKS);
                tp->ack.ato = TCP_ATO_MIN_NS;
        } else {
                uint64_t m = now - tp->lrcvtime;
                if (m <= TCP_ATO_MIN_NS / 2) {
                        tp->ack.ato = tp->ack.ato / 2 + TCP_ATO_MIN_NS / 2;
                } else if (m < tp->ack.ato) {
                        tp->ack.ato = tp->ack.ato / 2 + m;
                        if (tp->ack.ato > tp->rto)
                                tp->ack.ato = tp->rto;
                } else if (m > tp->rto) {
                        /* a long silence: the sender restarts slowly */
                        tcp_incr_quickack(sk, TCP_MAX_QUICKACKS);
                }
        }
        tp->lrcvtime = now;
        rcv_rtt_measure(tp, (uint32_t)(now / 1000));
        if (skb->len >= 128)
                tcp_grow_window(sk, skb);
}

/* tcp_event_data_sent: data leaving soon after data arrived is a reply;
 * the connection is interactive and its ACKs may wait for the next one. */
void tcp_event_data_sent(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (net_now(sk->net) - tp->lrcvtime < tp->ack.ato && tp->ack.pingpong < 255)
                tp->ack.pingpong++;
}

/* tcp_event_ack_sent: any segment carrying our ACK ends the wait. */
void tcp_event_ack_sent(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tp->ack.quick) {
                unsigned pkts = (tp->ack.pending & TCP_ACK_SCHED) ? 1 : 0;
                if (pkts >= tp->ack.quick) {
                        tp->ack.quick = 0;
                        tp->ack.ato = TCP_ATO_MIN_NS; /* leaving quick-ack mode */
                } else {
                        tp->ack.quick = (uint8_t)(tp->ack.quick - pkts);
                }
        }
        tp->ack.pending = 0;
        del_timer(&sk->net->timers, &tp->delack_timer);
}

/* tcp_send_delayed_ack: arm the delayed-ACK timer for ato, bounded by
 * the RTT (a receiver that is not interactive waits at most 500 ms, and
 * 200 ms once pushed or ping-ponging). */
void tcp_send_delayed_ack(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        uint64_t ato = tp->ack.ato;
        uint64_t now = net_now(sk->net);
        if (ato > TCP_ATO_MIN_NS) {
                uint64_t max_ato = 500 * NSEC_PER_MSEC;
                if (tcp_in_pingpong(tp) || (tp->ack.pending & TCP_ACK_PUSHED))
                        max_ato = TCP_DELACK_MAX_NS;
                if (tp->srtt) {
                        uint64_t rtt = MAX(tp->srtt, TCP_ATO_MIN_NS);
                        if (rtt < max_ato)
                                max_ato = rtt;
                }
                ato = MIN(ato, max_ato);
        }
        ato = MIN(ato, TCP_DELACK_MAX_NS);
        uint64_t timeout = now + (ato ? ato : TCP_JIFFY_NS);
        if (tp->ack.pending & TCP_ACK_TIMER) {
                /* about to fire anyway: ACK now */
                if (tp->delack_timer.expires <= now + ato / 4) {
                        tcp_send_ack(sk);
                        return;
                }
                if (timeout > tp->delack_timer.expires)
                        timeout = tp->delack_timer.expires;
        }
        tp->ack.pending |= TCP_ACK_SCHED | TCP_ACK_TIMER;
        mod_timer(&sk->net->timers, &tp->delack_timer, timeout);
}

/* tcp_rcv_synsent_state_process with a writer about to send: the ACK of
 * the SYN-ACK waits for the data (up to the 200 ms delayed-ACK maximum),
 * and the first segments after it are acked at once. */
void tcp_ack_for_writer(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        tcp_enter_quickack_mode(sk);
        tp->ack.pending |= TCP_ACK_SCHED | TCP_ACK_TIMER;
        mod_timer(&sk->net->timers, &tp->delack_timer, net_now(sk->net) + TCP_DELACK_MAX_NS);
}

/* __tcp_ack_snd_check, after payload was queued (now: a hole was filled
 * or the segment was out of order -- the peer must hear at once). */
void tcp_ack_snd_check(struct sock *sk, bool now)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!(tp->ack.pending & TCP_ACK_SCHED) && !now)
                return;
        if (now || (tp->rcv_nxt - tp->rcv_wup > tp->ack.rcv_mss &&
                    tcp_window_now(sk) >= tp->rcv_wnd) ||
            tcp_in_quickack(tp) || (tp->ack.pending & TCP_ACK_NOW)) {
                tcp_send_ack(sk);
                return;
        }
        tcp_send_delayed_ack(sk);
}

/* The delayed-ACK timer (tcp_delack_timer_handler): a missed chance to
 * piggyback; an interactive connection stops being one. */
void tcp_delack_timer(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->state == TCP_CLOSE || sk->state == TCP_LISTEN || !(tp->ack.pending & TCP_ACK_TIMER))
                return;
        tp->ack.pending &= (uint8_t)~TCP_ACK_TIMER;
        if (!(tp->ack.pending & TCP_ACK_SCHED))
                return;
        if (!tcp_in_pingpong(tp)) {
                tp->ack.ato = MIN(tp->ack.ato * 2, tp->rto);
        } else {
                tp->ack.pingpong = 0;
                tp->ack.ato = TCP_ATO_MIN_NS;
        }
        TCPEXT_INC(sk->net, TCPDelayedACKs);
        tcp_send_ack(sk);
}

/* tcp_cleanup_rbuf: after the reader took data -- the ACK the receive path
 * left for later goes now if more than a segment waits for it or the
 * reader emptied a pushed queue; and the peer hears of a window that has
 * at least doubled. */
void tcp_cleanup_rbuf(struct sock *sk, size_t copied)
{
        struct tcp_sock *tp = tcp_sk(sk);
        bool ack = false;
        if (tp->ack.pending & TCP_ACK_SCHED) {
                if (tp->rcv_nxt - tp->rcv_wup > tp->ack.rcv_mss ||
                    (copied && ((tp->ack.pending & TCP_ACK_PUSHED2) ||
                                ((tp->ack.pending & TCP_ACK_PUSHED) && !tcp_in_pingpong(tp))) &&
                     !atomic_load(&sk->rmem_alloc)))
                        ack = true;
        }
        if (copied && !ack && !(sk->shutdown & RCV_SHUTDOWN)) {
                uint32_t rwin = tcp_receive_window(tp);
                if (2 * rwin <= tp->window_clamp) {
                        uint32_t w = tcp_window_now(sk);
                        if (w && w >= 2 * rwin)
                                ack = true;
                }
        }
        if (ack)
                tcp_send_ack(sk);
}
