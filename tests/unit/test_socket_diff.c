/*
 * Differential test of the socket API (issue 3): the same sequence of
 * socket calls runs against the kernel (libc sockets on 127.0.0.1) and
 * against Strata (a namespace on a simulated clock, whose lo has
 * 127.0.0.1/8 as a fresh Linux namespace has), and every outcome must agree:
 * a kernel call failing with errno E must be a Strata call returning -E,
 * success must be success, and what a call hands back (byte counts, flags,
 * option values, addresses, ancillary data, poll and epoll events) must be
 * the same.
 *
 * How: each scenario is a table of steps, each step one operation with its
 * arguments, and a small interpreter runs every step once on a kernel
 * backend (real system calls) and once on a Strata backend (strata_*),
 * then compares the two outcomes.  Descriptors are named by slot (s0, s1,
 * ep, ...) and mapped per backend, since fd numbers differ.  Ports are
 * symbolic: P0..P9 are base+0..9 with a random base in 20000-30000 that is
 * checked free on the host before every scenario (Strata uses the same
 * numbers); ports chosen by the stack are compared structurally ("the port
 * getsockname reported for s2", "an ephemeral port in
 * ip_local_port_range").  The outcome is printed as text (ret/errno plus
 * the normalized outputs), so a mismatch prints as (steps numbered from 1
 * in their table)
 *
 *      step 7: bind(s1, 127.0.0.1:P0) kernel=-1/EADDRINUSE strata=0
 *
 * and the case's FAIL line repeats the first one.  A mismatch may drag a
 * later step of the same scenario along (a bind that wrongly succeeded
 * makes the next bind differ); the first one of a chain is the bug.
 *
 * Many steps also carry what the kernel is expected to do (OK, ERR(E),
 * RET(n), XD("text")): that documents the behaviour under test and catches
 * a host whose kernel behaves differently (reported as "kernel
 * expectation").
 *
 * Host configuration: the host's net.core.{r,w}mem_{default,max},
 * net.ipv4.ip_local_port_range and ip_default_ttl are copied into the
 * Strata namespace before each scenario, so both stacks run with the same
 * knobs (a note is printed when they differ: the development host has
 * rmem_max/wmem_max 4194304, Strata defaults to 212992).  Strata's own
 * defaults are checked against Linux's where they matter
 * (rmem/wmem_default 212992, ip_local_port_range 32768 60999,
 * ip_default_ttl 64).
 *
 * Data arrival: on Linux a datagram sent over loopback is queued on the
 * receiver, and the ICMP error it may cause is on the sender, before
 * sendto() returns (the softirq runs when the sender re-enables bottom
 * halves).  loopback_sync checks that Strata does the same; everywhere
 * else a receive is preceded by poll(POLLIN, 1000 ms), which returns at
 * once on the kernel and drives Strata's simulated clock, so no step
 * depends on timing.  "Nothing arrives" is checked after poll(NULL, 0, 20)
 * (20 ms of real time on the kernel, simulated on Strata).  A step that
 * never returns fails its case after 20 s (alarm) instead of hanging.
 *
 * The descriptor limit (fd_limit) runs on the kernel in a forked child
 * with RLIMIT_NOFILE 1024, so the test's own limit does not change.
 *
 * Left out on purpose, with the reason:
 *  - TCP (SOCK_STREAM), AF_INET6 and raw sockets: Strata refuses them with
 *    EPROTONOSUPPORT / EAFNOSUPPORT until they are built (socket.h);
 *  - IPPROTO_ICMP datagram sockets and IPPROTO_UDPLITE: not in Strata yet,
 *    and ping sockets depend on the host's net.ipv4.ping_group_range;
 *  - fragmentation (datagrams above the MTU): Strata refuses with EMSGSIZE,
 *    documented; only datagrams that fit lo's 64 KB MTU are sent;
 *  - which of several SO_REUSEPORT sockets gets a datagram (a hash) and how
 *    many datagrams fit a small SO_RCVBUF (depends on skb truesize);
 *  - sends to non-loopback destinations (the host routes them out of the
 *    machine; Strata's namespace has no route) and to 255.255.255.255 from
 *    an unbound socket (ENETUNREACH or EACCES depending on the host's
 *    default route);
 *  - EFAULT cases (bad pointers), fcntl commands other than
 *    F_GETFL/F_SETFL/F_GETFD/F_SETFD (socket.h), IP_RECVERR and the error
 *    queue, SOL_UDP options;
 *  - ioctl(FIONREAD) on an epoll descriptor: ENOTTY before Linux 6.9,
 *    EINVAL since (epoll gained an ioctl handler), so it depends on the
 *    host's kernel.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "api/api.h"
#include "core/netdev.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- steps ---------------------------------------------------------------- */

enum op {
        OP_SOCKET,
        OP_CLOSE,
        OP_BIND,
        OP_CONNECT,
        OP_LISTEN,
        OP_ACCEPT,
        OP_SEND,
        OP_SENDTO,
        OP_SENDMSG,
        OP_RECV,
        OP_RECVFROM,
        OP_RECVMSG,
        OP_SHUTDOWN,
        OP_GETSOCKNAME,
        OP_GETPEERNAME,
        OP_SETSOCKOPT,
        OP_GETSOCKOPT,
        OP_FCNTL,
        OP_IOCTL,
        OP_POLL,
        OP_EPOLL_CREATE,
        OP_EPOLL_CTL,
        OP_EPOLL_WAIT,
        OP_SAME_FD, /* not a call: do two slots hold the same descriptor? */
};

/* Descriptor slots.  BAD is a descriptor that is not open, NEG is -1. */
enum { S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, EP, EP2, BAD = 14, NEG = 15, NSLOT = 16 };

/* Port specs: >= 0 literal; P(k) the scenario's base + k; PS(slot) the port
 * getsockname last reported for slot. */
#define NPORT 10
#define P(k)  (-1 - (k))
#define PS(s) (-100 - (s))

/* An address argument: none (NULL) when fam and ip are both 0; AF_INET6
 * is [::1]. */
struct addr {
        int fam;
        const char *ip;
        int port;
        int len; /* 0: the family's natural length */
};

struct step {
        enum op op;
        int s[3];  /* slots */
        int v[3];  /* op arguments (domain/type/proto, level/name/value, ...) */
        int n;     /* poll: entries */
        int len;   /* data length or buffer size */
        int flags; /* send/recv flags */
        int tmo;   /* poll/epoll timeout, ms */
        struct addr a;
        bool has_ol; /* explicit optlen / addrlen / controllen */
        int ol;
        bool has_x; /* expected kernel result: ret, or -errno */
        long x;
        const char *xd; /* expected text in the kernel's outputs */
};

#define IN4(ip_, port_)                                                                            \
        {                                                                                          \
                .fam = AF_INET, .ip = (ip_), .port = (port_)                                       \
        }
#define IN4L(ip_, port_, len_)                                                                     \
        {                                                                                          \
                .fam = AF_INET, .ip = (ip_), .port = (port_), .len = (len_)                        \
        }
#define UNSPEC(ip_, port_)                                                                         \
        {                                                                                          \
                .fam = AF_UNSPEC, .ip = (ip_), .port = (port_)                                     \
        }
#define IN6(port_)                                                                                 \
        {                                                                                          \
                .fam = AF_INET6, .port = (port_)                                                   \
        }
#define LO(port_) IN4("127.0.0.1", port_)
#define NOADDR                                                                                     \
        {                                                                                          \
                .fam = 0                                                                           \
        }

/* Expectations on the kernel's outcome (optional, after the arguments). */
#define OK     .has_x = true, .x = 0
#define ERR(e) .has_x = true, .x = -(e)
#define RET(n) .has_x = true, .x = (n)
#define XD(s)  .xd = (s)
#define OL(n)  .has_ol = true, .ol = (n)

#define SOCKET(sl, d, t, p, ...)                                                                   \
        {                                                                                          \
                .op = OP_SOCKET, .s = { sl }, .v = { d, t, p }, __VA_ARGS__                        \
        }
#define UDP(sl, ...) SOCKET(sl, AF_INET, SOCK_DGRAM, 0, OK, __VA_ARGS__)
#define CLOSE(sl, ...)                                                                             \
        {                                                                                          \
                .op = OP_CLOSE, .s = { sl }, __VA_ARGS__                                           \
        }
#define BIND(sl, ad, ...)                                                                          \
        {                                                                                          \
                .op = OP_BIND, .s = { sl }, .a = ad, __VA_ARGS__                                   \
        }
#define CONNECT(sl, ad, ...)                                                                       \
        {                                                                                          \
                .op = OP_CONNECT, .s = { sl }, .a = ad, __VA_ARGS__                                \
        }
#define LISTEN(sl, ...)                                                                            \
        {                                                                                          \
                .op = OP_LISTEN, .s = { sl }, .v = { 5 }, __VA_ARGS__                              \
        }
#define ACCEPT(sl, ...)                                                                            \
        {                                                                                          \
                .op = OP_ACCEPT, .s = { sl }, __VA_ARGS__                                          \
        }
/* payload: len bytes of a pattern chosen by tag */
#define SEND(sl, l, fl, tag, ...)                                                                  \
        {                                                                                          \
                .op = OP_SEND, .s = { sl }, .len = (l), .flags = (fl), .v = { tag }, __VA_ARGS__   \
        }
#define SENDTO(sl, l, fl, ad, tag, ...)                                                            \
        {                                                                                          \
                .op = OP_SENDTO, .s = { sl }, .len = (l), .flags = (fl), .a = ad, .v = { tag },    \
                __VA_ARGS__                                                                        \
        }
#define SENDMSG(sl, l, fl, ad, tag, ...)                                                           \
        {                                                                                          \
                .op = OP_SENDMSG, .s = { sl }, .len = (l), .flags = (fl), .a = ad, .v = { tag },   \
                __VA_ARGS__                                                                        \
        }
#define RECV(sl, l, fl, ...)                                                                       \
        {                                                                                          \
                .op = OP_RECV, .s = { sl }, .len = (l), .flags = (fl), __VA_ARGS__                 \
        }
#define RECVFROM(sl, l, fl, ...)                                                                   \
        {                                                                                          \
                .op = OP_RECVFROM, .s = { sl }, .len = (l), .flags = (fl), __VA_ARGS__             \
        }
/* ctl: bytes of control buffer (0: none) */
#define RECVMSG(sl, l, fl, ctl, ...)                                                               \
        {                                                                                          \
                .op = OP_RECVMSG, .s = { sl }, .len = (l), .flags = (fl), .v = { ctl },            \
                __VA_ARGS__                                                                        \
        }
#define SHUTDOWN(sl, how, ...)                                                                     \
        {                                                                                          \
                .op = OP_SHUTDOWN, .s = { sl }, .v = { how }, __VA_ARGS__                          \
        }
#define GETSOCKNAME(sl, ...)                                                                       \
        {                                                                                          \
                .op = OP_GETSOCKNAME, .s = { sl }, __VA_ARGS__                                     \
        }
#define GETPEERNAME(sl, ...)                                                                       \
        {                                                                                          \
                .op = OP_GETPEERNAME, .s = { sl }, __VA_ARGS__                                     \
        }
#define SETOPT(sl, lv, nm, val, ...)                                                               \
        {                                                                                          \
                .op = OP_SETSOCKOPT, .s = { sl }, .v = { lv, nm, val }, __VA_ARGS__                \
        }
#define GETOPT(sl, lv, nm, ...)                                                                    \
        {                                                                                          \
                .op = OP_GETSOCKOPT, .s = { sl }, .v = { lv, nm }, __VA_ARGS__                     \
        }
#define FCNTL(sl, cmd, arg, ...)                                                                   \
        {                                                                                          \
                .op = OP_FCNTL, .s = { sl }, .v = { cmd, arg }, __VA_ARGS__                        \
        }
#define IOCTL(sl, req, arg, ...)                                                                   \
        {                                                                                          \
                .op = OP_IOCTL, .s = { sl }, .v = { req, arg }, __VA_ARGS__                        \
        }
#define POLL1(sl, ev, t, ...)                                                                      \
        {                                                                                          \
                .op = OP_POLL, .n = 1, .s = { sl }, .v = { ev }, .tmo = (t), __VA_ARGS__           \
        }
#define POLL2(sa, ea, sb, eb, t, ...)                                                              \
        {                                                                                          \
                .op = OP_POLL, .n = 2, .s = { sa, sb }, .v = { ea, eb }, .tmo = (t), __VA_ARGS__   \
        }
#define POLL3(sa, ea, sb, eb, sc, ec, t, ...)                                                      \
        {                                                                                          \
                .op = OP_POLL, .n = 3, .s = { sa, sb, sc }, .v = { ea, eb, ec }, .tmo = (t),       \
                __VA_ARGS__                                                                        \
        }
/* poll(NULL, 0, 20): lets Strata run its clock 20 ms; the kernel sleeps */
#define SETTLE                                                                                     \
        {                                                                                          \
                .op = OP_POLL, .n = 0, .tmo = 20, RET(0)                                           \
        }
#define EPOLL_CREATE(sl, fl, ...)                                                                  \
        {                                                                                          \
                .op = OP_EPOLL_CREATE, .s = { sl }, .v = { fl }, __VA_ARGS__                       \
        }
/* ev.data.u64 is the target's slot; nullev: pass NULL as the event */
#define EPOLL_CTL(ep, o, sl, evs, ...)                                                             \
        {                                                                                          \
                .op = OP_EPOLL_CTL, .s = { ep, sl }, .v = { o, evs }, __VA_ARGS__                  \
        }
#define EPOLL_CTL_NULL(ep, o, sl, ...)                                                             \
        {                                                                                          \
                .op = OP_EPOLL_CTL, .s = { ep, sl }, .v = { o, 0, 1 }, __VA_ARGS__                 \
        }
#define EPOLL_WAIT(ep, maxev, t, ...)                                                              \
        {                                                                                          \
                .op = OP_EPOLL_WAIT, .s = { ep }, .v = { maxev }, .tmo = (t), __VA_ARGS__          \
        }
#define SAME_FD(a, b, ...)                                                                         \
        {                                                                                          \
                .op = OP_SAME_FD, .s = { a, b }, __VA_ARGS__                                       \
        }

#define DW MSG_DONTWAIT

/* --- backends -------------------------------------------------------------- */

struct backend {
        bool kernel;
        const char *name;
        struct strata_net *net; /* Strata only */
        int fd[NSLOT];
        bool open[NSLOT];
        int port[NSLOT]; /* last port getsockname reported; 0 unknown */
        int lo_ifindex;
        int eph_lo, eph_hi; /* ip_local_port_range */
};

struct outcome {
        long ret; /* -1 on error; 0 for a descriptor (the number differs) */
        int err;
        char d[1024]; /* normalized outputs */
};

static struct {
        int base;
        struct strata_clock *clk;
        struct backend k, s;
        int steps, mismatches;
        char first[3000]; /* the first mismatch, for the FAIL line */
} R;

static long total_steps, total_mismatches;
static bool mirror_noted;

/* The Strata defaults, read from the first namespace before it is changed. */
static struct {
        bool read;
        char rmem_default[32], wmem_default[32], port_range[32], ttl[32];
} strata_defaults;

static unsigned char *sbuf, *rbuf; /* payload and receive buffers */
#define BUFSZ 70000

static long sys_ret(long r)
{
        return r < 0 ? -(long)errno : r;
}

/* One call on one backend: the kernel's result with errno folded in as a
 * negative value, or Strata's as it comes. */
#define CALL(b, kexpr, sexpr) ((b)->kernel ? sys_ret((long)(kexpr)) : (long)(sexpr))

static const char *errname(int e)
{
        const char *n = strerrorname_np(e);
        return n ? n : "E?";
}

