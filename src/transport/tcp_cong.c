/*
 * Congestion control algorithms: reno and cubic.
 *
 * CUBIC (RFC 9438): after a loss at window W_max the window follows
 * W(t) = C (t - K)^3 + W_max with C = 0.4 and K = cbrt(W_max (1 - beta) / C),
 * beta = 0.7, t the time since the loss; below the window a Reno flow would
 * have (the "TCP-friendly" estimate) it grows as Reno.  Linux's HyStart
 * (leaving slow start early on delay increase) is not built.
 */
#include <math.h>
#include <string.h>

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

static void cubic_init(struct tcp_sock *tp)
{
        tp->cubic_wmax = 0;
        tp->cubic_epoch = 0;
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
                tp->cubic_k = cbrt(tp->cubic_wmax * (1.0 - CUBIC_BETA) / CUBIC_C);
                tp->cubic_west = tp->snd_cwnd;
        }
        double rtt = tp->srtt ? (double)tp->srtt / 1e9 : 0.1;
        double t = (double)(now - tp->cubic_epoch) / 1e9 + rtt;
        double target = CUBIC_C * pow(t - tp->cubic_k, 3) + tp->cubic_wmax;
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
};

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
