/*
 * bench_udp: 64-byte UDP datagrams through Strata's socket layer, beside the
 * Linux kernel's loopback UDP measured in the same run (issue 3's figure).
 *
 *   Strata  two namespaces on one simulated clock, joined by a veth pair
 *           (10.0.0.1/24 and 10.0.0.2/24), a non-blocking UDP socket in
 *           each.  One thread, pinned to one core: it tops a window of
 *           datagrams up with strata_sendto (a -> b), runs a round of each
 *           namespace (strata_net_poll b, then a) and drains b's socket
 *           with non-blocking strata_recvfrom.  No system call is made on
 *           this path; the clock never moves while timing.
 *   Linux   UDP on 127.0.0.1 (in a private network namespace when run as
 *           root, so that the namespace's Udp counters are ours alone),
 *           five ways:
 *             1 thread   Strata's loop with system calls: one thread pinned
 *                        to one core fills the window with sendmmsg (64 per
 *                        call) and reads it back with non-blocking recvmmsg;
 *                        loopback delivers inside the send call, so nothing
 *                        sleeps.  The kernel's fastest one-core way here.
 *             1 core     a client and a server thread, both pinned to ONE
 *                        core: sendmmsg / recvmmsg batches of up to 64, or
 *                        one datagram per sendto / recvfrom;
 *             2 cores    the same two ways with one core per thread.
 *           The client keeps at most a window of datagrams unread (a shared
 *           counter and a futex; the receive buffer is sized to hold the
 *           window), so nothing is dropped.
 *
 * Each datagram carries its sequence number; the receiver checks the order
 * and the count.  Drop counters are read before and after every timed run
 * (Strata: SOCKET_RCVBUFF and every other drop reason, Udp.RcvbufErrors;
 * Linux: Udp.RcvbufErrors of the namespace and the socket's own drop count)
 * and must stay 0.
 *
 * The target (>= 2x the kernel) is judged against the kernel's best
 * one-core figure: Strata makes no system call on this path and runs both
 * ends on one core, so the fair peer is the kernel doing the same work on
 * one core, in whichever of its one-core ways is fastest.  Rates per core
 * are 1e9 / (CPU ns per datagram): robust on a machine shared with other
 * work.  Linux CPU time is both threads' own CPU clocks plus ksoftirqd's.
 *
 * Runs are interleaved (Strata, then each Linux way, then Strata again,
 * ...); each figure is the median (min..max) over the runs.  Six peers x 5
 * runs x 0.8 s keep the whole program under 30 s.
 *
 * Options: -t SECONDS per run (0.8), -n RUNS (5), -w Strata window (64),
 *          -W Linux window (256), -o LIST of parts: strata,k1,k2 (k1: the
 *          kernel's one-core ways, k2: two cores; "kernel" = both).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/dropreason.h"
#include "core/skb.h"
#include "strata/socket.h"
#include "strata/strata.h"

#include "lib/bench_util.h"

#define PAYLOAD     64
#define KBATCH      64 /* datagrams per sendmmsg / recvmmsg */
#define MAX_WINDOW  4096
#define STRATA_PORT 5001
#define TARGET      2.0

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#define SK_MEMINFO_DROPS 8 /* <linux/sock_diag.h> */

enum part { P_STRATA = 1, P_K1 = 2, P_K2 = 4 };

static struct {
        double seconds;
        int runs;
        int window;  /* Strata: datagrams in flight */
        int kwindow; /* Linux: datagrams sent and not yet read */
        unsigned parts;
} cfg = { 0.8, 5, 64, 256, P_STRATA | P_K1 | P_K2 };

const char bench_name[] = "bench_udp";

/* Column widths of the table. */
static const int cols[TABLE_COLS] = { 32, 34, 34, 34, 7 };

/* --- results ---------------------------------------------------------------- */

/* What the runs of one peer yield. */
struct udp_stats {
        const char *name;    /* peer column */
        const char *skipped; /* why there are no figures */
        struct series dps;   /* datagrams per second, wall */
        struct series cpu;   /* CPU ns per datagram (Linux: threads + ksoftirqd) */
        uint64_t datagrams, lost, misordered, drops, stalls, eagain;
};

/* Every datagram: its sequence number (8 bytes, host order), then bytes
 * counting up. */
static void payload_init(uint8_t *b)
{
        for (int i = 0; i < PAYLOAD; i++)
                b[i] = (uint8_t)i;
}

static void payload_seq(uint8_t *b, uint64_t seq)
{
        memcpy(b, &seq, sizeof(seq));
}

static uint64_t payload_get_seq(const uint8_t *b)
{
        uint64_t seq;
        memcpy(&seq, b, sizeof(seq));
        return seq;
}

/* --- Strata -------------------------------------------------------------------- */

