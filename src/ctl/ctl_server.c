/*
 * The control socket server: AF_UNIX SOCK_SEQPACKET, one datagram per
 * request, replies through strata_ctl_handle, each batch closed by
 * STRATA_CTL_DONE (see include/strata/ctl.h).
 *
 * One thread serves every client in turn with poll(): requests are short
 * and the namespace lock serialises them anyway.  Safety: the socket is
 * created 0600 (umask around bind, then chmod), and every accepted client
 * is checked with SO_PEERCRED -- the server's uid or root (or, when the
 * socket is shared with a group, 0660, a member of it), else closed.
 * Requests are bounded (NL_REQ_MAX); a larger one is answered -EMSGSIZE.
 * A client that stops reading is dropped after a send timeout instead of
 * stalling everyone else.
 *
 * Notifications: the namespace's changes arrive through
 * strata_ctl_notify_start on whichever thread made them; they are queued
 * (events, under evlock, at most CTL_MAX_EVENTS) and an eventfd wakes the
 * poll loop, which sends each to the clients whose GROUPS include its
 * group -- without waiting: a client whose buffer is full misses it, as
 * a kernel listener gets ENOBUFS.  The queue is also flushed before any
 * reply is sent, so a change's notification goes out before its ACK.
 * The same queue carries trace events to the one client tracing
 * (ctl_observe.c), addressed by the client's serial number.
 *
 * Dumps go a batch at a time (ctl_handle_batch): the first batch, then a
 * DONE flagged NLM_F_MULTI ("more"); the request waits in the client's
 * cursor (a copy of its datagram, nothing else) until the client sends
 * CONTINUE for the next batch, as a kernel dump continues when recvmsg
 * has drained the socket.  Memory per client stays one request and one
 * batch, however large the table.  A new request abandons a dump the
 * client stopped reading, as does a hang-up.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl_observe.h"
#include "ctl/nlmsg.h"
#include "ctl/ctl_batch.h"
#include "strata/ctl.h"

#define CTL_MAX_CLIENTS 256
#define CTL_MAX_EVENTS  4096

struct ctl_client {
        int fd;
        bool hello;      /* HELLO seen */
        uint64_t groups; /* bit g-1: multicast group g (GROUPS) */
        uint64_t serial; /* names the client for ctl_observe */
        struct strata_ctl_client who;
        struct ctl_cursor dump; /* a dump under way: req is an owned copy */
};

struct ctl_event {
        struct ctl_event *next;
        uint64_t to; /* one client's serial, or 0: rtnetlink group */
        unsigned group;
        size_t len;
        uint8_t data[];
};

struct strata_ctl_server {
        struct strata_net *net;
        int lfd;
        char path[108];
        struct ctl_client clients[CTL_MAX_CLIENTS];
        int nclients;
        uint8_t *buf; /* NL_REQ_MAX + 1 */
        int evfd;     /* eventfd: notifications queued */
        pthread_mutex_t evlock;
        struct ctl_event *ev_head, *ev_tail; /* guarded by evlock */
        int nevents;                         /* guarded by evlock */
        uint64_t next_serial;
        struct ctl_observe *obs;
        bool shared;  /* --group: members of gid may connect */
        unsigned gid;
};

static void queue_dgram(struct strata_ctl_server *s, uint64_t to, unsigned group,
                        const void *dgram, size_t len)
{
        struct ctl_event *e = malloc(sizeof(*e) + len);
        if (!e)
                return;
        e->next = NULL;
        e->to = to;
        e->group = group;
        e->len = len;
        memcpy(e->data, dgram, len);
        pthread_mutex_lock(&s->evlock);
        if (s->nevents == CTL_MAX_EVENTS) {
                free(e); /* nobody has read for a long while: drop */
        } else {
                if (s->ev_tail)
                        s->ev_tail->next = e;
                else
                        s->ev_head = e;
                s->ev_tail = e;
                s->nevents++;
        }
        pthread_mutex_unlock(&s->evlock);
        uint64_t one = 1;
        if (write(s->evfd, &one, sizeof(one)) < 0) {
                /* the counter is saturated: the loop is awake anyway */
        }
}

/* strata_ctl_notify_fn: queue one notification (namespace locked). */
static void queue_event(unsigned group, const void *dgram, size_t len, void *ctx)
{
        queue_dgram(ctx, 0, group, dgram, len);
}

