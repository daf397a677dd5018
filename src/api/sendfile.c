/*
 * sendfile(2) into a Strata socket from a file of the host process.
 *
 * Linux moves the file's pages into the socket through a pipe (splice);
 * Strata's sockets copy what they send anyway, so the file is read into a
 * bounce buffer and each piece goes through the socket's ordinary send,
 * with its blocking, its non-blocking EAGAIN and its errors.  What was
 * read but not sent is not lost: the offset (or the file position) moves
 * on by what the socket took, as Linux's does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "strata/socket.h"

#define SENDFILE_CHUNK 65536

ssize_t strata_sendfile(struct strata_net *net, int out_fd, int in_fd, off_t *offset,
                        size_t count)
{
        off_t pos;
        if (offset) {
                if (*offset < 0)
                        return -EINVAL;
                pos = *offset;
        } else {
                pos = lseek(in_fd, 0, SEEK_CUR);
                if (pos < 0)
                        return errno == EBADF ? -EBADF : -EINVAL; /* not a seekable file */
        }
        int fl = fcntl(in_fd, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY)
                return -EBADF; /* do_sendfile: in_fd must be open for reading */
        char *buf = malloc(SENDFILE_CHUNK); /* no stack or per-thread cost */
        if (!buf)
                return -ENOMEM;
        size_t total = 0;
        ssize_t err = 0;
        while (total < count) {
                size_t want = count - total < SENDFILE_CHUNK ? count - total : SENDFILE_CHUNK;
                ssize_t n = pread(in_fd, buf, want, pos);
                if (n < 0) {
                        err = errno == EISDIR ? -EINVAL : -errno;
                        break;
                }
                if (n == 0)
                        break; /* end of file */
                ssize_t s = strata_send(net, out_fd, buf, (size_t)n, MSG_NOSIGNAL);
                if (s < 0) {
                        err = s;
                        break;
                }
                total += (size_t)s;
                pos += s;
                if (s < n)
                        break; /* the socket took no more (non-blocking) */
        }
        free(buf);
        if (offset)
                *offset = pos;
        else
                lseek(in_fd, pos, SEEK_SET);
        return total ? (ssize_t)total : err;
}
