/*
 * IPv4 configuration and sysctls through the public API: the embedded
 * counterparts of `ip addr`, `ip route` and `sysctl`, calling the same
 * internal functions the netlink server will.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/sysctl.h"
#include "ipv4/ipv4.h"
#include "transport/tcp_fastopen.h"
#include "wire/ipv4.h"

int api_parse_cidr(const char *s, uint32_t *addr, uint8_t *plen)
{
        char buf[32];
        size_t n = strlen(s);
        if (n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n + 1);
        char *slash = strchr(buf, '/');
        long len = 32;
        if (slash) {
                *slash = 0;
                char *end;
                len = strtol(slash + 1, &end, 10);
                if (end == slash + 1 || *end || len < 0 || len > 32)
                        return -EINVAL;
        }
        if (ipv4_addr_parse(buf, addr) < 0)
                return -EINVAL;
        *plen = (uint8_t)len;
        return 0;
}

int strata_addr_add(struct strata_net *sn, const char *dev_name, const char *cidr)
{
        uint32_t a;
        uint8_t plen;
        if (api_parse_cidr(cidr, &a, &plen))
                return -EINVAL;
        struct net *net = api_lock(sn);
        struct net_device *dev = dev_get_by_name(net, dev_name);
        int err = dev ? inet_addr_add(dev, a, plen, 0, NULL) : -ENODEV;
        api_unlock(sn);
        return err;
}

int strata_addr_del(struct strata_net *sn, const char *dev_name, const char *cidr)
{
        uint32_t a;
        uint8_t plen;
        if (api_parse_cidr(cidr, &a, &plen))
                return -EINVAL;
        struct net *net = api_lock(sn);
        struct net_device *dev = dev_get_by_name(net, dev_name);
        int err = dev ? inet_addr_del(dev, a, plen) : -ENODEV;
        api_unlock(sn);
        return err;
}

/* fib_check_nh: a gateway must be directly reachable, through a
 * connected route (on dev when one is named); it gives the device. */
static int check_nh(struct net *net, uint32_t gw, struct net_device **dev)
{
        const struct fib_route *via = fib_lookup(net, gw);
        if (!via || via->type != RTN_UNICAST || via->gw || via->nhs || (*dev && via->dev != *dev))
                return -ENETUNREACH; /* "Nexthop has invalid gateway" */
        *dev = via->dev;
        return 0;
}

/* fib_check_nh_v4_gw for an onlink next hop: the gateway need not be
 * reachable through a route, but the device must be named and up, and
 * the gateway a unicast address that is not ours. */
static int check_nh_onlink(struct net *net, uint32_t gw, const struct net_device *dev)
{
        if (!dev)
                return -ENODEV; /* "Nexthop device required for onlink" */
        if (!netif_running(dev))
                return -ENETDOWN; /* "Nexthop device is not up" */
        const struct fib_route *lr = fib_table_lookup(ipv4_of(net)->local, gw);
        if (!gw || ipv4_is_multicast(gw) || ipv4_is_lbcast(gw) ||
            (lr && (lr->type == RTN_LOCAL || lr->type == RTN_BROADCAST)))
                return -EINVAL; /* "Nexthop has invalid gateway" */
        return 0;
}

int api_route_insert(struct net *net, struct fib_table *t, struct fib_route *r, int how)
{
        for (int i = 0; i < r->nhs; i++) {
                struct fib_nh *nh = &r->nh[i];
                if (nh->gw && (nh->flags & RTNH_F_ONLINK)) {
                        int err = check_nh_onlink(net, nh->gw, nh->dev);
                        if (err)
                                return err;
                } else if (nh->gw) {
                        int err = check_nh(net, nh->gw, &nh->dev);
                        if (err)
                                return err;
                } else if (!nh->dev) {
                        return -ENODEV;
                }
        }
        if (r->nhs) {
                r->gw = r->nh[0].gw;
                r->dev = r->nh[0].dev;
        } else if (r->gw && (r->nh_flags & RTNH_F_ONLINK)) {
                int err = check_nh_onlink(net, r->gw, r->dev);
                if (err)
                        return err;
        } else if (r->gw) {
                int err = check_nh(net, r->gw, &r->dev);
                if (err)
                        return err;
        }
        if (how == API_ROUTE_REPLACE || how == API_ROUTE_CHANGE)
                return fib_table_replace(t, r, how == API_ROUTE_REPLACE);
        return how == API_ROUTE_APPEND ? fib_table_append(t, r) : fib_table_insert(t, r);
}