struct sx {
        struct strata_clock *clk;
        struct strata_net *n[2]; /* a (sends), b (receives) */
        int fd[2];
        struct sockaddr_in dst;
        uint8_t out[PAYLOAD];
        uint64_t sent, rcvd, next_seq, misordered, eagain;
        uint64_t bad_len, recv_err;
        uint64_t rcvbuff, rcvbuf_errors;     /* SOCKET_RCVBUFF, Udp.RcvbufErrors (sx_drops) */
        uint64_t t_rcvbuff, t_rcvbuf_errors; /* the same, during timed runs */
        int rcvbuf, sndbuf;
};

/* Counters by name; -1 when the build does not know the name. */
static int64_t sx_counter(struct strata_net *n, const char *name)
{
        uint64_t v = 0;
        return strata_counter(n, name, &v) < 0 ? -1 : (int64_t)v;
}

/* Drops in both namespaces: every reason, plus Udp.RcvbufErrors. */
static uint64_t sx_drops(struct sx *x)
{
        uint64_t sum = 0;
        x->rcvbuff = x->rcvbuf_errors = 0;
        for (int i = 0; i < 2; i++) {
                for (int r = 1; r < SKB_DROP_REASON_MAX; r++) {
                        int64_t v = sx_counter(x->n[i], drop_reason_name((enum skb_drop_reason)r));
                        if (v > 0)
                                sum += (uint64_t)v;
                }
                int64_t v = sx_counter(x->n[i], "Udp.RcvbufErrors");
                if (v > 0) {
                        sum += (uint64_t)v;
                        x->rcvbuf_errors += (uint64_t)v;
                }
                v = sx_counter(x->n[i], "SOCKET_RCVBUFF");
                if (v > 0)
                        x->rcvbuff += (uint64_t)v;
        }
        return sum;
}

static int sx_send(struct sx *x)
{
        payload_seq(x->out, x->sent);
        ssize_t r = strata_sendto(x->n[0], x->fd[0], x->out, PAYLOAD, 0,
                                  (const struct sockaddr *)&x->dst, sizeof(x->dst));
        if (r == -EAGAIN || r == -ENOBUFS) {
                x->eagain++;
                return -1;
        }
        sx_check(r, "strata_sendto");
        if (r != PAYLOAD)
                die("Strata: strata_sendto sent %zd of %d bytes", r, PAYLOAD);
        x->sent++;
        return 0;
}

/* Read every datagram waiting on b's socket. */
static int sx_drain(struct sx *x)
{
        uint8_t buf[2048];
        struct sockaddr_in from;
        int n = 0;
        for (;;) {
                socklen_t fl = sizeof(from);
                ssize_t r = strata_recvfrom(x->n[1], x->fd[1], buf, sizeof(buf), 0,
                                            (struct sockaddr *)&from, &fl);
                if (r == -EAGAIN)
                        return n;
                if (r < 0) {
                        x->recv_err++;
                        return n;
                }
                if (r != PAYLOAD)
                        x->bad_len++;
                uint64_t seq = payload_get_seq(buf);
                if (seq != x->next_seq)
                        x->misordered++;
                x->next_seq = seq + 1;
                x->rcvd++;
                n++;
        }
}

static int sx_setup(struct sx *x)
{
        memset(x, 0, sizeof(*x));
        sx_pair_setup(&x->clk, x->n, "a", "b", 0);

        for (int i = 0; i < 2; i++) {
                x->fd[i] = strata_socket(x->n[i], AF_INET, SOCK_DGRAM, 0);
                sx_check(x->fd[i], "strata_socket");
                int fl = strata_fcntl(x->n[i], x->fd[i], F_GETFL, 0);
                sx_check(fl, "strata_fcntl F_GETFL");
                sx_check(strata_fcntl(x->n[i], x->fd[i], F_SETFL, fl | O_NONBLOCK),
                         "strata_fcntl F_SETFL O_NONBLOCK");
        }
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(STRATA_PORT) };
        sa.sin_addr.s_addr = htonl(0x0a000001); /* 10.0.0.1 */
        sx_check(strata_bind(x->n[0], x->fd[0], (struct sockaddr *)&sa, sizeof(sa)),
                 "strata_bind a");
        sa.sin_addr.s_addr = htonl(0x0a000002); /* 10.0.0.2 */
        sx_check(strata_bind(x->n[1], x->fd[1], (struct sockaddr *)&sa, sizeof(sa)),
                 "strata_bind b");
        x->dst = sa;
        socklen_t l = sizeof(x->rcvbuf);
        sx_check(strata_getsockopt(x->n[1], x->fd[1], SOL_SOCKET, SO_RCVBUF, &x->rcvbuf, &l),
                 "strata_getsockopt SO_RCVBUF");
        l = sizeof(x->sndbuf);
        sx_check(strata_getsockopt(x->n[0], x->fd[0], SOL_SOCKET, SO_SNDBUF, &x->sndbuf, &l),
                 "strata_getsockopt SO_SNDBUF");
        payload_init(x->out);

        /* Resolve the neighbours (the first datagram waits for ARP) before
         * anything is timed; the clock is not advanced afterwards, so the
         * entries stay REACHABLE. */
        if (sx_send(x) < 0)
                die("Strata: warm-up datagram refused (EAGAIN)");
        sx_check(strata_sim_run(x->n, 2, strata_clock_now(x->clk)), "strata_sim_run");
        sx_drain(x);
        if (x->rcvd != 1)
                die("Strata: warm-up datagram not received (%" PRIu64 " received)", x->rcvd);
        return 0;
}

