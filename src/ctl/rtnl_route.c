/*
 * rtnetlink IPv4 routes: RTM_GETROUTE as a dump of the tables (default,
 * main, local -- the kernel's hash order of their ids) and as `ip route
 * get` (an output route decision, ip_route_output), RTM_NEWROUTE and
 * RTM_DELROUTE for unicast and the special types (blackhole, unreachable,
 * prohibit, throw) in any table -- a new number creates it, as the kernel's
 * fib_new_table.  `ip route get` takes from/iif/mark: with iif it is the
 * input decision (ip_route_input), as inet_rtm_getroute.
 *
 * Dumps list each table in the kernel's trie order -- by destination, then
 * shorter prefixes first, then metric -- and leave out routes through a
 * device that is down: Linux deletes those when the device goes down,
 * while Strata keeps them (unusable) for when it comes back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/rtnl.h"
#include "ipv4/ipv4.h"
#include "ipv4/nexthop.h"

#define RTCF_BROADCAST_  0x10000000u
#define RTCF_LOCAL_      0x80000000u
#define RTCF_DOREDIRECT_ 0x01000000u
#define RTCF_REDIRECTED_ 0x00040000u
#define RTNH_F_DEAD_     1
#define RTNH_F_ONLINK_   4
#define USER_HZ_NS       10000000ull /* clock_t ticks of rta_cacheinfo */

/* RTA_METRICS as rtnetlink_put_metrics: each metric set, by type (the
 * lock bits first); nothing when none is. */
static void put_metrics(struct nl_out *o, const struct fib_metrics *m)
{
        if (!m || fib_metrics_empty(m))
                return;
        size_t n = nla_nest_start_noflag(o, RTA_METRICS_);
        for (int i = 0; i < RTAX_MAX; i++)
                if (m->v[i])
                        nla_put_u32(o, (uint16_t)(i + 1), m->v[i]);
        nla_nest_end(o, n);
}

/* What a cloned route (ip route get, ip route show cache) says, as
 * rt_fill_info: the route's metrics, with the MTU a next-hop exception
 * learned (locked when raised to min_pmtu) while it lives; then
 * RTA_CACHEINFO with the time left in clock_t.  learned: pmtu is the
 * exception's, not the route's own mtu metric. */
static void put_cacheinfo(struct nl_out *o, struct net *net, const struct fib_route *r,
                          bool learned, uint32_t pmtu, bool locked, uint64_t expires)
{
        uint64_t now = net_now(net);
        uint64_t left = expires > now ? expires - now : 0;
        struct fib_metrics m = { { 0 } };
        if (r && r->metrics)
                m = *r->metrics;
        if (learned && pmtu && (left || !expires)) {
                m.v[RTAX_MTU - 1] = pmtu;
                if (locked)
                        m.v[RTAX_LOCK - 1] |= 1u << RTAX_MTU;
        }
        put_metrics(o, &m);
        uint32_t ci[8] = { 0 }; /* struct rta_cacheinfo; [2] is rta_expires */
        ci[2] = (uint32_t)(left / USER_HZ_NS);
        nla_put(o, RTA_CACHEINFO_, ci, sizeof(ci));
}

/* RTA_MULTIPATH as fib_add_multipath_nexthop: per next hop a struct
 * rtnexthop (len, flags, hops = weight - 1, ifindex), then its gateway. */
static void put_multipath(struct nl_out *o, const struct fib_route *r)
{
        size_t mp = nla_nest_start_noflag(o, RTA_MULTIPATH_);
        for (int i = 0; i < r->nhs; i++) {
                const struct fib_nh *nh = &r->nh[i];
                uint8_t flags = nh->flags;
                /* a next hop through a device that is down is dead (Linux
                 * keeps the route while one lives), one without carrier
                 * linkdown */
                if (nh->dev && !netif_running(nh->dev))
                        flags |= RTNH_F_DEAD_ | RTNH_F_LINKDOWN_;
                else if (nh->dev && !nh->dev->carrier && !(nh->dev->flags & IFF_LOOPBACK_))
                        flags |= RTNH_F_LINKDOWN_;
                /* rtnexthop's len, flags, hops sit where an attribute's
                 * len and type do: the nest helpers patch its length */
                uint8_t fh[2] = { flags, (uint8_t)(nh->weight - 1) };
                uint16_t ft;
                memcpy(&ft, fh, 2);
                size_t one = nla_nest_start_noflag(o, ft);
                int32_t idx = nh->dev ? nh->dev->ifindex : 0;
                nl_put(o, &idx, 4);
                if (nh->gw)
                        nla_put_in_addr(o, RTA_GATEWAY_, nh->gw);
                nla_nest_end(o, one);
        }
        nla_nest_end(o, mp);
}

