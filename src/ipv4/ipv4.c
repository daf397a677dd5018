/*
 * IPv4 on a namespace: its tables, protocol handlers, sysctls, and how it
 * follows devices (addresses and per-device ARP parameters come and go with
 * them; a device going down forgets its neighbours, as Linux's arp_ifdown).
 */
#include <errno.h>
#include <stdlib.h>

#include "core/sysctl.h"
#include "ipv4/ipv4.h"
#include "ipv4/nexthop.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

static void ipv4_dev_event(struct net_device *dev, enum netdev_event ev, void *ctx)
{
        struct ipv4_net *in = ipv4_of(dev->net);
        rt_genid_bump(&in->rt_genid); /* any device event may change a route */
        switch (ev) {
        case NETDEV_REGISTER:
                inet_dev_event(dev, ev);
                neigh_parms_alloc(&in->arp_tbl, dev, "net.ipv4.neigh");
                break;
        case NETDEV_UNREGISTER:
                neigh_ifdown(&in->arp_tbl, dev);
                if (dev->arp_parms) {
                        sysctl_unregister_owner(dev->net, dev->arp_parms);
                        free(dev->arp_parms);
                        dev->arp_parms = NULL;
                }
                inet_dev_event(dev, ev);
                break;
        case NETDEV_DOWN:
                neigh_ifdown(&in->arp_tbl, dev);
                inet_dev_event(dev, ev);
                break;
        case NETDEV_CHANGE:
                if (!dev->carrier)
                        neigh_carrier_down(&in->arp_tbl, dev);
                inet_dev_event(dev, ev);
                break;
        case NETDEV_CHANGEADDR:
                neigh_ifdown(&in->arp_tbl, dev);
                inet_dev_event(dev, ev);
                break;
        default:
                inet_dev_event(dev, ev);
                break;
        }
}

static int ipv4_sysctls(struct net *net, struct ipv4_net *in)
{
        static const struct {
                const char *name;
                size_t off;
                int min, max;
        } v[] = {
#define V(n, f, lo, hi) { "net.ipv4." n, offsetof(struct ipv4_net, f), lo, hi }
                V("ip_default_ttl", ip_default_ttl, 1, 255),
                V("icmp_echo_ignore_all", icmp_echo_ignore_all, 0, 1),
                V("icmp_echo_ignore_broadcasts", icmp_echo_ignore_broadcasts, 0, 1),
                V("icmp_ratelimit", icmp_ratelimit, 0, 1 << 30),
                V("icmp_ratemask", icmp_ratemask, 0, 1 << 30),
                V("icmp_msgs_per_sec", icmp_msgs_per_sec, 0, 1 << 30),
                V("icmp_msgs_burst", icmp_msgs_burst, 0, 1 << 30),
                V("icmp_errors_use_inbound_ifaddr", icmp_errors_use_inbound_ifaddr, 0, 1),
                V("ip_unprivileged_port_start", ip_unprivileged_port_start, 0, 65535),
                V("ipfrag_high_thresh", ipfrag_high_thresh, 0, 1 << 30),
                V("ipfrag_low_thresh", ipfrag_low_thresh, 0, 1 << 30),
                V("ipfrag_max_dist", ipfrag_max_dist, 0, 1 << 30),
#undef V
        };
        for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
                int err = sysctl_register(net, v[i].name, (int *)((char *)in + v[i].off), 1,
                                          v[i].min, v[i].max, SYSCTL_UNIT_1, NULL);
                if (err)
                        return err;
        }
        return 0;
}

int ipv4_net_init(struct net *net)
{
        static const struct packet_type ip_pt = { .type = ETH_P_IP, .func = ip_rcv };
        struct ipv4_net *in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        net->ipv4 = in;
        in->net = net;
        in->ip_forward = 0;
        in->ip_default_ttl = 64;
        /* ipv4_devconf's defaults, for all and default alike */
        in->conf_all.accept_redirects = in->conf_dflt.accept_redirects = 1;
        in->conf_all.send_redirects = in->conf_dflt.send_redirects = 1;
        in->conf_all.secure_redirects = in->conf_dflt.secure_redirects = 1;
        in->conf_all.shared_media = in->conf_dflt.shared_media = 1;
        in->icmp_echo_ignore_all = 0;
        in->icmp_echo_ignore_broadcasts = 1;
        in->icmp_ratelimit = 1000;
        in->icmp_ratemask = 6168;
        in->icmp_msgs_per_sec = 1000;
        in->icmp_msgs_burst = 50;
        in->icmp_global_credit = in->icmp_msgs_burst;
        in->icmp_global_stamp = net_now(net);
        in->ip_id = (uint16_t)random_u32(&net->rnd);
        in->ip_local_port_range[0] = 32768;
        in->ip_local_port_range[1] = 60999;
        in->ip_unprivileged_port_start = 1024;
        in->ipfrag_high_thresh = 4194304;
        in->ipfrag_low_thresh = 3145728;
        in->ipfrag_time = 30 * 1000;
        in->ipfrag_max_dist = 64;
        in->protos[IPPROTO_ICMP_] = icmp_rcv;
        in->local = fib_table_new(RT_TABLE_LOCAL);
        in->main = fib_table_new(RT_TABLE_MAIN);
        in->def = fib_table_new(RT_TABLE_DEFAULT);
        if (!in->local || !in->main || !in->def)
                return -ENOMEM;
        in->rt_genid = 1;
        fib_table_set_genid(in->local, &in->rt_genid);
        fib_table_set_genid(in->main, &in->rt_genid);
        fib_table_set_genid(in->def, &in->rt_genid);
        int err = ipv4_sysctls(net, in);
        if (!err)
                err = sysctl_register(net, "net.ipv4.ip_local_port_range", in->ip_local_port_range,
                                      2, 1, 65535, SYSCTL_UNIT_1, NULL);
        if (!err)
                err = sysctl_register(net, "net.ipv4.ipfrag_time", &in->ipfrag_time, 1, 0, 1 << 20,
                                      SYSCTL_UNIT_SEC, NULL);
        if (!err)
                err = route_exc_sysctls(net);
        if (!err)
                err = fib_multipath_init(net);
        if (!err)
                err = ipfrag_init(net);
        if (!err)
                devinet_lft_init(net);
        if (!err) /* the same value as conf.all.forwarding, as in Linux */
                err = sysctl_register(net, "net.ipv4.ip_forward", &in->ip_forward, 1, 0, 1,
                                      SYSCTL_UNIT_1, NULL);
        if (!err)
                err = devinet_sysctls(net, "all", &in->conf_all, NULL);
        if (!err)
                err = devinet_sysctls(net, "default", &in->conf_dflt, NULL);
        if (!err)
                err = arp_init(net);
        if (!err)
                err = dev_add_pack(net, &ip_pt);
        if (!err) {
                struct netdev_notifier nb = { .fn = ipv4_dev_event, .ctx = NULL };
                err = register_netdev_notifier(net, &nb);
        }
        return err;
}

/* Called after the devices are gone. */
void ipv4_net_exit(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        if (!in)
                return;
        ping_exit(net);
        devinet_lft_exit(net);
        ipfrag_exit(net);
        neigh_table_clear(&in->arp_tbl);
        fib_rules_exit(net);
        nexthop_exit(net);
        fib_table_free(in->local);
        fib_table_free(in->main);
        fib_table_free(in->def);
        free(in);
        net->ipv4 = NULL;
        net->arp_tbl = NULL;
}
