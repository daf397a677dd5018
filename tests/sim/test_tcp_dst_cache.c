/*
 * A connected TCP socket's cached output route (struct ip_rt_cache, Linux's
 * sk_dst_cache) follows every change that moves a route decision, on the
 * simulated clock.  Namespace a reaches b's 10.9.9.9 over two veth pairs
 * (veth0 10.0.0.0/24, veth1 10.0.1.0/24); a connection opened over veth0
 * must move, segment by segment, when:
 *
 *  - a more specific route appears (fib table edit)    -> veth1
 *  - a policy rule sends the flow to another table     -> veth0
 *  - that table's device goes down (device event)      -> veth1
 *  - the rule goes (rule delete)                       -> veth1
 *  - veth0 is deleted while the cache still names it: no use after free
 *    (the sanitizer build runs this); with the source address gone too, the
 *    lookup fails and is counted (Ip.OutNoRoutes).
 *
 * Each step sends data and checks which device carried it and that b got it
 * byte-exact; the case ends with a leak check.  Without the cache's
 * generation check every step after the first would stay on veth0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "core/netdev.h"
#include "strata/socket.h"
#include "strata/strata.h"

#define MSEC 1000000ull
#define SEC  1000000000ull

struct lab {
        struct strata_clock *clock;
        struct strata_net *ns[2];
        int c, s, l;
};

static void run(struct lab *lab, uint64_t ns)
{
        strata_sim_run(lab->ns, 2, strata_clock_now(lab->clock) + ns);
}

static uint64_t tx_of(struct lab *lab, const char *dev)
{
        struct net_device *d = dev_get_by_name(lab->ns[0]->net, dev);
        return d ? d->stats.tx_packets : 0;
}

/* Send a message from a; which of a's devices carried it ("veth0",
 * "veth1"), checking b received it whole. */
static const char *carried_by(struct lab *lab, const char *msg)
{
        uint64_t t0 = tx_of(lab, "veth0"), t1 = tx_of(lab, "veth1");
        size_t len = strlen(msg);
        CHECK_EQ(strata_send(lab->ns[0], lab->c, msg, len, 0), (ssize_t)len);
        run(lab, 10 * MSEC);
        char buf[128] = { 0 };
        CHECK_EQ(strata_recv(lab->ns[1], lab->s, buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)len);
        CHECK_MEM(buf, msg, len);
        uint64_t d0 = tx_of(lab, "veth0") - t0, d1 = tx_of(lab, "veth1") - t1;
        if (d0 && !d1)
                return "veth0";
        if (d1 && !d0)
                return "veth1";
        return d0 ? "both" : "none";
}

/* The two namespaces, the routes, and a connection a -> 10.9.9.9:80 over
 * veth0; false if it could not be opened. */