static void fill_route(struct nl_out *o, const struct fib_route *r, uint16_t type, uint16_t flags,
                       uint32_t seq)
{
        nlmsg_begin(o, type, flags, seq);
        uint8_t h[RTMSG_LEN] = {
                AF_INET_,    r->plen,  0,      r->tos, (uint8_t)(r->table < 256 ? r->table : 252),
                r->protocol, r->scope, r->type
        };
        uint32_t rflags = 0;
        if (r->dev && r->type == RTN_UNICAST && !r->dev->carrier &&
            !(r->dev->flags & IFF_LOOPBACK_))
                rflags |= RTNH_F_LINKDOWN_;
        if (!r->nhs)
                rflags |= r->nh_flags & RTNH_F_ONLINK_;
        memcpy(h + 8, &rflags, 4);
        nl_put(o, h, sizeof(h));
        nla_put_u32(o, RTA_TABLE_, r->table);
        if (r->plen)
                nla_put_in_addr(o, RTA_DST_, r->dst);
        if (r->priority)
                nla_put_u32(o, RTA_PRIORITY_, r->priority);
        put_metrics(o, r->metrics);
        if (r->nh_id)
                nla_put_u32(o, RTA_NH_ID_, r->nh_id);
        if (r->prefsrc)
                nla_put_in_addr(o, RTA_PREFSRC_, r->prefsrc);
        if (r->nhs) {
                put_multipath(o, r);
        } else {
                if (r->gw)
                        nla_put_in_addr(o, RTA_GATEWAY_, r->gw);
                if (r->dev)
                        nla_put_u32(o, RTA_OIF_, (uint32_t)r->dev->ifindex);
        }
        nlmsg_end(o);
}

struct route_ent {
        const struct fib_route *r;
        size_t seq; /* collection order: the chain order within one prefix */
};

struct route_list {
        struct route_ent *v;
        size_t n, cap;
        bool nomem;
};

static void collect(const struct fib_route *r, void *ctx)
{
        struct route_list *l = ctx;
        bool alive = !r->dev || netif_running(r->dev);
        for (int i = 0; i < r->nhs; i++)
                alive = alive || netif_running(r->nh[i].dev);
        if (!alive)
                return;
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                struct route_ent *v = realloc(l->v, cap * sizeof(*v));
                if (!v) {
                        l->nomem = true;
                        return;
                }
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n] = (struct route_ent){ r, l->n };
        l->n++;
}

