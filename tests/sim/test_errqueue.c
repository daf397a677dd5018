/*
 * The socket error queue on the simulated clock, between two namespaces
 * over a veth pair (so every ACK takes a trip through the link):
 *
 *  - MSG_ZEROCOPY on a socket with SO_ZEROCOPY: each send takes the next
 *    id, the completion comes once its bytes are acknowledged, consecutive
 *    ids merge into one range (ee_info..ee_data), SO_EE_CODE_ZEROCOPY_COPIED;
 *    a send that fails takes no id; without SO_ZEROCOPY the flag is
 *    ignored; the queue makes the socket POLLERR and reads EAGAIN empty.
 *  - SO_TIMESTAMPING: SCHED and SND when the key byte leaves, ACK when it
 *    is acknowledged, SCM_TIMESTAMPING at the clock's time before the
 *    IP_RECVERR cmsg, OPT_ID keys counted from the connection's first
 *    byte, OPT_TSONLY reports without the packet, and what is refused.
 *  - Entries nobody read are freed with the socket (the pool's leak check).
 *  - UDP: IP_RECVERR queues ICMP errors; MSG_ZEROCOPY completes at once;
 *    SCHED/SND timestamps per datagram.
 *  - sendfile() from a host file (the offset or the file position moves).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "veth_lab.h"

#define SEC  1000000000ull
#define MSEC 1000000ull

struct lab {
        struct veth_lab v;
        int l, c, s; /* listener (b), client (a), accepted (b) */
};

static void run(struct lab *lab, uint64_t ns)
{
        veth_lab_run(&lab->v, ns);
}

/* Two namespaces, a connection from a (c) to b (s); zerocopy on c when asked
 * before connecting. */
static void lab_up(struct lab *lab, bool zc_before)
{
        veth_lab_up(&lab->v);
        struct strata_net *a = lab->v.ns[0], *b = lab->v.ns[1];
        lab->l = strata_socket(b, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
        CHECK_EQ(strata_bind(b, lab->l, (struct sockaddr *)&sin, sizeof(sin)), 0);
        CHECK_EQ(strata_listen(b, lab->l, 4), 0);
        lab->c = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        if (zc_before) {
                int one = 1;
                CHECK_EQ(strata_setsockopt(a, lab->c, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)),
                         0);
        }
        sin.sin_addr.s_addr = htonl(0x0a000002);
        CHECK_EQ(strata_connect(a, lab->c, (struct sockaddr *)&sin, sizeof(sin)), 0);
        lab->s = strata_accept(b, lab->l, NULL, NULL);
        CHECK(lab->s >= 0);
}

static void lab_down(struct lab *lab)
{
        strata_close(lab->v.ns[0], lab->c);
        strata_close(lab->v.ns[1], lab->s);
        strata_close(lab->v.ns[1], lab->l);
        veth_lab_down(&lab->v);
}

/* One recvmsg(MSG_ERRQUEUE) with a data buffer of dlen bytes. */
struct errmsg {
        ssize_t r;
        int flags;
        bool has_ts;
        uint64_t ts_ns;
        struct sock_extended_err ee;
        bool has_ee;
};

static struct errmsg read_err(struct strata_net *n, int fd, size_t dlen)
{
        char data[4096];
        _Alignas(struct cmsghdr) char ctl[512];
        struct iovec iov = { .iov_base = data, .iov_len = dlen };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                             .msg_controllen = sizeof(ctl) };
        struct errmsg e;
        memset(&e, 0, sizeof(e));
        e.r = strata_recvmsg(n, fd, &mh, MSG_ERRQUEUE);
        if (e.r < 0)
                return e;
        e.flags = mh.msg_flags;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                        CHECK(!e.has_ee); /* the timestamp comes first */
                        struct scm_timestamping t;
                        memcpy(&t, CMSG_DATA(c), sizeof(t));
                        e.has_ts = true;
                        e.ts_ns = (uint64_t)t.ts[0].tv_sec * SEC + (uint64_t)t.ts[0].tv_nsec;
                } else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) {
                        CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(e.ee) + sizeof(struct sockaddr_in)));
                        memcpy(&e.ee, CMSG_DATA(c), sizeof(e.ee));
                        e.has_ee = true;
                }
        }
        return e;
}

