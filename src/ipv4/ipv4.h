/*
 * IPv4 inside one namespace: per-device addresses (devinet.c), the FIB
 * (fib.c; policy rules in fib_rules.c, multipath next hops in
 * fib_multipath.c), route decisions for input and output (route.c) and
 * what routes learn per destination (route_exc.c), the input path
 * (ip_input.c), the output path (ip_output.c), output fragmentation
 * (ip_fragment.c), reassembly (ip_reasm.c), ICMP (icmp.c), ARP (arp.c)
 * and the echo client behind strata_ping (ping.c).  ipv4.c ties them to a
 * namespace.  Addresses are host byte order throughout.
 */
#ifndef STRATA_IPV4_IPV4_H
#define STRATA_IPV4_IPV4_H

#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"
#include "core/skb.h"
#include "link/neigh.h"

/* Route types, scopes and protocols: Linux's RTN_*, RT_SCOPE_*, RTPROT_*. */
enum {
        RTN_UNSPEC,
        RTN_UNICAST,
        RTN_LOCAL,
        RTN_BROADCAST,
        RTN_ANYCAST,
        RTN_MULTICAST,
        RTN_BLACKHOLE,
        RTN_UNREACHABLE,
        RTN_PROHIBIT,
        RTN_THROW,
};
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK     253
#define RT_SCOPE_HOST     254
#define RTPROT_KERNEL     2
#define RTPROT_BOOT       3
#define RTPROT_STATIC     4
#define RT_TABLE_DEFAULT  253
#define RT_TABLE_MAIN     254
#define RT_TABLE_LOCAL    255

#define IFA_F_SECONDARY 0x01
#define IFA_F_DEPRECATED 0x20
#define IFA_F_PERMANENT 0x80
#define INFINITY_LIFE_TIME 0xffffffffu /* a lifetime that never ends ("forever") */

/* One address on a device (Linux's struct in_ifaddr). */
struct in_ifaddr {
        struct in_ifaddr *next;
        struct net_device *dev;
        uint32_t local;   /* our address */
        uint32_t address; /* peer (== local unless point-to-point) */
        uint32_t mask;
        uint32_t broadcast;
        uint8_t prefixlen;
        uint8_t scope;
        uint32_t flags; /* IFA_F_* */
        char label[16];
        /* lifetimes (devinet_lft.c), seconds from tstamp; valid_lft is
         * meaningless with IFA_F_PERMANENT, as in Linux */
        uint32_t valid_lft, preferred_lft;
        uint64_t cstamp, tstamp; /* ns: created, lifetimes last set */
};

/* Per-device IPv4 settings, net.ipv4.conf.{all,default,DEV}.* (Linux's
 * ipv4_devconf), with Linux's defaults.  How conf/all and conf/DEV combine
 * differs per key, as in Linux's inetdevice.h (the IN_DEV_* helpers in
 * devinet.c): forwarding is the device's own value (writing ip_forward or
 * conf.all.forwarding sets every device's); rp_filter and arp_notify take
 * the larger; send_redirects and log_martians either; accept_source_route
 * both; accept_redirects both on a router, either on a host. */
struct ipv4_devconf {
        int arp_notify;          /* 0: gratuitous ARP on link up / MAC change when 1 */
        int forwarding;          /* 0 (conf.all's value lives in ipv4_net.ip_forward) */
        int rp_filter;           /* 0; 1 strict, 2 loose (RFC 3704) */
        int accept_redirects;    /* 1 (0 in conf.all once forwarding is on) */
        int secure_redirects;    /* 1: only to a gateway of our routes (without shared_media) */
        int shared_media;        /* 1: a redirect may name any unicast gateway */
        int send_redirects;      /* 1 */
        int accept_source_route; /* 0 */
        int log_martians;        /* 0 */
};

/* The effective values (Linux's IN_DEV_* macros). */
struct in_device;
bool in_dev_forward(const struct in_device *idev);
int in_dev_rpfilter(const struct in_device *idev);
bool in_dev_tx_redirects(const struct in_device *idev);
bool in_dev_rx_redirects(const struct in_device *idev);
bool in_dev_sec_redirects(const struct in_device *idev);
bool in_dev_shared_media(const struct in_device *idev);
bool in_dev_source_route(const struct in_device *idev);
bool in_dev_log_martians(const struct in_device *idev);

/* IPv4 state of a device (Linux's struct in_device). */
/* The last local-delivery decision of ip_route_input on a device (what
 * Linux keeps as the socket's sk_rx_dst for early demux): the same flow
 * arriving again skips the lookup while rt_genid and the device's
 * rp_filter are unchanged.  Only accepted local deliveries are kept, so
 * every refusal is decided, counted and traced afresh. */
