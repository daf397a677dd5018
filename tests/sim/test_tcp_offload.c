/*
 * TCP's transmit offloads, on the simulated clock with a probe device
 * playing the peer (10.0.0.1) and Strata listening on 10.0.0.2:80:
 *
 *  - A device without NETIF_F_HW_CSUM (TAP, a real wire) gets every
 *    segment with its checksum computed (skb_checksum_help at transmit).
 *  - A device with it (veth, lo) gets CHECKSUM_PARTIAL: the field holds the
 *    pseudo-header sum and the device's would-be sum verifies; the data
 *    segment is a clone sharing the write-queue skb's buffer (no copy).
 *  - A retransmission while the first transmission is still held (in a
 *    queue, at a receiver) is built in a buffer of its own: the held
 *    segment's header is not overwritten.  Once the first one is gone, the
 *    next retransmission is a clone again.
 *  - A pcap capture on an offloading device writes the checksum the device
 *    would compute, so the file verifies.
 *  - Between two namespaces over veth, a transfer stays byte-exact with
 *    every data segment received CHECKSUM_PARTIAL, and no checksum drop.
 * Each case ends with a leak check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "../test.h"
#include "probe.h"
#include "tcp_peer.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

static void send_seg(struct w *w, uint8_t flags, uint32_t seq, const void *data, size_t dlen)
{
        struct tcp_repr th = { .sport = 40000, .dport = 80, .seq = seq, .ack = w->stack_nxt,
                               .flags = flags, .window = 65535 };
        if (flags & TCPF_SYN)
                th.opt = (struct tcp_options){ .mss_ok = true, .mss = 1460 };
        peer_emit(w, &th, NULL, 0, data, dlen);
}

static void setup(struct w *w, const char *name, unsigned features)
{
        memset(w, 0, sizeof(*w));
        peer_lab_up(w, name);
        w->probe.dev->features = features;
        send_seg(w, TCPF_SYN, w->peer_nxt, NULL, 0);
        run(w, MSEC);
        struct tcp_repr th;
        size_t plen;
        CHECK(take_seg(w, &th, &plen));
        CHECK_EQ(th.flags, TCPF_SYN | TCPF_ACK);
        w->peer_nxt++;
        w->stack_nxt = th.seq + 1;
        send_seg(w, TCPF_ACK, w->peer_nxt, NULL, 0);
        run(w, MSEC);
        w->s = strata_accept(w->ns, w->l, NULL, NULL);
        CHECK(w->s >= 0);
}

/* The next TCP frame the stack sent, still as an skb (data at the Ethernet
 * header), or NULL; *tcp set to its TCP header. */
static struct sk_buff *take_tcp(struct w *w, uint8_t **tcp, size_t *tcp_len)
{
        struct sk_buff *skb;
        while ((skb = probe_take(&w->probe))) {
                uint8_t *f = skb->data;
                if (skb->len >= 54 && get_be16(f + 12) == ETH_P_IP && f[23] == 6) {
                        unsigned ihl = (f[14] & 0xf) * 4u, tot = get_be16(f + 16);
                        *tcp = f + 14 + ihl;
                        *tcp_len = tot - ihl;
                        return skb;
                }
                consume_skb(skb);
        }
        return NULL;
}

/* Does the segment verify once the device's sum is in (as a receiver on
 * the far side of the device would check it)? */
static bool seg_verifies(struct sk_buff *skb, uint8_t *tcp, size_t len)
{
        uint8_t copy[2048];
        if (len > sizeof(copy))
                return false;
        memcpy(copy, tcp, len);
        if (skb->csum_partial) {
                size_t off = (size_t)(skb->head + skb->csum_start + skb->csum_offset - tcp);
                if (off + 2 > len)
                        return false;
                put_be16(copy + off, skb_csum_partial_value(skb));
        }
        return tcp_csum_ok_ipv4(LOCAL, PEER, copy, len);
}

static void plain_device_gets_full_checksum(void)
{
        struct w w;
        setup(&w, "csum-plain", 0);
        CHECK_EQ(strata_send(w.ns, w.s, "hello, wire", 11, 0), 11);
        run(&w, MSEC);
        uint8_t *tcp;
        size_t len;
        struct sk_buff *skb = take_tcp(&w, &tcp, &len);
        CHECK(skb != NULL);
        if (skb) {
                CHECK_EQ(len, 20u + 11u);
                CHECK(!skb->csum_partial);
                CHECK(tcp_csum_ok_ipv4(LOCAL, PEER, tcp, len)); /* as it is on the wire */
                consume_skb(skb);
        }
        teardown(&w);
}

