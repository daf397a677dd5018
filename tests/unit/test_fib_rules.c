/*
 * Policy rules (src/ipv4/fib_rules.c): Linux's default rules and the fast
 * path, each selector of fib_rule_match (from, to, iif, oif, fwmark/mask,
 * tos, not), priorities (Linux's default choice, order among equals,
 * duplicates, deletion), and lookups through numbered tables, goto, throw
 * and the refusing actions.
 */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "api/api.h"
#include "ipv4/ipv4.h"
#include "strata/strata.h"

static struct strata_net *ns;
static struct strata_clock *clk;

static void up(void)
{
        clk = strata_clock_new(true);
        CHECK_EQ(strata_net_new("rules", clk, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "v1", ns, "v2"), 0);
        CHECK_EQ(strata_link_set_up(ns, "v1", true), 0);
        CHECK_EQ(strata_link_set_up(ns, "v2", true), 0);
        CHECK_EQ(strata_addr_add(ns, "v1", "10.1.0.2/24"), 0);
        CHECK_EQ(strata_addr_add(ns, "v2", "10.2.0.2/24"), 0);
}

static void down(void)
{
        strata_net_free(ns);
        strata_clock_free(clk);
}

struct prefs {
        uint32_t v[16];
        size_t n;
};

static void collect(const struct fib_rule *r, void *ctx)
{
        struct prefs *p = ctx;
        if (p->n < 16)
                p->v[p->n++] = r->pref;
}

static struct prefs prefs(void)
{
        struct prefs p = { .n = 0 };
        fib_rules_for_each(ns->net, collect, &p);
        return p;
}

static void default_rules_and_fast_path(void)
{
        up();
        struct prefs p = prefs();
        CHECK_EQ(p.n, 3);
        CHECK_EQ(p.v[0], 0);
        CHECK_EQ(p.v[1], 32766);
        CHECK_EQ(p.v[2], 32767);
        CHECK(!fib_has_custom_rules(ns->net));
        CHECK(ipv4_of(ns->net)->policy == NULL); /* nothing allocated yet */
        /* a numbered table alone keeps the fast path */
        CHECK_EQ(strata_route_add_ex(ns, NULL, "default", "10.2.0.1", NULL, 100, 0), 0);
        CHECK(!fib_has_custom_rules(ns->net));
        CHECK(fib_get_table(ns->net, 100) != NULL);
        CHECK(fib_get_table(ns->net, 101) == NULL);
        /* adding and removing a rule goes back to the defaults */
        CHECK_EQ(strata_rule_add(ns, "from 10.2.0.2 lookup 100"), 0);
        CHECK(fib_has_custom_rules(ns->net));
        CHECK_EQ(strata_rule_del(ns, "from 10.2.0.2 lookup 100"), 0);
        CHECK(!fib_has_custom_rules(ns->net));
        CHECK_EQ(strata_rule_del(ns, "from 10.2.0.2 lookup 100"), -ENOENT);
        down();
}

static void selectors_match_as_linux(void)
{
        up();
        int v1 = dev_get_by_name(ns->net, "v1")->ifindex;
        int v2 = dev_get_by_name(ns->net, "v2")->ifindex;
        struct flowi4 fl = { .daddr = 0x08080808u, .saddr = 0x0a020002u, .iif = v1, .mark = 0x35 };
        struct fib_rule r = { .action = FR_ACT_TO_TBL, .table = 100 };
        CHECK(fib_rule_match(ns->net, &r, &fl)); /* from all */
        r.src = 0x0a020000u;
        r.src_len = 16;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        r.src_len = 32;
        r.src = 0x0a020003u;
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        r.flags = FIB_RULE_INVERT;
        CHECK(fib_rule_match(ns->net, &r, &fl)); /* not from */
        memset(&r, 0, sizeof(r));
        r.dst = 0x08000000u;
        r.dst_len = 8;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        strcpy(r.iifname, "v2");
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        strcpy(r.iifname, "v1");
        CHECK(fib_rule_match(ns->net, &r, &fl));
        strcpy(r.oifname, "v2");
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        fl.oif = v2;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        r.mark = 0x30;
        r.mark_mask = 0xf0;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        r.mark_mask = 0xffffffffu;
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        r.mark = 0x35;
        r.tos = 0x10;
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        fl.tos = 0x10;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        /* "not" inverts the whole match, tos included, as Linux */
        r.flags = FIB_RULE_INVERT;
        fl.tos = 0;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        down();
}