/* Trie order: destination, then shorter prefix first, then chain order. */
static int route_cmp(const void *a, const void *b)
{
        const struct route_ent *x = a, *y = b;
        if (x->r->dst != y->r->dst)
                return x->r->dst < y->r->dst ? -1 : 1;
        if (x->r->plen != y->r->plen)
                return x->r->plen < y->r->plen ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int dump_table(struct rtnl_req *req, struct fib_table *t)
{
        if (!t)
                return 0;
        struct route_list l = { 0 };
        fib_table_for_each(t, collect, &l);
        if (l.nomem) {
                free(l.v);
                return -ENOMEM;
        }
        if (l.n)
                qsort(l.v, l.n, sizeof(*l.v), route_cmp);
        for (size_t i = 0; i < l.n; i++)
                fill_route(req->out, l.v[i].r, RTM_NEWROUTE_, NLM_F_MULTI_, req->msg->seq);
        free(l.v);
        return 0;
}

/*
 * A table's routes a batch at a time (the socket server's dumps): instead
 * of sorting the whole table for every batch, keep only the next
 * ROUTE_BATCH routes after where the last batch stopped, in a max-heap
 * (O(ROUTE_BATCH) memory, O(n log ROUTE_BATCH) per batch), and emit them
 * in order, each with its position -- (table ordinal, destination, prefix
 * length, chain order), as the kernel's fn_trie_dump_leaf resumes from the
 * key in cb->args.  More left than the heap held: the batch is cut there.
 */
#define ROUTE_BATCH 1024

struct route_heap {
        struct route_ent v[ROUTE_BATCH];
        size_t n, seq;
        bool overflow;
        const uint64_t *after; /* resume: only keys past this one */
};

static uint64_t route_key(const struct route_ent *e)
{
        return (uint64_t)e->r->dst << 32 | (uint64_t)e->r->plen << 24 | (e->seq & 0xffffff);
}

static void heap_sift_down(struct route_heap *h, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, big = i;
                if (l < h->n && route_key(&h->v[l]) > route_key(&h->v[big]))
                        big = l;
                if (r < h->n && route_key(&h->v[r]) > route_key(&h->v[big]))
                        big = r;
                if (big == i)
                        return;
                struct route_ent t = h->v[i];
                h->v[i] = h->v[big];
                h->v[big] = t;
                i = big;
        }
}

static void heap_offer(const struct fib_route *r, void *ctx)
{
        struct route_heap *h = ctx;
        bool alive = !r->dev || netif_running(r->dev);
        for (int i = 0; i < r->nhs; i++)
                alive = alive || netif_running(r->nh[i].dev);
        if (!alive)
                return;
        struct route_ent e = { r, h->seq++ };
        uint64_t k = route_key(&e);
        if (h->after && k <= *h->after)
                return;
        if (h->n < ROUTE_BATCH) {
                size_t i = h->n++;
                h->v[i] = e; /* sift up */
                while (i && route_key(&h->v[(i - 1) / 2]) < k) {
                        h->v[i] = h->v[(i - 1) / 2];
                        i = (i - 1) / 2;
                        h->v[i] = e;
                }
                return;
        }
        h->overflow = true;
        if (k < route_key(&h->v[0])) {
                h->v[0] = e;
                heap_sift_down(h, 0);
        }
}

static int route_key_cmp(const void *a, const void *b)
{
        uint64_t x = route_key(a), y = route_key(b);
        return x < y ? -1 : x > y;
}

static int dump_table_batch(struct rtnl_req *req, struct fib_table *t, uint64_t ordinal)
{
        struct nl_out *o = req->out;
        if (!t || (o->resuming && ordinal < o->resume[0]))
                return 0; /* an earlier batch sent it */
        struct route_heap *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        if (o->resuming && ordinal == o->resume[0])
                h->after = &o->resume[1];
        fib_table_for_each(t, heap_offer, h);
        qsort(h->v, h->n, sizeof(h->v[0]), route_key_cmp);
        for (size_t i = 0; i < h->n && !o->cut; i++) {
                o->pos_next[0] = ordinal;
                o->pos_next[1] = route_key(&h->v[i]);
                fill_route(o, h->v[i].r, RTM_NEWROUTE_, NLM_F_MULTI_, req->msg->seq);
        }
        if (h->overflow)
                o->cut = true; /* the rest in the next batch */
        free(h);
        return 0;
}

struct table_list {
        struct {
                struct fib_table *t;
                uint32_t id;
        } v[64];
        size_t n;
};

static void collect_table(struct fib_table *t, uint32_t id, void *ctx)
{
        struct table_list *l = ctx;
        if (l->n < sizeof(l->v) / sizeof(l->v[0])) {
                l->v[l->n].t = t;
                l->v[l->n].id = id;
                l->n++;
        }
}

/* ip route show cache: one cloned route per live exception, as
 * fib_dump_info_fnhe -- no source, uid or mark, for there is no flow. */
struct exc_dump {
        struct rtnl_req *req;
        uint32_t table;
};

