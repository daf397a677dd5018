/*
 * Congestion control algorithms: reno and cubic.
 *
 * CUBIC (RFC 9438): after a loss at window W_max the window follows
 * W(t) = C (t - K)^3 + W_max with C = 0.4 and K = cbrt(W_max (1 - beta) / C),
 * beta = 0.7, t the time since the loss; below the window a Reno flow would
 * have (the "TCP-friendly" estimate) it grows as Reno.
 *
 * HyStart (Linux's, with its 2020 fixes) ends slow start before a loss
 * does: once cwnd reaches hystart_low_window, each round trip (until
 * snd_una passes the snd_nxt of its start) is watched two ways.  ACK
 * train: ACKs arriving no more than hystart_ack_delta_us apart for longer
 * than half the least RTT mean the pipe is full.  Delay: from the ninth
 * RTT sample of a round on, the round's least RTT above the connection's
 * least RTT by an eighth of it (clamped to 4..16 ms) means a queue is
 * building.  Either sets ssthresh to cwnd.  Samples taken within a second
 * of a congestion-avoidance epoch's start (right after a recovery) are not
 * used.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sysctl.h"
#include "transport/tcp.h"
#include "transport/tcp_cong.h"

uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked)
{
        uint32_t cwnd = tp->snd_cwnd + acked;
        if (cwnd > tp->snd_ssthresh)
                cwnd = tp->snd_ssthresh;
        acked -= cwnd - tp->snd_cwnd;
        tp->snd_cwnd = cwnd;
        return acked;
}

/* --- reno ---------------------------------------------------------------- */

static uint32_t reno_ssthresh(struct tcp_sock *tp)
{
        return tp->snd_cwnd / 2 > 2 ? tp->snd_cwnd / 2 : 2;
}

/* tcp_cong_avoid_ai: one segment per window of acked segments */
static void cong_avoid_ai(struct tcp_sock *tp, uint32_t w, uint32_t acked)
{
        if (tp->snd_cwnd_cnt >= w) {
                tp->snd_cwnd_cnt = 0;
                tp->snd_cwnd++;
        }
        tp->snd_cwnd_cnt += acked;
        if (tp->snd_cwnd_cnt >= w) {
                uint32_t delta = tp->snd_cwnd_cnt / w;
                tp->snd_cwnd_cnt -= delta * w;
                tp->snd_cwnd += delta;
        }
}

static void reno_cong_avoid(struct tcp_sock *tp, uint32_t acked)
{
        if (tp->snd_cwnd < tp->snd_ssthresh) {
                acked = tcp_slow_start(tp, acked);
                if (!acked)
                        return;
        }
        cong_avoid_ai(tp, tp->snd_cwnd, acked);
}

static void reno_init(struct tcp_sock *tp)
{
}

static const struct tcp_cong_ops reno = {
        .name = "reno",
        .ssthresh = reno_ssthresh,
        .cong_avoid = reno_cong_avoid,
        .init = reno_init,
};

/* --- cubic --------------------------------------------------------------- */

#define CUBIC_BETA 0.7
#define CUBIC_C    0.4

#define HYSTART_ACK_TRAIN   0x1
#define HYSTART_DELAY       0x2
#define HYSTART_MIN_SAMPLES 8
#define HYSTART_DELAY_MIN   4000u  /* us */
#define HYSTART_DELAY_MAX   16000u /* us */
#define HYSTART_GSO_MAX     65536u /* sk_gso_max_size: what one TSO packet may hold */

static uint32_t cubic_clock_us(const struct tcp_sock *tp)
{
        return (uint32_t)(net_now(tp->sk->net) / 1000);
}

/* bictcp_hystart_reset: a new round trip begins. */
static void hystart_reset(struct tcp_sock *tp)
{
        struct tcp_hystart *hs = tp->hystart;
        hs->round_start = hs->last_ack = cubic_clock_us(tp);
        hs->end_seq = tp->snd_nxt;
        hs->curr_rtt = ~0u;
        hs->sample_cnt = 0;
}

static void cubic_release(struct tcp_sock *tp)
{
        free(tp->hystart);
        tp->hystart = NULL;
}

/* cubictcp_init with bictcp_reset: HyStart starts over (its state comes
 * with the next RTT sample, the round then beginning) */
static void cubic_init(struct tcp_sock *tp)
{
        tp->cubic_wmax = 0;
        tp->cubic_epoch = 0;
        cubic_release(tp);
        tp->hystart_found = false;
}

/* hystart_ack_delay: the time a TSO packet and its GRO'd ACK may add at
 * the rate the connection would pace at (tcp_update_pacing_rate: twice
 * cwnd per RTT in slow start), at most 1 ms. */
