/*
 * libFuzzer target: the UDP receive path, from the wire to recvmsg.
 *
 * One namespace with a probe device (10.0.0.2/24; the peer is 10.0.0.1) and
 * three UDP sockets: A bound to 0.0.0.0:53, B bound to 10.0.0.2:5353 and
 * connected to 10.0.0.1:53, C bound to 0.0.0.0:123 with IP_PKTINFO and the
 * smallest SO_RCVBUF.  Each input is a sequence of records; each record
 * becomes one Ethernet + IPv4 + UDP frame addressed to us (or to a
 * broadcast), or an ICMP error quoting such a datagram, which is injected;
 * then the sockets are drained with non-blocking recvmsg (unless the record
 * says to hold, so bursts meet the small buffer).
 *
 * A record is a 12-byte header and its payload:
 *   [0]     flags: 0x01 corrupt the UDP checksum (xor [7..8]), 0x02 send a
 *           zero checksum ("none"), 0x04 UDP length field from [7..8],
 *           0x08 IP MF, 0x10 IP fragment offset [9], 0x20 hold (no drain
 *           after this frame), 0x40 to a broadcast address, 0x80 wrap in an
 *           ICMP error (type [9], code [10]) from the source
 *   [1]     addresses: bits 0-1 source 10.0.0.1 / 10.0.0.7 / 10.0.0.2 (our
 *           own) / 192.0.2.1; bit 2 broadcast 255.255.255.255 or 10.0.0.255;
 *           bit 3 destination 10.0.0.9 (not ours) instead of 10.0.0.2
 *   [2]     ports: bits 0-1 destination 53 / 5353 / 123 / [5..6]; bits 2-3
 *           source 53 / 5353 / 40000 / [5..6]
 *   [3..4]  payload length (big-endian; at most 1472 and what is left)
 *   [5..6]  a raw port;  [7..8] checksum xor or UDP length;  [9], [10]
 *           as above;  [11] bits 0-5: bytes of link-layer padding after
 *           the IP packet
 *
 * Whatever the bytes, nothing may crash, read out of bounds or leak, and
 * what the sockets return must be what Linux returns.  For a plain frame
 * (from 10.0.0.1 to 10.0.0.2, not a fragment, sockets empty before, drained
 * after) the outcome is checked exactly: a UDP length outside 8..IP payload
 * is Udp.InErrors; a bad checksum is Udp.InCsumErrors + InErrors and never
 * reaches the application; otherwise exactly the addressed socket (or none:
 * Udp.NoPorts) receives exactly the datagram (trimmed to the UDP length),
 * with the right source and, on C, the right IP_PKTINFO.  Always: FIONREAD
 * equals the length the next recvmsg returns, Udp.InDatagrams grows by the
 * datagrams read, and packet buffers held after a drain stay bounded.
 * Violations abort, so libFuzzer keeps the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../sim/probe.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define ASSERT(c)                                                                                  \
        do {                                                                                       \
                if (!(c))                                                                          \
                        abort();                                                                   \
        } while (0)

#define LOCAL 0x0a000002u /* 10.0.0.2, host order */
#define PEER  0x0a000001u /* 10.0.0.1 */

#define F_BADCSUM  0x01
#define F_ZEROCSUM 0x02
#define F_ULEN     0x04
#define F_MF       0x08
#define F_FRAGOFF  0x10
#define F_HOLD     0x20
#define F_BCAST    0x40
#define F_ICMP     0x80

#define REC_HLEN  12
#define MAX_PLEN  1472
#define NSOCKS    3
#define MAX_DRAIN 4096 /* datagrams one drain may return: far above any queue */

static struct strata_clock *clock_;
static struct strata_net *ns;
static struct probe probe;
static int socks[NSOCKS]; /* A, B, C as above */
static const uint16_t sock_port[NSOCKS] = { 53, 5353, 123 };

/* What one drain of one socket returned. */
struct got {
        int n;      /* datagrams */
        size_t len; /* of the last one */
        uint8_t data[MAX_PLEN];
        struct sockaddr_in from;
        bool pktinfo; /* the last one carried IP_PKTINFO */
        struct in_pktinfo pi;
};

static void teardown(void)
{
        for (int i = 0; i < NSOCKS; i++)
                strata_close(ns, socks[i]);
        probe_drain(&probe);
        strata_net_free(ns);
        strata_clock_free(clock_);
}

static uint64_t counter(const char *name)
{
        uint64_t v = 0;
        ASSERT(strata_counter(ns, name, &v) == 0);
        return v;
}

