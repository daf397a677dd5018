/*
 * bench_echo: what one packet through the whole stack costs, beside the
 * same figure for the Linux kernel and for Debian's lwIP, measured in the
 * same run.
 *
 * The workload is ICMP echo between two namespaces joined by a veth pair:
 * namespace a sends echo requests (56 data bytes, ping's default), b's ICMP
 * answers them, a's pinger counts the replies.  Each echo is two packets
 * through the whole stack (ip output, neighbour, qdisc, veth, backlog,
 * ethernet, ip input, icmp) -- one each way.  A window of echoes is kept in
 * flight; the window stays below netdev_max_backlog (1000) and txqueuelen
 * (1000), so nothing is dropped, which the drop counters confirm.
 *
 *   Strata  public API on one thread, simulated clock (it never moves while
 *           timing: the figure is CPU per packet, not latency).
 *   Linux   (root only) two real network namespaces and a veth pair; a raw
 *           ICMP socket in one sends windows of requests with sendmmsg and
 *           reads replies with recvmmsg; the kernel in the other answers.
 *   lwIP    Debian's liblwip (loaded with dlopen, so the bench still runs
 *           without it): one lwIP instance -- lwIP has no namespaces --
 *           with two Ethernet netifs whose linkoutput queues the frame
 *           (by reference, no copy, as veth moves an skb) for the other's
 *           input; lwIP's icmp_input answers, a raw pcb counts replies.
 *
 * Every figure is the median of several runs, interleaved (Strata, lwIP,
 * Linux, Strata, ...) so that drift in the machine's load hits all alike;
 * min..max follows.  CPU time per packet is the robust figure on a shared
 * machine; echoes/s is wall time.
 *
 * Then the packet buffer: alloc_skb + consume_skb (small and large) and
 * skb_clone + consume_skb, beside glibc malloc + free and lwIP's pbufs.
 *
 * Options: -t SECONDS per run (2), -n RUNS (5), -w WINDOW (64),
 *          -o LIST of parts to run: strata,lwip,kernel,alloc (all).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/net.h"
#include "core/skb.h"
#include "strata/strata.h"

#include "lib/bench_util.h"

/* Debian's lwIP (liblwip-dev), loaded at run time; HAVE_LWIP when its
 * headers were found (the Makefile's `-isystem /usr/include/lwip`). */
#include "lib/bench_lwip.h"

#define MAX_WINDOW 512
#define DATALEN    56
#define ICMP_LEN   (8 + DATALEN)
#define TARGET_PPS 2000000.0

enum part { P_STRATA = 1, P_LWIP = 2, P_KERNEL = 4, P_ALLOC = 8 };

static struct {
        double seconds;
        int runs;
        int window;
        unsigned parts;
} cfg = { 2.0, 5, 64, P_STRATA | P_LWIP | P_KERNEL | P_ALLOC };

const char bench_name[] = "bench_echo";

/* Column widths of the table. */
static const int cols[TABLE_COLS] = { 32, 34, 34, 34, 7 };

static uint64_t rusage_ns(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
               ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

/* --- results --------------------------------------------------------------- */

/* What an echo run yields. */
struct echo_stats {
        struct series eps;    /* echoes per second (wall) */
        struct series cpu_pp; /* CPU ns per packet: thread (Strata, lwIP) or process (Linux) */
        struct series sys_pp; /* Linux only: the same plus ksoftirqd's CPU time */
        uint64_t echoes, lost;
        const char *skipped; /* why there are no figures */
};

/* The ICMP echo request every peer sends: ping(8)'s layout (8 bytes of
 * timestamp, then bytes counting up), checksum over header and data. */
static uint16_t csum16(const uint8_t *p, size_t n)
{
        uint32_t s = 0;
        for (size_t i = 0; i + 1 < n; i += 2)
                s += (uint32_t)(p[i] << 8 | p[i + 1]);
        if (n & 1)
                s += (uint32_t)p[n - 1] << 8;
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t)~s;
}

