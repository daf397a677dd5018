/*
 * System call lines, made through Strata's socket API.
 *
 * Arguments are evaluated from the script's expressions: integers,
 * symbolic constants (the table below, Linux's values), `|` of them,
 * `[v]` for an int passed by pointer, struct literals ({fd=4, events=...},
 * {onoff=1, linger=0}, sockaddrs, msghdrs with iovecs) and `...`, which
 * means "what upstream would pass": the local address and port 8080 for
 * bind, the remote for connect and sendto, a buffer of the given length.
 * Descriptor numbers are the script's: the runner maps each descriptor a
 * call returns to the number the script expects, as upstream does, so
 * Strata may number its descriptors as it likes.
 *
 * The result is compared with `= N` and the errno with its name; values
 * the script expects back through pointers (getsockopt, ioctl, poll
 * revents, epoll_wait events) are compared too.  A call written with an
 * end time (+T...END) may block and must return by END; one without must
 * return at once (within the tolerance).  Calls or arguments the runner
 * does not know are refused by name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pd_run.h"

#define MAX_FD    64
#define BIG_IOLEN (16 * 1024 * 1024)
#define PD_MAX_IOV 128
/* runner descriptors (open) in the script-to-real map, apart from Strata's */
#define HOST_FD_BASE 100000

/* --- constants ---------------------------------------------------------------- */