static void offload_device_gets_partial_clone(void)
{
        struct w w;
        setup(&w, "csum-offload", NETIF_F_HW_CSUM);
        CHECK_EQ(strata_send(w.ns, w.s, "hello, veth", 11, 0), 11);
        run(&w, MSEC);
        uint8_t *tcp;
        size_t len;
        struct sk_buff *first = take_tcp(&w, &tcp, &len);
        CHECK(first != NULL);
        if (!first) {
                teardown(&w);
                return;
        }
        CHECK_EQ(len, 20u + 11u);
        CHECK(first->csum_partial);
        CHECK(skb_cloned(first)); /* shares the write-queue skb's payload */
        /* the field holds the pseudo-header sum, folded, not complemented */
        CHECK_EQ(get_be16(tcp + 16),
                 (uint16_t)~csum_fold(csum_tcpudp_ipv4(LOCAL, PEER, 6, (uint16_t)len)));
        CHECK(seg_verifies(first, tcp, len));
        uint32_t seq = get_be32(tcp + 4);
        uint8_t hdr[20];
        memcpy(hdr, tcp, sizeof(hdr));

        /* no ACK: the RTO fires while the first transmission is held here */
        run(&w, 1500 * MSEC);
        uint8_t *tcp2;
        size_t len2;
        struct sk_buff *second = take_tcp(&w, &tcp2, &len2);
        CHECK(second != NULL);
        if (second) {
                CHECK_EQ(get_be32(tcp2 + 4), seq);
                CHECK(tcp2 != tcp);        /* a buffer of its own */
                CHECK(!skb_cloned(second)); /* the copy path */
                CHECK(seg_verifies(second, tcp2, len2));
                CHECK_MEM(tcp2 + 20, "hello, veth", 11);
                consume_skb(second);
        }
        /* the held segment is as it was sent */
        CHECK_MEM(tcp, hdr, sizeof(hdr));
        CHECK(seg_verifies(first, tcp, len));
        CHECK_MEM(tcp + 20, "hello, veth", 11);
        consume_skb(first);
        probe_drain(&w.probe);

        /* nothing holds the buffer now: the next retransmission clones */
        run(&w, 3000 * MSEC);
        struct sk_buff *third = take_tcp(&w, &tcp, &len);
        CHECK(third != NULL);
        if (third) {
                CHECK_EQ(get_be32(tcp + 4), seq);
                CHECK(skb_cloned(third));
                CHECK(seg_verifies(third, tcp, len));
                consume_skb(third);
        }
        /* acknowledge, so teardown runs a normal close */
        w.stack_nxt = seq + 11;
        send_seg(&w, TCPF_ACK, w.peer_nxt, NULL, 0);
        run(&w, MSEC);
        probe_drain(&w.probe);
        teardown(&w);
}

