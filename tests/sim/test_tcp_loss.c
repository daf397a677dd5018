/*
 * TCP under impairment on the simulated clock: what Linux does when the
 * wire loses, reorders, duplicates, corrupts and delays segments, when a
 * reader stops reading, when both ends close at once, when a connection is
 * closed with unread data, when the peer never answers, and how long
 * TIME_WAIT lasts -- with exact times and counters wherever Linux is exact.
 *
 * The wire.  Two namespaces, a (10.0.0.1) and b (10.0.0.2), joined by a
 * pair of devices this test registers itself ("eth0" in each, through
 * netdev_register/ether_setup as tests/sim/probe.h does): a fault-injecting
 * veth.  A frame sent on one end is, per direction and with a seeded RNG,
 * dropped, corrupted (one byte of the TCP header or payload flipped, so the
 * receiver's checksum must catch it), duplicated, held back (reordered:
 * later frames overtake it) and delayed, then handed to the other end with
 * netif_rx.  Delayed frames wait on a queue released by a timer on the
 * sending namespace's timer wheel, so strata_sim_run jumps straight to the
 * moment they arrive.  Unlike the in-memory veth the frames are not marked
 * checksum-verified.  A congested router is imitated too: an ECN-capable
 * (ECT) frame may be marked CE instead of dropped (RFC 3168), the IP
 * checksum patched as a router does; and a bottleneck: a rate and an
 * unbounded queue in front of it, whose growth HyStart should notice.  Every TCP segment that enters the wire is logged
 * (time, flags, seq, ack, length, window, dropped or not), so the tests can
 * check what Linux's tcpdump would show: SYN retransmission times, RTO
 * doubling, zero windows and zero-window probes.
 *
 * Checks that Linux makes exact but Strata may not yet meet are collected
 * with EXPECT (the case goes on and fails at its end with every mismatch),
 * so a deviation in a counter does not hide a data-integrity failure later
 * in the same case.  Each case ends with a leak check: once TIME_WAIT and
 * retransmissions have run out, every packet buffer is back in its pool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../test.h"
#include "api/api.h"
#include "core/net.h"
#include "core/netdev.h"
#include "core/timer.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define SEC  1000000000ull
#define MSEC 1000000ull

/* <netinet/tcp.h>'s states; <linux/tcp.h>, needed for its struct tcp_info
 * (tcpi_delivered_ce), does not name them */
enum { TCP_FIN_WAIT1 = 4, TCP_CLOSE = 7, TCP_CLOSING = 11 };

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* --- soft checks ------------------------------------------------------------ */

static char soft[2048];

#define EXPECT(cond)                                                                               \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        soft_add(__LINE__, "%s", #cond);                                           \
        } while (0)