static const struct {
        const char *name;
        long long v;
} symbols[] = {
#define S(x)                                                                                       \
        {                                                                                          \
#x, x                                                                              \
        }
        S(AF_INET),
        S(AF_INET6),
        S(AF_UNSPEC),
        S(PF_INET),
        S(SOCK_STREAM),
        S(SOCK_DGRAM),
        S(SOCK_NONBLOCK),
        S(SOCK_CLOEXEC),
        S(IPPROTO_TCP),
        S(IPPROTO_UDP),
        S(IPPROTO_IP),
        S(SOL_SOCKET),
        S(SOL_TCP),
        S(SOL_IP),
        S(SO_REUSEADDR),
        S(SO_REUSEPORT),
        S(SO_SNDBUF),
        S(SO_RCVBUF),
        S(SO_ERROR),
        S(SO_KEEPALIVE),
        S(SO_LINGER),
        S(SO_MARK),
        S(SO_RCVLOWAT),
        S(SO_SNDLOWAT),
        S(SO_RCVTIMEO),
        S(SO_SNDTIMEO),
        S(SO_PRIORITY),
        S(SO_BROADCAST),
        S(SO_TYPE),
        S(SO_DOMAIN),
        S(SO_PROTOCOL),
        S(SO_ACCEPTCONN),
        S(SO_BINDTODEVICE),
        S(SO_TIMESTAMPING),
        S(SO_ZEROCOPY),
        S(TCP_NODELAY),
        S(TCP_MAXSEG),
        S(TCP_CORK),
        S(TCP_KEEPIDLE),
        S(TCP_KEEPINTVL),
        S(TCP_KEEPCNT),
        S(TCP_SYNCNT),
        S(TCP_LINGER2),
        S(TCP_DEFER_ACCEPT),
        S(TCP_WINDOW_CLAMP),
        S(TCP_INFO),
        S(TCP_QUICKACK),
        S(TCP_CONGESTION),
        S(TCP_MD5SIG),
        S(TCP_USER_TIMEOUT),
        S(TCP_FASTOPEN),
        S(TCP_NOTSENT_LOWAT),
        S(TCP_FASTOPEN_CONNECT),
        S(TCP_INQ),
        S(TCP_CM_INQ),
        S(TCP_FASTOPEN_KEY),
        S(TCP_THIN_LINEAR_TIMEOUTS),
        S(TCP_THIN_DUPACK),
        S(IP_TOS),
        S(IP_TTL),
        S(IP_MTU_DISCOVER),
        S(IP_PMTUDISC_DONT),
        S(IP_PMTUDISC_WANT),
        S(IP_PMTUDISC_DO),
        S(IP_PMTUDISC_PROBE),
        S(IP_FREEBIND),
        S(IP_RECVERR),
        S(IP_MTU),
        S(O_RDWR),
        S(O_RDONLY),
        S(O_WRONLY),
        S(O_NONBLOCK),
        S(F_GETFL),
        S(F_SETFL),
        S(F_GETFD),
        S(F_SETFD),
        S(FD_CLOEXEC),
        S(MSG_DONTWAIT),
        S(MSG_MORE),
        S(MSG_PEEK),
        S(MSG_TRUNC),
        S(MSG_WAITALL),
        S(MSG_NOSIGNAL),
        S(MSG_EOR),
        S(MSG_OOB),
        S(MSG_ERRQUEUE),
        S(MSG_FASTOPEN),
        S(MSG_ZEROCOPY),
        S(SPLICE_F_MOVE),
        S(SPLICE_F_NONBLOCK),
        S(SPLICE_F_MORE),
        S(SO_OOBINLINE),
        S(SIOCATMARK),
        S(SHUT_RD),
        S(SHUT_WR),
        S(SHUT_RDWR),
        S(POLLIN),
        S(POLLOUT),
        S(POLLERR),
        S(POLLHUP),
        S(POLLRDHUP),
        S(POLLPRI),
        S(POLLNVAL),
        S(POLLRDNORM),
        S(POLLWRNORM),
        S(EPOLLIN),
        S(EPOLLOUT),
        S(EPOLLERR),
        S(EPOLLHUP),
        S(EPOLLRDHUP),
        S(EPOLLET),
        S(EPOLLONESHOT),
        S(EPOLLEXCLUSIVE),
        S(EPOLLPRI),
        S(EPOLL_CTL_ADD),
        S(EPOLL_CTL_MOD),
        S(EPOLL_CTL_DEL),
        S(SIOCINQ),
        S(SIOCOUTQ),
        S(SIOCOUTQNSD),
        S(FIONREAD),
        S(FIONBIO),
        S(EPERM),
        S(ENOENT),
        S(EINTR),
        S(EBADF),
        S(EAGAIN),
        S(EWOULDBLOCK),
        S(ENOMEM),
        S(EFAULT),
        S(EINVAL),
        S(EPIPE),
        S(ENOTSOCK),
        S(EDESTADDRREQ),
        S(EMSGSIZE),
        S(ENOPROTOOPT),
        S(EPROTONOSUPPORT),
        S(EOPNOTSUPP),
        S(EAFNOSUPPORT),
        S(EADDRINUSE),
        S(EADDRNOTAVAIL),
        S(ENETUNREACH),
        S(ECONNABORTED),
        S(ECONNRESET),
        S(ENOBUFS),
        S(EISCONN),
        S(ENOTCONN),
        S(ETIMEDOUT),
        S(ECONNREFUSED),
        S(EHOSTUNREACH),
        S(EALREADY),
        S(EINPROGRESS),
        S(ENOMSG),
        S(EMFILE),
        S(ENOSPC),
        S(ENODEV),
        S(EEXIST),
        S(TCP_ESTABLISHED),
        S(TCP_SYN_SENT),
        S(TCP_SYN_RECV),
        S(TCP_FIN_WAIT1),
        S(TCP_FIN_WAIT2),
        S(TCP_TIME_WAIT),
        S(TCP_CLOSE),
        S(TCP_CLOSE_WAIT),
        S(TCP_LAST_ACK),
        S(TCP_LISTEN),
        S(TCP_CLOSING),
        /* the error queue and timestamping (pd_cmsg.c) */
        S(SCM_TIMESTAMPING),
        S(SO_EE_ORIGIN_NONE),
        S(SO_EE_ORIGIN_LOCAL),
        S(SO_EE_ORIGIN_ICMP),
        S(SO_EE_ORIGIN_ZEROCOPY),
        S(SO_EE_ORIGIN_TIMESTAMPING),
        S(SO_EE_CODE_ZEROCOPY_COPIED),
        S(SCM_TSTAMP_SND),
        S(SCM_TSTAMP_SCHED),
        S(SCM_TSTAMP_ACK),
        S(SOF_TIMESTAMPING_TX_HARDWARE),
        S(SOF_TIMESTAMPING_TX_SOFTWARE),
        S(SOF_TIMESTAMPING_RX_HARDWARE),
        S(SOF_TIMESTAMPING_RX_SOFTWARE),
        S(SOF_TIMESTAMPING_SOFTWARE),
        S(SOF_TIMESTAMPING_SYS_HARDWARE),
        S(SOF_TIMESTAMPING_RAW_HARDWARE),
        S(SOF_TIMESTAMPING_OPT_ID),
        S(SOF_TIMESTAMPING_TX_SCHED),
        S(SOF_TIMESTAMPING_TX_ACK),
        S(SOF_TIMESTAMPING_OPT_CMSG),
        S(SOF_TIMESTAMPING_OPT_TSONLY),
        S(SOF_TIMESTAMPING_OPT_STATS),
        S(SOF_TIMESTAMPING_OPT_PKTINFO),
        S(SOF_TIMESTAMPING_OPT_TX_SWHW),
        /* packetdrill's names for the IP_RECVERR cmsg of the address family
         * under test (IPv4 here) */
        { "CMSG_LEVEL_IP", SOL_IP },
        { "CMSG_TYPE_RECVERR", IP_RECVERR },
#undef S
        { "NULL", 0 },
};

