/*
 * TCP Fast Open (RFC 7413), server side, against what Linux does, on the
 * simulated clock with a probe device playing the client (10.0.0.1) and a
 * Strata listener on 10.0.0.2:80:
 *
 *  - a SYN with an empty Fast Open option asks for a cookie: the SYN-ACK
 *    carries the one a Linux server with the same tcp_fastopen_key gives
 *    (SipHash of the addresses), TcpExt.TCPFastOpenCookieReqd counts it;
 *  - a SYN with that cookie and data makes a connection at once: accept()
 *    returns it before the handshake ends, the data readable, the SYN-ACK
 *    acknowledging it, TCPI_OPT_SYN_DATA set, the server able to write in
 *    SYN_RECV, TCPFastOpenPassive counted; the final ACK establishes it;
 *  - a wrong cookie: only the SYN is acknowledged, the right cookie comes
 *    back, TCPFastOpenPassiveFail counts it, accept() waits;
 *  - the listener's Fast Open queue (TCP_FASTOPEN's qlen) bounds the
 *    children still in SYN_RECV: beyond it TCPFastOpenListenOverflow and an
 *    ordinary handshake;
 *  - TCP_FASTOPEN_KEY gives a listener its own key; tcp_fastopen_key is
 *    validated and shown as the kernel shows it.
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "core/siphash.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

#define KEY "a0bf63f7-ed803d81-cd641d30-cebc4a90"

static uint64_t counter(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

/* What a Linux server with key KEY gives 10.0.0.1 talking to 10.0.0.2,
 * computed here from the key's words (SipHash-2-4, little-endian). */
static void expected_cookie(uint8_t out[8], const uint32_t k[4])
{
        struct siphash_key key = { { (uint64_t)k[1] << 32 | k[0], (uint64_t)k[3] << 32 | k[2] } };
        uint8_t msg[8] = { 10, 0, 0, 1, 10, 0, 0, 2 };
        uint64_t h = siphash(msg, sizeof(msg), &key);
        for (int i = 0; i < 8; i++)
                out[i] = (uint8_t)(h >> (8 * i));
}

static const uint32_t key_words[4] = { 0xa0bf63f7, 0xed803d81, 0xcd641d30, 0xcebc4a90 };

static void syn(struct w *w, uint16_t sport, uint32_t seq, const uint8_t *cookie, int clen,
                const void *data, size_t dlen)
{
        struct tcp_repr th = { .sport = sport, .dport = 80, .seq = seq, .flags = TCPF_SYN,
                               .window = 65535 };
        th.opt.mss_ok = true;
        th.opt.mss = 1460;
        if (clen >= 0) {
                th.opt.fo_ok = true;
                th.opt.fo_len = (uint8_t)clen;
                if (clen)
                        memcpy(th.opt.fo_cookie, cookie, (size_t)clen);
        }
        peer_emit(w, &th, NULL, 0, data, dlen);
}

static void seg(struct w *w, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack)
{
        struct tcp_repr th = { .sport = sport, .dport = 80, .seq = seq, .ack = ack,
                               .flags = flags, .window = 65535 };
        peer_emit(w, &th, NULL, 0, NULL, 0);
}

static void lab(struct w *w, int qlen)
{
        memset(w, 0, sizeof(*w));
        w->s = -1;
        peer_lab_up(w, "tfo");
        CHECK_EQ(strata_sysctl_set(w->ns, "net.ipv4.tcp_fastopen", "3"), 0);
        CHECK_EQ(strata_sysctl_set(w->ns, "net.ipv4.tcp_fastopen_key", KEY), 0);
        if (qlen >= 0)
                CHECK_EQ(strata_setsockopt(w->ns, w->l, IPPROTO_TCP, TCP_FASTOPEN, &qlen,
                                           sizeof(qlen)),
                         0);
}