static void pcap_on_offload_device_verifies(void)
{
        struct w w;
        setup(&w, "csum-pcap", NETIF_F_HW_CSUM);
        char path[] = "/tmp/strata-offload-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        close(fd);
        CHECK_EQ(strata_capture(w.ns, "probe0", path), 0);
        static const char msg[] = "captured as the device sends it";
        CHECK_EQ(strata_send(w.ns, w.s, msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
        run(&w, MSEC);
        uint8_t *tcp;
        size_t len;
        struct sk_buff *skb = take_tcp(&w, &tcp, &len);
        CHECK(skb && skb->csum_partial);
        if (skb)
                consume_skb(skb);
        CHECK_EQ(strata_capture(w.ns, "probe0", NULL), 0);

        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        uint8_t buf[4096];
        size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
        if (f)
                fclose(f);
        unlink(path);
        /* global header (24), then records: 16-byte header + frame */
        int tcp_frames = 0, good = 0;
        for (size_t off = 24; off + 16 <= n;) {
                uint32_t incl;
                memcpy(&incl, buf + off + 8, 4);
                const uint8_t *fr = buf + off + 16;
                if (off + 16 + incl > n)
                        break;
                if (incl >= 54 && get_be16(fr + 12) == ETH_P_IP && fr[23] == 6) {
                        unsigned ihl = (fr[14] & 0xf) * 4u, tot = get_be16(fr + 16);
                        tcp_frames++;
                        if (tcp_csum_ok_ipv4(LOCAL, PEER, fr + 14 + ihl, tot - ihl))
                                good++;
                }
                off += 16 + incl;
        }
        CHECK(tcp_frames >= 1);
        CHECK_EQ(good, tcp_frames);
        w.stack_nxt += sizeof(msg);
        send_seg(&w, TCPF_ACK, w.peer_nxt, NULL, 0);
        run(&w, MSEC);
        probe_drain(&w.probe);
        teardown(&w);
}

/* --- two namespaces over veth ------------------------------------------- */

struct rx_tap {
        struct packet_tap tap;
        int data_segs, partial;
};

static void rx_tap_fn(struct packet_tap *tap, struct net_device *dev, const struct sk_buff *skb,
                      bool outgoing)
{
        struct rx_tap *t = (struct rx_tap *)tap;
        const uint8_t *f = skb->data;
        if (outgoing || skb->len < 54 || get_be16(f + 12) != ETH_P_IP || f[23] != 6)
                return;
        unsigned ihl = (f[14] & 0xf) * 4u, tot = get_be16(f + 16);
        unsigned doff = (f[14 + ihl + 12] >> 4) * 4u;
        if (tot <= ihl + doff)
                return;
        t->data_segs++;
        if (skb->csum_partial)
                t->partial++;
}

static void veth_transfer_exact(void)
{
        struct strata_clock *clock = strata_clock_new(true);
        struct strata_net *ns[2];
        CHECK_EQ(strata_net_new("a", clock, 1, &ns[0]), 0);
        CHECK_EQ(strata_net_new("b", clock, 2, &ns[1]), 0);
        CHECK_EQ(strata_veth_add(ns[0], "veth0", ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(ns[1], "veth0", true), 0);
        struct rx_tap t = { .tap.fn = rx_tap_fn };
        struct net_device *bdev = dev_get_by_name(ns[1]->net, "veth0");
        dev_add_tap(bdev, &t.tap);

        int l = strata_socket(ns[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(80) };
        CHECK_EQ(strata_bind(ns[1], l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(ns[1], l, 4), 0);
        int c = strata_socket(ns[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80) };
        inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
        CHECK_EQ(strata_connect(ns[0], c, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        strata_sim_run(ns, 2, strata_clock_now(clock) + MSEC);
        int s = strata_accept(ns[1], l, NULL, NULL);
        CHECK(s >= 0);

        enum { N = 1 << 20 };
        static uint8_t out[N], in[N];
        for (int i = 0; i < N; i++)
                out[i] = (uint8_t)(i * 13 + (i >> 9));
        size_t sent = 0, got = 0;
        for (int round = 0; got < N && round < 100000; round++) {
                if (sent < N) {
                        ssize_t n = strata_send(ns[0], c, out + sent, N - sent, 0);
                        if (n > 0)
                                sent += (size_t)n;
                }
                strata_sim_run(ns, 2, strata_clock_now(clock) + 10000);
                ssize_t r = strata_recv(ns[1], s, in + got, N - got, 0);
                if (r > 0)
                        got += (size_t)r;
        }
        CHECK_EQ(got, (size_t)N);
        CHECK_MEM(in, out, N);
        CHECK(t.data_segs > 0);
        CHECK_EQ(t.partial, t.data_segs);
        uint64_t csum_drops = 0;
        CHECK_EQ(strata_counter(ns[1], "Tcp.InCsumErrors", &csum_drops), 0);
        CHECK_EQ(csum_drops, 0);

        dev_remove_tap(bdev, &t.tap);
        strata_close(ns[0], c);
        strata_close(ns[1], s);
        strata_close(ns[1], l);
        strata_sim_run(ns, 2, strata_clock_now(clock) + 200 * SEC);
        for (int i = 0; i < 2; i++)
                CHECK_EQ(skb_pool_outstanding(ns[i]->net->pool), 0);
        strata_net_free(ns[1]);
        strata_net_free(ns[0]);
        strata_clock_free(clock);
}

TEST_MAIN(T(plain_device_gets_full_checksum), T(offload_device_gets_partial_clone),
          T(pcap_on_offload_device_verifies), T(veth_transfer_exact))