static void fill_exception(const struct fib_route *r, const struct rt_exception *x, void *ctx)
{
        struct exc_dump *d = ctx;
        struct nl_out *o = d->req->out;
        if (!x->bound)
                return; /* no lookup used it yet: the kernel has no route cached */
        nlmsg_begin(o, RTM_NEWROUTE_, NLM_F_MULTI_, d->req->msg->seq);
        uint8_t h[RTMSG_LEN] = {
                AF_INET_,          32,         0, 0, (uint8_t)(d->table < 256 ? d->table : 252), 0,
                RT_SCOPE_UNIVERSE, RTN_UNICAST
        };
        uint32_t f = RTM_F_CLONED_ | (x->gw ? RTCF_REDIRECTED_ : 0);
        memcpy(h + 8, &f, 4);
        nl_put(o, h, sizeof(h));
        nla_put_u32(o, RTA_TABLE_, d->table);
        nla_put_in_addr(o, RTA_DST_, x->daddr);
        const struct net_device *dev = r->nhs ? r->nh[x->nhsel].dev : r->dev;
        uint32_t gw = x->gw ? x->gw : r->nhs ? r->nh[x->nhsel].gw : r->gw;
        if (dev)
                nla_put_u32(o, RTA_OIF_, (uint32_t)dev->ifindex);
        if (gw)
                nla_put_in_addr(o, RTA_GATEWAY_, gw);
        put_cacheinfo(o, d->req->net, r, true, x->pmtu, x->mtu_locked, x->expires);
        nlmsg_end(o);
}

static int dump_exceptions(struct rtnl_req *req, struct fib_table *t, uint32_t id)
{
        struct exc_dump d = { req, id };
        fnhe_for_each(req->net, t, fill_exception, &d);
        return 0;
}

/* Every table, in the kernel's fib_table_hash order: by id & 255. */
static int dump_tables(struct rtnl_req *req)
{
        struct table_list l = { .n = 0 };
        fib_for_each_table(req->net, collect_table, &l);
        for (size_t i = 1; i < l.n; i++)
                for (size_t j = i; j > 0 && (l.v[j - 1].id & 255) > (l.v[j].id & 255); j--) {
                        __typeof__(l.v[0]) x = l.v[j];
                        l.v[j] = l.v[j - 1];
                        l.v[j - 1] = x;
                }
        /* RTM_F_CLONED asks for the exceptions instead of the routes */
        bool cloned =
            req->msg->payload_len >= RTMSG_LEN && (nl_rd32(req->msg->payload + 8) & RTM_F_CLONED_);
        int err = 0;
        bool batch = req->out->budget && !cloned;
        req->out->positioned = batch; /* resumes by position, not by count */
        for (size_t i = 0; i < l.n && !err; i++)
                err = cloned  ? dump_exceptions(req, l.v[i].t, l.v[i].id)
                      : batch ? dump_table_batch(req, l.v[i].t, i)
                              : dump_table(req, l.v[i].t);
        return err;
}

