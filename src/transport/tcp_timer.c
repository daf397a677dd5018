/*
 * TCP timers (Linux's tcp_timer.c, reduced): retransmission with RFC 6298
 * RTO and exponential backoff, zero-window probes, delayed ACK, and the
 * TIME_WAIT and SYN_RECV lifetimes.  All on the namespace's timer wheel.
 */
#include <errno.h>

#include "core/trace.h"
#include "transport/tcp.h"
#include "transport/tcp_cong.h"
#include "transport/tcp_recovery.h"


static struct sock *sk_of(struct timer_list *t, size_t off)
{
        struct tcp_sock *tp = (struct tcp_sock *)((char *)t - off);
        return tp->sk;
}

void tcp_rtt_sample(struct sock *sk, uint64_t m)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->srtt) {
                tp->srtt = m;
                tp->rttvar = m / 2;
        } else {
                uint64_t err = m > tp->srtt ? m - tp->srtt : tp->srtt - m;
                tp->rttvar = (3 * tp->rttvar + err) / 4;
                tp->srtt = (7 * tp->srtt + m) / 8;
        }
        tcp_rack_rtt_sample(tp, m);
        /* RFC 6298 with Linux's floor: rto = srtt + max(4 * rttvar, 200 ms) */
        uint64_t var = 4 * tp->rttvar;
        tp->rto = tp->srtt + (var > TCP_RTO_MIN_NS ? var : TCP_RTO_MIN_NS);
        if (tp->rto > TCP_RTO_MAX_NS)
                tp->rto = TCP_RTO_MAX_NS;
}

void tcp_reset_rtx_timer(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        tp->sb.tlp_pending = false; /* an RTO (or nothing) from now on */
        /* nothing in flight: the probe timer runs while data waits unsent,
         * for a zero window or a cork (tcp_check_probe_timer) */
        if (tp->snd_una == tp->snd_nxt && !tp->write_queue.first) {
                del_timer(&net->timers, &tp->rtx_timer);
                return;
        }
        tp->probing = tp->snd_una == tp->snd_nxt; /* nothing in flight: window probe */
        uint64_t rto = tp->rto << (tp->backoff > 12 ? 12 : tp->backoff);
        if (rto > TCP_RTO_MAX_NS)
                rto = TCP_RTO_MAX_NS;
        mod_timer(&net->timers, &tp->rtx_timer, net_now(net) + rto);
}

static void tcp_write_err(struct sock *sk)
{
        /* an ICMP error seen on the way says more than ETIMEDOUT */
        int soft = tcp_sk(sk)->soft_err;
        sock_set_err(sk, soft ? soft : ETIMEDOUT);
        tcp_done(sk);
}

