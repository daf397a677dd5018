/*
 * The control socket server in-process: a namespace on the simulated
 * clock, the server on a thread, clients connected as the CLI connects.
 *
 *  - A client that sends a dump request and hangs up before reading it
 *    costs the server nothing: the next client gets the whole dump.
 *
 * `strata trace` and `strata capture` (STRATA_TRACE_* / STRATA_CAPTURE_*):
 *
 *  - A client tracing with a filter receives the steps of the matching
 *    packets (a ping over lo), and only those; a second client gets EBUSY
 *    while the first traces; when the first stops -- or just closes its
 *    connection -- another may trace.
 *  - Capture: the server writes the device's frames to the file; a second
 *    capture of the device is refused, as are a relative path and an
 *    unknown device; closing the connection ends the capture.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "strata/ctl.h"
#include "strata/strata.h"

#define SEC 1000000000ull

struct srv {
        struct strata_ctl_server *s;
        int stop;
};

static void *srv_main(void *arg)
{
        struct srv *v = arg;
        strata_ctl_server_run(v->s, v->stop);
        return NULL;
}

struct lab {
        struct strata_clock *clk;
        struct strata_net *ns;
        struct srv v;
        pthread_t th;
        char path[64];
};

static void lab_up(struct lab *l)
{
        l->clk = strata_clock_new(true);
        CHECK_EQ(strata_net_new("obs", l->clk, 1, &l->ns), 0);
        snprintf(l->path, sizeof(l->path), "/tmp/strata-observe-%d.sock", (int)getpid());
        l->v.stop = eventfd(0, EFD_CLOEXEC);
        CHECK_EQ(strata_ctl_server_new(l->ns, l->path, &l->v.s), 0);
        CHECK_EQ(pthread_create(&l->th, NULL, srv_main, &l->v), 0);
}

static void lab_down(struct lab *l)
{
        uint64_t one = 1;
        CHECK_EQ(write(l->v.stop, &one, sizeof(one)), 8);
        pthread_join(l->th, NULL);
        strata_ctl_server_free(l->v.s);
        close(l->v.stop);
        strata_net_free(l->ns);
        strata_clock_free(l->clk);
}

static void ping_lo(struct lab *l, uint16_t seq)
{
        CHECK_EQ(strata_ping_send(l->ns, "127.0.0.1", 0x42, seq, 56), 0);
        CHECK_EQ(strata_sim_run(&l->ns, 1, strata_clock_now(l->clk) + SEC), 0);
}

struct seen {
        int events, echo_req, echo_rep, netns_ok;
};

static void on_event(const struct strata_trace_event *ev, void *ctx)
{
        struct seen *s = ctx;
        s->events++;
        s->echo_req += strstr(ev->msg, "echo request") != NULL;
        s->echo_rep += strstr(ev->msg, "echo reply") != NULL;
        s->netns_ok += !strcmp(ev->netns, "obs") && ev->layer[0];
}

struct tracer {
        const char *path;
        struct strata_trace_filter f;
        long ms;
        struct seen seen;
        int result;
};

static void *trace_main(void *arg)
{
        struct tracer *t = arg;
        int fd = strata_ctl_connect(t->path, STRATA_NETLINK_CTL, 7);
        t->result = fd < 0 ? fd : strata_ctl_trace(fd, 0, &t->f, t->ms, on_event, &t->seen);
        if (fd >= 0)
                close(fd);
        return NULL;
}

static void trace_streams_matching_packets(void)
{
        struct lab l;
        lab_up(&l);
        struct tracer t = { .path = l.path, .f = { .proto = IPPROTO_ICMP }, .ms = 600 };
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, trace_main, &t), 0);
        usleep(150000); /* the trace has started */
        /* a second tracer is refused while the first runs */
        int other = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 8);
        CHECK(other >= 0);
        struct seen none = { 0 };
        CHECK_EQ(strata_ctl_trace(other, 0, NULL, 10, on_event, &none), -EBUSY);
        ping_lo(&l, 1);
        pthread_join(th, NULL);
        CHECK_EQ(t.result, 0);
        if (!t.seen.echo_req || !t.seen.echo_rep)
                TEST_FAIL("trace events: %d, echo request %d, reply %d", t.seen.events,
                          t.seen.echo_req, t.seen.echo_rep);
        CHECK_EQ(t.seen.netns_ok, t.seen.events);
        /* the first stopped: the other may trace now; a UDP-only filter
         * sees nothing of a ping */
        struct tracer u = { .path = l.path, .f = { .proto = IPPROTO_UDP }, .ms = 400 };
        CHECK_EQ(pthread_create(&th, NULL, trace_main, &u), 0);
        usleep(150000);
        ping_lo(&l, 2);
        pthread_join(th, NULL);
        CHECK_EQ(u.result, 0);
        CHECK_EQ(u.seen.events, 0);
        close(other);
        lab_down(&l);
}

