/*
 * The public socket API (include/strata/socket.h): each call takes the
 * namespace lock, runs the non-blocking system call (src/socket/socket.c),
 * and where the kernel would sleep, waits -- on the socket layer's
 * condition variable when a namespace thread runs, or by driving the
 * namespace itself otherwise -- and tries again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "socket/socket.h"
#include "strata/socket.h"

#define NS_FOREVER UINT64_MAX

/* The default driver: poll devices and timers on a real clock; on a
 * simulated one, run to idle and move the clock to the next deadline. */
static void default_driver(struct strata_net *sn, uint64_t deadline, void *ctx)
{
        struct strata_clock *c = sn->net->clock;
        if (!c->simulated) {
                uint64_t now = clock_now(c);
                strata_wait(sn, deadline > now ? deadline - now : 0);
                while (strata_net_poll(sn) > 0)
                        ;
                return;
        }
        uint64_t next = strata_next_deadline(sn);
        if (next > deadline)
                next = deadline;
        strata_sim_run(&sn, 1, next);
}

void strata_set_driver(struct strata_net *sn, strata_driver_fn fn, void *ctx)
{
        struct net *net = api_lock(sn);
        (void)net;
        sn->driver = fn;
        sn->driver_ctx = ctx;
        api_unlock(sn);
}

static uint64_t deadline_after(struct strata_net *sn, uint64_t ns)
{
        if (ns == NS_FOREVER)
                return NS_FOREVER;
        uint64_t now = clock_now(sn->net->clock);
        return now + ns < now ? NS_FOREVER : now + ns;
}

/*
 * Wait, lock held, until some socket of the namespace changes or the
 * deadline passes.  Returns 0, -ETIMEDOUT at the deadline, or -EDEADLK when
 * a simulated clock has nothing left to run (the wait could never end).
 */
static int wait_change(struct strata_net *sn, uint64_t deadline)
{
        struct net *net = sn->net;
        struct sock_ns *ns = net->socks;
        uint64_t seen = ns->changes;
        uint64_t now = clock_now(net->clock);
        if (now >= deadline)
                return -ETIMEDOUT;
        if (sn->thread_running) {
                ns->waiters++;
                if (deadline == NS_FOREVER) {
                        pthread_cond_wait(&ns->cond, &net->lock);
                } else {
                        struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ull),
                                               .tv_nsec = (long)(deadline % 1000000000ull) };
                        pthread_cond_timedwait(&ns->cond, &net->lock, &ts);
                }
                ns->waiters--;
                net_running = net;
                return 0;
        }
        api_unlock(sn);
        if (sn->driver)
                sn->driver(sn, deadline, sn->driver_ctx);
        else
                default_driver(sn, deadline, NULL);
        api_lock(sn);
        if (ns->changes == seen && net->clock->simulated && clock_now(net->clock) == now &&
            net_next_deadline(net) == NS_FOREVER)
                return -EDEADLK;
        return 0;
}

/* One attempt of a call that may have to wait. */
typedef ssize_t (*attempt_fn)(struct net *net, int fd, void *arg, int flags);
static ssize_t attempt_recv(struct net *net, int fd, void *arg, int flags);

/* Run the call until it stops saying EAGAIN, waiting in between, unless the
 * descriptor or the flags ask not to wait.  A timeout answers EAGAIN, as
 * SO_RCVTIMEO/SO_SNDTIMEO do on Linux.  Entered with the namespace locked
 * (net = api_lock(sn)); returns with it released. */