static short revents(struct strata_net *n, int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
        CHECK_EQ(strata_poll(n, &p, 1, 0), 1);
        return p.revents;
}

static void zerocopy_completions_merge(void)
{
        struct lab lab;
        lab_up(&lab, true);
        struct strata_net *a = lab.v.ns[0];
        static char buf[3000];
        /* three sends before any ACK: one completion for ids 0..2 */
        for (int i = 0; i < 3; i++)
                CHECK_EQ(strata_send(a, lab.c, buf, 1000, MSG_ZEROCOPY | MSG_DONTWAIT), 1000);
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN); /* nothing acknowledged yet */
        CHECK(!(revents(a, lab.c) & POLLERR));
        run(&lab, SEC);
        CHECK(revents(a, lab.c) & POLLERR);
        struct errmsg e = read_err(a, lab.c, 0);
        CHECK_EQ(e.r, 0);
        CHECK(e.has_ee && !e.has_ts);
        CHECK_EQ(e.flags, MSG_ERRQUEUE); /* a completion carries no bytes: no MSG_TRUNC */
        CHECK_EQ(e.ee.ee_errno, 0);
        CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
        CHECK_EQ(e.ee.ee_code, SO_EE_CODE_ZEROCOPY_COPIED);
        CHECK_EQ(e.ee.ee_info, 0);
        CHECK_EQ(e.ee.ee_data, 2);
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        CHECK(!(revents(a, lab.c) & POLLERR));
        /* without MSG_ZEROCOPY, or an empty send: no id */
        CHECK_EQ(strata_send(a, lab.c, buf, 100, 0), 100);
        CHECK_EQ(strata_send(a, lab.c, buf, 0, MSG_ZEROCOPY), 0);
        run(&lab, SEC);
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        /* the next id is 3; left unread, it is freed with the socket */
        CHECK_EQ(strata_send(a, lab.c, buf, 10, MSG_ZEROCOPY), 10);
        run(&lab, SEC);
        char sink[4096];
        while (strata_recv(lab.v.ns[1], lab.s, sink, sizeof(sink), MSG_DONTWAIT) > 0)
                ;
        e = read_err(a, lab.c, 0);
        CHECK_EQ(e.ee.ee_info, 3);
        CHECK_EQ(e.ee.ee_data, 3);
        CHECK_EQ(strata_send(a, lab.c, buf, 10, MSG_ZEROCOPY), 10);
        run(&lab, SEC);
        lab_down(&lab);
}

static void zerocopy_flag_needs_the_option(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0];
        int v = -1;
        socklen_t len = sizeof(v);
        CHECK_EQ(strata_getsockopt(a, lab.c, SOL_SOCKET, SO_ZEROCOPY, &v, &len), 0);
        CHECK_EQ(v, 0);
        CHECK_EQ(strata_send(a, lab.c, "x", 1, MSG_ZEROCOPY), 1);
        run(&lab, SEC);
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        v = 2;
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof(v)), -EINVAL);
        v = 1;
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof(v)), 0);
        CHECK_EQ(strata_getsockopt(a, lab.c, SOL_SOCKET, SO_ZEROCOPY, &v, &len), 0);
        CHECK_EQ(v, 1);
        /* a send that fails takes no id: after shutdown, EPIPE */
        CHECK_EQ(strata_shutdown(a, lab.c, SHUT_WR), 0);
        CHECK_EQ(strata_send(a, lab.c, "x", 1, MSG_ZEROCOPY | MSG_NOSIGNAL), -EPIPE);
        run(&lab, SEC);
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        lab_down(&lab);
}

