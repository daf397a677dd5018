/*
 * RFC 3168 ECN segment by segment, against what Linux sends, with a probe
 * device playing the peer (10.0.0.1) and Strata at 10.0.0.2 (listening on
 * port 80, or connecting out).  The end-to-end behaviour over a marking
 * wire is in test_tcp_loss.c.
 *
 *  - tcp_ecn=1: the SYN carries ECE|CWR; its retransmission drops them
 *    with tcp_ecn_fallback=1 (the default) and keeps them with 0.
 *  - A server accepts ECN only from a not-ECT SYN with ECE|CWR, and only
 *    with tcp_ecn non-zero; its SYN-ACK says so with ECE alone.
 *  - The receiver: a CE-marked data segment is acknowledged at once with
 *    ECE; every segment carries ECE until data with CWR arrives;
 *    tcpi_options reports ECN and ECN seen; IpExt counts the codepoints.
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
#include "wire/checksum.h"
#include "wire/tcp.h"

#define ECN_ECT0 2
#define ECN_CE   3

static uint64_t ctr(struct w *w, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(w->ns, name, &v), 0);
        return v;
}

/* A segment from the peer's port 40000 with the IP ECN field ecn. */
static void seg(struct w *w, uint8_t ecn, uint8_t flags, uint32_t seq, uint32_t ack,
                const void *data, size_t dlen)
{
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 1000
        };
        if (flags & TCPF_SYN) {
                th.opt.mss_ok = true;
                th.opt.mss = 1460;
        }
        uint8_t s[1600], frame[1700];
        size_t hlen = tcp_emit(&th, s, sizeof(s));
        if (dlen)
                memcpy(s + hlen, data, dlen);
        put_be16(s + 16, tcp_csum_ipv4(PEER, LOCAL, s, hlen + dlen));
        size_t n = probe_ipv4_frame(&w->probe, frame, PEER, LOCAL, IPPROTO_TCP_, 64, s, hlen + dlen);
        /* the ECN field, and the header checksum again */
        frame[ETH_HLEN + 1] = (uint8_t)((frame[ETH_HLEN + 1] & ~3) | ecn);
        put_be16(frame + ETH_HLEN + 10, 0);
        put_be16(frame + ETH_HLEN + 10, ip_compute_csum(frame + ETH_HLEN, 20));
        probe_inject(&w->probe, frame, n);
}

/* The stack's next TCP segment and its IP ECN field. */
static bool take(struct w *w, struct tcp_repr *th, size_t *plen, uint8_t *ecn)
{
        struct sk_buff *skb;
        while ((skb = probe_take(&w->probe))) {
                const uint8_t *f = skb->data;
                bool ok = skb->len >= 54 && get_be16(f + 12) == ETH_P_IP && f[23] == 6;
                if (ok) {
                        unsigned tot = get_be16(f + 16), ihl = (f[14] & 0xf) * 4u;
                        ok = tcp_parse(f + 14 + ihl, tot - ihl, th) == WIRE_OK;
                        *plen = tot - ihl - th->doff;
                        *ecn = f[15] & 3;
                }
                consume_skb(skb);
                if (ok)
                        return true;
        }
        return false;
}

static void syn_retransmission_falls_back(int fallback)
{
        (void)peer_emit; /* tcp_peer.h helpers this file does not use */
        (void)take_seg;
        struct w w;
        memset(&w, 0, sizeof(w));
        peer_lab_up(&w, "ecn");
        w.s = -1;
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_ecn", "1"), 0);
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_ecn_fallback", fallback ? "1" : "0"), 0);
        int c = strata_socket(w.ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(8080),
                                  .sin_addr.s_addr = htonl(PEER) };
        CHECK_EQ(strata_connect(w.ns, c, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        uint8_t ecn;
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ECE | TCPF_CWR);
        CHECK_EQ(ecn, 0); /* a SYN is never ECT */
        run(&w, 1100 * MSEC);
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags, fallback ? TCPF_SYN : TCPF_SYN | TCPF_ECE | TCPF_CWR);
        strata_close(w.ns, c);
        teardown(&w);
}

static void syn_retransmission_drops_ecn(void)
{
        syn_retransmission_falls_back(1);
}

static void syn_retransmission_keeps_ecn_without_fallback(void)
{
        syn_retransmission_falls_back(0);
}

