/*
 * Lifetimes of IPv4 addresses, as Linux's devinet.c keeps them
 * (set_ifa_lifetime, check_lifetime, the lifetime part of
 * inet_fill_ifaddr).
 *
 * `ip addr add A/N dev D valid_lft V preferred_lft P` gives an address V
 * seconds to live and P seconds to be preferred.  A finite valid lifetime
 * clears IFA_F_PERMANENT (`ip addr` shows "dynamic"); a zero preferred
 * one sets IFA_F_DEPRECATED at once.  Both count from tstamp, the moment
 * they were last set (`ip addr change`/`replace` set them anew).  One
 * timer per namespace, check_lifetime, runs when the next lifetime ends:
 * an address past its preferred lifetime becomes deprecated (announced as
 * RTM_NEWADDR), one past its valid lifetime is deleted (RTM_DELADDR, its
 * routes and, for a primary, its secondaries with it, as inet_del_ifa).
 * Like the kernel's it forgives 20 ms of lateness (ADDRCONF_TIMER_FUZZ_MINUS),
 * wakes on the whole second when that is less than 250 ms late, never
 * sooner than a second after its last run, and at least every 120 s while
 * a finite lifetime remains; with none it is not armed at all.
 *
 * Deprecation changes nothing else for IPv4: the kernel still picks a
 * deprecated address as a source, and so does Strata.
 */
#include "core/net.h"
#include "core/timer.h"
#include "ipv4/ipv4.h"

#define NS_PER_SEC    1000000000ull
#define LFT_FUZZ_NS   (20 * 1000000ull)   /* ADDRCONF_TIMER_FUZZ_MINUS: HZ/50 */
#define LFT_ROUND_NS  (250 * 1000000ull)  /* ADDRCONF_TIMER_FUZZ: HZ/4 */
#define LFT_MIN_NS    NS_PER_SEC          /* ADDRCONF_TIMER_FUZZ_MAX: HZ */
#define LFT_CHECK_MAX (120 * NS_PER_SEC) /* ADDR_CHECK_FREQUENCY */

void inet_ifa_set_lifetime(struct net *net, struct in_ifaddr *ifa, uint32_t valid,
                           uint32_t preferred)
{
        uint32_t flags = ifa->flags & ~(uint32_t)(IFA_F_PERMANENT | IFA_F_DEPRECATED);
        if (valid != INFINITY_LIFE_TIME)
                ifa->valid_lft = valid;
        else
                flags |= IFA_F_PERMANENT;
        if (preferred != INFINITY_LIFE_TIME) {
                if (preferred == 0)
                        flags |= IFA_F_DEPRECATED;
                ifa->preferred_lft = preferred;
        }
        ifa->flags = flags;
        ifa->tstamp = net_now(net); /* cstamp is set once, when the address is made */
}

void inet_ifa_change(struct net *net, struct in_ifaddr *ifa, uint32_t valid, uint32_t preferred)
{
        inet_ifa_set_lifetime(net, ifa, valid, preferred);
        inet_addr_lifetime_kick(net);
        net_rtnl_notify(net, NET_RTNL_NEWADDR, ifa);
}

void inet_ifa_lifetimes(struct net *net, const struct in_ifaddr *ifa, uint32_t *valid,
                        uint32_t *preferred)
{
        if (ifa->flags & IFA_F_PERMANENT) {
                *valid = *preferred = INFINITY_LIFE_TIME;
                return;
        }
        *valid = ifa->valid_lft;
        *preferred = ifa->preferred_lft;
        if (*preferred == INFINITY_LIFE_TIME)
                return; /* as the kernel: the valid one is shown as set */
        uint64_t now = net_now(net);
        uint64_t tval = now > ifa->tstamp ? (now - ifa->tstamp) / NS_PER_SEC : 0;
        *preferred = *preferred > tval ? *preferred - (uint32_t)tval : 0;
        if (*valid != INFINITY_LIFE_TIME)
                *valid = *valid > tval ? *valid - (uint32_t)tval : 0;
}

/* One pass over the namespace's addresses; true when one was deleted
 * (the lists changed: start again).  *next: the earliest end still ahead;
 * *finite: whether any address has a lifetime to watch. */
static bool check_pass(struct net *net, uint64_t now, uint64_t *next, bool *finite)
{
        for (struct net_device *d = net->dev_list; d; d = d->next) {
                struct in_device *idev = in_dev_get(d);
                for (struct in_ifaddr *ifa = idev ? idev->ifa_list : NULL; ifa; ifa = ifa->next) {
                        if (ifa->flags & IFA_F_PERMANENT)
                                continue;
                        *finite = true;
                        uint64_t age = (now - ifa->tstamp + LFT_FUZZ_NS) / NS_PER_SEC;
                        uint64_t valid_end = ifa->tstamp + ifa->valid_lft * NS_PER_SEC;
                        if (ifa->valid_lft != INFINITY_LIFE_TIME && age >= ifa->valid_lft) {
                                inet_addr_del(d, ifa->local, ifa->prefixlen);
                                return true;
                        }
                        if (ifa->preferred_lft == INFINITY_LIFE_TIME)
                                continue;
                        if (age >= ifa->preferred_lft) {
                                if (ifa->valid_lft != INFINITY_LIFE_TIME && valid_end < *next)
                                        *next = valid_end;
                                if (!(ifa->flags & IFA_F_DEPRECATED)) {
                                        ifa->flags |= IFA_F_DEPRECATED;
                                        net_rtnl_notify(net, NET_RTNL_NEWADDR, ifa);
                                }
                        } else {
                                uint64_t pref_end =
                                        ifa->tstamp + (uint64_t)ifa->preferred_lft * NS_PER_SEC;
                                if (pref_end < *next)
                                        *next = pref_end;
                        }
                }
        }
        return false;
}

static void check_lifetime(struct timer_list *t)
{
        struct ipv4_net *in = container_of(t, struct ipv4_net, addr_chk);
        struct net *net = in->net;
        uint64_t now = net_now(net), next;
        bool finite;
        do {
                next = now + LFT_CHECK_MAX;
                finite = false;
        } while (check_pass(net, now, &next, &finite));
        if (!finite)
                return;
        /* round_jiffies_up when accurate enough, and not too soon */
        uint64_t sec = (next + NS_PER_SEC - 1) / NS_PER_SEC * NS_PER_SEC;
        uint64_t when = sec < next + LFT_ROUND_NS ? sec : next;
        if (when < now + LFT_MIN_NS)
                when = now + LFT_MIN_NS;
        mod_timer(&net->timers, t, when);
}

void inet_addr_lifetime_kick(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        mod_timer(&net->timers, &in->addr_chk, net_now(net));
}

void devinet_lft_init(struct net *net)
{
        timer_setup(&ipv4_of(net)->addr_chk, check_lifetime);
}

void devinet_lft_exit(struct net *net)
{
        del_timer(&net->timers, &ipv4_of(net)->addr_chk);
}