static void tx_timestamps_sched_snd_ack(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0];
        int f = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE |
                SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID;
        static char buf[5000];
        /* bytes already sent do not count in the keys */
        CHECK_EQ(strata_send(a, lab.c, buf, 100, 0), 100);
        run(&lab, SEC);
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), 0);
        uint64_t t0 = strata_clock_now(lab.v.clock);
        CHECK_EQ(strata_send(a, lab.c, buf, 5000, 0), 5000);
        run(&lab, SEC);
        static const int types[] = { SCM_TSTAMP_SCHED, SCM_TSTAMP_SND, SCM_TSTAMP_ACK };
        uint64_t last = 0;
        for (int i = 0; i < 3; i++) {
                struct errmsg e = read_err(a, lab.c, 0);
                CHECK_EQ(e.r, 0);
                CHECK_EQ(e.flags, MSG_ERRQUEUE | MSG_TRUNC); /* the packet is there */
                CHECK(e.has_ts && e.has_ee);
                CHECK_EQ(e.ee.ee_errno, ENOMSG);
                CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
                CHECK_EQ(e.ee.ee_info, types[i]);
                CHECK_EQ(e.ee.ee_data, 4999); /* the write's last byte */
                CHECK(e.ts_ns >= t0 && e.ts_ns >= last);
                last = e.ts_ns;
        }
        CHECK(last <= strata_clock_now(lab.v.clock));
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        /* OPT_TSONLY: reports without the packet; no SOFTWARE: no cmsg time */
        f = SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), 0);
        int got = 0;
        socklen_t len = sizeof(got);
        CHECK_EQ(strata_getsockopt(a, lab.c, SOL_SOCKET, SO_TIMESTAMPING, &got, &len), 0);
        CHECK_EQ(got, f);
        CHECK_EQ(strata_send(a, lab.c, buf, 10, 0), 10);
        run(&lab, SEC);
        struct errmsg e = read_err(a, lab.c, 64);
        CHECK_EQ(e.r, 0);
        CHECK_EQ(e.flags, MSG_ERRQUEUE);
        CHECK(!e.has_ts);
        CHECK_EQ(e.ee.ee_info, SCM_TSTAMP_ACK);
        CHECK_EQ(e.ee.ee_data, 5009); /* the key base stays while OPT_ID stays on */
        lab_down(&lab);
}

static void timestamping_refusals(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0], *b = lab.v.ns[1];
        int f = SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID;
        /* OPT_ID on a listening or unconnected TCP socket: EINVAL */
        CHECK_EQ(strata_setsockopt(b, lab.l, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), -EINVAL);
        int fresh = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(strata_setsockopt(a, fresh, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), -EINVAL);
        /* flags past the kernel's mask: EINVAL; OPT_STATS: not built */
        f = 1 << 30;
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), -EINVAL);
        f = SOF_TIMESTAMPING_OPT_STATS | SOF_TIMESTAMPING_OPT_TSONLY; /* not built */
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)),
                 -EOPNOTSUPP);
        /* zerocopy on UDP, not on a socket of another kind */
        int u = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        int one = 1;
        CHECK_EQ(strata_setsockopt(a, u, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)), 0);
        CHECK_EQ(strata_close(a, u), 0);
        CHECK_EQ(strata_close(a, fresh), 0);
        lab_down(&lab);
}

/* UDP: IP_RECVERR queues the ICMP error with the datagram's payload, its
 * sender and where the datagram went; MSG_ZEROCOPY completes at once. */
