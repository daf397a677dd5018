/*
 * IPv4 addresses of devices (Linux's devinet.c and the address half of
 * fib_frontend.c).
 *
 * An address in the subnet of an existing primary becomes a secondary, as
 * `ip addr` shows it.  Adding an address installs its routes the way Linux's
 * fib_add_ifaddr does: in table local, `local ADDR` (scope host) and
 * `broadcast BCAST` (scope link, for prefixes shorter than /31); in table
 * main, the connected prefix route (scope link, proto kernel) for a primary;
 * a secondary's routes name its subnet's primary as preferred source.
 * As Linux, no gratuitous ARP on address add; with conf.*.arp_notify=1 a
 * device coming up (or changing MAC) announces its addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sysctl.h"
#include "ipv4/ipv4.h"
#include "ipv4/nexthop.h"
#include "wire/ipv4.h"

static uint32_t mask_of(uint8_t plen)
{
        return plen ? ~0u << (32 - plen) : 0;
}

/* Install or remove one kernel route, as fib_magic(): unicast routes go to
 * table main, every other type (local, broadcast) to table local. */
static void fib_magic(struct net *net, bool add, uint8_t type, uint32_t dst, uint8_t plen,
                      const struct in_ifaddr *prim, struct net_device *dev)
{
        struct ipv4_net *in = ipv4_of(net);
        struct fib_route r = {
                .dst = dst,
                .plen = plen,
                .type = type,
                .protocol = RTPROT_KERNEL,
                .scope = type == RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_LINK,
                .prefsrc = prim->local,
                .dev = dev,
        };
        struct fib_table *t = type == RTN_UNICAST ? in->main : in->local;
        r.table = type == RTN_UNICAST ? RT_TABLE_MAIN : RT_TABLE_LOCAL;
        if (add ? fib_table_append(t, &r) == 0 : fib_table_delete(t, &r) == 0)
                net_rtnl_notify(net, add ? NET_RTNL_NEWROUTE : NET_RTNL_DELROUTE, &r);
}

/* The primary address of ifa's subnet on its device (itself if primary). */
static const struct in_ifaddr *ifa_primary(const struct in_ifaddr *ifa)
{
        if (!(ifa->flags & IFA_F_SECONDARY))
                return ifa;
        for (const struct in_ifaddr *i = in_dev_get(ifa->dev)->ifa_list; i; i = i->next)
                if (!(i->flags & IFA_F_SECONDARY) && i->mask == ifa->mask &&
                    (i->local & i->mask) == (ifa->local & ifa->mask))
                        return i;
        return ifa;
}

/* fib_add_ifaddr / fib_del_ifaddr: the routes an address brings. */
static void ifa_routes(struct net *net, struct in_ifaddr *ifa, bool add)
{
        const struct in_ifaddr *prim = ifa_primary(ifa);
        struct net_device *dev = ifa->dev;
        fib_magic(net, add, RTN_LOCAL, ifa->local, 32, prim, dev);
        if (ifa->prefixlen < 31 && ifa->broadcast && ifa->broadcast != 0xffffffffu)
                fib_magic(net, add, RTN_BROADCAST, ifa->broadcast, 32, prim, dev);
        uint32_t prefix = ifa->local & ifa->mask;
        if (!(ifa->flags & IFA_F_SECONDARY) && !ipv4_is_zeronet(prefix) &&
            (prefix != ifa->local || ifa->prefixlen < 32)) {
                fib_magic(net, add, (dev->flags & IFF_LOOPBACK_) ? RTN_LOCAL : RTN_UNICAST, prefix,
                          ifa->prefixlen, prim, dev);
                /* the network broadcast, "when it makes sense", even
                 * without an explicit brd (checked against the kernel) */
                uint32_t nbcast = prefix | ~ifa->mask;
                if (ifa->prefixlen < 31 && nbcast != ifa->broadcast)
                        fib_magic(net, add, RTN_BROADCAST, nbcast, 32, prim, dev);
        }
}