struct in_rx_cache {
        uint32_t genid; /* 0: empty */
        uint32_t daddr, saddr, mark;
        uint8_t tos, rpf, loopback; /* RT_TOS; rp_filter; pkt_type LOOPBACK */
        uint32_t table;
        const struct fib_route *route;
};

struct in_device {
        struct net_device *dev;
        struct in_ifaddr *ifa_list; /* primaries first, each group in order added */
        struct ipv4_devconf cnf;
        struct in_rx_cache rx_cache;
};

/* One next hop of a multipath route (Linux's fib_nh). */
struct fib_nh {
        uint32_t gw; /* 0: directly connected */
        struct net_device *dev;
        uint16_t weight;       /* 1..256 (rtnh_hops + 1) */
        uint8_t flags;         /* RTNH_F_* as given (onlink) */
        struct fnhe_hash *exc; /* its next-hop exceptions, owned */
};
#define FIB_MAX_NHS 32
/* The gateway is on the device's link, whatever its routes say. */
#define RTNH_F_ONLINK 4

/* Route metrics: Linux's RTAX_* (fib_metrics.c). */
enum {
        RTAX_UNSPEC,
        RTAX_LOCK, /* bit 1 << RTAX_X: metric X is locked */
        RTAX_MTU,
        RTAX_WINDOW,
        RTAX_RTT,
        RTAX_RTTVAR,
        RTAX_SSTHRESH,
        RTAX_CWND,
        RTAX_ADVMSS,
        RTAX_REORDERING,
        RTAX_HOPLIMIT,
        RTAX_INITCWND,
        RTAX_FEATURES,
        RTAX_RTO_MIN,
        RTAX_INITRWND,
        RTAX_QUICKACK,
        RTAX_CC_ALGO,
        RTAX_FASTOPEN_NO_COOKIE,
};
#define RTAX_MAX RTAX_FASTOPEN_NO_COOKIE
/* v[RTAX_X - 1]; 0: not set. */
struct fib_metrics {
        uint32_t v[RTAX_MAX];
};

struct fib_route {
        struct fib_route *next; /* same prefix chain, by priority */
        uint32_t dst;
        uint8_t plen;
        uint8_t type; /* RTN_* */
        uint8_t scope;
        uint8_t protocol;
        uint8_t tos;
        uint32_t priority; /* metric */
        uint32_t prefsrc;
        uint32_t gw; /* 0: directly connected */
        struct net_device *dev;
        uint32_t table;
        uint32_t lpm_slot;     /* fib.c's index of large tables: its prefix's
                                * slot (0: none) */
        struct fnhe_hash *exc; /* next-hop exceptions learned (route_exc.c),
                                * owned: NULL until the first */
        /* Multipath (ECMP): nhs >= 2 next hops, owned by the route in a
         * table (a template's array is copied on insert); gw and dev above
         * are then the first one's.  nhs 0: the single path gw/dev. */
        struct fib_nh *nh;
        uint8_t nhs;
        uint8_t nh_flags; /* RTNH_F_ONLINK of a single path (the next hops'
                           * own, in nh[i].flags) */
        uint32_t nh_id;   /* the nexthop object it names (nexthop.h); 0: none */
        /* Metrics (fib_metrics.c), owned by a route in a table (a
         * template's are copied on insert); NULL: none set. */
        struct fib_metrics *metrics;
};

/* A metric of route r (0: not set, or no route). */
static inline uint32_t fib_metric(const struct fib_route *r, int type)
{
        return r && r->metrics ? r->metrics->v[type - 1] : 0;
}
static inline bool fib_metric_locked(const struct fib_route *r, int type)
{
        return (fib_metric(r, RTAX_LOCK) >> type) & 1;
}
/* ip_metrics_convert for one metric: Linux's caps (advmss, mtu, hoplimit)
 * applied; -EINVAL (unknown type or feature bit), -EOPNOTSUPP (congctl)
 * with *why the message. */
int fib_metrics_set(struct fib_metrics *m, int type, uint32_t val, const char **why);
bool fib_metrics_empty(const struct fib_metrics *m);

struct fib_table;
struct fnhe_hash;

/* Where route r keeps the exceptions of its next hop nhsel. */
static inline struct fnhe_hash **fib_exc_slot(const struct fib_route *r, int nhsel)
{
        /* exceptions are what the route learns, not part of its identity:
         * they change under the const of a lookup's answer */
        struct fib_route *rw = (struct fib_route *)r;
        return rw->nhs ? &rw->nh[nhsel].exc : &rw->exc;
}
/* Does r leave by dev (any of its next hops)?  The index of the first
 * next hop that does (0 for a single path), or -1. */
int fib_route_nh_by_dev(const struct fib_route *r, const struct net_device *dev);