static void priorities_as_linux(void)
{
        up();
        /* no pref: the second rule's minus one, each time */
        CHECK_EQ(strata_rule_add(ns, "from 10.1.0.0/24 lookup 100"), 0);
        CHECK_EQ(strata_rule_add(ns, "fwmark 5 lookup 100"), 0);
        CHECK_EQ(strata_rule_add(ns, "to 10.9.0.0/16 prohibit pref 100"), 0);
        CHECK_EQ(strata_rule_add(ns, "to 10.8.0.0/16 blackhole pref 100"), 0);
        CHECK_EQ(strata_rule_add(ns, "to 10.8.0.0/16 blackhole pref 100"), -EEXIST);
        CHECK_EQ(strata_rule_add(ns, "goto 50 pref 60"), -EINVAL); /* backward */
        struct prefs p = prefs();
        CHECK_EQ(p.n, 7);
        uint32_t want[] = { 0, 100, 100, 32764, 32765, 32766, 32767 };
        for (size_t i = 0; i < 7; i++)
                CHECK_EQ(p.v[i], want[i]);
        /* the equal priorities keep the order added */
        CHECK_EQ(strata_route_get(ns, "10.9.0.1", NULL, NULL, 0, (char[64]){ 0 }, 64), -EACCES);
        /* the next default after 32764 is 100 - 1 */
        CHECK_EQ(strata_rule_add(ns, "iif v1 lookup main"), 0);
        p = prefs();
        CHECK_EQ(p.v[1], 99);
        CHECK_EQ(strata_rule_del(ns, "pref 100"), 0); /* the first of the two */
        CHECK_EQ(strata_route_get(ns, "10.9.0.1", NULL, NULL, 0, (char[64]){ 0 }, 64),
                 -ENETUNREACH);
        down();
}

static void lookups_through_tables(void)
{
        up();
        struct net *net = ns->net;
        CHECK_EQ(strata_route_add(ns, "default", "10.1.0.1", NULL), 0);
        CHECK_EQ(strata_route_add_ex(ns, NULL, "default", "10.2.0.1", NULL, 100, 0), 0);
        CHECK_EQ(strata_route_add_ex(ns, "throw", "10.50.0.0/16", NULL, NULL, 100, 0), 0);
        CHECK_EQ(strata_route_add_ex(ns, "unreachable", "10.60.0.0/16", NULL, NULL, 100, 0), 0);
        CHECK_EQ(strata_rule_add(ns, "from 10.2.0.0/24 lookup 100 pref 10"), 0);
        CHECK_EQ(strata_rule_add(ns, "fwmark 7 goto 30 pref 20"), 0);
        CHECK_EQ(strata_rule_add(ns, "fwmark 7 prohibit pref 25"), 0);
        CHECK_EQ(strata_rule_add(ns, "lookup 200 pref 30"), 0);       /* no such table: next */
        CHECK_EQ(strata_rule_add(ns, "fwmark 9 goto 40 pref 35"), 0); /* unresolved */
        CHECK_EQ(strata_rule_add(ns, "fwmark 9 unreachable pref 36"), 0);
        struct fib_res res;
        struct flowi4 fl = { .daddr = 0x08080808u, .saddr = 0x0a020002u };
        CHECK_EQ(fib_lookup_flow(net, &fl, &res), 0);
        CHECK_EQ(res.table, 100);
        CHECK_EQ(res.route->gw, 0x0a020001u);
        fl.daddr = 0x0a320001u; /* throw: on to main */
        CHECK_EQ(fib_lookup_flow(net, &fl, &res), 0);
        CHECK_EQ(res.table, RT_TABLE_MAIN);
        fl.daddr = 0x0a3c0001u; /* an unreachable route stops the walk */
        CHECK_EQ(fib_lookup_flow(net, &fl, &res), 0);
        CHECK_EQ(res.type, RTN_UNREACHABLE);
        fl.saddr = 0;
        fl.daddr = 0x08080808u;
        fl.mark = 7; /* goto jumps over the prohibit */
        CHECK_EQ(fib_lookup_flow(net, &fl, &res), 0);
        CHECK_EQ(res.table, RT_TABLE_MAIN);
        fl.mark = 9; /* an unresolved goto is skipped */
        CHECK_EQ(fib_lookup_flow(net, &fl, &res), -ENETUNREACH);
        CHECK_EQ(res.type, RTN_UNREACHABLE);
        CHECK(res.route == NULL);
        char line[128];
        CHECK_EQ(strata_route_get(ns, "8.8.8.8", "10.2.0.2", NULL, 0, line, sizeof(line)), 0);
        CHECK_STR(line, "8.8.8.8 from 10.2.0.2 via 10.2.0.1 dev v2 table 100 uid 0");
        CHECK_EQ(strata_route_get(ns, "10.1.0.2", NULL, NULL, 0, line, sizeof(line)), 0);
        CHECK_STR(line, "local 10.1.0.2 dev lo table local src 10.1.0.2 uid 0");
        CHECK_EQ(strata_route_get(ns, "10.60.0.1", "10.2.0.2", NULL, 0, line, sizeof(line)),
                 -EHOSTUNREACH);
        /* removing a device (and its veth peer) empties it out of the
         * numbered tables too */
        CHECK_EQ(strata_link_del(ns, "v2"), 0);
        fl = (struct flowi4){ .daddr = 0x08080808u, .saddr = 0x0a020002u };
        CHECK_EQ(fib_lookup_flow(net, &fl, &res), -ENETUNREACH);
        down();
}

/* uidrange, ipproto, sport/dport ranges and the suppressors, through the
 * output and input lookups. */
