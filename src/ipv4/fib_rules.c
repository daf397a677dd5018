/*
 * Policy routing: the rule list and the numbered tables of a namespace
 * (Linux's net/core/fib_rules.c and net/ipv4/fib_rules.c).
 *
 * Until a rule or a numbered table is asked for, ipv4_net.policy stays
 * NULL and a lookup is the fast path of Linux's default rules -- 0 lookup
 * local, 32766 lookup main, 32767 lookup default -- three table probes, no
 * rule walk.  The first change allocates the policy with those three rules
 * as real entries; from then on fib_lookup_flow walks the list as
 * fib_rules_lookup does: selectors iif/oif (by name, so a rule survives its
 * device), fwmark/mask, from/to prefixes, tos, uidrange, ipproto and
 * sport/dport ranges, inverted by "not"; suppressors suppress_prefixlength
 * and suppress_ifgroup, which refuse a lookup's answer; actions
 * lookup (a missing table or a throw route goes on to the next rule), goto
 * (an unresolved one is skipped), nop, blackhole, unreachable, prohibit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4/ipv4.h"
#include "ipv4/nexthop.h"

struct fib_policy {
        struct fib_rule *rules;
        bool custom;  /* differs from the default three */
        bool need_l4; /* a rule selects by ipproto, sport or dport */
        struct fib_numbered {
                uint32_t id;
                struct fib_table *t;
        } * tables;
        size_t ntables, cap;
};

static const struct fib_rule default_rules[3] = {
        { .pref = 0, .action = FR_ACT_TO_TBL, .table = RT_TABLE_LOCAL, .protocol = RTPROT_KERNEL },
        { .pref = 32766,
          .action = FR_ACT_TO_TBL,
          .table = RT_TABLE_MAIN,
          .protocol = RTPROT_KERNEL },
        { .pref = 32767,
          .action = FR_ACT_TO_TBL,
          .table = RT_TABLE_DEFAULT,
          .protocol = RTPROT_KERNEL },
};

static inline uint32_t mask_of(uint8_t plen)
{
        return plen ? ~0u << (32 - plen) : 0;
}

static struct fib_policy *policy_get(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        if (in->policy)
                return in->policy;
        struct fib_policy *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        struct fib_rule **tail = &p->rules;
        for (int i = 0; i < 3; i++) {
                struct fib_rule *r = malloc(sizeof(*r));
                if (!r) {
                        for (struct fib_rule *c = p->rules, *n; c; c = n) {
                                n = c->next;
                                free(c);
                        }
                        free(p);
                        return NULL;
                }
                *r = default_rules[i];
                r->next = NULL;
                *tail = r;
                tail = &r->next;
        }
        in->policy = p;
        return p;
}

static bool rule_same(const struct fib_rule *a, const struct fib_rule *b)
{
        return a->pref == b->pref && a->action == b->action && a->table == b->table &&
               a->target == b->target && a->src == b->src && a->dst == b->dst &&
               a->src_len == b->src_len && a->dst_len == b->dst_len && a->tos == b->tos &&
               a->mark == b->mark && a->mark_mask == b->mark_mask &&
               (a->flags & FIB_RULE_INVERT) == (b->flags & FIB_RULE_INVERT) &&
               !strcmp(a->iifname, b->iifname) && !strcmp(a->oifname, b->oifname) &&
               a->uid_set == b->uid_set && a->uid_start == b->uid_start &&
               a->uid_end == b->uid_end && a->ip_proto == b->ip_proto &&
               a->sport_lo == b->sport_lo && a->sport_hi == b->sport_hi &&
               a->dport_lo == b->dport_lo && a->dport_hi == b->dport_hi &&
               a->suppress_plen_set == b->suppress_plen_set &&
               a->suppress_prefixlen == b->suppress_prefixlen &&
               a->suppress_ifgroup_set == b->suppress_ifgroup_set &&
               a->suppress_ifgroup == b->suppress_ifgroup;
}

