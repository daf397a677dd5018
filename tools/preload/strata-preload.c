/*
 * libstrata-preload.so: makes an unmodified program's netlink sockets talk
 * to a Strata namespace.  With STRATA_CTL_SOCKET set (strata exec sets it),
 * socket(AF_NETLINK, ...) returns a connection to that control socket
 * instead, and the calls iproute2 and friends make on it behave as on a
 * kernel netlink socket:
 *
 *  - bind/getsockname fake a port id (the process id for the first
 *    socket, then negative numbers, as the kernel assigns them); the server
 *    learns it from a HELLO and stamps every reply with it, because
 *    iproute2 drops replies whose nlmsg_pid is not its own;
 *  - sendmsg/sendto/send/write pass the request as one datagram and return
 *    only when the server's DONE says every reply is queued here -- replies
 *    are ready when sendmsg returns (nft polls with a zero timeout); a dump
 *    comes a batch at a time (DONE flagged "more"), and recvmsg asks for
 *    the next batch (CONTINUE) once the queue is drained, as a kernel
 *    dump continues on recvmsg: a dump of any size is never held whole;
 *  - recvmsg/recvfrom/recv/read hand out one reply datagram per call, with
 *    MSG_PEEK and MSG_TRUNC as the kernel honours them (iproute2 sizes its
 *    buffer with MSG_PEEK|MSG_TRUNC) and a 12-byte sockaddr_nl, pid 0;
 *  - multicast groups (bind's nl_groups, NETLINK_ADD/DROP_MEMBERSHIP) are
 *    told to the server in a GROUPS message; the notifications it then
 *    pushes are read like replies -- recvmsg waits for them when nothing
 *    is queued, so `ip monitor` blocks as on a kernel socket;
 *  - other SOL_NETLINK options are accepted; SO_PROTOCOL/SO_DOMAIN/SO_TYPE tell
 *    what the program asked for;
 *  - if_nametoindex/if_indextoname ask the namespace, not the host, so a
 *    name Strata does not have is not silently resolved on the host;
 *  - a write-only open of a /proc/sys/net file writes the namespace's
 *    sysctl instead (`ip route flush cache`), never the host's;
 *  - /proc/net/{sockstat,sockstat6,snmp,netstat,tcp} (and the same under
 *    /proc/self/net, /proc/PID/net) opened to read are the namespace's
 *    files, fetched with STRATA_PROCFS_GET into a memfd (`ss -s`); the
 *    other /proc/net files describe the host's network and are not found
 *    (ENOENT), except psched, which is about the host's clock;
 *  - nstat's daemon of the host (abstract socket "nstatUID") is not
 *    reachable, so nstat reads the namespace's files;
 *  - readlink of a /proc/PID/fd/N that is a host socket fails (ENOENT):
 *    `ss -p` matches the inode numbers Strata reports against those links,
 *    and a host socket must never be taken for a Strata one.
 *
 * Without STRATA_CTL_SOCKET every call goes straight to libc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "strata/ctl.h"

#define SHIM_MAX_FD  4096
#define SHIM_REQ_MAX (1u << 20)
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct qent {
        struct qent *next;
        size_t len;
        uint8_t data[];
};

struct nlsock {
        int protocol;
        uint32_t portid;
        uint64_t groups; /* bit g-1: multicast group g */
        bool hello_sent;
        bool more; /* a dump under way: the server sends its next batch on CONTINUE */
        struct qent *head, *tail;
};

/* The shim's own state: which descriptors are netlink sockets. */
static struct nlsock *socks[SHIM_MAX_FD];
/* descriptors standing for a /proc/sys/net file opened to write: its key */
static char *sysfds[SHIM_MAX_FD];
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static int next_negative = -4096;
static bool first_given;

