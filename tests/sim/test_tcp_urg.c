/*
 * Urgent data on receive, as Linux reads it (tcp_urg.c), with a probe
 * device playing the peer (10.0.0.1) against Strata on 10.0.0.2:80:
 *
 *  - the urgent pointer names the byte before it (tcp_stdurg=0); that byte
 *    leaves the stream: a read stops at the mark after data, the next
 *    passes over it, recv(MSG_OOB) returns it once and then EINVAL;
 *  - POLLPRI while the byte waits, SIOCATMARK at the mark, no POLLIN for
 *    the urgent byte alone;
 *  - SO_OOBINLINE keeps the byte in the stream (MSG_OOB is EINVAL);
 *  - splice stops at the mark and, with nothing but the urgent byte left,
 *    returns 0 instead of waiting; into a full pipe, non-blocking, EAGAIN;
 *  - send(MSG_OOB) marks the write urgent: URG and its pointer until
 *    acknowledged, past Nagle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

static void send_seg(struct w *w, uint8_t flags, const void *data, size_t dlen, uint16_t urg)
{
        struct tcp_repr th = { .sport = 40000, .dport = 80, .seq = w->peer_nxt,
                               .ack = w->stack_nxt, .flags = flags, .window = 65535,
                               .urg = urg };
        if (flags & TCPF_SYN)
                th.opt = (struct tcp_options){ .mss_ok = true, .mss = 1460 };
        peer_emit(w, &th, NULL, 0, data, dlen);
        w->peer_nxt += (uint32_t)dlen + ((flags & TCPF_SYN) ? 1 : 0);
        run(w, MSEC);
        probe_drain(&w->probe);
}

/* The handshake, keeping the SYN-ACK to learn the stack's ISN. */
static void connect_peer(struct w *w, const char *name)
{
        memset(w, 0, sizeof(*w));
        peer_lab_up(w, name);
        struct tcp_repr th = { .sport = 40000, .dport = 80, .seq = w->peer_nxt,
                               .flags = TCPF_SYN, .window = 65535 };
        th.opt = (struct tcp_options){ .mss_ok = true, .mss = 1460 };
        peer_emit(w, &th, NULL, 0, NULL, 0);
        run(w, MSEC);
        struct tcp_repr sa;
        size_t plen;
        CHECK(take_seg(w, &sa, &plen));
        CHECK_EQ(sa.flags, TCPF_SYN | TCPF_ACK);
        w->peer_nxt++;
        w->stack_nxt = sa.seq + 1;
        send_seg(w, TCPF_ACK, NULL, 0, 0);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
}

static short revents(struct w *w)
{
        struct pollfd p = { .fd = w->s, .events = POLLIN | POLLPRI };
        strata_poll(w->ns, &p, 1, 0);
        return p.revents;
}

static int atmark(struct w *w)
{
        int v = -1;
        CHECK_EQ(strata_ioctl(w->ns, w->s, SIOCATMARK, &v), 0);
        return v;
}

static void urgent_byte_leaves_the_stream(void)
{
        struct w w;
        connect_peer(&w, "urg");
        /* "abcdefgh" + "!" urgent + "xyz": the pointer is one past '!' */
        send_seg(&w, TCPF_ACK | TCPF_PSH | TCPF_URG, "abcdefgh!xyz", 12, 9);
        CHECK(revents(&w) & POLLPRI);
        CHECK_EQ(atmark(&w), 0);
        char buf[32];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 8); /* up to the mark */
        CHECK_MEM(buf, "abcdefgh", 8);
        CHECK_EQ(atmark(&w), 1);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_OOB | MSG_PEEK), 1);
        CHECK_EQ(buf[0], '!');
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_OOB), 1);
        CHECK_EQ(buf[0], '!');
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_OOB), -EINVAL); /* read already */
        CHECK(!(revents(&w) & POLLPRI));
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 3); /* passes over it */
        CHECK_MEM(buf, "xyz", 3);
        CHECK_EQ(atmark(&w), 0);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_OOB), -EINVAL); /* none now */

        /* data after the mark in the same and the next segment: a read
         * (peeking or not) ends at the mark, the next goes on in order */
        send_seg(&w, TCPF_ACK | TCPF_URG, "ab!c", 4, 3);
        send_seg(&w, TCPF_ACK, "de", 2, 0);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_PEEK), 2);
        CHECK_MEM(buf, "ab", 2);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 2);
        CHECK_MEM(buf, "ab", 2);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_PEEK), 3);
        CHECK_MEM(buf, "cde", 3);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 3);
        CHECK_MEM(buf, "cde", 3);

        /* the urgent byte alone, last of its segment: not POLLIN, and a
         * read that comes to it passes over it */
        send_seg(&w, TCPF_ACK | TCPF_URG, "12!", 3, 3);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, 2, MSG_DONTWAIT), 2);
        CHECK(!(revents(&w) & POLLIN));
        CHECK(revents(&w) & POLLPRI);
        send_seg(&w, TCPF_ACK, "34", 2, 0);
        CHECK(revents(&w) & POLLIN);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 2);
        CHECK_MEM(buf, "34", 2);
        teardown(&w);
}

