/*
 * Nexthop objects: the list of a namespace's nexthops by id, their checks
 * (Linux's nh_check_attr_group, nh_create_ipv4, fib_check_nh), and keeping
 * the routes that name one in step (see nexthop.h for the design).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4/nexthop.h"
#include "wire/ipv4.h"

struct nh_table {
        struct nexthop *list; /* by id */
        uint32_t last_id;     /* the last id given out (nh_find_unused_id) */
};

const struct nexthop *nexthop_find(struct net *net, uint32_t id)
{
        struct nh_table *t = ipv4_of(net)->nexthops;
        for (struct nexthop *n = t ? t->list : NULL; n && n->id <= id; n = n->next)
                if (n->id == id)
                        return n;
        return NULL;
}

void nexthop_for_each(struct net *net, void (*fn)(const struct nexthop *nh, void *c), void *ctx)
{
        struct nh_table *t = ipv4_of(net)->nexthops;
        for (struct nexthop *n = t ? t->list : NULL; n; n = n->next)
                fn(n, ctx);
}

static void nexthop_free(struct nexthop *n)
{
        free(n->grp);
        free(n);
}

int nexthop_resolve(struct net *net, uint32_t id, struct fib_route *r, struct fib_nh *nhs)
{
        const struct nexthop *n = nexthop_find(net, id);
        if (!n)
                return -EINVAL;
        r->nh_id = id;
        r->nh = NULL;
        r->nhs = 0;
        r->nh_flags = 0;
        if (n->blackhole) {
                /* a blackhole nexthop makes the route one, through lo */
                r->type = RTN_BLACKHOLE;
                r->gw = 0;
                r->dev = net->loopback_dev;
                return 0;
        }
        if (!n->ngrp) {
                r->gw = n->gw;
                r->dev = n->dev;
                r->nh_flags = n->flags;
                return 0;
        }
        for (int i = 0; i < n->ngrp; i++) {
                const struct nexthop *m = nexthop_find(net, n->grp[i].id);
                if (!m)
                        return -EINVAL;
                nhs[i] = (struct fib_nh){
                        .gw = m->gw, .dev = m->dev, .weight = n->grp[i].weight, .flags = m->flags
                };
        }
        r->gw = nhs[0].gw;
        r->dev = nhs[0].dev;
        if (n->ngrp == 1) { /* one member: a single path, as the kernel shows it */
                r->nh_flags = nhs[0].flags;
                return 0;
        }
        r->nh = nhs;
        r->nhs = n->ngrp;
        return 0;
}

struct nh_refresh {
        struct net *net;
        uint32_t id;
        const struct fib_route *tmpl;
};

static void refresh_table(struct fib_table *t, uint32_t tid, void *ctx)
{
        struct nh_refresh *rf = ctx;
        fib_table_nh_update(t, rf->id, rf->tmpl);
}

/* The routes naming id follow it (or go, when it is gone). */
static void refresh_routes(struct net *net, uint32_t id)
{
        struct fib_route r = { .type = RTN_UNICAST };
        struct fib_nh nhs[FIB_MAX_NHS];
        bool alive = nexthop_resolve(net, id, &r, nhs) == 0;
        struct nh_refresh rf = { net, id, alive ? &r : NULL };
        fib_for_each_table(net, refresh_table, &rf);
}

/* The checks of a single nexthop: a device that is up, and a gateway
 * reached through it (or on its link, onlink), never one of ours. */
static int check_single(struct net *net, const struct nexthop *n, const char **why)
{
        if (n->blackhole) {
                if (n->dev || n->gw) {
                        *why = "Blackhole attribute can not be used with gateway or oif";
                        return -EINVAL;
                }
                return 0;
        }
        if (!n->dev) {
                *why = "Device attribute required for non-blackhole and non-fdb nexthops";
                return -EINVAL;
        }
        if (!netif_running(n->dev)) {
                *why = "Nexthop device is not up";
                return -ENETDOWN;
        }
        if (!n->gw) {
                if (n->flags & RTNH_F_ONLINK) {
                        *why = "onlink attribute can not be used without a gateway";
                        return -EINVAL;
                }
                return 0;
        }
        if (n->flags & RTNH_F_ONLINK) {
                const struct fib_route *lr = fib_table_lookup(ipv4_of(net)->local, n->gw);
                if (ipv4_is_multicast(n->gw) || ipv4_is_lbcast(n->gw) ||
                    (lr && (lr->type == RTN_LOCAL || lr->type == RTN_BROADCAST))) {
                        *why = "Nexthop has invalid gateway";
                        return -EINVAL;
                }
                return 0;
        }
        const struct fib_route *via = fib_lookup(net, n->gw);
        if (!via || via->type != RTN_UNICAST || via->gw || via->nhs || via->dev != n->dev) {
                *why = "Nexthop has invalid gateway";
                return -ENETUNREACH;
        }
        return 0;
}

/* nh_check_attr_group: members that exist, are single nexthops, appear
 * once, and weights 1..256. */