/* --- formatting -------------------------------------------------------------- */

static void app(char *d, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void app(char *d, size_t cap, const char *fmt, ...)
{
        size_t n = strlen(d);
        if (n + 1 >= cap)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d + n, cap - n, fmt, ap);
        va_end(ap);
}

struct bitname {
        unsigned bit;
        const char *name;
};

static void fmt_bits(char *d, size_t cap, unsigned v, const struct bitname *t, size_t n)
{
        bool first = true;
        for (size_t i = 0; i < n; i++) {
                if (v & t[i].bit) {
                        app(d, cap, "%s%s", first ? "" : "|", t[i].name);
                        v &= ~t[i].bit;
                        first = false;
                }
        }
        if (v || first)
                app(d, cap, "%s0x%x", first ? "" : "|", v);
}

static const struct bitname poll_bits[] = {
        { POLLIN, "IN" },         { POLLPRI, "PRI" },       { POLLOUT, "OUT" },
        { POLLERR, "ERR" },       { POLLHUP, "HUP" },       { POLLNVAL, "NVAL" },
        { POLLRDNORM, "RDNORM" }, { POLLRDBAND, "RDBAND" }, { POLLWRNORM, "WRNORM" },
        { POLLWRBAND, "WRBAND" }, { POLLRDHUP, "RDHUP" },
};

static const struct bitname epoll_bits[] = {
        { EPOLLIN, "IN" },
        { EPOLLPRI, "PRI" },
        { EPOLLOUT, "OUT" },
        { EPOLLERR, "ERR" },
        { EPOLLHUP, "HUP" },
        { EPOLLRDNORM, "RDNORM" },
        { EPOLLWRNORM, "WRNORM" },
        { EPOLLRDHUP, "RDHUP" },
        { EPOLLET, "ET" },
        { EPOLLONESHOT, "ONESHOT" },
        { EPOLLEXCLUSIVE, "EXCLUSIVE" },
};

static const struct bitname msg_bits[] = {
        { MSG_OOB, "OOB" },           { MSG_PEEK, "PEEK" },         { MSG_TRUNC, "TRUNC" },
        { MSG_CTRUNC, "CTRUNC" },     { MSG_DONTWAIT, "DW" },       { MSG_EOR, "EOR" },
        { MSG_ERRQUEUE, "ERRQUEUE" }, { MSG_NOSIGNAL, "NOSIGNAL" }, { MSG_WAITALL, "WAITALL" },
};

static const char *slot_name(int s)
{
        static const char *names[NSLOT] = { "s0", "s1", "s2", "s3",  "s4",  "s5",  "s6",  "s7",
                                            "s8", "s9", "ep", "ep2", "s12", "s13", "bad", "-1" };
        return s >= 0 && s < NSLOT ? names[s] : "?";
}

static const char *opt_name(int level, int name)
{
        static char buf[32];
        if (level == SOL_SOCKET) {
                switch (name) {
                case SO_TYPE:
                        return "SO_TYPE";
                case SO_ERROR:
                        return "SO_ERROR";
                case SO_PROTOCOL:
                        return "SO_PROTOCOL";
                case SO_DOMAIN:
                        return "SO_DOMAIN";
                case SO_RCVBUF:
                        return "SO_RCVBUF";
                case SO_SNDBUF:
                        return "SO_SNDBUF";
                case SO_REUSEADDR:
                        return "SO_REUSEADDR";
                case SO_REUSEPORT:
                        return "SO_REUSEPORT";
                case SO_BROADCAST:
                        return "SO_BROADCAST";
                case SO_RCVTIMEO:
                        return "SO_RCVTIMEO";
                case SO_ACCEPTCONN:
                        return "SO_ACCEPTCONN";
                }
                snprintf(buf, sizeof(buf), "SOL_SOCKET/%d", name);
                return buf;
        }
        if (level == IPPROTO_IP) {
                switch (name) {
                case IP_TTL:
                        return "IP_TTL";
                case IP_TOS:
                        return "IP_TOS";
                case IP_PKTINFO:
                        return "IP_PKTINFO";
                case IP_RECVTTL:
                        return "IP_RECVTTL";
                case IP_RECVTOS:
                        return "IP_RECVTOS";
                }
                snprintf(buf, sizeof(buf), "SOL_IP/%d", name);
                return buf;
        }
        snprintf(buf, sizeof(buf), "level%d/%d", level, name);
        return buf;
}

static const char *fam_name(int f)
{
        static char buf[16];
        switch (f) {
        case AF_INET:
                return "AF_INET";
        case AF_INET6:
                return "AF_INET6";
        case AF_UNSPEC:
                return "AF_UNSPEC";
        }
        snprintf(buf, sizeof(buf), "af%d", f);
        return buf;
}

static void fmt_port_spec(char *d, size_t cap, int port)
{
        if (port >= 0)
                app(d, cap, "%d", port);
        else if (port > -100)
                app(d, cap, "P%d", -1 - port);
        else
                app(d, cap, "port(%s)", slot_name(-100 - port));
}

static void fmt_addr_arg(char *d, size_t cap, const struct addr *a)
{
        if (!a->fam && !a->ip) {
                app(d, cap, "NULL");
                return;
        }
        if (a->fam == AF_INET6)
                app(d, cap, "[::1]:");
        else
                app(d, cap, "%s%s:", a->fam == AF_UNSPEC ? "AF_UNSPEC " : "", a->ip);
        fmt_port_spec(d, cap, a->port);
        if (a->len)
                app(d, cap, " len=%d", a->len);
}

/* The call as text, the same for both backends. */
static void describe(char *d, size_t cap, const struct step *st)
{
        d[0] = 0;
        const char *sl = slot_name(st->s[0]);
        switch (st->op) {
        case OP_SOCKET:
                app(d, cap, "%s = socket(%s, %#x, %d)", sl, fam_name(st->v[0]), st->v[1], st->v[2]);
                break;
        case OP_CLOSE:
                app(d, cap, "close(%s)", sl);
                break;
        case OP_BIND:
        case OP_CONNECT:
                app(d, cap, "%s(%s, ", st->op == OP_BIND ? "bind" : "connect", sl);
                fmt_addr_arg(d, cap, &st->a);
                app(d, cap, ")");
                break;
        case OP_LISTEN:
                app(d, cap, "listen(%s, %d)", sl, st->v[0]);
                break;
        case OP_ACCEPT:
                app(d, cap, "accept(%s)", sl);
                break;
        case OP_SEND:
        case OP_SENDTO:
        case OP_SENDMSG:
                app(d, cap, "%s(%s, %d bytes, ",
                    st->op == OP_SEND     ? "send"
                    : st->op == OP_SENDTO ? "sendto"
                                          : "sendmsg",
                    sl, st->len);
                fmt_bits(d, cap, (unsigned)st->flags, msg_bits, ARRAY_SIZE(msg_bits));
                if (st->op != OP_SEND) {
                        app(d, cap, ", ");
                        fmt_addr_arg(d, cap, &st->a);
                }
                app(d, cap, ")");
                break;
        case OP_RECV:
        case OP_RECVFROM:
        case OP_RECVMSG:
                app(d, cap, "%s(%s, %d, ",
                    st->op == OP_RECV       ? "recv"
                    : st->op == OP_RECVFROM ? "recvfrom"
                                            : "recvmsg",
                    sl, st->len);
                fmt_bits(d, cap, (unsigned)st->flags, msg_bits, ARRAY_SIZE(msg_bits));
                if (st->op == OP_RECVMSG && st->v[0])
                        app(d, cap, ", control %d", st->v[0]);
                if (st->has_ol)
                        app(d, cap, ", addrlen %d", st->ol);
                app(d, cap, ")");
                break;
        case OP_SHUTDOWN:
                app(d, cap, "shutdown(%s, %d)", sl, st->v[0]);
                break;
        case OP_GETSOCKNAME:
        case OP_GETPEERNAME:
                app(d, cap, "%s(%s", st->op == OP_GETSOCKNAME ? "getsockname" : "getpeername", sl);
                if (st->has_ol)
                        app(d, cap, ", len %d", st->ol);
                app(d, cap, ")");
                break;
        case OP_SETSOCKOPT:
                app(d, cap, "setsockopt(%s, %s, %d", sl, opt_name(st->v[0], st->v[1]), st->v[2]);
                if (st->has_ol)
                        app(d, cap, ", optlen %d", st->ol);
                app(d, cap, ")");
                break;
        case OP_GETSOCKOPT:
                app(d, cap, "getsockopt(%s, %s", sl, opt_name(st->v[0], st->v[1]));
                if (st->has_ol)
                        app(d, cap, ", optlen %d", st->ol);
                app(d, cap, ")");
                break;
        case OP_FCNTL:
                app(d, cap, "fcntl(%s, %d, %#x)", sl, st->v[0], st->v[1]);
                break;
        case OP_IOCTL:
                app(d, cap, "ioctl(%s, %#x, %d)", sl, (unsigned)st->v[0], st->v[1]);
                break;
        case OP_POLL:
                app(d, cap, "poll([");
                for (int i = 0; i < st->n; i++) {
                        app(d, cap, "%s%s:", i ? " " : "", slot_name(st->s[i]));
                        fmt_bits(d, cap, (unsigned)st->v[i], poll_bits, ARRAY_SIZE(poll_bits));
                }
                app(d, cap, "], %d)", st->tmo);
                break;
        case OP_EPOLL_CREATE:
                app(d, cap, "%s = epoll_create1(%#x)", sl, st->v[0]);
                break;
        case OP_EPOLL_CTL:
                app(d, cap, "epoll_ctl(%s, %s, %s, ", sl,
                    st->v[0] == EPOLL_CTL_ADD   ? "ADD"
                    : st->v[0] == EPOLL_CTL_DEL ? "DEL"
                    : st->v[0] == EPOLL_CTL_MOD ? "MOD"
                                                : "op?",
                    slot_name(st->s[1]));
                if (st->v[2])
                        app(d, cap, "NULL");
                else
                        fmt_bits(d, cap, (unsigned)st->v[1], epoll_bits, ARRAY_SIZE(epoll_bits));
                app(d, cap, ")");
                break;
        case OP_EPOLL_WAIT:
                app(d, cap, "epoll_wait(%s, %d, %d)", sl, st->v[0], st->tmo);
                break;
        case OP_SAME_FD:
                app(d, cap, "fd(%s) == fd(%s)", sl, slot_name(st->s[1]));
                break;
        }
}

/* A port as the stack reported it, in terms both backends share. */
static void fmt_port(char *d, size_t cap, const struct backend *b, int port)
{
        if (port == 0) {
                app(d, cap, "0");
                return;
        }
        for (int k = 0; k < NPORT; k++) {
                if (port == R.base + k) {
                        app(d, cap, "P%d", k);
                        return;
                }
        }
        for (int s = 0; s < NSLOT; s++) {
                if (b->port[s] == port) {
                        app(d, cap, "port(%s)", slot_name(s));
                        return;
                }
        }
        if (port >= b->eph_lo && port <= b->eph_hi)
                app(d, cap, "ephemeral");
        else
                app(d, cap, "%d", port);
}

/* A sockaddr the stack wrote: inlen was offered, outlen came back; only
 * min(inlen, outlen) bytes were written. */
static void fmt_sockaddr(char *d, size_t cap, const struct backend *b, const void *buf,
                         socklen_t inlen, socklen_t outlen)
{
        const unsigned char *p = buf;
        socklen_t w = inlen < outlen ? inlen : outlen;
        app(d, cap, "{len=%u", (unsigned)outlen);
        if (w >= 2) {
                sa_family_t f;
                memcpy(&f, p, sizeof(f));
                app(d, cap, " %s", fam_name(f));
        }
        if (w >= 4) {
                uint16_t port;
                memcpy(&port, p + 2, 2);
                app(d, cap, " port=");
                fmt_port(d, cap, b, ntohs(port));
        }
        if (w >= 8) {
                char ip[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, p + 4, ip, sizeof(ip));
                app(d, cap, " %s", ip);
        }
        if (w >= 16) {
                static const unsigned char zero[8];
                if (memcmp(p + 8, zero, 8) != 0)
                        app(d, cap, " sin_zero!=0");
        }
        app(d, cap, "}");
}

static uint32_t fnv(const unsigned char *p, size_t n)
{
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i++)
                h = (h ^ p[i]) * 16777619u;
        return h;
}

static void fill_payload(unsigned char *p, size_t n, int tag)
{
        for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char)(tag * 31 + i * 7 + (i >> 8));
}

/* --- running a step ------------------------------------------------------------- */

static int resolve_port(const struct backend *b, int spec)
{
        if (spec >= 0)
                return spec;
        if (spec > -100)
                return R.base + (-1 - spec);
        return b->port[-100 - spec];
}

static socklen_t make_addr(const struct backend *b, const struct addr *a,
                           struct sockaddr_storage *ss)
{
        socklen_t len;
        memset(ss, 0, sizeof(*ss));
        if (a->fam == AF_INET6) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_addr = in6addr_loopback;
                s6->sin6_port = htons((uint16_t)resolve_port(b, a->port));
                len = sizeof(*s6);
        } else {
                struct sockaddr_in *sin = (struct sockaddr_in *)ss;
                sin->sin_family = (sa_family_t)a->fam;
                inet_pton(AF_INET, a->ip, &sin->sin_addr);
                sin->sin_port = htons((uint16_t)resolve_port(b, a->port));
                len = sizeof(*sin);
        }
        return a->len ? (socklen_t)a->len : len;
}

static void fmt_cmsgs(char *d, size_t cap, const struct backend *b, struct msghdr *m)
{
        for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
                size_t dlen = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
                const unsigned char *data = CMSG_DATA(c);
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
                    dlen >= sizeof(struct in_pktinfo)) {
                        struct in_pktinfo pi;
                        char spec[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN];
                        memcpy(&pi, data, sizeof(pi));
                        inet_ntop(AF_INET, &pi.ipi_spec_dst, spec, sizeof(spec));
                        inet_ntop(AF_INET, &pi.ipi_addr, addr, sizeof(addr));
                        if (pi.ipi_ifindex == b->lo_ifindex)
                                app(d, cap, " PKTINFO(if=lo spec_dst=%s addr=%s)", spec, addr);
                        else
                                app(d, cap, " PKTINFO(if=#%d spec_dst=%s addr=%s)", pi.ipi_ifindex,
                                    spec, addr);
                } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL &&
                           dlen >= sizeof(int)) {
                        int ttl;
                        memcpy(&ttl, data, sizeof(ttl));
                        app(d, cap, " TTL(%d)", ttl);
                } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS && dlen >= 1) {
                        app(d, cap, " TOS(%#x)", data[0]);
                } else {
                        app(d, cap, " cmsg(level=%d type=%d len=%zu)", c->cmsg_level, c->cmsg_type,
                            (size_t)c->cmsg_len);
                }
        }
}