/* ICMP output rate limit state: a global token bucket
 * (icmp_msgs_per_sec/icmp_msgs_burst) and one per destination host
 * (icmp_ratelimit, for types in icmp_ratemask). */
struct icmp_peer {
        uint32_t addr;
        uint64_t last;  /* ns */
        int64_t tokens; /* ns of credit, as inet_peer_xrlim_allow */
};
#define ICMP_PEER_SLOTS 256

struct ping_listener;
struct port_hash;
struct tcp_table;
struct ipfrag_state;

/* An ICMP error quoting a packet of protocol P is handed to
 * err_handlers[P]: inner is the quoted IP header and what follows; info
 * the MTU of a "fragmentation needed", else bytes 4..7 of the message;
 * from the ICMP message's sender (host order: IP_RECVERR's offender).
 * Returns 0 when it took the message, else the drop reason. */
/* icmp_err_convert: the errno an ICMP error means, and whether it is hard
 * (fatal) -- for the err handlers. */
void icmp_err_convert(uint8_t type, uint8_t code, int *err, bool *hard);
typedef int (*ip_err_handler)(struct net *net, const uint8_t *inner, size_t len, uint8_t type,
                               uint8_t code, uint32_t info, uint32_t from);
struct ipv4_net {
        struct net *net;
        struct fib_table *local, *main, *def;
        struct fib_policy *policy; /* fib_rules.c: rules and numbered tables;
                                    * NULL: Linux's default rules only */
        struct neigh_table arp_tbl;
        uint16_t ip_id;                           /* next IP id for packets without a socket */
        void (*protos[256])(struct sk_buff *skb); /* inet_protos: consume skb */
        ip_err_handler err_handlers[256];
        uint32_t rt_genid;     /* route generation: moves with every change that can
                                * change a route decision (routes, rules,
                                * addresses, devices); never 0.  Cached routes
                                * (struct ip_rt_cache) of another generation are
                                * stale, as Linux's rt_genid */
        struct port_hash *udp; /* UDP sockets by local port */
        struct tcp_table *tcp;

        struct ipv4_devconf conf_all, conf_dflt; /* net.ipv4.conf.{all,default} */

        /* sysctls (net.ipv4.*) */
        int ip_forward;                     /* 0; also conf.all.forwarding */
        int ip_default_ttl;                 /* 64 */
        int icmp_echo_ignore_all;           /* 0 */
        int icmp_echo_ignore_broadcasts;    /* 1 */
        int icmp_ratelimit;                 /* 1000 ms */
        int icmp_ratemask;                  /* 6168 */
        int icmp_msgs_per_sec;              /* 1000 */
        int icmp_msgs_burst;                /* 50 */
        int icmp_errors_use_inbound_ifaddr; /* 0 */
        int ip_local_port_range[2];         /* 32768 60999 */
        int ip_unprivileged_port_start;     /* 1024 */
        int ipfrag_high_thresh;             /* 4194304 bytes of queued fragments */
        int ipfrag_low_thresh;              /* 3145728: eviction stops below it */
        int ipfrag_time;                    /* 30000 ms (shown in s) */
        int ipfrag_max_dist;                /* 64 */
        int route_mtu_expires;              /* 600000 ms (shown in s) */
        int route_min_pmtu;                 /* 552 */
        int route_flush;                    /* write-only: flushes exceptions */
        int ip_no_pmtu_disc;                /* 0; 1 sockets DONT, frag-needed lowers to
                                             * min_pmtu; 2 frag-needed ignored; 3 only
                                             * for protocols that verify it (TCP) */
        uint32_t fnhe_genid;                /* bumped by each flush */
        int fib_multipath_hash_policy;      /* 0: L3, 1: L4, 2: inner L3, 3: custom */
        int fib_multipath_hash_fields;      /* 0x0007: policy 3's fields */
        uint64_t mp_hash_key[2];            /* the multipath hash's key (random) */

        struct ipfrag_state *frags; /* ip_reasm.c: reassembly queues */
        struct nh_table *nexthops;  /* nexthop.c: nexthop objects, NULL until one */

        uint64_t icmp_global_stamp;
        int64_t icmp_global_credit;
        struct icmp_peer icmp_peers[ICMP_PEER_SLOTS];

        struct ping_listener *pings;

        struct timer_list addr_chk; /* devinet_lft.c: check_lifetime */

        /* ip_rt_send_redirect's backoff per source (inet_peer) */
        struct redirect_peer {
                uint32_t addr;
                uint64_t rate_last; /* ns */
                uint32_t n_redirects;
        } redirect_peers[ICMP_PEER_SLOTS];
};

static inline struct ipv4_net *ipv4_of(struct net *net)
{
        return net->ipv4;
}
static inline struct in_device *in_dev_get(const struct net_device *dev)
{
        return dev->ip_ptr;
}

