/*
 * libFuzzer target: the TCP receive path, segments of any shape into
 * sockets in every state.
 *
 * Each input gets a fresh namespace (so a crash reproduces from its input
 * alone) with a probe device (10.0.0.2/24; the peer is 10.0.0.1) and:
 *  - a listener on port 80 (backlog 2), a Fast Open one taking SYN data
 *    without a cookie when the first byte's top bit is set;
 *  - an established connection 10.0.0.1:40000 -> 10.0.0.2:80, made by a
 *    well-formed handshake the target injects (the peer's SYN with options
 *    chosen by the input's first byte, the SYN-ACK read back from the
 *    probe, the ACK), accepted as a non-blocking descriptor;
 *  - a connection of ours in SYN_SENT, 10.0.0.2:N -> 10.0.0.1:81.
 * The target plays the peer: it keeps what the stack sent it (the highest
 * sequence and the window it was told) so records can aim at the edges of
 * the windows.  Each 16-byte record plus payload becomes one segment:
 *   [0]     which socket: bits 0-1 established / SYN_SENT / listener (a new
 *           source port from [1]) / the peer's next port; bit 2: corrupt the
 *           checksum; bit 3: make the peer's sequence track this segment
 *   [1]     TCP flags as sent (any combination)
 *   [2..5]  seq offset from the peer's next sequence (signed, big-endian);
 *           [0] bit 4 scales it by the window (off * wnd / 128)
 *   [6..9]  ack offset from the highest sequence the stack sent + 1
 *   [10]    options: bit 0 MSS [11], bit 1 wscale [11]&15, bit 2 SACK-perm,
 *           bit 3 timestamps (TSval from [12..13], TSecr echoing), bit 4
 *           a SACK block around what was sent, bit 5 raw option bytes from
 *           the payload (up to 40, any garbage: length 0, past the end),
 *           bit 6 a data offset from [14] instead of the real one
 *   [11..13] as above;  [14] low nibble: doff override
 *   [15]    what the application and the clock do afterwards: bit 0 read
 *           everything, bit 1 write 1..4000 bytes, bit 2 shutdown(WR),
 *           bit 3 close the established descriptor, bit 4 accept, bits 5-7
 *           advance the clock 0, 1 ms, 40 ms, 200 ms, 1 s, 3 s, 30 s, 120 s
 *   then    [0] bits 5-7 * 180 + ([14] >> 4) * 11 bytes of payload (at most
 *           what is left)
 * Nothing may crash, read out of bounds or leak; packet buffers in use stay
 * bounded while the input runs; and once every descriptor is closed and
 * the clock has run an hour (every retransmission given up, TIME_WAIT
 * over) every packet buffer is back in the pool.  Violations abort.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/probe.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/tcp.h"

#define ASSERT(c)                                                                                  \
        do {                                                                                       \
                if (!(c))                                                                          \
                        abort();                                                                   \
        } while (0)

#define LOCAL 0x0a000002u /* 10.0.0.2, host order */
#define PEER  0x0a000001u /* 10.0.0.1 */
#define MSEC  1000000ull
#define SEC   1000000000ull

#define REC_HLEN 16
#define MAX_RECS 64

struct flow {
        uint16_t lport, pport; /* ours (the stack's), the peer's */
        uint32_t peer_nxt;     /* the peer's next sequence number */
        uint32_t peer_isn;
        uint32_t stack_max; /* highest sequence the stack sent + 1 */
        uint32_t stack_isn;
        uint16_t stack_win;
        uint32_t ts_recent;
        bool seen; /* the stack sent something on this flow */
};

struct world {
        struct strata_clock *clock;
        struct strata_net *ns;
        struct probe probe;
        int listener, est, synsent;
        struct flow est_f, syn_f;
};

static void run(struct world *w, uint64_t ns)
{
        strata_sim_run(&w->ns, 1, strata_clock_now(w->clock) + ns);
}

