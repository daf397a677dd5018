/*
 * TCP on the simulated clock: handshake, a byte-exact transfer both ways
 * between two namespaces over a veth pair, loopback TCP, connection refused
 * by RST, listen backlog overflow counted as Linux counts it, close with
 * FIN and TIME_WAIT, zero window with a slow reader, and a leak check.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "veth_lab.h"

#define SEC 1000000000ull

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, ip, &s.sin_addr);
        return s;
}


static void handshake_and_transfer(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        struct strata_net *a = lab.ns[0], *b = lab.ns[1];
        int l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 8080);
        CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, l, 16), 0);
        int c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 8080);
        CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&to, sizeof(to)), 0);
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        int s = strata_accept(b, l, (struct sockaddr *)&peer, &plen);
        CHECK(s >= 0);
        CHECK_EQ(ntohl(peer.sin_addr.s_addr), 0x0a000001);
        CHECK_EQ(veth_lab_ctr(a, "Tcp.ActiveOpens"), 1);
        CHECK_EQ(veth_lab_ctr(b, "Tcp.PassiveOpens"), 1);
        CHECK_EQ(veth_lab_ctr(b, "Tcp.CurrEstab"), 1);

        /* 1 MB each way, byte-exact */
        enum { N = 1 << 20 };
        static uint8_t out[N], in[N];
        for (int i = 0; i < N; i++)
                out[i] = (uint8_t)(i * 7 + (i >> 11));
        size_t sent = 0, got = 0;
        while (got < N) {
                if (sent < N) {
                        ssize_t n = strata_send(a, c, out + sent, N - sent, MSG_DONTWAIT);
                        if (n > 0)
                                sent += (size_t)n;
                        else
                                CHECK_EQ(n, -EAGAIN);
                }
                ssize_t r = strata_recv(b, s, in + got, N - got, 0);
                CHECK(r > 0);
                got += (size_t)r;
        }
        CHECK_MEM(in, out, N);
        /* and back */
        sent = got = 0;
        memset(in, 0, N);
        while (got < N) {
                if (sent < N) {
                        ssize_t n = strata_send(b, s, out + sent, N - sent, MSG_DONTWAIT);
                        if (n > 0)
                                sent += (size_t)n;
                }
                ssize_t r = strata_recv(a, c, in + got, N - got, 0);
                CHECK(r > 0);
                got += (size_t)r;
        }
        CHECK_MEM(in, out, N);

        /* orderly close: a FINs, b reads EOF, closes; a ends in TIME_WAIT */
        CHECK_EQ(strata_close(a, c), 0);
        char x;
        CHECK_EQ(strata_recv(b, s, &x, 1, 0), 0);
        CHECK_EQ(strata_close(b, s), 0);
        strata_sim_run(lab.ns, 2, strata_clock_now(lab.clock) + SEC);
        CHECK_EQ(veth_lab_ctr(a, "Tcp.CurrEstab"), 0);
        /* a's side waits 60 s in TIME_WAIT; TcpExt.TW counts it when the
         * wait begins, as the kernel does */
        CHECK_EQ(veth_lab_ctr(a, "TcpExt.TW"), 1);
        CHECK_EQ(strata_close(b, l), 0);
        veth_lab_down(&lab);
}

static void refused_by_rst(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        int c = strata_socket(lab.ns[0], AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 9);
        CHECK_EQ(strata_connect(lab.ns[0], c, (struct sockaddr *)&to, sizeof(to)), -ECONNREFUSED);
        CHECK_EQ(veth_lab_ctr(lab.ns[1], "Tcp.OutRsts"), 1);
        CHECK_EQ(veth_lab_ctr(lab.ns[0], "Tcp.AttemptFails"), 1);
        CHECK_EQ(strata_close(lab.ns[0], c), 0);
        veth_lab_down(&lab);
}