static void sx_run(struct sx *x, struct udp_stats *st, bool timed)
{
        pin(cpu_one);
        uint64_t d0 = sx_drops(x), rb0 = x->rcvbuff, re0 = x->rcvbuf_errors, s0 = x->sent,
                 r0 = x->rcvd, m0 = x->misordered, e0 = x->eagain;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9);
        for (unsigned it = 1; !g_stop; it++) {
                while (x->sent - x->rcvd < (uint64_t)cfg.window)
                        if (sx_send(x) < 0)
                                break;
                strata_net_poll(x->n[1]);
                strata_net_poll(x->n[0]);
                sx_drain(x);
                if ((it & 15) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        /* finish the window inside the timed span: every datagram counted was paid */
        for (int i = 0; i < 1000 && x->sent != x->rcvd; i++) {
                strata_net_poll(x->n[1]);
                strata_net_poll(x->n[0]);
                sx_drain(x);
        }
        uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        unpin();
        if (!timed)
                return;
        uint64_t n = x->rcvd - r0;
        st->datagrams += n;
        st->lost += (x->sent - s0) - n;
        st->misordered += x->misordered - m0;
        st->eagain += x->eagain - e0;
        st->drops += sx_drops(x) - d0;
        x->t_rcvbuff += x->rcvbuff - rb0;
        x->t_rcvbuf_errors += x->rcvbuf_errors - re0;
        series_add(&st->dps, (double)n * 1e9 / (double)(w1 - w0));
        series_add(&st->cpu, (double)(c1 - c0) / (double)(n ? n : 1));
        x->sent = x->rcvd; /* lost ones (none expected) do not block the window */
}

static void sx_report(struct sx *x)
{
        static const char *const names[] = { "Udp.InDatagrams",  "Udp.OutDatagrams",
                                             "Udp.RcvbufErrors", "Udp.SndbufErrors",
                                             "Udp.InErrors",     "Udp.NoPorts" };
        for (int i = 0; i < 2; i++) {
                printf("  Strata %s:", strata_net_name(x->n[i]));
                for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
                        int64_t v = sx_counter(x->n[i], names[k]);
                        if (v < 0)
                                printf(" %s=(unknown)", names[k]);
                        else
                                printf(" %s=%" PRId64, names[k], v);
                }
                uint64_t sum = 0;
                for (int r = 1; r < SKB_DROP_REASON_MAX; r++) {
                        int64_t v = sx_counter(x->n[i], drop_reason_name((enum skb_drop_reason)r));
                        if (v > 0)
                                sum += (uint64_t)v;
                }
                int64_t rb = sx_counter(x->n[i], "SOCKET_RCVBUFF");
                printf(" SOCKET_RCVBUFF=%" PRId64 " (drops, all reasons: %" PRIu64 ")\n", rb, sum);
                for (int r = 1; r < SKB_DROP_REASON_MAX; r++) {
                        const char *nm = drop_reason_name((enum skb_drop_reason)r);
                        int64_t v = sx_counter(x->n[i], nm);
                        if (v > 0)
                                printf("    %s=%" PRId64 "\n", nm, v);
                }
        }
        unsigned truesize = SKB_SMALL_SIZE + (unsigned)sizeof(struct sk_buff);
        printf("  Strata b's socket: SO_RCVBUF %d, a's SO_SNDBUF %d; window %d datagrams x "
               "truesize %u (buffer + head) = %u bytes%s; sent %" PRIu64 ", received %" PRIu64
               ", wrong length %" PRIu64 ", recv errors %" PRIu64 "\n",
               x->rcvbuf, x->sndbuf, cfg.window, truesize, cfg.window * truesize,
               (int)(cfg.window * truesize) <= x->rcvbuf ? " <= SO_RCVBUF" : " > SO_RCVBUF (!)",
               x->sent, x->rcvd, x->bad_len, x->recv_err);
}

static void sx_teardown(struct sx *x)
{
        strata_close(x->n[0], x->fd[0]);
        strata_close(x->n[1], x->fd[1]);
        sx_pair_free(x->clk, x->n);
}

/* --- Linux ---------------------------------------------------------------------------- */

static struct {
        bool private_ns; /* in a network namespace of our own */
        int rcvbuf;      /* what the server's socket got */
        bool forced;     /* SO_RCVBUFFORCE worked */
} kn;

