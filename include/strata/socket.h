/*
 * Strata's BSD socket API.
 *
 * The calls, arguments, structures and constants are the libc ones
 * (<sys/socket.h>, <netinet/in.h>, <poll.h>, <sys/epoll.h>); each call takes
 * the namespace first, because descriptors belong to a namespace's fd table,
 * and returns what the kernel's system call returns -- the result, or a
 * negative errno where libc would return -1 and set errno:
 *
 *      int fd = strata_socket(net, AF_INET, SOCK_DGRAM, 0);   // fd >= 0 or -errno
 *      ssize_t n = strata_recvfrom(net, fd, buf, sizeof(buf), 0, sa, &salen);
 *
 * Errors are Linux's, in Linux's order of checks: EBADF for a descriptor not
 * open, ENOTSOCK for an epoll descriptor used as a socket, EAFNOSUPPORT,
 * EADDRINUSE, EDESTADDRREQ, ...  The fd table has a limit like
 * RLIMIT_NOFILE (default 1024 descriptors: 0..1023): past it, EMFILE.
 *
 * What exists today: AF_INET with SOCK_DGRAM (UDP).  SOCK_STREAM (TCP),
 * AF_INET6 and raw sockets are refused with EPROTONOSUPPORT /
 * EAFNOSUPPORT until they are built.  UDP datagrams larger than the path
 * MTU allows are refused with EMSGSIZE (Linux would fragment them;
 * fragmentation comes with the routing issue).
 *
 * Threads and blocking.  Every call may be made from any thread: it takes
 * the namespace lock.  A call that must wait (a blocking recv on an empty
 * socket, poll or epoll_wait with a timeout) waits in one of two ways:
 *  - the namespace runs on its own thread (strata_run_thread): the caller
 *    sleeps, lock released, until the socket changes or the timeout expires;
 *  - otherwise the caller drives the namespace itself while it waits: on a
 *    real clock it polls devices and timers (strata_wait/strata_poll); on a
 *    simulated clock it advances the clock to the next deadline.  A program
 *    whose namespaces share a simulated clock installs a driver that runs
 *    all of them (strata_set_driver), as the lab does.
 * Timeouts (poll, epoll_wait, SO_RCVTIMEO, SO_SNDTIMEO) are measured on the
 * namespace's clock.  Socket calls must not be made from inside Strata
 * callbacks (ping results, trace events): those run with the lock held.
 */
#ifndef STRATA_SOCKET_H
#define STRATA_SOCKET_H

#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "strata/strata.h"

#ifdef __cplusplus
extern "C" {
#endif

int strata_socket(struct strata_net *net, int domain, int type, int protocol);
int strata_bind(struct strata_net *net, int fd, const struct sockaddr *addr, socklen_t len);
int strata_connect(struct strata_net *net, int fd, const struct sockaddr *addr, socklen_t len);
int strata_listen(struct strata_net *net, int fd, int backlog);
int strata_accept(struct strata_net *net, int fd, struct sockaddr *addr, socklen_t *len);
int strata_accept4(struct strata_net *net, int fd, struct sockaddr *addr, socklen_t *len,
                   int flags);
ssize_t strata_send(struct strata_net *net, int fd, const void *buf, size_t len, int flags);
ssize_t strata_recv(struct strata_net *net, int fd, void *buf, size_t len, int flags);
ssize_t strata_sendto(struct strata_net *net, int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t tolen);
ssize_t strata_recvfrom(struct strata_net *net, int fd, void *buf, size_t len, int flags,
                        struct sockaddr *from, socklen_t *fromlen);
ssize_t strata_sendmsg(struct strata_net *net, int fd, const struct msghdr *msg, int flags);
ssize_t strata_recvmsg(struct strata_net *net, int fd, struct msghdr *msg, int flags);
/* sendfile(2) from a file of the host process (in_fd: a descriptor of the
 * process, not of the namespace) to socket out_fd: up to count bytes from
 * *offset (which moves on), or from the file's position (which moves on)
 * when offset is NULL.  Blocks as a send on out_fd would; returns the bytes
 * sent, or -errno (EBADF/EINVAL for what the file cannot do). */
ssize_t strata_sendfile(struct strata_net *net, int out_fd, int in_fd, off_t *offset,
                        size_t count);
/* splice(2) from TCP socket fd to a pipe of the host process (pipe_fd, its
 * write end): up to len bytes, as many as the pipe has room for, never past
 * urgent data (0 when that is all there is).  Blocks as a receive on fd
 * would, and for room in the pipe, unless SPLICE_F_NONBLOCK or the socket
 * is non-blocking.  -EINVAL when fd is not a stream or pipe_fd not a pipe. */
ssize_t strata_splice_read(struct strata_net *net, int fd, int pipe_fd, size_t len,
                           unsigned flags);
int strata_shutdown(struct strata_net *net, int fd, int how);
int strata_close(struct strata_net *net, int fd);
int strata_getsockname(struct strata_net *net, int fd, struct sockaddr *addr, socklen_t *len);
int strata_getpeername(struct strata_net *net, int fd, struct sockaddr *addr, socklen_t *len);
int strata_setsockopt(struct strata_net *net, int fd, int level, int name, const void *val,
                      socklen_t len);
int strata_getsockopt(struct strata_net *net, int fd, int level, int name, void *val,
                      socklen_t *len);
/* F_GETFL / F_SETFL (O_NONBLOCK), F_GETFD / F_SETFD (FD_CLOEXEC, kept for
 * the preload shim). */
int strata_fcntl(struct strata_net *net, int fd, int cmd, long arg);
/* FIONREAD (bytes of the next datagram, as Linux for UDP), FIONBIO. */
int strata_ioctl(struct strata_net *net, int fd, unsigned long req, void *arg);

/* timeout_ms as poll(2): -1 waits forever, 0 does not wait. */
int strata_poll(struct strata_net *net, struct pollfd *fds, nfds_t nfds, int timeout_ms);
int strata_epoll_create1(struct strata_net *net, int flags);
int strata_epoll_ctl(struct strata_net *net, int epfd, int op, int fd, struct epoll_event *ev);
int strata_epoll_wait(struct strata_net *net, int epfd, struct epoll_event *events,
                      int maxevents, int timeout_ms);

/* The RLIMIT_NOFILE of the namespace's fd table (default 1024).  Lowering
 * it below an open descriptor is refused with EINVAL. */
int strata_set_nofile(struct strata_net *net, unsigned limit);

/* How a caller without a namespace thread waits (see above): fn is called
 * with the namespace unlocked and must make progress until deadline_ns (on
 * the namespace clock) or until work was done, then return.  NULL restores
 * the default. */
typedef void (*strata_driver_fn)(struct strata_net *net, uint64_t deadline_ns, void *ctx);
void strata_set_driver(struct strata_net *net, strata_driver_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