/* ctl_send_to_fn: a trace event for one client. */
static void queue_to(uint64_t to, const void *dgram, size_t len, void *ctx)
{
        queue_dgram(ctx, to, 0, dgram, len);
}

/* Send every queued notification to the clients subscribed to it. */
static void flush_events(struct strata_ctl_server *s)
{
        pthread_mutex_lock(&s->evlock);
        struct ctl_event *e = s->ev_head;
        s->ev_head = s->ev_tail = NULL;
        s->nevents = 0;
        pthread_mutex_unlock(&s->evlock);
        while (e) {
                struct ctl_event *next = e->next;
                uint64_t bit = e->group >= 1 && e->group <= 64 ? 1ull << (e->group - 1) : 0;
                for (int i = 0; i < s->nclients; i++) {
                        struct ctl_client *c = &s->clients[i];
                        bool want = e->to ? c->serial == e->to
                                          : (c->groups & bit) && c->who.protocol == 0;
                        if (want &&
                            send(c->fd, e->data, e->len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                                /* full or gone: this client misses it */
                        }
                }
                free(e);
                e = next;
        }
}

static int try_connect(const struct sockaddr_un *sa)
{
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
        int err = r < 0 ? -errno : 0;
        close(fd);
        return err;
}

int strata_ctl_server_new(struct strata_net *net, const char *path, struct strata_ctl_server **out)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        struct strata_ctl_server *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->buf = malloc(NL_REQ_MAX + 1);
        if (!s->buf) {
                free(s);
                return -ENOMEM;
        }
        s->net = net;
        strcpy(s->path, path);
        pthread_mutex_init(&s->evlock, NULL);
        s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->evfd < 0) {
                int e = -errno;
                free(s->buf);
                free(s);
                return e;
        }
        /* a socket file nobody answers on is left from a crash: replace it */
        if (access(path, F_OK) == 0) {
                if (try_connect(&sa) == 0) {
                        close(s->evfd);
                        free(s->buf);
                        free(s);
                        return -EADDRINUSE;
                }
                unlink(path);
        }
        s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int err = s->lfd < 0 ? -errno : 0;
        if (!err) {
                mode_t old = umask(0177);
                if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                        err = -errno;
                umask(old);
        }
        if (!err && chmod(path, 0600) < 0)
                err = -errno;
        if (!err && listen(s->lfd, 64) < 0)
                err = -errno;
        if (!err)
                err = strata_ctl_notify_start(net, queue_event, s);
        if (!err && !(s->obs = ctl_observe_new(net, queue_to, s))) {
                strata_ctl_notify_stop(net);
                err = -ENOMEM;
        }
        if (err) {
                if (s->lfd >= 0) {
                        close(s->lfd);
                        unlink(path);
                }
                close(s->evfd);
                free(s->buf);
                free(s);
                return err;
        }
        *out = s;
        return 0;
}

static void dump_end(struct ctl_client *c)
{
        free((void *)c->dump.req);
        memset(&c->dump, 0, sizeof(c->dump));
}

static void drop_client(struct strata_ctl_server *s, int i)
{
        dump_end(&s->clients[i]);
        ctl_observe_client_gone(s->obs, s->clients[i].serial);
        close(s->clients[i].fd);
        s->clients[i] = s->clients[--s->nclients];
}

int strata_ctl_server_set_group(struct strata_ctl_server *s, unsigned gid)
{
        if (chown(s->path, (uid_t)-1, (gid_t)gid) < 0 || chmod(s->path, 0660) < 0)
                return -errno;
        s->shared = true;
        s->gid = gid;
        return 0;
}

/* Is process pid (primary group gid) a member of group g?  Supplementary
 * groups are read from /proc/PID/status ("Groups:"), as the kernel keeps
 * them nowhere a socket can ask. */
static bool in_group(pid_t pid, gid_t gid, unsigned g)
{
        if (gid == g)
                return true;
        char path[64], line[4096];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f)
                return false;
        bool member = false;
        while (!member && fgets(line, sizeof(line), f)) {
                if (strncmp(line, "Groups:", 7) != 0)
                        continue;
                char *p = line + 7, *end;
                for (;;) {
                        unsigned long v = strtoul(p, &end, 10);
                        if (end == p)
                                break;
                        if (v == g)
                                member = true;
                        p = end;
                }
        }
        fclose(f);
        return member;
}

