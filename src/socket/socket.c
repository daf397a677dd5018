/*
 * The socket calls on a namespace's descriptors (see socket.h): descriptor
 * lookup, inet-level argument checks in the kernel's order, and dispatch to
 * the protocol.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ipv4/ipv4.h"
#include "socket/epoll.h"
#include "socket/errqueue.h"
#include "socket/socket.h"
#include "transport/tcp.h"
#include "transport/udp.h"

#define UIO_MAXIOV 1024

static struct file *file_of(struct net *net, int fd, int *err)
{
        struct file *f = fd_get(net, fd);
        if (!f)
                *err = -EBADF;
        return f;
}

/* sockfd_lookup: EBADF, or ENOTSOCK for a descriptor that is no socket. */
static struct sock *sock_of(struct net *net, int fd, int *err)
{
        struct file *f = file_of(net, fd, err);
        if (!f)
                return NULL;
        if (f->kind != FILE_SOCKET) {
                *err = -ENOTSOCK;
                return NULL;
        }
        return f->sk;
}

int sys_socket(struct net *net, int domain, int type, int protocol)
{
        int flags = type & ~0xf;
        if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
                return -EINVAL;
        type &= 0xf;
        if (domain < 0 || domain >= AF_MAX)
                return -EAFNOSUPPORT;
        if (type < 0 || type > SOCK_PACKET)
                return -EINVAL;
        if (protocol < 0 || protocol >= IPPROTO_MAX)
                return -EINVAL;
        if (domain != AF_INET)
                return -EAFNOSUPPORT; /* AF_INET6 comes with IPv6 */
        const struct proto *prot = NULL;
        switch (type) {
        case SOCK_DGRAM:
                if (protocol == 0 || protocol == IPPROTO_UDP)
                        prot = &udp_prot;
                else
                        return -EPROTONOSUPPORT;
                protocol = IPPROTO_UDP;
                break;
        case SOCK_STREAM:
                if (protocol != 0 && protocol != IPPROTO_TCP)
                        return -EPROTONOSUPPORT;
                prot = &tcp_prot;
                protocol = IPPROTO_TCP;
                break;
        case SOCK_RAW:
                return -EPROTONOSUPPORT; /* raw sockets are not built yet */
        default:
                return -ESOCKTNOSUPPORT;
        }
        int err = -EBADF;
        struct sock *sk = sk_alloc(net, domain, type, protocol, prot, &err);
        if (!sk)
                return err;
        /* inet_create: DF unless net.ipv4.ip_no_pmtu_disc says otherwise */
        sk->pmtudisc = ipv4_of(net)->ip_no_pmtu_disc ? IP_PMTUDISC_DONT : IP_PMTUDISC_WANT;
        struct file *f = calloc(1, sizeof(*f));
        if (!f) {
                sock_put(sk);
                return -ENOMEM;
        }
        f->kind = FILE_SOCKET;
        f->sk = sk;
        f->flags = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
        f->fd_flags = (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0;
        int fd = fd_install(net, f);
        if (fd < 0) {
                sk->prot->close(sk);
                sock_put(sk);
                free(f);
        }
        return fd;
}

int sys_bind(struct net *net, int fd, const struct sockaddr *addr, socklen_t len)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        struct sockaddr_in sin;
        if (len > sizeof(struct sockaddr_storage))
                return -EINVAL; /* move_addr_to_kernel */
        if (len < (socklen_t)sizeof(sin) || !addr)
                return -EINVAL;
        memcpy(&sin, addr, sizeof(sin));
        if (sin.sin_family != AF_INET) {
                /* inet_bind: AF_UNSPEC is accepted as AF_INET only with
                 * INADDR_ANY */
                if (sin.sin_family != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY))
                        return -EAFNOSUPPORT;
        }
        return sk->prot->bind(sk, ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
}

int sys_connect(struct net *net, int fd, const struct sockaddr *addr, socklen_t len)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if (len > sizeof(struct sockaddr_storage))
                return -EINVAL;
        if (!addr || len < (socklen_t)sizeof(sa_family_t))
                return -EINVAL;
        sa_family_t fam;
        memcpy(&fam, addr, sizeof(fam));
        if (fam == AF_UNSPEC)
                return sk->prot->disconnect(sk);
        /* inet_dgram_connect binds first: a connect that fails on its
         * address below still leaves the socket bound */
        if (!sk->num && sk->prot->autobind && sk->prot->autobind(sk))
                return -EAGAIN;
        struct sockaddr_in sin;
        if (len < (socklen_t)sizeof(sin))
                return -EINVAL;
        memcpy(&sin, addr, sizeof(sin));
        if (sin.sin_family != AF_INET)
                return -EAFNOSUPPORT;
        return sk->prot->connect(sk, ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
}

