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
 *
 * And a Strata client against a Strata server across a veth pair:
 *  - the first sendto(MSG_FASTOPEN) asks for a cookie (EINPROGRESS), the
 *    next carries its data in the SYN, read by the server before the
 *    handshake ends (TCPFastOpenActive, TCPFastOpenPassive, the client's
 *    TCPI_OPT_SYN_DATA); a blocking one sends what the SYN could not carry
 *    once connected; TCP_FASTOPEN_CONNECT makes connect() return at once
 *    and the first write send the SYN;
 *  - a server whose key changed refuses the cached cookie: the client
 *    sends its data again (TCPFastOpenActiveFail), learns the new cookie,
 *    and the next connection is a Fast Open one again;
 *  - strata_tcp_metrics_flush forgets the cookie;
 *  - a Fast Open SYN-ACK's own data and FIN are read (a hand-played server).
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
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
        struct tcp_repr th = {
                .sport = sport, .dport = 80, .seq = seq, .flags = TCPF_SYN, .window = 65535
        };
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
        struct tcp_repr th = {
                .sport = sport, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
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
                CHECK_EQ(
                    strata_setsockopt(w->ns, w->l, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)),
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
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen_key", "1-2-3-4," KEY), 0);
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

/* Children never accepted -- a Fast Open one with its SYN's data, an
 * ordinary one with data after the handshake -- are reset with their
 * listener and their data freed (teardown's leak check). */
static void unaccepted_children_with_data_are_freed(void)
{
        struct w w;
        lab(&w, 4);
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen", "0x203"), 0);
        syn(&w, 40000, 7000, NULL, -1, "fast", 4);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen) && th.ack == 7005);
        syn(&w, 40001, 9000, NULL, -1, NULL, 0);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen) && th.ack == 9001);
        seg(&w, 40001, TCPF_ACK, 9001, th.seq + 1);
        struct tcp_repr d = { .sport = 40001,
                              .dport = 80,
                              .seq = 9001,
                              .ack = th.seq + 1,
                              .flags = TCPF_ACK | TCPF_PSH,
                              .window = 65535 };
        peer_emit(&w, &d, NULL, 0, "slow", 4);
        run(&w, MSEC);
        strata_close(w.ns, w.l); /* both reset, never accepted */
        run(&w, MSEC);
        w.l = -1;
        teardown(&w);
}

/* The peer plays a Fast Open server: Strata's SYN, and the peer's SYN-ACK
 * (from port 9000) with a cookie, payload and flags given. */
static void client_exchange(struct w *w, int fd, const char *data, const uint8_t *cookie,
                            const char *reply, uint8_t extra_flags, struct tcp_repr *syn,
                            size_t *syn_len)
{
        struct sockaddr_in to = { .sin_family = AF_INET,
                                  .sin_port = htons(9000),
                                  .sin_addr.s_addr = htonl(PEER) };
        strata_sendto(w->ns, fd, data, strlen(data), MSG_FASTOPEN, (struct sockaddr *)&to,
                      sizeof(to));
        run(w, MSEC);
        CHECK(take_seg(w, syn, syn_len));
        CHECK_EQ(syn->flags, TCPF_SYN);
        struct tcp_repr th = { .sport = 9000,
                               .dport = syn->sport,
                               .seq = 50000,
                               .ack = syn->seq + 1 + (uint32_t)*syn_len,
                               .flags = TCPF_SYN | TCPF_ACK | extra_flags,
                               .window = 65535 };
        th.opt.mss_ok = true;
        th.opt.mss = 1460;
        if (cookie) {
                th.opt.fo_ok = true;
                th.opt.fo_len = 8;
                memcpy(th.opt.fo_cookie, cookie, 8);
        }
        peer_emit(w, &th, NULL, 0, reply, reply ? strlen(reply) : 0);
        run(w, MSEC);
}