int inet_addr_add(struct net_device *dev, uint32_t local, uint8_t prefixlen, uint32_t broadcast,
                  const char *label)
{
        return inet_addr_add_lft(dev, local, prefixlen, broadcast, label, INFINITY_LIFE_TIME,
                                 INFINITY_LIFE_TIME);
}

struct in_ifaddr *inet_ifa_find(struct net_device *dev, uint32_t local, uint8_t prefixlen)
{
        struct in_device *idev = in_dev_get(dev);
        for (struct in_ifaddr *i = idev ? idev->ifa_list : NULL; i; i = i->next)
                if (i->local == local && i->prefixlen == prefixlen)
                        return i;
        return NULL;
}

int inet_addr_add_lft(struct net_device *dev, uint32_t local, uint8_t prefixlen,
                      uint32_t broadcast, const char *label, uint32_t valid, uint32_t preferred)
{
        struct in_device *idev = in_dev_get(dev);
        if (!idev)
                return -ENODEV;
        rt_genid_bump(&ipv4_of(dev->net)->rt_genid); /* source selection changes */
        if (prefixlen > 32 || local == 0 || ipv4_is_multicast(local) || ipv4_is_lbcast(local))
                return -EINVAL;
        uint32_t mask = mask_of(prefixlen);
        bool secondary = false;
        for (struct in_ifaddr *i = idev->ifa_list; i; i = i->next) {
                if (i->local == local && i->prefixlen == prefixlen)
                        return -EEXIST;
                if (!(i->flags & IFA_F_SECONDARY) && i->mask == mask &&
                    (i->local & mask) == (local & mask))
                        secondary = true;
        }
        struct in_ifaddr *ifa = calloc(1, sizeof(*ifa));
        if (!ifa)
                return -ENOMEM;
        ifa->dev = dev;
        ifa->local = ifa->address = local;
        ifa->prefixlen = prefixlen;
        ifa->mask = mask;
        /* As the kernel: no broadcast address (and no broadcast route)
         * unless one is given (`ip addr add A/N brd +` passes it). */
        ifa->broadcast = broadcast;
        ifa->scope = ipv4_is_loopback(local) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
        ifa->flags = secondary ? IFA_F_SECONDARY : 0;
        snprintf(ifa->label, sizeof(ifa->label), "%s", label ? label : dev->name);
        ifa->valid_lft = ifa->preferred_lft = INFINITY_LIFE_TIME;
        ifa->cstamp = net_now(dev->net);
        inet_ifa_set_lifetime(dev->net, ifa, valid, preferred);

        /* primaries before secondaries, each group in the order added */
        struct in_ifaddr **pp = &idev->ifa_list;
        while (*pp && (secondary || !((*pp)->flags & IFA_F_SECONDARY)))
                pp = &(*pp)->next;
        ifa->next = *pp;
        *pp = ifa;
        net_rtnl_notify(dev->net, NET_RTNL_NEWADDR, ifa);
        ifa_routes(dev->net, ifa, true);
        if (!(ifa->flags & IFA_F_PERMANENT) || preferred != INFINITY_LIFE_TIME)
                inet_addr_lifetime_kick(dev->net);
        return 0;
}

int inet_addr_del(struct net_device *dev, uint32_t local, uint8_t prefixlen)
{
        struct in_device *idev = in_dev_get(dev);
        if (!idev)
                return -ENODEV;
        rt_genid_bump(&ipv4_of(dev->net)->rt_genid); /* source selection changes */
        for (struct in_ifaddr **pp = &idev->ifa_list; *pp; pp = &(*pp)->next) {
                struct in_ifaddr *ifa = *pp;
                if (ifa->local != local || ifa->prefixlen != prefixlen)
                        continue;
                *pp = ifa->next;
                net_rtnl_notify(dev->net, NET_RTNL_DELADDR, ifa);
                ifa_routes(dev->net, ifa, false);
                if (!(ifa->flags & IFA_F_SECONDARY)) {
                        /* promote_secondaries=0 (the kernel default): the
                         * secondaries of a deleted primary go with it */
                        struct in_ifaddr **sp = &idev->ifa_list;
                        while (*sp) {
                                struct in_ifaddr *s = *sp;
                                if ((s->flags & IFA_F_SECONDARY) && s->mask == ifa->mask &&
                                    (s->local & s->mask) == (ifa->local & ifa->mask)) {
                                        *sp = s->next;
                                        net_rtnl_notify(dev->net, NET_RTNL_DELADDR, s);
                                        ifa_routes(dev->net, s, false);
                                        free(s);
                                } else {
                                        sp = &s->next;
                                }
                        }
                }
                free(ifa);
                return 0;
        }
        return -EADDRNOTAVAIL;
}