static int bound_socket(uint32_t addr, uint16_t port)
{
        int fd = strata_socket(ns, AF_INET, SOCK_DGRAM, 0);
        ASSERT(fd >= 0);
        struct sockaddr_in s = { .sin_family = AF_INET,
                                 .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(addr) };
        ASSERT(strata_bind(ns, fd, (struct sockaddr *)&s, sizeof(s)) == 0);
        ASSERT(strata_fcntl(ns, fd, F_SETFL, O_NONBLOCK) == 0);
        return fd;
}

/* The peer asks who has 10.0.0.2: we learn its MAC, and our ICMP errors to
 * it go out instead of waiting for resolution. */
static void peer_arp(void)
{
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t f[64];
        size_t n = probe_arp_frame(&probe, f, ARPOP_REQUEST, PEER, LOCAL, bcast);
        probe_inject(&probe, f, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        /* probe.h helpers this target has no use for */
        (void)probe_take;
        (void)probe_echo_frame;
        (void)probe_ipv4_frame;
        clock_ = strata_clock_new(true);
        if (strata_net_new("fuzz", clock_, 1, &ns) || probe_create(ns->net, "probe0", &probe) ||
            strata_addr_add(ns, "probe0", "10.0.0.2/24"))
                abort();
        probe.keep = false; /* what the stack sends is freed at once */
        socks[0] = bound_socket(0, 53);
        socks[1] = bound_socket(LOCAL, 5353);
        struct sockaddr_in peer = { .sin_family = AF_INET,
                                    .sin_port = htons(53),
                                    .sin_addr.s_addr = htonl(PEER) };
        ASSERT(strata_connect(ns, socks[1], (struct sockaddr *)&peer, sizeof(peer)) == 0);
        socks[2] = bound_socket(0, 123);
        int one = 1;
        ASSERT(strata_setsockopt(ns, socks[2], IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0);
        ASSERT(strata_setsockopt(ns, socks[2], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) == 0);
        peer_arp();
        strata_sim_run(&ns, 1, strata_clock_now(clock_) + 1000000ull);
        atexit(teardown);
        return 0;
}

/* Read everything queued on socket i into g (the last datagram kept). */
static void drain(int i, struct got *g)
{
        static uint8_t buf[65536];
        union {
                struct cmsghdr align;
                uint8_t b[256];
        } ctl;
        g->n = 0;
        for (int k = 0;; k++) {
                ASSERT(k < MAX_DRAIN);
                int avail = -1;
                ASSERT(strata_ioctl(ns, socks[i], FIONREAD, &avail) == 0);
                struct iovec iov = { buf, sizeof(buf) };
                struct sockaddr_in from;
                struct msghdr mh = { .msg_name = &from,
                                     .msg_namelen = sizeof(from),
                                     .msg_iov = &iov,
                                     .msg_iovlen = 1,
                                     .msg_control = ctl.b,
                                     .msg_controllen = sizeof(ctl.b) };
                ssize_t r = strata_recvmsg(ns, socks[i], &mh, MSG_DONTWAIT);
                if (r == -EAGAIN) {
                        ASSERT(avail == 0);
                        return;
                }
                if (r < 0) {
                        /* a pending error from an ICMP message: only the
                         * connected socket hears of those */
                        ASSERT(i == 1 && r != -EBADF && r != -EINVAL && r != -EFAULT);
                        continue;
                }
                ASSERT(r == avail);
                ASSERT(r <= MAX_PLEN);
                ASSERT(!(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
                ASSERT(mh.msg_namelen == sizeof(from) && from.sin_family == AF_INET);
                g->n++;
                g->len = (size_t)r;
                memcpy(g->data, buf, (size_t)r);
                g->from = from;
                g->pktinfo = false;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                                ASSERT(c->cmsg_len == CMSG_LEN(sizeof(struct in_pktinfo)));
                                memcpy(&g->pi, CMSG_DATA(c), sizeof(g->pi));
                                g->pktinfo = true;
                        }
                }
                /* IP_PKTINFO exactly where it was asked for */
                ASSERT(g->pktinfo == (i == 2));
                if (g->pktinfo)
                        ASSERT(g->pi.ipi_ifindex == probe.dev->ifindex);
        }
}

struct record {
        uint8_t flags, addrs, ports;
        size_t plen;
        uint16_t raw_port, raw16;
        uint8_t b9, b10, pad;
        const uint8_t *payload;
};

static uint16_t pick_port(unsigned sel, uint16_t raw, uint16_t a, uint16_t b, uint16_t c)
{
        return sel == 0 ? a : sel == 1 ? b : sel == 2 ? c : raw;
}

/* UDP header + payload at udp; returns whether the checksum field verifies
 * (or says "none") for the bytes the receiver keeps. */
static bool emit_udp(const struct record *r, uint8_t *udp, uint32_t saddr, uint32_t daddr,
                     uint16_t sport, uint16_t dport, uint16_t ulen)
{
        size_t total = 8 + r->plen;
        put_be16(udp, sport);
        put_be16(udp + 2, dport);
        put_be16(udp + 4, ulen);
        put_be16(udp + 6, 0);
        memcpy(udp + 8, r->payload, r->plen);
        /* correct for the datagram as trimmed to its length field when that
         * is sane, for the whole IP payload otherwise */
        size_t clen = ulen >= 8 && ulen <= total ? ulen : total;
        uint16_t c =
            csum_fold(csum_partial(udp, clen, csum_tcpudp_ipv4(saddr, daddr, 17, (uint16_t)clen)));
        if (c == 0)
                c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
        uint16_t field = c;
        if (r->flags & F_ZEROCSUM)
                field = 0;
        else if (r->flags & F_BADCSUM)
                field = c ^ (r->raw16 ? r->raw16 : 1);
        put_be16(udp + 6, field);
        return field == 0 || field == c;
}

/* Build one frame into f; returns its length.  *plain tells whether the
 * outcome is predictable (see the top). */
static size_t build(const struct record *r, uint8_t *f, bool *plain, bool *csum_ok,
                    uint16_t *ulen_out, uint16_t *sport_out, uint16_t *dport_out)
{
        static const uint32_t srcs[4] = { PEER, 0x0a000007u, LOCAL, 0xc0000201u };
        uint32_t saddr = srcs[r->addrs & 3];
        uint32_t daddr = LOCAL;
        if (r->flags & F_BCAST)
                daddr = (r->addrs & 4) ? 0xffffffffu : 0x0a0000ffu;
        else if (r->addrs & 8)
                daddr = 0x0a000009u;
        uint16_t dport = pick_port(r->ports & 3, r->raw_port, 53, 5353, 123);
        uint16_t sport = pick_port((r->ports >> 2) & 3, r->raw_port, 53, 5353, 40000);
        uint16_t ulen = (r->flags & F_ULEN) ? r->raw16 : (uint16_t)(8 + r->plen);
        uint16_t frag =
            (uint16_t)(((r->flags & F_MF) ? IP_MF : 0) | ((r->flags & F_FRAGOFF) ? r->b9 : 0));

        struct eth_repr e;
        memset(e.dst, 0xff, 6);
        if (!(r->flags & F_BCAST) || (r->flags & F_ICMP))
                memcpy(e.dst, probe.dev->dev_addr, 6);
        memcpy(e.src, probe.peer_mac, 6);
        e.ethertype = ETH_P_IP;
        eth_emit(&e, f, ETH_HLEN);
        uint8_t *ip = f + ETH_HLEN;
        size_t udp_total = 8 + r->plen;
        size_t ip_len;
        if (!(r->flags & F_ICMP)) {
                *csum_ok = emit_udp(r, ip + 20, saddr, daddr, sport, dport, ulen);
                ip_len = 20 + udp_total;
                struct ipv4_repr h = { .ihl = 20,
                                       .tot_len = (uint16_t)ip_len,
                                       .id = 7,
                                       .frag_off = frag,
                                       .ttl = 64,
                                       .protocol = IPPROTO_UDP_,
                                       .saddr = saddr,
                                       .daddr = daddr };
                ipv4_emit(&h, NULL, ip, 20);
        } else {
                /* An ICMP error from saddr about a datagram we sent it: the
                 * quote is from us (sport = the port of ours) to saddr. */
                uint8_t *quote = ip + 20 + 8;
                emit_udp(r, quote + 20, LOCAL, saddr, dport, sport, ulen);
                struct ipv4_repr q = { .ihl = 20,
                                       .tot_len = (uint16_t)(20 + udp_total),
                                       .id = 9,
                                       .frag_off = frag,
                                       .ttl = 64,
                                       .protocol = IPPROTO_UDP_,
                                       .saddr = LOCAL,
                                       .daddr = saddr };
                ipv4_emit(&q, NULL, quote, 20);
                /* quote all, or only the header and 8 bytes, as routers do */
                size_t qlen = (r->b10 & 0x80) ? 28 : 20 + udp_total;
                struct icmp_repr ic = { .type = r->b9 < 128 ? ICMP_DEST_UNREACH : r->b9 & 0x1f,
                                        .code = r->b10 & 0x1f,
                                        .rest = r->raw_port,
                                        .payload = quote,
                                        .payload_len = qlen };
                icmp_emit(&ic, ip + 20, 8 + qlen);
                if (r->flags & F_BADCSUM)
                        ip[20 + 2] ^= 0x5a;
                ip_len = 20 + 8 + qlen;
                struct ipv4_repr h = { .ihl = 20,
                                       .tot_len = (uint16_t)ip_len,
                                       .id = 8,
                                       .ttl = 64,
                                       .protocol = IPPROTO_ICMP_,
                                       .saddr = saddr,
                                       .daddr = daddr };
                ipv4_emit(&h, NULL, ip, 20);
                *csum_ok = false;
        }
        size_t pad = r->pad & 0x3f;
        memset(ip + ip_len, 0, pad);
        *plain =
            !(r->flags & (F_ICMP | F_MF | F_FRAGOFF | F_BCAST)) && saddr == PEER && daddr == LOCAL;
        *ulen_out = ulen;
        *sport_out = sport;
        *dport_out = dport;
        return ETH_HLEN + ip_len + pad;
}

/* Which socket a sane datagram from 10.0.0.1:sport to 10.0.0.2:dport
 * belongs to; -1: none. */
static int owner(uint16_t sport, uint16_t dport)
{
        if (dport == 53)
                return 0;
        if (dport == 5353 && sport == 53)
                return 1;
        if (dport == 123)
                return 2;
        return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t frame[ETH_HLEN + 20 + 8 + 20 + 8 + MAX_PLEN + 64];
        static struct got got[NSOCKS];
        bool clean = true; /* every socket queue is empty */
        long read_total = 0;
        uint64_t in_dgrams0 = counter("Udp.InDatagrams");
        peer_arp();
        strata_sim_run(&ns, 1, strata_clock_now(clock_) + 1000000ull);
        size_t off = 0;
        while (off + REC_HLEN <= size) {
                const uint8_t *h = data + off;
                struct record r = { .flags = h[0],
                                    .addrs = h[1],
                                    .ports = h[2],
                                    .plen = get_be16(h + 3),
                                    .raw_port = get_be16(h + 5),
                                    .raw16 = get_be16(h + 7),
                                    .b9 = h[9],
                                    .b10 = h[10],
                                    .pad = h[11] };
                off += REC_HLEN;
                if (r.plen > MAX_PLEN)
                        r.plen = MAX_PLEN;
                if (r.plen > size - off)
                        r.plen = size - off;
                r.payload = data + off;
                off += r.plen;

                bool plain, csum_ok;
                uint16_t ulen, sport, dport;
                size_t len = build(&r, frame, &plain, &csum_ok, &ulen, &sport, &dport);
                bool drained = !(r.flags & F_HOLD);
                bool exact = plain && clean && drained;
                uint64_t in_err = counter("Udp.InErrors");
                uint64_t csum_err = counter("Udp.InCsumErrors");
                uint64_t noports = counter("Udp.NoPorts");

                probe_inject(&probe, frame, len);
                strata_sim_run(&ns, 1, strata_clock_now(clock_) + 10 * 1000000ull);
                if (!drained) {
                        clean = false;
                        continue;
                }
                for (int i = 0; i < NSOCKS; i++) {
                        drain(i, &got[i]);
                        read_total += got[i].n;
                }
                clean = true;
                if (!exact)
                        continue;

                bool len_ok = ulen >= 8 && ulen <= 8 + r.plen;
                int want = len_ok && csum_ok ? owner(sport, dport) : -1;
                for (int i = 0; i < NSOCKS; i++)
                        ASSERT(got[i].n == (i == want));
                if (!len_ok) {
                        ASSERT(counter("Udp.InErrors") == in_err + 1);
                        ASSERT(counter("Udp.InCsumErrors") == csum_err);
                        ASSERT(counter("Udp.NoPorts") == noports);
                } else if (!csum_ok) {
                        ASSERT(counter("Udp.InErrors") == in_err + 1);
                        ASSERT(counter("Udp.InCsumErrors") == csum_err + 1);
                        ASSERT(counter("Udp.NoPorts") == noports);
                } else {
                        ASSERT(counter("Udp.InErrors") == in_err);
                        ASSERT(counter("Udp.NoPorts") == noports + (want < 0));
                }
                if (want < 0)
                        continue;
                const struct got *g = &got[want];
                ASSERT(g->len == (size_t)ulen - 8);
                ASSERT(memcmp(g->data, r.payload, g->len) == 0);
                ASSERT(ntohl(g->from.sin_addr.s_addr) == PEER);
                ASSERT(ntohs(g->from.sin_port) == sport);
                ASSERT(sock_port[want] == dport);
                if (want == 2) {
                        ASSERT(ntohl(g->pi.ipi_addr.s_addr) == LOCAL);
                        ASSERT(ntohl(g->pi.ipi_spec_dst.s_addr) == LOCAL);
                }
        }
        if (!clean) {
                for (int i = 0; i < NSOCKS; i++) {
                        drain(i, &got[i]);
                        read_total += got[i].n;
                }
        }
        /* Udp.InDatagrams counts the datagrams applications read */
        ASSERT(counter("Udp.InDatagrams") - in_dgrams0 == (uint64_t)read_total);
        /* Drained, the stack holds at most what waits for a neighbour. */
        ASSERT(skb_pool_outstanding(ns->net->pool) <= 512);
        return 0;
}
