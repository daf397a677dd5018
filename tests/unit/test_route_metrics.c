/*
 * Route metrics and route replacement (src/ipv4/fib_metrics.c, fib.c's
 * fib_table_replace, strata_ip_route): the caps Linux's ip_metrics_convert
 * applies, the mtu metric in output and forwarding decisions, a locked mtu
 * that path MTU discovery leaves alone while an unlocked one is lowered,
 * `ip route change` (only an existing route, replaced in place) against
 * `replace` (created when missing), append telling routes apart by their
 * metrics, and the words strata_ip_route refuses.
 */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "strata/strata.h"

static struct strata_clock *clk;
static struct strata_net *ns;

static void setup(void)
{
        clk = strata_clock_new(true);
        CHECK_EQ(strata_net_new("rmx", clk, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "v0", ns, "v1"), 0);
        CHECK_EQ(strata_link_set_up(ns, "v0", true), 0);
        CHECK_EQ(strata_link_set_up(ns, "v1", true), 0);
        CHECK_EQ(strata_addr_add(ns, "v0", "192.168.0.1/24"), 0);
}

static void teardown(void)
{
        strata_net_free(ns);
        strata_clock_free(clk);
}

static const uint32_t DST = 0xc0000201u; /* 192.0.2.1 */

static const struct fib_route *route_of(uint32_t dst)
{
        return fib_table_lookup(ipv4_of(ns->net)->main, dst);
}

static void metrics_set_caps_and_refusals(void)
{
        struct fib_metrics m = { { 0 } };
        const char *why = NULL;
        CHECK_EQ(fib_metrics_set(&m, RTAX_ADVMSS, 70000, &why), 0);
        CHECK_EQ(m.v[RTAX_ADVMSS - 1], 65495);
        CHECK_EQ(fib_metrics_set(&m, RTAX_MTU, 70000, &why), 0);
        CHECK_EQ(m.v[RTAX_MTU - 1], 65520);
        CHECK_EQ(fib_metrics_set(&m, RTAX_HOPLIMIT, 300, &why), 0);
        CHECK_EQ(m.v[RTAX_HOPLIMIT - 1], 255);
        CHECK_EQ(fib_metrics_set(&m, RTAX_FEATURES, 0x100, &why), -EINVAL);
        CHECK_EQ(fib_metrics_set(&m, RTAX_MAX + 1, 1, &why), -EINVAL);
        CHECK_EQ(fib_metrics_set(&m, RTAX_CC_ALGO, 1, &why), -EOPNOTSUPP);
        CHECK(why != NULL);
        CHECK(!fib_metrics_empty(&m));
}

static void unlocked_mtu_metric_is_lowered_by_pmtu(void)
{
        setup();
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.0/24 via 192.168.0.2 mtu 1400 advmss 1200"), 0);
        struct net *net = ns->net;
        struct rt_result res;
        CHECK_EQ(ip_route_output(net, DST, 0, 0, &res), 0);
        CHECK_EQ(rt_mtu(&res), 1400);
        CHECK(!res.mtu_locked);
        CHECK_EQ(fib_metric(res.route, RTAX_ADVMSS), 1200);
        /* path MTU discovery lowers an unlocked metric ... */
        CHECK_EQ(ip_rt_update_pmtu(net, DST, 0, 0, 0, 0, 1300), 0);
        CHECK_EQ(ip_route_output(net, DST, 0, 0, &res), 0);
        CHECK_EQ(rt_mtu(&res), 1300);
        /* a forwarded packet honours the route's mtu (not a learned one) */
        CHECK_EQ(strata_sysctl_set(ns, "net.ipv4.ip_forward", "1"), 0);
        struct rt_result fw;
        CHECK_EQ(
            ip_route_query(net, DST, 0xc0a80109u, dev_get_by_name(net, "v1")->ifindex, 0, 0, &fw),
            0);
        CHECK_EQ(rt_mtu(&fw), 1400);
        /* ... never raises it */
        CHECK_EQ(ip_rt_update_pmtu(net, DST, 0, 0, 0, 0, 1450), 0);
        CHECK_EQ(ip_route_output(net, DST, 0, 0, &res), 0);
        CHECK_EQ(rt_mtu(&res), 1300);
        teardown();
}

static void locked_mtu_ignores_pmtu(void)
{
        setup();
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.1 via 192.168.0.2 dev v0 mtu lock 640"), 0);
        struct net *net = ns->net;
        struct rt_result res;
        CHECK_EQ(ip_route_output(net, DST, 0, 0, &res), 0);
        CHECK_EQ(rt_mtu(&res), 640);
        CHECK(res.mtu_locked);
        CHECK_EQ(ip_rt_update_pmtu(net, DST, 0, 0, 0, 0, 600), 0);
        CHECK_EQ(ip_route_output(net, DST, 0, 0, &res), 0);
        CHECK_EQ(rt_mtu(&res), 640);
        CHECK(!res.expires); /* nothing learned */
        /* and above the device's MTU it still counts, as ipv4_mtu */
        CHECK_EQ(strata_ip_route(ns, "change 192.0.2.1 via 192.168.0.2 dev v0 mtu lock 9000"), 0);
        CHECK_EQ(ip_route_output(net, DST, 0, 0, &res), 0);
        CHECK_EQ(rt_mtu(&res), 9000);
        teardown();
}