/* ipv4.c: set up / tear down IPv4 (and ARP) on a namespace. */
int ipv4_net_init(struct net *net);
void ipv4_net_exit(struct net *net);

/* devinet.c */
/* ip addr add LOCAL/PREFIXLEN [brd BROADCAST (0: none)] [label LABEL] */
int inet_addr_add(struct net_device *dev, uint32_t local, uint8_t prefixlen, uint32_t broadcast,
                  const char *label);
/* The same with lifetimes in seconds (INFINITY_LIFE_TIME: forever), as
 * `ip addr add ... valid_lft V preferred_lft P` */
int inet_addr_add_lft(struct net_device *dev, uint32_t local, uint8_t prefixlen,
                      uint32_t broadcast, const char *label, uint32_t valid, uint32_t preferred);
int inet_addr_del(struct net_device *dev, uint32_t local, uint8_t prefixlen);
/* The address local/prefixlen of dev, or NULL (find_matching_ifa). */
struct in_ifaddr *inet_ifa_find(struct net_device *dev, uint32_t local, uint8_t prefixlen);

/* devinet_lft.c: address lifetimes, as Linux's devinet.c keeps them.
 * Set ifa's lifetimes from now (set_ifa_lifetime: a finite valid lifetime
 * makes it non-permanent, a zero preferred one deprecated at once). */
void inet_ifa_set_lifetime(struct net *net, struct in_ifaddr *ifa, uint32_t valid,
                           uint32_t preferred);
/* `ip addr change/replace` of an existing address: new lifetimes,
 * announced as RTM_NEWADDR, the expiry check rescheduled. */
void inet_ifa_change(struct net *net, struct in_ifaddr *ifa, uint32_t valid, uint32_t preferred);
/* What is left of its lifetimes now, as inet_fill_ifaddr reports them
 * (both INFINITY_LIFE_TIME for a permanent address). */
void inet_ifa_lifetimes(struct net *net, const struct in_ifaddr *ifa, uint32_t *valid,
                        uint32_t *preferred);
/* Run the lifetime check soon (after any change of a finite lifetime). */
void inet_addr_lifetime_kick(struct net *net);
void devinet_lft_init(struct net *net);
void devinet_lft_exit(struct net *net);
/* Source address for traffic on dev toward dst (inet_select_addr): a
 * primary address of dev in dst's subnet, else dev's first primary with a
 * scope <= scope, else one from any device; 0 if none. */
uint32_t inet_select_addr(const struct net_device *dev, uint32_t dst, int scope);
/* Is addr one of ours (any device)?  Returns the device or NULL. */
struct net_device *inet_addr_local(struct net *net, uint32_t addr);
int inet_dev_event(struct net_device *dev, enum netdev_event ev);
/* Register net.ipv4.conf.NAME.* for one devconf (owner: for removal). */
int devinet_sysctls(struct net *net, const char *name, struct ipv4_devconf *c, const void *owner);

/* fib.c */
struct fib_table *fib_table_new(uint32_t id);
void fib_table_free(struct fib_table *t);
/* Every change to t moves *genid (rt_genid_bump); NULL: nothing to tell. */
void fib_table_set_genid(struct fib_table *t, uint32_t *genid);
/* Insert as `ip route add`: -EEXIST when a route of the same prefix, tos
 * and priority exists. */
int fib_table_insert(struct fib_table *t, const struct fib_route *r);
/* Insert as the kernel adds its own routes: -EEXIST only for an identical
 * route; otherwise after the routes of the same prefix and priority. */
int fib_table_append(struct fib_table *t, const struct fib_route *r);
/* ip route replace (create) / change (!create): the first route of the
 * same prefix, tos and priority is replaced in place; none: inserted when
 * create, else -ENOENT. */
int fib_table_replace(struct fib_table *t, const struct fib_route *r, bool create);
/* Delete routes matching prefix (and, when non-zero/non-NULL, priority,
 * gw, dev, type); returns 0 or -ESRCH. */
int fib_table_delete(struct fib_table *t, const struct fib_route *match);
/* The routes naming nexthop id take tmpl's next hops (gw, dev, nh[],
 * nh_flags, type) -- or, with tmpl NULL, are deleted. */
void fib_table_nh_update(struct fib_table *t, uint32_t id, const struct fib_route *tmpl);
/* Remove every route through dev. */
void fib_table_flush_dev(struct fib_table *t, const struct net_device *dev);
/* Longest-prefix match among routes whose device is up -- carrier or not --
 * or that have no device (blackhole and the like).  NULL if none. */
const struct fib_route *fib_table_lookup(const struct fib_table *t, uint32_t dst);
void fib_table_for_each(const struct fib_table *t, void (*fn)(const struct fib_route *r, void *c),
                        void *ctx);