static void build_echo(uint8_t *b, uint16_t ident, uint16_t seq, uint64_t stamp)
{
        b[0] = 8; /* echo request */
        b[1] = 0;
        b[2] = b[3] = 0;
        b[4] = (uint8_t)(ident >> 8);
        b[5] = (uint8_t)ident;
        b[6] = (uint8_t)(seq >> 8);
        b[7] = (uint8_t)seq;
        for (int i = 0; i < DATALEN; i++)
                b[8 + i] = (uint8_t)i;
        for (int i = 0; i < 8; i++)
                b[8 + i] = (uint8_t)(stamp >> (56 - 8 * i));
        uint16_t c = csum16(b, ICMP_LEN);
        b[2] = (uint8_t)(c >> 8);
        b[3] = (uint8_t)c;
}

/* True if the IPv4 packet at p (len bytes) is an echo reply for ident. */
static int is_reply(const uint8_t *p, size_t len, uint16_t ident)
{
        if (len < 20)
                return 0;
        size_t hl = (size_t)(p[0] & 15) * 4;
        if (len < hl + 8)
                return 0;
        const uint8_t *ic = p + hl;
        return ic[0] == 0 && (uint16_t)(ic[4] << 8 | ic[5]) == ident;
}

/* --- Strata ------------------------------------------------------------------ */

#define SX_IDENT 0x5354

struct sx {
        struct strata_clock *clk;
        struct strata_net *n[2]; /* a (pinger), b (answers) */
        uint64_t sent, replies, errors;
        uint16_t seq;
};

static void sx_reply(const struct strata_ping_result *r, void *ctx)
{
        struct sx *x = ctx;
        if (r->icmp_type == 0)
                x->replies++;
        else
                x->errors++;
}

static void sx_send(struct sx *x)
{
        sx_check(strata_ping_send(x->n[0], "10.0.0.2", SX_IDENT, x->seq++, DATALEN),
                 "strata_ping_send");
        x->sent++;
}

static void sx_setup(struct sx *x)
{
        memset(x, 0, sizeof(*x));
        sx_pair_setup(&x->clk, x->n, "a", "b", 0);
        sx_check(strata_ping_listen(x->n[0], SX_IDENT, sx_reply, x), "strata_ping_listen");
        /* Resolve the neighbours (a asks, b learns a from the request) before
         * anything is timed; the clock is not advanced, so the entries stay
         * REACHABLE for the whole bench. */
        sx_send(x);
        sx_check(strata_sim_run(x->n, 2, strata_clock_now(x->clk)), "strata_sim_run");
        if (x->replies != 1)
                die("Strata: warm-up echo not answered (%" PRIu64 " replies, %" PRIu64 " errors)",
                    x->replies, x->errors);
}