static void recompute_custom(struct fib_policy *p)
{
        p->need_l4 = false;
        for (const struct fib_rule *c = p->rules; c; c = c->next)
                p->need_l4 |= c->ip_proto || c->sport_hi || c->dport_hi;
        const struct fib_rule *r = p->rules;
        int i = 0;
        for (; r && i < 3; r = r->next, i++) {
                struct fib_rule d = default_rules[i];
                if (!rule_same(r, &d))
                        break;
        }
        p->custom = r != NULL || i != 3;
}

bool fib_rules_need_l4(struct net *net)
{
        const struct fib_policy *p = ipv4_of(net)->policy;
        return p && p->custom && p->need_l4;
}

bool fib_has_custom_rules(struct net *net)
{
        const struct fib_policy *p = ipv4_of(net)->policy;
        return p && p->custom;
}

struct fib_table *fib_get_table(struct net *net, uint32_t id)
{
        struct ipv4_net *in = ipv4_of(net);
        switch (id) {
        case 0:
        case RT_TABLE_MAIN:
                return in->main;
        case RT_TABLE_LOCAL:
                return in->local;
        case RT_TABLE_DEFAULT:
                return in->def;
        default:
                break;
        }
        const struct fib_policy *p = in->policy;
        for (size_t i = 0; p && i < p->ntables; i++)
                if (p->tables[i].id == id)
                        return p->tables[i].t;
        return NULL;
}

struct fib_table *fib_new_table(struct net *net, uint32_t id)
{
        struct fib_table *t = fib_get_table(net, id);
        if (t)
                return t;
        struct fib_policy *p = policy_get(net);
        if (!p)
                return NULL;
        if (p->ntables == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 4;
                struct fib_numbered *v = realloc(p->tables, cap * sizeof(*v));
                if (!v)
                        return NULL;
                p->tables = v;
                p->cap = cap;
        }
        t = fib_table_new(id);
        if (t)
                fib_table_set_genid(t, &ipv4_of(net)->rt_genid);
        if (t)
                p->tables[p->ntables++] = (struct fib_numbered){ id, t };
        return t;
}

void fib_for_each_table(struct net *net, void (*fn)(struct fib_table *t, uint32_t id, void *c),
                        void *ctx)
{
        struct ipv4_net *in = ipv4_of(net);
        fn(in->local, RT_TABLE_LOCAL, ctx);
        fn(in->main, RT_TABLE_MAIN, ctx);
        fn(in->def, RT_TABLE_DEFAULT, ctx);
        for (size_t i = 0; in->policy && i < in->policy->ntables; i++)
                fn(in->policy->tables[i].t, in->policy->tables[i].id, ctx);
}

static bool ifname_is(struct net *net, int ifindex, const char *name)
{
        if (!ifindex)
                return false;
        const struct net_device *dev = dev_get_by_index(net, ifindex);
        return dev && !strcmp(dev->name, name);
}

bool fib_rule_match(struct net *net, const struct fib_rule *r, const struct flowi4 *fl)
{
        bool m = true;
        if (r->iifname[0] && !ifname_is(net, fl->iif, r->iifname))
                m = false;
        else if (r->oifname[0] && !ifname_is(net, fl->oif, r->oifname))
                m = false;
        else if ((r->mark ^ fl->mark) & r->mark_mask)
                m = false;
        else if ((fl->saddr ^ r->src) & mask_of(r->src_len))
                m = false;
        else if ((fl->daddr ^ r->dst) & mask_of(r->dst_len))
                m = false;
        else if (r->tos && r->tos != fl->tos)
                m = false;
        else if (r->uid_set && (fl->uid < r->uid_start || fl->uid > r->uid_end))
                m = false;
        else if (r->ip_proto && r->ip_proto != fl->proto)
                m = false;
        else if (r->sport_hi && (fl->sport < r->sport_lo || fl->sport > r->sport_hi))
                m = false;
        else if (r->dport_hi && (fl->dport < r->dport_lo || fl->dport > r->dport_hi))
                m = false;
        return (r->flags & FIB_RULE_INVERT) ? !m : m;
}

/* fib_table_lookup with the route types' meaning: a throw route (or no
 * route) is -EAGAIN, go on. */