/* ip route get: the output route decision, as a cloned (cache) route. */
static int route_get(struct rtnl_req *req, const uint8_t *h, const struct nl_attr *tb)
{
        uint32_t dst = 0, src = 0, oif = 0, iif = 0, uid = req->uid, mark = 0;
        uint8_t proto = 0;
        uint16_t sport = 0, dport = 0;
        if ((tb[RTA_IP_PROTO_].data && nla_get_u8(&tb[RTA_IP_PROTO_], &proto)) ||
            (tb[RTA_SPORT_].data && nla_get_u16(&tb[RTA_SPORT_], &sport)) ||
            (tb[RTA_DPORT_].data && nla_get_u16(&tb[RTA_DPORT_], &dport)) ||
            (tb[RTA_DST_].data && nla_get_in_addr(&tb[RTA_DST_], &dst)) ||
            (tb[RTA_MARK_].data && nla_get_u32(&tb[RTA_MARK_], &mark)) ||
            (tb[RTA_SRC_].data && nla_get_in_addr(&tb[RTA_SRC_], &src)) ||
            (tb[RTA_OIF_].data && nla_get_u32(&tb[RTA_OIF_], &oif)) ||
            (tb[RTA_IIF_].data && nla_get_u32(&tb[RTA_IIF_], &iif)) ||
            (tb[RTA_UID_].data && nla_get_u32(&tb[RTA_UID_], &uid)))
                return -EINVAL;
        /* rtm_getroute_parse_ip_proto: only what has ports or is ICMP */
        if (tb[RTA_IP_PROTO_].data && proto != 6 && proto != 17 && proto != 1) {
                req->extack = "Unsupported ip proto";
                return -EOPNOTSUPP;
        }
        /* the ports arrive in network order (be16 attributes) */
        struct flowi4 fl = { .daddr = dst,
                             .saddr = src,
                             .iif = (int)iif,
                             .oif = (int)oif,
                             .mark = mark,
                             .proto = proto,
                             .sport = (uint16_t)(sport >> 8 | sport << 8),
                             .dport = (uint16_t)(dport >> 8 | dport << 8),
                             .uid = iif ? 0 : uid };
        struct rt_result res;
        int err = ip_route_query_flow(req->net, &fl, &res);
        if (err)
                return err;
        uint32_t rtm_flags = nl_rd32(h + 8);
        if ((rtm_flags & RTM_F_FIB_MATCH_) && res.route) {
                fill_route(req->out, res.route, RTM_NEWROUTE_, 0, req->msg->seq);
                return 0;
        }
        struct nl_out *o = req->out;
        nlmsg_begin(o, RTM_NEWROUTE_, 0, req->msg->seq);
        /* Without rules the kernel merges table local into main, so a
         * lookup answers "main" for local destinations too. */
        uint32_t table = ip_route_table_shown(req->net, &res);
        uint8_t rh[RTMSG_LEN] = { AF_INET_,
                                  32,
                                  src ? 32 : 0,
                                  h[3],
                                  (uint8_t)(table < 256 ? table : 252),
                                  0,
                                  RT_SCOPE_UNIVERSE,
                                  res.type };
        uint32_t f = RTM_F_CLONED_;
        if (res.type == RTN_LOCAL)
                f |= RTCF_LOCAL_;
        else if (res.type == RTN_BROADCAST)
                f |= RTCF_BROADCAST_;
        if (res.redirect)
                f |= RTCF_DOREDIRECT_;
        if (res.redirected)
                f |= RTCF_REDIRECTED_;
        memcpy(rh + 8, &f, 4);
        nl_put(o, rh, sizeof(rh));
        nla_put_u32(o, RTA_TABLE_, table);
        nla_put_in_addr(o, RTA_DST_, dst);
        if (src)
                nla_put_in_addr(o, RTA_SRC_, src);
        if (res.dev)
                nla_put_u32(o, RTA_OIF_, (uint32_t)res.dev->ifindex);
        if (!src && !iif && res.saddr)
                nla_put_in_addr(o, RTA_PREFSRC_, res.saddr);
        if (res.route && res.type == RTN_UNICAST &&
            (res.route->nhs ? res.route->nh[res.nhsel].gw : res.route->gw))
                nla_put_in_addr(o, RTA_GATEWAY_, res.nexthop);
        if (mark)
                nla_put_u32(o, RTA_MARK_, mark);
        if (iif)
                nla_put_u32(o, RTA_IIF_, iif);
        else
                nla_put_u32(o, RTA_UID_, uid);
        /* an MTU other than the route's own, or one that lapses, was learned */
        bool learned = res.mtu != fib_metric(res.route, RTAX_MTU) || res.expires;
        put_cacheinfo(o, req->net, res.route, learned, res.mtu, res.mtu_locked, res.expires);
        nlmsg_end(o);
        return 0;
}

static int route_parse(struct rtnl_req *req, struct nl_attr *tb)
{
        const struct nl_msg *m = req->msg;
        if (rtnl_hdr(req, RTMSG_LEN))
                return -EINVAL;
        if (nla_parse(tb, RTA_MAX_, m->payload + RTMSG_LEN, m->payload_len - RTMSG_LEN))
                return -EINVAL;
        return 0;
}

