/*
 * Address lifetimes over rtnetlink, on the simulated clock: `ip addr add
 * ... valid_lft V preferred_lft P` (IFA_CACHEINFO in RTM_NEWADDR), what
 * the dump reports as time passes (what is left, as inet_fill_ifaddr),
 * deprecation and expiry on Strata's timer with the kernel's
 * notifications, `ip addr change`/`replace` (NLM_F_REPLACE) setting them
 * anew, and the kernel's refusals (EEXIST without NLM_F_REPLACE, a zero
 * valid lifetime, preferred longer than valid).
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "../test.h"
#include "ctl/nlmsg.h"
#include "strata/ctl.h"
#include "strata/strata.h"

#define SEC 1000000000ull

struct req {
        uint8_t b[256];
        size_t len;
};

/* RTM_NEWADDR 10.1.0.N/24 on ifindex 2 with flags, and lifetimes unless
 * valid is 0 and preferred is 0 (no IFA_CACHEINFO). */
static void req_addr(struct req *q, uint16_t type, uint16_t flags, uint8_t n, uint32_t valid,
                     uint32_t preferred, bool cacheinfo)
{
        memset(q, 0, sizeof(*q));
        struct nlmsghdr h = { .nlmsg_type = type,
                              .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags),
                              .nlmsg_seq = 5 };
        struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = 2 };
        memcpy(q->b, &h, sizeof(h));
        memcpy(q->b + 16, &ifa, sizeof(ifa));
        q->len = 16 + NLMSG_ALIGN(sizeof(ifa));
        uint8_t a[4] = { 10, 1, 0, n };
        struct nlattr at = { .nla_len = 8, .nla_type = IFA_LOCAL };
        memcpy(q->b + q->len, &at, 4);
        memcpy(q->b + q->len + 4, a, 4);
        q->len += 8;
        if (cacheinfo) {
                struct ifa_cacheinfo ci = { .ifa_prefered = preferred, .ifa_valid = valid };
                struct nlattr ca = { .nla_len = 4 + sizeof(ci), .nla_type = IFA_CACHEINFO };
                memcpy(q->b + q->len, &ca, 4);
                memcpy(q->b + q->len + 4, &ci, sizeof(ci));
                q->len += 4 + sizeof(ci);
        }
        uint32_t len = (uint32_t)q->len;
        memcpy(q->b, &len, 4);
}

static int last_err;

static int err_fn(const void *d, size_t len, void *ctx)
{
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(d, len, &off, &m) == 1)
                if (m.type == NLMSG_ERROR)
                        last_err = (int)nl_rd32(m.payload);
        return 0;
}

static int request(struct strata_net *ns, struct req *q)
{
        struct strata_ctl_client c = { .portid = 9, .protocol = 0 };
        last_err = 1;
        CHECK_EQ(strata_ctl_handle(ns, &c, q->b, q->len, err_fn, NULL), 0);
        return last_err;
}

/* One address as the dump (or a notification) shows it. */
struct seen {
        uint8_t last; /* 10.1.0.last */
        uint32_t flags;
        struct ifa_cacheinfo ci;
};

static void parse_addr(const struct nl_msg *m, struct seen *s)
{
        memset(s, 0, sizeof(*s));
        struct nl_attr tb[IFA_MAX + 1];
        CHECK_EQ(nla_parse(tb, IFA_MAX, m->payload + sizeof(struct ifaddrmsg),
                           m->payload_len - sizeof(struct ifaddrmsg)),
                 0);
        CHECK(tb[IFA_LOCAL].data && tb[IFA_CACHEINFO].len == sizeof(s->ci));
        s->last = tb[IFA_LOCAL].data[3];
        CHECK_EQ(nla_get_u32(&tb[IFA_FLAGS], &s->flags), 0);
        memcpy(&s->ci, tb[IFA_CACHEINFO].data, sizeof(s->ci));
}

struct dump {
        int n;
        struct seen a[8];
};