#define EXPECT_EQ(a, b)                                                                            \
        do {                                                                                       \
                long long a_ = (long long)(a), b_ = (long long)(b);                                \
                if (a_ != b_)                                                                      \
                        soft_add(__LINE__, "%s == %s (%lld != %lld)", #a, #b, a_, b_);             \
        } while (0)

__attribute__((format(printf, 2, 3))) static void soft_add(int line, const char *fmt, ...)
{
        size_t n = strlen(soft);
        if (n + 64 >= sizeof(soft))
                return;
        n += (size_t)snprintf(soft + n, sizeof(soft) - n, "%sline %d: ", n ? "; " : "", line);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(soft + n, sizeof(soft) - n, fmt, ap);
        va_end(ap);
}

static void soft_done(void)
{
        if (soft[0]) {
                static char msg[sizeof(soft)];
                memcpy(msg, soft, sizeof(msg));
                soft[0] = 0;
                TEST_FAIL("%s", msg);
        }
}

/* --- the impairing wire ------------------------------------------------------ */

struct seg {
        uint64_t t;
        uint32_t seq, ack;
        uint16_t len, win;
        uint8_t flags;
        uint8_t ecn; /* the IP header's ECN field as sent */
        bool dropped;
};

struct seglog {
        struct seg v[8192];
        size_t n;
};

/* What happens to frames sent by one end; probabilities per 10000. */
struct impair {
        unsigned loss, corrupt, dup, reorder;
        unsigned ce; /* an ECT frame is marked CE */
        uint64_t rate; /* bytes per second through an unbounded queue (0: no limit) */
        uint64_t delay;         /* one way, every frame */
        uint64_t reorder_extra; /* added to a held-back frame */
        bool blackhole_tcp;     /* drop every TCP segment (ARP passes) */
};

struct link;

struct end {
        struct link *lk;
        int idx;
        struct net_device *dev;
        struct end *peer; /* NULL once the other end is gone */
        struct sk_buff_head q;
        struct timer_list timer;
        struct seglog log; /* TCP segments this end sent */
        uint64_t busy_until; /* the bottleneck is sending until then */
};

struct link {
        struct end e[2];
        struct impair imp[2]; /* by sending end */
        uint64_t rng;
        unsigned long dropped, corrupted, duplicated, reordered, ce_marked;
};

static uint64_t rnd(struct link *lk)
{
        /* splitmix64: every run with a seed is the same run */
        uint64_t z = (lk->rng += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static bool chance(struct link *lk, unsigned per10k)
{
        return per10k && rnd(lk) % 10000 < per10k;
}

static uint64_t release_time(struct sk_buff *skb)
{
        uint64_t t;
        memcpy(&t, skb->cb, sizeof(t));
        return t;
}

/* Parse an Ethernet + IPv4 + TCP frame; false if it is something else. */
static bool parse_tcp(const struct sk_buff *skb, struct seg *s)
{
        const uint8_t *f = skb->data;
        uint32_t len = skb->len;
        if (len < 14 + 20 + 20 || get_be16(f + 12) != 0x0800 || f[14 + 9] != 6)
                return false;
        unsigned ihl = (f[14] & 0xf) * 4u;
        unsigned tot = get_be16(f + 16);
        if (ihl < 20 || tot > len - 14 || tot < ihl + 20)
                return false;
        const uint8_t *t = f + 14 + ihl;
        unsigned doff = (t[12] >> 4) * 4u;
        if (doff < 20 || ihl + doff > tot)
                return false;
        s->ecn = f[15] & 3;
        s->seq = get_be32(t + 4);
        s->ack = get_be32(t + 8);
        s->flags = t[13];
        s->win = get_be16(t + 14);
        s->len = (uint16_t)(tot - ihl - doff);
        return true;
}

static void deliver(struct end *e, struct sk_buff *skb)
{
        if (!e->peer) {
                kfree_skb_reason(e->dev->net, skb, SKB_DROP_REASON_DEV_READY);
                return;
        }
        skb->dev = e->peer->dev;
        skb->pkt_type = PACKET_HOST;
        skb->mark = 0;
        skb->csum_unnecessary = 0; /* a real wire: checksums are verified */
        skb->mac_header = skb->network_header = skb->transport_header = SKB_NO_HDR;
        netif_rx(skb);
}

static void enqueue(struct end *e, struct sk_buff *skb, uint64_t at)
{
        memcpy(skb->cb, &at, sizeof(at));
        /* sorted by release time, FIFO among equals */
        struct sk_buff *pos = e->q.last;
        while (pos && release_time(pos) > at)
                pos = pos->prev;
        if (!pos) {
                skb->prev = NULL;
                skb->next = e->q.first;
                if (e->q.first)
                        e->q.first->prev = skb;
                else
                        e->q.last = skb;
                e->q.first = skb;
                e->q.qlen++;
        } else if (pos == e->q.last) {
                skb_queue_tail(&e->q, skb);
        } else {
                skb->prev = pos;
                skb->next = pos->next;
                pos->next->prev = skb;
                pos->next = skb;
                e->q.qlen++;
        }
        mod_timer(&e->dev->net->timers, &e->timer, release_time(e->q.first));
}

static void wire_timer(struct timer_list *t)
{
        struct end *e = (struct end *)((char *)t - offsetof(struct end, timer));
        uint64_t now = net_now(e->dev->net);
        while (e->q.first && release_time(e->q.first) <= now)
                deliver(e, skb_dequeue(&e->q));
        if (e->q.first)
                mod_timer(&e->dev->net->timers, &e->timer, release_time(e->q.first));
}

static int wire_xmit(struct sk_buff *skb, struct net_device *dev)
{
        struct end *e = dev->priv;
        struct link *lk = e->lk;
        const struct impair *im = &lk->imp[e->idx];
        struct net *net = dev->net;
        uint64_t now = net_now(net);
        dev_sw_tx_ok(dev, skb->len);
        skb_orphan(skb);
        struct seg s;
        bool tcp = parse_tcp(skb, &s);
        bool drop = !e->peer || (tcp && im->blackhole_tcp) || chance(lk, im->loss);
        if (tcp && e->log.n < sizeof(e->log.v) / sizeof(e->log.v[0])) {
                s.t = now;
                s.dropped = drop;
                e->log.v[e->log.n++] = s;
        }
        if (drop) {
                lk->dropped++;
                kfree_skb_reason(net, skb, SKB_DROP_REASON_QDISC_DROP);
                return NETDEV_TX_OK;
        }
        if (tcp && chance(lk, im->corrupt) && skb_unshare(net, skb) == 0) {
                unsigned ihl = (skb->data[14] & 0xf) * 4u;
                uint32_t from = 14 + ihl, span = skb->len - from;
                skb->data[from + rnd(lk) % span] ^= (uint8_t)(1 + rnd(lk) % 255);
                lk->corrupted++;
        }
        /* a congested router marks rather than drops what says it can take
         * the mark; the header checksum follows the changed byte */
        if (tcp && s.ecn && s.ecn != 3 && chance(lk, im->ce) && skb_unshare(net, skb) == 0) {
                uint16_t old = get_be16(skb->data + 14);
                skb->data[15] |= 3;
                csum_replace2(skb->data + 14 + 10, old, get_be16(skb->data + 14));
                lk->ce_marked++;
        }
        uint64_t at = now + im->delay;
        if (im->rate) {
                /* a bottleneck: frames queue behind each other, so the
                 * delay grows with what is in flight beyond the pipe */
                uint64_t start = e->busy_until > now ? e->busy_until : now;
                e->busy_until = start + (uint64_t)skb->len * 1000000000ull / im->rate;
                at = e->busy_until + im->delay;
        }
        if (chance(lk, im->reorder)) {
                at += im->reorder_extra;
                lk->reordered++;
        }
        if (chance(lk, im->dup)) {
                struct sk_buff *d = skb_copy(net, skb);
                if (d) {
                        lk->duplicated++;
                        enqueue(e, d, at);
                }
        }
        if (at == now && !e->q.first)
                deliver(e, skb);
        else
                enqueue(e, skb, at);
        return NETDEV_TX_OK;
}

static void wire_uninit(struct net_device *dev)
{
        struct end *e = dev->priv;
        skb_queue_purge_reason(dev->net, &e->q, SKB_DROP_REASON_DEV_GONE);
        del_timer(&dev->net->timers, &e->timer);
        if (e->peer)
                e->peer->peer = NULL;
        e->peer = NULL;
}

static const struct net_device_ops wire_ops = {
        .ndo_start_xmit = wire_xmit,
        .ndo_uninit = wire_uninit,
};

/* --- the lab ---------------------------------------------------------------- */

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
        struct link lk;
};

static struct lab lab_; /* big (segment logs): one at a time */

static void drive_all(struct strata_net *sn, uint64_t deadline, void *ctx)
{
        struct lab *lab = ctx;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        if (next > deadline)
                next = deadline;
        strata_sim_run(lab->ns, 2, next);
}

static uint64_t now(struct lab *lab)
{
        return strata_clock_now(lab->clock);
}

static struct lab *lab_up(const struct impair *ab, const struct impair *ba, uint64_t seed)
{
        struct lab *lab = &lab_;
        memset(lab, 0, sizeof(*lab));
        soft[0] = 0;
        lab->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("a", lab->clock, 1, &lab->ns[0]), 0);
        CHECK_EQ(strata_net_new("b", lab->clock, 2, &lab->ns[1]), 0);
        struct link *lk = &lab->lk;
        lk->rng = seed;
        if (ab)
                lk->imp[0] = *ab;
        if (ba)
                lk->imp[1] = *ba;
        for (int i = 0; i < 2; i++) {
                struct end *e = &lk->e[i];
                e->lk = lk;
                e->idx = i;
                e->peer = &lk->e[1 - i];
                skb_queue_init(&e->q);
                timer_setup(&e->timer, wire_timer);
                CHECK_EQ(netdev_register(lab->ns[i]->net, "eth0", &wire_ops, e, &e->dev), 0);
                ether_setup(e->dev);
                const uint8_t mac[6] = { 2, 0, 0, 0, 0, (uint8_t)(i + 1) };
                memcpy(e->dev->dev_addr, mac, 6);
        }
        CHECK_EQ(strata_addr_add(lab->ns[0], "eth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[1], "eth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[0], "eth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[1], "eth0", true), 0);
        strata_set_driver(lab->ns[0], drive_all, lab);
        strata_set_driver(lab->ns[1], drive_all, lab);
        return lab;
}

static void lab_down(struct lab *lab)
{
        /* the wire heals, then TIME_WAIT and retransmissions run out */
        memset(lab->lk.imp, 0, sizeof(lab->lk.imp));
        strata_sim_run(lab->ns, 2, now(lab) + 300 * SEC);
        long out0 = skb_pool_outstanding(lab->ns[0]->net->pool);
        long out1 = skb_pool_outstanding(lab->ns[1]->net->pool);
        strata_net_free(lab->ns[1]);
        strata_net_free(lab->ns[0]);
        strata_clock_free(lab->clock);
        CHECK_EQ(out0, 0);
        CHECK_EQ(out1, 0);
        soft_done();
}

/* Run both namespaces to the next thing that is due; false if nothing is. */
static bool lab_step(struct lab *lab)
{
        strata_sim_run(lab->ns, 2, now(lab));
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        if (next == UINT64_MAX)
                return false;
        strata_sim_run(lab->ns, 2, next);
        return true;
}

static void lab_run_for(struct lab *lab, uint64_t ns)
{
        strata_sim_run(lab->ns, 2, now(lab) + ns);
}

static uint64_t ctr(struct strata_net *n, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(n, name, &v), 0);
        return v;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, ip, &s.sin_addr);
        return s;
}

static struct tcp_info info(struct strata_net *n, int fd)
{
        struct tcp_info ti;
        memset(&ti, 0, sizeof(ti));
        socklen_t len = sizeof(ti);
        CHECK_EQ(strata_getsockopt(n, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        return ti;
}

/* A listener on b:8080 and a connection from a; *c on a, *s on b. */
static void connect_pair(struct lab *lab, int *c, int *s, int *l)
{
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        *l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
        CHECK(*l >= 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 8080);
        CHECK_EQ(strata_bind(b, *l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, *l, 16), 0);
        *c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK(*c >= 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 8080);
        CHECK_EQ(strata_connect(a, *c, (struct sockaddr *)&to, sizeof(to)), 0);
        *s = strata_accept(b, *l, NULL, NULL);
        CHECK(*s >= 0);
}

enum { XFER = 1 << 20 };
static uint8_t out_buf[XFER], in_buf[XFER];

static void fill_pattern(uint32_t seed)
{
        uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
        for (size_t i = 0; i < XFER; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                out_buf[i] = (uint8_t)x;
        }
}

/* Move n bytes from (sn, sfd) to (rn, rfd), both non-blocking, stepping the
 * lab when neither side can make progress; fails past max_ns. */
static void pump(struct lab *lab, struct strata_net *sn, int sfd, struct strata_net *rn, int rfd,
                 size_t already_sent, size_t already_got, size_t n, uint64_t max_ns)
{
        uint64_t t0 = now(lab);
        size_t sent = already_sent, got = already_got;
        while (got < n) {
                bool progress = false;
                if (sent < n) {
                        ssize_t k = strata_send(sn, sfd, out_buf + sent, n - sent, MSG_DONTWAIT);
                        if (k > 0) {
                                sent += (size_t)k;
                                progress = true;
                        } else if (k != -EAGAIN) {
                                TEST_FAIL("send after %zu bytes: %s", sent,
                                          strata_strerror((int)k));
                        }
                }
                ssize_t r = strata_recv(rn, rfd, in_buf + got, n - got, MSG_DONTWAIT);
                if (r > 0) {
                        got += (size_t)r;
                        progress = true;
                } else if (r == 0) {
                        TEST_FAIL("EOF after %zu of %zu bytes", got, n);
                } else if (r != -EAGAIN) {
                        TEST_FAIL("recv after %zu bytes: %s", got, strata_strerror((int)r));
                }
                if (!progress && !lab_step(lab))
                        TEST_FAIL("stalled after %zu of %zu bytes: nothing armed", got, n);
                if (now(lab) - t0 > max_ns)
                        TEST_FAIL("%zu of %zu bytes after %.1f s of simulated time", got, n,
                                  (double)(now(lab) - t0) / SEC);
        }
        CHECK_MEM(in_buf, out_buf, n);
}

/* Orderly close after a transfer: a closes, b reads EOF and closes. */
static void close_pair(struct lab *lab, int c, int s, int l)
{
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        CHECK_EQ(strata_close(a, c), 0);
        char x;
        uint64_t t0 = now(lab);
        ssize_t r;
        while ((r = strata_recv(b, s, &x, 1, MSG_DONTWAIT)) == -EAGAIN) {
                if (!lab_step(lab) || now(lab) - t0 > 120 * SEC)
                        TEST_FAIL("no EOF after close");
        }
        CHECK_EQ(r, 0);
        CHECK_EQ(strata_close(b, s), 0);
        CHECK_EQ(strata_close(b, l), 0);
}

/* 1 MB each way through an impaired wire (same impairment both ways). */
static void lossy_transfer(const struct impair *im, uint64_t seed, uint64_t bound_ns,
                           bool want_timeouts, bool want_fast)
{
        struct lab *lab = lab_up(im, im, seed);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        fill_pattern((uint32_t)seed);
        uint64_t t0 = now(lab);
        pump(lab, a, c, b, s, 0, 0, XFER, bound_ns);
        uint64_t t1 = now(lab);
        fill_pattern((uint32_t)seed + 1);
        pump(lab, b, s, a, c, 0, 0, XFER, bound_ns);
        uint64_t t2 = now(lab);
        printf("  %s: a->b %.3f s, b->a %.3f s; wire dropped %lu corrupted %lu duplicated %lu "
               "reordered %lu; a: RetransSegs %llu TCPTimeouts %llu TCPFastRetrans %llu; "
               "b: RetransSegs %llu\n",
               test_current, (double)(t1 - t0) / SEC, (double)(t2 - t1) / SEC, lab->lk.dropped,
               lab->lk.corrupted, lab->lk.duplicated, lab->lk.reordered,
               (unsigned long long)ctr(a, "Tcp.RetransSegs"),
               (unsigned long long)ctr(a, "TcpExt.TCPTimeouts"),
               (unsigned long long)ctr(a, "TcpExt.TCPFastRetrans"),
               (unsigned long long)ctr(b, "Tcp.RetransSegs"));
        if (im->loss) {
                CHECK(ctr(a, "Tcp.RetransSegs") > 0);
                CHECK(ctr(b, "Tcp.RetransSegs") > 0);
                CHECK(ctr(a, "TcpExt.TCPTimeouts") + ctr(a, "TcpExt.TCPFastRetrans") > 0);
        }
        if (want_timeouts)
                EXPECT(ctr(a, "TcpExt.TCPTimeouts") + ctr(b, "TcpExt.TCPTimeouts") > 0);
        if (want_fast)
                EXPECT(ctr(a, "TcpExt.TCPFastRetrans") + ctr(b, "TcpExt.TCPFastRetrans") > 0);
        if (im->corrupt)
                CHECK(ctr(a, "Tcp.InCsumErrors") + ctr(b, "Tcp.InCsumErrors") > 0);
        close_pair(lab, c, s, l);
        lab_down(lab);
}

static void transfer_clean_delay(void)
{
        struct impair im = { .delay = 5 * MSEC };
        lossy_transfer(&im, 11, 5 * SEC, false, false);
}

/* Linux's receive-buffer autotuning (tcp_rcv_space_adjust): a reader that
 * keeps up over a 20 ms RTT has its buffer grown past tcp_rmem[1], the
 * receiver's RTT estimate near the path's; SO_RCVBUF on the listener (and so
 * on its children) turns it off. */
static void receive_buffer_autotuning(void)
{
        struct impair im = { .delay = 10 * MSEC };
        for (int locked = 0; locked < 2; locked++) {
                struct lab *lab = lab_up(&im, &im, 21);
                struct strata_net *a = lab->ns[0], *b = lab->ns[1];
                int c, s, l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
                if (locked) {
                        /* on the listener: its children inherit the size and the lock */
                        int v = 65536;
                        CHECK_EQ(strata_setsockopt(b, l, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
                }
                struct sockaddr_in any = sin_of("0.0.0.0", 8080);
                CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
                CHECK_EQ(strata_listen(b, l, 16), 0);
                c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
                /* a sender whose buffer never limits it: the receiver's
                 * buffer is what this measures */
                int big = 4 << 20;
                CHECK_EQ(strata_setsockopt(a, c, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)), 0);
                struct sockaddr_in to = sin_of("10.0.0.2", 8080);
                CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&to, sizeof(to)), 0);
                s = strata_accept(b, l, NULL, NULL);
                CHECK(s >= 0);
                fill_pattern(21);
                pump(lab, a, c, b, s, 0, 0, XFER, 10 * SEC);
                struct tcp_info ti = info(b, s);
                int rcvbuf = 0;
                socklen_t len = sizeof(rcvbuf);
                CHECK_EQ(strata_getsockopt(b, s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len), 0);
                printf("  %s: rcvbuf %d, tcpi_rcv_space %u, tcpi_rcv_rtt %u us\n",
                       locked ? "SO_RCVBUF 65536" : "autotuned", rcvbuf, ti.tcpi_rcv_space,
                       ti.tcpi_rcv_rtt);
                /* the receiver's RTT: 20 ms on the path, within a few ms */
                CHECK(ti.tcpi_rcv_rtt >= 15000 && ti.tcpi_rcv_rtt <= 40000);
                CHECK(ti.tcpi_rcv_space > 14600); /* it measured more than a first window */
                if (locked)
                        CHECK_EQ(rcvbuf, 131072); /* doubled, as set: no growth */
                else
                        CHECK(rcvbuf > 131072 && rcvbuf <= 6291456);
                close_pair(lab, c, s, l);
                lab_down(lab);
        }
}

static void transfer_loss_1pct(void)
{
        struct impair im = { .loss = 100, .delay = 5 * MSEC };
        lossy_transfer(&im, 12, 60 * SEC, false, false);
}

static void transfer_loss_5pct(void)
{
        struct impair im = { .loss = 500, .delay = 5 * MSEC };
        lossy_transfer(&im, 13, 120 * SEC, true, true);
}

/* One direction of the 5% loss transfer, with SACK on or off at both
 * ends: how long it takes, and a's counters. */
static uint64_t one_way_5pct(bool sack, uint64_t *timeouts, uint64_t *sack_recoveries)
{
        struct impair im = { .loss = 500, .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 13);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_sack", sack ? "1" : "0"), 0);
        CHECK_EQ(strata_sysctl_set(b, "net.ipv4.tcp_sack", sack ? "1" : "0"), 0);
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        fill_pattern(13);
        uint64_t t0 = now(lab);
        pump(lab, a, c, b, s, 0, 0, XFER, 120 * SEC);
        uint64_t took = now(lab) - t0;
        *timeouts = ctr(a, "TcpExt.TCPTimeouts");
        *sack_recoveries = ctr(a, "TcpExt.TCPSackRecovery");
        close_pair(lab, c, s, l);
        lab_down(lab);
        return took;
}

/* SACK against NewReno on the same lossy wire (same seed): SACK repairs
 * several holes per round trip, so it needs no RTO and finishes sooner. */
static void sack_beats_newreno_at_5pct_loss(void)
{
        uint64_t to_sack, to_reno, rec_sack, rec_reno;
        uint64_t t_sack = one_way_5pct(true, &to_sack, &rec_sack);
        uint64_t t_reno = one_way_5pct(false, &to_reno, &rec_reno);
        printf("  SACK %.3f s (%llu RTOs, %llu recoveries), NewReno %.3f s (%llu RTOs)\n",
               (double)t_sack / SEC, (unsigned long long)to_sack, (unsigned long long)rec_sack,
               (double)t_reno / SEC, (unsigned long long)to_reno);
        CHECK(rec_sack > 0);
        CHECK_EQ(rec_reno, 0);
        EXPECT(to_sack < to_reno);
        EXPECT(t_sack < t_reno);
}

static void transfer_reorder(void)
{
        /* 3% of frames arrive 3 ms late: later frames overtake them */
        struct impair im = { .reorder = 300, .delay = 5 * MSEC, .reorder_extra = 3 * MSEC };
        lossy_transfer(&im, 14, 30 * SEC, false, false);
}

static void transfer_duplicate(void)
{
        struct impair im = { .dup = 300, .delay = 5 * MSEC };
        lossy_transfer(&im, 15, 30 * SEC, false, false);
}

static void transfer_corrupt(void)
{
        struct impair im = { .corrupt = 100, .delay = 5 * MSEC };
        lossy_transfer(&im, 16, 60 * SEC, false, false);
}

static void transfer_everything(void)
{
        struct impair im = { .loss = 200,
                             .corrupt = 50,
                             .dup = 100,
                             .reorder = 200,
                             .delay = 5 * MSEC,
                             .reorder_extra = 7 * MSEC };
        lossy_transfer(&im, 17, 120 * SEC, false, false);
}

/* Byte i of the 100 MB stream: regenerated on both sides, never stored. */
static uint8_t stream_byte(uint64_t i)
{
        uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull;
        return (uint8_t)((x ^ (x >> 29)) >> (8 * (i & 7)));
}

/* 100 MB one way under 5% loss with reordering, duplication and
 * corruption (the TCP issue's test): every byte checked as it is read,
 * within a bound on the simulated clock, and no buffer left over. */
static void transfer_100mb_everything(void)
{
        struct impair im = { .loss = 500,
                             .corrupt = 50,
                             .dup = 100,
                             .reorder = 200,
                             .delay = 2 * MSEC,
                             .reorder_extra = 3 * MSEC };
        struct lab *lab = lab_up(&im, &im, 31);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
#ifdef __SANITIZE_ADDRESS__
        const uint64_t total = 20ull << 20; /* the sanitizer build: the same paths, shorter */
#else
        const uint64_t total = 100ull << 20;
#endif
        uint64_t sent = 0, got = 0, t0 = now(lab);
        static uint8_t out[65536], in[65536];
        while (got < total) {
                bool progress = false;
                if (sent < total) {
                        size_t n = total - sent < sizeof(out) ? (size_t)(total - sent) : sizeof(out);
                        for (size_t i = 0; i < n; i++)
                                out[i] = stream_byte(sent + i);
                        ssize_t k = strata_send(a, c, out, n, MSG_DONTWAIT);
                        if (k > 0) {
                                sent += (uint64_t)k;
                                progress = true;
                        } else if (k != -EAGAIN) {
                                TEST_FAIL("send after %llu bytes: %s", (unsigned long long)sent,
                                          strata_strerror((int)k));
                        }
                }
                ssize_t r = strata_recv(b, s, in, sizeof(in), MSG_DONTWAIT);
                if (r > 0) {
                        for (ssize_t i = 0; i < r; i++)
                                if (in[i] != stream_byte(got + (uint64_t)i))
                                        TEST_FAIL("byte %llu differs", (unsigned long long)(got + (uint64_t)i));
                        got += (uint64_t)r;
                        progress = true;
                } else if (r != -EAGAIN) {
                        TEST_FAIL("recv after %llu bytes: %s", (unsigned long long)got,
                                  strata_strerror((int)r));
                }
                if (!progress && !lab_step(lab))
                        TEST_FAIL("stalled after %llu bytes", (unsigned long long)got);
                if (now(lab) - t0 > 900 * SEC)
                        TEST_FAIL("%llu of %llu bytes after 900 s of simulated time",
                                  (unsigned long long)got, (unsigned long long)total);
        }
        printf("  %s: %llu MB in %.1f s simulated; wire dropped %lu corrupted %lu duplicated %lu "
               "reordered %lu; a: RetransSegs %llu TCPTimeouts %llu\n",
               test_current, (unsigned long long)(total >> 20), (double)(now(lab) - t0) / SEC,
               lab->lk.dropped, lab->lk.corrupted,
               lab->lk.duplicated, lab->lk.reordered,
               (unsigned long long)ctr(a, "Tcp.RetransSegs"),
               (unsigned long long)ctr(a, "TcpExt.TCPTimeouts"));
        CHECK(lab->lk.dropped > 0 && lab->lk.corrupted > 0 && lab->lk.duplicated > 0 &&
              lab->lk.reordered > 0);
        close_pair(lab, c, s, l);
        lab_down(lab); /* every buffer back in its pool */
}

/* The seed's slow consumer: b stops reading, a's send buffer fills, b's
 * window closes, a sits in zero-window probes (persist timer, backing off
 * as Linux's tcp_probe0_when), nothing is lost, and when b reads again the
 * transfer completes byte-exact. */
static void slow_reader_zero_window(void)
{
        struct impair im = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 21);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        fill_pattern(21);
        size_t sent = 0;
        unsigned eagain = 0;
        uint64_t t0 = now(lab);
        while (now(lab) - t0 < 30 * SEC) {
                ssize_t k = strata_send(a, c, out_buf + sent, XFER - sent, MSG_DONTWAIT);
                if (k > 0) {
                        sent += (size_t)k;
                        continue;
                }
                CHECK_EQ(k, -EAGAIN);
                eagain++;
                if (!lab_step(lab))
                        break;
        }
        int queued = -1;
        CHECK_EQ(strata_ioctl(b, s, FIONREAD, &queued), 0);
        printf("  %s: a accepted %zu bytes, b holds %d unread, %u EAGAINs, %llu window probes\n",
               test_current, sent, queued, eagain,
               (unsigned long long)ctr(a, "TcpExt.TCPWinProbe"));
        CHECK(eagain > 0);          /* the send buffer filled */
        CHECK(sent < XFER);         /* buffers are finite */
        CHECK(queued >= 64 * 1024); /* b's receive buffer holds what it promised */
        CHECK(ctr(a, "TcpExt.TCPWinProbe") > 0);
        /* on the wire: b advertised a zero window; a probed it with
         * seq = snd_una - 1 and no data (tcp_xmit_probe_skb) */
        const struct seglog *bl = &lab->lk.e[1].log, *al = &lab->lk.e[0].log;
        uint64_t t_zero = 0;
        uint32_t zero_ack = 0;
        for (size_t i = 0; i < bl->n && !t_zero; i++)
                if (bl->v[i].win == 0 && (bl->v[i].flags & TCP_ACK) &&
                    !(bl->v[i].flags & TCP_SYN)) {
                        t_zero = bl->v[i].t;
                        zero_ack = bl->v[i].ack;
                }
        CHECK(t_zero != 0);
        uint64_t probe_t[64];
        unsigned probes = 0;
        for (size_t i = 0; i < al->n; i++) {
                const struct seg *g = &al->v[i];
                if (g->t <= t_zero || g->len || g->flags != TCP_ACK || probes >= 64)
                        continue;
                EXPECT_EQ(g->seq, zero_ack - 1);
                probe_t[probes++] = g->t;
        }
        CHECK(probes > 0);
        EXPECT_EQ(probes, ctr(a, "TcpExt.TCPWinProbe"));
        /* each probe waits twice as long as the one before (icsk_backoff),
         * counted from the ACK that answered the previous one: Linux's
         * tcp_ack_probe re-arms the timer when that ACK arrives, so probe k
         * follows probe k-1 by RTT + base << k, and gap(k+1) = 2 gap(k) - RTT */
        for (unsigned i = 2; i < probes; i++) {
                uint64_t g0 = probe_t[i - 1] - probe_t[i - 2], g1 = probe_t[i] - probe_t[i - 1];
                uint64_t want = 2 * g0 - 2 * im.delay;
                if (g1 + MSEC < want || g1 > want + MSEC)
                        soft_add(__LINE__, "probe %u came %.3f s after the previous, want %.3f s",
                                 i, (double)g1 / SEC, (double)want / SEC);
        }
        struct tcp_info ti = info(a, c);
        /* icsk_probes_out counts unanswered probes: b answers each one
         * (tcp_ack resets it), so it reads 0 between probes */
        EXPECT_EQ(ti.tcpi_probes, 0);
        EXPECT_EQ(ti.tcpi_backoff, probes);
        /* nothing was lost: no timeout, no fast retransmit.  What a
         * resent were tail loss probes -- b, its window closing, delays its
         * ACKs (the right edge does not advance: __tcp_ack_snd_check) past
         * a's 2 RTT probe timeout, as Linux does -- each answered by a
         * D-SACK (and undone).  A probe sends new data instead when some
         * waits and fits the window (tcp_send_loss_probe): not resent. */
        EXPECT_EQ(ctr(a, "TcpExt.TCPTimeouts"), 0);
        EXPECT_EQ(ctr(a, "TcpExt.TCPFastRetrans"), 0);
        EXPECT(ctr(a, "Tcp.RetransSegs") <= ctr(a, "TcpExt.TCPLossProbes"));
        EXPECT_EQ(ctr(a, "TcpExt.TCPDSACKRecv"), ctr(a, "Tcp.RetransSegs"));
        /* b reads again: the rest flows, byte-exact, nothing dropped */
        pump(lab, a, c, b, s, sent, 0, XFER, 30 * SEC);
        CHECK_EQ(ctr(b, "TcpExt.TCPRcvQDrop"), 0);
        CHECK_EQ(ctr(b, "SOCKET_RCVBUFF"), 0);
        EXPECT_EQ(ctr(a, "TcpExt.TCPTimeouts"), 0);
        EXPECT(ctr(a, "Tcp.RetransSegs") <= ctr(a, "TcpExt.TCPLossProbes"));
        close_pair(lab, c, s, l);
        lab_down(lab);
}

/* Both ends shut down their sending side at the same instant: the FINs
 * cross, both go FIN_WAIT1 -> CLOSING -> TIME_WAIT (RFC 9293 figure 13). */
static void simultaneous_close(void)
{
        struct impair im = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 31);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        lab_run_for(lab, 100 * MSEC);
        CHECK_EQ(strata_shutdown(a, c, SHUT_WR), 0);
        CHECK_EQ(strata_shutdown(b, s, SHUT_WR), 0);
        CHECK_EQ(info(a, c).tcpi_state, TCP_FIN_WAIT1);
        lab_run_for(lab, 7 * MSEC); /* FINs arrived, their ACKs not yet */
        CHECK_EQ(info(a, c).tcpi_state, TCP_CLOSING);
        CHECK_EQ(info(b, s).tcpi_state, TCP_CLOSING);
        lab_run_for(lab, 5 * MSEC);
        /* TcpExt.TW moves when TIME_WAIT begins: measured on the host's
         * kernel (6.18) in a namespace, +1 0.2 s after the active close and
         * still +1 after 62 s */
        CHECK_EQ(ctr(a, "TcpExt.TW"), 1);
        CHECK_EQ(ctr(b, "TcpExt.TW"), 1);
        char x;
        CHECK_EQ(strata_recv(a, c, &x, 1, MSG_DONTWAIT), 0);
        CHECK_EQ(strata_recv(b, s, &x, 1, MSG_DONTWAIT), 0);
        /* each side sent one FIN, no RST */
        for (int i = 0; i < 2; i++) {
                unsigned fins = 0, rsts = 0;
                for (size_t k = 0; k < lab->lk.e[i].log.n; k++) {
                        fins += (lab->lk.e[i].log.v[k].flags & TCP_FIN) != 0;
                        rsts += (lab->lk.e[i].log.v[k].flags & TCP_RST) != 0;
                }
                CHECK_EQ(fins, 1);
                CHECK_EQ(rsts, 0);
        }
        /* Linux hands TIME_WAIT to a timewait sock and the socket the fd
         * still holds is closed (tcp_time_wait -> tcp_done): TCP_INFO says
         * TCP_CLOSE (7) there, not TCP_TIME_WAIT */
        EXPECT_EQ(info(a, c).tcpi_state, TCP_CLOSE);
        EXPECT_EQ(info(b, s).tcpi_state, TCP_CLOSE);
        CHECK_EQ(ctr(a, "Tcp.CurrEstab"), 0);
        CHECK_EQ(strata_close(a, c), 0);
        CHECK_EQ(strata_close(b, s), 0);
        CHECK_EQ(strata_close(b, l), 0);
        lab_down(lab);
}

