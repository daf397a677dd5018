/*
 * Large dumps stream: a namespace with 100,000 routes is dumped a batch at
 * a time, never built whole.
 *
 * First the handler itself (ctl_handle_batch, what the socket server
 * calls): each call emits at most CTL_DUMP_BATCH bytes of messages plus
 * one message, and the batches together are the whole dump -- every route
 * exactly once, in the kernel's order, NLMSG_DONE only at the end.  Then
 * through the socket server: the client gets a DONE flagged "more" after
 * each batch, asks with CONTINUE, and sees the same routes; a client that
 * sends a new request in the middle of a dump gets its answer and the dump
 * is dropped; one that hangs up mid-dump leaves the server serving others.
 * Last, sock_diag: 1000 UDP sockets listed by ss's request, batch by
 * batch, each exactly once.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "ctl/nlmsg.h"
#include "ctl/ctl_batch.h"
#include "strata/ctl.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define NROUTES 100000
#define MSG_MAX 512 /* larger than any one route message */

static struct strata_net *setup(void)
{
        struct strata_net *ns;
        CHECK_EQ(strata_net_new("big", NULL, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "va", ns, "vb"), 0);
        CHECK_EQ(strata_link_set_up(ns, "va", true), 0);
        CHECK_EQ(strata_addr_add(ns, "va", "10.0.0.1/24"), 0);
        char dst[32];
        for (int i = 0; i < NROUTES; i++) {
                snprintf(dst, sizeof(dst), "%d.%d.%d.0/24", 11 + i / 65536, (i / 256) % 256,
                         i % 256);
                CHECK_EQ(strata_route_add(ns, dst, "10.0.0.2", "va"), 0);
        }
        return ns;
}

/* ip route show: RTM_GETROUTE dump, table main */
struct dumpreq {
        struct nlmsghdr h;
        struct rtmsg rt;
};

static void dump_req(struct dumpreq *q, uint32_t seq)
{
        memset(q, 0, sizeof(*q));
        q->h.nlmsg_len = sizeof(*q);
        q->h.nlmsg_type = RTM_GETROUTE;
        q->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        q->h.nlmsg_seq = seq;
        q->rt.rtm_family = AF_INET;
}

/* What the dump delivered, as it arrives. */
struct seen {
        unsigned char *hit; /* one per test route: seen how many times */
        int routes;         /* RTM_NEWROUTE messages, ours and the kernel's */
        int dones, errors;
        int intr; /* messages flagged NLM_F_DUMP_INTR */
        uint32_t last_key; /* ordering of our /24s */
        bool ordered;
        size_t batch_bytes, max_batch;
        size_t heap_base, heap_peak; /* malloc'd bytes when replies go out */
};

static void see_msgs(struct seen *s, const void *d, size_t len)
{
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(d, len, &off, &m) == 1) {
                if (m.flags & NLM_F_DUMP_INTR)
                        s->intr++;
                if (m.type == NLMSG_DONE)
                        s->dones++;
                else if (m.type == NLMSG_ERROR)
                        s->errors++;
                if (m.type != RTM_NEWROUTE)
                        continue;
                s->routes++;
                struct nl_attr tb[RTA_MAX + 1];
                CHECK_EQ(nla_parse(tb, RTA_MAX, m.payload + sizeof(struct rtmsg),
                                   m.payload_len - sizeof(struct rtmsg)),
                         0);
                if (!tb[RTA_DST].data || m.payload[1] != 24)
                        continue;
                const uint8_t *a = tb[RTA_DST].data;
                if (a[0] < 11 || a[0] > 12)
                        continue;
                uint32_t key = (uint32_t)(a[0] - 11) << 16 | (uint32_t)a[1] << 8 | a[2];
                if (key < NROUTES)
                        s->hit[key]++;
                if (key < s->last_key)
                        s->ordered = false;
                s->last_key = key;
        }
}