static void rtx_fire(struct timer_list *t)
{
        struct sock *sk = sk_of(t, offsetof(struct tcp_sock, rtx_timer));
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        if (sk->state == TCP_CLOSE)
                return;
        if (tp->sb.tlp_pending) {
                tp->sb.tlp_pending = false;
                tcp_send_loss_probe(sk);
                return;
        }
        if (tp->probing && tp->snd_wnd && tp->write_queue.first) {
                /* tcp_write_wakeup: the window is open but the data was held
                 * (TCP_CORK, MSG_MORE): it goes now, with PSH */
                tp->probes_out = 0;
                tp->backoff = 0;
                tcp_push_mode(sk, TCP_PUSH_FORCE);
                return;
        }
        if (tp->probing) {
                /* tcp_probe_timer: after tcp_retries2 unanswered probes the
                 * peer is given up on (ETIMEDOUT) */
                if ((int)tp->probes_out >= tcp_cfg(net)->retries2) {
                        tcp_write_err(sk);
                        return;
                }
                /* a segment the receiver must ACK, showing its window (seq
                 * snd_una - 1, no data) */
                TCPEXT_INC(net, TCPWinProbe);
                tcp_transmit_skb(sk, NULL, TCPF_ACK, tp->snd_una - 1);
                tp->probes_out++;
                tp->backoff++;
                tcp_reset_rtx_timer(sk);
                return;
        }
        TCPEXT_INC(net, TCPTimeouts);
        if (sk->state == TCP_SYN_SENT) {
                /* TCP_SYNCNT, else net.ipv4.tcp_syn_retries */
                int retries = tp->syn_retries ? tp->syn_retries : tcp_cfg(net)->syn_retries;
                if ((int)tp->retransmits >= retries) {
                        TCP_INC(net, AttemptFails);
                        tcp_write_err(sk);
                        return;
                }
                tp->retransmits++;
                tp->backoff++;
                TCPEXT_INC(net, TCPSynRetrans);
                TCP_INC(net, RetransSegs);
                tcp_transmit_skb(sk, NULL, TCPF_SYN, tp->iss);
                tcp_reset_rtx_timer(sk);
                return;
        }
        if (sk->state == TCP_SYN_RECV) {
                /* syn_ack_recalc: with TCP_DEFER_ACCEPT, a child whose bare
                 * ACK was dropped lives out the deferral, and hears a SYN-ACK
                 * again only at its end -- a last chance to complete */
                struct sock *lst = tcp_fo(tp)->passive ? NULL : tp->parent;
                int defer = lst ? tcp_lq(tcp_sk(lst))->defer_accept : 0;
                int n = tp->retransmits;
                bool expire = n >= tcp_cfg(net)->synack_retries &&
                              (!defer || !tp->defer_acked || n >= defer);
                bool resend = !defer || !tp->defer_acked || n >= defer - 1;
                if (expire) {
                        struct sock *parent = tp->parent;
                        if (tcp_fo(tp)->passive) {
                                /* tcp_fastopen_synack_timer: the child is
                                 * the application's (or on its way) */
                                tcp_write_err(sk);
                                return;
                        }
                        if (parent) {
                                tcp_sk(parent)->lq->syn_qlen--;
                                tp->parent = NULL;
                                sock_put(parent);
                        }
                        tcp_done(sk);
                        return;
                }
                tp->retransmits++;
                tp->backoff++;
                if (resend) {
                        TCPEXT_INC(net, TCPSynRetrans);
                        TCP_INC(net, RetransSegs);
                        tcp_send_synack(sk);
                }
                if (tcp_fo(tp)->passive)
                        tcp_fastopen_arm_synack_timer(sk);
                else
                        tcp_reset_rtx_timer(sk);
                return;
        }
        if ((int)tp->retransmits >= tcp_cfg(net)->retries2) {
                tcp_write_err(sk);
                return;
        }
        if (tp->user_timeout_ms && tp->first_unacked_ts &&
            net_now(net) - tp->first_unacked_ts >= (uint64_t)tp->user_timeout_ms * NSEC_PER_MSEC) {
                tcp_write_err(sk); /* TCP_USER_TIMEOUT: unacked for too long */
                return;
        }
        tp->sb.tlp_high_seq = 0; /* tcp_retransmit_timer: a probe's episode ends */
        /* RFC 5681 3.1: loss by timeout, back to slow start; with SACK the
         * scoreboard decides the cut and what may be undone (tcp_enter_loss) */
        if (tp->sack_ok)
                tcp_enter_loss(sk, !tp->retransmits);
        else if (!tp->retransmits)
                tp->snd_ssthresh = tp->cong->ssthresh(tp);
        tcp_ecn_queue_cwr(tp); /* tcp_enter_loss */
        tp->cong->init(tp);    /* tcp_set_ca_state(TCP_CA_Loss): cubic starts over */
        if (!tp->sack_ok && tp->sb.ca_state == TCP_CA_CWR)
                tp->sb.ca_state = TCP_CA_Open; /* the timeout's cut replaces it */
        tp->snd_cwnd = 1;
        tp->snd_cwnd_cnt = 0;
        tp->in_recovery = false;
        tp->dupacks = 0;
        if (!tp->sack_ok)
                tp->sb.sacked_out = 0; /* duplicate ACKs counted for limited transmit */
        tp->retransmits++;
        tp->backoff++;
        if (tp->sack_ok) {
                /* the scoreboard: every hole is lost, SACKed data is not resent */
                tcp_xmit_retransmit_queue(sk);
        } else {
                tcp_retransmit_head(sk);
        }
        tcp_reset_rtx_timer(sk);
}