static int table_lookup(struct fib_table *t, uint32_t id, uint32_t daddr, struct fib_res *res)
{
        if (!t)
                return -EAGAIN;
        const struct fib_route *r = fib_table_lookup(t, daddr);
        if (!r || r->type == RTN_THROW)
                return -EAGAIN;
        res->route = r;
        res->type = r->type;
        res->table = id;
        return 0;
}

/* fib4_rule_suppress: a rule's answer refused for its prefix length or
 * its device's group.  Only routes that answer (unicast, local,
 * broadcast) are; the error types end the lookup as they are. */
static bool rule_suppresses(const struct fib_rule *r, const struct fib_route *rt)
{
        if (rt->type != RTN_UNICAST && rt->type != RTN_LOCAL && rt->type != RTN_BROADCAST)
                return false;
        if (r->suppress_plen_set && rt->plen <= r->suppress_prefixlen)
                return true;
        return r->suppress_ifgroup_set && rt->dev && r->suppress_ifgroup == 0;
}

int fib_lookup_flow(struct net *net, const struct flowi4 *fl, struct fib_res *res)
{
        struct ipv4_net *in = ipv4_of(net);
        res->route = NULL;
        res->type = RTN_UNREACHABLE;
        res->table = RT_TABLE_MAIN;
        if (!in->policy || !in->policy->custom) {
                /* the fast path: Linux's default rules */
                if (!table_lookup(in->local, RT_TABLE_LOCAL, fl->daddr, res) ||
                    !table_lookup(in->main, RT_TABLE_MAIN, fl->daddr, res) ||
                    !table_lookup(in->def, RT_TABLE_DEFAULT, fl->daddr, res))
                        return 0;
                return -ENETUNREACH;
        }
        const struct fib_rule *r = in->policy->rules;
        unsigned jumps = 0;
        while (r) {
                if (!fib_rule_match(net, r, fl)) {
                        r = r->next;
                        continue;
                }
                switch (r->action) {
                case FR_ACT_GOTO: {
                        const struct fib_rule *t = r->next;
                        while (t && t->pref < r->target)
                                t = t->next;
                        if (!t || t->pref != r->target || ++jumps > 1024)
                                r = r->next; /* unresolved: skipped */
                        else
                                r = t;
                        continue;
                }
                case FR_ACT_NOP:
                        r = r->next;
                        continue;
                case FR_ACT_TO_TBL:
                        if (!table_lookup(fib_get_table(net, r->table), r->table, fl->daddr, res)) {
                                if (!rule_suppresses(r, res->route))
                                        return 0;
                                *res = (struct fib_res){ NULL, RTN_UNREACHABLE, RT_TABLE_MAIN };
                        }
                        r = r->next;
                        continue;
                case FR_ACT_UNREACHABLE:
                        res->type = RTN_UNREACHABLE;
                        return -ENETUNREACH;
                case FR_ACT_PROHIBIT:
                        res->type = RTN_PROHIBIT;
                        return -EACCES;
                default:
                        res->type = RTN_BLACKHOLE;
                        return -EINVAL;
                }
        }
        return -ENETUNREACH;
}

const struct fib_route *fib_lookup(struct net *net, uint32_t dst)
{
        struct flowi4 fl = { .daddr = dst };
        struct fib_res res;
        return fib_lookup_flow(net, &fl, &res) ? NULL : res.route;
}

int fib_rule_add(struct net *net, const struct fib_rule *nr, bool has_pref, bool excl)
{
        rt_genid_bump(&ipv4_of(net)->rt_genid);
        struct fib_policy *p = policy_get(net);
        if (!p)
                return -ENOMEM;
        if (nr->src_len > 32 || nr->dst_len > 32)
                return -EINVAL;
        struct fib_rule *r = malloc(sizeof(*r));
        if (!r)
                return -ENOMEM;
        *r = *nr;
        r->next = NULL;
        if (!has_pref) /* fib_default_rule_pref */
                r->pref = p->rules && p->rules->next && p->rules->next->pref
                              ? p->rules->next->pref - 1
                              : 0;
        if (r->action == FR_ACT_GOTO && r->target <= r->pref) {
                free(r);
                return -EINVAL; /* "Backward goto not supported" */
        }
        if (r->action == FR_ACT_TO_TBL && !r->table)
                r->table = RT_TABLE_MAIN;
        if (excl)
                for (const struct fib_rule *c = p->rules; c; c = c->next)
                        if (rule_same(c, r)) {
                                free(r);
                                return -EEXIST;
                        }
        struct fib_rule **pp = &p->rules;
        while (*pp && (*pp)->pref <= r->pref)
                pp = &(*pp)->next;
        r->next = *pp;
        *pp = r;
        recompute_custom(p);
        return 0;
}