static int emit_fn(const void *d, size_t len, void *ctx)
{
        struct seen *s = ctx;
        /* every datagram of the batch is still allocated while it is
         * emitted: what the heap holds now is the batch's whole cost */
        size_t used = mallinfo2().uordblks;
        if (used > s->heap_base && used - s->heap_base > s->heap_peak)
                s->heap_peak = used - s->heap_base;
        s->batch_bytes += len;
        see_msgs(s, d, len);
        return 0;
}

static void check_whole(const struct seen *s)
{
        int once = 0;
        for (int i = 0; i < NROUTES; i++)
                once += s->hit[i] == 1;
        CHECK_EQ(once, NROUTES); /* none lost, none twice */
        CHECK(s->ordered);
        CHECK_EQ(s->dones, 1);
        CHECK_EQ(s->errors, 0);
        CHECK_EQ(s->intr, 0); /* nothing changed meanwhile */
}

static void batches_are_bounded(void)
{
        struct strata_net *ns = setup();
        static struct seen s;
        memset(&s, 0, sizeof(s));
        s.hit = calloc(NROUTES, 1);
        s.ordered = true;
        struct dumpreq q;
        dump_req(&q, 7);
        struct strata_ctl_client c = { .portid = 1, .protocol = 0 };
        struct ctl_cursor cur = { .req = (const uint8_t *)&q, .len = sizeof(q) };
        int calls = 0, r;
        s.heap_base = mallinfo2().uordblks;
        do {
                s.batch_bytes = 0;
                r = ctl_handle_batch(ns, &c, &cur, emit_fn, &s);
                CHECK(r == 0 || r == 1);
                if (s.batch_bytes > s.max_batch)
                        s.max_batch = s.batch_bytes;
                CHECK_EQ(s.dones, r == 1 ? 0 : 1); /* DONE ends the last batch only */
                calls++;
        } while (r == 1 && calls < 10 * NROUTES);
        check_whole(&s);
        /* 100,000 routes are several MB of messages; no batch held more
         * than the budget and one message */
        CHECK(s.max_batch <= CTL_DUMP_BATCH + MSG_MAX);
        CHECK(calls > (int)((size_t)NROUTES * 40 / CTL_DUMP_BATCH));
        /* and the memory in use while a batch goes out is that batch, not
         * the dump (the whole reply would be over 5 MB) */
        CHECK(s.heap_peak < 4 * CTL_DUMP_BATCH);

        /* a route added between two batches: the later batches (and the
         * DONE) say the dump was interrupted, as the kernel's do */
        memset(s.hit, 0, NROUTES);
        s.dones = s.intr = 0;
        cur = (struct ctl_cursor){ .req = (const uint8_t *)&q, .len = sizeof(q) };
        CHECK_EQ(ctl_handle_batch(ns, &c, &cur, emit_fn, &s), 1);
        CHECK_EQ(s.intr, 0);
        CHECK_EQ(strata_route_add(ns, "13.0.0.0/8", "10.0.0.2", "va"), 0);
        int before = s.routes;
        do
                r = ctl_handle_batch(ns, &c, &cur, emit_fn, &s);
        while (r == 1);
        CHECK_EQ(r, 0);
        CHECK_EQ(s.dones, 1);
        CHECK_EQ(s.intr, s.routes - before + 1);
        free(s.hit);
        strata_net_free(ns);
}

/* --- through the socket server ---------------------------------------------- */

struct served {
        struct strata_ctl_server *srv;
        int stop[2];
        pthread_t thread;
        char dir[64], path[128];
};

static void *serve(void *arg)
{
        struct served *sv = arg;
        strata_ctl_server_run(sv->srv, sv->stop[0]);
        return NULL;
}

/* Read datagrams up to the server's DONE; true when it says "more". */
static bool read_batch(int fd, struct seen *s)
{
        static uint8_t buf[1 << 20];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                CHECK(n >= 16);
                if (n < 16)
                        return false;
                struct nlmsghdr h;
                memcpy(&h, buf, sizeof(h));
                if (h.nlmsg_type == STRATA_CTL_DONE)
                        return h.nlmsg_flags & NLM_F_MULTI;
                s->batch_bytes += (size_t)n;
                see_msgs(s, buf, (size_t)n);
        }
}