static void synack_data_is_read(void)
{
        struct w w;
        lab(&w, -1);
        static const uint8_t cookie[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
        int c = strata_socket(w.ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct tcp_repr syn;
        size_t len;
        client_exchange(&w, c, "q", cookie, NULL, 0, &syn, &len);
        CHECK(syn.opt.fo_ok && syn.opt.fo_len == 0); /* asked for a cookie */
        CHECK_EQ(len, 0);
        strata_close(w.ns, c);
        run(&w, MSEC);
        probe_drain(&w.probe);
        /* with it: the query rides in the SYN, the answer (and the end) in
         * the SYN-ACK */
        c = strata_socket(w.ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        client_exchange(&w, c, "query", cookie, "answer", TCPF_FIN, &syn, &len);
        CHECK(syn.opt.fo_ok && syn.opt.fo_len == 8);
        CHECK_MEM(syn.opt.fo_cookie, cookie, 8);
        CHECK_EQ(len, 5);
        char buf[16];
        CHECK_EQ(strata_recv(w.ns, c, buf, sizeof(buf), MSG_DONTWAIT), 6);
        CHECK_MEM(buf, "answer", 6);
        CHECK_EQ(strata_recv(w.ns, c, buf, sizeof(buf), MSG_DONTWAIT), 0); /* the FIN */
        struct tcp_info ti;
        socklen_t tl = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w.ns, c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
        CHECK_EQ(ti.tcpi_state, TCP_CLOSE_WAIT);
        CHECK(ti.tcpi_options & TCPI_OPT_SYN_DATA);
        struct tcp_repr ack;
        CHECK(take_seg(&w, &ack, &len));
        CHECK_EQ(ack.ack, 50000 + 1 + 6 + 1); /* data and FIN acknowledged */
        strata_close(w.ns, c);
        teardown(&w);
}

/* --- a Strata client and a Strata server ---------------------------------- */

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2]; /* client 10.0.0.1, server 10.0.0.2 */
        int l;
};

static void drive_all(struct strata_net *sn, uint64_t deadline, void *ctx)
{
        struct lab *lab = ctx;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        strata_sim_run(lab->ns, 2, next < deadline ? next : deadline);
}

static void lab_run(struct lab *lab, uint64_t ns)
{
        strata_sim_run(lab->ns, 2, strata_clock_now(lab->clock) + ns);
}

static uint64_t ctr(struct strata_net *n, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(n, name, &v), 0);
        return v;
}

static struct sockaddr_in server_addr(void)
{
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(80) };
        inet_pton(AF_INET, "10.0.0.2", &s.sin_addr);
        return s;
}

