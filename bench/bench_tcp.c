/*
 * bench_tcp: Strata's TCP through its socket layer, beside the Linux
 * kernel's TCP measured in the same run (issue 8's TCP figures).
 *
 *   Strata  two namespaces a and b on one simulated clock, joined by a veth
 *           pair (10.0.0.1/24, 10.0.0.2/24), non-blocking sockets, one
 *           thread pinned to one core.  Each loop round does the socket
 *           calls of both ends and runs strata_net_poll on b, then a.  No
 *           system call is made; the clock never moves while timing, so no
 *           timer fires (no RTO, no delayed ACK) and the network itself
 *           adds no latency.
 *   Linux   TCP on 127.0.0.1 (in a private network namespace when root,
 *           lo's MTU set with SIOCSIFMTU as `ip link set lo mtu` does), a
 *           client and a server thread, blocking sockets, pinned to ONE
 *           core (both threads on it) and to TWO cores (one each).
 *   lwIP    Debian's liblwip 2.1.3: two copies of the library in one
 *           process (dlmopen), a and b, whose netifs hand frames to each
 *           other (payload by reference, headers copied); the raw TCP API
 *           on the same one thread, pinned as Strata is.  lwIP's TCP_MSS
 *           (1460) and windows (64 KiB) are compiled in by Debian.
 *
 * Figures:
 *   bulk    one stream a -> b for the run, MTU 1500 and 65535: Gbit/s
 *           (wall) and bytes per CPU-second.
 *   rr      1-byte request / 1-byte response, one at a time: transactions/s,
 *           p50 and p99 of the time of one transaction.
 *   conn    connect + accept + close: connections per second.  The client
 *           closes with SO_LINGER {1, 0} (an RST: no TIME_WAIT on either
 *           side), in both stacks; the server closes its accepted socket.
 *   mem     bytes per idle established connection, N connections open,
 *           and the connections 2 GiB would hold (computed from it).
 *   load    bulk MTU 1500 and rr CPU per packet again, with 1, 100, 10,000
 *           and 100,000 idle connections open beside the measured one
 *           (Strata and lwIP).
 *   memcpy  one core's memcpy of 64 KiB blocks beside bulk MTU 65535: the
 *           copy ceiling.
 *
 * CPU time: Strata and lwIP, the thread's CLOCK_THREAD_CPUTIME_ID; Linux,
 * both threads' CPU clocks plus the ksoftirqd threads' time over the run.
 * Runs are interleaved (Strata, Linux 1 core, Linux 2 cores, lwIP, then
 * the next figure ...); each value is the median (min..max) over the runs.
 *
 * Options: -t SECONDS per run (0.6), -n RUNS (5), -N connections for the
 *          memory figure (1000), -M most idle connections of the load
 *          figures (100000), -o LIST: bulk (= bulk1500,bulk65535), rr,
 *          conn, mem, load (default all),
 *          -s Strata only, -K no kernel peer, -L no lwIP peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/dropreason.h"
#include "strata/socket.h"
#include "strata/strata.h"

#include "lib/bench_util.h"
#include "lib/tcp_figs.h"
#include "lib/tcp_lwip.h"

#define MEM_TARGET 1024.0

enum part {
        P_B1500 = 1,
        P_RR = 2,
        P_CONN = 4,
        P_MEM = 8,
        P_B64K = 16,
        P_LOAD = 32,
        P_BULK = P_B1500 | P_B64K
};

static struct {
        double seconds;
        int runs;
        int nconn;
        int load_max; /* most idle connections of the load figures */
        unsigned parts;
        bool kernel, lwip;
} cfg = { 0.6, 5, 1000, 100000, P_BULK | P_RR | P_CONN | P_MEM | P_LOAD, true, true };

const char bench_name[] = "bench_tcp";

/* Column widths of the table. */
static const int cols[TABLE_COLS] = { 30, 40, 20, 40, 6 };

/* --- Strata -------------------------------------------------------------------- */

struct sx {
        struct strata_clock *clk;
        struct strata_net *n[2]; /* a: client, b: server */
        int lfd;                 /* b's listener */
        int cfd, sfd;            /* the connection of bulk / rr */
        struct sockaddr_in dst;
        uint64_t stalls;
};

static void sx_round(struct sx *x)
{
        strata_net_poll(x->n[1]);
        strata_net_poll(x->n[0]);
}

/* Rounds until both namespaces are idle (each round's budget is 64
 * packets per namespace). */
static void sx_rounds(struct sx *x)
{
        for (int i = 0; i < 1000; i++)
                if (strata_net_poll(x->n[1]) + strata_net_poll(x->n[0]) == 0)
                        return;
}

/* No progress for a while: let the simulated clock run 1 ms (timers). */
static void sx_unstall(struct sx *x)
{
        x->stalls++;
        strata_sim_run(x->n, 2, strata_clock_now(x->clk) + 1000000);
}

/* A client socket connected to b's listener and the accepted socket.
 * linger: SO_LINGER {1, 0} on the client (close sends an RST).  src: the
 * client's address (host order; 0: chosen by the route). */
