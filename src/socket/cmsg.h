/*
 * Ancillary data handed back by recvmsg (Linux's put_cmsg): a writer that
 * fills the caller's msg_control in order, and when the room runs out,
 * stops and says so with MSG_CTRUNC, as the kernel does.
 */
#ifndef STRATA_SOCKET_CMSG_H
#define STRATA_SOCKET_CMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct cmsg_writer {
        struct msghdr *msg;
        size_t used;
        bool trunc;
};

void cmsg_begin(struct cmsg_writer *w, struct msghdr *msg);
void cmsg_put(struct cmsg_writer *w, int level, int type, const void *data, size_t len);
/* msg_controllen = what was written; MSG_CTRUNC if something did not fit */
void cmsg_end(struct cmsg_writer *w);

#endif