bool pd_symbol(const char *name, long long *out)
{
        for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
                if (strcmp(symbols[i].name, name) == 0) {
                        *out = symbols[i].v;
                        return true;
                }
        return false;
}

static const char *errno_name(int e)
{
        for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
                if (symbols[i].name[0] == 'E' && symbols[i].v == e &&
                    strncmp(symbols[i].name, "EPOLL", 5) != 0)
                        return symbols[i].name;
        return "E?";
}

/* --- descriptors ----------------------------------------------------------------- */

struct fdmap {
        int script[MAX_FD], real[MAX_FD];
        int n;
};

static struct fdmap fds; /* one script per process */

static int real_fd(long long script)
{
        for (int i = 0; i < fds.n; i++)
                if (fds.script[i] == script)
                        return fds.real[i];
        return script < 0 ? (int)script : (int)(900 + (script % 100)); /* not open */
}

static long long script_fd(int real)
{
        for (int i = 0; i < fds.n; i++)
                if (fds.real[i] == real)
                        return fds.script[i];
        return real;
}

static void map_fd(long long script, int real)
{
        for (int i = 0; i < fds.n; i++)
                if (fds.script[i] == script || fds.real[i] == real) {
                        fds.script[i] = (int)script;
                        fds.real[i] = real;
                        return;
                }
        if (fds.n < MAX_FD) {
                fds.script[fds.n] = (int)script;
                fds.real[fds.n++] = real;
        }
}

static void unmap_fd(int real)
{
        for (int i = 0; i < fds.n; i++)
                if (fds.real[i] == real) {
                        fds.script[i] = fds.script[fds.n - 1];
                        fds.real[i] = fds.real[fds.n - 1];
                        fds.n--;
                        return;
                }
}

/* --- argument evaluation ----------------------------------------------------------- */

struct call {
        struct pd_runner *r;
        struct pd_event *ev;
        struct pd_syscall *sc;
};

