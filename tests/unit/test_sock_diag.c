/*
 * sock_diag through the control socket's handler (strata_ctl_handle, as
 * stratad serves `ss`): SOCK_DIAG_BY_FAMILY requests built here byte by
 * byte against a namespace with a TCP listener (one connection accepted,
 * one still queued), an established connection with unread data and a
 * bound UDP socket with a queued datagram; every reply checked field by
 * field with the kernel's own uapi structs (<linux/inet_diag.h>,
 * <linux/tcp.h>): queues as the kernel reports them, state filters, the
 * attributes ss -m / -i ask for, NLM_F_MULTI dumps closed by NLMSG_DONE,
 * single-socket lookups and malformed requests; then Debian's ss itself,
 * through the server and the preload shim, including ss -K.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "strata/ctl.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define SEC    1000000000ull
#define PORTID 4242u
#define MAXMSG 16

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
};

static void drive_all(struct strata_net *sn, uint64_t deadline, void *ctx)
{
        struct lab *lab = ctx;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
                uint64_t d = strata_next_deadline(lab->ns[i]);
                if (d < next)
                        next = d;
        }
        strata_sim_run(lab->ns, 2, next > deadline ? deadline : next);
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, ip, &s.sin_addr);
        return s;
}

/* The replies to one request, split into messages. */
struct reply {
        uint8_t buf[1 << 16];
        size_t len;
        int n; /* messages */
        struct nlmsghdr hdr[MAXMSG];
        struct inet_diag_msg msg[MAXMSG];
        const uint8_t *attr[MAXMSG][INET_DIAG_MAX + 1];
        uint16_t alen[MAXMSG][INET_DIAG_MAX + 1];
        int error; /* NLMSG_ERROR's code, 1 when none */
        bool done;
};

static int collect(const void *d, size_t len, void *ctx)
{
        struct reply *r = ctx;
        if (r->len + len > sizeof(r->buf))
                return -ENOBUFS;
        memcpy(r->buf + r->len, d, len);
        r->len += len;
        return 0;
}