static void accept_client(struct strata_ctl_server *s)
{
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
            (cred.uid != 0 && cred.uid != geteuid() &&
             !(s->shared && in_group(cred.pid, cred.gid, s->gid)))) {
                fprintf(stderr, "stratad: refused a control client of uid %d\n",
                        len == sizeof(cred) ? (int)cred.uid : -1);
                close(fd);
                return;
        }
        if (s->nclients == CTL_MAX_CLIENTS) {
                fprintf(stderr, "stratad: %d control clients already, refusing another\n",
                        CTL_MAX_CLIENTS);
                close(fd);
                return;
        }
        struct timeval tv = { .tv_sec = 5 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        int sndbuf = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        /* until HELLO: the kernel's default port id, the process id */
        s->clients[s->nclients++] = (struct ctl_client){
                .fd = fd,
                .serial = ++s->next_serial,
                .who = { .portid = (uint32_t)cred.pid, .protocol = 0, .uid = cred.uid }
        };
}

static int send_dgram(const void *d, size_t len, void *ctx)
{
        int fd = *(int *)ctx;
        if (send(fd, d, len, MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

/* A reply to client c (strata_ctl_emit_fn): the notifications its
 * request caused go first, as the kernel multicasts them before the ACK. */
struct reply_ctx {
        struct strata_ctl_server *s;
        int fd;
};

static int send_reply(const void *d, size_t len, void *ctx)
{
        struct reply_ctx *r = ctx;
        flush_events(r->s);
        int fd = r->fd;
        if (send(fd, d, len, MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

/* DONE; more: a dump continues on CONTINUE (NLM_F_MULTI set). */
static int send_done_more(int fd, uint32_t seq, bool more)
{
        uint8_t h[NL_HDRLEN] = { 0 };
        uint32_t len = NL_HDRLEN;
        uint16_t type = STRATA_CTL_DONE, flags = more ? NLM_F_MULTI_ : 0;
        memcpy(h, &len, 4);
        memcpy(h + 4, &type, 2);
        memcpy(h + 6, &flags, 2);
        memcpy(h + 8, &seq, 4);
        return send_dgram(h, sizeof(h), &fd);
}

static int send_done(int fd, uint32_t seq)
{
        return send_done_more(fd, seq, false);
}

/* Answer client c from its cursor: a batch, then DONE ("more" when the
 * dump goes on, the datagram then copied into the cursor unless it is
 * already there).  <0: drop the client. */
static int serve_batch(struct strata_ctl_server *s, struct ctl_client *c, uint32_t seq)
{
        struct reply_ctx r = { s, c->fd };
        const uint8_t *was = c->dump.req;
        int more = ctl_handle_batch(s->net, &c->who, &c->dump, send_reply, &r);
        flush_events(s);
        if (more < 0) {
                if (c->dump.req == s->buf)
                        c->dump.req = NULL; /* the server's buffer, not a copy */
                dump_end(c);
                return more;
        }
        if (more && c->dump.req == s->buf) {
                uint8_t *copy = malloc(c->dump.len);
                if (!copy) {
                        c->dump.req = NULL;
                        return -ENOMEM;
                }
                memcpy(copy, s->buf, c->dump.len);
                c->dump.req = copy;
        } else if (!more) {
                if (was != s->buf)
                        free((void *)was);
                memset(&c->dump, 0, sizeof(c->dump));
        }
        return send_done_more(c->fd, seq, more);
}

/* Send what the server answered itself (o), then DONE; frees o. */
static int send_out(int fd, struct nl_out *o, uint32_t seq)
{
        int err = o->err;
        for (struct nl_dgram *d = o->head; d && !err; d = d->next)
                if (d->len)
                        err = send_dgram(d->data, d->len, &fd);
        nl_out_free(o);
        return err ? err : send_done(fd, seq);
}

/* One datagram from client i: HELLO, or requests.  <0: drop the client. */
static int serve_client(struct strata_ctl_server *s, int i)
{
        struct ctl_client *c = &s->clients[i];
        ssize_t n = recv(c->fd, s->buf, NL_REQ_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
        if (n == 0)
                return -ECONNRESET;
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        size_t len = (size_t)n;
        uint32_t seq = len >= NL_HDRLEN ? nl_rd32(s->buf + 8) : 0;
        if (len > NL_REQ_MAX) {
                /* the kernel refuses a send larger than the socket buffer */
                struct nl_out o;
                nl_out_init(&o, c->who.portid);
                struct nl_msg m = { .len = NL_HDRLEN, .seq = seq, .raw = s->buf };
                nlmsg_error(&o, &m, -EMSGSIZE, "Strata: request larger than 1 MiB");
                return send_out(c->fd, &o, seq);
        }
        if (len >= NL_HDRLEN + 8 && nl_rd16(s->buf + 4) == STRATA_CTL_GROUPS) {
                c->groups = nl_rd32(s->buf + NL_HDRLEN) |
                            (uint64_t)nl_rd32(s->buf + NL_HDRLEN + 4) << 32;
                return 0; /* no reply, as bind and setsockopt have none */
        }
        if (len >= NL_HDRLEN + 8 && nl_rd16(s->buf + 4) == STRATA_CTL_HELLO) {
                c->who.portid = nl_rd32(s->buf + NL_HDRLEN);
                c->who.protocol = (int)nl_rd32(s->buf + NL_HDRLEN + 4);
                c->hello = true;
                return 0; /* no reply: the client goes on to its first request */
        }
        if (c->who.protocol == STRATA_NETLINK_CTL && len >= NL_HDRLEN &&
            ctl_observe_is_ours(nl_rd16(s->buf + 4))) {
                /* trace and capture live with this connection: the
                 * server, not the stateless handler, answers them */
                struct nl_out o;
                nl_out_init(&o, c->who.portid);
                size_t off = 0;
                struct nl_msg m;
                int r;
                while ((r = nlmsg_next(s->buf, len, &off, &m)) == 1)
                        ctl_observe_request(s->obs, c->serial, &m, &o);
                if (r < 0) {
                        struct nl_msg bad = { .len = NL_HDRLEN, .seq = seq, .raw = s->buf };
                        nlmsg_error(&o, &bad, -EINVAL, "Strata: malformed message");
                }
                return send_out(c->fd, &o, seq);
        }
        if (len >= NL_HDRLEN && nl_rd16(s->buf + 4) == STRATA_CTL_CONTINUE) {
                if (!c->dump.req)
                        return send_done(c->fd, seq); /* nothing under way */
                return serve_batch(s, c, nl_rd32(c->dump.req + c->dump.off + 8));
        }
        dump_end(c); /* a new request: a dump left unread is abandoned */
        c->dump = (struct ctl_cursor){ .req = s->buf, .len = len };
        return serve_batch(s, c, seq);
}

int strata_ctl_server_run(struct strata_ctl_server *s, int stop_fd)
{
        struct pollfd pfd[CTL_MAX_CLIENTS + 3];
        for (;;) {
                int n = 0;
                pfd[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
                pfd[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
                pfd[n++] = (struct pollfd){ .fd = s->evfd, .events = POLLIN };
                for (int i = 0; i < s->nclients; i++)
                        pfd[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
                if (poll(pfd, (nfds_t)n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (pfd[0].revents)
                        return 0;
                if (pfd[2].revents & POLLIN) {
                        uint64_t cnt;
                        if (read(s->evfd, &cnt, sizeof(cnt)) < 0) {
                                /* EAGAIN: another wake-up took it */
                        }
                        flush_events(s);
                }
                /* walk backwards: drop_client moves the last client into i */
                for (int i = n - 4; i >= 0; i--) {
                        struct pollfd *p = &pfd[i + 3];
                        if (i >= s->nclients || !p->revents)
                                continue;
                        if ((p->revents & POLLIN) && serve_client(s, i) == 0)
                                continue;
                        if (p->revents & POLLIN && !(p->revents & (POLLHUP | POLLERR)))
                                drop_client(s, i); /* serve failed */
                        else if (p->revents & (POLLHUP | POLLERR))
                                drop_client(s, i);
                }
                /* accept after the walk: a new client must not take the
                 * slot of a polled one */
                if (pfd[1].revents & POLLIN)
                        accept_client(s);
        }
}

void strata_ctl_server_free(struct strata_ctl_server *s)
{
        if (!s)
                return;
        while (s->nclients)
                drop_client(s, s->nclients - 1);
        ctl_observe_free(s->obs);
        strata_ctl_notify_stop(s->net);
        flush_events(s); /* frees the queue */
        close(s->evfd);
        pthread_mutex_destroy(&s->evlock);
        close(s->lfd);
        unlink(s->path);
        free(s->buf);
        free(s);
}