/* close() with unread data sends RST instead of FIN (RFC 2525 2.17,
 * tcp_close): TCPAbortOnClose; the peer's recv says ECONNRESET.  Linux
 * counts Tcp.EstabResets on both sides (tcp_set_state ESTABLISHED ->
 * CLOSE), checked against the kernel: +1 on each. */
static void rst_on_close_with_unread_data(void)
{
        struct impair im = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 41);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        char buf[100];
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(strata_send(b, s, buf, sizeof(buf), 0), 100);
        lab_run_for(lab, 50 * MSEC);
        int unread = 0;
        CHECK_EQ(strata_ioctl(a, c, FIONREAD, &unread), 0);
        CHECK_EQ(unread, 100);
        size_t a_sent0 = lab->lk.e[0].log.n;
        CHECK_EQ(strata_close(a, c), 0);
        lab_run_for(lab, 50 * MSEC);
        CHECK_EQ(ctr(a, "TcpExt.TCPAbortOnClose"), 1);
        CHECK_EQ(ctr(a, "Tcp.OutRsts"), 1);
        const struct seglog *al = &lab->lk.e[0].log;
        CHECK_EQ(al->n, a_sent0 + 1);
        CHECK_EQ(al->v[a_sent0].flags, TCP_RST | TCP_ACK);
        EXPECT_EQ(ctr(b, "Tcp.EstabResets"), 1);
        /* Linux: recv on the reset connection fails with ECONNRESET (then
         * returns 0) -- checked against the kernel */
        EXPECT_EQ(strata_recv(b, s, buf, sizeof(buf), MSG_DONTWAIT), -ECONNRESET);
        EXPECT_EQ(ctr(a, "Tcp.EstabResets"), 1);
        EXPECT_EQ(ctr(a, "TcpExt.TW"), 0);
        CHECK_EQ(strata_close(b, s), 0);
        CHECK_EQ(strata_close(b, l), 0);
        lab_down(lab);
}