static void udp_icmp_errors_and_zerocopy(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0];
        int u = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        int one = 1;
        CHECK_EQ(strata_setsockopt(a, u, SOL_IP, IP_RECVERR, &one, sizeof(one)), 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
                                  .sin_addr.s_addr = htonl(0x0a000002) };
        CHECK_EQ(strata_sendto(a, u, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
        run(&lab, SEC);
        CHECK(revents(a, u) & POLLERR);
        char data[16];
        _Alignas(struct cmsghdr) char ctl[256];
        struct sockaddr_in from;
        struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
        struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
                             .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
        CHECK_EQ(strata_recvmsg(a, u, &mh, MSG_ERRQUEUE), 5);
        CHECK_MEM(data, "hello", 5);
        CHECK_EQ(mh.msg_flags, MSG_ERRQUEUE);
        CHECK_EQ(mh.msg_namelen, sizeof(from));
        CHECK_EQ(ntohl(from.sin_addr.s_addr), 0x0a000002);
        CHECK_EQ(ntohs(from.sin_port), 9);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        CHECK(c && c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR);
        struct {
                struct sock_extended_err ee;
                struct sockaddr_in offender;
        } eh;
        memcpy(&eh, CMSG_DATA(c), sizeof(eh));
        CHECK_EQ(eh.ee.ee_errno, ECONNREFUSED);
        CHECK_EQ(eh.ee.ee_origin, SO_EE_ORIGIN_ICMP);
        CHECK_EQ(eh.ee.ee_type, 3);
        CHECK_EQ(eh.ee.ee_code, 3);
        CHECK_EQ(ntohl(eh.offender.sin_addr.s_addr), 0x0a000002);
        CHECK(!CMSG_NXTHDR(&mh, c));
        /* taking the ICMP error took the pending error with it */
        int err = -1;
        socklen_t len = sizeof(err);
        CHECK_EQ(strata_getsockopt(a, u, SOL_SOCKET, SO_ERROR, &err, &len), 0);
        CHECK_EQ(err, 0);
        /* too big for the path with DF: EMSGSIZE, and a local error with
         * the path MTU (ip_local_error) */
        int pmtu = IP_PMTUDISC_DO;
        CHECK_EQ(strata_setsockopt(a, u, SOL_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)), 0);
        static char big[2000];
        CHECK_EQ(strata_sendto(a, u, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)),
                 -EMSGSIZE);
        mh.msg_namelen = sizeof(from);
        mh.msg_controllen = sizeof(ctl);
        memset(&from, 0, sizeof(from));
        CHECK_EQ(strata_recvmsg(a, u, &mh, MSG_ERRQUEUE), 0);
        CHECK_EQ(ntohl(from.sin_addr.s_addr), 0x0a000002);
        CHECK_EQ(ntohs(from.sin_port), 9);
        c = CMSG_FIRSTHDR(&mh);
        CHECK(c && c->cmsg_type == IP_RECVERR);
        memcpy(&eh, CMSG_DATA(c), sizeof(eh));
        CHECK_EQ(eh.ee.ee_errno, EMSGSIZE);
        CHECK_EQ(eh.ee.ee_origin, SO_EE_ORIGIN_LOCAL);
        CHECK_EQ(eh.ee.ee_info, 1500);
        CHECK_EQ(eh.offender.sin_family, AF_UNSPEC); /* no offender for a local error */
        /* an error left unread is freed with the socket */
        CHECK_EQ(strata_sendto(a, u, "again", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
        run(&lab, SEC);
        /* zerocopy: ids 0 and 1 merge */
        int z = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        CHECK_EQ(strata_setsockopt(a, z, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)), 0);
        to.sin_port = htons(7);
        for (int i = 0; i < 2; i++)
                CHECK_EQ(strata_sendto(a, z, "z", 1, MSG_ZEROCOPY, (struct sockaddr *)&to,
                                       sizeof(to)),
                         1);
        struct errmsg e = read_err(a, z, 0);
        CHECK_EQ(e.r, 0);
        CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
        CHECK_EQ(e.ee.ee_info, 0);
        CHECK_EQ(e.ee.ee_data, 1);
        CHECK_EQ(strata_close(a, z), 0);
        CHECK_EQ(strata_close(a, u), 0);
        lab_down(&lab);
}