static int sx_connect_via(struct sx *x, bool linger, int *sfd, uint32_t src, int lfd,
                          uint16_t port)
{
        int c = strata_socket(x->n[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sx_check(c, "strata_socket");
        if (src) {
                struct sockaddr_in sa = { .sin_family = AF_INET };
                sa.sin_addr.s_addr = htonl(src);
                sx_check(strata_bind(x->n[0], c, (struct sockaddr *)&sa, sizeof(sa)),
                         "strata_bind client");
        }
        if (linger) {
                struct linger l = { 1, 0 };
                sx_check(strata_setsockopt(x->n[0], c, SOL_SOCKET, SO_LINGER, &l, sizeof(l)),
                         "SO_LINGER");
        }
        struct sockaddr_in dst = x->dst;
        dst.sin_port = htons(port);
        int r = strata_connect(x->n[0], c, (struct sockaddr *)&dst, sizeof(dst));
        if (r < 0 && r != -EINPROGRESS)
                sx_check(r, "strata_connect");
        for (int i = 0;; i++) {
                sx_round(x);
                int s = strata_accept4(x->n[1], lfd, NULL, NULL, SOCK_NONBLOCK);
                if (s >= 0) {
                        *sfd = s;
                        return c;
                }
                if (s != -EAGAIN)
                        sx_check(s, "strata_accept4");
                if (i > 8)
                        sx_unstall(x);
                if (i > 1000)
                        die("Strata: connection not accepted");
        }
}

static int sx_connect(struct sx *x, bool linger, int *sfd)
{
        return sx_connect_via(x, linger, sfd, 0, x->lfd, PORT);
}

static void sx_setup(struct sx *x, unsigned mtu, const char *name)
{
        memset(x, 0, sizeof(*x));
        char na[32], nb[32];
        snprintf(na, sizeof(na), "%s-a", name);
        snprintf(nb, sizeof(nb), "%s-b", name);
        sx_pair_setup(&x->clk, x->n, na, nb, mtu);
        /* No autotuning in Strata yet: start every socket with the buffers
         * Linux's autotuning may grow to (tcp_wmem[2], tcp_rmem[2]). */
        for (int i = 0; i < 2; i++) {
                sx_check(strata_sysctl_set(x->n[i], "net.ipv4.tcp_wmem", "4096 4194304 4194304"),
                         "sysctl tcp_wmem");
                sx_check(strata_sysctl_set(x->n[i], "net.ipv4.tcp_rmem", "4096 6291456 6291456"),
                         "sysctl tcp_rmem");
        }
        x->lfd = strata_socket(x->n[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sx_check(x->lfd, "strata_socket listener");
        x->dst = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(PORT) };
        x->dst.sin_addr.s_addr = htonl(0x0a000002);
        sx_check(strata_bind(x->n[1], x->lfd, (struct sockaddr *)&x->dst, sizeof(x->dst)),
                 "strata_bind");
        sx_check(strata_listen(x->n[1], x->lfd, 4096), "strata_listen");
        /* the first connection resolves ARP; the clock does not move while
         * timing, so the neighbours stay REACHABLE */
        x->cfd = sx_connect(x, false, &x->sfd);
        int one = 1;
        sx_check(strata_setsockopt(x->n[0], x->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
                 "TCP_NODELAY a");
        sx_check(strata_setsockopt(x->n[1], x->sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
                 "TCP_NODELAY b");
}

/* Packets dropped in both namespaces, every reason. */
static uint64_t sx_drops(struct sx *x)
{
        uint64_t sum = 0;
        for (int i = 0; i < 2; i++)
                for (int r = 1; r < SKB_DROP_REASON_MAX; r++) {
                        uint64_t v = 0;
                        if (strata_counter(x->n[i], drop_reason_name((enum skb_drop_reason)r),
                                           &v) == 0)
                                sum += v;
                }
        return sum;
}

static void sx_teardown(struct sx *x)
{
        strata_close(x->n[0], x->cfd);
        strata_close(x->n[1], x->sfd);
        strata_close(x->n[1], x->lfd);
        sx_pair_free(x->clk, x->n);
}


/* The one-copy ceiling: memcpy of CHUNK bytes (sbuf -> rbuf, as a send
 * copies them into the stack and a receive out of it) on one core, for
 * a tenth of a run; bytes per CPU-second. */
static void memcpy_run(struct series *s)
{
        pin(cpu_one);
        static void *(*volatile copy)(void *, const void *, size_t) = memcpy;
        uint64_t n = 0, c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), c1 = c0;
        while (c1 - c0 < (uint64_t)(cfg.seconds * 1e8)) {
                for (int i = 0; i < 64; i++)
                        copy(rbuf, sbuf, CHUNK);
                n += 64ull * CHUNK;
                c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        }
        unpin();
        series_add(s, (double)n * 1e9 / (double)(c1 - c0));
}

static void sx_bulk(struct sx *x, struct stats *st, bool timed)
{
        pin(cpu_one);
        uint64_t sent = 0, rcvd = 0, s0 = x->stalls;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9);
        int idle = 0;
        for (unsigned it = 1; !g_stop; it++) {
                uint64_t before = rcvd;
                ssize_t r = 0;
                while (sent - rcvd < BULK_WINDOW &&
                       (r = strata_send(x->n[0], x->cfd, sbuf, CHUNK, 0)) > 0)
                        sent += (uint64_t)r;
                if (r < 0 && r != -EAGAIN)
                        sx_check(r, "strata_send");
                sx_rounds(x);
                while ((r = strata_recv(x->n[1], x->sfd, rbuf, CHUNK, 0)) > 0)
                        rcvd += (uint64_t)r;
                if (r < 0 && r != -EAGAIN)
                        sx_check(r, "strata_recv");
                if (rcvd != before)
                        idle = 0;
                else if (++idle > 4) {
                        sx_unstall(x);
                        idle = 0;
                }
                if ((it & 7) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        /* drain: every byte counted was delivered inside the timed span */
        for (int i = 0; i < 100000 && rcvd < sent; i++) {
                sx_rounds(x);
                ssize_t r;
                while ((r = strata_recv(x->n[1], x->sfd, rbuf, CHUNK, 0)) > 0)
                        rcvd += (uint64_t)r;
                if (i > 8)
                        sx_unstall(x);
        }
        uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (!timed)
                return;
        if (rcvd != sent)
                st->errors++;
        st->stalls += x->stalls - s0;
        add_run(st, (double)rcvd, (double)(w1 - w0), (double)(c1 - c0), true);
}

static void sx_rr(struct sx *x, struct stats *st, bool timed)
{
        pin(cpu_one);
        uint32_t *h = hist_new();
        uint64_t n = 0, s0 = x->stalls;
        uint8_t b = 1;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9), t = w0;
        while (!g_stop && t < deadline) {
                sx_check(strata_send(x->n[0], x->cfd, &b, 1, 0), "strata_send request");
                ssize_t r;
                int i = 0;
                while ((r = strata_recv(x->n[1], x->sfd, &b, 1, 0)) == -EAGAIN) {
                        sx_round(x);
                        if (++i > 8)
                                sx_unstall(x);
                }
                sx_check(r, "strata_recv request");
                sx_check(strata_send(x->n[1], x->sfd, &b, 1, 0), "strata_send response");
                i = 0;
                while ((r = strata_recv(x->n[0], x->cfd, &b, 1, 0)) == -EAGAIN) {
                        sx_round(x);
                        if (++i > 8)
                                sx_unstall(x);
                }
                sx_check(r, "strata_recv response");
                uint64_t t1 = now_ns(CLOCK_MONOTONIC);
                hist_add(h, t1 - t);
                t = t1;
                n++;
        }
        uint64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (timed) {
                st->stalls += x->stalls - s0;
                add_run(st, (double)n, (double)(t - w0), (double)(c1 - c0), false);
                series_add(&st->p50, hist_pct(h, 50) / 1000);
                series_add(&st->p99, hist_pct(h, 99) / 1000);
        }
        free(h);
}

static void sx_conn(struct sx *x, struct stats *st, bool timed)
{
        pin(cpu_one);
        uint64_t n = 0, s0 = x->stalls;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9), t = w0;
        while (!g_stop && t < deadline) {
                int s, c = sx_connect(x, true, &s);
                sx_check(strata_close(x->n[0], c), "strata_close client");
                sx_round(x);
                sx_check(strata_close(x->n[1], s), "strata_close server");
                n++;
                if ((n & 15) == 0)
                        t = now_ns(CLOCK_MONOTONIC);
        }
        t = now_ns(CLOCK_MONOTONIC);
        uint64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (timed) {
                st->stalls += x->stalls - s0;
                add_run(st, (double)n, (double)(t - w0), (double)(c1 - c0), false);
        }
}

static size_t heap_bytes(void)
{
        struct mallinfo2 mi = mallinfo2();
        return mi.uordblks + mi.hblkhd;
}

/* Bytes malloc'd per idle established connection (both endpoints are in
 * this process: the figure per connection covers the client's and the
 * server's socket). */
static double sx_mem(int nconn, double *per_socket)
{
        struct sx x;
        sx_setup(&x, 65535, "mem");
        /* warm up the pools and tables with a first batch, closed again */
        int *c = calloc((size_t)nconn, sizeof(int)), *s = calloc((size_t)nconn, sizeof(int));
        if (!c || !s)
                die("out of memory");
        for (int i = 0; i < nconn; i++)
                c[i] = sx_connect(&x, true, &s[i]);
        for (int i = 0; i < nconn; i++) {
                strata_close(x.n[0], c[i]);
                strata_close(x.n[1], s[i]);
        }
        strata_sim_run(x.n, 2, strata_clock_now(x.clk) + 1000000);
        malloc_trim(0);
        size_t m0 = heap_bytes();
        for (int i = 0; i < nconn; i++)
                c[i] = sx_connect(&x, false, &s[i]);
        for (int i = 0; i < 16; i++)
                sx_round(&x);
        size_t m1 = heap_bytes();
        for (int i = 0; i < nconn; i++) {
                strata_close(x.n[0], c[i]);
                strata_close(x.n[1], s[i]);
        }
        free(c);
        free(s);
        sx_teardown(&x);
        double per_conn = ((double)m1 - (double)m0) / nconn;
        *per_socket = per_conn / 2;
        return per_conn;
}

/* --- Linux ---------------------------------------------------------------------------- */

static bool k_private_ns;

static void kx_lo_mtu(unsigned mtu)
{
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        ifr.ifr_mtu = (int)mtu;
        if (s < 0 || ioctl(s, SIOCSIFMTU, &ifr) < 0)
                die("SIOCSIFMTU lo %u: %s", mtu, strerror(errno));
        close(s);
}

struct kx {
        enum fig fig;
        int cpu_c, cpu_s;
        int lfd, cfd, sfd;
        struct sockaddr_in dst;
        pthread_barrier_t go;
        uint64_t work, w0, w1, cpu_c_ns, cpu_s_ns;
        uint32_t *hist;
        _Atomic int done;
};

static int kx_listener(struct sockaddr_in *dst)
{
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in sa = { .sin_family = AF_INET };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4096) < 0)
                die("Linux: bind/listen: %s", strerror(errno));
        socklen_t len = sizeof(*dst);
        getsockname(l, (struct sockaddr *)dst, &len);
        return l;
}

static void *kx_server(void *arg)
{
        struct kx *k = arg;
        pin(k->cpu_s);
        pthread_barrier_wait(&k->go);
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        if (k->fig == F_CONN) {
                for (;;) {
                        int s = accept(k->lfd, NULL, NULL);
                        if (s < 0) {
                                if (errno == EINTR || errno == ECONNABORTED)
                                        continue;
                                break; /* shutdown of the listener: the end */
                        }
                        close(s);
                }
        } else if (k->fig == F_RR) {
                uint8_t b;
                while (read(k->sfd, &b, 1) == 1)
                        if (write(k->sfd, &b, 1) != 1)
                                break;
        } else {
                ssize_t r;
                uint64_t n = 0;
                while ((r = read(k->sfd, rbuf, CHUNK)) > 0)
                        n += (uint64_t)r;
                k->work = n;
                k->w1 = now_ns(CLOCK_MONOTONIC);
        }
        k->cpu_s_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        return NULL;
}

static void *kx_client(void *arg)
{
        struct kx *k = arg;
        pin(k->cpu_c);
        pthread_barrier_wait(&k->go);
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        k->w0 = now_ns(CLOCK_MONOTONIC);
        uint64_t deadline = k->w0 + (uint64_t)(cfg.seconds * 1e9), t = k->w0;
        if (k->fig == F_CONN) {
                uint64_t n = 0;
                struct linger lg = { 1, 0 };
                while (!g_stop && t < deadline) {
                        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
                        if (connect(c, (struct sockaddr *)&k->dst, sizeof(k->dst)) < 0)
                                die("Linux: connect: %s", strerror(errno));
                        close(c);
                        n++;
                        if ((n & 15) == 0)
                                t = now_ns(CLOCK_MONOTONIC);
                }
                k->w1 = now_ns(CLOCK_MONOTONIC);
                k->work = n;
                shutdown(k->lfd, SHUT_RDWR);
        } else if (k->fig == F_RR) {
                uint8_t b = 1;
                uint64_t n = 0;
                while (!g_stop && t < deadline) {
                        if (write(k->cfd, &b, 1) != 1 || read(k->cfd, &b, 1) != 1)
                                die("Linux: rr: %s", strerror(errno));
                        uint64_t t1 = now_ns(CLOCK_MONOTONIC);
                        hist_add(k->hist, t1 - t);
                        t = t1;
                        n++;
                }
                k->w1 = t;
                k->work = n;
                shutdown(k->cfd, SHUT_WR);
        } else {
                for (unsigned i = 1; !g_stop; i++) {
                        if (write(k->cfd, sbuf, CHUNK) < 0)
                                die("Linux: write: %s", strerror(errno));
                        if ((i & 3) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                                break;
                }
                shutdown(k->cfd, SHUT_WR);
        }
        k->cpu_c_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        return NULL;
}

static void kx_run(enum fig fig, bool two, struct stats *st, bool timed)
{
        struct kx *k = calloc(1, sizeof(*k));
        if (!k)
                die("out of memory");
        k->fig = fig;
        k->cpu_c = cpu_one;
        k->cpu_s = two ? cpu_two : cpu_one;
        kx_lo_mtu(fig == F_BULK1500 ? 1500 : 65535);
        k->lfd = kx_listener(&k->dst);
        k->cfd = k->sfd = -1;
        if (fig != F_CONN) {
                k->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (connect(k->cfd, (struct sockaddr *)&k->dst, sizeof(k->dst)) < 0)
                        die("Linux: connect: %s", strerror(errno));
                k->sfd = accept(k->lfd, NULL, NULL);
                int one = 1;
                setsockopt(k->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                setsockopt(k->sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        if (fig == F_RR)
                k->hist = hist_new();
        pthread_barrier_init(&k->go, NULL, 3);
        pthread_t tc, ts;
        if (pthread_create(&ts, NULL, kx_server, k) || pthread_create(&tc, NULL, kx_client, k))
                die("pthread_create failed");
        uint64_t q0 = ksoftirqd_ns();
        pthread_barrier_wait(&k->go);
        pthread_join(tc, NULL);
        pthread_join(ts, NULL);
        uint64_t q1 = ksoftirqd_ns();
        if (timed) {
                double cpu = (double)(k->cpu_c_ns + k->cpu_s_ns + (q1 - q0));
                add_run(st, (double)k->work, (double)(k->w1 - k->w0), cpu,
                        fig == F_BULK1500 || fig == F_BULK64K);
                if (fig == F_RR) {
                        series_add(&st->p50, hist_pct(k->hist, 50) / 1000);
                        series_add(&st->p99, hist_pct(k->hist, 99) / 1000);
                }
        }
        free(k->hist);
        pthread_barrier_destroy(&k->go);
        if (k->cfd >= 0)
                close(k->cfd);
        if (k->sfd >= 0)
                close(k->sfd);
        close(k->lfd);
        free(k);
}

/* Kernel slab bytes (all caches) and /proc/net/sockstat TCP mem pages. */
static int64_t slab_bytes(void)
{
        FILE *f = fopen("/proc/slabinfo", "r");
        if (!f)
                return -1;
        char line[512];
        int64_t sum = 0;
        while (fgets(line, sizeof(line), f)) {
                char name[128];
                long long active, num, size;
                if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num, &size) == 4)
                        sum += active * size;
        }
        fclose(f);
        return sum;
}

static int64_t sockstat_tcp_mem(void)
{
        FILE *f = fopen("/proc/net/sockstat", "r");
        if (!f)
                return -1;
        char line[256];
        long long mem = -1;
        while (fgets(line, sizeof(line), f)) {
                char *p = strstr(line, "TCP:");
                char *m = p ? strstr(p, " mem ") : NULL;
                if (m)
                        mem = atoll(m + 5);
        }
        fclose(f);
        return mem;
}

static int64_t tcp_slab_objsize(void)
{
        FILE *f = fopen("/proc/slabinfo", "r");
        if (!f)
                return -1;
        char line[512];
        long long size = -1;
        while (fgets(line, sizeof(line), f)) {
                char name[128];
                long long a, n, s;
                if (sscanf(line, "%127s %lld %lld %lld", name, &a, &n, &s) == 4 &&
                    !strcmp(name, "TCP"))
                        size = s;
        }
        fclose(f);
        return size;
}

/* Per connection: the slab delta over all caches (sockets, files, inodes,
 * dentries, hash entries), whole machine; plus sockstat's pages. */
static double kx_mem(int nconn, double *pages_per_conn)
{
        kx_lo_mtu(65535);
        struct sockaddr_in dst;
        int l = kx_listener(&dst);
        int *c = calloc((size_t)nconn, sizeof(int)), *s = calloc((size_t)nconn, sizeof(int));
        if (!c || !s)
                die("out of memory");
        int64_t s0 = slab_bytes(), p0 = sockstat_tcp_mem();
        for (int i = 0; i < nconn; i++) {
                c[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c[i] < 0 || connect(c[i], (struct sockaddr *)&dst, sizeof(dst)) < 0)
                        die("Linux: connect %d: %s", i, strerror(errno));
                s[i] = accept(l, NULL, NULL);
                if (s[i] < 0)
                        die("Linux: accept: %s", strerror(errno));
        }
        usleep(50000);
        int64_t s1 = slab_bytes(), p1 = sockstat_tcp_mem();
        struct linger lg = { 1, 0 };
        for (int i = 0; i < nconn; i++) {
                setsockopt(c[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
                close(c[i]);
                close(s[i]);
        }
        close(l);
        free(c);
        free(s);
        *pages_per_conn = p0 >= 0 && p1 >= 0 ? (double)(p1 - p0) / nconn : -1;
        return s0 >= 0 && s1 >= 0 ? (double)(s1 - s0) / nconn : -1;
}

/* --- the table ------------------------------------------------------------------------ */

static unsigned parse_parts(const char *s)
{
        unsigned m = 0;
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", s);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                if (!strcmp(t, "bulk"))
                        m |= P_BULK;
                else if (!strcmp(t, "bulk1500"))
                        m |= P_B1500;
                else if (!strcmp(t, "bulk65535"))
                        m |= P_B64K;
                else if (!strcmp(t, "rr"))
                        m |= P_RR;
                else if (!strcmp(t, "conn"))
                        m |= P_CONN;
                else if (!strcmp(t, "mem"))
                        m |= P_MEM;
                else if (!strcmp(t, "load"))
                        m |= P_LOAD;
                else
                        die("-o: unknown part '%s' (bulk, bulk1500, bulk65535, rr, conn, mem, load)", t);
        }
        return m;
}

static const char *const fig_name[NFIG] = { "bulk MTU 1500", "bulk MTU 65535", "rr 1 byte",
                                            "connect+accept+close" };

static bool fig_on(enum fig f)
{
        if (f == F_BULK1500)
                return cfg.parts & P_B1500;
        if (f == F_BULK64K)
                return cfg.parts & P_B64K;
        return cfg.parts & (f == F_RR ? P_RR : P_CONN);
}

static void strata_run1(struct sx *x, enum fig f, struct stats *st, bool timed)
{
        if (f == F_RR)
                sx_rr(x, st, timed);
        else if (f == F_CONN)
                sx_conn(x, st, timed);
        else
                sx_bulk(x, st, timed);
}

static void strata_run(struct sx *x, enum fig f, struct stats *st, bool timed)
{
        uint64_t d0 = sx_drops(x);
        strata_run1(x, f, st, timed);
        if (timed)
                st->drops += sx_drops(x) - d0;
}

/* --- load: idle connections beside the measured one ------------------------------------- */

/* Issue 8: throughput and per-packet cost with 1, 100, 10,000 and 100,000
 * idle established connections open beside the measured one, in Strata,
 * lwIP and the kernel (one core; the idle sockets on lo in the bench's
 * private namespace, RLIMIT_NOFILE raised for them). */
#define LOAD_LEVELS 4
static const int load_n[LOAD_LEVELS] = { 1, 100, 10000, 100000 };
/* Strata: client connections per source address of a (one bind table per
 * address; ip_local_port_range holds 28,232 ports). */
#define SX_PER_ADDR 20000
/* Strata: accepted connections per listening port.  Every socket bound to
 * a port sits on that port's bind-hash chain, which a SYN's listener
 * lookup walks (tcp.c) and a close walks to unlink itself (port_hash_del,
 * singly linked): with 100,000 on one port both are quadratic, so the idle
 * connections are spread over listeners on ports PORT+1... */
#define SX_PER_LISTENER 1000
/* lwIP: every client pcb of a stack takes a port of its own from
 * 0xc000..0xffff, whatever the addresses (tcp_new_port). */
#define LX_PORTS 16384
/* Linux: client connections per listening port on 127.0.0.1 (the
 * ephemeral range holds 28,232 per destination). */
#define KX_PER_LISTENER 20000

struct load {
        struct sx x; /* MTU 1500 and its measured connection */
        int *c, *s, n;
        int *lfd, nl; /* b's listeners of the idle connections */
        struct stats sb[LOAD_LEVELS], sr[LOAD_LEVELS], lb[LOAD_LEVELS], lr[LOAD_LEVELS];
        const char *lskip[LOAD_LEVELS];
        struct stats kb[LOAD_LEVELS], kr[LOAD_LEVELS];
        const char *kskip;             /* why the kernel is not measured at all */
        const char *kskip_l[LOAD_LEVELS]; /* ... or at a level */
        char kwhy[96];
        int *kfd, kn, kmax, *klfd, knl; /* kernel: client, server fd of each idle connection */
        struct sockaddr_in *kdst;
#ifdef HAVE_LWIP
        struct lx_end m[2]; /* lwIP's measured connection, wire LX_1500 */
        struct lx_end *lc, *ls;
        int ln, lmax;
#endif
};

static void load_setup(struct load *ld, int max, bool lwip)
{
        sx_setup(&ld->x, 1500, "load");
        for (int i = 0; i < 2; i++)
                sx_check(strata_set_nofile(ld->x.n[i], (unsigned)max + 1024), "strata_set_nofile");
        for (int a = 0; a <= max / SX_PER_ADDR; a++) {
                char cidr[32];
                snprintf(cidr, sizeof(cidr), "10.0.0.%d/24", 10 + a);
                sx_check(strata_addr_add(ld->x.n[0], "veth0", cidr), "strata_addr_add");
        }
        ld->c = calloc((size_t)max, sizeof(int));
        ld->s = calloc((size_t)max, sizeof(int));
        ld->nl = (max + SX_PER_LISTENER - 1) / SX_PER_LISTENER;
        ld->lfd = calloc((size_t)ld->nl, sizeof(int));
        if (!ld->c || !ld->s || !ld->lfd)
                die("out of memory");
        for (int i = 0; i < ld->nl; i++) {
                struct sockaddr_in sa = ld->x.dst;
                sa.sin_port = htons((uint16_t)(PORT + 1 + i));
                ld->lfd[i] = strata_socket(ld->x.n[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                sx_check(ld->lfd[i], "strata_socket listener");
                sx_check(strata_bind(ld->x.n[1], ld->lfd[i], (struct sockaddr *)&sa, sizeof(sa)),
                         "strata_bind listener");
                sx_check(strata_listen(ld->x.n[1], ld->lfd[i], 4096), "strata_listen");
        }
        if (!cfg.kernel)
                ld->kskip = "not run (-s, -K)";
        else {
                struct rlimit rl = { (rlim_t)max * 2 + 4096, (rlim_t)max * 2 + 4096 };
                ld->knl = max / KX_PER_LISTENER + 1;
                ld->kfd = calloc((size_t)max * 2, sizeof(int));
                ld->klfd = calloc((size_t)ld->knl, sizeof(int));
                ld->kdst = calloc((size_t)ld->knl, sizeof(*ld->kdst));
                if (!ld->kfd || !ld->klfd || !ld->kdst)
                        die("out of memory");
                ld->kmax = max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                        /* without CAP_SYS_RESOURCE: as many as the hard limit allows */
                        getrlimit(RLIMIT_NOFILE, &rl);
                        rl.rlim_cur = rl.rlim_max;
                        setrlimit(RLIMIT_NOFILE, &rl);
                        ld->kmax = rl.rlim_max > 512 ? (int)((rl.rlim_max - 512) / 2) : 0;
                        snprintf(ld->kwhy, sizeof(ld->kwhy), "not measured: RLIMIT_NOFILE %llu",
                                 (unsigned long long)rl.rlim_max);
                }
                for (int i = 0; i < ld->knl; i++)
                        ld->klfd[i] = kx_listener(&ld->kdst[i]);
        }
#ifdef HAVE_LWIP
        if (lwip) {
                lx_connect(LX_1500, &ld->m[0], &ld->m[1]);
                ld->lmax = max < LX_PORTS - 64 ? max : LX_PORTS - 64;
                ld->lc = calloc((size_t)ld->lmax, sizeof(*ld->lc));
                ld->ls = calloc((size_t)ld->lmax, sizeof(*ld->ls));
                if (!ld->lc || !ld->ls)
                        die("out of memory");
        }
#endif
}

/* Open idle connections until n are open in each stack. */
static void load_grow(struct load *ld, int n, bool lwip)
{
        while (ld->n < n) {
                int i = ld->n++;
                ld->c[i] = sx_connect_via(&ld->x, false, &ld->s[i],
                                          0x0a00000a + (uint32_t)(i / SX_PER_ADDR),
                                          ld->lfd[i / SX_PER_LISTENER],
                                          (uint16_t)(PORT + 1 + i / SX_PER_LISTENER));
        }
        sx_rounds(&ld->x);
        while (!ld->kskip && ld->kn < n && ld->kn < ld->kmax) {
                int i = ld->kn, l = i / KX_PER_LISTENER;
                int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c < 0 || connect(c, (struct sockaddr *)&ld->kdst[l], sizeof(ld->kdst[l])) < 0)
                        die("Linux: load connect %d: %s", i, strerror(errno));
                int a = accept(ld->klfd[l], NULL, NULL);
                if (a < 0)
                        die("Linux: load accept %d: %s", i, strerror(errno));
                ld->kfd[2 * i] = c;
                ld->kfd[2 * i + 1] = a;
                ld->kn++;
        }
#ifdef HAVE_LWIP
        if (lwip) {
                while (ld->ln < n && ld->ln < ld->lmax) {
                        lx_connect(LX_1500, &ld->lc[ld->ln], &ld->ls[ld->ln]);
                        ld->ln++;
                }
                lx_rounds(LX_1500);
        }
#endif
}

static void load_run(struct load *ld, int lvl, bool lwip, bool timed)
{
        sx_bulk(&ld->x, &ld->sb[lvl], timed);
        if (!ld->kskip_l[lvl])
                kx_run(F_BULK1500, false, &ld->kb[lvl], timed);
#ifdef HAVE_LWIP
        if (lwip && !ld->lskip[lvl])
                lx_bulk(&ld->m[0], &ld->m[1], LX_1500, cfg.seconds, &ld->lb[lvl], timed);
#endif
        sx_rr(&ld->x, &ld->sr[lvl], timed);
        if (!ld->kskip_l[lvl])
                kx_run(F_RR, false, &ld->kr[lvl], timed);
#ifdef HAVE_LWIP
        if (lwip && !ld->lskip[lvl])
                lx_rr(&ld->m[0], &ld->m[1], LX_1500, cfg.seconds, &ld->lr[lvl], timed);
#endif
}

static void load_measure(struct load *ld, int max, bool lwip, const char *lx_skip)
{
        load_setup(ld, max, lwip);
        double secs = cfg.seconds;
        for (int lvl = 0; lvl < LOAD_LEVELS && load_n[lvl] <= max && !g_stop; lvl++) {
                uint64_t t0 = now_ns(CLOCK_MONOTONIC);
                load_grow(ld, load_n[lvl], lwip);
                double grow_s = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
                ld->lskip[lvl] = lx_skip;
                ld->kskip_l[lvl] = ld->kskip ? ld->kskip : ld->kn < load_n[lvl] ? ld->kwhy : NULL;
#ifdef HAVE_LWIP
                if (lwip && ld->ln < load_n[lvl])
                        ld->lskip[lvl] = "not measured: 16,384 client ports";
#endif
                for (int r = -1; r < cfg.runs && !g_stop; r++) {
                        cfg.seconds = r < 0 ? (secs / 5 < 0.1 ? secs / 5 : 0.1) : secs;
                        load_run(ld, lvl, lwip && !ld->lskip[lvl], r >= 0);
                }
                cfg.seconds = secs;
                printf("  load: %d idle connections open beside the measured one (Strata %d, "
                       "Linux %d, lwIP %s; opened in %.1f s)\n",
                       load_n[lvl], ld->n, ld->kn, ld->lskip[lvl] ? ld->lskip[lvl] : "as many",
                       grow_s);
        }
}

/* CPU ns per packet from transactions per CPU-second (two packets each:
 * the ACKs ride on the data). */
static struct series ns_per_packet(const struct series *tps)
{
        struct series s = per_core(tps);
        for (int i = 0; i < s.n; i++)
                s.v[i] /= 2;
        return s;
}

static void load_rows(struct load *ld, int max, const char *pk, const char *pl)
{
        for (int lvl = 0; lvl < LOAD_LEVELS && load_n[lvl] <= max; lvl++) {
                char a[64], n[32];
                fmt_num(load_n[lvl], n, sizeof(n));
                bool on = !ld->lskip[lvl], kon = !ld->kskip_l[lvl];
                snprintf(a, sizeof(a), "bulk 1500 Gbit/s +%s idle", n);
                table_series(cols, a, &ld->sb[lvl].rate, 2, pk, kon ? &ld->kb[lvl].rate : NULL,
                             ld->kskip_l[lvl]);
                table_series(cols, a, &ld->sb[lvl].rate, 2, pl, on ? &ld->lb[lvl].rate : NULL,
                             ld->lskip[lvl]);
                struct series sp = ns_per_packet(&ld->sr[lvl].cpu),
                              kp = ns_per_packet(&ld->kr[lvl].cpu),
                              lp = ns_per_packet(&ld->lr[lvl].cpu);
                snprintf(a, sizeof(a), "rr CPU ns/packet +%s idle", n);
                table_series(cols, a, &sp, 1, pk, kon ? &kp : NULL, ld->kskip_l[lvl]);
                table_series(cols, a, &sp, 1, pl, on ? &lp : NULL, ld->lskip[lvl]);
        }
}

static void load_free(struct load *ld)
{
        for (int i = 0; i < ld->n; i++) {
                strata_close(ld->x.n[0], ld->c[i]);
                strata_close(ld->x.n[1], ld->s[i]);
        }
        for (int i = 0; i < ld->nl; i++)
                strata_close(ld->x.n[1], ld->lfd[i]);
        free(ld->c);
        free(ld->s);
        free(ld->lfd);
        sx_teardown(&ld->x);
        for (int i = 0; i < 2 * ld->kn; i++)
                close(ld->kfd[i]);
        for (int i = 0; !ld->kskip && i < ld->knl; i++)
                close(ld->klfd[i]);
        free(ld->kfd);
        free(ld->klfd);
        free(ld->kdst);
}

static void verdict(const char *what, bool met, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        printf("target: %s -- %s: ", what, met ? "met" : "MISSED");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
}

int main(int argc, char **argv)
{
        int opt;
        while ((opt = getopt(argc, argv, "t:n:N:M:o:sKL")) != -1) {
                switch (opt) {
                case 't':
                        cfg.seconds = atof(optarg);
                        break;
                case 'n':
                        cfg.runs = atoi(optarg);
                        break;
                case 'N':
                        cfg.nconn = atoi(optarg);
                        break;
                case 'M':
                        cfg.load_max = atoi(optarg);
                        break;
                case 'o':
                        cfg.parts = parse_parts(optarg);
                        break;
                case 's':
                        cfg.kernel = cfg.lwip = false;
                        break;
                case 'K':
                        cfg.kernel = false;
                        break;
                case 'L':
                        cfg.lwip = false;
                        break;
                default:
                        fprintf(stderr,
                                "usage: %s [-t seconds] [-n runs] [-N connections] "
                                "[-M idle connections] [-o bulk,rr,conn,mem,load] "
                                "[-s | -K | -L]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (cfg.runs < 1 || cfg.runs > MAX_RUNS)
                die("-n: 1..%d runs", MAX_RUNS);
        if (cfg.seconds <= 0)
                die("-t: seconds > 0");
        if (cfg.load_max < 1 || cfg.load_max > 1000000)
                die("-M: 1..1000000 idle connections");
        if (cfg.nconn < 1 || cfg.nconn > 1000)
                die("-N: 1..1000 (the fd table holds 1024 per namespace)");
        setvbuf(stdout, NULL, _IOLBF, 0);
        catch_signals();
        memset(sbuf, 'x', sizeof(sbuf));

        cpus_pick();
        if (cfg.kernel) {
                k_private_ns = kx_namespace();
                if (!k_private_ns) {
                        printf("Linux peer skipped (needs root for a private namespace whose "
                               "lo MTU can be set)\n");
                        cfg.kernel = false;
                }
                ksoftirqd_find();
        }
        bool two = cfg.kernel && cpu_two >= 0;

        printf("bench_tcp: one TCP stream / connection between two Strata namespaces (veth), "
               "beside Linux TCP on loopback\n");
        print_machine();
        printf("%d runs of %.1f s per peer and figure, interleaved; Strata and Linux 1-core on "
               "CPU %d, Linux 2-core on CPUs %d+%d; values: median (min..max)\n",
               cfg.runs, cfg.seconds, cpu_one, cpu_one, cpu_two);

        static struct sx env[NFIG];
        static struct stats ss[NFIG], k1[NFIG], k2[NFIG];
        static const unsigned mtu[NFIG] = { 1500, 65535, 65535, 65535 };
        static const char *const envname[NFIG] = { "b1500", "b64k", "rr", "conn" };
        for (int f = 0; f < NFIG; f++)
                if (fig_on((enum fig)f))
                        sx_setup(&env[f], mtu[f], envname[f]);
        static struct stats l1[NFIG];
        struct series mcpy = { .n = 0 };
        const char *lx_skip = NULL;
#ifdef HAVE_LWIP
        const char *pl = LWIP_NAME;
        if (cfg.lwip) {
                unsigned figs = 0;
                for (int f = 0; f < NFIG; f++)
                        if (fig_on((enum fig)f))
                                figs |= 1u << f;
                lx_setup(figs);
                lx_skip = lx.error;
        } else
                lx_skip = "not run (-s, -L)";
#else
        const char *pl = "lwIP (Debian)";
        lx_skip = "skipped (no lwIP headers: liblwip-dev)";
#endif

        double secs = cfg.seconds;
        for (int r = -1; r < cfg.runs && !g_stop; r++) {
                bool timed = r >= 0;
                cfg.seconds = timed ? secs : (secs / 5 < 0.1 ? secs / 5 : 0.1);
                for (int f = 0; f < NFIG && !g_stop; f++) {
                        if (!fig_on((enum fig)f))
                                continue;
                        strata_run(&env[f], (enum fig)f, &ss[f], timed);
                        if (cfg.kernel) {
                                kx_run((enum fig)f, false, &k1[f], timed);
                                if (two)
                                        kx_run((enum fig)f, true, &k2[f], timed);
                        }
#ifdef HAVE_LWIP
                        if (!lx_skip && !g_stop)
                                lx_run((enum fig)f, cfg.seconds, &l1[f], timed);
#endif
                }
                if (timed && fig_on(F_BULK64K))
                        memcpy_run(&mcpy);
                if (timed) {
                        printf("  run %d:", r + 1);
                        for (int f = 0; f < NFIG; f++)
                                if (fig_on((enum fig)f))
                                        printf(" %s S %.4g K1 %.4g K2 %.4g L %.4g;", fig_name[f],
                                               ss[f].rate.v[r], k1[f].rate.n ? k1[f].rate.v[r] : 0,
                                               k2[f].rate.n ? k2[f].rate.v[r] : 0,
                                               l1[f].rate.n > r ? l1[f].rate.v[r] : 0);
                        printf("\n");
                }
        }
        cfg.seconds = secs;

        double s_mem = 0, s_sock = 0, k_mem = -1, k_pages = -1, l_mem = -1;
        unsigned l_pcb = 0;
        if ((cfg.parts & P_MEM) && !g_stop) {
                s_mem = sx_mem(cfg.nconn, &s_sock);
                if (cfg.kernel)
                        k_mem = kx_mem(cfg.nconn, &k_pages);
#ifdef HAVE_LWIP
                if (!lx_skip)
                        l_mem = lx_mem(cfg.nconn, &l_pcb);
#endif
        }
        static struct load ld;
        if ((cfg.parts & P_LOAD) && !g_stop)
                load_measure(&ld, cfg.load_max, !lx_skip, lx_skip);

        for (int f = 0; f < NFIG; f++) {
                if (!fig_on((enum fig)f))
                        continue;
                printf("  Strata %s, timed runs: packets dropped (all reasons) %" PRIu64
                       ", runs not fully delivered %" PRIu64
                       ", simulated clock moved 1 ms to unstick %" PRIu64 " times\n",
                       fig_name[f], ss[f].drops, ss[f].errors, ss[f].stalls);
                if (!lx_skip)
                        printf("  lwIP %s, timed runs: runs not fully delivered %" PRIu64
                               ", TCP timer ticks run to unstick %" PRIu64 "\n",
                               fig_name[f], l1[f].errors, l1[f].stalls);
        }
#ifdef HAVE_LWIP
        if (!lx_skip) {
                uint64_t frames = 0, lent = 0, copied = 0, full = 0;
                for (int w = 0; w < LX_WIRES; w++)
                        for (int i = 0; i < 2; i++) {
                                frames += lx.port[w][i].frames;
                                lent += lx.port[w][i].lent;
                                copied += lx.port[w][i].copied;
                                full += lx.port[w][i].ring_full;
                        }
                printf("  lwIP: two copies of liblwip.so.0 (dlmopen), one thread; compiled in "
                       "by Debian: TCP_MSS %d, TCP_WND %d (scale %d), TCP_SND_BUF %d, "
                       "TCP_SND_QUEUELEN %d; wire frames %" PRIu64 " (payload lent, headers "
                       "copied %" PRIu64 "; copied whole %" PRIu64 "; dropped ring full %" PRIu64
                       ")\n",
                       TCP_MSS, TCP_WND, TCP_RCV_SCALE, TCP_SND_BUF, TCP_SND_QUEUELEN, frames,
                       lent, copied, full);
        }
#endif

        const char *pk1 = "Linux lo, 1 core", *pk2 = "Linux lo, 2 cores";
        printf("\nratio = Strata / peer: above 1 is better for rates, below 1 for latencies "
               "and bytes\n");
        table_head(cols);
        for (int f = 0; f < NFIG; f++) {
                if (!fig_on((enum fig)f))
                        continue;
                char a[64], b[64];
                bool bulk = f == F_BULK1500 || f == F_BULK64K;
                const char *unit = f == F_RR ? "transactions/s" : "connections/s";
                /* the kernel on one core, on two cores, then lwIP */
                for (int k = 0; k < 3; k++) {
                        struct stats *p = k == 2 ? &l1[f] : k ? &k2[f] : &k1[f];
                        const char *pn = k == 2 ? pl : k ? pk2 : pk1;
                        bool on = k == 2 ? !lx_skip : cfg.kernel;
                        const char *skip = k == 2 ? lx_skip : NULL;
                        if (k == 1 && !two)
                                continue;
                        if (bulk) {
                                snprintf(a, sizeof(a), "%s Gbit/s (wall)", fig_name[f]);
                                snprintf(b, sizeof(b), "%s bytes/CPU-s", fig_name[f]);
                                table_series(cols, a, &ss[f].rate, 2, pn, on ? &p->rate : NULL,
                                             skip);
                                table_series(cols, b, &ss[f].cpu, -1, pn, on ? &p->cpu : NULL,
                                             skip);
                        } else {
                                snprintf(a, sizeof(a), "%s (wall)", unit);
                                snprintf(b, sizeof(b), "%s per CPU-s", unit);
                                table_series(cols, a, &ss[f].rate, -1, pn, on ? &p->rate : NULL,
                                             skip);
                                table_series(cols, b, &ss[f].cpu, -1, pn, on ? &p->cpu : NULL,
                                             skip);
                                if (f == F_RR) {
                                        table_series(cols, "rr p50 us", &ss[f].p50, 2, pn,
                                                     on ? &p->p50 : NULL, skip);
                                        table_series(cols, "rr p99 us", &ss[f].p99, 2, pn,
                                                     on ? &p->p99 : NULL, skip);
                                }
                        }
                }
        }
        if (fig_on(F_BULK64K)) {
                table_series(cols, "bulk MTU 65535 bytes/CPU-s", &ss[F_BULK64K].cpu, -1,
                             "memcpy 64 KiB", &mcpy, NULL);
                double m = series_median(&mcpy), b = series_median(&ss[F_BULK64K].cpu);
                printf("  memcpy: one core copying 64 KiB blocks (the same buffers bulk sends "
                       "from and reads into); Strata copies every byte twice (send into the "
                       "stack, receive out of it), so its ceiling is memcpy / 2: bulk MTU 65535 "
                       "runs at %.0f%% of it\n",
                       m > 0 ? 100 * b / (m / 2) : 0);
        }
        if (cfg.parts & P_LOAD)
                load_rows(&ld, cfg.load_max, pk1, pl);
        if (cfg.parts & P_MEM) {
                char a[64], b[64];
                snprintf(a, sizeof(a), "%.0f", s_mem);
                snprintf(b, sizeof(b), "%.0f", k_mem);
                table_row(cols, "bytes per idle connection", a, "Linux (slab delta)",
                          k_mem >= 0 ? b : "-", k_mem > 0 ? s_mem / k_mem : 0);
                snprintf(a, sizeof(a), "%.0f", s_sock);
                snprintf(b, sizeof(b), "%.0f", k_mem / 2);
                table_row(cols, "bytes per idle socket", a, "Linux (slab delta)",
                          k_mem >= 0 ? b : "-", k_mem > 0 ? s_mem / k_mem : 0);
                snprintf(a, sizeof(a), "%.0f", s_mem);
                snprintf(b, sizeof(b), "%.0f", l_mem);
                table_row(cols, "bytes per idle connection", a, "lwIP (malloc delta)",
                          l_mem >= 0 ? b : lx_skip ? lx_skip : "-", l_mem > 0 ? s_mem / l_mem : 0);
                snprintf(a, sizeof(a), "%.0f", s_sock);
                snprintf(b, sizeof(b), "%.0f", l_mem / 2);
                table_row(cols, "bytes per idle socket", a, "lwIP (malloc delta)",
                          l_mem >= 0 ? b : lx_skip ? lx_skip : "-", l_mem > 0 ? s_mem / l_mem : 0);
                /* computed: 2 GiB over the bytes per idle socket (one socket per
                 * connection on a server) */
                const double gib2 = 2.0 * 1024 * 1024 * 1024;
                double s_fit = s_sock > 0 ? gib2 / s_sock : 0, k_fit = k_mem > 0 ? gib2 / (k_mem / 2) : 0,
                       l_fit = l_mem > 0 ? gib2 / (l_mem / 2) : 0;
                fmt_num(s_fit, a, sizeof(a));
                fmt_num(k_fit, b, sizeof(b));
                table_row(cols, "connections in 2 GiB (comp.)", a, "Linux (slab delta)",
                          k_fit > 0 ? b : "-", k_fit > 0 ? s_fit / k_fit : 0);
                fmt_num(l_fit, b, sizeof(b));
                table_row(cols, "connections in 2 GiB (comp.)", a, "lwIP (malloc delta)",
                          l_fit > 0 ? b : lx_skip ? lx_skip : "-", l_fit > 0 ? s_fit / l_fit : 0);
                printf("  memory, N=%d connections: Strata = mallinfo2 (uordblks+hblkhd) after - "
                       "before, both endpoints of each connection (client in a, accepted "
                       "socket in b), pools warmed by a first batch; Linux = /proc/slabinfo "
                       "(active_objs*objsize, all caches: TCP %lld-byte socks, files, inodes, "
                       "dentries, ...) after - before, whole machine; /proc/net/sockstat TCP "
                       "mem (buffer pages) per connection %.3f pages; connections in 2 GiB = "
                       "2 GiB / bytes per idle socket (computed, not opened)\n",
                       cfg.nconn, (long long)tcp_slab_objsize(), k_pages);
                if (l_mem >= 0)
                        printf("  lwIP memory: both copies' libc heaps (mallinfo2 uordblks+hblkhd) "
                               "after - before, heaps warmed by a first batch; an idle "
                               "established pcb is one malloc of struct tcp_pcb (memp "
                               "MEMP_TCP_PCB element: %u bytes) plus malloc's chunk header\n",
                               l_pcb);
        }
        printf("\n");

        /* targets */
        if (fig_on(F_BULK64K) && cfg.kernel) {
                double s = series_median(&ss[F_BULK64K].rate);
                double k = series_median(&k1[F_BULK64K].rate);
                const char *which = pk1;
                if (two && series_median(&k2[F_BULK64K].rate) > k) {
                        k = series_median(&k2[F_BULK64K].rate);
                        which = pk2;
                }
                verdict("MTU 65535 throughput >= the kernel's loopback throughput", s >= k,
                        "Strata %.2f Gbit/s vs %s %.2f Gbit/s (the kernel's best, wall) = %.2fx", s,
                        which, k, k > 0 ? s / k : 0);
        }
        if (fig_on(F_BULK1500) && !lx_skip) {
                double s = series_median(&ss[F_BULK1500].rate);
                double l = series_median(&l1[F_BULK1500].rate);
                double sc = series_median(&ss[F_BULK1500].cpu);
                double lc = series_median(&l1[F_BULK1500].cpu);
                verdict("MTU 1500 throughput >= 2x lwIP", s >= 2 * l,
                        "Strata %.2f Gbit/s vs %s %.2f Gbit/s = %.2fx (wall); per CPU-second "
                        "%.2fx",
                        s, pl, l, l > 0 ? s / l : 0, lc > 0 ? sc / lc : 0);
        }
        if (fig_on(F_RR) && cfg.kernel) {
                double s = series_median(&ss[F_RR].rate), k = series_median(&k1[F_RR].rate);
                verdict("request/response >= 5x the kernel's one-core rate", s >= 5 * k,
                        "Strata %.0f/s vs %s %.0f/s = %.2fx (wall)", s, pk1, k, k > 0 ? s / k : 0);
        }
        if (fig_on(F_CONN) && cfg.kernel) {
                double s = series_median(&ss[F_CONN].rate), k = series_median(&k1[F_CONN].rate);
                verdict("connection rate >= 5x the kernel's one-core rate", s >= 5 * k,
                        "Strata %.0f/s vs %s %.0f/s = %.2fx (wall)", s, pk1, k, k > 0 ? s / k : 0);
        }
        if (cfg.parts & P_MEM)
                verdict("<= 1 KiB per idle connection", s_sock <= MEM_TARGET,
                        "Strata %.0f bytes per socket (%.0f per connection with both ends in "
                        "this process)",
                        s_sock, s_mem);

        for (int f = 0; f < NFIG; f++)
                if (fig_on((enum fig)f))
                        sx_teardown(&env[f]);
        if (cfg.parts & P_LOAD)
                load_free(&ld);
        if (g_stop) {
                fprintf(stderr, "bench_tcp: interrupted\n");
                return 1;
        }
        return 0;
}