int rtnl_getroute(struct rtnl_req *req)
{
        const struct nl_msg *m = req->msg;
        if (req->dump) {
                uint8_t family = m->payload[0];
                if (family != AF_UNSPEC_ && family != AF_INET_)
                        return 0; /* no IPv6 routes yet: an empty dump */
                return dump_tables(req);
        }
        struct nl_attr tb[RTA_MAX_ + 1];
        int err = route_parse(req, tb);
        if (err)
                return err;
        if (m->payload[0] != AF_INET_) {
                req->extack =
                    m->payload[0] == AF_INET6_ ? "Strata: IPv6 is not supported yet" : NULL;
                return -EAFNOSUPPORT;
        }
        return route_get(req, m->payload, tb);
}

/* RTA_MULTIPATH (fib_get_nhs): struct rtnexthop after struct rtnexthop,
 * each with its own attributes (a gateway).  One next hop makes a single
 * path route, as the kernel stores it. */
static int parse_multipath(struct rtnl_req *req, const struct nl_attr *a, struct fib_route *r,
                           struct fib_nh *nhs)
{
        const uint8_t *p = a->data;
        size_t left = a->len;
        int n = 0;
        while (left >= 8) {
                uint16_t len;
                memcpy(&len, p, 2);
                if (len < 8 || len > left) {
                        req->extack = "Invalid nexthop configuration - extra data after nexthop";
                        return -EINVAL;
                }
                if (n == FIB_MAX_NHS) {
                        req->extack = "Strata: at most 32 nexthops in a multipath route";
                        return -EINVAL;
                }
                struct fib_nh *nh = &nhs[n];
                memset(nh, 0, sizeof(*nh));
                nh->flags = p[2];
                nh->weight = (uint16_t)(p[3] + 1);
                int32_t idx;
                memcpy(&idx, p + 4, 4);
                struct nl_attr nt[RTA_MAX_ + 1];
                if (nla_parse(nt, RTA_MAX_, p + 8, len - 8u))
                        return -EINVAL;
                if (nt[RTA_GATEWAY_].data && nla_get_in_addr(&nt[RTA_GATEWAY_], &nh->gw))
                        return -EINVAL;
                if (nt[RTA_VIA_].data || nt[RTA_ENCAP_].data || nt[RTA_FLOW_].data) {
                        req->extack = "Strata: via, encapsulation and realms in a nexthop are "
                                      "not supported yet";
                        return -EOPNOTSUPP;
                }
                if (nh->flags & ~RTNH_F_ONLINK_) {
                        req->extack = "Strata: only the onlink nexthop flag is supported";
                        return -EOPNOTSUPP;
                }
                if (idx) {
                        nh->dev = dev_get_by_index(req->net, idx);
                        if (!nh->dev)
                                return -ENODEV;
                }
                n++;
                size_t step = (len + 3u) & ~3u;
                if (step > left)
                        step = left;
                p += step;
                left -= step;
        }
        if (n == 0) {
                req->extack = "Invalid nexthop configuration - no valid nexthops";
                return -EINVAL;
        }
        if (n == 1) {
                /* a single path; its weight means nothing */
                r->gw = nhs[0].gw;
                r->dev = nhs[0].dev;
                r->nh_flags = nhs[0].flags;
                return 0;
        }
        r->nh = nhs;
        r->nhs = (uint8_t)n;
        r->gw = nhs[0].gw;
        r->dev = nhs[0].dev;
        return 0;
}

/* RTA_METRICS (ip_metrics_convert): nested u32 attributes by RTAX_*
 * type, into *m; the last of a type wins. */
static int parse_metrics(struct rtnl_req *req, const struct nl_attr *a, struct fib_metrics *m)
{
        struct nl_attr mt[64];
        if (nla_parse(mt, 63, a->data, a->len))
                return -EINVAL;
        memset(m, 0, sizeof(*m));
        for (int type = 1; type < 64; type++) {
                if (!mt[type].data)
                        continue;
                uint32_t v = 0;
                if (type > RTAX_MAX) {
                        req->extack = "Invalid metric type";
                        return -EINVAL;
                }
                if (type != RTAX_CC_ALGO && (mt[type].len != 4 || nla_get_u32(&mt[type], &v))) {
                        req->extack = "Invalid attribute in metrics";
                        return -EINVAL;
                }
                int err = fib_metrics_set(m, type, v, &req->extack);
                if (err)
                        return err;
        }
        return 0;
}