static bool lab_up(struct lab *lab)
{
        lab->clock = strata_clock_new(true);
        CHECK_EQ(strata_net_new("a", lab->clock, 1, &lab->ns[0]), 0);
        CHECK_EQ(strata_net_new("b", lab->clock, 2, &lab->ns[1]), 0);
        struct strata_net *a = lab->ns[0], *b = lab->ns[1];
        CHECK_EQ(strata_veth_add(a, "veth0", b, "veth0"), 0);
        CHECK_EQ(strata_veth_add(a, "veth1", b, "veth1"), 0);
        CHECK_EQ(strata_addr_add(a, "veth0", "10.0.0.1/24"), 0);
        CHECK_EQ(strata_addr_add(b, "veth0", "10.0.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(a, "veth1", "10.0.1.1/24"), 0);
        CHECK_EQ(strata_addr_add(b, "veth1", "10.0.1.2/24"), 0);
        CHECK_EQ(strata_addr_add(b, "lo", "10.9.9.9/32"), 0);
        for (int i = 0; i < 2; i++) {
                CHECK_EQ(strata_link_set_up(lab->ns[i], "veth0", true), 0);
                CHECK_EQ(strata_link_set_up(lab->ns[i], "veth1", true), 0);
        }
        CHECK_EQ(strata_route_add(a, "10.9.9.0/24", "10.0.0.2", "veth0"), 0);

        int l = lab->l = strata_socket(b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(80) };
        CHECK_EQ(strata_bind(b, l, (struct sockaddr *)&any, sizeof(any)), 0);
        CHECK_EQ(strata_listen(b, l, 4), 0);
        lab->c = strata_socket(a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80) };
        inet_pton(AF_INET, "10.9.9.9", &to.sin_addr);
        CHECK_EQ(strata_connect(a, lab->c, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
        run(lab, 10 * MSEC);
        lab->s = strata_accept(b, l, NULL, NULL);
        CHECK(lab->s >= 0);
        return lab->s >= 0;

}

static void lab_down(struct lab *lab)
{
        strata_close(lab->ns[0], lab->c);
        strata_close(lab->ns[1], lab->s);
        strata_close(lab->ns[1], lab->l);
        run(lab, 3000 * SEC); /* a may have to give up retransmitting (tcp_retries2) */
        for (int i = 0; i < 2; i++)
                CHECK_EQ(skb_pool_outstanding(lab->ns[i]->net->pool), 0);
        strata_net_free(lab->ns[1]);
        strata_net_free(lab->ns[0]);
        strata_clock_free(lab->clock);
}

static void cached_route_follows_changes(void)
{
        struct lab lab = { 0 };
        if (!lab_up(&lab))
                return;
        struct strata_net *a = lab.ns[0];
        CHECK_STR(carried_by(&lab, "first, by the /24"), "veth0");
        CHECK_STR(carried_by(&lab, "again: the cached route"), "veth0");
        CHECK_EQ(strata_route_add(a, "10.9.9.9/32", "10.0.1.2", "veth1"), 0);
        CHECK_STR(carried_by(&lab, "a more specific route"), "veth1");
        CHECK_EQ(strata_route_add_ex(a, NULL, "10.9.9.0/24", "10.0.0.2", "veth0", 100, 0), 0);
        CHECK_EQ(strata_rule_add(a, "to 10.9.9.9 lookup 100 pref 100"), 0);
        CHECK_STR(carried_by(&lab, "a rule to table 100"), "veth0");
        CHECK_EQ(strata_link_set_up(a, "veth0", false), 0);
        CHECK_STR(carried_by(&lab, "table 100's device is down"), "veth1");
        CHECK_EQ(strata_link_set_up(a, "veth0", true), 0);
        /* b's ACK of the last message was lost on the way back (b answers
         * 10.0.0.1 by its veth0, whose peer was down): let the
         * retransmission settle before the next message */
        run(&lab, 2 * SEC);
        CHECK_STR(carried_by(&lab, "and up again"), "veth0");
        CHECK_EQ(strata_rule_del(a, "to 10.9.9.9 lookup 100 pref 100"), 0);
        CHECK_STR(carried_by(&lab, "the rule is gone"), "veth1");
        CHECK_EQ(strata_rule_add(a, "to 10.9.9.9 lookup 100 pref 100"), 0);
        CHECK_STR(carried_by(&lab, "the rule is back"), "veth0");
        /* veth0 goes, and with it the connection's source address: the
         * cached route naming veth0 must not be used (the sanitizer build
         * would see the freed device); the lookup now fails, counted */
        uint64_t noroute0 = 0, noroute1 = 0, t1 = tx_of(&lab, "veth1");
        CHECK_EQ(strata_counter(a, "Ip.OutNoRoutes", &noroute0), 0);
        CHECK_EQ(strata_link_del(a, "veth0"), 0);
        CHECK_EQ(strata_send(a, lab.c, "lost", 4, 0), 4);
        run(&lab, 10 * MSEC);
        CHECK_EQ(strata_counter(a, "Ip.OutNoRoutes", &noroute1), 0);
        CHECK(noroute1 > noroute0);
        CHECK_EQ(tx_of(&lab, "veth1"), t1);

        lab_down(&lab);
}

/* b's input route cache (struct in_rx_cache): a flow accepted once is
 * judged again when rp_filter or b's addresses change. */
static void input_route_cache_follows_changes(void)
{
        struct lab lab = { 0 };
        if (!lab_up(&lab))
                return;
        struct strata_net *a = lab.ns[0], *b = lab.ns[1];
        /* a's segments now arrive on b's veth1, though b's route back to
         * 10.0.0.1 is by veth0: fine while rp_filter is off */
        CHECK_EQ(strata_route_add(a, "10.9.9.9/32", "10.0.1.2", "veth1"), 0);
        CHECK_STR(carried_by(&lab, "by veth1, rp_filter off"), "veth1");
        CHECK_STR(carried_by(&lab, "again, from the cache"), "veth1");
        uint64_t rpf0 = 0, rpf1 = 0;
        CHECK_EQ(strata_counter(b, "IP_RPFILTER", &rpf0), 0);
        CHECK_EQ(strata_sysctl_set(b, "net.ipv4.conf.all.rp_filter", "1"), 0);
        CHECK_EQ(strata_send(a, lab.c, "refused", 7, 0), 7);
        run(&lab, 10 * MSEC);
        char buf[16];
        CHECK_EQ(strata_recv(b, lab.s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        CHECK_EQ(strata_counter(b, "IP_RPFILTER", &rpf1), 0);
        CHECK(rpf1 > rpf0);
        /* rp_filter off again: the retransmission is taken */
        CHECK_EQ(strata_sysctl_set(b, "net.ipv4.conf.all.rp_filter", "0"), 0);
        run(&lab, 2 * SEC);
        CHECK_EQ(strata_recv(b, lab.s, buf, sizeof(buf), MSG_DONTWAIT), 7);
        CHECK_MEM(buf, "refused", 7);
        CHECK_STR(carried_by(&lab, "cached once more"), "veth1");
        /* the address goes: not ours any more, and b does not forward */
        uint64_t adderr0 = 0, adderr1 = 0;
        CHECK_EQ(strata_counter(b, "Ip.InAddrErrors", &adderr0), 0);
        CHECK_EQ(strata_addr_del(b, "lo", "10.9.9.9/32"), 0);
        CHECK_EQ(strata_send(a, lab.c, "gone", 4, 0), 4);
        run(&lab, 10 * MSEC);
        CHECK_EQ(strata_recv(b, lab.s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
        CHECK_EQ(strata_counter(b, "Ip.InAddrErrors", &adderr1), 0);
        CHECK(adderr1 > adderr0);
        lab_down(&lab);
}

TEST_MAIN(T(cached_route_follows_changes), T(input_route_cache_follows_changes))
