/*
 * The send path's Linux shapes (src/transport/tcp_tso.c, tcp_output.c):
 * a write becomes skbs of size_goal, sent as TSO packets of at most half
 * of cwnd, each packet of several segments with PSH on its last; Nagle with
 * Minshall's rule holds a partial segment only while a small one is
 * unacknowledged; the FIN rides on the last unsent segment; the pipe counts
 * segments (tcpi_unacked), whatever their size; the send buffer starts
 * sized for the initial window (tcp_sndbuf_expand).
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"

static void send_seg(struct w *w, uint8_t flags, uint32_t seq, uint32_t ack,
                     const struct tcp_options *o, const void *data, size_t dlen)
{
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
        if (o)
                th.opt = *o;
        peer_emit(w, &th, NULL, 0, data, dlen);
}

/* The handshake with an MSS of 1000 and no other option. */
static void setup(struct w *w)
{
        memset(w, 0, sizeof(*w));
        peer_lab_up(w, "tso");
        struct tcp_options o = { .mss_ok = true, .mss = 1000 };
        send_seg(w, TCPF_SYN, w->peer_nxt, 0, &o, NULL, 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        w->peer_nxt++;
        w->stack_nxt = th.seq + 1;
        send_seg(w, TCPF_ACK, w->peer_nxt, w->stack_nxt, NULL, NULL, 0);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
}

struct segs {
        unsigned n;
        uint32_t seq[64], len[64];
        uint8_t flags[64];
};

/* Every data or FIN segment sent within 1 ms, in order. */
static void collect(struct w *w, struct segs *s)
{
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        s->n = 0;
        while (take_seg(w, &th, &plen))
                if ((plen || (th.flags & TCPF_FIN)) && s->n < 64) {
                        s->seq[s->n] = th.seq - w->stack_nxt;
                        s->len[s->n] = (uint32_t)plen;
                        s->flags[s->n] = th.flags;
                        s->n++;
                }
}

static void ack_all(struct w *w, uint32_t upto)
{
        send_seg(w, TCPF_ACK, w->peer_nxt, w->stack_nxt + upto, NULL, NULL, 0);
}

static unsigned unacked(struct w *w)
{
        struct tcp_info ti;
        socklen_t tl = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w->ns, w->s, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
        return ti.tcpi_unacked;
}

/* cwnd 10: tcp_cwnd_test gives one packet at most half of it, so two
 * packets of five segments; each ends with PSH, nothing else has it. */
static void write_goes_as_half_cwnd_packets_with_psh(void)
{
        struct w w;
        setup(&w);
        static char data[10000];
        memset(data, 't', sizeof(data));
        CHECK_EQ(strata_send(w.ns, w.s, data, sizeof(data), MSG_DONTWAIT), 10000);
        struct segs s;
        collect(&w, &s);
        CHECK_EQ(s.n, 10);
        for (unsigned i = 0; i < s.n; i++) {
                CHECK_EQ(s.seq[i], i * 1000);
                CHECK_EQ(s.len[i], 1000);
                CHECK_EQ(!!(s.flags[i] & TCPF_PSH), i == 4 || i == 9);
        }
        CHECK_EQ(unacked(&w), 10);
        teardown(&w);
}

/* Nagle with Minshall's rule: 1500 bytes with nothing in flight go at
 * once (1000 + 500); 100 more wait while the 500-byte segment is
 * unacknowledged, and go when it is. */
static void nagle_waits_only_for_an_unacked_small_segment(void)
{
        struct w w;
        setup(&w);
        static char data[1500];
        memset(data, 'n', sizeof(data));
        CHECK_EQ(strata_send(w.ns, w.s, data, 1500, MSG_DONTWAIT), 1500);
        struct segs s;
        collect(&w, &s);
        CHECK_EQ(s.n, 2);
        CHECK_EQ(s.len[0], 1000);
        CHECK_EQ(s.len[1], 500);
        CHECK(s.flags[1] & TCPF_PSH);
        CHECK_EQ(strata_send(w.ns, w.s, data, 100, MSG_DONTWAIT), 100);
        collect(&w, &s);
        CHECK_EQ(s.n, 0); /* a small segment is in flight */
        ack_all(&w, 1000);
        collect(&w, &s);
        CHECK_EQ(s.n, 0); /* still: the 500 bytes are not acked */
        ack_all(&w, 1500);
        collect(&w, &s);
        CHECK_EQ(s.n, 1);
        CHECK_EQ(s.seq[0], 1500);
        CHECK_EQ(s.len[0], 100);
        teardown(&w);
}

/* tcp_send_fin: data held back (TCP_CORK) leaves with the FIN on it, one
 * segment, not data then a bare FIN. */
static void fin_rides_on_the_last_unsent_segment(void)
{
        struct w w;
        setup(&w);
        int one = 1;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)), 0);
        static char data[300];
        memset(data, 'f', sizeof(data));
        CHECK_EQ(strata_send(w.ns, w.s, data, sizeof(data), MSG_DONTWAIT), 300);
        struct segs s;
        collect(&w, &s);
        CHECK_EQ(s.n, 0); /* corked */
        CHECK_EQ(strata_shutdown(w.ns, w.s, SHUT_WR), 0);
        collect(&w, &s);
        CHECK_EQ(s.n, 1);
        CHECK_EQ(s.len[0], 300);
        CHECK(s.flags[0] & TCPF_FIN);
        CHECK(s.flags[0] & TCPF_PSH);
        CHECK_EQ(unacked(&w), 1);
        teardown(&w);
}

/* The pipe counts segments: ten 100-byte writes with TCP_NODELAY are ten
 * packets in flight, not one MSS worth of bytes. */
static void unacked_counts_segments_not_bytes(void)
{
        struct w w;
        setup(&w);
        int one = 1;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
        static char data[100];
        memset(data, 'u', sizeof(data));
        for (int i = 0; i < 10; i++)
                CHECK_EQ(strata_send(w.ns, w.s, data, sizeof(data), MSG_DONTWAIT), 100);
        struct segs s;
        collect(&w, &s);
        CHECK_EQ(s.n, 10);
        CHECK_EQ(unacked(&w), 10);
        ack_all(&w, 450); /* four segments and half of the fifth */
        run(&w, MSEC);
        CHECK_EQ(unacked(&w), 6);
        teardown(&w);
}

/* tcp_sndbuf_expand at establishment: room for twice the initial window
 * of non-GSO frames, each a power-of-two head plus the sk_buff --
 * 2 * 10 * (2048 + 256) at MSS 1000 -- over tcp_wmem[1]'s 16 KB. */
static void send_buffer_starts_at_twice_the_initial_window(void)
{
        struct w w;
        setup(&w);
        int v = 0;
        socklen_t vl = sizeof(v);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, SOL_SOCKET, SO_SNDBUF, &v, &vl), 0);
        CHECK_EQ(v, 2 * 10 * (2048 + 256));
        teardown(&w);
}

TEST_MAIN(T(write_goes_as_half_cwnd_packets_with_psh),
          T(send_buffer_starts_at_twice_the_initial_window),
          T(nagle_waits_only_for_an_unacked_small_segment), T(fin_rides_on_the_last_unsent_segment),
          T(unacked_counts_segments_not_bytes))