int sys_listen(struct net *net, int fd, int backlog)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if (!sk->prot->listen)
                return -EOPNOTSUPP; /* datagram sockets do not listen */
        return sk->prot->listen(sk, backlog);
}

int sys_accept4(struct net *net, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
        int err = -EBADF;
        if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
                return -EINVAL;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if (!sk->prot->accept)
                return -EOPNOTSUPP;
        if (len && (int)*len < 0)
                return -EINVAL;
        struct sock *c = sk->prot->accept(sk, &err);
        if (!c)
                return err;
        struct file *f = calloc(1, sizeof(*f));
        if (!f) {
                sk->prot->close(c);
                sock_put(c);
                return -ENOMEM;
        }
        f->kind = FILE_SOCKET;
        f->sk = c;
        f->flags = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
        f->fd_flags = (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0;
        int nfd = fd_install(net, f);
        if (nfd < 0) {
                /* EMFILE: the connection is lost, as on Linux after the
                 * handshake completed (the seed's busy server) */
                c->prot->close(c);
                sock_put(c);
                free(f);
                return nfd;
        }
        if (addr && len) {
                struct sockaddr_in sin = { .sin_family = AF_INET,
                                           .sin_port = htons(c->dport),
                                           .sin_addr.s_addr = htonl(c->daddr) };
                size_t n = *len < sizeof(sin) ? *len : sizeof(sin);
                memcpy(addr, &sin, n);
                *len = sizeof(sin);
        }
        return nfd;
}

static ssize_t iov_total(const struct msghdr *msg)
{
        if (msg->msg_iovlen > UIO_MAXIOV)
                return -EMSGSIZE;
        size_t total = 0;
        for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
                if (msg->msg_iov[i].iov_len > (size_t)SSIZE_MAX - total)
                        return -EINVAL;
                total += msg->msg_iov[i].iov_len;
        }
        return (ssize_t)total;
}

ssize_t sys_sendmsg(struct net *net, int fd, const struct msghdr *msg, int flags)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if (msg->msg_name && msg->msg_namelen > sizeof(struct sockaddr_storage))
                return -EINVAL;
        ssize_t len = iov_total(msg);
        if (len < 0)
                return len;
        /* inet_send_prepare: autobind before the protocol looks at anything */
        if (!sk->num && sk->prot->autobind && sk->prot->autobind(sk))
                return -EAGAIN;
        /* __sys_sendmsg: a non-blocking descriptor sends with MSG_DONTWAIT */
        struct file *f = fd_get(net, fd);
        if (f && (f->flags & O_NONBLOCK))
                flags |= MSG_DONTWAIT;
        return sk->prot->sendmsg(sk, msg, (size_t)len, flags);
}

ssize_t sys_recvmsg(struct net *net, int fd, struct msghdr *msg, int flags)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        ssize_t len = iov_total(msg);
        if (len < 0)
                return len;
        if ((flags & MSG_OOB) && sk->type != SOCK_STREAM)
                return -EOPNOTSUPP; /* urgent data is TCP's (tcp_urg.c) */
        /* ____sys_recvmsg: the protocol writes the source into kernel
         * storage (length 0 when it writes none); what fits is copied out
         * and msg_namelen reports the full length */
        struct sockaddr_storage kaddr;
        void *uname = msg->msg_name;
        socklen_t ulen = msg->msg_namelen;
        if (uname && (int)ulen < 0)
                return -EINVAL;
        msg->msg_name = uname ? &kaddr : NULL;
        msg->msg_namelen = 0;
        /* MSG_ERRQUEUE: the error queue, whatever the protocol (ip_recv_error) */
        ssize_t r = (flags & MSG_ERRQUEUE) ? sock_recv_errqueue(sk, msg, (size_t)len)
                                           : sk->prot->recvmsg(sk, msg, (size_t)len, flags);
        socklen_t klen = msg->msg_namelen;
        msg->msg_name = uname;
        if (!uname) {
                msg->msg_namelen = ulen;
        } else if (r >= 0) {
                memcpy(uname, &kaddr, ulen < klen ? ulen : klen);
                msg->msg_namelen = klen;
        } else {
                msg->msg_namelen = ulen;
        }
        return r;
}

ssize_t sys_read_sock(struct net *net, int fd, void *buf, size_t len, int flags)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if (!sk->prot->read_sock)
                return -EINVAL; /* splice needs a stream to read */
        struct file *f = fd_get(net, fd);
        bool nonblock = (flags & MSG_DONTWAIT) || (f && (f->flags & O_NONBLOCK));
        return sk->prot->read_sock(sk, buf, len, nonblock);
}

