/*
 * UDP sockets between two namespaces on the simulated clock: what a program
 * sees through the socket API (strata/socket.h) and what an operator sees in
 * the counters, checked against Linux's behaviour.
 *
 * alpha (10.0.0.1) and beta (10.0.0.2) are joined by a veth pair and share
 * one simulated clock.  Every namespace gets a driver (strata_set_driver)
 * that runs both of them, so a call that waits in one namespace (a blocking
 * recv, poll or epoll_wait with a timeout, SO_RCVTIMEO) lets the other one
 * answer, and timeouts expire on the simulated clock: exactly the timeout
 * must have passed.  The driver can also play beta's application (an echo
 * responder) while alpha waits.
 *
 * Cases: datagrams both ways byte-exact; many in order; a slow reader whose
 * small SO_RCVBUF drops the excess as Linux does (SOCKET_RCVBUFF,
 * Udp.RcvbufErrors, Udp.InErrors; Udp.InDatagrams counted when read); ICMP
 * port unreachable turning into ECONNREFUSED on a connected socket; the fd
 * limit (EMFILE); epoll level- and edge-triggered and one-shot; poll and
 * SO_RCVTIMEO timeouts; a blocking recv answered by the other namespace;
 * broadcast with SO_BROADCAST.  Every case ends with a leak check: with the
 * sockets closed, every packet buffer is back in its pool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define SEC  1000000000ull
#define MSEC 1000000ull

#define ALPHA 0
#define BETA  1

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
        size_t n;
        uint64_t t_start;
        unsigned long driver_calls;
        /* beta's application while someone waits: echo what arrives on
         * resp_fd (non-blocking) back to its sender; -1: none */
        int resp_fd;
        unsigned long responded;
};

static uint64_t counter(struct strata_net *ns, const char *name)
{
        uint64_t v = 0;
        CHECK_EQ(strata_counter(ns, name, &v), 0);
        return v;
}

static uint64_t now(const struct lab *lab)
{
        return strata_clock_now(lab->clock);
}

/* Poll every namespace until all are idle at this instant; the work done. */
static int lab_run_idle(struct lab *lab)
{
        int total = 0;
        for (int busy = 1, rounds = 0; busy; rounds++) {
                busy = 0;
                for (size_t i = 0; i < lab->n; i++) {
                        int w = strata_net_poll(lab->ns[i]);
                        busy |= w > 0;
                        total += w > 0 ? w : 0;
                }
                if (rounds > 100000)
                        TEST_FAIL("the lab never becomes idle");
        }
        return total;
}

