/*
 * Sockets across threads on the real clock: application threads blocking in
 * Strata calls while each namespace runs on its own thread; a namespace
 * without a thread driven by the caller blocked in it; timeouts measured on
 * the namespace clock.  Two namespaces joined by a veth pair, each run by a
 * different thread, so packets cross threads both ways (the skb pool's
 * remote frees, the socket send charge given back from the other thread).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"

static uint64_t mono_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, ip, &s.sin_addr);
        return s;
}

struct pair {
        struct strata_net *a, *b;
};

static void pair_up(struct pair *p, bool thread_a, bool thread_b)
{
        CHECK_EQ(strata_net_new("ta", NULL, 11, &p->a), 0);
        CHECK_EQ(strata_net_new("tb", NULL, 12, &p->b), 0);
        CHECK_EQ(strata_veth_add(p->a, "veth0", p->b, "veth0"), 0);
        CHECK_EQ(strata_addr_add(p->a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(p->b, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_link_set_up(p->a, "veth0", true), 0);
        CHECK_EQ(strata_link_set_up(p->b, "veth0", true), 0);
        if (thread_a)
                CHECK_EQ(strata_run_thread(p->a), 0);
        if (thread_b)
                CHECK_EQ(strata_run_thread(p->b), 0);
}

static void pair_down(struct pair *p)
{
        strata_stop_thread(p->a);
        strata_stop_thread(p->b);
        /* a namespace run by a thread may still hold skbs of the other: the
         * pools balance only once both are stopped and drained */
        while (strata_net_poll(p->a) + strata_net_poll(p->b) > 0)
                ;
        CHECK_EQ(skb_pool_outstanding(p->a->net->pool), 0);
        CHECK_EQ(skb_pool_outstanding(p->b->net->pool), 0);
        strata_net_free(p->b);
        strata_net_free(p->a);
}

struct sender {
        struct strata_net *net;
        int fd;
        int count;
        uint64_t delay_ns;
};

static void *send_later(void *arg)
{
        struct sender *s = arg;
        struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)s->delay_ns };
        nanosleep(&ts, NULL);
        struct sockaddr_in to = sin_of("10.0.0.2", 5000);
        for (int i = 0; i < s->count; i++) {
                char msg[32];
                int n = snprintf(msg, sizeof(msg), "msg %d", i);
                if (strata_sendto(s->net, s->fd, msg, (size_t)n, 0, (struct sockaddr *)&to,
                                  sizeof(to)) != n)
                        return (void *)1;
        }
        return NULL;
}