int sys_connect_done(struct net *net, int fd, int *result)
{
        struct file *f = fd_get(net, fd);
        if (!f || f->kind != FILE_SOCKET || !f->sk->prot->connect_done) {
                *result = -EBADF;
                return 1;
        }
        return f->sk->prot->connect_done(f->sk, result);
}

int sys_sock_type(struct net *net, int fd)
{
        struct file *f = fd_get(net, fd);
        return f && f->kind == FILE_SOCKET ? f->sk->type : -ENOTSOCK;
}

int sys_rcv_shutdown(struct net *net, int fd)
{
        struct file *f = fd_get(net, fd);
        return f && f->kind == FILE_SOCKET && (f->sk->shutdown & RCV_SHUTDOWN);
}

int sys_shutdown(struct net *net, int fd, int how)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        /* inet_shutdown: SHUT_RD/WR/RDWR become RCV/SEND bits */
        how++;
        if ((how & ~(RCV_SHUTDOWN | SEND_SHUTDOWN)) || !how)
                return -EINVAL;
        err = (sk->state == TCP_CLOSE || sk->state == TCP_LISTEN) ? -ENOTCONN : 0;
        if (sk->state == TCP_LISTEN && (how & RCV_SHUTDOWN) && sk->prot->listen) {
                /* shutting a listener's reading side stops it */
                sk->prot->close(sk);
                err = 0;
        }
        /* set even when unconnected, as Linux does ("to wake up other
         * listeners who can poll for EPOLLHUP") */
        sk->shutdown |= (uint8_t)how;
        if (!err && sk->prot->shutdown)
                sk->prot->shutdown(sk, how);
        sock_wake(sk);
        return err;
}

int sock_file_close(struct net *net, int fd)
{
        struct file *f = fd_get(net, fd);
        if (!f)
                return -EBADF;
        fd_release(net, fd);
        if (f->kind == FILE_SOCKET) {
                struct sock *sk = f->sk;
                if (sk->epitems)
                        ep_sock_closed(sk, fd);
                sk->prot->close(sk);
                sock_wake(sk);
                atomic_store(&sk->dead, true); /* no more wakes from skb destructors */
                sock_put(sk);
        } else {
                ep_free(f->ep);
        }
        free(f);
        return 0;
}

int sys_close(struct net *net, int fd)
{
        return sock_file_close(net, fd);
}

/* move_addr_to_user: copy what fits, report the full length. */
static int put_addr(const void *kaddr, socklen_t klen, struct sockaddr *uaddr, socklen_t *ulen)
{
        if (!ulen)
                return -EFAULT;
        if ((int)*ulen < 0)
                return -EINVAL;
        size_t n = *ulen < klen ? *ulen : klen;
        if (n && uaddr)
                memcpy(uaddr, kaddr, n);
        *ulen = klen;
        return 0;
}

int sys_getname(struct net *net, int fd, struct sockaddr *addr, socklen_t *len, int peer)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        struct sockaddr_in sin = { .sin_family = AF_INET };
        if (peer) {
                if (!sk->dport || sk->state == TCP_CLOSE)
                        return -ENOTCONN;
                sin.sin_port = htons(sk->dport);
                sin.sin_addr.s_addr = htonl(sk->daddr);
        } else {
                uint32_t a = sk->rcv_saddr ? sk->rcv_saddr : sk->saddr;
                sin.sin_port = htons(sk->num);
                sin.sin_addr.s_addr = htonl(a);
        }
        return put_addr(&sin, sizeof(sin), addr, len);
}

int sys_setsockopt(struct net *net, int fd, int level, int name, const void *val,
                   socklen_t len)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if ((int)len < 0)
                return -EINVAL;
        if (!val && len)
                return -EFAULT;
        if (level == SOL_SOCKET)
                return sock_setsockopt(sk, name, val, len);
        return sk->prot->setsockopt(sk, level, name, val, len);
}

int sys_getsockopt(struct net *net, int fd, int level, int name, void *val, socklen_t *len)
{
        int err = -EBADF;
        struct sock *sk = sock_of(net, fd, &err);
        if (!sk)
                return err;
        if (!len)
                return -EFAULT;
        if ((int)*len < 0)
                return -EINVAL;
        if (level == SOL_SOCKET)
                return sock_getsockopt(sk, name, val, len);
        return sk->prot->getsockopt(sk, level, name, val, len);
}

int sys_fcntl(struct net *net, int fd, int cmd, long arg)
{
        int err = -EBADF;
        struct file *f = file_of(net, fd, &err);
        if (!f)
                return err;
        switch (cmd) {
        case F_GETFL:
                return O_RDWR | (int)(f->flags & O_NONBLOCK);
        case F_SETFL:
                f->flags = (unsigned)(arg & O_NONBLOCK);
                return 0;
        case F_GETFD:
                return (int)f->fd_flags;
        case F_SETFD:
                f->fd_flags = (unsigned)(arg & FD_CLOEXEC);
                return 0;
        default:
                return -EINVAL;
        }
}