/* A lookup by destination alone, through the rules (as fib_lookup_flow
 * with only daddr set); NULL when no route or a rule refused. */
const struct fib_route *fib_lookup(struct net *net, uint32_t dst);

/* fib_rules.c: policy routing (Linux's fib_rules.c and fib_rules.c of
 * net/ipv4).  The flow a lookup is for (struct flowi4): ifindexes, 0 for
 * none; output lookups carry the loopback's index as iif, as Linux. */
struct flowi4 {
        uint32_t daddr, saddr;
        int iif, oif;
        uint32_t mark;
        uint8_t tos;
        uint8_t proto;         /* for the multipath hash (policy 1) and rules */
        uint16_t sport, dport; /* host order; 0 when unknown */
        uint32_t uid;          /* the socket's owner (flowi4_uid); 0 otherwise */
};
/* Rule actions: Linux's FR_ACT_*. */
enum {
        FR_ACT_UNSPEC,
        FR_ACT_TO_TBL,
        FR_ACT_GOTO,
        FR_ACT_NOP,
        FR_ACT_RES3,
        FR_ACT_RES4,
        FR_ACT_BLACKHOLE,
        FR_ACT_UNREACHABLE,
        FR_ACT_PROHIBIT,
};
#define FIB_RULE_INVERT     0x02
#define FIB_RULE_UNRESOLVED 0x04
/* One rule (ip rule): selectors, then the action. */
struct fib_rule {
        struct fib_rule *next;
        uint32_t pref;
        uint8_t action; /* FR_ACT_* */
        uint8_t protocol;
        uint32_t flags;  /* FIB_RULE_INVERT */
        uint32_t table;  /* FR_ACT_TO_TBL */
        uint32_t target; /* FR_ACT_GOTO: the priority jumped to */
        uint32_t src, dst;
        uint8_t src_len, dst_len;
        uint8_t tos;
        uint32_t mark, mark_mask; /* mark_mask 0: no fwmark selector */
        char iifname[16], oifname[16];
        /* selectors of the flow's owner and transport; zero: any */
        bool uid_set;
        uint32_t uid_start, uid_end; /* uidrange, inclusive */
        uint8_t ip_proto;            /* ipproto */
        uint16_t sport_lo, sport_hi; /* sport range, inclusive */
        uint16_t dport_lo, dport_hi; /* dport range */
        /* suppressors: a lookup's answer is refused (the walk goes on) when
         * its prefix is no longer than suppress_prefixlength, or its device
         * is in group suppress_ifgroup (every Strata device is in group 0) */
        bool suppress_plen_set, suppress_ifgroup_set;
        uint32_t suppress_prefixlen, suppress_ifgroup;
};
/* The answer of fib_lookup_flow. */
struct fib_res {
        const struct fib_route *route; /* NULL when a rule action decided */
        uint8_t type;                  /* RTN_* of the route or the rule action */
        uint32_t table;                /* table of the route */
};
/* Linux's fib_lookup: 0 with res->route; -ENETUNREACH when nothing
 * matched; a rule's action: -EINVAL (blackhole), -ENETUNREACH
 * (unreachable), -EACCES (prohibit), res->type saying which.  Routes of
 * type blackhole/unreachable/prohibit are returned (0), their type in
 * res->type; throw routes send the lookup on to the next rule. */
int fib_lookup_flow(struct net *net, const struct flowi4 *fl, struct fib_res *res);
/* Does the rule match the flow (fib_rule_match, inversion included)? */
bool fib_rule_match(struct net *net, const struct fib_rule *r, const struct flowi4 *fl);
/* The table with id (0: main), or NULL; fib_new_table creates it. */
struct fib_table *fib_get_table(struct net *net, uint32_t id);
struct fib_table *fib_new_table(struct net *net, uint32_t id);
/* Call fn on each table (local, main, default, then numbered ones). */
void fib_for_each_table(struct net *net, void (*fn)(struct fib_table *t, uint32_t id, void *c),
                        void *ctx);
/* ip rule add: pref 0 with has_pref false takes Linux's default (the
 * second rule's priority minus one).  -EEXIST for an identical rule when
 * excl, -EINVAL for a backward goto. */
int fib_rule_add(struct net *net, const struct fib_rule *r, bool has_pref, bool excl);
/* ip rule del: the first rule matching every given field of m (has_pref:
 * the priority was given); -ENOENT when none. */
int fib_rule_del(struct net *net, const struct fib_rule *m, bool has_pref);
/* The rules in order (the default three when none were changed). */
void fib_rules_for_each(struct net *net, void (*fn)(const struct fib_rule *r, void *c), void *ctx);
/* Does a rule select by protocol or port (fib_rules_require_fldissect)?
 * Input lookups then read them from the packet. */
