/*
 * The client side of the control socket, for Strata's own tools (`strata
 * sysctl`): connect with a HELLO, send one request datagram, walk every
 * reply message until the server's DONE.  Unmodified tools get the same
 * protocol from the preload shim instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/nlmsg.h"
#include "strata/ctl.h"

int strata_ctl_connect(const char *path, int protocol, uint32_t portid)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        uint8_t h[NL_HDRLEN + 8] = { 0 };
        uint32_t len = sizeof(h), proto = (uint32_t)protocol;
        uint16_t type = STRATA_CTL_HELLO, flags = NLM_F_REQUEST_;
        memcpy(h, &len, 4);
        memcpy(h + 4, &type, 2);
        memcpy(h + 6, &flags, 2);
        memcpy(h + 16, &portid, 4);
        memcpy(h + 20, &proto, 4);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            send(fd, h, sizeof(h), MSG_NOSIGNAL) < 0) {
                int err = -errno;
                close(fd);
                return err;
        }
        return fd;
}

int strata_ctl_request(int fd, const void *req, size_t len, strata_ctl_msg_fn fn, void *ctx)
{
        if (send(fd, req, len, MSG_NOSIGNAL) < 0)
                return -errno;
        int err = 0;
        for (;;) {
                ssize_t n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
                if (n <= 0)
                        return n == 0 ? -ECONNRESET : -errno;
                uint8_t *buf = malloc((size_t)n);
                if (!buf)
                        return -ENOMEM;
                n = recv(fd, buf, (size_t)n, 0);
                if (n < 0) {
                        free(buf);
                        return -errno;
                }
                size_t off = 0;
                struct nl_msg m;
                bool done = false;
                while (nlmsg_next(buf, (size_t)n, &off, &m) == 1) {
                        if (m.type == STRATA_CTL_DONE) {
                                done = true;
                                break;
                        }
                        if (!err)
                                err = fn(m.raw, m.len, ctx);
                }
                free(buf);
                if (done)
                        return err;
        }
}