/* sendfile from a host file: the offset moves by what was sent, a NULL
 * offset reads and moves the file position, the bytes arrive intact. */
static void sendfile_from_a_host_file(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0], *b = lab.v.ns[1];
        char path[] = "/tmp/strata-sendfile-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        unlink(path);
        static char data[100000];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (char)(i * 13 + (i >> 9));
        CHECK_EQ(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
        off_t off = 10;
        CHECK_EQ(strata_sendfile(a, lab.c, fd, &off, 70000), 70000);
        CHECK_EQ(off, 70010);
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), (off_t)sizeof(data)); /* untouched */
        CHECK_EQ(lseek(fd, 99990, SEEK_SET), 99990);
        CHECK_EQ(strata_sendfile(a, lab.c, fd, NULL, 50), 10); /* to the end */
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), 100000);
        CHECK_EQ(strata_sendfile(a, lab.c, fd, NULL, 50), 0);
        static char got[70010];
        size_t n = 0;
        while (n < sizeof(got)) {
                ssize_t r = strata_recv(b, lab.s, got + n, sizeof(got) - n, 0);
                CHECK(r > 0);
                n += (size_t)r;
        }
        CHECK_MEM(got, data + 10, 70000);
        CHECK_MEM(got + 70000, data + 99990, 10);
        off = -1;
        CHECK_EQ(strata_sendfile(a, lab.c, fd, &off, 1), -EINVAL);
        close(fd);
        CHECK_EQ(strata_sendfile(a, lab.c, fd, NULL, 1), -EBADF);
        lab_down(&lab);
}

/* UDP: SCHED and SND as each datagram leaves, OPT_ID keys counting
 * datagrams from 0, the datagram in the report unless OPT_TSONLY. */
static void udp_tx_timestamps(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0];
        int u = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        int f = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE |
                SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID;
        CHECK_EQ(strata_setsockopt(a, u, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7),
                                  .sin_addr.s_addr = htonl(0x0a000002) };
        run(&lab, SEC); /* a wall clock reading 0 means "no time" (as Linux's) */
        for (int i = 0; i < 2; i++)
                CHECK_EQ(strata_sendto(a, u, "ts", 2, 0, (struct sockaddr *)&to, sizeof(to)), 2);
        for (int i = 0; i < 4; i++) {
                struct errmsg e = read_err(a, u, 0);
                CHECK_EQ(e.r, 0);
                CHECK_EQ(e.flags, MSG_ERRQUEUE | MSG_TRUNC); /* header and payload */
                CHECK(e.has_ts);
                CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
                CHECK_EQ(e.ee.ee_info, i % 2 ? SCM_TSTAMP_SND : SCM_TSTAMP_SCHED);
                CHECK_EQ(e.ee.ee_data, (uint32_t)(i / 2));
        }
        CHECK_EQ(read_err(a, u, 0).r, -EAGAIN);
        f = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
        CHECK_EQ(strata_setsockopt(a, u, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), 0);
        CHECK_EQ(strata_sendto(a, u, "ts", 2, 0, (struct sockaddr *)&to, sizeof(to)), 2);
        struct errmsg e = read_err(a, u, 0);
        CHECK_EQ(e.flags, MSG_ERRQUEUE);
        CHECK(!e.has_ts); /* no SOF_TIMESTAMPING_SOFTWARE: no time reported */
        CHECK_EQ(e.ee.ee_info, SCM_TSTAMP_SND);
        CHECK_EQ(e.ee.ee_data, 0);
        run(&lab, SEC);
        CHECK_EQ(strata_close(a, u), 0);
        lab_down(&lab);
}

/* A completion merges only into a zerocopy entry at the queue's tail: an
 * ACK timestamp queued between keeps ids apart (Linux stamps the acked
 * skb before freeing it, which completes its zerocopy send). */