bool fib_rules_need_l4(struct net *net);
/* Have the rules changed from Linux's defaults (fib_has_custom_rules)? */
bool fib_has_custom_rules(struct net *net);
/* Remove routes through dev from every table; free everything at exit. */
void fib_flush_dev(struct net *net, const struct net_device *dev);
void fib_rules_exit(struct net *net);
/* ip route get: one line as iproute2 prints the kernel's answer (without
 * the newline and the "cache" line); iif 0 for an output route. */
int fib_route_get(struct net *net, uint32_t dst, uint32_t src, int iif, uint32_t mark, char *buf,
                  size_t cap);

/* route.c: the decisions Linux's ip_route_input/output make. */
struct rt_result {
        uint8_t type;           /* RTN_* */
        struct net_device *dev; /* output device (lo for local) */
        uint32_t nexthop;       /* gateway or the destination itself */
        uint32_t saddr;         /* chosen source (output) */
        unsigned mtu;           /* MTU toward nexthop (0: the device's) */
        bool mtu_locked;        /* mtu is a learned one raised to min_pmtu */
        bool redirected;        /* nexthop is an ICMP redirect's gateway */
        uint64_t expires;       /* when the learned mtu lapses (ns; 0: none) */
        bool redirect;          /* input: leaving by the device it came in on, the
                                 * source on-link: tell it (ICMP redirect) */
        const struct fib_route *route;
        int nhsel;      /* next hop of a multipath route taken (0 otherwise) */
        uint32_t table; /* table of the route (RT_TABLE_MAIN when none) */
};
/* ip route get: an output decision (iif 0) or an input one as if a packet
 * from src with mark arrived on iif; 0 or -errno as inet_rtm_getroute
 * answers (-EHOSTUNREACH when iif does not forward, -EXDEV rp_filter,
 * -EINVAL martian or blackhole, -EACCES prohibit). */
int ip_route_query(struct net *net, uint32_t dst, uint32_t src, int iif, int oif, uint32_t mark,
                   struct rt_result *res);
/* The same for a flow with protocol and ports (ip route get ipproto,
 * sport, dport: they count for the multipath hash). */
int ip_route_query_flow(struct net *net, const struct flowi4 *fl, struct rt_result *res);
/* The table ip route get names (local shows as main without custom rules). */
uint32_t ip_route_table_shown(struct net *net, const struct rt_result *res);
/* The MTU a packet leaving by res must fit (ip_skb_dst_mtu). */
static inline unsigned rt_mtu(const struct rt_result *res)
{
        return res->mtu ? res->mtu : res->dev->mtu;
}
/* Output: 0, or -ENETUNREACH (no route), -EHOSTUNREACH (unreachable
 * route), -EACCES (prohibit), -EINVAL (blackhole), -EADDRNOTAVAIL (saddr
 * not ours). */
int ip_route_output(struct net *net, uint32_t daddr, uint32_t saddr, int oif,
                    struct rt_result *res);
/* The same for a whole flow (ports and protocol count for the multipath
 * hash). */
int ip_route_output_flow(struct net *net, const struct flowi4 *fl, struct rt_result *res);
/* The same with a firewall mark and tos for the rules. */
int ip_route_output_mark(struct net *net, uint32_t daddr, uint32_t saddr, int oif, uint32_t mark,
                         uint8_t tos, struct rt_result *res);
/* A socket's output route (the flow ip_route_connect builds): its bound
 * source and device, SO_MARK, and the TOS bits of IP_TOS (RT_TOS). */
#define IP_RT_TOS(tos) ((uint8_t)((tos) & 0x1e)) /* RT_TOS: IPTOS_TOS_MASK */
struct sock;
int ip_route_output_sk(const struct sock *sk, uint32_t daddr, struct rt_result *res);

/*
 * A connected socket's output route (Linux's sk_dst_cache): the result of
 * ip_route_output_flow for one flow, valid while the namespace's rt_genid
 * has not moved and the flow is the same.  Every change that can alter a
 * decision moves rt_genid (fib table edits, rules, addresses, any device
 * event -- up, down, carrier, MTU, address, unregister -- and next-hop
 * exceptions learned or flushed), so a cached device pointer is never used
 * after its device is gone.  A decision an exception shaped is not kept
 * (exceptions lapse with time).  Zeroed: empty.
 */
struct ip_rt_cache {
        uint32_t genid; /* 0: empty */
        uint32_t daddr, saddr, mark; /* the flow */
        int oif;
        uint8_t tos, proto;
        uint16_t sport, dport;
        uint8_t type;           /* the decision: what a socket's packets need of */
        uint8_t nhsel;          /* struct rt_result (an idle socket carries this) */
        struct net_device *dev;
        uint32_t nexthop, res_saddr;
};
static inline void rt_genid_bump(uint32_t *genid)
{
        if (++*genid == 0)
                *genid = 1;
}
/* ip_route_output_flow through cache: a hit costs a compare, and gives the
 * decision without the route and table that found it (res->route NULL). */
