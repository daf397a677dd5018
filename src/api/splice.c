/*
 * splice(2) from a Strata TCP socket into a pipe of the host process.
 *
 * Linux moves the socket's pages into the pipe (tcp_splice_read); here the
 * bytes are copied, taking no more than the pipe has room for, so nothing
 * read from the socket is ever left without a place to go.  The socket
 * side is the protocol's read_sock (tcp_urg.c: it stops at urgent data),
 * waited on like a receive.  One difference remains: a write to a pipe
 * whose reader has gone fails (EPIPE) after the bytes left the socket,
 * where Linux's splice moves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "socket/socket.h"
#include "strata/socket.h"

#define SPLICE_CHUNK 65536

struct splice_arg {
        void *buf;
        size_t len;
};

static ssize_t attempt_read(struct net *net, int fd, void *arg, int flags)
{
        struct splice_arg *a = arg;
        return sys_read_sock(net, fd, a->buf, a->len, flags);
}

/* Room in the pipe; 0 when full. */
static ssize_t pipe_room(int pfd)
{
        int size = fcntl(pfd, F_GETPIPE_SZ), used = 0;
        if (size < 0 || ioctl(pfd, FIONREAD, &used) < 0)
                return -EINVAL;
        return size > used ? size - used : 0;
}

ssize_t strata_splice_read(struct strata_net *net, int fd, int pipe_fd, size_t len,
                           unsigned flags)
{
        struct stat st;
        if (fstat(pipe_fd, &st) < 0)
                return -EBADF;
        int fl = fcntl(pipe_fd, F_GETFL);
        if (!S_ISFIFO(st.st_mode) || fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
                return -EINVAL; /* splice: one end must be a pipe, open for writing */
        if (flags & ~(unsigned)(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE |
                                SPLICE_F_GIFT))
                return -EINVAL;
        bool nonblock = flags & SPLICE_F_NONBLOCK;
        if (!len)
                return 0;
        ssize_t room;
        while ((room = pipe_room(pipe_fd)) == 0) {
                if (nonblock)
                        return -EAGAIN;
                struct pollfd p = { .fd = pipe_fd, .events = POLLOUT };
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return -errno;
        }
        if (room < 0)
                return room;
        size_t want = len < (size_t)room ? len : (size_t)room;
        if (want > SPLICE_CHUNK)
                want = SPLICE_CHUNK;
        char *buf = malloc(want);
        if (!buf)
                return -ENOMEM;
        struct splice_arg a = { buf, want };
        ssize_t n = api_blocking(net, fd, nonblock ? MSG_DONTWAIT : 0, false, attempt_read, &a);
        if (n > 0) {
                /* the room was there: the write takes it all */
                ssize_t w = write(pipe_fd, buf, (size_t)n);
                n = w < 0 ? -errno : w;
        }
        free(buf);
        return n;
}