static void loopback_tcp(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        struct strata_net *a = lab.ns[0];
        int l = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in lo = sin_of("127.0.0.1", 7000);
        CHECK_EQ(strata_bind(a, l, (struct sockaddr *)&lo, sizeof(lo)), 0);
        CHECK_EQ(strata_listen(a, l, 4), 0);
        int c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&lo, sizeof(lo)), 0);
        int s = strata_accept(a, l, NULL, NULL);
        CHECK(s >= 0);
        CHECK_EQ(strata_send(a, c, "hello", 5, 0), 5);
        char buf[16];
        CHECK_EQ(strata_recv(a, s, buf, sizeof(buf), 0), 5);
        CHECK_MEM(buf, "hello", 5);
        int mss = 0;
        socklen_t ml = sizeof(mss);
        CHECK_EQ(strata_getsockopt(a, c, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
        CHECK_EQ(mss, 65483); /* 65495 less the timestamp option, as Linux on lo */
        strata_close(a, c);
        strata_close(a, s);
        strata_close(a, l);
        veth_lab_down(&lab);
}

/* MSG_WAITALL (tcp_recvmsg's target): a blocking receive waits for the
 * whole buffer across flights, and returns short only at the end of the
 * stream; without it the first data wakes the reader. */
static void recv_waitall(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        struct strata_net *a = lab.ns[0], *b = lab.ns[1];
        int l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 8080), to = sin_of("10.0.0.2", 8080);
        CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, l, 4), 0);
        int c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&to, sizeof(to)), 0);
        int s = strata_accept(b, l, NULL, NULL);
        CHECK(s >= 0);
        /* 40000 bytes: more than the initial window, so two flights or more */
        enum { N = 40000 };
        static uint8_t out[N], in[N];
        for (int i = 0; i < N; i++)
                out[i] = (uint8_t)(i * 7);
        CHECK_EQ(strata_send(a, c, out, N, 0), N);
        ssize_t n = strata_recv(b, s, in, N, 0);
        CHECK(n > 0 && n < N); /* without MSG_WAITALL: what the first flight brought */
        CHECK_EQ(strata_recv(b, s, in + n, (size_t)(N - n), MSG_WAITALL), N - n);
        CHECK_MEM(in, out, N);
        CHECK_EQ(strata_send(a, c, out, N, 0), N);
        CHECK_EQ(strata_recv(b, s, in, N, MSG_WAITALL), N);
        CHECK_MEM(in, out, N);
        /* the end of the stream ends the wait short */
        CHECK_EQ(strata_send(a, c, "tail", 4, 0), 4);
        CHECK_EQ(strata_shutdown(a, c, SHUT_WR), 0);
        CHECK_EQ(strata_recv(b, s, in, 100, MSG_WAITALL), 4);
        CHECK_EQ(strata_recv(b, s, in, 100, MSG_WAITALL), 0);
        strata_close(a, c);
        strata_close(b, s);
        strata_close(b, l);
        veth_lab_down(&lab);
}

static void backlog_overflow_is_counted(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        struct strata_net *a = lab.ns[0], *b = lab.ns[1];
        int l = strata_socket(b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 80);
        CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, l, 2), 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 80);
        int cs[6];
        for (int i = 0; i < 6; i++) {
                cs[i] = strata_socket(a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                CHECK_EQ(strata_connect(a, cs[i], (struct sockaddr *)&to, sizeof(to)),
                         -EINPROGRESS);
        }
        strata_sim_run(lab.ns, 2, strata_clock_now(lab.clock) + 100 * 1000000ull);
        /* backlog 2: the accept queue holds backlog + 1 = 3 (sk_acceptq_is_full
         * is ">"), the rest overflow */
        CHECK(veth_lab_ctr(b, "TcpExt.ListenOverflows") >= 1);
        CHECK(veth_lab_ctr(b, "TcpExt.ListenDrops") >= veth_lab_ctr(b, "TcpExt.ListenOverflows"));
        int accepted = 0;
        while (strata_accept(b, l, NULL, NULL) >= 0)
                accepted++;
        CHECK_EQ(accepted, 3);
        for (int i = 0; i < 6; i++)
                strata_close(a, cs[i]);
        veth_lab_down(&lab);
}

TEST_MAIN(T(handshake_and_transfer), T(refused_by_rst), T(loopback_tcp), T(recv_waitall),
          T(backlog_overflow_is_counted))