static void reo_fire(struct timer_list *t)
{
        tcp_rack_reo_timeout(sk_of(t, offsetof(struct tcp_sock, reo_timer)));
}

static void delack_fire(struct timer_list *t)
{
        tcp_delack_timer(sk_of(t, offsetof(struct tcp_sock, delack_timer)));
}

static uint64_t ka_time(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        int s = tp->keepidle ? tp->keepidle : tcp_cfg(sk->net)->keepalive_time;
        return (uint64_t)s * NSEC_PER_SEC;
}

static uint64_t ka_intvl(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        int s = tp->keepintvl ? tp->keepintvl : tcp_cfg(sk->net)->keepalive_intvl;
        return (uint64_t)s * NSEC_PER_SEC;
}

void tcp_reset_keepalive(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        if (!sk->keepalive || (sk->state != TCP_ESTABLISHED && sk->state != TCP_CLOSE_WAIT &&
                               sk->state != TCP_FIN_WAIT2)) {
                del_timer(&net->timers, &tp->ka_timer);
                return;
        }
        mod_timer(&net->timers, &tp->ka_timer, net_now(net) + ka_time(sk));
}

/* tcp_keepalive_timer: idle for keepalive_time, then a probe every
 * keepalive_intvl; keepalive_probes unanswered and the peer is gone.  The
 * same timer ends a TIME_WAIT socket's wait, which never keeps alive (one
 * timer, as Linux's sk_timer serves both). */
static void ka_fire(struct timer_list *t)
{
        struct sock *sk = sk_of(t, offsetof(struct tcp_sock, ka_timer));
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
        if (sk->state == TCP_TIME_WAIT) {
                tcp_done(sk);
                return;
        }
        if (sk->state == TCP_FIN_WAIT2 && atomic_load(&sk->dead)) {
                /* an orphan that waited tcp_fin_time less TIME_WAIT's
                 * length: a TIME_WAIT socket waits the rest */
                if (tp->linger2 >= 0 && tcp_fin_time(sk) > TCP_TIMEWAIT_NS) {
                        tcp_enter_fin_wait2_wait(sk, tcp_fin_time(sk) - TCP_TIMEWAIT_NS);
                        return;
                }
                tcp_send_reset(sk);
                tcp_done(sk);
                return;
        }
        if (!sk->keepalive || sk->state == TCP_CLOSE || sk->state == TCP_LISTEN)
                return;
        uint64_t now = net_now(net);
        uint64_t idle = now - tp->rcv_tstamp;
        if (tp->snd_una != tp->snd_nxt || tp->write_queue.first) {
                /* data in flight: the retransmission timer watches the peer */
                mod_timer(&net->timers, &tp->ka_timer, now + ka_time(sk));
                return;
        }
        if (idle < ka_time(sk) && !tp->ka_probes) {
                mod_timer(&net->timers, &tp->ka_timer, tp->rcv_tstamp + ka_time(sk));
                return;
        }
        int cnt = tp->keepcnt ? tp->keepcnt : tcp_cfg(net)->keepalive_probes;
        if ((int)tp->ka_probes >= cnt) {
                tcp_send_reset(sk);
                tcp_write_err(sk);
                return;
        }
        tcp_transmit_skb(sk, NULL, TCPF_ACK, tp->snd_una - 1);
        tp->ka_probes++;
        mod_timer(&net->timers, &tp->ka_timer, now + ka_intvl(sk));
}

void tcp_init_timers(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        timer_setup(&tp->ka_timer, ka_fire);
        timer_setup(&tp->rtx_timer, rtx_fire);
        timer_setup(&tp->reo_timer, reo_fire);
        timer_setup(&tp->delack_timer, delack_fire);
}

void tcp_stop_timers(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp)
                return;
        del_timer(&sk->net->timers, &tp->rtx_timer);
        del_timer(&sk->net->timers, &tp->reo_timer);
        del_timer(&sk->net->timers, &tp->delack_timer);
        del_timer(&sk->net->timers, &tp->ka_timer);
}