static ssize_t blocking_locked(struct strata_net *sn, struct net *net, int fd, int flags,
                               bool send, attempt_fn call, void *arg)
{
        ssize_t r = call(net, fd, arg, flags);
        if (r == -EAGAIN && net_has_work(net)) {
                /* Frames already queued to this namespace (a veth peer's
                 * send) are what Linux's softirq would have delivered before
                 * the call looked: deliver them, then look again, rather
                 * than answer EAGAIN with the data at the door */
                while (net_has_work(net) && net_poll(net) > 0)
                        ;
                r = call(net, fd, arg, flags);
        }
        /* MSG_ERRQUEUE and MSG_OOB never wait (ip_recv_error, tcp_recv_urg
         * answer EAGAIN at once) */
        if (r == -EAGAIN && !(flags & (MSG_DONTWAIT | MSG_ERRQUEUE | MSG_OOB)) &&
            sys_nonblocking(net, fd) == 0) {
                uint64_t t = sys_timeo(net, fd, send);
                uint64_t dl = deadline_after(sn, t ? t : NS_FOREVER);
                for (;;) {
                        /* __skb_wait_for_more_packets: a shut-down receive
                         * side ends the wait with 0 */
                        if (call == attempt_recv && sys_rcv_shutdown(net, fd)) {
                                struct msghdr *m = arg;
                                if (m->msg_name)
                                        m->msg_namelen = 0; /* no datagram, no source */
                                m->msg_controllen = 0;
                                r = 0;
                                break;
                        }
                        int w = wait_change(sn, dl);
                        r = call(net, fd, arg, flags);
                        if (r != -EAGAIN || w < 0)
                                break;
                }
        }
        if (send && r >= 0) {
                /* what Linux's softirq does when the send returns on this
                 * CPU: deliver what the send queued here (loopback), so the
                 * receiver sees it before the caller's next call */
                while (net_has_work(net) && net_poll(net) > 0)
                        ;
        }
        api_unlock(sn);
        return r;
}

/* The same, taking the lock (blocking_locked is entered with it held and
 * releases it). */
static ssize_t blocking(struct strata_net *sn, int fd, int flags, bool send, attempt_fn call,
                        void *arg)
{
        return blocking_locked(sn, api_lock(sn), fd, flags, send, call, arg);
}

ssize_t api_blocking(struct strata_net *sn, int fd, int flags, bool send,
                     ssize_t (*call)(struct net *net, int fd, void *arg, int flags), void *arg)
{
        return blocking(sn, fd, flags, send, call, arg);
}

static ssize_t attempt_send(struct net *net, int fd, void *arg, int flags)
{
        return sys_sendmsg(net, fd, arg, flags);
}

static ssize_t attempt_recv(struct net *net, int fd, void *arg, int flags)
{
        return sys_recvmsg(net, fd, arg, flags);
}

int strata_socket(struct strata_net *sn, int domain, int type, int protocol)
{
        struct net *net = api_lock(sn);
        int r = sys_socket(net, domain, type, protocol);
        api_unlock(sn);
        return r;
}

int strata_bind(struct strata_net *sn, int fd, const struct sockaddr *addr, socklen_t len)
{
        struct net *net = api_lock(sn);
        int r = sys_bind(net, fd, addr, len);
        api_unlock(sn);
        return r;
}

int strata_connect(struct strata_net *sn, int fd, const struct sockaddr *addr, socklen_t len)
{
        struct net *net = api_lock(sn);
        int r = sys_connect(net, fd, addr, len);
        while (net_has_work(net) && net_poll(net) > 0)
                ; /* the SYN may be answered at once (loopback) */
        if (r == -EINPROGRESS && sys_nonblocking(net, fd) == 0) {
                /* inet_wait_for_connect: until established or failed */
                uint64_t t = sys_timeo(net, fd, true);
                uint64_t dl = deadline_after(sn, t ? t : NS_FOREVER);
                for (;;) {
                        int res;
                        if (sys_connect_done(net, fd, &res)) {
                                r = res;
                                break;
                        }
                        if (wait_change(sn, dl) < 0) {
                                /* SO_SNDTIMEO expired: EINPROGRESS, as Linux */
                                r = t ? -EINPROGRESS : -ETIMEDOUT;
                                break;
                        }
                }
        }
        api_unlock(sn);
        return r;
}

int strata_listen(struct strata_net *sn, int fd, int backlog)
{
        struct net *net = api_lock(sn);
        int r = sys_listen(net, fd, backlog);
        api_unlock(sn);
        return r;
}

struct accept_args {
        struct sockaddr *addr;
        socklen_t *len;
        int flags;
};

static ssize_t attempt_accept(struct net *net, int fd, void *arg, int flags)
{
        struct accept_args *a = arg;
        return sys_accept4(net, fd, a->addr, a->len, a->flags);
}

int strata_accept4(struct strata_net *sn, int fd, struct sockaddr *addr, socklen_t *len,
                   int flags)
{
        struct accept_args a = { addr, len, flags };
        return (int)blocking(sn, fd, 0, false, attempt_accept, &a);
}

int strata_accept(struct strata_net *sn, int fd, struct sockaddr *addr, socklen_t *len)
{
        return strata_accept4(sn, fd, addr, len, 0);
}

