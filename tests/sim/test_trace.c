/*
 * The packet trace with a filter (strata_trace_filter, what `strata trace
 * host/proto/port` sets): only packets matching it start a trace, packets
 * they cause (an ICMP error) stay in their story, and the rest pass
 * untraced.  alpha(10.0.0.1) --veth-- beta(10.0.0.2) on the simulated
 * clock; alpha sends a ping and a UDP datagram to a closed port.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../test.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define SEC 1000000000ull

struct seen {
        uint32_t ids[64];
        int nids, events, icmp_echo, udp_out, port_unreach;
};

static void on_event(const struct strata_trace_event *ev, void *ctx)
{
        struct seen *s = ctx;
        s->events++;
        bool known = false;
        for (int i = 0; i < s->nids; i++)
                known |= s->ids[i] == ev->id;
        if (!known && s->nids < 64)
                s->ids[s->nids++] = ev->id;
        if (strstr(ev->msg, "echo request"))
                s->icmp_echo++;
        if (!strcmp(ev->layer, "ip output") && strstr(ev->msg, "proto 17"))
                s->udp_out++;
        if (strstr(ev->msg, "port unreachable"))
                s->port_unreach++;
}

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
};

static void run(struct lab *lab, uint64_t d)
{
        CHECK_EQ(strata_sim_run(lab->ns, 2, strata_clock_now(lab->clock) + d), 0);
}

static void lab_up(struct lab *lab)
{
        lab->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("alpha", lab->clock, 1, &lab->ns[0]), 0);
        CHECK_EQ(strata_net_new("beta", lab->clock, 2, &lab->ns[1]), 0);
        CHECK_EQ(strata_veth_add(lab->ns[0], "veth0", lab->ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(lab->ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(lab->ns[1], "veth0", true), 0);
        run(lab, SEC);
}

static void lab_down(struct lab *lab)
{
        for (int i = 0; i < 2; i++) {
                strata_trace(lab->ns[i], 0, NULL, NULL);
                strata_net_free(lab->ns[i]);
        }
        strata_clock_free(lab->clock);
}

/* With the filter f on alpha (beta reports the stories alpha starts):
 * a ping and a datagram to 10.0.0.2:9999, nobody listening. */
static struct seen traffic(const struct strata_trace_filter *f)
{
        struct lab lab;
        lab_up(&lab);
        struct seen s;
        memset(&s, 0, sizeof(s));
        CHECK_EQ(strata_trace_filter(lab.ns[0], f), 0);
        CHECK_EQ(strata_trace(lab.ns[0], -1, on_event, &s), 0);
        CHECK_EQ(strata_trace(lab.ns[1], 0, on_event, &s), 0);
        CHECK_EQ(strata_ping_send(lab.ns[0], "10.0.0.2", 0x77, 1, 56), 0);
        run(&lab, SEC);
        int fd = strata_socket(lab.ns[0], AF_INET, SOCK_DGRAM, 0);
        CHECK(fd >= 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9999) };
        to.sin_addr.s_addr = htonl(0x0a000002);
        CHECK_EQ(strata_sendto(lab.ns[0], fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
        run(&lab, SEC);
        strata_close(lab.ns[0], fd);
        lab_down(&lab);
        return s;
}

static void no_filter_traces_both(void)
{
        struct seen s = traffic(NULL);
        CHECK(s.icmp_echo > 0);
        CHECK(s.udp_out > 0);
        CHECK(s.nids >= 2);
}

static void port_filter_traces_the_datagram_and_its_error(void)
{
        struct strata_trace_filter f = { .port = 9999 };
        struct seen s = traffic(&f);
        CHECK_EQ(s.icmp_echo, 0);
        CHECK(s.udp_out > 0);
        /* beta's ICMP port unreachable belongs to the datagram's story */
        CHECK(s.port_unreach > 0);
        CHECK_EQ(s.nids, 1);
}

static void proto_filter_traces_only_icmp(void)
{
        struct strata_trace_filter f = { .proto = IPPROTO_ICMP };
        struct seen s = traffic(&f);
        CHECK(s.icmp_echo > 0);
        CHECK_EQ(s.udp_out, 0);
}

static void address_nobody_uses_traces_nothing(void)
{
        struct strata_trace_filter f = { .addr = 0x0a000009 };
        struct seen s = traffic(&f);
        CHECK_EQ(s.events, 0);
}

TEST_MAIN(T(no_filter_traces_both), T(port_filter_traces_the_datagram_and_its_error),
          T(proto_filter_traces_only_icmp), T(address_nobody_uses_traces_nothing))
