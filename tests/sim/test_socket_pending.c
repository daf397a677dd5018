/*
 * A socket call that would answer EAGAIN first delivers what already waits
 * at its namespace's devices (frames a veth peer queued), as Linux's
 * softirq would have before the call looked: a receive right after the
 * peer's send gets the data without anyone polling the receiver, and the
 * reply reaches the first side the same way.  A call with nothing pending
 * still answers EAGAIN.  Ends with a leak check.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define MSEC 1000000ull
#define SEC  1000000000ull

static void recv_delivers_frames_waiting_at_the_device(void)
{
        struct strata_clock *clock = strata_clock_new(true);
        struct strata_net *ns[2];
        CHECK_EQ(strata_net_new("a", clock, 1, &ns[0]), 0);
        CHECK_EQ(strata_net_new("b", clock, 2, &ns[1]), 0);
        CHECK_EQ(strata_veth_add(ns[0], "veth0", ns[1], "veth0"), 0);
        CHECK_EQ(strata_addr_add(ns[0], "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(ns[1], "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(ns[0], "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(ns[1], "veth0", true), 0);
        int l = strata_socket(ns[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(80) };
        CHECK_EQ(strata_bind(ns[1], l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(ns[1], l, 4), 0);
        int c = strata_socket(ns[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80) };
        inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
        CHECK_EQ(strata_connect(ns[0], c, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        strata_sim_run(ns, 2, strata_clock_now(clock) + 10 * MSEC);
        int s = strata_accept(ns[1], l, NULL, NULL);
        CHECK(s >= 0);
        int one = 1;
        CHECK_EQ(strata_setsockopt(ns[0], c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
        CHECK_EQ(strata_setsockopt(ns[1], s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);

        char buf[16];
        CHECK_EQ(strata_recv(ns[1], s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN); /* nothing pending */
        for (int i = 0; i < 3; i++) {
                /* no strata_net_poll / strata_sim_run between the calls */
                CHECK_EQ(strata_send(ns[0], c, "ping", 4, 0), 4);
                CHECK_EQ(strata_recv(ns[1], s, buf, sizeof(buf), MSG_DONTWAIT), 4);
                CHECK_MEM(buf, "ping", 4);
                CHECK_EQ(strata_send(ns[1], s, "pong", 4, 0), 4);
                CHECK_EQ(strata_recv(ns[0], c, buf, sizeof(buf), MSG_DONTWAIT), 4);
                CHECK_MEM(buf, "pong", 4);
        }
        CHECK_EQ(strata_recv(ns[0], c, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);

        strata_close(ns[0], c);
        strata_close(ns[1], s);
        strata_close(ns[1], l);
        strata_sim_run(ns, 2, strata_clock_now(clock) + 200 * SEC);
        for (int i = 0; i < 2; i++)
                CHECK_EQ(skb_pool_outstanding(ns[i]->net->pool), 0);
        strata_net_free(ns[1]);
        strata_net_free(ns[0]);
        strata_clock_free(clock);
}

TEST_MAIN(T(recv_delivers_frames_waiting_at_the_device))
