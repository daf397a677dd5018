/*
 * PAWS (RFC 7323 section 5) on an established connection, checked against
 * Linux's tcp_validate_incoming / tcp_paws_discard, on the simulated clock
 * with a probe device playing the peer (10.0.0.1) and Strata listening on
 * 10.0.0.2:80.
 *
 *  - A data segment whose timestamp is older than ts_recent is dropped
 *    (TCP_RFC7323_PAWS), counted in TcpExt.PAWSEstab and answered by an
 *    immediate duplicate ACK; the same data with a fresh timestamp is then
 *    delivered.
 *  - A "disordered ACK" (pure duplicate ACK, same window, timestamp within
 *    an RTO of ts_recent) passes, and does not move ts_recent back.
 *  - A RST failing PAWS is still processed (Linux ignores PAWS for RST).
 *  - A ts_recent older than 24 days no longer rejects anything.
 *  - Without negotiated timestamps there is no PAWS at all.
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

/* A segment from the peer; with a timestamp tsval when w->ts. */
static void send_seg(struct w *w, uint8_t flags, uint32_t seq, uint32_t tsval, const void *data,
                     size_t dlen)
{
        struct tcp_repr th = { .sport = 40000, .dport = 80, .seq = seq, .ack = w->stack_nxt,
                               .flags = flags, .window = 65535 };
        if (flags & TCPF_SYN)
                th.opt = (struct tcp_options){ .mss_ok = true, .mss = 1460 };
        if (w->ts) {
                th.opt.ts_ok = true;
                th.opt.tsval = tsval;
        }
        peer_emit(w, &th, NULL, 0, data, dlen);
}

static uint64_t ctr(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

/* Listener and the peer's handshake, with timestamps if ts. */
static void setup(struct w *w, bool ts)
{
        memset(w, 0, sizeof(*w));
        w->ts = ts;
        w->now = 5000;
        peer_lab_up(w, "paws");
        send_seg(w, TCPF_SYN, w->peer_nxt, w->now++, NULL, 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        CHECK_EQ(th.opt.ts_ok, ts);
        w->peer_nxt++;
        w->stack_nxt = th.seq + 1;
        send_seg(w, TCPF_ACK, w->peer_nxt, w->now++, NULL, 0);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
}

/* The peer sends data at seq peer_nxt with tsval; how many bytes recv
 * gets (or -EAGAIN).  The peer's next seq advances if they were taken. */
static ssize_t data_with_ts(struct w *w, uint32_t tsval, const char *data)
{
        size_t len = strlen(data);
        send_seg(w, TCPF_ACK | TCPF_PSH, w->peer_nxt, tsval, data, len);
        run(w, MSEC);
        char buf[64];
        ssize_t n = strata_recv(w->ns, w->s, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == (ssize_t)len) {
                CHECK_MEM(buf, data, len);
                w->peer_nxt += (uint32_t)len;
        }
        return n;
}

static void old_timestamp_data_dropped_fresh_delivered(void)
{
        struct w w;
        setup(&w, true);
        CHECK_EQ(data_with_ts(&w, w.now++, "first"), 5);
        probe_drain(&w.probe);
        /* 100 ticks older than ts_recent: an old duplicate by PAWS */
        ssize_t n = data_with_ts(&w, w.now - 100, "stale");
        if (n != -EAGAIN)
                TEST_FAIL("old-timestamp data delivered (recv %zd); TcpExt.PAWSEstab %llu", n,
                          (unsigned long long)ctr(&w, "TcpExt.PAWSEstab"));
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 1);
        CHECK_EQ(ctr(&w, "TCP_RFC7323_PAWS"), 1);
        /* an immediate duplicate ACK, echoing the newer ts_recent */
        struct tcp_repr th;
        size_t plen;
        if (!take_seg(&w, &th, &plen))
                TEST_FAIL("no duplicate ACK for a segment failing PAWS");
        CHECK_EQ(th.flags, TCPF_ACK);
        CHECK_EQ(th.ack, w.peer_nxt);
        CHECK_EQ(plen, 0);
        CHECK_EQ(th.opt.tsecr, w.now - 1);
        /* the same bytes with a fresh timestamp go through */
        CHECK_EQ(data_with_ts(&w, w.now++, "stale"), 5);
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 1);
        teardown(&w);
}

static void disordered_ack_passes(void)
{
        struct w w;
        setup(&w, true);
        uint32_t newest = w.now - 1;
        probe_drain(&w.probe);
        /* a pure duplicate ACK, window unchanged, 5 ticks old: reordered,
         * not replayed (tcp_disordered_ack) */
        send_seg(&w, TCPF_ACK, w.peer_nxt, newest - 5, NULL, 0);
        run(&w, MSEC);
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 0);
        struct tcp_repr th;
        size_t plen;
        CHECK(!take_seg(&w, &th, &plen)); /* no ACK answers it */
        /* ts_recent did not go back: the next segment echoes the newest */
        CHECK_EQ(strata_send(w.ns, w.s, "x", 1, MSG_DONTWAIT), 1);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(plen, 1);
        CHECK_EQ(th.opt.tsecr, newest);
        w.stack_nxt++;
        send_seg(&w, TCPF_ACK, w.peer_nxt, w.now++, NULL, 0);
        run(&w, MSEC);
        /* the same ACK from far back in time (beyond an RTO) is rejected */
        send_seg(&w, TCPF_ACK, w.peer_nxt, newest - 100000, NULL, 0);
        run(&w, MSEC);
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 1);
        teardown(&w);
}

static void rst_failing_paws_is_processed(void)
{
        struct w w;
        setup(&w, true);
        send_seg(&w, TCPF_RST | TCPF_ACK, w.peer_nxt, w.now - 1000, NULL, 0);
        run(&w, MSEC);
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 0);
        int err = 0;
        socklen_t el = sizeof(err);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, SOL_SOCKET, SO_ERROR, &err, &el), 0);
        CHECK_EQ(err, ECONNRESET);
        teardown(&w);
}

static void ts_recent_older_than_24_days_is_ignored(void)
{
        struct w w;
        setup(&w, true);
        run(&w, 25ull * 24 * 3600 * SEC);
        probe_drain(&w.probe);
        CHECK_EQ(data_with_ts(&w, w.now - 1000, "later"), 5);
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 0);
        teardown(&w);
}

static void no_timestamps_no_paws(void)
{
        struct w w;
        setup(&w, false);
        /* timestamps the peer did not negotiate count for nothing */
        w.ts = true;
        CHECK_EQ(data_with_ts(&w, 9000, "first"), 5);
        CHECK_EQ(data_with_ts(&w, 10, "older"), 5);
        CHECK_EQ(ctr(&w, "TcpExt.PAWSEstab"), 0);
        teardown(&w);
}

TEST_MAIN(T(old_timestamp_data_dropped_fresh_delivered), T(disordered_ack_passes),
          T(rst_failing_paws_is_processed), T(ts_recent_older_than_24_days_is_ignored),
          T(no_timestamps_no_paws))