/* The fib_route a NEWROUTE/DELROUTE describes, and its table; nhs holds
 * the next hops of a multipath route (FIB_MAX_NHS), mx its metrics. */
static int route_from_msg(struct rtnl_req *req, const struct nl_attr *tb, struct fib_route *r,
                          struct fib_table **t, bool create, struct fib_nh *nhs,
                          struct fib_metrics *mx)
{
        const uint8_t *h = req->msg->payload;
        if (h[0] != AF_INET_) {
                req->extack = h[0] == AF_INET6_ ? "Strata: IPv6 is not supported yet" : NULL;
                return -EAFNOSUPPORT;
        }
        memset(r, 0, sizeof(*r));
        r->plen = h[1];
        r->tos = h[3];
        r->protocol = h[5];
        r->scope = h[6];
        r->type = h[7];
        r->nh_flags = (uint8_t)(nl_rd32(h + 8) & RTNH_F_ONLINK_); /* rtm_flags */
        if (r->plen > 32 || h[2] /* src_len */) {
                req->extack = h[2] ? "Strata: source-specific routes are not supported" : NULL;
                return h[2] ? -EOPNOTSUPP : -EINVAL;
        }
        uint32_t table = h[4], oif = 0;
        if ((tb[RTA_TABLE_].data && nla_get_u32(&tb[RTA_TABLE_], &table)) ||
            (tb[RTA_DST_].data && nla_get_in_addr(&tb[RTA_DST_], &r->dst)) ||
            (tb[RTA_GATEWAY_].data && nla_get_in_addr(&tb[RTA_GATEWAY_], &r->gw)) ||
            (tb[RTA_OIF_].data && nla_get_u32(&tb[RTA_OIF_], &oif)) ||
            (tb[RTA_PRIORITY_].data && nla_get_u32(&tb[RTA_PRIORITY_], &r->priority)) ||
            (tb[RTA_PREFSRC_].data && nla_get_in_addr(&tb[RTA_PREFSRC_], &r->prefsrc)))
                return -EINVAL;
        if (tb[RTA_ENCAP_].data || tb[RTA_VIA_].data) {
                req->extack = "Strata: encapsulation and via are not supported yet";
                return -EOPNOTSUPP;
        }
        if (tb[RTA_METRICS_].data && tb[RTA_METRICS_].len > 0) {
                int err = parse_metrics(req, &tb[RTA_METRICS_], mx);
                if (err)
                        return err;
                r->metrics = mx;
        }
        if (tb[RTA_MULTIPATH_].data) {
                int err = parse_multipath(req, &tb[RTA_MULTIPATH_], r, nhs);
                if (err)
                        return err;
        }
        if (tb[RTA_NH_ID_].data) {
                uint32_t id;
                if (nla_get_u32(&tb[RTA_NH_ID_], &id))
                        return -EINVAL;
                if (create && (r->gw || oif || r->nhs)) {
                        req->extack = "Nexthop specification and nexthop id are mutually exclusive";
                        return -EINVAL;
                }
                if (!create) {
                        r->nh_id = id; /* a delete matches the id */
                } else if (nexthop_resolve(req->net, id, r, nhs)) {
                        req->extack = "Nexthop id does not exist";
                        return -EINVAL;
                }
        }
        *t = create ? fib_new_table(req->net, table) : fib_get_table(req->net, table);
        if (!*t) {
                if (create)
                        return -ENOMEM;
                req->extack = "FIB table does not exist";
                return -ESRCH;
        }
        r->table = table ? table : RT_TABLE_MAIN;
        if (oif && !r->nhs) {
                r->dev = dev_get_by_index(req->net, (int)oif);
                if (!r->dev)
                        return -ENODEV;
        }
        return 0;
}