#define REAL(ret, name, ...)                                                                       \
        static ret (*real_##name)(__VA_ARGS__);                                                    \
        if (!real_##name)                                                                          \
        real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

static struct nlsock *lookup(int fd)
{
        return fd >= 0 && fd < SHIM_MAX_FD ? socks[fd] : NULL;
}

static const char *ctl_path(void)
{
        const char *p = getenv(STRATA_CTL_ENV);
        return p && *p ? p : NULL;
}

static int raw_socket(int domain, int type, int proto)
{
        REAL(int, socket, int, int, int);
        return real_socket(domain, type, proto);
}

/* Connect a SEQPACKET socket to the control socket; -1 and errno. */
static int ctl_connect(int type_flags)
{
        const char *path = ctl_path();
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        int fd = raw_socket(AF_UNIX, SOCK_SEQPACKET | (type_flags & SOCK_CLOEXEC), 0);
        if (fd < 0)
                return -1;
        REAL(int, connect, int, const struct sockaddr *, socklen_t);
        if (real_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                fprintf(stderr, "strata-preload: cannot reach the Strata namespace at %s: %s\n",
                        path, strerror(e));
                REAL(int, close, int);
                real_close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

static ssize_t raw_send(int fd, const void *b, size_t n)
{
        REAL(ssize_t, send, int, const void *, size_t, int);
        return real_send(fd, b, n, MSG_NOSIGNAL);
}

static int send_hello(int fd, uint32_t portid, int protocol)
{
        uint8_t h[24] = { 0 };
        uint32_t len = 24, proto = (uint32_t)protocol;
        uint16_t type = STRATA_CTL_HELLO, flags = NLM_F_REQUEST;
        memcpy(h, &len, 4);
        memcpy(h + 4, &type, 2);
        memcpy(h + 6, &flags, 2);
        memcpy(h + 16, &portid, 4);
        memcpy(h + 20, &proto, 4);
        return raw_send(fd, h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : -1;
}

/* Tell the server the socket's whole group membership (HELLO first if
 * not sent yet: the server learns the protocol from it).  0 or -1. */
static int send_groups(int fd, struct nlsock *s)
{
        if (!s->hello_sent) {
                if (send_hello(fd, s->portid, s->protocol) < 0)
                        return -1;
                s->hello_sent = true;
        }
        uint8_t h[24] = { 0 };
        uint32_t len = 24, lo = (uint32_t)s->groups, hi = (uint32_t)(s->groups >> 32);
        uint16_t type = STRATA_CTL_GROUPS, flags = NLM_F_REQUEST;
        memcpy(h, &len, 4);
        memcpy(h + 4, &type, 2);
        memcpy(h + 6, &flags, 2);
        memcpy(h + 16, &lo, 4);
        memcpy(h + 20, &hi, 4);
        return raw_send(fd, h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : -1;
}

/* Receive one whole datagram from the server, waiting for it (the program
 * may have made the descriptor non-blocking).  NULL and errno on failure. */
static struct qent *recv_dgram(int fd, bool wait)
{
        REAL(ssize_t, recv, int, void *, size_t, int);
        for (;;) {
                ssize_t n = real_recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                        if (!wait)
                                return NULL;
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        poll(&p, 1, -1);
                        continue;
                }
                if (n <= 0) {
                        if (n == 0)
                                errno = ECONNRESET;
                        return NULL;
                }
                struct qent *q = malloc(sizeof(*q) + (size_t)n);
                if (!q) {
                        errno = ENOMEM;
                        return NULL;
                }
                ssize_t m = real_recv(fd, q->data, (size_t)n, MSG_DONTWAIT);
                if (m < 0) {
                        free(q);
                        return NULL;
                }
                q->len = (size_t)m;
                q->next = NULL;
                return q;
        }
}

static bool is_done(const struct qent *q)
{
        uint16_t type;
        if (q->len < 16)
                return false;
        memcpy(&type, q->data + 4, 2);
        return type == STRATA_CTL_DONE;
}

static void enqueue(struct nlsock *s, struct qent *q)
{
        if (s->tail)
                s->tail->next = q;
        else
                s->head = q;
        s->tail = q;
}

/* A DONE saying a dump goes on (NLM_F_MULTI). */
static bool done_more(const struct qent *q)
{
        uint16_t flags;
        memcpy(&flags, q->data + 6, 2);
        return flags & NLM_F_MULTI;
}

/* Queue replies up to the server's DONE, noting whether a dump goes on. */
static int recv_until_done(int fd, struct nlsock *s)
{
        for (;;) {
                struct qent *q = recv_dgram(fd, true);
                if (!q)
                        return -1;
                if (is_done(q)) {
                        s->more = done_more(q);
                        free(q);
                        return 0;
                }
                enqueue(s, q);
        }
}

/* The next batch of a dump: what a kernel netlink socket's recvmsg does
 * when it has drained the queue (netlink_dump). */
static int continue_dump(int fd, struct nlsock *s)
{
        uint8_t h[16] = { 16 };
        uint16_t type = STRATA_CTL_CONTINUE;
        memcpy(h + 4, &type, 2);
        if (raw_send(fd, h, sizeof(h)) != (ssize_t)sizeof(h))
                return -1;
        return recv_until_done(fd, s);
}

/* Send a request datagram and queue every reply up to DONE. */
static ssize_t nl_send(int fd, struct nlsock *s, const struct msghdr *msg)
{
        size_t total = 0;
        for (size_t i = 0; i < msg->msg_iovlen; i++)
                total += msg->msg_iov[i].iov_len;
        if (total > SHIM_REQ_MAX) {
                errno = EMSGSIZE;
                return -1;
        }
        uint8_t *buf = malloc(total ? total : 1);
        if (!buf) {
                errno = ENOMEM;
                return -1;
        }
        size_t off = 0;
        for (size_t i = 0; i < msg->msg_iovlen; i++) {
                memcpy(buf + off, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
                off += msg->msg_iov[i].iov_len;
        }
        ssize_t r = -1;
        if (!s->hello_sent) {
                if (send_hello(fd, s->portid, s->protocol) < 0)
                        goto out;
                s->hello_sent = true;
        }
        s->more = false; /* a new request abandons a dump left unread */
        if (raw_send(fd, buf, total) < 0)
                goto out;
        if (recv_until_done(fd, s) < 0)
                goto out;
        r = (ssize_t)total;
out:
        free(buf);
        return r;
}

static ssize_t nl_recv(int fd, struct nlsock *s, struct msghdr *msg, int flags)
{
        if (!s->head && s->more && continue_dump(fd, s) < 0)
                return -1;
        if (!s->head) {
                REAL(int, fcntl, int, int, ...);
                bool nonblock = (flags & MSG_DONTWAIT) || (real_fcntl(fd, F_GETFL) & O_NONBLOCK);
                /* nothing queued: wait for what the server sends unasked */
                for (;;) {
                        pthread_mutex_unlock(&shim_lock);
                        struct qent *q = recv_dgram(fd, !nonblock);
                        int e = errno;
                        pthread_mutex_lock(&shim_lock);
                        if (!q) {
                                errno = e;
                                return -1;
                        }
                        if (is_done(q)) {
                                free(q);
                                continue;
                        }
                        enqueue(s, q);
                        break;
                }
        }
        struct qent *q = s->head;
        size_t off = 0;
        for (size_t i = 0; i < msg->msg_iovlen && off < q->len; i++) {
                size_t n = msg->msg_iov[i].iov_len;
                if (n > q->len - off)
                        n = q->len - off;
                memcpy(msg->msg_iov[i].iov_base, q->data + off, n);
                off += n;
        }
        msg->msg_flags = off < q->len ? MSG_TRUNC : 0;
        if (msg->msg_name) {
                struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
                socklen_t n = msg->msg_namelen < sizeof(nl) ? msg->msg_namelen : sizeof(nl);
                memcpy(msg->msg_name, &nl, n);
                msg->msg_namelen = sizeof(nl);
        }
        msg->msg_controllen = 0;
        size_t full = q->len;
        if (!(flags & MSG_PEEK)) {
                s->head = q->next;
                if (!s->head)
                        s->tail = NULL;
                free(q);
        }
        return (ssize_t)((flags & MSG_TRUNC) ? full : off);
}

int socket(int domain, int type, int protocol)
{
        if (domain != AF_NETLINK || !ctl_path())
                return raw_socket(domain, type, protocol);
        int fd = ctl_connect(type);
        if (fd < 0)
                return -1;
        if (fd >= SHIM_MAX_FD) {
                REAL(int, close, int);
                real_close(fd);
                errno = EMFILE;
                return -1;
        }
        struct nlsock *s = calloc(1, sizeof(*s));
        if (!s) {
                REAL(int, close, int);
                real_close(fd);
                errno = ENOMEM;
                return -1;
        }
        if (type & SOCK_NONBLOCK) {
                REAL(int, fcntl, int, int, ...);
                real_fcntl(fd, F_SETFL, real_fcntl(fd, F_GETFL) | O_NONBLOCK);
        }
        s->protocol = protocol;
        pthread_mutex_lock(&shim_lock);
        if (!first_given) {
                s->portid = (uint32_t)getpid();
                first_given = true;
        } else {
                s->portid = (uint32_t)next_negative--;
        }
        socks[fd] = s;
        pthread_mutex_unlock(&shim_lock);
        return fd;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
        struct nlsock *s = lookup(fd);
        if (!s) {
                REAL(int, bind, int, const struct sockaddr *, socklen_t);
                return real_bind(fd, addr, len);
        }
        struct sockaddr_nl nl;
        if (!addr || len < sizeof(nl)) {
                errno = EINVAL;
                return -1;
        }
        memcpy(&nl, addr, sizeof(nl));
        if (nl.nl_family != AF_NETLINK) {
                errno = EINVAL;
                return -1;
        }
        pthread_mutex_lock(&shim_lock);
        if (nl.nl_pid && !s->hello_sent)
                s->portid = nl.nl_pid;
        /* as the kernel: bind replaces the first 32 groups */
        uint64_t old = s->groups;
        s->groups = (s->groups & ~0xffffffffull) | nl.nl_groups;
        int r = s->groups != old ? send_groups(fd, s) : 0;
        pthread_mutex_unlock(&shim_lock);
        return r;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
        if (lookup(fd))
                return 0; /* netlink connect only sets the default destination */
        if (ctl_path() && addr && len > sizeof(sa_family_t) + 6 && addr->sa_family == AF_UNIX) {
                /* an nstat daemon (abstract "nstatUID") serves the host's
                 * counters: nstat then reads the namespace's files */
                const char *p = ((const struct sockaddr_un *)addr)->sun_path;
                if (p[0] == 0 && !strncmp(p + 1, "nstat", 5)) {
                        errno = ECONNREFUSED;
                        return -1;
                }
        }
        REAL(int, connect, int, const struct sockaddr *, socklen_t);
        return real_connect(fd, addr, len);
}

static int fill_nl(struct sockaddr *addr, socklen_t *len, uint32_t pid, uint32_t groups)
{
        if (!addr || !len) {
                errno = EFAULT;
                return -1;
        }
        struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = groups };
        memcpy(addr, &nl, *len < sizeof(nl) ? *len : sizeof(nl));
        *len = sizeof(nl);
        return 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
        struct nlsock *s = lookup(fd);
        if (!s) {
                REAL(int, getsockname, int, struct sockaddr *, socklen_t *);
                return real_getsockname(fd, addr, len);
        }
        return fill_nl(addr, len, s->portid, (uint32_t)s->groups);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
        if (!lookup(fd)) {
                REAL(int, getpeername, int, struct sockaddr *, socklen_t *);
                return real_getpeername(fd, addr, len);
        }
        return fill_nl(addr, len, 0, 0);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
        struct nlsock *s = lookup(fd);
        if (s && level == SOL_NETLINK &&
            (name == NETLINK_ADD_MEMBERSHIP || name == NETLINK_DROP_MEMBERSHIP)) {
                uint32_t g;
                if (!val || len < sizeof(g)) {
                        errno = EINVAL;
                        return -1;
                }
                memcpy(&g, val, sizeof(g));
                if (g == 0) {
                        errno = EINVAL;
                        return -1;
                }
                if (g > 64)
                        return 0; /* groups Strata never sends to */
                pthread_mutex_lock(&shim_lock);
                uint64_t bit = 1ull << (g - 1), old = s->groups;
                if (name == NETLINK_ADD_MEMBERSHIP)
                        s->groups |= bit;
                else
                        s->groups &= ~bit;
                int r = s->groups != old ? send_groups(fd, s) : 0;
                pthread_mutex_unlock(&shim_lock);
                return r;
        }
        if (s && level == SOL_NETLINK)
                return 0; /* EXT_ACK, GET_STRICT_CHK, CAP_ACK: accepted */
        REAL(int, setsockopt, int, int, int, const void *, socklen_t);
        int r = real_setsockopt(fd, level, name, val, len);
        if (r < 0 && lookup(fd) && (name == SO_RCVBUFFORCE || name == SO_SNDBUFFORCE))
                return 0; /* buffers are the server's business */
        return r;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
        struct nlsock *s = lookup(fd);
        if (s && val && len && *len >= sizeof(int)) {
                int v = -1;
                if (level == SOL_NETLINK)
                        v = 0;
                else if (level == SOL_SOCKET && name == SO_PROTOCOL)
                        v = s->protocol;
                else if (level == SOL_SOCKET && name == SO_DOMAIN)
                        v = AF_NETLINK;
                else if (level == SOL_SOCKET && name == SO_TYPE)
                        v = SOCK_RAW;
                if (v >= 0) {
                        memcpy(val, &v, sizeof(v));
                        *len = sizeof(v);
                        return 0;
                }
        }
        REAL(int, getsockopt, int, int, int, void *, socklen_t *);
        return real_getsockopt(fd, level, name, val, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
        struct nlsock *s = lookup(fd);
        if (!s) {
                REAL(ssize_t, sendmsg, int, const struct msghdr *, int);
                return real_sendmsg(fd, msg, flags);
        }
        pthread_mutex_lock(&shim_lock);
        ssize_t r = nl_send(fd, s, msg);
        pthread_mutex_unlock(&shim_lock);
        return r;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t tolen)
{
        if (!lookup(fd)) {
                REAL(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *,
                     socklen_t);
                return real_sendto(fd, buf, len, flags, to, tolen);
        }
        struct iovec iov = { (void *)buf, len };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        return sendmsg(fd, &m, flags);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
        if (!lookup(fd)) {
                REAL(ssize_t, send, int, const void *, size_t, int);
                return real_send(fd, buf, len, flags);
        }
        return sendto(fd, buf, len, flags, NULL, 0);
}

static int sysctl_write(const char *key, const void *buf, size_t len);

ssize_t write(int fd, const void *buf, size_t len)
{
        if (fd >= 0 && fd < SHIM_MAX_FD && sysfds[fd])
                return sysctl_write(sysfds[fd], buf, len) < 0 ? -1 : (ssize_t)len;
        if (!lookup(fd)) {
                REAL(ssize_t, write, int, const void *, size_t);
                return real_write(fd, buf, len);
        }
        return sendto(fd, buf, len, 0, NULL, 0);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
        struct nlsock *s = lookup(fd);
        if (!s) {
                REAL(ssize_t, recvmsg, int, struct msghdr *, int);
                return real_recvmsg(fd, msg, flags);
        }
        pthread_mutex_lock(&shim_lock);
        ssize_t r = nl_recv(fd, s, msg, flags);
        pthread_mutex_unlock(&shim_lock);
        return r;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                 socklen_t *fromlen)
{
        if (!lookup(fd)) {
                REAL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *);
                return real_recvfrom(fd, buf, len, flags, from, fromlen);
        }
        struct iovec iov = { buf, len };
        struct msghdr m = { .msg_name = from,
                            .msg_namelen = fromlen ? *fromlen : 0,
                            .msg_iov = &iov,
                            .msg_iovlen = 1 };
        if (!fromlen)
                m.msg_name = NULL;
        ssize_t r = recvmsg(fd, &m, flags);
        if (r >= 0 && fromlen)
                *fromlen = m.msg_namelen;
        return r;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
        if (!lookup(fd)) {
                REAL(ssize_t, recv, int, void *, size_t, int);
                return real_recv(fd, buf, len, flags);
        }
        return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t read(int fd, void *buf, size_t len)
{
        if (!lookup(fd)) {
                REAL(ssize_t, read, int, void *, size_t);
                return real_read(fd, buf, len);
        }
        return recvfrom(fd, buf, len, 0, NULL, NULL);
}

int close(int fd)
{
        REAL(int, close, int);
        if (fd >= 0 && fd < SHIM_MAX_FD && sysfds[fd]) {
                pthread_mutex_lock(&shim_lock);
                free(sysfds[fd]);
                sysfds[fd] = NULL;
                pthread_mutex_unlock(&shim_lock);
        }
        struct nlsock *s = lookup(fd);
        if (s) {
                pthread_mutex_lock(&shim_lock);
                socks[fd] = NULL;
                pthread_mutex_unlock(&shim_lock);
                while (s->head) {
                        struct qent *q = s->head;
                        s->head = q->next;
                        free(q);
                }
                free(s);
        }
        return real_close(fd);
}

/* --- interface names, asked of the namespace ----------------------------- */

/* RTM_GETLINK by index or name on a private connection: 0 with the
 * index and name, or -1 with errno ENODEV. */
static int shim_getlink(unsigned idx, const char *name, unsigned *out_idx, char *out_name)
{
        int fd = ctl_connect(SOCK_CLOEXEC);
        if (fd < 0)
                return -1;
        uint8_t req[64] = { 0 };
        uint32_t len = 16 + 16;
        uint16_t type = 18 /* RTM_GETLINK */, flags = NLM_F_REQUEST;
        memcpy(req + 4, &type, 2);
        memcpy(req + 6, &flags, 2);
        memcpy(req + 20, &idx, 4);
        if (!idx && name) {
                size_t n = strnlen(name, IF_NAMESIZE - 1);
                uint16_t alen = (uint16_t)(4 + n + 1), atype = 3 /* IFLA_IFNAME */;
                memcpy(req + len, &alen, 2);
                memcpy(req + len + 2, &atype, 2);
                memcpy(req + len + 4, name, n);
                len += (alen + 3u) & ~3u;
        }
        memcpy(req, &len, 4);
        int found = -1;
        if (send_hello(fd, (uint32_t)getpid(), 0) == 0 && raw_send(fd, req, len) == (ssize_t)len) {
                struct qent *q;
                while ((q = recv_dgram(fd, true)) && !is_done(q)) {
                        uint16_t t;
                        memcpy(&t, q->data + 4, 2);
                        if (found < 0 && q->len >= 32 && t == 16 /* RTM_NEWLINK */) {
                                uint32_t mlen;
                                memcpy(&mlen, q->data, 4);
                                memcpy(out_idx, q->data + 20, 4);
                                size_t off = 32;
                                while (off + 4 <= q->len && off + 4 <= mlen) {
                                        uint16_t alen, atype;
                                        memcpy(&alen, q->data + off, 2);
                                        memcpy(&atype, q->data + off + 2, 2);
                                        if (alen < 4 || off + alen > q->len)
                                                break;
                                        if (atype == 3 && out_name) {
                                                size_t n = alen - 4u < IF_NAMESIZE - 1
                                                               ? alen - 4u
                                                               : IF_NAMESIZE - 1;
                                                memcpy(out_name, q->data + off + 4, n);
                                                out_name[n] = 0;
                                        }
                                        off += (alen + 3u) & ~3u;
                                }
                                found = 0;
                        }
                        free(q);
                }
                free(q);
        }
        REAL(int, close, int);
        real_close(fd);
        if (found < 0)
                errno = ENODEV;
        return found;
}

unsigned int if_nametoindex(const char *name)
{
        if (!ctl_path()) {
                REAL(unsigned int, if_nametoindex, const char *);
                return real_if_nametoindex(name);
        }
        unsigned idx = 0;
        char n[IF_NAMESIZE];
        return shim_getlink(0, name, &idx, n) == 0 ? idx : 0;
}

char *if_indextoname(unsigned int idx, char buf[IF_NAMESIZE])
{
        if (!ctl_path()) {
                REAL(char *, if_indextoname, unsigned int, char *);
                return real_if_indextoname(idx, buf);
        }
        unsigned got = 0;
        if (!idx) {
                errno = ENXIO;
                return NULL;
        }
        if (shim_getlink(idx, NULL, &got, buf) < 0) {
                errno = ENXIO;
                return NULL;
        }
        return buf;
}

/* --- writes to /proc/sys/net, turned into the namespace's sysctls -------- */

/*
 * A program that writes a network sysctl through /proc/sys (iproute2's
 * `ip route flush cache` writes net/ipv4/route/flush) would change the
 * host.  Opened write-only under /proc/sys/net/, the file is instead
 * /dev/null with its key remembered, and each write() becomes a
 * STRATA_SYSCTL_SET of that key in the namespace; a refusal is the write's
 * error, as the kernel's /proc handler returns it.  Reads still go to the
 * host's /proc: `strata sysctl` is the way to read Strata's values.
 */
#define PROC_NET "/proc/sys/net/"

static int sysctl_write(const char *key, const void *buf, size_t len)
{
        char val[256];
        if (len >= sizeof(val)) {
                errno = EINVAL;
                return -1;
        }
        memcpy(val, buf, len);
        val[len] = 0;
        while (len && (val[len - 1] == '\n' || val[len - 1] == ' '))
                val[--len] = 0;
        uint8_t req[512] = { 0 };
        size_t off = 16;
        const char *strs[2] = { key, val };
        for (int i = 0; i < 2; i++) {
                size_t n = strlen(strs[i]) + 1;
                if (off + 4 + n + 4 > sizeof(req)) {
                        errno = EINVAL;
                        return -1;
                }
                uint16_t alen = (uint16_t)(4 + n), atype = (uint16_t)(i + 1);
                memcpy(req + off, &alen, 2);
                memcpy(req + off + 2, &atype, 2);
                memcpy(req + off + 4, strs[i], n);
                off += (4 + n + 3) & ~(size_t)3;
        }
        uint32_t l = (uint32_t)off;
        uint16_t type = STRATA_SYSCTL_SET, flags = NLM_F_REQUEST | NLM_F_ACK;
        memcpy(req, &l, 4);
        memcpy(req + 4, &type, 2);
        memcpy(req + 6, &flags, 2);
        int fd = ctl_connect(SOCK_CLOEXEC);
        if (fd < 0)
                return -1;
        int err = EIO;
        if (send_hello(fd, (uint32_t)getpid(), STRATA_NETLINK_CTL) == 0 &&
            raw_send(fd, req, off) == (ssize_t)off) {
                struct qent *q;
                while ((q = recv_dgram(fd, true)) && !is_done(q)) {
                        uint16_t t;
                        memcpy(&t, q->data + 4, 2);
                        if (t == NLMSG_ERROR && q->len >= 20) {
                                int32_t e;
                                memcpy(&e, q->data + 16, 4);
                                err = -e;
                        }
                        free(q);
                }
                free(q);
        }
        REAL(int, close, int);
        real_close(fd);
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

/* The key for a /proc/sys/net path opened write-only, or NULL. */
static char *proc_key(const char *path, int flags)
{
        if (!ctl_path() || !path || (flags & O_ACCMODE) != O_WRONLY ||
            strncmp(path, PROC_NET, strlen(PROC_NET)) != 0)
                return NULL;
        char *k = strdup(path + strlen("/proc/sys/"));
        if (k)
                for (char *p = k; *p; p++)
                        if (*p == '/')
                                *p = '.';
        return k;
}

static int proc_net_open(const char *path, int flags, int *fd);

static int open_common(const char *path, int flags, mode_t mode, bool large)
{
        int pfd;
        if (proc_net_open(path, flags, &pfd))
                return pfd;
        char *key = proc_key(path, flags);
        if (key) {
                REAL(int, open, const char *, int, ...);
                int fd = real_open("/dev/null", O_WRONLY | (flags & O_CLOEXEC));
                if (fd >= 0 && fd < SHIM_MAX_FD) {
                        pthread_mutex_lock(&shim_lock);
                        free(sysfds[fd]);
                        sysfds[fd] = key;
                        pthread_mutex_unlock(&shim_lock);
                        return fd;
                }
                free(key);
                return fd;
        }
        if (large) {
                REAL(int, open64, const char *, int, ...);
                return real_open64(path, flags, mode);
        }
        REAL(int, open, const char *, int, ...);
        return real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
        mode_t mode = 0;
        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;
                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        return open_common(path, flags, mode, false);
}

int open64(const char *path, int flags, ...)
{
        mode_t mode = 0;
        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;
                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        return open_common(path, flags, mode, true);
}

/* --- /proc/net files, served by the namespace ----------------------------- */

/*
 * Which /proc/net file a path names: 1 with *file ("sockstat") for
 * /proc/net/FILE, /proc/self/net/FILE, /proc/thread-self/net/FILE and
 * /proc/PID/net/FILE; 0 for anything else.
 */
static int proc_net_file(const char *path, const char **file)
{
        if (!path || strncmp(path, "/proc/", 6) != 0)
                return 0;
        const char *p = path + 6;
        if (!strncmp(p, "self/", 5))
                p += 5;
        else if (!strncmp(p, "thread-self/", 12))
                p += 12;
        else if (*p >= '0' && *p <= '9') {
                while (*p >= '0' && *p <= '9')
                        p++;
                if (*p++ != '/')
                        return 0;
        }
        if (strncmp(p, "net/", 4) != 0 || !p[4] || strchr(p + 4, '/'))
                return 0;
        *file = p + 4;
        return 1;
}

static bool proc_net_served(const char *file)
{
        static const char *const served[] = { "sockstat", "sockstat6", "snmp", "netstat", "tcp" };
        for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
                if (!strcmp(file, served[i]))
                        return true;
        return false;
}

/* STRATA_PROCFS_GET "net/FILE" into a memfd positioned at 0; the
 * descriptor, or -1 and errno. */
static int proc_net_fetch(const char *file, bool cloexec)
{
        char name[64];
        if (snprintf(name, sizeof(name), "net/%s", file) >= (int)sizeof(name)) {
                errno = ENOENT;
                return -1;
        }
        uint8_t req[96] = { 0 };
        size_t n = strlen(name) + 1;
        uint16_t alen = (uint16_t)(4 + n), atype = 1 /* NAME */;
        memcpy(req + 16, &alen, 2);
        memcpy(req + 18, &atype, 2);
        memcpy(req + 20, name, n);
        uint32_t l = (uint32_t)(16 + ((4 + n + 3) & ~(size_t)3));
        uint16_t type = STRATA_PROCFS_GET, flags = NLM_F_REQUEST;
        memcpy(req, &l, 4);
        memcpy(req + 4, &type, 2);
        memcpy(req + 6, &flags, 2);
        int fd = ctl_connect(SOCK_CLOEXEC);
        if (fd < 0)
                return -1;
        int out = -1, err = EIO;
        if (send_hello(fd, (uint32_t)getpid(), STRATA_NETLINK_CTL) == 0 &&
            raw_send(fd, req, l) == (ssize_t)l) {
                struct qent *q;
                while ((q = recv_dgram(fd, true)) && !is_done(q)) {
                        uint16_t t;
                        memcpy(&t, q->data + 4, 2);
                        if (t == NLMSG_ERROR && q->len >= 20) {
                                int32_t e;
                                memcpy(&e, q->data + 16, 4);
                                err = -e;
                        } else if (t == STRATA_PROCFS_DATA && out < 0) {
                                size_t off = 16;
                                while (off + 4 <= q->len) {
                                        uint16_t al, at;
                                        memcpy(&al, q->data + off, 2);
                                        memcpy(&at, q->data + off + 2, 2);
                                        if (al < 4 || off + al > q->len)
                                                break;
                                        if (at == 2 /* VALUE */) {
                                                out = memfd_create("strata-proc-net",
                                                                   cloexec ? MFD_CLOEXEC : 0);
                                                size_t left = al - 4u;
                                                const uint8_t *d = q->data + off + 4;
                                                REAL(ssize_t, write, int, const void *, size_t);
                                                while (out >= 0 && left) {
                                                        ssize_t w = real_write(out, d, left);
                                                        if (w <= 0)
                                                                break;
                                                        d += w;
                                                        left -= (size_t)w;
                                                }
                                                if (out >= 0)
                                                        lseek(out, 0, SEEK_SET);
                                                err = out >= 0 ? 0 : errno;
                                        }
                                        off += (al + 3u) & ~3u;
                                }
                        }
                        free(q);
                }
                free(q);
        }
        REAL(int, close, int);
        real_close(fd);
        if (out < 0)
                errno = err ? err : EIO;
        return out;
}

/*
 * An open of a /proc/net file under strata exec: 1 with *fd (or -1 and
 * errno) when the shim answers it, 0 to let libc open the path.
 */
static int proc_net_open(const char *path, int flags, int *fd)
{
        const char *file;
        if (!ctl_path() || !proc_net_file(path, &file) || !strcmp(file, "psched"))
                return 0;
        if (!proc_net_served(file)) {
                errno = ENOENT; /* the host's network: not this namespace's */
                *fd = -1;
                return 1;
        }
        if ((flags & O_ACCMODE) != O_RDONLY) {
                errno = EACCES; /* 0444 files */
                *fd = -1;
                return 1;
        }
        *fd = proc_net_fetch(file, flags & O_CLOEXEC);
        return 1;
}

int openat(int dirfd, const char *path, int flags, ...)
{
        mode_t mode = 0;
        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;
                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        int fd;
        if (path[0] == '/' && proc_net_open(path, flags, &fd))
                return fd;
        REAL(int, openat, int, const char *, int, ...);
        return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
        mode_t mode = 0;
        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;
                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        int fd;
        if (path[0] == '/' && proc_net_open(path, flags, &fd))
                return fd;
        REAL(int, openat64, int, const char *, int, ...);
        return real_openat64(dirfd, path, flags, mode);
}

/* fopen opens inside libc, past the open() above: answered here too. */
static FILE *fopen_common(const char *path, const char *mode, bool large)
{
        const char *file;
        if (ctl_path() && mode && proc_net_file(path, &file)) {
                int flags = strpbrk(mode, "wa+") ? O_RDWR : O_RDONLY;
                if (strchr(mode, 'e'))
                        flags |= O_CLOEXEC;
                int fd;
                if (proc_net_open(path, flags, &fd)) {
                        if (fd < 0)
                                return NULL;
                        FILE *f = fdopen(fd, "r");
                        if (!f) {
                                int e = errno;
                                REAL(int, close, int);
                                real_close(fd);
                                errno = e;
                        }
                        return f;
                }
        }
        if (large) {
                REAL(FILE *, fopen64, const char *, const char *);
                return real_fopen64(path, mode);
        }
        REAL(FILE *, fopen, const char *, const char *);
        return real_fopen(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
        return fopen_common(path, mode, false);
}

FILE *fopen64(const char *path, const char *mode)
{
        return fopen_common(path, mode, true);
}

/* --- host sockets hidden from /proc/PID/fd ---------------------------------- */

static bool host_socket_link(const char *path, const char *buf, ssize_t n)
{
        return n >= 8 && ctl_path() && path && !strncmp(path, "/proc/", 6) &&
               strstr(path, "/fd/") && !memcmp(buf, "socket:[", 8);
}

ssize_t readlink(const char *path, char *buf, size_t len)
{
        REAL(ssize_t, readlink, const char *, char *, size_t);
        ssize_t n = real_readlink(path, buf, len);
        if (host_socket_link(path, buf, n)) {
                errno = ENOENT;
                return -1;
        }
        return n;
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
        REAL(ssize_t, readlinkat, int, const char *, char *, size_t);
        ssize_t n = real_readlinkat(dirfd, path, buf, len);
        if (host_socket_link(path, buf, n)) {
                errno = ENOENT;
                return -1;
        }
        return n;
}
