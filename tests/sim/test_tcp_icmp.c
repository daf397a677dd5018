/*
 * ICMP errors about TCP segments (Linux's tcp_v4_err), on the simulated
 * clock with a probe device playing the peer (10.0.0.1) and Strata on
 * 10.0.0.2:
 *  - a connect() whose SYN draws "host unreachable" fails at once with
 *    EHOSTUNREACH;
 *  - an error quoting a sequence number not in flight is counted in
 *    TcpExt.OutOfWindowIcmps and changes nothing;
 *  - an established connection is not broken by one (the error is kept
 *    for a later timeout) unless IP_RECVERR asks for it;
 *  - a child in SYN_RECV whose SYN-ACK drew one is dropped silently
 *    (ListenDrops), so the peer's ACK then gets a reset;
 *  - a Fast Open child not yet accepted fails: accept() returns it, its
 *    data reads, then EHOSTUNREACH.
 * And NULL buffers get EFAULT (the data stays).
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/tcp.h"

static uint64_t counter(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

/* An ICMP error from the peer quoting a segment Strata sent from sport to
 * dport with sequence number seq. */
static void icmp_error(struct w *w, uint8_t type, uint8_t code, uint16_t sport, uint16_t dport,
                       uint32_t seq)
{
        uint8_t icmp[8 + 28] = { type, code };
        uint8_t *ip = icmp + 8;
        ip[0] = 0x45;
        put_be16(ip + 2, 40);
        ip[8] = 64;
        ip[9] = IPPROTO_TCP;
        put_be32(ip + 12, LOCAL);
        put_be32(ip + 16, PEER);
        put_be16(ip + 10, ip_compute_csum(ip, 20));
        put_be16(ip + 20, sport);
        put_be16(ip + 22, dport);
        put_be32(ip + 24, seq);
        put_be16(icmp + 2, ip_compute_csum(icmp, sizeof(icmp)));
        uint8_t frame[128];
        size_t n =
            probe_ipv4_frame(&w->probe, frame, PEER, LOCAL, IPPROTO_ICMP, 64, icmp, sizeof(icmp));
        probe_inject(&w->probe, frame, n);
}

static void seg(struct w *w, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
                const void *data, size_t dlen, const struct tcp_options *o)
{
        struct tcp_repr th = {
                .sport = sport, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
        if (o)
                th.opt = *o;
        peer_emit(w, &th, NULL, 0, data, dlen);
}

static void lab(struct w *w)
{
        memset(w, 0, sizeof(*w));
        w->s = -1;
        peer_lab_up(w, "icmp");
}

static void syn_sent_fails_with_host_unreachable(void)
{
        struct w w;
        lab(&w);
        w.s = strata_socket(w.ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = { .sin_family = AF_INET,
                                  .sin_port = htons(9000),
                                  .sin_addr.s_addr = htonl(PEER) };
        CHECK_EQ(strata_connect(w.ns, w.s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen) && th.flags == TCPF_SYN);
        /* quoting another sequence number: ignored and counted */
        icmp_error(&w, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, th.sport, 9000, th.seq + 5000);
        run(&w, MSEC);
        CHECK_EQ(counter(&w, "TcpExt.OutOfWindowIcmps"), 1);
        int err = 0;
        socklen_t len = sizeof(err);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
        CHECK_EQ(err, 0);
        icmp_error(&w, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, th.sport, 9000, th.seq);
        run(&w, MSEC);
        len = sizeof(err);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
        CHECK_EQ(err, EHOSTUNREACH);
        teardown(&w);
}

/* The peer connects to the listener; returns Strata's ISN. */
static uint32_t handshake(struct w *w, uint16_t sport, bool ack)
{
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        seg(w, sport, TCPF_SYN, 1000, 0, NULL, 0, &o);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(w, &th, &plen) && th.flags == (TCPF_SYN | TCPF_ACK));
        if (ack) {
                seg(w, sport, TCPF_ACK, 1001, th.seq + 1, NULL, 0, NULL);
                run(w, MSEC);
        }
        return th.seq;
}

static void established_keeps_going_unless_recverr(void)
{
        struct w w;
        lab(&w);
        uint32_t iss = handshake(&w, 40000, true);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        CHECK_EQ(strata_send(w.ns, w.s, "x", 1, 0), 1);
        run(&w, MSEC);
        probe_drain(&w.probe);
        icmp_error(&w, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 80, 40000, iss + 1);
        run(&w, MSEC);
        char c;
        CHECK_EQ(strata_recv(w.ns, w.s, &c, 1, MSG_DONTWAIT), -EAGAIN); /* a soft error */
        int one = 1;
        CHECK_EQ(strata_setsockopt(w.ns, w.s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)), 0);
        icmp_error(&w, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 80, 40000, iss + 1);
        run(&w, MSEC);
        CHECK_EQ(strata_recv(w.ns, w.s, &c, 1, MSG_DONTWAIT), -EHOSTUNREACH);
        teardown(&w);
}

static void syn_recv_child_is_dropped(void)
{
        struct w w;
        lab(&w);
        uint32_t iss = handshake(&w, 40000, false);
        uint64_t drops = counter(&w, "TcpExt.ListenDrops");
        icmp_error(&w, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 80, 40000, iss);
        run(&w, MSEC);
        CHECK_EQ(counter(&w, "TcpExt.ListenDrops"), drops + 1);
        seg(&w, 40000, TCPF_ACK, 1001, iss + 1, NULL, 0, NULL);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen));
        CHECK(th.flags & TCPF_RST); /* nobody knows the connection any more */
        CHECK_EQ(strata_accept(w.ns, w.l, NULL, NULL), -EAGAIN);
        teardown(&w);
}

static void fastopen_child_fails_before_accept(void)
{
        struct w w;
        lab(&w);
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_fastopen", "0x203"), 0); /* no cookie */
        int q = 4;
        CHECK_EQ(strata_setsockopt(w.ns, w.l, IPPROTO_TCP, TCP_FASTOPEN, &q, sizeof(q)), 0);
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        seg(&w, 40000, TCPF_SYN, 1000, 0, "data", 4, &o);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(&w, &th, &plen));
        CHECK_EQ(th.ack, 1005);
        icmp_error(&w, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 80, 40000, th.seq);
        run(&w, MSEC);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        char buf[8];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 4);
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), -EHOSTUNREACH);
        CHECK_EQ(strata_send(w.ns, w.s, "x", 1, MSG_NOSIGNAL), -EPIPE);
        teardown(&w);
}

/* Not ICMP, but the other way an address goes bad: a NULL buffer gets
 * EFAULT, as the kernel's copy does, and the data stays for the next read. */
static void null_buffers_get_efault(void)
{
        struct w w;
        lab(&w);
        uint32_t iss = handshake(&w, 40000, true);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        CHECK_EQ(strata_send(w.ns, w.s, NULL, 10, MSG_DONTWAIT), -EFAULT);
        seg(&w, 40000, TCPF_ACK | TCPF_PSH, 1001, iss + 1, "abc", 3, NULL);
        run(&w, MSEC);
        CHECK_EQ(strata_recv(w.ns, w.s, NULL, 10, MSG_DONTWAIT), -EFAULT);
        char buf[8];
        CHECK_EQ(strata_recv(w.ns, w.s, buf, sizeof(buf), MSG_DONTWAIT), 3);
        teardown(&w);
}

TEST_MAIN(T(syn_sent_fails_with_host_unreachable), T(established_keeps_going_unless_recverr),
          T(syn_recv_child_is_dropped), T(fastopen_child_fails_before_accept),
          T(null_buffers_get_efault))
