/*
 * udp-echo: a UDP echo server (RFC 862) on a TAP interface of the machine,
 * written with nothing but Strata's public socket API -- the example of
 * embedding Strata in a program, and what the udp_echo interop test talks to
 * with the kernel's nc and socat.
 *
 *   udp-echo [--tap NAME] [--addr CIDR] [--port N] [--seconds N] [--epoll]
 *
 * Creates a namespace on the real clock, attaches the TAP interface NAME
 * (default strata0, created if needed; needs CAP_NET_ADMIN) as eth0 with
 * address CIDR (default 10.0.0.2/24), and runs the namespace on a thread of
 * its own.  The main thread binds a UDP socket to 0.0.0.0:N (default 7) and
 * sends every datagram back to where it came from, for N seconds (0, the
 * default: until SIGINT or SIGTERM).  Then it prints the namespace's
 * counters and exits 0.
 *
 * Two ways to serve, as a program on Linux would:
 *  - blocking (default): strata_recvfrom sleeps until a datagram arrives;
 *    SO_RCVTIMEO makes it come back every 100 ms so the loop can look at
 *    the clock and the signals;
 *  - --epoll: the socket is non-blocking and the loop sleeps in
 *    strata_epoll_wait (100 ms timeout), then drains the socket.
 * SIGINT and SIGTERM are blocked before the namespace thread starts (so
 * every thread inherits the mask and no handler interrupts the stack) and
 * taken with a zero-timeout sigtimedwait between rounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "strata/socket.h"
#include "strata/strata.h"

#define DEV_NAME  "eth0"
#define TICK_MS   100
#define MAX_BATCH 64 /* datagrams echoed per epoll wake-up before looking at signals */

struct options {
        const char *tap;
        const char *addr;
        long port;
        long seconds;
        bool epoll;
};

struct stats {
        unsigned long echoed;
        unsigned long send_errors;
};

static void usage(FILE *f)
{
        fprintf(f, "usage: udp-echo [--tap NAME] [--addr CIDR] [--port N] [--seconds N] [--epoll]\n"
                   "  --tap NAME     host TAP interface (default strata0)\n"
                   "  --addr CIDR    Strata's address on it (default 10.0.0.2/24)\n"
                   "  --port N       UDP port to echo on (default 7)\n"
                   "  --seconds N    run N seconds (default 0: until SIGINT/SIGTERM)\n"
                   "  --epoll        non-blocking socket and strata_epoll_wait instead of\n"
                   "                 a blocking strata_recvfrom\n");
}

/* A decimal number in [min, max]; 0 or -1 (message printed). */
static int parse_num(const char *opt, const char *v, long min, long max, long *out)
{
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < min || n > max) {
                fprintf(stderr, "udp-echo: %s: not a number in %ld..%ld: %s\n", opt, min, max, v);
                return -1;
        }
        *out = n;
        return 0;
}

/* Returns 0, 1 (help printed: exit 0) or -1 (bad usage: exit 2). */
static int parse_args(int argc, char **argv, struct options *o)
{
        o->tap = "strata0";
        o->addr = "10.0.0.2/24";
        o->port = 7;
        o->seconds = 0;
        o->epoll = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return 1;
                }
                if (!strcmp(a, "--epoll")) {
                        o->epoll = true;
                        continue;
                }
                if (strcmp(a, "--tap") && strcmp(a, "--addr") && strcmp(a, "--port") &&
                    strcmp(a, "--seconds")) {
                        fprintf(stderr, "udp-echo: unknown option %s\n", a);
                        usage(stderr);
                        return -1;
                }
                if (i + 1 >= argc) {
                        fprintf(stderr, "udp-echo: %s needs a value\n", a);
                        return -1;
                }
                const char *v = argv[++i];
                if (!strcmp(a, "--tap")) {
                        o->tap = v;
                } else if (!strcmp(a, "--addr")) {
                        o->addr = v;
                } else if (!strcmp(a, "--port")) {
                        if (parse_num(a, v, 1, 65535, &o->port))
                                return -1;
                } else if (parse_num(a, v, 0, 100000000, &o->seconds)) {
                        return -1;
                }
        }
        return 0;
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whether to stop: a blocked SIGINT/SIGTERM is pending (taken, *sig set),
 * or the time is up (end_ns 0: never). */
