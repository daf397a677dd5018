/*
 * The client side of the control socket, for Strata's own tools (`strata
 * sysctl`, `nstat`, `trace`, `capture`): connect with a HELLO, send one
 * request datagram, walk every reply message until the server's DONE (a
 * dump's batches asked for one after another with CONTINUE); a
 * trace then reads the events the server streams.  Unmodified tools get the same
 * protocol from the preload shim instead.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>
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
                bool more = false;
                while (nlmsg_next(buf, (size_t)n, &off, &m) == 1) {
                        if (m.type == STRATA_CTL_DONE) {
                                done = true;
                                more = m.flags & NLM_F_MULTI_;
                                break;
                        }
                        if (!err)
                                err = fn(m.raw, m.len, ctx);
                }
                free(buf);
                if (done && more) {
                        /* a dump goes a batch at a time: ask for the next */
                        uint8_t h[NL_HDRLEN] = { NL_HDRLEN };
                        uint16_t type = STRATA_CTL_CONTINUE;
                        memcpy(h + 4, &type, 2);
                        if (send(fd, h, sizeof(h), MSG_NOSIGNAL) < 0)
                                return -errno;
                        continue;
                }
                if (done)
                        return err;
        }
}

/* --- trace and capture ------------------------------------------------------- */

static int obs_ack(const void *msg, size_t len, void *ctx)
{
        (void)ctx;
        const uint8_t *m = msg;
        if (len >= NL_HDRLEN + 4 && nl_rd16(m + 4) == NLMSG_ERROR_) {
                int32_t e;
                memcpy(&e, m + NL_HDRLEN, 4);
                return e; /* 0: the ACK */
        }
        return 0;
}

/* Send the message built in o (one datagram) and wait for its ACK. */
static int obs_send(int fd, struct nl_out *o)
{
        int err = o->err;
        if (!err)
                err = strata_ctl_request(fd, o->head->data, o->head->len, obs_ack, NULL);
        nl_out_free(o);
        return err;
}

int strata_ctl_capture_start(int fd, const char *dev, const char *path)
{
        struct nl_out o;
        nl_out_init(&o, 0);
        nlmsg_begin(&o, STRATA_CAPTURE_START, NLM_F_REQUEST_ | NLM_F_ACK_, 1);
        nla_put_str(&o, STRATA_OBS_A_DEV, dev);
        nla_put_str(&o, STRATA_OBS_A_PATH, path);
        nlmsg_end(&o);
        return obs_send(fd, &o);
}

int strata_ctl_capture_stop(int fd, const char *dev)
{
        struct nl_out o;
        nl_out_init(&o, 0);
        nlmsg_begin(&o, STRATA_CAPTURE_STOP, NLM_F_REQUEST_ | NLM_F_ACK_, 2);
        nla_put_str(&o, STRATA_OBS_A_DEV, dev);
        nlmsg_end(&o);
        return obs_send(fd, &o);
}

/* One STRATA_TRACE_EVENT to fn. */
static void trace_event(const struct nl_msg *m, strata_trace_fn fn, void *ctx)
{
        struct nl_attr tb[STRATA_OBS_A_MAX + 1];
        if (nla_parse(tb, STRATA_OBS_A_MAX, m->payload, m->payload_len))
                return;
        char netns[64] = "", dev[64] = "", layer[64] = "", drop[64] = "", where[64] = "",
             msg[256] = "";
        struct strata_trace_event ev = { 0 };
        nla_get_u32(&tb[STRATA_OBS_A_ID], &ev.id);
        if (tb[STRATA_OBS_A_TIME].len == 8)
                memcpy(&ev.time_ns, tb[STRATA_OBS_A_TIME].data, 8);
        nla_get_str(&tb[STRATA_OBS_A_NETNS], netns, sizeof(netns));
        nla_get_str(&tb[STRATA_OBS_A_LAYER], layer, sizeof(layer));
        nla_get_str(&tb[STRATA_OBS_A_WHERE], where, sizeof(where));
        nla_get_str(&tb[STRATA_OBS_A_MSG], msg, sizeof(msg));
        ev.netns = netns;
        ev.layer = layer;
        ev.where = where;
        ev.msg = msg;
        if (tb[STRATA_OBS_A_DEV].data && !nla_get_str(&tb[STRATA_OBS_A_DEV], dev, sizeof(dev)))
                ev.dev = dev;
        if (tb[STRATA_OBS_A_DROP].data && !nla_get_str(&tb[STRATA_OBS_A_DROP], drop, sizeof(drop)))
                ev.drop_reason = drop;
        fn(&ev, ctx);
}

int strata_ctl_trace(int fd, unsigned packets, const struct strata_trace_filter *f,
                     long duration_ms, strata_trace_fn fn, void *ctx)
{
        struct nl_out o;
        nl_out_init(&o, 0);
        nlmsg_begin(&o, STRATA_TRACE_START, NLM_F_REQUEST_ | NLM_F_ACK_, 1);
        nla_put_u32(&o, STRATA_OBS_A_PACKETS, packets);
        if (f && f->proto)
                nla_put_u8(&o, STRATA_OBS_A_PROTO, f->proto);
        if (f && f->addr)
                nla_put_in_addr(&o, STRATA_OBS_A_ADDR, f->addr);
        if (f && f->port)
                nla_put_u16(&o, STRATA_OBS_A_PORT, f->port);
        nlmsg_end(&o);
        int err = obs_send(fd, &o);
        if (err)
                return err;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        uint8_t *buf = malloc(65536);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                int wait = -1;
                if (duration_ms >= 0) {
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long gone = (now.tv_sec - t0.tv_sec) * 1000 +
                                    (now.tv_nsec - t0.tv_nsec) / 1000000;
                        if (gone >= duration_ms)
                                break;
                        wait = (int)(duration_ms - gone);
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, wait);
                if (r < 0) {
                        if (errno != EINTR)
                                err = -errno;
                        break; /* a signal: the user stops the trace */
                }
                if (r == 0)
                        continue;
                ssize_t n = recv(fd, buf, 65536, 0);
                if (n <= 0) {
                        err = n == 0 ? -ECONNRESET : errno == EINTR ? 0 : -errno;
                        break;
                }
                size_t off = 0;
                struct nl_msg m;
                while (nlmsg_next(buf, (size_t)n, &off, &m) == 1)
                        if (m.type == STRATA_TRACE_EVENT)
                                trace_event(&m, fn, ctx);
        }
        free(buf);
        if (err != -ECONNRESET) {
                nl_out_init(&o, 0);
                nlmsg_begin(&o, STRATA_TRACE_STOP, NLM_F_REQUEST_ | NLM_F_ACK_, 2);
                nlmsg_end(&o);
                int e = obs_send(fd, &o);
                if (!err)
                        err = e;
        }
        return err;
}