static void send_continue(int fd)
{
        struct nlmsghdr h = { .nlmsg_len = 16, .nlmsg_type = STRATA_CTL_CONTINUE };
        CHECK_EQ(send(fd, &h, sizeof(h), 0), 16);
}

static void server_streams(void)
{
        struct strata_net *ns = setup();
        static struct served sv;
        snprintf(sv.dir, sizeof(sv.dir), "/tmp/strata-dump.XXXXXX");
        CHECK(mkdtemp(sv.dir) != NULL);
        snprintf(sv.path, sizeof(sv.path), "%s/big.sock", sv.dir);
        CHECK_EQ(strata_ctl_server_new(ns, sv.path, &sv.srv), 0);
        CHECK_EQ(pipe(sv.stop), 0);
        CHECK_EQ(pthread_create(&sv.thread, NULL, serve, &sv), 0);

        /* a whole dump, batch by batch */
        int fd = strata_ctl_connect(sv.path, 0, 4242);
        CHECK(fd >= 0);
        static struct seen s;
        memset(&s, 0, sizeof(s));
        s.hit = calloc(NROUTES, 1);
        s.ordered = true;
        struct dumpreq q;
        dump_req(&q, 1);
        CHECK_EQ(send(fd, &q, sizeof(q), 0), (ssize_t)sizeof(q));
        int batches = 1;
        for (;;) {
                s.batch_bytes = 0;
                bool more = read_batch(fd, &s);
                if (s.batch_bytes > s.max_batch)
                        s.max_batch = s.batch_bytes;
                if (!more)
                        break;
                send_continue(fd);
                batches++;
        }
        check_whole(&s);
        CHECK(batches > 10);
        CHECK(s.max_batch <= CTL_DUMP_BATCH + MSG_MAX);

        /* a new request in the middle of a dump: answered; the dump is gone */
        memset(s.hit, 0, NROUTES);
        s.dones = s.routes = 0;
        CHECK_EQ(send(fd, &q, sizeof(q), 0), (ssize_t)sizeof(q));
        CHECK(read_batch(fd, &s));
        CHECK_EQ(s.dones, 0);
        struct {
                struct nlmsghdr h;
                struct rtgenmsg g;
                uint8_t pad[3];
        } link = { { sizeof(link), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 2, 0 },
                   { AF_UNSPEC },
                   { 0 } };
        s.routes = 0;
        CHECK_EQ(send(fd, &link, sizeof(link), 0), (ssize_t)sizeof(link));
        CHECK(!read_batch(fd, &s)); /* three links: one batch, DONE, no more */
        CHECK_EQ(s.dones, 1);
        CHECK_EQ(s.routes, 0);
        send_continue(fd); /* nothing under way: just DONE */
        CHECK(!read_batch(fd, &s));
        CHECK_EQ(s.dones, 1);

        /* a client hanging up mid-dump does not disturb another */
        int fd2 = strata_ctl_connect(sv.path, 0, 4243);
        CHECK_EQ(send(fd2, &q, sizeof(q), 0), (ssize_t)sizeof(q));
        struct seen s2 = { .hit = calloc(NROUTES, 1), .ordered = true };
        CHECK(read_batch(fd2, &s2));
        close(fd2);
        s.dones = 0;
        CHECK_EQ(send(fd, &link, sizeof(link), 0), (ssize_t)sizeof(link));
        CHECK(!read_batch(fd, &s));
        CHECK_EQ(s.dones, 1);
        free(s2.hit);

        /* Debian's ip through the preload shim: it reads the batches one
         * recvmsg after another, the shim asking for each */
        char exe[PATH_MAX], preload[PATH_MAX], cmd[3 * PATH_MAX];
        ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (el > 0 && (access("/usr/bin/ip", X_OK) == 0 || access("/bin/ip", X_OK) == 0)) {
                exe[el] = 0;
                snprintf(preload, sizeof(preload), "%s/../../lib/libstrata-preload.so",
                         dirname(exe));
                snprintf(cmd, sizeof(cmd), "LD_PRELOAD=%s %s=%s ip route show | wc -l", preload,
                         STRATA_CTL_ENV, sv.path);
                FILE *f = access(preload, R_OK) == 0 ? popen(cmd, "r") : NULL;
                if (f) {
                        int lines = 0;
                        CHECK_EQ(fscanf(f, "%d", &lines), 1);
                        pclose(f);
                        CHECK_EQ(lines, NROUTES + 1); /* and 10.0.0.0/24 */
                }
        }

        close(fd);
        CHECK_EQ(write(sv.stop[1], "x", 1), 1);
        pthread_join(sv.thread, NULL);
        strata_ctl_server_free(sv.srv);
        close(sv.stop[0]);
        close(sv.stop[1]);
        rmdir(sv.dir);
        free(s.hit);
        strata_net_free(ns);
}