/* A peer that never answers: the SYN is retransmitted after 1, 3, 7, 15, 31
 * and 63 s (tcp_syn_retries 6, initial RTO 1 s doubling), and connect fails
 * with ETIMEDOUT at 127 s -- Linux's exact times. */
static void connect_timeout_syn_retries(void)
{
        struct impair blackhole = { .blackhole_tcp = true };
        struct lab *lab = lab_up(&blackhole, NULL, 51);
        struct strata_net *a = lab->ns[0];
        lab_run_for(lab, 10 * MSEC);
        int c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 8080);
        uint64_t t0 = now(lab);
        CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&to, sizeof(to)), -ETIMEDOUT);
        uint64_t took = now(lab) - t0;
        const struct seglog *al = &lab->lk.e[0].log;
        static const unsigned at_s[] = { 0, 1, 3, 7, 15, 31, 63 };
        CHECK_EQ(al->n, 7);
        for (unsigned i = 0; i < 7; i++) {
                CHECK_EQ(al->v[i].flags, TCP_SYN);
                CHECK_EQ(al->v[i].seq, al->v[0].seq);
                CHECK_EQ(al->v[i].t - al->v[0].t, at_s[i] * SEC);
        }
        CHECK_EQ(al->v[0].t, t0);
        CHECK_EQ(took, 127 * SEC);
        /* the kernel's counters for the same run (checked on Linux 6.x):
         * TCPTimeouts 7, RetransSegs 6, TCPSynRetrans 6, AttemptFails 1,
         * OutSegs 1 (retransmissions are not OutSegs: __tcp_transmit_skb
         * counts a segment only when it goes past snd_nxt or is empty) */
        EXPECT_EQ(ctr(a, "TcpExt.TCPTimeouts"), 7);
        EXPECT_EQ(ctr(a, "Tcp.RetransSegs"), 6);
        EXPECT_EQ(ctr(a, "TcpExt.TCPSynRetrans"), 6);
        EXPECT_EQ(ctr(a, "Tcp.AttemptFails"), 1);
        EXPECT_EQ(ctr(a, "Tcp.OutSegs"), 1);
        int err = 0;
        socklen_t el = sizeof(err);
        CHECK_EQ(strata_getsockopt(a, c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
        EXPECT_EQ(err, 0); /* connect reported it and cleared it */
        CHECK_EQ(strata_close(a, c), 0);
        lab_down(lab);
}

/* An established connection whose data stops arriving: the head segment is
 * retransmitted after RTO, 2 RTO, 4 RTO, ... (exponential backoff), with
 * TCPTimeouts, tcpi_backoff and tcpi_retransmits following; when the wire
 * heals the data arrives byte-exact and the backoff is forgotten. */
static void rto_backoff_doubles(void)
{
        struct impair im = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 61);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        /* the backoff alone: no tail loss probe ahead of the first RTO
         * (test_tcp_sack.c has the probe) */
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_early_retrans", "0"), 0);
        connect_pair(lab, &c, &s, &l);
        fill_pattern(61);
        pump(lab, a, c, b, s, 0, 0, 1000, SEC); /* an RTT sample or two */
        lab_run_for(lab, SEC);
        struct tcp_info ti = info(a, c);
        uint64_t rto = (uint64_t)ti.tcpi_rto * 1000;
        CHECK(rto >= 200 * MSEC && rto <= 400 * MSEC);
        uint64_t timeouts0 = ctr(a, "TcpExt.TCPTimeouts");
        lab->lk.imp[0].blackhole_tcp = true;
        size_t first = lab->lk.e[0].log.n;
        CHECK_EQ(strata_send(a, c, out_buf + 1000, 1000, 0), 1000);
        enum { RTX = 6 };
        /* 6 backoffs: rto * (1 + 2 + ... + 32) = 63 rto */
        lab_run_for(lab, 64 * rto - rto / 2);
        const struct seglog *al = &lab->lk.e[0].log;
        CHECK_EQ(al->n - first, 1 + RTX);
        for (size_t i = first; i < al->n; i++) {
                CHECK_EQ(al->v[i].seq, al->v[first].seq);
                CHECK_EQ(al->v[i].len, 1000);
        }
        for (unsigned i = 1; i <= RTX; i++) {
                uint64_t gap = al->v[first + i].t - al->v[first + i - 1].t;
                uint64_t want = rto << (i - 1);
                if (gap + MSEC < want || gap > want + MSEC)
                        TEST_FAIL("retransmission %u came %.3f s after the previous one, want "
                                  "%.3f s (RTO %.3f s doubling)",
                                  i, (double)gap / SEC, (double)want / SEC, (double)rto / SEC);
        }
        EXPECT_EQ(ctr(a, "TcpExt.TCPTimeouts") - timeouts0, RTX);
        ti = info(a, c);
        EXPECT_EQ(ti.tcpi_backoff, RTX);
        EXPECT_EQ(ti.tcpi_retransmits, RTX);
        EXPECT_EQ(ti.tcpi_total_retrans, RTX);
        /* the wire heals: the next retransmission gets through */
        lab->lk.imp[0].blackhole_tcp = false;
        pump(lab, a, c, b, s, 2000, 1000, 2000, 200 * SEC);
        lab_run_for(lab, SEC); /* b's ACK comes back */
        ti = info(a, c);
        EXPECT_EQ(ti.tcpi_backoff, 0);
        EXPECT_EQ(ti.tcpi_unacked, 0);
        close_pair(lab, c, s, l);
        lab_down(lab);
}