static void closing_the_connection_ends_the_trace(void)
{
        struct lab l;
        lab_up(&l);
        /* start a trace and hang up without a STOP, as a killed CLI */
        int fd = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 9);
        CHECK(fd >= 0);
        struct tracer t = { .path = l.path, .ms = 50 };
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, trace_main, &t), 0);
        pthread_join(th, NULL);
        CHECK_EQ(t.result, 0);
        struct seen s = { 0 };
        /* raw START, then close */
        uint8_t req[24] = { 0 };
        uint32_t len = 24, packets = 0;
        uint16_t type = STRATA_TRACE_START, flags = 1 | 4, alen = 8, atype = STRATA_OBS_A_PACKETS;
        memcpy(req, &len, 4);
        memcpy(req + 4, &type, 2);
        memcpy(req + 6, &flags, 2);
        memcpy(req + 16, &alen, 2);
        memcpy(req + 18, &atype, 2);
        memcpy(req + 20, &packets, 4);
        CHECK_EQ(send(fd, req, sizeof(req), 0), (ssize_t)sizeof(req));
        usleep(100000);
        close(fd);
        usleep(100000);
        int again = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 10);
        CHECK(again >= 0);
        CHECK_EQ(strata_ctl_trace(again, 0, NULL, 20, on_event, &s), 0);
        close(again);
        lab_down(&l);
}

static void capture_writes_the_device(void)
{
        struct lab l;
        lab_up(&l);
        char pcap[64];
        snprintf(pcap, sizeof(pcap), "/tmp/strata-observe-%d.pcap", (int)getpid());
        unlink(pcap);
        int a = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 11);
        int b = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 12);
        CHECK(a >= 0 && b >= 0);
        CHECK_EQ(strata_ctl_capture_start(a, "nosuch0", pcap), -ENODEV);
        CHECK_EQ(strata_ctl_capture_start(a, "lo", "relative.pcap"), -EINVAL);
        CHECK_EQ(strata_ctl_capture_start(a, "lo", pcap), 0);
        CHECK_EQ(strata_ctl_capture_start(b, "lo", pcap), -EBUSY);
        CHECK_EQ(strata_ctl_capture_stop(b, "lo"), -EPERM);
        ping_lo(&l, 1);
        ping_lo(&l, 2);
        CHECK_EQ(strata_ctl_capture_stop(a, "lo"), 0);
        struct stat st;
        CHECK_EQ(stat(pcap, &st), 0);
        /* the pcap header and four frames (two requests, two replies) */
        if (st.st_size < 24 + 4 * (16 + 98))
                TEST_FAIL("capture file is %lld bytes", (long long)st.st_size);
        /* a capture whose client goes away ends with it */
        CHECK_EQ(strata_ctl_capture_start(b, "lo", pcap), 0);
        close(b);
        usleep(100000);
        CHECK_EQ(strata_ctl_capture_start(a, "lo", pcap), 0);
        CHECK_EQ(strata_ctl_capture_stop(a, "lo"), 0);
        close(a);
        unlink(pcap);
        lab_down(&l);
}

static int count_values(const void *msg, size_t len, void *ctx)
{
        (void)len;
        uint16_t type;
        memcpy(&type, (const uint8_t *)msg + 4, 2);
        if (type == STRATA_SYSCTL_VALUE)
                ++*(int *)ctx;
        return 0;
}

/* STRATA_SYSCTL_GET with NLM_F_DUMP: every sysctl, several datagrams. */
static size_t dump_req(uint8_t *b)
{
        memset(b, 0, 16);
        uint32_t len = 16;
        uint16_t type = STRATA_SYSCTL_GET, flags = 1 | 0x300;
        memcpy(b, &len, 4);
        memcpy(b + 4, &type, 2);
        memcpy(b + 6, &flags, 2);
        return 16;
}

static void client_gone_mid_dump(void)
{
        struct lab l;
        lab_up(&l);
        uint8_t req[16];
        int whole = 0;
        int fd = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 20);
        CHECK(fd >= 0);
        CHECK_EQ(strata_ctl_request(fd, req, dump_req(req), count_values, &whole), 0);
        close(fd);
        CHECK(whole > 100);
        /* ask, and go without reading a byte; many times over */
        for (int i = 0; i < 50; i++) {
                int gone = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 21);
                CHECK(gone >= 0);
                CHECK_EQ(send(gone, req, dump_req(req), 0), 16);
                close(gone);
        }
        int n = 0;
        fd = strata_ctl_connect(l.path, STRATA_NETLINK_CTL, 22);
        CHECK(fd >= 0);
        CHECK_EQ(strata_ctl_request(fd, req, dump_req(req), count_values, &n), 0);
        close(fd);
        CHECK_EQ(n, whole);
        lab_down(&l);
}

TEST_MAIN(T(client_gone_mid_dump), T(trace_streams_matching_packets), T(closing_the_connection_ends_the_trace),
          T(capture_writes_the_device))
