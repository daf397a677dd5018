/*
 * The socket system calls, without waiting: each returns what the kernel's
 * call returns (result or -errno) or -EAGAIN where the blocking version
 * would sleep; src/api/socket_api.c takes the namespace lock around them
 * and does the waiting.  inet-level argument checks (inet_bind,
 * inet_dgram_connect, inet_shutdown, inet_getname) live here, protocol
 * work in struct proto.
 */
#ifndef STRATA_SOCKET_SOCKET_H
#define STRATA_SOCKET_SOCKET_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/net.h"
#include "socket/sockns.h"

int sys_socket(struct net *net, int domain, int type, int protocol);
int sys_bind(struct net *net, int fd, const struct sockaddr *addr, socklen_t len);
int sys_connect(struct net *net, int fd, const struct sockaddr *addr, socklen_t len);
int sys_listen(struct net *net, int fd, int backlog);
int sys_accept4(struct net *net, int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t sys_sendmsg(struct net *net, int fd, const struct msghdr *msg, int flags);
ssize_t sys_recvmsg(struct net *net, int fd, struct msghdr *msg, int flags);
/* splice's read of a stream socket (proto read_sock): up to len bytes into
 * buf; MSG_DONTWAIT or O_NONBLOCK: do not wait. -EINVAL for others. */
ssize_t sys_read_sock(struct net *net, int fd, void *buf, size_t len, int flags);
int sys_shutdown(struct net *net, int fd, int how);
int sys_close(struct net *net, int fd);
int sys_getname(struct net *net, int fd, struct sockaddr *addr, socklen_t *len, int peer);
int sys_setsockopt(struct net *net, int fd, int level, int name, const void *val,
                   socklen_t len);
int sys_getsockopt(struct net *net, int fd, int level, int name, void *val, socklen_t *len);
int sys_fcntl(struct net *net, int fd, int cmd, long arg);
int sys_ioctl(struct net *net, int fd, unsigned long req, void *arg);
/* poll(2) without waiting: fills revents, returns how many are ready. */
int sys_poll_scan(struct net *net, struct pollfd *fds, nfds_t nfds);
int sys_epoll_create1(struct net *net, int flags);
int sys_epoll_ctl(struct net *net, int epfd, int op, int fd, struct epoll_event *ev);
/* epoll_wait without waiting. */
int sys_epoll_collect(struct net *net, int epfd, struct epoll_event *events, int maxevents);

/* Is a stream connect over (1, *result 0 or -errno) or still going (0)? */
int sys_connect_done(struct net *net, int fd, int *result);
/* SOCK_STREAM, SOCK_DGRAM, or -ENOTSOCK / -EBADF. */
int sys_sock_type(struct net *net, int fd);
/* Has the socket's receive side been shut down?  (waiting recv answers 0) */
int sys_rcv_shutdown(struct net *net, int fd);
/* Is the descriptor non-blocking?  (-EBADF: not open) */
int sys_nonblocking(struct net *net, int fd);
/* The socket's SO_RCVTIMEO / SO_SNDTIMEO in ns (0: none), or 0. */
uint64_t sys_timeo(struct net *net, int fd, bool send);

#endif
