/*
 * TCP reads its starting values from the route's metrics, as Linux does
 * (tcp_openreq_init_rwin / tcp_connect_init / tcp_init_transfer), on the
 * simulated clock with a probe device playing the peer (10.0.0.1) and
 * Strata on 10.0.0.2:
 *  - advmss: the MSS option of the SYN-ACK and of the SYN;
 *  - initrwnd: the first window offered is that many segments of advmss
 *    (without it, ten);
 *  - initcwnd: that many segments leave before the first ACK (without it,
 *    ten).
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

static void send_seg(struct w *w, uint8_t flags, uint32_t seq, uint32_t ack,
                     const struct tcp_options *o)
{
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
        if (o)
                th.opt = *o;
        peer_emit(w, &th, NULL, 0, NULL, 0);
}

/* Data segments the stack sends before any ACK, after a large write. */
static int segments_in_first_flight(struct w *w)
{
        static char data[100000];
        memset(data, 'd', sizeof(data));
        CHECK(strata_send(w->ns, w->s, data, sizeof(data), MSG_DONTWAIT) > 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        int n = 0;
        while (take_seg(w, &th, &plen))
                n += plen > 0;
        return n;
}

static uint32_t snd_cwnd(struct w *w)
{
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w->ns, w->s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        return ti.tcpi_snd_cwnd;
}

/* The handshake from the peer (MSS 1460, no window scaling): the SYN-ACK. */
static struct tcp_repr passive_open(struct w *w)
{
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        send_seg(w, TCPF_SYN, w->peer_nxt, 0, &o);
        run(w, MSEC);
        struct tcp_repr synack;
        size_t plen;
        CHECK(take_seg(w, &synack, &plen));
        CHECK_EQ(synack.flags, TCPF_SYN | TCPF_ACK);
        w->peer_nxt++;
        w->stack_nxt = synack.seq + 1;
        send_seg(w, TCPF_ACK, w->peer_nxt, w->stack_nxt, NULL);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
        return synack;
}

static void passive_open_takes_advmss_initrwnd_initcwnd(void)
{
        struct w w;
        memset(&w, 0, sizeof(w));
        peer_lab_up(&w, "rmx");
        CHECK_EQ(strata_ip_route(w.ns, "add 10.0.0.1 dev probe0 advmss 600 initrwnd 4 initcwnd 3"),
                 0);
        struct tcp_repr synack = passive_open(&w);
        CHECK(synack.opt.mss_ok);
        CHECK_EQ(synack.opt.mss, 600);
        CHECK_EQ(synack.window, 4 * 600);
        CHECK_EQ(snd_cwnd(&w), 3);
        CHECK_EQ(segments_in_first_flight(&w), 3);
        teardown(&w);
}

static void without_metrics_the_defaults(void)
{
        struct w w;
        memset(&w, 0, sizeof(w));
        peer_lab_up(&w, "rmx");
        struct tcp_repr synack = passive_open(&w);
        CHECK_EQ(synack.opt.mss, 1460);
        CHECK_EQ(synack.window, 10 * 1460);
        CHECK_EQ(snd_cwnd(&w), 10);
        teardown(&w);
}

static void active_open_syn_carries_advmss_and_initrwnd(void)
{
        struct w w;
        memset(&w, 0, sizeof(w));
        peer_lab_up(&w, "rmx");
        CHECK_EQ(strata_ip_route(w.ns, "add 10.0.0.1 dev probe0 advmss 700 initrwnd 2"), 0);
        w.s = strata_socket(w.ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = { .sin_family = AF_INET,
                                  .sin_port = htons(9),
                                  .sin_addr.s_addr = htonl(PEER) };
        CHECK_EQ(strata_connect(w.ns, w.s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        run(&w, MSEC);
        struct tcp_repr syn;
        size_t plen;
        CHECK(take_seg(&w, &syn, &plen));
        CHECK_EQ(syn.flags, TCPF_SYN);
        CHECK_EQ(syn.opt.mss, 700);
        CHECK_EQ(syn.window, 2 * 700);
        teardown(&w);
}

TEST_MAIN(T(passive_open_takes_advmss_initrwnd_initcwnd), T(without_metrics_the_defaults),
          T(active_open_syn_carries_advmss_and_initrwnd))