static void run_step(struct backend *b, const struct step *st, struct outcome *o)
{
        char *d = o->d;
        const size_t cap = sizeof(o->d);
        int fd = b->fd[st->s[0]];
        long r = 0;
        struct sockaddr_storage ss;
        socklen_t sl;
        d[0] = 0;

        switch (st->op) {
        case OP_SOCKET:
                r = CALL(b, socket(st->v[0], st->v[1], st->v[2]),
                         strata_socket(b->net, st->v[0], st->v[1], st->v[2]));
                goto new_fd;
        case OP_EPOLL_CREATE:
                r = CALL(b, epoll_create1(st->v[0]), strata_epoll_create1(b->net, st->v[0]));
                goto new_fd;
        case OP_ACCEPT:
                sl = sizeof(ss);
                r = CALL(b, accept(fd, (struct sockaddr *)&ss, &sl),
                         strata_accept(b->net, fd, (struct sockaddr *)&ss, &sl));
                if (r >= 0) /* never expected: close it at the end */
                        for (int i = S0; i <= S9; i++)
                                if (!b->open[i]) {
                                        b->fd[i] = (int)r;
                                        b->open[i] = true;
                                        break;
                                }
                if (r >= 0)
                        r = 0;
                break;
        new_fd:
                if (r >= 0) {
                        b->fd[st->s[0]] = (int)r;
                        b->open[st->s[0]] = true;
                        b->port[st->s[0]] = 0;
                        app(d, cap, "fd");
                        r = 0;
                }
                break;
        case OP_CLOSE:
                r = CALL(b, close(fd), strata_close(b->net, fd));
                if (r == 0)
                        b->open[st->s[0]] = false; /* the number stays, stale */
                break;
        case OP_BIND:
                sl = make_addr(b, &st->a, &ss);
                r = CALL(b, bind(fd, (struct sockaddr *)&ss, sl),
                         strata_bind(b->net, fd, (struct sockaddr *)&ss, sl));
                break;
        case OP_CONNECT:
                sl = make_addr(b, &st->a, &ss);
                r = CALL(b, connect(fd, (struct sockaddr *)&ss, sl),
                         strata_connect(b->net, fd, (struct sockaddr *)&ss, sl));
                break;
        case OP_LISTEN:
                r = CALL(b, listen(fd, st->v[0]), strata_listen(b->net, fd, st->v[0]));
                break;
        case OP_SEND:
        case OP_SENDTO:
        case OP_SENDMSG: {
                /* MSG_NOSIGNAL: the kernel would raise SIGPIPE with EPIPE;
                 * Strata has no signals but must accept the flag. */
                int flags = st->flags | MSG_NOSIGNAL;
                const struct sockaddr *to = NULL;
                sl = 0;
                if (st->a.fam || st->a.ip) {
                        sl = make_addr(b, &st->a, &ss);
                        to = (const struct sockaddr *)&ss;
                }
                fill_payload(sbuf, (size_t)st->len, st->v[0]);
                if (st->op == OP_SEND) {
                        r = CALL(b, send(fd, sbuf, (size_t)st->len, flags),
                                 strata_send(b->net, fd, sbuf, (size_t)st->len, flags));
                } else if (st->op == OP_SENDTO) {
                        r = CALL(b, sendto(fd, sbuf, (size_t)st->len, flags, to, sl),
                                 strata_sendto(b->net, fd, sbuf, (size_t)st->len, flags, to, sl));
                } else {
                        /* gathered from two pieces */
                        size_t first = st->len > 3 ? 3 : (size_t)st->len;
                        struct iovec iov[2] = { { sbuf, first },
                                                { sbuf + first, (size_t)st->len - first } };
                        struct msghdr m = { .msg_name = (void *)to,
                                            .msg_namelen = sl,
                                            .msg_iov = iov,
                                            .msg_iovlen = 2 };
                        r = CALL(b, sendmsg(fd, &m, flags), strata_sendmsg(b->net, fd, &m, flags));
                }
                break;
        }
        case OP_RECV:
        case OP_RECVFROM:
        case OP_RECVMSG: {
                size_t len = (size_t)st->len;
                memset(rbuf, 0xEE, len + 16);
                if (st->op == OP_RECV) {
                        r = CALL(b, recv(fd, rbuf, len, st->flags),
                                 strata_recv(b->net, fd, rbuf, len, st->flags));
                } else if (st->op == OP_RECVFROM) {
                        socklen_t in = st->has_ol ? (socklen_t)st->ol : sizeof(struct sockaddr_in);
                        memset(&ss, 0xAA, sizeof(ss));
                        sl = in;
                        r = CALL(b, recvfrom(fd, rbuf, len, st->flags, (struct sockaddr *)&ss, &sl),
                                 strata_recvfrom(b->net, fd, rbuf, len, st->flags,
                                                 (struct sockaddr *)&ss, &sl));
                        if (r >= 0) {
                                app(d, cap, "from=");
                                fmt_sockaddr(d, cap, b, &ss, in, sl);
                        }
                } else {
                        /* scattered into two pieces */
                        union {
                                struct cmsghdr align;
                                unsigned char b[512];
                        } ctl;
                        size_t first = len > 7 ? 7 : len;
                        struct iovec iov[2] = { { rbuf, first }, { rbuf + first, len - first } };
                        memset(&ss, 0xAA, sizeof(ss));
                        memset(&ctl, 0, sizeof(ctl));
                        struct msghdr m = { .msg_name = &ss,
                                            .msg_namelen = sizeof(struct sockaddr_in),
                                            .msg_iov = iov,
                                            .msg_iovlen = 2,
                                            .msg_control = st->v[0] ? ctl.b : NULL,
                                            .msg_controllen = (size_t)st->v[0],
                                            .msg_flags = 0x12340000 /* must be overwritten */ };
                        r = CALL(b, recvmsg(fd, &m, st->flags),
                                 strata_recvmsg(b->net, fd, &m, st->flags));
                        if (r >= 0) {
                                app(d, cap, "flags=");
                                fmt_bits(d, cap, (unsigned)m.msg_flags, msg_bits,
                                         ARRAY_SIZE(msg_bits));
                                app(d, cap, " name=");
                                fmt_sockaddr(d, cap, b, &ss, sizeof(struct sockaddr_in),
                                             m.msg_namelen);
                                app(d, cap, " controllen=%zu", (size_t)m.msg_controllen);
                                if (m.msg_control && m.msg_controllen)
                                        fmt_cmsgs(d, cap, b, &m);
                        }
                }
                if (r >= 0) {
                        size_t got = (size_t)r < len ? (size_t)r : len;
                        app(d, cap, " data#%08x", fnv(rbuf, got));
                        if (rbuf[len] != 0xEE)
                                app(d, cap, " OVERRUN");
                }
                break;
        }
        case OP_SHUTDOWN:
                r = CALL(b, shutdown(fd, st->v[0]), strata_shutdown(b->net, fd, st->v[0]));
                break;
        case OP_GETSOCKNAME:
        case OP_GETPEERNAME: {
                socklen_t in = st->has_ol ? (socklen_t)st->ol : sizeof(struct sockaddr_in);
                memset(&ss, 0xAA, sizeof(ss));
                sl = in;
                if (st->op == OP_GETSOCKNAME)
                        r = CALL(b, getsockname(fd, (struct sockaddr *)&ss, &sl),
                                 strata_getsockname(b->net, fd, (struct sockaddr *)&ss, &sl));
                else
                        r = CALL(b, getpeername(fd, (struct sockaddr *)&ss, &sl),
                                 strata_getpeername(b->net, fd, (struct sockaddr *)&ss, &sl));
                if (r >= 0) {
                        fmt_sockaddr(d, cap, b, &ss, in, sl);
                        if (st->op == OP_GETSOCKNAME && in >= 4 && sl >= 4)
                                b->port[st->s[0]] = ntohs(((struct sockaddr_in *)&ss)->sin_port);
                }
                break;
        }
        case OP_SETSOCKOPT: {
                int val[4] = { st->v[2], 0, 0, 0 };
                struct timeval tv = { 0, st->v[2] };
                const void *p = val;
                sl = sizeof(int);
                if (st->v[0] == SOL_SOCKET && st->v[1] == SO_RCVTIMEO) {
                        p = &tv; /* value: microseconds */
                        sl = sizeof(tv);
                }
                if (st->has_ol)
                        sl = (socklen_t)st->ol;
                r = CALL(b, setsockopt(fd, st->v[0], st->v[1], p, sl),
                         strata_setsockopt(b->net, fd, st->v[0], st->v[1], p, sl));
                break;
        }
        case OP_GETSOCKOPT: {
                unsigned char val[32];
                socklen_t in = st->has_ol ? (socklen_t)st->ol : sizeof(int);
                if (st->v[0] == SOL_SOCKET && st->v[1] == SO_RCVTIMEO && !st->has_ol)
                        in = sizeof(struct timeval);
                memset(val, 0xAA, sizeof(val));
                sl = in;
                r = CALL(b, getsockopt(fd, st->v[0], st->v[1], val, &sl),
                         strata_getsockopt(b->net, fd, st->v[0], st->v[1], val, &sl));
                if (r >= 0) {
                        app(d, cap, "len=%u", (unsigned)sl);
                        if (sl == sizeof(int)) {
                                int v;
                                memcpy(&v, val, sizeof(v));
                                app(d, cap, " val=%d", v);
                        } else if (sl <= sizeof(val)) {
                                app(d, cap, " bytes=");
                                for (socklen_t i = 0; i < sl; i++)
                                        app(d, cap, "%02x", val[i]);
                        }
                        /* nothing written past what it reports */
                        socklen_t w = sl < in ? sl : in;
                        for (socklen_t i = w; i < sizeof(val) && i < in; i++)
                                if (val[i] != 0xAA) {
                                        app(d, cap, " wrote-past-len");
                                        break;
                                }
                }
                break;
        }
        case OP_FCNTL:
                r = CALL(b, fcntl(fd, st->v[0], (long)st->v[1]),
                         strata_fcntl(b->net, fd, st->v[0], (long)st->v[1]));
                break;
        case OP_IOCTL: {
                int arg = st->v[1];
                r = CALL(b, ioctl(fd, (unsigned long)st->v[0], &arg),
                         strata_ioctl(b->net, fd, (unsigned long)st->v[0], &arg));
                if (r >= 0 && (unsigned long)st->v[0] == FIONREAD)
                        app(d, cap, "n=%d", arg);
                break;
        }
        case OP_POLL: {
                struct pollfd p[3];
                for (int i = 0; i < st->n; i++)
                        p[i] = (struct pollfd){ .fd = b->fd[st->s[i]],
                                                .events = (short)st->v[i],
                                                .revents = 0x5a5a };
                r = CALL(b, poll(st->n ? p : NULL, (nfds_t)st->n, st->tmo),
                         strata_poll(b->net, st->n ? p : NULL, (nfds_t)st->n, st->tmo));
                if (r >= 0)
                        for (int i = 0; i < st->n; i++) {
                                app(d, cap, "%s%s:", i ? " " : "", slot_name(st->s[i]));
                                if (p[i].revents)
                                        fmt_bits(d, cap, (unsigned short)p[i].revents, poll_bits,
                                                 ARRAY_SIZE(poll_bits));
                                else
                                        app(d, cap, "-");
                        }
                break;
        }
        case OP_EPOLL_CTL: {
                struct epoll_event ev = { .events = (uint32_t)st->v[1],
                                          .data.u64 = (uint64_t)st->s[1] };
                struct epoll_event *evp = st->v[2] ? NULL : &ev;
                int tfd = b->fd[st->s[1]];
                r = CALL(b, epoll_ctl(fd, st->v[0], tfd, evp),
                         strata_epoll_ctl(b->net, fd, st->v[0], tfd, evp));
                break;
        }
        case OP_EPOLL_WAIT: {
                struct epoll_event ev[8];
                memset(ev, 0, sizeof(ev));
                r = CALL(b, epoll_wait(fd, ev, st->v[0], st->tmo),
                         strata_epoll_wait(b->net, fd, ev, st->v[0], st->tmo));
                for (long i = 0; i < r && i < 8; i++) {
                        app(d, cap, "%s%s:", i ? " " : "",
                            ev[i].data.u64 < NSLOT ? slot_name((int)ev[i].data.u64) : "?");
                        fmt_bits(d, cap, ev[i].events, epoll_bits, ARRAY_SIZE(epoll_bits));
                }
                break;
        }
        case OP_SAME_FD:
                app(d, cap, b->fd[st->s[0]] == b->fd[st->s[1]] ? "same" : "different");
                break;
        }
        o->ret = r < 0 ? -1 : r;
        o->err = r < 0 ? (int)-r : 0;
}

static void fmt_outcome(char *d, size_t cap, const struct outcome *o)
{
        d[0] = 0;
        if (o->ret == -1)
                app(d, cap, "-1/%s", errname(o->err));
        else
                app(d, cap, "%ld", o->ret);
        if (o->d[0])
                app(d, cap, " [%s]", o->d);
}

/* A step that blocks for good (a datagram that never comes to a blocking
 * recv) must fail the case, not hang the suite: a per-scenario alarm. */
static char watchdog_msg[600];

static void watchdog(int sig)
{
        (void)sig;
        ssize_t w = write(STDOUT_FILENO, watchdog_msg, strlen(watchdog_msg));
        (void)w;
        _exit(1);
}

static void run_steps(const struct step *steps, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct step *st = &steps[i];
                struct outcome ko, so;
                char call[256], kt[1100], stt[1100];
                size_t no = i + 1; /* steps are numbered from 1 */
                describe(call, sizeof(call), st);
                snprintf(watchdog_msg, sizeof(watchdog_msg),
                         "FAIL %s: step %zu: %s never returned\n", test_current, no, call);
                run_step(&R.k, st, &ko);
                run_step(&R.s, st, &so);
                R.steps++;
                total_steps++;
                fmt_outcome(kt, sizeof(kt), &ko);
                fmt_outcome(stt, sizeof(stt), &so);
                if (strcmp(kt, stt) != 0) {
                        printf("  step %zu: %s kernel=%s strata=%s\n", no, call, kt, stt);
                        if (!R.mismatches++)
                                snprintf(R.first, sizeof(R.first),
                                         "step %zu: %s kernel=%s strata=%s", no, call, kt, stt);
                }
                long kx = ko.ret == -1 ? -(long)ko.err : ko.ret;
                if ((st->has_x && kx != st->x) || (st->xd && !strstr(ko.d, st->xd))) {
                        char want[256] = "";
                        if (st->has_x && st->x < 0)
                                app(want, sizeof(want), "-1/%s", errname((int)-st->x));
                        else if (st->has_x)
                                app(want, sizeof(want), "%ld", st->x);
                        if (st->xd)
                                app(want, sizeof(want), " [..%s..]", st->xd);
                        printf("  step %zu: %s kernel=%s, the test expected %s (kernel "
                               "expectation)\n",
                               no, call, kt, want);
                        if (!R.mismatches++)
                                snprintf(R.first, sizeof(R.first),
                                         "step %zu: %s kernel=%s, the test expected %s", no, call,
                                         kt, want);
                }
        }
}

/* --- scenario set-up ----------------------------------------------------------- */

static void normalize_ws(char *buf)
{
        size_t j = 0;
        bool sp = false;
        for (size_t i = 0; buf[i]; i++) {
                if (buf[i] == '\t' || buf[i] == ' ' || buf[i] == '\n') {
                        sp = j > 0;
                        continue;
                }
                if (sp)
                        buf[j++] = ' ';
                sp = false;
                buf[j++] = buf[i];
        }
        buf[j] = 0;
}

static int read_proc(const char *path, char *buf, size_t cap)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        if (!fgets(buf, (int)cap, f))
                buf[0] = 0;
        fclose(f);
        normalize_ws(buf);
        return 0;
}

static const char *const mirrored[] = {
        "net.core.rmem_default",        "net.core.rmem_max",
        "net.core.wmem_default",        "net.core.wmem_max",
        "net.ipv4.ip_local_port_range", "net.ipv4.ip_default_ttl",
};

static void strata_get(struct strata_net *net, const char *name, char *buf, size_t cap)
{
        if (strata_sysctl_get(net, name, buf, cap) < 0)
                snprintf(buf, cap, "?");
        normalize_ws(buf);
}

/* Give the Strata namespace the host's values of the knobs that decide
 * what the compared calls return. */
