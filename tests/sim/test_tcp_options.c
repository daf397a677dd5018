/*
 * TCP options from a peer that bends the rules, checked against what Linux
 * does, on the simulated clock with a probe device playing the peer
 * (10.0.0.1) and Strata listening on 10.0.0.2:80.
 *
 *  - An MSS option of 0 in the SYN is ignored (tcp_parse_options: "if
 *    (in_mss)"), so the connection sends 536-byte segments.
 *  - An MSS option of 1 is honoured but the send MSS never goes below
 *    net.ipv4.tcp_min_snd_mss (48).
 *  - A data segment whose options are malformed (an option running past
 *    the header) is still processed: Linux's tcp_parse_options just stops
 *    parsing; the data is delivered.
 *
 * And the socket options that change what the stack does on its own:
 *  - SO_KEEPALIVE with TCP_KEEPIDLE/KEEPINTVL/KEEPCNT: after the idle time
 *    a probe (seq snd_una - 1, no data); an answered probe starts the idle
 *    time again; KEEPCNT unanswered probes and the connection is reset
 *    with ETIMEDOUT.
 *  - TCP_USER_TIMEOUT: data unacknowledged for that long ends the
 *    connection with ETIMEDOUT long before tcp_retries2 would.
 *  - TCP_NOTSENT_LOWAT: a socket is writable only while less than that
 *    much data waits unsent.
 * And one timer rule: more data sent while some is unacknowledged leaves
 * the retransmission timer running from the oldest.
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

static void send_seg(struct w *w, uint8_t flags, uint32_t seq, uint32_t ack,
                     const struct tcp_options *o, const uint8_t *raw_opt, size_t raw_len,
                     const void *data, size_t dlen)
{
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
        if (o)
                th.opt = *o;
        peer_emit(w, &th, raw_opt, raw_len, data, dlen);
}

/* Listener, then the peer's handshake with the SYN's options o. */
static void setup(struct w *w, const struct tcp_options *o)
{
        memset(w, 0, sizeof(*w));
        peer_lab_up(w, "opt");
        send_seg(w, TCPF_SYN, w->peer_nxt, 0, o, NULL, 0, NULL, 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        w->peer_nxt++;
        w->stack_nxt = th.seq + 1;
        send_seg(w, TCPF_ACK, w->peer_nxt, w->stack_nxt, NULL, NULL, 0, NULL, 0);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
}

/* Send 2000 bytes; the first data segment's length must be want. */
static void first_data_segment_is(struct w *w, size_t want)
{
        static char data[2000];
        memset(data, 'd', sizeof(data));
        ssize_t n = strata_send(w->ns, w->s, data, sizeof(data), MSG_DONTWAIT);
        CHECK(n > 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen = 0;
        bool got = false;
        while (!got && take_seg(w, &th, &plen))
                got = plen > 0;
        if (!got)
                TEST_FAIL("no data segment sent within 1 ms (want %zu-byte segments)", want);
        CHECK_EQ(plen, want);
}

static void syn_mss_zero_is_ignored(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 0 };
        setup(&w, &o);
        int mss = 0;
        socklen_t ml = sizeof(mss);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
        CHECK_EQ(mss, 536);
        first_data_segment_is(&w, 536);
        teardown(&w);
}

static void syn_mss_one_is_clamped_to_min_snd_mss(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1 };
        setup(&w, &o);
        first_data_segment_is(&w, 48);
        teardown(&w);
}

static void data_with_malformed_options_is_delivered(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        setup(&w, &o);
        /* a timestamp option that claims 10 bytes with only 2 left: Linux's
         * tcp_parse_options stops ("don't parse partial options") and the
         * segment goes on */
        static const uint8_t bad[] = { 1, 1, 8, 10 };
        send_seg(&w, TCPF_ACK | TCPF_PSH, w.peer_nxt, w.stack_nxt, NULL, bad, sizeof(bad), "hello",
                 5);
        run(&w, MSEC);
        char buf[16];
        ssize_t n = strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT);
        uint64_t inerrs = 0;
        strata_counter(w.ns, "Tcp.InErrs", &inerrs);
        if (n != 5)
                TEST_FAIL("recv gave %zd (want the 5 bytes); Tcp.InErrs %llu", n,
                          (unsigned long long)inerrs);
        CHECK_MEM(buf, "hello", 5);
        teardown(&w);
}

static int getopt_int(struct w *w, int level, int name)
{
        int v = -1;
        socklen_t l = sizeof(v);
        CHECK_EQ(strata_getsockopt(w->ns, w->s, level, name, &v, &l), 0);
        return v;
}