static uint32_t hystart_ack_delay(const struct tcp_sock *tp)
{
        const struct tcp_cfg *cfg = tcp_cfg(tp->sk->net);
        uint64_t srtt_us = tp->srtt / 1000;
        uint32_t segs = tp->snd_cwnd;
        int ratio = tp->snd_cwnd < tp->snd_ssthresh / 2 ? cfg->pacing_ss_ratio
                                                        : cfg->pacing_ca_ratio;
        if (!srtt_us || !ratio)
                return 0;
        /* bytes per second */
        uint64_t rate = (uint64_t)tp->mss * (uint64_t)ratio * segs * 10000u / srtt_us;
        if (!rate)
                return 1000;
        uint64_t d = (uint64_t)HYSTART_GSO_MAX * 4 * 1000000u / rate;
        return d < 1000 ? (uint32_t)d : 1000;
}

static void hystart_found(struct tcp_sock *tp, bool train)
{
        struct net *net = tp->sk->net;
        tp->hystart_found = true;
        if (train) {
                TCPEXT_INC(net, TCPHystartTrainDetect);
                TCPEXT_ADD(net, TCPHystartTrainCwnd, tp->snd_cwnd);
        } else {
                TCPEXT_INC(net, TCPHystartDelayDetect);
                TCPEXT_ADD(net, TCPHystartDelayCwnd, tp->snd_cwnd);
        }
        tp->snd_ssthresh = tp->snd_cwnd;
}

/* hystart_update: one RTT sample (us) in slow start above the low window. */
static void hystart_update(struct tcp_sock *tp, uint32_t delay)
{
        struct tcp_hystart *hs = tp->hystart;
        const struct tcp_cubic_params *p = &tcp_cfg(tp->sk->net)->cubic;
        if (seq_after(tp->snd_una, hs->end_seq))
                hystart_reset(tp);
        if (p->hystart_detect & HYSTART_ACK_TRAIN) {
                uint32_t now = cubic_clock_us(tp);
                if ((int32_t)(now - hs->last_ack) <= p->hystart_ack_delta_us) {
                        hs->last_ack = now;
                        /* half the least RTT: Strata does not pace
                         * (SK_PACING_NONE), so nothing stretched the train */
                        uint32_t threshold = (hs->delay_min + hystart_ack_delay(tp)) >> 1;
                        if ((int32_t)(now - hs->round_start) > (int32_t)threshold)
                                hystart_found(tp, true);
                }
        }
        if (p->hystart_detect & HYSTART_DELAY) {
                /* the round's least RTT, a new connection minimum included */
                if (hs->curr_rtt > delay)
                        hs->curr_rtt = delay;
                if (hs->sample_cnt < HYSTART_MIN_SAMPLES) {
                        hs->sample_cnt++;
                } else {
                        uint32_t thresh = hs->delay_min >> 3;
                        if (thresh < HYSTART_DELAY_MIN)
                                thresh = HYSTART_DELAY_MIN;
                        if (thresh > HYSTART_DELAY_MAX)
                                thresh = HYSTART_DELAY_MAX;
                        if (hs->curr_rtt > hs->delay_min + thresh)
                                hystart_found(tp, false);
                }
        }
}

/* cubictcp_acked: the least RTT, and HyStart while in slow start. */
static void cubic_pkts_acked(struct tcp_sock *tp, int64_t rtt_us)
{
        const struct tcp_cubic_params *p = &tcp_cfg(tp->sk->net)->cubic;
        if (rtt_us < 0 || !p->hystart || tp->hystart_found)
                return; /* delay_min serves HyStart alone */
        /* samples right after a recovery are not trusted */
        if (tp->cubic_epoch && net_now(tp->sk->net) - tp->cubic_epoch < NSEC_PER_SEC)
                return;
        if (!tp->hystart) {
                tp->hystart = calloc(1, sizeof(*tp->hystart));
                if (!tp->hystart)
                        return; /* no memory: slow start ends as without HyStart */
                hystart_reset(tp);
        }
        struct tcp_hystart *hs = tp->hystart;
        uint32_t delay = rtt_us > 0 ? (uint32_t)(rtt_us > 0xffffffff ? 0xffffffff : rtt_us) : 1;
        if (!hs->delay_min || hs->delay_min > delay)
                hs->delay_min = delay;
        if (tp->snd_cwnd < tp->snd_ssthresh && tp->snd_cwnd >= (uint32_t)p->hystart_low_window)
                hystart_update(tp, delay);
        if (tp->hystart_found)
                cubic_release(tp); /* nothing more to watch until an RTO */
}

static uint32_t cubic_ssthresh(struct tcp_sock *tp)
{
        /* fast convergence: a flow whose W_max shrinks releases more */
        double w = tp->snd_cwnd;
        if (tp->cubic_wmax && w < tp->cubic_wmax)
                tp->cubic_wmax = w * (1.0 + CUBIC_BETA) / 2.0;
        else
                tp->cubic_wmax = w;
        tp->cubic_epoch = 0;
        uint32_t s = (uint32_t)(w * CUBIC_BETA);
        return s > 2 ? s : 2;
}