/* Read what the stack sent: track the flows (by port), free the frames. */
static void absorb(struct world *w)
{
        struct sk_buff *skb;
        while ((skb = probe_take(&w->probe))) {
                const uint8_t *f = skb->data;
                uint32_t len = skb->len;
                if (len >= 14 + 20 + 20 && get_be16(f + 12) == ETH_P_IP && f[14 + 9] == 6) {
                        unsigned ihl = (f[14] & 0xf) * 4u;
                        unsigned tot = get_be16(f + 16);
                        if (ihl >= 20 && tot <= len - 14 && tot >= ihl + 20) {
                                struct tcp_repr th;
                                if (tcp_parse(f + 14 + ihl, tot - ihl, &th) == WIRE_OK) {
                                        struct flow *fl =
                                            th.sport == w->est_f.lport && th.dport == w->est_f.pport
                                                ? &w->est_f
                                            : th.dport == w->syn_f.pport ? &w->syn_f
                                                                         : NULL;
                                        uint32_t end = th.seq + (tot - ihl - th.doff) +
                                                       ((th.flags & TCPF_SYN) ? 1 : 0) +
                                                       ((th.flags & TCPF_FIN) ? 1 : 0);
                                        if (fl) {
                                                if (!fl->seen || seq_after(end, fl->stack_max))
                                                        fl->stack_max = end;
                                                if (th.flags & TCPF_SYN)
                                                        fl->stack_isn = th.seq;
                                                fl->stack_win = th.window;
                                                if (th.opt.ts_ok)
                                                        fl->ts_recent = th.opt.tsval;
                                                fl->seen = true;
                                        }
                                }
                        }
                }
                consume_skb(skb);
        }
}

/* Build and inject one segment from the peer. */
static void inject(struct world *w, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                   uint8_t flags, uint16_t window, const struct tcp_options *opt,
                   const uint8_t *raw_opt, size_t raw_len, int doff_override, bool bad_csum,
                   const uint8_t *payload, size_t plen)
{
        static uint8_t seg[60 + 1500], frame[14 + 20 + sizeof(seg)];
        struct tcp_repr th = { .sport = sport,
                               .dport = dport,
                               .seq = seq,
                               .ack = ack,
                               .flags = flags,
                               .window = window };
        if (opt)
                th.opt = *opt;
        size_t hlen;
        if (raw_opt) {
                size_t ol = (raw_len + 3) & ~(size_t)3;
                hlen = 20 + ol;
                tcp_emit(&th, seg, 20);
                memset(seg + 20, 0, ol);
                memcpy(seg + 20, raw_opt, raw_len);
                seg[12] = (uint8_t)((hlen / 4) << 4) | (seg[12] & 0x0f);
        } else {
                hlen = 20 + tcp_options_len(&th.opt);
                tcp_emit(&th, seg, hlen);
        }
        if (doff_override >= 0)
                seg[12] = (uint8_t)(doff_override << 4) | (seg[12] & 0x0f);
        if (plen)
                memcpy(seg + hlen, payload, plen);
        put_be16(seg + 16, 0);
        uint16_t c = tcp_csum_ipv4(PEER, LOCAL, seg, hlen + plen);
        if (bad_csum)
                c ^= 0x1234;
        put_be16(seg + 16, c);
        size_t n =
            probe_ipv4_frame(&w->probe, frame, PEER, LOCAL, IPPROTO_TCP_, 64, seg, hlen + plen);
        probe_inject(&w->probe, frame, n);
}