static void owner_transport_selectors_and_suppressors(void)
{
        up();
        struct fib_rule r = { .action = FR_ACT_TO_TBL, .table = 100 };
        struct flowi4 fl = { .daddr = 0x08080808u, .uid = 1500, .proto = 6, .dport = 443 };
        r.uid_set = true;
        r.uid_start = 1000;
        r.uid_end = 1999;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        fl.uid = 2000;
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        memset(&r, 0, sizeof(r));
        r.ip_proto = 17;
        CHECK(!fib_rule_match(ns->net, &r, &fl));
        r.ip_proto = 6;
        r.dport_lo = r.dport_hi = 443;
        CHECK(fib_rule_match(ns->net, &r, &fl));
        r.sport_lo = 1000;
        r.sport_hi = 2000;
        CHECK(!fib_rule_match(ns->net, &r, &fl)); /* sport 0 is outside */
        fl.sport = 2000;
        CHECK(fib_rule_match(ns->net, &r, &fl));

        CHECK_EQ(strata_route_add(ns, "default", "10.1.0.1", NULL), 0);
        CHECK_EQ(strata_route_add_ex(ns, NULL, "default", "10.2.0.1", NULL, 100, 0), 0);
        CHECK_EQ(strata_rule_add(ns, "pref 90 ipproto tcp dport 443 lookup 100"), 0);
        CHECK_EQ(strata_rule_add(ns, "pref 91 uidrange 1000-1999 lookup 100"), 0);
        CHECK_EQ(strata_rule_add(ns, "sport 0 lookup 100"), -EINVAL);
        CHECK_EQ(strata_rule_add(ns, "dport 9-8 lookup 100"), -EINVAL);
        CHECK_EQ(strata_rule_add(ns, "uidrange 5-1 lookup 100"), -EINVAL);
        CHECK(fib_rules_need_l4(ns->net));
        struct rt_result res;
        struct flowi4 o = { .daddr = 0x08080808u, .proto = 6, .dport = 443 };
        CHECK_EQ(ip_route_output_flow(ns->net, &o, &res), 0);
        CHECK_EQ(res.nexthop, 0x0a020001u);
        o.dport = 80;
        CHECK_EQ(ip_route_output_flow(ns->net, &o, &res), 0);
        CHECK_EQ(res.nexthop, 0x0a010001u);
        o.uid = 1234;
        CHECK_EQ(ip_route_output_flow(ns->net, &o, &res), 0);
        CHECK_EQ(res.nexthop, 0x0a020001u);
        /* input: the packet's protocol and port select (forwarding on) */
        CHECK_EQ(strata_sysctl_set(ns, "net.ipv4.ip_forward", "1"), 0);
        int v1 = dev_get_by_name(ns->net, "v1")->ifindex;
        struct flowi4 in = {
                .daddr = 0x08080808u, .saddr = 0x0a010009u, .iif = v1, .proto = 6, .dport = 443
        };
        CHECK_EQ(ip_route_query_flow(ns->net, &in, &res), 0);
        CHECK_EQ(res.nexthop, 0x0a020001u);
        in.dport = 80;
        CHECK_EQ(ip_route_query_flow(ns->net, &in, &res), 0);
        CHECK_EQ(res.nexthop, 0x0a010001u);
        CHECK_EQ(strata_rule_del(ns, "ipproto tcp dport 443"), 0);
        CHECK_EQ(strata_rule_del(ns, "uidrange 1000-1999"), 0);
        CHECK(!fib_rules_need_l4(ns->net));

        /* main's default route (a /0) refused, the next rule answers;
         * a /24 is longer and stays */
        CHECK_EQ(strata_rule_add(ns, "pref 95 lookup main suppress_prefixlength 0"), 0);
        CHECK_EQ(strata_rule_add(ns, "pref 96 lookup 100"), 0);
        struct flowi4 f = { .daddr = 0x08080808u };
        CHECK_EQ(ip_route_output_flow(ns->net, &f, &res), 0);
        CHECK_EQ(res.table, 100);
        f.daddr = 0x0a010009u;
        CHECK_EQ(ip_route_output_flow(ns->net, &f, &res), 0);
        CHECK_EQ(res.table, RT_TABLE_MAIN);
        /* every device is in group 0: suppress_ifgroup 0 refuses them all */
        CHECK_EQ(strata_rule_add(ns, "pref 94 lookup 100 suppress_ifgroup 0"), 0);
        f.daddr = 0x08080808u;
        CHECK_EQ(ip_route_output_flow(ns->net, &f, &res), 0);
        CHECK_EQ(res.table, 100); /* from rule 96, after 94 and 95 refused theirs */
        CHECK_EQ(strata_rule_del(ns, "pref 96"), 0);
        CHECK_EQ(ip_route_output_flow(ns->net, &f, &res), 0);
        CHECK_EQ(res.table, RT_TABLE_MAIN); /* rule 32766 has no suppressor */
        CHECK_EQ(strata_rule_del(ns, "pref 32766"), 0);
        CHECK_EQ(ip_route_output_flow(ns->net, &f, &res), -ENETUNREACH);
        down();
}

TEST_MAIN(T(default_rules_and_fast_path), T(owner_transport_selectors_and_suppressors),
          T(selectors_match_as_linux), T(priorities_as_linux), T(lookups_through_tables))