/* The active closer keeps the connection in TIME_WAIT for 60 s
 * (TCP_TIMEWAIT_LEN): its port cannot be bound without SO_REUSEADDR until
 * then, and can be right after. */
static void time_wait_lasts_60s(void)
{
        struct lab *lab = lab_up(NULL, NULL, 71);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 8080);
        CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, l, 4), 0);
        int c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in me = sin_of("10.0.0.1", 40000);
        CHECK_EQ(strata_bind(a, c, (struct sockaddr *)&me, sizeof(me)), 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 8080);
        CHECK_EQ(strata_connect(a, c, (struct sockaddr *)&to, sizeof(to)), 0);
        int s = strata_accept(b, l, NULL, NULL);
        CHECK(s >= 0);
        CHECK_EQ(strata_send(a, c, "ping", 4, 0), 4);
        char buf[8];
        CHECK_EQ(strata_recv(b, s, buf, sizeof(buf), 0), 4);
        CHECK_EQ(strata_close(a, c), 0);
        CHECK_EQ(strata_recv(b, s, buf, sizeof(buf), 0), 0);
        CHECK_EQ(strata_close(b, s), 0);
        strata_sim_run(lab->ns, 2, now(lab)); /* b's FIN reaches a: TIME_WAIT */
        CHECK_EQ(ctr(a, "TcpExt.TW"), 1);
        uint64_t t_tw = now(lab);
        int c2 = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        strata_sim_run(lab->ns, 2, t_tw + 60 * SEC - MSEC);
        CHECK_EQ(strata_bind(a, c2, (struct sockaddr *)&me, sizeof(me)), -EADDRINUSE);
        strata_sim_run(lab->ns, 2, t_tw + 60 * SEC + MSEC);
        CHECK_EQ(strata_bind(a, c2, (struct sockaddr *)&me, sizeof(me)), 0);
        CHECK_EQ(strata_close(a, c2), 0);
        CHECK_EQ(strata_close(b, l), 0);
        lab_down(lab);
}

