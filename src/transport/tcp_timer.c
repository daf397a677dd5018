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
                if ((int)tp->retransmits >= tcp_cfg(net)->synack_retries) {
                        struct sock *parent = tp->parent;
                        if (tp->fo.passive) {
                                /* tcp_fastopen_synack_timer: the child is
                                 * the application's (or on its way) */
                                tcp_write_err(sk);
                                return;
                        }
                        if (parent) {
                                tcp_sk(parent)->syn_qlen--;
                                tp->parent = NULL;
                                sock_put(parent);
                        }
                        tcp_done(sk);
                        return;
                }
                tp->retransmits++;
                tp->backoff++;
                TCPEXT_INC(net, TCPSynRetrans);
                TCP_INC(net, RetransSegs);
                tcp_send_synack(sk);
                if (tp->fo.passive)
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
        /* RFC 5681 3.1: loss by timeout, back to slow start */
        if (!tp->retransmits)
                tp->snd_ssthresh = tp->cong->ssthresh(tp);
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
                tcp_enter_loss(sk);
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

static void tw_fire(struct timer_list *t)
{
        struct sock *sk = sk_of(t, offsetof(struct tcp_sock, tw_timer));
        tcp_done(sk);
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
 * keepalive_intvl; keepalive_probes unanswered and the peer is gone. */
static void ka_fire(struct timer_list *t)
{
        struct sock *sk = sk_of(t, offsetof(struct tcp_sock, ka_timer));
        struct tcp_sock *tp = tcp_sk(sk);
        struct net *net = sk->net;
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
        timer_setup(&tp->tw_timer, tw_fire);
}

void tcp_stop_timers(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp)
                return;
        del_timer(&sk->net->timers, &tp->rtx_timer);
        del_timer(&sk->net->timers, &tp->reo_timer);
        del_timer(&sk->net->timers, &tp->delack_timer);
        del_timer(&sk->net->timers, &tp->tw_timer);
        del_timer(&sk->net->timers, &tp->ka_timer);
}
