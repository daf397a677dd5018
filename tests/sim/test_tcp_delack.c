/*
 * The receiver's ACKs and window, as Linux's tcp_input.c/tcp_output.c
 * decide them, on the simulated clock with a probe device playing the peer
 * (10.0.0.1, MSS 1460, no timestamps) and Strata listening on 10.0.0.2:80.
 *
 *  - Quick-ack mode: the first data segments of a connection are each
 *    acknowledged at once; after that an ACK goes for every second
 *    full-sized segment, and a lone segment waits for the delayed-ACK
 *    timer (40 ms), counted in TcpExt.TCPDelayedACKs.
 *  - rcv_mss is measured from what the peer sends (tcpi_rcv_mss).
 *  - Ping-pong: when the application answers within the delayed-ACK
 *    timeout, the next request's ACK waits and rides on the reply.
 *  - The window offered starts at ten segments and grows (rcv_ssthresh)
 *    as full segments arrive, to the buffer's share less a segment.
 *  - Old data is answered by an immediate ACK and counted in
 *    TcpExt.DelayedACKLost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

static void send_seg(struct w *w, uint8_t flags, uint32_t seq, const void *data, size_t dlen)
{
        struct tcp_repr th = { .sport = 40000, .dport = 80, .seq = seq, .ack = w->stack_nxt,
                               .flags = flags, .window = 65535 };
        if (flags & TCPF_SYN)
                th.opt = (struct tcp_options){ .mss_ok = true, .mss = 1460 };
        peer_emit(w, &th, NULL, 0, data, dlen);
}

static uint64_t ctr(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

static struct tcp_info info(struct w *w)
{
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        memset(&ti, 0, sizeof(ti));
        CHECK_EQ(strata_getsockopt(w->ns, w->s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        return ti;
}

/* The handshake; returns the SYN-ACK's window. */
static uint32_t setup(struct w *w, const char *name)
{
        memset(w, 0, sizeof(*w));
        peer_lab_up(w, name);
        send_seg(w, TCPF_SYN, w->peer_nxt, NULL, 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        w->peer_nxt++;
        w->stack_nxt = th.seq + 1;
        send_seg(w, TCPF_ACK, w->peer_nxt, NULL, 0);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
        return th.window;
}

/* The peer sends len bytes; the ACKs the stack sends within wait ns
 * (their count; *last gets the last one). */
static int data_acks(struct w *w, size_t len, uint64_t wait, struct tcp_repr *last)
{
        static const char pay[1460];
        send_seg(w, TCPF_ACK, w->peer_nxt, pay, len);
        w->peer_nxt += (uint32_t)len;
        run(w, wait);
        int n = 0;
        struct tcp_repr th;
        size_t plen;
        while (take_seg(w, &th, &plen)) {
                if (th.flags == TCPF_ACK && !plen) {
                        n++;
                        if (last)
                                *last = th;
                }
        }
        return n;
}

static void drain_reader(struct w *w)
{
        char buf[4096];
        while (strata_recv(w->ns, w->s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
}

static void quickack_then_every_second_segment(void)
{
        struct w w;
        setup(&w, "delack1");
        /* the first segments: each acknowledged at once */
        struct tcp_repr a;
        for (int i = 0; i < 3; i++) {
                if (data_acks(&w, 1000, 100000, &a) != 1)
                        TEST_FAIL("quick-ack mode: data segment %d not acked at once", i);
                CHECK_EQ(a.ack, w.peer_nxt);
        }
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_rcv_mss, 1000); /* measured, not our advmss */
        /* quick-ack mode lasts while the window still grows (each growth
         * re-arms it, tcp_grow_window) and ends once it stops: keep
         * sending until a segment is not acked at once */
        int i, quick = 3;
        for (i = 0; i < 60; i++) {
                int n = data_acks(&w, 1000, 100000, NULL);
                drain_reader(&w); /* an application that keeps up */
                if (n == 0)
                        break;
                quick++;
        }
        if (i == 60)
                TEST_FAIL("still acking every segment at once after %d segments", quick);
        /* that lone segment is acked by the delayed-ACK timer, 40 ms on */
        uint64_t delacks = ctr(&w, "TcpExt.TCPDelayedACKs");
        run(&w, 30 * MSEC);
        struct tcp_repr th;
        size_t plen;
        if (take_seg(&w, &th, &plen))
                TEST_FAIL("delayed ACK sent before 30 ms");
        run(&w, 15 * MSEC);
        if (!take_seg(&w, &th, &plen))
                TEST_FAIL("no delayed ACK within 45 ms");
        CHECK_EQ(th.ack, w.peer_nxt);
        CHECK_EQ(ctr(&w, "TcpExt.TCPDelayedACKs"), delacks + 1);
        /* two segments in a row, read as they come: the second is acked
         * at once (more than rcv_mss unacknowledged, and the window's right
         * edge moves) */
        CHECK_EQ(data_acks(&w, 1000, 100000, NULL), 0);
        drain_reader(&w);
        CHECK_EQ(data_acks(&w, 1000, 100000, &a), 1);
        CHECK_EQ(a.ack, w.peer_nxt);
        drain_reader(&w);
        teardown(&w);
}

static void pingpong_ack_rides_on_reply(void)
{
        struct w w;
        setup(&w, "delack2");
        /* a few request/response rounds: the reply follows the request
         * within the delayed-ACK timeout */
        int piggybacked = 0;
        for (int round = 0; round < 6; round++) {
                static const char req[100];
                send_seg(&w, TCPF_ACK | TCPF_PSH, w.peer_nxt, req, sizeof(req));
                w.peer_nxt += sizeof(req);
                run(&w, MSEC / 10);
                int pure_acks = 0;
                struct tcp_repr th;
                size_t plen;
                while (take_seg(&w, &th, &plen))
                        pure_acks += !plen;
                char buf[200];
                CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 100);
                CHECK_EQ(strata_send(w.ns, w.s, "reply", 5, 0), 5);
                run(&w, MSEC / 10);
                bool reply = false;
                while (take_seg(&w, &th, &plen)) {
                        if (plen == 5) {
                                reply = true;
                                CHECK_EQ(th.ack, w.peer_nxt);
                                w.stack_nxt += 5;
                        }
                }
                CHECK(reply);
                if (round >= 2 && !pure_acks)
                        piggybacked++;
                /* the peer acks the reply a little later */
                run(&w, 5 * MSEC);
                send_seg(&w, TCPF_ACK, w.peer_nxt, NULL, 0);
                run(&w, MSEC);
                probe_drain(&w.probe);
        }
        if (piggybacked < 3)
                TEST_FAIL("interactive connection: only %d of 4 requests had their ACK ride on "
                          "the reply",
                          piggybacked);
        teardown(&w);
}

static void window_grows_from_ten_segments(void)
{
        struct w w;
        uint32_t syn_win = setup(&w, "delack3");
        CHECK_EQ(syn_win, 14600); /* tcp_select_initial_window: 10 x 1460 */
        struct tcp_info ti = info(&w);
        CHECK_EQ(ti.tcpi_rcv_ssthresh, 14600);
        uint32_t prev = ti.tcpi_rcv_ssthresh;
        for (int i = 0; i < 20; i++) {
                data_acks(&w, 1460, MSEC, NULL);
                drain_reader(&w);
        }
        run(&w, 100 * MSEC);
        probe_drain(&w.probe);
        ti = info(&w);
        if (ti.tcpi_rcv_ssthresh <= prev)
                TEST_FAIL("rcv_ssthresh did not grow: %u", ti.tcpi_rcv_ssthresh);
        /* at most the buffer's share for data less one segment */
        int rcvbuf = 0;
        socklen_t len = sizeof(rcvbuf);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len), 0);
        CHECK(ti.tcpi_rcv_ssthresh <= (uint32_t)rcvbuf / 2);
        /* the offer on the wire follows: an ACK now carries more than ten
         * segments' worth (the reader kept up, so autotuning has raised
         * the clamp too: the window still grows, each growth acked at
         * once as tcp_grow_window asks) */
        struct tcp_repr a;
        CHECK(data_acks(&w, 1460, MSEC, &a) + data_acks(&w, 1460, MSEC, &a) >= 1);
        uint32_t offered = (uint32_t)a.window << ti.tcpi_rcv_wscale;
        if (offered <= 14600)
                TEST_FAIL("window still %u after 22 full segments", offered);
        drain_reader(&w);
        teardown(&w);
}

static void old_data_acked_at_once(void)
{
        struct w w;
        setup(&w, "delack4");
        for (int i = 0; i < 20; i++)
                data_acks(&w, 1000, MSEC, NULL);
        run(&w, 100 * MSEC);
        probe_drain(&w.probe);
        /* the peer did not hear our ACK and sends the last segment again */
        static const char pay[1000];
        send_seg(&w, TCPF_ACK, w.peer_nxt - 1000, pay, sizeof(pay));
        run(&w, 100000);
        struct tcp_repr th;
        size_t plen;
        if (!take_seg(&w, &th, &plen))
                TEST_FAIL("no immediate ACK for a duplicate segment");
        CHECK_EQ(th.ack, w.peer_nxt);
        CHECK_EQ(ctr(&w, "TcpExt.DelayedACKLost"), 1);
        /* and quick-ack mode again: the next segment is acked at once */
        CHECK_EQ(data_acks(&w, 1000, 100000, NULL), 1);
        drain_reader(&w);
        teardown(&w);
}

TEST_MAIN(T(quickack_then_every_second_segment), T(pingpong_ack_rides_on_reply),
          T(window_grows_from_ten_segments), T(old_data_acked_at_once))