static _Noreturn void bad(struct call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static _Noreturn void bad(struct call *c, const char *fmt, ...)
{
        char msg[512], call[512] = "";
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        for (size_t i = 0; i < c->sc->nargs; i++) {
                if (i)
                        strcat(call, ", ");
                pd_expr_fmt(c->sc->args[i], call, sizeof(call) - 8);
        }
        pd_fail(c->r, "line %d: %s(%s): %s", c->ev->line, c->sc->name, call, msg);
}

static struct pd_expr *arg(struct call *c, size_t i)
{
        if (i >= c->sc->nargs)
                bad(c, "expected at least %zu arguments", i + 1);
        return c->sc->args[i];
}

static long long int_of(struct call *c, const struct pd_expr *e)
{
        long long v;
        switch (e->kind) {
        case PD_E_INT:
                return e->ival;
        case PD_E_WORD:
                if (pd_symbol(e->s, &v))
                        return v;
                bad(c, "unknown symbol %s", e->s);
        case PD_E_OR:
                return int_of(c, e->kids[0]) | int_of(c, e->kids[1]);
        case PD_E_ARRAY:
                if (e->nkids == 1)
                        return int_of(c, e->kids[0]);
                break;
        case PD_E_CALL:
                if (strcmp(e->s, "htons") == 0 && e->nkids == 1)
                        return htons((uint16_t)int_of(c, e->kids[0]));
                if (strcmp(e->s, "htonl") == 0 && e->nkids == 1)
                        return htonl((uint32_t)int_of(c, e->kids[0]));
                break;
        default:
                break;
        }
        bad(c, "expected an integer argument");
}

static bool is_ellipsis(const struct pd_expr *e)
{
        return e->kind == PD_E_ELLIPSIS;
}

/* A field of a struct literal, by name: {name=value, ...}; NULL if absent. */
static const struct pd_expr *field(const struct pd_expr *e, const char *name)
{
        if (e->kind != PD_E_STRUCT)
                return NULL;
        for (size_t i = 0; i < e->nkids; i++) {
                const struct pd_expr *k = e->kids[i];
                if (k->kind != PD_E_ASSIGN)
                        continue;
                const struct pd_expr *l = k->kids[0];
                if ((l->kind == PD_E_WORD || l->kind == PD_E_CALL) && strcmp(l->s, name) == 0)
                        return k->kids[1];
        }
        return NULL;
}

static struct sockaddr_in sockaddr_of(struct call *c, const struct pd_expr *e, bool local)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080) };
        sa.sin_addr.s_addr = htonl(local ? c->r->s->local_ip : c->r->s->remote_ip);
        if (is_ellipsis(e))
                return sa;
        if (e->kind == PD_E_WORD || e->kind == PD_E_INT) {
                sa.sin_family = (sa_family_t)int_of(c, e); /* AF_UNSPEC: only a family */
                return sa;
        }
        const struct pd_expr *fam = field(e, "sa_family"), *port = field(e, "sin_port"),
                             *addr = field(e, "sin_addr");
        if (!fam || !port || !addr)
                bad(c, "sockaddr needs sa_family, sin_port and sin_addr");
        sa.sin_family = (sa_family_t)int_of(c, fam);
        sa.sin_port = (in_port_t)int_of(c, port);
        if (addr->kind == PD_E_CALL && strcmp(addr->s, "inet_addr") == 0 && addr->nkids == 1 &&
            addr->kids[0]->kind == PD_E_STRING) {
                if (inet_pton(AF_INET, addr->kids[0]->s, &sa.sin_addr) != 1)
                        bad(c, "bad address \"%s\" (IPv4 only)", addr->kids[0]->s);
        } else {
                sa.sin_addr.s_addr = (in_addr_t)int_of(c, addr);
        }
        return sa;
}

/* Length of an I/O buffer argument: `...` with a length elsewhere. */
static size_t iolen(struct call *c, long long n)
{
        if (n < 0 || n > BIG_IOLEN)
                bad(c, "buffer length %lld out of range", n);
        return (size_t)n;
}

static void *buffer(struct call *c, size_t n)
{
        void *b = calloc(1, n ? n : 1);
        if (!b)
                bad(c, "out of memory");
        return b;
}

/* msg_iov(N)=[{..., len}, ...] into iovecs */
static int build_iov(struct call *c, const struct pd_expr *msg, struct iovec *iov, int max)
{
        const struct pd_expr *a = NULL;
        for (size_t i = 0; i < msg->nkids; i++) {
                const struct pd_expr *k = msg->kids[i];
                if (k->kind == PD_E_ASSIGN && k->kids[0]->kind == PD_E_CALL &&
                    strcmp(k->kids[0]->s, "msg_iov") == 0)
                        a = k->kids[1];
        }
        if (!a || a->kind != PD_E_ARRAY)
                bad(c, "msghdr without msg_iov(N)=[...]");
        if ((int)a->nkids > max)
                bad(c, "too many iovecs");
        for (size_t i = 0; i < a->nkids; i++) {
                const struct pd_expr *v = a->kids[i];
                if (v->kind != PD_E_STRUCT || v->nkids != 2)
                        bad(c, "iovec must be {..., LEN}");
                iov[i].iov_len = iolen(c, int_of(c, v->kids[1]));
                iov[i].iov_base = buffer(c, iov[i].iov_len);
        }
        return (int)a->nkids;
}

/* --- checks --------------------------------------------------------------------- */

static void expect_int_back(struct call *c, const struct pd_expr *e, long long got,
                            const char *what)
{
        if (is_ellipsis(e))
                return;
        long long want = int_of(c, e);
        if (want != got)
                bad(c, "%s is %lld, script expects %lld", what, got, want);
}

/* recvmsg's msg_control=[...]: what came back against what the script
 * lists (pd_cmsg.c) */
static void expect_cmsgs(struct call *c, const struct pd_expr *want, struct msghdr *mh)
{
        char msg[256];
        if (pd_cmsg_check(c->r, want, mh, msg, sizeof(msg)))
                bad(c, "%s", msg);
}

/* --- the calls -------------------------------------------------------------------- */

