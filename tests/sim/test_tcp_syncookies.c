/*
 * SYN cookies against Linux's behaviour, on the simulated clock with a
 * probe device playing the peers (10.0.0.1, any port) and Strata listening
 * on 10.0.0.2:80 with backlog 4.
 *
 *  - A SYN flood bigger than the SYN queue: the first five SYNs get a
 *    request each (the queue is full past the backlog), every later one a
 *    cookie (TcpExt.TCPReqQFullDoCookies, SyncookiesSent) and nothing is
 *    dropped; a real client arriving during the flood gets a cookie whose
 *    timestamp carries its window scale and SACK, and its ACK makes a
 *    working connection (SyncookiesRecv) with those options and the MSS
 *    from Linux's table.
 *  - An ACK with a wrong cookie is reset (SyncookiesFailed); one more than
 *    two minutes after the last overflow is reset uncounted.
 *  - Without timestamps the cookie SYN-ACK offers the MSS alone.
 *  - tcp_syncookies=0: the flood is dropped (TCPReqQFullDrop and
 *    ListenDrops, not ListenOverflows); =2: cookies for every SYN.
 *  - A cookie ACK finding the accept queue full is dropped without a reset
 *    (ListenOverflows, ListenDrops); a request's ACK finding it full is
 *    reset with tcp_abort_on_overflow=1 (EmbryonicRsts).
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

static uint64_t ctr(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

static void seg(struct w *w, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
                const struct tcp_options *o, const void *data, size_t dlen)
{
        struct tcp_repr th = {
                .sport = sport, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 1000
        };
        if (o)
                th.opt = *o;
        peer_emit(w, &th, NULL, 0, data, dlen);
}

/* What a Linux client's SYN offers (timestamps optional). */
static struct tcp_options syn_opts(bool ts, uint32_t tsval)
{
        struct tcp_options o = { .mss_ok = true, .mss = 1460, .ws_ok = true, .ws = 7,
                                 .sack_ok = true };
        o.ts_ok = ts;
        o.tsval = tsval;
        return o;
}

/* The stack's next segment to port (others are skipped); false if none. */
static bool take_to(struct w *w, uint16_t port, struct tcp_repr *th, size_t *plen)
{
        for (int tries = 0; tries < 2; tries++) {
                while (take_seg(w, th, plen))
                        if (th->dport == port)
                                return true;
                run(w, MSEC); /* an ARP answer may have let it go */
        }
        return false;
}

static void up(struct w *w, const char *cookies)
{
        memset(w, 0, sizeof(*w));
        w->s = -1;
        peer_lab_up(w, "cookie");
        run(w, 10 * SEC); /* a clock well past 0: cookie timestamps are never ahead of it */
        CHECK_EQ(strata_sysctl_set(w->ns, "net.ipv4.tcp_syncookies", cookies), 0);
}

/* n SYNs from ports 2000.. that will never be acknowledged. */
static void flood(struct w *w, int n, bool ts)
{
        for (int i = 0; i < n; i++) {
                struct tcp_options o = syn_opts(ts, 5000);
                seg(w, (uint16_t)(2000 + i), TCPF_SYN, 77777u * (uint32_t)i, 0, &o, NULL, 0);
        }
        run(w, MSEC);
        probe_drain(&w->probe);
}

/* A client on port: SYN, the cookie SYN-ACK into *sa. */
static void client_syn(struct w *w, uint16_t port, bool ts, struct tcp_repr *sa)
{
        struct tcp_options o = syn_opts(ts, 1000);
        seg(w, port, TCPF_SYN, 5000, 0, &o, NULL, 0);
        run(w, MSEC);
        size_t plen;
        CHECK(take_to(w, port, sa, &plen));
        CHECK_EQ(sa->flags, TCPF_SYN | TCPF_ACK);
        CHECK_EQ(sa->ack, 5001);
}

/* Its ACK of the SYN-ACK sa (echoing the cookie timestamp). */
static void client_ack(struct w *w, uint16_t port, const struct tcp_repr *sa, uint32_t ack)
{
        struct tcp_options o = { .ts_ok = sa->opt.ts_ok, .tsval = 1001, .tsecr = sa->opt.tsval };
        seg(w, port, TCPF_ACK, 5001, ack, &o, NULL, 0);
        run(w, MSEC);
}