/* The peer asks for a cookie: the SYN-ACK's Fast Open option. */
static void cookie_request(struct w *w, uint16_t sport, struct tcp_repr *th)
{
        syn(w, sport, 5000, NULL, 0, NULL, 0);
        run(w, MSEC);
        size_t plen;
        CHECK(take_seg(w, th, &plen));
        CHECK_EQ(th->flags, TCPF_SYN | TCPF_ACK);
        CHECK_EQ(th->ack, 5001);
        seg(w, sport, TCPF_RST, 5001, 0);
        run(w, MSEC);
}

static void cookie_request_gets_linux_cookie(void)
{
        struct w w;
        lab(&w, 4);
        struct tcp_repr th;
        cookie_request(&w, 40000, &th);
        uint8_t want[8];
        expected_cookie(want, key_words);
        CHECK(th.opt.fo_ok && !th.opt.fo_exp);
        CHECK_EQ(th.opt.fo_len, 8);
        CHECK_MEM(th.opt.fo_cookie, want, 8);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenCookieReqd"), 1);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenPassive"), 0);
        /* not a Fast Open listener (no TCP_FASTOPEN, no 0x400): no cookie */
        int zero = 0;
        CHECK_EQ(strata_setsockopt(w.ns, w.l, IPPROTO_TCP, TCP_FASTOPEN, &zero, sizeof(zero)), 0);
        cookie_request(&w, 40001, &th);
        CHECK(!th.opt.fo_ok);
        teardown(&w);
}

static void syn_data_with_cookie_is_accepted_at_once(void)
{
        struct w w;
        lab(&w, 4);
        uint8_t c[8];
        expected_cookie(c, key_words);
        syn(&w, 40000, 7000, c, 8, "hello, fast open", 16);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        CHECK_EQ(th.ack, 7001 + 16); /* the data is acknowledged */
        CHECK(!th.opt.fo_ok);        /* a valid cookie is not sent back */
        uint32_t iss = th.seq;
        /* on the accept queue before the handshake ends */
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        CHECK_EQ(ti.tcpi_state, TCP_SYN_RECV);
        CHECK(ti.tcpi_options & TCPI_OPT_SYN_DATA);
        char buf[64];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 16);
        CHECK_MEM(buf, "hello, fast open", 16);
        /* and it may answer before the client's ACK */
        CHECK_EQ(strata_send(w.ns, w.s, "reply", 5, MSG_DONTWAIT), 5);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(plen, 5);
        CHECK_EQ(th.seq, iss + 1);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenPassive"), 1);
        /* the ACK (of the SYN-ACK and the reply) establishes it */
        seg(&w, 40000, TCPF_ACK, 7017, iss + 6);
        run(&w, MSEC);
        len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        CHECK_EQ(ti.tcpi_state, TCP_ESTABLISHED);
        CHECK_EQ(ti.tcpi_unacked, 0);
        CHECK_EQ(strata_accept(w.ns, w.l, NULL, NULL), -EAGAIN); /* not queued twice */
        seg(&w, 40000, TCPF_RST, 7017, 0);
        run(&w, MSEC);
        teardown(&w);
}

static void wrong_cookie_falls_back_to_handshake(void)
{
        struct w w;
        lab(&w, 4);
        uint8_t bad[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, good[8];
        expected_cookie(good, key_words);
        syn(&w, 40000, 7000, bad, 8, "data", 4);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.ack, 7001); /* only the SYN */
        CHECK(th.opt.fo_ok && th.opt.fo_len == 8);
        CHECK_MEM(th.opt.fo_cookie, good, 8);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenPassiveFail"), 1);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenPassive"), 0);
        CHECK_EQ(strata_accept(w.ns, w.l, NULL, NULL), -EAGAIN);
        seg(&w, 40000, TCPF_ACK, 7001, th.seq + 1);
        run(&w, MSEC);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        char buf[8];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        seg(&w, 40000, TCPF_RST, 7001, 0);
        run(&w, MSEC);
        teardown(&w);
}