/*
 * ip route add DST [via GW] [dev DEV]: as the kernel's fib_check_nh, a
 * gateway must be directly reachable -- through a connected route -- and
 * gives the device when none is named.
 */
int strata_route_add(struct strata_net *sn, const char *dst, const char *gw, const char *dev_name)
{
        struct fib_route r = { .type = RTN_UNICAST,
                               .protocol = RTPROT_BOOT,
                               .table = RT_TABLE_MAIN };
        if (!dst || (!gw && !dev_name))
                return -EINVAL;
        if (strcmp(dst, "default") == 0) {
                r.dst = 0;
                r.plen = 0;
        } else if (api_parse_cidr(dst, &r.dst, &r.plen)) {
                return -EINVAL;
        }
        if (r.dst & ~(r.plen ? ~0u << (32 - r.plen) : 0))
                return -EINVAL; /* "Invalid prefix for given prefix length" */
        if (gw && ipv4_addr_parse(gw, &r.gw) < 0)
                return -EINVAL;
        struct net *net = api_lock(sn);
        int err = 0;
        if (dev_name) {
                r.dev = dev_get_by_name(net, dev_name);
                if (!r.dev) {
                        err = -ENODEV;
                        goto out;
                }
        }
        r.scope = r.gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        err = api_route_insert(net, ipv4_of(net)->main, &r, API_ROUTE_EXCL);
out:
        api_unlock(sn);
        return err;
}

int strata_sysctl_set(struct strata_net *sn, const char *name, const char *value)
{
        struct net *net = api_lock(sn);
        int err = sysctl_set(net, name, value);
        api_unlock(sn);
        return err;
}

int strata_tcp_metrics_flush(struct strata_net *sn)
{
        struct net *net = api_lock(sn);
        tcp_fastopen_cache_flush(net);
        api_unlock(sn);
        return 0;
}

int strata_sysctl_get(struct strata_net *sn, const char *name, char *buf, size_t cap)
{
        struct net *net = api_lock(sn);
        int err = sysctl_get(net, name, buf, cap);
        api_unlock(sn);
        return err < 0 ? err : 0;
}

static int parse_u32(const char *s, uint32_t *v)
{
        char *end;
        unsigned long x = strtoul(s, &end, 0);
        if (!*s || *end || x > 0xffffffffu)
                return -EINVAL;
        *v = (uint32_t)x;
        return 0;
}

static int parse_table(const char *s, uint32_t *id)
{
        if (!strcmp(s, "main"))
                *id = RT_TABLE_MAIN;
        else if (!strcmp(s, "local"))
                *id = RT_TABLE_LOCAL;
        else if (!strcmp(s, "default"))
                *id = RT_TABLE_DEFAULT;
        else
                return parse_u32(s, id);
        return 0;
}

int api_route_type(const char *s, uint8_t *type)
{
        static const struct {
                const char *name;
                uint8_t type;
        } types[] = { { "unicast", RTN_UNICAST },
                      { "blackhole", RTN_BLACKHOLE },
                      { "unreachable", RTN_UNREACHABLE },
                      { "prohibit", RTN_PROHIBIT },
                      { "throw", RTN_THROW } };
        if (!s) {
                *type = RTN_UNICAST;
                return 0;
        }
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (!strcmp(s, types[i].name)) {
                        *type = types[i].type;
                        return 0;
                }
        return -EINVAL;
}