static void mirror_sysctls(struct strata_net *net)
{
        if (!strata_defaults.read) {
                strata_get(net, "net.core.rmem_default", strata_defaults.rmem_default,
                           sizeof(strata_defaults.rmem_default));
                strata_get(net, "net.core.wmem_default", strata_defaults.wmem_default,
                           sizeof(strata_defaults.wmem_default));
                strata_get(net, "net.ipv4.ip_local_port_range", strata_defaults.port_range,
                           sizeof(strata_defaults.port_range));
                strata_get(net, "net.ipv4.ip_default_ttl", strata_defaults.ttl,
                           sizeof(strata_defaults.ttl));
                strata_defaults.read = true;
        }
        for (size_t i = 0; i < ARRAY_SIZE(mirrored); i++) {
                char path[128], host[64], ours[64];
                snprintf(path, sizeof(path), "/proc/sys/%s", mirrored[i]);
                for (char *c = path; *c; c++)
                        if (*c == '.')
                                *c = '/';
                if (read_proc(path, host, sizeof(host)) < 0)
                        continue;
                strata_get(net, mirrored[i], ours, sizeof(ours));
                if (strcmp(host, ours) == 0)
                        continue;
                int err = strata_sysctl_set(net, mirrored[i], host);
                if (!mirror_noted)
                        printf("  note: host %s = %s, Strata default %s: %s\n", mirrored[i], host,
                               ours, err ? strata_strerror(err) : "copied");
                if (err)
                        printf("  note: could not copy %s = %s into Strata: %s\n", mirrored[i],
                               host, strata_strerror(err));
        }
        mirror_noted = true;
}

/* A descriptor number that is not open in this process. */
static int closed_kernel_fd(void)
{
        for (int fd = 1000; fd > 100; fd--)
                if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
                        return fd;
        return 999;
}

/* A base such that base..base+NPORT-1 are free on the host for UDP. */
static int pick_base(void)
{
        for (int attempt = 0; attempt < 50; attempt++) {
                int base = 20000 + rand() % (10000 - NPORT);
                int fds[NPORT], k;
                for (k = 0; k < NPORT; k++) {
                        struct sockaddr_in sin = { .sin_family = AF_INET,
                                                   .sin_port = htons((uint16_t)(base + k)) };
                        fds[k] = socket(AF_INET, SOCK_DGRAM, 0);
                        if (fds[k] < 0 || bind(fds[k], (struct sockaddr *)&sin, sizeof(sin)) < 0)
                                break;
                }
                int bound = k;
                for (int j = 0; j <= bound && j < NPORT; j++)
                        if (fds[j] >= 0)
                                close(fds[j]);
                if (bound == NPORT)
                        return base;
        }
        return -1;
}

static void backend_init(struct backend *b, bool kernel)
{
        memset(b, 0, sizeof(*b));
        b->kernel = kernel;
        b->name = kernel ? "kernel" : "strata";
        for (int i = 0; i < NSLOT; i++)
                b->fd[i] = -1;
}

static void scenario_end(void)
{
        alarm(0);
        for (int i = 0; i < NSLOT; i++)
                if (R.k.open[i] && R.k.fd[i] >= 0)
                        close(R.k.fd[i]);
        if (R.s.net)
                strata_net_free(R.s.net);
        if (R.clk)
                strata_clock_free(R.clk);
        R.s.net = NULL;
        R.clk = NULL;
        memset(&R.k.open, 0, sizeof(R.k.open));
}

/* Descriptors open in this process (to catch a kernel socket left open). */
static int count_fds(void)
{
        int n = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static int fds_at_start;

static void at_exit_summary(void)
{
        scenario_end();
        if (count_fds() != fds_at_start)
                printf("socket_diff: %d descriptors open at exit, %d at start\n", count_fds(),
                       fds_at_start);
        free(sbuf);
        free(rbuf);
        printf("socket_diff: %ld steps compared, %ld mismatches\n", total_steps, total_mismatches);
}

/* Both backends fresh: a Strata namespace on a simulated clock and no
 * kernel descriptors.  false (after printing why) when it cannot. */
static bool scenario_begin(void)
{
        static bool once;
        if (!once) {
                once = true;
                srand((unsigned)time(NULL) ^ (unsigned)getpid());
                sbuf = malloc(BUFSZ);
                rbuf = malloc(BUFSZ + 64);
                atexit(at_exit_summary);
                signal(SIGALRM, watchdog);
                fds_at_start = count_fds();
        }
        scenario_end();
        alarm(20); /* the watchdog, stopped by scenario_end */
        backend_init(&R.k, true);
        backend_init(&R.s, false);
        R.steps = R.mismatches = 0;
        R.first[0] = 0;
        if (!sbuf || !rbuf)
                return false;
        R.base = pick_base();
        if (R.base < 0) {
                printf("  no free port range found\n");
                return false;
        }
        R.clk = strata_clock_new(true);
        if (!R.clk || strata_net_new("diff", R.clk, 1, &R.s.net) != 0) {
                printf("  strata_net_new failed\n");
                return false;
        }
        mirror_sysctls(R.s.net);

        char buf[64];
        R.k.lo_ifindex = (int)if_nametoindex("lo");
        struct net_device *lo = dev_get_by_name(R.s.net->net, "lo");
        R.s.lo_ifindex = lo ? lo->ifindex : -1;
        R.k.eph_lo = 32768, R.k.eph_hi = 60999;
        if (read_proc("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf)) == 0)
                sscanf(buf, "%d %d", &R.k.eph_lo, &R.k.eph_hi);
        R.s.eph_lo = 32768, R.s.eph_hi = 60999;
        strata_get(R.s.net, "net.ipv4.ip_local_port_range", buf, sizeof(buf));
        sscanf(buf, "%d %d", &R.s.eph_lo, &R.s.eph_hi);

        R.k.fd[BAD] = closed_kernel_fd();
        R.s.fd[BAD] = 1000; /* below the limit, never opened */
        R.k.fd[NEG] = R.s.fd[NEG] = -1;
        return true;
}

/* Tear down, then fail the case if any step disagreed. */
static void scenario_finish(void)
{
        int n = R.mismatches;
        total_mismatches += n;
        scenario_end();
        if (n)
                TEST_FAIL("%d of %d steps disagree; first: %s", n, R.steps, R.first);
}

#define RUN(steps)                                                                                 \
        do {                                                                                       \
                if (!scenario_begin()) {                                                           \
                        scenario_end();                                                            \
                        TEST_FAIL("scenario set-up failed");                                       \
                }                                                                                  \
                run_steps(steps, ARRAY_SIZE(steps));                                               \
                scenario_finish();                                                                 \
        } while (0)

/* --- scenarios ------------------------------------------------------------------- */

/* socket(): argument checks in the kernel's order, and the type flags. */
static void socket_args(void)
{
        static const struct step steps[] = {
                SOCKET(S0, AF_INET, SOCK_DGRAM, IPPROTO_TCP, ERR(EPROTONOSUPPORT)),
                SOCKET(S0, AF_INET, 99, 0, ERR(EINVAL)),
                SOCKET(S0, AF_INET, -1, 0, ERR(EINVAL)),
                SOCKET(S0, AF_INET, SOCK_DGRAM | 0x40000000, 0, ERR(EINVAL)),
                SOCKET(S0, 9999, SOCK_DGRAM, 0, ERR(EAFNOSUPPORT)),
                SOCKET(S0, -1, SOCK_DGRAM, 0, ERR(EAFNOSUPPORT)),
                SOCKET(S0, AF_INET, SOCK_DGRAM, -1, ERR(EINVAL)),
                SOCKET(S0, AF_INET, SOCK_DGRAM, 300, ERR(EINVAL)),
                SOCKET(S0, AF_INET, SOCK_DGRAM, 200, ERR(EPROTONOSUPPORT)),
                SOCKET(S0, AF_INET, SOCK_RDM, 0, ERR(ESOCKTNOSUPPORT)),
                SOCKET(S0, AF_INET, SOCK_DGRAM, 0, OK),
                SOCKET(S1, AF_INET, SOCK_DGRAM, IPPROTO_UDP, OK),
                SOCKET(S2, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, OK),
                SOCKET(S3, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP, OK),
                SOCKET(S4, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0, OK),
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR)),
                FCNTL(S0, F_GETFD, 0, RET(0)),
                FCNTL(S2, F_GETFL, 0, RET(O_RDWR | O_NONBLOCK)),
                FCNTL(S2, F_GETFD, 0, RET(FD_CLOEXEC)),
                FCNTL(S3, F_GETFL, 0, RET(O_RDWR)),
                FCNTL(S3, F_GETFD, 0, RET(FD_CLOEXEC)),
                FCNTL(S4, F_GETFL, 0, RET(O_RDWR | O_NONBLOCK)),
                FCNTL(S4, F_GETFD, 0, RET(0)),
                GETOPT(S0, SOL_SOCKET, SO_TYPE, OK, XD("val=2")),
                GETOPT(S2, SOL_SOCKET, SO_TYPE, OK, XD("val=2")),
                GETOPT(S0, SOL_SOCKET, SO_PROTOCOL, OK, XD("val=17")),
                GETOPT(S1, SOL_SOCKET, SO_PROTOCOL, OK, XD("val=17")),
                GETOPT(S0, SOL_SOCKET, SO_DOMAIN, OK, XD("val=2")),
                LISTEN(S0, ERR(EOPNOTSUPP)), /* datagram sockets do not listen */
                ACCEPT(S0, ERR(EOPNOTSUPP)),
                RECV(S2, 10, 0, ERR(EAGAIN)),
                RECV(S4, 10, 0, ERR(EAGAIN)),
        };
        RUN(steps);
}

/* Every descriptor call on sl fails with EBADF. */
#define ALL_EBADF(sl)                                                                              \
        BIND(sl, LO(P(0)), ERR(EBADF)), CONNECT(sl, LO(P(0)), ERR(EBADF)), LISTEN(sl, ERR(EBADF)), \
            ACCEPT(sl, ERR(EBADF)), SEND(sl, 5, 0, 1, ERR(EBADF)),                                 \
            SENDTO(sl, 5, 0, LO(P(0)), 1, ERR(EBADF)),                                             \
            SENDTO(sl, 5, 0, IN4L("127.0.0.1", 0, 3), 1, ERR(EBADF)),                              \
            SENDMSG(sl, 5, 0, LO(P(0)), 1, ERR(EBADF)), RECV(sl, 10, DW, ERR(EBADF)),              \
            RECVFROM(sl, 10, DW, ERR(EBADF)), RECVMSG(sl, 10, DW, 0, ERR(EBADF)),                  \
            SHUTDOWN(sl, SHUT_RDWR, ERR(EBADF)), SHUTDOWN(sl, 7, ERR(EBADF)),                      \
            GETSOCKNAME(sl, ERR(EBADF)), GETPEERNAME(sl, ERR(EBADF)),                              \
            GETOPT(sl, SOL_SOCKET, SO_TYPE, ERR(EBADF)),                                           \
            SETOPT(sl, SOL_SOCKET, SO_BROADCAST, 1, ERR(EBADF)),                                   \
            FCNTL(sl, F_GETFL, 0, ERR(EBADF)), FCNTL(sl, F_SETFL, O_NONBLOCK, ERR(EBADF)),         \
            IOCTL(sl, FIONREAD, 0, ERR(EBADF)), CLOSE(sl, ERR(EBADF)),                             \
            EPOLL_CTL(EP, EPOLL_CTL_ADD, sl, EPOLLIN, ERR(EBADF)),                                 \
            EPOLL_CTL(sl, EPOLL_CTL_ADD, EP, EPOLLIN, ERR(EBADF)),                                 \
            EPOLL_WAIT(sl, 4, 0, ERR(EBADF))

/* Every call on a descriptor that is not open: EBADF (poll: POLLNVAL). */
static void bad_fd(void)
{
        static const struct step steps[] = {
                EPOLL_CREATE(EP, 0, OK),
                UDP(S0),
                CLOSE(S0, OK), /* s0 is now a stale number */
                ALL_EBADF(S0),
                POLL1(S0, POLLIN, 0, RET(1), XD("s0:NVAL")),
                ALL_EBADF(BAD),
                POLL1(BAD, POLLIN, 0, RET(1), XD("bad:NVAL")),
                ALL_EBADF(NEG),
                POLL1(NEG, POLLIN, 0, RET(0), XD("-1:-")), /* negative: ignored */
                UDP(S1),
                POLL2(S1, POLLOUT, BAD, POLLOUT, 0, RET(2), XD("s1:OUT bad:NVAL")),
                POLL2(S1, POLLOUT, NEG, POLLIN, 0, RET(1), XD("s1:OUT -1:-")),
                POLL1(BAD, 0, 0, RET(1), XD("bad:NVAL")),
        };
        RUN(steps);
}

/* Socket calls on an epoll descriptor: ENOTSOCK; epoll calls on a socket:
 * EINVAL. */
static void not_a_socket(void)
{
        static const struct step steps[] = {
                EPOLL_CREATE(EP, 0, OK),
                UDP(S0),
                BIND(EP, LO(P(0)), ERR(ENOTSOCK)),
                CONNECT(EP, LO(P(0)), ERR(ENOTSOCK)),
                LISTEN(EP, ERR(ENOTSOCK)),
                ACCEPT(EP, ERR(ENOTSOCK)),
                SEND(EP, 5, 0, 1, ERR(ENOTSOCK)),
                SENDTO(EP, 5, 0, LO(P(0)), 1, ERR(ENOTSOCK)),
                SENDMSG(EP, 5, 0, LO(P(0)), 1, ERR(ENOTSOCK)),
                RECV(EP, 10, DW, ERR(ENOTSOCK)),
                RECVFROM(EP, 10, DW, ERR(ENOTSOCK)),
                RECVMSG(EP, 10, DW, 0, ERR(ENOTSOCK)),
                SHUTDOWN(EP, SHUT_RDWR, ERR(ENOTSOCK)),
                GETSOCKNAME(EP, ERR(ENOTSOCK)),
                GETPEERNAME(EP, ERR(ENOTSOCK)),
                GETOPT(EP, SOL_SOCKET, SO_TYPE, ERR(ENOTSOCK)),
                SETOPT(EP, SOL_SOCKET, SO_BROADCAST, 1, ERR(ENOTSOCK)),
                FCNTL(EP, F_GETFL, 0, RET(O_RDWR)),
                FCNTL(EP, F_GETFD, 0, RET(0)),
                /* (ioctl FIONREAD left out: see the top of the file) */
                POLL1(EP, POLLIN | POLLOUT, 0, RET(0)),
                EPOLL_WAIT(S0, 4, 0, ERR(EINVAL)),
                EPOLL_CTL(S0, EPOLL_CTL_ADD, EP, EPOLLIN, ERR(EINVAL)),
                /* nested epoll sets are allowed by Linux */
                EPOLL_CREATE(EP2, 0, OK),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, EP2, EPOLLIN, OK),
                EPOLL_WAIT(EP, 4, 0, RET(0)),
                CLOSE(EP, OK),
                CLOSE(EP2, OK),
        };
        RUN(steps);
}