static int check_group(struct net *net, const struct nexthop *n, const char **why)
{
        if (n->ngrp > FIB_MAX_NHS) {
                *why = "Strata: at most 32 nexthops in a group";
                return -EINVAL;
        }
        for (int i = 0; i < n->ngrp; i++) {
                const struct nexthop *m = nexthop_find(net, n->grp[i].id);
                if (!m) {
                        *why = "Invalid nexthop id";
                        return -EINVAL;
                }
                if (m->ngrp) {
                        *why = "Hash-threshold group can not be a nexthop within a group";
                        return -EINVAL;
                }
                if (m->blackhole && n->ngrp > 1) {
                        *why = "Blackhole nexthop can not be used in a group with more than 1 "
                               "path";
                        return -EINVAL;
                }
                if (n->grp[i].weight < 1 || n->grp[i].weight > 256) {
                        *why = "Invalid value for weight";
                        return -EINVAL;
                }
                for (int j = 0; j < i; j++)
                        if (n->grp[j].id == n->grp[i].id) {
                                *why = "Duplicate nexthop id in group";
                                return -EINVAL;
                        }
        }
        return 0;
}

static struct nh_table *table_get(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        if (!in->nexthops)
                in->nexthops = calloc(1, sizeof(*in->nexthops));
        return in->nexthops;
}

int nexthop_add(struct net *net, struct nexthop *tmpl, bool replace, bool excl, const char **why)
{
        struct nh_table *t = table_get(net);
        if (!t)
                return -ENOMEM;
        int err = tmpl->ngrp ? check_group(net, tmpl, why) : check_single(net, tmpl, why);
        if (err)
                return err;
        if (!tmpl->id) { /* nh_find_unused_id */
                uint32_t id = t->last_id;
                do
                        id = id + 1 ? id + 1 : 1;
                while (nexthop_find(net, id));
                tmpl->id = t->last_id = id;
        }
        struct nexthop **pp = &t->list;
        while (*pp && (*pp)->id < tmpl->id)
                pp = &(*pp)->next;
        struct nexthop *old = *pp && (*pp)->id == tmpl->id ? *pp : NULL;
        if (old && (excl || !replace))
                return -EEXIST;
        if (old && !old->ngrp != !tmpl->ngrp) {
                *why = old->ngrp ? "Can not replace a nexthop group with a nexthop"
                                 : "Can not replace a nexthop with a nexthop group";
                return -EINVAL;
        }
        for (int i = 0; i < tmpl->ngrp; i++)
                if (tmpl->grp[i].id == tmpl->id) {
                        *why = "Invalid nexthop id";
                        return -EINVAL;
                }
        struct nexthop *n = malloc(sizeof(*n));
        if (!n)
                return -ENOMEM;
        *n = *tmpl;
        n->grp = NULL;
        if (tmpl->ngrp) {
                n->grp = malloc(tmpl->ngrp * sizeof(*n->grp));
                if (!n->grp) {
                        free(n);
                        return -ENOMEM;
                }
                memcpy(n->grp, tmpl->grp, tmpl->ngrp * sizeof(*n->grp));
        }
        n->next = old ? old->next : *pp;
        *pp = n;
        net_rtnl_notify(net, NET_RTNL_NEWNEXTHOP, n);
        if (old) {
                nexthop_free(old);
                /* its routes, and those of the groups it is in */
                refresh_routes(net, n->id);
                for (struct nexthop *g = t->list; g; g = g->next)
                        for (int i = 0; i < g->ngrp; i++)
                                if (g->grp[i].id == n->id)
                                        refresh_routes(net, g->id);
        }
        return 0;
}

int nexthop_del(struct net *net, uint32_t id, bool notify)
{
        struct nh_table *t = ipv4_of(net)->nexthops;
        struct nexthop **pp = t ? &t->list : NULL;
        while (pp && *pp && (*pp)->id != id)
                pp = &(*pp)->next;
        if (!pp || !*pp)
                return -ENOENT;
        struct nexthop *n = *pp;
        if (notify)
                net_rtnl_notify(net, NET_RTNL_DELNEXTHOP, n);
        *pp = n->next;
        nexthop_free(n);
        refresh_routes(net, id); /* gone: its routes go */
        /* remove_nexthop_from_groups: an emptied group goes too */
        for (struct nexthop *g = t->list, *next; g; g = next) {
                next = g->next;
                int k = 0;
                for (int i = 0; i < g->ngrp; i++)
                        if (g->grp[i].id != id)
                                g->grp[k++] = g->grp[i];
                if (k == g->ngrp)
                        continue;
                g->ngrp = (uint8_t)k;
                if (k == 0) {
                        nexthop_del(net, g->id, notify);
                        next = t->list; /* the list changed: start again */
                } else {
                        if (notify) /* remove_nh_grp_entry */
                                net_rtnl_notify(net, NET_RTNL_NEWNEXTHOP, g);
                        refresh_routes(net, g->id);
                }
        }
        return 0;
}

void nexthop_flush_dev(struct net *net, const struct net_device *dev)
{
        struct nh_table *t = ipv4_of(net)->nexthops;
        for (struct nexthop *n = t ? t->list : NULL; n;) {
                if (!n->ngrp && n->dev == dev) {
                        nexthop_del(net, n->id, false); /* unannounced, as Linux */
                        n = t->list;                    /* start again */
                } else {
                        n = n->next;
                }
        }
}

void nexthop_exit(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        struct nh_table *t = in ? in->nexthops : NULL;
        if (!t)
                return;
        for (struct nexthop *n = t->list, *next; n; n = next) {
                next = n->next;
                nexthop_free(n);
        }
        free(t);
        in->nexthops = NULL;
}