static void cubic_cong_avoid(struct tcp_sock *tp, uint32_t acked)
{
        if (tp->snd_cwnd < tp->snd_ssthresh) {
                acked = tcp_slow_start(tp, acked);
                if (!acked)
                        return;
        }
        uint64_t now = net_now(tp->sk->net);
        if (!tp->cubic_epoch) {
                tp->cubic_epoch = now;
                if (tp->cubic_wmax < tp->snd_cwnd)
                        tp->cubic_wmax = tp->snd_cwnd;
                tp->cubic_west = tp->snd_cwnd;
        }
        double rtt = tp->srtt ? (double)tp->srtt / 1e9 : 0.1;
        double t = (double)(now - tp->cubic_epoch) / 1e9 + rtt;
        double k = cbrt(tp->cubic_wmax * (1.0 - CUBIC_BETA) / CUBIC_C);
        double target = CUBIC_C * pow(t - k, 3) + tp->cubic_wmax;
        /* the Reno-friendly estimate (RFC 9438 4.3) */
        tp->cubic_west += 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA) * acked / tp->snd_cwnd;
        if (tp->cubic_west > target)
                target = tp->cubic_west;
        uint32_t cnt;
        if (target > tp->snd_cwnd)
                cnt = (uint32_t)(tp->snd_cwnd / (target - tp->snd_cwnd));
        else
                cnt = 100 * tp->snd_cwnd; /* very slow growth near W_max */
        if (cnt < 2)
                cnt = 2;
        cong_avoid_ai(tp, cnt, acked);
}

static const struct tcp_cong_ops cubic = {
        .name = "cubic",
        .ssthresh = cubic_ssthresh,
        .cong_avoid = cubic_cong_avoid,
        .init = cubic_init,
        .pkts_acked = cubic_pkts_acked,
        .release = cubic_release,
};

int tcp_cong_sysctls_init(struct net *net, struct tcp_cubic_params *p)
{
        const struct {
                const char *name;
                int *v;
                int def, min, max;
        } t[] = {
                { "module.tcp_cubic.parameters.hystart", &p->hystart, 1, 0, 1 },
                { "module.tcp_cubic.parameters.hystart_detect", &p->hystart_detect,
                  HYSTART_ACK_TRAIN | HYSTART_DELAY, 0, HYSTART_ACK_TRAIN | HYSTART_DELAY },
                { "module.tcp_cubic.parameters.hystart_low_window", &p->hystart_low_window, 16,
                  0, 1 << 30 },
                { "module.tcp_cubic.parameters.hystart_ack_delta_us", &p->hystart_ack_delta_us,
                  2000, 0, 1 << 30 },
        };
        int err = 0;
        for (size_t i = 0; !err && i < sizeof(t) / sizeof(t[0]); i++) {
                *t[i].v = t[i].def;
                err = sysctl_register(net, t[i].name, t[i].v, 1, t[i].min, t[i].max,
                                      SYSCTL_UNIT_1, NULL);
        }
        return err;
}

const struct tcp_cong_ops *tcp_cong_find(const char *name)
{
        if (!strcmp(name, "reno"))
                return &reno;
        if (!strcmp(name, "cubic"))
                return &cubic;
        return NULL;
}

const char *tcp_cong_available(void)
{
        return "reno cubic";
}

/* tcp_slow_start_after_idle_check, as a new skb is queued: a sender idle
 * (nothing in flight) for longer than an RTO restarts from the initial
 * window, halving cwnd per RTO idle but never below it (RFC 2861,
 * tcp_cwnd_restart); ssthresh keeps three quarters of the old window. */
void tcp_slow_start_after_idle_check(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tcp_cfg(sk->net)->slow_start_after_idle || tp->snd_nxt != tp->snd_una ||
            sk->state != TCP_ESTABLISHED || !tp->lsndtime || !tp->rto)
                return;
        uint64_t now = net_now(sk->net);
        if (now <= tp->lsndtime || now - tp->lsndtime <= tp->rto)
                return;
        int64_t delta = (int64_t)(now - tp->lsndtime);
        uint32_t restart = TCP_INIT_CWND, cwnd = tp->snd_cwnd;
        if (tp->sb.ca_state < TCP_CA_CWR) { /* tcp_current_ssthresh */
                uint32_t keep = (cwnd >> 1) + (cwnd >> 2);
                if (tp->snd_ssthresh < keep)
                        tp->snd_ssthresh = keep;
        }
        while ((delta -= (int64_t)tp->rto) > 0 && cwnd > restart)
                cwnd >>= 1;
        tp->snd_cwnd = cwnd > restart ? cwnd : restart;
}