/* bind(): length, family and address checks; a socket binds once. */
static void bind_errors(void)
{
        static const struct step steps[] = {
                UDP(S0),
                GETSOCKNAME(S0, OK, XD("{len=16 AF_INET port=0 0.0.0.0}")),
                BIND(S0, IN4L("127.0.0.1", P(0), 8), ERR(EINVAL)),
                BIND(S0, IN4L("127.0.0.1", P(0), 15), ERR(EINVAL)),
                BIND(S0, IN6(P(0)), ERR(EAFNOSUPPORT)),
                BIND(S0, { .fam = AF_INET6, .port = P(0), .len = 8 },
                     ERR(EINVAL)), /* length first */
                BIND(S0, UNSPEC("127.0.0.1", P(0)), ERR(EAFNOSUPPORT)),
                BIND(S0, IN4("10.255.255.1", P(0)), ERR(EADDRNOTAVAIL)),
                GETSOCKNAME(S0, OK, XD("port=0 0.0.0.0")),
                BIND(S0, UNSPEC("0.0.0.0", P(0)), OK), /* AF_UNSPEC + INADDR_ANY: accepted */
                GETSOCKNAME(S0, OK, XD("{len=16 AF_INET port=P0 0.0.0.0}")),
                BIND(S0, LO(P(1)), ERR(EINVAL)),
                BIND(S0, IN4("0.0.0.0", P(0)), ERR(EINVAL)),
                UDP(S1),
                BIND(S1, IN4L("127.0.0.1", P(1), 20), OK), /* longer is fine */
                GETSOCKNAME(S1, OK, XD("port=P1 127.0.0.1")),
                GETSOCKNAME(S1, OL(4), OK, XD("{len=16 AF_INET port=P1}")),
                GETSOCKNAME(S1, OL(0), OK, XD("{len=16}")),
                GETSOCKNAME(S1, OL(64), OK, XD("{len=16 ")),
                UDP(S2),
                BIND(S2, IN4("127.255.255.255", P(2)), OK), /* broadcast: allowed */
                GETSOCKNAME(S2, OK, XD("127.255.255.255")),
                UDP(S3),
                BIND(S3, IN4("127.0.0.5", P(3)), OK), /* all of 127/8 is local */
                GETSOCKNAME(S3, OK, XD("port=P3 127.0.0.5")),
                UDP(S4),
                CONNECT(S4, LO(P(1)), OK),
                BIND(S4, LO(P(4)), ERR(EINVAL)), /* connect bound it */
                /* connect() binds a port before it checks the address */
                UDP(S5),
                CONNECT(S5, IN6(P(1)), ERR(EAFNOSUPPORT)),
                GETSOCKNAME(S5, OK, XD("port=ephemeral 0.0.0.0")),
                BIND(S5, LO(P(5)), ERR(EINVAL)),
                UDP(S6),
                CONNECT(S6, IN4L("127.0.0.1", P(1), 1), ERR(EINVAL)), /* too short to bind */
                GETSOCKNAME(S6, OK, XD("port=0 0.0.0.0")),
                CONNECT(S6, IN4L("127.0.0.1", P(1), 8), ERR(EINVAL)),
                GETSOCKNAME(S6, OK, XD("port=ephemeral 0.0.0.0")),
                /* longer than a sockaddr_storage */
                UDP(S7),
                BIND(S7, IN4L("127.0.0.1", P(7), 129), ERR(EINVAL)),
                BIND(S7, IN4L("127.0.0.1", P(7), 0x7fffffff), ERR(EINVAL)),
                GETSOCKNAME(S7, OK, XD("port=0 0.0.0.0")),
                UDP(S8),
                BIND(S8, IN4L("127.0.0.1", P(8), 128), OK),
                GETSOCKNAME(S8, OK, XD("port=P8 127.0.0.1")),
        };
        RUN(steps);
}

/* bind(): one port, several addresses, without SO_REUSE*. */
static void bind_conflicts(void)
{
        static const struct step steps[] = {
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(0)), ERR(EADDRINUSE)),
                BIND(S1, IN4("0.0.0.0", P(0)), ERR(EADDRINUSE)),
                BIND(S1, IN4("127.0.0.2", P(0)), OK), /* another address: no conflict */
                UDP(S2),
                BIND(S2, IN4("0.0.0.0", P(1)), OK),
                UDP(S3),
                BIND(S3, LO(P(1)), ERR(EADDRINUSE)),
                BIND(S3, IN4("127.0.0.9", P(1)), ERR(EADDRINUSE)),
                BIND(S3, IN4("0.0.0.0", P(1)), ERR(EADDRINUSE)),
                GETSOCKNAME(S3, OK, XD("port=0 0.0.0.0")),
                CLOSE(S0, OK),
                UDP(S4),
                BIND(S4, LO(P(0)), OK), /* freed by close */
                CLOSE(S2, OK),
                BIND(S3, LO(P(1)), OK), /* failed binds left it unbound */
                GETSOCKNAME(S3, OK, XD("port=P1 127.0.0.1")),
                UDP(S5),
                BIND(S5, IN4("0.0.0.0", P(1)), ERR(EADDRINUSE)),
                BIND(S5, IN4("0.0.0.0", P(2)), OK),
        };
        RUN(steps);
}