static void flood_then_cookies_let_clients_in(void)
{
        struct w w;
        up(&w, "1");
        flood(&w, 20, true);
        /* backlog 4: requests while the SYN queue holds no more than 4,
         * cookies from the sixth SYN on */
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesSent"), 15);
        CHECK_EQ(ctr(&w, "TcpExt.TCPReqQFullDoCookies"), 15);
        CHECK_EQ(ctr(&w, "TcpExt.ListenDrops"), 0);
        CHECK_EQ(ctr(&w, "TcpExt.ListenOverflows"), 0);
        CHECK_EQ(ctr(&w, "Tcp.PassiveOpens"), 5);
        struct tcp_repr sa;
        client_syn(&w, 5000, true, &sa);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesSent"), 16);
        CHECK(sa.opt.mss_ok && sa.opt.ts_ok && sa.opt.ws_ok && sa.opt.sack_ok);
        CHECK_EQ(sa.opt.tsecr, 1000);
        CHECK_EQ(sa.opt.tsval & 0x3f, 7 | 0x10); /* wscale 7, SACK, no ECN */
        CHECK(sa.opt.tsval <= (uint32_t)(strata_clock_now(w.clock) / MSEC));
        client_ack(&w, 5000, &sa, sa.seq + 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesRecv"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesFailed"), 0);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        CHECK_EQ(ti.tcpi_state, TCP_ESTABLISHED);
        CHECK_EQ(ti.tcpi_options & (TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE),
                 TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE);
        CHECK_EQ(ti.tcpi_snd_wscale, 7);
        CHECK_EQ(ti.tcpi_snd_mss, 1460 - 12); /* the table's 1460, less timestamps */
        /* it carries data both ways */
        struct tcp_options o = { .ts_ok = true, .tsval = 1002, .tsecr = sa.opt.tsval };
        seg(&w, 5000, TCPF_ACK | TCPF_PSH, 5001, sa.seq + 1, &o, "hello", 5);
        run(&w, MSEC);
        char buf[16];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 5);
        CHECK_MEM(buf, "hello", 5);
        CHECK_EQ(strata_send(w.ns, w.s, "world", 5, 0), 5);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen = 0;
        CHECK(take_to(&w, 5000, &th, &plen));
        while (plen == 0 && take_to(&w, 5000, &th, &plen))
                ;
        CHECK_EQ(plen, 5);
        CHECK_EQ(th.seq, sa.seq + 1);
        CHECK_EQ(th.ack, 5006);
        teardown(&w);
}

static void bad_or_old_cookie_is_reset(void)
{
        struct w w;
        up(&w, "1");
        flood(&w, 10, true);
        struct tcp_repr sa, th;
        size_t plen;
        client_syn(&w, 6000, true, &sa);
        client_ack(&w, 6000, &sa, sa.seq + 2); /* not the cookie */
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesFailed"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesRecv"), 0);
        CHECK(take_to(&w, 6000, &th, &plen));
        CHECK_EQ(th.flags, TCPF_RST);
        CHECK_EQ(th.seq, sa.seq + 2);
        /* the right one, but three minutes later: no overflow for two
         * minutes, so no cookie is taken back (tcp_synq_no_recent_overflow) */
        for (int i = 0; i < 18; i++) {
                run(&w, 10 * SEC);
                probe_drain(&w.probe);
        }
        client_ack(&w, 6000, &sa, sa.seq + 1);
        CHECK(take_to(&w, 6000, &th, &plen));
        CHECK_EQ(th.flags, TCPF_RST);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesFailed"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesRecv"), 0);
        CHECK(strata_accept(w.ns, w.l, NULL, NULL) < 0);
        teardown(&w);
}