static long long do_call(struct call *c, bool *new_fd)
{
        struct strata_net *sn = c->r->sn;
        const char *n = c->sc->name;
        size_t na = c->sc->nargs;
        *new_fd = false;
        if (strcmp(n, "socket") == 0) {
                long long dom = is_ellipsis(arg(c, 0)) ? AF_INET : int_of(c, arg(c, 0));
                *new_fd = true;
                return strata_socket(sn, (int)dom, (int)int_of(c, arg(c, 1)),
                                     (int)int_of(c, arg(c, 2)));
        }
        if (strcmp(n, "open") == 0) {
                /* a file of the script's private /tmp (pd_files.c): a
                 * descriptor of the runner, told apart from the stack's */
                const struct pd_expr *pe = arg(c, 0);
                if (pe->kind != PD_E_STRING)
                        bad(c, "open needs a path string");
                char path[400], msg[256];
                if (pd_sandbox_path(pe->s, path, sizeof(path), msg, sizeof(msg)))
                        bad(c, "%s", msg);
                int hfd = open(path, (int)int_of(c, arg(c, 1)) | O_CLOEXEC, 0600);
                if (hfd < 0)
                        return -errno;
                *new_fd = true;
                return HOST_FD_BASE + hfd;
        }
        if (strcmp(n, "pipe") == 0) {
                /* pipe([R, W]): a pipe of the runner, for splice */
                const struct pd_expr *a = arg(c, 0);
                if (a->kind != PD_E_ARRAY || a->nkids != 2)
                        bad(c, "pipe needs [READ_FD, WRITE_FD]");
                int p[2];
                if (pipe2(p, O_CLOEXEC))
                        return -errno;
                map_fd(int_of(c, a->kids[0]), HOST_FD_BASE + p[0]);
                map_fd(int_of(c, a->kids[1]), HOST_FD_BASE + p[1]);
                return 0;
        }
        /* poll's first argument is its array of pollfds, not a descriptor */
        int fd = strcmp(n, "poll") == 0 ? -1 : real_fd(int_of(c, arg(c, 0)));
        if (strncmp(n, "epoll", 5) != 0 && strcmp(n, "close") != 0 && fd >= 0 && fd < 900)
                c->r->last_fd = fd; /* the socket %{ }% blocks look at */
        if (strcmp(n, "bind") == 0 || strcmp(n, "connect") == 0) {
                struct sockaddr_in sa = sockaddr_of(c, arg(c, 1), n[0] == 'b');
                socklen_t len =
                    is_ellipsis(arg(c, 2)) ? sizeof(sa) : (socklen_t)int_of(c, arg(c, 2));
                if (len > sizeof(sa))
                        len = sizeof(sa);
                return n[0] == 'b' ? strata_bind(sn, fd, (struct sockaddr *)&sa, len)
                                   : strata_connect(sn, fd, (struct sockaddr *)&sa, len);
        }
        if (strcmp(n, "listen") == 0) {
                int e = strata_listen(sn, fd, (int)int_of(c, arg(c, 1)));
                if (e == 0)
                        c->r->new_listener = true;
                return e;
        }
        if (strcmp(n, "accept") == 0 || strcmp(n, "accept4") == 0) {
                struct sockaddr_in sa;
                socklen_t len = sizeof(sa);
                int flags = n[6] == '4' ? (int)int_of(c, arg(c, 3)) : 0;
                *new_fd = true;
                return strata_accept4(sn, fd, (struct sockaddr *)&sa, &len, flags);
        }
        if (strcmp(n, "close") == 0) {
                int r = fd >= HOST_FD_BASE ? (close(fd - HOST_FD_BASE) ? -errno : 0)
                                           : strata_close(sn, fd);
                if (r == 0)
                        unmap_fd(fd);
                return r;
        }
        if (strcmp(n, "sendfile") == 0) {
                int in = real_fd(int_of(c, arg(c, 1)));
                if (in < HOST_FD_BASE)
                        bad(c, "sendfile reads a file open()ed by the script");
                const struct pd_expr *o = arg(c, 2);
                bool null = o->kind == PD_E_WORD && strcmp(o->s, "NULL") == 0;
                off_t off = null ? 0 : (off_t)int_of(c, o);
                return strata_sendfile(sn, fd, in - HOST_FD_BASE, null ? NULL : &off,
                                       iolen(c, int_of(c, arg(c, 3))));
        }
        if (strcmp(n, "splice") == 0) {
                /* splice(SOCKET, NULL, PIPE, NULL, LEN, FLAGS): from the stack
                 * into a pipe of the runner */
                int out = real_fd(int_of(c, arg(c, 2)));
                const struct pd_expr *o1 = arg(c, 1), *o2 = arg(c, 3);
                if (out < HOST_FD_BASE || o1->kind != PD_E_WORD || strcmp(o1->s, "NULL") ||
                    o2->kind != PD_E_WORD || strcmp(o2->s, "NULL"))
                        bad(c, "runner: splice only from a socket into a pipe, offsets NULL");
                return strata_splice_read(sn, fd, out - HOST_FD_BASE,
                                          iolen(c, int_of(c, arg(c, 4))),
                                          (unsigned)int_of(c, arg(c, 5)));
        }
        if (strcmp(n, "shutdown") == 0)
                return strata_shutdown(sn, fd, (int)int_of(c, arg(c, 1)));
        if (strcmp(n, "write") == 0 || strcmp(n, "send") == 0 || strcmp(n, "sendto") == 0 ||
            strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 || strcmp(n, "recvfrom") == 0) {
                bool out = n[0] == 'w' || (n[0] == 's');
                const struct pd_expr *b = arg(c, 1);
                bool null = b->kind == PD_E_WORD && strcmp(b->s, "NULL") == 0;
                if (!is_ellipsis(b) && b->kind != PD_E_STRING && !null)
                        bad(c, "the buffer must be ..., a string or NULL");
                size_t len = iolen(c, int_of(c, arg(c, 2)));
                bool plain = strcmp(n, "write") == 0 || strcmp(n, "read") == 0;
                int flags = plain ? 0 : (int)int_of(c, arg(c, 3));
                void *buf = null ? NULL : buffer(c, len);
                long long r;
                if (strcmp(n, "sendto") == 0) {
                        if (na < 6)
                                bad(c, "expected 6 arguments");
                        struct sockaddr_in sa = sockaddr_of(c, arg(c, 4), false);
                        r = strata_sendto(sn, fd, buf, len, flags, (struct sockaddr *)&sa,
                                          sizeof(sa));
                } else if (out) {
                        r = strata_send(sn, fd, buf, len, flags);
                } else {
                        r = strata_recv(sn, fd, buf, len, flags);
                }
                free(buf);
                return r;
        }
        if (strcmp(n, "sendmsg") == 0 || strcmp(n, "recvmsg") == 0) {
                const struct pd_expr *m = arg(c, 1);
                if (m->kind != PD_E_STRUCT)
                        bad(c, "expected a msghdr {msg_name(...)=..., msg_iov(N)=[...], ...}");
                struct iovec iov[PD_MAX_IOV];
                struct msghdr mh = { .msg_iov = iov };
                mh.msg_iovlen = (size_t)build_iov(c, m, iov, PD_MAX_IOV);
                /* msg_name(...)=...: the remote's address (sendmsg with
                 * MSG_FASTOPEN connects to it) */
                struct sockaddr_in name;
                const struct pd_expr *nm = field(m, "msg_name");
                if (nm && n[0] == 's') {
                        name = sockaddr_of(c, nm, false);
                        mh.msg_name = &name;
                        mh.msg_namelen = sizeof(name);
                }
                const struct pd_expr *ctl = field(m, "msg_control");
                if (ctl && n[0] == 's')
                        bad(c, "runner: unsupported syntax: msg_control on sendmsg");
                _Alignas(struct cmsghdr) char cbuf[1024];
                if (ctl) {
                        mh.msg_control = cbuf;
                        mh.msg_controllen = sizeof(cbuf);
                }
                long long r = n[0] == 's' ? strata_sendmsg(sn, fd, &mh, (int)int_of(c, arg(c, 2)))
                                          : strata_recvmsg(sn, fd, &mh, (int)int_of(c, arg(c, 2)));
                const struct pd_expr *fl = field(m, "msg_flags");
                if (r >= 0 && n[0] == 'r' && fl)
                        expect_int_back(c, fl, mh.msg_flags, "msg_flags");
                if (r >= 0 && ctl)
                        expect_cmsgs(c, ctl, &mh);
                for (size_t i = 0; i < mh.msg_iovlen; i++)
                        free(iov[i].iov_base);
                return r;
        }
        if (strcmp(n, "setsockopt") == 0 || strcmp(n, "getsockopt") == 0) {
                int level = (int)int_of(c, arg(c, 1)), name = (int)int_of(c, arg(c, 2));
                const struct pd_expr *v = arg(c, 3), *l = arg(c, 4);
                union {
                        int i;
                        struct linger lg;
                        char s[256];
                } u;
                memset(&u, 0, sizeof(u));
                socklen_t len = 0;
                if (n[0] == 's') {
                        if (v->kind == PD_E_STRING) {
                                snprintf(u.s, sizeof(u.s), "%s", v->s);
                                len = (socklen_t)strlen(u.s);
                        } else if (v->kind == PD_E_STRUCT && field(v, "onoff")) {
                                u.lg.l_onoff = (int)int_of(c, field(v, "onoff"));
                                const struct pd_expr *lf = field(v, "linger");
                                u.lg.l_linger = lf ? (int)int_of(c, lf) : 0;
                                len = sizeof(u.lg);
                        } else {
                                u.i = (int)int_of(c, v);
                                len = sizeof(int);
                        }
                        if (!is_ellipsis(l))
                                len = (socklen_t)int_of(c, l);
                        if (len > sizeof(u))
                                bad(c, "option length %u too large", (unsigned)len);
                        return strata_setsockopt(sn, fd, level, name, &u, len);
                }
                len = is_ellipsis(l) ? sizeof(int) : (socklen_t)int_of(c, l);
                if (len > sizeof(u))
                        len = sizeof(u);
                int r = strata_getsockopt(sn, fd, level, name, &u, &len);
                if (r == 0) {
                        if (v->kind == PD_E_STRING) {
                                if (strncmp(u.s, v->s, len) != 0)
                                        bad(c, "option value is \"%.*s\", script expects \"%s\"",
                                            (int)len, u.s, v->s);
                        } else if (v->kind == PD_E_STRUCT && field(v, "onoff")) {
                                expect_int_back(c, field(v, "onoff"), u.lg.l_onoff, "l_onoff");
                        } else if (!is_ellipsis(v) && int_of(c, v) > INT_MAX) {
                                /* packetdrill's get_s32 takes 0..UINT32_MAX and
                                 * compares the 32 bits (TCP_NOTSENT_LOWAT's
                                 * 4294967295) */
                                expect_int_back(c, v, (unsigned)u.i, "option value");
                        } else {
                                expect_int_back(c, v, u.i, "option value");
                        }
                        if (!is_ellipsis(l))
                                expect_int_back(c, l, len, "option length");
                }
                return r;
        }
        if (strcmp(n, "fcntl") == 0) {
                long a = na > 2 ? (long)int_of(c, arg(c, 2)) : 0;
                return strata_fcntl(sn, fd, (int)int_of(c, arg(c, 1)), a);
        }
        if (strcmp(n, "ioctl") == 0) {
                int v = 0;
                unsigned long req = (unsigned long)int_of(c, arg(c, 1));
                if (req == FIONBIO)
                        v = (int)int_of(c, arg(c, 2));
                int r = strata_ioctl(sn, fd, req, &v);
                if (r == 0 && req != FIONBIO)
                        expect_int_back(c, arg(c, 2), v, "ioctl value");
                return r;
        }
        if (strcmp(n, "epoll_create") == 0 || strcmp(n, "epoll_create1") == 0) {
                *new_fd = true;
                int flags = n[12] == '1' ? (int)int_of(c, arg(c, 0)) : 0;
                if (n[12] != '1' && int_of(c, arg(c, 0)) <= 0)
                        return -EINVAL;
                return strata_epoll_create1(sn, flags);
        }
        if (strcmp(n, "epoll_ctl") == 0) {
                struct epoll_event e = { 0 };
                const struct pd_expr *v = arg(c, 3);
                if (!is_ellipsis(v)) {
                        const struct pd_expr *evs = field(v, "events"), *f = field(v, "fd");
                        if (!evs)
                                bad(c, "epoll_event needs events=");
                        e.events = (uint32_t)int_of(c, evs);
                        if (f)
                                e.data.fd = real_fd(int_of(c, f));
                        else if (field(v, "u64"))
                                e.data.u64 = (uint64_t)int_of(c, field(v, "u64"));
                        else if (field(v, "u32"))
                                e.data.u32 = (uint32_t)int_of(c, field(v, "u32"));
                        else if (field(v, "ptr"))
                                e.data.u64 = (uint64_t)int_of(c, field(v, "ptr"));
                }
                return strata_epoll_ctl(sn, fd, (int)int_of(c, arg(c, 1)),
                                        real_fd(int_of(c, arg(c, 2))), &e);
        }
        if (strcmp(n, "epoll_wait") == 0) {
                struct epoll_event evs[16];
                int max = (int)int_of(c, arg(c, 2));
                if (max > 16)
                        max = 16;
                int r = strata_epoll_wait(sn, fd, evs, max, (int)int_of(c, arg(c, 3)));
                const struct pd_expr *v = arg(c, 1);
                if (r > 0 && !is_ellipsis(v)) {
                        const struct pd_expr *want =
                            v->kind == PD_E_ARRAY && v->nkids ? v->kids[0] : v;
                        const struct pd_expr *e = field(want, "events"), *f = field(want, "fd");
                        if (e)
                                expect_int_back(c, e, evs[0].events, "events");
                        if (f)
                                expect_int_back(c, f, script_fd(evs[0].data.fd), "event fd");
                }
                return r;
        }
        if (strcmp(n, "poll") == 0) {
                const struct pd_expr *a = arg(c, 0);
                struct pollfd p[16];
                if (a->kind != PD_E_ARRAY || a->nkids > 16)
                        bad(c, "expected [{fd=..., events=...}, ...]");
                for (size_t i = 0; i < a->nkids; i++) {
                        const struct pd_expr *f = field(a->kids[i], "fd"),
                                             *e = field(a->kids[i], "events");
                        if (!f || !e)
                                bad(c, "pollfd needs fd= and events=");
                        p[i].fd = real_fd(int_of(c, f));
                        p[i].events = (short)int_of(c, e);
                        p[i].revents = 0;
                }
                int r = strata_poll(sn, p, a->nkids, (int)int_of(c, arg(c, 2)));
                for (size_t i = 0; r >= 0 && i < a->nkids; i++) {
                        const struct pd_expr *rv = field(a->kids[i], "revents");
                        if (rv)
                                expect_int_back(c, rv, (unsigned short)p[i].revents, "revents");
                }
                return r;
        }
        bad(c, "runner: unsupported syntax: system call %s", n);
}