static bool should_stop(const sigset_t *set, uint64_t end_ns, int *sig)
{
        static const struct timespec zero = { 0, 0 };
        int s = sigtimedwait(set, NULL, &zero);
        if (s > 0) {
                *sig = s;
                return true;
        }
        return end_ns && monotonic_ns() >= end_ns;
}

/* Send one datagram back; a failure (no ARP answer yet, a full buffer) loses
 * that datagram only, as it would for a Linux echo server. */
static void echo_back(struct strata_net *net, int fd, const void *buf, size_t len,
                      const struct sockaddr_in *from, struct stats *st)
{
        ssize_t n = strata_sendto(net, fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)from,
                                  sizeof(*from));
        if (n < 0) {
                st->send_errors++;
                fprintf(stderr, "udp-echo: sendto: %s\n", strata_strerror((int)n));
        } else {
                st->echoed++;
        }
}

/* Blocking loop: recvfrom sleeps at most TICK_MS (SO_RCVTIMEO). */
static int serve_blocking(struct strata_net *net, int fd, const sigset_t *set, uint64_t end_ns,
                          struct stats *st, int *sig)
{
        static unsigned char buf[65536];
        struct timeval tv = { .tv_sec = 0, .tv_usec = TICK_MS * 1000 };
        int err = strata_setsockopt(net, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (err) {
                fprintf(stderr, "udp-echo: SO_RCVTIMEO: %s\n", strata_strerror(err));
                return err;
        }
        while (!should_stop(set, end_ns, sig)) {
                struct sockaddr_in from;
                socklen_t fromlen = sizeof(from);
                ssize_t n = strata_recvfrom(net, fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
                                            &fromlen);
                if (n == -EAGAIN || n == -EINTR)
                        continue; /* the tick: look at the signals and the clock */
                if (n < 0) {
                        /* e.g. ECONNREFUSED from an ICMP error: report, go on */
                        fprintf(stderr, "udp-echo: recvfrom: %s\n", strata_strerror((int)n));
                        continue;
                }
                echo_back(net, fd, buf, (size_t)n, &from, st);
        }
        return 0;
}

/* Event loop: epoll_wait sleeps at most TICK_MS, then the socket is drained
 * (a bounded batch, so a flood cannot keep us from the signals). */
static int serve_epoll(struct strata_net *net, int fd, const sigset_t *set, uint64_t end_ns,
                       struct stats *st, int *sig)
{
        static unsigned char buf[65536];
        int err = strata_fcntl(net, fd, F_SETFL, O_NONBLOCK);
        if (err) {
                fprintf(stderr, "udp-echo: O_NONBLOCK: %s\n", strata_strerror(err));
                return err;
        }
        int epfd = strata_epoll_create1(net, 0);
        if (epfd < 0) {
                fprintf(stderr, "udp-echo: epoll_create1: %s\n", strata_strerror(epfd));
                return epfd;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        err = strata_epoll_ctl(net, epfd, EPOLL_CTL_ADD, fd, &ev);
        if (err) {
                fprintf(stderr, "udp-echo: epoll_ctl: %s\n", strata_strerror(err));
                goto out;
        }
        while (!should_stop(set, end_ns, sig)) {
                struct epoll_event evs[4];
                int nev = strata_epoll_wait(net, epfd, evs, 4, TICK_MS);
                if (nev < 0 && nev != -EINTR) {
                        err = nev;
                        fprintf(stderr, "udp-echo: epoll_wait: %s\n", strata_strerror(err));
                        goto out;
                }
                if (nev <= 0)
                        continue;
                for (int i = 0; i < MAX_BATCH; i++) {
                        struct sockaddr_in from;
                        socklen_t fromlen = sizeof(from);
                        ssize_t n = strata_recvfrom(net, fd, buf, sizeof(buf), 0,
                                                    (struct sockaddr *)&from, &fromlen);
                        if (n == -EAGAIN)
                                break;
                        if (n < 0) {
                                fprintf(stderr, "udp-echo: recvfrom: %s\n",
                                        strata_strerror((int)n));
                                continue;
                        }
                        echo_back(net, fd, buf, (size_t)n, &from, st);
                }
        }
out:
        strata_close(net, epfd);
        return err;
}

/* Bring the namespace up on the TAP device; 0 or a negative errno, with
 * *step naming what failed. */
static int setup(struct strata_net *net, const struct options *o, const char **step)
{
        *step = "attaching the TAP interface";
        int err = strata_tap_attach(net, o->tap, DEV_NAME);
        if (!err) {
                *step = "bringing " DEV_NAME " up";
                err = strata_link_set_up(net, DEV_NAME, true);
        }
        if (!err) {
                *step = "adding the address";
                err = strata_addr_add(net, DEV_NAME, o->addr);
        }
        if (!err) {
                *step = "starting the namespace thread";
                err = strata_run_thread(net);
        }
        return err;
}

/* A UDP socket bound to 0.0.0.0:port, or a negative errno. */
static int open_socket(struct strata_net *net, long port)
{
        int fd = strata_socket(net, AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) {
                fprintf(stderr, "udp-echo: socket: %s\n", strata_strerror(fd));
                return fd;
        }
        struct sockaddr_in sin = { .sin_family = AF_INET,
                                   .sin_port = htons((uint16_t)port),
                                   .sin_addr.s_addr = htonl(INADDR_ANY) };
        int err = strata_bind(net, fd, (struct sockaddr *)&sin, sizeof(sin));
        if (err) {
                fprintf(stderr, "udp-echo: bind 0.0.0.0:%ld: %s\n", port, strata_strerror(err));
                strata_close(net, fd);
                return err;
        }
        return fd;
}

int main(int argc, char **argv)
{
        struct options o;
        int r = parse_args(argc, argv, &o);
        if (r)
                return r > 0 ? 0 : 2;

        /* Blocked before any thread exists, so every thread inherits it and
         * the signals wait for sigtimedwait instead of killing us. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);

        struct strata_net *net;
        int err = strata_net_new("udp-echo", NULL, 0, &net);
        if (err) {
                fprintf(stderr, "udp-echo: creating the namespace: %s\n", strata_strerror(err));
                return 1;
        }
        const char *step;
        err = setup(net, &o, &step);
        if (err) {
                fprintf(stderr, "udp-echo: %s (tap %s, address %s): %s\n", step, o.tap, o.addr,
                        strata_strerror(err));
                strata_net_free(net);
                return 1;
        }
        int fd = open_socket(net, o.port);
        if (fd < 0) {
                strata_net_free(net);
                return 1;
        }
        printf("udp-echo: %s on TAP %s with %s, echoing UDP port %ld (%s)\n", DEV_NAME, o.tap,
               o.addr, o.port, o.epoll ? "epoll" : "blocking");
        if (o.seconds)
                printf("udp-echo: running %ld s (or until SIGINT/SIGTERM)\n", o.seconds);
        else
                printf("udp-echo: running until SIGINT/SIGTERM\n");
        fflush(stdout);

        uint64_t end_ns = o.seconds ? monotonic_ns() + (uint64_t)o.seconds * 1000000000ull : 0;
        struct stats st = { 0, 0 };
        int sig = 0;
        if (o.epoll)
                err = serve_epoll(net, fd, &set, end_ns, &st, &sig);
        else
                err = serve_blocking(net, fd, &set, end_ns, &st, &sig);
        strata_close(net, fd);
        strata_stop_thread(net);
        printf("udp-echo: %s, stopping: %lu datagrams echoed, %lu send errors\n",
               sig   ? strsignal(sig)
               : err ? "error"
                     : "time is up",
               st.echoed, st.send_errors);
        strata_print_counters(net, stdout);
        fflush(stdout);
        strata_net_free(net);
        return err ? 1 : 0;
}
