/*
 * A TCP peer played by hand on a probe device (10.0.0.1) against a Strata
 * listener on 10.0.0.2:80, on the simulated clock: the harness shared by the
 * TCP tests that need to write exact segments (test_tcp_options.c,
 * test_tcp_paws.c).  Include after probe.h.
 */
#ifndef STRATA_TESTS_TCP_PEER_H
#define STRATA_TESTS_TCP_PEER_H

#include <arpa/inet.h>
#include <string.h>

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
        bool ts;      /* test_tcp_paws: the peer sends timestamps */
        uint32_t now; /* test_tcp_paws: the peer's next tsval */
};

static void run(struct w *w, uint64_t ns)
{
        strata_sim_run(&w->ns, 1, strata_clock_now(w->clock) + ns);
}

/* Put th (options raw_opt, when given, instead of th->opt) and data on the
 * wire from the peer. */
static void peer_emit(struct w *w, const struct tcp_repr *th, const uint8_t *raw_opt,
                      size_t raw_len, const void *data, size_t dlen)
{
        uint8_t seg[1600], frame[1700];
        size_t hlen;
        if (raw_opt) {
                hlen = 20 + ((raw_len + 3) & ~(size_t)3);
                tcp_emit(th, seg, 20);
                memset(seg + 20, 0, hlen - 20);
                memcpy(seg + 20, raw_opt, raw_len);
                seg[12] = (uint8_t)((hlen / 4) << 4);
        } else {
                hlen = tcp_emit(th, seg, sizeof(seg));
        }
        if (dlen)
                memcpy(seg + hlen, data, dlen);
        put_be16(seg + 16, tcp_csum_ipv4(PEER, LOCAL, seg, hlen + dlen));
        size_t n =
            probe_ipv4_frame(&w->probe, frame, PEER, LOCAL, IPPROTO_TCP_, 64, seg, hlen + dlen);
        probe_inject(&w->probe, frame, n);
}

/* The stack's next TCP segment on the probe: its header and payload length.
 * The peer answers ARP on the way, as a live host does: long idle tests
 * outlast the neighbour entry. */
static bool take_seg(struct w *w, struct tcp_repr *th, size_t *plen)
{
        struct sk_buff *skb;
        while ((skb = probe_take(&w->probe))) {
                const uint8_t *f = skb->data;
                if (skb->len >= 42 && get_be16(f + 12) == ETH_P_ARP &&
                    get_be16(f + 20) == ARPOP_REQUEST && get_be32(f + 38) == PEER) {
                        uint8_t r[64];
                        probe_inject(&w->probe, r,
                                     probe_arp_frame(&w->probe, r, ARPOP_REPLY, PEER, LOCAL, f + 6));
                }
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

/* The namespace, the probe with the peer's MAC known, and the listener;
 * the test then plays the handshake. */
static void peer_lab_up(struct w *w, const char *name)
{
        (void)probe_echo_frame; /* probe.h helpers these tests have no use for */
        w->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new(name, w->clock, 1, &w->ns), 0);
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

#endif