/* rule_find: every attribute given must be equal. */
static bool rule_del_match(const struct fib_rule *c, const struct fib_rule *m, bool has_pref)
{
        if (has_pref && c->pref != m->pref)
                return false;
        if (m->action && c->action != m->action)
                return false;
        if (m->table && c->table != m->table)
                return false;
        if (m->src_len && (c->src_len != m->src_len || c->src != m->src))
                return false;
        if (m->dst_len && (c->dst_len != m->dst_len || c->dst != m->dst))
                return false;
        if (m->tos && c->tos != m->tos)
                return false;
        if (m->mark_mask && (c->mark != m->mark || c->mark_mask != m->mark_mask))
                return false;
        if (m->iifname[0] && strcmp(c->iifname, m->iifname))
                return false;
        if (m->oifname[0] && strcmp(c->oifname, m->oifname))
                return false;
        if (m->target && c->target != m->target)
                return false;
        if (m->uid_set && (!c->uid_set || c->uid_start != m->uid_start || c->uid_end != m->uid_end))
                return false;
        if (m->ip_proto && c->ip_proto != m->ip_proto)
                return false;
        if (m->sport_hi && (c->sport_lo != m->sport_lo || c->sport_hi != m->sport_hi))
                return false;
        if (m->dport_hi && (c->dport_lo != m->dport_lo || c->dport_hi != m->dport_hi))
                return false;
        if (m->suppress_plen_set &&
            (!c->suppress_plen_set || c->suppress_prefixlen != m->suppress_prefixlen))
                return false;
        if (m->suppress_ifgroup_set &&
            (!c->suppress_ifgroup_set || c->suppress_ifgroup != m->suppress_ifgroup))
                return false;
        return true;
}

int fib_rule_del(struct net *net, const struct fib_rule *m, bool has_pref)
{
        rt_genid_bump(&ipv4_of(net)->rt_genid);
        struct fib_policy *p = policy_get(net);
        if (!p)
                return -ENOMEM;
        for (struct fib_rule **pp = &p->rules; *pp; pp = &(*pp)->next) {
                struct fib_rule *c = *pp;
                if (rule_del_match(c, m, has_pref)) {
                        *pp = c->next;
                        free(c);
                        recompute_custom(p);
                        return 0;
                }
        }
        return -ENOENT;
}

void fib_rules_for_each(struct net *net, void (*fn)(const struct fib_rule *r, void *c), void *ctx)
{
        const struct fib_policy *p = ipv4_of(net)->policy;
        if (!p) {
                for (int i = 0; i < 3; i++)
                        fn(&default_rules[i], ctx);
                return;
        }
        for (const struct fib_rule *r = p->rules; r; r = r->next)
                fn(r, ctx);
}

void fib_flush_dev(struct net *net, const struct net_device *dev)
{
        struct ipv4_net *in = ipv4_of(net);
        nexthop_flush_dev(net, dev);
        fib_table_flush_dev(in->local, dev);
        fib_table_flush_dev(in->main, dev);
        fib_table_flush_dev(in->def, dev);
        for (size_t i = 0; in->policy && i < in->policy->ntables; i++)
                fib_table_flush_dev(in->policy->tables[i].t, dev);
}

void fib_rules_exit(struct net *net)
{
        struct ipv4_net *in = ipv4_of(net);
        struct fib_policy *p = in ? in->policy : NULL;
        if (!p)
                return;
        for (struct fib_rule *r = p->rules, *n; r; r = n) {
                n = r->next;
                free(r);
        }
        for (size_t i = 0; i < p->ntables; i++)
                fib_table_free(p->tables[i].t);
        free(p->tables);
        free(p);
        in->policy = NULL;
}