/* Udp.RcvbufErrors of this namespace (/proc/self/net/snmp), or -1. */
static int64_t snmp_udp(const char *field)
{
        FILE *f = fopen("/proc/self/net/snmp", "r");
        if (!f)
                return -1;
        char hdr[1024], val[1024];
        int64_t out = -1;
        while (fgets(hdr, sizeof(hdr), f)) {
                if (strncmp(hdr, "Udp:", 4) || !fgets(val, sizeof(val), f))
                        continue;
                char *hs = NULL, *vs = NULL;
                char *h = strtok_r(hdr + 4, " \n", &hs), *v = strtok_r(val + 4, " \n", &vs);
                while (h && v) {
                        if (!strcmp(h, field)) {
                                out = strtoll(v, NULL, 10);
                                break;
                        }
                        h = strtok_r(NULL, " \n", &hs);
                        v = strtok_r(NULL, " \n", &vs);
                }
                break;
        }
        fclose(f);
        return out;
}

enum kmode { K_LOOP, K_MMSG, K_SINGLE };

struct kx_run {
        enum kmode mode;
        int cpu_client, cpu_server;
        int cfd, sfd;
        struct sockaddr_in dst;
        pthread_barrier_t go;
        _Atomic uint32_t rcvd;    /* futex word: datagrams read by the server */
        _Atomic uint32_t sent;    /* datagrams sent (low 32 bits) */
        _Atomic uint32_t wake_at; /* the client sleeps until sent - rcvd <= this */
        _Atomic int waiting;      /* the client sleeps on rcvd */
        _Atomic int client_gone;  /* the client has finished (stall or not) */
        uint64_t sent_total, rcvd_total, misordered, bad_len, stalls;
        uint64_t w0, w1, cpu_client_ns, cpu_server_ns;
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
        return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

/* One datagram read: false for the empty one that ends the run. */
static bool kx_server_got(struct kx_run *k, const uint8_t *buf, size_t len)
{
        if (len == 0)
                return false;
        if (len != PAYLOAD)
                k->bad_len++;
        if (payload_get_seq(buf) != k->rcvd_total)
                k->misordered++;
        k->rcvd_total++;
        return true;
}

/* Count n more read; wake the client if it sleeps and enough is read. */
static void kx_server_credit(struct kx_run *k, uint32_t n)
{
        uint32_t r = atomic_fetch_add(&k->rcvd, n) + n;
        if (atomic_load(&k->waiting) && atomic_load(&k->sent) - r <= atomic_load(&k->wake_at))
                futex(&k->rcvd, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static void *kx_server(void *arg)
{
        struct kx_run *k = arg;
        pin(k->cpu_server);
        static _Thread_local uint8_t bufs[KBATCH][2048];
        struct iovec iov[KBATCH];
        struct mmsghdr m[KBATCH];
        struct sockaddr_in from[KBATCH];
        bool more = true;
        pthread_barrier_wait(&k->go);
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        while (more) {
                if (k->mode == K_MMSG) {
                        for (int i = 0; i < KBATCH; i++) {
                                iov[i].iov_base = bufs[i];
                                iov[i].iov_len = sizeof(bufs[i]);
                                m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
                                                                .msg_namelen = sizeof(from[i]),
                                                                .msg_iov = &iov[i],
                                                                .msg_iovlen = 1 };
                        }
                        int r = recvmmsg(k->sfd, m, KBATCH, MSG_WAITFORONE, NULL);
                        if (r < 0 && errno != EAGAIN && errno != EINTR)
                                die("Linux: recvmmsg: %s", strerror(errno));
                        if (r < 0 && atomic_load(&k->client_gone))
                                break; /* the stop datagram was lost */
                        uint32_t n = 0;
                        for (int i = 0; i < r; i++) {
                                if (!kx_server_got(k, bufs[i], m[i].msg_len))
                                        more = false;
                                else
                                        n++;
                        }
                        if (n)
                                kx_server_credit(k, n);
                } else {
                        socklen_t fl = sizeof(from[0]);
                        ssize_t r = recvfrom(k->sfd, bufs[0], sizeof(bufs[0]), 0,
                                             (struct sockaddr *)&from[0], &fl);
                        if (r < 0 && errno != EAGAIN && errno != EINTR)
                                die("Linux: recvfrom: %s", strerror(errno));
                        if (r < 0 && atomic_load(&k->client_gone))
                                break;
                        if (r < 0)
                                continue;
                        if (!kx_server_got(k, bufs[0], (size_t)r))
                                more = false;
                        else
                                kx_server_credit(k, 1);
                }
        }
        k->cpu_server_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        return NULL;
}

/* Sleep until at most `until` datagrams are unread.  Returns the number
 * unread, or -1 after a stall (nothing read for 200 ms: datagrams lost). */
static int64_t kx_client_wait(struct kx_run *k, uint32_t sent, uint32_t until)
{
        uint32_t r = atomic_load(&k->rcvd);
        if (sent - r <= until)
                return sent - r;
        atomic_store(&k->wake_at, until);
        atomic_store(&k->waiting, 1);
        for (;;) {
                r = atomic_load(&k->rcvd);
                if (sent - r <= until)
                        break;
                struct timespec ts = { 0, 200000000 };
                if (futex(&k->rcvd, FUTEX_WAIT_PRIVATE, r, &ts) < 0 && errno == ETIMEDOUT &&
                    atomic_load(&k->rcvd) == r) {
                        k->stalls++;
                        atomic_store(&k->waiting, 0);
                        return -1;
                }
        }
        atomic_store(&k->waiting, 0);
        return sent - r;
}

static void *kx_client(void *arg)
{
        struct kx_run *k = arg;
        pin(k->cpu_client);
        static _Thread_local uint8_t bufs[KBATCH][PAYLOAD];
        struct iovec iov[KBATCH];
        struct mmsghdr m[KBATCH];
        for (int i = 0; i < KBATCH; i++) {
                payload_init(bufs[i]);
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = PAYLOAD;
                m[i].msg_hdr = (struct msghdr){ .msg_name = &k->dst,
                                                .msg_namelen = sizeof(k->dst),
                                                .msg_iov = &iov[i],
                                                .msg_iovlen = 1 };
        }
        const uint32_t w = (uint32_t)cfg.kwindow;
        uint64_t seq = 0;
        pthread_barrier_wait(&k->go);
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        k->w0 = now_ns(CLOCK_MONOTONIC);
        uint64_t deadline = k->w0 + (uint64_t)(cfg.seconds * 1e9);
        bool stalled = false;
        for (unsigned it = 1; !g_stop; it++) {
                /* a full window: sleep until half of it is read */
                uint32_t unread = (uint32_t)seq - atomic_load(&k->rcvd);
                if (unread >= w) {
                        int64_t u = kx_client_wait(k, (uint32_t)seq, w / 2);
                        if (u < 0) {
                                stalled = true;
                                break;
                        }
                        unread = (uint32_t)u;
                }
                uint32_t room = w - unread;
                if (k->mode == K_MMSG) {
                        unsigned n = room < KBATCH ? room : KBATCH;
                        for (unsigned i = 0; i < n; i++)
                                payload_seq(bufs[i], seq + i);
                        int r = sendmmsg(k->cfd, m, n, 0);
                        if (r < 0)
                                die("Linux: sendmmsg: %s", strerror(errno));
                        seq += (uint64_t)r;
                } else {
                        payload_seq(bufs[0], seq);
                        ssize_t r = sendto(k->cfd, bufs[0], PAYLOAD, 0,
                                           (const struct sockaddr *)&k->dst, sizeof(k->dst));
                        if (r < 0)
                                die("Linux: sendto: %s", strerror(errno));
                        seq++;
                }
                atomic_store(&k->sent, (uint32_t)seq);
                if ((it & 15) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        /* the timed span ends when the server has read everything */
        if (!stalled)
                kx_client_wait(k, (uint32_t)seq, 0);
        k->w1 = now_ns(CLOCK_MONOTONIC);
        k->cpu_client_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        k->sent_total = seq;
        /* an empty datagram tells the server to stop (not timed) */
        sendto(k->cfd, bufs[0], 0, 0, (const struct sockaddr *)&k->dst, sizeof(k->dst));
        atomic_store(&k->client_gone, 1);
        return NULL;
}

static int64_t sock_drops(int fd)
{
        uint32_t mi[16] = { 0 };
        socklen_t l = sizeof(mi);
        if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &l) < 0 ||
            l <= SK_MEMINFO_DROPS * sizeof(uint32_t))
                return -1;
        return mi[SK_MEMINFO_DROPS];
}

static int64_t k_rcvbuf_errors, k_sock_drops;
static uint64_t k_softirq_ns; /* ksoftirqd CPU time during timed runs */

/* One thread does both ends, as Strata's loop: fill the window with sendmmsg,
 * then read it back with non-blocking recvmmsg.  Loopback delivers inside
 * the send call (the softirq runs as it returns), so nothing ever sleeps. */
static void kx_loop(struct kx_run *k)
{
        static uint8_t out[KBATCH][PAYLOAD], in[KBATCH][2048];
        struct iovec oiov[KBATCH], iiov[KBATCH];
        struct mmsghdr om[KBATCH], im[KBATCH];
        struct sockaddr_in from[KBATCH];
        for (int i = 0; i < KBATCH; i++) {
                payload_init(out[i]);
                oiov[i] = (struct iovec){ .iov_base = out[i], .iov_len = PAYLOAD };
                om[i].msg_hdr = (struct msghdr){ .msg_name = &k->dst,
                                                 .msg_namelen = sizeof(k->dst),
                                                 .msg_iov = &oiov[i],
                                                 .msg_iovlen = 1 };
        }
        const uint64_t w = (uint64_t)cfg.kwindow;
        uint64_t seq = 0;
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        k->w0 = now_ns(CLOCK_MONOTONIC);
        uint64_t deadline = k->w0 + (uint64_t)(cfg.seconds * 1e9);
        for (unsigned it = 1;; it++) {
                bool last = g_stop || ((it & 15) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline);
                while (!last && seq - k->rcvd_total < w) {
                        uint64_t room = w - (seq - k->rcvd_total);
                        unsigned n = room < KBATCH ? (unsigned)room : KBATCH;
                        for (unsigned i = 0; i < n; i++)
                                payload_seq(out[i], seq + i);
                        int r = sendmmsg(k->cfd, om, n, 0);
                        if (r < 0)
                                die("Linux: sendmmsg: %s", strerror(errno));
                        seq += (uint64_t)r;
                }
                while (k->rcvd_total < seq) {
                        for (int i = 0; i < KBATCH; i++) {
                                iiov[i] =
                                    (struct iovec){ .iov_base = in[i], .iov_len = sizeof(in[i]) };
                                im[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
                                                                 .msg_namelen = sizeof(from[i]),
                                                                 .msg_iov = &iiov[i],
                                                                 .msg_iovlen = 1 };
                        }
                        int r = recvmmsg(k->sfd, im, KBATCH, MSG_DONTWAIT, NULL);
                        if (r < 0 && errno == EAGAIN) {
                                k->stalls++; /* sent and not there: lost */
                                break;
                        }
                        if (r < 0)
                                die("Linux: recvmmsg: %s", strerror(errno));
                        for (int i = 0; i < r; i++)
                                kx_server_got(k, in[i], im[i].msg_len);
                }
                if (last || k->rcvd_total < seq)
                        break;
        }
        k->w1 = now_ns(CLOCK_MONOTONIC);
        k->cpu_client_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        k->sent_total = seq;
}

static void kx_run(enum kmode mode, bool two_cores, struct udp_stats *st, bool timed)
{
        struct kx_run *k = calloc(1, sizeof(*k));
        if (!k)
                die("out of memory");
        k->mode = mode;
        k->cpu_client = two_cores ? cpu_two : cpu_one;
        k->cpu_server = cpu_one;
        k->sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        k->cfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (k->sfd < 0 || k->cfd < 0)
                die("Linux: socket: %s", strerror(errno));
        /* room for the window: a 64-byte datagram on lo costs ~1 KB of truesize */
        int want = cfg.kwindow * 2048;
        if (want < 1 << 20)
                want = 1 << 20;
        kn.forced = setsockopt(k->sfd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) == 0;
        if (!kn.forced)
                setsockopt(k->sfd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
        setsockopt(k->cfd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want));
        socklen_t l = sizeof(kn.rcvbuf);
        getsockopt(k->sfd, SOL_SOCKET, SO_RCVBUF, &kn.rcvbuf, &l);
        struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
        setsockopt(k->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct sockaddr_in sa = { .sin_family = AF_INET };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(k->sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                die("Linux: bind: %s", strerror(errno));
        l = sizeof(k->dst);
        getsockname(k->sfd, (struct sockaddr *)&k->dst, &l);
        pthread_barrier_init(&k->go, NULL, 3);

        int64_t e0 = snmp_udp("RcvbufErrors");
        uint64_t q0, q1;
        if (mode == K_LOOP) {
                pin(cpu_one);
                q0 = ksoftirqd_ns();
                kx_loop(k);
                q1 = ksoftirqd_ns();
                unpin();
        } else {
                pthread_t tc, ts;
                if (pthread_create(&ts, NULL, kx_server, k))
                        die("pthread_create failed");
                if (pthread_create(&tc, NULL, kx_client, k))
                        die("pthread_create failed");
                q0 = ksoftirqd_ns();
                pthread_barrier_wait(&k->go);
                pthread_join(tc, NULL);
                pthread_join(ts, NULL);
                q1 = ksoftirqd_ns();
        }
        int64_t e1 = snmp_udp("RcvbufErrors");
        int64_t sd = sock_drops(k->sfd);

        if (timed) {
                uint64_t n = k->rcvd_total, sent = k->sent_total;
                st->datagrams += n;
                st->lost += sent > n ? sent - n : 0;
                st->misordered += k->misordered + k->bad_len;
                st->stalls += k->stalls;
                uint64_t drops =
                    (e0 >= 0 && e1 >= 0 ? (uint64_t)(e1 - e0) : 0) + (sd > 0 ? (uint64_t)sd : 0);
                st->drops += drops;
                if (e0 >= 0 && e1 >= 0)
                        k_rcvbuf_errors += e1 - e0;
                if (sd > 0)
                        k_sock_drops += sd;
                uint64_t cpu = k->cpu_client_ns + k->cpu_server_ns + (q1 - q0);
                k_softirq_ns += q1 - q0;
                series_add(&st->dps, (double)n * 1e9 / (double)(k->w1 - k->w0));
                series_add(&st->cpu, (double)cpu / (double)(n ? n : 1));
        }
        pthread_barrier_destroy(&k->go);
        close(k->sfd);
        close(k->cfd);
        free(k);
}

/* --- the table ------------------------------------------------------------------------ */

static void row_udp(const char *figure, const struct series *sv, int dec,
                    const struct udp_stats *ps, const struct series *pv)
{
        table_series(cols, figure, sv, dec, ps->name, pv, ps->skipped);
}

static unsigned parse_parts(const char *s)
{
        unsigned m = 0;
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", s);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                if (!strcmp(t, "strata"))
                        m |= P_STRATA;
                else if (!strcmp(t, "k1"))
                        m |= P_K1;
                else if (!strcmp(t, "k2"))
                        m |= P_K2;
                else if (!strcmp(t, "kernel") || !strcmp(t, "linux"))
                        m |= P_K1 | P_K2;
                else
                        die("-o: unknown part '%s' (strata, k1, k2, kernel)", t);
        }
        return m;
}

#define NK 5

int main(int argc, char **argv)
{
        int opt;
        while ((opt = getopt(argc, argv, "t:n:w:W:o:")) != -1) {
                switch (opt) {
                case 't':
                        cfg.seconds = atof(optarg);
                        break;
                case 'n':
                        cfg.runs = atoi(optarg);
                        break;
                case 'w':
                        cfg.window = atoi(optarg);
                        break;
                case 'W':
                        cfg.kwindow = atoi(optarg);
                        break;
                case 'o':
                        cfg.parts = parse_parts(optarg);
                        break;
                default:
                        fprintf(stderr,
                                "usage: %s [-t seconds] [-n runs] [-w strata-window] "
                                "[-W linux-window] [-o strata,k1,k2]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (cfg.runs < 1 || cfg.runs > MAX_RUNS)
                die("-n: 1..%d runs", MAX_RUNS);
        if (cfg.window < 1 || cfg.window > MAX_WINDOW)
                die("-w: 1..%d datagrams in flight", MAX_WINDOW);
        if (cfg.kwindow < 2 || cfg.kwindow > MAX_WINDOW)
                die("-W: 2..%d datagrams in flight", MAX_WINDOW);
        if (cfg.seconds <= 0)
                die("-t: seconds > 0");
        setvbuf(stdout, NULL, _IOLBF, 0);
        catch_signals();

        cpus_pick();
        if (cfg.parts & (P_K1 | P_K2)) {
                kn.private_ns = kx_namespace();
                ksoftirqd_find();
        }

        printf("bench_udp: %d-byte UDP datagrams, one namespace to another, beside Linux "
               "loopback UDP\n",
               PAYLOAD);
        print_machine();
        printf("%d runs of %.1f s per peer, interleaved; Strata window %d, Linux window %d "
               "datagrams; one-core figures on CPU %d, two-core on CPUs %d+%d; values: median "
               "(min..max)\n",
               cfg.runs, cfg.seconds, cfg.window, cfg.kwindow, cpu_one, cpu_one, cpu_two);

        struct udp_stats ss = { .name = "Strata" };
        struct udp_stats ks[NK] = {
                { .name = "Linux lo, 1 thread, mmsg x64" },
                { .name = "Linux lo, 2 thr 1 core, mmsg x64" },
                { .name = "Linux lo, 2 thr 1 core, 1/syscall" },
                { .name = "Linux lo, 2 cores, mmsg x64" },
                { .name = "Linux lo, 2 cores, 1/syscall" },
        };
        static const enum kmode kmode[NK] = { K_LOOP, K_MMSG, K_SINGLE, K_MMSG, K_SINGLE };
        static const bool ktwo[NK] = { false, false, false, true, true };
        for (int i = 0; i < NK; i++) {
                if (!(cfg.parts & (ktwo[i] ? P_K2 : P_K1)))
                        ks[i].skipped = "not run (-o)";
                else if (ktwo[i] && cpu_two < 0)
                        ks[i].skipped = "skipped (one CPU allowed)";
        }
        if (!(cfg.parts & P_STRATA))
                ss.skipped = "not run (-o)";

        struct sx x;
        if (!ss.skipped)
                sx_setup(&x);

        /* Warm-up, not counted: a fifth of a run of each. */
        {
                double secs = cfg.seconds;
                cfg.seconds = secs / 5 < 0.2 ? secs / 5 : 0.2;
                if (!ss.skipped)
                        sx_run(&x, &ss, false);
                for (int i = 0; i < NK && !g_stop; i++)
                        if (!ks[i].skipped)
                                kx_run(kmode[i], ktwo[i], &ks[i], false);
                cfg.seconds = secs;
        }
        for (int r = 0; r < cfg.runs && !g_stop; r++) {
                if (!ss.skipped)
                        sx_run(&x, &ss, true);
                for (int i = 0; i < NK && !g_stop; i++)
                        if (!ks[i].skipped)
                                kx_run(kmode[i], ktwo[i], &ks[i], true);
                if (g_stop)
                        break;
                printf("  run %d:", r + 1);
                if (!ss.skipped)
                        printf(" Strata %.0f/s %.1f ns;", ss.dps.v[r], ss.cpu.v[r]);
                for (int i = 0; i < NK; i++)
                        if (!ks[i].skipped)
                                printf(" L%d%s %.0f/s %.1f ns;", ktwo[i] ? 2 : 1,
                                       kmode[i] == K_LOOP   ? "loop"
                                       : kmode[i] == K_MMSG ? "mmsg"
                                                            : "one",
                                       ks[i].dps.v[r], ks[i].cpu.v[r]);
                printf("\n");
        }

        /* drops and checks */
        bool clean = true;
        if (!ss.skipped) {
                sx_report(&x);
                printf("  Strata timed: %" PRIu64 " datagrams, lost %" PRIu64
                       ", out of order %" PRIu64 "; during timing SOCKET_RCVBUFF %" PRIu64
                       ", Udp.RcvbufErrors %" PRIu64 ", drops of any reason %" PRIu64
                       "; sendto EAGAIN %" PRIu64 "\n",
                       ss.datagrams, ss.lost, ss.misordered, x.t_rcvbuff, x.t_rcvbuf_errors,
                       ss.drops, ss.eagain);
                clean =
                    clean && !ss.lost && !ss.misordered && !ss.drops && !x.bad_len && !x.recv_err;
        }
        if (cfg.parts & (P_K1 | P_K2)) {
                printf("  Linux: %s namespace; server SO_RCVBUF %d%s; Udp.RcvbufErrors during "
                       "timing %" PRId64 ", socket drops (SO_MEMINFO) %" PRId64
                       "; ksoftirqd CPU during timing %.0f ms\n",
                       kn.private_ns ? "a private" : "the host's (not root)", kn.rcvbuf,
                       kn.forced ? " (SO_RCVBUFFORCE)" : "", k_rcvbuf_errors, k_sock_drops,
                       (double)k_softirq_ns / 1e6);
                for (int i = 0; i < NK; i++) {
                        if (ks[i].skipped)
                                continue;
                        printf("  %s: %" PRIu64 " datagrams, lost %" PRIu64
                               ", out of order or wrong length %" PRIu64 ", stalls %" PRIu64 "\n",
                               ks[i].name, ks[i].datagrams, ks[i].lost, ks[i].misordered,
                               ks[i].stalls);
                        clean = clean && !ks[i].lost && !ks[i].misordered && !ks[i].drops;
                }
        }

        printf("\nratio = Strata / peer: above 1 is better for rates, below 1 is better for "
               "costs (ns)\n");
        table_head(cols);
        int best = -1;
        double best_core = 0;
        if (!ss.skipped) {
                struct series s_core = per_core(&ss.cpu);
                for (int i = 0; i < NK; i++)
                        row_udp("UDP datagrams/s (wall)", &ss.dps, -1, &ks[i], &ks[i].dps);
                for (int i = 0; i < NK; i++) {
                        struct series k_core = per_core(&ks[i].cpu);
                        row_udp("datagrams/s per core (1e9/CPU)", &s_core, -1, &ks[i], &k_core);
                        if (!ktwo[i] && !ks[i].skipped && ks[i].cpu.n &&
                            series_median(&k_core) > best_core) {
                                best_core = series_median(&k_core);
                                best = i;
                        }
                }
                for (int i = 0; i < NK; i++)
                        row_udp("CPU ns per datagram", &ss.cpu, 1, &ks[i], &ks[i].cpu);

                double s_med = series_median(&s_core);
                char a[32], b[32], c[32], d[32];
                if (best < 0) {
                        printf("\ntarget: >= 2x the kernel's UDP rate -- not judged: the "
                               "kernel's one-core figures were not measured\n");
                } else {
                        double ratio = s_med / best_core;
                        double wall = series_median(&ks[best].dps);
                        printf("\ntarget: >= 2x the kernel's UDP rate -- %s: Strata %s datagrams "
                               "per CPU-second vs the kernel's best one-core figure (%s) %s = "
                               "%.2fx; wall %s/s vs %s/s = %.2fx. (Strata makes no system call "
                               "on this path, so the peer is the kernel's fastest one-core "
                               "way.)\n",
                               ratio >= TARGET ? "met" : "missed", fmt_num(s_med, a, sizeof(a)),
                               ks[best].name, fmt_num(best_core, b, sizeof(b)), ratio,
                               fmt_num(series_median(&ss.dps), c, sizeof(c)),
                               fmt_num(wall, d, sizeof(d)),
                               wall > 0 ? series_median(&ss.dps) / wall : 0);
                }
        }
        if (!clean)
                printf("WARNING: datagrams were dropped, lost or reordered during the bench: "
                       "the figures above are not clean\n");
        if (!ss.skipped)
                sx_teardown(&x);
        if (g_stop) {
                fprintf(stderr, "bench_udp: interrupted\n");
                return 1;
        }
        return 0;
}