/* SO_REUSEADDR and SO_REUSEPORT: both sockets must set the option. */
static void bind_reuse(void)
{
        static const struct step steps[] = {
                UDP(S0),
                GETOPT(S0, SOL_SOCKET, SO_REUSEADDR, OK, XD("val=0")),
                SETOPT(S0, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                GETOPT(S0, SOL_SOCKET, SO_REUSEADDR, OK, XD("val=1")),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                SETOPT(S1, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                BIND(S1, LO(P(0)), OK),
                UDP(S2),
                BIND(S2, LO(P(0)), ERR(EADDRINUSE)),
                SETOPT(S2, SOL_SOCKET, SO_REUSEPORT, 1, OK),
                BIND(S2, LO(P(0)), ERR(EADDRINUSE)),
                UDP(S3),
                GETOPT(S3, SOL_SOCKET, SO_REUSEPORT, OK, XD("val=0")),
                SETOPT(S3, SOL_SOCKET, SO_REUSEPORT, 1, OK),
                GETOPT(S3, SOL_SOCKET, SO_REUSEPORT, OK, XD("val=1")),
                BIND(S3, IN4("0.0.0.0", P(1)), OK),
                UDP(S4),
                SETOPT(S4, SOL_SOCKET, SO_REUSEPORT, 1, OK),
                BIND(S4, IN4("0.0.0.0", P(1)), OK),
                UDP(S5),
                BIND(S5, IN4("0.0.0.0", P(1)), ERR(EADDRINUSE)),
                BIND(S5, LO(P(1)), ERR(EADDRINUSE)),
                UDP(S6),
                BIND(S6, LO(P(2)), OK),
                UDP(S7),
                SETOPT(S7, SOL_SOCKET, SO_REUSEPORT, 1, OK),
                BIND(S7, LO(P(2)), ERR(EADDRINUSE)), /* only one has it */
                SETOPT(S7, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                BIND(S7, LO(P(2)), ERR(EADDRINUSE)),
                CLOSE(S6, OK),
                BIND(S7, LO(P(2)), OK),
                UDP(S8),
                SETOPT(S8, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                BIND(S8, LO(P(3)), OK),
                UDP(S9),
                SETOPT(S9, SOL_SOCKET, SO_REUSEADDR, 5, OK),
                GETOPT(S9, SOL_SOCKET, SO_REUSEADDR, OK, XD("val=1")),
                BIND(S9, IN4("0.0.0.0", P(3)), OK),
                SETOPT(S9, SOL_SOCKET, SO_REUSEADDR, 0, OK),
                GETOPT(S9, SOL_SOCKET, SO_REUSEADDR, OK, XD("val=0")),
        };
        RUN(steps);
}

/* Port 0 and implicit binds pick a port in ip_local_port_range. */
static void ephemeral_ports(void)
{
        static const struct step steps[] = {
                UDP(S0),
                BIND(S0, IN4("0.0.0.0", 0), OK),
                GETSOCKNAME(S0, OK, XD("port=ephemeral 0.0.0.0")),
                UDP(S1),
                BIND(S1, LO(0), OK),
                GETSOCKNAME(S1, OK, XD("port=ephemeral 127.0.0.1")),
                UDP(S2),
                SENDTO(S2, 5, 0, LO(PS(S1)), 1, RET(5)), /* sendto binds */
                GETSOCKNAME(S2, OK, XD("port=ephemeral 0.0.0.0")),
                POLL1(S1, POLLIN, 1000, RET(1)),
                RECVFROM(S1, 100, DW, RET(5), XD("port=port(s2) 127.0.0.1")),
                UDP(S3),
                CONNECT(S3, LO(PS(S0)), OK), /* connect binds, with the route's source */
                GETSOCKNAME(S3, OK, XD("port=ephemeral 127.0.0.1")),
                GETPEERNAME(S3, OK, XD("port=port(s0) 127.0.0.1")),
                SEND(S3, 6, 0, 2, RET(6)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVFROM(S0, 100, DW, RET(6), XD("port=port(s3) 127.0.0.1")),
                UDP(S4),
                BIND(S4, LO(PS(S1)), ERR(EADDRINUSE)),
                BIND(S4, IN4("0.0.0.0", PS(S0)), ERR(EADDRINUSE)),
                BIND(S4, IN4("127.0.0.1", PS(S0)), ERR(EADDRINUSE)),
                UDP(S5),
                SEND(S5, 5, 0, 1, ERR(EDESTADDRREQ)), /* fails, but binds first */
                GETSOCKNAME(S5, OK, XD("port=ephemeral 0.0.0.0")),
        };
        RUN(steps);
        CHECK_STR(strata_defaults.port_range, "32768 60999"); /* Linux's default */
}

/* Sending without a destination, destination checks of sendto, and the
 * largest datagram. */
static void send_unconnected(void)
{
        static const struct step steps[] = {
                UDP(S0),
                SEND(S0, 5, 0, 1, ERR(EDESTADDRREQ)),
                SENDTO(S0, 5, 0, NOADDR, 1, ERR(EDESTADDRREQ)),
                SENDMSG(S0, 5, 0, NOADDR, 1, ERR(EDESTADDRREQ)),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                SENDTO(S0, 8, 0, LO(P(1)), 2, RET(8)),
                GETSOCKNAME(S0, OK, XD("port=ephemeral 0.0.0.0")),
                UDP(S2),
                SENDTO(S2, 5, 0, IN4L("127.0.0.1", P(1), 8), 1, ERR(EINVAL)),
                SENDTO(S2, 5, 0, IN6(P(1)), 1, ERR(EAFNOSUPPORT)),
                SENDTO(S2, 5, 0, LO(0), 1, ERR(EINVAL)),                /* port 0 */
                SENDTO(S2, 6, 0, UNSPEC("127.0.0.1", P(1)), 3, RET(6)), /* AF_UNSPEC: as AF_INET */
                SENDTO(S2, 7, 0, IN4("0.0.0.0", P(1)), 4, RET(7)),      /* 0.0.0.0: this host */
                SENDTO(S2, 9, 0, IN4("127.0.0.5", P(1)), 5, RET(9)),    /* s1 is on 127.0.0.1 */
                SENDMSG(S2, 10, 0, LO(P(1)), 6, RET(10)),
                SENDTO(S2, 5, MSG_OOB, LO(P(1)), 1, ERR(EOPNOTSUPP)),
                SEND(S2, 5, MSG_OOB, 1, ERR(EOPNOTSUPP)),
                POLL1(S1, POLLIN, 1000, RET(1)),
                RECVFROM(S1, 100, DW, RET(8), XD("port=port(s0) 127.0.0.1")),
                GETSOCKNAME(S2),
                RECVFROM(S1, 100, DW, RET(6), XD("port=port(s2) 127.0.0.1")),
                RECVFROM(S1, 100, DW, RET(7), XD("port=port(s2) 127.0.0.1")),
                RECVFROM(S1, 100, DW, RET(10), XD("port=port(s2) 127.0.0.1")),
                RECVFROM(S1, 100, DW, ERR(EAGAIN)),
                /* nobody on P9: an unconnected socket is not told */
                SENDTO(S2, 5, 0, LO(P(9)), 1, RET(5)),
                SETTLE,
                POLL1(S2, POLLIN, 0, RET(0)),
                RECV(S2, 100, DW, ERR(EAGAIN)),
                GETOPT(S2, SOL_SOCKET, SO_ERROR, OK, XD("val=0")),
                /* the largest datagram lo carries unfragmented, and one more byte */
                SENDTO(S2, 65507, 0, LO(P(1)), 10, RET(65507)),
                POLL1(S1, POLLIN, 1000, RET(1)),
                IOCTL(S1, FIONREAD, 0, OK, XD("n=65507")),
                RECVFROM(S1, 65536, DW, RET(65507), XD("port=port(s2)")),
                SENDTO(S2, 65508, 0, LO(P(1)), 11, ERR(EMSGSIZE)),
                SENDTO(S2, 69000, 0, LO(P(1)), 12, ERR(EMSGSIZE)),
                CONNECT(S2, LO(P(1)), OK),
                SEND(S2, 65508, 0, 13, ERR(EMSGSIZE)),
                SEND(S2, 40000, 0, 14, RET(40000)),
                POLL1(S1, POLLIN, 1000, RET(1)),
                RECV(S1, 65536, DW, RET(40000)),
                RECV(S1, 100, DW, ERR(EAGAIN)),
        };
        RUN(steps);
}

/* Two connected sockets talking; what a connected socket accepts. */
static void connect_send_recv(void)
{
        static const struct step steps[] = {
                UDP(S0), BIND(S0, LO(P(0)), OK), UDP(S1), BIND(S1, LO(P(1)), OK),
                GETPEERNAME(S0, ERR(ENOTCONN)), CONNECT(S0, LO(P(1)), OK),
                GETPEERNAME(S0, OK, XD("port=P1 127.0.0.1")),
                GETSOCKNAME(S0, OK, XD("port=P0 127.0.0.1")), CONNECT(S1, LO(P(0)), OK),
                SEND(S0, 100, 0, 1, RET(100)), POLL1(S1, POLLIN, 1000, RET(1)),
                RECV(S1, 2000, DW, RET(100)), SEND(S1, 200, 0, 2, RET(200)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVFROM(S0, 2000, DW, RET(200), XD("port=P1 127.0.0.1")),
                SENDMSG(S0, 300, 0, NOADDR, 3, RET(300)), POLL1(S1, POLLIN, 1000, RET(1)),
                RECVMSG(S1, 2000, 0, 0, RET(300), XD("port=P0 127.0.0.1")),
                SENDTO(S0, 5, 0, LO(P(1)), 4, RET(5)), /* sendto the peer: fine */
                POLL1(S1, POLLIN, 1000, RET(1)),
                RECV(S1, 2000, 0, RET(5)), /* blocking, data there */
                /* a connected socket takes datagrams from its peer only */
                UDP(S2), BIND(S2, LO(P(2)), OK), SENDTO(S2, 9, 0, LO(P(1)), 5, RET(9)), SETTLE,
                POLL1(S1, POLLIN, 0, RET(0)), RECV(S1, 2000, DW, ERR(EAGAIN)),
                /* and may still send elsewhere with sendto */
                SENDTO(S0, 11, 0, LO(P(2)), 6, RET(11)), POLL1(S2, POLLIN, 1000, RET(1)),
                RECVFROM(S2, 2000, DW, RET(11), XD("port=P0 127.0.0.1")),
                /* connecting again changes the peer */
                CONNECT(S0, LO(P(2)), OK), GETPEERNAME(S0, OK, XD("port=P2")),
                SEND(S0, 12, 0, 7, RET(12)), POLL1(S2, POLLIN, 1000, RET(1)),
                RECVFROM(S2, 2000, DW, RET(12), XD("port=P0 127.0.0.1")),
                /* s1 still connected to s0: s0's datagrams still go in */
                SENDTO(S0, 13, 0, LO(P(1)), 8, RET(13)), POLL1(S1, POLLIN, 1000, RET(1)),
                RECV(S1, 2000, DW, RET(13)), UDP(S3), CONNECT(S3, LO(P(2)), OK),
                GETSOCKNAME(S3, OK, XD("port=ephemeral 127.0.0.1")), SEND(S3, 14, 0, 9, RET(14)),
                POLL1(S2, POLLIN, 1000, RET(1)),
                RECVFROM(S2, 2000, DW, RET(14), XD("port=port(s3) 127.0.0.1")),
                /* connect to port 0 is accepted, yet getpeername sees no peer */
                CONNECT(S3, LO(0), OK), GETPEERNAME(S3, ERR(ENOTCONN)), /* no port: not connected */
        };
        RUN(steps);
}

/* connect(AF_UNSPEC) dissolves the association, and what stays bound. */
static void connect_disconnect(void)
{
        static const struct step steps[] = {
                UDP(S0),
                CONNECT(S0, UNSPEC("0.0.0.0", 0), OK), /* not connected: nothing to do */
                GETPEERNAME(S0, ERR(ENOTCONN)),
                GETSOCKNAME(S0, OK, XD("port=0 0.0.0.0")),
                CONNECT(S0, LO(P(1)), OK),
                GETSOCKNAME(S0, OK, XD("port=ephemeral 127.0.0.1")),
                CONNECT(S0, UNSPEC("0.0.0.0", 0), OK),
                GETPEERNAME(S0, ERR(ENOTCONN)),
                GETSOCKNAME(S0, OK, XD("port=0 0.0.0.0")), /* the implicit bind goes too */
                SEND(S0, 5, 0, 1, ERR(EDESTADDRREQ)),
                UDP(S1),
                BIND(S1, IN4("0.0.0.0", P(1)), OK),
                CONNECT(S1, LO(P(2)), OK),
                GETSOCKNAME(S1, OK, XD("port=P1 127.0.0.1")),
                CONNECT(S1, UNSPEC("127.0.0.1", P(2)), OK),
                GETSOCKNAME(S1, OK, XD("port=P1 0.0.0.0")), /* explicit port stays */
                GETPEERNAME(S1, ERR(ENOTCONN)),
                UDP(S2),
                BIND(S2, LO(P(2)), OK),
                CONNECT(S2, LO(P(1)), OK),
                CONNECT(S2, UNSPEC("0.0.0.0", 0), OK),
                GETSOCKNAME(S2, OK, XD("port=P2 127.0.0.1")), /* explicit address stays */
                /* connect to 0.0.0.0 means this host */
                UDP(S3),
                CONNECT(S3, IN4("0.0.0.0", P(2)), OK),
                GETPEERNAME(S3, OK, XD("port=P2 127.0.0.1")),
                GETSOCKNAME(S3, OK, XD("port=ephemeral 127.0.0.1")),
                SEND(S3, 7, 0, 2, RET(7)),
                POLL1(S2, POLLIN, 1000, RET(1)),
                RECVFROM(S2, 100, DW, RET(7), XD("port=port(s3) 127.0.0.1")),
                /* a broadcast peer needs SO_BROADCAST */
                UDP(S4),
                CONNECT(S4, IN4("127.255.255.255", P(2)), ERR(EACCES)),
                SETOPT(S4, SOL_SOCKET, SO_BROADCAST, 1, OK),
                CONNECT(S4, IN4("127.255.255.255", P(2)), OK),
                GETPEERNAME(S4, OK, XD("port=P2 127.255.255.255")),
                GETSOCKNAME(S4, OK, XD("127.0.0.1")),
        };
        RUN(steps);
}

/* ICMP port unreachable turns into ECONNREFUSED on a connected socket:
 * poll reports POLLERR, and the error goes to whichever call reads it
 * first (recv, SO_ERROR, or the next send). */
static void econnrefused(void)
{
        static const struct step steps[] = {
                UDP(S0),
                CONNECT(S0, LO(P(5)), OK), /* nobody there */
                SEND(S0, 10, 0, 1, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1), XD("s0:ERR")),
                POLL1(S0, POLLIN | POLLOUT, 0, RET(1), XD("s0:OUT|ERR")),
                RECV(S0, 100, DW, ERR(ECONNREFUSED)),
                RECV(S0, 100, DW, ERR(EAGAIN)),
                POLL1(S0, POLLIN, 0, RET(0)),
                GETOPT(S0, SOL_SOCKET, SO_ERROR, OK, XD("val=0")),
                SEND(S0, 10, 0, 2, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1), XD("s0:ERR")),
                GETOPT(S0, SOL_SOCKET, SO_ERROR, OK, XD("val=111")),
                GETOPT(S0, SOL_SOCKET, SO_ERROR, OK, XD("val=0")),
                RECV(S0, 100, DW, ERR(EAGAIN)),
                SEND(S0, 10, 0, 3, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1), XD("s0:ERR")),
                SEND(S0, 10, 0, 4, ERR(ECONNREFUSED)), /* send reports it */
                POLL1(S0, POLLIN, 0, RET(0)),
                RECVFROM(S0, 100, DW, ERR(EAGAIN)),
                SEND(S0, 10, 0, 5, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1), XD("s0:ERR")),
                RECVMSG(S0, 100, DW, 0, ERR(ECONNREFUSED)),
                /* a peer that goes away */
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                UDP(S2),
                CONNECT(S2, LO(P(1)), OK),
                SEND(S2, 10, 0, 6, RET(10)),
                POLL1(S1, POLLIN, 1000, RET(1)),
                CLOSE(S1, OK),
                SEND(S2, 10, 0, 7, RET(10)),
                POLL1(S2, POLLIN, 1000, RET(1), XD("s2:ERR")),
                RECV(S2, 100, DW, ERR(ECONNREFUSED)),
                /* the error is for connected sockets: sendto from an
                 * unconnected one is not told (no IP_RECVERR) */
                UDP(S3),
                SENDTO(S3, 10, 0, LO(P(5)), 8, RET(10)),
                SETTLE,
                POLL1(S3, POLLIN, 0, RET(0)),
                GETOPT(S3, SOL_SOCKET, SO_ERROR, OK, XD("val=0")),
                RECV(S3, 100, DW, ERR(EAGAIN)),
                /* a pending error fails a blocking recv at once too */
                SEND(S0, 10, 0, 9, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1), XD("s0:ERR")),
                RECV(S0, 100, 0, ERR(ECONNREFUSED)),
        };
        RUN(steps);
}

/* recv flags: EAGAIN, MSG_PEEK, MSG_TRUNC, zero-length datagrams. */
static void recv_flags(void)
{
        static const struct step steps[] = {
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                RECV(S0, 100, DW, ERR(EAGAIN)),
                RECVFROM(S0, 100, DW, ERR(EAGAIN)),
                RECVMSG(S0, 100, DW, 0, ERR(EAGAIN)),
                RECV(S0, 100, DW | MSG_PEEK, ERR(EAGAIN)),
                FCNTL(S0, F_SETFL, O_NONBLOCK, OK),
                RECV(S0, 100, 0, ERR(EAGAIN)),
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                SENDTO(S1, 20, 0, LO(P(0)), 2, RET(20)),
                SENDTO(S1, 0, 0, LO(P(0)), 3, RET(0)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=10")),
                RECV(S0, 100, MSG_PEEK, RET(10)),
                RECV(S0, 100, MSG_PEEK, RET(10)),
                RECV(S0, 0, MSG_PEEK | MSG_TRUNC, RET(10)),
                RECVFROM(S0, 100, MSG_PEEK, RET(10), XD("port=P1")),
                RECVFROM(S0, 100, 0, RET(10), XD("port=P1")),
                RECV(S0, 4, MSG_PEEK, RET(4)),
                RECV(S0, 4, MSG_TRUNC, RET(20)), /* the full length; consumed */
                IOCTL(S0, FIONREAD, 0, OK, XD("n=0")),
                RECVMSG(S0, 100, 0, 0, RET(0), XD("flags=0x0 name={len=16 AF_INET port=P1")),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=0")),
                RECV(S0, 100, 0, ERR(EAGAIN)),
                SENDTO(S1, 30, 0, LO(P(0)), 4, RET(30)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 8, 0, 0, RET(8), XD("flags=TRUNC")),
                SENDTO(S1, 30, 0, LO(P(0)), 5, RET(30)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 8, MSG_TRUNC, 0, RET(30), XD("flags=TRUNC")),
                SENDTO(S1, 30, 0, LO(P(0)), 6, RET(30)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 8, MSG_PEEK, 0, RET(8), XD("flags=TRUNC")),
                RECVMSG(S0, 100, 0, 0, RET(30), XD("flags=0x0")),
                RECV(S0, 0, 0, ERR(EAGAIN)),
                /* a short address buffer: truncated, the length is the full one */
                SENDTO(S1, 5, 0, LO(P(0)), 7, RET(5)),
                SENDTO(S1, 5, 0, LO(P(0)), 8, RET(5)),
                SENDTO(S1, 5, 0, LO(P(0)), 9, RET(5)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVFROM(S0, 100, 0, OL(4), RET(5), XD("{len=16 AF_INET port=P1}")),
                RECVFROM(S0, 100, 0, OL(0), RET(5), XD("{len=16}")),
                RECV(S0, 0, 0, RET(0)), /* len 0 consumes the datagram */
                RECV(S0, 100, 0, ERR(EAGAIN)),
        };
        RUN(steps);
}

/* Ancillary data: IP_PKTINFO, IP_RECVTTL, IP_RECVTOS; truncated control. */
static void recvmsg_cmsg(void)
{
        static const struct step steps[] = {
                UDP(S0),
                BIND(S0, IN4("0.0.0.0", P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                GETOPT(S0, IPPROTO_IP, IP_PKTINFO, OK, XD("val=0")),
                SETOPT(S0, IPPROTO_IP, IP_PKTINFO, 1, OK),
                GETOPT(S0, IPPROTO_IP, IP_PKTINFO, OK, XD("val=1")),
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(10),
                        XD("controllen=32 PKTINFO(if=lo spec_dst=127.0.0.1 addr=127.0.0.1)")),
                SENDTO(S1, 11, 0, IN4("127.0.0.5", P(0)), 2, RET(11)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(11),
                        XD("PKTINFO(if=lo spec_dst=127.0.0.5 addr=127.0.0.5)")),
                SETOPT(S0, IPPROTO_IP, IP_RECVTTL, 1, OK),
                SETOPT(S0, IPPROTO_IP, IP_RECVTOS, 1, OK),
                GETOPT(S0, IPPROTO_IP, IP_RECVTTL, OK, XD("val=1")),
                GETOPT(S0, IPPROTO_IP, IP_RECVTOS, OK, XD("val=1")),
                SENDTO(S1, 12, 0, LO(P(0)), 3, RET(12)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(12), XD("TTL(64) TOS(0)")),
                SETOPT(S1, IPPROTO_IP, IP_TTL, 33, OK),
                SETOPT(S1, IPPROTO_IP, IP_TOS, 0x10, OK),
                SENDTO(S1, 13, 0, LO(P(0)), 4, RET(13)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(13), XD("TTL(33) TOS(0x10)")),
                /* room for the first message only */
                SENDTO(S1, 14, 0, LO(P(0)), 5, RET(14)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, (int)CMSG_SPACE(sizeof(struct in_pktinfo)), RET(14),
                        XD("flags=CTRUNC")),
                /* no control buffer at all */
                SENDTO(S1, 15, 0, LO(P(0)), 6, RET(15)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 0, RET(15), XD("flags=CTRUNC")),
                /* a buffer smaller than one header */
                SENDTO(S1, 16, 0, LO(P(0)), 7, RET(16)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 8, RET(16), XD("flags=CTRUNC")),
                SETOPT(S0, IPPROTO_IP, IP_PKTINFO, 0, OK),
                SETOPT(S0, IPPROTO_IP, IP_RECVTTL, 0, OK),
                SETOPT(S0, IPPROTO_IP, IP_RECVTOS, 0, OK),
                SENDTO(S1, 17, 0, LO(P(0)), 8, RET(17)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(17), XD("flags=0x0")),
                /* the TTL the sender chose travels with MSG_PEEK too */
                SETOPT(S0, IPPROTO_IP, IP_RECVTTL, 1, OK),
                SETOPT(S1, IPPROTO_IP, IP_TTL, -1, OK),
                SENDTO(S1, 18, 0, LO(P(0)), 9, RET(18)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW | MSG_PEEK, 256, RET(18), XD("TTL(64)")),
                RECVMSG(S0, 100, DW, 256, RET(18), XD("TTL(64)")),
        };
        RUN(steps);
}

/* Broadcast needs SO_BROADCAST; who gets a datagram when several sockets
 * share a port (SO_REUSEADDR): the most specific address. */
static void broadcast_delivery(void)
{
        static const struct step steps[] = {
                UDP(S0),
                SETOPT(S0, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                SETOPT(S0, IPPROTO_IP, IP_PKTINFO, 1, OK),
                BIND(S0, IN4("0.0.0.0", P(0)), OK),
                UDP(S1),
                SETOPT(S1, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                BIND(S1, LO(P(0)), OK),
                UDP(S2),
                BIND(S2, LO(P(1)), OK),
                GETOPT(S2, SOL_SOCKET, SO_BROADCAST, OK, XD("val=0")),
                SENDTO(S2, 10, 0, IN4("127.255.255.255", P(0)), 1, ERR(EACCES)),
                SENDTO(S2, 10, 0, IN4("255.255.255.255", P(0)), 1, ERR(EACCES)),
                SETOPT(S2, SOL_SOCKET, SO_BROADCAST, 5, OK),
                GETOPT(S2, SOL_SOCKET, SO_BROADCAST, OK, XD("val=1")),
                SENDTO(S2, 10, 0, IN4("127.255.255.255", P(0)), 2, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(10),
                        XD("port=P1 127.0.0.1} controllen=32 PKTINFO(if=lo "
                           "spec_dst=127.0.0.1 addr=127.255.255.255)")),
                POLL1(S1, POLLIN, 0, RET(0)), /* bound to 127.0.0.1: not for it */
                /* unicast: the socket bound to the exact address wins */
                SENDTO(S2, 11, 0, LO(P(0)), 3, RET(11)),
                POLL1(S1, POLLIN, 1000, RET(1)),
                RECVFROM(S1, 100, DW, RET(11), XD("port=P1 127.0.0.1")),
                RECV(S0, 100, DW, ERR(EAGAIN)),
                SENDTO(S2, 12, 0, IN4("127.0.0.2", P(0)), 4, RET(12)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECVMSG(S0, 100, DW, 256, RET(12),
                        XD("PKTINFO(if=lo spec_dst=127.0.0.2 addr=127.0.0.2)")),
                RECV(S1, 100, DW, ERR(EAGAIN)),
                /* a socket bound to the broadcast address gets broadcasts */
                UDP(S3),
                SETOPT(S3, SOL_SOCKET, SO_REUSEADDR, 1, OK),
                BIND(S3, IN4("127.255.255.255", P(0)), OK),
                SENDTO(S2, 13, 0, IN4("127.255.255.255", P(0)), 5, RET(13)),
                POLL2(S0, POLLIN, S3, POLLIN, 1000, RET(2)),
                RECV(S0, 100, DW, RET(13)),
                RECVFROM(S3, 100, DW, RET(13), XD("port=P1 127.0.0.1")),
                RECV(S1, 100, DW, ERR(EAGAIN)),
                SETOPT(S2, SOL_SOCKET, SO_BROADCAST, 0, OK),
                SENDTO(S2, 10, 0, IN4("127.255.255.255", P(0)), 6, ERR(EACCES)),
        };
        RUN(steps);
}

/* shutdown(): ENOTCONN on an unconnected socket, yet the flags are set. */
static void shutdown_udp(void)
{
        static const struct step steps[] = {
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                SHUTDOWN(S0, 3, ERR(EINVAL)),
                SHUTDOWN(S0, -1, ERR(EINVAL)),
                POLL1(S0, POLLIN | POLLOUT | POLLRDHUP, 0, RET(1), XD("s0:OUT")),
                SHUTDOWN(S0, SHUT_RD, ERR(ENOTCONN)),
                RECV(S0, 100, DW, ERR(EAGAIN)), /* non-blocking: nothing to read */
                RECV(S0, 100, 0, RET(0)),       /* blocking: end of file at once */
                RECVFROM(S0, 100, 0, RET(0)),
                POLL1(S0, POLLIN | POLLOUT | POLLRDHUP, 0, RET(1), XD("s0:IN|OUT|RDHUP")),
                /* datagrams still arrive and are read first */
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                SETTLE,
                IOCTL(S0, FIONREAD, 0, OK, XD("n=10")),
                RECV(S0, 100, DW, RET(10)),
                RECV(S0, 100, DW, ERR(EAGAIN)),
                RECV(S0, 100, 0, RET(0)),
                SENDTO(S0, 10, 0, LO(P(1)), 2, RET(10)), /* sending still works */
                SHUTDOWN(S0, SHUT_WR, ERR(ENOTCONN)),
                SENDTO(S0, 10, 0, LO(P(1)), 3, ERR(EPIPE)),
                POLL1(S0, POLLIN | POLLOUT, 0, RET(1), XD("s0:IN|OUT|HUP")),
                /* connected */
                UDP(S2),
                BIND(S2, LO(P(2)), OK),
                CONNECT(S2, LO(P(1)), OK),
                SHUTDOWN(S2, SHUT_WR, OK),
                SEND(S2, 10, 0, 4, ERR(EPIPE)),
                SENDTO(S2, 10, 0, LO(P(1)), 5, ERR(EPIPE)),
                SENDMSG(S2, 10, 0, NOADDR, 6, ERR(EPIPE)),
                POLL1(S2, POLLIN | POLLOUT, 0, RET(1), XD("s2:OUT")),
                SHUTDOWN(S2, SHUT_RD, OK),
                RECV(S2, 100, DW, ERR(EAGAIN)),
                RECV(S2, 100, 0, RET(0)),
                GETPEERNAME(S2, OK, XD("port=P1 127.0.0.1")),
                POLL1(S2, POLLIN | POLLOUT, 0, RET(1), XD("s2:IN|OUT|HUP")),
                SHUTDOWN(S2, SHUT_RDWR, OK),
                UDP(S3),
                SHUTDOWN(S3, SHUT_RDWR, ERR(ENOTCONN)),
                GETSOCKNAME(S3, OK, XD("port=0 0.0.0.0")),
                SEND(S3, 5, 0, 7, ERR(EDESTADDRREQ)), /* the address is checked first */
                SENDTO(S3, 5, 0, LO(P(1)), 8, ERR(EPIPE)),
        };
        RUN(steps);
}

/* getsockopt/setsockopt at SOL_SOCKET: read-only options, lengths,
 * unknown options and levels, SO_RCVTIMEO. */
static void sockopt_generic(void)
{
        static const struct step steps[] = {
                UDP(S0),
                GETOPT(S0, SOL_SOCKET, SO_TYPE, OK, XD("len=4 val=2")),
                GETOPT(S0, SOL_SOCKET, SO_ERROR, OK, XD("len=4 val=0")),
                GETOPT(S0, SOL_SOCKET, SO_ACCEPTCONN, OK, XD("len=4 val=0")),
                GETOPT(S0, SOL_SOCKET, SO_BROADCAST, OK, XD("len=4 val=0")),
                GETOPT(S0, SOL_SOCKET, SO_TYPE, OL(2), OK, XD("len=2 bytes=0200")),
                GETOPT(S0, SOL_SOCKET, SO_TYPE, OL(0), OK, XD("len=0")),
                GETOPT(S0, SOL_SOCKET, SO_TYPE, OL(8), OK, XD("len=4 val=2")),
                GETOPT(S0, SOL_SOCKET, SO_TYPE, OL(-1), ERR(EINVAL)),
                SETOPT(S0, SOL_SOCKET, SO_BROADCAST, 1, OL(2), ERR(EINVAL)),
                SETOPT(S0, SOL_SOCKET, SO_BROADCAST, 1, OL(0), ERR(EINVAL)),
                SETOPT(S0, SOL_SOCKET, SO_BROADCAST, 1, OL(8), OK),
                GETOPT(S0, SOL_SOCKET, SO_BROADCAST, OK, XD("val=1")),
                SETOPT(S0, SOL_SOCKET, SO_TYPE, 1, ERR(ENOPROTOOPT)),
                SETOPT(S0, SOL_SOCKET, SO_ERROR, 0, ERR(ENOPROTOOPT)),
                SETOPT(S0, SOL_SOCKET, SO_PROTOCOL, 0, ERR(ENOPROTOOPT)),
                SETOPT(S0, SOL_SOCKET, 9999, 1, ERR(ENOPROTOOPT)),
                GETOPT(S0, SOL_SOCKET, 9999, ERR(ENOPROTOOPT)),
                SETOPT(S0, IPPROTO_IP, 9999, 1, ERR(ENOPROTOOPT)),
                GETOPT(S0, IPPROTO_IP, 9999, ERR(ENOPROTOOPT)),
                /* levels UDP does not have: set and get disagree on Linux */
                SETOPT(S0, IPPROTO_TCP, TCP_NODELAY, 1, ERR(ENOPROTOOPT)),
                GETOPT(S0, IPPROTO_TCP, TCP_NODELAY, ERR(EOPNOTSUPP)),
                SETOPT(S0, 12345, 1, 1, ERR(ENOPROTOOPT)),
                GETOPT(S0, 12345, 1, ERR(EOPNOTSUPP)),
                /* SO_RCVTIMEO (value in microseconds here) */
                GETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, OK, XD("len=16 bytes=0000")),
                SETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, 100000, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, OK,
                       XD("len=16 bytes=0000000000000000a086010000000000")),
                SETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, 1000000, ERR(EDOM)),
                SETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, 100000, OL(8), ERR(EINVAL)),
                BIND(S0, LO(P(0)), OK),
                RECV(S0, 100, 0, ERR(EAGAIN)), /* blocks 100 ms, then EAGAIN */
                SETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, 0, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVTIMEO, OK,
                       XD("len=16 bytes=00000000000000000000000000000000")),
        };
        RUN(steps);
}

/* SO_RCVBUF / SO_SNDBUF: defaults from net.core.*mem_default, doubled,
 * clamped to *mem_max, floored at Linux's minimums. */
static void sockopt_buffers(void)
{
        static const struct step steps[] = {
                UDP(S0),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK),
                GETOPT(S0, SOL_SOCKET, SO_SNDBUF, OK),
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 4096, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK, XD("val=8192")),
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 10000, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK, XD("val=20000")),
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 1 << 30, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK), /* 2 * rmem_max */
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 1, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK), /* the minimum */
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 0, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK),
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, -1, OK), /* as unsigned: clamped */
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OK),
                GETOPT(S0, SOL_SOCKET, SO_RCVBUF, OL(2), OK),
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 4096, OL(2), ERR(EINVAL)),
                SETOPT(S0, SOL_SOCKET, SO_SNDBUF, 4096, OK),
                GETOPT(S0, SOL_SOCKET, SO_SNDBUF, OK, XD("val=8192")),
                SETOPT(S0, SOL_SOCKET, SO_SNDBUF, 1 << 30, OK),
                GETOPT(S0, SOL_SOCKET, SO_SNDBUF, OK),
                SETOPT(S0, SOL_SOCKET, SO_SNDBUF, 1, OK),
                GETOPT(S0, SOL_SOCKET, SO_SNDBUF, OK),
                SETOPT(S0, SOL_SOCKET, SO_SNDBUF, -1, OK),
                GETOPT(S0, SOL_SOCKET, SO_SNDBUF, OK),
                /* a socket with a small buffer still sends and receives */
                BIND(S0, LO(P(0)), OK),
                SETOPT(S0, SOL_SOCKET, SO_RCVBUF, 1, OK),
                SETOPT(S0, SOL_SOCKET, SO_SNDBUF, 1, OK),
                SENDTO(S0, 1000, 0, LO(P(0)), 1, RET(1000)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                RECV(S0, 2000, DW, RET(1000)),
        };
        RUN(steps);
        /* Strata's own defaults are Linux's (the host's may be tuned). */
        CHECK_STR(strata_defaults.rmem_default, "212992");
        CHECK_STR(strata_defaults.wmem_default, "212992");
}