int sys_ioctl(struct net *net, int fd, unsigned long req, void *arg)
{
        int err = -EBADF;
        struct file *f = file_of(net, fd, &err);
        if (!f)
                return err;
        if (req == FIONBIO) {
                int on;
                memcpy(&on, arg, sizeof(on));
                if (on)
                        f->flags |= O_NONBLOCK;
                else
                        f->flags &= ~(unsigned)O_NONBLOCK;
                return 0;
        }
        if (f->kind != FILE_SOCKET)
                return -ENOTTY;
        if (f->sk->prot->ioctl) {
                int v = 0;
                int r = f->sk->prot->ioctl(f->sk, req, &v);
                if (r != -ENOIOCTLCMD) {
                        if (!r)
                                memcpy(arg, &v, sizeof(v));
                        return r;
                }
        }
        if (req == FIONREAD) {
                int n = f->sk->prot->bytes_readable(f->sk);
                memcpy(arg, &n, sizeof(n));
                return 0;
        }
        return -ENOTTY;
}

int sys_poll_scan(struct net *net, struct pollfd *fds, nfds_t nfds)
{
        int ready = 0;
        for (nfds_t i = 0; i < nfds; i++) {
                fds[i].revents = 0;
                if (fds[i].fd < 0)
                        continue;
                struct file *f = fd_get(net, fds[i].fd);
                if (!f) {
                        fds[i].revents = POLLNVAL;
                } else if (f->kind == FILE_SOCKET) {
                        unsigned m = sock_poll_mask(f->sk);
                        fds[i].revents =
                                (short)(m & ((unsigned)(unsigned short)fds[i].events | POLLERR |
                                             POLLHUP | POLLNVAL));
                } else {
                        fds[i].revents = (short)(ep_poll_mask(f->ep) &
                                                 (unsigned)(unsigned short)fds[i].events);
                }
                if (fds[i].revents)
                        ready++;
        }
        return ready;
}

int sys_epoll_create1(struct net *net, int flags)
{
        if (flags & ~EPOLL_CLOEXEC)
                return -EINVAL;
        struct file *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->kind = FILE_EPOLL;
        f->ep = ep_create(net);
        f->fd_flags = (flags & EPOLL_CLOEXEC) ? FD_CLOEXEC : 0;
        if (!f->ep) {
                free(f);
                return -ENOMEM;
        }
        int fd = fd_install(net, f);
        if (fd < 0) {
                ep_free(f->ep);
                free(f);
        }
        return fd;
}

int sys_epoll_ctl(struct net *net, int epfd, int op, int fd, struct epoll_event *ev)
{
        int err = -EBADF;
        struct file *ef = file_of(net, epfd, &err);
        if (!ef)
                return err;
        struct file *tf = file_of(net, fd, &err);
        if (!tf)
                return err;
        if (op != EPOLL_CTL_DEL && !ev)
                return -EFAULT;
        if (ef->kind != FILE_EPOLL || epfd == fd)
                return -EINVAL;
        if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
                return -EINVAL;
        if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE)) {
                /* EPOLLEXCLUSIVE: ADD only, with in/out/err/hup/ET bits only */
                uint32_t ok = EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM |
                              EPOLLWRBAND | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET |
                              EPOLLEXCLUSIVE;
                if (op == EPOLL_CTL_MOD || (ev->events & ~ok) || tf->kind == FILE_EPOLL)
                        return -EINVAL;
        }
        return ep_ctl(ef->ep, op, fd, tf->kind == FILE_SOCKET ? tf->sk : NULL,
                      tf->kind == FILE_EPOLL ? tf->ep : NULL, ev);
}

int sys_epoll_collect(struct net *net, int epfd, struct epoll_event *events, int maxevents)
{
        int err = -EBADF;
        if (maxevents <= 0 || maxevents > INT32_MAX / (int)sizeof(struct epoll_event))
                return -EINVAL;
        struct file *f = file_of(net, epfd, &err);
        if (!f)
                return err;
        if (f->kind != FILE_EPOLL)
                return -EINVAL;
        return ep_collect(f->ep, events, maxevents);
}

int sys_nonblocking(struct net *net, int fd)
{
        int err = -EBADF;
        struct file *f = file_of(net, fd, &err);
        if (!f)
                return err;
        return (f->flags & O_NONBLOCK) != 0;
}

uint64_t sys_timeo(struct net *net, int fd, bool send)
{
        struct file *f = fd_get(net, fd);
        if (!f || f->kind != FILE_SOCKET)
                return 0;
        return send ? f->sk->sndtimeo : f->sk->rcvtimeo;
}