/* A blocking send queues everything it is given, waiting for room
 * (sk_stream_wait_memory), as long as the peer's window and our buffer can
 * take it in the end: 60 KB into a fresh connection whose reader sleeps
 * (b's window is 64 KB) returns 60000, not what the send buffer held at
 * first. */
static void blocking_send_waits_for_room(void)
{
        struct impair im = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 81);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        fill_pattern(81);
        ssize_t n = strata_send(a, c, out_buf, 60000, 0);
        EXPECT_EQ(n, 60000);
        if (n < 0)
                n = 0;
        pump(lab, a, c, b, s, (size_t)n, 0, 60000, 10 * SEC);
        close_pair(lab, c, s, l);
        lab_down(lab);
}

/* A zero-window peer that vanishes: a's probes go unanswered, and Linux's
 * tcp_probe_timer gives up after tcp_retries2 (15) of them in a row
 * (icsk_probes_out >= max_probes: tcp_write_err), so the connection dies
 * with ETIMEDOUT instead of probing forever. */
static void zero_window_peer_vanishes(void)
{
        struct impair im = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&im, &im, 91);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        fill_pattern(91);
        size_t sent = 0;
        uint64_t t0 = now(lab);
        while (now(lab) - t0 < 2 * SEC) {
                ssize_t k = strata_send(a, c, out_buf + sent, XFER - sent, MSG_DONTWAIT);
                if (k > 0)
                        sent += (size_t)k;
                else if (!lab_step(lab))
                        break;
        }
        CHECK(ctr(a, "TcpExt.TCPWinProbe") > 0);
        lab->lk.imp[1].blackhole_tcp = true; /* b's answers are lost from now on */
        lab_run_for(lab, 3000 * SEC);
        /* the probes sent after b's last answer that got through: a probe
         * in flight when the blackhole began has its answer lost too */
        uint64_t t_last = 0;
        for (size_t i = 0; i < lab->lk.e[1].log.n; i++)
                if (!lab->lk.e[1].log.v[i].dropped)
                        t_last = lab->lk.e[1].log.v[i].t;
        unsigned probes = 0;
        for (size_t i = 0; i < lab->lk.e[0].log.n; i++)
                probes += lab->lk.e[0].log.v[i].t > t_last && lab->lk.e[0].log.v[i].len == 0 &&
                          lab->lk.e[0].log.v[i].flags == TCP_ACK;
        printf("  %s: %u unanswered probes in 3000 s, a's state %u\n", test_current, probes,
               info(a, c).tcpi_state);
        CHECK(probes < 100); /* it gave up at some point */
        EXPECT_EQ(probes, 15);
        EXPECT_EQ(info(a, c).tcpi_state, TCP_CLOSE);
        EXPECT_EQ(strata_send(a, c, "x", 1, MSG_DONTWAIT), -ETIMEDOUT);
        lab->lk.imp[1].blackhole_tcp = false;
        strata_close(a, c);
        strata_close(b, s);
        strata_close(b, l);
        lab_down(lab);
}