int strata_route_add_ex(struct strata_net *sn, const char *type, const char *dst, const char *gw,
                        const char *dev_name, uint32_t table, uint32_t metric)
{
        struct fib_route r = { .protocol = RTPROT_BOOT, .priority = metric };
        if (!dst || api_route_type(type, &r.type))
                return -EINVAL;
        if (r.type == RTN_UNICAST && !gw && !dev_name)
                return -EINVAL;
        if (r.type != RTN_UNICAST && (gw || dev_name))
                return -EINVAL;
        if (strcmp(dst, "default") == 0) {
                r.dst = 0;
                r.plen = 0;
        } else if (api_parse_cidr(dst, &r.dst, &r.plen)) {
                return -EINVAL;
        }
        if (r.dst & ~(r.plen ? ~0u << (32 - r.plen) : 0))
                return -EINVAL;
        if (gw && ipv4_addr_parse(gw, &r.gw) < 0)
                return -EINVAL;
        r.table = table ? table : RT_TABLE_MAIN;
        struct net *net = api_lock(sn);
        int err = 0;
        if (dev_name) {
                r.dev = dev_get_by_name(net, dev_name);
                if (!r.dev) {
                        err = -ENODEV;
                        goto out;
                }
        }
        r.scope = r.gw || r.type != RTN_UNICAST ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        struct fib_table *t = fib_new_table(net, r.table);
        err = t ? api_route_insert(net, t, &r, API_ROUTE_EXCL) : -ENOMEM;
out:
        api_unlock(sn);
        return err;
}

/* "N" or "N-M" (inclusive). */
static int parse_range(char *v, uint32_t *lo, uint32_t *hi)
{
        char *dash = strchr(v, '-');
        if (dash)
                *dash = 0;
        int err = parse_u32(v, lo);
        if (!err)
                err = dash ? parse_u32(dash + 1, hi) : (*hi = *lo, 0);
        return err;
}

/* A rule in iproute2's words: [not] [from P|all] [to P|all] [iif D] [oif D]
 * [fwmark M[/K]] [tos T] [pref N] lookup T | goto N | blackhole |
 * unreachable | prohibit | nop. */