/* IP_TTL and IP_TOS: ranges, -1, short option lengths. */
static void sockopt_ip(void)
{
        static const struct step steps[] = {
                UDP(S0),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OK, XD("val=64")),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 0, ERR(EINVAL)),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 256, ERR(EINVAL)),
                SETOPT(S0, IPPROTO_IP, IP_TTL, -2, ERR(EINVAL)),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 200, OK),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OK, XD("val=200")),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 1, OK),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OK, XD("val=1")),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 255, OK),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OK, XD("val=255")),
                SETOPT(S0, IPPROTO_IP, IP_TTL, -1, OK), /* back to ip_default_ttl */
                GETOPT(S0, IPPROTO_IP, IP_TTL, OK, XD("val=64")),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 32, OL(1), OK), /* one byte is enough */
                GETOPT(S0, IPPROTO_IP, IP_TTL, OK, XD("val=32")),
                SETOPT(S0, IPPROTO_IP, IP_TTL, 32, OL(0), ERR(EINVAL)),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OL(1), OK, XD("len=1 bytes=20")),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OL(0), OK, XD("len=0")),
                GETOPT(S0, IPPROTO_IP, IP_TTL, OL(-1), ERR(EINVAL)),
                GETOPT(S0, IPPROTO_IP, IP_TOS, OK, XD("val=0")),
                SETOPT(S0, IPPROTO_IP, IP_TOS, 0x10, OK),
                GETOPT(S0, IPPROTO_IP, IP_TOS, OK, XD("val=16")),
                SETOPT(S0, IPPROTO_IP, IP_TOS, 0x03, OK), /* ECN bits kept for UDP */
                GETOPT(S0, IPPROTO_IP, IP_TOS, OK, XD("val=3")),
                SETOPT(S0, IPPROTO_IP, IP_TOS, 0xb8, OL(1), OK),
                GETOPT(S0, IPPROTO_IP, IP_TOS, OK, XD("val=184")),
                SETOPT(S0, IPPROTO_IP, IP_TOS, 0x10, OL(0), OK), /* no value: 0 */
                GETOPT(S0, IPPROTO_IP, IP_TOS, OK, XD("val=0")),
                SETOPT(S0, IPPROTO_IP, IP_PKTINFO, 5, OK),
                GETOPT(S0, IPPROTO_IP, IP_PKTINFO, OK, XD("val=1")),
                SETOPT(S0, IPPROTO_IP, IP_PKTINFO, 5, OL(0), OK),
                GETOPT(S0, IPPROTO_IP, IP_PKTINFO, OK, XD("val=0")),
                GETOPT(S0, IPPROTO_IP, IP_RECVTTL, OK, XD("val=0")),
                GETOPT(S0, IPPROTO_IP, IP_RECVTOS, OK, XD("val=0")),
        };
        RUN(steps);
        CHECK_STR(strata_defaults.ttl, "64");
}

/* fcntl and ioctl: O_NONBLOCK both ways, FD_CLOEXEC, FIONREAD. */
static void fcntl_ioctl(void)
{
        static const struct step steps[] = {
                UDP(S0),
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR)),
                FCNTL(S0, F_SETFL, O_NONBLOCK, OK),
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR | O_NONBLOCK)),
                RECV(S0, 10, 0, ERR(EAGAIN)),
                FCNTL(S0, F_SETFL, 0, OK),
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR)),
                FCNTL(S0, F_SETFL, O_NONBLOCK | O_WRONLY, OK), /* access mode ignored */
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR | O_NONBLOCK)),
                FCNTL(S0, F_SETFL, 0, OK),
                IOCTL(S0, FIONBIO, 1, OK),
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR | O_NONBLOCK)),
                RECV(S0, 10, 0, ERR(EAGAIN)),
                IOCTL(S0, FIONBIO, 0, OK),
                FCNTL(S0, F_GETFL, 0, RET(O_RDWR)),
                FCNTL(S0, F_GETFD, 0, RET(0)),
                FCNTL(S0, F_SETFD, FD_CLOEXEC, OK),
                FCNTL(S0, F_GETFD, 0, RET(FD_CLOEXEC)),
                FCNTL(S0, F_SETFD, 0, OK),
                FCNTL(S0, F_GETFD, 0, RET(0)),
                FCNTL(S0, 9999, 0, ERR(EINVAL)),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=0")),
                IOCTL(S0, 0x1234, 0, ERR(ENOTTY)),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                SENDTO(S1, 20, 0, LO(P(0)), 2, RET(20)),
                SENDTO(S1, 30, 0, LO(P(0)), 3, RET(30)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=10")), /* the next datagram, not all */
                RECV(S0, 100, 0, RET(10)),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=20")),
                RECV(S0, 100, 0, RET(20)),
                RECV(S0, 100, 0, RET(30)),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=0")),
        };
        RUN(steps);
}

/* poll(): readiness bits, invalid and negative descriptors, timeouts. */
static void poll_sockets(void)
{
        static const struct step steps[] = {
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                POLL1(S0, POLLIN | POLLOUT, 0, RET(1), XD("s0:OUT")),
                POLL1(S0, POLLIN, 0, RET(0), XD("s0:-")),
                POLL1(S0, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, 0, RET(1),
                      XD("s0:OUT|WRNORM")),
                POLL1(S0, 0, 0, RET(0)),
                POLL2(S0, POLLOUT, NEG, POLLIN, 0, RET(1), XD("s0:OUT -1:-")),
                POLL1(BAD, POLLIN, 0, RET(1), XD("bad:NVAL")),
                { .op = OP_POLL, .n = 0, .tmo = 0, RET(0) },
                POLL1(S0, POLLIN, 20, RET(0)), /* times out */
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                POLL1(S0, POLLIN, 1000, RET(1), XD("s0:IN")),
                POLL1(S0, POLLIN | POLLOUT, 1000, RET(1), XD("s0:IN|OUT")),
                POLL1(S0, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, 0, RET(1),
                      XD("s0:IN|OUT|RDNORM|WRNORM")),
                POLL1(S0, POLLPRI, 0, RET(0)),
                POLL3(S0, POLLIN, S1, POLLIN, BAD, POLLIN, 0, RET(2), XD("s0:IN s1:- bad:NVAL")),
                POLL2(S0, POLLIN, S0, POLLOUT, 0, RET(2), XD("s0:IN s0:OUT")),
                RECV(S0, 100, DW, RET(10)),
                POLL1(S0, POLLIN, 0, RET(0)),
                POLL2(S0, POLLIN, S1, POLLIN, 0, RET(0)),
        };
        RUN(steps);
}

