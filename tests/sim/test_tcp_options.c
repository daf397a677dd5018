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
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "probe.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

#define LOCAL 0x0a000002u
#define PEER  0x0a000001u
#define MSEC  1000000ull
#define SEC   1000000000ull

struct w {
        struct strata_clock *clock;
        struct strata_net *ns;
        struct probe probe;
        int l, s;
        uint32_t peer_nxt, stack_nxt;
};

static void run(struct w *w, uint64_t ns)
{
        strata_sim_run(&w->ns, 1, strata_clock_now(w->clock) + ns);
}

static void send_seg(struct w *w, uint8_t flags, uint32_t seq, uint32_t ack,
                     const struct tcp_options *o, const uint8_t *raw_opt, size_t raw_len,
                     const void *data, size_t dlen)
{
        uint8_t seg[1600], frame[1700];
        struct tcp_repr th = {
                .sport = 40000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = 65535
        };
        if (o)
                th.opt = *o;
        size_t hlen;
        if (raw_opt) {
                hlen = 20 + ((raw_len + 3) & ~(size_t)3);
                tcp_emit(&th, seg, 20);
                memset(seg + 20, 0, hlen - 20);
                memcpy(seg + 20, raw_opt, raw_len);
                seg[12] = (uint8_t)((hlen / 4) << 4);
        } else {
                hlen = tcp_emit(&th, seg, sizeof(seg));
        }
        if (dlen)
                memcpy(seg + hlen, data, dlen);
        put_be16(seg + 16, tcp_csum_ipv4(PEER, LOCAL, seg, hlen + dlen));
        size_t n =
            probe_ipv4_frame(&w->probe, frame, PEER, LOCAL, IPPROTO_TCP_, 64, seg, hlen + dlen);
        probe_inject(&w->probe, frame, n);
}

/* The stack's next TCP segment on the probe: its header and payload length. */
static bool take_seg(struct w *w, struct tcp_repr *th, size_t *plen)
{
        struct sk_buff *skb;
        while ((skb = probe_take(&w->probe))) {
                const uint8_t *f = skb->data;
                bool ok = skb->len >= 54 && get_be16(f + 12) == ETH_P_IP && f[23] == 6;
                if (ok) {
                        unsigned tot = get_be16(f + 16), ihl = (f[14] & 0xf) * 4u;
                        ok = tcp_parse(f + 14 + ihl, tot - ihl, th) == WIRE_OK;
                        *plen = tot - ihl - th->doff;
                }
                consume_skb(skb);
                if (ok)
                        return true;
        }
        return false;
}

/* Listener, then the peer's handshake with the SYN's options o. */
static void setup(struct w *w, const struct tcp_options *o)
{
        (void)probe_echo_frame; /* probe.h helpers this test has no use for */
        memset(w, 0, sizeof(*w));
        w->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("opt", w->clock, 1, &w->ns), 0);
        CHECK_EQ(probe_create(w->ns->net, "probe0", &w->probe), 0);
        CHECK_EQ(strata_addr_add(w->ns, "probe0", "10.0.0.2/24"), 0);
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t f[64];
        probe_inject(&w->probe, f,
                     probe_arp_frame(&w->probe, f, ARPOP_REQUEST, PEER, LOCAL, bcast));
        run(w, MSEC);
        probe_drain(&w->probe);
        w->l = strata_socket(w->ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(80) };
        CHECK_EQ(strata_bind(w->ns, w->l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(w->ns, w->l, 4), 0);
        w->peer_nxt = 1000;
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

static void teardown(struct w *w)
{
        strata_close(w->ns, w->s);
        strata_close(w->ns, w->l);
        /* the peer goes quiet: retransmissions give up, TIME_WAIT ends */
        for (int i = 0; i < 40; i++) {
                run(w, 100 * SEC);
                probe_drain(&w->probe);
        }
        long left = skb_pool_outstanding(w->ns->net->pool);
        strata_net_free(w->ns);
        strata_clock_free(w->clock);
        CHECK_EQ(left, 0);
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

TEST_MAIN(T(syn_mss_zero_is_ignored), T(syn_mss_one_is_clamped_to_min_snd_mss),
          T(data_with_malformed_options_is_delivered))