/* Beta's echo application: answer what is queued; how many were echoed. */
static int lab_respond(struct lab *lab)
{
        static unsigned char buf[2048];
        int n = 0;
        if (lab->resp_fd < 0)
                return 0;
        for (;;) {
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                ssize_t r = strata_recvfrom(lab->ns[BETA], lab->resp_fd, buf, sizeof(buf),
                                            MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (r < 0)
                        break;
                if (strata_sendto(lab->ns[BETA], lab->resp_fd, buf, (size_t)r, 0,
                                  (struct sockaddr *)&from, fl) == r)
                        n++;
        }
        lab->responded += (unsigned long)n;
        return n;
}

/*
 * The wait of a blocked caller in any lab namespace (strata_set_driver):
 * run everything due now; if that did something, return so the caller looks
 * again.  Otherwise jump the shared clock to the next deadline of any
 * namespace, never past the caller's, and run what became due.  A caller
 * waiting forever with nothing armed anywhere moves time a second at a
 * time, as a real host would; an hour of that means a hung test.
 */
static void lab_driver(struct strata_net *net, uint64_t deadline_ns, void *ctx)
{
        struct lab *lab = ctx;
        lab->driver_calls++;
        if (lab_run_idle(lab) + lab_respond(lab) > 0)
                return;
        uint64_t t = now(lab), next = UINT64_MAX;
        for (size_t i = 0; i < lab->n; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        if (next == UINT64_MAX)
                next = t + SEC;
        if (next > deadline_ns)
                next = deadline_ns;
        if (t - lab->t_start > 3600 * SEC) {
                printf("FAIL %s: a blocked call waited an hour of simulated time\n", test_current);
                fflush(stdout);
                abort();
        }
        if (next > t)
                strata_clock_advance_to(lab->clock, next);
        lab_run_idle(lab);
        lab_respond(lab);
}

/* alpha(10.0.0.1/24 veth0) --- beta(10.0.0.2/24 veth0) */
static void lab_up(struct lab *lab)
{
        memset(lab, 0, sizeof(*lab));
        lab->clock = strata_clock_new(true);
        lab->n = 2;
        lab->resp_fd = -1;
        CHECK_EQ(strata_net_new("alpha", lab->clock, 7, &lab->ns[ALPHA]), 0);
        CHECK_EQ(strata_net_new("beta", lab->clock, 8, &lab->ns[BETA]), 0);
        CHECK_EQ(strata_veth_add(lab->ns[ALPHA], "veth0", lab->ns[BETA], "veth0"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[ALPHA], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[BETA], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[ALPHA], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[BETA], "veth0", true), 0);
        for (size_t i = 0; i < lab->n; i++)
                strata_set_driver(lab->ns[i], lab_driver, lab);
        CHECK_EQ(strata_sim_run(lab->ns, lab->n, strata_clock_now(lab->clock) + SEC), 0);
        lab->t_start = now(lab);
}

static void run(struct lab *lab, uint64_t d)
{
        CHECK_EQ(strata_sim_run(lab->ns, lab->n, now(lab) + d), 0);
}

/* Close fds[0..n) (the case's sockets), then check that every packet was
 * released (leak check) and free the lab. */
static void lab_down(struct lab *lab, const int *fds, size_t nfds, struct strata_net *const *owner)
{
        for (size_t i = 0; i < nfds; i++)
                CHECK_EQ(strata_close(owner[i], fds[i]), 0);
        run(lab, SEC);
        for (size_t i = 0; i < lab->n; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        for (size_t i = 0; i < lab->n; i++)
                strata_net_free(lab->ns[i]);
        strata_clock_free(lab->clock);
}

static struct sockaddr_in sa_in(const char *ip, uint16_t port)
{
        struct sockaddr_in s;
        memset(&s, 0, sizeof(s));
        s.sin_family = AF_INET;
        s.sin_port = htons(port);
        CHECK_EQ(inet_pton(AF_INET, ip, &s.sin_addr), 1);
        return s;
}

/* A UDP socket, bound to ip:port unless ip is NULL. */
static int udp_socket(struct strata_net *ns, const char *ip, uint16_t port)
{
        int fd = strata_socket(ns, AF_INET, SOCK_DGRAM, 0);
        CHECK(fd >= 0);
        if (ip) {
                struct sockaddr_in s = sa_in(ip, port);
                CHECK_EQ(strata_bind(ns, fd, (struct sockaddr *)&s, sizeof(s)), 0);
        }
        return fd;
}

static ssize_t send_to(struct strata_net *ns, int fd, const void *buf, size_t len, const char *ip,
                       uint16_t port)
{
        struct sockaddr_in s = sa_in(ip, port);
        return strata_sendto(ns, fd, buf, len, 0, (struct sockaddr *)&s, sizeof(s));
}

static void check_from(const struct sockaddr_in *from, socklen_t len, const char *ip, uint16_t port)
{
        char got[INET_ADDRSTRLEN];
        CHECK_EQ(len, sizeof(struct sockaddr_in));
        CHECK_EQ(from->sin_family, AF_INET);
        CHECK_STR(inet_ntop(AF_INET, &from->sin_addr, got, sizeof(got)), ip);
        CHECK_EQ(ntohs(from->sin_port), port);
}

/* Deterministic payloads (xorshift64*). */
static uint64_t rnd_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 0x2545f4914f6cdd1dull;
}

static void rnd_fill(uint64_t *s, unsigned char *buf, size_t len)
{
        for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)(rnd_next(s) >> 56);
}

/* A datagram carrying a sequence number in its first 4 bytes. */
static void send_seq(struct lab *lab, int fd, uint32_t seq, size_t len, const char *ip,
                     uint16_t port)
{
        unsigned char buf[1472];
        memset(buf, (int)(seq & 0xff), len);
        buf[0] = (unsigned char)(seq >> 24);
        buf[1] = (unsigned char)(seq >> 16);
        buf[2] = (unsigned char)(seq >> 8);
        buf[3] = (unsigned char)seq;
        CHECK_EQ(send_to(lab->ns[ALPHA], fd, buf, len, ip, port), len);
}

/* Read one datagram without waiting; its sequence number, or -errno. */
static long recv_seq(struct strata_net *ns, int fd, size_t want_len)
{
        unsigned char buf[2048];
        ssize_t r = strata_recv(ns, fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r < 0)
                return r;
        CHECK_EQ(r, want_len);
        return (long)((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
                      buf[3]);
}

static void exchange_both_ways_byte_exact(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, "10.0.0.1", 1000);
        int sb = udp_socket(b, "10.0.0.2", 2000);
        /* beta answers through a second, connected socket: send/recv */
        int sc = udp_socket(b, "10.0.0.2", 2001);
        struct sockaddr_in peer = sa_in("10.0.0.1", 1000);
        CHECK_EQ(strata_connect(b, sc, (struct sockaddr *)&peer, sizeof(peer)), 0);

        uint64_t seed = 0x5eed;
        static unsigned char out[1472], in[2048];
        enum { ROUNDS = 40 };
        for (int i = 0; i < ROUNDS; i++) {
                /* the extremes first: 1472 bytes fill a 1500-byte MTU */
                size_t len = i == 0 ? 1472 : i == 1 ? 0 : (size_t)(rnd_next(&seed) % 1473);
                rnd_fill(&seed, out, len);
                CHECK_EQ(send_to(a, sa, out, len, "10.0.0.2", 2000), len);
                run(&lab, MSEC);
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                int avail = -1;
                CHECK_EQ(strata_ioctl(b, sb, FIONREAD, &avail), 0);
                CHECK_EQ(avail, len);
                /* SIOCOUTQ: the datagram left a's buffer when it was sent */
                int outq = -1;
                CHECK_EQ(strata_ioctl(a, sa, TIOCOUTQ, &outq), 0);
                CHECK_EQ(outq, 0);
                CHECK_EQ(strata_recvfrom(b, sb, in, sizeof(in), MSG_DONTWAIT,
                                         (struct sockaddr *)&from, &fl),
                         len);
                CHECK_MEM(in, out, len);
                check_from(&from, fl, "10.0.0.1", 1000);
                CHECK_EQ(strata_recv(b, sb, in, sizeof(in), MSG_DONTWAIT), -EAGAIN);

                len = (size_t)(rnd_next(&seed) % 1473);
                rnd_fill(&seed, out, len);
                CHECK_EQ(strata_send(b, sc, out, len, 0), len);
                run(&lab, MSEC);
                struct iovec iov = { in, sizeof(in) };
                struct msghdr mh = { .msg_name = &from,
                                     .msg_namelen = sizeof(from),
                                     .msg_iov = &iov,
                                     .msg_iovlen = 1 };
                CHECK_EQ(strata_recvmsg(a, sa, &mh, MSG_DONTWAIT), len);
                CHECK_EQ(mh.msg_flags, 0);
                CHECK_MEM(in, out, len);
                check_from(&from, mh.msg_namelen, "10.0.0.2", 2001);
        }
        CHECK_EQ(counter(a, "Udp.OutDatagrams"), ROUNDS);
        CHECK_EQ(counter(a, "Udp.InDatagrams"), ROUNDS);
        CHECK_EQ(counter(b, "Udp.OutDatagrams"), ROUNDS);
        CHECK_EQ(counter(b, "Udp.InDatagrams"), ROUNDS);
        CHECK_EQ(counter(a, "Udp.InErrors") + counter(b, "Udp.InErrors"), 0);
        CHECK_EQ(counter(a, "Udp.NoPorts") + counter(b, "Udp.NoPorts"), 0);

        /* A datagram longer than the buffer: the rest is discarded, recvmsg
         * says MSG_TRUNC, and recv with MSG_TRUNC returns the real length. */
        rnd_fill(&seed, out, 100);
        CHECK_EQ(send_to(a, sa, out, 100, "10.0.0.2", 2000), 100);
        CHECK_EQ(send_to(a, sa, out, 100, "10.0.0.2", 2000), 100);
        run(&lab, MSEC);
        struct iovec iov = { in, 10 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        CHECK_EQ(strata_recvmsg(b, sb, &mh, MSG_DONTWAIT), 10);
        CHECK_EQ(mh.msg_flags, MSG_TRUNC);
        CHECK_MEM(in, out, 10);
        CHECK_EQ(strata_recv(b, sb, in, 10, MSG_DONTWAIT | MSG_TRUNC), 100);
        CHECK_EQ(strata_recv(b, sb, in, sizeof(in), MSG_DONTWAIT), -EAGAIN);

        int fds[] = { sa, sb, sc };
        struct strata_net *own[] = { a, b, b };
        lab_down(&lab, fds, 3, own);
}

static void many_datagrams_in_order(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, NULL, 0); /* implicit bind at the first send */
        int sb = udp_socket(b, "0.0.0.0", 3000);
        enum { TOTAL = 2000, BATCH = 50, LEN = 64 };
        uint32_t next_rx = 0;
        for (uint32_t seq = 0; seq < TOTAL;) {
                for (int i = 0; i < BATCH; i++, seq++)
                        send_seq(&lab, sa, seq, LEN, "10.0.0.2", 3000);
                run(&lab, MSEC);
                long got;
                while ((got = recv_seq(b, sb, LEN)) >= 0)
                        CHECK_EQ(got, next_rx++);
                CHECK_EQ(got, -EAGAIN);
        }
        CHECK_EQ(next_rx, TOTAL);
        struct sockaddr_in me;
        socklen_t ml = sizeof(me);
        CHECK_EQ(strata_getsockname(a, sa, (struct sockaddr *)&me, &ml), 0);
        CHECK(ntohs(me.sin_port) != 0); /* an ephemeral port was chosen */
        CHECK_EQ(counter(a, "Udp.OutDatagrams"), TOTAL);
        CHECK_EQ(counter(b, "Udp.InDatagrams"), TOTAL);
        CHECK_EQ(counter(b, "Udp.RcvbufErrors"), 0);
        CHECK_EQ(counter(b, "SOCKET_RCVBUFF"), 0);
        CHECK_EQ(counter(b, "CPU_BACKLOG"), 0);
        int fds[] = { sa, sb };
        struct strata_net *own[] = { a, b };
        lab_down(&lab, fds, 2, own);
}

static int get_int_opt(struct strata_net *ns, int fd, int level, int name)
{
        int v = -1;
        socklen_t l = sizeof(v);
        CHECK_EQ(strata_getsockopt(ns, fd, level, name, &v, &l), 0);
        CHECK_EQ(l, sizeof(int));
        return v;
}

static void set_int_opt(struct strata_net *ns, int fd, int level, int name, int v)
{
        CHECK_EQ(strata_setsockopt(ns, fd, level, name, &v, sizeof(v)), 0);
}

static void slow_reader_drops_excess(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, "10.0.0.1", 4000);
        int sb = udp_socket(b, "10.0.0.2", 4000);
        /* Linux doubles SO_RCVBUF for overhead, between SOCK_MIN_RCVBUF
         * (2304) and 2 * net.core.rmem_max */
        CHECK_EQ(get_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF), 212992);
        set_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF, 1);
        CHECK_EQ(get_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF), 2304);
        set_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF, 1 << 30);
        CHECK_EQ(get_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF), 2 * 212992);
        set_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF, 4096);
        const int rcvbuf = get_int_opt(b, sb, SOL_SOCKET, SO_RCVBUF);
        CHECK_EQ(rcvbuf, 8192);

        enum { BURST = 32, LEN = 1000 };
        for (uint32_t i = 0; i < BURST; i++)
                send_seq(&lab, sa, i, LEN, "10.0.0.2", 4000);
        run(&lab, MSEC);
        /* The queue takes datagrams while what it holds is within rcvbuf,
         * then drops the rest: each charges its truesize (> LEN). */
        const uint64_t drops = counter(b, "SOCKET_RCVBUFF");
        const long fit = (long)(BURST - drops);
        CHECK(fit >= 2 && fit <= rcvbuf / LEN + 1);
        CHECK_EQ(counter(b, "Udp.RcvbufErrors"), drops);
        CHECK_EQ(counter(b, "Udp.InErrors"), drops);
        /* Linux counts Udp.InDatagrams when the application reads them */
        CHECK_EQ(counter(b, "Udp.InDatagrams"), 0);
        for (long i = 0; i < fit; i++)
                CHECK_EQ(recv_seq(b, sb, LEN), i);
        CHECK_EQ(recv_seq(b, sb, LEN), -EAGAIN);
        CHECK_EQ(counter(b, "Udp.InDatagrams"), fit);

        /* Reading gave the memory back: the same number fits again. */
        for (uint32_t i = 0; i < BURST; i++)
                send_seq(&lab, sa, 100 + i, LEN, "10.0.0.2", 4000);
        run(&lab, MSEC);
        CHECK_EQ(counter(b, "SOCKET_RCVBUFF"), 2 * drops);
        for (long i = 0; i < fit; i++)
                CHECK_EQ(recv_seq(b, sb, LEN), 100 + i);
        CHECK_EQ(recv_seq(b, sb, LEN), -EAGAIN);

        /* Full again; reading one makes room for exactly one more. */
        for (uint32_t i = 0; i < BURST; i++)
                send_seq(&lab, sa, 200 + i, LEN, "10.0.0.2", 4000);
        run(&lab, MSEC);
        CHECK_EQ(recv_seq(b, sb, LEN), 200);
        for (uint32_t i = 0; i < BURST; i++)
                send_seq(&lab, sa, 300 + i, LEN, "10.0.0.2", 4000);
        run(&lab, MSEC);
        for (long i = 1; i < fit; i++)
                CHECK_EQ(recv_seq(b, sb, LEN), 200 + i);
        CHECK_EQ(recv_seq(b, sb, LEN), 300);
        CHECK_EQ(recv_seq(b, sb, LEN), -EAGAIN);
        const uint64_t dropped = 4 * BURST - 3 * (uint64_t)fit - 1;
        CHECK_EQ(counter(b, "SOCKET_RCVBUFF"), dropped);
        CHECK_EQ(counter(b, "Udp.RcvbufErrors"), dropped);
        CHECK_EQ(counter(b, "Udp.InErrors"), dropped);
        CHECK_EQ(counter(b, "Udp.InDatagrams"), 3 * (uint64_t)fit + 1);
        CHECK_EQ(counter(a, "Udp.OutDatagrams"), 4 * BURST);
        int fds[] = { sa, sb };
        struct strata_net *own[] = { a, b };
        lab_down(&lab, fds, 2, own);
}