static void timestamps_keep_completions_apart(void)
{
        struct lab lab;
        lab_up(&lab, true);
        struct strata_net *a = lab.v.ns[0];
        run(&lab, SEC);
        int f = SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_SOFTWARE;
        CHECK_EQ(strata_setsockopt(a, lab.c, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), 0);
        for (int i = 0; i < 2; i++) {
                CHECK_EQ(strata_send(a, lab.c, "zc", 2, MSG_ZEROCOPY), 2);
                run(&lab, SEC);
        }
        for (uint32_t i = 0; i < 2; i++) {
                struct errmsg e = read_err(a, lab.c, 0);
                CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
                CHECK_EQ(e.ee.ee_info, SCM_TSTAMP_ACK);
                e = read_err(a, lab.c, 0);
                CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
                CHECK_EQ(e.ee.ee_info, i);
                CHECK_EQ(e.ee.ee_data, i);
        }
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        lab_down(&lab);
}

/* A send with one cmsg (level, type, an int). */
static ssize_t send_cmsg(struct strata_net *n, int fd, const void *buf, size_t len, int level,
                         int type, uint32_t v, const struct sockaddr_in *to)
{
        _Alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(v))];
        struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
        struct msghdr mh = { .msg_name = (void *)to, .msg_namelen = to ? sizeof(*to) : 0,
                             .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                             .msg_controllen = sizeof(ctl) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = level;
        c->cmsg_type = type;
        c->cmsg_len = CMSG_LEN(sizeof(v));
        memcpy(CMSG_DATA(c), &v, sizeof(v));
        return strata_sendmsg(n, fd, &mh, 0);
}

/* SO_TIMESTAMPING as a cmsg of one send: that write is stamped though the
 * socket asks for nothing; bad cmsgs are refused as Linux refuses them. */
static void timestamping_per_send(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0];
        run(&lab, SEC);
        CHECK_EQ(send_cmsg(a, lab.c, "abcd", 4, SOL_SOCKET, SO_TIMESTAMPING,
                           SOF_TIMESTAMPING_TX_ACK, NULL),
                 4);
        CHECK_EQ(strata_send(a, lab.c, "efgh", 4, 0), 4); /* not stamped */
        run(&lab, SEC);
        struct errmsg e = read_err(a, lab.c, 0);
        CHECK_EQ(e.r, 0);
        CHECK(!e.has_ts); /* the socket did not ask for software reports */
        CHECK_EQ(e.ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
        CHECK_EQ(e.ee.ee_info, SCM_TSTAMP_ACK);
        CHECK_EQ(read_err(a, lab.c, 0).r, -EAGAIN);
        /* only TX record flags; SO_MARK not built; TCP says EINVAL to all */
        CHECK_EQ(send_cmsg(a, lab.c, "x", 1, SOL_SOCKET, SO_TIMESTAMPING,
                           SOF_TIMESTAMPING_SOFTWARE, NULL),
                 -EINVAL);
        CHECK_EQ(send_cmsg(a, lab.c, "x", 1, SOL_SOCKET, SO_MARK, 1, NULL), -EINVAL);
        CHECK_EQ(send_cmsg(a, lab.c, "x", 1, SOL_SOCKET, SCM_RIGHTS, 0, NULL), 1); /* ignored */
        /* UDP: the call's flags stamp the datagram; its errors stay its own */
        int u = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7),
                                  .sin_addr.s_addr = htonl(0x0a000002) };
        CHECK_EQ(send_cmsg(a, u, "u", 1, SOL_SOCKET, SO_TIMESTAMPING,
                           SOF_TIMESTAMPING_TX_SOFTWARE, &to),
                 1);
        e = read_err(a, u, 0);
        CHECK_EQ(e.ee.ee_info, SCM_TSTAMP_SND);
        CHECK_EQ(send_cmsg(a, u, "u", 1, SOL_SOCKET, SO_MARK, 1, &to), -EOPNOTSUPP);
        CHECK_EQ(send_cmsg(a, u, "u", 1, SOL_SOCKET, SO_TIMESTAMPING, 1u << 31, &to), -EINVAL);
        CHECK_EQ(strata_close(a, u), 0);
        lab_down(&lab);
}