/* The server's answer to a SYN with flags and IP ECN field ecn. */
static uint8_t synack_flags(const char *tcp_ecn, uint8_t flags, uint8_t ecn)
{
        struct w w;
        memset(&w, 0, sizeof(w));
        peer_lab_up(&w, "ecn");
        w.s = -1;
        CHECK_EQ(strata_sysctl_set(w.ns, "net.ipv4.tcp_ecn", tcp_ecn), 0);
        seg(&w, ecn, TCPF_SYN | flags, 1000, 0, NULL, 0);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        uint8_t e;
        CHECK(take(&w, &th, &plen, &e));
        CHECK_EQ(e, 0);
        teardown(&w);
        return th.flags;
}

static void server_accepts_ecn_as_linux(void)
{
        const uint8_t ew = TCPF_ECE | TCPF_CWR, sa = TCPF_SYN | TCPF_ACK;
        CHECK_EQ(synack_flags("2", ew, 0), sa | TCPF_ECE);
        CHECK_EQ(synack_flags("1", ew, 0), sa | TCPF_ECE);
        CHECK_EQ(synack_flags("0", ew, 0), sa);
        CHECK_EQ(synack_flags("2", ew, ECN_ECT0), sa); /* an ECT SYN was meddled with */
        CHECK_EQ(synack_flags("2", TCPF_ECE, 0), sa);  /* ECE alone is no request */
        CHECK_EQ(synack_flags("2", 0, 0), sa);
}

static void receiver_echoes_ce_until_cwr(void)
{
        struct w w;
        memset(&w, 0, sizeof(w));
        peer_lab_up(&w, "ecn");
        seg(&w, 0, TCPF_SYN | TCPF_ECE | TCPF_CWR, 1000, 0, NULL, 0);
        run(&w, MSEC);
        struct tcp_repr th;
        size_t plen;
        uint8_t ecn;
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK | TCPF_ECE);
        uint32_t us = th.seq + 1, peer = 1001;
        seg(&w, 0, TCPF_ACK, peer, us, NULL, 0);
        run(&w, MSEC);
        w.s = strata_accept(w.ns, w.l, NULL, NULL);
        CHECK(w.s >= 0);
        char d[100] = { 0 };
        /* ECT(0) data: an ordinary (quick) ACK, no echo */
        seg(&w, ECN_ECT0, TCPF_ACK | TCPF_PSH, peer, us, d, 100);
        peer += 100;
        run(&w, MSEC);
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags & (TCPF_ECE | TCPF_CWR), 0);
        CHECK_EQ(ecn, 0); /* a pure ACK is not ECT */
        /* CE: acknowledged at once, with ECE */
        seg(&w, ECN_CE, TCPF_ACK | TCPF_PSH, peer, us, d, 100);
        peer += 100;
        run(&w, MSEC);
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags & TCPF_ECE, TCPF_ECE);
        CHECK_EQ(th.ack, peer);
        /* unmarked data still gets ECE back, and so does our data */
        seg(&w, ECN_ECT0, TCPF_ACK | TCPF_PSH, peer, us, d, 100);
        peer += 100;
        run(&w, MSEC);
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags & TCPF_ECE, TCPF_ECE);
        CHECK_EQ(strata_send(w.ns, w.s, d, 10, 0), 10);
        run(&w, MSEC);
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(plen, 10);
        CHECK_EQ(th.flags & TCPF_ECE, TCPF_ECE);
        CHECK_EQ(ecn, ECN_ECT0); /* new data is ECT(0) */
        us += 10;
        /* CWR: the echo stops */
        seg(&w, ECN_ECT0, TCPF_ACK | TCPF_PSH | TCPF_CWR, peer, us, d, 100);
        peer += 100;
        run(&w, MSEC);
        CHECK(take(&w, &th, &plen, &ecn));
        CHECK_EQ(th.flags & TCPF_ECE, 0);
        CHECK_EQ(th.ack, peer);
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(w.ns, w.s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        CHECK_EQ(ti.tcpi_options & (TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN),
                 TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN);
        CHECK_EQ(ctr(&w, "IpExt.InCEPkts"), 1);
        CHECK_EQ(ctr(&w, "IpExt.InECT0Pkts"), 3);
        teardown(&w);
}

TEST_MAIN(T(syn_retransmission_drops_ecn), T(syn_retransmission_keeps_ecn_without_fallback),
          T(server_accepts_ecn_as_linux), T(receiver_echoes_ce_until_cwr))
