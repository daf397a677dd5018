/*
 * The counters as strata_print_counters prints them, in /proc/net/snmp's
 * shape: a names line and a values line per group, Linux's values for a
 * fresh namespace (Tcp: RtoAlgorithm 1, RtoMin 200, RtoMax 120000 and
 * MaxConn -1, the one signed field); and as the control socket serves them
 * to `strata nstat` (STRATA_COUNTERS_GET): every counter by its Linux name,
 * moving as the namespace counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "strata/ctl.h"
#include "strata/socket.h"
#include "strata/strata.h"

static void tcp_group_as_linux_prints_it(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *sn;
        CHECK_EQ(strata_net_new("c", clk, 1, &sn), 0);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CHECK(f != NULL);
        strata_print_counters(sn, f);
        fclose(f);
        const char *names = strstr(text, "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ");
        CHECK(names != NULL);
        const char *vals = names ? strstr(names + 1, "\nTcp: ") : NULL;
        CHECK(vals != NULL);
        if (vals && strncmp(vals + 1, "Tcp: 1 200 120000 -1 ", 21) != 0)
                TEST_FAIL("Tcp values line: %.40s", vals + 1);
        free(text);
        strata_net_free(sn);
        strata_clock_free(clk);
}

struct dump {
        int values;
        char want[64];
        char got[32];
        bool done;
};

/* One reply message: count COUNTER_VALUEs, keep the value of d->want. */
static void on_msg(struct dump *d, const struct nlmsghdr *h)
{
        if (h->nlmsg_type == NLMSG_DONE)
                d->done = true;
        if (h->nlmsg_type != STRATA_COUNTER_VALUE)
                return;
        d->values++;
        const char *name = NULL, *value = NULL;
        for (size_t off = NLMSG_HDRLEN; off + 4 <= h->nlmsg_len;) {
                const struct nlattr *a = (const void *)((const char *)h + off);
                if (a->nla_len < 4 || off + a->nla_len > h->nlmsg_len)
                        break;
                const char *p = (const char *)a + 4;
                if (a->nla_type == STRATA_SYSCTL_A_NAME)
                        name = p;
                else if (a->nla_type == STRATA_SYSCTL_A_VALUE)
                        value = p;
                off += NLA_ALIGN(a->nla_len);
        }
        if (name && value && !strcmp(name, d->want))
                snprintf(d->got, sizeof(d->got), "%s", value);
}

/* A datagram may carry several messages. */
static int on_reply(const void *buf, size_t len, void *ctx)
{
        const struct nlmsghdr *h = buf;
        for (size_t left = len; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
                on_msg(ctx, h);
        return 0;
}

static void ask(struct strata_net *sn, const char *want, struct dump *d)
{
        memset(d, 0, sizeof(*d));
        snprintf(d->want, sizeof(d->want), "%s", want);
        struct nlmsghdr q = { .nlmsg_len = sizeof(q), .nlmsg_type = STRATA_COUNTERS_GET,
                              .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 9 };
        struct strata_ctl_client c = { .portid = 77, .protocol = STRATA_NETLINK_CTL, .uid = 0 };
        CHECK_EQ(strata_ctl_handle(sn, &c, &q, sizeof(q), on_reply, d), 0);
        CHECK(d->done);
}

static void served_to_strata_nstat(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *sn;
        CHECK_EQ(strata_net_new("c", clk, 1, &sn), 0);
        struct dump d;
        ask(sn, "Tcp.RtoMin", &d);
        if (d.values < 90) /* Ip, Icmp, Tcp, Udp, TcpExt, IpExt */
                TEST_FAIL("%d counters in the dump", d.values);
        CHECK_STR(d.got, "200");
        /* a send with no route is counted (Ip.OutNoRoutes) */
        ask(sn, "Ip.OutNoRoutes", &d);
        CHECK_STR(d.got, "0");
        int u = strata_socket(sn, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
                                  .sin_addr.s_addr = htonl(0x0a090909) };
        CHECK_EQ(strata_sendto(sn, u, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -ENETUNREACH);
        ask(sn, "Ip.OutNoRoutes", &d);
        CHECK_STR(d.got, "1");
        /* a single counter is not a request the family knows (dump only) */
        struct nlmsghdr q = { .nlmsg_len = sizeof(q), .nlmsg_type = STRATA_COUNTERS_GET,
                              .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 10 };
        struct strata_ctl_client c = { .portid = 77, .protocol = STRATA_NETLINK_CTL, .uid = 0 };
        memset(&d, 0, sizeof(d));
        CHECK_EQ(strata_ctl_handle(sn, &c, &q, sizeof(q), on_reply, &d), 0);
        CHECK_EQ(d.values, 0);
        strata_close(sn, u);
        strata_net_free(sn);
        strata_clock_free(clk);
}

TEST_MAIN(T(tcp_group_as_linux_prints_it), T(served_to_strata_nstat))