static void sx_run(struct sx *x, struct echo_stats *st)
{
        uint64_t r0 = x->replies, s0 = x->sent;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9);
        for (unsigned it = 1; !g_stop; it++) {
                while (x->sent - x->replies - x->errors < (uint64_t)cfg.window)
                        sx_send(x);
                strata_net_poll(x->n[1]);
                strata_net_poll(x->n[0]);
                if ((it & 15) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        /* finish the window inside the timed span: every echo counted was paid */
        for (int i = 0; i < 1000 && x->sent != x->replies + x->errors; i++) {
                strata_net_poll(x->n[1]);
                strata_net_poll(x->n[0]);
        }
        uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t echoes = x->replies - r0;
        st->echoes += echoes;
        st->lost += (x->sent - s0) - echoes;
        series_add(&st->eps, (double)echoes * 1e9 / (double)(w1 - w0));
        series_add(&st->cpu_pp, (double)(c1 - c0) / (double)(2 * (echoes ? echoes : 1)));
}

/* Drops in either namespace: every reason, by name.  Returns the total. */
static uint64_t sx_report_drops(struct sx *x, FILE *f)
{
        static const char *const watched[] = { "NEIGH_QUEUEFULL", "CPU_BACKLOG", "QDISC_DROP" };
        uint64_t total = 0;
        for (int i = 0; i < 2; i++) {
                fprintf(f, "  Strata %s drops:", strata_net_name(x->n[i]));
                for (size_t k = 0; k < sizeof(watched) / sizeof(watched[0]); k++) {
                        uint64_t v = 0;
                        strata_counter(x->n[i], watched[k], &v);
                        fprintf(f, " %s=%" PRIu64, watched[k], v);
                }
                struct net *net = x->n[i]->net;
                uint64_t sum = 0;
                for (int r = 1; r < SKB_DROP_REASON_MAX; r++)
                        sum += net->drops[r];
                fprintf(f, " (all reasons: %" PRIu64 ")", sum);
                for (int r = 1; r < SKB_DROP_REASON_MAX; r++)
                        if (net->drops[r])
                                fprintf(f, " %s=%" PRIu64,
                                        drop_reason_name((enum skb_drop_reason)r), net->drops[r]);
                fprintf(f, "\n");
                total += sum;
        }
        uint64_t req = 0, rep = 0;
        strata_counter(x->n[1], "Icmp.InEchos", &req);
        strata_counter(x->n[1], "Icmp.OutEchoReps", &rep);
        fprintf(f,
                "  Strata, warm-up included: a sent %" PRIu64 " requests, b Icmp.InEchos=%" PRIu64
                " Icmp.OutEchoReps=%" PRIu64 ", a got %" PRIu64 " replies, %" PRIu64
                " ICMP errors\n",
                x->sent, req, rep, x->replies, x->errors);
        return total;
}

static void sx_teardown(struct sx *x)
{
        sx_pair_free(x->clk, x->n);
}

/* --- lwIP ------------------------------------------------------------------------ */

#ifdef HAVE_LWIP
#define LW_IDENT 0x4c57

static struct lwip_lib L; /* one instance: both netifs in it (bench_lwip.h) */

static struct lw {
        struct lwip_port port[2]; /* 0: a (pinger), 1: b (answers) */
        struct raw_pcb *pcb;
        ip_addr_t a, b;
        uint64_t sent, replies, alloc_fail;
        uint16_t seq;
        const char *error; /* why lwIP is not measured */
} lw;

/* Deliver what each netif's ring held when the round began, b first (as
 * Strata's loop polls b then a).  Returns frames delivered. */
static int lw_poll(void)
{
        return lwip_port_poll(&lw.port[1]) + lwip_port_poll(&lw.port[0]);
}

static u8_t lw_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
        if (!is_reply(p->payload, p->len, LW_IDENT))
                return 0; /* not ours: lwIP goes on with it */
        lw.replies++;
        L.pbuf_free(p);
        return 1;
}

static int lw_send(void)
{
        struct pbuf *p = L.pbuf_alloc(PBUF_IP, ICMP_LEN, PBUF_RAM);
        if (!p) {
                lw.alloc_fail++;
                return -1;
        }
        build_echo(p->payload, LW_IDENT, lw.seq++, now_ns(CLOCK_MONOTONIC));
        /* a's netif explicitly: both netifs sit in one lwIP, on one subnet */
        err_t e = L.raw_sendto_if_src(lw.pcb, p, &lw.b, &lw.port[0].nif, &lw.a);
        L.pbuf_free(p);
        lw.sent++;
        return e == ERR_OK ? 0 : -1;
}

static void lw_setup(void)
{
        lw.error = lwip_open(&L, false);
        if (lw.error)
                return;
        IP_ADDR4(&lw.a, 10, 1, 0, 1);
        IP_ADDR4(&lw.b, 10, 1, 0, 2);
        for (int i = 0; i < 2; i++) {
                lw.port[i].lib = &L;
                lw.port[i].peer = &lw.port[1 - i];
        }
        for (int i = 0; i < 2; i++) {
                struct lwip_port *pt = &lw.port[i];
                lw.error = lwip_port_add(pt, (uint8_t)(i + 1), ip_2_ip4(i ? &lw.b : &lw.a), 1500);
                if (lw.error)
                        return;
        }
        lw.pcb = L.raw_new(IP_PROTO_ICMP);
        if (!lw.pcb) {
                lw.error = "raw_new failed";
                return;
        }
        L.raw_recv(lw.pcb, lw_recv, NULL);
        /* resolve ARP (the first request waits in etharp's queue) */
        while (lw_poll())
                ;
        lw_send();
        for (int i = 0; i < 100 && lw_poll(); i++)
                ;
        if (lw.replies != 1)
                lw.error = "warm-up echo not answered";
}