int ip_route_output_cached(struct net *net, struct ip_rt_cache *cache, const struct flowi4 *fl,
                           struct rt_result *res);
/* Input: classify an arriving packet.  0 with res, or a drop reason (>0):
 * martians (IP_INVALID_SOURCE/DEST, IP_LOCAL_SOURCE, traced when
 * log_martians), IP_RPFILTER, IP_INADDRERRORS when the input device does
 * not forward, IP_INNOROUTES. */
int ip_route_input(struct sk_buff *skb, uint32_t daddr, uint32_t saddr, struct net_device *dev,
                   struct rt_result *res);
/* Send an ICMP redirect about skb (being forwarded by res), with Linux's
 * per-source backoff. */
void ip_rt_send_redirect(struct net *net, struct sk_buff *skb, const struct rt_result *res);

/* fib_multipath.c: choosing among a multipath route's next hops as
 * Linux's fib_select_multipath (hash-threshold over the live next hops'
 * weights), the hash by net.ipv4.fib_multipath_hash_policy: 0 the
 * addresses, 1 the addresses, protocol and ports. */
uint32_t fib_multipath_hash(struct net *net, const struct flowi4 *fl);
/* The hash of an arriving packet (skb data at its IP header). */
uint32_t fib_multipath_hash_skb(struct net *net, const struct sk_buff *skb);
int fib_select_multipath(const struct fib_route *r, uint32_t hash);
int fib_multipath_init(struct net *net);

/* fib_metrics.c: the route's mtu metric, and its lock, into res (before
 * fnhe_apply, whose learned MTU wins while it lives). */
void fib_route_apply_mtu(struct rt_result *res);

/* route_exc.c: next-hop exceptions (Linux's fib_nh_exception). */
/* What one exception says, for dumps (ip route show cache). */
struct rt_exception {
        uint32_t daddr;
        uint32_t gw; /* a redirect's gateway (0: none) */
        int nhsel;     /* the next hop of a multipath route it belongs to */
        uint32_t pmtu; /* 0: none */
        bool mtu_locked;
        bool bound;       /* used by a lookup since it was set */
        uint64_t expires; /* ns (0: never) */
};
/* Fill res->mtu/mtu_locked/expires from the exception of res->route for
 * daddr, if one lives (forwarding: only a locked MTU counts, as Linux's
 * ip_dst_mtu_maybe_forward). */
void fnhe_apply(struct net *net, struct rt_result *res, uint32_t daddr, bool forwarding);
/* __ip_rt_update_pmtu: the path toward daddr (for the flow saddr, oif,
 * mark, tos) carries at most mtu bytes: lowers, never raises; below
 * route.min_pmtu it is raised to that and locked.  0 or -errno. */
int ip_rt_update_pmtu(struct net *net, uint32_t daddr, uint32_t saddr, int oif, uint32_t mark,
                      uint8_t tos, unsigned mtu);
/* ipv4_update_pmtu / ipv4_sk_update_pmtu: the same for the flow of a
 * packet we sent, quoted by an ICMP message (inner: its IP header). */
int ipv4_update_pmtu(struct net *net, const uint8_t *inner, size_t len, uint32_t mtu);
/* __ip_do_redirect: an ICMP redirect (skb: the message, IPCB parsed; its
 * source the gateway it came from) about a packet we sent (inner, len)
 * names new_gw as the better next hop.  Taken, as a next-hop exception for
 * 300 s, when accept_redirects allows, it came from the current gateway,
 * new_gw is acceptable (shared_media: any unicast address; otherwise
 * on-link with the old one and, with secure_redirects, a gateway of one
 * of our routes) and its neighbour entry is valid -- else resolution is
 * started and the redirect ignored, as Linux.  0 when taken, else why
 * not (-EINVAL, -EPERM refused, -EAGAIN resolving). */
int ipv4_redirect(struct net *net, struct sk_buff *skb, const uint8_t *inner, size_t len,
                  uint8_t code, uint32_t new_gw);
/* rt_cache_flush: forget every exception (ip route flush cache); they
 * are emptied when next met, freed with their route. */
void rt_cache_flush(struct net *net);
void fnhe_free_all(struct fnhe_hash *h);
/* Visit the live exceptions of table t. */
void fnhe_for_each(struct net *net, struct fib_table *t,
                   void (*fn)(const struct fib_route *r, const struct rt_exception *x, void *c),
                   void *ctx);