static void setopt_int(struct w *w, int level, int name, int v)
{
        CHECK_EQ(strata_setsockopt(w->ns, w->s, level, name, &v, sizeof(v)), 0);
}

/* Run in 100 ms steps until the stack sends a segment or limit passes;
 * the time it took, or 0 for none. */
static uint64_t next_seg(struct w *w, uint64_t limit, struct tcp_repr *th, size_t *plen)
{
        for (uint64_t t = 0; t <= limit; t += 100 * MSEC) {
                if (take_seg(w, th, plen))
                        return t ? t : 1;
                run(w, 100 * MSEC);
        }
        return 0;
}

static void keepalive_probes_then_times_out(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        setup(&w, &o);
        /* the defaults are the sysctls' */
        CHECK_EQ(getopt_int(&w, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
        CHECK_EQ(getopt_int(&w, IPPROTO_TCP, TCP_KEEPINTVL), 75);
        CHECK_EQ(getopt_int(&w, IPPROTO_TCP, TCP_KEEPCNT), 9);
        int bad = 128;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, IPPROTO_TCP, TCP_KEEPCNT, &bad, sizeof(bad)),
                 -EINVAL);
        bad = 0;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, IPPROTO_TCP, TCP_KEEPIDLE, &bad, sizeof(bad)),
                 -EINVAL);
        setopt_int(&w, IPPROTO_TCP, TCP_KEEPIDLE, 10);
        setopt_int(&w, IPPROTO_TCP, TCP_KEEPINTVL, 2);
        setopt_int(&w, IPPROTO_TCP, TCP_KEEPCNT, 3);
        setopt_int(&w, SOL_SOCKET, SO_KEEPALIVE, 1);
        struct tcp_repr th;
        size_t plen = 9;
        /* idle 10 s, then the first probe */
        uint64_t t = next_seg(&w, 12 * SEC, &th, &plen);
        if (!t)
                TEST_FAIL("no keepalive probe within 12 s of idleness (TCP_KEEPIDLE 10)");
        CHECK(t >= 9 * SEC && t <= 10 * SEC + 200 * MSEC);
        CHECK_EQ(th.flags, TCPF_ACK);
        CHECK_EQ(th.seq, w.stack_nxt - 1);
        CHECK_EQ(plen, 0);
        /* the peer answers: idle again for 10 s */
        send_seg(&w, TCPF_ACK, w.peer_nxt, w.stack_nxt, NULL, NULL, 0, NULL, 0);
        t = next_seg(&w, 12 * SEC, &th, &plen);
        CHECK(t >= 9 * SEC);
        CHECK_EQ(th.seq, w.stack_nxt - 1);
        /* now the peer is gone: two more probes 2 s apart, then a reset */
        for (int i = 0; i < 2; i++) {
                t = next_seg(&w, 3 * SEC, &th, &plen);
                CHECK(t >= 1900 * MSEC && t <= 2200 * MSEC);
                CHECK_EQ(th.flags, TCPF_ACK);
        }
        t = next_seg(&w, 3 * SEC, &th, &plen);
        if (!t)
                TEST_FAIL("no reset after 3 unanswered keepalive probes");
        CHECK(th.flags & TCPF_RST);
        CHECK_EQ(getopt_int(&w, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
        teardown(&w);
}

static void keepalive_off_sends_nothing(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        setup(&w, &o);
        setopt_int(&w, IPPROTO_TCP, TCP_KEEPIDLE, 1);
        setopt_int(&w, SOL_SOCKET, SO_KEEPALIVE, 1);
        setopt_int(&w, SOL_SOCKET, SO_KEEPALIVE, 0);
        struct tcp_repr th;
        size_t plen;
        CHECK_EQ(next_seg(&w, 5 * SEC, &th, &plen), 0);
        teardown(&w);
}

static void user_timeout_ends_unacked_connection(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        setup(&w, &o);
        CHECK_EQ(getopt_int(&w, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
        int bad = -1;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, IPPROTO_TCP, TCP_USER_TIMEOUT, &bad, sizeof(bad)),
                 -EINVAL);
        setopt_int(&w, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
        CHECK_EQ(getopt_int(&w, IPPROTO_TCP, TCP_USER_TIMEOUT), 3000);
        CHECK_EQ(strata_send(w.ns, w.s, "x", 1, MSG_DONTWAIT), 1);
        /* the peer never acks: the error comes at the first retransmission
         * timeout past 3 s, not after tcp_retries2's ~15 minutes */
        uint64_t t;
        for (t = 0; t < 60 * SEC; t += 100 * MSEC) {
                probe_drain(&w.probe);
                if (getopt_int(&w, SOL_SOCKET, SO_ERROR) == ETIMEDOUT)
                        break;
                run(&w, 100 * MSEC);
        }
        if (t >= 60 * SEC)
                TEST_FAIL("still no ETIMEDOUT 60 s after unacked data with TCP_USER_TIMEOUT 3000");
        CHECK(t >= 3 * SEC && t <= 7 * SEC);
        teardown(&w);
}

static void notsent_lowat_limits_writability(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1000 };
        setup(&w, &o);
        setopt_int(&w, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 1500);
        CHECK_EQ(getopt_int(&w, IPPROTO_TCP, TCP_NOTSENT_LOWAT), 1500);
        static char data[8000];
        memset(data, 'n', sizeof(data));
        struct pollfd p = { .fd = w.s, .events = POLLOUT };
        CHECK_EQ(strata_poll(w.ns, &p, 1, 0), 1);
        /* the peer closes its window: what is written waits unsent */
        {
                uint8_t segb[64], frame[128];
                struct tcp_repr th = { .sport = 40000, .dport = 80, .seq = w.peer_nxt,
                                       .ack = w.stack_nxt, .flags = TCPF_ACK, .window = 0 };
                size_t hl = tcp_emit(&th, segb, sizeof(segb));
                put_be16(segb + 16, tcp_csum_ipv4(PEER, LOCAL, segb, hl));
                size_t n = probe_ipv4_frame(&w.probe, frame, PEER, LOCAL, IPPROTO_TCP_, 64, segb,
                                            hl);
                probe_inject(&w.probe, frame, n);
        }
        run(&w, MSEC);
        /* Linux's sendmsg starts a new skb only while less than the
         * low-water mark waits, and fills the last one up to size_goal (a
         * multiple of the MSS, at most half the largest window offered)
         * whatever waits: the write goes into one skb, and more than the
         * mark waits unsent, so poll says no room */
        ssize_t n = strata_send(w.ns, w.s, data, sizeof(data), MSG_DONTWAIT);
        CHECK_EQ(n, 8000);
        p.revents = 0;
        CHECK_EQ(strata_poll(w.ns, &p, 1, 0), 0);
        /* the window opens: the data goes, the socket is writable again */
        send_seg(&w, TCPF_ACK, w.peer_nxt, w.stack_nxt, NULL, NULL, 0, NULL, 0);
        run(&w, MSEC);
        p.revents = 0;
        CHECK_EQ(strata_poll(w.ns, &p, 1, 0), 1);
        CHECK(p.revents & POLLOUT);
        teardown(&w);
}

/* tcp_event_new_data_sent: sending more while data is unacknowledged does
 * not push the retransmission timer back -- the lost first segment goes
 * again one RTO after it was sent, not one RTO after the last send. */
static void rto_counts_from_the_oldest_unacked(void)
{
        struct w w;
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        setup(&w, &o);
        setopt_int(&w, IPPROTO_TCP, TCP_NODELAY, 1);
        struct tcp_repr th;
        size_t plen;
        CHECK_EQ(strata_send(w.ns, w.s, "a", 1, MSG_DONTWAIT), 1);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen) && plen == 1);
        uint32_t first = th.seq;
        run(&w, 100 * MSEC);
        CHECK_EQ(strata_send(w.ns, w.s, "b", 1, MSG_DONTWAIT), 1);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen) && plen == 1);
        /* the peer acknowledges nothing: the first retransmission */
        uint64_t t = next_seg(&w, 2 * SEC, &th, &plen);
        if (!t)
                TEST_FAIL("no retransmission within 2 s");
        CHECK_EQ(th.seq, first);
        uint64_t since_first = t + 101 * MSEC;
        if (since_first > 260 * MSEC)
                TEST_FAIL("retransmitted %llu ms after the first send (RTO ~201 ms): the "
                          "second send restarted the timer",
                          (unsigned long long)(since_first / MSEC));
        teardown(&w);
}

TEST_MAIN(T(syn_mss_zero_is_ignored), T(syn_mss_one_is_clamped_to_min_snd_mss),
          T(data_with_malformed_options_is_delivered), T(keepalive_probes_then_times_out),
          T(keepalive_off_sends_nothing), T(user_timeout_ends_unacked_connection),
          T(notsent_lowat_limits_writability), T(rto_counts_from_the_oldest_unacked))