/*
 * A blocking send on a stream socket copies everything before it returns
 * (tcp_sendmsg waits for room as often as needed), and a blocking receive
 * with MSG_WAITALL fills the whole buffer (tcp_recvmsg's target); either
 * returns less only on an error, a timeout or -- receiving -- the end of
 * the stream, after some bytes moved, as Linux does.
 */
static ssize_t stream_all(struct strata_net *sn, int fd, struct msghdr *msg, int flags, bool send)
{
        struct iovec local[16];
        size_t n = (size_t)msg->msg_iovlen;
        struct iovec *iov = n <= 16 ? local : malloc(n * sizeof(*iov));
        if (!iov)
                return -ENOMEM;
        memcpy(iov, msg->msg_iov, n * sizeof(*iov));
        struct msghdr m = *msg;
        m.msg_iov = iov;
        ssize_t total = 0;
        for (;;) {
                ssize_t r = blocking(sn, fd, flags, send, send ? attempt_send : attempt_recv, &m);
                if (r <= 0) {
                        if (!total)
                                total = r;
                        break;
                }
                total += r;
                /* skip what moved */
                size_t left = (size_t)r;
                while (m.msg_iovlen && left >= m.msg_iov[0].iov_len) {
                        left -= m.msg_iov[0].iov_len;
                        m.msg_iov++;
                        m.msg_iovlen--;
                }
                if (!m.msg_iovlen)
                        break;
                m.msg_iov[0].iov_base = (char *)m.msg_iov[0].iov_base + left;
                m.msg_iov[0].iov_len -= left;
        }
        if (!send) {
                msg->msg_namelen = m.msg_namelen;
                msg->msg_controllen = m.msg_controllen;
                msg->msg_flags = m.msg_flags;
        }
        if (iov != local)
                free(iov);
        return total;
}

/* Is this call on a blocking stream socket (where stream_all applies)?
 * Namespace locked. */
static bool blocking_stream_locked(struct net *net, int fd, int flags)
{
        return sys_sock_type(net, fd) == SOCK_STREAM && !(flags & MSG_DONTWAIT) &&
               sys_nonblocking(net, fd) == 0;
}

static bool blocking_stream(struct strata_net *sn, int fd, int flags)
{
        struct net *net = api_lock(sn);
        bool stream = blocking_stream_locked(net, fd, flags);
        api_unlock(sn);
        return stream;
}

ssize_t strata_sendmsg(struct strata_net *sn, int fd, const struct msghdr *msg, int flags)
{
        /* one lock for the question and, usually, the send */
        struct net *net = api_lock(sn);
        if (blocking_stream_locked(net, fd, flags)) {
                api_unlock(sn);
                return stream_all(sn, fd, (struct msghdr *)msg, flags, true);
        }
        return blocking_locked(sn, net, fd, flags, true, attempt_send, (void *)msg);
}

ssize_t strata_recvmsg(struct strata_net *sn, int fd, struct msghdr *msg, int flags)
{
        /* MSG_WAITALL with MSG_PEEK waits for nothing more here */
        if ((flags & MSG_WAITALL) && !(flags & MSG_PEEK) && blocking_stream(sn, fd, flags))
                return stream_all(sn, fd, msg, flags, false);
        return blocking(sn, fd, flags, false, attempt_recv, msg);
}

ssize_t strata_sendto(struct strata_net *sn, int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t tolen)
{
        struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
        struct msghdr msg = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
                              .msg_iov = &iov, .msg_iovlen = 1 };
        return strata_sendmsg(sn, fd, &msg, flags);
}

ssize_t strata_send(struct strata_net *sn, int fd, const void *buf, size_t len, int flags)
{
        return strata_sendto(sn, fd, buf, len, flags, NULL, 0);
}