static void parse(struct reply *r)
{
        r->error = 1;
        for (size_t off = 0; off + sizeof(struct nlmsghdr) <= r->len;) {
                struct nlmsghdr h;
                memcpy(&h, r->buf + off, sizeof(h));
                CHECK(h.nlmsg_len >= sizeof(h) && off + h.nlmsg_len <= r->len);
                CHECK_EQ(h.nlmsg_pid, PORTID);
                CHECK(!r->done); /* nothing after NLMSG_DONE */
                const uint8_t *p = r->buf + off + sizeof(h);
                size_t plen = h.nlmsg_len - sizeof(h);
                if (h.nlmsg_type == NLMSG_DONE) {
                        CHECK(h.nlmsg_flags & NLM_F_MULTI);
                        r->done = true;
                } else if (h.nlmsg_type == NLMSG_ERROR) {
                        int32_t e;
                        memcpy(&e, p, 4);
                        r->error = e;
                } else {
                        CHECK_EQ(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
                        CHECK(r->n < MAXMSG);
                        CHECK(plen >= sizeof(struct inet_diag_msg));
                        int i = r->n++;
                        r->hdr[i] = h;
                        memcpy(&r->msg[i], p, sizeof(r->msg[i]));
                        for (size_t a = NLMSG_ALIGN(sizeof(struct inet_diag_msg)); a + 4 <= plen;) {
                                uint16_t al, at;
                                memcpy(&al, p + a, 2);
                                memcpy(&at, p + a + 2, 2);
                                CHECK(al >= 4 && a + al <= plen);
                                at &= NLA_TYPE_MASK;
                                if (at <= INET_DIAG_MAX) {
                                        r->attr[i][at] = p + a + 4;
                                        r->alen[i][at] = (uint16_t)(al - 4);
                                }
                                a += NLA_ALIGN(al);
                        }
                }
                off += NLMSG_ALIGN(h.nlmsg_len);
        }
}

static struct reply *ask(struct strata_net *sn, uint8_t family, uint8_t protocol, uint32_t states,
                         uint8_t ext, uint16_t flags, const struct inet_diag_sockid *id)
{
        static struct reply r;
        memset(&r, 0, sizeof(r));
        struct {
                struct nlmsghdr h;
                struct inet_diag_req_v2 req;
        } q;
        memset(&q, 0, sizeof(q));
        q.h.nlmsg_len = sizeof(q);
        q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        q.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
        q.h.nlmsg_seq = 77;
        q.req.sdiag_family = family;
        q.req.sdiag_protocol = protocol;
        q.req.idiag_states = states;
        q.req.idiag_ext = ext;
        if (id)
                q.req.id = *id;
        struct strata_ctl_client c = { .portid = PORTID, .protocol = 4, .uid = 0 };
        CHECK_EQ(strata_ctl_handle(sn, &c, &q, sizeof(q), collect, &r), 0);
        parse(&r);
        return &r;
}

static int find(struct reply *r, uint8_t state, uint16_t sport, uint16_t dport)
{
        for (int i = 0; i < r->n; i++)
                if (r->msg[i].idiag_state == state && ntohs(r->msg[i].id.idiag_sport) == sport &&
                    ntohs(r->msg[i].id.idiag_dport) == dport)
                        return i;
        return -1;
}

static uint16_t local_port(struct strata_net *n, int fd)
{
        struct sockaddr_in s;
        socklen_t len = sizeof(s);
        CHECK_EQ(strata_getsockname(n, fd, (struct sockaddr *)&s, &len), 0);
        return ntohs(s.sin_port);
}

/* <netinet/tcp.h>'s states; <linux/tcp.h>, needed for its struct tcp_info,
 * does not name them */
enum { TCP_ESTABLISHED = 1, TCP_FIN_WAIT2 = 5, TCP_TIME_WAIT = 6, TCP_CLOSE = 7, TCP_LISTEN = 10 };

#define ALL_STATES 0xffffffffu
#define EXT(x)     (1u << ((x)-1))

/* The sockets every case looks at, in namespace b (see the top). */
struct fixture {
        struct lab lab;
        struct strata_net *a, *b;
        int l, s1, c1, c2, ua;
        uint16_t p1, p2;
};

static void fixture_up(struct fixture *fx)
{
        struct lab *labp = &fx->lab;
        labp->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("a", labp->clock, 1, &labp->ns[0]), 0);
        CHECK_EQ(strata_net_new("b", labp->clock, 2, &labp->ns[1]), 0);
        struct strata_net *a = labp->ns[0], *b = labp->ns[1];
        fx->a = a;
        fx->b = b;
        CHECK_EQ(strata_veth_add(a, "veth0", b, "veth0"), 0);
        CHECK_EQ(strata_addr_add(a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(b, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(a, "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(b, "veth0", true), 0);
        strata_set_driver(a, drive_all, labp);
        strata_set_driver(b, drive_all, labp);

        /* b: a listener, backlog 16; an unbound TCP socket (not listed) */
        int l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 8080);
        CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, l, 16), 0);
        CHECK(strata_socket(b, AF_INET, SOCK_STREAM, 0) >= 0);
        /* a: two connections, asking for ECN; b accepts the first only */
        CHECK_EQ(strata_sysctl_set(a, "net.ipv4.tcp_ecn", "1"), 0);
        struct sockaddr_in to = sin_of("10.0.0.2", 8080);
        int c1 = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_connect(a, c1, (struct sockaddr *)&to, sizeof(to)), 0);
        int s1 = strata_accept(b, l, NULL, NULL);
        CHECK(s1 >= 0);
        int c2 = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_connect(a, c2, (struct sockaddr *)&to, sizeof(to)), 0);
        /* 100 bytes a -> b left unread */
        char data[100] = { 1 };
        CHECK_EQ(strata_send(a, c1, data, sizeof(data), 0), 100);
        /* b: UDP bound to 5353 with one 10-byte datagram queued */
        int u = strata_socket(b, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in uany = sin_of("0.0.0.0", 5353), uto = sin_of("10.0.0.2", 5353);
        CHECK_EQ(strata_bind(b, u, (struct sockaddr *)&uany, sizeof(uany)), 0);
        int ua = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        CHECK_EQ(strata_sendto(a, ua, data, 10, 0, (struct sockaddr *)&uto, sizeof(uto)), 10);
        strata_sim_run(labp->ns, 2, strata_clock_now(labp->clock) + SEC);
        uint16_t p1 = local_port(a, c1), p2 = local_port(a, c2);

        fx->l = l;
        fx->s1 = s1;
        fx->c1 = c1;
        fx->c2 = c2;
        fx->ua = ua;
        fx->p1 = p1;
        fx->p2 = p2;
}