int rtnl_newroute(struct rtnl_req *req)
{
        struct nl_attr tb[RTA_MAX_ + 1];
        int err = route_parse(req, tb);
        if (err)
                return err;
        struct fib_route r;
        struct fib_table *t;
        struct fib_nh nhs[FIB_MAX_NHS];
        struct fib_metrics mx;
        err = route_from_msg(req, tb, &r, &t, true, nhs, &mx);
        if (err)
                return err;
        uint32_t mask = r.plen ? ~0u << (32 - r.plen) : 0;
        if (r.dst & ~mask) {
                req->extack = "Invalid prefix for given prefix length";
                return -EINVAL;
        }
        if (r.scope > RT_SCOPE_HOST) {
                req->extack = "Invalid scope";
                return -EINVAL;
        }
        switch (r.type) {
        case RTN_UNICAST:
        case RTN_LOCAL:
        case RTN_BROADCAST:
                if (!r.dev && !r.gw) {
                        req->extack = "Device only routes require an egress device";
                        return -ENODEV;
                }
                break;
        case RTN_BLACKHOLE:
        case RTN_UNREACHABLE:
        case RTN_PROHIBIT:
        case RTN_THROW:
                break;
        default:
                req->extack = "Invalid route type";
                return -EINVAL;
        }
        if (r.nhs && r.type != RTN_UNICAST) {
                req->extack = "Strata: only unicast routes may have several nexthops";
                return -EINVAL;
        }
        if (r.gw && r.scope >= RT_SCOPE_LINK) {
                req->extack = "Nexthop has invalid scope";
                return -EINVAL;
        }
        if (r.prefsrc && !inet_addr_local(req->net, r.prefsrc)) {
                req->extack = "Invalid prefsrc address";
                return -EINVAL;
        }
        uint16_t f = req->msg->flags;
        int how = API_ROUTE_EXCL;
        if (f & NLM_F_REPLACE_)
                how = f & NLM_F_CREATE_ ? API_ROUTE_REPLACE : API_ROUTE_CHANGE;
        else if (!(f & NLM_F_EXCL_))
                how = API_ROUTE_APPEND;
        bool onlink = r.nh_flags & RTNH_F_ONLINK_;
        for (int i = 0; i < r.nhs; i++)
                onlink |= r.nh[i].flags & RTNH_F_ONLINK_;
        err = api_route_insert(req->net, t, &r, how);
        if (err == -ENETUNREACH || (onlink && err == -EINVAL))
                req->extack = "Nexthop has invalid gateway";
        else if (onlink && err == -ENODEV)
                req->extack = "Nexthop device required for onlink";
        else if (onlink && err == -ENETDOWN)
                req->extack = "Nexthop device is not up";
        if (!err)
                net_rtnl_notify(req->net, NET_RTNL_NEWROUTE, &r);
        return err;
}

/* The route fib_table_delete will take for match m (same rules as its
 * route_matches), copied so that the notification can describe it. */
struct route_victim {
        const struct fib_route *m;
        struct fib_route found;
        bool any;
};

static void find_victim(const struct fib_route *c, void *ctx)
{
        struct route_victim *v = ctx;
        const struct fib_route *m = v->m;
        uint32_t mask = m->plen ? ~0u << (32 - m->plen) : 0;
        if (v->any || c->plen != m->plen || c->dst != (m->dst & mask))
                return;
        if ((!m->priority || c->priority == m->priority) && (!m->gw || c->gw == m->gw) &&
            (!m->dev || c->dev == m->dev) && (!m->type || c->type == m->type) &&
            (!m->tos || c->tos == m->tos) && (!m->nh_id || c->nh_id == m->nh_id)) {
                v->found = *c;
                v->any = true;
        }
}

int rtnl_delroute(struct rtnl_req *req)
{
        struct nl_attr tb[RTA_MAX_ + 1];
        int err = route_parse(req, tb);
        if (err)
                return err;
        struct fib_route r;
        struct fib_table *t;
        struct fib_nh nhs[FIB_MAX_NHS];
        struct fib_metrics mx;
        err = route_from_msg(req, tb, &r, &t, false, nhs, &mx);
        if (err)
                return err;
        struct route_victim v = { .m = &r };
        fib_table_for_each(t, find_victim, &v);
        /* announced while the route (and its next hops) still exist; the
         * delete below takes exactly it */
        if (v.any)
                net_rtnl_notify(req->net, NET_RTNL_DELROUTE, &v.found);
        return fib_table_delete(t, &r);
}

void rtnl_route_msg(struct nl_out *o, const struct fib_route *r, uint16_t type)
{
        fill_route(o, r, type, 0, 0);
}