/* Receive timestamps: SO_TIMESTAMP (timeval), SO_TIMESTAMPNS (timespec),
 * SO_TIMESTAMPING RX_SOFTWARE|SOFTWARE (scm_timestamping), at the time the
 * data arrived, before the other cmsgs of the read. */
static void rx_timestamps(void)
{
        struct lab lab;
        lab_up(&lab, false);
        struct strata_net *a = lab.v.ns[0], *b = lab.v.ns[1];
        int one = 1, v = -1;
        socklen_t vl = sizeof(v);
        CHECK_EQ(strata_setsockopt(b, lab.s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)), 0);
        CHECK_EQ(strata_getsockopt(b, lab.s, SOL_SOCKET, SO_TIMESTAMP, &v, &vl), 0);
        CHECK_EQ(v, 0); /* the later option picked the timespec */
        CHECK_EQ(strata_setsockopt(b, lab.s, IPPROTO_TCP, TCP_INQ, &one, sizeof(one)), 0);
        run(&lab, SEC);
        uint64_t sent_at = strata_clock_now(lab.v.clock);
        CHECK_EQ(strata_send(a, lab.c, "hi", 2, 0), 2);
        run(&lab, 5 * SEC); /* read well after it arrived */
        char buf[16];
        _Alignas(struct cmsghdr) char ctl[256];
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                             .msg_controllen = sizeof(ctl) };
        CHECK_EQ(strata_recvmsg(b, lab.s, &mh, 0), 2);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        CHECK(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS);
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        uint64_t t = (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
        CHECK(t >= sent_at && t < sent_at + SEC); /* when it arrived, not when read */
        c = CMSG_NXTHDR(&mh, c);
        CHECK(c && c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ);
        /* UDP: SO_TIMESTAMP's timeval, then SCM_TIMESTAMPING, then IP_TTL */
        int u = strata_socket(b, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9999) };
        CHECK_EQ(strata_bind(b, u, (struct sockaddr *)&sin, sizeof(sin)), 0);
        CHECK_EQ(strata_setsockopt(b, u, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)), 0);
        int f = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
        CHECK_EQ(strata_setsockopt(b, u, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof(f)), 0);
        CHECK_EQ(strata_setsockopt(b, u, SOL_IP, IP_RECVTTL, &one, sizeof(one)), 0);
        int ua = strata_socket(a, AF_INET, SOCK_DGRAM, 0);
        sin.sin_addr.s_addr = htonl(0x0a000002);
        CHECK_EQ(strata_sendto(a, ua, "d", 1, 0, (struct sockaddr *)&sin, sizeof(sin)), 1);
        run(&lab, SEC);
        mh.msg_controllen = sizeof(ctl);
        CHECK_EQ(strata_recvmsg(b, u, &mh, 0), 1);
        c = CMSG_FIRSTHDR(&mh);
        CHECK(c && c->cmsg_type == SCM_TIMESTAMP && c->cmsg_len == CMSG_LEN(sizeof(struct timeval)));
        c = CMSG_NXTHDR(&mh, c);
        CHECK(c && c->cmsg_type == SCM_TIMESTAMPING);
        c = CMSG_NXTHDR(&mh, c);
        CHECK(c && c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL);
        CHECK_EQ(strata_close(a, ua), 0);
        CHECK_EQ(strata_close(b, u), 0);
        lab_down(&lab);
}

TEST_MAIN(T(zerocopy_completions_merge), T(rx_timestamps), T(timestamping_per_send), T(timestamps_keep_completions_apart), T(udp_tx_timestamps), T(sendfile_from_a_host_file), T(udp_icmp_errors_and_zerocopy), T(zerocopy_flag_needs_the_option),
          T(tx_timestamps_sched_snd_ack), T(timestamping_refusals))