/* --- sock_diag --------------------------------------------------------------- */

#define NUDP 1000

struct udp_seen {
        unsigned char hit[NUDP];
        int msgs, dones;
};

static int udp_emit(const void *d, size_t len, void *ctx)
{
        struct udp_seen *u = ctx;
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(d, len, &off, &m) == 1) {
                if (m.type == NLMSG_DONE)
                        u->dones++;
                if (m.type != SOCK_DIAG_BY_FAMILY || m.payload_len < sizeof(struct inet_diag_msg))
                        continue;
                struct inet_diag_msg dm;
                memcpy(&dm, m.payload, sizeof(dm));
                unsigned port = ntohs(dm.id.idiag_sport);
                if (port >= 20000 && port < 20000 + NUDP)
                        u->hit[port - 20000]++;
                u->msgs++;
        }
        return 0;
}

static void diag_dump_streams(void)
{
        struct strata_net *ns;
        CHECK_EQ(strata_net_new("udp", NULL, 1, &ns), 0);
        for (int i = 0; i < NUDP; i++) {
                int fd = strata_socket(ns, AF_INET, SOCK_DGRAM, 0);
                CHECK(fd >= 0);
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(20000 + i) };
                CHECK_EQ(strata_bind(ns, fd, (struct sockaddr *)&a, sizeof(a)), 0);
        }
        /* ss -uan: all states, with the memory extension */
        struct {
                struct nlmsghdr h;
                struct inet_diag_req_v2 r;
        } q;
        memset(&q, 0, sizeof(q));
        q.h.nlmsg_len = sizeof(q);
        q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        q.r.sdiag_family = AF_INET;
        q.r.sdiag_protocol = IPPROTO_UDP;
        q.r.idiag_states = ~0u;
        q.r.idiag_ext = 1u << (INET_DIAG_SKMEMINFO - 1);
        static struct udp_seen u;
        memset(&u, 0, sizeof(u));
        struct strata_ctl_client c = { .portid = 1, .protocol = NETLINK_SOCK_DIAG };
        struct ctl_cursor cur = { .req = (const uint8_t *)&q, .len = sizeof(q) };
        int batches = 0, r;
        do {
                r = ctl_handle_batch(ns, &c, &cur, udp_emit, &u);
                CHECK(r == 0 || r == 1);
                batches++;
        } while (r == 1 && batches < 1000);
        int once = 0;
        for (int i = 0; i < NUDP; i++)
                once += u.hit[i] == 1;
        CHECK_EQ(once, NUDP);
        CHECK_EQ(u.msgs, NUDP);
        CHECK_EQ(u.dones, 1);
        CHECK(batches > 1);
        strata_net_free(ns);
}

TEST_MAIN(T(batches_are_bounded), T(server_streams), T(diag_dump_streams))