uint32_t inet_select_addr(const struct net_device *dev, uint32_t dst, int scope)
{
        uint32_t addr = 0;
        struct in_device *idev = dev ? in_dev_get(dev) : NULL;
        if (idev) {
                for (struct in_ifaddr *i = idev->ifa_list; i; i = i->next) {
                        if ((i->flags & IFA_F_SECONDARY) || i->scope > scope)
                                continue;
                        if (!dst || (i->local & i->mask) == (dst & i->mask))
                                return i->local;
                        if (!addr)
                                addr = i->local;
                }
                if (addr)
                        return addr;
        }
        /* Not on this device: any primary of suitable scope elsewhere (Linux
         * walks the devices of the namespace in order). */
        if (!dev)
                return 0;
        for (struct net_device *d = dev->net->dev_list; d; d = d->next) {
                struct in_device *id = in_dev_get(d);
                if (!id || d == dev)
                        continue;
                for (struct in_ifaddr *i = id->ifa_list; i; i = i->next)
                        if (!(i->flags & IFA_F_SECONDARY) && i->scope <= RT_SCOPE_LINK &&
                            i->scope <= scope)
                                return i->local;
        }
        return 0;
}

struct net_device *inet_addr_local(struct net *net, uint32_t addr)
{
        const struct fib_route *r = fib_table_lookup(ipv4_of(net)->local, addr);
        if (r && r->type == RTN_LOCAL)
                return r->dev;
        return NULL;
}

/* ip_forward and conf.all.forwarding are one value; writing it sets every
 * device's forwarding and conf.default's, and a router stops accepting
 * redirects (Linux's inet_forward_change). */
static void inet_forward_change(struct net *net, const struct sysctl_entry *e)
{
        struct ipv4_net *in = ipv4_of(net);
        int on = in->ip_forward;
        in->conf_all.accept_redirects = !on;
        in->conf_dflt.forwarding = on;
        for (struct net_device *d = net->dev_list; d; d = d->next) {
                struct in_device *idev = in_dev_get(d);
                if (idev)
                        idev->cnf.forwarding = on;
        }
}

int devinet_sysctls(struct net *net, const char *name, struct ipv4_devconf *c, const void *owner)
{
        struct ipv4_net *in = ipv4_of(net);
        bool all = c == &in->conf_all;
        const struct {
                const char *key;
                int *data;
                int max;
        } v[] = {
                { "arp_notify", &c->arp_notify, 1 },
                { "forwarding", all ? &in->ip_forward : &c->forwarding, 1 },
                { "rp_filter", &c->rp_filter, 2 },
                { "accept_redirects", &c->accept_redirects, 1 },
                { "secure_redirects", &c->secure_redirects, 1 },
                { "shared_media", &c->shared_media, 1 },
                { "send_redirects", &c->send_redirects, 1 },
                { "accept_source_route", &c->accept_source_route, 1 },
                { "log_martians", &c->log_martians, 1 },
        };
        char key[96];
        for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
                snprintf(key, sizeof(key), "net.ipv4.conf.%s.%s", name, v[i].key);
                int err =
                    sysctl_register(net, key, v[i].data, 1, 0, v[i].max, SYSCTL_UNIT_1, owner);
                if (err)
                        return err;
        }
        if (all) {
                sysctl_set_hook(net, "net.ipv4.conf.all.forwarding", inet_forward_change, NULL);
                sysctl_set_hook(net, "net.ipv4.ip_forward", inet_forward_change, NULL);
        }
        return 0;
}