static void lw_run(struct echo_stats *st)
{
        uint64_t r0 = lw.replies, s0 = lw.sent;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9);
        for (unsigned it = 1; !g_stop; it++) {
                while (lw.sent - lw.replies < (uint64_t)cfg.window)
                        if (lw_send() < 0)
                                break;
                lw_poll();
                if ((it & 15) == 0 && now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        for (int i = 0; i < 1000 && lw_poll(); i++)
                ;
        uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t echoes = lw.replies - r0;
        st->echoes += echoes;
        st->lost += (lw.sent - s0) - echoes;
        lw.sent = lw.replies; /* lost ones do not block the window */
        series_add(&st->eps, (double)echoes * 1e9 / (double)(w1 - w0));
        series_add(&st->cpu_pp, (double)(c1 - c0) / (double)(2 * (echoes ? echoes : 1)));
}
#endif /* HAVE_LWIP */

/* --- Linux ------------------------------------------------------------------------- */

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* <linux/icmp.h>, which clashes with the libc headers */
#endif

static struct kx {
        char nsa[32], nsb[32], va[16], vb[16];
        bool made; /* namespaces exist: delete them at exit */
        int fd;
        uint16_t ident;
        uint16_t seq;
        struct sockaddr_in dst;
        const char *error;
        char errbuf[160];
} kx = { .fd = -1 };

static int sh(const char *fmt, ...)
{
        char cmd[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        int r = system(cmd);
        return r == 0 ? 0 : -1;
}

static void kx_cleanup(void)
{
        if (kx.fd >= 0) {
                close(kx.fd);
                kx.fd = -1;
        }
        if (!kx.made)
                return;
        kx.made = false;
        /* deleting a namespace deletes the veth end in it, and so the pair */
        sh("ip netns del %s >/dev/null 2>&1", kx.nsa);
        sh("ip netns del %s >/dev/null 2>&1", kx.nsb);
}

static const char *kx_fail(const char *what)
{
        snprintf(kx.errbuf, sizeof(kx.errbuf), "setup failed: %s", what);
        kx_cleanup();
        return kx.errbuf;
}

static const char *kx_setup(void)
{
        if (geteuid() != 0)
                return "skipped (needs root)";
        if (sh("ip -V >/dev/null 2>&1") != 0)
                return "skipped (no `ip` command: apt-get install iproute2)";
        ksoftirqd_find();
        int pid = (int)getpid();
        snprintf(kx.nsa, sizeof(kx.nsa), "sbecho-a-%d", pid);
        snprintf(kx.nsb, sizeof(kx.nsb), "sbecho-b-%d", pid);
        snprintf(kx.va, sizeof(kx.va), "sbea%d", pid);
        snprintf(kx.vb, sizeof(kx.vb), "sbeb%d", pid);
        kx.made = true; /* from here on, cleanup removes whatever got made */
        if (sh("ip netns add %s", kx.nsa) || sh("ip netns add %s", kx.nsb))
                return kx_fail("ip netns add");
        if (sh("ip -n %s link add %s type veth peer name %s netns %s", kx.nsa, kx.va, kx.vb,
               kx.nsb))
                return kx_fail("ip link add type veth");
        if (sh("ip -n %s addr add 10.201.0.1/24 dev %s", kx.nsa, kx.va) ||
            sh("ip -n %s addr add 10.201.0.2/24 dev %s", kx.nsb, kx.vb) ||
            sh("ip -n %s link set lo up && ip -n %s link set %s up", kx.nsa, kx.nsa, kx.va) ||
            sh("ip -n %s link set lo up && ip -n %s link set %s up", kx.nsb, kx.nsb, kx.vb))
                return kx_fail("ip addr/link");

        /* The socket is made inside namespace a and stays bound to it. */
        char path[64];
        snprintf(path, sizeof(path), "/run/netns/%s", kx.nsa);
        int nsfd = open(path, O_RDONLY | O_CLOEXEC);
        int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || self < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
                if (nsfd >= 0)
                        close(nsfd);
                if (self >= 0)
                        close(self);
                return kx_fail("setns");
        }
        kx.fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
        int back = setns(self, CLONE_NEWNET);
        close(nsfd);
        close(self);
        if (back < 0)
                die("setns back to our own namespace: %s", strerror(errno));
        if (kx.fd < 0)
                return kx_fail("raw ICMP socket");
        uint32_t filter = ~(1u << 0); /* pass echo replies only */
        setsockopt(kx.fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
        int buf = 4 << 20;
        setsockopt(kx.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
        setsockopt(kx.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
        setsockopt(kx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        kx.ident = (uint16_t)pid;
        kx.dst.sin_family = AF_INET;
        kx.dst.sin_addr.s_addr = htonl(0x0ac90002); /* 10.201.0.2 */
        return NULL;
}

/* Send up to n echo requests in one sendmmsg; returns how many went. */
static int kx_send(int n)
{
        static uint8_t bufs[MAX_WINDOW][ICMP_LEN];
        static struct iovec iov[MAX_WINDOW];
        static struct mmsghdr m[MAX_WINDOW];
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < n; i++) {
                build_echo(bufs[i], kx.ident, kx.seq++, now);
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = ICMP_LEN;
                m[i].msg_hdr = (struct msghdr){ .msg_name = &kx.dst,
                                                .msg_namelen = sizeof(kx.dst),
                                                .msg_iov = &iov[i],
                                                .msg_iovlen = 1 };
        }
        int r = sendmmsg(kx.fd, m, (unsigned)n, 0);
        return r < 0 ? 0 : r;
}

/* Read what replies are there (waiting for the first); returns the number
 * of our echo replies, or -1 on timeout. */
static int kx_recv(void)
{
        static uint8_t bufs[MAX_WINDOW][256];
        static struct iovec iov[MAX_WINDOW];
        static struct mmsghdr m[MAX_WINDOW];
        for (int i = 0; i < cfg.window; i++) {
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = sizeof(bufs[i]);
                m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int r = recvmmsg(kx.fd, m, (unsigned)cfg.window, MSG_WAITFORONE, NULL);
        if (r < 0)
                return -1;
        int n = 0;
        for (int i = 0; i < r; i++)
                n += is_reply(bufs[i], m[i].msg_len, kx.ident);
        return n;
}

static void kx_run(struct echo_stats *st)
{
        uint64_t sent = 0, got = 0, lost = 0;
        uint64_t w0 = now_ns(CLOCK_MONOTONIC), r0 = rusage_ns(), k0 = ksoftirqd_ns();
        uint64_t deadline = w0 + (uint64_t)(cfg.seconds * 1e9);
        while (!g_stop) {
                uint64_t inflight = sent - got - lost;
                if (inflight < (uint64_t)cfg.window)
                        sent += (uint64_t)kx_send(cfg.window - (int)inflight);
                int n = kx_recv();
                if (n < 0) /* nothing for 200 ms: the window is lost */
                        lost += sent - got - lost;
                else
                        got += (uint64_t)n;
                if (now_ns(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        for (int i = 0; i < 100 && sent > got + lost; i++) {
                int n = kx_recv();
                if (n < 0)
                        break;
                got += (uint64_t)n;
        }
        uint64_t w1 = now_ns(CLOCK_MONOTONIC), r1 = rusage_ns(), k1 = ksoftirqd_ns();
        lost = sent - got;
        st->echoes += got;
        st->lost += lost;
        double pk = (double)(2 * (got ? got : 1));
        series_add(&st->eps, (double)got * 1e9 / (double)(w1 - w0));
        series_add(&st->cpu_pp, (double)(r1 - r0) / pk);
        series_add(&st->sys_pp, (double)((r1 - r0) + (k1 - k0)) / pk);
}

/* --- packet buffers ----------------------------------------------------------------- */

/* Through volatile pointers, so that the compiler cannot pair malloc with
 * free and delete both. */
static void *(*volatile malloc_fn)(size_t) = malloc;
static void (*volatile free_fn)(void *) = free;
static volatile unsigned char sink;

struct alloc_ctx {
        struct net *net;
        size_t size;
        struct sk_buff *skb; /* for clone */
#ifdef HAVE_LWIP
        struct pbuf *pbuf; /* for pbuf_ref */
#endif
};

enum alloc_op { A_SKB_SMALL, A_SKB_LARGE, A_SKB_CLONE, A_MALLOC, A_PBUF, A_PBUF_REF, A_NOPS };

static void alloc_batch(enum alloc_op op, struct alloc_ctx *c, int n)
{
        for (int i = 0; i < n; i++) {
                switch (op) {
                case A_SKB_SMALL:
                case A_SKB_LARGE: {
                        struct sk_buff *s = alloc_skb(c->net, (uint32_t)c->size);
                        if (!s)
                                die("alloc_skb failed");
                        s->data[0] = (unsigned char)i;
                        consume_skb(s);
                        break;
                }
                case A_SKB_CLONE: {
                        struct sk_buff *s = skb_clone(c->net, c->skb);
                        if (!s)
                                die("skb_clone failed");
                        consume_skb(s);
                        break;
                }
                case A_MALLOC: {
                        unsigned char *p = malloc_fn(c->size);
                        if (!p)
                                die("malloc failed");
                        p[0] = (unsigned char)i;
                        sink = p[0];
                        free_fn(p);
                        break;
                }
#ifdef HAVE_LWIP
                case A_PBUF: {
                        struct pbuf *p = L.pbuf_alloc(PBUF_RAW, (u16_t)c->size, PBUF_RAM);
                        if (!p)
                                die("pbuf_alloc failed");
                        ((unsigned char *)p->payload)[0] = (unsigned char)i;
                        L.pbuf_free(p);
                        break;
                }
                case A_PBUF_REF:
                        L.pbuf_ref(c->pbuf);
                        L.pbuf_free(c->pbuf);
                        break;
#else
                case A_PBUF:
                case A_PBUF_REF:
                        break;
#endif
                case A_NOPS:
                        break;
                }
        }
}

/* ns per operation, runs times about 0.1 s each (thread CPU time). */
static void alloc_measure(enum alloc_op op, struct alloc_ctx *c, struct series *s)
{
        /* this thread runs the namespace (as strata_net_poll's caller would), so
         * frees take the pool's local path */
        net_running = c->net;
        alloc_batch(op, c, 4096); /* warm the pool / heap */
        for (int r = 0; r < cfg.runs && !g_stop; r++) {
                uint64_t t0 = now_ns(CLOCK_THREAD_CPUTIME_ID), t1 = t0, ops = 0;
                while (t1 - t0 < 100000000ull) {
                        alloc_batch(op, c, 4096);
                        ops += 4096;
                        t1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
                }
                series_add(s, (double)(t1 - t0) / (double)ops);
        }
        net_running = NULL;
}

/* --- the table ---------------------------------------------------------------------- */

static void row_echo(const char *figure, const struct series *sv, int dec, double scale,
                     const char *peer, const struct echo_stats *ps, const struct series *pv)
{
        struct series s = *sv, p = { .n = 0 };
        for (int i = 0; i < s.n; i++)
                s.v[i] *= scale;
        if (pv) {
                p = *pv;
                for (int i = 0; i < p.n; i++)
                        p.v[i] *= scale;
        }
        table_series(cols, figure, &s, dec, peer, pv ? &p : NULL, ps->skipped);
}

static unsigned parse_parts(const char *s)
{
        unsigned m = 0;
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", s);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                if (!strcmp(t, "strata"))
                        m |= P_STRATA;
                else if (!strcmp(t, "lwip"))
                        m |= P_LWIP;
                else if (!strcmp(t, "kernel") || !strcmp(t, "linux"))
                        m |= P_KERNEL;
                else if (!strcmp(t, "alloc"))
                        m |= P_ALLOC;
                else
                        die("-o: unknown part '%s' (strata, lwip, kernel, alloc)", t);
        }
        return m;
}

int main(int argc, char **argv)
{
        int opt;
        while ((opt = getopt(argc, argv, "t:n:w:o:")) != -1) {
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
                case 'o':
                        cfg.parts = parse_parts(optarg);
                        break;
                default:
                        fprintf(stderr,
                                "usage: %s [-t seconds] [-n runs] [-w window] "
                                "[-o strata,lwip,kernel,alloc]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (cfg.runs < 1 || cfg.runs > MAX_RUNS)
                die("-n: 1..%d runs", MAX_RUNS);
        /* below dev_weight*budget rounds, netdev_max_backlog and txqueuelen */
        if (cfg.window < 1 || cfg.window > MAX_WINDOW)
                die("-w: 1..%d echoes in flight", MAX_WINDOW);
        if (cfg.seconds <= 0)
                die("-t: seconds > 0");
        setvbuf(stdout, NULL, _IOLBF, 0);
        catch_signals();
        atexit(kx_cleanup);

        printf("bench_echo: ICMP echo through the whole stack, two namespaces over veth\n");
        print_machine();
        printf("%d runs of %.1f s per peer, interleaved; window %d echoes in flight, %d data "
               "bytes; values: median (min..max)\n",
               cfg.runs, cfg.seconds, cfg.window, DATALEN);

        struct echo_stats es = { .skipped = NULL }, ls = { .skipped = NULL },
                          ks = { .skipped = NULL };
        struct sx x;
        bool sx_up = false;
        if (cfg.parts & (P_STRATA | P_ALLOC)) {
                sx_setup(&x);
                sx_up = true;
        }
        if (!(cfg.parts & P_STRATA))
                es.skipped = "not run (-o)";

#ifdef HAVE_LWIP
        if (cfg.parts & (P_LWIP | P_ALLOC))
                lw_setup();
        if (!(cfg.parts & P_LWIP))
                ls.skipped = "not run (-o)";
        else if (lw.error)
                ls.skipped = lw.error;
        const char *lw_name = LWIP_NAME;
#else
        ls.skipped = "skipped (no lwIP headers: liblwip-dev)";
        const char *lw_name = "lwIP (Debian)";
#endif
        if (cfg.parts & P_KERNEL)
                ks.skipped = kx_setup();
        else
                ks.skipped = "not run (-o)";

        /* Warm-up, not counted: a quarter second of each, so that the first
         * timed run does not pay for pools growing, caches filling and the
         * CPU waking up. */
        {
                double secs = cfg.seconds;
                struct echo_stats scratch = { .skipped = NULL };
                cfg.seconds = 0.25;
                if (!es.skipped)
                        sx_run(&x, &scratch);
#ifdef HAVE_LWIP
                if (!ls.skipped)
                        lw_run(&scratch);
#endif
                if (!ks.skipped)
                        kx_run(&scratch);
                cfg.seconds = secs;
        }
        for (int r = 0; r < cfg.runs && !g_stop; r++) {
                if (!es.skipped)
                        sx_run(&x, &es);
#ifdef HAVE_LWIP
                if (!ls.skipped)
                        lw_run(&ls);
#endif
                if (!ks.skipped && !g_stop)
                        kx_run(&ks);
                printf("  run %d:", r + 1);
                if (!es.skipped)
                        printf(" Strata %.0f echoes/s %.1f ns/pkt;", es.eps.v[r], es.cpu_pp.v[r]);
                if (!ls.skipped)
                        printf(" lwIP %.0f echoes/s %.1f ns/pkt;", ls.eps.v[r], ls.cpu_pp.v[r]);
                if (!ks.skipped)
                        printf(" Linux %.0f echoes/s %.1f ns/pkt (process) %.1f (+ksoftirqd)",
                               ks.eps.v[r], ks.cpu_pp.v[r], ks.sys_pp.v[r]);
                printf("\n");
        }
        kx_cleanup();

        uint64_t strata_drops = 0;
        if (!es.skipped) {
                strata_drops = sx_report_drops(&x, stdout);
                printf("  Strata echoes %" PRIu64 ", lost %" PRIu64 "\n", es.echoes, es.lost);
        }
#ifdef HAVE_LWIP
        if (!ls.skipped)
                printf("  lwIP echoes %" PRIu64 ", lost %" PRIu64 ", wire ring full %" PRIu64
                       ", pbuf_alloc failures %" PRIu64 "\n",
                       ls.echoes, ls.lost, lw.port[0].ring_full + lw.port[1].ring_full,
                       lw.alloc_fail);
#endif
        if (!ks.skipped)
                printf("  Linux echoes %" PRIu64 ", lost %" PRIu64 "\n", ks.echoes, ks.lost);

        /* packet buffers */
        struct series a_small = { .n = 0 }, a_large = { .n = 0 }, a_clone = { .n = 0 };
        struct series m_small = { .n = 0 }, m_large = { .n = 0 }, m_head = { .n = 0 };
        struct series p_small = { .n = 0 }, p_ref = { .n = 0 };
        const char *pbuf_skip =
            ls.skipped && strcmp(ls.skipped, "not run (-o)") ? ls.skipped : NULL;
#ifdef HAVE_LWIP
        if (!pbuf_skip && lw.error)
                pbuf_skip = lw.error;
#else
        pbuf_skip = ls.skipped;
#endif
        if ((cfg.parts & P_ALLOC) && !g_stop) {
                struct alloc_ctx c = { .net = x.n[0]->net };
                c.size = 1514;
                alloc_measure(A_SKB_SMALL, &c, &a_small);
                c.size = 65536;
                alloc_measure(A_SKB_LARGE, &c, &a_large);
                c.skb = alloc_skb(c.net, 1514);
                if (!c.skb)
                        die("alloc_skb failed");
                alloc_measure(A_SKB_CLONE, &c, &a_clone);
                consume_skb(c.skb);
                c.size = 2048;
                alloc_measure(A_MALLOC, &c, &m_small);
                c.size = sizeof(struct skb_data) + SKB_LARGE_SIZE;
                alloc_measure(A_MALLOC, &c, &m_large);
                c.size = sizeof(struct sk_buff);
                alloc_measure(A_MALLOC, &c, &m_head);
#ifdef HAVE_LWIP
                if (!pbuf_skip) {
                        c.size = 1514;
                        alloc_measure(A_PBUF, &c, &p_small);
                        c.pbuf = L.pbuf_alloc(PBUF_RAW, 1514, PBUF_RAM);
                        if (c.pbuf) {
                                alloc_measure(A_PBUF_REF, &c, &p_ref);
                                L.pbuf_free(c.pbuf);
                        }
                }
#endif
        }

        printf("\nratio = Strata / peer: above 1 is better for rates, below 1 is better for "
               "costs (ns)\n");
        table_head(cols);
        if (!es.skipped) {
                struct utsname u;
                uname(&u);
                char kname[64];
                snprintf(kname, sizeof(kname), "Linux %.20s kernel", u.release);
                row_echo("ICMP echoes/s (wall)", &es.eps, -1, 1, lw_name, &ls, &ls.eps);
                row_echo("ICMP echoes/s (wall)", &es.eps, -1, 1, kname, &ks, &ks.eps);
                row_echo("packets/s (wall, 2 per echo)", &es.eps, -1, 2, lw_name, &ls, &ls.eps);
                row_echo("packets/s (wall, 2 per echo)", &es.eps, -1, 2, kname, &ks, &ks.eps);
                struct series es_core = per_core(&es.cpu_pp), ls_core = per_core(&ls.cpu_pp),
                              ks_core = per_core(&ks.sys_pp);
                row_echo("packets/s per core (1e9/CPU ns)", &es_core, -1, 1, lw_name, &ls,
                         &ls_core);
                row_echo("packets/s per core (1e9/CPU ns)", &es_core, -1, 1, kname, &ks, &ks_core);
                row_echo("CPU ns per packet", &es.cpu_pp, 1, 1, lw_name, &ls, &ls.cpu_pp);
                row_echo("CPU ns per packet", &es.cpu_pp, 1, 1, kname, &ks, &ks.sys_pp);
        }
        if (cfg.parts & P_ALLOC) {
                table_series(cols, "alloc_skb+consume_skb 1514 B", &a_small, 1,
                             "glibc malloc+free 2 KB", &m_small, NULL);
                table_series(cols, "alloc_skb+consume_skb 1514 B", &a_small, 1,
                             "lwIP pbuf_alloc+pbuf_free 1514 B", &p_small, pbuf_skip);
                table_series(cols, "alloc_skb+consume_skb 64 KB", &a_large, 1,
                             "glibc malloc+free 64.5 KB", &m_large, NULL);
                table_series(cols, "skb_clone+consume_skb", &a_clone, 1,
                             "glibc malloc+free sk_buff size", &m_head, NULL);
                table_series(cols, "skb_clone+consume_skb", &a_clone, 1, "lwIP pbuf_ref+pbuf_free",
                             &p_ref, pbuf_skip);
        }
        if (!es.skipped) {
                double ns = series_median(&es.cpu_pp);
                double core_pps = ns > 0 ? 1e9 / ns : 0;
                double wall = 2 * series_median(&es.eps);
                char a[32], b[32];
                printf("\ntarget: >= 2,000,000 packets/s per core -- %s: Strata %s packets per "
                       "CPU-second on one core (1e9 / median CPU ns per packet); %s packets/s "
                       "wall\n",
                       core_pps >= TARGET_PPS ? "met" : "missed", fmt_num(core_pps, a, sizeof(a)),
                       fmt_num(wall, b, sizeof(b)));
                if (strata_drops || es.lost)
                        printf("WARNING: Strata dropped or lost packets during the bench: the "
                               "figures above are not clean\n");
        }
        if (sx_up)
                sx_teardown(&x);
        if (g_stop) {
                fprintf(stderr, "bench_echo: interrupted\n");
                return 1;
        }
        return 0;
}