static void fastopen_queue_bounds_children(void)
{
        struct w w;
        lab(&w, 1);
        uint8_t c[8];
        expected_cookie(c, key_words);
        struct tcp_repr th;
        size_t plen;
        syn(&w, 40000, 7000, c, 8, "one", 3);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.ack, 7004);
        syn(&w, 40001, 9000, c, 8, "two", 3);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.ack, 9001); /* the queue is full: a plain handshake */
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenListenOverflow"), 1);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenPassive"), 1);
        seg(&w, 40000, TCPF_RST, 7004, 0);
        seg(&w, 40001, TCPF_RST, 9001, 0);
        run(&w, MSEC);
        /* the reset child left SYN_RECV: room again */
        syn(&w, 40002, 11000, c, 8, "three", 5);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.ack, 11006);
        seg(&w, 40002, TCPF_RST, 11006, 0);
        run(&w, MSEC);
        for (int i = 0; i < 3; i++) {
                int s = strata_accept(w.ns, w.l, NULL, NULL);
                if (s >= 0)
                        strata_close(w.ns, s);
        }
        teardown(&w);
}

static void listener_key_and_sysctl_format(void)
{
        struct w w;
        lab(&w, 4);
        /* TCP_FASTOPEN_KEY: 16 bytes, each word little-endian */
        uint32_t k2[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };
        uint8_t raw[16];
        for (int i = 0; i < 4; i++)
                for (int b = 0; b < 4; b++)
                        raw[4 * i + b] = (uint8_t)(k2[i] >> (8 * b));
        CHECK_EQ(strata_setsockopt(w.ns, w.l, IPPROTO_TCP, TCP_FASTOPEN_KEY, raw, 3), -EINVAL);
        CHECK_EQ(strata_setsockopt(w.ns, w.l, IPPROTO_TCP, TCP_FASTOPEN_KEY, raw, 16), 0);
        uint8_t back[32];
        socklen_t len = sizeof(back);
        CHECK_EQ(strata_getsockopt(w.ns, w.l, IPPROTO_TCP, TCP_FASTOPEN_KEY, back, &len), 0);
        CHECK_EQ(len, 16);
        CHECK_MEM(back, raw, 16);
        struct tcp_repr th;
        cookie_request(&w, 40000, &th);
        uint8_t want[8];
        expected_cookie(want, k2);
        CHECK(th.opt.fo_ok);
        CHECK_MEM(th.opt.fo_cookie, want, 8);
        /* the sysctl: "%x-%x-%x-%x" with an optional backup, else EINVAL */
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen_key", "1-2-3"), -EINVAL);
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen_key", "1-2-3-4x"), -EINVAL);
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen_key", "a-b-c-d,1-2-3-4"), 0);
        char v[80];
        CHECK_EQ(strata_sysctl_get(w.ns, "net.ipv4.tcp_fastopen_key", v, sizeof(v)), 0);
        CHECK_STR(v, "0000000a-0000000b-0000000c-0000000d,00000001-00000002-00000003-00000004");
        teardown(&w);
}

static void backup_key_cookie_is_accepted_and_refreshed(void)
{
        struct w w;
        lab(&w, 4);
        uint8_t old[8], cur[8];
        expected_cookie(old, key_words);
        /* rotate: the old key becomes the backup */
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen_key",
                                   "1-2-3-4," KEY),
                 0);
        const uint32_t k1[4] = { 1, 2, 3, 4 };
        expected_cookie(cur, k1);
        syn(&w, 40000, 7000, old, 8, "x", 1);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.ack, 7002); /* accepted */
        CHECK(th.opt.fo_ok);    /* with the current cookie to keep */
        CHECK_MEM(th.opt.fo_cookie, cur, 8);
        CHECK_EQ(counter(&w, "TcpExt.TCPFastOpenPassiveAltKey"), 1);
        seg(&w, 40000, TCPF_RST, 7002, 0);
        run(&w, MSEC);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        teardown(&w);
}

TEST_MAIN(T(cookie_request_gets_linux_cookie), T(syn_data_with_cookie_is_accepted_at_once),
          T(wrong_cookie_falls_back_to_handshake), T(fastopen_queue_bounds_children),
          T(listener_key_and_sysctl_format), T(backup_key_cookie_is_accepted_and_refreshed))