static int dump_fn(const void *d, size_t len, void *ctx)
{
        struct dump *du = ctx;
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(d, len, &off, &m) == 1)
                if (m.type == RTM_NEWADDR && du->n < 8 &&
                    ((const struct ifaddrmsg *)m.payload)->ifa_index == 2)
                        parse_addr(&m, &du->a[du->n++]);
        return 0;
}

/* The addresses of ifindex 2, 10.1.0.last; NULL if not there. */
static const struct seen *find(struct strata_net *ns, uint8_t last)
{
        static struct dump du;
        memset(&du, 0, sizeof(du));
        struct {
                struct nlmsghdr h;
                struct ifaddrmsg ifa;
        } q;
        memset(&q, 0, sizeof(q));
        q.h = (struct nlmsghdr){ sizeof(q), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 };
        q.ifa.ifa_family = AF_INET;
        struct strata_ctl_client c = { .portid = 9, .protocol = 0 };
        CHECK_EQ(strata_ctl_handle(ns, &c, &q, sizeof(q), dump_fn, &du), 0);
        for (int i = 0; i < du.n; i++)
                if (du.a[i].last == last)
                        return &du.a[i];
        return NULL;
}

/* Notifications heard: type and the address as announced. */
struct heard {
        int n;
        uint16_t type[16];
        struct seen a[16];
};

static void listen_fn(unsigned group, const void *d, size_t len, void *ctx)
{
        struct heard *h = ctx;
        size_t off = 0;
        struct nl_msg m;
        while (nlmsg_next(d, len, &off, &m) == 1)
                if ((m.type == RTM_NEWADDR || m.type == RTM_DELADDR) && h->n < 16) {
                        h->type[h->n] = m.type;
                        parse_addr(&m, &h->a[h->n++]);
                }
}

static void run_to(struct strata_net *ns, struct strata_clock *clk, uint64_t t)
{
        strata_sim_run(&ns, 1, t);
        strata_clock_advance_to(clk, t);
}

