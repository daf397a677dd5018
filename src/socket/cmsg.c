/* put_cmsg for Strata's sockets: see cmsg.h. */
#include "socket/cmsg.h"

#include <string.h>

void cmsg_begin(struct cmsg_writer *w, struct msghdr *msg)
{
        w->msg = msg;
        w->used = 0;
        w->trunc = false;
}

void cmsg_put(struct cmsg_writer *w, int level, int type, const void *data, size_t len)
{
        struct msghdr *msg = w->msg;
        if (w->trunc || !msg->msg_control || w->used + CMSG_SPACE(len) > msg->msg_controllen) {
                w->trunc = true;
                return;
        }
        struct cmsghdr *c = (struct cmsghdr *)((char *)msg->msg_control + w->used);
        c->cmsg_level = level;
        c->cmsg_type = type;
        c->cmsg_len = CMSG_LEN(len);
        memcpy(CMSG_DATA(c), data, len);
        w->used += CMSG_SPACE(len);
}

void cmsg_end(struct cmsg_writer *w)
{
        w->msg->msg_controllen = w->used;
        if (w->trunc)
                w->msg->msg_flags |= MSG_CTRUNC;
}