/* RFC 3168 over a wire that marks 2% of ECN-capable frames CE and loses
 * none: a asks for ECN (net.ipv4.tcp_ecn=1), b accepts (the default 2).
 * The handshake says so (SYN ECE|CWR, SYN-ACK ECE), every data segment
 * leaves ECT(0) and every pure ACK not-ECT; b echoes the marks with ECE,
 * a answers with CWR and cuts its window -- a lower ssthresh and no
 * retransmission at all; the counters agree with the wire. */
static void ecn_ce_marks(bool sack)
{
        struct impair ab = { .ce = 200, .delay = 5 * MSEC }, ba = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&ab, &ba, 21);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_ecn", "1"), 0);
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_sack", sack ? "1" : "0"), 0);
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_ecn", "3"), -EINVAL); /* AccECN: not built */
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        CHECK(info(a, c).tcpi_options & TCPI_OPT_ECN);
        CHECK(info(b, s).tcpi_options & TCPI_OPT_ECN);
        fill_pattern(21);
        pump(lab, a, c, b, s, 0, 0, XFER, 30 * SEC);
        struct tcp_info ti = info(a, c);
        CHECK(lab->lk.ce_marked > 0);
        CHECK_EQ(lab->lk.dropped, 0);
        CHECK_EQ(ctr(a, "Tcp.RetransSegs"), 0);
        CHECK(ti.tcpi_snd_ssthresh < 0x7fffffff); /* the window was cut */
        CHECK(ti.tcpi_delivered_ce > 0);
        CHECK(ti.tcpi_delivered_ce < ti.tcpi_delivered);
        CHECK_EQ(ctr(a, "TcpExt.TCPDeliveredCE"), ti.tcpi_delivered_ce);
        CHECK(info(b, s).tcpi_options & TCPI_OPT_ECN_SEEN);
        /* what b's IP layer saw is what the wire marked */
        CHECK_EQ(ctr(b, "IpExt.InCEPkts"), lab->lk.ce_marked);
        CHECK(ctr(b, "IpExt.InECT0Pkts") > 0);
        CHECK_EQ(ctr(b, "IpExt.InECT1Pkts"), 0);
        CHECK_EQ(ctr(a, "IpExt.InECT0Pkts") + ctr(a, "IpExt.InCEPkts"), 0); /* ACKs only */
        const struct seglog *la = &lab->lk.e[0].log, *lb = &lab->lk.e[1].log;
        CHECK_EQ(la->v[0].flags & (TCP_SYN | TCP_ACK | 0xc0), TCP_SYN | 0xc0); /* SYN ECE|CWR */
        CHECK_EQ(lb->v[0].flags & (TCP_SYN | TCP_ACK | 0xc0), TCP_SYN | TCP_ACK | 0x40);
        CHECK_EQ(la->v[0].ecn, 0);
        CHECK_EQ(lb->v[0].ecn, 0);
        size_t data = 0, cwr = 0, ece = 0;
        for (size_t i = 1; i < la->n; i++) {
                if (la->v[i].len) {
                        data++;
                        CHECK_EQ(la->v[i].ecn, 2); /* ECT(0), never ECT(1) */
                } else {
                        CHECK_EQ(la->v[i].ecn, 0);
                }
                if (la->v[i].flags & 0x80) {
                        cwr++;
                        CHECK(la->v[i].len > 0); /* CWR rides on new data */
                }
        }
        for (size_t i = 1; i < lb->n; i++) {
                CHECK_EQ(lb->v[i].ecn, 0); /* b sends no data */
                if (lb->v[i].flags & 0x40)
                        ece++;
        }
        CHECK(data > 0);
        CHECK(cwr > 0);
        CHECK(ece >= cwr);
        printf("  %s: %lu of %zu data segments marked CE; %zu ACKs with ECE, %zu CWR; "
               "ssthresh %u cwnd %u delivered %u (CE %u)\n",
               test_current, lab->lk.ce_marked, data, ece, cwr, ti.tcpi_snd_ssthresh,
               ti.tcpi_snd_cwnd, ti.tcpi_delivered, ti.tcpi_delivered_ce);
        close_pair(lab, c, s, l);
        lab_down(lab);
}