static void change_needs_a_route_replace_creates(void)
{
        setup();
        CHECK_EQ(strata_ip_route(ns, "change 192.0.2.1 via 192.168.0.2 mtu 1400"), -ENOENT);
        CHECK(route_of(DST) == NULL);
        CHECK_EQ(strata_ip_route(ns, "replace 192.0.2.1 via 192.168.0.2 mtu 1400"), 0);
        CHECK_EQ(fib_metric(route_of(DST), RTAX_MTU), 1400);
        /* change: in place, the old metrics gone with the old route */
        CHECK_EQ(strata_ip_route(ns, "change 192.0.2.1 via 192.168.0.2 initcwnd 11"), 0);
        const struct fib_route *r = route_of(DST);
        CHECK_EQ(fib_metric(r, RTAX_MTU), 0);
        CHECK_EQ(fib_metric(r, RTAX_INITCWND), 11);
        CHECK(r->next == NULL || r->next->dst != DST);
        /* add: the prefix, tos and metric exist */
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.1 via 192.168.0.2 initcwnd 12"), -EEXIST);
        /* append: identical refused, other metrics taken after it */
        CHECK_EQ(strata_ip_route(ns, "append 192.0.2.1 via 192.168.0.2 initcwnd 11"), -EEXIST);
        CHECK_EQ(strata_ip_route(ns, "append 192.0.2.1 via 192.168.0.2 initcwnd 12"), 0);
        r = route_of(DST);
        CHECK_EQ(fib_metric(r, RTAX_INITCWND), 11);
        CHECK(r->next && r->next->dst == DST);
        CHECK_EQ(fib_metric(r->next, RTAX_INITCWND), 12);
        CHECK_EQ(strata_ip_route(ns, "del 192.0.2.1"), 0);
        CHECK_EQ(strata_ip_route(ns, "del 192.0.2.1"), 0);
        CHECK_EQ(strata_ip_route(ns, "del 192.0.2.1"), -ESRCH);
        teardown();
}

static void words_as_iproute2_sends_them(void)
{
        setup();
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.1 dev v0 rtt 30ms rttvar 2 rto_min 1s "
                                     "cwnd lock 7 features ecn quickack 1"),
                 0);
        const struct fib_route *r = route_of(DST);
        CHECK_EQ(fib_metric(r, RTAX_RTT), 240);  /* 1/8 ms */
        CHECK_EQ(fib_metric(r, RTAX_RTTVAR), 2); /* no unit: raw */
        CHECK_EQ(fib_metric(r, RTAX_RTO_MIN), 1000);
        CHECK(fib_metric_locked(r, RTAX_RTO_MIN)); /* iproute2 always locks it */
        CHECK(fib_metric_locked(r, RTAX_CWND));
        CHECK_EQ(fib_metric(r, RTAX_FEATURES), 1);
        CHECK_EQ(fib_metric(r, RTAX_QUICKACK), 1);
        CHECK_EQ(r->scope, RT_SCOPE_LINK);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.2 dev v0 hoplimit 300"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.2 dev v0 quickack 2"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.2 dev v0 mtu"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.2 dev v0 proto static"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.2 dev nosuch"), -ENODEV);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.2 via 10.9.9.9"), -ENETUNREACH);
        CHECK_EQ(strata_ip_route(ns, "frobnicate 192.0.2.2 dev v0"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add 192.0.2.3/24 dev v0"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add blackhole 198.51.100.0/24 table 100"), 0);
        CHECK_EQ(fib_table_lookup(fib_get_table(ns->net, 100), 0xc6336401u)->type, RTN_BLACKHOLE);
        teardown();
}

/* onlink: a gateway no route reaches, on the named device, which must be
 * up; never one of our own addresses. */
static void onlink_gateway_needs_no_route(void)
{
        setup();
        CHECK_EQ(strata_ip_route(ns, "add 10.9.0.0/16 via 192.0.2.1 dev v0"), -ENETUNREACH);
        CHECK_EQ(strata_ip_route(ns, "add 10.9.0.0/16 via 192.0.2.1 onlink"), -ENODEV);
        CHECK_EQ(strata_ip_route(ns, "add 10.9.0.0/16 via 192.168.0.1 dev v0 onlink"), -EINVAL);
        CHECK_EQ(strata_ip_route(ns, "add 10.9.0.0/16 via 127.0.0.1 dev v0 onlink"), -EINVAL);
        CHECK_EQ(strata_link_set_up(ns, "v1", false), 0);
        CHECK_EQ(strata_ip_route(ns, "add 10.9.0.0/16 via 192.0.2.1 dev v1 onlink"), -ENETDOWN);
        CHECK_EQ(strata_ip_route(ns, "add 10.9.0.0/16 via 192.0.2.1 dev v0 onlink"), 0);
        struct rt_result res;
        CHECK_EQ(ip_route_output(ns->net, 0x0a090101u, 0, 0, &res), 0);
        CHECK_EQ(res.nexthop, DST);
        CHECK_EQ(strcmp(res.dev->name, "v0"), 0);
        CHECK_EQ(res.saddr, 0xc0a80001u);
        CHECK(res.route->nh_flags & RTNH_F_ONLINK);
        teardown();
}

TEST_MAIN(T(metrics_set_caps_and_refusals), T(onlink_gateway_needs_no_route),
          T(unlocked_mtu_metric_is_lowered_by_pmtu), T(locked_mtu_ignores_pmtu),
          T(change_needs_a_route_replace_creates), T(words_as_iproute2_sends_them))