void pd_syscall(struct pd_runner *r, struct pd_event *ev, int64_t end_us)
{
        struct call c = { .r = r, .ev = ev, .sc = &ev->sc };
        int64_t start = pd_now_us(r), tol = r->s->tolerance_us;
        r->block_limit_us = ev->sc.has_end ? end_us + tol : start + tol;
        bool new_fd;
        long long got = do_call(&c, &new_fd);
        r->block_limit_us = INT64_MAX;
        pd_settle(r);
        int64_t t = pd_now_us(r);
        if (ev->sc.has_end && (t < end_us - tol || t > end_us + tol))
                bad(&c, "returned at t=%.6f, script expects t=%.6f", t / 1e6, end_us / 1e6);
        if (!ev->sc.has_end && t > start + tol)
                bad(&c, "blocked until t=%.6f; the script expects it to return at once", t / 1e6);
        const struct pd_expr *re = ev->sc.ret;
        if (is_ellipsis(re))
                return;
        long long want = int_of(&c, re);
        if (got < 0) {
                /* packetdrill compares errno only when the script names one */
                if (want == -1 && !ev->sc.errno_name)
                        return;
                if (want >= 0 || !ev->sc.errno_name)
                        bad(&c, "returned -1 %s (%s), script expects %lld", errno_name((int)-got),
                            strerror((int)-got), want);
                long long we;
                if (!pd_symbol(ev->sc.errno_name, &we))
                        bad(&c, "unknown errno %s", ev->sc.errno_name);
                if (we != -got)
                        bad(&c, "returned -1 %s (%s), script expects -1 %s", errno_name((int)-got),
                            strerror((int)-got), ev->sc.errno_name);
                return;
        }
        if (new_fd && want >= 0) {
                map_fd(want, (int)got);
                if (strncmp(ev->sc.name, "epoll", 5) != 0)
                        r->last_fd = (int)got;
                return;
        }
        if (got != want)
                bad(&c, "returned %lld, script expects %lld%s%s", got, want,
                    ev->sc.errno_name ? " " : "", ev->sc.errno_name ? ev->sc.errno_name : "");
}