static void no_timestamps_means_mss_alone(void)
{
        struct w w;
        up(&w, "1");
        flood(&w, 10, false);
        struct tcp_repr sa;
        client_syn(&w, 7000, false, &sa);
        CHECK(sa.opt.mss_ok);
        CHECK(!sa.opt.ts_ok && !sa.opt.ws_ok && !sa.opt.sack_ok);
        client_ack(&w, 7000, &sa, sa.seq + 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesRecv"), 1);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        CHECK_EQ(ti.tcpi_options & (TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE), 0);
        CHECK_EQ(ti.tcpi_snd_mss, 1460);
        teardown(&w);
}

static void without_cookies_the_flood_is_dropped(void)
{
        struct w w;
        up(&w, "0");
        flood(&w, 20, true);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesSent"), 0);
        CHECK_EQ(ctr(&w, "TcpExt.TCPReqQFullDrop"), 15);
        CHECK_EQ(ctr(&w, "TcpExt.ListenDrops"), 15);
        CHECK_EQ(ctr(&w, "TcpExt.ListenOverflows"), 0); /* the accept queue is empty */
        struct tcp_options o = syn_opts(true, 1000);
        seg(&w, 5000, TCPF_SYN, 5000, 0, &o, NULL, 0);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(!take_to(&w, 5000, &th, &plen));
        teardown(&w);
}

static void always_cookies_and_a_full_accept_queue(void)
{
        struct w w;
        up(&w, "2");
        /* backlog 4: the accept queue takes five, never accepted; six
         * cookies out first (a SYN finding the accept queue full would be
         * dropped), then their ACKs */
        struct tcp_repr sa[6];
        for (int i = 0; i < 6; i++)
                client_syn(&w, (uint16_t)(8000 + i), true, &sa[i]);
        for (int i = 0; i < 6; i++)
                client_ack(&w, (uint16_t)(8000 + i), &sa[i], sa[i].seq + 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesSent"), 6);
        CHECK_EQ(ctr(&w, "TcpExt.TCPReqQFullDoCookies"), 6);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesRecv"), 6);
        CHECK_EQ(ctr(&w, "TcpExt.ListenOverflows"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.ListenDrops"), 1);
        struct tcp_repr th;
        size_t plen;
        CHECK(!take_to(&w, 8005, &th, &plen)); /* dropped, not reset */
        int n = 0;
        while (strata_accept(w.ns, w.l, NULL, NULL) >= 0)
                n++;
        CHECK_EQ(n, 5);
        teardown(&w);
}

/* A request (not a cookie) whose ACK finds the accept queue full. */
static void abort_on_overflow(int abort)
{
        struct w w;
        up(&w, "1");
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_abort_on_overflow", abort ? "1" : "0"), 0);
        /* five requests fill the SYN queue (backlog 4); four ACKs move
         * them on, a sixth request takes the room, then the last two ACKs:
         * the accept queue holds five, the sixth finds it full */
        struct tcp_repr sa[6];
        for (int i = 0; i < 5; i++)
                client_syn(&w, (uint16_t)(9000 + i), true, &sa[i]);
        for (int i = 0; i < 4; i++)
                client_ack(&w, (uint16_t)(9000 + i), &sa[i], sa[i].seq + 1);
        client_syn(&w, 9005, true, &sa[5]);
        client_ack(&w, 9004, &sa[4], sa[4].seq + 1);
        client_ack(&w, 9005, &sa[5], sa[5].seq + 1);
        CHECK_EQ(ctr(&w, "TcpExt.SyncookiesSent"), 0);
        CHECK_EQ(ctr(&w, "TcpExt.ListenOverflows"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.ListenDrops"), 1);
        CHECK_EQ(ctr(&w, "TcpExt.EmbryonicRsts"), abort ? 1 : 0);
        struct tcp_repr th;
        size_t plen;
        bool got = take_to(&w, 9005, &th, &plen);
        CHECK_EQ(got, abort != 0);
        if (got)
                CHECK_EQ(th.flags, TCPF_RST);
        teardown(&w);
}

static void abort_on_overflow_resets(void)
{
        abort_on_overflow(1);
}

static void no_abort_on_overflow_drops(void)
{
        abort_on_overflow(0);
}

TEST_MAIN(T(flood_then_cookies_let_clients_in), T(bad_or_old_cookie_is_reset),
          T(no_timestamps_means_mss_alone), T(without_cookies_the_flood_is_dropped),
          T(always_cookies_and_a_full_accept_queue), T(abort_on_overflow_resets),
          T(no_abort_on_overflow_drops))
