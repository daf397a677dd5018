/*
 * What held a sender back, and for how long (Linux's tcp_chrono_*, shown as
 * tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited): one clock
 * runs at a time, the most specific reason winning -- busy (data to send or
 * in flight), limited by the peer's receive window, limited by our send
 * buffer (the application wrote all it could, the buffer is full, and
 * everything queued has been sent).
 */
#include "transport/tcp.h"

/* The clocks count in ms, as Linux's count jiffies (HZ=1000). */
static void tcp_chrono_set(struct tcp_sock *tp, enum tcp_chrono type)
{
        uint32_t now = tcp_time_ms(tp->sk->net);
        if (tp->chrono_type > TCP_CHRONO_UNSPEC)
                tp->chrono_stat[tp->chrono_type - 1] += now - tp->chrono_start;
        tp->chrono_start = now;
        tp->chrono_type = (uint8_t)type & 3;
}

void tcp_chrono_start(struct sock *sk, enum tcp_chrono type)
{
        struct tcp_sock *tp = tcp_sk(sk);
        /* a more specific reason takes over; a lesser one waits */
        if (type > tp->chrono_type)
                tcp_chrono_set(tp, type);
}

void tcp_chrono_stop(struct sock *sk, enum tcp_chrono type)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (tp->chrono_type == TCP_CHRONO_UNSPEC)
                return; /* nothing running: the per-push call costs no clock read */
        /* nothing queued at all: the sender is idle, whatever stopped;
         * else the reason that ended falls back to plain busy */
        if (!tp->write_queue.first)
                tcp_chrono_set(tp, TCP_CHRONO_UNSPEC);
        else if (type == tp->chrono_type)
                tcp_chrono_set(tp, TCP_CHRONO_BUSY);
}

/* tcp_get_info_chrono_stats: the running clock counts up to now. */
uint64_t tcp_chrono_ns(const struct tcp_sock *tp, enum tcp_chrono type)
{
        uint32_t v = tp->chrono_stat[type - 1];
        if (type == tp->chrono_type)
                v += tcp_time_ms(tp->sk->net) - tp->chrono_start;
        return (uint64_t)v * NSEC_PER_MSEC;
}

/* tcp_sndbuf_expand: room for twice cwnd (at least the initial window)
 * of segments, each costing what a non-GSO MSS frame would -- the kernel's
 * power-of-two head plus the sk_buff -- up to tcp_wmem[2]; never when the
 * user set SO_SNDBUF. */
void tcp_sndbuf_expand(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (sk->userlocks & SOCK_SNDBUF_LOCK)
                return;
        uint32_t per_mss = (uint32_t)tp->mss + 320u /* MAX_TCP_HEADER */ + 320u /* shinfo */;
        uint32_t p2 = 1;
        while (p2 < per_mss)
                p2 <<= 1;
        per_mss = p2 + 256u; /* SKB_DATA_ALIGN(sizeof(struct sk_buff)) */
        uint32_t segs = tp->snd_cwnd > TCP_INIT_CWND ? tp->snd_cwnd : TCP_INIT_CWND;
        if (segs < tp->sb.reordering + 1)
                segs = tp->sb.reordering + 1;
        uint64_t sndmem = 2ull * segs * per_mss;
        uint64_t max = (uint64_t)tcp_cfg(sk->net)->wmem[2];
        if ((uint64_t)sk->sndbuf < sndmem)
                sk->sndbuf = (int)(sndmem < max ? sndmem : max);
}

/* tcp_check_space, after what an ACK freed was refilled: a writer that
 * found the buffer full may see it grow (tcp_new_space, while cwnd is not
 * the limit), then write again once a third of it is free
 * (sk_stream_write_space). */
void tcp_check_space(struct sock *sk)
{
        struct tcp_sock *tp = tcp_sk(sk);
        if (!tp->nospace)
                return;
        if (tcp_packets_in_flight(tp) < tp->snd_cwnd) /* tcp_should_expand_sndbuf */
                tcp_sndbuf_expand(sk);
        /* __sk_stream_is_writeable(sk, wake=1): a third of the buffer
         * free, and what waits unsent under half the low-water mark */
        int free_space = sk->sndbuf - (int)tp->wmem_queued;
        unsigned lowat = tp->notsent_lowat ? tp->notsent_lowat : tcp_cfg(sk->net)->notsent_lowat;
        uint64_t notsent = (uint64_t)(tp->write_seq - tp->snd_nxt) << 1;
        if (free_space >= (int)(tp->wmem_queued >> 1) && notsent < lowat) {
                tp->nospace = false;
                tcp_chrono_stop(sk, TCP_CHRONO_SNDBUF_LIMITED);
                sock_wake(sk); /* sk_stream_write_space */
        }
}
