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

int api_route_insert(struct net *net, struct fib_table *t, struct fib_route *r, int how)
{
        if (r->gw) {
                const struct fib_route *via = fib_lookup(net, r->gw);
                if (!via || via->type != RTN_UNICAST || via->gw || (r->dev && via->dev != r->dev))
                        return -ENETUNREACH; /* "Nexthop has invalid gateway" */
                r->dev = via->dev;
        }
        if (how == API_ROUTE_REPLACE) {
                struct fib_route m = {
                        .dst = r->dst, .plen = r->plen, .tos = r->tos, .priority = r->priority
                };
                fib_table_delete(t, &m);
        }
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

int strata_sysctl_get(struct strata_net *sn, const char *name, char *buf, size_t cap)
{
        struct net *net = api_lock(sn);
        int err = sysctl_get(net, name, buf, cap);
        api_unlock(sn);
        return err < 0 ? err : 0;
}