/* epoll: argument checks. */
static void epoll_errors(void)
{
        static const struct step steps[] = {
                EPOLL_CREATE(EP, 0, OK),
                EPOLL_CREATE(EP2, EPOLL_CLOEXEC, OK),
                FCNTL(EP, F_GETFD, 0, RET(0)),
                FCNTL(EP2, F_GETFD, 0, RET(FD_CLOEXEC)),
                EPOLL_CREATE(S9, 1, ERR(EINVAL)),
                EPOLL_CREATE(S9, -1, ERR(EINVAL)),
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S0, EPOLLIN, OK),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S0, EPOLLIN, ERR(EEXIST)),
                EPOLL_CTL(EP, EPOLL_CTL_DEL, S1, 0, ERR(ENOENT)),
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S1, EPOLLIN, ERR(ENOENT)),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, EP, EPOLLIN, ERR(EINVAL)),
                EPOLL_CTL(EP, 99, S0, EPOLLIN, ERR(EINVAL)),
                EPOLL_CTL(S0, EPOLL_CTL_ADD, S1, EPOLLIN, ERR(EINVAL)),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, BAD, EPOLLIN, ERR(EBADF)),
                EPOLL_CTL(BAD, EPOLL_CTL_ADD, S0, EPOLLIN, ERR(EBADF)),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S1, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT,
                          ERR(EINVAL)),
                EPOLL_WAIT(EP, 0, 0, ERR(EINVAL)),
                EPOLL_WAIT(EP, -1, 0, ERR(EINVAL)),
                EPOLL_WAIT(S0, 1, 0, ERR(EINVAL)),
                EPOLL_WAIT(BAD, 1, 0, ERR(EBADF)),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                EPOLL_CTL_NULL(EP, EPOLL_CTL_DEL, S0, OK), /* NULL event is fine for DEL */
                EPOLL_CTL_NULL(EP, EPOLL_CTL_DEL, S0, ERR(ENOENT)),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S0, EPOLLIN, OK),  /* again after DEL */
                EPOLL_CTL(EP2, EPOLL_CTL_ADD, S0, EPOLLIN, OK), /* in two sets */
                EPOLL_WAIT(EP, 8, 20, RET(0)),
                CLOSE(EP2, OK),
                EPOLL_CTL(EP2, EPOLL_CTL_ADD, S1, EPOLLIN, ERR(EBADF)),
                CLOSE(EP2, ERR(EBADF)),
        };
        RUN(steps);
}

/* epoll: level-triggered reports again, edge-triggered once per arrival,
 * one-shot until re-armed with MOD; fairness with maxevents 1; a closed
 * socket leaves the set. */
static void epoll_readiness(void)
{
        static const struct step steps[] = {
                EPOLL_CREATE(EP, 0, OK),
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                UDP(S2),
                BIND(S2, LO(P(2)), OK),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S0, EPOLLIN, OK),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S1, EPOLLOUT, OK),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s1:OUT")),
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S1, EPOLLIN, OK),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                /* level-triggered */
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                EPOLL_WAIT(EP, 8, 1000, RET(1), XD("s0:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s0:IN")),
                RECV(S0, 100, DW, RET(10)),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                /* edge-triggered */
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S2, EPOLLIN | EPOLLET, OK),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                SENDTO(S1, 11, 0, LO(P(2)), 2, RET(11)),
                SENDTO(S1, 12, 0, LO(P(2)), 3, RET(12)),
                EPOLL_WAIT(EP, 8, 1000, RET(1), XD("s2:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                RECV(S2, 100, DW, RET(11)),
                EPOLL_WAIT(EP, 8, 0, RET(0)), /* one left, but no new arrival */
                SENDTO(S1, 13, 0, LO(P(2)), 4, RET(13)),
                EPOLL_WAIT(EP, 8, 1000, RET(1), XD("s2:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                RECV(S2, 100, DW, RET(12)),
                RECV(S2, 100, DW, RET(13)),
                RECV(S2, 100, DW, ERR(EAGAIN)),
                /* MOD re-evaluates an edge-triggered entry */
                SENDTO(S1, 14, 0, LO(P(2)), 5, RET(14)),
                EPOLL_WAIT(EP, 8, 1000, RET(1), XD("s2:IN")),
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S2, EPOLLIN | EPOLLET, OK),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s2:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                RECV(S2, 100, DW, RET(14)),
                /* one-shot */
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S0, EPOLLIN | EPOLLONESHOT, OK),
                SENDTO(S1, 15, 0, LO(P(0)), 6, RET(15)),
                EPOLL_WAIT(EP, 8, 1000, RET(1), XD("s0:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                SENDTO(S1, 16, 0, LO(P(0)), 7, RET(16)),
                POLL1(S0, POLLIN, 1000, RET(1)),
                EPOLL_WAIT(EP, 8, 0, RET(0)),                           /* disabled */
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S0, EPOLLIN, ERR(EEXIST)), /* still there */
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S0, EPOLLIN | EPOLLONESHOT, OK),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s0:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(0)),
                /* two ready, maxevents 1: they take turns */
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S0, EPOLLIN, OK),
                SENDTO(S1, 17, 0, LO(P(2)), 8, RET(17)),
                POLL1(S2, POLLIN, 1000, RET(1)),
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S2, EPOLLIN, OK),
                EPOLL_WAIT(EP, 1, 1000, RET(1), XD("s0:IN")),
                EPOLL_WAIT(EP, 1, 0, RET(1), XD("s2:IN")),
                EPOLL_WAIT(EP, 1, 0, RET(1), XD("s0:IN")),
                EPOLL_WAIT(EP, 8, 0, RET(2)),
                /* both directions in one entry */
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S0, EPOLLIN | EPOLLOUT, OK),
                EPOLL_CTL(EP, EPOLL_CTL_DEL, S2, 0, OK),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s0:IN|OUT")),
                /* SHUT_RD shows as RDHUP */
                EPOLL_CTL(EP, EPOLL_CTL_MOD, S1, EPOLLIN | EPOLLRDHUP, OK),
                SHUTDOWN(S1, SHUT_RD, ERR(ENOTCONN)),
                EPOLL_WAIT(EP, 8, 0, RET(2), XD("s1:IN|RDHUP")),
                /* close removes a socket from the set */
                CLOSE(S0, OK),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s1:IN|RDHUP")),
                EPOLL_CTL(EP, EPOLL_CTL_DEL, S0, 0, ERR(EBADF)),
                RECV(S2, 100, DW, RET(17)),
        };
        RUN(steps);
}

/* close(): twice is EBADF, and a new descriptor takes the lowest number. */
static void close_reuse(void)
{
        static const struct step steps[] = {
                UDP(S0),
                UDP(S1),
                UDP(S2),
                SAME_FD(S0, S1, XD("different")),
                CLOSE(S1, OK),
                CLOSE(S1, ERR(EBADF)),
                UDP(S3),
                SAME_FD(S3, S1, XD("same")),
                CLOSE(S0, OK),
                CLOSE(S2, OK),
                UDP(S4),
                SAME_FD(S4, S0, XD("same")),
                EPOLL_CREATE(EP, 0, OK),
                SAME_FD(EP, S2, XD("same")),
                CLOSE(EP, OK),
                CLOSE(EP, ERR(EBADF)),
                UDP(S5),
                SAME_FD(S5, S2, XD("same")),
                /* a closed socket's port is free again */
                BIND(S5, LO(P(0)), OK),
                CLOSE(S5, OK),
                BIND(S3, LO(P(0)), OK),
                GETOPT(S5, SOL_SOCKET, SO_TYPE, ERR(EBADF)),
        };
        RUN(steps);
}

/* Loopback delivers before the sending call returns, on Linux: the
 * receiver sees the datagram (poll, FIONREAD, epoll, recv) and a connected
 * sender sees the ICMP error without anybody waiting.  The checks that do
 * not consume come first, so that one failure does not hide the next. */
static void loopback_sync(void)
{
        static const struct step steps[] = {
                EPOLL_CREATE(EP, 0, OK),
                UDP(S0),
                BIND(S0, LO(P(0)), OK),
                UDP(S1),
                BIND(S1, LO(P(1)), OK),
                EPOLL_CTL(EP, EPOLL_CTL_ADD, S0, EPOLLIN, OK),
                SENDTO(S1, 10, 0, LO(P(0)), 1, RET(10)),
                POLL1(S0, POLLIN | POLLOUT, 0, RET(1), XD("s0:IN|OUT")),
                IOCTL(S0, FIONREAD, 0, OK, XD("n=10")),
                EPOLL_WAIT(EP, 8, 0, RET(1), XD("s0:IN")),
                POLL1(S0, POLLIN, 1000, RET(1)), /* from here on both have it */
                RECV(S0, 100, DW, RET(10)),
                UDP(S2),
                CONNECT(S2, LO(P(9)), OK), /* nobody there */
                SEND(S2, 10, 0, 2, RET(10)),
                POLL1(S2, POLLOUT, 0, RET(1), XD("s2:OUT|ERR")),
                GETOPT(S2, SOL_SOCKET, SO_ERROR, OK, XD("val=111")),
                SEND(S2, 10, 0, 3, RET(10)),
                RECV(S2, 100, DW, ERR(ECONNREFUSED)),
                SENDTO(S1, 11, 0, LO(P(0)), 4, RET(11)),
                RECV(S0, 100, DW, RET(11)),
        };
        RUN(steps);
}

/* --- the descriptor limit ---------------------------------------------------- */

struct nofile_result {
        int preopen;    /* descriptors below the limit open before */
        int opened;     /* sockets opened until the first failure */
        int err;        /* errno of that failure */
        int epoll_err;  /* epoll_create1 at the limit */
        int reuse_same; /* closing one and opening again gives that number */
        int opened2;    /* more sockets after raising the limit by 100 */
        int err2;
};

/* In a child (the parent's limit stays): RLIMIT_NOFILE 1024, open UDP
 * sockets until it fails. */
static void kernel_nofile(struct nofile_result *res)
{
        int pfd[2];
        memset(res, 0, sizeof(*res));
        res->opened = -1;
        if (pipe(pfd) < 0)
                return;
        pid_t pid = fork();
        if (pid == 0) {
                struct nofile_result r = { 0 };
                close(pfd[0]);
                /* the soft limit only: raising it again needs no privilege */
                struct rlimit rl;
                if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < 1124) {
                        r.opened = -2; /* cannot run here */
                        if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
                                _exit(5);
                        _exit(0);
                }
                rl.rlim_cur = 1024;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        _exit(2);
                DIR *d = opendir("/proc/self/fd");
                if (!d)
                        _exit(3);
                struct dirent *e;
                while ((e = readdir(d))) {
                        int fd = atoi(e->d_name);
                        if (e->d_name[0] != '.' && fd != dirfd(d) && fd < 1024)
                                r.preopen++;
                }
                closedir(d);
                int first = -1;
                for (;;) {
                        int s = socket(AF_INET, SOCK_DGRAM, 0);
                        if (s < 0) {
                                r.err = errno;
                                break;
                        }
                        if (first < 0)
                                first = s;
                        if (++r.opened > 4096)
                                break;
                }
                r.epoll_err = epoll_create1(0) < 0 ? errno : 0;
                close(first);
                r.reuse_same = socket(AF_INET, SOCK_DGRAM, 0) == first;
                rl.rlim_cur = 1124;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        _exit(4);
                for (;;) {
                        int s = socket(AF_INET, SOCK_DGRAM, 0);
                        if (s < 0) {
                                r.err2 = errno;
                                break;
                        }
                        if (++r.opened2 > 4096)
                                break;
                }
                if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
                        _exit(5);
                _exit(0); /* closes every socket */
        }
        close(pfd[1]);
        if (pid > 0) {
                if (read(pfd[0], res, sizeof(*res)) != sizeof(*res))
                        res->opened = -1;
                int status;
                waitpid(pid, &status, 0);
        }
        close(pfd[0]);
}

static void strata_nofile(struct strata_net *net, struct nofile_result *res)
{
        int first = -1;
        memset(res, 0, sizeof(*res));
        if (strata_set_nofile(net, 1024) < 0)
                return;
        for (;;) {
                int s = strata_socket(net, AF_INET, SOCK_DGRAM, 0);
                if (s < 0) {
                        res->err = -s;
                        break;
                }
                if (first < 0)
                        first = s;
                if (++res->opened > 4096)
                        break;
        }
        int ep = strata_epoll_create1(net, 0);
        res->epoll_err = ep < 0 ? -ep : 0;
        strata_close(net, first);
        res->reuse_same = strata_socket(net, AF_INET, SOCK_DGRAM, 0) == first;
        if (strata_set_nofile(net, 1124) < 0)
                return;
        for (;;) {
                int s = strata_socket(net, AF_INET, SOCK_DGRAM, 0);
                if (s < 0) {
                        res->err2 = -s;
                        break;
                }
                if (++res->opened2 > 4096)
                        break;
        }
}

static void compare_int(int idx, const char *what, long k, long s, const char *kt, const char *st)
{
        R.steps++;
        total_steps++;
        if (k != s) {
                printf("  step %d: %s kernel=%s strata=%s\n", idx, what, kt, st);
                if (!R.mismatches++)
                        snprintf(R.first, sizeof(R.first), "step %d: %s kernel=%s strata=%s", idx,
                                 what, kt, st);
        }
}

/* RLIMIT_NOFILE 1024 on both: the kernel child already holds stdin/out/err
 * and whatever the harness inherited, so its sockets plus those equal
 * Strata's count (Strata's table starts empty). */
static void fd_limit(void)
{
        struct nofile_result k, s;
        char kt[64], st[64];
        if (!scenario_begin()) {
                scenario_end();
                TEST_FAIL("scenario set-up failed");
        }
        kernel_nofile(&k);
        if (k.opened == -2) {
                scenario_end();
                SKIP("the hard RLIMIT_NOFILE is below 1124");
        }
        strata_nofile(R.s.net, &s);
        snprintf(kt, sizeof(kt), "%d opened + %d open before", k.opened, k.preopen);
        snprintf(st, sizeof(st), "%d opened", s.opened);
        compare_int(0, "socket() until it fails, limit 1024", k.opened + k.preopen, s.opened, kt,
                    st);
        snprintf(kt, sizeof(kt), "-1/%s", errname(k.err));
        snprintf(st, sizeof(st), "-1/%s", errname(s.err));
        compare_int(1, "the failing socket()", k.err, s.err, kt, st);
        snprintf(kt, sizeof(kt), "-1/%s", errname(k.epoll_err));
        snprintf(st, sizeof(st), "-1/%s", errname(s.epoll_err));
        compare_int(2, "epoll_create1(0) at the limit", k.epoll_err, s.epoll_err, kt, st);
        compare_int(3, "close(first); socket() == first", k.reuse_same, s.reuse_same,
                    k.reuse_same ? "same" : "different", s.reuse_same ? "same" : "different");
        snprintf(kt, sizeof(kt), "%d then %s", k.opened2, errname(k.err2));
        snprintf(st, sizeof(st), "%d then %s", s.opened2, errname(s.err2));
        compare_int(4, "limit raised to 1124: socket() until it fails",
                    (long)k.opened2 * 1000 + k.err2, (long)s.opened2 * 1000 + s.err2, kt, st);
        bool kernel_as_expected = k.err == EMFILE && k.epoll_err == EMFILE && k.reuse_same &&
                                  k.opened2 == 100 && k.opened + k.preopen == 1024;
        /* Strata only: the limit cannot drop below an open descriptor. */
        int lower = strata_set_nofile(R.s.net, 10);
        if (!kernel_as_expected)
                printf("  kernel: %d opened + %d open before, %s, epoll %s, reuse %d, +%d\n",
                       k.opened, k.preopen, errname(k.err), errname(k.epoll_err), k.reuse_same,
                       k.opened2);
        scenario_finish();
        CHECK(kernel_as_expected);
        CHECK_EQ(lower, -EINVAL);
}

TEST_MAIN(T(socket_args), T(bad_fd), T(not_a_socket), T(bind_errors), T(bind_conflicts),
          T(bind_reuse), T(ephemeral_ports), T(send_unconnected), T(connect_send_recv),
          T(loopback_sync), T(connect_disconnect), T(econnrefused), T(recv_flags), T(recvmsg_cmsg),
          T(broadcast_delivery), T(shutdown_udp), T(sockopt_generic), T(sockopt_buffers),
          T(sockopt_ip), T(fcntl_ioctl), T(poll_sockets), T(epoll_errors), T(epoll_readiness),
          T(close_reuse), T(fd_limit))