ssize_t strata_recvfrom(struct strata_net *sn, int fd, void *buf, size_t len, int flags,
                        struct sockaddr *from, socklen_t *fromlen)
{
        struct iovec iov = { .iov_base = buf, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (from && fromlen) {
                if ((int)*fromlen < 0)
                        return -EINVAL;
                msg.msg_name = from;
                msg.msg_namelen = *fromlen;
        }
        ssize_t r = strata_recvmsg(sn, fd, &msg, flags);
        if (r >= 0 && from && fromlen)
                *fromlen = msg.msg_namelen;
        return r;
}

ssize_t strata_recv(struct strata_net *sn, int fd, void *buf, size_t len, int flags)
{
        return strata_recvfrom(sn, fd, buf, len, flags, NULL, NULL);
}

int strata_shutdown(struct strata_net *sn, int fd, int how)
{
        struct net *net = api_lock(sn);
        int r = sys_shutdown(net, fd, how);
        api_unlock(sn);
        return r;
}

int strata_close(struct strata_net *sn, int fd)
{
        struct net *net = api_lock(sn);
        int r = sys_close(net, fd);
        api_unlock(sn);
        return r;
}

int strata_getsockname(struct strata_net *sn, int fd, struct sockaddr *addr, socklen_t *len)
{
        struct net *net = api_lock(sn);
        int r = sys_getname(net, fd, addr, len, 0);
        api_unlock(sn);
        return r;
}

int strata_getpeername(struct strata_net *sn, int fd, struct sockaddr *addr, socklen_t *len)
{
        struct net *net = api_lock(sn);
        int r = sys_getname(net, fd, addr, len, 1);
        api_unlock(sn);
        return r;
}

int strata_setsockopt(struct strata_net *sn, int fd, int level, int name, const void *val,
                      socklen_t len)
{
        struct net *net = api_lock(sn);
        int r = sys_setsockopt(net, fd, level, name, val, len);
        api_unlock(sn);
        return r;
}

int strata_getsockopt(struct strata_net *sn, int fd, int level, int name, void *val,
                      socklen_t *len)
{
        struct net *net = api_lock(sn);
        int r = sys_getsockopt(net, fd, level, name, val, len);
        api_unlock(sn);
        return r;
}

int strata_fcntl(struct strata_net *sn, int fd, int cmd, long arg)
{
        struct net *net = api_lock(sn);
        int r = sys_fcntl(net, fd, cmd, arg);
        api_unlock(sn);
        return r;
}

int strata_ioctl(struct strata_net *sn, int fd, unsigned long req, void *arg)
{
        struct net *net = api_lock(sn);
        int r = sys_ioctl(net, fd, req, arg);
        api_unlock(sn);
        return r;
}

static uint64_t timeout_deadline(struct strata_net *sn, int timeout_ms)
{
        if (timeout_ms < 0)
                return NS_FOREVER;
        return deadline_after(sn, (uint64_t)timeout_ms * 1000000ull);
}

int strata_poll(struct strata_net *sn, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
        if (nfds > (nfds_t)sn->net->socks->nofile)
                return -EINVAL;
        struct net *net = api_lock(sn);
        int r = sys_poll_scan(net, fds, nfds);
        if (r == 0 && timeout_ms != 0) {
                uint64_t dl = timeout_deadline(sn, timeout_ms);
                while (r == 0) {
                        int w = wait_change(sn, dl);
                        r = sys_poll_scan(net, fds, nfds);
                        if (w < 0)
                                break;
                }
        }
        api_unlock(sn);
        return r;
}

int strata_epoll_create1(struct strata_net *sn, int flags)
{
        struct net *net = api_lock(sn);
        int r = sys_epoll_create1(net, flags);
        api_unlock(sn);
        return r;
}

int strata_epoll_ctl(struct strata_net *sn, int epfd, int op, int fd, struct epoll_event *ev)
{
        struct net *net = api_lock(sn);
        int r = sys_epoll_ctl(net, epfd, op, fd, ev);
        api_unlock(sn);
        return r;
}

int strata_epoll_wait(struct strata_net *sn, int epfd, struct epoll_event *events,
                      int maxevents, int timeout_ms)
{
        struct net *net = api_lock(sn);
        int r = sys_epoll_collect(net, epfd, events, maxevents);
        if (r == 0 && timeout_ms != 0) {
                uint64_t dl = timeout_deadline(sn, timeout_ms);
                while (r == 0) {
                        int w = wait_change(sn, dl);
                        r = sys_epoll_collect(net, epfd, events, maxevents);
                        if (w < 0)
                                break;
                }
        }
        api_unlock(sn);
        return r;
}

int strata_set_nofile(struct strata_net *sn, unsigned limit)
{
        struct net *net = api_lock(sn);
        struct sock_ns *ns = net->socks;
        int r = 0;
        for (unsigned fd = limit; fd < ns->cap; fd++)
                if (ns->files[fd])
                        r = -EINVAL;
        if (!r)
                ns->nofile = limit;
        api_unlock(sn);
        return r;
}