static void oobinline_keeps_it(void)
{
        struct w w;
        connect_peer(&w, "inline");
        int one = 1;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
        send_seg(&w, TCPF_ACK | TCPF_URG, "ab!cd", 5, 3);
        char buf[16];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_OOB), -EINVAL);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 2);
        CHECK_EQ(atmark(&w), 1);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 3); /* inline */
        CHECK_MEM(buf, "!cd", 3);
        teardown(&w);
}

static void splice_stops_at_urgent_data(void)
{
        struct w w;
        connect_peer(&w, "splice");
        int p[2];
        CHECK_EQ(pipe(p), 0);
        send_seg(&w, TCPF_ACK | TCPF_URG, "hello!", 6, 6);
        CHECK_EQ(strata_splice_read(w.ns, w.s, p[1], 100, 0), 5);
        char buf[16];
        CHECK_EQ(read(p[0], buf, sizeof(buf)), 5);
        CHECK_MEM(buf, "hello", 5);
        /* only the urgent byte: a blocking splice returns 0, a
         * non-blocking one EAGAIN */
        CHECK_EQ(strata_splice_read(w.ns, w.s, p[1], 100, 0), 0);
        CHECK_EQ(strata_splice_read(w.ns, w.s, p[1], 100, SPLICE_F_NONBLOCK), -EAGAIN);
        CHECK_EQ(strata_splice_read(w.ns, w.s, p[0], 100, 0), -EINVAL); /* the read end */
        CHECK_EQ(strata_splice_read(w.ns, w.s, w.l, 100, 0), -EINVAL);  /* not a pipe */
        /* a full pipe, non-blocking: EAGAIN, the data stays in the socket */
        send_seg(&w, TCPF_ACK, "more", 4, 0);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_OOB), 1);
        CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
        static char fill[1 << 16];
        while (write(p[1], fill, sizeof(fill)) > 0)
                ;
        CHECK_EQ(strata_splice_read(w.ns, w.s, p[1], 100, SPLICE_F_NONBLOCK), -EAGAIN);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 4);
        CHECK_MEM(buf, "more", 4);
        close(p[0]);
        close(p[1]);
        teardown(&w);
}

/* Sending MSG_OOB: URG with the pointer one past the write's last byte
 * (tcp_mark_urg), Nagle does not hold it, and once acknowledged the
 * segments that follow carry no URG. */
static void send_oob_marks_urgent(void)
{
        struct w w;
        connect_peer(&w, "sendurg");
        struct tcp_repr th;
        size_t plen;
        CHECK_EQ(strata_send(w.ns, w.s, "abc", 3, 0), 3);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(plen, 3);
        CHECK(!(th.flags & TCPF_URG));
        /* "abc" is unacknowledged: Nagle would hold a small write, not this */
        CHECK_EQ(strata_send(w.ns, w.s, "de!", 3, MSG_OOB), 3);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(plen, 3);
        CHECK(th.flags & TCPF_URG);
        CHECK_EQ(th.urg, 3);
        w.stack_nxt = th.seq + 3;
        send_seg(&w, TCPF_ACK, NULL, 0, 0);
        CHECK_EQ(strata_send(w.ns, w.s, "f", 1, 0), 1);
        run(&w, MSEC);
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(plen, 1);
        CHECK(!(th.flags & TCPF_URG));
        teardown(&w);
}

TEST_MAIN(T(send_oob_marks_urgent), T(urgent_byte_leaves_the_stream), T(oobinline_keeps_it), T(splice_stops_at_urgent_data))