static void ecn_ce_marks_cut_the_window_without_loss(void)
{
        ecn_ce_marks(true);
}

/* The same without SACK: NewReno's sender enters CWR the same way. */
static void ecn_ce_marks_cut_the_window_without_sack(void)
{
        ecn_ce_marks(false);
}

/* The same wire with ECN at its Linux default (tcp_ecn=2 on both: accept,
 * never ask): no ECT leaves, so the router has nothing to mark, and no
 * segment carries ECE or CWR. */
static void ecn_default_sends_not_ect(void)
{
        struct impair ab = { .ce = 200, .delay = 5 * MSEC }, ba = { .delay = 5 * MSEC };
        struct lab *lab = lab_up(&ab, &ba, 22);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        char v[8];
        CHECK_EQ(strata_sysctl_get(a, "net.ipv4.tcp_ecn", v, sizeof(v)), 0);
        CHECK_STR(v, "2");
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        CHECK(!(info(a, c).tcpi_options & TCPI_OPT_ECN));
        CHECK(!(info(b, s).tcpi_options & TCPI_OPT_ECN));
        fill_pattern(22);
        pump(lab, a, c, b, s, 0, 0, 256 * 1024, 30 * SEC);
        CHECK_EQ(lab->lk.ce_marked, 0);
        CHECK_EQ(ctr(b, "IpExt.InECT0Pkts") + ctr(b, "IpExt.InCEPkts"), 0);
        const struct seglog *la = &lab->lk.e[0].log, *lb = &lab->lk.e[1].log;
        for (size_t i = 0; i < la->n; i++)
                CHECK_EQ(la->v[i].ecn | (la->v[i].flags & 0xc0), 0);
        for (size_t i = 0; i < lb->n; i++)
                CHECK_EQ(lb->v[i].ecn | (lb->v[i].flags & 0xc0), 0);
        close_pair(lab, c, s, l);
        lab_down(lab);
}

/* IP_TOS on a TCP socket sets DSCP, never the ECN bits TCP owns
 * (__ip_sock_set_tos); the ECT(0) TCP set stays in the tos, as on Linux. */
static void ecn_ip_tos_keeps_ecn_bits(void)
{
        struct lab *lab = lab_up(NULL, NULL, 23);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_ecn", "1"), 0);
        int c, s, l;
        connect_pair(lab, &c, &s, &l);
        int tos = 0x28 | 3, got = 0;
        socklen_t len = sizeof(got);
        CHECK_EQ(strata_setsockopt(a, c, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
        CHECK_EQ(strata_getsockopt(a, c, IPPROTO_IP, IP_TOS, &got, &len), 0);
        CHECK_EQ(got, 0x28);
        fill_pattern(23);
        pump(lab, a, c, b, s, 0, 0, 4096, 5 * SEC);
        CHECK_EQ(strata_getsockopt(a, c, IPPROTO_IP, IP_TOS, &got, &len), 0);
        CHECK_EQ(got, 0x28 | 2);
        const struct seglog *la = &lab->lk.e[0].log;
        CHECK_EQ(la->v[la->n - 1].ecn, la->v[la->n - 1].len ? 2 : 0);
        close_pair(lab, c, s, l);
        lab_down(lab);
}

/* HyStart (cubic's, as Linux): through a 10 Mbit/s bottleneck with a
 * queue that never overflows, slow start ends when the ACKs come as one
 * long train (hystart_detect 1) or the RTT starts to grow (2), not at a
 * loss -- ssthresh is set with no retransmission, once.  With
 * module.tcp_cubic.parameters.hystart=0 nothing ends it but a loss, and
 * with an endless queue there is none: ssthresh stays infinite and the
 * queue (the RTT) grows far larger. */
static void hystart_leaves_slow_start_before_a_loss(void)
{
        static const char *const name[] = { "off", "ack train", "delay", "both" };
        uint32_t ssthresh[4], rtt[4];
        for (int mode = 0; mode < 4; mode++) {
                struct impair ab = { .delay = 10 * MSEC, .rate = 10000000 / 8 },
                              ba = { .delay = 10 * MSEC };
                struct lab *lab = lab_up(&ab, &ba, 31);
                struct strata_net *a = lab->ns[0], *b = lab->ns[1];
                char v[2] = { (char)('0' + (mode ? 1 : 0)), 0 };
                CHECK_EQ(strata_sysctl_set(a, "module.tcp_cubic.parameters.hystart", v), 0);
                v[0] = (char)('0' + (mode ? mode : 3));
                CHECK_EQ(strata_sysctl_set(a, "module.tcp_cubic.parameters.hystart_detect", v), 0);
                CHECK_EQ(strata_sysctl_set(a, "module.tcp_cubic.parameters.hystart_detect", "4"),
                         -EINVAL);
                /* buffers that never limit the sender (Linux autotunes them) */
                CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_wmem", "4096 4194304 4194304"), 0);
                CHECK_EQ(strata_sysctl_set(b, "net.ipv4.tcp_rmem", "4096 6291456 6291456"), 0);
                int c, s, l;
                connect_pair(lab, &c, &s, &l);
                fill_pattern(31);
                pump(lab, a, c, b, s, 0, 0, XFER, 30 * SEC);
                struct tcp_info ti = info(a, c);
                ssthresh[mode] = ti.tcpi_snd_ssthresh;
                rtt[mode] = ti.tcpi_rtt;
                uint64_t train = ctr(a, "TcpExt.TCPHystartTrainDetect");
                uint64_t delay = ctr(a, "TcpExt.TCPHystartDelayDetect");
                printf("  %s: %s: ssthresh %u, srtt %u us, cwnd %u, train %llu delay %llu\n",
                       test_current, name[mode], ti.tcpi_snd_ssthresh, ti.tcpi_rtt,
                       ti.tcpi_snd_cwnd, (unsigned long long)train, (unsigned long long)delay);
                CHECK_EQ(ctr(a, "Tcp.RetransSegs"), 0);
                CHECK_EQ(train, mode == 1 || (mode == 3 && !delay) ? 1 : 0);
                CHECK_EQ(delay, mode == 2 || (mode == 3 && !train) ? 1 : 0);
                if (mode) {
                        CHECK(ssthresh[mode] >= 16 && ssthresh[mode] < 0x7fffffff);
                        CHECK_EQ(ctr(a, "TcpExt.TCPHystartDelayCwnd") +
                                     ctr(a, "TcpExt.TCPHystartTrainCwnd"),
                                 ssthresh[mode]);
                        CHECK(rtt[mode] < rtt[0]);
                } else {
                        CHECK_EQ(ssthresh[0], 0x7fffffff);
                }
                close_pair(lab, c, s, l);
                lab_down(lab);
        }
}

TEST_MAIN(T(transfer_clean_delay), T(receive_buffer_autotuning), T(transfer_loss_1pct), T(transfer_loss_5pct),
          T(sack_beats_newreno_at_5pct_loss),
          T(transfer_reorder), T(transfer_duplicate), T(transfer_corrupt), T(transfer_everything), T(transfer_100mb_everything),
          T(slow_reader_zero_window), T(simultaneous_close), T(rst_on_close_with_unread_data),
          T(connect_timeout_syn_retries), T(rto_backoff_doubles), T(time_wait_lasts_60s),
          T(blocking_send_waits_for_room), T(zero_window_peer_vanishes),
          T(ecn_ce_marks_cut_the_window_without_loss),
          T(ecn_ce_marks_cut_the_window_without_sack), T(ecn_default_sends_not_ect),
          T(ecn_ip_tos_keeps_ecn_bits), T(hystart_leaves_slow_start_before_a_loss))