static int rule_parse(const char *spec, struct fib_rule *r, bool *has_pref)
{
        char buf[256];
        if (strlen(spec) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, spec);
        memset(r, 0, sizeof(*r));
        *has_pref = false;
        char *save = NULL, *k;
        for (k = strtok_r(buf, " \t", &save); k; k = strtok_r(NULL, " \t", &save)) {
                static const char *const lone[] = { "blackhole", "unreachable", "prohibit", "nop",
                                                    "not" };
                static const uint8_t act[] = { FR_ACT_BLACKHOLE, FR_ACT_UNREACHABLE,
                                               FR_ACT_PROHIBIT, FR_ACT_NOP, 0 };
                bool done = false;
                for (size_t i = 0; i < 5; i++)
                        if (!strcmp(k, lone[i])) {
                                if (act[i])
                                        r->action = act[i];
                                else
                                        r->flags |= FIB_RULE_INVERT;
                                done = true;
                        }
                if (done)
                        continue;
                char *v = strtok_r(NULL, " \t", &save);
                if (!v)
                        return -EINVAL;
                int err = 0;
                if (!strcmp(k, "from") || !strcmp(k, "to")) {
                        uint32_t a = 0;
                        uint8_t l = 0;
                        if (strcmp(v, "all") && api_parse_cidr(v, &a, &l))
                                return -EINVAL;
                        if (k[0] == 'f')
                                r->src = a, r->src_len = l;
                        else
                                r->dst = a, r->dst_len = l;
                } else if (!strcmp(k, "iif") || !strcmp(k, "dev") || !strcmp(k, "oif")) {
                        char *d = k[0] == 'o' ? r->oifname : r->iifname;
                        if (strlen(v) >= 16)
                                return -EINVAL;
                        strcpy(d, v);
                } else if (!strcmp(k, "fwmark")) {
                        char *slash = strchr(v, '/');
                        r->mark_mask = 0xffffffffu;
                        if (slash) {
                                *slash = 0;
                                err = parse_u32(slash + 1, &r->mark_mask);
                        }
                        if (!err)
                                err = parse_u32(v, &r->mark);
                } else if (!strcmp(k, "tos") || !strcmp(k, "dsfield")) {
                        uint32_t t = 0;
                        err = parse_u32(v, &t);
                        r->tos = (uint8_t)t;
                } else if (!strcmp(k, "pref") || !strcmp(k, "priority") || !strcmp(k, "order")) {
                        err = parse_u32(v, &r->pref);
                        *has_pref = true;
                } else if (!strcmp(k, "lookup") || !strcmp(k, "table")) {
                        err = parse_table(v, &r->table);
                        r->action = FR_ACT_TO_TBL;
                } else if (!strcmp(k, "goto")) {
                        err = parse_u32(v, &r->target);
                        r->action = FR_ACT_GOTO;
                } else if (!strcmp(k, "uidrange")) {
                        err = parse_range(v, &r->uid_start, &r->uid_end);
                        r->uid_set = true;
                        if (!err && (r->uid_start > r->uid_end || r->uid_end == 0xffffffffu))
                                err = -EINVAL;
                } else if (!strcmp(k, "sport") || !strcmp(k, "dport")) {
                        uint32_t lo, hi;
                        err = parse_range(v, &lo, &hi);
                        if (!err && (!lo || lo > hi || hi >= 0xffff))
                                err = -EINVAL; /* fib_rule_port_range_valid */
                        *(k[0] == 's' ? &r->sport_lo : &r->dport_lo) = (uint16_t)lo;
                        *(k[0] == 's' ? &r->sport_hi : &r->dport_hi) = (uint16_t)hi;
                } else if (!strcmp(k, "ipproto")) {
                        uint32_t pr = 0;
                        err = !strcmp(v, "tcp")    ? (pr = 6, 0)
                              : !strcmp(v, "udp")  ? (pr = 17, 0)
                              : !strcmp(v, "icmp") ? (pr = 1, 0)
                                                   : parse_u32(v, &pr);
                        if (!err && (pr == 0 || pr > 255))
                                err = -EINVAL;
                        r->ip_proto = (uint8_t)pr;
                } else if (!strcmp(k, "suppress_prefixlength")) {
                        err = parse_u32(v, &r->suppress_prefixlen);
                        r->suppress_plen_set = true;
                } else if (!strcmp(k, "suppress_ifgroup")) {
                        err = parse_u32(v, &r->suppress_ifgroup);
                        r->suppress_ifgroup_set = true;
                } else {
                        return -EINVAL;
                }
                if (err)
                        return err;
        }
        return 0;
}

int strata_rule_add(struct strata_net *sn, const char *spec)
{
        struct fib_rule r;
        bool has_pref;
        int err = rule_parse(spec, &r, &has_pref);
        if (err)
                return err;
        if (!r.action)
                return -EINVAL; /* iproute2 defaults to "lookup main"; say it */
        r.protocol = RTPROT_BOOT;
        struct net *net = api_lock(sn);
        err = fib_rule_add(net, &r, has_pref, true);
        api_unlock(sn);
        return err;
}

int strata_rule_del(struct strata_net *sn, const char *spec)
{
        struct fib_rule r;
        bool has_pref;
        int err = rule_parse(spec, &r, &has_pref);
        if (err)
                return err;
        struct net *net = api_lock(sn);
        err = fib_rule_del(net, &r, has_pref);
        api_unlock(sn);
        return err;
}

int strata_route_get(struct strata_net *sn, const char *dst, const char *src, const char *iif,
                     uint32_t mark, char *buf, size_t cap)
{
        uint32_t d, s = 0;
        if (!dst || ipv4_addr_parse(dst, &d) < 0 || (src && ipv4_addr_parse(src, &s) < 0))
                return -EINVAL;
        struct net *net = api_lock(sn);
        int ifindex = 0, err = 0;
        if (iif) {
                struct net_device *dev = dev_get_by_name(net, iif);
                if (!dev)
                        err = -ENODEV;
                else
                        ifindex = dev->ifindex;
        }
        if (!err)
                err = fib_route_get(net, d, s, ifindex, mark, buf, cap);
        api_unlock(sn);
        return err;
}