/* net.ipv4.route.{mtu_expires,min_pmtu,flush}, with Linux's defaults. */
int route_exc_sysctls(struct net *net);

/* ip_input.c */
void ip_rcv(struct sk_buff *skb, struct net_device *dev);

/* ip_output.c */
/* Build the IP header in front of skb->data (payload already there) and
 * send: route by daddr (saddr 0: pick one). ttl 0: the default.  pmtudisc
 * is the socket's IP_MTU_DISCOVER value, as Linux's __ip_append_data and
 * __ip_make_skb read it (false/true read as DONT/WANT):
 *   DONT (0)      fragment when larger than the path MTU, never DF;
 *   WANT (1)      DF when it fits the path MTU, else fragmented without DF;
 *   DO (2)        DF; larger than the path MTU -> -EMSGSIZE;
 *   PROBE (3)     DF; the device MTU, not the path's; larger -> -EMSGSIZE;
 *   INTERFACE (4) no DF; the device MTU; larger -> -EMSGSIZE;
 *   OMIT (5)      no DF; fragmented at the device MTU.
 * Larger than 65535 bytes is always -EMSGSIZE.  Consumes skb; returns 0 or
 * -errno (the skb dropped with the reason). */
int ip_build_and_send(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
                      uint8_t protocol, uint8_t tos, uint8_t ttl, int oif, int pmtudisc);
/* The same through a connected socket's cached route (see struct
 * ip_rt_cache): the lookup runs only when the cache is stale. */
int ip_build_and_send_cached(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
                             uint8_t protocol, uint8_t tos, uint8_t ttl, int oif, int pmtudisc,
                             struct ip_rt_cache *cache);
/* Send a packet whose IP header is complete, by route res (forwarding,
 * ICMP replies): POST_ROUTING, then fragmented if larger than rt_mtu(res)
 * and DF is clear.  Consumes skb. */
void ip_output_routed(struct net *net, struct sk_buff *skb, const struct rt_result *res);

/* ip_fragment.c: split skb (data at a complete IP header, DF clear) into
 * fragments of at most mtu bytes and hand each to output, as Linux's
 * ip_do_fragment: options without the copy bit only in the first fragment,
 * FragOKs/FragCreates on success, FragFails (and the drop) on failure.
 * Consumes skb; returns 0 or -EMSGSIZE/-ENOMEM. */
int ip_fragment(struct net *net, struct sk_buff *skb, unsigned mtu, const struct rt_result *res,
                void (*output)(struct net *net, struct sk_buff *skb, const struct rt_result *res));

/* ip_reasm.c: reassembly (Linux's ip_defrag).  Takes a fragment (data at
 * its IP header, IPCB parsed) and returns NULL when it was queued or
 * dropped, or the whole datagram -- a new skb, data at its header, IPCB
 * parsed again -- when this fragment completed it. */
struct sk_buff *ip_defrag(struct net *net, struct sk_buff *skb);
int ipfrag_init(struct net *net);
void ipfrag_exit(struct net *net);
/* Bytes (truesize) of fragments queued now, and queues open: what
 * /proc/net/sockstat's "FRAG: inuse N memory M" shows. */
void ipfrag_usage(struct net *net, unsigned *queues, unsigned long *mem);

/* icmp.c */
void icmp_rcv(struct sk_buff *skb);
/* Send an ICMP error about skb_in (data anywhere; network header set), as
 * Linux's __icmp_send: never about ICMP errors, fragments other than the
 * first, broadcasts or multicasts; rate limited.  Does not consume skb_in. */
void icmp_send(struct net *net, struct sk_buff *skb_in, uint8_t type, uint8_t code, uint32_t info);

/* arp.c */
int arp_init(struct net *net);
void arp_rcv(struct sk_buff *skb, struct net_device *dev);
/* Gratuitous ARP for addr on dev (address added, device up). */
void arp_send_gratuitous(struct net_device *dev, uint32_t addr);
/* The neighbour for nexthop on dev (created if needed). */
struct neighbour *arp_neigh(struct net_device *dev, uint32_t nexthop);

/* ping.c: the echo client behind strata_ping.  ping_rcv takes an echo
 * reply (data at the ICMP header, IPCB set) and consumes it if a listener
 * owns its identifier; ping_err reports an ICMP error whose quoted packet is
 * one of our echo requests (iph: the quoted IP header, ihl its length,
 * then the quoted ICMP header), learning the path MTU from a
 * "fragmentation needed" first, as Linux's ping_err (info: its MTU). */
bool ping_rcv(struct net *net, struct sk_buff *skb);
void ping_err(struct net *net, const uint8_t *iph, size_t len, unsigned ihl, uint8_t type,
              uint8_t code, uint32_t info, uint32_t from, uint8_t ttl, size_t icmp_len);
void ping_exit(struct net *net);

#endif