static void port_unreachable_refuses_connected_socket(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, NULL, 0);
        struct sockaddr_in closed = sa_in("10.0.0.2", 9); /* nobody listens on beta:9 */
        CHECK_EQ(strata_connect(a, sa, (struct sockaddr *)&closed, sizeof(closed)), 0);
        CHECK_EQ(strata_send(a, sa, "discard?", 8, 0), 8);
        run(&lab, SEC);
        CHECK_EQ(counter(b, "Udp.NoPorts"), 1);
        CHECK_EQ(counter(b, "NO_SOCKET"), 1);
        CHECK_EQ(counter(b, "Icmp.OutDestUnreachs"), 1);
        CHECK_EQ(counter(b, "IcmpMsg.OutType3"), 1);
        CHECK_EQ(counter(b, "Udp.InDatagrams"), 0);
        CHECK_EQ(counter(a, "Icmp.InDestUnreachs"), 1);
        /* the pending error shows in poll as POLLERR, not POLLIN ... */
        struct pollfd p = { .fd = sa, .events = POLLIN };
        CHECK_EQ(strata_poll(a, &p, 1, 0), 1);
        CHECK_EQ(p.revents, POLLERR);
        /* ... and the next recv reports it, once */
        char buf[16];
        CHECK_EQ(strata_recv(a, sa, buf, sizeof(buf), MSG_DONTWAIT), -ECONNREFUSED);
        CHECK_EQ(strata_recv(a, sa, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);

        /* SO_ERROR takes the error too (and clears it) */
        CHECK_EQ(strata_send(a, sa, "again", 5, 0), 5);
        run(&lab, SEC);
        CHECK_EQ(get_int_opt(a, sa, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
        CHECK_EQ(get_int_opt(a, sa, SOL_SOCKET, SO_ERROR), 0);
        CHECK_EQ(strata_recv(a, sa, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);

        /* an unconnected socket is not told (Linux without IP_RECVERR) */
        int su = udp_socket(a, NULL, 0);
        CHECK_EQ(send_to(a, su, "x", 1, "10.0.0.2", 9), 1);
        run(&lab, SEC);
        CHECK_EQ(counter(b, "Udp.NoPorts"), 3);
        CHECK_EQ(counter(b, "Icmp.OutDestUnreachs"), 3);
        CHECK_EQ(counter(a, "Icmp.InDestUnreachs"), 3);
        CHECK_EQ(strata_recv(a, su, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        CHECK_EQ(get_int_opt(a, su, SOL_SOCKET, SO_ERROR), 0);
        int fds[] = { sa, su };
        struct strata_net *own[] = { a, a };
        lab_down(&lab, fds, 2, own);
}

static void fd_limit_is_emfile(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA];
        CHECK_EQ(strata_set_nofile(a, 16), 0);
        int fds[16];
        for (int i = 0; i < 16; i++) {
                fds[i] = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
                CHECK_EQ(fds[i], i); /* lowest free descriptor first */
        }
        CHECK_EQ(strata_socket(a, AF_INET, SOCK_DGRAM, 0), -EMFILE);
        CHECK_EQ(strata_epoll_create1(a, 0), -EMFILE);
        CHECK_EQ(strata_set_nofile(a, 8), -EINVAL); /* descriptor 15 is open */
        CHECK_EQ(strata_close(a, 5), 0);
        CHECK_EQ(strata_close(a, 5), -EBADF);
        fds[5] = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        CHECK_EQ(fds[5], 5);
        CHECK_EQ(strata_socket(a, AF_INET, SOCK_DGRAM, 0), -EMFILE);
        /* the other namespace's table is its own */
        int other = strata_socket(lab.ns[BETA], AF_INET, SOCK_DGRAM, 0);
        CHECK_EQ(other, 0);
        CHECK_EQ(strata_close(lab.ns[BETA], other), 0);
        struct strata_net *own[16];
        for (int i = 0; i < 16; i++)
                own[i] = a;
        lab_down(&lab, fds, 16, own);
}

/* epoll_wait without waiting: a bit per reported data.u64, each of which
 * must have exactly EPOLLIN. */
static unsigned ready_set(struct strata_net *ns, int ep, int timeout_ms)
{
        struct epoll_event evs[8];
        int n = strata_epoll_wait(ns, ep, evs, 8, timeout_ms);
        CHECK(n >= 0);
        unsigned set = 0;
        for (int i = 0; i < n; i++) {
                CHECK_EQ(evs[i].events, EPOLLIN);
                CHECK(evs[i].data.u64 < 32);
                CHECK(!(set & 1u << evs[i].data.u64)); /* each once */
                set |= 1u << evs[i].data.u64;
        }
        return set;
}

static void epoll_level_edge_oneshot(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, "10.0.0.1", 5000);
        int s[4] = { -1, -1, -1, -1 };
        const uint32_t mode[4] = { 0, EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT };
        int ep = strata_epoll_create1(b, 0);
        CHECK(ep >= 0);
        for (int i = 1; i <= 3; i++) {
                s[i] = udp_socket(b, "10.0.0.2", (uint16_t)(5000 + i));
                struct epoll_event ev = { .events = mode[i], .data.u64 = (uint64_t)i };
                CHECK_EQ(strata_epoll_ctl(b, ep, EPOLL_CTL_ADD, s[i], &ev), 0);
        }
        struct epoll_event dup = { .events = EPOLLIN };
        CHECK_EQ(strata_epoll_ctl(b, ep, EPOLL_CTL_ADD, s[1], &dup), -EEXIST);
        CHECK_EQ(strata_epoll_ctl(b, ep, EPOLL_CTL_ADD, ep, &dup), -EINVAL);
        CHECK_EQ(strata_send(b, ep, "x", 1, 0), -ENOTSOCK);
        CHECK_EQ(ready_set(b, ep, 0), 0);

        /* Two datagrams for each, sent before beta runs: beta's epoll_wait
         * drives the lab (alpha's ARP, the veth) and wakes on arrival,
         * without simulated time passing on in-memory links. */
        for (int i = 1; i <= 3; i++)
                for (int k = 0; k < 2; k++)
                        CHECK_EQ(send_to(a, sa, "ab", 2, "10.0.0.2", (uint16_t)(5000 + i)), 2);
        uint64_t t0 = now(&lab);
        unsigned long calls = lab.driver_calls;
        CHECK_EQ(ready_set(b, ep, 1000), 0xe);
        CHECK_EQ(now(&lab), t0);
        CHECK(lab.driver_calls > calls);
        /* level-triggered reports again; edge and one-shot do not */
        CHECK_EQ(ready_set(b, ep, 0), 0x2);
        char buf[8];
        for (int i = 1; i <= 3; i++)
                CHECK_EQ(strata_recv(b, s[i], buf, sizeof(buf), MSG_DONTWAIT), 2);
        CHECK_EQ(ready_set(b, ep, 0), 0x2); /* one datagram left in each */
        /* a new arrival is a new edge; the one-shot stays disarmed */
        for (int i = 1; i <= 3; i++)
                CHECK_EQ(send_to(a, sa, "cd", 2, "10.0.0.2", (uint16_t)(5000 + i)), 2);
        run(&lab, MSEC);
        CHECK_EQ(ready_set(b, ep, 0), 0x6);
        CHECK_EQ(ready_set(b, ep, 0), 0x2);
        /* EPOLL_CTL_MOD re-arms it, and data is waiting */
        struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
        CHECK_EQ(strata_epoll_ctl(b, ep, EPOLL_CTL_MOD, s[3], &ev), 0);
        CHECK_EQ(ready_set(b, ep, 0), 0xa);
        CHECK_EQ(ready_set(b, ep, 0), 0x2);
        for (int i = 1; i <= 3; i++) {
                CHECK_EQ(strata_recv(b, s[i], buf, sizeof(buf), MSG_DONTWAIT), 2);
                CHECK_EQ(strata_recv(b, s[i], buf, sizeof(buf), MSG_DONTWAIT), 2);
                CHECK_EQ(strata_recv(b, s[i], buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        }
        CHECK_EQ(ready_set(b, ep, 0), 0);
        /* nothing comes: the timeout runs out on the simulated clock */
        t0 = now(&lab);
        CHECK_EQ(ready_set(b, ep, 250), 0);
        CHECK_EQ(now(&lab) - t0, 250 * MSEC);
        CHECK_EQ(strata_epoll_ctl(b, ep, EPOLL_CTL_DEL, s[1], NULL), 0);
        CHECK_EQ(strata_epoll_ctl(b, ep, EPOLL_CTL_DEL, s[1], NULL), -ENOENT);
        int fds[] = { sa, s[1], s[2], s[3], ep };
        struct strata_net *own[] = { a, b, b, b, b };
        lab_down(&lab, fds, 5, own);
}

static void poll_timeout_on_sim_clock(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *b = lab.ns[BETA];
        int sb = udp_socket(b, "10.0.0.2", 6000);
        struct pollfd p = { .fd = sb, .events = POLLIN };
        uint64_t t0 = now(&lab);
        CHECK_EQ(strata_poll(b, &p, 1, 0), 0);
        CHECK_EQ(now(&lab), t0);
        CHECK_EQ(strata_poll(b, &p, 1, 250), 0);
        CHECK_EQ(p.revents, 0);
        CHECK_EQ(now(&lab) - t0, 250 * MSEC);
        /* writable at once: no wait */
        p.events = POLLIN | POLLOUT;
        t0 = now(&lab);
        CHECK_EQ(strata_poll(b, &p, 1, 1000), 1);
        CHECK_EQ(p.revents, POLLOUT);
        CHECK_EQ(now(&lab), t0);
        /* a descriptor that is not open: POLLNVAL, as Linux */
        struct pollfd bad = { .fd = 77, .events = POLLIN };
        CHECK_EQ(strata_poll(b, &bad, 1, 0), 1);
        CHECK_EQ(bad.revents, POLLNVAL);
        /* the default driver (no strata_set_driver) also jumps the clock */
        strata_set_driver(b, NULL, NULL);
        p.events = POLLIN;
        t0 = now(&lab);
        CHECK_EQ(strata_poll(b, &p, 1, 100), 0);
        CHECK_EQ(now(&lab) - t0, 100 * MSEC);
        int fds[] = { sb };
        struct strata_net *own[] = { b };
        lab_down(&lab, fds, 1, own);
}

static void blocking_recv_answered_by_other_namespace(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        lab.resp_fd = udp_socket(b, "10.0.0.2", 7);
        CHECK_EQ(strata_fcntl(b, lab.resp_fd, F_SETFL, O_NONBLOCK), 0);
        CHECK_EQ(strata_fcntl(b, lab.resp_fd, F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
        int sa = udp_socket(a, NULL, 0);
        struct sockaddr_in echo = sa_in("10.0.0.2", 7);
        CHECK_EQ(strata_connect(a, sa, (struct sockaddr *)&echo, sizeof(echo)), 0);
        uint64_t seed = 77;
        static unsigned char out[1472], in[2048];
        uint64_t t0 = now(&lab);
        for (unsigned long i = 1; i <= 5; i++) {
                size_t len = 1 + (size_t)(rnd_next(&seed) % 1472);
                rnd_fill(&seed, out, len);
                CHECK_EQ(strata_send(a, sa, out, len, 0), len);
                /* blocks: only the driver (beta answering) can end it */
                CHECK_EQ(strata_recv(a, sa, in, sizeof(in), 0), len);
                CHECK_MEM(in, out, len);
                CHECK_EQ(lab.responded, i);
        }
        CHECK(lab.driver_calls >= 5);
        CHECK_EQ(now(&lab), t0); /* in-memory links take no time */
        CHECK_EQ(counter(b, "Udp.InDatagrams"), 5);
        CHECK_EQ(counter(a, "Udp.InDatagrams"), 5);
        int fds[] = { sa, lab.resp_fd };
        struct strata_net *own[] = { a, b };
        lab.resp_fd = -1;
        lab_down(&lab, fds, 2, own);
}

static void so_rcvtimeo_on_sim_clock(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, "10.0.0.1", 8000);
        int sb = udp_socket(b, "10.0.0.2", 8000);
        struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 }, got = { 1, 1 };
        socklen_t gl = sizeof(got);
        CHECK_EQ(strata_setsockopt(b, sb, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
        CHECK_EQ(strata_getsockopt(b, sb, SOL_SOCKET, SO_RCVTIMEO, &got, &gl), 0);
        CHECK_EQ(gl, sizeof(got));
        CHECK_EQ(got.tv_sec, 0);
        CHECK_EQ(got.tv_usec, 300000);
        char buf[64];
        uint64_t t0 = now(&lab);
        CHECK_EQ(strata_recv(b, sb, buf, sizeof(buf), 0), -EAGAIN);
        CHECK_EQ(now(&lab) - t0, 300 * MSEC);
        /* MSG_DONTWAIT does not wait for the timeout */
        t0 = now(&lab);
        CHECK_EQ(strata_recv(b, sb, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        CHECK_EQ(now(&lab), t0);
        /* data on its way: the recv returns it, well before the timeout */
        CHECK_EQ(send_to(a, sa, "hello", 5, "10.0.0.2", 8000), 5);
        CHECK_EQ(strata_recv(b, sb, buf, sizeof(buf), 0), 5);
        CHECK_MEM(buf, "hello", 5);
        CHECK_EQ(now(&lab), t0);
        int fds[] = { sa, sb };
        struct strata_net *own[] = { a, b };
        lab_down(&lab, fds, 2, own);
}

static void broadcast_reaches_socket_bound_to_any(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        /* bound to its address, the sender needs no route for
         * 255.255.255.255: it leaves by the device owning the address */
        int sa = udp_socket(a, "10.0.0.1", 4444);
        int sb = udp_socket(b, "0.0.0.0", 5000);
        CHECK_EQ(send_to(a, sa, "hello", 5, "255.255.255.255", 5000), -EACCES);
        CHECK_EQ(send_to(a, sa, "hello", 5, "10.0.0.255", 5000), -EACCES);
        CHECK_EQ(get_int_opt(a, sa, SOL_SOCKET, SO_BROADCAST), 0);
        set_int_opt(a, sa, SOL_SOCKET, SO_BROADCAST, 1);
        CHECK_EQ(get_int_opt(a, sa, SOL_SOCKET, SO_BROADCAST), 1);
        CHECK_EQ(send_to(a, sa, "hello", 5, "255.255.255.255", 5000), 5);
        run(&lab, MSEC);
        char buf[16];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        CHECK_EQ(
            strata_recvfrom(b, sb, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl),
            5);
        CHECK_MEM(buf, "hello", 5);
        check_from(&from, fl, "10.0.0.1", 4444);
        /* the subnet's directed broadcast too */
        CHECK_EQ(send_to(a, sa, "world", 5, "10.0.0.255", 5000), 5);
        run(&lab, MSEC);
        fl = sizeof(from);
        CHECK_EQ(
            strata_recvfrom(b, sb, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl),
            5);
        CHECK_MEM(buf, "world", 5);
        check_from(&from, fl, "10.0.0.1", 4444);
        CHECK_EQ(counter(b, "IpExt.InBcastPkts"), 2);
        CHECK_EQ(counter(a, "IpExt.OutBcastPkts"), 2);
        /* a broadcast nobody listens to: Udp.IgnoredMulti, and never an
         * ICMP error about a broadcast */
        CHECK_EQ(send_to(a, sa, "void", 4, "255.255.255.255", 5999), 4);
        run(&lab, MSEC);
        CHECK_EQ(counter(b, "Udp.IgnoredMulti"), 1);
        CHECK_EQ(counter(b, "Udp.NoPorts"), 0);
        CHECK_EQ(counter(b, "Icmp.OutDestUnreachs"), 0);
        CHECK_EQ(counter(b, "Udp.InDatagrams"), 2);
        int fds[] = { sa, sb };
        struct strata_net *own[] = { a, b };
        lab_down(&lab, fds, 2, own);
}

static void broadcast_loops_back_to_sending_host(void)
{
        /* Linux delivers a copy of every broadcast it sends to its own
         * listeners too (ip_mc_output loops RTCF_BROADCAST routes back). */
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, "10.0.0.1", 4444);
        int la = udp_socket(a, "0.0.0.0", 5000);
        int sb = udp_socket(b, "0.0.0.0", 5000);
        set_int_opt(a, sa, SOL_SOCKET, SO_BROADCAST, 1);
        CHECK_EQ(send_to(a, sa, "hello", 5, "255.255.255.255", 5000), 5);
        run(&lab, MSEC);
        char buf[16];
        CHECK_EQ(strata_recv(b, sb, buf, sizeof(buf), MSG_DONTWAIT), 5);
        CHECK_EQ(strata_recv(a, la, buf, sizeof(buf), MSG_DONTWAIT), 5);
        CHECK_MEM(buf, "hello", 5);
        int fds[] = { sa, la, sb };
        struct strata_net *own[] = { a, a, b };
        lab_down(&lab, fds, 3, own);
}

/* A NULL buffer faults the copy, as the kernel's does: sendto answers
 * EFAULT and sends nothing; recvfrom answers EFAULT and the datagram is
 * gone, counted in Udp.InErrors (udp_recvmsg); a peek leaves it. */
static void null_buffer_is_efault(void)
{
        struct lab lab;
        lab_up(&lab);
        struct strata_net *a = lab.ns[ALPHA], *b = lab.ns[BETA];
        int sa = udp_socket(a, "10.0.0.1", 4444);
        int sb = udp_socket(b, "10.0.0.2", 5000);
        CHECK_EQ(send_to(a, sa, NULL, 5, "10.0.0.2", 5000), -EFAULT);
        run(&lab, MSEC);
        char buf[16];
        CHECK_EQ(strata_recv(b, sb, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        CHECK_EQ(send_to(a, sa, "hello", 5, "10.0.0.2", 5000), 5);
        CHECK_EQ(send_to(a, sa, "again", 5, "10.0.0.2", 5000), 5);
        run(&lab, MSEC);
        CHECK_EQ(strata_recv(b, sb, NULL, 16, MSG_DONTWAIT | MSG_PEEK), -EFAULT);
        CHECK_EQ(strata_recv(b, sb, NULL, 16, MSG_DONTWAIT), -EFAULT);
        uint64_t inerr = 0;
        CHECK_EQ(strata_counter(b, "Udp.InErrors", &inerr), 0);
        CHECK_EQ(inerr, 1);
        CHECK_EQ(strata_recv(b, sb, buf, sizeof(buf), MSG_DONTWAIT), 5);
        CHECK_MEM(buf, "again", 5);
        int fds[] = { sa, sb };
        struct strata_net *own[] = { a, b };
        lab_down(&lab, fds, 2, own);
}

TEST_MAIN(T(null_buffer_is_efault), T(exchange_both_ways_byte_exact), T(many_datagrams_in_order), T(slow_reader_drops_excess),
          T(port_unreachable_refuses_connected_socket), T(fd_limit_is_emfile),
          T(epoll_level_edge_oneshot), T(poll_timeout_on_sim_clock),
          T(blocking_recv_answered_by_other_namespace), T(so_rcvtimeo_on_sim_clock),
          T(broadcast_reaches_socket_bound_to_any), T(broadcast_loops_back_to_sending_host))
