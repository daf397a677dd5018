/*
 * TCP MD5 signatures between two Strata namespaces: signed both ways with
 * the same key (a transfer, no failure counted), refused with another key
 * or none, and TCP_MD5SIG's argument checks as Linux makes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"
#include "veth_lab.h"

#define SEC 1000000000ull

static int set_key(struct strata_net *n, int fd, const char *peer, const char *key)
{
        struct tcp_md5sig m;
        memset(&m, 0, sizeof(m));
        struct sockaddr_in *sin = (struct sockaddr_in *)&m.tcpm_addr;
        sin->sin_family = AF_INET;
        inet_pton(AF_INET, peer, &sin->sin_addr);
        m.tcpm_keylen = (uint16_t)strlen(key);
        memcpy(m.tcpm_key, key, m.tcpm_keylen);
        return strata_setsockopt(n, fd, IPPROTO_TCP, TCP_MD5SIG, &m, sizeof(m));
}

/* A listener on b (key for a unless NULL) and a non-blocking connect from
 * a (key for b unless NULL); the accepted fd or -EAGAIN after 5 s. */
static int try_connect(struct veth_lab *lab, const char *lkey, const char *ckey, int *c, int *l)
{
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        *l = strata_socket(b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (lkey)
                CHECK_EQ(set_key(b, *l, "10.0.0.1", lkey), 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(179) };
        CHECK_EQ(strata_bind(b, *l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, *l, 4), 0);
        *c = strata_socket(a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (ckey)
                CHECK_EQ(set_key(a, *c, "10.0.0.2", ckey), 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(179) };
        inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
        CHECK_EQ(strata_connect(a, *c, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        veth_lab_run(lab, 5 * SEC);
        return strata_accept(b, *l, NULL, NULL);
}

static void signed_transfer(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        struct strata_net *a = lab.ns[0], *b = lab.ns[1];
        int c, l;
        int s = try_connect(&lab, "bgp-secret", "bgp-secret", &c, &l);
        CHECK(s >= 0);
        /* 200 KB each way, MSS-sized segments each signed */
        static char out[200000], in[200000];
        for (size_t i = 0; i < sizeof(out); i++)
                out[i] = (char)(i * 13 + 1);
        size_t sent = 0, got = 0;
        for (int round = 0; got < sizeof(in) && round < 10000; round++) {
                if (sent < sizeof(out)) {
                        ssize_t n = strata_send(a, c, out + sent, sizeof(out) - sent, MSG_DONTWAIT);
                        if (n > 0)
                                sent += (size_t)n;
                }
                ssize_t r = strata_recv(b, s, in + got, sizeof(in) - got, MSG_DONTWAIT);
                if (r > 0)
                        got += (size_t)r;
                else
                        veth_lab_run(&lab, SEC / 100);
        }
        CHECK_EQ(got, sizeof(in));
        CHECK_MEM(in, out, sizeof(in));
        CHECK_EQ(veth_lab_ctr(a, "TcpExt.TCPMD5Failure") + veth_lab_ctr(b, "TcpExt.TCPMD5Failure"), 0);
        CHECK_EQ(veth_lab_ctr(a, "TcpExt.TCPMD5NotFound") + veth_lab_ctr(b, "TcpExt.TCPMD5NotFound"), 0);
        strata_close(a, c);
        strata_close(b, s);
        strata_close(b, l);
        veth_lab_down(&lab);
}

static void wrong_or_missing_key(void)
{
        for (int k = 0; k < 3; k++) {
                struct veth_lab lab;
                veth_lab_up(&lab);
                struct strata_net *a = lab.ns[0], *b = lab.ns[1];
                int c, l;
                const char *ckey = k == 0 ? "not-the-key" : k == 1 ? NULL : "bgp-secret";
                const char *lkey = k == 2 ? NULL : "bgp-secret";
                CHECK_EQ(try_connect(&lab, lkey, ckey, &c, &l), -EAGAIN);
                if (k == 0)
                        CHECK(veth_lab_ctr(b, "TcpExt.TCPMD5Failure") > 0);
                else if (k == 1)
                        CHECK(veth_lab_ctr(b, "TcpExt.TCPMD5NotFound") > 0);
                else
                        CHECK(veth_lab_ctr(b, "TcpExt.TCPMD5Unexpected") > 0);
                strata_close(a, c);
                strata_close(b, l);
                veth_lab_down(&lab);
        }
}

static void option_checks(void)
{
        struct veth_lab lab;
        veth_lab_up(&lab);
        struct strata_net *a = lab.ns[0];
        int fd = strata_socket(a, AF_INET, SOCK_STREAM, 0);
        struct tcp_md5sig m;
        memset(&m, 0, sizeof(m));
        m.tcpm_addr.ss_family = AF_INET;
        /* too short, wrong family, key too long, nothing to delete */
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG, &m, sizeof(m) - 1), -EINVAL);
        m.tcpm_addr.ss_family = AF_INET6;
        m.tcpm_keylen = 4;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG, &m, sizeof(m)), -EINVAL);
        m.tcpm_addr.ss_family = AF_INET;
        m.tcpm_keylen = TCP_MD5SIG_MAXKEYLEN + 1;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG, &m, sizeof(m)), -EINVAL);
        m.tcpm_keylen = 0;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG, &m, sizeof(m)), -ENOENT);
        /* a prefix: at most 32; then set and delete */
        m.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
        m.tcpm_prefixlen = 33;
        m.tcpm_keylen = 4;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &m, sizeof(m)), -EINVAL);
        m.tcpm_prefixlen = 24;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &m, sizeof(m)), 0);
        m.tcpm_keylen = 0;
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &m, sizeof(m)), 0);
        CHECK_EQ(strata_setsockopt(a, fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &m, sizeof(m)), -ENOENT);
        strata_close(a, fd);
        veth_lab_down(&lab);
}

TEST_MAIN(T(signed_transfer), T(wrong_or_missing_key), T(option_checks))