static void lab_up(struct lab *lab)
{
        memset(lab, 0, sizeof(*lab));
        lab->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("client", lab->clock, 1, &lab->ns[0]), 0);
        CHECK_EQ(strata_net_new("server", lab->clock, 2, &lab->ns[1]), 0);
        CHECK_EQ(strata_veth_add(lab->ns[0], "veth0", lab->ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[1], "veth0", true), 0);
        strata_set_driver(lab->ns[0], drive_all, lab);
        strata_set_driver(lab->ns[1], drive_all, lab);
        CHECK_EQ(strata_sysctl_set(lab->ns[1], "net.ipv4.tcp_fastopen", "3"), 0);
        lab->l = strata_socket(lab->ns[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(80) };
        CHECK_EQ(strata_bind(lab->ns[1], lab->l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(lab->ns[1], lab->l, 16), 0);
        int q = 16;
        CHECK_EQ(strata_setsockopt(lab->ns[1], lab->l, IPPROTO_TCP, TCP_FASTOPEN, &q, sizeof(q)),
                 0);
}

static void lab_down(struct lab *lab)
{
        strata_close(lab->ns[1], lab->l);
        lab_run(lab, 300 * SEC); /* FINs, TIME_WAIT */
        for (int i = 0; i < 2; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        strata_net_free(lab->ns[1]);
        strata_net_free(lab->ns[0]);
        strata_clock_free(lab->clock);
}

/* sendto(MSG_FASTOPEN) from a new non-blocking client socket. */
static int fo_send(struct lab *lab, const char *data, ssize_t *ret)
{
        int c = strata_socket(lab->ns[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        CHECK(c >= 0);
        struct sockaddr_in to = server_addr();
        *ret = strata_sendto(lab->ns[0], c, data, strlen(data), MSG_FASTOPEN,
                             (struct sockaddr *)&to, sizeof(to));
        return c;
}

/* The server's next connection: accept it and read what came. */
static int server_take(struct lab *lab, char *buf, size_t cap, ssize_t *n)
{
        int s = strata_accept(lab->ns[1], lab->l, NULL, NULL);
        CHECK(s >= 0);
        *n = strata_recv(lab->ns[1], s, buf, cap, MSG_DONTWAIT);
        return s;
}

static bool syn_data_acked(struct strata_net *n, int fd)
{
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(n, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        return ti.tcpi_options & TCPI_OPT_SYN_DATA;
}

/* A first connection that only learns the cookie. */
static void learn_cookie(struct lab *lab)
{
        ssize_t r;
        int c = fo_send(lab, "first", &r);
        CHECK_EQ(r, -EINPROGRESS); /* no cookie yet: the SYN asks for one */
        lab_run(lab, 10 * MSEC);
        CHECK(!syn_data_acked(lab->ns[0], c));
        char buf[64];
        ssize_t n;
        int s = server_take(lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, -EAGAIN);
        strata_close(lab->ns[0], c);
        strata_close(lab->ns[1], s);
        lab_run(lab, 10 * MSEC);
}

static void strata_client_and_server(void)
{
        struct lab lab;
        lab_up(&lab);
        learn_cookie(&lab);
        CHECK_EQ(ctr(lab.ns[1], "TcpExt.TCPFastOpenCookieReqd"), 1);
        /* with the cookie: the data rides in the SYN */
        ssize_t r;
        int c = fo_send(&lab, "hello, fast open", &r);
        CHECK_EQ(r, 16);
        lab_run(&lab, 10 * MSEC);
        char buf[4096];
        ssize_t n;
        int s = server_take(&lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, 16);
        CHECK_MEM(buf, "hello, fast open", 16);
        CHECK(syn_data_acked(lab.ns[0], c));
        CHECK(syn_data_acked(lab.ns[1], s));
        CHECK_EQ(ctr(lab.ns[0], "TcpExt.TCPFastOpenActive"), 1);
        CHECK_EQ(ctr(lab.ns[1], "TcpExt.TCPFastOpenPassive"), 1);
        CHECK_EQ(strata_send(lab.ns[1], s, "back", 4, 0), 4);
        lab_run(&lab, 10 * MSEC);
        CHECK_EQ(strata_recv(lab.ns[0], c, buf, sizeof(buf), MSG_DONTWAIT), 4);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        /* blocking, more than a SYN carries: the rest follows the handshake */
        c = strata_socket(lab.ns[0], AF_INET, SOCK_STREAM, 0);
        static char big[3000];
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (char)('a' + i % 26);
        struct sockaddr_in to = server_addr();
        CHECK_EQ(strata_sendto(lab.ns[0], c, big, sizeof(big), MSG_FASTOPEN, (struct sockaddr *)&to,
                               sizeof(to)),
                 (ssize_t)sizeof(big));
        lab_run(&lab, 10 * MSEC);
        s = strata_accept(lab.ns[1], lab.l, NULL, NULL);
        CHECK(s >= 0);
        size_t got = 0;
        while (got < sizeof(big)) {
                n = strata_recv(lab.ns[1], s, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
                CHECK(n > 0);
                got += (size_t)n;
        }
        CHECK_EQ(got, sizeof(big));
        CHECK_MEM(buf, big, sizeof(big));
        CHECK_EQ(ctr(lab.ns[0], "TcpExt.TCPFastOpenActive"), 2);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        /* TCP_FASTOPEN_CONNECT: connect() at once, the SYN with the write */
        c = strata_socket(lab.ns[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        CHECK_EQ(
            strata_setsockopt(lab.ns[0], c, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)),
            0);
        CHECK_EQ(strata_connect(lab.ns[0], c, (struct sockaddr *)&to, sizeof(to)), 0);
        struct pollfd pfd = { .fd = c, .events = POLLOUT };
        CHECK_EQ(strata_poll(lab.ns[0], &pfd, 1, 0), 1); /* writable: write() connects */
        CHECK_EQ(strata_accept(lab.ns[1], lab.l, NULL, NULL), -EAGAIN); /* no SYN yet */
        CHECK_EQ(strata_send(lab.ns[0], c, "deferred", 8, 0), 8);
        lab_run(&lab, 10 * MSEC);
        s = server_take(&lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, 8);
        CHECK_MEM(buf, "deferred", 8);
        CHECK_EQ(ctr(lab.ns[0], "TcpExt.TCPFastOpenActive"), 3);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        /* a NULL buffer: no data in the SYN, which asks for a cookie again
         * (tcp_send_syn_data's fallback when the copy faults) */
        uint64_t reqd = ctr(lab.ns[1], "TcpExt.TCPFastOpenCookieReqd");
        c = strata_socket(lab.ns[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        CHECK_EQ(
            strata_sendto(lab.ns[0], c, NULL, 1, MSG_FASTOPEN, (struct sockaddr *)&to, sizeof(to)),
            -EINPROGRESS);
        lab_run(&lab, 10 * MSEC);
        CHECK_EQ(ctr(lab.ns[1], "TcpExt.TCPFastOpenCookieReqd"), reqd + 1);
        s = server_take(&lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, -EAGAIN);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        lab_down(&lab);
}

/* TCP_FASTOPEN_NO_COOKIE at both ends: data in the very first SYN, no
 * cookie asked for or given. */
static void no_cookie_both_ends(void)
{
        struct lab lab;
        lab_up(&lab);
        int one = 1;
        CHECK_EQ(strata_setsockopt(lab.ns[1], lab.l, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, &one,
                                   sizeof(one)),
                 0);
        int c = strata_socket(lab.ns[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        CHECK_EQ(
            strata_setsockopt(lab.ns[0], c, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, &one, sizeof(one)),
            0);
        int v = 0;
        socklen_t vl = sizeof(v);
        CHECK_EQ(strata_getsockopt(lab.ns[0], c, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, &v, &vl), 0);
        CHECK_EQ(v, 1);
        struct sockaddr_in to = server_addr();
        CHECK_EQ(strata_sendto(lab.ns[0], c, "first", 5, MSG_FASTOPEN, (struct sockaddr *)&to,
                               sizeof(to)),
                 5);
        lab_run(&lab, 10 * MSEC);
        char buf[16];
        ssize_t n;
        int s = server_take(&lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, 5);
        CHECK_EQ(ctr(lab.ns[1], "TcpExt.TCPFastOpenCookieReqd"), 0);
        CHECK_EQ(ctr(lab.ns[1], "TcpExt.TCPFastOpenPassive"), 1);
        CHECK_EQ(ctr(lab.ns[0], "TcpExt.TCPFastOpenActive"), 1);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        lab_down(&lab);
}

static void stale_cookie_then_flush(void)
{
        struct lab lab;
        lab_up(&lab);
        learn_cookie(&lab);
        /* the server rotates its key without keeping the old one */
        CHECK_EQ(strata_sysctl_set(lab.ns[1], "net.ipv4.tcp_fastopen_key", "1-2-3-4"), 0);
        ssize_t r;
        int c = fo_send(&lab, "stale", &r);
        CHECK_EQ(r, 5); /* sent in the SYN, with the old cookie */
        lab_run(&lab, 10 * MSEC);
        char buf[64];
        ssize_t n;
        int s = server_take(&lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, 5); /* the data came again, after the handshake */
        CHECK_MEM(buf, "stale", 5);
        CHECK(!syn_data_acked(lab.ns[0], c));
        CHECK_EQ(ctr(lab.ns[1], "TcpExt.TCPFastOpenPassiveFail"), 1);
        CHECK_EQ(ctr(lab.ns[0], "TcpExt.TCPFastOpenActiveFail"), 1);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        /* the SYN-ACK brought the new cookie */
        c = fo_send(&lab, "fresh", &r);
        CHECK_EQ(r, 5);
        lab_run(&lab, 10 * MSEC);
        s = server_take(&lab, buf, sizeof(buf), &n);
        CHECK_EQ(n, 5);
        CHECK(syn_data_acked(lab.ns[0], c));
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        /* ip tcp_metrics flush all: asking again */
        CHECK_EQ(strata_tcp_metrics_flush(lab.ns[0]), 0);
        c = fo_send(&lab, "again", &r);
        CHECK_EQ(r, -EINPROGRESS);
        lab_run(&lab, 10 * MSEC);
        s = strata_accept(lab.ns[1], lab.l, NULL, NULL);
        CHECK(s >= 0);
        strata_close(lab.ns[0], c);
        strata_close(lab.ns[1], s);
        /* with the client side off: EOPNOTSUPP */
        CHECK_EQ(strata_sysctl_set(lab.ns[0], "net.ipv4.tcp_fastopen", "0"), 0);
        c = fo_send(&lab, "off", &r);
        CHECK_EQ(r, -EOPNOTSUPP);
        strata_close(lab.ns[0], c);
        lab_down(&lab);
}

TEST_MAIN(T(cookie_request_gets_linux_cookie), T(syn_data_with_cookie_is_accepted_at_once),
          T(wrong_cookie_falls_back_to_handshake), T(fastopen_queue_bounds_children),
          T(listener_key_and_sysctl_format), T(backup_key_cookie_is_accepted_and_refreshed),
          T(unaccepted_children_with_data_are_freed), T(synack_data_is_read),
          T(strata_client_and_server), T(no_cookie_both_ends), T(stale_cookie_then_flush))
