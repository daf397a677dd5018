/*
 * tcp-client: a Strata TCP client on a TAP interface that uploads a
 * generated body to a server (the kernel's `nc -l` in the tcp_curl interop
 * test), written with nothing but the public API.
 *
 *   tcp-client [--tap NAME] [--addr CIDR] [--via GW] --connect IP:PORT
 *              [--bytes N] [--seconds N] [--md5-key KEY]
 *
 * Creates a namespace on the real clock with the TAP interface NAME
 * (default strata0) as eth0 and address CIDR (default 10.0.0.2/24) -- and
 * a default route via GW when given -- run by a thread of its own.  It then waits for a line on stdin (so a test can
 * move the TAP into a network namespace and start the server first; EOF
 * works as well), connects to IP:PORT, sends N bytes (default 1 MB) of the
 * same body http-server --bytes generates (16-byte lines "%015llu\n"
 * counting from 0), shuts its sending side down and reads until the server
 * closes too (anything it sends is counted and dropped).  It gives up after
 * --seconds (default 60).  With --md5-key, every segment to the server is
 * signed with the TCP MD5 option (RFC 2385, TCP_MD5SIG) and every one
 * from it must be.  It prints what it did and the namespace's
 * counters, and exits 0 when every byte was accepted by the stack and the
 * server closed in order, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "strata/socket.h"
#include "strata/strata.h"

#define DEV_NAME "eth0"
#define CHUNK    65536

struct options {
        const char *tap, *addr, *connect, *via, *md5_key;
        long long bytes;
        long seconds;
};

static void usage(FILE *f)
{
        fprintf(f, "usage: tcp-client [--tap NAME] [--addr CIDR] [--via GW] --connect IP:PORT\n"
                   "                  [--bytes N] [--seconds N] [--md5-key KEY]\n");
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_args(int argc, char **argv, struct options *o)
{
        *o = (struct options){ .tap = "strata0",
                               .addr = "10.0.0.2/24",
                               .connect = NULL,
                               .via = NULL,
                               .md5_key = NULL,
                               .bytes = 1 << 20,
                               .seconds = 60 };
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return 1;
                }
                if (i + 1 >= argc) {
                        fprintf(stderr, "tcp-client: %s needs a value\n", a);
                        return -1;
                }
                const char *v = argv[++i];
                char *end;
                if (!strcmp(a, "--tap")) {
                        o->tap = v;
                } else if (!strcmp(a, "--addr")) {
                        o->addr = v;
                } else if (!strcmp(a, "--via")) {
                        o->via = v;
                } else if (!strcmp(a, "--connect")) {
                        o->connect = v;
                } else if (!strcmp(a, "--md5-key")) {
                        if (strlen(v) > TCP_MD5SIG_MAXKEYLEN) {
                                fprintf(stderr, "tcp-client: --md5-key: at most %d bytes\n",
                                        TCP_MD5SIG_MAXKEYLEN);
                                return -1;
                        }
                        o->md5_key = v;
                } else if (!strcmp(a, "--bytes") || !strcmp(a, "--seconds")) {
                        errno = 0;
                        long long n = strtoll(v, &end, 10);
                        if (errno || end == v || *end || n < 0) {
                                fprintf(stderr, "tcp-client: %s: not a number: %s\n", a, v);
                                return -1;
                        }
                        if (!strcmp(a, "--bytes"))
                                o->bytes = n;
                        else
                                o->seconds = (long)n;
                } else {
                        fprintf(stderr, "tcp-client: unknown option %s\n", a);
                        usage(stderr);
                        return -1;
                }
        }
        if (!o->connect) {
                fprintf(stderr, "tcp-client: --connect IP:PORT is required\n");
                return -1;
        }
        return 0;
}

static void gen_body(unsigned long long off, char *buf, size_t len)
{
        char line[24];
        size_t done = 0;
        while (done < len) {
                unsigned long long k = (off + done) / 16;
                size_t in = (size_t)((off + done) % 16);
                snprintf(line, sizeof(line), "%015llu\n", k);
                size_t n = 16 - in < len - done ? 16 - in : len - done;
                memcpy(buf + done, line + in, n);
                done += n;
        }
}

/* Connect, upload, half-close, drain to EOF.  0 or a negative errno. */
static int upload(struct strata_net *net, const struct sockaddr_in *to, const struct options *o,
                  unsigned long long *sent, unsigned long long *received)
{
        uint64_t end = monotonic_ns() + (uint64_t)o->seconds * 1000000000ull;
        int fd = strata_socket(net, AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
                return fd;
        struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
        strata_setsockopt(net, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        strata_setsockopt(net, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (o->md5_key) {
                struct tcp_md5sig md5 = { .tcpm_keylen = (uint16_t)strlen(o->md5_key) };
                memcpy(&md5.tcpm_addr, to, sizeof(*to));
                memcpy(md5.tcpm_key, o->md5_key, md5.tcpm_keylen);
                int e = strata_setsockopt(net, fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5));
                if (e) {
                        strata_close(net, fd);
                        return e;
                }
        }
        int err = strata_connect(net, fd, (const struct sockaddr *)to, sizeof(*to));
        if (err) {
                strata_close(net, fd);
                return err;
        }
        static char chunk[CHUNK];
        size_t have = 0, at = 0; /* chunk holds [*sent - at, *sent - at + have) */
        while (*sent < (unsigned long long)o->bytes) {
                if (monotonic_ns() > end) {
                        err = -ETIMEDOUT;
                        goto out;
                }
                if (at == have) {
                        unsigned long long left = (unsigned long long)o->bytes - *sent;
                        have = left < CHUNK ? (size_t)left : CHUNK;
                        gen_body(*sent, chunk, have);
                        at = 0;
                }
                ssize_t n = strata_send(net, fd, chunk + at, have - at, MSG_NOSIGNAL);
                if (n == -EAGAIN || n == -EINTR)
                        continue;
                if (n < 0) {
                        err = (int)n;
                        goto out;
                }
                at += (size_t)n;
                *sent += (unsigned long long)n;
        }
        err = strata_shutdown(net, fd, SHUT_WR);
        while (!err) {
                if (monotonic_ns() > end) {
                        err = -ETIMEDOUT;
                        break;
                }
                ssize_t n = strata_recv(net, fd, chunk, sizeof(chunk), 0);
                if (n == 0)
                        break;
                if (n == -EAGAIN || n == -EINTR)
                        continue;
                if (n < 0)
                        err = (int)n;
                else
                        *received += (unsigned long long)n;
        }
out:
        strata_close(net, fd);
        return err;
}

int main(int argc, char **argv)
{
        struct options o;
        int r = parse_args(argc, argv, &o);
        if (r)
                return r > 0 ? 0 : 2;
        signal(SIGPIPE, SIG_IGN);
        char host[64];
        const char *colon = strrchr(o.connect, ':');
        struct sockaddr_in to = { .sin_family = AF_INET };
        long port = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (!colon || (size_t)(colon - o.connect) >= sizeof(host) || port <= 0 || port > 65535) {
                fprintf(stderr, "tcp-client: --connect wants IP:PORT, not %s\n", o.connect);
                return 2;
        }
        memcpy(host, o.connect, (size_t)(colon - o.connect));
        host[colon - o.connect] = 0;
        if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
                fprintf(stderr, "tcp-client: not an IPv4 address: %s\n", host);
                return 2;
        }
        to.sin_port = htons((uint16_t)port);

        struct strata_net *net;
        int err = strata_net_new("tcp-client", NULL, 0, &net);
        const char *step = "creating the namespace";
        if (!err) {
                step = "attaching the TAP interface";
                err = strata_tap_attach(net, o.tap, DEV_NAME);
        }
        if (!err) {
                step = "bringing the link up";
                err = strata_link_set_up(net, DEV_NAME, true);
        }
        if (!err) {
                step = "adding the address";
                err = strata_addr_add(net, DEV_NAME, o.addr);
        }
        if (!err && o.via) {
                step = "adding the default route";
                err = strata_route_add(net, "default", o.via, NULL);
        }
        if (!err) {
                step = "starting the namespace thread";
                err = strata_run_thread(net);
        }
        if (err) {
                fprintf(stderr, "tcp-client: %s (tap %s, address %s): %s\n", step, o.tap, o.addr,
                        strata_strerror(err));
                if (net)
                        strata_net_free(net);
                return 1;
        }
        printf("tcp-client: %s on TAP %s with %s; press Enter to upload %lld bytes to %s\n",
               DEV_NAME, o.tap, o.addr, o.bytes, o.connect);
        fflush(stdout);
        char line[16];
        if (!fgets(line, sizeof(line), stdin))
                clearerr(stdin);

        unsigned long long sent = 0, received = 0;
        uint64_t t0 = monotonic_ns();
        err = upload(net, &to, &o, &sent, &received);
        double secs = (double)(monotonic_ns() - t0) / 1e9;
        strata_stop_thread(net);
        printf("tcp-client: %s: %llu bytes sent, %llu received, %.3f s\n",
               err ? strata_strerror(err) : "done", sent, received, secs);
        strata_print_counters(net, stdout);
        fflush(stdout);
        strata_net_free(net);
        return err ? 1 : 0;
}