static void fixture_down(struct fixture *fx)
{
        strata_close(fx->a, fx->c1);
        strata_close(fx->a, fx->c2);
        strata_close(fx->a, fx->ua);
        strata_sim_run(fx->lab.ns, 2, strata_clock_now(fx->lab.clock) + 200 * SEC);
        strata_net_free(fx->b);
        strata_net_free(fx->a);
        strata_clock_free(fx->lab.clock);
}

static void sock_diag_replies(void)
{
        static struct fixture fx;
        fixture_up(&fx);
        struct strata_net *a = fx.a, *b = fx.b;
        int s1 = fx.s1;
        uint16_t p1 = fx.p1, p2 = fx.p2;
        /* ss -tan: every state; listener first, Recv-Q = accept queue, Send-Q = backlog */
        struct reply *r = ask(b, AF_INET, IPPROTO_TCP, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK(r->done);
        CHECK_EQ(r->error, 1);
        CHECK_EQ(r->n, 3);
        CHECK_EQ(r->msg[0].idiag_state, TCP_LISTEN);
        CHECK_EQ(ntohs(r->msg[0].id.idiag_sport), 8080);
        CHECK_EQ(r->msg[0].id.idiag_src[0], 0);
        CHECK_EQ(r->msg[0].idiag_rqueue, 1);
        CHECK_EQ(r->msg[0].idiag_wqueue, 16);
        for (int i = 0; i < r->n; i++) {
                CHECK_EQ(r->msg[i].idiag_family, AF_INET);
                CHECK_EQ(r->hdr[i].nlmsg_seq, 77);
                CHECK(r->hdr[i].nlmsg_flags & NLM_F_MULTI);
                CHECK(r->attr[i][INET_DIAG_SHUTDOWN] && r->alen[i][INET_DIAG_SHUTDOWN] == 1);
                CHECK(!r->attr[i][INET_DIAG_INFO]); /* not asked */
                CHECK(!r->attr[i][INET_DIAG_SKMEMINFO]);
        }
        int e1 = find(r, TCP_ESTABLISHED, 8080, p1), e2 = find(r, TCP_ESTABLISHED, 8080, p2);
        CHECK(e1 > 0 && e2 > 0);
        CHECK_EQ(ntohl(r->msg[e1].id.idiag_src[0]), 0x0a000002);
        CHECK_EQ(ntohl(r->msg[e1].id.idiag_dst[0]), 0x0a000001);
        CHECK_EQ(r->msg[e1].idiag_rqueue, 100); /* unread */
        CHECK_EQ(r->msg[e1].idiag_wqueue, 0);
        CHECK_EQ(r->msg[e2].idiag_rqueue, 0);
        struct inet_diag_sockid lid = r->msg[0].id;

        /* a's side: the 100 bytes were acknowledged */
        r = ask(a, AF_INET, IPPROTO_TCP, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 2);
        int a1 = find(r, TCP_ESTABLISHED, p1, 8080);
        CHECK(a1 >= 0);
        CHECK_EQ(r->msg[a1].idiag_wqueue, 0);

        /* ss -ltn: the state filter is applied */
        r = ask(b, AF_INET, IPPROTO_TCP, 1u << TCP_LISTEN, 0, NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 1);
        CHECK_EQ(r->msg[0].idiag_state, TCP_LISTEN);
        CHECK(r->done);

        /* ss -tmi: SKMEMINFO, MEMINFO, INFO (struct tcp_info), CONG */
        uint8_t ext = EXT(INET_DIAG_MEMINFO) | EXT(INET_DIAG_SKMEMINFO) | EXT(INET_DIAG_INFO) |
                      EXT(INET_DIAG_VEGASINFO) | EXT(INET_DIAG_CONG);
        r = ask(b, AF_INET, IPPROTO_TCP, 1u << TCP_ESTABLISHED, ext, NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 2);
        e1 = find(r, TCP_ESTABLISHED, 8080, p1);
        CHECK(e1 >= 0);
        CHECK_EQ(r->alen[e1][INET_DIAG_SKMEMINFO], SK_MEMINFO_VARS * 4);
        uint32_t mem[SK_MEMINFO_VARS];
        memcpy(mem, r->attr[e1][INET_DIAG_SKMEMINFO], sizeof(mem));
        CHECK(mem[SK_MEMINFO_RMEM_ALLOC] > 100); /* truesize of the unread segment */
        CHECK(mem[SK_MEMINFO_RCVBUF] > 0);
        CHECK(mem[SK_MEMINFO_SNDBUF] > 0);
        CHECK_EQ(r->alen[e1][INET_DIAG_MEMINFO], sizeof(struct inet_diag_meminfo));
        struct inet_diag_meminfo mi;
        memcpy(&mi, r->attr[e1][INET_DIAG_MEMINFO], sizeof(mi));
        CHECK_EQ(mi.idiag_rmem, mem[SK_MEMINFO_RMEM_ALLOC]);
        CHECK_EQ(r->alen[e1][INET_DIAG_INFO], sizeof(struct tcp_info));
        struct tcp_info ti, want;
        memcpy(&ti, r->attr[e1][INET_DIAG_INFO], sizeof(ti));
        socklen_t wl = sizeof(want);
        memset(&want, 0, sizeof(want));
        CHECK_EQ(strata_getsockopt(b, s1, IPPROTO_TCP, TCP_INFO, &want, &wl), 0);
        CHECK_EQ(ti.tcpi_state, TCP_ESTABLISHED);
        CHECK_EQ(ti.tcpi_rto, want.tcpi_rto);
        CHECK(ti.tcpi_rto >= 200000);
        CHECK_EQ(ti.tcpi_snd_mss, want.tcpi_snd_mss);
        CHECK_EQ(ti.tcpi_snd_mss, 1448); /* 1460 less the timestamp option */
        CHECK_EQ(ti.tcpi_snd_cwnd, want.tcpi_snd_cwnd);
        CHECK_EQ(ti.tcpi_snd_ssthresh, want.tcpi_snd_ssthresh);
        CHECK_EQ(ti.tcpi_rtt, want.tcpi_rtt);
        CHECK_EQ(ti.tcpi_options, want.tcpi_options);
        CHECK_EQ(ti.tcpi_bytes_received, 100);
        CHECK(ti.tcpi_segs_in >= 2);
        char cc[16] = { 0 };
        socklen_t cl = sizeof(cc);
        CHECK_EQ(strata_getsockopt(b, s1, IPPROTO_TCP, TCP_CONGESTION, cc, &cl), 0);
        CHECK(r->attr[e1][INET_DIAG_CONG]);
        CHECK_STR((const char *)r->attr[e1][INET_DIAG_CONG], cc);
        /* the sender's tcp_info counts what was acknowledged */
        r = ask(a, AF_INET, IPPROTO_TCP, ALL_STATES, ext, NLM_F_DUMP, NULL);
        a1 = find(r, TCP_ESTABLISHED, p1, 8080);
        CHECK(a1 >= 0);
        memcpy(&ti, r->attr[a1][INET_DIAG_INFO], sizeof(ti));
        /* Linux counts the SYN too (101); Strata's TCP counts payload only */
        CHECK(ti.tcpi_bytes_acked == 100 || ti.tcpi_bytes_acked == 101);

        /* ss -uan: the bound UDP socket, UNCONN, Recv-Q = memory charged */
        r = ask(b, AF_INET, IPPROTO_UDP, ALL_STATES, EXT(INET_DIAG_SKMEMINFO), NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 1);
        CHECK_EQ(r->msg[0].idiag_state, TCP_CLOSE);
        CHECK_EQ(ntohs(r->msg[0].id.idiag_sport), 5353);
        memcpy(mem, r->attr[0][INET_DIAG_SKMEMINFO], sizeof(mem));
        CHECK(r->msg[0].idiag_rqueue > 10);
        CHECK_EQ(r->msg[0].idiag_rqueue, mem[SK_MEMINFO_RMEM_ALLOC]);
        CHECK(!r->attr[0][INET_DIAG_INFO]);
        /* ss -u (established only): none */
        r = ask(b, AF_INET, IPPROTO_UDP, 1u << TCP_ESTABLISHED, 0, NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 0);
        CHECK(r->done);

        /* families and protocols without sockets: an empty dump, not an error */
        r = ask(b, AF_INET6, IPPROTO_TCP, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK(r->done && r->n == 0 && r->error == 1);
        r = ask(b, AF_UNIX, 0, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK(r->done && r->n == 0 && r->error == 1);
        r = ask(b, AF_INET, IPPROTO_RAW, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK(r->done && r->n == 0 && r->error == 1);

        /* one socket by id: no NLM_F_MULTI, no DONE; an unknown id: -ENOENT */
        lid.idiag_cookie[0] = lid.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
        r = ask(b, AF_INET, IPPROTO_TCP, ALL_STATES, 0, 0, &lid);
        CHECK_EQ(r->n, 1);
        CHECK(!r->done);
        CHECK_EQ(r->msg[0].idiag_state, TCP_LISTEN);
        CHECK(!(r->hdr[0].nlmsg_flags & NLM_F_MULTI));
        lid.idiag_sport = htons(9);
        r = ask(b, AF_INET, IPPROTO_TCP, ALL_STATES, 0, 0, &lid);
        CHECK_EQ(r->n, 0);
        CHECK_EQ(r->error, -ENOENT);

        fixture_down(&fx);
}

/* Sockets whose descriptor is gone are still the kernel's to list: a's
 * closed connection in FIN_WAIT2, then in TIME_WAIT once b closes too. */
static void closed_sockets_are_listed(void)
{
        static struct fixture fx;
        fixture_up(&fx);
        struct strata_net *a = fx.a, *b = fx.b;
        CHECK_EQ(strata_close(a, fx.c2), 0);
        fx.c2 = -1;
        strata_sim_run(fx.lab.ns, 2, strata_clock_now(fx.lab.clock) + SEC);
        struct reply *r = ask(a, AF_INET, IPPROTO_TCP, ALL_STATES, 0, NLM_F_DUMP, NULL);
        int w = find(r, TCP_FIN_WAIT2, fx.p2, 8080);
        if (w < 0)
                TEST_FAIL("a's closed connection (port %u) is not listed in FIN_WAIT2", fx.p2);
        /* b accepts the other end and closes it: a waits in TIME_WAIT */
        int s2 = strata_accept(b, fx.l, NULL, NULL);
        CHECK(s2 >= 0);
        CHECK_EQ(strata_close(b, s2), 0);
        strata_sim_run(fx.lab.ns, 2, strata_clock_now(fx.lab.clock) + SEC);
        r = ask(a, AF_INET, IPPROTO_TCP, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK(find(r, TCP_TIME_WAIT, fx.p2, 8080) >= 0);
        CHECK(find(r, TCP_FIN_WAIT2, fx.p2, 8080) < 0);
        /* ss -tn state time-wait */
        r = ask(a, AF_INET, IPPROTO_TCP, 1u << TCP_TIME_WAIT, 0, NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 1);
        fixture_down(&fx);
}

static void malformed_requests(void)
{
        struct strata_net *n;
        CHECK_EQ(strata_net_new("m", NULL, 1, &n), 0);
        struct strata_ctl_client c = { .portid = PORTID, .protocol = 4, .uid = 0 };
        static struct reply r;
        /* shorter than inet_diag_req_v2 */
        struct {
                struct nlmsghdr h;
                uint8_t fam[4];
        } q = { { sizeof(q), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 },
                { AF_INET, IPPROTO_TCP, 0, 0 } };
        memset(&r, 0, sizeof(r));
        CHECK_EQ(strata_ctl_handle(n, &c, &q, sizeof(q), collect, &r), 0);
        parse(&r);
        CHECK_EQ(r.error, -EINVAL);
        CHECK(!r.done);
        /* an unknown message type */
        q.h.nlmsg_type = 99;
        memset(&r, 0, sizeof(r));
        CHECK_EQ(strata_ctl_handle(n, &c, &q, sizeof(q), collect, &r), 0);
        parse(&r);
        CHECK_EQ(r.error, -EINVAL);
        /* SOCK_DESTROY of a socket that is not there */
        struct {
                struct nlmsghdr h;
                struct inet_diag_req_v2 r;
        } d = { { sizeof(d), SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, 2, 0 },
                { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP } };
        memset(&r, 0, sizeof(r));
        CHECK_EQ(strata_ctl_handle(n, &c, &d, sizeof(d), collect, &r), 0);
        parse(&r);
        CHECK_EQ(r.error, -ENOENT);
        /* an empty namespace: an empty dump */
        struct reply *e = ask(n, AF_INET, IPPROTO_TCP, ALL_STATES, 0xff, NLM_F_DUMP, NULL);
        CHECK(e->done && e->n == 0);
        strata_net_free(n);
}

/* --- Debian's ss itself, through the server and the preload shim ------------ */

struct served {
        struct strata_ctl_server *srv;
        int stop[2];
        char dir[64], sock[128], preload[PATH_MAX];
        pthread_t thread;
};

static void *serve(void *arg)
{
        struct served *sv = arg;
        strata_ctl_server_run(sv->srv, sv->stop[0]);
        return NULL;
}

static const char *find_ss(void)
{
        static const char *paths[] = { "/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss" };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

/* Output of `ss ARGS` against the server, spaces squeezed, one line each. */
static char *run_ss(struct served *sv, const char *args)
{
        static char out[16384];
        char cmd[PATH_MAX + 512];
        snprintf(cmd, sizeof(cmd), "LD_PRELOAD=%s %s=%s %s %s 2>&1", sv->preload, STRATA_CTL_ENV,
                 sv->sock, find_ss(), args);
        FILE *f = popen(cmd, "r");
        CHECK(f != NULL);
        size_t n = 0;
        int ch, sp = 0;
        while ((ch = fgetc(f)) != EOF && n + 2 < sizeof(out)) {
                if (ch == ' ' || ch == '\t') {
                        sp = 1;
                        continue;
                }
                if (sp && ch != '\n' && n && out[n - 1] != '\n')
                        out[n++] = ' ';
                sp = 0;
                out[n++] = (char)ch;
        }
        out[n] = 0;
        CHECK_EQ(pclose(f), 0);
        return out;
}

static int count_lines(const char *s)
{
        int n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

#define CHECK_HAS(hay, needle)                                                                     \
        do {                                                                                       \
                if (!strstr((hay), (needle)))                                                      \
                        TEST_FAIL("\"%s\" not in:\n%s", (needle), (hay));                          \
        } while (0)

static void real_ss_prints(void)
{
        static struct served sv;
        const char *ss = find_ss();
        char exe[PATH_MAX];
        ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (!ss || el <= 0) {
                test_skip_reason = "ss (iproute2) not installed";
                return;
        }
        exe[el] = 0;
        snprintf(sv.preload, sizeof(sv.preload), "%s/../../lib/libstrata-preload.so", dirname(exe));
        if (access(sv.preload, R_OK) != 0) {
                test_skip_reason = "libstrata-preload.so not built";
                return;
        }
        static struct fixture fx;
        fixture_up(&fx);
        snprintf(sv.dir, sizeof(sv.dir), "/tmp/strata-ssdiag.XXXXXX");
        CHECK(mkdtemp(sv.dir) != NULL);
        snprintf(sv.sock, sizeof(sv.sock), "%s/b.sock", sv.dir);
        CHECK_EQ(strata_ctl_server_new(fx.b, sv.sock, &sv.srv), 0);
        CHECK_EQ(pipe(sv.stop), 0);
        CHECK_EQ(pthread_create(&sv.thread, NULL, serve, &sv), 0);

        char line[256];
        char *o = run_ss(&sv, "-tan");
        CHECK_HAS(o, "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n");
        CHECK_HAS(o, "\nLISTEN 1 16 0.0.0.0:8080 0.0.0.0:*\n");
        snprintf(line, sizeof(line), "\nESTAB 100 0 10.0.0.2:8080 10.0.0.1:%u\n", fx.p1);
        CHECK_HAS(o, line);
        snprintf(line, sizeof(line), "\nESTAB 0 0 10.0.0.2:8080 10.0.0.1:%u\n", fx.p2);
        CHECK_HAS(o, line);
        CHECK_EQ(count_lines(o), 4); /* nothing of the host's */
        o = run_ss(&sv, "-ltn");
        CHECK_HAS(o, "\nLISTEN 1 16 0.0.0.0:8080 0.0.0.0:*\n");
        CHECK_EQ(count_lines(o), 2);
        struct reply *r = ask(fx.b, AF_INET, IPPROTO_UDP, ALL_STATES, 0, NLM_F_DUMP, NULL);
        CHECK_EQ(r->n, 1);
        o = run_ss(&sv, "-uan");
        snprintf(line, sizeof(line), "\nUNCONN %u 0 0.0.0.0:5353 0.0.0.0:*\n",
                 r->msg[0].idiag_rqueue);
        CHECK_HAS(o, line);
        CHECK_EQ(count_lines(o), 2);
        o = run_ss(&sv, "-tnm");
        CHECK_HAS(o, "skmem:(r");
        CHECK_HAS(o, ",f0,w0,o0,bl0,d0)");
        o = run_ss(&sv, "-tni");
        char cc[16] = { 0 };
        socklen_t cl = sizeof(cc);
        CHECK_EQ(strata_getsockopt(fx.b, fx.s1, IPPROTO_TCP, TCP_CONGESTION, cc, &cl), 0);
        snprintf(line, sizeof(line), "\n%s wscale:", cc); /* INET_DIAG_CONG */
        CHECK_HAS(o, line);
        CHECK_HAS(o, " mss:1448 ");
        CHECK_HAS(o, " cwnd:10 ");
        CHECK_HAS(o, " bytes_received:100 ");
        CHECK_HAS(o, " rto:200 ");
        /* with -o: the options, ECN negotiated and ECT(0) seen on the 100
         * bytes (TCPI_OPT_ECN, TCPI_OPT_ECN_SEEN) */
        o = run_ss(&sv, "-tnio");
        snprintf(line, sizeof(line), "\nts sack ecn ecnseen %s wscale:7,7 ", cc);
        CHECK_HAS(o, line);
        /* a listener reports cwnd and its queues only, as tcp_get_info */
        o = run_ss(&sv, "-tlni");
        snprintf(line, sizeof(line), "\n%s cwnd:10 unacked:1\n", cc);
        CHECK_HAS(o, line);
        if (getenv("SS_DIAG_SHOW"))
                printf("%s%s", run_ss(&sv, "-tanmi"), run_ss(&sv, "-uanm"));
        /* ss -K (SOCK_DESTROY, CAP_NET_ADMIN: the client is root): the
         * connection from a's second socket is reset, a hears it, and it
         * is gone from the list */
        if (geteuid() == 0) {
                char args[96];
                snprintf(args, sizeof(args), "-tnK dst 10.0.0.1 dport = :%u", fx.p2);
                o = run_ss(&sv, args);
                snprintf(line, sizeof(line), "\nESTAB 0 0 10.0.0.2:8080 10.0.0.1:%u\n", fx.p2);
                CHECK_HAS(o, line);
                CHECK_EQ(count_lines(o), 2);
                strata_sim_run(fx.lab.ns, 2, strata_clock_now(fx.lab.clock) + SEC);
                char buf[8];
                CHECK_EQ(strata_recv(fx.a, fx.c2, buf, sizeof(buf), MSG_DONTWAIT), -ECONNRESET);
                o = run_ss(&sv, "-tan");
                CHECK_EQ(count_lines(o), 3);
                CHECK(!strstr(o, line + 1));
        }

        CHECK_EQ(write(sv.stop[1], "x", 1), 1);
        pthread_join(sv.thread, NULL);
        strata_ctl_server_free(sv.srv);
        close(sv.stop[0]);
        close(sv.stop[1]);
        rmdir(sv.dir);
        fixture_down(&fx);
}

TEST_MAIN(T(sock_diag_replies), T(closed_sockets_are_listed), T(malformed_requests),
          T(real_ss_prints))
