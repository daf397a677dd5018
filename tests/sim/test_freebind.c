/*
 * IP_FREEBIND (inet_can_nonlocal_bind): a socket with it binds to an
 * address no device of the namespace has (yet); without it such a bind is
 * EADDRNOTAVAIL.  TCP and UDP alike; getsockopt reads it back, and an
 * accepted connection inherits it from its listener.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "../test.h"
#include "api/api.h"
#include "strata/socket.h"
#include "strata/strata.h"

static void bind_nonlocal(struct strata_net *n, int type)
{
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5000),
                                   .sin_addr.s_addr = htonl(0x0a090909) };
        int s = strata_socket(n, AF_INET, type, 0);
        CHECK(s >= 0);
        CHECK_EQ(strata_bind(n, s, (struct sockaddr *)&sin, sizeof(sin)), -EADDRNOTAVAIL);
        int one = 1, v = -1;
        socklen_t len = sizeof(v);
        CHECK_EQ(strata_getsockopt(n, s, SOL_IP, IP_FREEBIND, &v, &len), 0);
        CHECK_EQ(v, 0);
        CHECK_EQ(strata_setsockopt(n, s, SOL_IP, IP_FREEBIND, &one, sizeof(one)), 0);
        CHECK_EQ(strata_getsockopt(n, s, SOL_IP, IP_FREEBIND, &v, &len), 0);
        CHECK_EQ(v, 1);
        CHECK_EQ(strata_bind(n, s, (struct sockaddr *)&sin, sizeof(sin)), 0);
        struct sockaddr_in got;
        len = sizeof(got);
        CHECK_EQ(strata_getsockname(n, s, (struct sockaddr *)&got, &len), 0);
        CHECK_EQ(ntohl(got.sin_addr.s_addr), 0x0a090909);
        CHECK_EQ(strata_close(n, s), 0);
}

static void freebind_allows_a_nonlocal_address(void)
{
        struct strata_clock *clock = strata_clock_new(true);
        struct strata_net *n;
        CHECK_EQ(strata_net_new("a", clock, 1, &n), 0);
        bind_nonlocal(n, SOCK_STREAM);
        bind_nonlocal(n, SOCK_DGRAM);
        strata_net_free(n);
        strata_clock_free(clock);
}

TEST_MAIN(T(freebind_allows_a_nonlocal_address))