static void world_up(struct world *w, uint8_t synopts)
{
        memset(w, 0, sizeof(*w));
        w->clock = strata_clock_new(true);
        ASSERT(w->clock);
        ASSERT(strata_net_new("fuzz", w->clock, 1, &w->ns) == 0);
        ASSERT(probe_create(w->ns->net, "probe0", &w->probe) == 0);
        ASSERT(strata_addr_add(w->ns, "probe0", "10.0.0.2/24") == 0);
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t f[64];
        size_t n = probe_arp_frame(&w->probe, f, ARPOP_REQUEST, PEER, LOCAL, bcast);
        probe_inject(&w->probe, f, n);
        run(w, MSEC);
        absorb(w);

        w->listener = strata_socket(w->ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ASSERT(w->listener >= 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(80) };
        ASSERT(strata_bind(w->ns, w->listener, (struct sockaddr *)&any, sizeof(any)) == 0);
        ASSERT(strata_listen(w->ns, w->listener, 2) == 0);
        if (synopts & 0x80) {
                /* a Fast Open listener that takes SYN data without a cookie
                 * (and answers cookie requests): children straight to the
                 * accept queue, writable in SYN_RECV */
                ASSERT(strata_sysctl_set(w->ns, "net.ipv4.tcp_fastopen", "0x203") == 0);
                int q = 2;
                ASSERT(strata_setsockopt(w->ns, w->listener, IPPROTO_TCP, TCP_FASTOPEN, &q,
                                         sizeof(q)) == 0);
        }

        /* the established connection: the peer's handshake */
        struct flow *e = &w->est_f;
        e->lport = 80;
        e->pport = 40000;
        e->peer_isn = 0x10000000u * (synopts & 0xf) + 12345;
        struct tcp_options o = { .mss_ok = true, .mss = 1460 };
        o.sack_ok = synopts & 0x10;
        o.ts_ok = synopts & 0x20;
        o.tsval = 1000;
        o.ws_ok = synopts & 0x40;
        o.ws = (uint8_t)(synopts & 0x0f) % 15;
        inject(w, e->pport, e->lport, e->peer_isn, 0, TCPF_SYN, 65535, &o, NULL, 0, -1, false, NULL,
               0);
        run(w, MSEC);
        absorb(w);
        ASSERT(e->seen); /* the SYN-ACK */
        e->peer_nxt = e->peer_isn + 1;
        struct tcp_options ao = { .ts_ok = o.ts_ok, .tsval = 1001, .tsecr = e->ts_recent };
        inject(w, e->pport, e->lport, e->peer_nxt, e->stack_max, TCPF_ACK, 1000, &ao, NULL, 0, -1,
               false, NULL, 0);
        run(w, MSEC);
        absorb(w);
        w->est = strata_accept4(w->ns, w->listener, NULL, NULL, SOCK_NONBLOCK);
        ASSERT(w->est >= 0);

        /* ours in SYN_SENT */
        w->synsent = strata_socket(w->ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ASSERT(w->synsent >= 0);
        struct sockaddr_in to = { .sin_family = AF_INET,
                                  .sin_port = htons(81),
                                  .sin_addr.s_addr = htonl(PEER) };
        w->syn_f.pport = 81;
        ASSERT(strata_connect(w->ns, w->synsent, (struct sockaddr *)&to, sizeof(to)) ==
               -EINPROGRESS);
        struct sockaddr_in me;
        socklen_t ml = sizeof(me);
        ASSERT(strata_getsockname(w->ns, w->synsent, (struct sockaddr *)&me, &ml) == 0);
        w->syn_f.lport = ntohs(me.sin_port);
        w->syn_f.peer_isn = w->syn_f.peer_nxt = 0x55550000u;
        absorb(w);
}

static void world_down(struct world *w)
{
        int fds[3] = { w->est, w->synsent, w->listener };
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0)
                        strata_close(w->ns, fds[i]);
        /* accepted-by-records descriptors are closed by strata_net_free */
        for (int i = 0; i < 40; i++) {
                run(w, 100 * SEC);
                absorb(w);
        }
        long left = skb_pool_outstanding(w->ns->net->pool);
        if (left) {
                fprintf(stderr,
                        "fuzz_tcp: %ld packet buffers still held an hour after every "
                        "descriptor was closed\n",
                        left);
                strata_print_counters(w->ns, stderr);
                abort();
        }
        strata_net_free(w->ns);
        strata_clock_free(w->clock);
}

static const uint64_t advance_ns[8] = { 0,       MSEC,    40 * MSEC, 200 * MSEC,
                                        1 * SEC, 3 * SEC, 30 * SEC,  120 * SEC };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)probe_echo_frame; /* probe.h helpers this target has no use for */
        (void)probe_drain;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t io[4096];
        struct world w;
        world_up(&w, size ? data[0] : 0);
        size_t off = size ? 1 : 0;
        int accepted[MAX_RECS];
        int naccepted = 0;
        for (int rec = 0; rec < MAX_RECS && off + REC_HLEN <= size; rec++) {
                const uint8_t *h = data + off;
                off += REC_HLEN;
                size_t plen = (size_t)(h[0] >> 5) * 180 + (size_t)(h[14] >> 4) * 11;
                if (plen > size - off)
                        plen = size - off;
                const uint8_t *payload = data + off;
                off += plen;

                unsigned target = h[0] & 3;
                struct flow *fl = target == 1 ? &w.syn_f : &w.est_f;
                uint16_t sport = fl->pport, dport = fl->lport;
                if (target == 2) {
                        sport = (uint16_t)(50000 + h[1]);
                        dport = 80;
                } else if (target == 3) {
                        sport = (uint16_t)(fl->pport + 1);
                }
                int32_t soff = (int32_t)get_be32(h + 2);
                if (h[0] & 0x10) {
                        uint32_t wnd = (uint32_t)fl->stack_win << 7;
                        soff = (int32_t)((int64_t)(int8_t)h[2] * wnd / 128);
                }
                uint32_t seq = fl->peer_nxt + (uint32_t)soff;
                uint32_t ack = fl->stack_max + get_be32(h + 6);
                uint8_t ob = h[10];
                struct tcp_options o = { 0 };
                if (ob & 0x01) {
                        o.mss_ok = true;
                        o.mss = (uint16_t)(h[11] << 4);
                }
                if (ob & 0x02) {
                        o.ws_ok = true;
                        o.ws = h[11] & 15;
                }
                o.sack_ok = ob & 0x04;
                if (ob & 0x08) {
                        o.ts_ok = true;
                        o.tsval = 1000 + get_be16(h + 12);
                        o.tsecr = fl->ts_recent;
                }
                if (ob & 0x10) {
                        o.nsack = 1;
                        o.sack[0][0] = fl->stack_max - 2000;
                        o.sack[0][1] = fl->stack_max - 1000;
                }
                const uint8_t *raw = NULL;
                size_t raw_len = 0;
                if (ob & 0x20) {
                        raw = payload;
                        raw_len = plen < 40 ? plen : 40;
                        payload += raw_len;
                        plen -= raw_len;
                }
                int doff = (ob & 0x40) ? (h[14] & 0x0f) : -1;
                inject(&w, sport, dport, seq, ack, h[1], get_be16(h + 11), &o, raw, raw_len, doff,
                       h[0] & 0x04, payload, plen);
                if ((h[0] & 0x08) && target == 0)
                        fl->peer_nxt = seq + (uint32_t)plen + ((h[1] & TCPF_SYN) ? 1 : 0) +
                                       ((h[1] & TCPF_FIN) ? 1 : 0);
                run(&w, 0);
                absorb(&w);

                uint8_t act = h[15];
                if ((act & 0x01) && w.est >= 0)
                        while (strata_recv(w.ns, w.est, io, sizeof(io), MSG_DONTWAIT) > 0)
                                ;
                if ((act & 0x02) && w.est >= 0) {
                        size_t n = 1 + (size_t)((h[13] << 4) % 4000);
                        memset(io, 'q', n);
                        strata_send(w.ns, w.est, io, n, MSG_DONTWAIT | MSG_NOSIGNAL);
                }
                if ((act & 0x04) && w.est >= 0)
                        strata_shutdown(w.ns, w.est, SHUT_WR);
                if ((act & 0x08) && w.est >= 0) {
                        ASSERT(strata_close(w.ns, w.est) == 0);
                        w.est = -1;
                }
                if ((act & 0x10) && naccepted < MAX_RECS) {
                        int fd = strata_accept4(w.ns, w.listener, NULL, NULL, SOCK_NONBLOCK);
                        ASSERT(fd >= 0 || fd == -EAGAIN);
                        if (fd >= 0)
                                accepted[naccepted++] = fd;
                }
                run(&w, advance_ns[act >> 5]);
                absorb(&w);
                /* one connection's worth of buffers, and a few in flight */
                ASSERT(skb_pool_outstanding(w.ns->net->pool) <= 2048);
        }
        for (int i = 0; i < naccepted; i++)
                ASSERT(strata_close(w.ns, accepted[i]) == 0);
        world_down(&w);
        return 0;
}