static void blocking_recv_wakes_when_thread_delivers(void)
{
        struct pair p;
        pair_up(&p, true, true);
        int rx = strata_socket(p.b, AF_INET, SOCK_DGRAM, 0);
        int tx = strata_socket(p.a, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 5000);
        CHECK_EQ(strata_bind(p.b, rx, (struct sockaddr *)&any, sizeof(any)), 0);
        /* UDP may drop when the reader falls behind (the default buffer holds
         * ~90 datagrams): give it room for the whole burst so the count is
         * exact however the threads are scheduled */
        int big = 4 << 20;
        CHECK_EQ(strata_setsockopt(p.b, rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
        /* resolve ARP first: a burst into an unresolved neighbour overflows
         * unres_qlen_bytes (NEIGH_QUEUEFULL), on Linux as here */
        struct sender warm = { p.a, tx, 1, 0 };
        char buf[64];
        CHECK(send_later(&warm) == NULL);
        CHECK_EQ(strata_recv(p.b, rx, buf, sizeof(buf), 0), 5);
        struct sender s = { p.a, tx, 200, 50 * 1000000ull };
        pthread_t th;
        pthread_create(&th, NULL, send_later, &s);
        uint64_t t0 = mono_ns();
        int got = 0;
        for (int i = 0; i < 200; i++) {
                ssize_t n = strata_recv(p.b, rx, buf, sizeof(buf), 0);
                if (n > 0)
                        got++;
        }
        void *ret;
        pthread_join(th, &ret);
        CHECK(ret == NULL);
        CHECK_EQ(got, 200);
        CHECK(mono_ns() - t0 >= 40 * 1000000ull); /* it really waited for the sender */
        strata_close(p.b, rx);
        strata_close(p.a, tx);
        pair_down(&p);
}

static void rcvtimeo_expires_on_the_real_clock(void)
{
        struct pair p;
        pair_up(&p, true, true);
        int rx = strata_socket(p.b, AF_INET, SOCK_DGRAM, 0);
        struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
        CHECK_EQ(strata_setsockopt(p.b, rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
        uint64_t t0 = mono_ns();
        char buf[8];
        CHECK_EQ(strata_recv(p.b, rx, buf, sizeof(buf), 0), -EAGAIN);
        uint64_t dt = mono_ns() - t0;
        CHECK(dt >= 95 * 1000000ull && dt < 2000 * 1000000ull);
        strata_close(p.b, rx);
        pair_down(&p);
}

static void caller_drives_a_namespace_without_thread(void)
{
        /* b has no thread: the blocked recv itself runs b's stack */
        struct pair p;
        pair_up(&p, true, false);
        int rx = strata_socket(p.b, AF_INET, SOCK_DGRAM, 0);
        int tx = strata_socket(p.a, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 5000);
        CHECK_EQ(strata_bind(p.b, rx, (struct sockaddr *)&any, sizeof(any)), 0);
        char buf[64];
        struct sender warm = { p.a, tx, 1, 0 };
        CHECK(send_later(&warm) == NULL);
        CHECK_EQ(strata_recv(p.b, rx, buf, sizeof(buf), 0), 5);
        struct sender s = { p.a, tx, 20, 30 * 1000000ull };
        pthread_t th;
        pthread_create(&th, NULL, send_later, &s);
        int got = 0;
        for (int i = 0; i < 20; i++)
                if (strata_recv(p.b, rx, buf, sizeof(buf), 0) > 0)
                        got++;
        pthread_join(th, NULL);
        CHECK_EQ(got, 20);
        /* poll with a timeout on the same self-driven namespace */
        struct pollfd pfd = { .fd = rx, .events = POLLIN };
        uint64_t t0 = mono_ns();
        CHECK_EQ(strata_poll(p.b, &pfd, 1, 50), 0);
        CHECK(mono_ns() - t0 >= 45 * 1000000ull);
        strata_close(p.b, rx);
        strata_close(p.a, tx);
        pair_down(&p);
}

static void epoll_wait_sleeps_until_data(void)
{
        struct pair p;
        pair_up(&p, true, true);
        int rx = strata_socket(p.b, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int tx = strata_socket(p.a, AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in any = sin_of("0.0.0.0", 5000);
        CHECK_EQ(strata_bind(p.b, rx, (struct sockaddr *)&any, sizeof(any)), 0);
        int ep = strata_epoll_create1(p.b, 0);
        CHECK(ep >= 0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 77 };
        CHECK_EQ(strata_epoll_ctl(p.b, ep, EPOLL_CTL_ADD, rx, &ev), 0);
        struct sender s = { p.a, tx, 1, 30 * 1000000ull };
        pthread_t th;
        pthread_create(&th, NULL, send_later, &s);
        struct epoll_event out[4];
        int n = strata_epoll_wait(p.b, ep, out, 4, 5000);
        pthread_join(th, NULL);
        CHECK_EQ(n, 1);
        CHECK_EQ(out[0].data.u32, 77);
        CHECK(out[0].events & EPOLLIN);
        strata_close(p.b, ep);
        strata_close(p.b, rx);
        strata_close(p.a, tx);
        pair_down(&p);
}

TEST_MAIN(T(blocking_recv_wakes_when_thread_delivers), T(rcvtimeo_expires_on_the_real_clock),
          T(caller_drives_a_namespace_without_thread), T(epoll_wait_sleeps_until_data))