static void lifetimes_end_on_time(void)
{
        struct strata_clock *clk = strata_clock_new(true);
        struct strata_net *ns;
        CHECK_EQ(strata_net_new("lft", clk, 1, &ns), 0);
        CHECK_EQ(strata_veth_add(ns, "va", ns, "vb"), 0);
        static struct heard h;
        memset(&h, 0, sizeof(h));
        CHECK_EQ(strata_ctl_notify_start(ns, listen_fn, &h), 0);
        uint64_t t0 = strata_clock_now(clk);

        /* ip addr add 10.1.0.1/24 dev va valid_lft 10 preferred_lft 5 */
        struct req q;
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 1, 10, 5, true);
        CHECK_EQ(request(ns, &q), 0);
        const struct seen *s = find(ns, 1);
        CHECK(s != NULL);
        CHECK(!(s->flags & IFA_F_PERMANENT)); /* "dynamic" */
        CHECK(!(s->flags & IFA_F_DEPRECATED));
        CHECK_EQ(s->ci.ifa_valid, 10);
        CHECK_EQ(s->ci.ifa_prefered, 5);
        CHECK_EQ(s->ci.cstamp, s->ci.tstamp);
        uint32_t cstamp = s->ci.cstamp;
        CHECK_EQ(h.n, 1);
        CHECK_EQ(h.type[0], RTM_NEWADDR);

        /* what is left after 3.5 s: whole seconds gone */
        run_to(ns, clk, t0 + 3 * SEC + SEC / 2);
        s = find(ns, 1);
        CHECK_EQ(s->ci.ifa_valid, 7);
        CHECK_EQ(s->ci.ifa_prefered, 2);
        CHECK_EQ(h.n, 1);

        /* at 5 s it is deprecated, and announced so */
        run_to(ns, clk, t0 + 5 * SEC + SEC / 10);
        s = find(ns, 1);
        CHECK(s->flags & IFA_F_DEPRECATED);
        CHECK_EQ(s->ci.ifa_prefered, 0);
        CHECK_EQ(s->ci.ifa_valid, 5);
        CHECK_EQ(h.n, 2);
        CHECK_EQ(h.type[1], RTM_NEWADDR);
        CHECK(h.a[1].flags & IFA_F_DEPRECATED);

        /* ip addr add of the same address: EEXIST; so is NLM_F_CREATE alone */
        CHECK_EQ(request(ns, &q), -EEXIST);
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE, 1, 30, 30, true);
        CHECK_EQ(request(ns, &q), -EEXIST);
        /* the kernel's refusals */
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3, 0, 0, true);
        CHECK_EQ(request(ns, &q), -EINVAL);
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3, 5, 6, true);
        CHECK_EQ(request(ns, &q), -EINVAL);
        CHECK(find(ns, 3) == NULL);

        /* ip addr change ... valid_lft 20 preferred_lft 15: set anew, from
         * now; no longer deprecated; announced */
        h.n = 0;
        req_addr(&q, RTM_NEWADDR, NLM_F_REPLACE, 1, 20, 15, true);
        CHECK_EQ(request(ns, &q), 0);
        s = find(ns, 1);
        CHECK(!(s->flags & IFA_F_DEPRECATED));
        CHECK_EQ(s->ci.ifa_valid, 20);
        CHECK_EQ(s->ci.ifa_prefered, 15);
        CHECK_EQ(s->ci.cstamp, cstamp);
        CHECK(s->ci.tstamp > cstamp);
        CHECK_EQ(h.n, 1);
        CHECK_EQ(h.type[0], RTM_NEWADDR);

        /* a secondary with preferred_lft 0: deprecated at once */
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 2, 4, 0, true);
        CHECK_EQ(request(ns, &q), 0);
        s = find(ns, 2);
        CHECK((s->flags & IFA_F_DEPRECATED) && (s->flags & IFA_F_SECONDARY));
        /* ip addr replace of a new address makes it, forever */
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, 9, 0, 0, false);
        CHECK_EQ(request(ns, &q), 0);
        s = find(ns, 9);
        CHECK(s && (s->flags & IFA_F_PERMANENT));
        CHECK_EQ(s->ci.ifa_valid, 0xffffffffu);
        CHECK_EQ(s->ci.ifa_prefered, 0xffffffffu);

        /* the secondary goes 4 s after it came, announced as deleted with
         * nothing left */
        uint64_t t1 = strata_clock_now(clk);
        h.n = 0;
        run_to(ns, clk, t1 + 4 * SEC + SEC / 10);
        CHECK(find(ns, 2) == NULL);
        CHECK(find(ns, 1) != NULL);
        CHECK_EQ(h.n, 1);
        CHECK_EQ(h.type[0], RTM_DELADDR);
        CHECK_EQ(h.a[0].last, 2);
        CHECK_EQ(h.a[0].ci.ifa_valid, 0);

        /* 10.1.0.1: deprecated at 15 s, gone at 20 s -- and with it the
         * permanent 10.1.0.9, a secondary of its subnet, as inet_del_ifa
         * takes them (promote_secondaries off) */
        run_to(ns, clk, t1 + 15 * SEC + SEC / 10);
        CHECK(find(ns, 1)->flags & IFA_F_DEPRECATED);
        run_to(ns, clk, t1 + 19 * SEC + SEC / 2);
        CHECK(find(ns, 1) != NULL);
        run_to(ns, clk, t1 + 20 * SEC + SEC / 10);
        CHECK(find(ns, 1) == NULL);
        CHECK(find(ns, 9) == NULL);
        CHECK_EQ(h.n, 4); /* deprecated, then 10.1.0.1 and 10.1.0.9 deleted */
        CHECK_EQ(h.type[2], RTM_DELADDR);
        CHECK_EQ(h.a[2].last, 1);
        CHECK_EQ(h.type[3], RTM_DELADDR);
        CHECK_EQ(h.a[3].last, 9);

        /* freed with a lifetime still running: its timer goes too */
        req_addr(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 5, 100, 50, true);
        CHECK_EQ(request(ns, &q), 0);
        strata_ctl_notify_stop(ns);
        strata_net_free(ns);
        strata_clock_free(clk);
}

TEST_MAIN(T(lifetimes_end_on_time))