/* Linux's IN_DEV_* combination of conf.all and the device's value. */
static const struct ipv4_devconf *conf_all(const struct in_device *idev)
{
        return &ipv4_of(idev->dev->net)->conf_all;
}

/* IN_DEV_FORWARD: the device's own */
bool in_dev_forward(const struct in_device *idev)
{
        return idev->cnf.forwarding != 0;
}

/* IN_DEV_RPFILTER: the larger */
int in_dev_rpfilter(const struct in_device *idev)
{
        return MAX(conf_all(idev)->rp_filter, idev->cnf.rp_filter);
}

/* IN_DEV_TX_REDIRECTS: either */
bool in_dev_tx_redirects(const struct in_device *idev)
{
        return conf_all(idev)->send_redirects || idev->cnf.send_redirects;
}

/* IN_DEV_RX_REDIRECTS: a router needs both, a host either */
bool in_dev_rx_redirects(const struct in_device *idev)
{
        if (in_dev_forward(idev))
                return conf_all(idev)->accept_redirects && idev->cnf.accept_redirects;
        return conf_all(idev)->accept_redirects || idev->cnf.accept_redirects;
}

/* IN_DEV_SEC_REDIRECTS: either */
bool in_dev_sec_redirects(const struct in_device *idev)
{
        return conf_all(idev)->secure_redirects || idev->cnf.secure_redirects;
}

/* IN_DEV_SHARED_MEDIA: either */
bool in_dev_shared_media(const struct in_device *idev)
{
        return conf_all(idev)->shared_media || idev->cnf.shared_media;
}

/* IN_DEV_SOURCE_ROUTE: both */
bool in_dev_source_route(const struct in_device *idev)
{
        return conf_all(idev)->accept_source_route && idev->cnf.accept_source_route;
}

/* IN_DEV_LOG_MARTIANS: either */
bool in_dev_log_martians(const struct in_device *idev)
{
        return conf_all(idev)->log_martians || idev->cnf.log_martians;
}

/* IN_DEV_ARP_NOTIFY: the larger of conf.all and the device's value. */
static bool arp_notify(const struct in_device *idev)
{
        return MAX(conf_all(idev)->arp_notify, idev->cnf.arp_notify) != 0;
}

int inet_dev_event(struct net_device *dev, enum netdev_event ev)
{
        struct in_device *idev = in_dev_get(dev);
        switch (ev) {
        case NETDEV_REGISTER: {
                idev = calloc(1, sizeof(*idev));
                if (!idev)
                        return -ENOMEM;
                idev->dev = dev;
                idev->cnf = ipv4_of(dev->net)->conf_dflt;
                dev->ip_ptr = idev;
                return devinet_sysctls(dev->net, dev->name, &idev->cnf, idev);
        }
        case NETDEV_UNREGISTER:
                if (!idev)
                        return 0;
                sysctl_unregister_owner(dev->net, idev);
                while (idev->ifa_list) {
                        struct in_ifaddr *ifa = idev->ifa_list;
                        idev->ifa_list = ifa->next;
                        free(ifa);
                }
                fib_flush_dev(dev->net, dev);
                free(idev);
                dev->ip_ptr = NULL;
                return 0;
        case NETDEV_UP:
        case NETDEV_CHANGEADDR:
                /* inetdev_event: announce only with arp_notify */
                if (idev && arp_notify(idev) && netif_oper_up(dev) &&
                    !(dev->flags & (IFF_LOOPBACK_ | IFF_NOARP_)))
                        for (struct in_ifaddr *i = idev->ifa_list; i; i = i->next)
                                arp_send_gratuitous(dev, i->local);
                return 0;
        case NETDEV_DOWN:
                nexthop_flush_dev(dev->net, dev); /* nexthop_flush_dev, as Linux */
                return 0;
        case NETDEV_CHANGE:
                if (!dev->carrier) /* without carrier too (IFF_LOWER_UP gone) */
                        nexthop_flush_dev(dev->net, dev);
                return 0;
        default:
                return 0;
        }
}
